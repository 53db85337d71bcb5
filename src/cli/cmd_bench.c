/* cmd_bench.c — the two commands that compare methods: `plast bench SUITE.json` (methods x
 * task variants x seeds, tables and plots) and `plast analyze RUN|CONFIG` (how a rule's
 * updates interfere, against online SGD). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "plast/analyze.h"
#include "plast/bench.h"
#include "plast/campaign.h"
#include "plast/config.h"
#include "plast/evaluate.h"
#include "plast/registry.h"
#include "plast/run.h"
#include "plast/run_record.h"

/* ---------------- bench ---------------- */

typedef struct bench_ui {
    int quiet, tty;
    struct timespec t0;
    double last;
} bench_ui;

static void bench_note(void *ctx, const char *msg)
{
    const bench_ui *u = ctx;
    if (!u->quiet) fprintf(stderr, "%sbench: %s\n", u->tty ? "\r" : "", msg);
}

/* Runs done of the session's work, at most one line a second, with an ETA. */
static void bench_progress(void *ctx, long done, long total)
{
    bench_ui *u = ctx;
    if (u->quiet || total < 1) return;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double el = (double)(t.tv_sec - u->t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - u->t0.tv_nsec);
    if (done < total && u->last > 0.0 && el - u->last < 1.0) return; /* the first line at once */
    u->last = el > 0.0 ? el : 1e-9;
    fprintf(stderr, "%sbench: %ld/%ld runs (%.0f%%), %.0f s elapsed, ETA %.0f s%s", u->tty ? "\r" : "", done,
            total, 100.0 * (double)done / (double)total, el, done ? el / (double)done * (double)(total - done) : 0.0,
            u->tty && done < total ? "   " : "\n");
}

int cli_bench(int argc, char **argv, const volatile sig_atomic_t *interrupt)
{
    const char *path = NULL, *out = NULL, *resume = NULL;
    int force = 0, quiet = 0;
    long threads = 0, runs = 0;
    cli_set_list sets = {.n = 0}, only = {.n = 0};
    const cli_flag flags[] = {
        {"--threads", CLI_INT, &threads, 1, 256}, {"--out", CLI_STR, &out, 0, 0},
        {"--force", CLI_SWITCH, &force, 0, 0},    {"--quiet", CLI_SWITCH, &quiet, 0, 0},
        {"--runs", CLI_INT, &runs, 1, 1000000},   {"--set", CLI_SET, &sets, 0, 0},
        {"--only", CLI_SET, &only, 0, 0},         {"--resume", CLI_STR, &resume, 0, 0},
    };
    if (cli_parse_flags(argc, argv, flags, sizeof flags / sizeof flags[0], &path)) return PLAST_E_USAGE;
    if (!path == !resume)
        return cli_usage_error("%s", "usage: plast bench SUITE.json [options] | --resume DIR (see 'plast help bench')");
    if (resume && (out || force || runs || sets.n || only.n))
        return cli_usage_error("%s", "--resume continues a suite as it was started: only --threads and --quiet");
    if (sets.n > PLAST_SUITE_SETS) return cli_usage_error("at most %s --set options for bench", "16");
    static plast_suite suite;
    plast_err err;
    plast_err_clear(&err);
    int rc, recorded_threads = 1;
    if (resume) {
        rc = plast_suite_resume(&suite, resume, &recorded_threads, &err);
    } else {
        rc = plast_suite_load(&suite, path, &err);
        if (!rc && runs) suite.runs = (int)runs;
        for (int i = 0; i < sets.n && !rc; i++) {
            if (!strchr(sets.v[i], '=') || strlen(sets.v[i]) >= sizeof suite.extra[0])
                rc = plast_err_set(&err, PLAST_E_USAGE, sets.v[i], "expected key=value (at most 511 characters)");
            else snprintf(suite.extra[suite.n_extra++], sizeof suite.extra[0], "%s", sets.v[i]);
        }
        if (!rc) rc = plast_suite_only(&suite, only.v, only.n, &err);
    }
    if (!rc) rc = plast_bench_check(&suite, &err);
    if (rc) {
        plast_suite_free(&suite);
        return cli_fail(&err);
    }
    if (!threads) threads = resume ? recorded_threads : 1;
    char dir[4096];
    if (resume) snprintf(dir, sizeof dir, "%s", resume);
    else if (out) snprintf(dir, sizeof dir, "%s", out);
    else snprintf(dir, sizeof dir, "results/bench-%.120s", strncmp(suite.name, "bench-", 6) ? suite.name : suite.name + 6);
    rc = resume ? PLAST_OK : plast_dir_prepare(dir, force, &err);
    static char table[1 << 16];
    char cmdline[2048];
    cli_command_line(cmdline, sizeof cmdline, argc, argv);
    bench_ui ui = {.quiet = quiet, .tty = isatty(2)};
    clock_gettime(CLOCK_MONOTONIC, &ui.t0);
    plast_bench_hooks hooks = {.note = bench_note, .ctx = &ui, .progress = bench_progress, .interrupt = interrupt,
                               .cmdline = cmdline, .version = PLAST_VERSION, .git = PLAST_GIT,
                               .resume = resume != NULL};
    if (!rc) rc = plast_bench_run(&suite, dir, (int)threads, &hooks, table, sizeof table, &err);
    plast_suite_free(&suite);
    if (rc) return cli_fail(&err);
    fputs(table, stdout);
    printf("\nresults in %s (table.md, table.csv, table.json, curves_*.png, heatmap_*.png, forgetting_*.png)\n", dir);
    return 0;
}

