/* optim_cmaes.c — CMA-ES with full covariance (Hansen, "The CMA Evolution Strategy: A
 * Tutorial", 2016) and its separable variant (Ros & Hansen 2008, "A Simple Modification in
 * CMA-ES Achieving Linear Time and Space Complexity"), both with IPOP restarts (handled by the
 * dispatch in optim.c).
 *
 * Members are x_k = m + sigma * y_k with y_k = B D z_k, z_k ~ N(0, I), where C = B D^2 B^T.
 * A generation recombines the mu best with positive log-decreasing weights, moves the mean,
 * updates the conjugate path p_s (cumulative step-size adaptation) and the path p_c, and
 * updates C by rank one (from p_c) and rank mu (from the selected steps). The full variant
 * recomputes B and D from C only every max(1, floor(1 / (10 n (c_1 + c_mu)))) generations,
 * as the tutorial suggests: C changes little in that time, and in high dimension the O(n^3)
 * eigendecomposition then no longer dominates the generation. The separable variant keeps only diag(C) (B = I), which
 * makes every step O(lambda n) and lets the diagonal learn (n + 2) / 3 times faster. The
 * eigendecomposition is LAPACK's dsyev through src/linalg.c, the one file that calls
 * BLAS and LAPACK. */
#define PLAST_OPTIM_INTERNAL
#include "plast/optim.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "plast/linalg.h"
#include "plast/rng.h"

static int is_sep(const plast_optim *o)
{
    return o->cfg.kind == PLAST_OPTIM_SEP_CMAES;
}

static int cma_default_popsize(int dim)
{
    return 4 + (int)floor(3.0 * log((double)dim));
}

#define BAD(field, ...) plast_err_set(err, PLAST_E_CONFIG, "optim." field, __VA_ARGS__)

static int cma_validate(const plast_optim_cfg *c, plast_err *err)
{
    if (c->popsize < 2)
        return BAD("popsize", "popsize must be >= 2 for %s (got %d)",
                   plast_optim_kind_name(c->kind), c->popsize);
    if (c->ipop != 0 && c->ipop != 1) return BAD("ipop", "ipop must be 0 or 1 (got %d)", c->ipop);
    if (c->max_restarts < 0 || c->max_restarts > 24)
        return BAD("max_restarts", "max_restarts must be in [0, 24] (got %d)", c->max_restarts);
    if (c->ipop && ((long long)c->popsize << c->max_restarts) > PLAST_OPTIM_MAX_POPSIZE)
        return BAD("max_restarts", "max_restarts %d would grow popsize %d beyond %d",
                   c->max_restarts, c->popsize, PLAST_OPTIM_MAX_POPSIZE);
    if (!(c->tolfun >= 0.0) || !isfinite(c->tolfun))
        return BAD("tolfun", "tolfun must be finite and >= 0 (got %g)", c->tolfun);
    return PLAST_OK;
}

static void cma_layout(plast_optim *o, plast_optim_bump *b, int work)
{
    size_t n = (size_t)o->dim, nn = is_sep(o) ? n : n * n;
    if (!work) {
        o->ps = plast_optim_take(b, n);
        o->pc = plast_optim_take(b, n);
        o->C = plast_optim_take(b, nn);
        o->B = is_sep(o) ? NULL : plast_optim_take(b, nn);
        o->D = plast_optim_take(b, n);
        o->w = plast_optim_take(b, (size_t)o->lambda_max / 2);
        o->hist = plast_optim_take(b, (size_t)o->hist_cap);
    } else {
        o->wz = plast_optim_take(b, n); /* z of one member */
        o->wa = plast_optim_take(b, n); /* <z>_w, then y of one member */
        o->wb = plast_optim_take(b, n); /* <y>_w */
        o->wc = plast_optim_take(b, n); /* B <z>_w; then eigenvalues */
        o->we = plast_optim_take(b, PLAST_SYMEIG_WORK(n)); /* eigensolver work */
    }
}

/* Strategy parameters for population o->lambda (tutorial, table 1, positive weights only),
 * and a fresh distribution: C = I, paths zero, empty fitness history. */
