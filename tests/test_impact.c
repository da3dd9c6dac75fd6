/* nr-impact-1: synthesis accuracy, optimised vs reference rendering, the streaming voice against the
 * training forward pass, budgets of size, and loading checks. */
#include "models/impact.h"
#include "models/impact_simd.h"
#include "neurorack.h"
#include "nr_test.h"
#include "extra_tensor.h"
#include "train/train_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t g_rng = 777;
static float rnd(void) { return nr_imp_noise(&g_rng) / 1.7320508f; }

/* A model with fresh (untrained) weights, perturbed so every gain is audible. */
static nr_model *make_model(nr_imp_hparams *hp_out, float **block_out)
{
    nr_imp_hparams hp = nr_imp_hparams_default();
    int64_t nv = nr_imp_n_values(&hp, 0);
    float *blk = calloc((size_t)nv, sizeof(float));
    nr_imp_weights_rw w;
    nr_imp_weights_carve(&hp, blk, &w);
    float mean[7] = {-3, 0.1f, 7, -3, 7, 7, 6}, std[7] = {1, 0.1f, 1, 1, 1, 1, 1};
    nr_imp_init_weights(&hp, &w, 11, mean, std);
    for (int i = 0; i < nr_imp_n_out(&hp); i++) w.head_b[i] += 1.0f + 0.5f * rnd();
    nr_model *m = NULL;
    nr_result r = nr_imp_model_from_block(&hp, blk, &m);
    NT_CHECKF(r == NR_OK, "model from block: %s", nr_last_error());
    if (hp_out) *hp_out = hp;
    if (block_out) *block_out = blk;
    else free(blk);
    return m;
}

static void curve(float *desc, int T)
{
    for (int t = 0; t < T; t++) {
        float d[7] = {0.2f * expf(-t / 10.0f), 0.05f + 0.01f * t, 3000 - 20 * t, 0.02f, 1800, 1500, 110.0f + 3 * t};
        memcpy(desc + (size_t)t * 7, d, sizeof d);
    }
}

static void test_budgets(void)
{
    nr_model *m = make_model(NULL, NULL);
    if (!m) return;
    nr_model_info info;
    nr_model_get_info(m, &info);
    NT_CHECK(!strcmp(info.arch, "nr-impact-1"));
    NT_CHECK(info.sample_rate == 48000 && info.hop == 480 && info.lookahead_frames == 0);
    /* the inharmonic floor is nr-impact-2's (its ratios are per frame); nr-impact-1's are fixed */
    NT_CHECKF(nr_model_set_inharm_floor(m, 0.0f) == NR_ERR_ARG && strstr(nr_last_error(), "nr-impact-1"), "%s",
              nr_last_error());
    NT_CHECKF(info.n_params <= 500000, "%lld values", (long long)info.n_params);
    NT_CHECKF(info.weights_bytes <= 2u << 20, "%zu bytes", info.weights_bytes);
    NT_CHECKF(info.voice_bytes < 64u << 10, "voice state %zu bytes", info.voice_bytes);
    printf("  %lld values, %zu weight bytes, %zu voice bytes, %.0f MACs/sample\n", (long long)info.n_params,
           info.weights_bytes, info.voice_bytes, info.macs_per_sample);
    nr_model_free(m);
}

