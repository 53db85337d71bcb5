/* evaluate.c — score a learner over independent runs, on threads (see evaluate.h). */
#include "plast/evaluate.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct worker {
    const plast_learner *tmpl;
    const plast_eval_spec *spec;
    plast_eval_result *out;
    int tid, n_threads;
    int rc;
    plast_err err;
    pthread_mutex_t *lock;
    int *done;
} worker;

/* Replaces the tensors marked in mask with the fixed set's values. */
static void overlay(plast_pset *dst, const plast_pset *src, const unsigned char *mask)
{
    for (int k = 0; mask && k < dst->n; k++)
        if (mask[k])
            memcpy(dst->data + dst->spec[k].offset, src->data + src->spec[k].offset,
                   (size_t)dst->spec[k].rows * dst->spec[k].cols * sizeof(float));
}

static void *work(void *arg)
{
    worker *w = arg;
    const plast_eval_spec *sp = w->spec;
    plast_eval_result *o = w->out;
    plast_learner L;
    plast_episode ep;
    plast_stream st;
    int have_l = 0, have_ep = 0, have_st = 0;
    w->rc = plast_learner_clone(&L, w->tmpl, &w->err);
    have_l = !w->rc;
    if (!w->rc) w->rc = plast_episode_init(&ep, &L, &sp->shape, &w->err), have_ep = !w->rc;
    if (!w->rc) w->rc = plast_stream_init(&st, &sp->shape, &w->err), have_st = !w->rc;
    int n_seg = sp->shape.n_seg;
    for (int r = w->tid; !w->rc && r < sp->runs; r += w->n_threads) {
        plast_rng rng;
        plast_rng_derive(&rng, sp->seed, PLAST_KEY_INIT, 0, (uint64_t)(sp->init_per_run ? r : 0));
        plast_learner_draw(&L, &rng);
        if (sp->fixed) {
            overlay(&L.net.p, &sp->fixed->net.p, sp->fixed_net);
            overlay(&L.meta, &sp->fixed->meta, sp->fixed_meta);
        }
        plast_rng_derive(&rng, sp->seed, PLAST_KEY_EVAL, 0, (uint64_t)r);
        sp->task->draw(sp->task_state, &rng, &st);
        plast_episode_run(&ep, &st);
        const plast_episode_out *e = &ep.out;
        o->final[r] = e->final;
        o->n_steps[r] = e->n_steps;
        memcpy(o->curve + (size_t)r * n_seg, e->curve, (size_t)n_seg * sizeof(float));
        memcpy(o->R0 + (size_t)r * n_seg, e->R0, (size_t)n_seg * sizeof(float));
        memcpy(o->R + (size_t)r * n_seg * n_seg, e->R, (size_t)n_seg * n_seg * sizeof(float));
        float *tl = o->train_loss + (size_t)r * o->max_steps;
        for (int t = 0; t < o->max_steps; t++) tl[t] = t < e->n_steps ? e->train_loss[t] : NAN;
        pthread_mutex_lock(w->lock);
        ++*w->done;
        if (sp->progress) sp->progress(sp->progress_ctx, *w->done, sp->runs);
        pthread_mutex_unlock(w->lock);
    }
    if (have_st) plast_stream_free(&st);
    if (have_ep) plast_episode_free(&ep);
    if (have_l) plast_learner_free(&L);
    return NULL;
}

