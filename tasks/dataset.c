/* dataset.c — what every image reader shares (see include/plast/dataset.h): a plast_dataset in
 * one allocation, the exact area-averaging resize, and the quarter-turn rotations that
 * Omniglot's augmentation uses.
 *
 * Layout of d->buf: x [n*c*h*w floats], label, group, item [n ints each], class_name
 * [n_classes][96], group_name [n_groups][64]. Floats and ints are 4 bytes, so every array is
 * aligned without padding; a copy of a data set is one memcpy plus re-pointing. */
#include "plast/dataset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* *acc += a * b in size_t; 0 when that overflows (then *acc is unchanged). */
static int add_product(size_t *acc, size_t a, size_t b)
{
    if (a && b > SIZE_MAX / a) return 0;
    if (a * b > SIZE_MAX - *acc) return 0;
    *acc += a * b;
    return 1;
}

/* Bytes of the one allocation, or 0 when the sizes overflow size_t: every product and sum is
 * checked before it is formed (the sizes come from file headers). */
static size_t dataset_bytes(int n, int c, int h, int w, int n_classes, int n_groups)
{
    size_t px = 0, plane = 0, bytes = 0;
    if (!add_product(&plane, (size_t)h, (size_t)w) || !add_product(&px, (size_t)c, plane) ||
        !add_product(&bytes, px, (size_t)n) || bytes > SIZE_MAX / sizeof(float))
        return 0;
    bytes *= sizeof(float);
    if (!add_product(&bytes, (size_t)n, 3 * sizeof(int)) || !add_product(&bytes, (size_t)n_classes, 96) ||
        !add_product(&bytes, (size_t)n_groups, 64))
        return 0;
    return bytes;
}

static void dataset_point(plast_dataset *d)
{
    char *p = d->buf;
    d->x = (float *)p;
    p += (size_t)d->n * d->c * d->h * d->w * sizeof(float);
    d->label = (int *)p;
    p += (size_t)d->n * sizeof(int);
    d->group = (int *)p;
    p += (size_t)d->n * sizeof(int);
    d->item = (int *)p;
    p += (size_t)d->n * sizeof(int);
    d->class_name = (char(*)[96])p;
    p += (size_t)d->n_classes * 96;
    d->group_name = (char(*)[64])p;
}

int plast_dataset_uniform(const plast_dataset *d, int *per_class)
{
    if (d->n_classes < 1 || d->n % d->n_classes) return 0;
    int per = d->n / d->n_classes, ok = 1;
    int *first = malloc((size_t)d->n_classes * sizeof *first);
    if (!first) return -1;
    for (int c = 0; c < d->n_classes; c++) first[c] = -1;
    for (int i = 0; i < d->n; i++)
        if (d->label[i] >= 0 && d->label[i] < d->n_classes && first[d->label[i]] < 0)
            first[d->label[i]] = i;
    /* n_classes runs of per images, each of one class with items 0..per-1, cover all n. */
    for (int c = 0; c < d->n_classes && ok; c++)
        for (int k = 0; k < per && ok; k++) {
            int i = first[c] + k;
            ok = first[c] >= 0 && i < d->n && d->label[i] == c && d->item[i] == k;
        }
    free(first);
    if (ok && per_class) *per_class = per;
    return ok;
}

int plast_dataset_alloc_chw(plast_dataset *d, int n, int c, int h, int w, int n_classes,
                            int n_groups, plast_err *err)
{
    memset(d, 0, sizeof *d);
    if (n < 0 || c < 1 || h < 1 || w < 1 || n_classes < 1 || n_groups < 1)
        return plast_err_set(err, PLAST_E_USAGE, "dataset",
                             "bad data set shape: %d images of %d x %d x %d, %d classes, %d groups",
                             n, c, h, w, n_classes, n_groups);
    size_t bytes = dataset_bytes(n, c, h, w, n_classes, n_groups);
    if (!bytes)
        return plast_err_set(err, PLAST_E_USAGE, "dataset",
                             "data set too large: %d images of %d x %d x %d", n, c, h, w);
    d->buf = calloc(1, bytes);
    if (!d->buf)
        return plast_err_set(err, PLAST_E_INTERNAL, "dataset",
                             "out of memory for %d images of %d x %d x %d (%zu bytes)", n, c, h, w,
                             bytes);
    d->n = n, d->c = c, d->h = h, d->w = w, d->n_classes = n_classes, d->n_groups = n_groups;
    dataset_point(d);
    return PLAST_OK;
}

int plast_dataset_alloc(plast_dataset *d, int n, int h, int w, int n_classes, int n_groups,
                        plast_err *err)
{
    return plast_dataset_alloc_chw(d, n, 1, h, w, n_classes, n_groups, err);
}

void plast_dataset_free(plast_dataset *d)
{
    if (!d) return;
    free(d->buf);
    memset(d, 0, sizeof *d);
}

/* Overlap of source cell k, [k*dn, (k+1)*dn), with output cell i, [i*sn, (i+1)*sn), on the
 * common integer axis of sn*dn units. */
