/* net.c — network storage, initialisation and the batched forward pass. */
#include "plast/net.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plast/layer.h"
#include "plast/linalg.h"

const char *const plast_act_names[] = {"identity", "relu", "tanh", "sigmoid", "softplus", NULL};
const char *const plast_fb_names[] = {"none", "direct", "chain", NULL};
const char *const plast_layer_names[] = {"dense", "conv", "pool", "flatten", NULL};
const char *const plast_pool_names[] = {"max", "avg", NULL};

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

int plast_kind_make(const plast_net_spec *spec, int l, int in_c, int in_h, int in_w,
                    plast_kind *k, const char *where, plast_err *err)
{
    const plast_layer_spec *ls = &spec->kind[l];
    memset(k, 0, sizeof *k);
    k->type = ls->type;
    k->in_c = in_c, k->in_h = in_h, k->in_w = in_w;
    k->positions = 1;
    size_t n_in = (size_t)in_c * in_h * in_w;
    switch (ls->type) {
    case PLAST_LAYER_DENSE:
        if (spec->width[l] < 1 || spec->width[l] > PLAST_MAX_WIDTH)
            return plast_err_set(err, PLAST_E_CONFIG, where, "layer %d width %d is out of range 1..%d",
                                 l, spec->width[l], PLAST_MAX_WIDTH);
        k->out_c = spec->width[l], k->out_h = k->out_w = 1;
        k->rows = k->out_c, k->cols = (int)n_in;
        break;
    case PLAST_LAYER_CONV:
    case PLAST_LAYER_POOL: {
        int conv = ls->type == PLAST_LAYER_CONV;
        k->k = ls->k, k->stride = ls->stride, k->pad = conv ? ls->pad : 0, k->op = ls->op;
        if (k->k < 1 || k->stride < 1 || k->pad < 0)
            return plast_err_set(err, PLAST_E_CONFIG, where,
                                 "layer %d: kernel %d, stride %d, pad %d (kernel and stride are at "
                                 "least 1)", l, k->k, k->stride, k->pad);
        if (k->k > in_h + 2 * k->pad || k->k > in_w + 2 * k->pad)
            return plast_err_set(err, PLAST_E_CONFIG, where,
                                 "layer %d: kernel %d is larger than its %dx%d input%s", l, k->k,
                                 in_h, in_w, k->pad ? " with its padding" : "");
        k->out_h = (in_h + 2 * k->pad - k->k) / k->stride + 1;
        k->out_w = (in_w + 2 * k->pad - k->k) / k->stride + 1;
        if (conv) {
            if (spec->width[l] < 1 || spec->width[l] > PLAST_MAX_WIDTH)
                return plast_err_set(err, PLAST_E_CONFIG, where, "layer %d: %d channels", l,
                                     spec->width[l]);
            k->out_c = spec->width[l];
            k->rows = k->out_c, k->cols = in_c * k->k * k->k;
            k->positions = k->out_h * k->out_w;
        } else {
            k->out_c = in_c;
        }
        break;
    }
    case PLAST_LAYER_FLATTEN:
        k->out_c = (int)n_in, k->out_h = k->out_w = 1;
        break;
    }
    size_t n_out = (size_t)k->out_c * k->out_h * k->out_w;
    if (n_out < 1 || n_out > PLAST_MAX_WIDTH * (size_t)64 || (size_t)k->rows * k->cols > ((size_t)1 << 31))
        return plast_err_set(err, PLAST_E_CONFIG, where, "layer %d has %zu outputs: too many", l,
                             n_out);
    return PLAST_OK;
}

