/* test_reliability.c — issue 13: the defects fault injection found, one test each, and
 * fixed-seed fuzzing of every input the lab reads, in process (thousands of cases in a few
 * seconds; the sanitizer build turns any memory error or undefined behaviour into a failure).
 *
 * Every fuzz case asserts: no crash, a return code from the documented set, an error record
 * naming the file (or file:line:column, or the key) it concerns, and nothing written where a
 * failed load must write nothing (the Omniglot cache directory). Seeds are fixed, so a failure
 * reproduces; the case number is printed.
 *
 * Defects (see the issue for the reproductions):
 *  2  checkpoints: field-level forgeries with a recomputed checksum are refused; the checksum
 *     is zlib's crc32 in format version 2
 *  3  checkpoint sections are 8-byte aligned (UBSan reported a misaligned access)
 *  5  params values beyond the float range and duplicate tensor names are refused
 *  7  a gzip IDX file cut before its trailer is bad data (65) naming the file
 *  8  the images task checks each side (14 x 56 is 14 x 56; a 28 x 28 test split is not)
 *  9  control characters between JSON tokens are refused with file:line:column
 *  10 a directory given as a config says so; an Omniglot load that no task can use leaves no
 *     cache behind */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#include "check.h"
#include "plast/registry.h"
#include "files.h"
#include "png_write.h"
#include "plast/campaign.h"
#include "plast/config.h"
#include "plast/dataset.h"
#include "plast/linalg.h"
#include "plast/rng.h"
#include "plast/run.h"

static char tmp[256];

/* A path inside this test's temporary directory. */
static const char *tpath(const char *name)
{
    return path_in(tmp, name);
}

/* Entries of dir (0 when it does not exist). */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        remove(path);
    }
}

/* The error record of a failed case names what it concerns: where starts with the file. */
static int names_file(const plast_err *e, const char *path)
{
    return !strncmp(e->where, path, strlen(path)) && e->msg[0];
}

/* ------------------------------------------------------------------------------------------
 * Mutations shared by the text and binary fuzzers. */

static const char *const tokens[] = {"1e39", "-1e39", "NaN", "null", "\"x\"", "[]", "{}", ",",
                                     ":", "\"", "-0", "1e-50", "99999999999", "true", "\x1b",
                                     "\\u0000", "\t", "}", "]", "0.5"};

/* One random edit of buf[0..*n) (capacity cap, *n < cap): flip a byte, set a byte, cut,
 * delete a span, duplicate a span or insert a token. Keeps at least one byte. */
static void mutate(plast_rng *r, unsigned char *buf, size_t *n, size_t cap, int text)
{
    size_t len = *n;
    if (!len) return;
    size_t at = plast_rng_below(r, (uint32_t)len);
    switch (plast_rng_below(r, text ? 6 : 4)) {
    case 0: buf[at] ^= (unsigned char)(1u + plast_rng_below(r, 255)); break;
    case 1: buf[at] = (unsigned char)plast_rng_below(r, 256); break;
    case 2: *n = at ? at : 1; break;
    case 3: {
        size_t span = 1 + plast_rng_below(r, 16);
        if (at + span > len) span = len - at;
        memmove(buf + at, buf + at + span, len - at - span);
        *n = len - span ? len - span : 1;
        break;
    }
    case 4: {
        size_t span = 1 + plast_rng_below(r, 40);
        if (at + span > len) span = len - at;
        if (len + span >= cap) break;
        memmove(buf + at + span, buf + at, len - at);
        *n = len + span;
        break;
    }
    default: {
        const char *t = tokens[plast_rng_below(r, sizeof tokens / sizeof tokens[0])];
        size_t tl = strlen(t);
        if (len + tl >= cap) break;
        memmove(buf + at + tl, buf + at, len - at);
        memcpy(buf + at, t, tl);
        *n = len + tl;
    }
    }
}

/* ------------------------------------------------------------------------------------------
 * A small campaign, its checkpoint and its params file. */

static const char *small =
    "{\"seed\": 4, \"runs\": 2, \"net\": {\"hidden\": [8], \"bias_init\": \"uniform\", \"bias_value\": 3},\n"
    " \"rule\": {\"name\": \"flp\", \"form\": \"hebb\", \"granularity\": \"layer\",\n"
    "          \"feedback_relu\": false, \"p_init\": 1e-6, \"beta_init\": 1},\n"
    " \"task\": {\"name\": \"sine\", \"order\": \"iid\", \"n_batches\": 3},\n"
    " \"campaign\": {\"optimizer\": \"sep-cmaes\", \"generations\": 5, \"popsize\": 4,\n"
    "   \"episodes\": 1, \"validate_every\": 2, \"validation_runs\": 2,\n"
    "   \"owns\": [\"plasticity\", \"beta\", \"feedback\"]}}\n";

