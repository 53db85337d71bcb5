/* test_layers.c — the layer kinds against plain references and calculus.
 *
 * 1. Conv and pool forward equal a plain double loop (to 1e-5 relative), through OpenBLAS
 *    and through the plain C gemm, for strides 1 and 2, padding 0 and 1, several channel
 *    counts, batch 1 and 7.
 * 2. Their backward (input VJP) and the parameter kernels (outer = dL/dW, rowaxpy = dL/db)
 *    equal central finite differences of L = sum d (.) a in double, and are not zero;
 *    rowdot and patchdot equal plain sums over batch and positions.
 * 3. An FLP (Oja, per synapse) and a Hebbian step on a tiny conv layer equal a hand
 *    computation from the step's own signals.
 * 4. sgd through conv + pool + dense moves every weight and bias by -lr times the central
 *    difference gradient of the minibatch loss (computed in double), and not by zero; fa
 *    with its feedback set to the forward weights (the transposed convolution with an
 *    untied kernel equal to W) makes the same step.
 * 5. Shapes that do not fit are config errors naming net.layers[i].key. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plast/episode.h"
#include "plast/layer.h"
#include "plast/linalg.h"
#include "plast/registry.h"

static double rel_err(double a, double b)
{
    return fabs(a - b) / (fabs(b) > 1.0 ? fabs(b) : 1.0);
}

/* Double reference of a kind's pre-activation (direct loops, no im2col). */
static void forward_ref(const plast_kind *k, const double *W, const double *bias, const double *x,
                        int nb, double *a)
{
    size_t ni = (size_t)k->in_c * k->in_h * k->in_w, no = (size_t)k->out_c * k->out_h * k->out_w;
    for (int b = 0; b < nb; b++) {
        const double *xb = x + b * ni;
        double *ab = a + b * no;
        for (int o = 0; o < k->out_c; o++)
            for (int oh = 0; oh < k->out_h; oh++)
                for (int ow = 0; ow < k->out_w; ow++) {
                    double v;
                    if (k->type == PLAST_LAYER_CONV) {
                        v = bias[o];
                        for (int c = 0; c < k->in_c; c++)
                            for (int ki = 0; ki < k->k; ki++)
                                for (int kj = 0; kj < k->k; kj++) {
                                    int ih = oh * k->stride - k->pad + ki, iw = ow * k->stride - k->pad + kj;
                                    if (ih < 0 || iw < 0 || ih >= k->in_h || iw >= k->in_w) continue;
                                    v += W[(size_t)o * k->cols + (c * k->k + ki) * k->k + kj] *
                                         xb[((size_t)c * k->in_h + ih) * k->in_w + iw];
                                }
                    } else { /* pool */
                        v = k->op == PLAST_POOL_MAX ? -INFINITY : 0.0;
                        for (int ki = 0; ki < k->k; ki++)
                            for (int kj = 0; kj < k->k; kj++) {
                                double u = xb[((size_t)o * k->in_h + oh * k->stride + ki) * k->in_w +
                                              ow * k->stride + kj];
                                v = k->op == PLAST_POOL_MAX ? fmax(v, u) : v + u / (k->k * k->k);
                            }
                    }
                    ab[((size_t)o * k->out_h + oh) * k->out_w + ow] = v;
                }
    }
}

static plast_kind make_kind(plast_layer_type type, int c, int h, int w, int out_c, int ks,
                            int stride, int pad, int op)
{
    plast_net_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.n_layers = 1;
    sp.width[0] = out_c;
    sp.kind[0] = (plast_layer_spec){type, ks, stride, pad, op};
    plast_kind k;
    plast_err err;
    REQUIRE(plast_kind_make(&sp, 0, c, h, w, &k, "test", &err) == PLAST_OK);
    return k;
}

static void fill(plast_rng *r, float *f, double *d, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++) {
        f[i] = (float)(scale * plast_rng_normal(r));
        d[i] = f[i];
    }
}

