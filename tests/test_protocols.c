/* test_protocols.c — the episode protocols of the image tasks (PROTOCOLS.md sections 2, 3).
 *
 * On a generated Omniglot tree (4 alphabets x 6 characters x 20 drawings; every drawing
 * carries a code of its alphabet, character and drawing number in two pixels, so a test
 * can tell from an image where it came from), and on the shared subsets when present:
 * - omniglot (FLP episodes): n_way distinct classes, k_shot training and n_query query
 *   drawings per class, all different, labels a permutation, one class per label; the
 *   meta-training and evaluation pools never share an alphabet; same seed, same episode.
 * - omniglot-split (OML): class after class, drawings 0-14 for training and 15-19 for
 *   testing, in order, from the evaluation alphabets only.
 * - images (Fashion-MNIST, when installed): class-incremental order, n_train images per class
 *   of that class, distinct, test images from the test split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "png_write.h"
#include "plast/registry.h"
#include "plast/config.h"
#include "plast/bench.h"
#include "plast/dataset.h"
#include "plast/evaluate.h"
#include "plast/task.h"

enum { NA = 4, NC = 6, ND = 20, SZ = 12 };

/* Pixel 0 codes alphabet*NC + character (0..23), pixel 1 the drawing (0..19): grey levels
 * 10 apart, so the loaded ink (255 - grey) / 255 decodes exactly at size SZ. */
static void make_tree(const char *root)
{
    char p[1200];
    REQUIRE(mkdir(root, 0777) == 0);
    unsigned char grey[SZ * SZ];
    for (int a = 0; a < NA; a++) {
        snprintf(p, sizeof p, "%s/Alpha%d", root, a);
        REQUIRE(mkdir(p, 0777) == 0);
        for (int c = 0; c < NC; c++) {
            snprintf(p, sizeof p, "%s/Alpha%d/character%02d", root, a, c + 1);
            REQUIRE(mkdir(p, 0777) == 0);
            for (int d = 0; d < ND; d++) {
                memset(grey, 255, sizeof grey);
                grey[0] = (unsigned char)(255 - 10 * (a * NC + c));
                grey[1] = (unsigned char)(255 - 10 * d);
                snprintf(p, sizeof p, "%s/Alpha%d/character%02d/%02d.png", root, a, c + 1, d);
                write_png(p, SZ, SZ, 8, grey);
            }
        }
    }
}

static int code(float ink)
{
    return (int)lround(ink * 255.0 / 10.0);
}

static const plast_task *task_with(const char *name, void *opts, const char *const *sets, int n,
                                   const char *data)
{
    static plast_config cfg;
    char json[512];
    snprintf(json, sizeof json, "{\"rule\": \"sgd\", \"task\": {\"name\": \"%s\", \"data\": \"%s\", \"cache\": \"\"}}",
             name, data);
    plast_err err;
    if (plast_config_parse(&cfg, json, "test", sets, n, PLAST_TEST_REG(0), &err))
        fprintf(stderr, "%s: %s\n", err.where, err.msg);
    REQUIRE(cfg.task);
    memcpy(opts, cfg.task_opts, PLAST_OPTS_BYTES);
    return cfg.task;
}

