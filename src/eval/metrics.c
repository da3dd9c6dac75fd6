/* The comparison metrics: Pearson correlation, scaled MAE of descriptor curves, log-spectral distance. */
#include "nr/eval.h"

#include <fftw3.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const int nr_eval_spec_sizes[NR_EVAL_SPEC_N_SIZES] = {2048, 1024, 512, 256};

nr_eval_config nr_eval_config_init(void)
{
    nr_eval_config c;
    memset(&c, 0, sizeof c);
    const float std[NR_NUM_DESC] = {NR_EVAL_STD_LOUDNESS,  NR_EVAL_STD_PERCUSSIVITY, NR_EVAL_STD_TONELIKE,
                                    NR_EVAL_STD_NOISINESS, NR_EVAL_STD_RICHNESS,     NR_EVAL_STD_BRIGHTNESS,
                                    NR_EVAL_STD_PITCH};
    memcpy(c.desc_scale, std, sizeof std);
    c.min_rms = 1e-3f;
    c.seed = 1;
    return c;
}

nr_result nr_eval_scale_from_model_file(const char *path, nr_eval_config *cfg)
{
    nr_tensor_set ts = {0};
    nr_result r = nr_th_read(path, &ts);
    if (r != NR_OK) r = nr_safetensors_read(path, &ts);
    if (r != NR_OK) return nr_fail(NR_ERR_FORMAT, "%s: not a readable .th or .safetensors file", path);
    const nr_tensor *t = nr_tensor_set_find(&ts, "input_std");
    if (!t || t->numel != NR_NUM_DESC) {
        nr_tensor_set_free(&ts);
        return nr_fail(NR_ERR_SHAPE, "%s: no input_std tensor of 7 values; expected the original's .th", path);
    }
    for (int d = 0; d < NR_NUM_DESC; d++) {
        if (!isfinite(t->data[d]) || t->data[d] <= 0) {
            nr_tensor_set_free(&ts);
            return nr_fail(NR_ERR_VALUE, "%s: input_std[%d] = %g; expected a positive scale", path, d,
                           (double)t->data[d]);
        }
        cfg->desc_scale[d] = t->data[d];
    }
    nr_tensor_set_free(&ts);
    return NR_OK;
}

