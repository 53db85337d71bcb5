/* campaign.c — the meta-training outer loop (see include/plast/campaign.h).
 *
 * Layout of the work: a pool of workers, each with its own learner, episode workspace and
 * stream, evaluates "items" (a candidate's K episodes, or one validation episode) handed
 * out through a shared counter; each item writes only its own result slot, so the result
 * does not depend on which thread (or MPI rank) evaluated it. */
#include "plast/campaign.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plast/metagrad.h"
#include "plast/optim.h"
#include "plast/pool.h"
#include "plast/probe.h"
#include "plast/run.h"

/* ---------------- options ---------------- */

static const char *const optimizers[] = {"openai-es", "cmaes", "sep-cmaes", "snes", "adam", NULL};
/* enum order above matches plast_optim_kind */
static const char *const meta_losses[] = {"score", "loss", "probe", NULL}; /* PLAST_META_* order */

static const plast_opt campaign_table[] = {
    {"optimizer", PLAST_OPT_ENUM, offsetof(plast_campaign_opts, optimizer), 2, 0, 0, optimizers,
     NULL, "outer-loop optimizer (cmaes only for small dimensions; adam: exact meta-gradients, "
     "rules with a backward: flp, dfa, fa, sgd)"},
    {"generations", PLAST_OPT_INT, offsetof(plast_campaign_opts, generations), 50, 1, 100000000,
     NULL, NULL, "generations to run"},
    {"popsize", PLAST_OPT_INT, offsetof(plast_campaign_opts, popsize), 0, 0, 1000000, NULL, NULL,
     "candidates per generation (0: the optimizer's default)"},
    {"sigma0", PLAST_OPT_FLOAT, offsetof(plast_campaign_opts, sigma0), 0.3, 1e-9, 1e3, NULL, NULL,
     "initial step size, in units of each tensor's scale"},
    {"lr", PLAST_OPT_FLOAT, offsetof(plast_campaign_opts, lr), 0.05, 0, 1e3, NULL, NULL,
     "openai-es, adam: learning rate of Adam on the mean (in units of each tensor's scale)"},
    {"clip", PLAST_OPT_FLOAT, offsetof(plast_campaign_opts, clip), 0, 0, 1e9, NULL, NULL,
     "adam: clip the meta-gradient's norm to this (0: no clipping)"},
    {"lr_decay", PLAST_OPT_FLOAT, offsetof(plast_campaign_opts, lr_decay), 1, 1e-6, 1, NULL, NULL,
     "adam: lr <- lr * lr_decay every step"},
    {"truncate", PLAST_OPT_INT, offsetof(plast_campaign_opts, truncate), 0, 0, 100000000, NULL,
     NULL, "adam: back-propagate through the last this many steps only (0: all; biased)"},
    {"group_lr", PLAST_OPT_STRING, offsetof(plast_campaign_opts, group_lr), 0, 0, 0, NULL, "",
     "adam: per-group factors of lr, \"group=factor,...\" (e.g. \"weights=0.1\")"},
    {"es_adam", PLAST_OPT_BOOL, offsetof(plast_campaign_opts, es_adam), 1, 0, 1, NULL, NULL,
     "openai-es: Adam on the mean (false: plain SGD)"},
    {"sigma_decay", PLAST_OPT_FLOAT, offsetof(plast_campaign_opts, sigma_decay), 1, 1e-6, 1, NULL,
     NULL, "openai-es: sigma <- max(sigma_min, sigma * sigma_decay) each generation"},
    {"sigma_min", PLAST_OPT_FLOAT, offsetof(plast_campaign_opts, sigma_min), 0, 0, 1e3, NULL, NULL,
     "openai-es: floor of the sigma schedule"},
    {"weight_decay", PLAST_OPT_FLOAT, offsetof(plast_campaign_opts, weight_decay), 0, 0, 1e3, NULL,
     NULL, "openai-es: weight decay on the mean"},
    {"episodes", PLAST_OPT_INT, offsetof(plast_campaign_opts, episodes), 2, 1, 100000, NULL, NULL,
     "training episodes per candidate (the same for all candidates of a generation)"},
    {"validate_every", PLAST_OPT_INT, offsetof(plast_campaign_opts, validate_every), 5, 1,
     100000000, NULL, NULL, "generations between validations of the mean"},
    {"validation_runs", PLAST_OPT_INT, offsetof(plast_campaign_opts, validation_runs), 8, 1,
     100000, NULL, NULL, "held-out episodes (evaluation pool) per validation"},
    {"checkpoint_every", PLAST_OPT_INT, offsetof(plast_campaign_opts, checkpoint_every), 10, 1,
     100000000, NULL, NULL, "generations between checkpoints (and on SIGINT/SIGTERM)"},
    {"log_groups", PLAST_OPT_NAMES, offsetof(plast_campaign_opts, log_groups), 0, 0, 0, NULL,
     "plasticity,lr,eta",
     "owned groups searched on a log scale (theta0 exp(z): positive, across decades); "
     "groups this learner does not declare are ignored"},
    {"owns", PLAST_OPT_NAMES, offsetof(plast_campaign_opts, owns), 0, 0, 0, NULL,
     "plasticity,beta,feedback",
     "tensor groups the outer loop evolves: any group the network (weights, biases, "
     "feedback) or the rule declares (plast list rules)"},
    {"redraw", PLAST_OPT_NAMES, offsetof(plast_campaign_opts, redraw), 0, 0, 0, NULL, "",
     "groups (not owned) drawn anew for every episode"},
    {"l1", PLAST_OPT_FLOAT, offsetof(plast_campaign_opts, l1), 0, 0, 1e6, NULL, NULL,
     "L1 penalty on the owned tensors of the l1_groups, added to the fitness"},
    {"l1_groups", PLAST_OPT_NAMES, offsetof(plast_campaign_opts, l1_groups), 0, 0, 0, NULL,
     "terms", "groups the L1 penalty applies to (undeclared ones are ignored)"},
    {"meta_loss", PLAST_OPT_ENUM, offsetof(plast_campaign_opts, meta_loss), PLAST_META_SCORE, 0, 0,
     meta_losses, NULL,
     "score: the final query score as a loss (MSE; 1 - accuracy); loss: the objective's "
     "final query loss (1/2 squared error; cross-entropy: differentiable); probe: 1 - the "
     "linear-probe accuracy of the trained network's top weighted layer on a held-out part of "
     "the training split (self-supervised image tasks; evolution strategies only)"},
    {"probe_train", PLAST_OPT_INT, offsetof(plast_campaign_opts, probe_train), 5000, 10, 10000000,
     NULL, NULL, "meta_loss probe: labelled images the probe is fitted on"},
    {"probe_test", PLAST_OPT_INT, offsetof(plast_campaign_opts, probe_test), 2000, 10, 10000000,
     NULL, NULL, "meta_loss probe: held-out images it is scored on"},
    {"probe_epochs", PLAST_OPT_INT, offsetof(plast_campaign_opts, probe_epochs), 10, 1, 10000,
     NULL, NULL, "meta_loss probe: the probe's training epochs"},
    {"fitness_cap", PLAST_OPT_FLOAT, offsetof(plast_campaign_opts, fitness_cap), 1e3, 1e-6, 1e30,
     NULL, NULL, "a meta-loss above this (or not finite: a diverged episode) counts as this"},
    {"ipop", PLAST_OPT_BOOL, offsetof(plast_campaign_opts, ipop), 0, 0, 1, NULL, NULL,
     "cmaes: restart with a doubled population when it stops"},
    {"tune_runs", PLAST_OPT_INT, offsetof(plast_campaign_opts, tune_runs), 8, 1, 100000, NULL,
     NULL, "training-pool episodes per learning rate when tuning the SGD baseline"},
};
const plast_opt_table plast_campaign_opts_table = {
    campaign_table, sizeof campaign_table / sizeof campaign_table[0], sizeof(plast_campaign_opts)};

