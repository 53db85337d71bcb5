/* omniglot_data.c — the Omniglot reader and its cache (see include/plast/dataset.h).
 *
 * A load runs in four steps. (1) List: every source (a directory or an official zip) is
 * walked for ALPHABET/character/NAME.png, recording names, sizes and mtimes or CRCs; nothing
 * is decoded yet. (2) Order: the list is sorted by (source, alphabet, character, file name) and
 * labels, groups and items are assigned; the data set is allocated once, its size known.
 * (3) Cache: the listing and the requested size give a 64-bit key; a cache file of that key
 * whose header, metadata and checksum all agree fills d->x without decoding. (4) Otherwise
 * every PNG is decoded (libpng from memory, errors caught with setjmp/longjmp so nothing is
 * printed), turned into ink and resized, and the cache is written atomically.
 *
 * Cache file (native byte order, checked by a byte-order mark):
 *   "PLASTOMN" | u32 version | u32 0x01020304 | u64 key | i32 n, h, w, n_classes, n_groups
 *   | f32 x[n*h*w] | i32 label[n] | i32 group[n] | i32 item[n] | char class_name[n_classes][96]
 *   | char group_name[n_groups][64] | u64 checksum
 * The checksum is plast_hash64 over the seven section hashes (header and each array, each
 * plast_hash64), so no section is ever copied to be hashed. */
#include "plast/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "plast/run.h"

#define OMNI_MAX_SIDE 4096          /* largest PNG side accepted */
#define OMNI_MAX_FILE (64u << 20)   /* largest PNG file accepted, bytes */
#define OMNI_MAX_SIZE 1024          /* largest output side */
#define CACHE_MAGIC "PLASTOMN"
#define CACHE_VERSION 1u
#define CACHE_BOM 0x01020304u
#define CACHE_HEADER 44             /* bytes: 8 + 4 + 4 + 8 + 5 * 4 */

/* ---- the listing ---- */

typedef struct entry {
    int src;                 /* index into sources */
    const char *alpha, *chr, *file; /* into s */
    const char *path;        /* directory source: file path; zip source: entry name */
    zip_uint64_t index;      /* zip entry index */
    uint64_t size;           /* bytes (uncompressed for a zip entry) */
    int64_t mt_s, mt_ns;     /* directory source: mtime */
    uint32_t crc;            /* zip source: CRC-32 */
    char s[];                /* alpha \0 chr \0 file \0 path \0 */
} entry;

typedef struct source {
    const char *path;
    int is_zip;
    zip_t *z;
    struct stat st;
} source;

typedef struct listing {
    entry **e;
    size_t n, cap;
} listing;

static int is_hidden(const char *name)
{
    return name[0] == '.' || !strcmp(name, "__MACOSX");
}

static int is_png(const char *name)
{
    size_t n = strlen(name);
    if (n < 5) return 0;
    const char *x = name + n - 4;
    return x[0] == '.' && (x[1] | 32) == 'p' && (x[2] | 32) == 'n' && (x[3] | 32) == 'g';
}

/* Adds one image; the names are checked against the lengths class_name and group_name hold. */
static int listing_add(listing *l, int src, const char *alpha, size_t na, const char *chr,
                       size_t nc, const char *file, size_t nf, const char *path, const char *where,
                       plast_err *err)
{
    if (na == 0 || na > 63 || na + 1 + nc > 95)
        return plast_err_set(err, PLAST_E_DATA, where,
                             "alphabet or character name too long (at most 63 characters, 95 together)");
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        if (cap > (size_t)INT_MAX) return plast_err_set(err, PLAST_E_DATA, where, "too many images");
        entry **e = realloc(l->e, cap * sizeof *e);
        if (!e) return plast_err_set(err, PLAST_E_INTERNAL, where, "out of memory");
        l->e = e, l->cap = cap;
    }
    size_t np = strlen(path);
    entry *e = calloc(1, sizeof *e + na + nc + nf + np + 4);
    if (!e) return plast_err_set(err, PLAST_E_INTERNAL, where, "out of memory");
    char *p = e->s;
    e->src = src;
    e->alpha = p, memcpy(p, alpha, na), p += na + 1;
    e->chr = p, memcpy(p, chr, nc), p += nc + 1;
    e->file = p, memcpy(p, file, nf), p += nf + 1;
    e->path = p, memcpy(p, path, np);
    l->e[l->n++] = e;
    return PLAST_OK;
}

