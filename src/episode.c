/* episode.c — the inner loop (see include/plast/episode.h).
 *
 * One step, for a minibatch x [batch][n_in] with targets y [batch][n_out]:
 *   1. forward pass through the plastic copy;
 *   2. the loss and the broadcast signal s (error, or teacher: the one-hot target);
 *   3. top-down, each layer's feedback fb_l through the rule's path (B_l s + c_l, or
 *      B_l delta_{l+1} + c_l, or the non-local W_{l+1}^T delta_{l+1}), and for chain rules
 *      the delta the layer sends down, all before any weight changes;
 *   4. the rule's update of every plastic layer from its plast_local only. */
#include "plast/episode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plast/linalg.h"

int plast_learner_clone(plast_learner *dst, const plast_learner *src, plast_err *err)
{
    memset(dst, 0, sizeof *dst);
    int rc = plast_net_clone(&dst->net, &src->net, err);
    if (rc) return rc;
    dst->rule = src->rule;
    dst->rule_opts = src->rule_opts;
    rc = plast_pset_clone(&dst->meta, &src->meta, err);
    if (rc) plast_net_free(&dst->net);
    return rc;
}

int plast_learner_init(plast_learner *L, const plast_net_spec *spec, const plast_rule *rule,
                       const void *rule_opts, int classification, plast_err *err)
{
    memset(L, 0, sizeof *L);
    plast_net_spec sp = *spec;
    sp.fb_mode = plast_rule_fb_mode(rule);
    int rc = plast_net_init(&L->net, &sp, err);
    if (rc) return rc;
    L->rule = rule;
    L->rule_opts = rule_opts;
    plast_pset_init(&L->meta);
    rc = rule->check(rule_opts, &L->net, classification, err);
    if (!rc) rc = rule->declare(rule_opts, &L->net, &L->meta, err);
    if (!rc) rc = plast_pset_alloc(&L->meta, err);
    if (rc) plast_learner_free(L);
    return rc;
}

void plast_learner_draw(plast_learner *L, plast_rng *rng)
{
    plast_net_draw(&L->net, rng);
    plast_pset_draw(&L->meta, rng);
}

void plast_learner_free(plast_learner *L)
{
    plast_net_free(&L->net);
    plast_pset_free(&L->meta);
}

int plast_episode_init(plast_episode *ep, const plast_learner *L, const plast_task_shape *sh,
                       plast_err *err)
{
    memset(ep, 0, sizeof *ep);
    const plast_net *net = &L->net;
    if (sh->n_in != net->n_in || sh->n_out != net->n_out)
        return plast_err_set(err, PLAST_E_CONFIG, "net",
                             "the task needs %d inputs and %d outputs, the network has %d and %d",
                             sh->n_in, sh->n_out, net->n_in, net->n_out);
    if (sh->batch < 1 || sh->batch > PLAST_MAX_BATCH)
        return plast_err_set(err, PLAST_E_CONFIG, "task.batch", "batch %d is out of range 1..%d",
                             sh->batch, PLAST_MAX_BATCH);
    ep->L = L;
    ep->shape = *sh;
    int nb = sh->batch, n_layers = net->n_layers;
    long n_eval = (long)sh->n_seg * sh->n_query;
    int eval_batch = n_eval < PLAST_MAX_BATCH ? (int)n_eval : PLAST_MAX_BATCH;

    int rc = plast_net_clone(&ep->work, net, err);
    if (!rc) rc = plast_acts_init(&ep->acts, net, nb > eval_batch ? nb : eval_batch, err);
    if (rc) {
        plast_episode_free(ep);
        return rc;
    }

    ep->lowest = n_layers;
    for (int l = n_layers - 1; l >= 0; l--)
        if (net->layer[l].plastic) ep->lowest = l;

    /* One block: s, then per layer fb, delta, scratch; then the outputs. */
    size_t total = (size_t)nb * net->n_out;
    size_t scr[PLAST_MAX_LAYERS], sta[PLAST_MAX_LAYERS];
    for (int l = 0; l < n_layers; l++) {
        scr[l] = L->rule->scratch_floats(L->rule_opts, &net->layer[l], nb);
        sta[l] = L->rule->state_floats ? L->rule->state_floats(L->rule_opts, &net->layer[l]) : 0;
        total += 2 * (size_t)nb * net->layer[l].n_out + scr[l] + sta[l];
    }
    size_t n_seg = (size_t)sh->n_seg;
    total += (size_t)sh->max_steps + n_seg * (n_seg + 3);
    ep->buf = calloc(total, sizeof(float));
    if (!ep->buf) {
        plast_episode_free(ep);
        return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (episode workspace)");
    }
    float *p = ep->buf;
    /* the rule's state first, in one run, so that a reset is one memset */
    for (int l = 0; l < n_layers; l++) {
        ep->state[l] = sta[l] ? p : NULL;
        p += sta[l];
        ep->n_state += sta[l];
    }
    ep->s = p, p += (size_t)nb * net->n_out;
    for (int l = 0; l < n_layers; l++) {
        ep->fb[l] = p, p += (size_t)nb * net->layer[l].n_out;
        ep->delta[l] = p, p += (size_t)nb * net->layer[l].n_out;
        ep->scratch[l] = p, p += scr[l];
    }
    ep->out.train_loss = p, p += sh->max_steps;
    ep->out.R0 = p, p += n_seg;
    ep->out.R = p, p += n_seg * n_seg;
    ep->out.curve = p, p += n_seg;
    ep->seg_sum = p;
    ep->out.n_seg = sh->n_seg;

    /* Each layer's meta-parameter tensors, in declaration order (shared ones included). */
    for (int l = 0; l < n_layers; l++) {
        int k = 0;
        for (int i = 0; i < L->meta.n; i++) {
            const plast_pspec *ps = &L->meta.spec[i];
            if (ps->layer != l && ps->layer != -1) continue;
            if (k == PLAST_MAX_LAYER_META) {
                plast_episode_free(ep);
                return plast_err_set(err, PLAST_E_INTERNAL, "rule",
                                     "more than %d meta-parameter tensors for layer %d",
                                     PLAST_MAX_LAYER_META, l);
            }
            ep->meta[l][k++] = L->meta.data + ps->offset;
        }
    }
    for (int l = 0; l < n_layers; l++) {
        const plast_layer *ly = &ep->work.layer[l];
        plast_local *x = &ep->local[l];
        x->layer = l;
        x->is_output = l == n_layers - 1;
        x->n_in = ly->n_in;
        x->n_out = ly->n_out;
        x->act = ly->act;
        x->classification = sh->classification;
        x->bc = &ep->bc;
        x->W = ly->W;
        x->b = ly->b;
        x->meta = ep->meta[l];
        x->opts = L->rule_opts;
        x->scratch = ep->scratch[l];
        x->state = ep->state[l];
        x->delta = ep->delta[l];
    }
    return PLAST_OK;
}

