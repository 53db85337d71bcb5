/* cifar.c — the CIFAR-10 and STL-10 binary readers (see include/plast/dataset.h).
 *
 * Both formats are fixed-size records without a header, so a file's size says how many images
 * it holds: every size is checked (a whole, non-zero number of records, counts that fit an int)
 * before the data set is allocated, and the data is then read in one pass, record by record,
 * through a small buffer. A file that shrinks between the size check and the read is caught by
 * the short read. Pixels are stored as value / 255, as the IDX reader does. */
#include "plast/dataset.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define N_CLASSES 10
#define CIFAR_PX (3 * PLAST_CIFAR10_SIDE * PLAST_CIFAR10_SIDE) /* 3072 */
#define CIFAR_REC (1 + CIFAR_PX)                                 /* 3073 */
#define STL_PLANE (PLAST_STL10_SIDE * PLAST_STL10_SIDE)          /* 9216 */
#define STL_PX (3 * STL_PLANE)                                   /* 27648 */

/* The class names of batches.meta.txt and class_names.txt, in label order. */
static const char *const cifar_names[N_CLASSES] = {"airplane", "automobile", "bird", "cat",
                                                   "deer", "dog", "frog", "horse", "ship", "truck"};
static const char *const stl_names[N_CLASSES] = {"airplane", "bird", "car", "cat", "deer",
                                                 "dog", "horse", "monkey", "ship", "truck"};

/* Opens path for reading and gives its size in bytes. A missing file is PLAST_E_NOINPUT, a
 * directory or something that is not a regular file PLAST_E_DATA. */
