/* stream.c — the sample stream the engine consumes: allocation for a task shape (one
 * block) and the class-by-class filler that classification tasks share. */
#include <stdlib.h>
#include <string.h>

#include "plast/task.h"

int plast_stream_init(plast_stream *s, const plast_task_shape *sh, plast_err *err)
{
    memset(s, 0, sizeof *s);
    if (sh->n_in < 1 || sh->n_out < 1 || sh->batch < 1 || sh->max_steps < 1 || sh->n_seg < 1 ||
        sh->n_query < 1 || !sh->objective || sh->n_bcast < 0 || sh->n_bcast > PLAST_MAX_BCAST)
        return plast_err_set(err, PLAST_E_CONFIG, "task", "the task's episode shape is empty");
    size_t steps = (size_t)sh->max_steps, nb = (size_t)sh->batch;
    size_t nq = (size_t)sh->n_seg * (size_t)sh->n_query;
    size_t floats = steps * nb * (size_t)(sh->n_in + sh->n_out) + steps * (size_t)sh->n_bcast +
                    nq * (size_t)(sh->n_in + sh->n_out);
    size_t ints = steps + (size_t)sh->n_seg;
    if (floats > ((size_t)1 << 31))
        return plast_err_set(err, PLAST_E_CONFIG, "task",
                             "an episode of %zu floats is too large", floats);
    s->buf = calloc(floats * sizeof(float) + ints * sizeof(int), 1);
    if (!s->buf) return plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory (episode)");
    s->shape = *sh;
    float *f = s->buf;
    s->x = f, f += steps * nb * sh->n_in;
    s->y = f, f += steps * nb * sh->n_out;
    s->bcast = f, f += steps * (size_t)sh->n_bcast;
    s->qx = f, f += nq * sh->n_in;
    s->qy = f, f += nq * sh->n_out;
    int *i = (int *)f;
    s->seg = i, i += steps;
    s->mark = i;
    return PLAST_OK;
}

void plast_stream_free(plast_stream *s)
{
    free(s->buf);
    memset(s, 0, sizeof *s);
}

void plast_stream_fill_classes(plast_stream *s, int n_seg, const int *label, int n_train,
                               int iid, plast_rng *rng, plast_item_fn item, const void *ctx)
{
    const plast_task_shape *sh = &s->shape;
    int nb = sh->batch, ni = sh->n_in, no = sh->n_out, per = n_train / nb;
    int step = 0;
    for (int k = 0; k < n_seg; k++) {
        for (int m = 0; m < per; m++, step++) {
            s->seg[step] = k;
            for (int j = 0; j < sh->n_bcast; j++) s->bcast[(size_t)step * sh->n_bcast + j] = 0.0f;
            for (int b = 0; b < nb; b++) {
                size_t at = (size_t)step * nb + b;
                item(ctx, k, m * nb + b, 0, s->x + at * ni);
                float *y = s->y + at * no;
                for (int i = 0; i < no; i++) y[i] = 0.0f;
                y[label[k]] = 1.0f;
            }
        }
        s->mark[k] = step;
        for (int q = 0; q < sh->n_query; q++) {
            size_t at = (size_t)k * sh->n_query + q;
            item(ctx, k, q, 1, s->qx + at * ni);
            float *y = s->qy + at * no;
            for (int i = 0; i < no; i++) y[i] = 0.0f;
            y[label[k]] = 1.0f;
        }
    }
    s->n_steps = step;
    if (!iid) return;
    /* Fisher-Yates over whole minibatches, swapping their data in place. */
    size_t xs = (size_t)nb * ni, ys = (size_t)nb * no;
    for (int i = step - 1; i > 0; i--) {
        int j = (int)plast_rng_below(rng, (uint32_t)i + 1u);
        if (i == j) continue;
        float *xi = s->x + (size_t)i * xs, *xj = s->x + (size_t)j * xs;
        for (size_t t = 0; t < xs; t++) { float v = xi[t]; xi[t] = xj[t]; xj[t] = v; }
        float *yi = s->y + (size_t)i * ys, *yj = s->y + (size_t)j * ys;
        for (size_t t = 0; t < ys; t++) { float v = yi[t]; yi[t] = yj[t]; yj[t] = v; }
        int g = s->seg[i]; s->seg[i] = s->seg[j]; s->seg[j] = g;
    }
}
