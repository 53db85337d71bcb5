/* test_hinge.c — the contrastive hinge loss and its rules.
 *
 * - plast_hinge_loss on hand-made embeddings (two pairs, two units): the loss, and the +-1/P
 *   errors on the active pairs only (computed by hand in the comments below).
 * - updated random feedback (urf): the angle between each layer's feedback R and its head's
 *   transpose H^T decreases over a short training on generated two-view pairs; with fixed
 *   random feedback (rf) R does not move.
 * - bad input: a view shift larger than the image (task.shift), a hinge rule on a task that
 *   does not emit the views broadcast (rule.name), a probe of a layer that does not exist
 *   (probe.layers[0]). */
#include <math.h>
#include <string.h>

#include "check.h"
#include "plast/config.h"
#include "plast/episode.h"
#include "plast/hinge.h"
#include "plast/linalg.h"
#include "plast/probe.h"
#include "plast/registry.h"
#include "plast/ssl.h"

static void hand_made(void)
{
    /* A0 = (0,0), A1 = (2,0); B0 = (0.5,0), B1 = (2,3). d00 = 0.5 < 1: inactive; d11 = 3 > 1:
     * active, +2; d01 = 5 >= 3: inactive; d10 = 1.5 < 3: active, +1.5. L = 3.5 / 2.
     * (1,1): +1/2 sign(A1 - B1) = (0, -1/2) on A1, the opposite on B1;
     * (1,0): -1/2 sign(A1 - B0) = (-1/2, 0) on A1, the opposite on B0. */
    const float e[8] = {0, 0, 2, 0, 0.5f, 0, 2, 3};
    const float want[8] = {0, 0, -0.5f, -0.5f, 0.5f, 0, 0, 0.5f};
    float g[8];
    double L = plast_hinge_loss(e, 4, 2, 1.0f, 3.0f, g);
    CHECK_NEAR(L, 1.75, 1e-12);
    for (int i = 0; i < 8; i++) CHECK_NEAR(g[i], want[i], 0.0);
    /* an odd minibatch: the last item is not part of a pair */
    float e5[10] = {0, 0, 2, 0, 0.5f, 0, 2, 3, 9, 9}, g5[10];
    CHECK_NEAR(plast_hinge_loss(e5, 5, 2, 1.0f, 3.0f, g5), 1.75, 1e-12);
    CHECK(g5[8] == 0.0f && g5[9] == 0.0f);
}

static double angle(const float *R, const float *H, int nf, int m)
{
    /* R [nf][m] against H^T (H [m][nf]) */
    double d = 0, a = 0, b = 0;
    for (int i = 0; i < nf; i++)
        for (int k = 0; k < m; k++) {
            double r = R[i * m + k], h = H[k * nf + i];
            d += r * h, a += r * r, b += h * h;
        }
    return acos(d / sqrt(a * b)) * 180.0 / 3.14159265358979323846;
}

static void feedback_moves(int urf)
{
    static plast_config cfg;
    plast_err err;
    const char *json = "{\"net\": {\"hidden\": [24]}, \"rule\": {\"name\": \"hinge\", \"lr\": 0.01,"
                       " \"head_lr\": 0.05, \"head\": 8},"
                       " \"task\": {\"name\": \"views\", \"source\": \"synthetic\", \"side\": 8,"
                       " \"steps\": 200, \"pairs\": 8, \"out\": 6}}";
    const char *sets[1] = {urf ? "rule.feedback=urf" : "rule.feedback=rf"};
    REQUIRE(plast_config_parse(&cfg, json, "test", sets, 1, PLAST_TEST_REG(0), &err) == 0);
    plast_learner L;
    plast_task_shape sh;
    REQUIRE(plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, &err) == 0);
    plast_episode ep;
    plast_stream st;
    REQUIRE(plast_episode_init(&ep, &L, &sh, &err) == 0);
    REQUIRE(plast_stream_init(&st, &sh, &err) == 0);
    void *state = cfg.task->create(cfg.task_opts, 3, &err);
    REQUIRE(state != NULL);
    plast_rng r;
    plast_rng_seed(&r, 3, 1);
    plast_learner_draw(&L, &r);
    cfg.task->draw(state, &r, &st);
    plast_episode_run(&ep, &st);
    for (int l = 0; l < 2; l++) {
        const plast_pspec *hs = plast_pset_find(&L.net.p, "head", l);
        REQUIRE(hs != NULL);
        int m = hs->rows, nf = hs->cols;
        const float *H0 = plast_pset_view(&L.net.p, "head", l), *R0 = plast_pset_view(&L.net.p, "R", l);
        const float *H1 = plast_pset_view(&ep.work.p, "head", l), *R1 = plast_pset_view(&ep.work.p, "R", l);
        double a0 = angle(R0, H0, nf, m), a1 = angle(R1, H1, nf, m), moved = 0;
        for (int i = 0; i < m * nf; i++) moved = fmax(moved, fabs(R1[i] - R0[i]));
        fprintf(stderr, "%s layer %d: angle(R, H^T) %.1f -> %.1f degrees\n", urf ? "urf" : "rf", l, a0, a1);
        if (urf) CHECK(a1 < a0 - 5.0);
        else CHECK(moved == 0.0);
    }
    cfg.task->destroy(state);
    plast_stream_free(&st);
    plast_episode_free(&ep);
    plast_learner_free(&L);
}

