/* tanh(a) = -expm1(-2a) / (2 + expm1(-2a)) for a = |x|, sign restored. expm1 through a Cody-Waite
 * reduction u = n ln2 + r, |r| <= ln2/2, and a degree-7 Taylor polynomial of e^r - 1 (truncation
 * below 6e-9): no cancellation near 0, so the error stays near 1 ulp relative everywhere. Written with
 * GCC/Clang vector extensions, one register wide on each path (kernel_path.h): 16 lanes on AVX-512,
 * 8 on AVX2 (a 16-lane value would take two of its 16 registers and the polynomial would spill), 4 on
 * the baseline's SSE2; NEON has its own intrinsics below. Every lane does the same operations, so the
 * width changes no result; only contraction into FMAs (AVX2, AVX-512, NEON) does, within 1 ulp. */
#include "dsp/fast_tanh.h"
#include "core/kernel_path.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if NR_KPATH == NR_KPATH_AVX512
#define LANES 16
#elif NR_KPATH == NR_KPATH_AVX2
#define LANES 8
#else
#define LANES 4
#endif
typedef float vf __attribute__((vector_size(LANES * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(LANES * sizeof(int32_t))));

float NR_K(nr_tanh1)(float x); /* this path's kernel, for the tails */

/* Above this |x|, tanh(x) rounds to +-1 in float32. */
#define TANH_SAT 9.0f
#define LN2_HI 0.693145751953125f     /* ln 2 split so n * LN2_HI is exact for |n| < 2^11 */
#define LN2_LO 1.428606765330187e-06f
#define LOG2E 1.44269504088896341f
#define ROUND_MAGIC 12582912.0f       /* 1.5 * 2^23: adding and subtracting rounds to an integer */

/* Broadcast through vector-scalar arithmetic: folded to a constant even at -O1. */
#define vsplat(a) ((vf){0} + (float)(a))

/* Fused multiply-adds in the polynomial and the scaling (the build turns contraction off): fewer
 * operations and one rounding each. Clang: the pragma in tanh_vec. */
#if defined(__GNUC__) && !defined(__clang__)
#define CONTRACT __attribute__((optimize("fp-contract=fast")))
#else
#define CONTRACT
#endif

static inline __attribute__((always_inline)) CONTRACT vf tanh_vec(vf x)
{
#if defined(__clang__)
#pragma clang fp contract(fast)
#endif
    const vi sign_mask = (vi){0} + (int32_t)0x80000000u;
    vi xb = (vi)x;
    vi sign = xb & sign_mask;
    vf a = (vf)(xb & ~sign_mask);
    vi sat = a > vsplat(TANH_SAT);
    a = (vf)(((vi)a & ~sat) | ((vi)vsplat(TANH_SAT) & sat));
    vf u = a * vsplat(-2.0f);
    vf n = (u * vsplat(LOG2E) + vsplat(ROUND_MAGIC)) - vsplat(ROUND_MAGIC);
    vf r = (u - n * vsplat(LN2_HI)) - n * vsplat(LN2_LO);
    /* e^r - 1 = r + r^2 (1/2 + r (1/6 + r (1/24 + r (1/120 + r (1/720 + r / 5040))))) */
    vf p = vsplat(1.0f / 5040.0f);
    p = p * r + vsplat(1.0f / 720.0f);
    p = p * r + vsplat(1.0f / 120.0f);
    p = p * r + vsplat(1.0f / 24.0f);
    p = p * r + vsplat(1.0f / 6.0f);
    p = p * r + vsplat(0.5f);
    p = p * (r * r) + r;
    /* expm1(u) = 2^n (p + 1) - 1 = 2^n p + (2^n - 1), exact scaling; n in [-26, 0] */
    vi ni = __builtin_convertvector(n, vi);
    vf scale = (vf)((ni + 127) << 23);
    vf em1 = scale * p + (scale - vsplat(1.0f));
    vf t = (vsplat(0.0f) - em1) / (vsplat(2.0f) + em1); /* +0 for x = 0 */
    t = (vf)(((vi)t & ~sat) | ((vi)vsplat(1.0f) & sat));
    return (vf)((vi)t | sign);
}

#if NR_KPATH == NR_KPATH_NEON
#include <arm_neon.h>

/* NEON (aarch64): tanh_vec's operations, fused where GCC fuses them there, on 4 lanes. The 16-lane
 * generic vectors compile to 4 registers per value on NEON, and their masks and splats to about three
 * times as many instructions as this. */
static inline __attribute__((always_inline)) float32x4_t tanh_neon(float32x4_t x)
{
    const uint32x4_t sign = vandq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(0x80000000u));
    float32x4_t a = vabsq_f32(x);
    const uint32x4_t sat = vcgtq_f32(a, vdupq_n_f32(TANH_SAT));
    a = vbslq_f32(sat, vdupq_n_f32(TANH_SAT), a);
    const float32x4_t u = vmulq_f32(a, vdupq_n_f32(-2.0f));
    const float32x4_t magic = vdupq_n_f32(ROUND_MAGIC);
    const float32x4_t n = vsubq_f32(vfmaq_f32(magic, u, vdupq_n_f32(LOG2E)), magic);
    const float32x4_t r = vfmsq_f32(vfmsq_f32(u, n, vdupq_n_f32(LN2_HI)), n, vdupq_n_f32(LN2_LO));
    float32x4_t p = vdupq_n_f32(1.0f / 5040.0f);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 720.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 120.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 24.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 6.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(0.5f), p, r);
    p = vfmaq_f32(r, p, vmulq_f32(r, r));
    const int32x4_t ni = vcvtq_s32_f32(n); /* n is a whole number in [-26, 0] */
    const float32x4_t scale = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(ni, vdupq_n_s32(127)), 23));
    const float32x4_t one = vdupq_n_f32(1.0f), zero = vdupq_n_f32(0.0f);
    const float32x4_t em1 = vfmaq_f32(vsubq_f32(scale, one), scale, p);
    float32x4_t t = vdivq_f32(vsubq_f32(zero, em1), vaddq_f32(vdupq_n_f32(2.0f), em1)); /* +0 for x = 0 */
    t = vbslq_f32(sat, one, t);
    return vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(t), sign));
}