static void episodes(const char *data)
{
    _Alignas(16) unsigned char o[PLAST_OPTS_BYTES];
    const char *sets[4] = {"task.size=12", "task.eval_alphabets=2", "task.order=continual", "task.n_way=3"};
    const plast_task *t = task_with("omniglot", o, sets, 4, data);
    plast_task_shape sh;
    plast_err err;
    REQUIRE(t->shape(o, &sh, &err) == 0);
    CHECK(sh.n_out == 3 && sh.n_seg == 3 && sh.max_steps == 15 && sh.n_query == 15 && sh.n_in == 144);
    void *st = t->create(o, 1, &err);
    if (!st) fprintf(stderr, "%s: %s\n", err.where, err.msg);
    REQUIRE(st);
    plast_stream s, s2;
    REQUIRE(plast_stream_init(&s, &sh, &err) == 0 && plast_stream_init(&s2, &sh, &err) == 0);
    int pools_ok = 1, distinct_ok = 1, label_ok = 1, shots_ok = 1, classes_ok = 1;
    for (int e = 0; e < 30; e++) {
        plast_rng r;
        plast_rng_derive(&r, 3, 0, 0, (uint64_t)e);
        t->draw(st, &r, &s);
        int cls_of_label[3] = {-1, -1, -1}, seen[NA * NC][ND];
        memset(seen, 0, sizeof seen);
        for (int k = 0; k < 3; k++) {
            int first = -1;
            for (int i = 0; i < 5 + 15; i++) { /* 5 shots then 15 queries of class k */
                const float *x = i < 5 ? s.x + ((size_t)k * 5 + i) * 144 : s.qx + ((size_t)k * 15 + i - 5) * 144;
                const float *y = i < 5 ? s.y + ((size_t)k * 5 + i) * 3 : s.qy + ((size_t)k * 15 + i - 5) * 3;
                int cls = code(x[0]), d = code(x[1]);
                REQUIRE(cls >= 0 && cls < NA * NC && d >= 0 && d < ND);
                pools_ok &= cls / NC >= NA - 2; /* evaluation pool: the last 2 alphabets */
                distinct_ok &= !seen[cls][d]++;
                if (first < 0) first = cls;
                classes_ok &= cls == first;
                int lab = -1;
                for (int j = 0; j < 3; j++)
                    if (y[j] == 1.0f) lab = j;
                if (cls_of_label[lab] < 0) cls_of_label[lab] = cls;
                label_ok &= cls_of_label[lab] == cls;
            }
            shots_ok &= s.mark[k] == 5 * (k + 1) && s.seg[5 * k] == k;
        }
        label_ok &= cls_of_label[0] != cls_of_label[1] && cls_of_label[1] != cls_of_label[2] &&
                    cls_of_label[0] != cls_of_label[2];
    }
    CHECK(pools_ok && distinct_ok && label_ok && shots_ok && classes_ok);
    plast_rng r1, r2;
    plast_rng_derive(&r1, 3, 0, 0, 7);
    plast_rng_derive(&r2, 3, 0, 0, 7);
    t->draw(st, &r1, &s);
    t->draw(st, &r2, &s2);
    CHECK(!memcmp(s.x, s2.x, sizeof(float) * 15 * 144) && !memcmp(s.qy, s2.qy, sizeof(float) * 45));
    t->destroy(st);

    /* The meta-training pool is the other alphabets. */
    const char *tsets[5] = {"task.size=12", "task.eval_alphabets=2", "task.n_way=3", "task.pool=train",
                            "task.order=iid"};
    t = task_with("omniglot", o, tsets, 5, data);
    st = t->create(o, 1, &err);
    REQUIRE(st);
    int train_ok = 1;
    for (int e = 0; e < 20; e++) {
        plast_rng r;
        plast_rng_derive(&r, 4, 0, 0, (uint64_t)e);
        t->draw(st, &r, &s);
        for (int i = 0; i < 15; i++) train_ok &= code(s.x[(size_t)i * 144]) / NC < NA - 2;
    }
    CHECK(train_ok);
    t->destroy(st);
    plast_stream_free(&s), plast_stream_free(&s2);
}

