#include "dsp/dilated_conv.h"
#include "dsp/gemm64.h"
#include "core/kernel_path.h"
#include "core/team.h"

#include <cblas.h>
#include <string.h>

/* The Winograd transforms' vectors: one register of the path (kernel_path.h); lane-wise, so equal results. */
#if NR_KPATH == NR_KPATH_AVX512
#define LANES 16
#elif NR_KPATH == NR_KPATH_AVX2
#define LANES 8
#else
#define LANES 4
#endif
typedef float vf __attribute__((vector_size(LANES * sizeof(float))));

static inline vf ld(const float *p)
{
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st(float *p, vf v) { memcpy(p, &v, sizeof v); }

#if NR_KBASE
void nr_dconv3_pack(const float *w, int c, float *wp)
{
    for (int o = 0; o < c; o++)
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < c; i++) wp[((size_t)j * c + i) * c + o] = w[((size_t)o * c + i) * 3 + j];
}
#endif

/* y (m, c) = a (m, k) . b (k, c): the register-blocked kernel at 64 channels, else OpenBLAS */
static void mm(const float *a, int m, int k, const float *b, int c, float *y)
{
    if (m <= 0) return;
    if (c == NR_GEMM64_N)
        nr_gemm64(a, (size_t)k, m, k, b, y, (size_t)c);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, c, k, 1.0f, a, k, b, c, 0.0f, y, c);
}

/* im2col rows [from, n) of the block: [h(t - 2d), h(t - d), h(t)] from the ring or the block */
static void gather(int c, int dil, const float *ring, long t0, const float *h, int from, int n, float *col)
{
    const long r = 2L * dil;
    const size_t row = (size_t)c * sizeof(float);
    for (int t = from; t < n; t++) {
        float *dst = col + (size_t)t * 3 * c;
        for (int j = 0; j < 2; j++) {
            long back = (long)(2 - j) * dil; /* tap j looks back (2 - j) d samples */
            const float *src = t >= back ? h + (size_t)(t - back) * c
                                         : ring + (size_t)((t0 + t - back + r) % r) * c;
            memcpy(dst + (size_t)j * c, src, row);
        }
        memcpy(dst + 2 * (size_t)c, h + (size_t)t * c, row);
    }
}

#if NR_KBASE
static void ring_update(int c, int dil, float *ring, long t0, const float *h, int n)
{
    const long r = 2L * dil;
    for (int t = n > r ? n - (int)r : 0; t < n; t++)
        memcpy(ring + (size_t)((t0 + t) % r) * c, h + (size_t)t * c, (size_t)c * sizeof(float));
}
#endif

#if NR_KBASE
void nr_dconv3_block(const float *wp, int c, int dil, float *ring, long t0, const float *h, int n,
                     float *col, float *y)
{
    gather(c, dil, ring, t0, h, 0, n, col);
    ring_update(c, dil, ring, t0, h, n);
    /* y (n, C) = col (n, 3C) . wp */
    mm(col, n, 3 * c, wp, c, y);
}

void nr_dconv3_pack_winograd(const float *w, int c, float *wg)
{
    const size_t cc = (size_t)c * c;
    for (int o = 0; o < c; o++)
        for (int i = 0; i < c; i++) {
            const float *k = w + ((size_t)o * c + i) * 3;
            const size_t at = (size_t)i * c + o;
            wg[at] = k[0];
            wg[cc + at] = (float)(((double)k[0] + k[1] + k[2]) * 0.5);
            wg[2 * cc + at] = (float)(((double)k[0] - k[1] + k[2]) * 0.5);
            wg[3 * cc + at] = k[2];
        }
}

#endif

/* Fewer pairs than this go direct: four small sgemm calls cost more than they save. */
#define WINO_MIN_PAIRS 16

#if NR_KBASE
double nr_dconv3_winograd_macs(int c, int dil, int n)
{
    const int P = n / (2 * dil) * dil;
    const double cc = (double)c * c;
    return P < WINO_MIN_PAIRS ? 3.0 * n * cc : (4.0 * P + 3.0 * (n - 2 * P)) * cc;
}
#endif

