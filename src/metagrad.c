/* metagrad.c — exact meta-gradients through the unrolled inner loop (see
 * include/plast/metagrad.h).
 *
 * One step of the double episode, as the float engine (src/episode.c) does it:
 *   forward    a_l = W_l h_{l-1} + b_l, h_l = f_l(a_l)                  (h_{-1} = x)
 *   objective  g = dl/d(out), s = -g (error) or y (teacher target)
 *   feedback   DIRECT fb_l = B_l s + c_l; CHAIN fb_l = B_l delta_{l+1} + c_l; TRANSPOSE
 *              fb_l = W_{l+1}^T delta_{l+1}; the output of a chain receives s; the delta a
 *              layer sends down is fb_l (.) f'(a_l)
 *   update     the rule's update_d of every plastic layer (W, b in place)
 * and its reverse (step_vjp): the rules' update VJPs first (they give the adjoints of the
 * signals they read), then the feedback pathway bottom-up, the objective's signal, and the
 * forward pass top-down, every product with the values before the step's update. */
#include "plast/metagrad.h"

#include "plast/layer_d.h"
#include "plast/linalg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ML PLAST_MAX_LAYERS

/* A range of the state vector that steps change (W, b of a plastic layer, a rule's tensor). */
typedef struct var_range {
    size_t off, n;
} var_range;

struct plast_metagrad {
    const plast_learner *L;
    plast_task_shape sh;
    plast_episode ep; /* the float workspace: each layer's plast_local and the rule's handles */
    int n_layers, bm, lowest;
    int n_slots;      /* stored states (slot 0: the initial one) */
    int truncate;     /* backward over the last `truncate` steps only (0: all) */
    int t_stop;       /* first step reversed in this run */
    long n_advanced;  /* steps advanced (forward sweep and replays) in the last run */
    size_t n_state, n_meta, n_var;
    int n_ranges;
    var_range range[PLAST_MAX_PSPECS]; /* at most one per tensor */
    long offW[ML], offb[ML], offB[ML], offc[ML]; /* into a state vector, -1: none */
    const plast_stream *st;
    double *meta, *S, *slot;
    double *Sbar, *Mbar;  /* the adjoints: the caller's g_state and g_meta during a run */
    double *x, *s, *sbar, *g, *gbar, *tmp, *chan, *work, *scratch;
    double *a[ML], *h[ML], *fb[ML], *dl[ML]; /* dl: chain and transposed paths only */
    double *abar[ML], *hbar[ML], *fbbar[ML], *dlbar[ML];
    /* the activation cache, when every state is stored and it fits the budget: what a step's
     * forward pass and signals computed (x, s, g, a, h, fb, dl), saved when the step is
     * advanced and read back by its VJP instead of computed again */
    double *act;
    size_t act_n;     /* doubles per step */
    unsigned char *act_ok; /* [max_steps]: step saved in this run */
    size_t bytes;
};

void plast_metagrad_delete(plast_metagrad *g)
{
    if (!g) return;
    plast_episode_free(&g->ep);
    free(g->meta), free(g->S), free(g->slot);
    free(g->x), free(g->s), free(g->sbar), free(g->g), free(g->gbar), free(g->tmp);
    free(g->chan), free(g->work), free(g->scratch), free(g->act), free(g->act_ok);
    for (int l = 0; l < g->n_layers; l++) {
        free(g->a[l]), free(g->h[l]), free(g->fb[l]), free(g->dl[l]);
        free(g->abar[l]), free(g->hbar[l]), free(g->fbbar[l]), free(g->dlbar[l]);
    }
    free(g);
}

static double *dalloc(plast_metagrad *g, size_t n, int *ok)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    g->bytes += n * sizeof *p;
    if (!p) *ok = 0;
    return p;
}

static long off_of(const plast_pset *p, const char *name, int l)
{
    const plast_pspec *q = plast_pset_find(p, name, l);
    return q ? (long)q->offset : -1;
}

/* The ranges of the state a step may change, merged where contiguous: W and b of every
 * plastic layer and every tensor the rule declared. The rest (frozen layers, B, c) stays
 * as the learner's, so a stored state holds the ranges only. */
static void var_ranges(plast_metagrad *g)
{
    const plast_net *net = &g->L->net;
    g->n_ranges = 0;
    g->n_var = 0;
    for (int k = 0; k < net->p.n; k++) {
        const plast_pspec *q = &net->p.spec[k];
        int own = k < net->n_own;
        if (own && (q->layer < 0 || !net->layer[q->layer].plastic ||
                    (strcmp(q->name, "W") && strcmp(q->name, "b"))))
            continue;
        size_t n = (size_t)q->rows * q->cols;
        var_range *last = g->n_ranges ? &g->range[g->n_ranges - 1] : NULL;
        if (last && last->off + last->n == q->offset) last->n += n;
        else g->range[g->n_ranges++] = (var_range){q->offset, n};
        g->n_var += n;
    }
}

