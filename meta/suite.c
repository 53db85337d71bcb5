/* suite.c — reading benchmark suite files (see include/plast/bench.h). The suite format
 * belongs to meta/; the JSON underneath is read through config.h's read-only plast_json
 * view, so cJSON stays inside src/config.c. Every key is checked: unknown or repeated keys,
 * wrong types and out-of-range values are refused with the key path in the message. */
#include "plast/bench.h"
#include "plast/suggest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef plast_json json;

static int str_into(const json *v, char *dst, size_t n, const char *where, plast_err *err)
{
    const char *s = plast_json_string(v);
    if (!s) return plast_err_set(err, PLAST_E_CONFIG, where, "expected a string");
    if (strlen(s) >= n) return plast_err_set(err, PLAST_E_CONFIG, where, "longer than %zu characters", n - 1);
    snprintf(dst, n, "%s", s);
    return PLAST_OK;
}

/* "set": a list of "key=value" overrides. */
static int entry_sets(const json *item, plast_suite_entry *x, const char *where, plast_err *err)
{
    if (!plast_json_is_array(item) || plast_json_size(item) > PLAST_SUITE_SETS)
        return plast_err_set(err, PLAST_E_CONFIG, where, "expected a list of at most %d \"key=value\"",
                             PLAST_SUITE_SETS);
    for (const json *v = plast_json_first(item); v; v = plast_json_next(v)) {
        char w2[320];
        snprintf(w2, sizeof w2, "%s[%d]", where, x->n_sets);
        int rc = str_into(v, x->sets[x->n_sets], sizeof x->sets[0], w2, err);
        if (rc) return rc;
        if (!strchr(x->sets[x->n_sets], '=')) return plast_err_set(err, PLAST_E_CONFIG, w2, "expected key=value");
        x->n_sets++;
    }
    return PLAST_OK;
}

/* A method's "sweep": {"key": K, "values": [...], "runs": N}. */
static int entry_sweep(const json *item, plast_suite_entry *x, const char *where, plast_err *err)
{
    const json *vals = plast_json_get(item, "values"), *runs = plast_json_get(item, "runs");
    if (!plast_json_is_object(item) || plast_json_size(item) != 2 + (runs != NULL))
        return plast_err_set(err, PLAST_E_CONFIG, where, "expected {\"key\": K, \"values\": [...], \"runs\": N}");
    int rc = str_into(plast_json_get(item, "key"), x->sweep_key, sizeof x->sweep_key, where, err);
    if (rc) return rc;
    if (!plast_json_is_array(vals) || plast_json_size(vals) < 1 || plast_json_size(vals) > PLAST_SUITE_VALUES)
        return plast_err_set(err, PLAST_E_CONFIG, where, "values: 1 to %d numbers", PLAST_SUITE_VALUES);
    for (const json *v = plast_json_first(vals); v; v = plast_json_next(v))
        if (!plast_json_number(v, &x->values[x->n_values++]))
            return plast_err_set(err, PLAST_E_CONFIG, where, "values must be finite numbers");
    x->sweep_runs = 5;
    double r;
    if (runs) {
        if (!plast_json_number(runs, &r) || r != floor(r) || r < 1 || r > 100000)
            return plast_err_set(err, PLAST_E_CONFIG, where, "runs: an integer 1..100000");
        x->sweep_runs = (int)r;
    }
    return PLAST_OK;
}

/* A variant's "reference": published figures [{"label": L, "final": x}]. */
static int entry_refs(const json *item, plast_suite_entry *x, const char *where, plast_err *err)
{
    if (!plast_json_is_array(item) || plast_json_size(item) > PLAST_SUITE_REFS)
        return plast_err_set(err, PLAST_E_CONFIG, where, "expected a list of at most %d {\"label\": L, \"final\": x}",
                             PLAST_SUITE_REFS);
    for (const json *r = plast_json_first(item); r; r = plast_json_next(r)) {
        char w2[320];
        snprintf(w2, sizeof w2, "%s[%d]", where, x->n_refs);
        double v;
        if (!plast_json_is_object(r) || plast_json_size(r) != 2 || !plast_json_number(plast_json_get(r, "final"), &v))
            return plast_err_set(err, PLAST_E_CONFIG, w2, "expected {\"label\": L, \"final\": a finite number}");
        int rc = str_into(plast_json_get(r, "label"), x->ref_label[x->n_refs], sizeof x->ref_label[0], w2, err);
        if (rc) return rc;
        x->ref_final[x->n_refs++] = v;
    }
    return PLAST_OK;
}

