/* SCAFFOLD: replaced by the real subcommand. */
#include "commands.h"
#include <stdio.h>
int nr_cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "neurorack bench: not built yet\n");
    return 2;
}
