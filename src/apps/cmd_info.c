/* neurorack info MODEL: what a model file holds and what it costs to run. */
#include "commands.h"
#include "neurorack.h"
#include "nr/model_templates.h"
#include "nr/templates.h"
#include "core/cpu.h"
#include "models/impact2.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: neurorack info [--tensors] [--meta] MODEL\n"
               "  Prints the architecture, rates, cost, normalisation, hyper-parameters and the templates\n"
               "  the model ships (then the built-in ones).\n"
               "  MODEL is a .th (original PyTorch weights) or a native .safetensors file.\n"
               "  --tensors  list every tensor with its shape\n"
               "  --meta     list every metadata entry (module classes, attributes)\n");
}

/* Hyper-parameters: the root module's scalar attributes and the native nr.* keys. */
static int is_hyper(const char *key)
{
    if (!strncmp(key, "nr.", 3) || !strncmp(key, "impact.", 7) || !strncmp(key, "impact2.", 8)) return 1;
    return !strchr(key, '.') && strcmp(key, "__class__") != 0 && strcmp(key, "training") != 0;
}

int nr_cmd_info(int argc, char **argv)
{
    int tensors = 0, meta = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tensors")) {
            tensors = 1;
        } else if (!strcmp(argv[i], "--meta")) {
            meta = 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || path) {
            usage(stderr);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) path = nr_cli_default_model();
    if (!path) {
        fprintf(stderr, "neurorack info: no model given and no default model found (set NEURORACK_MODEL)\n");
        return 2;
    }
    nr_model *m;
    if (nr_model_load(path, &m) != NR_OK) return nr_cli_error("info");
    nr_model_info in;
    nr_model_get_info(m, &in);
    const nr_tensor_set *ts = nr_model_tensors(m);
    printf("model          %s\n", path);
    printf("kernels        %s path (%s)%s\n", nr_cpu_path_name(nr_cpu_path()), nr_cpu_path_needs(nr_cpu_path()),
           nr_cpu_path() == nr_cpu_best_path() ? "" : ", forced by NR_CPU");
    printf("architecture   %s\n", in.arch);
    printf("sample rate    %d Hz\n", in.sample_rate);
    printf("hop            %d samples (%.2f frames/s), lookahead %d frames\n", in.hop,
           in.hop ? (double)in.sample_rate / in.hop : 0.0, in.lookahead_frames);
    printf("parameters     %lld\n", (long long)in.n_params);
    printf("weights        %.2f MB\n", (double)in.weights_bytes / 1e6);
    printf("voice state    %.1f KB\n", (double)in.voice_bytes / 1e3);
    /* the original needs ~0.7 M multiply-adds per sample, ours a few hundred: print the whole number */
    printf("cost           %.0f multiply-adds per sample (%.3f G per second of audio)\n", in.macs_per_sample,
           in.macs_per_sample * in.sample_rate / 1e9);
    printf("onset pitch    %s\n", in.settle_onset_pitch ? "settled: the curves' first frames take the first pitch two frames agree on"
                                                       : "as analysed");
    const char *rlo = nr_tensor_set_meta(ts, "impact2.ratio_lo"), *rhi = nr_tensor_set_meta(ts, "impact2.ratio_hi");
    if (rlo && rhi) {
        const char *fl = nr_tensor_set_meta(ts, "impact2.inharm_floor");
        printf("inharmonic     ratios 2^%s..2^%s of the pitch", rlo, rhi);
        if (fl) printf(", silent under 2^%s (faded in over %.2f octave below it)", fl, (double)NR_IMP2_FLOOR_FADE);
        printf("\n");
    }
    printf("normalisation  %-13s %12s %12s\n", "descriptor", "mean", "std");
    for (int d = 0; d < NR_NUM_DESC; d++)
        printf("               %-13s %12.6g %12.6g\n", nr_desc_names[d], in.desc_mean[d], in.desc_std[d]);
    const char *init = nr_tensor_set_meta(ts, "train.init");
    if (init) {
        const char *hash = nr_tensor_set_meta(ts, "train.init_fnv1a64"), *steps = nr_tensor_set_meta(ts, "train.steps");
        const char *sched = nr_tensor_set_meta(ts, "train.schedule_steps");
        printf("trained from   %s (FNV-1a 64 %s), fine-tuned %s steps%s%s%s\n", init, hash ? hash : "unknown",
               steps ? steps : "an unknown number of", sched ? " (stopped, of a " : "", sched ? sched : "",
               sched ? "-step schedule)" : "");
    }
    printf("hyper-parameters\n");
    for (int i = 0; i < ts->n_meta; i++)
        if (is_hyper(ts->meta[i].key)) printf("  %-24s %s\n", ts->meta[i].key, ts->meta[i].value);
    int nt = nr_model_template_count(m);
    const char *def = nr_model_template_default(m);
    printf("templates      %d in the model%s, then the built-ins:", nt, nt ? "" : " (none)");
    for (int i = 0; i < nr_template_count(); i++) printf(" %s", nr_template_name(i));
    printf("\n");
    for (int i = 0; i < nt; i++) {
        nr_curves c;
        double dur = 0;
        if (nr_model_template_get(m, nr_model_template_name(m, i), &c) == NR_OK) {
            dur = c.n_frames / (double)c.frame_rate;
            nr_curves_free(&c);
        }
        printf("  %-10s %5.2f s%s  %s\n", nr_model_template_name(m, i), dur,
               def && !strcmp(def, nr_model_template_name(m, i)) ? " [default]" : "          ",
               nr_model_template_summary(m, i));
    }
    if (tensors) {
        printf("tensors (%d)\n", ts->n_tensors);
        for (int i = 0; i < ts->n_tensors; i++) {
            const nr_tensor *t = &ts->tensors[i];
            char shape[96] = "(";
            for (int d = 0; d < t->ndim; d++) {
                size_t k = strlen(shape);
                snprintf(shape + k, sizeof shape - k, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
            }
            strncat(shape, ")", sizeof shape - strlen(shape) - 1);
            printf("  %-48s %-16s %lld\n", t->name, shape, (long long)t->numel);
        }
    }
    if (meta) {
        printf("metadata (%d)\n", ts->n_meta);
        for (int i = 0; i < ts->n_meta; i++) printf("  %s = %s\n", ts->meta[i].key, ts->meta[i].value);
    }
    nr_model_free(m);
    return 0;
}
