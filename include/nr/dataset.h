/* The training data set of one-shot impacts: a manifest (DIR/manifest.tsv) of processed mono sounds
 * (DIR/audio/<hash>.flac) with cached descriptor curves (DIR/curves/<hash>.nrc).
 * `neurorack dataset` builds it (docs/data.md); a trainer reads it with the calls below.
 * Nothing here is audio-thread safe. */
#ifndef NR_DATASET_H
#define NR_DATASET_H

#include "nr/audio_file.h"
#include "nr/curves.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Split of an entry, fixed by its group's hash (see nr_split_of_key): 80 / 10 / 10 %.
 * The test split is never used for training or for choosing a model. */
typedef enum { NR_SPLIT_TRAIN = 0, NR_SPLIT_VALID, NR_SPLIT_TEST, NR_SPLIT_COUNT } nr_split;

/* One manifest row; every text field is NUL-terminated (truncated fields are rejected on read). */
typedef struct {
    char hash[17];      /* 16 hex digits: 64-bit FNV-1a of the stored 24-bit samples (and rate) */
    nr_split split;
    char cls[16];       /* class guess: kick, snare, tom, clap, hat, cymbal, metal, wood, stone, hand,
                         * shaker, boom, fx, perc; explosion, crash, hit, whoosh, magic */
    char source[32];    /* hydrogen, sonic-pi, lmms, 0ad, avl-drums, fluid-gm, musescore, ufoai, openarena,
                         * warzone2100, wesnoth, megaglest, redeclipse, hedgewars, augment */
    char package[48];   /* Debian package the sound came from ("-" for augmentations) */
    char licence[48];   /* SPDX-like licence of the sound */
    double duration;    /* seconds, after trimming */
    long n_samples;
    int rate;           /* Hz of the stored audio */
    char group[96];     /* split key: the instrument (all its velocity layers share a split) */
    char audio[64];     /* relative to the manifest's folder: audio/<hash>.flac */
    char curves[64];    /* relative: curves/<hash>.nrc, or "-" if not analysed yet */
    char origin[256];   /* where it came from: file path, sf2 file#sample, or the augmentation recipe */
} nr_ds_entry;

typedef struct {
    char dir[512];      /* folder of the manifest; entry paths are relative to it */
    nr_ds_entry *e;     /* (n) */
    int n;
    int cap;
} nr_manifest;

#define NR_MANIFEST_FILE "manifest.tsv"
/* First line of manifest.tsv; the reader rejects other versions. */
#define NR_MANIFEST_MAGIC "#neurorack-manifest 1"

const char *nr_split_name(nr_split s); /* "train", "valid", "test" */
/* Parse "train"/"valid"/"test"; returns NR_SPLIT_COUNT if it is none of them. */
nr_split nr_split_parse(const char *s);
/* The split of a group key: FNV-1a 64 of the text, mixed, modulo 100: < 80 train, < 90 valid, else test. */
nr_split nr_split_of_key(const char *group);

/* Read DIR/manifest.tsv (or a .tsv path). Malformed rows are reported on stderr with their line
 * number and skipped; fails only if the file is missing, of another version, or has no header. */
nr_result nr_manifest_read(const char *path, nr_manifest *m);
/* Write atomically (temp file + rename) to `path`. */
nr_result nr_manifest_write(const char *path, const nr_manifest *m);
/* Append a copy of *e (grows the table). */
nr_result nr_manifest_add(nr_manifest *m, const nr_ds_entry *e);
void nr_manifest_free(nr_manifest *m);

/* Iterate one split: `int it = -1; while ((i = nr_manifest_next(m, NR_SPLIT_TRAIN, &it)) >= 0) ...`.
 * Returns the entry index, or -1 at the end. split NR_SPLIT_COUNT iterates every entry. */
int nr_manifest_next(const nr_manifest *m, nr_split split, int *it);
int nr_manifest_count(const nr_manifest *m, nr_split split);

/* Load entry i's processed audio (mono, its stored rate; `rate` > 0 resamples); free it with
 * nr_audio_free. Fails with a message naming the file if it is unreadable, empty, silent or not
 * finite: the caller reports and skips. */
nr_result nr_ds_load_audio(const nr_manifest *m, int i, int rate, nr_audio *out);
/* Load entry i's cached descriptor curves (43.07 frames/s, analysis of the stored audio). */
nr_result nr_ds_load_curves(const nr_manifest *m, int i, nr_curves *out);

/* The curve cache file (.nrc): magic "NRCURVE1", u32 version 1, u32 n_frames, u32 n_desc (7),
 * f32 frame_rate, u32 FNV-1a 32 of the data bytes, u32 0; then n_frames*7 f32, all little-endian. */
nr_result nr_curves_cache_read(const char *path, nr_curves *out);
nr_result nr_curves_cache_write(const char *path, const nr_curves *c);

#ifdef __cplusplus
}
#endif
#endif
