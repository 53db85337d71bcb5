/* test_clapp.c — CLAPP's update is minus the gradient of its layer-local hinge loss.
 *
 * A dense layer (6 -> 5, tanh) under a 3-unit output, minibatch 3, learning rates 1. Step 1
 * (a saccade: nothing to predict) only fills the context traces; step 2 is a fixation or a
 * saccade. The update of step 2 (W, b and W_pred of layer 0) must equal minus the
 * central-difference gradient of
 *   L = 1/B sum_b max(0, 1 - y z_b^T W_pred c_b),  z_b = tanh(W x2_b + b)
 * (double precision), with the context c_b = tanh(W x1_b + b) held constant (retro off) or
 * computed with the same W (retro on: the retrodiction term is the gradient through c). Each
 * of fixation / saccade with the gate open (|u| small: W_pred small) and closed (W_pred
 * = +-5 I on repeated inputs, so y u > 1): closed gives exactly no update. The gradient is
 * checked not to be zero in the open cases. Then the ablations: no gate (gamma = y on a
 * closed-gate configuration), positive_only (a saccade step changes nothing), freeze_pred,
 * soft gate (the gradient of the softplus hinge), and horizon 2 (two prediction matrices,
 * the second predicting two steps ahead); finally the rule learns on the saccade task and
 * refuses tasks without the broadcast and minibatches above its trace capacity. */
#include <math.h>

#include "rig.h"
#include "plast/config.h"
#include "plast/registry.h"
#include "plast/ssl.h"

#define NI 6
#define NO 5
#define NB 3

typedef struct fdcase {
    int saccade, retro, gate; /* gate: 0 hard, 1 soft, 2 none */
    float beta;
    double W[NO * NI], b[NO], P[2][NO * NO];
    int horizon;
    float x[3][NB * NI]; /* x[0] oldest; the last is the current step */
} fdcase;

static void feat(const fdcase *c, const double *W, const double *b, const float *x, double *z)
{
    for (int bb = 0; bb < NB; bb++)
        for (int j = 0; j < NO; j++) {
            double a = b[j];
            for (int i = 0; i < NI; i++) a += W[j * NI + i] * x[bb * NI + i];
            z[bb * NO + j] = tanh(a);
        }
    (void)c;
}

/* The layer-local loss; ctx[k] the context features when held constant (retro off). */
static double loss(const fdcase *c, const double *W, const double *b, const double P[2][NO * NO],
                   double ctx[2][NB * NO])
{
    double z[NB * NO], cc[NB * NO], L = 0.0;
    feat(c, W, b, c->x[c->horizon], z);
    for (int k = 0; k < c->horizon; k++) {
        /* offset k+1: the input k+1 steps before the current one */
        if (c->retro) feat(c, W, b, c->x[c->horizon - 1 - k], cc);
        else memcpy(cc, ctx[k], sizeof cc);
        double y = c->saccade ? -1.0 : 1.0;
        for (int bb = 0; bb < NB; bb++) {
            double u = 0.0;
            for (int i = 0; i < NO; i++)
                for (int j = 0; j < NO; j++) u += z[bb * NO + i] * P[k][i * NO + j] * cc[bb * NO + j];
            double m = 1.0 - y * u;
            if (c->gate == 0) L += m > 0 ? m : 0.0;
            else if (c->gate == 1) L += log1p(exp(c->beta * m)) / c->beta;
            else L += -y * u;
        }
    }
    return L / NB;
}

/* Runs the engine: horizon steps of fill-up (the first a saccade), then the step under
 * test; returns the largest |y u| margin distance seen and fills dW, db, dP. */