void plast_episode_free(plast_episode *ep)
{
    plast_net_free(&ep->work);
    plast_acts_free(&ep->acts);
    free(ep->buf);
    memset(ep, 0, sizeof *ep);
}

void plast_episode_reset(plast_episode *ep)
{
    plast_net_copy(&ep->work, &ep->L->net);
    if (ep->n_state) memset(ep->buf, 0, ep->n_state * sizeof(float));
}

/* Minibatch loss and the broadcast signal s; out is the network output [batch][n_out]. */
static float loss_and_signal(plast_episode *ep, const float *out, const float *y, int nb)
{
    int no = ep->work.n_out;
    double loss = 0.0, err2 = 0.0;
    if (!ep->shape.classification) {
        for (int i = 0; i < nb * no; i++) {
            float e = y[i] - out[i];
            ep->s[i] = e;
            loss += (double)e * e;
        }
        err2 = loss;
        loss /= (double)nb * no;
    } else {
        int teacher = ep->L->rule->sig == PLAST_SIG_TEACHER;
        for (int b = 0; b < nb; b++) {
            const float *z = out + (size_t)b * no, *t = y + (size_t)b * no;
            float *s = ep->s + (size_t)b * no;
            float m = z[0];
            for (int i = 1; i < no; i++) m = z[i] > m ? z[i] : m;
            double sum = 0.0;
            for (int i = 0; i < no; i++) sum += exp((double)(z[i] - m));
            for (int i = 0; i < no; i++) {
                double pr = exp((double)(z[i] - m)) / sum;
                if (t[i] > 0.0f) loss -= t[i] * (((double)z[i] - m) - log(sum));
                float e = t[i] - (float)pr;
                err2 += (double)e * e;
                s[i] = teacher ? t[i] : e;
            }
        }
        loss /= nb;
    }
    ep->bc.error = (float)(err2 / nb);
    ep->bc.reward = (float)-loss;
    return (float)loss;
}

