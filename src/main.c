/* main.c — the `plast` program: the only place that prints to the user or exits.
 *
 * Subcommands parse their flags, hand the work to the library, turn its error records
 * into one message on stderr and a sysexits code (include/plast/error.h), and print
 * results on stdout. Bad input is detected before an output directory is created. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <signal.h>
#include <sys/stat.h>

#include "plast/analyze.h"
#include "plast/bench.h"
#include "plast/campaign.h"
#include "plast/config.h"
#include "plast/evaluate.h"
#include "plast/linalg.h"
#include "plast/metatrain.h"
#include "plast/mpi.h"
#include "plast/run.h"

#ifndef PLAST_VERSION
#define PLAST_VERSION "0.0.0"
#endif
#ifndef PLAST_GIT
#define PLAST_GIT ""
#endif

#define MAX_SETS 64

static int fail(const plast_err *e)
{
    if (e->where[0])
        fprintf(stderr, "plast: %s: %s\n", e->where, e->msg);
    else
        fprintf(stderr, "plast: %s\n", e->msg);
    return e->code ? e->code : PLAST_E_INTERNAL;
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "plast: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'plast help')\n");
    return PLAST_E_USAGE;
}

/* A whole decimal integer in lo..hi, or -1 with a message. */
static int parse_int(const char *flag, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "plast: %s expects an integer in %ld..%ld, not '%s'\n", flag, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* A parsed float flag value in lo..hi, or -1 with a message. */
static int parse_float(const char *flag, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "plast: %s expects a number in %g..%g, not '%s'\n", flag, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}


/* Command-line flags, table-driven: every command lists its flags once. */
typedef enum { FLAG_SWITCH, FLAG_STR, FLAG_INT, FLAG_FLOAT, FLAG_SET } flag_kind;

typedef struct set_list {
    const char *v[MAX_SETS];
    int n;
} set_list;

typedef struct flag {
    const char *name;
    flag_kind kind;
    void *dst; /* int* switch, const char** string, long* int, double* float, set_list* set */
    double lo, hi;
} flag;

/* Parses argv[1..argc) against the table; the one positional argument goes to *positional.
 * Prints the problem and returns PLAST_E_USAGE, or 0. */
static int parse_flags(int argc, char **argv, const flag *flags, int n, const char **positional)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const flag *f = NULL;
        for (int k = 0; k < n && !f; k++)
            if (!strcmp(a, flags[k].name)) f = &flags[k];
        if (!f) {
            if (a[0] == '-' && a[1]) return usage_error("unknown option %s", a);
            if (*positional) return usage_error("unexpected argument '%s'", a);
            *positional = a;
            continue;
        }
        if (f->kind == FLAG_SWITCH) {
            *(int *)f->dst = 1;
            continue;
        }
        if (i + 1 >= argc) return usage_error("option %s needs a value", a);
        const char *v = argv[++i];
        long iv;
        switch (f->kind) {
        case FLAG_STR: *(const char **)f->dst = v; break;
        case FLAG_INT:
            if (parse_int(a, v, (long)f->lo, (long)f->hi, &iv)) return PLAST_E_USAGE;
            *(long *)f->dst = iv;
            break;
        case FLAG_FLOAT:
            if (parse_float(a, v, f->lo, f->hi, (double *)f->dst)) return PLAST_E_USAGE;
            break;
        case FLAG_SET: {
            set_list *l = f->dst;
            if (l->n == MAX_SETS) return usage_error("at most %s --set options", "64");
            l->v[l->n++] = v;
            break;
        }
        case FLAG_SWITCH: break;
        }
    }
    return 0;
}

/* ---------------- help ---------------- */

static const char *const help_main =
    "plast " PLAST_VERSION " - a laboratory for local plasticity rules\n"
    "\n"
    "usage: plast COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  meta-train CAMPAIGN.json   evolve a rule's meta-parameters (resumable run directory)\n"
    "  eval CONFIG.json   score a rule on a task over many runs (mean, 95% CI, curve)\n"
    "  bench SUITE.json   methods x tasks x seeds: tables, continual curves, heatmaps\n"
    "  analyze RUN|CONFIG how a rule's updates interfere, against online SGD\n"
    "  show RUN           a run's summary and its learned meta-parameters\n"
    "  plot RUN           redraw a run's plots with gnuplot\n"
    "  list rules|tasks   the rules and tasks with their options and meta-parameters\n"
    "  help [COMMAND]     this text, or a command's\n"
    "  --version          version, git revision and BLAS\n"
    "\n"
    "exit codes: 0 ok, 64 usage, 65 bad data, 66 missing input, 70 internal,\n"
    "            74 I/O, 75 interrupted (continue with --resume), 78 bad config\n";

