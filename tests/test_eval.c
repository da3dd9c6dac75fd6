/* Model quality metrics: known answers on synthetic signals, CSV, figures, and a run with a real model. */
#include "neurorack.h"
#include "nr/dataset.h"
#include "nr/engine.h"
#include "nr/eval.h"
#include "nr/model_templates.h"
#include "nr/templates.h"
#include "nr_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ORIGINAL_TH "models/neurorack-nsf/model_nsf_sinc_ema_impacts_waveform_5.0.th"

static void test_pearson(void)
{
    double x[5] = {1, 2, 3, 4, 5}, y[5], c[5] = {2, 2, 2, 2, 2};
    NT_CHECK(fabs(nr_eval_pearson(x, x, NULL, 5) - 1) < 1e-12);
    for (int i = 0; i < 5; i++) y[i] = -3 * x[i] + 7;
    NT_CHECK(fabs(nr_eval_pearson(x, y, NULL, 5) + 1) < 1e-12);
    /* By hand: deviations (-1, 0, 1) and (-1, 1, 0): r = 1 / sqrt(2 * 2) = 0.5. */
    double a[3] = {1, 2, 3}, b[3] = {1, 3, 2};
    NT_CHECK(fabs(nr_eval_pearson(a, b, NULL, 3) - 0.5) < 1e-12);
    /* Undefined: a constant series, fewer than two entries. */
    NT_CHECK(isnan(nr_eval_pearson(x, c, NULL, 5)));
    NT_CHECK(isnan(nr_eval_pearson(c, x, NULL, 5)));
    NT_CHECK(isnan(nr_eval_pearson(x, y, NULL, 1)));
    /* The mask keeps entries 0, 1, 2 of (1,2,3,x,x) vs (1,3,2,x,x): 0.5 again. */
    double p[5] = {1, 2, 3, 100, -50}, q[5] = {1, 3, 2, -7, 9};
    unsigned char m[5] = {1, 1, 1, 0, 0};
    NT_CHECK(fabs(nr_eval_pearson(p, q, m, 5) - 0.5) < 1e-12);
    unsigned char m1[5] = {0, 0, 1, 0, 0};
    NT_CHECK(isnan(nr_eval_pearson(p, q, m1, 5)));
}

/* Curves of n frames: a decaying loudness, rising other descriptors, silent frames at the end. */
static void make_curves(nr_curves *c, int n, int silent_tail)
{
    NT_CHECK(nr_curves_alloc(c, n, 22050.0f / 512) == NR_OK);
    for (int i = 0; i < n; i++)
        for (int d = 0; d < NR_NUM_DESC; d++) {
            float v = d == NR_DESC_LOUDNESS ? 0.5f * expf(-0.1f * i) : (float)(100 * (d + 1) + 10 * i + (i % 3));
            if (d == NR_DESC_LOUDNESS && i >= n - silent_tail) v = 1e-4f;
            c->data[(size_t)i * NR_NUM_DESC + d] = v;
        }
}

static void test_descriptors(void)
{
    nr_eval_config cfg = nr_eval_config_init();
    NT_CHECK(cfg.desc_scale[NR_DESC_PITCH] == 2054.57f && cfg.min_rms == 1e-3f);
    nr_curves a, b;
    make_curves(&a, 20, 5);
    make_curves(&b, 20, 5);
    nr_eval_result r;
    NT_CHECK(nr_eval_descriptors(&a, &b, &cfg, &r) == NR_OK);
    NT_CHECK(r.n_frames == 15);
    for (int d = 0; d < NR_NUM_DESC; d++) NT_CHECKF(fabs(r.corr[d] - 1) < 1e-9 && r.mae[d] == 0, "d %d", d);
    NT_CHECK(fabs(r.corr_mean - 1) < 1e-9);

    /* A gain of 2 on the loudness: correlation stays 1, MAE = mean of the reference over the compared
     * frames / scale. An offset of 50 Hz on the brightness: correlation 1, MAE 50 / 1014.49. The silent
     * frames differ wildly and must not count. */
    double sum = 0;
    for (int i = 0; i < 20; i++) {
        float *f = b.data + (size_t)i * NR_NUM_DESC;
        if (i < 15) sum += f[NR_DESC_LOUDNESS];
        f[NR_DESC_LOUDNESS] *= 2;
        f[NR_DESC_BRIGHTNESS] += i < 15 ? 50 : 5000;
        if (i >= 15) f[NR_DESC_PITCH] = 9000;
    }
    NT_CHECK(nr_eval_descriptors(&a, &b, &cfg, &r) == NR_OK);
    NT_CHECK(fabs(r.corr[NR_DESC_LOUDNESS] - 1) < 1e-9);
    NT_CHECKF(fabs(r.mae[NR_DESC_LOUDNESS] - sum / 15 / 0.120971) < 1e-6, "%g", r.mae[NR_DESC_LOUDNESS]);
    NT_CHECK(fabs(r.corr[NR_DESC_BRIGHTNESS] - 1) < 1e-9);
    NT_CHECKF(fabs(r.mae[NR_DESC_BRIGHTNESS] - 50 / 1014.49) < 1e-6, "%g", r.mae[NR_DESC_BRIGHTNESS]);
    NT_CHECK(r.mae[NR_DESC_PITCH] == 0 && fabs(r.corr[NR_DESC_PITCH] - 1) < 1e-9);

    /* A constant render curve has no correlation: left out of corr_mean. Different lengths: the
     * shorter decides. */
    for (int i = 0; i < 20; i++) b.data[(size_t)i * NR_NUM_DESC + NR_DESC_NOISINESS] = 0.25f;
    b.n_frames = 12;
    NT_CHECK(nr_eval_descriptors(&a, &b, &cfg, &r) == NR_OK);
    NT_CHECK(r.n_frames == 12 && isnan(r.corr[NR_DESC_NOISINESS]) && !isnan(r.mae[NR_DESC_NOISINESS]));
    NT_CHECK(fabs(r.corr_mean - 1) < 1e-9);
    nr_curves_free(&a);
    nr_curves_free(&b);

    /* The pitch from frame 1: a steady note whose first frame yin reads at the top of its range in the
     * reference; a render that starts on the note loses r over all frames, not from frame 1. */
    make_curves(&a, 20, 0);
    make_curves(&b, 20, 0);
    for (int i = 0; i < 20; i++) {
        float p = 220.0f + (float)(i % 4); /* a few hertz of yin's jitter */
        a.data[(size_t)i * NR_NUM_DESC + NR_DESC_PITCH] = i ? p : 5512.5f;
        b.data[(size_t)i * NR_NUM_DESC + NR_DESC_PITCH] = p;
    }
    NT_CHECK(nr_eval_descriptors(&a, &b, &cfg, &r) == NR_OK);
    NT_CHECKF(r.corr[NR_DESC_PITCH] < 0.2, "all frames: r %g", r.corr[NR_DESC_PITCH]);
    NT_CHECKF(fabs(r.corr_pitch_from1 - 1) < 1e-9, "from frame 1: r %g", r.corr_pitch_from1);
    nr_curves_free(&a);
    nr_curves_free(&b);
}

