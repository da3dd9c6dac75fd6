/* Internal: 8-lane float vectors (GCC/Clang vector extension; AVX on x86, two NEON registers on ARM)
 * and the small kernels nr-impact-1 builds on. Lane-wise sums keep results independent of -ffast-math. */
#ifndef NR_IMPACT_SIMD_H
#define NR_IMPACT_SIMD_H

#include <math.h>
#include <string.h>

typedef float nr_v8 __attribute__((vector_size(32)));

static inline nr_v8 nr_v8_load(const float *p)
{
    nr_v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void nr_v8_store(float *p, nr_v8 v) { memcpy(p, &v, sizeof v); }
static inline nr_v8 nr_v8_set1(float x) { return (nr_v8){x, x, x, x, x, x, x, x}; }
static inline float nr_v8_hsum(nr_v8 v)
{
    return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

#if defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
/* NEON (aarch64): the same lane-wise sums on the two 4-lane halves of each 8-lane vector, in
 * registers (GCC moves 32-byte generic vectors through the stack there): equal results to the bit. */
typedef struct {
    float32x4_t lo, hi;
} nr_q8;
static inline nr_q8 nr_q8_load(const float *p) { return (nr_q8){vld1q_f32(p), vld1q_f32(p + 4)}; }
/* a + w x, lane by lane, multiply and add rounded apart as in the generic code */
static inline nr_q8 nr_q8_madd(nr_q8 a, nr_q8 w, nr_q8 x)
{
    return (nr_q8){vaddq_f32(a.lo, vmulq_f32(w.lo, x.lo)), vaddq_f32(a.hi, vmulq_f32(w.hi, x.hi))};
}
/* nr_v8_hsum of a + b */
static inline float nr_q8_hsum2(nr_q8 a, nr_q8 b)
{
    const float32x4_t s = vaddq_f32(vaddq_f32(a.lo, b.lo), vaddq_f32(a.hi, b.hi)); /* v[k] + v[k + 4] */
    return (vgetq_lane_f32(s, 0) + vgetq_lane_f32(s, 1)) + (vgetq_lane_f32(s, 2) + vgetq_lane_f32(s, 3));
}

static inline float nr_imp_dot(const float *wr, const float *x, int n)
{
    const float32x4_t z = vdupq_n_f32(0.0f);
    nr_q8 a0 = {z, z}, a1 = {z, z};
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = nr_q8_madd(a0, nr_q8_load(wr + i), nr_q8_load(x + i));
        a1 = nr_q8_madd(a1, nr_q8_load(wr + i + 8), nr_q8_load(x + i + 8));
    }
    for (; i + 8 <= n; i += 8) a0 = nr_q8_madd(a0, nr_q8_load(wr + i), nr_q8_load(x + i));
    float s = nr_q8_hsum2(a0, a1);
    for (; i < n; i++) s += wr[i] * x[i];
    return s;
}

static inline void nr_imp_matvec(float *y, const float *W, const float *x, const float *b, int rows, int n)
{
    int r = 0;
    if ((n & 15) == 0)
        for (; r + 2 <= rows; r += 2) {
            const float *w0 = W + (size_t)r * n, *w1 = w0 + n;
            const float32x4_t z = vdupq_n_f32(0.0f);
            nr_q8 a0 = {z, z}, a1 = a0, c0 = a0, c1 = a0;
            for (int i = 0; i < n; i += 16) {
                const nr_q8 x0 = nr_q8_load(x + i), x1 = nr_q8_load(x + i + 8);
                a0 = nr_q8_madd(a0, nr_q8_load(w0 + i), x0);
                a1 = nr_q8_madd(a1, nr_q8_load(w0 + i + 8), x1);
                c0 = nr_q8_madd(c0, nr_q8_load(w1 + i), x0);
                c1 = nr_q8_madd(c1, nr_q8_load(w1 + i + 8), x1);
            }
            y[r] = (b ? b[r] : 0.0f) + nr_q8_hsum2(a0, a1);
            y[r + 1] = (b ? b[r + 1] : 0.0f) + nr_q8_hsum2(c0, c1);
        }
    for (; r < rows; r++) y[r] = (b ? b[r] : 0.0f) + nr_imp_dot(W + (size_t)r * n, x, n);
}
#else
static inline float nr_imp_dot(const float *wr, const float *x, int n)
{
    nr_v8 a0 = nr_v8_set1(0.0f), a1 = a0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 += nr_v8_load(wr + i) * nr_v8_load(x + i);
        a1 += nr_v8_load(wr + i + 8) * nr_v8_load(x + i + 8);
    }
    for (; i + 8 <= n; i += 8) a0 += nr_v8_load(wr + i) * nr_v8_load(x + i);
    float s = nr_v8_hsum(a0 + a1);
    for (; i < n; i++) s += wr[i] * x[i];
    return s;
}

