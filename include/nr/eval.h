/* Model quality measurement: how well a model re-creates reference sounds from their descriptor curves.
 *
 * For one reference: analyse it (22050 Hz), render the model from those curves (seeded), resample the
 * render to 22050 Hz, re-analyse it, then compare
 *   - descriptor fidelity: per descriptor, Pearson correlation of the reference and re-analysed curves
 *     and mean absolute error divided by a fixed scale (the original model's input_std), over the
 *     frames whose reference loudness (rms) reaches min_rms;
 *   - spectral distance of the two signals at 22050 Hz (see nr_eval_spectral_distance);
 *   - excess clicks per second and octave-band level error over the first 7 s (nr_eval_excess_clicks,
 *     nr_eval_band_error);
 *   - render speed (seconds of audio per second of wall time).
 * Not audio-thread safe. */
#ifndef NR_EVAL_H
#define NR_EVAL_H

#include <stdio.h>

#include "nr/audio_file.h"
#include "nr/curves.h"
#include "nr/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The original hn-sinc-NSF's stored input_std, rounded (`neurorack info` on its .th prints them). */
#define NR_EVAL_STD_LOUDNESS 0.120971f
#define NR_EVAL_STD_PERCUSSIVITY 0.0700574f
#define NR_EVAL_STD_TONELIKE 2059.89f
#define NR_EVAL_STD_NOISINESS 0.315122f
#define NR_EVAL_STD_RICHNESS 868.414f
#define NR_EVAL_STD_BRIGHTNESS 1014.49f
#define NR_EVAL_STD_PITCH 2054.57f

/* FFT sizes of the spectral distance; hop = size / 4, periodic Hann window. */
#define NR_EVAL_SPEC_N_SIZES 4
extern const int nr_eval_spec_sizes[NR_EVAL_SPEC_N_SIZES]; /* 2048, 1024, 512, 256 */
#define NR_EVAL_SPEC_EPS 1e-5

typedef struct {
    float desc_scale[NR_NUM_DESC]; /* MAE divisor per descriptor (raw units) */
    float min_rms;                 /* frames with reference rms below this are not compared */
    uint64_t seed;                 /* render seed (same for every sound: reproducible) */
} nr_eval_config;

/* Defaults: the rounded constants above, min_rms 1e-3, seed 1. */
nr_eval_config nr_eval_config_init(void);

/* Replace desc_scale by the "input_std" tensor of a model file (the original's .th). */
nr_result nr_eval_scale_from_model_file(const char *path, nr_eval_config *cfg);

typedef struct {
    int n_frames;              /* frames compared (reference rms >= min_rms) */
    double corr[NR_NUM_DESC];  /* Pearson r; NaN where undefined (a constant curve, < 2 frames) */
    double mae[NR_NUM_DESC];   /* mean |ref - out| / desc_scale; NaN if no frame was compared */
    double corr_mean;          /* mean of the defined corr[] (NaN if none) */
    double corr_pitch_from1;   /* corr[pitch] with the first frame left out: yin's first window is half padding
                                  and decides Pearson's r on a steady sound (docs/quality.md); not in corr_mean */
    double spectral;           /* nr_eval_spectral_distance of reference and render */
    double seconds;            /* duration of the render, s */
    double render_seconds;     /* wall time of nr_render, s */
    double speed;              /* seconds / render_seconds (x real time) */
    double clicks;             /* nr_eval_excess_clicks of render and reference, per second */
    double band_error;         /* nr_eval_band_error of render and reference, dB */
} nr_eval_result;

/* Pearson correlation of x and y over the n entries where mask is non-zero (mask NULL: all).
 * NaN when fewer than 2 entries, or either series has zero variance there. */
double nr_eval_pearson(const double *x, const double *y, const unsigned char *mask, long n);

/* Descriptor fidelity of `out` against `ref` (same frame rate; the first min(n_frames) frames). */
nr_result nr_eval_descriptors(const nr_curves *ref, const nr_curves *out, const nr_eval_config *cfg,
                              nr_eval_result *res);