/* Expected distance when x is the constant c and y the constant g*c (g = 0: silence): a periodic Hann
 * window's DFT of a constant is c*N/2 at bin 0, c*N/4 at bin 1 and 0 elsewhere, in every frame. */
static double expected_const(double c, double g)
{
    const double eps = 1e-5;
    double total = 0;
    for (int s = 0; s < NR_EVAL_SPEC_N_SIZES; s++) {
        int N = nr_eval_spec_sizes[s];
        double d = fabs(log(c * N / 2 + eps) - log(g * c * N / 2 + eps)) + fabs(log(c * N / 4 + eps) - log(g * c * N / 4 + eps));
        total += d / (N / 2 + 1);
    }
    return total / NR_EVAL_SPEC_N_SIZES;
}

static void test_spectral(void)
{
    const long n = 6000;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    unsigned s = 12345;
    for (long i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((s >> 8) / 16777216.0 - 0.5) * (float)exp(-i / 2000.0);
    }
    double d = -1;
    NT_CHECK(nr_eval_spectral_distance(x, x, n, &d) == NR_OK && d == 0);
    /* Sign does not change magnitudes. */
    for (long i = 0; i < n; i++) y[i] = -x[i];
    NT_CHECK(nr_eval_spectral_distance(x, y, n, &d) == NR_OK && d < 1e-9);

    /* Constants: a gain of 3 and silence, against the closed form. */
    for (long i = 0; i < n; i++) {
        x[i] = 0.5f;
        y[i] = 1.5f;
    }
    NT_CHECK(nr_eval_spectral_distance(x, y, n, &d) == NR_OK);
    NT_CHECKF(fabs(d - expected_const(0.5, 3)) < 1e-5, "%.9g vs %.9g", d, expected_const(0.5, 3));
    memset(y, 0, n * sizeof *y);
    NT_CHECK(nr_eval_spectral_distance(x, y, n, &d) == NR_OK);
    NT_CHECKF(fabs(d - expected_const(0.5, 0)) < 1e-5, "%.9g vs %.9g", d, expected_const(0.5, 0));
    /* Symmetric. */
    double d2;
    NT_CHECK(nr_eval_spectral_distance(y, x, n, &d2) == NR_OK && fabs(d - d2) < 1e-12);
    /* A signal shorter than every FFT size is one zero-padded frame per size. */
    NT_CHECK(nr_eval_spectral_distance(x, y, 100, &d) == NR_OK && d > 0 && isfinite(d));
    /* Bad input is refused with a message. */
    x[10] = NAN;
    NT_CHECK(nr_eval_spectral_distance(x, y, n, &d) == NR_ERR_VALUE && strstr(nr_last_error(), "non-finite"));
    NT_CHECK(nr_eval_spectral_distance(x, y, 0, &d) == NR_ERR_ARG);
    free(x);
    free(y);
}

/* Decaying noise at -40 dB with impulses far apart (n_imp of them) every `gap` samples from `first`. */
static float *noise_with_impulses(long n, int n_imp, long first, long gap, unsigned seed)
{
    float *x = malloc(n * sizeof *x);
    unsigned s = seed;
    for (long i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(0.02 * ((s >> 8) / 16777216.0 - 0.5) * exp(-i / 20000.0));
    }
    for (int k = 0; k < n_imp; k++) x[first + k * gap] += 0.5f;
    return x;
}

static void test_clicks(void)
{
    const long n = 3 * 22050;
    long c = -1;
    /* N impulses 4000 samples apart (62 frames: the 33-frame median never sees two): exactly N. */
    for (int N = 0; N <= 12; N += 4) {
        float *x = noise_with_impulses(n, N, 1000, 4000, 99u + (unsigned)N);
        NT_CHECK(nr_eval_count_clicks(x, n, 22050, &c) == NR_OK);
        NT_CHECKF(c == N, "%d impulses: %ld clicks", N, c);
        free(x);
    }
    /* A smooth decaying sine (with its onset at full level) has none. */
    float *sine = malloc(n * sizeof *sine);
    for (long i = 0; i < n; i++) sine[i] = (float)(0.8 * sin(2 * M_PI * 330.0 * i / 22050) * exp(-i / 15000.0));
    NT_CHECK(nr_eval_count_clicks(sine, n, 22050, &c) == NR_OK && c == 0);
    /* Excess: 5 in the render, none in the reference over 3 s -> 5/3 per second; clicks on both sides
     * (7 in the render, 9 in the reference) -> 0; the render quieter than the reference is never negative. */
    float *r5 = noise_with_impulses(n, 5, 1000, 4000, 5u), *r7 = noise_with_impulses(n, 7, 3000, 5000, 7u);
    float *f9 = noise_with_impulses(n, 9, 500, 4500, 9u);
    double ex = -1;
    NT_CHECK(nr_eval_excess_clicks(r5, sine, n, 22050, &ex) == NR_OK && fabs(ex - 5 / 3.0) < 1e-12);
    NT_CHECK(nr_eval_excess_clicks(r7, f9, n, 22050, &ex) == NR_OK && ex == 0);
    NT_CHECK(nr_eval_excess_clicks(r7, r5, n, 22050, &ex) == NR_OK && fabs(ex - 2 / 3.0) < 1e-12);
    NT_CHECK(nr_eval_excess_clicks(sine, r5, n, 22050, &ex) == NR_OK && ex == 0);
    /* A click 70 dB below the loudest frame does not count (the floor is 60 dB). */
    memcpy(f9, sine, n * sizeof *f9);
    f9[40000] += 0.8f * 3.2e-4f;
    NT_CHECK(nr_eval_count_clicks(f9, n, 22050, &c) == NR_OK && c == 0);
    f9[40000] += 0.8f * 0.5f;
    NT_CHECK(nr_eval_count_clicks(f9, n, 22050, &c) == NR_OK && c == 1);
    /* Shorter than a frame: none; bad input is refused. */
    NT_CHECK(nr_eval_count_clicks(r5, 255, 22050, &c) == NR_OK && c == 0);
    r5[7] = NAN;
    NT_CHECK(nr_eval_count_clicks(r5, n, 22050, &c) == NR_ERR_VALUE && strstr(nr_last_error(), "non-finite"));
    NT_CHECK(nr_eval_count_clicks(sine, n, 4000, &c) == NR_ERR_ARG);
    free(sine);
    free(r5);
    free(r7);
    free(f9);
}

