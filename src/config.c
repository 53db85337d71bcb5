/* config.c — JSON configs and params files through cJSON (see include/plast/config.h).
 * The only file that includes cJSON.h. */
#include "plast/config.h"
#include "plast/suggest.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const plast_opt run_table[] = {
    {"seed", PLAST_OPT_INT, offsetof(plast_run_opts, seed), 1, 0, 2147483647, NULL, NULL,
     "seed of everything drawn: initial network, episodes, bootstrap"},
    {"runs", PLAST_OPT_INT, offsetof(plast_run_opts, runs), 10, 1, 1000000, NULL, NULL,
     "independent runs (episodes) to score"},
    {"bootstrap", PLAST_OPT_INT, offsetof(plast_run_opts, bootstrap), 1000, 0, 1000000, NULL,
     NULL, "bootstrap resamples for the 95% confidence intervals"},
    {"params", PLAST_OPT_STRING, offsetof(plast_run_opts, params), 0, 0, 0, NULL, "",
     "params file (a campaign's best.json) to load over the initial values"},
    {"params_layers", PLAST_OPT_INTS, offsetof(plast_run_opts, params_layers), 0, -1, PLAST_MAX_LAYERS - 1, NULL, "",
     "load only these layers' tensors from the params file (-1: those of no single layer, such "
     "as a global plasticity coefficient; empty: all)"},
};
const plast_opt_table plast_run_opts_table = {run_table, sizeof run_table / sizeof run_table[0],
                                              sizeof(plast_run_opts)};

/* ---------- reading files ---------- */

/* Line and column (1-based) of stop within text. */
static void text_position(const char *text, const char *stop, int *line, int *col)
{
    *line = 1, *col = 1;
    for (const char *p = text; p < stop && *p; p++) {
        if (*p == '\n') ++*line, *col = 1;
        else ++*col;
    }
}

/* The first byte JSON does not allow where it stands, or NULL. cJSON skips every byte
 * <= 0x20 between tokens and keeps control characters inside strings as they are; JSON
 * allows only space, tab, newline and carriage return between tokens and no control
 * character inside a string (they must be escaped). */
static const char *bad_control(const char *text)
{
    int in_str = 0;
    for (const char *p = text; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (in_str) {
            if (ch < 0x20) return p;
            if (ch == '\\') {
                if ((unsigned char)p[1] < 0x20) return p + 1;
                p++;
            } else if (ch == '"') {
                in_str = 0;
            }
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
            return p;
        }
    }
    return NULL;
}

/* Whole file into a NUL-terminated heap buffer; a directory or a NUL byte is refused. */
static char *slurp(const char *path, size_t *len, plast_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        plast_err_set(err, errno == ENOENT ? PLAST_E_NOINPUT : PLAST_E_IO, path,
                      "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        plast_err_set(err, PLAST_E_NOINPUT, path, "is a directory, not a JSON file");
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f), e = errno;
    fclose(f);
    if (!buf || bad) {
        free(buf);
        if (bad) plast_err_set(err, PLAST_E_IO, path, "read failed: %s", strerror(e));
        else plast_err_set(err, PLAST_E_INTERNAL, path, "out of memory");
        return NULL;
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        /* cJSON would stop at the NUL and ignore the rest of the file. */
        int line = 1, col = 1;
        text_position(buf, buf + strlen(buf), &line, &col);
        char where[300];
        snprintf(where, sizeof where, "%.250s:%d:%d", path, line, col);
        plast_err_set(err, PLAST_E_CONFIG, where, "NUL byte in a JSON file");
        free(buf);
        return NULL;
    }
    if (len) *len = n;
    return buf;
}

static cJSON *parse_json(const char *text, const char *origin, plast_err *err)
{
    const char *end = NULL;
    int line, col;
    char where[256];
    const char *ctl = bad_control(text);
    if (ctl) {
        text_position(text, ctl, &line, &col);
        snprintf(where, sizeof where, "%.200s:%d:%d", origin, line, col);
        plast_err_set(err, PLAST_E_CONFIG, where,
                      "control character 0x%02x near line %d, column %d (not allowed in JSON)",
                      (unsigned)(unsigned char)*ctl, line, col);
        return NULL;
    }
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (root) return root;
    text_position(text, end ? end : text + strlen(text), &line, &col);
    snprintf(where, sizeof where, "%.200s:%d:%d", origin, line, col);
    plast_err_set(err, PLAST_E_CONFIG, where, "malformed JSON near line %d, column %d", line, col);
    return NULL;
}

/* ---------- option tables ---------- */

/* " Did you mean 'KEY'?" for an unknown key among the table's keys (and extra, a
 * comma-separated list of names handled elsewhere), or "". */
