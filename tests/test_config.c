/* test_config.c — configs and params files (include/plast/config.h).
 *
 * Every bad input gets its exact error code and an error record whose `where` names the
 * key path ("task.order", "net.hidden[1]") or, for malformed JSON, "origin:LINE:COL" at
 * the offending character. --set overrides are checked to land where they say and to be
 * validated like the file. The resolved config written by plast_config_write parses back
 * to the same bytes, and a learner's tensors written to a params file come back
 * bit-identical; every damaged params file is PLAST_E_DATA with the file named. */
#include "plast/registry.h"
#include "plast/config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "plast/episode.h"
#include "plast/rng.h"

static char tmpdir[] = "/tmp/plast_test_config.XXXXXX";
static char made[32][512]; /* files to remove at the end */
static int n_made;

static const char *tmp_path(const char *name)
{
    REQUIRE(n_made < 32);
    snprintf(made[n_made], sizeof made[n_made], "%s/%s", tmpdir, name);
    return made[n_made++];
}

static void write_text(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE(fwrite(text, 1, len, f) == len);
    REQUIRE(fclose(f) == 0);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    REQUIRE(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    REQUIRE(n > 0 && n < sizeof buf - 1);
    fclose(f);
    buf[n] = '\0';
    char *copy = malloc(n + 1);
    REQUIRE(copy);
    memcpy(copy, buf, n + 1);
    return copy;
}

/* text with the first occurrence of old replaced by new (heap); old must occur. */
static char *replace_once(const char *text, const char *old, const char *new)
{
    const char *at = strstr(text, old);
    REQUIRE(at);
    size_t n = strlen(text) - strlen(old) + strlen(new);
    char *out = malloc(n + 1);
    REQUIRE(out);
    size_t pre = (size_t)(at - text);
    memcpy(out, text, pre);
    snprintf(out + pre, n + 1 - pre, "%s%s", new, at + strlen(old));
    return out;
}

static void report(int line, const char *what, const char *got, const char *want)
{
    check_failures_++;
    fprintf(stderr, "%s:%d: %s: got '%s', want '%s'\n", __FILE__, line, what, got, want);
}

/* One call's outcome: the code returned and recorded, the exact where, a message fragment. */
static void expect_err(int line, int rc, const plast_err *err, int code, const char *where,
                       const char *frag)
{
    char a[32], b[32];
    check_count_++;
    if (rc != code || err->code != code) {
        snprintf(a, sizeof a, "%d (record %d)", rc, err->code);
        snprintf(b, sizeof b, "%d", code);
        report(line, "code", a, b);
        fprintf(stderr, "    (where '%s', message '%s')\n", err->where, err->msg);
        return;
    }
    check_count_++;
    if (strcmp(err->where, where) != 0) report(line, "where", err->where, where);
    if (frag) {
        check_count_++;
        if (!strstr(err->msg, frag)) report(line, "message", err->msg, frag);
    }
}

/* Parses text with the given overrides and checks the error. */
static void expect_cfg(int line, const char *text, const char *const *sets, int n_sets, int code,
                       const char *where, const char *frag)
{
    static plast_config c;
    plast_err err;
    plast_err_clear(&err);
    int rc = plast_config_parse(&c, text, "cfg.json", sets, n_sets, PLAST_TEST_REG(0), &err);
    expect_err(line, rc, &err, code, where, frag);
}

#define BAD(text, code, where, frag) expect_cfg(__LINE__, text, NULL, 0, code, where, frag)
#define BAD_SET(text, set, code, where, frag)                                                 \
    do {                                                                                      \
        const char *s_[1] = {set};                                                            \
        expect_cfg(__LINE__, text, s_, 1, code, where, frag);                                 \
    } while (0)

/* Where a table keeps the option called key inside opts (the structs of rules and tasks
 * are private to their files; the table is how everyone else reaches them). */
static const void *opt_at(const plast_opt_table *t, const void *opts, const char *key)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->opt[i].key, key)) return (const char *)opts + t->opt[i].offset;
    return NULL;
}

static int opt_choice(const plast_opt_table *t, const char *key, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->opt[i].key, key)) return plast_choice_index(t->opt[i].choices, name);
    return -2;
}

/* ---------------------------------------------------------------------------------------- */

