/* saccade.c — saccade sequences for CLAPP: glimpses of one image, then a jump to another.
 *
 * Every item of a minibatch looks at one image of the source's training split through a
 * patch x patch window on a grid of stride `stride` (patch / 2 by default: 50 % overlap,
 * as CLAPP's 7 x 7 grid of 16 x 16 patches on 64 x 64 crops). Between two steps the window
 * moves to a random neighbouring grid position of the same image (a fixation), or, with
 * probability p_saccade per step and for the whole minibatch at once, every item jumps to a
 * new random image at a random grid position (a saccade). The task broadcasts
 * "saccade" = 1 on the step whose glimpse follows a jump, else 0: CLAPP's y = -1 / +1.
 * The first step of an episode counts as a saccade (nothing came before it).
 *
 * There are no labels: the objective is unsupervised (include/plast/ssl.h) and the output
 * layer, `out` units wide, is one more layer the rule trains; the linear probe is the
 * evaluation. Inputs are 1 x patch x patch images. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "plast/ssl.h"
#include "plast/net.h"
#include "plast/task.h"

typedef struct sac_opts {
    plast_ssl_src src;
    int patch, stride, steps, batch, out, n_images;
    float p_saccade;
} sac_opts;

static const plast_opt sac_table[] = {
    PLAST_SSL_SRC_OPTS(sac_opts, src),
    {"patch", PLAST_OPT_INT, offsetof(sac_opts, patch), 14, 2, 1024, NULL, NULL,
     "glimpse side (pixels; at most the image side)"},
    {"stride", PLAST_OPT_INT, offsetof(sac_opts, stride), 0, 0, 1024, NULL, NULL,
     "grid stride between glimpses (0: patch / 2)"},
    {"steps", PLAST_OPT_INT, offsetof(sac_opts, steps), 500, 1, 1000000, NULL, NULL,
     "training steps per episode"},
    {"batch", PLAST_OPT_INT, offsetof(sac_opts, batch), 16, 1, 256, NULL, NULL,
     "glimpse sequences in parallel (items per step)"},
    {"out", PLAST_OPT_INT, offsetof(sac_opts, out), 32, 1, 65536, NULL, NULL,
     "width of the network's top layer"},
    {"n_images", PLAST_OPT_INT, offsetof(sac_opts, n_images), 0, 0, 10000000, NULL, NULL,
     "images of the training split used (0: all)"},
    {"p_saccade", PLAST_OPT_FLOAT, offsetof(sac_opts, p_saccade), 0.25, 0, 1, NULL, NULL,
     "probability of a jump to other images per step"},
};

static const char *const sac_bcast[] = {"saccade"};

/* Grid of one axis: positions 0, stride, ... with the last window inside the image. */
static int grid_of(int side, int patch, int stride)
{
    return (side - patch) / stride + 1;
}

static int sac_geometry(const sac_opts *o, int *h, int *w, int *stride, plast_err *err)
{
    int c, rc = plast_ssl_shape(&o->src, &c, h, w, err);
    if (rc) return rc;
    if (o->patch > *h || o->patch > *w)
        return plast_err_set(err, PLAST_E_CONFIG, "task.patch",
                             "a glimpse of %d pixels does not fit in the %d x %d images", o->patch,
                             *h, *w);
    *stride = o->stride ? o->stride : (o->patch / 2 > 0 ? o->patch / 2 : 1);
    if (*stride > o->patch)
        return plast_err_set(err, PLAST_E_CONFIG, "task.stride",
                             "stride %d leaves gaps between glimpses of %d pixels", *stride,
                             o->patch);
    return PLAST_OK;
}

static int sac_shape(const void *opts, plast_task_shape *sh, plast_err *err)
{
    const sac_opts *o = opts;
    int h, w, stride = 0, rc = sac_geometry(o, &h, &w, &stride, err);
    if (rc) return rc;
    memset(sh, 0, sizeof *sh);
    sh->objective = &plast_objective_unsupervised;
    sh->n_in = o->patch * o->patch;
    sh->in_c = 1, sh->in_h = o->patch, sh->in_w = o->patch;
    sh->n_out = o->out;
    sh->batch = o->batch;
    sh->max_steps = o->steps;
    sh->n_seg = 1;
    sh->n_query = 1;
    sh->n_bcast = 1;
    sh->bcast[0] = sac_bcast[0];
    return PLAST_OK;
}