int plast_evaluate(const plast_learner *tmpl, const plast_eval_spec *sp, plast_eval_result *o,
                   plast_err *err)
{
    memset(o, 0, sizeof *o);
    if (sp->runs < 1) return plast_err_set(err, PLAST_E_CONFIG, "runs", "at least one run");
    int T = sp->threads < 1 ? 1 : sp->threads;
    if (T > sp->runs) T = sp->runs;
    int n_seg = sp->shape.n_seg, ms = sp->shape.max_steps;
    size_t R = (size_t)sp->runs;
    size_t floats = R * (1 + 2 * (size_t)n_seg + (size_t)n_seg * n_seg + (size_t)ms);
    size_t bytes = floats * sizeof(float) + R * sizeof(int) +
                   ((size_t)n_seg + ms) * sizeof(plast_summary);
    o->buf = calloc(bytes, 1);
    if (!o->buf) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (results)");
    o->runs = sp->runs;
    o->n_seg = n_seg;
    o->max_steps = ms;
    o->curve_sum = o->buf;
    o->loss_sum = o->curve_sum + n_seg;
    float *p = (float *)(o->loss_sum + ms);
    o->final = p, p += R;
    o->curve = p, p += R * n_seg;
    o->R0 = p, p += R * n_seg;
    o->R = p, p += R * n_seg * n_seg;
    o->train_loss = p, p += R * ms;
    o->n_steps = (int *)p;

    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int done = 0;
    worker *ws = calloc((size_t)T, sizeof *ws);
    pthread_t *th = calloc((size_t)T, sizeof *th);
    if (!ws || !th) {
        free(ws), free(th);
        plast_eval_result_free(o);
        return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (threads)");
    }
    for (int t = 0; t < T; t++) {
        ws[t] = (worker){tmpl, sp, o, t, T, 0, {0}, &lock, &done};
    }
    int started = 0;
    for (int t = 1; t < T; t++)
        if (pthread_create(&th[t], NULL, work, &ws[t]) == 0) started = t;
        else {
            ws[t].rc = plast_err_set(&ws[t].err, PLAST_E_INTERNAL, "", "cannot start a thread");
            break;
        }
    work(&ws[0]);
    for (int t = 1; t <= started; t++) pthread_join(th[t], NULL);
    int rc = PLAST_OK;
    for (int t = 0; t < T && !rc; t++)
        if (ws[t].rc) {
            rc = ws[t].rc;
            if (err) *err = ws[t].err;
        }
    free(ws);
    free(th);
    if (rc) {
        plast_eval_result_free(o);
        return rc;
    }

    int nb = sp->n_boot > 0 ? sp->n_boot : 0;
    double *boot = malloc(((size_t)nb + 1) * sizeof(double));
    if (!boot) {
        plast_eval_result_free(o);
        return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (bootstrap)");
    }
    plast_summarize(o->final, sp->runs, nb, 0.95, sp->seed, boot, &o->final_sum);
    for (int k = 0; k < n_seg; k++)
        plast_summarize_strided(o->curve + k, sp->runs, n_seg, nb, 0.95, sp->seed + 1 + k, boot,
                                &o->curve_sum[k]);
    for (int t = 0; t < ms; t++)
        plast_summarize_strided(o->train_loss + t, sp->runs, ms, 0, 0.95, 0, boot, &o->loss_sum[t]);
    free(boot);
    return PLAST_OK;
}

void plast_eval_result_free(plast_eval_result *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

int plast_eval_setup_init(plast_eval_setup *s, const plast_config *cfg, plast_err *err)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    plast_net_spec spec;
    int rc = cfg->task->shape(cfg->task_opts, &s->shape, err);
    if (!rc) rc = plast_net_spec_make(&cfg->net, s->shape.n_in, s->shape.n_out, &spec, err);
    if (!rc) rc = plast_learner_init(&s->L, &spec, cfg->rule, cfg->rule_opts, s->shape.classification, err);
    if (rc) return rc;
    if (cfg->run.params[0]) {
        if ((rc = plast_learner_clone(&s->fixed, &s->L, err))) goto fail;
        s->have_fixed = 1;
        plast_pset *secs[2] = {&s->fixed.net.p, &s->fixed.meta};
        const char *names[2] = {"net", "meta"};
        unsigned char *masks[2] = {s->mask_net, s->mask_meta};
        if ((rc = plast_params_read(cfg->run.params, cfg->rule->name, secs, names, 2, masks,
                                     &cfg->run.params_layers, err)))
            goto fail;
    }
    s->task_state = cfg->task->create(cfg->task_opts, (uint64_t)cfg->run.seed, err);
    if (!s->task_state) {
        rc = err && err->code ? err->code : PLAST_E_INTERNAL;
        goto fail;
    }
    return PLAST_OK;
fail:
    plast_eval_setup_free(s);
    return rc;
}

int plast_eval_setup_run(plast_eval_setup *s, int threads,
                         void (*progress)(void *ctx, int done, int total), void *progress_ctx,
                         plast_eval_result *res, plast_err *err)
{
    const plast_config *cfg = s->cfg;
    plast_eval_spec es = {
        .task = cfg->task,
        .task_state = s->task_state,
        .shape = s->shape,
        .seed = (uint64_t)cfg->run.seed,
        .runs = cfg->run.runs,
        .threads = threads,
        .init_per_run = 1, /* loaded tensors replace the drawn ones in every run */
        .n_boot = cfg->run.bootstrap,
        .fixed = s->have_fixed ? &s->fixed : NULL,
        .fixed_net = s->mask_net,
        .fixed_meta = s->mask_meta,
        .progress = progress,
        .progress_ctx = progress_ctx,
    };
    return plast_evaluate(&s->L, &es, res, err);
}

void plast_eval_setup_free(plast_eval_setup *s)
{
    if (s->task_state) s->cfg->task->destroy(s->task_state);
    if (s->have_fixed) plast_learner_free(&s->fixed);
    plast_learner_free(&s->L);
    memset(s, 0, sizeof *s);
}
