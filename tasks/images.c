/* images.c — class-incremental image classification on stored image sets (PROTOCOLS.md
 * section 9): IDX files (Fashion-MNIST from the Debian package dataset-fashion-mnist by
 * default, or any MNIST-format set of any image size), CIFAR-10's binary version or STL-10's.
 * One pass, batch 1 by default, the classes one after the other (in label order, or a random
 * order per run), n_train training images per class from the training split (a random subset
 * in random order per run) and n_query test images per class from the test split.
 *
 * The input shape (channels x height x width) comes from the data. plast asks for the shape
 * before it builds the task, so shape() reads only what fixes it: the header of the IDX
 * training images (CIFAR-10 and STL-10 have one fixed shape each); create() then loads both
 * splits and checks every dimension of both against that shape, so a test split of another
 * size, or a file replaced in between, is bad data rather than a misread network input. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plast/dataset.h"
#include "plast/run.h"
#include "plast/task.h"

/* Largest input (c*h*w values) this task presents: a 4096 x 4096 grey image. Larger inputs
 * would make even one dense layer's weights unreasonably large, and keeps n_in an int with
 * room for products taken downstream. */
#define IMG_MAX_INPUT (1 << 24)

enum { FMT_IDX, FMT_CIFAR10, FMT_STL10 };

typedef struct img_opts {
    char dir[PLAST_OPT_STRLEN];
    char train_images[PLAST_OPT_STRLEN], train_labels[PLAST_OPT_STRLEN];
    char test_images[PLAST_OPT_STRLEN], test_labels[PLAST_OPT_STRLEN];
    int format;
    int n_classes, n_train, n_query, batch;
    int order, class_order;
} img_opts;

static const char *const formats[] = {"idx", "cifar10", "stl10", NULL};
static const char *const orders[] = {"continual", "iid", NULL};
static const char *const class_orders[] = {"labels", "random", NULL};

static const plast_opt img_table[] = {
    {"format", PLAST_OPT_ENUM, offsetof(img_opts, format), 0, 0, 0, formats, NULL,
     "idx (MNIST format, any image size), cifar10 or stl10 (their binary versions)"},
    {"dir", PLAST_OPT_STRING, offsetof(img_opts, dir), 0, 0, 0, NULL, "",
     "directory of the data set's files under their usual names (default: $PLAST_DATA/"
     "fashion-mnist, cifar-10-batches-bin or stl10_binary; Debian's Fashion-MNIST for idx)"},
    {"train_images", PLAST_OPT_STRING, offsetof(img_opts, train_images), 0, 0, 0, NULL, "",
     "idx: IDX images of the training split (overrides dir)"},
    {"train_labels", PLAST_OPT_STRING, offsetof(img_opts, train_labels), 0, 0, 0, NULL, "",
     "idx: IDX labels of the training split"},
    {"test_images", PLAST_OPT_STRING, offsetof(img_opts, test_images), 0, 0, 0, NULL, "",
     "idx: IDX images of the test split"},
    {"test_labels", PLAST_OPT_STRING, offsetof(img_opts, test_labels), 0, 0, 0, NULL, "",
     "idx: IDX labels of the test split"},
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
    size_t px;       /* values per image, c*h*w */
    int *idx;        /* per class, the image indices of the class: train then test */
    int *start[2];   /* [n_classes] offset into idx of class c in split s */
    int *count[2];   /* [n_classes] */
} img_state;

#define PATHLEN 4096
#define CIFAR_TRAIN 5 /* data_batch_1.bin .. data_batch_5.bin */

/* The files of both splits. IDX: images then labels per split. CIFAR-10: the training
 * batches, then the test batch in file[CIFAR_TRAIN]. STL-10: X then y per split. */
typedef struct img_files {
    char train[CIFAR_TRAIN][PATHLEN];
    int n_train;
    char train_labels[PATHLEN];
    char test[PATHLEN], test_labels[PATHLEN];
    int from_default; /* no dir or file option given: a missing file gets an install hint */
} img_files;

static const char *const default_dirs[] = {"fashion-mnist", "cifar-10-batches-bin", "stl10_binary"};

/* The directory the files are looked up in: task.dir, else $PLAST_DATA/<usual name>, else
 * (IDX only) Debian's Fashion-MNIST. */