static void engine_update(fdcase *c, int positive_only, int freeze, double *dW, double *db,
                          double dP[2][NO * NO], double *umin)
{
    rig g;
    memset(&g, 0, sizeof g);
    const int widths[2] = {NO, 3};
    const plast_act acts[2] = {PLAST_ACT_TANH, PLAST_ACT_IDENTITY};
    /* built by hand (not rig_try, which resets the options) */
    plast_net_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.n_in = NI, sp.n_layers = 2;
    for (int l = 0; l < 2; l++) sp.width[l] = widths[l], sp.act[l] = acts[l], sp.plastic[l] = 1;
    sp.w_init = PLAST_INIT_KAIMING_UNIFORM, sp.w_gain = 1.0f;
    const plast_rule *r = plast_rule_find("clapp");
    plast_opts_defaults(&r->opts, g.opts);
    g.L.rule = r;
    set_opt(&g, "retro", c->retro);
    set_opt(&g, "gate", c->gate);
    set_opt(&g, "sharpness", c->beta);
    set_opt(&g, "horizon", c->horizon);
    set_opt(&g, "positive_only", positive_only);
    set_opt(&g, "freeze_pred", freeze);
    set_opt(&g, "batch", 4);
    plast_err err;
    REQUIRE(plast_learner_init(&g.L, &sp, r, g.opts, &plast_objective_unsupervised, &err) == 0);
    memset(&g.shape, 0, sizeof g.shape);
    g.shape.objective = &plast_objective_unsupervised;
    g.shape.n_in = NI, g.shape.n_out = 3, g.shape.batch = NB, g.shape.max_steps = 1;
    g.shape.n_seg = 1, g.shape.n_query = 1, g.shape.n_bcast = 1, g.shape.bcast[0] = "saccade";
    plast_rng rng;
    plast_rng_seed(&rng, 5, 1);
    plast_learner_draw(&g.L, &rng);
    for (int k = 0; k < g.L.meta.n; k++) {
        const plast_pspec *q = &g.L.meta.spec[k];
        if (!strcmp(q->name, "lr") || !strcmp(q->name, "pred_lr")) g.L.meta.data[q->offset] = 1.0f;
    }
    plast_layer *ly = &g.L.net.layer[0];
    for (int i = 0; i < NO * NI; i++) ly->W[i] = (float)c->W[i];
    for (int j = 0; j < NO; j++) ly->b[j] = (float)c->b[j];
    float *P0 = plast_pset_view(&g.L.net.p, "Wpred", 0);
    for (int k = 0; k < c->horizon; k++)
        for (int i = 0; i < NO * NO; i++) P0[k * NO * NO + i] = (float)c->P[k][i];
    rig_start(&g);
    static float y0[NB * 3];
    /* fill-up steps: the first is a saccade, then fixations; they move nothing (no valid
     * context in the first, and lr is set to zero for the others) */
    float *lr0 = plast_pset_view(&g.L.meta, "lr", 0), *plr0 = plast_pset_view(&g.L.meta, "pred_lr", 0);
    for (int t = 0; t < c->horizon; t++) {
        float one = t == 0 ? 1.0f : 0.0f;
        *lr0 = *plr0 = t == 0 ? 1.0f : 0.0f;
        plast_episode_step(&g.ep, c->x[t], y0, NB, &one);
    }
    *lr0 = *plr0 = 1.0f;
    plast_layer *wl = &g.ep.work.layer[0];
    float *P = plast_pset_view(&g.ep.work.p, "Wpred", 0);
    double W0[NO * NI], b0[NO], P0d[2][NO * NO];
    for (int i = 0; i < NO * NI; i++) W0[i] = wl->W[i];
    for (int j = 0; j < NO; j++) b0[j] = wl->b[j];
    for (int k = 0; k < c->horizon; k++)
        for (int i = 0; i < NO * NO; i++) P0d[k][i] = P[k * NO * NO + i];
    /* the step under test: fixation (0) or saccade (1) */
    float sac = (float)c->saccade;
    /* margins of the current configuration (for the kink check) */
    {
        double z[NB * NO], cc[NB * NO];
        *umin = 1e9;
        feat(c, W0, b0, c->x[c->horizon], z);
        for (int k = 0; k < c->horizon; k++) {
            feat(c, W0, b0, c->x[c->horizon - 1 - k], cc);
            for (int bb = 0; bb < NB; bb++) {
                double u = 0.0;
                for (int i = 0; i < NO; i++)
                    for (int j = 0; j < NO; j++) u += z[bb * NO + i] * P0d[k][i * NO + j] * cc[bb * NO + j];
                double m = fabs(1.0 - (c->saccade ? -u : u));
                *umin = m < *umin ? m : *umin;
            }
        }
    }
    plast_episode_step(&g.ep, c->x[c->horizon], y0, NB, &sac);
    for (int i = 0; i < NO * NI; i++) dW[i] = wl->W[i] - W0[i];
    for (int j = 0; j < NO; j++) db[j] = wl->b[j] - b0[j];
    for (int k = 0; k < c->horizon; k++)
        for (int i = 0; i < NO * NO; i++) dP[k][i] = P[k * NO * NO + i] - P0d[k][i];
    for (int i = 0; i < NO * NI; i++) c->W[i] = W0[i];
    for (int j = 0; j < NO; j++) c->b[j] = b0[j];
    for (int k = 0; k < c->horizon; k++) memcpy(c->P[k], P0d[k], sizeof c->P[k]);
    rig_free(&g);
}

