/* test_classify.c — classification episodes and their references.
 *
 * - The gauss task: shapes, class-after-class order, per-episode label permutation, the
 *   same minibatches in i.i.d. order, determinism per seed.
 * - Nearest class mean on two clusters reaches the accuracy their separation implies,
 *   Phi(separation / (2 noise)), within 0.01 (1000 training samples per class in 2-D).
 * - Online SGD forgets in class-incremental order: BWT < -0.2 on 5 classes, while the
 *   same minibatches in i.i.d. order forget much less.
 * - No allocation is checked for classification in test_noalloc (gauss). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plast/registry.h"
#include "plast/config.h"
#include "plast/evaluate.h"
#include "plast/linalg.h"

static void eval_json(const char *json, const char *const *sets, int n_sets, plast_eval_result *res,
                      plast_task_shape *shape)
{
    static plast_config cfg;
    plast_err err;
    REQUIRE(plast_config_parse(&cfg, json, "test", sets, n_sets, PLAST_TEST_REG(0), &err) == PLAST_OK);
    plast_learner L;
    REQUIRE(plast_learner_from_config(&L, &cfg, NULL, NULL, shape, &err) == 0);
    void *state = cfg.task->create(cfg.task_opts, 1, &err);
    REQUIRE(state);
    plast_eval_spec es = {.task = cfg.task, .task_state = state, .shape = *shape,
                          .seed = (uint64_t)cfg.run.seed, .runs = cfg.run.runs, .threads = 2,
                          .init_per_run = 1, .n_boot = 200};
    REQUIRE(plast_evaluate(&L, &es, res, &err) == PLAST_OK);
    cfg.task->destroy(state);
    plast_learner_free(&L);
}

/* Mean score matrix over runs and its metrics. */
static void mean_metrics(const plast_eval_result *r, plast_cl_metrics *m)
{
    int T = r->n_seg;
    float *R = calloc((size_t)T * T, sizeof *R), *b = calloc((size_t)T, sizeof *b);
    for (int i = 0; i < r->runs; i++) {
        for (int k = 0; k < T * T; k++) R[k] += r->R[(size_t)i * T * T + k] / r->runs;
        for (int k = 0; k < T; k++) b[k] += r->R0[(size_t)i * T + k] / r->runs;
    }
    plast_cl_compute(R, b, T, 1, m);
    free(R), free(b);
}

int main(void)
{
    plast_linalg_init();
    plast_err err;
    const plast_task *t = plast_task_find("gauss");
    REQUIRE(t);

    /* The stream itself. */
    _Alignas(16) unsigned char o[4096];
    plast_opts_defaults(&t->opts, o);
    plast_task_shape sh;
    REQUIRE(t->shape(o, &sh, &err) == 0);
    CHECK(sh.objective == &plast_objective_classification && sh.n_out == 5 && sh.n_in == 20 && sh.max_steps == 100 && sh.n_seg == 5);
    void *st = t->create(o, 1, &err);
    plast_stream a, b;
    REQUIRE(plast_stream_init(&a, &sh, &err) == 0 && plast_stream_init(&b, &sh, &err) == 0);
    plast_rng r;
    plast_rng_derive(&r, 9, 0, 0, 0);
    t->draw(st, &r, &a);
    int order_ok = 1, onehot_ok = 1, same_label = 1;
    int label_of[5];
    for (int k = 0; k < 5; k++) label_of[k] = -1;
    for (int s = 0; s < a.n_steps; s++) {
        order_ok &= a.seg[s] == s / 20;
        int lab = -1, ones = 0;
        for (int i = 0; i < 5; i++)
            if (a.y[s * 5 + i] == 1.0f) lab = i, ones++;
        onehot_ok &= ones == 1;
        if (label_of[a.seg[s]] < 0) label_of[a.seg[s]] = lab;
        same_label &= label_of[a.seg[s]] == lab;
    }
    CHECK(order_ok && onehot_ok && same_label && a.n_steps == 100);
    int permuted = 0, draws = 0;
    for (int e = 0; e < 20; e++) { /* labels are permuted per episode: not always the identity */
        plast_rng_derive(&r, 9, 0, 0, (uint64_t)e + 1);
        t->draw(st, &r, &b);
        int ident = 1;
        for (int k = 0; k < 5; k++) ident &= b.y[(size_t)k * 20 * 5 + k] == 1.0f;
        permuted += !ident;
        draws++;
    }
    CHECK(permuted >= draws - 2);
    plast_rng_derive(&r, 9, 0, 0, 0);
    t->draw(st, &r, &b);
    CHECK(memcmp(a.x, b.x, sizeof(float) * 100 * 20) == 0 && memcmp(a.qx, b.qx, sizeof(float) * 250 * 20) == 0);
    t->destroy(st);
    plast_stream_free(&a), plast_stream_free(&b);

    /* Bad shapes name their key. */
    const char *bad = "{\"rule\": \"ncm\", \"task\": {\"name\": \"gauss\", \"dim\": 3, \"n_classes\": 5}}";
    plast_config cfg;
    REQUIRE(plast_config_parse(&cfg, bad, "bad", NULL, 0, PLAST_TEST_REG(0), &err) == 0);
    CHECK(cfg.task->shape(cfg.task_opts, &sh, &err) == PLAST_E_CONFIG && !strcmp(err.where, "task.dim"));

    /* Nearest class mean meets the separation's accuracy. */
    plast_eval_result res;
    const char *ncm = "{\"runs\": 10, \"net\": {\"hidden\": []}, \"rule\": \"ncm\","
                      " \"task\": {\"name\": \"gauss\", \"n_classes\": 2, \"dim\": 2, \"separation\": 2,"
                      " \"noise\": 1, \"n_train\": 1000, \"n_query\": 1000}}";
    eval_json(ncm, NULL, 0, &res, &sh);
    double want = 0.5 * erfc(-(2.0 / 2.0) / sqrt(2.0)); /* Phi(1) = 0.8413 */
    fprintf(stderr, "ncm accuracy %.4f, separation implies %.4f\n", res.final_sum.mean, want);
    CHECK_NEAR(res.final_sum.mean, want, 0.01);
    plast_eval_result_free(&res);

    /* Online SGD forgets in class-incremental order (BWT < 0), much less in i.i.d. order. */
    const char *sgd = "{\"runs\": 12, \"net\": {\"hidden\": []},"
                      " \"rule\": {\"name\": \"sgd\", \"lr\": 0.2}, \"task\": {\"name\": \"gauss\"}}";
    plast_cl_metrics ci, ii;
    eval_json(sgd, NULL, 0, &res, &sh);
    mean_metrics(&res, &ci);
    plast_eval_result_free(&res);
    const char *iid[1] = {"task.order=iid"};
    eval_json(sgd, iid, 1, &res, &sh);
    mean_metrics(&res, &ii);
    plast_eval_result_free(&res);
    fprintf(stderr, "sgd class-incremental: ACC %.3f BWT %.3f forgetting %.3f; iid ACC %.3f\n",
            ci.acc, ci.bwt, ci.forgetting, ii.acc);
    CHECK(ci.bwt < -0.2);
    CHECK(ci.forgetting > 0.2);
    CHECK(ii.acc > ci.acc + 0.1);
    CHECK_DONE();
}