static void listing_free(listing *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->e[i]);
    free(l->e);
    memset(l, 0, sizeof *l);
}

/* Names in dir (hidden ones skipped), as one malloc'd array of malloc'd strings. */
static int dir_names(const char *dir, char ***out, size_t *n, plast_err *err)
{
    *out = NULL, *n = 0;
    DIR *d = opendir(dir);
    if (!d) return plast_err_set(err, PLAST_E_IO, dir, "cannot open directory: %s", strerror(errno));
    size_t cap = 0;
    int rc = PLAST_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (is_hidden(de->d_name)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **v = realloc(*out, cap * sizeof *v);
            if (!v) {
                rc = plast_err_set(err, PLAST_E_INTERNAL, dir, "out of memory");
                break;
            }
            *out = v;
        }
        if (!((*out)[*n] = strdup(de->d_name))) {
            rc = plast_err_set(err, PLAST_E_INTERNAL, dir, "out of memory");
            break;
        }
        (*n)++;
    }
    closedir(d);
    return rc;
}

static void names_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* root/ALPHABET/character/NAME.png; anything else (files at the top, non-PNG files) is skipped. */
static int list_dir(listing *l, int src, const char *root, plast_err *err)
{
    char **alphas, **chrs = NULL, **files = NULL;
    size_t na, nc = 0, nf = 0;
    int rc = dir_names(root, &alphas, &na, err);
    char p1[4096], p2[4096], p3[4096];
    struct stat st;
    for (size_t a = 0; !rc && a < na; a++) {
        if (snprintf(p1, sizeof p1, "%s/%s", root, alphas[a]) >= (int)sizeof p1) {
            rc = plast_err_set(err, PLAST_E_DATA, root, "path too long");
            break;
        }
        if (stat(p1, &st) || !S_ISDIR(st.st_mode)) continue;
        rc = dir_names(p1, &chrs, &nc, err);
        for (size_t c = 0; !rc && c < nc; c++) {
            if (snprintf(p2, sizeof p2, "%s/%s", p1, chrs[c]) >= (int)sizeof p2) {
                rc = plast_err_set(err, PLAST_E_DATA, p1, "path too long");
                break;
            }
            if (stat(p2, &st) || !S_ISDIR(st.st_mode)) continue;
            rc = dir_names(p2, &files, &nf, err);
            for (size_t f = 0; !rc && f < nf; f++) {
                if (!is_png(files[f])) continue;
                if (snprintf(p3, sizeof p3, "%s/%s", p2, files[f]) >= (int)sizeof p3) {
                    rc = plast_err_set(err, PLAST_E_DATA, p2, "path too long");
                    break;
                }
                if (stat(p3, &st)) {
                    rc = plast_err_set(err, PLAST_E_IO, p3, "cannot stat: %s", strerror(errno));
                    break;
                }
                if (!S_ISREG(st.st_mode)) continue;
                rc = listing_add(l, src, alphas[a], strlen(alphas[a]), chrs[c], strlen(chrs[c]),
                                 files[f], strlen(files[f]), p3, p3, err);
                if (!rc) {
                    entry *e = l->e[l->n - 1];
                    e->size = (uint64_t)st.st_size;
                    e->mt_s = (int64_t)st.st_mtim.tv_sec;
                    e->mt_ns = (int64_t)st.st_mtim.tv_nsec;
                }
            }
            names_free(files, nf);
            files = NULL, nf = 0;
        }
        names_free(chrs, nc);
        chrs = NULL, nc = 0;
    }
    names_free(alphas, na);
    return rc;
}