typedef struct sac_state {
    sac_opts o;
    plast_dataset d;
    int n_images, stride, gh, gw;
} sac_state;

static void *sac_create(const void *opts, uint64_t seed, plast_err *err)
{
    (void)seed; /* the images are the source's own (PLAST_SSL_DATA_SEED for generated ones) */
    const sac_opts *o = opts;
    int h, w, stride = 0;
    if (sac_geometry(o, &h, &w, &stride, err)) return NULL;
    sac_state *st = calloc(1, sizeof *st);
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
    st->stride = stride;
    st->gh = grid_of(st->d.h, o->patch, stride);
    st->gw = grid_of(st->d.w, o->patch, stride);
    return st;
}

static void sac_destroy(void *state)
{
    sac_state *st = state;
    if (!st) return;
    plast_dataset_free(&st->d);
    free(st);
}

/* Copies the glimpse at grid cell (gy, gx) of image i into x [patch][patch]. */
static void glimpse(const sac_state *st, int i, int gy, int gx, float *x)
{
    int P = st->o.patch, W = st->d.w;
    const float *im = st->d.x + (size_t)i * st->d.h * W;
    for (int r = 0; r < P; r++)
        memcpy(x + (size_t)r * P, im + (size_t)(gy * st->stride + r) * W + gx * st->stride,
               (size_t)P * sizeof(float));
}

static void sac_draw(const void *state, plast_rng *rng, plast_stream *s)
{
    const sac_state *st = state;
    const plast_task_shape *sh = &s->shape;
    int nb = sh->batch, ni = sh->n_in;
    int img[PLAST_MAX_BATCH], gy[PLAST_MAX_BATCH], gx[PLAST_MAX_BATCH];
    s->n_steps = sh->max_steps;
    memset(s->y, 0, (size_t)sh->max_steps * nb * sh->n_out * sizeof(float));
    for (int t = 0; t < s->n_steps; t++) {
        int jump = t == 0 || plast_rng_uniform(rng) < st->o.p_saccade;
        for (int b = 0; b < nb; b++) {
            if (jump) {
                img[b] = (int)plast_rng_below(rng, (uint32_t)st->n_images);
                gy[b] = (int)plast_rng_below(rng, (uint32_t)st->gh);
                gx[b] = (int)plast_rng_below(rng, (uint32_t)st->gw);
            } else if (st->gh * st->gw > 1) {
                /* a random step to one of the 4-neighbours inside the grid */
                for (;;) {
                    int dir = (int)plast_rng_below(rng, 4);
                    int ny = gy[b] + (dir == 0) - (dir == 1), nx = gx[b] + (dir == 2) - (dir == 3);
                    if (ny >= 0 && ny < st->gh && nx >= 0 && nx < st->gw) {
                        gy[b] = ny, gx[b] = nx;
                        break;
                    }
                }
            }
            glimpse(st, img[b], gy[b], gx[b], s->x + ((size_t)t * nb + b) * ni);
        }
        s->seg[t] = 0;
        s->bcast[t] = jump ? 1.0f : 0.0f;
    }
    s->mark[0] = s->n_steps;
    glimpse(st, 0, 0, 0, s->qx);
    memset(s->qy, 0, (size_t)sh->n_out * sizeof(float));
}

const plast_task plast_task_saccade = {
    .name = "saccade",
    .summary = "glimpse sequences of unlabelled images with saccades to other images "
               "(broadcast: saccade)",
    .opts = {sac_table, sizeof sac_table / sizeof sac_table[0], sizeof(sac_opts)},
    .shape = sac_shape,
    .create = sac_create,
    .destroy = sac_destroy,
    .draw = sac_draw,
};
