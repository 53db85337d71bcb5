/* bench_metagrad.c — meta-gradient speed and memory (scripts/bench runs it; not a test).
 *
 * On the sine protocol (400 steps of 32 samples, 320 query points) with FLP per synapse,
 * for a small network and the FLP reference width (11-300x5-900-300-300-1):
 *   - one meta-gradient (forward sweep with checkpoints, backward sweep) against the forward
 *     episode alone: the double forward of the same engine (plast_metagrad_loss, the fair
 *     comparison: the same precision and kernels) and, for scale, the float episode the
 *     evolution strategies run (plast_episode_run);
 *   - the same meta-gradient with every state kept (nothing recomputed): the ratio's floor;
 *   - the workspace's peak memory with the default checkpointing and with every state kept
 *     (counted by the engine), and the process's max RSS after the checkpointed gradient
 *     episodes (learner, stream, float episode, one workspace in use);
 *   - gradient episodes per second on 1 and 2 threads of the worker pool (meta/pool.c, as
 *     the Adam campaign spreads its meta-batch) and the parallel efficiency, by the clock
 *     and by each thread's CPU time per episode (the latter is blind to other processes
 *     taking the cores, and still sees two threads sharing caches and memory bandwidth).
 * Single-thread times are the best of a few repetitions in the thread's CPU seconds (other
 * processes on the machine inflate the clock, much less the CPU time); episodes per second
 * are by the clock, 1 and 2 threads alternated a few times and the best of each kept (on a
 * shared virtual machine one measurement of each varies by ±20%). Figures are for comparing within one run.
 * Arguments "small" and/or "reference" run only those rows (default: both).
 * Prints a Markdown table; exit 0 (70 when the set-up fails). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_clock.h"
#include "plast/config.h"
#include "plast/episode.h"
#include "plast/evaluate.h"
#include "plast/linalg.h"
#include "plast/metagrad.h"
#include "plast/pool.h"
#include "plast/registry.h"


static double max_rss_mib(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0; /* kilobytes on Linux */
}

typedef struct mg_bench {
    plast_config cfg;
    plast_eval_setup S;   /* the learner and the task */
    plast_episode ep;
    plast_stream st;
    plast_metagrad *g[2]; /* one workspace per thread */
    double *grad[2];      /* [n_state + n_meta] per thread */
    double *theta;        /* the learner's values in double, for the double forward */
    double cpu[2];        /* CPU seconds spent in gradient episodes, per thread */
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
        plast_eval_setup_init(&b->S, &b->cfg, &err))
        die(&err);
    plast_learner *L = &b->S.L;
    if (plast_episode_init(&b->ep, L, &b->S.shape, &err) || plast_stream_init(&b->st, &b->S.shape, &err))
        die(&err);
    plast_rng r;
    plast_rng_seed(&r, 1, 1);
    plast_learner_draw(L, &r);
    b->cfg.task->draw(b->S.task_state, &r, &b->st);
    size_t ns = L->net.p.n_floats, n = ns + L->meta.n_floats;
    for (int t = 0; t < 2; t++) {
        if (!(b->g[t] = plast_metagrad_new(L, &b->S.shape, 0, &err))) die(&err);
        if (!(b->grad[t] = malloc(n * sizeof(double)))) exit(70);
    }
    if (!(b->theta = malloc(n * sizeof(double)))) exit(70);
    for (size_t i = 0; i < ns; i++) b->theta[i] = L->net.p.data[i];
    for (size_t i = ns; i < n; i++) b->theta[i] = L->meta.data[i - ns];
}

static void mg_free(mg_bench *b)
{
    for (int t = 0; t < 2; t++) plast_metagrad_delete(b->g[t]), free(b->grad[t]);
    free(b->theta);
    plast_stream_free(&b->st);
    plast_episode_free(&b->ep);
    plast_eval_setup_free(&b->S);
}


