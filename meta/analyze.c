/* analyze.c — interference analysis of a rule against online SGD (see analyze.h).
 *
 * Every measure needs "the update a sample would cause from this state" without changing
 * the state: the episode's plastic network (and the rule's state) is saved, one step is
 * taken, the change of the plastic layers' W and b is read off, and the state is restored.
 * The gradient of a loss is read the same way from an SGD learner with learning rate 1
 * (its step is exactly minus the gradient of the mean loss). */
#include "plast/analyze.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plast/linalg.h"
#include "plast/plot.h"
#include "plast/run.h"

/* ---------------- small pieces ---------------- */

double plast_cosine(const float *a, const float *b, size_t n)
{
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (size_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    if (!isfinite(ab) || !isfinite(aa) || !isfinite(bb)) return NAN; /* a diverged update */
    return aa > 0.0 && bb > 0.0 ? ab / sqrt(aa * bb) : 0.0;
}

double plast_angle_deg(const float *A, const float *B, size_t n)
{
    double c = plast_cosine(A, B, n);
    c = c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
    return acos(c) * 180.0 / 3.141592653589793;
}

double plast_participation_ratio(const float *U, int n, size_t d)
{
    if (n < 2) return NAN;
    double *mean = calloc(d, sizeof *mean), *G = malloc((size_t)n * n * sizeof *G),
           *w = malloc((size_t)n * sizeof *w);
    double pr = NAN;
    if (mean && G && w) {
        for (int i = 0; i < n; i++)
            for (size_t k = 0; k < d; k++) mean[k] += U[(size_t)i * d + k] / n;
        /* The centred Gram matrix has the covariance's non-zero eigenvalues (times n). */
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double s = 0.0;
                for (size_t k = 0; k < d; k++)
                    s += (U[(size_t)i * d + k] - mean[k]) * (U[(size_t)j * d + k] - mean[k]);
                G[(size_t)i * n + j] = G[(size_t)j * n + i] = s;
            }
        if (plast_symeig_d(n, G, w) == 0) {
            double s1 = 0.0, s2 = 0.0;
            for (int i = 0; i < n; i++) {
                double l = w[i] > 0.0 ? w[i] : 0.0; /* rounding can make zeros slightly negative */
                s1 += l;
                s2 += l * l;
            }
            pr = s2 > 0.0 ? s1 * s1 / s2 : NAN;
        }
    }
    free(mean), free(G), free(w);
    return pr;
}

size_t plast_forward_pathway_work(const plast_net *net)
{
    size_t half = (size_t)net->n_out * net->n_out;
    for (int k = 0; k < net->n_layers; k++) {
        size_t w = (size_t)net->n_out * net->layer[k].n_in;
        half = w > half ? w : half;
    }
    return 2 * half;
}

void plast_forward_pathway_t(const plast_net *net, int l, float *out, float *work)
{
    int L = net->n_layers, n_l = net->layer[l].n_out, n_out = net->n_out;
    /* M [n_out][cols] = W_{L-1} ... W_{k}, built from the output down; out = M^T. */
    float *M = work, *T = work + plast_forward_pathway_work(net) / 2;
    int cols = n_out;
    for (int i = 0; i < n_out; i++)
        for (int j = 0; j < n_out; j++) M[i * n_out + j] = i == j ? 1.0f : 0.0f;
    for (int k = L - 1; k > l; k--) {
        const plast_layer *ly = &net->layer[k]; /* W_k [n_out_k][n_in_k]; cols == n_out_k */
        plast_gemm_ref(0, 0, n_out, ly->n_in, cols, 1.0f, M, cols, ly->W, ly->n_in, 0.0f, T, ly->n_in);
        cols = ly->n_in;
        memcpy(M, T, (size_t)n_out * cols * sizeof *M);
    }
    for (int i = 0; i < n_l; i++)
        for (int j = 0; j < n_out; j++) out[(size_t)i * n_out + j] = M[(size_t)j * n_l + i];
}

/* ---------------- per-run machinery ---------------- */

typedef struct probe_layout {
    int n_layers;
    int plastic[PLAST_MAX_LAYERS];
    size_t off[PLAST_MAX_LAYERS], len[PLAST_MAX_LAYERS]; /* slices of an update vector */
    size_t d;                                            /* update vector length */
} probe_layout;

static void layout_of(const plast_net *net, probe_layout *p)
{
    memset(p, 0, sizeof *p);
    p->n_layers = net->n_layers;
    for (int l = 0; l < net->n_layers; l++) {
        const plast_layer *ly = &net->layer[l];
        p->plastic[l] = ly->plastic;
        if (!ly->plastic) continue;
        p->off[l] = p->d;
        p->len[l] = (size_t)ly->n_out * ly->n_in + ly->n_out;
        p->d += p->len[l];
    }
}

