/* nr-impact-2: budgets, pitch conditioning, partials exactly at k f0, full-band noise at unit level,
 * optimised vs reference rendering, the streaming voice against the training forward pass, no burst of
 * high frequencies on an octave error, the frequency gradients by a toy descent, loading checks, and the
 * trainer on this architecture. */
#include "models/impact2.h"
#include "models/impact_simd.h"
#include "neurorack.h"
#include "nr/engine.h"
#include "nr/eval.h"
#include "nr/model_templates.h"
#include "nr_test.h"
#include "tiny_train.h"
#include "extra_tensor.h"
#include "train/train_impl.h"
#include "synth/template_set.h"

#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Why the slowest tests skip under qemu. */
static const char *const k_emulated_why =
    "training steps run in the native and ASan builds; minutes under emulation";

static uint64_t g_rng = 4242;
static float rnd(void) { return nr_imp_noise(&g_rng) / 1.7320508f; }

/* Fresh weights, head biases raised so every part is audible. */
static nr_model *make_model_x(const nr_imp2_hparams *hp, float **block_out, int no_inharm)
{
    int64_t nv = nr_imp2_n_values(hp, 0);
    float *blk = calloc((size_t)nv, sizeof(float));
    nr_imp_weights_rw w;
    nr_imp2_weights_carve(hp, blk, &w);
    float mean[7] = {-3, 0.1f, 7, -3, 7, 7, 6}, std[7] = {1, 0.1f, 1, 1, 1, 1, 1};
    nr_imp2_init_weights(hp, &w, 11, mean, std);
    for (int i = 0; i < nr_imp2_n_out(hp); i++) w.head_b[i] += 1.0f + 0.5f * rnd();
    if (no_inharm) /* silent inharmonic partials: a strictly periodic sound whose period yin can read */
        for (int i = 1 + 2 * hp->n_env; i < 1 + 2 * hp->n_env + hp->n_inharm; i++) {
            w.head_b[i] = -40.0f;
            memset(w.head_w + (size_t)i * hp->hidden, 0, sizeof(float) * hp->hidden);
        }
    nr_model *m = NULL;
    nr_result r = nr_imp2_model_from_block(hp, blk, &m);
    NT_CHECKF(r == NR_OK, "model from block: %s", nr_last_error());
    if (block_out) *block_out = blk;
    else free(blk);
    return m;
}

static nr_model *make_model(const nr_imp2_hparams *hp, float **block_out) { return make_model_x(hp, block_out, 0); }

static void curve(float *desc, int T)
{
    for (int t = 0; t < T; t++) {
        float d[7] = {0.2f * expf(-t / 10.0f), 0.05f + 0.01f * t, 3000 - 20 * t, 0.02f, 1800, 1500, 110.0f + 3 * t};
        memcpy(desc + (size_t)t * 7, d, sizeof d);
    }
}

static float *render_voice(nr_model *m, const float *desc, int T, int block, uint64_t seed, int no_noise)
{
    nr_voice_config vc = nr_voice_config_init();
    vc.seed = seed;
    vc.no_noise = no_noise;
    vc.max_block = block;
    nr_voice *v = NULL;
    if (nr_voice_create(m, &vc, &v) != NR_OK) return NULL;
    long N = (long)T * NR_IMP_HOP, got = 0;
    float *y = calloc((size_t)N + block, sizeof(float));
    int pushed = 0;
    while (!nr_voice_finished(v)) {
        while (pushed < T && nr_voice_available(v) < block) nr_voice_push_frame(v, desc + (size_t)7 * pushed++);
        if (pushed == T) nr_voice_end(v);
        int k = nr_voice_process(v, y + got, block);
        got += k;
        if (k == 0 && !nr_voice_finished(v)) break;
    }
    NT_CHECKF(got == N, "voice produced %ld of %ld samples", got, N);
    nr_voice_free(v);
    return y;
}

static void test_budgets(void)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    nr_model *m = make_model(&hp, NULL);
    if (!m) return;
    nr_model_info info;
    nr_model_get_info(m, &info);
    NT_CHECK(!strcmp(info.arch, "nr-impact-2"));
    NT_CHECK(info.sample_rate == 48000 && info.hop == 480 && info.lookahead_frames == 0);
    NT_CHECKF(info.n_params <= 500000, "%lld values", (long long)info.n_params);
    NT_CHECKF(info.weights_bytes <= 2u << 20, "%zu bytes", info.weights_bytes);
    NT_CHECKF(info.voice_bytes < 64u << 10, "voice state %zu bytes", info.voice_bytes);
    printf("  %lld values, %zu weight bytes, %zu voice bytes, %.0f MACs/sample\n", (long long)info.n_params,
           info.weights_bytes, info.voice_bytes, info.macs_per_sample);
    nr_model_free(m);
}

static void test_pitch_conditioning(void)
{
    nr_imp2_hparams hf = nr_imp2_hparams_default(), hi = hf;
    hf.harm_env = NR_IMP2_HARM_FREQ;
    nr_imp2_f0_state s;
    float d[7] = {0};
    /* FREQ (the first models): slew limit only */
    nr_imp2_f0_reset(&s);
    d[NR_DESC_PITCH] = 100.0f;
    NT_CHECK(fabsf(nr_imp2_f0_track(&s, &hf, d) - 100.0f) < 1e-3f); /* the first frame as it is */
    d[NR_DESC_PITCH] = 200.0f; /* a one-frame octave error: half way, then back */
    NT_CHECK(fabsf(nr_imp2_f0_track(&s, &hf, d) - 141.4214f) < 0.01f);
    d[NR_DESC_PITCH] = 100.0f;
    NT_CHECK(fabsf(nr_imp2_f0_track(&s, &hf, d) - 100.0f) < 1e-3f);
    d[NR_DESC_PITCH] = NAN; /* a lost value holds */
    NT_CHECK(fabsf(nr_imp2_f0_track(&s, &hf, d) - 100.0f) < 1e-3f);
    d[NR_DESC_PITCH] = 1e9f; /* clamped to 5 kHz, reached at half an octave per frame */
    float f = 0;
    for (int i = 0; i < 20; i++) f = nr_imp2_f0_track(&s, &hf, d);
    NT_CHECK(fabsf(f - 5000.0f) < 0.5f);
    /* a kick's sweep (an octave over 5 frames) passes unchanged */
    nr_imp2_f0_reset(&s);
    int same = 1;
    for (int t = 0; t < 6; t++) {
        d[NR_DESC_PITCH] = 120.0f * exp2f(-t / 5.0f);
        same &= fabsf(nr_imp2_f0_track(&s, &hf, d) - d[NR_DESC_PITCH]) < 1e-2f;
    }
    NT_CHECK(same);

    /* INDEX (the default): a one-frame octave error, up or down, never shows */
    static const float up_down[] = {100, 100, 200, 100, 100, 50, 100, 100};
    nr_imp2_f0_reset(&s);
    int flat = 1;
    for (int t = 0; t < 8; t++) {
        d[NR_DESC_PITCH] = up_down[t];
        flat &= fabsf(nr_imp2_f0_track(&s, &hi, d) - 100.0f) < 1e-3f;
    }
    NT_CHECKF(flat, "one-frame octave errors reach f0s");
    /* a lost value holds; a step of two octaves arrives one frame late, at once */
    d[NR_DESC_PITCH] = NAN;
    NT_CHECK(fabsf(nr_imp2_f0_track(&s, &hi, d) - 100.0f) < 1e-3f);
    d[NR_DESC_PITCH] = 400.0f;
    NT_CHECK(fabsf(nr_imp2_f0_track(&s, &hi, d) - 100.0f) < 1e-3f);
    NT_CHECK(fabsf(nr_imp2_f0_track(&s, &hi, d) - 400.0f) < 0.05f);
    /* a small step is slew-limited: 0.7 octave in two frames */
    d[NR_DESC_PITCH] = 400.0f * exp2f(0.7f);
    NT_CHECK(fabsf(nr_imp2_f0_track(&s, &hi, d) - 400.0f * exp2f(0.5f)) < 0.05f);
    NT_CHECK(fabsf(nr_imp2_f0_track(&s, &hi, d) - 400.0f * exp2f(0.7f)) < 0.05f);
    /* an onset whose first raw values are far off (5 kHz, 2.8 kHz, then 62 Hz): followed until two agree,
     * no sweep down from 5 kHz; then an octave error is held */
    static const float onset[] = {5000, 2800, 62, 60, 120, 61};
    static const float want[] = {5000, 2800, 62, 60, 60, 61};
    nr_imp2_f0_reset(&s);
    int follows = 1;
    for (int t = 0; t < 6; t++) {
        d[NR_DESC_PITCH] = onset[t];
        follows &= fabsf(nr_imp2_f0_track(&s, &hi, d) - want[t]) < 0.01f * want[t];
    }
    NT_CHECKF(follows, "onset pitch frames");
    /* a kick's sweep passes without delay */
    nr_imp2_f0_reset(&s);
    same = 1;
    for (int t = 0; t < 8; t++) {
        d[NR_DESC_PITCH] = 120.0f * exp2f(-t / 5.0f);
        same &= fabsf(nr_imp2_f0_track(&s, &hi, d) - d[NR_DESC_PITCH]) < 1e-2f;
    }
    NT_CHECK(same);
}

