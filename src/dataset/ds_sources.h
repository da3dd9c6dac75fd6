/* Sources of one-shots and the build pipeline of `neurorack dataset`. */
#ifndef NR_DS_SOURCES_H
#define NR_DS_SOURCES_H

#include "ds_internal.h"

typedef enum {
    DS_KIND_FILES,    /* sound files under a folder */
    DS_KIND_HYDROGEN, /* Hydrogen kits: sound files + drumkit.xml instrument names */
    DS_KIND_SF2,      /* samples of a SoundFont's drum kits (and listed percussive programs) */
    DS_KIND_ZIP,      /* sound files inside a zip archive */
    DS_KIND_OWN       /* a folder of the user's own sounds (`dataset --from`): every file libsndfile reads */
} ds_kind;

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
                          * without one ("hit"); NULL: drum words, "perc" when none matches */
} ds_source;

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
