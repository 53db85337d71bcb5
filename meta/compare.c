/* compare.c — entries of eval, meta-training and bench directories read back, checked for
 * a common protocol, and their differences with bootstrap intervals (see compare.h). */
#include "plast/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plast/config.h"
#include "plast/metrics.h"
#include "plast/rng.h"

static double num(const plast_json *j, double dflt)
{
    double v;
    return plast_json_number(j, &v) ? v : dflt;
}

/* "MSE (lower is better)" or "MSE" into e->score and e->higher_better. */
static void set_score(plast_cmp_entry *e, const char *s)
{
    snprintf(e->score, sizeof e->score, "%s", s ? s : "?");
    char *p = strstr(e->score, " (");
    if (p) *p = '\0';
    e->higher_better = s && strstr(s, "higher is better") ? 1 : !strcmp(e->score, "accuracy");
}

/* The task's settings of a config object as sorted "task.KEY" = compact JSON value. */
static void set_task(plast_cmp_entry *e, const plast_json *task)
{
    e->n_keys = 0;
    e->has_task = plast_json_is_object(task);
    for (const plast_json *m = e->has_task ? plast_json_first(task) : NULL; m && e->n_keys < PLAST_CMP_MAX_KEYS;
         m = plast_json_next(m)) {
        char *v = plast_json_print(m);
        snprintf(e->key[e->n_keys], sizeof e->key[0], "task.%s", plast_json_key(m));
        snprintf(e->value[e->n_keys], sizeof e->value[0], "%s", v ? v : "?");
        free(v);
        e->n_keys++;
    }
    for (int i = 1; i < e->n_keys; i++) /* insertion sort: a few dozen keys */
        for (int j = i; j > 0 && strcmp(e->key[j - 1], e->key[j]) > 0; j--) {
            char k[64], v[160];
            memcpy(k, e->key[j], sizeof k), memcpy(v, e->value[j], sizeof v);
            memcpy(e->key[j], e->key[j - 1], sizeof k), memcpy(e->value[j], e->value[j - 1], sizeof v);
            memcpy(e->key[j - 1], k, sizeof k), memcpy(e->value[j - 1], v, sizeof v);
        }
}

static int set_key(plast_cmp_entry *e, const char *key, const char *value)
{
    for (int i = 0; i < e->n_keys; i++)
        if (!strcmp(e->key[i], key)) {
            snprintf(e->value[i], sizeof e->value[i], "%s", value);
            return 1;
        }
    return 0;
}

/* The final summary {"mean", "ci95": [lo, hi], ...}. */
static void set_final(plast_cmp_entry *e, const plast_json *f)
{
    e->mean = num(plast_json_get(f, "mean"), NAN);
    const plast_json *ci = plast_json_get(f, "ci95");
    const plast_json *lo = plast_json_first(ci), *hi = lo ? plast_json_next(lo) : NULL;
    e->lo = num(lo, NAN), e->hi = num(hi, NAN);
}

/* final_per_run: numbers, null for a diverged run. */
static int set_per_run(plast_cmp_entry *e, const plast_json *a)
{
    int n = plast_json_size(a);
    if (!plast_json_is_array(a) || n < 1) return PLAST_OK;
    if (!(e->final = malloc((size_t)n * sizeof *e->final))) return PLAST_E_INTERNAL;
    int i = 0;
    for (const plast_json *x = plast_json_first(a); x; x = plast_json_next(x)) e->final[i++] = (float)num(x, NAN);
    e->runs = n;
    return PLAST_OK;
}

/* The curve: either "curve": [means] with "curve_ci95": [[lo, hi]...] (summaries, tables)
 * or "curve": [{"after": {"mean", "ci95"}}...] (eval's results.json). */
