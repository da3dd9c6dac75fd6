/* The module host's settings and presets around the patch (nr/patch.h): defaults, clamping, and the
 * versioned, checksummed settings file (docs/settings.md). Not audio-thread safe (files). */
#ifndef NR_SETTINGS_H
#define NR_SETTINGS_H

#include "nr/patch.h"

#define NR_SETTINGS_VERSION 1
#define NR_PRESET_SLOTS 16

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
