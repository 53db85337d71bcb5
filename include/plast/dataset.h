/* dataset.h — image data sets read from disk: Omniglot (PNG trees or the official zips), IDX
 * files (MNIST, Fashion-MNIST) and the CIFAR-10 and STL-10 binary formats, held as one float
 * array of images in [0, 1], each image channels x height x width.
 *
 * Tasks that present images (few-shot Omniglot episodes, continual Fashion-MNIST) draw from a
 * plast_dataset loaded once at set-up; nothing here runs inside an episode. A plast_dataset is
 * caller-owned storage: a loader fills it (everything in one allocation, d->buf) and
 * plast_dataset_free releases it. On failure a loader leaves *d zeroed (nothing to free) and
 * fills the error record: PLAST_E_NOINPUT for a missing file or directory, PLAST_E_DATA for a
 * file whose contents are wrong (where = the file, or "file.zip:entry" inside a zip),
 * PLAST_E_IO when reading or writing failed, PLAST_E_USAGE for bad arguments. Loaders never
 * print (libpng's messages are captured into the record) and never exit. */
#ifndef PLAST_DATASET_H
#define PLAST_DATASET_H

#include "plast/error.h"

typedef struct plast_dataset {
    int n, c, h, w;       /* n images of c*h*w floats in [0,1]; for Omniglot 1 = ink (black stroke), background 0 */
    float *x;             /* [n][c][h][w]: channel-major, each channel row-major; c = 1 for Omniglot and IDX */
    int *label;           /* [n] class 0..n_classes-1 */
    int *group;           /* [n] Omniglot: alphabet index; IDX: 0 */
    int *item;            /* [n] Omniglot: drawing index within its character (0..19, in file-name order); IDX: index within its class */
    int n_classes, n_groups;
    char (*class_name)[96];  /* [n_classes] e.g. "Alphabet_of_the_Magi/character01"; IDX: "0".."9" */
    char (*group_name)[64];  /* [n_groups] Omniglot: alphabet name; IDX: "all" */
    void *buf;            /* one allocation holding all of the arrays above, freed by plast_dataset_free */
} plast_dataset;

/* ---- shared (tasks/dataset.c) ---- */

/* Sets *d up for n images of c x h x w with n_classes and n_groups names, all zero, in one
 * allocation. Sizes are checked (n >= 0, c, h, w, n_classes, n_groups >= 1, no overflow in
 * size_t) before allocating: PLAST_E_USAGE when they are out of range, PLAST_E_INTERNAL when
 * memory runs out. plast_dataset_alloc is the one-channel case (c = 1). */
int plast_dataset_alloc_chw(plast_dataset *d, int n, int c, int h, int w, int n_classes,
                            int n_groups, plast_err *err);
int plast_dataset_alloc(plast_dataset *d, int n, int h, int w, int n_classes, int n_groups,
                        plast_err *err);
/* 1 when every class has the same number of images, stored one class after the other with
 * items 0, 1, ... in order (what a loader that sorts gives for complete data), and then
 * *per_class receives that number; 0 otherwise; -1 when memory runs out. */
int plast_dataset_uniform(const plast_dataset *d, int *per_class);
/* Releases d->buf and zeroes *d; safe on a zeroed or already freed dataset. */
void plast_dataset_free(plast_dataset *d);

/* Area-averaging resize of one sh x sw image into dh x dw: each output pixel is the mean of
 * the source over the output pixel's footprint, an exact box filter with fractional overlap
 * (weights are integer overlaps on a grid of sh*dh x sw*dw cells, summed in double, divided
 * once), so the mean of the image is preserved and an image of 0s and 1s gives exactly the
 * covered fraction. Works for shrinking and enlarging; equal sizes copy. work holds
 * dh * sw doubles. No allocation. */
void plast_resize_area(const float *src, int sh, int sw, float *dst, int dh, int dw, double *work);
/* Resizes every image of d to h x w (plast_resize_area, each channel on its own) into a new
 * allocation; labels, items and names are kept. On failure d is unchanged. */
int plast_dataset_resize(plast_dataset *d, int h, int w, plast_err *err);

/* Rotates one h x w image (row-major) counter-clockwise by quarters * 90 degrees into dst
 * (quarters taken mod 4; dst is w x h when quarters is odd, h x w otherwise). A pure pixel
 * permutation: every value is copied, none computed, so a rotation of a rotation is exact.
 * For 90 degrees, dst[i][j] = src[j][w-1-i]. src and dst must not overlap. No allocation. */
void plast_rotate90(const float *src, int h, int w, int quarters, float *dst);
/* Translates one h x w image in place by dy rows down and dx columns right, filling the
 * uncovered border with 0 (no ink): x[r][c] = x[r-dy][c-dx]. No allocation. */
void plast_translate(float *x, int h, int w, int dy, int dx);

/* ---- Omniglot (tasks/omniglot_data.c) ---- */

