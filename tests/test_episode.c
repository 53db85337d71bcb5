/* test_episode.c — the inner loop as a whole.
 *
 * - A seed and a config fix every number: two evaluations are bit-identical, and so are
 *   evaluations on 1 and 2 threads.
 * - Online SGD lowers the query MSE on incremental sine (i.i.d. order) compared with no
 *   learning (lr = 0), with non-overlapping 95% intervals over 12 runs.
 * - Without learning the score matrix rows are all equal to R0 (nothing changes).
 * - FLP runs a whole reference-protocol episode to finite numbers.
 * - The query features below the lowest plastic layer, taken once per episode, give the
 *   bits of computing them at every scoring, also across a snapshot restored into an
 *   episode that last scored another stream. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plast/registry.h"
#include "plast/config.h"
#include "plast/episode.h"
#include "plast/evaluate.h"
#include "plast/linalg.h"

typedef struct setup {
    plast_config cfg;
    plast_task_shape shape;
    plast_learner L;
    void *state;
} setup;

static void make(setup *s, const char *json, const char *const *sets, int n_sets)
{
    plast_err err;
    REQUIRE(plast_config_parse(&s->cfg, json, "test", sets, n_sets, PLAST_TEST_REG(0), &err) == PLAST_OK);
    REQUIRE(plast_learner_from_config(&s->L, &s->cfg, NULL, NULL, &s->shape, &err) == 0);
    s->state = s->cfg.task->create(s->cfg.task_opts, 1, &err);
    REQUIRE(s->state);
}

static void eval(setup *s, int threads, plast_eval_result *res)
{
    plast_eval_spec es = {.task = s->cfg.task, .task_state = s->state, .shape = s->shape,
                          .seed = (uint64_t)s->cfg.run.seed, .runs = s->cfg.run.runs,
                          .threads = threads, .init_per_run = 1, .n_boot = 200};
    plast_err err;
    REQUIRE(plast_evaluate(&s->L, &es, res, &err) == PLAST_OK);
}

static void drop(setup *s)
{
    s->cfg.task->destroy(s->state);
    plast_learner_free(&s->L);
}

static int same(const plast_eval_result *a, const plast_eval_result *b)
{
    size_t n = (size_t)a->runs;
    return !memcmp(a->final, b->final, n * sizeof(float)) &&
           !memcmp(a->R, b->R, n * a->n_seg * a->n_seg * sizeof(float)) &&
           !memcmp(a->train_loss, b->train_loss, n * a->max_steps * sizeof(float)) &&
           a->final_sum.lo == b->final_sum.lo && a->final_sum.hi == b->final_sum.hi;
}

/* The scores (R0, R, final) of one episode. */
static int same_scores(const plast_episode *a, const plast_episode *b)
{
    int n = a->shape.n_seg;
    return !memcmp(a->out.R0, b->out.R0, (size_t)n * sizeof(float)) &&
           !memcmp(a->out.R, b->out.R, (size_t)n * n * sizeof(float)) && a->out.final == b->out.final;
}

static void frozen_prefix(void)
{
    setup s;
    make(&s, "{\"net\": {\"hidden\": [40, 40], \"frozen\": [0]}, \"rule\": {\"name\": \"sgd\", \"lr\": 0.03},"
             " \"task\": {\"name\": \"sine\", \"n_batches\": 8}}", NULL, 0);
    plast_err err;
    plast_episode cached, plain, other;
    plast_stream st, st2;
    REQUIRE(plast_episode_init(&cached, &s.L, &s.shape, &err) == PLAST_OK);
    REQUIRE(plast_episode_init(&plain, &s.L, &s.shape, &err) == PLAST_OK);
    REQUIRE(plast_episode_init(&other, &s.L, &s.shape, &err) == PLAST_OK);
    REQUIRE(plast_stream_init(&st, &s.shape, &err) == PLAST_OK && plast_stream_init(&st2, &s.shape, &err) == PLAST_OK);
    CHECK(cached.lowest == 1 && cached.qfeat);
    free(plain.qfeat), plain.qfeat = NULL; /* every scoring through the whole network */
    plast_rng r;
    plast_rng_seed(&r, 7, 1);
    plast_learner_draw(&s.L, &r);
    s.cfg.task->draw(s.state, &r, &st);
    s.cfg.task->draw(s.state, &r, &st2);
    plast_episode_run(&cached, &st);
    plast_episode_run(&plain, &st);
    CHECK(same_scores(&cached, &plain));
    int moved = 0; /* the scores change over the episode: the check sees learning */
    for (int i = 0; i < s.shape.n_seg; i++) moved |= cached.out.R[(size_t)(s.shape.n_seg - 1) * s.shape.n_seg + i] != cached.out.R0[i];
    CHECK(moved);
    /* half of st, a snapshot; another stream in full; the snapshot back, the rest of st */
    plast_episode_snap snap;
    REQUIRE(plast_episode_snap_init(&snap, &other, &err) == PLAST_OK);
    plast_episode_begin(&other, &st);
    plast_episode_advance(&other, &st, st.n_steps / 2);
    plast_episode_save(&other, &snap);
    plast_episode_run(&other, &st2);
    plast_episode_restore(&other, &snap);
    plast_episode_advance(&other, &st, st.n_steps);
    plast_episode_finish(&other, &st);
    CHECK(same_scores(&other, &plain));
    plast_episode_snap_free(&snap);
    plast_stream_free(&st), plast_stream_free(&st2);
    plast_episode_free(&cached), plast_episode_free(&plain), plast_episode_free(&other);
    drop(&s);
}