/* 1 and 2 for one geometry. */
static void kind_checks(const plast_kind *k, int nb)
{
    size_t ni = (size_t)k->in_c * k->in_h * k->in_w, no = (size_t)k->out_c * k->out_h * k->out_w;
    size_t nw = (size_t)k->rows * k->cols, n_work = plast_kind_work_floats(k) + 1;
    plast_rng r;
    plast_rng_seed(&r, (uint64_t)(ni * 31 + no), (uint64_t)nb);
    float *x = malloc(nb * ni * 4), *W = malloc((nw + 1) * 4), *b = malloc((k->rows + 1) * 4);
    float *a = malloc(nb * no * 4), *a2 = malloc(nb * no * 4), *d = malloc(nb * no * 4);
    float *g = malloc(nb * ni * 4), *G = malloc((nw + 1) * 4), *gb = calloc(k->rows + 1, 4);
    float *work = malloc(n_work * 4), *rd = malloc((k->rows + 1) * 4), *pd = malloc((k->cols + 1) * 4);
    double *xd = malloc(nb * ni * 8), *Wd = malloc((nw + 1) * 8), *bd = malloc((k->rows + 1) * 8);
    double *ad = malloc(nb * no * 8), *dd = malloc(nb * no * 8), *ap = malloc(nb * no * 8);
    fill(&r, x, xd, nb * ni, 1.0);
    fill(&r, W, Wd, nw, 0.5);
    fill(&r, b, bd, k->rows, 0.5);
    fill(&r, d, dd, nb * no, 1.0);

    /* 1: forward */
    forward_ref(k, Wd, bd, xd, nb, ad);
    plast_kind_forward(k, W, b, x, nb, a, work, plast_gemm);
    plast_kind_forward(k, W, b, x, nb, a2, work, plast_gemm_ref);
    double worst = 0.0;
    for (size_t i = 0; i < nb * no; i++) worst = fmax(worst, fmax(rel_err(a[i], ad[i]), rel_err(a2[i], ad[i])));
    if (worst > 1e-5) fprintf(stderr, "forward %s: worst %g\n", plast_layer_names[k->type], worst);
    CHECK(worst <= 1e-5);

    /* 2: L = sum d (.) a; dL/dx by central differences in double */
    plast_kind_backward(k, W, x, d, nb, g, work, plast_gemm);
    double h = 1e-4, gmax = 0.0;
    worst = 0.0;
    for (size_t i = 0; i < nb * ni; i++) {
        double keep = xd[i], lp = 0.0, lm = 0.0;
        xd[i] = keep + h;
        forward_ref(k, Wd, bd, xd, nb, ap);
        for (size_t j = 0; j < nb * no; j++) lp += dd[j] * ap[j];
        xd[i] = keep - h;
        forward_ref(k, Wd, bd, xd, nb, ap);
        for (size_t j = 0; j < nb * no; j++) lm += dd[j] * ap[j];
        xd[i] = keep;
        double fd = (lp - lm) / (2 * h);
        worst = fmax(worst, rel_err(g[i], fd));
        gmax = fmax(gmax, fabs(fd));
    }
    if (worst > 1e-3) fprintf(stderr, "backward %s: worst %g\n", plast_layer_names[k->type], worst);
    CHECK(worst <= 1e-3 && gmax > 0.0);
    if (k->type == PLAST_LAYER_CONV) {
        plast_kind_outer(k, d, x, nb, 0, k->rows, 1.0f, 0.0f, G, work);
        plast_kind_rowaxpy(k, d, nb, 1.0f, gb);
        worst = 0.0, gmax = 0.0;
        for (size_t i = 0; i < nw + k->rows; i++) {
            double *p = i < nw ? &Wd[i] : &bd[i - nw];
            double keep = *p, lp = 0.0, lm = 0.0;
            *p = keep + h;
            forward_ref(k, Wd, bd, xd, nb, ap);
            for (size_t j = 0; j < nb * no; j++) lp += dd[j] * ap[j];
            *p = keep - h;
            forward_ref(k, Wd, bd, xd, nb, ap);
            for (size_t j = 0; j < nb * no; j++) lm += dd[j] * ap[j];
            *p = keep;
            double fd = (lp - lm) / (2 * h);
            worst = fmax(worst, rel_err(i < nw ? G[i] : gb[i - nw], fd));
            gmax = fmax(gmax, fabs(fd));
        }
        if (worst > 1e-3) fprintf(stderr, "outer/rowaxpy: worst %g\n", worst);
        CHECK(worst <= 1e-3 && gmax > 0.0);
        /* rowdot (d . a) and patchdot (x . x) against plain sums */
        plast_kind_rowdot(k, d, a, nb, rd);
        worst = 0.0;
        for (int o = 0; o < k->rows; o++) {
            double s = 0.0;
            for (int bb = 0; bb < nb; bb++)
                for (int p = 0; p < k->positions; p++) {
                    size_t at = bb * no + (size_t)o * k->positions + p;
                    s += (double)d[at] * a[at];
                }
            worst = fmax(worst, rel_err(rd[o], s));
        }
        plast_kind_patchdot(k, x, x, nb, pd, work);
        for (int j = 0; j < k->cols; j++) {
            int c = j / (k->k * k->k), ki = j / k->k % k->k, kj = j % k->k;
            double s = 0.0;
            for (int bb = 0; bb < nb; bb++)
                for (int oh = 0; oh < k->out_h; oh++)
                    for (int ow = 0; ow < k->out_w; ow++) {
                        int ih = oh * k->stride - k->pad + ki, iw = ow * k->stride - k->pad + kj;
                        if (ih < 0 || iw < 0 || ih >= k->in_h || iw >= k->in_w) continue;
                        double v = xd[bb * ni + ((size_t)c * k->in_h + ih) * k->in_w + iw];
                        s += v * v;
                    }
            worst = fmax(worst, rel_err(pd[j], s));
        }
        CHECK(worst <= 1e-5);
    }
    free(x), free(W), free(b), free(a), free(a2), free(d), free(g), free(G), free(gb), free(work);
    free(rd), free(pd), free(xd), free(Wd), free(bd), free(ad), free(dd), free(ap);
}

