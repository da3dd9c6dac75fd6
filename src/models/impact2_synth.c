/* nr-impact-2 synthesis at 48 kHz: the shared oscillator bank (harmonics and inharmonic partials),
 * frequency-domain shaped noise overlap-added under a sine window, transient wavetables. The optimised
 * renderer uses nr_imp_osc_chunk (8-lane vectors); the reference renderer goes one partial and one
 * sample at a time; the backward pass recomputes the basis with the forward's arithmetic. */
#include "impact2.h"
#include "impact_simd.h"
#include "core/kernel_path.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 64
#define TWO_PI 6.283185307179586
#define SPEC_FLOATS (NR_IMP2_NFFT + 16) /* NBINS complex, padded to 64 bytes */

#if NR_KBASE /* path-independent code: the generic build only */
/* Approximately Gaussian, variance 1/2 (one component of a unit complex Gaussian): the sum of four
 * 16-bit uniforms of one xorshift64* draw (Irwin-Hall), bounded and cheaper than a logarithm. */
static inline float gauss_half(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    x *= 0x2545F4914F6CDD1DULL;
    uint32_t sum = (uint32_t)(x & 0xFFFF) + (uint32_t)(x >> 16 & 0xFFFF) + (uint32_t)(x >> 32 & 0xFFFF) +
                   (uint32_t)(x >> 48);
    /* mean 4 * 32767.5, variance 4 / 12 of 65536^2; times sqrt(3/2) for variance 1/2 */
    return ((float)sum * (1.0f / 65536.0f) - 1.99996948f) * 1.22474487f;
}

size_t nr_imp2_synth_state_floats(const nr_imp2_hparams *hp)
{
    size_t n = (size_t)4 * nr_imp2_n_partials(hp) + SPEC_FLOATS + NR_IMP2_NFFT + NR_IMP_HOP;
    return (n + 15) / 16 * 16;
}

void nr_imp2_synth_state_carve(nr_imp2_synth_state *st, const nr_imp2_hparams *hp, float *mem)
{
    memset(st, 0, sizeof *st);
    st->P = nr_imp2_n_partials(hp);
    st->spec = mem; /* first: the FFT buffers keep the block's 64-byte alignment */
    st->noise = mem + SPEC_FLOATS;
    st->tail = st->noise + NR_IMP2_NFFT;
    st->osc_c = st->tail + NR_IMP_HOP;
    st->osc_s = st->osc_c + st->P;
    st->osc_cw = st->osc_s + st->P;
    st->osc_sw = st->osc_cw + st->P;
}

void nr_imp2_synth_reset(nr_imp2_synth_state *st, uint64_t seed, int no_noise)
{
    for (int p = 0; p < st->P; p++) {
        st->osc_c[p] = 1.0f; /* phase 0: every sine starts at 0, no click */
        st->osc_s[p] = 0.0f;
        st->osc_cw[p] = 1.0f;
        st->osc_sw[p] = 0.0f;
    }
    memset(st->spec, 0, SPEC_FLOATS * sizeof(float));
    memset(st->noise, 0, NR_IMP2_NFFT * sizeof(float));
    memset(st->tail, 0, NR_IMP_HOP * sizeof(float));
    st->rng = nr_imp_seed_mix(seed);
    st->no_noise = no_noise;
    st->sample = 0;
    st->frame = 0;
    st->ratio = 1.0f;
    st->tuned = 0;
    st->tpos = 0.0;
}

void nr_imp2_synth_tune(nr_imp2_synth_state *st, float ratio)
{
    st->ratio = ratio > 0.0f ? ratio : 1.0f;
    if (st->ratio != 1.0f && !st->tuned) {
        st->tuned = 1;
        st->tpos = (double)st->sample; /* the transient goes on from where it is */
    }
}

/* The spectrum of frame t into buf (NBINS complex): E_n interpolated at each bin times seeded noise.
 * Tuned by ratio, bin k reads the envelope at its frequency / ratio (shift = log2 ratio in bands) and
 * its level is scaled by gain = 1 / sqrt(ratio): a sampler playing noise ratio times faster spreads the
 * same power over ratio times the bandwidth (density S(f / ratio) / ratio), while each partial keeps its
 * amplitude. Without the gain, a voice tuned an octave up had its noise 3 dB louder against its partials
 * (an octave down, 3 dB softer). */