/* Harmonic k sits exactly at k f0s; a single one renders as the analytic sine. */
static void test_partials_in_tune(void)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    nr_imp2_tables tb;
    NT_CHECK(nr_imp2_tables_init(&tb, &hp) == NR_OK);
    int O = nr_imp2_n_out(&hp), Q = nr_imp2_n_q(&hp), P = nr_imp2_n_partials(&hp), T = 100;
    float *o = calloc((size_t)O, 4), *q = calloc((size_t)T * Q, 4);
    nr_imp2_params_forward(&hp, &tb, o, 123.4f, q);
    int exact = 1;
    for (int k = 0; k < hp.n_harm; k++) exact &= q[P + k] == (float)(k + 1) * 123.4f;
    NT_CHECK(exact);
    /* at 200 Hz harmonic 105 (21 kHz) and above are silent, 101 (20.2 kHz) fades, 81 (16.2 kHz) is full */
    nr_imp2_params_forward(&hp, &tb, o, 200.0f, q);
    NT_CHECK(q[104] == 0.0f && q[127] == 0.0f && q[100] > 0.0f && q[100] < 0.5f * q[80]);
    memset(q, 0, (size_t)Q * 4);
    float *trans = calloc((size_t)hp.n_trans * hp.trans_len, 4), *y = malloc(sizeof(float) * T * NR_IMP_HOP);
    nr_imp_weights w = {0};
    w.trans = trans;
    for (int t = 0; t < T; t++) {
        q[(size_t)t * Q + 2] = 0.5f;
        q[(size_t)t * Q + P + 2] = 3 * 146.0f;
    }
    float *mem = aligned_alloc(64, nr_imp2_synth_state_floats(&hp) * sizeof(float));
    nr_imp2_synth_state st;
    nr_imp2_synth_state_carve(&st, &hp, mem);
    nr_imp2_synth_forward(&hp, &w, &tb, &st, 1, 1, q, T, y);
    double maxe = 0;
    for (long n = 0; n < (long)T * NR_IMP_HOP; n++)
        maxe = fmax(maxe, fabs(y[n] - 0.5 * sin(2 * M_PI * 438.0 * (n + 1) / 48000.0)));
    NT_CHECKF(maxe < 2e-4, "1 s of harmonic 3 of 146 Hz: max error %g", maxe);
    nr_imp2_tables_free(&tb);
    free(o), free(q), free(trans), free(y), free(mem);
}

/* Band energies of x (n) per Hz in [lo, hi). */
static double band_density(const float *x, long n, double lo, double hi)
{
    int N = 4096;
    double *in = fftw_alloc_real((size_t)N);
    fftw_complex *out = fftw_alloc_complex((size_t)N / 2 + 1);
    fftw_plan p = fftw_plan_dft_r2c_1d(N, in, out, FFTW_ESTIMATE);
    double e = 0;
    int bins = 0;
    for (long s = 0; s + N <= n; s += N / 2) {
        for (int i = 0; i < N; i++) in[i] = x[s + i] * (0.5 - 0.5 * cos(2 * M_PI * i / N));
        fftw_execute(p);
        for (int k = 0; k <= N / 2; k++) {
            double f = (double)k * 48000 / N;
            if (f >= lo && f < hi) {
                e += out[k][0] * out[k][0] + out[k][1] * out[k][1];
                bins++;
            }
        }
    }
    fftw_destroy_plan(p);
    fftw_free(in), fftw_free(out);
    return bins ? e / bins : 0;
}

/* A flat noise envelope of 1: unit variance from the first sample, flat up to 21 kHz (no edge); a
 * shaped envelope puts the energy where its bands are. */
static void test_noise_full_band(void)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    nr_imp2_tables tb;
    NT_CHECK(nr_imp2_tables_init(&tb, &hp) == NR_OK);
    int Q = nr_imp2_n_q(&hp), P = nr_imp2_n_partials(&hp), T = 200;
    long N = (long)T * NR_IMP_HOP;
    float *q = calloc((size_t)T * Q, 4), *y = malloc(sizeof(float) * N);
    float *trans = calloc((size_t)hp.n_trans * hp.trans_len, 4);
    nr_imp_weights w = {0};
    w.trans = trans;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < hp.n_env; b++) q[(size_t)t * Q + 2 * P + b] = 1.0f;
    float *mem = aligned_alloc(64, nr_imp2_synth_state_floats(&hp) * sizeof(float));
    nr_imp2_synth_state st;
    nr_imp2_synth_state_carve(&st, &hp, mem);
    nr_imp2_synth_forward(&hp, &w, &tb, &st, 5, 0, q, T, y);
    double e = 0, e0 = 0;
    for (long n = 0; n < N; n++) e += (double)y[n] * y[n];
    for (long n = 0; n < 480; n++) e0 += (double)y[n] * y[n];
    double rms = sqrt(e / N), rms0 = sqrt(e0 / 480);
    NT_CHECKF(fabs(rms - 1.0) < 0.05, "noise rms %g, expected 1", rms);
    NT_CHECKF(fabs(rms0 - 1.0) < 0.25, "first frame's noise rms %g, expected 1 (full level at the onset)", rms0);
    double lo = band_density(y, N, 1000, 6000), hi = band_density(y, N, 15000, 21000);
    NT_CHECKF(hi > 0.7 * lo && hi < 1.4 * lo, "noise density 15-21 kHz %g vs 1-6 kHz %g", hi, lo);
    /* only the bands around 2 kHz */
    for (int t = 0; t < T; t++)
        for (int b = 0; b < hp.n_env; b++) {
            int bb;
            nr_imp2_env_pos(&tb, 2000.0f, &bb);
            q[(size_t)t * Q + 2 * P + b] = (b == bb || b == bb + 1) ? 1.0f : 0.0f;
        }
    nr_imp2_synth_forward(&hp, &w, &tb, &st, 5, 0, q, T, y);
    double in = band_density(y, N, 1800, 2200), out = band_density(y, N, 6000, 12000);
    NT_CHECKF(in > 1000 * out, "shaped noise: %g at 2 kHz vs %g at 6..12 kHz", in, out);
    nr_imp2_tables_free(&tb);
    free(q), free(y), free(trans), free(mem);
}

static void test_render_matches_reference(void)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    nr_imp2_tables tb;
    NT_CHECK(nr_imp2_tables_init(&tb, &hp) == NR_OK);
    int O = nr_imp2_n_out(&hp), Q = nr_imp2_n_q(&hp);
    float *trans = malloc(sizeof(float) * hp.n_trans * hp.trans_len);
    for (int i = 0; i < hp.n_trans * hp.trans_len; i++) trans[i] = 0.1f * rnd();
    nr_imp_weights w = {0};
    w.trans = trans;
    size_t sf = nr_imp2_synth_state_floats(&hp);
    float *m1 = aligned_alloc(64, sf * 4), *m2 = aligned_alloc(64, sf * 4);
    nr_imp2_synth_state a, b;
    nr_imp2_synth_state_carve(&a, &hp, m1);
    nr_imp2_synth_state_carve(&b, &hp, m2);
    nr_imp2_synth_reset(&a, 3, 0);
    nr_imp2_synth_reset(&b, 3, 0);
    float *q = calloc((size_t)8 * Q, 4), *o = malloc(sizeof(float) * O), y1[NR_IMP_HOP], y2[NR_IMP_HOP];
    double maxd = 0;
    for (int t = 0; t < 8; t++) {
        float *qt = q + (size_t)t * Q;
        for (int i = 0; i < O; i++) o[i] = rnd();
        nr_imp2_params_forward(&hp, &tb, o, 80.0f + 40.0f * t, qt);
        const float *qp = t ? qt - Q : qt;
        nr_imp2_synth_begin_frame(&a, &hp, &tb, qt);
        nr_imp2_synth_begin_frame(&b, &hp, &tb, qt);
        memset(y1, 0, sizeof y1), memset(y2, 0, sizeof y2);
        nr_imp2_synth_render(&a, &hp, &w, qp, qt, q, 0, 200, y1);
        nr_imp2_synth_render(&a, &hp, &w, qp, qt, q, 200, NR_IMP_HOP, y1 + 200);
        nr_imp2_synth_render_ref(&b, &hp, &w, qp, qt, q, 0, NR_IMP_HOP, y2);
        for (int i = 0; i < NR_IMP_HOP; i++) maxd = fmax(maxd, fabs(y1[i] - y2[i]));
    }
    NT_CHECKF(maxd < 1e-5, "optimised vs reference render: max diff %g", maxd);
    nr_imp2_tables_free(&tb);
    free(trans), free(m1), free(m2), free(q), free(o);
}

