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

#include "plast/linalg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ML PLAST_MAX_LAYERS

struct plast_metagrad {
    const plast_learner *L;
    plast_task_shape sh;
    plast_episode ep; /* the float workspace: each layer's plast_local and the rule's handles */
    int n_layers, k, bm, lowest;
    int truncate;     /* backward over the last `truncate` steps only (0: all) */
    size_t n_state, n_meta, n_ckpt;
    long offW[ML], offb[ML], offB[ML], offc[ML]; /* into a state vector, -1: none */
    double *meta, *S, *ckpt, *seg, *Sbar, *Mbar;
    double *x, *s, *sbar, *g, *gbar, *tmp;
    double *a[ML], *h[ML], *fb[ML], *dl[ML];
    double *abar[ML], *hbar[ML], *fbbar[ML], *dlbar[ML];
    double *scratch[ML];
    size_t bytes;
};

void plast_metagrad_delete(plast_metagrad *g)
{
    if (!g) return;
    plast_episode_free(&g->ep);
    free(g->meta), free(g->S), free(g->ckpt), free(g->seg), free(g->Sbar), free(g->Mbar);
    free(g->x), free(g->s), free(g->sbar), free(g->g), free(g->gbar), free(g->tmp);
    for (int l = 0; l < g->n_layers; l++) {
        free(g->a[l]), free(g->h[l]), free(g->fb[l]), free(g->dl[l]);
        free(g->abar[l]), free(g->hbar[l]), free(g->fbbar[l]), free(g->dlbar[l]), free(g->scratch[l]);
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

plast_metagrad *plast_metagrad_new(const plast_learner *L, const plast_task_shape *sh,
                                   int ckpt_every, plast_err *err)
{
    const plast_rule *r = L->rule;
    const plast_net *net = &L->net;
    if (!r->update_d || !r->update_vjp_d) {
        plast_err_set(err, PLAST_E_CONFIG, "rule.name",
                      "rule '%s' has no backward: it is meta-trained by the evolution strategies, "
                      "not by meta-gradients", r->name);
        return NULL;
    }
    for (int l = 0; l < net->n_layers; l++)
        if (net->layer[l].kind.type != PLAST_LAYER_DENSE) {
            char where[64];
            snprintf(where, sizeof where, "net.layers[%d]", l);
            plast_err_set(err, PLAST_E_CONFIG, where,
                          "meta-gradients take dense networks for now (layer %d is %s)", l,
                          plast_layer_names[net->layer[l].kind.type]);
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
    g->n_layers = nl;
    g->lowest = g->ep.lowest;
    g->k = ckpt_every > 0 ? ckpt_every : (int)ceil(sqrt((double)T));
    if (g->k > T) g->k = T;
    g->n_ckpt = (size_t)(T + g->k - 1) / g->k + 1;
    long n_query = (long)sh->n_seg * sh->n_query;
    g->bm = sh->batch > 64 ? sh->batch : (n_query < 64 ? (int)n_query : 64);
    if (g->bm < sh->batch) g->bm = sh->batch;
    g->n_state = net->p.n_floats;
    g->n_meta = L->meta.n_floats;
    for (int l = 0; l < nl; l++) {
        g->offW[l] = off_of(&net->p, "W", l);
        g->offb[l] = off_of(&net->p, "b", l);
        g->offB[l] = off_of(&net->p, "B", l);
        g->offc[l] = off_of(&net->p, "c", l);
    }
    int ok = 1, no = net->n_out;
    size_t bm = (size_t)g->bm;
    g->meta = dalloc(g, g->n_meta, &ok);
    g->S = dalloc(g, g->n_state, &ok);
    g->ckpt = dalloc(g, g->n_ckpt * g->n_state, &ok);
    g->seg = dalloc(g, ((size_t)g->k + 1) * g->n_state, &ok);
    g->Sbar = dalloc(g, g->n_state, &ok);
    g->Mbar = dalloc(g, g->n_meta, &ok);
    g->x = dalloc(g, bm * net->n_in, &ok);
    g->s = dalloc(g, bm * no, &ok), g->sbar = dalloc(g, bm * no, &ok);
    g->g = dalloc(g, bm * no, &ok), g->gbar = dalloc(g, bm * no, &ok), g->tmp = dalloc(g, bm * no, &ok);
    for (int l = 0; l < nl && ok; l++) {
        size_t n = bm * net->layer[l].n_out;
        g->a[l] = dalloc(g, n, &ok), g->h[l] = dalloc(g, n, &ok);
        g->fb[l] = dalloc(g, n, &ok), g->dl[l] = dalloc(g, n, &ok);
        g->abar[l] = dalloc(g, n, &ok), g->hbar[l] = dalloc(g, n, &ok);
        g->fbbar[l] = dalloc(g, n, &ok), g->dlbar[l] = dalloc(g, n, &ok);
        g->scratch[l] = dalloc(g, r->scratch_d_doubles ? r->scratch_d_doubles(L->rule_opts, &net->layer[l], sh->batch) : 0, &ok);
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

/* ---------------- forward ---------------- */

/* a, h of every layer for x [nb][n_in] (already in g->x) from state S. */
static void forward(plast_metagrad *g, const double *S, int nb)
{
    const plast_net *net = &g->L->net;
    const double *in = g->x;
    for (int l = 0; l < g->n_layers; l++) {
        const plast_layer *ly = &net->layer[l];
        int ni = ly->n_in, no = ly->n_out;
        const double *W = S + g->offW[l], *b = S + g->offb[l];
        double *a = g->a[l];
        for (int bb = 0; bb < nb; bb++) memcpy(a + (size_t)bb * no, b, (size_t)no * sizeof *a);
        plast_dgemm(0, 1, nb, no, ni, 1.0, in, ni, W, ni, 1.0, a, no); /* a += x W^T */
        for (size_t i = 0; i < (size_t)nb * no; i++) g->h[l][i] = plast_act_d(ly->act, a[i]);
        in = g->h[l];
    }
}

static void load_x(plast_metagrad *g, const float *x, int nb)
{
    size_t n = (size_t)nb * g->L->net.n_in;
    for (size_t i = 0; i < n; i++) g->x[i] = x[i];
}

static const double *pre_of(const plast_metagrad *g, int l)
{
    return l ? g->h[l - 1] : g->x;
}

/* The objective's gradient g and the signal s, then each layer's feedback (and delta). */
static void signals(plast_metagrad *g, const double *S, const float *y, int nb, double *loss)
{
    const plast_net *net = &g->L->net;
    const plast_rule *r = g->L->rule;
    const plast_objective *obj = g->sh.objective;
    int L = g->n_layers, no = net->n_out;
    int teacher = r->sig == PLAST_SIG_TEACHER && obj->teacher;
    double sum = 0.0;
    for (int bb = 0; bb < nb; bb++) {
        size_t o = (size_t)bb * no;
        sum += obj->loss_grad_d(g->h[L - 1] + o, y + o, no, g->g + o);
        for (int i = 0; i < no; i++) g->s[o + i] = teacher ? y[o + i] : -g->g[o + i];
    }
    if (loss) *loss = sum / nb;
    for (int l = L - 1; l >= g->lowest; l--) {
        const plast_layer *ly = &net->layer[l];
        int n = ly->n_out;
        size_t nn = (size_t)nb * n;
        double *fb = g->fb[l];
        switch (r->path) {
        case PLAST_PATH_NONE:
        case PLAST_PATH_TARGET: continue; /* TARGET rules have no backward (refused above) */
        case PLAST_PATH_DIRECT:
            if (!ly->n_fb) continue;
            /* fb [batch][n] = s [batch][n_out] B^T + c */
            plast_dgemm(0, 1, nb, n, no, 1.0, g->s, no, S + g->offB[l], no, 0.0, fb, n);
            for (int bb = 0; bb < nb; bb++)
                for (int i = 0; i < n; i++) fb[(size_t)bb * n + i] += S[g->offc[l] + i];
            continue;
        case PLAST_PATH_CHAIN:
        case PLAST_PATH_TRANSPOSE:
            if (l == L - 1) {
                memcpy(fb, g->s, nn * sizeof *fb);
            } else {
                int nu = net->layer[l + 1].n_out;
                const double *du = g->dl[l + 1];
                if (r->path == PLAST_PATH_CHAIN) { /* fb = delta_{l+1} B^T + c, B [n][nu] */
                    plast_dgemm(0, 1, nb, n, nu, 1.0, du, nu, S + g->offB[l], nu, 0.0, fb, n);
                    for (int bb = 0; bb < nb; bb++)
                        for (int i = 0; i < n; i++) fb[(size_t)bb * n + i] += S[g->offc[l] + i];
                } else { /* fb = delta_{l+1} W_{l+1} */
                    plast_dgemm(0, 0, nb, n, nu, 1.0, du, nu, S + g->offW[l + 1], n, 0.0, fb, n);
                }
            }
            for (size_t i = 0; i < nn; i++) g->dl[l][i] = fb[i] * plast_act_d1(ly->act, g->a[l][i]);
            continue;
        }
    }
}

/* The rule's double view of layer l at step values S (pre-update), adjoints in bars. */
static plast_local_d local_d(plast_metagrad *g, int l, double *S, double *Sbar, int nb)
{
    const plast_net *net = &g->L->net;
    const plast_layer *ly = &net->layer[l];
    const plast_rule *r = g->L->rule;
    int has_fb = r->path != PLAST_PATH_NONE && (r->path != PLAST_PATH_DIRECT || ly->n_fb);
    plast_local_d x = {
        .x = &g->ep.local[l], .batch = nb,
        .pre = pre_of(g, l), .post = g->h[l], .preact = g->a[l],
        .fb = has_fb ? g->fb[l] : NULL, .s = l == g->n_layers - 1 ? g->s : NULL,
        .W = S + g->offW[l], .b = S + g->offb[l],
        .pre_bar = l ? g->hbar[l - 1] : NULL, .post_bar = g->hbar[l], .preact_bar = g->abar[l],
        .fb_bar = has_fb ? g->fbbar[l] : NULL, .s_bar = l == g->n_layers - 1 ? g->sbar : NULL,
        .W_bar = Sbar ? Sbar + g->offW[l] : NULL, .b_bar = Sbar ? Sbar + g->offb[l] : NULL,
        .meta_f = g->L->meta.data, .meta_d = g->meta, .meta_bar = g->Mbar,
        .scratch = g->scratch[l],
    };
    (void)net;
    return x;
}

/* S <- the state after one step on (x, y). */
static void step(plast_metagrad *g, double *S, const float *x, const float *y, int nb)
{
    load_x(g, x, nb);
    forward(g, S, nb);
    signals(g, S, y, nb, NULL);
    for (int l = g->n_layers - 1; l >= g->lowest; l--) {
        if (!g->L->net.layer[l].plastic) continue;
        plast_local_d xd = local_d(g, l, S, NULL, nb);
        g->L->rule->update_d(&xd);
    }
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
        int ni = ly->n_in, no = ly->n_out;
        double *ab = g->abar[l];
        for (size_t i = 0; i < (size_t)nb * no; i++) ab[i] += g->hbar[l][i] * plast_act_d1(ly->act, g->a[l][i]);
        const double *pre = pre_of(g, l), *W = S + g->offW[l];
        double *bb_ = Sbar + g->offb[l];
        for (int bb = 0; bb < nb; bb++)
            for (int i = 0; i < no; i++) bb_[i] += ab[(size_t)bb * no + i];
        /* W_bar += a_bar^T pre; h_bar_{l-1} += a_bar W */
        plast_dgemm(1, 0, no, ni, nb, 1.0, ab, no, pre, ni, 1.0, Sbar + g->offW[l], ni);
        if (l) plast_dgemm(0, 0, nb, ni, no, 1.0, ab, no, W, ni, 1.0, g->hbar[l - 1], ni);
    }
}

/* Sbar: adjoint of S_{t+1} in, of S_t out; Mbar accumulates. S: the state S_t. */
static void step_vjp(plast_metagrad *g, double *S, double *Sbar, const float *x, const float *y,
                     int nb)
{
    const plast_net *net = &g->L->net;
    const plast_rule *r = g->L->rule;
    const plast_objective *obj = g->sh.objective;
    int L = g->n_layers, no = net->n_out;
    load_x(g, x, nb);
    forward(g, S, nb);
    signals(g, S, y, nb, NULL);
    for (int l = 0; l < L; l++) {
        size_t n = (size_t)nb * net->layer[l].n_out;
        zero(g->abar[l], n), zero(g->hbar[l], n), zero(g->fbbar[l], n), zero(g->dlbar[l], n);
    }
    zero(g->sbar, (size_t)nb * no);
    /* 1. the updates: W_bar, b_bar of the new state become those of the old (direct path);
     *    the signals' adjoints accumulate */
    for (int l = L - 1; l >= g->lowest; l--) {
        if (!net->layer[l].plastic) continue;
        plast_local_d xd = local_d(g, l, S, Sbar, nb);
        r->update_vjp_d(&xd);
    }
    /* 2. the feedback pathway, bottom-up (a layer's fb is complete before it is used) */
    if (r->path == PLAST_PATH_DIRECT) {
        for (int l = g->lowest; l < L; l++) {
            const plast_layer *ly = &net->layer[l];
            if (!ly->n_fb) continue;
            int n = ly->n_out;
            const double *fbb = g->fbbar[l];
            for (int bb = 0; bb < nb; bb++)
                for (int i = 0; i < n; i++) Sbar[g->offc[l] + i] += fbb[(size_t)bb * n + i];
            /* B_bar += fb_bar^T s; s_bar += fb_bar B */
            plast_dgemm(1, 0, n, no, nb, 1.0, fbb, n, g->s, no, 1.0, Sbar + g->offB[l], no);
            plast_dgemm(0, 0, nb, no, n, 1.0, fbb, n, S + g->offB[l], no, 1.0, g->sbar, no);
        }
    } else if (r->path != PLAST_PATH_NONE) {
        for (int l = g->lowest; l < L; l++) {
            const plast_layer *ly = &net->layer[l];
            int n = ly->n_out;
            size_t nn = (size_t)nb * n;
            if (l > g->lowest) /* delta_l = fb_l f'(a_l): its adjoint to fb_l and a_l */
                for (size_t i = 0; i < nn; i++) {
                    double d = g->dlbar[l][i];
                    g->fbbar[l][i] += d * plast_act_d1(ly->act, g->a[l][i]);
                    g->abar[l][i] += d * g->fb[l][i] * plast_act_d2(ly->act, g->a[l][i]);
                }
            if (l == L - 1) { /* the output of a chain receives s */
                for (size_t i = 0; i < nn; i++) g->sbar[i] += g->fbbar[l][i];
                continue;
            }
            int nu = net->layer[l + 1].n_out;
            const double *fbb = g->fbbar[l], *du = g->dl[l + 1];
            if (r->path == PLAST_PATH_CHAIN) {
                /* fb = du B^T + c: c_bar, B_bar += fb_bar^T du, du_bar += fb_bar B */
                for (int bb = 0; bb < nb; bb++)
                    for (int i = 0; i < n; i++) Sbar[g->offc[l] + i] += fbb[(size_t)bb * n + i];
                plast_dgemm(1, 0, n, nu, nb, 1.0, fbb, n, du, nu, 1.0, Sbar + g->offB[l], nu);
                plast_dgemm(0, 0, nb, nu, n, 1.0, fbb, n, S + g->offB[l], nu, 1.0, g->dlbar[l + 1], nu);
            } else {
                /* fb = du W_{l+1}: the second-order term. W_bar += du^T fb_bar,
                 * du_bar += fb_bar W^T */
                plast_dgemm(1, 0, nu, n, nb, 1.0, du, nu, fbb, n, 1.0, Sbar + g->offW[l + 1], n);
                plast_dgemm(0, 1, nb, nu, n, 1.0, fbb, n, S + g->offW[l + 1], n, 1.0, g->dlbar[l + 1], nu);
            }
        }
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
    int nb = g->sh.batch, ni = g->sh.n_in, no = g->sh.n_out;
    for (int t = 0; t < s->n_steps; t++)
        step(g, g->S, s->x + (size_t)t * nb * ni, s->y + (size_t)t * nb * no, nb);
    return query(g, g->S, NULL, s);
}

void plast_metagrad_run(plast_metagrad *g, const plast_stream *s, double *loss, double *g_state,
                        double *g_meta)
{
    const plast_learner *L = g->L;
    int nb = g->sh.batch, ni = g->sh.n_in, no = g->sh.n_out, T = s->n_steps, k = g->k;
    size_t n = g->n_state;
    for (size_t i = 0; i < n; i++) g->S[i] = L->net.p.data[i];
    for (size_t i = 0; i < g->n_meta; i++) g->meta[i] = L->meta.data[i];
    /* forward sweep, a checkpoint every k steps */
    for (int t = 0; t < T; t++) {
        if (t % k == 0) memcpy(g->ckpt + (size_t)(t / k) * n, g->S, n * sizeof *g->S);
        step(g, g->S, s->x + (size_t)t * nb * ni, s->y + (size_t)t * nb * no, nb);
    }
    zero(g->Sbar, n);
    zero(g->Mbar, g->n_meta);
    *loss = query(g, g->S, g->Sbar, s);
    /* backward sweep: each segment recomputed from its checkpoint, then reversed */
    int t_stop = g->truncate && g->truncate < T ? T - g->truncate : 0; /* first step reversed */
    for (int seg = (T - 1) / k; T > 0 && seg >= 0 && (seg + 1) * k > t_stop; seg--) {
        int t0 = seg * k, t1 = t0 + k < T ? t0 + k : T;
        memcpy(g->seg, g->ckpt + (size_t)seg * n, n * sizeof *g->seg);
        for (int t = t0; t < t1 - 1; t++) {
            double *next = g->seg + (size_t)(t - t0 + 1) * n;
            memcpy(next, next - n, n * sizeof *next);
            step(g, next, s->x + (size_t)t * nb * ni, s->y + (size_t)t * nb * no, nb);
        }
        for (int t = t1 - 1; t >= t0 && t >= t_stop; t--)
            step_vjp(g, g->seg + (size_t)(t - t0) * n, g->Sbar, s->x + (size_t)t * nb * ni,
                     s->y + (size_t)t * nb * no, nb);
    }
    memcpy(g_state, g->Sbar, n * sizeof *g_state);
    memcpy(g_meta, g->Mbar, g->n_meta * sizeof *g_meta);
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
