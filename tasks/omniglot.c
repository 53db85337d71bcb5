/* omniglot.c — Omniglot classification tasks (PROTOCOLS.md sections 2, 3, 9).
 *
 *  omniglot        FLP episodes: n_way classes x k_shot training drawings, batch 1, labels
 *                  permuted per episode, i.i.d. or continual order; n_query held-out drawings
 *                  per class.
 *  omniglot-split  OML's Split-Omniglot: n_classes classes of the pool, one pass,
 *                  batch 1, class after class, trained on drawings 0-14 and tested on 15-19.
 *
 * Both split the classes by alphabet into a meta-training pool and an evaluation pool (the
 * last eval_alphabets alphabets), so meta-train and meta-test classes never share an
 * alphabet. Data: task.data (comma-separated directories or official zips), else
 * $PLAST_DATA/omniglot, else ../shared/data/omniglot; a directory holding the official zips
 * stands for all of them. Images are resized to size x size and cached (task.cache).
 *
 * rotations: each character turned by 90, 180 and 270 degrees is a class of its own (as in
 * most few-shot work), so a pool has 4x the classes. The turned classes are virtual: a pool
 * entry v names character v / 4 turned by (v % 4) quarter turns, and the drawing is turned
 * (an exact pixel permutation of the resized image, plast_rotate90) when it is written into
 * the episode, so nothing else is stored or cached. With rotations off a pool entry is the
 * character itself, and pools, draws and episodes are exactly what they were before the
 * option existed.
 *
 * train_shift (omniglot, meta-training pool only): every drawing of an episode is translated
 * by its own random -s..s rows and columns (augmentation against learning the meta-training
 * characters' exact pixels); the evaluation pool is always as drawn. 0: no draw is made, and
 * episodes are exactly what they were before the option existed. */
#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plast/dataset.h"
#include "plast/task.h"

#define MAX_SEG 8192   /* classes per episode, run or pool: the full release (1623
                        * characters) turned four ways is 6492 */
#define MAX_PERM 20000 /* n_way x drawings per class */

typedef struct omni_opts {
    char data[PLAST_OPT_STRLEN];
    char cache[PLAST_OPT_STRLEN];
    int size;
    int pool, eval_alphabets;
    int n_way, k_shot, n_query; /* omniglot */
    int n_classes;              /* omniglot-split */
    int order;
    int rotations;              /* 0: characters as drawn; 1: also turned 90, 180, 270 degrees */
    int outputs;                /* output width (0: n_way or n_classes) */
    int train_shift;            /* omniglot, pool train: random translation up to this many pixels */
} omni_opts;

static const char *const pools[] = {"train", "eval", NULL};
static const char *const orders[] = {"continual", "iid", NULL};

#define COMMON_OPTS                                                                          \
    {"data", PLAST_OPT_STRING, offsetof(omni_opts, data), 0, 0, 0, NULL, "",                 \
     "Omniglot sources, comma-separated (default $PLAST_DATA/omniglot or ../shared/...)"},  \
    {"cache", PLAST_OPT_STRING, offsetof(omni_opts, cache), 0, 0, 0, NULL, "results/cache",  \
     "directory of the resized-image cache (empty: no cache)"},                              \
    {"size", PLAST_OPT_INT, offsetof(omni_opts, size), 28, 1, 1024, NULL, NULL,              \
     "images are resized to size x size"},                                                   \
    {"pool", PLAST_OPT_ENUM, offsetof(omni_opts, pool), 1, 0, 0, pools, NULL,                \
     "meta-training classes or evaluation classes (split by alphabet)"},                     \
    {"eval_alphabets", PLAST_OPT_INT, offsetof(omni_opts, eval_alphabets), 3, 1, 1000, NULL, \
     NULL, "the last this many alphabets form the evaluation pool"},                         \
    {"rotations", PLAST_OPT_BOOL, offsetof(omni_opts, rotations), 0, 0, 1, NULL, NULL,       \
     "each character turned by 90, 180 and 270 degrees is also a class (4x the classes)"},    \
    {"outputs", PLAST_OPT_INT, offsetof(omni_opts, outputs), 0, 0, MAX_SEG, NULL, NULL,      \
     "output units (0: one per class of a run); more lets one network serve every N: "     \
     "each run's classes get distinct random units"}