/* The plastic layers' W and b into u [d]. */
static void pack(const probe_layout *p, const plast_net *net, float *u)
{
    for (int l = 0; l < p->n_layers; l++) {
        if (!p->plastic[l]) continue;
        const plast_layer *ly = &net->layer[l];
        size_t nw = (size_t)ly->n_out * ly->n_in;
        memcpy(u + p->off[l], ly->W, nw * sizeof *u);
        memcpy(u + p->off[l] + nw, ly->b, (size_t)ly->n_out * sizeof *u);
    }
}

static void unpack(const probe_layout *p, plast_net *net, const float *u)
{
    for (int l = 0; l < p->n_layers; l++) {
        if (!p->plastic[l]) continue;
        plast_layer *ly = &net->layer[l];
        size_t nw = (size_t)ly->n_out * ly->n_in;
        memcpy(ly->W, u + p->off[l], nw * sizeof *u);
        memcpy(ly->b, u + p->off[l] + nw, (size_t)ly->n_out * sizeof *u);
    }
}

typedef struct method_run {
    plast_learner L;
    plast_episode ep;
    plast_episode_snap sv;
    float *before, *u; /* [d] */
} method_run;

typedef struct run_ctx {
    probe_layout lay;
    const plast_objective *obj;
    int n_in, n_out;
    method_run m[2]; /* 0 the rule, 1 SGD */
    plast_learner gL; /* SGD with lr 1: gradients */
    plast_episode gE;
    plast_acts acts;
    float *U;         /* [n_probe_total][d] probe updates */
    float *G;         /* [n_probe_total][d] probe gradients */
    float *gj;        /* [n_seg][d] gradients of the earlier segments' probe sets */
    float *lb;        /* [n_seg] losses before a step */
    float *grad;      /* [n_out] the loss gradient (unused) */
    float *tmp;       /* [d] */
    float *pw, *work; /* feedback pathway and its work space */
} run_ctx;

/* The update one step on (x, y, n) would make from the episode's state; state kept. */
static void update_of(method_run *m, const probe_layout *lay, const float *x, const float *y,
                      int n, float *u)
{
    plast_episode_save(&m->ep, &m->sv);
    pack(lay, &m->ep.work, m->before);
    plast_episode_step(&m->ep, x, y, n, NULL);
    pack(lay, &m->ep.work, u);
    for (size_t k = 0; k < lay->d; k++) u[k] -= m->before[k];
    plast_episode_restore(&m->ep, &m->sv);
}

/* Minus the gradient of the mean loss on (x, y, n) at the plastic W, b of net. */
static void neg_grad(run_ctx *c, const plast_net *net, const float *x, const float *y, int n, float *g)
{
    pack(&c->lay, net, c->tmp);
    unpack(&c->lay, &c->gE.work, c->tmp);
    /* the frozen layers are the same in every learner of a run (copied at set-up) */
    plast_episode_step(&c->gE, x, y, n, NULL);
    pack(&c->lay, &c->gE.work, g);
    for (size_t k = 0; k < c->lay.d; k++) g[k] -= c->tmp[k];
}

/* The objective's mean loss (the one whose gradient the SGD steps follow: 1/2 |y - yhat|^2,
 * or cross-entropy) of net on (x, y, n), n <= acts batch. */
static double loss_of(run_ctx *c, const plast_net *net, const float *x, const float *y, int n)
{
    const float *out = plast_net_forward(net, &c->acts, x, n);
    double s = 0.0;
    int no = c->n_out;
    for (int b = 0; b < n; b++)
        s += c->obj->loss_grad(out + (size_t)b * no, y + (size_t)b * no, no, c->grad);
    return s / n;
}

/* ---------------- accumulation ---------------- */

enum { MAXL = PLAST_MAX_LAYERS };

typedef struct run_vals { /* one run's figures, one method */
    double cw, ca, cw_l[MAXL], ca_l[MAXL];
    double nw, na; /* pair counts */
    double gc, gc_l[MAXL], ng;
    double pr;
    double interf[64], pred[64], n_int[64];
} run_vals;

static int bin_of(double c)
{
    int b = (int)floor((c + 1.0) / 2.0 * PLAST_AN_BINS);
    return b < 0 ? 0 : b >= PLAST_AN_BINS ? PLAST_AN_BINS - 1 : b;
}