static const char *const help_metatrain =
    "usage: plast meta-train CAMPAIGN.json [--out DIR] [--threads N] [--seed S]\n"
    "                        [--set key=value ...] [--force] [--quiet]\n"
    "       plast meta-train --resume DIR [--threads N] [--quiet]\n"
    "\n"
    "Runs the campaign's outer loop: each generation the optimizer proposes candidate\n"
    "meta-parameters (the groups in campaign.owns), each is scored by its mean meta-loss\n"
    "over campaign.episodes training episodes (the same episodes for all candidates), and\n"
    "the mean is validated on held-out episodes every campaign.validate_every generations.\n"
    "At the end the best-validated rule is compared on the evaluation pool with its starting\n"
    "point and with online SGD (learning rate tuned on the training pool).\n"
    "\n"
    "  --out DIR     run directory (default results/CAMPAIGN-NAME); never overwritten\n"
    "                without --force\n"
    "  --resume DIR  continue a run from its checkpoint: same numbers as never stopping\n"
    "  --threads N   candidates evaluated on N threads (results do not depend on N)\n"
    "  --seed S      seed (overrides the config's)\n"
    "  --set k=v     override a config key, e.g. --set campaign.generations=100\n"
    "  --quiet       no progress lines\n"
    "\n"
    "SIGINT or SIGTERM stops after writing a checkpoint of the last finished generation\n"
    "(exit 75). Under mpirun -np N the candidates are spread over the ranks.\n"
    "writes: config.json run.json metrics.csv metrics.jsonl checkpoint.bin best.json\n"
    "        start.json summary.json summary.md metatrain.png curves.png (+ .gp, .csv)\n";

static const char *const help_bench =
    "usage: plast bench SUITE.json [--out DIR] [--threads N] [--force] [--quiet]\n"
    "\n"
    "Runs every method of the suite on every variant of its task, over the suite's runs\n"
    "(the same episodes for every method), sweeping a method's key first where it says so,\n"
    "and writes table.md/.csv/.json (final score, ACC, BWT, FWT, forgetting, learning\n"
    "accuracy with 95% bootstrap intervals), continual-learning curves, a heatmap of the\n"
    "score matrix per method and forgetting bars (PNG through gnuplot). Suites ship in\n"
    "meta/campaigns/ (bench-*.json). Default output: results/bench-NAME.\n";

static const char *const help_analyze =
    "usage: plast analyze RUN_OR_CONFIG [--task TASK.json] [--runs N] [--probes K]\n"
    "                     [--sgd-lr X] [--out DIR] [--force] [--quiet]\n"
    "\n"
    "For the rule of a meta-training run (its config.json and best.json) or of a config, and\n"
    "for online SGD from the same initial network on the very same streams, measures:\n"
    "update-update cosines of probe samples (same segment, across segments), the cosine of\n"
    "each update with minus the gradient, retroactive interference on earlier segments by\n"
    "their age with its first-order prediction, the angle between each feedback matrix and\n"
    "the transposed forward pathway, and the participation ratio of the updates.\n"
    "\n"
    "  --task TASK.json  take the task from another config (same input and output widths)\n"
    "  --runs N          runs (default: the config's, at most 10 unless given)\n"
    "  --probes K        probe samples per segment (default 4)\n"
    "  --sgd-lr X        learning rate of the SGD comparison (default 0.003)\n"
    "writes: analysis.json, cosines.png, interference.png, heatmap_rule.png, heatmap_sgd.png,\n"
    "        feedback_angle.png (+ .csv/.dat and .gp). Default output: results/analysis-NAME.\n";

static const char *const help_show =
    "usage: plast show RUN\n"
    "\n"
    "Prints a meta-training run's summary table, its best generation and, tensor by tensor,\n"
    "the learned meta-parameters (for the terms rule: the discovered rule as an equation).\n";

