/* cmd_metatrain.c — the commands of meta-training runs: `plast meta-train` (a new or
 * resumed run, with progress on stderr), `plast show RUN` (its summary and learned
 * meta-parameters) and `plast plot RUN` (redraw its figures). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "plast/campaign.h"
#include "plast/config.h"
#include "plast/metatrain.h"
#include "plast/plot.h"
#include "plast/registry.h"
#include "plast/run.h"
#include "plast/sweep.h"

/* ---------------- meta-train ---------------- */

typedef struct mt_progress {
    int quiet;
    struct timespec t0;
} mt_progress;

static void mt_generation(void *ctx, const plast_gen_stats *s, long total)
{
    const mt_progress *p = ctx;
    if (p->quiet) return;
    double per_gen = s->gen > 0 ? s->wall_s / (double)s->gen : 0.0;
    if (isfinite(s->grad_norm)) /* adam: the meta-batch's mean loss, the learning rate, its gradient's norm */
        fprintf(stderr, "step %5ld/%ld  loss %.5g  lr %.3g  |grad| %.3g  %.1f episodes/s", s->gen, total,
                s->mean, s->sigma, s->grad_norm, s->evals_per_s);
    else
        fprintf(stderr, "gen %5ld/%ld  best %.5g  mean %.5g  sigma %.3g  %.1f evals/s", s->gen, total, s->best,
                s->mean, s->sigma, s->evals_per_s);
    if (s->skipped > 0) fprintf(stderr, "  skipped %.0f", s->skipped);
    if (isfinite(s->valid)) fprintf(stderr, "  valid %.5g (best %.5g)", s->valid, s->best_valid);
    fprintf(stderr, "  ETA %.0f s\n", per_gen * (double)(total - s->gen));
}

static void mt_note(void *ctx, const char *msg)
{
    const mt_progress *p = ctx;
    if (!p->quiet) fprintf(stderr, "meta-train: %s\n", msg);
}

/* `meta-train CAMPAIGN --seeds LIST` or `--resume SWEEP_DIR`: a seed sweep (sweep.h). */
static int metatrain_sweep(const plast_metatrain_args *m, const char *seeds, int threads, const cli_set_list *sets,
                           int quiet, int argc, char **argv, const plast_comm *comm,
                           const volatile sig_atomic_t *interrupt)
{
    if (!m->config_path == !m->resume_dir)
        return cli_usage_error("%s", "usage: plast meta-train CAMPAIGN.json --seeds LIST | --resume DIR");
    if (m->seed >= 0) return cli_usage_error("%s", "--seed and --seeds: give one");
    if (m->resume_dir && (m->out_dir || m->force))
        return cli_usage_error("%s", "--resume continues in its own directory: no --out or --force");
    plast_sweep_args a = {.config_path = m->config_path, .resume_dir = m->resume_dir, .out_dir = m->out_dir,
                          .sets = sets->v, .n_sets = sets->n, .seeds = seeds, .threads = threads,
                          .force = m->force, .version = PLAST_VERSION, .git = PLAST_GIT, .comm = *comm};
    char cmdline[2048];
    cli_command_line(cmdline, sizeof cmdline, argc, argv);
    a.cmdline = cmdline;
    mt_progress pr = {.quiet = quiet || comm->rank != 0};
    plast_metatrain_hooks hooks = {mt_generation, mt_note, &pr};
    static plast_sweep_result res;
    plast_err err;
    plast_err_clear(&err);
    int rc = plast_sweep(&a, interrupt, &hooks, &res, &err);
    if (comm->rank != 0) return rc;
    if (rc) return cli_fail(&err);
    printf("%s\nsweep directory: %s (seeds.md, seeds.json, seeds.png; one run per seed in seed-N/)\n", res.table,
           res.dir);
    return 0;
}

