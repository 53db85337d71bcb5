/* probe.c — linear-probe evaluation and the probe suite (see include/plast/probe.h). */
#include "plast/probe.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plast/config.h"
#include "plast/episode.h"
#include "plast/layer.h"
#include "plast/learner.h"
#include "plast/linalg.h"
#include "plast/plot.h"
#include "plast/registry.h"
#include "plast/run.h"
#include "plast/run_record.h"
#include "plast/ssl.h"

static const char *const split_names[] = {"test", "validation", NULL};

static const plast_opt probe_table[] = {
    {"layers", PLAST_OPT_INTS, offsetof(plast_probe_opts, layers), 0, -1, 1000, NULL, "",
     "layers to probe (empty: every weighted layer)"},
    {"n_train", PLAST_OPT_INT, offsetof(plast_probe_opts, n_train), 10000, 0, 10000000, NULL, NULL,
     "labelled training images for the probe (0: all)"},
    {"n_test", PLAST_OPT_INT, offsetof(plast_probe_opts, n_test), 0, 0, 10000000, NULL, NULL,
     "test images (0: all)"},
    {"epochs", PLAST_OPT_INT, offsetof(plast_probe_opts, epochs), 30, 1, 10000, NULL, NULL,
     "probe training epochs"},
    {"lr", PLAST_OPT_FLOAT, offsetof(plast_probe_opts, lr), 0.05, 1e-6, 100, NULL, NULL,
     "probe learning rate (SGD, momentum 0.9, batch 128)"},
    {"l2", PLAST_OPT_FLOAT, offsetof(plast_probe_opts, l2), 1e-4, 0, 10, NULL, NULL,
     "probe L2 penalty"},
    {"split", PLAST_OPT_ENUM, offsetof(plast_probe_opts, split), 0, 0, 0, split_names, NULL,
     "test: fit on the training split, score on the test split; validation: fit on a part of "
     "the training split, score on a held-out part of it (include/plast/ssl.h)"},
};
const plast_opt_table plast_probe_opts_table = {probe_table, sizeof probe_table / sizeof probe_table[0],
                                                sizeof(plast_probe_opts)};

/* F [n][dim] = layer l's pooled features of the first n images of d (patch-averaged when the
 * network's input is a glimpse). */
static void features(const plast_net *net, plast_acts *acts, const plast_dataset *d, int n, int l,
                     float *F, float *buf)
{
    int H = d->h, W = d->w, px = H * W, ni = net->n_in;
    const plast_layer *ly = &net->layer[l];
    int nf = ly->kind.rows, P = ly->kind.positions, no = ly->n_out;
    int p = ni == px ? H : (int)lround(sqrt((double)ni)), stride = p / 2 > 0 ? p / 2 : 1;
    int gh = ni == px ? 1 : (H - p) / stride + 1, gw = ni == px ? 1 : (W - p) / stride + 1;
    int per = gh * gw, imgs = acts->batch_max / per;
    for (int i0 = 0; i0 < n; i0 += imgs) {
        int m = n - i0 < imgs ? n - i0 : imgs;
        for (int i = 0; i < m; i++) {
            const float *im = d->x + (size_t)(i0 + i) * px;
            for (int gy = 0; gy < gh; gy++)
                for (int gx = 0; gx < gw; gx++) {
                    float *x = buf + ((size_t)i * per + gy * gw + gx) * ni;
                    for (int r = 0; r < p; r++)
                        memcpy(x + (size_t)r * p, im + (size_t)(gy * stride + r) * W + gx * stride,
                               (size_t)p * sizeof(float));
                }
        }
        plast_net_forward(net, acts, buf, m * per);
        const float *h = acts->h[l];
        for (int i = 0; i < m; i++) {
            float *f = F + (size_t)(i0 + i) * nf;
            for (int c = 0; c < nf; c++) {
                double s = 0.0;
                for (int q = 0; q < per; q++)
                    for (int k = 0; k < P; k++) s += h[((size_t)i * per + q) * no + (size_t)c * P + k];
                f[c] = (float)(s / ((double)per * P));
            }
        }
    }
}