/* A learner on a hand-made spec: input c x h x w, the given layers, then a dense output. */
static void learner(plast_learner *L, const char *rule, void *opts, int c, int h, int w,
                    int n_layers, const plast_layer_spec *kinds, const int *width,
                    const plast_act *act, const int *plastic)
{
    const plast_rule *r = plast_rule_find(rule);
    REQUIRE(r);
    plast_opts_defaults(&r->opts, opts);
    plast_net_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.n_in = c * h * w, sp.in_c = c, sp.in_h = h, sp.in_w = w;
    sp.n_layers = n_layers;
    for (int l = 0; l < n_layers; l++)
        sp.kind[l] = kinds[l], sp.width[l] = width[l], sp.act[l] = act[l], sp.plastic[l] = plastic[l];
    sp.w_init = PLAST_INIT_KAIMING_UNIFORM, sp.w_gain = 1.0f;
    sp.b_init = PLAST_INIT_UNIFORM, sp.b_value = 0.2f;
    sp.fb_init = PLAST_INIT_NORMAL, sp.fb_scale = 0.5f;
    sp.fbb_init = PLAST_INIT_UNIFORM, sp.fbb_value = 0.1f;
    sp.out_fb_init = PLAST_INIT_NORMAL, sp.out_fb_value = 0.5f;
    plast_err err;
    int rc = plast_learner_init(L, &sp, r, opts, &plast_objective_regression, &err);
    if (rc) fprintf(stderr, "%s: %s\n", err.where, err.msg);
    REQUIRE(rc == PLAST_OK);
    plast_rng rng;
    plast_rng_seed(&rng, 3, 1);
    plast_learner_draw(L, &rng);
}

static void episode(plast_episode *ep, const plast_learner *L, int nb)
{
    plast_task_shape sh;
    memset(&sh, 0, sizeof sh);
    sh.objective = &plast_objective_regression;
    sh.n_in = L->net.n_in, sh.n_out = L->net.n_out, sh.batch = nb;
    sh.max_steps = sh.n_seg = sh.n_query = 1;
    plast_err err;
    REQUIRE(plast_episode_init(ep, L, &sh, &err) == PLAST_OK);
    plast_episode_reset(ep);
}

