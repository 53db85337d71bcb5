/* bench.c — benchmark suites (see include/plast/bench.h). */
#include "plast/bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plast/plot.h"
#include "plast/run_record.h"
#include "plast/registry.h"
#include "plast/run.h"

enum { N_METRICS = 6 };
static const char *const metric_names[N_METRICS] = {"final", "ACC", "BWT", "FWT", "forgetting",
                                                    "learning"};

typedef struct cell {
    int done;
    const plast_objective *obj; /* what the cell was scored on */
    double swept;             /* chosen sweep value (NAN: no sweep) */
    double median;            /* headline over all runs: median, diverged = worst */
    plast_summary m[N_METRICS];
    int n_seg, runs;
    plast_summary *curve;     /* [n_seg] */
    float *R;                 /* [n_seg][n_seg] mean over runs */
    float *final;             /* [runs] per-run final scores (for plast compare) */
} cell;

typedef struct bench {
    const plast_suite *s;
    const char *dir;
    int threads;
    const plast_bench_hooks *hooks;
    char suite_dir[4200]; /* the suite file's directory relative to dir (bench.json, cell identity) */
    long work_done, work_total; /* runs, sweeps included, this session */
    char vslug[PLAST_SUITE_MAX][48], mslug[PLAST_SUITE_MAX][48];
    cell cells[PLAST_SUITE_MAX][PLAST_SUITE_MAX];
} bench;

/* A label as a file-name part: lower case letters, digits, '-' for anything else (runs
 * collapsed), at most 40 characters; "x" when nothing is left. */
static void slug(const char *label, char *out, size_t n)
{
    size_t k = 0;
    for (const char *c = label; *c && k + 1 < n && k < 40; c++) {
        unsigned char ch = (unsigned char)*c;
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) out[k++] = (char)ch;
        else if (ch >= 'A' && ch <= 'Z') out[k++] = (char)(ch - 'A' + 'a');
        else if (ch == '.' && k && out[k - 1] != '-') out[k++] = '.';
        else if (k && out[k - 1] != '-') out[k++] = '-';
    }
    while (k && (out[k - 1] == '-' || out[k - 1] == '.')) k--;
    if (!k) out[k++] = 'x';
    out[k] = '\0';
}

/* Slugs of n labels, made distinct by a "-2", "-3" ... suffix. */
static void slugs(const plast_suite_entry *x, int n, char out[][48])
{
    for (int i = 0; i < n; i++) {
        slug(x[i].label, out[i], 40);
        for (int j = 0, dup = 1; j < i; j++)
            if (!strcmp(out[i], out[j])) {
                char base[36];
                snprintf(base, sizeof base, "%.34s", out[i]);
                snprintf(out[i], 48, "%s-%d", base, ++dup % 1000);
                j = -1;
            }
    }
}

static void note(const bench *b, const char *fmt, const char *a, const char *c)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a, c);
    if (b->hooks && b->hooks->note) b->hooks->note(b->hooks->ctx, msg);
}

/* A relative params path of a suite is read from the suite file's directory. */
static int suite_relative(const plast_suite *s, plast_config *cfg, plast_err *err)
{
    char *p = cfg->run.params;
    if (!p[0] || p[0] == '/' || !s->dir[0]) return PLAST_OK;
    char joined[sizeof cfg->run.params];
    if (snprintf(joined, sizeof joined, "%s/%s", s->dir, p) >= (int)sizeof joined)
        return plast_err_set(err, PLAST_E_CONFIG, "params", "path too long: %s/%s", s->dir, p);
    memcpy(p, joined, sizeof joined);
    return PLAST_OK;
}

typedef struct bench_progress_ctx {
    bench *b;
    long base;
} bench_progress_ctx;

static void bench_progress(void *ctx, int done, int total)
{
    (void)total;
    const bench_progress_ctx *pc = ctx;
    const plast_bench_hooks *h = pc->b->hooks;
    if (h && h->progress) h->progress(h->ctx, pc->base + done, pc->b->work_total);
}

/* The config of (variant, method): the base with sets[n] applied, params paths relative
 * to the suite file. */
static int cell_config(const plast_suite *s, int v, int m, const char *const *sets, int n, plast_config *cfg,
                       plast_err *err)
{
    char origin[300];
    snprintf(origin, sizeof origin, "suite %s: %s / %s", s->name, s->variant[v].label, s->method[m].label);
    plast_registry reg = plast_registry_builtin(0);
    int rc = plast_config_parse(cfg, s->base, origin, sets, n, &reg, err);
    return rc ? rc : suite_relative(s, cfg, err);
}

/* The task section a (variant, method) is scored on, as one JSON object ({} when its config
 * cannot be made: it was made when the cell ran). */