static long long overlap(int k, int i, int sn, int dn)
{
    long long lo = (long long)k * dn, hi = lo + dn;
    long long olo = (long long)i * sn, ohi = olo + sn;
    if (olo > lo) lo = olo;
    if (ohi < hi) hi = ohi;
    return hi > lo ? hi - lo : 0;
}

void plast_resize_area(const float *src, int sh, int sw, float *dst, int dh, int dw, double *work)
{
    if (sh == dh && sw == dw) {
        memcpy(dst, src, sizeof(float) * (size_t)sh * sw);
        return;
    }
    /* Rows: work[i][c] = sum_k overlap(k, i) * src[k][c]; output row i touches source rows
     * floor(i*sh/dh) .. ceil((i+1)*sh/dh)-1. */
    for (int i = 0; i < dh; i++) {
        double *t = work + (size_t)i * sw;
        for (int c = 0; c < sw; c++) t[c] = 0.0;
        int k0 = (int)((long long)i * sh / dh);
        int k1 = (int)(((long long)(i + 1) * sh + dh - 1) / dh);
        for (int k = k0; k < k1 && k < sh; k++) {
            double o = (double)overlap(k, i, sh, dh);
            const float *s = src + (size_t)k * sw;
            for (int c = 0; c < sw; c++) t[c] += o * s[c];
        }
    }
    /* Columns, then one division by the footprint's area (sh * sw units of dh * dw). */
    double area = (double)sh * (double)sw;
    for (int i = 0; i < dh; i++) {
        const double *t = work + (size_t)i * sw;
        for (int j = 0; j < dw; j++) {
            int c0 = (int)((long long)j * sw / dw);
            int c1 = (int)(((long long)(j + 1) * sw + dw - 1) / dw);
            double acc = 0.0;
            for (int c = c0; c < c1 && c < sw; c++) acc += (double)overlap(c, j, sw, dw) * t[c];
            dst[(size_t)i * dw + j] = (float)(acc / area);
        }
    }
}

int plast_dataset_resize(plast_dataset *d, int h, int w, plast_err *err)
{
    if (h == d->h && w == d->w) return PLAST_OK;
    plast_dataset r;
    int rc = plast_dataset_alloc_chw(&r, d->n, d->c, h, w, d->n_classes, d->n_groups, err);
    if (rc) return rc;
    double *work = malloc(sizeof(double) * (size_t)h * d->w);
    if (!work) {
        plast_dataset_free(&r);
        return plast_err_set(err, PLAST_E_INTERNAL, "dataset", "out of memory");
    }
    /* Channels are planes one after the other: each image is c planes, resized one by one. */
    size_t sp = (size_t)d->h * d->w, dp = (size_t)h * w, planes = (size_t)d->n * d->c;
    for (size_t i = 0; i < planes; i++)
        plast_resize_area(d->x + i * sp, d->h, d->w, r.x + i * dp, h, w, work);
    free(work);
    memcpy(r.label, d->label, sizeof(int) * (size_t)d->n);
    memcpy(r.group, d->group, sizeof(int) * (size_t)d->n);
    memcpy(r.item, d->item, sizeof(int) * (size_t)d->n);
    memcpy(r.class_name, d->class_name, (size_t)d->n_classes * 96);
    memcpy(r.group_name, d->group_name, (size_t)d->n_groups * 64);
    plast_dataset_free(d);
    *d = r;
    return PLAST_OK;
}

void plast_translate(float *x, int h, int w, int dy, int dx)
{
    /* in place: walk against the direction of the move, so every source is read before it
     * is overwritten */
    for (int k = 0; k < h; k++) {
        int r = dy > 0 ? h - 1 - k : k, sr = r - dy;
        for (int m = 0; m < w; m++) {
            int c = dx > 0 ? w - 1 - m : m, sc = c - dx;
            x[(size_t)r * w + c] = sr >= 0 && sr < h && sc >= 0 && sc < w ? x[(size_t)sr * w + sc] : 0.0f;
        }
    }
}

void plast_rotate90(const float *src, int h, int w, int quarters, float *dst)
{
    size_t H = (size_t)h, W = (size_t)w;
    switch (quarters & 3) {
    case 0:
        memcpy(dst, src, sizeof(float) * H * W);
        break;
    case 1: /* dst is w x h; its row i is source column w-1-i read top to bottom */
        for (size_t i = 0; i < W; i++)
            for (size_t j = 0; j < H; j++) dst[i * H + j] = src[j * W + (W - 1 - i)];
        break;
    case 2: /* the image read backwards */
        for (size_t k = 0; k < H * W; k++) dst[k] = src[H * W - 1 - k];
        break;
    default: /* 270: dst is w x h; its row i is source column i read bottom to top */
        for (size_t i = 0; i < W; i++)
            for (size_t j = 0; j < H; j++) dst[i * H + j] = src[(H - 1 - j) * W + i];
        break;
    }
}
