/* optim_adam.c — Adam (Kingma & Ba 2015) on exact meta-gradients, behind the optimizer
 * interface: a population of one (ask returns the mean), told a gradient instead of a rank
 * (plast_optim_tell_grad). The gradient's norm is clipped to cfg.clip, the learning rate
 * decays geometrically (lr lr_decay^t) and a per-coordinate factor gives each tensor group
 * its own rate. Its state (mean, moments, step counters) saves and loads with the others'. */
#define PLAST_OPTIM_INTERNAL
#include "plast/optim.h"

#include <math.h>
#include <string.h>

static int adam_default_popsize(int dim)
{
    (void)dim;
    return 1;
}

#define BAD(field, ...) plast_err_set(err, PLAST_E_CONFIG, "optim." field, __VA_ARGS__)

static int adam_validate(const plast_optim_cfg *c, plast_err *err)
{
    if (c->popsize != 1)
        return BAD("popsize", "adam follows one point: popsize must be 1 (or 0), not %d",
                   c->popsize);
    if (!(c->lr > 0.0) || !isfinite(c->lr))
        return BAD("lr", "lr must be finite and > 0 (got %g)", c->lr);
    int rc = plast_optim_check_adam(c, err);
    if (rc) return rc;
    if (!(c->clip >= 0.0) || !isfinite(c->clip))
        return BAD("clip", "clip must be finite and >= 0 (got %g)", c->clip);
    if (!(c->lr_decay > 0.0 && c->lr_decay <= 1.0))
        return BAD("lr_decay", "lr_decay must be in (0, 1] (got %g)", c->lr_decay);
    return PLAST_OK;
}

int plast_optim_check_adam(const plast_optim_cfg *c, plast_err *err)
{
    if (!(c->adam_beta1 >= 0.0 && c->adam_beta1 < 1.0))
        return BAD("adam_beta1", "adam_beta1 must be in [0, 1) (got %g)", c->adam_beta1);
    if (!(c->adam_beta2 >= 0.0 && c->adam_beta2 < 1.0))
        return BAD("adam_beta2", "adam_beta2 must be in [0, 1) (got %g)", c->adam_beta2);
    if (!(c->adam_eps > 0.0) || !isfinite(c->adam_eps))
        return BAD("adam_eps", "adam_eps must be finite and > 0 (got %g)", c->adam_eps);
    return PLAST_OK;
}

static void adam_layout(plast_optim *o, plast_optim_bump *b, int work)
{
    size_t n = (size_t)o->dim;
    if (!work) {
        o->m1 = plast_optim_take(b, n);
        o->m2 = plast_optim_take(b, n);
    } else {
        o->wa = plast_optim_take(b, n); /* the clipped gradient */
    }
}

static void adam_start(plast_optim *o)
{
    memset(o->m1, 0, (size_t)o->dim * sizeof(double));
    memset(o->m2, 0, (size_t)o->dim * sizeof(double));
}

static void adam_ask(const plast_optim *o, int member, double *x)
{
    (void)member;
    memcpy(x, o->mean, (size_t)o->dim * sizeof(double));
}

/* Fitness alone says nothing to a gradient method: only the counters advance. */
static int adam_tell(plast_optim *o, const double *f, const int *order)
{
    (void)o, (void)f, (void)order;
    return PLAST_OPTIM_STOP_NONE;
}

static double adam_sigma(const plast_optim *o)
{
    return o->cfg.lr * pow(o->cfg.lr_decay, (double)(o->gen - o->skipped));
}

static void adam_stdevs(const plast_optim *o, double *sd)
{
    for (int i = 0; i < o->dim; i++) sd[i] = 0.0;
}

void plast_optim_adam_step(plast_optim *o, const double *grad, const double *lr_scale)
{
    const plast_optim_cfg *c = &o->cfg;
    int n = o->dim;
    double *g = o->wa, norm = 0.0;
    for (int i = 0; i < n; i++) norm += grad[i] * grad[i];
    norm = sqrt(norm);
    double k = c->clip > 0.0 && norm > c->clip ? c->clip / norm : 1.0;
    for (int i = 0; i < n; i++) g[i] = k * grad[i];
    double t = (double)(o->gen - o->skipped + 1); /* steps taken, this one included */
    double bc1 = 1.0 - pow(c->adam_beta1, t), bc2 = 1.0 - pow(c->adam_beta2, t);
    double lr = c->lr * pow(c->lr_decay, t - 1.0);
    for (int i = 0; i < n; i++) {
        o->m1[i] = c->adam_beta1 * o->m1[i] + (1.0 - c->adam_beta1) * g[i];
        o->m2[i] = c->adam_beta2 * o->m2[i] + (1.0 - c->adam_beta2) * g[i] * g[i];
        double step = (o->m1[i] / bc1) / (sqrt(o->m2[i] / bc2) + c->adam_eps);
        o->mean[i] -= lr * (lr_scale ? lr_scale[i] : 1.0) * step;
    }
}

const plast_optim_method plast_optim_adam_method = {
    adam_default_popsize, adam_validate, adam_layout, adam_start, adam_ask, adam_tell,
    adam_sigma, adam_stdevs, 0,
};
