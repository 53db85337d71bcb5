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

#endif
