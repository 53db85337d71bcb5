/* flp.c — feedback and local plasticity (Lindsey & Litwin-Kumar 2020; PROTOCOLS.md §2).
 *
 * Each plastic layer's post-synaptic activity is nudged by its own untied feedback:
 *   h~ = beta * relu(B s + c) + (1 - beta) * h          (relu optional, gate optional)
 * and where the objective has a teacher target (classification: the one-hot class) h~ at the
 * output is that target s itself. The weights then move
 * by an Oja or a plain Hebbian rule, summed over the minibatch:
 *   Oja:  dW = P (.) ( h~^T pre - diag(sum_b h~^2) W )
 *   Hebb: dW = P (.) h~^T pre
 * P is per synapse, per neuron, per layer or one global value; beta is per layer. Biases
 * are not plastic. With a teacher target, hidden-layer updates are scaled by hidden_scale. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "plast/layer.h"
#include "plast/layer_d.h"
#include "plast/rule.h"

typedef enum { FLP_OJA, FLP_HEBB } flp_form;
typedef enum { FLP_SYNAPSE, FLP_NEURON, FLP_LAYER, FLP_GLOBAL } flp_gran;

typedef struct flp_opts {
    int form;
    int granularity;
    float p_init;
    float beta_init;
    int feedback_relu;
    int gate;
    float hidden_scale;
} flp_opts;

static const char *const forms[] = {"oja", "hebb", NULL};
static const char *const grans[] = {"synapse", "neuron", "layer", "global", NULL};

static const plast_opt flp_table[] = {
    {"form", PLAST_OPT_ENUM, offsetof(flp_opts, form), FLP_OJA, 0, 0, forms, NULL,
     "oja: h~ pre^T - diag(h~^2) W; hebb: h~ pre^T"},
    {"granularity", PLAST_OPT_ENUM, offsetof(flp_opts, granularity), FLP_SYNAPSE, 0, 0, grans,
     NULL, "shape of the plasticity coefficients P"},
    {"p_init", PLAST_OPT_FLOAT, offsetof(flp_opts, p_init), 1e-6, -1e3, 1e3, NULL, NULL,
     "initial value of every plasticity coefficient"},
    {"beta_init", PLAST_OPT_FLOAT, offsetof(flp_opts, beta_init), 0.5, 0, 1, NULL, NULL,
     "initial feedback mixing beta of every layer"},
    {"feedback_relu", PLAST_OPT_BOOL, offsetof(flp_opts, feedback_relu), 1, 0, 1, NULL, NULL,
     "relu on the feedback B s + c (0: linear feedback)"},
    {"gate", PLAST_OPT_BOOL, offsetof(flp_opts, gate), 0, 0, 1, NULL, NULL,
     "multiply the feedback by 1[post > 0] (a derivative-like gate)"},
    {"hidden_scale", PLAST_OPT_FLOAT, offsetof(flp_opts, hidden_scale), 100, 0, 1e6, NULL, NULL,
     "multiplier of hidden-layer updates when the output has a teacher target (classification)"},
};

static int flp_declare(const void *opts, const plast_net *net, plast_pset *state, plast_pset *meta,
                       plast_err *err)
{
    const flp_opts *o = opts;
    (void)state;
    int rc = PLAST_OK;
    if (o->granularity == FLP_GLOBAL)
        rc = plast_pset_add(meta, "P", "plasticity", -1, 1, 1, PLAST_INIT_CONSTANT, o->p_init, 0,
                            -INFINITY, INFINITY, err);
    for (int l = 0; l < net->n_layers && !rc; l++) {
        const plast_layer *ly = &net->layer[l];
        if (!ly->plastic) continue;
        int rows = 1, cols = 1; /* a synapse is a weight: a conv kernel's is shared by positions */
        if (o->granularity == FLP_SYNAPSE) rows = ly->kind.rows, cols = ly->kind.cols;
        if (o->granularity == FLP_NEURON) rows = ly->kind.rows;
        if (o->granularity != FLP_GLOBAL)
            rc = plast_pset_add(meta, "P", "plasticity", l, rows, cols, PLAST_INIT_CONSTANT,
                                o->p_init, 0, -INFINITY, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(meta, "beta", "beta", l, 1, 1, PLAST_INIT_CONSTANT, o->beta_init,
                                0, 0.0f, 1.0f, err);
    }
    return rc;
}