int cli_metatrain(int argc, char **argv, const plast_comm *comm, const volatile sig_atomic_t *interrupt)
{
    plast_metatrain_args a = {.seed = -1, .threads = 1, .version = PLAST_VERSION, .git = PLAST_GIT};
    cli_set_list sets = {.n = 0};
    int quiet = 0;
    long threads = 0; /* not given: 1, or what a resumed run ran on */
    const char *seeds = NULL;
    const cli_flag flags[] = {
        {"--threads", CLI_INT, &threads, 1, 256},  {"--seed", CLI_INT, &a.seed, 0, INT_MAX},
        {"--out", CLI_STR, &a.out_dir, 0, 0},      {"--resume", CLI_STR, &a.resume_dir, 0, 0},
        {"--set", CLI_SET, &sets, 0, 0},           {"--force", CLI_SWITCH, &a.force, 0, 0},
        {"--quiet", CLI_SWITCH, &quiet, 0, 0},     {"--seeds", CLI_STR, &seeds, 0, 0},
    };
    if (cli_parse_flags(argc, argv, flags, sizeof flags / sizeof flags[0], &a.config_path))
        return PLAST_E_USAGE;
    if (seeds || (a.resume_dir && !a.config_path && plast_sweep_is_sweep(a.resume_dir)))
        return metatrain_sweep(&a, seeds, (int)threads, &sets, quiet, argc, argv, comm, interrupt);
    a.threads = threads ? (int)threads : (a.resume_dir ? 0 : 1);
    a.n_sets = sets.n;
    if (!a.config_path == !a.resume_dir)
        return cli_usage_error("%s", "usage: plast meta-train CAMPAIGN.json | --resume DIR (see 'plast help meta-train')");
    if (a.resume_dir && (a.out_dir || a.force))
        return cli_usage_error("%s", "--resume continues in its own directory: no --out or --force");
    a.sets = sets.v;
    a.comm = *comm;
    char cmdline[2048];
    cli_command_line(cmdline, sizeof cmdline, argc, argv);
    a.cmdline = cmdline;

    mt_progress pr = {.quiet = quiet || comm->rank != 0};
    plast_metatrain_hooks hooks = {mt_generation, mt_note, &pr};
    static plast_metatrain_result res;
    plast_err err;
    plast_err_clear(&err);
    int rc = plast_metatrain(&a, interrupt, &hooks, &res, &err);
    if (comm->rank != 0) return rc;
    if (rc) return cli_fail(&err);
    if (!res.compared) {
        printf("stopped: %s; no final comparison (probe meta-loss: `plast probe` with "
               "run.params=best.json measures the gain on the test split)\n",
               res.stop_reason ? res.stop_reason : "?");
        printf("run directory: %s (best.json, metrics.csv, metatrain.png)\n", res.dir);
        return 0;
    }
    printf("%s\nstopped: %s; the meta-trained rule %s its starting point (95%% intervals %s)\n",
           res.table, res.stop_reason ? res.stop_reason : "?",
           res.beats_start ? "beats" : "does NOT beat",
           res.beats_start ? "do not overlap" : "overlap or are on the wrong side");
    printf("run directory: %s (best.json, summary.md, metatrain.png, curves.png)\n", res.dir);
    return 0;
}

int cli_plot(int argc, char **argv)
{
    if (argc != 2) return cli_usage_error("%s", "usage: plast plot DIR");
    plast_err err;
    int n, n_gp;
    if (plast_plot_render_all(argv[1], &n, &n_gp, &err)) return cli_fail(&err);
    if (!n_gp) {
        fprintf(stderr, "plast: no plot scripts (.gp) in %s\n", argv[1]);
        return PLAST_E_NOINPUT;
    }
    if (!n) {
        fprintf(stderr, "plast: no plot rendered in %s: gnuplot is not installed (%d .gp files)\n", argv[1], n_gp);
        return PLAST_E_NOINPUT;
    }
    printf("%d plot(s) redrawn in %s\n", n, argv[1]);
    return 0;
}

/* The best-validated generation of a run from its metrics.csv (columns generation, best,
 * mean, std, validation, best_validation, ...): the first row whose validation equals the
 * final best validation. -1 when the file is missing or has no validated row. */
