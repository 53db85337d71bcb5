/* layer.c — forward, backward and update kernels of the layer kinds (see
 * include/plast/layer.h). Convolutions run one batch item at a time through an im2col
 * buffer col [cols][positions] and one gemm, so the work space is two such buffers. */
#include "plast/layer.h"

#include <math.h>
#include <string.h>

size_t plast_kind_work_floats(const plast_kind *k)
{
    return k->type == PLAST_LAYER_CONV ? 2 * (size_t)k->cols * (size_t)k->positions : 0;
}

static size_t n_in_of(const plast_kind *k)
{
    return (size_t)k->in_c * k->in_h * k->in_w;
}

static size_t n_out_of(const plast_kind *k)
{
    return (size_t)k->out_c * k->out_h * k->out_w;
}

/* The output columns ow whose input column ow stride - pad + kj lies inside 0..in_w-1:
 * [*lo, *hi). Computed once per kernel column, so the copies below have no bounds tests. */
static void inside(const plast_kind *k, int kj, int *lo, int *hi)
{
    int a = k->pad - kj, b = k->in_w - 1 + k->pad - kj; /* ow stride must lie in [a, b] */
    int l = a > 0 ? (a + k->stride - 1) / k->stride : 0;
    int h = b >= 0 ? b / k->stride + 1 : 0;
    *lo = l < k->out_w ? l : k->out_w;
    *hi = h < k->out_w ? h : k->out_w;
    if (*hi < *lo) *hi = *lo;
}

/* col [cols][P] = the patches of one input map x [in_c][in_h][in_w] (zero outside). */
static void im2col(const plast_kind *k, const float *x, float *col)
{
    int P = k->positions;
    for (int c = 0; c < k->in_c; c++)
        for (int ki = 0; ki < k->k; ki++)
            for (int kj = 0; kj < k->k; kj++) {
                float *row = col + (size_t)((c * k->k + ki) * k->k + kj) * P;
                int lo, hi;
                inside(k, kj, &lo, &hi);
                for (int oh = 0; oh < k->out_h; oh++) {
                    int ih = oh * k->stride - k->pad + ki;
                    float *r = row + (size_t)oh * k->out_w;
                    if (ih < 0 || ih >= k->in_h) {
                        memset(r, 0, (size_t)k->out_w * sizeof *r);
                        continue;
                    }
                    /* input column of ow: ow stride - pad + kj, inside for lo <= ow < hi */
                    const float *xr = x + ((size_t)c * k->in_h + ih) * k->in_w;
                    long off = (long)lo * k->stride - k->pad + kj;
                    for (int ow = 0; ow < lo; ow++) r[ow] = 0.0f;
                    if (k->stride == 1)
                        memcpy(r + lo, xr + off, (size_t)(hi - lo) * sizeof *r);
                    else
                        for (int ow = lo; ow < hi; ow++, off += k->stride) r[ow] = xr[off];
                    for (int ow = hi; ow < k->out_w; ow++) r[ow] = 0.0f;
                }
            }
}

/* g [in_c][in_h][in_w] += the patches col [cols][P] put back where they came from. */
static void col2im(const plast_kind *k, const float *col, float *g)
{
    int P = k->positions;
    for (int c = 0; c < k->in_c; c++)
        for (int ki = 0; ki < k->k; ki++)
            for (int kj = 0; kj < k->k; kj++) {
                const float *row = col + (size_t)((c * k->k + ki) * k->k + kj) * P;
                int lo, hi;
                inside(k, kj, &lo, &hi);
                for (int oh = 0; oh < k->out_h; oh++) {
                    int ih = oh * k->stride - k->pad + ki;
                    if (ih < 0 || ih >= k->in_h) continue;
                    float *gr = g + ((size_t)c * k->in_h + ih) * k->in_w;
                    const float *r = row + (size_t)oh * k->out_w;
                    long off = (long)lo * k->stride - k->pad + kj;
                    for (int ow = lo; ow < hi; ow++, off += k->stride) gr[off] += r[ow];
                }
            }
}

/* Index (into one input map) of the maximum of a pooling window, the first in scan order. */
static size_t window_argmax(const plast_kind *k, const float *x, int c, int oh, int ow)
{
    size_t best = ((size_t)c * k->in_h + (size_t)oh * k->stride) * k->in_w + (size_t)ow * k->stride;
    for (int ki = 0; ki < k->k; ki++)
        for (int kj = 0; kj < k->k; kj++) {
            size_t at = ((size_t)c * k->in_h + (size_t)oh * k->stride + ki) * k->in_w +
                        (size_t)ow * k->stride + kj;
            if (x[at] > x[best]) best = at;
        }
    return best;
}

