/* test_analyze.c — the interference measures (PROTOCOLS.md section 7) on known answers.
 *
 * - Two identical samples cause updates with cosine 1; with a Hebbian rule and orthogonal
 *   inputs, two samples' updates have cosine 0.
 * - For SGD with a small learning rate, the measured retroactive interference matches its
 *   first-order prediction: |exact - first order| <= 5% of |first order| at every age.
 * - The feedback angle is 0 when B equals the forward transposes (direct and chain), and
 *   90 +- 2 degrees for independent random 400 x 400 matrices.
 * - The participation ratio of updates spanning k orthogonal directions equally is k. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rig.h"
#include "plast/registry.h"
#include "plast/analyze.h"
#include "plast/config.h"

/* The W, b change of one step from the rig's current state, state restored. */
static void update(rig *g, const float *x, const float *y, float *u, size_t n)
{
    float *before = malloc(g->ep.work.p.n_floats * sizeof *before);
    memcpy(before, g->ep.work.p.data, g->ep.work.p.n_floats * sizeof *before);
    plast_episode_step(&g->ep, x, y, 1, NULL);
    for (size_t i = 0; i < n; i++) u[i] = g->ep.work.p.data[i] - before[i];
    memcpy(g->ep.work.p.data, before, g->ep.work.p.n_floats * sizeof *before);
    free(before);
}

