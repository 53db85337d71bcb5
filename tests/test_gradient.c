/* test_gradient.c — the delta-rule family against calculus.
 *
 * 1. sgd's update equals -lr times the central-difference gradient of the minibatch loss
 *    (1/batch) sum_b 1/2 |y - yhat|^2 (regression) or the mean cross-entropy (classes),
 *    computed in double on a small network, for every weight and bias, and is not zero.
 *    Tolerance: |dW + lr g| <= 1e-3 * max|lr g| + 1e-6 (float forward vs double check).
 * 2. fa with B_l set to W_{l+1}^T and c = 0 makes the same step as sgd (to 1e-6).
 * 3. dfa on a one-hidden-layer network makes exactly the step fa makes (bit-identical),
 *    for several steps, when both use the same B. */
#include <math.h>
#include <stdlib.h>

#include "rig.h"

/* Double-precision forward of the learner's current weights with one tensor entry
 * perturbed; returns the minibatch loss. */
static double loss_d(const plast_net *net, const float *x, const float *y, int nb, int cls,
                     const float *which, size_t idx, double h)
{
    double act[2][512];
    double total = 0.0;
    for (int b = 0; b < nb; b++) {
        int n = net->n_in;
        double *in = act[0], *out = act[1];
        for (int i = 0; i < n; i++) in[i] = x[b * n + i];
        for (int l = 0; l < net->n_layers; l++) {
            const plast_layer *ly = &net->layer[l];
            for (int i = 0; i < ly->n_out; i++) {
                double a = ly->b[i] + (which == ly->b && idx == (size_t)i ? h : 0.0);
                for (int j = 0; j < ly->n_in; j++) {
                    size_t k = (size_t)i * ly->n_in + j;
                    double w = ly->W[k] + (which == ly->W && idx == k ? h : 0.0);
                    a += w * in[j];
                }
                switch (ly->act) {
                case PLAST_ACT_IDENTITY: out[i] = a; break;
                case PLAST_ACT_RELU: out[i] = a > 0 ? a : 0; break;
                case PLAST_ACT_TANH: out[i] = tanh(a); break;
                case PLAST_ACT_SIGMOID: out[i] = 1.0 / (1.0 + exp(-a)); break;
                case PLAST_ACT_SOFTPLUS: out[i] = log1p(exp(a)); break;
                }
            }
            double *t = in;
            in = out;
            out = t;
            n = ly->n_out;
        }
        const float *t = y + (size_t)b * n;
        if (!cls) {
            for (int i = 0; i < n; i++) total += 0.5 * (t[i] - in[i]) * (t[i] - in[i]);
        } else {
            double m = in[0], s = 0.0;
            for (int i = 1; i < n; i++) m = fmax(m, in[i]);
            for (int i = 0; i < n; i++) s += exp(in[i] - m);
            for (int i = 0; i < n; i++) total -= t[i] * (in[i] - m - log(s));
        }
    }
    return total / nb;
}

static void check_sgd(plast_act hidden, int cls, uint64_t seed)
{
    const int widths[3] = {6, 5, 3};
    const plast_act acts[3] = {hidden, hidden, PLAST_ACT_IDENTITY};
    const int nb = 4, n_in = 4;
    rig g;
    rig_init(&g, "sgd", n_in, 3, widths, acts, nb, cls, seed);
    const float lr = 0.5f;
    plast_pset_view(&g.L.meta, "lr", -1)[0] = lr;
    rig_start(&g);
    plast_rng r;
    plast_rng_seed(&r, seed, 7);
    float x[16], y[12];
    fill_normal(&r, x, nb * n_in, 1.0f);
    if (cls) fill_onehot(&r, y, nb, 3);
    else fill_normal(&r, y, nb * 3, 1.0f);

    plast_episode_step(&g.ep, x, y, nb, NULL);
    const plast_net *before = &g.L.net, *after = &g.ep.work;
    double worst = 0.0, scale = 0.0;
    for (int l = 0; l < 3; l++) {
        const plast_layer *lb = &before->layer[l], *la = &after->layer[l];
        for (int t = 0; t < 2; t++) {
            const float *P = t ? lb->b : lb->W, *Q = t ? la->b : la->W;
            size_t n = t ? (size_t)lb->n_out : (size_t)lb->n_out * lb->n_in;
            for (size_t k = 0; k < n; k++) {
                const double h = 1e-4;
                double g1 = (loss_d(before, x, y, nb, cls, P, k, h) -
                             loss_d(before, x, y, nb, cls, P, k, -h)) / (2 * h);
                double step = (double)Q[k] - (double)P[k];
                worst = fmax(worst, fabs(step + lr * g1));
                scale = fmax(scale, fabs(lr * g1));
            }
        }
    }
    CHECK(scale > 1e-3); /* the gradient is not zero everywhere */
    if (!(worst <= 1e-3 * scale + 1e-6))
        fprintf(stderr, "sgd act %d cls %d: worst %.3g scale %.3g\n", hidden, cls, worst, scale);
    CHECK(worst <= 1e-3 * scale + 1e-6);
    rig_free(&g);
}