static void pack(const plast_metagrad *g, const double *S, double *v)
{
    for (int i = 0; i < g->n_ranges; i++) {
        memcpy(v, S + g->range[i].off, g->range[i].n * sizeof *v);
        v += g->range[i].n;
    }
}

static void unpack(const plast_metagrad *g, const double *v, double *S)
{
    for (int i = 0; i < g->n_ranges; i++) {
        memcpy(S + g->range[i].off, v, g->range[i].n * sizeof *v);
        v += g->range[i].n;
    }
}

/* The fewest stored states with which no step is replayed more than once after the forward
 * sweep: n with C(n+2, 2) - 1 = (n+2)(n+1)/2 - 1 >= T, about sqrt(2T) (27 at T = 400). */
static int default_slots(int T)
{
    int n = 1;
    while ((long long)(n + 2) * (n + 1) / 2 - 1 < T) n++;
    return n;
}

plast_metagrad *plast_metagrad_new(const plast_learner *L, const plast_task_shape *sh,
                                   int n_slots, plast_err *err)
{
    const plast_rule *r = L->rule;
    const plast_net *net = &L->net;
    if (!r->update_d || !r->update_vjp_d) {
        plast_err_set(err, PLAST_E_CONFIG, "rule.name",
                      "rule '%s' has no backward: it is meta-trained by the evolution strategies, "
                      "not by meta-gradients", r->name);
        return NULL;
    }
    if (!sh->objective->loss_grad_d) {
        plast_err_set(err, PLAST_E_CONFIG, "task", "the %s objective has no gradient",
                      sh->objective->name);
        return NULL;
    }
    plast_metagrad *g = calloc(1, sizeof *g);
    if (!g) {
        plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (meta-gradient)");
        return NULL;
    }
    g->L = L;
    g->sh = *sh;
    if (plast_episode_init(&g->ep, L, sh, err)) {
        free(g);
        return NULL;
    }
    int T = sh->max_steps, nl = net->n_layers;
    /* the float episode (for the rule's handles): its copy of the state and activations */
    g->bytes = (net->p.n_floats + plast_net_work_floats(net)) * sizeof(float);
    for (int l = 0; l < nl; l++)
        g->bytes += 2 * (size_t)g->ep.acts.batch_max * net->layer[l].n_out * sizeof(float);
    g->n_layers = nl;
    g->lowest = g->ep.lowest;
    g->n_slots = n_slots > 0 ? n_slots : default_slots(T); /* the default: raised below */
    if (g->n_slots > T) g->n_slots = T > 0 ? T : 1;
    long n_query = (long)sh->n_seg * sh->n_query;
    g->bm = n_query < 32 ? (int)n_query : 32; /* query points per pass */
    if (g->bm < sh->batch) g->bm = sh->batch;
    g->n_state = net->p.n_floats;
    g->n_meta = L->meta.n_floats;
    for (int l = 0; l < nl; l++) {
        g->offW[l] = off_of(&net->p, "W", l);
        g->offb[l] = off_of(&net->p, "b", l);
        g->offB[l] = off_of(&net->p, "B", l);
        g->offc[l] = off_of(&net->p, "c", l);
    }
    var_ranges(g);
    int ok = 1, no = net->n_out;
    size_t bm = (size_t)g->bm, nb = (size_t)sh->batch, n_work = 0, n_scratch = 0, n_chan = 0;
    int chain = r->path == PLAST_PATH_CHAIN || r->path == PLAST_PATH_TRANSPOSE; /* deltas travel */
    for (int l = 0; l < nl; l++) {
        const plast_layer *ly = &net->layer[l];
        size_t w = plast_kind_work_doubles(&ly->kind), c = nb * (size_t)ly->fb_rows;
        size_t sc = ly->kind.rows && r->scratch_d_doubles
                        ? r->scratch_d_doubles(L->rule_opts, ly, sh->batch) : 0;
        n_work = w > n_work ? w : n_work;
        n_chan = c > n_chan ? c : n_chan;
        n_scratch = sc > n_scratch ? sc : n_scratch;
    }
    g->meta = dalloc(g, g->n_meta, &ok);
    g->S = dalloc(g, g->n_state, &ok);
    g->x = dalloc(g, bm * net->n_in, &ok);
    g->s = dalloc(g, nb * no, &ok), g->sbar = dalloc(g, nb * no, &ok);
    g->g = dalloc(g, bm * no, &ok), g->gbar = dalloc(g, nb * no, &ok), g->tmp = dalloc(g, nb * no, &ok);
    g->chan = dalloc(g, n_chan, &ok), g->work = dalloc(g, n_work, &ok);
    g->scratch = dalloc(g, n_scratch, &ok);
    for (int l = 0; l < nl && ok; l++) {
        size_t n = (size_t)net->layer[l].n_out;
        g->a[l] = dalloc(g, bm * n, &ok), g->h[l] = dalloc(g, bm * n, &ok);
        g->abar[l] = dalloc(g, bm * n, &ok), g->hbar[l] = dalloc(g, bm * n, &ok);
        g->fb[l] = dalloc(g, nb * n, &ok), g->fbbar[l] = dalloc(g, nb * n, &ok);
        g->dl[l] = dalloc(g, chain ? nb * n : 0, &ok), g->dlbar[l] = dalloc(g, chain ? nb * n : 0, &ok);
    }
    /* the stored states last: by default as many as the budget holds beside the rest */
    if (n_slots <= 0 && g->bytes < PLAST_METAGRAD_BUDGET) {
        size_t fit = g->n_var ? (PLAST_METAGRAD_BUDGET - g->bytes) / (g->n_var * sizeof(double)) : (size_t)T;
        if (fit > (size_t)T) fit = (size_t)T;
        if (fit > (size_t)g->n_slots) g->n_slots = (int)fit;
    }
    g->slot = dalloc(g, (size_t)g->n_slots * g->n_var, &ok);
    g->act_n = nb * ((size_t)net->n_in + 2 * (size_t)no);
    for (int l = 0; l < nl; l++) g->act_n += nb * net->layer[l].n_out * (size_t)(chain ? 4 : 3);
    if (ok && n_slots <= 0 && g->n_slots >= T && T > 0 &&
        g->bytes + (size_t)T * g->act_n * sizeof(double) <= PLAST_METAGRAD_BUDGET) {
        g->act = dalloc(g, (size_t)T * g->act_n, &ok);
        if (ok && !(g->act_ok = calloc((size_t)T, 1))) ok = 0;
    }
    if (!ok) {
        plast_metagrad_delete(g);
        plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (meta-gradient workspace)");
        return NULL;
    }
    return g;
}