/* ---------------- analyze ---------------- */

int cli_analyze(int argc, char **argv)
{
    const char *what = NULL, *task = NULL, *out = NULL;
    long runs = -1, probes = 4;
    double sgd_lr = 0.003;
    int force = 0, quiet = 0;
    const cli_flag flags[] = {
        {"--task", CLI_STR, &task, 0, 0},           {"--out", CLI_STR, &out, 0, 0},
        {"--runs", CLI_INT, &runs, 1, 100000},      {"--probes", CLI_INT, &probes, 1, 1000},
        {"--sgd-lr", CLI_FLOAT, &sgd_lr, 0.0, 1e3}, {"--force", CLI_SWITCH, &force, 0, 0},
        {"--quiet", CLI_SWITCH, &quiet, 0, 0},
    };
    if (cli_parse_flags(argc, argv, flags, sizeof flags / sizeof flags[0], &what)) return PLAST_E_USAGE;
    if (!what) return cli_usage_error("%s", "usage: plast analyze RUN_OR_CONFIG [options]");
    static plast_config cfg, tcfg;
    plast_err err;
    plast_err_clear(&err);
    char path[4200];
    struct stat st;
    int is_run = stat(what, &st) == 0 && S_ISDIR(st.st_mode);
    int rc = is_run ? plast_path_join(path, sizeof path, what, "config.json", &err) : PLAST_OK;
    if (!is_run) snprintf(path, sizeof path, "%s", what);
    plast_registry reg = plast_registry_builtin(1);
    if (!rc) rc = plast_config_load(&cfg, path, NULL, 0, &reg, &err);
    if (!rc && is_run) {
        char best[4200];
        rc = plast_path_join(best, sizeof best, what, "best.json", &err);
        if (!rc && access(best, R_OK))
            rc = plast_err_set(&err, PLAST_E_NOINPUT, best, "the run has no best.json yet");
        if (!rc && snprintf(cfg.run.params, sizeof cfg.run.params, "%s", best) >= (int)sizeof cfg.run.params)
            rc = plast_err_set(&err, PLAST_E_USAGE, best, "path too long");
    }
    if (!rc && task) {
        rc = plast_config_load(&tcfg, task, NULL, 0, &reg, &err);
        if (!rc) {
            cfg.task = tcfg.task;
            memcpy(cfg.task_opts, tcfg.task_opts, sizeof cfg.task_opts);
        }
    }
    if (rc) return cli_fail(&err);
    plast_an_spec spec = {.cfg = &cfg, .runs = runs > 0 ? (int)runs : (cfg.run.runs < 10 ? cfg.run.runs : 10),
                          .n_probe = (int)probes, .sgd_lr = (float)sgd_lr};
    char dir[4096];
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else {
        const char *base = strrchr(what, '/');
        base = base && base[1] ? base + 1 : what;
        snprintf(dir, sizeof dir, "results/analysis-%s", base);
        char *dot = strrchr(dir, '.');
        if (dot && dot > strrchr(dir, '/')) *dot = '\0';
    }
    /* The analysis checks its input (config, params, task) before the directory is made. */
    plast_eval_setup check;
    if ((rc = plast_eval_setup_init(&check, &cfg, &err))) return cli_fail(&err);
    plast_eval_setup_free(&check);
    if ((rc = plast_dir_prepare(dir, force, &err))) return cli_fail(&err);
    char cmd[2048];
    cli_command_line(cmd, sizeof cmd, argc, argv);
    plast_run_record rec; /* run.json: "running" now, then how it ended */
    plast_run_record_init(&rec, cmd, PLAST_VERSION, PLAST_GIT, 1, 1);
    if ((rc = plast_run_record_write(&rec, dir, &err))) {
        plast_run_record_free(&rec);
        return cli_fail(&err);
    }
    if (!quiet) fprintf(stderr, "analyze: %s on %s, %d runs, against online SGD (lr %g)\n", cfg.rule->name,
                        cfg.task->name, spec.runs, sgd_lr);
    static plast_an_result res;
    int n_plots = 0;
    rc = plast_analyze(&spec, &res, &err);
    if (!rc) rc = plast_analyze_write(&res, cfg.rule->name, dir, &n_plots, &err);
    plast_run_record_end(&rec, rc ? "failed" : "finished", rc);
    int wrc = plast_run_record_write(&rec, dir, rc ? NULL : &err);
    if (!rc) rc = wrc;
    plast_run_record_free(&rec);
    if (!rc) {
        printf("| updates of | cos, same segment | cos, across segments | cos with -gradient | participation ratio |\n");
        printf("|---|---|---|---|---|\n");
        const plast_an_method *m[2] = {&res.rule, &res.sgd};
        for (int i = 0; i < 2; i++)
            printf("| %s | %.3f [%.3f, %.3f] | %.3f [%.3f, %.3f] | %.3f [%.3f, %.3f] | %.2f [%.2f, %.2f] |\n",
                   i ? "online SGD" : cfg.rule->name, m[i]->cos_within.mean, m[i]->cos_within.lo,
                   m[i]->cos_within.hi, m[i]->cos_across.mean, m[i]->cos_across.lo, m[i]->cos_across.hi,
                   m[i]->grad_cos.mean, m[i]->grad_cos.lo, m[i]->grad_cos.hi, m[i]->pr.mean, m[i]->pr.lo,
                   m[i]->pr.hi);
        for (int i = 0; i < 2; i++)
            if (m[i]->cos_within.n_bad || m[i]->grad_cos.n_bad)
                fprintf(stderr, "plast: note: %s diverged in %d of %d runs (their figures are left out)%s\n",
                        i ? "online SGD" : cfg.rule->name, m[i]->grad_cos.n_bad, res.runs,
                        i ? "; try a smaller --sgd-lr" : "");
        printf("interference on the segment learned just before (mean loss change per step): %s %.4g, SGD %.4g\n",
               cfg.rule->name, res.rule.interf[1].mean, res.sgd.interf[1].mean);
        printf("results in %s (analysis.json, run.json%s)\n", dir, n_plots ? ", plots" : "; gnuplot not installed: .gp files kept");
    }
    plast_an_result_free(&res);
    return rc ? cli_fail(&err) : 0;
}
