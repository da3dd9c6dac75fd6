/* The descriptor losses (src/train/desc_loss.c): each surrogate against the analysis (src/analysis) on
 * known signals and on the sounds of ../shared, and finite-difference checks of every term, of the sum
 * and of the whole model trained by them. */
#include "models/impact.h"
#include "nr/analysis.h"
#include "nr/audio_file.h"
#include "nr_test.h"
#include "train/train_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define HOP 480

static uint64_t g_rng = 777;
static float rnd(void) { return nr_imp_noise(&g_rng) / 1.7320508f; } /* [-1, 1) */

static nr_desc_losses *g_D;
static double *g_work;

static const char *const g_short[NR_NUM_DESC] = {"rms", "zcr", "rolloff", "flatness", "bandwidth", "centroid", "pitch"};

/* The space the loss compares in, without the normalisation: log, zcr linear. */
static double tspace(int d, double x) { return d == NR_DESC_PERCUSSIVITY ? x : log(fmax(x, 1e-6)); }

/* Analysis frames of a 48 kHz signal (resampled to 22050 Hz as the data set does) beside the surrogates
 * at the same instants. Per descriptor, over frames within 60 dB of the loudest: the median and the 90th
 * percentile of |tspace(surrogate) - tspace(analysis)| into med/p90 (6 spectral descriptors). Returns the
 * number of frames compared. `sur` (frames, 7) and `an` (frames, 7), if not NULL, receive the values of
 * the first frames (up to max_keep). */
static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static int agreement(const float *y, long n, double *med, double *p90, double *sur, double *an, int max_keep)
{
    nr_audio low;
    nr_curves c;
    if (nr_audio_resample(y, n, RATE, NR_ANALYSIS_RATE, &low) != NR_OK) return 0;
    if (nr_analyze(low.samples, low.n, &c) != NR_OK) {
        nr_audio_free(&low);
        return 0;
    }
    nr_audio_free(&low);
    double peak = 0;
    for (int f = 0; f < c.n_frames; f++) peak = fmax(peak, c.data[(size_t)f * NR_NUM_DESC]);
    double *diff = malloc(sizeof(double) * (size_t)(c.n_frames + 1) * NR_NUM_DESC);
    int m = 0;
    for (int f = 0; f < c.n_frames; f++) {
        const float *a = c.data + (size_t)f * NR_NUM_DESC;
        if (!(a[NR_DESC_LOUDNESS] >= peak * 1e-3) || !(peak > 0)) continue;
        double x[NR_NUM_DESC];
        long centre = lround((double)f * NR_ANALYSIS_HOP * RATE / NR_ANALYSIS_RATE);
        nr_desc_losses_frame(g_D, y, n, centre, g_work, x);
        for (int d = 0; d < NR_DESC_PITCH; d++) diff[(size_t)d * c.n_frames + m] = fabs(tspace(d, x[d]) - tspace(d, a[d]));
        if (m < max_keep) {
            if (sur) memcpy(sur + (size_t)m * NR_NUM_DESC, x, sizeof x);
            if (an)
                for (int d = 0; d < NR_NUM_DESC; d++) an[(size_t)m * NR_NUM_DESC + d] = a[d];
        }
        m++;
    }
    for (int d = 0; d < NR_DESC_PITCH && m; d++) {
        double *v = diff + (size_t)d * c.n_frames;
        qsort(v, (size_t)m, sizeof(double), cmp_d);
        med[d] = v[m / 2];
        p90[d] = v[(m * 9) / 10];
    }
    free(diff);
    nr_curves_free(&c);
    return m;
}