/* The probes of segments 0..k from method m's current state. */
static void probe(run_ctx *c, int mi, const plast_stream *s, int k, int n_probe, int last,
                  run_vals *v, plast_an_method *acc, double *heat)
{
    const plast_task_shape *sh = &s->shape;
    method_run *m = &c->m[mi];
    int np = (k + 1) * n_probe;
    for (int i = 0; i < np; i++) {
        int seg = i / n_probe, q = i % n_probe;
        const float *x = s->qx + ((size_t)seg * sh->n_query + q) * sh->n_in;
        const float *y = s->qy + ((size_t)seg * sh->n_query + q) * sh->n_out;
        float *u = c->U + (size_t)i * c->lay.d, *g = c->G + (size_t)i * c->lay.d;
        update_of(m, &c->lay, x, y, 1, u);
        neg_grad(c, &m->ep.work, x, y, 1, g);
        v->gc += plast_cosine(u, g, c->lay.d);
        for (int l = 0; l < c->lay.n_layers; l++)
            if (c->lay.plastic[l]) v->gc_l[l] += plast_cosine(u + c->lay.off[l], g + c->lay.off[l], c->lay.len[l]);
        v->ng += 1.0;
    }
    for (int i = 0; i < np; i++)
        for (int j = 0; j < i; j++) {
            const float *a = c->U + (size_t)i * c->lay.d, *b = c->U + (size_t)j * c->lay.d;
            double cs = plast_cosine(a, b, c->lay.d);
            int same = i / n_probe == j / n_probe;
            if (!isfinite(cs)) { /* a diverged run: its means become NaN and are counted */
                v->cw = v->ca = NAN;
                continue;
            }
            if (same) v->cw += cs, v->nw += 1.0, acc->hist_within[bin_of(cs)] += 1.0;
            else v->ca += cs, v->na += 1.0, acc->hist_across[bin_of(cs)] += 1.0;
            for (int l = 0; l < c->lay.n_layers; l++) {
                if (!c->lay.plastic[l]) continue;
                double cl = plast_cosine(a + c->lay.off[l], b + c->lay.off[l], c->lay.len[l]);
                if (same) v->cw_l[l] += cl;
                else v->ca_l[l] += cl;
            }
            if (last) heat[(size_t)i * np + j] += cs, heat[(size_t)j * np + i] += cs;
        }
    if (last) {
        for (int i = 0; i < np; i++) heat[(size_t)i * np + i] += 1.0;
        v->pr = plast_participation_ratio(c->U, np, c->lay.d);
    }
}

/* One online step of method m with the interference on every completed segment. */
static void step_with_interference(run_ctx *c, int mi, const plast_stream *s, int t, int done,
                                   int n_probe, run_vals *v)
{
    const plast_task_shape *sh = &s->shape;
    method_run *m = &c->m[mi];
    for (int j = 0; j < done; j++) {
        const float *x = s->qx + (size_t)j * sh->n_query * sh->n_in;
        const float *y = s->qy + (size_t)j * sh->n_query * sh->n_out;
        c->lb[j] = (float)loss_of(c, &m->ep.work, x, y, n_probe);
        neg_grad(c, &m->ep.work, x, y, n_probe, c->gj + (size_t)j * c->lay.d);
    }
    pack(&c->lay, &m->ep.work, m->before);
    plast_episode_step(&m->ep, s->x + (size_t)t * sh->batch * sh->n_in,
                       s->y + (size_t)t * sh->batch * sh->n_out, sh->batch,
                       s->bcast + (size_t)t * sh->n_bcast);
    pack(&c->lay, &m->ep.work, m->u);
    for (size_t k = 0; k < c->lay.d; k++) m->u[k] -= m->before[k];
    for (int j = 0; j < done; j++) {
        const float *x = s->qx + (size_t)j * sh->n_query * sh->n_in;
        const float *y = s->qy + (size_t)j * sh->n_query * sh->n_out;
        double exact = loss_of(c, &m->ep.work, x, y, n_probe) - c->lb[j];
        double pred = -plast_dot_d(c->lay.d, c->gj + (size_t)j * c->lay.d, m->u);
        int age = done - j; /* 1: the segment just before the current one */
        if (age < 64) v->interf[age] += exact, v->pred[age] += pred, v->n_int[age] += 1.0;
    }
}

/* ---------------- the analysis ---------------- */

static void free_run(run_ctx *c)
{
    for (int i = 0; i < 2; i++) {
        plast_episode_free(&c->m[i].ep);
        plast_learner_free(&c->m[i].L);
        plast_episode_snap_free(&c->m[i].sv);
        free(c->m[i].before), free(c->m[i].u);
    }
    plast_episode_free(&c->gE);
    plast_learner_free(&c->gL);
    plast_acts_free(&c->acts);
    free(c->U), free(c->G), free(c->gj), free(c->lb), free(c->grad), free(c->tmp), free(c->pw);
    free(c->work);
}

void plast_an_result_free(plast_an_result *r)
{
    free(r->rule.heat);
    free(r->sgd.heat);
    memset(r, 0, sizeof *r);
}