const float plast_campaign_sgd_lrs[] = {0.001f, 0.003f, 0.01f, 0.03f, 0.1f, 0};

/* Purposes in the RNG key (the "member" slot of plast_rng_derive). */
enum { KEY_TRAIN = 3, KEY_REDRAW = 4, KEY_VALID = 5, KEY_VALID_INIT = 6, KEY_TUNE = 7 };

/* ---------------- state ---------------- */

typedef struct tensor_ref {
    int set;   /* 0 network, 1 rule meta-parameters */
    int k;     /* spec index */
    size_t at; /* offset in z */
    size_t n;
    float scale; /* additive tensors: theta = theta0 + scale z */
    int log;     /* log-scaled tensors: theta = theta0 exp(z) (positive, spans decades) */
} tensor_ref;

typedef struct worker {
    plast_learner L;
    plast_episode ep;
    plast_stream st;
    double *z;
    plast_metagrad *mg;  /* adam: the meta-gradient workspace */
    double *gs, *gm;     /* adam: gradients of the learner state and meta-parameters */
    int ok;
} worker;

struct plast_campaign {
    const plast_config *cfg;
    plast_campaign_opts o;
    plast_comm comm;
    uint64_t seed;
    plast_task_shape shape;
    void *train, *valid; /* task states: training and evaluation pools */
    plast_learner base;  /* the starting point: every tensor's initial value */
    unsigned char fixed[2][PLAST_MAX_PSPECS]; /* tensors not re-drawn: owned or fixed */
    unsigned char owned[2][PLAST_MAX_PSPECS];
    int any_redraw;
    tensor_ref *refs;
    int n_refs;
    size_t dim;
    plast_optim *opt;
    int n_threads;
    worker *w;
    /* results of a parallel pass */
    int gradient;       /* adam: the generation is a meta-batch of gradients */
    double *grads;      /* adam: [episodes][dim] each episode's gradient in z */
    double *lr_scale;   /* adam: [dim] per-group learning-rate factors */
    double *fit;        /* [popsize max] (adam: [episodes]) */
    double *vals;       /* [validation_runs or tune_runs] */
    /* best validated */
    float *best_theta;  /* [dim] in parameter units */
    double best_valid;
    long best_gen;
    long gen;
    plast_gen_stats *hist;
    int n_hist, cap_hist;
    double wall_base;   /* wall time of earlier sessions (restored) */
    struct timespec t0;
    /* meta_loss probe: the two parts of the training split, the probe's settings */
    plast_dataset probe_fit, probe_held;
    plast_probe_opts probe;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static plast_pset *set_of(plast_learner *L, int set)
{
    return plast_learner_set(L, set);
}

static const plast_pset *cset_of(const plast_learner *L, int set)
{
    return plast_learner_cset(L, set);
}

/* Tensor values from z: theta = theta0 + scale z, clamped. */
static void apply_z(const plast_campaign *c, plast_learner *L, const double *z)
{
    for (int i = 0; i < c->n_refs; i++) {
        const tensor_ref *r = &c->refs[i];
        const plast_pspec *p = &cset_of(&c->base, r->set)->spec[r->k];
        const float *t0 = cset_of(&c->base, r->set)->data + p->offset;
        float *t = set_of(L, r->set)->data + p->offset;
        for (size_t j = 0; j < r->n; j++) {
            double zj = z[r->at + j];
            float v = (float)(r->log ? (double)t0[j] * exp(zj < 80.0 ? zj : 80.0)
                                     : (double)t0[j] + (double)r->scale * zj);
            t[j] = v < p->lo ? p->lo : v > p->hi ? p->hi : v;
        }
    }
}

/* Copies the owned tensors of L into theta [dim]. */
static void read_theta(const plast_campaign *c, const plast_learner *L, float *theta)
{
    for (int i = 0; i < c->n_refs; i++) {
        const tensor_ref *r = &c->refs[i];
        const plast_pspec *p = &cset_of(L, r->set)->spec[r->k];
        memcpy(theta + r->at, cset_of(L, r->set)->data + p->offset, r->n * sizeof(float));
    }
}

static void write_theta(const plast_campaign *c, plast_learner *L, const float *theta)
{
    for (int i = 0; i < c->n_refs; i++) {
        const tensor_ref *r = &c->refs[i];
        const plast_pspec *p = &set_of(L, r->set)->spec[r->k];
        memcpy(set_of(L, r->set)->data + p->offset, theta + r->at, r->n * sizeof(float));
    }
}

/* The worker's learner for one episode: fixed tensors from the base, re-drawn ones from
 * the key's stream (only when the campaign re-draws any). */
static void prepare(const plast_campaign *c, plast_learner *L, uint64_t gen, int purpose,
                    uint64_t episode)
{
    if (c->any_redraw) {
        plast_rng r;
        plast_rng_derive(&r, c->seed, gen, (uint64_t)purpose, episode);
        plast_learner_draw(L, &r);
        for (int s = 0; s < 2; s++) plast_pset_overlay(set_of(L, s), cset_of(&c->base, s), c->fixed[s]);
    } else {
        memcpy(L->net.p.data, c->base.net.p.data, c->base.net.p.n_floats * sizeof(float));
        memcpy(L->meta.data, c->base.meta.data, c->base.meta.n_floats * sizeof(float));
    }
}

/* 1 - the held-out linear-probe accuracy of the episode's trained network (meta_loss probe);
 * NAN when it diverged. The probe's own seed is fixed: every candidate is scored alike. */
static double probe_loss(const plast_campaign *c, const plast_episode *ep)
{
    const plast_net *net = &ep->work;
    for (size_t i = 0; i < net->p.n_floats; i++)
        if (!isfinite(net->p.data[i])) return NAN;
    float acc[PLAST_PROBE_MAX_LAYERS];
    int layer_of[PLAST_PROBE_MAX_LAYERS], k;
    plast_err e;
    if (plast_probe_encoder(net, &c->probe_fit, &c->probe_held, &c->probe, 1, acc, layer_of, &k, &e))
        return NAN; /* checked at set-up: only out of memory */
    return 1.0 - acc[0];
}

/* The meta-loss of one finished episode. */
static double episode_loss(const plast_campaign *c, const plast_episode *ep)
{
    double v = c->o.meta_loss == PLAST_META_PROBE ? probe_loss(c, ep)
               : c->o.meta_loss == PLAST_META_LOSS
                   ? ep->out.final_loss
                   : plast_objective_score_loss(c->shape.objective, ep->out.final);
    return isfinite(v) && v < c->o.fitness_cap ? v : c->o.fitness_cap;
}

static double l1_penalty(const plast_campaign *c, const plast_learner *L)
{
    if (c->o.l1 <= 0.0f) return 0.0;
    double s = 0.0;
    for (int i = 0; i < c->n_refs; i++) {
        const tensor_ref *r = &c->refs[i];
        const plast_pspec *p = &cset_of(L, r->set)->spec[r->k];
        if (!plast_names_has(&c->o.l1_groups, p->group)) continue;
        const float *t = cset_of(L, r->set)->data + p->offset;
        for (size_t j = 0; j < r->n; j++) s += fabs((double)t[j]);
    }
    return c->o.l1 * s;
}

/* ---------------- parallel passes ---------------- */

typedef enum { PASS_POP, PASS_GRAD, PASS_VALID } pass_kind;

typedef struct pass {
    plast_campaign *c;
    pass_kind kind;
    const float *theta; /* PASS_VALID: parameters to score */
} pass;

/* d loss / dz from the gradient in parameter units (gs: learner state, gm: meta), through
 * theta = theta0 + scale z (or theta0 exp(z)); a coordinate clamped at a bound does not move.
 * The L1 penalty's gradient is added here. */
static void grad_z(const plast_campaign *c, const plast_learner *L, const double *z,
                   const double *gs, const double *gm, double *gz)
{
    for (int i = 0; i < c->n_refs; i++) {
        const tensor_ref *r = &c->refs[i];
        const plast_pspec *p = &cset_of(L, r->set)->spec[r->k];
        const float *t0 = cset_of(&c->base, r->set)->data + p->offset;
        const float *t = cset_of(L, r->set)->data + p->offset;
        const double *g = (r->set ? gm : gs) + p->offset;
        int l1 = c->o.l1 > 0.0f && plast_names_has(&c->o.l1_groups, p->group);
        for (size_t j = 0; j < r->n; j++) {
            double zj = z[r->at + j];
            double v = r->log ? (double)t0[j] * exp(zj < 80.0 ? zj : 80.0)
                              : (double)t0[j] + (double)r->scale * zj;
            double dt = g[j] + (l1 ? c->o.l1 * (t[j] > 0.0f ? 1.0 : t[j] < 0.0f ? -1.0 : 0.0) : 0.0);
            gz[r->at + j] = v < p->lo || v > p->hi ? 0.0 : dt * (r->log ? v : (double)r->scale);
        }
    }
}

/* One item on the pool's thread `thread`: a candidate's K episodes, or one validation
 * episode; writes only its own slot. */
static void do_item(void *ctx, int thread, int item)
{
    pass *p = ctx;
    plast_campaign *c = p->c;
    worker *w = &c->w[thread];
    plast_rng r;
    if (p->kind == PASS_POP) {
        double sum = 0.0;
        plast_optim_ask(c->opt, item, w->z);
        for (int k = 0; k < c->o.episodes; k++) {
            prepare(c, &w->L, (uint64_t)c->gen, KEY_REDRAW, (uint64_t)k);
            apply_z(c, &w->L, w->z);
            plast_rng_derive(&r, c->seed, (uint64_t)c->gen, KEY_TRAIN, (uint64_t)k);
            c->cfg->task->draw(c->train, &r, &w->st);
            plast_episode_run(&w->ep, &w->st);
            sum += episode_loss(c, &w->ep);
        }
        c->fit[item] = sum / c->o.episodes + l1_penalty(c, &w->L);
    } else if (p->kind == PASS_GRAD) {
        /* episode `item` of the meta-batch at the mean: its loss and gradient in z */
        double loss, *gz = c->grads + (size_t)item * c->dim;
        memcpy(w->z, plast_optim_mean(c->opt), c->dim * sizeof *w->z);
        prepare(c, &w->L, (uint64_t)c->gen, KEY_REDRAW, (uint64_t)item);
        apply_z(c, &w->L, w->z);
        plast_rng_derive(&r, c->seed, (uint64_t)c->gen, KEY_TRAIN, (uint64_t)item);
        c->cfg->task->draw(c->train, &r, &w->st);
        plast_metagrad_run(w->mg, &w->st, &loss, w->gs, w->gm);
        grad_z(c, &w->L, w->z, w->gs, w->gm, gz);
        c->fit[item] = loss; /* non-finite: diverged, left out of the step */
    } else {
        prepare(c, &w->L, 0, KEY_VALID_INIT, (uint64_t)item);
        write_theta(c, &w->L, p->theta);
        plast_rng_derive(&r, c->seed, 0, KEY_VALID, (uint64_t)item);
        c->cfg->task->draw(c->valid, &r, &w->st);
        plast_episode_run(&w->ep, &w->st);
        c->vals[item] = episode_loss(c, &w->ep);
    }
}

/* Evaluates n_items items into out (c->fit or c->vals); PLAST_INTERRUPTED when stopped. */
static int run_pass(plast_campaign *c, pass *p, int n_items, double *out,
                    const volatile sig_atomic_t *interrupt, plast_err *err)
{
    for (int i = 0; i < n_items; i++) out[i] = 0.0;
    if (p->kind == PASS_GRAD) memset(c->grads, 0, (size_t)n_items * c->dim * sizeof *c->grads);
    plast_pool_job job = {.n_items = n_items, .rank = c->comm.rank, .n_ranks = c->comm.size,
                          .run = do_item, .ctx = p, .interrupt = interrupt};
    /* Every rank must agree on whether the pass finished: a stop anywhere stops all. */
    double stop = plast_pool_run(&job, c->n_threads) ? 1.0 : 0.0;
    if (c->comm.allsum) {
        c->comm.allsum(&stop, 1, c->comm.ctx);
        if (stop == 0.0) c->comm.allsum(out, n_items, c->comm.ctx);
        /* each episode's gradient comes from one rank, zeros from the others: exact sums */
        if (stop == 0.0 && p->kind == PASS_GRAD)
            c->comm.allsum(c->grads, (int)((size_t)n_items * c->dim), c->comm.ctx);
    }
    if (stop != 0.0)
        return plast_err_set(err, PLAST_INTERRUPTED, "", "interrupted during a generation");
    return PLAST_OK;
}

static int validate(plast_campaign *c, const float *theta, const volatile sig_atomic_t *interrupt,
                    double *score, plast_err *err)
{
    pass p = {.c = c, .kind = PASS_VALID, .theta = theta};
    int rc = run_pass(c, &p, c->o.validation_runs, c->vals, interrupt, err);
    if (rc) return rc;
    double s = 0.0;
    for (int i = 0; i < c->o.validation_runs; i++) s += c->vals[i];
    *score = s / c->o.validation_runs;
    return PLAST_OK;
}

/* ---------------- life cycle ---------------- */

static int push_hist(plast_campaign *c, const plast_gen_stats *s)
{
    if (c->n_hist == c->cap_hist) {
        int cap = c->cap_hist ? 2 * c->cap_hist : 64;
        plast_gen_stats *h = realloc(c->hist, (size_t)cap * sizeof *h);
        if (!h) return PLAST_E_INTERNAL;
        c->hist = h;
        c->cap_hist = cap;
    }
    c->hist[c->n_hist++] = *s;
    return PLAST_OK;
}

void plast_campaign_delete(plast_campaign *c)
{
    if (!c) return;
    for (int t = 0; c->w && t < c->n_threads; t++) {
        worker *w = &c->w[t];
        if (w->ok) {
            plast_stream_free(&w->st);
            plast_episode_free(&w->ep);
            plast_learner_free(&w->L);
        }
        plast_metagrad_delete(w->mg);
        free(w->z), free(w->gs), free(w->gm);
    }
    free(c->w);
    if (c->train) c->cfg->task->destroy(c->train);
    if (c->valid) c->cfg->task->destroy(c->valid);
    plast_optim_delete(c->opt);
    plast_learner_free(&c->base);
    free(c->refs);
    free(c->fit);
    free(c->grads);
    free(c->lr_scale);
    free(c->vals);
    free(c->best_theta);
    free(c->hist);
    plast_dataset_free(&c->probe_fit);
    plast_dataset_free(&c->probe_held);
    free(c);
}

/* meta_loss probe: the held-out split of the task's images, and a probe of the top weighted
 * layer, checked against the network now. */
static int probe_setup(plast_campaign *c, plast_err *err)
{
    if (c->gradient)
        return plast_err_set(err, PLAST_E_CONFIG, "campaign.meta_loss",
                             "the probe meta-loss has no gradient: use an evolution strategy");
    plast_ssl_src src;
    int rc = plast_probe_source(c->cfg, &src, err);
    if (rc) {
        snprintf(err->where, sizeof err->where, "campaign.meta_loss");
        return rc;
    }
    if ((rc = plast_ssl_load_split(&src, 1, &c->probe_fit, &c->probe_held, err))) return rc;
    plast_opts_defaults(&plast_probe_opts_table, &c->probe);
    const plast_net *net = &c->base.net;
    int top = -1;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layer[l].kind.rows) top = l;
    c->probe.layers.n = 1;
    c->probe.layers.v[0] = top;
    c->probe.n_train = c->o.probe_train;
    c->probe.n_test = c->o.probe_test;
    c->probe.epochs = c->o.probe_epochs;
    c->probe.split = 1;
    return PLAST_OK;
}