static void did_you_mean(const plast_opt_table *t, const char *extra, const char *word, char *buf,
                         size_t n)
{
    enum { MAX_CANDS = 160, MAX_EXTRA = 8 };
    const char *cands[MAX_CANDS];
    char extras[MAX_EXTRA][32];
    int k = 0, n_extra = 0;
    for (int i = 0; t && i < t->n && k < MAX_CANDS - MAX_EXTRA; i++) cands[k++] = t->opt[i].key;
    for (const char *e = extra; e && *e && n_extra < MAX_EXTRA;) {
        size_t len = strcspn(e, ", ");
        if (len && len < sizeof extras[0]) {
            memcpy(extras[n_extra], e, len);
            extras[n_extra][len] = '\0';
            cands[k++] = extras[n_extra++];
        }
        e += len;
        e += strspn(e, ", ");
    }
    const char *best = plast_suggest(word, cands, k);
    if (best) snprintf(buf, n, ": did you mean '%s'?", best);
    else buf[0] = '\0';
}

static void keys_list(const plast_opt_table *t, const char *extra, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    if (extra) used += (size_t)snprintf(buf, n, "%s", extra);
    for (int i = 0; i < t->n && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", t->opt[i].key);
}

/* A top-level key as the error record names it: the empty key "" would leave it blank. */
static const char *key_name(const char *key)
{
    return *key ? key : "\"\"";
}

/* A key that an earlier member of the same object already used. */
static int dup_key(const cJSON *obj, const cJSON *item)
{
    for (const cJSON *p = obj->child; p && p != item; p = p->next)
        if (p->string && strcmp(p->string, item->string) == 0) return 1;
    return 0;
}

/* "a, b, c": an option's allowed names, for messages. */
static void choices_list(const plast_opt *o, char *list, size_t n)
{
    size_t used = 0;
    list[0] = '\0';
    for (int i = 0; o->choices[i] && used < n; i++)
        used += (size_t)snprintf(list + used, n - used, "%s%s", i ? ", " : "", o->choices[i]);
}

static int read_int(const cJSON *v, const plast_opt *o, const char *path, int *out, plast_err *err)
{
    if (!cJSON_IsNumber(v))
        return plast_err_set(err, PLAST_E_CONFIG, path, "expected an integer");
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d))
        return plast_err_set(err, PLAST_E_CONFIG, path, "expected an integer, got %g", d);
    if (d < o->lo || d > o->hi)
        return plast_err_set(err, PLAST_E_CONFIG, path, "%g is out of range %g..%g", d, o->lo,
                             o->hi);
    *out = (int)d;
    return PLAST_OK;
}

static int fill(const plast_opt_table *t, const cJSON *obj, void *dst, const char *path,
                const char *skip, plast_err *err);

