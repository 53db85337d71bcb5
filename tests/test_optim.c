/* test_optim.c — the ask/tell optimizers (include/plast/optim.h).
 *
 * Known answers where there are some (the eigensolver reconstructs its matrix, the ES
 * gradient estimate of a linear function has the length Stein's lemma predicts, weight decay
 * alone shrinks the mean by exactly lr * wd), convergence on functions where each method must
 * converge (shifted sphere, rotated and separable ellipsoids, Rastrigin with IPOP), purity of
 * ask, bit-identical resume from a saved state, and the rejection of bad configurations,
 * fitnesses and checkpoints. */
#define PLAST_OPTIM_INTERNAL /* white-box: the eigensolver and the CMA constants */
#include "plast/optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "plast/linalg.h"
#include "plast/rng.h"

/* ---- objective functions (minimum 0) -------------------------------------------------------- */

typedef struct objective {
    double (*f)(const struct objective *obj, const double *x);
    int n;
    const double *rot; /* [n][n] orthogonal, row-major, or NULL */
    double *tmp;       /* [n] */
} objective;

/* sum_i (x_i - (i+1))^2: optimum at (1, 2, ..., n). */
static double f_shifted_sphere(const objective *obj, const double *x)
{
    double s = 0.0;
    for (int i = 0; i < obj->n; i++) s += (x[i] - (i + 1)) * (x[i] - (i + 1));
    return s;
}

/* sum_i 10^(6 i/(n-1)) (R x)_i^2: condition 1e6, rotated when obj->rot is set. */
static double f_ellipsoid(const objective *obj, const double *x)
{
    int n = obj->n;
    const double *y = x;
    if (obj->rot) {
        for (int i = 0; i < n; i++) {
            double acc = 0.0;
            for (int j = 0; j < n; j++) acc += obj->rot[(size_t)i * n + j] * x[j];
            obj->tmp[i] = acc;
        }
        y = obj->tmp;
    }
    double s = 0.0;
    for (int i = 0; i < n; i++) s += pow(10.0, 6.0 * i / (n - 1)) * y[i] * y[i];
    return s;
}

static double f_rastrigin(const objective *obj, const double *x)
{
    double s = 10.0 * obj->n;
    for (int i = 0; i < obj->n; i++) s += x[i] * x[i] - 10.0 * cos(6.283185307179586 * x[i]);
    return s;
}

/* A random rotation: Gram-Schmidt on a Gaussian matrix from the PCG stream. */
static void random_rotation(int n, uint64_t seed, double *q)
{
    plast_rng r;
    plast_rng_seed(&r, seed, 7);
    for (int i = 0; i < n * n; i++) q[i] = plast_rng_normal(&r);
    for (int i = 0; i < n; i++) {
        double *qi = q + (size_t)i * n;
        for (int j = 0; j < i; j++) {
            const double *qj = q + (size_t)j * n;
            double dot = 0.0;
            for (int k = 0; k < n; k++) dot += qi[k] * qj[k];
            for (int k = 0; k < n; k++) qi[k] -= dot * qj[k];
        }
        double nrm = 0.0;
        for (int k = 0; k < n; k++) nrm += qi[k] * qi[k];
        nrm = sqrt(nrm);
        for (int k = 0; k < n; k++) qi[k] /= nrm;
    }
}

/* One generation: ask every member, evaluate, tell. fit and x are caller buffers of
 * lambda_max and dim values. Returns tell's code. */
static int step(plast_optim *o, const objective *obj, double *x, double *fit)
{
    int lam = plast_optim_popsize(o);
    for (int k = 0; k < lam; k++) {
        plast_optim_ask(o, k, x);
        fit[k] = obj->f(obj, x);
    }
    return plast_optim_tell(o, fit, NULL);
}

/* Runs until best_f < target, a stop, or max_gens. Returns the generations run. */
static long run(plast_optim *o, const objective *obj, double target, long max_gens)
{
    double *x = malloc((size_t)obj->n * sizeof(double));
    double *fit = malloc((size_t)PLAST_OPTIM_MAX_POPSIZE / 1024 * sizeof(double));
    REQUIRE(x && fit);
    long g = 0;
    while (g < max_gens && plast_optim_best_f(o) >= target && !plast_optim_stop(o)) {
        REQUIRE(plast_optim_popsize(o) <= PLAST_OPTIM_MAX_POPSIZE / 1024);
        REQUIRE(step(o, obj, x, fit) == PLAST_OK);
        g++;
    }
    free(x);
    free(fit);
    return g;
}

static double dist_to_shift(const double *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) s += (x[i] - (i + 1)) * (x[i] - (i + 1));
    return sqrt(s);
}

/* ---- the eigensolver CMA-ES uses (LAPACK dsyev through linalg.c) -------------------------- */