int plast_analyze(const plast_an_spec *sp, plast_an_result *out, plast_err *err)
{
    memset(out, 0, sizeof *out);
    const plast_config *cfg = sp->cfg;
    plast_eval_setup S;
    int rc = plast_eval_setup_init(&S, cfg, err);
    if (rc) return rc;
    const plast_task_shape *sh = &S.shape;
    int runs = sp->runs, n_probe = sp->n_probe, n_seg = sh->n_seg;
    if (n_probe < 1 || n_probe > sh->n_query) {
        plast_eval_setup_free(&S);
        return plast_err_set(err, PLAST_E_USAGE, "--probes", "1 to %d probe samples per segment (the task's n_query)",
                             sh->n_query);
    }
    if (n_seg > 63) {
        plast_eval_setup_free(&S);
        return plast_err_set(err, PLAST_E_USAGE, "task", "at most 63 segments can be analysed");
    }
    /* The feedback angles compare B with products of dense forward weights. */
    for (int l = 0; l < S.L.net.n_layers; l++)
        if (S.L.net.layer[l].kind.type != PLAST_LAYER_DENSE) {
            plast_eval_setup_free(&S);
            char where[64];
            snprintf(where, sizeof where, "net.layers[%d]", l);
            return plast_err_set(err, PLAST_E_CONFIG, where,
                                 "the interference analysis takes dense networks only (layer %d "
                                 "is %s)", l, plast_layer_names[S.L.net.layer[l].kind.type]);
        }
    int npt = n_seg * n_probe;
    out->runs = runs;
    out->n_layers = S.L.net.n_layers;
    out->n_seg = n_seg;
    out->n_probe = n_probe;
    out->n_probe_total = npt;
    out->sgd_lr = sp->sgd_lr;
    out->has_feedback = S.L.net.fb_mode != PLAST_FB_NONE;
    for (int l = 0; l < out->n_layers; l++) out->plastic[l] = S.L.net.layer[l].plastic;
    out->rule.heat = calloc((size_t)npt * npt, sizeof(double));
    out->sgd.heat = calloc((size_t)npt * npt, sizeof(double));
    run_vals *vals = calloc((size_t)2 * runs, sizeof *vals);
    double *fba = calloc((size_t)runs * MAXL * 64, sizeof *fba);
    if (!out->rule.heat || !out->sgd.heat || !vals || !fba) {
        rc = plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (analysis)");
        goto done;
    }

    const plast_rule *sgd = plast_rule_find("sgd");
    _Alignas(16) unsigned char sopts[PLAST_OPTS_BYTES];
    plast_opts_defaults(&sgd->opts, sopts);
    plast_stream st;
    if ((rc = plast_stream_init(&st, sh, err))) goto done;

    for (int r = 0; r < runs && !rc; r++) {
        run_ctx c;
        memset(&c, 0, sizeof c);
        c.obj = sh->objective;
        c.n_in = sh->n_in;
        c.n_out = sh->n_out;
        /* The rule's learner, drawn and overlaid as plast_eval draws run r. */
        plast_rng rng;
        rc = plast_learner_clone(&c.m[0].L, &S.L, err);
        if (!rc) {
            plast_rng_derive(&rng, (uint64_t)cfg->run.seed, PLAST_KEY_INIT, 0, (uint64_t)r);
            plast_learner_draw(&c.m[0].L, &rng);
            if (S.have_fixed)
                for (int set = 0; set < 2; set++) {
                    plast_pset_overlay(plast_learner_set(&c.m[0].L, set),
                                       plast_learner_cset(&S.fixed, set),
                                       set ? S.mask_meta : S.mask_net);
                }
        }
        /* SGD (and SGD with lr 1 for gradients) from the very same W and b. */
        if (!rc) rc = plast_learner_from_config(&c.m[1].L, cfg, sgd, sopts, NULL, err);
        if (!rc) rc = plast_learner_from_config(&c.gL, cfg, sgd, sopts, NULL, err);
        if (rc) {
            free_run(&c);
            break;
        }
        for (int l = 0; l < out->n_layers; l++) {
            const plast_layer *a = &c.m[0].L.net.layer[l];
            plast_layer *b1 = &c.m[1].L.net.layer[l], *b2 = &c.gL.net.layer[l];
            size_t nw = (size_t)a->n_out * a->n_in;
            memcpy(b1->W, a->W, nw * 4), memcpy(b2->W, a->W, nw * 4);
            memcpy(b1->b, a->b, (size_t)a->n_out * 4), memcpy(b2->b, a->b, (size_t)a->n_out * 4);
        }
        float *lr = plast_pset_view(&c.m[1].L.meta, "lr", -1), *lr1 = plast_pset_view(&c.gL.meta, "lr", -1);
        if (!lr || !lr1) {
            rc = plast_err_set(err, PLAST_E_INTERNAL, "sgd", "the rule declares no learning rate \"lr\"");
            free_run(&c);
            break;
        }
        *lr = sp->sgd_lr;
        *lr1 = 1.0f;
        layout_of(&c.m[0].L.net, &c.lay);
        int big = n_probe > sh->batch ? n_probe : sh->batch;
        plast_task_shape gsh = *sh;
        gsh.batch = big;
        for (int i = 0; i < 2 && !rc; i++) {
            method_run *m = &c.m[i];
            rc = plast_episode_init(&m->ep, &m->L, sh, err);
            if (rc) break;
            rc = plast_episode_snap_init(&m->sv, &m->ep, err);
            if (rc) break;
            m->before = malloc(c.lay.d * sizeof(float));
            m->u = malloc(c.lay.d * sizeof(float));
            if (!m->before || !m->u)
                rc = plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (analysis)");
            else plast_episode_reset(&m->ep);
        }
        if (!rc) rc = plast_episode_init(&c.gE, &c.gL, &gsh, err);
        if (!rc) rc = plast_acts_init(&c.acts, &c.gL.net, big, err);
        size_t pwork = plast_forward_pathway_work(&c.m[0].L.net);
        if (!rc) {
            c.U = malloc((size_t)npt * c.lay.d * sizeof(float));
            c.G = malloc((size_t)npt * c.lay.d * sizeof(float));
            c.gj = malloc((size_t)n_seg * c.lay.d * sizeof(float));
            c.lb = malloc((size_t)n_seg * sizeof(float));
            c.grad = malloc((size_t)c.n_out * sizeof(float));
            c.tmp = malloc(c.lay.d * sizeof(float));
            c.pw = malloc(pwork * sizeof(float)); /* at least n_l x n_out for every layer */
            c.work = malloc(pwork * sizeof(float));
            if (!c.U || !c.G || !c.gj || !c.lb || !c.grad || !c.tmp || !c.pw || !c.work)
                rc = plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (analysis)");
        }
        if (rc) {
            free_run(&c);
            break;
        }
        plast_episode_reset(&c.gE);

        plast_rng_derive(&rng, (uint64_t)cfg->run.seed, PLAST_KEY_EVAL, 0, (uint64_t)r);
        cfg->task->draw(S.task_state, &rng, &st);
        for (int mi = 0; mi < 2; mi++) {
            run_vals *v = &vals[(size_t)mi * runs + r];
            plast_an_method *acc = mi ? &out->sgd : &out->rule;
            int k = 0;
            for (int t = 0; t < st.n_steps; t++) {
                int done = 0;
                while (done < n_seg && st.mark[done] <= t) done++;
                step_with_interference(&c, mi, &st, t, done, n_probe, v);
                while (k < n_seg && st.mark[k] == t + 1) {
                    probe(&c, mi, &st, k, n_probe, k == n_seg - 1, v, acc, acc->heat);
                    if (mi == 0 && out->has_feedback)
                        for (int l = 0; l < out->n_layers; l++) {
                            const plast_net *net = &c.m[0].ep.work;
                            const plast_layer *ly = &net->layer[l];
                            if (!ly->n_fb) continue;
                            size_t n = (size_t)ly->n_out * ly->n_fb;
                            if (net->fb_mode == PLAST_FB_DIRECT) {
                                plast_forward_pathway_t(net, l, c.pw, c.work);
                            } else { /* chain: W_{l+1}^T */
                                const plast_layer *up = &net->layer[l + 1];
                                for (int i = 0; i < ly->n_out; i++)
                                    for (int j = 0; j < up->n_out; j++)
                                        c.pw[(size_t)i * up->n_out + j] = up->W[(size_t)j * up->n_in + i];
                            }
                            fba[((size_t)r * MAXL + l) * 64 + k] = plast_angle_deg(ly->B, c.pw, n);
                        }
                    k++;
                }
            }
        }
        free_run(&c);
    }
    plast_stream_free(&st);
    if (rc) goto done;

    /* Summaries over runs. */
    {
        int boot = cfg->run.bootstrap;
        double *work = malloc(((size_t)boot + 1) * sizeof *work);
        float *col = malloc((size_t)runs * sizeof *col); /* one figure of every run */
        if (!work || !col) {
            free(work), free(col);
            rc = plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory");
            goto done;
        }
        uint64_t seed = (uint64_t)cfg->run.seed;
        for (int mi = 0; mi < 2; mi++) {
            plast_an_method *a = mi ? &out->sgd : &out->rule;
            const run_vals *v = &vals[(size_t)mi * runs];
#define SUMM(expr, dst)                                                                            \
    do {                                                                                           \
        for (int i = 0; i < runs; i++) col[i] = (float)(expr);                                     \
        plast_summarize(col, runs, boot, 0.95, seed++, work, (dst));                               \
    } while (0)
            SUMM(v[i].nw ? v[i].cw / v[i].nw : NAN, &a->cos_within);
            SUMM(v[i].na ? v[i].ca / v[i].na : NAN, &a->cos_across);
            SUMM(v[i].ng ? v[i].gc / v[i].ng : NAN, &a->grad_cos);
            SUMM(v[i].pr, &a->pr);
            for (int l = 0; l < out->n_layers; l++) {
                if (!out->plastic[l]) continue;
                SUMM(v[i].nw ? v[i].cw_l[l] / v[i].nw : NAN, &a->cos_within_l[l]);
                SUMM(v[i].na ? v[i].ca_l[l] / v[i].na : NAN, &a->cos_across_l[l]);
                SUMM(v[i].ng ? v[i].gc_l[l] / v[i].ng : NAN, &a->grad_cos_l[l]);
            }
            a->n_age = n_seg - 1;
            for (int g = 1; g <= a->n_age; g++) {
                SUMM(v[i].n_int[g] ? v[i].interf[g] / v[i].n_int[g] : NAN, &a->interf[g]);
                SUMM(v[i].n_int[g] ? v[i].pred[g] / v[i].n_int[g] : NAN, &a->interf_pred[g]);
            }
            double hw = 0.0, ha = 0.0;
            for (int b = 0; b < PLAST_AN_BINS; b++) hw += a->hist_within[b], ha += a->hist_across[b];
            for (int b = 0; b < PLAST_AN_BINS; b++) {
                if (hw > 0) a->hist_within[b] /= hw;
                if (ha > 0) a->hist_across[b] /= ha;
            }
            for (size_t i = 0; i < (size_t)npt * npt; i++) a->heat[i] /= runs;
#undef SUMM
        }
        if (out->has_feedback)
            for (int l = 0; l < out->n_layers; l++)
                for (int k = 0; k < n_seg; k++) {
                    for (int i = 0; i < runs; i++) col[i] = (float)fba[((size_t)i * MAXL + l) * 64 + k];
                    plast_summarize(col, runs, boot, 0.95, seed++, work, &out->fb_angle[l][k]);
                }
        free(work), free(col);
    }
done:
    free(vals);
    free(fba);
    plast_eval_setup_free(&S);
    if (rc) plast_an_result_free(out);
    return rc;
}