static void test_single_partial_is_a_sine(void)
{
    nr_imp_hparams hp = nr_imp_hparams_default();
    int Q = nr_imp_n_q(&hp), T = 100;
    float *q = calloc((size_t)T * Q, sizeof(float)), *y = malloc(sizeof(float) * T * NR_IMP_HOP);
    float *trans = calloc((size_t)hp.n_trans * hp.trans_len, sizeof(float)), ratios[64] = {0};
    for (int i = 0; i < hp.n_inharm; i++) ratios[i] = 2.0f;
    nr_imp_weights w = {0};
    w.ratios = ratios;
    w.trans = trans;
    for (int t = 0; t < T; t++) {
        q[(size_t)t * Q + 0] = 0.5f;
        q[(size_t)t * Q + Q - 1] = 440.0f;
    }
    nr_imp_bands bands;
    NT_CHECK(nr_imp_bands_init(&bands, &hp) == NR_OK);
    float *mem = aligned_alloc(64, nr_imp_synth_state_floats(&hp) * sizeof(float));
    nr_imp_synth_state st;
    nr_imp_synth_state_carve(&st, &hp, mem);
    nr_imp_synth_forward(&hp, &w, &bands, &st, 1, 1, q, T, y);
    double maxe = 0;
    for (long n = 0; n < (long)T * NR_IMP_HOP; n++) {
        double ref = 0.5 * sin(2 * M_PI * 440.0 * (n + 1) / 48000.0);
        maxe = fmax(maxe, fabs(y[n] - ref));
    }
    NT_CHECKF(maxe < 2e-4, "1 s of a 440 Hz partial: max error %g", maxe);
    nr_imp_bands_free(&bands);
    free(q), free(y), free(trans), free(mem);
}

static void test_noise_band_level(void)
{
    /* one band at unit gain: unit-variance output, energy concentrated near its centre */
    nr_imp_hparams hp = nr_imp_hparams_default();
    int Q = nr_imp_n_q(&hp), P = nr_imp_n_partials(&hp), T = 200;
    float *q = calloc((size_t)T * Q, sizeof(float)), *y = malloc(sizeof(float) * T * NR_IMP_HOP);
    float *trans = calloc((size_t)hp.n_trans * hp.trans_len, sizeof(float)), ratios[64] = {0};
    nr_imp_weights w = {0};
    w.ratios = ratios;
    w.trans = trans;
    for (int t = 0; t < T; t++) {
        q[(size_t)t * Q + P + 8] = 1.0f;
        q[(size_t)t * Q + Q - 1] = 100.0f;
    }
    nr_imp_bands bands;
    NT_CHECK(nr_imp_bands_init(&bands, &hp) == NR_OK);
    float *mem = aligned_alloc(64, nr_imp_synth_state_floats(&hp) * sizeof(float));
    nr_imp_synth_state st;
    nr_imp_synth_state_carve(&st, &hp, mem);
    nr_imp_synth_forward(&hp, &w, &bands, &st, 5, 0, q, T, y);
    double e = 0;
    for (long n = 4800; n < (long)T * NR_IMP_HOP; n++) e += (double)y[n] * y[n];
    double rms = sqrt(e / ((long)T * NR_IMP_HOP - 4800));
    NT_CHECKF(fabs(rms - 1.0) < 0.1, "band rms %g, expected 1", rms);
    nr_imp_bands_free(&bands);
    free(q), free(y), free(trans), free(mem);
}

/* The matrix-vector product (the generic 8-lane vectors on x86, NEON on aarch64) against plain loops
 * that add in its order: lane l of two 8-lane sums over blocks of 16 inputs, then the pairwise
 * horizontal sum, then the bias. Equal to the bit, so x86 and aarch64 agree. */
static void test_matvec_matches_plain_loops(void)
{
    enum { ROWS = 7, N = 48 };
    float W[ROWS * N], x[N], b[ROWS], y[ROWS];
    for (int i = 0; i < ROWS * N; i++) W[i] = rnd();
    for (int i = 0; i < N; i++) x[i] = rnd();
    for (int i = 0; i < ROWS; i++) b[i] = rnd();
    nr_imp_matvec(y, W, x, b, ROWS, N);
    int same = 1;
    for (int r = 0; r < ROWS; r++) {
        float v[8];
        for (int l = 0; l < 8; l++) {
            float a0 = 0.0f, a1 = 0.0f;
            for (int i = 0; i < N; i += 16) {
                a0 += W[r * N + i + l] * x[i + l];
                a1 += W[r * N + i + 8 + l] * x[i + 8 + l];
            }
            v[l] = a0 + a1;
        }
        float want = b[r] + (((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])));
        same &= y[r] == want;
    }
    NT_CHECK(same);
    float d = nr_imp_dot(W, x, 40); /* 16 + 16 + 8: both accumulators, then the 8-lane step */
    float v[8], a0[8], a1[8];
    for (int l = 0; l < 8; l++) {
        a0[l] = (0.0f + W[l] * x[l]) + W[16 + l] * x[16 + l];
        a0[l] += W[32 + l] * x[32 + l];
        a1[l] = 0.0f + W[8 + l] * x[8 + l];
        a1[l] += W[24 + l] * x[24 + l];
    }
    for (int l = 0; l < 8; l++) v[l] = a0[l] + a1[l];
    NT_CHECK(d == (((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]))));
}

