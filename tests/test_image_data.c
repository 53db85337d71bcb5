/* test_image_data.c — image data of any shape (issue 10), on files written here:
 * - IDX of 8 x 8 and 14 x 56 read with their true shapes, the header probe agreeing, the
 *   images task reporting 1 x 14 x 56 and presenting the pixels as stored; each side checked.
 * - CIFAR-10 and STL-10 binary files read back pixel for pixel (STL-10 stores each channel
 *   column-major), through the readers and through the images task (shapes 3 x 32 x 32 and
 *   3 x 96 x 96); truncated files, wrong record sizes and labels out of range are bad data
 *   naming the file, and exit 65 through the program with the file in the message.
 * - Omniglot rotations: the quarter turns on a hand-made matrix; on a generated tree, every
 *   class of a rotated pool is the exact turn of one character, the pools have 4x the classes
 *   and every (character, turn) appears; off is unchanged: the same episodes as without the
 *   option, and on the shared subsets (when present) the episode hashes recorded before the
 *   option existed.
 * - Omniglot translations (train_shift): plast_translate in place against its definition; in
 *   the meta-training pool every image is a drawing of its class's character moved by at most
 *   the shift, some moved; the evaluation pool is never moved; a shift as large as the image
 *   is a config error naming task.train_shift. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "png_write.h"
#include "plast/config.h"
#include "plast/dataset.h"
#include "plast/registry.h"
#include "plast/run.h"
#include "plast/task.h"

static char tmp[256];

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st)) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        char sub[1024];
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static const char *tpath(const char *name)
{
    return path_in(tmp, name);
}

/* A new directory in the temporary one, its path in out (not in path_in's rotating buffers,
 * which later calls overwrite). */
static void mkdir_t(const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s", tpath(name));
    REQUIRE(mkdir(out, 0777) == 0);
}

/* A task from a JSON task object; the options are copied out (the config is reused). */
static const plast_task *task_from(const char *task_json, void *opts, plast_err *err)
{
    static plast_config cfg;
    char json[4096];
    snprintf(json, sizeof json, "{\"rule\": \"sgd\", \"task\": %s}", task_json);
    if (plast_config_parse(&cfg, json, "test", NULL, 0, PLAST_TEST_REG(0), err)) {
        fprintf(stderr, "  config %s: %s: %s\n", task_json, err->where, err->msg);
        return NULL;
    }
    memcpy(opts, cfg.task_opts, PLAST_OPTS_BYTES);
    return cfg.task;
}

/* Every training and query input of one episode is an image of the class its one-hot target
 * names, found in d (train) or q (test) by exact comparison. */
static int episode_from(const plast_task *t, const void *o, const plast_dataset *d,
                        const plast_dataset *q)
{
    plast_task_shape sh;
    plast_err err;
    REQUIRE(t->shape(o, &sh, &err) == PLAST_OK);
    void *st = t->create(o, 7, &err);
    if (!st) fprintf(stderr, "  create: %s: %s\n", err.where, err.msg);
    REQUIRE(st);
    plast_stream s;
    REQUIRE(plast_stream_init(&s, &sh, &err) == PLAST_OK);
    plast_rng r;
    plast_rng_seed(&r, 3, 4);
    t->draw(st, &r, &s);
    int ok = s.n_steps > 0;
    for (int pass = 0; pass < 2; pass++) {
        const plast_dataset *src = pass ? q : d;
        int rows = pass ? sh.n_seg * sh.n_query : s.n_steps * sh.batch;
        for (int i = 0; i < rows; i++) {
            const float *x = (pass ? s.qx : s.x) + (size_t)i * sh.n_in;
            const float *y = (pass ? s.qy : s.y) + (size_t)i * sh.n_out;
            int label = -1, found = 0;
            for (int k = 0; k < sh.n_out; k++)
                if (y[k] == 1.0f) label = k;
            for (int j = 0; j < src->n && !found; j++)
                found = src->label[j] == label &&
                        !memcmp(x, src->x + (size_t)j * sh.n_in, sizeof(float) * (size_t)sh.n_in);
            ok &= found;
        }
    }
    plast_stream_free(&s);
    t->destroy(st);
    return ok;
}

/* Runs plast with a config holding this task and wants exit 65, the file in the message and
 * no output directory. Skipped when run by hand (no PLAST_BIN). */
static void program_bad_data(const char *task_json, const char *file)
{
    const char *bin = getenv("PLAST_BIN");
    if (!bin) {
        fprintf(stderr, "PLAST_BIN not set: the program's exit code for %s is not checked\n", file);
        return;
    }
    char cfg[2048], cmd[4096];
    snprintf(cfg, sizeof cfg,
             "{\"runs\": 1, \"bootstrap\": 10, \"net\": {\"hidden\": []}, \"rule\": \"ncm\", "
             "\"task\": %s}",
             task_json);
    const char *cpath = tpath("bad.json"), *out = tpath("out-bad"), *log = tpath("bad.log");
    file_put(cpath, cfg, strlen(cfg));
    snprintf(cmd, sizeof cmd, "'%s' eval '%s' --out '%s' >/dev/null 2>'%s'", bin, cpath, out, log);
    int st = system(cmd);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    size_t n;
    char *msg = (char *)file_get(log, &n);
    struct stat sb;
    CHECK(code == 65);
    CHECK(strstr(msg, file) != NULL);
    CHECK(stat(out, &sb) != 0);
    if (code != 65 || !strstr(msg, file)) fprintf(stderr, "  exit %d for %s: %s\n", code, file, msg);
    free(msg);
}

/* ---- IDX ---- */

static void write_idx_pair(const char *im, const char *lb, uint32_t n, uint32_t h, uint32_t w,
                           unsigned char *pix)
{
    size_t np = (size_t)n * h * w;
    unsigned char *f = malloc(16 + np), l[8 + 256];
    REQUIRE(f && n <= 256);
    be32(f, 0x803), be32(f + 4, n), be32(f + 8, h), be32(f + 12, w);
    for (size_t i = 0; i < np; i++) pix[i] = f[16 + i] = (unsigned char)((i * 29 + i / 7) % 256);
    be32(l, 0x801), be32(l + 4, n);
    for (uint32_t i = 0; i < n; i++) l[8 + i] = (unsigned char)(i % 2);
    file_put(im, f, 16 + np);
    file_put(lb, l, 8 + n);
    free(f);
}