static void test_sine_values(void)
{
    long n = RATE; /* 1 s */
    float *y = malloc(sizeof(float) * n);
    const double f0 = 1000.0, amp = 0.5;
    for (long i = 0; i < n; i++) y[i] = (float)(amp * sin(2 * M_PI * f0 * i / RATE));
    double med[NR_NUM_DESC] = {0}, p90[NR_NUM_DESC] = {0}, sur[4 * NR_NUM_DESC], an[4 * NR_NUM_DESC];
    /* frames from the middle: the first ones see the zero padding before the start */
    double x[NR_NUM_DESC];
    nr_desc_losses_frame(g_D, y, n, n / 2, g_work, x);
    printf("  sine 1 kHz: rms %.4f zcr %.5f rolloff %.1f flatness %.3g bandwidth %.1f centroid %.1f\n", x[0], x[1],
           x[2], x[3], x[4], x[5]);
    NT_CHECKF(fabs(x[NR_DESC_LOUDNESS] - amp / sqrt(2.0)) < 0.01 * amp, "sine rms %g, expected %g", x[0], amp / sqrt(2.0));
    NT_CHECKF(fabs(x[NR_DESC_PERCUSSIVITY] - 2 * f0 / NR_ANALYSIS_RATE) < 1e-3, "sine zcr %g, expected %g", x[1],
              2 * f0 / NR_ANALYSIS_RATE);
    NT_CHECKF(fabs(x[NR_DESC_BRIGHTNESS] - f0) < 0.02 * f0, "sine centroid %g Hz, expected %g", x[5], f0);
    NT_CHECKF(fabs(x[NR_DESC_TONELIKE] - f0) < 0.03 * f0, "sine roll-off %g Hz, expected about %g", x[2], f0);
    NT_CHECKF(x[NR_DESC_NOISINESS] < 1e-3, "sine flatness %g, expected near 0", x[3]);
    NT_CHECKF(x[NR_DESC_RICHNESS] < 0.1 * f0, "sine bandwidth %g Hz, expected narrow", x[4]);
    int m = agreement(y, n, med, p90, sur, an, 4);
    NT_CHECK(m > 30);
    printf("  sine against the analysis (median |log ratio|, zcr |diff|):");
    for (int d = 0; d < NR_DESC_PITCH; d++) printf(" %s %.3f", g_short[d], med[d]);
    printf("\n");
    /* the analysis of the same sine (resampled to 22050 Hz) agrees */
    NT_CHECKF(med[NR_DESC_LOUDNESS] < 0.01, "rms off the analysis by %g (log)", med[0]);
    NT_CHECKF(med[NR_DESC_PERCUSSIVITY] < 1e-3, "zcr off the analysis by %g", med[1]);
    NT_CHECKF(med[NR_DESC_BRIGHTNESS] < 0.02, "centroid off the analysis by %g (log)", med[5]);
    NT_CHECKF(med[NR_DESC_TONELIKE] < 0.03, "roll-off off the analysis by %g (log)", med[2]);
    /* a sine's bandwidth is its window's leakage, a few bins, and depends on where the bins fall */
    NT_CHECKF(med[NR_DESC_RICHNESS] < 0.2, "bandwidth off the analysis by %g (log)", med[4]);
    free(y);
}

static void test_noise_values(void)
{
    long n = RATE;
    float *y = malloc(sizeof(float) * n);
    for (long i = 0; i < n; i++) y[i] = 0.3f * rnd();
    double x[NR_NUM_DESC], med[NR_NUM_DESC] = {0}, p90[NR_NUM_DESC] = {0};
    nr_desc_losses_frame(g_D, y, n, n / 2, g_work, x);
    printf("  white noise: rms %.4f zcr %.4f rolloff %.1f flatness %.3f bandwidth %.1f centroid %.1f\n", x[0], x[1],
           x[2], x[3], x[4], x[5]);
    /* in the band the analysis sees: power 11025/24000 of the whole; flat in frequency */
    double rms_band = 0.3 / sqrt(3.0) * sqrt(11025.0 / 24000.0);
    NT_CHECKF(fabs(x[NR_DESC_LOUDNESS] / rms_band - 1) < 0.05, "noise rms %g, expected %g", x[0], rms_band);
    NT_CHECKF(fabs(x[NR_DESC_PERCUSSIVITY] - 0.5) < 0.03, "noise zcr %g, expected 0.5", x[1]);
    NT_CHECKF(fabs(x[NR_DESC_BRIGHTNESS] / 5512.5 - 1) < 0.05, "noise centroid %g, expected 5512", x[5]);
    NT_CHECKF(fabs(x[NR_DESC_TONELIKE] / 9371.0 - 1) < 0.05, "noise roll-off %g, expected 9371", x[2]);
    NT_CHECKF(fabs(x[NR_DESC_RICHNESS] / 3182.6 - 1) < 0.05, "noise bandwidth %g, expected 3183", x[4]);
    /* periodogram bins of Gaussian-like noise are exponential: E log P - log E P = -Euler's gamma, 0.561 for
     * a spectrum flat to 11025 Hz; the resampler's edge below 11025 Hz lowers it (to the analysis' value,
     * checked below) */
    NT_CHECKF(x[NR_DESC_NOISINESS] > 0.35 && x[NR_DESC_NOISINESS] < exp(-0.5772157), "noise flatness %g", x[3]);
    int m = agreement(y, n, med, p90, NULL, NULL, 0);
    NT_CHECK(m > 30);
    printf("  noise against the analysis (median |log ratio|, zcr |diff|):");
    for (int d = 0; d < NR_DESC_PITCH; d++) printf(" %s %.3f", g_short[d], med[d]);
    printf("\n");
    NT_CHECKF(med[NR_DESC_LOUDNESS] < 0.02, "rms off the analysis by %g (log)", med[0]);
    NT_CHECKF(med[NR_DESC_PERCUSSIVITY] < 0.02, "zcr off the analysis by %g", med[1]);
    NT_CHECKF(med[NR_DESC_NOISINESS] < 0.03, "flatness off the analysis by %g (log)", med[3]);
    NT_CHECKF(med[NR_DESC_BRIGHTNESS] < 0.01 && med[NR_DESC_TONELIKE] < 0.01 && med[NR_DESC_RICHNESS] < 0.01,
              "spectral shape off the analysis: centroid %g roll-off %g bandwidth %g (log)", med[5], med[2], med[4]);
    free(y);
}