static void write_cell_task(FILE *f, const plast_suite *s, int v, int m)
{
    const char *sets[2 * PLAST_SUITE_SETS + 8];
    int n = 0;
    for (int i = 0; i < s->variant[v].n_sets; i++) sets[n++] = s->variant[v].sets[i];
    for (int i = 0; i < s->method[m].n_sets; i++) sets[n++] = s->method[m].sets[i];
    for (int i = 0; i < s->n_extra; i++) sets[n++] = s->extra[i];
    plast_config *cfg = malloc(sizeof *cfg); /* large */
    plast_err e;
    if (cfg && !cell_config(s, v, m, sets, n, cfg, &e)) plast_config_write_task(cfg, f);
    else fputs("{}", f);
    free(cfg);
}

/* The config of (variant, method) with extra overrides, then evaluated. */
static int evaluate(bench *b, int v, int m, const char *const *extra, int n_extra,
                    plast_eval_result *res, plast_task_shape *shape, plast_err *err)
{
    const plast_suite *s = b->s;
    const char *sets[3 * PLAST_SUITE_SETS + 8];
    int n = 0;
    for (int i = 0; i < s->variant[v].n_sets; i++) sets[n++] = s->variant[v].sets[i];
    for (int i = 0; i < s->method[m].n_sets; i++) sets[n++] = s->method[m].sets[i];
    for (int i = 0; i < s->n_extra; i++) sets[n++] = s->extra[i];
    for (int i = 0; i < n_extra; i++) sets[n++] = extra[i];
    plast_config *cfg = malloc(sizeof *cfg); /* large */
    if (!cfg) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (bench)");
    plast_eval_setup setup;
    int rc = cell_config(s, v, m, sets, n, cfg, err);
    if (!rc && !(rc = plast_eval_setup_init(&setup, cfg, err))) {
        *shape = setup.shape;
        setup.interrupt = b->hooks ? b->hooks->interrupt : NULL;
        long base = b->work_done;
        bench_progress_ctx pc = {b, base};
        rc = plast_eval_setup_run(&setup, b->threads, bench_progress, &pc, res, err);
        b->work_done = base + cfg->run.runs;
        plast_eval_setup_free(&setup);
    }
    free(cfg);
    return rc;
}

static int run_cell(bench *b, int v, int m, plast_err *err)
{
    const plast_suite *s = b->s;
    const plast_suite_entry *me = &s->method[m];
    cell *c = &b->cells[v][m];
    char seed[64], runs[64], boot[64], sweep[128];
    snprintf(boot, sizeof boot, "bootstrap=%d", s->bootstrap);
    plast_eval_result res;
    plast_task_shape shape;
    int rc;
    c->swept = NAN;
    if (me->sweep_key[0]) {
        /* Each value on separate runs (another seed); the best mean final score wins. */
        snprintf(seed, sizeof seed, "seed=%d", s->seed + 1000);
        snprintf(runs, sizeof runs, "runs=%d", me->sweep_runs);
        double best = NAN;
        for (int i = 0; i < me->n_values; i++) {
            snprintf(sweep, sizeof sweep, "%s=%.9g", me->sweep_key, me->values[i]);
            const char *extra[4] = {seed, runs, boot, sweep};
            if ((rc = evaluate(b, v, m, extra, 4, &res, &shape, err))) return rc;
            double score = res.final_sum.mean;
            if (!isfinite(score)) score = shape.objective->higher_better ? -INFINITY : INFINITY;
            int better = isnan(best) || (shape.objective->higher_better ? score > best : score < best);
            if (better) best = score, c->swept = me->values[i];
            plast_eval_result_free(&res);
        }
        snprintf(sweep, sizeof sweep, "%s=%.9g", me->sweep_key, c->swept);
    }
    snprintf(seed, sizeof seed, "seed=%d", s->seed);
    snprintf(runs, sizeof runs, "runs=%d", s->runs);
    const char *extra[4] = {seed, runs, boot, sweep};
    if ((rc = evaluate(b, v, m, extra, me->sweep_key[0] ? 4 : 3, &res, &shape, err))) return rc;

    /* The summaries over runs: the final score and the continual-learning metrics. */
    int T = res.n_seg, R = res.runs;
    c->curve = malloc((size_t)T * sizeof *c->curve);
    c->R = calloc((size_t)T * T, sizeof *c->R);
    c->final = malloc((size_t)R * sizeof *c->final);
    if (!c->curve || !c->R || !c->final) {
        plast_eval_result_free(&res);
        return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (bench)");
    }
    for (int r = 0; r < R; r++)
        for (int i = 0; i < T * T; i++) c->R[i] += res.R[(size_t)r * T * T + i] / (float)R;
    c->m[0] = res.final_sum;
    for (int k = 0; k < PLAST_CL_N; k++) c->m[1 + k] = res.cl[k];
    memcpy(c->curve, res.curve_sum, (size_t)T * sizeof *c->curve);
    memcpy(c->final, res.final, (size_t)R * sizeof *c->final);
    c->median = res.final_median;
    c->n_seg = T;
    c->runs = R;
    c->obj = shape.objective;
    c->done = 1;
    plast_eval_result_free(&res);
    return PLAST_OK;
}