static void test_band_error(void)
{
    /* One second at 22050 Hz: bins every 1 Hz, so tones on whole Hz fall in one bin each, with power
     * (A/2)^2 (sum |X_k|^2 / n^2 of A sin at bin k). One tone per octave band. */
    const long n = 22050;
    const double hz[NR_EVAL_N_BANDS] = {60, 120, 250, 500, 1000, 2000, 4000, 8000};
    double amp[NR_EVAL_N_BANDS];
    float *ref = malloc(n * sizeof *ref), *out = malloc(n * sizeof *out);
    for (int b = 0; b < NR_EVAL_N_BANDS; b++) amp[b] = 0.1;
    for (int pass = 0; pass < 2; pass++)
        for (long i = 0; i < n; i++) {
            double a = 0, y = 0;
            for (int b = 0; b < NR_EVAL_N_BANDS; b++) {
                double s = sin(2 * M_PI * hz[b] * i / n);
                a += amp[b] * s;
                y += (b == 4 ? 2 : 1) * amp[b] * s; /* the 1 kHz tone 6.02 dB louder */
            }
            ref[i] = (float)a;
            out[i] = (float)y;
        }
    double db[NR_EVAL_N_BANDS], e = -1;
    NT_CHECK(nr_eval_band_levels(ref, n, 22050, db) == NR_OK);
    for (int b = 0; b < NR_EVAL_N_BANDS; b++) NT_CHECKF(fabs(db[b] - 10 * log10(0.05 * 0.05)) < 1e-5, "%d %g", b, db[b]);
    NT_CHECK(nr_eval_band_error(out, ref, n, 22050, &e) == NR_OK);
    NT_CHECKF(fabs(e - 20 * log10(2.0) / 8) < 1e-5, "%.9g", e);
    NT_CHECK(nr_eval_band_error(ref, ref, n, 22050, &e) == NR_OK && e == 0);
    /* The reference's 8 kHz tone 80 dB down: that band is left out, whatever the render has there. */
    for (long i = 0; i < n; i++) ref[i] -= (float)((0.1 - 1e-5) * sin(2 * M_PI * 8000.0 * i / n));
    NT_CHECK(nr_eval_band_error(out, ref, n, 22050, &e) == NR_OK);
    NT_CHECKF(fabs(e - 20 * log10(2.0) / 7) < 1e-4, "%.9g", e);
    out[3] = INFINITY;
    NT_CHECK(nr_eval_band_error(out, ref, n, 22050, &e) == NR_ERR_VALUE);
    NT_CHECK(nr_eval_band_levels(ref, 0, 22050, db) == NR_ERR_ARG);
    free(ref);
    free(out);
}

/* The C metrics against numpy/scipy's (tests/ref/listen_metrics.py wrote tests/ref/listen/expected.tsv
 * from the WAV files beside it; rerun that script with /usr/bin/python3 to regenerate both). */
#define LISTEN_DIR "tests/ref/listen"
static int load_ref_wav(const char *name, nr_audio *a)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", LISTEN_DIR, name);
    nr_result r = nr_audio_load(path, 22050, a);
    NT_CHECKF(r == NR_OK && a->rate == 22050, "%s: %s", path, nr_last_error());
    return r == NR_OK;
}

static void test_listen_reference(void)
{
    char *text = nt_read_file(LISTEN_DIR "/expected.tsv", NULL);
    NT_CHECKF(text != NULL, "%s/expected.tsv missing (run tests/ref/listen_metrics.py)", LISTEN_DIR);
    if (!text) return;
    int n_clicks = 0, n_bands = 0, n_pairs = 0, n_frames = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char a[128], b[128];
        long want;
        double ex, be, d[NR_EVAL_N_BANDS];
        nr_audio x = {0}, y = {0};
        if (line[0] == '#') continue;
        if (sscanf(line, "clicks\t%127s\t%ld", a, &want) == 2) {
            long got = -1;
            if (load_ref_wav(a, &x)) {
                NT_CHECK(nr_eval_count_clicks(x.samples, x.n, 22050, &got) == NR_OK);
                NT_CHECKF(got == want, "%s: %ld clicks, numpy %ld", a, got, want);
            }
            n_clicks++;
        } else if (sscanf(line, "frames\t%127s\t%ld\t%lf\t%lf\t%lf", a, &want, &d[0], &d[1], &d[2]) == 5) {
            /* the detector's inner values: sums of e and of its running median, the loudest L */
            if (load_ref_wav(a, &x)) {
                long nf = nr_eval_click_n_frames(x.n);
                double *v = malloc((size_t)(3 * nf + 1) * sizeof *v), se = 0, sm = 0, top = -INFINITY;
                NT_CHECK(nf == want && v && nr_eval_click_frames(x.samples, x.n, 22050, v, v + nf, v + 2 * nf) == NR_OK);
                for (long f = 0; v && f < nf; f++) {
                    se += v[f];
                    sm += v[nf + f];
                    if (v[2 * nf + f] > top) top = v[2 * nf + f];
                }
                NT_CHECKF(fabs(se - d[0]) < 1e-6 && fabs(sm - d[1]) < 1e-6 && fabs(top - d[2]) < 1e-9,
                          "%s: sum e %.9f med %.9f max L %.9f; numpy %.9f %.9f %.9f", a, se, sm, top, d[0], d[1], d[2]);
                free(v);
            }
            n_frames++;
        } else if (sscanf(line, "bands\t%127s\t%lf\t%lf\t%lf\t%lf\t%lf\t%lf\t%lf\t%lf", a, &d[0], &d[1], &d[2], &d[3],
                          &d[4], &d[5], &d[6], &d[7]) == 9) {
            double got[NR_EVAL_N_BANDS];
            if (load_ref_wav(a, &x)) {
                NT_CHECK(nr_eval_band_levels(x.samples, x.n, 22050, got) == NR_OK);
                for (int k = 0; k < NR_EVAL_N_BANDS; k++)
                    NT_CHECKF(fabs(got[k] - d[k]) < 1e-6, "%s band %d: %.9f, numpy %.9f", a, k, got[k], d[k]);
            }
            n_bands++;
        } else if (sscanf(line, "pair\t%127s\t%127s\t%lf\t%lf", a, b, &ex, &be) == 4) {
            double gex = -1, gbe = -1;
            if (load_ref_wav(a, &x) && load_ref_wav(b, &y) && x.n == y.n) {
                NT_CHECK(nr_eval_excess_clicks(x.samples, y.samples, x.n, 22050, &gex) == NR_OK);
                NT_CHECK(nr_eval_band_error(x.samples, y.samples, x.n, 22050, &gbe) == NR_OK);
                NT_CHECKF(fabs(gex - ex) < 1e-9 && fabs(gbe - be) < 1e-6, "%s vs %s: %.9f %.9f, numpy %.9f %.9f", a,
                          b, gex, gbe, ex, be);
            }
            n_pairs++;
        } else {
            NT_CHECKF(0, "expected.tsv: unreadable line '%s'", line);
        }
        nr_audio_free(&x);
        nr_audio_free(&y);
    }
    NT_CHECKF(n_clicks >= 5 && n_bands == n_clicks && n_frames == n_clicks && n_pairs >= 5, "%d %d %d %d", n_clicks,
              n_bands, n_frames, n_pairs);
    free(text);
}

