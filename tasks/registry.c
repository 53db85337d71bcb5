/* registry.c — the list of tasks. Adding a task is one file and one line here. */
#include <string.h>

#include "plast/task.h"

extern const plast_task plast_task_sine, plast_task_gauss, plast_task_omniglot,
    plast_task_omniglot_split, plast_task_images;
extern const plast_task plast_task_saccade, plast_task_views;

static const plast_task *const all[] = {&plast_task_sine, &plast_task_gauss, &plast_task_omniglot,
                                        &plast_task_omniglot_split, &plast_task_images,
                                        &plast_task_saccade, &plast_task_views};

const plast_task *const *plast_task_all(int *n)
{
    *n = (int)(sizeof all / sizeof all[0]);
    return all;
}

const plast_task *plast_task_find(const char *name)
{
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(all[i]->name, name) == 0) return all[i];
    return NULL;
}
