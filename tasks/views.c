/* views.c — two-view pairs for the contrastive hinge rules: two random augmentations of the
 * same unlabelled image.
 *
 * Each step takes P = `pairs` images of the source's training split, at random, and presents
 * a minibatch of 2P items: view A of every image (items 0..P-1), then view B (items P..2P-1),
 * so item b and item b + P are a positive pair and every other A-B pair a negative one (the
 * other images of the batch). A view is the image shifted by a random -shift..shift pixels
 * on each axis (zero fill: a crop-and-pad), mirrored left-right with probability 1/2 when
 * `flip` is set (sensible for clothes, not for characters), plus N(0, noise^2) pixel noise.
 * The task broadcasts "views" = 1 on every step: the minibatch holds two views in halves.
 * No labels: the objective is unsupervised (include/plast/ssl.h); the probe evaluates. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "plast/ssl.h"
#include "plast/task.h"

typedef struct views_opts {
    plast_ssl_src src;
    int pairs, steps, shift, flip, out, n_images;
    float noise;
} views_opts;

static const plast_opt views_table[] = {
    PLAST_SSL_SRC_OPTS(views_opts, src),
    {"pairs", PLAST_OPT_INT, offsetof(views_opts, pairs), 16, 1, 128, NULL, NULL,
     "images per step (the minibatch is twice as large)"},
    {"steps", PLAST_OPT_INT, offsetof(views_opts, steps), 500, 1, 1000000, NULL, NULL,
     "training steps per episode"},
    {"shift", PLAST_OPT_INT, offsetof(views_opts, shift), 2, 0, 4096, NULL, NULL,
     "largest shift of a view, pixels (smaller than the image)"},
    {"flip", PLAST_OPT_BOOL, offsetof(views_opts, flip), 0, 0, 1, NULL, NULL,
     "mirror views left-right at random"},
    {"noise", PLAST_OPT_FLOAT, offsetof(views_opts, noise), 0.05, 0, 10, NULL, NULL,
     "std of the pixel noise added to a view"},
    {"out", PLAST_OPT_INT, offsetof(views_opts, out), 32, 1, 65536, NULL, NULL,
     "width of the network's top layer (the embedding of end-to-end rules)"},
    {"n_images", PLAST_OPT_INT, offsetof(views_opts, n_images), 0, 0, 10000000, NULL, NULL,
     "images of the training split used (0: all)"},
};

static const char *const views_bcast[] = {"views"};

static int views_geometry(const views_opts *o, int *h, int *w, plast_err *err)
{
    int c, rc = plast_ssl_shape(&o->src, &c, h, w, err);
    if (rc) return rc;
    if (o->shift >= *h || o->shift >= *w)
        return plast_err_set(err, PLAST_E_CONFIG, "task.shift",
                             "a shift of %d pixels is larger than the %d x %d images", o->shift,
                             *h, *w);
    return PLAST_OK;
}

static int views_shape(const void *opts, plast_task_shape *sh, plast_err *err)
{
    const views_opts *o = opts;
    int h, w, rc = views_geometry(o, &h, &w, err);
    if (rc) return rc;
    memset(sh, 0, sizeof *sh);
    sh->objective = &plast_objective_unsupervised;
    sh->n_in = h * w;
    sh->in_c = 1, sh->in_h = h, sh->in_w = w;
    sh->n_out = o->out;
    sh->batch = 2 * o->pairs;
    sh->max_steps = o->steps;
    sh->n_seg = 1;
    sh->n_query = 1;
    sh->n_bcast = 1;
    sh->bcast[0] = views_bcast[0];
    return PLAST_OK;
}

typedef struct views_state {
    views_opts o;
    plast_dataset d;
    int n_images;
} views_state;

static void *views_create(const void *opts, uint64_t seed, plast_err *err)
{
    (void)seed; /* the images are the source's own (PLAST_SSL_DATA_SEED for generated ones) */
    const views_opts *o = opts;
    int h, w;
    if (views_geometry(o, &h, &w, err)) return NULL;
    views_state *st = calloc(1, sizeof *st);
    if (!st) {
        plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory");
        return NULL;
    }
    st->o = *o;
    if (plast_ssl_load(&o->src, &st->d, NULL, err)) {
        free(st);
        return NULL;
    }
    st->n_images = o->n_images && o->n_images < st->d.n ? o->n_images : st->d.n;
    return st;
}

static void views_destroy(void *state)
{
    views_state *st = state;
    if (!st) return;
    plast_dataset_free(&st->d);
    free(st);
}

/* One augmented view of image i into x [h][w]. */
static void view(const views_state *st, int i, plast_rng *rng, float *x)
{
    int H = st->d.h, W = st->d.w, s = st->o.shift;
    int dy = (int)plast_rng_below(rng, (uint32_t)(2 * s + 1)) - s;
    int dx = (int)plast_rng_below(rng, (uint32_t)(2 * s + 1)) - s;
    int flip = st->o.flip && plast_rng_below(rng, 2);
    const float *im = st->d.x + (size_t)i * H * W;
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) {
            int sr = r - dy, sc = c - dx;
            if (flip) sc = W - 1 - sc;
            float v = sr >= 0 && sr < H && sc >= 0 && sc < W ? im[sr * W + sc] : 0.0f;
            if (st->o.noise > 0.0f) v += st->o.noise * (float)plast_rng_normal(rng);
            x[r * W + c] = v;
        }
}

static void views_draw(const void *state, plast_rng *rng, plast_stream *s)
{
    const views_state *st = state;
    const plast_task_shape *sh = &s->shape;
    int nb = sh->batch, P = nb / 2, ni = sh->n_in;
    s->n_steps = sh->max_steps;
    memset(s->y, 0, (size_t)sh->max_steps * nb * sh->n_out * sizeof(float));
    for (int t = 0; t < s->n_steps; t++) {
        float *x = s->x + (size_t)t * nb * ni;
        for (int b = 0; b < P; b++) {
            int i = (int)plast_rng_below(rng, (uint32_t)st->n_images);
            view(st, i, rng, x + (size_t)b * ni);
            view(st, i, rng, x + (size_t)(P + b) * ni);
        }
        s->seg[t] = 0;
        s->bcast[t] = 1.0f;
    }
    s->mark[0] = s->n_steps;
    memcpy(s->qx, st->d.x, (size_t)ni * sizeof(float));
    memset(s->qy, 0, (size_t)sh->n_out * sizeof(float));
}

const plast_task plast_task_views = {
    .name = "views",
    .summary = "two augmented views of each unlabelled image per minibatch (broadcast: views)",
    .opts = {views_table, sizeof views_table / sizeof views_table[0], sizeof(views_opts)},
    .shape = views_shape,
    .create = views_create,
    .destroy = views_destroy,
    .draw = views_draw,
};
