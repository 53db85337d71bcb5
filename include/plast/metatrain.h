/* metatrain.h — a meta-training run directory around a campaign.
 *
 * plast_metatrain creates (or resumes) a run directory and drives the campaign in it:
 *   config.json   the resolved config (a resumed run reads it back and must match)
 *   run.json      command line, version, git revision, compiler, BLAS, threads, ranks,
 *                 host, start and end time, exit status; when resumed, how the previous
 *                 session ended ("interrupted", or "killed" when it never reached its end)
 *   metrics.csv, metrics.jsonl   one row per generation
 *   checkpoint.bin               after generation 0's validation, every checkpoint_every
 *                                generations, at the end, on a signal
 *   best.json, start.json        params files of the best-validated and starting rule
 *   summary.json, summary.md     the final comparison on the evaluation pool
 *   metatrain.gp/.png, curves.gp/.png and their .csv data
 * Every file is written atomically; a directory that already holds files is refused
 * unless force. A new directory appears under its name already holding config.json (it is
 * staged as DIR.tmp.PID), so a run can be resumed from the moment its directory exists; a
 * resume without a checkpoint (stopped before generation 0 was validated) starts again from
 * generation 0, and removes the temporary files a killed session left. Only rank 0 of an
 * MPI job writes. */
#ifndef PLAST_METATRAIN_H
#define PLAST_METATRAIN_H

#include "plast/campaign.h"

typedef struct plast_metatrain_args {
    const char *config_path; /* new run: the campaign file */
    const char *resume_dir;  /* or: the run directory to resume */
    const char *out_dir;     /* new run: where (default results/STEM) */
    const char *const *sets;
    int n_sets;
    long seed;               /* >= 0 overrides the config's seed (new runs) */
    int threads;
    int force;
    const char *cmdline;
    const char *version, *git; /* for run.json */
    plast_comm comm;
} plast_metatrain_args;

typedef struct plast_metatrain_hooks {
    /* After each generation (rank 0): the row, the target generation count. */
    void (*generation)(void *ctx, const plast_gen_stats *s, long total);
    /* Phases and notes for the user ("validating the starting point", ...). */
    void (*note)(void *ctx, const char *msg);
    void *ctx;
} plast_metatrain_hooks;

typedef struct plast_metatrain_result {
    char dir[4096];
    char table[4096];        /* the final comparison as a Markdown table */
    int compared;            /* a final evaluation ran (not for the probe meta-loss) */
    int beats_start;         /* best's CI lies entirely on the better side of start's */
    const char *stop_reason;
} plast_metatrain_result;

int plast_metatrain(const plast_metatrain_args *a, const volatile sig_atomic_t *interrupt,
                    const plast_metatrain_hooks *hooks, plast_metatrain_result *res,
                    plast_err *err);

/* Redraws every plot of a run directory (needs gnuplot); *n_rendered counts them. */
int plast_metatrain_plot(const char *dir, int *n_rendered, plast_err *err);

#endif
