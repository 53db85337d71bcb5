/* metatrain.c — the run directory of a meta-training campaign (see metatrain.h). */
#include "plast/metatrain.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plast/optim.h"
#include "plast/plot.h"
#include "plast/registry.h"
#include "plast/run.h"
#include "plast/run_record.h"

typedef struct ctx {
    const plast_metatrain_args *a;
    const plast_config *cfg;
    plast_campaign *camp;
    const char *dir;
    const plast_campaign_final *fin;
    const char *stop;
    const plast_objective *obj; /* what the episodes are scored on */
    char meta_loss[64];         /* the meta-loss in words */
} ctx;

static int file_in(const ctx *x, const char *name, plast_writer w, plast_err *err)
{
    char path[4200];
    int rc = plast_path_join(path, sizeof path, x->dir, name, err);
    return rc ? rc : plast_write_atomic(path, w, x, err);
}

/* The per-generation metrics: replaced atomically but not synced (the checkpoint holds
 * the history they are rebuilt from). */
static int metrics_in(const ctx *x, const char *name, plast_writer w, plast_err *err)
{
    char path[4200];
    int rc = plast_path_join(path, sizeof path, x->dir, name, err);
    return rc ? rc : plast_write_replace(path, w, x, err);
}

static int w_config(FILE *f, const void *p)
{
    return plast_config_write(((const ctx *)p)->cfg, f);
}

/* The per-generation columns of metrics.csv and metrics.jsonl, in order. */
static const struct {
    const char *name;
    size_t offset;
} columns[] = {
    {"best", offsetof(plast_gen_stats, best)},
    {"mean", offsetof(plast_gen_stats, mean)},
    {"std", offsetof(plast_gen_stats, std)},
    {"validation", offsetof(plast_gen_stats, valid)},
    {"best_validation", offsetof(plast_gen_stats, best_valid)},
    {"sigma", offsetof(plast_gen_stats, sigma)},
    {"evals_per_s", offsetof(plast_gen_stats, evals_per_s)},
    {"wall_s", offsetof(plast_gen_stats, wall_s)},
    {"outside_frac", offsetof(plast_gen_stats, outside_frac)},
    {"grad_norm", offsetof(plast_gen_stats, grad_norm)}, /* adam; NaN (null) otherwise */
    {"skipped_steps", offsetof(plast_gen_stats, skipped)},
};
#define N_COLUMNS (sizeof columns / sizeof columns[0])

static double column(const plast_gen_stats *s, size_t k)
{
    return *(const double *)((const char *)s + columns[k].offset);
}