static void test_voice_matches_training_forward(void)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    float *blk = NULL;
    nr_model *m = make_model(&hp, &blk);
    if (!m) return;
    int T = 40;
    float desc[40 * 7];
    curve(desc, T);
    desc[7 * 20 + NR_DESC_PITCH] *= 2.0f; /* an octave error on one frame */
    nr_imp2_tables tb;
    NT_CHECK(nr_imp2_tables_init(&tb, &hp) == NR_OK);
    static const int sizes[] = {64};
    nr_stft_loss L;
    NT_CHECK(nr_stft_loss_init(&L, sizes, 1) == NR_OK);
    nr_imp_work wk;
    NT_CHECK(nr_imp2_work_init(&wk, &hp, &tb, &L, NULL, T) == NR_OK);
    nr_imp_weights_rw w;
    nr_imp2_weights_carve(&hp, blk, &w);
    nr_imp2_forward(&wk, (const nr_imp_weights *)&w, desc, T, 42);
    double peak = 0;
    for (long n = 0; n < (long)T * NR_IMP_HOP; n++) peak = fmax(peak, fabs(wk.y[n]));
    NT_CHECKF(peak > 0.01, "the test sound is silent (peak %g)", peak);
    static const int blocks[] = {1, 7, 64, 480, 4096};
    for (int b = 0; b < 5; b++) {
        float *y = render_voice(m, desc, T, blocks[b], 42, 0);
        if (!y) {
            NT_CHECKF(0, "voice: %s", nr_last_error());
            continue;
        }
        double maxd = 0;
        for (long n = 0; n < (long)T * NR_IMP_HOP; n++) maxd = fmax(maxd, fabs(y[n] - wk.y[n]));
        NT_CHECKF(maxd <= 1e-6 * peak, "block %d: voice vs training forward max diff %g (peak %g)", blocks[b], maxd,
                  peak);
        free(y);
    }
    nr_imp_work_free(&wk);
    nr_stft_loss_free(&L);
    nr_imp2_tables_free(&tb);
    nr_model_free(m);
    free(blk);
}

/* Energy of x[s0 .. s0 + len) between lo and hi Hz (Hann window, FFT of the next power of two). */
static double span_band_energy(const float *x, long s0, int len, double lo, double hi)
{
    int N = 1;
    while (N < len) N *= 2;
    double *in = fftw_alloc_real((size_t)N);
    fftw_complex *out = fftw_alloc_complex((size_t)N / 2 + 1);
    fftw_plan p = fftw_plan_dft_r2c_1d(N, in, out, FFTW_ESTIMATE);
    for (int i = 0; i < N; i++) in[i] = i < len ? x[s0 + i] * (0.5 - 0.5 * cos(2 * M_PI * (i + 0.5) / len)) : 0.0;
    fftw_execute(p);
    double e = 0;
    for (int k = 0; k <= N / 2; k++) {
        double f = (double)k * 48000 / N;
        if (f >= lo && f < hi) e += out[k][0] * out[k][0] + out[k][1] * out[k][1];
    }
    fftw_destroy_plan(p);
    fftw_free(in), fftw_free(out);
    return e;
}

/* yin's octave errors: the raw pitch doubles for one frame, the head output stays (a harmonic envelope
 * peaking at 2..4.5 kHz at the steady pitch). The centroid of the harmonic power that each frame's
 * parameters set stays within 3 %, and the rendered energy between 3 and 9 kHz over the 5 frames around
 * the error stays within 1.5 dB of 5 steady frames' (50 ms: many periods, so the partials' phases do not
 * matter). FREQ mode holds by its envelope over frequency (the slew-limited pitch moves half an octave),
 * INDEX mode by holding the one-frame jump away from the oscillators. */
static void octave_error_case(int mode)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    hp.harm_env = mode;
    nr_imp2_tables tb;
    NT_CHECK(nr_imp2_tables_init(&tb, &hp) == NR_OK);
    int O = nr_imp2_n_out(&hp), Q = nr_imp2_n_q(&hp), P = nr_imp2_n_partials(&hp), T = 40;
    long N = (long)T * NR_IMP_HOP;
    float *o = malloc(sizeof(float) * O), *q = calloc((size_t)T * Q, 4), *y = malloc(sizeof(float) * N);
    float *trans = calloc((size_t)hp.n_trans * hp.trans_len, 4), d[7] = {0};
    nr_imp2_f0_state s;
    nr_imp2_f0_reset(&s);
    for (int i = 0; i < O; i++) o[i] = rnd();
    o[0] = 1.0f;
    for (int b = 0; b < hp.n_env; b++) {
        double u = (double)b / (hp.n_env - 1);
        double fc = mode == NR_IMP2_HARM_INDEX ? 90.0 * pow(hp.n_harm, u) : hp.env_lo * pow(hp.env_hi / hp.env_lo, u);
        o[1 + b] = fc > 2000 && fc < 4500 ? 2.0f : -6.0f;
    }
    double cen[40] = {0};
    for (int t = 0; t < T; t++) {
        d[NR_DESC_PITCH] = t == 20 ? 180.0f : 90.0f;
        float *qt = q + (size_t)t * Q;
        nr_imp2_params_forward(&hp, &tb, o, nr_imp2_f0_track(&s, &hp, d), qt);
        double e = 0, fe = 0;
        for (int k = 0; k < hp.n_harm; k++) {
            e += (double)qt[k] * qt[k];
            fe += (double)qt[P + k] * qt[k] * qt[k];
        }
        cen[t] = fe / e;
    }
    double worst = 0;
    for (int t = 19; t < 24; t++) worst = fmax(worst, fabs(cen[t] / cen[15] - 1.0));
    const char *name = mode == NR_IMP2_HARM_INDEX ? "INDEX" : "FREQ";
    printf("  %s: harmonic centroid around the octave error within %.1f %% of the steady %.0f Hz\n", name,
           100 * worst, cen[15]);
    NT_CHECKF(worst < 0.03, "%s: harmonic centroid around the octave error off by %.0f %%", name, 100 * worst);
    nr_imp_weights w = {0};
    w.trans = trans;
    float *mem = aligned_alloc(64, nr_imp2_synth_state_floats(&hp) * sizeof(float));
    nr_imp2_synth_state st;
    nr_imp2_synth_state_carve(&st, &hp, mem);
    nr_imp2_synth_forward(&hp, &w, &tb, &st, 1, 1, q, T, y);
    double steady = span_band_energy(y, 10L * NR_IMP_HOP, 5 * NR_IMP_HOP, 3000, 9000);
    double around = span_band_energy(y, 19L * NR_IMP_HOP, 5 * NR_IMP_HOP, 3000, 9000);
    printf("  %s: rendered 3..9 kHz energy over the 5 frames around it: %.2f x the steady 5 frames'\n", name,
           around / steady);
    NT_CHECKF(around < 1.41 * steady, "%s: rendered 3..9 kHz energy around the octave error %.2f x", name,
              around / steady);
    nr_imp2_tables_free(&tb);
    free(o), free(q), free(y), free(trans), free(mem);
}

static void test_no_burst_on_octave_error(void)
{
    octave_error_case(NR_IMP2_HARM_FREQ);
    octave_error_case(NR_IMP2_HARM_INDEX);
}

/* Toy loss for the descent: squared differences of short-time magnitudes (sine window of one hop,
 * windows every `step` samples, 1024-point DFT bins 10..33, 470..1550 Hz); dL/dy into dy (n). */