static void mg_item(void *ctx, int thread, int item)
{
    mg_bench *b = ctx;
    double loss, c0 = cpu_s();
    size_t ns = b->S.L.net.p.n_floats;
    (void)item;
    plast_metagrad_run(b->g[thread], &b->st, &loss, b->grad[thread], b->grad[thread] + ns);
    b->cpu[thread] += cpu_s() - c0;
}

/* The best of reps timings of one call of each, in CPU seconds of the calling thread: the
 * ratios stay meaningful on a machine other processes share. */
static double time_double_forward(mg_bench *b, int reps)
{
    double best = INFINITY;
    size_t ns = b->S.L.net.p.n_floats;
    for (int q = 0; q < reps; q++) {
        double t0 = cpu_s();
        (void)plast_metagrad_loss(b->g[0], &b->st, b->theta, b->theta + ns);
        best = fmin(best, cpu_s() - t0);
    }
    return best;
}

static double time_float_episode(mg_bench *b, int reps)
{
    double best = INFINITY;
    for (int q = 0; q < reps; q++) {
        double t0 = cpu_s();
        plast_episode_run(&b->ep, &b->st);
        best = fmin(best, cpu_s() - t0);
    }
    return best;
}

/* With workspace g in thread 0's place. */
static double time_gradient(mg_bench *b, plast_metagrad *g, int reps)
{
    double best = INFINITY;
    plast_metagrad *keep = b->g[0];
    b->g[0] = g;
    for (int q = 0; q < reps; q++) {
        double t0 = cpu_s();
        mg_item(b, 0, 0);
        best = fmin(best, cpu_s() - t0);
    }
    b->g[0] = keep;
    return best;
}

/* Gradient episodes per second with T threads, n_per_thread episodes each; *cpu: CPU
 * seconds per episode. */
static double pool_rate(mg_bench *b, int T, int n_per_thread, double *cpu)
{
    plast_pool_job pj = {.n_items = n_per_thread * T, .rank = 0, .n_ranks = 1, .run = mg_item, .ctx = b};
    b->cpu[0] = b->cpu[1] = 0.0;
    double t0 = wall_s();
    plast_pool_run(&pj, T);
    double rate = pj.n_items / (wall_s() - t0);
    *cpu = (b->cpu[0] + b->cpu[1]) / pj.n_items;
    return rate;
}

/* The machine's own ceiling: 16 independent multiply-add chains in registers (no memory, no
 * shared data, no library), one item per call. On a virtual machine whose two CPUs share a
 * physical core, or a chip that slows its clock when both cores run, two of these run at
 * less than twice the rate of one: the best any arithmetic-bound code can scale. */
typedef double v4d __attribute__((vector_size(32)));
static volatile double ceiling_sink;

static void ceiling_item(void *ctx, int thread, int item)
{
    (void)ctx, (void)thread, (void)item;
    v4d x[4] = {{1.0, 1.1, 1.2, 1.3}, {1.4, 1.5, 1.6, 1.7}, {1.8, 1.9, 2.0, 2.1}, {2.2, 2.3, 2.4, 2.5}};
    const v4d m = {0.9999999, 0.9999999, 0.9999999, 0.9999999}, a = {1e-9, 1e-9, 1e-9, 1e-9};
    for (long i = 0; i < 50000000L; i++)
        for (int k = 0; k < 4; k++) x[k] = x[k] * m + a;
    ceiling_sink = x[0][0] + x[1][1] + x[2][2] + x[3][3];
}

/* The ceiling's 2-thread efficiency, the best of trials alternated runs of each. */
static double ceiling_efficiency(int trials)
{
    double r1 = 0.0, r2 = 0.0;
    for (int t = 0; t < trials; t++)
        for (int T = 1; T <= 2; T++) {
            plast_pool_job pj = {.n_items = 2 * T, .rank = 0, .n_ranks = 1, .run = ceiling_item, .ctx = NULL};
            double t0 = wall_s();
            plast_pool_run(&pj, T);
            double r = pj.n_items / (wall_s() - t0);
            if (T == 1) r1 = fmax(r1, r);
            else r2 = fmax(r2, r);
        }
    return r2 / (2 * r1);
}