int plast_bench_check(const plast_suite *s, plast_err *err)
{
    plast_config *cfg = malloc(sizeof *cfg); /* large */
    if (!cfg) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (bench)");
    int rc = PLAST_OK;
    for (int v = 0; v < s->n_variants; v++)
        for (int m = 0; m < s->n_methods; m++) {
            const plast_suite_entry *me = &s->method[m];
            for (int i = 0; i < (me->sweep_key[0] ? me->n_values : 1); i++) {
                const char *sets[3 * PLAST_SUITE_SETS + 1];
                int n = 0;
                char sweep[128];
                for (int k = 0; k < s->variant[v].n_sets; k++) sets[n++] = s->variant[v].sets[k];
                for (int k = 0; k < me->n_sets; k++) sets[n++] = me->sets[k];
                for (int k = 0; k < s->n_extra; k++) sets[n++] = s->extra[k];
                if (me->sweep_key[0]) {
                    snprintf(sweep, sizeof sweep, "%s=%.9g", me->sweep_key, me->values[i]);
                    sets[n++] = sweep;
                }
                char origin[300];
                snprintf(origin, sizeof origin, "suite %s: %s / %s", s->name, s->variant[v].label, me->label);
                plast_task_shape sh;
                plast_registry reg = plast_registry_builtin(0);
                rc = plast_config_parse(cfg, s->base, origin, sets, n, &reg, err);
                if (!rc) rc = suite_relative(s, cfg, err);
                if (!rc) rc = cfg->task->shape(cfg->task_opts, &sh, err);
                /* Before the output directory exists: a params file that cannot be read
                 * (a relative path from another directory) would otherwise fail the run
                 * after the directory was made. */
                if (!rc && cfg->run.params[0] && access(cfg->run.params, R_OK))
                    rc = plast_err_set(err, errno == ENOENT ? PLAST_E_NOINPUT : PLAST_E_IO,
                                       cfg->run.params,
                                       "cannot read params file: %s (relative paths in a suite are "
                                       "read from the suite file's directory)",
                                       strerror(errno));
                if (rc) {
                    char msg[sizeof err->msg];
                    snprintf(msg, sizeof msg, "%s", err->msg);
                    snprintf(err->msg, sizeof err->msg, "%.120s: %.300s", origin, msg);
                    goto done;
                }
            }
        }
done:
    free(cfg);
    return rc;
}

/* ---------------- outputs ---------------- */

typedef struct out_ctx {
    const bench *b;
    int v, m;
} out_ctx;

static void fmt_summary(char *buf, size_t n, const plast_summary *s)
{
    if (!isfinite(s->mean)) snprintf(buf, n, "n/a");
    else snprintf(buf, n, "%.4f [%.4f, %.4f]", s->mean, s->lo, s->hi);
}

/* The first finished cell of variant v, or NULL. */
static const cell *first_done(const bench *b, int v)
{
    for (int m = 0; m < b->s->n_methods; m++)
        if (b->cells[v][m].done) return &b->cells[v][m];
    return NULL;
}