/* Agreement on real sounds: the tolerances below are about twice the largest figures of the three sounds
 * measured when the surrogates were written (docs/training.md lists them). */
static void test_real_sounds(void)
{
    static const char *const files[] = {"sounds/reference_impact.wav", "sounds/SH_FFX_123BPM_IMPACT_01.flac",
                                        "sounds/dce_synth_one_shot_bumper_Gsmin.flac"};
    /* tolerances per descriptor (log units; zcr absolute): of the median, of the 90th percentile */
    static const double tol_med[NR_DESC_PITCH] = {0.01, 0.01, 0.05, 0.03, 0.01, 0.01};
    static const double tol_p90[NR_DESC_PITCH] = {0.01, 0.04, 0.16, 0.05, 0.01, 0.01};
    int found = 0;
    const size_t n_files = getenv("NR_EMULATED") ? 1 : sizeof files / sizeof files[0]; /* emulated: the first */
    for (size_t i = 0; i < n_files; i++) {
        const char *path = nt_shared(files[i]);
        if (!path) continue;
        found++;
        nr_audio a;
        NT_CHECKF(nr_audio_load(path, RATE, &a) == NR_OK, "%s: %s", path, nr_last_error());
        if (nt_failed()) continue;
        double med[NR_NUM_DESC] = {0}, p90[NR_NUM_DESC] = {0};
        int m = agreement(a.samples, a.n, med, p90, NULL, NULL, 0);
        printf("  %s (%d frames): median / p90 |diff|", files[i] + 7, m);
        for (int d = 0; d < NR_DESC_PITCH; d++) printf(" %s %.3f/%.3f", g_short[d], med[d], p90[d]);
        printf("\n");
        NT_CHECK(m > 5);
        for (int d = 0; d < NR_DESC_PITCH; d++)
            NT_CHECKF(med[d] <= tol_med[d] && p90[d] <= tol_p90[d], "%s: %s differences %g (median), %g (p90) above %g, %g",
                      files[i], g_short[d], med[d], p90[d], tol_med[d], tol_p90[d]);
        nr_audio_free(&a);
    }
    if (!found) nt_skip("../shared absent: no real sounds to compare the surrogates with the analysis on");
}

/* ---- finite differences ---- */

typedef struct {
    const float *desc, *ref;
    int T;
    float mean[NR_NUM_DESC], std[NR_NUM_DESC], w[NR_NUM_DESC];
} fd_case;

static double eval(const fd_case *c, const float *y, float *dy, double gscale, double *per)
{
    return nr_desc_losses_eval(g_D, y, (long)c->T * HOP, c->desc, c->ref, c->T, HOP, RATE, c->mean, c->std, c->w, dy,
                               gscale, g_work, per);
}