int plast_net_declare(plast_net *net, const plast_net_spec *spec, plast_err *err)
{
    memset(net, 0, sizeof *net);
    if (spec->n_layers < 1 || spec->n_layers > PLAST_MAX_LAYERS)
        return plast_err_set(err, PLAST_E_CONFIG, "net.hidden",
                             "a network has 1 to %d layers, not %d", PLAST_MAX_LAYERS,
                             spec->n_layers);
    if (spec->n_in < 1 || spec->n_in > PLAST_MAX_WIDTH * 64)
        return plast_err_set(err, PLAST_E_CONFIG, "net", "input width %d is out of range",
                             spec->n_in);
    int L = spec->n_layers;
    int c = spec->in_c ? spec->in_c : spec->n_in, h = spec->in_c ? spec->in_h : 1,
        w = spec->in_c ? spec->in_w : 1;
    if ((size_t)c * h * w != (size_t)spec->n_in)
        return plast_err_set(err, PLAST_E_INTERNAL, "task", "input shape %dx%dx%d is not %d inputs",
                             c, h, w, spec->n_in);
    net->n_layers = L;
    net->n_in = spec->n_in;
    net->fb_mode = spec->fb_mode;
    plast_pset_init(&net->p);
    for (int l = 0; l < L; l++) {
        plast_layer *ly = &net->layer[l];
        int rc = plast_kind_make(spec, l, c, h, w, &ly->kind, "net.layers", err);
        if (rc) return rc;
        c = ly->kind.out_c, h = ly->kind.out_h, w = ly->kind.out_w;
        ly->act = spec->act[l];
        ly->n_in = ly->kind.in_c * ly->kind.in_h * ly->kind.in_w;
        ly->n_out = c * h * w;
        ly->plastic = ly->kind.rows ? spec->plastic[l] : 0; /* pool, flatten: never plastic */
    }
    if (net->layer[L - 1].kind.type != PLAST_LAYER_DENSE)
        return plast_err_set(err, PLAST_E_INTERNAL, "net", "the output layer must be dense");
    int n_out = net->n_out = net->layer[L - 1].n_out;
    for (int l = 0; l < L; l++) {
        plast_layer *ly = &net->layer[l];
        /* Direct feedback reaches each plastic layer on its own (per channel on a conv layer
         * when asked); a frozen layer has none. A chain passes through frozen layers, so they
         * keep theirs: B_l carries the signal down through layer l+1 (shaped like W_{l+1}^T
         * for a dense layer above, like its kernel for a conv layer above; none through a
         * pool or flatten layer, which route the signal themselves). */
        if (spec->fb_mode == PLAST_FB_DIRECT && ly->plastic) {
            int per_channel = spec->fb_per_channel && ly->kind.type == PLAST_LAYER_CONV;
            ly->fb_rows = per_channel ? ly->kind.out_c : ly->n_out;
            ly->n_fb = n_out;
            ly->n_c = ly->fb_rows;
        }
        if (spec->fb_mode == PLAST_FB_CHAIN && l < L - 1) {
            const plast_kind *up = &net->layer[l + 1].kind;
            if (up->type == PLAST_LAYER_DENSE) ly->fb_rows = ly->n_out, ly->n_fb = up->rows;
            if (up->type == PLAST_LAYER_CONV) ly->fb_rows = up->rows, ly->n_fb = up->cols;
            ly->n_c = ly->n_fb ? ly->n_out : 0;
        }
    }
    int rc = PLAST_OK;
    for (int l = 0; l < L && !rc; l++)
        if (net->layer[l].kind.rows)
            rc = add(&net->p, "W", "weights", l, net->layer[l].kind.rows, net->layer[l].kind.cols,
                     spec->w_init, spec->w_gain, err);
    for (int l = 0; l < L && !rc; l++)
        if (net->layer[l].kind.rows)
            rc = add(&net->p, "b", "biases", l, net->layer[l].kind.rows, 1, spec->b_init,
                     spec->b_value, err);
    for (int l = 0; l < L && !rc; l++) {
        const plast_layer *ly = &net->layer[l];
        if (!ly->n_fb) continue;
        /* The output layer's own feedback (DIRECT: [n_out][n_out]) has its own initialiser:
         * its sign decides whether the output is pulled towards or away from the target. */
        int out = l == L - 1;
        rc = add(&net->p, "B", "feedback", l, ly->fb_rows, ly->n_fb,
                 out ? spec->out_fb_init : spec->fb_init, out ? spec->out_fb_value : spec->fb_scale,
                 err);
        if (!rc) rc = add(&net->p, "c", "feedback", l, ly->n_c, 1, spec->fbb_init, spec->fbb_value, err);
    }
    net->n_own = net->p.n;
    return rc;
}

