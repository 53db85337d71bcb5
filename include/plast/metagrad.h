/* metagrad.h — exact meta-gradients through the unrolled inner loop.
 *
 * The meta-loss of an episode is the objective's mean loss on all its query points after
 * the last step (the loss whose gradient exists: 1/2 squared error, cross-entropy). Its
 * gradient with respect to every float of the learner — the initial learner state (W(0), b,
 * feedback B and c, a rule's plastic tensors) and the rule's meta-parameters — is computed
 * by reverse mode through every step: the forward pass, the objective's signal, the
 * feedback pathway (B_l s + c_l, or the chain through B_l or, for sgd, through W_{l+1}: the
 * second-order term) and each rule's update, whose vector-Jacobian product the rule supplies
 * beside its step (plast_rule.update_vjp_d). Gradient episodes run in double precision, so
 * that the gradient is exact to about 1e-8 against central differences of the same
 * episode; the meta-loss reported is that of the double episode.
 *
 * Every layer kind (dense, conv, max or average pool, flatten) is differentiated through
 * the double kernels of include/plast/layer_d.h; a max pool's choice of window maximum is
 * piecewise constant (its derivative is taken where the choice does not change).
 *
 * Memory: a run stores n_slots states (only the parts a step changes: W and b of the
 * plastic layers, a rule's plastic tensors; B, c and frozen layers stay the learner's) and
 * recomputes the others from them in the backward sweep, placed by binomial checkpointing
 * (revolve) so that as few steps as possible are replayed; with n slots and
 * T <= C(n+r, n) - 1 steps no step is replayed more than r - 1 times after the forward sweep
 * (a step's VJP recomputes that step's forward pass itself). The default stores as many
 * states as fit the workspace budget PLAST_METAGRAD_BUDGET (every state on a small network:
 * nothing replayed), and never fewer than the fewest slots with r = 2, about sqrt(2T) (27 at
 * T = 400), with which each step is replayed at most once and memory grows like sqrt(T)
 * (the reference width: 29 states in 256 MiB). When every state is stored and the budget
 * has room, the activations each step's forward pass and signals computed are kept too, and
 * the step's VJP reads them instead of computing them again. The result does not depend on
 * the slots or the cache, bit for bit.
 * A rule without a backward (hebb, terms, ncm, ...) is refused with a message saying so. */
#ifndef PLAST_METAGRAD_H
#define PLAST_METAGRAD_H

#include "plast/episode.h"

typedef struct plast_metagrad plast_metagrad;

/* The workspace's memory the default number of stored states aims at (bytes per thread). */
#define PLAST_METAGRAD_BUDGET ((size_t)256 << 20)

/* A workspace for the learner L (its shapes, rule and options; its values are read at
 * each run) on episodes of shape sh, storing n_slots states (0: the default above, within
 * the budget;
 * max_steps or more: every state, nothing recomputed). */
plast_metagrad *plast_metagrad_new(const plast_learner *L, const plast_task_shape *sh,
                                   int n_slots, plast_err *err);
/* Truncation (biased): the backward sweep covers only the last k steps (0: all); the
 * state's gradient is then its adjoint k steps before the end, taken as if that state were
 * the initial one, and the meta-parameters' gradient counts those k steps only. */
void plast_metagrad_truncate(plast_metagrad *g, int k);
void plast_metagrad_delete(plast_metagrad *g);

/* One episode of s from L's current values: *loss, and the gradient of it with respect to
 * L->net.p (g_state [n_floats]) and L->meta (g_meta [n_floats]), overwritten (the backward
 * sweep accumulates in them: no copy of its own). */
void plast_metagrad_run(plast_metagrad *g, const plast_stream *s, double *loss, double *g_state,
                        double *g_meta);

/* The meta-loss alone (the forward sweep), for finite-difference checks: from the given
 * double values of the state and meta-parameters instead of L's. */
double plast_metagrad_loss(plast_metagrad *g, const plast_stream *s, const double *state,
                           const double *meta);

/* Central difference of the loss along v at theta (state, then meta-parameters: n_floats of
 * L->net.p then of L->meta), Richardson-extrapolated from steps 1e-5 and 5e-6 (error O(h^4));
 * work holds as many doubles as theta. */
double plast_metagrad_fd(plast_metagrad *g, const plast_stream *s, const double *theta,
                         const double *v, double *work);

/* Checks the gradient of L's current values on one episode against central differences of
 * the same double episode (Richardson-extrapolated from steps 1e-5 and 5e-6) along n_dirs
 * random directions drawn from r; returns the worst relative error of the directional
 * derivative and the loss and gradient norm through *loss and *gnorm. Allocates its vectors. */
double plast_metagrad_check(plast_metagrad *g, const plast_stream *s, int n_dirs, plast_rng *r,
                            double *loss, double *gnorm);

/* Bytes the workspace holds (peak memory of a gradient episode, apart from the stream and
 * the caller's gradient vectors). */
size_t plast_metagrad_bytes(const plast_metagrad *g);
/* Steps advanced by the last plast_metagrad_run: the forward sweep's T and every replay. */
long plast_metagrad_steps(const plast_metagrad *g);

#endif