/* Zip entries [TOP/]ALPHABET/character/NAME.png: the top folder, when there is one, is dropped. */
static int list_zip(listing *l, int src, const source *s, plast_err *err)
{
    zip_int64_t n = zip_get_num_entries(s->z, 0);
    char where[4200];
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(s->z, (zip_uint64_t)i, 0);
        if (!name) continue;
        size_t len = strlen(name);
        if (!len || name[len - 1] == '/' || !is_png(name)) continue;
        /* Split into components; skip hidden ones (macOS resource forks and the like). */
        const char *comp[5];
        size_t clen[5];
        int nc = 0, hidden = 0;
        for (const char *p = name; nc <= 4;) {
            const char *q = strchr(p, '/');
            size_t k = q ? (size_t)(q - p) : strlen(p);
            if (nc < 5) comp[nc] = p, clen[nc] = k;
            nc++;
            if ((k && p[0] == '.') || (k == 8 && !memcmp(p, "__MACOSX", 8))) hidden = 1;
            if (!q) break;
            p = q + 1;
        }
        if (hidden) continue;
        snprintf(where, sizeof where, "%s:%s", s->path, name);
        if (nc != 3 && nc != 4)
            return plast_err_set(err, PLAST_E_DATA, where,
                                 "image outside the layout [TOP/]ALPHABET/character/NAME.png");
        int o = nc - 3;
        if (!clen[o] || !clen[o + 1])
            return plast_err_set(err, PLAST_E_DATA, where, "empty alphabet or character name");
        zip_stat_t zs;
        zip_stat_init(&zs);
        if (zip_stat_index(s->z, (zip_uint64_t)i, 0, &zs) || !(zs.valid & ZIP_STAT_SIZE))
            return plast_err_set(err, PLAST_E_DATA, where, "unreadable zip entry: %s",
                                 zip_strerror(s->z));
        int rc = listing_add(l, src, comp[o], clen[o], comp[o + 1], clen[o + 1], comp[o + 2],
                             clen[o + 2], name, where, err);
        if (rc) return rc;
        entry *e = l->e[l->n - 1];
        e->index = (zip_uint64_t)i;
        e->size = (uint64_t)zs.size;
        e->crc = zs.valid & ZIP_STAT_CRC ? zs.crc : 0;
    }
    return PLAST_OK;
}

static int entry_cmp(const void *pa, const void *pb)
{
    const entry *a = *(entry *const *)pa, *b = *(entry *const *)pb;
    int c;
    if (a->src != b->src) return a->src < b->src ? -1 : 1;
    if ((c = strcmp(a->alpha, b->alpha))) return c;
    if ((c = strcmp(a->chr, b->chr))) return c;
    if ((c = strcmp(a->file, b->file))) return c;
    return (a->index > b->index) - (a->index < b->index);
}

static int source_open(source *s, const char *path, plast_err *err)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    if (stat(path, &s->st))
        return plast_err_set(err, errno == ENOENT || errno == ENOTDIR ? PLAST_E_NOINPUT : PLAST_E_IO,
                             path, "cannot open Omniglot source: %s", strerror(errno));
    if (S_ISDIR(s->st.st_mode)) return PLAST_OK;
    if (!S_ISREG(s->st.st_mode))
        return plast_err_set(err, PLAST_E_DATA, path, "neither a directory nor a zip file");
    int ze = 0;
    s->is_zip = 1;
    s->z = zip_open(path, ZIP_RDONLY, &ze);
    if (!s->z) {
        zip_error_t e;
        zip_error_init_with_code(&e, ze);
        int code = ze == ZIP_ER_NOENT                                        ? PLAST_E_NOINPUT
                   : ze == ZIP_ER_OPEN || ze == ZIP_ER_READ || ze == ZIP_ER_SEEK ? PLAST_E_IO
                   : ze == ZIP_ER_MEMORY                                     ? PLAST_E_INTERNAL
                                                                             : PLAST_E_DATA;
        plast_err_set(err, code, path, "cannot read as a zip file: %s", zip_error_strerror(&e));
        zip_error_fini(&e);
        return code;
    }
    return PLAST_OK;
}

static void source_close(source *s)
{
    if (s->z) zip_discard(s->z);
    s->z = NULL;
}

/* ---- ordering: labels, groups, items and names ---- */

