/* episode.h — the inner loop: a network that learns only through its rule.
 *
 * A plast_learner is what the outer loop shapes: the initial network (W(0), biases,
 * untied feedback B and c) and the rule with its meta-parameters. A plast_episode is the
 * workspace that runs one episode of a task stream on a private copy of the network:
 * forward pass, the broadcast signal s, each layer's feedback signal through the path
 * the rule declares, then the rule's update of every plastic layer with local signals
 * only. Everything is allocated by plast_episode_init; running allocates nothing.
 *
 * Scores: for regression the MSE (lower is better), for classification the accuracy.
 * R[i][j] is the score on segment j's query set after the steps up to mark[i] (for a
 * continual stream: after learning segments 0..i); R0[j] before any step. */
#ifndef PLAST_EPISODE_H
#define PLAST_EPISODE_H

#include "plast/net.h"
#include "plast/rule.h"
#include "plast/task.h"

typedef struct plast_learner {
    plast_net net;          /* the initial network; episodes copy it */
    const plast_rule *rule;
    const void *rule_opts;  /* the rule's options struct (not owned) */
    plast_pset meta;        /* the rule's meta-parameters */
} plast_learner;

/* Builds the network (its feedback mode chosen by the rule) and declares the rule's
 * meta-parameters; both are zero until plast_learner_draw. spec->fb_mode is ignored. */
int plast_learner_init(plast_learner *L, const plast_net_spec *spec, const plast_rule *rule,
                       const void *rule_opts, int classification, plast_err *err);
/* Draws the network from its initialisers and sets meta-parameters to their initial values. */
void plast_learner_draw(plast_learner *L, plast_rng *rng);
void plast_learner_free(plast_learner *L);
/* A learner with src's shapes, rule and values, in buffers of its own. */
int plast_learner_clone(plast_learner *dst, const plast_learner *src, plast_err *err);

typedef struct plast_episode_out {
    int n_steps, n_seg;
    float *train_loss; /* [max_steps] minibatch loss before its update */
    float *R0;         /* [n_seg] */
    float *R;          /* [n_seg][n_seg] */
    float *curve;      /* [n_seg] mean of R[i][0..i]: score on everything seen so far */
    float final;       /* mean of the last row of R: the score on all query points */
} plast_episode_out;

typedef struct plast_episode {
    const plast_learner *L;
    plast_task_shape shape;
    plast_net work;       /* the plastic copy */
    plast_acts acts;
    int lowest;           /* lowest plastic layer; nothing below it needs feedback */
    float *s;             /* [batch_max][n_out] broadcast signal */
    float *fb[PLAST_MAX_LAYERS];
    float *delta[PLAST_MAX_LAYERS];
    float *scratch[PLAST_MAX_LAYERS];
    float *state[PLAST_MAX_LAYERS];  /* the rule's per-layer plastic state (or NULL) */
    size_t n_state;                  /* floats of all of it, from state[0] on */
    const float *meta[PLAST_MAX_LAYERS][PLAST_MAX_LAYER_META];
    plast_broadcast bc;
    plast_local local[PLAST_MAX_LAYERS];
    float *seg_sum;       /* [n_seg] evaluation accumulators */
    plast_episode_out out;
    void *buf;
} plast_episode;

int plast_episode_init(plast_episode *ep, const plast_learner *L, const plast_task_shape *shape,
                       plast_err *err);
void plast_episode_free(plast_episode *ep);
/* Runs one episode of s from the learner's current parameters; results in ep->out. */
void plast_episode_run(plast_episode *ep, const plast_stream *s);

/* The pieces of a run, for tests and analysis: */
/* Resets the plastic copy to the learner's initial network and zeroes the rule's state. */
void plast_episode_reset(plast_episode *ep);
/* One online step on x [batch][n_in], y [batch][n_out]; returns the minibatch loss. */
float plast_episode_step(plast_episode *ep, const float *x, const float *y, int batch,
                         float saccade);
/* Scores of the current plastic network on each segment's query set into out[n_seg]. */
void plast_episode_score(plast_episode *ep, const plast_stream *s, float *out);

#endif