/* ---------------- outputs ---------------- */

typedef struct an_out {
    const plast_an_result *r;
    const char *rule;
} an_out;

/* n numbers separated by ", " (the brackets are the caller's). */
static void json_list(FILE *f, const double *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        plast_json_write_number(f, v[i]);
    }
}

static void jsum(FILE *f, const char *key, const plast_summary *s)
{
    fprintf(f, "\"%s\": {\"mean\": ", key);
    plast_json_write_number(f, s->mean);
    fputs(", \"ci95\": [", f);
    plast_json_write_number(f, s->lo);
    fputs(", ", f);
    plast_json_write_number(f, s->hi);
    fprintf(f, "], \"n\": %d}", s->n);
}

static void jmethod(FILE *f, const an_out *o, const plast_an_method *m)
{
    const plast_an_result *r = o->r;
    fputs("{", f);
    jsum(f, "cos_within_segment", &m->cos_within);
    fputs(", ", f);
    jsum(f, "cos_across_segments", &m->cos_across);
    fputs(", ", f);
    jsum(f, "cos_with_negative_gradient", &m->grad_cos);
    fputs(", ", f);
    jsum(f, "participation_ratio", &m->pr);
    fputs(", \"per_layer\": [", f);
    int first = 1;
    for (int l = 0; l < r->n_layers; l++) {
        if (!r->plastic[l]) continue;
        fprintf(f, "%s{\"layer\": %d, ", first ? "" : ", ", l);
        first = 0;
        jsum(f, "cos_within_segment", &m->cos_within_l[l]);
        fputs(", ", f);
        jsum(f, "cos_across_segments", &m->cos_across_l[l]);
        fputs(", ", f);
        jsum(f, "cos_with_negative_gradient", &m->grad_cos_l[l]);
        fputs("}", f);
    }
    fputs("], \"interference_by_age\": [", f);
    for (int g = 1; g <= m->n_age; g++) {
        fprintf(f, "%s{\"age\": %d, ", g > 1 ? ", " : "", g);
        jsum(f, "exact", &m->interf[g]);
        fputs(", ", f);
        jsum(f, "first_order", &m->interf_pred[g]);
        fputs("}", f);
    }
    fputs("], \"histogram_within\": [", f);
    json_list(f, m->hist_within, PLAST_AN_BINS);
    fputs("], \"histogram_across\": [", f);
    json_list(f, m->hist_across, PLAST_AN_BINS);
    fputs("]}", f);
}

