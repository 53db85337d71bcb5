/* cli.h — what the files of the `plast` program share: turning an error record into a
 * message and an exit code, table-driven flag parsing, and one entry point per command.
 * The program (src/cli/) is the only place that prints to the user or exits; it is not
 * part of libplast. Files: main.c (dispatch, signals, MPI), flags.c (this header's helpers),
 * cmd_help.c (help, list), cmd_eval.c, cmd_bench.c (bench, analyze), cmd_metatrain.c
 * (meta-train, show, plot), cmd_compare.c. */
#ifndef PLAST_CLI_H
#define PLAST_CLI_H

#include <signal.h>
#include <stddef.h>

#include "plast/error.h"
#include "plast/mpi.h"

#ifndef PLAST_VERSION
#define PLAST_VERSION "0.0.0"
#endif
#ifdef PLAST_HAVE_GIT_H
#include "plast_git.h" /* generated at every build: PLAST_GIT, the revision */
#endif
#ifndef PLAST_GIT
#define PLAST_GIT ""
#endif

#define CLI_MAX_SETS 64

/* Prints "plast: WHERE: MESSAGE" on stderr; returns the record's exit code. */
int cli_fail(const plast_err *e);
/* Prints "plast: " fmt (with arg) and a pointer to 'plast help'; returns PLAST_E_USAGE. */
int cli_usage_error(const char *fmt, const char *arg);

/* Command-line flags, table-driven: every command lists its flags once. */
typedef enum { CLI_SWITCH, CLI_STR, CLI_INT, CLI_FLOAT, CLI_SET } cli_flag_kind;

typedef struct cli_set_list {
    const char *v[CLI_MAX_SETS];
    int n;
} cli_set_list;

typedef struct cli_flag {
    const char *name;
    cli_flag_kind kind;
    void *dst; /* int* switch, const char** string, long* int, double* float, cli_set_list* set */
    double lo, hi;
} cli_flag;

/* Parses argv[1..argc) against the table; the one positional argument goes to *positional.
 * Prints the problem and returns PLAST_E_USAGE, or 0. */
int cli_parse_flags(int argc, char **argv, const cli_flag *flags, int n, const char **positional);
/* "plast ARGV..." into buf[n] (cut at n), for run metadata: each argument a shell word
 * (single-quoted when it needs it), so that the line can be run again. */
void cli_command_line(char *buf, size_t n, int argc, char **argv);

/* The commands: argv[0] is the command's name. Each returns the exit code. */
int cli_help(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_eval(int argc, char **argv, const volatile sig_atomic_t *interrupt);
int cli_bench(int argc, char **argv, const volatile sig_atomic_t *interrupt);
int cli_analyze(int argc, char **argv);
int cli_metatrain(int argc, char **argv, const plast_comm *comm, const volatile sig_atomic_t *interrupt);
int cli_show(int argc, char **argv);
int cli_gradcheck(int argc, char **argv); /* cmd_gradcheck.c */
int cli_plot(int argc, char **argv);
int cli_probe(int argc, char **argv); /* cmd_probe.c */
int cli_compare(int argc, char **argv);
/* Every command's name, NULL-terminated (for "did you mean"). */
extern const char *const cli_commands[];
/* The top-level help, also printed when no command is given. */
extern const char *const cli_help_main;

#endif