static void noise_spectrum(const nr_imp2_tables *tb, const float *qn, float shift, float gain, uint64_t *rng,
                           float *buf)
{
    buf[0] = buf[1] = 0.0f; /* DC and Nyquist stay silent */
    for (int k = 1; k < NR_IMP2_NBINS - 1; k++) {
        int b = tb->bin_band[k];
        float w = shift != 0.0f ? nr_imp2_env_at(tb, tb->bin_u[k] - shift, &b) : tb->bin_w[k];
        float e = (qn[b] + (qn[b + 1] - qn[b]) * w) * tb->scale * gain;
        float zr = gauss_half(rng), zi = gauss_half(rng);
        buf[2 * k] = e * zr;
        buf[2 * k + 1] = e * zi;
    }
    buf[2 * (NR_IMP2_NBINS - 1)] = buf[2 * (NR_IMP2_NBINS - 1) + 1] = 0.0f;
}

void nr_imp2_synth_begin_frame(nr_imp2_synth_state *st, const nr_imp2_hparams *hp, const nr_imp2_tables *tb,
                               const float *q)
{
    const float *freq = q + st->P;
    const double f_max = 0.49 * NR_IMP_RATE;
    /* harmonic k's rotation is the fundamental's to the k-th power: complex products in double (error
     * ~k 1e-16) instead of a sine and cosine each, used where q holds exactly k f0s (it does, from
     * nr_imp2_params_forward; anything else goes the direct way) */
    float f0s = q[nr_imp2_n_q(hp) - 1];
    double om1 = TWO_PI * f0s / NR_IMP_RATE, c1 = cos(om1), s1 = sin(om1), ck = 1.0, sk = 0.0;
    for (int p = 0; p < st->P; p++) {
        double f = freq[p], cw, sw;
        if (p < hp->n_harm) {
            double c2 = ck * c1 - sk * s1;
            sk = ck * s1 + sk * c1;
            ck = c2;
        }
        if (p < hp->n_harm && f <= f_max && freq[p] == (float)(p + 1) * f0s) {
            cw = ck, sw = sk;
        } else {
            /* a partial pushed past the taper by a pitch change fades within this frame; below Nyquist meanwhile */
            if (f > f_max) f = f_max;
            double om = TWO_PI * f / NR_IMP_RATE;
            cw = cos(om), sw = sin(om);
        }
        st->osc_cw[p] = (float)cw;
        st->osc_sw[p] = (float)sw;
        float c = st->osc_c[p], s = st->osc_s[p];
        float g = 1.5f - 0.5f * (c * c + s * s); /* one Newton step back to the unit circle */
        st->osc_c[p] = c * g;
        st->osc_s[p] = s * g;
    }
    if (!st->no_noise) {
        float *buf = st->noise;
        /* the previous chunk's second half (already windowed) overlaps this frame */
        if (st->frame > 0) memcpy(st->tail, buf + NR_IMP_HOP, NR_IMP_HOP * sizeof(float));
        float shift = st->ratio != 1.0f ? log2f(st->ratio) * tb->band_per_oct : 0.0f;
        float gain = st->ratio != 1.0f ? 1.0f / sqrtf(st->ratio) : 1.0f;
        noise_spectrum(tb, q + 2 * st->P, shift, gain, &st->rng, st->spec);
        fftwf_execute_dft_c2r((fftwf_plan)tb->c2r, (fftwf_complex *)st->spec, buf);
        /* the first frame starts at full level: its rising half-window is 1 */
        for (int n = st->frame > 0 ? 0 : NR_IMP_HOP; n < NR_IMP2_NOISE_LEN; n++) buf[n] *= tb->win[n];
    }
    st->frame++;
}

#endif

static void transient_add(const nr_imp2_hparams *hp, const nr_imp_weights *w, const float *q0, long s0, int n,
                          float *out)
{
    int TL = hp->trans_len, off = 2 * nr_imp2_n_partials(hp) + hp->n_env;
    for (int i = 0; i < n && s0 + i < TL; i++) {
        float v = 0.0f;
        for (int j = 0; j < hp->n_trans; j++) v += q0[off + j] * w->trans[(size_t)j * TL + s0 + i];
        out[i] += v * nr_imp2_trans_fade((int)(s0 + i), TL);
    }
}

