/* bench.c — benchmark suites (see include/plast/bench.h). */
#include "plast/bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plast/plot.h"
#include "plast/registry.h"
#include "plast/run.h"

enum { N_METRICS = 6 };
static const char *const metric_names[N_METRICS] = {"final", "ACC", "BWT", "FWT", "forgetting",
                                                    "learning"};

typedef struct cell {
    int done;
    const plast_objective *obj; /* what the cell was scored on */
    double swept;             /* chosen sweep value (NAN: no sweep) */
    plast_summary m[N_METRICS];
    int n_seg;
    plast_summary *curve;     /* [n_seg] */
    float *R;                 /* [n_seg][n_seg] mean over runs */
} cell;

typedef struct bench {
    const plast_suite *s;
    const char *dir;
    int threads;
    const plast_bench_hooks *hooks;
    cell cells[PLAST_SUITE_MAX][PLAST_SUITE_MAX];
} bench;

static void note(const bench *b, const char *fmt, const char *a, const char *c)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a, c);
    if (b->hooks && b->hooks->note) b->hooks->note(b->hooks->ctx, msg);
}

/* The config of (variant, method) with extra overrides, then evaluated. */
static int evaluate(const bench *b, int v, int m, const char *const *extra, int n_extra,
                    plast_eval_result *res, plast_task_shape *shape, plast_err *err)
{
    const plast_suite *s = b->s;
    const char *sets[3 * PLAST_SUITE_SETS + 8];
    int n = 0;
    for (int i = 0; i < s->variant[v].n_sets; i++) sets[n++] = s->variant[v].sets[i];
    for (int i = 0; i < s->method[m].n_sets; i++) sets[n++] = s->method[m].sets[i];
    for (int i = 0; i < n_extra; i++) sets[n++] = extra[i];
    plast_config *cfg = malloc(sizeof *cfg); /* large */
    if (!cfg) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (bench)");
    char origin[300];
    snprintf(origin, sizeof origin, "suite %s: %s / %s", s->name, s->variant[v].label, s->method[m].label);
    plast_eval_setup setup;
    plast_registry reg = plast_registry_builtin(0);
    int rc = plast_config_parse(cfg, s->base, origin, sets, n, &reg, err);
    if (!rc && !(rc = plast_eval_setup_init(&setup, cfg, err))) {
        *shape = setup.shape;
        rc = plast_eval_setup_run(&setup, b->threads, NULL, NULL, res, err);
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

    /* Per-run continual-learning metrics, then their summaries over runs. */
    int T = res.n_seg, R = res.runs;
    float *per = malloc((size_t)N_METRICS * R * sizeof *per);
    double *work = malloc(((size_t)s->bootstrap + 1) * sizeof *work);
    c->curve = malloc((size_t)T * sizeof *c->curve);
    c->R = calloc((size_t)T * T, sizeof *c->R);
    if (!per || !work || !c->curve || !c->R) {
        free(per), free(work);
        plast_eval_result_free(&res);
        return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (bench)");
    }
    for (int r = 0; r < R; r++) {
        plast_cl_metrics cm;
        plast_cl_compute(res.R + (size_t)r * T * T, res.R0 + (size_t)r * T, T, shape.objective->higher_better, &cm);
        const double vals[N_METRICS] = {res.final[r], cm.acc, cm.bwt, cm.fwt, cm.forgetting, cm.learning};
        for (int k = 0; k < N_METRICS; k++) per[(size_t)k * R + r] = (float)vals[k];
        for (int i = 0; i < T * T; i++) c->R[i] += res.R[(size_t)r * T * T + i] / (float)R;
    }
    for (int k = 0; k < N_METRICS; k++)
        plast_summarize(per + (size_t)k * R, R, s->bootstrap, 0.95, (uint64_t)s->seed + (uint64_t)k, work,
                        &c->m[k]);
    memcpy(c->curve, res.curve_sum, (size_t)T * sizeof *c->curve);
    c->n_seg = T;
    c->obj = shape.objective;
    c->done = 1;
    free(per), free(work);
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
                const char *sets[2 * PLAST_SUITE_SETS + 1];
                int n = 0;
                char sweep[128];
                for (int k = 0; k < s->variant[v].n_sets; k++) sets[n++] = s->variant[v].sets[k];
                for (int k = 0; k < me->n_sets; k++) sets[n++] = me->sets[k];
                if (me->sweep_key[0]) {
                    snprintf(sweep, sizeof sweep, "%s=%.9g", me->sweep_key, me->values[i]);
                    sets[n++] = sweep;
                }
                char origin[300];
                snprintf(origin, sizeof origin, "suite %s: %s / %s", s->name, s->variant[v].label, me->label);
                plast_task_shape sh;
                plast_registry reg = plast_registry_builtin(0);
                rc = plast_config_parse(cfg, s->base, origin, sets, n, &reg, err);
                if (!rc) rc = cfg->task->shape(cfg->task_opts, &sh, err);
                /* Before the output directory exists: a params file that cannot be read
                 * (a relative path from another directory) would otherwise fail the run
                 * after the directory was made. */
                if (!rc && cfg->run.params[0] && access(cfg->run.params, R_OK))
                    rc = plast_err_set(err, errno == ENOENT ? PLAST_E_NOINPUT : PLAST_E_IO,
                                       cfg->run.params,
                                       "cannot read params file: %s (relative paths are read from "
                                       "the current directory)",
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

static void table_md(const bench *b, char *buf, size_t n)
{
    const plast_suite *s = b->s;
    size_t used = 0;
    for (int v = 0; v < s->n_variants && used < n; v++) {
        const plast_objective *obj = b->cells[v][0].obj;
        used += (size_t)snprintf(buf + used, n - used,
                                 "%s### %s: %s (%d runs; %s, %s is better; mean and 95%% CI over runs)\n\n"
                                 "| method | final %s | ACC | BWT | FWT | forgetting | learning |\n"
                                 "|---|---|---|---|---|---|---|\n",
                                 v ? "\n" : "", s->name, s->variant[v].label, s->runs,
                                 obj->score_name, obj->higher_better ? "higher" : "lower",
                                 obj->score_name);
        for (int m = 0; m < s->n_methods && used < n; m++) {
            const cell *c = &b->cells[v][m];
            char label[200];
            if (isfinite(c->swept))
                snprintf(label, sizeof label, "%s (%s = %g)", s->method[m].label, s->method[m].sweep_key, c->swept);
            else
                snprintf(label, sizeof label, "%s", s->method[m].label);
            used += (size_t)snprintf(buf + used, n - used, "| %s", label);
            for (int k = 0; k < N_METRICS && used < n; k++) {
                char t[96];
                fmt_summary(t, sizeof t, &c->m[k]);
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
        snprintf(buf + used, n - used, "\nConvention: %s. For MSE, BWT > 0 and forgetting > 0 mean "
                                       "earlier functions got worse.\n", PLAST_CL_CONVENTION);
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
    fprintf(f, ",runs\n");
    for (int v = 0; v < s->n_variants; v++)
        for (int m = 0; m < s->n_methods; m++) {
            const cell *c = &b->cells[v][m];
            fprintf(f, "\"%s\",\"%s\",%.9g", s->variant[v].label, s->method[m].label, c->swept);
            for (int k = 0; k < N_METRICS; k++)
                fprintf(f, ",%.9g,%.9g,%.9g", c->m[k].mean, c->m[k].lo, c->m[k].hi);
            fprintf(f, ",%d\n", c->m[0].n + c->m[0].n_bad);
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
    fprintf(f, "  \"convention\": \"%s\",\n  \"results\": [\n", PLAST_CL_CONVENTION);
    for (int v = 0; v < s->n_variants; v++)
        for (int m = 0; m < s->n_methods; m++) {
            const cell *c = &b->cells[v][m];
            fprintf(f, "    {\"variant\": ");
            plast_json_write_string(f, s->variant[v].label);
            fprintf(f, ", \"method\": ");
            plast_json_write_string(f, s->method[m].label);
            fprintf(f, ", \"score\": \"%s\", \"swept\": ", c->obj->score_name);
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
            fputs(", \"curve\": [", f);
            for (int k = 0; k < c->n_seg; k++) {
                if (k) fputs(", ", f);
                plast_json_write_number(f, c->curve[k].mean);
            }
            fprintf(f, "]}%s\n", v == s->n_variants - 1 && m == s->n_methods - 1 ? "" : ",");
        }
    fprintf(f, "  ],\n  \"references\": [");
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
    char name[64], data[80], title[400];
    snprintf(name, sizeof name, "curves_%d", v);
    snprintf(data, sizeof data, "%s.csv", name);
    snprintf(title, sizeof title, "%s: %s (%d runs)", s->name, s->variant[v].label, s->runs);
    char ylabel[96];
    snprintf(ylabel, sizeof ylabel, "%s on everything seen so far", c0->obj->score_name);
    plast_plot_series ser[2 * PLAST_SUITE_MAX];
    for (int m = 0; m < s->n_methods; m++) {
        const char *c = plast_plot_colour(m);
        ser[2 * m] = (plast_plot_series){PLAST_PLOT_BAND, 0, 3 + 3 * m, 4 + 3 * m, c, NULL, 0};
        ser[2 * m + 1] = (plast_plot_series){PLAST_PLOT_LINE, 2 + 3 * m, 0, 0, c, s->method[m].label, 0};
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
    char name[64], data[80], title[400];
    snprintf(name, sizeof name, "forgetting_%d", v);
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
    char name[64], data[80], title[400];
    snprintf(name, sizeof name, "heatmap_%d_%d", v, m);
    snprintf(data, sizeof data, "%s.dat", name);
    snprintf(title, sizeof title, "%s: %s", b->s->method[m].label, b->s->variant[v].label);
    plast_plot_heatmap p = {
        .name = name, .data = data,
        .about = "Mean score matrix R[i][j]: score on class (function) j after learning 0..i.",
        .title = title, .xlabel = "evaluated on j", .ylabel = "after learning i", .n = c->n_seg,
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

int plast_bench_run(const plast_suite *s, const char *dir, int threads,
                    const plast_bench_hooks *hooks, char *table, size_t n, plast_err *err)
{
    bench *b = calloc(1, sizeof *b);
    if (!b) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory");
    b->s = s;
    b->dir = dir;
    b->threads = threads;
    b->hooks = hooks;
    int rc = PLAST_OK;
    for (int v = 0; v < s->n_variants && !rc; v++)
        for (int m = 0; m < s->n_methods && !rc; m++) {
            note(b, "%s / %s", s->variant[v].label, s->method[m].label);
            rc = run_cell(b, v, m, err);
        }
    /* Every cell of a variant must have the same number of segments to share a plot. */
    for (int v = 0; v < s->n_variants && !rc; v++)
        for (int m = 1; m < s->n_methods && !rc; m++)
            if (b->cells[v][m].n_seg != b->cells[v][0].n_seg)
                rc = plast_err_set(err, PLAST_E_CONFIG, s->method[m].label,
                                   "changes the task's number of classes: methods of a variant must share it");
    out_ctx o = {b, 0, 0};
    if (!rc) rc = write_named(b, "table.md", w_table_md, &o, err);
    if (!rc) rc = write_named(b, "table.csv", w_table_csv, &o, err);
    if (!rc) rc = write_named(b, "table.json", w_table_json, &o, err);
    for (int v = 0; v < s->n_variants && !rc; v++) {
        char name[80];
        o.v = v;
        const struct { const char *fmt; plast_writer w; } files[] = {
            {"curves_%d.csv", w_curves_csv}, {"forgetting_%d.csv", w_forgetting_csv}};
        for (int i = 0; i < 2 && !rc; i++) {
            snprintf(name, sizeof name, files[i].fmt, v);
            rc = write_named(b, name, files[i].w, &o, err);
        }
        if (!rc) rc = save_curves_plot(b, v, err);
        if (!rc) rc = save_forgetting_plot(b, v, err);
        for (int m = 0; m < s->n_methods && !rc; m++) {
            o.m = m;
            snprintf(name, sizeof name, "heatmap_%d_%d.dat", v, m);
            rc = write_named(b, name, w_heatmap_dat, &o, err);
            if (!rc) rc = save_heatmap_plot(b, v, m, err);
        }
    }
    /* Plots: rendered when gnuplot is there, otherwise the scripts stay. */
    int missing = 0;
    for (int v = 0; v < s->n_variants && !rc && !missing; v++) {
        char name[80];
        int rendered;
        plast_err perr;
        snprintf(name, sizeof name, "curves_%d", v);
        if (plast_plot_render(dir, name, &rendered, &perr)) note(b, "%s%s", perr.msg, "");
        missing = !rendered;
        snprintf(name, sizeof name, "forgetting_%d", v);
        if (!missing && plast_plot_render(dir, name, &rendered, &perr)) note(b, "%s%s", perr.msg, "");
        for (int m = 0; m < s->n_methods && !missing; m++) {
            snprintf(name, sizeof name, "heatmap_%d_%d", v, m);
            if (plast_plot_render(dir, name, &rendered, &perr)) note(b, "%s%s", perr.msg, "");
        }
    }
    if (missing) note(b, "%s%s", "gnuplot is not installed: the .gp and data files are kept", "");
    if (!rc && table) table_md(b, table, n);
    for (int v = 0; v < PLAST_SUITE_MAX; v++)
        for (int m = 0; m < PLAST_SUITE_MAX; m++) {
            free(b->cells[v][m].curve);
            free(b->cells[v][m].R);
        }
    free(b);
    return rc;
}
