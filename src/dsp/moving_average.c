#include "dsp/moving_average.h"
#include "core/kernel_path.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if NR_KPATH == NR_KPATH_AVX512 || NR_KPATH == NR_KPATH_AVX2
#include <immintrin.h>
#endif
#if NR_KPATH == NR_KPATH_NEON
#include <arm_neon.h>
#endif

/* Vectors of one register of the path (kernel_path.h); a tile of the exact sums is QW windows x one
 * vector of channels: QW accumulators, the row load and the weight fit the registers (AVX-512: 16 + 2
 * of 32; AVX2 and SSE2: 12 + 2 of 16), and the tile's column of the ring (win + QW rows of one vector)
 * stays in the L1 cache while the next tiles of the same channels walk it. Every lane adds the same rows
 * in the same order on every path: equal results. */
#if NR_KPATH == NR_KPATH_AVX512
#define LANES 16
#define QW 16
#elif NR_KPATH == NR_KPATH_AVX2
#define LANES 8
#define QW 12
#else
#define LANES 4
#define QW 12
#endif
typedef float vf __attribute__((vector_size(LANES * sizeof(float))));
/* The ring's row stride is a multiple of this on every path (the same memory layout whichever runs);
 * a multiple of every path's LANES. */
#define CS_ROUND 16

/* Outputs for the windows ending at rows e0 .. e0+m-1 (all pushed), into y (m, ch): the dispatched kernel. */
void nr_ma_exact_outputs(const nr_ma_stream *s, long e0, int m, float *y);

