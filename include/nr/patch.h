/* The patch: what the synth plays, as plain data (plaits' Patch). Hosts fill it (from a settings file,
 * a menu, a plugin's parameters) and hand it to nr_synth_set_patch(); nothing here reads files.
 * The functions are pure: safe on any thread, the audio thread included. */
#ifndef NR_PATCH_H
#define NR_PATCH_H

#include "nr/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NR_NUM_CV 4
#define NR_NUM_GATES 2
#define NR_NAME_MAX 32
#define NR_MAX_VOICES 8
#define NR_NUM_LATENT 4 /* axes of the latent curve model (nr/latent.h): decay, brightness, pitch, noisiness */

/* Where a trigger's curves come from: the templates (A, or the A/B mix) or the latent curve model. */
typedef enum { NR_SOURCE_TEMPLATE = 0, NR_SOURCE_LATENT, NR_SOURCE_COUNT } nr_curve_source;

/* What a CV input moves. Descriptor offsets come first, one per descriptor (nr/core.h order). */
typedef enum {
    NR_CVT_OFF = 0,
    NR_CVT_DESC0,                              /* + d: offset of descriptor d, in std units */
    NR_CVT_INTERP = NR_CVT_DESC0 + NR_NUM_DESC, /* A/B position, 0..1 */
    NR_CVT_STRETCH,                            /* time stretch, octaves (+ = longer) */
    NR_CVT_SCRUB,                              /* read position offset, share of the sound */
    NR_CVT_VARIATION,                          /* random variation amount, 0..1 */
    NR_CVT_LEVEL,                              /* gain, 1 = unity */
    NR_CVT_PITCH_VOCT,                         /* pitch curve x 2^octaves: 1 V per octave, 0 V = as is */
    NR_CVT_LATENT0,                            /* + k: axis k of the latent point (source latent), prior std */
    NR_CVT_COUNT = NR_CVT_LATENT0 + NR_NUM_LATENT
} nr_cv_target;

/* Range of a pitch_voct input: octaves per full-scale input (5 V), i.e. 1 V per octave. */
#define NR_VOCT_RANGE 5.0f

typedef enum { NR_GATE_RETRIGGER = 0, NR_GATE_CHOKE, NR_GATE_POLY, NR_GATE_MODE_COUNT } nr_gate_mode;
typedef enum { NR_STEAL_OLDEST = 0, NR_STEAL_QUIETEST, NR_STEAL_COUNT } nr_steal_policy;

typedef struct {
    int target;  /* nr_cv_target */
    float range; /* target units per full-scale input (5 V) */
    int bipolar; /* 1: -5..+5 V -> -1..+1; 0: 0..+5 V -> 0..1 */
} nr_cv_assign;

/* Everything a preset recalls: the sound and how the panel plays it. */
typedef struct {
    char template_a[NR_NAME_MAX], template_b[NR_NAME_MAX]; /* "": the model's default A / B */
    float interp;              /* base A/B position, 0..1 */
    float stretch;             /* base time stretch, octaves, -2..2 */
    float variation;           /* base random variation, 0..1 */
    float offset[NR_NUM_DESC]; /* base descriptor offsets, std units, -3..3 */
    nr_cv_assign cv[NR_NUM_CV];
    int gate_mode[NR_NUM_GATES]; /* nr_gate_mode */
    int voices;                /* 1..NR_MAX_VOICES */
    int steal;                 /* nr_steal_policy */
    float volume_db;           /* -60..+6 */
    int source;                /* nr_curve_source: gate 1 plays template A, or the latent point of the
                                  latent1..4 inputs, decoded off the audio thread */
    char model[NR_NAME_MAX];   /* the model by name (its file's stem); "": the host's default model. The
                                  synth plays one model and ignores it: a host that offers several (the
                                  instrument) switches to it, an unknown name plays the default */
} nr_patch;

/* Per input: calibrated volts = (raw volts - offset) * scale. Hardware, so not in presets. */
typedef struct {
    float offset; /* V, -2..2 */
    float scale;  /* 0.5..2 */
} nr_cv_cal;

/* Limits of each value, shared by the clamp, the menu and the file reader. */
typedef struct {
    float lo, hi, def_range;
} nr_cv_target_info;
const nr_cv_target_info *nr_cv_target_limits(int target);
/* Points a CV at `target` with that target's usual range (the menu's and the plug-ins' choice). */
void nr_cv_assign_target(nr_cv_assign *a, int target);
/* Short names for menus and files ("off", "brightness", "interp", ...); "?" when out of range. */
const char *nr_cv_target_name(int target);
const char *nr_gate_mode_name(int mode);
const char *nr_steal_name(int policy);
const char *nr_source_name(int source); /* "template", "latent" */
/* The inverse of the names above; -1 if unknown. */
int nr_cv_target_from_name(const char *s);
int nr_gate_mode_from_name(const char *s);
int nr_steal_from_name(const char *s);
int nr_source_from_name(const char *s);

void nr_patch_defaults(nr_patch *p);
/* Every value into its range; NaN becomes the default; strings terminated and printable. */
void nr_patch_clamp(nr_patch *p);
void nr_cv_cal_defaults(nr_cv_cal *c);
void nr_cv_cal_clamp(nr_cv_cal *c);

#ifdef __cplusplus
}
#endif
#endif
