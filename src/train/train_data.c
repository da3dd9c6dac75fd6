/* Training clips: synthetic impacts made here, or a dataset manifest; bad clips are skipped. */
#include "train_impl.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUGH_N 1024

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

void nr_train_rough_desc(const float *audio, int n_frames, float f0, float *desc)
{
    long n = (long)n_frames * NR_IMP_HOP;
    double *in = fftw_malloc(sizeof(double) * ROUGH_N);
    fftw_complex *X = fftw_malloc(sizeof(fftw_complex) * (ROUGH_N / 2 + 1));
    pthread_mutex_lock(&g_lock);
    fftw_plan p = (in && X) ? fftw_plan_dft_r2c_1d(ROUGH_N, in, X, FFTW_ESTIMATE) : NULL;
    pthread_mutex_unlock(&g_lock);
    for (int t = 0; t < n_frames; t++) {
        float *d = desc + (size_t)t * NR_NUM_DESC;
        long c = (long)t * NR_IMP_HOP;
        double e = 0;
        int zc = 0;
        for (int i = 0; i < ROUGH_N; i++) {
            long j = c - ROUGH_N / 2 + i;
            double v = (j >= 0 && j < n) ? audio[j] : 0.0;
            long jp = j - 1;
            double vp = (jp >= 0 && jp < n) ? audio[jp] : 0.0;
            e += v * v;
            if (i > 0 && ((v >= 0) != (vp >= 0))) zc++;
            if (in) in[i] = v * (0.5 - 0.5 * cos(2 * M_PI * i / ROUGH_N));
        }
        d[NR_DESC_LOUDNESS] = (float)sqrt(e / ROUGH_N);
        d[NR_DESC_PERCUSSIVITY] = (float)zc / ROUGH_N;
        d[NR_DESC_PITCH] = f0;
        d[NR_DESC_TONELIKE] = d[NR_DESC_RICHNESS] = d[NR_DESC_BRIGHTNESS] = 0.0f;
        d[NR_DESC_NOISINESS] = 1.0f;
        if (!p) continue;
        fftw_execute_dft_r2c(p, in, X);
        double S[ROUGH_N / 2 + 1], tot = 0, cen = 0, lg = 0, pw = 0;
        for (int k = 0; k <= ROUGH_N / 2; k++) {
            double pk = X[k][0] * X[k][0] + X[k][1] * X[k][1];
            S[k] = sqrt(pk);
            tot += S[k];
            cen += S[k] * k;
            double pa = pk > 1e-10 ? pk : 1e-10;
            lg += log(pa);
            pw += pa;
        }
        double hz = (double)NR_IMP_RATE / ROUGH_N;
        if (tot <= 0) continue;
        cen /= tot;
        double bw = 0, cum = 0;
        int roll = 0;
        for (int k = 0; k <= ROUGH_N / 2; k++) bw += S[k] / tot * (k - cen) * (k - cen);
        for (int k = 0; k <= ROUGH_N / 2; k++) {
            cum += S[k];
            if (cum >= 0.85 * tot) {
                roll = k;
                break;
            }
        }
        int nb = ROUGH_N / 2 + 1;
        d[NR_DESC_BRIGHTNESS] = (float)(cen * hz);
        d[NR_DESC_RICHNESS] = (float)(sqrt(bw) * hz);
        d[NR_DESC_TONELIKE] = (float)(roll * hz);
        d[NR_DESC_NOISINESS] = (float)(exp(lg / nb) / (pw / nb));
    }
    pthread_mutex_lock(&g_lock);
    if (p) fftw_destroy_plan(p);
    pthread_mutex_unlock(&g_lock);
    fftw_free(in);
    fftw_free(X);
}

static double uni(uint64_t *s) { return (nr_imp_noise(s) / 1.7320508f + 1.0f) * 0.5f; }

