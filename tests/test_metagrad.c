/* test_metagrad.c — exact meta-gradients against central differences.
 *
 * For every rule with a backward (flp in its forms and granularities, dfa, fa, sgd) and for
 * OML (a frozen representation under an sgd head: the second-order term through the
 * head's own backward), on regression and classification episodes: the gradient of the
 * final query loss with respect to the whole learner (initial state and meta-parameters)
 * equals central differences of the same double episode along random directions and at
 * sampled coordinates (relative error <= 1e-6), and is not zero for any layer's weights;
 * the same on every layer kind (conv, max and average pool, flatten) and for OML on a conv
 * representation. Storing one, two, three or every state gives the same bits. A rule
 * without a backward is refused. On a 400-step episode the checkpoint schedule replays as
 * few steps as an exhaustive search finds.
 * A short Adam campaign on meta-gradients lowers the validation meta-loss, and gives the
 * same bits on 1 and 2 threads and across a checkpoint and resume. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "plast/campaign.h"
#include "plast/metagrad.h"
#include "plast/linalg.h"
#include "plast/registry.h"

/* A config's learner, drawn, and one episode of its task. */
typedef struct episode_case {
    plast_config cfg;
    plast_learner L;
    plast_task_shape sh;
    void *state;
    plast_stream st;
    plast_rng r;
} episode_case;

static void case_init(episode_case *c, const char *json, const char *const *sets, int n_sets,
                      uint64_t seed)
{
    plast_err err;
    REQUIRE(plast_config_parse(&c->cfg, json, "test", sets, n_sets, PLAST_TEST_REG(0), &err) == PLAST_OK);
    REQUIRE(plast_learner_from_config(&c->L, &c->cfg, NULL, NULL, &c->sh, &err) == PLAST_OK);
    plast_rng_seed(&c->r, seed, 3);
    plast_learner_draw(&c->L, &c->r);
    c->state = c->cfg.task->create(c->cfg.task_opts, 1, &err);
    REQUIRE(c->state && plast_stream_init(&c->st, &c->sh, &err) == PLAST_OK);
    c->cfg.task->draw(c->state, &c->r, &c->st);
}

static void case_free(episode_case *c)
{
    plast_stream_free(&c->st);
    c->cfg.task->destroy(c->state);
    plast_learner_free(&c->L);
}