int main(void)
{
    plast_linalg_init();
    /* Identical samples: cosine 1 (sgd, a 2-layer net). */
    const int w2[2] = {7, 2};
    const plast_act a2[2] = {PLAST_ACT_TANH, PLAST_ACT_IDENTITY};
    rig g;
    rig_init(&g, "sgd", 4, 2, w2, a2, 1, 0, 3);
    plast_pset_view(&g.L.meta, "lr", -1)[0] = 0.1f;
    rig_start(&g);
    size_t n = (size_t)(7 * 4 + 2 * 7 + 7 + 2); /* W then b of both layers: the first floats */
    float x[4] = {0.3f, -1.0f, 0.5f, 2.0f}, y[2] = {1.0f, -1.0f}, u1[64], u2[64];
    update(&g, x, y, u1, n);
    update(&g, x, y, u2, n);
    CHECK_NEAR(plast_cosine(u1, u2, n), 1.0, 1e-12);
    CHECK(plast_dot_d(n, u1, u1) > 1e-6);
    rig_free(&g);

    /* Hebbian rule, orthogonal one-hot inputs: dW = eta A post pre^T -> cosine 0. */
    const int w1[1] = {3};
    const plast_act a1[1] = {PLAST_ACT_IDENTITY};
    rig h;
    rig_init(&h, "hebb", 5, 1, w1, a1, 1, 0, 4);
    plast_pset_view(&h.L.meta, "eta", 0)[0] = 0.5f;
    rig_start(&h);
    float e1[5] = {1, 0, 0, 0, 0}, e2[5] = {0, 0, 1, 0, 0}, t[3] = {0, 0, 0};
    size_t nh = 3 * 5;
    update(&h, e1, t, u1, nh);
    update(&h, e2, t, u2, nh);
    CHECK(plast_dot_d(nh, u1, u1) > 1e-6 && plast_dot_d(nh, u2, u2) > 1e-6);
    CHECK_NEAR(plast_cosine(u1, u2, nh), 0.0, 1e-12);
    rig_free(&h);

    /* Interference of small-step SGD equals its first-order prediction. */
    static plast_config cfg;
    plast_err err;
    const char *json = "{\"seed\": 2, \"runs\": 3, \"bootstrap\": 100, \"net\": {\"hidden\": [16]},"
                       " \"rule\": {\"name\": \"sgd\", \"lr\": 0.0005},"
                       " \"task\": {\"name\": \"sine\", \"n_functions\": 4, \"n_batches\": 5, \"n_query\": 8}}";
    REQUIRE(plast_config_parse(&cfg, json, "test", NULL, 0, PLAST_TEST_REG(0), &err) == 0);
    plast_an_spec sp = {.cfg = &cfg, .runs = 3, .n_probe = 4, .sgd_lr = 0.0005f};
    static plast_an_result res;
    REQUIRE(plast_analyze(&sp, &res, &err) == 0);
    CHECK(res.rule.n_age == 3);
    for (int a = 1; a <= res.rule.n_age; a++) {
        double ex = res.rule.interf[a].mean, pr = res.rule.interf_pred[a].mean;
        fprintf(stderr, "age %d: exact %.4g, first order %.4g\n", a, ex, pr);
        CHECK(fabs(pr) > 1e-8);
        CHECK(fabs(ex - pr) <= 0.05 * fabs(pr));
    }
    /* the rule is sgd with the same lr: both columns agree, and SGD follows the gradient */
    CHECK_NEAR(res.rule.cos_across.mean, res.sgd.cos_across.mean, 1e-9);
    CHECK_NEAR(res.sgd.grad_cos.mean, 1.0, 1e-4);
    plast_an_result_free(&res);

    /* Feedback angles. */
    const int w4[3] = {6, 5, 3};
    const plast_act a4[3] = {PLAST_ACT_RELU, PLAST_ACT_RELU, PLAST_ACT_IDENTITY};
    rig f;
    rig_init(&f, "dfa", 4, 3, w4, a4, 1, 0, 5);
    size_t wk = plast_forward_pathway_work(&f.L.net);
    float *pw = malloc(wk * sizeof *pw), *work = malloc(wk * sizeof *work);
    for (int l = 0; l < 3; l++) {
        plast_layer *ly = &f.L.net.layer[l];
        plast_forward_pathway_t(&f.L.net, l, pw, work);
        CHECK(plast_angle_deg(ly->B, pw, (size_t)ly->n_out * ly->n_fb) > 1.0); /* random B first */
        memcpy(ly->B, pw, (size_t)ly->n_out * ly->n_fb * sizeof *pw);
        CHECK_NEAR(plast_angle_deg(ly->B, pw, (size_t)ly->n_out * ly->n_fb), 0.0, 1e-3);
    }
    /* the pathway of layer 0 is (W2 W1)^T: check one entry by hand */
    plast_forward_pathway_t(&f.L.net, 0, pw, work);
    double want = 0.0;
    for (int k = 0; k < 5; k++) want += (double)f.L.net.layer[2].W[1 * 5 + k] * f.L.net.layer[1].W[k * 6 + 4];
    CHECK_NEAR(pw[4 * 3 + 1], want, 1e-5);
    free(pw), free(work);
    plast_learner_free(&f.L); /* no episode was started for f */
    plast_rng r;
    plast_rng_seed(&r, 9, 9);
    size_t big = 400 * 400;
    float *A = malloc(big * sizeof *A), *B = malloc(big * sizeof *B);
    fill_normal(&r, A, (int)big, 1.0f);
    fill_normal(&r, B, (int)big, 1.0f);
    double ang = plast_angle_deg(A, B, big);
    fprintf(stderr, "random 400x400 matrices: %.2f degrees\n", ang);
    CHECK(fabs(ang - 90.0) < 2.0);
    free(A), free(B);

    /* Participation ratio of +-e_i for i < k in 50 dimensions is k (equal spectrum). */
    for (int k = 1; k <= 6; k++) {
        float U[12 * 50];
        memset(U, 0, sizeof U);
        for (int i = 0; i < k; i++) U[(2 * i) * 50 + i] = 1.0f, U[(2 * i + 1) * 50 + i] = -1.0f;
        CHECK_NEAR(plast_participation_ratio(U, 2 * k, 50), (double)k, 1e-9);
    }
    /* and of a dominant direction plus a small one, between 1 and 2 */
    float V[4 * 3] = {3, 0, 0, -3, 0, 0, 0, 1, 0, 0, -1, 0};
    double pr = plast_participation_ratio(V, 4, 3);
    CHECK(pr > 1.0 && pr < 1.3);
    CHECK_DONE();
}
