/* layer_d.c — the layer kinds in double precision (see include/plast/layer_d.h).
 *
 * Dense products are one dgemm; a conv layer goes one batch item at a time through its
 * im2col patches col [cols][positions] and one dgemm, the patches written and scattered
 * back through one index function (patch_at) with bounds tests: these kernels serve
 * meta-gradients, where the products, not the copies, take the time. */
#include "plast/layer_d.h"

#include "plast/linalg.h"

size_t plast_kind_work_doubles(const plast_kind *k)
{
    return k->type == PLAST_LAYER_CONV ? (size_t)k->cols * (size_t)k->positions : 0;
}

static size_t n_in_of(const plast_kind *k)
{
    return (size_t)k->in_c * k->in_h * k->in_w;
}

static size_t n_out_of(const plast_kind *k)
{
    return (size_t)k->out_c * k->out_h * k->out_w;
}

/* Index into one input map of patch entry j = (c, ki, kj) at output position p, or -1 in
 * the zero padding. */
static long patch_at(const plast_kind *k, int j, int p)
{
    int kk = k->k * k->k, c = j / kk, ki = j % kk / k->k, kj = j % k->k;
    int ih = p / k->out_w * k->stride - k->pad + ki, iw = p % k->out_w * k->stride - k->pad + kj;
    if (ih < 0 || ih >= k->in_h || iw < 0 || iw >= k->in_w) return -1;
    return ((long)c * k->in_h + ih) * k->in_w + iw;
}

/* col [cols][P] = the patches of x [n_in]; or, x NULL, g [n_in] += alpha col put back where
 * the patches came from. */
static void patches(const plast_kind *k, const double *x, double *col, double *g, double alpha)
{
    int P = k->positions;
    for (int j = 0; j < k->cols; j++) {
        double *row = col + (size_t)j * P;
        for (int p = 0; p < P; p++) {
            long at = patch_at(k, j, p);
            if (!x) {
                if (at >= 0) g[at] += alpha * row[p];
            } else {
                row[p] = at >= 0 ? x[at] : 0.0;
            }
        }
    }
}

/* One batch item of a pool layer: y [n_out] += alpha K x [n_in] (transpose 0) or
 * y [n_in] += alpha K^T x [n_out] (transpose 1); max windows chosen on ref [n_in]. */
static void pool_item(const plast_kind *k, const double *ref, const double *x, double alpha,
                      int transpose, double *y)
{
    double share = k->op == PLAST_POOL_MAX ? 1.0 : 1.0 / (k->k * k->k);
    size_t o = 0;
    for (int c = 0; c < k->out_c; c++)
        for (int oh = 0; oh < k->out_h; oh++)
            for (int ow = 0; ow < k->out_w; ow++, o++) {
                size_t corner = ((size_t)c * k->in_h + (size_t)oh * k->stride) * k->in_w +
                                (size_t)ow * k->stride;
                size_t best = corner;
                for (int e = 0; e < k->k * k->k; e++) {
                    size_t at = corner + (size_t)(e / k->k) * k->in_w + (size_t)(e % k->k);
                    if (k->op == PLAST_POOL_MAX) {
                        if (ref[at] > ref[best]) best = at;
                        continue;
                    }
                    if (transpose) y[at] += alpha * share * x[o];
                    else y[o] += alpha * share * x[at];
                }
                if (k->op != PLAST_POOL_MAX) continue;
                if (transpose) y[best] += alpha * x[o];
                else y[o] += alpha * x[best];
            }
}

/* A pool or flatten layer, batch item by item: y += alpha K x (transpose 0, x [nb][n_in])
 * or y += alpha K^T x (transpose 1, x [nb][n_out]). */
static void route(const plast_kind *k, const double *ref, const double *x, int nb, double alpha,
                  int transpose, double *y)
{
    size_t ni = n_in_of(k), no = n_out_of(k), nx = transpose ? no : ni, ny = transpose ? ni : no;
    for (int i = 0; i < nb; i++) {
        if (k->type == PLAST_LAYER_FLATTEN)
            for (size_t j = 0; j < ni; j++) y[(size_t)i * ny + j] += alpha * x[(size_t)i * nx + j];
        else
            pool_item(k, ref + (size_t)i * ni, x + (size_t)i * nx, alpha, transpose, y + (size_t)i * ny);
    }
}

