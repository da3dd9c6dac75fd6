/* Internals of the data-set builder (src/dataset/): sound files, processing, sources. */
#ifndef NR_DS_INTERNAL_H
#define NR_DS_INTERNAL_H

#include "nr/dataset.h"

#include <stdint.h>
#include <stdio.h>

/* --- sound files (libsndfile + libsamplerate, used directly) --- */
/* Read a sound file, mono mixdown (mean of channels), at the file's rate. */
nr_result ds_read_file(const char *path, nr_audio *out);
/* The same from a file image in memory (an Ogg inside a zip or a SoundFont); `what` names it. */
nr_result ds_read_mem(const void *data, size_t n, const char *what, nr_audio *out);
/* The same, reading only the first head_s seconds of a file of any length (head_s > 0; 0: as above). */
nr_result ds_read_file_head(const char *path, double head_s, nr_audio *out);
nr_result ds_read_mem_head(const void *data, size_t n, const char *what, double head_s, nr_audio *out);
/* Free the samples (the data set's own loader allocates with malloc). */
void ds_audio_release(nr_audio *a);
/* Band-limited resampling (libsamplerate's medium sinc, 97 dB); a->rate becomes `rate`. */
nr_result ds_resample_inplace(nr_audio *a, int rate);
/* Write x (already on the 24-bit grid, see ds_quantize) as 24-bit mono FLAC, atomically. */
nr_result ds_write_flac(const char *path, const float *x, long n, int rate);

/* --- processing (process.c) --- */
typedef struct {
    double lead_db;     /* leading silence: cut before the first sample above peak + lead_db (-50) */
    double tail_db;     /* tail: cut after the last 10 ms block whose RMS is above peak + tail_db (-60) */
    double fade_ms;     /* raised-cosine fade-out over the last fade_ms of the kept tail (10) */
    double peak_dbfs;   /* peak normalisation target (-1) */
    double min_s;       /* shorter after trimming: rejected (0.03) */
    double max_s;       /* longer after trimming: cut with the fade (8) */
} ds_params;

ds_params ds_params_default(void);
/* Trim, fade and peak-normalise a->samples in place; fails (NR_ERR_VALUE) on NaN/inf, silence
 * or a sound shorter than p->min_s, with a message saying which. */
nr_result ds_process(nr_audio *a, const ds_params *p);
/* Round to the 24-bit grid of the FLAC files (q / 2^23), so what is hashed is what is stored. */
void ds_quantize(float *x, long n);
/* 64-bit FNV-1a of the 24-bit sample values and the rate. */
uint64_t ds_hash_audio(const float *x, long n, int rate);
uint64_t ds_fnv1a64(const void *data, size_t n, uint64_t h);
#define DS_FNV64_INIT 0xcbf29ce484222325ULL

/* Near-duplicate fingerprint of a peak-normalised sound: its length, its attack (first DS_FP_N
 * samples) and a 64-band RMS envelope (dB) over its whole length. */
#define DS_FP_N 4096
#define DS_FP_ENV 64
#define DS_FP_LAG 64        /* samples of misalignment tolerated in the attack */
#define DS_FP_LEN_TOL 0.05  /* relative length difference tolerated (tails trimmed differently) */
typedef struct {
    long n;
    int rate;
    float head[DS_FP_N];     /* zero past n */
    float env_db[DS_FP_ENV]; /* floored at -80 dB */
} ds_fingerprint;

void ds_fingerprint_make(const float *x, long n, int rate, ds_fingerprint *fp);
/* Same sound up to gain, a re-encode or a mono mixdown? Lengths within 5 % (or 10 ms); envelopes, where
 * either is above -40 dB, within 1.5 dB on average and 12 dB everywhere; attack correlation >= 0.98 at
 * the best lag within +-64 samples. */
int ds_fingerprint_same(const ds_fingerprint *a, const ds_fingerprint *b);

/* --- class guesses (classify.c) --- */
/* From any descriptive text (file name, instrument name): "kick", ..., or NULL if nothing matched. */
const char *ds_class_from_text(const char *text);
/* The same for the names of game sound effects: "explosion", "crash", "hit", "whoosh", "magic", "metal",
 * "wood", "stone", "boom", or NULL. */
const char *ds_class_from_effect_text(const char *text);
/* From a General MIDI percussion key (27..87), NULL if none (or not an impact, e.g. whistles). */
const char *ds_class_from_gm_key(int key);
/* Names that are not impacts (whistles, guiros, cuicas, loops, crowds): such sounds are left out. */
int ds_not_impact(const char *text);
/* Second opinion from the sound itself: a kick, perc, fx, hit or unknown sound that is long (>= 1.5 s) and
 * dark (over 70 % of its energy below ~250 Hz) is a "boom". */
const char *ds_class_refine(const char *cls, const float *x, long n, int rate);

/* --- folders (scan.c) --- */
typedef struct {
    char **paths; /* (n) sorted byte-wise, so every run sees the same order */
    int n, cap;
} ds_filelist;
/* Every regular file under `root` whose name ends in one of `exts` (".wav|.flac|..."; NULL: every file),
 * recursively. */
nr_result ds_scan(const char *root, const char *exts, ds_filelist *out);
void ds_filelist_free(ds_filelist *l);
/* The file name endings of every major format this libsndfile reads (".wav|.flac|.ogg|...", headerless
 * raw left out), with the usual aliases (.aif, .ogg, .opus...). */
