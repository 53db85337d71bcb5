/* test_learner_state.c — the learner state, names instead of positions, open groups.
 *
 * - A rule defined only here (rules_trace.c: one file, one registry line) declares a
 *   meta-parameter group no built-in rule has and a plastic matrix E with an initialiser:
 *   E is drawn from its initialiser, copied into every episode (the learner's copy never
 *   changes), restored by a reset; a short campaign owns both groups, improves the
 *   validation meta-loss, and writes E and the gains to best.json; a group nobody declares
 *   is refused with the declared ones listed.
 * - Every rule (built-in and the test rule), on regression and classification: an episode
 *   saved at step k, run on, restored (into the same and into another workspace) and
 *   finished gives bit-identical results to one never interrupted.
 * - Broadcasts by name: a rule that reads one the task does not emit is refused at set-up
 *   naming it; one the task emits reaches the rule's handle each step.
 * - Objectives: the final query loss of a classification episode is the mean cross-entropy
 *   computed here from the network's outputs, and a campaign with meta_loss "loss" scores
 *   candidates by it (differentiable) instead of 1 - accuracy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "plast/campaign.h"
#include "plast/linalg.h"
#include "plast/registry.h"

#include "rule_trace.c"

/* The built-in rules plus the test rule: the one registry line. */
static plast_registry registry(void)
{
    static const plast_rule *rules[32];
    plast_registry r = plast_registry_builtin(1);
    REQUIRE(r.n_rules < 31);
    for (int i = 0; i < r.n_rules; i++) rules[i] = r.rules[i];
    rules[r.n_rules++] = &test_rule_trace;
    r.rules = rules;
    return r;
}

static const char *trace_cfg =
    "{\"seed\": 3, \"runs\": 4, \"net\": {\"hidden\": [16]},"
    " \"rule\": {\"name\": \"trace\"},"
    " \"task\": {\"name\": \"sine\", \"order\": \"iid\", \"n_batches\": 10},"
    " \"campaign\": {\"optimizer\": \"sep-cmaes\", \"generations\": 10, \"popsize\": 8,"
    "   \"sigma0\": 1, \"episodes\": 1, \"validate_every\": 2, \"validation_runs\": 8,"
    "   \"owns\": [\"trace_gain\", \"traces\"], \"log_groups\": []}}";

static plast_config *load(const char *json, const char *const *sets, int n)
{
    static plast_config cfgs[6];
    static int used;
    REQUIRE(used < 6);
    plast_config *c = &cfgs[used++];
    plast_registry reg = registry();
    plast_err err;
    int rc = plast_config_parse(c, json, "test", sets, n, &reg, &err);
    if (rc) fprintf(stderr, "%s: %s\n", err.where, err.msg);
    REQUIRE(rc == PLAST_OK);
    return c;
}

