/* SCAFFOLD: replaced by the real subcommand. */
#include "commands.h"
#include <stdio.h>
int nr_cmd_analyze(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "neurorack analyze: not built yet\n");
    return 2;
}
