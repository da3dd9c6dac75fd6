/* neurorack render: descriptor curves (a template, a CSV, or a sound to imitate) -> model -> audio file. */
#include "commands.h"
#include "neurorack.h"
#include "nr/templates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: neurorack render [--model FILE] [--like SOUND | --curves CSV | --template NAME] -o OUT\n"
            "  --model FILE     .th or .safetensors (default: the shipped default model)\n"
            "  --like SOUND     analyse SOUND and re-synthesise it from its descriptor curves\n"
            "  --curves CSV     curves from `neurorack analyze`\n"
            "  --template NAME  a template: the model's (neurorack info lists them), a built-in (impact, kick,\n"
            "                   boom, snare, metal, wood) or ~/.config/neurorack/templates/NAME.csv\n"
            "                   (default: the model's default template, else impact)\n"
            "  --transpose S    move the pitch curve by S semitones (x 2^(S/12), as the pitch_voct CV)\n"
            "  --frames N       render only the first N frames (43.07 frames per second)\n"
            "  --seed N         random phases and noise (default 1)\n"
            "  --no-noise       every random draw is zero (the original's deterministic run)\n"
            "  --band-limited   no harmonic above Nyquist (the original aliases)\n"
            "  --rate HZ        resample the output (e.g. 48000); default: the model's rate\n"
            "  --format F       float | 24 | 16 (default float; FLAC is written as 24-bit)\n"
            "  --block N        samples per streaming block (default 4096)\n"
            "  --threads N      threads inside one voice (default 1)\n"
            "  -o OUT           output file; WAV, FLAC, OGG or AIFF by extension\n");
}

int nr_cmd_render(int argc, char **argv)
{
    const char *model_path = NULL, *like = NULL, *csv = NULL, *tmpl = NULL, *out_path = NULL;
    long frames = 0, rate = 0, block = 4096, threads = 1, seed = 1;
    double transpose = 0.0;
    int no_noise = 0, band_limited = 0;
    nr_sample_format fmt = NR_SAMPLE_FLOAT;
    const char *me = "render";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--no-noise")) {
            no_noise = 1;
        } else if (!strcmp(a, "--band-limited")) {
            band_limited = 1;
        } else if (!v) {
            fprintf(stderr, "neurorack render: %s needs a value (or is unknown)\n", a);
            return 2;
        } else {
            i++;
            if (!strcmp(a, "--model")) model_path = v;
            else if (!strcmp(a, "--like")) like = v;
            else if (!strcmp(a, "--curves")) csv = v;
            else if (!strcmp(a, "--template")) tmpl = v;
            else if (!strcmp(a, "-o") || !strcmp(a, "--out")) out_path = v;
            else if (!strcmp(a, "--frames")) { if (!nr_cli_int(me, a, v, 1, 1 << 20, &frames)) return 2; }
            else if (!strcmp(a, "--transpose")) { if (!nr_cli_float(me, a, v, -48.0, 48.0, &transpose)) return 2; }
            else if (!strcmp(a, "--seed")) { if (!nr_cli_int(me, a, v, 0, 0x7fffffffL, &seed)) return 2; }
            else if (!strcmp(a, "--rate")) { if (!nr_cli_int(me, a, v, 8000, 384000, &rate)) return 2; }
            else if (!strcmp(a, "--block")) { if (!nr_cli_int(me, a, v, 1, 65536, &block)) return 2; }
            else if (!strcmp(a, "--threads")) { if (!nr_cli_int(me, a, v, 1, 64, &threads)) return 2; }
            else if (!strcmp(a, "--format")) {
                if (!strcmp(v, "float")) fmt = NR_SAMPLE_FLOAT;
                else if (!strcmp(v, "24")) fmt = NR_SAMPLE_PCM24;
                else if (!strcmp(v, "16")) fmt = NR_SAMPLE_PCM16;
                else {
                    fprintf(stderr, "neurorack render: --format takes float, 24 or 16 (got '%s')\n", v);
                    return 2;
                }
            } else {
                fprintf(stderr, "neurorack render: unknown option '%s' (see --help)\n", a);
                return 2;
            }
        }
    }
    if (!out_path) {
        fprintf(stderr, "neurorack render: -o OUT is required (see --help)\n");
        return 2;
    }
    if ((like != NULL) + (csv != NULL) + (tmpl != NULL) > 1) {
        fprintf(stderr, "neurorack render: give one of --like, --curves, --template\n");
        return 2;
    }
    if (!model_path) model_path = nr_cli_default_model();
    if (!model_path) {
        fprintf(stderr, "neurorack render: no --model given and no default model found "
                        "(models/default.safetensors beside the program, or $NEURORACK_MODEL)\n");
        return 1;
    }

    nr_cli_catch_interrupts(); /* Ctrl-C: the previous OUT stays as it was */
    nr_model *m = NULL;
    if (nr_model_load(model_path, &m) != NR_OK) return nr_cli_error(me);
    nr_curves curves = {0};
    nr_result r;
    r = nr_cli_curves(m, like, csv, tmpl, &curves);
    if (r != NR_OK) {
        nr_model_free(m);
        return nr_cli_error(me);
    }
    if (frames > 0 && frames < curves.n_frames) curves.n_frames = (int)frames;
    nr_curves_transpose(&curves, transpose);
    nr_render_config rc = nr_render_config_init();
    rc.voice.seed = (uint64_t)seed;
    rc.voice.no_noise = no_noise;
    rc.voice.band_limited = band_limited;
    rc.voice.threads = (int)threads;
    rc.block = (int)block;
    rc.out_rate = (int)rate;
    rc.cancel = nr_cli_interrupt_flag();
    nr_audio y = {0};
    r = nr_render(m, &curves, &rc, &y);
    nr_model_free(m);
    nr_curves_free(&curves);
    if (r == NR_OK) r = nr_audio_write(out_path, y.samples, y.n, y.rate, fmt);
    if (r == NR_OK) printf("%s: %ld samples at %d Hz (%.2f s)\n", out_path, y.n, y.rate, (double)y.n / y.rate);
    nr_audio_free(&y);
    if (r == NR_ERR_INTERRUPTED || (r != NR_OK && nr_cli_interrupted())) {
        fprintf(stderr, "neurorack render: interrupted by %s; %s left as it was\n",
                nr_cli_interrupted() == SIGTERM ? "SIGTERM" : "SIGINT", out_path);
        return 128 + nr_cli_interrupted();
    }
    return r == NR_OK ? 0 : nr_cli_error(me);
}