static void test_bad_configs(void)
{
    const int E = PLAST_E_CONFIG;
    /* The base case parses, so every failure below is the one change it makes. */
    {
        plast_config c;
        plast_err err;
        plast_err_clear(&err);
        CHECK(plast_config_parse(&c, "{\"rule\": \"sgd\", \"task\": \"sine\"}", "cfg.json", NULL,
                                 0, PLAST_TEST_REG(0), &err) == PLAST_OK);
        CHECK(err.code == PLAST_OK);
        CHECK(c.rule == plast_rule_find("sgd") && c.rule != NULL);
        CHECK(c.task == plast_task_find("sine") && c.task != NULL);
        CHECK(c.run.runs == 10 && c.run.seed == 1 && c.run.bootstrap == 1000);
        CHECK(c.net.hidden.n == 3 && c.net.hidden.v[0] == 40 && c.net.hidden.v[2] == 40);
        CHECK(strcmp(c.origin, "cfg.json") == 0);
    }

    /* unknown keys: top level and inside each section, with the known keys listed */
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"epochs\": 3}", E, "epochs", "runs");
    BAD("{\"rule\": {\"name\": \"sgd\", \"momentum\": 0.9}, \"task\": \"sine\"}", E,
        "rule.momentum", "lr");
    BAD("{\"rule\": \"sgd\", \"task\": {\"name\": \"sine\", \"ordr\": \"iid\"}}", E, "task.ordr",
        "order");
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"net\": {\"hiden\": [8]}}", E, "net.hiden",
        "hidden");

    /* wrong types */
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"runs\": \"2\"}", E, "runs", "integer");
    BAD("{\"rule\": \"sgd\", \"task\": {\"name\": \"sine\", \"batch\": 2.5}}", E, "task.batch",
        "integer");
    BAD("{\"rule\": {\"name\": \"sgd\", \"biases\": 1}, \"task\": \"sine\"}", E, "rule.biases",
        "true or false");
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"net\": {\"hidden\": 8}}", E, "net.hidden",
        "list");
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"net\": {\"hidden\": [8, \"8\"]}}", E,
        "net.hidden[1]", "integer");
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"net\": 3}", E, "net", "object");
    BAD("{\"rule\": {\"name\": \"sgd\", \"lr\": \"fast\"}, \"task\": \"sine\"}", E, "rule.lr",
        "number");
    BAD("{\"rule\": 5, \"task\": \"sine\"}", E, "rule", "name");
    BAD("{\"rule\": {\"lr\": 0.1}, \"task\": \"sine\"}", E, "rule.name", "missing");
    BAD("[1, 2]", E, "", "object");

    /* out of range, ints and floats, at both ends */
    BAD("{\"rule\": \"sgd\", \"task\": {\"name\": \"sine\", \"batch\": 0}}", E, "task.batch",
        "out of range 1..256");
    BAD("{\"rule\": \"sgd\", \"task\": {\"name\": \"sine\", \"batch\": 1000}}", E, "task.batch",
        "out of range 1..256");
    BAD("{\"rule\": {\"name\": \"flp\", \"beta_init\": 2}, \"task\": \"sine\"}", E,
        "rule.beta_init", "out of range 0..1");
    BAD("{\"rule\": {\"name\": \"flp\", \"beta_init\": -0.01}, \"task\": \"sine\"}", E,
        "rule.beta_init", "out of range");
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"runs\": 0}", E, "runs", "out of range");
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"net\": {\"hidden\": [8, 0]}}", E,
        "net.hidden[1]", "out of range");
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"net\": {\"hidden\": [8, 70000]}}", E,
        "net.hidden[1]", "out of range");

    /* enums: the unknown value and the allowed names */
    BAD("{\"rule\": \"sgd\", \"task\": {\"name\": \"sine\", \"order\": \"random\"}}", E,
        "task.order", "'random' is not one of: continual, iid");
    BAD("{\"rule\": \"sgd\", \"task\": {\"name\": \"sine\", \"order\": 1}}", E, "task.order",
        "continual, iid");
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"net\": {\"act\": \"gelu\"}}", E, "net.act",
        "relu");

    /* unknown modules, with what is known */
    BAD("{\"rule\": \"backprop\", \"task\": \"sine\"}", E, "rule.name",
        "unknown rule 'backprop' (known: flp, hebb, dfa, fa, terms, ncm, ");
    BAD("{\"rule\": {\"name\": \"oja\"}, \"task\": \"sine\"}", E, "rule.name", "'oja'");
    BAD("{\"rule\": \"sgd\", \"task\": \"mnist\"}", E, "task.name", "unknown task 'mnist'");
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"bogus\": 1, \"zzz\": 2}", E, "bogus", NULL);

    /* missing sections */
    BAD("{\"task\": \"sine\"}", E, "rule", "missing");
    BAD("{\"rule\": \"sgd\"}", E, "task", "missing");

    /* duplicate keys, at the top and inside a section */
    BAD("{\"rule\": \"sgd\", \"runs\": 2, \"task\": \"sine\", \"runs\": 3}", E, "runs", "twice");
    BAD("{\"rule\": \"sgd\", \"task\": {\"name\": \"sine\", \"batch\": 4, \"batch\": 4}}", E,
        "task.batch", "twice");
    BAD("{\"rule\": \"sgd\", \"rule\": \"flp\", \"task\": \"sine\"}", E, "rule", "twice");

    /* malformed JSON: line and column of the first character that cannot continue */
    BAD("{\n"
        "  \"runs\": 2,\n"
        "  \"rule\": \"sgd\"\n"
        "  \"task\": \"sine\"\n"
        "}\n",
        E, "cfg.json:4:3", "line 4, column 3");
    BAD("{\n"
        "  \"rule\": \"sgd\",\n"
        "  \"task\": {\"name\": \"sine\", \"batch\": [1,]}\n"
        "}\n",
        E, "cfg.json:3:40", "line 3, column 40");
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\"", E, "cfg.json:1:31", NULL); /* cut short */
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\"} {}", E, "cfg.json:1:33", NULL); /* trailing */
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"runs\": -}", E, "cfg.json:1:41", NULL);
    BAD("", E, "cfg.json:1:1", NULL);

    /* non-finite numbers: JSON has no NaN, and 1e999 overflows to infinity */
    BAD("{\"rule\": {\"name\": \"sgd\",\n \"lr\": NaN}, \"task\": \"sine\"}", E, "cfg.json:2:8",
        NULL);
    BAD("{\"rule\": {\"name\": \"sgd\", \"lr\": 1e999}, \"task\": \"sine\"}", E, "rule.lr",
        "finite");
    BAD("{\"rule\": {\"name\": \"sgd\", \"lr\": -1e999}, \"task\": \"sine\"}", E, "rule.lr",
        "finite");
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"runs\": 1e999}", E, "runs", "integer");
    BAD("{\"rule\": \"sgd\", \"task\": \"sine\", \"net\": {\"hidden\": [8, 1e999]}}", E,
        "net.hidden[1]", "integer");
}

