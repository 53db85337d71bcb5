/* hinge.c — the contrastive hinge loss of Tang, Yang & Amit (2022) trained without
 * backpropagation across layers (PROTOCOLS.md sections 5 and 11; the loss in
 * include/plast/hinge.h). The minibatch holds two views of P images (the task's "views"
 * broadcast says so: items b and b + P are the same image).
 *
 * `hinge` — layer-wise: every weighted layer l has its own head H_l [m][n_f] on its
 * features f (the layer's output averaged over the positions a weight row serves: dense the
 * output, conv one value per channel), e = H_l f, its own hinge loss L_l(e), and
 *   head:   dH   = head_lr (-dL/de)^T f                       (gradient descent on L_l)
 *   layer:  df   = gain F (-dL/de),  F = H_l^T (feedback "bp": backprop through the head
 *           only), a fixed random R_l [n_f][m] ("rf"), or R_l receiving the head's update
 *           transposed, dR = dH^T ("urf", updated random feedback: R_l drifts toward H_l^T);
 *           delta[b][c,p] = df[b][c] / P rho'(a[b][c,p]);  dW = lr delta x^T, db = lr delta
 * Schedules: all layers every step; greedy (the k-th weighted layer learns during steps
 * [k phase, (k+1) phase), the top one also after); random (one weighted layer per step,
 * drawn from a fixed hash of the step number).
 *
 * `hinge-bp` (NON-LOCAL reference) and `hinge-rf` — end to end: the network's output is
 * the embedding; the output layer's delta is -dL/de (.) f'(a) from its own activity, and
 * it travels down through W^T (hinge-bp, backpropagation) or the untied random B_l of the
 * network (hinge-rf, fixed random feedback); dW = lr delta x^T on every layer.
 *
 * `hinge-dtp` — end to end by difference target propagation (Lee, Zhang, Fischer & Bengio
 * 2015; PROTOCOLS.md section 5) on dense networks. Top target h^_L = h_L - top_step dL/dh_L;
 * below, h^_l = h_l + g_{l+1}(h^_{l+1}) - g_{l+1}(h_{l+1}) with the learned inverse
 * g_{l+1}(h) = inv_act(V_{l+1} h + c_{l+1}) of layer l+1 (V [n_in][n_out], c [n_in]: layer
 * l+1's own feedback synapses onto the layer below). Each layer's step sees only its own
 * activity and its target difference fb_l = h^_l - h_l, which the layer above's signal()
 * sends down (the engine's PLAST_PATH_TARGET); it sends g(h^_l) - g(h_l) on through its own
 * inverse. Updates:
 *   dW_l = lr (fb_l (.) f'(a_l)) h_{l-1}^T,  db_l = lr fb_l (.) f'(a_l)
 *           (the top layer's step equals hinge-bp's at top_step 1)
 *   inverse: with x~ = h_{l-1} + eps, eps ~ N(0, noise^2) per unit, y = f_l(x~) through the
 *           layer's own W_l, r = g_l(y): the reconstruction loss
 *           R_l = 1/(2B) sum_b |r - x~|^2 descends: dV_l = -inv_lr dR/dV, dc_l = -inv_lr dR/dc.
 *           The noise is a fixed hash of (the layer's step count, layer, unit): a step stays
 *           a pure function of the learner state.
 *
 * Losses are means over the P pairs, so updates are gradient steps on them without a further
 * 1/batch. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plast/hinge.h"
#include "plast/layer.h"
#include "plast/linalg.h"
#include "plast/rule.h"

double plast_hinge_loss(const float *e, int batch, int m, float m_pos, float m_neg, float *g)
{
    int P = batch / 2;
    memset(g, 0, (size_t)batch * m * sizeof(float));
    if (P < 1) return 0.0;
    double L = 0.0;
    float inv = 1.0f / (float)P;
    for (int i = 0; i < P; i++)
        for (int j = 0; j < P; j++) {
            const float *a = e + (size_t)i * m, *b = e + (size_t)(P + j) * m;
            double d = 0.0;
            for (int k = 0; k < m; k++) d += fabsf(a[k] - b[k]);
            float s; /* dL/dd for this pair */
            if (i == j) {
                if (d <= m_pos) continue;
                L += d - m_pos, s = inv;
            } else {
                if (d >= m_neg) continue;
                L += m_neg - d, s = -inv;
            }
            float *ga = g + (size_t)i * m, *gb = g + (size_t)(P + j) * m;
            for (int k = 0; k < m; k++) {
                float sg = a[k] > b[k] ? 1.0f : a[k] < b[k] ? -1.0f : 0.0f;
                ga[k] += s * sg;
                gb[k] -= s * sg;
            }
        }
    return L / P;
}