static int flp_check(const void *opts, const plast_net *net, const plast_objective *obj,
                     plast_err *err)
{
    (void)opts, (void)net, (void)obj, (void)err;
    return PLAST_OK;
}

typedef struct flp_handles {
    const float *P;    /* [n_out][n_in], [n_out], or one value (layer or global) */
    const float *beta; /* one value */
} flp_handles;

static int flp_bind(const void *opts, const plast_binder *b, void *hv, plast_err *err)
{
    flp_handles *h = hv;
    (void)opts;
    if (!b->ly->plastic) return PLAST_OK;
    h->P = plast_bind_meta(b, "P", err);
    h->beta = plast_bind_meta(b, "beta", err);
    return h->P && h->beta ? PLAST_OK : PLAST_E_INTERNAL;
}

static size_t flp_scratch(const void *opts, const plast_layer *ly, int batch_max)
{
    const flp_opts *o = opts;
    size_t n = (size_t)batch_max * ly->n_out + ly->kind.rows; /* h~ and sum_b h~^2 per row */
    if (o->granularity == FLP_SYNAPSE || o->granularity == FLP_NEURON)
        n += (size_t)PLAST_OJA_ROWS * ly->kind.cols; /* a block of G (plast_kind_oja) */
    return n;
}

static void flp_update(const plast_local *x)
{
    const flp_opts *o = x->opts;
    const flp_handles *h = x->h;
    const float *P = h->P;
    float beta = *h->beta;
    const plast_kind *k = &x->kind;
    int nb = x->batch, rows = k->rows, ni = k->cols;
    size_t n = (size_t)nb * x->n_out;
    float *ht = x->scratch, *d = ht + n, *G = d + rows;

    /* h~ [batch][n_out] */
    if (x->is_output && x->teacher) {
        memcpy(ht, x->s, n * sizeof *ht);
    } else {
        for (size_t i = 0; i < n; i++) {
            float f = x->fb[i];
            if (o->feedback_relu && f < 0.0f) f = 0.0f;
            if (o->gate && !(x->post[i] > 0.0f)) f = 0.0f;
            ht[i] = beta * f + (1.0f - beta) * x->post[i];
        }
    }
    float scale = (x->teacher && !x->is_output) ? o->hidden_scale : 1.0f;

    /* d[i] = sum_b h~[b][i]^2 (Oja's decay; on a conv layer also summed over the positions
     * of channel i), zero for the Hebbian form */
    if (o->form == FLP_OJA) plast_kind_rowdot(k, ht, ht, nb, d);
    else for (int i = 0; i < rows; i++) d[i] = 0.0f;

    if (o->granularity == FLP_LAYER || o->granularity == FLP_GLOBAL) {
        /* One coefficient p: W <- (1 - p d_i) W_i + p h~^T pre, done in place by gemm. */
        float p = scale * P[0];
        if (o->form == FLP_OJA)
            for (int i = 0; i < rows; i++) {
                float f = 1.0f - p * d[i];
                float *w = x->W + (size_t)i * ni;
                for (int j = 0; j < ni; j++) w[j] *= f;
            }
        plast_kind_outer(k, ht, x->pre, nb, 0, rows, p, 1.0f, x->W, x->work);
        return;
    }
    /* W += P (.) (h~^T pre - d_i W): fused on dense layers, through blocks of G on conv */
    plast_kind_oja(k, ht, x->pre, nb, d, P, o->granularity == FLP_SYNAPSE, scale, x->W, G, x->work);
}

/* ---- exact meta-gradients (double): the same update and its VJP, on any layer kind ----
 * With U = outer(h~, pre) (h~^T pre on a dense layer) and d_i = sum_{b,p} h~_{b,i,p}^2 (Oja)
 * or 0 (Hebb), p_ij = scale P_ij:
 *   W'_ij = W_ij + p_ij (U_ij - d_i W_ij),
 * a block of PLAST_OJA_ROWS rows of U at a time, as in the float step. */