/* 3: a 1x3x3 input, one 2x2 conv channel (4 positions), a frozen dense output of 2. */
static void tiny_steps(void)
{
    const plast_layer_spec kinds[2] = {{PLAST_LAYER_CONV, 2, 1, 0, 0}, {PLAST_LAYER_DENSE, 0, 0, 0, 0}};
    const int width[2] = {1, 2}, plastic[2] = {1, 0};
    const plast_act act[2] = {PLAST_ACT_RELU, PLAST_ACT_IDENTITY};
    const float x[18] = {0.5f, -1.0f, 0.25f, 1.0f, 0.75f, -0.5f, 0.2f, 0.4f, 1.5f,
                         -0.3f, 0.8f, 0.1f, 0.6f, -0.2f, 0.9f, 1.1f, 0.3f, -0.7f};
    const float y[4] = {1.0f, -0.5f, 0.2f, 0.7f};
    for (int rule = 0; rule < 2; rule++) {
        _Alignas(16) unsigned char opts[4096];
        plast_learner L;
        learner(&L, rule ? "hebb" : "flp", opts, 1, 3, 3, 2, kinds, width, act, plastic);
        float *P = rule ? NULL : plast_pset_view(&L.meta, "P", 0);
        if (P) {
            CHECK(plast_pset_find(&L.meta, "P", 0)->rows == 1 && plast_pset_find(&L.meta, "P", 0)->cols == 4);
            for (int j = 0; j < 4; j++) P[j] = 0.05f + 0.02f * j;
            plast_pset_view(&L.meta, "beta", 0)[0] = 0.4f;
        } else {
            plast_pset_view(&L.meta, "eta", 0)[0] = 0.1f;
            const char *names[4] = {"hebb_A", "hebb_B", "hebb_C", "hebb_D"};
            const float v[4] = {1.0f, 0.3f, -0.2f, 0.05f};
            for (int q = 0; q < 4; q++) plast_pset_view(&L.meta, names[q], 0)[0] = v[q];
        }
        plast_episode ep;
        episode(&ep, &L, 2);
        plast_episode_step(&ep, x, y, 2, NULL);
        const plast_local *lc = &ep.local[0];
        const float *W0 = L.net.layer[0].W, *W1 = ep.work.layer[0].W;
        /* by hand: 4 positions p = (oh, ow) of 2x2 patches of the 3x3 input */
        double want[4], G[4] = {0}, d = 0.0, sp[4] = {0}, spost = 0.0;
        for (int b = 0; b < 2; b++)
            for (int p = 0; p < 4; p++) {
                int oh = p / 2, ow = p % 2;
                double post = lc->post[b * 4 + p], u;
                if (rule) {
                    u = post;
                } else {
                    double f = lc->fb[b * 4 + p] > 0 ? lc->fb[b * 4 + p] : 0.0;
                    u = 0.4 * f + 0.6 * post;
                }
                d += u * u;
                spost += u;
                for (int j = 0; j < 4; j++) {
                    double patch = x[b * 9 + (oh + j / 2) * 3 + ow + j % 2];
                    G[j] += u * patch;
                    sp[j] += patch;
                }
            }
        for (int j = 0; j < 4; j++)
            want[j] = rule ? W0[j] + 0.1 * (1.0 * G[j] + 0.3 * sp[j] - 0.2 * spost + 0.05 * 8)
                           : W0[j] + P[j] * (G[j] - d * W0[j]);
        double worst = 0.0, moved = 0.0;
        for (int j = 0; j < 4; j++) {
            worst = fmax(worst, fabs(W1[j] - want[j]));
            moved = fmax(moved, fabs(W1[j] - W0[j]));
        }
        if (worst > 1e-5) fprintf(stderr, "%s on conv: worst %g\n", rule ? "hebb" : "flp", worst);
        CHECK(worst <= 1e-5 && moved > 1e-3);
        plast_episode_free(&ep);
        plast_learner_free(&L);
    }
}