/* Max |A v_j - lambda_j v_j| / max|A| and max |V^T V - I| for one matrix. */
static void eig_errors(int n, const double *a0, double *res, double *orth)
{
    double *v = malloc((size_t)n * n * sizeof(double));
    double *lam = malloc((size_t)n * sizeof(double)), *work = malloc(PLAST_SYMEIG_WORK(n) * sizeof(double));
    REQUIRE(v && lam && work);
    memcpy(v, a0, (size_t)n * n * sizeof(double));
    CHECK(plast_symeig_vectors_d(n, v, lam, work) == 0);
    double amax = 0.0;
    for (int i = 0; i < n * n; i++) amax = fmax(amax, fabs(a0[i]));
    *res = *orth = 0.0;
    for (int j = 0; j < n; j++) {
        const double *vj = v + (size_t)j * n;
        for (int i = 0; i < n; i++) {
            double av = 0.0;
            for (int k = 0; k < n; k++) av += a0[(size_t)i * n + k] * vj[k];
            *res = fmax(*res, fabs(av - lam[j] * vj[i]) / amax);
        }
        for (int k = 0; k < n; k++) {
            double dot = 0.0;
            for (int i = 0; i < n; i++) dot += vj[i] * v[(size_t)k * n + i];
            *orth = fmax(*orth, fabs(dot - (j == k ? 1.0 : 0.0)));
        }
    }
    free(v);
    free(lam);
    free(work);
}

static void test_symeig(void)
{
    plast_rng r;
    plast_rng_seed(&r, 11, 3);
    int sizes[] = {1, 2, 3, 7, 40};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int n = sizes[t];
        double *a = malloc((size_t)n * n * sizeof(double));
        REQUIRE(a);
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[(size_t)i * n + j] = a[(size_t)j * n + i] = plast_rng_normal(&r);
        double res, orth;
        eig_errors(n, a, &res, &orth);
        CHECK(res < 1e-13 * n);
        CHECK(orth < 1e-13 * n);
        free(a);
    }
    /* Ill-conditioned (eigenvalues 1 .. 1e12 along a random basis), a diagonal matrix (no
     * reflection needed), the identity (every eigenvalue repeated) and a matrix of zeros. */
    int n = 12;
    double q[144], a[144], lam[12], work[36];
    random_rotation(n, 5, q);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int k = 0; k < n; k++) s += q[k * n + i] * pow(10.0, 12.0 * k / (n - 1)) * q[k * n + j];
            a[i * n + j] = s;
        }
    for (int i = 0; i < n; i++) /* make it exactly symmetric */
        for (int j = 0; j < i; j++) a[i * n + j] = a[j * n + i];
    double res, orth;
    eig_errors(n, a, &res, &orth);
    CHECK(res < 1e-14);
    CHECK(orth < 1e-12);
    memcpy(q, a, sizeof a); /* eigenvalues themselves: ascending, they are 10^(12k/11) */
    CHECK(plast_symeig_vectors_d(n, q, lam, work) == 0);
    for (int i = 1; i < n; i++) CHECK(lam[i] >= lam[i - 1]);
    CHECK_NEAR(lam[n - 1], 1e12, 1e12 * 1e-13);
    CHECK_NEAR(lam[n / 2] / pow(10.0, 12.0 * (n / 2) / (n - 1)), 1.0, 1e-9);
    for (int kind = 0; kind < 3; kind++) {
        memset(a, 0, sizeof a);
        for (int i = 0; i < n; i++) a[i * n + i] = kind == 0 ? i - 5.0 : kind == 1 ? 1.0 : 0.0;
        if (kind == 2) a[0] = 0.0;
        memcpy(q, a, sizeof a);
        CHECK(plast_symeig_vectors_d(n, q, lam, work) == 0);
        for (int i = 0; i < n; i++) CHECK(lam[i] == a[i * n + i]);
        for (int i = 0; i < n * n; i++) CHECK(q[i] == (i % (n + 1) == 0 ? 1.0 : 0.0));
    }
}

/* ---- OpenAI-ES ------------------------------------------------------------------------------ */