/* Multi-resolution log-spectral distance of two signals of n samples: for each FFT size N of
 * nr_eval_spec_sizes, frames start at 0, 0 + N/4, ... (no centring; a signal shorter than N is
 * zero-padded to one frame), periodic Hann window, unnormalised DFT, bins 0..N/2; the distance is the
 * mean over frames and bins of |ln(|X| + 1e-5) - ln(|Y| + 1e-5)|, averaged over the 4 sizes. */
nr_result nr_eval_spectral_distance(const float *x, const float *y, long n, double *out);

/* ---- What a listener hears (at NR_ANALYSIS_RATE, on the compared length, at most NR_EVAL_MAX_SECONDS) ----
 *
 * Clicks: frames of NR_EVAL_CLICK_FRAME samples every NR_EVAL_CLICK_HOP from sample 0 (no centring; a
 * signal shorter than one frame has none), symmetric Hann w[i] = 0.5 - 0.5 cos(2 pi i / (N - 1)),
 * power |rfft|^2 of the windowed frame. Per frame e = 10 log10(power of the bins at or above
 * NR_EVAL_CLICK_HIGH_HZ + eps), L = 10 log10(power of all bins + eps). A frame is a peak when e exceeds
 * its running median over NR_EVAL_CLICK_MEDIAN frames (centred, edges repeated) by more than
 * NR_EVAL_CLICK_RISE_DB and e > max(L) - NR_EVAL_CLICK_FLOOR_DB; a click is the start of a run of peaks.
 *
 * Band levels: one unwindowed FFT of the whole signal (n samples); band b (0..7) holds the bins
 * k = 1..n/2 with 44 * 2^b <= k * rate / n < 44 * 2^(b+1) Hz; its power is sum |X_k|^2 / n^2, in dB
 * 10 log10(power + eps). */
#define NR_EVAL_MAX_SECONDS 7
#define NR_EVAL_CLICK_FRAME 256
#define NR_EVAL_CLICK_HOP 64
#define NR_EVAL_CLICK_HIGH_HZ 3000
#define NR_EVAL_CLICK_MEDIAN 33      /* frames, odd */
#define NR_EVAL_CLICK_RISE_DB 10.0   /* above the running median */
#define NR_EVAL_CLICK_FLOOR_DB 60.0  /* below the loudest frame: quieter frames never click */
#define NR_EVAL_POWER_EPS 1e-12
#define NR_EVAL_N_BANDS 8
#define NR_EVAL_BAND_LO_HZ 44        /* band edges 44 * 2^k Hz, k = 0..8 (44 .. 11264 Hz) */
#define NR_EVAL_BAND_RANGE_DB 60.0   /* bands of the reference this far below its loudest are left out */

/* The compared length of n samples at NR_ANALYSIS_RATE: at most NR_EVAL_MAX_SECONDS of them. */
long nr_eval_compared_len(long n);
/* Frames of the click detector for n samples (0 below one frame). */
long nr_eval_click_n_frames(long n);
/* Per frame (nr_eval_click_n_frames(n) of each): e, its running median, and L, all dB. */
nr_result nr_eval_click_frames(const float *x, long n, int rate, double *e, double *med, double *level);
/* Number of clicks in x (n samples at rate, rate > 6000 Hz). */
nr_result nr_eval_count_clicks(const float *x, long n, int rate, long *clicks);
/* max(0, clicks(render) - clicks(ref)) / (n / rate): clicks per second the render adds. */
nr_result nr_eval_excess_clicks(const float *render, const float *ref, long n, int rate, double *per_second);
/* The 8 octave-band levels of x, dB. */
nr_result nr_eval_band_levels(const float *x, long n, int rate, double db[NR_EVAL_N_BANDS]);
/* Mean over the bands where the reference is within NR_EVAL_BAND_RANGE_DB of its loudest band of
 * |dB(render) - dB(ref)|, dB. */
nr_result nr_eval_band_error(const float *render, const float *ref, long n, int rate, double *out);

/* Evaluate `m` on one reference (mono at NR_ANALYSIS_RATE). render22k (optional) receives the
 * render resampled to 22050 Hz with the reference's length (zero-padded or cut). */
