/* Core types of the Neurorack engine: result codes, error messages, descriptors.
 *
 * Every fallible call returns an nr_result. On failure the call also leaves a one-line message
 * (naming the file and what was expected) in a thread-local buffer, read with nr_last_error().
 * Audio-thread-safe functions never set that message: they clamp instead of failing. */
#ifndef NR_CORE_H
#define NR_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    NR_OK = 0,
    NR_ERR_ARG,         /* a bad argument or option value */
    NR_ERR_IO,          /* a file or device could not be opened, read or written */
    NR_ERR_FORMAT,      /* a file is not what it claims to be, or is damaged */
    NR_ERR_VERSION,     /* a file of a newer format version than this build reads */
    NR_ERR_SHAPE,       /* a tensor, curve or buffer has the wrong size */
    NR_ERR_VALUE,       /* NaN, infinity or out-of-range values where they are not allowed */
    NR_ERR_NOMEM,
    NR_ERR_UNSUPPORTED, /* valid, but not something this build can do */
    NR_ERR_DEVICE,      /* an audio or control device is missing or failed */
    NR_ERR_INTERRUPTED  /* stopped by a signal (Ctrl-C, SIGTERM) before the result was committed */
} nr_result;

/* Short name of a result code ("format error", ...). Audio-thread safe. */
const char *nr_result_str(nr_result r);

/* The message of the last failure on this thread ("" if none). */
const char *nr_last_error(void);

/* Record a failure message (printf-style) and return `code`. Not audio-thread safe. */
nr_result nr_fail(nr_result code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prefix the current error message with "<prefix>: " (e.g. a file name) and return `code`. */
nr_result nr_fail_prefix(nr_result code, const char *prefix);

void nr_clear_error(void);

/* The 7 perceptual descriptors, in the column order the original model expects. */
enum {
    NR_DESC_LOUDNESS = 0, /* rms */
    NR_DESC_PERCUSSIVITY, /* zero-crossing rate */
    NR_DESC_TONELIKE,     /* spectral roll-off, Hz */
    NR_DESC_NOISINESS,    /* spectral flatness */
    NR_DESC_RICHNESS,     /* spectral bandwidth, Hz */
    NR_DESC_BRIGHTNESS,   /* spectral centroid, Hz */
    NR_DESC_PITCH,        /* yin f0, Hz */
    NR_NUM_DESC
};

/* Panel names ("loudness", ...), index as above. */
extern const char *const nr_desc_names[NR_NUM_DESC];

/* Analysis framing of the original: 22050 Hz, hop 512 (43.07 frames per second). */
#define NR_ANALYSIS_RATE 22050
#define NR_ANALYSIS_HOP 512
#define NR_ANALYSIS_NFFT 2048
/* Analysis frames per second, as the curves carry it (float). */
#define NR_ANALYSIS_FRAME_RATE ((float)NR_ANALYSIS_RATE / (float)NR_ANALYSIS_HOP)

#ifdef __cplusplus
}
#endif
#endif