static void test_idx_shapes(void)
{
    const uint32_t shapes[2][2] = {{8, 8}, {14, 56}};
    plast_err err;
    for (int s = 0; s < 2; s++) {
        uint32_t h = shapes[s][0], w = shapes[s][1], n = 6;
        unsigned char pix[6 * 14 * 56];
        const char *im = tpath("i.idx"), *lb = tpath("l.idx");
        write_idx_pair(im, lb, n, h, w, pix);
        int pn = 0, ph = 0, pw = 0;
        REQUIRE(plast_idx_shape(im, &pn, &ph, &pw, &err) == PLAST_OK);
        CHECK(pn == (int)n && ph == (int)h && pw == (int)w);
        plast_dataset d;
        REQUIRE(plast_idx_load(&d, im, lb, &err) == PLAST_OK);
        CHECK(d.n == (int)n && d.c == 1 && d.h == (int)h && d.w == (int)w);
        int same = 1;
        for (size_t i = 0; i < (size_t)n * h * w; i++) same &= d.x[i] == (float)pix[i] / 255.0f;
        CHECK(same);
        /* The task: shape from the header, and its episodes carry these very pixels. */
        char json[2048];
        snprintf(json, sizeof json,
                 "{\"name\": \"images\", \"train_images\": \"%s\", \"train_labels\": \"%s\", "
                 "\"test_images\": \"%s\", \"test_labels\": \"%s\", \"n_classes\": 2, "
                 "\"n_train\": 2, \"n_query\": 3}",
                 im, lb, im, lb);
        _Alignas(16) unsigned char o[PLAST_OPTS_BYTES];
        const plast_task *t = task_from(json, o, &err);
        REQUIRE(t);
        plast_task_shape sh;
        REQUIRE(t->shape(o, &sh, &err) == PLAST_OK);
        CHECK(sh.in_c == 1 && sh.in_h == (int)h && sh.in_w == (int)w && sh.n_in == (int)(h * w));
        CHECK(episode_from(t, o, &d, &d));
        plast_dataset_free(&d);
    }
    /* Each side on its own: a zero side, a side above 65535 (whose product with a small side
     * would pass a pixel-count check), from the probe and the loader alike. */
    const uint32_t bad[3][3] = {{2, 0, 8}, {2, 8, 65536}, {0, 8, 8}};
    for (int b = 0; b < 3; b++) {
        unsigned char f[16 + 128] = {0}, l[10] = {0};
        be32(f, 0x803), be32(f + 4, bad[b][0]), be32(f + 8, bad[b][1]), be32(f + 12, bad[b][2]);
        be32(l, 0x801), be32(l + 4, bad[b][0]);
        const char *im = tpath("bad.idx"), *lb = tpath("badl.idx");
        file_put(im, f, sizeof f);
        file_put(lb, l, 8 + bad[b][0]);
        int pn, ph, pw;
        plast_dataset d;
        plast_err_clear(&err);
        CHECK(plast_idx_shape(im, &pn, &ph, &pw, &err) == PLAST_E_DATA && !strcmp(err.where, im));
        plast_err_clear(&err);
        CHECK(plast_idx_load(&d, im, lb, &err) == PLAST_E_DATA && !strcmp(err.where, im));
        CHECK(d.buf == NULL);
    }
}

/* ---- CIFAR-10 and STL-10 ---- */

/* The byte a generated file stores for image `img`, channel c, row y, column x: different in
 * each coordinate, so a transposed or channel-swapped read shows. */
static unsigned char px_byte(int img, int c, int y, int x)
{
    return (unsigned char)((img * 41 + c * 97 + y * 7 + x * 3 + (x * y) % 5) % 256);
}

enum { CIFAR_REC = 3073, STL_PX = 3 * 96 * 96 };

/* n CIFAR-10 records of images first .. first+n-1 with labels (first + i) % 10. */
static void write_cifar(const char *path, int first, int n)
{
    unsigned char *b = malloc((size_t)n * CIFAR_REC);
    REQUIRE(b);
    for (int i = 0; i < n; i++) {
        unsigned char *r = b + (size_t)i * CIFAR_REC;
        r[0] = (unsigned char)((first + i) % 10);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) r[1 + c * 1024 + y * 32 + x] = px_byte(first + i, c, y, x);
    }
    file_put(path, b, (size_t)n * CIFAR_REC);
    free(b);
}

/* n STL-10 images, each channel column-major, labels 1 + (first + i) % 10. */
static void write_stl(const char *xpath, const char *ypath, int first, int n)
{
    unsigned char *b = malloc((size_t)n * STL_PX), *l = malloc((size_t)n);
    REQUIRE(b && l);
    for (int i = 0; i < n; i++) {
        unsigned char *r = b + (size_t)i * STL_PX;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 96; y++)
                for (int x = 0; x < 96; x++) r[c * 9216 + x * 96 + y] = px_byte(first + i, c, y, x);
        l[i] = (unsigned char)(1 + (first + i) % 10);
    }
    file_put(xpath, b, (size_t)n * STL_PX);
    file_put(ypath, l, (size_t)n);
    free(b);
    free(l);
}

/* d holds images first .. first+n-1 as written, pixel for pixel, at side x side. */
static int holds(const plast_dataset *d, int first, int n, int side)
{
    int ok = d->n == n && d->c == 3 && d->h == side && d->w == side && d->n_classes == 10;
    for (int i = 0; ok && i < n; i++) {
        ok &= d->label[i] == (first + i) % 10;
        const float *p = d->x + (size_t)i * 3 * side * side;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                    ok &= p[(c * side + y) * side + x] == (float)px_byte(first + i, c, y, x) / 255.0f;
    }
    return ok;
}

static void copy_file(const char *from, const char *to, size_t cut)
{
    size_t n;
    unsigned char *b = file_get(from, &n);
    file_put(to, b, n - cut);
    free(b);
}

