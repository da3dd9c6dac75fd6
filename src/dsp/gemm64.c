#include "dsp/gemm64.h"
#include "core/kernel_path.h"

#include <string.h>

#if NR_KBASE

void nr_gemm_pack(const float *w, int n, int k, float *bt)
{
    for (int o = 0; o < n; o++)
        for (int i = 0; i < k; i++) bt[(size_t)i * n + o] = w[(size_t)o * k + i];
}

void nr_gemm64_pack(const float *w, int k, float *bt) { nr_gemm_pack(w, NR_GEMM64_N, k, bt); }

void nr_gemm64_ref(const float *a, size_t lda, int m, int k, const float *bt, float *c, size_t ldc)
{
    for (int t = 0; t < m; t++)
        for (int o = 0; o < NR_GEMM64_N; o++) {
            float acc = 0.0f;
            for (int i = 0; i < k; i++) acc += a[t * lda + i] * bt[(size_t)i * NR_GEMM64_N + o];
            c[t * ldc + o] = acc;
        }
}

#define GEMM_KERNELS(X)                                                                                \
    X(void, nr_gemm64, (const float *a, size_t lda, int m, int k, const float *bt, float *c, size_t ldc), \
      (a, lda, m, k, bt, c, ldc))                                                                      \
    X(void, nr_gemm16n,                                                                                \
      (const float *a, size_t lda, int m, int k, const float *bt, int n, float *c, size_t ldc),        \
      (a, lda, m, k, bt, n, c, ldc))
NR_DISPATCH(GEMM_KERNELS)
#endif

#if NR_KPATH == NR_KPATH_AVX512 || NR_KPATH == NR_KPATH_AVX2
#include <immintrin.h>

#if NR_KPATH == NR_KPATH_AVX512
typedef __m512 V;
#define VL 16
#define NV 4 /* vectors per tile: the tile is all 64 columns */
#define LD(p) _mm512_loadu_ps(p)
#define SET1(x) _mm512_set1_ps(x)
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define ST(p, v) _mm512_storeu_ps(p, v)
#define ZERO() _mm512_setzero_ps()
#else
typedef __m256 V;
#define VL 8
#define NV 2 /* 16 columns per tile: 12 accumulators + 2 weights + 1 broadcast fit 16 registers */
#define LD(p) _mm256_loadu_ps(p)
#define SET1(x) _mm256_set1_ps(x)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define ST(p, v) _mm256_storeu_ps(p, v)
#define ZERO() _mm256_setzero_ps()
#endif

