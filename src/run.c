/* run.c — run directories, atomic writes, checkpoints (see include/plast/run.h). */
#include "plast/run.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int rc = mkdir(path, 0777);
        *p = '/';
        if (rc && errno != EEXIST) return -1;
    }
    return mkdir(path, 0777) && errno != EEXIST ? -1 : 0;
}

int plast_dir_prepare(const char *dir, int force, plast_err *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return plast_err_set(err, PLAST_E_USAGE, dir, "path too long");
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return plast_err_set(err, PLAST_E_USAGE, dir, "exists and is not a directory");
        DIR *d = opendir(path);
        if (!d) return plast_err_set(err, PLAST_E_IO, dir, "cannot open: %s", strerror(errno));
        int files = 0;
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) files++;
        closedir(d);
        if (files && !force)
            return plast_err_set(err, PLAST_E_USAGE, dir,
                                 "output directory exists and is not empty (use --force to write into it)");
        return PLAST_OK;
    }
    if (mkdirs(path))
        return plast_err_set(err, PLAST_E_IO, dir, "cannot create: %s", strerror(errno));
    return PLAST_OK;
}

int plast_path_join(char *buf, size_t n, const char *dir, const char *name, plast_err *err)
{
    if (snprintf(buf, n, "%s/%s", dir, name) >= (int)n)
        return plast_err_set(err, PLAST_E_USAGE, dir, "path too long");
    return PLAST_OK;
}

static int write_tmp_rename(const char *path, plast_writer w, const void *ctx, int sync,
                            plast_err *err)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return plast_err_set(err, PLAST_E_USAGE, path, "path too long");
    FILE *f = fopen(tmp, "wb");
    if (!f) return plast_err_set(err, PLAST_E_IO, path, "cannot create: %s", strerror(errno));
    int rc = w(f, ctx);
    if (!rc && fflush(f)) rc = PLAST_E_IO;
    if (!rc && sync && fsync(fileno(f))) rc = PLAST_E_IO;
    if (fclose(f) && !rc) rc = PLAST_E_IO;
    if (!rc && rename(tmp, path)) rc = PLAST_E_IO;
    if (rc) {
        int e = errno;
        remove(tmp);
        return plast_err_set(err, rc, path, "write failed: %s", rc == PLAST_E_IO ? strerror(e) : "bad content");
    }
    return PLAST_OK;
}

int plast_write_atomic(const char *path, plast_writer w, const void *ctx, plast_err *err)
{
    return write_tmp_rename(path, w, ctx, 1, err);
}

int plast_write_replace(const char *path, plast_writer w, const void *ctx, plast_err *err)
{
    return write_tmp_rename(path, w, ctx, 0, err);
}

/* ---------------- checkpoints ---------------- */

#define CKPT_MAGIC "PLASTCKP"
#define CKPT_VERSION 1u
#define CKPT_BOM 0x01020304u

uint64_t plast_hash64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

typedef struct ckpt_writer {
    uint64_t hash;
    const plast_ckpt_section *s;
    int n;
} ckpt_writer;

/* Writes through a running checksum. */
typedef struct hashed_file {
    FILE *f;
    uint64_t h;
    int bad;
} hashed_file;

static void hput(hashed_file *w, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) w->h = (w->h ^ b[i]) * 1099511628211ULL;
    if (n && fwrite(p, 1, n, w->f) != n) w->bad = 1;
}

static int ckpt_body(FILE *f, const void *ctx)
{
    const ckpt_writer *c = ctx;
    hashed_file w = {f, 1469598103934665603ULL, 0};
    uint32_t version = CKPT_VERSION, bom = CKPT_BOM, count = (uint32_t)c->n;
    hput(&w, CKPT_MAGIC, 8);
    hput(&w, &version, 4);
    hput(&w, &bom, 4);
    hput(&w, &count, 4);
    hput(&w, &c->hash, 8);
    for (int i = 0; i < c->n; i++) {
        char tag[8] = {0};
        memcpy(tag, c->s[i].tag, strnlen(c->s[i].tag, 8));
        uint64_t len = c->s[i].n;
        hput(&w, tag, 8);
        hput(&w, &len, 8);
        hput(&w, c->s[i].data, c->s[i].n);
    }
    uint64_t sum = w.h;
    if (fwrite(&sum, 8, 1, f) != 1) w.bad = 1;
    return w.bad ? PLAST_E_IO : PLAST_OK;
}