static int suite_entry(const json *e, plast_suite_entry *x, int method, const char *path, plast_err *err)
{
    memset(x, 0, sizeof *x);
    if (!plast_json_is_object(e)) return plast_err_set(err, PLAST_E_CONFIG, path, "expected an object");
    for (const json *item = plast_json_first(e); item; item = plast_json_next(item)) {
        const char *key = plast_json_key(item);
        char where[300];
        snprintf(where, sizeof where, "%s.%s", path, key);
        int rc;
        if (plast_json_key_repeated(e, item)) rc = plast_err_set(err, PLAST_E_CONFIG, where, "key given twice");
        else if (!strcmp(key, "label")) rc = str_into(item, x->label, sizeof x->label, where, err);
        else if (!strcmp(key, "set")) rc = entry_sets(item, x, where, err);
        else if (method && !strcmp(key, "sweep")) rc = entry_sweep(item, x, where, err);
        else if (!method && !strcmp(key, "reference")) rc = entry_refs(item, x, where, err);
        else
            rc = plast_err_set(err, PLAST_E_CONFIG, where, "unknown key (known here: label, set, %s)",
                               method ? "sweep" : "reference");
        if (rc) return rc;
    }
    if (!x->label[0]) return plast_err_set(err, PLAST_E_CONFIG, path, "missing \"label\"");
    return PLAST_OK;
}

static int suite_int(const json *root, const char *key, int def, int lo, int hi, int *out, plast_err *err)
{
    const json *v = plast_json_get(root, key);
    double d;
    *out = def;
    if (!v) return PLAST_OK;
    if (!plast_json_number(v, &d) || d != floor(d) || d < lo || d > hi)
        return plast_err_set(err, PLAST_E_CONFIG, key, "expected an integer in %d..%d", lo, hi);
    *out = (int)d;
    return PLAST_OK;
}

/* The entries of a list ("variants", "methods") into x[], counted in *n. */
static int suite_list(const json *list, const char *name, plast_suite_entry *x, int method, int *n,
                      plast_err *err)
{
    for (const json *e = plast_json_first(list); e; e = plast_json_next(e)) {
        char w[64];
        snprintf(w, sizeof w, "%s[%d]", name, *n);
        int rc = suite_entry(e, &x[*n], method, w, err);
        if (rc) return rc;
        (*n)++;
    }
    return PLAST_OK;
}

