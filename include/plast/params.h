/* params.h — named parameter sets: one flat float buffer with named views.
 *
 * The network's weights and every rule's meta-parameters live in a plast_pset: a list
 * of tensor declarations (name, layer, shape, initialiser, bounds, outer-loop group) and
 * one contiguous buffer holding them all, so copying a set is one memcpy and the outer
 * loop sees a flat vector whose every slice has a name. The set owns its buffer. */
#ifndef PLAST_PARAMS_H
#define PLAST_PARAMS_H

#include <stddef.h>

#include "plast/error.h"
#include "plast/rng.h"

#define PLAST_MAX_PSPECS 512

typedef enum {
    PLAST_INIT_ZEROS,
    PLAST_INIT_CONSTANT,        /* a */
    PLAST_INIT_UNIFORM,         /* U[a, b) */
    PLAST_INIT_NORMAL,          /* mean a, std b */
    PLAST_INIT_KAIMING_UNIFORM, /* U(-a*sqrt(3/fan_in), +), a = gain (sqrt 2 for relu) */
    PLAST_INIT_KAIMING_NORMAL,  /* N(0, a/sqrt(fan_in)) */
    PLAST_INIT_XAVIER_UNIFORM,  /* U(-a*sqrt(6/(fan_in+fan_out)), +) */
    PLAST_INIT_XAVIER_NORMAL,   /* N(0, a*sqrt(2/(fan_in+fan_out))) */
    PLAST_INIT_IDENTITY         /* a on the diagonal, 0 elsewhere */
} plast_init;

extern const char *const plast_init_names[]; /* NULL-terminated, in enum order */

typedef struct plast_pspec {
    char name[32];   /* "W", "P", "beta", ... */
    char group[24];  /* outer-loop group: "weights", "feedback", "plasticity", ... */
    int layer;       /* layer index, or -1 for one tensor shared by every layer */
    int rows, cols;  /* shape [rows][cols]; fan_in = cols, fan_out = rows */
    plast_init init;
    float a, b;      /* initialiser parameters, see plast_init */
    float lo, hi;    /* inclusive bounds, -INFINITY/INFINITY when free */
    size_t offset;   /* in floats, into data */
} plast_pspec;

typedef struct plast_pset {
    int n;
    plast_pspec spec[PLAST_MAX_PSPECS];
    size_t n_floats;
    float *data; /* NULL until plast_pset_alloc */
} plast_pset;

void plast_pset_init(plast_pset *s); /* empty set */
/* Declares one tensor; only before plast_pset_alloc. */
int plast_pset_add(plast_pset *s, const char *name, const char *group, int layer, int rows,
                   int cols, plast_init init, float a, float b, float lo, float hi,
                   plast_err *err);
int plast_pset_alloc(plast_pset *s, plast_err *err); /* zeroed buffer */
void plast_pset_free(plast_pset *s);
/* dst gets src's declarations and a copy of its values in a buffer of its own. */
int plast_pset_clone(plast_pset *dst, const plast_pset *src, plast_err *err);
/* Draws every tensor from its initialiser, in declaration order, then clamps to bounds. */
void plast_pset_draw(plast_pset *s, plast_rng *rng);
/* Clamps every value into its tensor's bounds. */
void plast_pset_clamp(plast_pset *s);
/* The tensor called name at layer (exact match), or NULL. */
const plast_pspec *plast_pset_find(const plast_pset *s, const char *name, int layer);
float *plast_pset_view(const plast_pset *s, const char *name, int layer);
/* "W[3]" or "P" (layer -1): the name used in params files and messages. */
void plast_pspec_label(const plast_pspec *p, char *buf, size_t n);
/* Copies into dst the tensors k with mask[k] set from src (same layout); mask NULL: none. */
void plast_pset_overlay(plast_pset *dst, const plast_pset *src, const unsigned char *mask);
/* Two sets with the same declarations (names, layers, shapes, in order). */
int plast_pset_same_layout(const plast_pset *a, const plast_pset *b);

#endif