static const char *const help_plot =
    "usage: plast plot RUN\n"
    "\n"
    "Redraws the run's plots (metatrain.png, curves.png) from its .gp and .csv files.\n";

static const char *const help_eval =
    "usage: plast eval CONFIG.json [--runs N] [--seed S] [--threads T] [--out DIR]\n"
    "                  [--set key=value ...] [--force] [--quiet]\n"
    "\n"
    "Scores the config's rule on its task over N independent runs (episodes): the final\n"
    "score (MSE for regression, accuracy for classification) with its 95% bootstrap\n"
    "confidence interval, and the continual curve (score on everything seen so far after\n"
    "each function or class). Meta-parameters are the rule's defaults, or the tensors of\n"
    "the params file the config names (\"params\": \"RUN/best.json\").\n"
    "\n"
    "  --runs N        runs (overrides the config's \"runs\")\n"
    "  --seed S        seed (overrides \"seed\"); seed and config fix every number\n"
    "  --threads T     worker threads (results do not depend on T); default 1\n"
    "  --out DIR       output directory (default results/eval-NAME-TIME)\n"
    "  --set k=v       override a config key, e.g. --set task.order=iid\n"
    "                  --set net.hidden=[300,300] --set rule.name=sgd\n"
    "  --force         write into an existing, non-empty output directory\n"
    "  --quiet         no progress on stderr\n"
    "\n"
    "writes: config.json (resolved), results.json, curve.csv, loss.csv, curve.png\n";

static const char *const help_list =
    "usage: plast list rules|tasks\n"
    "\n"
    "Lists each rule (with its options and the meta-parameters it declares) or each task\n"
    "(with its options), with defaults and allowed values.\n";

static int cmd_help(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "eval")) fputs(help_eval, stdout);
    else if (!strcmp(what, "meta-train")) fputs(help_metatrain, stdout);
    else if (!strcmp(what, "show")) fputs(help_show, stdout);
    else if (!strcmp(what, "bench")) fputs(help_bench, stdout);
    else if (!strcmp(what, "analyze")) fputs(help_analyze, stdout);
    else if (!strcmp(what, "plot")) fputs(help_plot, stdout);
    else if (!strcmp(what, "list")) fputs(help_list, stdout);
    else if (!*what || !strcmp(what, "help")) fputs(help_main, stdout);
    else return usage_error("no help for '%s'", what);
    return 0;
}

/* ---------------- list ---------------- */

static void print_table(const plast_opt_table *t)
{
    for (int i = 0; i < t->n; i++) {
        const plast_opt *o = &t->opt[i];
        printf("    %-16s ", o->key);
        switch (o->type) {
        case PLAST_OPT_INT: printf("int %g..%g, default %g", o->lo, o->hi, o->def); break;
        case PLAST_OPT_FLOAT: printf("number %g..%g, default %g", o->lo, o->hi, o->def); break;
        case PLAST_OPT_BOOL: printf("bool, default %s", o->def ? "true" : "false"); break;
        case PLAST_OPT_STRING: printf("string, default \"%s\"", o->def_str ? o->def_str : ""); break;
        case PLAST_OPT_INTS: printf("list of ints, default [%s]", o->def_str ? o->def_str : ""); break;
        case PLAST_OPT_FLAGS:
            printf("list of names from");
            for (int k = 0; o->choices[k]; k++) printf("%s %s", k ? "," : "", o->choices[k]);
            printf("; default [%s]", o->def_str ? o->def_str : "");
            break;
        case PLAST_OPT_ENUM:
            printf("one of");
            for (int k = 0; o->choices[k]; k++) printf("%s %s", k ? "," : "", o->choices[k]);
            printf("; default %s", o->choices[(int)o->def]);
            break;
        }
        printf("\n    %-16s   %s\n", "", o->help);
    }
}

static const char *const path_names[] = {"none", "direct: B_l s + c_l",
                                         "chain: B_l delta_{l+1} + c_l",
                                         "transpose: W_{l+1}^T delta_{l+1} (non-local)"};