static void bad_input(void)
{
    static plast_config cfg;
    plast_err err;
    plast_learner L;
    plast_task_shape sh;
    const char *views = "{\"net\": {\"hidden\": [8]}, \"rule\": \"hinge\", \"task\": {\"name\":"
                        " \"views\", \"source\": \"synthetic\", \"side\": 8, \"shift\": 8}}";
    REQUIRE(plast_config_parse(&cfg, views, "test", NULL, 0, PLAST_TEST_REG(0), &err) == 0);
    CHECK(plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, &err) == PLAST_E_CONFIG);
    CHECK(!strcmp(err.where, "task.shift"));
    const char *rules[3] = {"hinge", "hinge-rf", "hinge-bp"};
    for (int i = 0; i < 3; i++) {
        char json[512];
        snprintf(json, sizeof json, "{\"net\": {\"hidden\": [8]}, \"rule\": \"%s\", \"task\":"
                 " {\"name\": \"saccade\", \"source\": \"synthetic\", \"patch\": 4}}", rules[i]);
        REQUIRE(plast_config_parse(&cfg, json, "test", NULL, 0, PLAST_TEST_REG(0), &err) == 0);
        REQUIRE(plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, &err) == 0);
        plast_episode ep;
        CHECK(plast_episode_init(&ep, &L, &sh, &err) == PLAST_E_CONFIG);
        CHECK(!strcmp(err.where, "rule.name") && strstr(err.msg, "views"));
        plast_learner_free(&L);
    }
    /* a probe of a layer the network does not have */
    REQUIRE(plast_config_parse(&cfg, "{\"net\": {\"hidden\": [8]}, \"rule\": \"hinge\", \"task\":"
                               " {\"name\": \"views\", \"source\": \"synthetic\", \"side\": 8}}",
                               "test", NULL, 0, PLAST_TEST_REG(0), &err) == 0);
    REQUIRE(plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, &err) == 0);
    plast_rng r;
    plast_rng_seed(&r, 1, 1);
    plast_learner_draw(&L, &r);
    plast_ssl_src src = {PLAST_SSL_SYNTHETIC, "", 4, 8};
    plast_dataset tr, te;
    REQUIRE(plast_ssl_load(&src, 1, &tr, &te, &err) == 0);
    plast_probe_opts po;
    plast_opts_defaults(&plast_probe_opts_table, &po);
    po.layers.n = 1, po.layers.v[0] = 5, po.epochs = 1;
    float acc[8];
    int layer_of[8], k;
    CHECK(plast_probe_encoder(&L.net, &tr, &te, &po, 1, acc, layer_of, &k, &err) == PLAST_E_CONFIG);
    CHECK(!strcmp(err.where, "probe.layers[0]"));
    /* and the probe itself on layer 0: better than chance (4 classes) on generated blobs */
    po.layers.v[0] = 0, po.epochs = 20;
    CHECK(plast_probe_encoder(&L.net, &tr, &te, &po, 1, acc, layer_of, &k, &err) == PLAST_OK);
    fprintf(stderr, "probe of an untrained 8-unit layer: %.3f\n", acc[0]);
    CHECK(k == 1 && layer_of[0] == 0 && acc[0] > 0.5f);
    plast_dataset_free(&tr), plast_dataset_free(&te);
    plast_learner_free(&L);
}

int main(void)
{
    plast_linalg_init();
    hand_made();
    feedback_moves(1);
    feedback_moves(0);
    bad_input();
    CHECK_DONE();
}