/* Level l's mixed sample at x (its own samples; silence past its end), linearly interpolated. */
static inline float level_at(const float *lev, int len, const float *g, int NT, double x)
{
    int k = (int)x;
    if (k >= len) return 0.0f;
    float f = (float)(x - k), v = 0.0f;
    for (int j = 0; j < NT; j++) {
        const float *t = lev + (size_t)j * len;
        float a = t[k], b = k + 1 < len ? t[k + 1] : 0.0f;
        v += g[j] * (a + (b - a) * f);
    }
    return v;
}

/* The transient of a tuned voice: read at tpos, ratio samples per sample, from the two mip levels
 * around log2 ratio, crossfaded (a sampler's band-limited playback). Without levels (a bare synthesis
 * state in the tests) the stored tables with their fade. */
static void transient_add_tuned(nr_imp2_synth_state *st, const nr_imp2_hparams *hp, const nr_imp_weights *w,
                                const float *q0, int n, float *out)
{
    int TL = hp->trans_len, NT = hp->n_trans;
    const float *g = q0 + 2 * st->P + hp->n_env;
    double pos = st->tpos;
    float r = st->ratio;
    st->tpos = pos + (double)n * r;
    if (pos >= (double)TL) return;
    const nr_imp2_mip *mp = st->mip && st->mip->levels > 1 ? st->mip : NULL;
    if (!mp) {
        for (int i = 0; i < n; i++) {
            double x = pos + (double)i * r;
            if (x >= (double)TL) break;
            int k = (int)x;
            float f = (float)(x - k), fade = nr_imp2_trans_fade(k, TL);
            fade += (nr_imp2_trans_fade(k + 1, TL) - fade) * f;
            out[i] += level_at(w->trans, TL, g, NT, x) * fade;
        }
        return;
    }
    int l = 0;
    float a = 0.0f, lr = log2f(r);
    if (lr > 0.0f) {
        l = (int)lr;
        a = lr - (float)l;
        if (l > mp->levels - 2) l = mp->levels - 2, a = 1.0f;
    }
    const float *L0 = mp->data + mp->off[l], *L1 = mp->data + mp->off[l + 1];
    int n0 = mp->len[l], n1 = mp->len[l + 1];
    double s0 = 1.0 / (double)(1 << l), s1 = 0.5 * s0; /* level samples per level-0 sample */
    for (int i = 0; i < n; i++) {
        double x = pos + (double)i * r;
        if (x >= (double)TL) break;
        float v = level_at(L0, n0, g, NT, x * s0);
        if (a > 0.0f) v += a * (level_at(L1, n1, g, NT, x * s1) - v);
        out[i] += v;
    }
}

void NR_K(nr_imp2_synth_render)(nr_imp2_synth_state *st, const nr_imp2_hparams *hp, const nr_imp_weights *w,
                          const float *q_prev, const float *q_cur, const float *q0, int j0, int j1, float *out)
{
    const float inv_hop = 1.0f / NR_IMP_HOP;
    nr_v8 acc[CHUNK];
    float rr[CHUNK];
    for (int j = j0; j < j1; j += CHUNK) {
        int n = j1 - j < CHUNK ? j1 - j : CHUNK;
        for (int i = 0; i < n; i++) {
            acc[i] = nr_v8_set1(0.0f);
            rr[i] = (float)(j + i + 1) * inv_hop;
        }
        nr_imp_osc_chunk(acc, st->osc_c, st->osc_s, st->osc_cw, st->osc_sw, q_prev, q_cur, st->P, rr, n);
        float *o = out + (j - j0);
        nr_v8_hsum_add(o, acc, n);
        if (!st->no_noise)
            for (int i = 0; i < n; i++) o[i] += st->tail[j + i] + st->noise[j + i];
        if (st->tuned) transient_add_tuned(st, hp, w, q0, n, o);
        else transient_add(hp, w, q0, st->sample, n, o);
        st->sample += n;
    }
}

