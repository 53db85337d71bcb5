/* test_locality.c — the locality contract of DESIGN.md holds for every local rule.
 *
 * For each rule not declared non-local, and each plastic layer of a 4-layer network: the
 * engine makes one step; then the rule's update is called again on a plast_local whose
 * every pointer leads to an isolated copy of only what the contract allows (pre, post,
 * pre-activation, the layer's feedback, s at the output, the layer's own W and b, its
 * own meta-parameters and plastic tensors, bound by name through the rule's bind() into
 * copies where every other layer's tensors are NaN, scratch), each copy fenced by NaN on
 * both sides, with the scratch
 * poisoned with NaN and with the whole network (every other layer's weights and
 * activations) overwritten by NaN. The result must equal the engine's step bit for bit
 * and contain no NaN: a rule that read anything else, or out of bounds, would differ. The
 * same on a convolutional network (conv, max pool, conv, dense). */
#include <math.h>
#include <stdlib.h>

#include "rig.h"

#define FENCE 256

/* A copy of n floats between two NaN fences; free with fenced_free. */
static float *fenced(const float *src, size_t n)
{
    float *p = malloc((n + 2 * FENCE) * sizeof *p);
    REQUIRE(p != NULL);
    for (size_t i = 0; i < n + 2 * FENCE; i++) p[i] = NAN;
    if (src) memcpy(p + FENCE, src, n * sizeof *p);
    return p + FENCE;
}

static void fenced_free(const float *p)
{
    if (p) free((float *)p - FENCE);
}

static void poison(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = NAN;
}

/* Dense: 6 -> 12 -> 10 -> 8 -> 4. Conv: a 1x6x6 image -> conv 3 channels (pad 1) -> max pool
 * -> conv 4 channels (kernel 2) -> 4 outputs. */
