/* bench_metagrad.c — meta-gradient speed and memory (scripts/bench runs it; not a test).
 *
 * On the sine protocol (400 steps of 32 samples, 320 query points) with FLP per synapse,
 * for a small network and the FLP reference width (11-300x5-900-300-300-1):
 *   - one meta-gradient (forward sweep with checkpoints, backward sweep) against the forward
 *     episode alone: the double forward of the same engine (plast_metagrad_loss, the fair
 *     comparison: the same precision and kernels) and, for scale, the float episode the
 *     evolution strategies run (plast_episode_run);
 *   - the workspace's peak memory with sqrt(T)-style checkpoints and with every state kept
 *     (counted by the engine, nothing allocated for the latter), and the process's max RSS
 *     after the gradient episodes (the stream, the learner and two workspaces included);
 *   - gradient episodes per second on 1 and 2 threads of the worker pool (meta/pool.c, as
 *     the Adam campaign spreads its meta-batch) and the parallel efficiency.
 * Times are the best of a few repetitions; figures are for comparing within one run.
 * Prints a Markdown table; exit 0 (70 when the set-up fails). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "plast/config.h"
#include "plast/episode.h"
#include "plast/linalg.h"
#include "plast/metagrad.h"
#include "plast/pool.h"
#include "plast/registry.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double max_rss_mib(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0; /* kilobytes on Linux */
}

typedef struct mg_bench {
    plast_config cfg;
    plast_task_shape sh;
    plast_learner L;
    plast_episode ep;
    plast_stream st;
    void *task;
    plast_metagrad *g[2]; /* one workspace per thread */
    double *grad[2];      /* [n_state + n_meta] per thread */
    double *theta;        /* the learner's values in double, for the double forward */
} mg_bench;

static void die(const plast_err *err)
{
    fprintf(stderr, "bench_metagrad: %s: %s\n", err->where, err->msg);
    exit(70);
}

static void mg_init(mg_bench *b, const char *json)
{
    plast_err err;
    plast_registry reg = plast_registry_builtin(0);
    if (plast_config_parse(&b->cfg, json, "bench", NULL, 0, &reg, &err) ||
        plast_learner_from_config(&b->L, &b->cfg, NULL, NULL, &b->sh, &err) ||
        plast_episode_init(&b->ep, &b->L, &b->sh, &err) || plast_stream_init(&b->st, &b->sh, &err) ||
        !(b->task = b->cfg.task->create(b->cfg.task_opts, 1, &err)))
        die(&err);
    plast_rng r;
    plast_rng_seed(&r, 1, 1);
    plast_learner_draw(&b->L, &r);
    b->cfg.task->draw(b->task, &r, &b->st);
    size_t ns = b->L.net.p.n_floats, n = ns + b->L.meta.n_floats;
    for (int t = 0; t < 2; t++) {
        if (!(b->g[t] = plast_metagrad_new(&b->L, &b->sh, 0, &err))) die(&err);
        if (!(b->grad[t] = malloc(n * sizeof(double)))) exit(70);
    }
    if (!(b->theta = malloc(n * sizeof(double)))) exit(70);
    for (size_t i = 0; i < ns; i++) b->theta[i] = b->L.net.p.data[i];
    for (size_t i = ns; i < n; i++) b->theta[i] = b->L.meta.data[i - ns];
}

static void mg_free(mg_bench *b)
{
    for (int t = 0; t < 2; t++) plast_metagrad_delete(b->g[t]), free(b->grad[t]);
    free(b->theta);
    b->cfg.task->destroy(b->task);
    plast_stream_free(&b->st);
    plast_episode_free(&b->ep);
    plast_learner_free(&b->L);
}

static void mg_item(void *ctx, int thread, int item)
{
    mg_bench *b = ctx;
    double loss;
    size_t ns = b->L.net.p.n_floats;
    (void)item;
    plast_metagrad_run(b->g[thread], &b->st, &loss, b->grad[thread], b->grad[thread] + ns);
}

