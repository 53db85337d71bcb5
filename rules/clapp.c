/* clapp.c — CLAPP (Illing, Ventura, Bellec & Gerstner 2021): contrastive, local and
 * predictive plasticity, layer by layer, without labels (PROTOCOLS.md sections 5 and 11).
 *
 * Every weighted layer is its own learner. Its features z [n_f] are its output averaged over
 * the positions a weight row serves (dense: the output itself, n_f = n_out; conv: one value
 * per channel). The context c_k is the same layer's feature vector k steps earlier
 * (k = 1..horizon), kept as a trace in the learner state. Per item b and offset k:
 *   u = z^T W_k c_k                           (score; W_k [n_f][n_f] the prediction matrix)
 *   y = +1 when no saccade happened in the last k steps (the broadcast "saccade" says
 *       whether this step's glimpse jumped to another image), else -1
 *   loss = max(0, 1 - y u)                    (hinge; the layer-local loss, mean over items)
 *   gamma = y 1[y u < 1]                      (broadcast times the layer-wide gate)
 *   dW   = eta/B sum_b gamma [ (W_k c)_j rho'(a_j) x_i / P                (prediction)
 *                            + (W_k^T z)_j rho'(a^{t-k}_j) x^{t-k}_i / P ]  (retrodiction)
 *   dW_k = eta_pred/B sum_b gamma z c^T
 * which is minus eta times the gradient of the mean hinge loss with respect to W (through z
 * and, with retrodiction, through the context computed with the same W) and W_k; the
 * retrodiction matrix is W_k^T, as the bilinear score implies. P is the number of positions
 * (1 for dense layers); on conv layers the sums over positions run through the layer
 * kernels, so the rule works on dense and conv layers alike.
 *
 * Ablations (options): gate hard (the paper), soft (gamma = y sigmoid(beta (1 - y u)), the
 * gradient of the softplus hinge (1/beta) log(1 + e^{beta (1 - y u)})), or none (gamma = y,
 * the gradient of -y u); retro off (prediction term only); freeze_pred (W_k never moves);
 * positive_only (saccade terms dropped: no negatives).
 *
 * Learner state per layer (declared with initialisers, copied per episode):
 *   Wpred     [horizon n_f][n_f]       prediction matrices (group "pred"), N(0, pred_init^2/n_f)
 *   ctx_x     [horizon batch][n_in]    the layer's input k steps ago     (group "traces", 0)
 *   ctx_d     [horizon batch][n_out]   rho'(a) k steps ago
 *   ctx_z     [horizon batch][n_f]     the features k steps ago
 *   ctx_flags [2][horizon]             slot holds a context; context from the last glimpse's image
 * `batch` is the traces' capacity: an episode with a larger minibatch is refused (rule.batch). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "plast/layer.h"
#include "plast/linalg.h"
#include "plast/rule.h"

enum { GATE_HARD, GATE_SOFT, GATE_NONE };
static const char *const gate_names[] = {"hard", "soft", "none", NULL};

typedef struct clapp_opts {
    float lr, pred_lr, pred_init, sharpness;
    int gate, retro, freeze_pred, positive_only, horizon, batch, biases;
} clapp_opts;

static const plast_opt clapp_table[] = {
    {"lr", PLAST_OPT_FLOAT, offsetof(clapp_opts, lr), 2e-3, 0, 1e3, NULL, NULL,
     "learning rate of W (initial value of each layer's meta-parameter lr)"},
    {"pred_lr", PLAST_OPT_FLOAT, offsetof(clapp_opts, pred_lr), 2e-3, 0, 1e3, NULL, NULL,
     "learning rate of W_pred (each layer's meta-parameter pred_lr)"},
    {"pred_init", PLAST_OPT_FLOAT, offsetof(clapp_opts, pred_init), 1.0, 0, 100, NULL, NULL,
     "W_pred's initial entries are N(0, pred_init^2 / n_features)"},
    {"gate", PLAST_OPT_ENUM, offsetof(clapp_opts, gate), GATE_HARD, 0, 0, gate_names, NULL,
     "hinge gate: hard 1[y u < 1] (paper), soft sigmoid(sharpness (1 - y u)), none (ablation)"},
    {"sharpness", PLAST_OPT_FLOAT, offsetof(clapp_opts, sharpness), 5.0, 1e-3, 1e3, NULL, NULL,
     "soft gate's sharpness (meta-parameter sharpness)"},
    {"retro", PLAST_OPT_BOOL, offsetof(clapp_opts, retro), 1, 0, 1, NULL, NULL,
     "retrodiction term through the context (off: ablation)"},
    {"freeze_pred", PLAST_OPT_BOOL, offsetof(clapp_opts, freeze_pred), 0, 0, 1, NULL, NULL,
     "W_pred keeps its initial value (ablation)"},
    {"positive_only", PLAST_OPT_BOOL, offsetof(clapp_opts, positive_only), 0, 0, 1, NULL, NULL,
     "learn on fixations only, no negatives (ablation)"},
    {"horizon", PLAST_OPT_INT, offsetof(clapp_opts, horizon), 1, 1, 5, NULL, NULL,
     "predict 1..horizon steps ahead (one W_pred per step)"},
    {"batch", PLAST_OPT_INT, offsetof(clapp_opts, batch), 32, 1, 256, NULL, NULL,
     "capacity of the context traces: the largest training minibatch"},
    {"biases", PLAST_OPT_BOOL, offsetof(clapp_opts, biases), 1, 0, 1, NULL, NULL,
     "also update the biases"},
};

/* Features of a layer: one per weight row (dense: unit, conv: channel). */
static int n_feat(const plast_layer *ly)
{
    return ly->kind.rows;
}

