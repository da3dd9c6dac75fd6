/* nr-impact-1 synthesis at 48 kHz: recursive oscillators (partials), band-pass noise, transient
 * wavetables. The optimised renderer works on 8 partials or bands at a time in chunks of 64 samples;
 * the reference renderer and the backward pass go one partial and one sample at a time with the same
 * arithmetic, so the basis signals they see are the forward's bit for bit. */
#include "impact.h"
#include "impact_simd.h"
#include "core/kernel_path.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 64
#define TWO_PI 6.283185307179586

#if NR_KBASE /* path-independent code: the generic build only */
uint64_t nr_imp_seed_mix(uint64_t seed)
{
    /* splitmix64: any seed (0 too) gives a well-mixed non-zero xorshift state */
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z ? z : 0x853C49E6748FEA9BULL;
}

nr_result nr_imp_bands_init(nr_imp_bands *bd, const nr_imp_hparams *hp)
{
    memset(bd, 0, sizeof *bd);
    int NBP = nr_imp_n_bands_pad(hp);
    float *mem = aligned_alloc(64, (size_t)4 * NBP * sizeof(float) + 64);
    if (!mem) return nr_fail(NR_ERR_NOMEM, "out of memory for noise bands");
    bd->NBP = NBP;
    bd->b0 = mem;
    bd->a1 = mem + NBP;
    bd->a2 = mem + 2 * NBP;
    bd->norm = mem + 3 * NBP;
    for (int b = 0; b < NBP; b++) {
        bd->b0[b] = bd->a1[b] = bd->a2[b] = bd->norm[b] = 0.0f;
        if (b >= hp->n_bands) continue;
        double fr = hp->n_bands > 1 ? (double)b / (hp->n_bands - 1) : 0.5;
        double fc = hp->band_lo * pow(hp->band_hi / hp->band_lo, fr);
        double w0 = TWO_PI * fc / NR_IMP_RATE, alpha = sin(w0) / (2.0 * hp->band_q), a0 = 1.0 + alpha;
        bd->b0[b] = (float)(alpha / a0);
        bd->a1[b] = (float)(-2.0 * cos(w0) / a0);
        bd->a2[b] = (float)((1.0 - alpha) / a0);
        /* unit-variance output for unit-variance white input: 1/sqrt(energy of the impulse response) */
        double z1 = 0, z2 = 0, e = 0;
        for (int n = 0; n < (1 << 14); n++) { /* the slowest band rings ~10 ms: 16384 samples hold it all */
            double x = n == 0 ? 1.0 : 0.0, bx = bd->b0[b] * x, y = bx + z1;
            z1 = z2 - bd->a1[b] * y;
            z2 = -bx - bd->a2[b] * y;
            e += y * y;
        }
        bd->norm[b] = (float)(1.0 / sqrt(e));
    }
    return NR_OK;
}

void nr_imp_bands_free(nr_imp_bands *bd)
{
    free(bd->b0);
    memset(bd, 0, sizeof *bd);
}

size_t nr_imp_synth_state_floats(const nr_imp_hparams *hp)
{
    size_t n = (size_t)4 * nr_imp_n_partials(hp) + 2 * (size_t)nr_imp_n_bands_pad(hp);
    return (n + 15) / 16 * 16;
}

void nr_imp_synth_state_carve(nr_imp_synth_state *st, const nr_imp_hparams *hp, float *mem)
{
    memset(st, 0, sizeof *st);
    st->P = nr_imp_n_partials(hp);
    st->NBP = nr_imp_n_bands_pad(hp);
    st->osc_c = mem;
    st->osc_s = mem + st->P;
    st->osc_cw = mem + 2 * st->P;
    st->osc_sw = mem + 3 * st->P;
    st->band_z1 = mem + 4 * st->P;
    st->band_z2 = st->band_z1 + st->NBP;
}

void nr_imp_synth_reset(nr_imp_synth_state *st, uint64_t seed, int no_noise)
{
    for (int p = 0; p < st->P; p++) {
        st->osc_c[p] = 1.0f; /* every partial starts at phase 0: sin starts at 0, no click */
        st->osc_s[p] = 0.0f;
        st->osc_cw[p] = 1.0f;
        st->osc_sw[p] = 0.0f;
    }
    memset(st->band_z1, 0, (size_t)st->NBP * sizeof(float));
    memset(st->band_z2, 0, (size_t)st->NBP * sizeof(float));
    st->rng = nr_imp_seed_mix(seed);
    st->no_noise = no_noise;
    st->sample = 0;
}