static int cmd_list(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "rules") && strcmp(argv[1], "tasks")))
        return usage_error("%s", "usage: plast list rules|tasks");
    int n;
    if (!strcmp(argv[1], "tasks")) {
        const plast_task *const *all = plast_task_all(&n);
        for (int i = 0; i < n; i++) {
            printf("%s - %s\n  options:\n", all[i]->name, all[i]->summary);
            print_table(&all[i]->opts);
        }
        return 0;
    }
    /* Meta-parameters depend on the network: show them for a small example network. */
    const plast_rule *const *all = plast_rule_all(&n);
    for (int i = 0; i < n; i++) {
        const plast_rule *r = all[i];
        printf("%s - %s%s\n  feedback: %s\n  options:\n", r->name, r->summary,
               r->nonlocal ? " [NON-LOCAL]" : "", path_names[r->path]);
        print_table(&r->opts);
        _Alignas(16) unsigned char opts[PLAST_OPTS_BYTES];
        plast_opts_defaults(&r->opts, opts);
        plast_net_spec sp;
        plast_net_opts no;
        plast_opts_defaults(&plast_net_opts_table, &no);
        plast_err err;
        plast_learner L;
        /* An example network: regression with every layer plastic, or, for a rule that
         * refuses that, classification on a frozen stack. */
        int rc = plast_net_spec_make(&no, 11, 1, &sp, &err);
        if (!rc && plast_learner_init(&L, &sp, r, opts, 0, &err)) {
            for (int l = 0; l < sp.n_layers - 1; l++) sp.plastic[l] = 0;
            sp.width[sp.n_layers - 1] = 5;
            rc = plast_learner_init(&L, &sp, r, opts, 1, &err);
        }
        if (rc) {
            printf("  (no example network: %s)\n\n", err.msg);
            continue;
        }
        printf("  meta-parameters (example network %d", L.net.n_in);
        for (int l = 0; l < L.net.n_layers; l++) printf("-%d", L.net.layer[l].n_out);
        printf(", default options):\n");
        if (!L.meta.n) printf("    (none)\n");
        for (int k = 0; k < L.meta.n; k++) {
            const plast_pspec *p = &L.meta.spec[k];
            char label[64];
            plast_pspec_label(p, label, sizeof label);
            printf("    %-10s [%d x %d]  group %-12s init %s %g  bounds [%g, %g]\n", label, p->rows,
                   p->cols, p->group, plast_init_names[p->init], p->a, p->lo, p->hi);
        }
        plast_learner_free(&L);
        printf("\n");
    }
    return 0;
}

/* ---------------- eval ---------------- */

typedef struct eval_ctx {
    const plast_config *cfg;
    const plast_eval_result *res;
    int classification;
    int threads;
    double seconds;
    char cmdline[2048];
} eval_ctx;

