/* nr-impact-2: hyper-parameters, tensor table, pitch conditioning, envelope tables and the head ->
 * synthesis parameters mapping (forward and backward). The conv stack is nr-impact-1's (impact_net.c). */
#include "impact2.h"

#include "nr/tensors.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nr_imp2_hparams nr_imp2_hparams_default(void)
{
    nr_imp2_hparams hp;
    memset(&hp, 0, sizeof hp);
    hp.hidden = 128;
    hp.layers = 5;
    hp.taps = 3;
    hp.n_harm = 128;
    hp.n_env = 64;
    hp.n_inharm = 16;
    hp.n_trans = 4;
    hp.trans_len = 2048;
    hp.env_lo = 30.0f;
    hp.env_hi = 22000.0f;
    hp.ratio_lo = -1.0f;
    hp.ratio_hi = 4.0f;
    hp.harm_env = NR_IMP2_HARM_INDEX;
    hp.onset_pitch = NR_IMP2_ONSET_SETTLED;
    hp.inharm_floor = NR_IMP2_FLOOR_NONE;
    return hp;
}

nr_result nr_imp2_hparams_check(const nr_imp2_hparams *hp, const char *what)
{
#define RANGE(field, lo, hi)                                                                                   \
    if (!(hp->field >= (lo) && hp->field <= (hi)))                                                             \
    return nr_fail(NR_ERR_FORMAT, "%s: nr-impact-2 hyper-parameter " #field " = %g out of range %g..%g", what, \
                   (double)hp->field, (double)(lo), (double)(hi))
    RANGE(hidden, 8, 512);
    RANGE(layers, 1, NR_IMP_MAX_LAYERS);
    RANGE(taps, 1, 8);
    RANGE(n_harm, 1, NR_IMP2_MAX_PARTIALS - 64);
    RANGE(n_env, 2, 256);
    RANGE(n_inharm, 0, 64);
    RANGE(n_trans, 1, 16);
    RANGE(trans_len, 1, 48000);
    RANGE(env_lo, 10.0f, 20000.0f);
    RANGE(env_hi, 10.0f, 24000.0f);
    RANGE(ratio_lo, -8.0f, 8.0f);
    RANGE(ratio_hi, -8.0f, 8.0f);
    RANGE(harm_env, NR_IMP2_HARM_FREQ, NR_IMP2_HARM_INDEX);
    RANGE(onset_pitch, NR_IMP2_ONSET_RAW, NR_IMP2_ONSET_SETTLED);
    if (hp->inharm_floor != NR_IMP2_FLOOR_NONE) RANGE(inharm_floor, -8.0f, 8.0f);
#undef RANGE
    if (hp->hidden % NR_IMP_LANES)
        return nr_fail(NR_ERR_FORMAT, "%s: hidden size %d must be a multiple of %d", what, hp->hidden, NR_IMP_LANES);
    if (hp->env_hi <= hp->env_lo)
        return nr_fail(NR_ERR_FORMAT, "%s: env_hi %g must exceed env_lo %g", what, hp->env_hi, hp->env_lo);
    if (hp->ratio_hi <= hp->ratio_lo)
        return nr_fail(NR_ERR_FORMAT, "%s: ratio_hi %g must exceed ratio_lo %g", what, hp->ratio_hi, hp->ratio_lo);
    return NR_OK;
}

static int pad_lanes(int n) { return (n + NR_IMP_LANES - 1) / NR_IMP_LANES * NR_IMP_LANES; }
int nr_imp2_n_out(const nr_imp2_hparams *hp) { return 1 + 2 * hp->n_env + 2 * hp->n_inharm + hp->n_trans; }
int nr_imp2_n_partials(const nr_imp2_hparams *hp) { return pad_lanes(hp->n_harm + hp->n_inharm); }
int nr_imp2_n_q(const nr_imp2_hparams *hp) { return 2 * nr_imp2_n_partials(hp) + hp->n_env + hp->n_trans + 1; }
nr_imp_net_dims nr_imp2_net_dims(const nr_imp2_hparams *hp)
{
    return (nr_imp_net_dims){hp->hidden, hp->layers, hp->taps, nr_imp2_n_out(hp)};
}