static int open_sized(const char *path, FILE **f, uint64_t *size, plast_err *err)
{
    *f = NULL;
    struct stat st;
    if (stat(path, &st))
        return plast_err_set(err, errno == ENOENT || errno == ENOTDIR ? PLAST_E_NOINPUT : PLAST_E_IO,
                             path, "cannot open: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return plast_err_set(err, PLAST_E_DATA, path, "not a regular file");
    *f = fopen(path, "rb");
    if (!*f)
        return plast_err_set(err, errno == ENOENT ? PLAST_E_NOINPUT : PLAST_E_IO, path,
                             "cannot open: %s", strerror(errno));
    *size = (uint64_t)st.st_size;
    return PLAST_OK;
}

/* Reads exactly n bytes of record `rec`: a short read is a file cut short (bad data) unless
 * the stream reports an error (I/O). */
static int read_exact(FILE *f, void *p, size_t n, const char *path, uint64_t rec, plast_err *err)
{
    if (fread(p, 1, n, f) == n) return PLAST_OK;
    if (ferror(f))
        return plast_err_set(err, PLAST_E_IO, path, "read failed at record %" PRIu64 ": %s", rec,
                             strerror(errno));
    return plast_err_set(err, PLAST_E_DATA, path, "cut short at record %" PRIu64, rec);
}

/* Labels, items, names: what both formats fill the same way. */
static void finish(plast_dataset *d, const char *const *names)
{
    int count[N_CLASSES] = {0};
    for (int i = 0; i < d->n; i++) {
        d->group[i] = 0;
        d->item[i] = count[d->label[i]]++;
    }
    for (int c = 0; c < N_CLASSES; c++) snprintf(d->class_name[c], 96, "%s", names[c]);
    snprintf(d->group_name[0], 64, "all");
}

int plast_cifar10_load(plast_dataset *d, const char *const *files, int n_files, plast_err *err)
{
    memset(d, 0, sizeof *d);
    if (!files || n_files < 1)
        return plast_err_set(err, PLAST_E_USAGE, "cifar10", "no CIFAR-10 file given");
    /* Pass 1: sizes only, so that the one allocation is known and checked first. */
    uint64_t total = 0;
    for (int k = 0; k < n_files; k++) {
        FILE *f;
        uint64_t size;
        int rc = open_sized(files[k], &f, &size, err);
        if (f) fclose(f);
        if (rc) return rc;
        if (size == 0 || size % CIFAR_REC)
            return plast_err_set(err, PLAST_E_DATA, files[k],
                                 "%" PRIu64 " bytes: not a whole number of %d-byte CIFAR-10 records "
                                 "(1 label byte + %d pixel bytes)",
                                 size, CIFAR_REC, CIFAR_PX);
        total += size / CIFAR_REC; /* each term < 2^64 / 3073: the sum of a few cannot wrap */
        if (total > INT32_MAX)
            return plast_err_set(err, PLAST_E_DATA, files[k], "more than %d images", INT32_MAX);
    }
    int rc = plast_dataset_alloc_chw(d, (int)total, 3, PLAST_CIFAR10_SIDE, PLAST_CIFAR10_SIDE,
                                     N_CLASSES, 1, err);
    if (rc) return rc;
    /* Pass 2: the records, whose pixel order is already [c][h][w]. */
    unsigned char rec[CIFAR_REC];
    int at = 0;
    for (int k = 0; k < n_files && !rc; k++) {
        FILE *f;
        uint64_t size;
        rc = open_sized(files[k], &f, &size, err);
        if (rc) break;
        if (size == 0 || size % CIFAR_REC || size / CIFAR_REC > total - (uint64_t)at)
            rc = plast_err_set(err, PLAST_E_DATA, files[k], "changed while being read");
        for (uint64_t r = 0; !rc && r < size / CIFAR_REC; r++, at++) {
            rc = read_exact(f, rec, sizeof rec, files[k], r, err);
            if (!rc && rec[0] >= N_CLASSES)
                rc = plast_err_set(err, PLAST_E_DATA, files[k],
                                   "record %" PRIu64 " (byte offset %" PRIu64 "): label %d, "
                                   "CIFAR-10 labels are 0..9",
                                   r, r * CIFAR_REC, rec[0]);
            if (rc) break;
            d->label[at] = rec[0];
            float *x = d->x + (size_t)at * CIFAR_PX;
            for (int i = 0; i < CIFAR_PX; i++) x[i] = (float)rec[1 + i] / 255.0f;
        }
        fclose(f);
    }
    if (!rc && at != d->n) rc = plast_err_set(err, PLAST_E_DATA, files[0], "files changed while being read");
    if (rc) {
        plast_dataset_free(d);
        return rc;
    }
    finish(d, cifar_names);
    return PLAST_OK;
}

int plast_stl10_load(plast_dataset *d, const char *images, const char *labels, plast_err *err)
{
    memset(d, 0, sizeof *d);
    FILE *fi = NULL, *fl = NULL;
    uint64_t si = 0, sl = 0;
    int rc = open_sized(images, &fi, &si, err);
    if (!rc) rc = open_sized(labels, &fl, &sl, err);
    if (!rc && (si == 0 || si % STL_PX))
        rc = plast_err_set(err, PLAST_E_DATA, images,
                           "%" PRIu64 " bytes: not a whole number of %d-byte STL-10 images "
                           "(3 x %d x %d)",
                           si, STL_PX, PLAST_STL10_SIDE, PLAST_STL10_SIDE);
    if (!rc && si / STL_PX > INT32_MAX)
        rc = plast_err_set(err, PLAST_E_DATA, images, "more than %d images", INT32_MAX);
    if (!rc && sl != si / STL_PX)
        rc = plast_err_set(err, PLAST_E_DATA, labels, "%" PRIu64 " label bytes for %" PRIu64
                           " images in %s (one byte per image)", sl, si / STL_PX, images);
    if (!rc)
        rc = plast_dataset_alloc_chw(d, (int)(si / STL_PX), 3, PLAST_STL10_SIDE, PLAST_STL10_SIDE,
                                     N_CLASSES, 1, err);
    /* Labels first: a bad one is found before the large image file is read. */
    unsigned char buf[4096];
    for (int i = 0; !rc && i < d->n; i += (int)sizeof buf) {
        size_t m = (size_t)(d->n - i) < sizeof buf ? (size_t)(d->n - i) : sizeof buf;
        rc = read_exact(fl, buf, m, labels, (uint64_t)i, err);
        for (size_t j = 0; !rc && j < m; j++) {
            if (buf[j] < 1 || buf[j] > N_CLASSES)
                rc = plast_err_set(err, PLAST_E_DATA, labels,
                                   "label %d at byte %zu: STL-10 labels are 1..10", buf[j],
                                   (size_t)i + j);
            else
                d->label[(size_t)i + j] = buf[j] - 1;
        }
    }
    /* Images: byte [c][col][row] of the file is pixel [c][row][col] of d->x. */
    unsigned char *img = rc ? NULL : malloc(STL_PX);
    if (!rc && !img) rc = plast_err_set(err, PLAST_E_INTERNAL, images, "out of memory");
    for (int i = 0; !rc && i < d->n; i++) {
        rc = read_exact(fi, img, STL_PX, images, (uint64_t)i, err);
        if (rc) break;
        float *x = d->x + (size_t)i * STL_PX;
        for (int c = 0; c < 3; c++) {
            const unsigned char *p = img + (size_t)c * STL_PLANE;
            float *q = x + (size_t)c * STL_PLANE;
            for (int col = 0; col < PLAST_STL10_SIDE; col++)
                for (int row = 0; row < PLAST_STL10_SIDE; row++)
                    q[row * PLAST_STL10_SIDE + col] = (float)p[col * PLAST_STL10_SIDE + row] / 255.0f;
        }
    }
    free(img);
    if (fi) fclose(fi);
    if (fl) fclose(fl);
    if (rc) {
        plast_dataset_free(d);
        return rc;
    }
    finish(d, stl_names);
    return PLAST_OK;
}
