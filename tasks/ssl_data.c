/* ssl_data.c — image sources of the self-supervised tasks and the probe, and the
 * unsupervised objective (see include/plast/ssl.h). */
#include "plast/ssl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plast/rng.h"

const char *const plast_ssl_source_names[] = {"fmnist", "omniglot", "synthetic", "textures", "clutter", NULL};

static double none_loss(const float *out, const float *y, int n, float *g)
{
    (void)out, (void)y;
    for (int i = 0; i < n; i++) g[i] = 0.0f;
    return 0.0;
}

static float none_score(const float *out, const float *y, int n)
{
    (void)out, (void)y, (void)n;
    return 0.0f;
}

const plast_objective plast_objective_unsupervised = {
    .name = "unsupervised",
    .score_name = "none",
    .loss_name = "none (the rule's own loss)",
    .higher_better = 1,
    .teacher = 0,
    .loss_grad = none_loss,
    .score = none_score,
};

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void base_dir(const plast_ssl_src *s, const char *sub, const char *fallback, char *out,
                     size_t n)
{
    if (s->dir[0]) snprintf(out, n, "%s", s->dir);
    else if (getenv("PLAST_DATA")) snprintf(out, n, "%s/%s", getenv("PLAST_DATA"), sub);
    else snprintf(out, n, "%s", fallback);
}

/* dir/name, or dir/name.gz when only that exists. */
static void idx_file(const char *dir, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", dir, name);
    if (!exists(out)) snprintf(out, n, "%s/%s.gz", dir, name);
}

static int fmnist_files(const plast_ssl_src *s, char f[4][PLAST_OPT_STRLEN + 64], plast_err *err)
{
    char dir[PLAST_OPT_STRLEN + 16];
    base_dir(s, "fashion-mnist", "/usr/share/datasets/fashion-mnist", dir, sizeof dir);
    if (!exists(dir))
        return plast_err_set(err, PLAST_E_NOINPUT, dir,
                             "Fashion-MNIST not found: install dataset-fashion-mnist, set "
                             "PLAST_DATA, or give task.dir");
    static const char *const names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    for (int i = 0; i < 4; i++) idx_file(dir, names[i], f[i], sizeof f[i]);
    return PLAST_OK;
}

int plast_ssl_shape(const plast_ssl_src *s, int *c, int *h, int *w, plast_err *err)
{
    *c = 1;
    if (s->source >= PLAST_SSL_SYNTHETIC) {
        *h = *w = s->side;
        return PLAST_OK;
    }
    if (s->source == PLAST_SSL_OMNIGLOT) {
        *h = *w = 28;
        return PLAST_OK;
    }
    char f[4][PLAST_OPT_STRLEN + 64];
    int rc = fmnist_files(s, f, err), n;
    return rc ? rc : plast_idx_shape(f[0], &n, h, w, err);
}

/* Prototypes of three blobs each; an image is its prototype shifted by -1..1 pixels plus
 * N(0, 0.1^2) noise, clipped to [0, 1]. */
static int synthetic(const plast_ssl_src *s, uint64_t seed, int per_class, int split,
                     plast_dataset *d, plast_err *err)
{
    int C = s->classes, S = s->side;
    int rc = plast_dataset_alloc(d, C * per_class, S, S, C, 1, err);
    if (rc) return rc;
    plast_rng r;
    plast_rng_seed(&r, seed, 0x5e1f);
    float blob[64][3][3]; /* class, blob: centre y, x, width */
    for (int c = 0; c < C; c++)
        for (int k = 0; k < 3; k++) {
            blob[c][k][0] = 1.5f + plast_rng_uniform(&r) * (float)(S - 3);
            blob[c][k][1] = 1.5f + plast_rng_uniform(&r) * (float)(S - 3);
            blob[c][k][2] = 0.8f + plast_rng_uniform(&r) * (float)S / 8.0f;
        }
    plast_rng_seed(&r, seed, 0x5e20 + (uint64_t)split);
    for (int c = 0; c < C; c++) {
        snprintf(d->class_name[c], sizeof d->class_name[c], "%d", c);
        for (int i = 0; i < per_class; i++) {
            int at = c * per_class + i;
            float dy = (float)plast_rng_below(&r, 3) - 1.0f, dx = (float)plast_rng_below(&r, 3) - 1.0f;
            float *im = d->x + (size_t)at * S * S;
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) {
                    float v = 0.0f;
                    for (int k = 0; k < 3; k++) {
                        float ey = ((float)y - blob[c][k][0] - dy) / blob[c][k][2];
                        float ex = ((float)x - blob[c][k][1] - dx) / blob[c][k][2];
                        v += expf(-0.5f * (ey * ey + ex * ex));
                    }
                    v += 0.1f * (float)plast_rng_normal(&r);
                    im[y * S + x] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
                }
            d->label[at] = c;
            d->item[at] = i;
        }
    }
    snprintf(d->group_name[0], sizeof d->group_name[0], "all");
    return PLAST_OK;
}

