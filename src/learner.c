/* learner.c — building, drawing and copying learners (see include/plast/learner.h). */
#include "plast/learner.h"

#include <string.h>

#include "plast/config.h"
#include "plast/task.h"

int plast_learner_init(plast_learner *L, const plast_net_spec *spec, const plast_rule *rule,
                       const void *rule_opts, const plast_objective *obj, plast_err *err)
{
    memset(L, 0, sizeof *L);
    if (!rule || !obj) return plast_err_set(err, PLAST_E_INTERNAL, "rule", "no rule or objective");
    plast_net_spec sp = *spec;
    sp.fb_mode = plast_rule_fb_mode(rule);
    L->rule = rule;
    L->rule_opts = rule_opts;
    L->objective = obj;
    plast_pset_init(&L->meta);
    int rc = plast_net_declare(&L->net, &sp, err);
    if (!rc) rc = rule->check(rule_opts, &L->net, obj, err);
    if (!rc) rc = rule->declare(rule_opts, &L->net, &L->net.p, &L->meta, err);
    if (!rc) rc = plast_net_alloc(&L->net, err);
    if (!rc) rc = plast_pset_alloc(&L->meta, err);
    if (rc) plast_learner_free(L);
    return rc;
}

int plast_learner_from_config(plast_learner *L, const plast_config *cfg, const plast_rule *rule,
                              const void *rule_opts, plast_task_shape *shape, plast_err *err)
{
    plast_task_shape sh;
    plast_net_spec spec;
    memset(L, 0, sizeof *L);
    int rc = cfg->task->shape(cfg->task_opts, &sh, err);
    if (!rc) rc = plast_net_spec_make(&cfg->net, sh.n_in, sh.in_c, sh.in_h, sh.in_w, sh.n_out,
                                      &spec, err);
    if (!rc)
        rc = plast_learner_init(L, &spec, rule ? rule : cfg->rule,
                                rule ? rule_opts : (const void *)cfg->rule_opts, sh.objective, err);
    if (!rc && shape) *shape = sh;
    return rc;
}

void plast_learner_draw(plast_learner *L, plast_rng *rng)
{
    plast_net_draw(&L->net, rng);
    plast_pset_draw(&L->meta, rng);
}

void plast_learner_free(plast_learner *L)
{
    plast_net_free(&L->net);
    plast_pset_free(&L->meta);
}

int plast_learner_clone(plast_learner *dst, const plast_learner *src, plast_err *err)
{
    memset(dst, 0, sizeof *dst);
    int rc = plast_net_clone(&dst->net, &src->net, err);
    if (rc) return rc;
    dst->rule = src->rule;
    dst->rule_opts = src->rule_opts;
    dst->objective = src->objective;
    rc = plast_pset_clone(&dst->meta, &src->meta, err);
    if (rc) plast_net_free(&dst->net);
    return rc;
}

plast_pset *plast_learner_set(plast_learner *L, int set)
{
    return set ? &L->meta : &L->net.p;
}

const plast_pset *plast_learner_cset(const plast_learner *L, int set)
{
    return set ? &L->meta : &L->net.p;
}