static int read_opt(const plast_opt *o, const cJSON *v, void *dst, const char *path,
                    plast_err *err)
{
    char *p = (char *)dst + o->offset;
    switch (o->type) {
    case PLAST_OPT_INT: return read_int(v, o, path, (int *)p, err);
    case PLAST_OPT_FLOAT: {
        if (!cJSON_IsNumber(v)) return plast_err_set(err, PLAST_E_CONFIG, path, "expected a number");
        double d = v->valuedouble;
        if (!isfinite(d))
            return plast_err_set(err, PLAST_E_CONFIG, path, "not a finite number");
        if (d < o->lo || d > o->hi)
            return plast_err_set(err, PLAST_E_CONFIG, path, "%g is out of range %g..%g", d,
                                 o->lo, o->hi);
        *(float *)p = (float)d;
        return PLAST_OK;
    }
    case PLAST_OPT_BOOL:
        if (!cJSON_IsBool(v)) return plast_err_set(err, PLAST_E_CONFIG, path, "expected true or false");
        *(int *)p = cJSON_IsTrue(v) ? 1 : 0;
        return PLAST_OK;
    case PLAST_OPT_ENUM: {
        int k = cJSON_IsString(v) ? plast_choice_index(o->choices, v->valuestring) : -1;
        if (k < 0) {
            char list[512];
            choices_list(o, list, sizeof list);
            if (!cJSON_IsString(v))
                return plast_err_set(err, PLAST_E_CONFIG, path, "expected one of: %s", list);
            return plast_err_set(err, PLAST_E_CONFIG, path, "'%s' is not one of: %s",
                                 v->valuestring, list);
        }
        *(int *)p = k;
        return PLAST_OK;
    }
    case PLAST_OPT_STRING:
        if (!cJSON_IsString(v)) return plast_err_set(err, PLAST_E_CONFIG, path, "expected a string");
        if (strlen(v->valuestring) >= PLAST_OPT_STRLEN)
            return plast_err_set(err, PLAST_E_CONFIG, path, "longer than %d characters",
                                 PLAST_OPT_STRLEN - 1);
        snprintf(p, PLAST_OPT_STRLEN, "%s", v->valuestring);
        return PLAST_OK;
    case PLAST_OPT_NAMES: {
        plast_names *x = (plast_names *)p;
        if (!cJSON_IsArray(v))
            return plast_err_set(err, PLAST_E_CONFIG, path, "expected a list of names");
        if (cJSON_GetArraySize(v) > PLAST_OPT_MAXNAMES)
            return plast_err_set(err, PLAST_E_CONFIG, path, "at most %d names",
                                 PLAST_OPT_MAXNAMES);
        memset(x, 0, sizeof *x);
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            char sub[300];
            snprintf(sub, sizeof sub, "%s[%d]", path, x->n);
            const char *name = cJSON_IsString(e) ? e->valuestring : NULL;
            size_t len = name ? strlen(name) : 0;
            int ok = len > 0 && len < PLAST_NAME_LEN;
            for (size_t i = 0; ok && i < len; i++)
                ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
                     name[i] == '_';
            if (!ok)
                return plast_err_set(err, PLAST_E_CONFIG, sub,
                                     "expected a name of 1 to %d characters a-z, 0-9, _",
                                     PLAST_NAME_LEN - 1);
            if (plast_names_has(x, name))
                return plast_err_set(err, PLAST_E_CONFIG, sub, "'%s' is listed twice", name);
            memcpy(x->v[x->n++], name, len + 1);
        }
        return PLAST_OK;
    }
    case PLAST_OPT_OBJS: {
        plast_objs *x = (plast_objs *)p;
        if (!cJSON_IsArray(v))
            return plast_err_set(err, PLAST_E_CONFIG, path, "expected a list of objects");
        if (cJSON_GetArraySize(v) > PLAST_OPT_MAXOBJS)
            return plast_err_set(err, PLAST_E_CONFIG, path, "at most %d entries",
                                 PLAST_OPT_MAXOBJS);
        memset(x, 0, sizeof *x);
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            char sub[300];
            snprintf(sub, sizeof sub, "%s[%d]", path, x->n);
            if (!cJSON_IsObject(e)) return plast_err_set(err, PLAST_E_CONFIG, sub, "expected an object");
            int rc = fill(o->sub, e, x->v[x->n], sub, NULL, err);
            if (rc) return rc;
            x->n++;
        }
        return PLAST_OK;
    }
    case PLAST_OPT_INTS: {
        plast_ints *x = (plast_ints *)p;
        if (!cJSON_IsArray(v))
            return plast_err_set(err, PLAST_E_CONFIG, path, "expected a list of integers");
        int n = cJSON_GetArraySize(v);
        if (n > PLAST_OPT_MAXINTS)
            return plast_err_set(err, PLAST_E_CONFIG, path, "at most %d entries",
                                 PLAST_OPT_MAXINTS);
        x->n = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            char sub[300];
            snprintf(sub, sizeof sub, "%s[%d]", path, x->n);
            int rc = read_int(e, o, sub, &x->v[x->n], err);
            if (rc) return rc;
            x->n++;
        }
        return PLAST_OK;
    }
    }
    return plast_err_set(err, PLAST_E_INTERNAL, path, "unknown option type");
}

/* Fills dst from obj through the table; skip names one key handled by the caller. */
static int fill(const plast_opt_table *t, const cJSON *obj, void *dst, const char *path,
                const char *skip, plast_err *err)
{
    plast_opts_defaults(t, dst);
    if (!obj) return PLAST_OK;
    if (!cJSON_IsObject(obj))
        return plast_err_set(err, PLAST_E_CONFIG, path, "expected an object");
    const cJSON *item;
    cJSON_ArrayForEach(item, obj)
    {
        char key[300];
        snprintf(key, sizeof key, "%s%s%s", path, *path ? "." : "", item->string);
        if (dup_key(obj, item)) return plast_err_set(err, PLAST_E_CONFIG, key, "key given twice");
        if (skip && strcmp(item->string, skip) == 0) continue;
        const plast_opt *o = NULL;
        for (int i = 0; i < t->n; i++)
            if (strcmp(t->opt[i].key, item->string) == 0) o = &t->opt[i];
        if (!o) {
            char list[600];
            char hint[120];
            keys_list(t, skip, list, sizeof list);
            did_you_mean(t, skip, item->string, hint, sizeof hint);
            return plast_err_set(err, PLAST_E_CONFIG, key, "unknown key%s (known here: %s)", hint, list);
        }
        int rc = read_opt(o, item, dst, key, err);
        if (rc) return rc;
    }
    return PLAST_OK;
}

/* "rule": "flp" or "rule": {"name": "flp", ...}: the name of the module. */
static int module_name(const cJSON *v, const char *path, const char **name, plast_err *err)
{
    char key[64];
    snprintf(key, sizeof key, "%s.name", path);
    if (!v) return plast_err_set(err, PLAST_E_CONFIG, path, "missing (it names the %s)", path);
    if (cJSON_IsString(v)) {
        *name = v->valuestring;
        return PLAST_OK;
    }
    if (!cJSON_IsObject(v))
        return plast_err_set(err, PLAST_E_CONFIG, path, "expected an object with a \"name\"");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(v, "name");
    if (!cJSON_IsString(n)) return plast_err_set(err, PLAST_E_CONFIG, key, "missing or not a string");
    *name = n->valuestring;
    return PLAST_OK;
}

