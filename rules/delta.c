/* delta.c — the delta-rule family: online SGD, feedback alignment (FA) and direct feedback
 * alignment (DFA). All three move a layer by the same update, the mean over the minibatch
 *   dW = (lr / batch) delta^T pre,   db = (lr / batch) sum_b delta,   delta = fb (.) f'(a),
 * and differ only in how the engine delivers fb (PROTOCOLS.md §5):
 *   sgd: fb_l = W_{l+1}^T delta_{l+1}   (backpropagation; NON-LOCAL, the declared baseline)
 *   fa:  fb_l = B_l delta_{l+1} + c_l   (untied B of the next layer's shape)
 *   dfa: fb_l = B_l s + c_l             (untied B straight from the output error)
 * At the output, delta = s (.) f'(a) with s = -dL/d(output), so for a linear output and the
 * squared error the step is exact gradient descent on 1/2 |y - yhat|^2 averaged over the
 * minibatch. The learning rate is a meta-parameter (one value shared by all layers), so
 * OML-style campaigns can tune it. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "plast/layer.h"
#include "plast/layer_d.h"
#include "plast/linalg.h"
#include "plast/rule.h"

typedef struct delta_opts {
    float lr;
    int biases;
} delta_opts;

static const plast_opt delta_table[] = {
    {"lr", PLAST_OPT_FLOAT, offsetof(delta_opts, lr), 0.003, 0, 1e3, NULL, NULL,
     "learning rate (initial value of the meta-parameter lr)"},
    {"biases", PLAST_OPT_BOOL, offsetof(delta_opts, biases), 1, 0, 1, NULL, NULL,
     "also update the biases"},
};

static int delta_declare(const void *opts, const plast_net *net, plast_pset *state,
                         plast_pset *meta, plast_err *err)
{
    const delta_opts *o = opts;
    (void)net, (void)state;
    return plast_pset_add(meta, "lr", "lr", -1, 1, 1, PLAST_INIT_CONSTANT, o->lr, 0, 0.0f,
                          INFINITY, err);
}

static int delta_check(const void *opts, const plast_net *net, const plast_objective *obj,
                       plast_err *err)
{
    (void)opts, (void)net, (void)obj, (void)err;
    return PLAST_OK;
}

typedef struct delta_handles {
    const float *lr; /* one value shared by every layer */
} delta_handles;

static int delta_bind(const void *opts, const plast_binder *b, void *hv, plast_err *err)
{
    delta_handles *h = hv;
    (void)opts;
    h->lr = plast_bind_meta(b, "lr", err);
    return h->lr ? PLAST_OK : PLAST_E_INTERNAL;
}

static size_t delta_scratch(const void *opts, const plast_layer *ly, int batch_max)
{
    (void)opts;
    return (size_t)batch_max * ly->n_out + ly->n_out; /* delta (when not given), f'(a) row */
}

/* delta [batch][n_out] = g (.) f'(a) */
static void delta_of(const plast_local *x, const float *g, float *delta)
{
    float *dv = x->scratch + (size_t)x->batch * x->n_out;
    for (int bb = 0; bb < x->batch; bb++) {
        size_t o = (size_t)bb * x->n_out;
        plast_act_deriv(x->act, x->n_out, x->preact + o, x->post + o, dv);
        for (int i = 0; i < x->n_out; i++) delta[o + i] = g[o + i] * dv[i];
    }
}

/* CHAIN / TRANSPOSE rules: the delta sent down is computed before any layer changes. */
static void delta_signal(const plast_local *x)
{
    delta_of(x, x->fb, x->delta);
}

static void apply(const plast_local *x, const float *delta)
{
    const delta_opts *o = x->opts;
    float k = *((const delta_handles *)x->h)->lr / (float)x->batch;
    plast_kind_outer(&x->kind, delta, x->pre, x->batch, 0, x->kind.rows, k, 1.0f, x->W, x->work);
    if (o->biases) plast_kind_rowaxpy(&x->kind, delta, x->batch, k, x->b);
}

static void chain_update(const plast_local *x)
{
    apply(x, x->delta);
}

/* sgd at batch 1 on a dense layer: apply()'s update and the backward product delta W the
 * layer below needs, in one pass over W. */
static void sgd_update_down(const plast_local *x, float *fb_below)
{
    const delta_opts *o = x->opts;
    float k = *((const delta_handles *)x->h)->lr / (float)x->batch;
    plast_ger_backward(x->kind.rows, x->kind.cols, k, x->delta, x->pre, x->W, fb_below);
    if (o->biases) plast_kind_rowaxpy(&x->kind, x->delta, x->batch, k, x->b);
}