/* y (rows) = b (rows) + W (rows, n) x (n). Two rows at a time share the loads of x; each row's sum
 * is formed exactly as nr_imp_dot forms it. */
static inline void nr_imp_matvec(float *y, const float *W, const float *x, const float *b, int rows, int n)
{
    int r = 0;
    if ((n & 15) == 0)
        for (; r + 2 <= rows; r += 2) {
            const float *w0 = W + (size_t)r * n, *w1 = w0 + n;
            nr_v8 a0 = nr_v8_set1(0.0f), a1 = a0, c0 = a0, c1 = a0;
            for (int i = 0; i < n; i += 16) {
                nr_v8 x0 = nr_v8_load(x + i), x1 = nr_v8_load(x + i + 8);
                a0 += nr_v8_load(w0 + i) * x0;
                a1 += nr_v8_load(w0 + i + 8) * x1;
                c0 += nr_v8_load(w1 + i) * x0;
                c1 += nr_v8_load(w1 + i + 8) * x1;
            }
            y[r] = (b ? b[r] : 0.0f) + nr_v8_hsum(a0 + a1);
            y[r + 1] = (b ? b[r + 1] : 0.0f) + nr_v8_hsum(c0 + c1);
        }
    for (; r < rows; r++) y[r] = (b ? b[r] : 0.0f) + nr_imp_dot(W + (size_t)r * n, x, n);
}
#endif

/* tanh through one expf (1 - 2 / (e^2x + 1)): within a few float ulps of tanhf at a third of its
 * cost; training and the voice both use this one. */
static inline float nr_imp_tanh(float x)
{
    if (x > 9.0f) return 1.0f;
    if (x < -9.0f) return -1.0f;
    return 1.0f - 2.0f / (expf(2.0f * x) + 1.0f);
}

/* y (n) += a x (n) */
static inline void nr_imp_axpy(float *y, float a, const float *x, int n)
{
    nr_v8 av = nr_v8_set1(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) nr_v8_store(y + i, nr_v8_load(y + i) + av * nr_v8_load(x + i));
    for (; i < n; i++) y[i] += a * x[i];
}

/* The oscillator bank of nr-impact-1 and nr-impact-2 over one chunk of n samples: P recursive rotators
 * (cos c, sin s advanced by the frame's rotation cw, sw), each sin times its gain ramped from q_prev to
 * q_cur at the ramp positions rr (n), added lane-wise into acc (n). Two vectors of partials per pass
 * (four registers of state, two of gains, the rest for the rotation) fit AVX2's 16 registers. */
