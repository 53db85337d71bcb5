/* bench_inner.c — inner-loop speed (scripts/bench runs it; not a test).
 *
 * For FLP and SGD (and, on the reference network, Hebb, terms, DFA and FA at rates that keep
 * it finite) on the reference sine network (11-300x5-900-300-300-1, batch 32) and on a small
 * one (11-40-40-40-1, batch 1): one full episode of the sine protocol (400 updates
 * then the 320-point query evaluation), inner-loop steps per second, samples per second
 * and achieved GFLOP/s, next to the rate OpenBLAS sgemm reaches on the same shapes on this
 * machine, one thread. The small network also runs FLP, SGD, DFA and Hebb on every SIMD
 * path of plast's kernels (linalg.h), each next to the baseline x86-64 path in the same run.
 * Rates are per second of this thread's CPU time, so that other processes on a shared
 * machine do not count against it (each comparison is measured the same way).
 * Prints Markdown tables; exit 0. Arguments name the sections to run (small, reference,
 * classification, conv, omniglot; meta-gradients: scripts/bench_metagrad.c); none: all. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "plast/config.h"
#include "plast/registry.h"
#include "plast/dataset.h"
#include "plast/episode.h"
#include "plast/layer.h"
#include "plast/linalg.h"


typedef struct result {
    double episode_s, steps_per_s, samples_per_s, gflops, sgemm_gflops;
} result;

/* FLOPs of one training step, per layer with weights W [rows][cols] serving P positions:
 * forward 2 B P rows cols; the update's outer product as much again, plus 3 per weight
 * (FLP's P (.) (G - d W)); a rule whose signal travels down the layers (sgd through W, fa
 * and terms through B) adds that product for every layer above the first. */
static double step_flops(const plast_net *net, int batch, int sgd)
{
    double f = 0.0;
    int lowest = net->n_layers;
    for (int l = net->n_layers - 1; l >= 0; l--)
        if (net->layer[l].plastic) lowest = l;
    for (int l = 0; l < net->n_layers; l++) {
        const plast_kind *k = &net->layer[l].kind;
        double w = (double)k->rows * k->cols, bp = (double)batch * k->positions;
        f += 2.0 * bp * w; /* forward */
        if (net->layer[l].plastic) f += 2.0 * bp * w + (sgd ? 0.0 : 3.0 * w);
        if (sgd && l > lowest) f += 2.0 * bp * w; /* the signal sent down */
    }
    return f;
}

/* OpenBLAS sgemm on the same shapes as a step (forward, the outer products of the plastic
 * layers, sgd's backward products), back to back: a conv layer as one product over all
 * batch items and positions. */
static double sgemm_rate(const plast_net *net, int batch, int sgd)
{
    int lowest = net->n_layers;
    for (int l = net->n_layers - 1; l >= 0; l--)
        if (net->layer[l].plastic) lowest = l;
    size_t maxw = 0, maxa = 0;
    for (int l = 0; l < net->n_layers; l++) {
        const plast_kind *k = &net->layer[l].kind;
        size_t w = (size_t)k->rows * k->cols, bp = (size_t)batch * k->positions;
        maxw = w > maxw ? w : maxw;
        size_t a = bp * (size_t)(k->cols > k->rows ? k->cols : k->rows);
        maxa = a > maxa ? a : maxa;
    }
    float *W = calloc(maxw + 1, 4), *G = calloc(maxw + 1, 4), *X = calloc(maxa + 1, 4), *Y = calloc(maxa + 1, 4);
    for (size_t i = 0; i < maxw; i++) W[i] = 0.001f * (float)(i % 97);
    for (size_t i = 0; i < maxa; i++) X[i] = 0.01f * (float)(i % 13);
    double flops = 0.0, t0 = cpu_s();
    int reps = 0;
    while (cpu_s() - t0 < 0.5 || reps < 3) {
        for (int q = 0; q < 16; q++) /* the clock is read every 16 repetitions */
        for (int l = 0; l < net->n_layers; l++) {
            const plast_kind *k = &net->layer[l].kind;
            int ni = k->cols, no = k->rows, bp = batch * k->positions;
            if (!no) continue;
            plast_gemm_blas(0, 1, bp, no, ni, 1.0f, X, ni, W, ni, 0.0f, Y, no);
            flops += 2.0 * bp * ni * no;
            if (net->layer[l].plastic) {
                plast_gemm_blas(1, 0, no, ni, bp, 1.0f, Y, no, X, ni, 0.0f, G, ni);
                flops += 2.0 * bp * ni * no;
            }
            if (sgd && l > lowest) {
                plast_gemm_blas(0, 0, bp, ni, no, 1.0f, Y, no, W, ni, 0.0f, X, ni);
                flops += 2.0 * bp * ni * no;
            }
        }
        reps += 16;
    }
    double rate = flops / (cpu_s() - t0) / 1e9;
    free(W), free(G), free(X), free(Y);
    return rate;
}