static void cma_start(plast_optim *o)
{
    int n = o->dim, lam = (int)o->lambda, mu = lam / 2;
    double dn = (double)n;
    double sw = 0.0, sw2 = 0.0;
    for (int i = 0; i < mu; i++) {
        o->w[i] = log((lam + 1) / 2.0) - log(i + 1.0);
        sw += o->w[i];
    }
    for (int i = 0; i < mu; i++) {
        o->w[i] /= sw;
        sw2 += o->w[i] * o->w[i];
    }
    o->mu = mu;
    o->mu_eff = 1.0 / sw2;
    double me = o->mu_eff;
    o->c_s = (me + 2.0) / (dn + me + 5.0);
    o->d_s = 1.0 + 2.0 * fmax(0.0, sqrt((me - 1.0) / (dn + 1.0)) - 1.0) + o->c_s;
    o->c_c = (4.0 + me / dn) / (dn + 4.0 + 2.0 * me / dn);
    o->c_1 = 2.0 / ((dn + 1.3) * (dn + 1.3) + me);
    o->c_mu = fmin(1.0 - o->c_1, 2.0 * (me - 2.0 + 1.0 / me) / ((dn + 2.0) * (dn + 2.0) + me));
    if (is_sep(o)) {
        /* Ros & Hansen: a diagonal has n, not n^2/2, degrees of freedom to learn. */
        double k = (dn + 2.0) / 3.0;
        o->c_1 = fmin(1.0, o->c_1 * k);
        o->c_mu = fmin(1.0 - o->c_1, o->c_mu * k);
    }
    o->chi_n = sqrt(dn) * (1.0 - 1.0 / (4.0 * dn) + 1.0 / (21.0 * dn * dn));

    memset(o->ps, 0, (size_t)n * sizeof(double));
    memset(o->pc, 0, (size_t)n * sizeof(double));
    for (int i = 0; i < n; i++) o->D[i] = 1.0;
    if (is_sep(o)) {
        for (int i = 0; i < n; i++) o->C[i] = 1.0;
    } else {
        memset(o->C, 0, (size_t)n * n * sizeof(double));
        memset(o->B, 0, (size_t)n * n * sizeof(double));
        for (int i = 0; i < n; i++) o->C[(size_t)i * n + i] = o->B[(size_t)i * n + i] = 1.0;
    }
    o->eigen_gen = 0;
    o->hist_len = 10 + (int64_t)ceil(30.0 * dn / lam);
    o->hist_n = 0;
}

/* y = B (D * z) into y[n] (sep: D * z), accumulating one eigenvector at a time: the same
 * arithmetic in ask and tell, and no scratch beyond y. */
static void cma_scale(const plast_optim *o, const double *z, double *y)
{
    int n = o->dim;
    if (is_sep(o)) {
        for (int i = 0; i < n; i++) y[i] = o->D[i] * z[i];
        return;
    }
    memset(y, 0, (size_t)n * sizeof(double));
    for (int j = 0; j < n; j++) {
        double a = o->D[j] * z[j];
        const double *bj = o->B + (size_t)j * n;
        for (int i = 0; i < n; i++) y[i] += a * bj[i];
    }
}

static void cma_ask(const plast_optim *o, int member, double *x)
{
    int n = o->dim;
    if (is_sep(o)) {
        plast_optim_noise(o, (uint64_t)member, x);
        for (int i = 0; i < n; i++) x[i] = o->mean[i] + o->sigma * (o->D[i] * x[i]);
        return;
    }
    /* Full: x = m + sigma * sum_j (D_j z_j) b_j, drawing z_j in the stream's order, so the
     * product needs no scratch vector (ask is const and may run on many threads). */
    plast_rng r;
    plast_rng_derive(&r, o->cfg.seed, (uint64_t)o->gen, (uint64_t)member, 0);
    memset(x, 0, (size_t)n * sizeof(double));
    for (int j = 0; j < n; j++) {
        double a = o->D[j] * plast_rng_normal(&r);
        const double *bj = o->B + (size_t)j * n;
        for (int i = 0; i < n; i++) x[i] += a * bj[i];
    }
    for (int i = 0; i < n; i++) x[i] = o->mean[i] + o->sigma * x[i];
}

/* Largest and smallest eigenvalue of C (D^2). */
static void cma_eig_range(const plast_optim *o, double *emin, double *emax)
{
    double lo = o->D[0], hi = o->D[0];
    for (int i = 1; i < o->dim; i++) {
        lo = fmin(lo, o->D[i]);
        hi = fmax(hi, o->D[i]);
    }
    *emin = lo * lo;
    *emax = hi * hi;
}

/* C_ii, the variance of coordinate i (up to sigma^2). */
static double cma_cii(const plast_optim *o, int i)
{
    return is_sep(o) ? o->C[i] : o->C[(size_t)i * o->dim + i];
}

/* Recomputes B and D from C. Eigenvalues that rounding pushed to or below zero are lifted
 * to a tiny fraction of the largest, so D stays invertible; conditioncov stops the run long
 * before that matters. Returns 0, or -1 when the eigensolver failed (then B = I and
 * D = sqrt(diag C), still a valid distribution). */