/* Central differences of the loss at the case's point, in double. */
static void fd_grad(fdcase *c, double *gW, double *gb, double gP[2][NO * NO])
{
    const double h = 1e-5;
    double ctx[2][NB * NO];
    for (int k = 0; k < c->horizon; k++) feat(c, c->W, c->b, c->x[c->horizon - 1 - k], ctx[k]);
    for (int i = 0; i < NO * NI; i++) {
        double v = c->W[i];
        c->W[i] = v + h;
        double lp = loss(c, c->W, c->b, c->P, ctx);
        c->W[i] = v - h;
        double lm = loss(c, c->W, c->b, c->P, ctx);
        c->W[i] = v;
        gW[i] = (lp - lm) / (2 * h);
    }
    for (int j = 0; j < NO; j++) {
        double v = c->b[j];
        c->b[j] = v + h;
        double lp = loss(c, c->W, c->b, c->P, ctx);
        c->b[j] = v - h;
        double lm = loss(c, c->W, c->b, c->P, ctx);
        c->b[j] = v;
        gb[j] = (lp - lm) / (2 * h);
    }
    for (int k = 0; k < c->horizon; k++)
        for (int i = 0; i < NO * NO; i++) {
            double v = c->P[k][i];
            c->P[k][i] = v + h;
            double lp = loss(c, c->W, c->b, c->P, ctx);
            c->P[k][i] = v - h;
            double lm = loss(c, c->W, c->b, c->P, ctx);
            c->P[k][i] = v;
            gP[k][i] = (lp - lm) / (2 * h);
        }
}

/* Draws a case: W, b random; P small random (open) or +-5 I (closed); inputs random, the
 * later steps equal to the first when closed (so z = c and y u = 5 |z|^2 > 1). */
static void make(fdcase *c, uint64_t seed, int saccade, int closed, int retro, int gate,
                 int horizon)
{
    plast_rng r;
    plast_rng_seed(&r, seed, 3);
    memset(c, 0, sizeof *c);
    c->saccade = saccade, c->retro = retro, c->gate = gate, c->beta = 3.0f, c->horizon = horizon;
    for (int i = 0; i < NO * NI; i++) c->W[i] = 0.6 * plast_rng_normal(&r);
    for (int j = 0; j < NO; j++) c->b[j] = 0.1 * plast_rng_normal(&r);
    for (int k = 0; k < horizon; k++)
        for (int i = 0; i < NO * NO; i++)
            c->P[k][i] = closed ? (i % (NO + 1) == 0 ? (saccade ? -5.0 : 5.0) : 0.0)
                                : 0.2 * plast_rng_normal(&r);
    for (int t = 0; t <= horizon; t++)
        for (int i = 0; i < NB * NI; i++)
            c->x[t][i] = closed && t ? c->x[0][i] : (float)plast_rng_normal(&r);
}

