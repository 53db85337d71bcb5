/* ssl.h — what the self-supervised tasks share with the linear probe: where their images
 * come from, and the objective of an episode that has no labels.
 *
 * The saccade-sequence task (tasks/saccade.c) and the two-view task (tasks/views.c) train an
 * encoder on unlabelled images; the linear probe (meta/probe.c, include/plast/probe.h) then
 * scores its features with the labels of the same source. A source is
 *   fmnist     Fashion-MNIST (IDX): `dir`, else $PLAST_DATA/fashion-mnist, else the Debian
 *              package's /usr/share/datasets/fashion-mnist; 60000 training, 10000 test images
 *   omniglot   the shared subsets (`dir`, else $PLAST_DATA/omniglot, else
 *              ../shared/data/omniglot), 28 x 28; drawings 0-14 of every character train,
 *              15-19 test (242 classes: a few-examples probe)
 *   synthetic  generated for tests: `classes` prototypes of `side` x `side` made of three
 *              Gaussian blobs each, every image its prototype shifted by up to one pixel
 *              plus noise; 64 training and 32 test images per class, from the seed.
 *   textures   generated for tests, harder: `classes` gratings of different orientations,
 *              each image at a random phase and contrast plus noise (64 / 32 per class):
 *              every class has the same mean image, so the classes differ in texture only.
 *   clutter    generated for tests: a faint class motif (9 dimensions, periodic with 8
 *              pixels) under strong white clutter drawn once per image (64 / 32 per class):
 *              what views and grid glimpses of an image share is its class, what changes
 *              between them is most of its variance (tasks/ssl_data.c says why: the set
 *              on which self-supervised rules should beat a random encoder).
 * The unsupervised objective scores nothing (loss 0, score 0): the rules of these tasks
 * compute their own losses from the activity, and the probe is the evaluation. */
#ifndef PLAST_SSL_H
#define PLAST_SSL_H

#include <stdint.h>

#include "plast/dataset.h"
#include "plast/objective.h"
#include "plast/opts.h"

/* the generated sources come last (from PLAST_SSL_SYNTHETIC on) */
enum { PLAST_SSL_FMNIST, PLAST_SSL_OMNIGLOT, PLAST_SSL_SYNTHETIC, PLAST_SSL_TEXTURES, PLAST_SSL_CLUTTER };
extern const char *const plast_ssl_source_names[]; /* "fmnist", "omniglot", "synthetic", "textures", "clutter" */

typedef struct plast_ssl_src {
    int source;
    char dir[PLAST_OPT_STRLEN];
    int classes, side; /* generated sources only */
} plast_ssl_src;

/* The option entries of a source, for a task's table: the struct at offset `base` of the
 * task's options. PLAST_SSL_SRC_OPTS(type, field) expands to four plast_opt entries. */
#define PLAST_SSL_SRC_OPTS(T, F)                                                                    \
    {"source", PLAST_OPT_ENUM, offsetof(T, F.source), 0, 0, 0, plast_ssl_source_names, NULL,        \
     "images: fmnist, omniglot (shared subsets), synthetic, textures or clutter (generated)"},                \
    {"dir", PLAST_OPT_STRING, offsetof(T, F.dir), 0, 0, 0, NULL, "",                                \
     "data directory (default: $PLAST_DATA/..., then the system or shared copy)"},                 \
    {"classes", PLAST_OPT_INT, offsetof(T, F.classes), 4, 2, 64, NULL, NULL,                         \
     "generated sources: number of classes"},                                                   \
    {"side", PLAST_OPT_INT, offsetof(T, F.side), 12, 4, 64, NULL, NULL, "generated sources: image side"}

/* Image shape of a source without loading it (reads an IDX header). */
int plast_ssl_shape(const plast_ssl_src *s, int *c, int *h, int *w, plast_err *err);
/* A generated source is one fixed image set, as a data set on disk is: it is drawn from this
 * seed, whatever the run's seed (which varies the network, the order of the images and their
 * augmentations). The encoder a probe suite trains with seed s and the probe that scores it
 * therefore see the same images and classes. */
#define PLAST_SSL_DATA_SEED 1

/* Loads the training and test splits (test may be NULL). */
int plast_ssl_load(const plast_ssl_src *s, plast_dataset *train, plast_dataset *test,
                   plast_err *err);

/* The probe's two splits: validation = 0, the training and test splits (plast_ssl_load);
 * validation = 1, a part of the training split and a held-out part of it, for choosing
 * settings without the test split: Fashion-MNIST its first 50000 / last 10000 training
 * images, Omniglot drawings 0-11 / 12-14 of every character, a generated source 64 / 32
 * images per class drawn apart from both the training and the test images. */
int plast_ssl_load_split(const plast_ssl_src *s, int validation, plast_dataset *train,
                         plast_dataset *test, plast_err *err);

extern const plast_objective plast_objective_unsupervised;

#endif