int nr_imp2_tensor_table(const nr_imp2_hparams *hp, nr_imp_tensor_desc *out)
{
    int n = 0, H = hp->hidden, K = hp->taps, O = nr_imp2_n_out(hp);
    char nm[32];
#define ADD(nm_, tr, nd, s0, s1, s2)                                                                          \
    do {                                                                                                       \
        nr_imp_tensor_desc *t = &out[n++];                                                                     \
        snprintf(t->name, sizeof t->name, "%s", nm_);                                                          \
        t->ndim = nd;                                                                                          \
        t->shape[0] = s0;                                                                                      \
        t->shape[1] = s1;                                                                                      \
        t->shape[2] = s2;                                                                                      \
        t->numel = (int64_t)(s0) * (nd > 1 ? (s1) : 1) * (nd > 2 ? (s2) : 1);                                 \
        t->trainable = tr;                                                                                     \
    } while (0)
    for (int l = 0; l < hp->layers; l++) { /* trainable first: the trainer's block is this table's prefix */
        snprintf(nm, sizeof nm, "conv%d.weight", l);
        ADD(nm, 1, 3, H, K, l == 0 ? NR_IMP_N_IN : H);
        snprintf(nm, sizeof nm, "conv%d.bias", l);
        ADD(nm, 1, 1, H, 0, 0);
    }
    ADD("head.weight", 1, 2, O, H, 0);
    ADD("head.bias", 1, 1, O, 0, 0);
    ADD("transient", 1, 2, hp->n_trans, hp->trans_len, 0);
    ADD("desc_mean", 0, 1, NR_NUM_DESC, 0, 0);
    ADD("desc_std", 0, 1, NR_NUM_DESC, 0, 0);
#undef ADD
    return n;
}

int64_t nr_imp2_n_values(const nr_imp2_hparams *hp, int trainable_only)
{
    nr_imp_tensor_desc t[NR_IMP_MAX_TENSORS];
    int n = nr_imp2_tensor_table(hp, t);
    return nr_imp_table_n_values(t, n, trainable_only);
}

void nr_imp2_weights_carve(const nr_imp2_hparams *hp, float *block, nr_imp_weights_rw *w)
{
    nr_imp_tensor_desc t[NR_IMP_MAX_TENSORS];
    int n = nr_imp2_tensor_table(hp, t);
    nr_imp_table_carve(t, n, block, w);
}

/* optional keys, missing: 0 (the first nr-impact-2 files have no harm_env: FREQ; none before 2026-12-04
 * has onset_pitch: RAW), and no inharm_floor: NR_IMP2_FLOOR_NONE */
static const nr_imp_meta_key g_meta[] = {
    {"impact2.hidden", offsetof(nr_imp2_hparams, hidden), 0, 0},
    {"impact2.layers", offsetof(nr_imp2_hparams, layers), 0, 0},
    {"impact2.taps", offsetof(nr_imp2_hparams, taps), 0, 0},
    {"impact2.n_harm", offsetof(nr_imp2_hparams, n_harm), 0, 0},
    {"impact2.n_env", offsetof(nr_imp2_hparams, n_env), 0, 0},
    {"impact2.n_inharm", offsetof(nr_imp2_hparams, n_inharm), 0, 0},
    {"impact2.n_trans", offsetof(nr_imp2_hparams, n_trans), 0, 0},
    {"impact2.trans_len", offsetof(nr_imp2_hparams, trans_len), 0, 0},
    {"impact2.env_lo", offsetof(nr_imp2_hparams, env_lo), 1, 0},
    {"impact2.env_hi", offsetof(nr_imp2_hparams, env_hi), 1, 0},
    {"impact2.ratio_lo", offsetof(nr_imp2_hparams, ratio_lo), 1, 0},
    {"impact2.ratio_hi", offsetof(nr_imp2_hparams, ratio_hi), 1, 0},
    {"impact2.harm_env", offsetof(nr_imp2_hparams, harm_env), 0, 1},
    {"impact2.onset_pitch", offsetof(nr_imp2_hparams, onset_pitch), 0, 1},
    {"impact2.inharm_floor", offsetof(nr_imp2_hparams, inharm_floor), 1, 1}, /* missing: NR_IMP2_FLOOR_NONE */
};
#define N_META (sizeof g_meta / sizeof g_meta[0])

