/* yin f0 as librosa 0.9.2 computes it (fmin 50, fmax 5000, frame 2048, win 1024, threshold 0.1):
 * autocorrelation through rfft/irfft in double, window energies from a float32 running sum. */
#include "analysis_internal.h"

#include <fftw3.h>
#include <math.h>
#include <string.h>

#define TINY64 2.2250738585072014e-308 /* numpy's tiny(float64) */
#define N_YIN (NR_YIN_MAX_PERIOD - NR_YIN_MIN_PERIOD + 1)

double nr_an_yin(nr_an_work *w, const float *frame)
{
    void *r2c, *c2r;
    nr_an_plans(&r2c, &c2r);
    fftw_complex *A = w->spec, *B = w->spec2;

    /* acf[tau] = sum_{i=1..1024} x[i] x[i + tau]: rfft(x) * rfft(x[1024:0:-1]) -> irfft, lags 1024.. */
    for (int i = 0; i < NR_AN_NFFT; i++) w->real[i] = frame[i];
    fftw_execute_dft_r2c(r2c, w->real, A);
    for (int i = 0; i < NR_YIN_WIN; i++) w->real[i] = frame[NR_YIN_WIN - i];
    memset(w->real + NR_YIN_WIN, 0, (NR_AN_NFFT - NR_YIN_WIN) * sizeof(double));
    fftw_execute_dft_r2c(r2c, w->real, B);
    for (int k = 0; k < NR_AN_NBINS; k++) {
        double re = A[k][0] * B[k][0] - A[k][1] * B[k][1];
        double im = A[k][0] * B[k][1] + A[k][1] * B[k][0];
        A[k][0] = re;
        A[k][1] = im;
    }
    fftw_execute_dft_c2r(c2r, A, w->real2);
    const double *acf = w->real2 + NR_YIN_WIN; /* unnormalised: / NR_AN_NFFT below */

    /* energy[t] = cs[1024 + t] - cs[t] with cs the float32 running sum of float32 squares. */
    float cs_lo = 0.0f, cs_hi = 0.0f;
    for (int i = 0; i < NR_YIN_WIN; i++) cs_hi += frame[i] * frame[i];
    float e0 = 0.0f;
    double *d = w->yin; /* d[tau], tau = 0..max period */
    for (int t = 0; t <= NR_YIN_MAX_PERIOD; t++) {
        cs_lo += frame[t] * frame[t];
        cs_hi += frame[NR_YIN_WIN + t] * frame[NR_YIN_WIN + t];
        float e = cs_hi - cs_lo;
        if (fabsf(e) < 1e-6f) e = 0.0f;
        if (t == 0) e0 = e;
        double a = acf[t] / NR_AN_NFFT;
        if (fabs(a) < 1e-6) a = 0.0;
        d[t] = (double)(e0 + e) - 2.0 * a;
    }

    /* cumulative mean normalised difference, tau = min..max, stored in place from index 0. */
    double run = 0.0;
    double cm[NR_YIN_MAX_PERIOD + 1];
    for (int t = 1; t <= NR_YIN_MAX_PERIOD; t++) {
        run += d[t];
        cm[t] = run / t;
    }
    double *y = d;
    for (int k = 0; k < N_YIN; k++) {
        int t = k + NR_YIN_MIN_PERIOD;
        y[k] = d[t] / (cm[t] + TINY64); /* d[t] is read before y[k] (k < t) overwrites anything */
    }

    /* first local minimum below the threshold, else the global minimum. */
    int best = -1;
    for (int k = 0; k < N_YIN && best < 0; k++) {
        int trough;
        if (k == 0) trough = y[0] < y[1];
        else if (k == N_YIN - 1) trough = y[k] < y[k - 1];
        else trough = y[k] < y[k - 1] && y[k] <= y[k + 1];
        if (trough && y[k] < NR_YIN_THRESHOLD) best = k;
    }
    if (best < 0) {
        best = 0;
        for (int k = 1; k < N_YIN; k++)
            if (y[k] < y[best] || (isnan(y[k]) && !isnan(y[best]))) best = k;
    }

    double shift = 0.0;
    if (best > 0 && best < N_YIN - 1) {
        double pa = (y[best - 1] + y[best + 1] - 2.0 * y[best]) / 2.0;
        double pb = (y[best + 1] - y[best - 1]) / 2.0;
        shift = -pb / (2.0 * pa + TINY64);
        if (fabs(shift) > 1.0) shift = 0.0;
    }
    return (double)NR_ANALYSIS_RATE / (NR_YIN_MIN_PERIOD + best + shift);
}