/* An alphabet already listed from an earlier source is dropped from later ones (freed):
 * the official subsets images_background_small1 and _small2 both hold Greek and Latin,
 * drawing for drawing, and each character must be one class. l is sorted. */
static void drop_repeated_alphabets(listing *l)
{
    size_t w = 0, heads = 0;
    const entry **head = malloc(sizeof *head * (l->n ? l->n : 1)); /* first entry of each kept alphabet */
    for (size_t i = 0; i < l->n; i++) {
        entry *e = l->e[i];
        int dup = 0;
        for (size_t g = 0; head && g < heads && !dup; g++)
            dup = head[g]->src < e->src && !strcmp(head[g]->alpha, e->alpha);
        if (dup) {
            free(e);
            continue;
        }
        if (head && (!w || l->e[w - 1]->src != e->src || strcmp(l->e[w - 1]->alpha, e->alpha)))
            head[heads++] = e;
        l->e[w++] = e;
    }
    l->n = w;
    free(head);
}

/* Fills d's metadata from the sorted listing (d allocated here). */
static int assign(plast_dataset *d, const listing *l, int size, plast_err *err)
{
    int n = (int)l->n, n_classes = 0, n_groups = 0, rc = PLAST_OK;
    int *label = malloc(sizeof(int) * 3 * (size_t)n);
    const entry **first_of_group = malloc(sizeof(entry *) * (size_t)n);
    if (!label || !first_of_group) {
        free(label);
        free(first_of_group);
        return plast_err_set(err, PLAST_E_INTERNAL, "omniglot", "out of memory");
    }
    int *group = label + n, *item = group + n;
    for (int i = 0; i < n && !rc; i++) {
        const entry *e = l->e[i], *p = i ? l->e[i - 1] : NULL;
        int new_group = !p || p->src != e->src || strcmp(p->alpha, e->alpha);
        int new_class = new_group || strcmp(p->chr, e->chr);
        if (new_group) first_of_group[n_groups++] = e;
        if (new_class) n_classes++;
        label[i] = n_classes - 1;
        group[i] = n_groups - 1;
        item[i] = new_class ? 0 : item[i - 1] + 1;
    }
    if (!rc) rc = plast_dataset_alloc(d, n, size, size, n_classes, n_groups, err);
    if (!rc) {
        memcpy(d->label, label, sizeof(int) * (size_t)n);
        memcpy(d->group, group, sizeof(int) * (size_t)n);
        memcpy(d->item, item, sizeof(int) * (size_t)n);
        for (int g = 0; g < n_groups; g++)
            snprintf(d->group_name[g], 64, "%s", first_of_group[g]->alpha);
        for (int i = 0; i < n; i++)
            if (!i || label[i] != label[i - 1])
                snprintf(d->class_name[label[i]], 96, "%s/%s", l->e[i]->alpha, l->e[i]->chr);
    }
    free(label);
    free(first_of_group);
    return rc;
}

/* ---- the cache key ---- */

typedef struct strbuf {
    char *p;
    size_t n, cap;
    int bad;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void sb_printf(strbuf *b, const char *fmt, ...)
{
    if (b->bad) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->bad = 1;
            return;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? 2 * b->cap : 4096;
        while (cap < b->n + (size_t)k + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->bad = 1;
            return;
        }
        b->p = q, b->cap = cap;
    }
}

static int cache_key(uint64_t *key, const listing *l, const source *src, int n_sources, int size,
                     plast_err *err)
{
    strbuf b = {0};
    sb_printf(&b, "plast omniglot cache %u size %d\n", CACHE_VERSION, size);
    for (int i = 0; i < n_sources; i++) {
        sb_printf(&b, "source %s dev %" PRIu64 " ino %" PRIu64 " %" PRId64 " %" PRId64 ".%09" PRId64 " %s\n",
                  src[i].path, (uint64_t)src[i].st.st_dev, (uint64_t)src[i].st.st_ino,
                  (int64_t)src[i].st.st_size, (int64_t)src[i].st.st_mtim.tv_sec,
                  (int64_t)src[i].st.st_mtim.tv_nsec, src[i].is_zip ? "zip" : "dir");
    }
    for (size_t i = 0; i < l->n; i++) {
        const entry *e = l->e[i];
        sb_printf(&b, "%d %s/%s/%s %" PRIu64 " %" PRId64 ".%09" PRId64 " %08" PRIx32 "\n", e->src,
                  e->alpha, e->chr, e->file, e->size, e->mt_s, e->mt_ns, e->crc);
    }
    if (b.bad) {
        free(b.p);
        return plast_err_set(err, PLAST_E_INTERNAL, "omniglot", "out of memory");
    }
    *key = plast_hash64(b.p, b.n);
    free(b.p);
    return PLAST_OK;
}