static int cma_eigen(plast_optim *o)
{
    int n = o->dim;
    if (is_sep(o)) {
        for (int i = 0; i < n; i++) o->D[i] = sqrt(o->C[i]);
        return 0;
    }
    double *lam = o->wc;
    /* B = C, then its eigenvectors in place: row j of B is eigenvector j (ascending). */
    memcpy(o->B, o->C, (size_t)n * n * sizeof(double));
    if (plast_symeig_vectors_d(n, o->B, lam, o->we) != 0) {
        /* Never seen in practice; fall back to the consistent factor of diag(C). */
        memset(o->B, 0, (size_t)n * n * sizeof(double));
        for (int i = 0; i < n; i++) {
            o->B[(size_t)i * n + i] = 1.0;
            o->D[i] = sqrt(o->C[(size_t)i * n + i]);
        }
        return -1;
    }
    double emax = 0.0;
    for (int i = 0; i < n; i++) emax = fmax(emax, lam[i]);
    double floor_ = emax * 1e-20 > DBL_MIN ? emax * 1e-20 : DBL_MIN;
    for (int i = 0; i < n; i++) o->D[i] = sqrt(fmax(lam[i], floor_));
    return 0;
}

/* The stop criteria of the tutorial (appendix B.3) and of Hansen's reference code, checked
 * after the update; the first that holds is reported. */
static int cma_stop(const plast_optim *o, const double *f, const int *order)
{
    int n = o->dim, lam = (int)o->lambda;
    const plast_optim_cfg *c = &o->cfg;
    double emin, emax;
    cma_eig_range(o, &emin, &emax);
    if (emax > 1e14 * emin) return PLAST_OPTIM_STOP_CONDITIONCOV;

    if (c->tolx > 0.0) {
        int all = 1;
        for (int i = 0; i < n && all; i++)
            if (!(o->sigma * fabs(o->pc[i]) < c->tolx && o->sigma * sqrt(cma_cii(o, i)) < c->tolx))
                all = 0;
        if (all) return PLAST_OPTIM_STOP_TOLX;
    }

    if (c->tolfun > 0.0 && o->hist_n >= o->hist_len) {
        double lo = o->hist[0], hi = o->hist[0];
        for (int64_t i = 1; i < o->hist_len; i++) {
            lo = fmin(lo, o->hist[i]);
            hi = fmax(hi, o->hist[i]);
        }
        if (hi - lo < c->tolfun && o->gen_fmax - o->gen_fmin < c->tolfun)
            return PLAST_OPTIM_STOP_TOLFUN;
    }

    /* A tenth of a standard deviation along the principal axis of this generation's turn no
     * longer changes the mean in double precision. */
    {
        int j = (int)(o->gen_restart % n), same = 1;
        double a = 0.1 * o->sigma * o->D[j];
        for (int i = 0; i < n && same; i++) {
            double step = is_sep(o) ? (i == j ? a : 0.0) : a * o->B[(size_t)j * n + i];
            if (o->mean[i] + step != o->mean[i]) same = 0;
        }
        if (same) return PLAST_OPTIM_STOP_NOEFFECTAXIS;
    }
    for (int i = 0; i < n; i++)
        if (o->mean[i] + 0.2 * o->sigma * sqrt(cma_cii(o, i)) == o->mean[i])
            return PLAST_OPTIM_STOP_NOEFFECTCOORD;

    if (o->sigma / c->sigma0 > 1e20 * sqrt(emax)) return PLAST_OPTIM_STOP_TOLUPSIGMA;

    /* The best and the ceil(0.1 + lambda/4)-th best are equal: selection sees a plateau. */
    int k = (int)ceil(0.1 + lam / 4.0);
    if (k > lam - 1) k = lam - 1;
    if (f[order[0]] == f[order[k]]) return PLAST_OPTIM_STOP_FLATFITNESS;
    return PLAST_OPTIM_STOP_NONE;
}

