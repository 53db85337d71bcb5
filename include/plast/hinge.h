/* hinge.h — the contrastive hinge loss of Tang, Yang & Amit (2022) on two views, shared by the
 * hinge rules (rules/hinge.c) and their tests.
 *
 * A minibatch of 2P embeddings e [2P][m] holds view A of P images (items 0..P-1) then view B
 * of the same images (items P..2P-1). With the L1 distance d_ij = sum_k |a_ik - b_jk|,
 *   L = 1/P ( sum_i [d_ii - m_pos]_+ + sum_{i != j} [m_neg - d_ij]_+ ),
 * margins m_pos = 1 and m_neg = 3 in the paper. The error on a unit is +-1 on every active
 * pair: dL/da_ik = 1/P ( 1[d_ii > m_pos] sign(a_ik - b_ik)
 *                        - sum_{j != i} 1[d_ij < m_neg] sign(a_ik - b_jk) ), and likewise
 * for b. plast_hinge_loss returns L and writes g = dL/de [2P][m]; items past 2P (an odd
 * minibatch) get 0. No allocation. */
#ifndef PLAST_HINGE_H
#define PLAST_HINGE_H

double plast_hinge_loss(const float *e, int batch, int m, float m_pos, float m_neg, float *g);

/* hinge-dtp's training step of layer x->layer's inverse (rules/hinge.c: its update() calls it
 * before the forward update): one descent step on the reconstruction loss
 * R = 1/(2B) sum_b |g(f(h + eps)) - (h + eps)|^2 of the layer's input h = x->pre; returns R
 * before the step. x is a bound hinge-dtp layer above the first (it has an inverse). */
struct plast_local;
double plast_dtp_inverse_step(const struct plast_local *x);

#endif