void plast_kind_forward(const plast_kind *k, const float *W, const float *b, const float *x,
                        int nb, float *a, float *work, plast_gemm_fn *gemm)
{
    size_t ni = n_in_of(k), no = n_out_of(k);
    switch (k->type) {
    case PLAST_LAYER_DENSE:
        /* a[batch][n_out] = b broadcast, then += x[batch][n_in] W^T */
        for (int i = 0; i < nb; i++) memcpy(a + (size_t)i * no, b, no * sizeof *a);
        gemm(0, 1, nb, (int)no, (int)ni, 1.0f, x, (int)ni, W, (int)ni, 1.0f, a, (int)no);
        return;
    case PLAST_LAYER_CONV: {
        int P = k->positions;
        for (int i = 0; i < nb; i++) {
            float *ai = a + (size_t)i * no;
            im2col(k, x + (size_t)i * ni, work);
            for (int r = 0; r < k->rows; r++)
                for (int p = 0; p < P; p++) ai[(size_t)r * P + p] = b[r];
            /* a_i [rows][P] += W [rows][cols] col [cols][P] */
            gemm(0, 0, k->rows, P, k->cols, 1.0f, W, k->cols, work, P, 1.0f, ai, P);
        }
        return;
    }
    case PLAST_LAYER_POOL: {
        float inv = 1.0f / (float)(k->k * k->k);
        for (int i = 0; i < nb; i++) {
            const float *xi = x + (size_t)i * ni;
            float *ai = a + (size_t)i * no;
            for (int c = 0; c < k->out_c; c++)
                for (int oh = 0; oh < k->out_h; oh++)
                    for (int ow = 0; ow < k->out_w; ow++) {
                        float v;
                        if (k->op == PLAST_POOL_MAX) {
                            v = xi[window_argmax(k, xi, c, oh, ow)];
                        } else {
                            v = 0.0f;
                            for (int ki = 0; ki < k->k; ki++)
                                for (int kj = 0; kj < k->k; kj++)
                                    v += xi[((size_t)c * k->in_h + (size_t)oh * k->stride + ki) * k->in_w +
                                            (size_t)ow * k->stride + kj];
                            v *= inv;
                        }
                        ai[((size_t)c * k->out_h + oh) * k->out_w + ow] = v;
                    }
        }
        return;
    }
    case PLAST_LAYER_FLATTEN:
        memcpy(a, x, (size_t)nb * ni * sizeof *a);
        return;
    }
}

void plast_kind_backward(const plast_kind *k, const float *W, const float *x, const float *d,
                         int nb, float *g, float *work, plast_gemm_fn *gemm)
{
    size_t ni = n_in_of(k), no = n_out_of(k);
    switch (k->type) {
    case PLAST_LAYER_DENSE:
        /* g [batch][n_in] = d [batch][n_out] W [n_out][n_in] */
        gemm(0, 0, nb, (int)ni, (int)no, 1.0f, d, (int)no, W, (int)ni, 0.0f, g, (int)ni);
        return;
    case PLAST_LAYER_CONV: {
        int P = k->positions;
        memset(g, 0, (size_t)nb * ni * sizeof *g);
        for (int i = 0; i < nb; i++) {
            /* col [cols][P] = W^T [cols][rows] d_i [rows][P], then back to the map */
            gemm(1, 0, k->cols, P, k->rows, 1.0f, W, k->cols, d + (size_t)i * no, P, 0.0f, work, P);
            col2im(k, work, g + (size_t)i * ni);
        }
        return;
    }
    case PLAST_LAYER_POOL: {
        float inv = 1.0f / (float)(k->k * k->k);
        memset(g, 0, (size_t)nb * ni * sizeof *g);
        for (int i = 0; i < nb; i++) {
            const float *xi = x + (size_t)i * ni, *di = d + (size_t)i * no;
            float *gi = g + (size_t)i * ni;
            for (int c = 0; c < k->out_c; c++)
                for (int oh = 0; oh < k->out_h; oh++)
                    for (int ow = 0; ow < k->out_w; ow++) {
                        float dv = di[((size_t)c * k->out_h + oh) * k->out_w + ow];
                        if (k->op == PLAST_POOL_MAX) {
                            gi[window_argmax(k, xi, c, oh, ow)] += dv;
                            continue;
                        }
                        for (int ki = 0; ki < k->k; ki++)
                            for (int kj = 0; kj < k->k; kj++)
                                gi[((size_t)c * k->in_h + (size_t)oh * k->stride + ki) * k->in_w +
                                   (size_t)ow * k->stride + kj] += dv * inv;
                    }
        }
        return;
    }
    case PLAST_LAYER_FLATTEN:
        memcpy(g, d, (size_t)nb * ni * sizeof *g);
        return;
    }
}