static void test_es_gradient(void)
{
    /* Linear loss c.x: with centred ranks the expected estimate is (E[(Phi(u) - 1/2) u] / sigma)
     * c/|c| = (1 / (2 sqrt(pi) sigma)) c/|c| (Stein's lemma). One SGD step must move the mean
     * by -lr times that: direction and length within the Monte-Carlo error. */
    int n = 5, lam = 40000;
    double c[5] = {3.0, -1.0, 0.5, 2.0, 0.0}, cn = sqrt(9.0 + 1.0 + 0.25 + 4.0);
    plast_optim_cfg cfg;
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_OPENAI_ES, n);
    cfg.popsize = lam;
    cfg.sigma0 = 0.1;
    cfg.use_adam = 0;
    cfg.lr = 0.01;
    double x0[5] = {1, 2, 3, 4, 5};
    plast_optim *o = plast_optim_new(&cfg, x0, NULL);
    REQUIRE(o);
    double *fit = malloc((size_t)lam * sizeof(double)), x[5];
    REQUIRE(fit);
    for (int k = 0; k < lam; k++) {
        plast_optim_ask(o, k, x);
        fit[k] = 0.0;
        for (int i = 0; i < n; i++) fit[k] += c[i] * x[i];
    }
    CHECK(plast_optim_tell(o, fit, NULL) == PLAST_OK);
    const double *m = plast_optim_mean(o);
    double expect = cfg.lr / (2.0 * sqrt(3.141592653589793) * cfg.sigma0);
    double along = 0.0, off = 0.0;
    for (int i = 0; i < n; i++) along += -(m[i] - x0[i]) * c[i] / cn;
    for (int i = 0; i < n; i++) {
        double d = (m[i] - x0[i]) + along * c[i] / cn;
        off += d * d;
    }
    CHECK_NEAR(along / expect, 1.0, 0.03);
    CHECK(sqrt(off) < 0.03 * expect);
    CHECK(plast_optim_sigma(o) == cfg.sigma0); /* no decay by default */
    free(fit);
    plast_optim_delete(o);
}

static void test_es_decay_and_ties(void)
{
    /* A flat loss ties every member: the shaped fitness is zero, only weight decay acts. SGD:
     * mean <- mean (1 - lr wd); Adam's first step moves each coordinate by lr sign(mean). The
     * sigma schedule is sigma0 decay^t floored at sigma_min. */
    int n = 4;
    double x0[4] = {1.0, -2.0, 0.5, 4.0}, fit[8] = {0};
    for (int adam = 0; adam < 2; adam++) {
        plast_optim_cfg cfg;
        plast_optim_cfg_default(&cfg, PLAST_OPTIM_OPENAI_ES, n);
        cfg.popsize = 8;
        cfg.use_adam = adam;
        cfg.lr = 0.1;
        cfg.weight_decay = 0.5;
        cfg.sigma0 = 1.0;
        cfg.sigma_decay = 0.5;
        cfg.sigma_min = 0.2;
        plast_optim *o = plast_optim_new(&cfg, x0, NULL);
        REQUIRE(o);
        CHECK(plast_optim_tell(o, fit, NULL) == PLAST_OK);
        const double *m = plast_optim_mean(o);
        for (int i = 0; i < n; i++) {
            double expect = adam ? x0[i] - cfg.lr * (x0[i] > 0 ? 1.0 : -1.0)
                                 : x0[i] * (1.0 - cfg.lr * cfg.weight_decay);
            CHECK_NEAR(m[i], expect, adam ? 1e-7 : 1e-15);
        }
        CHECK(plast_optim_sigma(o) == 0.5);
        CHECK(plast_optim_tell(o, fit, NULL) == PLAST_OK);
        CHECK(plast_optim_sigma(o) == 0.25);
        CHECK(plast_optim_tell(o, fit, NULL) == PLAST_OK);
        CHECK(plast_optim_sigma(o) == 0.2);
        plast_optim_delete(o);
    }
}

static void test_es_sphere(void)
{
    /* Shifted sphere, n = 10, optimum (1..10) at distance 19.6 from the start. Adam moves each
     * coordinate by at most about lr = 0.02 per generation (500 generations to cover the distance); the decaying sigma and a small lr at the end
     * bring the mean within 0.05 of the optimum (0.016 with this seed; 0.009-0.020 over seeds 1-10). */
    int n = 10;
    double tmp[10];
    objective obj = {f_shifted_sphere, n, NULL, tmp};
    plast_optim_cfg cfg;
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_OPENAI_ES, n);
    cfg.popsize = 40;
    cfg.sigma0 = 0.5;
    cfg.lr = 0.02;
    cfg.sigma_decay = 0.995;
    cfg.sigma_min = 0.01;
    cfg.seed = 3;
    plast_optim *o = plast_optim_new(&cfg, NULL, NULL);
    REQUIRE(o);
    run(o, &obj, 0.0, 1500);
    double d = dist_to_shift(plast_optim_mean(o), n);
    fprintf(stderr, "  openai-es sphere: |mean - opt| = %.3g after %ld generations, best f %.3g\n",
            d, plast_optim_generation(o), plast_optim_best_f(o));
    CHECK(d < 0.05);
    CHECK(plast_optim_best_f(o) < 1e-3);
    CHECK(plast_optim_stop(o) == NULL);
    plast_optim_delete(o);
}

/* ---- SNES ----------------------------------------------------------------------------------- */