/* Class c is a grating of orientation pi c / C and period 4 pixels; an image is that grating
 * at a random phase and a contrast in [0.5, 1], plus N(0, 0.1^2) noise, clipped to [0, 1].
 * Every class's mean image is the same flat grey (the phase is uniform), so the classes differ
 * in texture only: a linear read-out of pixels, or of features that keep the phase, is near
 * chance, and features invariant to shifts (the views' augmentation) tell them apart. */
static int textures(const plast_ssl_src *s, uint64_t seed, int per_class, int split,
                    plast_dataset *d, plast_err *err)
{
    int C = s->classes, S = s->side;
    int rc = plast_dataset_alloc(d, C * per_class, S, S, C, 1, err);
    if (rc) return rc;
    plast_rng r;
    plast_rng_seed(&r, seed, 0x7e40 + (uint64_t)split);
    const double pi = 3.14159265358979323846, k = 2.0 * pi / 4.0;
    for (int c = 0; c < C; c++) {
        snprintf(d->class_name[c], sizeof d->class_name[c], "%d", c);
        double cy = sin(pi * c / C), cx = cos(pi * c / C);
        for (int i = 0; i < per_class; i++) {
            int at = c * per_class + i;
            double phase = 2.0 * pi * plast_rng_uniform(&r), a = 0.5 + 0.5 * plast_rng_uniform(&r);
            float *im = d->x + (size_t)at * S * S;
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) {
                    double v = 0.5 + 0.4 * a * sin(k * (x * cx + y * cy) + phase) +
                               0.1 * plast_rng_normal(&r);
                    im[y * S + x] = (float)(v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v);
                }
            d->label[at] = c;
            d->item[at] = i;
        }
    }
    snprintf(d->group_name[0], sizeof d->group_name[0], "all");
    return PLAST_OK;
}

/* The motif basis of the clutter source: a constant and the cosine and sine of the four
 * lowest 2-D frequencies of period MOTIF_PERIOD pixels, (1,0), (0,1), (1,1) and (1,-1), each
 * of unit RMS over an image of side S (orthonormal up to 1 / (S S) when S is a multiple of
 * the period): basis [MOTIF_DIMS][S S]. */
#define MOTIF_PERIOD 8
#define MOTIF_DIMS 9

static void motif_basis(int S, double *basis)
{
    static const int f[4][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}};
    const double k = 2.0 * 3.14159265358979323846 / MOTIF_PERIOD;
    for (int p = 0; p < S * S; p++) basis[p] = 1.0;
    for (int m = 1; m < MOTIF_DIMS; m++) {
        const int *q = f[(m - 1) / 2];
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                double a = k * (q[0] * x + q[1] * y);
                basis[(size_t)m * S * S + y * S + x] = sqrt(2.0) * ((m - 1) % 2 ? sin(a) : cos(a));
            }
    }
}

/* v [S S] (+)= scale times a random unit-norm combination of the motif basis. */
static void add_motif(plast_rng *r, const double *basis, int S, double scale, double *v)
{
    double g[MOTIF_DIMS], n = 0.0;
    for (int m = 0; m < MOTIF_DIMS; m++) g[m] = plast_rng_normal(r), n += g[m] * g[m];
    n = sqrt(n);
    for (int m = 0; m < MOTIF_DIMS; m++)
        for (int p = 0; p < S * S; p++) v[p] += scale * g[m] / n * basis[(size_t)m * S * S + p];
}