/* ---------- --set overrides ---------- */

static int apply_set(cJSON *root, const char *set, plast_err *err)
{
    char where[300];
    snprintf(where, sizeof where, "--set %s", set);
    const char *eq = strchr(set, '=');
    if (!eq || eq == set)
        return plast_err_set(err, PLAST_E_USAGE, where, "expected key=value (e.g. task.order=iid)");
    char path[256];
    size_t kl = (size_t)(eq - set);
    if (kl >= sizeof path) return plast_err_set(err, PLAST_E_USAGE, where, "key too long");
    memcpy(path, set, kl);
    path[kl] = '\0';
    if (bad_control(eq + 1))
        return plast_err_set(err, PLAST_E_USAGE, where, "control character in the value");
    cJSON *val = cJSON_ParseWithOpts(eq + 1, NULL, 1); /* the whole value, or a string */
    if (!val) val = cJSON_CreateString(eq + 1);
    if (!val) return plast_err_set(err, PLAST_E_INTERNAL, where, "out of memory");
    cJSON *obj = root;
    char *seg = path;
    for (;;) {
        char *dot = strchr(seg, '.');
        if (!*seg || (dot && dot == seg)) {
            cJSON_Delete(val);
            return plast_err_set(err, PLAST_E_USAGE, where, "empty part in the key");
        }
        if (dot) *dot = '\0';
        char *br = strchr(seg, '[');
        if (br) { /* name[i][j]...: an element of a list that is already there */
            *br = '\0';
            cJSON *item = *seg ? cJSON_GetObjectItemCaseSensitive(obj, seg) : NULL;
            for (char *q = br; ; ) {
                char *end;
                errno = 0;
                long idx = strtol(q + 1, &end, 10);
                if (!cJSON_IsArray(item)) {
                    cJSON_Delete(val);
                    return plast_err_set(err, PLAST_E_USAGE, where, "'%s' is not a list here", seg);
                }
                if (errno || end == q + 1 || *end != ']' || idx < 0 || idx >= cJSON_GetArraySize(item)) {
                    cJSON_Delete(val);
                    return plast_err_set(err, PLAST_E_USAGE, where, "index out of range: '%s' has %d entries",
                                         seg, cJSON_GetArraySize(item));
                }
                q = end + 1;
                if (*q != '[' && *q) {
                    cJSON_Delete(val);
                    return plast_err_set(err, PLAST_E_USAGE, where, "expected name[index]");
                }
                if (!*q && !dot) {
                    cJSON_ReplaceItemInArray(item, (int)idx, val);
                    return PLAST_OK;
                }
                item = cJSON_GetArrayItem(item, (int)idx);
                if (!*q) break;
            }
            if (!cJSON_IsObject(item)) {
                cJSON_Delete(val);
                return plast_err_set(err, PLAST_E_USAGE, where, "'%s' entry is not an object", seg);
            }
            obj = item;
            seg = dot + 1;
            continue;
        }
        if (!dot) break;
        cJSON *next = cJSON_GetObjectItemCaseSensitive(obj, seg);
        if (next && cJSON_IsString(next) && (obj == root) &&
            (!strcmp(seg, "rule") || !strcmp(seg, "task"))) {
            /* "rule": "flp" shorthand: turn it into {"name": "flp"} to add a key */
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", next->valuestring);
            cJSON_ReplaceItemInObjectCaseSensitive(obj, seg, o);
            next = o;
        }
        if (!next) {
            next = cJSON_CreateObject();
            cJSON_AddItemToObject(obj, seg, next);
        } else if (!cJSON_IsObject(next)) {
            cJSON_Delete(val);
            return plast_err_set(err, PLAST_E_USAGE, where, "'%s' is not an object", seg);
        }
        obj = next;
        seg = dot + 1;
    }
    if (cJSON_GetObjectItemCaseSensitive(obj, seg))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, seg, val);
    else
        cJSON_AddItemToObject(obj, seg, val);
    return PLAST_OK;
}

/* ---------- configs ---------- */

