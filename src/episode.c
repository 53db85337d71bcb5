/* episode.c — the inner loop (see include/plast/episode.h).
 *
 * One step, for a minibatch x [batch][n_in] with targets y [batch][n_out]:
 *   1. forward pass through the episode's learner state;
 *   2. the objective's loss, its gradient g and the broadcast signal s (the error -g, or
 *      the objective's teacher target: the one-hot class);
 *   3. top-down, each layer's feedback fb_l through the rule's path (B_l s + c_l, or
 *      B_l delta_{l+1} + c_l, or the non-local W_{l+1}^T delta_{l+1}, or the target
 *      difference layer l+1's rule sent down through its own inverse), and for chain and
 *      target rules what the layer sends down, all before any weight changes;
 *   4. the rule's update of every plastic layer from its plast_local only. */
#include "plast/episode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plast/layer.h"
#include "plast/linalg.h"

/* The rule reads only broadcasts the engine or the task emits. */
static int check_broadcasts(const plast_episode *ep, plast_err *err)
{
    const plast_rule *r = ep->L->rule;
    for (int k = 0; r->reads && r->reads[k]; k++) {
        int found = 0;
        for (int i = 0; i < ep->n_bcast; i++) found |= !strcmp(ep->bcast_name[i], r->reads[k]);
        if (found) continue;
        char have[256] = "none";
        size_t n = 0;
        for (int i = 0; i < ep->shape.n_bcast && n < sizeof have; i++)
            n += (size_t)snprintf(have + n, sizeof have - n, "%s%s", i ? ", " : "",
                                  ep->shape.bcast[i]);
        return plast_err_set(err, PLAST_E_CONFIG, "rule.name",
                             "rule '%s' reads the broadcast signal '%s', which this task does not "
                             "emit (the task emits: %s; every task gives: error, reward)",
                             r->name, r->reads[k], have);
    }
    return PLAST_OK;
}