static void test_csv_and_summary(void)
{
    nr_eval_row rows[3];
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < 3; i++) {
        snprintf(rows[i].model, sizeof rows[i].model, "%s", i == 2 ? "other" : "nsf");
        snprintf(rows[i].ref, sizeof rows[i].ref, "sound,%d.wav", i); /* the comma must not split the row */
        nr_eval_result *r = &rows[i].r;
        r->n_frames = 10 + i;
        r->seconds = 1.0 + i;
        r->render_seconds = 0.5;
        r->speed = r->seconds / 0.5;
        r->spectral = 1.25 * (i + 1);
        for (int d = 0; d < NR_NUM_DESC; d++) {
            r->corr[d] = 0.5 + 0.1 * i;
            r->mae[d] = 0.01 * (d + 1);
        }
        r->corr_mean = 0.5 + 0.1 * i;
        r->corr_pitch_from1 = 0.2 * i;
    }
    rows[0].r.corr[NR_DESC_PITCH] = NAN;
    rows[1].r.corr_pitch_from1 = NAN;
    const char *path = nt_tmp("eval.csv");
    NT_CHECK(nr_eval_write_csv(path, rows, 3) == NR_OK);
    char *text = nt_read_file(path, NULL);
    NT_CHECK(text != NULL);
    if (text) {
        NT_CHECK(!strncmp(text, "model,reference,seconds,frames,speed_x,spectral,corr_mean,corr_loudness,", 72));
        int lines = 0, commas0 = -1, ok = 1;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
            int commas = 0;
            for (char *p = line; *p; p++) commas += *p == ',';
            if (commas0 < 0) commas0 = commas;
            ok &= commas == commas0;
            if (lines == 1) {
                NT_CHECKF(!strncmp(line, "nsf,sound_0.wav,1.0000,10,2,1.25,0.5,0.5,", 41), "%s", line);
                char *last_corr = line;
                for (int k = 0; k < 6 + NR_NUM_DESC; k++) last_corr = strchr(last_corr, ',') + 1;
                NT_CHECKF(!strncmp(last_corr, "nan,0.01,", 9), "%s", last_corr);
            }
        }
        NT_CHECK(lines == 4 && ok && commas0 == 9 + 2 * NR_NUM_DESC);
        free(text);
    }
    nr_eval_summary s;
    nr_eval_summarize(rows, 3, "nsf", &s);
    NT_CHECK(s.n_sounds == 2 && s.n_corr[NR_DESC_PITCH] == 1 && s.n_corr[0] == 2);
    NT_CHECK(fabs(s.corr[0] - 0.55) < 1e-12 && fabs(s.corr[NR_DESC_PITCH] - 0.6) < 1e-12);
    NT_CHECK(fabs(s.corr_mean - (6 * 0.55 + 0.6) / 7) < 1e-12);
    NT_CHECK(fabs(s.spectral - 1.875) < 1e-12 && fabs(s.speed - 3.0 / 1.0) < 1e-12 && s.seconds == 3);
    NT_CHECK(fabs(s.mae[2] - 0.03) < 1e-12);
    NT_CHECK(s.n_pitch_from1 == 1 && s.corr_pitch_from1 == 0.0); /* row 0's 0; row 1's is undefined */
    /* A folder that does not exist: an error naming the path. */
    NT_CHECK(nr_eval_write_csv(nt_tmp("absent/x.csv"), rows, 3) != NR_OK && strstr(nr_last_error(), "absent"));
    /* A write that fails half-way (the file-size limit fails write() as a full disk does) leaves the
     * previous table, no temporary file, and a message naming the file. */
    NT_WRITE_FAIL_BEGIN(path, 100);
    nr_result r = nr_eval_write_csv(path, rows, 2);
    NT_WRITE_FAIL_END(r == NR_ERR_IO, nr_last_error(), nt_tmpdir());
}