static int config_from_json(plast_config *c, const cJSON *root, const plast_registry *reg,
                            plast_err *err)
{
    const plast_opt_table *campaign = reg->campaign;
    if (!cJSON_IsObject(root))
        return plast_err_set(err, PLAST_E_CONFIG, "", "a config is a JSON object");
    /* Top level: the run table plus the three sections. */
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        if (dup_key(root, item)) return plast_err_set(err, PLAST_E_CONFIG, key_name(item->string), "key given twice");
        if (!strcmp(item->string, "net") || !strcmp(item->string, "rule") ||
            !strcmp(item->string, "task") || (campaign && !strcmp(item->string, "campaign")))
            continue;
        int known = 0;
        for (int i = 0; i < plast_run_opts_table.n; i++)
            known |= !strcmp(plast_run_opts_table.opt[i].key, item->string);
        if (!known) {
            char list[600];
            const char *extra = campaign ? "net, rule, task, campaign" : "net, rule, task";
            char hint[120];
            keys_list(&plast_run_opts_table, extra, list, sizeof list);
            did_you_mean(&plast_run_opts_table, extra, item->string, hint, sizeof hint);
            return plast_err_set(err, PLAST_E_CONFIG, key_name(item->string),
                                 "unknown key%s (known here: %s)", hint, list);
        }
    }
    plast_opts_defaults(&plast_run_opts_table, &c->run);
    for (int i = 0; i < plast_run_opts_table.n; i++) {
        const plast_opt *o = &plast_run_opts_table.opt[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, o->key);
        int rc = v ? read_opt(o, v, &c->run, o->key, err) : PLAST_OK;
        if (rc) return rc;
    }
    const cJSON *net = cJSON_GetObjectItemCaseSensitive(root, "net");
    int rc = fill(&plast_net_opts_table, net, &c->net, "net", NULL, err);
    if (rc) return rc;
    /* net.layers, when given, is the network; net.hidden is then written as [] */
    if (c->net.layers.n) {
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(net, "hidden");
        if (h && cJSON_GetArraySize(h) > 0)
            return plast_err_set(err, PLAST_E_CONFIG, "net.layers",
                                 "give either net.hidden (a dense stack) or net.layers, not both");
        c->net.hidden.n = 0;
    }
    c->campaign_table = campaign;
    if (campaign) {
        const cJSON *cv = cJSON_GetObjectItemCaseSensitive(root, "campaign");
        c->has_campaign = cv != NULL;
        if (campaign->size > PLAST_OPTS_BYTES)
            return plast_err_set(err, PLAST_E_INTERNAL, "campaign", "options struct too large");
        if ((rc = fill(campaign, cv, c->campaign_opts, "campaign", NULL, err))) return rc;
    }

    const char *name;
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(root, "rule");
    if ((rc = module_name(rv, "rule", &name, err))) return rc;
    c->rule = NULL;
    for (int i = 0; i < reg->n_rules && !c->rule; i++)
        if (!strcmp(reg->rules[i]->name, name)) c->rule = reg->rules[i];
    if (!c->rule) {
        char list[400] = "";
        for (int i = 0; i < reg->n_rules; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     reg->rules[i]->name);
        const char *names[64];
        int nn = 0;
        for (int i = 0; i < reg->n_rules && nn < 64; i++) names[nn++] = reg->rules[i]->name;
        const char *best = plast_suggest(name, names, nn);
        char hint[96] = "";
        if (best) snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
        return plast_err_set(err, PLAST_E_CONFIG, "rule.name", "unknown rule '%s'%s (known: %s)",
                             name, hint, list);
    }
    if (c->rule->opts.size > PLAST_OPTS_BYTES)
        return plast_err_set(err, PLAST_E_INTERNAL, "rule", "options struct too large");
    rc = fill(&c->rule->opts, cJSON_IsObject(rv) ? rv : NULL, c->rule_opts, "rule", "name", err);
    if (rc) return rc;

    const cJSON *tv = cJSON_GetObjectItemCaseSensitive(root, "task");
    if ((rc = module_name(tv, "task", &name, err))) return rc;
    c->task = NULL;
    for (int i = 0; i < reg->n_tasks && !c->task; i++)
        if (!strcmp(reg->tasks[i]->name, name)) c->task = reg->tasks[i];
    if (!c->task) {
        char list[400] = "";
        for (int i = 0; i < reg->n_tasks; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     reg->tasks[i]->name);
        const char *names[64];
        int nn = 0;
        for (int i = 0; i < reg->n_tasks && nn < 64; i++) names[nn++] = reg->tasks[i]->name;
        const char *best = plast_suggest(name, names, nn);
        char hint[96] = "";
        if (best) snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
        return plast_err_set(err, PLAST_E_CONFIG, "task.name", "unknown task '%s'%s (known: %s)",
                             name, hint, list);
    }
    if (c->task->opts.size > PLAST_OPTS_BYTES)
        return plast_err_set(err, PLAST_E_INTERNAL, "task", "options struct too large");
    return fill(&c->task->opts, cJSON_IsObject(tv) ? tv : NULL, c->task_opts, "task", "name",
                err);
}

int plast_config_parse(plast_config *c, const char *text, const char *origin,
                       const char *const *sets, int n_sets, const plast_registry *reg,
                       plast_err *err)
{
    memset(c, 0, sizeof *c);
    snprintf(c->origin, sizeof c->origin, "%s", origin);
    cJSON *root = parse_json(text, origin, err);
    if (!root) return PLAST_E_CONFIG;
    int rc = PLAST_OK;
    for (int i = 0; i < n_sets && !rc; i++) rc = apply_set(root, sets[i], err);
    if (!rc) rc = config_from_json(c, root, reg, err);
    cJSON_Delete(root);
    return rc;
}