nr_result nr_imp2_hparams_from_meta(const nr_tensor_set *ts, nr_imp2_hparams *hp, const char *what)
{
    memset(hp, 0, sizeof *hp);
    hp->inharm_floor = NR_IMP2_FLOOR_NONE;
    nr_result r = nr_imp_meta_read(ts, g_meta, N_META, hp, NR_IMP2_ARCH, what);
    return r == NR_OK ? nr_imp2_hparams_check(hp, what) : r;
}

nr_result nr_imp2_hparams_to_meta(const nr_imp2_hparams *hp, nr_tensor_set *ts)
{
    /* no floor: no key, as in every file before it */
    size_t skip = hp->inharm_floor == NR_IMP2_FLOOR_NONE ? offsetof(nr_imp2_hparams, inharm_floor) : NR_IMP_META_KEEP_ALL;
    return nr_imp_meta_write(hp, g_meta, N_META, skip, ts);
}

/* ---- pitch conditioning ---- */

void nr_imp2_f0_reset(nr_imp2_f0_state *st)
{
    st->raw = st->s = NAN;
    st->confirmed = 0;
}

float nr_imp2_f0_track(nr_imp2_f0_state *st, const nr_imp2_hparams *hp, const float desc[NR_NUM_DESC])
{
    float f = desc[NR_DESC_PITCH];
    if (!isfinite(f)) f = isfinite(st->s) ? exp2f(st->s) : NR_IMP_F0_MIN; /* a lost value holds the pitch */
    f = f < NR_IMP_F0_MIN ? NR_IMP_F0_MIN : f > NR_IMP_F0_MAX ? NR_IMP_F0_MAX : f;
    float x = log2f(f);
    if (hp->harm_env == NR_IMP2_HARM_INDEX) {
        float prev = st->raw;
        st->raw = x;
        int agrees = isfinite(prev) && fabsf(x - prev) <= NR_IMP2_JUMP; /* two frames on one pitch */
        if (!isfinite(st->s) || !st->confirmed) {
            st->s = x; /* yin's first frames (often far off at an onset) are followed until two agree */
            st->confirmed = agrees;
        } else if (fabsf(x - st->s) > NR_IMP2_JUMP) {
            if (agrees) st->s = x; /* a confirmed jump lands at once (phase-continuous): no slow sweep */
            /* else a one-frame jump away from the pitch being played (an octave error) is held */
        } else {
            float d = x - st->s;
            st->s += d < -NR_IMP2_SLEW ? -NR_IMP2_SLEW : d > NR_IMP2_SLEW ? NR_IMP2_SLEW : d;
        }
        return exp2f(st->s);
    }
    st->raw = x;
    if (!isfinite(st->s)) st->s = x;
    else {
        /* a yin octave error moves half way and back; a kick's sweep passes */
        float d = x - st->s;
        st->s += d < -NR_IMP2_SLEW ? -NR_IMP2_SLEW : d > NR_IMP2_SLEW ? NR_IMP2_SLEW : d;
    }
    return exp2f(st->s);
}

/* ---- tables ---- */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static fftwf_plan g_c2r, g_r2c;

static void make_plans(void)
{
    /* planned once per process (FFTW planning is not thread-safe), executed on each voice's 64-byte
     * aligned buffers with the new-array interface. The voice's inverse transform is out of place:
     * FFTW's in-place c2r allocates a buffer on every execution, which the audio thread must not. */
    float *buf = fftwf_alloc_real(NR_IMP2_NFFT + 2), *out = fftwf_alloc_real(NR_IMP2_NFFT);
    if (buf && out) {
        g_c2r = fftwf_plan_dft_c2r_1d(NR_IMP2_NFFT, (fftwf_complex *)buf, out, FFTW_ESTIMATE);
        g_r2c = fftwf_plan_dft_r2c_1d(NR_IMP2_NFFT, buf, (fftwf_complex *)buf, FFTW_ESTIMATE);
    }
    fftwf_free(buf);
    fftwf_free(out);
}

float nr_imp2_env_u(const nr_imp2_tables *tb, float f)
{
    return (log2f(f > 1.0f ? f : 1.0f) - tb->log2_lo) * tb->band_per_oct;
}

float nr_imp2_env_pos(const nr_imp2_tables *tb, float f, int *b)
{
    return nr_imp2_env_at(tb, nr_imp2_env_u(tb, f), b);
}

