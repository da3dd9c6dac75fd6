/* Band-limited resampling with resampy's `kaiser_best` filter, the resampler librosa.load used for
 * the original's descriptors: a Kaiser-windowed sinc stored as its right wing, read with linear
 * interpolation between table steps. The table is computed once per process from the design
 * parameters below (nothing is shipped as data). Not audio-thread safe (the first call builds the
 * table). */
#ifndef NR_DSP_KAISER_RESAMPLE_H
#define NR_DSP_KAISER_RESAMPLE_H

/* resampy >= 0.3's kaiser_best (the one of Debian's 0.4.2, whose output equals librosa 0.9.2's
 * load in ../shared/reference/neurorack bit for bit). resampy <= 0.2.2 shipped another kaiser_best
 * (64 zero crossings, 2^9 steps, rolloff 0.9475937167399596, beta 14.769656459379492); the goldens
 * rule it out: it differs from them by 1.4% of the peak (scripts/make-resampy-goldens.py). */
#define NR_KB_ZEROS 50                  /* zero crossings kept on each side of the sinc */
#define NR_KB_PRECISION_BITS 13         /* 2^13 table steps per zero crossing */
#define NR_KB_STEPS (1 << NR_KB_PRECISION_BITS)
#define NR_KB_ROLLOFF 0.917347          /* cut-off as a fraction of the (lower) Nyquist */
#define NR_KB_BETA 12.9846              /* Kaiser window shape */
#define NR_KB_TABLE (NR_KB_ZEROS * NR_KB_STEPS + 1) /* 409601 entries, the right wing incl. both ends */

/* The right wing, built on first use, as (win, delta) pairs so that one tap reads one cache line:
 * win[j] = rolloff sinc(rolloff j / steps) I0(beta sqrt(1 - (j / (table - 1))^2)) / I0(beta) and
 * delta[j] = win[j + 1] - win[j] (0 at the end), j = 0..table-1, then a padding copy of the last
 * pair: (NR_KB_TABLE + 1, 2). NULL if it could not be made (out of memory). */
const double *nr_kb_table(void);

/* The number of output samples resampy gives, int(n * rate_out / rate_in) (its floor; librosa pads
 * up to ceil(n * rate_out / rate_in) with zeros). */
long nr_kb_resampy_length(long n, int rate_in, int rate_out);

/* y[t] for t = 0..n_y-1 at input times t * rate_in / rate_out, x: (n_x), y: (n_y). rate_in != rate_out.
 * Returns 0 if the table (or this call's working memory, up to 7 MB) is missing. The same samples
 * as nr_kb_resample_ref, bit for bit: the same taps added in the same order with the same rounding,
 * several outputs side by side. Allocates its working memory per call. */
int nr_kb_resample(const float *x, long n_x, int rate_in, int rate_out, float *y, long n_y);

/* Reference: resampy 0.4.2's resample_f step by step, the filter scaled by the ratio before the
 * deltas are taken and every tap added into the float32 output (its rounding). Slow; for tests. */
int nr_kb_resample_ref(const float *x, long n_x, int rate_in, int rate_out, float *y, long n_y);

#endif