/* ---------------------------------------------------------------- layer-wise */

enum { FB_BP, FB_RF, FB_URF };
static const char *const fb_names[] = {"bp", "rf", "urf", NULL};
enum { SCHED_ALL, SCHED_GREEDY, SCHED_RANDOM };
static const char *const sched_names[] = {"all", "greedy", "random", NULL};

typedef struct lw_opts {
    float lr, head_lr, m_pos, m_neg, fb_gain, fb_scale;
    int feedback, schedule, phase, head, biases;
} lw_opts;

#define MARGIN_OPTS(T)                                                                         \
    {"m_pos", PLAST_OPT_FLOAT, offsetof(T, m_pos), 1.0, 0, 1e4, NULL, NULL,                    \
     "margin of the positive pairs (initial value of the meta-parameter m_pos)"},                              \
    {"m_neg", PLAST_OPT_FLOAT, offsetof(T, m_neg), 3.0, 0, 1e4, NULL, NULL,                    \
     "margin of the negative pairs (initial value of the meta-parameter m_neg)"}

static const plast_opt lw_table[] = {
    {"lr", PLAST_OPT_FLOAT, offsetof(lw_opts, lr), 1e-3, 0, 1e3, NULL, NULL,
     "learning rate of W (each layer's meta-parameter lr)"},
    {"head_lr", PLAST_OPT_FLOAT, offsetof(lw_opts, head_lr), 1e-3, 0, 1e3, NULL, NULL,
     "learning rate of the heads (each layer's meta-parameter head_lr)"},
    MARGIN_OPTS(lw_opts),
    {"feedback", PLAST_OPT_ENUM, offsetof(lw_opts, feedback), FB_BP, 0, 0, fb_names, NULL,
     "the head's error reaches the layer through H^T (bp), fixed random R (rf), or R "
     "receiving the head's update (urf)"},
    {"fb_gain", PLAST_OPT_FLOAT, offsetof(lw_opts, fb_gain), 1.0, 0, 1e3, NULL, NULL,
     "gain of the feedback to the layer (each layer's meta-parameter fb_gain)"},
    {"fb_scale", PLAST_OPT_FLOAT, offsetof(lw_opts, fb_scale), 1.0, 0, 1e3, NULL, NULL,
     "R's initial entries are N(0, fb_scale^2 / m), as the head's"},
    {"schedule", PLAST_OPT_ENUM, offsetof(lw_opts, schedule), SCHED_ALL, 0, 0, sched_names,
     NULL, "which layers learn: all, greedy (one after the other), random (one per step)"},
    {"phase", PLAST_OPT_INT, offsetof(lw_opts, phase), 100, 1, 100000000, NULL, NULL,
     "greedy: steps each layer learns"},
    {"head", PLAST_OPT_INT, offsetof(lw_opts, head), 32, 1, 65536, NULL, NULL,
     "width m of each layer's head (embedding)"},
    {"biases", PLAST_OPT_BOOL, offsetof(lw_opts, biases), 1, 0, 1, NULL, NULL,
     "also update the biases"},
};

/* The margins as shared meta-parameters (group "margins"). */
static int add_margins(float m_pos, float m_neg, plast_pset *meta, plast_err *err)
{
    int rc = plast_pset_add(meta, "m_pos", "margins", -1, 1, 1, PLAST_INIT_CONSTANT, m_pos, 0,
                            0.0f, INFINITY, err);
    return rc ? rc : plast_pset_add(meta, "m_neg", "margins", -1, 1, 1, PLAST_INIT_CONSTANT, m_neg,
                                    0, 0.0f, INFINITY, err);
}