/* Central differences at `count` samples spread over the clip (and all of them in the loud part) against
 * the analytic gradient. Returns the number off by more than atol + rtol |g|, atol a share of the
 * largest gradient. */
static int fd_check(const fd_case *c, float *y, const char *what, int count)
{
    long n = (long)c->T * HOP;
    float *dy = calloc((size_t)n, sizeof(float));
    const double gscale = 2.0;
    double l0 = eval(c, y, dy, gscale, NULL);
    double gmax = 0;
    for (long i = 0; i < n; i++) gmax = fmax(gmax, fabs(dy[i]));
    int bad = 0;
    for (int k = 0; k < count; k++) {
        long i = (long)((k * 7919u + 13) % (unsigned)n);
        /* small steps: the flatness' log of the quietest bins bends within steps of 1e-3 (on the recording
         * the central difference only settles below 1e-4); the steps taken are the float ones */
        float s = y[i];
        const float h = 1e-5f;
        y[i] = s + h;
        double hp = (double)y[i] - s, lp = eval(c, y, NULL, 1.0, NULL);
        y[i] = s - h;
        double hm = s - (double)y[i], lm = eval(c, y, NULL, 1.0, NULL);
        y[i] = s;
        double num = gscale * (lp - lm) / (hp + hm), an = dy[i];
        if (fabs(an - num) > 2e-3 * gmax + 2e-2 * fmax(fabs(an), fabs(num))) {
            bad++;
            if (bad <= 3) printf("  %s dy[%ld]: analytic %g numeric %g (largest %g)\n", what, i, an, num, gmax);
        }
    }
    NT_CHECKF(isfinite(l0) && l0 > 0 && gmax > 0, "%s: loss %g, largest gradient %g", what, l0, gmax);
    free(dy);
    return bad;
}

/* Every term alone, then the sum, with and without a reference. */
static void fd_all_terms(fd_case *c, float *y, const char *name, int count)
{
    char what[96];
    for (int d = 0; d < NR_NUM_DESC; d++) {
        for (int k = 0; k < NR_NUM_DESC; k++) c->w[k] = k == d ? 1.0f : 0.0f;
        snprintf(what, sizeof what, "%s %s", name, g_short[d]);
        int bad = fd_check(c, y, what, count);
        NT_CHECKF(bad == 0, "%s: %d of %d gradients off", what, bad, count);
    }
    for (int k = 0; k < NR_NUM_DESC; k++) c->w[k] = 0.5f + 0.25f * k;
    snprintf(what, sizeof what, "%s sum", name);
    int bad = fd_check(c, y, what, count);
    NT_CHECKF(bad == 0, "%s: %d of %d gradients off", what, bad, count);
    /* per-descriptor terms add up to the weighted sum */
    double per[NR_NUM_DESC], s = 0;
    double tot = eval(c, y, NULL, 1.0, per);
    for (int k = 0; k < NR_NUM_DESC; k++) s += c->w[k] * per[k];
    NT_CHECKF(fabs(s - tot) <= 1e-9 * fabs(tot), "%s: terms sum to %g, total %g", name, s, tot);
}

static void test_fd_random(void)
{
    int T = 14;
    long n = (long)T * HOP;
    float *y = malloc(sizeof(float) * n), *x = malloc(sizeof(float) * n), desc[14 * NR_NUM_DESC];
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE, env = exp(-t / 0.05);
        y[i] = (float)(env * (0.3 * sin(2 * M_PI * 230 * t) + 0.1 * sin(2 * M_PI * 1710 * t)) + 0.05 * env * rnd());
        x[i] = (float)(env * 0.4 * sin(2 * M_PI * 220 * t) + 0.02 * rnd());
    }
    for (int t = 0; t < T; t++) {
        float d[NR_NUM_DESC] = {0.2f * expf(-t / 5.0f), 0.05f + 0.01f * t, 3000.0f - 100 * t, 0.01f, 1500.0f,
                                1200.0f + 50 * t, 220.0f + 5 * t};
        if (t == 11) d[0] = 1e-6f; /* more than 60 dB below the loudest: does not count */
        memcpy(desc + t * NR_NUM_DESC, d, sizeof d);
    }
    fd_case c = {desc, x, T, {-3, 0.1f, 7, -4, 7, 7, 5}, {1.2f, 0.08f, 0.9f, 2.0f, 0.6f, 0.7f, 0.5f}, {0}};
    fd_all_terms(&c, y, "random", 40);
    c.ref = NULL; /* perturbed curves: the pitch term's target comes from the curves */
    fd_all_terms(&c, y, "random, no reference", 40);
    /* the quiet frame's window only: no gradient there from any term (its neighbours' windows overlap it,
     * so look at the loss's change instead) */
    for (int k = 0; k < NR_NUM_DESC; k++) c.w[k] = 1.0f;
    double l1 = eval(&c, y, NULL, 1.0, NULL);
    float keep = desc[11 * NR_NUM_DESC + NR_DESC_BRIGHTNESS];
    desc[11 * NR_NUM_DESC + NR_DESC_BRIGHTNESS] = 9000.0f;
    NT_CHECKF(eval(&c, y, NULL, 1.0, NULL) == l1, "a frame 60 dB below the loudest changed the loss");
    desc[11 * NR_NUM_DESC + NR_DESC_BRIGHTNESS] = keep;
    free(y), free(x);
}