static plast_config cfg;
#define HASH 0x1234u

static plast_campaign *new_campaign(void)
{
    plast_err err;
    plast_campaign *c = plast_campaign_new(&cfg, 1, NULL, &err);
    if (!c) fprintf(stderr, "%s: %s\n", err.where, err.msg);
    REQUIRE(c);
    return c;
}

static const char *const tags[] = {"camp", "optim", "best", "hist", "basenet", "basemeta"};
#define N_TAGS 6

/* A checkpoint's sections as separate heap copies, to forge and write back. */
typedef struct sections {
    unsigned char *p[N_TAGS];
    size_t n[N_TAGS];
} sections;

static void sections_read(const char *path, sections *s)
{
    plast_ckpt k;
    plast_err err;
    REQUIRE(plast_ckpt_read(path, &k, &err) == PLAST_OK);
    for (int i = 0; i < N_TAGS; i++) {
        const void *p = plast_ckpt_get(&k, tags[i], &s->n[i]);
        REQUIRE(p);
        s->p[i] = malloc(s->n[i] ? s->n[i] : 1);
        REQUIRE(s->p[i]);
        memcpy(s->p[i], p, s->n[i]);
    }
    plast_ckpt_free(&k);
}

static void sections_write(const char *path, const sections *s)
{
    plast_ckpt_section sec[N_TAGS];
    for (int i = 0; i < N_TAGS; i++) {
        snprintf(sec[i].tag, sizeof sec[i].tag, "%s", tags[i]);
        sec[i].data = s->p[i];
        sec[i].n = s->n[i];
    }
    plast_err err;
    REQUIRE(plast_ckpt_write(path, HASH, sec, N_TAGS, &err) == PLAST_OK);
}

static void sections_copy(sections *d, const sections *s)
{
    for (int i = 0; i < N_TAGS; i++) {
        d->n[i] = s->n[i];
        d->p[i] = malloc(s->n[i] ? s->n[i] : 1);
        REQUIRE(d->p[i]);
        memcpy(d->p[i], s->p[i], s->n[i]);
    }
}

static void sections_free(sections *s)
{
    for (int i = 0; i < N_TAGS; i++) free(s->p[i]);
}

/* The campaign's own scalars section, as meta/campaign.c lays it out. */
typedef struct camp_scalars {
    int64_t gen, best_gen, n_hist, dim;
    double best_valid, wall;
} camp_scalars;

/* Restores path into a new campaign: the return code, and on success one more generation
 * (a restored state must be usable). */
static int restore(const char *path, plast_err *err)
{
    plast_campaign *c = new_campaign();
    plast_err_clear(err);
    int rc = plast_campaign_restore(c, path, HASH, err);
    if (!rc && !plast_campaign_done(c)) rc = plast_campaign_step(c, NULL, NULL, err);
    plast_campaign_delete(c);
    return rc;
}

static void test_checkpoint_format(const char *ck)
{
    /* Defect 3: every section starts on an 8-byte boundary. */
    plast_ckpt k;
    plast_err err;
    REQUIRE(plast_ckpt_read(ck, &k, &err) == PLAST_OK);
    for (int i = 0; i < N_TAGS; i++) {
        size_t n;
        const void *p = plast_ckpt_get(&k, tags[i], &n);
        CHECK(p && (uintptr_t)p % 8 == 0);
    }
    /* Defect 2: format version 2, and the trailer is zlib's crc32 of everything before it. */
    uint32_t version;
    memcpy(&version, k.buf + 8, 4);
    CHECK(version == 2);
    uint64_t sum;
    memcpy(&sum, k.buf + k.n - 8, 8);
    CHECK(sum == crc32(0L, k.buf, (uInt)(k.n - 8)));
    plast_ckpt_free(&k);
}

