/* stream.c — allocation of an episode stream for a task shape (one block). */
#include <stdlib.h>
#include <string.h>

#include "plast/task.h"

int plast_stream_init(plast_stream *s, const plast_task_shape *sh, plast_err *err)
{
    memset(s, 0, sizeof *s);
    if (sh->n_in < 1 || sh->n_out < 1 || sh->batch < 1 || sh->max_steps < 1 || sh->n_seg < 1 ||
        sh->n_query < 1)
        return plast_err_set(err, PLAST_E_CONFIG, "task", "the task's episode shape is empty");
    size_t steps = (size_t)sh->max_steps, nb = (size_t)sh->batch;
    size_t nq = (size_t)sh->n_seg * (size_t)sh->n_query;
    size_t floats = steps * nb * (size_t)(sh->n_in + sh->n_out) + steps +
                    nq * (size_t)(sh->n_in + sh->n_out);
    size_t ints = steps + (size_t)sh->n_seg;
    if (floats > ((size_t)1 << 31))
        return plast_err_set(err, PLAST_E_CONFIG, "task",
                             "an episode of %zu floats is too large", floats);
    s->buf = calloc(floats * sizeof(float) + ints * sizeof(int), 1);
    if (!s->buf) return plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory (episode)");
    s->shape = *sh;
    float *f = s->buf;
    s->x = f, f += steps * nb * sh->n_in;
    s->y = f, f += steps * nb * sh->n_out;
    s->saccade = f, f += steps;
    s->qx = f, f += nq * sh->n_in;
    s->qy = f, f += nq * sh->n_out;
    int *i = (int *)f;
    s->seg = i, i += steps;
    s->mark = i;
    return PLAST_OK;
}

void plast_stream_free(plast_stream *s)
{
    free(s->buf);
    memset(s, 0, sizeof *s);
}
