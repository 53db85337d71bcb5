/* idx.c — the IDX reader (MNIST, Fashion-MNIST; see include/plast/dataset.h).
 *
 * Both files go through zlib's gzopen/gzread, which reads gzip and plain files alike. The
 * header's dimensions are checked against the bytes actually present: the payload is read into
 * a byte buffer grown as data arrives (never beyond what the header claims), then one more
 * byte is asked for to catch trailing data; only then is the float data set allocated. */
#include "plast/dataset.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IDX_IMAGES 0x00000803u /* unsigned byte, 3 dimensions */
#define IDX_LABELS 0x00000801u /* unsigned byte, 1 dimension */
#define IDX_MAX_SIDE 65535     /* rows and columns: far beyond any image set, and their
                                * product stays below 2^32 */

static int idx_open(gzFile *g, const char *path, plast_err *err)
{
    struct stat st;
    if (stat(path, &st))
        return plast_err_set(err, errno == ENOENT || errno == ENOTDIR ? PLAST_E_NOINPUT : PLAST_E_IO,
                             path, "cannot open IDX file: %s", strerror(errno));
    if (S_ISDIR(st.st_mode))
        return plast_err_set(err, PLAST_E_DATA, path, "is a directory, not an IDX file");
    errno = 0;
    *g = gzopen(path, "rb");
    if (!*g)
        return plast_err_set(err, errno == ENOENT ? PLAST_E_NOINPUT : PLAST_E_IO, path,
                             "cannot open IDX file: %s", errno ? strerror(errno) : "out of memory");
    return PLAST_OK;
}

/* Reads exactly n bytes; *got receives how many arrived. A zlib error on a damaged gzip
 * stream is bad data; an errno error is I/O. */
static int idx_read(gzFile g, void *p, size_t n, size_t *got, const char *path, plast_err *err)
{
    *got = 0;
    while (*got < n) {
        size_t want = n - *got;
        if (want > (1u << 24)) want = 1u << 24;
        int r = gzread(g, (char *)p + *got, (unsigned)want);
        if (r < 0) {
            int zerr;
            const char *m = gzerror(g, &zerr);
            return plast_err_set(err, zerr == Z_ERRNO ? PLAST_E_IO : PLAST_E_DATA, path,
                                 "read failed: %s", zerr == Z_ERRNO ? strerror(errno) : m);
        }
        if (r == 0) break;
        *got += (size_t)r;
    }
    return PLAST_OK;
}

/* The header: magic then ndim big-endian 32-bit sizes. */
static int idx_header(gzFile g, const char *path, uint32_t magic, uint32_t *dims, int ndim,
                      plast_err *err)
{
    unsigned char b[16];
    size_t want = 4 * (size_t)(1 + ndim), got;
    int rc = idx_read(g, b, want, &got, path, err);
    if (rc) return rc;
    if (got < 4)
        return plast_err_set(err, PLAST_E_DATA, path, "not an IDX file (%zu bytes)", got);
    uint32_t m = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    if (m != magic)
        return plast_err_set(err, PLAST_E_DATA, path,
                             "wrong IDX magic 0x%08x (expected 0x%08x: unsigned bytes, %d dimension%s)",
                             (unsigned)m, (unsigned)magic, ndim, ndim > 1 ? "s" : "");
    if (got < want)
        return plast_err_set(err, PLAST_E_DATA, path, "IDX header cut short");
    for (int i = 0; i < ndim; i++) {
        const unsigned char *q = b + 4 + 4 * i;
        dims[i] = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
    }
    return PLAST_OK;
}

/* Reads the n-byte payload into a buffer grown as bytes arrive, then checks that nothing
 * follows. *out is malloc'd on success. */
static int idx_payload(gzFile g, size_t n, unsigned char **out, const char *path, plast_err *err)
{
    *out = NULL;
    size_t cap = n < (1u << 20) ? n : (1u << 20), have = 0;
    unsigned char *p = malloc(cap ? cap : 1);
    if (!p) return plast_err_set(err, PLAST_E_INTERNAL, path, "out of memory");
    for (;;) {
        size_t got;
        int rc = idx_read(g, p + have, cap - have, &got, path, err);
        if (rc) {
            free(p);
            return rc;
        }
        have += got;
        if (have < cap || cap == n) break; /* short read: the data ended */
        size_t ncap = cap > n / 2 ? n : 2 * cap;
        unsigned char *q = realloc(p, ncap);
        if (!q) {
            free(p);
            return plast_err_set(err, PLAST_E_INTERNAL, path, "out of memory");
        }
        p = q, cap = ncap;
    }
    if (have < n) {
        free(p);
        return plast_err_set(err, PLAST_E_DATA, path,
                             "truncated: the header announces %zu data bytes, the file holds %zu", n,
                             have);
    }
    unsigned char extra;
    size_t got;
    int rc = idx_read(g, &extra, 1, &got, path, err);
    if (!rc && got)
        rc = plast_err_set(err, PLAST_E_DATA, path,
                           "trailing bytes after the %zu data bytes the header announces", n);
    if (rc) {
        free(p);
        return rc;
    }
    *out = p;
    return PLAST_OK;
}