static void test_sets(void)
{
    const char *base = "{\"rule\": \"flp\", \"task\": {\"name\": \"sine\", \"order\": \"continual\"}}";
    static plast_config c;
    plast_err err;

    {
        const char *sets[] = {"task.order=iid", "net.hidden=[8,8]", "runs=3", "seed=99"};
        plast_err_clear(&err);
        REQUIRE(plast_config_parse(&c, base, "base", sets, 4, PLAST_TEST_REG(0), &err) == PLAST_OK);
        const int *order = opt_at(&c.task->opts, c.task_opts, "order");
        REQUIRE(order);
        CHECK(*order == opt_choice(&c.task->opts, "order", "iid"));
        CHECK(*order != opt_choice(&c.task->opts, "order", "continual"));
        CHECK(c.net.hidden.n == 2 && c.net.hidden.v[0] == 8 && c.net.hidden.v[1] == 8);
        CHECK(c.run.runs == 3 && c.run.seed == 99);
        CHECK(c.rule == plast_rule_find("flp"));
    }
    {
        /* switching the rule by name, then setting an option only the new rule has */
        const char *sets[] = {"rule.name=sgd", "rule.lr=0.1"};
        plast_err_clear(&err);
        REQUIRE(plast_config_parse(&c, base, "base", sets, 2, PLAST_TEST_REG(0), &err) == PLAST_OK);
        CHECK(c.rule == plast_rule_find("sgd"));
        const float *lr = opt_at(&c.rule->opts, c.rule_opts, "lr");
        REQUIRE(lr);
        CHECK(*lr == 0.1f);
        /* in the other order, lr lands on flp, which has none */
        const char *alone[] = {"rule.lr=0.1"}; /* flp has no lr */
        expect_cfg(__LINE__, base, alone, 1, PLAST_E_CONFIG, "rule.lr", "unknown key");
    }
    {
        /* the "rule": "flp" shorthand becomes an object when a key is added */
        const char *sets[] = {"rule.p_init=0.01"};
        plast_err_clear(&err);
        REQUIRE(plast_config_parse(&c, base, "base", sets, 1, PLAST_TEST_REG(0), &err) == PLAST_OK);
        CHECK(c.rule == plast_rule_find("flp"));
        const float *p = opt_at(&c.rule->opts, c.rule_opts, "p_init");
        const float *beta = opt_at(&c.rule->opts, c.rule_opts, "beta_init");
        REQUIRE(p && beta);
        CHECK(*p == 0.01f);
        CHECK(*beta == 0.5f); /* the rest keeps its defaults */
    }
    {
        /* a whole section replaced, and a section created by a key */
        const char *sets[] = {"rule=sgd", "net.act=tanh"};
        plast_err_clear(&err);
        REQUIRE(plast_config_parse(&c, base, "base", sets, 2, PLAST_TEST_REG(0), &err) == PLAST_OK);
        CHECK(c.rule == plast_rule_find("sgd"));
        CHECK(c.net.act == plast_choice_index(plast_act_names, "tanh"));
        CHECK(c.net.hidden.n == 3); /* net's other keys keep their defaults */
    }

    /* overrides are validated like the file */
    BAD_SET(base, "task.order=random", PLAST_E_CONFIG, "task.order", "continual, iid");
    BAD_SET(base, "task.batch=0", PLAST_E_CONFIG, "task.batch", "out of range");
    BAD_SET(base, "net.hidden=[8,-1]", PLAST_E_CONFIG, "net.hidden[1]", "out of range");
    BAD_SET(base, "task.colour=red", PLAST_E_CONFIG, "task.colour", "unknown key");
    BAD_SET(base, "rule.name=oja", PLAST_E_CONFIG, "rule.name", "unknown rule 'oja'");
    BAD_SET(base, "rule.beta_init=1e999", PLAST_E_CONFIG, "rule.beta_init", "finite");
    /* malformed overrides are usage errors naming the override */
    BAD_SET(base, "novalue", PLAST_E_USAGE, "--set novalue", "key=value");
    BAD_SET(base, "=x", PLAST_E_USAGE, "--set =x", "key=value");
    BAD_SET(base, "a..b=1", PLAST_E_USAGE, "--set a..b=1", "empty part");
    BAD_SET(base, ".a=1", PLAST_E_USAGE, "--set .a=1", "empty part");
    BAD_SET(base, "task.=1", PLAST_E_USAGE, "--set task.=1", "empty part");
    BAD_SET(base, "task.order.x=1", PLAST_E_USAGE, "--set task.order.x=1", "'order' is not an object");
    {
        /* the first bad override stops the rest */
        const char *sets[] = {"runs=2", "oops", "task.batch=0"};
        expect_cfg(__LINE__, base, sets, 3, PLAST_E_USAGE, "--set oops", NULL);
    }
}

