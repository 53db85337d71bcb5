/* net.h — the layered network: weights, untied feedback, activations, forward pass.
 *
 * A plast_net owns one plast_pset holding, in this order, every layer's W_l [n_out][n_in],
 * then every b_l [n_out], then every feedback B_l [n_out][n_fb] and c_l [n_out], then
 * whatever plastic tensors a rule declares (plast_net_declare leaves the set open for
 * them; plast_net_alloc closes it); the layer structs hold views into it. This set is the
 * learner state: everything an episode may change, copied with one memcpy
 * (plast_net_copy). The layer type is a field, so convolutional layers can join without
 * changing the episode engine or the rules' signal shapes (which are [batch][n_out]).
 *
 * Feedback pathways (who computes a layer's feedback signal, see DESIGN.md, locality):
 *   DIRECT: B_l is [n_l][n_out]; fb_l = B_l s + c_l for every layer (FLP, DFA).
 *   CHAIN:  B_l is [n_l][n_{l+1}] for l below the output; fb_l = B_l delta_{l+1} + c_l,
 *           the output layer receives s itself (FA).
 *   NONE:   no B, no c (Hebbian rules without feedback; the sgd baseline). */
#ifndef PLAST_NET_H
#define PLAST_NET_H

#include "plast/error.h"
#include "plast/opts.h"
#include "plast/params.h"
#include "plast/rng.h"

#define PLAST_MAX_LAYERS 32
#define PLAST_MAX_WIDTH 65536
#define PLAST_MAX_BATCH 256

typedef enum {
    PLAST_ACT_IDENTITY,
    PLAST_ACT_RELU,
    PLAST_ACT_TANH,
    PLAST_ACT_SIGMOID,
    PLAST_ACT_SOFTPLUS
} plast_act;
extern const char *const plast_act_names[]; /* NULL-terminated, in enum order */

/* Layer kinds (see include/plast/layer.h for their kernels). */
typedef enum { PLAST_LAYER_DENSE, PLAST_LAYER_CONV, PLAST_LAYER_POOL, PLAST_LAYER_FLATTEN } plast_layer_type;
extern const char *const plast_layer_names[]; /* "dense", "conv", "pool", "flatten" */
typedef enum { PLAST_POOL_MAX, PLAST_POOL_AVG } plast_pool_op;
extern const char *const plast_pool_names[];  /* "max", "avg" */
typedef enum { PLAST_FB_NONE, PLAST_FB_DIRECT, PLAST_FB_CHAIN } plast_fb_mode;
extern const char *const plast_fb_names[];

/* A layer's kind and geometry. Activations are [batch][c][h][w] flattened ([batch][n] for
 * vectors: c = n, h = w = 1). The weights are W [rows][cols]: dense n_out x n_in, conv
 * out_c x (in_c k k) (one row per output channel, shared by its out_h out_w positions);
 * pool and flatten have none (rows = cols = 0). */
typedef struct plast_kind {
    plast_layer_type type;
    int in_c, in_h, in_w;
    int out_c, out_h, out_w;
    int k, stride, pad;   /* conv, pool */
    int op;               /* pool: plast_pool_op */
    int rows, cols;       /* W [rows][cols] */
    int positions;        /* output positions sharing a weight row: conv out_h out_w, else 1 */
} plast_kind;

/* One layer of a spec: the kind and its settings (zero: dense). */
typedef struct plast_layer_spec {
    plast_layer_type type;
    int k, stride, pad; /* conv, pool */
    int op;             /* pool */
} plast_layer_spec;

/* What a network is made of; filled from the config's "net" section. */
typedef struct plast_net_spec {
    int n_in;                         /* input width (set by the task) */
    int in_c, in_h, in_w;             /* its image shape (0: a vector of n_in) */
    int n_layers;                     /* hidden layers + the output layer */
    int width[PLAST_MAX_LAYERS];      /* dense: units; conv: channels (the last: the output) */
    plast_act act[PLAST_MAX_LAYERS];
    int plastic[PLAST_MAX_LAYERS];    /* 0 = frozen inside the inner loop */
    plast_layer_spec kind[PLAST_MAX_LAYERS];
    plast_fb_mode fb_mode;            /* chosen by the rule */
    int fb_per_channel;               /* direct feedback to a conv layer: B [channels][n_out] */
    plast_init w_init, b_init, fb_init, fbb_init, out_fb_init;
    float w_gain, b_value, fb_scale, fbb_value, out_fb_value;
} plast_net_spec;

typedef struct plast_layer {
    plast_kind kind;
    plast_act act;
    int n_in, n_out;
    int n_fb;    /* columns of B; 0 when the layer has no feedback matrix */
    int fb_rows; /* rows of B: n_out, or channels (per-channel direct feedback), or the kernel
                  * rows of the conv layer above (chain feedback through a conv layer) */
    int n_c;     /* length of c */
    int plastic;
    float *W; /* [kind.rows][kind.cols] or NULL (pool, flatten) */
    float *b; /* [kind.rows] or NULL */
    float *B; /* [fb_rows][n_fb] or NULL */
    float *c; /* [n_c] or NULL */
} plast_layer;