static double mag_loss(const float *y, const float *x, long n, int step, float *dy)
{
    enum { K0 = 10, K1 = 34, W = NR_IMP_HOP };
    double loss = 0;
    memset(dy, 0, sizeof(float) * (size_t)n);
    for (long s0 = 0; s0 + W <= n; s0 += step)
        for (int k = K0; k < K1; k++) {
            double yr = 0, yi = 0, xr = 0, xi = 0, th = 2 * M_PI * k / 1024.0;
            for (int j = 0; j < W; j++) {
                double w = sin(M_PI * (j + 0.5) / W), c = cos(th * j) * w, sn = -sin(th * j) * w;
                yr += y[s0 + j] * c, yi += y[s0 + j] * sn;
                xr += x[s0 + j] * c, xi += x[s0 + j] * sn;
            }
            double my = sqrt(yr * yr + yi * yi) + 1e-12, mx = sqrt(xr * xr + xi * xi), e = my - mx;
            loss += e * e;
            for (int j = 0; j < W; j++) {
                double w = sin(M_PI * (j + 0.5) / W);
                dy[s0 + j] += (float)(2 * e / my * w * (yr * cos(th * j) - yi * sin(th * j)));
            }
        }
    return loss;
}

/* One partial started 5 % sharp of a 1 kHz target, 100 Adam steps on its frequency; the end frequency. */
static double descend(nr_imp2_freq_grad mode, int step)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    hp.n_harm = 1;
    hp.n_inharm = 0;
    nr_imp2_tables tb;
    NT_CHECK(nr_imp2_tables_init(&tb, &hp) == NR_OK);
    int Q = nr_imp2_n_q(&hp), P = nr_imp2_n_partials(&hp), T = 30;
    long N = (long)T * NR_IMP_HOP;
    float *q = calloc((size_t)T * Q, 4), *dq = calloc((size_t)T * Q, 4), *y = malloc(sizeof(float) * N);
    float *x = malloc(sizeof(float) * N), *dy = malloc(sizeof(float) * N), *fft = aligned_alloc(64, 1040 * 4);
    float *trans = calloc((size_t)hp.n_trans * hp.trans_len, 4);
    nr_imp_weights w = {0};
    w.trans = trans;
    float *mem = aligned_alloc(64, nr_imp2_synth_state_floats(&hp) * sizeof(float));
    nr_imp2_synth_state st;
    nr_imp2_synth_state_carve(&st, &hp, mem);
    const double target = 1000.0;
    for (long n = 0; n < N; n++) x[n] = 0.5f * (float)sin(2 * M_PI * target * n / 48000.0 + 0.3);
    double f = 1.05 * target, m1 = 0, m2 = 0, first = 0, last = 0;
    const double lr = 2.0, b1 = 0.9, b2 = 0.999; /* Adam on the frequency in Hz */
    for (int it = 1; it <= 100; it++) {
        for (int t = 0; t < T; t++) {
            q[(size_t)t * Q] = 0.5f;
            q[(size_t)t * Q + P] = (float)f;
        }
        nr_imp2_synth_forward(&hp, &w, &tb, &st, 1, 1, q, T, y);
        last = mag_loss(y, x, N, step, dy);
        if (it == 1) first = last;
        memset(dq, 0, sizeof(float) * T * Q);
        nr_imp2_synth_backward(&hp, &w, &tb, &st, 1, 1, q, T, dy, dq, NULL, fft, mode);
        double g = 0;
        for (int t = 0; t < T; t++) g += dq[(size_t)t * Q + P];
        m1 = b1 * m1 + (1 - b1) * g;
        m2 = b2 * m2 + (1 - b2) * g * g;
        f -= lr * (m1 / (1 - pow(b1, it))) / (sqrt(m2 / (1 - pow(b2, it))) + 1e-12);
    }
    printf("  %s gradient, loss windows every %d samples: 1050 Hz -> %.2f Hz, loss %g -> %g\n",
           mode == NR_IMP2_FREQ_LOCAL ? "local" : "exact", step, f, first, last);
    nr_imp2_tables_free(&tb);
    free(q), free(dq), free(y), free(x), free(dy), free(fft), free(trans), free(mem);
    return f;
}

/* The frequency gradients are good enough to descend on: the local surrogate under a magnitude loss
 * whose windows are the synthesis frames, the exact one under overlapping windows too. */
static void test_frequency_descent(void)
{
    if (nt_skip_emulated(k_emulated_why)) return; /* minutes under qemu */
    double f = descend(NR_IMP2_FREQ_LOCAL, NR_IMP_HOP);
    NT_CHECKF(fabs(f - 1000.0) < 2.0, "local gradient: descent ended at %g Hz", f);
    f = descend(NR_IMP2_FREQ_EXACT, NR_IMP_HOP);
    NT_CHECKF(fabs(f - 1000.0) < 2.0, "exact gradient: descent ended at %g Hz", f);
    f = descend(NR_IMP2_FREQ_EXACT, NR_IMP_HOP / 3);
    NT_CHECKF(fabs(f - 1000.0) < 2.0, "exact gradient, overlapping windows: descent ended at %g Hz", f);
    if (getenv("NR_SHOW_LOCAL_OVERLAP")) descend(NR_IMP2_FREQ_LOCAL, NR_IMP_HOP / 3); /* for the docs */
}

/* bad_meta: that key set to bad_value ("abc" when NULL; "" removes the key) */
static nr_result from_block_edit_value(const char *drop, const char *bad_meta, const char *bad_value, int nan, int grow)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    hp.hidden = 16;
    hp.layers = 2;
    nr_tensor_set ts = {0};
    nr_imp_tensor_desc tab[NR_IMP_MAX_TENSORS];
    int n = nr_imp2_tensor_table(&hp, tab);
    for (int i = 0; i < n; i++) {
        if (drop && !strcmp(tab[i].name, drop)) continue;
        int64_t sh[3] = {tab[i].shape[0], tab[i].shape[1], tab[i].shape[2]};
        if (grow && !strcmp(tab[i].name, "head.weight")) sh[0] += 1;
        nr_tensor_set_add(&ts, tab[i].name, tab[i].ndim, sh, NULL);
        if (!strcmp(tab[i].name, "desc_std")) {
            nr_tensor *t = &ts.tensors[ts.n_tensors - 1];
            for (int64_t k = 0; k < t->numel; k++) t->data[k] = 1.0f;
        }
        if (nan && !strcmp(tab[i].name, "head.bias")) ts.tensors[ts.n_tensors - 1].data[3] = NAN;
    }
    nr_tensor_set_set_meta(&ts, "nr.arch", "nr-impact-2");
    nr_imp2_hparams_to_meta(&hp, &ts);
    if (bad_meta && bad_value && !*bad_value) {
        for (int k = 0; k < ts.n_meta; k++)
            if (!strcmp(ts.meta[k].key, bad_meta)) nr_tensor_set_remove_meta(&ts, k--);
    } else if (bad_meta)
        nr_tensor_set_set_meta(&ts, bad_meta, bad_value ? bad_value : "abc");
    nr_model *m = NULL;
    nr_result r = nr_model_from_tensors(&ts, "test", &m);
    nr_model_free(m);
    return r;
}

static nr_result from_block_edit(const char *drop, const char *bad_meta, int nan, int grow)
{
    return from_block_edit_value(drop, bad_meta, NULL, nan, grow);
}

static void test_load_checks(void)
{
    NT_CHECKF(from_block_edit(NULL, NULL, 0, 0) == NR_OK, "%s", nr_last_error());
    NT_CHECK(from_block_edit("conv1.weight", NULL, 0, 0) == NR_ERR_FORMAT);
    NT_CHECK(strstr(nr_last_error(), "conv1.weight") != NULL);
    NT_CHECK(from_block_edit(NULL, "impact2.n_env", 0, 0) == NR_ERR_FORMAT);
    NT_CHECK(strstr(nr_last_error(), "impact2.n_env") != NULL && strstr(nr_last_error(), "not a number"));
    /* a required key missing, an int that is not whole: named; an optional key missing loads */
    NT_CHECK(from_block_edit_value(NULL, "impact2.taps", "", 0, 0) == NR_ERR_FORMAT);
    NT_CHECKF(strstr(nr_last_error(), "impact2.taps missing (an nr-impact-2 model needs it)"), "%s", nr_last_error());
    NT_CHECK(from_block_edit_value(NULL, "impact2.n_harm", "12.5", 0, 0) == NR_ERR_FORMAT);
    NT_CHECKF(strstr(nr_last_error(), "impact2.n_harm = '12.5' must be a whole number"), "%s", nr_last_error());
    NT_CHECKF(from_block_edit_value(NULL, "impact2.harm_env", "", 0, 0) == NR_OK, "%s", nr_last_error());
    NT_CHECK(from_block_edit(NULL, NULL, 1, 0) == NR_ERR_VALUE);
    NT_CHECK(from_block_edit(NULL, NULL, 0, 1) == NR_ERR_SHAPE);
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    hp.n_env = 1; /* interpolation needs two bands */
    NT_CHECK(nr_imp2_hparams_check(&hp, "test") == NR_ERR_FORMAT);
    hp = nr_imp2_hparams_default();
    hp.ratio_hi = hp.ratio_lo;
    NT_CHECK(nr_imp2_hparams_check(&hp, "test") == NR_ERR_FORMAT);
}