float nr_imp2_env_at(const nr_imp2_tables *tb, float u, int *b)
{
    if (!(u > 0.0f)) u = 0.0f; /* flat beyond the end centres */
    if (u >= (float)(tb->NE - 1)) {
        *b = tb->NE - 2;
        return 1.0f;
    }
    int i = (int)u;
    *b = i;
    return u - (float)i;
}

nr_result nr_imp2_tables_init(nr_imp2_tables *tb, const nr_imp2_hparams *hp)
{
    memset(tb, 0, sizeof *tb);
    pthread_once(&g_once, make_plans);
    if (!g_c2r || !g_r2c) return nr_fail(NR_ERR_NOMEM, "could not plan the nr-impact-2 noise FFTs");
    tb->c2r = g_c2r;
    tb->r2c = g_r2c;
    tb->NE = hp->n_env;
    tb->log2_lo = log2f(hp->env_lo);
    tb->band_per_oct = (float)(hp->n_env - 1) / (log2f(hp->env_hi) - log2f(hp->env_lo));
    tb->bin_band = malloc(NR_IMP2_NBINS * sizeof(int));
    tb->bin_w = malloc(NR_IMP2_NBINS * sizeof(float));
    tb->win = malloc(NR_IMP2_NOISE_LEN * sizeof(float));
    tb->harm_band = malloc((size_t)hp->n_harm * sizeof(int));
    tb->harm_w = malloc((size_t)hp->n_harm * sizeof(float));
    tb->bin_u = malloc(NR_IMP2_NBINS * sizeof(float));
    if (!tb->bin_band || !tb->bin_w || !tb->win || !tb->harm_band || !tb->harm_w || !tb->bin_u) {
        nr_imp2_tables_free(tb);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the nr-impact-2 tables");
    }
    for (int k = 0; k < NR_IMP2_NBINS; k++) {
        tb->bin_u[k] = nr_imp2_env_u(tb, (float)k * NR_IMP_RATE / NR_IMP2_NFFT);
        tb->bin_w[k] = nr_imp2_env_at(tb, tb->bin_u[k], &tb->bin_band[k]);
    }
    if (hp->harm_env == NR_IMP2_HARM_INDEX) {
        /* band centres at harmonic numbers NH^(b / (NE - 1)): the lowest harmonics have a band each */
        float per = hp->n_harm > 1 ? (float)(hp->n_env - 1) / log2f((float)hp->n_harm) : 0.0f;
        for (int k = 0; k < hp->n_harm; k++) {
            float u = log2f((float)(k + 1)) * per;
            int b = (int)u;
            if (b > hp->n_env - 2) b = hp->n_env - 2;
            tb->harm_band[k] = b;
            tb->harm_w[k] = u - (float)b;
        }
    }
    /* w^2(n) + w^2(n + hop) = 1: independent noise frames keep a constant power */
    for (int n = 0; n < NR_IMP2_NOISE_LEN; n++) tb->win[n] = (float)sin(M_PI * (n + 0.5) / NR_IMP2_NOISE_LEN);
    /* c2r of bins 1..NBINS-2 with unit E|Z|^2: variance 2 (NBINS - 2) per sample */
    tb->scale = (float)(1.0 / sqrt(2.0 * (NR_IMP2_NBINS - 2)));
    return NR_OK;
}

void nr_imp2_tables_free(nr_imp2_tables *tb)
{
    free(tb->bin_band);
    free(tb->bin_w);
    free(tb->win);
    free(tb->harm_band);
    free(tb->harm_w);
    free(tb->bin_u);
    free(tb->mip.data);
    memset(tb, 0, sizeof *tb);
}

/* The transient's mip levels: each level is the previous one through a zero-phase half-band low-pass
 * (Blackman-windowed sinc, cut-off MIP_CUT of the new Nyquist, 2 MIP_HALF + 1 taps), every other sample
 * kept. Building all levels costs about 4 MIP_HALF multiply-adds per sample of level 0. */
#define MIP_CUT 0.9
#define MIP_HALF 32

