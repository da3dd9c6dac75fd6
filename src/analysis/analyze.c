/* nr_analyze: the 7 descriptors per frame of 512 samples, frames centred (librosa center=True),
 * the last frame dropped and NaN replaced by 1, as the original prepared its training data. */
#include "analysis_internal.h"
#include "nr/analysis.h"
#include "nr/audio_file.h"

#include <math.h>
#include <string.h>

#define HALF (NR_AN_NFFT / 2) /* centre padding on each side */

/* rms over the zero-padded frame: sqrt(mean(x^2)), squares in float32 as numpy takes them. */
static float frame_rms(const float *frame)
{
    double s = 0.0;
    for (int i = 0; i < NR_AN_NFFT; i++) s += (double)(frame[i] * frame[i]);
    return sqrtf((float)(s / NR_AN_NFFT));
}

/* Sign bit after zeroing |x| <= 1e-10, so that 0 counts as positive. */
static int zsign(float x) { return fabsf(x) <= 1e-10f ? 0 : signbit(x) != 0; }

/* Zero-crossing rate of frame f over the EDGE-padded signal (librosa pads zcr frames with copies
 * of the end samples, unlike the other descriptors); crossings at i = 1..2047, divided by 2048. */
static float frame_zcr(const float *y, long n, long f)
{
    long start = f * NR_AN_HOP - HALF;
    int count = 0, prev = -1;
    for (int i = 0; i < NR_AN_NFFT; i++) {
        long j = start + i;
        int s = zsign(y[j < 0 ? 0 : j >= n ? n - 1 : j]);
        if (i > 0 && s != prev) count++;
        prev = s;
    }
    return (float)count / NR_AN_NFFT;
}

static float nan_to_one(double v) { return isnan(v) ? 1.0f : (float)v; }

nr_result nr_analyze(const float *y, long n, nr_curves *out)
{
    memset(out, 0, sizeof *out);
    if (n < 0 || (n > 0 && !y)) return nr_fail(NR_ERR_ARG, "analysis needs a signal (got %ld samples)", n);
    for (long i = 0; i < n; i++)
        if (!isfinite(y[i]))
            return nr_fail(NR_ERR_VALUE, "sample %ld of the signal to analyse is %g; expected finite audio", i,
                           (double)y[i]);
    if (n / NR_AN_HOP > (1 << 24)) return nr_fail(NR_ERR_ARG, "signal of %ld samples is too long to analyse", n);
    /* librosa: 1 + n / hop centred frames, of which the last is dropped. */
    int n_frames = (int)(n / NR_AN_HOP);
    nr_result r = nr_curves_alloc(out, n_frames, NR_ANALYSIS_FRAME_RATE);
    if (r != NR_OK) return r;
    if (n_frames == 0) return NR_OK;

    nr_an_work w;
    r = nr_an_work_init(&w);
    if (r != NR_OK) {
        nr_curves_free(out);
        return r;
    }
    float frame[NR_AN_NFFT]; /* zero-padded frame */
    for (int f = 0; f < n_frames; f++) {
        long start = (long)f * NR_AN_HOP - HALF;
        for (int i = 0; i < NR_AN_NFFT; i++) {
            long j = start + i;
            frame[i] = (j >= 0 && j < n) ? y[j] : 0.0f;
        }
        float rolloff, flatness, bandwidth, centroid;
        nr_an_stft_mag(&w, frame);
        nr_an_spectral(&w, &rolloff, &flatness, &bandwidth, &centroid);
        float *o = out->data + (size_t)f * NR_NUM_DESC;
        o[NR_DESC_LOUDNESS] = nan_to_one(frame_rms(frame));
        o[NR_DESC_PERCUSSIVITY] = frame_zcr(y, n, f);
        o[NR_DESC_TONELIKE] = nan_to_one(rolloff);
        o[NR_DESC_NOISINESS] = nan_to_one(flatness);
        o[NR_DESC_RICHNESS] = nan_to_one(bandwidth);
        o[NR_DESC_BRIGHTNESS] = nan_to_one(centroid);
        o[NR_DESC_PITCH] = nan_to_one(nr_an_yin(&w, frame));
    }
    nr_an_work_free(&w);
    return NR_OK;
}

nr_result nr_analyze_file(const char *path, nr_curves *out)
{
    memset(out, 0, sizeof *out);
    nr_audio a;
    nr_result r = nr_audio_load(path, NR_ANALYSIS_RATE, &a);
    if (r != NR_OK) return r;
    r = nr_analyze(a.samples, a.n, out);
    nr_audio_free(&a);
    return r != NR_OK ? nr_fail_prefix(r, path) : NR_OK;
}