static int w_metrics_csv(FILE *f, const void *p)
{
    const ctx *x = p;
    int n;
    const plast_gen_stats *h = plast_campaign_history(x->camp, &n);
    fputs("generation", f);
    for (size_t k = 0; k < N_COLUMNS; k++) fprintf(f, ",%s", columns[k].name);
    fputc('\n', f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%ld", h[i].gen);
        for (size_t k = 0; k < N_COLUMNS; k++) fprintf(f, ",%.9g", column(&h[i], k));
        fputc('\n', f);
    }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int w_metrics_jsonl(FILE *f, const void *p)
{
    const ctx *x = p;
    int n;
    const plast_gen_stats *h = plast_campaign_history(x->camp, &n);
    for (int i = 0; i < n; i++) {
        fprintf(f, "{\"generation\": %ld", h[i].gen);
        for (size_t k = 0; k < N_COLUMNS; k++) {
            fprintf(f, ", \"%s\": ", columns[k].name);
            plast_json_write_number(f, column(&h[i], k));
        }
        fputs("}\n", f);
    }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int w_best(FILE *f, const void *p)
{
    return plast_campaign_write_params(((const ctx *)p)->camp, f, 1);
}

static int w_start(FILE *f, const void *p)
{
    return plast_campaign_write_params(((const ctx *)p)->camp, f, 0);
}

/* The best-validated generation so far: the first whose validation equals the best
 * (0, the starting point, when validation never improved). */
static long best_generation(const plast_gen_stats *h, int n)
{
    for (int i = 0; i < n; i++)
        if (h[i].valid == h[n - 1].best_valid) return h[i].gen;
    return 0;
}

/* metatrain.gp over metrics.csv: columns 2 best, 3 mean, 4 std, 5 validation. Its first
 * row (generation 0) holds only the starting point's validation. The y range (log scale;
 * linear within a decade or when no value is positive) is the robust range of the curves
 * so far (plot.h), so that a generation whose candidates diverge (a fitness of 1e8 beside
 * 3) does not flatten everything else; the best-validated generation is marked. Rewritten
 * at every checkpoint and at the end, and drawn at the end. */
static int save_metatrain_plot(const ctx *x, plast_err *err)
{
    char title[256], ylabel[96], mark[64];
    snprintf(title, sizeof title, "%s on %s: meta-training", x->cfg->rule->name, x->cfg->task->name);
    snprintf(ylabel, sizeof ylabel, "meta-loss (%s)", x->meta_loss);
    const plast_plot_series s[] = {
        {PLAST_PLOT_SD_BAND, 3, 4, 0, plast_plot_colour(0), "mean +- std", 1},
        {PLAST_PLOT_LINE, 3, 0, 0, plast_plot_colour(0), "mean", 1},
        {PLAST_PLOT_LINE, 2, 0, 0, plast_plot_colour(5), "best", 1},
        {PLAST_PLOT_POINTS, 5, 0, 0, plast_plot_colour(1), "validation", 0},
    };
    plast_plot_lines p = {
        .name = "metatrain", .data = "metrics.csv",
        .about = "Meta-training curve: candidates' meta-loss per generation (mean +- std, best)\n"
                 "and the validation meta-loss of the mean on held-out episodes; the y range leaves\n"
                 "out outliers (diverging candidates), the dashed line is the best generation.",
        .title = title, .xlabel = "generation", .ylabel = ylabel, .width = 900, .height = 540,
        .key = PLAST_PLOT_KEY_TOP_RIGHT, .log_y = 1, .series = s, .n_series = 4};
    int n;
    const plast_gen_stats *h = plast_campaign_history(x->camp, &n);
    double *v = n > 0 ? malloc(6 * (size_t)n * sizeof *v) : NULL;
    if (v) {
        int m = 0;
        for (int i = 0; i < n; i++) {
            const double c[3] = {h[i].best, h[i].mean, h[i].valid};
            for (int k = 0; k < 3; k++)
                if (isfinite(c[k]) && c[k] > 0.0 && (k == 2 || h[i].gen > 0)) v[m++] = log10(c[k]);
        }
        if (m > 0) {
            double lo, hi;
            plast_plot_robust_range(v, m, v + 3 * n, &lo, &hi);
            p.y_min = pow(10.0, lo), p.y_max = pow(10.0, hi);
            if (hi - lo < 1.0) p.log_y = 0; /* within a decade a log axis would show no tic */
        } else {
            p.log_y = 0; /* nothing positive to draw on a log scale (e.g. a probe loss of 0) */
        }
        free(v);
        long bg = best_generation(h, n);
        snprintf(mark, sizeof mark, "best: generation %ld", bg);
        p.mark_label = mark, p.mark_x = (double)bg;
    }
    return plast_plot_save_lines(x->dir, &p, err);
}

static int w_curves_csv(FILE *f, const void *p)
{
    const ctx *x = p;
    const plast_campaign_final *fin = x->fin;
    fprintf(f, "segments_seen,best,best_lo,best_hi,start,start_lo,start_hi,sgd,sgd_lo,sgd_hi\n");
    for (int k = 0; k < fin->best.n_seg; k++) {
        const plast_summary *a = &fin->best.curve_sum[k], *b = &fin->start.curve_sum[k],
                            *c = &fin->sgd.curve_sum[k];
        fprintf(f, "%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g\n", k + 1, a->mean, a->lo,
                a->hi, b->mean, b->lo, b->hi, c->mean, c->lo, c->hi);
    }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* curves.gp over curves.csv: mean, lo, hi of the meta-trained rule (2-4), its starting
 * point (5-7) and online SGD (8-10). */
static int save_curves_plot(const ctx *x, plast_err *err)
{
    char title[256], ylabel[64];
    snprintf(title, sizeof title, "%s on %s: continual curve (%d runs)", x->cfg->rule->name,
             x->cfg->task->name, x->fin->best.runs);
    snprintf(ylabel, sizeof ylabel, "%s on segments seen so far", x->obj->score_name);
    const char *const names[3] = {"meta-trained", "starting point", "online SGD (non-local)"};
    const int colour[3] = {0, 4, 1};
    plast_plot_series s[6];
    for (int i = 0; i < 3; i++) {
        const char *c = plast_plot_colour(colour[i]);
        s[2 * i] = (plast_plot_series){PLAST_PLOT_BAND, 0, 3 + 3 * i, 4 + 3 * i, c, NULL, 0};
        s[2 * i + 1] = (plast_plot_series){PLAST_PLOT_POINTS, 2 + 3 * i, 0, 0, c, names[i], 0};
    }
    plast_plot_lines p = {
        .name = "curves", .data = "curves.csv",
        .about = "Continual curve on the evaluation pool: score on everything seen so far, with\n"
                 "95% bootstrap bands: the meta-trained rule, its starting point, online SGD.",
        .title = title, .xlabel = "segments (functions or classes) seen", .ylabel = ylabel,
        .width = 900, .height = 540, .key = PLAST_PLOT_KEY_RIGHT, .series = s, .n_series = 6};
    return plast_plot_save_lines(x->dir, &p, err);
}

static void summary_json(FILE *f, const char *name, const plast_eval_result *r, int last)
{
    const plast_summary *s = &r->final_sum;
    fprintf(f, "    {\"method\": ");
    plast_json_write_string(f, name);
    fprintf(f, ", \"final\": {\"mean\": ");
    plast_json_write_number(f, s->mean);
    fputs(", \"ci95\": [", f);
    plast_json_write_number(f, s->lo);
    fputs(", ", f);
    plast_json_write_number(f, s->hi);
    fprintf(f, "], \"std\": ");
    plast_json_write_number(f, s->std);
    fprintf(f, ", \"n\": %d, \"diverged\": %d}, \"final_median_all\": ", s->n, s->n_bad);
    plast_json_write_number(f, r->final_median);
    fputs(", ", f);
    plast_eval_write_curve_json(f, r->curve_sum, r->n_seg, r->final, r->runs);
    fprintf(f, "}%s\n", last ? "" : ",");
}

static void method_names(const ctx *x, char names[3][160])
{
    snprintf(names[0], 160, "meta-trained %s", x->cfg->rule->name);
    snprintf(names[1], 160, "%s starting point", x->cfg->rule->name);
    snprintf(names[2], 160, "online SGD, lr %g tuned on the training pool (non-local)",
             (double)x->fin->sgd_lr);
}

static int w_summary(FILE *f, const void *p)
{
    const ctx *x = p;
    char names[3][160];
    method_names(x, names);
    int n;
    const plast_gen_stats *h = plast_campaign_history(x->camp, &n);
    long best_gen = best_generation(h, n);
    fprintf(f, "{\n  \"rule\": \"%s\",\n  \"task\": \"%s\",\n  \"score\": \"%s (%s is better)\",\n", x->cfg->rule->name,
            x->cfg->task->name,
            x->obj->score_name, x->obj->higher_better ? "higher" : "lower");
    fprintf(f, "  \"runs\": %d,\n  \"generations\": %ld,\n  \"stop_reason\": \"%s\",\n",
            x->fin->best.runs, plast_campaign_gen(x->camp), x->stop ? x->stop : "");
    fprintf(f, "  \"best_generation\": %ld,\n  \"best_validation\": ", best_gen);
    plast_json_write_number(f, h[n - 1].best_valid);
    fprintf(f, ",\n  \"ci_method\": \"percentile bootstrap of the mean, %d resamples\",\n",
            x->cfg->run.bootstrap);
    fprintf(f, "  \"sgd_tuning\": [");
    for (int i = 0; i < x->fin->n_tune; i++) {
        fprintf(f, "%s{\"lr\": ", i ? ", " : "");
        plast_json_write_number(f, plast_campaign_sgd_lrs[i]);
        fputs(", \"train_loss\": ", f);
        plast_json_write_number(f, x->fin->sgd_tune[i]);
        fputc('}', f);
    }
    fprintf(f, "],\n  \"methods\": [\n");
    summary_json(f, names[0], &x->fin->best, 0);
    summary_json(f, names[1], &x->fin->start, 0);
    summary_json(f, names[2], &x->fin->sgd, 1);
    fprintf(f, "  ]\n}\n");
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static void make_table(const ctx *x, char *buf, size_t n)
{
    char names[3][160];
    method_names(x, names);
    const plast_eval_result *r[3] = {&x->fin->best, &x->fin->start, &x->fin->sgd};
    const char *metric = x->obj->score_name;
    size_t used = (size_t)snprintf(buf, n, "| method | diverged | final %s [95%% CI] |\n|---|---|---|\n",
                                   metric);
    int any = 0;
    for (int i = 0; i < 3 && used < n; i++) {
        const plast_summary *s = &r[i]->final_sum;
        char head[256];
        plast_headline_format(head, sizeof head, s, r[i]->final_median);
        used += (size_t)snprintf(buf + used, n - used, "| %s | %d | %s |\n", names[i], s->n_bad, head);
        any |= s->n_bad;
    }
    if (any && used < n)
        snprintf(buf + used, n - used, "\nDiverged runs: the final score is the median of all runs with a "
                                       "diverged run ranked worst, then the mean and CI of the finite runs.\n");
}

static int w_summary_md(FILE *f, const void *p)
{
    const ctx *x = p;
    char table[4096];
    make_table(x, table, sizeof table);
    fprintf(f, "# %s on %s: meta-training summary\n\n", x->cfg->rule->name, x->cfg->task->name);
    fprintf(f, "Evaluation pool, %d runs, same episodes for every method; 95%% percentile "
               "bootstrap intervals.\n\n%s\n",
            x->fin->best.runs, table);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static void note(const plast_metatrain_hooks *h, const char *msg)
{
    if (h && h->note) h->note(h->ctx, msg);
}

/* The resolved config's text hash: what a checkpoint belongs to. */
static int config_hash(const plast_config *cfg, uint64_t *h, plast_err *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (config hash)");
    int rc = plast_config_write(cfg, m);
    if (fclose(m) && !rc) rc = PLAST_E_INTERNAL;
    if (rc) rc = plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (config hash)");
    else *h = plast_hash64(text, len);
    free(text);
    return rc;
}

/* A new run directory holds its config.json from the moment it exists under its name, so
 * that --resume always finds what it needs: it is made as DIR.tmp.PID, given config.json and
 * renamed. A directory that already exists (empty, or with force) is not ours to rename:
 * config.json goes straight in. */
static int make_run_dir(const char *dir, int force, const plast_config *cfg, plast_err *err)
{
    ctx x = {.cfg = cfg};
    char name[4096], stage[4200], path[4300];
    struct stat st;
    if (stat(dir, &st) == 0 || errno != ENOENT) {
        x.dir = dir;
        int rc = plast_dir_prepare(dir, force, err);
        return rc ? rc : file_in(&x, "config.json", w_config, err);
    }
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--; /* "out/" is staged as "out.tmp.PID" */
    if (len >= sizeof name) return plast_err_set(err, PLAST_E_USAGE, dir, "path too long");
    memcpy(name, dir, len);
    name[len] = '\0';
    snprintf(stage, sizeof stage, "%s.tmp.%ld", name, (long)getpid());
    plast_err serr;
    int rc = plast_dir_prepare(stage, 0, &serr);
    if (rc) return plast_err_set(err, rc, dir, "%s", serr.msg);
    x.dir = stage;
    rc = file_in(&x, "config.json", w_config, err);
    if (!rc && rename(stage, name))
        rc = plast_err_set(err, PLAST_E_IO, dir, "cannot create: %s", strerror(errno));
    if (rc) {
        plast_path_join(path, sizeof path, stage, "config.json", NULL);
        remove(path);
        rmdir(stage);
    }
    return rc;
}

/* plast_metatrain with the config storage (large: heap, the caller's) passed in. */
static int metatrain(plast_config *cfg, const plast_metatrain_args *a,
                     const volatile sig_atomic_t *interrupt, const plast_metatrain_hooks *hooks,
                     plast_metatrain_result *res, plast_err *err)
{
    int rc;
    int writer = a->comm.rank == 0;
    char cfg_path[4200];
    plast_registry reg = plast_registry_builtin(1);
    if (a->resume_dir) {
        if (a->n_sets || a->seed >= 0)
            return plast_err_set(err, PLAST_E_USAGE, "--resume",
                                 "a resumed run keeps its config: no --set or --seed");
        if ((rc = plast_path_join(cfg_path, sizeof cfg_path, a->resume_dir, "config.json", err)))
            return rc;
        rc = plast_config_load(cfg, cfg_path, NULL, 0, &reg, err);
    } else {
        rc = plast_config_load(cfg, a->config_path, a->sets, a->n_sets, &reg, err);
        if (!rc && a->seed >= 0) cfg->run.seed = (int)a->seed;
    }
    if (rc) return rc;
    if (!cfg->has_campaign)
        return plast_err_set(err, PLAST_E_CONFIG, "campaign",
                             "missing: meta-train needs a \"campaign\" section (see meta/campaigns/)");
    uint64_t hash = 0;
    plast_task_shape sh;
    if ((rc = config_hash(cfg, &hash, err)) || (rc = cfg->task->shape(cfg->task_opts, &sh, err)))
        return rc;
    /* A resume keeps the thread count of the run unless given (0), and its sessions. */
    int threads = a->threads, remembered = 1;
    plast_run_record rec;
    plast_run_record_init(&rec, a->cmdline, a->version, a->git, 1, a->comm.size);
    if (a->resume_dir) plast_run_record_resume(&rec, a->resume_dir, &remembered);
    if (threads < 1) threads = remembered;
    rec.threads = threads;
    plast_campaign *camp = plast_campaign_new(cfg, threads, &a->comm, err);
    if (!camp) {
        plast_run_record_free(&rec);
        return err ? err->code : PLAST_E_INTERNAL;
    }

    /* The directory: chosen and checked only now that the input is known to be good. */
    int fresh = !a->resume_dir; /* generation 0 still to be validated */
    if (a->resume_dir) {
        snprintf(res->dir, sizeof res->dir, "%s", a->resume_dir);
        char ck[4200], mc[4200];
        if (!(rc = plast_path_join(ck, sizeof ck, res->dir, "checkpoint.bin", err)) &&
            !(rc = plast_path_join(mc, sizeof mc, res->dir, "metrics.csv", err))) {
            /* A run stopped before its generation-0 checkpoint (killed while validating the
             * starting point) has a config and nothing else: it starts again from generation
             * 0, which gives the same numbers. A missing checkpoint after generations were
             * recorded (metrics.csv) is an error. */
            if (access(ck, F_OK) && errno == ENOENT && access(mc, F_OK))
                fresh = 1;
            else
                rc = plast_campaign_restore(camp, ck, hash, err);
        }
    } else if (a->out_dir) {
        snprintf(res->dir, sizeof res->dir, "%s", a->out_dir);
    } else {
        const char *base = strrchr(a->config_path, '/');
        base = base ? base + 1 : a->config_path;
        char stem[256];
        snprintf(stem, sizeof stem, "%s", base);
        char *dot = strrchr(stem, '.');
        if (dot) *dot = '\0';
        snprintf(res->dir, sizeof res->dir, "results/%s", stem);
    }
    if (!rc && !a->resume_dir && writer) rc = make_run_dir(res->dir, a->force, cfg, err);
    double failed = rc ? 1.0 : 0.0; /* all ranks leave together */
    if (a->comm.allsum) a->comm.allsum(&failed, 1, a->comm.ctx);
    if (!rc && failed != 0.0)
        rc = plast_err_set(err, PLAST_E_IO, res->dir, "rank 0 could not set up the run directory");
    if (rc) {
        plast_campaign_delete(camp);
        plast_run_record_free(&rec);
        return rc;
    }
    ctx x = {.a = a, .cfg = cfg, .camp = camp, .dir = res->dir};
    x.obj = sh.objective;
    plast_campaign_meta_loss_name((const plast_campaign_opts *)cfg->campaign_opts, sh.objective,
                                  x.meta_loss, sizeof x.meta_loss);
    char ckpt[4200];
    plast_path_join(ckpt, sizeof ckpt, res->dir, "checkpoint.bin", NULL);
    if (writer && a->resume_dir) {
        int n_stale = 0;
        rc = plast_dir_clean_tmp(res->dir, &n_stale, err);
        if (!rc && n_stale) note(hooks, "removed temporary files a stopped session left behind");
    }
    if (writer) {
        rc = plast_run_record_write(&rec, res->dir, err);
        if (!rc) rc = file_in(&x, "start.json", w_start, err);
        if (!rc) rc = save_metatrain_plot(&x, err);
    }
    /* Ranks agree after every step that only rank 0 does: otherwise one rank would leave
     * while the others wait in a collective. flags: [interrupted, rank 0 failed]. */
    double flags[2] = {0.0, rc ? 1.0 : 0.0};
    if (a->comm.allsum) a->comm.allsum(flags, 2, a->comm.ctx);
    if (!rc && flags[1] != 0.0)
        rc = plast_err_set(err, PLAST_E_IO, res->dir, "rank 0 could not set up the run directory");
    const plast_campaign_opts *co = (const plast_campaign_opts *)cfg->campaign_opts;
    int n_workers = threads * (a->comm.size > 1 ? a->comm.size : 1);
    if (!rc && co->optimizer == PLAST_OPTIM_ADAM && co->episodes < n_workers) {
        char msg[200]; /* the meta-batch is the unit of parallelism */
        snprintf(msg, sizeof msg, "campaign.episodes is %d: a step keeps %d of the %d threads%s busy "
                 "(validation uses them all)", co->episodes, co->episodes, n_workers,
                 a->comm.size > 1 ? " across ranks" : "");
        note(hooks, msg);
    }
    if (!rc && fresh) {
        note(hooks, "validating the starting point");
        rc = plast_campaign_start(camp, interrupt, err);
        /* From here on the directory always holds a checkpoint to resume from. */
        int wrc = !rc && writer ? plast_campaign_save(camp, ckpt, hash, err) : PLAST_OK;
        flags[1] = wrc ? 1.0 : 0.0;
        if (!rc && a->comm.allsum) a->comm.allsum(flags, 2, a->comm.ctx);
        if (wrc) rc = wrc;
        else if (!rc && flags[1] != 0.0)
            rc = plast_err_set(err, PLAST_E_IO, res->dir, "rank 0 could not write the run directory");
    }
    double last_best = INFINITY;
    while (!rc && !plast_campaign_done(camp)) {
        plast_gen_stats s;
        rc = plast_campaign_step(camp, interrupt, &s, err);
        if (rc) break;
        int wrc = PLAST_OK;
        if (writer) {
            wrc = metrics_in(&x, "metrics.csv", w_metrics_csv, err);
            if (!wrc) wrc = metrics_in(&x, "metrics.jsonl", w_metrics_jsonl, err);
            if (!wrc && s.best_valid < last_best) wrc = file_in(&x, "best.json", w_best, err);
            last_best = s.best_valid;
            if (!wrc && s.gen % co->checkpoint_every == 0) {
                wrc = plast_campaign_save(camp, ckpt, hash, err);
                if (!wrc) wrc = save_metatrain_plot(&x, err);
            }
            if (hooks && hooks->generation) hooks->generation(hooks->ctx, &s, co->generations);
        }
        flags[0] = interrupt && *interrupt ? 1.0 : 0.0;
        flags[1] = wrc ? 1.0 : 0.0;
        if (a->comm.allsum) a->comm.allsum(flags, 2, a->comm.ctx);
        if (wrc) rc = wrc;
        else if (flags[1] != 0.0)
            rc = plast_err_set(err, PLAST_E_IO, res->dir, "rank 0 could not write the run directory");
        else if (flags[0] != 0.0)
            rc = plast_err_set(err, PLAST_INTERRUPTED, "", "interrupted");
    }
    if (rc == PLAST_INTERRUPTED) {
        /* The state of the last completed generation, so that --resume continues exactly.
         * Before generation 0 was validated there is nothing to save: a resume starts over. */
        int n_done;
        plast_campaign_history(camp, &n_done);
        if (writer && n_done > 0) {
            plast_err werr;
            if (plast_campaign_save(camp, ckpt, hash, &werr) || save_metatrain_plot(&x, &werr)) {
                plast_campaign_delete(camp);
                plast_run_record_free(&rec);
                *err = werr;
                return werr.code;
            }
        }
        plast_run_record_end(&rec, "interrupted", PLAST_INTERRUPTED);
        /* The interruption is what is reported (exit 75, resume): a run.json that could not
         * be updated only keeps saying "running"; the checkpoint is what resume needs. */
        if (writer) (void)plast_run_record_write(&rec, res->dir, NULL);
        if (n_done > 0)
            snprintf(err->msg, sizeof err->msg,
                     "interrupted after generation %ld; checkpoint written: resume with --resume %.200s",
                     plast_campaign_gen(camp), res->dir);
        else
            snprintf(err->msg, sizeof err->msg,
                     "interrupted while validating the starting point (no generation to save); "
                     "--resume %.200s starts it again from generation 0",
                     res->dir);
        err->where[0] = '\0';
        plast_campaign_delete(camp);
        plast_run_record_free(&rec);
        return PLAST_INTERRUPTED;
    }
    plast_campaign_final fin;
    memset(&fin, 0, sizeof fin);
    int have_fin = 0;
    if (!rc) {
        res->stop_reason = plast_campaign_done(camp);
        x.stop = res->stop_reason;
        if (writer) {
            rc = plast_campaign_save(camp, ckpt, hash, err);
            if (!rc) rc = file_in(&x, "metrics.csv", w_metrics_csv, err);
            if (!rc) rc = file_in(&x, "metrics.jsonl", w_metrics_jsonl, err);
            if (!rc) rc = file_in(&x, "best.json", w_best, err);
            if (!rc) rc = save_metatrain_plot(&x, err);
        }
    }
    if (!rc && writer && co->meta_loss == PLAST_META_PROBE) {
        /* a self-supervised rule has no episode score and no SGD counterpart: its gain is
         * measured on the test split by `plast probe` with best.json (include/plast/probe.h) */
        note(hooks, "no final evaluation for the probe meta-loss: compare best.json with its "
                    "starting point by `plast probe` on the test split");
    } else if (!rc && writer) {
        note(hooks, "final evaluation: meta-trained rule, its starting point, online SGD (lr tuned)");
        rc = plast_campaign_final_eval(camp, &fin, err);
        have_fin = !rc;
    }
    res->compared = have_fin;
    if (have_fin) {
        x.fin = &fin;
        rc = file_in(&x, "summary.json", w_summary, err);
        if (!rc) rc = file_in(&x, "summary.md", w_summary_md, err);
        if (!rc) rc = file_in(&x, "curves.csv", w_curves_csv, err);
        if (!rc) rc = save_curves_plot(&x, err);
        make_table(&x, res->table, sizeof res->table);
        const plast_summary *b = &fin.best.final_sum, *s0 = &fin.start.final_sum;
        res->beats_start = x.obj->higher_better ? b->lo > s0->hi : b->hi < s0->lo;
    }
    if (!rc && writer) { /* with or without a final evaluation (a probe meta-loss has none) */
        int n_plots;
        plast_err perr;
        if (plast_metatrain_plot(res->dir, &n_plots, &perr)) note(hooks, perr.msg);
        else if (!n_plots) note(hooks, "gnuplot is not installed: the .gp and .csv files are kept");
    }
    plast_run_record_end(&rec, rc ? "failed" : "finished", rc);
    if (writer) {
        /* An earlier error stays the one reported; otherwise a failed run.json is. */
        int wrc = plast_run_record_write(&rec, res->dir, rc ? NULL : err);
        if (!rc) rc = wrc;
    }
    if (have_fin) plast_campaign_final_free(&fin);
    plast_campaign_delete(camp);
    plast_run_record_free(&rec);
    return rc;
}

int plast_metatrain(const plast_metatrain_args *a, const volatile sig_atomic_t *interrupt,
                    const plast_metatrain_hooks *hooks, plast_metatrain_result *res,
                    plast_err *err)
{
    memset(res, 0, sizeof *res);
    plast_config *cfg = malloc(sizeof *cfg);
    if (!cfg) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory");
    int rc = metatrain(cfg, a, interrupt, hooks, res, err);
    free(cfg);
    return rc;
}

int plast_metatrain_plot(const char *dir, int *n_rendered, plast_err *err)
{
    static const char *const plots[] = {"metatrain", "curves", NULL};
    *n_rendered = 0;
    for (int i = 0; plots[i]; i++) {
        char gp[4200];
        int rc = plast_path_join(gp, sizeof gp, dir, plots[i], err);
        if (rc) return rc;
        strncat(gp, ".gp", sizeof gp - strlen(gp) - 1);
        if (access(gp, R_OK)) continue; /* not made yet (e.g. no final evaluation) */
        int rendered = 0;
        if ((rc = plast_plot_render(dir, plots[i], &rendered, err))) return rc;
        *n_rendered += rendered;
    }
    return PLAST_OK;
}