int plast_config_load(plast_config *c, const char *path, const char *const *sets, int n_sets,
                      const plast_registry *reg, plast_err *err)
{
    char *text = slurp(path, NULL, err);
    if (!text) return err ? err->code : PLAST_E_NOINPUT;
    int rc = plast_config_parse(c, text, path, sets, n_sets, reg, err);
    free(text);
    return rc;
}

/* ---------- writing ---------- */

void plast_json_write_number(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "%.9g", v);
    else fputs("null", f);
}

void plast_json_write_string(FILE *f, const char *str)
{
    cJSON *s = cJSON_CreateString(str); /* escapes quotes and control characters */
    char *txt = s ? cJSON_PrintUnformatted(s) : NULL;
    fputs(txt ? txt : "\"\"", f);
    cJSON_free(txt);
    cJSON_Delete(s);
}

static void write_value(FILE *f, const plast_opt *o, const void *opts)
{
    const char *p = (const char *)opts + o->offset;
    switch (o->type) {
    case PLAST_OPT_INT: fprintf(f, "%d", *(const int *)p); break;
    case PLAST_OPT_BOOL: fputs(*(const int *)p ? "true" : "false", f); break;
    case PLAST_OPT_FLOAT: plast_json_write_number(f, *(const float *)p); break;
    case PLAST_OPT_ENUM: fprintf(f, "\"%s\"", o->choices[*(const int *)p]); break;
    case PLAST_OPT_STRING: plast_json_write_string(f, p); break;
    case PLAST_OPT_NAMES: {
        const plast_names *x = (const plast_names *)p;
        fputc('[', f);
        for (int k = 0; k < x->n; k++) fprintf(f, "%s\"%s\"", k ? ", " : "", x->v[k]);
        fputc(']', f);
        break;
    }
    case PLAST_OPT_OBJS: {
        const plast_objs *x = (const plast_objs *)p;
        fputc('[', f);
        for (int k = 0; k < x->n; k++) { /* one object a line's worth: {"key": value, ...} */
            fputs(k ? ", {" : "{", f);
            for (int i = 0; i < o->sub->n; i++) {
                fprintf(f, "%s\"%s\": ", i ? ", " : "", o->sub->opt[i].key);
                write_value(f, &o->sub->opt[i], x->v[k]);
            }
            fputc('}', f);
        }
        fputc(']', f);
        break;
    }
    case PLAST_OPT_INTS: {
        const plast_ints *x = (const plast_ints *)p;
        fputc('[', f);
        for (int k = 0; k < x->n; k++) fprintf(f, "%s%d", k ? ", " : "", x->v[k]);
        fputc(']', f);
        break;
    }
    }
}

/* The members of a table as JSON lines at indent, each preceded by ",\n" but the first
 * when first is set. */
static void write_members(FILE *f, const plast_opt_table *t, const void *opts, int indent,
                          int first)
{
    for (int i = 0; i < t->n; i++) {
        fprintf(f, "%s\n%*s\"%s\": ", first && !i ? "" : ",", indent, "", t->opt[i].key);
        write_value(f, &t->opt[i], opts);
    }
}

