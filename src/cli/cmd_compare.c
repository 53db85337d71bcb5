/* cmd_compare.c — `plast compare DIR ...` (placeholder, filled in below). */
#include "cli.h"

int cli_compare(int argc, char **argv)
{
    (void)argc, (void)argv;
    return cli_usage_error("%s", "usage: plast compare DIR[:METHOD] DIR[:METHOD] ...");
}