static int suite_from(plast_suite *s, const json *root, const char *path, plast_err *err)
{
    static const char *const known[] = {"name", "seed", "runs", "bootstrap", "base", "variants",
                                        "methods", "notes", NULL};
    if (!plast_json_is_object(root)) return plast_err_set(err, PLAST_E_CONFIG, path, "a suite is a JSON object");
    for (const json *item = plast_json_first(root); item; item = plast_json_next(item)) {
        if (plast_json_key_repeated(root, item))
            return plast_err_set(err, PLAST_E_CONFIG, plast_json_key(item), "key given twice");
        if (plast_choice_index(known, plast_json_key(item)) < 0)
            return plast_err_set(err, PLAST_E_CONFIG, plast_json_key(item),
                                 "unknown key (known here: name, seed, runs, bootstrap, base, variants, "
                                 "methods, notes)");
    }
    const json *name = plast_json_get(root, "name"), *base = plast_json_get(root, "base");
    const json *variants = plast_json_get(root, "variants"), *methods = plast_json_get(root, "methods");
    const json *notes = plast_json_get(root, "notes");
    int rc = name ? str_into(name, s->name, sizeof s->name, "name", err)
                  : plast_err_set(err, PLAST_E_CONFIG, "name", "missing");
    if (!rc) rc = suite_int(root, "seed", 1, 0, 2147483647, &s->seed, err);
    if (!rc) rc = suite_int(root, "runs", 10, 1, 1000000, &s->runs, err);
    if (!rc) rc = suite_int(root, "bootstrap", 1000, 0, 1000000, &s->bootstrap, err);
    if (rc) return rc;
    if (!plast_json_is_object(base))
        return plast_err_set(err, PLAST_E_CONFIG, "base", "missing or not an object (a config: net, rule, task)");
    if (!(s->base = plast_json_print(base))) return plast_err_set(err, PLAST_E_INTERNAL, "base", "out of memory");
    if (variants && (!plast_json_is_array(variants) || plast_json_size(variants) > PLAST_SUITE_MAX))
        return plast_err_set(err, PLAST_E_CONFIG, "variants", "a list of at most %d objects", PLAST_SUITE_MAX);
    if (!plast_json_is_array(methods) || plast_json_size(methods) < 1 || plast_json_size(methods) > PLAST_SUITE_MAX)
        return plast_err_set(err, PLAST_E_CONFIG, "methods", "a list of 1 to %d objects", PLAST_SUITE_MAX);
    if ((rc = suite_list(variants, "variants", s->variant, 0, &s->n_variants, err))) return rc;
    if (!s->n_variants) { /* one unnamed variant: the base itself */
        s->n_variants = 1;
        snprintf(s->variant[0].label, sizeof s->variant[0].label, "%s", "base");
    }
    if ((rc = suite_list(methods, "methods", s->method, 1, &s->n_methods, err))) return rc;
    if (!notes) return PLAST_OK;
    if (!plast_json_is_array(notes) || plast_json_size(notes) > PLAST_SUITE_MAX)
        return plast_err_set(err, PLAST_E_CONFIG, "notes", "a list of at most %d strings", PLAST_SUITE_MAX);
    for (const json *e = plast_json_first(notes); e; e = plast_json_next(e)) {
        char w[64];
        snprintf(w, sizeof w, "notes[%d]", s->n_notes);
        if ((rc = str_into(e, s->notes[s->n_notes], sizeof s->notes[0], w, err))) return rc;
        s->n_notes++;
    }
    return PLAST_OK;
}

int plast_suite_load(plast_suite *s, const char *path, plast_err *err)
{
    memset(s, 0, sizeof *s);
    json *root;
    int rc = plast_json_load(path, &root, err);
    if (rc) return rc;
    rc = suite_from(s, root, path, err);
    if (rc && err && strncmp(err->where, path, strlen(path))) { /* name the file too */
        char w[sizeof err->where];
        snprintf(w, sizeof w, "%.120s: %.120s", path, err->where);
        snprintf(err->where, sizeof err->where, "%s", w);
    }
    if (!rc && !(s->text = plast_json_print(root))) rc = plast_err_set(err, PLAST_E_INTERNAL, path, "out of memory");
    if (!rc) { /* the file's directory, absolute, for relative params paths in it */
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", path);
        char *slash = strrchr(buf, '/');
        if (slash) *slash = '\0';
        const char *d = slash ? (buf[0] ? buf : "/") : ".";
        char cwd[2048];
        if (d[0] != '/' && getcwd(cwd, sizeof cwd) && strlen(cwd) + strlen(d) + 2 < sizeof s->dir)
            snprintf(s->dir, sizeof s->dir, "%.2040s/%.2040s", cwd, d);
        else
            snprintf(s->dir, sizeof s->dir, "%s", d);
    }
    plast_json_delete(root);
    if (rc) plast_suite_free(s);
    return rc;
}

void plast_suite_free(plast_suite *s)
{
    free(s->base);
    free(s->text);
    s->base = s->text = NULL;
}

/* Keeps the entries x[0..*n) whose label is marked in keep[]. */
static void keep_entries(plast_suite_entry *x, int *n, const unsigned char *keep)
{
    int k = 0;
    for (int i = 0; i < *n; i++)
        if (keep[i]) {
            if (k != i) x[k] = x[i];
            k++;
        }
    *n = k;
}