static long best_generation(const char *dir, double *best_valid, double *start_valid)
{
    char path[4200], line[1024];
    if (plast_path_join(path, sizeof path, dir, "metrics.csv", NULL)) return -1;
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    static long gens[1 << 14];
    static double valid[1 << 14];
    int n = 0;
    double last_best = NAN;
    if (fgets(line, sizeof line, f))
        while (n < (1 << 14) && fgets(line, sizeof line, f)) {
            long g;
            double b, m, sd, v, bv;
            if (sscanf(line, "%ld,%lf,%lf,%lf,%lf,%lf", &g, &b, &m, &sd, &v, &bv) != 6) continue;
            gens[n] = g, valid[n++] = v;
            last_best = bv;
        }
    fclose(f);
    *best_valid = last_best;
    *start_valid = n ? valid[0] : NAN;
    for (int i = 0; i < n; i++)
        if (valid[i] == last_best) return gens[i];
    return -1;
}

int cli_show(int argc, char **argv)
{
    if (argc != 2) return cli_usage_error("%s", "usage: plast show RUN");
    const char *dir = argv[1];
    char path[4200];
    plast_err err;
    plast_err_clear(&err);
    static plast_config cfg;
    plast_registry reg = plast_registry_builtin(1);
    if (plast_path_join(path, sizeof path, dir, "config.json", &err) ||
        plast_config_load(&cfg, path, NULL, 0, &reg, &err))
        return cli_fail(&err);
    plast_learner L;
    if (plast_learner_from_config(&L, &cfg, NULL, NULL, NULL, &err)) return cli_fail(&err);
    unsigned char mnet[PLAST_MAX_PSPECS] = {0}, mmeta[PLAST_MAX_PSPECS] = {0};
    plast_pset *secs[2] = {&L.net.p, &L.meta};
    const char *names[2] = {"net", "meta"};
    unsigned char *masks[2] = {mnet, mmeta};
    int rc = plast_path_join(path, sizeof path, dir, "best.json", &err);
    if (!rc) rc = plast_params_read(path, cfg.rule->name, secs, names, 2, masks, NULL, &err);
    if (rc) {
        plast_learner_free(&L);
        return cli_fail(&err);
    }
    printf("run %s: rule %s on task %s\n", dir, cfg.rule->name, cfg.task->name);
    if (!plast_path_join(path, sizeof path, dir, "summary.md", &err)) {
        FILE *f = fopen(path, "r");
        if (f) {
            char line[1024];
            while (fgets(line, sizeof line, f)) fputs(line, stdout);
            fclose(f);
        } else {
            printf("(no summary.md yet: the run has not finished)\n");
        }
    }
    double bv, sv;
    long bg = best_generation(dir, &bv, &sv);
    if (bg == 0)
        printf("\nbest generation: 0 (validation %.6g). Validation never improved on the starting\n"
               "point: the \"meta-trained\" rule IS its starting point.\n", bv);
    else if (bg > 0)
        printf("\nbest generation: %ld (validation %.6g; the starting point's %.6g)\n", bg, bv, sv);
    printf("\nlearned meta-parameters (best.json):\n");
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < secs[s]->n; k++) {
            if (!masks[s][k]) continue;
            const plast_pspec *p = &secs[s]->spec[k];
            const float *v = secs[s]->data + p->offset;
            size_t n = (size_t)p->rows * p->cols;
            double mean = 0, lo = INFINITY, hi = -INFINITY, ss = 0;
            for (size_t i = 0; i < n; i++) mean += v[i], lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
            mean /= (double)n;
            for (size_t i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
            char label[64];
            plast_pspec_label(p, label, sizeof label);
            printf("  %-5s %-10s %-12s [%d x %d]  mean %.4g  std %.4g  min %.4g  max %.4g\n",
                   names[s], label, p->group, p->rows, p->cols, mean, n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0,
                   lo, hi);
        }
    char eq[2048];
    if (plast_rule_describe(cfg.rule, cfg.rule_opts, &L.meta, eq, sizeof eq)) printf("\ndiscovered rule:\n  %s\n", eq);
    plast_learner_free(&L);
    return 0;
}