void nr_imp_synth_begin_frame(nr_imp_synth_state *st, const nr_imp_hparams *hp, const nr_imp_weights *w,
                              const float *q)
{
    int Q = nr_imp_n_q(hp), NH = hp->n_harm, NI = hp->n_inharm;
    float f0 = q[Q - 1];
    for (int p = 0; p < st->P; p++) {
        double f = p < NH ? (double)(p + 1) * f0 : p < NH + NI ? (double)w->ratios[p - NH] * f0 : 0.0;
        /* a partial pushed past the band limit by a pitch change fades out within this frame; keep its
         * rotation below Nyquist meanwhile */
        if (f > 0.49 * NR_IMP_RATE) f = 0.49 * NR_IMP_RATE;
        double om = TWO_PI * f / NR_IMP_RATE;
        st->osc_cw[p] = (float)cos(om);
        st->osc_sw[p] = (float)sin(om);
        float c = st->osc_c[p], s = st->osc_s[p];
        float g = 1.5f - 0.5f * (c * c + s * s); /* one Newton step back to the unit circle */
        st->osc_c[p] = c * g;
        st->osc_s[p] = s * g;
    }
}

#endif

static void transient_add(const nr_imp_hparams *hp, const nr_imp_weights *w, const float *q0, long s0, int n,
                          float *out)
{
    int TL = hp->trans_len, off = nr_imp_n_partials(hp) + nr_imp_n_bands_pad(hp);
    for (int i = 0; i < n && s0 + i < TL; i++) {
        float v = 0.0f;
        for (int j = 0; j < hp->n_trans; j++) v += q0[off + j] * w->trans[(size_t)j * TL + s0 + i];
        out[i] += v;
    }
}

void NR_K(nr_imp_synth_render)(nr_imp_synth_state *st, const nr_imp_hparams *hp, const nr_imp_weights *w,
                         const nr_imp_bands *bands, const float *q_prev, const float *q_cur, const float *q0,
                         int j0, int j1, float *out)
{
    const float inv_hop = 1.0f / NR_IMP_HOP;
    int P = st->P, NBP = st->NBP;
    nr_v8 acc[CHUNK];
    float nz[CHUNK], rr[CHUNK];
    for (int j = j0; j < j1; j += CHUNK) {
        int n = j1 - j < CHUNK ? j1 - j : CHUNK;
        for (int i = 0; i < n; i++) {
            acc[i] = nr_v8_set1(0.0f);
            rr[i] = (float)(j + i + 1) * inv_hop;
        }
        nr_imp_osc_chunk(acc, st->osc_c, st->osc_s, st->osc_cw, st->osc_sw, q_prev, q_cur, P, rr, n);
        if (!st->no_noise) {
            for (int i = 0; i < n; i++) nz[i] = nr_imp_noise(&st->rng);
            int b = 0;
#if defined(__ARM_NEON) && defined(__aarch64__)
            for (; b < NBP; b += 8) { /* NEON: the same operations, 4 lanes at a time */
                for (int h = 0; h < 8; h += 4) {
                    float32x4_t z1 = vld1q_f32(st->band_z1 + b + h), z2 = vld1q_f32(st->band_z2 + b + h);
                    const float32x4_t b0 = vld1q_f32(bands->b0 + b + h), a1 = vld1q_f32(bands->a1 + b + h);
                    const float32x4_t a2 = vld1q_f32(bands->a2 + b + h), nm = vld1q_f32(bands->norm + b + h);
                    const float32x4_t qp = vld1q_f32(q_prev + P + b + h);
                    const float32x4_t dq = vsubq_f32(vld1q_f32(q_cur + P + b + h), qp);
                    for (int i = 0; i < n; i++) {
                        const float32x4_t bx = vmulq_n_f32(b0, nz[i]);
                        const float32x4_t y = vaddq_f32(bx, z1);
                        z1 = vsubq_f32(z2, vmulq_f32(a1, y));
                        z2 = vsubq_f32(vnegq_f32(bx), vmulq_f32(a2, y));
                        float *ai = (float *)&acc[i] + h;
                        const float32x4_t g = vaddq_f32(qp, vmulq_n_f32(dq, rr[i]));
                        vst1q_f32(ai, vaddq_f32(vld1q_f32(ai), vmulq_f32(g, vmulq_f32(nm, y))));
                    }
                    vst1q_f32(st->band_z1 + b + h, z1);
                    vst1q_f32(st->band_z2 + b + h, z2);
                }
            }
#endif
            for (; b < NBP; b += 8) {
                nr_v8 z1 = nr_v8_load(st->band_z1 + b), z2 = nr_v8_load(st->band_z2 + b);
                nr_v8 b0 = nr_v8_load(bands->b0 + b), a1 = nr_v8_load(bands->a1 + b), a2 = nr_v8_load(bands->a2 + b);
                nr_v8 nm = nr_v8_load(bands->norm + b);
                nr_v8 qp = nr_v8_load(q_prev + P + b), dq = nr_v8_load(q_cur + P + b) - qp;
                for (int i = 0; i < n; i++) {
                    nr_v8 bx = b0 * nz[i];
                    nr_v8 y = bx + z1;
                    z1 = z2 - a1 * y;
                    z2 = -bx - a2 * y;
                    acc[i] += (qp + dq * rr[i]) * (nm * y);
                }
                nr_v8_store(st->band_z1 + b, z1);
                nr_v8_store(st->band_z2 + b, z2);
            }
        }
        float *o = out + (j - j0);
        nr_v8_hsum_add(o, acc, n);
        transient_add(hp, w, q0, st->sample, n, o);
        st->sample += n;
    }
}