void plast_kind_outer(const plast_kind *k, const float *u, const float *x, int nb, int r0, int nr,
                      float alpha, float beta, float *G, float *work)
{
    size_t ni = n_in_of(k), no = n_out_of(k);
    if (k->type == PLAST_LAYER_DENSE) {
        /* G [nr][n_in] = beta G + alpha u[:, r0..]^T x */
        plast_gemm(1, 0, nr, (int)ni, nb, alpha, u + r0, (int)no, x, (int)ni, beta, G, (int)ni);
        return;
    }
    int P = k->positions;
    for (int i = 0; i < nb; i++) {
        im2col(k, x + (size_t)i * ni, work);
        /* G [nr][cols] (+)= alpha u_i [nr][P] col^T [P][cols] */
        plast_gemm(0, 1, nr, k->cols, P, alpha, u + (size_t)i * no + (size_t)r0 * P, P, work, P,
                   i ? 1.0f : beta, G, k->cols);
    }
}

void plast_kind_oja(const plast_kind *k, const float *u, const float *x, int nb, const float *d,
                    const float *P, int per_synapse, float scale, float *W, float *G, float *work)
{
    int rows = k->rows, ni = k->cols;
    /* Dense: fused (the same bits as forming G). Conv: G = the outer product, a block of
     * rows at a time (G holds PLAST_OJA_ROWS rows), then the elementwise update. */
    if (k->type == PLAST_LAYER_DENSE) {
        plast_oja_rows(rows, ni, nb, u, k->rows, x, ni, d, P, per_synapse, scale, W);
        return;
    }
    for (int r0 = 0; r0 < rows; r0 += PLAST_OJA_ROWS) {
        int nr = rows - r0 < PLAST_OJA_ROWS ? rows - r0 : PLAST_OJA_ROWS;
        plast_kind_outer(k, u, x, nb, r0, nr, 1.0f, 0.0f, G, work);
        for (int i = r0; i < r0 + nr; i++) {
            float *restrict w = W + (size_t)i * ni;
            const float *restrict g = G + (size_t)(i - r0) * ni;
            float di = d[i];
            if (!per_synapse) {
                float p = scale * P[i];
                for (int j = 0; j < ni; j++) w[j] += p * (g[j] - di * w[j]);
            } else {
                const float *restrict pr = P + (size_t)i * ni;
                for (int j = 0; j < ni; j++) w[j] += scale * pr[j] * (g[j] - di * w[j]);
            }
        }
    }
}

void plast_kind_rowdot(const plast_kind *k, const float *u, const float *v, int nb, float *out)
{
    int rows = k->rows, P = k->positions;
    size_t no = n_out_of(k);
    for (int r = 0; r < rows; r++) out[r] = 0.0f;
    for (int i = 0; i < nb; i++) {
        const float *ui = u + (size_t)i * no, *vi = v ? v + (size_t)i * no : NULL;
        if (P == 1) {
            for (int r = 0; r < rows; r++) out[r] += vi ? ui[r] * vi[r] : ui[r];
            continue;
        }
        for (int r = 0; r < rows; r++) {
            float s = 0.0f;
            const float *ur = ui + (size_t)r * P, *vr = vi ? vi + (size_t)r * P : NULL;
            for (int p = 0; p < P; p++) s += vr ? ur[p] * vr[p] : ur[p];
            out[r] += s;
        }
    }
}

void plast_kind_rowaxpy(const plast_kind *k, const float *u, int nb, float alpha, float *out)
{
    int rows = k->rows, P = k->positions;
    size_t no = n_out_of(k);
    for (int i = 0; i < nb; i++) {
        const float *ui = u + (size_t)i * no;
        if (P == 1) {
            plast_axpy(rows, alpha, ui, out);
            continue;
        }
        for (int r = 0; r < rows; r++) {
            float s = 0.0f;
            for (int p = 0; p < P; p++) s += ui[(size_t)r * P + p];
            out[r] += alpha * s;
        }
    }
}

void plast_kind_patchdot(const plast_kind *k, const float *x, const float *y, int nb, float *out,
                         float *work)
{
    size_t ni = n_in_of(k);
    if (k->type == PLAST_LAYER_DENSE) {
        if (!y) {
            plast_colsum(nb, (int)ni, x, out);
            return;
        }
        for (size_t j = 0; j < ni; j++) out[j] = 0.0f;
        for (int i = 0; i < nb; i++)
            for (size_t j = 0; j < ni; j++) out[j] += x[(size_t)i * ni + j] * y[(size_t)i * ni + j];
        return;
    }
    int P = k->positions;
    float *cx = work, *cy = work + (size_t)k->cols * P;
    for (int j = 0; j < k->cols; j++) out[j] = 0.0f;
    for (int i = 0; i < nb; i++) {
        im2col(k, x + (size_t)i * ni, cx);
        if (y) im2col(k, y + (size_t)i * ni, cy);
        for (int j = 0; j < k->cols; j++) {
            const float *a = cx + (size_t)j * P, *c = y ? cy + (size_t)j * P : NULL;
            float s = 0.0f;
            for (int p = 0; p < P; p++) s += c ? a[p] * c[p] : a[p];
            out[j] += s;
        }
    }
}