static int set_curve(plast_cmp_entry *e, const plast_json *c, const plast_json *ci)
{
    int n = plast_json_size(c);
    if (!plast_json_is_array(c) || n < 1) return PLAST_OK;
    e->curve = malloc((size_t)n * sizeof *e->curve);
    e->curve_lo = malloc((size_t)n * sizeof *e->curve);
    e->curve_hi = malloc((size_t)n * sizeof *e->curve);
    if (!e->curve || !e->curve_lo || !e->curve_hi) return PLAST_E_INTERNAL;
    const plast_json *x = plast_json_first(c), *y = plast_json_first(ci);
    for (int k = 0; k < n; k++, x = plast_json_next(x), y = y ? plast_json_next(y) : NULL) {
        const plast_json *after = plast_json_get(x, "after");
        if (after) {
            plast_cmp_entry t;
            set_final(&t, after);
            e->curve[k] = t.mean, e->curve_lo[k] = t.lo, e->curve_hi[k] = t.hi;
        } else {
            const plast_json *lo = plast_json_first(y), *hi = lo ? plast_json_next(lo) : NULL;
            e->curve[k] = num(x, NAN), e->curve_lo[k] = num(lo, NAN), e->curve_hi[k] = num(hi, NAN);
        }
    }
    e->n_seg = n;
    return PLAST_OK;
}

static plast_cmp_entry *grow(plast_cmp_entry **e, int *n)
{
    plast_cmp_entry *g = realloc(*e, (size_t)(*n + 1) * sizeof *g);
    if (!g) return NULL;
    *e = g;
    memset(&g[*n], 0, sizeof g[*n]);
    g[*n].seed = -1;
    g[*n].median_all = NAN;
    return &g[(*n)++];
}

static int exists(const char *dir, const char *name, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    return access(path, R_OK) == 0;
}

int plast_compare_load(const char *dir, plast_cmp_entry **e, int *n, plast_err *err)
{
    char path[4300], cpath[4300];
    plast_json *root = NULL, *cfg = NULL;
    int rc, kind;
    if (exists(dir, "results.json", path, sizeof path)) kind = 0;
    else if (exists(dir, "summary.json", path, sizeof path)) kind = 1;
    else if (exists(dir, "table.json", path, sizeof path)) kind = 2;
    else if (exists(dir, "sweep.json", path, sizeof path))
        return plast_err_set(err, PLAST_E_USAGE, dir,
                             "a seed sweep: its pooled table is seeds.md; compare its runs (%s/seed-N)", dir);
    else
        return plast_err_set(err, access(dir, F_OK) ? PLAST_E_NOINPUT : PLAST_E_DATA, dir,
                             "no results.json (eval), summary.json (meta-train) or table.json (bench) here");
    if ((rc = plast_json_load(path, &root, err))) return rc == PLAST_E_CONFIG ? PLAST_E_DATA : rc;
    /* eval and meta-train directories record their config: the task's settings. */
    if (kind < 2 && exists(dir, "config.json", cpath, sizeof cpath) && (rc = plast_json_load(cpath, &cfg, err))) {
        plast_json_delete(root);
        return rc == PLAST_E_CONFIG ? PLAST_E_DATA : rc;
    }
    const plast_json *task = plast_json_get(cfg, "task");
    double seed = num(plast_json_get(cfg, "seed"), num(plast_json_get(root, "seed"), -1));
    const char *score = plast_json_string(plast_json_get(root, "score"));
    const plast_json *list = kind == 1 ? plast_json_get(root, "methods") : kind == 2 ? plast_json_get(root, "results")
                                                                                      : NULL;
    if (kind && !plast_json_is_array(list)) {
        plast_json_delete(root), plast_json_delete(cfg);
        return plast_err_set(err, PLAST_E_DATA, path, "no \"%s\" list", kind == 1 ? "methods" : "results");
    }
    const plast_json *item = kind ? plast_json_first(list) : root;
    for (; item && !rc; item = kind ? plast_json_next(item) : NULL) {
        plast_cmp_entry *x = grow(e, n);
        if (!x) {
            rc = plast_err_set(err, PLAST_E_INTERNAL, dir, "out of memory");
            break;
        }
        snprintf(x->source, sizeof x->source, "%s", dir);
        snprintf(x->kind, sizeof x->kind, "%s", kind == 0 ? "eval" : kind == 1 ? "meta-train" : "bench");
        x->seed = (int)seed;
        x->runs = (int)num(plast_json_get(kind == 2 ? item : root, "runs"), 0);
        if (kind == 0) {
            const char *rule = plast_json_string(plast_json_get(root, "rule"));
            snprintf(x->label, sizeof x->label, "%s", rule ? rule : "?");
        } else if (kind == 1) {
            const char *m = plast_json_string(plast_json_get(item, "method"));
            snprintf(x->label, sizeof x->label, "%s", m ? m : "?");
        } else {
            const char *v = plast_json_string(plast_json_get(item, "variant"));
            const char *m = plast_json_string(plast_json_get(item, "method"));
            snprintf(x->label, sizeof x->label, "%s / %s", v ? v : "?", m ? m : "?");
        }
        set_score(x, kind == 2 ? plast_json_string(plast_json_get(item, "score")) : score);
        const plast_json *fin = plast_json_get(item, "final");
        set_final(x, fin);
        x->diverged = (int)num(plast_json_get(fin, "diverged"), num(plast_json_get(item, "diverged"), 0));
        x->median_all = num(plast_json_get(item, "final_median_all"), NAN);
        set_task(x, kind == 2 ? plast_json_get(item, "task") : task);
        /* A campaign's final comparison runs on the evaluation pool, whatever its config's
         * pool says about the episodes meta-training drew. */
        if (kind == 1) set_key(x, "task.pool", "\"eval\"");
        if (set_per_run(x, plast_json_get(item, "final_per_run")) ||
            set_curve(x, plast_json_get(item, "curve"), plast_json_get(item, "curve_ci95")))
            rc = plast_err_set(err, PLAST_E_INTERNAL, dir, "out of memory");
        if (!isfinite(x->mean) && x->diverged == 0 && !x->final)
            rc = plast_err_set(err, PLAST_E_DATA, path, "an entry without a final score");
    }
    plast_json_delete(root);
    plast_json_delete(cfg);
    return rc;
}