static void check_config(const char *json, const char *const *sets, int n_sets)
{
    static episode_case c; /* large: the config's option blocks */
    case_init(&c, json, sets, n_sets, 11);
    plast_learner *L = &c.L;
    const plast_task_shape sh = c.sh;
    const plast_stream *st = &c.st;
    plast_rng *r = &c.r;
    plast_err err;
    plast_metagrad *g = plast_metagrad_new(L, &sh, 0, &err);
    if (!g) fprintf(stderr, "%s: %s\n", err.where, err.msg);
    REQUIRE(g);
    size_t ns = L->net.p.n_floats, nm = L->meta.n_floats, n = ns + nm;
    double *gs = malloc(n * sizeof *gs), *th = malloc(n * sizeof *th), *tp = malloc(n * sizeof *tp);
    double *v = malloc(n * sizeof *v), loss;
    plast_metagrad_run(g, st, &loss, gs, gs + ns);
    for (size_t i = 0; i < ns; i++) th[i] = L->net.p.data[i];
    for (size_t i = 0; i < nm; i++) th[ns + i] = L->meta.data[i];
    double gmax = 0.0;
    for (size_t i = 0; i < n; i++) gmax = fmax(gmax, fabs(gs[i]));
    CHECK(isfinite(loss) && gmax > 0.0);
    /* every layer with weights (conv ones included) gets a gradient */
    for (int l = 0; l < L->net.n_layers; l++) {
        const plast_pspec *q = plast_pset_find(&L->net.p, "W", l);
        if (!q) continue;
        double m = 0.0;
        for (size_t i = 0; i < (size_t)q->rows * q->cols; i++) m = fmax(m, fabs(gs[q->offset + i]));
        CHECK(m > 0.0);
    }
    /* same loss from the forward sweep alone, and (to float rounding) from the float
     * episode: the double engine is the same learner */
    CHECK(fabs(plast_metagrad_loss(g, st, th, th + ns) - loss) <= 1e-12 * fabs(loss));
    plast_episode ep;
    REQUIRE(plast_episode_init(&ep, L, &sh, &err) == PLAST_OK);
    plast_episode_run(&ep, st);
    CHECK(fabs(ep.out.final_loss - loss) <= 1e-4 * fabs(loss));
    plast_episode_free(&ep);
    double worst = 0.0;
    /* along random unit directions (the differences' steps stay 1e-5 long) */
    for (int q = 0; q < 3; q++) {
        double gv = 0.0, vv = 0.0;
        for (size_t i = 0; i < n; i++) v[i] = plast_rng_normal(r), vv += v[i] * v[i];
        for (size_t i = 0; i < n; i++) v[i] /= sqrt(vv), gv += gs[i] * v[i];
        double fd = plast_metagrad_fd(g, st, th, v, tp);
        worst = fmax(worst, fabs(fd - gv) / fmax(fabs(gv), 1e-12));
    }
    /* at sampled coordinates: of the state and of the meta-parameters */
    double cworst = 0.0;
    for (int q = 0; q < 12; q++) {
        size_t i = q < 6 || !nm ? plast_rng_below(r, (uint32_t)ns) : ns + plast_rng_below(r, (uint32_t)nm);
        memset(v, 0, n * sizeof *v);
        v[i] = 1.0;
        double fd = plast_metagrad_fd(g, st, th, v, tp);
        cworst = fmax(cworst, fabs(fd - gs[i]) / fmax(fabs(gs[i]), 1e-3 * gmax));
    }
    fprintf(stderr, "%-70.70s loss %.4g |g| %.3g: directions %.2g, coordinates %.2g\n",
            strstr(json, "\"rule\""), loss, gmax, worst, cworst);
    CHECK(worst <= 1e-6 && cworst <= 1e-6);
    /* truncation: at least T steps is no truncation (same bits); fewer is another gradient */
    {
        plast_metagrad *g2 = plast_metagrad_new(L, &sh, 0, &err);
        REQUIRE(g2);
        double l2;
        plast_metagrad_truncate(g2, sh.max_steps);
        plast_metagrad_run(g2, st, &l2, tp, tp + ns);
        CHECK(!memcmp(tp, gs, n * sizeof *tp));
        plast_metagrad_truncate(g2, 2);
        plast_metagrad_run(g2, st, &l2, tp, tp + ns);
        int finite = 1;
        for (size_t i = 0; i < n; i++) finite &= isfinite(tp[i]);
        CHECK(l2 == loss && finite && memcmp(tp, gs, n * sizeof *tp) != 0);
        plast_metagrad_delete(g2);
    }
    /* stored states: one (every state recomputed from the first), two, three (binomial
     * placement), every state: the same bits as the default */
    int ks[4] = {1, 2, 3, sh.max_steps}, T = st->n_steps;
    for (int q = 0; q < 4; q++) {
        plast_metagrad *g2 = plast_metagrad_new(L, &sh, ks[q], &err);
        REQUIRE(g2);
        double l2;
        plast_metagrad_run(g2, st, &l2, tp, tp + ns);
        CHECK(l2 == loss && !memcmp(tp, gs, n * sizeof *tp));
        /* steps advanced: one slot replays from the start, T(T+1)/2 in all; every state
         * kept, none replayed */
        long want = ks[q] == 1 ? (long)T * (T + 1) / 2 : ks[q] >= T ? T : -1;
        CHECK(want < 0 || plast_metagrad_steps(g2) == want);
        plast_metagrad_delete(g2);
    }
    CHECK(plast_metagrad_steps(g) <= 2L * T); /* the default: each step replayed at most once */
    free(gs), free(th), free(tp), free(v);
    plast_metagrad_delete(g);
    case_free(&c);
}

/* The schedule on a 400-step episode (a tiny network): the steps advanced with 27, 21 and
 * 5 stored states are the minimum an exhaustive search over every placement finds (773,
 * 927, 1944; 27: the fewest with no step replayed twice), and the gradient is the same; the
 * default keeps every state of so small a network (400 steps advanced, none replayed). */
static void schedule(void)
{
    static episode_case c;
    case_init(&c, "{\"net\": {\"hidden\": [2]}, \"rule\": \"sgd\", \"task\": {\"name\": \"sine\", \"batch\": 1}}",
              NULL, 0, 5);
    const plast_learner *Lp = &c.L;
    plast_err err;
    REQUIRE(c.st.n_steps == 400);
    size_t n = Lp->net.p.n_floats + Lp->meta.n_floats;
    double *ga = malloc(n * sizeof *ga), *gb = malloc(n * sizeof *gb), la, lb;
    const int slots[4] = {27, 21, 5, 0};
    const long want[4] = {773, 927, 1944, 400};
    for (int q = 0; q < 4; q++) {
        plast_metagrad *g = plast_metagrad_new(Lp, &c.sh, slots[q], &err);
        REQUIRE(g);
        plast_metagrad_run(g, &c.st, q ? &lb : &la, q ? gb : ga, (q ? gb : ga) + Lp->net.p.n_floats);
        CHECK(plast_metagrad_steps(g) == want[q]);
        CHECK(!q || (la == lb && !memcmp(ga, gb, n * sizeof *ga)));
        plast_metagrad_delete(g);
    }
    free(ga), free(gb);
    case_free(&c);
}