static void test_snes_sphere(void)
{
    int n = 10;
    double tmp[10];
    objective obj = {f_shifted_sphere, n, NULL, tmp};
    plast_optim_cfg cfg;
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_SNES, n);
    cfg.sigma0 = 2.0;
    cfg.seed = 4;
    plast_optim *o = plast_optim_new(&cfg, NULL, NULL);
    REQUIRE(o);
    CHECK(plast_optim_popsize(o) == 10);
    long g = run(o, &obj, 1e-10, 5000);
    double d = dist_to_shift(plast_optim_mean(o), n);
    fprintf(stderr, "  snes sphere: best f %.3g after %ld generations, |mean - opt| = %.3g\n",
            plast_optim_best_f(o), g, d);
    CHECK(plast_optim_best_f(o) < 1e-10);
    CHECK(d < 1e-4);
    CHECK(plast_optim_sigma(o) < 1e-4); /* the sigmas shrank with the distance */
    plast_optim_delete(o);
}

/* ---- CMA-ES --------------------------------------------------------------------------------- */

static void test_cma_constants(void)
{
    /* n = 10: lambda = 4 + floor(3 ln 10) = 10, mu = 5, mu_eff = 3.16730 (the tutorial's
     * weights ln(5.5) - ln i); sep-CMA's rates are (n + 2)/3 = 4 times larger. */
    plast_optim_cfg cfg;
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_CMAES, 10);
    plast_optim *o = plast_optim_new(&cfg, NULL, NULL);
    cfg.kind = PLAST_OPTIM_SEP_CMAES;
    plast_optim *s = plast_optim_new(&cfg, NULL, NULL);
    REQUIRE(o && s);
    CHECK(plast_optim_popsize(o) == 10);
    CHECK(plast_optim_cfg_get(o)->popsize == 10);
    CHECK(o->mu == 5);
    CHECK_NEAR(o->mu_eff, 3.1672992814, 1e-9); /* computed independently */
    CHECK_NEAR(o->c_1, 2.0 / (11.3 * 11.3 + o->mu_eff), 1e-15);
    CHECK_NEAR(s->c_1 / o->c_1, 4.0, 1e-12);
    CHECK_NEAR(s->c_mu / o->c_mu, 4.0, 1e-12);
    CHECK(plast_optim_best_f(o) == INFINITY);
    plast_optim_delete(o);
    plast_optim_delete(s);
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_SEP_CMAES, 200);
    o = plast_optim_new(&cfg, NULL, NULL);
    REQUIRE(o);
    CHECK(plast_optim_popsize(o) == 19);
    plast_optim_delete(o);
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_OPENAI_ES, 3); /* 4 + 3 = 7, rounded up */
    o = plast_optim_new(&cfg, NULL, NULL);
    REQUIRE(o);
    CHECK(plast_optim_popsize(o) == 8);
    plast_optim_delete(o);
}

static void test_cmaes_rotated_ellipsoid(void)
{
    int n = 10;
    double rot[100], tmp[10], x0[10];
    random_rotation(n, 2024, rot);
    objective obj = {f_ellipsoid, n, rot, tmp};
    for (int i = 0; i < n; i++) x0[i] = 1.0;
    plast_optim_cfg cfg;
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_CMAES, n);
    cfg.sigma0 = 0.5;
    cfg.seed = 5;
    plast_optim *o = plast_optim_new(&cfg, x0, NULL);
    REQUIRE(o);
    run(o, &obj, 1e-8, 3000);
    fprintf(stderr, "  cmaes rotated ellipsoid n=10: best f %.3g after %ld evaluations, stop %s\n",
            plast_optim_best_f(o), plast_optim_evals(o),
            plast_optim_stop(o) ? plast_optim_stop(o) : "-");
    CHECK(plast_optim_best_f(o) < 1e-8);
    CHECK(plast_optim_stop(o) == NULL);
    /* The adapted covariance learnt the problem: C ~ H^-1, so the condition of sigma^2 C
     * (D's spread) must be close to 1e6; accept [1e5, 1e7]. */
    double dmin = o->D[0], dmax = o->D[0];
    for (int i = 1; i < n; i++) {
        dmin = fmin(dmin, o->D[i]);
        dmax = fmax(dmax, o->D[i]);
    }
    double cond = (dmax / dmin) * (dmax / dmin);
    CHECK(cond > 1e5 && cond < 1e7);
    CHECK(plast_optim_evals(o) < 10000);
    plast_optim_delete(o);
}