static void json_summary(FILE *f, const char *key, const plast_summary *s, const char *indent)
{
    fprintf(f, "%s\"%s\": {\"mean\": %.9g, \"std\": %.9g, \"ci95\": [%.9g, %.9g], \"n\": %d, "
               "\"diverged\": %d}",
            indent, key, s->mean, s->std, s->lo, s->hi, s->n, s->n_bad);
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
    fprintf(f, "  \"seconds\": %.3f,\n", c->seconds);
    fprintf(f, "  \"score\": \"%s\",\n",
            c->classification ? "accuracy (higher is better)" : "MSE (lower is better)");
    fprintf(f, "  \"ci_method\": \"percentile bootstrap of the mean, %d resamples\",\n",
            c->cfg->run.bootstrap);
    json_summary(f, "final", &r->final_sum, "  ");
    fprintf(f, ",\n  \"curve\": [\n");
    for (int k = 0; k < r->n_seg; k++) {
        json_summary(f, "after", &r->curve_sum[k], "    {");
        fprintf(f, ", \"segments_seen\": %d}%s\n", k + 1, k + 1 < r->n_seg ? "," : "");
    }
    fprintf(f, "  ],\n  \"final_per_run\": [");
    for (int i = 0; i < r->runs; i++) fprintf(f, "%s%.9g", i ? ", " : "", (double)r->final[i]);
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

static int write_curve_gp(FILE *f, const void *p)
{
    const eval_ctx *c = p;
    fprintf(f, "# Continual curve of one evaluation: mean score on everything seen so far, with\n"
               "# its 95%% bootstrap confidence band. Render with: gnuplot curve.gp\n");
    plast_gp_header(f, "curve", 800, 500);
    fprintf(f,
            "set title '%s on %s: %d runs'\n"
            "set xlabel 'segments (functions or classes) seen'\n"
            "set ylabel '%s on segments seen so far'\n"
            "set key top left\n"
            "plot 'curve.csv' skip 1 using 1:3:4 with filledcurves lc rgb '#9ecae1' title '95%% CI', \\\n"
            "     'curve.csv' skip 1 using 1:2 with linespoints lw 2 lc rgb '#08519c' title 'mean'\n",
            c->cfg->rule->name, c->cfg->task->name, c->res->runs,
            c->classification ? "accuracy (higher is better)" : "MSE (lower is better)");
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
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

static int cmd_eval(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    set_list sets = {.n = 0};
    int force = 0, quiet = 0;
    long runs = -1, seed = -1, threads = 1;
    const flag flags[] = {
        {"--runs", FLAG_INT, &runs, 1, 1000000},   {"--seed", FLAG_INT, &seed, 0, INT_MAX},
        {"--threads", FLAG_INT, &threads, 1, 256}, {"--out", FLAG_STR, &out, 0, 0},
        {"--set", FLAG_SET, &sets, 0, 0},          {"--force", FLAG_SWITCH, &force, 0, 0},
        {"--quiet", FLAG_SWITCH, &quiet, 0, 0},
    };
    if (parse_flags(argc, argv, flags, sizeof flags / sizeof flags[0], &path)) return PLAST_E_USAGE;
    if (!path) return usage_error("%s", "usage: plast eval CONFIG.json [options]");

    plast_err err;
    plast_err_clear(&err);
    static plast_config cfg;
    int rc = plast_config_load(&cfg, path, sets.v, sets.n, &plast_campaign_opts_table, &err);
    if (rc) return fail(&err);
    if (runs > 0) cfg.run.runs = (int)runs;
    if (seed >= 0) cfg.run.seed = (int)seed;

    /* Everything that can be wrong with the input is found before any output is made. */
    plast_eval_setup setup;
    if ((rc = plast_eval_setup_init(&setup, &cfg, &err))) return fail(&err);
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
        time_t now = time(NULL);
        struct tm tmv;
        localtime_r(&now, &tmv);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tmv);
        snprintf(dir, sizeof dir, "results/eval-%s-%s", stem, stamp);
    }
    if ((rc = plast_dir_prepare(dir, force, &err))) goto done;

    progress_state ps = {.quiet = quiet, .tty = isatty(2)};
    clock_gettime(CLOCK_MONOTONIC, &ps.t0);
    plast_eval_result res;
    if ((rc = plast_eval_setup_run(&setup, (int)threads, progress, &ps, &res, &err))) goto done;

    eval_ctx ctx = {.cfg = &cfg, .res = &res, .classification = shape.classification, .threads = (int)threads,
                    .seconds = since(&ps.t0)};
    size_t used = (size_t)snprintf(ctx.cmdline, sizeof ctx.cmdline, "plast");
    for (int i = 0; i < argc && used < sizeof ctx.cmdline; i++)
        used += (size_t)snprintf(ctx.cmdline + used, sizeof ctx.cmdline - used, " %s", argv[i]);
    struct { const char *name; plast_writer w; } files[] = {
        {"config.json", write_config},   {"results.json", write_results},
        {"curve.csv", write_curve_csv},  {"loss.csv", write_loss_csv},
        {"curve.gp", write_curve_gp},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0] && !rc; i++) {
        char fp[4200];
        rc = plast_path_join(fp, sizeof fp, dir, files[i].name, &err);
        if (!rc) rc = plast_write_atomic(fp, files[i].w, &ctx, &err);
    }
    int rendered = 0;
    if (!rc && plast_plot_render(dir, "curve", &rendered, &err))
        fprintf(stderr, "plast: note: %s: %s (curve.gp and curve.csv are kept)\n", err.where,
                err.msg);

    if (!rc) {
        const plast_summary *s = &res.final_sum;
        const char *metric = shape.classification ? "accuracy" : "MSE";
        printf("| rule | task | runs | final %s | 95%% CI | diverged |\n", metric);
        printf("|------|------|------|-----------|--------|----------|\n");
        printf("| %s%s | %s | %d | %.4f | [%.4f, %.4f] | %d |\n", cfg.rule->name,
               cfg.rule->nonlocal ? " (non-local)" : "", cfg.task->name, res.runs, s->mean, s->lo,
               s->hi, s->n_bad);
        printf("continual curve (%s on everything seen so far):", metric);
        for (int k = 0; k < res.n_seg; k++) printf(" %.3f", res.curve_sum[k].mean);
        printf("\nresults in %s%s\n", dir,
               rendered ? " (curve.png)" : " (install gnuplot and run 'gnuplot curve.gp' there for curve.png)");
    }
    plast_eval_result_free(&res);