typedef struct plast_net {
    int n_layers, n_in, n_out;
    int n_own;    /* tensors of p the network declared (W, b, B, c); a rule's follow */
    plast_fb_mode fb_mode;
    plast_layer layer[PLAST_MAX_LAYERS];
    plast_pset p; /* owns every float above */
} plast_net;

/* Declares W, b, B, c (validating the spec: widths, counts) without allocating, so that
 * a rule can append its plastic tensors to net->p; then plast_net_alloc (zeroed). */
int plast_net_declare(plast_net *net, const plast_net_spec *spec, plast_err *err);
int plast_net_alloc(plast_net *net, plast_err *err);
/* Both at once: a network with no rule tensors. */
int plast_net_init(plast_net *net, const plast_net_spec *spec, plast_err *err);
void plast_net_free(plast_net *net);
/* Draws every parameter from the spec's initialisers. */
void plast_net_draw(plast_net *net, plast_rng *rng);
/* A new network with src's shapes and values (own buffer). */
int plast_net_clone(plast_net *dst, const plast_net *src, plast_err *err);
/* dst must have been initialised with the same spec. */
void plast_net_copy(plast_net *dst, const plast_net *src);

/* Activations of one forward pass: a_l (pre-activation) and h_l, [batch][n_out_l] each,
 * for batches up to batch_max. h of layer -1 is the input itself. */
typedef struct plast_acts {
    int batch_max, batch;
    float *a[PLAST_MAX_LAYERS];
    float *h[PLAST_MAX_LAYERS];
    const float *x; /* the last input, [batch][n_in] */
    float *work;    /* plast_net_work_floats(net): the layer kernels' work space */
    float *buf;
} plast_acts;

/* Floats of work space the layer kernels need for this network (im2col buffers). */
size_t plast_net_work_floats(const plast_net *net);

int plast_acts_init(plast_acts *acts, const plast_net *net, int batch_max, plast_err *err);
void plast_acts_free(plast_acts *acts);

/* Forward pass of x [batch][n_in]; fills acts (batch <= acts->batch_max). Returns the
 * output h_L [batch][n_out]. _ref uses the plain C gemm (for tests). */
const float *plast_net_forward(const plast_net *net, plast_acts *acts, const float *x, int batch);
const float *plast_net_forward_ref(const plast_net *net, plast_acts *acts, const float *x,
                                   int batch);
/* The layers from `first` on, from in [batch][n_in of layer first] (what layer first - 1
 * output: h_{first-1}); the same bits as the whole forward pass for the same batch. Returns
 * the output (in itself when first is n_layers). acts keeps the layers below untouched. */
const float *plast_net_forward_from(const plast_net *net, plast_acts *acts, int first, const float *in,
                                    int batch);
/* The layer's input: h_{l-1}, or x for l == 0. */
const float *plast_acts_pre(const plast_acts *acts, int l);

/* Elementwise activation and its derivative (from the pre-activation a and output h). */
void plast_act_apply(plast_act f, int n, const float *a, float *h);
void plast_act_deriv(plast_act f, int n, const float *a, const float *h, float *d);
/* In double, one value (exact meta-gradients): f(a), f'(a), f''(a). */
double plast_act_d(plast_act f, double a);
double plast_act_d1(plast_act f, double a);
double plast_act_d2(plast_act f, double a);


/* The config's "net" section: widths and activations of the hidden layers, which layers
 * are frozen, and the initialisers. The output width comes from the task. */
typedef struct plast_net_opts {
    plast_ints hidden;
    plast_objs layers;  /* plast_layer_opts entries; when given, instead of hidden */
    int act, output_act;
    plast_ints frozen;
    int w_init, b_init, fb_init, fbb_init, out_fb_init;
    float w_gain, b_value, fb_scale, fbb_value, out_fb_value;
    int fb_per_channel;
} plast_net_opts;
extern const plast_opt_table plast_net_opts_table;

/* One entry of "net.layers": {"type": "conv", "channels": 32, "kernel": 3, "stride": 1,
 * "pad": 1}, {"type": "pool", "op": "max", "kernel": 2}, {"type": "dense", "width": 128},
 * {"type": "flatten"}; each may carry "act" and "frozen". */
typedef struct plast_layer_opts {
    int type;
    int width, channels;
    int kernel, stride, pad;  /* 0: the kind's default (conv 3, 1; pool 2, = kernel) */
    int op;
    int truncate;             /* pool: allow windows that do not tile the input */
    int act;                  /* 0: net.act; else plast_act + 1 */
    int frozen;
} plast_layer_opts;
extern const plast_opt_table plast_layer_opts_table;

/* Spec for a task with n_in inputs of image shape c x h x w (c = n_in, h = w = 1 for a
 * vector) and n_out outputs; checks the layers' shapes and the frozen indices, naming the
 * key ("net.layers[2].kernel") of what does not fit. */
int plast_net_spec_make(const plast_net_opts *o, int n_in, int in_c, int in_h, int in_w,
                        int n_out, plast_net_spec *spec, plast_err *err);

/* The kind of layer l of spec from the previous layer's output geometry; where names the
 * config key for messages. */
int plast_kind_make(const plast_net_spec *spec, int l, int in_c, int in_h, int in_w,
                    plast_kind *kind, const char *where, plast_err *err);

#endif