/* fa with B_l = W_{l+1}^T and c = 0 steps like sgd. */
static void check_fa_sgd(void)
{
    const int widths[4] = {7, 6, 5, 3};
    const plast_act acts[4] = {PLAST_ACT_TANH, PLAST_ACT_RELU, PLAST_ACT_SOFTPLUS, PLAST_ACT_IDENTITY};
    rig s, f;
    rig_init(&s, "sgd", 4, 4, widths, acts, 3, 0, 11);
    rig_init(&f, "fa", 4, 4, widths, acts, 3, 0, 11);
    for (int l = 0; l < 4; l++) {
        const plast_layer *ls = &s.L.net.layer[l];
        plast_layer *lf = &f.L.net.layer[l];
        memcpy(lf->W, ls->W, sizeof(float) * ls->n_out * ls->n_in);
        memcpy(lf->b, ls->b, sizeof(float) * ls->n_out);
        if (l < 3) {
            const plast_layer *up = &s.L.net.layer[l + 1];
            CHECK(lf->n_fb == up->n_out);
            for (int i = 0; i < lf->n_out; i++) {
                lf->c[i] = 0.0f;
                for (int j = 0; j < up->n_out; j++) lf->B[i * lf->n_fb + j] = up->W[j * up->n_in + i];
            }
        } else {
            CHECK(lf->n_fb == 0); /* the output of a chain receives s itself */
        }
    }
    rig_start(&s);
    rig_start(&f);
    plast_rng r;
    plast_rng_seed(&r, 5, 5);
    float x[12], y[9];
    fill_normal(&r, x, 12, 1.0f);
    fill_normal(&r, y, 9, 1.0f);
    plast_episode_step(&s.ep, x, y, 3, NULL);
    plast_episode_step(&f.ep, x, y, 3, NULL);
    double worst = 0.0, moved = 0.0;
    for (size_t i = 0; i < s.L.net.p.n_floats; i++) {
        /* compare only W and b: the sgd net has no B */
        if (i >= s.ep.work.p.n_floats) break;
        worst = fmax(worst, fabs((double)s.ep.work.p.data[i] - f.ep.work.p.data[i]));
        moved = fmax(moved, fabs((double)s.ep.work.p.data[i] - s.L.net.p.data[i]));
    }
    CHECK(moved > 1e-4);
    CHECK(worst <= 1e-6);
    rig_free(&s);
    rig_free(&f);
}

/* dfa and fa agree exactly on one hidden layer with the same B. */
static void check_dfa_fa(void)
{
    const int widths[2] = {8, 3};
    const plast_act acts[2] = {PLAST_ACT_TANH, PLAST_ACT_IDENTITY};
    rig d, f;
    rig_init(&d, "dfa", 5, 2, widths, acts, 4, 0, 3);
    rig_init(&f, "fa", 5, 2, widths, acts, 4, 0, 3);
    for (int l = 0; l < 2; l++) {
        memcpy(f.L.net.layer[l].W, d.L.net.layer[l].W, sizeof(float) * widths[l] * (l ? 8 : 5));
        memcpy(f.L.net.layer[l].b, d.L.net.layer[l].b, sizeof(float) * widths[l]);
    }
    CHECK(d.L.net.layer[0].n_fb == 3 && f.L.net.layer[0].n_fb == 3);
    memcpy(f.L.net.layer[0].B, d.L.net.layer[0].B, sizeof(float) * 8 * 3);
    memcpy(f.L.net.layer[0].c, d.L.net.layer[0].c, sizeof(float) * 8);
    rig_start(&d);
    rig_start(&f);
    plast_rng r;
    plast_rng_seed(&r, 8, 8);
    for (int t = 0; t < 5; t++) {
        float x[20], y[12];
        fill_normal(&r, x, 20, 1.0f);
        fill_normal(&r, y, 12, 1.0f);
        plast_episode_step(&d.ep, x, y, 4, NULL);
        plast_episode_step(&f.ep, x, y, 4, NULL);
    }
    int same = 1;
    double moved = 0.0;
    for (int l = 0; l < 2; l++) {
        const plast_layer *a = &d.ep.work.layer[l], *b = &f.ep.work.layer[l];
        same &= !memcmp(a->W, b->W, sizeof(float) * a->n_out * a->n_in);
        same &= !memcmp(a->b, b->b, sizeof(float) * a->n_out);
        for (int i = 0; i < a->n_out * a->n_in; i++)
            moved = fmax(moved, fabs((double)a->W[i] - d.L.net.layer[l].W[i]));
    }
    CHECK(same);
    CHECK(moved > 1e-4);
    rig_free(&d);
    rig_free(&f);
}

int main(void)
{
    plast_linalg_init();
    const plast_act hidden[4] = {PLAST_ACT_TANH, PLAST_ACT_SIGMOID, PLAST_ACT_SOFTPLUS, PLAST_ACT_RELU};
    for (int k = 0; k < 4; k++)
        for (int cls = 0; cls < 2; cls++) check_sgd(hidden[k], cls, 100 + k * 2 + cls);
    check_fa_sgd();
    check_dfa_fa();
    CHECK_DONE();
}