/* A faint class motif under strong clutter: the set on which a self-supervised local rule
 * should beat a random encoder, and why (README, "When a trained encoder beats a random one").
 *   image = CLUTTER_SIGNAL (prototype_c + CLUTTER_OWN own_i) + CLUTTER_NOISE n_i
 * prototype_c and own_i are random unit-RMS images in the span of the motif basis (9
 * dimensions, periodic with 8 pixels); n_i is white noise, N(0, 1) per pixel, drawn once per
 * image (it is part of the image, not an augmentation). So:
 * - the class is shared by every view and every glimpse of an image: a shift of a view moves
 *   the motif within its 9-dimensional span, and glimpses on a grid of stride 8 all see it at
 *   the same phase;
 * - the clutter changes from view to view (a shift of a pixel decorrelates white noise) and
 *   from glimpse to glimpse (glimpses of stride >= patch share no pixel): contrastive and
 *   predictive rules, which keep what two views or successive glimpses share, learn to
 *   discard it;
 * - the clutter carries most of the variance (standard deviation 0.3 per pixel against
 *   0.15 x 1.12 for the signal: 76 %), spread over all S^2 directions; the class lies in 9
 *   of them: a random layer narrower than its input keeps about width / S^2 of the signal's
 *   energy and all of the clutter's per direction, so its features are mostly clutter,
 *   while a layer aligned with the motif keeps the whole signal;
 * - own_i (half the prototype's amplitude) makes images of one class differ in what their
 *   views share, so that negatives of the same class can be told apart.
 * Pixel values are on Fashion-MNIST's scale (standard deviation 0.34; it has 0.35), so
 * the rules' margins and rates mean what they mean there. Not clipped. */
#define CLUTTER_SIGNAL 0.15
#define CLUTTER_OWN 0.5
#define CLUTTER_NOISE 0.3

static int clutter(const plast_ssl_src *s, uint64_t seed, int per_class, int split,
                   plast_dataset *d, plast_err *err)
{
    int C = s->classes, S = s->side;
    size_t px = (size_t)S * S;
    int rc = plast_dataset_alloc(d, C * per_class, S, S, C, 1, err);
    if (rc) return rc;
    double *basis = malloc((MOTIF_DIMS + (size_t)C + 1) * px * sizeof(double));
    if (!basis) {
        plast_dataset_free(d);
        return plast_err_set(err, PLAST_E_INTERNAL, "task", "out of memory");
    }
    double *proto = basis + MOTIF_DIMS * px, *v = proto + (size_t)C * px;
    motif_basis(S, basis);
    plast_rng r;
    plast_rng_seed(&r, seed, 0xc1a0);
    memset(proto, 0, (size_t)C * px * sizeof(double));
    for (int c = 0; c < C; c++) add_motif(&r, basis, S, 1.0, proto + (size_t)c * px);
    plast_rng_seed(&r, seed, 0xc1a1 + (uint64_t)split);
    for (int c = 0; c < C; c++) {
        snprintf(d->class_name[c], sizeof d->class_name[c], "%d", c);
        for (int i = 0; i < per_class; i++) {
            int at = c * per_class + i;
            memcpy(v, proto + (size_t)c * px, px * sizeof(double));
            add_motif(&r, basis, S, CLUTTER_OWN, v);
            float *im = d->x + (size_t)at * px;
            for (size_t p = 0; p < px; p++)
                im[p] = (float)(CLUTTER_SIGNAL * v[p] + CLUTTER_NOISE * plast_rng_normal(&r));
            d->label[at] = c;
            d->item[at] = i;
        }
    }
    snprintf(d->group_name[0], sizeof d->group_name[0], "all");
    free(basis);
    return PLAST_OK;
}

/* A generated source: per_class images of every class of split (0 training, 1 test, 2 held
 * out for validation) into d; the classes depend on the seed only. */
typedef int (*generator)(const plast_ssl_src *s, uint64_t seed, int per_class, int split,
                         plast_dataset *d, plast_err *err);

static generator generator_of(int source)
{
    return source == PLAST_SSL_CLUTTER ? clutter : source == PLAST_SSL_TEXTURES ? textures : synthetic;
}

/* The images of src whose key (its drawing number when by_item, else its index) lies in
 * [lo, hi), into d. */
