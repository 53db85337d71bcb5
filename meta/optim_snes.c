/* optim_snes.c — separable natural evolution strategies (SNES; Schaul, Glasmachers &
 * Schmidhuber 2011, "High Dimensions and Heavy Tails for Natural Evolution Strategies").
 *
 * The search distribution is N(mean, diag(s)^2) with one sigma per coordinate. Each
 * generation the members z_k ~ N(0, I), x_k = mean + s * z_k, are ranked and given the
 * paper's utilities u (positive for the better half, summing to zero); the natural gradients
 * in the local coordinates are grad_mean = sum u_k z_k and grad_s = sum u_k (z_k^2 - 1), and
 * the updates are mean += eta_mu * s * grad_mean and s *= exp(eta_sigma / 2 * grad_s), with
 * eta_mu = 1 and eta_sigma = (3 + ln n) / (5 sqrt n). Cost O(lambda n) per generation, no
 * matrices, so it scales to the dimension of a network's meta-parameters. */
#define PLAST_OPTIM_INTERNAL
#include "plast/optim.h"

#include <math.h>
#include <string.h>

static int snes_default_popsize(int dim)
{
    return 4 + (int)floor(3.0 * log((double)dim));
}

static int snes_validate(const plast_optim_cfg *c, plast_err *err)
{
    if (c->popsize < 2)
        return plast_err_set(err, PLAST_E_CONFIG, "optim.popsize",
                             "popsize must be >= 2 for snes (got %d)", c->popsize);
    return PLAST_OK;
}

static void snes_layout(plast_optim *o, plast_optim_bump *b, int work)
{
    size_t n = (size_t)o->dim;
    if (!work) {
        o->s = plast_optim_take(b, n); /* per-coordinate sigmas */
    } else {
        o->wz = plast_optim_take(b, n); /* z of one member */
        o->wa = plast_optim_take(b, n); /* gradient for the mean */
        o->wb = plast_optim_take(b, n); /* gradient for the log-sigmas */
    }
}

static void snes_start(plast_optim *o)
{
    double n = (double)o->dim;
    for (int i = 0; i < o->dim; i++) o->s[i] = o->cfg.sigma0;
    o->eta_mu = 1.0;
    o->eta_sigma = (3.0 + log(n)) / (5.0 * sqrt(n));
}

static void snes_ask(const plast_optim *o, int member, double *x)
{
    plast_optim_noise(o, (uint64_t)member, x); /* z into x, then x = mean + s * z in place */
    for (int i = 0; i < o->dim; i++) x[i] = o->mean[i] + o->s[i] * x[i];
}

static int snes_tell(plast_optim *o, const double *f, const int *order)
{
    int n = o->dim, lam = (int)o->lambda;
    double *u = o->wlam, *z = o->wz, *gm = o->wa, *gs = o->wb;

    /* Utilities by position p (0 = best): max(0, ln(lam/2 + 1) - ln(p + 1)), normalised to sum
     * one, minus 1/lam so that they sum to zero; tied members share. */
    double top = log(lam / 2.0 + 1.0), sum = 0.0;
    for (int p = 0; p < lam; p++) {
        u[p] = fmax(0.0, top - log(p + 1.0));
        sum += u[p];
    }
    for (int p = 0; p < lam; p++) u[p] = u[p] / sum - 1.0 / lam;
    plast_optim_tie_average(f, order, lam, u);

    memset(gm, 0, (size_t)n * sizeof(double));
    memset(gs, 0, (size_t)n * sizeof(double));
    for (int p = 0; p < lam; p++) {
        if (u[p] == 0.0) continue;
        plast_optim_noise(o, (uint64_t)order[p], z);
        for (int i = 0; i < n; i++) {
            gm[i] += u[p] * z[i];
            gs[i] += u[p] * (z[i] * z[i] - 1.0);
        }
    }
    int small = o->cfg.tolx > 0.0;
    for (int i = 0; i < n; i++) {
        o->mean[i] += o->eta_mu * o->s[i] * gm[i];
        o->s[i] *= exp(0.5 * o->eta_sigma * gs[i]);
        if (!(o->s[i] < o->cfg.tolx)) small = 0;
    }
    return small ? PLAST_OPTIM_STOP_TOLX : PLAST_OPTIM_STOP_NONE;
}

static double snes_sigma(const plast_optim *o)
{
    double acc = 0.0; /* geometric mean through logs: no overflow for large n */
    for (int i = 0; i < o->dim; i++) acc += log(o->s[i]);
    return exp(acc / o->dim);
}

static void snes_stdevs(const plast_optim *o, double *sd)
{
    memcpy(sd, o->s, (size_t)o->dim * sizeof(double));
}

const plast_optim_method plast_optim_snes_method = {
    snes_default_popsize, snes_validate, snes_layout, snes_start, snes_ask,
    snes_tell,            snes_sigma,    snes_stdevs, 0,
};