static nr_result make_clip(nr_train_clip *c, int idx, int frames, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    uint64_t s = nr_imp_seed_mix(nr_train_hash(seed, (uint64_t)idx, 77));
    long n = (long)frames * NR_IMP_HOP;
    c->n_frames = frames;
    c->audio = calloc((size_t)n, sizeof(float));
    c->desc = calloc((size_t)frames * NR_NUM_DESC, sizeof(float));
    c->name = malloc(32);
    if (!c->audio || !c->desc || !c->name) return nr_fail(NR_ERR_NOMEM, "out of memory for synthetic clips");
    snprintf(c->name, 32, "synthetic-%d", idx);
    double f0 = 60.0 * pow(2.0, 4.0 * uni(&s)), tau_h = 0.05 + 0.4 * uni(&s), tilt = 1.0 + 1.5 * uni(&s);
    double tau_n = 0.01 + 0.1 * uni(&s), nlevel = 0.3 * uni(&s), lp = exp(-2 * M_PI * (500 + 7500 * uni(&s)) / NR_IMP_RATE);
    double inh = 0.3 * uni(&s), click = 0.5 * uni(&s);
    double sweep = 1.0 + 0.5 * uni(&s); /* pitch drops from f0*sweep to f0, like a kick */
    double ph[13] = {0}, z = 0, peak = 0;
    for (long i = 0; i < n; i++) {
        double t = (double)i / NR_IMP_RATE;
        double f = f0 * (1.0 + (sweep - 1.0) * exp(-t / 0.03));
        double v = 0;
        for (int h = 1; h <= 12; h++) {
            if (h * f < 20000.0) v += pow(h, -tilt) * sin(ph[h]) * exp(-t * h / tau_h);
            ph[h] += 2 * M_PI * h * f / NR_IMP_RATE;
        }
        v += inh * sin(ph[0]) * exp(-t / (0.5 * tau_h));
        ph[0] += 2 * M_PI * 2.756 * f / NR_IMP_RATE;
        z = lp * z + (1 - lp) * nr_imp_noise(&s);
        v += nlevel * 4.0 * z * exp(-t / tau_n);
        if (i < 96) v += click * exp(-i / 16.0) * (i & 1 ? -1 : 1);
        c->audio[i] = (float)v;
        if (fabs(v) > peak) peak = fabs(v);
    }
    double g = (0.5 + 0.4 * uni(&s)) / (peak > 0 ? peak : 1);
    for (long i = 0; i < n; i++) c->audio[i] *= (float)g;
    nr_train_rough_desc(c->audio, frames, (float)f0, c->desc);
    return NR_OK;
}

static void clip_free(nr_train_clip *c)
{
    free(c->name);
    free(c->audio);
    free(c->desc);
}

void nr_train_data_free(nr_train_data *d)
{
    for (int i = 0; i < d->n_train; i++) clip_free(&d->train[i]);
    for (int i = 0; i < d->n_valid; i++) clip_free(&d->valid[i]);
    free(d->train);
    free(d->valid);
    memset(d, 0, sizeof *d);
}

nr_result nr_train_data_synthetic(int n, int max_frames, uint64_t seed, nr_train_data *d)
{
    memset(d, 0, sizeof *d);
    if (n < 2 || n > 100000) return nr_fail(NR_ERR_ARG, "synthetic:%d: need 2..100000 clips", n);
    int nv = n / 8 > 0 ? n / 8 : 1, nt = n - nv;
    int frames = max_frames < 80 ? max_frames : 80;
    d->train = calloc((size_t)nt, sizeof *d->train);
    d->valid = calloc((size_t)nv, sizeof *d->valid);
    if (!d->train || !d->valid) {
        nr_train_data_free(d);
        return nr_fail(NR_ERR_NOMEM, "out of memory for synthetic clips");
    }
    for (int i = 0; i < n; i++) {
        nr_train_clip *c = i < nt ? &d->train[d->n_train++] : &d->valid[d->n_valid++];
        nr_result r = make_clip(c, i, frames, seed);
        if (r != NR_OK) {
            nr_train_data_free(d);
            return r;
        }
    }
    return NR_OK;
}

const char *nr_train_clip_problem(const nr_train_clip *c)
{
    long n = (long)c->n_frames * NR_IMP_HOP;
    if (c->n_frames < 4) return "shorter than 4 frames (40 ms)";
    double e = 0;
    for (long i = 0; i < n; i++) {
        if (!isfinite(c->audio[i])) return "audio holds NaN or infinity";
        e += (double)c->audio[i] * c->audio[i];
    }
    for (long i = 0; i < (long)c->n_frames * NR_NUM_DESC; i++)
        if (!isfinite(c->desc[i])) return "descriptor curves hold NaN or infinity";
    if (sqrt(e / n) < 1e-4) return "silent (rms below -80 dB)";
    return NULL;
}

nr_result nr_train_data_load(const char *spec, int max_frames, uint64_t seed, int settle_onset, nr_train_data *d)
{
    memset(d, 0, sizeof *d);
    if (!strncmp(spec, "synthetic:", 10)) {
        char *end;
        long n = strtol(spec + 10, &end, 10);
        if (*end || end == spec + 10) return nr_fail(NR_ERR_ARG, "%s: expected synthetic:N with a whole number N", spec);
        return nr_train_data_synthetic((int)n, max_frames, seed, d);
    }
    return nr_train_data_manifest(spec, max_frames, settle_onset, d);
}
