/* |STFT| and the four spectral descriptors, with librosa 0.9.2's precision at each step:
 * frame (float32) * window (float64) -> rfft in double -> complex64 -> |.| in float32. */
#include "analysis_internal.h"

#include <fftw3.h>
#include <math.h>

/* Bin k is k * 22050 / 2048 Hz (exact in binary: 10.7666015625 Hz per bin). */
#define BIN_HZ ((double)NR_ANALYSIS_RATE / NR_AN_NFFT)

void nr_an_stft_mag(nr_an_work *w, const float *frame)
{
    void *r2c, *c2r;
    nr_an_plans(&r2c, &c2r);
    for (int i = 0; i < NR_AN_NFFT; i++) w->real[i] = (double)frame[i] * w->window[i];
    fftw_complex *X = w->spec;
    fftw_execute_dft_r2c(r2c, w->real, X);
    for (int k = 0; k < NR_AN_NBINS; k++) w->mag[k] = hypotf((float)X[k][0], (float)X[k][1]);
}

void nr_an_spectral(const nr_an_work *w, float *rolloff, float *flatness, float *bandwidth, float *centroid)
{
    const float *S = w->mag;

    /* rolloff: float32 running sum (np.cumsum), first bin reaching 0.85 of the total. The threshold
     * is discontinuous in S, so the float32 rounding of every partial sum is kept. */
    float cum = 0.0f;
    for (int k = 0; k < NR_AN_NBINS; k++) cum += S[k];
    const float thr = 0.85f * cum;
    cum = 0.0f;
    int kr = NR_AN_NBINS - 1;
    for (int k = 0; k < NR_AN_NBINS; k++) {
        cum += S[k];
        if (cum >= thr) {
            kr = k;
            break;
        }
    }
    *rolloff = (float)(kr * BIN_HZ);

    /* flatness: power spectrum floored at amin 1e-10 (in float32, as librosa), geometric / arithmetic mean. */
    double slog = 0.0, ssum = 0.0;
    for (int k = 0; k < NR_AN_NBINS; k++) {
        float p = S[k] * S[k];
        if (!(p > 1e-10f)) p = 1e-10f;
        slog += log((double)p);
        ssum += p;
    }
    *flatness = (float)(exp(slog / NR_AN_NBINS) / (ssum / NR_AN_NBINS));

    /* centroid and bandwidth on S / sum(S) (util.normalize: norm in float64, result stored as
     * float32; a column whose norm is below float32's tiny is left as is). */
    double norm = 0.0;
    for (int k = 0; k < NR_AN_NBINS; k++) norm += S[k];
    if (norm < 1.1754943508222875e-38) norm = 1.0;
    double c = 0.0;
    for (int k = 0; k < NR_AN_NBINS; k++) c += k * BIN_HZ * (double)(float)(S[k] / norm);
    double bw = 0.0;
    for (int k = 0; k < NR_AN_NBINS; k++) {
        double dev = fabs(c - k * BIN_HZ);
        bw += (double)(float)(S[k] / norm) * (dev * dev);
    }
    *centroid = (float)c;
    *bandwidth = (float)sqrt(bw);
}