static size_t flp_scratch_d(const void *opts, const plast_layer *ly, int batch_max)
{
    (void)opts;
    /* h~ and its adjoint [batch][n_out], d and its adjoint [rows], a block of U [PLAST_OJA_ROWS][cols] */
    return 2 * (size_t)batch_max * ly->n_out + 2 * (size_t)ly->kind.rows +
           (size_t)PLAST_OJA_ROWS * ly->kind.cols;
}

static int flp_teacher_out(const plast_local *l)
{
    return l->is_output && l->teacher;
}

/* h~ [batch][n_out] and d [rows]. */
static void flp_targets_d(const plast_local_d *x, double *ht, double *d)
{
    const plast_local *l = x->x;
    const flp_opts *o = l->opts;
    double beta = *plast_meta_d(x, ((const flp_handles *)l->h)->beta);
    size_t n = (size_t)x->batch * l->n_out;
    for (size_t i = 0; i < n; i++) {
        if (flp_teacher_out(l)) {
            ht[i] = x->s[i];
            continue;
        }
        double f = x->fb[i];
        if (o->feedback_relu && f < 0.0) f = 0.0;
        if (o->gate && !(x->post[i] > 0.0)) f = 0.0;
        ht[i] = beta * f + (1.0 - beta) * x->post[i];
    }
    for (int i = 0; i < l->kind.rows; i++) d[i] = 0.0;
    if (o->form == FLP_OJA) plast_kind_rowdot_d(&l->kind, ht, ht, x->batch, 1.0, d);
}

/* The plasticity coefficient of synapse (i, j) of a row of cols synapses. */
static size_t flp_pidx(const flp_opts *o, int i, int j, int cols)
{
    if (o->granularity == FLP_SYNAPSE) return (size_t)i * cols + j;
    if (o->granularity == FLP_NEURON) return (size_t)i;
    return 0;
}

static void flp_update_d(const plast_local_d *x)
{
    const plast_local *l = x->x;
    const flp_opts *o = l->opts;
    const plast_kind *k = &l->kind;
    size_t n = (size_t)x->batch * l->n_out;
    int cols = k->cols;
    double *ht = x->scratch, *d = ht + 2 * n, *G = d + 2 * (size_t)k->rows;
    flp_targets_d(x, ht, d);
    const double *P = plast_meta_d(x, ((const flp_handles *)l->h)->P);
    double scale = (l->teacher && !l->is_output) ? o->hidden_scale : 1.0;
    for (int r0 = 0; r0 < k->rows; r0 += PLAST_OJA_ROWS) {
        int nr = k->rows - r0 < PLAST_OJA_ROWS ? k->rows - r0 : PLAST_OJA_ROWS;
        plast_kind_outer_d(k, ht, x->pre, x->batch, r0, nr, 1.0, 0.0, G, x->work);
        for (int i = r0; i < r0 + nr; i++) {
            double *restrict w = x->W + (size_t)i * cols;
            const double *restrict u = G + (size_t)(i - r0) * cols;
            double di = d[i];
            if (o->granularity == FLP_SYNAPSE) {
                const double *restrict p = P + (size_t)i * cols;
                for (int j = 0; j < cols; j++) w[j] += scale * p[j] * (u[j] - di * w[j]);
            } else {
                double pi = scale * P[flp_pidx(o, i, 0, cols)];
                for (int j = 0; j < cols; j++) w[j] += pi * (u[j] - di * w[j]);
            }
        }
    }
}