/* Field-level forgeries, each with a recomputed checksum: refused, naming the file. */
static void test_checkpoint_forgeries(const char *ck)
{
    sections good;
    sections_read(ck, &good);
    const char *fk = tpath("forged.bin");
    plast_err err;
    sections_write(fk, &good);
    CHECK(restore(fk, &err) == PLAST_OK); /* the unforged copy resumes */

    enum { F_GEN_NEG, F_GEN_BIG, F_BEST_GEN, F_NAN_BEST, F_HIST_GEN, F_WALL, F_THETA, F_HIST_SHORT,
           F_VALID, N_F };
    for (int f = 0; f < N_F; f++) {
        sections s;
        sections_copy(&s, &good);
        camp_scalars *sc = (camp_scalars *)s.p[0];
        plast_gen_stats *h = (plast_gen_stats *)s.p[3];
        switch (f) {
        case F_GEN_NEG: sc->gen = -9223372036854775807LL; break;
        case F_GEN_BIG: sc->gen = 6; break;
        case F_BEST_GEN: sc->best_gen = sc->gen + 1; break;
        case F_NAN_BEST: sc->best_valid = NAN; break;
        case F_HIST_GEN: h[1].gen = 7; break;
        case F_WALL: sc->wall = -1.0; break;
        case F_THETA: ((float *)s.p[2])[0] = INFINITY; break;
        case F_HIST_SHORT: /* consistent shapes, but fewer rows than generations */
            sc->n_hist -= 1;
            s.n[3] -= sizeof(plast_gen_stats);
            break;
        case F_VALID: h[0].valid = h[0].best_valid = -5.0; break;
        }
        sections_write(fk, &s);
        int rc = restore(fk, &err);
        CHECK(rc == PLAST_E_DATA);
        CHECK(names_file(&err, fk));
        if (rc != PLAST_E_DATA) fprintf(stderr, "  forgery %d accepted (rc %d)\n", f, rc);
        sections_free(&s);
    }

    /* Fuzz: a random field of a random section set to an extreme or random value. The
     * result is either refused (65, naming the file) or a state that resumes. */
    static const double extremes[] = {NAN, INFINITY, -INFINITY, -1.0, 0.0, 1e300, -9.2e18, 3.0};
    plast_rng r;
    plast_rng_seed(&r, 1313, 7);
    int refused = 0;
    const int n_cases = 1000;
    for (int i = 0; i < n_cases; i++) {
        sections s;
        sections_copy(&s, &good);
        int t = (int)plast_rng_below(&r, N_TAGS);
        if (s.n[t] >= 8) {
            size_t off = 8 * plast_rng_below(&r, (uint32_t)(s.n[t] / 8));
            unsigned char *p = s.p[t] + off;
            uint32_t kind = plast_rng_below(&r, 4);
            if (kind == 0) {
                double v = extremes[plast_rng_below(&r, 8)];
                memcpy(p, &v, 8);
            } else if (kind == 1) {
                int64_t v = (int64_t)plast_rng_u32(&r) - (int64_t)plast_rng_u32(&r) * 4096;
                memcpy(p, &v, 8);
            } else if (kind == 2) {
                float v[2] = {(float)extremes[plast_rng_below(&r, 8)], NAN};
                memcpy(p, v, 4 + 4 * plast_rng_below(&r, 2));
            } else {
                p[plast_rng_below(&r, 8)] ^= (unsigned char)(1u + plast_rng_below(&r, 255));
            }
        }
        sections_write(fk, &s);
        int rc = restore(fk, &err);
        if (rc != PLAST_OK && !(rc == PLAST_E_DATA && names_file(&err, fk))) {
            CHECK(!"forged checkpoint: wrong code or message");
            fprintf(stderr, "  case %d (section %s): rc %d, %s: %s\n", i, tags[t], rc, err.where, err.msg);
        }
        refused += rc == PLAST_E_DATA;
        sections_free(&s);
    }
    CHECK(refused > n_cases / 2); /* most such forgeries are impossible states */
    sections_free(&good);
}