static void test_extra_tensor_refused(void)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    nr_model *m = make_model(&hp, NULL);
    if (!m) return;
    check_extra_tensor_refused(m, "impact2-extra.safetensors");
    nr_model_free(m);
}

/* A model trained on settled onsets (impact2.onset_pitch = 1, the trainer's default) is played on settled
 * curves by every path: nr_render of curves whose first frame yin read at 5 kHz equals the raw-onset twin
 * (same weights) rendering the settled curves, sample for sample, and differs from the twin rendering
 * them as they are; the flag survives save and load; a file without it (every model before it) is raw;
 * the synth's template set settles a template for such a model only. */
static void test_onset_pitch_settled(void)
{
    nr_imp2_hparams hs = nr_imp2_hparams_default(), hr = hs;
    NT_CHECK(hs.onset_pitch == NR_IMP2_ONSET_SETTLED);
    hr.onset_pitch = NR_IMP2_ONSET_RAW;
    float *blk = NULL;
    nr_model *ms = make_model(&hs, &blk), *mr = NULL;
    if (!ms || !blk) return;
    NT_CHECK(nr_imp2_model_from_block(&hr, blk, &mr) == NR_OK);
    free(blk);
    nr_model_info is, ir;
    nr_model_get_info(ms, &is);
    nr_model_get_info(mr, &ir);
    NT_CHECK(is.settle_onset_pitch == 1 && ir.settle_onset_pitch == 0);

    nr_curves raw, settled;
    NT_CHECK(nr_curves_alloc(&raw, 20, 22050.0f / 512.0f) == NR_OK);
    for (int t = 0; t < 20; t++) {
        float d[7] = {0.2f * expf(-t / 8.0f), 0.05f, 3000, 0.02f, 1800, 1500, t ? 110.0f : 5000.0f};
        memcpy(raw.data + (size_t)t * 7, d, sizeof d);
    }
    NT_CHECK(nr_curves_resample(&raw, raw.frame_rate, &settled) == NR_OK);
    NT_CHECK(nr_curves_settle_onset_pitch(&settled, NR_ONSET_JUMP_OCT, NR_ONSET_WITHIN_S) == 1);
    nr_render_config rc = nr_render_config_init();
    nr_audio ys = {0}, yr_settled = {0}, yr_raw = {0};
    NT_CHECK(nr_render(ms, &raw, &rc, &ys) == NR_OK);
    NT_CHECK(nr_render(mr, &settled, &rc, &yr_settled) == NR_OK);
    NT_CHECK(nr_render(mr, &raw, &rc, &yr_raw) == NR_OK);
    NT_CHECK(ys.n > 0 && ys.n == yr_settled.n && ys.n == yr_raw.n);
    if (ys.n > 0 && ys.n == yr_settled.n && ys.n == yr_raw.n) {
        NT_CHECK(!memcmp(ys.samples, yr_settled.samples, sizeof(float) * (size_t)ys.n));
        NT_CHECK(memcmp(ys.samples, yr_raw.samples, sizeof(float) * (size_t)ys.n) != 0);
    }
    nr_audio_free(&ys), nr_audio_free(&yr_settled), nr_audio_free(&yr_raw);

    /* the file records it; without the key a file is raw */
    const char *path = nt_tmp("onset.safetensors");
    NT_CHECK(nr_model_save(ms, path) == NR_OK);
    nr_model *m2 = NULL;
    NT_CHECK(nr_model_load(path, &m2) == NR_OK);
    if (m2) {
        nr_model_get_info(m2, &is);
        NT_CHECK(is.settle_onset_pitch == 1);
        const char *v = nr_tensor_set_meta(nr_model_tensors(m2), "impact2.onset_pitch");
        NT_CHECK(v && !strcmp(v, "1"));
        nr_tensor_set ts;
        NT_CHECK(nr_safetensors_read(path, &ts) == NR_OK);
        int removed = 0;
        for (int i = 0; i < ts.n_meta; i++)
            if (!strcmp(ts.meta[i].key, "impact2.onset_pitch")) nr_tensor_set_remove_meta(&ts, i), removed++;
        NT_CHECK(removed == 1 && !nr_tensor_set_meta(&ts, "impact2.onset_pitch"));
        nr_model *m3 = NULL;
        NT_CHECKF(nr_model_from_tensors(&ts, "no onset key", &m3) == NR_OK, "%s", nr_last_error());
        if (m3) {
            nr_model_get_info(m3, &ir);
            NT_CHECK(ir.settle_onset_pitch == 0);
        }
        nr_model_free(m3);
    }
    nr_model_free(m2);

    /* the synth's templates: frame 0 takes the settled pitch for the settled model only */
    nr_template_set ss, sr;
    nr_model_get_info(ms, &is);
    nr_model_get_info(mr, &ir);
    nr_template_set_init(&ss, &is);
    nr_template_set_init(&sr, &ir);
    NT_CHECK(nr_template_set_add(&ss, "t", &raw) == NR_OK && nr_template_set_add(&sr, "t", &raw) == NR_OK);
    if (ss.count == 1 && sr.count == 1) {
        float hz_s = ss.t[0].z[NR_DESC_PITCH] * ss.std[NR_DESC_PITCH] + ss.mean[NR_DESC_PITCH];
        float hz_r = sr.t[0].z[NR_DESC_PITCH] * sr.std[NR_DESC_PITCH] + sr.mean[NR_DESC_PITCH];
        NT_CHECKF(fabsf(hz_s - 110.0f) < 0.5f, "settled template starts at %g Hz", hz_s);
        NT_CHECKF(hz_r > 4000.0f, "raw template starts at %g Hz", hz_r);
    }
    nr_template_set_free(&ss), nr_template_set_free(&sr);
    nr_curves_free(&raw), nr_curves_free(&settled);
    nr_model_free(ms), nr_model_free(mr);
}

static void test_save_load_and_bad_input(void)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    nr_model *m = make_model(&hp, NULL);
    if (!m) return;
    const char *path = nt_tmp("impact2.safetensors");
    NT_CHECKF(nr_model_save(m, path) == NR_OK, "save: %s", nr_last_error());
    nr_model *m2 = NULL;
    NT_CHECKF(nr_model_load(path, &m2) == NR_OK, "load: %s", nr_last_error());
    int T = 20;
    float desc[20 * 7];
    curve(desc, T);
    if (m2) {
        float *a = render_voice(m, desc, T, 512, 3, 0), *b = render_voice(m2, desc, T, 512, 3, 0);
        NT_CHECK(a && b && !memcmp(a, b, sizeof(float) * T * NR_IMP_HOP));
        free(a), free(b);
        NT_CHECK(nr_tensor_set_meta(nr_model_tensors(m2), "impact2.n_harm") != NULL);
    }
    /* reset replays; another seed changes the noise only */
    float *a = render_voice(m, desc, T, 100, 5, 0), *c = render_voice(m, desc, T, 100, 6, 0);
    float *d = render_voice(m, desc, T, 100, 5, 1), *e = render_voice(m, desc, T, 100, 6, 1);
    if (a && c && d && e) {
        NT_CHECK(memcmp(a, c, sizeof(float) * T * NR_IMP_HOP) != 0);
        NT_CHECK(!memcmp(d, e, sizeof(float) * T * NR_IMP_HOP));
    }
    free(a), free(c), free(d), free(e);
    for (int i = 0; i < T * 7; i++) desc[i] = (i % 3 == 0) ? NAN : (i % 3 == 1) ? INFINITY : -1e30f;
    float *y = render_voice(m, desc, T, 128, 1, 0);
    if (y) {
        int finite = 1;
        for (long n = 0; n < (long)T * NR_IMP_HOP; n++) finite &= isfinite(y[n]) && fabsf(y[n]) < 100.0f;
        NT_CHECK(finite);
    }
    free(y);
    nr_model_free(m2);
    nr_model_free(m);
}

