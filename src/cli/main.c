/* main.c — the `plast` program's entry point: the command dispatch, the version line, MPI
 * set-up for meta-train, and the stop signals. The commands live in cmd_*.c beside it
 * (see cli.h); the program is the only place that prints to the user or exits. Each
 * command parses its flags, hands the work to the library, turns its error records into
 * one message on stderr and a sysexits code (include/plast/error.h), and prints results
 * on stdout. Bad input is detected before an output directory is created. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "plast/linalg.h"
#include "plast/mpi.h"
#include "plast/suggest.h"

/* SIGINT and SIGTERM during meta-training: the run stops after writing a checkpoint of
 * the last finished generation (exit 75); during bench, after writing the finished cells
 * (exit 75, --resume continues); during eval, before its directory is made (exit 75).
 * Other commands keep the default (stop now). */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static const volatile sig_atomic_t *catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return &interrupted;
}

int main(int argc, char **argv)
{
    plast_linalg_init();
    /* Past a file-size limit a write must fail with EFBIG (exit 74 naming the file, the
     * temporary file removed) rather than the default SIGXFSZ killing the process. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        fputs(cli_help_main, stderr);
        return PLAST_E_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        char blas[160];
        plast_linalg_blas_name(blas, sizeof blas);
        printf("plast %s%s%s\n%s\nMPI: %s\n", PLAST_VERSION, PLAST_GIT[0] ? " git " : "", PLAST_GIT,
               blas, plast_mpi_available() ? "yes" : "no");
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
        return cli_help(argc - 1, argv + 1);
    /* `plast COMMAND --help` (or -h) anywhere among its arguments: the command's help. */
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            char *h[2] = {"help", argv[1]};
            return cli_help(2, h);
        }
    if (!strcmp(cmd, "eval")) return cli_eval(argc - 1, argv + 1, catch_stop_signals());
    if (!strcmp(cmd, "meta-train")) {
        plast_comm comm = {0, 1, NULL, NULL};
        if (!plast_mpi_launched()) return cli_metatrain(argc - 1, argv + 1, &comm, catch_stop_signals());
        plast_err err;
        if (plast_mpi_init(&argc, &argv, &comm, &err)) return cli_fail(&err);
        int rc = cli_metatrain(argc - 1, argv + 1, &comm, catch_stop_signals());
        plast_mpi_finalize();
        return rc;
    }
    if (!strcmp(cmd, "show")) return cli_show(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench")) return cli_bench(argc - 1, argv + 1, catch_stop_signals());
    if (!strcmp(cmd, "analyze")) return cli_analyze(argc - 1, argv + 1);
    if (!strcmp(cmd, "plot")) return cli_plot(argc - 1, argv + 1);
    if (!strcmp(cmd, "compare")) return cli_compare(argc - 1, argv + 1);
    if (!strcmp(cmd, "list")) return cli_list(argc - 1, argv + 1);
    if (!strcmp(cmd, "probe")) return cli_probe(argc - 1, argv + 1);
    if (!strcmp(cmd, "gradcheck")) return cli_gradcheck(argc - 1, argv + 1);
    const char *best = plast_suggest(cmd, cli_commands, -1);
    if (best) {
        fprintf(stderr, "plast: unknown command '%s'; did you mean '%s'?\n(see 'plast help')\n", cmd, best);
        return PLAST_E_USAGE;
    }
    return cli_usage_error("unknown command '%s'", cmd);
}