#if NR_KBASE
void nr_imp2_synth_render_ref(nr_imp2_synth_state *st, const nr_imp2_hparams *hp, const nr_imp_weights *w,
                              const float *q_prev, const float *q_cur, const float *q0, int j0, int j1, float *out)
{
    const float inv_hop = 1.0f / NR_IMP_HOP;
    for (int j = j0; j < j1; j++) {
        float r = (float)(j + 1) * inv_hop;
        double y = 0.0;
        for (int p = 0; p < st->P; p++) {
            float c = st->osc_c[p], s = st->osc_s[p];
            float c2 = c * st->osc_cw[p] - s * st->osc_sw[p];
            s = c * st->osc_sw[p] + s * st->osc_cw[p];
            st->osc_c[p] = c2;
            st->osc_s[p] = s;
            y += (q_prev[p] + (q_cur[p] - q_prev[p]) * r) * s;
        }
        if (!st->no_noise) y += (double)st->tail[j] + st->noise[j];
        out[j - j0] += (float)y;
        if (st->tuned) transient_add_tuned(st, hp, w, q0, 1, out + (j - j0));
        else transient_add(hp, w, q0, st->sample, 1, out + (j - j0));
        st->sample++;
    }
}

void nr_imp2_synth_forward(const nr_imp2_hparams *hp, const nr_imp_weights *w, const nr_imp2_tables *tb,
                           nr_imp2_synth_state *st, uint64_t seed, int no_noise, const float *q, int T, float *y)
{
    int Q = nr_imp2_n_q(hp);
    nr_imp2_synth_reset(st, seed, no_noise);
    memset(y, 0, (size_t)T * NR_IMP_HOP * sizeof(float));
    for (int t = 0; t < T; t++) {
        const float *qc = q + (size_t)t * Q, *qp = t > 0 ? qc - Q : qc;
        nr_imp2_synth_begin_frame(st, hp, tb, qc);
        nr_imp2_synth_render(st, hp, w, qp, qc, q, 0, NR_IMP_HOP, y + (size_t)t * NR_IMP_HOP);
    }
}

