/* test_terms.c — the term-library rule (rules/terms.c, PROTOCOLS.md §4).
 *
 * 1. One step against a plain double-precision reference of the definition, computed from
 *    scratch (forward pass, s, the chain of deltas through B and c, then
 *    dw_ij = eta sum_b sum_k theta_k T_k), on 3-layer networks (small, and wide enough for
 *    the BLAS path), regression and classification, with random theta for all 11 terms and
 *    with patterns of zeros that take the skipped-gemm branches. Tolerance 1e-5 relative to
 *    the largest update, which must not be zero; biases stay.
 * 2. With theta = pseudo_grad only and eta = lr / batch (terms sums over the minibatch, fa
 *    averages), five steps of `terms` equal five steps of `fa` (biases off) bit for bit.
 * 3. Planted-rule recovery: the weights after three short sine streams (11-8-1 network, 12
 *    steps of batch 4 each) under pure Oja (theta_oja = 1) are matched by CMA-ES over all 11
 *    theta, minimising |W - W_planted|^2 / |W_planted - W(0)|^2 + 1e-4 |theta|_1. The update
 *    depends on theta only through hebb + oja and y2_w - oja along that valley, so those two
 *    are the identifiable facts (= 1 and -1); the compact form (oja = 1, L1 norm 1) beats the
 *    split one (hebb = 1, y2_w = -1, L1 norm 2) only through the penalty (with lambda = 0,
 *    CMA-ES stops anywhere in the valley, e.g. oja = -0.53, and that check fails). Every
 *    other |theta| < 0.1, and the printed rule is the Oja term alone.
 * 4. The equation printer: an exact line for known theta, largest first, the threshold,
 *    "no surviving term", a set of another rule, a buffer too small; the rule's describe
 *    hook (what `plast show` prints) gives the same line.
 * (Locality: tests/test_locality.c covers every registered local rule, terms included.) */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "plast/optim.h"
#include "plast/terms.h"
#include "rig.h"

static double get_opt(const rig *g, const char *key)
{
    const plast_opt_table *t = &g->L.rule->opts;
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->opt[i].key, key)) return *(const float *)(g->opts + t->opt[i].offset);
    REQUIRE(0 && "unknown option");
    return 0.0;
}

static void set_theta(rig *g, const double th[PLAST_TERMS_N])
{
    plast_err err;
    REQUIRE(plast_terms_set_theta(&g->L.meta, th, &err) == PLAST_OK);
}

/* ---- 1. the double reference ---------------------------------------------------------------- */

static double act_d(plast_act f, double a)
{
    switch (f) {
    case PLAST_ACT_RELU: return a > 0 ? a : 0;
    case PLAST_ACT_TANH: return tanh(a);
    case PLAST_ACT_SIGMOID: return 1 / (1 + exp(-a));
    case PLAST_ACT_SOFTPLUS: return log1p(exp(a));
    default: return a;
    }
}

static double dact_d(plast_act f, double a)
{
    switch (f) {
    case PLAST_ACT_RELU: return a > 0 ? 1 : 0;
    case PLAST_ACT_TANH: return 1 - tanh(a) * tanh(a);
    case PLAST_ACT_SIGMOID: return exp(-a) / ((1 + exp(-a)) * (1 + exp(-a)));
    case PLAST_ACT_SOFTPLUS: return 1 / (1 + exp(-a));
    default: return 1;
    }
}

#define RL 3      /* layers */
#define RMAX 160  /* widest layer or input */
#define RB 4      /* largest batch */