static nr_train_config tiny(void)
{
    return nt_tiny_train_config();
}

static int same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = nt_read_file(a, &na), *y = nt_read_file(b, &nb);
    int same = x && y && na == nb && !memcmp(x, y, na);
    free(x), free(y);
    return same;
}

/* The default architecture: the loss falls; a stopped run resumes to the same checkpoint; a checkpoint
 * of the other architecture is refused by name; the model written is nr-impact-2. */
static void test_training(void)
{
    if (nt_skip_emulated(k_emulated_why)) return; /* minutes under qemu */
    char a[512], b[512], out[512];
    snprintf(a, sizeof a, "%s", nt_tmp("t2a.ckpt"));
    snprintf(b, sizeof b, "%s", nt_tmp("t2b.ckpt"));
    snprintf(out, sizeof out, "%s", nt_tmp("t2.safetensors"));
    nr_train_config c = tiny();
    c.steps = 100;
    c.threads = 2;
    c.checkpoint = a;
    c.out = out;
    nr_train_report rep;
    NT_CHECKF(nr_train(&c, &rep) == NR_OK, "%s", nr_last_error());
    printf("  %ld steps in %.1f s: training set %.4f -> %.4f, validation %.4f -> %.4f\n", rep.step, rep.seconds,
           rep.train_eval_first, rep.train_eval_last, rep.valid_first, rep.valid_loss);
    NT_CHECKF(rep.train_eval_last < 0.8 * rep.train_eval_first, "training-set loss %g -> %g", rep.train_eval_first,
              rep.train_eval_last);
    nr_model *m = NULL;
    NT_CHECKF(nr_model_load(out, &m) == NR_OK, "%s", nr_last_error());
    if (m) {
        nr_model_info info;
        nr_model_get_info(m, &info);
        NT_CHECK(!strcmp(info.arch, "nr-impact-2"));
    }
    nr_model_free(m);
    c.out = NULL;
    c.steps = 6;
    NT_CHECK(nr_train(&c, &rep) == NR_OK);
    c.threads = 1;
    c.checkpoint = b;
    c.stop_after = 3;
    NT_CHECK(nr_train(&c, &rep) == NR_OK && rep.step == 3);
    c.stop_after = 0;
    c.resume = b;
    NT_CHECKF(nr_train(&c, &rep) == NR_OK && rep.step == 6, "%s", nr_last_error());
    NT_CHECK(same_file(a, b));
    /* the model of a checkpoint: its architecture comes from the checkpoint */
    char ex[512];
    snprintf(ex, sizeof ex, "%s", nt_tmp("t2x.safetensors"));
    long step = 0;
    NT_CHECKF(nr_train_export(b, ex, &step) == NR_OK && step == 6, "%s", nr_last_error());
    m = NULL;
    NT_CHECKF(nr_model_load(ex, &m) == NR_OK, "%s", nr_last_error());
    if (m) {
        nr_model_info info;
        nr_model_get_info(m, &info);
        NT_CHECK(!strcmp(info.arch, "nr-impact-2"));
    }
    nr_model_free(m);
    c.arch = "nr-impact-1";
    NT_CHECK(nr_train(&c, &rep) == NR_ERR_ARG);
    NT_CHECKF(strstr(nr_last_error(), "nr-impact-2") && strstr(nr_last_error(), "--arch"), "%s", nr_last_error());
    c.arch = "nr-impact-3";
    c.resume = NULL;
    NT_CHECK(nr_train(&c, &rep) == NR_ERR_ARG);
}

/* The inharmonic floor as a model setting (convert --inharm-floor): written to the file and read back,
 * removed by NR_MODEL_NO_FLOOR, out-of-range values refused; the weights untouched, so setting the shipped
 * file's own floor again after a removal gives the shipped file byte for byte. */
static void test_inharm_floor_setting(void)
{
    const char *path = "models/default.safetensors";
    nr_model *m = NULL;
    NT_CHECKF(nr_model_load(path, &m) == NR_OK, "%s", nr_last_error());
    if (!m) return;
    const char *fl = nr_tensor_set_meta(nr_model_tensors(m), "impact2.inharm_floor");
    NT_CHECK(fl && !strcmp(fl, "-0.125"));
    NT_CHECK(nr_model_set_inharm_floor(m, 9.0f) == NR_ERR_ARG && nr_model_set_inharm_floor(m, NAN) == NR_ERR_ARG);
    char a[600], b[600];
    snprintf(a, sizeof a, "%s", nt_tmp("nofloor.safetensors"));
    snprintf(b, sizeof b, "%s", nt_tmp("floor-again.safetensors"));
    NT_CHECK(nr_model_set_inharm_floor(m, NR_MODEL_NO_FLOOR) == NR_OK && nr_model_save(m, a) == NR_OK);
    nr_model_free(m);
    m = NULL;
    NT_CHECKF(nr_model_load(a, &m) == NR_OK, "%s", nr_last_error());
    if (!m) return;
    NT_CHECK(nr_tensor_set_meta(nr_model_tensors(m), "impact2.inharm_floor") == NULL);
    NT_CHECK(nr_model_set_inharm_floor(m, -0.125f) == NR_OK && nr_model_save(m, b) == NR_OK);
    nr_model_free(m);
    size_t n0 = 0, n1 = 0, n2 = 0;
    char *f0 = nt_read_file(path, &n0), *f1 = nt_read_file(b, &n1), *f2 = nt_read_file(a, &n2);
    NT_CHECK(f0 && f1 && f2 && n0 == n1 && !memcmp(f0, f1, n0));
    NT_CHECK(f2 && n2 != n0); /* the key is gone */
    free(f0), free(f1), free(f2);
    /* a damaged value is refused by name */
    static const char *const bad[] = {"50", "abc", "nan", ""};
    for (int i = 0; i < 4; i++) {
        nr_tensor_set ts = {0};
        NT_CHECKF(nr_safetensors_read(path, &ts) == NR_OK, "%s", nr_last_error());
        NT_CHECK(nr_tensor_set_set_meta(&ts, "impact2.inharm_floor", bad[i]) == NR_OK);
        nr_model *mb = NULL;
        nr_result r = nr_model_from_tensors(&ts, "damaged.safetensors", &mb);
        NT_CHECKF(r == NR_ERR_FORMAT && strstr(nr_last_error(), "damaged.safetensors") &&
                      strstr(nr_last_error(), "inharm_floor"),
                  "'%s': %d %s", bad[i], (int)r, nr_last_error());
        nr_model_free(mb);
    }
}

/* The model the repository ships: nr-impact-2 within the size budgets, trained and played on settled
 * onset pitch, its templates, and a decaying loudness curve rendering a finite, decaying sound. */
static void test_shipped_model(void)
{
    const char *path = "models/default.safetensors";
    size_t bytes = 0;
    char *file = nt_read_file(path, &bytes);
    NT_CHECKF(file != NULL, "%s is part of the repository and must be readable", path);
    if (!file) return;
    free(file);
    NT_CHECKF(bytes <= 2u << 20, "%zu bytes", bytes);
    nr_model *m = NULL;
    NT_CHECKF(nr_model_load(path, &m) == NR_OK, "%s", nr_last_error());
    if (!m) return;
    nr_model_info info;
    nr_model_get_info(m, &info);
    NT_CHECKF(!strcmp(info.arch, NR_IMP2_ARCH) && info.n_params <= 500000 && info.voice_bytes < 64 * 1024,
              "%s, %lld parameters, %zu bytes of voice", info.arch, (long long)info.n_params, (size_t)info.voice_bytes);
    NT_CHECK(info.settle_onset_pitch == 1);
    NT_CHECK(nr_model_template_count(m) >= 10 && nr_model_template_default(m) != NULL);
    nr_curves c;
    NT_CHECK(nr_curves_alloc(&c, 150, 100.0f) == NR_OK);
    for (int t = 0; t < 150; t++) {
        float d[7] = {0.3f * expf(-t / 25.0f), 0.05f, 2500, 0.01f, 1500, 1200, 90.0f};
        memcpy(c.data + (size_t)t * 7, d, sizeof d);
    }
    nr_render_config rc = nr_render_config_init();
    nr_audio y = {0};
    NT_CHECKF(nr_render(m, &c, &rc, &y) == NR_OK, "%s", nr_last_error());
    double peak = 0, early = 0, late = 0;
    int finite = 1;
    for (long n = 0; n < y.n; n++) {
        finite &= isfinite(y.samples[n]);
        peak = fmax(peak, fabs(y.samples[n]));
        if (n < 24000) early += (double)y.samples[n] * y.samples[n];
        else if (n >= 48000) late += (double)y.samples[n] * y.samples[n];
    }
    NT_CHECK(finite && y.n == 150 * NR_IMP_HOP);
    NT_CHECKF(peak > 1e-3 && peak < 10.0, "peak %g", peak);
    NT_CHECKF(early / 24000 > 4.0 * late / (y.n - 48000), "energy early %g late %g", early, late);
    nr_audio_free(&y);
    nr_curves_free(&c);
    nr_model_free(m);
}

