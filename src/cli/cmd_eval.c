/* cmd_eval.c — `plast eval CONFIG.json`: scores a rule on a task over many runs and writes
 * config.json, results.json, curve.csv, loss.csv and curve.gp/.png into a fresh directory.
 * Every input problem is found before the directory is made. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "plast/campaign.h"
#include "plast/config.h"
#include "plast/evaluate.h"
#include "plast/plot.h"
#include "plast/registry.h"
#include "plast/run.h"

typedef struct eval_ctx {
    const plast_config *cfg;
    const plast_eval_result *res;
    const plast_objective *obj;
    int threads;
    double seconds;
    char cmdline[2048];
} eval_ctx;

static void json_summary(FILE *f, const char *key, const plast_summary *s, const char *indent)
{
    fprintf(f, "%s\"%s\": {\"mean\": ", indent, key);
    plast_json_write_number(f, s->mean);
    fputs(", \"std\": ", f);
    plast_json_write_number(f, s->std);
    fputs(", \"ci95\": [", f);
    plast_json_write_number(f, s->lo);
    fputs(", ", f);
    plast_json_write_number(f, s->hi);
    fprintf(f, "], \"n\": %d, \"diverged\": %d}", s->n, s->n_bad);
}

static int write_results(FILE *f, const void *p)
{
    const eval_ctx *c = p;
    const plast_eval_result *r = c->res;
    fprintf(f, "{\n  \"plast_version\": \"%s\",\n  \"git\": \"%s\",\n", PLAST_VERSION, PLAST_GIT);
    fprintf(f, "  \"command\": ");
    plast_json_write_string(f, c->cmdline);
    fprintf(f, ",\n  \"rule\": \"%s\",\n  \"nonlocal\": %s,\n", c->cfg->rule->name,
            c->cfg->rule->nonlocal ? "true" : "false");
    fprintf(f, "  \"task\": \"%s\",\n  \"runs\": %d,\n  \"seed\": %d,\n  \"threads\": %d,\n",
            c->cfg->task->name, r->runs, c->cfg->run.seed, c->threads);
    fputs("  \"seconds\": ", f);
    plast_json_write_number(f, round(c->seconds * 1000.0) / 1000.0); /* to the millisecond */
    fputs(",\n", f);
    fprintf(f, "  \"score\": \"%s (%s is better)\",\n",
            c->obj->score_name, c->obj->higher_better ? "higher" : "lower");
    fprintf(f, "  \"ci_method\": \"percentile bootstrap of the mean, %d resamples\",\n",
            c->cfg->run.bootstrap);
    fprintf(f, "  \"diverged\": %d,\n  \"diverged_rule\": \"final_median_all: median of all runs, a diverged "
               "run ranked worst (null when half or more diverged); final: mean of the finite runs\",\n"
               "  \"final_median_all\": ", r->final_sum.n_bad);
    plast_json_write_number(f, r->final_median);
    fputs(",\n", f);
    json_summary(f, "final", &r->final_sum, "  ");
    fprintf(f, ",\n  \"continual\": {\"convention\": \"%s; %s\"", PLAST_CL_CONVENTION, PLAST_CL_MSE_SIGNS);
    for (int k = 0; k < PLAST_CL_N; k++) json_summary(f, plast_cl_names[k], &r->cl[k], ", ");
    fprintf(f, "},\n  \"curve\": [\n");
    for (int k = 0; k < r->n_seg; k++) {
        json_summary(f, "after", &r->curve_sum[k], "    {");
        fprintf(f, ", \"segments_seen\": %d}%s\n", k + 1, k + 1 < r->n_seg ? "," : "");
    }
    fprintf(f, "  ],\n  \"final_per_run\": [");
    for (int i = 0; i < r->runs; i++) {
        if (i) fputs(", ", f);
        plast_json_write_number(f, r->final[i]);
    }
    fprintf(f, "]\n}\n");
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int write_config(FILE *f, const void *p)
{
    return plast_config_write(((const eval_ctx *)p)->cfg, f);
}