/* Engine update against -gradient; returns the largest |gradient|. */
static double compare(fdcase *c, int positive_only, int freeze, const char *what)
{
    double dW[NO * NI], db[NO], dP[2][NO * NO], gW[NO * NI], gb[NO], gP[2][NO * NO], umin;
    engine_update(c, positive_only, freeze, dW, db, dP, &umin);
    fd_grad(c, gW, gb, gP);
    if (c->gate == 0) CHECK(umin > 1e-3); /* no kink within the differences */
    double big = 0.0, err = 0.0;
    for (int i = 0; i < NO * NI; i++) {
        big = fmax(big, fabs(gW[i]));
        err = fmax(err, fabs(dW[i] + gW[i]));
    }
    for (int j = 0; j < NO; j++) {
        big = fmax(big, fabs(gb[j]));
        err = fmax(err, fabs(db[j] + gb[j]));
    }
    for (int k = 0; k < c->horizon; k++)
        for (int i = 0; i < NO * NO; i++) {
            double want = freeze ? 0.0 : -gP[k][i];
            big = fmax(big, fabs(gP[k][i]));
            err = fmax(err, fabs(dP[k][i] - want));
        }
    if (err > 2e-4 + 1e-3 * big)
        fprintf(stderr, "%s: update differs from -gradient by %.3g (largest gradient %.3g)\n", what,
                err, big);
    CHECK(err <= 2e-4 + 1e-3 * big);
    return big;
}

/* positive_only: a saccade step moves nothing even with the gate open. */
static void check_positive_only(void)
{
    fdcase c;
    make(&c, 21, 1, 0, 1, 0, 1);
    double dW[NO * NI], db[NO], dP[2][NO * NO], umin, moved = 0.0;
    engine_update(&c, 1, 0, dW, db, dP, &umin);
    for (int i = 0; i < NO * NI; i++) moved = fmax(moved, fabs(dW[i]));
    for (int i = 0; i < NO * NO; i++) moved = fmax(moved, fabs(dP[0][i]));
    CHECK(moved == 0.0);
    make(&c, 21, 0, 0, 1, 0, 1);
    engine_update(&c, 1, 0, dW, db, dP, &umin);
    for (int i = 0; i < NO * NI; i++) moved = fmax(moved, fabs(dW[i]));
    CHECK(moved > 0.0);
}

/* The rule learns from the saccade task through the config path, and bad set-ups are
 * config errors naming the key. */