/* Softmax regression on standardised features; returns the test accuracy. */
static float fit(const float *Ftr, const int *ytr, int ntr, const float *Fte, const int *yte,
                 int nte, int D, int C, const plast_probe_opts *o, uint64_t seed, float *work)
{
    float *mu = work, *sd = mu + D, *Wt = sd + D, *V = Wt + (size_t)C * D, *G = V + (size_t)C * D;
    float *Z = G + (size_t)C * D, *X = Z + 128 * (size_t)C;
    int *perm = (int *)(X + 128 * (size_t)D);
    for (int j = 0; j < D; j++) {
        double s = 0.0, s2 = 0.0;
        for (int i = 0; i < ntr; i++) s += Ftr[(size_t)i * D + j];
        s /= ntr;
        for (int i = 0; i < ntr; i++) s2 += (Ftr[(size_t)i * D + j] - s) * (Ftr[(size_t)i * D + j] - s);
        mu[j] = (float)s;
        sd[j] = (float)sqrt(s2 / ntr + 1e-8);
    }
    memset(Wt, 0, (size_t)C * D * sizeof(float));
    memset(V, 0, (size_t)C * D * sizeof(float));
    float b[1024] = {0}, vb[1024] = {0};
    plast_rng r;
    plast_rng_seed(&r, seed, 0x9b0be);
    for (int i = 0; i < ntr; i++) perm[i] = i;
    for (int ep = 0; ep < o->epochs; ep++) {
        plast_rng_shuffle(&r, perm, ntr);
        for (int s = 0; s < ntr; s += 128) {
            int m = ntr - s < 128 ? ntr - s : 128;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < D; j++)
                    X[(size_t)i * D + j] = (Ftr[(size_t)perm[s + i] * D + j] - mu[j]) / sd[j];
            plast_gemm(0, 1, m, C, D, 1.0f, X, D, Wt, D, 0.0f, Z, C);
            float gb[1024] = {0};
            for (int i = 0; i < m; i++) {
                float *z = Z + (size_t)i * C, mx = z[0];
                for (int c = 1; c < C; c++) mx = z[c] + b[c] > mx ? z[c] + b[c] : mx;
                double sum = 0.0;
                for (int c = 0; c < C; c++) sum += exp((double)(z[c] + b[c] - mx));
                for (int c = 0; c < C; c++) {
                    float pr = (float)(exp((double)(z[c] + b[c] - mx)) / sum);
                    z[c] = (pr - (c == ytr[perm[s + i]] ? 1.0f : 0.0f)) / (float)m;
                    gb[c] += z[c];
                }
            }
            plast_gemm(1, 0, C, D, m, 1.0f, Z, C, X, D, 0.0f, G, D);
            for (size_t k = 0; k < (size_t)C * D; k++) {
                V[k] = 0.9f * V[k] - o->lr * (G[k] + o->l2 * Wt[k]);
                Wt[k] += V[k];
            }
            for (int c = 0; c < C; c++) vb[c] = 0.9f * vb[c] - o->lr * gb[c], b[c] += vb[c];
        }
    }
    int right = 0;
    for (int i = 0; i < nte; i++) {
        for (int j = 0; j < D; j++) X[j] = (Fte[(size_t)i * D + j] - mu[j]) / sd[j];
        int best = 0;
        float bv = -INFINITY;
        for (int c = 0; c < C; c++) {
            float z = b[c];
            for (int j = 0; j < D; j++) z += Wt[(size_t)c * D + j] * X[j];
            if (z > bv) bv = z, best = c;
        }
        right += best == yte[i];
    }
    return (float)right / (float)nte;
}

/* The layers to probe: o->layers, each checked, or every weighted layer. */
static int probe_layers(const plast_net *net, const plast_probe_opts *o, int *layer_of, int *n_probed,
                        plast_err *err)
{
    int k = 0;
    if (o->layers.n) {
        for (int i = 0; i < o->layers.n; i++) {
            int l = o->layers.v[i];
            char key[48];
            snprintf(key, sizeof key, "probe.layers[%d]", i);
            if (l < 0 || l >= net->n_layers)
                return plast_err_set(err, PLAST_E_CONFIG, key,
                                     "layer %d does not exist (the network has layers 0..%d)", l,
                                     net->n_layers - 1);
            if (!net->layer[l].kind.rows)
                return plast_err_set(err, PLAST_E_CONFIG, key,
                                     "layer %d has no weights (pool or flatten): probe the layer "
                                     "before it", l);
            layer_of[k++] = l;
        }
    } else {
        for (int l = 0; l < net->n_layers && k < PLAST_PROBE_MAX_LAYERS; l++)
            if (net->layer[l].kind.rows) layer_of[k++] = l;
    }
    *n_probed = k;
    return PLAST_OK;
}