static void check_rule(const plast_rule *r, int cls, int conv)
{
    const int widths[2][4] = {{12, 10, 8, 4}, {3, 0, 4, 4}};
    const plast_layer_spec kinds[4] = {{PLAST_LAYER_CONV, 3, 1, 1, 0},
                                       {PLAST_LAYER_POOL, 2, 2, 0, PLAST_POOL_MAX},
                                       {PLAST_LAYER_CONV, 2, 1, 0, 0},
                                       {PLAST_LAYER_DENSE, 0, 0, 0, 0}};
    const plast_act acts[4] = {PLAST_ACT_RELU, conv ? PLAST_ACT_IDENTITY : PLAST_ACT_TANH,
                               PLAST_ACT_SIGMOID, PLAST_ACT_IDENTITY};
    int c = conv ? 1 : 6, h = conv ? 6 : 0, w = conv ? 6 : 0, n_in = conv ? 36 : 6;
    rig g;
    /* All layers plastic; a rule that only learns its output (ncm) on a frozen stack. */
    if (rig_try_kinds(&g, r->name, c, h, w, 4, conv ? kinds : NULL, widths[conv], acts, 3, cls,
                      17, 0) &&
        rig_try_kinds(&g, r->name, c, h, w, 4, conv ? kinds : NULL, widths[conv], acts, 3, cls,
                      17, 7u /* all but the output */)) {
        fprintf(stderr, "rule %s refuses %s%s: not applicable\n", r->name,
                cls ? "classification" : "regression", conv ? " on a conv network" : "");
        /* every rule must accept classification on dense networks (a rule may be dense
         * only: hinge-dtp's inverses invert dense layers) */
        REQUIRE(cls == 0 || conv);
        return;
    }
    /* A rule's options that switch on more of its reads (teacher post for hebb). */
    if (!strcmp(r->name, "hebb")) {
        const plast_opt_table *t = &r->opts;
        for (int i = 0; i < t->n; i++)
            if (!strcmp(t->opt[i].key, "post")) *(int *)(g.opts + t->opt[i].offset) = 1;
    }
    /* A rule that reads a task's broadcast (clapp: saccade) gets a task shape emitting it,
     * at 1, and one warm-up step first (its traces start empty), which becomes the
     * learner's initial state. */
    for (int k = 0; r->reads && r->reads[k]; k++) {
        int engine = 0;
        for (int e = 0; e < PLAST_BCAST_ENGINE; e++) engine |= !strcmp(r->reads[k], plast_bcast_engine[e]);
        if (!engine) g.shape.bcast[g.shape.n_bcast++] = r->reads[k];
    }
    const float bval[PLAST_MAX_BCAST] = {1, 1, 1, 1, 1, 1, 1, 1};
    plast_rng rng;
    plast_rng_seed(&rng, 4, 4);
    for (size_t i = 0; i < g.L.meta.n_floats; i++) g.L.meta.data[i] = 0.01f + 0.05f * plast_rng_uniform(&rng);
    rig_start(&g);
    float x[3 * 36], y[12];
    fill_normal(&rng, x, 3 * n_in, 1.0f);
    if (cls) fill_onehot(&rng, y, 3, 4);
    else fill_normal(&rng, y, 12, 1.0f);
    if (g.shape.n_bcast) {
        plast_episode_step(&g.ep, x, y, 3, bval);
        plast_net_copy(&g.L.net, &g.ep.work);
        fill_normal(&rng, x, 3 * n_in, 1.0f);
    }
    plast_episode_step(&g.ep, x, y, 3, g.shape.n_bcast ? bval : NULL);

    /* Keep the engine's results, then poison the whole network and the activations. */
    size_t n_all = g.ep.work.p.n_floats;
    float *engine = malloc(n_all * sizeof *engine);
    memcpy(engine, g.ep.work.p.data, n_all * sizeof *engine);

    /* First the isolated copies of every layer's local signals, then the poison. */
    plast_local lcs[4];
    float *mcopy[4], *scopy[4], *bcs[4];
    void *handles[4];
    plast_pset msets[4], ssets[4];
    const plast_pset *M = &g.L.meta, *S0 = &g.L.net.p;
    for (int l = 0; l < 4; l++) {
        const plast_local *e = &g.ep.local[l];
        const plast_layer *ly0 = &g.L.net.layer[l];
        size_t nw = (size_t)ly0->kind.rows * ly0->kind.cols, na = (size_t)e->batch * e->n_out;
        plast_local *lc = &lcs[l];
        *lc = *e;
        lc->pre = fenced(e->pre, (size_t)e->batch * e->n_in);
        lc->post = fenced(e->post, na);
        lc->preact = fenced(e->preact, na);
        lc->fb = e->fb ? fenced(e->fb, na) : NULL;
        lc->s = e->s ? fenced(e->s, na) : NULL;
        lc->delta = fenced(e->delta, na); /* chain rules read the delta their signal() wrote */
        lc->pre_delta = e->pre_delta ? fenced(e->pre_delta, (size_t)e->batch * e->n_in) : NULL;
        lc->W = fenced(ly0->W, ly0->W ? nw : 0);
        lc->b = fenced(ly0->b, ly0->b ? (size_t)ly0->kind.rows : 0);
        lc->scratch = fenced(NULL, ly0->W ? r->scratch_floats(g.L.rule_opts, ly0, g.shape.batch) : 0);
        lc->work = fenced(NULL, plast_net_work_floats(&g.L.net));
        /* The layer's own meta-parameters (and the shared ones) and its own plastic tensors
         * as they were before the engine's step; every other tensor NaN. */
        mcopy[l] = fenced(NULL, M->n_floats);
        for (int k = 0; k < M->n; k++)
            if (M->spec[k].layer == l || M->spec[k].layer == -1)
                memcpy(mcopy[l] + M->spec[k].offset, M->data + M->spec[k].offset,
                       (size_t)M->spec[k].rows * M->spec[k].cols * sizeof(float));
        scopy[l] = fenced(NULL, S0->n_floats);
        for (int k = g.L.net.n_own; k < S0->n; k++)
            if (S0->spec[k].layer == l)
                memcpy(scopy[l] + S0->spec[k].offset, S0->data + S0->spec[k].offset,
                       (size_t)S0->spec[k].rows * S0->spec[k].cols * sizeof(float));
        msets[l] = *M, msets[l].data = mcopy[l];
        ssets[l] = *S0, ssets[l].data = scopy[l];
        handles[l] = calloc(1, r->handles_size + 1);
        float *bc = fenced(g.ep.bcast, (size_t)g.ep.n_bcast);
        plast_binder bd = {l, e->is_output, ly0, &msets[l], &ssets[l], g.ep.n_bcast,
                           g.ep.bcast_name, bc, g.shape.batch};
        plast_err err;
        if (r->bind && ly0->W) REQUIRE(r->bind(g.L.rule_opts, &bd, handles[l], &err) == PLAST_OK);
        lc->h = handles[l];
        bcs[l] = bc;
    }
    /* Everything else the process holds about the network is now NaN. */
    poison(g.ep.work.p.data, n_all);
    for (int q = 0; q < 4; q++) {
        size_t nq = (size_t)g.L.net.layer[q].n_out;
        poison(g.ep.acts.a[q], (size_t)g.ep.acts.batch_max * nq);
        poison(g.ep.acts.h[q], (size_t)g.ep.acts.batch_max * nq);
        poison(g.ep.fb[q], (size_t)g.shape.batch * nq);
        poison(g.ep.delta[q], (size_t)g.shape.batch * nq);
        if (g.L.net.layer[q].W)
            poison(g.ep.scratch[q], r->scratch_floats(g.L.rule_opts, &g.L.net.layer[q], g.shape.batch));
    }
    poison(g.ep.acts.work, plast_net_work_floats(&g.L.net));
    poison(g.ep.s, (size_t)g.shape.batch * 4);

    for (int l = 0; l < 4; l++) {
        plast_local *lc = &lcs[l];
        const plast_layer *ly0 = &g.L.net.layer[l];
        size_t nw = (size_t)ly0->kind.rows * ly0->kind.cols;
        if (ly0->plastic) {
            r->update(lc);
            const float *want = engine + (size_t)(ly0->W - g.L.net.p.data);
            const float *want_b = engine + (size_t)(ly0->b - g.L.net.p.data);
            int nan = 0;
            for (size_t i = 0; i < nw; i++) nan += isnan(lc->W[i]);
            for (int i = 0; i < ly0->kind.rows; i++) nan += isnan(lc->b[i]);
            int differs = memcmp(lc->W, want, nw * sizeof(float)) != 0 ||
                          memcmp(lc->b, want_b, (size_t)ly0->kind.rows * sizeof(float)) != 0;
            if (nan || differs)
                fprintf(stderr, "rule %s (classification %d, conv %d) layer %d: %d NaN, differs %d\n",
                        r->name, cls, conv, l, nan, differs);
            CHECK(nan == 0);
            CHECK(!differs);
            double moved = 0.0; /* and the step did something */
            for (size_t i = 0; i < nw; i++) moved = fmax(moved, fabs((double)lc->W[i] - ly0->W[i]));
            CHECK(moved > 0.0);
            /* the layer's plastic tensors moved exactly as in the engine */
            for (int k = g.L.net.n_own; k < S0->n; k++) {
                const plast_pspec *q = &S0->spec[k];
                if (q->layer != l) continue;
                size_t len = (size_t)q->rows * q->cols;
                CHECK(!memcmp(scopy[l] + q->offset, engine + q->offset, len * sizeof(float)));
            }
        }
        fenced_free(lc->pre), fenced_free(lc->post), fenced_free(lc->preact), fenced_free(lc->fb);
        fenced_free(lc->s), fenced_free(lc->delta), fenced_free(lc->W), fenced_free(lc->b);
        fenced_free(lc->scratch), fenced_free(lc->pre_delta), fenced_free(lc->work);
        fenced_free(mcopy[l]), fenced_free(scopy[l]), fenced_free(bcs[l]);
        free(handles[l]);
    }
    free(engine);
    rig_free(&g);
}

int main(void)
{
    plast_linalg_init();
    int n, tested = 0;
    const plast_rule *const *all = plast_rule_all(&n);
    for (int i = 0; i < n; i++) {
        if (all[i]->nonlocal) continue;
        /* The declared exception is the only one: its feedback goes through W. */
        CHECK(all[i]->path != PLAST_PATH_TRANSPOSE);
        for (int conv = 0; conv < 2; conv++) {
            check_rule(all[i], 0, conv);
            check_rule(all[i], 1, conv);
        }
        tested++;
    }
    CHECK(tested >= 4); /* flp, hebb, fa, dfa */
    const plast_rule *sgd = plast_rule_find("sgd");
    CHECK(sgd && sgd->nonlocal && sgd->path == PLAST_PATH_TRANSPOSE);
    CHECK_DONE();
}