nr_result nr_imp2_tables_mip_init(nr_imp2_tables *tb, const nr_imp2_hparams *hp, const float *trans)
{
    int NT = hp->n_trans, TL = hp->trans_len;
    nr_imp2_mip *mp = &tb->mip;
    free(mp->data);
    memset(mp, 0, sizeof *mp);
    size_t total = 0;
    for (int l = 0, n = TL; l < NR_IMP2_MIP_LEVELS; l++, n = (n + 1) / 2) {
        mp->len[l] = n;
        mp->off[l] = total;
        total += (size_t)NT * n;
    }
    mp->data = malloc(total * sizeof(float));
    if (!mp->data) return nr_fail(NR_ERR_NOMEM, "out of memory for the nr-impact-2 transient levels");
    for (int j = 0; j < NT; j++) /* level 0: the tables with their fade, as transient_add plays them */
        for (int i = 0; i < TL; i++) mp->data[(size_t)j * TL + i] = trans[(size_t)j * TL + i] * nr_imp2_trans_fade(i, TL);
    double h[2 * MIP_HALF + 1], sum = 0.0;
    const double fc = MIP_CUT * 0.25; /* cycles per sample of the level above: 0.9 of the new Nyquist */
    for (int n = -MIP_HALF; n <= MIP_HALF; n++) {
        double x = M_PI * (double)(n + MIP_HALF) / MIP_HALF; /* Blackman over 0..2 pi */
        double wb = 0.42 - 0.5 * cos(x) + 0.08 * cos(2.0 * x);
        h[n + MIP_HALF] = (n ? sin(2.0 * M_PI * fc * n) / (M_PI * n) : 2.0 * fc) * wb;
        sum += h[n + MIP_HALF];
    }
    for (int n = 0; n <= 2 * MIP_HALF; n++) h[n] /= sum; /* 0 dB at DC */
    for (int l = 1; l < NR_IMP2_MIP_LEVELS; l++) {
        int n_up = mp->len[l - 1], n = mp->len[l];
        for (int j = 0; j < NT; j++) {
            const float *x = mp->data + mp->off[l - 1] + (size_t)j * n_up;
            float *y = mp->data + mp->off[l] + (size_t)j * n;
            for (int i = 0; i < n; i++) {
                double acc = 0.0;
                int c = 2 * i, lo = c - MIP_HALF > 0 ? c - MIP_HALF : 0, hi = c + MIP_HALF < n_up - 1 ? c + MIP_HALF : n_up - 1;
                for (int m = lo; m <= hi; m++) acc += h[c - m + MIP_HALF] * x[m];
                y[i] = (float)acc;
            }
        }
    }
    mp->levels = NR_IMP2_MIP_LEVELS;
    return NR_OK;
}

/* ---- head -> synthesis parameters ---- */

static float sigmoidf(float x)
{
    x = x < -30.0f ? -30.0f : x > 30.0f ? 30.0f : x;
    return 1.0f / (1.0f + expf(-x));
}

/* 1 below TAPER_LO, raised cosine to 0 at TAPER_HI; *dt gets its derivative (per Hz). */
static float taper_f(float f, float *dt)
{
    if (f <= NR_IMP2_TAPER_LO) return *dt = 0.0f, 1.0f;
    if (f >= NR_IMP2_TAPER_HI) return *dt = 0.0f, 0.0f;
    const float span = NR_IMP2_TAPER_HI - NR_IMP2_TAPER_LO;
    float x = (float)M_PI * (f - NR_IMP2_TAPER_LO) / span;
    *dt = -0.5f * (float)M_PI / span * sinf(x);
    return 0.5f * (1.0f + cosf(x));
}

/* harmonic k (1-based) of NH: a raised cosine over the top indices, so the last harmonics fade in and
 * out gently when the pitch moves them across the envelope instead of switching at a hard edge */
static float taper_k(int k, int NH)
{
    int top = NH / 2 < NR_IMP2_TAPER_K ? NH / 2 : NR_IMP2_TAPER_K;
    int m = k - (NH - top);
    if (m <= 0) return 1.0f;
    return 0.5f * (1.0f + cosf((float)M_PI * (float)m / (float)(top + 1)));
}

/* Harmonic k's (0-based) envelope position: lower band *b, upper weight returned. */
static float harm_pos(const nr_imp2_hparams *hp, const nr_imp2_tables *tb, int k, float f, int *b)
{
    if (hp->harm_env == NR_IMP2_HARM_INDEX) {
        *b = tb->harm_band[k];
        return tb->harm_w[k];
    }
    return nr_imp2_env_pos(tb, f, b);
}