int plast_episode_init(plast_episode *ep, const plast_learner *L, const plast_task_shape *sh,
                       plast_err *err)
{
    memset(ep, 0, sizeof *ep);
    const plast_net *net = &L->net;
    const plast_rule *rule = L->rule;
    if (sh->n_in != net->n_in || sh->n_out != net->n_out)
        return plast_err_set(err, PLAST_E_CONFIG, "net",
                             "the task needs %d inputs and %d outputs, the network has %d and %d",
                             sh->n_in, sh->n_out, net->n_in, net->n_out);
    if (sh->batch < 1 || sh->batch > PLAST_MAX_BATCH)
        return plast_err_set(err, PLAST_E_CONFIG, "task.batch", "batch %d is out of range 1..%d",
                             sh->batch, PLAST_MAX_BATCH);
    if (sh->objective != L->objective)
        return plast_err_set(err, PLAST_E_INTERNAL, "task",
                             "the learner was built for another objective than the task's");
    if (sh->n_bcast < 0 || sh->n_bcast > PLAST_MAX_BCAST)
        return plast_err_set(err, PLAST_E_INTERNAL, "task", "%d broadcast signals", sh->n_bcast);
    ep->L = L;
    ep->shape = *sh;
    for (int i = 0; i < PLAST_BCAST_ENGINE; i++) ep->bcast_name[ep->n_bcast++] = plast_bcast_engine[i];
    for (int i = 0; i < sh->n_bcast; i++) ep->bcast_name[ep->n_bcast++] = sh->bcast[i];
    int rc = check_broadcasts(ep, err);
    if (rc) return rc;
    int nb = sh->batch, n_layers = net->n_layers;
    long n_eval = (long)sh->n_seg * sh->n_query;
    int eval_batch = n_eval < PLAST_MAX_BATCH ? (int)n_eval : PLAST_MAX_BATCH;

    rc = plast_net_clone(&ep->work, net, err);
    if (!rc) rc = plast_acts_init(&ep->acts, net, nb > eval_batch ? nb : eval_batch, err);
    if (rc) {
        plast_episode_free(ep);
        return rc;
    }

    ep->lowest = n_layers;
    for (int l = n_layers - 1; l >= 0; l--)
        if (net->layer[l].plastic) ep->lowest = l;
    if (ep->lowest > 0 && n_eval > 0) {
        ep->qfeat = malloc((size_t)n_eval * net->layer[ep->lowest - 1].n_out * sizeof(float));
        if (!ep->qfeat) {
            plast_episode_free(ep);
            return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (episode query features)");
        }
    }

    /* One block: the outputs and the per-segment losses of the last scoring first (one run,
     * for snapshots), then s, g, per layer fb, delta, scratch, then the score accumulator. */
    int bm = ep->acts.batch_max;
    size_t n_seg = (size_t)sh->n_seg;
    ep->n_out_floats = (size_t)sh->max_steps + n_seg * (n_seg + 3);
    size_t total = ep->n_out_floats + 2 * (size_t)bm * net->n_out + n_seg;
    size_t scr[PLAST_MAX_LAYERS];
    for (int l = 0; l < n_layers; l++) {
        scr[l] = net->layer[l].kind.rows ? rule->scratch_floats(L->rule_opts, &net->layer[l], nb) : 0;
        total += 2 * (size_t)nb * net->layer[l].n_out + scr[l];
    }
    ep->buf = calloc(total, sizeof(float));
    size_t hsize = (rule->handles_size + 15) / 16 * 16;
    ep->handles = calloc(hsize ? (size_t)n_layers * hsize : 1, 1);
    if (!ep->buf || !ep->handles) {
        plast_episode_free(ep);
        return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (episode workspace)");
    }
    float *p = ep->buf;
    ep->out.train_loss = p, p += sh->max_steps;
    ep->out.R0 = p, p += n_seg;
    ep->out.R = p, p += n_seg * n_seg;
    ep->out.curve = p, p += n_seg;
    ep->seg_loss = p, p += n_seg;
    ep->out.n_seg = sh->n_seg;
    ep->s = p, p += (size_t)bm * net->n_out;
    ep->g = p, p += (size_t)bm * net->n_out;
    for (int l = 0; l < n_layers; l++) {
        ep->fb[l] = p, p += (size_t)nb * net->layer[l].n_out;
        ep->delta[l] = p, p += (size_t)nb * net->layer[l].n_out;
        ep->scratch[l] = p, p += scr[l];
    }
    ep->seg_sum = p;

    int teacher = rule->sig == PLAST_SIG_TEACHER && sh->objective->teacher;
    for (int l = 0; l < n_layers; l++) {
        const plast_layer *ly = &ep->work.layer[l];
        plast_local *x = &ep->local[l];
        void *h = (char *)ep->handles + (size_t)l * hsize;
        x->layer = l;
        x->is_output = l == n_layers - 1;
        x->n_in = ly->n_in;
        x->n_out = ly->n_out;
        x->kind = ly->kind;
        x->act = ly->act;
        x->teacher = teacher;
        x->W = ly->W;
        x->b = ly->b;
        x->h = h;
        x->opts = L->rule_opts;
        x->scratch = ep->scratch[l];
        x->work = ep->acts.work;
        x->delta = ep->delta[l];
        x->down = l > 0 ? ep->fb[l - 1] : NULL;
        if (rule->bind && ly->kind.rows) {
            plast_binder b = {l, x->is_output, ly, &L->meta, &ep->work.p, ep->n_bcast, ep->bcast_name, ep->bcast, nb};
            if ((rc = rule->bind(L->rule_opts, &b, h, err))) {
                plast_episode_free(ep);
                return rc;
            }
        }
    }
    return PLAST_OK;
}

void plast_episode_free(plast_episode *ep)
{
    plast_net_free(&ep->work);
    plast_acts_free(&ep->acts);
    free(ep->buf);
    free(ep->handles);
    free(ep->qfeat);
    memset(ep, 0, sizeof *ep);
}

void plast_episode_reset(plast_episode *ep)
{
    plast_net_copy(&ep->work, &ep->L->net);
    ep->t = ep->row = 0;
    ep->qfeat_ok = 0;
}