void plast_metagrad_truncate(plast_metagrad *g, int k)
{
    g->truncate = k > 0 ? k : 0;
}

size_t plast_metagrad_bytes(const plast_metagrad *g)
{
    return g->bytes;
}

long plast_metagrad_steps(const plast_metagrad *g)
{
    return g->n_advanced;
}

/* ---------------- forward ---------------- */

static const double *pre_of(const plast_metagrad *g, int l)
{
    return l ? g->h[l - 1] : g->x;
}

/* a, h of every layer for x [nb][n_in] (already in g->x) from state S. */
static void forward(plast_metagrad *g, const double *S, int nb)
{
    const plast_net *net = &g->L->net;
    for (int l = 0; l < g->n_layers; l++) {
        const plast_layer *ly = &net->layer[l];
        const plast_kind *k = &ly->kind;
        size_t n = (size_t)nb * ly->n_out;
        double *a = g->a[l];
        memset(a, 0, n * sizeof *a);
        if (k->rows) plast_kind_rowbcast_d(k, S + g->offb[l], nb, 1.0, a);
        plast_kind_linear_d(k, k->rows ? S + g->offW[l] : NULL, 0, k->rows, pre_of(g, l), pre_of(g, l),
                            nb, 1.0, a, g->work);
        for (size_t i = 0; i < n; i++) g->h[l][i] = plast_act_d(ly->act, a[i]);
    }
}

static void load_x(plast_metagrad *g, const float *x, int nb)
{
    size_t n = (size_t)nb * g->L->net.n_in;
    for (size_t i = 0; i < n; i++) g->x[i] = x[i];
}

/* Direct feedback of layer l: fb [nb][n] = s B^T + c, per unit, or per channel (B has a row
 * per channel, the value shared by the channel's positions). */
static void direct_fb(plast_metagrad *g, const double *S, int l, int nb)
{
    const plast_layer *ly = &g->L->net.layer[l];
    int n = ly->n_out, C = ly->fb_rows, no = g->L->net.n_out, P = n / C;
    double *t = C == n ? g->fb[l] : g->chan; /* [nb][C] */
    plast_dgemm(0, 1, nb, C, no, 1.0, g->s, no, S + g->offB[l], no, 0.0, t, C);
    for (int bb = 0; bb < nb; bb++)
        for (int ch = 0; ch < C; ch++) t[(size_t)bb * C + ch] += S[g->offc[l] + ch];
    if (C == n) return;
    for (int bb = 0; bb < nb; bb++)
        for (int ch = 0; ch < C; ch++)
            for (int p = 0; p < P; p++) g->fb[l][(size_t)bb * n + (size_t)ch * P + p] = t[(size_t)bb * C + ch];
}

/* Chain or transposed feedback of layer l below the output: fb = the input VJP of layer
 * l+1 applied to its delta, with the untied B_l (chain: B_l [n][n_up] for a dense layer
 * above, a kernel for a conv layer above) or W_{l+1} (sgd), the routing of a pool or
 * flatten layer above, plus c_l (chain). */