static void split(const char *data)
{
    _Alignas(16) unsigned char o[PLAST_OPTS_BYTES];
    const char *sets[3] = {"task.size=12", "task.eval_alphabets=2", "task.n_classes=10"};
    const plast_task *t = task_with("omniglot-split", o, sets, 3, data);
    plast_task_shape sh;
    plast_err err;
    REQUIRE(t->shape(o, &sh, &err) == 0);
    CHECK(sh.n_out == 10 && sh.max_steps == 150 && sh.n_query == 5 && sh.batch == 1);
    void *st = t->create(o, 1, &err);
    REQUIRE(st);
    plast_stream s;
    REQUIRE(plast_stream_init(&s, &sh, &err) == 0);
    plast_rng r;
    plast_rng_derive(&r, 5, 0, 0, 0);
    t->draw(st, &r, &s);
    int ok = 1, distinct = 1, used[NA * NC] = {0};
    for (int k = 0; k < 10; k++) {
        int cls = code(s.x[(size_t)k * 15 * 144]);
        ok &= cls / NC >= NA - 2;
        distinct &= !used[cls]++;
        for (int i = 0; i < 15; i++) {
            const float *x = s.x + ((size_t)k * 15 + i) * 144;
            ok &= code(x[0]) == cls && code(x[1]) == i && s.y[((size_t)k * 15 + i) * 10 + k] == 1.0f;
            ok &= s.seg[k * 15 + i] == k;
        }
        for (int q = 0; q < 5; q++) {
            const float *x = s.qx + ((size_t)k * 5 + q) * 144;
            ok &= code(x[0]) == cls && code(x[1]) == 15 + q;
        }
        ok &= s.mark[k] == 15 * (k + 1);
    }
    CHECK(ok && distinct);
    /* 13 classes asked of a 12-class evaluation pool: refused with the key */
    const char *big[3] = {"task.size=12", "task.eval_alphabets=2", "task.n_classes=13"};
    t = task_with("omniglot-split", o, big, 3, data);
    CHECK(t->create(o, 1, &err) == NULL && err.code == PLAST_E_CONFIG && !strcmp(err.where, "task.n_classes"));
    t->destroy(st);
    plast_stream_free(&s);
}

static void shared_subsets(const char *dir)
{
    _Alignas(16) unsigned char o[PLAST_OPTS_BYTES];
    const char *sets[2] = {"task.eval_alphabets=3", "task.n_classes=100"};
    const plast_task *t = task_with("omniglot-split", o, sets, 2, dir);
    plast_err err;
    void *st = t->create(o, 1, &err);
    if (!st) fprintf(stderr, "%s: %s\n", err.where, err.msg);
    CHECK(st != NULL); /* 106 evaluation classes: Japanese (katakana), Sanskrit, Tagalog */
    if (st) t->destroy(st);
    const char *too[2] = {"task.eval_alphabets=3", "task.n_classes=107"};
    t = task_with("omniglot-split", o, too, 2, dir);
    void *st2 = t->create(o, 1, &err);
    if (st2 || !strstr(err.msg, "pool has 106")) fprintf(stderr, "got: %s\n", st2 ? "a state" : err.msg);
    CHECK(st2 == NULL && strstr(err.msg, "pool has 106") != NULL);
    /* The Split-Omniglot suite's split: all but Balinese, 218 classes (150 and 200 fit) */
    const char *wide[2] = {"task.eval_alphabets=7", "task.n_classes=218"};
    t = task_with("omniglot-split", o, wide, 2, dir);
    void *st3 = t->create(o, 1, &err);
    CHECK(st3 != NULL);
    if (st3) t->destroy(st3);
    const char *wider[2] = {"task.eval_alphabets=7", "task.n_classes=219"};
    t = task_with("omniglot-split", o, wider, 2, dir);
    void *st4 = t->create(o, 1, &err);
    CHECK(st4 == NULL && strstr(err.msg, "pool has 218") != NULL);
}

static void fashion(void)
{
    const char *p = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    if (access(p, R_OK)) {
        fprintf(stderr, "Fashion-MNIST not installed (%s): the images protocol is not checked\n", p);
        return;
    }
    static plast_config cfg;
    plast_err err;
    REQUIRE(plast_config_parse(&cfg, "{\"rule\": \"sgd\", \"task\": {\"name\": \"images\", \"n_train\": 50, \"n_query\": 20}}",
                               "test", NULL, 0, PLAST_TEST_REG(0), &err) == 0);
    plast_task_shape sh;
    REQUIRE(cfg.task->shape(cfg.task_opts, &sh, &err) == 0);
    void *st = cfg.task->create(cfg.task_opts, 1, &err);
    REQUIRE(st);
    plast_stream s;
    REQUIRE(plast_stream_init(&s, &sh, &err) == 0);
    plast_rng r;
    plast_rng_derive(&r, 6, 0, 0, 0);
    cfg.task->draw(st, &r, &s);
    int ok = s.n_steps == 500, distinct = 1;
    for (int k = 0; k < 10; k++) {
        ok &= s.mark[k] == 50 * (k + 1);
        for (int i = 0; i < 50; i++) ok &= s.y[((size_t)k * 50 + i) * 10 + k] == 1.0f; /* label order */
        for (int i = 0; i < 50; i++)
            for (int j = 0; j < i; j++)
                distinct &= memcmp(s.x + ((size_t)k * 50 + i) * 784, s.x + ((size_t)k * 50 + j) * 784, 784 * 4) != 0;
    }
    CHECK(ok && distinct);
    cfg.task->destroy(st);
    plast_stream_free(&s);
}