static const plast_opt episode_table[] = {
    COMMON_OPTS,
    {"n_way", PLAST_OPT_INT, offsetof(omni_opts, n_way), 5, 2, 1000, NULL, NULL,
     "classes per episode"},
    {"k_shot", PLAST_OPT_INT, offsetof(omni_opts, k_shot), 5, 1, 19, NULL, NULL,
     "training drawings per class"},
    {"n_query", PLAST_OPT_INT, offsetof(omni_opts, n_query), 15, 1, 19, NULL, NULL,
     "held-out drawings per class (k_shot + n_query <= 20)"},
    {"order", PLAST_OPT_ENUM, offsetof(omni_opts, order), 1, 0, 0, orders, NULL,
     "continual: all drawings of a class before the next; iid: shuffled"},
    {"train_shift", PLAST_OPT_INT, offsetof(omni_opts, train_shift), 0, 0, 127, NULL, NULL,
     "meta-training pool only: each drawing translated by random -s..s pixels (0: none)"},
};

static const plast_opt split_table[] = {
    COMMON_OPTS,
    {"n_classes", PLAST_OPT_INT, offsetof(omni_opts, n_classes), 10, 1, MAX_SEG, NULL, NULL,
     "classes per run (the output width; at most the pool's classes)"},
};

typedef struct omni_state {
    omni_opts o;
    int split;              /* omniglot-split */
    plast_dataset d;
    int n_rot;              /* classes per character: 4 with rotations, else 1 */
    int n_pool;             /* classes in the chosen pool */
    int *pool_class;        /* [n_pool] class ids: dataset class * n_rot + quarter turns */
    int *first;             /* [n_classes of d] index of a class's drawing 0 (images are in class order) */
    int per_class;          /* drawings per class (20) */
} omni_state;

/* Resolves task.data into sources (paths written into buf). */
static int sources_of(const omni_opts *o, char *buf, size_t n, const char **src, int max, int *count,
                      plast_err *err)
{
    char list[PLAST_OPT_STRLEN * 2];
    if (o->data[0]) snprintf(list, sizeof list, "%s", o->data);
    else if (getenv("PLAST_DATA")) snprintf(list, sizeof list, "%s/omniglot", getenv("PLAST_DATA"));
    else snprintf(list, sizeof list, "../shared/data/omniglot");
    *count = 0;
    size_t used = 0;
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        struct stat st;
        if (stat(tok, &st))
            return plast_err_set(err, PLAST_E_NOINPUT, tok,
                                 "Omniglot not found: give task.data (directories or the official "
                                 "zips), set PLAST_DATA, or run scripts/get-omniglot");
        /* A directory of official zips stands for those zips, in name order. */
        int zips = 0;
        if (S_ISDIR(st.st_mode)) {
            struct dirent **ents;
            int m = scandir(tok, &ents, NULL, alphasort);
            for (int i = 0; i < m; i++) {
                const char *nm = ents[i]->d_name;
                size_t l = strlen(nm);
                if (l > 4 && !strcmp(nm + l - 4, ".zip") && !strncmp(nm, "images_", 7) &&
                    *count < max && used + strlen(tok) + l + 2 < n) {
                    src[(*count)++] = buf + used;
                    used += (size_t)snprintf(buf + used, n - used, "%s/%s", tok, nm) + 1;
                    zips++;
                }
                free(ents[i]);
            }
            if (m >= 0) free(ents);
        }
        if (!zips && *count < max && used + strlen(tok) + 1 < n) {
            src[(*count)++] = buf + used;
            used += (size_t)snprintf(buf + used, n - used, "%s", tok) + 1;
        }
    }
    if (!*count) return plast_err_set(err, PLAST_E_CONFIG, "task.data", "no Omniglot source given");
    return PLAST_OK;
}