static void test_roundtrip(void)
{
    const char *text =
        "{\"seed\": 7, \"runs\": 3, \"bootstrap\": 50, \"params\": \"dir/a \\\"b\\\".json\",\n"
        " \"net\": {\"hidden\": [5, 6], \"act\": \"tanh\", \"gain\": 0.3, \"frozen\": [1],\n"
        "         \"feedback_bias_value\": -0.1, \"output_act\": \"sigmoid\"},\n"
        " \"rule\": {\"name\": \"flp\", \"form\": \"hebb\", \"beta_init\": 0.3, \"p_init\": 1e-7,\n"
        "          \"gate\": true, \"feedback_relu\": false, \"granularity\": \"neuron\"},\n"
        " \"task\": {\"name\": \"sine\", \"order\": \"iid\", \"batch\": 7, \"n_batches\": 3}}\n";
    static plast_config a, b, d;
    plast_err err;
    plast_err_clear(&err);
    REQUIRE(plast_config_parse(&a, text, "rt", NULL, 0, PLAST_TEST_REG(0), &err) == PLAST_OK);
    CHECK(a.run.seed == 7 && a.run.runs == 3 && a.run.bootstrap == 50);
    CHECK(strcmp(a.run.params, "dir/a \"b\".json") == 0);
    CHECK(a.net.w_gain == 0.3f && a.net.frozen.n == 1 && a.net.frozen.v[0] == 1);

    /* the values differ from the defaults, so the comparison below means something */
    REQUIRE(plast_config_parse(&d, "{\"rule\": \"flp\", \"task\": \"sine\"}", "d", NULL, 0, PLAST_TEST_REG(0), &err) ==
            PLAST_OK);
    CHECK(memcmp(&a.net, &d.net, sizeof a.net) != 0);
    CHECK(memcmp(a.rule_opts, d.rule_opts, sizeof a.rule_opts) != 0);
    CHECK(memcmp(a.task_opts, d.task_opts, sizeof a.task_opts) != 0);

    const char *p1 = tmp_path("resolved.json"), *p2 = tmp_path("resolved2.json");
    FILE *f = fopen(p1, "w");
    REQUIRE(f);
    CHECK(plast_config_write(&a, f) == PLAST_OK);
    REQUIRE(fclose(f) == 0);

    plast_err_clear(&err);
    int rc = plast_config_load(&b, p1, NULL, 0, PLAST_TEST_REG(0), &err);
    if (rc) fprintf(stderr, "reload: %s: %s\n", err.where, err.msg);
    REQUIRE(rc == PLAST_OK);
    CHECK(memcmp(&a.run, &b.run, sizeof a.run) == 0);
    CHECK(memcmp(&a.net, &b.net, sizeof a.net) == 0);
    CHECK(a.rule == b.rule && a.task == b.task);
    CHECK(memcmp(a.rule_opts, b.rule_opts, sizeof a.rule_opts) == 0);
    CHECK(memcmp(a.task_opts, b.task_opts, sizeof a.task_opts) == 0);
    CHECK(strcmp(b.origin, p1) == 0);

    /* writing the reloaded config gives the same text: a fixed point */
    f = fopen(p2, "w");
    REQUIRE(f);
    CHECK(plast_config_write(&b, f) == PLAST_OK);
    REQUIRE(fclose(f) == 0);
    char *t1 = read_text(p1), *t2 = read_text(p2);
    CHECK(strcmp(t1, t2) == 0);
    /* every key of every table is written, defaults included */
    CHECK(strstr(t1, "\"hidden_scale\": 100") != NULL);
    CHECK(strstr(t1, "\"n_query\": 32") != NULL);
    CHECK(strstr(t1, "\"bias_init\": \"zeros\"") != NULL);
    free(t1);
    free(t2);

    /* a missing config file */
    plast_err_clear(&err);
    const char *none = tmp_path("no-such-config.json");
    rc = plast_config_load(&b, none, NULL, 0, PLAST_TEST_REG(0), &err);
    expect_err(__LINE__, rc, &err, PLAST_E_NOINPUT, none, NULL);

    /* a file's malformed JSON is located in the file */
    const char *bad = tmp_path("bad.json");
    const char *bt = "{\"rule\": \"sgd\",\n\n  \"runs\": 2,\n\t\"task\": sine\n}\n";
    write_text(bad, bt, strlen(bt));
    plast_err_clear(&err);
    rc = plast_config_load(&b, bad, NULL, 0, PLAST_TEST_REG(0), &err);
    char want[600];
    snprintf(want, sizeof want, "%s:4:10", bad);
    expect_err(__LINE__, rc, &err, PLAST_E_CONFIG, want, NULL);
}

