/* cmd_compare.c — `plast compare DIR...`: evals, meta-training runs and bench outputs side
 * by side (include/plast/compare.h): the final scores with their CIs, every entry's
 * difference from the baseline (the first, or --baseline LABEL) with its bootstrap CI, and
 * the continual curves overlaid in one plot. Entries scored on different tasks or
 * protocols are refused (exit 65) naming the keys that differ; nothing is written then. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "plast/compare.h"
#include "plast/config.h"
#include "plast/plot.h"
#include "plast/run.h"

#define CMP_BOOT 2000
#define CMP_SEED 14u

typedef struct cmp_ctx {
    const plast_cmp_entry *e;
    int n, base;
    const plast_cmp_diff *d;
    const char *cmdline;
} cmp_ctx;

static void headline(char *buf, size_t n, const plast_cmp_entry *x)
{
    if (x->diverged)
        snprintf(buf, n, "%d/%d DIVERGED; median of all, diverged = worst: %.4f; finite: %.4f [%.4f, %.4f]",
                 x->diverged, x->runs, x->median_all, x->mean, x->lo, x->hi);
    else
        snprintf(buf, n, "%.4f [%.4f, %.4f]", x->mean, x->lo, x->hi);
}

static void verdict(char *buf, size_t n, const plast_cmp_entry *x, const plast_cmp_diff *d)
{
    if (!isfinite(d->mean)) {
        snprintf(buf, n, "no per-run scores recorded");
        return;
    }
    const char *word = d->lo > 0.0 || d->hi < 0.0
                           ? ((d->lo > 0.0) == (x->higher_better != 0) ? "better" : "worse")
                           : "no clear difference (CI contains 0)";
    snprintf(buf, n, "%+.4f [%+.4f, %+.4f] %s, %s", d->mean, d->lo, d->hi, d->paired ? "paired" : "unpaired", word);
}

static int w_md(FILE *f, const void *p)
{
    const cmp_ctx *c = p;
    const plast_cmp_entry *b = &c->e[c->base];
    fprintf(f, "| # | source | method | runs | diverged | final %s [95%% CI] | difference from #%d [95%% CI] |\n",
            b->score, c->base + 1);
    fputs("|---|---|---|---|---|---|---|\n", f);
    for (int i = 0; i < c->n; i++) {
        char h[256], v[160];
        headline(h, sizeof h, &c->e[i]);
        if (i == c->base) snprintf(v, sizeof v, "(baseline)");
        else verdict(v, sizeof v, &c->e[i], &c->d[i]);
        fprintf(f, "| %d | %s | %s | %d | %d | %s | %s |\n", i + 1, c->e[i].source, c->e[i].label, c->e[i].runs,
                c->e[i].diverged, h, v);
    }
    fprintf(f, "\n%s, %s is better. Differences: method minus baseline, 95%% percentile bootstrap (%d "
               "resamples) of the mean per-run difference when both saw the same episodes (paired: same task, "
               "seed and runs), else of the difference of independent means; diverged runs left out.\n",
            b->score, b->higher_better ? "higher" : "lower", CMP_BOOT);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int w_json(FILE *f, const void *p)
{
    const cmp_ctx *c = p;
    fputs("{\n  \"command\": ", f);
    plast_json_write_string(f, c->cmdline);
    fprintf(f, ",\n  \"score\": \"%s (%s is better)\",\n  \"baseline\": %d,\n", c->e[0].score,
            c->e[0].higher_better ? "higher" : "lower", c->base);
    fprintf(f, "  \"ci\": \"95%% percentile bootstrap, %d resamples; paired over runs when the same episodes\",\n"
               "  \"entries\": [",
            CMP_BOOT);
    for (int i = 0; i < c->n; i++) {
        const plast_cmp_entry *x = &c->e[i];
        fputs(i ? ",\n    {\"source\": " : "\n    {\"source\": ", f);
        plast_json_write_string(f, x->source);
        fputs(", \"kind\": ", f);
        plast_json_write_string(f, x->kind);
        fputs(", \"method\": ", f);
        plast_json_write_string(f, x->label);
        fprintf(f, ", \"runs\": %d, \"diverged\": %d, \"final\": {\"mean\": ", x->runs, x->diverged);
        plast_json_write_number(f, x->mean);
        fputs(", \"ci95\": [", f);
        plast_json_write_number(f, x->lo);
        fputs(", ", f);
        plast_json_write_number(f, x->hi);
        fputs("]}, \"final_median_all\": ", f);
        plast_json_write_number(f, x->median_all);
        if (i != c->base) {
            fputs(", \"difference\": {\"mean\": ", f);
            plast_json_write_number(f, c->d[i].mean);
            fputs(", \"ci95\": [", f);
            plast_json_write_number(f, c->d[i].lo);
            fputs(", ", f);
            plast_json_write_number(f, c->d[i].hi);
            fprintf(f, "], \"paired\": %s, \"n\": %d, \"left_out\": %d}", c->d[i].paired ? "true" : "false",
                    c->d[i].n_used, c->d[i].n_left_out);
        }
        fputc('}', f);
    }
    fputs("\n  ]\n}\n", f);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* curves.csv: segments seen, then mean, lo, hi of each entry (nan where it has no curve). */