int plast_suite_only(plast_suite *s, const char *const *labels, int n, plast_err *err)
{
    unsigned char kv[PLAST_SUITE_MAX] = {0}, km[PLAST_SUITE_MAX] = {0};
    int any_v = 0, any_m = 0;
    if (n > PLAST_SUITE_SETS) return plast_err_set(err, PLAST_E_USAGE, "--only", "at most %d labels", PLAST_SUITE_SETS);
    for (int i = 0; i < n; i++) {
        int hit = 0;
        for (int v = 0; v < s->n_variants; v++)
            if (!strcmp(s->variant[v].label, labels[i])) kv[v] = 1, any_v = hit = 1;
        for (int m = 0; m < s->n_methods; m++)
            if (!strcmp(s->method[m].label, labels[i])) km[m] = 1, any_m = hit = 1;
        if (!hit) {
            const char *cands[2 * PLAST_SUITE_MAX];
            int nc = 0;
            for (int v = 0; v < s->n_variants; v++) cands[nc++] = s->variant[v].label;
            for (int m = 0; m < s->n_methods; m++) cands[nc++] = s->method[m].label;
            const char *best = plast_suggest(labels[i], cands, nc);
            return plast_err_set(err, PLAST_E_USAGE, "--only",
                                 "'%s' is no variant or method label of suite %s%s%s%s", labels[i], s->name,
                                 best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "");
        }
        snprintf(s->only[s->n_only++], sizeof s->only[0], "%s", labels[i]);
    }
    if (any_v) keep_entries(s->variant, &s->n_variants, kv);
    if (any_m) keep_entries(s->method, &s->n_methods, km);
    return PLAST_OK;
}

/* A list of strings under key of a bench.json into dst[][w], counted in *n. */
static int string_list(const json *root, const char *key, char *dst, size_t w, int max, int *n,
                       const char *where, plast_err *err)
{
    const json *l = plast_json_get(root, key);
    *n = 0;
    if (!l) return PLAST_OK;
    if (!plast_json_is_array(l) || plast_json_size(l) > max)
        return plast_err_set(err, PLAST_E_DATA, where, "%s: expected a list of at most %d strings", key, max);
    for (const json *v = plast_json_first(l); v; v = plast_json_next(v)) {
        int rc = str_into(v, dst + (size_t)*n * w, w, where, err);
        if (rc) return rc == PLAST_E_CONFIG ? plast_err_set(err, PLAST_E_DATA, where, "%s: bad entry", key) : rc;
        (*n)++;
    }
    return PLAST_OK;
}

int plast_suite_resume(plast_suite *s, const char *dir, int *threads, plast_err *err)
{
    char path[4200], bpath[4200];
    snprintf(path, sizeof path, "%s/suite.json", dir);
    snprintf(bpath, sizeof bpath, "%s/bench.json", dir);
    int rc = plast_suite_load(s, path, err);
    if (rc) return rc;
    json *b;
    if ((rc = plast_json_load(bpath, &b, err))) {
        plast_suite_free(s);
        return rc;
    }
    const json *sd = plast_json_get(b, "suite_dir");
    double runs, th;
    const char *d = plast_json_string(sd);
    if (!d || strlen(d) >= sizeof s->dir || !plast_json_number(plast_json_get(b, "runs"), &runs) || runs < 1 ||
        runs > 1000000 || runs != floor(runs) || !plast_json_number(plast_json_get(b, "threads"), &th) || th < 1 ||
        th > 256)
        rc = plast_err_set(err, PLAST_E_DATA, bpath, "not a bench.json of plast (suite_dir, runs, threads)");
    char only[PLAST_SUITE_SETS][128];
    int n_only = 0;
    if (!rc) rc = string_list(b, "set", &s->extra[0][0], sizeof s->extra[0], PLAST_SUITE_SETS, &s->n_extra, bpath, err);
    if (!rc) rc = string_list(b, "only", &only[0][0], sizeof only[0], PLAST_SUITE_SETS, &n_only, bpath, err);
    if (!rc) {
        /* suite_dir is relative to the bench directory (absolute in suites written before) */
        if (d[0] == '/') snprintf(s->dir, sizeof s->dir, "%s", d);
        else if (snprintf(s->dir, sizeof s->dir, "%s/%s", dir, d) >= (int)sizeof s->dir)
            rc = plast_err_set(err, PLAST_E_USAGE, bpath, "suite_dir: path too long");
    }
    if (!rc) {
        s->runs = (int)runs;
        *threads = (int)th;
        const char *labels[PLAST_SUITE_SETS];
        for (int i = 0; i < n_only; i++) labels[i] = only[i];
        rc = plast_suite_only(s, labels, n_only, err);
    }
    plast_json_delete(b);
    if (rc) plast_suite_free(s);
    return rc;
}