/* ---------------------------------------------------------------------------------------- */

typedef struct learner_box {
    _Alignas(16) unsigned char opts[PLAST_OPTS_BYTES];
    plast_learner L;
} learner_box;

/* 2 inputs, hidden [4, 3], 1 output, rule flp with default options. */
static void make_learner(learner_box *box)
{
    const plast_rule *flp = plast_rule_find("flp");
    REQUIRE(flp);
    plast_opts_defaults(&flp->opts, box->opts);
    plast_net_opts no;
    plast_opts_defaults(&plast_net_opts_table, &no);
    no.hidden.n = 2;
    no.hidden.v[0] = 4;
    no.hidden.v[1] = 3;
    plast_net_spec sp;
    plast_err err;
    plast_err_clear(&err);
    REQUIRE(plast_net_spec_make(&no, 2, 0, 0, 0, 1, &sp, &err) == PLAST_OK);
    REQUIRE(plast_learner_init(&box->L, &sp, flp, box->opts, &plast_objective_regression, &err) == PLAST_OK);
}

static int write_params(const char *path, plast_learner *L, const char *const *names)
{
    const plast_pset *secs[2] = {&L->net.p, &L->meta};
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    int rc = plast_params_write(f, L->rule->name, secs, names, NULL, 2);
    REQUIRE(fclose(f) == 0);
    return rc;
}

static int read_params(const char *path, const char *rule, plast_learner *L,
                       const char *const *names, unsigned char *m0, unsigned char *m1,
                       plast_err *err)
{
    plast_pset *secs[2] = {&L->net.p, &L->meta};
    unsigned char *masks[2] = {m0, m1};
    plast_err_clear(err);
    return plast_params_read(path, rule, secs, names, 2, m0 ? masks : NULL, NULL, err);
}

/* Only the chosen layers of a params file are read: a representation moves to a network
 * with another head (OML-style transfer); without the filter the head's shape is refused.
 * Layer -1 picks the tensors of no single layer (here sgd's learning rate). */