/* Double forward of the whole network (weights perturbed at one index) and its loss. */
static double net_loss(const plast_net *net, const float *x, const float *y, int nb,
                       const float *which, size_t idx, double h)
{
    double total = 0.0;
    double *buf[2];
    size_t widest = (size_t)net->n_in;
    for (int l = 0; l < net->n_layers; l++)
        if ((size_t)net->layer[l].n_out > widest) widest = net->layer[l].n_out;
    buf[0] = malloc(widest * 8), buf[1] = malloc(widest * 8);
    double *Wd = malloc(4096 * 8), *bd = malloc(512 * 8);
    for (int b = 0; b < nb; b++) {
        double *in = buf[0], *out = buf[1];
        for (int i = 0; i < net->n_in; i++) in[i] = x[b * net->n_in + i];
        for (int l = 0; l < net->n_layers; l++) {
            const plast_layer *ly = &net->layer[l];
            const plast_kind *k = &ly->kind;
            size_t nw = (size_t)k->rows * k->cols;
            REQUIRE(nw <= 4096 && k->rows <= 512);
            for (size_t i = 0; i < nw; i++) Wd[i] = ly->W[i] + (which == ly->W && idx == i ? h : 0.0);
            for (int i = 0; i < k->rows; i++) bd[i] = ly->b[i] + (which == ly->b && idx == (size_t)i ? h : 0.0);
            if (k->type == PLAST_LAYER_DENSE) {
                for (int i = 0; i < ly->n_out; i++) {
                    double a = bd[i];
                    for (int j = 0; j < ly->n_in; j++) a += Wd[(size_t)i * ly->n_in + j] * in[j];
                    out[i] = a;
                }
            } else {
                forward_ref(k, Wd, bd, in, 1, out);
            }
            for (int i = 0; i < ly->n_out; i++)
                if (ly->act == PLAST_ACT_RELU) out[i] = out[i] > 0 ? out[i] : 0;
                else if (ly->act == PLAST_ACT_TANH) out[i] = tanh(out[i]);
            double *t = in;
            in = out, out = t;
        }
        for (int i = 0; i < net->n_out; i++) total += 0.5 * (y[b * net->n_out + i] - in[i]) * (y[b * net->n_out + i] - in[i]);
    }
    free(buf[0]), free(buf[1]), free(Wd), free(bd);
    return total / nb;
}

/* 4: sgd through conv (2 channels, pad 1) + max pool + dense tanh + dense output. */
static void sgd_gradient(void)
{
    const plast_layer_spec kinds[4] = {{PLAST_LAYER_CONV, 3, 1, 1, 0}, {PLAST_LAYER_POOL, 2, 2, 0, PLAST_POOL_MAX},
                                       {PLAST_LAYER_DENSE, 0, 0, 0, 0}, {PLAST_LAYER_DENSE, 0, 0, 0, 0}};
    const int width[4] = {2, 0, 5, 2}, plastic[4] = {1, 0, 1, 1};
    const plast_act act[4] = {PLAST_ACT_TANH, PLAST_ACT_IDENTITY, PLAST_ACT_TANH, PLAST_ACT_IDENTITY};
    _Alignas(16) unsigned char opts[4096];
    plast_learner L;
    learner(&L, "sgd", opts, 1, 6, 6, 4, kinds, width, act, plastic);
    CHECK(L.net.layer[1].n_out == 18 && L.net.layer[2].n_in == 18 && L.net.layer[1].W == NULL);
    float lr = 0.05f;
    plast_pset_view(&L.meta, "lr", -1)[0] = lr;
    plast_rng r;
    plast_rng_seed(&r, 8, 8);
    float x[3 * 36], y[6];
    for (int i = 0; i < 3 * 36; i++) x[i] = (float)plast_rng_normal(&r);
    for (int i = 0; i < 6; i++) y[i] = (float)plast_rng_normal(&r);
    plast_episode ep;
    episode(&ep, &L, 3);
    plast_episode_step(&ep, x, y, 3, NULL);
    double worst = 0.0, gmax = 0.0;
    for (int l = 0; l < 4; l++) {
        const plast_layer *l0 = &L.net.layer[l], *l1 = &ep.work.layer[l];
        if (!l0->W) continue;
        size_t nw = (size_t)l0->kind.rows * l0->kind.cols;
        for (size_t i = 0; i < nw + l0->kind.rows; i++) {
            const float *which = i < nw ? l0->W : l0->b;
            size_t at = i < nw ? i : i - nw;
            double h = 1e-5; /* small: a larger step can cross a max-pool window's tie */
            double g = (net_loss(&L.net, x, y, 3, which, at, h) - net_loss(&L.net, x, y, 3, which, at, -h)) / (2 * h);
            double step = i < nw ? (double)l1->W[at] - l0->W[at] : (double)l1->b[at] - l0->b[at];
            worst = fmax(worst, fabs(step + lr * g));
            gmax = fmax(gmax, fabs(lr * g));
        }
    }
    fprintf(stderr, "sgd through conv + pool + dense: worst |dW + lr g| %.3g, max |lr g| %.3g\n", worst, gmax);
    CHECK(gmax > 1e-4 && worst <= 1e-3 * gmax + 1e-6);
    plast_episode_free(&ep);
    plast_learner_free(&L);
}