/* ---- the cache file ---- */

static void cache_header(unsigned char *h, uint64_t key, const plast_dataset *d)
{
    uint32_t v = CACHE_VERSION, bom = CACHE_BOM;
    int32_t dims[5] = {d->n, d->h, d->w, d->n_classes, d->n_groups};
    memcpy(h, CACHE_MAGIC, 8);
    memcpy(h + 8, &v, 4);
    memcpy(h + 12, &bom, 4);
    memcpy(h + 16, &key, 8);
    memcpy(h + 24, dims, 20);
}

/* The sections after the header, in file order. */
static void cache_sections(const plast_dataset *d, const void **p, size_t *n)
{
    p[0] = d->x, n[0] = sizeof(float) * (size_t)d->n * d->h * d->w;
    p[1] = d->label, n[1] = sizeof(int) * (size_t)d->n;
    p[2] = d->group, n[2] = sizeof(int) * (size_t)d->n;
    p[3] = d->item, n[3] = sizeof(int) * (size_t)d->n;
    p[4] = d->class_name, n[4] = (size_t)d->n_classes * 96;
    p[5] = d->group_name, n[5] = (size_t)d->n_groups * 64;
}

typedef struct cache_ctx {
    const plast_dataset *d;
    uint64_t key;
} cache_ctx;

static int cache_body(FILE *f, const void *ctx)
{
    const cache_ctx *c = ctx;
    unsigned char h[CACHE_HEADER];
    cache_header(h, c->key, c->d);
    const void *p[6];
    size_t n[6];
    cache_sections(c->d, p, n);
    uint64_t hs[7];
    hs[0] = plast_hash64(h, sizeof h);
    if (fwrite(h, 1, sizeof h, f) != sizeof h) return PLAST_E_IO;
    for (int i = 0; i < 6; i++) {
        hs[i + 1] = plast_hash64(p[i], n[i]);
        if (n[i] && fwrite(p[i], 1, n[i], f) != n[i]) return PLAST_E_IO;
    }
    uint64_t sum = plast_hash64(hs, sizeof hs);
    if (fwrite(&sum, sizeof sum, 1, f) != 1) return PLAST_E_IO;
    return PLAST_OK;
}

/* 1 when path holds a valid cache of exactly d's shape and metadata (then d->x is filled),
 * 0 otherwise (d->x may then hold anything; the caller overwrites it). Never an error. */
static int cache_read(const char *path, uint64_t key, plast_dataset *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    int ok = 0;
    unsigned char h[CACHE_HEADER], want[CACHE_HEADER];
    cache_header(want, key, d);
    const void *p[6];
    size_t n[6];
    cache_sections(d, p, n);
    size_t total = CACHE_HEADER + 8;
    for (int i = 0; i < 6; i++) total += n[i];
    struct stat st;
    char *meta = NULL;
    if (fstat(fileno(f), &st) || (uint64_t)st.st_size != (uint64_t)total) goto done;
    if (fread(h, 1, sizeof h, f) != sizeof h || memcmp(h, want, sizeof h)) goto done;
    uint64_t hs[7], sum;
    hs[0] = plast_hash64(h, sizeof h);
    if (fread(d->x, 1, n[0], f) != n[0]) goto done;
    hs[1] = plast_hash64(d->x, n[0]);
    /* The metadata must equal what the listing gave. */
    meta = malloc(n[1] + n[2] + n[3] + n[4] + n[5] + 1);
    if (!meta) goto done;
    char *m = meta;
    for (int i = 1; i < 6; i++) {
        if (fread(m, 1, n[i], f) != n[i] || memcmp(m, p[i], n[i])) goto done;
        hs[i + 1] = plast_hash64(m, n[i]);
        m += n[i];
    }
    if (fread(&sum, sizeof sum, 1, f) != 1 || sum != plast_hash64(hs, sizeof hs)) goto done;
    size_t npx = (size_t)d->n * d->h * d->w;
    for (size_t i = 0; i < npx; i++)
        if (!(d->x[i] >= 0.0f && d->x[i] <= 1.0f)) goto done; /* also rejects NaN */
    ok = 1;
done:
    free(meta);
    fclose(f);
    return ok;
}

