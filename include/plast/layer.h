/* layer.h — what each layer kind computes: forward pass, backward pass and the local
 * update kernels rules are written with.
 *
 * Every kind maps x [batch][n_in] to a [batch][n_out] (activations [batch][c][h][w]
 * flattened); a kind with weights W [rows][cols] and b [rows] (see plast_kind in net.h):
 *   dense   a = W x + b                        rows = n_out, cols = n_in, 1 position
 *   conv    a[o][p] = b[o] + sum_j W[o][j] patch_p(x)[j]   (im2col patches, j = (c, ki, kj),
 *           zero padding), rows = out channels, cols = in_c k k, positions = out_h out_w
 *   pool    max or average over k x k windows (no weights)
 *   flatten the identity (activations are already flat; no weights)
 * The conv products go through im2col and plast_gemm; the gemm is a parameter
 * so the tests can run the plain C reference. `work` holds plast_kind_work_floats floats.
 *
 * The update kernels generalise a dense layer's minibatch sums to shared weights: the sum
 * over the batch becomes a sum over the batch and the positions a weight row serves.
 *   outer:    G[r][j] = beta G + alpha sum_{b,p} u[b][r,p] patch_p(x_b)[j]   (dense: u^T x)
 *   rowdot:   out[r]  = sum_{b,p} u[b][r,p] v[b][r,p]      (v NULL: sum of u)
 *   rowaxpy:  out[r] += alpha sum_{b,p} u[b][r,p]          (bias updates)
 *   patchdot: out[j]  = sum_{b,p} patch_p(x_b)[j] patch_p(y_b)[j]   (y NULL: sum of x)
 *   oja:      W[r][j] += p_rj (G[r][j] - d[r] W[r][j]) with G = outer(u, x) (alpha 1),
 *             p_rj = scale P[r][j] (per_synapse) or scale P[r]: the Oja/plasticity update,
 *             dense layers whose blocks of rows are small products in one fused pass
 *             (plast_oja_rows, G never stored), others through blocks of PLAST_OJA_ROWS
 *             rows of G in G [PLAST_OJA_ROWS][cols]
 * For a dense layer each is the very loop or gemm the rules used before, so results of
 * dense networks do not change. The same kernels are the backward pass with respect to the
 * parameters (outer = dL/dW, rowaxpy = dL/db) that meta-gradients need. */
#ifndef PLAST_LAYER_H
#define PLAST_LAYER_H

#include <stddef.h>

#include "plast/linalg.h"
#include "plast/net.h"

/* Work floats one of the kernels below needs for this kind (0 for dense, pool, flatten). */
size_t plast_kind_work_floats(const plast_kind *k);

/* a [nb][n_out] = the layer's pre-activation for x [nb][n_in]. */
void plast_kind_forward(const plast_kind *k, const float *W, const float *b, const float *x,
                        int nb, float *a, float *work, plast_gemm_fn *gemm);
/* g [nb][n_in] = the vector-Jacobian product of d [nb][n_out] with respect to the input:
 * dense W^T d, conv the transposed convolution with the kernel W (any tensor of W's shape:
 * W itself for backpropagation, an untied B for feedback alignment), pool the routing of d
 * to each window's maximum of x (or its average share), flatten d. */
void plast_kind_backward(const plast_kind *k, const float *W, const float *x, const float *d,
                         int nb, float *g, float *work, plast_gemm_fn *gemm);

/* The update kernels (above), on rows r0..r0+nr-1 for outer. */
void plast_kind_outer(const plast_kind *k, const float *u, const float *x, int nb, int r0, int nr,
                      float alpha, float beta, float *G, float *work);
#define PLAST_OJA_ROWS 64
void plast_kind_oja(const plast_kind *k, const float *u, const float *x, int nb, const float *d,
                    const float *P, int per_synapse, float scale, float *W, float *G, float *work);
void plast_kind_rowdot(const plast_kind *k, const float *u, const float *v, int nb, float *out);
void plast_kind_rowaxpy(const plast_kind *k, const float *u, int nb, float alpha, float *out);
void plast_kind_patchdot(const plast_kind *k, const float *x, const float *y, int nb, float *out,
                         float *work);

#endif
