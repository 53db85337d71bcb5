/* probe.h — linear-probe evaluation of encoders trained without labels, and the probe suite.
 *
 * The encoder is frozen; every probed weighted layer's features are its output averaged over
 * the positions a weight row serves (dense: the output; conv: one value per channel). When
 * the network's input is smaller than the images (CLAPP's glimpses), every image is encoded
 * patch by patch on the grid of patch p = sqrt(n_in) and stride p/2 and the features are
 * averaged over the patches, as CLAPP's evaluation does. A softmax classifier is fitted on
 * standardised features of the labelled training split (minibatch SGD with momentum 0.9,
 * batch 128, L2) and scored on the test split. The probe is ordinary supervised learning:
 * evaluation, not a plasticity rule.
 *
 * A probe suite (plast probe SUITE.json) trains one encoder per method and seed from a base
 * config (--set style overrides per method; "train": false is the untrained, random
 * encoder of the same architecture; a method's "params" file, e.g. a campaign's best.json,
 * replaces the drawn tensors it names), probes it, and writes table.md, table.csv and
 * table.json: test accuracy per method and layer, mean over seeds with a 95% Student-t
 * interval (mean +- t_{0.975, n-1} sd / sqrt(n)), every per-seed value, and the provenance
 * line the caller gives (command, revision). */
#ifndef PLAST_PROBE_H
#define PLAST_PROBE_H

#include <stdint.h>

#include "plast/dataset.h"
#include "plast/error.h"
#include "plast/net.h"
#include "plast/opts.h"
#include "plast/ssl.h"

struct plast_config;

#define PLAST_PROBE_MAX_LAYERS 32 /* probed layers of one encoder */

typedef struct plast_probe_opts {
    plast_ints layers; /* network layer indices to probe (empty: every weighted layer) */
    int n_train, n_test; /* labelled images used (0: all of the split) */
    int epochs;
    float lr, l2;
    int split;           /* 0: training / test split; 1: a held-out part of the training split */
} plast_probe_opts;
extern const plast_opt_table plast_probe_opts_table;

/* Accuracy of a linear probe on each probed layer of net into acc[i] (layer index
 * layer_of[i]; *n_probed of them). A layer that does not exist or has no weights is
 * PLAST_E_CONFIG naming "probe.layers[i]". Allocates its own work space. */
int plast_probe_encoder(const plast_net *net, const plast_dataset *train, const plast_dataset *test,
                        const plast_probe_opts *o, uint64_t seed, float *acc, int *layer_of,
                        int *n_probed, plast_err *err);

/* The image source of a config whose task has one (saccade, views: they declare source,
 * dir, classes and side); else PLAST_E_CONFIG naming base.task.name. */
int plast_probe_source(const struct plast_config *c, plast_ssl_src *s, plast_err *err);

/* A suite run: the suite file, its output directory, the command's --set overrides (applied
 * to every method after its own), the provenance line for the tables. The directory is
 * made only after the whole suite checked out (every method's config, rule, task and probed
 * layers, and the data); an existing non-empty one is refused unless force, or with resume
 * continued: the (method, seed) cells its cells.csv holds for the same suite are kept. Once
 * the directory is made, its run.json records the command, revision and sessions as
 * meta-train's does (status "running", then "finished" or "failed"). */
typedef struct plast_probe_args {
    const char *path, *dir;
    const char *const *sets;
    int n_sets;
    const char *provenance;
    int force, resume;
    const char *cmdline, *version, *git; /* for run.json (include/plast/run_record.h) */
} plast_probe_args;

/* Runs the suite; note(ctx, msg) reports progress (may be NULL); the markdown table goes
 * into table[n]. Writes run.json, table.md, table.csv, table.json, cells.csv, probe.csv and
 * probe.gp (probe.png when gnuplot is installed). */
typedef void (*plast_probe_note)(void *ctx, const char *msg);
int plast_probe_suite(const plast_probe_args *a, plast_probe_note note, void *ctx, char *table,
                      size_t n, plast_err *err);

#endif
