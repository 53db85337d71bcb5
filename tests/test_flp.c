/* test_flp.c — the FLP rule (PROTOCOLS.md §2) and the ABCD Hebbian rule.
 *
 * 1. One step computed by hand (a 2-input, 1-output regression layer, batch 2) for the Oja
 *    and the Hebbian forms, with per-synapse P.
 * 2. Against a plain double-precision reference on 3-layer networks (small, and wide
 *    enough for several row blocks and the BLAS path), for every
 *    granularity, both forms, regression and classification (one-hot target at the
 *    output, hidden_scale on hidden layers), linear feedback and the gate. Tolerance 1e-5
 *    relative to the largest update.
 * 3. The classification output row of the target class moves as W_c += P (x - W_c), the
 *    others stay (the exponential-moving-average fact of §2).
 * 4. hebb (ABCD) against its definition, per layer and per synapse. */
#include <math.h>
#include <stdlib.h>

#include "rig.h"

static void hand_step(int hebb)
{
    const int widths[1] = {1};
    const plast_act acts[1] = {PLAST_ACT_IDENTITY};
    rig g;
    rig_init(&g, "flp", 2, 1, widths, acts, 2, 0, 1);
    if (hebb) {
        /* options are read at declaration only for initial values; the form at each step */
        set_opt(&g, "form", 1);
    }
    plast_layer *ly = &g.L.net.layer[0];
    ly->W[0] = 0.5f, ly->W[1] = -0.25f, ly->b[0] = 0.1f;
    ly->B[0] = 2.0f, ly->c[0] = 0.1f;
    float *P = plast_pset_view(&g.L.meta, "P", 0);
    P[0] = 0.1f, P[1] = 0.2f;
    plast_pset_view(&g.L.meta, "beta", 0)[0] = 0.5f;
    rig_start(&g);
    const float x[4] = {1, 2, -1, 0.5f}, y[2] = {1, -2};
    plast_episode_step(&g.ep, x, y, 2, NULL);
    /* By hand: yhat = (0.1, -0.525); s = (0.9, -1.475); relu(B s + c) = (1.9, 0);
     * h~ = 0.5 relu(.) + 0.5 yhat = (1.0, -0.2625); sum h~ x = (1.2625, 1.86875);
     * sum h~^2 = 1.06890625.
     * Oja:  W0 = 0.5 + 0.1 (1.2625 - 1.06890625 * 0.5)   = 0.5728046875
     *       W1 = -0.25 + 0.2 (1.86875 + 1.06890625 * 0.25) = 0.1771953125
     * Hebb: W0 = 0.5 + 0.1 * 1.2625 = 0.62625;  W1 = -0.25 + 0.2 * 1.86875 = 0.12375 */
    const float *W = g.ep.work.layer[0].W;
    if (!hebb) {
        CHECK_NEAR(W[0], 0.5728046875, 1e-6);
        CHECK_NEAR(W[1], 0.1771953125, 1e-6);
    } else {
        CHECK_NEAR(W[0], 0.62625, 1e-6);
        CHECK_NEAR(W[1], 0.12375, 1e-6);
    }
    CHECK(g.ep.work.layer[0].b[0] == 0.1f); /* biases are not plastic */
    rig_free(&g);
}

/* Double reference of one FLP step for layer l, from the engine's recorded signals. */
static void flp_reference(const rig *g, int l, int form, int gran, int relu_fb, int gate,
                          float hidden_scale, double *W)
{
    const plast_local *x = &g->ep.local[l];
    int no = x->n_out, ni = x->n_in, nb = x->batch;
    const plast_pspec *pp = plast_pset_find(&g->L.meta, "P", l);
    if (!pp) pp = plast_pset_find(&g->L.meta, "P", -1);
    const float *P = g->L.meta.data + pp->offset;
    double beta = plast_pset_view(&g->L.meta, "beta", l)[0];
    double scale = (x->teacher && !x->is_output) ? hidden_scale : 1.0;
    for (int i = 0; i < no; i++) {
        double ht[256], d = 0.0;
        for (int b = 0; b < nb; b++) {
            size_t k = (size_t)b * no + i;
            if (x->is_output && x->teacher) {
                ht[b] = x->s[k];
            } else {
                double f = x->fb[k];
                if (relu_fb && f < 0) f = 0;
                if (gate && !(x->post[k] > 0)) f = 0;
                ht[b] = beta * f + (1 - beta) * x->post[k];
            }
            d += ht[b] * ht[b];
        }
        if (form == 1) d = 0.0;
        for (int j = 0; j < ni; j++) {
            double gsum = 0.0;
            for (int b = 0; b < nb; b++) gsum += ht[b] * x->pre[(size_t)b * ni + j];
            double p = gran == 0 ? P[(size_t)i * ni + j] : gran == 1 ? P[i] : P[0];
            size_t k = (size_t)i * ni + j;
            W[k] += scale * p * (gsum - d * W[k]);
        }
    }
}

