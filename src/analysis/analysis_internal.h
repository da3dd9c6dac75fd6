/* Internal pieces of the descriptor analysis (librosa 0.9.2 semantics, see nr/analysis.h).
 * Every function works on one frame; the caller owns the buffers (one nr_an_work per thread). */
#ifndef NR_ANALYSIS_INTERNAL_H
#define NR_ANALYSIS_INTERNAL_H

#include "nr/core.h"

#define NR_AN_NFFT NR_ANALYSIS_NFFT      /* 2048 */
#define NR_AN_NBINS (NR_AN_NFFT / 2 + 1) /* 1025 */
#define NR_AN_HOP NR_ANALYSIS_HOP        /* 512 */
#define NR_YIN_WIN (NR_AN_NFFT / 2)      /* 1024: librosa's default win_length */
#define NR_YIN_MIN_PERIOD 4              /* floor(22050 / fmax 5000) */
#define NR_YIN_MAX_PERIOD 441            /* ceil(22050 / fmin 50) */
#define NR_YIN_THRESHOLD 0.1

/* Scratch buffers for one analysis thread (FFTW-aligned). */
typedef struct {
    double *real;   /* (NR_AN_NFFT) FFT input */
    double *real2;  /* (NR_AN_NFFT) second FFT input / inverse output */
    void *spec;     /* (NR_AN_NBINS) fftw_complex */
    void *spec2;    /* (NR_AN_NBINS) fftw_complex */
    float *mag;     /* (NR_AN_NBINS) |STFT| rounded as librosa's complex64 */
    double *yin;    /* (NR_YIN_MAX_PERIOD + 2) difference function, then its normalised form */
    double *window; /* (NR_AN_NFFT) periodic Hann, as scipy's get_window('hann', 2048) */
} nr_an_work;

/* The process-wide FFTW plans (fftw_plan, size NR_AN_NFFT, double); 0 if planning failed. */
int nr_an_plans(void **r2c, void **c2r);

nr_result nr_an_work_init(nr_an_work *w);
void nr_an_work_free(nr_an_work *w);

/* frame: (NR_AN_NFFT) samples of the zero-padded signal. */

/* |rfft(frame * periodic Hann)| as float32, into w->mag. */
void nr_an_stft_mag(nr_an_work *w, const float *frame);
/* rolloff (Hz), flatness, bandwidth (Hz), centroid (Hz) of w->mag. */
void nr_an_spectral(const nr_an_work *w, float *rolloff, float *flatness, float *bandwidth, float *centroid);
/* yin f0 in Hz (may be NaN, as librosa's can). */
double nr_an_yin(nr_an_work *w, const float *frame);

#endif