double nr_eval_pearson(const double *x, const double *y, const unsigned char *mask, long n)
{
    long k = 0;
    double mx = 0, my = 0;
    for (long i = 0; i < n; i++)
        if (!mask || mask[i]) {
            mx += x[i];
            my += y[i];
            k++;
        }
    if (k < 2) return NAN;
    mx /= (double)k;
    my /= (double)k;
    double sxy = 0, sxx = 0, syy = 0;
    for (long i = 0; i < n; i++)
        if (!mask || mask[i]) {
            double a = x[i] - mx, b = y[i] - my;
            sxy += a * b;
            sxx += a * a;
            syy += b * b;
        }
    /* A series whose spread is at float rounding level is constant: r would be noise. */
    double tx = 1e-7 * (fabs(mx) + 1e-30), ty = 1e-7 * (fabs(my) + 1e-30);
    if (!(sxx > (double)k * tx * tx) || !(syy > (double)k * ty * ty)) return NAN;
    double r = sxy / sqrt(sxx * syy);
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

nr_result nr_eval_descriptors(const nr_curves *ref, const nr_curves *out, const nr_eval_config *cfg,
                              nr_eval_result *res)
{
    int n = ref->n_frames < out->n_frames ? ref->n_frames : out->n_frames;
    if (n < 1) return nr_fail(NR_ERR_ARG, "eval: no frames to compare (%d reference, %d render)", ref->n_frames,
                              out->n_frames);
    double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    unsigned char *mask = malloc((size_t)n);
    if (!x || !y || !mask) {
        free(x);
        free(y);
        free(mask);
        return nr_fail(NR_ERR_NOMEM, "eval: out of memory for %d frames", n);
    }
    int k = 0;
    for (int i = 0; i < n; i++) {
        mask[i] = ref->data[(size_t)i * NR_NUM_DESC + NR_DESC_LOUDNESS] >= cfg->min_rms;
        k += mask[i];
    }
    res->n_frames = k;
    double csum = 0;
    int cn = 0;
    for (int d = 0; d < NR_NUM_DESC; d++) {
        double ae = 0;
        for (int i = 0; i < n; i++) {
            x[i] = ref->data[(size_t)i * NR_NUM_DESC + d];
            y[i] = out->data[(size_t)i * NR_NUM_DESC + d];
            if (mask[i]) ae += fabs(x[i] - y[i]);
        }
        res->mae[d] = k > 0 ? ae / k / cfg->desc_scale[d] : NAN;
        res->corr[d] = nr_eval_pearson(x, y, mask, n);
        if (!isnan(res->corr[d])) {
            csum += res->corr[d];
            cn++;
        }
    }
    res->corr_mean = cn ? csum / cn : NAN;
    for (int i = 0; i < n; i++) { /* the pitch again, from frame 1 */
        x[i] = ref->data[(size_t)i * NR_NUM_DESC + NR_DESC_PITCH];
        y[i] = out->data[(size_t)i * NR_NUM_DESC + NR_DESC_PITCH];
    }
    mask[0] = 0;
    res->corr_pitch_from1 = nr_eval_pearson(x, y, mask, n);
    free(x);
    free(y);
    free(mask);
    return NR_OK;
}

/* Mean |ln(|X|+eps) - ln(|Y|+eps)| at one FFT size. */
static nr_result spectral_one(const float *x, const float *y, long n, int N, double *out)
{
    int hop = N / 4, nb = N / 2 + 1;
    long frames = n <= N ? 1 : 1 + (n - N) / hop;
    double *buf = fftw_alloc_real((size_t)N), *win = malloc((size_t)N * sizeof *win);
    fftw_complex *X = fftw_alloc_complex((size_t)nb), *Y = fftw_alloc_complex((size_t)nb);
    fftw_plan px = NULL, py = NULL;
    if (buf && win && X && Y) {
        px = fftw_plan_dft_r2c_1d(N, buf, X, FFTW_ESTIMATE);
        py = fftw_plan_dft_r2c_1d(N, buf, Y, FFTW_ESTIMATE);
    }
    if (!px || !py) {
        if (px) fftw_destroy_plan(px);
        if (py) fftw_destroy_plan(py);
        fftw_free(buf);
        fftw_free(X);
        fftw_free(Y);
        free(win);
        return nr_fail(NR_ERR_NOMEM, "eval: out of memory for an FFT of %d", N);
    }
    for (int i = 0; i < N; i++) win[i] = 0.5 - 0.5 * cos(2 * M_PI * i / N); /* periodic Hann */
    double sum = 0;
    for (long f = 0; f < frames; f++) {
        long s0 = f * hop;
        for (int i = 0; i < N; i++) buf[i] = s0 + i < n ? x[s0 + i] * win[i] : 0;
        fftw_execute(px);
        for (int i = 0; i < N; i++) buf[i] = s0 + i < n ? y[s0 + i] * win[i] : 0;
        fftw_execute(py);
        for (int b = 0; b < nb; b++) {
            double ax = hypot(X[b][0], X[b][1]), ay = hypot(Y[b][0], Y[b][1]);
            sum += fabs(log(ax + NR_EVAL_SPEC_EPS) - log(ay + NR_EVAL_SPEC_EPS));
        }
    }
    fftw_destroy_plan(px);
    fftw_destroy_plan(py);
    fftw_free(buf);
    fftw_free(X);
    fftw_free(Y);
    free(win);
    *out = sum / ((double)frames * nb);
    return NR_OK;
}

nr_result nr_eval_spectral_distance(const float *x, const float *y, long n, double *out)
{
    if (n < 1) return nr_fail(NR_ERR_ARG, "eval: spectral distance of empty signals");
    for (long i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return nr_fail(NR_ERR_VALUE, "eval: non-finite sample at %ld; expected finite audio", i);
    double total = 0;
    for (int s = 0; s < NR_EVAL_SPEC_N_SIZES; s++) {
        double d = 0;
        nr_result r = spectral_one(x, y, n, nr_eval_spec_sizes[s], &d);
        if (r != NR_OK) return r;
        total += d;
    }
    *out = total / NR_EVAL_SPEC_N_SIZES;
    return NR_OK;
}

/* ---- what a listener hears: clicks above the high-band background, octave-band balance ---- */

/* The running median of e over a centred odd window (edges repeated), O(n w): a sorted copy of the
 * window is kept and each step removes the value leaving and inserts the one entering. */
static void running_median(const double *e, long n, int w, double *med, double *win)
{
    int h = w / 2;
    /* initial window around frame 0: e[0] repeated h + 1 times, then e[1..h] */
    for (int k = 0; k < w; k++) {
        long j = k - h;
        win[k] = e[j < 0 ? 0 : j >= n ? n - 1 : j];
    }
    for (int a = 1; a < w; a++) /* insertion sort: w is small */
        for (int b = a; b > 0 && win[b - 1] > win[b]; b--) {
            double t = win[b];
            win[b] = win[b - 1];
            win[b - 1] = t;
        }
    for (long i = 0; i < n; i++) {
        med[i] = win[h];
        if (i + 1 == n) break;
        long lo = i - h, hi = i + 1 + h;
        double out = e[lo < 0 ? 0 : lo], in = e[hi >= n ? n - 1 : hi];
        int k = 0;
        while (k < w - 1 && win[k] != out) k++; /* out is in the window, exactly */
        memmove(win + k, win + k + 1, (size_t)(w - 1 - k) * sizeof *win);
        k = w - 1;
        while (k > 0 && win[k - 1] > in) {
            win[k] = win[k - 1];
            k--;
        }
        win[k] = in;
    }
}

long nr_eval_compared_len(long n)
{
    const long max = (long)NR_EVAL_MAX_SECONDS * NR_ANALYSIS_RATE;
    return n < max ? n : max;
}

long nr_eval_click_n_frames(long n)
{
    return n < NR_EVAL_CLICK_FRAME ? 0 : 1 + (n - NR_EVAL_CLICK_FRAME) / NR_EVAL_CLICK_HOP;
}

nr_result nr_eval_click_frames(const float *x, long n, int rate, double *e, double *med, double *level)
{
    enum { N = NR_EVAL_CLICK_FRAME, HOP = NR_EVAL_CLICK_HOP, NB = NR_EVAL_CLICK_FRAME / 2 + 1 };
    if (n < 0 || rate <= 2 * NR_EVAL_CLICK_HIGH_HZ)
        return nr_fail(NR_ERR_ARG, "eval: clicks of %ld samples at %d Hz; expected a rate above %d Hz", n, rate,
                       2 * NR_EVAL_CLICK_HIGH_HZ);
    for (long i = 0; i < n; i++)
        if (!isfinite(x[i])) return nr_fail(NR_ERR_VALUE, "eval: non-finite sample at %ld; expected finite audio", i);
    long frames = nr_eval_click_n_frames(n);
    if (frames == 0) return NR_OK;
    double *buf = fftw_alloc_real(N);
    fftw_complex *X = fftw_alloc_complex(NB);
    fftw_plan p = buf && X ? fftw_plan_dft_r2c_1d(N, buf, X, FFTW_ESTIMATE) : NULL;
    if (!p) {
        fftw_free(buf);
        fftw_free(X);
        return nr_fail(NR_ERR_NOMEM, "eval: out of memory for an FFT of %d", N);
    }
    double win[N], sorted[NR_EVAL_CLICK_MEDIAN];
    for (int i = 0; i < N; i++) win[i] = 0.5 - 0.5 * cos(2 * M_PI * i / (N - 1)); /* symmetric Hann */
    int k0 = 0; /* first bin at or above the high band's edge: k * rate >= f * N */
    while ((long)k0 * rate < (long)NR_EVAL_CLICK_HIGH_HZ * N) k0++;
    for (long f = 0; f < frames; f++) {
        for (int i = 0; i < N; i++) buf[i] = x[f * HOP + i] * win[i];
        fftw_execute(p);
        double hi = 0, all = 0;
        for (int b = 0; b < NB; b++) {
            double pw = X[b][0] * X[b][0] + X[b][1] * X[b][1];
            all += pw;
            if (b >= k0) hi += pw;
        }
        e[f] = 10 * log10(hi + NR_EVAL_POWER_EPS);
        level[f] = 10 * log10(all + NR_EVAL_POWER_EPS);
    }
    running_median(e, frames, NR_EVAL_CLICK_MEDIAN, med, sorted);
    fftw_destroy_plan(p);
    fftw_free(buf);
    fftw_free(X);
    return NR_OK;
}

nr_result nr_eval_count_clicks(const float *x, long n, int rate, long *clicks)
{
    *clicks = 0;
    long frames = nr_eval_click_n_frames(n);
    double *e = malloc((size_t)(3 * frames + 1) * sizeof *e); /* (3, frames): e, median, level */
    if (!e) return nr_fail(NR_ERR_NOMEM, "eval: out of memory for %ld click frames", frames);
    double *med = e + frames, *level = e + 2 * frames;
    nr_result r = nr_eval_click_frames(x, n, rate, e, med, level);
    if (r != NR_OK) {
        free(e);
        return r;
    }
    double top = -INFINITY;
    for (long f = 0; f < frames; f++)
        if (level[f] > top) top = level[f];
    long count = 0;
    int prev = 0;
    for (long f = 0; f < frames; f++) {
        int peak = e[f] - med[f] > NR_EVAL_CLICK_RISE_DB && e[f] > top - NR_EVAL_CLICK_FLOOR_DB;
        count += peak && !prev; /* a click is the start of a run of peak frames */
        prev = peak;
    }
    *clicks = count;
    free(e);
    return NR_OK;
}

nr_result nr_eval_excess_clicks(const float *render, const float *ref, long n, int rate, double *per_second)
{
    long cr = 0, cf = 0;
    *per_second = NAN;
    if (n < 1) return nr_fail(NR_ERR_ARG, "eval: excess clicks of empty signals");
    nr_result r = nr_eval_count_clicks(render, n, rate, &cr);
    if (r == NR_OK) r = nr_eval_count_clicks(ref, n, rate, &cf);
    if (r != NR_OK) return r;
    *per_second = (cr > cf ? (double)(cr - cf) : 0.0) / ((double)n / rate);
    return NR_OK;
}

nr_result nr_eval_band_levels(const float *x, long n, int rate, double db[NR_EVAL_N_BANDS])
{
    if (n < 1 || n > INT_MAX || rate < 1)
        return nr_fail(NR_ERR_ARG, "eval: band levels of %ld samples at %d Hz", n, rate);
    for (long i = 0; i < n; i++)
        if (!isfinite(x[i])) return nr_fail(NR_ERR_VALUE, "eval: non-finite sample at %ld; expected finite audio", i);
    long nb = n / 2 + 1;
    double *buf = fftw_alloc_real((size_t)n);
    fftw_complex *X = fftw_alloc_complex((size_t)nb);
    fftw_plan p = buf && X ? fftw_plan_dft_r2c_1d((int)n, buf, X, FFTW_ESTIMATE) : NULL;
    if (!p) {
        fftw_free(buf);
        fftw_free(X);
        return nr_fail(NR_ERR_NOMEM, "eval: out of memory for an FFT of %ld", n);
    }
    for (long i = 0; i < n; i++) buf[i] = x[i];
    fftw_execute(p);
    double pw[NR_EVAL_N_BANDS] = {0};
    for (long k = 1; k < nb; k++) {
        /* bin k lies at k * rate / n Hz: band b holds lo * 2^b <= f < lo * 2^(b+1), in integers */
        long long fk = (long long)k * rate;
        for (int b = 0; b < NR_EVAL_N_BANDS; b++) {
            long long lo = ((long long)NR_EVAL_BAND_LO_HZ << b) * n, hi = 2 * lo;
            if (fk >= lo && fk < hi) {
                pw[b] += (X[k][0] * X[k][0] + X[k][1] * X[k][1]) / ((double)n * (double)n);
                break;
            }
        }
    }
    for (int b = 0; b < NR_EVAL_N_BANDS; b++) db[b] = 10 * log10(pw[b] + NR_EVAL_POWER_EPS);
    fftw_destroy_plan(p);
    fftw_free(buf);
    fftw_free(X);
    return NR_OK;
}

nr_result nr_eval_band_error(const float *render, const float *ref, long n, int rate, double *out)
{
    double dr[NR_EVAL_N_BANDS], df[NR_EVAL_N_BANDS];
    *out = NAN;
    nr_result r = nr_eval_band_levels(render, n, rate, dr);
    if (r == NR_OK) r = nr_eval_band_levels(ref, n, rate, df);
    if (r != NR_OK) return r;
    double top = -INFINITY, sum = 0;
    for (int b = 0; b < NR_EVAL_N_BANDS; b++)
        if (df[b] > top) top = df[b];
    int k = 0;
    for (int b = 0; b < NR_EVAL_N_BANDS; b++)
        if (df[b] >= top - NR_EVAL_BAND_RANGE_DB) {
            sum += fabs(dr[b] - df[b]);
            k++;
        }
    *out = sum / k; /* k >= 1: the loudest band always counts */
    return NR_OK;
}