static void test_cifar(void)
{
    char dir[400];
    mkdir_t("cifar", dir, sizeof dir);
    char batch[5][512], test[512];
    for (int k = 0; k < 5; k++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", k + 1);
        snprintf(batch[k], sizeof batch[k], "%s", path_in(dir, name));
        write_cifar(batch[k], 4 * k, 4); /* 20 training images, 2 per class */
    }
    snprintf(test, sizeof test, "%s", path_in(dir, "test_batch.bin"));
    write_cifar(test, 100, 10);
    plast_err err;
    plast_dataset d, q;
    const char *files[5] = {batch[0], batch[1], batch[2], batch[3], batch[4]};
    REQUIRE(plast_cifar10_load(&d, files, 5, &err) == PLAST_OK);
    CHECK(holds(&d, 0, 20, 32));
    CHECK(!strcmp(d.class_name[0], "airplane") && !strcmp(d.class_name[9], "truck"));
    CHECK(d.item[0] == 0 && d.item[10] == 1 && d.item[19] == 1);
    const char *tf[1] = {test};
    REQUIRE(plast_cifar10_load(&q, tf, 1, &err) == PLAST_OK);
    CHECK(holds(&q, 100, 10, 32));

    /* The task: 3 x 32 x 32 without reading a file, and episodes of these pixels. */
    char json[1024];
    snprintf(json, sizeof json,
             "{\"name\": \"images\", \"format\": \"cifar10\", \"dir\": \"%s\", \"n_train\": 2, "
             "\"n_query\": 1}",
             dir);
    _Alignas(16) unsigned char o[PLAST_OPTS_BYTES];
    const plast_task *t = task_from(json, o, &err);
    REQUIRE(t);
    plast_task_shape sh;
    REQUIRE(t->shape(o, &sh, &err) == PLAST_OK);
    CHECK(sh.in_c == 3 && sh.in_h == 32 && sh.in_w == 32 && sh.n_in == 3072 && sh.n_out == 10);
    CHECK(episode_from(t, o, &d, &q));
    plast_dataset_free(&d);
    plast_dataset_free(&q);
    /* IDX paths do not apply to CIFAR-10: a config error naming the key. */
    snprintf(json, sizeof json,
             "{\"name\": \"images\", \"format\": \"cifar10\", \"dir\": \"%s\", "
             "\"train_images\": \"x.idx\"}",
             dir);
    REQUIRE((t = task_from(json, o, &err)) != NULL);
    CHECK(t->shape(o, &sh, &err) == PLAST_E_CONFIG && !strcmp(err.where, "task.train_images"));

    /* Bad files, each naming itself. */
    const char *bad = tpath("bad.bin");
    struct {
        const char *what;
        size_t cut;
    } cuts[2] = {{"truncated by one byte", 1}, {"cut after a label byte", CIFAR_REC * 3 + CIFAR_REC - 1}};
    for (int k = 0; k < 2; k++) {
        copy_file(batch[0], bad, cuts[k].cut);
        const char *bf[2] = {batch[1], bad};
        plast_err_clear(&err);
        int rc = plast_cifar10_load(&d, bf, 2, &err);
        CHECK(rc == PLAST_E_DATA && !strcmp(err.where, bad) && d.buf == NULL);
        if (rc != PLAST_E_DATA) fprintf(stderr, "  %s: %d %s\n", cuts[k].what, rc, err.msg);
    }
    /* CIFAR-100's 3074-byte records (two label bytes): 3 of them are not 3073-byte records */
    unsigned char *b100 = calloc(3, 3074);
    REQUIRE(b100);
    file_put(bad, b100, 3 * 3074);
    free(b100);
    const char *one[1] = {bad};
    plast_err_clear(&err);
    CHECK(plast_cifar10_load(&d, one, 1, &err) == PLAST_E_DATA && !strcmp(err.where, bad));
    file_put(bad, "", 0);
    plast_err_clear(&err);
    CHECK(plast_cifar10_load(&d, one, 1, &err) == PLAST_E_DATA && !strcmp(err.where, bad));
    /* a label of 10 in record 2 */
    size_t n;
    unsigned char *b = file_get(batch[2], &n);
    b[2 * CIFAR_REC] = 10;
    file_put(bad, b, n);
    free(b);
    plast_err_clear(&err);
    CHECK(plast_cifar10_load(&d, one, 1, &err) == PLAST_E_DATA && !strcmp(err.where, bad) &&
          strstr(err.msg, "record 2") != NULL);
    const char *missing[1] = {tpath("no-such.bin")};
    CHECK(plast_cifar10_load(&d, missing, 1, &err) == PLAST_E_NOINPUT &&
          !strcmp(err.where, missing[0]));

    /* Through the program: exit 65 naming the file. A copy of the directory with one bad
     * batch each time. */
    char bdir[400];
    mkdir_t("cifar-bad", bdir, sizeof bdir);
    for (int k = 0; k < 5; k++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", k + 1);
        copy_file(batch[k], path_in(bdir, name), 0);
    }
    copy_file(test, path_in(bdir, "test_batch.bin"), 0);
    snprintf(json, sizeof json,
             "{\"name\": \"images\", \"format\": \"cifar10\", \"dir\": \"%s\", \"n_train\": 1, "
             "\"n_query\": 1}",
             bdir);
    char victim[512];
    snprintf(victim, sizeof victim, "%s", path_in(bdir, "data_batch_3.bin"));
    copy_file(batch[2], victim, 100); /* truncated */
    program_bad_data(json, victim);
    b = file_get(batch[2], &n);
    b[CIFAR_REC] = 200; /* label out of range in record 1 */
    file_put(victim, b, n);
    free(b);
    program_bad_data(json, victim);
    copy_file(batch[2], victim, 0);
    snprintf(victim, sizeof victim, "%s", path_in(bdir, "test_batch.bin"));
    b = calloc(4, 3074); /* wrong record size */
    REQUIRE(b);
    file_put(victim, b, 4 * 3074);
    free(b);
    program_bad_data(json, victim);
}

