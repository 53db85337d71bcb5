/* run.c — run directories, atomic writes, checkpoints (see include/plast/run.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "plast/run.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

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

static int dir_prepare(const char *dir, int force, int create, plast_err *err);

int plast_dir_prepare(const char *dir, int force, plast_err *err)
{
    return dir_prepare(dir, force, 1, err);
}

int plast_dir_check(const char *dir, int force, plast_err *err)
{
    return dir_prepare(dir, force, 0, err);
}

static int dir_prepare(const char *dir, int force, int create, plast_err *err)
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
    if (!create) return PLAST_OK;
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

int plast_path_relative(char *buf, size_t n, const char *from, const char *to, plast_err *err)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(from, a)) return plast_err_set(err, PLAST_E_IO, from, "cannot resolve: %s", strerror(errno));
    if (!realpath(to, b)) return plast_err_set(err, PLAST_E_IO, to, "cannot resolve: %s", strerror(errno));
    /* the longest common prefix of whole components */
    size_t i = 0, common = 0;
    while (a[i] && a[i] == b[i]) {
        i++;
        if (a[i - 1] == '/') common = i;
    }
    if (!a[i] && (!b[i] || b[i] == '/')) common = i;
    else if (!b[i] && a[i] == '/') common = i;
    size_t used = 0;
    buf[0] = '\0';
    for (const char *p = a + common; *p;) { /* one ".." per component of from left */
        while (*p == '/') p++;
        if (!*p) break;
        used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s..", used ? "/" : "");
        while (*p && *p != '/') p++;
    }
    const char *rest = b + common;
    while (*rest == '/') rest++;
    if (*rest) used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s%s", used ? "/" : "", rest);
    if (!used) used = (size_t)snprintf(buf, n, ".");
    if (used >= n) return plast_err_set(err, PLAST_E_USAGE, to, "path too long");
    return PLAST_OK;
}

/* Makes a rename inside dir durable: the new directory entry is on disk, not only the
 * file's bytes. File systems that cannot sync a directory (EINVAL) are not an error. */
static int sync_dir_of(const char *path)
{
    char dir[4200];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path) >= (int)sizeof dir) return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -1;
    int rc = fsync(fd) && errno != EINVAL ? -1 : 0;
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static int write_tmp_rename(const char *path, plast_writer w, const void *ctx, int sync,
                            plast_err *err)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return plast_err_set(err, PLAST_E_USAGE, path, "path too long");
    FILE *f = fopen(tmp, "wb");
    if (!f) return plast_err_set(err, PLAST_E_IO, path, "cannot create: %s", strerror(errno));
    /* errno is saved at the step that failed: later calls (fclose, remove) may change it. */
    errno = 0;
    int rc = w(f, ctx), e = errno;
    if (!rc && fflush(f)) rc = PLAST_E_IO, e = errno;
    if (!rc && sync && fsync(fileno(f))) rc = PLAST_E_IO, e = errno;
    if (fclose(f) && !rc) rc = PLAST_E_IO, e = errno;
    if (!rc && rename(tmp, path)) rc = PLAST_E_IO, e = errno;
    if (rc) {
        remove(tmp);
        if (rc != PLAST_E_IO) return plast_err_set(err, rc, path, "write failed: bad content");
        return plast_err_set(err, rc, path, "write failed: %s", e ? strerror(e) : "stream error");
    }
    if (sync && sync_dir_of(path))
        return plast_err_set(err, PLAST_E_IO, path, "cannot sync its directory: %s", strerror(errno));
    return PLAST_OK;
}

int plast_dir_clean_tmp(const char *dir, int *n_removed, plast_err *err)
{
    if (n_removed) *n_removed = 0;
    DIR *d = opendir(dir);
    if (!d) return plast_err_set(err, errno == ENOENT ? PLAST_E_NOINPUT : PLAST_E_IO, dir,
                                 "cannot open: %s", strerror(errno));
    int rc = PLAST_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        /* Only our own pattern NAME.tmp.PID, so that a user's file is never touched. */
        const char *t = strstr(e->d_name, ".tmp.");
        if (!t || t == e->d_name) continue;
        const char *q = t + 5;
        while (*q >= '0' && *q <= '9') q++;
        if (q == t + 5 || *q) continue;
        char path[4200];
        if ((rc = plast_path_join(path, sizeof path, dir, e->d_name, err))) break;
        if (remove(path)) {
            rc = plast_err_set(err, PLAST_E_IO, path, "cannot remove a stale temporary file: %s",
                               strerror(errno));
            break;
        }
        if (n_removed) (*n_removed)++;
    }
    closedir(d);
    return rc;
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
#define CKPT_VERSION 2u /* 2: zlib crc32, sections aligned to 8 bytes */
#define CKPT_BOM 0x01020304u
#define CKPT_HEAD 32u  /* magic, version, byte-order mark, count, zero pad, config hash */
#define CKPT_TAIL 8u   /* crc32 of everything before it, as a 64-bit value */
#define CKPT_ALIGN 8u  /* every section's data starts on a multiple of this, so that readers
                        * may use it in place as doubles or 64-bit integers */

uint64_t plast_hash64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static size_t pad_to_align(size_t n)
{
    return (CKPT_ALIGN - n % CKPT_ALIGN) % CKPT_ALIGN;
}

typedef struct ckpt_writer {
    uint64_t hash;
    const plast_ckpt_section *s;
    int n;
} ckpt_writer;

/* Writes through a running crc32. */
typedef struct crc_file {
    FILE *f;
    uLong crc;
    int bad;
} crc_file;

static void cput(crc_file *w, const void *p, size_t n)
{
    if (!n) return;
    w->crc = crc32_z(w->crc, p, n);
    if (fwrite(p, 1, n, w->f) != n) w->bad = 1;
}