/* fa with every B set to the forward weights above it (a conv kernel as it is, a dense
 * matrix transposed) and c = 0 makes sgd's step: chain feedback through conv and pool. */
static void fa_is_sgd(void)
{
    const plast_layer_spec kinds[4] = {{PLAST_LAYER_CONV, 3, 1, 1, 0}, {PLAST_LAYER_POOL, 2, 2, 0, PLAST_POOL_MAX},
                                       {PLAST_LAYER_CONV, 2, 1, 0, 0}, {PLAST_LAYER_DENSE, 0, 0, 0, 0}};
    const int width[4] = {2, 0, 3, 2}, plastic[4] = {1, 0, 1, 1};
    const plast_act act[4] = {PLAST_ACT_TANH, PLAST_ACT_IDENTITY, PLAST_ACT_TANH, PLAST_ACT_IDENTITY};
    _Alignas(16) unsigned char o1[4096], o2[4096];
    plast_learner S, F;
    learner(&S, "sgd", o1, 1, 6, 6, 4, kinds, width, act, plastic);
    learner(&F, "fa", o2, 1, 6, 6, 4, kinds, width, act, plastic);
    CHECK(F.net.layer[0].n_fb == 0 && F.net.layer[1].fb_rows == 3 && F.net.layer[1].n_fb == 8);
    for (int l = 0; l < 4; l++) {
        plast_layer *a = &S.net.layer[l], *f = &F.net.layer[l];
        if (a->W) {
            memcpy(f->W, a->W, (size_t)a->kind.rows * a->kind.cols * 4);
            memcpy(f->b, a->b, (size_t)a->kind.rows * 4);
        }
        if (!f->n_fb) continue;
        const plast_layer *up = &S.net.layer[l + 1];
        for (int i = 0; i < f->fb_rows * f->n_fb; i++) {
            int r = i / f->n_fb, q = i % f->n_fb;
            f->B[i] = up->kind.type == PLAST_LAYER_CONV ? up->W[i] : up->W[(size_t)q * up->n_in + r];
        }
        memset(f->c, 0, (size_t)f->n_c * 4);
    }
    plast_pset_view(&S.meta, "lr", -1)[0] = plast_pset_view(&F.meta, "lr", -1)[0] = 0.1f;
    plast_rng r;
    plast_rng_seed(&r, 9, 9);
    float x[2 * 36], y[4];
    for (int i = 0; i < 72; i++) x[i] = (float)plast_rng_normal(&r);
    for (int i = 0; i < 4; i++) y[i] = (float)plast_rng_normal(&r);
    plast_episode es, ef;
    episode(&es, &S, 2), episode(&ef, &F, 2);
    plast_episode_step(&es, x, y, 2, NULL);
    plast_episode_step(&ef, x, y, 2, NULL);
    double worst = 0.0, moved = 0.0;
    for (int l = 0; l < 4; l++) {
        const plast_layer *a = &es.work.layer[l], *f = &ef.work.layer[l], *a0 = &S.net.layer[l];
        if (!a->W) continue;
        for (int i = 0; i < a->kind.rows * a->kind.cols; i++) {
            worst = fmax(worst, fabs(a->W[i] - f->W[i]));
            moved = fmax(moved, fabs(a->W[i] - a0->W[i]));
        }
    }
    fprintf(stderr, "fa with B = W through conv + pool: worst difference from sgd %.3g (moved %.3g)\n",
            worst, moved);
    CHECK(worst <= 1e-6 && moved > 1e-3);
    plast_episode_free(&es), plast_episode_free(&ef);
    plast_learner_free(&S), plast_learner_free(&F);
}