static void test_stl(void)
{
    char dir[400];
    mkdir_t("stl", dir, sizeof dir);
    char tx[512], ty[512], vx[512], vy[512];
    snprintf(tx, sizeof tx, "%s", path_in(dir, "train_X.bin"));
    snprintf(ty, sizeof ty, "%s", path_in(dir, "train_y.bin"));
    snprintf(vx, sizeof vx, "%s", path_in(dir, "test_X.bin"));
    snprintf(vy, sizeof vy, "%s", path_in(dir, "test_y.bin"));
    write_stl(tx, ty, 0, 10);
    write_stl(vx, vy, 30, 10);
    plast_err err;
    plast_dataset d, q;
    REQUIRE(plast_stl10_load(&d, tx, ty, &err) == PLAST_OK);
    CHECK(holds(&d, 0, 10, 96)); /* labels 1..10 became 0..9, columns became rows */
    CHECK(!strcmp(d.class_name[2], "car") && !strcmp(d.class_name[7], "monkey"));
    REQUIRE(plast_stl10_load(&q, vx, vy, &err) == PLAST_OK);
    CHECK(holds(&q, 30, 10, 96));
    char json[1024];
    snprintf(json, sizeof json,
             "{\"name\": \"images\", \"format\": \"stl10\", \"dir\": \"%s\", \"n_train\": 1, "
             "\"n_query\": 1, \"order\": \"iid\"}",
             dir);
    _Alignas(16) unsigned char o[PLAST_OPTS_BYTES];
    const plast_task *t = task_from(json, o, &err);
    REQUIRE(t);
    plast_task_shape sh;
    REQUIRE(t->shape(o, &sh, &err) == PLAST_OK);
    CHECK(sh.in_c == 3 && sh.in_h == 96 && sh.in_w == 96 && sh.n_in == STL_PX);
    CHECK(episode_from(t, o, &d, &q));
    plast_dataset_free(&d);
    plast_dataset_free(&q);

    /* Bad files: the one that is wrong is named. */
    const char *bx = tpath("bad_X.bin"), *by = tpath("bad_y.bin");
    copy_file(tx, bx, 1); /* truncated images: not a whole number */
    copy_file(ty, by, 0);
    plast_err_clear(&err);
    CHECK(plast_stl10_load(&d, bx, by, &err) == PLAST_E_DATA && !strcmp(err.where, bx));
    copy_file(tx, bx, STL_PX); /* 9 images, 10 labels */
    plast_err_clear(&err);
    CHECK(plast_stl10_load(&d, bx, by, &err) == PLAST_E_DATA && !strcmp(err.where, by));
    copy_file(tx, bx, 0);
    copy_file(ty, by, 1); /* labels truncated */
    plast_err_clear(&err);
    CHECK(plast_stl10_load(&d, bx, by, &err) == PLAST_E_DATA && !strcmp(err.where, by));
    const unsigned char bad_labels[2] = {0, 11};
    for (int k = 0; k < 2; k++) {
        size_t n;
        unsigned char *l = file_get(ty, &n);
        l[6] = bad_labels[k];
        file_put(by, l, n);
        free(l);
        plast_err_clear(&err);
        CHECK(plast_stl10_load(&d, bx, by, &err) == PLAST_E_DATA && !strcmp(err.where, by) &&
              strstr(err.msg, "byte 6") != NULL);
        CHECK(d.buf == NULL);
    }
    file_put(bx, "", 0);
    file_put(by, "", 0);
    plast_err_clear(&err);
    CHECK(plast_stl10_load(&d, bx, by, &err) == PLAST_E_DATA && !strcmp(err.where, bx));

    /* Through the program. */
    char bdir[400];
    mkdir_t("stl-bad", bdir, sizeof bdir);
    const char *names[4] = {"train_X.bin", "train_y.bin", "test_X.bin", "test_y.bin"};
    const char *src[4] = {tx, ty, vx, vy};
    for (int k = 0; k < 4; k++) copy_file(src[k], path_in(bdir, names[k]), 0);
    snprintf(json, sizeof json,
             "{\"name\": \"images\", \"format\": \"stl10\", \"dir\": \"%s\", \"n_train\": 1, "
             "\"n_query\": 1}",
             bdir);
    char victim[512];
    snprintf(victim, sizeof victim, "%s", path_in(bdir, "test_y.bin"));
    size_t n;
    unsigned char *l = file_get(vy, &n);
    l[3] = 0;
    file_put(victim, l, n);
    free(l);
    program_bad_data(json, victim);
    copy_file(vy, victim, 0);
    snprintf(victim, sizeof victim, "%s", path_in(bdir, "train_X.bin"));
    copy_file(tx, victim, 5000);
    program_bad_data(json, victim);
}

/* Default paths: $PLAST_DATA/<usual directory>, a hint when it is missing, and a config error
 * naming task.dir when CIFAR-10 or STL-10 has nowhere to come from. */
static void test_defaults(void)
{
    char *saved = getenv("PLAST_DATA") ? strdup(getenv("PLAST_DATA")) : NULL;
    char empty[400], want[600];
    mkdir_t("empty-data", empty, sizeof empty);
    REQUIRE(setenv("PLAST_DATA", empty, 1) == 0);
    _Alignas(16) unsigned char o[PLAST_OPTS_BYTES];
    plast_err err;
    plast_task_shape sh;
    const plast_task *t = task_from("{\"name\": \"images\"}", o, &err);
    REQUIRE(t);
    plast_err_clear(&err);
    CHECK(t->shape(o, &sh, &err) == PLAST_E_NOINPUT && strstr(err.msg, "Fashion-MNIST") != NULL);
    snprintf(want, sizeof want, "%s/fashion-mnist/train-images-idx3-ubyte", empty);
    CHECK(!strcmp(err.where, want));
    REQUIRE((t = task_from("{\"name\": \"images\", \"format\": \"cifar10\"}", o, &err)) != NULL);
    REQUIRE(t->shape(o, &sh, &err) == PLAST_OK); /* fixed shape: no file read */
    plast_err_clear(&err);
    CHECK(t->create(o, 1, &err) == NULL && err.code == PLAST_E_NOINPUT);
    snprintf(want, sizeof want, "%s/cifar-10-batches-bin/data_batch_1.bin", empty);
    CHECK(!strcmp(err.where, want));
    REQUIRE(unsetenv("PLAST_DATA") == 0);
    REQUIRE((t = task_from("{\"name\": \"images\", \"format\": \"stl10\"}", o, &err)) != NULL);
    plast_err_clear(&err);
    CHECK(t->shape(o, &sh, &err) == PLAST_E_CONFIG && !strcmp(err.where, "task.dir"));
    if (saved) {
        REQUIRE(setenv("PLAST_DATA", saved, 1) == 0);
        free(saved);
    }
}