/* The rows of one block's conv that member part of nparts computes: the pairs [p0, p1) (rows t and t + d
 * each) and, after the pairs, rows [from, to) direct (all rows direct when there are too few pairs). */
typedef struct {
    int P, paired, p0, p1, from, to;
} conv_split;

static conv_split split_of(int dil, int n, int part, int nparts)
{
    conv_split k;
    const int n_pair_blocks = n / (2 * dil);
    k.P = n_pair_blocks * dil;
    if (k.P < WINO_MIN_PAIRS) k.P = 0;
    k.paired = k.P ? n_pair_blocks * 2 * dil : 0;
    nr_team_share(k.P, part, nparts, 1, &k.p0, &k.p1);
    nr_team_share(n - k.paired, part, nparts, 1, &k.from, &k.to);
    k.from += k.paired, k.to += k.paired;
    return k;
}

/* pair p: block b = p / d, t = b 2d + p mod d */
static int pair_row(int p, int dil) { return p / dil * 2 * dil + p % dil; }

#if NR_KBASE
int nr_dconv3_rows_local(int n, int dil, int nparts, int align)
{
    for (int part = 0; part < nparts; part++) {
        const conv_split k = split_of(dil, n, part, nparts);
        int r0, r1;
        nr_team_share(n, part, nparts, align, &r0, &r1);
        /* a pair's rows grow with p: the first pair's t and the last pair's t + d bound them */
        if (k.p0 < k.p1 && (pair_row(k.p0, dil) < r0 || pair_row(k.p1 - 1, dil) + dil >= r1)) return 0;
        if (k.from < k.to && (k.from < r0 || k.to > r1)) return 0;
    }
    return 1;
}
#endif

/* The first half of member part's share of one block's conv: everything that reads the ring or h. The
 * Winograd input transforms of its pairs go to u, the im2col of its direct rows to col. */
void NR_K(nr_dconv3_part_in)(int c, int dil, const float *ring, long t0, const float *h, int n, float *col, float *u,
                             int part, int nparts)
{
    const long r = 2L * dil;
    const conv_split k = split_of(dil, n, part, nparts);
    const size_t pc = (size_t)k.P * c;
    float *u0 = u, *u1 = u + pc, *u2 = u + 2 * pc, *u3 = u + 3 * pc;
    for (int p = k.p0; p < k.p1; p++) {
        const int t = pair_row(p, dil);
        /* d0 = h(t - 2d), d1 = h(t - d) from the ring when before the block; d2 = h(t), d3 = h(t + d) */
        const float *d0 = t >= 2 * dil ? h + (size_t)(t - 2 * dil) * c : ring + (size_t)((t0 + t - 2 * dil + r) % r) * c;
        const float *d1 = t >= dil ? h + (size_t)(t - dil) * c : ring + (size_t)((t0 + t - dil + r) % r) * c;
        const float *d2 = h + (size_t)t * c, *d3 = h + (size_t)(t + dil) * c;
        float *a0 = u0 + (size_t)p * c, *a1 = u1 + (size_t)p * c, *a2 = u2 + (size_t)p * c, *a3 = u3 + (size_t)p * c;
        int i = 0;
        for (; i + LANES <= c; i += LANES) {
            const vf v0 = ld(d0 + i), v1 = ld(d1 + i), v2 = ld(d2 + i), v3 = ld(d3 + i);
            st(a0 + i, v0 - v2);
            st(a1 + i, v1 + v2);
            st(a2 + i, v2 - v1);
            st(a3 + i, v1 - v3);
        }
        for (; i < c; i++) {
            a0[i] = d0[i] - d2[i];
            a1[i] = d1[i] + d2[i];
            a2[i] = d2[i] - d1[i];
            a3[i] = d1[i] - d3[i];
        }
    }
    gather(c, dil, ring, t0, h, k.from, k.to, col);
}

