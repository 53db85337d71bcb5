/* rig.h — small helpers the rule tests share: a learner on a hand-made network with
 * default rule options, and an episode workspace for one task shape. */
#ifndef PLAST_TEST_RIG_H
#define PLAST_TEST_RIG_H

#include <string.h>

#include "check.h"
#include "plast/episode.h"
#include "plast/linalg.h"

typedef struct rig {
    plast_learner L;
    plast_episode ep;
    _Alignas(16) unsigned char opts[4096];
    plast_task_shape shape;
} rig;

/* widths[0..n_layers-1], the last is the output; acts likewise; kinds (NULL: all dense)
 * with an input image c x h x w (h = 0: a vector of c). Bit l of frozen freezes layer l.
 * Returns the learner's error code (the rule may refuse the set-up). */
static inline int rig_try_kinds(rig *g, const char *rule, int c, int h, int w, int n_layers,
                                const plast_layer_spec *kinds, const int *widths,
                                const plast_act *acts, int batch, int classification,
                                uint64_t seed, unsigned frozen)
{
    int n_in = h ? c * h * w : c;
    const plast_rule *r = plast_rule_find(rule);
    REQUIRE(r != NULL);
    plast_opts_defaults(&r->opts, g->opts);
    plast_net_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.n_in = n_in;
    if (h) sp.in_c = c, sp.in_h = h, sp.in_w = w;
    sp.n_layers = n_layers;
    for (int l = 0; l < n_layers; l++) {
        sp.width[l] = widths[l], sp.act[l] = acts[l], sp.plastic[l] = !(frozen >> l & 1u);
        if (kinds) sp.kind[l] = kinds[l];
    }
    sp.w_init = PLAST_INIT_KAIMING_UNIFORM;
    sp.w_gain = 1.0f;
    sp.b_init = PLAST_INIT_UNIFORM;
    sp.b_value = 0.2f;
    sp.fb_init = PLAST_INIT_NORMAL;
    sp.fb_scale = 0.5f;
    sp.fbb_init = PLAST_INIT_UNIFORM;
    sp.fbb_value = 0.1f;
    sp.out_fb_init = PLAST_INIT_NORMAL;
    sp.out_fb_value = 0.5f;
    plast_err err;
    const plast_objective *obj =
        classification ? &plast_objective_classification : &plast_objective_regression;
    int rc = plast_learner_init(&g->L, &sp, r, g->opts, obj, &err);
    if (rc) return rc;
    plast_rng rng;
    plast_rng_seed(&rng, seed, 99);
    plast_learner_draw(&g->L, &rng);
    memset(&g->shape, 0, sizeof g->shape);
    g->shape.objective = obj;
    g->shape.n_in = n_in;
    g->shape.n_out = widths[n_layers - 1];
    g->shape.batch = batch;
    g->shape.max_steps = 1;
    g->shape.n_seg = 1;
    g->shape.n_query = 1;
    return PLAST_OK;
}

static inline int rig_try(rig *g, const char *rule, int n_in, int n_layers, const int *widths,
                          const plast_act *acts, int batch, int classification, uint64_t seed,
                          unsigned frozen)
{
    return rig_try_kinds(g, rule, n_in, 0, 0, n_layers, NULL, widths, acts, batch, classification,
                         seed, frozen);
}

static inline void rig_init(rig *g, const char *rule, int n_in, int n_layers, const int *widths,
                            const plast_act *acts, int batch, int classification, uint64_t seed)
{
    REQUIRE(rig_try(g, rule, n_in, n_layers, widths, acts, batch, classification, seed, 0) == 0);
}

/* The episode is set up after the caller has adjusted options and meta-parameters. */
static inline void rig_start(rig *g)
{
    plast_err err;
    int rc = plast_episode_init(&g->ep, &g->L, &g->shape, &err);
    if (rc) fprintf(stderr, "rig_start: %s: %s\n", err.where, err.msg);
    REQUIRE(rc == PLAST_OK);
    plast_episode_reset(&g->ep);
}

static inline void rig_free(rig *g)
{
    plast_episode_free(&g->ep);
    plast_learner_free(&g->L);
}

/* Sets a rule option (number, bool or enum index) in the rig's options struct. */
static inline void set_opt(rig *g, const char *key, double v)
{
    const plast_opt_table *t = &g->L.rule->opts;
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->opt[i].key, key)) {
            char *p = (char *)g->opts + t->opt[i].offset;
            if (t->opt[i].type == PLAST_OPT_FLOAT) *(float *)p = (float)v;
            else *(int *)p = (int)v;
            return;
        }
    REQUIRE(0 && "unknown option");
}

static inline void fill_normal(plast_rng *r, float *x, int n, float scale)
{
    for (int i = 0; i < n; i++) x[i] = scale * (float)plast_rng_normal(r);
}

static inline void fill_onehot(plast_rng *r, float *y, int batch, int n_out)
{
    memset(y, 0, sizeof(float) * batch * n_out);
    for (int b = 0; b < batch; b++) y[b * n_out + plast_rng_below(r, (uint32_t)n_out)] = 1.0f;
}

#endif