static void own_rule(void)
{
    plast_config *cfg = load(trace_cfg, NULL, 0);
    plast_err err;
    plast_learner L;
    plast_task_shape sh;
    REQUIRE(plast_learner_from_config(&L, cfg, NULL, NULL, &sh, &err) == PLAST_OK);
    plast_rng r;
    plast_rng_seed(&r, 1, 1);
    plast_learner_draw(&L, &r);
    /* E of both plastic layers, from the initialiser (0.001), in the learner state */
    const plast_pspec *E0 = plast_pset_find(&L.net.p, "E", 0), *E1 = plast_pset_find(&L.net.p, "E", 1);
    REQUIRE(E0 && E1);
    CHECK(!strcmp(E0->group, "traces") && E0->rows == 16 && E0->cols == sh.n_in);
    CHECK(E0 - L.net.p.spec >= L.net.n_own);
    const float *e0 = L.net.p.data + E0->offset;
    int all_init = 1;
    for (int i = 0; i < E0->rows * E0->cols; i++) all_init &= e0[i] == 0.001f;
    CHECK(all_init);
    CHECK(plast_pset_find(&L.meta, "gain", 1) && !strcmp(plast_pset_find(&L.meta, "gain", 1)->group, "trace_gain"));
    plast_pset_view(&L.meta, "gain", 0)[0] = 0.002f;
    plast_pset_view(&L.meta, "gain", 1)[0] = 0.002f;

    /* copied per episode: the episode's E moves, the learner's does not; reset restores */
    void *state = cfg->task->create(cfg->task_opts, 1, &err);
    REQUIRE(state);
    plast_episode ep;
    plast_stream st;
    REQUIRE(plast_episode_init(&ep, &L, &sh, &err) == PLAST_OK);
    REQUIRE(plast_stream_init(&st, &sh, &err) == PLAST_OK);
    cfg->task->draw(state, &r, &st);
    plast_episode_run(&ep, &st);
    const float *we = plast_pset_view(&ep.work.p, "E", 0);
    double moved = 0.0;
    for (int i = 0; i < E0->rows * E0->cols; i++) moved = fmax(moved, fabs(we[i] - 0.001));
    fprintf(stderr, "trace: E moved by %g in an episode, final MSE %g\n", moved, ep.out.final);
    CHECK(moved > 1e-4);
    all_init = 1;
    for (int i = 0; i < E0->rows * E0->cols; i++) all_init &= e0[i] == 0.001f;
    CHECK(all_init);
    plast_episode_reset(&ep);
    CHECK(!memcmp(ep.work.p.data, L.net.p.data, L.net.p.n_floats * sizeof(float)));
    CHECK(isfinite(ep.out.final));
    plast_stream_free(&st);
    plast_episode_free(&ep);
    cfg->task->destroy(state);
    plast_learner_free(&L);

    /* owned by a campaign: both groups, improved, written to best.json */
    plast_campaign *c = plast_campaign_new(cfg, 2, NULL, &err);
    if (!c) fprintf(stderr, "%s: %s\n", err.where, err.msg);
    REQUIRE(c);
    CHECK(plast_campaign_dim(c) == 2 + 16 * sh.n_in + 16);
    REQUIRE(plast_campaign_start(c, NULL, &err) == PLAST_OK);
    while (!plast_campaign_done(c)) REQUIRE(plast_campaign_step(c, NULL, NULL, &err) == PLAST_OK);
    int n;
    const plast_gen_stats *h = plast_campaign_history(c, &n);
    fprintf(stderr, "trace campaign: validation %.4f at generation 0, best %.4f\n", h[0].valid,
            h[n - 1].best_valid);
    CHECK(h[n - 1].best_valid < h[0].valid);
    char path[] = "/tmp/plast_trace_best_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    FILE *f = fdopen(fd, "w+");
    REQUIRE(f && plast_campaign_write_params(c, f, 1) == PLAST_OK);
    rewind(f);
    char text[1 << 16];
    size_t len = fread(text, 1, sizeof text - 1, f);
    text[len] = '\0';
    fclose(f);
    CHECK(strstr(text, "\"E[0]\"") && strstr(text, "\"E[1]\"") && strstr(text, "\"gain[1]\""));
    /* and read back by name into a fresh learner: the learned E differs from the initial one */
    REQUIRE(plast_learner_from_config(&L, cfg, NULL, NULL, NULL, &err) == PLAST_OK);
    plast_pset *secs[2] = {&L.net.p, &L.meta};
    const char *names[2] = {"net", "meta"};
    REQUIRE(plast_params_read(path, "trace", secs, names, 2, NULL, NULL, &err) == PLAST_OK);
    const float *le = plast_pset_view(&L.net.p, "E", 1);
    int changed = 0;
    for (int i = 0; i < 16; i++) changed |= le[i] != 0.001f;
    CHECK(changed);
    plast_learner_free(&L);
    remove(path);
    plast_campaign_delete(c);

    /* a group nobody declares: refused, the declared ones listed */
    const char *bad[1] = {"campaign.owns=[\"traces\", \"nonexistent\"]"};
    plast_config *cb = load(trace_cfg, bad, 1);
    CHECK(plast_campaign_new(cb, 1, NULL, &err) == NULL && err.code == PLAST_E_CONFIG &&
          !strcmp(err.where, "campaign.owns[1]"));
    CHECK(strstr(err.msg, "weights, biases, feedback, traces, trace_gain") != NULL);
    fprintf(stderr, "%s: %s\n", err.where, err.msg);
}