static unsigned be32(const unsigned char *p)
{
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

static void test_png(void)
{
    const long n = 22050;
    float *a = malloc(n * sizeof *a), *b = calloc(n, sizeof *b);
    for (long i = 0; i < n; i++) a[i] = (float)(0.5 * sin(2 * M_PI * 1000.0 * i / 22050) * exp(-i / 5000.0));
    const float *x[2] = {a, b};
    long ns[2] = {n, n / 2};
    const char *labels[2] = {"reference sine", "silence"};
    const char *path = nt_tmp("fig.png");
    NT_CHECKF(nr_eval_spectrogram_png(path, x, ns, labels, 2, 22050) == NR_OK, "%s", nr_last_error());
    size_t len = 0;
    unsigned char *png = (unsigned char *)nt_read_file(path, &len);
    NT_CHECK(png && len > 33 && !memcmp(png, "\x89PNG\r\n\x1a\n", 8) && !memcmp(png + 12, "IHDR", 4));
    /* 83 frames of hop 256 -> the minimum plot width 240, plus margins; 2 panels of title + 128 rows
     * plus the time axis. */
    if (png && len > 33) NT_CHECK(png[24] == 8 && png[25] == 3); /* 8-bit palette */
    if (png && len > 33) NT_CHECKF(be32(png + 16) == 26 + 240 + 4 && be32(png + 20) == 2 * (11 + 128) + 12,
                                   "%u x %u", be32(png + 16), be32(png + 20));
    free(png);
    NT_CHECK(nr_eval_spectrogram_png(path, x, ns, labels, 0, 22050) == NR_ERR_ARG);
    NT_CHECK(nr_eval_spectrogram_png(nt_tmp("absent/fig.png"), x, ns, labels, 2, 22050) != NR_OK);
    /* a write that fails half-way leaves the previous figure */
    NT_WRITE_FAIL_BEGIN(path, 1000);
    nr_result r = nr_eval_spectrogram_png(path, x, ns, labels, 1, 22050);
    NT_WRITE_FAIL_END(r == NR_ERR_IO, nr_last_error(), nt_tmpdir());
    free(a);
    free(b);
}

/* Two short references: a decaying 220 Hz tone with harmonics, and a noise burst. */
static float *tiny_ref(int k, long n)
{
    float *y = malloc(n * sizeof *y);
    unsigned s = 777u + (unsigned)k;
    for (long i = 0; i < n; i++) {
        double t = (double)i / 22050, env = exp(-t * 12);
        s = s * 1664525u + 1013904223u;
        double noise = (s >> 8) / 16777216.0 - 0.5;
        y[i] = (float)(k == 0 ? env * (0.5 * sin(2 * M_PI * 220 * t) + 0.2 * sin(2 * M_PI * 660 * t)) : env * noise);
    }
    return y;
}

static void test_model_run(void)
{
    const char *th = nt_shared(ORIGINAL_TH);
    if (!th) {
        nt_skip("../shared absent: no model to evaluate (the original .th)");
        return;
    }
    nr_model *m = NULL;
    NT_CHECKF(nr_model_load(th, &m) == NR_OK, "%s", nr_last_error());
    if (!m) return;
    nr_eval_config cfg = nr_eval_config_init();
    NT_CHECK(nr_eval_scale_from_model_file(th, &cfg) == NR_OK);
    /* The documented rounded constants are the stored input_std. */
    nr_eval_config def = nr_eval_config_init();
    for (int d = 0; d < NR_NUM_DESC; d++)
        NT_CHECKF(fabs(cfg.desc_scale[d] / def.desc_scale[d] - 1) < 5e-6, "%d: %g", d, (double)cfg.desc_scale[d]);

    const long n = 8192; /* 16 frames */
    const char *dir = nt_tmp("refs");
    char cmd[4096], path[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    NT_CHECK(system(cmd) == 0);
    nr_eval_result res[2];
    for (int k = 0; k < 2; k++) {
        float *y = tiny_ref(k, n);
        snprintf(path, sizeof path, "%s/ref%d.wav", dir, k);
        NT_CHECK(nr_audio_write(path, y, n, 22050, NR_SAMPLE_FLOAT) == NR_OK);
        nr_audio ref = {y, n, 22050}, r22 = {0};
        NT_CHECKF(nr_eval_sound(m, &ref, &cfg, &res[k], &r22) == NR_OK, "%s", nr_last_error());
        NT_CHECK(res[k].n_frames == 16 && r22.n == n && r22.rate == 22050);
        NT_CHECK(fabs(res[k].seconds - 16 * 512 / 22050.0) < 1e-9 && res[k].speed > 0);
        NT_CHECK(isfinite(res[k].spectral) && res[k].spectral > 0);
        NT_CHECK(!isnan(res[k].corr[NR_DESC_LOUDNESS]) && fabs(res[k].corr[NR_DESC_LOUDNESS]) <= 1);
        for (int d = 0; d < NR_NUM_DESC; d++) NT_CHECK(isnan(res[k].corr[d]) || fabs(res[k].corr[d]) <= 1);
        for (int d = 0; d < NR_NUM_DESC; d++) NT_CHECK(isfinite(res[k].mae[d]) && res[k].mae[d] >= 0);
        /* Seeded: the same run gives the same numbers. */
        nr_eval_result again;
        NT_CHECK(nr_eval_sound(m, &ref, &cfg, &again, NULL) == NR_OK);
        NT_CHECK(again.spectral == res[k].spectral && again.corr[0] == res[k].corr[0]);
        nr_audio_free(&r22);
        free(y);
    }
    /* A reference at another rate is refused. */
    float z[1024] = {0};
    nr_audio bad = {z, 1024, 48000};
    nr_eval_result e;
    NT_CHECK(nr_eval_sound(m, &bad, &cfg, &e, NULL) == NR_ERR_ARG);
    nr_model_free(m);

    const char *bin = getenv("NR_BIN");
    if (!bin || !*bin) {
        nt_skip("NR_BIN not set (run through make test): command line not run");
        return;
    }
    char csv[1024], png[1024];
    snprintf(csv, sizeof csv, "%s", nt_tmp("run.csv"));
    snprintf(png, sizeof png, "%s", nt_tmp("png"));
    snprintf(cmd, sizeof cmd, "'%s' eval --model nsf='%s' --refs '%s' --csv '%s' --png '%s' --png-count 1 > '%s' 2>&1",
             bin, th, dir, csv, png, nt_tmp("stdout.txt"));
    NT_CHECK(system(cmd) == 0);
    char *out = nt_read_file(nt_tmp("stdout.txt"), NULL);
    NT_CHECKF(out && strstr(out, "| **mean correlation** |") && strstr(out, "2 of 2"), "%s", out ? out : "");
    free(out);
    char *text = nt_read_file(csv, NULL);
    NT_CHECK(text != NULL);
    if (text) {
        /* The command's numbers are the library's (printed with 6 significant digits). */
        for (int k = 0; k < 2; k++) {
            char key[64];
            snprintf(key, sizeof key, "nsf,ref%d.wav,", k);
            char *row = strstr(text, key);
            NT_CHECKF(row != NULL, "no row %s", key);
            if (!row) continue;
            double secs, speed, spec;
            int frames;
            NT_CHECK(sscanf(row + strlen(key), "%lf,%d,%lf,%lf", &secs, &frames, &speed, &spec) == 4);
            NT_CHECKF(frames == 16 && fabs(spec / res[k].spectral - 1) < 1e-5, "%d %g %g", frames, spec,
                      res[k].spectral);
        }
        free(text);
    }
    snprintf(path, sizeof path, "%s/00_ref0_wav.png", png);
    size_t len = 0;
    char *p = nt_read_file(path, &len);
    NT_CHECKF(p && len > 8 && !memcmp(p, "\x89PNG", 4), "%s", path);
    free(p);
    /* Errors: a missing reference folder, an unknown split. */
    snprintf(cmd, sizeof cmd, "'%s' eval --model '%s' --refs '%s' 2> '%s'", bin, th, nt_tmp("absent"),
             nt_tmp("err.txt"));
    int rc = system(cmd);
    char *msg = nt_read_file(nt_tmp("err.txt"), NULL);
    NT_CHECKF(rc != 0 && msg && strstr(msg, "absent"), "%s", msg ? msg : "");
    free(msg);
    snprintf(cmd, sizeof cmd, "'%s' eval --model '%s' --refs '%s' --split nope 2>/dev/null", bin, th, dir);
    NT_CHECK(system(cmd) != 0);
}

/* The command on a data set: only the chosen split, rows named hash-class; --limit spreads evenly. */
static void test_cli_manifest_limit(void)
{
    const char *th = nt_shared(ORIGINAL_TH);
    const char *bin = getenv("NR_BIN");
    if (!th || !bin || !*bin) {
        nt_skip(!th ? "../shared absent: no model to evaluate" : "NR_BIN not set (run through make test)");
        return;
    }
    char dir[1024], cmd[4096], path[2048];
    snprintf(dir, sizeof dir, "%s", nt_tmp("ds"));
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/audio'", dir);
    NT_CHECK(system(cmd) == 0);
    nr_manifest m = {0};
    const long n = 4096;
    const nr_split splits[5] = {NR_SPLIT_TEST, NR_SPLIT_TRAIN, NR_SPLIT_TEST, NR_SPLIT_TEST, NR_SPLIT_TEST};
    for (int k = 0; k < 5; k++) {
        nr_ds_entry e;
        memset(&e, 0, sizeof e);
        snprintf(e.hash, sizeof e.hash, "%016x", 0xabc0 + k);
        e.split = splits[k];
        snprintf(e.cls, sizeof e.cls, "%s", k == 1 ? "kick" : "tom");
        snprintf(e.source, sizeof e.source, "test");
        snprintf(e.package, sizeof e.package, "-");
        snprintf(e.licence, sizeof e.licence, "CC0-1.0");
        e.n_samples = n;
        e.rate = 22050;
        e.duration = (double)n / 22050;
        snprintf(e.group, sizeof e.group, "g%d", k);
        snprintf(e.audio, sizeof e.audio, "audio/%s.flac", e.hash);
        snprintf(e.curves, sizeof e.curves, "-");
        snprintf(e.origin, sizeof e.origin, "synthetic");
        float *y = tiny_ref(k % 2, n);
        snprintf(path, sizeof path, "%s/%s", dir, e.audio);
        NT_CHECK(nr_audio_write(path, y, n, 22050, NR_SAMPLE_PCM24) == NR_OK);
        free(y);
        NT_CHECK(nr_manifest_add(&m, &e) == NR_OK);
    }
    snprintf(path, sizeof path, "%s/%s", dir, NR_MANIFEST_FILE);
    NT_CHECKF(nr_manifest_write(path, &m) == NR_OK, "%s", nr_last_error());
    nr_manifest_free(&m);
    /* Test split: entries 0, 2, 3, 4; --limit 2 takes the 1st and 3rd of those (0 and 3). */
    const char *csv = nt_tmp("ds.csv");
    snprintf(cmd, sizeof cmd, "'%s' eval --model '%s' --refs '%s' --limit 2 --csv '%s' > '%s' 2>&1", bin, th, dir,
             csv, nt_tmp("ds.txt"));
    NT_CHECK(system(cmd) == 0);
    char *out = nt_read_file(nt_tmp("ds.txt"), NULL);
    NT_CHECKF(out && strstr(out, "split test, 2 of 4"), "%s", out ? out : "");
    free(out);
    char *text = nt_read_file(csv, NULL);
    NT_CHECKF(text && strstr(text, ",000000000000abc0-tom,") && strstr(text, ",000000000000abc3-tom,") &&
                  !strstr(text, "abc2") && !strstr(text, "abc1") && !strstr(text, "abc4"),
              "%s", text ? text : "");
    free(text);
    /* The train split has the kick only. */
    snprintf(cmd, sizeof cmd, "'%s' eval --model '%s' --refs '%s/%s' --split train --csv '%s' > /dev/null 2>&1", bin,
             th, dir, NR_MANIFEST_FILE, csv);
    NT_CHECK(system(cmd) == 0);
    text = nt_read_file(csv, NULL);
    NT_CHECKF(text && strstr(text, ",000000000000abc1-kick,") && !strstr(text, "abc0"), "%s", text ? text : "");
    free(text);
}

#define DEFAULT_MODEL "models/default.safetensors"

/* The control matrix on the shipped model: shape, scales, a large loudness response, reproducible. */
static void test_control(void)
{
    if (access(DEFAULT_MODEL, R_OK) != 0) {
        nt_skip(DEFAULT_MODEL " absent: no model for the control matrix");
        return;
    }
    nr_model *m = NULL;
    NT_CHECKF(nr_model_load(DEFAULT_MODEL, &m) == NR_OK, "%s", nr_last_error());
    if (!m) return;
    /* Control units of a log-space model are its stored log stds (zcr: raw). */
    double sd[NR_NUM_DESC];
    NT_CHECK(nr_eval_control_scales(m, sd) == NR_OK);
    const nr_tensor *t = nr_tensor_set_find(nr_model_tensors(m), "desc_std");
    NT_CHECK(t && t->numel == NR_NUM_DESC);
    for (int d = 0; t && d < NR_NUM_DESC; d++)
        NT_CHECKF(fabs(sd[d] / t->data[d] - 1) < 1e-5, "%s: %g vs %g", nr_desc_names[d], sd[d], (double)t->data[d]);
    NT_CHECK(nr_eval_control_value(NR_DESC_PERCUSSIVITY, 0.25) == 0.25);
    NT_CHECK(nr_eval_control_value(NR_DESC_LOUDNESS, 0) == log(1e-6) && nr_eval_control_value(NR_DESC_PITCH, 0.5) == 0);

    const long n = 22050; /* a second of the tone with harmonics: loud, pitched */
    float *y = tiny_ref(0, n);
    nr_audio ref = {y, n, 22050};
    nr_eval_config cfg = nr_eval_config_init();
    double a[NR_NUM_DESC][NR_NUM_DESC], b[NR_NUM_DESC][NR_NUM_DESC];
    NT_CHECKF(nr_eval_control_sound(m, &ref, &cfg, a) == NR_OK, "%s", nr_last_error());
    for (int d = 0; d < NR_NUM_DESC; d++)
        for (int e = 0; e < NR_NUM_DESC; e++) NT_CHECKF(isfinite(a[d][e]) && a[d][e] >= 0, "%d %d %g", d, e, a[d][e]);
    /* Loudness moved by one std moves the render's loudness by about one std (a gain of exp(1.57)). */
    NT_CHECKF(a[NR_DESC_LOUDNESS][NR_DESC_LOUDNESS] > 0.7, "%g", a[0][0]);
    NT_CHECKF(a[NR_DESC_LOUDNESS][NR_DESC_LOUDNESS] > a[NR_DESC_PERCUSSIVITY][NR_DESC_LOUDNESS], "%g", a[0][0]);
    NT_CHECK(nr_eval_control_sound(m, &ref, &cfg, b) == NR_OK);
    NT_CHECK(!memcmp(a, b, sizeof a));
    /* Another seed changes the noise draws of base and moved alike: other numbers, same picture. */
    cfg.seed = 7;
    NT_CHECK(nr_eval_control_sound(m, &ref, &cfg, b) == NR_OK);
    NT_CHECK(memcmp(a, b, sizeof a) != 0 && b[0][0] > 0.7);
    /* Silence has no loud frame; another rate is refused. */
    memset(y, 0, n * sizeof *y);
    NT_CHECK(nr_eval_control_sound(m, &ref, &cfg, b) == NR_ERR_ARG && strstr(nr_last_error(), "rms"));
    ref.rate = 48000;
    NT_CHECK(nr_eval_control_sound(m, &ref, &cfg, b) == NR_ERR_ARG);
    free(y);

    /* CSV: 7 rows per matrix. */
    nr_eval_control_row rows[2];
    memset(rows, 0, sizeof rows);
    snprintf(rows[0].model, sizeof rows[0].model, "ours");
    snprintf(rows[0].ref, sizeof rows[0].ref, "a,b.wav");
    memcpy(rows[0].m, a, sizeof a);
    rows[1] = rows[0];
    snprintf(rows[1].ref, sizeof rows[1].ref, "mean");
    rows[1].m[2][3] = NAN;
    const char *csv = nt_tmp("control.csv");
    NT_CHECK(nr_eval_write_control_csv(csv, rows, 2) == NR_OK);
    char *text = nt_read_file(csv, NULL), *save = NULL;
    int lines = 0;
    for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save), lines++) {
        if (lines == 0) NT_CHECKF(!strcmp(l, "model,reference,moved,loudness,percussivity,tonelike,noisiness,richness,"
                                             "brightness,pitch"), "%s", l);
        if (lines == 1) NT_CHECKF(!strncmp(l, "ours,a_b.wav,loudness,", 22), "%s", l);
        if (lines == 10) NT_CHECKF(!strncmp(l, "ours,mean,tonelike,", 19) && strstr(l, ",nan,"), "%s", l);
    }
    NT_CHECK(lines == 15);
    free(text);
    FILE *f = fopen(nt_tmp("control.txt"), "w");
    NT_CHECK(f != NULL);
    if (f) {
        int pass = nr_eval_print_control(f, "ours", (const double(*)[NR_NUM_DESC])a, 1);
        fclose(f);
        text = nt_read_file(nt_tmp("control.txt"), NULL);
        NT_CHECK(text && strstr(text, "| moved \\ measured | loudness |") && strstr(text, "response (diagonal): loudness"));
        NT_CHECK(text && pass == (strstr(text, "7 of 7 pass") && strstr(text, "6 of 6 pass")));
        free(text);
    }

    /* A crafted smooth curve (a 2 s exponential decay, constant timbre) renders without a click. */
    nr_curves cc;
    NT_CHECK(nr_curves_alloc(&cc, 86, 22050.0f / 512) == NR_OK);
    for (int i = 0; i < cc.n_frames; i++) {
        const float v[NR_NUM_DESC] = {0.2f * expf(-i / 20.0f), 0.05f, 3000, 0.01f, 1500, 1200, 120};
        memcpy(cc.data + (size_t)i * NR_NUM_DESC, v, sizeof v);
    }
    nr_render_config rcf = nr_render_config_init();
    rcf.out_rate = 22050;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        nr_audio yy = {0};
        long clicks = -1;
        rcf.voice.seed = seed;
        NT_CHECK(nr_render(m, &cc, &rcf, &yy) == NR_OK);
        NT_CHECK(nr_eval_count_clicks(yy.samples, yy.n, 22050, &clicks) == NR_OK);
        NT_CHECKF(clicks == 0, "seed %d: %ld clicks", (int)seed, clicks);
        nr_audio_free(&yy);
    }
    nr_curves_free(&cc);

    /* The template sheet: 10 model templates + 6 built-ins in 4 columns of 26 + 240 + 4 px, 4 rows of
     * title, plot and time axis. */
    const char *png = nt_tmp("sheet.png");
    NT_CHECKF(nr_eval_template_sheet(m, png, 1) == NR_OK, "%s", nr_last_error());
    size_t len = 0;
    unsigned char *p = (unsigned char *)nt_read_file(png, &len);
    int cells = nr_model_template_count(m) + nr_template_count(), rows_px = (cells + 3) / 4;
    NT_CHECK(p && len > 33 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8));
    if (p && len > 33)
        NT_CHECKF(be32(p + 16) == 4 * (26 + 240 + 4) && be32(p + 20) == (unsigned)rows_px * (11 + 128 + 12), "%u x %u",
                  be32(p + 16), be32(p + 20));
    free(p);
    NT_CHECK(nr_eval_template_sheet(m, nt_tmp("absent/sheet.png"), 1) != NR_OK && strstr(nr_last_error(), "absent"));
    nr_model_free(m);
}

