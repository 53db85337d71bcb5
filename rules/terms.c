/* terms.c — rule discovery with a term library (Shervani-Tabar & Rosenbaum 2023;
 * PROTOCOLS.md §4). Each plastic layer moves by a linear combination of candidate terms,
 * summed over the minibatch b, with one meta-parameter theta_k per term shared by every
 * synapse of every layer and a fixed step eta (so that theta are O(1)):
 *   dw_ij = eta * sum_b sum_k theta_k T_k,
 * from the synapse's own signals: x_j = pre, y_i = post, e_i = the layer's delta
 * fb (.) f'(a) (chain feedback, s = -dL/d(output), as in rules/delta.c's fa), eps_j = the
 * pre-synaptic neurons' delta (zero at the lowest plastic layer) and w_ij. The terms are
 * the ten quadratic products
 *   post x pre:        e_i x_j (pseudo-gradient: FA), e_i eps_j (error-Hebbian), y_i x_j
 *                      (Hebbian), y_i eps_j;
 *   post x post x w:   y_i^2 w_ij, e_i^2 w_ij, y_i e_i w_ij;
 *   pre x pre x w:     x_j^2 w_ij, eps_j^2 w_ij, x_j eps_j w_ij;
 * and Oja's y_i x_j - y_i^2 w_ij, the compact form an L1 penalty on theta prefers to its
 * two parts. The update is done as
 *   W += eta (rho_i + gamma_j) W                   (old W; rho, gamma: row and column sums)
 *   W += eta (t_pg e + (t_hebb + t_oja) y)^T x     (one gemm, skipped when both are zero)
 *   W += eta (t_eh e + t_yeps y)^T eps             (one gemm, skipped likewise or eps = 0)
 * Biases are not plastic. theta_k is the shared 1x1 tensor "t_<term name>" of group "terms",
 * declared in term order. include/plast/terms.h reads theta in term order and prints the
 * rule as an equation (the rule's describe hook, for `plast show`, lists the terms with
 * |theta| > 0.01). */
#include "plast/terms.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "plast/layer.h"
#include "plast/rule.h"

typedef struct terms_opts {
    float eta;
    int init;
} terms_opts;

enum { INIT_ZEROS, INIT_PSEUDO_GRAD, INIT_OJA };
static const char *const inits[] = {"zeros", "pseudo_grad", "oja", NULL};

static const plast_opt terms_table[] = {
    {"eta", PLAST_OPT_FLOAT, offsetof(terms_opts, eta), 1e-2, 0, 1e3, NULL, NULL,
     "fixed step multiplying every term (keeps theta O(1))"},
    {"init", PLAST_OPT_ENUM, offsetof(terms_opts, init), INIT_PSEUDO_GRAD, 0, 0, inits, NULL,
     "initial theta: zeros, pseudo_grad (theta_pseudo_grad = 1) or oja (theta_oja = 1)"},
};

/* Term indices, in the order of plast_terms_names. */
enum { PG, EH, HEBB, YEPS, Y2W, E2W, YEW, X2W, EPS2W, XEPSW, OJA };

const char *const plast_terms_names[PLAST_TERMS_N] = {
    "pseudo_grad", "error_hebb", "hebb", "y_eps", "y2_w", "e2_w",
    "ye_w",        "x2_w",       "eps2_w", "xeps_w", "oja",
};

const char *const plast_terms_math[PLAST_TERMS_N] = {
    "e_i x_j",      "e_i eps_j",    "y_i x_j",        "y_i eps_j",
    "y_i^2 w_ij",   "e_i^2 w_ij",   "y_i e_i w_ij",   "x_j^2 w_ij",
    "eps_j^2 w_ij", "x_j eps_j w_ij", "(y_i x_j - y_i^2 w_ij)",
};

/* "t_<term name>": the tensor holding theta_k. */
static void tensor_name(int k, char *buf, size_t n)
{
    snprintf(buf, n, "t_%s", plast_terms_names[k]);
}

static int terms_declare(const void *opts, const plast_net *net, plast_pset *state,
                         plast_pset *meta, plast_err *err)
{
    const terms_opts *o = opts;
    (void)net, (void)state;
    int rc = PLAST_OK;
    for (int k = 0; k < PLAST_TERMS_N && !rc; k++) {
        char name[32];
        tensor_name(k, name, sizeof name);
        float a = (o->init == INIT_PSEUDO_GRAD && k == PG) || (o->init == INIT_OJA && k == OJA);
        rc = plast_pset_add(meta, name, "terms", -1, 1, 1, PLAST_INIT_CONSTANT, a, 0, -INFINITY,
                            INFINITY, err);
    }
    return rc;
}

static int terms_check(const void *opts, const plast_net *net, const plast_objective *obj,
                       plast_err *err)
{
    (void)opts, (void)net, (void)obj, (void)err;
    return PLAST_OK;
}