static void test_params_layers(void)
{
    const plast_rule *sgd = plast_rule_find("sgd");
    _Alignas(16) unsigned char opts[PLAST_OPTS_BYTES];
    plast_opts_defaults(&sgd->opts, opts);
    plast_net_opts no;
    plast_opts_defaults(&plast_net_opts_table, &no);
    no.hidden.n = 1;
    no.hidden.v[0] = 6;
    plast_net_spec s5, s9;
    plast_learner a, b;
    plast_err err;
    REQUIRE(plast_net_spec_make(&no, 3, 0, 0, 0, 5, &s5, &err) == 0 && plast_net_spec_make(&no, 3, 0, 0, 0, 9, &s9, &err) == 0);
    REQUIRE(plast_learner_init(&a, &s5, sgd, opts, &plast_objective_classification, &err) == 0 && plast_learner_init(&b, &s9, sgd, opts, &plast_objective_classification, &err) == 0);
    plast_rng r;
    plast_rng_seed(&r, 5, 5);
    plast_learner_draw(&a, &r);
    plast_pset_view(&a.meta, "lr", -1)[0] = 0.125f;
    const char *path = tmp_path("head5.json");
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    const plast_pset *secs[2] = {&a.net.p, &a.meta};
    const char *names[2] = {"net", "meta"};
    REQUIRE(plast_params_write(f, "sgd", secs, names, NULL, 2) == 0);
    fclose(f);
    plast_pset *dst[2] = {&b.net.p, &b.meta};
    unsigned char m0[PLAST_MAX_PSPECS] = {0}, m1[PLAST_MAX_PSPECS] = {0};
    unsigned char *masks[2] = {m0, m1};
    CHECK(plast_params_read(path, "sgd", dst, names, 2, masks, NULL, &err) == PLAST_E_DATA);
    CHECK(strstr(err.where, "W[1]") != NULL);
    plast_ints only0 = {1, {0}};
    memset(m0, 0, sizeof m0);
    CHECK(plast_params_read(path, "sgd", dst, names, 2, masks, &only0, &err) == PLAST_OK);
    CHECK(!memcmp(b.net.layer[0].W, a.net.layer[0].W, 18 * sizeof(float)));
    CHECK(m0[0] == 1 && m0[1] == 0); /* W[0] read, W[1] not */
    CHECK(m1[0] == 0 && plast_pset_view(&b.meta, "lr", -1)[0] != 0.125f);
    plast_ints global0 = {2, {-1, 0}};
    memset(m0, 0, sizeof m0);
    CHECK(plast_params_read(path, "sgd", dst, names, 2, masks, &global0, &err) == PLAST_OK);
    CHECK(m0[0] == 1 && m0[1] == 0 && m1[0] == 1);
    CHECK(plast_pset_view(&b.meta, "lr", -1)[0] == 0.125f);
    /* Another rule's file: its layers' tensors move (a representation), its network-wide
     * meta-parameters (-1) do not, and asking for them names the rule. */
    memset(m0, 0, sizeof m0);
    CHECK(plast_params_read(path, "fa", dst, names, 2, masks, &only0, &err) == PLAST_OK && m0[0] == 1);
    CHECK(plast_params_read(path, "fa", dst, names, 2, masks, &global0, &err) == PLAST_E_DATA &&
          strstr(err.msg, "params are for rule 'sgd'") != NULL);
    /* A file of a rule with feedback and per-layer plasticity (flp) read into sgd: the listed
     * layer's weights move, its B, c and P (which sgd lacks) are skipped; a listed layer with
     * nothing sgd can take is an error naming it. */
    const plast_rule *flp = plast_rule_find("flp");
    _Alignas(16) unsigned char fopts[PLAST_OPTS_BYTES];
    plast_opts_defaults(&flp->opts, fopts);
    plast_learner c;
    REQUIRE(plast_learner_init(&c, &s9, flp, fopts, &plast_objective_classification, &err) == 0);
    plast_learner_draw(&c, &r);
    const plast_pset *fsecs[2] = {&c.net.p, &c.meta};
    int has_fb = 0;
    for (int k = 0; k < c.net.p.n; k++) has_fb |= c.net.p.spec[k].name[0] == 'B';
    CHECK(has_fb && c.meta.n > 0);
    const char *fpath = tmp_path("flp9.json");
    REQUIRE((f = fopen(fpath, "w")) != NULL);
    REQUIRE(plast_params_write(f, "flp", fsecs, names, NULL, 2) == 0);
    fclose(f);
    plast_ints only01 = {2, {0, 1}}, only7 = {2, {0, 7}};
    memset(m0, 0, sizeof m0);
    memset(m1, 0, sizeof m1);
    CHECK(plast_params_read(fpath, "sgd", dst, names, 2, masks, &only01, &err) == PLAST_OK);
    CHECK(!memcmp(b.net.layer[0].W, c.net.layer[0].W, 18 * sizeof(float)) &&
          !memcmp(b.net.layer[1].W, c.net.layer[1].W, 54 * sizeof(float)));
    CHECK(m1[0] == 0);
    CHECK(plast_params_read(fpath, "sgd", dst, names, 2, masks, &only7, &err) == PLAST_E_DATA &&
          strstr(err.msg, "lists layer 7") != NULL);
    plast_learner_free(&c);
    plast_learner_free(&a);
    plast_learner_free(&b);
}