/* The inharmonic floor's gain at log ratio u (octaves), and its derivative: a smoothstep from 0 at
 * floor - FADE to 1 at the floor; 1 everywhere without a floor. */
static float floor_gain(const nr_imp2_hparams *hp, float u, float *dg)
{
    *dg = 0.0f;
    if (hp->inharm_floor == NR_IMP2_FLOOR_NONE) return 1.0f;
    float x = (u - (hp->inharm_floor - NR_IMP2_FLOOR_FADE)) / NR_IMP2_FLOOR_FADE;
    if (x <= 0.0f) return 0.0f;
    if (x >= 1.0f) return 1.0f;
    *dg = 6.0f * x * (1.0f - x) / NR_IMP2_FLOOR_FADE;
    return x * x * (3.0f - 2.0f * x);
}

/* The harmonics' overall gain factor of the pitch: FREQ mode's sqrt(f0s / F0_REF) holds the loudness of a
 * fixed envelope when transposed (the count of harmonics under it goes as 1 / f0); INDEX needs none. */
static float harm_gain(const nr_imp2_hparams *hp, float f0s)
{
    return hp->harm_env == NR_IMP2_HARM_INDEX ? 1.0f : sqrtf(f0s / NR_IMP2_F0_REF);
}

void nr_imp2_params_forward(const nr_imp2_hparams *hp, const nr_imp2_tables *tb, const float *o, float f0s,
                            float *q)
{
    int P = nr_imp2_n_partials(hp), NH = hp->n_harm, NE = hp->n_env, NI = hp->n_inharm;
    float Eh[256], Ea[256];
    const float *oh = o + 1, *on = o + 1 + NE, *oa = o + 1 + 2 * NE, *orr = oa + NI, *ot = orr + NI;
    float *amp = q, *freq = q + P, *qn = q + 2 * P, *qt = qn + NE;
    float A = nr_imp_exp_sigmoid(o[0]) * harm_gain(hp, f0s), dt;
    nr_imp_exp_sigmoid_n(Eh, oh, NE);
    nr_imp_exp_sigmoid_n(Ea, oa, NI);
    for (int k = 0; k < NH; k++) {
        float f = (float)(k + 1) * f0s;
        freq[k] = f;
        if (f >= NR_IMP2_TAPER_HI) {
            amp[k] = 0.0f;
            continue;
        }
        int b;
        float w = harm_pos(hp, tb, k, f, &b);
        amp[k] = A * (Eh[b] + (Eh[b + 1] - Eh[b]) * w) * taper_f(f, &dt) * taper_k(k + 1, NH);
    }
    for (int i = 0; i < NI; i++) {
        float u = hp->ratio_lo + (hp->ratio_hi - hp->ratio_lo) * sigmoidf(orr[i]), r = exp2f(u);
        float f = r * f0s, dg;
        freq[NH + i] = f;
        amp[NH + i] = Ea[i] * taper_f(f, &dt) * floor_gain(hp, u, &dg);
    }
    for (int p = NH + NI; p < P; p++) amp[p] = freq[p] = 0.0f;
    nr_imp_exp_sigmoid_n(qn, on, NE);
    nr_imp_exp_sigmoid_n(qt, ot, hp->n_trans);
    qt[hp->n_trans] = f0s;
}

void nr_imp2_params_tune(const nr_imp2_hparams *hp, float ratio, float *q)
{
    int P = nr_imp2_n_partials(hp), NH = hp->n_harm, NI = hp->n_inharm;
    float *amp = q, *freq = q + P, *f0s = q + nr_imp2_n_q(hp) - 1, dt;
    *f0s *= ratio;
    for (int p = 0; p < NH + NI; p++) {
        float f = p < NH ? (float)(p + 1) * *f0s : freq[p] * ratio; /* exactly k f0s, as params_forward */
        freq[p] = f;
        amp[p] = f >= NR_IMP2_TAPER_HI ? 0.0f : amp[p] * taper_f(f, &dt);
    }
}

