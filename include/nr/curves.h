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

/* yin's onset frames: the first analysis frame is centred on sample 0, so half of its window is padding,
 * and yin often reads it kilohertz off (the top of its range on a sound that starts at full level). A
 * model whose oscillators follow the pitch column would sweep down from there through the treble. This
 * gives the frames before the first two that agree (within `jump_oct` octaves of each other; only
 * frames in the first `within_s` seconds) the pitch of the first of those two. Returns the number of
 * frames changed. */
int nr_curves_settle_onset_pitch(nr_curves *c, double jump_oct, double within_s);
/* The rule the models trained on settled curves use: 0.75 octave, the first 0.1 s. */
#define NR_ONSET_JUMP_OCT 0.75
#define NR_ONSET_WITHIN_S 0.1
/* nr_curves_resample, the onset pitch settled first (that rule, on the input's own frames) when
 * `settle_onset` is set: what a model whose nr_model_info says settle_onset_pitch is given. */
nr_result nr_curves_resample_for_model(const nr_curves *in, float frame_rate, int settle_onset, nr_curves *out);

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
