/* pool.c — the worker pool (see include/plast/pool.h). */
#include "plast/pool.h"

#include <pthread.h>

typedef struct pool {
    const plast_pool_job *job;
    pthread_mutex_t lock;
    int next, done, stopped;
} pool;

typedef struct pool_arg {
    pool *p;
    int thread;
} pool_arg;

static void *pool_worker(void *arg)
{
    pool_arg *a = arg;
    pool *p = a->p;
    const plast_pool_job *j = p->job;
    for (;;) {
        int item = -1;
        pthread_mutex_lock(&p->lock);
        if (j->interrupt && *j->interrupt) p->stopped = 1;
        while (!p->stopped && p->next < j->n_items) {
            int cand = p->next++;
            if (cand % j->n_ranks == j->rank) {
                item = cand;
                break;
            }
        }
        pthread_mutex_unlock(&p->lock);
        if (item < 0) break;
        j->run(j->ctx, a->thread, item);
        if (j->done) {
            pthread_mutex_lock(&p->lock);
            j->done(j->ctx, ++p->done, j->n_items);
            pthread_mutex_unlock(&p->lock);
        }
    }
    return NULL;
}

int plast_pool_run(const plast_pool_job *job, int n_threads)
{
    pool p = {.job = job, .next = 0, .done = 0, .stopped = 0};
    pthread_t th[PLAST_POOL_MAX_THREADS];
    pool_arg args[PLAST_POOL_MAX_THREADS];
    int T = n_threads < 1 ? 1 : n_threads > PLAST_POOL_MAX_THREADS ? PLAST_POOL_MAX_THREADS : n_threads;
    int started = 0;
    pthread_mutex_init(&p.lock, NULL);
    for (int t = 0; t < T; t++) args[t] = (pool_arg){&p, t};
    for (int t = 1; t < T; t++) {
        if (pthread_create(&th[t], NULL, pool_worker, &args[t])) break;
        started = t;
    }
    pool_worker(&args[0]);
    for (int t = 1; t <= started; t++) pthread_join(th[t], NULL);
    pthread_mutex_destroy(&p.lock);
    return p.stopped;
}