static void compare_reference(int form, int gran, int cls, int relu_fb, int gate, int wide)
{
    /* wide layers (more rows than one block of G, and large enough for BLAS) */
    const int widths[3] = {wide ? 130 : 9, wide ? 70 : 7, 4};
    const plast_act acts[3] = {PLAST_ACT_RELU, PLAST_ACT_TANH, PLAST_ACT_IDENTITY};
    rig g;
    rig_init(&g, "flp", 5, 3, widths, acts, 3, cls, 40 + form + 2 * gran);
    set_opt(&g, "form", form);
    set_opt(&g, "feedback_relu", relu_fb);
    set_opt(&g, "gate", gate);
    set_opt(&g, "hidden_scale", 3.0);
    /* Redeclare with the granularity: a new learner with the option set before init. */
    plast_learner_free(&g.L);
    set_opt(&g, "granularity", gran);
    {
        plast_net_spec sp;
        memset(&sp, 0, sizeof sp);
        sp.n_in = 5, sp.n_layers = 3;
        for (int l = 0; l < 3; l++) sp.width[l] = widths[l], sp.act[l] = acts[l], sp.plastic[l] = 1;
        sp.w_init = PLAST_INIT_KAIMING_UNIFORM, sp.w_gain = 1.0f;
        sp.b_init = PLAST_INIT_UNIFORM, sp.b_value = 0.2f;
        sp.fb_init = PLAST_INIT_NORMAL, sp.fb_scale = 0.5f;
        sp.fbb_init = PLAST_INIT_UNIFORM, sp.fbb_value = 0.1f;
        sp.out_fb_init = PLAST_INIT_NORMAL, sp.out_fb_value = 0.5f;
        plast_err err;
        REQUIRE(plast_learner_init(&g.L, &sp, plast_rule_find("flp"), g.opts, cls ? &plast_objective_classification : &plast_objective_regression, &err) == 0);
        plast_rng rng;
        plast_rng_seed(&rng, 77, gran);
        plast_learner_draw(&g.L, &rng);
        /* distinct P values so a wrong index shows */
        for (size_t i = 0; i < g.L.meta.n_floats; i++)
            g.L.meta.data[i] = 0.01f + 0.02f * plast_rng_uniform(&rng);
    }
    rig_start(&g);
    plast_rng r;
    plast_rng_seed(&r, 9, 9);
    float x[15], y[12];
    fill_normal(&r, x, 15, 1.0f);
    if (cls) fill_onehot(&r, y, 3, 4);
    else fill_normal(&r, y, 12, 1.0f);
    plast_episode_step(&g.ep, x, y, 3, NULL);
    for (int l = 0; l < 3; l++) {
        const plast_layer *l0 = &g.L.net.layer[l], *l1 = &g.ep.work.layer[l];
        size_t n = (size_t)l0->n_out * l0->n_in;
        double *W = malloc(n * sizeof *W);
        for (size_t k = 0; k < n; k++) W[k] = l0->W[k];
        flp_reference(&g, l, form, gran, relu_fb, gate, 3.0f, W);
        double worst = 0.0, moved = 0.0;
        for (size_t k = 0; k < n; k++) {
            worst = fmax(worst, fabs(W[k] - l1->W[k]));
            moved = fmax(moved, fabs(W[k] - l0->W[k]));
        }
        if (!(worst <= 1e-5 * (1.0 + moved)))
            fprintf(stderr, "flp form %d gran %d cls %d layer %d: worst %.3g\n", form, gran, cls, l, worst);
        CHECK(worst <= 1e-5 * (1.0 + moved));
        CHECK(moved > 1e-5);
        free(W);
    }
    rig_free(&g);
}

static void classification_ema(void)
{
    const int widths[1] = {3};
    const plast_act acts[1] = {PLAST_ACT_IDENTITY};
    rig g;
    rig_init(&g, "flp", 4, 1, widths, acts, 1, 1, 5);
    float *P = plast_pset_view(&g.L.meta, "P", 0);
    for (int i = 0; i < 12; i++) P[i] = 0.05f + 0.01f * i;
    rig_start(&g);
    const float x[4] = {0.3f, -1.0f, 2.0f, 0.5f}, y[3] = {0, 1, 0};
    plast_episode_step(&g.ep, x, y, 1, NULL);
    const float *W0 = g.L.net.layer[0].W, *W1 = g.ep.work.layer[0].W;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            double want = i == 1 ? W0[i * 4 + j] + P[i * 4 + j] * (x[j] - W0[i * 4 + j]) : W0[i * 4 + j];
            CHECK_NEAR(W1[i * 4 + j], want, 1e-6);
        }
    rig_free(&g);
}

/* Direct feedback reaches plastic layers only: a frozen layer has no B or c (so a frozen
 * representation moves between networks of other output widths), keeps its weights, and the
 * layers above it still learn; for flp and for dfa, whose signal hook would read it. */
