/* optim.c — what the four ask/tell optimizers share (see include/plast/optim.h): the
 * configuration defaults and validation, the one allocation and its layout, ranking, the
 * best point, the generation and evaluation counters, the maxevals stop, IPOP restarts, and
 * the exact byte-for-byte save and load of the state. The methods themselves live in
 * optim_es.c, optim_cmaes.c and optim_snes.c and are reached through plast_optim_method. */
#define PLAST_OPTIM_INTERNAL
#include "plast/optim.h"

#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plast/rng.h"

static const char *const kind_names[PLAST_OPTIM_N_KINDS] = {"openai-es", "cmaes", "sep-cmaes",
                                                            "snes", "adam"};

static const char *const stop_names[PLAST_OPTIM_N_STOPS] = {
    NULL,           "maxevals",      "tolfun",     "tolx",        "conditioncov",
    "noeffectaxis", "noeffectcoord", "tolupsigma", "flatfitness", "numerics"};

static const plast_optim_method *method_of(plast_optim_kind k)
{
    switch (k) {
    case PLAST_OPTIM_OPENAI_ES: return &plast_optim_es_method;
    case PLAST_OPTIM_CMAES:
    case PLAST_OPTIM_SEP_CMAES: return &plast_optim_cmaes_method;
    case PLAST_OPTIM_SNES: return &plast_optim_snes_method;
    case PLAST_OPTIM_ADAM: return &plast_optim_adam_method;
    }
    return NULL;
}

const char *plast_optim_kind_name(plast_optim_kind k)
{
    return ((unsigned)k < PLAST_OPTIM_N_KINDS) ? kind_names[k] : NULL;
}

int plast_optim_kind_parse(const char *s, plast_optim_kind *k)
{
    static const struct {
        const char *name;
        plast_optim_kind kind;
    } aliases[] = {{"es", PLAST_OPTIM_OPENAI_ES},
                   {"cma-es", PLAST_OPTIM_CMAES},
                   {"sep-cma-es", PLAST_OPTIM_SEP_CMAES}};
    if (!s) return PLAST_E_CONFIG;
    for (int i = 0; i < PLAST_OPTIM_N_KINDS; i++)
        if (strcmp(s, kind_names[i]) == 0) {
            *k = (plast_optim_kind)i;
            return PLAST_OK;
        }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(s, aliases[i].name) == 0) {
            *k = aliases[i].kind;
            return PLAST_OK;
        }
    return PLAST_E_CONFIG;
}

void plast_optim_cfg_default(plast_optim_cfg *c, plast_optim_kind kind, int dim)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->dim = dim;
    c->popsize = 0;
    c->sigma0 = kind == PLAST_OPTIM_OPENAI_ES ? 0.02 : 0.3;
    c->seed = 1;
    c->use_adam = 1;
    c->lr = 0.01;
    c->adam_beta1 = 0.9;
    c->adam_beta2 = 0.999;
    c->adam_eps = 1e-8;
    c->momentum = 0.0;
    c->weight_decay = 0.0;
    c->sigma_decay = 1.0;
    c->sigma_min = 0.0;
    c->ipop = 0;
    c->max_restarts = 9;
    c->tolfun = 1e-12;
    c->tolx = 1e-11;
    c->max_evals = 0;
    c->clip = 0.0;
    c->lr_decay = 1.0;
}

/* ---- validation -------------------------------------------------------------------------- */

#define BAD(field, ...) plast_err_set(err, PLAST_E_CONFIG, "optim." field, __VA_ARGS__)

/* Checks what every method needs, resolves popsize into *eff and lets the method check the
 * rest. The message always starts with the field's name. */