/* ---- Omniglot rotations ---- */

static void test_rotate(void)
{
    /* 2 x 3, by hand: 90 degrees counter-clockwise gives 3 x 2. */
    const float a[6] = {1, 2, 3, 4, 5, 6};
    const float r1[6] = {3, 6, 2, 5, 1, 4}, r2[6] = {6, 5, 4, 3, 2, 1}, r3[6] = {4, 1, 5, 2, 6, 3};
    float b[6];
    plast_rotate90(a, 2, 3, 1, b);
    CHECK(!memcmp(b, r1, sizeof b));
    plast_rotate90(a, 2, 3, 2, b);
    CHECK(!memcmp(b, r2, sizeof b));
    plast_rotate90(a, 2, 3, 3, b);
    CHECK(!memcmp(b, r3, sizeof b));
    plast_rotate90(a, 2, 3, 4, b);
    CHECK(!memcmp(b, a, sizeof b));
    /* Turns compose: on 5 x 7, one turn of (q turns) is q + 1 turns. */
    float x[35], y[35], z[35], w[35];
    for (int i = 0; i < 35; i++) x[i] = (float)(i * 13 % 35);
    for (int q = 0; q < 4; q++) {
        plast_rotate90(x, 5, 7, q, y);
        int h = q % 2 ? 7 : 5, wd = q % 2 ? 5 : 7;
        plast_rotate90(y, h, wd, 1, z);
        plast_rotate90(x, 5, 7, q + 1, w);
        CHECK(!memcmp(z, w, sizeof z));
    }
}

enum { OA = 3, OC = 3, OD = 20, OSIDE = 10, OSIZE = 8 };

/* 3 alphabets x 3 characters x 20 drawings of 10 x 10 grey noise: no drawing equals a turn of
 * another (or of itself), so a turned image tells where it came from. */
static void make_omniglot(const char *root)
{
    char p[1200];
    REQUIRE(mkdir(root, 0777) == 0);
    unsigned char grey[OSIDE * OSIDE];
    uint32_t s = 12345;
    for (int a = 0; a < OA; a++) {
        snprintf(p, sizeof p, "%s/Alpha%d", root, a);
        REQUIRE(mkdir(p, 0777) == 0);
        for (int c = 0; c < OC; c++) {
            snprintf(p, sizeof p, "%s/Alpha%d/character%02d", root, a, c + 1);
            REQUIRE(mkdir(p, 0777) == 0);
            for (int d = 0; d < OD; d++) {
                for (int i = 0; i < OSIDE * OSIDE; i++) {
                    s = s * 1664525u + 1013904223u;
                    grey[i] = (unsigned char)(s >> 24);
                }
                snprintf(p, sizeof p, "%s/Alpha%d/character%02d/%02d.png", root, a, c + 1, d);
                write_png(p, OSIDE, OSIDE, 8, grey);
            }
        }
    }
}

/* The (class, turns) whose drawing `drawing` turned equals x, as class * 4 + turns; -1 when
 * none, -2 when several. */
static int which_turn(const plast_dataset *d, const float *x, int drawing)
{
    int found = -1;
    float t[OSIZE * OSIZE];
    for (int c = 0; c < d->n_classes; c++)
        for (int q = 0; q < 4; q++) {
            plast_rotate90(d->x + ((size_t)c * OD + (size_t)drawing) * OSIZE * OSIZE, OSIZE, OSIZE, q, t);
            if (!memcmp(t, x, sizeof t)) found = found == -1 ? c * 4 + q : -2;
        }
    return found;
}

/* One episode of a task into s (allocated here), seed (seed, stream). */
static void *draw_one(const plast_task *t, const void *o, plast_stream *s, uint64_t stream,
                      plast_err *err)
{
    plast_task_shape sh;
    if (t->shape(o, &sh, err)) return NULL;
    void *st = t->create(o, 1, err);
    if (!st) return NULL;
    REQUIRE(plast_stream_init(s, &sh, err) == PLAST_OK);
    plast_rng r;
    plast_rng_seed(&r, 99, stream);
    t->draw(st, &r, s);
    return st;
}

/* A generated Omniglot tree under tpath(name) (its path into root[400]), loaded into d (no
 * cache). */
static void load_made_omniglot(const char *name, char *root, plast_dataset *d)
{
    snprintf(root, 400, "%s", tpath(name));
    make_omniglot(root);
    plast_err err;
    const char *src[1] = {root};
    REQUIRE(plast_omniglot_load(d, src, 1, OSIZE, NULL, NULL, &err) == PLAST_OK);
}

