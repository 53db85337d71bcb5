/* rule.h — the plasticity rule interface: what a synapse may see, and how a rule is called.
 *
 * A rule is a static descriptor (plast_rule) of function pointers, listed in
 * rules/registry.c. It declares, by name, its meta-parameters (constant through an
 * episode: plasticity coefficients, rates) and its plastic tensors (part of the learner
 * state, changed by the rule inside an episode: prediction matrices, inverse weights,
 * traces, counts), each with an initialiser and an outer-loop group of its choosing. When
 * an episode is set up, bind() resolves the names it needs to pointers, once per layer,
 * into a handles struct of the rule's own (never by position). The engine then calls
 * signal()/update() once per layer and step with a plast_local that holds only what the
 * locality contract of DESIGN.md allows: the layer's input (pre), output (post) and
 * pre-activation, its own feedback signal, the broadcast scalars, its own weights and
 * plastic tensors, its meta-parameters. There is no pointer to the network, to another
 * layer, or to a gradient; the one exception is the non-local `sgd` baseline, whose
 * descriptor says so and whose feedback the engine computes through the forward weights
 * (PLAST_PATH_TRANSPOSE).
 *
 * A step is a pure function of (learner state, local signals, meta-parameters, scratch):
 * no statics, nothing kept inside a rule, so steps can be replayed and differentiated
 * (meta-gradients through the unrolled inner loop).
 *
 * Adding a rule: one file in rules/ defining a plast_rule, one line in rules/registry.c. */
#ifndef PLAST_RULE_H
#define PLAST_RULE_H

#include <stddef.h>

#include "plast/error.h"
#include "plast/net.h"
#include "plast/objective.h"
#include "plast/opts.h"
#include "plast/params.h"

/* How the engine delivers a layer's feedback signal fb [batch][n_out]. */
typedef enum {
    PLAST_PATH_NONE,      /* no feedback signal (fb = NULL) */
    PLAST_PATH_DIRECT,    /* fb_l = B_l s + c_l, every layer (net feedback DIRECT) */
    PLAST_PATH_CHAIN,     /* fb_l = B_l delta_{l+1} + c_l; output: fb = s (net feedback CHAIN) */
    PLAST_PATH_TRANSPOSE, /* fb_l = W_{l+1}^T delta_{l+1}; output: fb = s. Non-local: sgd only */
    PLAST_PATH_TARGET     /* fb_l = what layer l+1's signal() wrote into its `down` (a target
                           * difference through layer l+1's own inverse weights: difference
                           * target propagation); output: fb = s. Dense networks only: the
                           * rule's check() refuses weightless layers in between */
} plast_path;

/* What the broadcast signal s [batch][n_out] is. */
typedef enum {
    PLAST_SIG_ERROR,  /* s = -dl/d(output) of the objective: y - yhat, onehot - softmax */
    PLAST_SIG_TEACHER /* the objective's teacher target where it has one (the one-hot class),
                       * else the error */
} plast_sig;

/* Broadcast scalars the engine itself computes each step, readable by every rule under
 * these names (a task's own broadcasts come after them). */
#define PLAST_BCAST_ENGINE 2
extern const char *const plast_bcast_engine[PLAST_BCAST_ENGINE]; /* "error", "reward" */

typedef struct plast_local {
    int layer, is_output;
    int batch, n_in, n_out;
    plast_kind kind;         /* dense or conv: the shapes of W [kind.rows][kind.cols] and the
                              * update kernels of include/plast/layer.h the rule works with */
    plast_act act;
    int teacher;             /* s at the output is the objective's teacher target, not an error */
    const float *pre;        /* [batch][n_in]  h_{l-1} */
    const float *post;       /* [batch][n_out] h_l */
    const float *preact;     /* [batch][n_out] a_l */
    const float *fb;         /* [batch][n_out] the layer's feedback signal (see plast_path) */
    const float *s;          /* [batch][n_out] output layer only: the broadcast signal; NULL elsewhere */
    float *W;                /* [kind.rows][kind.cols] the layer's own weights, updated in place */
    float *b;                /* [kind.rows] */
    const void *h;           /* the rule's handles for this layer, filled by bind() */
    const void *opts;        /* the rule's options struct */
    float *scratch;          /* scratch_floats(...) floats, contents undefined on entry */
    float *work;             /* the layer kernels' work space (im2col), contents undefined */
    float *delta;            /* [batch][n_out] CHAIN/TRANSPOSE: signal() writes what travels down */
    const float *pre_delta;  /* [batch][n_in] the pre-synaptic neurons' own delta (what signal()
                              * wrote for the layer below), during update() only; NULL when the
                              * layer below computes none (first or lowest plastic layer) */
    float *down;             /* [batch][n_in] TARGET: signal() writes the layer below's feedback
                              * (its fb at this step); NULL on the first layer */
} plast_local;

/* What bind() may look up for one layer, by name. */
typedef struct plast_binder {
    int layer, is_output;
    const plast_layer *ly;
    const plast_pset *meta;        /* the learner's meta-parameters */
    plast_pset *state;             /* the episode's learner state (its plastic copy) */
    int n_bcast;                   /* engine broadcasts, then the task's */
    const char *const *bcast_name;
    const float *bcast;            /* [n_bcast] the current step's values */
    int batch;                     /* the episode's training minibatch (rules that keep
                                    * per-item traces check their capacity against it) */
} plast_binder;