#if NR_KBASE
void nr_imp_synth_render_ref(nr_imp_synth_state *st, const nr_imp_hparams *hp, const nr_imp_weights *w,
                             const nr_imp_bands *bands, const float *q_prev, const float *q_cur, const float *q0,
                             int j0, int j1, float *out)
{
    const float inv_hop = 1.0f / NR_IMP_HOP;
    int P = st->P, NBP = st->NBP;
    for (int j = j0; j < j1; j++) {
        float r = (float)(j + 1) * inv_hop;
        double y = 0.0;
        for (int p = 0; p < P; p++) {
            float c = st->osc_c[p], s = st->osc_s[p];
            float c2 = c * st->osc_cw[p] - s * st->osc_sw[p];
            s = c * st->osc_sw[p] + s * st->osc_cw[p];
            st->osc_c[p] = c2;
            st->osc_s[p] = s;
            y += (q_prev[p] + (q_cur[p] - q_prev[p]) * r) * s;
        }
        if (!st->no_noise) {
            float x = nr_imp_noise(&st->rng);
            for (int b = 0; b < NBP; b++) {
                float bx = bands->b0[b] * x, yb = bx + st->band_z1[b];
                st->band_z1[b] = st->band_z2[b] - bands->a1[b] * yb;
                st->band_z2[b] = -bx - bands->a2[b] * yb;
                y += (q_prev[P + b] + (q_cur[P + b] - q_prev[P + b]) * r) * (bands->norm[b] * yb);
            }
        }
        out[j - j0] += (float)y;
        transient_add(hp, w, q0, st->sample, 1, out + (j - j0));
        st->sample++;
    }
}

void nr_imp_synth_forward(const nr_imp_hparams *hp, const nr_imp_weights *w, const nr_imp_bands *bands,
                          nr_imp_synth_state *st, uint64_t seed, int no_noise, const float *q, int T, float *y)
{
    int Q = nr_imp_n_q(hp);
    nr_imp_synth_reset(st, seed, no_noise);
    memset(y, 0, (size_t)T * NR_IMP_HOP * sizeof(float));
    for (int t = 0; t < T; t++) {
        const float *qc = q + (size_t)t * Q, *qp = t > 0 ? qc - Q : qc;
        nr_imp_synth_begin_frame(st, hp, w, qc);
        nr_imp_synth_render(st, hp, w, bands, qp, qc, q, 0, NR_IMP_HOP, y + (size_t)t * NR_IMP_HOP);
    }
}

