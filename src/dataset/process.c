/* One-shot processing: trim, fade, peak-normalise, quantise, hash, near-duplicate fingerprint. */
#include "ds_internal.h"

#include <math.h>
#include <string.h>

#define DS_SILENT_PEAK 1e-6   /* -120 dBFS: nothing there */
#define DS_TAIL_BLOCK_S 0.010 /* tail detection works on 10 ms RMS blocks */

ds_params ds_params_default(void)
{
    ds_params p = {.lead_db = -50.0, .tail_db = -60.0, .fade_ms = 10.0, .peak_dbfs = -1.0, .min_s = 0.03,
                   .max_s = 8.0};
    return p;
}

static double db_to_lin(double db) { return pow(10.0, db / 20.0); }

nr_result ds_process(nr_audio *a, const ds_params *p)
{
    float *x = a->samples;
    double peak = 0.0;
    for (long i = 0; i < a->n; i++) {
        if (!isfinite(x[i])) return nr_fail(NR_ERR_VALUE, "sample %ld is not finite", i);
        double v = fabs(x[i]);
        if (v > peak) peak = v;
    }
    if (peak < DS_SILENT_PEAK) return nr_fail(NR_ERR_VALUE, "silent (peak below -120 dBFS)");

    double lead_thr = peak * db_to_lin(p->lead_db);
    long start = 0;
    while (start < a->n && fabs(x[start]) < lead_thr) start++;

    long block = (long)(DS_TAIL_BLOCK_S * a->rate);
    if (block < 1) block = 1;
    double tail_thr = peak * db_to_lin(p->tail_db);
    long end = start;
    for (long b = start; b < a->n; b += block) {
        long e = b + block < a->n ? b + block : a->n;
        double s = 0.0;
        for (long i = b; i < e; i++) s += (double)x[i] * x[i];
        if (sqrt(s / (double)(e - b)) >= tail_thr) end = e;
    }
    long max_n = (long)(p->max_s * a->rate);
    if (end - start > max_n) end = start + max_n;
    long n = end - start;
    if (n < (long)(p->min_s * a->rate))
        return nr_fail(NR_ERR_VALUE, "%.1f ms after trimming; at least %.0f ms expected", 1000.0 * n / a->rate,
                       1000.0 * p->min_s);
    memmove(x, x + start, (size_t)n * sizeof *x);
    a->n = n;

    long nf = (long)(p->fade_ms * 0.001 * a->rate);
    if (nf > n / 2) nf = n / 2;
    for (long i = 0; i < nf; i++) {
        double t = (double)(i + 1) / nf; /* reaches exactly 0 at the last sample */
        x[n - nf + i] *= (float)(0.5 * (1.0 + cos(M_PI * t)));
    }

    peak = 0.0;
    for (long i = 0; i < n; i++)
        if (fabs(x[i]) > peak) peak = fabs(x[i]);
    if (peak < DS_SILENT_PEAK) return nr_fail(NR_ERR_VALUE, "silent after trimming");
    float g = (float)(db_to_lin(p->peak_dbfs) / peak);
    for (long i = 0; i < n; i++) x[i] *= g;
    return NR_OK;
}

void ds_quantize(float *x, long n)
{
    for (long i = 0; i < n; i++) {
        long q = lrintf(x[i] * 8388608.0f);
        if (q > 8388607) q = 8388607;
        if (q < -8388608) q = -8388608;
        x[i] = (float)q / 8388608.0f;
    }
}

uint64_t ds_fnv1a64(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t ds_hash_audio(const float *x, long n, int rate)
{
    unsigned char b[4] = {(unsigned char)rate, (unsigned char)(rate >> 8), (unsigned char)(rate >> 16),
                          (unsigned char)(rate >> 24)};
    uint64_t h = ds_fnv1a64(b, 4, DS_FNV64_INIT);
    for (long i = 0; i < n; i++) {
        long q = lrintf(x[i] * 8388608.0f); /* little-endian 3 bytes: independent of the host */
        unsigned char s[3] = {(unsigned char)(q & 0xff), (unsigned char)((q >> 8) & 0xff),
                              (unsigned char)((q >> 16) & 0xff)};
        h = ds_fnv1a64(s, 3, h);
    }
    return h;
}

void ds_fingerprint_make(const float *x, long n, int rate, ds_fingerprint *fp)
{
    memset(fp, 0, sizeof *fp);
    fp->n = n;
    fp->rate = rate;
    for (long i = 0; i < n && i < DS_FP_N; i++) fp->head[i] = x[i];
    double peak = 0.0;
    for (long i = 0; i < n; i++)
        if (fabs(x[i]) > peak) peak = fabs(x[i]);
    if (peak <= 0.0) peak = 1.0;
    for (int b = 0; b < DS_FP_ENV; b++) {
        long s = n * b / DS_FP_ENV, e = n * (b + 1) / DS_FP_ENV;
        if (e <= s) e = s + 1 <= n ? s + 1 : s;
        double acc = 0.0;
        for (long i = s; i < e; i++) acc += ((double)x[i] / peak) * ((double)x[i] / peak);
        double rms = e > s ? sqrt(acc / (double)(e - s)) : 0.0;
        double db = 20.0 * log10(rms + 1e-12);
        fp->env_db[b] = (float)(db < -80.0 ? -80.0 : db);
    }
}

/* Normalised correlation of the attacks, best over lags of +-DS_FP_LAG samples: two decodes of one
 * recording can start a few samples apart (trimming crosses the threshold at another sample). */
static double best_correlation(const ds_fingerprint *a, const ds_fingerprint *b)
{
    long m = a->n < b->n ? a->n : b->n;
    if (m > DS_FP_N) m = DS_FP_N;
    double best = -1.0;
    for (long lag = -DS_FP_LAG; lag <= DS_FP_LAG; lag++) {
        long i0 = lag < 0 ? -lag : 0, i1 = lag > 0 ? m - lag : m;
        double ab = 0.0, aa = 0.0, bb = 0.0;
        for (long i = i0; i < i1; i++) {
            double x = a->head[i], y = b->head[i + lag];
            ab += x * y, aa += x * x, bb += y * y;
        }
        if (aa > 0.0 && bb > 0.0 && ab / sqrt(aa * bb) > best) best = ab / sqrt(aa * bb);
    }
    return best;
}

int ds_fingerprint_same(const ds_fingerprint *a, const ds_fingerprint *b)
{
    if (a->rate != b->rate) return 0;
    long dn = a->n > b->n ? a->n - b->n : b->n - a->n;
    long tol = (long)(DS_FP_LEN_TOL * (a->n > b->n ? a->n : b->n));
    if (tol < (long)(0.010 * a->rate)) tol = (long)(0.010 * a->rate);
    if (dn > tol) return 0;
    /* Cheap test first: the envelopes where the sound is (a lossy codec blurs the quiet tail and
     * smears the onset band; a mono mixdown differs from one channel by a few dB here and there). */
    double sum = 0.0;
    int used = 0;
    for (int k = 0; k < DS_FP_ENV; k++) {
        if (a->env_db[k] < -40.0f && b->env_db[k] < -40.0f) continue;
        double d = fabs((double)a->env_db[k] - b->env_db[k]);
        if (d > 12.0) return 0;
        sum += d;
        used++;
    }
    if (used && sum / used > 1.5) return 0;
    return best_correlation(a, b) >= 0.98;
}