static void *omni_create_common(const void *opts, int split, plast_err *err)
{
    const omni_opts *o = opts;
    omni_state *st = calloc(1, sizeof *st);
    if (!st) {
        plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory");
        return NULL;
    }
    st->o = *o;
    st->split = split;
    char buf[4096];
    const char *src[16];
    int n_src, hit;
    if (sources_of(o, buf, sizeof buf, src, 16, &n_src, err) ||
        plast_omniglot_load(&st->d, src, n_src, o->size, o->cache[0] ? o->cache : NULL, &hit, err)) {
        free(st);
        return NULL;
    }
    const plast_dataset *d = &st->d;
    st->n_rot = o->rotations ? 4 : 1;
    st->first = calloc((size_t)d->n_classes, sizeof *st->first);
    st->pool_class = calloc((size_t)d->n_classes * (size_t)st->n_rot, sizeof *st->pool_class);
    if (!st->first || !st->pool_class) {
        plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory");
        goto fail;
    }
    /* Every class must have the same number of drawings, in order (the loader sorts). */
    int uniform = plast_dataset_uniform(d, &st->per_class);
    if (uniform < 0) {
        plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory");
        goto fail;
    }
    if (!uniform) {
        plast_err_set(err, PLAST_E_DATA, src[0], "every character needs the same number of drawings");
        goto fail;
    }
    for (int c = 0; c < d->n_classes; c++) st->first[c] = -1;
    for (int i = 0; i < d->n; i++)
        if (st->first[d->label[i]] < 0) st->first[d->label[i]] = i;
    if (o->eval_alphabets >= d->n_groups) {
        plast_err_set(err, PLAST_E_CONFIG, "task.eval_alphabets",
                      "%d evaluation alphabets leave none of the %d for meta-training",
                      o->eval_alphabets, d->n_groups);
        goto fail;
    }
    int cut = d->n_groups - o->eval_alphabets; /* groups >= cut: evaluation pool */
    /* A character's turned classes follow it, in the pool of its alphabet: rotations never
     * carry a character across the meta-training / evaluation split. */
    for (int c = 0; c < d->n_classes; c++) {
        int g = d->group[st->first[c]];
        if ((g >= cut) == (o->pool == 1))
            for (int r = 0; r < st->n_rot; r++) st->pool_class[st->n_pool++] = c * st->n_rot + r;
    }
    /* The episode shape must fit this pool and these drawings. */
    int need = split ? o->n_classes : o->n_way;
    if (need > st->n_pool) {
        plast_err_set(err, PLAST_E_CONFIG, split ? "task.n_classes" : "task.n_way",
                      "%d classes wanted, the %s pool has %d%s", need, pools[o->pool], st->n_pool,
                      o->rotations ? " (characters x 4 rotations)" : "");
        goto fail;
    }
    int draws = split ? 20 : o->k_shot + o->n_query;
    if (st->n_pool > MAX_SEG || (!split && o->n_way * st->per_class > MAX_PERM)) {
        plast_err_set(err, PLAST_E_CONFIG, "task", "more classes or drawings than plast handles");
        goto fail;
    }
    if (draws > st->per_class) {
        plast_err_set(err, PLAST_E_CONFIG, split ? "task" : "task.n_query",
                      "%d drawings per class wanted, the data has %d", draws, st->per_class);
        goto fail;
    }
    return st;
fail:
    plast_dataset_free(&st->d);
    free(st->first);
    free(st->pool_class);
    free(st);
    return NULL;
}

static void omni_destroy(void *state)
{
    omni_state *st = state;
    if (!st) return;
    plast_dataset_free(&st->d);
    free(st->first);
    free(st->pool_class);
    free(st);
}

