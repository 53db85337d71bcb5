/* net.c — network storage, initialisation and the batched forward pass. */
#include "plast/net.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "plast/linalg.h"

const char *const plast_act_names[] = {"identity", "relu", "tanh", "sigmoid", "softplus", NULL};
const char *const plast_fb_names[] = {"none", "direct", "chain", NULL};

static void bind_views(plast_net *net);

/* One user-facing number v per initialiser: the gain of kaiming/xavier, the value of
 * constant/identity, the half-width of uniform (U[-v, v)) and the std of normal. */
static int add(plast_pset *p, const char *name, const char *group, int layer, int rows, int cols,
               plast_init init, float v, plast_err *err)
{
    float a = v, b = 0.0f;
    if (init == PLAST_INIT_UNIFORM) a = -v, b = v;
    if (init == PLAST_INIT_NORMAL) a = 0.0f, b = v;
    return plast_pset_add(p, name, group, layer, rows, cols, init, a, b, -INFINITY, INFINITY, err);
}

int plast_net_declare(plast_net *net, const plast_net_spec *spec, plast_err *err)
{
    memset(net, 0, sizeof *net);
    if (spec->n_layers < 1 || spec->n_layers > PLAST_MAX_LAYERS)
        return plast_err_set(err, PLAST_E_CONFIG, "net.hidden",
                             "a network has 1 to %d layers, not %d", PLAST_MAX_LAYERS,
                             spec->n_layers);
    if (spec->n_in < 1 || spec->n_in > PLAST_MAX_WIDTH)
        return plast_err_set(err, PLAST_E_CONFIG, "net", "input width %d is out of range",
                             spec->n_in);
    for (int l = 0; l < spec->n_layers; l++)
        if (spec->width[l] < 1 || spec->width[l] > PLAST_MAX_WIDTH)
            return plast_err_set(err, PLAST_E_CONFIG, "net.hidden",
                                 "layer %d width %d is out of range 1..%d", l, spec->width[l],
                                 PLAST_MAX_WIDTH);
    int L = spec->n_layers, n_out = spec->width[L - 1];
    net->n_layers = L;
    net->n_in = spec->n_in;
    net->n_out = n_out;
    net->fb_mode = spec->fb_mode;
    plast_pset_init(&net->p);
    int rc = PLAST_OK;
    for (int l = 0; l < L && !rc; l++) {
        plast_layer *ly = &net->layer[l];
        ly->type = PLAST_LAYER_DENSE;
        ly->act = spec->act[l];
        ly->n_in = l ? spec->width[l - 1] : spec->n_in;
        ly->n_out = spec->width[l];
        ly->plastic = spec->plastic[l];
        /* Direct feedback reaches each plastic layer on its own; a frozen layer has none.
         * (A chain passes through frozen layers, so they keep theirs.) */
        if (spec->fb_mode == PLAST_FB_DIRECT && ly->plastic) ly->n_fb = n_out;
        if (spec->fb_mode == PLAST_FB_CHAIN && l < L - 1) ly->n_fb = spec->width[l + 1];
        rc = add(&net->p, "W", "weights", l, ly->n_out, ly->n_in, spec->w_init, spec->w_gain, err);
    }
    for (int l = 0; l < L && !rc; l++)
        rc = add(&net->p, "b", "biases", l, net->layer[l].n_out, 1, spec->b_init, spec->b_value,
                 err);
    for (int l = 0; l < L && !rc; l++) {
        if (!net->layer[l].n_fb) continue;
        /* The output layer's own feedback (DIRECT: [n_out][n_out]) has its own initialiser:
         * its sign decides whether the output is pulled towards or away from the target. */
        int out = l == L - 1;
        rc = add(&net->p, "B", "feedback", l, net->layer[l].n_out, net->layer[l].n_fb,
                 out ? spec->out_fb_init : spec->fb_init, out ? spec->out_fb_value : spec->fb_scale,
                 err);
        if (!rc)
            rc = add(&net->p, "c", "feedback", l, net->layer[l].n_out, 1, spec->fbb_init,
                     spec->fbb_value, err);
    }
    net->n_own = net->p.n;
    return rc;
}

int plast_net_alloc(plast_net *net, plast_err *err)
{
    int rc = plast_pset_alloc(&net->p, err);
    if (rc) return rc;
    bind_views(net);
    return PLAST_OK;
}

int plast_net_init(plast_net *net, const plast_net_spec *spec, plast_err *err)
{
    int rc = plast_net_declare(net, spec, err);
    return rc ? rc : plast_net_alloc(net, err);
}

/* Points the layer views into the set's buffer. */
static void bind_views(plast_net *net)
{
    for (int l = 0; l < net->n_layers; l++) {
        plast_layer *ly = &net->layer[l];
        ly->W = plast_pset_view(&net->p, "W", l);
        ly->b = plast_pset_view(&net->p, "b", l);
        ly->B = ly->n_fb ? plast_pset_view(&net->p, "B", l) : NULL;
        ly->c = ly->n_fb ? plast_pset_view(&net->p, "c", l) : NULL;
    }
}