/* An excerpt of a real sound, its own analysis curves (resampled to 100 frames/s) moved so every term
 * has an error. */
static void test_fd_real(void)
{
    const char *path = nt_shared("sounds/reference_impact.wav");
    if (!path) {
        nt_skip("../shared absent: no real sound for the finite-difference check");
        return;
    }
    nr_audio a, low;
    NT_CHECK(nr_audio_load(path, RATE, &a) == NR_OK);
    if (nt_failed()) return;
    int T = 30;
    long n = (long)T * HOP;
    NT_CHECK(a.n >= n);
    nr_curves c0, c100;
    NT_CHECK(nr_audio_resample(a.samples, n, RATE, NR_ANALYSIS_RATE, &low) == NR_OK);
    NT_CHECK(nr_analyze(low.samples, low.n, &c0) == NR_OK);
    NT_CHECK(nr_curves_resample(&c0, (float)RATE / HOP, &c100) == NR_OK);
    float *desc = calloc((size_t)T * NR_NUM_DESC, sizeof(float));
    static const float move[NR_NUM_DESC] = {1.5f, 1.3f, 0.8f, 2.0f, 1.2f, 1.4f, 1.0f};
    for (int t = 0; t < T; t++)
        for (int d = 0; d < NR_NUM_DESC; d++) {
            int s = t < c100.n_frames ? t : c100.n_frames - 1;
            float v = c100.data[(size_t)s * NR_NUM_DESC + d];
            desc[(size_t)t * NR_NUM_DESC + d] = d == NR_DESC_PERCUSSIVITY ? v + 0.02f : v * move[d];
        }
    float *y = malloc(sizeof(float) * n), *ref = malloc(sizeof(float) * n);
    /* a noise floor 60 dB down: central differences cannot follow |Y| where a bin is within about a step
     * of zero (the kink of a magnitude), and the recording has empty bands */
    for (long i = 0; i < n; i++) {
        y[i] = a.samples[i] + 1e-3f * rnd();
        ref[i] = a.samples[i] * 0.8f + 0.01f * rnd();
    }
    fd_case c = {desc, ref, T, {-3, 0.1f, 7, -4, 7, 7, 5}, {1.2f, 0.08f, 0.9f, 2.0f, 0.6f, 0.7f, 0.5f}, {0}};
    fd_all_terms(&c, y, "real", 30);
    c.ref = NULL;
    for (int k = 0; k < NR_NUM_DESC; k++) c.w[k] = k == NR_DESC_PITCH;
    NT_CHECK(fd_check(&c, y, "real pitch, no reference", 30) == 0);
    free(y), free(ref), free(desc);
    nr_curves_free(&c0), nr_curves_free(&c100);
    nr_audio_free(&a), nr_audio_free(&low);
}