static void chain_fb(plast_metagrad *g, const double *S, int l, int nb)
{
    const plast_net *net = &g->L->net;
    const plast_rule *r = g->L->rule;
    const plast_layer *ly = &net->layer[l];
    const plast_kind *up = &net->layer[l + 1].kind;
    int n = ly->n_out, nu = net->layer[l + 1].n_out;
    double *fb = g->fb[l];
    memset(fb, 0, (size_t)nb * n * sizeof *fb);
    if (!up->rows)
        plast_kind_backward_d(up, NULL, 0, 0, g->h[l], g->dl[l + 1], nb, 1.0, fb, g->work);
    else if (r->path == PLAST_PATH_CHAIN && up->type == PLAST_LAYER_DENSE)
        plast_dgemm(0, 1, nb, n, nu, 1.0, g->dl[l + 1], nu, S + g->offB[l], nu, 0.0, fb, n);
    else
        plast_kind_backward_d(up, S + (r->path == PLAST_PATH_CHAIN ? g->offB[l] : g->offW[l + 1]), 0,
                              up->rows, NULL, g->dl[l + 1], nb, 1.0, fb, g->work);
    if (r->path == PLAST_PATH_CHAIN && ly->n_c)
        for (int bb = 0; bb < nb; bb++)
            for (int i = 0; i < n; i++) fb[(size_t)bb * n + i] += S[g->offc[l] + i];
}

/* The objective's gradient g and the signal s, then each layer's feedback (and delta). */
static void signals(plast_metagrad *g, const double *S, const float *y, int nb)
{
    const plast_net *net = &g->L->net;
    const plast_rule *r = g->L->rule;
    const plast_objective *obj = g->sh.objective;
    int L = g->n_layers, no = net->n_out;
    int teacher = r->sig == PLAST_SIG_TEACHER && obj->teacher;
    for (int bb = 0; bb < nb; bb++) {
        size_t o = (size_t)bb * no;
        (void)obj->loss_grad_d(g->h[L - 1] + o, y + o, no, g->g + o);
        for (int i = 0; i < no; i++) g->s[o + i] = teacher ? y[o + i] : -g->g[o + i];
    }
    for (int l = L - 1; l >= g->lowest; l--) {
        const plast_layer *ly = &net->layer[l];
        size_t nn = (size_t)nb * ly->n_out;
        switch (r->path) {
        case PLAST_PATH_NONE:
        case PLAST_PATH_TARGET: continue; /* TARGET rules have no backward (refused above) */
        case PLAST_PATH_DIRECT:
            if (ly->n_fb) direct_fb(g, S, l, nb);
            continue;
        case PLAST_PATH_CHAIN:
        case PLAST_PATH_TRANSPOSE:
            if (l == L - 1) memcpy(g->fb[l], g->s, nn * sizeof *g->s); /* the output receives s */
            else chain_fb(g, S, l, nb);
            /* the delta sent down (a pool or flatten layer's activation is the identity) */
            for (size_t i = 0; i < nn; i++) g->dl[l][i] = g->fb[l][i] * plast_act_d1(ly->act, g->a[l][i]);
            continue;
        }
    }
}

/* The rule's double view of layer l at step values S (pre-update), adjoints in bars. */
static plast_local_d local_d(plast_metagrad *g, int l, double *S, double *Sbar, int nb)
{
    const plast_layer *ly = &g->L->net.layer[l];
    const plast_rule *r = g->L->rule;
    int has_fb = r->path != PLAST_PATH_NONE && (r->path != PLAST_PATH_DIRECT || ly->n_fb);
    int out = l == g->n_layers - 1;
    plast_local_d x = {
        .x = &g->ep.local[l], .batch = nb,
        .pre = pre_of(g, l), .post = g->h[l], .preact = g->a[l],
        .fb = has_fb ? g->fb[l] : NULL, .s = out ? g->s : NULL,
        .W = S + g->offW[l], .b = S + g->offb[l],
        .pre_bar = l ? g->hbar[l - 1] : NULL, .post_bar = g->hbar[l], .preact_bar = g->abar[l],
        .fb_bar = has_fb ? g->fbbar[l] : NULL, .s_bar = out ? g->sbar : NULL,
        .W_bar = Sbar ? Sbar + g->offW[l] : NULL, .b_bar = Sbar ? Sbar + g->offb[l] : NULL,
        .meta_f = g->L->meta.data, .meta_d = g->meta, .meta_bar = g->Mbar,
        .scratch = g->scratch, .work = g->work,
    };
    return x;
}