const char *ds_sound_extensions(void);
/* Does the name end in one of exts? */
int ds_has_ext(const char *name, const char *exts);

/* Hydrogen drumkit.xml: the instrument name of a sample file of the kit, or NULL. */
typedef struct {
    char (*file)[128];
    char (*inst)[64];
    int n;
} ds_h2kit;
nr_result ds_h2kit_read(const char *kit_dir, ds_h2kit *k);
const char *ds_h2kit_instrument(const ds_h2kit *k, const char *file_name);
void ds_h2kit_free(ds_h2kit *k);

/* --- SoundFont 2 samples (sf2.c) --- */
typedef struct {
    char name[21];
    uint32_t start, end; /* in sample points of the smpl chunk */
    uint32_t rate;
    int key;             /* lowest key of the first drum-kit zone using it, -1 if none */
    int program;         /* bank-0 program that uses it (percussive instruments), -1 if drum kit */
    uint16_t type;       /* 1 mono, 2 right, 4 left, 8 linked; bit 0x10: sf3, start/end are byte offsets
                          * of an Ogg Vorbis stream */
} ds_sf2_sample;

typedef struct {
    uint8_t *file;      /* the whole file */
    size_t file_n;
    const int16_t *smpl; /* (n_smpl) little-endian 16-bit points inside file */
    size_t n_smpl;
    ds_sf2_sample *s;   /* the samples used by bank-128 drum kits or the chosen percussive programs */
    int n;
} ds_sf2;

/* Read a .sf2 and list the samples that drum kits (bank 128) and the given bank-0 programs
 * (n_prog of them, e.g. timpani, taiko) play; n_prog < 0: every preset is a drum kit (whatever its
 * bank). Right channels of stereo pairs and looped samples (an attack plus a sustain cycle, not a
 * whole one-shot) are left out. */
nr_result ds_sf2_open(const char *path, const int *programs, int n_prog, ds_sf2 *sf);
/* Sample i as mono float at its own rate. */
nr_result ds_sf2_sample_audio(const ds_sf2 *sf, int i, nr_audio *out);
void ds_sf2_close(ds_sf2 *sf);

/* --- SoundFont notes rendered through libfluidsynth (fluid_render.c): the plucks and textures families --- */
typedef struct ds_fluid ds_fluid; /* a dry synthesizer (no reverb, no chorus) with one SoundFont loaded */
typedef struct {
    int bank, program;  /* the preset */
    int key, velocity;  /* MIDI 0..127, 1..127 */
    double hold_s;      /* note-off after this long */
    double max_s;       /* the render ends here at the latest (>= hold_s) */
    double silence_db;  /* after note-off: ended once 100 ms stay below the loudest sample + silence_db */
} ds_fluid_note;
/* Load a .sf2/.sf3 at `rate` Hz; fails naming the file (NR_ERR_UNSUPPORTED without libfluidsynth). */
nr_result ds_fluid_open(const char *sf_path, int rate, ds_fluid **out);
void ds_fluid_close(ds_fluid *f);
int ds_fluid_has_preset(ds_fluid *f, int bank, int program);
/* Render one note from a reset synthesizer, mono (mean of the two channels), at the open rate; out is
 * malloc'd (ds_audio_release). */
nr_result ds_fluid_render(ds_fluid *f, const ds_fluid_note *note, nr_audio *out);

/* --- augmentation (augment.c): long impacts made from the data set's own sounds --- */
typedef struct {
    uint64_t state;
} ds_rng;
void ds_rng_seed(ds_rng *r, uint64_t seed);
uint64_t ds_rng_u64(ds_rng *r);
double ds_rng_uniform(ds_rng *r); /* [0, 1) */

/* A cinematic boom from 1..3 layers: each layer pitched down by 0..-24 semitones (varispeed: the
 * length grows with it), delayed 0..30 ms, gained -12..0 dB; summed, then a decaying-noise tail
 * (a few seconds, exponential with a random T60) convolved on, peak-normalised later by ds_process.
 * `recipe` gets a short description. The result is at most max_s long. Deterministic from rng. */
nr_result ds_augment_boom(const nr_audio *const *layers, int n_layers, ds_rng *rng, double max_s,
                          nr_audio *out, char *recipe, size_t recipe_n);

/* --- curves (curves_cache.c) --- */
/* Analyse a processed sound (any rate: resampled to 22050 Hz) with nr_analyze. */
/* The data-set builder's processing cache, DIR/cache.tsv: "key<TAB>result" rows, appended to by each run. */
#define DS_CACHE_MAX_LINE 2048 /* a key and a result of at most 512 bytes each, with room to spare */
typedef struct {
    char *key, *val;
} ds_cache_row;
typedef struct {
    ds_cache_row *rows; /* (n), in file order: the latest row for a key wins */
    int n, cap;
} ds_cache;
/* Reads path into c (a missing file: no rows). A torn last line (no newline: a killed run) is dropped; a
 * line longer than DS_CACHE_MAX_LINE or holding a NUL byte is skipped with a warning on stderr naming the
 * file and the line. Returns the number of lines skipped. */
int ds_cache_load(const char *path, ds_cache *c);
void ds_cache_free(ds_cache *c);

nr_result ds_curves_compute(const nr_audio *a, nr_curves *out);

#endif
