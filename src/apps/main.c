/* neurorack: one program, one subcommand per job. */
#include "commands.h"
#include "neurorack.h"
#include "core/cpu.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <string.h>

static const nr_command g_commands[] = {
    {"analyze", "sound file -> 7 descriptor curves (CSV)", nr_cmd_analyze},
    {"render", "model + curves (or a sound to imitate) -> audio file", nr_cmd_render},
    {"convert", "original PyTorch .th weights -> native .safetensors", nr_cmd_convert},
    {"info", "describe a model file", nr_cmd_info},
    {"bench", "speed and memory of a model, analysis speed", nr_cmd_bench},
    {"play", "the instrument: real-time performer (JACK, ALSA or a file)", nr_cmd_play},
    {"dataset", "build the training manifest of one-shot impacts", nr_cmd_dataset},
    {"train", "train a model of our own on a manifest", nr_cmd_train},
    {"train-latent", "train the latent curve model (4 musical axes) on a manifest", nr_cmd_train_latent},
    {"latent-map", "draw the training sounds on the plane of two latent axes (PNG)", nr_cmd_latent_map},
    {"eval", "measure a model's fidelity against reference sounds", nr_cmd_eval},
};
#define N_COMMANDS (sizeof g_commands / sizeof g_commands[0])

static void usage(FILE *f)
{
    fprintf(f, "neurorack %s: neural impact synthesis from 7 descriptor curves\n\n"
               "usage: neurorack <command> [options]   (neurorack <command> --help for its options)\n\n",
            NR_VERSION_STRING);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (g_commands[i].run) fprintf(f, "  %-12s %s\n", g_commands[i].name, g_commands[i].summary);
}

/* glibc raises its mmap threshold each time a large block is freed (up to 32 MB), so after the first
 * model swap the next models' blocks come from the heap, whose freed holes are not given back: the
 * resident size of a long-running instrument climbs step by step with reloads until the heap settles.
 * A fixed threshold keeps every large block (model weights, voice state, curves) in its own mapping,
 * returned to the system when freed. */
#define LARGE_BLOCK_BYTES (256 * 1024)

int main(int argc, char **argv)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES);
#endif
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("neurorack %s\n", NR_VERSION_STRING);
        return 0;
    }
    /* NR_CPU naming a path this CPU or build lacks: refuse rather than run another path than asked */
    if (nr_cpu_error()) {
        fprintf(stderr, "neurorack: %s\n", nr_cpu_error());
        return 2;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], g_commands[i].name) && g_commands[i].run) return g_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "neurorack: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