int plast_probe_encoder(const plast_net *net, const plast_dataset *train, const plast_dataset *test,
                        const plast_probe_opts *o, uint64_t seed, float *acc, int *layer_of,
                        int *n_probed, plast_err *err)
{
    int rc_layers = probe_layers(net, o, layer_of, n_probed, err);
    if (rc_layers) return rc_layers;
    int k = *n_probed;
    if (train->h * train->w < net->n_in || train->c != 1)
        return plast_err_set(err, PLAST_E_CONFIG, "probe",
                             "the network's %d inputs do not fit the %d x %d x %d images", net->n_in,
                             train->c, train->h, train->w);
    int ntr = o->n_train && o->n_train < train->n ? o->n_train : train->n;
    int nte = o->n_test && o->n_test < test->n ? o->n_test : test->n;
    int C = train->n_classes > test->n_classes ? train->n_classes : test->n_classes, D = 0;
    if (C > 1024) return plast_err_set(err, PLAST_E_CONFIG, "probe", "more than 1024 classes");
    for (int i = 0; i < k; i++) D = net->layer[layer_of[i]].kind.rows > D ? net->layer[layer_of[i]].kind.rows : D;
    plast_acts acts;
    int rc = plast_acts_init(&acts, net, PLAST_MAX_BATCH, err);
    if (rc) return rc;
    size_t nw = 2 * (size_t)D + 3 * (size_t)C * D + 128 * ((size_t)C + D) + (size_t)ntr;
    float *Ftr = malloc(((size_t)ntr + nte) * D * sizeof(float));
    float *buf = malloc((size_t)PLAST_MAX_BATCH * net->n_in * sizeof(float));
    float *work = malloc(nw * sizeof(float) + 64);
    if (!Ftr || !buf || !work) {
        free(Ftr), free(buf), free(work), plast_acts_free(&acts);
        return plast_err_set(err, PLAST_E_INTERNAL, "probe", "out of memory");
    }
    float *Fte = Ftr + (size_t)ntr * D;
    /* stratify nothing: the splits' first images (Fashion-MNIST's are shuffled; Omniglot's
     * are in class order and then all are used) */
    for (int i = 0; i < k; i++) {
        int l = layer_of[i], nf = net->layer[l].kind.rows;
        features(net, &acts, train, ntr, l, Ftr, buf);
        features(net, &acts, test, nte, l, Ftr + (size_t)ntr * nf, buf);
        acc[i] = fit(Ftr, train->label, ntr, Ftr + (size_t)ntr * nf, test->label, nte, nf, C, o,
                     seed + (uint64_t)l, work);
    }
    (void)Fte;
    free(Ftr), free(buf), free(work);
    plast_acts_free(&acts);
    return PLAST_OK;
}

/* ---------------------------------------------------------------- suites */

#define MAX_METHODS 16
#define MAX_SEEDS 32

typedef struct method {
    char name[64];
    const char *sets[32];
    int n_sets, train;
} method;

/* t_{0.975, df} for df = 1..30 (beyond: 1.96). */
static double t975(int df)
{
    static const double t[30] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
                                 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
                                 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
                                 2.048, 2.045, 2.042};
    return df < 1 ? NAN : df <= 30 ? t[df - 1] : 1.96;
}

static int read_probe_opts(const plast_json *j, plast_probe_opts *o, plast_err *err)
{
    plast_opts_defaults(&plast_probe_opts_table, o);
    if (!j) return PLAST_OK;
    if (!plast_json_is_object(j)) return plast_err_set(err, PLAST_E_CONFIG, "probe", "not an object");
    for (const plast_json *m = plast_json_first(j); m; m = plast_json_next(m)) {
        const char *k = plast_json_key(m);
        char key[64];
        snprintf(key, sizeof key, "probe.%s", k);
        double v;
        if (!strcmp(k, "layers")) {
            if (!plast_json_is_array(m) || plast_json_size(m) > PLAST_OPT_MAXINTS)
                return plast_err_set(err, PLAST_E_CONFIG, key, "a list of layer indices");
            o->layers.n = 0;
            for (const plast_json *e = plast_json_first(m); e; e = plast_json_next(e)) {
                if (!plast_json_number(e, &v) || v != floor(v) || fabs(v) > 1e6)
                    return plast_err_set(err, PLAST_E_CONFIG, key, "a list of layer indices");
                o->layers.v[o->layers.n++] = (int)v;
            }
            continue;
        }
        const plast_opt *opt = NULL;
        for (int i = 0; i < plast_probe_opts_table.n; i++)
            if (!strcmp(probe_table[i].key, k)) opt = &probe_table[i];
        if (!opt) return plast_err_set(err, PLAST_E_CONFIG, key, "unknown key");
        if (opt->type == PLAST_OPT_ENUM) {
            const char *str = plast_json_string(m);
            int found = -1;
            for (int i = 0; str && opt->choices[i]; i++)
                if (!strcmp(opt->choices[i], str)) found = i;
            if (found < 0) return plast_err_set(err, PLAST_E_CONFIG, key, "\"test\" or \"validation\"");
            *(int *)((char *)o + opt->offset) = found;
            continue;
        }
        if (!plast_json_number(m, &v) || v < opt->lo || v > opt->hi ||
            (opt->type == PLAST_OPT_INT && v != floor(v)))
            return plast_err_set(err, PLAST_E_CONFIG, key, "a number in %g..%g", opt->lo, opt->hi);
        if (opt->type == PLAST_OPT_INT) *(int *)((char *)o + opt->offset) = (int)v;
        else *(float *)((char *)o + opt->offset) = (float)v;
    }
    return PLAST_OK;
}

/* The image source of a config's task, read through its option table (the SSL tasks
 * declare source, dir, classes and side with PLAST_SSL_SRC_OPTS). */
