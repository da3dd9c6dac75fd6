/* neurorack render: descriptor curves (a template, a CSV, or a sound to imitate) -> model -> audio file. */
#include "commands.h"
#include "neurorack.h"
#include "nr/templates.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nr/latent.h"

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
            "  --latent Z1,Z2,Z3,Z4  curves decoded from a point of the latent curve model (prior std units:\n"
            "                   decay, brightness, pitch, noisiness), or `random` (drawn with --seed where\n"
            "                   the training clips are: a kernel density over their encodings)\n"
            "  --latent-model FILE  the latent curve model (default: MODEL.latent.safetensors beside --model,\n"
            "                       else the latent.* tensors of --model)\n"
            "  --transpose S    play S semitones higher, as the pitch_voct CV (nr-impact-2 tunes its whole\n"
            "                   sound like a sampler; other models move the pitch curve by 2^(S/12))\n"
            "  --frames N       render only the first N frames (43.07 frames per second)\n"
            "  --seed N         random phases and noise (default 1)\n"
            "  --no-noise       every random draw is zero (the original's deterministic run)\n"
            "  --band-limited   no harmonic above Nyquist (the original aliases)\n"
            "  --output-stage   play the sound through the instrument's output stage (DC blocker, soft\n"
            "                   limiter: linear to -1.9 dBFS, never over -0.2 dBFS), as play, the LV2\n"
            "                   plug-in and the Pd external do; without it the file holds the model's output\n"
            "  --rate HZ        resample the output (e.g. 48000); default: the model's rate\n"
            "  --format F       float | 24 | 16 (default float; FLAC is written as 24-bit)\n"
            "  --block N        samples per streaming block (default 4096)\n"
            "  --threads N      threads inside one voice (default 1)\n"
            "  -o OUT           output file; WAV, FLAC, OGG or AIFF by extension\n");
}

/* "Z1,Z2,Z3,Z4" or "random" -> decoded curves at the analysis frame rate. */
static nr_result latent_curves(const char *path, const char *spec, uint64_t seed, nr_curves *out)
{
    float z[NR_LAT_DIM];
    int random = !strcmp(spec, "random");
    if (!random) {
        const char *p = spec;
        for (int k = 0; k < NR_LAT_DIM; k++) {
            char *end;
            double x = strtod(p, &end);
            if (end == p || !(x >= -10 && x <= 10) || *end != (k < NR_LAT_DIM - 1 ? ',' : '\0'))
                return nr_fail(NR_ERR_ARG, "--latent '%s': expected %d comma-separated numbers in -10..10 or random",
                               spec, NR_LAT_DIM);
            z[k] = (float)x;
            p = end + 1;
        }
    }
    nr_latent lm;
    nr_result r = nr_latent_load(path, &lm);
    if (r != NR_OK) return r;
    if (random) nr_latent_random_point(&lm, seed, z); /* where the training clips are (latent.map) */
    float *work = malloc(nr_latent_work_floats(&lm.w.hp) * sizeof(float));
    nr_curves c = {0};
    int n = 0;
    if (!work || nr_curves_alloc(&c, NR_LAT_T, NR_LAT_FPS) != NR_OK) r = nr_fail(NR_ERR_NOMEM, "out of memory");
    if (r == NR_OK) {
        nr_latent_clamp(&lm.w, z);
        nr_latent_decode(&lm.w, z, c.data, &n, work);
        c.n_frames = n;
        printf("latent point %.2f,%.2f,%.2f,%.2f (clamped to the trained region): %d frames, %.2f s\n", z[0], z[1],
               z[2], z[3], n, (double)n / NR_LAT_FPS);
        r = nr_curves_resample(&c, NR_ANALYSIS_FRAME_RATE, out);
    }
    nr_curves_free(&c);
    free(work);
    nr_latent_free(&lm);
    return r;
}