float plast_episode_step(plast_episode *ep, const float *x, const float *y, int nb, float saccade)
{
    plast_net *net = &ep->work;
    const plast_rule *rule = ep->L->rule;
    int L = net->n_layers, no = net->n_out;
    const float *out = plast_net_forward(net, &ep->acts, x, nb);
    float loss = loss_and_signal(ep, out, y, nb);
    ep->bc.saccade = saccade;

    for (int l = L - 1; l >= ep->lowest; l--) {
        const plast_layer *ly = &net->layer[l];
        plast_local *lc = &ep->local[l];
        int n = ly->n_out;
        lc->batch = nb;
        lc->pre = plast_acts_pre(&ep->acts, l);
        lc->post = ep->acts.h[l];
        lc->preact = ep->acts.a[l];
        lc->s = lc->is_output ? ep->s : NULL;
        lc->fb = NULL;
        switch (rule->path) {
        case PLAST_PATH_NONE: break;
        case PLAST_PATH_DIRECT:
            if (!ly->n_fb) continue; /* a frozen layer: no feedback, no signal, no update */
            /* fb [batch][n] = s [batch][n_out] B^T + c */
            plast_gemm(0, 1, nb, n, no, 1.0f, ep->s, no, ly->B, no, 0.0f, ep->fb[l], n);
            for (int b = 0; b < nb; b++) plast_axpy(n, 1.0f, ly->c, ep->fb[l] + (size_t)b * n);
            lc->fb = ep->fb[l];
            break;
        case PLAST_PATH_CHAIN:
        case PLAST_PATH_TRANSPOSE:
            if (lc->is_output) {
                lc->fb = ep->s;
                break;
            }
            {
                int n_up = net->layer[l + 1].n_out;
                if (rule->path == PLAST_PATH_CHAIN) {
                    /* fb [batch][n] = delta_{l+1} [batch][n_up] B^T (B is [n][n_up]) + c */
                    plast_gemm(0, 1, nb, n, n_up, 1.0f, ep->delta[l + 1], n_up, ly->B, n_up,
                               0.0f, ep->fb[l], n);
                    for (int b = 0; b < nb; b++)
                        plast_axpy(n, 1.0f, ly->c, ep->fb[l] + (size_t)b * n);
                } else {
                    /* non-local: fb = delta_{l+1} [batch][n_up] W_{l+1} [n_up][n] */
                    plast_gemm(0, 0, nb, n, n_up, 1.0f, ep->delta[l + 1], n_up,
                               net->layer[l + 1].W, n, 0.0f, ep->fb[l], n);
                }
                lc->fb = ep->fb[l];
            }
            break;
        }
        if (rule->signal) rule->signal(lc);
    }
    for (int l = L - 1; l >= ep->lowest; l--) {
        plast_local *lc = &ep->local[l];
        int below = l > ep->lowest && (rule->path != PLAST_PATH_DIRECT || net->layer[l - 1].n_fb);
        lc->pre_delta = rule->signal && below ? ep->delta[l - 1] : NULL;
        if (net->layer[l].plastic) rule->update(lc);
    }
    return loss;
}

void plast_episode_score(plast_episode *ep, const plast_stream *s, float *out)
{
    const plast_task_shape *sh = &ep->shape;
    int ni = sh->n_in, no = sh->n_out, nq = sh->n_query;
    long total = (long)sh->n_seg * nq;
    for (int k = 0; k < sh->n_seg; k++) ep->seg_sum[k] = 0.0f;
    for (long start = 0; start < total; start += ep->acts.batch_max) {
        int nb = (int)(total - start < ep->acts.batch_max ? total - start : ep->acts.batch_max);
        const float *yh = plast_net_forward(&ep->work, &ep->acts, s->qx + (size_t)start * ni, nb);
        const float *y = s->qy + (size_t)start * no;
        for (int b = 0; b < nb; b++) {
            int k = (int)((start + b) / nq);
            const float *p = yh + (size_t)b * no, *t = y + (size_t)b * no;
            if (!sh->classification) {
                float e2 = 0.0f;
                for (int i = 0; i < no; i++) e2 += (p[i] - t[i]) * (p[i] - t[i]);
                ep->seg_sum[k] += e2 / (float)no;
            } else {
                int arg = 0, lab = 0;
                for (int i = 1; i < no; i++) {
                    if (p[i] > p[arg]) arg = i;
                    if (t[i] > t[lab]) lab = i;
                }
                ep->seg_sum[k] += arg == lab ? 1.0f : 0.0f;
            }
        }
    }
    for (int k = 0; k < sh->n_seg; k++) out[k] = ep->seg_sum[k] / (float)nq;
}

void plast_episode_run(plast_episode *ep, const plast_stream *s)
{
    const plast_task_shape *sh = &ep->shape;
    int ni = sh->n_in, no = sh->n_out, nb = sh->batch, n_seg = sh->n_seg;
    plast_episode_out *o = &ep->out;
    plast_episode_reset(ep);
    o->n_steps = s->n_steps;
    plast_episode_score(ep, s, o->R0);
    int row = 0;
    for (int t = 0; t < s->n_steps; t++) {
        o->train_loss[t] = plast_episode_step(ep, s->x + (size_t)t * nb * ni,
                                              s->y + (size_t)t * nb * no, nb, s->saccade[t]);
        while (row < n_seg && s->mark[row] == t + 1)
            plast_episode_score(ep, s, o->R + (size_t)row++ * n_seg);
    }
    for (; row < n_seg; row++) plast_episode_score(ep, s, o->R + (size_t)row * n_seg);
    double fin = 0.0;
    for (int i = 0; i < n_seg; i++) {
        double c = 0.0;
        for (int j = 0; j <= i; j++) c += o->R[(size_t)i * n_seg + j];
        o->curve[i] = (float)(c / (i + 1));
    }
    for (int j = 0; j < n_seg; j++) fin += o->R[(size_t)(n_seg - 1) * n_seg + j];
    o->final = (float)(fin / n_seg);
}