static void row(const char *label, const char *net, int reps, int per_thread, int trials)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"net\": %s, \"rule\": {\"name\": \"flp\", \"granularity\": \"synapse\", \"p_init\": 1e-4},"
             " \"task\": {\"name\": \"sine\"}}", net);
    static mg_bench b; /* large: the config's option blocks */
    mg_init(&b, json);
    mg_item(&b, 0, 0); /* warm-up */
    double fwd_d = time_double_forward(&b, reps), fwd_f = time_float_episode(&b, reps);
    double grad = time_gradient(&b, b.g[0], reps);
    double r1 = 0.0, r2 = 0.0, c1 = INFINITY, c2 = INFINITY, rss = 0.0;
    for (int t = 0; t < trials; t++) { /* alternated; the best of each (noise only slows) */
        double c, r = pool_rate(&b, 1, per_thread, &c);
        if (!t) rss = max_rss_mib(); /* one workspace in use */
        r1 = fmax(r1, r), c1 = fmin(c1, c);
        r = pool_rate(&b, 2, per_thread, &c);
        r2 = fmax(r2, r), c2 = fmin(c2, c);
    }
    plast_err err;
    plast_metagrad *all = plast_metagrad_new(&b.S.L, &b.S.shape, b.S.shape.max_steps, &err); /* every state */
    if (!all) die(&err);
    double all_mib = plast_metagrad_bytes(all) / 1048576.0, grad_all = time_gradient(&b, all, reps);
    plast_metagrad_delete(all);
    printf("| %s | %.3f | %.3f | %.3f | %.2f | %.2f | %.2f | %.1f | %.0f | %.0f | %.3f | %.3f | %.2f | %.2f |\n",
           label, fwd_d, fwd_f, grad, grad / fwd_d, grad / fwd_f, grad_all / fwd_d,
           plast_metagrad_bytes(b.g[0]) / 1048576.0, all_mib, rss, r1, r2, r2 / (2 * r1), c1 / c2);
    fflush(stdout);
    mg_free(&b);
}

/* Is row name asked for (no arguments: every row)? */
static int wanted(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], name)) return 1;
    return argc < 2;
}

int main(int argc, char **argv)
{
    plast_linalg_init();
    printf("meta-gradients: FLP per synapse on sine (400 steps of batch 32, 320 query points), "
           "double precision; one thread unless said\n\n"
           "| network | double forward (CPU s) | float episode (CPU s) | meta-gradient (CPU s) |"
           " ratio to double forward | ratio to float episode | ratio, every state kept |"
           " workspace (MiB) | every state kept (MiB) | max RSS (MiB) | gradient episodes/s, 1 thread |"
           " 2 threads | parallel efficiency, clock | by CPU time |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    if (wanted(argc, argv, "small")) row("11-100-1", "{\"hidden\": [100]}", 5, 8, 5);
    if (wanted(argc, argv, "reference"))
        row("reference 11-300x5-900-300-300-1", "{\"hidden\": [300, 300, 300, 300, 300, 900, 300, 300]}", 2, 1, 3);
    printf("\nthe machine's ceiling: 2-thread efficiency of a pure arithmetic loop (registers only): %.2f\n",
           ceiling_efficiency(3));
    printf("\nworkspace: the engine's count (stored states, adjoints, activations, its float episode), "
           "default checkpointing (as many stored states as fit 256 MiB: every state of the small network, 29 at the reference width); max RSS: the whole process "
           "after the checkpointed 1-thread runs\n"
           "targets: meta-gradient <= 4x the double forward episode; reference workspace <= 256 MiB "
           "(every state kept: ~2 GiB); parallel efficiency >= 0.9\n");
    return 0;
}