static int validate(const plast_optim_cfg *c, plast_optim_cfg *eff, plast_err *err)
{
    const plast_optim_method *m = method_of(c->kind);
    if (!m) return BAD("kind", "kind %d is not an optimizer kind", (int)c->kind);
    if (c->dim < 1) return BAD("dim", "dim must be >= 1 (got %d)", c->dim);
    if (c->dim > PLAST_OPTIM_MAX_DIM)
        return BAD("dim", "dim must be <= %d (got %d)", PLAST_OPTIM_MAX_DIM, c->dim);
    if (c->kind == PLAST_OPTIM_CMAES && c->dim > PLAST_OPTIM_MAX_DIM_FULL)
        return BAD("dim", "dim must be <= %d for cmaes, which stores dim x dim matrices (got %d); "
                          "use sep-cmaes",
                   PLAST_OPTIM_MAX_DIM_FULL, c->dim);
    if (!(c->sigma0 > 0.0) || !isfinite(c->sigma0))
        return BAD("sigma0", "sigma0 must be finite and > 0 (got %g)", c->sigma0);
    if (c->popsize < 0) return BAD("popsize", "popsize must be >= 0 (got %d)", c->popsize);
    if (c->popsize == 1 && c->kind != PLAST_OPTIM_ADAM) /* a gradient method follows one point */
        return BAD("popsize", "popsize must be 0 (default) or >= 2 (got 1)");
    if (c->popsize > PLAST_OPTIM_MAX_POPSIZE)
        return BAD("popsize", "popsize must be <= %d (got %d)", PLAST_OPTIM_MAX_POPSIZE,
                   c->popsize);
    if (c->max_evals < 0) return BAD("max_evals", "max_evals must be >= 0 (got %ld)", c->max_evals);
    if (!(c->tolx >= 0.0) || !isfinite(c->tolx))
        return BAD("tolx", "tolx must be finite and >= 0 (got %g)", c->tolx);
    *eff = *c;
    if (eff->popsize == 0) eff->popsize = m->default_popsize(c->dim);
    return m->validate(eff, err);
}

/* ---- allocation -------------------------------------------------------------------------- */

/* Points every view of o into base (or, with base NULL, only counts): common state, the
 * method's state, then scratch doubles, then the int arrays. Sets n_state, n_doubles, n_ints. */
static void layout(plast_optim *o, double *base)
{
    size_t n = (size_t)o->dim;
    plast_optim_bump b = {base, 0};
    o->mean = plast_optim_take(&b, n);
    o->x0 = plast_optim_take(&b, n);
    o->best_x = plast_optim_take(&b, n);
    o->method->layout(o, &b, 0);
    o->n_state = b.used;
    o->method->layout(o, &b, 1);
    o->wlam = plast_optim_take(&b, (size_t)o->lambda_max);
    o->n_doubles = b.used;
    o->n_ints = 2 * (size_t)o->lambda_max;
    o->idx = base ? (int *)(base + o->n_doubles) : NULL;
    o->idx_tmp = base ? o->idx + o->lambda_max : NULL;
}

/* Sizes, allocates and lays out an optimizer for an already validated effective cfg; the
 * state is zero. NULL when out of memory. */
static plast_optim *alloc_optim(const plast_optim_cfg *eff, plast_err *err)
{
    plast_optim shape;
    memset(&shape, 0, sizeof shape);
    shape.cfg = *eff;
    shape.method = method_of(eff->kind);
    shape.dim = eff->dim;
    shape.lambda_max = eff->popsize;
    if (shape.method->can_restart && eff->ipop) shape.lambda_max = eff->popsize << eff->max_restarts;
    /* The tolfun history spans 10 + ceil(30 n / lambda) generations: longest at lambda0. */
    shape.hist_cap = 10 + (int)ceil(30.0 * eff->dim / eff->popsize);
    layout(&shape, NULL);

    if (shape.n_doubles > (SIZE_MAX - sizeof(plast_optim)) / 2 / sizeof(double) ||
        shape.n_ints > (SIZE_MAX - sizeof(plast_optim)) / 2 / sizeof(int)) {
        plast_err_set(err, PLAST_E_CONFIG, "optim.dim",
                      "dim %d with popsize %d needs more memory than this machine can address",
                      eff->dim, shape.lambda_max);
        return NULL;
    }
    size_t bytes = sizeof(plast_optim) + shape.n_doubles * sizeof(double) +
                   shape.n_ints * sizeof(int);
    plast_optim *o = malloc(bytes);
    if (!o) {
        plast_err_set(err, PLAST_E_INTERNAL, "optim",
                      "out of memory allocating an optimizer of %zu bytes", bytes);
        return NULL;
    }
    memset(o, 0, bytes);
    memcpy(o, &shape, sizeof shape);
    layout(o, o->data);
    return o;
}