static int data_dir(const img_opts *o, char *out, size_t n, int *from_default, plast_err *err)
{
    *from_default = 0;
    if (o->dir[0]) {
        snprintf(out, n, "%s", o->dir);
        return PLAST_OK;
    }
    *from_default = 1;
    const char *env = getenv("PLAST_DATA");
    if (env && env[0]) return plast_path_join(out, n, env, default_dirs[o->format], err);
    else if (o->format == FMT_IDX) snprintf(out, n, "/usr/share/datasets/fashion-mnist");
    else
        return plast_err_set(err, PLAST_E_CONFIG, "task.dir",
                             "give task.dir, the directory of the %s binary files (%s), or set "
                             "PLAST_DATA to the directory holding %s",
                             formats[o->format], default_dirs[o->format], default_dirs[o->format]);
    return PLAST_OK;
}

/* dir/name.gz when it exists, else dir/name: Debian ships the IDX files compressed, the
 * original MNIST downloads are often unpacked. */
static int idx_in_dir(const char *dir, const char *name, char *out, plast_err *err)
{
    struct stat st;
    char gz[64];
    snprintf(gz, sizeof gz, "%s.gz", name);
    int rc = plast_path_join(out, PATHLEN, dir, gz, err);
    if (!rc && stat(out, &st)) rc = plast_path_join(out, PATHLEN, dir, name, err);
    return rc;
}

static int img_files_of(const img_opts *o, img_files *f, plast_err *err)
{
    memset(f, 0, sizeof *f);
    static const char *const idx_keys[4] = {"train_images", "train_labels", "test_images",
                                            "test_labels"};
    const char *given[4] = {o->train_images, o->train_labels, o->test_images, o->test_labels};
    if (o->format != FMT_IDX)
        for (int i = 0; i < 4; i++)
            if (given[i][0]) {
                char key[64];
                snprintf(key, sizeof key, "task.%s", idx_keys[i]);
                return plast_err_set(err, PLAST_E_CONFIG, key,
                                     "applies to format idx only; %s reads task.dir",
                                     formats[o->format]);
            }
    char dir[PATHLEN];
    int rc = data_dir(o, dir, sizeof dir, &f->from_default, err);
    if (rc) return rc;
    if (o->format == FMT_IDX) {
        static const char *const names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
        char *out[4] = {f->train[0], f->train_labels, f->test, f->test_labels};
        for (int i = 0; i < 4 && !rc; i++) {
            if (given[i][0]) snprintf(out[i], PATHLEN, "%s", given[i]), f->from_default = 0;
            else rc = idx_in_dir(dir, names[i], out[i], err);
        }
        f->n_train = 1;
    } else if (o->format == FMT_CIFAR10) {
        for (int i = 0; i < CIFAR_TRAIN && !rc; i++) {
            char name[32];
            snprintf(name, sizeof name, "data_batch_%d.bin", i + 1);
            rc = plast_path_join(f->train[i], PATHLEN, dir, name, err);
        }
        f->n_train = CIFAR_TRAIN;
        if (!rc) rc = plast_path_join(f->test, PATHLEN, dir, "test_batch.bin", err);
    } else {
        f->n_train = 1;
        if (!rc) rc = plast_path_join(f->train[0], PATHLEN, dir, "train_X.bin", err);
        if (!rc) rc = plast_path_join(f->train_labels, PATHLEN, dir, "train_y.bin", err);
        if (!rc) rc = plast_path_join(f->test, PATHLEN, dir, "test_X.bin", err);
        if (!rc) rc = plast_path_join(f->test_labels, PATHLEN, dir, "test_y.bin", err);
    }
    return rc;
}

/* A missing default data set names what to install or set, keeping the path in err->where. */
static void missing_hint(const img_opts *o, const img_files *f, plast_err *err)
{
    if (!err || err->code != PLAST_E_NOINPUT || !f->from_default) return;
    if (o->format == FMT_IDX)
        snprintf(err->msg, sizeof err->msg,
                 "Fashion-MNIST not found: install the Debian package dataset-fashion-mnist "
                 "(scripts/setup does), set PLAST_DATA, or give task.dir or task.train_images etc.");
    else
        snprintf(err->msg, sizeof err->msg,
                 "%s not found under $PLAST_DATA: give task.dir (the directory %s of the "
                 "binary version)", formats[o->format], default_dirs[o->format]);
}