int plast_net_clone(plast_net *dst, const plast_net *src, plast_err *err)
{
    *dst = *src;
    int rc = plast_pset_clone(&dst->p, &src->p, err);
    if (rc) {
        memset(dst, 0, sizeof *dst);
        return rc;
    }
    bind_views(dst);
    return PLAST_OK;
}

void plast_net_free(plast_net *net)
{
    plast_pset_free(&net->p);
    memset(net->layer, 0, sizeof net->layer);
}

void plast_net_draw(plast_net *net, plast_rng *rng)
{
    plast_pset_draw(&net->p, rng);
}

void plast_net_copy(plast_net *dst, const plast_net *src)
{
    memcpy(dst->p.data, src->p.data, src->p.n_floats * sizeof(float));
}

int plast_acts_init(plast_acts *acts, const plast_net *net, int batch_max, plast_err *err)
{
    memset(acts, 0, sizeof *acts);
    if (batch_max < 1 || batch_max > PLAST_MAX_BATCH)
        return plast_err_set(err, PLAST_E_CONFIG, "batch", "batch size %d is out of range 1..%d",
                             batch_max, PLAST_MAX_BATCH);
    size_t total = 0;
    for (int l = 0; l < net->n_layers; l++) total += 2 * (size_t)batch_max * net->layer[l].n_out;
    acts->buf = calloc(total, sizeof(float));
    if (!acts->buf) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (activations)");
    acts->batch_max = batch_max;
    float *p = acts->buf;
    for (int l = 0; l < net->n_layers; l++) {
        size_t n = (size_t)batch_max * net->layer[l].n_out;
        acts->a[l] = p;
        acts->h[l] = p + n;
        p += 2 * n;
    }
    return PLAST_OK;
}

void plast_acts_free(plast_acts *acts)
{
    free(acts->buf);
    memset(acts, 0, sizeof *acts);
}

const float *plast_acts_pre(const plast_acts *acts, int l)
{
    return l ? acts->h[l - 1] : acts->x;
}

void plast_act_apply(plast_act f, int n, const float *a, float *h)
{
    switch (f) {
    case PLAST_ACT_IDENTITY:
        if (h != a) memcpy(h, a, (size_t)n * sizeof *h);
        break;
    case PLAST_ACT_RELU:
        for (int i = 0; i < n; i++) h[i] = a[i] > 0.0f ? a[i] : 0.0f;
        break;
    case PLAST_ACT_TANH:
        for (int i = 0; i < n; i++) h[i] = tanhf(a[i]);
        break;
    case PLAST_ACT_SIGMOID:
        for (int i = 0; i < n; i++) h[i] = 1.0f / (1.0f + expf(-a[i]));
        break;
    case PLAST_ACT_SOFTPLUS: /* log(1 + e^a), written to stay finite for large |a| */
        for (int i = 0; i < n; i++)
            h[i] = (a[i] > 0.0f ? a[i] : 0.0f) + log1pf(expf(-fabsf(a[i])));
        break;
    }
}

void plast_act_deriv(plast_act f, int n, const float *a, const float *h, float *d)
{
    switch (f) {
    case PLAST_ACT_IDENTITY:
        for (int i = 0; i < n; i++) d[i] = 1.0f;
        break;
    case PLAST_ACT_RELU:
        for (int i = 0; i < n; i++) d[i] = a[i] > 0.0f ? 1.0f : 0.0f;
        break;
    case PLAST_ACT_TANH:
        for (int i = 0; i < n; i++) d[i] = 1.0f - h[i] * h[i];
        break;
    case PLAST_ACT_SIGMOID:
        for (int i = 0; i < n; i++) d[i] = h[i] * (1.0f - h[i]);
        break;
    case PLAST_ACT_SOFTPLUS:
        for (int i = 0; i < n; i++) d[i] = 1.0f / (1.0f + expf(-a[i]));
        break;
    }
}

static const float *forward(const plast_net *net, plast_acts *acts, const float *x, int batch,
                            plast_gemm_fn *gemm)
{
    acts->x = x;
    acts->batch = batch;
    const float *in = x;
    for (int l = 0; l < net->n_layers; l++) {
        const plast_layer *ly = &net->layer[l];
        float *a = acts->a[l];
        /* a[batch][n_out] = b broadcast, then += in[batch][n_in] * W^T */
        for (int i = 0; i < batch; i++) memcpy(a + (size_t)i * ly->n_out, ly->b, ly->n_out * sizeof *a);
        gemm(0, 1, batch, ly->n_out, ly->n_in, 1.0f, in, ly->n_in, ly->W, ly->n_in, 1.0f, a,
             ly->n_out);
        plast_act_apply(ly->act, batch * ly->n_out, a, acts->h[l]);
        in = acts->h[l];
    }
    return in;
}

const float *plast_net_forward(const plast_net *net, plast_acts *acts, const float *x, int batch)
{
    return forward(net, acts, x, batch, plast_gemm);
}

const float *plast_net_forward_ref(const plast_net *net, plast_acts *acts, const float *x,
                                   int batch)
{
    return forward(net, acts, x, batch, plast_gemm_ref);
}