/* The bench-omniglot suite's conv rows run end to end (the first variant, 2 runs): on the
 * shared subsets when present, else on the generated tree. */
static void conv_rows(const char *shared_dir, const char *tree)
{
    const char *src = getenv("PLAST_SOURCE");
    char path[1024];
    snprintf(path, sizeof path, "%s/meta/campaigns/bench-omniglot.json", src ? src : ".");
    plast_suite *su = calloc(1, sizeof *su);
    plast_err err;
    REQUIRE(su && plast_suite_load(su, path, &err) == PLAST_OK);
    int found = 0;
    for (int m = 0; m < su->n_methods; m++) {
        if (!strstr(su->method[m].label, "conv")) continue;
        found++;
        const char *sets[2 * PLAST_SUITE_SETS + 8];
        int n = 0;
        char data[1100];
        for (int i = 0; i < su->variant[0].n_sets; i++) sets[n++] = su->variant[0].sets[i];
        for (int i = 0; i < su->method[m].n_sets; i++) sets[n++] = su->method[m].sets[i];
        sets[n++] = "runs=2";
        if (shared_dir) {
            snprintf(data, sizeof data,
                     "task.data=\"%s/images_background_small1.zip,%s/images_background_small2.zip\"",
                     shared_dir, shared_dir);
        } else {
            snprintf(data, sizeof data, "task.data=\"%s\"", tree);
            sets[n++] = "task.eval_alphabets=1";
        }
        sets[n++] = data;
        sets[n++] = "task.cache=\"\"";
        plast_config *cfg = calloc(1, sizeof *cfg);
        REQUIRE(cfg);
        int rc = plast_config_parse(cfg, su->base, "bench-omniglot", sets, n, PLAST_TEST_REG(0), &err);
        plast_eval_setup S;
        plast_eval_result res;
        if (!rc) rc = plast_eval_setup_init(&S, cfg, &err);
        if (!rc) {
            CHECK(S.L.net.layer[0].kind.type == PLAST_LAYER_CONV && S.L.net.layer[1].kind.type == PLAST_LAYER_POOL);
            CHECK(S.L.net.layer[0].plastic == !strstr(su->method[m].label, "frozen"));
            rc = plast_eval_setup_run(&S, 1, NULL, NULL, &res, &err);
            if (!rc) {
                fprintf(stderr, "%s: accuracy %.3f over %d runs\n", su->method[m].label,
                        res.final_sum.mean, res.runs);
                CHECK(res.runs == 2 && res.final_sum.mean >= 0.0 && res.final_sum.mean <= 1.0);
                plast_eval_result_free(&res);
            }
            plast_eval_setup_free(&S);
        }
        if (rc) fprintf(stderr, "%s: %s: %s\n", su->method[m].label, err.where, err.msg);
        CHECK(rc == PLAST_OK);
        free(cfg);
    }
    CHECK(found == 2);
    plast_suite_free(su);
    free(su);
}

int main(void)
{
    char tmp[] = "/tmp/plast-protocols-XXXXXX";
    REQUIRE(mkdtemp(tmp));
    char root[600];
    snprintf(root, sizeof root, "%s/omniglot", tmp);
    make_tree(root);
    episodes(root);
    split(root);

    const char *shared = getenv("PLAST_SHARED");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/omniglot", shared ? shared : "../shared");
    int have_shared = access(dir, R_OK) == 0;
    if (have_shared) shared_subsets(dir);
    else fprintf(stderr, "shared Omniglot data not found at %s: generated tree only\n", dir);
    conv_rows(have_shared ? dir : NULL, root);
    fashion();

    char rm[700];
    snprintf(rm, sizeof rm, "rm -rf %s", tmp);
    CHECK(system(rm) == 0);
    CHECK_DONE();
}