static int w_json(FILE *f, const void *p)
{
    const an_out *o = p;
    const plast_an_result *r = o->r;
    fprintf(f, "{\n  \"rule\": \"%s\",\n  \"runs\": %d,\n  \"segments\": %d,\n  \"probes_per_segment\": %d,\n",
            o->rule, r->runs, r->n_seg, r->n_probe);
    fputs("  \"sgd_lr\": ", f);
    plast_json_write_number(f, r->sgd_lr);
    fputs(",\n  \"ci\": \"95% percentile bootstrap over runs\",\n", f);
    fprintf(f, "  \"definitions\": {\"cos\": \"cosine between the W,b updates two probe samples cause from "
               "the same state (end of each segment)\", \"interference\": \"change of the mean loss "
               "(1/2 squared error or cross-entropy) on an earlier segment's probes after one online step, "
               "per step, by age in segments\", \"first_order\": \"gradient of that loss times the step\", "
               "\"participation_ratio\": \"(sum l)^2 / sum l^2 over the covariance eigenvalues of the probe "
               "updates at the end of the episode\", \"feedback_angle\": \"degrees between B_l and the "
               "transposed forward pathway\"},\n");
    fputs("  \"rule_updates\": ", f);
    jmethod(f, o, &r->rule);
    fputs(",\n  \"sgd_updates\": ", f);
    jmethod(f, o, &r->sgd);
    fputs(",\n  \"feedback_angle_deg\": [", f);
    int first = 1;
    for (int l = 0; r->has_feedback && l < r->n_layers; l++) {
        if (!isfinite(r->fb_angle[l][0].mean)) continue;
        fprintf(f, "%s{\"layer\": %d, \"after_segment\": [", first ? "" : ", ", l);
        first = 0;
        for (int k = 0; k < r->n_seg; k++) {
            if (k) fputs(", ", f);
            fputs("{", f);
            jsum(f, "angle", &r->fb_angle[l][k]);
            fputs("}", f);
        }
        fputs("]}", f);
    }
    fputs("]\n}\n", f);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int w_hist(FILE *f, const void *p)
{
    const plast_an_result *r = ((const an_out *)p)->r;
    fputs("cos,rule_within,rule_across,sgd_within,sgd_across\n", f);
    for (int b = 0; b < PLAST_AN_BINS; b++)
        fprintf(f, "%.4f,%.6g,%.6g,%.6g,%.6g\n", -1.0 + (b + 0.5) * 2.0 / PLAST_AN_BINS, r->rule.hist_within[b],
                r->rule.hist_across[b], r->sgd.hist_within[b], r->sgd.hist_across[b]);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int w_interf(FILE *f, const void *p)
{
    const plast_an_result *r = ((const an_out *)p)->r;
    fputs("age,rule,rule_lo,rule_hi,rule_first_order,sgd,sgd_lo,sgd_hi,sgd_first_order\n", f);
    for (int g = 1; g <= r->rule.n_age; g++)
        fprintf(f, "%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g\n", g, r->rule.interf[g].mean, r->rule.interf[g].lo,
                r->rule.interf[g].hi, r->rule.interf_pred[g].mean, r->sgd.interf[g].mean, r->sgd.interf[g].lo,
                r->sgd.interf[g].hi, r->sgd.interf_pred[g].mean);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

typedef struct heat_out {
    const an_out *o;
    int sgd;
} heat_out;

static int w_heat(FILE *f, const void *p)
{
    const heat_out *h = p;
    const plast_an_result *r = h->o->r;
    const double *m = h->sgd ? r->sgd.heat : r->rule.heat;
    int n = r->n_probe_total;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) fprintf(f, "%s%.5f", j ? " " : "", m[(size_t)i * n + j]);
        fputc('\n', f);
    }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static int w_fb(FILE *f, const void *p)
{
    const plast_an_result *r = ((const an_out *)p)->r;
    fputs("segment", f);
    for (int l = 0; l < r->n_layers; l++) fprintf(f, ",layer%d,lo%d,hi%d", l, l, l);
    fputc('\n', f);
    for (int k = 0; k < r->n_seg; k++) {
        fprintf(f, "%d", k + 1);
        for (int l = 0; l < r->n_layers; l++)
            fprintf(f, ",%.6g,%.6g,%.6g", r->fb_angle[l][k].mean, r->fb_angle[l][k].lo, r->fb_angle[l][k].hi);
        fputc('\n', f);
    }
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

/* The scripts of the four figures (five with feedback) over the data files above. */
static int save_plots(const an_out *o, const char *dir, plast_err *err)
{
    const plast_an_result *r = o->r;
    const char *blue = plast_plot_colour(0), *orange = plast_plot_colour(1);
    char title[256], t[4][160];
    snprintf(title, sizeof title, "update-update cosines: %s vs online SGD", o->rule);
    snprintf(t[0], sizeof t[0], "%s, across segments", o->rule);
    snprintf(t[1], sizeof t[1], "%s, same segment", o->rule);
    const plast_plot_series cos[] = {
        {PLAST_PLOT_BOXES, 3, 0, 0, blue, t[0], 0},
        {PLAST_PLOT_BOXES, 5, 0, 0, orange, "SGD, across segments", 0},
        {PLAST_PLOT_LINE, 2, 0, 0, blue, t[1], 0},
        {PLAST_PLOT_LINE, 4, 0, 0, orange, "SGD, same segment", 0},
    };
    plast_plot_lines p = {
        .name = "cosines", .data = "cosines.csv",
        .about = "Cosines between the updates of probe pairs: same segment and different segments.",
        .title = title, .xlabel = "cosine", .ylabel = "fraction of pairs", .width = 900, .height = 520,
        .key = PLAST_PLOT_KEY_TOP_LEFT, .series = cos, .n_series = 4};
    int rc = plast_plot_save_lines(dir, &p, err);

    snprintf(title, sizeof title, "retroactive interference: %s vs online SGD", o->rule);
    snprintf(t[0], sizeof t[0], "%s (exact)", o->rule);
    snprintf(t[1], sizeof t[1], "%s (first order)", o->rule);
    const plast_plot_series inter[] = {
        {PLAST_PLOT_ERRORBARS, 2, 3, 4, blue, t[0], 0},
        {PLAST_PLOT_DASHED, 5, 0, 0, blue, t[1], 0},
        {PLAST_PLOT_ERRORBARS, 6, 7, 8, orange, "SGD (exact)", 0},
        {PLAST_PLOT_DASHED, 9, 0, 0, orange, "SGD (first order)", 0},
    };
    p = (plast_plot_lines){
        .name = "interference", .data = "interference.csv",
        .about = "Retroactive interference: loss change per online step on earlier segments, by age.",
        .title = title, .xlabel = "age of the earlier segment (segments ago)",
        .ylabel = "mean loss change per step (> 0: forgetting)", .width = 900, .height = 520,
        .key = PLAST_PLOT_KEY_RIGHT, .series = inter, .n_series = 4};
    if (!rc) rc = plast_plot_save_lines(dir, &p, err);

    for (int sgd = 0; sgd < 2 && !rc; sgd++) {
        snprintf(title, sizeof title, "update cosines, %s (%d probes per segment)", sgd ? "online SGD" : o->rule,
                 r->n_probe);
        plast_plot_heatmap h = {
            .name = sgd ? "heatmap_sgd" : "heatmap_rule", .data = sgd ? "heatmap_sgd.dat" : "heatmap_rule.dat",
            .about = "Sample x sample cosine of the updates at the end of the episode (probes grouped by segment).",
            .title = title, .n = r->n_probe_total, .diverging = 1, .lo = -1.0, .hi = 1.0};
        rc = plast_plot_save_heatmap(dir, &h, err);
    }
    if (rc || !r->has_feedback) return rc;

    /* Layers without feedback have no angle and no line. */
    plast_plot_series fb[PLAST_MAX_LAYERS];
    char names[PLAST_MAX_LAYERS][32];
    int n = 0;
    for (int l = 0; l < r->n_layers; l++) {
        if (!isfinite(r->fb_angle[l][0].mean)) continue;
        snprintf(names[n], sizeof names[n], "layer %d", l);
        fb[n] = (plast_plot_series){PLAST_PLOT_ERRORBARS, 2 + 3 * l, 3 + 3 * l, 4 + 3 * l, plast_plot_colour(n),
                                    names[n], 0};
        n++;
    }
    snprintf(title, sizeof title, "feedback alignment over the episode: %s", o->rule);
    p = (plast_plot_lines){
        .name = "feedback_angle", .data = "feedback_angle.csv",
        .about = "Angle between each layer's feedback matrix and the transposed forward pathway.",
        .title = title, .xlabel = "segments learned", .ylabel = "angle (degrees)", .width = 900,
        .height = 520, .key = PLAST_PLOT_KEY_RIGHT, .y_min = 0.0, .y_max = 180.0, .series = fb, .n_series = n};
    return plast_plot_save_lines(dir, &p, err);
}

int plast_analyze_write(const plast_an_result *r, const char *rule, const char *dir, int *n_plots,
                        plast_err *err)
{
    an_out o = {r, rule};
    heat_out hr = {&o, 0}, hs = {&o, 1};
    struct {
        const char *name;
        plast_writer w;
        const void *ctx;
    } files[] = {
        {"analysis.json", w_json, &o},          {"cosines.csv", w_hist, &o},
        {"interference.csv", w_interf, &o},     {"heatmap_rule.dat", w_heat, &hr},
        {"heatmap_sgd.dat", w_heat, &hs},       {"feedback_angle.csv", w_fb, &o},
    };
    int rc = PLAST_OK;
    size_t nf = sizeof files / sizeof files[0] - (r->has_feedback ? 0 : 1);
    for (size_t i = 0; i < nf && !rc; i++) {
        char path[4300];
        rc = plast_path_join(path, sizeof path, dir, files[i].name, err);
        if (!rc) rc = plast_write_atomic(path, files[i].w, files[i].ctx, err);
    }
    if (!rc) rc = save_plots(&o, dir, err);
    *n_plots = 0;
    const char *plots[5] = {"cosines", "interference", "heatmap_rule", "heatmap_sgd", "feedback_angle"};
    for (int i = 0; i < (r->has_feedback ? 5 : 4) && !rc; i++) {
        int rendered = 0;
        plast_err perr;
        if (!plast_plot_render(dir, plots[i], &rendered, &perr)) *n_plots += rendered;
    }
    return rc;
}
