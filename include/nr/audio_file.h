/* Audio files (libsndfile) and sample-rate conversion: resampy's kaiser_best for the analysis (what
 * librosa.load did for the original), libsamplerate for sound that is played or written. Not
 * audio-thread safe. */
#ifndef NR_AUDIO_FILE_H
#define NR_AUDIO_FILE_H

#include "nr/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A mono signal owned by the caller of the function that filled it; free with nr_audio_free. */
typedef struct {
    float *samples; /* (n) */
    long n;
    int rate;       /* Hz */
} nr_audio;

void nr_audio_free(nr_audio *a);

/* Read any file libsndfile reads (WAV, FLAC, OGG, AIFF, ...), mix down to mono (mean of the
 * channels), and resample to `rate` Hz with nr_audio_resample_kaiser_best (0 keeps the file's rate):
 * librosa.load(path, sr=rate) of librosa 0.9.2. */
nr_result nr_audio_load(const char *path, int rate, nr_audio *out);

/* High-quality resampling of a mono signal for listening (libsamplerate's best sinc); out is
 * allocated, ceil(n * rate_out / rate_in) samples. rate_in == rate_out copies. */
nr_result nr_audio_resample(const float *in, long n, int rate_in, int rate_out, nr_audio *out);

/* Resampling for the analysis: resampy's kaiser_best as librosa 0.9.2 calls it (librosa.resample
 * with res_type 'kaiser_best'): ceil(n * rate_out / rate_in) samples, of which resampy's
 * int(n * rate_out / rate_in) are filtered and the rest (at most one) is zero. Equal to resampy
 * within float32 rounding (src/dsp/kaiser_resample.h). rate_in == rate_out copies. */
nr_result nr_audio_resample_kaiser_best(const float *in, long n, int rate_in, int rate_out, nr_audio *out);

typedef enum {
    NR_SAMPLE_FLOAT = 0, /* 32-bit float */
    NR_SAMPLE_PCM24,
    NR_SAMPLE_PCM16
} nr_sample_format;

/* Write a mono file; the container (WAV, FLAC, OGG, AIFF) follows the extension. FLAC has no float
 * samples and is written as 24-bit. Writes to a temporary file and renames it, so an existing file
 * is never left half-written (disk full, kill). */
nr_result nr_audio_write(const char *path, const float *x, long n, int rate, nr_sample_format fmt);
/* 1 when nr_audio_write(path, ..., fmt) stores samples only within full scale, so a sample beyond +-1
 * is clipped there: PCM (16- and 24-bit WAV and AIFF, FLAC) and Ogg Vorbis; 0 for float WAV and AIFF
 * (and for a name nr_audio_write refuses). */
int nr_audio_write_clips(const char *path, nr_sample_format fmt);

#ifdef __cplusplus
}
#endif
#endif