/* A task state for one pool: the task's options with "pool" set (when it has one). */
static void *make_task(const plast_config *cfg, int pool, plast_err *err)
{
    _Alignas(16) unsigned char opts[PLAST_OPTS_BYTES];
    memcpy(opts, cfg->task_opts, sizeof opts);
    const plast_opt_table *t = &cfg->task->opts;
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->opt[i].key, "pool") && t->opt[i].type == PLAST_OPT_ENUM)
            *(int *)(opts + t->opt[i].offset) = plast_choice_index(t->opt[i].choices, pool ? "eval" : "train");
    return cfg->task->create(opts, (uint64_t)cfg->run.seed, err);
}

/* Every name in the list is a group some tensor of the learner declares; the message lists
 * the declared groups. */
static int check_groups(const plast_campaign *c, const char *key, const plast_names *l,
                        plast_err *err)
{
    plast_names declared = {0}; /* each group once, in declaration order */
    for (int s = 0; s < 2; s++) {
        const plast_pset *ps = cset_of(&c->base, s);
        for (int k = 0; k < ps->n && declared.n < PLAST_OPT_MAXNAMES; k++)
            if (!plast_names_has(&declared, ps->spec[k].group))
                snprintf(declared.v[declared.n++], PLAST_NAME_LEN, "%s", ps->spec[k].group);
    }
    for (int i = 0; i < l->n; i++) {
        if (plast_names_has(&declared, l->v[i])) continue;
        char have[PLAST_OPT_MAXNAMES * (PLAST_NAME_LEN + 2)] = "", where[64];
        size_t n = 0;
        for (int k = 0; k < declared.n; k++)
            n += (size_t)snprintf(have + n, sizeof have - n, "%s%s", k ? ", " : "", declared.v[k]);
        snprintf(where, sizeof where, "campaign.%s[%d]", key, i);
        return plast_err_set(err, PLAST_E_CONFIG, where,
                             "'%s' is not a tensor group of this network and rule '%s' (they "
                             "declare: %s)", l->v[i], c->cfg->rule->name, have);
    }
    return PLAST_OK;
}

