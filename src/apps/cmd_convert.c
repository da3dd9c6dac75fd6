/* neurorack convert IN OUT: any model file (the original .th) -> native .safetensors, optionally
 * with templates chosen from a data set. */
#include "commands.h"
#include "neurorack.h"
#include "nr/model_templates.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: neurorack convert [--templates-from DATA | --no-templates] [--inharm-floor OCTAVES|none]\n"
               "                         IN OUT.safetensors\n"
               "  Reads the original PyTorch weights (or any model file), checks them against the\n"
               "  architecture and writes the native safetensors model (atomically). Templates the input\n"
               "  carries are kept, unless one of:\n"
               "  --templates-from DATA  replace them by one template per class (kick, snare, tom, boom,\n"
               "                         metal, wood, stone, clap, hat, cymbal, explosion, crash, hit,\n"
               "                         whoosh, magic) picked from the TRAIN split\n"
               "                         of the data set DATA (folder or manifest.tsv); default: the boom\n"
               "  --no-templates         write the model without templates\n"
               "  --inharm-floor OCTAVES an nr-impact-2 model's inharmonic partials under 2^OCTAVES times the\n"
               "                         pitch are silent (faded in over the 0.15 octave below); none: every\n"
               "                         partial plays. The weights are unchanged (docs/model.md)\n");
}

int nr_cmd_convert(int argc, char **argv)
{
    const char *data = NULL, *in = NULL, *out = NULL;
    int none = 0, set_floor = 0;
    double floor_oct = 0.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--templates-from") && i + 1 < argc) {
            data = argv[++i];
        } else if (!strcmp(argv[i], "--no-templates")) {
            none = 1;
        } else if (!strcmp(argv[i], "--inharm-floor") && i + 1 < argc) {
            const char *v = argv[++i];
            set_floor = 1;
            if (!strcmp(v, "none")) floor_oct = NR_MODEL_NO_FLOOR;
            else if (!nr_cli_float("convert", "--inharm-floor", v, -8, 8, &floor_oct)) return 2;
        } else if (argv[i][0] == '-' || (in && out)) {
            fprintf(stderr, "neurorack convert: unexpected '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (!in) {
            in = argv[i];
        } else {
            out = argv[i];
        }
    }
    if (!in || !out || (data && none)) {
        usage(stderr);
        return 2;
    }
    nr_model *m;
    if (nr_model_load(in, &m) != NR_OK) return nr_cli_error("convert");
    nr_result r = NR_OK;
    if (data) r = nr_model_templates_from_data(m, data);
    if (none) r = nr_model_set_templates(m, NULL, 0, NULL);
    if (r == NR_OK && set_floor) r = nr_model_set_inharm_floor(m, (float)floor_oct);
    if (r == NR_OK) r = nr_model_save(m, out);
    if (r != NR_OK) {
        nr_model_free(m);
        return nr_cli_error("convert");
    }
    nr_model_info info;
    nr_model_get_info(m, &info);
    printf("%s -> %s: %s, %lld parameters, %d templates\n", in, out, info.arch, (long long)info.n_params,
           nr_model_template_count(m));
    for (int i = 0; i < nr_model_template_count(m); i++)
        printf("  %-8s %s%s\n", nr_model_template_name(m, i), nr_model_template_summary(m, i),
               !strcmp(nr_model_template_name(m, i), nr_model_template_default(m) ? nr_model_template_default(m) : "")
                   ? "  [default]"
                   : "");
    nr_model_free(m);
    return 0;
}
