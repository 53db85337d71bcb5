/* sweep.c — seed sweeps of meta-training (see sweep.h): one run directory per seed, then
 * the pooled table and the curves of every seed. */
#include "plast/sweep.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plast/plot.h"
#include "plast/registry.h"
#include "plast/run.h"

#define N_METHODS 3 /* of a campaign's final comparison: meta-trained, starting point, SGD */
#define MAX_GEN 100000

int plast_sweep_parse_seeds(const char *text, int *seeds, int max, int *n, plast_err *err)
{
    *n = 0;
    const char *p = text;
    while (p && *p) {
        char *end;
        errno = 0;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || errno || a < 0 || a > INT_MAX) goto bad;
        p = end;
        if (*p == '-') {
            const char *q = p + 1;
            errno = 0;
            b = strtol(q, &end, 10);
            if (end == q || errno || b < a || b > INT_MAX) goto bad;
            p = end;
        }
        if (*p && *p != ',') goto bad;
        if (*p == ',') p++;
        for (long s = a; s <= b; s++) {
            for (int i = 0; i < *n; i++)
                if (seeds[i] == s) return plast_err_set(err, PLAST_E_USAGE, "--seeds", "seed %ld given twice", s);
            if (*n >= max) return plast_err_set(err, PLAST_E_USAGE, "--seeds", "more than %d seeds", max);
            seeds[(*n)++] = (int)s;
        }
    }
    if (*n < 1) goto bad;
    return PLAST_OK;
bad:
    return plast_err_set(err, PLAST_E_USAGE, "--seeds",
                         "'%s' is not a list of seeds (e.g. 1-5, 1,3,7 or 1-3,9; seeds >= 0)", text);
}

int plast_sweep_is_sweep(const char *dir)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/sweep.json", dir);
    return access(path, F_OK) == 0;
}

static void iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

/* One seed's final comparison, from its summary.json. */
typedef struct seed_result {
    int seed;
    char method[N_METHODS][200];
    double mean[N_METHODS], lo[N_METHODS], hi[N_METHODS], median_all[N_METHODS];
    int runs, diverged[N_METHODS];
    char score[64];
    int higher_better;
} seed_result;

typedef struct sweep {
    const plast_sweep_args *a;
    const char *dir;
    int seeds[PLAST_SWEEP_MAX], n_seeds, threads;
    char *prev;                  /* earlier sessions as JSON array elements (heap) */
    char *campaign, *set;        /* a resumed sweep's "campaign" and "set" as JSON (heap) */
    char start[32], end[32];
    const char *status;
    seed_result *r;              /* [n_seeds] after pooling */
    double pm[N_METHODS], plo[N_METHODS], phi[N_METHODS], within[N_METHODS];
    int n_div[N_METHODS], n_finite[N_METHODS];
    int n_gen;                   /* rows of seeds.csv */
} sweep;