static void table_md(const bench *b, char *buf, size_t n)
{
    const plast_suite *s = b->s;
    size_t used = 0;
    buf[0] = '\0';
    for (int v = 0; v < s->n_variants && used < n; v++) {
        if (!first_done(b, v)) continue;
        const plast_objective *obj = first_done(b, v)->obj;
        used += (size_t)snprintf(buf + used, n - used,
                                 "%s### %s: %s (%d runs; %s, %s is better; mean and 95%% CI over runs;\n"
                                 "diverged runs are counted first, and then the final score is the median\n"
                                 "of all runs with a diverged run ranked worst)\n\n"
                                 "| method | final %s | ACC | BWT | FWT | forgetting | learning |\n"
                                 "|---|---|---|---|---|---|---|\n",
                                 v ? "\n" : "", s->name, s->variant[v].label, s->runs,
                                 obj->score_name, obj->higher_better ? "higher" : "lower",
                                 obj->score_name);
        for (int m = 0; m < s->n_methods && used < n; m++) {
            const cell *c = &b->cells[v][m];
            if (!c->done) continue;
            char label[200];
            if (isfinite(c->swept))
                snprintf(label, sizeof label, "%s (%s = %g)", s->method[m].label, s->method[m].sweep_key, c->swept);
            else
                snprintf(label, sizeof label, "%s", s->method[m].label);
            used += (size_t)snprintf(buf + used, n - used, "| %s", label);
            for (int k = 0; k < N_METRICS && used < n; k++) {
                char t[256];
                if (k == 0) plast_headline_format(t, sizeof t, &c->m[0], c->median);
                else fmt_summary(t, sizeof t, &c->m[k]);
                used += (size_t)snprintf(buf + used, n - used, " | %s", t);
            }
            used += (size_t)snprintf(buf + used, n - used, " |\n");
        }
        const plast_suite_entry *var = &s->variant[v];
        for (int r = 0; r < var->n_refs && used < n; r++)
            used += (size_t)snprintf(buf + used, n - used,
                                     "| *published, not run here: %s* | %.4f | | | | | |\n",
                                     var->ref_label[r], var->ref_final[r]);
    }
    if (s->n_notes && used < n) used += (size_t)snprintf(buf + used, n - used, "\n");
    for (int i = 0; i < s->n_notes && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s\n", s->notes[i]);
    if (used < n)
        snprintf(buf + used, n - used, "\nConvention: %s; %s.\n", PLAST_CL_CONVENTION, PLAST_CL_MSE_SIGNS);
}

static int w_table_md(FILE *f, const void *p)
{
    const out_ctx *o = p;
    char *buf = malloc(1 << 18);
    if (!buf) return PLAST_E_INTERNAL;
    table_md(o->b, buf, 1 << 18);
    fputs(buf, f);
    free(buf);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int w_table_csv(FILE *f, const void *p)
{
    const bench *b = ((const out_ctx *)p)->b;
    const plast_suite *s = b->s;
    fprintf(f, "variant,method,swept_value");
    for (int k = 0; k < N_METRICS; k++)
        fprintf(f, ",%s_mean,%s_lo,%s_hi", metric_names[k], metric_names[k], metric_names[k]);
    fprintf(f, ",runs,diverged,final_median_all\n");
    for (int v = 0; v < s->n_variants; v++)
        for (int m = 0; m < s->n_methods; m++) {
            const cell *c = &b->cells[v][m];
            if (!c->done) continue;
            fprintf(f, "\"%s\",\"%s\",%.9g", s->variant[v].label, s->method[m].label, c->swept);
            for (int k = 0; k < N_METRICS; k++)
                fprintf(f, ",%.9g,%.9g,%.9g", c->m[k].mean, c->m[k].lo, c->m[k].hi);
            fprintf(f, ",%d,%d,%.9g\n", c->m[0].n + c->m[0].n_bad, c->m[0].n_bad, c->median);
        }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int w_table_json(FILE *f, const void *p)
{
    const bench *b = ((const out_ctx *)p)->b;
    const plast_suite *s = b->s;
    fprintf(f, "{\n  \"suite\": ");
    plast_json_write_string(f, s->name);
    fprintf(f, ",\n  \"seed\": %d,\n  \"runs\": %d,\n  \"ci\": \"95%% percentile bootstrap of the mean, %d resamples\",\n",
            s->seed, s->runs, s->bootstrap);
    fprintf(f, "  \"convention\": \"%s\",\n  \"diverged_rule\": \"final_median_all: median of all runs, a "
               "diverged run ranked worst (null when half or more diverged)\",\n  \"results\": [",
            PLAST_CL_CONVENTION);
    const char *rsep = "\n";
    for (int v = 0; v < s->n_variants; v++)
        for (int m = 0; m < s->n_methods; m++) {
            const cell *c = &b->cells[v][m];
            if (!c->done) continue;
            fprintf(f, "%s    {\"variant\": ", rsep);
            rsep = ",\n";
            plast_json_write_string(f, s->variant[v].label);
            fprintf(f, ", \"method\": ");
            plast_json_write_string(f, s->method[m].label);
            fprintf(f, ", \"score\": \"%s\", \"task\": ", c->obj->score_name);
            write_cell_task(f, s, v, m);
            fputs(", \"swept\": ", f);
            plast_json_write_number(f, c->swept);
            for (int k = 0; k < N_METRICS; k++) {
                fprintf(f, ", \"%s\": {\"mean\": ", metric_names[k]);
                plast_json_write_number(f, c->m[k].mean);
                fputs(", \"ci95\": [", f);
                plast_json_write_number(f, c->m[k].lo);
                fputs(", ", f);
                plast_json_write_number(f, c->m[k].hi);
                fputs("]}", f);
            }
            fprintf(f, ", \"runs\": %d, \"diverged\": %d, \"final_median_all\": ", c->runs, c->m[0].n_bad);
            plast_json_write_number(f, c->median);
            fputs(", ", f);
            plast_eval_write_curve_json(f, c->curve, c->n_seg, c->final, c->runs);
            fputs("}", f);
        }
    fprintf(f, "\n  ],\n  \"references\": [");
    const char *sep = "";
    for (int v = 0; v < s->n_variants; v++)
        for (int r = 0; r < s->variant[v].n_refs; r++) {
            fprintf(f, "%s\n    {\"variant\": ", sep);
            plast_json_write_string(f, s->variant[v].label);
            fprintf(f, ", \"label\": ");
            plast_json_write_string(f, s->variant[v].ref_label[r]);
            fprintf(f, ", \"final\": ");
            plast_json_write_number(f, s->variant[v].ref_final[r]);
            fprintf(f, ", \"published\": true}");
            sep = ",";
        }
    fprintf(f, "%s],\n  \"notes\": [", *sep ? "\n  " : "");
    for (int i = 0; i < s->n_notes; i++) {
        if (i) fputs(", ", f);
        plast_json_write_string(f, s->notes[i]);
    }
    fprintf(f, "]\n}\n");
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int w_curves_csv(FILE *f, const void *p)
{
    const out_ctx *o = p;
    const bench *b = o->b;
    const plast_suite *s = b->s;
    fputs("segments_seen", f);
    for (int m = 0; m < s->n_methods; m++) fprintf(f, ",m%d_mean,m%d_lo,m%d_hi", m, m, m);
    fputc('\n', f);
    for (int k = 0; k < b->cells[o->v][0].n_seg; k++) {
        fprintf(f, "%d", k + 1);
        for (int m = 0; m < s->n_methods; m++) {
            const plast_summary *c = &b->cells[o->v][m].curve[k];
            fprintf(f, ",%.9g,%.9g,%.9g", c->mean, c->lo, c->hi);
        }
        fputc('\n', f);
    }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* curves_V.gp over curves_V.csv: mean, lo, hi of method m in columns 2 + 3m .. 4 + 3m. */
static int save_curves_plot(const bench *b, int v, plast_err *err)
{
    const plast_suite *s = b->s;
    const cell *c0 = &b->cells[v][0];
    char name[128], data[140], title[400];
    snprintf(name, sizeof name, "curves_%s", b->vslug[v]);
    snprintf(data, sizeof data, "%s.csv", name);
    snprintf(title, sizeof title, "%s: %s (%d runs)", s->name, s->variant[v].label, s->runs);
    char ylabel[96];
    snprintf(ylabel, sizeof ylabel, "%s on everything seen so far", c0->obj->score_name);
    plast_plot_series ser[2 * PLAST_SUITE_MAX];
    for (int m = 0; m < s->n_methods; m++) {
        const char *c = plast_plot_colour(m);
        ser[2 * m] = (plast_plot_series){PLAST_PLOT_BAND, 0, 3 + 3 * m, 4 + 3 * m, c, NULL, 0};
        ser[2 * m + 1] = (plast_plot_series){PLAST_PLOT_LINE, 2 + 3 * m, 0, 0, c, s->method[m].label, 0,
                                             plast_plot_dash(m)};
    }
    plast_plot_lines p = {
        .name = name, .data = data,
        .about = "Continual-learning curves of one variant: score on everything seen so far,\n"
                 "one line per method with its 95% bootstrap band.",
        .title = title, .xlabel = "classes (or functions) seen",
        .ylabel = ylabel,
        .width = 1000, .height = 520, .key = PLAST_PLOT_KEY_BELOW, /* labels are long */
        .integer_x = c0->n_seg <= 20, .series = ser, .n_series = 2 * s->n_methods};
    return plast_plot_save_lines(b->dir, &p, err);
}

static int w_forgetting_csv(FILE *f, const void *p)
{
    const out_ctx *o = p;
    const bench *b = o->b;
    fputs("method,forgetting,lo,hi\n", f);
    for (int m = 0; m < b->s->n_methods; m++) {
        const plast_summary *x = &b->cells[o->v][m].m[4];
        fprintf(f, "%d,%.9g,%.9g,%.9g\n", m, x->mean, x->lo, x->hi);
    }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* forgetting_V.gp over forgetting_V.csv: one bar a method. */
static int save_forgetting_plot(const bench *b, int v, plast_err *err)
{
    const plast_suite *s = b->s;
    char name[128], data[140], title[400];
    snprintf(name, sizeof name, "forgetting_%s", b->vslug[v]);
    snprintf(data, sizeof data, "%s.csv", name);
    snprintf(title, sizeof title, "%s: %s, forgetting", s->name, s->variant[v].label);
    const char *labels[PLAST_SUITE_MAX];
    for (int m = 0; m < s->n_methods; m++) labels[m] = s->method[m].label;
    const plast_objective *obj = b->cells[v][0].obj;
    char xlabel[96];
    snprintf(xlabel, sizeof xlabel, "forgetting (%s %s)", obj->score_name,
             obj->higher_better ? "lost" : "gained");
    plast_plot_hbars p = {
        .name = name, .data = data,
        .about = "Forgetting per method: horizontal bars (mean over runs) with their 95% interval,\n"
                 "the method names on the left.",
        .title = title,
        .xlabel = xlabel,
        .labels = labels, .n = s->n_methods};
    return plast_plot_save_hbars(b->dir, &p, err);
}

static int w_heatmap_dat(FILE *f, const void *p)
{
    const out_ctx *o = p;
    const cell *c = &o->b->cells[o->v][o->m];
    for (int i = 0; i < c->n_seg; i++) {
        for (int j = 0; j < c->n_seg; j++) fprintf(f, "%s%.6g", j ? " " : "", (double)c->R[i * c->n_seg + j]);
        fputc('\n', f);
    }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* heatmap_V_M.gp over heatmap_V_M.dat: the mean score matrix of one method. */
static int save_heatmap_plot(const bench *b, int v, int m, plast_err *err)
{
    const cell *c = &b->cells[v][m];
    char name[128], data[140], title[400], cb[96];
    snprintf(name, sizeof name, "heatmap_%s_%s", b->vslug[v], b->mslug[m]);
    snprintf(data, sizeof data, "%s.dat", name);
    snprintf(title, sizeof title, "%s: %s", b->s->method[m].label, b->s->variant[v].label);
    snprintf(cb, sizeof cb, "mean %s (%s is better; dark = better)", c->obj->score_name,
             c->obj->higher_better ? "higher" : "lower");
    plast_plot_heatmap p = {
        .name = name, .data = data,
        .about = "Mean score matrix R[i][j]: score on class (function) j after learning 0..i.",
        .title = title, .xlabel = "evaluated on j", .ylabel = "after learning i", .n = c->n_seg,
        .cblabel = cb, .dark_low = !c->obj->higher_better,
        .lo = 0.0, .hi = c->obj->higher_better ? 1.0 : 0.0}; /* accuracy: 0..1; else auto */
    return plast_plot_save_heatmap(b->dir, &p, err);
}

static int write_named(const bench *b, const char *name, plast_writer w, const out_ctx *o,
                       plast_err *err)
{
    char path[4400];
    int rc = plast_path_join(path, sizeof path, b->dir, name, err);
    return rc ? rc : plast_write_atomic(path, w, o, err);
}

/* ---------------- cells on disk ---------------- */

/* What a cell's results depend on: the suite's base, the cell's overrides, the sweep, the
 * seed, runs and bootstrap, and where relative paths are read from. A cell file of another
 * identity is not read back (the suite or its flags changed): the cell runs again. */
static uint64_t cell_identity(const bench *b, int v, int m)
{
    const plast_suite *s = b->s;
    const plast_suite_entry *me = &s->method[m];
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return 0;
    fprintf(f, "plast bench cell 1\n%s\n%s\n", s->base, b->suite_dir);
    for (int i = 0; i < s->variant[v].n_sets; i++) fprintf(f, "v %s\n", s->variant[v].sets[i]);
    for (int i = 0; i < me->n_sets; i++) fprintf(f, "m %s\n", me->sets[i]);
    for (int i = 0; i < s->n_extra; i++) fprintf(f, "x %s\n", s->extra[i]);
    fprintf(f, "sweep %s %d", me->sweep_key, me->sweep_runs);
    for (int i = 0; i < me->n_values; i++) fprintf(f, " %.17g", me->values[i]);
    fprintf(f, "\nseed %d runs %d bootstrap %d\n", s->seed, s->runs, s->bootstrap);
    fclose(f);
    uint64_t h = plast_hash64(text, len);
    free(text);
    return h;
}

static void cell_path(const bench *b, int v, int m, char *buf, size_t n)
{
    snprintf(buf, n, "%s/cells/%s__%s.bin", b->dir, b->vslug[v], b->mslug[m]);
}

static int cell_save(const bench *b, int v, int m, plast_err *err)
{
    const cell *c = &b->cells[v][m];
    char path[4400];
    cell_path(b, v, m, path, sizeof path);
    const double head[5] = {c->swept, c->median, c->n_seg, c->runs, c->obj->higher_better};
    const plast_ckpt_section sec[] = {
        {"head", head, sizeof head},
        {"score", c->obj->score_name, strlen(c->obj->score_name) + 1},
        {"sum", c->m, sizeof c->m},
        {"curve", c->curve, (size_t)c->n_seg * sizeof *c->curve},
        {"R", c->R, (size_t)c->n_seg * c->n_seg * sizeof *c->R},
        {"final", c->final, (size_t)c->runs * sizeof *c->final},
    };
    return plast_ckpt_write(path, cell_identity(b, v, m), sec, 6, err);
}

/* Reads a finished cell back; 0 (and nothing changed) when there is no file for this
 * identity. A damaged file is an error naming it. */
static int cell_restore(bench *b, int v, int m, int *restored, plast_err *err)
{
    cell *c = &b->cells[v][m];
    char path[4400];
    *restored = 0;
    cell_path(b, v, m, path, sizeof path);
    if (access(path, F_OK)) return PLAST_OK;
    plast_ckpt k;
    int rc = plast_ckpt_read(path, &k, err);
    if (rc) return rc;
    if (k.config_hash != cell_identity(b, v, m)) {
        plast_ckpt_free(&k);
        return PLAST_OK; /* another suite's cell: run it again */
    }
    size_t n_head, n_score, n_sum, n_curve, n_R, n_final;
    const double *head = plast_ckpt_get(&k, "head", &n_head);
    const char *score = plast_ckpt_get(&k, "score", &n_score);
    const void *sum = plast_ckpt_get(&k, "sum", &n_sum), *curve = plast_ckpt_get(&k, "curve", &n_curve);
    const void *R = plast_ckpt_get(&k, "R", &n_R), *final = plast_ckpt_get(&k, "final", &n_final);
    const plast_objective *objs[2] = {&plast_objective_regression, &plast_objective_classification};
    const plast_objective *obj = NULL;
    for (int i = 0; i < 2 && score && n_score && !score[n_score - 1]; i++)
        if (!strcmp(objs[i]->score_name, score) && (head && objs[i]->higher_better == (int)head[4])) obj = objs[i];
    int T = head && n_head == 5 * sizeof(double) ? (int)head[2] : 0, runs = head ? (int)head[3] : 0;
    if (!obj || T < 1 || T > 100000 || runs < 1 || runs != b->s->runs || n_sum != sizeof c->m ||
        n_curve != (size_t)T * sizeof *c->curve || n_R != (size_t)T * T * sizeof *c->R ||
        n_final != (size_t)runs * sizeof *c->final) {
        plast_ckpt_free(&k);
        return plast_err_set(err, PLAST_E_DATA, path, "not a bench cell of this suite (sizes do not match)");
    }
    c->curve = malloc(n_curve);
    c->R = malloc(n_R);
    c->final = malloc(n_final);
    if (!c->curve || !c->R || !c->final) {
        plast_ckpt_free(&k);
        return plast_err_set(err, PLAST_E_INTERNAL, path, "out of memory");
    }
    memcpy(c->m, sum, n_sum);
    memcpy(c->curve, curve, n_curve);
    memcpy(c->R, R, n_R);
    memcpy(c->final, final, n_final);
    c->swept = head[0];
    c->median = head[1];
    c->n_seg = T;
    c->runs = runs;
    c->obj = obj;
    c->done = *restored = 1;
    plast_ckpt_free(&k);
    return PLAST_OK;
}

/* ---------------- bench.json: how the suite was run, every session ---------------- */

typedef struct session_ctx {
    const bench *b;
    const char *prev;     /* earlier sessions as JSON array elements ("" none) */
    char start[32], end[32];
    const char *status;
} session_ctx;

static void iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

static int w_bench_json(FILE *f, const void *p)
{
    const session_ctx *x = p;
    const plast_suite *s = x->b->s;
    const plast_bench_hooks *h = x->b->hooks;
    fprintf(f, "{\n  \"suite\": ");
    plast_json_write_string(f, s->name);
    fprintf(f, ",\n  \"suite_dir\": ");
    plast_json_write_string(f, x->b->suite_dir);
    fprintf(f, ",\n  \"runs\": %d,\n  \"threads\": %d,\n  \"set\": [", s->runs, x->b->threads);
    for (int i = 0; i < s->n_extra; i++) {
        if (i) fputs(", ", f);
        plast_json_write_string(f, s->extra[i]);
    }
    fputs("],\n  \"only\": [", f);
    for (int i = 0; i < s->n_only; i++) {
        if (i) fputs(", ", f);
        plast_json_write_string(f, s->only[i]);
    }
    fprintf(f, "],\n  \"sessions\": [%s%s\n    {\"command\": ", x->prev, x->prev[0] ? "," : "");
    plast_json_write_string(f, h && h->cmdline ? h->cmdline : "");
    fputs(", \"version\": ", f);
    plast_json_write_string(f, h && h->version ? h->version : "");
    fputs(", \"git\": ", f);
    plast_json_write_string(f, h && h->git ? h->git : "");
    fprintf(f, ", \"threads\": %d, \"start\": \"%s\", \"end\": \"%s\", \"status\": \"%s\"}\n  ]\n}\n",
            x->b->threads, x->start, x->end, x->status);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int w_suite_json(FILE *f, const void *p)
{
    fputs(((const bench *)p)->s->text, f);
    fputc('\n', f);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* The earlier sessions of dir/bench.json as array elements joined by commas (heap). A
 * session that never wrote its end is recorded as it was ("running": it was killed). */
static char *previous_sessions(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/bench.json", dir);
    plast_json *root;
    plast_err e;
    char *out = calloc(1, 1);
    if (!out || plast_json_load(path, &root, &e)) return out;
    out = plast_run_record_sessions(out, plast_json_get(root, "sessions"));
    plast_json_delete(root);
    return out;
}

/* Writes what is done: the tables (finished cells) and every finished variant's figures. */
static int write_outputs(bench *b, plast_err *err)
{
    const plast_suite *s = b->s;
    out_ctx o = {b, 0, 0};
    int rc = write_named(b, "table.md", w_table_md, &o, err);
    if (!rc) rc = write_named(b, "table.csv", w_table_csv, &o, err);
    if (!rc) rc = write_named(b, "table.json", w_table_json, &o, err);
    for (int v = 0; v < s->n_variants && !rc; v++) {
        int all = 1;
        for (int m = 0; m < s->n_methods; m++) all &= b->cells[v][m].done;
        if (!all) continue;
        /* Every cell of a variant must have the same number of segments to share a plot. */
        for (int m = 1; m < s->n_methods && !rc; m++)
            if (b->cells[v][m].n_seg != b->cells[v][0].n_seg)
                rc = plast_err_set(err, PLAST_E_CONFIG, s->method[m].label,
                                   "changes the task's number of classes: methods of a variant must share it");
        char name[160];
        o.v = v;
        snprintf(name, sizeof name, "curves_%s.csv", b->vslug[v]);
        if (!rc) rc = write_named(b, name, w_curves_csv, &o, err);
        snprintf(name, sizeof name, "forgetting_%s.csv", b->vslug[v]);
        if (!rc) rc = write_named(b, name, w_forgetting_csv, &o, err);
        if (!rc) rc = save_curves_plot(b, v, err);
        if (!rc) rc = save_forgetting_plot(b, v, err);
        for (int m = 0; m < s->n_methods && !rc; m++) {
            o.m = m;
            snprintf(name, sizeof name, "heatmap_%s_%s.dat", b->vslug[v], b->mslug[m]);
            rc = write_named(b, name, w_heatmap_dat, &o, err);
            if (!rc) rc = save_heatmap_plot(b, v, m, err);
        }
    }
    return rc;
}

int plast_bench_run(const plast_suite *s, const char *dir, int threads,
                    const plast_bench_hooks *hooks, char *table, size_t n, plast_err *err)
{
    bench *b = calloc(1, sizeof *b);
    if (!b) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory");
    b->s = s;
    b->dir = dir;
    b->threads = threads;
    b->hooks = hooks;
    slugs(s->variant, s->n_variants, b->vslug);
    slugs(s->method, s->n_methods, b->mslug);
    session_ctx sx = {.b = b, .status = "running"};
    iso_now(sx.start, sizeof sx.start);
    char *prev = hooks && hooks->resume ? previous_sessions(dir) : calloc(1, 1);
    sx.prev = prev ? prev : "";
    char cells_dir[4200];
    int rc = plast_path_join(cells_dir, sizeof cells_dir, dir, "cells", err);
    if (!rc) rc = plast_dir_prepare(cells_dir, 1, err);
    /* relative, so that the results stay valid (and resumable) wherever the tree is */
    if (!rc) rc = plast_path_relative(b->suite_dir, sizeof b->suite_dir, dir, s->dir, err);
    if (!rc) rc = write_named(b, "suite.json", w_suite_json, (const out_ctx *)(const void *)b, err);
    if (!rc) rc = write_named(b, "bench.json", w_bench_json, (const out_ctx *)(const void *)&sx, err);
    /* Finished cells are read back; the work left is counted for the ETA. */
    int n_restored = 0;
    for (int v = 0; v < s->n_variants && !rc; v++)
        for (int m = 0; m < s->n_methods && !rc; m++) {
            int got = 0;
            if (hooks && hooks->resume) rc = cell_restore(b, v, m, &got, err);
            n_restored += got;
            const plast_suite_entry *me = &s->method[m];
            if (!got) b->work_total += s->runs + (me->sweep_key[0] ? (long)me->n_values * me->sweep_runs : 0);
        }
    if (!rc && n_restored) {
        char msg[64];
        snprintf(msg, sizeof msg, "%d", n_restored);
        note(b, "%s finished cell(s) read back from %s/cells", msg, dir);
    }
    for (int v = 0; v < s->n_variants && !rc; v++)
        for (int m = 0; m < s->n_methods && !rc; m++) {
            if (b->cells[v][m].done) continue;
            note(b, "%s / %s", s->variant[v].label, s->method[m].label);
            rc = run_cell(b, v, m, err);
            if (!rc) rc = cell_save(b, v, m, err);
            if (!rc) rc = write_outputs(b, err);
        }
    /* Plots: rendered when gnuplot is there, otherwise the scripts stay. */
    int missing = 0;
    for (int v = 0; v < s->n_variants && !rc && !missing; v++) {
        char name[160];
        int rendered;
        plast_err perr;
        snprintf(name, sizeof name, "curves_%s", b->vslug[v]);
        if (plast_plot_render(dir, name, &rendered, &perr)) note(b, "%s%s", perr.msg, "");
        missing = !rendered;
        snprintf(name, sizeof name, "forgetting_%s", b->vslug[v]);
        if (!missing && plast_plot_render(dir, name, &rendered, &perr)) note(b, "%s%s", perr.msg, "");
        for (int m = 0; m < s->n_methods && !missing; m++) {
            snprintf(name, sizeof name, "heatmap_%s_%s", b->vslug[v], b->mslug[m]);
            if (plast_plot_render(dir, name, &rendered, &perr)) note(b, "%s%s", perr.msg, "");
        }
    }
    if (missing) note(b, "%s%s", "gnuplot is not installed: the .gp and data files are kept", "");
    if (!rc && table) table_md(b, table, n);
    sx.status = !rc ? "finished" : rc == PLAST_INTERRUPTED ? "interrupted" : "failed";
    iso_now(sx.end, sizeof sx.end);
    plast_err werr;
    int wrc = write_named(b, "bench.json", w_bench_json, (const out_ctx *)(const void *)&sx, &werr);
    if (!rc && wrc) {
        *err = werr;
        rc = wrc;
    }
    if (rc == PLAST_INTERRUPTED)
        snprintf(err->msg, sizeof err->msg, "interrupted; the finished cells are kept: continue with "
                                            "plast bench --resume %.200s", dir);
    free(prev);
    for (int v = 0; v < PLAST_SUITE_MAX; v++)
        for (int m = 0; m < PLAST_SUITE_MAX; m++) {
            free(b->cells[v][m].curve);
            free(b->cells[v][m].R);
            free(b->cells[v][m].final);
        }
    free(b);
    return rc;
}
