/* opts.h — option tables: how rules, tasks and the network declare their settings.
 *
 * A module that has settings describes them in a static table of plast_opt (key, type,
 * where the value lives in the module's options struct, default, bounds, allowed names).
 * The config reader (src/config.c) fills the struct from JSON through the table, the
 * program lists the table in `plast list`, and the resolved config is written back from
 * it, so a setting is declared once and nowhere else. */
#ifndef PLAST_OPTS_H
#define PLAST_OPTS_H

#include <stddef.h>

typedef enum {
    PLAST_OPT_INT,    /* int; bounds lo..hi */
    PLAST_OPT_FLOAT,  /* float; bounds lo..hi, finite */
    PLAST_OPT_BOOL,   /* int 0/1 */
    PLAST_OPT_ENUM,   /* int index into choices (NULL-terminated) */
    PLAST_OPT_STRING, /* char[PLAST_OPT_STRLEN] */
    PLAST_OPT_INTS,   /* plast_ints: a list of ints, each within lo..hi */
    PLAST_OPT_NAMES,  /* plast_names: a list of distinct identifiers ([a-z0-9_], shorter than
                       * PLAST_NAME_LEN) that the module checks itself (e.g. tensor groups
                       * declared by rules); default from def_str as "a,b" */
    PLAST_OPT_OBJS    /* plast_objs: a list of objects, each read through the table `sub`
                       * into PLAST_OPT_OBJBYTES bytes; default: empty */
} plast_opt_type;

#define PLAST_OPT_STRLEN 256
#define PLAST_OPT_MAXINTS 64
#define PLAST_OPT_MAXNAMES 32
#define PLAST_NAME_LEN 24

typedef struct plast_ints {
    int n;
    int v[PLAST_OPT_MAXINTS];
} plast_ints;

typedef struct plast_names {
    int n;
    char v[PLAST_OPT_MAXNAMES][PLAST_NAME_LEN];
} plast_names;

#define PLAST_OPT_MAXOBJS 32
#define PLAST_OPT_OBJBYTES 64
typedef struct plast_objs {
    int n;
    _Alignas(16) unsigned char v[PLAST_OPT_MAXOBJS][PLAST_OPT_OBJBYTES];
} plast_objs;

struct plast_opt_table;

typedef struct plast_opt {
    const char *key;
    plast_opt_type type;
    size_t offset;               /* offsetof(options struct, field) */
    double def;                  /* numeric default (INT, FLOAT, BOOL, ENUM index) */
    double lo, hi;               /* inclusive bounds for INT, FLOAT, INTS */
    const char *const *choices;  /* ENUM names, NULL-terminated */
    const char *def_str;         /* STRING default; INTS default as "1,2,3" */
    const char *help;            /* one line for `plast list` */
    const struct plast_opt_table *sub; /* OBJS: the table of each object */
} plast_opt;

/* A table with its length and the size of the struct it fills. */
typedef struct plast_opt_table {
    const plast_opt *opt;
    int n;
    size_t size;
} plast_opt_table;

/* Writes every default into dst (dst is zeroed first). */
void plast_opts_defaults(const plast_opt_table *t, void *dst);
/* Index of name in a NULL-terminated list, or -1. */
int plast_choice_index(const char *const *choices, const char *name);
/* 1 when the list holds name. */
int plast_names_has(const plast_names *l, const char *name);

#endif
