/* The instrument's settings and presets: plain data, defaults, clamping, and the versioned,
 * checksummed settings file (docs/settings.md). Not audio-thread safe (files). */
#ifndef NR_SETTINGS_H
#define NR_SETTINGS_H

#include "nr/instrument.h"

#define NR_SETTINGS_VERSION 1
#define NR_PRESET_SLOTS 16
#define NR_NAME_MAX 32
#define NR_MAX_VOICES 8

/* What a CV input moves. Descriptor offsets come first, one per descriptor (nr/core.h order). */
typedef enum {
    NR_CVT_OFF = 0,
    NR_CVT_DESC0,                              /* + d: offset of descriptor d, in std units */
    NR_CVT_INTERP = NR_CVT_DESC0 + NR_NUM_DESC, /* A/B position, 0..1 */
    NR_CVT_STRETCH,                            /* time stretch, octaves (+ = longer) */
    NR_CVT_SCRUB,                              /* read position offset, share of the sound */
    NR_CVT_VARIATION,                          /* random variation amount, 0..1 */
    NR_CVT_LEVEL,                              /* gain, 1 = unity */
    NR_CVT_COUNT
} nr_cv_target;

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
} nr_patch;

/* Per input: calibrated volts = (raw volts - offset) * scale. Hardware, so not in presets. */
typedef struct {
    float offset; /* V, -2..2 */
    float scale;  /* 0.5..2 */
} nr_cv_cal;

typedef struct {
    int used;
    char name[NR_NAME_MAX];
    nr_patch patch;
} nr_preset;

typedef struct {
    nr_patch patch;
    nr_cv_cal cal[NR_NUM_CV];
    int preset_slot; /* last slot chosen on the Presets page, 0..15 */
    nr_preset presets[NR_PRESET_SLOTS];
} nr_settings;

/* Limits of each value, shared by the clamp, the menu and the file reader. */
typedef struct {
    float lo, hi, def_range;
} nr_cv_target_info;
const nr_cv_target_info *nr_cv_target_limits(int target);
/* Short names for the menu and the file ("off", "brightness", "interp", ...). */
const char *nr_cv_target_name(int target);
const char *nr_gate_mode_name(int mode);
const char *nr_steal_name(int policy);
int nr_cv_target_from_name(const char *s); /* -1 if unknown */

void nr_patch_defaults(nr_patch *p);
void nr_patch_clamp(nr_patch *p);
void nr_settings_defaults(nr_settings *s);
/* Every value into its range; NaN becomes the default; strings terminated. */
void nr_settings_clamp(nr_settings *s);

/* Defaults, then the file, then clamp. A missing file gives the defaults and NR_OK.
 * A corrupt file (bad header, checksum, JSON) or a newer version gives the defaults, renames the file
 * to <path>.bad-<unix time> so it is kept and never overwritten, and returns NR_ERR_FORMAT or
 * NR_ERR_VERSION with a message saying so (nr_last_error). */
nr_result nr_settings_load(const char *path, nr_settings *s);
/* Atomic: temp file in the same folder, fsync, rename, fsync of the folder. Creates the folder. */
nr_result nr_settings_save(const char *path, const nr_settings *s);
/* The file's text (header line + JSON); malloc'd. */
nr_result nr_settings_serialize(const nr_settings *s, char **text, size_t *len);
/* Parse a whole file's bytes into s (after defaults; clamped). `what` names it in errors. */
nr_result nr_settings_parse(const char *buf, size_t n, const char *what, nr_settings *s);

uint32_t nr_crc32(const void *data, size_t n);

#endif