/* New weights of every layer after one step of the definition, from the initial network. */
static void reference_step(const plast_net *net, const float *x, const float *y, int nb, int cls,
                           const double th[PLAST_TERMS_N], double eta, double *Wn[RL])
{
    static double a[RL][RB][RMAX], h[RL + 1][RB][RMAX], d[RL][RB][RMAX];
    /* h[0] is the input, h[l + 1] the output of layer l */
    for (int b = 0; b < nb; b++)
        for (int j = 0; j < net->n_in; j++) h[0][b][j] = x[b * net->n_in + j];
    for (int l = 0; l < RL; l++) {
        const plast_layer *ly = &net->layer[l];
        for (int b = 0; b < nb; b++)
            for (int i = 0; i < ly->n_out; i++) {
                double acc = ly->b[i];
                for (int j = 0; j < ly->n_in; j++) acc += (double)ly->W[i * ly->n_in + j] * h[l][b][j];
                a[l][b][i] = acc;
                h[l + 1][b][i] = act_d(ly->act, acc);
            }
    }
    /* s = -dL/d(output), then the deltas down the chain: fb_l = B_l delta_{l+1} + c_l */
    int no = net->n_out;
    for (int b = 0; b < nb; b++) {
        double s[RMAX], m = -INFINITY, z = 0;
        const double *out = h[RL][b];
        for (int i = 0; i < no; i++) m = fmax(m, out[i]);
        for (int i = 0; i < no; i++) z += exp(out[i] - m);
        for (int i = 0; i < no; i++)
            s[i] = cls ? y[b * no + i] - exp(out[i] - m) / z : y[b * no + i] - out[i];
        for (int i = 0; i < no; i++) d[RL - 1][b][i] = s[i] * dact_d(net->layer[RL - 1].act, a[RL - 1][b][i]);
        for (int l = RL - 2; l >= 0; l--) {
            const plast_layer *ly = &net->layer[l];
            int nu = net->layer[l + 1].n_out;
            for (int i = 0; i < ly->n_out; i++) {
                double fb = ly->c[i];
                for (int k = 0; k < nu; k++) fb += (double)ly->B[i * ly->n_fb + k] * d[l + 1][b][k];
                d[l][b][i] = fb * dact_d(ly->act, a[l][b][i]);
            }
        }
    }
    /* dw_ij = eta sum_b sum_k theta_k T_k, straight from the definition */
    for (int l = 0; l < RL; l++) {
        const plast_layer *ly = &net->layer[l];
        for (int i = 0; i < ly->n_out; i++)
            for (int j = 0; j < ly->n_in; j++) {
                double w = ly->W[i * ly->n_in + j], dw = 0;
                for (int b = 0; b < nb; b++) {
                    double xj = h[l][b][j], yi = h[l + 1][b][i], ei = d[l][b][i];
                    double pj = l ? d[l - 1][b][j] : 0.0; /* eps: the pre-synaptic delta */
                    double T[PLAST_TERMS_N] = {ei * xj,      ei * pj,      yi * xj,     yi * pj,
                                               yi * yi * w,  ei * ei * w,  yi * ei * w, xj * xj * w,
                                               pj * pj * w,  xj * pj * w,  yi * xj - yi * yi * w};
                    for (int k = 0; k < PLAST_TERMS_N; k++) dw += th[k] * T[k];
                }
                Wn[l][i * ly->n_in + j] = w + eta * dw;
            }
    }
}

/* pattern 0: all 11 random; 1: pseudo_grad, error_hebb and the post-w terms zero (gemms on y
 * and eps alone, pre-side decay only); 2: only the w-scaled terms (no gemm at all). */
