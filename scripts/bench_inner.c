/* bench_inner.c — inner-loop speed (scripts/bench runs it; not a test).
 *
 * For FLP and SGD on the reference sine network (11-300x5-900-300-300-1, batch 32) and on
 * a small one (11-40-40-40-1, batch 1): one full episode of the sine protocol (400 updates
 * then the 320-point query evaluation), inner-loop steps per second, samples per second
 * and achieved GFLOP/s, next to the rate OpenBLAS sgemm reaches on the same shapes on this
 * machine, one thread. Prints a Markdown table; exit 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plast/config.h"
#include "plast/registry.h"
#include "plast/dataset.h"
#include "plast/episode.h"
#include "plast/linalg.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct result {
    double episode_s, steps_per_s, samples_per_s, gflops, sgemm_gflops;
} result;

/* FLOPs of one training step: forward 2 B n_in n_out per layer; the update's outer
 * product 2 B n_in n_out plus 3 per weight (FLP's P (.) (G - d W)); SGD adds the backward
 * product 2 B n_in n_out for every layer above the first. */
static double step_flops(const plast_net *net, int batch, int sgd)
{
    double f = 0.0;
    for (int l = 0; l < net->n_layers; l++) {
        double w = (double)net->layer[l].n_in * net->layer[l].n_out;
        f += 2.0 * batch * w * 2.0 + (sgd ? (l ? 2.0 * batch * w : 0.0) : 3.0 * w);
    }
    return f;
}

/* OpenBLAS sgemm on the same shapes as a step (forward and outer product), back to back. */
static double sgemm_rate(const plast_net *net, int batch)
{
    size_t maxw = 0, maxa = 0;
    for (int l = 0; l < net->n_layers; l++) {
        size_t w = (size_t)net->layer[l].n_in * net->layer[l].n_out;
        maxw = w > maxw ? w : maxw;
        size_t a = (size_t)batch * (net->layer[l].n_in > net->layer[l].n_out ? net->layer[l].n_in : net->layer[l].n_out);
        maxa = a > maxa ? a : maxa;
    }
    float *W = calloc(maxw, 4), *G = calloc(maxw, 4), *X = calloc(maxa, 4), *Y = calloc(maxa, 4);
    for (size_t i = 0; i < maxw; i++) W[i] = 0.001f * (float)(i % 97);
    for (size_t i = 0; i < maxa; i++) X[i] = 0.01f * (float)(i % 13);
    double flops = 0.0, t0 = now();
    int reps = 0;
    while (now() - t0 < 1.0 || reps < 3) {
        for (int l = 0; l < net->n_layers; l++) {
            int ni = net->layer[l].n_in, no = net->layer[l].n_out;
            plast_gemm_blas(0, 1, batch, no, ni, 1.0f, X, ni, W, ni, 0.0f, Y, no);
            plast_gemm_blas(1, 0, no, ni, batch, 1.0f, Y, no, X, ni, 0.0f, G, ni);
            flops += 4.0 * batch * ni * no;
        }
        reps++;
    }
    double rate = flops / (now() - t0) / 1e9;
    free(W), free(G), free(X), free(Y);
    return rate;
}

static result bench_task(const char *rule, const int *hidden, int n_hidden, int batch, int episodes,
                         const char *task)
{
    char json[1024];
    int used = snprintf(json, sizeof json, "{\"net\": {\"hidden\": [");
    for (int i = 0; i < n_hidden; i++) used += snprintf(json + used, sizeof json - used, "%s%d", i ? "," : "", hidden[i]);
    snprintf(json + used, sizeof json - used, "]}, \"rule\": \"%s\", \"task\": %s}", rule, task);
    plast_config cfg;
    plast_err err;
    plast_registry reg = plast_registry_builtin(0);
    if (plast_config_parse(&cfg, json, "bench", NULL, 0, &reg, &err)) {
        fprintf(stderr, "bench: %s: %s\n", err.where, err.msg);
        exit(70);
    }
    plast_task_shape sh;
    plast_learner L;
    plast_episode ep;
    plast_stream st;
    if (plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, &err) ||
        plast_episode_init(&ep, &L, &sh, &err) || plast_stream_init(&st, &sh, &err)) {
        fprintf(stderr, "bench: %s: %s\n", err.where, err.msg);
        exit(70);
    }
    void *state = cfg.task->create(cfg.task_opts, 1, &err);
    plast_rng r;
    plast_rng_seed(&r, 1, 1);
    plast_learner_draw(&L, &r);
    cfg.task->draw(state, &r, &st);
    plast_episode_run(&ep, &st); /* warm-up */
    double t0 = now();
    for (int e = 0; e < episodes; e++) plast_episode_run(&ep, &st);
    double ep_s = (now() - t0) / episodes;
    /* Steps alone (no evaluation), for the rates. */
    plast_episode_reset(&ep);
    int steps = 0;
    t0 = now();
    while (now() - t0 < 1.0 || steps < 400) {
        int t = steps % st.n_steps;
        plast_episode_step(&ep, st.x + (size_t)t * batch * sh.n_in,
                           st.y + (size_t)t * batch * sh.n_out, batch, NULL);
        if (++steps % st.n_steps == 0) plast_episode_reset(&ep);
    }
    double dt = now() - t0;
    result res;
    res.episode_s = ep_s;
    res.steps_per_s = steps / dt;
    res.samples_per_s = steps * (double)batch / dt;
    res.gflops = step_flops(&L.net, batch, cfg.rule->nonlocal) * steps / dt / 1e9;
    res.sgemm_gflops = sgemm_rate(&L.net, batch);
    cfg.task->destroy(state);
    plast_stream_free(&st);
    plast_episode_free(&ep);
    plast_learner_free(&L);
    return res;
}

