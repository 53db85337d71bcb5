/* evaluate.h — scoring a learner on a task over many independent runs.
 *
 * Run r draws its episode from the stream (seed, PLAST_KEY_EVAL, 0, r) and, when
 * init_per_run is set, its initial network and meta-parameters from
 * (seed, PLAST_KEY_INIT, 0, r) (else from run 0's key); tensors given in `fixed` (a params
 * file) then replace the drawn ones. Runs are spread over threads; each writes only its
 * own rows, so results do not depend on the thread count. */
#ifndef PLAST_EVALUATE_H
#define PLAST_EVALUATE_H

#include <signal.h>
#include <stdio.h>

#include "plast/config.h"
#include "plast/episode.h"
#include "plast/metrics.h"
#include "plast/task.h"

enum { PLAST_KEY_INIT = 1, PLAST_KEY_EVAL = 2 };

typedef struct plast_eval_spec {
    const plast_task *task;
    const void *task_state;     /* from task->create, shared read-only */
    plast_task_shape shape;
    uint64_t seed;
    int runs, threads, init_per_run;
    int n_boot;
    /* Optional fixed tensors: a learner holding them and masks of which ones (per spec). */
    const plast_learner *fixed;
    const unsigned char *fixed_net, *fixed_meta;
    /* Optional progress callback, called under a lock as runs finish. */
    void (*progress)(void *ctx, int done, int total);
    void *progress_ctx;
    /* Optional: when it becomes nonzero no further run starts, and plast_evaluate returns
     * PLAST_INTERRUPTED with nothing kept (a signal handler's flag). */
    const volatile sig_atomic_t *interrupt;
} plast_eval_spec;

/* The continual-learning metrics of plast_cl_metrics, in this order. */
enum { PLAST_CL_ACC, PLAST_CL_BWT, PLAST_CL_FWT, PLAST_CL_FORGETTING, PLAST_CL_LEARNING, PLAST_CL_N };
extern const char *const plast_cl_names[PLAST_CL_N];

typedef struct plast_eval_result {
    int runs, n_seg, max_steps;
    float *final;      /* [runs] score on all query points after the episode */
    float *curve;      /* [runs][n_seg] score on segments seen so far */
    float *R0;         /* [runs][n_seg] */
    float *R;          /* [runs][n_seg][n_seg] */
    float *train_loss; /* [runs][max_steps], NAN past a run's last step */
    int *n_steps;      /* [runs] */
    plast_summary final_sum;
    plast_summary *curve_sum; /* [n_seg] */
    plast_summary *loss_sum;  /* [max_steps] per step over runs, no bootstrap */
    /* The headline over all runs: median with diverged runs ranked worst (metrics.h),
     * NAN when half or more diverged. */
    double final_median;
    /* ACC, BWT, FWT, forgetting, learning accuracy of each run's score matrix, summarised
     * over runs (bootstrap seeds: seed + 1 + k). */
    plast_summary cl[PLAST_CL_N];
    void *buf;
} plast_eval_result;

/* template_learner gives the shapes, rule and options; its values are not used. */
int plast_evaluate(const plast_learner *template_learner, const plast_eval_spec *spec,
                   plast_eval_result *out, plast_err *err);
void plast_eval_result_free(plast_eval_result *r);

/* Everything an evaluation of a config needs, checked and built before any output is made:
 * the task's shape and state, the learner, and the params file's tensors (which replace the
 * drawn ones in every run). */
typedef struct plast_eval_setup {
    const plast_config *cfg;
    plast_task_shape shape;
    plast_learner L, fixed;
    int have_fixed;
    unsigned char mask_net[PLAST_MAX_PSPECS], mask_meta[PLAST_MAX_PSPECS];
    void *task_state;
    const volatile sig_atomic_t *interrupt; /* optional, set by the caller after init */
} plast_eval_setup;

int plast_eval_setup_init(plast_eval_setup *s, const plast_config *cfg, plast_err *err);
/* Scores the config over cfg->run.runs runs with its seed and bootstrap. */
int plast_eval_setup_run(plast_eval_setup *s, int threads,
                         void (*progress)(void *ctx, int done, int total), void *progress_ctx,
                         plast_eval_result *res, plast_err *err);
void plast_eval_setup_free(plast_eval_setup *s);

/* `"curve": [means], "curve_ci95": [[lo, hi], ...], "final_per_run": [...]` (strict JSON:
 * null for a non-finite number), for the summaries of campaigns and suites. */
void plast_eval_write_curve_json(FILE *f, const plast_summary *curve, int n_seg, const float *final, int runs);

#endif