/* The command: --control on a folder (one row block per reference and the mean), --sheet. */
/* The pitch ceiling and the room to move. The ceiling: a tone well inside yin's range can show the whole move (both ways); a 60 Hz one only
 * the move up, since 60 Hz / e^1.237 = 17 Hz is under yin's 50 Hz floor (the move down reads as 60 -> 50 Hz). */
static void test_control_ceilings(void)
{
    const long n = 22050;
    float *y = malloc(n * sizeof *y);
    nr_eval_config cfg = nr_eval_config_init();
    const double sd = 1.237, f0[2] = {440.0, 60.0};
    double c[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        for (long i = 0; i < n; i++) {
            double t = (double)i / 22050.0, v = 0.0;
            for (int h = 1; h <= 4; h++) v += sin(2.0 * M_PI * h * f0[k] * t) / h;
            y[i] = (float)(0.3 * exp(-t / 0.4) * v);
        }
        nr_audio ref = {y, n, 22050};
        NT_CHECKF(nr_eval_control_pitch_ceiling(&ref, &cfg, sd, &c[k]) == NR_OK, "%s", nr_last_error());
    }
    /* Room to move, on the 60 Hz tone: its rms moves in full both ways; its zcr (about 2 x 60 / 22050)
     * can rise by a std but fall only to 0; flatness near 0 falls in full (to the 1e-6 floor or not). */
    double sdv[NR_NUM_DESC] = {1.567, 0.1323, 1.382, 3.872, 0.669, 1.121, 1.237}, room[NR_NUM_DESC];
    {
        nr_audio tone = {y, n, 22050};
        nr_curves cv = {0};
        NT_CHECK(nr_analyze(y, n, &cv) == NR_OK);
        double z = 0;
        int k = 0;
        for (int i = 0; i < cv.n_frames; i++)
            if (cv.data[(size_t)i * NR_NUM_DESC] >= cfg.min_rms) z += cv.data[(size_t)i * NR_NUM_DESC + NR_DESC_PERCUSSIVITY], k++;
        nr_curves_free(&cv);
        z = k ? z / k : 0;
        NT_CHECKF(nr_eval_control_room(&tone, &cfg, sdv, room) == NR_OK, "%s", nr_last_error());
        NT_CHECKF(fabs(room[NR_DESC_LOUDNESS] - 1.0) < 1e-6, "loudness room %g", room[NR_DESC_LOUDNESS]);
        NT_CHECKF(z > 0.002 && z < 0.02 && fabs(room[NR_DESC_PERCUSSIVITY] - 0.5 * (1.0 + z / sdv[1])) < 0.02,
                  "zcr %g: room %g", z, room[NR_DESC_PERCUSSIVITY]);
        NT_CHECKF(room[NR_DESC_PITCH] > 0.99, "pitch room %g (the curve's clamp is 11025 Hz)", room[NR_DESC_PITCH]);
        sdv[0] = 0.0;
        NT_CHECK(nr_eval_control_room(&tone, &cfg, sdv, room) == NR_ERR_ARG && isnan(room[0]));
    }
    NT_CHECKF(c[0] > 0.9 && c[0] < 1.1, "440 Hz: ceiling %g", c[0]);
    double expect = 0.5 * (1.0 + log(60.0 / 50.0) / sd); /* up in full, down to the floor */
    NT_CHECKF(fabs(c[1] - expect) < 0.08, "60 Hz: ceiling %g, expected about %g", c[1], expect);
    nr_audio ref = {y, n, 22050};
    double r = 0;
    NT_CHECK(nr_eval_control_pitch_ceiling(&ref, &cfg, 0.0, &r) == NR_ERR_ARG);
    memset(y, 0, n * sizeof *y);
    NT_CHECK(nr_eval_control_pitch_ceiling(&ref, &cfg, sd, &r) == NR_ERR_ARG && strstr(nr_last_error(), "rms") && isnan(r));
    ref.rate = 48000;
    NT_CHECK(nr_eval_control_pitch_ceiling(&ref, &cfg, sd, &r) == NR_ERR_ARG);
    free(y);
}