void nr_imp2_params_backward(const nr_imp2_hparams *hp, const nr_imp2_tables *tb, float *dout, const float *dq,
                             const float *o, float f0s)
{
    int P = nr_imp2_n_partials(hp), NH = hp->n_harm, NE = hp->n_env, NI = hp->n_inharm;
    const float *oh = o + 1, *on = o + 1 + NE, *oa = o + 1 + 2 * NE, *orr = oa + NI, *ot = orr + NI;
    float *dh = dout + 1, *dn = dout + 1 + NE, *da = dout + 1 + 2 * NE, *dr = da + NI, *dt_ = dr + NI;
    const float *damp = dq, *dfreq = dq + P, *dqn = dq + 2 * P, *dqt = dqn + NE;
    float Eh[256];
    double dEh[256] = {0}, dA = 0.0;
    float sq = harm_gain(hp, f0s), A = nr_imp_exp_sigmoid(o[0]) * sq, dt;
    for (int b = 0; b < NE; b++) Eh[b] = nr_imp_exp_sigmoid(oh[b]);
    for (int k = 0; k < NH; k++) {
        float f = (float)(k + 1) * f0s;
        if (f >= NR_IMP2_TAPER_HI || damp[k] == 0.0f) continue;
        int b;
        float w = harm_pos(hp, tb, k, f, &b), tap = taper_f(f, &dt) * taper_k(k + 1, NH);
        float e = Eh[b] + (Eh[b + 1] - Eh[b]) * w;
        dA += (double)damp[k] * e * tap;
        float g = damp[k] * A * tap;
        dEh[b] += (double)g * (1.0f - w);
        dEh[b + 1] += (double)g * w;
    }
    dout[0] += (float)dA * sq * nr_imp_exp_sigmoid_grad(o[0]);
    for (int b = 0; b < NE; b++) dh[b] += (float)dEh[b] * nr_imp_exp_sigmoid_grad(oh[b]);
    const float span = hp->ratio_hi - hp->ratio_lo;
    for (int i = 0; i < NI; i++) {
        float s = sigmoidf(orr[i]), u = hp->ratio_lo + span * s, r = exp2f(u), f = r * f0s, dg;
        float tap = taper_f(f, &dt), ga = nr_imp_exp_sigmoid(oa[i]), g = floor_gain(hp, u, &dg);
        da[i] += damp[NH + i] * tap * g * nr_imp_exp_sigmoid_grad(oa[i]);
        /* du/do = span s (1 - s), df/do = f ln2 du/do; the amplitude's taper and floor and the frequency
         * (surrogate) all move. dfdo keeps its factors' order of before the floor, and g = 1, dg = 0 without
         * one, so a model without a floor trains bit for bit as it did. */
        float dudo = span * s * (1.0f - s), dfdo = f * 0.69314718f * span * s * (1.0f - s);
        if (orr[i] > -30.0f && orr[i] < 30.0f)
            dr[i] += (damp[NH + i] * ga * g * dt + dfreq[NH + i]) * dfdo + damp[NH + i] * ga * tap * dg * dudo;
    }
    for (int b = 0; b < NE; b++) dn[b] += dqn[b] * nr_imp_exp_sigmoid_grad(on[b]);
    for (int j = 0; j < hp->n_trans; j++) dt_[j] += dqt[j] * nr_imp_exp_sigmoid_grad(ot[j]);
}

void nr_imp2_init_head_bias(const nr_imp2_hparams *hp, float *head_b)
{
    int NE = hp->n_env, NI = hp->n_inharm, O = nr_imp2_n_out(hp);
    for (int i = 0; i < O; i++) head_b[i] = -2.5f; /* quiet noise, inharmonics and transients */
    head_b[0] = -2.0f;
    for (int b = 0; b < NE; b++) head_b[1 + b] = 0.0f; /* a flat harmonic envelope */
    /* free-free bar modes, then circular membrane modes (ratios to the fundamental) */
    static const float ratios[] = {2.756f, 5.404f, 8.933f, 1.593f, 2.136f, 2.296f, 2.653f, 2.917f,
                                   3.155f, 3.500f, 3.598f, 3.647f, 4.059f, 4.230f, 13.34f, 1.414f};
    float *br = head_b + 1 + 2 * NE + NI;
    for (int i = 0; i < NI; i++) {
        float r = ratios[i % 16] * (1.0f + 0.01f * (float)(i / 16));
        float u = (log2f(r) - hp->ratio_lo) / (hp->ratio_hi - hp->ratio_lo);
        u = u < 0.01f ? 0.01f : u > 0.99f ? 0.99f : u;
        br[i] = logf(u / (1.0f - u));
    }
}