static int clapp_declare(const void *opts, const plast_net *net, plast_pset *state,
                         plast_pset *meta, plast_err *err)
{
    const clapp_opts *o = opts;
    int rc = PLAST_OK, H = o->horizon, Bc = o->batch;
    if (o->gate == GATE_SOFT)
        rc = plast_pset_add(meta, "sharpness", "gate", -1, 1, 1, PLAST_INIT_CONSTANT, o->sharpness,
                            0, 1e-3f, INFINITY, err);
    for (int l = 0; l < net->n_layers && !rc; l++) {
        const plast_layer *ly = &net->layer[l];
        if (!ly->plastic) continue;
        int nf = n_feat(ly);
        rc = plast_pset_add(meta, "lr", "lr", l, 1, 1, PLAST_INIT_CONSTANT, o->lr, 0, 0.0f,
                            INFINITY, err);
        if (!rc)
            rc = plast_pset_add(meta, "pred_lr", "lr", l, 1, 1, PLAST_INIT_CONSTANT, o->pred_lr, 0,
                                0.0f, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(state, "Wpred", "pred", l, H * nf, nf, PLAST_INIT_NORMAL, 0.0f,
                                o->pred_init / sqrtf((float)nf), -INFINITY, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(state, "ctx_x", "traces", l, H * Bc, ly->n_in, PLAST_INIT_ZEROS, 0,
                                0, -INFINITY, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(state, "ctx_d", "traces", l, H * Bc, ly->n_out, PLAST_INIT_ZEROS,
                                0, 0, -INFINITY, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(state, "ctx_z", "traces", l, H * Bc, nf, PLAST_INIT_ZEROS, 0, 0,
                                -INFINITY, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(state, "ctx_flags", "traces", l, 2, H, PLAST_INIT_ZEROS, 0, 0,
                                -INFINITY, INFINITY, err);
    }
    return rc;
}

static int clapp_check(const void *opts, const plast_net *net, const plast_objective *obj,
                       plast_err *err)
{
    (void)opts, (void)net, (void)obj, (void)err;
    return PLAST_OK;
}

typedef struct clapp_handles {
    const float *lr, *pred_lr, *sharpness;
    float *Wpred, *ctx_x, *ctx_d, *ctx_z, *flags;
    const float *saccade;
} clapp_handles;

static int clapp_bind(const void *opts, const plast_binder *b, void *hv, plast_err *err)
{
    const clapp_opts *o = opts;
    clapp_handles *h = hv;
    if (!b->ly->plastic) return PLAST_OK;
    if (b->batch > o->batch)
        return plast_err_set(err, PLAST_E_CONFIG, "rule.batch",
                             "clapp keeps context traces for minibatches of up to %d items; the "
                             "task's batch is %d (raise rule.batch)", o->batch, b->batch);
    h->saccade = plast_bind_broadcast(b, "saccade", err);
    if (!h->saccade) return PLAST_E_CONFIG;
    h->lr = plast_bind_meta(b, "lr", err);
    h->pred_lr = h->lr ? plast_bind_meta(b, "pred_lr", err) : NULL;
    h->sharpness = o->gate == GATE_SOFT && h->pred_lr ? plast_bind_meta(b, "sharpness", err) : NULL;
    if (!h->pred_lr || (o->gate == GATE_SOFT && !h->sharpness)) return PLAST_E_INTERNAL;
    h->Wpred = plast_bind_state(b, "Wpred", err);
    h->ctx_x = h->Wpred ? plast_bind_state(b, "ctx_x", err) : NULL;
    h->ctx_d = h->ctx_x ? plast_bind_state(b, "ctx_d", err) : NULL;
    h->ctx_z = h->ctx_d ? plast_bind_state(b, "ctx_z", err) : NULL;
    h->flags = h->ctx_z ? plast_bind_state(b, "ctx_flags", err) : NULL;
    return h->flags ? PLAST_OK : PLAST_E_INTERNAL;
}

/* dcur, U, V [batch][n_out]; zbar, Wc, Wz [batch][n_f]; gamma [batch]. */
static size_t clapp_scratch(const void *opts, const plast_layer *ly, int batch_max)
{
    (void)opts;
    return (size_t)batch_max * (3 * (size_t)ly->n_out + 3 * (size_t)n_feat(ly) + 1);
}

static float dotf(int n, const float *a, const float *b)
{
    float s = 0.0f;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* gamma = -dloss/du for one item (see the file comment). */
static float gate_of(const clapp_opts *o, const clapp_handles *h, float y, float u)
{
    switch (o->gate) {
    case GATE_NONE: return y;
    case GATE_SOFT: {
        float beta = *h->sharpness;
        return y / (1.0f + expf(-beta * (1.0f - y * u)));
    }
    default: return y * u < 1.0f ? y : 0.0f;
    }
}

/* out[b][c P + p] (+)= g[b] f[b][c] / P * d[b][c P + p] */
static void spread(int nb, int nf, int P, const float *g, const float *f, const float *d,
                   float *out, int accumulate)
{
    float inv = 1.0f / (float)P;
    for (int b = 0; b < nb; b++)
        for (int c = 0; c < nf; c++) {
            float v = g[b] * f[(size_t)b * nf + c] * inv;
            size_t at = ((size_t)b * nf + c) * P;
            for (int p = 0; p < P; p++)
                out[at + p] = (accumulate ? out[at + p] : 0.0f) + v * d[at + p];
        }
}

static void clapp_update(const plast_local *x)
{
    const clapp_opts *o = x->opts;
    const clapp_handles *h = x->h;
    const plast_kind *k = &x->kind;
    int nb = x->batch, n = x->n_out, ni = x->n_in, nf = k->rows, P = k->positions;
    int H = o->horizon, Bc = o->batch;
    float *dcur = x->scratch, *U = dcur + (size_t)nb * n, *V = U + (size_t)nb * n;
    float *zbar = V + (size_t)nb * n, *Wc = zbar + (size_t)nb * nf, *Wz = Wc + (size_t)nb * nf;
    float *gam = Wz + (size_t)nb * nf;
    float *valid = h->flags, *same = h->flags + H;
    int saccade = *h->saccade > 0.5f;
    float lr = *h->lr / (float)nb, plr = *h->pred_lr / (float)nb;

    /* rho'(a) and the features z (position means) of this step */
    for (int b = 0; b < nb; b++) {
        size_t at = (size_t)b * n;
        plast_act_deriv(x->act, n, x->preact + at, x->post + at, dcur + at);
        for (int c = 0; c < nf; c++) {
            float s = 0.0f;
            for (int p = 0; p < P; p++) s += x->post[at + (size_t)c * P + p];
            zbar[(size_t)b * nf + c] = s / (float)P;
        }
    }
    memset(U, 0, (size_t)nb * n * sizeof(float));
    for (int kk = 0; kk < H; kk++) {
        if (valid[kk] < 0.5f) continue;
        float y = same[kk] > 0.5f && !saccade ? 1.0f : -1.0f;
        if (o->positive_only && y < 0.0f) continue;
        float *Wk = h->Wpred + (size_t)kk * nf * nf;
        const float *C = h->ctx_z + (size_t)kk * Bc * nf;
        /* Wc [nb][nf] = C Wk^T (the prediction W_k c per item); Wz = zbar Wk (W_k^T z) */
        plast_gemm(0, 1, nb, nf, nf, 1.0f, C, nf, Wk, nf, 0.0f, Wc, nf);
        plast_gemm(0, 0, nb, nf, nf, 1.0f, zbar, nf, Wk, nf, 0.0f, Wz, nf);
        for (int b = 0; b < nb; b++)
            gam[b] = gate_of(o, h, y, dotf(nf, zbar + (size_t)b * nf, Wc + (size_t)b * nf));
        spread(nb, nf, P, gam, Wc, dcur, U, 1);
        if (o->retro) {
            /* through the context: V [nb][n_out] against the input k+1 steps ago */
            spread(nb, nf, P, gam, Wz, h->ctx_d + (size_t)kk * Bc * n, V, 0);
            plast_kind_outer(k, V, h->ctx_x + (size_t)kk * Bc * ni, nb, 0, nf, lr, 1.0f, x->W,
                             x->work);
            if (o->biases) plast_kind_rowaxpy(k, V, nb, lr, x->b);
        }
        if (!o->freeze_pred) {
            /* dW_k = plr sum_b gamma_b z_b c_b^T: Wz is free again, holds gamma z */
            for (int b = 0; b < nb; b++)
                for (int c = 0; c < nf; c++) Wz[(size_t)b * nf + c] = gam[b] * zbar[(size_t)b * nf + c];
            plast_gemm(1, 0, nf, nf, nb, plr, Wz, nf, C, nf, 1.0f, Wk, nf);
        }
    }
    plast_kind_outer(k, U, x->pre, nb, 0, nf, lr, 1.0f, x->W, x->work);
    if (o->biases) plast_kind_rowaxpy(k, U, nb, lr, x->b);

    /* Shift the context ring one slot older; slot 0 becomes this step. */
    for (int kk = H - 1; kk > 0; kk--) {
        memcpy(h->ctx_x + (size_t)kk * Bc * ni, h->ctx_x + (size_t)(kk - 1) * Bc * ni,
               (size_t)nb * ni * sizeof(float));
        memcpy(h->ctx_d + (size_t)kk * Bc * n, h->ctx_d + (size_t)(kk - 1) * Bc * n,
               (size_t)nb * n * sizeof(float));
        memcpy(h->ctx_z + (size_t)kk * Bc * nf, h->ctx_z + (size_t)(kk - 1) * Bc * nf,
               (size_t)nb * nf * sizeof(float));
        valid[kk] = valid[kk - 1];
        same[kk] = same[kk - 1] > 0.5f && !saccade ? 1.0f : 0.0f;
    }
    memcpy(h->ctx_x, x->pre, (size_t)nb * ni * sizeof(float));
    memcpy(h->ctx_d, dcur, (size_t)nb * n * sizeof(float));
    memcpy(h->ctx_z, zbar, (size_t)nb * nf * sizeof(float));
    valid[0] = 1.0f;
    same[0] = 1.0f;
}

static const char *const clapp_reads[] = {"saccade", NULL};

const plast_rule plast_rule_clapp = {
    .name = "clapp",
    .summary = "CLAPP: layer-local contrastive predictive hinge, gated by the saccade broadcast",
    .nonlocal = 0,
    .path = PLAST_PATH_NONE,
    .sig = PLAST_SIG_ERROR,
    .opts = {clapp_table, sizeof clapp_table / sizeof clapp_table[0], sizeof(clapp_opts)},
    .reads = clapp_reads,
    .declare = clapp_declare,
    .check = clapp_check,
    .handles_size = sizeof(clapp_handles),
    .bind = clapp_bind,
    .scratch_floats = clapp_scratch,
    .update = clapp_update,
};