int plast_probe_source(const plast_config *c, plast_ssl_src *s, plast_err *err)
{
    const plast_opt_table *t = &c->task->opts;
    int found = 0;
    memset(s, 0, sizeof *s);
    for (int i = 0; i < t->n; i++) {
        const char *p = (const char *)c->task_opts + t->opt[i].offset;
        if (!strcmp(t->opt[i].key, "source")) s->source = *(const int *)p, found++;
        else if (!strcmp(t->opt[i].key, "dir")) snprintf(s->dir, sizeof s->dir, "%s", p), found++;
        else if (!strcmp(t->opt[i].key, "classes")) s->classes = *(const int *)p, found++;
        else if (!strcmp(t->opt[i].key, "side")) s->side = *(const int *)p, found++;
    }
    if (found != 4)
        return plast_err_set(err, PLAST_E_CONFIG, "base.task.name",
                             "task '%s' has no image source to probe with (saccade and views do)",
                             c->task->name);
    return PLAST_OK;
}

/* The tensors of the config's params file (run.params: a campaign's best.json) over the
 * drawn ones. */
static int load_params(const plast_config *cfg, plast_learner *L, plast_err *err)
{
    plast_pset *secs[2] = {&L->net.p, &L->meta};
    const char *names[2] = {"net", "meta"};
    return plast_params_read(cfg->run.params, cfg->rule->name, secs, names, 2, NULL,
                             &cfg->run.params_layers, err);
}

/* Trains (unless !train) and probes one encoder. */
static int one_run(const plast_config *cfg, int train, int chunks, int seed, const plast_dataset *tr,
                   const plast_dataset *te, const plast_probe_opts *po, float *acc, int *layer_of,
                   int *n_probed, plast_err *err)
{
    plast_learner L;
    plast_task_shape sh;
    int rc = plast_learner_from_config(&L, cfg, NULL, NULL, &sh, err);
    if (rc) return rc;
    plast_rng r;
    plast_rng_seed(&r, (uint64_t)seed, 1);
    plast_learner_draw(&L, &r);
    if (cfg->run.params[0] && (rc = load_params(cfg, &L, err))) {
        plast_learner_free(&L);
        return rc;
    }
    plast_episode ep;
    plast_stream st;
    void *state = NULL;
    memset(&ep, 0, sizeof ep), memset(&st, 0, sizeof st);
    const plast_net *net = &L.net;
    if (train) {
        rc = plast_episode_init(&ep, &L, &sh, err);
        if (!rc) rc = plast_stream_init(&st, &sh, err);
        if (!rc && !(state = cfg->task->create(cfg->task_opts, (uint64_t)seed, err))) rc = err->code;
        if (!rc) {
            plast_episode_reset(&ep);
            plast_rng_seed(&r, (uint64_t)seed, 2);
            for (int c = 0; c < chunks; c++) {
                cfg->task->draw(state, &r, &st);
                for (int t = 0; t < st.n_steps; t++)
                    plast_episode_step(&ep, st.x + (size_t)t * sh.batch * sh.n_in,
                                       st.y + (size_t)t * sh.batch * sh.n_out, sh.batch,
                                       st.bcast + (size_t)t * sh.n_bcast);
            }
            net = &ep.work;
            for (size_t i = 0; i < net->p.n_floats; i++)
                if (!isfinite(net->p.data[i])) {
                    rc = plast_err_set(err, PLAST_E_DATA, "", "the encoder diverged (non-finite weights)");
                    break;
                }
        }
    }
    if (!rc) rc = plast_probe_encoder(net, tr, te, po, (uint64_t)seed, acc, layer_of, n_probed, err);
    if (state) cfg->task->destroy(state);
    plast_stream_free(&st);
    if (train) plast_episode_free(&ep);
    plast_learner_free(&L);
    return rc;
}

typedef struct suite_out {
    const char *name, *provenance;
    int n_methods, n_seeds, n_probed, diverged[MAX_METHODS];
    const method *m;
    const int *layer_of;
    float (*acc)[MAX_SEEDS][PLAST_PROBE_MAX_LAYERS];
    char (*arch)[256];
} suite_out;

static void stats(const suite_out *s, int mi, int li, double *mean, double *lo, double *hi, int *n)
{
    double sum = 0.0, s2 = 0.0;
    int k = 0;
    for (int j = 0; j < s->n_seeds; j++)
        if (isfinite(s->acc[mi][j][li])) sum += s->acc[mi][j][li], k++;
    *mean = k ? sum / k : NAN;
    for (int j = 0; j < s->n_seeds; j++)
        if (isfinite(s->acc[mi][j][li])) s2 += (s->acc[mi][j][li] - *mean) * (s->acc[mi][j][li] - *mean);
    double half = k > 1 ? t975(k - 1) * sqrt(s2 / (k - 1)) / sqrt((double)k) : NAN;
    *lo = *mean - half, *hi = *mean + half, *n = k;
}