/* Steps against the gradient move each descriptor toward its curve. */
static void test_descent(void)
{
    int T = 10;
    long n = (long)T * HOP;
    float *y = malloc(sizeof(float) * n), *dy = malloc(sizeof(float) * n), desc[10 * NR_NUM_DESC];
    for (long i = 0; i < n; i++) y[i] = 0.2f * sinf(2 * (float)M_PI * 300 * i / RATE) + 0.05f * rnd();
    for (int t = 0; t < T; t++) {
        float d[NR_NUM_DESC] = {0.1f, 0.15f, 4000, 0.05f, 2500, 2500, 300};
        memcpy(desc + t * NR_NUM_DESC, d, sizeof d);
    }
    fd_case c = {desc, NULL, T, {0}, {1, 0.1f, 1, 1, 1, 1, 1}, {0}};
    for (int d = 0; d < NR_NUM_DESC; d++) {
        for (int k = 0; k < NR_NUM_DESC; k++) c.w[k] = k == d;
        float *z = malloc(sizeof(float) * n);
        memcpy(z, y, sizeof(float) * n);
        double l0 = eval(&c, z, NULL, 1.0, NULL), l = l0;
        for (int it = 0; it < 20; it++) {
            memset(dy, 0, sizeof(float) * n);
            l = eval(&c, z, dy, 1.0, NULL);
            double g2 = 0;
            for (long i = 0; i < n; i++) g2 += (double)dy[i] * dy[i];
            if (g2 == 0) break;
            double step = 0.2 * l / g2; /* a fifth of the way to zero, to first order */
            for (long i = 0; i < n; i++) z[i] -= (float)(step * dy[i]);
        }
        l = eval(&c, z, NULL, 1.0, NULL);
        printf("  descent on %s alone: %.4f -> %.4f\n", g_short[d], l0, l);
        NT_CHECKF(l < 0.7 * l0, "%s: 20 steps against the gradient took the loss from %g to %g", g_short[d], l0, l);
        free(z);
    }
    free(y), free(dy);
}

static void test_pitch_target(void)
{
    float d[NR_NUM_DESC] = {0};
    double prev = -1;
    for (double lf = -8; lf <= 0; lf += 0.25) {
        d[NR_DESC_NOISINESS] = (float)pow(10, lf);
        double v = nr_desc_pitch_target(d);
        NT_CHECKF(v >= prev && v > 0 && v < 1, "target periodicity %g at flatness 1e%g (previous %g)", v, lf, prev);
        prev = v;
    }
    d[NR_DESC_NOISINESS] = 1e-6f;
    double tonal = nr_desc_pitch_target(d);
    d[NR_DESC_NOISINESS] = 0.3f;
    NT_CHECKF(tonal < 0.5 && nr_desc_pitch_target(d) > 0.8, "tonal %g, noisy %g", tonal, nr_desc_pitch_target(d));
}

static void test_arguments(void)
{
    nr_desc_losses *D = NULL;
    NT_CHECK(nr_desc_losses_init(&D, 8000, 480) != NR_OK && D == NULL);
    NT_CHECK(strstr(nr_last_error(), "8000") != NULL);
    NT_CHECK(nr_desc_losses_init(&D, RATE, 0) != NR_OK && D == NULL);
    nr_desc_losses_free(NULL);
    float y[HOP * 2] = {0}, desc[2 * NR_NUM_DESC] = {0}, m[NR_NUM_DESC] = {0}, s[NR_NUM_DESC] = {1, 1, 1, 1, 1, 1, 1};
    /* another rate than the plans': NaN, never a wrong number */
    NT_CHECK(isnan(nr_desc_losses_eval(g_D, y, 2 * HOP, desc, NULL, 2, HOP, 44100, m, s, s, NULL, 1, g_work, NULL)));
    /* silence asked for: no loud frame, no loss */
    NT_CHECK(nr_desc_losses_eval(g_D, y, 2 * HOP, desc, NULL, 2, HOP, RATE, m, s, s, NULL, 1, g_work, NULL) == 0.0);
}

/* The whole model trained by the descriptor losses alone (a perturbed clip): analytic gradients of a few
 * values of every tensor against central differences. */