static const plast_opt net_table[] = {
    {"hidden", PLAST_OPT_INTS, offsetof(plast_net_opts, hidden), 0, 1, PLAST_MAX_WIDTH, NULL,
     "40,40,40", "widths of the hidden layers"},
    {"act", PLAST_OPT_ENUM, offsetof(plast_net_opts, act), PLAST_ACT_RELU, 0, 0,
     plast_act_names, NULL, "activation of the hidden layers"},
    {"output_act", PLAST_OPT_ENUM, offsetof(plast_net_opts, output_act), PLAST_ACT_IDENTITY, 0,
     0, plast_act_names, NULL, "activation of the output layer"},
    {"frozen", PLAST_OPT_INTS, offsetof(plast_net_opts, frozen), 0, 0, PLAST_MAX_LAYERS - 1,
     NULL, "", "indices of layers frozen in the inner loop (0 = first hidden layer)"},
    {"init", PLAST_OPT_ENUM, offsetof(plast_net_opts, w_init), PLAST_INIT_KAIMING_UNIFORM, 0, 0,
     plast_init_names, NULL, "initialiser of the weights W"},
    {"gain", PLAST_OPT_FLOAT, offsetof(plast_net_opts, w_gain), 1.41421356, 0, 1e3, NULL, NULL,
     "gain (or value, or std) of the weight initialiser"},
    {"bias_init", PLAST_OPT_ENUM, offsetof(plast_net_opts, b_init), PLAST_INIT_ZEROS, 0, 0,
     plast_init_names, NULL, "initialiser of the biases b"},
    {"bias_value", PLAST_OPT_FLOAT, offsetof(plast_net_opts, b_value), 0, -1e3, 1e3, NULL, NULL,
     "value (or gain) of the bias initialiser"},
    {"feedback_init", PLAST_OPT_ENUM, offsetof(plast_net_opts, fb_init),
     PLAST_INIT_KAIMING_UNIFORM, 0, 0, plast_init_names, NULL,
     "initialiser of the feedback matrices B"},
    {"feedback_scale", PLAST_OPT_FLOAT, offsetof(plast_net_opts, fb_scale), 1.0, 0, 1e3, NULL,
     NULL, "gain (or value, or std) of the feedback initialiser"},
    {"output_feedback_init", PLAST_OPT_ENUM, offsetof(plast_net_opts, out_fb_init),
     PLAST_INIT_IDENTITY, 0, 0, plast_init_names, NULL,
     "initialiser of the output layer's own feedback matrix (direct feedback)"},
    {"output_feedback_value", PLAST_OPT_FLOAT, offsetof(plast_net_opts, out_fb_value), 1.0, -1e3,
     1e3, NULL, NULL, "value (or gain) of the output feedback initialiser"},
    {"feedback_bias_init", PLAST_OPT_ENUM, offsetof(plast_net_opts, fbb_init), PLAST_INIT_ZEROS,
     0, 0, plast_init_names, NULL, "initialiser of the feedback biases c"},
    {"feedback_bias_value", PLAST_OPT_FLOAT, offsetof(plast_net_opts, fbb_value), 0, -1e3, 1e3,
     NULL, NULL, "value of the feedback bias initialiser"},
};

const plast_opt_table plast_net_opts_table = {net_table, sizeof net_table / sizeof net_table[0],
                                              sizeof(plast_net_opts)};

int plast_net_spec_make(const plast_net_opts *o, int n_in, int n_out, plast_net_spec *sp,
                        plast_err *err)
{
    memset(sp, 0, sizeof *sp);
    int L = o->hidden.n + 1;
    if (L > PLAST_MAX_LAYERS)
        return plast_err_set(err, PLAST_E_CONFIG, "net.hidden", "at most %d hidden layers",
                             PLAST_MAX_LAYERS - 1);
    sp->n_in = n_in;
    sp->n_layers = L;
    for (int l = 0; l < L; l++) {
        sp->width[l] = l < L - 1 ? o->hidden.v[l] : n_out;
        sp->act[l] = l < L - 1 ? (plast_act)o->act : (plast_act)o->output_act;
        sp->plastic[l] = 1;
    }
    for (int i = 0; i < o->frozen.n; i++) {
        int l = o->frozen.v[i];
        if (l >= L)
            return plast_err_set(err, PLAST_E_CONFIG, "net.frozen",
                                 "layer %d does not exist (the network has layers 0..%d)", l,
                                 L - 1);
        sp->plastic[l] = 0;
    }
    sp->w_init = (plast_init)o->w_init;
    sp->w_gain = o->w_gain;
    sp->b_init = (plast_init)o->b_init;
    sp->b_value = o->b_value;
    sp->fb_init = (plast_init)o->fb_init;
    sp->fb_scale = o->fb_scale;
    sp->fbb_init = (plast_init)o->fbb_init;
    sp->fbb_value = o->fbb_value;
    sp->out_fb_init = (plast_init)o->out_fb_init;
    sp->out_fb_value = o->out_fb_value;
    return PLAST_OK;
}