nr_result nr_eval_sound(const nr_model *m, const nr_audio *ref, const nr_eval_config *cfg, nr_eval_result *res,
                        nr_audio *render22k);

/* ---- The control matrix: does moving one descriptor curve move that descriptor, and only it? ----
 *
 * Control units: the model's normalisation (nr_model_info desc_mean / desc_std) in log space for every
 * descriptor but percussivity (zcr, raw): std / mean, which for a model normalising in log space (the
 * impact models) is exactly its stored log std, and for the original (raw input_mean / input_std) the
 * first-order conversion. A move of z units multiplies a log column by exp(z) (loudness kept <= 10,
 * noisiness <= 1, Hz columns <= 11025) and adds z to zcr (kept in 0..1).
 *
 * For one reference (its first NR_EVAL_MAX_SECONDS s): analyse it, render its curves (seed cfg->seed,
 * at 22050 Hz) and analyse the render (the base); for each descriptor d, move its curve by +1 and -1
 * std, render with the same seed, analyse; mat[d][e] is the mean over the frames with reference rms >=
 * cfg->min_rms of |v_e(moved) - v_e(base)| / std_e in control units, averaged over +1 and -1.
 * 15 renders per reference. */
#define NR_EVAL_CONTROL_MIN_RESPONSE 0.7  /* the diagonal should reach this */
#define NR_EVAL_CONTROL_MAX_LOUDNESS 0.15 /* moving another descriptor should move loudness at most this */

/* A raw descriptor value in control space (log with the floors 1e-6 / 1 Hz; zcr as is). */
double nr_eval_control_value(int d, double raw);
/* The control units of a model. Fails if its normalisation gives no positive scale. */
nr_result nr_eval_control_scales(const nr_model *m, double std[NR_NUM_DESC]);
/* mat[moved][measured] for one reference (mono at NR_ANALYSIS_RATE). */
nr_result nr_eval_control_sound(const nr_model *m, const nr_audio *ref, const nr_eval_config *cfg,
                                double mat[NR_NUM_DESC][NR_NUM_DESC]);

/* Room to move: room[d] is the response a model would show whose render analyses exactly as the curves it
 * is given, moved and clamped as nr_eval_control_sound moves them (loudness <= 10, noisiness and zcr in
 * 0..1, Hz <= 11025): where a descriptor sits near the end of its range, the clamp takes part of the asked
 * move (a kick's zcr of 0.03 can fall by 0.03, not by 0.13). A model moving a descriptor exactly as asked
 * scores room[d]; more only by overshooting. */
nr_result nr_eval_control_room(const nr_audio *ref, const nr_eval_config *cfg, const double sd[NR_NUM_DESC],
                               double room[NR_NUM_DESC]);
/* The pitch response that following the moved pitch curve exactly would show on this reference: a harmonic
 * tone (8 harmonics at 1/k amplitude, none at or over 11 kHz) on the reference's analysed pitch curve times
 * exp(+-sd_pitch), confined to yin's search range (NR_EVAL_YIN_LO..NR_EVAL_YIN_HI Hz: a move beyond it no
 * analysis reads), with the reference's rms curve, analysed and scored as the pitch column of
 * nr_eval_control_sound. The ceiling a model's pitch response is to be read against: on low sounds the
 * move down leaves yin's range, and the response can only come from the move up. */
#define NR_EVAL_YIN_LO 50.0
#define NR_EVAL_YIN_HI 5000.0
nr_result nr_eval_control_pitch_ceiling(const nr_audio *ref, const nr_eval_config *cfg, double sd_pitch,
                                        double *response);

typedef struct {
    char model[64];
    char ref[256];                      /* a reference's name, or "mean" */
    double m[NR_NUM_DESC][NR_NUM_DESC]; /* [moved][measured] */
} nr_eval_control_row;

/* CSV with the header model,reference,moved,<measured descriptor> x7: 7 rows per entry. Atomic. */
nr_result nr_eval_write_control_csv(const char *path, const nr_eval_control_row *rows, int n);
/* The matrix as a Markdown table, its diagonal, and the two check lines; returns 1 if both pass. */
int nr_eval_print_control(FILE *f, const char *model, const double mat[NR_NUM_DESC][NR_NUM_DESC], int n_refs);

