/* SCAFFOLD: replaced by the real subcommand. */
#include "commands.h"
#include <stdio.h>
int nr_cmd_info(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "neurorack info: not built yet\n");
    return 2;
}
