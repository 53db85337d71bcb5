/* images.c — class-incremental image classification on IDX data (PROTOCOLS.md section 9):
 * Fashion-MNIST from the Debian package dataset-fashion-mnist by default, or any MNIST-format
 * set a user points to. One pass, batch 1 by default, the classes one after the other (in
 * label order, or a random order per run), n_train training images per class from the
 * training split (a random subset in random order per run) and n_query test images per class
 * from the test split. Paths: task options, else $PLAST_DATA/fashion-mnist, else
 * /usr/share/datasets/fashion-mnist. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plast/dataset.h"
#include "plast/task.h"

typedef struct img_opts {
    char train_images[PLAST_OPT_STRLEN], train_labels[PLAST_OPT_STRLEN];
    char test_images[PLAST_OPT_STRLEN], test_labels[PLAST_OPT_STRLEN];
    int n_classes, n_train, n_query, batch;
    int order, class_order;
} img_opts;

static const char *const orders[] = {"continual", "iid", NULL};
static const char *const class_orders[] = {"labels", "random", NULL};

static const plast_opt img_table[] = {
    {"train_images", PLAST_OPT_STRING, offsetof(img_opts, train_images), 0, 0, 0, NULL, "",
     "IDX images of the training split (default: Fashion-MNIST)"},
    {"train_labels", PLAST_OPT_STRING, offsetof(img_opts, train_labels), 0, 0, 0, NULL, "",
     "IDX labels of the training split"},
    {"test_images", PLAST_OPT_STRING, offsetof(img_opts, test_images), 0, 0, 0, NULL, "",
     "IDX images of the test split"},
    {"test_labels", PLAST_OPT_STRING, offsetof(img_opts, test_labels), 0, 0, 0, NULL, "",
     "IDX labels of the test split"},
    {"n_classes", PLAST_OPT_INT, offsetof(img_opts, n_classes), 10, 2, 1000, NULL, NULL,
     "classes of the data set (the output width)"},
    {"n_train", PLAST_OPT_INT, offsetof(img_opts, n_train), 1000, 1, 1000000, NULL, NULL,
     "training images per class (one pass)"},
    {"n_query", PLAST_OPT_INT, offsetof(img_opts, n_query), 1000, 1, 1000000, NULL, NULL,
     "test images per class"},
    {"batch", PLAST_OPT_INT, offsetof(img_opts, batch), 1, 1, 256, NULL, NULL,
     "images per online step"},
    {"order", PLAST_OPT_ENUM, offsetof(img_opts, order), 0, 0, 0, orders, NULL,
     "continual: class after class (class-incremental); iid: shuffled"},
    {"class_order", PLAST_OPT_ENUM, offsetof(img_opts, class_order), 0, 0, 0, class_orders, NULL,
     "classes in label order, or in a random order per run"},
};

typedef struct img_state {
    img_opts o;
    plast_dataset train, test;
    int *idx;        /* per class, the image indices of the class: train then test */
    int *start[2];   /* [n_classes] offset into idx of class c in split s */
    int *count[2];   /* [n_classes] */
} img_state;

static void path_or_default(const char *given, const char *file, char *out, size_t n)
{
    if (given[0]) snprintf(out, n, "%s", given);
    else if (getenv("PLAST_DATA")) snprintf(out, n, "%s/fashion-mnist/%s", getenv("PLAST_DATA"), file);
    else snprintf(out, n, "/usr/share/datasets/fashion-mnist/%s", file);
}

static int img_shape(const void *opts, plast_task_shape *sh, plast_err *err)
{
    const img_opts *o = opts;
    if (o->n_train % o->batch)
        return plast_err_set(err, PLAST_E_CONFIG, "task.n_train",
                             "n_train (%d) must be a multiple of batch (%d)", o->n_train, o->batch);
    memset(sh, 0, sizeof *sh);
    sh->objective = &plast_objective_classification;
    sh->n_in = 28 * 28; /* checked against the data when it is loaded */
    sh->in_c = 1, sh->in_h = 28, sh->in_w = 28;
    sh->n_out = o->n_classes;
    sh->batch = o->batch;
    sh->max_steps = o->n_classes * (o->n_train / o->batch);
    sh->n_seg = o->n_classes;
    sh->n_query = o->n_query;
    return PLAST_OK;
}

static void img_destroy(void *state)
{
    img_state *st = state;
    if (!st) return;
    plast_dataset_free(&st->train);
    plast_dataset_free(&st->test);
    free(st->idx);
    free(st->start[0]);
    free(st);
}