/* Minibatch loss, the gradient g and the broadcast signal s; out is the network output
 * [batch][n_out]. */
static float loss_and_signal(plast_episode *ep, const float *out, const float *y, int nb)
{
    const plast_objective *obj = ep->shape.objective;
    int no = ep->work.n_out;
    int teacher = ep->L->rule->sig == PLAST_SIG_TEACHER && obj->teacher;
    double loss = 0.0, err2 = 0.0;
    for (int b = 0; b < nb; b++) {
        size_t o = (size_t)b * no;
        loss += obj->loss_grad(out + o, y + o, no, ep->g + o);
        for (int i = 0; i < no; i++) {
            float e = -ep->g[o + i];
            err2 += (double)e * e;
            ep->s[o + i] = teacher ? y[o + i] : e;
        }
    }
    loss /= nb;
    ep->bcast[0] = (float)(err2 / nb); /* error: mean squared norm of the error */
    ep->bcast[1] = (float)-loss;       /* reward: minus the minibatch loss */
    return (float)loss;
}

/* Non-zero when layer l's update is applied together with the feedback it sends to layer
 * l-1 (the rule's update_down: a TRANSPOSE rule at batch 1 on a plastic dense layer). */
static int fused_down(const plast_episode *ep, int l, int nb)
{
    const plast_rule *rule = ep->L->rule;
    const plast_layer *ly = &ep->work.layer[l];
    return rule->update_down && rule->path == PLAST_PATH_TRANSPOSE && nb == 1 && l - 1 >= ep->lowest &&
           ly->plastic && ly->kind.type == PLAST_LAYER_DENSE;
}

