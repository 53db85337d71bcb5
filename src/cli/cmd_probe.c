/* cmd_probe.c — `plast probe SUITE.json`: self-supervised encoders trained per method and
 * seed, scored by linear probes per layer (include/plast/probe.h). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "plast/probe.h"
#include "plast/run.h"

static void probe_note(void *ctx, const char *msg)
{
    if (!*(const int *)ctx) fprintf(stderr, "probe: %s\n", msg);
}

int cli_probe(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    int force = 0, quiet = 0, resume = 0;
    static cli_set_list sets;
    const cli_flag flags[] = {
        {"--out", CLI_STR, &out, 0, 0}, {"--force", CLI_SWITCH, &force, 0, 0},
        {"--quiet", CLI_SWITCH, &quiet, 0, 0}, {"--set", CLI_SET, &sets, 0, 0},
        {"--resume", CLI_SWITCH, &resume, 0, 0},
    };
    if (cli_parse_flags(argc, argv, flags, sizeof flags / sizeof flags[0], &path)) return PLAST_E_USAGE;
    if (!path)
        return cli_usage_error("%s", "usage: plast probe SUITE.json [--out DIR] [--set key=value ...] [--force | --resume] [--quiet]");
    char dir[4096], cmd[2048], prov[2400];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else snprintf(dir, sizeof dir, "results/%.*s", (int)(strlen(base) > 5 ? strlen(base) - 5 : strlen(base)), base);
    cli_command_line(cmd, sizeof cmd, argc, argv);
    snprintf(prov, sizeof prov, "made by `%s` at plast %s git %s", cmd, PLAST_VERSION, PLAST_GIT);
    plast_err err;
    plast_err_clear(&err);
    if (force && resume) return cli_usage_error("%s", "--force and --resume exclude each other");
    static char table[1 << 15];
    plast_probe_args a = {path, dir, sets.v, sets.n, prov, force, resume, cmd, PLAST_VERSION, PLAST_GIT};
    int rc = plast_probe_suite(&a, probe_note, &quiet, table, sizeof table, &err);
    if (rc) return cli_fail(&err);
    fputs(table, stdout);
    printf("\nresults in %s (table.md, table.csv, table.json, probe.png, run.json)\n", dir);
    return 0;
}