size_t plast_net_work_floats(const plast_net *net)
{
    size_t m = 0;
    for (int l = 0; l < net->n_layers; l++) {
        size_t w = plast_kind_work_floats(&net->layer[l].kind);
        if (w > m) m = w;
    }
    return m;
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
        ly->W = ly->kind.rows ? plast_pset_view(&net->p, "W", l) : NULL;
        ly->b = ly->kind.rows ? plast_pset_view(&net->p, "b", l) : NULL;
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
    size_t total = plast_net_work_floats(net);
    for (int l = 0; l < net->n_layers; l++) total += 2 * (size_t)batch_max * net->layer[l].n_out;
    acts->buf = calloc(total ? total : 1, sizeof(float));
    if (!acts->buf) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (activations)");
    acts->batch_max = batch_max;
    float *p = acts->buf;
    acts->work = p, p += plast_net_work_floats(net);
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

double plast_act_d1(plast_act f, double a)
{
    switch (f) {
    case PLAST_ACT_IDENTITY: return 1.0;
    case PLAST_ACT_RELU: return a > 0.0 ? 1.0 : 0.0;
    case PLAST_ACT_TANH: { double t = tanh(a); return 1.0 - t * t; }
    case PLAST_ACT_SIGMOID: { double sg = 1.0 / (1.0 + exp(-a)); return sg * (1.0 - sg); }
    case PLAST_ACT_SOFTPLUS: return 1.0 / (1.0 + exp(-a));
    }
    return 0.0;
}

double plast_act_d2(plast_act f, double a)
{
    switch (f) {
    case PLAST_ACT_IDENTITY:
    case PLAST_ACT_RELU: return 0.0;
    case PLAST_ACT_TANH: { double t = tanh(a); return -2.0 * t * (1.0 - t * t); }
    case PLAST_ACT_SIGMOID: { double sg = 1.0 / (1.0 + exp(-a)); return sg * (1.0 - sg) * (1.0 - 2.0 * sg); }
    case PLAST_ACT_SOFTPLUS: { double sg = 1.0 / (1.0 + exp(-a)); return sg * (1.0 - sg); }
    }
    return 0.0;
}

double plast_act_d(plast_act f, double a)
{
    switch (f) {
    case PLAST_ACT_IDENTITY: return a;
    case PLAST_ACT_RELU: return a > 0.0 ? a : 0.0;
    case PLAST_ACT_TANH: return tanh(a);
    case PLAST_ACT_SIGMOID: return 1.0 / (1.0 + exp(-a));
    case PLAST_ACT_SOFTPLUS: return (a > 0.0 ? a : 0.0) + log1p(exp(-fabs(a)));
    }
    return 0.0;
}

static const float *forward(const plast_net *net, plast_acts *acts, int first, const float *x,
                            int batch, plast_gemm_fn *gemm)
{
    if (!first) acts->x = x;
    acts->batch = batch;
    const float *in = x;
    for (int l = first; l < net->n_layers; l++) {
        const plast_layer *ly = &net->layer[l];
        float *a = acts->a[l];
        plast_kind_forward(&ly->kind, ly->W, ly->b, in, batch, a, acts->work, gemm);
        plast_act_apply(ly->act, batch * ly->n_out, a, acts->h[l]);
        in = acts->h[l];
    }
    return in;
}

const float *plast_net_forward(const plast_net *net, plast_acts *acts, const float *x, int batch)
{
    return forward(net, acts, 0, x, batch, plast_gemm);
}

const float *plast_net_forward_from(const plast_net *net, plast_acts *acts, int first, const float *in,
                                    int batch)
{
    return forward(net, acts, first, in, batch, plast_gemm);
}

const float *plast_net_forward_ref(const plast_net *net, plast_acts *acts, const float *x,
                                   int batch)
{
    return forward(net, acts, 0, x, batch, plast_gemm_ref);
}

/* act of a net.layers entry: "net" (net.act) or an activation, stored as plast_act + 1. */
static const char *const layer_acts[] = {"net", "identity", "relu", "tanh", "sigmoid", "softplus", NULL};

static const plast_opt layer_table[] = {
    {"type", PLAST_OPT_ENUM, offsetof(plast_layer_opts, type), PLAST_LAYER_DENSE, 0, 0,
     plast_layer_names, NULL, "dense, conv, pool or flatten"},
    {"width", PLAST_OPT_INT, offsetof(plast_layer_opts, width), 0, 0, PLAST_MAX_WIDTH, NULL, NULL,
     "dense: units"},
    {"channels", PLAST_OPT_INT, offsetof(plast_layer_opts, channels), 0, 0, 4096, NULL, NULL,
     "conv: output channels"},
    {"kernel", PLAST_OPT_INT, offsetof(plast_layer_opts, kernel), 0, 0, 64, NULL, NULL,
     "conv, pool: kernel size (0: conv 3, pool 2)"},
    {"stride", PLAST_OPT_INT, offsetof(plast_layer_opts, stride), 0, 0, 64, NULL, NULL,
     "conv, pool: stride (0: conv 1, pool the kernel size)"},
    {"pad", PLAST_OPT_INT, offsetof(plast_layer_opts, pad), 0, 0, 64, NULL, NULL,
     "conv: zero padding on each side"},
    {"op", PLAST_OPT_ENUM, offsetof(plast_layer_opts, op), PLAST_POOL_MAX, 0, 0, plast_pool_names,
     NULL, "pool: max or avg"},
    {"truncate", PLAST_OPT_BOOL, offsetof(plast_layer_opts, truncate), 0, 0, 1, NULL, NULL,
     "pool: allow windows that do not tile the input (the rest is dropped)"},
    {"act", PLAST_OPT_ENUM, offsetof(plast_layer_opts, act), 0, 0, 0, layer_acts, NULL,
     "dense, conv: activation (net: net.act)"},
    {"frozen", PLAST_OPT_BOOL, offsetof(plast_layer_opts, frozen), 0, 0, 1, NULL, NULL,
     "dense, conv: frozen in the inner loop"},
};
const plast_opt_table plast_layer_opts_table = {layer_table, sizeof layer_table / sizeof layer_table[0],
                                                sizeof(plast_layer_opts)};
_Static_assert(sizeof(plast_layer_opts) <= PLAST_OPT_OBJBYTES, "layer entry too large");

static const plast_opt net_table[] = {
    {"hidden", PLAST_OPT_INTS, offsetof(plast_net_opts, hidden), 0, 1, PLAST_MAX_WIDTH, NULL,
     "40,40,40", "widths of the hidden layers (a dense stack)"},
    {"layers", PLAST_OPT_OBJS, offsetof(plast_net_opts, layers), 0, 0, 0, NULL, NULL,
     "the hidden layers as a list of {\"type\": \"dense\"|\"conv\"|\"pool\"|\"flatten\", ...} "
     "(instead of hidden)", &plast_layer_opts_table},
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
    {"feedback_per_channel", PLAST_OPT_BOOL, offsetof(plast_net_opts, fb_per_channel), 0, 0, 1,
     NULL, NULL, "direct feedback to a conv layer: one row of B per channel (shared by its "
     "positions) instead of one per unit"},
};

const plast_opt_table plast_net_opts_table = {net_table, sizeof net_table / sizeof net_table[0],
                                              sizeof(plast_net_opts)};

int plast_net_spec_make(const plast_net_opts *o, int n_in, int in_c, int in_h, int in_w,
                        int n_out, plast_net_spec *sp, plast_err *err)
{
    memset(sp, 0, sizeof *sp);
    int listed = o->layers.n > 0;
    int L = (listed ? o->layers.n : o->hidden.n) + 1;
    if (L > PLAST_MAX_LAYERS)
        return plast_err_set(err, PLAST_E_CONFIG, listed ? "net.layers" : "net.hidden",
                             "at most %d hidden layers", PLAST_MAX_LAYERS - 1);
    sp->n_in = n_in;
    sp->in_c = in_c, sp->in_h = in_h, sp->in_w = in_w;
    sp->n_layers = L;
    for (int l = 0; l < L; l++) {
        sp->width[l] = l < L - 1 ? (listed ? 0 : o->hidden.v[l]) : n_out;
        sp->act[l] = l < L - 1 ? (plast_act)o->act : (plast_act)o->output_act;
        sp->plastic[l] = 1;
    }
    /* The listed layers, with each one's shape checked against what reaches it. */
    int c = in_c ? in_c : n_in, h = in_c ? in_h : 1, w = in_c ? in_w : 1;
    for (int l = 0; l < L; l++) {
        char where[64];
        plast_layer_spec *ls = &sp->kind[l];
        if (l < L - 1 && listed) {
            const plast_layer_opts *e = (const plast_layer_opts *)o->layers.v[l];
            ls->type = (plast_layer_type)e->type;
            const char *key = "width";
            switch (ls->type) {
            case PLAST_LAYER_DENSE:
                sp->width[l] = e->width;
                if (e->width < 1) {
                    snprintf(where, sizeof where, "net.layers[%d].width", l);
                    return plast_err_set(err, PLAST_E_CONFIG, where,
                                         "a dense layer needs a width of 1 or more");
                }
                break;
            case PLAST_LAYER_CONV:
                sp->width[l] = e->channels;
                ls->k = e->kernel ? e->kernel : 3;
                ls->stride = e->stride ? e->stride : 1;
                ls->pad = e->pad;
                key = "kernel";
                if (e->channels < 1) {
                    snprintf(where, sizeof where, "net.layers[%d].channels", l);
                    return plast_err_set(err, PLAST_E_CONFIG, where,
                                         "a conv layer needs 1 or more channels");
                }
                break;
            case PLAST_LAYER_POOL:
                ls->k = e->kernel ? e->kernel : 2;
                ls->stride = e->stride ? e->stride : ls->k;
                ls->op = e->op;
                key = "kernel";
                if (!e->truncate && ((h - ls->k) % ls->stride || (w - ls->k) % ls->stride) &&
                    ls->k <= h && ls->k <= w) {
                    snprintf(where, sizeof where, "net.layers[%d].stride", l);
                    return plast_err_set(err, PLAST_E_CONFIG, where,
                                         "pool windows of %d with stride %d do not tile its %dx%d "
                                         "input (set \"truncate\": true to drop the rest)",
                                         ls->k, ls->stride, h, w);
                }
                break;
            case PLAST_LAYER_FLATTEN: break;
            }
            if (ls->type == PLAST_LAYER_DENSE || ls->type == PLAST_LAYER_CONV) {
                if (e->act) sp->act[l] = (plast_act)(e->act - 1);
                sp->plastic[l] = !e->frozen;
            } else {
                sp->act[l] = PLAST_ACT_IDENTITY;
                sp->plastic[l] = 0;
            }
            snprintf(where, sizeof where, "net.layers[%d].%s", l, key);
            plast_kind k;
            int rc = plast_kind_make(sp, l, c, h, w, &k, where, err);
            if (rc) return rc;
            c = k.out_c, h = k.out_h, w = k.out_w;
        } else {
            snprintf(where, sizeof where, l < L - 1 ? "net.hidden[%d]" : "task", l);
            plast_kind k;
            int rc = plast_kind_make(sp, l, c, h, w, &k, where, err);
            if (rc) return rc;
            c = k.out_c, h = k.out_h, w = k.out_w;
        }
    }
    for (int i = 0; i < o->frozen.n; i++) {
        int l = o->frozen.v[i];
        if (l >= L)
            return plast_err_set(err, PLAST_E_CONFIG, "net.frozen",
                                 "layer %d does not exist (the network has layers 0..%d)", l,
                                 L - 1);
        sp->plastic[l] = 0;
    }
    sp->fb_per_channel = o->fb_per_channel;
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
