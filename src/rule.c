/* rule.c — what the engine offers every rule: name lookups for bind(), the engine's
 * broadcasts, and the descriptor helpers (see include/plast/rule.h). */
#include <string.h>

#include "plast/rule.h"

const char *const plast_bcast_engine[PLAST_BCAST_ENGINE] = {"error", "reward"};

const float *plast_bind_meta(const plast_binder *b, const char *name, plast_err *err)
{
    const plast_pspec *p = plast_pset_find(b->meta, name, b->layer);
    if (!p) p = plast_pset_find(b->meta, name, -1);
    if (!p) {
        plast_err_set(err, PLAST_E_INTERNAL, "rule",
                      "layer %d has no meta-parameter tensor '%s'", b->layer, name);
        return NULL;
    }
    return b->meta->data + p->offset;
}

float *plast_bind_state(const plast_binder *b, const char *name, plast_err *err)
{
    const plast_pspec *p = plast_pset_find(b->state, name, b->layer);
    if (!p) {
        plast_err_set(err, PLAST_E_INTERNAL, "rule", "layer %d has no plastic tensor '%s'",
                      b->layer, name);
        return NULL;
    }
    return b->state->data + p->offset;
}

const float *plast_bind_broadcast(const plast_binder *b, const char *name, plast_err *err)
{
    for (int i = 0; i < b->n_bcast; i++)
        if (!strcmp(b->bcast_name[i], name)) return b->bcast + i;
    plast_err_set(err, PLAST_E_CONFIG, "rule", "no broadcast signal '%s' in this task", name);
    return NULL;
}

int plast_rule_describe(const plast_rule *r, const void *opts, const plast_pset *meta, char *buf,
                        size_t n)
{
    return r->describe ? r->describe(opts, meta, buf, n) : 0;
}

plast_fb_mode plast_rule_fb_mode(const plast_rule *r)
{
    switch (r->path) {
    case PLAST_PATH_DIRECT: return PLAST_FB_DIRECT;
    case PLAST_PATH_CHAIN: return PLAST_FB_CHAIN;
    default: return PLAST_FB_NONE;
    }
}
