/* terms.h — reading a rule discovered with the `terms` rule (rules/terms.c).
 *
 * The `terms` rule moves each plastic layer by dW = eta * sum_k theta_k T_k, a linear
 * combination of PLAST_TERMS_N candidate terms with one meta-parameter theta_k per term,
 * shared by every synapse (PROTOCOLS.md §4). The rule declares theta_k as the shared 1x1
 * tensor "t_<name>" of group "terms" (names below).
 * These functions read and write theta in term order and print the rule as an equation,
 * for `plast show` and the tests. The caller owns every buffer. */
#ifndef PLAST_TERMS_H
#define PLAST_TERMS_H

#include <stddef.h>

#include "plast/error.h"
#include "plast/params.h"

/* Term order (index k of theta):
 *   0 pseudo_grad  e_i x_j        4 y2_w    y_i^2 w_ij       7 x2_w     x_j^2 w_ij
 *   1 error_hebb   e_i eps_j      5 e2_w    e_i^2 w_ij       8 eps2_w   eps_j^2 w_ij
 *   2 hebb         y_i x_j        6 ye_w    y_i e_i w_ij     9 xeps_w   x_j eps_j w_ij
 *   3 y_eps        y_i eps_j     10 oja     y_i x_j - y_i^2 w_ij
 * x = pre, y = post, e = the layer's delta, eps = the pre-synaptic neurons' delta. */
#define PLAST_TERMS_N 11
extern const char *const plast_terms_names[PLAST_TERMS_N]; /* "pseudo_grad", ... */
extern const char *const plast_terms_math[PLAST_TERMS_N];  /* "e_i x_j", ... */

/* theta[k] in term order from a meta-parameter set the terms rule declared.
 * PLAST_E_DATA when a tensor is missing or misshapen (a set of another rule). */
int plast_terms_theta(const plast_pset *meta, double theta[PLAST_TERMS_N], plast_err *err);
/* Writes theta (term order) into the set; same errors. */
int plast_terms_set_theta(plast_pset *meta, const double theta[PLAST_TERMS_N], plast_err *err);

/* The rule as one line, terms with |theta| > threshold only, largest |theta| first:
 *   "dw_ij = 0.01 * sum_b ( 0.98 e_i x_j + 0.5 (y_i x_j - y_i^2 w_ij) - 0.03 y_i^2 w_ij )"
 * with eta from rule_opts (the terms rule's options struct, as a config holds it; NULL
 * prints "eta") and coefficients to 3 significant digits; when none passes,
 *   "dw_ij = 0 (no surviving term: every |theta| <= 0.1)".
 * buf is always NUL-terminated (n >= 1); a buffer too small for the line returns
 * PLAST_E_USAGE with the line cut short. */
int plast_terms_equation(const plast_pset *meta, const void *rule_opts, double threshold,
                         char *buf, size_t n, plast_err *err);
/* The threshold the rule's describe hook (`plast show`) passes to plast_terms_equation. */
#define PLAST_TERMS_THRESHOLD 0.01

#endif
