/* task.h — the task interface: a task is a generator of episodes.
 *
 * A task (tasks/<name>.c, listed in tasks/registry.c) declares its options and, from
 * them, the shape of its episodes (plast_task_shape). Its state (pools of functions,
 * a loaded dataset) is built once by new() and is read-only afterwards, so threads share
 * it. draw() fills a caller-allocated plast_stream with one episode from an RNG stream:
 * the online training minibatches in order, which segment (function, class) each belongs
 * to, where the continual curve is sampled, and a held-out query set per segment. */
#ifndef PLAST_TASK_H
#define PLAST_TASK_H

#include <stdint.h>

#include "plast/error.h"
#include "plast/objective.h"
#include "plast/opts.h"
#include "plast/rng.h"

#define PLAST_MAX_BCAST 8

typedef struct plast_task_shape {
    const plast_objective *objective; /* what the episode is scored on */
    int n_in, n_out;
    int in_c, in_h, in_w; /* the input's image shape, in_c in_h in_w = n_in (0: a vector) */
    int batch;          /* training minibatch size */
    int max_steps;      /* capacity: most training steps an episode can have */
    int n_seg;          /* segments (functions or classes) per episode */
    int n_query;        /* held-out query points per segment */
    int n_bcast;        /* broadcast signals the task emits each step, by name (a "saccade"
                         * flag, a pair label, a reward); rules declare which they read */
    const char *bcast[PLAST_MAX_BCAST];
} plast_task_shape;

typedef struct plast_stream {
    plast_task_shape shape;
    int n_steps;        /* this episode's training steps (<= max_steps) */
    float *x;           /* [max_steps][batch][n_in] */
    float *y;           /* [max_steps][batch][n_out] targets (one-hot for classes) */
    int *seg;           /* [max_steps] segment of each step */
    int *mark;          /* [n_seg] after mark[k] steps, row k of the score matrix is taken */
    float *bcast;       /* [max_steps][n_bcast] the broadcast signals of each step */
    float *qx;          /* [n_seg][n_query][n_in] */
    float *qy;          /* [n_seg][n_query][n_out] */
    void *buf;
} plast_stream;

int plast_stream_init(plast_stream *s, const plast_task_shape *shape, plast_err *err);
void plast_stream_free(plast_stream *s);

/* For tasks with one class per segment: fills s from n_seg classes (segments, in presentation order).
 * Class k has output label label[k], n_train training items and shape.n_query query items;
 * item(ctx, k, i, query, x) writes the i-th (training or query) input of class k, n_in
 * floats. Continual order presents the classes one after the other (minibatches of
 * shape.batch items of one class), iid order shuffles those minibatches; mark[k] counts
 * the steps of the first k+1 classes. n_train must be a multiple of the batch. Items are
 * requested in a fixed order (class by class, training then query), so an item function
 * may draw from an RNG. Allocates nothing. */
typedef void (*plast_item_fn)(const void *ctx, int seg, int index, int query, float *x);
void plast_stream_fill_classes(plast_stream *s, int n_seg, const int *label, int n_train,
                               int iid, plast_rng *rng, plast_item_fn item, const void *ctx);

typedef struct plast_task {
    const char *name;
    const char *summary;
    plast_opt_table opts;
    int (*shape)(const void *opts, plast_task_shape *out, plast_err *err);
    /* Builds the read-only state (pools, data); seed fixes everything drawn here. */
    void *(*create)(const void *opts, uint64_t seed, plast_err *err);
    void (*destroy)(void *state);
    /* One episode into s (allocated for this task's shape); no allocation. */
    void (*draw)(const void *state, plast_rng *rng, plast_stream *s);
} plast_task;

/* tasks/registry.c */
const plast_task *plast_task_find(const char *name);
const plast_task *const *plast_task_all(int *n);

#endif