static void test_sep_cmaes_ellipsoid(void)
{
    int n = 200;
    objective obj = {f_ellipsoid, n, NULL, NULL};
    double *x0 = malloc((size_t)n * sizeof(double));
    REQUIRE(x0);
    for (int i = 0; i < n; i++) x0[i] = 1.0;
    plast_optim_cfg cfg;
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_SEP_CMAES, n);
    cfg.sigma0 = 0.5;
    cfg.seed = 6;
    plast_optim *o = plast_optim_new(&cfg, x0, NULL);
    REQUIRE(o);
    run(o, &obj, 1e-8, 20000);
    fprintf(stderr, "  sep-cmaes ellipsoid n=200: best f %.3g after %ld evaluations, stop %s\n",
            plast_optim_best_f(o), plast_optim_evals(o),
            plast_optim_stop(o) ? plast_optim_stop(o) : "-");
    CHECK(plast_optim_best_f(o) < 1e-8);
    CHECK(plast_optim_stop(o) == NULL);
    free(x0);
    plast_optim_delete(o);
}

static void test_ipop_rastrigin(void)
{
    /* Rastrigin, n = 5, from a start in a far basin. A single run with the default population
     * ends in a local minimum (f >= 0.9); IPOP restarts with growing populations reach the
     * global one. */
    int n = 5;
    objective obj = {f_rastrigin, n, NULL, NULL};
    double x0[5] = {3.2, -2.1, 4.0, 1.3, -3.7};
    plast_optim_cfg cfg;
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_CMAES, n);
    cfg.sigma0 = 2.0;
    cfg.seed = 7;
    cfg.tolfun = 1e-10;
    plast_optim *single = plast_optim_new(&cfg, x0, NULL);
    REQUIRE(single);
    run(single, &obj, 1e-8, 5000);
    cfg.ipop = 1;
    cfg.max_restarts = 8;
    plast_optim *o = plast_optim_new(&cfg, x0, NULL);
    REQUIRE(o);
    run(o, &obj, 1e-8, 20000);
    fprintf(stderr, "  ipop rastrigin n=5: single run f %.3g (stop %s); ipop f %.3g after %d restarts, "
            "%ld evaluations\n", plast_optim_best_f(single),
            plast_optim_stop(single) ? plast_optim_stop(single) : "-", plast_optim_best_f(o),
            plast_optim_restarts(o), plast_optim_evals(o));
    CHECK(plast_optim_stop(single) != NULL);
    CHECK(plast_optim_best_f(single) > 0.9);
    CHECK(plast_optim_best_f(o) < 1e-8);
    CHECK(plast_optim_restarts(o) >= 1);
    CHECK(plast_optim_popsize(o) == plast_optim_cfg_get(o)->popsize << plast_optim_restarts(o));
    plast_optim_delete(single);
    plast_optim_delete(o);
}

static void test_stop_reasons(void)
{
    /* maxevals counts fitnesses; tolfun fires on the sphere once the recent best values span
     * less than tolfun; flatfitness when the best quarter of a generation ties. */
    int n = 3;
    objective obj = {f_shifted_sphere, n, NULL, NULL};
    plast_optim_cfg cfg;
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_CMAES, n);
    cfg.max_evals = 95;
    plast_optim *o = plast_optim_new(&cfg, NULL, NULL);
    REQUIRE(o);
    long g = run(o, &obj, -1.0, 1000);
    CHECK(plast_optim_stop(o) && strcmp(plast_optim_stop(o), "maxevals") == 0);
    CHECK(g == (95 + 6) / 7); /* popsize 7: the first generation reaching 95 */
    CHECK(plast_optim_evals(o) == g * 7);
    plast_optim_delete(o);

    cfg.max_evals = 0;
    cfg.tolfun = 1e-6;
    cfg.tolx = 0.0;
    o = plast_optim_new(&cfg, NULL, NULL);
    REQUIRE(o);
    g = run(o, &obj, -1.0, 10000);
    CHECK(plast_optim_stop(o) && strcmp(plast_optim_stop(o), "tolfun") == 0);
    CHECK(plast_optim_best_f(o) < 1e-5);
    plast_optim_delete(o);

    double fit[7] = {0};
    o = plast_optim_new(&cfg, NULL, NULL);
    REQUIRE(o);
    CHECK(plast_optim_tell(o, fit, NULL) == PLAST_OK);
    CHECK(plast_optim_stop(o) && strcmp(plast_optim_stop(o), "flatfitness") == 0);
    plast_optim_delete(o);

    /* SNES reports tolx once every sigma is below it. */
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_SNES, n);
    cfg.tolx = 1e-6;
    o = plast_optim_new(&cfg, NULL, NULL);
    REQUIRE(o);
    run(o, &obj, -1.0, 10000);
    double sd[3];
    plast_optim_stdevs(o, sd);
    CHECK(plast_optim_stop(o) && strcmp(plast_optim_stop(o), "tolx") == 0);
    CHECK(sd[0] < 1e-6 && sd[1] < 1e-6 && sd[2] < 1e-6);
    plast_optim_delete(o);
}

/* ---- ask is pure; save and load are exact --------------------------------------------------- */