typedef struct terms_handles {
    const float *theta[PLAST_TERMS_N];
} terms_handles;

static int terms_bind(const void *opts, const plast_binder *b, void *hv, plast_err *err)
{
    terms_handles *h = hv;
    (void)opts;
    if (!b->ly->plastic) return PLAST_OK;
    for (int k = 0; k < PLAST_TERMS_N; k++) {
        char name[32];
        tensor_name(k, name, sizeof name);
        if (!(h->theta[k] = plast_bind_meta(b, name, err))) return PLAST_E_INTERNAL;
    }
    return PLAST_OK;
}

static size_t terms_scratch(const void *opts, const plast_layer *ly, int batch_max)
{
    (void)opts;
    /* a left factor [batch][n_out] (signal(): the f'(a) row), rho [rows], gamma [cols], the
     * pre-side map [batch][n_in] */
    return (size_t)batch_max * ly->n_out + ly->kind.rows + ly->kind.cols +
           (size_t)batch_max * ly->n_in;
}

/* delta [batch][n_out] = fb (.) f'(a), exactly as rules/delta.c computes it for fa. */
static void terms_signal(const plast_local *x)
{
    float *dv = x->scratch;
    for (int bb = 0; bb < x->batch; bb++) {
        size_t o = (size_t)bb * x->n_out;
        plast_act_deriv(x->act, x->n_out, x->preact + o, x->post + o, dv);
        for (int i = 0; i < x->n_out; i++) x->delta[o + i] = x->fb[o + i] * dv[i];
    }
}

/* W += eta (a u + c v)^T q with u, v [batch][n_out], q [batch][n_in] (the layer's outer
 * kernel): on u or v itself when the other coefficient is zero, else on the combination in P. */
static void cross(const plast_local *x, float eta, float a, const float *u, float c,
                  const float *v, const float *q, float *P)
{
    int nb = x->batch, no = x->n_out;
    const float *left = P;
    float alpha = eta;
    if (a == 0.0f && c == 0.0f) return;
    if (c == 0.0f) {
        left = u, alpha = eta * a;
    } else if (a == 0.0f) {
        left = v, alpha = eta * c;
    } else {
        for (size_t k = 0; k < (size_t)nb * no; k++) P[k] = a * u[k] + c * v[k];
    }
    plast_kind_outer(&x->kind, left, q, nb, 0, x->kind.rows, alpha, 1.0f, x->W, x->work);
}

static void terms_update(const plast_local *x)
{
    const terms_opts *o = x->opts;
    const plast_kind *k = &x->kind;
    int nb = x->batch, no = x->n_out, ni = x->n_in, rows = k->rows, cols = k->cols;
    const float *e = x->delta, *eps = x->pre_delta, *X = x->pre, *Y = x->post;
    float *P = x->scratch, *rho = P + (size_t)nb * no, *gam = rho + rows, *R = gam + cols;
    float eta = o->eta, th[PLAST_TERMS_N];
    const terms_handles *h = x->h;
    for (int t = 0; t < PLAST_TERMS_N; t++) th[t] = *h->theta[t];

    /* The w-scaled terms first, from the old W: rho_i = sum_b (t y^2 + t e^2 + t y e),
     * with Oja's decay in the y^2 coefficient; gamma_j likewise over the pre side. The
     * per-unit products are maps (P post side, R pre side) summed by the layer's kernels:
     * over the batch, and on a conv layer over the positions a weight serves. */
    float ayy = th[Y2W] - th[OJA], aee = th[E2W], aye = th[YEW];
    float axx = th[X2W], app = eps ? th[EPS2W] : 0.0f, axp = eps ? th[XEPSW] : 0.0f;
    int post_w = ayy != 0.0f || aee != 0.0f || aye != 0.0f;
    int pre_w = axx != 0.0f || app != 0.0f || axp != 0.0f;
    if (post_w || pre_w) {
        for (int i = 0; i < rows; i++) rho[i] = 0.0f;
        for (int j = 0; j < cols; j++) gam[j] = 0.0f;
        if (post_w) {
            for (size_t i = 0; i < (size_t)nb * no; i++)
                P[i] = (ayy * Y[i] + aye * e[i]) * Y[i] + aee * e[i] * e[i];
            plast_kind_rowdot(k, P, NULL, nb, rho);
        }
        if (pre_w) {
            for (size_t j = 0; j < (size_t)nb * ni; j++)
                R[j] = eps ? (axx * X[j] + axp * eps[j]) * X[j] + app * eps[j] * eps[j]
                           : axx * X[j] * X[j];
            plast_kind_patchdot(k, R, NULL, nb, gam, x->work);
        }
        for (int i = 0; i < rows; i++) rho[i] *= eta;
        for (int j = 0; j < cols; j++) gam[j] *= eta;
        for (int i = 0; i < rows; i++) {
            float *restrict w = x->W + (size_t)i * cols;
            float r = rho[i];
            for (int j = 0; j < cols; j++) w[j] += (r + gam[j]) * w[j];
        }
    }
    /* The cross products: two gemms with combined left factors. */
    cross(x, eta, th[PG], e, th[HEBB] + th[OJA], Y, X, P);
    if (eps) cross(x, eta, th[EH], e, th[YEPS], Y, eps, P);
}