/* Tuning (src/eval/tuning.c). The pitch a listener would name in a render at `rate`: the median yin f0
 * over the frames within 20 dB of the loudest; pitches up to 400 Hz are read on the render played 4x
 * faster and higher ones on the render played 4x slower (at normal speed when that reading is not
 * steady), so that 12.5 Hz to 20 kHz can be measured (yin looks for 50..5000 Hz); 0 when none is pitched.
 * *stable (may be NULL): the share of those loud frames within 100 cents of it (a tonal sound: most). */
nr_result nr_eval_rendered_pitch(const float *y, long n, int rate, double *hz, double *stable);
/* Renders template `tmpl` (the model's own, else a built-in) at its pitch (*base_hz and *stable receive
 * the measured pitch and its stability) and transposed by each of semitones[0..n) (render --transpose);
 * cents[i] = measured interval minus the asked one, in cents (NaN when a render has no measurable pitch). */
nr_result nr_eval_tuning(const nr_model *m, const char *tmpl, const double *semitones, int n, uint64_t seed,
                         double *base_hz, double *stable, double *cents);
/* A template is tonal when at least this share of its render's loud frames sit on its pitch. */
#define NR_EVAL_TONAL_SHARE 0.6

/* One CSV row: a model label, a reference name and its result. */
typedef struct {
    char model[64];
    char ref[256];
    nr_eval_result r;
} nr_eval_row;

/* CSV with the header
 *   model,reference,seconds,frames,speed_x,spectral,corr_mean,corr_<desc>...,nmae_<desc>...,
 *   excess_clicks_per_s,band_error_db,corr_pitch_from_frame1
 * (descriptor names of nr_desc_names); undefined values are written as "nan". Atomic. */
nr_result nr_eval_write_csv(const char *path, const nr_eval_row *rows, int n);

/* Means over the rows of one model. A descriptor's mean correlation averages the sounds where it is
 * defined (n_corr[d] of them); corr_mean averages the 7 descriptor means that exist. */
typedef struct {
    int n_sounds;
    int n_corr[NR_NUM_DESC];
    double corr[NR_NUM_DESC];
    double mae[NR_NUM_DESC];
    double corr_mean;
    double corr_pitch_from1; /* mean of the defined corr_pitch_from1 (n_pitch_from1 sounds) */
    int n_pitch_from1;
    double mae_mean;
    double spectral;
    double clicks;     /* mean excess clicks per second */
    double band_error; /* mean band level error, dB */
    double speed;      /* total audio seconds / total render seconds */
    double seconds;    /* total audio */
} nr_eval_summary;

void nr_eval_summarize(const nr_eval_row *rows, int n, const char *model, nr_eval_summary *s);

/* A Markdown table, one column per model. */
void nr_eval_print_summary(FILE *f, const char *const *models, const nr_eval_summary *s, int n_models);

/* A PNG figure: the log-magnitude spectrograms (FFT 1024, hop 256, 0..rate/2 Hz) of `count` signals
 * stacked top to bottom, each titled by labels[i], one shared dB scale (80 dB below the loudest bin),
 * frequency ticks every 2 kHz, at most 16 time ticks (0.05 .. 30 s apart). Written atomically. */
nr_result nr_eval_spectrogram_png(const char *path, const float *const *x, const long *n, const char *const *labels,
                                  int count, int rate);

/* A sheet: the same spectrograms in a grid of `cols` columns, each signal stretched over its own panel
 * with its own time axis (1..NR_EVAL_SHEET_MAX signals), one shared dB scale. Written atomically. */
#define NR_EVAL_SHEET_MAX 64
nr_result nr_eval_spectrogram_sheet(const char *path, const float *const *x, const long *n,
                                    const char *const *labels, int count, int rate, int cols);

/* Render every template the model ships, then every built-in template, with `m` (seed, at 22050 Hz) and
 * draw them as a sheet of 4 columns titled "model|built-in NAME DURATION". */
nr_result nr_eval_template_sheet(const nr_model *m, const char *path, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif
