/* metrics.c — summaries over runs (see include/plast/metrics.h). */
#include "plast/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "plast/rng.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void plast_summarize_strided(const float *x, int n, int stride, int n_boot, double level,
                             uint64_t seed, double *work, plast_summary *out)
{
    out->n = out->n_bad = 0;
    out->mean = out->std = out->lo = out->hi = NAN;
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        double v = x[(size_t)i * stride];
        if (isfinite(v)) out->n++, sum += v;
        else out->n_bad++;
    }
    int m = out->n;
    if (m == 0) return;
    out->mean = sum / m;
    double ss = 0.0;
    for (int i = 0; i < n; i++) {
        double v = x[(size_t)i * stride];
        if (isfinite(v)) ss += (v - out->mean) * (v - out->mean);
    }
    out->std = m > 1 ? sqrt(ss / (m - 1)) : 0.0;
    if (m == 1 || n_boot < 2) {
        out->lo = out->hi = out->mean;
        return;
    }
    /* Resample the finite values: index them by rank among finite entries. */
    plast_rng r;
    plast_rng_derive(&r, seed, 0xb007, (uint64_t)n, (uint64_t)m);
    for (int b = 0; b < n_boot; b++) {
        double s = 0.0;
        for (int k = 0; k < m; k++) {
            int want = (int)plast_rng_below(&r, (uint32_t)m), seen = -1, i = 0;
            for (; i < n; i++)
                if (isfinite((double)x[(size_t)i * stride]) && ++seen == want) break;
            s += x[(size_t)i * stride];
        }
        work[b] = s / m;
    }
    qsort(work, (size_t)n_boot, sizeof *work, cmp_double);
    double a = (1.0 - level) / 2.0;
    int lo = (int)floor(a * (n_boot - 1)), hi = (int)ceil((1.0 - a) * (n_boot - 1));
    out->lo = work[lo];
    out->hi = work[hi];
}

void plast_summarize(const float *x, int n, int n_boot, double level, uint64_t seed,
                     double *work, plast_summary *out)
{
    plast_summarize_strided(x, n, 1, n_boot, level, seed, work, out);
}

void plast_cl_compute(const float *R, const float *b, int T, int higher_better,
                      plast_cl_metrics *out)
{
    const float *last = R + (size_t)(T - 1) * T;
    double acc = 0.0, la = 0.0;
    for (int j = 0; j < T; j++) acc += last[j], la += R[(size_t)j * T + j];
    out->acc = acc / T;
    out->learning = la / T;
    if (T < 2) {
        out->bwt = out->fwt = out->forgetting = NAN;
        return;
    }
    double bwt = 0.0, fwt = 0.0, fgt = 0.0;
    for (int j = 0; j < T - 1; j++) {
        bwt += last[j] - R[(size_t)j * T + j];
        double best = R[j]; /* row 0 */
        for (int l = 1; l < T - 1; l++) {
            double v = R[(size_t)l * T + j];
            best = higher_better ? fmax(best, v) : fmin(best, v);
        }
        fgt += higher_better ? best - last[j] : last[j] - best;
    }
    for (int j = 1; j < T; j++) fwt += b ? R[(size_t)(j - 1) * T + j] - b[j] : NAN;
    out->bwt = bwt / (T - 1);
    out->fwt = fwt / (T - 1);
    out->forgetting = fgt / (T - 1);
}

double plast_median_worst(const float *x, int n, int higher_better, double *work)
{
    if (n < 1) return NAN;
    /* Diverged runs rank worst: -inf for a score where higher is better, +inf otherwise. */
    const double worst = higher_better ? -INFINITY : INFINITY;
    for (int i = 0; i < n; i++) work[i] = isfinite(x[i]) ? (double)x[i] : worst;
    qsort(work, (size_t)n, sizeof *work, cmp_double);
    double m = n % 2 ? work[n / 2] : 0.5 * (work[n / 2 - 1] + work[n / 2]);
    return isfinite(m) ? m : NAN; /* half or more diverged: no finite median */
}

void plast_headline_format(char *buf, size_t n, const plast_summary *s, double median_all)
{
    int runs = s->n + s->n_bad;
    if (!s->n_bad) {
        snprintf(buf, n, "%.4f [%.4f, %.4f]", s->mean, s->lo, s->hi);
        return;
    }
    char med[48], fin[96];
    if (isfinite(median_all)) snprintf(med, sizeof med, "%.4f", median_all);
    else snprintf(med, sizeof med, "none (half or more diverged)");
    if (s->n) snprintf(fin, sizeof fin, "%.4f [%.4f, %.4f]", s->mean, s->lo, s->hi);
    else snprintf(fin, sizeof fin, "none");
    snprintf(buf, n, "%d/%d DIVERGED; median of all runs, diverged = worst: %s; mean of the %d finite: %s",
             s->n_bad, runs, med, s->n, fin);
}