void plast_kind_linear_d(const plast_kind *k, const double *W, int r0, int nr, const double *ref,
                         const double *x, int nb, double alpha, double *y, double *work)
{
    size_t ni = n_in_of(k), no = n_out_of(k);
    switch (k->type) {
    case PLAST_LAYER_DENSE: /* y [nb][r0..] += alpha x [nb][ni] W^T */
        plast_dgemm(0, 1, nb, nr, (int)ni, alpha, x, (int)ni, W, (int)ni, 1.0, y + r0, (int)no);
        return;
    case PLAST_LAYER_CONV: {
        int P = k->positions;
        for (int i = 0; i < nb; i++) {
            patches(k, x + (size_t)i * ni, work, NULL, 0.0);
            /* y_i [r0..][P] += alpha W [nr][cols] col [cols][P] */
            plast_dgemm(0, 0, nr, P, k->cols, alpha, W, k->cols, work, P, 1.0,
                        y + (size_t)i * no + (size_t)r0 * P, P);
        }
        return;
    }
    case PLAST_LAYER_POOL:
    case PLAST_LAYER_FLATTEN:
        route(k, ref, x, nb, alpha, 0, y);
        return;
    }
}

void plast_kind_backward_d(const plast_kind *k, const double *W, int r0, int nr,
                           const double *ref, const double *d, int nb, double alpha, double *g,
                           double *work)
{
    size_t ni = n_in_of(k), no = n_out_of(k);
    switch (k->type) {
    case PLAST_LAYER_DENSE: /* g [nb][ni] += alpha d [nb][r0..] W [nr][ni] */
        plast_dgemm(0, 0, nb, (int)ni, nr, alpha, d + r0, (int)no, W, (int)ni, 1.0, g, (int)ni);
        return;
    case PLAST_LAYER_CONV: {
        int P = k->positions;
        for (int i = 0; i < nb; i++) {
            /* col [cols][P] = W^T [cols][nr] d_i [r0..][P], scattered back onto g_i */
            plast_dgemm(1, 0, k->cols, P, nr, 1.0, W, k->cols, d + (size_t)i * no + (size_t)r0 * P,
                        P, 0.0, work, P);
            patches(k, NULL, work, g + (size_t)i * ni, alpha);
        }
        return;
    }
    case PLAST_LAYER_POOL:
    case PLAST_LAYER_FLATTEN:
        route(k, ref, d, nb, alpha, 1, g);
        return;
    }
}

void plast_kind_outer_d(const plast_kind *k, const double *u, const double *x, int nb, int r0,
                        int nr, double alpha, double beta, double *G, double *work)
{
    size_t ni = n_in_of(k), no = n_out_of(k);
    if (k->type == PLAST_LAYER_DENSE) { /* G [nr][ni] = beta G + alpha u[:, r0..]^T x */
        plast_dgemm(1, 0, nr, (int)ni, nb, alpha, u + r0, (int)no, x, (int)ni, beta, G, (int)ni);
        return;
    }
    int P = k->positions;
    for (int i = 0; i < nb; i++) {
        patches(k, x + (size_t)i * ni, work, NULL, 0.0);
        /* G [nr][cols] (+)= alpha u_i [r0..][P] col^T [P][cols] */
        plast_dgemm(0, 1, nr, k->cols, P, alpha, u + (size_t)i * no + (size_t)r0 * P, P, work, P,
                    i ? 1.0 : beta, G, k->cols);
    }
}

void plast_kind_rowdot_d(const plast_kind *k, const double *u, const double *v, int nb,
                         double alpha, double *out)
{
    int P = k->positions;
    size_t no = n_out_of(k);
    for (int i = 0; i < nb; i++)
        for (int r = 0; r < k->rows; r++) {
            const double *ur = u + (size_t)i * no + (size_t)r * P;
            const double *vr = v ? v + (size_t)i * no + (size_t)r * P : NULL;
            double s = 0.0;
            for (int p = 0; p < P; p++) s += vr ? ur[p] * vr[p] : ur[p];
            out[r] += alpha * s;
        }
}

void plast_kind_rowbcast_d(const plast_kind *k, const double *v, int nb, double alpha, double *u)
{
    int P = k->positions;
    size_t no = n_out_of(k);
    for (int i = 0; i < nb; i++)
        for (int r = 0; r < k->rows; r++) {
            double *ur = u + (size_t)i * no + (size_t)r * P;
            for (int p = 0; p < P; p++) ur[p] += alpha * v[r];
        }
}
