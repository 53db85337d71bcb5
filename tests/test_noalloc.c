/* test_noalloc.c — nothing is allocated inside an episode once its workspace is set up.
 *
 * This program is linked with malloc, calloc and realloc wrapped (-Wl,--wrap, see
 * CMakeLists.txt), so every allocation made by plast's own code is counted. For every rule,
 * drawing an episode from the sine task (regression), from the gauss task (classification)
 * and from gauss as 8x8 images on a convolutional network (conv, pool, conv, dense) and
 * running it (forward, feedback, updates, evaluation) must allocate nothing. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plast/registry.h"
#include "plast/config.h"
#include "plast/episode.h"
#include "plast/linalg.h"

/* volatile: the compiler assumes malloc touches no globals of ours */
static volatile int counting, allocations;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
    allocations += counting;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    allocations += counting;
    return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    allocations += counting;
    return __real_realloc(p, n);
}

int main(void)
{
    plast_linalg_init();
    /* The wrapper sees allocations: a set-up step must register. */
    counting = 1;
    void *volatile probe = malloc(16); /* volatile: the pair must not be optimised away */
    free(probe);
    counting = 0;
    CHECK(allocations == 1);
    allocations = 0;

    int n;
    const plast_rule *const *all = plast_rule_all(&n);
    /* every rule on regression (sine) and on classification (gauss, the hidden layers
     * frozen when the rule learns only its output) */
    for (int i = 0; i < 3 * n; i++) {
        char json[512];
        if (i >= 2 * n) /* and on a convolutional network (gauss as 8x8 images) */
            snprintf(json, sizeof json,
                     "{\"net\": {\"layers\": [{\"type\": \"conv\", \"channels\": 4, \"pad\": 1},"
                     " {\"type\": \"pool\"}, {\"type\": \"conv\", \"channels\": 3, \"frozen\": %s},"
                     " {\"type\": \"dense\", \"width\": 16, \"frozen\": %s}], \"frozen\": [%s]},"
                     " \"rule\": \"%s\", \"task\": {\"name\": \"gauss\", \"dim\": 64, \"side\": 8,"
                     " \"n_train\": 4, \"batch\": 2}}",
                     strcmp(all[i - 2 * n]->name, "ncm") ? "false" : "true",
                     strcmp(all[i - 2 * n]->name, "ncm") ? "false" : "true",
                     strcmp(all[i - 2 * n]->name, "ncm") ? "" : "0", all[i - 2 * n]->name);
        else if (i < n)
            snprintf(json, sizeof json,
                     "{\"net\": {\"hidden\": [70, 90]}, \"rule\": \"%s\","
                     " \"task\": {\"name\": \"sine\", \"n_batches\": 5}}", all[i]->name);
        else
            snprintf(json, sizeof json,
                     "{\"net\": {\"hidden\": [30], \"frozen\": [%s]}, \"rule\": \"%s\","
                     " \"task\": {\"name\": \"gauss\", \"n_train\": 4}}",
                     strcmp(all[i - n]->name, "ncm") ? "" : "0", all[i - n]->name);
        /* a rule that reads a task's broadcast runs on the task that emits it, as 8 x 8
         * images (dense, then conv) */
        const plast_rule *ru = all[i % n];
        const char *bc = ru->reads && strcmp(ru->reads[0], "error") && strcmp(ru->reads[0], "reward")
                             ? ru->reads[0] : NULL;
        if (bc && i < n) continue;
        if (bc) {
            const char *task = !strcmp(bc, "saccade")
                                   ? "{\"name\": \"saccade\", \"source\": \"synthetic\", \"side\": 12,"
                                     " \"patch\": 8, \"steps\": 6, \"batch\": 4, \"out\": 5}"
                                   : "{\"name\": \"views\", \"source\": \"synthetic\", \"side\": 8,"
                                     " \"steps\": 6, \"pairs\": 3, \"out\": 5}";
            if (i < 2 * n)
                snprintf(json, sizeof json, "{\"net\": {\"hidden\": [30, 20]}, \"rule\": \"%s\", \"task\": %s}",
                         ru->name, task);
            else
                snprintf(json, sizeof json,
                         "{\"net\": {\"layers\": [{\"type\": \"conv\", \"channels\": 4, \"pad\": 1},"
                         " {\"type\": \"pool\"}, {\"type\": \"conv\", \"channels\": 3},"
                         " {\"type\": \"dense\", \"width\": 16}]}, \"rule\": \"%s\", \"task\": %s}",
                         ru->name, task);
        }
        static plast_config cfg;
        plast_err err;
        REQUIRE(plast_config_parse(&cfg, json, "test", NULL, 0, PLAST_TEST_REG(0), &err) == PLAST_OK);
        plast_task_shape sh;
        plast_learner L;
        plast_episode ep;
        plast_stream st;
        if (plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, &err)) {
            /* a classification-only rule (ncm): covered on the gauss task below; a dense-only
             * rule (hinge-dtp) on the conv network: covered on the dense one */
            fprintf(stderr, "rule %s: %s\n", cfg.rule->name, err.msg);
            REQUIRE(err.code == PLAST_E_CONFIG &&
                    (i < n || (i >= 2 * n && !strcmp(err.where, "net") && strstr(err.msg, "dense"))));
            continue;
        }
        REQUIRE(plast_episode_init(&ep, &L, &sh, &err) == 0);
        REQUIRE(plast_stream_init(&st, &sh, &err) == 0);
        void *state = cfg.task->create(cfg.task_opts, 1, &err);
        REQUIRE(state);
        plast_rng r;
        plast_rng_seed(&r, 1, 2);
        plast_learner_draw(&L, &r);
        counting = 1;
        for (int e = 0; e < 2; e++) {
            cfg.task->draw(state, &r, &st);
            plast_episode_run(&ep, &st);
        }
        counting = 0;
        if (allocations)
            fprintf(stderr, "rule %s, task %s: %d allocations in an episode\n", cfg.rule->name,
                    cfg.task->name, allocations);
        CHECK(allocations == 0);
        allocations = 0;
        cfg.task->destroy(state);
        plast_stream_free(&st);
        plast_episode_free(&ep);
        plast_learner_free(&L);
    }
    CHECK_DONE();
}