void plast_compare_free(plast_cmp_entry *e, int n)
{
    for (int i = 0; e && i < n; i++) {
        free(e[i].curve), free(e[i].curve_lo), free(e[i].curve_hi);
        free(e[i].final);
    }
    free(e);
}

/* Appends the keys on which a and b differ to msg ("key (A vs B)"); returns their count. */
static int differences(const plast_cmp_entry *a, const plast_cmp_entry *b, char *msg, size_t n)
{
    int k = 0;
    size_t used = strlen(msg);
#define DIFF(...)                                                                          \
    do {                                                                                   \
        if (used < n) used += (size_t)snprintf(msg + used, n - used, "%s", k ? "; " : ""); \
        if (used < n) used += (size_t)snprintf(msg + used, n - used, __VA_ARGS__);         \
        k++;                                                                               \
    } while (0)
    if (strcmp(a->score, b->score)) DIFF("score (%s vs %s)", a->score, b->score);
    if (a->n_seg && b->n_seg && a->n_seg != b->n_seg) DIFF("segments of the curve (%d vs %d)", a->n_seg, b->n_seg);
    if (a->has_task && b->has_task) {
        for (int i = 0; i < a->n_keys; i++) {
            int j = 0;
            while (j < b->n_keys && strcmp(a->key[i], b->key[j])) j++;
            if (j == b->n_keys) DIFF("%s (%s vs not set)", a->key[i], a->value[i]);
            else if (strcmp(a->value[i], b->value[j])) DIFF("%s (%s vs %s)", a->key[i], a->value[i], b->value[j]);
        }
        for (int j = 0; j < b->n_keys; j++) {
            int i = 0;
            while (i < a->n_keys && strcmp(a->key[i], b->key[j])) i++;
            if (i == a->n_keys) DIFF("%s (not set vs %s)", b->key[j], b->value[j]);
        }
    }
#undef DIFF
    return k;
}

