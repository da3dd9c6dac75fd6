/* The templates of one model, at its frame rate and in its normalisation: the model file's own, the
 * built-in impacts (nr/templates.h) and any the host adds. Append-only; built off the audio thread and
 * read on it. */
#ifndef NR_TEMPLATE_SET_H
#define NR_TEMPLATE_SET_H

#include "nr/curves.h"
#include "nr/model.h"
#include "nr/patch.h"

#define NR_MAX_TEMPLATES 32

typedef struct {
    char name[NR_NAME_MAX];
    int n;      /* frames at the model's frame rate (>= 1) */
    float peak; /* frame of the loudness maximum: the alignment point of A/B mixes */
    float *z;   /* (n, NR_NUM_DESC) normalised: (raw - mean) / std */
} nr_template;

typedef struct {
    int count;
    int n_model;        /* the first n_model come from the model file */
    int def_a, def_b;   /* what an empty template name plays (see nr_template_set_defaults) */
    nr_template t[NR_MAX_TEMPLATES];
    float mean[NR_NUM_DESC], std[NR_NUM_DESC];
    float frame_rate;
    int settle_onset; /* the model's settle_onset_pitch: templates (and latent curves) are settled first */
} nr_template_set;

void nr_template_set_init(nr_template_set *s, const nr_model_info *info);
/* Resample `c` to the model's frame rate (its onset pitch settled first, for a model that asks) and
 * normalise it. Not audio-thread safe. */
nr_result nr_template_set_add(nr_template_set *s, const char *name, const nr_curves *c);
void nr_template_set_free(nr_template_set *s);
int nr_template_set_find(const nr_template_set *s, const char *name); /* -1 if absent */
/* The templates the model file ships (nr/model_templates.h), in its order; call first. */
nr_result nr_template_set_add_model(nr_template_set *s, const nr_model *m);
/* The templates every model gets: the built-in impacts of nr/templates.h, in their order, except
 * those whose name a template already added (the model's) holds. */
nr_result nr_template_set_add_builtins(nr_template_set *s);
/* Set def_a / def_b: A plays the model's default template, else the built-in "impact"; B the first
 * other model template, else the built-in "boom" (index 0 / 1 when those are absent). */
void nr_template_set_defaults(nr_template_set *s, const nr_model *m);
/* Index a patch name plays: its template, the default for "" or an unknown name (-1: none at all). */
int nr_template_set_resolve(const nr_template_set *s, const char *name, int is_b);

#endif