/* ---- PNG decoding ---- */

typedef struct scratch {
    unsigned char *file; /* the PNG's bytes */
    size_t file_cap, file_n, file_pos;
    unsigned char *pix;  /* decoded grey (and alpha) rows */
    size_t pix_cap;
    png_bytep *rows;
    size_t rows_cap;
    float *ink;          /* w*h ink values */
    size_t ink_cap;
    double *work;        /* resize work, size * w doubles */
    size_t work_cap;
    char msg[256];       /* libpng's message */
    jmp_buf jmp;
} scratch;

static int grow(void *pp, size_t *cap, size_t need)
{
    void **p = pp;
    if (need <= *cap) return 0;
    void *q = realloc(*p, need);
    if (!q) return -1;
    *p = q, *cap = need;
    return 0;
}

static void on_png_error(png_structp png, png_const_charp msg)
{
    scratch *s = png_get_error_ptr(png);
    snprintf(s->msg, sizeof s->msg, "%s", msg);
    longjmp(s->jmp, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg; /* warnings (an odd ancillary chunk) do not stop a load */
}

static void on_png_read(png_structp png, png_bytep out, png_size_t n)
{
    scratch *s = png_get_io_ptr(png);
    if (n > s->file_n - s->file_pos) png_error(png, "file cut short");
    memcpy(out, s->file + s->file_pos, n);
    s->file_pos += n;
}

/* Decodes s->file into s->ink (*w x *h). 0, or -1 with s->msg. The error and warning
 * functions are given to png_create_read_struct (as png_set_error_fn would), so that even
 * an error while creating the reader comes back here. Everything the error path needs lives
 * in *s (not in locals changed after setjmp). */
static int png_decode(scratch *s, int *w, int *h)
{
    if (s->file_n < 8 || png_sig_cmp(s->file, 0, 8)) {
        snprintf(s->msg, sizeof s->msg, "not a PNG file (bad signature)");
        return -1;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, s, on_png_error, on_png_warning);
    if (!png) {
        snprintf(s->msg, sizeof s->msg, "cannot create a PNG reader");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(s->msg, sizeof s->msg, "cannot create a PNG reader");
        return -1;
    }
    if (setjmp(s->jmp)) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    s->file_pos = 0;
    png_set_read_fn(png, s, on_png_read);
    png_set_user_limits(png, OMNI_MAX_SIDE, OMNI_MAX_SIDE);
    png_read_info(png, info);
    png_uint_32 pw, ph;
    int depth, color, interlace;
    png_get_IHDR(png, info, &pw, &ph, &depth, &color, &interlace, NULL, NULL);
    /* To 8-bit grey (+ alpha): 1-bit grey becomes 0 / 255. */
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_PALETTE || (color & PNG_COLOR_MASK_COLOR))
        png_set_rgb_to_gray_fixed(png, 1, -1, -1);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t ch = png_get_channels(png, info), rb = png_get_rowbytes(png, info);
    if ((ch != 1 && ch != 2) || png_get_bit_depth(png, info) != 8 || rb != ch * pw)
        png_error(png, "unsupported pixel format");
    if (grow(&s->pix, &s->pix_cap, rb * ph) ||
        grow(&s->rows, &s->rows_cap, sizeof(png_bytep) * ph) ||
        grow(&s->ink, &s->ink_cap, sizeof(float) * (size_t)pw * ph))
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < ph; y++) s->rows[y] = s->pix + (size_t)y * rb;
    png_read_image(png, s->rows);
    png_read_end(png, NULL);
    /* ink = (255 - grey) / 255; with alpha, grey is first composited over white, which gives
     * ink = (255 - grey) * alpha / 255^2. */
    size_t npx = (size_t)pw * ph;
    if (ch == 1)
        for (size_t i = 0; i < npx; i++) s->ink[i] = (float)((255 - s->pix[i]) / 255.0);
    else
        for (size_t i = 0; i < npx; i++)
            s->ink[i] = (float)((double)(255 - s->pix[2 * i]) * s->pix[2 * i + 1] / 65025.0);
    png_destroy_read_struct(&png, &info, NULL);
    *w = (int)pw, *h = (int)ph;
    return 0;
}