static void compare_reference(int cls, int wide, int pattern, uint64_t seed)
{
    const int widths[RL] = {wide ? 150 : 9, wide ? 70 : 7, 4};
    const plast_act acts[RL] = {PLAST_ACT_TANH, PLAST_ACT_SOFTPLUS, PLAST_ACT_IDENTITY};
    const int nb = 3, n_in = 5;
    rig g;
    rig_init(&g, "terms", n_in, RL, widths, acts, nb, cls, seed);
    plast_rng r;
    plast_rng_seed(&r, seed, 5);
    double th[PLAST_TERMS_N];
    for (int k = 0; k < PLAST_TERMS_N; k++) th[k] = plast_rng_normal(&r);
    if (pattern == 1) th[0] = th[1] = th[4] = th[5] = th[6] = 0.0;
    if (pattern == 2) th[0] = th[1] = th[2] = th[3] = th[10] = 0.0;
    set_theta(&g, th);
    /* Steps of a few percent of |W|, so that float32 rounding of W (~3e-8) stays well
     * inside the tolerance. */
    set_opt(&g, "eta", 0.05);
    double theta_f[PLAST_TERMS_N]; /* what the engine sees: theta rounded to float */
    plast_err err;
    REQUIRE(plast_terms_theta(&g.L.meta, theta_f, &err) == PLAST_OK);
    rig_start(&g);
    float x[RB * 5], y[RB * 4];
    fill_normal(&r, x, nb * n_in, 1.0f);
    if (cls) fill_onehot(&r, y, nb, 4);
    else fill_normal(&r, y, nb * 4, 1.0f);
    plast_episode_step(&g.ep, x, y, nb, NULL);

    double *Wn[RL];
    for (int l = 0; l < RL; l++) Wn[l] = malloc(sizeof(double) * RMAX * RMAX);
    reference_step(&g.L.net, x, y, nb, cls, theta_f, get_opt(&g, "eta"), Wn);
    for (int l = 0; l < RL; l++) {
        const plast_layer *l0 = &g.L.net.layer[l], *l1 = &g.ep.work.layer[l];
        size_t n = (size_t)l0->n_out * l0->n_in;
        double worst = 0.0, moved = 0.0;
        for (size_t k = 0; k < n; k++) {
            worst = fmax(worst, fabs(Wn[l][k] - l1->W[k]));
            moved = fmax(moved, fabs(Wn[l][k] - l0->W[k]));
        }
        if (!(worst <= 1e-5 * moved) || !(moved > 1e-3))
            fprintf(stderr, "terms cls %d wide %d pattern %d layer %d: worst %.3g moved %.3g\n", cls,
                    wide, pattern, l, worst, moved);
        CHECK(worst <= 1e-5 * moved);
        CHECK(moved > 1e-3); /* the step is not zero */
        CHECK(memcmp(l0->b, l1->b, sizeof(float) * l0->n_out) == 0); /* biases are not plastic */
    }
    for (int l = 0; l < RL; l++) free(Wn[l]);
    rig_free(&g);
}

/* ---- 2. pseudo_grad alone is FA -------------------------------------------------------------- */

static void same_as_fa(int nb, int cls)
{
    const int widths[3] = {8, 6, 3};
    const plast_act acts[3] = {PLAST_ACT_TANH, PLAST_ACT_RELU, PLAST_ACT_IDENTITY};
    rig f, t;
    rig_init(&f, "fa", 5, 3, widths, acts, nb, cls, 31);
    rig_init(&t, "terms", 5, 3, widths, acts, nb, cls, 32);
    REQUIRE(plast_pset_same_layout(&f.L.net.p, &t.L.net.p));
    memcpy(t.L.net.p.data, f.L.net.p.data, sizeof(float) * f.L.net.p.n_floats); /* W, b, B, c */
    set_opt(&f, "biases", 0);
    float lr = 0.05f;
    plast_pset_view(&f.L.meta, "lr", -1)[0] = lr;
    set_opt(&t, "eta", lr / (float)nb);
    const double th[PLAST_TERMS_N] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    set_theta(&t, th);
    rig_start(&f);
    rig_start(&t);
    plast_rng r;
    plast_rng_seed(&r, 6, (uint64_t)nb);
    for (int s = 0; s < 5; s++) {
        float x[RB * 5], y[RB * 3];
        fill_normal(&r, x, nb * 5, 1.0f);
        if (cls) fill_onehot(&r, y, nb, 3);
        else fill_normal(&r, y, nb * 3, 1.0f);
        plast_episode_step(&f.ep, x, y, nb, NULL);
        plast_episode_step(&t.ep, x, y, nb, NULL);
    }
    double moved = 0.0;
    for (size_t i = 0; i < f.L.net.p.n_floats; i++)
        moved = fmax(moved, fabs((double)f.ep.work.p.data[i] - f.L.net.p.data[i]));
    int same = !memcmp(f.ep.work.p.data, t.ep.work.p.data, sizeof(float) * f.L.net.p.n_floats);
    if (!same) fprintf(stderr, "terms(pseudo_grad) differs from fa: batch %d cls %d\n", nb, cls);
    CHECK(same);
    CHECK(moved > 1e-3);
    rig_free(&f);
    rig_free(&t);
}