static void test_params(void)
{
    /* Section names as the program uses them: "net" and "meta" (the file's top-level
     * "rule" is the rule's name). */
    const char *names[2] = {"net", "meta"};
    static learner_box A, B, C;
    make_learner(&A);
    make_learner(&B);
    make_learner(&C);
    REQUIRE(A.L.meta.n == 6); /* P[l] and beta[l] for three layers */

    plast_rng rng;
    plast_rng_seed(&rng, 2024u, 7u);
    plast_learner_draw(&A.L, &rng);
    /* meta-parameters start constant: give them values spanning the float range so the
     * round trip is tested on more than 0.001 and 0.5 */
    for (size_t i = 0; i < A.L.meta.n_floats; i++)
        A.L.meta.data[i] = (float)(plast_rng_normal(&rng) *
                                   pow(10.0, (double)plast_rng_below(&rng, 61) - 30.0));
    A.L.net.p.data[0] = FLT_MAX;
    A.L.net.p.data[1] = -FLT_MIN;
    A.L.net.p.data[2] = 1e-45f; /* the smallest subnormal */
    A.L.net.p.data[3] = -0.0f;
    A.L.net.p.data[4] = 0.1f;
    A.L.net.p.data[5] = 1.0f / 3.0f;

    const char *good = tmp_path("params.json");
    CHECK(write_params(good, &A.L, names) == PLAST_OK);

    size_t nb_net = A.L.net.p.n_floats * sizeof(float);
    size_t nb_meta = A.L.meta.n_floats * sizeof(float);
    CHECK(B.L.net.p.n_floats == A.L.net.p.n_floats && B.L.meta.n_floats == A.L.meta.n_floats);
    CHECK(memcmp(A.L.net.p.data, B.L.net.p.data, nb_net) != 0);
    CHECK(memcmp(A.L.meta.data, B.L.meta.data, nb_meta) != 0);

    unsigned char m0[PLAST_MAX_PSPECS] = {0}, m1[PLAST_MAX_PSPECS] = {0};
    plast_err err;
    int rc = read_params(good, "flp", &B.L, names, m0, m1, &err);
    if (rc) fprintf(stderr, "params read: %s: %s\n", err.where, err.msg);
    CHECK(rc == PLAST_OK);
    CHECK(memcmp(A.L.net.p.data, B.L.net.p.data, nb_net) == 0);
    CHECK(memcmp(A.L.meta.data, B.L.meta.data, nb_meta) == 0);
    CHECK(signbit(B.L.net.p.data[3]));
    int all0 = 1, all1 = 1;
    for (int k = 0; k < B.L.net.p.n; k++) all0 &= m0[k] == 1;
    for (int k = 0; k < B.L.meta.n; k++) all1 &= m1[k] == 1;
    CHECK(all0 && all1);
    CHECK(B.L.net.p.n > 0 && m0[B.L.net.p.n] == 0); /* nothing past the last tensor */

    char *text = read_text(good);
    CHECK(strstr(text, "\"format\": \"plast-params\"") != NULL);
    CHECK(strstr(text, "\"W[0]\": {\"shape\": [4, 2]") != NULL);

    /* a file with one tensor: only that one changes and is marked */
    {
        const char *one = tmp_path("one.json");
        const char *t = "{\"format\": \"plast-params\", \"version\": 1, \"rule\": \"flp\",\n"
                        " \"meta\": {\"beta[1]\": {\"shape\": [1, 1], \"values\": [0.25]}}}\n";
        write_text(one, t, strlen(t));
        for (size_t i = 0; i < C.L.meta.n_floats; i++) C.L.meta.data[i] = 7.0f;
        memset(m0, 0, sizeof m0);
        memset(m1, 0, sizeof m1);
        CHECK(read_params(one, "flp", &C.L, names, m0, m1, &err) == PLAST_OK);
        const plast_pspec *b1 = plast_pset_find(&C.L.meta, "beta", 1);
        REQUIRE(b1);
        int k1 = (int)(b1 - C.L.meta.spec);
        int others = 1, marks = 1;
        for (size_t i = 0; i < C.L.meta.n_floats; i++)
            if (i != b1->offset) others &= C.L.meta.data[i] == 7.0f;
        for (int k = 0; k < C.L.meta.n; k++) marks &= m1[k] == (k == k1);
        for (int k = 0; k < C.L.net.p.n; k++) marks &= m0[k] == 0;
        CHECK(C.L.meta.data[b1->offset] == 0.25f);
        CHECK(others);
        CHECK(marks);
        plast_learner_free(&C.L);
    }

    /* damaged files: each PLAST_E_DATA, with the file (and the tensor, where there is one) */
    char where[600];
    struct {
        const char *name, *old, *new, *rule, *tensor, *frag;
    } bad[] = {
        {"format.json", "\"plast-params\"", "\"plast-weights\"", "flp", NULL, "format"},
        {"version.json", "\"version\": 1", "\"version\": 2", "flp", NULL, "version"},
        {"rulefile.json", "\"rule\": \"flp\"", "\"rule\": \"hebb\"", "flp", NULL, "'hebb'"},
        {"ruleconf.json", "\"format\"", "\"format\"", "dfa", NULL, "'dfa'"},
        {"shape.json", "\"W[1]\": {\"shape\": [3, 4]", "\"W[1]\": {\"shape\": [4, 3]", "flp",
         "net.W[1]", "[3, 4]"},
        {"count.json", "\"beta[0]\": {\"shape\": [1, 1], \"values\": [",
         "\"beta[0]\": {\"shape\": [1, 1], \"values\": [0.5, ", "flp", "meta.beta[0]", "1 values"},
        {"tensor.json", "\"W[0]\"", "\"W[7]\"", "flp", "net.W[7]", "no such tensor"},
        {"section.json", "\"meta\": {", "\"weights\": {", "flp", NULL, "'weights'"},
        {"string.json", "\"beta[2]\": {\"shape\": [1, 1], \"values\": [",
         "\"beta[2]\": {\"shape\": [1, 1], \"values\": [\"x\"], \"was\": [", "flp",
         "meta.beta[2]", "value 0"},
        {"inf.json", "\"beta[1]\": {\"shape\": [1, 1], \"values\": [",
         "\"beta[1]\": {\"shape\": [1, 1], \"values\": [1e999], \"was\": [", "flp",
         "meta.beta[1]", "not a finite number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *p = tmp_path(bad[i].name);
        char *t = replace_once(text, bad[i].old, bad[i].new);
        write_text(p, t, strlen(t));
        free(t);
        if (bad[i].tensor)
            snprintf(where, sizeof where, "%s: %s", p, bad[i].tensor);
        else
            snprintf(where, sizeof where, "%s", p);
        make_learner(&C);
        rc = read_params(p, bad[i].rule, &C.L, names, NULL, NULL, &err);
        expect_err(__LINE__, rc, &err, PLAST_E_DATA, where, bad[i].frag);
        if (rc != PLAST_E_DATA) fprintf(stderr, "    (case %s)\n", bad[i].name);
        plast_learner_free(&C.L);
    }

    /* truncated mid-way: malformed JSON, still bad data, located in the file */
    {
        const char *p = tmp_path("cut.json");
        size_t len = strlen(text);
        write_text(p, text, len / 2);
        make_learner(&C);
        rc = read_params(p, "flp", &C.L, names, NULL, NULL, &err);
        CHECK(rc == PLAST_E_DATA && err.code == PLAST_E_DATA);
        size_t pl = strlen(p);
        CHECK(strncmp(err.where, p, pl) == 0 && err.where[pl] == ':');
        /* the position is on the last line of what is left */
        int lines = 1;
        for (size_t i = 0; i < len / 2; i++) lines += text[i] == '\n';
        CHECK(strtol(err.where + pl + 1, NULL, 10) == lines);
        plast_learner_free(&C.L);
    }

    /* missing */
    {
        const char *p = tmp_path("absent.json");
        make_learner(&C);
        rc = read_params(p, "flp", &C.L, names, NULL, NULL, &err);
        expect_err(__LINE__, rc, &err, PLAST_E_NOINPUT, p, NULL);
        plast_learner_free(&C.L);
    }

    free(text);
    plast_learner_free(&A.L);
    plast_learner_free(&B.L);
}

/* Numbers: 9 significant digits, and null for what JSON cannot hold. */
static void test_json_numbers(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    REQUIRE(m);
    const double v[] = {NAN, INFINITY, -INFINITY, 0.0, -2.5, 0.1f, 1e-30};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        if (i) fputc(' ', m);
        plast_json_write_number(m, v[i]);
    }
    REQUIRE(fclose(m) == 0);
    CHECK(!strcmp(text, "null null null 0 -2.5 0.100000001 1e-30"));
    free(text);
}