static int write_json(FILE *f, const void *ctx)
{
    const suite_out *s = ctx;
    fprintf(f, "{\n  \"suite\": ");
    plast_json_write_string(f, s->name);
    fprintf(f, ",\n  \"made_by\": ");
    plast_json_write_string(f, s->provenance);
    fprintf(f, ",\n  \"ci\": \"95%% Student-t over seeds\",\n  \"layers\": [");
    for (int i = 0; i < s->n_probed; i++) fprintf(f, "%s%d", i ? ", " : "", s->layer_of[i]);
    fprintf(f, "],\n  \"methods\": [\n");
    for (int mi = 0; mi < s->n_methods; mi++) {
        fprintf(f, "    {\"name\": ");
        plast_json_write_string(f, s->m[mi].name);
        fprintf(f, ", \"trained\": %s, \"diverged\": %d, \"per_layer\": [", s->m[mi].train ? "true" : "false",
                s->diverged[mi]);
        for (int li = 0; li < s->n_probed; li++) {
            double mean, lo, hi;
            int n;
            stats(s, mi, li, &mean, &lo, &hi, &n);
            fprintf(f, "%s{\"layer\": %d, \"n\": %d, \"mean\": ", li ? ", " : "", s->layer_of[li], n);
            plast_json_write_number(f, mean);
            fprintf(f, ", \"ci\": [");
            plast_json_write_number(f, lo);
            fprintf(f, ", ");
            plast_json_write_number(f, hi);
            fprintf(f, "], \"seeds\": [");
            for (int j = 0; j < s->n_seeds; j++) {
                if (j) fprintf(f, ", ");
                plast_json_write_number(f, s->acc[mi][j][li]);
            }
            fprintf(f, "]}");
        }
        fprintf(f, "]}%s\n", mi + 1 < s->n_methods ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int write_csv(FILE *f, const void *ctx)
{
    const suite_out *s = ctx;
    fprintf(f, "method,layer,n,mean,ci_lo,ci_hi\n");
    for (int mi = 0; mi < s->n_methods; mi++)
        for (int li = 0; li < s->n_probed; li++) {
            double mean, lo, hi;
            int n;
            stats(s, mi, li, &mean, &lo, &hi, &n);
            fprintf(f, "\"%s\",%d,%d,%.4f,%.4f,%.4f\n", s->m[mi].name, s->layer_of[li], n, mean, lo, hi);
        }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static size_t table_md(const suite_out *s, char *out, size_t n)
{
    size_t k = 0;
#define PUT(...) k += (size_t)snprintf(out + k, k < n ? n - k : 0, __VA_ARGS__)
    PUT("Linear-probe test accuracy, %s: mean over %d seeds [95%% CI]\n\n| method |", s->name, s->n_seeds);
    for (int li = 0; li < s->n_probed; li++) PUT(" layer %d |", s->layer_of[li]);
    PUT("\n|---|");
    for (int li = 0; li < s->n_probed; li++) PUT("---|");
    PUT("\n");
    for (int mi = 0; mi < s->n_methods; mi++) {
        PUT("| %s%s |", s->m[mi].name, s->diverged[mi] ? " (diverged runs)" : "");
        for (int li = 0; li < s->n_probed; li++) {
            double mean, lo, hi;
            int c;
            stats(s, mi, li, &mean, &lo, &hi, &c);
            PUT(" %.3f [%.3f, %.3f] |", mean, lo, hi);
        }
        PUT("\n");
    }
    PUT("\n%s\n", s->provenance);
#undef PUT
    return k;
}

static int write_md(FILE *f, const void *ctx)
{
    static char buf[1 << 15];
    table_md(ctx, buf, sizeof buf);
    fputs(buf, f);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* ---------------------------------------------------------------- resumable cells */

/* cells.csv: every finished (method, seed) cell, rewritten after each one, so that
 * --resume skips them. The first line ties it to the suite (a hash of the suite text and the
 * command's --set overrides): a changed suite is not resumed. */
typedef struct cells {
    uint64_t hash;
    const suite_out *s;
    const unsigned char (*done)[MAX_SEEDS];
} cells;

static int write_cells(FILE *f, const void *ctx)
{
    const cells *c = ctx;
    const suite_out *s = c->s;
    fprintf(f, "# plast probe cells, suite %016llx\nmethod,seed,diverged", (unsigned long long)c->hash);
    for (int li = 0; li < s->n_probed; li++) fprintf(f, ",layer_%d", s->layer_of[li]);
    fputc('\n', f);
    for (int mi = 0; mi < s->n_methods; mi++)
        for (int j = 0; j < s->n_seeds; j++) {
            if (!c->done[mi][j]) continue;
            fprintf(f, "%d,%d,%d", mi, j + 1, isfinite(s->acc[mi][j][0]) ? 0 : 1);
            for (int li = 0; li < s->n_probed; li++) fprintf(f, ",%.9g", s->acc[mi][j][li]);
            fputc('\n', f);
        }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* Reads the cells of an earlier session of the same suite into acc/done/diverged. A missing
 * file is no cell; another suite's file is PLAST_E_CONFIG (start again with --force). */
static int read_cells(const char *path, uint64_t hash, suite_out *s, unsigned char (*done)[MAX_SEEDS],
                      plast_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return PLAST_OK;
    char line[4096];
    int rc = PLAST_OK, ln = 1;
    char want[80];
    snprintf(want, sizeof want, "# plast probe cells, suite %016llx\n", (unsigned long long)hash);
    if (!fgets(line, sizeof line, f) || strcmp(line, want))
        rc = plast_err_set(err, PLAST_E_CONFIG, path,
                           "these cells belong to another suite (or other --set overrides): "
                           "--force starts again");
    else if (!fgets(line, sizeof line, f))
        rc = plast_err_set(err, PLAST_E_DATA, path, "no header line");
    while (!rc && fgets(line, sizeof line, f)) {
        ln++;
        char *p = line, *end;
        long v[3];
        for (int k = 0; k < 3 && !rc; k++) {
            errno = 0;
            v[k] = strtol(p, &end, 10);
            if (end == p || *end != ',' || errno) rc = plast_err_set(err, PLAST_E_DATA, path, "line %d: not a cell", ln + 1);
            p = end + 1;
        }
        if (rc) break;
        int mi = (int)v[0], j = (int)v[1] - 1;
        if (mi < 0 || mi >= s->n_methods || j < 0 || j >= s->n_seeds) {
            rc = plast_err_set(err, PLAST_E_DATA, path, "line %d: no such method or seed", ln + 1);
            break;
        }
        for (int li = 0; li < s->n_probed && !rc; li++) {
            errno = 0;
            double a = strtod(p, &end);
            if (end == p || (*end != ',' && *end != '\n') || errno)
                rc = plast_err_set(err, PLAST_E_DATA, path, "line %d: not a cell", ln + 1);
            s->acc[mi][j][li] = (float)a;
            p = end + 1;
        }
        if (rc) break;
        done[mi][j] = 1;
        s->diverged[mi] += v[2] != 0;
    }
    fclose(f);
    return rc;
}

/* ---------------------------------------------------------------- the plot */

/* probe.csv: per method its mean and CI per layer, each method at x = layer + a small offset
 * so that the CI bars do not hide each other; 'nan' elsewhere. */
static int write_plot_csv(FILE *f, const void *ctx)
{
    const suite_out *s = ctx;
    fprintf(f, "layer");
    for (int mi = 0; mi < s->n_methods; mi++) fprintf(f, ",mean_%d,lo_%d,hi_%d", mi, mi, mi);
    fputc('\n', f);
    for (int mi = 0; mi < s->n_methods; mi++)
        for (int li = 0; li < s->n_probed; li++) {
            double mean, lo, hi;
            int n;
            stats(s, mi, li, &mean, &lo, &hi, &n);
            if (n == 1) lo = hi = mean; /* one seed: no interval */
            fprintf(f, "%.4f", s->layer_of[li] + 0.5 * (mi - 0.5 * (s->n_methods - 1)) / s->n_methods);
            for (int k = 0; k < s->n_methods; k++)
                if (k == mi && n > 0) fprintf(f, ",%.5f,%.5f,%.5f", mean, lo, hi);
                else fprintf(f, ",nan,nan,nan");
            fputc('\n', f);
        }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int save_plot(const suite_out *s, const char *dir, plast_err *err)
{
    char p[4200], title[256];
    int rc = plast_path_join(p, sizeof p, dir, "probe.csv", err);
    if (!rc) rc = plast_write_atomic(p, write_plot_csv, s, err);
    plast_plot_series ser[MAX_METHODS];
    for (int mi = 0; mi < s->n_methods; mi++)
        ser[mi] = (plast_plot_series){PLAST_PLOT_ERRORBARS, 2 + 3 * mi, 3 + 3 * mi, 4 + 3 * mi,
                                      plast_plot_colour(mi), s->m[mi].name, 0, plast_plot_dash(mi)};
    snprintf(title, sizeof title, "%s: linear-probe accuracy per layer (mean, 95%% CI over %d seeds)",
             s->name, s->n_seeds);
    plast_plot_lines pl = {
        .name = "probe", .data = "probe.csv",
        .about = "Linear-probe test accuracy of each layer's features, per method: mean over seeds "
                 "with a 95% Student-t interval (methods side by side around each layer).",
        .title = title, .xlabel = "layer", .ylabel = "linear-probe accuracy", .width = 900,
        .height = 560, .key = PLAST_PLOT_KEY_BELOW, .integer_x = 1, .series = ser,
        .n_series = s->n_methods,
        .x_min = s->n_probed ? s->layer_of[0] - 0.5 : 0.0,
        .x_max = s->n_probed ? s->layer_of[s->n_probed - 1] + 0.5 : 1.0};
    if (!rc) rc = plast_plot_save_lines(dir, &pl, err);
    int rendered;
    if (!rc) rc = plast_plot_render(dir, "probe", &rendered, err);
    return rc;
}

/* ---------------------------------------------------------------- the suite */

int plast_probe_suite(const plast_probe_args *a, plast_probe_note note, void *ctx, char *table,
                      size_t n, plast_err *err)
{
    const char *path = a->path, *dir = a->dir;
    const char *const *sets = a->sets;
    int n_sets = a->n_sets;
    plast_json *root = NULL;
    int rc = plast_json_load(path, &root, err);
    if (rc) return rc;
    static method m[MAX_METHODS];
    static float acc[MAX_METHODS][MAX_SEEDS][PLAST_PROBE_MAX_LAYERS];
    static unsigned char done[MAX_METHODS][MAX_SEEDS];
    int layer_of[PLAST_PROBE_MAX_LAYERS], n_probed = 0, n_methods = 0;
    double v;
    const plast_json *base = plast_json_get(root, "base"), *ms = plast_json_get(root, "methods");
    const char *name = plast_json_string(plast_json_get(root, "name"));
    int seeds = 5, chunks = 1;
    plast_probe_opts po;
    char *text = NULL, *all = NULL;
    static plast_config cfg;
    plast_dataset tr, te;
    memset(&tr, 0, sizeof tr), memset(&te, 0, sizeof te);
    memset(done, 0, sizeof done);
    if (!plast_json_is_object(root) || !name)
        rc = plast_err_set(err, PLAST_E_CONFIG, "name", "a probe suite is an object with a name");
    else if (!plast_json_is_object(base))
        rc = plast_err_set(err, PLAST_E_CONFIG, "base", "the base config (an object) is missing");
    else if (!plast_json_is_array(ms) || plast_json_size(ms) < 1 || plast_json_size(ms) > MAX_METHODS)
        rc = plast_err_set(err, PLAST_E_CONFIG, "methods", "a list of 1..%d methods", MAX_METHODS);
    if (!rc && plast_json_get(root, "seeds")) {
        if (!plast_json_number(plast_json_get(root, "seeds"), &v) || v < 1 || v > MAX_SEEDS || v != floor(v))
            rc = plast_err_set(err, PLAST_E_CONFIG, "seeds", "an integer in 1..%d", MAX_SEEDS);
        else seeds = (int)v;
    }
    if (!rc && plast_json_get(root, "chunks")) {
        if (!plast_json_number(plast_json_get(root, "chunks"), &v) || v < 1 || v > 100000 || v != floor(v))
            rc = plast_err_set(err, PLAST_E_CONFIG, "chunks", "an integer in 1..100000");
        else chunks = (int)v;
    }
    if (!rc) rc = read_probe_opts(plast_json_get(root, "probe"), &po, err);
    int mi = 0;
    for (const plast_json *e = rc ? NULL : plast_json_first(ms); e; e = plast_json_next(e), mi++) {
        method *q = &m[mi];
        memset(q, 0, sizeof *q);
        char key[48];
        snprintf(key, sizeof key, "methods[%d]", mi);
        const char *nm = plast_json_string(plast_json_get(e, "name"));
        const plast_json *st = plast_json_get(e, "set"), *trn = plast_json_get(e, "train");
        if (!nm || (st && (!plast_json_is_array(st) || plast_json_size(st) > 32))) {
            rc = plast_err_set(err, PLAST_E_CONFIG, key, "a method is {\"name\": ..., \"set\": [\"key=value\", ...]}");
            break;
        }
        snprintf(q->name, sizeof q->name, "%s", nm);
        q->train = !(trn && plast_json_number(trn, &v) && v == 0);
        if (trn && !plast_json_number(trn, &v)) { /* true / false */
            char *tt = plast_json_print(trn);
            q->train = !(tt && !strcmp(tt, "false"));
            free(tt);
        }
        for (const plast_json *s = st ? plast_json_first(st) : NULL; s; s = plast_json_next(s))
            if (!(q->sets[q->n_sets++] = plast_json_string(s))) {
                rc = plast_err_set(err, PLAST_E_CONFIG, key, "set entries are \"key=value\" strings");
                break;
            }
        for (int i = 0; i < n_sets && q->n_sets < 32; i++) q->sets[q->n_sets++] = sets[i];
    }
    n_methods = mi;
    plast_registry reg = plast_registry_builtin(0);
    if (!rc && !(text = plast_json_print(base)))
        rc = plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory");
    /* Every method's config and probed layers are checked before anything is made: its
     * learner is built (the rule against the task's broadcasts, the network against the
     * probe's layers). */
    for (int i = 0; !rc && i < n_methods; i++) {
        rc = plast_config_parse(&cfg, text, "base", m[i].sets, m[i].n_sets, &reg, err);
        plast_learner L;
        plast_task_shape sh;
        int lo[PLAST_PROBE_MAX_LAYERS], k = 0;
        if (!rc) rc = plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, err);
        if (!rc) {
            rc = probe_layers(&L.net, &po, lo, &k, err);
            if (!rc && cfg.run.params[0]) rc = load_params(&cfg, &L, err);
            if (!rc && m[i].train) {
                plast_episode ep;
                rc = plast_episode_init(&ep, &L, &sh, err);
                if (!rc) plast_episode_free(&ep);
            }
            plast_learner_free(&L);
        }
        if (!rc && i && (k != n_probed || memcmp(lo, layer_of, (size_t)k * sizeof *lo)))
            rc = plast_err_set(err, PLAST_E_CONFIG, "probe.layers",
                               "the methods' networks differ in their weighted layers: give "
                               "probe.layers");
        if (!rc) n_probed = k, memcpy(layer_of, lo, (size_t)k * sizeof *lo);
        if (rc) {
            char w[sizeof err->where];
            snprintf(w, sizeof w, "methods[%d] (%.40s): %.180s", i, m[i].name, err->where);
            snprintf(err->where, sizeof err->where, "%s", w);
        }
    }
    plast_ssl_src src;
    if (!rc) rc = plast_config_parse(&cfg, text, "base", sets, n_sets, &reg, err);
    if (!rc) rc = plast_probe_source(&cfg, &src, err);
    if (!rc) rc = plast_ssl_load_split(&src, po.split, &tr, &te, err);
    static char arch[MAX_METHODS][256];
    suite_out so = {name, a->provenance, n_methods, seeds, n_probed, {0}, m, layer_of, acc, arch};
    /* the suite's identity for resuming: its text and the command's overrides */
    uint64_t hash = 0;
    if (!rc && !(all = plast_json_print(root))) rc = plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory");
    if (!rc) {
        hash = plast_hash64(all, strlen(all));
        for (int i = 0; i < n_sets; i++) hash ^= plast_hash64(sets[i], strlen(sets[i])) * (uint64_t)(2 * i + 3);
    }
    char p[4200], cp[4200];
    if (!rc) rc = plast_path_join(cp, sizeof cp, dir, "cells.csv", err);
    if (!rc) rc = a->resume ? plast_dir_prepare(dir, 1, err) : plast_dir_prepare(dir, a->force, err);
    if (!rc && a->resume) rc = read_cells(cp, hash, &so, done, err);
    /* run.json: "running" from here on, what the session ended as at the end (a refused
     * resume leaves the directory as it was) */
    plast_run_record rec;
    int made = !rc;
    memset(&rec, 0, sizeof rec);
    if (made) {
        plast_run_record_init(&rec, a->cmdline, a->version, a->git, 1, 1);
        if (a->resume) plast_run_record_resume(&rec, dir, NULL);
        rc = plast_run_record_write(&rec, dir, err);
    }
    cells cl = {hash, &so, (const unsigned char(*)[MAX_SEEDS])done};
    for (int i = 0; !rc && i < n_methods; i++)
        for (int s = 0; !rc && s < seeds; s++) {
            if (done[i][s]) continue;
            rc = plast_config_parse(&cfg, text, "base", m[i].sets, m[i].n_sets, &reg, err);
            if (rc) break;
            int k;
            rc = one_run(&cfg, m[i].train, chunks, s + 1, &tr, &te, &po, acc[i][s], layer_of, &k, err);
            if (rc == PLAST_E_DATA && !strncmp(err->msg, "the encoder diverged", 20)) {
                so.diverged[i]++;
                for (int l = 0; l < PLAST_PROBE_MAX_LAYERS; l++) acc[i][s][l] = NAN;
                rc = PLAST_OK;
            }
            if (rc) break;
            done[i][s] = 1;
            rc = plast_write_replace(cp, write_cells, &cl, err);
            if (note) {
                char msg[512];
                int w = snprintf(msg, sizeof msg, "%s, seed %d:", m[i].name, s + 1);
                for (int l = 0; l < n_probed && w < (int)sizeof msg; l++)
                    w += snprintf(msg + w, sizeof msg - (size_t)w, " L%d %.3f", layer_of[l], acc[i][s][l]);
                note(ctx, msg);
            }
        }
    if (!rc) rc = plast_path_join(p, sizeof p, dir, "table.json", err);
    if (!rc) rc = plast_write_atomic(p, write_json, &so, err);
    if (!rc) rc = plast_path_join(p, sizeof p, dir, "table.csv", err);
    if (!rc) rc = plast_write_atomic(p, write_csv, &so, err);
    if (!rc) rc = plast_path_join(p, sizeof p, dir, "table.md", err);
    if (!rc) rc = plast_write_atomic(p, write_md, &so, err);
    if (!rc) rc = save_plot(&so, dir, err);
    if (!rc && table) table_md(&so, table, n);
    if (made) {
        /* an earlier error stays the one reported; otherwise a failed run.json is */
        plast_run_record_end(&rec, rc ? "failed" : "finished", rc);
        int wrc = plast_run_record_write(&rec, dir, rc ? NULL : err);
        if (!rc) rc = wrc;
        plast_run_record_free(&rec);
    }
    free(text), free(all);
    plast_dataset_free(&tr), plast_dataset_free(&te);
    plast_json_delete(root);
    return rc;
}