int plast_opts_write(const plast_opt_table *t, const void *opts, FILE *f, int indent)
{
    fputc('{', f);
    write_members(f, t, opts, indent + 2, 1);
    fprintf(f, "\n%*s}", indent, "");
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

int plast_config_write_task(const plast_config *c, FILE *f)
{
    fprintf(f, "{\"name\": \"%s\"", c->task->name);
    for (int i = 0; i < c->task->opts.n; i++) {
        fprintf(f, ", \"%s\": ", c->task->opts.opt[i].key);
        write_value(f, &c->task->opts.opt[i], c->task_opts);
    }
    fputc('}', f);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

int plast_config_write(const plast_config *c, FILE *f)
{
    fputc('{', f);
    write_members(f, &plast_run_opts_table, &c->run, 2, 1);
    fprintf(f, ",\n  \"net\": ");
    plast_opts_write(&plast_net_opts_table, &c->net, f, 2);
    fprintf(f, ",\n  \"rule\": {\n    \"name\": \"%s\"", c->rule->name);
    write_members(f, &c->rule->opts, c->rule_opts, 4, 0);
    fprintf(f, "\n  },\n  \"task\": {\n    \"name\": \"%s\"", c->task->name);
    write_members(f, &c->task->opts, c->task_opts, 4, 0);
    fprintf(f, "\n  }");
    if (c->has_campaign) {
        fprintf(f, ",\n  \"campaign\": ");
        plast_opts_write(c->campaign_table, c->campaign_opts, f, 2);
    }
    fprintf(f, "\n}\n");
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* ---------- params files ---------- */

int plast_params_write(FILE *f, const char *rule_name, const plast_pset *const *sections,
                       const char *const *names, const unsigned char *const *masks, int n)
{
    fprintf(f, "{\n  \"format\": \"plast-params\",\n  \"version\": 1,\n  \"rule\": \"%s\"",
            rule_name);
    for (int s = 0; s < n; s++) {
        const plast_pset *ps = sections[s];
        fprintf(f, ",\n  \"%s\": {", names[s]);
        int first = 1;
        for (int k = 0; k < ps->n; k++) {
            if (masks && !masks[s][k]) continue;
            const plast_pspec *p = &ps->spec[k];
            char label[64];
            plast_pspec_label(p, label, sizeof label);
            fprintf(f, "%s\n    \"%s\": {\"shape\": [%d, %d], \"values\": [", first ? "" : ",",
                    label, p->rows, p->cols);
            first = 0;
            size_t m = (size_t)p->rows * p->cols;
            for (size_t i = 0; i < m; i++) {
                if (i) fputs(i % 8 ? ", " : ",\n      ", f);
                plast_json_write_number(f, ps->data[p->offset + i]);
            }
            fprintf(f, "]}");
        }
        fprintf(f, "\n  }");
    }
    fprintf(f, "\n}\n");
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* The layer a tensor label names ("W[2]" 2, "P" -1: plast_pspec_label's format). */
static int label_layer(const char *label)
{
    const char *open = strrchr(label, '[');
    size_t n = strlen(label);
    if (!open || n < 3 || label[n - 1] != ']') return -1;
    char *end;
    long v = strtol(open + 1, &end, 10);
    return end == label + n - 1 && v >= 0 && v < 1000000 ? (int)v : -1;
}

/* Whether a params_layers filter (NULL or empty: everything) takes tensors of layer l. */
static int wants_layer(const plast_ints *layers, int l)
{
    if (!layers || !layers->n) return 1;
    for (int k = 0; k < layers->n; k++)
        if (layers->v[k] == l) return 1;
    return 0;
}

int plast_params_read(const char *path, const char *rule_name, plast_pset *const *sections,
                      const char *const *names, int n, unsigned char *const *loaded,
                      const plast_ints *layers, plast_err *err)
{
    char *text = slurp(path, NULL, err);
    if (!text) return err ? err->code : PLAST_E_NOINPUT;
    cJSON *root = parse_json(text, path, err);
    free(text);
    if (!root) {
        if (err) err->code = PLAST_E_DATA;
        return PLAST_E_DATA;
    }
    int rc = PLAST_OK;
    unsigned char got[PLAST_MAX_LAYERS] = {0}; /* listed layer l had a tensor read */
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *rule = cJSON_GetObjectItemCaseSensitive(root, "rule");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "plast-params") != 0) {
        rc = plast_err_set(err, PLAST_E_DATA, path, "not a plast params file (no \"format\": \"plast-params\")");
    } else if (!cJSON_IsNumber(ver) || ver->valuedouble != 1) {
        rc = plast_err_set(err, PLAST_E_DATA, path, "unsupported params version (this plast reads 1)");
    } else if (!cJSON_IsString(rule) ||
               (strcmp(rule->valuestring, rule_name) != 0 && wants_layer(layers, -1))) {
        rc = plast_err_set(err, PLAST_E_DATA, path, "params are for rule '%s', the config uses '%s'",
                           cJSON_IsString(rule) ? rule->valuestring : "?", rule_name);
    }
    /* Another rule's file (only possible with a layer filter): its tensors this rule has no
     * use for (feedback B and c, per-layer plasticity) are skipped; a listed layer of which
     * nothing is read is an error below. */
    int other_rule = !rc && strcmp(rule->valuestring, rule_name) != 0;
    const cJSON *sec;
    cJSON_ArrayForEach(sec, root)
    {
        if (rc) break;
        /* Duplicate names would let the later silently win, as duplicate config keys may not. */
        if (dup_key(root, sec)) {
            rc = plast_err_set(err, PLAST_E_DATA, path, "key '%s' given twice", sec->string);
            break;
        }
        if (!strcmp(sec->string, "format") || !strcmp(sec->string, "version") ||
            (!strcmp(sec->string, "rule") && cJSON_IsString(sec)))
            continue;
        int s = -1;
        for (int i = 0; i < n; i++)
            if (!strcmp(names[i], sec->string)) s = i;
        if (s < 0 || !cJSON_IsObject(sec)) {
            rc = plast_err_set(err, PLAST_E_DATA, path, "unknown section '%s'", sec->string);
            break;
        }
        const cJSON *t;
        cJSON_ArrayForEach(t, sec)
        {
            char where[400];
            snprintf(where, sizeof where, "%s: %s.%s", path, sec->string, t->string);
            if (!wants_layer(layers, label_layer(t->string))) continue;
            const plast_pspec *p = NULL;
            for (int k = 0; k < sections[s]->n && !p; k++) {
                char label[64];
                plast_pspec_label(&sections[s]->spec[k], label, sizeof label);
                if (!strcmp(label, t->string)) p = &sections[s]->spec[k];
            }
            if (!p && other_rule) continue;
            if (!p) {
                rc = plast_err_set(err, PLAST_E_DATA, where, "no such tensor in this network/rule");
                break;
            }
            if (dup_key(sec, t)) {
                rc = plast_err_set(err, PLAST_E_DATA, where, "tensor given twice");
                break;
            }
            const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
            const cJSON *vals = cJSON_GetObjectItemCaseSensitive(t, "values");
            const cJSON *r0 = cJSON_GetArrayItem(shape, 0), *c0 = cJSON_GetArrayItem(shape, 1);
            if (!cJSON_IsArray(vals) || !cJSON_IsNumber(r0) || !cJSON_IsNumber(c0) ||
                r0->valuedouble != p->rows || c0->valuedouble != p->cols ||
                cJSON_GetArraySize(vals) != p->rows * p->cols) {
                rc = plast_err_set(err, PLAST_E_DATA, where,
                                   "expected shape [%d, %d] with %d values", p->rows, p->cols,
                                   p->rows * p->cols);
                break;
            }
            size_t i = 0;
            const cJSON *v;
            cJSON_ArrayForEach(v, vals)
            {
                if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
                    rc = plast_err_set(err, PLAST_E_DATA, where, "value %zu is not a finite number", i);
                    break;
                }
                /* Checked before the cast: a double that does not round to a finite float
                 * would become +-inf (or be undefined behaviour). FLT_MAX printed with 9
                 * digits reads back a little above FLT_MAX and must still load, so the
                 * limit is FLT_MAX plus half its ulp, where rounding goes to infinity. */
                if (fabs(v->valuedouble) >= FLT_MAX + ldexp(1.0, FLT_MAX_EXP - FLT_MANT_DIG - 1)) {
                    rc = plast_err_set(err, PLAST_E_DATA, where,
                                       "value %zu (%g) is outside the float range", i, v->valuedouble);
                    break;
                }
                sections[s]->data[p->offset + i++] = (float)v->valuedouble;
            }
            if (rc) break;
            if (loaded) loaded[s][p - sections[s]->spec] = 1;
            int l = label_layer(t->string);
            if (l >= 0 && l < PLAST_MAX_LAYERS) got[l] = 1;
        }
    }
    for (int k = 0; !rc && other_rule && k < layers->n; k++)
        if (layers->v[k] >= 0 && !got[layers->v[k]])
            rc = plast_err_set(err, PLAST_E_DATA, path,
                               "params_layers lists layer %d, but no tensor of it in this '%s' file is one "
                               "this '%s' network has", layers->v[k], rule->valuestring, rule_name);
    cJSON_Delete(root);
    return rc;
}

/* ---------- reading JSON for meta/ ---------- */

/* A plast_json is a cJSON node seen through an opaque type: never dereferenced as one. */
static const cJSON *node(const plast_json *j)
{
    return (const cJSON *)(const void *)j;
}

static const plast_json *wrap(const cJSON *j)
{
    return (const plast_json *)(const void *)j;
}

int plast_json_load(const char *path, plast_json **root, plast_err *err)
{
    *root = NULL;
    char *text = slurp(path, NULL, err);
    if (!text) return err ? err->code : PLAST_E_NOINPUT;
    cJSON *j = parse_json(text, path, err);
    free(text);
    if (!j) return PLAST_E_CONFIG;
    *root = (plast_json *)(void *)j;
    return PLAST_OK;
}

void plast_json_delete(plast_json *j)
{
    cJSON_Delete((cJSON *)(void *)j);
}

int plast_json_is_object(const plast_json *j)
{
    return cJSON_IsObject(node(j));
}

int plast_json_is_array(const plast_json *j)
{
    return cJSON_IsArray(node(j));
}

const plast_json *plast_json_get(const plast_json *obj, const char *key)
{
    return wrap(cJSON_GetObjectItemCaseSensitive(node(obj), key));
}

int plast_json_size(const plast_json *j)
{
    return j ? cJSON_GetArraySize(node(j)) : 0;
}

const plast_json *plast_json_first(const plast_json *j)
{
    return j && (cJSON_IsArray(node(j)) || cJSON_IsObject(node(j))) ? wrap(node(j)->child) : NULL;
}

const plast_json *plast_json_next(const plast_json *member)
{
    return wrap(node(member)->next);
}

const char *plast_json_key(const plast_json *member)
{
    return node(member)->string;
}

int plast_json_key_repeated(const plast_json *obj, const plast_json *member)
{
    return dup_key(node(obj), node(member));
}

const char *plast_json_string(const plast_json *j)
{
    return cJSON_IsString(node(j)) ? node(j)->valuestring : NULL;
}

int plast_json_number(const plast_json *j, double *v)
{
    if (!cJSON_IsNumber(node(j)) || !isfinite(node(j)->valuedouble)) return 0;
    *v = node(j)->valuedouble;
    return 1;
}

char *plast_json_print(const plast_json *j)
{
    char *txt = cJSON_PrintUnformatted(node(j));
    if (!txt) return NULL;
    /* A copy from malloc, so that the caller frees it with free() whatever cJSON's hooks. */
    size_t n = strlen(txt) + 1;
    char *out = malloc(n);
    if (out) memcpy(out, txt, n);
    cJSON_free(txt);
    return out;
}