/* The read-only JSON view meta/ reads suites with. */
static void test_json_view(void)
{
    const char *path = tmp_path("view.json");
    const char *doc = "{\"a\": [1, \"two\", {\"b\": 3}], \"s\": \"x\", \"a\": 4}";
    write_text(path, doc, strlen(doc));
    plast_json *root;
    plast_err err;
    REQUIRE(plast_json_load(path, &root, &err) == PLAST_OK);
    CHECK(plast_json_is_object(root) && !plast_json_is_array(root));
    CHECK(plast_json_size(root) == 3);
    const plast_json *a = plast_json_get(root, "a"); /* the first of the two */
    CHECK(plast_json_is_array(a) && plast_json_size(a) == 3);
    const plast_json *e = plast_json_first(a);
    double d = 0.0;
    CHECK(plast_json_number(e, &d) && d == 1.0);
    CHECK(!plast_json_string(e));
    e = plast_json_next(e);
    CHECK(plast_json_string(e) && !strcmp(plast_json_string(e), "two"));
    CHECK(!plast_json_number(e, &d));
    e = plast_json_next(e);
    CHECK(plast_json_number(plast_json_get(e, "b"), &d) && d == 3.0);
    CHECK(plast_json_next(e) == NULL);
    char *txt = plast_json_print(e);
    CHECK(txt && !strcmp(txt, "{\"b\":3}"));
    free(txt);
    /* keys, and the repeated one */
    int repeated = 0, n = 0;
    for (const plast_json *k = plast_json_first(root); k; k = plast_json_next(k), n++)
        if (plast_json_key_repeated(root, k)) repeated = n;
    CHECK(n == 3 && repeated == 2);
    /* a missing member answers no to everything */
    const plast_json *none = plast_json_get(root, "none");
    CHECK(!none && !plast_json_string(none) && !plast_json_number(none, &d) && !plast_json_size(none) &&
          !plast_json_first(none) && !plast_json_is_object(none));
    plast_json_delete(root);

    write_text(path, "{\n  \"a\": ]\n}", 12);
    CHECK(plast_json_load(path, &root, &err) == PLAST_E_CONFIG && root == NULL);
    CHECK(strstr(err.where, "view.json:2:") != NULL);
    CHECK(plast_json_load(tmp_path("absent.json"), &root, &err) == PLAST_E_NOINPUT);
}

int main(void)
{
    REQUIRE(mkdtemp(tmpdir) != NULL);
    test_bad_configs();
    test_sets();
    test_roundtrip();
    test_params();
    test_params_layers();
    test_json_numbers();
    test_json_view();
    for (int i = 0; i < n_made; i++) unlink(made[i]);
    REQUIRE(rmdir(tmpdir) == 0);
    CHECK_DONE();
}