/* The meta-parameter tensor called name for this layer: the layer's own, else the shared
 * one (layer -1). NULL with an error naming it when there is none. */
const float *plast_bind_meta(const plast_binder *b, const char *name, plast_err *err);
/* This layer's plastic tensor called name, in the episode's learner state. */
float *plast_bind_state(const plast_binder *b, const char *name, plast_err *err);
/* The broadcast scalar called name (its value for the current step). */
const float *plast_bind_broadcast(const plast_binder *b, const char *name, plast_err *err);

/* A layer's step in double precision, for exact meta-gradients (src/metagrad.c): the same
 * local signals as plast_local, and their adjoints. update_d applies the rule's update to W
 * and b in place; update_vjp_d is its vector-Jacobian product: given W_bar and b_bar, the
 * adjoints of the updated W and b, it overwrites them with the adjoints of the W and b
 * before the update (their direct dependence) and adds the adjoints of pre, post, preact,
 * fb, s and of the meta-parameters. Meta-parameters are reached through the rule's own
 * handles (bound to the learner's float set, whose base is meta_f): the double value of the
 * tensor a handle p points to is meta_d + (p - meta_f), its adjoint meta_bar + (p - meta_f). */
typedef struct plast_local_d {
    const plast_local *x;       /* shapes, options, handles, flags of the float step */
    int batch;
    const double *pre, *post, *preact, *fb, *s; /* as in plast_local; NULL when absent */
    double *W, *b;
    double *pre_bar, *post_bar, *preact_bar, *fb_bar, *s_bar; /* adjoints to add to */
    double *W_bar, *b_bar;
    const float *meta_f;
    const double *meta_d;
    double *meta_bar;
    double *scratch;            /* scratch_d_doubles(...) doubles */
    double *work;               /* the double layer kernels' work space (include/plast/layer_d.h) */
} plast_local_d;

/* The double value (or adjoint) of the meta-parameter tensor a handle points to. */
static inline const double *plast_meta_d(const plast_local_d *x, const float *handle)
{
    return x->meta_d + (handle - x->meta_f);
}
static inline double *plast_meta_bar(const plast_local_d *x, const float *handle)
{
    return x->meta_bar + (handle - x->meta_f);
}

typedef struct plast_rule {
    const char *name;
    const char *summary;
    int nonlocal;            /* 1 only for online-gradient baselines (declared exception) */
    plast_path path;
    plast_sig sig;
    plast_opt_table opts;
    const char *const *reads; /* NULL-terminated names of the broadcasts it reads, or NULL */
    /* Declares the rule's tensors for this network: meta-parameters into meta, plastic
     * tensors into state (appended to the network's W, b, B, c), each with a name, a layer
     * (or -1, shared), an initialiser and a group of the rule's choosing. */
    int (*declare)(const void *opts, const plast_net *net, plast_pset *state, plast_pset *meta,
                   plast_err *err);
    /* Checks the options against the network and the objective (e.g. an activation, or a
     * layer kind the rule has no meaning on: refused naming the layer). */
    int (*check)(const void *opts, const plast_net *net, const plast_objective *obj,
                 plast_err *err);
    /* Bytes of the handles struct bind() fills per layer (0: no bind). */
    size_t handles_size;
    /* Resolves the names layer b->layer needs into h; called for every layer at set-up. */
    int (*bind)(const void *opts, const plast_binder *b, void *h, plast_err *err);
    /* Scratch floats a layer's step needs. */
    size_t (*scratch_floats)(const void *opts, const plast_layer *ly, int batch_max);
    /* CHAIN/TRANSPOSE rules: fills delta from fb (called top-down before any update). */
    void (*signal)(const plast_local *x);
    /* Updates W (and b, and the layer's plastic tensors) in place. */
    void (*update)(const plast_local *x);
    /* Optional, TRANSPOSE rules: update() of a dense layer at batch 1 together with the
     * feedback of the layer below, fb_below [n_in] = delta W with W as it was, in one pass
     * over W (the same bits as the engine's product followed by update()). The engine calls
     * it instead of both while it goes down the layers, right after this layer's signal()
     * (pre_delta is NULL then). */
    void (*update_down)(const plast_local *x, float *fb_below);
    /* Optional: the rule with these meta-parameters as a readable equation (rule
     * discovery); returns the length written, 0 when the rule has nothing to say. */
    int (*describe)(const void *opts, const plast_pset *meta, char *buf, size_t n);
    /* Optional, for exact meta-gradients (src/metagrad.c), on any layer kind through the
     * double kernels of include/plast/layer_d.h; a rule without them says so there and stays
     * usable with the evolution strategies. CHAIN/TRANSPOSE rules send delta = fb (.) f'(a)
     * down (the engine differentiates that itself). */
    size_t (*scratch_d_doubles)(const void *opts, const plast_layer *ly, int batch_max);
    void (*update_d)(const plast_local_d *x);
    void (*update_vjp_d)(const plast_local_d *x);
} plast_rule;

/* r->describe when the rule has one, else 0. */
int plast_rule_describe(const plast_rule *r, const void *opts, const plast_pset *meta, char *buf,
                        size_t n);
/* The network feedback mode a rule needs. */
plast_fb_mode plast_rule_fb_mode(const plast_rule *r);

/* rules/registry.c: the built-in rules (the program hands them to the config reader). */
const plast_rule *const *plast_rule_all(int *n);
const plast_rule *plast_rule_find(const char *name);

#endif