int plast_ckpt_write(const char *path, uint64_t config_hash, const plast_ckpt_section *s, int n,
                     plast_err *err)
{
    ckpt_writer c = {config_hash, s, n};
    return plast_write_atomic(path, ckpt_body, &c, err);
}

int plast_ckpt_read(const char *path, plast_ckpt *c, plast_err *err)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f)
        return plast_err_set(err, errno == ENOENT ? PLAST_E_NOINPUT : PLAST_E_IO, path,
                             "cannot open checkpoint: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) || st.st_size < 36) {
        fclose(f);
        return plast_err_set(err, PLAST_E_DATA, path, "not a plast checkpoint (too short)");
    }
    size_t n = (size_t)st.st_size;
    c->buf = malloc(n);
    if (!c->buf) {
        fclose(f);
        return plast_err_set(err, PLAST_E_INTERNAL, path, "out of memory");
    }
    size_t got = fread(c->buf, 1, n, f);
    fclose(f);
    int rc = PLAST_OK;
    uint32_t version, bom, count;
    if (got != n) rc = plast_err_set(err, PLAST_E_IO, path, "read failed");
    else if (memcmp(c->buf, CKPT_MAGIC, 8))
        rc = plast_err_set(err, PLAST_E_DATA, path, "not a plast checkpoint (bad magic)");
    if (!rc) {
        memcpy(&version, c->buf + 8, 4);
        memcpy(&bom, c->buf + 12, 4);
        memcpy(&count, c->buf + 16, 4);
        memcpy(&c->config_hash, c->buf + 20, 8);
        uint64_t sum;
        memcpy(&sum, c->buf + n - 8, 8);
        if (version != CKPT_VERSION)
            rc = plast_err_set(err, PLAST_E_DATA, path,
                               "checkpoint format version %u, this plast reads %u", version,
                               CKPT_VERSION);
        else if (bom != CKPT_BOM)
            rc = plast_err_set(err, PLAST_E_DATA, path,
                               "checkpoint written on a machine of another byte order");
        else if (plast_hash64(c->buf, n - 8) != sum)
            rc = plast_err_set(err, PLAST_E_DATA, path,
                               "checkpoint is truncated or corrupt (checksum mismatch)");
    }
    /* Walk the sections once so that lookups cannot run past the end. */
    size_t pos = 28;
    for (uint32_t i = 0; !rc && i < count; i++) {
        uint64_t len;
        if (pos + 16 > n - 8) {
            rc = plast_err_set(err, PLAST_E_DATA, path, "checkpoint section table is cut short");
            break;
        }
        memcpy(&len, c->buf + pos + 8, 8);
        if (len > n - 8 - pos - 16)
            rc = plast_err_set(err, PLAST_E_DATA, path, "checkpoint section runs past the end");
        pos += 16 + (size_t)len;
    }
    if (!rc && pos != n - 8)
        rc = plast_err_set(err, PLAST_E_DATA, path, "checkpoint has trailing bytes");
    if (rc) plast_ckpt_free(c);
    else c->n = n;
    return rc;
}

const void *plast_ckpt_get(const plast_ckpt *c, const char *tag, size_t *n)
{
    uint32_t count;
    memcpy(&count, c->buf + 16, 4);
    size_t pos = 28;
    char want[8] = {0};
    memcpy(want, tag, strnlen(tag, 8));
    for (uint32_t i = 0; i < count; i++) {
        uint64_t len;
        memcpy(&len, c->buf + pos + 8, 8);
        if (!memcmp(c->buf + pos, want, 8)) {
            *n = (size_t)len;
            return c->buf + pos + 16;
        }
        pos += 16 + (size_t)len;
    }
    return NULL;
}

void plast_ckpt_free(plast_ckpt *c)
{
    free(c->buf);
    memset(c, 0, sizeof *c);
}
