/* Descriptor curves: what every control produces and every model consumes. */
#ifndef NR_CURVES_H
#define NR_CURVES_H

#include "nr/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NR_CURVES_MAX_FRAMES (1 << 24)

typedef struct {
    int n_frames;
    float frame_rate; /* frames per second (22050/512 for analysis output) */
    float *data;      /* (n_frames, NR_NUM_DESC) raw values: rms, zcr, Hz... */
} nr_curves;

nr_result nr_curves_alloc(nr_curves *c, int n_frames, float frame_rate);
void nr_curves_free(nr_curves *c);

/* Resample in time to another frame rate (linear interpolation, ends held); same duration. */
nr_result nr_curves_resample(const nr_curves *in, float frame_rate, nr_curves *out);

/* Volts per octave: the factor 2^octaves that moves a pitch by `octaves` (1 V = one octave, exactly).
 * Non-finite or absurd inputs (beyond +-10 octaves) are clamped, so a CV can never produce inf. */
double nr_pitch_factor(double octaves);

/* Transposes the pitch column by `semitones` (pitch x 2^(semitones/12)); other columns are untouched.
 * The same mapping as the instrument's `pitch_voct` CV target. */
void nr_curves_transpose(nr_curves *c, double semitones);

/* The pitch a listener would name: median of the pitch column over the loud frames (loudness within
 * `range_db` of the loudest frame) whose pitch lies in lo..hi Hz. 0 when no frame qualifies. */
double nr_curves_median_pitch(const nr_curves *c, double range_db, double lo, double hi);

/* CSV with the header
 *   time_s,loudness,percussivity,tonelike,noisiness,richness,brightness,pitch
 * one row per frame. The reader checks the header, the column count and that every value is finite,
 * and names file and line in its error. The writer is atomic (temp file + rename). */
nr_result nr_curves_read_csv(const char *path, nr_curves *out);
nr_result nr_curves_write_csv(const char *path, const nr_curves *c);

#ifdef __cplusplus
}
#endif
#endif