void nr_imp2_synth_backward(const nr_imp2_hparams *hp, const nr_imp_weights *w, const nr_imp2_tables *tb,
                            nr_imp2_synth_state *st, uint64_t seed, int no_noise, const float *q, int T,
                            const float *dy, float *dq, float *dtrans, float *fft_buf, nr_imp2_freq_grad mode)
{
    /* exact: dL/dw_t = R_t + hop sum_{u > t} S_u with R_t = sum_{n in t} g a cos(phi) (j + 1) and
     * S_u = sum_{n in u} g a cos(phi) (a frequency change in frame t shifts the phase of every later
     * sample by hop dw); kept as R_t - hop C_t, then hop C_T added, C_t the running sum of S */
    double C[NR_IMP2_MAX_PARTIALS] = {0};
    const int exact = mode == NR_IMP2_FREQ_EXACT;
    const float inv_hop = 1.0f / NR_IMP_HOP, half = 0.5f * NR_IMP_HOP;
    const float dom_df = (float)(TWO_PI / NR_IMP_RATE); /* d omega / d f */
    int Q = nr_imp2_n_q(hp), P = nr_imp2_n_partials(hp), NE = hp->n_env, TL = hp->trans_len, NT = hp->n_trans;
    int toff = 2 * P + NE;
    long N = (long)T * NR_IMP_HOP;
    nr_imp2_synth_reset(st, seed, no_noise);
    for (int t = 0; t < T; t++) {
        const float *qc = q + (size_t)t * Q, *qp = t > 0 ? qc - Q : qc;
        float *dqc = dq + (size_t)t * Q, *dqp = t > 0 ? dqc - Q : dqc;
        const float *g = dy + (size_t)t * NR_IMP_HOP;
        /* the rotations as the forward sets them (no noise here: the noise is redrawn below) */
        int keep = st->no_noise;
        st->no_noise = 1;
        nr_imp2_synth_begin_frame(st, hp, tb, qc);
        st->no_noise = keep;
        for (int p = 0; p < P; p += 8) {
            nr_v8 c = nr_v8_load(st->osc_c + p), s = nr_v8_load(st->osc_s + p);
            nr_v8 cw = nr_v8_load(st->osc_cw + p), sw = nr_v8_load(st->osc_sw + p);
            nr_v8 ap = nr_v8_load(qp + p), da = nr_v8_load(qc + p) - ap;
            nr_v8 gp = nr_v8_set1(0.0f), gc = gp, gf = gp, gs = gp;
            const float j_off = exact ? 1.0f : -half; /* phase moves from the frame's start, or its centre */
            for (int j = 0; j < NR_IMP_HOP; j++) {
                float r = (float)(j + 1) * inv_hop;
                nr_v8 c2 = c * cw - s * sw;
                s = c * sw + s * cw;
                c = c2;
                nr_v8 gb = g[j] * s;
                gc += gb * r;
                gp += gb * (1.0f - r);
                nr_v8 gac = g[j] * ((ap + da * r) * c);
                gf += ((float)j + j_off) * gac;
                gs += gac;
            }
            nr_v8_store(st->osc_c + p, c);
            nr_v8_store(st->osc_s + p, s);
            for (int k = 0; k < 8; k++) {
                dqc[p + k] += gc[k];
                dqp[p + k] += gp[k];
                double f = gf[k];
                if (exact) {
                    C[p + k] += gs[k];
                    f -= (double)NR_IMP_HOP * C[p + k];
                }
                dqc[P + p + k] += (float)(f * dom_df);
            }
        }
        if (!no_noise) {
            /* y_t = scale c2r(E Z) windowed: dL/dE_k = scale * 2 Re(Z_k conj(G_k)), G = r2c(g w) */
            long s0 = (long)t * NR_IMP_HOP;
            for (int n = 0; n < NR_IMP2_NFFT; n++) {
                float wn = n < NR_IMP2_NOISE_LEN ? (t == 0 && n < NR_IMP_HOP ? 1.0f : tb->win[n]) : 0.0f;
                fft_buf[n] = s0 + n < N && n < NR_IMP2_NOISE_LEN ? dy[s0 + n] * wn : 0.0f;
            }
            fftwf_execute_dft_r2c((fftwf_plan)tb->r2c, fft_buf, (fftwf_complex *)fft_buf);
            float *dqn = dqc + 2 * P;
            for (int k = 1; k < NR_IMP2_NBINS - 1; k++) {
                float zr = gauss_half(&st->rng), zi = gauss_half(&st->rng);
                float dE = 2.0f * tb->scale * (zr * fft_buf[2 * k] + zi * fft_buf[2 * k + 1]);
                int b = tb->bin_band[k];
                float wb = tb->bin_w[k];
                dqn[b] += dE * (1.0f - wb);
                dqn[b + 1] += dE * wb;
            }
        }
        long s0 = (long)t * NR_IMP_HOP;
        for (int jj = 0; jj < NT; jj++) {
            double gt = 0.0;
            for (int j = 0; j < NR_IMP_HOP && s0 + j < TL; j++) {
                float fade = nr_imp2_trans_fade((int)(s0 + j), TL);
                gt += (double)g[j] * w->trans[(size_t)jj * TL + s0 + j] * fade;
                if (dtrans) dtrans[(size_t)jj * TL + s0 + j] += g[j] * q[toff + jj] * fade;
            }
            dq[toff + jj] += (float)gt; /* the transient's gains are frame 0's */
        }
    }
    if (exact)
        for (int t = 0; t < T; t++)
            for (int p = 0; p < P; p++) dq[(size_t)t * Q + P + p] += (float)((double)NR_IMP_HOP * C[p] * dom_df);
}

/* The renderer's 8-lane vectors on the path's instructions (AVX2: one register each) */
#define IMP2_SYNTH_KERNELS(X)                                                                          \
    X(void, nr_imp2_synth_render,                                                                      \
      (nr_imp2_synth_state * st, const nr_imp2_hparams *hp, const nr_imp_weights *w, const float *q_prev, \
       const float *q_cur, const float *q0, int j0, int j1, float *out),                               \
      (st, hp, w, q_prev, q_cur, q0, j0, j1, out))
NR_DISPATCH(IMP2_SYNTH_KERNELS)
#endif