/* gzclose is where zlib reports a gzip stream that ends before its trailer (length and
 * CRC): that is a damaged file (bad data), not a failed read. */
static int idx_close(gzFile g, int rc, const char *path, plast_err *err)
{
    int zr = gzclose(g);
    if (rc || zr == Z_OK) return rc;
    if (zr == Z_BUF_ERROR)
        return plast_err_set(err, PLAST_E_DATA, path, "gzip data cut short (the file is truncated)");
    if (zr == Z_DATA_ERROR)
        return plast_err_set(err, PLAST_E_DATA, path, "gzip data corrupt (bad trailer)");
    return plast_err_set(err, PLAST_E_IO, path, "close failed: %s",
                         zr == Z_ERRNO ? strerror(errno) : "zlib error");
}

/* The image header's counts, each checked on its own (a product of header values proves
 * nothing: 14 x 56 and 28 x 28 have the same), then the payload's size formed in size_t with
 * an overflow check. */
static int idx_dims(const uint32_t *di, const char *path, size_t *npx, plast_err *err)
{
    if (di[0] < 1 || di[0] > INT32_MAX)
        return plast_err_set(err, PLAST_E_DATA, path, "bad IDX image count %u (1 .. %d)",
                             (unsigned)di[0], INT32_MAX);
    if (di[1] < 1 || di[1] > IDX_MAX_SIDE || di[2] < 1 || di[2] > IDX_MAX_SIDE)
        return plast_err_set(err, PLAST_E_DATA, path,
                             "bad IDX image size %u x %u (each side 1 .. %d)", (unsigned)di[1],
                             (unsigned)di[2], IDX_MAX_SIDE);
    size_t plane = (size_t)di[1] * (size_t)di[2]; /* < 2^32: fits any size_t of 32 bits or more */
    if (plane > SIZE_MAX / sizeof(float) / (size_t)di[0])
        return plast_err_set(err, PLAST_E_DATA, path,
                             "IDX file too large for this machine (%u images of %u x %u)",
                             (unsigned)di[0], (unsigned)di[1], (unsigned)di[2]);
    *npx = plane * (size_t)di[0];
    return PLAST_OK;
}

int plast_idx_shape(const char *images, int *n, int *h, int *w, plast_err *err)
{
    gzFile g = NULL;
    uint32_t di[3] = {0, 0, 0};
    size_t npx = 0;
    int rc = idx_open(&g, images, err);
    if (!rc) rc = idx_header(g, images, IDX_IMAGES, di, 3, err);
    if (!rc) rc = idx_dims(di, images, &npx, err);
    /* Only the header was read: gzclose's verdict on the rest of the stream is the full
     * load's business. */
    if (g) gzclose(g);
    if (!rc) *n = (int)di[0], *h = (int)di[1], *w = (int)di[2];
    return rc;
}

int plast_idx_load(plast_dataset *d, const char *images, const char *labels, plast_err *err)
{
    memset(d, 0, sizeof *d);
    gzFile gi = NULL, gl = NULL;
    unsigned char *pix = NULL, *lab = NULL;
    uint32_t di[3] = {0, 0, 0}, dl[1] = {0};
    size_t npx = 0;
    int rc = idx_open(&gl, labels, err);
    if (!rc) rc = idx_header(gl, labels, IDX_LABELS, dl, 1, err);
    if (!rc) rc = idx_open(&gi, images, err);
    if (!rc) rc = idx_header(gi, images, IDX_IMAGES, di, 3, err);
    if (!rc) rc = idx_dims(di, images, &npx, err);
    if (!rc && dl[0] != di[0])
        rc = plast_err_set(err, PLAST_E_DATA, labels, "%u labels for %u images in %s",
                           (unsigned)dl[0], (unsigned)di[0], images);
    if (!rc) rc = idx_payload(gl, dl[0], &lab, labels, err);
    if (!rc) rc = idx_payload(gi, npx, &pix, images, err);
    if (gl) rc = idx_close(gl, rc, labels, err);
    if (gi) rc = idx_close(gi, rc, images, err);

    int n = (int)di[0], n_classes = 0;
    if (!rc) {
        for (int i = 0; i < n; i++)
            if (lab[i] + 1 > n_classes) n_classes = lab[i] + 1;
        rc = plast_dataset_alloc(d, n, (int)di[1], (int)di[2], n_classes, 1, err);
    }
    if (!rc) {
        for (size_t i = 0; i < npx; i++) d->x[i] = (float)pix[i] / 255.0f;
        int count[256] = {0};
        for (int i = 0; i < n; i++) {
            d->label[i] = lab[i];
            d->group[i] = 0;
            d->item[i] = count[lab[i]]++;
        }
        for (int c = 0; c < n_classes; c++) snprintf(d->class_name[c], 96, "%d", c);
        snprintf(d->group_name[0], 64, "all");
    }
    free(pix);
    free(lab);
    return rc;
}