static void flp_update_vjp_d(const plast_local_d *x)
{
    const plast_local *l = x->x;
    const flp_opts *o = l->opts;
    const flp_handles *h = l->h;
    const plast_kind *k = &l->kind;
    int nb = x->batch, cols = k->cols, P_pos = k->positions;
    size_t n = (size_t)nb * l->n_out;
    double *ht = x->scratch, *htb = ht + n, *d = htb + n, *db = d + k->rows, *G = db + k->rows;
    flp_targets_d(x, ht, d);
    const double *P = plast_meta_d(x, h->P);
    double *Pb = plast_meta_bar(x, h->P);
    double scale = (l->teacher && !l->is_output) ? o->hidden_scale : 1.0;
    memset(htb, 0, n * sizeof *htb);
    memset(db, 0, (size_t)k->rows * sizeof *db);
    for (int r0 = 0; r0 < k->rows; r0 += PLAST_OJA_ROWS) {
        int nr = k->rows - r0 < PLAST_OJA_ROWS ? k->rows - r0 : PLAST_OJA_ROWS;
        plast_kind_outer_d(k, ht, x->pre, nb, r0, nr, 1.0, 0.0, G, x->work);
        /* G becomes U_bar of the block; W_bar that of the W before the update */
        for (int i = r0; i < r0 + nr; i++) {
            const double *restrict w = x->W + (size_t)i * cols;
            double *restrict wb = x->W_bar + (size_t)i * cols, *restrict u = G + (size_t)(i - r0) * cols;
            double di = d[i], dbi = db[i]; /* db[i] summed in j's order, in a register */
            if (o->granularity == FLP_SYNAPSE) {
                const double *restrict p = P + (size_t)i * cols;
                double *restrict pb = Pb + (size_t)i * cols;
                for (int j = 0; j < cols; j++) {
                    double pij = scale * p[j], gw = wb[j];
                    pb[j] += scale * gw * (u[j] - di * w[j]);
                    dbi -= gw * pij * w[j];
                    u[j] = gw * pij;
                    wb[j] = gw * (1.0 - pij * di);
                }
            } else {
                size_t pi = flp_pidx(o, i, 0, cols);
                double pij = scale * P[pi], pbi = Pb[pi];
                for (int j = 0; j < cols; j++) {
                    double gw = wb[j];
                    pbi += scale * gw * (u[j] - di * w[j]);
                    dbi -= gw * pij * w[j];
                    u[j] = gw * pij;
                    wb[j] = gw * (1.0 - pij * di);
                }
                Pb[pi] = pbi;
            }
            db[i] = dbi;
        }
        /* U = outer(h~, pre): h~_bar += U_bar applied to pre, pre_bar += U_bar^T h~ */
        plast_kind_linear_d(k, G, r0, nr, NULL, x->pre, nb, 1.0, htb, x->work);
        if (x->pre_bar) plast_kind_backward_d(k, G, r0, nr, NULL, ht, nb, 1.0, x->pre_bar, x->work);
    }
    if (o->form == FLP_OJA) /* d_i = sum_{b,p} h~^2 */
        for (size_t i = 0; i < n; i++) htb[i] += 2.0 * ht[i] * db[i % l->n_out / P_pos];
    if (flp_teacher_out(l)) return; /* h~ is the target: a constant */
    double beta = *plast_meta_d(x, h->beta), bb_ = 0.0;
    for (size_t i = 0; i < n; i++) {
        double f = x->fb[i], on = 1.0;
        if (o->feedback_relu && f < 0.0) f = 0.0, on = 0.0;
        if (o->gate && !(x->post[i] > 0.0)) f = 0.0, on = 0.0;
        x->fb_bar[i] += beta * on * htb[i];
        x->post_bar[i] += (1.0 - beta) * htb[i];
        bb_ += htb[i] * (f - x->post[i]);
    }
    *plast_meta_bar(x, h->beta) += bb_;
}

const plast_rule plast_rule_flp = {
    .name = "flp",
    .summary = "feedback-driven Oja/Hebbian plasticity with meta-learned P, beta and untied B",
    .nonlocal = 0,
    .path = PLAST_PATH_DIRECT,
    .sig = PLAST_SIG_TEACHER,
    .opts = {flp_table, sizeof flp_table / sizeof flp_table[0], sizeof(flp_opts)},
    .declare = flp_declare,
    .check = flp_check,
    .handles_size = sizeof(flp_handles),
    .bind = flp_bind,
    .scratch_floats = flp_scratch,
    .signal = NULL,
    .update = flp_update,
    .scratch_d_doubles = flp_scratch_d,
    .update_d = flp_update_d,
    .update_vjp_d = flp_update_vjp_d,
};