/* The activations' 8-lane e^x, ln x and tanh against double precision, and the head's exp_sigmoid
 * (2 sigmoid^ln10 + 1e-7) with its derivative: close to the exact functions, and the batch equal to the
 * scalar call to the bit (training and the voice mix the two). */
static void test_activations(void)
{
    double e_exp = 0, e_log = 0, e_tanh = 0, e_es = 0, e_grad = 0;
    for (int i = 0; i <= 174900; i++) { /* -87 .. 87.9: e^x is clamped to e^88 above */
        const float x = -87.0f + 0.001f * (float)i;
        const double want = exp((double)x), got = nr_v8_exp(nr_v8_set1(x))[0];
        e_exp = fmax(e_exp, fabs(got - want) / want);
    }
    for (int i = 0; i <= 240000; i++) {
        const float x = (float)exp2(-120.0 + 0.001 * i);
        const double want = log((double)x), got = nr_v8_log(nr_v8_set1(x))[0];
        e_log = fmax(e_log, fabs(got - want) / fmax(fabs(want), 1.0));
    }
    for (int i = 0; i <= 200000; i++) {
        const float x = -10.0f + 0.0001f * (float)i;
        e_tanh = fmax(e_tanh, fabs((double)nr_imp_tanh(x) - tanh((double)x)));
    }
    enum { N = 6001 };
    float *x = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) x[i] = -30.0f + 0.01f * (float)i;
    nr_imp_exp_sigmoid_n(y, x, N);
    int same = 1;
    for (int i = 0; i < N; i++) {
        same &= y[i] == nr_imp_exp_sigmoid(x[i]);
        const double s = 1.0 / (1.0 + exp(-(double)x[i])), want = 2.0 * pow(s, log(10.0)) + 1e-7;
        e_es = fmax(e_es, fabs(y[i] - want) / want);
        const double dwant = 2.0 * log(10.0) * pow(s, log(10.0)) * (1.0 - s);
        e_grad = fmax(e_grad, fabs(nr_imp_exp_sigmoid_grad(x[i]) - dwant) / (dwant + 1e-7));
    }
    printf("  relative error: exp %.2g, log %.2g, exp_sigmoid %.2g, its derivative %.2g; tanh abs %.2g\n", e_exp,
           e_log, e_es, e_grad, e_tanh);
    NT_CHECKF(e_exp < 2.5e-7 && e_log < 2.5e-7 && e_tanh < 3e-7, "exp %g, log %g, tanh %g", e_exp, e_log, e_tanh);
    NT_CHECKF(e_es < 2e-6 && e_grad < 2e-6, "exp_sigmoid %g, derivative %g", e_es, e_grad);
    NT_CHECK(same);
    float t[19], u[19];
    for (int i = 0; i < 19; i++) t[i] = -9.5f + (float)i * (19.0f / 18.0f); /* -9.5 .. 9.5 */
    nr_imp_tanh_n(u, t, 19);
    same = 1;
    for (int i = 0; i < 19; i++) same &= u[i] == nr_imp_tanh(t[i]);
    NT_CHECK(same && u[0] == -1.0f && u[18] == 1.0f);
    /* out of range and non-finite inputs give finite values: e^x stops at e^88, tanh at +-1 */
    const float big = nr_v8_exp(nr_v8_set1(1e30f))[0], tiny = nr_v8_exp(nr_v8_set1(-1e30f))[0];
    NT_CHECKF(isfinite(big) && big > 1e38f && tiny >= 0.0f && tiny < 1e-37f, "e^1e30 %g, e^-1e30 %g", big, tiny);
    NT_CHECK(nr_imp_tanh(INFINITY) == 1.0f && nr_imp_tanh(-INFINITY) == -1.0f && isfinite(nr_imp_tanh(NAN)));
    NT_CHECK(isfinite(nr_imp_exp_sigmoid(NAN)) && isfinite(nr_imp_exp_sigmoid(INFINITY)) &&
             isfinite(nr_imp_exp_sigmoid(-INFINITY)) && isfinite(nr_imp_exp_sigmoid_grad(NAN)));
    free(x), free(y);
}

