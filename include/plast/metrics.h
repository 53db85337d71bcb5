/* metrics.h — summaries over runs: means and bootstrap confidence intervals.
 *
 * Run-level numbers (one per run) are summarised by their mean and a percentile
 * bootstrap 95% interval from a fixed PCG32 stream, so the interval is as reproducible
 * as the runs. Non-finite values (diverged runs) are counted, never averaged in. */
#ifndef PLAST_METRICS_H
#define PLAST_METRICS_H

#include <stddef.h>
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

/* The headline rule for runs that diverge (the same in eval, bench and campaigns): the
 * count comes first, and the score that includes every run is the median over all runs
 * with a diverged (non-finite) run ranked worst; NAN when half or more diverged. work
 * holds n doubles. */
double plast_median_worst(const float *x, int n, int higher_better, double *work);
/* The headline of a summary as text: "mean [lo, hi]" when no run diverged, else
 * "k/n DIVERGED; median of all runs, diverged = worst: M; mean of the m finite: ...". */
void plast_headline_format(char *buf, size_t n, const plast_summary *s, double median_all);

/* How to read the continual metrics of an MSE score, printed beside them. */
#define PLAST_CL_MSE_SIGNS                                                                  \
    "for MSE (lower is better) BWT > 0 and forgetting > 0 mean earlier segments got worse, " \
    "FWT < 0 means learning earlier segments helped later ones"

void plast_cl_compute(const float *R, const float *b, int T, int higher_better,
                      plast_cl_metrics *out);

#endif