plast_optim *plast_optim_new(const plast_optim_cfg *cfg, const double *x0, plast_err *err)
{
    plast_optim_cfg eff;
    if (!cfg) {
        plast_err_set(err, PLAST_E_CONFIG, "optim", "no configuration given");
        return NULL;
    }
    if (validate(cfg, &eff, err) != PLAST_OK) return NULL;
    if (x0)
        for (int i = 0; i < cfg->dim; i++)
            if (!isfinite(x0[i])) {
                plast_err_set(err, PLAST_E_CONFIG, "optim.x0", "x0[%d] is not finite (%g)", i,
                              x0[i]);
                return NULL;
            }
    plast_optim *o = alloc_optim(&eff, err);
    if (!o) return NULL;
    size_t n = (size_t)o->dim;
    if (x0) memcpy(o->x0, x0, n * sizeof(double));
    memcpy(o->mean, o->x0, n * sizeof(double));
    memcpy(o->best_x, o->x0, n * sizeof(double));
    o->best_f = INFINITY;
    o->sigma = eff.sigma0;
    o->lambda = eff.popsize;
    o->stop = PLAST_OPTIM_STOP_NONE;
    o->method->start(o);
    return o;
}

void plast_optim_delete(plast_optim *o)
{
    free(o);
}

/* ---- getters ----------------------------------------------------------------------------- */

const plast_optim_cfg *plast_optim_cfg_get(const plast_optim *o) { return &o->cfg; }
int plast_optim_dim(const plast_optim *o) { return o->dim; }
int plast_optim_popsize(const plast_optim *o) { return (int)o->lambda; }
long plast_optim_generation(const plast_optim *o) { return (long)o->gen; }
long plast_optim_evals(const plast_optim *o) { return (long)o->n_evals; }
int plast_optim_restarts(const plast_optim *o) { return (int)o->restarts; }
const double *plast_optim_mean(const plast_optim *o) { return o->mean; }
double plast_optim_sigma(const plast_optim *o) { return o->method->sigma(o); }
void plast_optim_stdevs(const plast_optim *o, double *sd) { o->method->stdevs(o, sd); }
const double *plast_optim_best_x(const plast_optim *o) { return o->best_x; }
double plast_optim_best_f(const plast_optim *o) { return o->best_f; }

const char *plast_optim_stop(const plast_optim *o)
{
    return (o->stop > 0 && o->stop < PLAST_OPTIM_N_STOPS) ? stop_names[o->stop] : NULL;
}

/* ---- shared numerics --------------------------------------------------------------------- */

void plast_optim_noise(const plast_optim *o, uint64_t key, double *z)
{
    plast_rng r;
    plast_rng_derive(&r, o->cfg.seed, (uint64_t)o->gen, key, 0);
    for (int i = 0; i < o->dim; i++) z[i] = plast_rng_normal(&r);
}

void plast_optim_tie_average(const double *f, const int *order, int n, double *v)
{
    for (int a = 0; a < n;) {
        int b = a + 1;
        while (b < n && f[order[b]] == f[order[a]]) b++;
        if (b - a > 1) {
            double sum = 0.0;
            for (int p = a; p < b; p++) sum += v[p];
            for (int p = a; p < b; p++) v[p] = sum / (b - a);
        }
        a = b;
    }
}

/* Stable bottom-up merge sort of member indices by fitness, ascending: O(n log n) for the
 * large populations of OpenAI-ES, and deterministic (ties keep index order). */
static void sort_members(const double *f, int n, int *idx, int *tmp)
{
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n;
            int hi = lo + 2 * width < n ? lo + 2 * width : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = (f[idx[j]] < f[idx[i]]) ? idx[j++] : idx[i++];
            while (i < mid) tmp[k++] = idx[i++];
            while (j < hi) tmp[k++] = idx[j++];
        }
        memcpy(idx, tmp, (size_t)n * sizeof(int));
    }
}

/* ---- ask and tell -------------------------------------------------------------------------------- */

void plast_optim_ask(const plast_optim *o, int member, double *x)
{
    if (member < 0 || member >= o->lambda) { /* no error channel: make misuse visible */
        for (int i = 0; i < o->dim; i++) x[i] = NAN;
        return;
    }
    o->method->ask(o, member, x);
}