static void test_render_matches_reference(void)
{
    nr_imp_hparams hp = nr_imp_hparams_default();
    int Q = nr_imp_n_q(&hp), P = nr_imp_n_partials(&hp), NBP = nr_imp_n_bands_pad(&hp);
    float *trans = malloc(sizeof(float) * hp.n_trans * hp.trans_len), ratios[64];
    for (int i = 0; i < hp.n_trans * hp.trans_len; i++) trans[i] = 0.1f * rnd();
    for (int i = 0; i < hp.n_inharm; i++) ratios[i] = 1.5f + i * 0.7f;
    nr_imp_weights w = {0};
    w.ratios = ratios;
    w.trans = trans;
    nr_imp_bands bands;
    NT_CHECK(nr_imp_bands_init(&bands, &hp) == NR_OK);
    size_t sf = nr_imp_synth_state_floats(&hp);
    float *m1 = aligned_alloc(64, sf * 4), *m2 = aligned_alloc(64, sf * 4);
    nr_imp_synth_state a, b;
    nr_imp_synth_state_carve(&a, &hp, m1);
    nr_imp_synth_state_carve(&b, &hp, m2);
    nr_imp_synth_reset(&a, 3, 0);
    nr_imp_synth_reset(&b, 3, 0);
    float *q = calloc((size_t)8 * Q, 4), y1[NR_IMP_HOP], y2[NR_IMP_HOP];
    double maxd = 0;
    for (int t = 0; t < 8; t++) {
        float *qt = q + (size_t)t * Q;
        for (int p = 0; p < hp.n_harm + hp.n_inharm; p++) qt[p] = 0.05f * (1 + rnd());
        for (int k = 0; k < hp.n_bands; k++) qt[P + k] = 0.05f * (1 + rnd());
        for (int j = 0; j < hp.n_trans; j++) qt[P + NBP + j] = 0.5f;
        qt[Q - 1] = 80.0f + 40.0f * t;
        const float *qp = t ? qt - Q : qt;
        nr_imp_synth_begin_frame(&a, &hp, &w, qt);
        nr_imp_synth_begin_frame(&b, &hp, &w, qt);
        memset(y1, 0, sizeof y1), memset(y2, 0, sizeof y2);
        nr_imp_synth_render(&a, &hp, &w, &bands, qp, qt, q, 0, 200, y1);
        nr_imp_synth_render(&a, &hp, &w, &bands, qp, qt, q, 200, NR_IMP_HOP, y1 + 200);
        nr_imp_synth_render_ref(&b, &hp, &w, &bands, qp, qt, q, 0, NR_IMP_HOP, y2);
        for (int i = 0; i < NR_IMP_HOP; i++) maxd = fmax(maxd, fabs(y1[i] - y2[i]));
    }
    NT_CHECKF(maxd < 1e-5, "optimised vs reference render: max diff %g", maxd);
    nr_imp_bands_free(&bands);
    free(trans), free(m1), free(m2), free(q);
}

static float *render_voice_tuned(nr_model *m, const float *desc, int T, int block, uint64_t seed, int no_noise,
                                 float voct)
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
        /* push frames just in time: never more than one frame ahead */
        while (pushed < T && nr_voice_available(v) < block) nr_voice_push_frame_tuned(v, desc + (size_t)7 * pushed++, voct);
        if (pushed == T) nr_voice_end(v);
        int k = nr_voice_process(v, y + got, block);
        got += k;
        if (k == 0 && !nr_voice_finished(v)) break;
    }
    NT_CHECKF(got == N, "voice produced %ld of %ld samples", got, N);
    nr_voice_free(v);
    return y;
}