static void test_rotations(void)
{
    char root[400];
    plast_err err;
    plast_dataset d;
    load_made_omniglot("omni", root, &d);
    REQUIRE(d.n_classes == OA * OC && d.n == OA * OC * OD);
    _Alignas(16) unsigned char o[PLAST_OPTS_BYTES];
    char json[1024];
    const plast_task *t;
    /* Class counts: the meta-training pool (2 alphabets) has 6 characters, 24 with turns. */
    const int counts[4][2] = {{0, 6}, {0, 7}, {1, 24}, {1, 25}};
    for (int k = 0; k < 4; k++) {
        snprintf(json, sizeof json,
                 "{\"name\": \"omniglot-split\", \"data\": \"%s\", \"cache\": \"\", \"size\": %d, "
                 "\"eval_alphabets\": 1, \"pool\": \"train\", \"rotations\": %s, \"n_classes\": %d}",
                 root, OSIZE, counts[k][0] ? "true" : "false", counts[k][1]);
        REQUIRE((t = task_from(json, o, &err)) != NULL);
        plast_err_clear(&err);
        void *st = t->create(o, 1, &err);
        if (k % 2 == 0) CHECK(st != NULL);
        else CHECK(!st && err.code == PLAST_E_CONFIG && !strcmp(err.where, "task.n_classes"));
        if (st) t->destroy(st);
    }
    /* All 24 classes of the rotated pool in one Split-Omniglot run: each class's 15 training
     * and 5 test drawings are drawings 0..19 of one character turned one way, and every
     * (character of the pool, turn) is there once. */
    snprintf(json, sizeof json,
             "{\"name\": \"omniglot-split\", \"data\": \"%s\", \"cache\": \"\", \"size\": %d, "
             "\"eval_alphabets\": 1, \"pool\": \"train\", \"rotations\": true, \"n_classes\": 24}",
             root, OSIZE);
    REQUIRE((t = task_from(json, o, &err)) != NULL);
    plast_stream s;
    void *st = draw_one(t, o, &s, 1, &err);
    REQUIRE(st);
    int seen[OA * OC * 4] = {0}, exact = 1, turned = 0;
    size_t n_in = OSIZE * OSIZE;
    for (int k = 0; k < 24; k++) {
        int id = which_turn(&d, s.x + (size_t)k * 15 * n_in, 0);
        exact &= id >= 0;
        if (id < 0) continue;
        seen[id]++;
        turned += id % 4 != 0;
        for (int i = 0; i < 15; i++) exact &= which_turn(&d, s.x + ((size_t)k * 15 + i) * n_in, i) == id;
        for (int j = 0; j < 5; j++) exact &= which_turn(&d, s.qx + ((size_t)k * 5 + j) * n_in, 15 + j) == id;
    }
    CHECK(exact);
    CHECK(turned == 18);
    int cover = 1;
    for (int c = 0; c < OA * OC; c++)
        for (int q = 0; q < 4; q++)
            cover &= seen[c * 4 + q] == (d.group[c * OD] < OA - 1 ? 1 : 0);
    CHECK(cover);
    plast_stream_free(&s);
    t->destroy(st);

    /* FLP episodes with turns: every image of a class is a drawing of one (character, turn). */
    snprintf(json, sizeof json,
             "{\"name\": \"omniglot\", \"data\": \"%s\", \"cache\": \"\", \"size\": %d, "
             "\"eval_alphabets\": 1, \"pool\": \"eval\", \"rotations\": true, \"n_way\": 5, "
             "\"k_shot\": 3, \"n_query\": 4, \"order\": \"continual\"}",
             root, OSIZE);
    REQUIRE((t = task_from(json, o, &err)) != NULL);
    int consistent = 1, classes_turned = 0;
    for (uint64_t e = 0; e < 4; e++) {
        REQUIRE((st = draw_one(t, o, &s, e, &err)) != NULL);
        for (int k = 0; k < 5; k++) {
            int id = -1;
            for (int i = 0; i < 3 + 4; i++) {
                const float *x = i < 3 ? s.x + ((size_t)k * 3 + i) * n_in : s.qx + ((size_t)k * 4 + i - 3) * n_in;
                int got = -1;
                for (int dr = 0; dr < OD && got < 0; dr++) got = which_turn(&d, x, dr);
                if (id == -1) id = got;
                consistent &= got >= 0 && got == id && d.group[(got / 4) * OD] == OA - 1;
            }
            classes_turned += id % 4 != 0;
        }
        plast_stream_free(&s);
        t->destroy(st);
    }
    CHECK(consistent);
    CHECK(classes_turned > 0);

    /* Off: "rotations": false is the task without the option, episode for episode. */
    for (int split = 0; split < 2; split++) {
        unsigned char *bytes[2] = {NULL, NULL};
        size_t nb = 0;
        for (int k = 0; k < 2; k++) {
            snprintf(json, sizeof json,
                     "{\"name\": \"%s\", \"data\": \"%s\", \"cache\": \"\", \"size\": %d, "
                     "\"eval_alphabets\": 1, %s%s}",
                     split ? "omniglot-split" : "omniglot", root, OSIZE,
                     split ? "\"n_classes\": 3" : "\"n_way\": 3",
                     k ? ", \"rotations\": false" : "");
            REQUIRE((t = task_from(json, o, &err)) != NULL);
            REQUIRE((st = draw_one(t, o, &s, 5, &err)) != NULL);
            nb = (size_t)s.n_steps * s.shape.batch * s.shape.n_in * sizeof(float);
            bytes[k] = malloc(nb);
            REQUIRE(bytes[k]);
            memcpy(bytes[k], s.x, nb);
            plast_stream_free(&s);
            t->destroy(st);
        }
        CHECK(!memcmp(bytes[0], bytes[1], nb));
        free(bytes[0]);
        free(bytes[1]);
    }
    plast_dataset_free(&d);
}

/* ---- Omniglot translations (train_shift) ---- */

static void test_translate(void)
{
    /* 2 x 3 by hand: one row down, one column left */
    float a[6] = {1, 2, 3, 4, 5, 6};
    const float want[6] = {0, 0, 0, 2, 3, 0};
    plast_translate(a, 2, 3, 1, -1);
    CHECK(!memcmp(a, want, sizeof a));
    /* in place against the definition, every move of up to 3 each way on 5 x 7 */
    int same = 1;
    for (int dy = -3; dy <= 3; dy++)
        for (int dx = -3; dx <= 3; dx++) {
            float x[35], y[35];
            for (int i = 0; i < 35; i++) x[i] = y[i] = (float)(i + 1);
            plast_translate(x, 5, 7, dy, dx);
            for (int r = 0; r < 5; r++)
                for (int c = 0; c < 7; c++) {
                    int sr = r - dy, sc = c - dx;
                    float v = sr >= 0 && sr < 5 && sc >= 0 && sc < 7 ? y[sr * 7 + sc] : 0.0f;
                    same &= x[r * 7 + c] == v;
                }
        }
    CHECK(same);
}

/* The (class, drawing) of d whose image translated by some -s..s equals x, as
 * (class * OD + drawing) * 64 + (dy + s) * 8 + (dx + s) (s <= 3); -1 when none. */
static int which_shift(const plast_dataset *d, const float *x, int s)
{
    float t[OSIZE * OSIZE];
    for (int i = 0; i < d->n; i++)
        for (int dy = -s; dy <= s; dy++)
            for (int dx = -s; dx <= s; dx++) {
                memcpy(t, d->x + (size_t)i * OSIZE * OSIZE, sizeof t);
                plast_translate(t, OSIZE, OSIZE, dy, dx);
                if (!memcmp(t, x, sizeof t)) return i * 64 + (dy + s) * 8 + (dx + s);
            }
    return -1;
}

