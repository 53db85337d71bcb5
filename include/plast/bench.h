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

#include "plast/config.h"
#include "plast/evaluate.h"

typedef struct plast_bench_hooks {
    void (*note)(void *ctx, const char *msg);
    void *ctx;
} plast_bench_hooks;

/* Parses every (variant, method) config (and sweep value) without running anything, so
 * that a bad suite is refused before an output directory is made. */
int plast_bench_check(const plast_suite *s, plast_err *err);

/* Runs the suite and writes into dir (which must exist): table.md, table.csv, table.json,
 * and per variant curves_V.{csv,gp,png}, forgetting_V.{csv,gp,png}, and per variant and
 * method heatmap_V_M.{dat,gp,png}. table_md receives the Markdown table (with the suite's
 * notes) for printing. */
int plast_bench_run(const plast_suite *s, const char *dir, int threads,
                    const plast_bench_hooks *hooks, char *table_md, size_t n, plast_err *err);

#endif