/* Save at step k, run on, restore, finish: the same bits as never stopping. */
static void save_restore(const plast_rule *rule, const char *task)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"net\": {\"hidden\": [12, 10]}, \"rule\": \"%s\", \"task\": %s}", rule->name, task);
    plast_config *cfg = NULL;
    static plast_config c;
    plast_registry reg = registry();
    plast_err err;
    REQUIRE(plast_config_parse(&c, json, "test", NULL, 0, &reg, &err) == PLAST_OK);
    cfg = &c;
    plast_learner L;
    plast_task_shape sh;
    if (plast_learner_from_config(&L, cfg, NULL, NULL, &sh, &err)) {
        /* ncm: only on a frozen stack, for classification */
        const char *frozen[1] = {"net.frozen=[0,1]"};
        REQUIRE(plast_config_parse(&c, json, "test", frozen, 1, &reg, &err) == PLAST_OK);
        if (plast_learner_from_config(&L, cfg, NULL, NULL, &sh, &err)) {
            fprintf(stderr, "%s on %s: not applicable (%s)\n", rule->name, task, err.msg);
            return;
        }
    }
    plast_rng r;
    plast_rng_seed(&r, 7, 7);
    plast_learner_draw(&L, &r);
    if (rule == &test_rule_trace) /* its default gain 0 would not move W */
        for (int l = 0; l < 3; l++) plast_pset_view(&L.meta, "gain", l)[0] = 0.01f;
    void *state = cfg->task->create(cfg->task_opts, 1, &err);
    REQUIRE(state);
    plast_episode a, b;
    plast_stream st;
    plast_episode_snap snap;
    REQUIRE(plast_episode_init(&a, &L, &sh, &err) == PLAST_OK);
    REQUIRE(plast_episode_init(&b, &L, &sh, &err) == PLAST_OK);
    REQUIRE(plast_stream_init(&st, &sh, &err) == PLAST_OK);
    REQUIRE(plast_episode_snap_init(&snap, &a, &err) == PLAST_OK);
    cfg->task->draw(state, &r, &st);
    plast_episode_run(&a, &st); /* never interrupted */
    int k = st.n_steps / 2 + 1;
    plast_episode_begin(&b, &st);
    CHECK(plast_episode_advance(&b, &st, k) == k);
    plast_episode_save(&b, &snap);
    plast_episode_advance(&b, &st, st.n_steps); /* on to the end, then back */
    plast_episode_finish(&b, &st);
    plast_episode_restore(&b, &snap);
    CHECK(b.t == k);
    plast_episode_advance(&b, &st, st.n_steps);
    plast_episode_finish(&b, &st);
    size_t no = b.n_out_floats;
    int same = !memcmp(a.out.train_loss, b.out.train_loss, no * sizeof(float)) &&
               !memcmp(a.work.p.data, b.work.p.data, a.work.p.n_floats * sizeof(float)) &&
               !memcmp(&a.out.final, &b.out.final, sizeof(float)) &&
               !memcmp(&a.out.final_loss, &b.out.final_loss, sizeof(float));
    /* and into another workspace of the same learner */
    plast_episode_begin(&b, &st);
    plast_episode_restore(&b, &snap);
    plast_episode c2;
    REQUIRE(plast_episode_init(&c2, &L, &sh, &err) == PLAST_OK);
    plast_episode_restore(&c2, &snap);
    plast_episode_advance(&c2, &st, st.n_steps);
    plast_episode_finish(&c2, &st);
    same &= !memcmp(a.out.train_loss, c2.out.train_loss, no * sizeof(float)) &&
            !memcmp(&a.out.final, &c2.out.final, sizeof(float));
    /* the snapshot was worth taking: the state had moved by step k */
    same &= memcmp(snap.buf, L.net.p.data, L.net.p.n_floats * sizeof(float)) != 0;
    if (!same)
        fprintf(stderr, "save/restore differs: rule %s, task %s (final %g %g %g)\n", rule->name,
                task, a.out.final, b.out.final, c2.out.final);
    CHECK(same);
    plast_episode_free(&c2);
    plast_episode_snap_free(&snap);
    plast_stream_free(&st);
    plast_episode_free(&a);
    plast_episode_free(&b);
    cfg->task->destroy(state);
    plast_learner_free(&L);
}