static void test_train_shift(void)
{
    char root[400];
    plast_err err;
    plast_dataset d;
    load_made_omniglot("omni-shift", root, &d);
    _Alignas(16) unsigned char o[PLAST_OPTS_BYTES];
    char json[1024];
    const plast_task *t;
    plast_stream s;
    void *st;
    size_t n_in = OSIZE * OSIZE;
    /* meta-training pool, shifts up to 2: every image is a drawing of the class's character
     * translated by at most 2 each way, and some are translated */
    snprintf(json, sizeof json,
             "{\"name\": \"omniglot\", \"data\": \"%s\", \"cache\": \"\", \"size\": %d, "
             "\"eval_alphabets\": 1, \"pool\": \"train\", \"n_way\": 4, \"k_shot\": 3, \"n_query\": 4, \"order\": \"continual\", "
             "\"train_shift\": 2}", root, OSIZE);
    REQUIRE((t = task_from(json, o, &err)) != NULL);
    REQUIRE((st = draw_one(t, o, &s, 3, &err)) != NULL);
    int found = 1, moved = 0, one_class = 1;
    for (int k = 0; k < 4; k++) {
        int cls = -1;
        for (int i = 0; i < 3 + 4; i++) {
            const float *x = i < 3 ? s.x + ((size_t)k * 3 + i) * n_in : s.qx + ((size_t)k * 4 + i - 3) * n_in;
            int id = which_shift(&d, x, 2);
            found &= id >= 0;
            if (id < 0) continue;
            moved += id % 64 != 2 * 8 + 2;
            int c = d.label[id / 64];
            if (cls < 0) cls = c;
            one_class &= c == cls;
        }
    }
    CHECK(found && one_class);
    CHECK(moved > 0);
    plast_stream_free(&s);
    t->destroy(st);
    /* the evaluation pool is never translated: train_shift 2 there is the episode without it */
    unsigned char *bytes[2] = {NULL, NULL};
    size_t nb = 0;
    for (int k = 0; k < 2; k++) {
        snprintf(json, sizeof json,
                 "{\"name\": \"omniglot\", \"data\": \"%s\", \"cache\": \"\", \"size\": %d, "
                 "\"eval_alphabets\": 1, \"pool\": \"eval\", \"n_way\": 3%s}", root, OSIZE,
                 k ? ", \"train_shift\": 2" : "");
        REQUIRE((t = task_from(json, o, &err)) != NULL);
        REQUIRE((st = draw_one(t, o, &s, 5, &err)) != NULL);
        nb = (size_t)s.n_steps * s.shape.batch * s.shape.n_in * sizeof(float);
        REQUIRE((bytes[k] = malloc(nb)) != NULL);
        memcpy(bytes[k], s.x, nb);
        plast_stream_free(&s);
        t->destroy(st);
    }
    CHECK(!memcmp(bytes[0], bytes[1], nb));
    free(bytes[0]), free(bytes[1]);
    /* a shift as large as the image is a config error naming the key */
    snprintf(json, sizeof json,
             "{\"name\": \"omniglot\", \"data\": \"%s\", \"cache\": \"\", \"size\": %d, \"train_shift\": %d}",
             root, OSIZE, OSIZE);
    REQUIRE((t = task_from(json, o, &err)) != NULL);
    plast_task_shape sh;
    plast_err_clear(&err);
    CHECK(t->shape(o, &sh, &err) == PLAST_E_CONFIG && !strcmp(err.where, "task.train_shift"));
    plast_dataset_free(&d);
}

/* The unit of a one-hot row of width n (-1: not one-hot). */
static int unit_of(const float *y, int n)
{
    int u = -1, ones = 0;
    for (int i = 0; i < n; i++) {
        if (y[i] == 1.0f) u = i, ones++;
        else if (y[i] != 0.0f) return -1;
    }
    return ones == 1 ? u : -1;
}

/* task.outputs: more output units than classes. Each class of a run gets one unit (its
 * training and query rows agree), distinct classes distinct units, and over a few runs the
 * units used go beyond 0..n-1; fewer units than classes is an error naming the key. */
static void test_outputs(void)
{
    const char *root = tpath("omni");
    plast_err err;
    _Alignas(16) unsigned char o[PLAST_OPTS_BYTES];
    char json[1024];
    const plast_task *t;
    plast_stream s;
    void *st;
    int used[12] = {0}, ok = 1;
    for (uint64_t e = 0; e < 6; e++) {
        snprintf(json, sizeof json,
                 "{\"name\": \"omniglot\", \"data\": \"%s\", \"cache\": \"\", \"size\": %d, "
                 "\"eval_alphabets\": 1, \"pool\": \"train\", \"n_way\": 5, \"k_shot\": 2, "
                 "\"n_query\": 3, \"order\": \"continual\", \"outputs\": 12}", root, OSIZE);
        REQUIRE((t = task_from(json, o, &err)) != NULL);
        REQUIRE((st = draw_one(t, o, &s, e, &err)) != NULL);
        REQUIRE(s.shape.n_out == 12);
        int unit[5];
        for (int k = 0; k < 5; k++) {
            unit[k] = unit_of(s.y + (size_t)k * 2 * 12, 12);
            ok &= unit[k] >= 0;
            if (unit[k] < 0) continue;
            used[unit[k]] = 1;
            ok &= unit_of(s.y + ((size_t)k * 2 + 1) * 12, 12) == unit[k];
            for (int q = 0; q < 3; q++) ok &= unit_of(s.qy + ((size_t)k * 3 + q) * 12, 12) == unit[k];
            for (int j = 0; j < k; j++) ok &= unit[j] != unit[k];
        }
        plast_stream_free(&s);
        t->destroy(st);
    }
    CHECK(ok);
    int n_used = 0;
    for (int i = 0; i < 12; i++) n_used += used[i];
    CHECK(n_used > 5);
    /* Split-Omniglot: classes in pool order, each on its own unit of 10. */
    snprintf(json, sizeof json,
             "{\"name\": \"omniglot-split\", \"data\": \"%s\", \"cache\": \"\", \"size\": %d, "
             "\"eval_alphabets\": 1, \"pool\": \"train\", \"n_classes\": 6, \"outputs\": 10}",
             root, OSIZE);
    REQUIRE((t = task_from(json, o, &err)) != NULL);
    REQUIRE((st = draw_one(t, o, &s, 1, &err)) != NULL);
    int seen[10] = {0}, distinct = 1;
    for (int k = 0; k < 6; k++) {
        int u = unit_of(s.y + (size_t)k * 15 * 10, 10);
        distinct &= u >= 0 && !seen[u];
        if (u >= 0) seen[u] = 1;
    }
    CHECK(distinct);
    plast_stream_free(&s);
    t->destroy(st);
    /* Fewer units than classes. */
    plast_task_shape sh;
    snprintf(json, sizeof json,
             "{\"name\": \"omniglot\", \"data\": \"%s\", \"cache\": \"\", \"n_way\": 5, "
             "\"outputs\": 4}", root);
    REQUIRE((t = task_from(json, o, &err)) != NULL);
    plast_err_clear(&err);
    CHECK(t->shape(o, &sh, &err) == PLAST_E_CONFIG && !strcmp(err.where, "task.outputs"));
}

