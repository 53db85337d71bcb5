/* bench.h — benchmark suites: methods x task variants x seeds, with the tables and
 * continual-learning curves researchers publish (`plast bench SUITE.json`).
 *
 * For every (variant, method) the config is the suite's base with the variant's and the
 * method's overrides; all methods of a variant see the same episodes (the suite's seed).
 * A method with a sweep first scores each value of its key on sweep.runs runs with another
 * seed (suite seed + 1000, as OML tuned its learning rate on separate runs) and keeps the
 * best. Per run, the continual-learning metrics of its score matrix (ACC, BWT, FWT,
 * forgetting, learning accuracy) are computed; tables give their means and 95% bootstrap
 * intervals over runs. */
#ifndef PLAST_BENCH_H
#define PLAST_BENCH_H

#include <signal.h>

#include "plast/config.h"
#include "plast/evaluate.h"

/* A suite names a base config, variants of it (e.g. class counts) and methods (rules with
 * their settings), each as a list of "key=value" overrides applied like --set; a method
 * may sweep one key over values on separate runs first. A variant may carry published
 * reference figures ("reference": [{"label": L, "final": x}]), printed in its table. */
#define PLAST_SUITE_MAX 16
#define PLAST_SUITE_SETS 16
#define PLAST_SUITE_VALUES 16
#define PLAST_SUITE_REFS 6

typedef struct plast_suite_entry {
    char label[128];
    int n_sets;
    char sets[PLAST_SUITE_SETS][512];
    char sweep_key[64];             /* methods: "" for no sweep */
    int n_values;
    double values[PLAST_SUITE_VALUES];
    int sweep_runs;
    int n_refs;                     /* variants: published figures printed in their table */
    char ref_label[PLAST_SUITE_REFS][128];
    double ref_final[PLAST_SUITE_REFS];
} plast_suite_entry;

typedef struct plast_suite {
    char name[128];
    int seed, runs, bootstrap;
    char *base;                      /* the base config as JSON text (heap) */
    char *text;                      /* the whole suite as JSON text (heap), for suite.json */
    char dir[4096];                  /* the suite file's directory: relative params paths
                                        in it are read from there */
    int n_extra;                     /* --set for every method, after the method's own */
    char extra[PLAST_SUITE_SETS][512];
    int n_only;                      /* --only labels applied (recorded for --resume) */
    char only[PLAST_SUITE_SETS][128];
    int n_variants, n_methods, n_notes;
    plast_suite_entry variant[PLAST_SUITE_MAX];
    plast_suite_entry method[PLAST_SUITE_MAX];
    char notes[PLAST_SUITE_MAX][512];/* printed under the table (reference figures) */
} plast_suite;

/* Reads and validates a suite file (the base config itself is validated per method);
 * meta/suite.c. s->dir becomes the file's directory. */
int plast_suite_load(plast_suite *s, const char *path, plast_err *err);
void plast_suite_free(plast_suite *s);
/* Keeps only the variants and the methods whose label is one of labels (when some label
 * names a variant, only those variants; when some names a method, only those methods). A
 * label that names neither is PLAST_E_USAGE, with the nearest label suggested. */
int plast_suite_only(plast_suite *s, const char *const *labels, int n, plast_err *err);
/* The suite of an output directory made by plast_bench_run, as it ran: its suite.json
 * with the directory, runs, --set and --only recorded in its bench.json; *threads
 * receives the thread count recorded there. */
int plast_suite_resume(plast_suite *s, const char *dir, int *threads, plast_err *err);

typedef struct plast_bench_hooks {
    void (*note)(void *ctx, const char *msg);
    void *ctx;
    /* Optional: work done so far (in runs, sweeps included) of the work this session has
     * to do, after each run. */
    void (*progress)(void *ctx, long done, long total);
    /* Optional: a signal handler's flag; when set, the cell in flight is dropped and
     * plast_bench_run returns PLAST_INTERRUPTED with every finished cell written. */
    const volatile sig_atomic_t *interrupt;
    /* For bench.json: the command line, version and git revision of this session. */
    const char *cmdline, *version, *git;
    int resume;                      /* 1: finished cells in dir/cells are read back */
} plast_bench_hooks;

/* Parses every (variant, method) config (and sweep value) without running anything, so
 * that a bad suite is refused before an output directory is made. */
int plast_bench_check(const plast_suite *s, plast_err *err);

/* Runs the suite and writes into dir (which must exist): suite.json and bench.json (the
 * suite and how it was run, with the history of sessions), cells/V__M.bin (each cell's
 * results, exact, written as it completes: --resume reads them back, so a resumed suite
 * equals one that never stopped bit for bit), table.md, table.csv, table.json (rewritten
 * after every cell with the cells done so far), and per variant curves_V.{csv,gp,png},
 * forgetting_V.{csv,gp,png} and per variant and method heatmap_V_M.{dat,gp,png}, V and M
 * being the labels made file-name safe. table_md receives the Markdown table (with the
 * suite's notes) for printing. */
int plast_bench_run(const plast_suite *s, const char *dir, int threads,
                    const plast_bench_hooks *hooks, char *table_md, size_t n, plast_err *err);

#endif