/* ---- tuning (nr_voice_push_frame_tuned): the whole sound moves, as a sampler plays another key ---- */

/* voice render with every frame pushed tuned by voct */
static float *render_tuned(nr_model *m, const float *desc, int T, uint64_t seed, int no_noise, float voct)
{
    nr_voice_config vc = nr_voice_config_init();
    vc.seed = seed;
    vc.no_noise = no_noise;
    vc.max_block = 256;
    nr_voice *v = NULL;
    if (nr_voice_create(m, &vc, &v) != NR_OK) return NULL;
    NT_CHECK(nr_voice_tunes_sound(v));
    long N = (long)T * NR_IMP_HOP, got = 0;
    float *y = calloc((size_t)N + 256, sizeof(float));
    int pushed = 0;
    while (!nr_voice_finished(v)) {
        while (pushed < T && nr_voice_available(v) < 256) nr_voice_push_frame_tuned(v, desc + (size_t)7 * pushed++, voct);
        if (pushed == T) nr_voice_end(v);
        int k = nr_voice_process(v, y + got, 256);
        got += k;
        if (k == 0 && !nr_voice_finished(v)) break;
    }
    NT_CHECKF(got == N, "voice produced %ld of %ld samples", got, N);
    nr_voice_free(v);
    return y;
}

/* Frequency of the strongest spectral peak of y[from..n) between lo and hi Hz (Hann, 2^16-point FFT,
 * parabolic interpolation of the log magnitude: a hundredth of a bin) */
static double peak_hz(const float *y, long from, long n, double lo, double hi)
{
    int N = 1 << 16;
    double *in = fftw_alloc_real((size_t)N);
    fftw_complex *out = fftw_alloc_complex((size_t)N / 2 + 1);
    fftw_plan p = fftw_plan_dft_r2c_1d(N, in, out, FFTW_ESTIMATE);
    long L = n - from < N ? n - from : N;
    for (int i = 0; i < N; i++) in[i] = i < L ? y[from + i] * (0.5 - 0.5 * cos(2 * M_PI * i / L)) : 0.0;
    fftw_execute(p);
    int k0 = (int)(lo * N / 48000.0), k1 = (int)(hi * N / 48000.0), best = k0;
    double bm = -1.0;
    for (int k = k0; k <= k1; k++) {
        double m = out[k][0] * out[k][0] + out[k][1] * out[k][1];
        if (m > bm) bm = m, best = k;
    }
    double a = log(out[best - 1][0] * out[best - 1][0] + out[best - 1][1] * out[best - 1][1] + 1e-30),
           b = log(bm + 1e-30), c = log(out[best + 1][0] * out[best + 1][0] + out[best + 1][1] * out[best + 1][1] + 1e-30);
    double d = 0.5 * (a - c) / (a - 2 * b + c);
    fftw_destroy_plan(p);
    fftw_free(in);
    fftw_free(out);
    return (best + d) * 48000.0 / N;
}

/* Partials (noise off): the strongest partial moves by the interval within 2 cents, down and up, and so
 * does the pitch yin hears; 0 (and NaN) tuning is the untuned voice to the bit. */
static void test_tuned_voice_in_tune(void)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    nr_model *m = make_model_x(&hp, NULL, 1);
    if (!m) return;
    int T = 100;
    float *desc = malloc(sizeof(float) * 7 * T);
    curve(desc, T);
    for (int t = 0; t < T; t++) desc[t * 7 + NR_DESC_PITCH] = 110.0f; /* a steady pitch to measure */
    long N = (long)T * NR_IMP_HOP, from = 20 * NR_IMP_HOP;
    float *y0 = render_voice(m, desc, T, 256, 9, 1), *z = render_tuned(m, desc, T, 9, 1, 0.0f),
          *zn = render_tuned(m, desc, T, 9, 1, NAN);
    NT_CHECK(y0 && z && zn && !memcmp(y0, z, sizeof(float) * N) && !memcmp(y0, zn, sizeof(float) * N));
    double f0 = peak_hz(y0, from, N, 100.0, 2000.0), base = 0.0;
    NT_CHECK(nr_eval_rendered_pitch(y0, N, 48000, &base, NULL) == NR_OK && fabs(base - 110.0) < 1.0);
    const float oct[] = {-1.0f, -5.0f / 12, 7.0f / 12, 1.0f};
    for (int i = 0; i < 4; i++) {
        float *y = render_tuned(m, desc, T, 9, 1, oct[i]);
        if (!y) break;
        double want = f0 * exp2(oct[i]), f = peak_hz(y, from, N, 0.97 * want, 1.03 * want), hz = 0.0;
        double cents = 1200.0 * log2(f / want);
        NT_CHECKF(fabs(cents) < 2.0, "tuned %+g octave: partial %.2f Hz -> %.2f Hz, %+.2f cents off", oct[i], f0, f, cents);
        NT_CHECK(nr_eval_rendered_pitch(y, N, 48000, &hz, NULL) == NR_OK);
        /* yin: the interval, or (its own octave error on this random timbre) an octave below it */
        double yc = 1200.0 * log2(hz / base) - 1200.0 * oct[i];
        NT_CHECKF(fabs(yc) < 5.0 || fabs(yc + 1200.0) < 5.0, "tuned %+g octave: yin %.2f -> %.2f Hz", oct[i], base, hz);
        free(y);
    }
    free(y0), free(z), free(zn), free(desc);
    nr_model_free(m);
}

/* The noise spectrum moves by the ratio: an envelope lit only around 2 kHz sounds at 4 kHz an octave up
 * and at 1 kHz an octave down, and its power stays that of the untuned noise, as a sampler's does (the
 * same power spread over twice or half the bandwidth); partials keep their amplitude, so noise 3 dB
 * louder an octave up would bury them (yin then read the plucks model's banjo an octave low). */
static void test_tuned_noise_moves(void)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    nr_imp2_tables tb;
    NT_CHECK(nr_imp2_tables_init(&tb, &hp) == NR_OK);
    int Q = nr_imp2_n_q(&hp), P = nr_imp2_n_partials(&hp), T = 120;
    long N = (long)T * NR_IMP_HOP;
    float *q = calloc((size_t)Q, 4), *y = calloc((size_t)N, sizeof(float));
    float *trans = calloc((size_t)hp.n_trans * hp.trans_len, 4);
    nr_imp_weights w = {0};
    w.trans = trans;
    int bb;
    nr_imp2_env_pos(&tb, 2000.0f, &bb);
    q[2 * P + bb] = q[2 * P + bb + 1] = 1.0f;
    float *mem = aligned_alloc(64, nr_imp2_synth_state_floats(&hp) * sizeof(float));
    nr_imp2_synth_state st;
    nr_imp2_synth_state_carve(&st, &hp, mem);
    const float ratio[] = {2.0f, 0.5f, 1.0f};
    double power[3];
    for (int i = 0; i < 3; i++) {
        nr_imp2_synth_reset(&st, 5, 0);
        memset(y, 0, sizeof(float) * N);
        for (int t = 0; t < T; t++) {
            nr_imp2_synth_tune(&st, ratio[i]);
            nr_imp2_synth_begin_frame(&st, &hp, &tb, q);
            nr_imp2_synth_render(&st, &hp, &w, q, q, q, 0, NR_IMP_HOP, y + (size_t)t * NR_IMP_HOP);
        }
        power[i] = 0.0;
        for (long n = 0; n < N; n++) power[i] += (double)y[n] * y[n];
        if (ratio[i] == 1.0f) break;
        double f = 2000.0 * ratio[i];
        double in = band_density(y, N, 0.9 * f, 1.1 * f), home = band_density(y, N, 1800, 2200);
        NT_CHECKF(in > 1000 * home, "x%g: noise %g at %g Hz vs %g at 2 kHz", ratio[i], in, f, home);
    }
    for (int i = 0; i < 2; i++) {
        double db = 10.0 * log10(power[i] / power[2]);
        NT_CHECKF(fabs(db) < 0.75, "x%g: the tuned noise's power is %+.2f dB from the untuned noise's", ratio[i], db);
    }
    nr_imp2_tables_free(&tb);
    free(q), free(y), free(trans), free(mem);
}

