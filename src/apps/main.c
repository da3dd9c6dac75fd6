/* neurorack: one program, one subcommand per job. */
#include "commands.h"
#include "neurorack.h"
#include "core/cpu.h"

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

int main(int argc, char **argv)
{
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