int plast_optim_tell(plast_optim *o, const double *fitness, plast_err *err)
{
    int lam = (int)o->lambda;
    for (int i = 0; i < lam; i++)
        if (isnan(fitness[i]) || fitness[i] == -INFINITY)
            return plast_err_set(err, PLAST_E_DATA, "optim.fitness",
                                 "fitness of member %d of generation %ld is %g", i,
                                 (long)o->gen, fitness[i]);
    sort_members(fitness, lam, o->idx, o->idx_tmp);

    /* The best point is regenerated from the state before the update: ask is pure. */
    int best = o->idx[0];
    if (fitness[best] < o->best_f) {
        o->best_f = fitness[best];
        o->method->ask(o, best, o->best_x);
    }
    o->gen_fmin = fitness[o->idx[0]];
    o->gen_fmax = fitness[o->idx[lam - 1]];

    o->stop = o->method->tell(o, fitness, o->idx);
    o->gen++;
    o->gen_restart++;
    o->n_evals += lam;
    if (o->cfg.max_evals > 0 && o->n_evals >= o->cfg.max_evals) {
        o->stop = PLAST_OPTIM_STOP_MAXEVALS;
    } else if (o->stop != PLAST_OPTIM_STOP_NONE && o->method->can_restart && o->cfg.ipop &&
               o->restarts < o->cfg.max_restarts) {
        /* IPOP (Auger & Hansen 2005): same start point and step size, twice the population. */
        o->restarts++;
        o->lambda *= 2;
        o->gen_restart = 0;
        memcpy(o->mean, o->x0, (size_t)o->dim * sizeof(double));
        o->sigma = o->cfg.sigma0;
        o->stop = PLAST_OPTIM_STOP_NONE;
        o->method->start(o);
    }
    return PLAST_OK;
}

int plast_optim_tell_grad(plast_optim *o, double f, const double *grad, const double *lr_scale,
                          plast_err *err)
{
    if (o->cfg.kind != PLAST_OPTIM_ADAM)
        return plast_err_set(err, PLAST_E_USAGE, "optim", "%s takes fitnesses, not gradients",
                             kind_names[o->cfg.kind]);
    int ok = isfinite(f);
    for (int i = 0; ok && i < o->dim; i++) ok = isfinite(grad[i]);
    if (!ok) {
        o->skipped++;
    } else {
        if (f < o->best_f) {
            o->best_f = f;
            memcpy(o->best_x, o->mean, (size_t)o->dim * sizeof(double));
        }
        o->gen_fmin = o->gen_fmax = f;
        plast_optim_adam_step(o, grad, lr_scale);
    }
    o->gen++;
    o->gen_restart++;
    o->n_evals++;
    o->stop = o->cfg.max_evals > 0 && o->n_evals >= o->cfg.max_evals ? PLAST_OPTIM_STOP_MAXEVALS
                                                                     : PLAST_OPTIM_STOP_NONE;
    return PLAST_OK;
}

long plast_optim_skipped(const plast_optim *o)
{
    return (long)o->skipped;
}

/* ---- save and load ----------------------------------------------------------------------- */

#define STATE_MAGIC "PLASTOPT"
#define STATE_VERSION 2u /* 2: Adam (clip, lr_decay, skipped) */
#define STATE_BOM 0x01020304u

/* One serializer for both directions so the field order cannot drift apart. In store mode
 * the pointed-to values are only read. */
typedef struct ser {
    unsigned char *p; /* NULL: only count bytes */
    size_t pos, n;
    int load;
    int short_; /* ran past n */
    int bad;    /* a loaded int field does not fit */
} ser;

static void ser_raw(ser *s, void *v, size_t k)
{
    if (s->pos + k > s->n) {
        s->short_ = 1;
        return;
    }
    if (!s->p) { /* counting */
        s->pos += k;
        return;
    }
    if (s->load) memcpy(v, s->p + s->pos, k);
    else memcpy(s->p + s->pos, v, k);
    s->pos += k;
}

