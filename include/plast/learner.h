/* learner.h — what the outer loop shapes: the learner state's initial values and the rule.
 *
 * A plast_learner holds
 *   net   the learner state: the network's W(0), b, untied feedback B and c, and every
 *         plastic tensor the rule declares (prediction matrices, inverse weights, traces,
 *         counts), one named parameter set with declared initialisers. An episode starts
 *         by copying it (one memcpy) and changes only its copy.
 *   meta  the rule's meta-parameters (constant through an episode).
 * Every tensor of both sets has a name, a layer, an initialiser and an outer-loop group, so
 * a campaign can own any of them and a params file names them. */
#ifndef PLAST_LEARNER_H
#define PLAST_LEARNER_H

#include "plast/net.h"
#include "plast/objective.h"
#include "plast/rule.h"

struct plast_config;
struct plast_task_shape;

typedef struct plast_learner {
    plast_net net;          /* the initial learner state; episodes copy net.p */
    const plast_rule *rule;
    const void *rule_opts;  /* the rule's options struct (not owned) */
    const plast_objective *objective;
    plast_pset meta;        /* the rule's meta-parameters */
} plast_learner;

/* Builds the network (its feedback mode chosen by the rule), lets the rule check it against
 * the objective and declare its plastic tensors and meta-parameters; everything is zero
 * until plast_learner_draw. spec->fb_mode is ignored. */
int plast_learner_init(plast_learner *L, const plast_net_spec *spec, const plast_rule *rule,
                       const void *rule_opts, const plast_objective *obj, plast_err *err);
/* The one way to build a learner from a config: the task's shape (into *shape when not
 * NULL), the network of cfg->net for it, and cfg's rule, or `rule` with `rule_opts` when
 * rule is not NULL (a baseline on the same network). Values zero until drawn. */
int plast_learner_from_config(plast_learner *L, const struct plast_config *cfg,
                              const plast_rule *rule, const void *rule_opts,
                              struct plast_task_shape *shape, plast_err *err);
/* Draws the learner state from its initialisers, then the meta-parameters. */
void plast_learner_draw(plast_learner *L, plast_rng *rng);
void plast_learner_free(plast_learner *L);
/* A learner with src's shapes, rule and values, in buffers of its own. */
int plast_learner_clone(plast_learner *dst, const plast_learner *src, plast_err *err);
/* The set a campaign or params file addresses: 0 the learner state, 1 the meta-parameters. */
plast_pset *plast_learner_set(plast_learner *L, int set);
const plast_pset *plast_learner_cset(const plast_learner *L, int set);

#endif