static int ckpt_body(FILE *f, const void *ctx)
{
    static const unsigned char zeros[CKPT_ALIGN];
    const ckpt_writer *c = ctx;
    crc_file w = {f, crc32_z(0L, Z_NULL, 0), 0};
    uint32_t version = CKPT_VERSION, bom = CKPT_BOM, count = (uint32_t)c->n, pad = 0;
    cput(&w, CKPT_MAGIC, 8);
    cput(&w, &version, 4);
    cput(&w, &bom, 4);
    cput(&w, &count, 4);
    cput(&w, &pad, 4);
    cput(&w, &c->hash, 8);
    for (int i = 0; i < c->n; i++) {
        char tag[8] = {0};
        memcpy(tag, c->s[i].tag, strnlen(c->s[i].tag, 8));
        uint64_t len = c->s[i].n;
        cput(&w, tag, 8);
        cput(&w, &len, 8);
        cput(&w, c->s[i].data, c->s[i].n);
        cput(&w, zeros, pad_to_align(c->s[i].n));
    }
    uint64_t sum = w.crc;
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
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        fclose(f);
        return plast_err_set(err, PLAST_E_DATA, path, "not a plast checkpoint (not a regular file)");
    }
    if (st.st_size < (off_t)(CKPT_HEAD + CKPT_TAIL)) {
        fclose(f);
        return plast_err_set(err, PLAST_E_DATA, path, "not a plast checkpoint (too short)");
    }
    if ((uintmax_t)st.st_size > SIZE_MAX) {
        fclose(f);
        return plast_err_set(err, PLAST_E_DATA, path, "checkpoint too large for this machine");
    }
    size_t n = (size_t)st.st_size;
    c->buf = malloc(n); /* malloc's alignment covers CKPT_ALIGN */
    if (!c->buf) {
        fclose(f);
        return plast_err_set(err, PLAST_E_INTERNAL, path, "out of memory");
    }
    errno = 0;
    size_t got = fread(c->buf, 1, n, f);
    int e = errno;
    fclose(f);
    int rc = PLAST_OK;
    uint32_t version, bom, count = 0, pad;
    if (got != n)
        rc = plast_err_set(err, PLAST_E_IO, path, "read failed: %s",
                           e ? strerror(e) : "the file shrank while being read");
    else if (memcmp(c->buf, CKPT_MAGIC, 8))
        rc = plast_err_set(err, PLAST_E_DATA, path, "not a plast checkpoint (bad magic)");
    if (!rc) {
        memcpy(&version, c->buf + 8, 4);
        memcpy(&bom, c->buf + 12, 4);
        memcpy(&count, c->buf + 16, 4);
        memcpy(&pad, c->buf + 20, 4);
        memcpy(&c->config_hash, c->buf + 24, 8);
        uint64_t sum;
        memcpy(&sum, c->buf + n - CKPT_TAIL, 8);
        if (version != CKPT_VERSION)
            rc = plast_err_set(err, PLAST_E_DATA, path,
                               "checkpoint format version %u, this plast reads %u", version,
                               CKPT_VERSION);
        else if (bom != CKPT_BOM)
            rc = plast_err_set(err, PLAST_E_DATA, path,
                               "checkpoint written on a machine of another byte order");
        else if (crc32_z(crc32_z(0L, Z_NULL, 0), c->buf, n - CKPT_TAIL) != sum)
            rc = plast_err_set(err, PLAST_E_DATA, path,
                               "checkpoint is truncated or corrupt (checksum mismatch)");
        else if (pad)
            rc = plast_err_set(err, PLAST_E_DATA, path, "checkpoint header padding is not zero");
    }
    /* Walk the sections once so that lookups cannot run past the end. */
    size_t pos = CKPT_HEAD, end = n - CKPT_TAIL;
    for (uint32_t i = 0; !rc && i < count; i++) {
        uint64_t len;
        if (end - pos < 16) {
            rc = plast_err_set(err, PLAST_E_DATA, path, "checkpoint section table is cut short");
            break;
        }
        memcpy(&len, c->buf + pos + 8, 8);
        pos += 16;
        if (len > end - pos || pad_to_align((size_t)len) > end - pos - (size_t)len) {
            rc = plast_err_set(err, PLAST_E_DATA, path, "checkpoint section runs past the end");
            break;
        }
        pos += (size_t)len;
        for (size_t k = pad_to_align((size_t)len); k; k--)
            if (c->buf[pos++]) rc = plast_err_set(err, PLAST_E_DATA, path, "checkpoint section padding is not zero");
    }
    if (!rc && pos != end)
        rc = plast_err_set(err, PLAST_E_DATA, path, "checkpoint has trailing bytes");
    if (rc) plast_ckpt_free(c);
    else c->n = n;
    return rc;
}

const void *plast_ckpt_get(const plast_ckpt *c, const char *tag, size_t *n)
{
    uint32_t count;
    memcpy(&count, c->buf + 16, 4);
    size_t pos = CKPT_HEAD;
    char want[8] = {0};
    memcpy(want, tag, strnlen(tag, 8));
    for (uint32_t i = 0; i < count; i++) {
        uint64_t len;
        memcpy(&len, c->buf + pos + 8, 8);
        if (!memcmp(c->buf + pos, want, 8)) {
            *n = (size_t)len;
            return c->buf + pos + 16;
        }
        pos += 16 + (size_t)len + pad_to_align((size_t)len);
    }
    return NULL;
}

void plast_ckpt_free(plast_ckpt *c)
{
    free(c->buf);
    memset(c, 0, sizeof *c);
}