static void test_cli_control_sheet(void)
{
    const char *bin = getenv("NR_BIN");
    if (access(DEFAULT_MODEL, R_OK) != 0 || !bin || !*bin) {
        nt_skip(!bin || !*bin ? "NR_BIN not set (run through make test)" : DEFAULT_MODEL " absent");
        return;
    }
    char dir[1024], cmd[4096], path[1024], csv[1024];
    snprintf(dir, sizeof dir, "%s", nt_tmp("ctlrefs"));
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    NT_CHECK(system(cmd) == 0);
    for (int k = 0; k < 2; k++) {
        float *y = tiny_ref(k, 11025);
        snprintf(path, sizeof path, "%s/r%d.wav", dir, k);
        NT_CHECK(nr_audio_write(path, y, 11025, 22050, NR_SAMPLE_FLOAT) == NR_OK);
        free(y);
    }
    snprintf(csv, sizeof csv, "%s", nt_tmp("ctl.csv"));
    snprintf(cmd, sizeof cmd, "'%s' eval --control --model ours=%s --refs '%s' --csv '%s' > '%s' 2>&1", bin,
             DEFAULT_MODEL, dir, csv, nt_tmp("ctl.txt"));
    NT_CHECK(system(cmd) == 0);
    char *out = nt_read_file(nt_tmp("ctl.txt"), NULL);
    NT_CHECKF(out && strstr(out, "control matrix of ours over 2 reference(s)") && strstr(out, "check: response >=") &&
                  strstr(out, "pitch ceiling: a tone that follows") && strstr(out, "room to move"),
              "%s", out ? out : "");
    free(out);
    char *text = nt_read_file(csv, NULL);
    int lines = 0;
    for (char *p = text; p && *p; p++) lines += *p == '\n';
    NT_CHECKF(text && lines == 1 + 3 * NR_NUM_DESC && strstr(text, "ours,r1.wav,pitch,") && strstr(text, "ours,mean,"),
              "%d lines", lines);
    free(text);
    snprintf(path, sizeof path, "%s", nt_tmp("sheet-cli.png"));
    snprintf(cmd, sizeof cmd, "'%s' eval --sheet '%s' --model %s > /dev/null 2>&1", bin, path, DEFAULT_MODEL);
    NT_CHECK(system(cmd) == 0);
    size_t len = 0;
    char *p = nt_read_file(path, &len);
    NT_CHECK(p && len > 8 && !memcmp(p, "\x89PNG", 4));
    free(p);
    snprintf(cmd, sizeof cmd, "'%s' eval --sheet '%s' --control --model %s 2> /dev/null", bin, path, DEFAULT_MODEL);
    NT_CHECK(system(cmd) != 0);
}

int main(void)
{
    NT_RUN(test_pearson);
    NT_RUN(test_descriptors);
    NT_RUN(test_spectral);
    NT_RUN(test_clicks);
    NT_RUN(test_band_error);
    NT_RUN(test_listen_reference);
    NT_RUN(test_csv_and_summary);
    NT_RUN(test_png);
    NT_RUN(test_control);
    NT_RUN(test_control_ceilings);
    NT_RUN(test_cli_control_sheet);
    NT_RUN(test_model_run);
    NT_RUN(test_cli_manifest_limit);
    return nt_end();
}