/* S <- the state after step t of the stream. */
static void step(plast_metagrad *g, double *S, const plast_stream *st, int t)
{
    int nb = g->sh.batch;
    load_x(g, st->x + (size_t)t * nb * g->sh.n_in, nb);
    forward(g, S, nb);
    signals(g, S, st->y + (size_t)t * nb * g->sh.n_out, nb);
    for (int l = g->n_layers - 1; l >= g->lowest; l--) {
        if (!g->L->net.layer[l].plastic) continue;
        plast_local_d xd = local_d(g, l, S, NULL, nb);
        g->L->rule->update_d(&xd);
    }
}

/* The activation cache of step t: save (what step t's forward pass and signals left in the
 * buffers) or load (put them back for its VJP). */
static void act_copy(plast_metagrad *g, int t, int save)
{
    const plast_net *net = &g->L->net;
    size_t nb = (size_t)g->sh.batch, no = (size_t)net->n_out;
    double *c = g->act + (size_t)t * g->act_n;
    double *buf[3 + 4 * ML];
    size_t len[3 + 4 * ML];
    int k = 0;
    buf[k] = g->x, len[k++] = nb * net->n_in;
    buf[k] = g->s, len[k++] = nb * no;
    buf[k] = g->g, len[k++] = nb * no;
    int chain = g->L->rule->path == PLAST_PATH_CHAIN || g->L->rule->path == PLAST_PATH_TRANSPOSE;
    for (int l = 0; l < g->n_layers; l++) {
        size_t n = nb * net->layer[l].n_out;
        buf[k] = g->a[l], len[k++] = n;
        buf[k] = g->h[l], len[k++] = n;
        buf[k] = g->fb[l], len[k++] = n;
        if (chain) buf[k] = g->dl[l], len[k++] = n;
    }
    for (int i = 0; i < k; i++) {
        if (save) memcpy(c, buf[i], len[i] * sizeof *c);
        else memcpy(buf[i], c, len[i] * sizeof *c);
        c += len[i];
    }
    if (save) g->act_ok[t] = 1;
}

/* ---------------- reverse ---------------- */

static void zero(double *p, size_t n)
{
    memset(p, 0, n * sizeof *p);
}

/* Backward through the forward pass: from hbar (and abar) of every layer to W, b and the
 * layers below; S holds the values the forward pass used. */
static void forward_vjp(plast_metagrad *g, const double *S, double *Sbar, int nb)
{
    const plast_net *net = &g->L->net;
    for (int l = g->n_layers - 1; l >= 0; l--) {
        const plast_layer *ly = &net->layer[l];
        const plast_kind *k = &ly->kind;
        double *ab = g->abar[l];
        for (size_t i = 0; i < (size_t)nb * ly->n_out; i++)
            ab[i] += g->hbar[l][i] * plast_act_d1(ly->act, g->a[l][i]);
        const double *pre = pre_of(g, l);
        if (k->rows) {
            plast_kind_rowdot_d(k, ab, NULL, nb, 1.0, Sbar + g->offb[l]);
            plast_kind_outer_d(k, ab, pre, nb, 0, k->rows, 1.0, 1.0, Sbar + g->offW[l], g->work);
        }
        if (l)
            plast_kind_backward_d(k, k->rows ? S + g->offW[l] : NULL, 0, k->rows, pre, ab, nb, 1.0,
                                  g->hbar[l - 1], g->work);
    }
}

/* The adjoint of direct_fb: fbbar of layer l to B, c and s. */
static void direct_fb_vjp(plast_metagrad *g, const double *S, double *Sbar, int l, int nb)
{
    const plast_layer *ly = &g->L->net.layer[l];
    int n = ly->n_out, C = ly->fb_rows, no = g->L->net.n_out, P = n / C;
    const double *tb = g->fbbar[l]; /* [nb][C] */
    if (C != n) {
        for (int bb = 0; bb < nb; bb++)
            for (int ch = 0; ch < C; ch++) {
                double v = 0.0;
                for (int p = 0; p < P; p++) v += g->fbbar[l][(size_t)bb * n + (size_t)ch * P + p];
                g->chan[(size_t)bb * C + ch] = v;
            }
        tb = g->chan;
    }
    for (int bb = 0; bb < nb; bb++)
        for (int ch = 0; ch < C; ch++) Sbar[g->offc[l] + ch] += tb[(size_t)bb * C + ch];
    /* B_bar += tb^T s; s_bar += tb B */
    plast_dgemm(1, 0, C, no, nb, 1.0, tb, C, g->s, no, 1.0, Sbar + g->offB[l], no);
    plast_dgemm(0, 0, nb, no, C, 1.0, tb, C, S + g->offB[l], no, 1.0, g->sbar, no);
}

/* The adjoint of chain_fb: fbbar of layer l to c_l, to B_l or W_{l+1} (sgd: the second-order
 * term) and to the delta of layer l+1. */
