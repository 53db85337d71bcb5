/* flags.c — the program's shared helpers: error records to messages and exit codes, and
 * table-driven flag parsing with range-checked numbers (see cli.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_fail(const plast_err *e)
{
    if (e->where[0])
        fprintf(stderr, "plast: %s: %s\n", e->where, e->msg);
    else
        fprintf(stderr, "plast: %s\n", e->msg);
    return e->code ? e->code : PLAST_E_INTERNAL;
}

int cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "plast: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'plast help')\n");
    return PLAST_E_USAGE;
}

/* A whole decimal integer in lo..hi, or -1 with a message. */
static int parse_int(const char *flag, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "plast: %s expects an integer in %ld..%ld, not '%s'\n", flag, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* A parsed float flag value in lo..hi, or -1 with a message. */
static int parse_float(const char *flag, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "plast: %s expects a number in %g..%g, not '%s'\n", flag, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}


/* Parses argv[1..argc) against the table; the one positional argument goes to *positional.
 * Prints the problem and returns PLAST_E_USAGE, or 0. */
int cli_parse_flags(int argc, char **argv, const cli_flag *flags, int n, const char **positional)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const cli_flag *f = NULL;
        for (int k = 0; k < n && !f; k++)
            if (!strcmp(a, flags[k].name)) f = &flags[k];
        if (!f) {
            if (a[0] == '-' && a[1]) return cli_usage_error("unknown option %s", a);
            if (*positional) return cli_usage_error("unexpected argument '%s'", a);
            *positional = a;
            continue;
        }
        if (f->kind == CLI_SWITCH) {
            *(int *)f->dst = 1;
            continue;
        }
        if (i + 1 >= argc) return cli_usage_error("option %s needs a value", a);
        const char *v = argv[++i];
        long iv;
        switch (f->kind) {
        case CLI_STR: *(const char **)f->dst = v; break;
        case CLI_INT:
            if (parse_int(a, v, (long)f->lo, (long)f->hi, &iv)) return PLAST_E_USAGE;
            *(long *)f->dst = iv;
            break;
        case CLI_FLOAT:
            if (parse_float(a, v, f->lo, f->hi, (double *)f->dst)) return PLAST_E_USAGE;
            break;
        case CLI_SET: {
            cli_set_list *l = f->dst;
            if (l->n == CLI_MAX_SETS) return cli_usage_error("at most %s --set options", "64");
            l->v[l->n++] = v;
            break;
        }
        case CLI_SWITCH: break;
        }
    }
    return 0;
}

/* arg as one POSIX shell word: as it is when every character is safe unquoted, else in single
 * quotes (a quote inside written '\''), so that the command line can be run again. */
static size_t shell_word(char *buf, size_t n, const char *arg)
{
    int plain = arg[0] != '\0';
    for (const char *c = arg; *c && plain; c++)
        plain = isalnum((unsigned char)*c) || strchr("_./:=,@%+-", *c);
    if (plain) return (size_t)snprintf(buf, n, " %s", arg);
    size_t used = (size_t)snprintf(buf, n, " '");
    for (const char *c = arg; *c && used < n; c++)
        used += *c == '\'' ? (size_t)snprintf(buf + used, n - used, "'\\''")
                           : (size_t)snprintf(buf + used, n - used, "%c", *c);
    return used < n ? used + (size_t)snprintf(buf + used, n - used, "'") : used;
}

void cli_command_line(char *buf, size_t n, int argc, char **argv)
{
    size_t used = (size_t)snprintf(buf, n, "plast");
    for (int i = 0; i < argc && used < n; i++) used += shell_word(buf + used, n - used, argv[i]);
}