static void ser_i64(ser *s, int64_t *v) { ser_raw(s, v, 8); }
static void ser_u64(ser *s, uint64_t *v) { ser_raw(s, v, 8); }
static void ser_f64(ser *s, double *v) { ser_raw(s, v, 8); }

static void ser_int(ser *s, int *v)
{
    int64_t t = *v;
    ser_i64(s, &t);
    if (s->load && !s->short_) {
        if (t < INT_MIN || t > INT_MAX) s->bad = 1;
        else *v = (int)t;
    }
}

static void ser_long(ser *s, long *v)
{
    int64_t t = *v;
    ser_i64(s, &t);
    if (s->load && !s->short_) {
        if (t < LONG_MIN || t > LONG_MAX) s->bad = 1;
        else *v = (long)t;
    }
}

static void ser_cfg(ser *s, plast_optim_cfg *c)
{
    int kind = (int)c->kind;
    ser_int(s, &kind);
    c->kind = (plast_optim_kind)kind;
    ser_int(s, &c->dim);
    ser_int(s, &c->popsize);
    ser_f64(s, &c->sigma0);
    ser_u64(s, &c->seed);
    ser_int(s, &c->use_adam);
    ser_f64(s, &c->lr);
    ser_f64(s, &c->adam_beta1);
    ser_f64(s, &c->adam_beta2);
    ser_f64(s, &c->adam_eps);
    ser_f64(s, &c->momentum);
    ser_f64(s, &c->weight_decay);
    ser_f64(s, &c->sigma_decay);
    ser_f64(s, &c->sigma_min);
    ser_int(s, &c->ipop);
    ser_int(s, &c->max_restarts);
    ser_f64(s, &c->tolfun);
    ser_f64(s, &c->tolx);
    ser_long(s, &c->max_evals);
    ser_f64(s, &c->clip);
    ser_f64(s, &c->lr_decay);
}

static void ser_scalars(ser *s, plast_optim *o)
{
#define PLAST_OPTIM_X_(f) ser_i64(s, &o->f);
    PLAST_OPTIM_I64_FIELDS(PLAST_OPTIM_X_)
#undef PLAST_OPTIM_X_
#define PLAST_OPTIM_X_(f) ser_f64(s, &o->f);
    PLAST_OPTIM_F64_FIELDS(PLAST_OPTIM_X_)
#undef PLAST_OPTIM_X_
}

/* magic, version, byte-order mark, total bytes, n_state */
#define HEADER_BYTES (8 + 4 + 4 + 8 + 8)

static size_t body_bytes(void)
{
    /* A counting pass (p == NULL): the field lists stay the only truth about the layout. */
    plast_optim dummy;
    memset(&dummy, 0, sizeof dummy);
    ser s = {NULL, 0, (size_t)-1, 0, 0, 0};
    ser_cfg(&s, &dummy.cfg);
    ser_scalars(&s, &dummy);
    return s.pos;
}

size_t plast_optim_state_bytes(const plast_optim *o)
{
    return HEADER_BYTES + body_bytes() + o->n_state * sizeof(double);
}

void plast_optim_state_store(const plast_optim *o, void *dst)
{
    size_t total = plast_optim_state_bytes(o);
    ser s = {dst, 0, total, 0, 0, 0};
    uint32_t version = STATE_VERSION, bom = STATE_BOM;
    uint64_t total64 = total, n_state = o->n_state;
    char magic[8];
    memcpy(magic, STATE_MAGIC, 8);
    ser_raw(&s, magic, 8);
    ser_raw(&s, &version, 4);
    ser_raw(&s, &bom, 4);
    ser_u64(&s, &total64);
    ser_u64(&s, &n_state);
    plast_optim *mo = (plast_optim *)o; /* store mode only reads */
    ser_cfg(&s, &mo->cfg);
    ser_scalars(&s, mo);
    ser_raw(&s, mo->data, o->n_state * sizeof(double));
}

#define LOAD_BAD(...) plast_err_set(err, PLAST_E_DATA, "optim.state", __VA_ARGS__)