/* Raw damage: flipped bytes, cuts, appended bytes. crc32 refuses every one. */
static void test_checkpoint_damage(const char *ck)
{
    size_t n;
    unsigned char *orig = file_get(ck, &n);
    unsigned char *buf = malloc(n + 64);
    REQUIRE(buf);
    const char *dk = tpath("damaged.bin");
    plast_rng r;
    plast_rng_seed(&r, 2626, 3);
    for (int i = 0; i < 1000; i++) {
        memcpy(buf, orig, n);
        size_t m = n;
        int kind = (int)plast_rng_below(&r, 3);
        if (kind == 0) {
            for (uint32_t k = 1 + plast_rng_below(&r, 4); k; k--)
                buf[plast_rng_below(&r, (uint32_t)n)] ^= (unsigned char)(1u + plast_rng_below(&r, 255));
        } else if (kind == 1) {
            m = plast_rng_below(&r, (uint32_t)n);
        } else {
            size_t extra = 1 + plast_rng_below(&r, 63);
            for (size_t k = 0; k < extra; k++) buf[n + k] = (unsigned char)plast_rng_u32(&r);
            m = n + extra;
        }
        file_put(dk, buf, m);
        plast_ckpt k;
        plast_err err;
        plast_err_clear(&err);
        int rc = plast_ckpt_read(dk, &k, &err);
        if (rc != PLAST_E_DATA || !names_file(&err, dk)) {
            CHECK(!"damaged checkpoint not refused as bad data");
            fprintf(stderr, "  case %d kind %d: rc %d, %s: %s\n", i, kind, rc, err.where, err.msg);
            if (!rc) plast_ckpt_free(&k);
        }
    }
    free(buf);
    free(orig);
}

/* ------------------------------------------------------------------------------------------
 * Params files (defect 5 and fuzzing). */

typedef struct learner_io {
    plast_learner L;
    plast_pset *secs[2];
} learner_io;

static void learner_for_cfg(learner_io *io)
{
    plast_err err;
    REQUIRE(plast_learner_from_config(&io->L, &cfg, NULL, NULL, NULL, &err) == PLAST_OK);
    io->secs[0] = &io->L.net.p;
    io->secs[1] = &io->L.meta;
}

static int read_params(learner_io *io, const char *path, plast_err *err)
{
    static const char *const names[2] = {"net", "meta"};
    plast_err_clear(err);
    return plast_params_read(path, cfg.rule->name, io->secs, names, 2, NULL, NULL, err);
}