static plast_optim *make(plast_optim_kind kind, int n, int popsize, int ipop)
{
    plast_optim_cfg cfg;
    plast_optim_cfg_default(&cfg, kind, n);
    cfg.popsize = popsize;
    cfg.sigma0 = 0.7;
    cfg.seed = 99;
    cfg.ipop = ipop;
    if (ipop) cfg.tolfun = 1e-3; /* restart early and often */
    if (kind == PLAST_OPTIM_OPENAI_ES) {
        cfg.lr = 0.05;
        cfg.weight_decay = 0.01;
        cfg.sigma_decay = 0.99;
    }
    double *x0 = malloc((size_t)n * sizeof(double));
    REQUIRE(x0);
    for (int i = 0; i < n; i++) x0[i] = 0.5 * ((i * 7) % 5) - 1.0;
    plast_optim *o = plast_optim_new(&cfg, x0, NULL);
    REQUIRE(o);
    free(x0);
    return o;
}

/* The shifted sphere lifted by 100: a fitness history lost in a save would span >= 100 and
 * delay tolfun, so the ipop variants below notice it. */
static double f_lifted_sphere(const objective *obj, const double *x)
{
    return 100.0 + f_shifted_sphere(obj, x);
}

static void test_ask_pure(void)
{
    int n = 6;
    for (int kind = 0; kind < PLAST_OPTIM_N_KINDS; kind++) {
        plast_optim *o = make((plast_optim_kind)kind, n, 0, 0);
        objective obj = {f_shifted_sphere, n, NULL, NULL};
        double x[6], fit[64];
        for (int g = 0; g < 3; g++) step(o, &obj, x, fit); /* a non-trivial state */
        int lam = plast_optim_popsize(o);
        size_t bytes = plast_optim_state_bytes(o);
        unsigned char *before = malloc(bytes), *after = malloc(bytes);
        double *fwd = malloc((size_t)lam * n * sizeof(double));
        double *bwd = malloc((size_t)lam * n * sizeof(double));
        REQUIRE(before && after && fwd && bwd);
        plast_optim_state_store(o, before);
        double a[6], b[6];
        plast_optim_ask(o, 3, a);
        plast_optim_ask(o, 0, b);
        plast_optim_ask(o, 3, b);
        CHECK(memcmp(a, b, sizeof a) == 0);
        for (int k = 0; k < lam; k++) plast_optim_ask(o, k, fwd + (size_t)k * n);
        for (int k = lam - 1; k >= 0; k--) plast_optim_ask(o, k, bwd + (size_t)k * n);
        CHECK(memcmp(fwd, bwd, (size_t)lam * n * sizeof(double)) == 0);
        int distinct = 1; /* every member differs from every other */
        for (int k = 0; k < lam; k++)
            for (int l = 0; l < k; l++)
                if (memcmp(fwd + (size_t)k * n, fwd + (size_t)l * n, (size_t)n * sizeof(double)) == 0)
                    distinct = 0;
        CHECK(distinct);
        plast_optim_state_store(o, after);
        CHECK(memcmp(before, after, bytes) == 0); /* ask changed nothing */
        if (kind == PLAST_OPTIM_OPENAI_ES) {
            const double *m = plast_optim_mean(o);
            double worst = 0.0;
            for (int k = 0; k + 1 < lam; k += 2)
                for (int i = 0; i < n; i++)
                    worst = fmax(worst, fabs((fwd[(size_t)k * n + i] - m[i]) +
                                             (fwd[(size_t)(k + 1) * n + i] - m[i])));
            CHECK(worst < 1e-14); /* antithetic pairs */
        }
        plast_optim_ask(o, lam, a);
        CHECK(isnan(a[0]) && isnan(a[n - 1]));
        free(before);
        free(after);
        free(fwd);
        free(bwd);
        plast_optim_delete(o);
    }
}

