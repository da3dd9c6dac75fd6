/* neurorack analyze IN [-o OUT.csv]: a sound file -> its 7 descriptor curves as CSV. */
#include "commands.h"
#include "io/curves_csv.h"
#include "neurorack.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: neurorack analyze IN [-o OUT.csv]\n\n"
               "Computes the 7 descriptor curves of a sound file as the original Neurorack did (librosa 0.9.2:\n"
               "mono, 22050 Hz, frames of 2048 samples every 512, the last frame dropped) and writes them as CSV:\n"
               "  %s\n"
               "one row per frame (43.07 per second). IN is any file libsndfile reads (WAV, FLAC, OGG, AIFF;\n"
               "any rate and channel count: mixed down to mono, then resampled with a high-quality sinc).\n\n"
               "  -o, --output OUT.csv   write there (atomically) instead of to standard output\n"
               "  -h, --help             this help\n",
            NR_CURVES_CSV_HEADER);
}

int nr_cmd_analyze(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "neurorack analyze: %s needs a file name\n", a);
                return 2;
            }
            out = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "neurorack analyze: unknown option '%s'\n\n", a);
            usage(stderr);
            return 2;
        } else if (!in) {
            in = a;
        } else {
            fprintf(stderr, "neurorack analyze: one input file only (got '%s' and '%s')\n", in, a);
            return 2;
        }
    }
    if (!in) {
        usage(stderr);
        return 2;
    }
    nr_curves c;
    if (nr_analyze_file(in, &c) != NR_OK) return nr_cli_error("analyze");
    int rc = 0;
    if (out) {
        if (nr_curves_write_csv(out, &c) != NR_OK) rc = nr_cli_error("analyze");
    } else if (!nr_curves_print_csv(stdout, &c) || fflush(stdout) != 0) {
        fprintf(stderr, "neurorack analyze: could not write to standard output\n");
        rc = 1;
    }
    nr_curves_free(&c);
    return rc;
}