/* adam: lr_scale[dim] from "group=factor,...": every owned group named must exist. */
static int group_lr(plast_campaign *c, plast_err *err)
{
    for (size_t i = 0; i < c->dim; i++) c->lr_scale[i] = 1.0;
    const char *p = c->o.group_lr;
    while (*p) {
        char name[PLAST_NAME_LEN];
        const char *eq = strchr(p, '='), *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        char *num_end;
        if (!eq || eq > end || eq == p || (size_t)(eq - p) >= sizeof name)
            return plast_err_set(err, PLAST_E_CONFIG, "campaign.group_lr",
                                 "expected \"group=factor,...\", got \"%.100s\"", c->o.group_lr);
        memcpy(name, p, (size_t)(eq - p));
        name[eq - p] = '\0';
        double f = strtod(eq + 1, &num_end);
        if (num_end != end || !isfinite(f) || f < 0.0)
            return plast_err_set(err, PLAST_E_CONFIG, "campaign.group_lr",
                                 "the factor of group '%s' is not a finite number >= 0", name);
        int found = 0;
        for (int i = 0; i < c->n_refs; i++) {
            const tensor_ref *r = &c->refs[i];
            if (strcmp(cset_of(&c->base, r->set)->spec[r->k].group, name)) continue;
            for (size_t j = 0; j < r->n; j++) c->lr_scale[r->at + j] = f;
            found = 1;
        }
        if (!found)
            return plast_err_set(err, PLAST_E_CONFIG, "campaign.group_lr",
                                 "'%s' is not a group the campaign owns", name);
        p = *end ? end + 1 : end;
    }
    return PLAST_OK;
}