static void test_model_fd(void)
{
    nr_imp_hparams hp = nr_imp_hparams_default();
    hp.hidden = 8, hp.layers = 2, hp.n_harm = 5, hp.n_inharm = 2, hp.n_bands = 3, hp.n_trans = 2, hp.trans_len = 700;
    int T = 8;
    static const int sizes[] = {256};
    nr_stft_loss L;
    NT_CHECK(nr_stft_loss_init(&L, sizes, 1) == NR_OK);
    nr_imp_bands bands;
    NT_CHECK(nr_imp_bands_init(&bands, &hp) == NR_OK);
    int64_t nv = nr_imp_n_values(&hp, 0);
    float *blk = calloc((size_t)nv, 4), *gblk = calloc((size_t)nv, 4);
    nr_imp_weights_rw w, g;
    nr_imp_weights_carve(&hp, blk, &w);
    nr_imp_weights_carve(&hp, gblk, &g);
    float mean[7] = {-3, 0.1f, 7, -3, 7, 7, 6}, std[7] = {1.5f, 0.1f, 0.8f, 2, 0.6f, 0.7f, 0.6f};
    nr_imp_init_weights(&hp, &w, 3, mean, std);
    for (int i = 0; i < nr_imp_n_out(&hp); i++) w.head_b[i] += 0.5f * rnd();
    float desc[8 * NR_NUM_DESC];
    for (int t = 0; t < T; t++) {
        float d[7] = {0.1f * expf(-t / 3.0f), 0.1f, 3000, 0.02f, 1500, 1800, 190.0f + 10 * t};
        memcpy(desc + t * 7, d, sizeof d);
    }
    nr_loss_weights lw = {0};
    for (int k = 0; k < NR_NUM_DESC; k++) lw.desc[k] = 1.0f;
    nr_imp_work wk;
    NT_CHECK(nr_imp_work_init(&wk, &hp, &bands, &L, g_D, T) == NR_OK);
    const nr_imp_weights *wr = (const nr_imp_weights *)&w;
    double l0 = nr_imp_loss_grad(&wk, &L, g_D, &lw, wr, &g, desc, NULL, T, 5);
    double terms_sum = 0;
    for (int k = 0; k < NR_NUM_DESC; k++) terms_sum += wk.terms[k];
    NT_CHECKF(isfinite(l0) && l0 > 0 && fabs(terms_sum - l0) < 1e-9 * l0, "loss %g, terms sum %g", l0, terms_sum);
    nr_imp_tensor_desc tab[NR_IMP_MAX_TENSORS];
    int ntab = nr_imp_tensor_table(&hp, tab);
    int64_t off = 0;
    int bad = 0, checked = 0;
    for (int ti = 0; ti < ntab; ti++) {
        if (!tab[ti].trainable) continue;
        for (int k = 0; k < 4; k++) {
            int64_t i = off + (k * 104729) % tab[ti].numel;
            if (!strcmp(tab[ti].name, "transient")) i = off + (k * 131) % 700;
            float s = blk[i], h = 3e-3f;
            blk[i] = s + h;
            double lp = nr_imp_loss_grad(&wk, &L, g_D, &lw, wr, NULL, desc, NULL, T, 5);
            blk[i] = s - h;
            double lm = nr_imp_loss_grad(&wk, &L, g_D, &lw, wr, NULL, desc, NULL, T, 5);
            blk[i] = s;
            double num = (lp - lm) / (2 * h);
            checked++;
            if (fabs(gblk[i] - num) > 1e-3 * l0 + 5e-2 * fmax(fabs(gblk[i]), fabs(num))) {
                bad++;
                printf("  model grad %s[%lld]: analytic %g numeric %g\n", tab[ti].name, (long long)(i - off), gblk[i], num);
            }
        }
        off += tab[ti].numel;
    }
    NT_CHECKF(bad <= 2, "%d of %d model gradients off", bad, checked);
    nr_imp_work_free(&wk);
    nr_imp_bands_free(&bands);
    nr_stft_loss_free(&L);
    free(blk), free(gblk);
}

int main(void)
{
    if (nr_desc_losses_init(&g_D, RATE, HOP) != NR_OK) {
        printf("descriptor losses: %s\n", nr_last_error());
        return 1;
    }
    g_work = aligned_alloc(64, (nr_desc_losses_work_doubles(g_D, 0) * sizeof(double) + 63) / 64 * 64);
    NT_RUN(test_sine_values);
    NT_RUN(test_noise_values);
    NT_RUN(test_real_sounds);
    NT_RUN(test_fd_random);
    NT_RUN(test_fd_real);
    NT_RUN(test_descent);
    NT_RUN(test_pitch_target);
    NT_RUN(test_arguments);
    NT_RUN(test_model_fd);
    free(g_work);
    nr_desc_losses_free(g_D);
    return nt_end();
}