static int terms_describe(const void *opts, const plast_pset *meta, char *buf, size_t n)
{
    if (plast_terms_equation(meta, opts, PLAST_TERMS_THRESHOLD, buf, n, NULL)) return 0;
    return (int)strlen(buf);
}

const plast_rule plast_rule_terms = {
    .name = "terms",
    .summary = "term library: eta sum_k theta_k T_k over pre, post, deltas and w (rule discovery)",
    .nonlocal = 0,
    .path = PLAST_PATH_CHAIN,
    .sig = PLAST_SIG_ERROR,
    .opts = {terms_table, sizeof terms_table / sizeof terms_table[0], sizeof(terms_opts)},
    .declare = terms_declare,
    .check = terms_check,
    .handles_size = sizeof(terms_handles),
    .bind = terms_bind,
    .scratch_floats = terms_scratch,
    .signal = terms_signal,
    .update = terms_update,
    .describe = terms_describe,
};

/* ---- reading the discovered rule (include/plast/terms.h) ---------------------------------- */

/* The view of each theta_k in meta, or PLAST_E_DATA naming the first one missing. */
static int views(const plast_pset *meta, float *v[PLAST_TERMS_N], plast_err *err)
{
    for (int k = 0; k < PLAST_TERMS_N; k++) {
        char name[32];
        tensor_name(k, name, sizeof name);
        const plast_pspec *p = plast_pset_find(meta, name, -1);
        if (!p || p->rows != 1 || p->cols != 1 || !meta->data)
            return plast_err_set(err, PLAST_E_DATA, name,
                                 "not a terms-rule parameter set: no shared 1x1 tensor %s", name);
        v[k] = meta->data + p->offset;
    }
    return PLAST_OK;
}

int plast_terms_theta(const plast_pset *meta, double theta[PLAST_TERMS_N], plast_err *err)
{
    float *v[PLAST_TERMS_N];
    int rc = views(meta, v, err);
    if (rc) return rc;
    for (int k = 0; k < PLAST_TERMS_N; k++) theta[k] = *v[k];
    return PLAST_OK;
}

int plast_terms_set_theta(plast_pset *meta, const double theta[PLAST_TERMS_N], plast_err *err)
{
    float *v[PLAST_TERMS_N];
    int rc = views(meta, v, err);
    if (rc) return rc;
    for (int k = 0; k < PLAST_TERMS_N; k++) *v[k] = (float)theta[k];
    return PLAST_OK;
}

/* Appends to buf[n] at *len; once it does not fit, sets *full and writes nothing more. */
static void put(char *buf, size_t n, size_t *len, int *full, const char *fmt, ...)
{
    if (*full) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= n - *len) *full = 1;
    else *len += (size_t)w;
}

int plast_terms_equation(const plast_pset *meta, const void *rule_opts, double threshold,
                         char *buf, size_t n, plast_err *err)
{
    if (n == 0) return plast_err_set(err, PLAST_E_USAGE, "", "no room for the equation");
    buf[0] = '\0';
    double th[PLAST_TERMS_N];
    int rc = plast_terms_theta(meta, th, err);
    if (rc) return rc;
    /* Surviving terms by decreasing |theta| (insertion sort, ties in term order). */
    int order[PLAST_TERMS_N], m = 0;
    for (int k = 0; k < PLAST_TERMS_N; k++) {
        if (!(fabs(th[k]) > threshold)) continue;
        int q = m++;
        while (q > 0 && fabs(th[order[q - 1]]) < fabs(th[k])) order[q] = order[q - 1], q--;
        order[q] = k;
    }
    size_t len = 0;
    int full = 0;
    if (m == 0) {
        put(buf, n, &len, &full, "dw_ij = 0 (no surviving term: every |theta| <= %g)", threshold);
    } else {
        if (rule_opts)
            put(buf, n, &len, &full, "dw_ij = %.3g * sum_b (",
                (double)((const terms_opts *)rule_opts)->eta);
        else
            put(buf, n, &len, &full, "dw_ij = eta * sum_b (");
        for (int q = 0; q < m; q++) {
            double c = th[order[q]];
            const char *sign = c < 0 ? (q ? " - " : " -") : (q ? " + " : " ");
            put(buf, n, &len, &full, "%s%.3g %s", sign, fabs(c), plast_terms_math[order[q]]);
        }
        put(buf, n, &len, &full, " )");
    }
    if (full)
        return plast_err_set(err, PLAST_E_USAGE, "", "the equation needs more than %zu bytes", n);
    return PLAST_OK;
}
