/* layer_d.h — the layer kinds in double precision, for exact meta-gradients.
 *
 * The same maps as include/plast/layer.h (dense, conv through im2col patches, max or
 * average pool, flatten), written as the linear map K of a layer's forward pass and its
 * transpose, so that one set of kernels serves the forward pass, every vector-Jacobian
 * product the engine (src/metagrad.c) needs and the rules' update VJPs:
 *   linear    y += alpha K x                       (the forward pass without the bias)
 *   backward  g += alpha K^T d                     (the input VJP; for a chain or sgd's
 *                                                  feedback, with B or W_{l+1} as kernel)
 *   outer     G = beta G + alpha sum_{b,p} u[b][r,p] patch_p(x_b)[j]   (the weights' VJP,
 *             and the Hebbian product of the rules)
 *   rowdot    out[r] += alpha sum_{b,p} u[b][r,p] v[b][r,p]          (v NULL: sum of u;
 *             the bias VJP, Oja's decay)
 *   rowbcast  u[b][r,p] += alpha v[r]              (the bias)
 * A kind with weights takes a block of rows r0..r0+nr-1 of its kernel (W points at row
 * r0, [nr][cols]), so rules can work through a large layer a block at a time; pool and
 * flatten have no weights and ignore r0, nr and W. A max pool is linear once its windows'
 * maxima are chosen: ref is the input of the forward pass that chose them (the first in
 * scan order on ties), x the vector the same routing is applied to. `work` holds
 * plast_kind_work_doubles doubles (the im2col patches of one batch item). */
#ifndef PLAST_LAYER_D_H
#define PLAST_LAYER_D_H

#include <stddef.h>

#include "plast/net.h"

size_t plast_kind_work_doubles(const plast_kind *k);

void plast_kind_linear_d(const plast_kind *k, const double *W, int r0, int nr, const double *ref,
                         const double *x, int nb, double alpha, double *y, double *work);
void plast_kind_backward_d(const plast_kind *k, const double *W, int r0, int nr,
                           const double *ref, const double *d, int nb, double alpha, double *g,
                           double *work);
void plast_kind_outer_d(const plast_kind *k, const double *u, const double *x, int nb, int r0,
                        int nr, double alpha, double beta, double *G, double *work);
void plast_kind_rowdot_d(const plast_kind *k, const double *u, const double *v, int nb,
                         double alpha, double *out);
void plast_kind_rowbcast_d(const plast_kind *k, const double *v, int nb, double alpha, double *u);

#endif