/* Omniglot in its official layout ALPHABET/characterNN/NAME.png, from any number of sources,
 * each a directory or an official zip (images_background_small1.zip, ...; the zip's top folder
 * is stripped, a zip without one is read as is). Hidden entries (".*", "__MACOSX") and non-PNG
 * files are skipped. Classes are ordered by (source order, alphabet name, character name) and
 * images by file name, comparing names bytewise (strcmp); labels follow that order and groups
 * number the alphabets in order of first appearance. An alphabet may appear in one source
 * only, so that no drawing is loaded twice under two labels (small1 and small2 share Greek and
 * Latin; both are subsets of images_background): PLAST_E_DATA otherwise, where = the later
 * source. A source without any ALPHABET/character/NAME.png is PLAST_E_DATA.
 *
 * Every PNG is decoded with libpng (1-bit or 8-bit grey; palette, 16-bit and colour are
 * converted to 8-bit grey, alpha is composited over white), inverted to ink
 * (ink = (255 - grey) / 255) and resized to size x size (1 <= size <= 1024) by
 * plast_resize_area; size 105 keeps the official 105 x 105 images as they are. Images need
 * not be 105 x 105, but all images of one load must be square and of one size, the size of
 * the first image in class order (at most 4096): any other size is PLAST_E_DATA.
 *
 * cache_dir non-NULL: a binary cache file there (the directory is created when missing), named
 * omniglot-HASH.cache from a 64-bit hash (plast_hash64) of the source paths as given, their
 * device, inode, size and mtime, the name, size and mtime (directory) or CRC (zip) of every
 * image listed in them, and size. Directory sources list every file in the key because a
 * directory's own mtime does not change when a file deep inside it is rewritten. A valid cache
 * is used and *cache_hit (may be NULL) set to 1; otherwise the images are decoded, the cache is
 * written atomically (plast_write_atomic: magic, version, byte-order mark, header, arrays and a
 * checksum) and *cache_hit is 0. A data set that is not uniform (plast_dataset_uniform:
 * characters with different numbers of drawings), which no Omniglot task accepts, is returned
 * but not cached, so that a failing run leaves no cache behind. A corrupt, truncated or foreign cache is ignored and rewritten
 * (not an error); a cache write failure is PLAST_E_IO (and *d is left zeroed). */
int plast_omniglot_load(plast_dataset *d, const char *const *sources, int n_sources, int size,
                        const char *cache_dir, int *cache_hit, plast_err *err);

/* ---- IDX (tasks/idx.c) ---- */

/* An IDX image file (magic 0x00000803, unsigned bytes, n x rows x cols, big-endian header) and
 * its label file (magic 0x00000801, n), each plain or gzip (zlib's gzread reads both). Pixels
 * are stored as value / 255 (0 = background as in MNIST). Checks: magic numbers, dimensions
 * (n >= 1, 1 <= rows, cols <= 65535), the bytes actually present against the header
 * (truncated data and trailing bytes are PLAST_E_DATA), labels count == images count (checked
 * before any pixel is read; where = the label file). Pixel memory is grown as the bytes arrive,
 * so a header claiming more than the file holds never causes a large allocation. Label values
 * are bytes, so below 256 by construction; n_classes = max label + 1, class_name "0".."N-1",
 * one group "all", group 0, item = index within its class in file order. */
int plast_idx_load(plast_dataset *d, const char *images, const char *labels, plast_err *err);
/* Reads only the header of an IDX image file and checks it as plast_idx_load does (magic,
 * 1 <= n <= 2^31-1, 1 <= rows, cols <= 65535): *n, *h, *w receive the counts. Lets a task
 * report its input shape before the data is loaded. Same errors as plast_idx_load. */
int plast_idx_shape(const char *images, int *n, int *h, int *w, plast_err *err);

/* ---- CIFAR-10 and STL-10 binary (tasks/cifar.c) ---- */

#define PLAST_CIFAR10_SIDE 32 /* 3 x 32 x 32 */
#define PLAST_STL10_SIDE 96   /* 3 x 96 x 96 */

/* CIFAR-10's binary version (data_batch_1.bin .. data_batch_5.bin, test_batch.bin): each file
 * is a run of 3073-byte records, a label byte 0..9 then 3072 pixel bytes, the red, green and
 * blue 32 x 32 planes, each row-major: exactly the [c][h][w] layout of d->x. The n_files files
 * are read in the order given into one data set (3 x 32 x 32, 10 classes named as CIFAR-10's
 * batches.meta.txt names them, one group "all", item = index within its class). The size of
 * every file is checked before anything is allocated: empty, or not a whole number of records
 * (a truncated file, or another format such as CIFAR-100's 3074-byte records) is PLAST_E_DATA
 * naming the file; so is a label above 9 (naming the file and the record). */
int plast_cifar10_load(plast_dataset *d, const char *const *files, int n_files, plast_err *err);

/* STL-10's binary version: an image file (train_X.bin, test_X.bin) of 27648-byte images, each
 * the red, green and blue 96 x 96 planes stored column-major (MATLAB order: byte
 * [c][col][row]), and a label file (train_y.bin, test_y.bin) of one byte 1..10 per image.
 * Images are transposed to row-major [c][h][w] and labels mapped to 0..9; 10 classes named as
 * STL-10's class_names.txt. Checked before allocating: the image file a whole, non-zero number
 * of images, the label file one byte per image (else PLAST_E_DATA naming the file that is
 * wrong: the image file when its size is not a multiple, the label file when the counts
 * differ); a label outside 1..10 is PLAST_E_DATA naming the label file and the position. */
int plast_stl10_load(plast_dataset *d, const char *images, const char *labels, plast_err *err);

#endif