/* Direct feedback per channel: B [channels][n_out], one feedback value per channel shared
 * by its positions (convolutional feedback alignment); per unit without the option. */
static void per_channel_feedback(void)
{
    const plast_layer_spec kinds[2] = {{PLAST_LAYER_CONV, 3, 1, 1, 0}, {PLAST_LAYER_DENSE, 0, 0, 0, 0}};
    const int width[2] = {3, 2}, plastic[2] = {1, 1};
    const plast_act act[2] = {PLAST_ACT_RELU, PLAST_ACT_IDENTITY};
    for (int per = 0; per < 2; per++) {
        const plast_rule *r = plast_rule_find("dfa");
        _Alignas(16) unsigned char opts[4096];
        plast_opts_defaults(&r->opts, opts);
        plast_net_spec sp;
        memset(&sp, 0, sizeof sp);
        sp.n_in = 16, sp.in_c = 1, sp.in_h = 4, sp.in_w = 4, sp.n_layers = 2, sp.fb_per_channel = per;
        for (int l = 0; l < 2; l++)
            sp.kind[l] = kinds[l], sp.width[l] = width[l], sp.act[l] = act[l], sp.plastic[l] = plastic[l];
        sp.w_init = PLAST_INIT_KAIMING_UNIFORM, sp.w_gain = 1.0f, sp.fb_init = PLAST_INIT_NORMAL;
        sp.fb_scale = 0.5f, sp.out_fb_init = PLAST_INIT_IDENTITY, sp.out_fb_value = 1.0f;
        sp.fbb_init = PLAST_INIT_UNIFORM, sp.fbb_value = 0.1f;
        plast_learner L;
        plast_err err;
        REQUIRE(plast_learner_init(&L, &sp, r, opts, &plast_objective_regression, &err) == PLAST_OK);
        plast_rng rng;
        plast_rng_seed(&rng, 2, 2);
        plast_learner_draw(&L, &rng);
        const plast_pspec *B = plast_pset_find(&L.net.p, "B", 0), *c = plast_pset_find(&L.net.p, "c", 0);
        CHECK(B && B->rows == (per ? 3 : 48) && B->cols == 2 && c->rows == (per ? 3 : 48));
        plast_episode ep;
        episode(&ep, &L, 1);
        float x[16], y[2] = {1.0f, -1.0f};
        for (int i = 0; i < 16; i++) x[i] = (float)plast_rng_normal(&rng);
        plast_episode_step(&ep, x, y, 1, NULL);
        int shared = 1; /* positions of a channel see one value */
        for (int ch = 0; ch < 3; ch++)
            for (int p = 1; p < 16; p++) shared &= ep.fb[0][ch * 16 + p] == ep.fb[0][ch * 16];
        CHECK(shared == per);
        plast_episode_free(&ep);
        plast_learner_free(&L);
    }
}