/* R (<= 6) rows x W (NV or fewer) vectors of columns, both constants after inlining; bt row stride ldb */
static inline __attribute__((always_inline)) void tile(const int R, const int W, const float *a, size_t lda,
                                                        int k, const float *bt, size_t ldb, float *c, size_t ldc)
{
    V c00 = ZERO(), c01 = ZERO(), c02 = ZERO(), c03 = ZERO(), c10 = ZERO(), c11 = ZERO(), c12 = ZERO(),
      c13 = ZERO(), c20 = ZERO(), c21 = ZERO(), c22 = ZERO(), c23 = ZERO(), c30 = ZERO(), c31 = ZERO(),
      c32 = ZERO(), c33 = ZERO(), c40 = ZERO(), c41 = ZERO(), c42 = ZERO(), c43 = ZERO(), c50 = ZERO(),
      c51 = ZERO(), c52 = ZERO(), c53 = ZERO();
    const float *a1 = a + lda, *a2 = a1 + lda, *a3 = a2 + lda, *a4 = a3 + lda, *a5 = a4 + lda;
    for (int p = 0; p < k; p++) {
        const float *b = bt + (size_t)p * ldb;
        const V b0 = LD(b);
        V b1 = b0, b2 = b0, b3 = b0;
        if (W > 1) b1 = LD(b + VL);
        if (W > 2) b2 = LD(b + 2 * VL), b3 = LD(b + 3 * VL);
#define ROW(r, ar)                                                                                            \
    if (R > r) {                                                                                              \
        const V x = SET1(ar[p]);                                                                              \
        c##r##0 = FMA(x, b0, c##r##0);                                                                        \
        if (W > 1) c##r##1 = FMA(x, b1, c##r##1);                                                             \
        if (W > 2) c##r##2 = FMA(x, b2, c##r##2), c##r##3 = FMA(x, b3, c##r##3);                              \
    }
        ROW(0, a) ROW(1, a1) ROW(2, a2) ROW(3, a3) ROW(4, a4) ROW(5, a5)
#undef ROW
    }
#define OUT(r)                                                                                                \
    if (R > r) {                                                                                              \
        float *o = c + r * ldc;                                                                               \
        ST(o, c##r##0);                                                                                       \
        if (W > 1) ST(o + VL, c##r##1);                                                                       \
        if (W > 2) ST(o + 2 * VL, c##r##2), ST(o + 3 * VL, c##r##3);                                          \
    }
    OUT(0) OUT(1) OUT(2) OUT(3) OUT(4) OUT(5)
#undef OUT
    (void)c01, (void)c11, (void)c21, (void)c31, (void)c41, (void)c51, (void)c02, (void)c03, (void)c12, (void)c13, (void)c22, (void)c23, (void)c32, (void)c33, (void)c42,
        (void)c43, (void)c52, (void)c53;
}

/* Row strips outside, column tiles inside: a strip of 6 rows of a (k floats each) stays in L1 while every
 * column tile reads it, and bt (k x n) stays in L1 across strips; with the columns outside, a whole
 * panel of a (m x k, 64 KB at m = 256) was read from L2 once per column tile. */
static inline __attribute__((always_inline)) void run(const int W, const float *a, size_t lda, int m, int k,
                                                       const float *bt, int n, float *c, size_t ldc)
{
    int t = 0;
    for (; t + 6 <= m; t += 6)
        for (int j0 = 0; j0 < n; j0 += W * VL) tile(6, W, a + t * lda, lda, k, bt + j0, (size_t)n, c + t * ldc + j0, ldc);
    for (int j0 = 0; j0 < n; j0 += W * VL) {
        const float *b = bt + j0;
        switch (m - t) {
        case 5: tile(5, W, a + t * lda, lda, k, b, (size_t)n, c + t * ldc + j0, ldc); break;
        case 4: tile(4, W, a + t * lda, lda, k, b, (size_t)n, c + t * ldc + j0, ldc); break;
        case 3: tile(3, W, a + t * lda, lda, k, b, (size_t)n, c + t * ldc + j0, ldc); break;
        case 2: tile(2, W, a + t * lda, lda, k, b, (size_t)n, c + t * ldc + j0, ldc); break;
        case 1: tile(1, W, a + t * lda, lda, k, b, (size_t)n, c + t * ldc + j0, ldc); break;
        default: break;
        }
    }
}

void NR_K(nr_gemm64)(const float *a, size_t lda, int m, int k, const float *bt, float *c, size_t ldc)
{
    run(NV, a, lda, m, k, bt, NR_GEMM64_N, c, ldc);
}

void NR_K(nr_gemm16n)(const float *a, size_t lda, int m, int k, const float *bt, int n, float *c, size_t ldc)
{
    if (n == NR_GEMM64_N)
        run(NV, a, lda, m, k, bt, n, c, ldc);
    else
        run(16 / VL, a, lda, m, k, bt, n, c, ldc); /* 16-column tiles */
}

#elif NR_KPATH == NR_KPATH_NEON
#include <arm_neon.h>

/* NEON: tiles of R (<= 8) rows x 8 columns. 16 accumulators, one vector of a per row (4 steps of k,
 * used lane by lane) and the weight pairs fit the 32 registers; per 4 steps of k: 64 fmla, 8 loads of
 * a and 8 of b. Each output is one chain of fused multiply-adds in k order, as in the x86 kernels. */
static inline __attribute__((always_inline)) void tile_neon(const int R, const float *a, size_t lda, int k,
                                                             const float *bt, size_t ldb, float *c, size_t ldc)
{
    const float32x4_t z = vdupq_n_f32(0.0f);
    float32x4_t c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
    float32x4_t c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
    const float *a0 = a, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda, *a4 = a3 + lda, *a5 = a4 + lda,
                *a6 = a5 + lda, *a7 = a6 + lda;
    int p = 0;
#define FMA_LANE(r, l)                                                                                \
    if (R > r) c##r##0 = vfmaq_laneq_f32(c##r##0, b0, x##r, l), c##r##1 = vfmaq_laneq_f32(c##r##1, b1, x##r, l);
#define STEP(l)                                                                                       \
    {                                                                                                 \
        const float *bq = bt + (size_t)(p + l) * ldb;                                                 \
        const float32x4_t b0 = vld1q_f32(bq), b1 = vld1q_f32(bq + 4);                                 \
        FMA_LANE(0, l) FMA_LANE(1, l) FMA_LANE(2, l) FMA_LANE(3, l)                                   \
        FMA_LANE(4, l) FMA_LANE(5, l) FMA_LANE(6, l) FMA_LANE(7, l)                                   \
    }
#define LOADA(r, f) const float32x4_t x##r = R > r ? f(a##r) : z;
    for (; p + 4 <= k; p += 4) {
#define Q(ar) vld1q_f32(ar + p)
        LOADA(0, Q) LOADA(1, Q) LOADA(2, Q) LOADA(3, Q) LOADA(4, Q) LOADA(5, Q) LOADA(6, Q) LOADA(7, Q)
#undef Q
        STEP(0) STEP(1) STEP(2) STEP(3)
    }
    for (; p < k; p++) { /* the last k % 4 steps */
#define D(ar) vdupq_n_f32(ar[p])
        LOADA(0, D) LOADA(1, D) LOADA(2, D) LOADA(3, D) LOADA(4, D) LOADA(5, D) LOADA(6, D) LOADA(7, D)
#undef D
        const float *bq = bt + (size_t)p * ldb;
        const float32x4_t b0 = vld1q_f32(bq), b1 = vld1q_f32(bq + 4);
        FMA_LANE(0, 0) FMA_LANE(1, 0) FMA_LANE(2, 0) FMA_LANE(3, 0)
        FMA_LANE(4, 0) FMA_LANE(5, 0) FMA_LANE(6, 0) FMA_LANE(7, 0)
    }
#undef LOADA
#undef STEP
#undef FMA_LANE
#define OUT(r)                                                                                        \
    if (R > r) vst1q_f32(c + r * ldc, c##r##0), vst1q_f32(c + r * ldc + 4, c##r##1);
    OUT(0) OUT(1) OUT(2) OUT(3) OUT(4) OUT(5) OUT(6) OUT(7)
#undef OUT
}

static void run_neon(const float *a, size_t lda, int m, int k, const float *bt, int n, float *c, size_t ldc)
{
    for (int j0 = 0; j0 < n; j0 += 8) {
        const float *b = bt + j0;
        int t = 0;
        for (; t + 8 <= m; t += 8) tile_neon(8, a + t * lda, lda, k, b, (size_t)n, c + t * ldc + j0, ldc);
        const float *at = a + t * lda;
        float *ct = c + t * ldc + j0;
        switch (m - t) {
        case 7: tile_neon(7, at, lda, k, b, (size_t)n, ct, ldc); break;
        case 6: tile_neon(6, at, lda, k, b, (size_t)n, ct, ldc); break;
        case 5: tile_neon(5, at, lda, k, b, (size_t)n, ct, ldc); break;
        case 4: tile_neon(4, at, lda, k, b, (size_t)n, ct, ldc); break;
        case 3: tile_neon(3, at, lda, k, b, (size_t)n, ct, ldc); break;
        case 2: tile_neon(2, at, lda, k, b, (size_t)n, ct, ldc); break;
        case 1: tile_neon(1, at, lda, k, b, (size_t)n, ct, ldc); break;
        default: break;
        }
    }
}

void NR_K(nr_gemm64)(const float *a, size_t lda, int m, int k, const float *bt, float *c, size_t ldc)
{
    run_neon(a, lda, m, k, bt, NR_GEMM64_N, c, ldc);
}

void NR_K(nr_gemm16n)(const float *a, size_t lda, int m, int k, const float *bt, int n, float *c, size_t ldc)
{
    run_neon(a, lda, m, k, bt, n, c, ldc);
}

#else
#include <cblas.h>

void NR_K(nr_gemm64)(const float *a, size_t lda, int m, int k, const float *bt, float *c, size_t ldc)
{
    if (m > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, NR_GEMM64_N, k, 1.0f, a, (int)lda, bt,
                    NR_GEMM64_N, 0.0f, c, (int)ldc);
}

void NR_K(nr_gemm16n)(const float *a, size_t lda, int m, int k, const float *bt, int n, float *c, size_t ldc)
{
    if (m > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, (int)lda, bt, n, 0.0f, c,
                    (int)ldc);
}
#endif
