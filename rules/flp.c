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

/* ---- exact meta-gradients (double): the same update and its VJP ----
 * With U = h~^T pre and d_i = sum_b h~_bi^2 (Oja) or 0 (Hebb), p_ij = scale P_ij:
 *   W'_ij = W_ij + p_ij (U_ij - d_i W_ij). */

static size_t flp_scratch_d(const void *opts, const plast_layer *ly, int batch_max)
{
    (void)opts;
    /* h~ and its adjoint [batch][n_out], d and its adjoint [n_out], a row of U [n_in] */
    return 2 * (size_t)batch_max * ly->n_out + 2 * (size_t)ly->n_out + ly->n_in;
}

static int flp_teacher_out(const plast_local *l)
{
    return l->is_output && l->teacher;
}

/* h~ [batch][n_out] and d [n_out]; the plasticity coefficient of (i, j) through pidx. */
static void flp_targets_d(const plast_local_d *x, double *ht, double *d)
{
    const plast_local *l = x->x;
    const flp_opts *o = l->opts;
    double beta = *plast_meta_d(x, ((const flp_handles *)l->h)->beta);
    int nb = x->batch, no = l->n_out;
    for (size_t i = 0; i < (size_t)nb * no; i++) {
        if (flp_teacher_out(l)) {
            ht[i] = x->s[i];
            continue;
        }
        double f = x->fb[i];
        if (o->feedback_relu && f < 0.0) f = 0.0;
        if (o->gate && !(x->post[i] > 0.0)) f = 0.0;
        ht[i] = beta * f + (1.0 - beta) * x->post[i];
    }
    for (int i = 0; i < no; i++) d[i] = 0.0;
    if (o->form == FLP_OJA)
        for (int bb = 0; bb < nb; bb++)
            for (int i = 0; i < no; i++) d[i] += ht[(size_t)bb * no + i] * ht[(size_t)bb * no + i];
}

static size_t flp_pidx(const flp_opts *o, int i, int j, int ni)
{
    if (o->granularity == FLP_SYNAPSE) return (size_t)i * ni + j;
    if (o->granularity == FLP_NEURON) return (size_t)i;
    return 0;
}

/* u [n_in] = row i of U = h~^T pre. */
static void flp_urow_d(const plast_local_d *x, const double *ht, int i, double *u)
{
    int nb = x->batch, no = x->x->n_out, ni = x->x->n_in;
    for (int j = 0; j < ni; j++) u[j] = 0.0;
    for (int bb = 0; bb < nb; bb++) {
        double hb = ht[(size_t)bb * no + i];
        const double *p = x->pre + (size_t)bb * ni;
        for (int j = 0; j < ni; j++) u[j] += hb * p[j];
    }
}

static void flp_update_d(const plast_local_d *x)
{
    const plast_local *l = x->x;
    const flp_opts *o = l->opts;
    int nb = x->batch, no = l->n_out, ni = l->n_in;
    double *ht = x->scratch, *d = ht + 2 * (size_t)nb * no, *u = d + 2 * (size_t)no;
    flp_targets_d(x, ht, d);
    const double *P = plast_meta_d(x, ((const flp_handles *)l->h)->P);
    double scale = (l->teacher && !l->is_output) ? o->hidden_scale : 1.0;
    for (int i = 0; i < no; i++) {
        flp_urow_d(x, ht, i, u);
        double *w = x->W + (size_t)i * ni;
        for (int j = 0; j < ni; j++) w[j] += scale * P[flp_pidx(o, i, j, ni)] * (u[j] - d[i] * w[j]);
    }
}

static void flp_update_vjp_d(const plast_local_d *x)
{
    const plast_local *l = x->x;
    const flp_opts *o = l->opts;
    const flp_handles *h = l->h;
    int nb = x->batch, no = l->n_out, ni = l->n_in;
    size_t n = (size_t)nb * no;
    double *ht = x->scratch, *htb = ht + n, *d = htb + n, *db = d + no, *u = db + no;
    flp_targets_d(x, ht, d);
    const double *P = plast_meta_d(x, h->P);
    double *Pb = plast_meta_bar(x, h->P);
    double scale = (l->teacher && !l->is_output) ? o->hidden_scale : 1.0;
    for (size_t i = 0; i < n; i++) htb[i] = 0.0;
    for (int i = 0; i < no; i++) db[i] = 0.0;
    for (int i = 0; i < no; i++) {
        flp_urow_d(x, ht, i, u);
        const double *w = x->W + (size_t)i * ni;
        double *wb = x->W_bar + (size_t)i * ni;
        /* u becomes U_bar of row i */
        for (int j = 0; j < ni; j++) {
            size_t pi = flp_pidx(o, i, j, ni);
            double pij = scale * P[pi], g = wb[j];
            Pb[pi] += scale * g * (u[j] - d[i] * w[j]);
            db[i] -= g * pij * w[j];
            u[j] = g * pij;
            wb[j] = g * (1.0 - pij * d[i]);
        }
        for (int bb = 0; bb < nb; bb++) {
            const double *p = x->pre + (size_t)bb * ni;
            double s = 0.0, hb = ht[(size_t)bb * no + i];
            for (int j = 0; j < ni; j++) s += u[j] * p[j];
            htb[(size_t)bb * no + i] += s + (o->form == FLP_OJA ? 2.0 * hb * db[i] : 0.0);
            if (x->pre_bar) {
                double *pb = x->pre_bar + (size_t)bb * ni;
                for (int j = 0; j < ni; j++) pb[j] += u[j] * hb;
            }
        }
    }
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
