/* test_metrics.c — continual-learning metrics on hand-made score matrices, and the
 * bootstrap interval (coverage of a known mean, NaN handling). */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "plast/metrics.h"
#include "plast/rng.h"

int main(void)
{
    /* Three tasks, accuracies. Rows: after task 0, 1, 2.
     *        t0   t1   t2
     * R0  [ 0.9  0.2  0.1 ]
     * R1  [ 0.6  0.8  0.3 ]
     * R2  [ 0.5  0.7  0.95]      b = [0.1 0.1 0.2]
     * ACC = (0.5+0.7+0.95)/3 = 0.716667
     * BWT = ((0.5-0.9) + (0.7-0.8))/2 = -0.25
     * FWT = ((0.2-0.1) + (0.3-0.2))/2 = 0.1
     * forgetting: t0 max(0.9,0.6)-0.5 = 0.4, t1 max(0.2,0.8)-0.7 = 0.1 -> 0.25
     * learning = (0.9+0.8+0.95)/3 = 0.883333 */
    const float R[9] = {0.9f, 0.2f, 0.1f, 0.6f, 0.8f, 0.3f, 0.5f, 0.7f, 0.95f};
    const float b[3] = {0.1f, 0.1f, 0.2f};
    plast_cl_metrics m;
    plast_cl_compute(R, b, 3, 1, &m);
    CHECK_NEAR(m.acc, 0.716667, 1e-6);
    CHECK_NEAR(m.bwt, -0.25, 1e-6);
    CHECK_NEAR(m.fwt, 0.1, 1e-6);
    CHECK_NEAR(m.forgetting, 0.25, 1e-6);
    CHECK_NEAR(m.learning, 0.883333, 1e-6);

    /* The same matrix read as MSE (lower is better): forgetting is the rise above the best
     * earlier value: t0 0.5-0.6 = -0.1, t1 0.7-0.2 = 0.5 -> 0.2; the rest are the same sums. */
    plast_cl_compute(R, b, 3, 0, &m);
    CHECK_NEAR(m.forgetting, 0.2, 1e-6);
    CHECK_NEAR(m.bwt, -0.25, 1e-6);

    /* No backward transfer nor forgetting when every column keeps its value. */
    const float S[4] = {0.7f, 0.1f, 0.7f, 0.9f};
    plast_cl_compute(S, NULL, 2, 1, &m);
    CHECK_NEAR(m.bwt, 0.0, 1e-9);
    CHECK_NEAR(m.forgetting, 0.0, 1e-9);
    CHECK(isnan(m.fwt));

    /* Bootstrap: a 95% interval of the mean of 40 normals covers the true mean in about
     * 95% of 200 repetitions; the bounds bracket the sample mean; NaN values are counted. */
    plast_rng r;
    plast_rng_seed(&r, 3, 3);
    float x[40];
    double work[1000];
    int covered = 0;
    for (int rep = 0; rep < 200; rep++) {
        for (int i = 0; i < 40; i++) x[i] = (float)(2.0 + plast_rng_normal(&r));
        plast_summary s;
        plast_summarize(x, 40, 1000, 0.95, (uint64_t)rep, work, &s);
        covered += s.lo <= 2.0 && 2.0 <= s.hi;
        CHECK(s.lo <= s.mean && s.mean <= s.hi);
    }
    fprintf(stderr, "bootstrap coverage %d/200\n", covered);
    CHECK(covered >= 176 && covered <= 198);
    x[3] = NAN;
    x[7] = INFINITY;
    plast_summary s;
    plast_summarize(x, 40, 500, 0.95, 1, work, &s);
    CHECK(s.n == 38 && s.n_bad == 2 && isfinite(s.mean) && isfinite(s.lo));
    CHECK_DONE();
}
