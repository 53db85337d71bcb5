/* gauss.c — synthetic Gaussian-cluster classification: no data needed, for fast tests and
 * smoke runs. Each pool (meta-training, evaluation) has its own n_classes class means,
 * sep/sqrt(2) times an orthonormal set drawn from the pool seed, so every two means are
 * exactly `separation` apart; a sample is its mean plus isotropic noise of std `noise`.
 * With two classes the best possible accuracy is Phi(separation / (2 noise)). An episode
 * presents the pool's classes in a random order, with labels permuted per episode when
 * `permute` is set; n_train samples per class for learning, n_query held out. With `side`
 * set, the dim = side^2 inputs are presented as a 1 x side x side image (for convolutional
 * networks). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "plast/task.h"

typedef struct gauss_opts {
    int pool, pool_seed;
    int n_classes, dim;
    float separation, noise;
    int n_train, n_query, batch;
    int order, permute;
    int side;
} gauss_opts;

static const char *const pools[] = {"train", "eval", NULL};
static const char *const orders[] = {"continual", "iid", NULL};

static const plast_opt gauss_table[] = {
    {"pool", PLAST_OPT_ENUM, offsetof(gauss_opts, pool), 1, 0, 0, pools, NULL,
     "which pool of class means episodes use"},
    {"pool_seed", PLAST_OPT_INT, offsetof(gauss_opts, pool_seed), 7, 0, 2147483647, NULL, NULL,
     "seed of the class means of both pools"},
    {"n_classes", PLAST_OPT_INT, offsetof(gauss_opts, n_classes), 5, 2, 1000, NULL, NULL,
     "classes per episode (segments)"},
    {"dim", PLAST_OPT_INT, offsetof(gauss_opts, dim), 20, 2, 100000, NULL, NULL,
     "input dimension (at least n_classes)"},
    {"separation", PLAST_OPT_FLOAT, offsetof(gauss_opts, separation), 3, 0, 1e6, NULL, NULL,
     "distance between any two class means"},
    {"noise", PLAST_OPT_FLOAT, offsetof(gauss_opts, noise), 1, 1e-6, 1e6, NULL, NULL,
     "std of the isotropic noise around a mean"},
    {"n_train", PLAST_OPT_INT, offsetof(gauss_opts, n_train), 20, 1, 1000000, NULL, NULL,
     "training samples per class (a multiple of batch)"},
    {"n_query", PLAST_OPT_INT, offsetof(gauss_opts, n_query), 50, 1, 1000000, NULL, NULL,
     "held-out samples per class"},
    {"batch", PLAST_OPT_INT, offsetof(gauss_opts, batch), 1, 1, 256, NULL, NULL,
     "samples per online step"},
    {"order", PLAST_OPT_ENUM, offsetof(gauss_opts, order), 0, 0, 0, orders, NULL,
     "continual: class after class; iid: the same minibatches shuffled"},
    {"permute", PLAST_OPT_BOOL, offsetof(gauss_opts, permute), 1, 0, 1, NULL, NULL,
     "permute the output labels in every episode"},
    {"side", PLAST_OPT_INT, offsetof(gauss_opts, side), 0, 0, 1000, NULL, NULL,
     "present the inputs as a 1 x side x side image (side^2 = dim; 0: a vector)"},
};

typedef struct gauss_state {
    gauss_opts o;
    float *mean; /* [n_classes][dim] */
} gauss_state;

static int gauss_shape(const void *opts, plast_task_shape *sh, plast_err *err)
{
    const gauss_opts *o = opts;
    if (o->dim < o->n_classes)
        return plast_err_set(err, PLAST_E_CONFIG, "task.dim",
                             "dim (%d) must be at least n_classes (%d)", o->dim, o->n_classes);
    if (o->n_train % o->batch)
        return plast_err_set(err, PLAST_E_CONFIG, "task.n_train",
                             "n_train (%d) must be a multiple of batch (%d)", o->n_train, o->batch);
    if (o->side && o->side * o->side != o->dim)
        return plast_err_set(err, PLAST_E_CONFIG, "task.side",
                             "side %d: side^2 = %d is not dim (%d)", o->side, o->side * o->side,
                             o->dim);
    memset(sh, 0, sizeof *sh);
    sh->objective = &plast_objective_classification;
    sh->n_in = o->dim;
    if (o->side) sh->in_c = 1, sh->in_h = o->side, sh->in_w = o->side;
    sh->n_out = o->n_classes;
    sh->batch = o->batch;
    sh->max_steps = o->n_classes * (o->n_train / o->batch);
    sh->n_seg = o->n_classes;
    sh->n_query = o->n_query;
    return PLAST_OK;
}