/* A config's learner (drawn), an episode workspace and one drawn episode. */
typedef struct bench_setup {
    plast_config cfg;
    plast_task_shape sh;
    plast_learner L;
    plast_episode ep;
    plast_stream st;
    void *state;
} bench_setup;

static void setup_init(bench_setup *b, const char *json)
{
    plast_err err;
    plast_registry reg = plast_registry_builtin(0);
    if (plast_config_parse(&b->cfg, json, "bench", NULL, 0, &reg, &err) ||
        plast_learner_from_config(&b->L, &b->cfg, NULL, NULL, &b->sh, &err) ||
        plast_episode_init(&b->ep, &b->L, &b->sh, &err) || plast_stream_init(&b->st, &b->sh, &err) ||
        !(b->state = b->cfg.task->create(b->cfg.task_opts, 1, &err))) {
        fprintf(stderr, "bench: %s: %s\n", err.where, err.msg);
        exit(70);
    }
    plast_rng r;
    plast_rng_seed(&r, 1, 1);
    plast_learner_draw(&b->L, &r);
    b->cfg.task->draw(b->state, &r, &b->st);
}

static void setup_free(bench_setup *b)
{
    b->cfg.task->destroy(b->state);
    plast_stream_free(&b->st);
    plast_episode_free(&b->ep);
    plast_learner_free(&b->L);
}

/* One rule (a name, or a JSON object with its options) on a network (net: the config's
 * "net" object) and a task, batch and episodes. */
static result bench_net(const char *rule, const char *net, int batch, int episodes, const char *task)
{
    char json[2048];
    if (rule[0] == '{') snprintf(json, sizeof json, "{\"net\": %s, \"rule\": %s, \"task\": %s}", net, rule, task);
    else snprintf(json, sizeof json, "{\"net\": %s, \"rule\": \"%s\", \"task\": %s}", net, rule, task);
    static bench_setup b; /* large: the config's option blocks */
    setup_init(&b, json);
    const plast_task_shape *sh = &b.sh;
    plast_episode_run(&b.ep, &b.st); /* warm-up */
    double t0 = cpu_s();
    for (int e = 0; e < episodes; e++) plast_episode_run(&b.ep, &b.st);
    double ep_s = (cpu_s() - t0) / episodes;
    /* Steps alone (no evaluation), for the rates, and sgemm on the same shapes: three
     * alternations, the best of each (a shared machine only ever slows a measurement, and
     * the two sides then see the same minutes). */
    int down = b.cfg.rule->path == PLAST_PATH_CHAIN || b.cfg.rule->path == PLAST_PATH_TRANSPOSE;
    double rate = 0.0, sgemm = 0.0;
    for (int trial = 0; trial < 3; trial++) {
        plast_episode_reset(&b.ep);
        int steps = 0;
        t0 = cpu_s();
        while (cpu_s() - t0 < 0.5 || steps < 400) /* the clock is read every 64 steps */
            for (int q = 0; q < 64; q++) {
                int t = steps % b.st.n_steps;
                plast_episode_step(&b.ep, b.st.x + (size_t)t * batch * sh->n_in,
                                   b.st.y + (size_t)t * batch * sh->n_out, batch, NULL);
                if (++steps % b.st.n_steps == 0) plast_episode_reset(&b.ep);
            }
        rate = fmax(rate, steps / (cpu_s() - t0));
        sgemm = fmax(sgemm, sgemm_rate(&b.L.net, batch, down));
    }
    result res;
    res.episode_s = ep_s;
    res.steps_per_s = rate;
    res.samples_per_s = rate * batch;
    res.gflops = step_flops(&b.L.net, batch, down) * rate / 1e9;
    res.sgemm_gflops = sgemm;
    setup_free(&b);
    return res;
}

