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

#endif