float plast_episode_step(plast_episode *ep, const float *x, const float *y, int nb,
                         const float *bcast)
{
    plast_net *net = &ep->work;
    const plast_rule *rule = ep->L->rule;
    int L = net->n_layers, no = net->n_out;
    const float *out = plast_net_forward(net, &ep->acts, x, nb);
    float loss = loss_and_signal(ep, out, y, nb);
    for (int i = 0; i < ep->shape.n_bcast; i++)
        ep->bcast[PLAST_BCAST_ENGINE + i] = bcast ? bcast[i] : 0.0f;

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
            if (ly->fb_rows == n) {
                /* fb [batch][n] = s [batch][n_out] B^T + c */
                plast_gemm(0, 1, nb, n, no, 1.0f, ep->s, no, ly->B, no, 0.0f, ep->fb[l], n);
                for (int b = 0; b < nb; b++) plast_axpy(n, 1.0f, ly->c, ep->fb[l] + (size_t)b * n);
            } else {
                /* per channel: fb[b][ch][p] = (s B^T + c)[b][ch] at every position p */
                int C = ly->fb_rows, P = n / C;
                float *t = ep->delta[l]; /* unused by direct rules: [batch][C] here */
                plast_gemm(0, 1, nb, C, no, 1.0f, ep->s, no, ly->B, no, 0.0f, t, C);
                for (int b = 0; b < nb; b++)
                    for (int ch = 0; ch < C; ch++) {
                        float v = t[(size_t)b * C + ch] + ly->c[ch];
                        float *f = ep->fb[l] + (size_t)b * n + (size_t)ch * P;
                        for (int p = 0; p < P; p++) f[p] = v;
                    }
            }
            lc->fb = ep->fb[l];
            break;
        case PLAST_PATH_TARGET:
            /* written by layer l+1's signal() a moment ago (this loop runs top-down) */
            lc->fb = lc->is_output ? ep->s : ep->fb[l];
            break;
        case PLAST_PATH_CHAIN:
        case PLAST_PATH_TRANSPOSE:
            if (lc->is_output) {
                lc->fb = ep->s;
                break;
            }
            {
                const plast_layer *up = &net->layer[l + 1];
                int n_up = up->n_out;
                if (!up->kind.rows) {
                    /* through a pool or flatten layer: its own routing, no weights */
                    plast_kind_backward(&up->kind, NULL, ep->acts.h[l], ep->delta[l + 1], nb,
                                        ep->fb[l], ep->acts.work, plast_gemm);
                } else if (fused_down(ep, l + 1, nb)) {
                    /* layer l+1's update and the feedback it sends here, one pass over W */
                    ep->local[l + 1].pre_delta = NULL;
                    rule->update_down(&ep->local[l + 1], ep->fb[l]);
                } else if (rule->path == PLAST_PATH_CHAIN && up->kind.type == PLAST_LAYER_DENSE) {
                    /* fb [batch][n] = delta_{l+1} [batch][n_up] B^T (B is [n][n_up]) + c */
                    plast_gemm(0, 1, nb, n, n_up, 1.0f, ep->delta[l + 1], n_up, ly->B, n_up,
                               0.0f, ep->fb[l], n);
                } else {
                    /* the input VJP of layer l+1 with its kernel: the untied B_l (chain), or
                     * non-local, its forward weights W_{l+1} */
                    const float *K = rule->path == PLAST_PATH_CHAIN ? ly->B : up->W;
                    plast_kind_backward(&up->kind, K, ep->acts.h[l], ep->delta[l + 1], nb,
                                        ep->fb[l], ep->acts.work, plast_gemm);
                }
                if (rule->path == PLAST_PATH_CHAIN && ly->n_c)
                    for (int b = 0; b < nb; b++)
                        plast_axpy(n, 1.0f, ly->c, ep->fb[l] + (size_t)b * n);
                lc->fb = ep->fb[l];
            }
            break;
        }
        if (!ly->kind.rows) {
            /* a pool or flatten layer passes its feedback on as its delta (no activation) */
            if (lc->fb) memcpy(ep->delta[l], lc->fb, (size_t)nb * n * sizeof(float));
            continue;
        }
        if (rule->signal) rule->signal(lc);
    }
    for (int l = L - 1; l >= ep->lowest; l--) {
        plast_local *lc = &ep->local[l];
        int below = l > ep->lowest && (rule->path != PLAST_PATH_DIRECT || net->layer[l - 1].n_fb);
        lc->pre_delta = rule->signal && below ? ep->delta[l - 1] : NULL;
        if (net->layer[l].plastic && !fused_down(ep, l, nb)) rule->update(lc);
    }
    return loss;
}

void plast_episode_score(plast_episode *ep, const plast_stream *s, float *out)
{
    const plast_task_shape *sh = &ep->shape;
    const plast_objective *obj = sh->objective;
    int ni = sh->n_in, no = sh->n_out, nq = sh->n_query;
    long total = (long)sh->n_seg * nq;
    int low = ep->lowest;
    size_t nf = low ? (size_t)ep->work.layer[low - 1].n_out : 0;
    for (int k = 0; k < sh->n_seg; k++) ep->seg_sum[k] = ep->seg_loss[k] = 0.0f;
    for (long start = 0; start < total; start += ep->acts.batch_max) {
        int nb = (int)(total - start < ep->acts.batch_max ? total - start : ep->acts.batch_max);
        const float *yh;
        if (!ep->qfeat) {
            yh = plast_net_forward(&ep->work, &ep->acts, s->qx + (size_t)start * ni, nb);
        } else { /* the layers below the plastic ones once per episode, in the same batches */
            float *f = ep->qfeat + (size_t)start * nf;
            if (!ep->qfeat_ok) {
                plast_net_forward(&ep->work, &ep->acts, s->qx + (size_t)start * ni, nb);
                memcpy(f, ep->acts.h[low - 1], (size_t)nb * nf * sizeof *f);
            }
            yh = plast_net_forward_from(&ep->work, &ep->acts, low, f, nb);
        }
        const float *y = s->qy + (size_t)start * no;
        for (int b = 0; b < nb; b++) {
            int k = (int)((start + b) / nq);
            const float *p = yh + (size_t)b * no, *t = y + (size_t)b * no;
            ep->seg_sum[k] += obj->score(p, t, no);
            ep->seg_loss[k] += (float)obj->loss_grad(p, t, no, ep->g);
        }
    }
    ep->qfeat_ok = ep->qfeat != NULL;
    for (int k = 0; k < sh->n_seg; k++) {
        out[k] = ep->seg_sum[k] / (float)nq;
        ep->seg_loss[k] /= (float)nq;
    }
}