/* Seconds per call of fn(ctx), timed over at least 0.5 s. */
static double per_call(void (*fn)(void *), void *ctx)
{
    fn(ctx); /* warm-up */
    int reps = 0;
    double t0 = cpu_s();
    while (cpu_s() - t0 < 0.5 || reps < 3) fn(ctx), reps++;
    return (cpu_s() - t0) / reps;
}

typedef struct conv_case {
    plast_kind k;
    int nb;
    float *x, *W, *b, *a, *d, *g, *G, *work, *col;
} conv_case;

static void conv_fwd(void *p)
{
    conv_case *c = p;
    plast_kind_forward(&c->k, c->W, c->b, c->x, c->nb, c->a, c->work, plast_gemm);
}

static void conv_bwd(void *p)
{
    conv_case *c = p;
    plast_kind_backward(&c->k, c->W, c->x, c->d, c->nb, c->g, c->work, plast_gemm);
    plast_kind_outer(&c->k, c->d, c->x, c->nb, 0, c->k.rows, 1.0f, 0.0f, c->G, c->work);
}

/* The same products as sgemm calls alone (no im2col): forward W col, backward W^T d and
 * d col^T, per batch item. */
static void sgemm_fwd(void *p)
{
    conv_case *c = p;
    int P = c->k.positions;
    for (int i = 0; i < c->nb; i++)
        plast_gemm_blas(0, 0, c->k.rows, P, c->k.cols, 1.0f, c->W, c->k.cols, c->col, P, 1.0f, c->a, P);
}

static void sgemm_bwd(void *p)
{
    conv_case *c = p;
    int P = c->k.positions;
    for (int i = 0; i < c->nb; i++) {
        plast_gemm_blas(1, 0, c->k.cols, P, c->k.rows, 1.0f, c->W, c->k.cols, c->d, P, 0.0f, c->col, P);
        plast_gemm_blas(0, 1, c->k.rows, c->k.cols, P, 1.0f, c->d, P, c->col, P, 1.0f, c->G, c->k.cols);
    }
}

/* Conv layers of the benchmark network at batch 32: forward and backward (input VJP and
 * weight gradient) against OpenBLAS sgemm on the same im2col shapes. */
static void conv_rates(void)
{
    const int shapes[2][4] = {{1, 28, 32, 28}, {32, 14, 64, 14}}; /* in_c, in_h, out_c, in_w */
    printf("\n| conv layer (batch 32) | forward GFLOP/s | sgemm | ratio | backward GFLOP/s | sgemm | ratio |\n"
           "|---|---|---|---|---|---|---|\n");
    for (int q = 0; q < 2; q++) {
        plast_net_spec sp;
        memset(&sp, 0, sizeof sp);
        sp.n_layers = 1;
        sp.width[0] = shapes[q][2];
        sp.kind[0] = (plast_layer_spec){PLAST_LAYER_CONV, 3, 1, 1, 0};
        conv_case c;
        memset(&c, 0, sizeof c);
        plast_err err;
        if (plast_kind_make(&sp, 0, shapes[q][0], shapes[q][1], shapes[q][3], &c.k, "bench", &err)) exit(70);
        c.nb = 32;
        size_t ni = (size_t)shapes[q][0] * shapes[q][1] * shapes[q][3], no = (size_t)c.k.rows * c.k.positions;
        size_t nw = (size_t)c.k.rows * c.k.cols, ncol = (size_t)c.k.cols * c.k.positions;
        c.x = calloc(c.nb * ni, 4), c.g = calloc(c.nb * ni, 4), c.a = calloc(c.nb * no, 4);
        c.d = calloc(c.nb * no, 4), c.W = calloc(nw, 4), c.G = calloc(nw, 4), c.b = calloc(c.k.rows, 4);
        c.work = calloc(plast_kind_work_floats(&c.k), 4), c.col = calloc(ncol, 4);
        for (size_t i = 0; i < c.nb * ni; i++) c.x[i] = 0.01f * (float)(i % 101);
        for (size_t i = 0; i < c.nb * no; i++) c.d[i] = 0.01f * (float)(i % 37);
        for (size_t i = 0; i < nw; i++) c.W[i] = 0.001f * (float)(i % 97);
        double f = 2.0 * c.nb * (double)nw * c.k.positions;
        double fw = f / per_call(conv_fwd, &c) / 1e9, sf = f / per_call(sgemm_fwd, &c) / 1e9;
        double bw = 2 * f / per_call(conv_bwd, &c) / 1e9, sb = 2 * f / per_call(sgemm_bwd, &c) / 1e9;
        printf("| %dx%dx%d -> %d channels, 3x3 pad 1 | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |\n",
               shapes[q][0], shapes[q][1], shapes[q][3], c.k.rows, fw, sf, fw / sf, bw, sb, bw / sb);
        free(c.x), free(c.g), free(c.a), free(c.d), free(c.W), free(c.G), free(c.b), free(c.work), free(c.col);
    }
    printf("\ntarget: conv forward and backward >= 0.70 of sgemm on the same shapes\n");
}