/* 5: shapes that do not fit, named by key. */
static void config_errors(void)
{
    const char *bad[][2] = {
        {"[{\"type\": \"conv\", \"channels\": 4, \"kernel\": 9}]", "net.layers[0].kernel"},
        {"[{\"type\": \"conv\", \"channels\": 0}]", "net.layers[0].channels"},
        {"[{\"type\": \"conv\", \"channels\": 2}, {\"type\": \"pool\", \"kernel\": 4}]", "net.layers[1].stride"},
        {"[{\"type\": \"dense\"}]", "net.layers[0].width"},
        {"[{\"type\": \"pool\", \"kernel\": 2}, {\"type\": \"pool\", \"kernel\": 2}, {\"type\": \"pool\", \"kernel\": 3}]",
         "net.layers[2].kernel"},
        {"[{\"type\": \"conv\", \"channels\": 2, \"size\": 3}]", "net.layers[0].size"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"net\": {\"layers\": %s}, \"rule\": \"sgd\", \"task\": {\"name\": \"gauss\", \"dim\": 64, \"side\": 8}}",
                 bad[i][0]);
        static plast_config cfg;
        plast_err err;
        plast_learner L;
        plast_err_clear(&err);
        int rc = plast_config_parse(&cfg, json, "t", NULL, 0, PLAST_TEST_REG(0), &err);
        if (!rc) rc = plast_learner_from_config(&L, &cfg, NULL, NULL, NULL, &err);
        if (!rc) plast_learner_free(&L);
        fprintf(stderr, "%s -> %s: %s\n", bad[i][0], err.where, err.msg);
        CHECK(rc == PLAST_E_CONFIG && !strcmp(err.where, bad[i][1]));
    }
    /* and one that fits: 8x8 -> conv 3 pad 1 -> 8x8x4 -> pool 2 -> 4x4x4 -> dense 10 -> 5 */
    static plast_config cfg;
    plast_err err;
    plast_learner L;
    REQUIRE(plast_config_parse(&cfg,
                               "{\"net\": {\"layers\": [{\"type\": \"conv\", \"channels\": 4, \"pad\": 1},"
                               " {\"type\": \"pool\"}, {\"type\": \"dense\", \"width\": 10, \"act\": \"tanh\"}]},"
                               " \"rule\": \"flp\", \"task\": {\"name\": \"gauss\", \"dim\": 64, \"side\": 8}}",
                               "t", NULL, 0, PLAST_TEST_REG(0), &err) == PLAST_OK);
    REQUIRE(plast_learner_from_config(&L, &cfg, NULL, NULL, NULL, &err) == PLAST_OK);
    CHECK(L.net.n_layers == 4 && L.net.layer[0].n_out == 256 && L.net.layer[1].n_out == 64 &&
          L.net.layer[2].act == PLAST_ACT_TANH && L.net.layer[0].act == PLAST_ACT_RELU);
    CHECK(L.net.layer[0].kind.rows == 4 && L.net.layer[0].kind.cols == 9);
    CHECK(!plast_pset_find(&L.net.p, "W", 1) && plast_pset_find(&L.meta, "P", 0)->cols == 9);
    plast_learner_free(&L);
}

int main(void)
{
    plast_linalg_init();
    for (int nb = 1; nb <= 7; nb += 6) {
        plast_kind k;
        k = make_kind(PLAST_LAYER_CONV, 1, 5, 5, 2, 3, 1, 0, 0), kind_checks(&k, nb);
        k = make_kind(PLAST_LAYER_CONV, 3, 6, 7, 4, 3, 2, 1, 0), kind_checks(&k, nb);
        k = make_kind(PLAST_LAYER_CONV, 2, 5, 5, 3, 2, 2, 1, 0), kind_checks(&k, nb);
        k = make_kind(PLAST_LAYER_CONV, 2, 4, 4, 1, 1, 1, 0, 0), kind_checks(&k, nb);
        k = make_kind(PLAST_LAYER_POOL, 2, 6, 6, 0, 2, 2, 0, PLAST_POOL_MAX), kind_checks(&k, nb);
        k = make_kind(PLAST_LAYER_POOL, 3, 7, 7, 0, 3, 2, 0, PLAST_POOL_AVG), kind_checks(&k, nb);
        k = make_kind(PLAST_LAYER_POOL, 1, 5, 5, 0, 2, 1, 0, PLAST_POOL_MAX), kind_checks(&k, nb);
    }
    tiny_steps();
    sgd_gradient();
    fa_is_sgd();
    per_channel_feedback();
    config_errors();
    CHECK_DONE();
}