static inline void nr_imp_osc_chunk(nr_v8 *acc, float *osc_c, float *osc_s, const float *osc_cw, const float *osc_sw,
                                    const float *q_prev, const float *q_cur, int P, const float *rr, int n)
{
    int p = 0;
#if defined(__ARM_NEON) && defined(__aarch64__)
    /* NEON: 8 partials per pass in registers (16 would need more than its 32); acc[i] gets the
     * same additions in the same order as from the two-vector passes below. */
    for (; p < P; p += 8) {
        nr_q8 c = nr_q8_load(osc_c + p), s = nr_q8_load(osc_s + p);
        const nr_q8 cw = nr_q8_load(osc_cw + p), sw = nr_q8_load(osc_sw + p);
        const nr_q8 qp = nr_q8_load(q_prev + p), qc = nr_q8_load(q_cur + p);
        const nr_q8 dq = {vsubq_f32(qc.lo, qp.lo), vsubq_f32(qc.hi, qp.hi)};
        for (int i = 0; i < n; i++) {
            const float32x4_t c2l = vsubq_f32(vmulq_f32(c.lo, cw.lo), vmulq_f32(s.lo, sw.lo));
            const float32x4_t c2h = vsubq_f32(vmulq_f32(c.hi, cw.hi), vmulq_f32(s.hi, sw.hi));
            s.lo = vaddq_f32(vmulq_f32(c.lo, sw.lo), vmulq_f32(s.lo, cw.lo));
            s.hi = vaddq_f32(vmulq_f32(c.hi, sw.hi), vmulq_f32(s.hi, cw.hi));
            c.lo = c2l, c.hi = c2h;
            float *ai = (float *)&acc[i];
            const float32x4_t gl = vaddq_f32(qp.lo, vmulq_n_f32(dq.lo, rr[i]));
            const float32x4_t gh = vaddq_f32(qp.hi, vmulq_n_f32(dq.hi, rr[i]));
            vst1q_f32(ai, vaddq_f32(vld1q_f32(ai), vmulq_f32(gl, s.lo)));
            vst1q_f32(ai + 4, vaddq_f32(vld1q_f32(ai + 4), vmulq_f32(gh, s.hi)));
        }
        vst1q_f32(osc_c + p, c.lo), vst1q_f32(osc_c + p + 4, c.hi);
        vst1q_f32(osc_s + p, s.lo), vst1q_f32(osc_s + p + 4, s.hi);
    }
#endif
    for (; p + 16 <= P; p += 16) { /* two vectors of partials per pass over the chunk */
        nr_v8 c = nr_v8_load(osc_c + p), s = nr_v8_load(osc_s + p);
        nr_v8 cw = nr_v8_load(osc_cw + p), sw = nr_v8_load(osc_sw + p);
        nr_v8 qp = nr_v8_load(q_prev + p), dq = nr_v8_load(q_cur + p) - qp;
        nr_v8 c_ = nr_v8_load(osc_c + p + 8), s_ = nr_v8_load(osc_s + p + 8);
        nr_v8 cw_ = nr_v8_load(osc_cw + p + 8), sw_ = nr_v8_load(osc_sw + p + 8);
        nr_v8 qp_ = nr_v8_load(q_prev + p + 8), dq_ = nr_v8_load(q_cur + p + 8) - qp_;
        for (int i = 0; i < n; i++) {
            nr_v8 c2 = c * cw - s * sw;
            s = c * sw + s * cw;
            c = c2;
            nr_v8 c2_ = c_ * cw_ - s_ * sw_;
            s_ = c_ * sw_ + s_ * cw_;
            c_ = c2_;
            acc[i] = (acc[i] + (qp + dq * rr[i]) * s) + (qp_ + dq_ * rr[i]) * s_;
        }
        nr_v8_store(osc_c + p, c);
        nr_v8_store(osc_s + p, s);
        nr_v8_store(osc_c + p + 8, c_);
        nr_v8_store(osc_s + p + 8, s_);
    }
    for (; p < P; p += 8) {
        nr_v8 c = nr_v8_load(osc_c + p), s = nr_v8_load(osc_s + p);
        nr_v8 cw = nr_v8_load(osc_cw + p), sw = nr_v8_load(osc_sw + p);
        nr_v8 qp = nr_v8_load(q_prev + p), dq = nr_v8_load(q_cur + p) - qp;
        for (int i = 0; i < n; i++) {
            nr_v8 c2 = c * cw - s * sw;
            s = c * sw + s * cw;
            c = c2;
            acc[i] += (qp + dq * rr[i]) * s;
        }
        nr_v8_store(osc_c + p, c);
        nr_v8_store(osc_s + p, s);
    }
}

#endif