static result bench_task(const char *rule, const int *hidden, int n_hidden, int batch, int episodes,
                         const char *task)
{
    char net[512];
    int used = snprintf(net, sizeof net, "{\"hidden\": [");
    for (int i = 0; i < n_hidden; i++) used += snprintf(net + used, sizeof net - used, "%s%d", i ? "," : "", hidden[i]);
    snprintf(net + used, sizeof net - used, "]}");
    return bench_net(rule, net, batch, episodes, task);
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
    double t0 = wall_s();
    if (plast_omniglot_load(&d, src, 2, 28, dir, &hit, &err)) {
        printf("\nOmniglot load: %s: %s (run from the repository root with ../shared present)\n",
               err.where, err.msg);
        return;
    }
    double t1 = wall_s();
    int n = d.n;
    plast_dataset_free(&d);
    plast_omniglot_load(&d, src, 2, 28, dir, &hit, &err);
    double t2 = wall_s();
    plast_dataset_free(&d);
    printf("\nOmniglot load, shared subsets (%d images, 28x28): first %.3f s (%.0f images/s), "
           "cached %.3f s (%.1fx faster)\n", n, t1 - t0, n / (t1 - t0), t2 - t1, (t1 - t0) / (t2 - t1));
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    if (system(rm)) return;
}

/* The small network (11-40-40-40-1, batch 1) with FLP, SGD, DFA and Hebb on every SIMD
 * path this machine supports, each next to the baseline x86-64 path measured in the same
 * run (the same kernels built for plain x86-64: the same bits), and next to sgemm. */
static void small_rates(void)
{
    const int small[3] = {40, 40, 40};
    const char *rules[4] = {"flp", "sgd", "dfa", "hebb"};
    plast_isa best = plast_isa_current();
    printf("\nsmall network 11-40-40-40-1, batch 1: steps/s by SIMD path (one thread)\n\n"
           "| rule | path | steps/s | baseline x86-64 path, same run | ratio | sgemm-rate ratio | "
           "of the 1,000,000 target |\n|---|---|---|---|---|---|---|\n");
    for (int k = 0; k < 4; k++) {
        plast_isa_select(PLAST_ISA_DEFAULT);
        result base = bench(rules[k], small, 3, 1, 20);
        for (int i = PLAST_ISA_N - 1; i >= 0; i--) {
            if (!plast_isa_supported((plast_isa)i)) continue;
            plast_isa_select((plast_isa)i);
            result r = i == PLAST_ISA_DEFAULT ? base : bench(rules[k], small, 3, 1, 20);
            printf("| %s | %s%s | %.0f | %.0f | %.2f | %.2f | %.2f |\n", rules[k],
                   plast_isa_name((plast_isa)i), i == (int)best ? " (chosen)" : "", r.steps_per_s,
                   base.steps_per_s, r.steps_per_s / base.steps_per_s, r.gflops / r.sgemm_gflops,
                   r.steps_per_s / 1e6);
        }
    }
    plast_isa_select(best);
    printf("\ntarget: >= 1,000,000 steps/s for each rule on one core\n");
}

