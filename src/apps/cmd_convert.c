/* neurorack convert IN OUT: any model file (the original .th) -> native .safetensors. */
#include "commands.h"
#include "neurorack.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: neurorack convert IN.th OUT.safetensors\n"
               "  Reads the original PyTorch weights (or any model file), checks them against the\n"
               "  architecture and writes the native safetensors model (atomically).\n");
}

int nr_cmd_convert(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc != 3) {
        usage(stderr);
        return 2;
    }
    nr_model *m;
    if (nr_model_load(argv[1], &m) != NR_OK) return nr_cli_error("convert");
    nr_result r = nr_model_save(m, argv[2]);
    nr_model_info info;
    nr_model_get_info(m, &info);
    nr_model_free(m);
    if (r != NR_OK) return nr_cli_error("convert");
    printf("%s -> %s: %s, %lld parameters\n", argv[1], argv[2], info.arch, (long long)info.n_params);
    return 0;
}