void plast_episode_begin(plast_episode *ep, const plast_stream *s)
{
    plast_episode_reset(ep);
    ep->out.n_steps = s->n_steps;
    plast_episode_score(ep, s, ep->out.R0);
}

int plast_episode_advance(plast_episode *ep, const plast_stream *s, int n)
{
    const plast_task_shape *sh = &ep->shape;
    int ni = sh->n_in, no = sh->n_out, nb = sh->batch, n_seg = sh->n_seg;
    plast_episode_out *o = &ep->out;
    int done = 0;
    for (; done < n && ep->t < s->n_steps; done++) {
        int t = ep->t++;
        o->train_loss[t] = plast_episode_step(ep, s->x + (size_t)t * nb * ni,
                                              s->y + (size_t)t * nb * no, nb,
                                              s->bcast + (size_t)t * sh->n_bcast);
        while (ep->row < n_seg && s->mark[ep->row] == t + 1)
            plast_episode_score(ep, s, o->R + (size_t)ep->row++ * n_seg);
    }
    return done;
}

void plast_episode_finish(plast_episode *ep, const plast_stream *s)
{
    int n_seg = ep->shape.n_seg;
    plast_episode_out *o = &ep->out;
    for (; ep->row < n_seg; ep->row++) plast_episode_score(ep, s, o->R + (size_t)ep->row * n_seg);
    /* the last row was scored after the last step: its losses are the final ones */
    double fin = 0.0, fl = 0.0;
    for (int i = 0; i < n_seg; i++) {
        double c = 0.0;
        for (int j = 0; j <= i; j++) c += o->R[(size_t)i * n_seg + j];
        o->curve[i] = (float)(c / (i + 1));
    }
    for (int j = 0; j < n_seg; j++) {
        fin += o->R[(size_t)(n_seg - 1) * n_seg + j];
        fl += ep->seg_loss[j];
    }
    o->final = (float)(fin / n_seg);
    o->final_loss = (float)(fl / n_seg);
}

void plast_episode_run(plast_episode *ep, const plast_stream *s)
{
    plast_episode_begin(ep, s);
    plast_episode_advance(ep, s, s->n_steps);
    plast_episode_finish(ep, s);
}

int plast_episode_snap_init(plast_episode_snap *snap, const plast_episode *ep, plast_err *err)
{
    memset(snap, 0, sizeof *snap);
    snap->n_state = ep->work.p.n_floats;
    snap->n_out = ep->n_out_floats;
    snap->buf = malloc((snap->n_state + snap->n_out) * sizeof(float));
    if (!snap->buf) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (snapshot)");
    return PLAST_OK;
}

void plast_episode_snap_free(plast_episode_snap *snap)
{
    free(snap->buf);
    memset(snap, 0, sizeof *snap);
}

void plast_episode_save(const plast_episode *ep, plast_episode_snap *snap)
{
    memcpy(snap->buf, ep->work.p.data, snap->n_state * sizeof(float));
    memcpy(snap->buf + snap->n_state, ep->out.train_loss, snap->n_out * sizeof(float));
    snap->t = ep->t;
    snap->row = ep->row;
    snap->n_steps = ep->out.n_steps;
}

void plast_episode_restore(plast_episode *ep, const plast_episode_snap *snap)
{
    memcpy(ep->work.p.data, snap->buf, snap->n_state * sizeof(float));
    memcpy(ep->out.train_loss, snap->buf + snap->n_state, snap->n_out * sizeof(float));
    ep->qfeat_ok = 0; /* perhaps another stream's */
    ep->t = snap->t;
    ep->row = snap->row;
    ep->out.n_steps = snap->n_steps;
}