/* ---- 3. planted-rule recovery ---------------------------------------------------------------- */

#define N_STREAMS 3

typedef struct planted {
    rig g;
    plast_stream st[N_STREAMS];
    float *target[N_STREAMS]; /* the network's parameters after each stream under the plant */
    double scale;             /* sum over streams of |W_planted(K) - W(0)|^2 */
} planted;

/* Runs every stream from the initial network under the current theta; returns
 * sum |W(K) - target|^2 (when target is set), or records the targets. */
static double run_streams(planted *p, int record)
{
    plast_episode *ep = &p->g.ep;
    const plast_task_shape *sh = &p->g.shape;
    size_t n = ep->work.p.n_floats;
    double sse = 0.0;
    for (int k = 0; k < N_STREAMS; k++) {
        const plast_stream *s = &p->st[k];
        plast_episode_reset(ep);
        for (int t = 0; t < s->n_steps; t++)
            plast_episode_step(ep, s->x + (size_t)t * sh->batch * sh->n_in,
                               s->y + (size_t)t * sh->batch * sh->n_out, sh->batch, NULL);
        if (record) memcpy(p->target[k], ep->work.p.data, n * sizeof(float));
        for (size_t i = 0; i < n; i++) {
            double dd = (double)ep->work.p.data[i] - (record ? p->g.L.net.p.data[i] : p->target[k][i]);
            sse += dd * dd;
        }
    }
    return sse;
}

