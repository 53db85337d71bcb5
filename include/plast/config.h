/* config.h — experiment configs (JSON) and params files.
 *
 * src/config.c is the only file that includes cJSON.h. A config is read into a
 * plast_config through the option tables of the network, the chosen rule and the chosen
 * task (include/plast/opts.h): unknown keys, wrong types, out-of-range or non-finite
 * values and malformed JSON are rejected with the key path (or line and column) in the
 * error record. --set overrides ("task.order=iid") are applied to the JSON before
 * validation, so they are checked exactly like the file. The resolved config (every
 * effective value, defaults included) can be written back as JSON.
 *
 * A params file holds named tensors ("net": {"W[0]": ...}, "meta": {"P[1]": ...}) and is
 * how learned meta-parameters travel between runs (best.json). */
#ifndef PLAST_CONFIG_H
#define PLAST_CONFIG_H

#include <stdio.h>

#include "plast/error.h"
#include "plast/net.h"
#include "plast/opts.h"
#include "plast/params.h"
#include "plast/rule.h"
#include "plast/task.h"

#define PLAST_OPTS_BYTES 4096

/* Top-level settings of an evaluation. */
typedef struct plast_run_opts {
    int seed;
    int runs;
    int bootstrap;
    char params[PLAST_OPT_STRLEN];
    plast_ints params_layers; /* empty: every tensor of the params file */
} plast_run_opts;
extern const plast_opt_table plast_run_opts_table;

typedef struct plast_config {
    plast_run_opts run;
    plast_net_opts net;
    const plast_rule *rule;
    const plast_task *task;
    _Alignas(16) unsigned char rule_opts[PLAST_OPTS_BYTES];
    _Alignas(16) unsigned char task_opts[PLAST_OPTS_BYTES];
    /* The optional "campaign" section, read through the table the caller passes (the
     * outer loop's settings belong to meta/, which the core does not know). */
    const plast_opt_table *campaign_table; /* NULL when none was passed */
    int has_campaign;                      /* the file had a "campaign" section */
    _Alignas(16) unsigned char campaign_opts[PLAST_OPTS_BYTES];
    char origin[PLAST_OPT_STRLEN]; /* the file it came from */
} plast_config;

/* What a config may name, handed to the reader by the program (the core calls no
 * registry): the rules and tasks, and the table of the "campaign" section (NULL when that
 * key is not allowed; the outer loop's settings belong to meta/). */
typedef struct plast_registry {
    const plast_rule *const *rules;
    int n_rules;
    const plast_task *const *tasks;
    int n_tasks;
    const plast_opt_table *campaign;
} plast_registry;

/* Reads path (PLAST_E_NOINPUT when missing), applies the n_sets "key=value" overrides,
 * validates against reg. On error nothing in *c is meaningful. */
int plast_config_load(plast_config *c, const char *path, const char *const *sets, int n_sets,
                      const plast_registry *reg, plast_err *err);
/* Same from text already in memory; origin names it in messages. */
int plast_config_parse(plast_config *c, const char *text, const char *origin,
                       const char *const *sets, int n_sets, const plast_registry *reg,
                       plast_err *err);
/* The resolved config as JSON (every key of every table). */
int plast_config_write(const plast_config *c, FILE *f);
/* The task section alone on one line, {"name": ..., settings...} (what a result was scored
 * on, for bench tables). */
int plast_config_write_task(const plast_config *c, FILE *f);

/* Writes named tensors: sections[i] is written under names[i]; when masks is not NULL,
 * only the tensors k with masks[i][k] set. Floats are written with 9 significant digits,
 * so reading gives back the same bits. */
int plast_params_write(FILE *f, const char *rule_name, const plast_pset *const *sections,
                       const char *const *names, const unsigned char *const *masks, int n);
/* Reads a params file into the sections (same names); each tensor in the file must
 * exist with the same shape; tensors absent from the file keep their values. When layers
 * is not NULL and not empty, only tensors of those layers are read (the others are skipped
 * unchecked: a representation can move to a network with another head, and, when -1 (the
 * rule's network-wide tensors) is not among them, to another rule, which skips the tensors
 * it lacks, such as feedback, but must find some of every listed layer's). On an
 * error, tensors read before it have already been overwritten: discard the sections. When
 * loaded is not NULL, loaded[s][k] is set to 1 for every tensor k of section s read. */
int plast_params_read(const char *path, const char *rule_name, plast_pset *const *sections,
                      const char *const *names, int n, unsigned char *const *loaded,
                      const plast_ints *layers, plast_err *err);

/* A JSON string literal, escaped (quotes, backslashes, control characters). */
void plast_json_write_string(FILE *f, const char *s);
/* A JSON number with 9 significant digits (a float written so reads back to the same bits),
 * or `null` when v is NaN or infinite: JSON has no such numbers, and a diverged run's mean
 * is NaN. Every number in every JSON file plast writes goes through here. */
void plast_json_write_number(FILE *f, double v);

/* ---- reading JSON files for meta/ (suites) ----
 * A read-only view of a parsed JSON file, so that outer-loop file formats can be read
 * without a second JSON library and without cJSON.h outside this module. Every accessor
 * takes NULL (a missing key) and then answers "no". Numbers must be finite. */
typedef struct plast_json plast_json; /* opaque */
/* Parses path; PLAST_E_NOINPUT when missing, PLAST_E_CONFIG with "path:line:column" when
 * malformed. *root is freed with plast_json_delete. */
int plast_json_load(const char *path, plast_json **root, plast_err *err);
void plast_json_delete(plast_json *root);
int plast_json_is_object(const plast_json *j);
int plast_json_is_array(const plast_json *j);
/* The member called key of an object, or NULL. */
const plast_json *plast_json_get(const plast_json *obj, const char *key);
/* Members of an object or array (0 for anything else); walk them with first/next. */
int plast_json_size(const plast_json *j);
const plast_json *plast_json_first(const plast_json *j);
const plast_json *plast_json_next(const plast_json *member);
/* An object member's key; whether an earlier member of obj has the same key. */
const char *plast_json_key(const plast_json *member);
int plast_json_key_repeated(const plast_json *obj, const plast_json *member);
/* The string, or NULL when j is not a string. */
const char *plast_json_string(const plast_json *j);
/* 1 and *v when j is a finite number, else 0. */
int plast_json_number(const plast_json *j, double *v);
/* j as compact JSON text (heap, free()), or NULL when out of memory. */
char *plast_json_print(const plast_json *j);

/* Writes an option struct's values as one JSON object (for metadata). */
int plast_opts_write(const plast_opt_table *t, const void *opts, FILE *f, int indent);

#endif
