/* optim_es.c — OpenAI-ES (Salimans, Ho, Chen, Sidor & Sutskever 2017, "Evolution Strategies
 * as a Scalable Alternative to Reinforcement Learning"), written for minimisation.
 *
 * The search distribution is N(mean, sigma^2 I) with a scalar sigma that follows a fixed
 * schedule (decay to a floor) rather than adapting. Members come in antithetic pairs
 * mean +/- sigma*eps_k, which cancels the even part of the fitness in the gradient estimate.
 * Fitnesses are replaced by centred ranks in [-0.5, 0.5] (best -0.5), which makes the update
 * invariant to monotone transforms of the fitness and robust to outliers; the estimate
 * g = 1/(lambda sigma) sum_i shaped_i eps_i then points uphill in loss, and Adam or SGD (with
 * momentum) steps the mean against g + weight_decay * mean. */
#define PLAST_OPTIM_INTERNAL
#include "plast/optim.h"

#include <math.h>
#include <string.h>

static int es_default_popsize(int dim)
{
    int lam = 4 + (int)floor(3.0 * log((double)dim));
    return lam + (lam & 1); /* pairs */
}

#define BAD(field, ...) plast_err_set(err, PLAST_E_CONFIG, "optim." field, __VA_ARGS__)

static int es_validate(const plast_optim_cfg *c, plast_err *err)
{
    if (c->popsize < 2 || (c->popsize & 1))
        return BAD("popsize", "popsize must be even and >= 2 for openai-es, which samples "
                              "antithetic pairs (got %d)", c->popsize);
    if (!(c->lr > 0.0) || !isfinite(c->lr))
        return BAD("lr", "lr must be finite and > 0 (got %g)", c->lr);
    if (c->use_adam != 0 && c->use_adam != 1)
        return BAD("use_adam", "use_adam must be 0 or 1 (got %d)", c->use_adam);
    if (c->use_adam) {
        int rc = plast_optim_check_adam(c, err);
        if (rc) return rc;
    } else if (!(c->momentum >= 0.0 && c->momentum < 1.0)) {
        return BAD("momentum", "momentum must be in [0, 1) (got %g)", c->momentum);
    }
    if (!(c->weight_decay >= 0.0) || !isfinite(c->weight_decay))
        return BAD("weight_decay", "weight_decay must be finite and >= 0 (got %g)",
                   c->weight_decay);
    if (!(c->sigma_decay > 0.0) || !isfinite(c->sigma_decay))
        return BAD("sigma_decay", "sigma_decay must be finite and > 0 (got %g)", c->sigma_decay);
    if (!(c->sigma_min >= 0.0) || !isfinite(c->sigma_min))
        return BAD("sigma_min", "sigma_min must be finite and >= 0 (got %g)", c->sigma_min);
    return PLAST_OK;
}

static void es_layout(plast_optim *o, plast_optim_bump *b, int work)
{
    size_t n = (size_t)o->dim;
    if (!work) {
        o->m1 = plast_optim_take(b, n); /* Adam first moment, or SGD velocity */
        o->m2 = plast_optim_take(b, n); /* Adam second moment */
    } else {
        o->wz = plast_optim_take(b, n); /* eps_k of one pair */
        o->wa = plast_optim_take(b, n); /* gradient estimate */
    }
}

static void es_start(plast_optim *o)
{
    memset(o->m1, 0, (size_t)o->dim * sizeof(double));
    memset(o->m2, 0, (size_t)o->dim * sizeof(double));
}

static void es_ask(const plast_optim *o, int member, double *x)
{
    /* eps_k drawn straight into x, so ask needs no scratch and stays thread-safe. */
    double step = (member & 1) ? -o->sigma : o->sigma;
    plast_optim_noise(o, (uint64_t)(member / 2), x);
    for (int i = 0; i < o->dim; i++) x[i] = o->mean[i] + step * x[i];
}

static int es_tell(plast_optim *o, const double *f, const int *order)
{
    int n = o->dim, lam = (int)o->lambda;
    const plast_optim_cfg *c = &o->cfg;
    double *eps = o->wz, *g = o->wa;

    /* Centred ranks by position p (0 = best): p/(lam-1) - 0.5, ties averaged; shaped[p]. */
    double *shaped = o->wlam;
    for (int p = 0; p < lam; p++) shaped[p] = (double)p / (lam - 1) - 0.5;
    plast_optim_tie_average(f, order, lam, shaped);
    int *pos = o->idx_tmp; /* pos[member] = its position; the sort's merge buffer is free now */
    for (int p = 0; p < lam; p++) pos[order[p]] = p;

    /* g = 1/(lam sigma) sum_k (shaped_2k - shaped_2k+1) eps_k: members 2k, 2k+1 share eps_k. */
    memset(g, 0, (size_t)n * sizeof(double));
    for (int k = 0; k < lam / 2; k++) {
        double coef = shaped[pos[2 * k]] - shaped[pos[2 * k + 1]];
        if (coef == 0.0) continue; /* a tied pair says nothing */
        plast_optim_noise(o, (uint64_t)k, eps);
        for (int i = 0; i < n; i++) g[i] += coef * eps[i];
    }
    double scale = 1.0 / (lam * o->sigma);
    for (int i = 0; i < n; i++) g[i] = g[i] * scale + c->weight_decay * o->mean[i];

    if (c->use_adam) {
        double t = (double)(o->gen_restart + 1);
        double bc1 = 1.0 - pow(c->adam_beta1, t), bc2 = 1.0 - pow(c->adam_beta2, t);
        for (int i = 0; i < n; i++) {
            o->m1[i] = c->adam_beta1 * o->m1[i] + (1.0 - c->adam_beta1) * g[i];
            o->m2[i] = c->adam_beta2 * o->m2[i] + (1.0 - c->adam_beta2) * g[i] * g[i];
            o->mean[i] -= c->lr * (o->m1[i] / bc1) / (sqrt(o->m2[i] / bc2) + c->adam_eps);
        }
    } else {
        for (int i = 0; i < n; i++) {
            o->m1[i] = c->momentum * o->m1[i] + g[i];
            o->mean[i] -= c->lr * o->m1[i];
        }
    }
    o->sigma = fmax(c->sigma_min, o->sigma * c->sigma_decay);
    return PLAST_OPTIM_STOP_NONE;
}

static double es_sigma(const plast_optim *o)
{
    return o->sigma;
}

static void es_stdevs(const plast_optim *o, double *sd)
{
    for (int i = 0; i < o->dim; i++) sd[i] = o->sigma;
}

const plast_optim_method plast_optim_es_method = {
    es_default_popsize, es_validate, es_layout, es_start, es_ask, es_tell, es_sigma, es_stdevs, 0,
};