static result bench(const char *rule, const int *hidden, int n_hidden, int batch, int episodes)
{
    char task[128];
    snprintf(task, sizeof task, "{\"name\": \"sine\", \"batch\": %d}", batch);
    return bench_task(rule, hidden, n_hidden, batch, episodes, task);
}

/* First (decode, write cache) and cached loads of the shared Omniglot subsets. */
static void omniglot_loads(void)
{
    const char *src[2] = {"../shared/data/omniglot/images_background_small1.zip",
                          "../shared/data/omniglot/images_background_small2.zip"};
    char dir[] = "/tmp/plast-bench-cache-XXXXXX";
    if (!mkdtemp(dir)) return;
    plast_dataset d;
    plast_err err;
    int hit;
    double t0 = now();
    if (plast_omniglot_load(&d, src, 2, 28, dir, &hit, &err)) {
        printf("\nOmniglot load: %s: %s (run from the repository root with ../shared present)\n",
               err.where, err.msg);
        return;
    }
    double t1 = now();
    int n = d.n;
    plast_dataset_free(&d);
    plast_omniglot_load(&d, src, 2, 28, dir, &hit, &err);
    double t2 = now();
    plast_dataset_free(&d);
    printf("\nOmniglot load, shared subsets (%d images, 28x28): first %.3f s (%.0f images/s), "
           "cached %.3f s (%.1fx faster)\n", n, t1 - t0, n / (t1 - t0), t2 - t1, (t1 - t0) / (t2 - t1));
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    if (system(rm)) return;
}

int main(void)
{
    plast_linalg_init();
    const int ref[8] = {300, 300, 300, 300, 300, 900, 300, 300};
    const int small[3] = {40, 40, 40};
    char blas[160];
    plast_linalg_blas_name(blas, sizeof blas);
    printf("plast inner-loop benchmark, one thread (%s)\n\n", blas);
    printf("| rule | network | batch | episode (s) | steps/s | samples/s | GFLOP/s | sgemm GFLOP/s same shapes | ratio |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    const char *rules[2] = {"flp", "sgd"};
    for (int k = 0; k < 2; k++) {
        result a = bench(rules[k], ref, 8, 32, 3);
        printf("| %s | reference 11-300x5-900-300-300-1 | 32 | %.3f | %.0f | %.0f | %.1f | %.1f | %.2f |\n",
               rules[k], a.episode_s, a.steps_per_s, a.samples_per_s, a.gflops, a.sgemm_gflops,
               a.gflops / a.sgemm_gflops);
        result b = bench(rules[k], small, 3, 1, 20);
        printf("| %s | small 11-40-40-40-1 | 1 | %.4f | %.0f | %.0f | %.2f | %.2f | %.2f |\n", rules[k],
               b.episode_s, b.steps_per_s, b.samples_per_s, b.gflops, b.sgemm_gflops,
               b.gflops / b.sgemm_gflops);
    }
    printf("\ntargets: reference FLP episode < 1.0 s; small network > 200000 steps/s\n");

    /* Classification: 28x28 inputs, two plastic layers, batch 1 (images per second). */
    const int cls_hidden[1] = {256};
    result c = bench_task("flp", cls_hidden, 1, 1, 3,
                          "{\"name\": \"gauss\", \"dim\": 784, \"n_classes\": 10, \"n_train\": 100, \"n_query\": 20}");
    printf("\nFLP classification episode (784-256-10, both layers plastic, batch 1): %.0f images/s, "
           "%.2f GFLOP/s (OpenBLAS sgemm on the same shapes: %.2f GFLOP/s)\n",
           c.samples_per_s, c.gflops, c.sgemm_gflops);
    omniglot_loads();
    return 0;
}
