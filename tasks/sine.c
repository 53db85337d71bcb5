/* sine.c — incremental sine regression (OML, Javed & White 2019; PROTOCOLS.md §1).
 *
 * A pool of functions y = A sin(x + phi), A = 5 (u + 0.02), u ~ U[0,1), phi ~ U[0, pi),
 * is drawn once from pool_seed (400 for meta-training, 1000 for evaluation, from different
 * streams). An episode takes n_functions distinct functions from the chosen pool; function
 * k gets a batches-per-function count (n_batches, or uniform in min_batches..n_batches),
 * minibatches of `batch` points x ~ U[-5, 5], and n_query held-out query points. The input
 * is the one-hot slot k followed by x (11 wide for 10 functions). Continual order runs
 * function after function; iid order shuffles the same minibatches. Row k of the score
 * matrix is taken after the steps of the first k+1 functions (by count, in either order). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "plast/task.h"

typedef struct sine_opts {
    int pool;
    int pool_train, pool_eval;
    int pool_seed;
    int n_functions, n_batches, min_batches, batch, n_query;
    int order;
    int epochs;
} sine_opts;

enum { POOL_TRAIN, POOL_EVAL };
enum { ORDER_CONTINUAL, ORDER_IID };
static const char *const pools[] = {"train", "eval", NULL};
static const char *const orders[] = {"continual", "iid", NULL};

static const plast_opt sine_table[] = {
    {"pool", PLAST_OPT_ENUM, offsetof(sine_opts, pool), POOL_EVAL, 0, 0, pools, NULL,
     "which pool episodes draw functions from"},
    {"pool_train", PLAST_OPT_INT, offsetof(sine_opts, pool_train), 400, 1, 1e7, NULL, NULL,
     "functions in the meta-training pool"},
    {"pool_eval", PLAST_OPT_INT, offsetof(sine_opts, pool_eval), 1000, 1, 1e7, NULL, NULL,
     "functions in the evaluation pool"},
    {"pool_seed", PLAST_OPT_INT, offsetof(sine_opts, pool_seed), 2020, 0, 2147483647, NULL, NULL,
     "seed of both pools (fixed so that every run shares them)"},
    {"n_functions", PLAST_OPT_INT, offsetof(sine_opts, n_functions), 10, 1, 1000, NULL, NULL,
     "functions per episode (also the one-hot slot width)"},
    {"n_batches", PLAST_OPT_INT, offsetof(sine_opts, n_batches), 40, 1, 100000, NULL, NULL,
     "minibatches per function"},
    {"min_batches", PLAST_OPT_INT, offsetof(sine_opts, min_batches), 0, 0, 100000, NULL, NULL,
     "if > 0, each function gets uniform min_batches..n_batches minibatches"},
    {"batch", PLAST_OPT_INT, offsetof(sine_opts, batch), 32, 1, 256, NULL, NULL,
     "points per minibatch"},
    {"n_query", PLAST_OPT_INT, offsetof(sine_opts, n_query), 32, 1, 100000, NULL, NULL,
     "held-out query points per function"},
    {"epochs", PLAST_OPT_INT, offsetof(sine_opts, epochs), 1, 1, 1000, NULL, NULL,
     "passes over the episode's training data (more than 1: the i.i.d. multi-epoch oracle; "
     "order iid)"},
    {"order", PLAST_OPT_ENUM, offsetof(sine_opts, order), ORDER_CONTINUAL, 0, 0, orders, NULL,
     "continual: function after function; iid: the same minibatches shuffled"},
};

typedef struct sine_state {
    sine_opts o;
    int n_pool;
    float *amp, *phase; /* [n_pool] */
} sine_state;

static int sine_shape(const void *opts, plast_task_shape *sh, plast_err *err)
{
    const sine_opts *o = opts;
    if (o->min_batches > o->n_batches)
        return plast_err_set(err, PLAST_E_CONFIG, "task.min_batches",
                             "min_batches (%d) is larger than n_batches (%d)", o->min_batches,
                             o->n_batches);
    int n_pool = o->pool == POOL_TRAIN ? o->pool_train : o->pool_eval;
    if (o->n_functions > n_pool)
        return plast_err_set(err, PLAST_E_CONFIG, "task.n_functions",
                             "%d functions per episode but the pool has only %d", o->n_functions,
                             n_pool);
    if ((long)o->n_functions * o->n_batches * o->epochs > 10000000L)
        return plast_err_set(err, PLAST_E_CONFIG, "task.n_batches", "episode too long");
    if (o->epochs > 1 && o->order != ORDER_IID)
        return plast_err_set(err, PLAST_E_CONFIG, "task.epochs",
                             "several passes over the data are the i.i.d. oracle: set task.order "
                             "to iid");
    memset(sh, 0, sizeof *sh);
    sh->objective = &plast_objective_regression;
    sh->n_in = o->n_functions + 1;
    sh->n_out = 1;
    sh->batch = o->batch;
    sh->max_steps = o->n_functions * o->n_batches * o->epochs;
    sh->n_seg = o->n_functions;
    sh->n_query = o->n_query;
    return PLAST_OK;
}