/* text with the first occurrence of from replaced by to, into out. */
static void replace_once(const char *text, const char *from, const char *to, char *out, size_t n)
{
    const char *at = strstr(text, from);
    REQUIRE(at);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static void test_params(const char *params)
{
    learner_io io;
    learner_for_cfg(&io);
    plast_err err;
    size_t n;
    char *good = (char *)file_get(params, &n);
    CHECK(read_params(&io, params, &err) == PLAST_OK);

    /* 1e39 does not fit a float: refused naming the tensor, not loaded as inf. */
    static char text[1 << 18];
    const char *first = strstr(good, "\"values\": [");
    REQUIRE(first);
    size_t head = (size_t)(first - good) + strlen("\"values\": [");
    const char *after = good + head + strcspn(good + head, ",]");
    snprintf(text, sizeof text, "%.*s1e39%s", (int)head, good, after);
    const char *p1 = tpath("p1.json");
    file_put(p1, text, strlen(text));
    CHECK(read_params(&io, p1, &err) == PLAST_E_DATA);
    CHECK(names_file(&err, p1) && strstr(err.where, "net.") && strstr(err.msg, "float range"));
    /* FLT_MAX as written with 9 digits still loads. */
    snprintf(text, sizeof text, "%.*s3.40282347e+38%s", (int)head, good, after);
    file_put(p1, text, strlen(text));
    CHECK(read_params(&io, p1, &err) == PLAST_OK);

    /* A tensor given twice is refused, as a duplicate config key is. */
    const char *meta = strstr(good, "\"meta\": {");
    REQUIRE(meta);
    const char *t0 = strchr(meta + 9, '"'), *t1 = strstr(t0, "]}");
    REQUIRE(t0 && t1);
    size_t tl = (size_t)(t1 + 2 - t0);
    snprintf(text, sizeof text, "%.*s,\n    %.*s%s", (int)(t1 + 2 - good), good, (int)tl, t0, t1 + 2);
    file_put(p1, text, strlen(text));
    CHECK(read_params(&io, p1, &err) == PLAST_E_DATA);
    CHECK(names_file(&err, p1) && strstr(err.msg, "twice"));
    replace_once(good, "\"version\": 1", "\"version\": 1, \"version\": 1", text, sizeof text);
    file_put(p1, text, strlen(text));
    CHECK(read_params(&io, p1, &err) == PLAST_E_DATA && strstr(err.msg, "twice"));

    /* Fuzz. */
    plast_rng r;
    plast_rng_seed(&r, 55, 1);
    unsigned char *buf = malloc(n + 4096);
    REQUIRE(buf);
    for (int i = 0; i < 1200; i++) {
        memcpy(buf, good, n);
        size_t m = n;
        for (uint32_t k = 1 + plast_rng_below(&r, 3); k; k--) mutate(&r, buf, &m, n + 4096, 1);
        file_put(p1, buf, m);
        int rc = read_params(&io, p1, &err);
        if (rc != PLAST_OK && !(rc == PLAST_E_DATA && names_file(&err, p1))) {
            CHECK(!"params fuzz: wrong code or message");
            fprintf(stderr, "  case %d: rc %d, %s: %s\n", i, rc, err.where, err.msg);
        }
    }
    free(buf);
    free(good);
    plast_learner_free(&io.L);
}

/* ------------------------------------------------------------------------------------------
 * Configs (defect 9, a directory, fuzzing). */

static void test_configs(void)
{
    static plast_config c;
    plast_err err;
    /* Defect 9: ESC between a key and its colon. */
    static char text[8192];
    replace_once(small, "\"bias_value\": 3", "\"bias_value\"\x1b: 3", text, sizeof text);
    CHECK(plast_config_parse(&c, text, "esc.json", NULL, 0, PLAST_TEST_REG(1), &err) ==
          PLAST_E_CONFIG);
    CHECK(!strcmp(err.where, "esc.json:1:83"));
    CHECK(strstr(err.msg, "control character 0x1b") != NULL);
    /* ... and inside a string, where JSON wants it escaped. */
    replace_once(small, "\"sine\"", "\"si\x01ne\"", text, sizeof text);
    CHECK(plast_config_parse(&c, text, "ctl.json", NULL, 0, PLAST_TEST_REG(1), &err) ==
          PLAST_E_CONFIG);
    CHECK(!strncmp(err.where, "ctl.json:4:", 11));
    /* A NUL byte in a file would hide everything after it from cJSON. */
    const char *nul = tpath("nul.json");
    size_t sl = strlen(small);
    char *withnul = malloc(sl + 8);
    REQUIRE(withnul);
    memcpy(withnul, small, sl);
    memcpy(withnul + sl, "\0{}", 3);
    file_put(nul, withnul, sl + 3);
    free(withnul);
    CHECK(plast_config_load(&c, nul, NULL, 0, PLAST_TEST_REG(1), &err) == PLAST_E_CONFIG);
    CHECK(names_file(&err, nul) && strstr(err.msg, "NUL"));
    /* Defect 10: a directory given as a config. */
    CHECK(plast_config_load(&c, tmp, NULL, 0, PLAST_TEST_REG(1), &err) == PLAST_E_NOINPUT);
    CHECK(strstr(err.msg, "is a directory") != NULL);

    /* Fuzz: configs parse or are refused as bad config naming origin:line:column or a key. */
    plast_rng r;
    plast_rng_seed(&r, 99, 2);
    size_t n = strlen(small);
    unsigned char buf[4096];
    int refused = 0;
    for (int i = 0; i < 1500; i++) {
        memcpy(buf, small, n);
        size_t m = n;
        for (uint32_t k = 1 + plast_rng_below(&r, 3); k; k--) mutate(&r, buf, &m, sizeof buf - 1, 1);
        buf[m] = 0;
        plast_err_clear(&err);
        int rc = plast_config_parse(&c, (const char *)buf, "fuzz.json", NULL, 0, PLAST_TEST_REG(1), &err);
        refused += rc != PLAST_OK;
        if (rc != PLAST_OK && !(rc == PLAST_E_CONFIG && err.where[0] && err.msg[0])) {
            CHECK(!"config fuzz: wrong code or message");
            fprintf(stderr, "  case %d: rc %d, '%s': %s\n", i, rc, err.where, err.msg);
        }
    }
    CHECK(refused > 500);
}

/* ------------------------------------------------------------------------------------------
 * IDX (defects 7 and 8, fuzzing plain and gzip). */

/* An IDX file's bytes: magic, dims, payload. */
static size_t idx_bytes(unsigned char *out, uint32_t magic, const uint32_t *dims, int ndim,
                        const unsigned char *payload, size_t n)
{
    be32(out, magic);
    for (int i = 0; i < ndim; i++) be32(out + 4 + 4 * i, dims[i]);
    size_t h = 4 + 4 * (size_t)ndim;
    memcpy(out + h, payload, n);
    return h + n;
}

static void put_gz(const char *path, const unsigned char *p, size_t n)
{
    gzFile g = gzopen(path, "wb");
    REQUIRE(g);
    REQUIRE(n == 0 || gzwrite(g, p, (unsigned)n) == (int)n);
    REQUIRE(gzclose(g) == Z_OK);
}

static int dataset_zeroed(const plast_dataset *d)
{
    return !d->buf && !d->x && !d->n;
}

/* An images/labels pair of n images h x w, labels 0, 1, 0, 1, ... */
static void idx_pair(const char *im, const char *lb, int gz, uint32_t n, uint32_t h, uint32_t w)
{
    size_t np = (size_t)n * h * w;
    unsigned char *pix = calloc(np + 16, 1), *lab = malloc(n + 8);
    REQUIRE(pix && lab);
    for (size_t i = 0; i < np; i++) pix[16 + i] = (unsigned char)(i * 31);
    for (uint32_t i = 0; i < n; i++) lab[8 + i] = (unsigned char)(i % 2);
    uint32_t di[3] = {n, h, w}, dl[1] = {n};
    unsigned char *fi = malloc(np + 16), *fl = malloc(n + 8);
    REQUIRE(fi && fl);
    size_t ni = idx_bytes(fi, 0x803, di, 3, pix + 16, np), nl = idx_bytes(fl, 0x801, dl, 1, lab + 8, n);
    if (gz) put_gz(im, fi, ni), put_gz(lb, fl, nl);
    else file_put(im, fi, ni), file_put(lb, fl, nl);
    free(pix), free(lab), free(fi), free(fl);
}

static void test_idx(void)
{
    plast_dataset d;
    plast_err err;
    const char *im = tpath("im.gz"), *lb = tpath("lb.gz");
    /* Defect 7: a gzip file cut inside its 8-byte trailer (CRC and length). */
    idx_pair(im, lb, 1, 6, 3, 4);
    REQUIRE(plast_idx_load(&d, im, lb, &err) == PLAST_OK);
    plast_dataset_free(&d);
    size_t n;
    unsigned char *gz = file_get(im, &n);
    for (size_t cut = 1; cut <= 8; cut++) {
        file_put(im, gz, n - cut);
        plast_err_clear(&err);
        int rc = plast_idx_load(&d, im, lb, &err);
        CHECK(rc == PLAST_E_DATA && !strcmp(err.where, im));
        if (rc != PLAST_E_DATA) fprintf(stderr, "  cut %zu: rc %d: %s\n", cut, rc, err.msg);
        CHECK(dataset_zeroed(&d));
    }

    /* Defect 8: the images task checks each side, never the product. It now takes its shape
     * from the data (14 x 56 is read as 14 x 56), and a test split whose sides differ from
     * the training split's is bad data even when the pixel counts agree. */
    const uint32_t shapes[4][2] = {{14, 56}, {784, 1}, {28, 28}, {56, 14}};
    const char *ti = tpath("ti.idx"), *tl = tpath("tl.idx"), *vi = tpath("vi.idx"), *vl = tpath("vl.idx");
    for (int s = 0; s < 4; s++) {
        idx_pair(ti, tl, 0, 4, shapes[s][0], shapes[s][1]);
        /* the test split: 28 x 28 for the 56 x 14 case, else the same shape */
        idx_pair(vi, vl, 0, 4, s == 3 ? 28 : shapes[s][0], s == 3 ? 28 : shapes[s][1]);
        char text[2048];
        snprintf(text, sizeof text,
                 "{\"rule\": \"sgd\", \"task\": {\"name\": \"images\", \"train_images\": \"%s\","
                 " \"train_labels\": \"%s\", \"test_images\": \"%s\", \"test_labels\": \"%s\","
                 " \"n_classes\": 2, \"n_train\": 1, \"n_query\": 1}}",
                 ti, tl, vi, vl);
        static plast_config c;
        REQUIRE(plast_config_parse(&c, text, "images", NULL, 0, PLAST_TEST_REG(0), &err) == PLAST_OK);
        plast_task_shape sh;
        REQUIRE(c.task->shape(c.task_opts, &sh, &err) == PLAST_OK);
        CHECK(sh.in_c == 1 && sh.in_h == (int)shapes[s][0] && sh.in_w == (int)shapes[s][1] && sh.n_in == 784);
        plast_err_clear(&err);
        void *st = c.task->create(c.task_opts, 1, &err);
        if (s == 3) {
            CHECK(!st && err.code == PLAST_E_DATA && !strcmp(err.where, vi));
        } else {
            CHECK(st != NULL);
        }
        if (st) c.task->destroy(st);
    }

    /* Fuzz, plain and gzip: damaged headers, payloads, cuts and tails. */
    plast_rng r;
    plast_rng_seed(&r, 777, 5);
    for (int gzip = 0; gzip < 2; gzip++) {
        const char *fi = tpath(gzip ? "fi.gz" : "fi.idx"), *fl = tpath(gzip ? "fl.gz" : "fl.idx");
        idx_pair(fi, fl, 0, 5, 3, 4); /* plain first: mutated, then compressed when gzip */
        size_t ni, nl;
        unsigned char *gi = file_get(fi, &ni), *gl = file_get(fl, &nl);
        unsigned char bi[512], bl[512];
        for (int i = 0; i < 700; i++) {
            memcpy(bi, gi, ni), memcpy(bl, gl, nl);
            size_t mi = ni, ml = nl;
            int which = (int)plast_rng_below(&r, 3);
            /* Header bytes are the interesting ones: hit them half of the time. */
            if (plast_rng_below(&r, 2)) {
                unsigned char *b = which == 1 ? bl : bi;
                b[plast_rng_below(&r, which == 1 ? 8 : 16)] = (unsigned char)plast_rng_u32(&r);
            }
            if (which != 1) mutate(&r, bi, &mi, sizeof bi, 0);
            if (which != 0) mutate(&r, bl, &ml, sizeof bl, 0);
            if (gzip && plast_rng_below(&r, 2)) {
                /* damage the compressed bytes instead */
                put_gz(fi, gi, ni);
                size_t zn;
                unsigned char *z = file_get(fi, &zn);
                mutate(&r, z, &zn, zn + 1, 0);
                file_put(fi, z, zn);
                free(z);
                put_gz(fl, bl, ml);
            } else if (gzip) {
                put_gz(fi, bi, mi), put_gz(fl, bl, ml);
            } else {
                file_put(fi, bi, mi), file_put(fl, bl, ml);
            }
            plast_err_clear(&err);
            int rc = plast_idx_load(&d, fi, fl, &err);
            if (rc == PLAST_OK) {
                plast_dataset_free(&d);
                continue;
            }
            if (rc != PLAST_E_DATA || (strcmp(err.where, fi) && strcmp(err.where, fl)) || !dataset_zeroed(&d)) {
                CHECK(!"IDX fuzz: wrong code, message or a dataset left");
                fprintf(stderr, "  %s case %d: rc %d, %s: %s\n", gzip ? "gzip" : "plain", i, rc, err.where, err.msg);
            }
        }
        free(gi), free(gl);
    }
    free(gz);
}

/* ------------------------------------------------------------------------------------------
 * Omniglot PNG trees and zips (defect 10's cache, fuzzing). */

#define SIDE 8

/* ALPHA/characterNN/K.png for n_char characters with per[c] drawings each. */
static void omni_tree(const char *root, int n_char, const int *per)
{
    char p[600];
    mkdir(root, 0777);
    snprintf(p, sizeof p, "%s/Alpha", root);
    mkdir(p, 0777);
    unsigned char grey[SIDE * SIDE];
    for (int c = 0; c < n_char; c++) {
        snprintf(p, sizeof p, "%s/Alpha/character%02d", root, c + 1);
        mkdir(p, 0777);
        for (int k = 0; k < per[c]; k++) {
            for (int i = 0; i < SIDE * SIDE; i++) grey[i] = (unsigned char)((i * 7 + c * 13 + k * 5) % 256);
            snprintf(p, sizeof p, "%s/Alpha/character%02d/%d.png", root, c + 1, k);
            write_png(p, SIDE, SIDE, 8, grey);
        }
    }
}

static void omni_zip(const char *zpath, const char *root, int n_char, const int *per)
{
    int ze;
    zip_t *z = zip_open(zpath, ZIP_CREATE | ZIP_TRUNCATE, &ze);
    REQUIRE(z);
    char name[256], file[700];
    for (int c = 0; c < n_char; c++)
        for (int k = 0; k < per[c]; k++) {
            snprintf(name, sizeof name, "top/Alpha/character%02d/%d.png", c + 1, k);
            snprintf(file, sizeof file, "%s/%s", root, name + 4);
            zip_source_t *s = zip_source_file(z, file, 0, -1);
            REQUIRE(s && zip_file_add(z, name, s, 0) >= 0);
        }
    REQUIRE(zip_close(z) == 0);
}

static void test_omniglot(void)
{
    plast_dataset d;
    plast_err err;
    int hit;
    /* Defect 10: characters with different numbers of drawings load (the task refuses them
     * right after) but leave no cache behind. */
    const int uneven[2] = {2, 1}, even[2] = {2, 2};
    const char *ut = tpath("uneven"), *cache = tpath("cache");
    omni_tree(ut, 2, uneven);
    const char *src[1] = {ut};
    REQUIRE(plast_omniglot_load(&d, src, 1, SIDE, cache, &hit, &err) == PLAST_OK);
    CHECK(count_entries(cache) == 0);
    plast_dataset_free(&d);
    const char *et = tpath("even");
    omni_tree(et, 2, even);
    src[0] = et;
    REQUIRE(plast_omniglot_load(&d, src, 1, SIDE, cache, &hit, &err) == PLAST_OK);
    CHECK(count_entries(cache) == 1); /* usable data is cached */
    plast_dataset_free(&d);
    rm_rf(cache);

    /* Fuzz one PNG of a tree, and the bytes of a zip of it. */
    const char *zp = tpath("omni.zip");
    omni_zip(zp, et, 2, even);
    char png[700];
    snprintf(png, sizeof png, "%s/Alpha/character01/1.png", et);
    size_t pn, zn;
    unsigned char *pg = file_get(png, &pn), *zg = file_get(zp, &zn);
    unsigned char *buf = malloc(zn + pn + 64);
    REQUIRE(buf);
    plast_rng r;
    plast_rng_seed(&r, 4242, 9);
    for (int i = 0; i < 500; i++) {
        int zip = i % 2;
        const char *target = zip ? zp : png;
        size_t m = zip ? zn : pn;
        memcpy(buf, zip ? zg : pg, m);
        for (uint32_t k = 1 + plast_rng_below(&r, 3); k; k--) mutate(&r, buf, &m, (zip ? zn : pn) + 64, 0);
        file_put(target, buf, m);
        src[0] = zip ? zp : et;
        plast_err_clear(&err);
        int rc = plast_omniglot_load(&d, src, 1, SIDE, cache, &hit, &err);
        if (rc == PLAST_OK) {
            plast_dataset_free(&d);
            rm_rf(cache);
            continue;
        }
        if (rc != PLAST_E_DATA || !strstr(err.where, zip ? zp : et) || !dataset_zeroed(&d) ||
            count_entries(cache) != 0) {
            CHECK(!"Omniglot fuzz: wrong code, message, or something left");
            fprintf(stderr, "  %s case %d: rc %d, %s: %s\n", zip ? "zip" : "png", i, rc, err.where, err.msg);
        }
        rm_rf(cache);
    }
    file_put(png, pg, pn);
    free(buf), free(pg), free(zg);
}

int main(void)
{
    plast_linalg_init();
    /* Thousands of small files, each written with fsync (checkpoints): in memory when the
     * machine has /dev/shm, so the test does not load a shared disk. */
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
    snprintf(tmp, sizeof tmp, "%s/plast_test_rel.XXXXXX", base);
    REQUIRE(mkdtemp(tmp));

    plast_err err;
    if (plast_config_parse(&cfg, small, "small", NULL, 0, PLAST_TEST_REG(1), &err))
        fprintf(stderr, "%s: %s\n", err.where, err.msg);
    REQUIRE(cfg.has_campaign);
    /* A checkpoint after generation 2 of 5, and the best parameters as a params file. */
    plast_campaign *c = new_campaign();
    REQUIRE(plast_campaign_start(c, NULL, &err) == PLAST_OK);
    for (int g = 0; g < 2; g++) REQUIRE(plast_campaign_step(c, NULL, NULL, &err) == PLAST_OK);
    const char *ck = tpath("ck.bin");
    REQUIRE(plast_campaign_save(c, ck, HASH, &err) == PLAST_OK);
    const char *params = tpath("best.json");
    FILE *f = fopen(params, "w");
    REQUIRE(f && plast_campaign_write_params(c, f, 1) == PLAST_OK && fclose(f) == 0);
    plast_campaign_delete(c);

    test_checkpoint_format(ck);
    test_checkpoint_forgeries(ck);
    test_checkpoint_damage(ck);
    test_params(params);
    test_configs();
    test_idx();
    test_omniglot();

    rm_rf(tmp);
    CHECK_DONE();
}