done:
    plast_eval_setup_free(&setup);
    return rc ? fail(&err) : 0;
}

/* ---------------- bench ---------------- */

static void bench_note(void *ctx, const char *msg)
{
    if (!*(const int *)ctx) fprintf(stderr, "bench: %s\n", msg);
}

static int cmd_bench(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    int force = 0, quiet = 0;
    long threads = 1;
    const flag flags[] = {
        {"--threads", FLAG_INT, &threads, 1, 256}, {"--out", FLAG_STR, &out, 0, 0},
        {"--force", FLAG_SWITCH, &force, 0, 0},    {"--quiet", FLAG_SWITCH, &quiet, 0, 0},
    };
    if (parse_flags(argc, argv, flags, sizeof flags / sizeof flags[0], &path)) return PLAST_E_USAGE;
    if (!path) return usage_error("%s", "usage: plast bench SUITE.json [options]");
    static plast_suite suite;
    plast_err err;
    plast_err_clear(&err);
    if (plast_suite_load(&suite, path, &err) || plast_bench_check(&suite, &err)) {
        plast_suite_free(&suite);
        return fail(&err);
    }
    char dir[4096];
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else snprintf(dir, sizeof dir, "results/bench-%s", suite.name);
    int rc = plast_dir_prepare(dir, force, &err);
    static char table[1 << 16];
    plast_bench_hooks hooks = {bench_note, &quiet};
    if (!rc) rc = plast_bench_run(&suite, dir, (int)threads, &hooks, table, sizeof table, &err);
    plast_suite_free(&suite);
    if (rc) return fail(&err);
    fputs(table, stdout);
    printf("\nresults in %s (table.md, table.csv, table.json, curves_*.png, heatmap_*.png, forgetting_*.png)\n", dir);
    return 0;
}

/* ---------------- analyze ---------------- */

static int cmd_analyze(int argc, char **argv)
{
    const char *what = NULL, *task = NULL, *out = NULL;
    long runs = -1, probes = 4;
    double sgd_lr = 0.003;
    int force = 0, quiet = 0;
    const flag flags[] = {
        {"--task", FLAG_STR, &task, 0, 0},           {"--out", FLAG_STR, &out, 0, 0},
        {"--runs", FLAG_INT, &runs, 1, 100000},      {"--probes", FLAG_INT, &probes, 1, 1000},
        {"--sgd-lr", FLAG_FLOAT, &sgd_lr, 0.0, 1e3}, {"--force", FLAG_SWITCH, &force, 0, 0},
        {"--quiet", FLAG_SWITCH, &quiet, 0, 0},
    };
    if (parse_flags(argc, argv, flags, sizeof flags / sizeof flags[0], &what)) return PLAST_E_USAGE;
    if (!what) return usage_error("%s", "usage: plast analyze RUN_OR_CONFIG [options]");
    static plast_config cfg, tcfg;
    plast_err err;
    plast_err_clear(&err);
    char path[4200];
    struct stat st;
    int is_run = stat(what, &st) == 0 && S_ISDIR(st.st_mode);
    int rc = is_run ? plast_path_join(path, sizeof path, what, "config.json", &err) : PLAST_OK;
    if (!is_run) snprintf(path, sizeof path, "%s", what);
    if (!rc) rc = plast_config_load(&cfg, path, NULL, 0, &plast_campaign_opts_table, &err);
    if (!rc && is_run) {
        char best[4200];
        rc = plast_path_join(best, sizeof best, what, "best.json", &err);
        if (!rc && access(best, R_OK))
            rc = plast_err_set(&err, PLAST_E_NOINPUT, best, "the run has no best.json yet");
        if (!rc && snprintf(cfg.run.params, sizeof cfg.run.params, "%s", best) >= (int)sizeof cfg.run.params)
            rc = plast_err_set(&err, PLAST_E_USAGE, best, "path too long");
    }
    if (!rc && task) {
        rc = plast_config_load(&tcfg, task, NULL, 0, &plast_campaign_opts_table, &err);
        if (!rc) {
            cfg.task = tcfg.task;
            memcpy(cfg.task_opts, tcfg.task_opts, sizeof cfg.task_opts);
        }
    }
    if (rc) return fail(&err);
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
    if ((rc = plast_eval_setup_init(&check, &cfg, &err))) return fail(&err);
    plast_eval_setup_free(&check);
    if ((rc = plast_dir_prepare(dir, force, &err))) return fail(&err);
    if (!quiet) fprintf(stderr, "analyze: %s on %s, %d runs, against online SGD (lr %g)\n", cfg.rule->name,
                        cfg.task->name, spec.runs, sgd_lr);
    static plast_an_result res;
    if ((rc = plast_analyze(&spec, &res, &err))) return fail(&err);
    int n_plots = 0;
    rc = plast_analyze_write(&res, cfg.rule->name, dir, &n_plots, &err);
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
        printf("results in %s (analysis.json%s)\n", dir, n_plots ? ", plots" : "; gnuplot not installed: .gp files kept");
    }
    plast_an_result_free(&res);
    return rc ? fail(&err) : 0;
}