int nr_cmd_render(int argc, char **argv)
{
    const char *model_path = NULL, *like = NULL, *csv = NULL, *tmpl = NULL, *out_path = NULL, *latent = NULL,
               *latent_model = NULL;
    long frames = 0, rate = 0, block = 4096, threads = 1, seed = 1;
    double transpose = 0.0;
    int no_noise = 0, band_limited = 0, output_stage = 0;
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
        } else if (!strcmp(a, "--output-stage")) {
            output_stage = 1;
        } else if (!v) {
            fprintf(stderr, "neurorack render: %s needs a value (or is unknown)\n", a);
            return 2;
        } else {
            i++;
            if (!strcmp(a, "--model")) model_path = v;
            else if (!strcmp(a, "--like")) like = v;
            else if (!strcmp(a, "--curves")) csv = v;
            else if (!strcmp(a, "--template")) tmpl = v;
            else if (!strcmp(a, "--latent")) latent = v;
            else if (!strcmp(a, "--latent-model")) latent_model = v;
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
    if ((like != NULL) + (csv != NULL) + (tmpl != NULL) + (latent != NULL) > 1) {
        fprintf(stderr, "neurorack render: give one of --like, --curves, --template, --latent\n");
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
    if (latent) {
        /* no --latent-model: the one shipped beside the synthesis model, else the model file's own */
        char beside[PATH_MAX];
        if (!latent_model && nr_latent_beside(model_path, beside, sizeof beside)) latent_model = beside;
        r = latent_curves(latent_model ? latent_model : model_path, latent, (uint64_t)seed, &curves);
    } else {
        r = nr_cli_curves(m, like, csv, tmpl, &curves);
    }
    if (r != NR_OK) {
        nr_model_free(m);
        return nr_cli_error(me);
    }
    if (frames > 0 && frames < curves.n_frames) curves.n_frames = (int)frames;
    nr_render_config rc = nr_render_config_init();
    rc.voct = (float)(transpose / 12.0);
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
    float raw_peak = 0.0f;
    for (long i = 0; r == NR_OK && i < y.n; i++) raw_peak = fmaxf(raw_peak, fabsf(y.samples[i]));
    if (r == NR_OK && output_stage) nr_synth_output_stage(y.samples, y.n, y.rate);
    if (r == NR_OK) r = nr_audio_write(out_path, y.samples, y.n, y.rate, fmt);
    if (r == NR_OK) {
        float peak = 0.0f;
        for (long i = 0; i < y.n; i++) peak = fmaxf(peak, fabsf(y.samples[i]));
        double db = 20.0 * log10(fmax((double)peak, 1e-10));
        printf("%s: %ld samples at %d Hz (%.2f s), peak %+.1f dBFS", out_path, y.n, y.rate, (double)y.n / y.rate, db);
        if (output_stage) printf(" after the output stage (the model's output: %+.1f dBFS)", 20.0 * log10(fmax((double)raw_peak, 1e-10)));
        printf("\n");
        /* the model's level follows the loudness curve: a loud curve with a peaky spectrum can pass full
         * scale (the instrument's output stage soft-limits it; a file keeps what the model made) */
        if (peak > 1.0f)
            fprintf(stderr, "neurorack render: %s: peak %+.1f dBFS is over full scale: %s\n", out_path, db,
                    nr_audio_write_clips(out_path, fmt) ? "clipped in this format (a float .wav keeps it)"
                                                          : "kept in the float file; lower it before playing, or "
                                                            "render with --output-stage as the instrument plays it");
    }
    nr_audio_free(&y);
    if (r == NR_ERR_INTERRUPTED || (r != NR_OK && nr_cli_interrupted())) {
        fprintf(stderr, "neurorack render: interrupted by %s; %s left as it was\n",
                nr_cli_interrupted() == SIGTERM ? "SIGTERM" : "SIGINT", out_path);
        return 128 + nr_cli_interrupted();
    }
    return r == NR_OK ? 0 : nr_cli_error(me);
}