static int episode_shape(const void *opts, plast_task_shape *sh, plast_err *err)
{
    const omni_opts *o = opts;
    if (o->k_shot + o->n_query > 20)
        return plast_err_set(err, PLAST_E_CONFIG, "task.n_query",
                             "k_shot + n_query = %d: a character has 20 drawings", o->k_shot + o->n_query);
    if (o->train_shift >= o->size)
        return plast_err_set(err, PLAST_E_CONFIG, "task.train_shift",
                             "a shift of %d pixels is larger than the %d x %d images", o->train_shift,
                             o->size, o->size);
    if (o->outputs && o->outputs < o->n_way)
        return plast_err_set(err, PLAST_E_CONFIG, "task.outputs",
                             "%d output units cannot label %d classes (task.n_way)", o->outputs, o->n_way);
    memset(sh, 0, sizeof *sh);
    sh->objective = &plast_objective_classification;
    sh->n_in = o->size * o->size;
    sh->in_c = 1, sh->in_h = o->size, sh->in_w = o->size;
    sh->n_out = o->outputs ? o->outputs : o->n_way;
    sh->batch = 1;
    sh->max_steps = o->n_way * o->k_shot;
    sh->n_seg = o->n_way;
    sh->n_query = o->n_query;
    return PLAST_OK;
}

static int split_shape(const void *opts, plast_task_shape *sh, plast_err *err)
{
    const omni_opts *o = opts;
    if (o->outputs && o->outputs < o->n_classes)
        return plast_err_set(err, PLAST_E_CONFIG, "task.outputs",
                             "%d output units cannot label %d classes (task.n_classes)", o->outputs,
                             o->n_classes);
    memset(sh, 0, sizeof *sh);
    sh->objective = &plast_objective_classification;
    sh->n_in = o->size * o->size;
    sh->in_c = 1, sh->in_h = o->size, sh->in_w = o->size;
    sh->n_out = o->outputs ? o->outputs : o->n_classes;
    sh->batch = 1;
    sh->max_steps = o->n_classes * 15;
    sh->n_seg = o->n_classes;
    sh->n_query = 5;
    return PLAST_OK;
}

static void *episode_create(const void *opts, uint64_t seed, plast_err *err)
{
    (void)seed;
    return omni_create_common(opts, 0, err);
}

static void *split_create(const void *opts, uint64_t seed, plast_err *err)
{
    (void)seed;
    return omni_create_common(opts, 1, err);
}

typedef struct omni_ctx {
    const omni_state *st;
    const int *cls;   /* [n_seg] class of each segment (dataset class * n_rot + quarter turns) */
    const int *perm;  /* [n_seg][per_class] drawing order per segment (episode task) or NULL */
    const signed char *shift; /* [n_seg][per_class][2] rows, columns of each drawing slot, or NULL */
    int train_n;      /* training drawings per class */
} omni_ctx;

static void image(const void *ctx, int seg, int index, int query, float *x)
{
    const omni_ctx *c = ctx;
    const omni_state *st = c->st;
    int k = query ? c->train_n + index : index; /* drawing slot */
    int drawing = c->perm ? c->perm[(size_t)seg * st->per_class + k] : k;
    int cls = c->cls[seg] / st->n_rot, quarters = c->cls[seg] % st->n_rot;
    size_t i = (size_t)st->first[cls] + (size_t)drawing;
    size_t px = (size_t)st->d.h * st->d.w;
    /* Square images: a turned image has the same shape. Quarter 0 is a plain copy. */
    plast_rotate90(st->d.x + i * px, st->d.h, st->d.w, quarters, x);
    if (c->shift) {
        const signed char *sh = c->shift + 2 * ((size_t)seg * st->per_class + (size_t)k);
        plast_translate(x, st->d.h, st->d.w, sh[0], sh[1]);
    }
}

/* Labels of a run's n classes: a permutation of 0..n-1, or, with more output units than
 * classes, n distinct random units (rejection against those already given: no allocation). */