static void planted_oja(void)
{
    clock_t t0 = clock();
    const plast_task *task = plast_task_find("sine");
    REQUIRE(task);
    _Alignas(16) unsigned char topts[4096];
    plast_opts_defaults(&task->opts, topts);
    for (int i = 0; i < task->opts.n; i++) {
        const plast_opt *o = &task->opts.opt[i];
        if (!strcmp(o->key, "n_functions")) *(int *)(topts + o->offset) = 3;
        if (!strcmp(o->key, "n_batches")) *(int *)(topts + o->offset) = 4;
        if (!strcmp(o->key, "batch")) *(int *)(topts + o->offset) = 4;
        if (!strcmp(o->key, "n_query")) *(int *)(topts + o->offset) = 1;
    }
    plast_task_shape sh;
    plast_err err;
    REQUIRE(task->shape(topts, &sh, &err) == PLAST_OK);
    void *state = task->create(topts, 1, &err);
    REQUIRE(state);

    static planted p;
    const int widths[2] = {8, 1};
    const plast_act acts[2] = {PLAST_ACT_TANH, PLAST_ACT_IDENTITY};
    rig_init(&p.g, "terms", sh.n_in, 2, widths, acts, sh.batch, 0, 2023);
    p.g.shape = sh;
    rig_start(&p.g);
    for (int k = 0; k < N_STREAMS; k++) {
        REQUIRE(plast_stream_init(&p.st[k], &sh, &err) == PLAST_OK);
        plast_rng r;
        plast_rng_derive(&r, 77, 0, (uint64_t)k, 0);
        task->draw(state, &r, &p.st[k]);
        p.target[k] = malloc(sizeof(float) * p.g.ep.work.p.n_floats);
    }
    /* The plant: pure Oja. */
    double th[PLAST_TERMS_N] = {0};
    th[10] = 1.0;
    set_theta(&p.g, th);
    p.scale = run_streams(&p, 1);
    REQUIRE(isfinite(p.scale) && p.scale > 1e-6);

    /* Recovery: CMA-ES from theta = 0 on |W - W_planted|^2 / scale + lambda |theta|_1. */
    const double lambda = 1e-4;
    plast_optim_cfg cfg;
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_CMAES, PLAST_TERMS_N);
    cfg.sigma0 = 0.5;
    cfg.seed = 7;
    cfg.max_evals = 20000;
    cfg.tolx = 1e-6;
    plast_optim *o = plast_optim_new(&cfg, NULL, &err);
    REQUIRE(o);
    int lam = plast_optim_popsize(o);
    double *f = malloc(sizeof(double) * lam), cand[PLAST_TERMS_N];
    while (!plast_optim_stop(o)) {
        for (int m = 0; m < lam; m++) {
            plast_optim_ask(o, m, cand);
            set_theta(&p.g, cand);
            double l1 = 0.0;
            for (int k = 0; k < PLAST_TERMS_N; k++) l1 += fabs(cand[k]);
            double v = run_streams(&p, 0) / p.scale + lambda * l1;
            f[m] = isfinite(v) ? v : INFINITY;
        }
        REQUIRE(plast_optim_tell(o, f, &err) == PLAST_OK);
    }
    const double *best = plast_optim_best_x(o);
    set_theta(&p.g, best);
    REQUIRE(plast_terms_theta(&p.g.L.meta, th, &err) == PLAST_OK);
    double fit = run_streams(&p, 0) / p.scale;
    fprintf(stderr, "planted oja: stop %s after %ld evals, relative misfit %.3g, theta:",
            plast_optim_stop(o), plast_optim_evals(o), fit);
    for (int k = 0; k < PLAST_TERMS_N; k++) fprintf(stderr, " %s %.4f", plast_terms_names[k], th[k]);
    fprintf(stderr, "\n");

    /* Identifiable for certain: the update only sees hebb + oja and y2_w - oja. */
    CHECK_NEAR(th[2] + th[10], 1.0, 0.05);
    CHECK_NEAR(th[4] - th[10], -1.0, 0.05);
    /* L1 prefers the compact form: |oja| = 1 beats |hebb| + |y2_w| = 2. */
    CHECK_NEAR(th[10], 1.0, 0.1);
    for (int k = 0; k < 10; k++) {
        if (!(fabs(th[k]) < 0.1)) fprintf(stderr, "term %s = %g\n", plast_terms_names[k], th[k]);
        CHECK(fabs(th[k]) < 0.1);
    }
    CHECK(fit < 1e-3);
    char buf[256], want[256];
    REQUIRE(plast_terms_equation(&p.g.L.meta, p.g.opts, 0.1, buf, sizeof buf, &err) == PLAST_OK);
    snprintf(want, sizeof want, "dw_ij = 0.01 * sum_b ( %.3g (y_i x_j - y_i^2 w_ij) )", th[10]);
    fprintf(stderr, "recovered: %s\n", buf);
    CHECK(strcmp(buf, want) == 0);

    free(f);
    plast_optim_delete(o);
    for (int k = 0; k < N_STREAMS; k++) plast_stream_free(&p.st[k]), free(p.target[k]);
    rig_free(&p.g);
    task->destroy(state);
    fprintf(stderr, "planted oja: %.2f s\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
}

/* ---- 4. the equation ------------------------------------------------------------------------ */

