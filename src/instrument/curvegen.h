/* Descriptor curves made at each trigger: a template (or two, time-aligned and mixed), moved by the
 * controls in the model's normalised descriptor space, read with time stretch and scrub. */
#ifndef NR_CURVEGEN_H
#define NR_CURVEGEN_H

#include "control/settings.h"
#include "nr/curves.h"
#include "nr/model.h"

#define NR_MAX_TEMPLATES 32

typedef struct {
    char name[NR_NAME_MAX];
    int n;      /* frames at the model's frame rate (>= 1) */
    float peak; /* frame of the loudness maximum: the alignment point of A/B mixes */
    float *z;   /* (n, NR_NUM_DESC) normalised: (raw - mean) / std */
} nr_template;

/* Templates of one model (frame rate and normalisation are the model's). Append-only. */
typedef struct {
    int count;
    int n_model;        /* the first n_model come from the model file */
    int def_a, def_b;   /* what an empty template name plays (see nr_template_set_defaults) */
    nr_template t[NR_MAX_TEMPLATES];
    float mean[NR_NUM_DESC], std[NR_NUM_DESC];
    float frame_rate;
} nr_template_set;

void nr_template_set_init(nr_template_set *s, const nr_model_info *info);
/* Resample `c` to the model's frame rate and normalise it. Not audio-thread safe. */
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

/* The controls of one voice at one frame (bases + CVs, already clamped). */
typedef struct {
    float a;                  /* A/B position, 0..1 */
    float offset[NR_NUM_DESC]; /* std units */
    float stretch;            /* octaves, + = longer */
    float scrub;              /* read-position offset, share of the sound, -1..1 */
    float variation;          /* 0..1 */
} nr_curve_ctl;

/* Read position of one sounding curve. */
typedef struct {
    double u;                   /* warped phase: 0..1 up to the aligned peak, 1..2 after it */
    float rnd[NR_NUM_DESC];     /* per-trigger draws, N(0, 1) */
    float rnd_rate;             /* per-trigger draw for the length, N(0, 1) */
} nr_curve_reader;

/* Audio-thread safe. rng: xorshift state for the per-trigger draws. */
void nr_curve_start(nr_curve_reader *r, uint64_t *rng);
/* The next raw frame (model units, clamped to plausible ranges) and advance; 0 once the sound
 * has ended (no frame written). ta/tb index s; tb is unused when a == 0. Audio-thread safe. */
int nr_curve_next(const nr_template_set *s, int ta, int tb, nr_curve_reader *r, const nr_curve_ctl *c,
                  float raw[NR_NUM_DESC]);

/* Audio-thread safe helpers. */
uint64_t nr_rng_next(uint64_t *state);
float nr_rng_gauss(uint64_t *state);

#endif