static int cma_tell(plast_optim *o, const double *f, const int *order)
{
    int n = o->dim, mu = (int)o->mu;
    double *z = o->wz, *zw = o->wa, *yw = o->wb, *bzw = o->wc;

    /* <z>_w = sum_i w_i z_i:lambda over the mu best; <y>_w = B D <z>_w by linearity. */
    memset(zw, 0, (size_t)n * sizeof(double));
    for (int i = 0; i < mu; i++) {
        plast_optim_noise(o, (uint64_t)order[i], z);
        for (int k = 0; k < n; k++) zw[k] += o->w[i] * z[k];
    }
    cma_scale(o, zw, yw);
    for (int k = 0; k < n; k++) o->mean[k] += o->sigma * yw[k]; /* c_m = 1 */

    /* p_s <- (1 - c_s) p_s + sqrt(c_s (2 - c_s) mu_eff) C^(-1/2) <y>_w, and
     * C^(-1/2) <y>_w = B D^-1 B^T B D <z>_w = B <z>_w (sep: <z>_w). */
    if (is_sep(o)) {
        memcpy(bzw, zw, (size_t)n * sizeof(double));
    } else {
        memset(bzw, 0, (size_t)n * sizeof(double));
        for (int j = 0; j < n; j++) {
            const double *bj = o->B + (size_t)j * n;
            for (int k = 0; k < n; k++) bzw[k] += zw[j] * bj[k];
        }
    }
    double cs = o->c_s, ks = sqrt(cs * (2.0 - cs) * o->mu_eff), ps2 = 0.0;
    for (int k = 0; k < n; k++) {
        o->ps[k] = (1.0 - cs) * o->ps[k] + ks * bzw[k];
        ps2 += o->ps[k] * o->ps[k];
    }
    double psn = sqrt(ps2);

    /* h_s stalls p_c while ||p_s|| is large, i.e. while sigma is still growing fast. */
    double gen1 = (double)(o->gen_restart + 1);
    double hs = psn / sqrt(1.0 - pow(1.0 - cs, 2.0 * gen1)) <
                (1.4 + 2.0 / (n + 1.0)) * o->chi_n ? 1.0 : 0.0;
    double cc = o->c_c, kc = hs * sqrt(cc * (2.0 - cc) * o->mu_eff);
    for (int k = 0; k < n; k++) o->pc[k] = (1.0 - cc) * o->pc[k] + kc * yw[k];

    /* C <- (1 - c_1 - c_mu + (1 - h_s) c_1 c_c (2 - c_c)) C + c_1 p_c p_c^T
     *      + c_mu sum_i w_i y_i y_i^T  (sum w_i = 1). Full: upper triangle, then mirrored,
     * so C stays exactly symmetric. */
    double c1 = o->c_1, cmu = o->c_mu;
    double keep = 1.0 - c1 - cmu + (1.0 - hs) * c1 * cc * (2.0 - cc);
    double *y = zw; /* <z>_w is no longer needed */
    if (is_sep(o)) {
        for (int k = 0; k < n; k++) o->C[k] = keep * o->C[k] + c1 * o->pc[k] * o->pc[k];
        for (int i = 0; i < mu && cmu > 0.0; i++) {
            plast_optim_noise(o, (uint64_t)order[i], z);
            cma_scale(o, z, y);
            double a = cmu * o->w[i];
            for (int k = 0; k < n; k++) o->C[k] += a * y[k] * y[k];
        }
    } else {
        for (int r = 0; r < n; r++) {
            double *cr = o->C + (size_t)r * n;
            double a = c1 * o->pc[r];
            for (int k = r; k < n; k++) cr[k] = keep * cr[k] + a * o->pc[k];
        }
        for (int i = 0; i < mu && cmu > 0.0; i++) {
            plast_optim_noise(o, (uint64_t)order[i], z);
            cma_scale(o, z, y);
            for (int r = 0; r < n; r++) {
                double *cr = o->C + (size_t)r * n;
                double a = cmu * o->w[i] * y[r];
                for (int k = r; k < n; k++) cr[k] += a * y[k];
            }
        }
        for (int r = 0; r < n; r++)
            for (int k = r + 1; k < n; k++) o->C[(size_t)k * n + r] = o->C[(size_t)r * n + k];
    }

    /* Cumulative step-size adaptation; the exponent is capped at 1 so one wild generation
     * cannot blow sigma up by more than e. */
    o->sigma *= exp(fmin(1.0, (cs / o->d_s) * (psn / o->chi_n - 1.0)));

    /* Lazy eigendecomposition: B, D lag C by at most `gap` generations. */
    int64_t gap = (int64_t)floor(1.0 / (10.0 * n * (c1 + cmu)));
    if (gap < 1 || is_sep(o)) gap = 1;
    if (o->gen_restart + 1 - o->eigen_gen >= gap) {
        if (cma_eigen(o) != 0) return PLAST_OPTIM_STOP_NUMERICS;
        o->eigen_gen = o->gen_restart + 1;
    }

    o->hist[o->gen_restart % o->hist_len] = f[order[0]];
    if (o->hist_n < o->hist_len) o->hist_n++;
    return cma_stop(o, f, order);
}

static double cma_sigma(const plast_optim *o)
{
    return o->sigma;
}

static void cma_stdevs(const plast_optim *o, double *sd)
{
    for (int i = 0; i < o->dim; i++) sd[i] = o->sigma * sqrt(cma_cii(o, i));
}

const plast_optim_method plast_optim_cmaes_method = {
    cma_default_popsize, cma_validate, cma_layout, cma_start, cma_ask,
    cma_tell,            cma_sigma,    cma_stdevs, 1,
};