static int subset(const plast_dataset *src, int by_item, int lo, int hi, plast_dataset *d,
                  plast_err *err)
{
#define KEY(i) (by_item ? src->item[i] : (i))
    int n = 0;
    for (int i = 0; i < src->n; i++) n += KEY(i) >= lo && KEY(i) < hi;
    int rc = plast_dataset_alloc(d, n, src->h, src->w, src->n_classes, src->n_groups, err);
    if (rc) return rc;
    size_t px = (size_t)src->h * src->w;
    int k = 0;
    for (int i = 0; i < src->n; i++) {
        if (KEY(i) < lo || KEY(i) >= hi) continue;
        memcpy(d->x + (size_t)k * px, src->x + (size_t)i * px, px * sizeof(float));
        d->label[k] = src->label[i], d->group[k] = src->group[i], d->item[k] = src->item[i];
        k++;
    }
    memcpy(d->class_name, src->class_name, sizeof d->class_name[0] * (size_t)src->n_classes);
    memcpy(d->group_name, src->group_name, sizeof d->group_name[0] * (size_t)src->n_groups);
    return PLAST_OK;
#undef KEY
}

int plast_ssl_load(const plast_ssl_src *s, plast_dataset *train, plast_dataset *test,
                   plast_err *err)
{
    const uint64_t seed = PLAST_SSL_DATA_SEED;
    memset(train, 0, sizeof *train);
    if (test) memset(test, 0, sizeof *test);
    int rc;
    if (s->source >= PLAST_SSL_SYNTHETIC) {
        generator gen = generator_of(s->source);
        rc = gen(s, seed, 64, 0, train, err);
        if (!rc && test) rc = gen(s, seed, 32, 1, test, err);
    } else if (s->source == PLAST_SSL_FMNIST) {
        char f[4][PLAST_OPT_STRLEN + 64];
        rc = fmnist_files(s, f, err);
        if (!rc) rc = plast_idx_load(train, f[0], f[1], err);
        if (!rc && test) rc = plast_idx_load(test, f[2], f[3], err);
    } else {
        char dir[PLAST_OPT_STRLEN + 16], z[2][PLAST_OPT_STRLEN + 64];
        base_dir(s, "omniglot", "../shared/data/omniglot", dir, sizeof dir);
        const char *src[2] = {z[0], z[1]};
        int n_src = 0;
        struct stat st;
        if (stat(dir, &st))
            return plast_err_set(err, PLAST_E_NOINPUT, dir,
                                 "Omniglot not found: give task.dir or set PLAST_DATA");
        if (S_ISDIR(st.st_mode)) {
            snprintf(z[0], sizeof z[0], "%s/images_background_small1.zip", dir);
            snprintf(z[1], sizeof z[1], "%s/images_background_small2.zip", dir);
            n_src = exists(z[0]) && exists(z[1]) ? 2 : 0;
            if (!n_src) snprintf(z[0], sizeof z[0], "%s", dir), n_src = 1;
        } else {
            snprintf(z[0], sizeof z[0], "%s", dir), n_src = 1;
        }
        plast_dataset all;
        int hit;
        rc = plast_omniglot_load(&all, src, n_src, 28, "results/cache", &hit, err);
        if (rc) return rc;
        rc = subset(&all, 1, 0, 15, train, err);
        if (!rc && test) rc = subset(&all, 1, 15, 20, test, err);
        plast_dataset_free(&all);
    }
    if (rc) {
        plast_dataset_free(train);
        if (test) plast_dataset_free(test);
    }
    return rc;
}

int plast_ssl_load_split(const plast_ssl_src *s, int validation, plast_dataset *train,
                         plast_dataset *test, plast_err *err)
{
    const uint64_t seed = PLAST_SSL_DATA_SEED;
    if (!validation) return plast_ssl_load(s, train, test, err);
    memset(train, 0, sizeof *train), memset(test, 0, sizeof *test);
    if (s->source >= PLAST_SSL_SYNTHETIC) {
        generator gen = generator_of(s->source);
        int rc = gen(s, seed, 64, 0, train, err);
        if (!rc) rc = gen(s, seed, 32, 2, test, err);
        if (rc) plast_dataset_free(train), plast_dataset_free(test);
        return rc;
    }
    plast_dataset all;
    int rc = plast_ssl_load(s, &all, NULL, err);
    if (rc) return rc;
    int by_item = s->source == PLAST_SSL_OMNIGLOT;
    int cut = by_item ? 12 : all.n - all.n / 6, end = by_item ? 15 : all.n;
    rc = subset(&all, by_item, 0, cut, train, err);
    if (!rc) rc = subset(&all, by_item, cut, end, test, err);
    plast_dataset_free(&all);
    if (rc) plast_dataset_free(train), plast_dataset_free(test);
    return rc;
}