static void check_config(void)
{
    static plast_config cfg;
    plast_err err;
    const char *ok = "{\"net\": {\"hidden\": [16]}, \"rule\": \"clapp\","
                     " \"task\": {\"name\": \"saccade\", \"source\": \"synthetic\","
                     " \"side\": 12, \"patch\": 6, \"steps\": 20, \"batch\": 4, \"out\": 8}}";
    REQUIRE(plast_config_parse(&cfg, ok, "test", NULL, 0, PLAST_TEST_REG(0), &err) == 0);
    plast_learner L;
    plast_task_shape sh;
    REQUIRE(plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, &err) == 0);
    CHECK(sh.n_in == 36 && sh.n_bcast == 1 && !strcmp(sh.bcast[0], "saccade"));
    plast_episode ep;
    REQUIRE(plast_episode_init(&ep, &L, &sh, &err) == 0);
    plast_stream st;
    REQUIRE(plast_stream_init(&st, &sh, &err) == 0);
    void *state = cfg.task->create(cfg.task_opts, 1, &err);
    REQUIRE(state != NULL);
    plast_rng r;
    plast_rng_seed(&r, 1, 2);
    plast_learner_draw(&L, &r);
    cfg.task->draw(state, &r, &st);
    int sacc = 0;
    for (int t = 0; t < st.n_steps; t++) sacc += st.bcast[t] > 0.5f;
    CHECK(st.bcast[0] == 1.0f && sacc > 1 && sacc < st.n_steps); /* some of each */
    plast_episode_run(&ep, &st);
    double moved = 0.0;
    for (int i = 0; i < L.net.layer[0].kind.rows * L.net.layer[0].kind.cols; i++)
        moved = fmax(moved, fabs(ep.work.layer[0].W[i] - L.net.layer[0].W[i]));
    CHECK(moved > 0.0 && isfinite(moved));
    cfg.task->destroy(state);
    plast_stream_free(&st);
    plast_episode_free(&ep);
    plast_learner_free(&L);

    /* a task that does not emit the saccade broadcast */
    REQUIRE(plast_config_parse(&cfg, "{\"net\": {\"hidden\": [8]}, \"rule\": \"clapp\","
                                     " \"task\": {\"name\": \"gauss\"}}",
                               "test", NULL, 0, PLAST_TEST_REG(0), &err) == 0);
    REQUIRE(plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, &err) == 0);
    CHECK(plast_episode_init(&ep, &L, &sh, &err) == PLAST_E_CONFIG);
    CHECK(!strcmp(err.where, "rule.name") && strstr(err.msg, "saccade"));
    plast_learner_free(&L);
    /* a minibatch above the traces' capacity */
    const char *sets[1] = {"rule={\"name\": \"clapp\", \"batch\": 2}"};
    REQUIRE(plast_config_parse(&cfg, ok, "test", sets, 1, PLAST_TEST_REG(0), &err) == 0);
    REQUIRE(plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, &err) == 0);
    CHECK(plast_episode_init(&ep, &L, &sh, &err) == PLAST_E_CONFIG);
    CHECK(!strcmp(err.where, "rule.batch"));
    plast_learner_free(&L);
    /* a glimpse larger than the image */
    const char *big[1] = {"task.patch=13"};
    REQUIRE(plast_config_parse(&cfg, ok, "test", big, 1, PLAST_TEST_REG(0), &err) == 0);
    CHECK(plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, &err) == PLAST_E_CONFIG);
    CHECK(!strcmp(err.where, "task.patch"));
}

int main(void)
{
    plast_linalg_init();
    fdcase c;
    for (int retro = 0; retro < 2; retro++)
        for (int sac = 0; sac < 2; sac++) {
            char what[64];
            /* gate open: the update is -gradient and not zero */
            make(&c, 11 + sac, sac, 0, retro, 0, 1);
            snprintf(what, sizeof what, "open, saccade %d, retro %d", sac, retro);
            CHECK(compare(&c, 0, 0, what) > 1e-3);
            /* gate closed: no update, and the loss is flat */
            make(&c, 11 + sac, sac, 1, retro, 0, 1);
            snprintf(what, sizeof what, "closed, saccade %d, retro %d", sac, retro);
            CHECK(compare(&c, 0, 0, what) == 0.0);
        }
    /* no gate on a closed configuration: gamma = y still moves the weights */
    make(&c, 12, 1, 1, 1, 2, 1);
    CHECK(compare(&c, 0, 0, "no gate") > 1e-3);
    /* soft gate: the gradient of the softplus hinge */
    make(&c, 13, 0, 0, 1, 1, 1);
    CHECK(compare(&c, 0, 0, "soft gate") > 1e-3);
    /* frozen W_pred: W still follows the gradient, W_pred stays */
    make(&c, 14, 0, 0, 1, 0, 1);
    CHECK(compare(&c, 0, 1, "freeze_pred") > 1e-3);
    /* horizon 2: two prediction matrices, fixation and saccade */
    make(&c, 15, 0, 0, 1, 0, 2);
    CHECK(compare(&c, 0, 0, "horizon 2, fixation") > 1e-3);
    make(&c, 16, 1, 0, 1, 0, 2);
    CHECK(compare(&c, 0, 0, "horizon 2, saccade") > 1e-3);
    check_positive_only();
    check_config();
    CHECK_DONE();
}
