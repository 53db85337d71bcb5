/* evaluate.c — score a learner over independent runs, on threads (see evaluate.h). */
#include "plast/evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plast/pool.h"

const char *const plast_cl_names[PLAST_CL_N] = {"ACC", "BWT", "FWT", "forgetting", "learning"};

/* One thread's learner, episode workspace and stream. */
typedef struct worker {
    plast_learner L;
    plast_episode ep;
    plast_stream st;
    int have_l, have_ep, have_st;
} worker;

typedef struct eval_job {
    const plast_eval_spec *sp;
    plast_eval_result *out;
    worker *w;
} eval_job;

static void run_one(void *ctx, int thread, int r)
{
    eval_job *j = ctx;
    const plast_eval_spec *sp = j->sp;
    plast_eval_result *o = j->out;
    worker *w = &j->w[thread];
    int n_seg = sp->shape.n_seg;
    plast_rng rng;
    plast_rng_derive(&rng, sp->seed, PLAST_KEY_INIT, 0, (uint64_t)(sp->init_per_run ? r : 0));
    plast_learner_draw(&w->L, &rng);
    if (sp->fixed) {
        plast_pset_overlay(&w->L.net.p, &sp->fixed->net.p, sp->fixed_net);
        plast_pset_overlay(&w->L.meta, &sp->fixed->meta, sp->fixed_meta);
    }
    plast_rng_derive(&rng, sp->seed, PLAST_KEY_EVAL, 0, (uint64_t)r);
    sp->task->draw(sp->task_state, &rng, &w->st);
    plast_episode_run(&w->ep, &w->st);
    const plast_episode_out *e = &w->ep.out;
    o->final[r] = e->final;
    o->n_steps[r] = e->n_steps;
    memcpy(o->curve + (size_t)r * n_seg, e->curve, (size_t)n_seg * sizeof(float));
    memcpy(o->R0 + (size_t)r * n_seg, e->R0, (size_t)n_seg * sizeof(float));
    memcpy(o->R + (size_t)r * n_seg * n_seg, e->R, (size_t)n_seg * n_seg * sizeof(float));
    float *tl = o->train_loss + (size_t)r * o->max_steps;
    for (int t = 0; t < o->max_steps; t++) tl[t] = t < e->n_steps ? e->train_loss[t] : NAN;
}

static void run_done(void *ctx, int done, int total)
{
    const plast_eval_spec *sp = ((eval_job *)ctx)->sp;
    if (sp->progress) sp->progress(sp->progress_ctx, done, total);
}

static void free_workers(worker *ws, int T)
{
    for (int t = 0; ws && t < T; t++) {
        if (ws[t].have_st) plast_stream_free(&ws[t].st);
        if (ws[t].have_ep) plast_episode_free(&ws[t].ep);
        if (ws[t].have_l) plast_learner_free(&ws[t].L);
    }
    free(ws);
}

int plast_evaluate(const plast_learner *tmpl, const plast_eval_spec *sp, plast_eval_result *o,
                   plast_err *err)
{
    memset(o, 0, sizeof *o);
    if (sp->runs < 1) return plast_err_set(err, PLAST_E_CONFIG, "runs", "at least one run");
    int T = sp->threads < 1 ? 1 : sp->threads;
    if (T > sp->runs) T = sp->runs;
    if (T > PLAST_POOL_MAX_THREADS) T = PLAST_POOL_MAX_THREADS;
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

    /* Every thread's workspace is built before any run, so set-up errors come first. */
    worker *ws = calloc((size_t)T, sizeof *ws);
    int rc = ws ? PLAST_OK : plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (threads)");
    for (int t = 0; t < T && !rc; t++) {
        worker *w = &ws[t];
        if (!(rc = plast_learner_clone(&w->L, tmpl, err))) w->have_l = 1;
        if (!rc && !(rc = plast_episode_init(&w->ep, &w->L, &sp->shape, err))) w->have_ep = 1;
        if (!rc && !(rc = plast_stream_init(&w->st, &sp->shape, err))) w->have_st = 1;
    }
    if (!rc) {
        eval_job job = {sp, o, ws};
        plast_pool_job pj = {.n_items = sp->runs, .rank = 0, .n_ranks = 1, .run = run_one,
                             .done = run_done, .ctx = &job, .interrupt = sp->interrupt};
        plast_pool_run(&pj, T);
        if (sp->interrupt && *sp->interrupt)
            rc = plast_err_set(err, PLAST_INTERRUPTED, "", "interrupted");
    }
    free_workers(ws, T);
    if (rc) {
        plast_eval_result_free(o);
        return rc;
    }

    int nb = sp->n_boot > 0 ? sp->n_boot : 0;
    size_t nw = (size_t)nb + 1 > R ? (size_t)nb + 1 : R;
    double *boot = malloc(nw * sizeof(double));
    float *per = malloc(R * PLAST_CL_N * sizeof *per);
    if (!boot || !per) {
        free(boot), free(per);
        plast_eval_result_free(o);
        return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (bootstrap)");
    }
    plast_summarize(o->final, sp->runs, nb, 0.95, sp->seed, boot, &o->final_sum);
    for (int k = 0; k < n_seg; k++)
        plast_summarize_strided(o->curve + k, sp->runs, n_seg, nb, 0.95, sp->seed + 1 + k, boot,
                                &o->curve_sum[k]);
    for (int t = 0; t < ms; t++)
        plast_summarize_strided(o->train_loss + t, sp->runs, ms, 0, 0.95, 0, boot, &o->loss_sum[t]);
    int hb = sp->shape.objective && sp->shape.objective->higher_better;
    o->final_median = plast_median_worst(o->final, sp->runs, hb, boot);
    for (int r = 0; r < sp->runs; r++) {
        plast_cl_metrics cm;
        plast_cl_compute(o->R + (size_t)r * n_seg * n_seg, o->R0 + (size_t)r * n_seg, n_seg, hb, &cm);
        const double v[PLAST_CL_N] = {cm.acc, cm.bwt, cm.fwt, cm.forgetting, cm.learning};
        for (int k = 0; k < PLAST_CL_N; k++) per[(size_t)k * R + r] = (float)v[k];
    }
    for (int k = 0; k < PLAST_CL_N; k++)
        plast_summarize(per + (size_t)k * R, sp->runs, nb, 0.95, sp->seed + 1 + (uint64_t)k, boot, &o->cl[k]);
    free(per);
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
    int rc = plast_learner_from_config(&s->L, cfg, NULL, NULL, &s->shape, err);
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
        .interrupt = s->interrupt,
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

void plast_eval_write_curve_json(FILE *f, const plast_summary *curve, int n_seg, const float *final, int runs)
{
    fputs("\"curve\": [", f);
    for (int k = 0; k < n_seg; k++) {
        if (k) fputs(", ", f);
        plast_json_write_number(f, curve[k].mean);
    }
    fputs("], \"curve_ci95\": [", f);
    for (int k = 0; k < n_seg; k++) {
        fputs(k ? ", [" : "[", f);
        plast_json_write_number(f, curve[k].lo);
        fputs(", ", f);
        plast_json_write_number(f, curve[k].hi);
        fputc(']', f);
    }
    fputs("], \"final_per_run\": [", f);
    for (int r = 0; r < runs; r++) {
        if (r) fputs(", ", f);
        plast_json_write_number(f, final[r]);
    }
    fputc(']', f);
}