static float *render_voice(nr_model *m, const float *desc, int T, int block, uint64_t seed, int no_noise)
{
    return render_voice_tuned(m, desc, T, block, seed, no_noise, 0.0f);
}

/* nr-impact-1 cannot tune its noise bands: a tuned frame is the frame with its pitch column x 2^voct
 * (bit for bit), clamped at yin's 5 kHz like a curve; the voice says it does not tune the whole sound. */
static void test_tuned_push_moves_the_pitch_column(void)
{
    nr_model *m = make_model(NULL, NULL);
    if (!m) return;
    int T = 30;
    float *desc = malloc(sizeof(float) * 7 * T), *moved = malloc(sizeof(float) * 7 * T);
    curve(desc, T);
    const float oct[] = {1.0f, -7.0f / 12, 6.0f};
    for (int i = 0; i < 3; i++) {
        memcpy(moved, desc, sizeof(float) * 7 * T);
        for (int t = 0; t < T; t++) {
            float f = desc[t * 7 + NR_DESC_PITCH] * (float)exp2(oct[i]);
            moved[t * 7 + NR_DESC_PITCH] = f < 5000.0f ? f : 5000.0f;
        }
        float *a = render_voice_tuned(m, desc, T, 128, 3, 0, oct[i]), *b = render_voice(m, moved, T, 128, 3, 0);
        NT_CHECKF(a && b && !memcmp(a, b, sizeof(float) * T * NR_IMP_HOP), "%+g octave: tuned push != moved curve", oct[i]);
        free(a), free(b);
    }
    nr_voice_config vc = nr_voice_config_init();
    nr_voice *v = NULL;
    NT_CHECK(nr_voice_create(m, &vc, &v) == NR_OK && !nr_voice_tunes_sound(v));
    nr_voice_free(v);
    free(desc), free(moved);
    nr_model_free(m);
}

static void test_voice_matches_training_forward(void)
{
    nr_imp_hparams hp;
    float *blk = NULL;
    nr_model *m = make_model(&hp, &blk);
    if (!m) return;
    int T = 40;
    float desc[40 * 7];
    curve(desc, T);
    nr_imp_bands bands;
    NT_CHECK(nr_imp_bands_init(&bands, &hp) == NR_OK);
    static const int sizes[] = {64};
    nr_stft_loss L;
    NT_CHECK(nr_stft_loss_init(&L, sizes, 1) == NR_OK);
    nr_imp_work wk;
    NT_CHECK(nr_imp_work_init(&wk, &hp, &bands, &L, NULL, T) == NR_OK);
    nr_imp_weights_rw w;
    nr_imp_weights_carve(&hp, blk, &w);
    nr_imp_forward(&wk, (const nr_imp_weights *)&w, desc, T, 42);
    double peak = 0;
    for (long n = 0; n < (long)T * NR_IMP_HOP; n++) peak = fmax(peak, fabs(wk.y[n]));
    NT_CHECKF(peak > 0.01, "the test sound is silent (peak %g)", peak);
    static const int blocks[] = {1, 64, 333, 4096};
    for (int b = 0; b < 4; b++) {
        float *y = render_voice(m, desc, T, blocks[b], 42, 0);
        if (!y) {
            NT_CHECKF(0, "voice: %s", nr_last_error());
            continue;
        }
        double maxd = 0;
        for (long n = 0; n < (long)T * NR_IMP_HOP; n++) maxd = fmax(maxd, fabs(y[n] - wk.y[n]));
        NT_CHECKF(maxd <= 1e-6 * peak, "block %d: voice vs training forward max diff %g (peak %g)", blocks[b], maxd, peak);
        free(y);
    }
    nr_imp_work_free(&wk);
    nr_stft_loss_free(&L);
    nr_imp_bands_free(&bands);
    nr_model_free(m);
    free(blk);
}