static void test_save_load(void)
{
    /* Every kind, saved after 20 generations; CMA-ES and sep-CMA-ES with IPOP saved after 70,
     * when the tolfun history that decides the first restart (due after about 80) is already
     * partly written; and full CMA-ES in 80 dimensions with popsize 4, where B and D are
     * recomputed only every 3 generations (1 / (10 n (c_1 + c_mu)) = 3.1), saved one generation
     * before an update is due, so the lazy-update phase must survive the save. */
    static const struct {
        plast_optim_kind kind;
        int n, popsize, ipop, save_at;
    } variants[] = {{PLAST_OPTIM_OPENAI_ES, 6, 0, 0, 20}, {PLAST_OPTIM_CMAES, 6, 0, 0, 20},
                    {PLAST_OPTIM_SEP_CMAES, 6, 0, 0, 20}, {PLAST_OPTIM_SNES, 6, 0, 0, 20},
                    {PLAST_OPTIM_CMAES, 6, 0, 1, 70},     {PLAST_OPTIM_SEP_CMAES, 6, 0, 1, 70},
                    {PLAST_OPTIM_CMAES, 80, 4, 0, 19}};
    for (size_t variant = 0; variant < sizeof variants / sizeof variants[0]; variant++) {
        int n = variants[variant].n, ipop = variants[variant].ipop;
        plast_optim *a = make(variants[variant].kind, n, variants[variant].popsize, ipop);
        if (n == 80) {
            CHECK(a->eigen_gen == 0);
        }
        objective obj = {f_lifted_sphere, n, NULL, NULL};
        double *x = malloc((size_t)n * sizeof(double)), *fit = malloc(4096 * sizeof(double));
        REQUIRE(x && fit);
        int save_at = variants[variant].save_at;
        for (int g = 0; g < save_at; g++) step(a, &obj, x, fit);
        if (n == 80) CHECK(a->eigen_gen == 18); /* updated after generations 3, 6, .., 18 */
        int restarts_at_save = plast_optim_restarts(a);
        size_t bytes = plast_optim_state_bytes(a);
        unsigned char *buf = malloc(bytes + 1);
        REQUIRE(buf);
        plast_optim_state_store(a, buf);
        plast_err err;
        plast_err_clear(&err);
        plast_optim *b = plast_optim_state_load(buf, bytes, &err);
        CHECK(b != NULL);
        CHECK(err.code == PLAST_OK);
        if (!b) {
            fprintf(stderr, "  load failed: %s\n", err.msg);
            exit(1);
        }
        /* A loaded state stores back to the same bytes. */
        unsigned char *again = malloc(bytes);
        REQUIRE(again);
        CHECK(plast_optim_state_bytes(b) == bytes);
        plast_optim_state_store(b, again);
        CHECK(memcmp(again, buf, bytes) == 0);
        free(again);
        /* The loaded copy and the original go on side by side. */
        for (int g = 0; g < 100; g++) {
            step(a, &obj, x, fit);
            step(b, &obj, x, fit);
        }
        CHECK(plast_optim_generation(a) == save_at + 100 && plast_optim_generation(b) == save_at + 100);
        CHECK(memcmp(plast_optim_mean(a), plast_optim_mean(b), (size_t)n * sizeof(double)) == 0);
        CHECK(memcmp(plast_optim_best_x(a), plast_optim_best_x(b), (size_t)n * sizeof(double)) == 0);
        CHECK(plast_optim_sigma(a) == plast_optim_sigma(b));
        CHECK(plast_optim_state_bytes(b) == plast_optim_state_bytes(a));
        unsigned char *sa = malloc(plast_optim_state_bytes(a)), *sb = malloc(plast_optim_state_bytes(b));
        REQUIRE(sa && sb);
        plast_optim_state_store(a, sa);
        plast_optim_state_store(b, sb);
        CHECK(memcmp(sa, sb, plast_optim_state_bytes(a)) == 0);
        /* The mean moved after the save, so the comparison above is not vacuous. */
        CHECK(memcmp(sa + 200, buf + 200, bytes - 200) != 0);
        if (ipop) CHECK(plast_optim_restarts(a) > restarts_at_save);
        if (ipop) CHECK(restarts_at_save == 0);

        /* Bad buffers: truncated by one byte or to the header, a byte too long, a wrong magic,
         * a wrong version, a configuration that does not validate (dim 0 at offset 40). */
        size_t cuts[3] = {bytes - 1, 20, bytes + 1};
        buf[bytes] = 0;
        for (int c = 0; c < 3; c++) {
            plast_err_clear(&err);
            CHECK(plast_optim_state_load(buf, cuts[c], &err) == NULL);
            CHECK(err.code == PLAST_E_DATA);
            CHECK(strstr(err.msg, c == 2 ? "too long" : "truncated") != NULL);
        }
        struct {
            size_t off;
            const char *says;
        } corrupt[3] = {{0, "magic"}, {8, "version"}, {40, "dim"}};
        for (int c = 0; c < 3; c++) {
            unsigned char *bad = malloc(bytes);
            REQUIRE(bad);
            memcpy(bad, buf, bytes);
            if (corrupt[c].off == 40) memset(bad + 40, 0, 8);
            else bad[corrupt[c].off] ^= 0x5a;
            plast_err_clear(&err);
            CHECK(plast_optim_state_load(bad, bytes, &err) == NULL);
            CHECK(err.code == PLAST_E_DATA);
            CHECK(strstr(err.msg, corrupt[c].says) != NULL);
            free(bad);
        }
        free(buf);
        free(sa);
        free(sb);
        free(x);
        free(fit);
        plast_optim_delete(a);
        plast_optim_delete(b);
    }
}

/* ---- bad input ------------------------------------------------------------------------------ */