void nr_imp_synth_backward(const nr_imp_hparams *hp, const nr_imp_weights *w, const nr_imp_bands *bands,
                           nr_imp_synth_state *st, uint64_t seed, int no_noise, const float *q, int T,
                           const float *dy, float *dq, float *dtrans)
{
    const float inv_hop = 1.0f / NR_IMP_HOP;
    int Q = nr_imp_n_q(hp), P = st->P, NBP = st->NBP, TL = hp->trans_len, NT = hp->n_trans;
    int toff = P + NBP;
    float nz[NR_IMP_HOP];
    nr_imp_synth_reset(st, seed, no_noise);
    for (int t = 0; t < T; t++) {
        const float *qc = q + (size_t)t * Q;
        float *dqc = dq + (size_t)t * Q, *dqp = t > 0 ? dqc - Q : dqc;
        const float *g = dy + (size_t)t * NR_IMP_HOP;
        nr_imp_synth_begin_frame(st, hp, w, qc);
        /* 8 partials at a time with the forward's arithmetic, so the basis is the forward's bit for bit */
        for (int p = 0; p < P; p += 8) {
            nr_v8 c = nr_v8_load(st->osc_c + p), s = nr_v8_load(st->osc_s + p);
            nr_v8 cw = nr_v8_load(st->osc_cw + p), sw = nr_v8_load(st->osc_sw + p);
            nr_v8 gp = nr_v8_set1(0.0f), gc = gp;
            for (int j = 0; j < NR_IMP_HOP; j++) {
                float r = (float)(j + 1) * inv_hop;
                nr_v8 c2 = c * cw - s * sw;
                s = c * sw + s * cw;
                c = c2;
                nr_v8 gb = g[j] * s;
                gc += gb * r;
                gp += gb * (1.0f - r);
            }
            nr_v8_store(st->osc_c + p, c);
            nr_v8_store(st->osc_s + p, s);
            for (int k = 0; k < 8; k++) {
                dqc[p + k] += gc[k];
                dqp[p + k] += gp[k];
            }
        }
        if (!no_noise) {
            for (int j = 0; j < NR_IMP_HOP; j++) nz[j] = nr_imp_noise(&st->rng);
            for (int b = 0; b < NBP; b += 8) {
                nr_v8 z1 = nr_v8_load(st->band_z1 + b), z2 = nr_v8_load(st->band_z2 + b);
                nr_v8 b0 = nr_v8_load(bands->b0 + b), a1 = nr_v8_load(bands->a1 + b), a2 = nr_v8_load(bands->a2 + b);
                nr_v8 nm = nr_v8_load(bands->norm + b);
                nr_v8 gp = nr_v8_set1(0.0f), gc = gp;
                for (int j = 0; j < NR_IMP_HOP; j++) {
                    float r = (float)(j + 1) * inv_hop;
                    nr_v8 bx = b0 * nz[j];
                    nr_v8 y = bx + z1;
                    z1 = z2 - a1 * y;
                    z2 = -bx - a2 * y;
                    nr_v8 gb = g[j] * (nm * y);
                    gc += gb * r;
                    gp += gb * (1.0f - r);
                }
                nr_v8_store(st->band_z1 + b, z1);
                nr_v8_store(st->band_z2 + b, z2);
                for (int k = 0; k < 8; k++) {
                    dqc[P + b + k] += gc[k];
                    dqp[P + b + k] += gp[k];
                }
            }
        }
        long s0 = (long)t * NR_IMP_HOP;
        for (int jj = 0; jj < NT; jj++) {
            double gt = 0.0;
            for (int j = 0; j < NR_IMP_HOP && s0 + j < TL; j++) {
                gt += (double)g[j] * w->trans[(size_t)jj * TL + s0 + j];
                if (dtrans) dtrans[(size_t)jj * TL + s0 + j] += g[j] * q[toff + jj];
            }
            dq[toff + jj] += (float)gt; /* the transient's gains are frame 0's */
        }
    }
}

#define IMP_SYNTH_KERNELS(X)                                                                           \
    X(void, nr_imp_synth_render,                                                                       \
      (nr_imp_synth_state * st, const nr_imp_hparams *hp, const nr_imp_weights *w, const nr_imp_bands *bands, \
       const float *q_prev, const float *q_cur, const float *q0, int j0, int j1, float *out),          \
      (st, hp, w, bands, q_prev, q_cur, q0, j0, j1, out))
NR_DISPATCH(IMP_SYNTH_KERNELS)
#endif