/* The transient plays ratio times faster: twice as fast from level 1 (half band, decimated: a 15 kHz
 * tone is gone from it, a 5 kHz one kept), half as fast twice as long, sample for sample the tables'. */
static void test_tuned_transient(void)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    nr_imp2_tables tb;
    NT_CHECK(nr_imp2_tables_init(&tb, &hp) == NR_OK);
    int Q = nr_imp2_n_q(&hp), P = nr_imp2_n_partials(&hp), TL = hp.trans_len, NT = hp.n_trans;
    float *trans = malloc(sizeof(float) * NT * TL);
    /* level 1 of tones: table 0 at 15 kHz (above level 1's band), table 1 at 5 kHz (inside) */
    for (int j = 0; j < NT; j++)
        for (int i = 0; i < TL; i++) trans[(size_t)j * TL + i] = (float)sin(2 * M_PI * (j ? 5000.0 : 15000.0) * i / 48000.0);
    NT_CHECK(nr_imp2_tables_mip_init(&tb, &hp, trans) == NR_OK && tb.mip.levels >= 2 && tb.mip.len[1] == (TL + 1) / 2);
    double e_hi = 0.0, e_lo = 0.0;
    int n1 = tb.mip.len[1];
    const float *lev1 = tb.mip.data + tb.mip.off[1];
    for (int i = n1 / 4; i < n1 / 2; i++) e_hi += lev1[i] * lev1[i], e_lo += lev1[n1 + i] * lev1[n1 + i];
    e_hi /= n1 / 4, e_lo /= n1 / 4; /* a unit sine has power 0.5 */
    NT_CHECKF(e_hi < 0.5e-5 && fabs(10 * log10(e_lo / 0.5)) < 0.5, "level 1: 15 kHz at %.1f dB, 5 kHz at %.2f dB",
              10 * log10(e_hi / 0.5 + 1e-30), 10 * log10(e_lo / 0.5));
    for (int i = 0; i < NT * TL; i++) trans[i] = 0.1f * rnd();
    NT_CHECK(nr_imp2_tables_mip_init(&tb, &hp, trans) == NR_OK);
    lev1 = tb.mip.data + tb.mip.off[1];
    nr_imp_weights w = {0};
    w.trans = trans;
    float *q = calloc((size_t)Q, 4);
    for (int j = 0; j < NT; j++) q[2 * P + hp.n_env + j] = 0.25f * (float)(j + 1);
    float *mix = calloc((size_t)TL, sizeof(float)), *mix1 = calloc((size_t)n1, sizeof(float));
    for (int j = 0; j < NT; j++) {
        for (int i = 0; i < TL; i++) mix[i] += q[2 * P + hp.n_env + j] * trans[(size_t)j * TL + i] * nr_imp2_trans_fade(i, TL);
        for (int i = 0; i < n1; i++) mix1[i] += q[2 * P + hp.n_env + j] * lev1[(size_t)j * n1 + i];
    }
    float *mem = aligned_alloc(64, nr_imp2_synth_state_floats(&hp) * sizeof(float));
    nr_imp2_synth_state st;
    nr_imp2_synth_state_carve(&st, &hp, mem);
    st.mip = &tb.mip;
    int T = 2 * TL / NR_IMP_HOP + 2;
    float *y = calloc((size_t)T * NR_IMP_HOP, sizeof(float));
    const float ratio[] = {2.0f, 0.5f};
    for (int i = 0; i < 2; i++) {
        nr_imp2_synth_reset(&st, 5, 1);
        memset(y, 0, sizeof(float) * T * NR_IMP_HOP);
        for (int t = 0; t < T; t++) {
            nr_imp2_synth_tune(&st, ratio[i]);
            nr_imp2_synth_begin_frame(&st, &hp, &tb, q);
            nr_imp2_synth_render(&st, &hp, &w, q, q, q, 0, NR_IMP_HOP, y + (size_t)t * NR_IMP_HOP);
        }
        long last = -1, len = (long)(TL / ratio[i]);
        for (long n = 0; n < (long)T * NR_IMP_HOP; n++)
            if (y[n] != 0.0f) last = n;
        NT_CHECKF(last >= len - 4 && last < len, "x%g: the transient ends at %ld, expected %ld", ratio[i], last, len);
        double maxd = 0.0;
        for (long n = 0; n < len; n += (ratio[i] < 1.0f ? 2 : 1)) {
            float want = ratio[i] < 1.0f ? mix[n / 2] : mix1[n];
            maxd = fmax(maxd, fabs((double)y[n] - want));
        }
        NT_CHECKF(maxd < 1e-5, "x%g: the tuned transient differs from the table by %g", ratio[i], maxd);
    }
    nr_imp2_tables_free(&tb);
    free(q), free(y), free(trans), free(mem), free(mix), free(mix1);
}

/* A transient table that does not decay (a learned one need not) ends without a step: the last
 * TRANS_FADE samples fade to zero, so no sample-to-sample jump in the tail exceeds 1 % of its level
 * (cut at sample 2048 it would jump by 100 %). */
static void test_transient_ends_without_a_step(void)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    nr_imp2_tables tb;
    NT_CHECK(nr_imp2_tables_init(&tb, &hp) == NR_OK);
    int Q = nr_imp2_n_q(&hp), P = nr_imp2_n_partials(&hp), TL = hp.trans_len, NT = hp.n_trans;
    float *trans = malloc(sizeof(float) * NT * TL), *q = calloc((size_t)Q, 4);
    for (int i = 0; i < NT * TL; i++) trans[i] = 0.5f;
    q[2 * P + hp.n_env] = 1.0f; /* table 0 alone */
    nr_imp_weights w = {0};
    w.trans = trans;
    float *mem = aligned_alloc(64, nr_imp2_synth_state_floats(&hp) * sizeof(float));
    nr_imp2_synth_state st;
    nr_imp2_synth_state_carve(&st, &hp, mem);
    nr_imp2_synth_reset(&st, 5, 1);
    int T = TL / NR_IMP_HOP + 2;
    float *y = calloc((size_t)T * NR_IMP_HOP, sizeof(float));
    for (int t = 0; t < T; t++) {
        nr_imp2_synth_begin_frame(&st, &hp, &tb, q);
        nr_imp2_synth_render(&st, &hp, &w, q, q, q, 0, NR_IMP_HOP, y + (size_t)t * NR_IMP_HOP);
    }
    double step = 0.0;
    for (int n = TL - NR_IMP2_TRANS_FADE - 8; n < T * NR_IMP_HOP - 1; n++) step = fmax(step, fabs(y[n + 1] - y[n]));
    NT_CHECKF(fabs(y[0] - 0.5) < 1e-6 && y[TL - 1] == 0.0f, "level %g at the start, %g at the last sample", y[0], y[TL - 1]);
    NT_CHECKF(step < 0.01 * 0.5, "largest step in the transient's tail %g (level 0.5)", step);
    nr_imp2_tables_free(&tb);
    free(trans), free(q), free(mem), free(y);
}

int main(void)
{
    NT_RUN(test_budgets);
    NT_RUN(test_pitch_conditioning);
    NT_RUN_PATHS(test_partials_in_tune);
    NT_RUN(test_noise_full_band);
    NT_RUN(test_tuned_voice_in_tune);
    NT_RUN_PATHS(test_transient_ends_without_a_step);
    NT_RUN(test_tuned_noise_moves);
    NT_RUN_PATHS(test_tuned_transient);
    NT_RUN_PATHS(test_render_matches_reference);
    NT_RUN_PATHS(test_voice_matches_training_forward);
    NT_RUN(test_no_burst_on_octave_error);
    NT_RUN(test_frequency_descent);
    NT_RUN(test_load_checks);
    NT_RUN(test_save_load_and_bad_input);
    NT_RUN(test_onset_pitch_settled);
    NT_RUN(test_extra_tensor_refused);
    NT_RUN(test_training);
    NT_RUN_PATHS(test_shipped_model);
    NT_RUN(test_inharm_floor_setting);
    return nt_end();
}