static int lw_declare(const void *opts, const plast_net *net, plast_pset *state,
                      plast_pset *meta, plast_err *err)
{
    const lw_opts *o = opts;
    int K = 0;
    for (int l = 0; l < net->n_layers; l++) K += net->layer[l].plastic;
    int rc = add_margins(o->m_pos, o->m_neg, meta, err);
    if (!rc)
        rc = plast_pset_add(meta, "lw_layers", "schedule", -1, 1, 1, PLAST_INIT_CONSTANT,
                            (float)K, 0, -INFINITY, INFINITY, err);
    int k = 0;
    for (int l = 0; l < net->n_layers && !rc; l++) {
        const plast_layer *ly = &net->layer[l];
        if (!ly->plastic) continue;
        int nf = ly->kind.rows, m = o->head;
        rc = plast_pset_add(meta, "lr", "lr", l, 1, 1, PLAST_INIT_CONSTANT, o->lr, 0, 0.0f,
                            INFINITY, err);
        if (!rc)
            rc = plast_pset_add(meta, "head_lr", "lr", l, 1, 1, PLAST_INIT_CONSTANT, o->head_lr, 0,
                                0.0f, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(meta, "fb_gain", "feedback_gain", l, 1, 1, PLAST_INIT_CONSTANT,
                                o->fb_gain, 0, -INFINITY, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(meta, "lw_rank", "schedule", l, 1, 1, PLAST_INIT_CONSTANT,
                                (float)k++, 0, -INFINITY, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(state, "head", "heads", l, m, nf, PLAST_INIT_NORMAL, 0.0f,
                                1.0f / sqrtf((float)nf), -INFINITY, INFINITY, err);
        if (!rc && o->feedback != FB_BP)
            rc = plast_pset_add(state, "R", "heads", l, nf, m, PLAST_INIT_NORMAL, 0.0f,
                                o->fb_scale / sqrtf((float)m), -INFINITY, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(state, "step", "traces", l, 1, 1, PLAST_INIT_ZEROS, 0, 0,
                                -INFINITY, INFINITY, err);
    }
    return rc;
}

static int no_check(const void *opts, const plast_net *net, const plast_objective *obj,
                    plast_err *err)
{
    (void)opts, (void)net, (void)obj, (void)err;
    return PLAST_OK;
}

typedef struct lw_handles {
    const float *lr, *head_lr, *fb_gain, *rank, *n_layers, *views, *m_pos, *m_neg;
    float *H, *R, *step;
} lw_handles;

static int lw_bind(const void *opts, const plast_binder *b, void *hv, plast_err *err)
{
    const lw_opts *o = opts;
    lw_handles *h = hv;
    if (!b->ly->plastic) return PLAST_OK;
    h->views = plast_bind_broadcast(b, "views", err);
    if (!h->views) return PLAST_E_CONFIG;
    h->lr = plast_bind_meta(b, "lr", err);
    h->head_lr = h->lr ? plast_bind_meta(b, "head_lr", err) : NULL;
    h->fb_gain = h->head_lr ? plast_bind_meta(b, "fb_gain", err) : NULL;
    h->rank = h->fb_gain ? plast_bind_meta(b, "lw_rank", err) : NULL;
    h->n_layers = h->rank ? plast_bind_meta(b, "lw_layers", err) : NULL;
    h->m_pos = h->n_layers ? plast_bind_meta(b, "m_pos", err) : NULL;
    h->m_neg = h->m_pos ? plast_bind_meta(b, "m_neg", err) : NULL;
    h->H = h->m_neg ? plast_bind_state(b, "head", err) : NULL;
    h->R = h->H && o->feedback != FB_BP ? plast_bind_state(b, "R", err) : NULL;
    h->step = h->H && (o->feedback == FB_BP || h->R) ? plast_bind_state(b, "step", err) : NULL;
    return h->step ? PLAST_OK : PLAST_E_INTERNAL;
}

/* f, df [batch][n_f]; e, ge [batch][m]; delta [batch][n_out]; dv [n_out] */
static size_t lw_scratch(const void *opts, const plast_layer *ly, int batch_max)
{
    const lw_opts *o = opts;
    return (size_t)batch_max * (2 * (size_t)ly->kind.rows + 2 * (size_t)o->head + ly->n_out) +
           ly->n_out;
}

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Whether this layer learns at step t under the schedule. */
static int lw_active(const lw_opts *o, const lw_handles *h, long t)
{
    int k = (int)*h->rank, K = (int)*h->n_layers;
    switch (o->schedule) {
    case SCHED_GREEDY: return t / o->phase == k || (k == K - 1 && t / o->phase >= K);
    case SCHED_RANDOM: return (int)(mix64((uint64_t)t) % (uint64_t)K) == k;
    default: return 1;
    }
}

/* f [nb][nf] = the features: position means of post. */
static void features(const plast_local *x, float *f)
{
    int nf = x->kind.rows, P = x->kind.positions;
    for (int b = 0; b < x->batch; b++)
        for (int c = 0; c < nf; c++) {
            const float *v = x->post + (size_t)b * x->n_out + (size_t)c * P;
            float s = 0.0f;
            for (int p = 0; p < P; p++) s += v[p];
            f[(size_t)b * nf + c] = s / (float)P;
        }
}

/* delta [nb][n_out] = df[b][c] / P rho'(a) */
static void spread_delta(const plast_local *x, const float *df, float *delta, float *dv)
{
    int nf = x->kind.rows, P = x->kind.positions, n = x->n_out;
    for (int b = 0; b < x->batch; b++) {
        plast_act_deriv(x->act, n, x->preact + (size_t)b * n, x->post + (size_t)b * n, dv);
        for (int c = 0; c < nf; c++) {
            float v = df[(size_t)b * nf + c] / (float)P;
            for (int p = 0; p < P; p++)
                delta[(size_t)b * n + (size_t)c * P + p] = v * dv[(size_t)c * P + p];
        }
    }
}

static void lw_update(const plast_local *x)
{
    const lw_opts *o = x->opts;
    const lw_handles *h = x->h;
    long t = (long)(*h->step)++;
    if (!lw_active(o, h, t)) return;
    int nb = x->batch, nf = x->kind.rows, m = o->head;
    float *f = x->scratch, *df = f + (size_t)nb * nf, *e = df + (size_t)nb * nf;
    float *ge = e + (size_t)nb * m, *delta = ge + (size_t)nb * m, *dv = delta + (size_t)nb * x->n_out;
    features(x, f);
    /* e [nb][m] = f H^T; ge = -dL/de */
    plast_gemm(0, 1, nb, m, nf, 1.0f, f, nf, h->H, nf, 0.0f, e, m);
    plast_hinge_loss(e, nb, m, *h->m_pos, *h->m_neg, ge);
    for (size_t i = 0; i < (size_t)nb * m; i++) ge[i] = -ge[i];
    /* df [nb][nf] = gain ge F^T, F = H^T [nf][m] (bp) or R [nf][m] (before the head moves) */
    if (o->feedback == FB_BP) plast_gemm(0, 0, nb, nf, m, *h->fb_gain, ge, m, h->H, nf, 0.0f, df, nf);
    else plast_gemm(0, 1, nb, nf, m, *h->fb_gain, ge, m, h->R, m, 0.0f, df, nf);
    /* dH [m][nf] = head_lr ge^T f; urf: dR [nf][m] = dH^T = head_lr f^T ge */
    plast_gemm(1, 0, m, nf, nb, *h->head_lr, ge, m, f, nf, 1.0f, h->H, nf);
    if (o->feedback == FB_URF) plast_gemm(1, 0, nf, m, nb, *h->head_lr, f, nf, ge, m, 1.0f, h->R, m);
    spread_delta(x, df, delta, dv);
    plast_kind_outer(&x->kind, delta, x->pre, nb, 0, nf, *h->lr, 1.0f, x->W, x->work);
    if (o->biases) plast_kind_rowaxpy(&x->kind, delta, nb, *h->lr, x->b);
}

static const char *const views_reads[] = {"views", NULL};

const plast_rule plast_rule_hinge = {
    .name = "hinge",
    .summary = "layer-wise contrastive hinge (two views): a head per layer, its error through "
               "H^T, fixed or updated random feedback",
    .nonlocal = 0,
    .path = PLAST_PATH_NONE,
    .sig = PLAST_SIG_ERROR,
    .opts = {lw_table, sizeof lw_table / sizeof lw_table[0], sizeof(lw_opts)},
    .reads = views_reads,
    .declare = lw_declare,
    .check = no_check,
    .handles_size = sizeof(lw_handles),
    .bind = lw_bind,
    .scratch_floats = lw_scratch,
    .update = lw_update,
};

/* ---------------------------------------------------------------- end to end */

typedef struct e2e_opts {
    float lr, m_pos, m_neg;
    int biases;
} e2e_opts;

static const plast_opt e2e_table[] = {
    {"lr", PLAST_OPT_FLOAT, offsetof(e2e_opts, lr), 1e-3, 0, 1e3, NULL, NULL,
     "learning rate (meta-parameter lr, shared)"},
    MARGIN_OPTS(e2e_opts),
    {"biases", PLAST_OPT_BOOL, offsetof(e2e_opts, biases), 1, 0, 1, NULL, NULL,
     "also update the biases"},
};

/* The shared rate lr and the margins of the end-to-end rules. */
static int lr_and_margins(float lr, float m_pos, float m_neg, plast_pset *meta, plast_err *err)
{
    int rc = plast_pset_add(meta, "lr", "lr", -1, 1, 1, PLAST_INIT_CONSTANT, lr, 0, 0.0f,
                            INFINITY, err);
    return rc ? rc : add_margins(m_pos, m_neg, meta, err);
}

static int e2e_declare(const void *opts, const plast_net *net, plast_pset *state,
                       plast_pset *meta, plast_err *err)
{
    const e2e_opts *o = opts;
    (void)net, (void)state;
    return lr_and_margins(o->lr, o->m_pos, o->m_neg, meta, err);
}

typedef struct e2e_handles {
    const float *lr, *views, *m_pos, *m_neg;
} e2e_handles;

static int e2e_bind(const void *opts, const plast_binder *b, void *hv, plast_err *err)
{
    e2e_handles *h = hv;
    (void)opts;
    h->views = plast_bind_broadcast(b, "views", err);
    if (!h->views) return PLAST_E_CONFIG;
    h->lr = plast_bind_meta(b, "lr", err);
    h->m_pos = h->lr ? plast_bind_meta(b, "m_pos", err) : NULL;
    h->m_neg = h->m_pos ? plast_bind_meta(b, "m_neg", err) : NULL;
    return h->m_neg ? PLAST_OK : PLAST_E_INTERNAL;
}

/* g [batch][n_out], dv [n_out] */
static size_t e2e_scratch(const void *opts, const plast_layer *ly, int batch_max)
{
    (void)opts;
    return (size_t)batch_max * ly->n_out + ly->n_out;
}

/* The output's delta from the loss on its own activity; below, fb (.) f'(a). */
static void e2e_signal(const plast_local *x)
{
    const e2e_handles *h = x->h;
    int n = x->n_out;
    float *g = x->scratch, *dv = g + (size_t)x->batch * n;
    const float *src = x->fb;
    if (x->is_output) {
        plast_hinge_loss(x->post, x->batch, n, *h->m_pos, *h->m_neg, g);
        for (size_t i = 0; i < (size_t)x->batch * n; i++) g[i] = -g[i];
        src = g;
    }
    for (int b = 0; b < x->batch; b++) {
        size_t at = (size_t)b * n;
        plast_act_deriv(x->act, n, x->preact + at, x->post + at, dv);
        for (int i = 0; i < n; i++) x->delta[at + i] = src[at + i] * dv[i];
    }
}

/* dW = lr delta x^T (db = lr delta) from the delta signal() left. */
static void delta_step(const plast_local *x, float lr, int biases)
{
    plast_kind_outer(&x->kind, x->delta, x->pre, x->batch, 0, x->kind.rows, lr, 1.0f, x->W, x->work);
    if (biases) plast_kind_rowaxpy(&x->kind, x->delta, x->batch, lr, x->b);
}

static void e2e_update(const plast_local *x)
{
    const e2e_opts *o = x->opts;
    delta_step(x, *((const e2e_handles *)x->h)->lr, o->biases);
}

#define E2E_COMMON                                                                           \
    .sig = PLAST_SIG_ERROR,                                                                  \
    .opts = {e2e_table, sizeof e2e_table / sizeof e2e_table[0], sizeof(e2e_opts)},           \
    .reads = views_reads, .declare = e2e_declare, .check = no_check,                         \
    .handles_size = sizeof(e2e_handles), .bind = e2e_bind, .scratch_floats = e2e_scratch,    \
    .signal = e2e_signal, .update = e2e_update

const plast_rule plast_rule_hinge_bp = {
    .name = "hinge-bp",
    .summary = "contrastive hinge end to end by backpropagation (NON-LOCAL reference)",
    .nonlocal = 1,
    .path = PLAST_PATH_TRANSPOSE,
    E2E_COMMON,
};

const plast_rule plast_rule_hinge_rf = {
    .name = "hinge-rf",
    .summary = "contrastive hinge end to end through fixed random feedback B_l (RF)",
    .nonlocal = 0,
    .path = PLAST_PATH_CHAIN,
    E2E_COMMON,
};

/* ---------------------------------------------------------------- target propagation */

typedef struct dtp_opts {
    float lr, m_pos, m_neg, top_step, inv_lr, noise, inv_scale;
    int inv_act, biases;
} dtp_opts;

static const plast_opt dtp_table[] = {
    {"lr", PLAST_OPT_FLOAT, offsetof(dtp_opts, lr), 1e-3, 0, 1e3, NULL, NULL,
     "learning rate of W (meta-parameter lr, shared)"},
    MARGIN_OPTS(dtp_opts),
    {"top_step", PLAST_OPT_FLOAT, offsetof(dtp_opts, top_step), 1.0, 0, 1e3, NULL, NULL,
     "step of the top target h_L - top_step dL/dh_L (meta-parameter top_step)"},
    {"inv_lr", PLAST_OPT_FLOAT, offsetof(dtp_opts, inv_lr), 1e-2, 0, 1e3, NULL, NULL,
     "learning rate of the inverses (meta-parameter inv_lr)"},
    {"noise", PLAST_OPT_FLOAT, offsetof(dtp_opts, noise), 0.1, 0, 1e3, NULL, NULL,
     "std of the input noise the inverses train on (meta-parameter inv_noise)"},
    {"inv_scale", PLAST_OPT_FLOAT, offsetof(dtp_opts, inv_scale), 1.0, 0, 1e3, NULL, NULL,
     "the inverses' initial entries are N(0, inv_scale^2 / n_out)"},
    {"inv_act", PLAST_OPT_ENUM, offsetof(dtp_opts, inv_act), PLAST_ACT_RELU, 0, 0, plast_act_names,
     NULL, "activation of the inverses g(h) = inv_act(V h + c): that of the layer below"},
    {"biases", PLAST_OPT_BOOL, offsetof(dtp_opts, biases), 1, 0, 1, NULL, NULL,
     "also update the biases"},
};

static int dtp_declare(const void *opts, const plast_net *net, plast_pset *state,
                       plast_pset *meta, plast_err *err)
{
    const dtp_opts *o = opts;
    int rc = lr_and_margins(o->lr, o->m_pos, o->m_neg, meta, err);
    if (!rc)
        rc = plast_pset_add(meta, "top_step", "dtp", -1, 1, 1, PLAST_INIT_CONSTANT, o->top_step, 0,
                            0.0f, INFINITY, err);
    if (!rc)
        rc = plast_pset_add(meta, "inv_lr", "lr", -1, 1, 1, PLAST_INIT_CONSTANT, o->inv_lr, 0,
                            0.0f, INFINITY, err);
    if (!rc)
        rc = plast_pset_add(meta, "inv_noise", "dtp", -1, 1, 1, PLAST_INIT_CONSTANT, o->noise, 0,
                            0.0f, INFINITY, err);
    /* every layer above the first has an inverse onto the layer below (a frozen layer's
     * passes targets down unchanged in time: it never trains) */
    for (int l = 1; l < net->n_layers && !rc; l++) {
        const plast_layer *ly = &net->layer[l];
        rc = plast_pset_add(state, "inv_V", "inverse", l, ly->n_in, ly->n_out, PLAST_INIT_NORMAL,
                            0.0f, o->inv_scale / sqrtf((float)ly->n_out), -INFINITY, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(state, "inv_c", "inverse", l, ly->n_in, 1, PLAST_INIT_ZEROS, 0, 0,
                                -INFINITY, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(state, "step", "traces", l, 1, 1, PLAST_INIT_ZEROS, 0, 0,
                                -INFINITY, INFINITY, err);
    }
    return rc;
}

static int dtp_check(const void *opts, const plast_net *net, const plast_objective *obj,
                     plast_err *err)
{
    (void)opts, (void)obj;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layer[l].kind.type != PLAST_LAYER_DENSE)
            return plast_err_set(err, PLAST_E_CONFIG, "net",
                                 "hinge-dtp runs on dense networks only (layer %d is %s): its "
                                 "inverses invert dense layers", l,
                                 plast_layer_names[net->layer[l].kind.type]);
    return PLAST_OK;
}

typedef struct dtp_handles {
    e2e_handles e; /* lr, views, margins */
    const float *top_step, *inv_lr, *noise;
    float *V, *c, *step; /* NULL on layer 0 */
} dtp_handles;

static int dtp_bind(const void *opts, const plast_binder *b, void *hv, plast_err *err)
{
    dtp_handles *h = hv;
    int rc = e2e_bind(opts, b, &h->e, err);
    if (rc) return rc;
    h->top_step = plast_bind_meta(b, "top_step", err);
    h->inv_lr = h->top_step ? plast_bind_meta(b, "inv_lr", err) : NULL;
    h->noise = h->inv_lr ? plast_bind_meta(b, "inv_noise", err) : NULL;
    if (!h->noise) return PLAST_E_INTERNAL;
    if (b->layer == 0) return PLAST_OK;
    h->V = plast_bind_state(b, "inv_V", err);
    h->c = h->V ? plast_bind_state(b, "inv_c", err) : NULL;
    h->step = h->c ? plast_bind_state(b, "step", err) : NULL;
    return h->step ? PLAST_OK : PLAST_E_INTERNAL;
}

/* signal: d [batch][n_out], dv [max(n_in, n_out)], u, v [batch][n_in];
 * update: xt, r [batch][n_in], y [batch][n_out] (u, v reused) */
static size_t dtp_scratch(const void *opts, const plast_layer *ly, int batch_max)
{
    (void)opts;
    size_t n = (size_t)ly->n_out, ni = (size_t)ly->n_in;
    return (size_t)batch_max * (2 * n + 4 * ni) + (n > ni ? n : ni);
}

/* out [nb][n_in] = inv_act(h [nb][n_out] V^T + c), preact into a */
static void inverse(const plast_local *x, const dtp_handles *h, const float *in, float *a, float *out)
{
    const dtp_opts *o = x->opts;
    int nb = x->batch, ni = x->n_in, n = x->n_out;
    plast_gemm(0, 1, nb, ni, n, 1.0f, in, n, h->V, n, 0.0f, a, ni);
    for (int b = 0; b < nb; b++) {
        plast_axpy(ni, 1.0f, h->c, a + (size_t)b * ni);
        plast_act_apply((plast_act)o->inv_act, ni, a + (size_t)b * ni, out + (size_t)b * ni);
    }
}

/* The layer's target difference d = h^ - h (output: -top_step dL/dh; else fb), its delta
 * d (.) f'(a) for the update, and what goes down: g(h + d) - g(h). */
static void dtp_signal(const plast_local *x)
{
    const dtp_handles *h = x->h;
    int nb = x->batch, n = x->n_out, ni = x->n_in;
    float *d = x->scratch, *dv = d + (size_t)nb * n, *u = dv + (n > ni ? n : ni);
    float *v = u + (size_t)nb * ni, *ga = v + (size_t)nb * ni, *gb = ga + (size_t)nb * ni;
    if (x->is_output) {
        plast_hinge_loss(x->post, nb, n, *h->e.m_pos, *h->e.m_neg, d);
        for (size_t i = 0; i < (size_t)nb * n; i++) d[i] *= -*h->top_step;
    } else {
        memcpy(d, x->fb, (size_t)nb * n * sizeof(float));
    }
    for (int b = 0; b < nb; b++) {
        size_t at = (size_t)b * n;
        plast_act_deriv(x->act, n, x->preact + at, x->post + at, dv);
        for (int i = 0; i < n; i++) x->delta[at + i] = d[at + i] * dv[i];
    }
    if (!x->down) return;
    /* down = g(h + d) - g(h); d becomes the target h^ */
    for (size_t i = 0; i < (size_t)nb * n; i++) d[i] += x->post[i];
    inverse(x, h, d, ga, u);
    inverse(x, h, x->post, gb, v);
    for (size_t i = 0; i < (size_t)nb * ni; i++) x->down[i] = u[i] - v[i];
}

/* A standard normal from a 64-bit key (Box-Muller on its two halves). */
static float hash_normal(uint64_t key)
{
    uint64_t z = mix64(key);
    double u1 = ((double)(z >> 40) + 0.5) / 16777216.0, u2 = (double)(z & 0xffffff) / 16777216.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* One descent step on the inverse's reconstruction loss R (see the file comment); returns R
 * before the step. scratch: xt, r [nb][n_in], a [nb][n_in], y [nb][n_out], dv. */
double plast_dtp_inverse_step(const plast_local *x)
{
    const dtp_opts *o = x->opts;
    const dtp_handles *h = x->h;
    int nb = x->batch, n = x->n_out, ni = x->n_in;
    float *y = x->scratch, *dv = y + (size_t)nb * n, *xt = dv + (n > ni ? n : ni);
    float *r = xt + (size_t)nb * ni, *a = r + (size_t)nb * ni;
    uint64_t t = (uint64_t)(*h->step)++;
    float sd = *h->noise;
    for (size_t i = 0; i < (size_t)nb * ni; i++)
        xt[i] = x->pre[i] + sd * hash_normal((t << 24 ^ (uint64_t)x->layer << 56) + i);
    /* y = f(W xt + b) through the layer's own weights */
    plast_gemm(0, 1, nb, n, ni, 1.0f, xt, ni, x->W, ni, 0.0f, y, n);
    for (int b = 0; b < nb; b++) {
        float *yb = y + (size_t)b * n;
        plast_axpy(n, 1.0f, x->b, yb);
        plast_act_apply(x->act, n, yb, yb);
    }
    inverse(x, h, y, a, r);
    /* e = (r - xt) (.) inv_act'(a) / B into a; R = 1/(2B) sum |r - xt|^2 */
    double R = 0.0;
    for (int b = 0; b < nb; b++) {
        size_t at = (size_t)b * ni;
        plast_act_deriv((plast_act)o->inv_act, ni, a + at, r + at, dv);
        for (int i = 0; i < ni; i++) {
            float e = r[at + i] - xt[at + i];
            R += 0.5 * (double)e * e;
            a[at + i] = e * dv[i] / (float)nb;
        }
    }
    /* V [ni][n] -= inv_lr e^T y; c -= inv_lr sum_b e */
    plast_gemm(1, 0, ni, n, nb, -*h->inv_lr, a, ni, y, n, 1.0f, h->V, n);
    for (int b = 0; b < nb; b++) plast_axpy(ni, -*h->inv_lr, a + (size_t)b * ni, h->c);
    return R / nb;
}

static void dtp_update(const plast_local *x)
{
    const dtp_opts *o = x->opts;
    const dtp_handles *h = x->h;
    if (h->V) plast_dtp_inverse_step(x);
    delta_step(x, *h->e.lr, o->biases);
}

const plast_rule plast_rule_hinge_dtp = {
    .name = "hinge-dtp",
    .summary = "contrastive hinge end to end by difference target propagation (learned "
               "inverses)",
    .nonlocal = 0,
    .path = PLAST_PATH_TARGET,
    .sig = PLAST_SIG_ERROR,
    .opts = {dtp_table, sizeof dtp_table / sizeof dtp_table[0], sizeof(dtp_opts)},
    .reads = views_reads,
    .declare = dtp_declare,
    .check = dtp_check,
    .handles_size = sizeof(dtp_handles),
    .bind = dtp_bind,
    .scratch_floats = dtp_scratch,
    .signal = dtp_signal,
    .update = dtp_update,
};
