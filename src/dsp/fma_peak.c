#include "dsp/fma_peak.h"
#include "core/kernel_path.h"

#if NR_KPATH == NR_KPATH_AVX512
#include <immintrin.h>
typedef __m512 V;
#define LANES 16
#define CHAINS 16
#define SET1(x) _mm512_set1_ps(x)
#define MADD(c, a, b) _mm512_fmadd_ps(c, a, b)
#define SHAPE "16 chains x 16 lanes, FMA"
#elif NR_KPATH == NR_KPATH_AVX2
#include <immintrin.h>
typedef __m256 V;
#define LANES 8
#define CHAINS 12
#define SET1(x) _mm256_set1_ps(x)
#define MADD(c, a, b) _mm256_fmadd_ps(c, a, b)
#define SHAPE "12 chains x 8 lanes, FMA"
#elif NR_KPATH == NR_KPATH_NEON
#include <arm_neon.h>
typedef float32x4_t V;
#define LANES 4
#define CHAINS 16
#define SET1(x) vdupq_n_f32(x)
#define MADD(c, a, b) vfmaq_f32(b, c, a)
#define SHAPE "16 chains x 4 lanes, FMA"
#else
/* ISO C mode (-std=c11) keeps the multiply and the add apart: the baseline has no FMA to use. */
#define LANES 4
typedef float V __attribute__((vector_size(LANES * sizeof(float))));
#define CHAINS 12
#define SET1(x) ((V){0} + (x))
#define MADD(c, a, b) ((c) * (a) + (b))
#define SHAPE "12 chains x 4 lanes, multiply + add"
#endif

/* Named accumulators: an array would be kept in memory. */
#if CHAINS == 16
#define EACH(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#else
#define EACH(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#endif

#define PEAK_A 0.999999f /* c -> b / (1 - a) = 0.1: no overflow, no denormals */
#define PEAK_B 1e-7f
#define UNROLL 64

double NR_K(nr_fma_peak_run)(long reps)
{
    const V a = SET1(PEAK_A), b = SET1(PEAK_B);
#define DECL(i) V c##i = SET1((float)(i) * 1e-3f);
    EACH(DECL)
#undef DECL
    for (long r = 0; r < reps; r++) {
        for (int u = 0; u < UNROLL; u++) {
#define STEP(i) c##i = MADD(c##i, a, b);
            EACH(STEP)
#undef STEP
        }
    }
    V sum = SET1(0.0f);
#if NR_KPATH == NR_KPATH_NEON
#define ADD(i) sum = vaddq_f32(sum, c##i);
#else
#define ADD(i) sum = sum + c##i;
#endif
    EACH(ADD)
#undef ADD
    float keep_lanes[LANES];
    __builtin_memcpy(keep_lanes, &sum, sizeof keep_lanes);
    volatile float keep = keep_lanes[0]; /* the chains' results are used */
    (void)keep;
    return (double)reps * UNROLL * CHAINS * LANES * 2;
}

const char *NR_K(nr_fma_peak_shape)(void) { return SHAPE; }

#if NR_KBASE
#define PEAK_KERNELS(X)                                                                                \
    X(double, nr_fma_peak_run, (long reps), (reps))                                                   \
    X(const char *, nr_fma_peak_shape, (void), ())
NR_DISPATCH(PEAK_KERNELS)
#endif