static void dfa_update(const plast_local *x)
{
    float *delta = x->scratch;
    delta_of(x, x->is_output ? x->s : x->fb, delta);
    apply(x, delta);
}

/* ---- exact meta-gradients (double): the same update and its VJP, on any layer kind ----
 * W' = W + k outer(delta, pre), b' = b + k sum_{b,p} delta, delta = g (.) f'(a), k = lr / batch,
 * g the signal the layer's delta is made of (s at the output, its feedback elsewhere). */

static size_t delta_scratch_d(const void *opts, const plast_layer *ly, int batch_max)
{
    (void)opts;
    return 2 * (size_t)batch_max * ly->n_out; /* delta, and the adjoint of the update */
}

static const double *signal_of(const plast_local_d *x)
{
    return x->x->is_output ? x->s : x->fb;
}

/* delta [batch][n_out] into the scratch; returns k. */
static double delta_d(const plast_local_d *x)
{
    const plast_local *l = x->x;
    const double *g = signal_of(x);
    for (size_t i = 0; i < (size_t)x->batch * l->n_out; i++)
        x->scratch[i] = g[i] * plast_act_d1(l->act, x->preact[i]);
    return *plast_meta_d(x, ((const delta_handles *)l->h)->lr) / x->batch;
}

static void delta_update_d(const plast_local_d *x)
{
    const plast_local *l = x->x;
    const plast_kind *k = &l->kind;
    double kk = delta_d(x);
    plast_kind_outer_d(k, x->scratch, x->pre, x->batch, 0, k->rows, kk, 1.0, x->W, x->work);
    if (((const delta_opts *)l->opts)->biases)
        plast_kind_rowdot_d(k, x->scratch, NULL, x->batch, kk, x->b);
}

static void delta_update_vjp_d(const plast_local_d *x)
{
    const plast_local *l = x->x;
    const plast_kind *k = &l->kind;
    int nb = x->batch;
    size_t n = (size_t)nb * l->n_out;
    double kk = delta_d(x), kbar = 0.0;
    const double *g = signal_of(x), *d = x->scratch;
    double *gbar = l->is_output ? x->s_bar : x->fb_bar, *e = x->scratch + n;
    /* e = the update's adjoint per delta entry, over k: W_bar applied to pre, plus b_bar */
    memset(e, 0, n * sizeof *e);
    plast_kind_linear_d(k, x->W_bar, 0, k->rows, NULL, x->pre, nb, 1.0, e, x->work);
    if (((const delta_opts *)l->opts)->biases) plast_kind_rowbcast_d(k, x->b_bar, nb, 1.0, e);
    if (x->pre_bar) plast_kind_backward_d(k, x->W_bar, 0, k->rows, NULL, d, nb, kk, x->pre_bar, x->work);
    for (size_t i = 0; i < n; i++) {
        double a = x->preact[i], db = kk * e[i];
        kbar += e[i] * d[i];
        if (gbar) gbar[i] += db * plast_act_d1(l->act, a);
        x->preact_bar[i] += db * g[i] * plast_act_d2(l->act, a);
    }
    *plast_meta_bar(x, ((const delta_handles *)l->h)->lr) += kbar / nb;
}

#define DELTA_COMMON                                                                   \
    .sig = PLAST_SIG_ERROR,                                                            \
    .opts = {delta_table, sizeof delta_table / sizeof delta_table[0], sizeof(delta_opts)}, \
    .declare = delta_declare, .check = delta_check, .handles_size = sizeof(delta_handles), \
    .bind = delta_bind, .scratch_floats = delta_scratch, .scratch_d_doubles = delta_scratch_d, \
    .update_d = delta_update_d, .update_vjp_d = delta_update_vjp_d

const plast_rule plast_rule_sgd = {
    .name = "sgd",
    .summary = "online backpropagation (NON-LOCAL baseline): fb_l = W_{l+1}^T delta_{l+1}",
    .nonlocal = 1,
    .path = PLAST_PATH_TRANSPOSE,
    DELTA_COMMON,
    .signal = delta_signal,
    .update = chain_update,
    .update_down = sgd_update_down,
};

const plast_rule plast_rule_fa = {
    .name = "fa",
    .summary = "feedback alignment: fb_l = B_l delta_{l+1} + c_l with untied B",
    .nonlocal = 0,
    .path = PLAST_PATH_CHAIN,
    DELTA_COMMON,
    .signal = delta_signal,
    .update = chain_update,
};

const plast_rule plast_rule_dfa = {
    .name = "dfa",
    .summary = "direct feedback alignment: fb_l = B_l e + c_l from the output error",
    .nonlocal = 0,
    .path = PLAST_PATH_DIRECT,
    DELTA_COMMON,
    .signal = NULL,
    .update = dfa_update,
};