static void *gauss_create(const void *opts, uint64_t seed, plast_err *err)
{
    const gauss_opts *o = opts;
    (void)seed; /* the means depend on pool_seed only */
    gauss_state *st = calloc(1, sizeof *st);
    if (st) st->mean = calloc((size_t)o->n_classes * o->dim, sizeof(float));
    if (!st || !st->mean) {
        if (st) free(st->mean);
        free(st);
        plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory (gauss)");
        return NULL;
    }
    st->o = *o;
    /* Gram-Schmidt on Gaussian vectors (in double) gives an orthonormal set. */
    plast_rng r;
    plast_rng_derive(&r, (uint64_t)o->pool_seed, 0x6a55, (uint64_t)o->pool, 0);
    int K = o->n_classes, D = o->dim;
    double *q = malloc((size_t)K * D * sizeof *q);
    if (!q) {
        free(st->mean);
        free(st);
        plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory (gauss)");
        return NULL;
    }
    for (int k = 0; k < K; k++) {
        double *v = q + (size_t)k * D;
        for (;;) {
            for (int d = 0; d < D; d++) v[d] = plast_rng_normal(&r);
            for (int j = 0; j < k; j++) {
                const double *u = q + (size_t)j * D;
                double dot = 0.0;
                for (int d = 0; d < D; d++) dot += v[d] * u[d];
                for (int d = 0; d < D; d++) v[d] -= dot * u[d];
            }
            double nrm = 0.0;
            for (int d = 0; d < D; d++) nrm += v[d] * v[d];
            if (nrm > 1e-6) {
                for (int d = 0; d < D; d++) v[d] /= sqrt(nrm);
                break;
            }
        }
        for (int d = 0; d < D; d++)
            st->mean[(size_t)k * D + d] = (float)(o->separation / sqrt(2.0) * v[d]);
    }
    free(q);
    return st;
}

static void gauss_destroy(void *state)
{
    gauss_state *st = state;
    if (st) free(st->mean);
    free(st);
}

typedef struct gauss_ctx {
    const gauss_state *st;
    const int *order; /* segment -> class */
    plast_rng *rng;
} gauss_ctx;

/* A fresh sample of the class shown as segment seg (training and query alike). */
static void sample(const void *ctx, int seg, int index, int query, float *x)
{
    const gauss_ctx *c = ctx;
    (void)index, (void)query;
    const float *mu = c->st->mean + (size_t)c->order[seg] * c->st->o.dim;
    for (int d = 0; d < c->st->o.dim; d++)
        x[d] = mu[d] + c->st->o.noise * (float)plast_rng_normal(c->rng);
}

static void gauss_draw(const void *state, plast_rng *r, plast_stream *s)
{
    const gauss_state *st = state;
    const gauss_opts *o = &st->o;
    int order[1000], label[1000]; /* n_classes <= 1000 (option bounds) */
    for (int k = 0; k < o->n_classes; k++) order[k] = label[k] = k;
    plast_rng_shuffle(r, order, o->n_classes);
    if (o->permute) plast_rng_shuffle(r, label, o->n_classes);
    gauss_ctx ctx = {st, order, r};
    plast_stream_fill_classes(s, o->n_classes, label, o->n_train, o->order == 1, r, sample, &ctx);
}

const plast_task plast_task_gauss = {
    .name = "gauss",
    .summary = "Gaussian-cluster classification (synthetic; fast tests and smoke runs)",
    .opts = {gauss_table, sizeof gauss_table / sizeof gauss_table[0], sizeof(gauss_opts)},
    .shape = gauss_shape,
    .create = gauss_create,
    .destroy = gauss_destroy,
    .draw = gauss_draw,
};