void NR_K(nr_tanh_inplace)(float *x, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        vst1q_f32(x + i, tanh_neon(vld1q_f32(x + i)));
        vst1q_f32(x + i + 4, tanh_neon(vld1q_f32(x + i + 4)));
    }
    for (; i < n; i++) x[i] = NR_K(nr_tanh1)(x[i]);
}

void NR_K(nr_tanh_residual)(const float *h, const float *y, const float *ctx, float *out, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(out + i, vaddq_f32(vaddq_f32(vld1q_f32(h + i), tanh_neon(vld1q_f32(y + i))), vld1q_f32(ctx + i)));
    for (; i < n; i++) out[i] = (h[i] + NR_K(nr_tanh1)(y[i])) + ctx[i];
}

float NR_K(nr_tanh1)(float x) { return vgetq_lane_f32(tanh_neon(vdupq_n_f32(x)), 0); }

#else
CONTRACT void NR_K(nr_tanh_inplace)(float *x, size_t n)
{
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        vf v;
        memcpy(&v, x + i, sizeof v);
        v = tanh_vec(v);
        memcpy(x + i, &v, sizeof v);
    }
    if (i < n) {
        vf v = vsplat(0.0f);
        memcpy(&v, x + i, (n - i) * sizeof(float));
        v = tanh_vec(v);
        memcpy(x + i, &v, (n - i) * sizeof(float));
    }
}

CONTRACT void NR_K(nr_tanh_residual)(const float *h, const float *y, const float *ctx, float *out, size_t n)
{
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        vf a, b, c;
        memcpy(&a, h + i, sizeof a);
        memcpy(&b, y + i, sizeof b);
        memcpy(&c, ctx + i, sizeof c);
        a = (a + tanh_vec(b)) + c;
        memcpy(out + i, &a, sizeof a);
    }
    for (; i < n; i++) out[i] = (h[i] + NR_K(nr_tanh1)(y[i])) + ctx[i];
}

CONTRACT float NR_K(nr_tanh1)(float x)
{
    vf v = vsplat(x);
    return tanh_vec(v)[0];
}
#endif

#if NR_KBASE
void nr_tanh_inplace_ref(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = tanhf(x[i]);
}

#define TANH_KERNELS(X)                                                                                \
    X(void, nr_tanh_inplace, (float *x, size_t n), (x, n))                                             \
    X(void, nr_tanh_residual, (const float *h, const float *y, const float *ctx, float *out, size_t n),    \
      (h, y, ctx, out, n))                                                                             \
    X(float, nr_tanh1, (float x), (x))
NR_DISPATCH(TANH_KERNELS)
#endif