plast_campaign *plast_campaign_new(const plast_config *cfg, int threads, const plast_comm *comm,
                                   plast_err *err)
{
    if (!cfg->has_campaign || !cfg->campaign_table) {
        plast_err_set(err, PLAST_E_CONFIG, "campaign",
                      "missing: a campaign config has a \"campaign\" section");
        return NULL;
    }
    plast_campaign *c = calloc(1, sizeof *c);
    if (!c) {
        plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory");
        return NULL;
    }
    c->cfg = cfg;
    memcpy(&c->o, cfg->campaign_opts, sizeof c->o);
    c->comm = comm ? *comm : (plast_comm){0, 1, NULL, NULL};
    c->seed = (uint64_t)cfg->run.seed;
    c->n_threads = threads < 1 ? 1 : threads > PLAST_POOL_MAX_THREADS ? PLAST_POOL_MAX_THREADS : threads;
    c->best_valid = INFINITY;
    int rc = PLAST_OK;
    if ((rc = plast_learner_from_config(&c->base, cfg, NULL, NULL, &c->shape, err))) goto fail;
    plast_rng r;
    plast_rng_derive(&r, c->seed, PLAST_KEY_INIT, 0, 0);
    plast_learner_draw(&c->base, &r);
    if (cfg->run.params[0]) {
        plast_pset *secs[2] = {&c->base.net.p, &c->base.meta};
        const char *names[2] = {"net", "meta"};
        if ((rc = plast_params_read(cfg->run.params, cfg->rule->name, secs, names, 2, NULL,
                                     &cfg->run.params_layers, err)))
            goto fail;
    }

    /* Which tensors are owned, fixed or re-drawn: any group the learner declares. */
    if ((rc = check_groups(c, "owns", &c->o.owns, err)) ||
        (rc = check_groups(c, "redraw", &c->o.redraw, err)))
        goto fail;
    for (int i = 0; i < c->o.redraw.n; i++)
        if (plast_names_has(&c->o.owns, c->o.redraw.v[i])) {
            rc = plast_err_set(err, PLAST_E_CONFIG, "campaign.redraw",
                               "group '%s' cannot be both owned and re-drawn", c->o.redraw.v[i]);
            goto fail;
        }
    for (int s = 0; s < 2; s++) {
        const plast_pset *ps = cset_of(&c->base, s);
        for (int k = 0; k < ps->n; k++) {
            c->owned[s][k] = (unsigned char)plast_names_has(&c->o.owns, ps->spec[k].group);
            c->fixed[s][k] = !plast_names_has(&c->o.redraw, ps->spec[k].group);
            c->any_redraw |= !c->fixed[s][k];
            c->n_refs += c->owned[s][k];
        }
    }
    if (!c->n_refs) {
        rc = plast_err_set(err, PLAST_E_CONFIG, "campaign.owns",
                           "owns no tensor of this network and rule (rule '%s' declares groups: see "
                           "'plast list rules')", cfg->rule->name);
        goto fail;
    }
    c->refs = calloc((size_t)c->n_refs, sizeof *c->refs);
    if (!c->refs) goto oom;
    int i = 0;
    for (int s = 0; s < 2; s++) {
        const plast_pset *ps = cset_of(&c->base, s);
        for (int k = 0; k < ps->n; k++) {
            if (!c->owned[s][k]) continue;
            tensor_ref *t = &c->refs[i++];
            t->set = s;
            t->k = k;
            t->at = c->dim;
            t->n = (size_t)ps->spec[k].rows * ps->spec[k].cols;
            double ss = 0.0;
            for (size_t j = 0; j < t->n; j++) {
                double v = ps->data[ps->spec[k].offset + j];
                ss += v * v;
            }
            double rms = sqrt(ss / (double)t->n);
            t->scale = rms > 0.0 ? (float)rms : 0.1f;
            t->log = plast_names_has(&c->o.log_groups, ps->spec[k].group);
            for (size_t j = 0; t->log && j < t->n; j++)
                if (!(ps->data[ps->spec[k].offset + j] > 0.0f)) {
                    char label[64];
                    plast_pspec_label(&ps->spec[k], label, sizeof label);
                    rc = plast_err_set(err, PLAST_E_CONFIG, "campaign.log_groups",
                                       "tensor %s (group %s) starts at %g: a log-scaled group "
                                       "needs positive initial values", label, ps->spec[k].group,
                                       (double)ps->data[ps->spec[k].offset + j]);
                    goto fail;
                }
            c->dim += t->n;
        }
    }
    if (c->dim > (size_t)PLAST_OPTIM_MAX_DIM) {
        rc = plast_err_set(err, PLAST_E_CONFIG, "campaign.owns", "%zu meta-parameters is too many",
                           c->dim);
        goto fail;
    }

    plast_optim_cfg oc;
    plast_optim_cfg_default(&oc, (plast_optim_kind)c->o.optimizer, (int)c->dim);
    oc.popsize = c->o.popsize;
    oc.sigma0 = c->o.sigma0;
    oc.seed = c->seed;
    oc.lr = c->o.lr;
    oc.weight_decay = c->o.weight_decay;
    oc.use_adam = c->o.es_adam;
    oc.sigma_decay = c->o.sigma_decay;
    oc.sigma_min = c->o.sigma_min;
    oc.ipop = c->o.ipop;
    oc.clip = c->o.clip;
    oc.lr_decay = c->o.lr_decay;
    c->gradient = oc.kind == PLAST_OPTIM_ADAM;
    if (c->o.meta_loss == PLAST_META_PROBE && (rc = probe_setup(c, err))) goto fail;
    c->opt = plast_optim_new(&oc, NULL, err); /* z = 0 is the starting point */
    if (!c->opt) {
        rc = err ? err->code : PLAST_E_CONFIG;
        if (err) {
            char w[256];
            snprintf(w, sizeof w, "campaign.%.200s",
                     strncmp(err->where, "optim.", 6) ? err->where : err->where + 6);
            snprintf(err->where, sizeof err->where, "%s", w);
        }
        goto fail;
    }
    /* IPOP may double the population up to its restart limit: size for the largest. */
    int pop_max = plast_optim_popsize(c->opt) << (c->o.ipop ? oc.max_restarts : 0);
    int n_vals = c->o.validation_runs;
    if (c->gradient) { /* a meta-batch of episodes, each with its gradient */
        pop_max = c->o.episodes;
        c->grads = calloc((size_t)pop_max * c->dim, sizeof *c->grads);
        c->lr_scale = malloc(2 * c->dim * sizeof *c->lr_scale); /* rates, then the mean gradient */
        if (!c->grads || !c->lr_scale) goto oom;
        if ((rc = group_lr(c, err))) goto fail;
    }
    c->fit = calloc((size_t)pop_max, sizeof *c->fit);
    c->vals = calloc((size_t)n_vals, sizeof *c->vals);
    c->best_theta = calloc(c->dim, sizeof *c->best_theta);
    if (!c->fit || !c->vals || !c->best_theta) goto oom;
    read_theta(c, &c->base, c->best_theta);

    if (!(c->train = make_task(cfg, 0, err)) || !(c->valid = make_task(cfg, 1, err))) {
        rc = err ? err->code : PLAST_E_INTERNAL;
        goto fail;
    }
    c->w = calloc((size_t)c->n_threads, sizeof *c->w);
    if (!c->w) goto oom;
    for (int t = 0; t < c->n_threads; t++) {
        worker *w = &c->w[t];
        if ((rc = plast_learner_clone(&w->L, &c->base, err))) goto fail;
        if ((rc = plast_episode_init(&w->ep, &w->L, &c->shape, err))) {
            plast_learner_free(&w->L);
            goto fail;
        }
        if ((rc = plast_stream_init(&w->st, &c->shape, err))) {
            plast_episode_free(&w->ep);
            plast_learner_free(&w->L);
            goto fail;
        }
        w->ok = 1;
        if (!(w->z = calloc(c->dim, sizeof *w->z))) goto oom;
        if (c->gradient) {
            if (!(w->mg = plast_metagrad_new(&w->L, &c->shape, 0, err))) {
                rc = err ? err->code : PLAST_E_CONFIG;
                if (err && !strcmp(err->where, "rule.name"))
                    snprintf(err->where, sizeof err->where, "campaign.optimizer");
                goto fail;
            }
            plast_metagrad_truncate(w->mg, c->o.truncate);
            w->gs = malloc(w->L.net.p.n_floats * sizeof *w->gs);
            w->gm = malloc((w->L.meta.n_floats + 1) * sizeof *w->gm);
            if (!w->gs || !w->gm) goto oom;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
    return c;
oom:
    rc = plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory (campaign)");
fail:
    (void)rc;
    plast_campaign_delete(c);
    return NULL;
}

int plast_campaign_dim(const plast_campaign *c)
{
    return (int)c->dim;
}

long plast_campaign_gen(const plast_campaign *c)
{
    return c->gen;
}

const char *plast_campaign_done(const plast_campaign *c)
{
    if (c->gen >= c->o.generations) return "generations";
    return plast_optim_stop(c->opt);
}

static double wall(const plast_campaign *c)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return c->wall_base + (double)(t.tv_sec - c->t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - c->t0.tv_nsec);
}

int plast_campaign_start(plast_campaign *c, const volatile sig_atomic_t *interrupt, plast_err *err)
{
    double v;
    int rc = validate(c, c->best_theta, interrupt, &v, err);
    if (rc == PLAST_INTERRUPTED) return rc; /* nothing to keep yet */
    if (rc) return rc;
    c->best_valid = v;
    c->best_gen = 0;
    plast_gen_stats s = {.gen = 0, .best = NAN, .mean = NAN, .std = NAN, .valid = v,
                         .best_valid = v, .sigma = plast_optim_sigma(c->opt), .evals_per_s = NAN,
                         .wall_s = wall(c), .outside_frac = NAN, .grad_norm = NAN};
    if (push_hist(c, &s)) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory");
    return PLAST_OK;
}

int plast_campaign_step(plast_campaign *c, const volatile sig_atomic_t *interrupt, plast_gen_stats *out,
                        plast_err *err)
{
    double t_start = now_s();
    int pop = c->gradient ? c->o.episodes : plast_optim_popsize(c->opt);
    pass p = {.c = c, .kind = c->gradient ? PASS_GRAD : PASS_POP, .theta = NULL};
    double t_eval0 = now_s();
    int rc = run_pass(c, &p, pop, c->fit, interrupt, err);
    if (rc) return rc;
    double t_eval = now_s() - t_eval0;
    double gnorm = NAN, *g = NULL;
    if (c->gradient) {
        /* the meta-batch's mean gradient, summed in episode order (any thread, any rank); a
         * diverged episode (loss or gradient not finite) is left out of the mean */
        g = c->lr_scale + c->dim; /* [dim] after the rates */
        int n_ok = 0;
        for (size_t i = 0; i < c->dim; i++) g[i] = 0.0;
        for (int k = 0; k < pop; k++) {
            const double *gk = c->grads + (size_t)k * c->dim;
            int ok = isfinite(c->fit[k]);
            for (size_t i = 0; ok && i < c->dim; i++) ok = isfinite(gk[i]);
            if (ok) {
                n_ok++;
                for (size_t i = 0; i < c->dim; i++) g[i] += gk[i];
            }
            if (!ok || c->fit[k] > c->o.fitness_cap) c->fit[k] = c->o.fitness_cap;
        }
        gnorm = 0.0;
        for (size_t i = 0; i < c->dim; i++) g[i] /= n_ok ? n_ok : 1, gnorm += g[i] * g[i];
        gnorm = sqrt(gnorm);
        if (!n_ok) g[0] = NAN; /* every episode diverged: the step is skipped (counted) */
    }
    double best = INFINITY, sum = 0.0, ss = 0.0;
    for (int i = 0; i < pop; i++) {
        best = fmin(best, c->fit[i]);
        sum += c->fit[i];
    }
    double mean = sum / pop;
    for (int i = 0; i < pop; i++) ss += (c->fit[i] - mean) * (c->fit[i] - mean);
    if (c->gradient) {
        worker *w = &c->w[0];
        memcpy(w->z, plast_optim_mean(c->opt), c->dim * sizeof *w->z);
        apply_z(c, &w->L, w->z);
        rc = plast_optim_tell_grad(c->opt, mean + l1_penalty(c, &w->L), g, c->lr_scale, err);
    } else {
        rc = plast_optim_tell(c->opt, c->fit, err);
    }
    if (rc) return rc;
    c->gen++;
    plast_gen_stats s = {.gen = c->gen, .best = best, .mean = mean,
                         .std = pop > 1 ? sqrt(ss / (pop - 1)) : 0.0, .valid = NAN,
                         .sigma = plast_optim_sigma(c->opt),
                         .evals_per_s = t_eval > 0 ? pop / t_eval : NAN,
                         .grad_norm = gnorm,
                         .skipped = c->gradient ? (double)plast_optim_skipped(c->opt) : 0.0};
    if (c->gen % c->o.validate_every == 0 || plast_campaign_done(c)) {
        /* validate the mean: the parameters z = mean */
        worker *w = &c->w[0];
        memcpy(w->z, plast_optim_mean(c->opt), c->dim * sizeof *w->z);
        apply_z(c, &w->L, w->z);
        float *theta = malloc(c->dim * sizeof *theta); /* outer loop: allocation is fine */
        if (!theta) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory");
        read_theta(c, &w->L, theta);
        /* Not interruptible: the generation has been told, so it is finished with its
         * validation (a few episodes) and the caller checkpoints right after. */
        double v, t_val0 = now_s();
        rc = validate(c, theta, NULL, &v, err);
        t_eval += now_s() - t_val0; /* validation episodes are evaluation work too */
        if (rc) {
            free(theta);
            return rc;
        }
        s.valid = v;
        if (v < c->best_valid) {
            c->best_valid = v;
            c->best_gen = c->gen;
            memcpy(c->best_theta, theta, c->dim * sizeof *theta);
        }
        free(theta);
    }
    s.best_valid = c->best_valid;
    double t_gen = now_s() - t_start;
    s.wall_s = wall(c);
    s.outside_frac = t_gen > 0 ? (t_gen - t_eval) / t_gen : 0.0;
    if (push_hist(c, &s)) return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory");
    if (out) *out = s;
    return PLAST_OK;
}

const plast_gen_stats *plast_campaign_history(const plast_campaign *c, int *n)
{
    *n = c->n_hist;
    return c->hist;
}

/* ---------------- checkpoints ---------------- */

typedef struct camp_scalars {
    int64_t gen, best_gen, n_hist, dim;
    double best_valid, wall;
} camp_scalars;

int plast_campaign_save(const plast_campaign *c, const char *path, uint64_t config_hash,
                        plast_err *err)
{
    size_t nopt = plast_optim_state_bytes(c->opt);
    void *ost = malloc(nopt ? nopt : 1);
    if (!ost) return plast_err_set(err, PLAST_E_INTERNAL, path, "out of memory (checkpoint)");
    plast_optim_state_store(c->opt, ost);
    camp_scalars sc = {c->gen, c->best_gen, c->n_hist, (int64_t)c->dim, c->best_valid, wall(c)};
    plast_ckpt_section sec[6] = {
        {"camp", &sc, sizeof sc},
        {"optim", ost, nopt},
        {"best", c->best_theta, c->dim * sizeof(float)},
        {"hist", c->hist, (size_t)c->n_hist * sizeof *c->hist},
        {"basenet", c->base.net.p.data, c->base.net.p.n_floats * sizeof(float)},
        {"basemeta", c->base.meta.data, c->base.meta.n_floats * sizeof(float)},
    };
    int rc = plast_ckpt_write(path, config_hash, sec, 6, err);
    free(ost);
    return rc;
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* A checkpoint's checksum only says the file is the one written; this checks that what it
 * says is a state this campaign could have reached, so that a forged or mis-written file
 * cannot resume into nonsense (a negative generation, a NaN best score, a history that does
 * not match the generation). Every field is checked against its meaning. */
static int check_restored(const plast_campaign *c, const camp_scalars *sc,
                          const plast_gen_stats *hist, const float *best, const float *bnet,
                          size_t n_net, const float *bmeta, size_t n_meta, const plast_optim *o,
                          const char *path, plast_err *err)
{
    if (sc->gen < 0 || sc->gen > c->o.generations)
        return plast_err_set(err, PLAST_E_DATA, path, "checkpoint generation %lld outside 0..%d",
                             (long long)sc->gen, c->o.generations);
    if (sc->n_hist != sc->gen + 1)
        return plast_err_set(err, PLAST_E_DATA, path,
                             "checkpoint history holds %lld rows for generation %lld (expected %lld)",
                             (long long)sc->n_hist, (long long)sc->gen, (long long)sc->gen + 1);
    if (sc->best_gen < 0 || sc->best_gen > sc->gen)
        return plast_err_set(err, PLAST_E_DATA, path,
                             "checkpoint best generation %lld outside 0..%lld",
                             (long long)sc->best_gen, (long long)sc->gen);
    if (!isfinite(sc->best_valid))
        return plast_err_set(err, PLAST_E_DATA, path, "checkpoint best validation score is not finite");
    if (!isfinite(sc->wall) || sc->wall < 0.0)
        return plast_err_set(err, PLAST_E_DATA, path, "checkpoint wall time is negative or not finite");
    if (plast_optim_generation(o) != (long)sc->gen)
        return plast_err_set(err, PLAST_E_DATA, path,
                             "checkpoint optimizer is at generation %ld, the campaign at %lld",
                             plast_optim_generation(o), (long long)sc->gen);
    if (!isfinite(plast_optim_sigma(o)))
        return plast_err_set(err, PLAST_E_DATA, path, "checkpoint optimizer step size is not finite");
    const double *mean = plast_optim_mean(o);
    for (size_t i = 0; i < c->dim; i++)
        if (!isfinite(mean[i]))
            return plast_err_set(err, PLAST_E_DATA, path, "checkpoint optimizer mean is not finite");
    for (int64_t i = 0; i < sc->n_hist; i++) {
        const plast_gen_stats *h = &hist[i];
        /* Validation scores are capped (always finite) or NaN when not validated. */
        if (h->gen != (long)i || !isfinite(h->best_valid) || isinf(h->valid) ||
            (i > 0 && h->best_valid > hist[i - 1].best_valid))
            return plast_err_set(err, PLAST_E_DATA, path,
                                 "checkpoint history row %lld is inconsistent", (long long)i);
    }
    if (hist[sc->n_hist - 1].best_valid != sc->best_valid || hist[sc->best_gen].valid != sc->best_valid)
        return plast_err_set(err, PLAST_E_DATA, path,
                             "checkpoint best validation score does not match its history");
    if (!all_finite(best, c->dim) || !all_finite(bnet, n_net) || !all_finite(bmeta, n_meta))
        return plast_err_set(err, PLAST_E_DATA, path, "checkpoint parameters are not finite");
    return PLAST_OK;
}

int plast_campaign_restore(plast_campaign *c, const char *path, uint64_t config_hash,
                           plast_err *err)
{
    plast_ckpt k;
    int rc = plast_ckpt_read(path, &k, err);
    if (rc) return rc;
    size_t n_sc, n_opt, n_best, n_hist, n_net, n_meta;
    const camp_scalars *sc = plast_ckpt_get(&k, "camp", &n_sc);
    const void *ost = plast_ckpt_get(&k, "optim", &n_opt);
    const float *best = plast_ckpt_get(&k, "best", &n_best);
    const plast_gen_stats *hist = plast_ckpt_get(&k, "hist", &n_hist);
    const float *bnet = plast_ckpt_get(&k, "basenet", &n_net);
    const float *bmeta = plast_ckpt_get(&k, "basemeta", &n_meta);
    plast_optim *o = NULL;
    if (k.config_hash != config_hash) {
        rc = plast_err_set(err, PLAST_E_DATA, path,
                           "checkpoint belongs to another config (the run's config.json changed?)");
    } else if (!sc || n_sc != sizeof *sc || !ost || !best || !hist || !bnet || !bmeta ||
               sc->dim != (int64_t)c->dim || n_best != c->dim * sizeof(float) ||
               sc->n_hist < 1 || n_hist != (size_t)sc->n_hist * sizeof *hist ||
               n_net != c->base.net.p.n_floats * sizeof(float) ||
               n_meta != c->base.meta.n_floats * sizeof(float)) {
        rc = plast_err_set(err, PLAST_E_DATA, path, "checkpoint does not match this campaign's shapes");
    } else if (!(o = plast_optim_state_load(ost, n_opt, err))) {
        /* The record names the file; the optimizer's own reason follows. */
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        rc = plast_err_set(err, PLAST_E_DATA, path, "checkpoint optimizer: %.400s", msg);
    } else if (plast_optim_dim(o) != (int)c->dim) {
        rc = plast_err_set(err, PLAST_E_DATA, path, "checkpoint optimizer has another dimension");
    } else {
        rc = check_restored(c, sc, hist, best, bnet, n_net / sizeof(float), bmeta,
                            n_meta / sizeof(float), o, path, err);
    }
    if (!rc) {
        plast_gen_stats *h = malloc(n_hist);
        if (!h) rc = plast_err_set(err, PLAST_E_INTERNAL, path, "out of memory");
        else {
            memcpy(h, hist, n_hist);
            free(c->hist);
            c->hist = h;
            c->n_hist = c->cap_hist = (int)sc->n_hist;
            plast_optim_delete(c->opt);
            c->opt = o;
            o = NULL;
            c->gen = sc->gen;
            c->best_gen = sc->best_gen;
            c->best_valid = sc->best_valid;
            c->wall_base = sc->wall;
            clock_gettime(CLOCK_MONOTONIC, &c->t0);
            memcpy(c->best_theta, best, n_best);
            memcpy(c->base.net.p.data, bnet, n_net);
            memcpy(c->base.meta.data, bmeta, n_meta);
        }
    }
    plast_optim_delete(o);
    plast_ckpt_free(&k);
    return rc;
}

/* ---------------- results ---------------- */

static int learner_with(const plast_campaign *c, int best, plast_learner *L, plast_err *err)
{
    int rc = plast_learner_clone(L, &c->base, err);
    if (!rc && best) write_theta(c, L, c->best_theta);
    return rc;
}

int plast_campaign_write_params(const plast_campaign *c, FILE *f, int best)
{
    plast_learner L;
    if (learner_with(c, best, &L, NULL)) return PLAST_E_INTERNAL;
    const plast_pset *secs[2] = {&L.net.p, &L.meta};
    const char *names[2] = {"net", "meta"};
    const unsigned char *masks[2] = {c->fixed[0], c->fixed[1]};
    int rc = plast_params_write(f, c->cfg->rule->name, secs, names, masks, 2);
    plast_learner_free(&L);
    return rc;
}

/* Scores L over runs episodes: every run draws its learner, then the tensors marked in
 * fixed_net / fixed_meta take L's values. */
static int eval_on(const plast_campaign *c, const plast_learner *L, const unsigned char *fixed_net,
                   const unsigned char *fixed_meta, const void *state, uint64_t seed, int runs,
                   plast_eval_result *res, plast_err *err)
{
    plast_eval_spec es = {.task = c->cfg->task, .task_state = state, .shape = c->shape,
                          .seed = seed, .runs = runs, .threads = c->n_threads, .init_per_run = 1,
                          .n_boot = c->cfg->run.bootstrap, .fixed = L,
                          .fixed_net = fixed_net, .fixed_meta = fixed_meta};
    return plast_evaluate(L, &es, res, err);
}

void plast_campaign_final_free(plast_campaign_final *f)
{
    plast_eval_result_free(&f->best);
    plast_eval_result_free(&f->start);
    plast_eval_result_free(&f->sgd);
}

int plast_campaign_final_eval(plast_campaign *c, plast_campaign_final *out, plast_err *err)
{
    memset(out, 0, sizeof *out);
    const plast_config *cfg = c->cfg;
    uint64_t seed = c->seed;
    int runs = cfg->run.runs;
    plast_learner L;
    int rc = learner_with(c, 1, &L, err);
    if (rc) return rc;
    rc = eval_on(c, &L, c->fixed[0], c->fixed[1], c->valid, seed, runs, &out->best, err);
    plast_learner_free(&L);
    if (!rc) rc = eval_on(c, &c->base, c->fixed[0], c->fixed[1], c->valid, seed, runs, &out->start, err);
    if (rc) goto done;

    /* Online SGD on the same network shape, its learning rate tuned on the training pool. */
    const plast_rule *sgd = plast_rule_find("sgd");
    _Alignas(16) unsigned char sopts[PLAST_OPTS_BYTES];
    plast_opts_defaults(&sgd->opts, sopts);
    if ((rc = plast_learner_from_config(&L, cfg, sgd, sopts, NULL, err))) goto done;
    /* Every run draws its own network; only the learning rate is fixed by us. */
    unsigned char no_net[PLAST_MAX_PSPECS] = {0}, lr_only[PLAST_MAX_PSPECS] = {0};
    float *lr = plast_pset_view(&L.meta, "lr", -1);
    lr_only[plast_pset_find(&L.meta, "lr", -1) - L.meta.spec] = 1;
    double best_loss = INFINITY;
    out->sgd_lr = plast_campaign_sgd_lrs[0];
    for (int i = 0; plast_campaign_sgd_lrs[i] > 0.0f && !rc; i++) {
        *lr = plast_campaign_sgd_lrs[i];
        plast_eval_result t;
        rc = eval_on(c, &L, no_net, lr_only, c->train, seed + KEY_TUNE, c->o.tune_runs, &t, err);
        if (rc) break;
        double loss = 0.0;
        for (int r = 0; r < t.runs; r++) {
            double v = plast_objective_score_loss(c->shape.objective, t.final[r]);
            loss += isfinite(v) && v < c->o.fitness_cap ? v : c->o.fitness_cap;
        }
        loss /= t.runs;
        out->sgd_tune[out->n_tune++] = loss;
        if (loss < best_loss) best_loss = loss, out->sgd_lr = plast_campaign_sgd_lrs[i];
        plast_eval_result_free(&t);
    }
    if (!rc) {
        *lr = out->sgd_lr;
        rc = eval_on(c, &L, no_net, lr_only, c->valid, seed, runs, &out->sgd, err);
    }
    plast_learner_free(&L);
done:
    if (rc) plast_campaign_final_free(out);
    return rc;
}

void plast_campaign_meta_loss_name(const plast_campaign_opts *o, const plast_objective *obj,
                                   char *buf, size_t n)
{
    if (o->meta_loss == PLAST_META_PROBE) snprintf(buf, n, "1 - held-out linear-probe accuracy (top layer)");
    else if (o->meta_loss == PLAST_META_LOSS) snprintf(buf, n, "query %s", obj->loss_name);
    else if (obj->higher_better) snprintf(buf, n, "1 - %s", obj->score_name);
    else snprintf(buf, n, "query %s", obj->score_name);
}