static void equation(void)
{
    const int widths[2] = {4, 2};
    const plast_act acts[2] = {PLAST_ACT_TANH, PLAST_ACT_IDENTITY};
    rig g;
    rig_init(&g, "terms", 3, 2, widths, acts, 1, 0, 1);
    plast_err err;
    char buf[512];
    /* default init: pseudo_grad alone */
    REQUIRE(plast_terms_equation(&g.L.meta, g.opts, 0.0, buf, sizeof buf, &err) == PLAST_OK);
    CHECK(strcmp(buf, "dw_ij = 0.01 * sum_b ( 1 e_i x_j )") == 0);
    double th[PLAST_TERMS_N] = {0.98, 0, 0, 0, -0.03, 0.004, 0, 0, 0, -0.25, 0.5};
    set_theta(&g, th);
    REQUIRE(plast_terms_equation(&g.L.meta, g.opts, 0.01, buf, sizeof buf, &err) == PLAST_OK);
    CHECK(strcmp(buf, "dw_ij = 0.01 * sum_b ( 0.98 e_i x_j + 0.5 (y_i x_j - y_i^2 w_ij)"
                      " - 0.25 x_j eps_j w_ij - 0.03 y_i^2 w_ij )") == 0);
    REQUIRE(plast_terms_equation(&g.L.meta, NULL, 0.3, buf, sizeof buf, &err) == PLAST_OK);
    CHECK(strcmp(buf, "dw_ij = eta * sum_b ( 0.98 e_i x_j + 0.5 (y_i x_j - y_i^2 w_ij) )") == 0);
    th[0] = -2.0;
    set_theta(&g, th);
    REQUIRE(plast_terms_equation(&g.L.meta, g.opts, 1.0, buf, sizeof buf, &err) == PLAST_OK);
    CHECK(strcmp(buf, "dw_ij = 0.01 * sum_b ( -2 e_i x_j )") == 0);
    REQUIRE(plast_terms_equation(&g.L.meta, g.opts, 5.0, buf, sizeof buf, &err) == PLAST_OK);
    CHECK(strstr(buf, "no surviving term") != NULL);
    /* the rule's describe hook (plast show) prints the same line at PLAST_TERMS_THRESHOLD */
    char eq[512];
    REQUIRE(plast_terms_equation(&g.L.meta, g.opts, PLAST_TERMS_THRESHOLD, eq, sizeof eq, &err) == 0);
    CHECK(plast_rule_describe(g.L.rule, g.opts, &g.L.meta, buf, sizeof buf) == (int)strlen(eq));
    CHECK(strcmp(buf, eq) == 0 && strstr(eq, "-2 e_i x_j + 0.5 (y_i x_j") != NULL);
    /* the theta round trip */
    double back[PLAST_TERMS_N];
    REQUIRE(plast_terms_theta(&g.L.meta, back, &err) == PLAST_OK);
    for (int k = 0; k < PLAST_TERMS_N; k++) CHECK(back[k] == (double)(float)th[k]);
    /* a buffer too small: an error, and still a string */
    char small[16];
    CHECK(plast_terms_equation(&g.L.meta, g.opts, 0.0, small, sizeof small, &err) == PLAST_E_USAGE);
    CHECK(strlen(small) < sizeof small);
    /* another rule's parameters */
    rig f;
    rig_init(&f, "fa", 3, 2, widths, acts, 1, 0, 1);
    CHECK(plast_terms_equation(&f.L.meta, NULL, 0.0, buf, sizeof buf, &err) == PLAST_E_DATA);
    CHECK(plast_terms_theta(&f.L.meta, back, &err) == PLAST_E_DATA);
    plast_learner_free(&f.L); /* no episode was started */
    plast_learner_free(&g.L);
}

int main(void)
{
    plast_linalg_init();
    uint64_t seed = 100;
    for (int cls = 0; cls < 2; cls++)
        for (int pattern = 0; pattern < 3; pattern++) compare_reference(cls, 0, pattern, seed++);
    compare_reference(0, 1, 0, seed++);
    compare_reference(1, 1, 0, seed++);
    for (int cls = 0; cls < 2; cls++) {
        same_as_fa(1, cls);
        same_as_fa(4, cls);
    }
    equation();
    planted_oja();
    CHECK_DONE();
}