static void *img_create(const void *opts, uint64_t seed, plast_err *err)
{
    const img_opts *o = opts;
    (void)seed;
    img_state *st = calloc(1, sizeof *st);
    if (!st) {
        plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory");
        return NULL;
    }
    st->o = *o;
    char ti[PLAST_OPT_STRLEN + 64], tl[PLAST_OPT_STRLEN + 64], vi[PLAST_OPT_STRLEN + 64],
        vl[PLAST_OPT_STRLEN + 64];
    path_or_default(o->train_images, "train-images-idx3-ubyte.gz", ti, sizeof ti);
    path_or_default(o->train_labels, "train-labels-idx1-ubyte.gz", tl, sizeof tl);
    path_or_default(o->test_images, "t10k-images-idx3-ubyte.gz", vi, sizeof vi);
    path_or_default(o->test_labels, "t10k-labels-idx1-ubyte.gz", vl, sizeof vl);
    if (plast_idx_load(&st->train, ti, tl, err) || plast_idx_load(&st->test, vi, vl, err)) {
        if (err && err->code == PLAST_E_NOINPUT && !o->train_images[0])
            snprintf(err->msg, sizeof err->msg,
                     "Fashion-MNIST not found: install the Debian package dataset-fashion-mnist "
                     "(scripts/setup does), set PLAST_DATA, or give task.train_images etc.");
        img_destroy(st);
        return NULL;
    }
    const plast_dataset *d[2] = {&st->train, &st->test};
    for (int s = 0; s < 2; s++) {
        /* Each side on its own: 14 x 56 has 784 pixels too, and the product of two header
         * values may not fit an int. */
        if (d[s]->h != 28 || d[s]->w != 28) {
            plast_err_set(err, PLAST_E_DATA, s ? vi : ti, "images are %dx%d, this task reads 28x28",
                          d[s]->h, d[s]->w);
            img_destroy(st);
            return NULL;
        }
        if (d[s]->n_classes != o->n_classes) {
            plast_err_set(err, PLAST_E_CONFIG, "task.n_classes",
                          "the data has %d classes, the task says %d", d[s]->n_classes, o->n_classes);
            img_destroy(st);
            return NULL;
        }
    }
    int K = o->n_classes;
    st->idx = malloc((size_t)(st->train.n + st->test.n) * sizeof *st->idx);
    st->start[0] = calloc((size_t)4 * K, sizeof(int));
    if (!st->idx || !st->start[0]) {
        plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory");
        img_destroy(st);
        return NULL;
    }
    st->start[1] = st->start[0] + K;
    st->count[0] = st->start[0] + 2 * K;
    st->count[1] = st->start[0] + 3 * K;
    int at = 0;
    for (int s = 0; s < 2; s++)
        for (int c = 0; c < K; c++) {
            st->start[s][c] = at;
            for (int i = 0; i < d[s]->n; i++)
                if (d[s]->label[i] == c) st->idx[at++] = i;
            st->count[s][c] = at - st->start[s][c];
            int need = s ? o->n_query : o->n_train;
            if (st->count[s][c] < need) {
                plast_err_set(err, PLAST_E_CONFIG, s ? "task.n_query" : "task.n_train",
                              "class %d has %d %s images, %d wanted", c, st->count[s][c],
                              s ? "test" : "training", need);
                img_destroy(st);
                return NULL;
            }
        }
    return st;
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

typedef struct img_ctx {
    const img_state *st;
    const int *cls;        /* segment -> class */
    const uint32_t *mul, *add; /* [n_seg][2] per class and split: a random affine permutation */
} img_ctx;

/* The index-th image of segment seg's class, in a per-run random order that needs no table:
 * i -> (a i + b) mod count with gcd(a, count) = 1 is a permutation. */
static void image(const void *ctx, int seg, int index, int query, float *x)
{
    const img_ctx *c = ctx;
    const img_state *st = c->st;
    int cl = c->cls[seg], s = query;
    uint32_t n = (uint32_t)st->count[s][cl];
    size_t k = (size_t)seg * 2 + (size_t)s;
    uint32_t j = (uint32_t)(((uint64_t)c->mul[k] * (uint32_t)index + c->add[k]) % n);
    int i = st->idx[st->start[s][cl] + (int)j];
    const plast_dataset *d = s ? &st->test : &st->train;
    memcpy(x, d->x + (size_t)i * 784, 784 * sizeof *x);
}

static void img_draw(const void *state, plast_rng *r, plast_stream *s)
{
    const img_state *st = state;
    const img_opts *o = &st->o;
    int cls[1000], label[1000];
    uint32_t mul[2000], add[2000];
    for (int k = 0; k < o->n_classes; k++) cls[k] = k;
    if (o->class_order == 1) plast_rng_shuffle(r, cls, o->n_classes);
    for (int k = 0; k < o->n_classes; k++) {
        label[k] = cls[k]; /* the output unit of a class is its label */
        for (int sp = 0; sp < 2; sp++) {
            uint32_t n = (uint32_t)st->count[sp][cls[k]], a;
            do a = 1 + (n > 1 ? plast_rng_below(r, n - 1) : 0);
            while (gcd(a, n) != 1);
            mul[k * 2 + sp] = a;
            add[k * 2 + sp] = plast_rng_below(r, n);
        }
    }
    img_ctx ctx = {st, cls, mul, add};
    plast_stream_fill_classes(s, o->n_classes, label, o->n_train, o->order == 1, r, image, &ctx);
}

const plast_task plast_task_images = {
    .name = "images",
    .summary = "class-incremental image classification on IDX data (Fashion-MNIST by default)",
    .opts = {img_table, sizeof img_table / sizeof img_table[0], sizeof(img_opts)},
    .shape = img_shape,
    .create = img_create,
    .destroy = img_destroy,
    .draw = img_draw,
};