/* Is section name asked for (no arguments: every section)? */
static int wanted(int argc, char **argv, const char *name)
{
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], name)) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* each row as it is measured */
    plast_linalg_init();
    const int ref[8] = {300, 300, 300, 300, 300, 900, 300, 300};
    const int small[3] = {40, 40, 40};
    const char *rules[2] = {"flp", "sgd"};
    char blas[160];
    plast_linalg_blas_name(blas, sizeof blas);
    printf("plast inner-loop benchmark, one thread (%s; plast kernels: %s path); rates per second "
           "of CPU time\n", blas, plast_isa_name(plast_isa_current()));
    if (wanted(argc, argv, "reference") || wanted(argc, argv, "small")) {
        printf("\n| rule | network | batch | episode (s) | steps/s | samples/s | GFLOP/s | sgemm GFLOP/s same shapes | ratio |\n");
        printf("|---|---|---|---|---|---|---|---|---|\n");
    }
    /* the reference network also with the other local rules, at rates small enough to stay
     * finite over an episode at this width (their defaults diverge there) */
    const char *more[4][2] = {{"hebb", "{\"name\": \"hebb\", \"eta_init\": 1e-8}"},
                              {"terms", "{\"name\": \"terms\", \"eta\": 1e-6}"},
                              {"dfa", "{\"name\": \"dfa\", \"lr\": 1e-5}"},
                              {"fa", "{\"name\": \"fa\", \"lr\": 1e-5}"}};
    for (int k = 0; k < 6; k++) {
        if (wanted(argc, argv, "reference")) {
            const char *label = k < 2 ? rules[k] : more[k - 2][0], *rule = k < 2 ? rules[k] : more[k - 2][1];
            result a = bench(rule, ref, 8, 32, 3);
            printf("| %s | reference 11-300x5-900-300-300-1 | 32 | %.3f | %.0f | %.0f | %.1f | %.1f | %.2f |\n",
                   label, a.episode_s, a.steps_per_s, a.samples_per_s, a.gflops, a.sgemm_gflops,
                   a.gflops / a.sgemm_gflops);
        }
        if (k >= 2) continue;
        if (wanted(argc, argv, "small")) {
            result b = bench(rules[k], small, 3, 1, 20);
            printf("| %s | small 11-40-40-40-1 | 1 | %.4f | %.0f | %.0f | %.2f | %.2f | %.2f |\n", rules[k],
                   b.episode_s, b.steps_per_s, b.samples_per_s, b.gflops, b.sgemm_gflops,
                   b.gflops / b.sgemm_gflops);
        }
    }
    if (wanted(argc, argv, "reference"))
        printf("\ntarget: reference FLP (and Hebb, terms, DFA, FA) episode >= 0.85 of the sgemm rate on the same shapes\n");
    if (wanted(argc, argv, "small")) small_rates();

    if (wanted(argc, argv, "classification")) {
        /* Classification: 28x28 inputs, two plastic layers, batch 1 (images per second). */
        const int cls_hidden[1] = {256};
        result c = bench_task("flp", cls_hidden, 1, 1, 3,
                              "{\"name\": \"gauss\", \"dim\": 784, \"n_classes\": 10, \"n_train\": 100, \"n_query\": 20}");
        printf("\nFLP classification episode (784-256-10, both layers plastic, batch 1): %.0f images/s, "
               "%.2f GFLOP/s; OpenBLAS sgemm on the same shapes: %.2f GFLOP/s; ratio %.2f "
               "(target >= 0.80)\n", c.samples_per_s, c.gflops, c.sgemm_gflops, c.gflops / c.sgemm_gflops);
    }

    if (wanted(argc, argv, "conv")) {
        /* Convolutional: 28x28 images, conv 32 - pool - conv 64 - pool - dense 128 - 10,
         * batch 32; FLP on the two dense layers (the conv layers frozen), sgd end to end. */
        conv_rates();
        const char *conv_net =
            "{\"layers\": [{\"type\": \"conv\", \"channels\": 32, \"pad\": 1, \"frozen\": %s},"
            " {\"type\": \"pool\"}, {\"type\": \"conv\", \"channels\": 64, \"pad\": 1, \"frozen\": %s},"
            " {\"type\": \"pool\"}, {\"type\": \"dense\", \"width\": 128}]}";
        const char *conv_task = "{\"name\": \"gauss\", \"dim\": 784, \"side\": 28, \"n_classes\": 10,"
                                " \"n_train\": 64, \"n_query\": 8, \"batch\": 32}";
        printf("\n| rule | conv network (batch 32) | images/s | GFLOP/s | sgemm GFLOP/s same shapes | ratio |\n"
               "|---|---|---|---|---|---|\n");
        for (int k = 0; k < 2; k++) {
            char net[512];
            snprintf(net, sizeof net, conv_net, k ? "false" : "true", k ? "false" : "true");
            result r = bench_net(rules[k], net, 32, 2, conv_task);
            printf("| %s | %s | %.0f | %.2f | %.2f | %.2f |\n", rules[k],
                   k ? "all layers learn (sgd end to end)" : "conv frozen, FLP on the dense layers",
                   r.samples_per_s, r.gflops, r.sgemm_gflops, r.gflops / r.sgemm_gflops);
        }
    }

    if (wanted(argc, argv, "omniglot")) omniglot_loads();
    return 0;
}
