/* Sources of one-shots and the build pipeline of `neurorack dataset`. */
#ifndef NR_DS_SOURCES_H
#define NR_DS_SOURCES_H

#include "ds_internal.h"

typedef enum {
    DS_KIND_FILES,    /* sound files under a folder */
    DS_KIND_HYDROGEN, /* Hydrogen kits: sound files + drumkit.xml instrument names */
    DS_KIND_SF2,      /* samples of a SoundFont's drum kits (and listed percussive programs) */
    DS_KIND_ZIP,      /* sound files inside a zip archive */
    DS_KIND_OWN,      /* a folder of the user's own sounds (`dataset --from`): every file libsndfile reads */
    DS_KIND_FLUID     /* notes of a SoundFont's programs rendered through libfluidsynth (ds_source.plan) */
} ds_kind;

/* The families of sounds a data set (and a model) is made of: one-shot impacts (the default, the
 * original instrument's), plucked and struck pitched notes, sustained and evolving textures. */
typedef enum { DS_FAMILY_IMPACTS, DS_FAMILY_PLUCKS, DS_FAMILY_TEXTURES, DS_FAMILY_COUNT } ds_family;

/* One program of a DS_KIND_FLUID source: its notes lo, lo + step, ... <= hi, each at every velocity. */
typedef struct {
    int program;     /* bank 0, 0-based GM number */
    int lo, hi;      /* MIDI keys of its playable range */
    const char *cls; /* the manifest class (a program group: "guitar", "pad") */
} ds_fluid_prog;

typedef struct {
    const ds_fluid_prog *progs;
    int n_progs;
    int step;              /* semitones between rendered keys */
    const int *velocities;
    int n_vel;
    double hold_s;         /* note-off after hold_s + (a spread by key and program) */
    double hold_spread_s;  /* 0..this added, so held textures differ in length (4..7 s) */
    double max_s;          /* the render ends here at the latest */
    double silence_db;     /* after note-off, ended when 100 ms stay below the peak + this */
} ds_fluid_plan;

typedef struct {
    const char *name;    /* short source name in the manifest ("hydrogen") */
    const char *package; /* Debian package */
    ds_kind kind;
    const char *root;    /* folder, .sf2 or .zip */
    const char *licence; /* default licence */
    const char *include; /* "a|b|c": keep a path (relative to root) only if it contains one; NULL keeps all */
    const char *exclude; /* "a|b": drop a path that contains one; NULL drops none */
    const char *(*licence_of)(const char *rel); /* per-file licence, or NULL for the default */
    const int *programs; /* SF2: bank-0 programs to take besides the drum kits (bank 128) */
    int n_programs;      /* SF2: -1 when every preset of the file is a drum kit */
    const char *cls;     /* non-NULL: a source of sound effects, whose names are read with the effect words
                          * (explosion, crash, hit, whoosh, magic) and which gives this class to a name
                          * without one ("hit"); NULL: drum words, "perc" when none matches. In the plucks
                          * and textures families: the class of every sound of a recorded source */
    const ds_fluid_plan *plan; /* DS_KIND_FLUID: which notes are rendered */
} ds_source;

/* "impacts", "plucks", "textures" -> *f; 0 for an unknown name. */
int ds_family_parse(const char *name, ds_family *f);
const char *ds_family_name(ds_family f);
/* The sources of a family in priority order (impacts: ds_sources), and their Debian packages. */
const ds_source *ds_family_sources(ds_family f, int *n);
const char *ds_family_packages(ds_family f);
/* The processing of a family: impacts ds_params_default(); plucks up to 6 s; textures up to 10 s with a
 * half-second fade where a longer recording is cut (a sustained sound does not end at a cut). */
ds_params ds_family_params(ds_family f);

/* The built-in sources, in priority order (an earlier source keeps a sound found in a later one). */
const ds_source *ds_sources(int *n);
/* The Debian packages of the built-in sources, space separated (what data/recipe.sh installs). */
const char *ds_source_packages(void);
/* 1 when a path (relative to the source's root, or a SoundFont sample name) passes the source's include
 * and exclude patterns. */
int ds_source_wants(const ds_source *s, const char *rel);

typedef struct {
    const char *out_dir;
    const char *only;       /* comma-separated source names to use, NULL for all */
    ds_family family;       /* which sources (when src is NULL); the non-impact families take every sound
                             * (no impact-name filter), their class from the source or program, and no
                             * augmentation */
    int rate;               /* Hz of the stored audio */
    uint64_t seed;          /* augmentation */
    int n_booms;            /* augmented long impacts to add (spread over the splits 80/10/10) */
    double boom_max_s;
    ds_params params;
    const ds_source *src;   /* NULL: the built-in table */
    int n_src;
    int analyze;            /* compute missing curves (nr_analyze) */
    int verbose;            /* print every rejected or duplicate file */
    int prune;              /* delete audio/ and curves/ files the new manifest does not list */
    const char *const *from; /* (n_from) folders of the user's own sounds (source "own"). With any, the
                              * built-in sources are used only if `only` names them */
    int n_from;
    int progress;           /* 1: progress over the own folders on stderr: a bar on a terminal, else a count */
} ds_build_config;

ds_build_config ds_build_config_default(void);

typedef struct {
    int seen, kept, dup_exact, dup_near, rejected, failed, cached, augmented;
    int curves_new, curves_cached, curves_missing;
    double total_s;
} ds_build_stats;

/* Build (or update) out_dir/{manifest.tsv,audio/,curves/,cache.tsv}; *m gets the manifest. Bad or
 * unreadable sounds are reported on stderr and skipped; only an unusable output folder is fatal. */
nr_result ds_build(const ds_build_config *cfg, nr_manifest *m, ds_build_stats *st);

#endif
