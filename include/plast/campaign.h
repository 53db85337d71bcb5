/* campaign.h — meta-training: an outer loop that evolves the meta-parameters of a rule
 * and of the network's untied feedback (and, if owned, its initial weights).
 *
 * The campaign owns the groups of tensors its config names: any group the network
 * ("weights", "biases", "feedback") or the rule declares ("plasticity", "beta", a plastic
 * tensor's initial values, ...); the optimizer (include/plast/optim.h) sees them as one
 * flat vector z, mapped to tensors as theta = theta0 + scale (.) z, with one scale per
 * tensor (the RMS of its initial values, or 0.1 for an all-zero tensor), or for the
 * log-scaled groups (learning rates, plasticity coefficients) theta = theta0 exp(z), and
 * the tensor's bounds applied. Groups not owned are fixed at their initial draw, or re-drawn for every
 * episode when listed in "redraw".
 *
 * With "optimizer": "adam" a generation is one step of Adam on the exact meta-gradient
 * (include/plast/metagrad.h) of the mean query loss of `episodes` training episodes at the
 * current point, each episode's gradient computed on any thread or rank and summed in
 * episode order; a non-finite loss or gradient skips the step (counted).
 *
 * Fitness of a candidate: the mean meta-loss (the final query score as a loss: MSE, or
 * 1 - accuracy; or, by option, the objective's query loss, e.g. cross-entropy) over K
 * training episodes, the same K episodes for every candidate of a generation (common
 * random numbers), plus an optional L1 penalty. For self-supervised image tasks the
 * meta-loss may instead be 1 - the linear-probe accuracy of the trained network's top layer
 * on a held-out part of the training split (meta_loss "probe": the test split stays unseen;
 * no final evaluation, `plast probe` with the params file measures the gain on it). Every random number is keyed by (seed,
 * generation, purpose, episode), so a generation is a pure function of the optimizer's
 * state: candidates may be evaluated on any thread or rank, and a checkpoint (optimizer
 * state, best parameters, history) resumes to the same numbers as never stopping. */
#ifndef PLAST_CAMPAIGN_H
#define PLAST_CAMPAIGN_H

#include <signal.h>

#include "plast/config.h"
#include "plast/evaluate.h"

typedef struct plast_campaign_opts {
    int optimizer;
    int generations;
    int popsize;
    float sigma0;
    float lr;
    int es_adam;
    float weight_decay;
    float sigma_decay, sigma_min;
    int episodes;
    int validate_every, validation_runs;
    int checkpoint_every;
    plast_names owns, redraw, l1_groups, log_groups; /* tensor groups, as declared */
    float l1;
    float fitness_cap;
    int ipop;
    int tune_runs;
    int meta_loss; /* PLAST_META_SCORE, PLAST_META_LOSS or PLAST_META_PROBE */
    int probe_train, probe_test, probe_epochs; /* PLAST_META_PROBE: the probe's images, epochs */
    float clip, lr_decay;           /* adam */
    int truncate;                   /* adam: truncated backward sweep (0: none) */
    char group_lr[PLAST_OPT_STRLEN]; /* adam: "group=factor,..." */
} plast_campaign_opts;
/* the score as a loss; the objective's query loss; 1 - the held-out linear-probe accuracy of
 * the top weighted layer (include/plast/probe.h) after the episode */
enum { PLAST_META_SCORE, PLAST_META_LOSS, PLAST_META_PROBE };
extern const plast_opt_table plast_campaign_opts_table;

typedef struct plast_gen_stats {
    long gen;              /* 1-based: the generation just told */
    double best, mean, std;/* fitness of this generation's candidates */
    double valid;          /* validation meta-loss of the mean, NAN when not validated */
    double best_valid;     /* best validation so far */
    double sigma;
    double evals_per_s;    /* candidate evaluations (K episodes each) per second */
    double wall_s;         /* since the campaign started (across resumes) */
    double outside_frac;   /* share of the generation's time spent outside evaluating
                            * episodes (candidates and validation): the optimizer, bookkeeping */
    double grad_norm;      /* adam: norm of the meta-batch's mean meta-gradient (in z); else NAN */
    double skipped;        /* adam: steps skipped so far (a non-finite loss or gradient) */
} plast_gen_stats;

typedef struct plast_campaign plast_campaign;

/* Message passing for MPI (NULL for one process): sum n doubles over ranks, in place. */
typedef struct plast_comm {
    int rank, size;
    void (*allsum)(double *x, int n, void *ctx);
    void *ctx;
} plast_comm;

/* Validates the campaign section against the network, rule and task and builds
 * everything (task pools, workers, optimizer); validation at generation 0 is not run
 * here (plast_campaign_start does it). */
plast_campaign *plast_campaign_new(const plast_config *cfg, int threads, const plast_comm *comm,
                                   plast_err *err);
void plast_campaign_delete(plast_campaign *c);

int plast_campaign_dim(const plast_campaign *c);
long plast_campaign_gen(const plast_campaign *c);
/* NULL while it should go on; "generations" or the optimizer's stop reason. */
const char *plast_campaign_done(const plast_campaign *c);
/* Validation of the starting point (generation 0); call once for a new campaign. */
int plast_campaign_start(plast_campaign *c, const volatile sig_atomic_t *interrupt, plast_err *err);
/* One generation: ask, evaluate, tell, and validate when due. PLAST_INTERRUPTED when
 * *interrupt became non-zero (the generation is dropped; the state is that of the last
 * completed generation). */
int plast_campaign_step(plast_campaign *c, const volatile sig_atomic_t *interrupt, plast_gen_stats *out,
                        plast_err *err);
/* Every generation so far (index 0 is generation 0: the starting point's validation). */
const plast_gen_stats *plast_campaign_history(const plast_campaign *c, int *n);

/* Checkpoint of the state after the last completed generation. */
int plast_campaign_save(const plast_campaign *c, const char *path, uint64_t config_hash,
                        plast_err *err);
int plast_campaign_restore(plast_campaign *c, const char *path, uint64_t config_hash,
                           plast_err *err);

/* Named meta-parameters of the best-validated candidate (owned and fixed tensors; not the
 * re-drawn ones) as a params file; best = 0 writes the starting point instead. */
int plast_campaign_write_params(const plast_campaign *c, FILE *f, int best);

/* The end-of-campaign comparison on the evaluation pool: the best rule, its starting
 * point and online SGD with its learning rate tuned on the training pool, each over
 * cfg->run.runs episodes with the same seeds. */
typedef struct plast_campaign_final {
    plast_eval_result best, start, sgd;
    float sgd_lr;
    double sgd_tune[8];  /* mean training-pool loss of each learning rate tried */
    int n_tune;
} plast_campaign_final;
extern const float plast_campaign_sgd_lrs[];
int plast_campaign_final_eval(plast_campaign *c, plast_campaign_final *out, plast_err *err);
void plast_campaign_final_free(plast_campaign_final *f);

/* The campaign's meta-loss in words ("query MSE", "1 - accuracy", "query cross-entropy"). */
void plast_campaign_meta_loss_name(const plast_campaign_opts *o, const plast_objective *obj,
                                   char *buf, size_t n);

#endif