/* The loaded scalars must describe a state this cfg could have reached. */
static int check_scalars(const plast_optim *o, plast_err *err)
{
    int64_t lam0 = o->cfg.popsize;
    if (o->restarts < 0 || o->restarts > (o->method->can_restart && o->cfg.ipop
                                              ? o->cfg.max_restarts : 0))
        return LOAD_BAD("optimizer state holds %lld restarts, impossible for its cfg",
                        (long long)o->restarts);
    if (o->lambda != lam0 << o->restarts)
        return LOAD_BAD("optimizer state holds popsize %lld, expected %lld",
                        (long long)o->lambda, (long long)(lam0 << o->restarts));
    if (o->mu < 0 || o->mu > o->lambda || o->gen < 0 || o->gen_restart < 0 ||
        o->gen_restart > o->gen || o->n_evals < 0 || o->eigen_gen < 0 ||
        o->eigen_gen > o->gen_restart || o->stop < 0 || o->stop >= PLAST_OPTIM_N_STOPS ||
        o->hist_len < 0 || o->hist_len > o->hist_cap || o->hist_n < 0 ||
        o->hist_n > o->hist_len)
        return LOAD_BAD("optimizer state holds an inconsistent counter");
    if (!(o->sigma > 0.0) || isnan(o->best_f))
        return LOAD_BAD("optimizer state holds sigma %g and best fitness %g", o->sigma,
                        o->best_f);
    for (size_t i = 0; i < o->n_state; i++)
        if (isnan(o->data[i]))
            return LOAD_BAD("optimizer state holds NaN at value %zu", i);
    return PLAST_OK;
}

plast_optim *plast_optim_state_load(const void *src, size_t n, plast_err *err)
{
    ser s = {(unsigned char *)src, 0, n, 1, 0, 0}; /* load mode only reads from src */
    char magic[8];
    uint32_t version = 0, bom = 0;
    uint64_t total = 0, n_state = 0;
    if (!src || n < HEADER_BYTES) {
        LOAD_BAD("optimizer state is truncated: %zu bytes, the header alone is %d", n,
                 HEADER_BYTES);
        return NULL;
    }
    ser_raw(&s, magic, 8);
    ser_raw(&s, &version, 4);
    ser_raw(&s, &bom, 4);
    ser_u64(&s, &total);
    ser_u64(&s, &n_state);
    if (memcmp(magic, STATE_MAGIC, 8) != 0) {
        LOAD_BAD("not an optimizer state: wrong magic (expected \"%s\")", STATE_MAGIC);
        return NULL;
    }
    if (version != STATE_VERSION) {
        LOAD_BAD("optimizer state version %u, this build reads version %u", version,
                 STATE_VERSION);
        return NULL;
    }
    if (bom != STATE_BOM) {
        LOAD_BAD("optimizer state was written on a machine of another byte order");
        return NULL;
    }
    if (total != n) {
        LOAD_BAD("optimizer state is %s: %zu bytes, its header says %llu",
                 n < total ? "truncated" : "too long", n, (unsigned long long)total);
        return NULL;
    }
    plast_optim_cfg cfg, eff;
    memset(&cfg, 0, sizeof cfg);
    ser_cfg(&s, &cfg);
    if (s.short_ || s.bad) {
        LOAD_BAD("optimizer state has a truncated or out-of-range configuration");
        return NULL;
    }
    plast_err cerr;
    plast_err_clear(&cerr);
    if (cfg.popsize == 0 || validate(&cfg, &eff, &cerr) != PLAST_OK) {
        LOAD_BAD("optimizer state holds an invalid configuration: %s",
                 cfg.popsize == 0 ? "popsize 0" : cerr.msg);
        return NULL;
    }
    plast_optim *o = alloc_optim(&eff, err);
    if (!o) return NULL;
    if (n_state != o->n_state || n != plast_optim_state_bytes(o)) {
        LOAD_BAD("optimizer state holds %llu values, its configuration needs %zu",
                 (unsigned long long)n_state, o->n_state);
        plast_optim_delete(o);
        return NULL;
    }
    ser_scalars(&s, o);
    ser_raw(&s, o->data, o->n_state * sizeof(double));
    if (s.short_ || s.pos != n) {
        LOAD_BAD("optimizer state is truncated");
        plast_optim_delete(o);
        return NULL;
    }
    if (check_scalars(o, err) != PLAST_OK) {
        plast_optim_delete(o);
        return NULL;
    }
    return o;
}