static void draw_labels(const omni_opts *o, int n, plast_rng *r, int *label)
{
    if (!o->outputs || o->outputs == n) {
        for (int k = 0; k < n; k++) label[k] = k;
        plast_rng_shuffle(r, label, n);
        return;
    }
    for (int k = 0; k < n; k++) {
        int u, dup;
        do {
            u = (int)plast_rng_below(r, (uint32_t)o->outputs);
            dup = 0;
            for (int j = 0; j < k; j++) dup |= label[j] == u;
        } while (dup);
        label[k] = u;
    }
}

static void episode_draw(const void *state, plast_rng *r, plast_stream *s)
{
    const omni_state *st = state;
    const omni_opts *o = &st->o;
    int pick[MAX_SEG], label[MAX_SEG], perm[MAX_PERM];
    /* n_way distinct classes of the pool: a partial Fisher-Yates on a copy of the pool ids
     * would allocate; rejection against the few already picked does not. */
    for (int k = 0; k < o->n_way; k++) {
        int c, dup;
        do {
            c = st->pool_class[plast_rng_below(r, (uint32_t)st->n_pool)];
            dup = 0;
            for (int j = 0; j < k; j++) dup |= pick[j] == c;
        } while (dup);
        pick[k] = c;
    }
    draw_labels(o, o->n_way, r, label);
    for (int k = 0; k < o->n_way; k++) {
        int *p = perm + (size_t)k * st->per_class;
        for (int i = 0; i < st->per_class; i++) p[i] = i;
        plast_rng_shuffle(r, p, st->per_class);
    }
    static _Thread_local signed char shift[2 * MAX_PERM]; /* 40 KB: off the stack */
    int sh = o->pool == 0 ? o->train_shift : 0;
    for (int i = 0; sh && i < 2 * o->n_way * st->per_class; i++)
        shift[i] = (signed char)((int)plast_rng_below(r, (uint32_t)(2 * sh + 1)) - sh);
    omni_ctx ctx = {st, pick, perm, sh ? shift : NULL, o->k_shot};
    plast_stream_fill_classes(s, o->n_way, label, o->k_shot, o->order == 1, r, image, &ctx);
}

static void split_draw(const void *state, plast_rng *r, plast_stream *s)
{
    const omni_state *st = state;
    const omni_opts *o = &st->o;
    int n = o->n_classes;
    int pick[MAX_SEG], label[MAX_SEG];
    /* A random subset of the pool in random order: Fisher-Yates over a stack copy of the
     * pool ids (pools have at most MAX_SEG classes, checked at set-up). */
    int ids[MAX_SEG];
    for (int i = 0; i < st->n_pool; i++) ids[i] = st->pool_class[i];
    plast_rng_shuffle(r, ids, st->n_pool);
    for (int k = 0; k < n; k++) pick[k] = ids[k], label[k] = k;
    if (o->outputs > n) draw_labels(o, n, r, label); /* classes in order, units at random */
    omni_ctx ctx = {st, pick, NULL, NULL, 15}; /* drawings 0-14 train, 15-19 test */
    plast_stream_fill_classes(s, n, label, 15, 0, r, image, &ctx);
}

const plast_task plast_task_omniglot = {
    .name = "omniglot",
    .summary = "Omniglot N-way k-shot episodes (FLP protocol), classes split by alphabet",
    .opts = {episode_table, sizeof episode_table / sizeof episode_table[0], sizeof(omni_opts)},
    .shape = episode_shape,
    .create = episode_create,
    .destroy = omni_destroy,
    .draw = episode_draw,
};

const plast_task plast_task_omniglot_split = {
    .name = "omniglot-split",
    .summary = "Split-Omniglot (OML protocol): one pass, class after class, drawings 0-14 / 15-19",
    .opts = {split_table, sizeof split_table / sizeof split_table[0], sizeof(omni_opts)},
    .shape = split_shape,
    .create = split_create,
    .destroy = omni_destroy,
    .draw = split_draw,
};