static int write_curve_csv(FILE *f, const void *p)
{
    const plast_eval_result *r = ((const eval_ctx *)p)->res;
    fprintf(f, "segments_seen,mean,ci_lo,ci_hi,std,n\n");
    for (int k = 0; k < r->n_seg; k++) {
        const plast_summary *s = &r->curve_sum[k];
        fprintf(f, "%d,%.9g,%.9g,%.9g,%.9g,%d\n", k + 1, s->mean, s->lo, s->hi, s->std, s->n);
    }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int write_loss_csv(FILE *f, const void *p)
{
    const plast_eval_result *r = ((const eval_ctx *)p)->res;
    fprintf(f, "step,mean_train_loss,std,n\n");
    for (int t = 0; t < r->max_steps; t++) {
        const plast_summary *s = &r->loss_sum[t];
        fprintf(f, "%d,%.9g,%.9g,%d\n", t + 1, s->mean, s->std, s->n);
    }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* curve.gp: the mean continual curve and its confidence band. */
static int save_curve_plot(const char *dir, const eval_ctx *c, plast_err *err)
{
    char title[256];
    snprintf(title, sizeof title, "%s on %s: %d runs", c->cfg->rule->name, c->cfg->task->name, c->res->runs);
    const plast_plot_series s[] = {
        {PLAST_PLOT_BAND, 0, 3, 4, plast_plot_colour(0), "95% CI", 0},
        {PLAST_PLOT_POINTS, 2, 0, 0, plast_plot_colour(0), "mean", 0},
    };
    char ylabel[96];
    snprintf(ylabel, sizeof ylabel, "%s (%s is better) on segments seen so far", c->obj->score_name,
             c->obj->higher_better ? "higher" : "lower");
    /* The y range of the finite curve: a few runs near divergence do not flatten it. */
    int ns = c->res->n_seg;
    double v[3 * 512], work[3 * 512], ylo, yhi;
    int nv = 0;
    for (int k = 0; k < ns && nv + 3 <= 3 * 512; k++) {
        v[nv++] = c->res->curve_sum[k].mean;
        v[nv++] = c->res->curve_sum[k].lo;
        v[nv++] = c->res->curve_sum[k].hi;
    }
    plast_plot_robust_range(v, nv, work, &ylo, &yhi);
    plast_plot_lines p = {
        .name = "curve", .data = "curve.csv", .y_min = ylo, .y_max = yhi, .x_min = 0.5, .x_max = ns + 0.5,
        .about = "Continual curve of one evaluation: mean score on everything seen so far, with\n"
                 "its 95% bootstrap confidence band. Render with: gnuplot curve.gp",
        .title = title, .xlabel = "segments (functions or classes) seen",
        .ylabel = ylabel,
        .width = 800, .height = 500, .key = PLAST_PLOT_KEY_TOP_LEFT, .series = s, .n_series = 2};
    return plast_plot_save_lines(dir, &p, err);
}

typedef struct progress_state {
    struct timespec t0;
    double last;
    int quiet, tty;
} progress_state;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static void progress(void *ctx, int done, int total)
{
    progress_state *ps = ctx;
    if (ps->quiet) return;
    double el = since(&ps->t0);
    if (done < total && el - ps->last < 1.0) return; /* at most one line a second */
    ps->last = el;
    fprintf(stderr, "%seval: %d/%d runs, %.1f s elapsed, ETA %.1f s%s", ps->tty ? "\r" : "",
            done, total, el, el / done * (total - done), ps->tty && done < total ? "   " : "\n");
}

int cli_eval(int argc, char **argv, const volatile sig_atomic_t *interrupt)
{
    const char *path = NULL, *out = NULL;
    cli_set_list sets = {.n = 0};
    int force = 0, quiet = 0;
    long runs = -1, seed = -1, threads = 1;
    const cli_flag flags[] = {
        {"--runs", CLI_INT, &runs, 1, 1000000},   {"--seed", CLI_INT, &seed, 0, INT_MAX},
        {"--threads", CLI_INT, &threads, 1, 256}, {"--out", CLI_STR, &out, 0, 0},
        {"--set", CLI_SET, &sets, 0, 0},          {"--force", CLI_SWITCH, &force, 0, 0},
        {"--quiet", CLI_SWITCH, &quiet, 0, 0},
    };
    if (cli_parse_flags(argc, argv, flags, sizeof flags / sizeof flags[0], &path)) return PLAST_E_USAGE;
    if (!path) return cli_usage_error("%s", "usage: plast eval CONFIG.json [options]");

    plast_err err;
    plast_err_clear(&err);
    static plast_config cfg;
    plast_registry reg = plast_registry_builtin(1);
    int rc = plast_config_load(&cfg, path, sets.v, sets.n, &reg, &err);
    if (rc) return cli_fail(&err);
    if (runs > 0) cfg.run.runs = (int)runs;
    if (seed >= 0) cfg.run.seed = (int)seed;

    /* Everything that can be wrong with the input is found before any output is made. */
    plast_eval_setup setup;
    if ((rc = plast_eval_setup_init(&setup, &cfg, &err))) return cli_fail(&err);
    const plast_task_shape shape = setup.shape;

    char dir[4096];
    if (out) {
        snprintf(dir, sizeof dir, "%s", out);
    } else {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        char stem[200];
        snprintf(stem, sizeof stem, "%s", base);
        char *dot = strrchr(stem, '.');
        if (dot) *dot = '\0';
        /* eval-sine-sgd.json -> results/eval-sine-sgd-TIME, not eval-eval-sine-sgd-TIME */
        const char *name = strncmp(stem, "eval-", 5) ? stem : stem + 5;
        time_t now = time(NULL);
        struct tm tmv;
        localtime_r(&now, &tmv);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tmv);
        snprintf(dir, sizeof dir, "results/eval-%s-%s", name, stamp);
    }
    /* The directory is checked now and made only once there are results to put in it: a
     * signal (exit 75) or a failure leaves no half directory. */
    if ((rc = plast_dir_check(dir, force, &err))) goto done;

    progress_state ps = {.quiet = quiet, .tty = isatty(2)};
    clock_gettime(CLOCK_MONOTONIC, &ps.t0);
    plast_eval_result res;
    setup.interrupt = interrupt;
    if ((rc = plast_eval_setup_run(&setup, (int)threads, progress, &ps, &res, &err))) {
        if (rc == PLAST_INTERRUPTED)
            snprintf(err.msg, sizeof err.msg, "interrupted; nothing written (%.200s was not made)", dir);
        goto done;
    }
    if ((rc = plast_dir_prepare(dir, force, &err))) {
        plast_eval_result_free(&res);
        goto done;
    }

    eval_ctx ctx = {.cfg = &cfg, .res = &res, .obj = shape.objective, .threads = (int)threads,
                    .seconds = since(&ps.t0)};
    cli_command_line(ctx.cmdline, sizeof ctx.cmdline, argc, argv);
    struct { const char *name; plast_writer w; } files[] = {
        {"config.json", write_config},   {"results.json", write_results},
        {"curve.csv", write_curve_csv},  {"loss.csv", write_loss_csv},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0] && !rc; i++) {
        char fp[4200];
        rc = plast_path_join(fp, sizeof fp, dir, files[i].name, &err);
        if (!rc) rc = plast_write_atomic(fp, files[i].w, &ctx, &err);
    }
    if (!rc) rc = save_curve_plot(dir, &ctx, &err);
    int rendered = 0;
    if (!rc && plast_plot_render(dir, "curve", &rendered, &err))
        fprintf(stderr, "plast: note: %s: %s (curve.gp and curve.csv are kept)\n", err.where,
                err.msg);

    if (!rc) {
        const plast_summary *s = &res.final_sum;
        const char *metric = shape.objective->score_name;
        char head[256];
        plast_headline_format(head, sizeof head, s, res.final_median);
        if (s->n_bad)
            printf("DIVERGED: %d of %d runs (non-finite); the headline counts them by the rule below.\n",
                   s->n_bad, res.runs);
        printf("| rule | task | runs | diverged | final %s (95%% CI) |\n", metric);
        printf("|------|------|------|----------|-----------|\n");
        printf("| %s%s | %s | %d | %d | %s |\n", cfg.rule->name, cfg.rule->nonlocal ? " (non-local)" : "",
               cfg.task->name, res.runs, s->n_bad, head);
        if (s->n_bad)
            printf("rule: the median of all %d runs with a diverged run ranked worst (none when half\n"
                   "or more diverged), then the mean and CI of the finite runs alone.\n", res.runs);
        printf("continual metrics (%s, %s is better; mean [95%% CI] over runs):\n", metric,
               shape.objective->higher_better ? "higher" : "lower");
        for (int k = 0; k < PLAST_CL_N; k++)
            printf("  %-10s %.4f [%.4f, %.4f]\n", plast_cl_names[k], res.cl[k].mean, res.cl[k].lo, res.cl[k].hi);
        printf("  (%s; %s)\n", PLAST_CL_CONVENTION,
               shape.objective->higher_better ? "for accuracy, BWT < 0 and forgetting > 0 mean earlier classes were forgotten"
                                              : PLAST_CL_MSE_SIGNS);
        printf("continual curve (%s on everything seen so far):", metric);
        for (int k = 0; k < res.n_seg; k++) printf(" %.3f", res.curve_sum[k].mean);
        printf("\nresults in %s%s\n", dir,
               rendered ? " (curve.png)" : " (install gnuplot and run 'gnuplot curve.gp' there for curve.png)");
    }
    plast_eval_result_free(&res);
done:
    plast_eval_setup_free(&setup);
    return rc ? cli_fail(&err) : 0;
}