static void broadcasts(void)
{
    static const char *const reads_saccade[] = {"error", "saccade", NULL};
    plast_rule r = test_rule_trace;
    r.reads = reads_saccade;
    plast_config *cfg = load("{\"net\": {\"hidden\": [8]}, \"rule\": \"trace\", \"task\": \"sine\"}",
                             NULL, 0);
    plast_err err;
    plast_learner L;
    plast_task_shape sh;
    REQUIRE(plast_learner_from_config(&L, cfg, &r, cfg->rule_opts, &sh, &err) == PLAST_OK);
    plast_episode ep;
    CHECK(plast_episode_init(&ep, &L, &sh, &err) == PLAST_E_CONFIG);
    CHECK(strstr(err.msg, "'saccade'") && strstr(err.msg, "emits: none"));
    fprintf(stderr, "%s: %s\n", err.where, err.msg);
    /* a task shape that emits it: bound, and each step's value reaches the handle */
    sh.n_bcast = 1;
    sh.bcast[0] = "saccade";
    REQUIRE(plast_episode_init(&ep, &L, &sh, &err) == PLAST_OK);
    plast_episode_reset(&ep);
    float x[64 * 32] = {0}, y[32] = {0};
    REQUIRE(sh.batch <= 32 && sh.n_in <= 64);
    const float flag = 1.0f;
    plast_episode_step(&ep, x, y, sh.batch, &flag);
    const float *seen = NULL;
    plast_binder bd = {0, 0, &L.net.layer[0], &L.meta, &ep.work.p, ep.n_bcast, ep.bcast_name, ep.bcast};
    seen = plast_bind_broadcast(&bd, "saccade", &err);
    CHECK(seen && *seen == 1.0f);
    plast_episode_step(&ep, x, y, sh.batch, NULL);
    CHECK(*seen == 0.0f);
    plast_episode_free(&ep);
    plast_learner_free(&L);
}

/* Mean cross-entropy of the episode's final network on every query point, in double. */
static double query_ce(plast_episode *ep, const plast_stream *st)
{
    const plast_task_shape *sh = &ep->shape;
    int no = sh->n_out;
    double sum = 0.0;
    long n = (long)sh->n_seg * sh->n_query;
    for (long i = 0; i < n; i++) {
        const float *z = plast_net_forward(&ep->work, &ep->acts, st->qx + (size_t)i * sh->n_in, 1);
        const float *t = st->qy + (size_t)i * no;
        double m = z[0], e = 0.0;
        for (int k = 1; k < no; k++) m = fmax(m, z[k]);
        for (int k = 0; k < no; k++) e += exp(z[k] - m);
        for (int k = 0; k < no; k++)
            if (t[k] > 0.0f) sum -= t[k] * ((z[k] - m) - log(e));
    }
    return sum / (double)n;
}