/* The input shape of the data the task will load: the IDX header, or the fixed shapes. */
static int data_shape(const img_opts *o, const img_files *f, int *c, int *h, int *w,
                      plast_err *err)
{
    if (o->format == FMT_CIFAR10) {
        *c = 3, *h = *w = PLAST_CIFAR10_SIDE;
        return PLAST_OK;
    }
    if (o->format == FMT_STL10) {
        *c = 3, *h = *w = PLAST_STL10_SIDE;
        return PLAST_OK;
    }
    int n;
    *c = 1;
    int rc = plast_idx_shape(f->train[0], &n, h, w, err);
    if (rc) {
        missing_hint(o, f, err);
        return rc;
    }
    /* Each side is at most 65535 (the reader's check), so the product fits 64 bits. */
    if ((long long)*h * *w > IMG_MAX_INPUT)
        return plast_err_set(err, PLAST_E_DATA, f->train[0],
                             "images of %d x %d: more than %d values per image, which this task "
                             "does not present to a network",
                             *h, *w, IMG_MAX_INPUT);
    return PLAST_OK;
}

static int img_shape(const void *opts, plast_task_shape *sh, plast_err *err)
{
    const img_opts *o = opts;
    if (o->n_train % o->batch)
        return plast_err_set(err, PLAST_E_CONFIG, "task.n_train",
                             "n_train (%d) must be a multiple of batch (%d)", o->n_train, o->batch);
    img_files f;
    int c, h, w;
    int rc = img_files_of(o, &f, err);
    if (!rc) rc = data_shape(o, &f, &c, &h, &w, err);
    if (rc) return rc;
    memset(sh, 0, sizeof *sh);
    sh->objective = &plast_objective_classification;
    sh->in_c = c, sh->in_h = h, sh->in_w = w;
    sh->n_in = c * h * w; /* <= IMG_MAX_INPUT */
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

static int load_split(const img_opts *o, const img_files *f, int test, plast_dataset *d,
                      plast_err *err)
{
    int rc;
    if (o->format == FMT_IDX)
        rc = test ? plast_idx_load(d, f->test, f->test_labels, err)
                  : plast_idx_load(d, f->train[0], f->train_labels, err);
    else if (o->format == FMT_CIFAR10) {
        const char *files[CIFAR_TRAIN];
        for (int i = 0; i < f->n_train; i++) files[i] = f->train[i];
        const char *t = f->test;
        rc = test ? plast_cifar10_load(d, &t, 1, err) : plast_cifar10_load(d, files, f->n_train, err);
    } else
        rc = test ? plast_stl10_load(d, f->test, f->test_labels, err)
                  : plast_stl10_load(d, f->train[0], f->train_labels, err);
    if (rc) missing_hint(o, f, err);
    return rc;
}

static void *img_create(const void *opts, uint64_t seed, plast_err *err)
{
    const img_opts *o = opts;
    (void)seed;
    img_files f;
    int c, h, w;
    if (img_files_of(o, &f, err) || data_shape(o, &f, &c, &h, &w, err)) return NULL;
    img_state *st = calloc(1, sizeof *st);
    if (!st) {
        plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory");
        return NULL;
    }
    st->o = *o;
    st->px = (size_t)c * h * w;
    if (load_split(o, &f, 0, &st->train, err) || load_split(o, &f, 1, &st->test, err)) {
        img_destroy(st);
        return NULL;
    }
    const plast_dataset *d[2] = {&st->train, &st->test};
    const char *file[2] = {f.train[0], f.test};
    for (int s = 0; s < 2; s++) {
        /* Each dimension on its own: 14 x 56 has as many pixels as 28 x 28. */
        if (d[s]->c != c || d[s]->h != h || d[s]->w != w) {
            plast_err_set(err, PLAST_E_DATA, file[s],
                          "images are %d x %d x %d, the task's input is %d x %d x %d (the shape "
                          "of %s)",
                          d[s]->c, d[s]->h, d[s]->w, c, h, w, f.train[0]);
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
    memcpy(x, d->x + (size_t)i * st->px, st->px * sizeof *x);
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
    .summary = "class-incremental image classification: IDX (Fashion-MNIST by default), CIFAR-10, STL-10",
    .opts = {img_table, sizeof img_table / sizeof img_table[0], sizeof(img_opts)},
    .shape = img_shape,
    .create = img_create,
    .destroy = img_destroy,
    .draw = img_draw,
};
