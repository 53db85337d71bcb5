/* sweep.h — seed sweeps of meta-training: one campaign per meta-training seed, pooled.
 *
 * One meta-training seed is not a result. plast_sweep runs the campaign once per seed into
 * DIR/seed-N/ (each an ordinary run directory, include/plast/metatrain.h), one after the
 * other, each on all the threads or MPI ranks given; then pools them:
 *   config.json   the resolved campaign every seed starts from (its seed replaced by N)
 *   sweep.json    the seeds, the thread count and every session (command, start, end,
 *                 status), so that --resume DIR continues the sweep: finished seeds are
 *                 kept, a stopped one resumes from its checkpoint (same numbers as never
 *                 stopping), the others start
 *   seeds.json, seeds.md  per method of the final comparison (meta-trained rule, starting
 *                 point, online SGD): the mean over seeds of each seed's final score with a
 *                 95% Student t interval over seeds, next to each seed's own 95% bootstrap
 *                 interval over evaluation runs
 *   seeds.csv, seeds.gp/.png  every seed's meta-training curve (mean fitness per
 *                 generation and validation) in one plot
 * Only rank 0 writes; ranks agree on what each seed needs through comm.allsum. */
#ifndef PLAST_SWEEP_H
#define PLAST_SWEEP_H

#include "plast/metatrain.h"

#define PLAST_SWEEP_MAX 256

typedef struct plast_sweep_args {
    const char *config_path;     /* new sweep: the campaign file */
    const char *resume_dir;      /* or: the sweep directory to continue */
    const char *out_dir;         /* new sweep: where (default results/STEM-seeds) */
    const char *const *sets;
    int n_sets;
    const char *seeds;           /* new sweep: "1-5", "1,3,7" or a mix ("1-3,9") */
    int threads;                 /* 0: 1, or what a resumed sweep ran on */
    int force;
    const char *cmdline, *version, *git;
    plast_comm comm;
} plast_sweep_args;

typedef struct plast_sweep_result {
    char dir[4096];
    char table[8192];            /* the pooled table (Markdown) */
    int n_seeds;
} plast_sweep_result;

/* "1-5" / "1,3,7" / "2-4,10" into seeds[*n] (ascending as written, no repeats, at most
 * max, each in 0..INT_MAX); PLAST_E_USAGE naming the problem. */
int plast_sweep_parse_seeds(const char *text, int *seeds, int max, int *n, plast_err *err);

/* Whether dir is a seed sweep's directory (holds sweep.json). */
int plast_sweep_is_sweep(const char *dir);

/* Runs (or continues) the sweep. PLAST_INTERRUPTED when *interrupt became set: the seed in
 * flight keeps its checkpoint, sweep.json says "interrupted", --resume DIR continues. */
int plast_sweep(const plast_sweep_args *a, const volatile sig_atomic_t *interrupt,
                const plast_metatrain_hooks *hooks, plast_sweep_result *res, plast_err *err);

#endif