/* The best of reps timings of one call of each. */
static double time_double_forward(mg_bench *b, int reps)
{
    double best = INFINITY;
    size_t ns = b->L.net.p.n_floats;
    for (int q = 0; q < reps; q++) {
        double t0 = now();
        (void)plast_metagrad_loss(b->g[0], &b->st, b->theta, b->theta + ns);
        best = fmin(best, now() - t0);
    }
    return best;
}

static double time_float_episode(mg_bench *b, int reps)
{
    double best = INFINITY;
    for (int q = 0; q < reps; q++) {
        double t0 = now();
        plast_episode_run(&b->ep, &b->st);
        best = fmin(best, now() - t0);
    }
    return best;
}

static double time_gradient(mg_bench *b, int reps)
{
    double best = INFINITY;
    for (int q = 0; q < reps; q++) {
        double t0 = now();
        mg_item(b, 0, 0);
        best = fmin(best, now() - t0);
    }
    return best;
}

/* Gradient episodes per second with T threads, n_per_thread episodes each. */
static double pool_rate(mg_bench *b, int T, int n_per_thread)
{
    plast_pool_job pj = {.n_items = n_per_thread * T, .rank = 0, .n_ranks = 1, .run = mg_item, .ctx = b};
    double t0 = now();
    plast_pool_run(&pj, T);
    return pj.n_items / (now() - t0);
}

static void row(const char *label, const char *net, int reps, int per_thread)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"net\": %s, \"rule\": {\"name\": \"flp\", \"granularity\": \"synapse\", \"p_init\": 1e-4},"
             " \"task\": {\"name\": \"sine\"}}", net);
    static mg_bench b; /* large: the config's option blocks */
    mg_init(&b, json);
    plast_err err;
    plast_metagrad *all = plast_metagrad_new(&b.L, &b.sh, 1, &err); /* every state kept */
    if (!all) die(&err);
    double all_mib = plast_metagrad_bytes(all) / 1048576.0;
    plast_metagrad_delete(all);
    mg_item(&b, 0, 0); /* warm-up */
    double fwd_d = time_double_forward(&b, reps), fwd_f = time_float_episode(&b, reps);
    double grad = time_gradient(&b, reps);
    double r1 = pool_rate(&b, 1, per_thread), rss = max_rss_mib(); /* one workspace used so far */
    double r2 = pool_rate(&b, 2, per_thread);
    printf("| %s | %d | %.3f | %.3f | %.3f | %.2f | %.2f | %.1f | %.0f | %.0f | %.2f | %.2f | %.2f |\n",
           label, b.st.n_steps, fwd_d, fwd_f, grad, grad / fwd_d, grad / fwd_f,
           plast_metagrad_bytes(b.g[0]) / 1048576.0, all_mib, rss, r1, r2, r2 / (2 * r1));
    fflush(stdout);
    mg_free(&b);
}

int main(void)
{
    plast_linalg_init();
    printf("meta-gradients: FLP per synapse on sine (400 steps of batch 32, 320 query points), "
           "double precision, checkpointed\n\n"
           "| network | steps | double forward (s) | float episode (s) | meta-gradient (s) |"
           " ratio to double forward | ratio to float episode | workspace (MiB) |"
           " every state kept (MiB) | max RSS, 1 thread (MiB) | gradient episodes/s, 1 thread |"
           " 2 threads | parallel efficiency |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    row("11-100-1", "{\"hidden\": [100]}", 5, 8);
    row("reference 11-300x5-900-300-300-1", "{\"hidden\": [300, 300, 300, 300, 300, 900, 300, 300]}", 1, 1);
    printf("\nworkspace: the engine's count (checkpoints, replayed segment, adjoints, activations); "
           "max RSS: the whole process after the 1-thread runs (learner, stream, float episode, one workspace in use)\n"
           "targets: meta-gradient <= 4x the double forward episode; reference workspace <= 256 MiB "
           "(every state kept: ~2 GiB); parallel efficiency >= 0.9\n");
    return 0;
}
