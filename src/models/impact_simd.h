/* Internal: 8-lane float vectors (GCC/Clang vector extension; AVX on x86, two NEON registers on ARM)
 * and the small kernels nr-impact-1 builds on. Lane-wise sums keep results independent of -ffast-math. */
#ifndef NR_IMPACT_SIMD_H
#define NR_IMPACT_SIMD_H

#include <math.h>
#include <stdint.h>
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

/* o[i] += nr_v8_hsum(acc[i]) for i < n, the same sums to the bit: eight vectors at a time go through a
 * transpose of three shuffle-and-add steps (v[k] + v[k + 4], then pairs, then the pair sums), in the
 * association nr_v8_hsum uses, instead of seven scalar adds each. NEON keeps the plain loop (GCC moves
 * 32-byte generic vectors through the stack there). */
static inline void nr_v8_hsum_add(float *o, const nr_v8 *acc, int n)
{
    int i = 0;
#if !(defined(__ARM_NEON) && defined(__aarch64__))
    for (; i + 8 <= n; i += 8) {
        const nr_v8 *v = acc + i;
        nr_v8 p[4], q[2];
        for (int k = 0; k < 4; k++) /* [a0+a4 .. a3+a7, b0+b4 .. b3+b7] of vectors a, b = 2k, 2k+1 */
            p[k] = __builtin_shufflevector(v[2 * k], v[2 * k + 1], 0, 1, 2, 3, 8, 9, 10, 11) +
                   __builtin_shufflevector(v[2 * k], v[2 * k + 1], 4, 5, 6, 7, 12, 13, 14, 15);
        for (int k = 0; k < 2; k++) /* [ (s0+s1), (s2+s3) ] of a, c, b, d in that order of lanes */
            q[k] = __builtin_shufflevector(p[2 * k], p[2 * k + 1], 0, 2, 8, 10, 4, 6, 12, 14) +
                   __builtin_shufflevector(p[2 * k], p[2 * k + 1], 1, 3, 9, 11, 5, 7, 13, 15);
        const nr_v8 r = __builtin_shufflevector(q[0], q[1], 0, 2, 8, 10, 4, 6, 12, 14) +
                        __builtin_shufflevector(q[0], q[1], 1, 3, 9, 11, 5, 7, 13, 15);
        /* r holds the sums of vectors 0, 2, 4, 6, 1, 3, 5, 7 */
        const nr_v8 h = __builtin_shufflevector(r, r, 0, 4, 1, 5, 2, 6, 3, 7);
        nr_v8_store(o + i, nr_v8_load(o + i) + h);
    }
#endif
    for (; i < n; i++) o[i] += nr_v8_hsum(acc[i]);
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

/* y (rows) = b (rows) + W (rows, n) x (n). Four rows at a time share the loads of x (eight independent
 * sums hide the adds' latency) and ask for the four rows after them ahead of use: the network's weights
 * outgrow a 512 KB L2, and the hardware prefetcher alone leaves the loads waiting. Each row's sum is
 * formed exactly as nr_imp_dot forms it (when n is a multiple of 16: a0 takes the blocks at 0, 16, ..,
 * a1 those at 8, 24, ..). */
static inline void nr_imp_matvec(float *y, const float *W, const float *x, const float *b, int rows, int n)
{
    int r = 0;
    if ((n & 15) == 0)
        for (; r + 4 <= rows; r += 4) {
            const float *w0 = W + (size_t)r * n, *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
            /* the next four rows (the last four ask for themselves, already loaded: no pointer past W) */
            const float *f0 = r + 8 <= rows ? w3 + n : w0, *f1 = f0 + n, *f2 = f1 + n, *f3 = f2 + n;
            nr_v8 a0 = nr_v8_set1(0.0f), a1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0, e0 = a0, e1 = a0;
            for (int i = 0; i < n; i += 16) {
                __builtin_prefetch(f0 + i);
                __builtin_prefetch(f1 + i);
                __builtin_prefetch(f2 + i);
                __builtin_prefetch(f3 + i);
                nr_v8 x0 = nr_v8_load(x + i), x1 = nr_v8_load(x + i + 8);
                a0 += nr_v8_load(w0 + i) * x0;
                a1 += nr_v8_load(w0 + i + 8) * x1;
                c0 += nr_v8_load(w1 + i) * x0;
                c1 += nr_v8_load(w1 + i + 8) * x1;
                d0 += nr_v8_load(w2 + i) * x0;
                d1 += nr_v8_load(w2 + i + 8) * x1;
                e0 += nr_v8_load(w3 + i) * x0;
                e1 += nr_v8_load(w3 + i + 8) * x1;
            }
            y[r] = (b ? b[r] : 0.0f) + nr_v8_hsum(a0 + a1);
            y[r + 1] = (b ? b[r + 1] : 0.0f) + nr_v8_hsum(c0 + c1);
            y[r + 2] = (b ? b[r + 2] : 0.0f) + nr_v8_hsum(d0 + d1);
            y[r + 3] = (b ? b[r + 3] : 0.0f) + nr_v8_hsum(e0 + e1);
        }
    /* the last rows (rows % 4; all when n is not a multiple of 16) one by one */
    for (; r < rows; r++) y[r] = (b ? b[r] : 0.0f) + nr_imp_dot(W + (size_t)r * n, x, n);
}
#endif

/* e^x and ln x on 8 lanes, for the network's activations (frame rate, training and voice alike): the
 * classic single-precision reductions with Cephes' published coefficients (e^x: n = round(x / ln 2), a
 * Cody-Waite split of ln 2, e^r = 1 + r + r^2 P(r) with P of degree 5 on |r| <= ln2/2; ln x: the mantissa
 * moved into [sqrt(1/2), sqrt(2)), ln(1 + f) = f - f^2/2 + f^3 Q(f) with Q of degree 8), within 2 ulp of
 * expf and logf (test_impact test_activations). Plain multiplies and adds (the build turns contraction off), so every path and
 * architecture gives the same bits, and a scalar call (one lane) the same as a batch. */
typedef int32_t nr_v8i __attribute__((vector_size(32)));

/* x kept in [lo, hi] lane by lane; NaN becomes hi */
static inline nr_v8 nr_v8_clamp(nr_v8 x, float lo, float hi)
{
    const nr_v8 h = nr_v8_set1(hi), l = nr_v8_set1(lo);
    x = (nr_v8)(((nr_v8i)x & (x <= h)) | ((nr_v8i)h & ~(x <= h)));
    return (nr_v8)(((nr_v8i)x & (x >= l)) | ((nr_v8i)l & ~(x >= l)));
}

static inline nr_v8 nr_v8_exp(nr_v8 x)
{
    /* 88: n at most 127, so the scale 2^n stays finite (e^88.7 would overflow float anyway) */
    x = nr_v8_clamp(x, -87.3365447505531f, 88.0f);
    const nr_v8 magic = nr_v8_set1(12582912.0f); /* 1.5 * 2^23: adding and subtracting rounds */
    const nr_v8 n = (x * nr_v8_set1(1.44269504088896341f) + magic) - magic;
    const nr_v8 r = (x - n * nr_v8_set1(0.693359375f)) + n * nr_v8_set1(2.12194440e-4f);
    nr_v8 y = nr_v8_set1(1.9875691500e-4f);
    y = y * r + nr_v8_set1(1.3981999507e-3f);
    y = y * r + nr_v8_set1(8.3334519073e-3f);
    y = y * r + nr_v8_set1(4.1665795894e-2f);
    y = y * r + nr_v8_set1(1.6666665459e-1f);
    y = y * r + nr_v8_set1(5.0000001201e-1f);
    y = (y * (r * r) + r) + nr_v8_set1(1.0f);
    const nr_v8i e = (__builtin_convertvector(n, nr_v8i) + 127) << 23; /* 2^n, n in -126..127 */
    return y * (nr_v8)e;
}

/* x > 0 and normal (the callers' arguments are) */
static inline nr_v8 nr_v8_log(nr_v8 x)
{
    const nr_v8i b = (nr_v8i)x;
    nr_v8 e = __builtin_convertvector((b >> 23) - 126, nr_v8);
    nr_v8 m = (nr_v8)((b & 0x807fffff) | 0x3f000000); /* [0.5, 1) */
    const nr_v8i small = m < nr_v8_set1(0.707106781186547524f);
    e -= (nr_v8)((nr_v8i)nr_v8_set1(1.0f) & small);
    m = (m - nr_v8_set1(1.0f)) + (nr_v8)((nr_v8i)m & small); /* 2m - 1 or m - 1: [-0.29, 0.41) */
    const nr_v8 z = m * m;
    nr_v8 y = nr_v8_set1(7.0376836292e-2f);
    y = y * m + nr_v8_set1(-1.1514610310e-1f);
    y = y * m + nr_v8_set1(1.1676998740e-1f);
    y = y * m + nr_v8_set1(-1.2420140846e-1f);
    y = y * m + nr_v8_set1(1.4249322787e-1f);
    y = y * m + nr_v8_set1(-1.6668057665e-1f);
    y = y * m + nr_v8_set1(2.0000714765e-1f);
    y = y * m + nr_v8_set1(-2.4999993993e-1f);
    y = y * m + nr_v8_set1(3.3333331174e-1f);
    y = y * m * z;
    y += e * nr_v8_set1(-2.12194440e-4f);
    y -= z * nr_v8_set1(0.5f);
    return (m + y) + e * nr_v8_set1(0.693359375f);
}

/* tanh = 1 - 2 / (e^2x + 1), +-1 beyond |x| 9; training and the voice both use these. */
static inline nr_v8 nr_v8_tanh(nr_v8 x)
{
    const nr_v8 t = nr_v8_set1(1.0f) - nr_v8_set1(2.0f) / (nr_v8_exp(x + x) + nr_v8_set1(1.0f));
    const nr_v8i over = x > nr_v8_set1(9.0f), under = x < nr_v8_set1(-9.0f);
    return (nr_v8)(((nr_v8i)t & ~(over | under)) | ((nr_v8i)nr_v8_set1(1.0f) & over) |
                   ((nr_v8i)nr_v8_set1(-1.0f) & under));
}

static inline float nr_imp_tanh(float x) { return nr_v8_tanh(nr_v8_set1(x))[0]; }

/* y (n) = tanh x (n), lane for lane the same as nr_imp_tanh */
static inline void nr_imp_tanh_n(float *y, const float *x, long n)
{
    long i = 0;
    for (; i + 8 <= n; i += 8) nr_v8_store(y + i, nr_v8_tanh(nr_v8_load(x + i)));
    for (; i < n; i++) y[i] = nr_imp_tanh(x[i]);
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
#if !(defined(__ARM_NEON) && defined(__aarch64__))
    /* Three vectors per pass where they fit: each rotator's chain (a multiply, then an add) is as long
     * as two vectors' arithmetic, so a third keeps the multipliers busy while the chains wait. Registers
     * spill to memory operands, which the loads absorb. Each lane adds g s in partial order, as below. */
    for (; p + 24 <= P; p += 24) {
        nr_v8 c0 = nr_v8_load(osc_c + p), s0 = nr_v8_load(osc_s + p);
        nr_v8 c1 = nr_v8_load(osc_c + p + 8), s1 = nr_v8_load(osc_s + p + 8);
        nr_v8 c2 = nr_v8_load(osc_c + p + 16), s2 = nr_v8_load(osc_s + p + 16);
        const nr_v8 cw0 = nr_v8_load(osc_cw + p), sw0 = nr_v8_load(osc_sw + p);
        const nr_v8 cw1 = nr_v8_load(osc_cw + p + 8), sw1 = nr_v8_load(osc_sw + p + 8);
        const nr_v8 cw2 = nr_v8_load(osc_cw + p + 16), sw2 = nr_v8_load(osc_sw + p + 16);
        const nr_v8 qp0 = nr_v8_load(q_prev + p), dq0 = nr_v8_load(q_cur + p) - qp0;
        const nr_v8 qp1 = nr_v8_load(q_prev + p + 8), dq1 = nr_v8_load(q_cur + p + 8) - qp1;
        const nr_v8 qp2 = nr_v8_load(q_prev + p + 16), dq2 = nr_v8_load(q_cur + p + 16) - qp2;
        for (int i = 0; i < n; i++) {
            const nr_v8 n0 = c0 * cw0 - s0 * sw0, n1 = c1 * cw1 - s1 * sw1, n2 = c2 * cw2 - s2 * sw2;
            s0 = c0 * sw0 + s0 * cw0;
            s1 = c1 * sw1 + s1 * cw1;
            s2 = c2 * sw2 + s2 * cw2;
            c0 = n0, c1 = n1, c2 = n2;
            acc[i] = ((acc[i] + (qp0 + dq0 * rr[i]) * s0) + (qp1 + dq1 * rr[i]) * s1) + (qp2 + dq2 * rr[i]) * s2;
        }
        nr_v8_store(osc_c + p, c0), nr_v8_store(osc_s + p, s0);
        nr_v8_store(osc_c + p + 8, c1), nr_v8_store(osc_s + p + 8, s1);
        nr_v8_store(osc_c + p + 16, c2), nr_v8_store(osc_s + p + 16, s2);
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
