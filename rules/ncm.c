/* ncm.c — nearest class mean, the classification reference (not a plasticity rule to
 * discover, but one written in the same local form). The output layer keeps, for every
 * class c, the running mean of the inputs seen with that class,
 *   n_c <- n_c + 1,  W_c <- W_c + (x - W_c) / n_c,  b_c = -|W_c|^2 / 2,
 * so that the logits W x + b = -|x - W_c|^2 / 2 + |x|^2 / 2 rank classes by the distance
 * to their mean. It reads only its input, the target at its own output and its own plastic
 * tensor "count" (n_c, zero at the start of an episode: part of the learner state, group
 * "counts"); every layer below the output must be frozen (a fixed representation,
 * the way FLP and OML classify on top of a learned feature extractor). A class without
 * samples yet gets the bias -1e30, so it is never predicted. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "plast/rule.h"

typedef struct ncm_opts {
    int unused;
} ncm_opts;

static int ncm_declare(const void *opts, const plast_net *net, plast_pset *state, plast_pset *meta,
                       plast_err *err)
{
    (void)opts, (void)meta;
    int out = net->n_layers - 1; /* no meta-parameters; the counts are plastic */
    return plast_pset_add(state, "count", "counts", out, net->layer[out].n_out, 1,
                          PLAST_INIT_ZEROS, 0, 0, 0.0f, INFINITY, err);
}

static int ncm_check(const void *opts, const plast_net *net, const plast_objective *obj,
                     plast_err *err)
{
    (void)opts;
    if (!obj->teacher)
        return plast_err_set(err, PLAST_E_CONFIG, "rule.name",
                             "ncm needs a target class per item: it is for classification tasks");
    for (int l = 0; l < net->n_layers - 1; l++)
        if (net->layer[l].plastic)
            return plast_err_set(err, PLAST_E_CONFIG, "net.frozen",
                                 "ncm learns only the output layer: freeze layers 0..%d",
                                 net->n_layers - 2);
    if (net->layer[net->n_layers - 1].act != PLAST_ACT_IDENTITY)
        return plast_err_set(err, PLAST_E_CONFIG, "net.output_act",
                             "ncm needs an identity output (its logits are distances)");
    return PLAST_OK;
}

static size_t ncm_scratch(const void *opts, const plast_layer *ly, int batch_max)
{
    (void)opts, (void)ly, (void)batch_max;
    return 0;
}

typedef struct ncm_handles {
    float *count; /* [n_out] n_c, output layer only */
} ncm_handles;

static int ncm_bind(const void *opts, const plast_binder *b, void *hv, plast_err *err)
{
    ncm_handles *h = hv;
    (void)opts;
    if (!b->is_output) return PLAST_OK;
    h->count = plast_bind_state(b, "count", err);
    return h->count ? PLAST_OK : PLAST_E_INTERNAL;
}

static void ncm_update(const plast_local *x)
{
    if (!x->is_output) return;
    float *count = ((const ncm_handles *)x->h)->count;
    int no = x->n_out, ni = x->n_in;
    for (int b = 0; b < x->batch; b++) {
        const float *t = x->s + (size_t)b * no, *in = x->pre + (size_t)b * ni;
        int c = 0;
        for (int i = 1; i < no; i++)
            if (t[i] > t[c]) c = i;
        float n = count[c] += 1.0f;
        float *w = x->W + (size_t)c * ni;
        double norm = 0.0;
        for (int j = 0; j < ni; j++) {
            w[j] += (in[j] - w[j]) / n;
            norm += (double)w[j] * w[j];
        }
        x->b[c] = (float)(-0.5 * norm);
    }
    /* A class not seen yet has no mean: it must never be the nearest. */
    for (int i = 0; i < no; i++)
        if (count[i] == 0.0f) x->b[i] = -1e30f;
}

const plast_rule plast_rule_ncm = {
    .name = "ncm",
    .summary = "nearest class mean on the output layer (classification reference)",
    .nonlocal = 0,
    .path = PLAST_PATH_NONE,
    .sig = PLAST_SIG_TEACHER,
    .opts = {NULL, 0, sizeof(ncm_opts)},
    .declare = ncm_declare,
    .check = ncm_check,
    .handles_size = sizeof(ncm_handles),
    .bind = ncm_bind,
    .scratch_floats = ncm_scratch,
    .signal = NULL,
    .update = ncm_update,
};