static void *sine_create(const void *opts, uint64_t seed, plast_err *err)
{
    const sine_opts *o = opts;
    (void)seed; /* the pools depend on pool_seed only, so every run shares them */
    sine_state *st = calloc(1, sizeof *st);
    int n_pool = o->pool == POOL_TRAIN ? o->pool_train : o->pool_eval;
    if (st) {
        st->amp = malloc((size_t)n_pool * sizeof(float));
        st->phase = malloc((size_t)n_pool * sizeof(float));
    }
    if (!st || !st->amp || !st->phase) {
        if (st) free(st->amp), free(st->phase);
        free(st);
        plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory (sine pool)");
        return NULL;
    }
    st->o = *o;
    st->n_pool = n_pool;
    plast_rng r;
    plast_rng_derive(&r, (uint64_t)o->pool_seed, 0x51e, (uint64_t)o->pool, 0);
    for (int i = 0; i < n_pool; i++) {
        st->amp[i] = 5.0f * (plast_rng_uniform(&r) + 0.02f);
        st->phase[i] = (float)(3.141592653589793 * plast_rng_uniform_d(&r));
    }
    return st;
}

static void sine_destroy(void *state)
{
    sine_state *st = state;
    if (!st) return;
    free(st->amp);
    free(st->phase);
    free(st);
}

/* One point of function slot k (pool entry f) into x [n_in], y [1]. */
static void point(const sine_state *st, int k, int f, plast_rng *r, float *x, float *y)
{
    int nf = st->o.n_functions;
    memset(x, 0, (size_t)(nf + 1) * sizeof *x);
    float u = (float)(10.0 * plast_rng_uniform_d(r) - 5.0);
    x[k] = 1.0f;
    x[nf] = u;
    y[0] = st->amp[f] * sinf(u + st->phase[f]);
}

static void sine_draw(const void *state, plast_rng *r, plast_stream *s)
{
    const sine_state *st = state;
    const sine_opts *o = &st->o;
    int nf = o->n_functions, nb = o->batch, ni = nf + 1;
    /* Distinct functions: the first nf of a partial Fisher-Yates over the pool indices,
     * done on a small table of swaps so nothing is allocated. */
    int chosen[1000];
    for (int k = 0; k < nf; k++) {
        int pick;
        for (;;) { /* rejection keeps it allocation-free: nf <= 1000 and nf <= pool size */
            pick = (int)plast_rng_below(r, (uint32_t)st->n_pool);
            int dup = 0;
            for (int j = 0; j < k; j++) dup |= chosen[j] == pick;
            if (!dup) break;
        }
        chosen[k] = pick;
    }
    /* Steps in continual order first. */
    int step = 0;
    for (int k = 0; k < nf; k++) {
        int count = o->n_batches;
        if (o->min_batches > 0)
            count = o->min_batches + (int)plast_rng_below(r, (uint32_t)(o->n_batches - o->min_batches + 1));
        for (int m = 0; m < count; m++, step++) {
            s->seg[step] = k;
            for (int b = 0; b < nb; b++)
                point(st, k, chosen[k], r, s->x + ((size_t)step * nb + b) * ni,
                      s->y + (size_t)step * nb + b);
        }
        s->mark[k] = step;
    }
    /* Further passes over the same minibatches (the i.i.d. multi-epoch oracle); the score
     * rows are then taken as the passes progress, the last after the last step. */
    for (int e = 1; e < o->epochs; e++) {
        size_t xs = (size_t)step * nb * ni, ys = (size_t)step * nb;
        memcpy(s->x + (size_t)e * xs, s->x, xs * sizeof *s->x);
        memcpy(s->y + (size_t)e * ys, s->y, ys * sizeof *s->y);
        memcpy(s->seg + (size_t)e * step, s->seg, (size_t)step * sizeof *s->seg);
    }
    for (int k = 0; k < nf; k++) s->mark[k] *= o->epochs;
    s->n_steps = step * o->epochs;
    for (int k = 0; k < nf; k++)
        for (int q = 0; q < o->n_query; q++) {
            size_t i = (size_t)k * o->n_query + q;
            point(st, k, chosen[k], r, s->qx + i * ni, s->qy + i);
        }
    if (o->order == ORDER_IID) {
        /* Fisher-Yates over whole minibatches, swapping their data in place. */
        for (int i = s->n_steps - 1; i > 0; i--) {
            int j = (int)plast_rng_below(r, (uint32_t)i + 1u);
            if (i == j) continue;
            float *xi = s->x + (size_t)i * nb * ni, *xj = s->x + (size_t)j * nb * ni;
            for (int t = 0; t < nb * ni; t++) { float v = xi[t]; xi[t] = xj[t]; xj[t] = v; }
            float *yi = s->y + (size_t)i * nb, *yj = s->y + (size_t)j * nb;
            for (int t = 0; t < nb; t++) { float v = yi[t]; yi[t] = yj[t]; yj[t] = v; }
            int g = s->seg[i]; s->seg[i] = s->seg[j]; s->seg[j] = g;
        }
    }
}

const plast_task plast_task_sine = {
    .name = "sine",
    .summary = "incremental sine regression (OML / FLP protocol)",
    .opts = {sine_table, sizeof sine_table / sizeof sine_table[0], sizeof(sine_opts)},
    .shape = sine_shape,
    .create = sine_create,
    .destroy = sine_destroy,
    .draw = sine_draw,
};