static const char *adam_cfg =
    "{\"seed\": 2, \"runs\": 4, \"net\": {\"hidden\": [16], \"act\": \"tanh\"},"
    " \"rule\": {\"name\": \"flp\", \"granularity\": \"synapse\", \"p_init\": 0.01, \"feedback_relu\": false},"
    " \"task\": {\"name\": \"sine\", \"order\": \"iid\", \"n_batches\": 6},"
    " \"campaign\": {\"optimizer\": \"adam\", \"lr\": 0.003, \"generations\": 24, \"episodes\": 3,"
    "   \"validate_every\": 8, \"validation_runs\": 12, \"clip\": 10, \"meta_loss\": \"loss\","
    "   \"group_lr\": \"weights=0.5\", \"owns\": [\"weights\", \"biases\", \"feedback\", \"plasticity\", \"beta\"]}}";

static plast_campaign *adam_campaign(int threads)
{
    static plast_config cfg;
    plast_err err;
    REQUIRE(plast_config_parse(&cfg, adam_cfg, "adam", NULL, 0, PLAST_TEST_REG(1), &err) == PLAST_OK);
    plast_campaign *c = plast_campaign_new(&cfg, threads, NULL, &err);
    if (!c) fprintf(stderr, "%s: %s\n", err.where, err.msg);
    REQUIRE(c && plast_campaign_start(c, NULL, &err) == PLAST_OK);
    return c;
}

static int same_history(const plast_campaign *a, const plast_campaign *b)
{
    int na, nb;
    const plast_gen_stats *ha = plast_campaign_history(a, &na), *hb = plast_campaign_history(b, &nb);
    if (na != nb) return 0;
    for (int i = 0; i < na; i++)
        if (memcmp(&ha[i].best, &hb[i].best, 3 * sizeof(double)) ||
            memcmp(&ha[i].valid, &hb[i].valid, 2 * sizeof(double)) ||
            memcmp(&ha[i].grad_norm, &hb[i].grad_norm, sizeof(double)))
            return 0;
    return 1;
}

static void adam_campaigns(void)
{
    plast_err err;
    plast_campaign *one = adam_campaign(1), *two = adam_campaign(2), *three = adam_campaign(1);
    while (!plast_campaign_done(one)) REQUIRE(plast_campaign_step(one, NULL, NULL, &err) == PLAST_OK);
    while (!plast_campaign_done(two)) REQUIRE(plast_campaign_step(two, NULL, NULL, &err) == PLAST_OK);
    int n;
    const plast_gen_stats *h = plast_campaign_history(one, &n);
    fprintf(stderr, "adam campaign: validation %.4f at generation 0, best %.4f\n", h[0].valid,
            h[n - 1].best_valid);
    CHECK(h[n - 1].best_valid < h[0].valid);
    CHECK(isfinite(h[n - 1].grad_norm) && h[n - 1].grad_norm > 0.0);
    CHECK(same_history(one, two));
    /* stop after generation 10, checkpoint, resume in a new campaign object */
    for (int g = 0; g < 10; g++) REQUIRE(plast_campaign_step(three, NULL, NULL, &err) == PLAST_OK);
    char path[] = "/tmp/plast_adam_ckpt_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    REQUIRE(plast_campaign_save(three, path, 7, &err) == PLAST_OK);
    plast_campaign_delete(three);
    static plast_config cfg;
    REQUIRE(plast_config_parse(&cfg, adam_cfg, "adam", NULL, 0, PLAST_TEST_REG(1), &err) == PLAST_OK);
    plast_campaign *back = plast_campaign_new(&cfg, 2, NULL, &err);
    REQUIRE(back);
    int rrc = plast_campaign_restore(back, path, 7, &err);
    if (rrc) fprintf(stderr, "%s: %s\n", err.where, err.msg);
    REQUIRE(rrc == PLAST_OK);
    while (!plast_campaign_done(back)) REQUIRE(plast_campaign_step(back, NULL, NULL, &err) == PLAST_OK);
    CHECK(same_history(one, back));
    remove(path);
    plast_campaign_delete(one), plast_campaign_delete(two), plast_campaign_delete(back);
}