static void test_voice_api(void)
{
    nr_model *m = make_model(NULL, NULL);
    if (!m) return;
    int T = 12;
    float desc[12 * 7];
    curve(desc, T);
    nr_voice_config vc = nr_voice_config_init();
    vc.max_block = 256;
    nr_voice *v = NULL;
    NT_CHECK(nr_voice_create(m, &vc, &v) == NR_OK);
    if (!v) return;
    float buf[256];
    NT_CHECK(nr_voice_available(v) == 0 && nr_voice_process(v, buf, 64) == 0 && !nr_voice_finished(v));
    NT_CHECK(nr_voice_push_frame(v, desc) == 1);
    NT_CHECK(nr_voice_available(v) == NR_IMP_HOP); /* no lookahead: a frame is audible once pushed */
    NT_CHECK(nr_voice_process(v, buf, 64) == 64);
    int full = 0;
    for (int i = 0; i < 1000 && !full; i++) full = !nr_voice_push_frame(v, desc);
    NT_CHECK(full); /* the queue is bounded */
    /* reset replays the same sound; another seed changes the noise; no_noise is deterministic */
    float *a = render_voice(m, desc, T, 100, 5, 0), *b = render_voice(m, desc, T, 100, 5, 0);
    float *c = render_voice(m, desc, T, 100, 6, 0);
    float *d = render_voice(m, desc, T, 100, 5, 1), *e = render_voice(m, desc, T, 100, 6, 1);
    if (a && b && c && d && e) {
        NT_CHECK(!memcmp(a, b, sizeof(float) * T * NR_IMP_HOP));
        NT_CHECK(memcmp(a, c, sizeof(float) * T * NR_IMP_HOP) != 0);
        NT_CHECK(!memcmp(d, e, sizeof(float) * T * NR_IMP_HOP));
    }
    nr_voice_reset(v, 0);
    NT_CHECK(nr_voice_available(v) == 0 && !nr_voice_finished(v));
    nr_voice_end(v);
    NT_CHECK(nr_voice_finished(v));
    free(a), free(b), free(c), free(d), free(e);
    nr_voice_free(v);
    nr_model_free(m);
}

static void test_bad_descriptors_are_clamped(void)
{
    nr_model *m = make_model(NULL, NULL);
    if (!m) return;
    int T = 10;
    float desc[10 * 7];
    for (int i = 0; i < T * 7; i++) desc[i] = (i % 3 == 0) ? NAN : (i % 3 == 1) ? INFINITY : -1e30f;
    float *y = render_voice(m, desc, T, 128, 1, 0);
    if (y) {
        int finite = 1;
        double peak = 0;
        for (long n = 0; n < (long)T * NR_IMP_HOP; n++) {
            finite &= isfinite(y[n]);
            peak = fmax(peak, fabs(y[n]));
        }
        NT_CHECK(finite);
        NT_CHECKF(peak < 100.0, "peak %g", peak);
    }
    free(y);
    nr_model_free(m);
}

static nr_result from_block_edit(const char *drop, const char *bad_meta, int nan)
{
    nr_imp_hparams hp = nr_imp_hparams_default();
    nr_tensor_set ts = {0};
    nr_imp_tensor_desc tab[NR_IMP_MAX_TENSORS];
    int n = nr_imp_tensor_table(&hp, tab);
    for (int i = 0; i < n; i++) {
        if (drop && !strcmp(tab[i].name, drop)) continue;
        nr_tensor_set_add(&ts, tab[i].name, tab[i].ndim, tab[i].shape, NULL);
        if (!strcmp(tab[i].name, "desc_std") || !strcmp(tab[i].name, "inharm_ratio")) {
            nr_tensor *t = &ts.tensors[ts.n_tensors - 1];
            for (int64_t k = 0; k < t->numel; k++) t->data[k] = 1.0f;
        }
        if (nan && !strcmp(tab[i].name, "head.bias")) ts.tensors[ts.n_tensors - 1].data[3] = NAN;
    }
    nr_tensor_set_set_meta(&ts, "nr.arch", "nr-impact-1");
    nr_imp_hparams_to_meta(&hp, &ts);
    if (bad_meta) nr_tensor_set_set_meta(&ts, bad_meta, "abc");
    nr_model *m = NULL;
    nr_result r = nr_model_from_tensors(&ts, "test", &m);
    nr_model_free(m);
    return r;
}