static void expect_cfg_error(const plast_optim_cfg *cfg, const char *field)
{
    plast_err err;
    plast_err_clear(&err);
    plast_optim *o = plast_optim_new(cfg, NULL, &err);
    CHECK(o == NULL);
    CHECK(err.code == PLAST_E_CONFIG);
    char where[64];
    snprintf(where, sizeof where, "optim.%s", field);
    CHECK(strcmp(err.where, where) == 0);
    CHECK(strncmp(err.msg, field, strlen(field)) == 0);
    if (o || err.code != PLAST_E_CONFIG) fprintf(stderr, "  (expected an error about %s)\n", field);
    plast_optim_delete(o);
}

static void test_bad_input(void)
{
    plast_optim_cfg cfg;
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_CMAES, 0);
    expect_cfg_error(&cfg, "dim");
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_CMAES, 5000);
    expect_cfg_error(&cfg, "dim");
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_SNES, 4);
    cfg.sigma0 = 0.0;
    expect_cfg_error(&cfg, "sigma0");
    cfg.sigma0 = -1.0;
    expect_cfg_error(&cfg, "sigma0");
    cfg.sigma0 = NAN;
    expect_cfg_error(&cfg, "sigma0");
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_OPENAI_ES, 4);
    cfg.popsize = 7;
    expect_cfg_error(&cfg, "popsize");
    cfg.popsize = 1;
    expect_cfg_error(&cfg, "popsize");
    cfg.popsize = 8;
    cfg.lr = 0.0;
    expect_cfg_error(&cfg, "lr");
    cfg.lr = 0.01;
    cfg.adam_beta2 = 1.0;
    expect_cfg_error(&cfg, "adam_beta2");
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_CMAES, 4);
    cfg.ipop = 1;
    cfg.max_restarts = 22;
    expect_cfg_error(&cfg, "max_restarts");
    cfg.kind = (plast_optim_kind)9;
    expect_cfg_error(&cfg, "kind");

    /* Valid cfgs of every kind are accepted (so the checks above fail for their reason). */
    for (int k = 0; k < PLAST_OPTIM_N_KINDS; k++) {
        plast_optim_cfg_default(&cfg, (plast_optim_kind)k, 4);
        plast_optim *o = plast_optim_new(&cfg, NULL, NULL);
        CHECK(o != NULL);
        plast_optim_kind back = PLAST_OPTIM_SNES;
        CHECK(plast_optim_kind_parse(plast_optim_kind_name((plast_optim_kind)k), &back) == PLAST_OK);
        CHECK(back == (plast_optim_kind)k);
        plast_optim_delete(o);
    }
    plast_optim_kind kk = PLAST_OPTIM_SNES;
    CHECK(plast_optim_kind_parse("cma", &kk) == PLAST_E_CONFIG && kk == PLAST_OPTIM_SNES);
    CHECK(plast_optim_kind_name((plast_optim_kind)7) == NULL);

    double x0[4] = {0, 1, INFINITY, 2};
    plast_err err;
    plast_err_clear(&err);
    plast_optim_cfg_default(&cfg, PLAST_OPTIM_CMAES, 4);
    CHECK(plast_optim_new(&cfg, x0, &err) == NULL);
    CHECK(err.code == PLAST_E_CONFIG && strstr(err.msg, "x0[2]") != NULL);

    /* NaN and -Inf fitness: rejected, naming the member, state untouched; +Inf ranks last. */
    plast_optim *o = plast_optim_new(&cfg, NULL, NULL);
    REQUIRE(o);
    int lam = plast_optim_popsize(o);
    double fit[16];
    for (int k = 0; k < lam; k++) fit[k] = k;
    fit[3] = NAN;
    plast_err_clear(&err);
    CHECK(plast_optim_tell(o, fit, &err) == PLAST_E_DATA);
    CHECK(err.code == PLAST_E_DATA && strstr(err.msg, "member 3") != NULL);
    CHECK(plast_optim_generation(o) == 0 && plast_optim_evals(o) == 0);
    fit[3] = -INFINITY;
    CHECK(plast_optim_tell(o, fit, &err) == PLAST_E_DATA);
    fit[3] = INFINITY;
    CHECK(plast_optim_tell(o, fit, &err) == PLAST_OK);
    CHECK(plast_optim_generation(o) == 1 && plast_optim_best_f(o) == 0.0);
    plast_optim_delete(o);
}

int main(void)
{
    plast_linalg_init(); /* one BLAS thread: the same bits as the program */
    clock_t t0 = clock();
    test_symeig();
    test_es_gradient();
    test_es_decay_and_ties();
    test_es_sphere();
    test_snes_sphere();
    test_cma_constants();
    test_cmaes_rotated_ellipsoid();
    test_sep_cmaes_ellipsoid();
    test_ipop_rastrigin();
    test_stop_reasons();
    test_ask_pure();
    test_save_load();
    test_bad_input();
    fprintf(stderr, "  %.2f s\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
    CHECK_DONE();
}
