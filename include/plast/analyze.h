/* analyze.h — how a rule's updates differ from gradient descent (PROTOCOLS.md section 7).
 *
 * For a learner (a rule with its meta-parameters) and online SGD started from the same
 * network, on the very same task streams, plast_analyze measures per run:
 *  1. update-update alignment: the cosine between the weight updates two probe samples
 *     would cause from the same state (probes: the first n_probe query points of every
 *     segment seen so far, taken at the end of each segment), split into pairs of the same
 *     segment and of different segments, per layer and overall, with a histogram;
 *  2. alignment with the gradient: the cosine between the rule's update for a probe and
 *     minus the gradient of that probe's loss, per layer;
 *  3. retroactive interference: after every step, the exact change of the loss on the probe
 *     samples of every earlier segment, grouped by how many segments ago it was learned, and
 *     its first-order prediction grad L . delta theta;
 *  4. feedback alignment: the angle between each layer's feedback matrix and the transposed
 *     forward pathway it stands in for (W_L ... W_{l+1} transposed for direct feedback,
 *     W_{l+1} transposed for a chain), at the end of each segment;
 *  5. effective dimensionality: the participation ratio (sum lambda)^2 / sum lambda^2 of the
 *     covariance spectrum of the probe updates at the end of the episode (LAPACK dsyev).
 * Updates are over the plastic layers' W and b. The loss is the one online SGD descends:
 * 1/2 |y - yhat|^2 (regression) or cross-entropy, averaged over samples. */
#ifndef PLAST_ANALYZE_H
#define PLAST_ANALYZE_H

#include "plast/config.h"
#include "plast/evaluate.h"
#include "plast/metrics.h"

#define PLAST_AN_BINS 40 /* cosine histogram bins over [-1, 1] */

/* The figures of one method (the rule, or SGD), each summarised over runs. */
typedef struct plast_an_method {
    plast_summary cos_within, cos_across;              /* overall, over all plastic layers */
    plast_summary cos_within_l[PLAST_MAX_LAYERS], cos_across_l[PLAST_MAX_LAYERS];
    plast_summary grad_cos, grad_cos_l[PLAST_MAX_LAYERS];
    plast_summary pr;                                  /* participation ratio */
    double hist_within[PLAST_AN_BINS], hist_across[PLAST_AN_BINS]; /* fractions, all runs */
    int n_age;                                         /* ages 1 .. n_age */
    plast_summary interf[64], interf_pred[64];         /* mean loss change per step, by age */
    double *heat;                                      /* [n_probe_total]^2 mean cosine, last probe */
} plast_an_method;

typedef struct plast_an_result {
    int runs, n_layers, n_seg, n_probe, n_probe_total;
    int plastic[PLAST_MAX_LAYERS];
    plast_an_method rule, sgd;
    int has_feedback;
    plast_summary fb_angle[PLAST_MAX_LAYERS][64];      /* [layer][segment] degrees */
    float sgd_lr;
} plast_an_result;

typedef struct plast_an_spec {
    const plast_config *cfg;   /* the rule, network, task, seed, params (as for eval) */
    int runs;
    int n_probe;               /* probe samples per segment */
    float sgd_lr;
    int threads;               /* unused for now: runs are analysed one after the other */
} plast_an_spec;

int plast_analyze(const plast_an_spec *spec, plast_an_result *out, plast_err *err);
/* analysis.json and the plots' data and scripts into dir (which exists); renders the plots
 * when gnuplot is installed (*n_plots of them). */
int plast_analyze_write(const plast_an_result *r, const char *rule, const char *dir, int *n_plots,
                        plast_err *err);
void plast_an_result_free(plast_an_result *r);

/* Pieces, public for the tests. */
/* Cosine of two vectors (0 when either is zero, NAN when either is not finite). */
double plast_cosine(const float *a, const float *b, size_t n);
/* Participation ratio of n update vectors of dimension d (rows of U), from the eigenvalues
 * of their covariance (computed from the centred n x n Gram matrix). */
double plast_participation_ratio(const float *U, int n, size_t d);
/* Angle in degrees between two matrices of the same size (Frobenius inner product). */
double plast_angle_deg(const float *A, const float *B, size_t n);
/* The transposed forward pathway layer l's direct feedback stands for, into out [n_l][n_out]:
 * (W_{L-1} ... W_{l+1})^T, the identity for the output layer. work holds
 * plast_forward_pathway_work(net) floats. */
size_t plast_forward_pathway_work(const plast_net *net);
void plast_forward_pathway_t(const plast_net *net, int l, float *out, float *work);

#endif
