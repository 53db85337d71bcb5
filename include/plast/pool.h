/* pool.h — the one worker pool: evaluations (runs, candidates, validation episodes) handed
 * out to threads through a shared counter.
 *
 * Each item writes only its own result slot, so results do not depend on which thread (or
 * MPI rank) evaluated it. Threads are the caller's plus n_threads - 1 started here; when a
 * thread cannot be started the others take its items. Over MPI ranks, rank r takes the
 * items i with i % n_ranks == r and the caller reduces the slots afterwards. */
#ifndef PLAST_POOL_H
#define PLAST_POOL_H

#include <signal.h>

#define PLAST_POOL_MAX_THREADS 256

typedef struct plast_pool_job {
    int n_items;
    int rank, n_ranks;                        /* 0, 1 without MPI */
    void (*run)(void *ctx, int thread, int item);
    void (*done)(void *ctx, int n_done, int n_items); /* optional; under the pool's lock */
    void *ctx;
    const volatile sig_atomic_t *interrupt;   /* optional: stops handing out items once set */
} plast_pool_job;

/* Runs the job on n_threads threads (1..PLAST_POOL_MAX_THREADS). Returns 1 when it was
 * interrupted before every item of this rank was handed out, else 0. */
int plast_pool_run(const plast_pool_job *job, int n_threads);

#endif