/* The bytes of image e into s->file. where receives the name errors use. */
static int read_entry(scratch *s, const source *src, const entry *e, char *where, size_t nw,
                      plast_err *err)
{
    if (src->is_zip) {
        snprintf(where, nw, "%s:%s", src->path, e->path);
        if (e->size > OMNI_MAX_FILE)
            return plast_err_set(err, PLAST_E_DATA, where, "image entry too large (%" PRIu64 " bytes)",
                                 e->size);
        if (grow(&s->file, &s->file_cap, (size_t)e->size + 1))
            return plast_err_set(err, PLAST_E_INTERNAL, where, "out of memory");
        zip_file_t *zf = zip_fopen_index(src->z, e->index, 0);
        if (!zf)
            return plast_err_set(err, PLAST_E_DATA, where, "unreadable zip entry: %s",
                                 zip_strerror(src->z));
        zip_int64_t got = zip_fread(zf, s->file, e->size);
        int rc = PLAST_OK;
        if (got < 0 || (uint64_t)got != e->size)
            rc = plast_err_set(err, PLAST_E_DATA, where, "unreadable zip entry: %s",
                               got < 0 ? zip_file_strerror(zf) : "cut short");
        if (zip_fclose(zf) && !rc)
            rc = plast_err_set(err, PLAST_E_DATA, where, "unreadable zip entry (checksum)");
        s->file_n = (size_t)e->size;
        return rc;
    }
    snprintf(where, nw, "%s", e->path);
    FILE *f = fopen(e->path, "rb");
    if (!f)
        return plast_err_set(err, errno == ENOENT ? PLAST_E_NOINPUT : PLAST_E_IO, where,
                             "cannot open: %s", strerror(errno));
    struct stat st;
    int rc = PLAST_OK;
    if (fstat(fileno(f), &st)) rc = plast_err_set(err, PLAST_E_IO, where, "cannot stat: %s", strerror(errno));
    else if ((uint64_t)st.st_size > OMNI_MAX_FILE)
        rc = plast_err_set(err, PLAST_E_DATA, where, "image file too large (%lld bytes)",
                           (long long)st.st_size);
    else if (grow(&s->file, &s->file_cap, (size_t)st.st_size + 1))
        rc = plast_err_set(err, PLAST_E_INTERNAL, where, "out of memory");
    else if (fread(s->file, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        rc = plast_err_set(err, PLAST_E_IO, where, "read failed");
    s->file_n = rc ? 0 : (size_t)st.st_size;
    fclose(f);
    return rc;
}

/* Decodes every image of the listing into d->x at d->h x d->w. */
static int decode_all(plast_dataset *d, const listing *l, const source *src, plast_err *err)
{
    scratch *s = calloc(1, sizeof *s);
    if (!s) return plast_err_set(err, PLAST_E_INTERNAL, "omniglot", "out of memory");
    char where[4200], first[4200] = "";
    int side = 0, rc = PLAST_OK;
    size_t dp = (size_t)d->h * d->w;
    for (size_t i = 0; i < l->n && !rc; i++) {
        const entry *e = l->e[i];
        rc = read_entry(s, &src[e->src], e, where, sizeof where, err);
        if (rc) break;
        int w, h;
        if (png_decode(s, &w, &h)) {
            rc = plast_err_set(err, PLAST_E_DATA, where, "bad PNG: %s", s->msg);
            break;
        }
        if (!side) {
            if (w != h) {
                rc = plast_err_set(err, PLAST_E_DATA, where, "image is %d x %d, not square", w, h);
                break;
            }
            side = w;
            snprintf(first, sizeof first, "%s", where);
            if (grow(&s->work, &s->work_cap, sizeof(double) * (size_t)d->h * side)) {
                rc = plast_err_set(err, PLAST_E_INTERNAL, where, "out of memory");
                break;
            }
        } else if (w != side || h != side) {
            rc = plast_err_set(err, PLAST_E_DATA, where,
                               "image is %d x %d, the first image (%s) is %d x %d", w, h, first,
                               side, side);
            break;
        }
        plast_resize_area(s->ink, side, side, d->x + i * dp, d->h, d->w, s->work);
    }
    free(s->file);
    free(s->pix);
    free(s->rows);
    free(s->ink);
    free(s->work);
    free(s);
    return rc;
}

/* ---- the load ---- */

int plast_omniglot_load(plast_dataset *d, const char *const *sources, int n_sources, int size,
                        const char *cache_dir, int *cache_hit, plast_err *err)
{
    memset(d, 0, sizeof *d);
    if (cache_hit) *cache_hit = 0;
    if (!sources || n_sources < 1)
        return plast_err_set(err, PLAST_E_USAGE, "omniglot", "no Omniglot source given");
    if (size < 1 || size > OMNI_MAX_SIZE)
        return plast_err_set(err, PLAST_E_USAGE, "omniglot", "image size %d outside 1..%d", size,
                             OMNI_MAX_SIZE);
    source *src = calloc((size_t)n_sources, sizeof *src);
    if (!src) return plast_err_set(err, PLAST_E_INTERNAL, "omniglot", "out of memory");
    listing l = {0};
    int rc = PLAST_OK;
    for (int i = 0; i < n_sources && !rc; i++) {
        size_t before = l.n;
        rc = source_open(&src[i], sources[i], err);
        if (!rc) rc = src[i].is_zip ? list_zip(&l, i, &src[i], err) : list_dir(&l, i, sources[i], err);
        if (!rc && l.n == before)
            rc = plast_err_set(err, PLAST_E_DATA, sources[i],
                               "no Omniglot images (ALPHABET/character/NAME.png) found");
    }
    if (!rc) {
        qsort(l.e, l.n, sizeof *l.e, entry_cmp);
        drop_repeated_alphabets(&l);
        rc = assign(d, &l, size, err);
    }
    uint64_t key = 0;
    char path[4200] = "";
    int hit = 0;
    if (!rc && cache_dir) {
        rc = cache_key(&key, &l, src, n_sources, size, err);
        if (!rc && snprintf(path, sizeof path, "%s/omniglot-%016" PRIx64 ".cache", cache_dir, key) >=
                       (int)sizeof path)
            rc = plast_err_set(err, PLAST_E_IO, cache_dir, "cache path too long");
        if (!rc) hit = cache_read(path, key, d);
    }
    if (!rc && !hit) rc = decode_all(d, &l, src, err);
    /* Data no task can use is not cached: the run fails right after, and leaves nothing. */
    int cacheable = !rc && cache_dir && !hit ? plast_dataset_uniform(d, NULL) : 0;
    if (cacheable < 0) rc = plast_err_set(err, PLAST_E_INTERNAL, "omniglot", "out of memory");
    if (!rc && cacheable > 0) {
        plast_err e2;
        if (plast_dir_prepare(cache_dir, 1, &e2))
            rc = plast_err_set(err, PLAST_E_IO, cache_dir, "cannot create the cache directory: %s",
                               e2.msg);
        cache_ctx c = {d, key};
        if (!rc && plast_write_atomic(path, cache_body, &c, err)) {
            if (err) err->code = PLAST_E_IO;
            rc = PLAST_E_IO;
        }
    }
    for (int i = 0; i < n_sources; i++) source_close(&src[i]);
    free(src);
    listing_free(&l);
    if (rc) plast_dataset_free(d);
    else if (cache_hit) *cache_hit = hit;
    return rc;
}