/* The second half: the products and the output transforms, into member part's rows of y. */
void NR_K(nr_dconv3_part_out)(const float *wp, const float *wg, int c, int dil, int n, const float *col, float *u,
                              float *m, float *y, int part, int nparts)
{
    const conv_split k = split_of(dil, n, part, nparts);
    const size_t pc = (size_t)k.P * c, cc = (size_t)c * c;
    if (k.p0 < k.p1) {
        for (int q = 0; q < 4; q++)
            mm(u + q * pc + (size_t)k.p0 * c, k.p1 - k.p0, c, wg + q * cc, c, m + q * pc + (size_t)k.p0 * c);
    }
    const float *m0 = m, *m1 = m + pc, *m2 = m + 2 * pc, *m3 = m + 3 * pc;
    for (int p = k.p0; p < k.p1; p++) {
        const int t = pair_row(p, dil);
        float *y0 = y + (size_t)t * c, *y1 = y + (size_t)(t + dil) * c;
        const size_t o = (size_t)p * c;
        int i = 0;
        for (; i + LANES <= c; i += LANES) {
            const vf v0 = ld(m0 + o + i), v1 = ld(m1 + o + i), v2 = ld(m2 + o + i), v3 = ld(m3 + o + i);
            st(y0 + i, (v0 + v1) + v2);
            st(y1 + i, (v1 - v2) - v3);
        }
        for (; i < c; i++) {
            y0[i] = (m0[o + i] + m1[o + i]) + m2[o + i];
            y1[i] = (m1[o + i] - m2[o + i]) - m3[o + i];
        }
    }
    /* y (rows, C) = col (rows, 3C) . wp */
    if (k.from < k.to) mm(col + (size_t)k.from * 3 * c, k.to - k.from, 3 * c, wp, c, y + (size_t)k.from * c);
}

#if NR_KBASE
#define DCONV_KERNELS(X)                                                                               \
    X(void, nr_dconv3_part_in,                                                                         \
      (int c, int dil, const float *ring, long t0, const float *h, int n, float *col, float *u, int part, int nparts), \
      (c, dil, ring, t0, h, n, col, u, part, nparts))                                                  \
    X(void, nr_dconv3_part_out,                                                                        \
      (const float *wp, const float *wg, int c, int dil, int n, const float *col, float *u, float *m, float *y, \
       int part, int nparts),                                                                          \
      (wp, wg, c, dil, n, col, u, m, y, part, nparts))
NR_DISPATCH(DCONV_KERNELS)

void nr_dconv3_block_part(const float *wp, const float *wg, int c, int dil, const float *ring, long t0, const float *h,
                          int n, float *col, float *u, float *m, float *y, int part, int nparts)
{
    nr_dconv3_part_in(c, dil, ring, t0, h, n, col, u, part, nparts);
    nr_dconv3_part_out(wp, wg, c, dil, n, col, u, m, y, part, nparts);
}

void nr_dconv3_ring_rows(int c, int dil, float *ring, long t0, const float *h, int n, int from, int to)
{
    const long r = 2L * dil;
    if (from < n - r) from = (int)(n - r);
    for (int t = from; t < to; t++)
        memcpy(ring + (size_t)((t0 + t) % r) * c, h + (size_t)t * c, (size_t)c * sizeof(float));
}

void nr_dconv3_block_winograd(const float *wp, const float *wg, int c, int dil, float *ring, long t0, const float *h,
                              int n, float *col, float *u, float *m, float *y)
{
    nr_dconv3_block_part(wp, wg, c, dil, ring, t0, h, n, col, u, m, y, 0, 1);
    nr_dconv3_ring_rows(c, dil, ring, t0, h, n, 0, n);
}

void nr_dconv3_ref(const float *w, int c, int dil, const float *h, long n, float *y)
{
    for (long t = 0; t < n; t++) {
        for (int o = 0; o < c; o++) {
            float acc = 0.0f;
            for (int j = 0; j < 3; j++) {
                long s = t - (long)(2 - j) * dil;
                if (s < 0) continue;
                for (int i = 0; i < c; i++) acc += w[((size_t)o * c + i) * 3 + j] * h[(size_t)s * c + i];
            }
            y[(size_t)t * c + o] = acc;
        }
    }
}
#endif
