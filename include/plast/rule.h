/* rule.h — the plasticity rule interface: what a synapse may see, and how a rule is called.
 *
 * A rule is a static descriptor (plast_rule) of function pointers, listed in
 * rules/registry.c. The episode engine calls it once per plastic layer and step with a
 * plast_local that holds only what the locality contract of DESIGN.md allows: the
 * layer's input (pre), output (post) and pre-activation, its own feedback signal, a few
 * broadcast scalars, its own weights and its own meta-parameters. There is no pointer to
 * the network, to another layer, or to a gradient; the one exception is the non-local
 * `sgd` baseline, whose descriptor says so and whose feedback is computed through the
 * forward weights by the engine (PLAST_PATH_TRANSPOSE).
 *
 * A step is a pure function of (layer state, local signals, meta-parameters, scratch):
 * no statics, no state kept inside a rule, so steps can later be replayed and
 * differentiated (meta-gradients through the unrolled inner loop). */
#ifndef PLAST_RULE_H
#define PLAST_RULE_H

#include <stddef.h>

#include "plast/error.h"
#include "plast/net.h"
#include "plast/opts.h"
#include "plast/params.h"

#define PLAST_MAX_LAYER_META 8

/* How the engine delivers a layer's feedback signal fb [batch][n_out]. */
typedef enum {
    PLAST_PATH_NONE,      /* no feedback signal (fb = NULL) */
    PLAST_PATH_DIRECT,    /* fb_l = B_l s + c_l, every layer (net feedback DIRECT) */
    PLAST_PATH_CHAIN,     /* fb_l = B_l delta_{l+1} + c_l; output: fb = s (net feedback CHAIN) */
    PLAST_PATH_TRANSPOSE  /* fb_l = W_{l+1}^T delta_{l+1}; output: fb = s. Non-local: sgd only */
} plast_path;

/* What the broadcast signal s [batch][n_out] is. */
typedef enum {
    PLAST_SIG_ERROR,  /* s = -dL/d(output): y - yhat (regression), onehot - softmax (classes) */
    PLAST_SIG_TEACHER /* the error for regression, the one-hot target for classification (FLP) */
} plast_sig;

/* Global scalars every synapse may read (one value per step, the same for all layers). */
typedef struct plast_broadcast {
    float error;   /* mean squared norm of the error over the minibatch */
    float reward;  /* minus the minibatch loss */
    float saccade; /* 1 when the task says the input stream switched (CLAPP), else 0 */
} plast_broadcast;

typedef struct plast_local {
    int layer, is_output;
    int batch, n_in, n_out;
    plast_act act;
    int classification;      /* the task's kind (rules may treat the output differently) */
    const float *pre;        /* [batch][n_in]  h_{l-1} */
    const float *post;       /* [batch][n_out] h_l */
    const float *preact;     /* [batch][n_out] a_l */
    const float *fb;         /* [batch][n_out] the layer's feedback signal (see plast_path) */
    const float *s;          /* [batch][n_out] output layer only: the broadcast signal; NULL elsewhere */
    const plast_broadcast *bc;
    float *W;                /* [n_out][n_in] the layer's own weights, updated in place */
    float *b;                /* [n_out] */
    const float *const *meta;/* this layer's meta-parameter tensors, in declaration order */
    const void *opts;        /* the rule's options struct */
    float *scratch;          /* scratch_floats(...) floats, contents undefined on entry */
    float *state;            /* state_floats(...) floats of the layer's own plastic state (e.g.
                              * per-neuron counts or traces): zero at the start of an episode,
                              * kept across its steps; NULL when the rule declares none */
    float *delta;            /* [batch][n_out] CHAIN/TRANSPOSE: signal() writes what travels down */
    const float *pre_delta;  /* [batch][n_in] the pre-synaptic neurons' own delta (what signal()
                              * wrote for the layer below), during update() only; NULL when the
                              * layer below computes none (first or lowest plastic layer) */
} plast_local;

typedef struct plast_rule {
    const char *name;
    const char *summary;
    int nonlocal;            /* 1 only for online-gradient baselines (declared exception) */
    plast_path path;
    plast_sig sig;
    plast_opt_table opts;
    /* Appends the rule's meta-parameters to meta for this network. A tensor with layer
     * index l (or -1, shared) is handed to layer l's steps through plast_local.meta in
     * the order declared. Only plastic layers need any. */
    int (*declare)(const void *opts, const plast_net *net, plast_pset *meta, plast_err *err);
    /* Checks the options against the network and task (e.g. a required activation). */
    int (*check)(const void *opts, const plast_net *net, int classification, plast_err *err);
    /* Scratch floats a layer's step needs. */
    size_t (*scratch_floats)(const void *opts, const plast_layer *ly, int batch_max);
    /* Optional: floats of per-layer plastic state kept through an episode (NULL: none). */
    size_t (*state_floats)(const void *opts, const plast_layer *ly);
    /* CHAIN/TRANSPOSE rules: fills delta from fb (called top-down before any update). */
    void (*signal)(const plast_local *x);
    /* Updates W (and b) in place. */
    void (*update)(const plast_local *x);
    /* Optional: the rule with these meta-parameters as a readable equation (rule
     * discovery); returns the length written, 0 when the rule has nothing to say. */
    int (*describe)(const void *opts, const plast_pset *meta, char *buf, size_t n);
} plast_rule;

/* rules/registry.c */
const plast_rule *plast_rule_find(const char *name);
const plast_rule *const *plast_rule_all(int *n);
/* r->describe when the rule has one, else 0. */
int plast_rule_describe(const plast_rule *r, const void *opts, const plast_pset *meta, char *buf,
                        size_t n);
/* The network feedback mode a rule needs. */
plast_fb_mode plast_rule_fb_mode(const plast_rule *r);

#endif