static void chain_fb_vjp(plast_metagrad *g, const double *S, double *Sbar, int l, int nb)
{
    const plast_net *net = &g->L->net;
    const plast_rule *r = g->L->rule;
    const plast_layer *ly = &net->layer[l];
    const plast_kind *up = &net->layer[l + 1].kind;
    int n = ly->n_out, nu = net->layer[l + 1].n_out;
    const double *fbb = g->fbbar[l], *du = g->dl[l + 1];
    double *dub = g->dlbar[l + 1];
    if (r->path == PLAST_PATH_CHAIN && ly->n_c)
        for (int bb = 0; bb < nb; bb++)
            for (int i = 0; i < n; i++) Sbar[g->offc[l] + i] += fbb[(size_t)bb * n + i];
    if (!up->rows) {
        plast_kind_linear_d(up, NULL, 0, 0, g->h[l], fbb, nb, 1.0, dub, g->work);
    } else if (r->path == PLAST_PATH_CHAIN && up->type == PLAST_LAYER_DENSE) {
        /* fb = du B^T: B_bar += fb_bar^T du, du_bar += fb_bar B */
        plast_dgemm(1, 0, n, nu, nb, 1.0, fbb, n, du, nu, 1.0, Sbar + g->offB[l], nu);
        plast_dgemm(0, 0, nb, nu, n, 1.0, fbb, n, S + g->offB[l], nu, 1.0, dub, nu);
    } else { /* fb = K^T du with the kernel K: K_bar += du (x) fb_bar, du_bar += K fb_bar */
        long off = r->path == PLAST_PATH_CHAIN ? g->offB[l] : g->offW[l + 1];
        plast_kind_outer_d(up, du, fbb, nb, 0, up->rows, 1.0, 1.0, Sbar + off, g->work);
        plast_kind_linear_d(up, S + off, 0, up->rows, NULL, fbb, nb, 1.0, dub, g->work);
    }
}

/* Sbar: adjoint of S_{t+1} in, of S_t out; Mbar accumulates. S: the state S_t. */
static void step_vjp(plast_metagrad *g, double *S, double *Sbar, const plast_stream *st, int t)
{
    const plast_net *net = &g->L->net;
    const plast_rule *r = g->L->rule;
    const plast_objective *obj = g->sh.objective;
    int L = g->n_layers, no = net->n_out, nb = g->sh.batch;
    const float *y = st->y + (size_t)t * nb * no;
    if (g->act && g->act_ok[t]) {
        act_copy(g, t, 0); /* the same bits as computing them again */
    } else {
        load_x(g, st->x + (size_t)t * nb * g->sh.n_in, nb);
        forward(g, S, nb);
        signals(g, S, y, nb);
    }
    for (int l = 0; l < L; l++) {
        size_t n = (size_t)nb * net->layer[l].n_out;
        zero(g->abar[l], n), zero(g->hbar[l], n), zero(g->fbbar[l], n);
        if (r->path == PLAST_PATH_CHAIN || r->path == PLAST_PATH_TRANSPOSE) zero(g->dlbar[l], n);
    }
    zero(g->sbar, (size_t)nb * no);
    /* 1. the updates: W_bar, b_bar of the new state become those of the old (direct path);
     *    the signals' adjoints accumulate */
    for (int l = L - 1; l >= g->lowest; l--) {
        if (!net->layer[l].plastic) continue;
        plast_local_d xd = local_d(g, l, S, Sbar, nb);
        r->update_vjp_d(&xd);
    }
    /* 2. the feedback pathway, bottom-up (a layer's fb_bar is complete before it is used) */
    for (int l = g->lowest; l < L && r->path != PLAST_PATH_NONE; l++) {
        const plast_layer *ly = &net->layer[l];
        size_t nn = (size_t)nb * ly->n_out;
        if (r->path == PLAST_PATH_DIRECT) {
            if (ly->n_fb) direct_fb_vjp(g, S, Sbar, l, nb);
            continue;
        }
        if (l > g->lowest) /* delta_l = fb_l f'(a_l): its adjoint to fb_l and a_l */
            for (size_t i = 0; i < nn; i++) {
                double d = g->dlbar[l][i];
                g->fbbar[l][i] += d * plast_act_d1(ly->act, g->a[l][i]);
                g->abar[l][i] += d * g->fb[l][i] * plast_act_d2(ly->act, g->a[l][i]);
            }
        if (l == L - 1)
            for (size_t i = 0; i < nn; i++) g->sbar[i] += g->fbbar[l][i];
        else
            chain_fb_vjp(g, S, Sbar, l, nb);
    }
    /* 3. the signal: s = -g(out) (error) or the target (no adjoint) */
    int teacher = r->sig == PLAST_SIG_TEACHER && obj->teacher;
    if (!teacher)
        for (int bb = 0; bb < nb; bb++) {
            size_t o = (size_t)bb * no;
            for (int i = 0; i < no; i++) g->gbar[o + i] = -g->sbar[o + i];
            obj->hvp_d(g->h[L - 1] + o, y + o, no, g->gbar + o, g->tmp + o);
            for (int i = 0; i < no; i++) g->hbar[L - 1][o + i] += g->tmp[o + i];
        }
    /* 4. the forward pass */
    forward_vjp(g, S, Sbar, nb);
}