/* A hash of n_ep episodes (seeds (1234, e)) of a task on the shared subsets. */
static uint64_t episode_hash(const char *name, const char *dir, const char *extra, int n_ep)
{
    char json[2048];
    snprintf(json, sizeof json, "{\"name\": \"%s\", \"data\": \"%s\", \"cache\": \"\"%s}", name,
             dir, extra);
    _Alignas(16) unsigned char o[PLAST_OPTS_BYTES];
    plast_err err;
    const plast_task *t = task_from(json, o, &err);
    REQUIRE(t);
    plast_task_shape sh;
    REQUIRE(t->shape(o, &sh, &err) == PLAST_OK);
    void *st = t->create(o, 1, &err);
    if (!st) fprintf(stderr, "  %s: %s\n", err.where, err.msg);
    REQUIRE(st);
    plast_stream s;
    REQUIRE(plast_stream_init(&s, &sh, &err) == PLAST_OK);
    uint64_t h[7] = {0};
    for (int e = 0; e < n_ep; e++) {
        plast_rng r;
        plast_rng_seed(&r, 1234, (uint64_t)e);
        t->draw(st, &r, &s);
        size_t nx = (size_t)s.n_steps * sh.batch;
        h[0] = plast_hash64(h, sizeof h);
        h[1] = plast_hash64(s.x, nx * sh.n_in * sizeof(float));
        h[2] = plast_hash64(s.y, nx * sh.n_out * sizeof(float));
        h[3] = plast_hash64(s.seg, (size_t)s.n_steps * sizeof(int));
        h[4] = plast_hash64(s.mark, (size_t)sh.n_seg * sizeof(int));
        h[5] = plast_hash64(s.qx, (size_t)sh.n_seg * sh.n_query * sh.n_in * sizeof(float));
        h[6] = plast_hash64(s.qy, (size_t)sh.n_seg * sh.n_query * sh.n_out * sizeof(float));
    }
    plast_stream_free(&s);
    t->destroy(st);
    return plast_hash64(h, sizeof h);
}

/* The shared subsets: the episodes recorded with the code before the rotation option (commit
 * a5e0658) are unchanged with the option off; on, the pools have 4x the classes. */
static void test_shared_unchanged(void)
{
    const char *sh = getenv("PLAST_SHARED");
    char dir[400];
    struct stat st;
    snprintf(dir, sizeof dir, "%s/data/omniglot", sh ? sh : "../shared");
    if (stat(path_in(dir, "images_background_small1.zip"), &st) ||
        stat(path_in(dir, "images_background_small2.zip"), &st)) {
        fprintf(stderr, "shared Omniglot data not found at %s: reference episodes not checked\n", dir);
        return;
    }
    const struct {
        const char *name, *extra;
        int n_ep;
        uint64_t want;
    } ref[4] = {
        {"omniglot", "", 5, 0x90de3214927bddf6ull},
        {"omniglot", ", \"pool\": \"train\", \"order\": \"continual\", \"rotations\": false", 5,
         0xb0c0e1750adb273aull},
        {"omniglot-split", "", 3, 0x9e75cc8b75a8e32bull},
        {"omniglot-split", ", \"pool\": \"train\", \"n_classes\": 40", 3, 0x3f39f144d1ffc106ull},
    };
    for (int k = 0; k < 4; k++) {
        uint64_t h = episode_hash(ref[k].name, dir, ref[k].extra, ref[k].n_ep);
        CHECK(h == ref[k].want);
        if (h != ref[k].want)
            fprintf(stderr, "  %s%s: %016llx\n", ref[k].name, ref[k].extra, (unsigned long long)h);
    }
    /* Rotated, the meta-training pool of the default split (the first 5 of the 8 alphabets)
     * has 4x the classes. */
    _Alignas(16) unsigned char o[PLAST_OPTS_BYTES];
    plast_err err;
    char json[2048];
    int n_pool[2];
    for (int rot = 0; rot < 2; rot++) {
        snprintf(json, sizeof json,
                 "{\"name\": \"omniglot-split\", \"data\": \"%s\", \"cache\": \"\", \"pool\": "
                 "\"train\", \"n_classes\": 8192, \"rotations\": %s}",
                 dir, rot ? "true" : "false");
        const plast_task *t = task_from(json, o, &err);
        REQUIRE(t);
        plast_err_clear(&err);
        REQUIRE(t->create(o, 1, &err) == NULL && err.code == PLAST_E_CONFIG);
        /* the message says how many the pool has: "... the train pool has N" */
        const char *p = strstr(err.msg, "pool has ");
        REQUIRE(p);
        n_pool[rot] = (int)strtol(p + 9, NULL, 10);
    }
    CHECK(n_pool[0] > 0 && n_pool[1] == 4 * n_pool[0]);
    fprintf(stderr, "shared subsets: meta-training pool %d classes, %d with rotations\n", n_pool[0],
            n_pool[1]);
}

static void cleanup(void)
{
    rm_rf(tmp);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/plast_imagedata_XXXXXX");
    REQUIRE(mkdtemp(tmp));
    atexit(cleanup);
    test_idx_shapes();
    test_cifar();
    test_stl();
    test_defaults();
    test_rotate();
    test_rotations();
    test_translate();
    test_train_shift();
    test_outputs();
    test_shared_unchanged();
    CHECK_DONE();
}
