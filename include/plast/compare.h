/* compare.h — results of different runs side by side (`plast compare`).
 *
 * An entry is one method scored over evaluation runs, read back from an output directory:
 * an eval directory (results.json: one entry), a meta-training run (summary.json: the
 * meta-trained rule, its starting point, online SGD) or a bench directory (table.json: one
 * entry per variant and method). Each entry carries what it was scored on, its protocol:
 * the score, the number of segments of its continual curve and, when the directory records
 * them, the task's settings ("task.KEY" = value). Entries are comparable only when every
 * protocol key both record is equal (plast_compare_check names the keys that differ); the
 * evaluation seed and the run count are not part of the protocol (other samples of the same
 * protocol), but decide whether two entries saw the same episodes run for run (paired).
 *
 * The difference of two entries (b - a, in the score's units) comes with a 95% percentile
 * bootstrap interval: over the per-run differences when the entries are paired (same
 * protocol, seed and runs: run r saw the same episode in both), else over independent
 * resamples of each. Runs that diverged (non-finite) are left out of the difference and
 * counted. */
#ifndef PLAST_COMPARE_H
#define PLAST_COMPARE_H

#include <stdint.h>

#include "plast/error.h"

#define PLAST_CMP_MAX_KEYS 64

typedef struct plast_cmp_entry {
    char source[4096];     /* the directory */
    char kind[16];         /* "eval", "meta-train", "bench" */
    char label[320];       /* the method (bench: "variant / method") */
    char score[32];        /* "MSE", "accuracy" */
    int higher_better;
    int runs, seed;        /* seed -1 when not recorded */
    int diverged;
    double mean, lo, hi;   /* final score of the finite runs, 95% CI */
    double median_all;     /* the headline over all runs (NAN: half or more diverged) */
    int n_seg;
    double *curve, *curve_lo, *curve_hi; /* [n_seg] (heap) */
    float *final;          /* [runs] per-run final scores (heap), NULL when not recorded */
    int n_keys;            /* the task's settings, when recorded; sorted by key */
    char key[PLAST_CMP_MAX_KEYS][64];
    char value[PLAST_CMP_MAX_KEYS][160];
    int has_task;          /* 0: the directory does not record the task's settings */
} plast_cmp_entry;

/* Appends the entries of one directory to (*e)[*n] (grown with realloc). A directory that
 * holds none of the three files is PLAST_E_NOINPUT; a malformed one PLAST_E_DATA. */
int plast_compare_load(const char *dir, plast_cmp_entry **e, int *n, plast_err *err);
void plast_compare_free(plast_cmp_entry *e, int n);

/* PLAST_OK when every entry is comparable with the first; else PLAST_E_DATA with the two
 * entries and every key that differs (with both values) in the message. */
int plast_compare_check(const plast_cmp_entry *e, int n, plast_err *err);

/* Whether a and b saw the same episodes run for run. */
int plast_compare_paired(const plast_cmp_entry *a, const plast_cmp_entry *b);

typedef struct plast_cmp_diff {
    double mean, lo, hi;   /* b - a; NAN when either has no per-run scores */
    int paired;
    int n_used;            /* pairs (paired) or runs of b (unpaired) used */
    int n_left_out;        /* runs left out for diverging */
} plast_cmp_diff;

/* The difference b - a and its 95% bootstrap interval, n_boot resamples from a stream
 * keyed by seed. */
int plast_compare_diff(const plast_cmp_entry *a, const plast_cmp_entry *b, int n_boot, uint64_t seed,
                       plast_cmp_diff *out, plast_err *err);

#endif