/* The query loss of state S and, when Sbar is not NULL, its gradient into Sbar. */
static double query(plast_metagrad *g, const double *S, double *Sbar, const plast_stream *s)
{
    const plast_task_shape *sh = &g->sh;
    int ni = sh->n_in, no = sh->n_out, L = g->n_layers;
    long total = (long)sh->n_seg * sh->n_query;
    double loss = 0.0;
    for (long start = 0; start < total; start += g->bm) {
        int nb = (int)(total - start < g->bm ? total - start : g->bm);
        load_x(g, s->qx + (size_t)start * ni, nb);
        forward(g, S, nb);
        const float *y = s->qy + (size_t)start * no;
        for (int bb = 0; bb < nb; bb++)
            loss += g->sh.objective->loss_grad_d(g->h[L - 1] + (size_t)bb * no, y + (size_t)bb * no,
                                                 no, g->g + (size_t)bb * no);
        if (!Sbar) continue;
        for (int l = 0; l < L; l++) {
            size_t n = (size_t)nb * g->L->net.layer[l].n_out;
            zero(g->abar[l], n), zero(g->hbar[l], n);
        }
        for (size_t i = 0; i < (size_t)nb * no; i++) g->hbar[L - 1][i] = g->g[i] / (double)total;
        forward_vjp(g, S, Sbar, nb);
    }
    return loss / (double)total;
}

double plast_metagrad_loss(plast_metagrad *g, const plast_stream *s, const double *state,
                           const double *meta)
{
    memcpy(g->S, state, g->n_state * sizeof *g->S);
    memcpy(g->meta, meta, g->n_meta * sizeof *g->meta);
    for (int t = 0; t < s->n_steps; t++) step(g, g->S, s, t);
    return query(g, g->S, NULL, s);
}

/* ---------------- the schedule: binomial checkpointing ----------------
 * States are stored in slots (the ranges a step changes); the work state S holds the one
 * being stepped. A span of n steps whose first state is in slot `at`, with s more slots
 * free, is split: its first m steps are advanced and their end state stored in slot at+1,
 * the last n - m steps reversed (recursively, s - 1 free slots), then the first m (s free
 * slots again). The split follows the binomial bound (Griewank & Walther, "Algorithm 799:
 * revolve"): with s free slots, a span where the work state must first reach the end (the
 * forward sweep: `sweep`) holds up to C(s+r+1, s+1) - 1 steps, and one whose end adjoint is
 * known (`later`) C(s+r+1, s+1), when no step is advanced more than r times in all. The
 * first part is m = C(s+r-1, s+1) clipped to what both parts can hold, which advanced as
 * few steps as an exhaustive search over every m (checked for spans up to 400 steps and 28
 * slots). Every reversed step sees the same state bits whatever the number of slots, so the
 * gradient does not depend on it. */

/* C(a, b), saturated at 2^40 (far above any episode's length). */
static long long binom(int a, int b)
{
    const long long cap = 1LL << 40;
    if (b < 0 || b > a) return 0;
    if (b > a - b) b = a - b;
    long long c = 1;
    for (int i = 1; i <= b; i++) {
        if (c > cap / (a - b + i)) return cap;
        c = c * (a - b + i) / i;
    }
    return c;
}

/* Steps a later span reverses with s free slots, each advanced at most q times. */
static long long span_later(int s, int q)
{
    return q < 0 ? 0 : binom(s + q + 1, s + 1);
}

/* The first part m of a span of n >= 2 steps with s >= 1 free slots (sweep: the forward
 * sweep has not passed it yet). */
static int split(int n, int s, int sweep)
{
    int q = 1;
    while (span_later(s, q) - sweep < n) q++;
    long long lo = n - (span_later(s - 1, q) - sweep), hi = span_later(s, q - 1);
    long long m = span_later(s, q - 2);
    if (m < lo) m = lo;
    if (m > hi) m = hi;
    if (m > n - 1) m = n - 1;
    return m < 1 ? 1 : (int)m;
}

static double *slot_at(plast_metagrad *g, int i)
{
    return g->slot + (size_t)i * g->n_var;
}

static void advance(plast_metagrad *g, int t0, int n)
{
    for (int t = t0; t < t0 + n; t++) {
        step(g, g->S, g->st, t);
        if (g->act) act_copy(g, t, 1);
    }
    g->n_advanced += n;
}

/* Reverses steps t0..t0+n-1 (those from t_stop on); S_{t0} is in slot at, s slots free
 * after it, Sbar holds the adjoint of S_{t0+n}. */