int main(void)
{
    plast_linalg_init();
    const char *small = "{\"seed\": 3, \"runs\": 12, \"net\": {\"hidden\": [40, 40]},"
                        " \"rule\": {\"name\": \"sgd\", \"lr\": 0.03},"
                        " \"task\": {\"name\": \"sine\", \"order\": \"iid\", \"n_batches\": 40}}";
    /* Determinism and thread independence, for sgd and flp. */
    const char *rules[2] = {"rule.name=sgd", "rule={\"name\": \"flp\"}"};
    for (int k = 0; k < 2; k++) {
        setup s;
        make(&s, small, &rules[k], 1);
        plast_eval_result a, b, c;
        eval(&s, 1, &a);
        eval(&s, 1, &b);
        eval(&s, 2, &c);
        CHECK(same(&a, &b));
        CHECK(same(&a, &c));
        CHECK(a.final_sum.n == 12 && isfinite(a.final_sum.mean));
        plast_eval_result_free(&a), plast_eval_result_free(&b), plast_eval_result_free(&c);
        drop(&s);
    }

    /* SGD learns; lr = 0 does not move anything. */
    setup s;
    make(&s, small, NULL, 0);
    plast_eval_result learn, none;
    eval(&s, 2, &learn);
    drop(&s);
    const char *zero[1] = {"rule.lr=0"};
    make(&s, small, zero, 1);
    eval(&s, 2, &none);
    fprintf(stderr, "sgd final MSE %.3f [%.3f, %.3f], no learning %.3f [%.3f, %.3f]\n",
            learn.final_sum.mean, learn.final_sum.lo, learn.final_sum.hi, none.final_sum.mean,
            none.final_sum.lo, none.final_sum.hi);
    CHECK(learn.final_sum.hi < none.final_sum.lo);
    CHECK(learn.final_sum.mean < 0.5 * none.final_sum.mean);
    int rows_equal = 1;
    for (int r = 0; r < none.runs; r++)
        for (int i = 0; i < none.n_seg; i++)
            rows_equal &= !memcmp(none.R + ((size_t)r * none.n_seg + i) * none.n_seg,
                                  none.R0 + (size_t)r * none.n_seg, none.n_seg * sizeof(float));
    CHECK(rows_equal);
    /* the online training loss falls over the episode under learning */
    double early = 0, late = 0;
    for (int t = 0; t < 40; t++) early += learn.loss_sum[t].mean, late += learn.loss_sum[360 + t].mean;
    fprintf(stderr, "sgd train loss: first 40 steps %.3f, last 40 steps %.3f\n", early / 40, late / 40);
    CHECK(late < 0.6 * early);
    plast_eval_result_free(&learn), plast_eval_result_free(&none);
    drop(&s);

    /* FLP on the reference protocol with a small network: finite everywhere. */
    const char *flp = "{\"runs\": 2, \"net\": {\"hidden\": [40, 40, 40]}, \"rule\": \"flp\","
                      " \"task\": \"sine\"}";
    make(&s, flp, NULL, 0);
    plast_eval_result f;
    eval(&s, 1, &f);
    int finite = 1;
    for (int i = 0; i < 2 * f.n_seg * f.n_seg; i++) finite &= isfinite(f.R[i]);
    CHECK(finite);
    plast_eval_result_free(&f);
    drop(&s);

    frozen_prefix();
    CHECK_DONE();
}