static void test_load_checks(void)
{
    NT_CHECKF(from_block_edit(NULL, NULL, 0) == NR_OK, "%s", nr_last_error());
    NT_CHECK(from_block_edit("conv1.weight", NULL, 0) == NR_ERR_FORMAT);
    NT_CHECK(strstr(nr_last_error(), "conv1.weight") != NULL);
    NT_CHECK(from_block_edit(NULL, "impact.hidden", 0) == NR_ERR_FORMAT);
    NT_CHECK(from_block_edit(NULL, NULL, 1) == NR_ERR_VALUE);
    /* a shape that disagrees with the hyper-parameters */
    nr_imp_hparams hp = nr_imp_hparams_default();
    nr_tensor_set ts = {0};
    nr_imp_tensor_desc tab[NR_IMP_MAX_TENSORS];
    int n = nr_imp_tensor_table(&hp, tab);
    for (int i = 0; i < n; i++) {
        int64_t sh[3] = {tab[i].shape[0], tab[i].shape[1], tab[i].shape[2]};
        if (!strcmp(tab[i].name, "head.weight")) sh[1] += 8;
        nr_tensor_set_add(&ts, tab[i].name, tab[i].ndim, sh, NULL);
    }
    nr_tensor_set_set_meta(&ts, "nr.arch", "nr-impact-1");
    nr_imp_hparams_to_meta(&hp, &ts);
    nr_model *m = NULL;
    NT_CHECK(nr_model_from_tensors(&ts, "test", &m) == NR_ERR_SHAPE && !m);
}

static void test_extra_tensor_refused(void)
{
    nr_model *m = make_model(NULL, NULL);
    if (!m) return;
    check_extra_tensor_refused(m, "impact-extra.safetensors");
    nr_model_free(m);
}

static void test_save_load_roundtrip(void)
{
    nr_model *m = make_model(NULL, NULL);
    if (!m) return;
    const char *path = nt_tmp("impact.safetensors");
    nr_result r = nr_model_save(m, path);
    NT_CHECKF(r == NR_OK, "save: %s", nr_last_error());
    nr_model *m2 = NULL;
    r = nr_model_load(path, &m2);
    NT_CHECKF(r == NR_OK, "load: %s", nr_last_error());
    if (m2) {
        int T = 20;
        float desc[20 * 7];
        curve(desc, T);
        float *a = render_voice(m, desc, T, 512, 3, 0), *b = render_voice(m2, desc, T, 512, 3, 0);
        NT_CHECK(a && b && !memcmp(a, b, sizeof(float) * T * NR_IMP_HOP));
        free(a), free(b);
        const nr_tensor_set *ts = nr_model_tensors(m2);
        NT_CHECK(nr_tensor_set_meta(ts, "impact.hidden") && nr_tensor_set_meta(ts, "nr.desc_mean"));
    }
    nr_model_free(m2);
    nr_model_free(m);
}

/* The model shipped in models/ (if this build reads safetensors): within budget, and it sounds. */
int main(void)
{
    NT_RUN(test_budgets);
    NT_RUN(test_matvec_matches_plain_loops);
    NT_RUN(test_activations);
    NT_RUN_PATHS(test_single_partial_is_a_sine);
    NT_RUN_PATHS(test_noise_band_level);
    NT_RUN_PATHS(test_render_matches_reference);
    NT_RUN_PATHS(test_voice_matches_training_forward);
    NT_RUN(test_voice_api);
    NT_RUN(test_tuned_push_moves_the_pitch_column);
    NT_RUN(test_bad_descriptors_are_clamped);
    NT_RUN(test_load_checks);
    NT_RUN(test_save_load_roundtrip);
    NT_RUN(test_extra_tensor_refused);
    return nt_end();
}