static void later(plast_metagrad *g, int t0, int n, int at, int s)
{
    while (n > 1 && s > 0 && t0 + n > g->t_stop) {
        int m = split(n, s, 0);
        unpack(g, slot_at(g, at), g->S);
        advance(g, t0, m);
        pack(g, g->S, slot_at(g, at + 1));
        later(g, t0 + m, n - m, at + 1, s - 1);
        n = m;
    }
    for (int i = n - 1; i >= 0 && t0 + i >= g->t_stop; i--) { /* no slot left: from S_{t0} */
        unpack(g, slot_at(g, at), g->S);
        advance(g, t0, i);
        step_vjp(g, g->S, g->Sbar, g->st, t0 + i);
    }
}

/* The forward sweep from S_{t0} (in S and in slot at) to the end: stores states on the way,
 * takes the query loss and its gradient at the end, and reverses every step. */
static double sweep(plast_metagrad *g, int t0, int n, int at, int s)
{
    if (n > 1 && s > 0) {
        int m = split(n, s, 1);
        advance(g, t0, m);
        pack(g, g->S, slot_at(g, at + 1));
        double loss = sweep(g, t0 + m, n - m, at + 1, s - 1);
        later(g, t0, m, at, s);
        return loss;
    }
    advance(g, t0, n);
    zero(g->Sbar, g->n_state);
    double loss = query(g, g->S, g->Sbar, g->st);
    later(g, t0, n, at, 0);
    return loss;
}

void plast_metagrad_run(plast_metagrad *g, const plast_stream *s, double *loss, double *g_state,
                        double *g_meta)
{
    const plast_learner *L = g->L;
    int T = s->n_steps;
    for (size_t i = 0; i < g->n_state; i++) g->S[i] = L->net.p.data[i];
    for (size_t i = 0; i < g->n_meta; i++) g->meta[i] = L->meta.data[i];
    g->Sbar = g_state, g->Mbar = g_meta; /* accumulated in place */
    zero(g->Mbar, g->n_meta);
    g->st = s;
    g->t_stop = g->truncate && g->truncate < T ? T - g->truncate : 0;
    g->n_advanced = 0;
    if (g->act) memset(g->act_ok, 0, (size_t)g->sh.max_steps);
    pack(g, g->S, slot_at(g, 0));
    *loss = sweep(g, 0, T, 0, g->n_slots - 1);
    g->Sbar = g->Mbar = NULL;
}

double plast_metagrad_fd(plast_metagrad *g, const plast_stream *s, const double *th,
                         const double *v, double *tp)
{
    size_t ns = g->n_state, n = ns + g->n_meta;
    double d[2];
    for (int q = 0; q < 2; q++) {
        double h = q ? 5e-6 : 1e-5, l[2];
        for (int sg = 0; sg < 2; sg++) {
            for (size_t i = 0; i < n; i++) tp[i] = th[i] + (sg ? -h : h) * v[i];
            l[sg] = plast_metagrad_loss(g, s, tp, tp + ns);
        }
        d[q] = (l[0] - l[1]) / (2 * h);
    }
    return (4.0 * d[1] - d[0]) / 3.0; /* Richardson: O(h^4) */
}

double plast_metagrad_check(plast_metagrad *g, const plast_stream *s, int n_dirs, plast_rng *r,
                            double *loss, double *gnorm)
{
    size_t ns = g->n_state, n = ns + g->n_meta;
    double *gr = malloc(n * sizeof *gr), *th = malloc(n * sizeof *th);
    double *v = malloc(n * sizeof *v), *tp = malloc(n * sizeof *tp);
    if (!gr || !th || !v || !tp) {
        free(gr), free(th), free(v), free(tp);
        return NAN;
    }
    plast_metagrad_run(g, s, loss, gr, gr + ns);
    for (size_t i = 0; i < ns; i++) th[i] = g->L->net.p.data[i];
    for (size_t i = 0; i < g->n_meta; i++) th[ns + i] = g->L->meta.data[i];
    double worst = 0.0, nn = 0.0;
    for (size_t i = 0; i < n; i++) nn += gr[i] * gr[i];
    *gnorm = sqrt(nn);
    for (int q = 0; q < n_dirs; q++) {
        double gv = 0.0, vv = 0.0; /* a unit direction: the steps stay 1e-5 long */
        for (size_t i = 0; i < n; i++) v[i] = plast_rng_normal(r), vv += v[i] * v[i];
        for (size_t i = 0; i < n; i++) v[i] /= sqrt(vv), gv += gr[i] * v[i];
        double fd = plast_metagrad_fd(g, s, th, v, tp);
        double e = fabs(fd - gv) / fmax(fabs(gv), 1e-300);
        worst = e > worst || isnan(e) ? e : worst;
    }
    free(gr), free(th), free(v), free(tp);
    return worst;
}