/* ---------------- meta-train ---------------- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct mt_progress {
    int quiet;
    struct timespec t0;
} mt_progress;

static void mt_generation(void *ctx, const plast_gen_stats *s, long total)
{
    const mt_progress *p = ctx;
    if (p->quiet) return;
    double per_gen = s->gen > 0 ? s->wall_s / (double)s->gen : 0.0;
    fprintf(stderr, "gen %5ld/%ld  best %.5g  mean %.5g  sigma %.3g  %.1f evals/s", s->gen, total,
            s->best, s->mean, s->sigma, s->evals_per_s);
    if (isfinite(s->valid)) fprintf(stderr, "  valid %.5g (best %.5g)", s->valid, s->best_valid);
    fprintf(stderr, "  ETA %.0f s\n", per_gen * (double)(total - s->gen));
}

static void mt_note(void *ctx, const char *msg)
{
    const mt_progress *p = ctx;
    if (!p->quiet) fprintf(stderr, "meta-train: %s\n", msg);
}

static int cmd_metatrain(int argc, char **argv, const plast_comm *comm)
{
    plast_metatrain_args a = {.seed = -1, .threads = 1, .version = PLAST_VERSION, .git = PLAST_GIT};
    set_list sets = {.n = 0};
    int quiet = 0;
    long threads = 1;
    const flag flags[] = {
        {"--threads", FLAG_INT, &threads, 1, 256},  {"--seed", FLAG_INT, &a.seed, 0, INT_MAX},
        {"--out", FLAG_STR, &a.out_dir, 0, 0},      {"--resume", FLAG_STR, &a.resume_dir, 0, 0},
        {"--set", FLAG_SET, &sets, 0, 0},           {"--force", FLAG_SWITCH, &a.force, 0, 0},
        {"--quiet", FLAG_SWITCH, &quiet, 0, 0},
    };
    if (parse_flags(argc, argv, flags, sizeof flags / sizeof flags[0], &a.config_path))
        return PLAST_E_USAGE;
    a.threads = (int)threads;
    a.n_sets = sets.n;
    if (!a.config_path == !a.resume_dir)
        return usage_error("%s", "usage: plast meta-train CAMPAIGN.json | --resume DIR (see 'plast help meta-train')");
    if (a.resume_dir && (a.out_dir || a.force))
        return usage_error("%s", "--resume continues in its own directory: no --out or --force");
    a.sets = sets.v;
    a.comm = *comm;
    char cmdline[2048];
    size_t used = (size_t)snprintf(cmdline, sizeof cmdline, "plast");
    for (int i = 0; i < argc && used < sizeof cmdline; i++)
        used += (size_t)snprintf(cmdline + used, sizeof cmdline - used, " %s", argv[i]);
    a.cmdline = cmdline;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    mt_progress pr = {.quiet = quiet || comm->rank != 0};
    plast_metatrain_hooks hooks = {mt_generation, mt_note, &pr};
    static plast_metatrain_result res;
    plast_err err;
    plast_err_clear(&err);
    int rc = plast_metatrain(&a, &interrupted, &hooks, &res, &err);
    if (comm->rank != 0) return rc;
    if (rc) return fail(&err);
    printf("%s\nstopped: %s; the meta-trained rule %s its starting point (95%% intervals %s)\n",
           res.table, res.stop_reason ? res.stop_reason : "?",
           res.beats_start ? "beats" : "does NOT beat",
           res.beats_start ? "do not overlap" : "overlap or are on the wrong side");
    printf("run directory: %s (best.json, summary.md, metatrain.png, curves.png)\n", res.dir);
    return 0;
}

static int cmd_plot(int argc, char **argv)
{
    if (argc != 2) return usage_error("%s", "usage: plast plot RUN");
    plast_err err;
    int n;
    if (plast_metatrain_plot(argv[1], &n, &err)) return fail(&err);
    if (!n) {
        fprintf(stderr, "plast: no plot rendered in %s (gnuplot missing, or no .gp files)\n", argv[1]);
        return PLAST_E_NOINPUT;
    }
    printf("%d plot(s) redrawn in %s\n", n, argv[1]);
    return 0;
}

static int cmd_show(int argc, char **argv)
{
    if (argc != 2) return usage_error("%s", "usage: plast show RUN");
    const char *dir = argv[1];
    char path[4200];
    plast_err err;
    plast_err_clear(&err);
    static plast_config cfg;
    if (plast_path_join(path, sizeof path, dir, "config.json", &err) ||
        plast_config_load(&cfg, path, NULL, 0, &plast_campaign_opts_table, &err))
        return fail(&err);
    plast_task_shape sh;
    plast_net_spec sp;
    plast_learner L;
    if (cfg.task->shape(cfg.task_opts, &sh, &err) ||
        plast_net_spec_make(&cfg.net, sh.n_in, sh.n_out, &sp, &err) ||
        plast_learner_init(&L, &sp, cfg.rule, cfg.rule_opts, sh.classification, &err))
        return fail(&err);
    unsigned char mnet[PLAST_MAX_PSPECS] = {0}, mmeta[PLAST_MAX_PSPECS] = {0};
    plast_pset *secs[2] = {&L.net.p, &L.meta};
    const char *names[2] = {"net", "meta"};
    unsigned char *masks[2] = {mnet, mmeta};
    int rc = plast_path_join(path, sizeof path, dir, "best.json", &err);
    if (!rc) rc = plast_params_read(path, cfg.rule->name, secs, names, 2, masks, NULL, &err);
    if (rc) {
        plast_learner_free(&L);
        return fail(&err);
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

int main(int argc, char **argv)
{
    plast_linalg_init();
    /* Past a file-size limit a write must fail with EFBIG (exit 74 naming the file, the
     * temporary file removed) rather than the default SIGXFSZ killing the process. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        fputs(help_main, stderr);
        return PLAST_E_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("plast %s%s%s\n%s\nMPI: %s\n", PLAST_VERSION, PLAST_GIT[0] ? " git " : "", PLAST_GIT,
               plast_linalg_blas_name(), plast_mpi_available() ? "yes" : "no");
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
        return cmd_help(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "meta-train")) {
        plast_comm comm = {0, 1, NULL, NULL};
        if (!plast_mpi_launched()) return cmd_metatrain(argc - 1, argv + 1, &comm);
        plast_err err;
        if (plast_mpi_init(&argc, &argv, &comm, &err)) return fail(&err);
        int rc = cmd_metatrain(argc - 1, argv + 1, &comm);
        plast_mpi_finalize();
        return rc;
    }
    if (!strcmp(cmd, "show")) return cmd_show(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "analyze")) return cmd_analyze(argc - 1, argv + 1);
    if (!strcmp(cmd, "plot")) return cmd_plot(argc - 1, argv + 1);
    if (!strcmp(cmd, "list")) return cmd_list(argc - 1, argv + 1);
    return usage_error("unknown command '%s'", cmd);
}
