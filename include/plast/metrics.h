/* metrics.h — summaries over runs: means and bootstrap confidence intervals.
 *
 * Run-level numbers (one per run) are summarised by their mean and a percentile
 * bootstrap 95% interval from a fixed PCG32 stream, so the interval is as reproducible
 * as the runs. Non-finite values (diverged runs) are counted, never averaged in. */
#ifndef PLAST_METRICS_H
#define PLAST_METRICS_H

#include <stdint.h>

typedef struct plast_summary {
    int n;          /* finite values used */
    int n_bad;      /* non-finite values left out (diverged runs) */
    double mean, std, lo, hi; /* lo..hi: the bootstrap interval of the mean */
} plast_summary;

/* Mean, sample std and the percentile bootstrap interval (level, e.g. 0.95) of the mean
 * over n values, with n_boot resamples drawn from a stream keyed by seed. work must hold
 * n_boot doubles (no allocation here). */
void plast_summarize(const float *x, int n, int n_boot, double level, uint64_t seed,
                     double *work, plast_summary *out);

/* Same for values spaced by stride floats (a column of a [runs][cols] table). */
void plast_summarize_strided(const float *x, int n, int stride, int n_boot, double level,
                             uint64_t seed, double *work, plast_summary *out);


/* Continual-learning metrics of one run's score matrix (PROTOCOLS.md section 6).
 * R[i][j] [T][T]: score on task j after training through task i; b[j] [T]: before any
 * training (may be NULL: FWT is then NAN). higher_better: 1 for accuracy, 0 for MSE, where
 * forgetting is measured the other way round (R[T][j] - min_l R[l][j]). Convention: BWT and
 * FWT average over T-1 tasks (the GEM paper's definition; its code divides by T). */
typedef struct plast_cl_metrics {
    double acc;        /* (1/T) sum_j R[T-1][j]: final average score */
    double bwt;        /* 1/(T-1) sum_{j<T-1} (R[T-1][j] - R[j][j]) */
    double fwt;        /* 1/(T-1) sum_{j>=1} (R[j-1][j] - b[j]) */
    double forgetting; /* 1/(T-1) sum_{j<T-1} max_{l<T-1} R[l][j] - R[T-1][j] (accuracy) */
    double learning;   /* (1/T) sum_j R[j][j]: learning accuracy (score just after learning j) */
} plast_cl_metrics;

#define PLAST_CL_CONVENTION                                                              \
    "BWT and FWT average over T-1 tasks (GEM paper definition; the GEM code divides by T); " \
    "forgetting averages over the first T-1 tasks"

void plast_cl_compute(const float *R, const float *b, int T, int higher_better,
                      plast_cl_metrics *out);

#endif