static int w_sweep_json(FILE *f, const void *p)
{
    const sweep *s = p;
    fputs("{\n  \"campaign\": ", f);
    if (s->campaign) fputs(s->campaign, f);
    else plast_json_write_string(f, s->a->config_path ? s->a->config_path : "");
    fputs(",\n  \"set\": ", f);
    if (s->set) {
        fputs(s->set, f);
    } else {
        fputc('[', f);
        for (int i = 0; i < s->a->n_sets; i++) {
            if (i) fputs(", ", f);
            plast_json_write_string(f, s->a->sets[i]);
        }
        fputc(']', f);
    }
    fputs(",\n  \"seeds\": [", f);
    for (int i = 0; i < s->n_seeds; i++) fprintf(f, "%s%d", i ? ", " : "", s->seeds[i]);
    fprintf(f, "],\n  \"threads\": %d,\n  \"ranks\": %d,\n  \"sessions\": [%s%s\n    {\"command\": ", s->threads,
            s->a->comm.size < 1 ? 1 : s->a->comm.size, s->prev ? s->prev : "", s->prev && s->prev[0] ? "," : "");
    plast_json_write_string(f, s->a->cmdline ? s->a->cmdline : "");
    fputs(", \"version\": ", f);
    plast_json_write_string(f, s->a->version ? s->a->version : "");
    fputs(", \"git\": ", f);
    plast_json_write_string(f, s->a->git ? s->a->git : "");
    fprintf(f, ", \"threads\": %d, \"start\": \"%s\", \"end\": \"%s\", \"status\": \"%s\"}\n  ]\n}\n", s->threads,
            s->start, s->end, s->status);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int write_in(const sweep *s, const char *name, plast_writer w, const void *ctx, plast_err *err)
{
    char path[4300];
    int rc = plast_path_join(path, sizeof path, s->dir, name, err);
    return rc ? rc : plast_write_atomic(path, w, ctx, err);
}

static int w_config(FILE *f, const void *p)
{
    return plast_config_write((const plast_config *)p, f);
}

/* A resumed sweep's seeds, threads and earlier sessions from its sweep.json. */
static int read_sweep_json(sweep *s, plast_err *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/sweep.json", s->dir);
    plast_json *root;
    int rc = plast_json_load(path, &root, err);
    if (rc) return rc == PLAST_E_CONFIG ? PLAST_E_DATA : rc;
    const plast_json *l = plast_json_get(root, "seeds");
    s->n_seeds = 0;
    for (const plast_json *x = plast_json_first(l); x && s->n_seeds < PLAST_SWEEP_MAX; x = plast_json_next(x)) {
        double v;
        if (!plast_json_number(x, &v) || v < 0 || v > INT_MAX || v != floor(v)) {
            plast_json_delete(root);
            return plast_err_set(err, PLAST_E_DATA, path, "\"seeds\" must list seeds (integers >= 0)");
        }
        s->seeds[s->n_seeds++] = (int)v;
    }
    double th;
    if (plast_json_number(plast_json_get(root, "threads"), &th) && th >= 1 && th <= 256 && s->threads < 1)
        s->threads = (int)th;
    if (plast_json_string(plast_json_get(root, "campaign"))) s->campaign = plast_json_print(plast_json_get(root, "campaign"));
    if (plast_json_is_array(plast_json_get(root, "set"))) s->set = plast_json_print(plast_json_get(root, "set"));
    s->prev = calloc(1, 1);
    for (const plast_json *x = plast_json_first(plast_json_get(root, "sessions")); x && s->prev; x = plast_json_next(x)) {
        char *t = plast_json_print(x);
        size_t n = t ? strlen(s->prev) + strlen(t) + 8 : 0;
        char *g = t ? realloc(s->prev, n) : NULL;
        if (!g) {
            free(t);
            break;
        }
        s->prev = g;
        snprintf(g + strlen(g), n - strlen(g), "%s\n    %s", g[0] ? "," : "", t);
        free(t);
    }
    plast_json_delete(root);
    if (s->n_seeds < 1) return plast_err_set(err, PLAST_E_DATA, path, "no seeds");
    return PLAST_OK;
}

/* What seed i needs: 2 finished (summary.json and a finished run.json), 1 resume (its
 * directory exists), 0 start. */
static int seed_state(const sweep *s, int i)
{
    char path[4400], text[8192];
    snprintf(path, sizeof path, "%s/seed-%d/summary.json", s->dir, s->seeds[i]);
    if (access(path, R_OK) == 0) {
        snprintf(path, sizeof path, "%s/seed-%d/run.json", s->dir, s->seeds[i]);
        FILE *f = fopen(path, "rb");
        size_t got = f ? fread(text, 1, sizeof text - 1, f) : 0;
        if (f) fclose(f);
        text[got] = '\0';
        if (strstr(text, "\n  \"status\": \"finished\"")) return 2;
    }
    snprintf(path, sizeof path, "%s/seed-%d", s->dir, s->seeds[i]);
    return access(path, F_OK) == 0 ? 1 : 0;
}

static int read_seed(const sweep *s, int i, seed_result *r, plast_err *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/seed-%d/summary.json", s->dir, s->seeds[i]);
    plast_json *root;
    int rc = plast_json_load(path, &root, err);
    if (rc) return rc == PLAST_E_CONFIG ? PLAST_E_DATA : rc;
    memset(r, 0, sizeof *r);
    r->seed = s->seeds[i];
    const char *score = plast_json_string(plast_json_get(root, "score"));
    snprintf(r->score, sizeof r->score, "%s", score ? score : "?");
    r->higher_better = score && strstr(score, "higher is better");
    double v;
    r->runs = plast_json_number(plast_json_get(root, "runs"), &v) ? (int)v : 0;
    int m = 0;
    for (const plast_json *x = plast_json_first(plast_json_get(root, "methods")); x && m < N_METHODS;
         x = plast_json_next(x), m++) {
        const char *name = plast_json_string(plast_json_get(x, "method"));
        snprintf(r->method[m], sizeof r->method[m], "%s", name ? name : "?");
        const plast_json *fin = plast_json_get(x, "final");
        r->mean[m] = plast_json_number(plast_json_get(fin, "mean"), &v) ? v : NAN;
        const plast_json *lo = plast_json_first(plast_json_get(fin, "ci95"));
        r->lo[m] = plast_json_number(lo, &v) ? v : NAN;
        r->hi[m] = lo && plast_json_number(plast_json_next(lo), &v) ? v : NAN;
        r->diverged[m] = plast_json_number(plast_json_get(fin, "diverged"), &v) ? (int)v : 0;
        r->median_all[m] = plast_json_number(plast_json_get(x, "final_median_all"), &v) ? v : NAN;
    }
    plast_json_delete(root);
    if (m != N_METHODS) return plast_err_set(err, PLAST_E_DATA, path, "not a campaign summary (%d methods)", m);
    return PLAST_OK;
}

/* The two-sided 95% quantile of Student's t with df degrees of freedom. */
static double t975(int df)
{
    static const double t[30] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                 2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    return df < 1 ? NAN : df <= 30 ? t[df - 1] : df <= 60 ? 2.000 : df <= 120 ? 1.980 : 1.960;
}

/* Per method: the mean over seeds of each seed's final mean (seeds whose final is not
 * finite, every run diverged, are counted apart), its t interval, and the mean half-width
 * of the seeds' own intervals over runs. */
static void pool(sweep *s)
{
    for (int m = 0; m < N_METHODS; m++) {
        double sum = 0, ss = 0, w = 0;
        int k = 0, nd = 0;
        for (int i = 0; i < s->n_seeds; i++) {
            nd += s->r[i].diverged[m];
            if (!isfinite(s->r[i].mean[m])) continue;
            sum += s->r[i].mean[m], k++;
            w += 0.5 * (s->r[i].hi[m] - s->r[i].lo[m]);
        }
        double mean = k ? sum / k : NAN;
        for (int i = 0; i < s->n_seeds; i++)
            if (isfinite(s->r[i].mean[m])) ss += (s->r[i].mean[m] - mean) * (s->r[i].mean[m] - mean);
        double half = k > 1 ? t975(k - 1) * sqrt(ss / (k - 1)) / sqrt((double)k) : NAN;
        s->pm[m] = mean, s->plo[m] = mean - half, s->phi[m] = mean + half;
        s->within[m] = k ? w / k : NAN;
        s->n_div[m] = nd, s->n_finite[m] = k;
    }
}

static const char *const method_keys[N_METHODS] = {"meta-trained", "starting point", "online SGD"};

static void make_table(const sweep *s, char *buf, size_t n)
{
    const seed_result *r0 = &s->r[0];
    size_t u = (size_t)snprintf(buf, n,
                                "| method | seeds | final %s: mean over seeds [95%% CI over seeds] | "
                                "within-seed 95%% CI over runs (mean half-width) | diverged runs |\n"
                                "|---|---|---|---|---|\n",
                                r0->score);
    for (int m = 0; m < N_METHODS && u < n; m++)
        u += (size_t)snprintf(buf + u, n - u, "| %s | %d of %d | %.4f [%.4f, %.4f] | +- %.4f | %d |\n",
                              method_keys[m], s->n_finite[m], s->n_seeds, s->pm[m], s->plo[m], s->phi[m],
                              s->within[m], s->n_div[m]);
    if (u < n)
        u += (size_t)snprintf(buf + u, n - u, "\nPer seed (final %s [95%% CI over %d evaluation runs]):\n\n"
                                              "| seed | meta-trained | starting point | online SGD |\n|---|---|---|---|\n",
                              r0->score, r0->runs);
    for (int i = 0; i < s->n_seeds && u < n; i++) {
        u += (size_t)snprintf(buf + u, n - u, "| %d |", s->r[i].seed);
        for (int m = 0; m < N_METHODS && u < n; m++) {
            char div[48] = "";
            if (s->r[i].diverged[m]) snprintf(div, sizeof div, " (%d DIVERGED)", s->r[i].diverged[m]);
            u += (size_t)snprintf(buf + u, n - u, " %.4f [%.4f, %.4f]%s |", s->r[i].mean[m], s->r[i].lo[m],
                                  s->r[i].hi[m], div);
        }
        if (u < n) u += (size_t)snprintf(buf + u, n - u, "\n");
    }
    if (u < n)
        snprintf(buf + u, n - u, "\nAcross seeds: Student t interval of the mean of the seeds' final means (the "
                                 "spread of meta-training); within a seed: percentile bootstrap over evaluation "
                                 "runs. A seed's mean is over its finite runs.\n");
}

static int w_seeds_md(FILE *f, const void *p)
{
    const sweep *s = p;
    char table[8192];
    make_table(s, table, sizeof table);
    fprintf(f, "# Seed sweep: %d meta-training seeds\n\n%s", s->n_seeds, table);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static void num_pair(FILE *f, double lo, double hi)
{
    fputc('[', f);
    plast_json_write_number(f, lo);
    fputs(", ", f);
    plast_json_write_number(f, hi);
    fputc(']', f);
}

static int w_seeds_json(FILE *f, const void *p)
{
    const sweep *s = p;
    fputs("{\n  \"seeds\": [", f);
    for (int i = 0; i < s->n_seeds; i++) fprintf(f, "%s%d", i ? ", " : "", s->seeds[i]);
    fputs("],\n  \"score\": ", f);
    plast_json_write_string(f, s->r[0].score);
    fprintf(f, ",\n  \"runs_per_seed\": %d,\n  \"ci_over_seeds\": \"95%% Student t interval of the mean of the "
               "seeds' final means\",\n  \"ci_within_seed\": \"95%% percentile bootstrap over evaluation runs\",\n"
               "  \"methods\": [",
            s->r[0].runs);
    for (int m = 0; m < N_METHODS; m++) {
        fprintf(f, "%s\n    {\"method\": \"%s\", \"seeds_finite\": %d, \"mean_over_seeds\": ", m ? "," : "",
                method_keys[m], s->n_finite[m]);
        plast_json_write_number(f, s->pm[m]);
        fputs(", \"ci95_over_seeds\": ", f);
        num_pair(f, s->plo[m], s->phi[m]);
        fputs(", \"within_seed_ci95_half_width\": ", f);
        plast_json_write_number(f, s->within[m]);
        fprintf(f, ", \"diverged_runs\": %d, \"per_seed\": [", s->n_div[m]);
        for (int i = 0; i < s->n_seeds; i++) {
            fprintf(f, "%s{\"seed\": %d, \"method\": ", i ? ", " : "", s->r[i].seed);
            plast_json_write_string(f, s->r[i].method[m]);
            fputs(", \"final\": ", f);
            plast_json_write_number(f, s->r[i].mean[m]);
            fputs(", \"ci95\": ", f);
            num_pair(f, s->r[i].lo[m], s->r[i].hi[m]);
            fprintf(f, ", \"diverged\": %d, \"final_median_all\": ", s->r[i].diverged[m]);
            plast_json_write_number(f, s->r[i].median_all[m]);
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("\n  ]\n}\n", f);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* seeds.csv: generation, then each seed's mean fitness and validation (columns 2 + 2i,
 * 3 + 2i), nan past its last generation; from each seed's metrics.csv (generation, best,
 * mean, std, validation, ...). */
typedef struct curves {
    const sweep *s;
    double *v; /* [n_gen][2 n_seeds] */
} curves;

static int w_seeds_csv(FILE *f, const void *p)
{
    const curves *c = p;
    int ns = c->s->n_seeds;
    fputs("generation", f);
    for (int i = 0; i < ns; i++) fprintf(f, ",mean_seed%d,validation_seed%d", c->s->seeds[i], c->s->seeds[i]);
    fputc('\n', f);
    for (int g = 0; g < c->s->n_gen; g++) {
        fprintf(f, "%d", g);
        for (int k = 0; k < 2 * ns; k++) fprintf(f, ",%.9g", c->v[(size_t)g * 2 * ns + k]);
        fputc('\n', f);
    }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int save_curves(sweep *s, plast_err *err)
{
    int ns = s->n_seeds;
    curves c = {s, NULL};
    s->n_gen = 0;
    /* First pass: the longest run; second: the values. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            c.v = malloc((size_t)(s->n_gen > 0 ? s->n_gen : 1) * 2 * ns * sizeof *c.v);
            if (!c.v) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (sweep)");
            for (size_t k = 0; k < (size_t)s->n_gen * 2 * ns; k++) c.v[k] = NAN;
        }
        for (int i = 0; i < ns; i++) {
            char path[4400], line[2048];
            snprintf(path, sizeof path, "%s/seed-%d/metrics.csv", s->dir, s->seeds[i]);
            FILE *f = fopen(path, "r");
            if (!f) continue;
            if (fgets(line, sizeof line, f))
                while (fgets(line, sizeof line, f)) {
                    long g;
                    double b, m, sd, v;
                    if (sscanf(line, "%ld,%lf,%lf,%lf,%lf", &g, &b, &m, &sd, &v) != 5 || g < 0 || g >= MAX_GEN) continue;
                    if (!pass) {
                        if (g + 1 > s->n_gen) s->n_gen = (int)g + 1;
                    } else if (g < s->n_gen) {
                        c.v[(size_t)g * 2 * ns + 2 * i] = g > 0 ? m : NAN;
                        c.v[(size_t)g * 2 * ns + 2 * i + 1] = v;
                    }
                }
            fclose(f);
        }
    }
    int rc = write_in(s, "seeds.csv", w_seeds_csv, &c, err);
    /* A robust log-scale range over every seed's values (divergence spikes left out). */
    size_t nv = (size_t)s->n_gen * 2 * ns;
    double *logv = malloc((2 * nv + 1) * sizeof *logv), lo = 0, hi = 0;
    int m = 0;
    for (size_t k = 0; logv && k < nv; k++)
        if (isfinite(c.v[k]) && c.v[k] > 0) logv[m++] = log10(c.v[k]);
    if (logv && m) plast_plot_robust_range(logv, m, logv + nv, &lo, &hi);
    free(logv);
    free(c.v);
    plast_plot_series *ser = calloc(2 * (size_t)ns, sizeof *ser);
    char(*titles)[32] = calloc((size_t)ns, sizeof *titles);
    if (!rc && (!ser || !titles)) rc = plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (sweep)");
    for (int i = 0; !rc && i < ns; i++) {
        snprintf(titles[i], sizeof titles[i], "seed %d", s->seeds[i]);
        const char *col = plast_plot_colour(i);
        ser[2 * i] = (plast_plot_series){PLAST_PLOT_LINE, 2 + 2 * i, 0, 0, col, titles[i], 1, plast_plot_dash(i)};
        ser[2 * i + 1] = (plast_plot_series){PLAST_PLOT_POINTS, 3 + 2 * i, 0, 0, col, NULL, 0, plast_plot_dash(i)};
    }
    char title[128];
    snprintf(title, sizeof title, "meta-training over %d seeds", ns);
    plast_plot_lines p = {
        .name = "seeds", .data = "seeds.csv",
        .about = "Meta-training curves of every seed of the sweep: the candidates' mean meta-loss\n"
                 "per generation (line) and the validation meta-loss (points), one colour a seed;\n"
                 "the y range leaves out outliers (diverging candidates).",
        .title = title, .xlabel = "generation", .ylabel = "meta-loss", .width = 900, .height = 540,
        .key = PLAST_PLOT_KEY_RIGHT, .log_y = 1, .series = ser, .n_series = 2 * ns};
    if (m) p.y_min = pow(10.0, lo), p.y_max = pow(10.0, hi);
    if (!rc) rc = plast_plot_save_lines(s->dir, &p, err);
    free(ser), free(titles);
    int rendered;
    if (!rc) rc = plast_plot_render(s->dir, "seeds", &rendered, err);
    return rc;
}

static void note(const plast_metatrain_hooks *h, const char *msg)
{
    if (h && h->note) h->note(h->ctx, msg);
}

/* Rank 0's value of x on every rank (the others contribute 0). */
static double from_rank0(const plast_comm *c, double x)
{
    if (!c->allsum) return x;
    double v = c->rank == 0 ? x : 0.0;
    c->allsum(&v, 1, c->ctx);
    return v;
}

static int run_sweep(sweep *s, plast_config *cfg, const volatile sig_atomic_t *interrupt,
                     const plast_metatrain_hooks *hooks, plast_sweep_result *res, plast_err *err)
{
    const plast_sweep_args *a = s->a;
    int writer = a->comm.rank == 0, rc = PLAST_OK;
    plast_registry reg = plast_registry_builtin(1);
    if (a->resume_dir) {
        if (a->n_sets || a->seeds)
            return plast_err_set(err, PLAST_E_USAGE, "--resume", "a resumed sweep keeps its config and seeds: no --set or --seeds");
        snprintf(res->dir, sizeof res->dir, "%s", a->resume_dir);
        s->dir = res->dir;
        if ((rc = read_sweep_json(s, err))) return rc;
    } else {
        if ((rc = plast_sweep_parse_seeds(a->seeds, s->seeds, PLAST_SWEEP_MAX, &s->n_seeds, err))) return rc;
        if ((rc = plast_config_load(cfg, a->config_path, a->sets, a->n_sets, &reg, err))) return rc;
        if (!cfg->has_campaign)
            return plast_err_set(err, PLAST_E_CONFIG, "campaign",
                                 "missing: meta-train needs a \"campaign\" section (see meta/campaigns/)");
        if (a->out_dir) {
            snprintf(res->dir, sizeof res->dir, "%s", a->out_dir);
        } else {
            const char *base = strrchr(a->config_path, '/');
            char stem[256];
            snprintf(stem, sizeof stem, "%s", base ? base + 1 : a->config_path);
            char *dot = strrchr(stem, '.');
            if (dot) *dot = '\0';
            snprintf(res->dir, sizeof res->dir, "results/%s-seeds", stem);
        }
        s->dir = res->dir;
        if (writer) {
            rc = plast_dir_prepare(s->dir, a->force, err);
            if (!rc) rc = write_in(s, "config.json", w_config, cfg, err);
        }
        if (from_rank0(&a->comm, rc ? 1.0 : 0.0) != 0.0 && !rc)
            rc = plast_err_set(err, PLAST_E_IO, s->dir, "rank 0 could not set up the sweep directory");
        if (rc) return rc;
    }
    if (s->threads < 1) s->threads = 1;
    res->n_seeds = s->n_seeds;
    iso_now(s->start, sizeof s->start);
    s->status = "running";
    if (writer && (rc = write_in(s, "sweep.json", w_sweep_json, s, err))) return rc;

    char cfg_path[4300];
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", s->dir);
    plast_metatrain_result *mr = malloc(sizeof *mr);
    if (!mr) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (sweep)");
    for (int i = 0; i < s->n_seeds && !rc; i++) {
        char sub[4400], msg[4600];
        snprintf(sub, sizeof sub, "%s/seed-%d", s->dir, s->seeds[i]);
        int state = (int)from_rank0(&a->comm, writer ? (double)seed_state(s, i) : 0.0);
        if (state == 2) {
            snprintf(msg, sizeof msg, "seed %d (%d of %d): finished earlier, kept", s->seeds[i], i + 1, s->n_seeds);
            note(hooks, msg);
            continue;
        }
        snprintf(msg, sizeof msg, "seed %d (%d of %d): %s %s", s->seeds[i], i + 1, s->n_seeds,
                 state ? "resuming" : "meta-training into", sub);
        note(hooks, msg);
        /* Each seed's run.json holds the command that makes that run alone (what
         * scripts/reproduce reruns); the sweep's own command is in sweep.json. */
        char cmd[8900];
        if (state == 1) snprintf(cmd, sizeof cmd, "plast meta-train --resume %s", sub);
        else snprintf(cmd, sizeof cmd, "plast meta-train %s --seed %d --out %s", cfg_path, s->seeds[i], sub);
        plast_metatrain_args m = {.seed = -1, .threads = s->threads, .cmdline = cmd, .version = a->version,
                                  .git = a->git, .comm = a->comm};
        if (state == 1) {
            m.resume_dir = sub;
        } else {
            m.config_path = cfg_path, m.out_dir = sub, m.seed = s->seeds[i];
        }
        rc = plast_metatrain(&m, interrupt, hooks, mr, err);
        if (rc == PLAST_INTERRUPTED)
            snprintf(err->msg, sizeof err->msg,
                     "interrupted in seed %d (%d of %d seeds finished); resume the sweep with --resume %.200s",
                     s->seeds[i], i, s->n_seeds, s->dir);
        else if (rc && err->where[0] == '\0')
            snprintf(err->where, sizeof err->where, "%.200s", sub);
    }
    free(mr);
    if (!rc && writer) {
        s->r = calloc((size_t)s->n_seeds, sizeof *s->r);
        if (!s->r) rc = plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (sweep)");
        for (int i = 0; !rc && i < s->n_seeds; i++) rc = read_seed(s, i, &s->r[i], err);
        if (!rc) {
            pool(s);
            rc = write_in(s, "seeds.json", w_seeds_json, s, err);
            if (!rc) rc = write_in(s, "seeds.md", w_seeds_md, s, err);
            if (!rc) make_table(s, res->table, sizeof res->table);
            if (!rc) rc = save_curves(s, err);
        }
    }
    s->status = rc == PLAST_INTERRUPTED ? "interrupted" : rc ? "failed" : "finished";
    iso_now(s->end, sizeof s->end);
    if (writer) {
        int wrc = write_in(s, "sweep.json", w_sweep_json, s, rc ? NULL : err);
        if (!rc) rc = wrc;
    }
    return rc;
}

int plast_sweep(const plast_sweep_args *a, const volatile sig_atomic_t *interrupt,
                const plast_metatrain_hooks *hooks, plast_sweep_result *res, plast_err *err)
{
    memset(res, 0, sizeof *res);
    sweep *s = calloc(1, sizeof *s);
    plast_config *cfg = malloc(sizeof *cfg); /* large */
    int rc = s && cfg ? PLAST_OK : plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (sweep)");
    if (!rc) {
        s->a = a;
        s->threads = a->threads;
        rc = run_sweep(s, cfg, interrupt, hooks, res, err);
    }
    if (s) free(s->prev), free(s->r), free(s->campaign), free(s->set);
    free(s);
    free(cfg);
    return rc;
}