static long clampl(long i, long n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

#if NR_KBASE
float nr_ma_uniform_weight(const float *w, int n)
{
    for (int j = 1; j < n; j++)
        if (w[j] != w[0]) return 0.0f;
    return w[0];
}

void nr_ma_replicate_ref(const float *x, long n, long xs, const float *w, int win, float *y, long ys)
{
    const long left = (win - 1) / 2;
    for (long s = 0; s < n; s++) {
        float acc = 0.0f;
        for (int j = 0; j < win; j++) acc += w[j] * x[clampl(s + j - left, n) * xs];
        y[s * ys] = acc;
    }
}

#endif

int NR_K(nr_ma_replicate)(const float *x, long n, long xs, const float *w, int win, float *y, long ys)
{
    const long left = (win - 1) / 2;
    /* padded copy: xp[i] = x[clamp(i - left)], i < n + win - 1, plus room for a whole last vector */
    const long np = n + win - 1 + LANES;
    float *xp = malloc((size_t)np * sizeof(float));
    if (!xp) return 0;
    for (long i = 0; i < np; i++) xp[i] = x[clampl(i - left, n) * xs];
    for (long s = 0; s < n; s += LANES) {
        vf acc = {0};
        for (int j = 0; j < win; j++) {
            vf v;
            memcpy(&v, xp + s + j, sizeof v);
            acc += w[j] * v;
        }
        for (int l = 0; l < LANES && s + l < n; l++) y[(s + l) * ys] = acc[l];
    }
    free(xp);
    return 1;
}

#if NR_KBASE
int nr_ma_replicate_fast(const float *x, long n, long xs, const float *w, int win, float *y, long ys)
{
    const float wu = nr_ma_uniform_weight(w, win);
    if (wu == 0.0f) return nr_ma_replicate(x, n, xs, w, win, y, ys);
    const long left = (win - 1) / 2;
    double sum = 0.0;
    for (long j = 0; j < win; j++) sum += x[clampl(j - left, n) * xs];
    for (long s = 0; s < n; s++) {
        y[s * ys] = (float)(sum * wu);
        sum += (double)x[clampl(s + win - left, n) * xs] - (double)x[clampl(s - left, n) * xs];
    }
    return 1;
}

static int ring_rows(int win) { return win + NR_MA_BATCH; }

size_t nr_ma_stream_bytes(int ch, int win)
{
    const size_t cs = ((size_t)ch + CS_ROUND - 1) / CS_ROUND * CS_ROUND, tail = (size_t)ch % CS_ROUND;
    return (size_t)ch * sizeof(double) + (cs * ring_rows(win) + ch + tail * 2 * ring_rows(win)) * sizeof(float);
}

void nr_ma_stream_init(nr_ma_stream *s, int ch, int win, const float *w, int exact, void *mem)
{
    s->ch = ch;
    s->cs = (ch + CS_ROUND - 1) / CS_ROUND * CS_ROUND;
    s->win = win;
    s->rows = ring_rows(win);
    s->left = (win - 1) / 2;
    s->exact = exact;
    s->wu = nr_ma_uniform_weight(w, ch * win);
    int e;
    s->pow2 = s->wu > 0.0f && frexpf(s->wu, &e) == 0.5f;
    s->w = w;
    s->sum = mem;
    s->ring = (float *)(s->sum + ch);
    s->last = s->ring + (size_t)s->cs * s->rows;
    /* the time-ordered copy serves only the exact equal-weight tiles (nr_ma_exact_outputs) */
    s->tail0 = exact && s->wu != 0.0f ? ch / CS_ROUND * CS_ROUND : ch;
    s->tcol = s->last + ch;
    nr_ma_stream_reset(s);
}

void nr_ma_stream_reset(nr_ma_stream *s)
{
    memset(s->sum, 0, (size_t)s->ch * sizeof(double));
    memset(s->ring, 0, ((size_t)s->cs * s->rows + s->ch + (size_t)(s->ch - s->tail0) * 2 * s->rows) * sizeof(float));
    s->count = 0;
}

static float *ring_row(const nr_ma_stream *s, long a) { return s->ring + (size_t)(a % s->rows) * s->cs; }

static int running(const nr_ma_stream *s) { return !s->exact && s->wu != 0.0f; }

static void push_row(nr_ma_stream *s, const float *x)
{
    float *slot = ring_row(s, s->count);
    if (running(s)) {
        if (s->count >= s->win) {
            const float *old = ring_row(s, s->count - s->win);
            for (int c = 0; c < s->ch; c++) s->sum[c] += (double)x[c] - (double)old[c];
        } else {
            for (int c = 0; c < s->ch; c++) s->sum[c] += x[c];
        }
    }
    memcpy(slot, x, (size_t)s->ch * sizeof(float));
    const long at = s->count % s->rows;
    for (int c = s->tail0; c < s->ch; c++) {
        float *col = s->tcol + (size_t)(c - s->tail0) * 2 * s->rows;
        col[at] = col[at + s->rows] = x[c];
    }
    s->count++;
}

static void direct_output(const nr_ma_stream *s, long e, float *y)
{
    for (int c = 0; c < s->ch; c++) y[c] = 0.0f;
    for (int j = 0; j < s->win; j++) {
        const float *row = ring_row(s, e - s->win + 1 + j);
        for (int c = 0; c < s->ch; c++) y[c] += s->w[(size_t)c * s->win + j] * row[c];
    }
}

/* Push n rows (x (n, ch), or copies of the last row when x is NULL); outputs into y (n, ch). */
static int push_rows(nr_ma_stream *s, const float *x, int n, float *y)
{
    int out = 0;
    long first = -1;
    for (int i = 0; i < n; i++) {
        const float *row = x ? x + (size_t)i * s->ch : s->last;
        if (s->count == 0)
            for (int j = 0; j < s->left; j++) push_row(s, row); /* replicate padding on the left */
        push_row(s, row);
        if (x) memcpy(s->last, row, (size_t)s->ch * sizeof(float));
        if (s->count < s->win) continue;
        if (running(s)) {
            for (int c = 0; c < s->ch; c++) y[(size_t)out * s->ch + c] = (float)(s->sum[c] * s->wu);
        } else if (s->wu == 0.0f) {
            direct_output(s, s->count - 1, y + (size_t)out * s->ch);
        } else if (first < 0) {
            first = s->count - 1;
        }
        out++;
    }
    if (first >= 0) nr_ma_exact_outputs(s, first, out, y);
    return out;
}

int nr_ma_stream_push(nr_ma_stream *s, const float *x, float *y) { return push_rows(s, x, 1, y); }

int nr_ma_stream_push_last(nr_ma_stream *s, float *y) { return push_rows(s, NULL, 1, y); }

int nr_ma_stream_push_n(nr_ma_stream *s, const float *x, int n, float *y)
{
    return push_rows(s, x, n < NR_MA_BATCH ? n : NR_MA_BATCH, y);
}

int nr_ma_stream_push_last_n(nr_ma_stream *s, int n, float *y)
{
    return push_rows(s, NULL, n < NR_MA_BATCH ? n : NR_MA_BATCH, y);
}

#define MA_KERNELS(X)                                                                                  \
    X(int, nr_ma_replicate, (const float *x, long n, long xs, const float *w, int win, float *y, long ys), \
      (x, n, xs, w, win, y, ys))                                                                       \
    X(void, nr_ma_exact_outputs, (const nr_ma_stream *s, long e0, int m, float *y), (s, e0, m, y))
NR_DISPATCH(MA_KERNELS)
#endif

/* Equal weights in PyTorch's order: y_b[c] = sum over the window's rows, oldest first, of wu row[c],
 * for several windows (ending at rows e0, e0+1, ...) at once. Each vector lane accumulates one channel of
 * one window sequentially (or, for the tail channels, one window of one channel); the independent chains
 * overlap in the pipeline and share the row loads. With a power-of-two weight the scaling is exact, so it
 * is applied once at the end. QB: windows per tile of the short-window and NEON tiles. */
#define QB 4

/* acc + v rounded once, as fma(v, 1, acc): the same value, but it runs on the multiply-add units, so
 * half the windows' sums no longer queue for the adders (the kernel is bound by additions). */
static inline vf add_on_fma(vf acc, vf v)
{
#if NR_KPATH == NR_KPATH_AVX512
    return (vf)_mm512_fmadd_ps((__m512)v, _mm512_set1_ps(1.0f), (__m512)acc);
#elif NR_KPATH == NR_KPATH_AVX2
    return (vf)_mm256_fmadd_ps((__m256)v, _mm256_set1_ps(1.0f), (__m256)acc);
#else
    return acc + v;
#endif
}

static inline vf load_scaled(const float *p, vf wu, int pow2)
{
    vf v;
    memcpy(&v, p, sizeof v);
    return pow2 ? v : wu * v;
}

/* acc + v for window b of a tile: every other window on the multiply-add units (add_on_fma) */
static inline __attribute__((always_inline)) vf win_add(vf acc, vf v, int b)
{
    return b & 1 ? add_on_fma(acc, v) : acc + v;
}

/* The next row of the ring's column [base, end), wrapping at its end. */
static inline const float *ring_next(const float *p, size_t cs, const float *base, const float *end)
{
    p += cs;
    return p == end ? base : p;
}

/* QW windows ending at rows e0 .. e0+QW-1, one vector of channels from c0, into out (QW, LANES). The
 * row loop is split where windows start and end, so the inner loop has no tests; rows walked by pointer,
 * wrapping at the ring's end. Needs win >= QW - 1. */
static inline __attribute__((always_inline)) void winq_of(const nr_ma_stream *s, long e0, int c0, const int pow2,
                                                           float *out)
{
    const int win = s->win, rows = s->rows;
    const size_t cs = (size_t)s->cs;
    const vf wu = (vf){0} + s->wu;
    vf acc[QW];
    const float *base = s->ring + c0, *end = base + (size_t)rows * cs;
    const long a = e0 - win + 1;
    const float *p = base + (size_t)(((a % rows) + rows) % rows) * cs;
#pragma GCC unroll 16
    for (int b = 0; b < QW; b++) acc[b] = (vf){0};
#pragma GCC unroll 16
    for (int k = 0; k < QW - 1; k++) { /* row k: windows 0 .. k have started */
        const vf v = load_scaled(p, wu, pow2);
        p = ring_next(p, cs, base, end);
#pragma GCC unroll 16
        for (int b = 0; b <= k; b++) acc[b] = win_add(acc[b], v, b);
    }
    for (int k = QW - 1; k < win; k++) {
        const vf v = load_scaled(p, wu, pow2);
        p = ring_next(p, cs, base, end);
#pragma GCC unroll 16
        for (int b = 0; b < QW; b++) acc[b] = win_add(acc[b], v, b);
    }
#pragma GCC unroll 16
    for (int k = 0; k < QW - 1; k++) { /* row win + k: windows 0 .. k have ended */
        const vf v = load_scaled(p, wu, pow2);
        p = ring_next(p, cs, base, end);
#pragma GCC unroll 16
        for (int b = k + 1; b < QW; b++) acc[b] = win_add(acc[b], v, b);
    }
    memcpy(out, acc, sizeof acc);
}

/* the weight test hoisted out of the row loop */
static void winq(const nr_ma_stream *s, long e0, int c0, float *out)
{
    if (s->pow2)
        winq_of(s, e0, c0, 1, out);
    else
        winq_of(s, e0, c0, 0, out);
}

/* Tail channel tail0 + t, TG groups of LANES windows (those ending at e0 .. e0 + TG LANES - 1), from its
 * time-ordered copy: lane l of group g sums its window's rows oldest first, as the tiles do. The groups
 * are independent chains; windows past the last pushed row read older rows and are discarded. */
#define TG 4
static void tail_windows(const nr_ma_stream *s, int t, long e0, float *out /* (TG LANES) */)
{
    const int win = s->win, rows = s->rows, pow2 = s->pow2;
    const vf wu = (vf){0} + s->wu;
    const long a = e0 - win + 1;
    /* a mod rows + win + TG LANES <= 2 rows: every read is inside the doubled column */
    const float *p = s->tcol + (size_t)t * 2 * rows + ((a % rows) + rows) % rows;
    vf g0 = {0}, g1 = {0}, g2 = {0}, g3 = {0};
    for (int j = 0; j < win; j++, p++) {
        g0 += load_scaled(p, wu, pow2);
        g1 = add_on_fma(g1, load_scaled(p + LANES, wu, pow2));
        g2 += load_scaled(p + 2 * LANES, wu, pow2);
        g3 = add_on_fma(g3, load_scaled(p + 3 * LANES, wu, pow2));
    }
    const vf all[TG] = {g0, g1, g2, g3};
    memcpy(out, all, sizeof all);
}

/* 4 windows x 1 vector (LANES channels from c0), for windows shorter than a QW tile needs */
static void win4x1(const nr_ma_stream *s, long e0, int c0, float *out /* (QB, LANES) */)
{
    const int win = s->win, rows = s->rows, cs = s->cs, pow2 = s->pow2;
    const vf wu = (vf){0} + s->wu;
    vf a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    const long a = e0 - win + 1;
    int r = (int)(((a % rows) + rows) % rows);
    for (int k = 0; k < win + QB - 1; k++) {
        const vf v = load_scaled(s->ring + (size_t)r * cs + c0, wu, pow2);
        if (k < win) a0 += v;
        if (k >= 1 && k - 1 < win) a1 += v;
        if (k >= 2 && k - 2 < win) a2 = add_on_fma(a2, v);
        if (k >= 3) a3 = add_on_fma(a3, v);
        if (++r == rows) r = 0;
    }
    const vf all[QB] = {a0, a1, a2, a3};
    memcpy(out, all, sizeof all);
}

#if NR_KPATH == NR_KPATH_NEON
/* NEON (aarch64; ARMv7 NEON flushes denormals, so not there): the same sums, oldest row first, in two tiles that fit its 32 128-bit registers
 * (the 4 x 64 tile above would need 64): 4 windows x 16 channels (16 accumulators + 4 row loads) and
 * 4 windows x 4 channels for the last few. The row loop is split where windows start and end, so the
 * inner loop has no tests; rows are walked by pointer, wrapping at the ring's end. Needs win >= 3. */
static inline __attribute__((always_inline)) float32x4_t ld_scaled(const float *p, float32x4_t wu, const int pow2)
{
    const float32x4_t v = vld1q_f32(p);
    return pow2 ? v : vmulq_f32(wu, v);
}

#define NEON_ROW16                                                                                     \
    const float32x4_t v0 = ld_scaled(p, wu, pow2), v1 = ld_scaled(p + 4, wu, pow2);                    \
    const float32x4_t v2 = ld_scaled(p + 8, wu, pow2), v3 = ld_scaled(p + 12, wu, pow2);               \
    p = ring_next(p, cs, base, end);
#define NEON_ACC16(b)                                                                                  \
    a##b##0 = vaddq_f32(a##b##0, v0), a##b##1 = vaddq_f32(a##b##1, v1), a##b##2 = vaddq_f32(a##b##2, v2), \
    a##b##3 = vaddq_f32(a##b##3, v3)

static inline __attribute__((always_inline)) void win4x16_neon(const nr_ma_stream *s, long e0, int c0, const int pow2,
                                                                float *out /* (QB, 16) */)
{
    const int win = s->win, rows = s->rows;
    const size_t cs = (size_t)s->cs;
    const float32x4_t wu = vdupq_n_f32(s->wu), z = vdupq_n_f32(0.0f);
    float32x4_t a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
    float32x4_t a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
    const float *base = s->ring + c0, *end = base + (size_t)rows * cs;
    const long a = e0 - win + 1;
    const float *p = base + (size_t)(((a % rows) + rows) % rows) * cs;
    { NEON_ROW16 NEON_ACC16(0); }                               /* row 0: window 0 starts */
    { NEON_ROW16 NEON_ACC16(0); NEON_ACC16(1); }                /* row 1: window 1 starts */
    { NEON_ROW16 NEON_ACC16(0); NEON_ACC16(1); NEON_ACC16(2); } /* row 2: window 2 starts */
    for (int k = 3; k < win; k++) {
        NEON_ROW16 NEON_ACC16(0); NEON_ACC16(1); NEON_ACC16(2); NEON_ACC16(3);
    }
    { NEON_ROW16 NEON_ACC16(1); NEON_ACC16(2); NEON_ACC16(3); } /* row win: window 0 has ended */
    { NEON_ROW16 NEON_ACC16(2); NEON_ACC16(3); }
    { NEON_ROW16 NEON_ACC16(3); }
    const float32x4_t all[QB * 4] = {a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33};
    for (int i = 0; i < QB * 4; i++) vst1q_f32(out + 4 * i, all[i]);
}

static inline __attribute__((always_inline)) void win4x4_neon(const nr_ma_stream *s, long e0, int c0, const int pow2,
                                                               float *out /* (QB, 4) */)
{
    const int win = s->win, rows = s->rows;
    const size_t cs = (size_t)s->cs;
    const float32x4_t wu = vdupq_n_f32(s->wu), z = vdupq_n_f32(0.0f);
    float32x4_t a0 = z, a1 = z, a2 = z, a3 = z;
    const float *base = s->ring + c0, *end = base + (size_t)rows * cs;
    const long a = e0 - win + 1;
    const float *p = base + (size_t)(((a % rows) + rows) % rows) * cs;
#define ROW4                                                                                           \
    const float32x4_t v = ld_scaled(p, wu, pow2);                                                      \
    p = ring_next(p, cs, base, end);
    { ROW4 a0 = vaddq_f32(a0, v); }
    { ROW4 a0 = vaddq_f32(a0, v), a1 = vaddq_f32(a1, v); }
    { ROW4 a0 = vaddq_f32(a0, v), a1 = vaddq_f32(a1, v), a2 = vaddq_f32(a2, v); }
    for (int k = 3; k < win; k++) {
        ROW4 a0 = vaddq_f32(a0, v), a1 = vaddq_f32(a1, v), a2 = vaddq_f32(a2, v), a3 = vaddq_f32(a3, v);
    }
    { ROW4 a1 = vaddq_f32(a1, v), a2 = vaddq_f32(a2, v), a3 = vaddq_f32(a3, v); }
    { ROW4 a2 = vaddq_f32(a2, v), a3 = vaddq_f32(a3, v); }
    { ROW4 a3 = vaddq_f32(a3, v); }
#undef ROW4
    vst1q_f32(out, a0), vst1q_f32(out + 4, a1), vst1q_f32(out + 8, a2), vst1q_f32(out + 12, a3);
}

/* One tile, with the weight test hoisted out of the row loop. */
static void tile_neon(const nr_ma_stream *s, long e0, int c0, int w, float *out)
{
    if (w == 16) {
        if (s->pow2) win4x16_neon(s, e0, c0, 1, out);
        else win4x16_neon(s, e0, c0, 0, out);
    } else {
        if (s->pow2) win4x4_neon(s, e0, c0, 1, out);
        else win4x4_neon(s, e0, c0, 0, out);
    }
}
#endif

void NR_K(nr_ma_exact_outputs)(const nr_ma_stream *s, long e0, int m, float *y)
{
#if NR_KPATH == NR_KPATH_NEON
    if (s->win >= 3) {
        const int ch = s->ch;
        const float scale = s->pow2 ? s->wu : 1.0f;
        float buf[QB * 16];
        for (int q = 0; q < m; q += QB)
            for (int c0 = 0; c0 < ch;) {
                const int w = ch - c0 > 12 ? 16 : 4; /* c0 + 16 <= cs: cs is ch rounded up to 16 */
                tile_neon(s, e0 + q, c0, w, buf);
                for (int b = 0; b < QB && q + b < m; b++)
                    for (int l = 0; l < w && c0 + l < ch; l++) y[(size_t)(q + b) * ch + c0 + l] = buf[b * w + l] * scale;
                c0 += w;
            }
        return;
    }
#endif
    const int ch = s->ch;
    const float scale = s->pow2 ? s->wu : 1.0f;
    if (s->win < QW - 1) { /* short windows: 4 at a time, every channel from the ring */
        float buf[QB * LANES];
        for (int q = 0; q < m; q += QB)
            for (int c0 = 0; c0 < ch; c0 += LANES) {
                win4x1(s, e0 + q, c0, buf);
                for (int b = 0; b < QB && q + b < m; b++)
                    for (int l = 0; l < LANES && c0 + l < ch; l++)
                        y[(size_t)(q + b) * ch + c0 + l] = buf[b * LANES + l] * scale;
            }
        return;
    }
    float buf[QW * LANES];
    for (int c0 = 0; c0 < s->tail0; c0 += LANES) /* a column of channels, its windows in tiles */
        for (int q = 0; q < m; q += QW) {
            winq(s, e0 + q, c0, buf);
            for (int b = 0; b < QW && q + b < m; b++)
                for (int l = 0; l < LANES; l++) y[(size_t)(q + b) * ch + c0 + l] = buf[b * LANES + l] * scale;
        }
    for (int c = s->tail0; c < ch; c++) /* the last few channels: windows across the lanes */
        for (int q = 0; q < m; q += TG * LANES) {
            tail_windows(s, c - s->tail0, e0 + q, buf);
            for (int i = 0; i < TG * LANES && q + i < m; i++) y[(size_t)(q + i) * ch + c] = buf[i] * scale;
        }
}