static int w_curves(FILE *f, const void *p)
{
    const cmp_ctx *c = p;
    int T = 0;
    for (int i = 0; i < c->n; i++) T = c->e[i].n_seg > T ? c->e[i].n_seg : T;
    fputs("segments_seen", f);
    for (int i = 0; i < c->n; i++) fprintf(f, ",m%d,lo%d,hi%d", i + 1, i + 1, i + 1);
    fputc('\n', f);
    for (int k = 0; k < T; k++) {
        fprintf(f, "%d", k + 1);
        for (int i = 0; i < c->n; i++) {
            const plast_cmp_entry *x = &c->e[i];
            if (k < x->n_seg) fprintf(f, ",%.9g,%.9g,%.9g", x->curve[k], x->curve_lo[k], x->curve_hi[k]);
            else fputs(",nan,nan,nan", f);
        }
        fputc('\n', f);
    }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int write_out(const char *dir, const cmp_ctx *c, int *rendered, plast_err *err)
{
    static const struct {
        const char *name;
        plast_writer w;
    } files[] = {{"compare.md", w_md}, {"compare.json", w_json}, {"curves.csv", w_curves}};
    int rc = plast_dir_prepare(dir, 0, err);
    for (size_t i = 0; !rc && i < sizeof files / sizeof files[0]; i++) {
        char path[4300];
        rc = plast_path_join(path, sizeof path, dir, files[i].name, err);
        if (!rc) rc = plast_write_atomic(path, files[i].w, c, err);
    }
    if (rc) return rc;
    plast_plot_series *s = calloc(2 * (size_t)c->n, sizeof *s);
    char(*titles)[96] = calloc((size_t)c->n, sizeof *titles);
    if (!s || !titles) {
        free(s), free(titles);
        return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (compare)");
    }
    int ns = 0, integer_x = 1;
    for (int i = 0; i < c->n; i++) {
        if (!c->e[i].n_seg) continue;
        integer_x &= c->e[i].n_seg <= 20;
        snprintf(titles[i], sizeof titles[i], "#%d %.70s", i + 1, c->e[i].label);
        const char *col = plast_plot_colour(i);
        s[ns++] = (plast_plot_series){PLAST_PLOT_BAND, 0, 3 + 3 * i, 4 + 3 * i, col, NULL, 0, 0};
        s[ns++] = (plast_plot_series){PLAST_PLOT_POINTS, 2 + 3 * i, 0, 0, col, titles[i], 0, plast_plot_dash(i)};
    }
    char ylabel[96];
    snprintf(ylabel, sizeof ylabel, "%s on everything seen so far (%s is better)", c->e[0].score,
             c->e[0].higher_better ? "higher" : "lower");
    plast_plot_lines pl = {
        .name = "curves", .data = "curves.csv",
        .about = "Continual curves of the compared methods, overlaid: score on everything seen so\n"
                 "far with 95% bootstrap bands; the numbers in the legend are those of compare.md.",
        .title = "plast compare: continual curves", .xlabel = "segments (functions or classes) seen",
        .ylabel = ylabel, .width = 1000, .height = 540, .key = PLAST_PLOT_KEY_RIGHT, .integer_x = integer_x,
        .series = s, .n_series = ns};
    rc = plast_plot_save_lines(dir, &pl, err);
    free(s), free(titles);
    if (!rc) rc = plast_plot_render(dir, "curves", rendered, err);
    return rc;
}

/* Flags come anywhere; every other argument is a directory to compare. */
int cli_compare(int argc, char **argv)
{
    const char *out = NULL, *baseline = NULL;
    int quiet = 0;
    const cli_flag flags[] = {
        {"--out", CLI_STR, &out, 0, 0}, {"--baseline", CLI_STR, &baseline, 0, 0}, {"--quiet", CLI_SWITCH, &quiet, 0, 0}};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    const char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
    if (!rest || !dirs) {
        free(rest), free(dirs);
        fprintf(stderr, "plast: out of memory\n");
        return PLAST_E_INTERNAL;
    }
    int nr = 1, nd = 0;
    rest[0] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            rest[nr++] = argv[i];
            if ((!strcmp(argv[i], "--out") || !strcmp(argv[i], "--baseline")) && i + 1 < argc) rest[nr++] = argv[++i];
        } else {
            dirs[nd++] = argv[i];
        }
    }
    const char *positional = NULL;
    int rc = cli_parse_flags(nr, rest, flags, sizeof flags / sizeof flags[0], &positional);
    if (!rc && nd < 1)
        rc = cli_usage_error("%s", "usage: plast compare RUN_OR_BENCH... [--baseline LABEL] [--out DIR]");
    plast_cmp_entry *e = NULL;
    int n = 0, base = 0;
    plast_err err;
    plast_err_clear(&err);
    for (int i = 0; !rc && i < nd; i++)
        if (plast_compare_load(dirs[i], &e, &n, &err)) rc = cli_fail(&err);
    if (!rc && n < 2)
        rc = cli_usage_error("%s", "nothing to compare: these directories hold one result; give another");
    if (!rc && baseline) {
        base = -1;
        for (int i = 0; i < n && base < 0; i++)
            if (strstr(e[i].label, baseline)) base = i;
        if (base < 0) rc = cli_usage_error("--baseline '%s' names no compared method", baseline);
    }
    if (!rc && plast_compare_check(e, n, &err)) rc = cli_fail(&err);
    plast_cmp_diff *d = rc ? NULL : calloc((size_t)n, sizeof *d);
    if (!rc && !d) rc = PLAST_E_INTERNAL;
    for (int i = 0; !rc && i < n; i++)
        if (i != base && plast_compare_diff(&e[base], &e[i], CMP_BOOT, CMP_SEED, &d[i], &err)) rc = cli_fail(&err);
    if (!rc) {
        char cmdline[2048], dir[4096];
        cli_command_line(cmdline, sizeof cmdline, argc, argv);
        cmp_ctx c = {e, n, base, d, cmdline};
        if (out) {
            snprintf(dir, sizeof dir, "%s", out);
        } else {
            time_t now = time(NULL);
            struct tm tmv;
            localtime_r(&now, &tmv);
            char stamp[32];
            strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tmv);
            snprintf(dir, sizeof dir, "results/compare-%s", stamp);
        }
        int rendered = 0;
        w_md(stdout, &c);
        for (int i = 0; i < n; i++)
            if (e[i].diverged) {
                printf("DIVERGED: #%d has %d of %d runs non-finite (its headline counts them as worst).\n", i + 1,
                       e[i].diverged, e[i].runs);
            }
        if (write_out(dir, &c, &rendered, &err)) rc = cli_fail(&err);
        else if (!quiet)
            printf("results in %s (compare.md, compare.json, curves.csv%s)\n", dir, rendered ? ", curves.png" : "");
    }
    free(d);
    plast_compare_free(e, n);
    free(rest), free(dirs);
    return rc;
}