static void frozen_direct(const char *rule)
{
    const int widths[3] = {5, 4, 3};
    const plast_act acts[3] = {PLAST_ACT_RELU, PLAST_ACT_RELU, PLAST_ACT_IDENTITY};
    rig f;
    REQUIRE(rig_try(&f, rule, 6, 3, widths, acts, 2, 1, 9, 1u /* layer 0 frozen */) == 0);
    CHECK(f.L.net.layer[0].n_fb == 0 && f.L.net.layer[0].B == NULL);
    CHECK(!plast_pset_find(&f.L.net.p, "B", 0) && !plast_pset_find(&f.L.net.p, "c", 0));
    CHECK(plast_pset_find(&f.L.net.p, "B", 1) && plast_pset_find(&f.L.net.p, "B", 2));
    if (plast_pset_find(&f.L.meta, "P", 1)) /* flp: a visible rate per synapse */
        for (int l = 1; l < 3; l++) {
            float *p = plast_pset_view(&f.L.meta, "P", l);
            for (int i = 0; i < widths[l] * widths[l - 1]; i++) p[i] = 0.01f;
        }
    rig_start(&f);
    plast_rng rng;
    plast_rng_seed(&rng, 4, 4);
    float x[12], y[6];
    fill_normal(&rng, x, 12, 1.0f);
    fill_onehot(&rng, y, 2, 3);
    float loss = plast_episode_step(&f.ep, x, y, 2, NULL);
    CHECK(isfinite(loss));
    CHECK(!memcmp(f.ep.work.layer[0].W, f.L.net.layer[0].W, 30 * sizeof(float)));
    for (int l = 1; l < 3; l++) {
        int n = widths[l] * widths[l - 1], moved = 0;
        for (int i = 0; i < n; i++) moved |= f.ep.work.layer[l].W[i] != f.L.net.layer[l].W[i];
        if (!moved) fprintf(stderr, "%s: layer %d did not learn\n", rule, l);
        CHECK(moved);
    }
    rig_free(&f);
}

static void hebb_reference(int gran)
{
    const int widths[2] = {6, 2};
    const plast_act acts[2] = {PLAST_ACT_SIGMOID, PLAST_ACT_IDENTITY};
    rig g;
    const plast_rule *r = plast_rule_find("hebb");
    plast_opts_defaults(&r->opts, g.opts);
    rig_init(&g, "hebb", 3, 2, widths, acts, 2, 0, 21);
    plast_learner_free(&g.L);
    set_opt(&g, "granularity", gran);
    plast_net_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.n_in = 3, sp.n_layers = 2;
    for (int l = 0; l < 2; l++) sp.width[l] = widths[l], sp.act[l] = acts[l], sp.plastic[l] = 1;
    sp.w_init = PLAST_INIT_XAVIER_UNIFORM, sp.w_gain = 1.0f;
    plast_err err;
    REQUIRE(plast_learner_init(&g.L, &sp, r, g.opts, &plast_objective_regression, &err) == 0);
    plast_rng rng;
    plast_rng_seed(&rng, 3, 3);
    plast_learner_draw(&g.L, &rng);
    for (size_t i = 0; i < g.L.meta.n_floats; i++) g.L.meta.data[i] = (float)plast_rng_normal(&rng) * 0.1f;
    rig_start(&g);
    float x[6], y[4];
    fill_normal(&rng, x, 6, 1.0f);
    fill_normal(&rng, y, 4, 1.0f);
    plast_episode_step(&g.ep, x, y, 2, NULL);
    for (int l = 0; l < 2; l++) {
        const plast_local *lc = &g.ep.local[l];
        const float *eta = plast_pset_view(&g.L.meta, "eta", l);
        const float *A = plast_pset_view(&g.L.meta, "hebb_A", l), *B = plast_pset_view(&g.L.meta, "hebb_B", l);
        const float *C = plast_pset_view(&g.L.meta, "hebb_C", l), *D = plast_pset_view(&g.L.meta, "hebb_D", l);
        for (int i = 0; i < lc->n_out; i++)
            for (int j = 0; j < lc->n_in; j++) {
                size_t k = (size_t)i * lc->n_in + j, q = gran ? k : 0;
                double dw = 0.0;
                for (int b = 0; b < 2; b++) {
                    double pre = lc->pre[b * lc->n_in + j], post = lc->post[b * lc->n_out + i];
                    dw += A[q] * pre * post + B[q] * pre + C[q] * post + D[q];
                }
                CHECK_NEAR(g.ep.work.layer[l].W[k], g.L.net.layer[l].W[k] + eta[0] * dw, 1e-5);
            }
    }
    rig_free(&g);
}

int main(void)
{
    plast_linalg_init();
    hand_step(0);
    hand_step(1);
    for (int form = 0; form < 2; form++)
        for (int gran = 0; gran < 4; gran++)
            for (int cls = 0; cls < 2; cls++) compare_reference(form, gran, cls, 1, 0, 0);
    compare_reference(0, 0, 0, 0, 0, 0); /* linear feedback */
    compare_reference(0, 1, 0, 1, 1, 0); /* gated feedback */
    for (int gran = 0; gran < 4; gran++) compare_reference(0, gran, 1, 1, 0, 1);
    classification_ema();
    frozen_direct("flp");
    frozen_direct("dfa");
    hebb_reference(0);
    hebb_reference(1);
    CHECK_DONE();
}