int plast_compare_check(const plast_cmp_entry *e, int n, plast_err *err)
{
    for (int i = 1; i < n; i++) {
        char msg[sizeof err->msg];
        msg[0] = '\0';
        if (differences(&e[0], &e[i], msg, sizeof msg))
            return plast_err_set(err, PLAST_E_DATA, e[i].source,
                                 "'%.100s' was scored differently from '%.100s' (%.200s), refusing to compare: %s",
                                 e[i].label, e[0].label, e[0].source, msg);
    }
    return PLAST_OK;
}

int plast_compare_paired(const plast_cmp_entry *a, const plast_cmp_entry *b)
{
    char msg[64] = "";
    return a->final && b->final && a->runs == b->runs && a->seed >= 0 && a->seed == b->seed && a->has_task &&
           b->has_task && !differences(a, b, msg, sizeof msg);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int plast_compare_diff(const plast_cmp_entry *a, const plast_cmp_entry *b, int n_boot, uint64_t seed,
                       plast_cmp_diff *out, plast_err *err)
{
    memset(out, 0, sizeof *out);
    out->mean = out->lo = out->hi = NAN;
    if (!a->final || !b->final || n_boot < 2) return PLAST_OK;
    out->paired = plast_compare_paired(a, b);
    double *work = malloc((size_t)n_boot * sizeof *work);
    float *d = malloc((size_t)(a->runs > b->runs ? a->runs : b->runs) * sizeof *d);
    float *fa = malloc((size_t)a->runs * sizeof *fa), *fb = malloc((size_t)b->runs * sizeof *fb);
    int rc = work && d && fa && fb ? PLAST_OK : plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (compare)");
    if (!rc && out->paired) {
        /* Run r saw the same episode in both: the per-run differences, resampled. */
        int m = 0;
        for (int r = 0; r < a->runs; r++) {
            if (isfinite(a->final[r]) && isfinite(b->final[r])) d[m++] = b->final[r] - a->final[r];
            else out->n_left_out++;
        }
        plast_summary s;
        plast_summarize(d, m, n_boot, 0.95, seed, work, &s);
        out->mean = s.mean, out->lo = s.lo, out->hi = s.hi, out->n_used = m;
    } else if (!rc) {
        /* Independent samples: each resampled on its own, the difference of the means. */
        int na = 0, nb = 0;
        for (int r = 0; r < a->runs; r++)
            if (isfinite(a->final[r])) fa[na++] = a->final[r];
        for (int r = 0; r < b->runs; r++)
            if (isfinite(b->final[r])) fb[nb++] = b->final[r];
        out->n_left_out = a->runs - na + b->runs - nb;
        out->n_used = nb;
        if (na && nb) {
            double ma = 0, mb = 0;
            for (int i = 0; i < na; i++) ma += fa[i];
            for (int i = 0; i < nb; i++) mb += fb[i];
            out->mean = mb / nb - ma / na;
            plast_rng r;
            plast_rng_derive(&r, seed, 0xd1ff, (uint64_t)na, (uint64_t)nb);
            for (int k = 0; k < n_boot; k++) {
                double sa = 0, sb = 0;
                for (int i = 0; i < na; i++) sa += fa[plast_rng_below(&r, (uint32_t)na)];
                for (int i = 0; i < nb; i++) sb += fb[plast_rng_below(&r, (uint32_t)nb)];
                work[k] = sb / nb - sa / na;
            }
            qsort(work, (size_t)n_boot, sizeof *work, cmp_double);
            out->lo = work[(int)floor(0.025 * (n_boot - 1))];
            out->hi = work[(int)ceil(0.975 * (n_boot - 1))];
        }
    }
    free(work), free(d), free(fa), free(fb);
    return rc;
}