static void objectives(void)
{
    const char *json =
        "{\"seed\": 2, \"runs\": 4, \"net\": {\"hidden\": [16], \"frozen\": [0]},"
        " \"rule\": {\"name\": \"sgd\", \"lr\": 0.05}, \"task\": {\"name\": \"gauss\", \"n_classes\": 4},"
        " \"campaign\": {\"optimizer\": \"sep-cmaes\", \"generations\": 2, \"popsize\": 4,"
        "   \"episodes\": 1, \"validate_every\": 1, \"validation_runs\": 2, \"owns\": [\"weights\"],"
        "   \"meta_loss\": \"loss\"}}";
    plast_config *cfg = load(json, NULL, 0);
    plast_err err;
    plast_learner L;
    plast_task_shape sh;
    REQUIRE(plast_learner_from_config(&L, cfg, NULL, NULL, &sh, &err) == PLAST_OK);
    CHECK(sh.objective == &plast_objective_classification);
    plast_rng r;
    plast_rng_seed(&r, 5, 5);
    plast_learner_draw(&L, &r);
    void *state = cfg->task->create(cfg->task_opts, 1, &err);
    plast_episode ep;
    plast_stream st;
    REQUIRE(state && plast_episode_init(&ep, &L, &sh, &err) == PLAST_OK);
    REQUIRE(plast_stream_init(&st, &sh, &err) == PLAST_OK);
    cfg->task->draw(state, &r, &st);
    plast_episode_run(&ep, &st);
    double ce = query_ce(&ep, &st);
    fprintf(stderr, "classification: accuracy %.4f, query cross-entropy %.6f (engine %.6f)\n",
            ep.out.final, ce, ep.out.final_loss);
    CHECK(ce > 0.0 && fabs(ep.out.final_loss - ce) < 1e-4 * ce);
    plast_stream_free(&st);
    plast_episode_free(&ep);
    cfg->task->destroy(state);
    plast_learner_free(&L);
    /* the campaign's fitness is the query cross-entropy: above 0, not a fraction of errors */
    plast_campaign *c = plast_campaign_new(cfg, 1, NULL, &err);
    REQUIRE(c && plast_campaign_start(c, NULL, &err) == PLAST_OK);
    plast_gen_stats g;
    REQUIRE(plast_campaign_step(c, NULL, &g, &err) == PLAST_OK);
    char name[64];
    plast_campaign_meta_loss_name((const plast_campaign_opts *)cfg->campaign_opts, sh.objective,
                                  name, sizeof name);
    CHECK(!strcmp(name, "query cross-entropy"));
    CHECK(isfinite(g.mean) && g.mean > 0.0);
    /* the same campaign scored by 1 - accuracy validates its start differently */
    const char *score[1] = {"campaign.meta_loss=\"score\""};
    plast_campaign *c1 = plast_campaign_new(load(json, score, 1), 1, NULL, &err);
    REQUIRE(c1 && plast_campaign_start(c1, NULL, &err) == PLAST_OK);
    int n0, n1;
    double v0 = plast_campaign_history(c, &n0)[0].valid, v1 = plast_campaign_history(c1, &n1)[0].valid;
    fprintf(stderr, "validation of the start: cross-entropy %.4f, 1 - accuracy %.4f\n", v0, v1);
    CHECK(v1 >= 0.0 && v1 <= 1.0 && v0 != v1);
    plast_campaign_delete(c1);
    plast_campaign_delete(c);
}

/* A task emitting the broadcasts a self-supervised rule reads (NULL: the engine's only). */
static const char *ssl_task(const plast_rule *r)
{
    for (int k = 0; r->reads && r->reads[k]; k++) {
        if (!strcmp(r->reads[k], "saccade"))
            return "{\"name\": \"saccade\", \"source\": \"synthetic\", \"side\": 8,"
                   " \"patch\": 4, \"steps\": 12, \"batch\": 2}";
        if (!strcmp(r->reads[k], "views"))
            return "{\"name\": \"views\", \"source\": \"synthetic\", \"side\": 8,"
                   " \"steps\": 12, \"pairs\": 2}";
    }
    return NULL;
}

int main(void)
{
    plast_linalg_init();
    own_rule();
    plast_registry reg = registry();
    for (int i = 0; i < reg.n_rules; i++) {
        if (ssl_task(reg.rules[i])) {
            save_restore(reg.rules[i], ssl_task(reg.rules[i]));
            continue;
        }
        save_restore(reg.rules[i], "{\"name\": \"sine\", \"n_functions\": 3, \"n_batches\": 6}");
        save_restore(reg.rules[i], "{\"name\": \"gauss\", \"n_classes\": 4, \"n_train\": 8}");
    }
    broadcasts();
    objectives();
    CHECK_DONE();
}
