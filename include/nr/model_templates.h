/* Templates shipped with a model: named descriptor curves stored in the model file, so a model
 * trained on real impacts brings real ones (a kick, a boom...) with it. Not audio-thread safe.
 *
 * In a .safetensors model (docs/formats.md):
 *   tensor   template.<name>          (frames, 7) float32, raw descriptor units (rms, zcr, Hz...) at the
 *                                     analysis frame rate (22050 / 512 = 43.07 frames per second)
 *   metadata nr.templates             "kick,snare,boom": the names, in the order they are offered
 *   metadata nr.templates.default     the name `render` and the instrument play with no other choice
 *   metadata nr.templates.frame_rate  "43.06640625" (optional on read; must match)
 *   metadata nr.template.<name>       one-line summary (optional)
 * The loader checks them all (names, count, shapes, finite and plausible values, the default) and
 * fails with one line naming the file. The architecture never sees them. */
#ifndef NR_MODEL_TEMPLATES_H
#define NR_MODEL_TEMPLATES_H

#include "nr/curves.h"
#include "nr/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NR_MODEL_TEMPLATES_MAX 16     /* per model (the instrument holds 32 with built-ins and CSVs) */
#define NR_TEMPLATE_NAME_MAX 24       /* bytes with the NUL: 1..23 of [a-z0-9_-], first a letter or digit */
#define NR_TEMPLATE_SUMMARY_MAX 160   /* bytes with the NUL, printable ASCII */
#define NR_TEMPLATE_FRAMES_MAX 4096   /* 95 s at 43.07 frames per second */

int nr_model_template_count(const nr_model *m);
/* Name / summary ("" if none) of template i, NULL outside 0..count-1. */
const char *nr_model_template_name(const nr_model *m, int i);
const char *nr_model_template_summary(const nr_model *m, int i);
/* The model's default template, NULL if it names none. */
const char *nr_model_template_default(const nr_model *m);
int nr_model_template_find(const nr_model *m, const char *name); /* -1 if absent */
/* A copy of the curves (NULL name: the default); fails naming the template if absent. */
nr_result nr_model_template_get(const nr_model *m, const char *name, nr_curves *out);

typedef struct {
    const char *name;
    const char *summary;   /* NULL: none */
    const nr_curves *curves; /* raw units, any frame rate (resampled to the analysis rate) */
} nr_model_template_in;

/* Replace the model's templates by copies of these (n may be 0: none); default_name NULL or one of
 * them. Checked like a file's; on failure the model keeps its old templates. */
nr_result nr_model_set_templates(nr_model *m, const nr_model_template_in *t, int n, const char *default_name);

/* ---- choosing templates from a data set (src/dataset/template_pick.c) ---- */

typedef struct {
    char name[NR_TEMPLATE_NAME_MAX];       /* the class: kick, snare, ... */
    char summary[NR_TEMPLATE_SUMMARY_MAX];
    char hash[17];                          /* the manifest entry chosen */
    int n_candidates;                       /* train entries of the class with curves */
    nr_curves curves;                       /* its cached curves, raw, analysis frame rate */
} nr_template_pick;

typedef struct {
    int n;
    nr_template_pick p[NR_MODEL_TEMPLATES_MAX];
    int deflt; /* index of the default, -1 if none was picked */
} nr_template_picks;

/* From the TRAIN split only of a data set manifest (DIR or DIR/manifest.tsv), one template per class
 * among kick, snare, tom, boom, metal, wood, stone, clap, hat, cymbal, explosion, crash, hit, whoosh,
 * magic (in that order, those present):
 * the medoid of the class, each sound described by the mean and standard deviation over time of its
 * 7 curves (loudness as log rms, the Hz columns as log Hz) and its log duration, every feature
 * z-scored over all candidates; candidates are taken in hash order and a tie keeps the smaller hash,
 * so the choice is deterministic whatever the manifest's row order. Booms: the medoid of the booms
 * lasting 3..7 s (of all booms if none does). The default: the boom, else the longest template. */
nr_result nr_templates_pick_from_data(const char *manifest, nr_template_picks *out);
void nr_template_picks_free(nr_template_picks *p);
/* Pick, then nr_model_set_templates. */
nr_result nr_model_templates_from_data(nr_model *m, const char *manifest);

#ifdef __cplusplus
}
#endif
#endif
