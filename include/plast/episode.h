/* episode.h — the inner loop: a network that learns only through its rule.
 *
 * A plast_episode is the workspace that runs one episode of a task stream on a private
 * copy of the learner state (see learner.h): forward pass, the objective's loss and the
 * broadcast signal s, each layer's feedback signal through the path the rule declares,
 * then the rule's update of every plastic layer with local signals only. Everything is
 * allocated by plast_episode_init, which also binds the rule's names to handles and checks
 * that the task emits every broadcast the rule reads; running allocates nothing.
 *
 * An episode in progress is (learner state, step counter, scores so far); save/restore
 * snapshot all of it, so an episode resumed from step k gives the same bits as one never
 * interrupted (meta-gradients replay segments from such snapshots).
 *
 * Scores are the objective's (MSE, accuracy). R[i][j] is the score on segment j's query
 * set after the steps up to mark[i] (for a continual stream: after learning segments
 * 0..i); R0[j] before any step. */
#ifndef PLAST_EPISODE_H
#define PLAST_EPISODE_H

#include "plast/learner.h"
#include "plast/task.h"

typedef struct plast_episode_out {
    int n_steps, n_seg;
    float *train_loss; /* [max_steps] minibatch loss (the objective's) before its update */
    float *R0;         /* [n_seg] */
    float *R;          /* [n_seg][n_seg] */
    float *curve;      /* [n_seg] mean of R[i][0..i]: score on everything seen so far */
    float final;       /* mean of the last row of R: the score on all query points */
    float final_loss;  /* the objective's mean loss on all query points after the episode */
} plast_episode_out;

typedef struct plast_episode {
    const plast_learner *L;
    plast_task_shape shape;
    plast_net work;       /* the learner state in this episode */
    plast_acts acts;
    int lowest;           /* lowest plastic layer; nothing below it needs feedback */
    int t, row;           /* progress: steps done, rows of R taken */
    float *s;             /* [batch_max][n_out] broadcast signal */
    float *g;             /* [batch_max][n_out] the loss gradient dl/d(output) */
    float *fb[PLAST_MAX_LAYERS];
    float *delta[PLAST_MAX_LAYERS];
    float *scratch[PLAST_MAX_LAYERS];
    int n_bcast;          /* the engine's broadcasts, then the task's */
    const char *bcast_name[PLAST_BCAST_ENGINE + PLAST_MAX_BCAST];
    float bcast[PLAST_BCAST_ENGINE + PLAST_MAX_BCAST]; /* this step's values */
    plast_local local[PLAST_MAX_LAYERS];
    /* The query points' features below the lowest plastic layer (h of layer lowest - 1):
     * fixed through an episode, so taken once per episode and read back at every scoring
     * (an episode scores every query after every segment). NULL when every layer learns. */
    float *qfeat;         /* [n_seg * n_query][n_out of layer lowest - 1] */
    int qfeat_ok;         /* taken for this episode */
    float *seg_sum;       /* [n_seg] score accumulator */
    float *seg_loss;      /* [n_seg] mean loss per segment at the last scoring */
    plast_episode_out out;
    size_t n_out_floats;  /* train_loss, R0, R, curve, seg_loss: one run from out.train_loss */
    void *handles;        /* the rule's handles, per layer */
    void *buf;
} plast_episode;

int plast_episode_init(plast_episode *ep, const plast_learner *L, const plast_task_shape *shape,
                       plast_err *err);
void plast_episode_free(plast_episode *ep);

/* Runs one episode of s from the learner's current values; results in ep->out. The same
 * as begin, advance over every step, finish. */
void plast_episode_run(plast_episode *ep, const plast_stream *s);
/* Resets to the learner's initial state and scores R0. */
void plast_episode_begin(plast_episode *ep, const plast_stream *s);
/* Up to n more steps of s (scoring a row of R at each mark); returns the steps taken. */
int plast_episode_advance(plast_episode *ep, const plast_stream *s, int n);
/* Takes the remaining rows of R, the curve, final and final_loss. */
void plast_episode_finish(plast_episode *ep, const plast_stream *s);

/* A snapshot of an episode in progress: learner state, step counter, scores so far. */
typedef struct plast_episode_snap {
    size_t n_state, n_out;
    int t, row, n_steps;
    float *buf;
} plast_episode_snap;
int plast_episode_snap_init(plast_episode_snap *snap, const plast_episode *ep, plast_err *err);
void plast_episode_snap_free(plast_episode_snap *snap);
void plast_episode_save(const plast_episode *ep, plast_episode_snap *snap);
void plast_episode_restore(plast_episode *ep, const plast_episode_snap *snap);

/* The pieces of a step, for tests and analysis: */
/* Copies the learner's initial state into the episode's (one memcpy); progress to 0. */
void plast_episode_reset(plast_episode *ep);
/* One online step on x [batch][n_in], y [batch][n_out] with the task's broadcast values
 * bcast [shape.n_bcast] (NULL: all zero); returns the minibatch loss. */
float plast_episode_step(plast_episode *ep, const float *x, const float *y, int batch,
                         const float *bcast);
/* Scores of the current state on each segment's query set into out[n_seg] (and the mean
 * loss per segment into ep->seg_loss). */
void plast_episode_score(plast_episode *ep, const plast_stream *s, float *out);

#endif