int main(void)
{
    plast_linalg_init();
    const char *sine = "{\"net\": {\"hidden\": [6, 5], \"act\": \"tanh\"}, \"rule\": %s,"
                       " \"task\": {\"name\": \"sine\", \"n_functions\": 2, \"n_batches\": 3, \"batch\": 2,"
                       " \"n_query\": 4}}";
    const char *gauss = "{\"net\": {\"hidden\": [6], \"act\": \"tanh\"}, \"rule\": %s,"
                        " \"task\": {\"name\": \"gauss\", \"dim\": 5, \"n_classes\": 3, \"n_train\": 2,"
                        " \"n_query\": 3}}";
    const char *rules[] = {
        "{\"name\": \"flp\", \"form\": \"oja\", \"granularity\": \"synapse\", \"p_init\": 0.05}",
        "{\"name\": \"flp\", \"form\": \"hebb\", \"granularity\": \"layer\", \"p_init\": 0.05, \"feedback_relu\": false}",
        "{\"name\": \"flp\", \"form\": \"oja\", \"granularity\": \"neuron\", \"p_init\": 0.05, \"gate\": true}",
        "{\"name\": \"flp\", \"form\": \"oja\", \"granularity\": \"global\", \"p_init\": 0.01}",
        "{\"name\": \"dfa\", \"lr\": 0.05}",
        "{\"name\": \"fa\", \"lr\": 0.05}",
        "{\"name\": \"sgd\", \"lr\": 0.05}",
    };
    char json[2048];
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        snprintf(json, sizeof json, sine, rules[i]);
        check_config(json, NULL, 0);
        snprintf(json, sizeof json, gauss, rules[i]);
        check_config(json, NULL, 0);
    }
    /* OML: a frozen representation (meta-learned) under an online sgd head */
    const char *oml[1] = {"net.frozen=[0, 1]"};
    snprintf(json, sizeof json, sine, rules[6]);
    check_config(json, oml, 1);
    /* every layer kind on 5x5 images: a padded conv, a strided max pool, flatten, dense; and
     * a conv, an average pool, a conv above it (chains through a kernel and a pool) */
    const char *image = "{\"net\": {\"layers\": %s, \"act\": \"tanh\"%s}, \"rule\": %s,"
                        " \"task\": {\"name\": \"gauss\", \"dim\": 25, \"side\": 5, \"n_classes\": 3,"
                        " \"n_train\": 2, \"n_query\": 2, \"batch\": 2}}";
    const char *stacks[2] = {
        "[{\"type\": \"conv\", \"channels\": 2, \"pad\": 1}, {\"type\": \"pool\", \"op\": \"max\", \"kernel\": 3, \"stride\": 2},"
        " {\"type\": \"flatten\"}, {\"type\": \"dense\", \"width\": 4}]",
        "[{\"type\": \"conv\", \"channels\": 2, \"kernel\": 2}, {\"type\": \"pool\", \"op\": \"avg\"},"
        " {\"type\": \"conv\", \"channels\": 3, \"kernel\": 2}, {\"type\": \"flatten\"}]",
    };
    const char *conv_rules[] = {rules[0], rules[2], rules[4], rules[5], rules[6]};
    for (size_t i = 0; i < sizeof conv_rules / sizeof conv_rules[0]; i++)
        for (int k = 0; k < 2; k++) {
            /* flp per neuron (rules[2]) with one feedback row per channel */
            snprintf(json, sizeof json, image, stacks[k], i == 1 ? ", \"feedback_per_channel\": true" : "",
                     conv_rules[i]);
            check_config(json, NULL, 0);
        }
    /* OML on a conv representation: the conv layer frozen, the sgd head second order */
    const char *oml_conv[1] = {"net.frozen=[0]"};
    snprintf(json, sizeof json, image, stacks[0], "", rules[6]);
    check_config(json, oml_conv, 1);
    /* a rule without a backward */
    static plast_config cfg;
    plast_err err;
    REQUIRE(plast_config_parse(&cfg, "{\"rule\": \"hebb\", \"task\": \"sine\"}", "t", NULL, 0,
                               PLAST_TEST_REG(0), &err) == PLAST_OK);
    plast_learner L;
    plast_task_shape sh;
    REQUIRE(plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, &err) == PLAST_OK);
    CHECK(plast_metagrad_new(&L, &sh, 0, &err) == NULL && err.code == PLAST_E_CONFIG &&
          strstr(err.msg, "no backward"));
    plast_learner_free(&L);
    schedule();
    adam_campaigns();
    CHECK_DONE();
}
