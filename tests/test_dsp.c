/* DSP kernels: each optimised kernel against its plain reference. */
#include "core/cpu.h"
#include "core/team.h"
#include "dsp/dilated_conv.h"
#include "dsp/fast_tanh.h"
#include "dsp/gemm64.h"
#include "dsp/moving_average.h"
#include "dsp/rng.h"
#include "dsp/sinc.h"
#include "nr_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float frand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.0f * 2.0f - 1.0f;
}

static void test_tanh(void)
{
    enum { N = 200003 };
    float *a = malloc(N * sizeof(float)), *b = malloc(N * sizeof(float));
    for (int i = 0; i < N; i++) a[i] = b[i] = -12.0f + 24.0f * (float)i / (N - 1);
    a[7] = b[7] = 0.0f;
    a[8] = b[8] = 1e-30f;
    a[9] = b[9] = -3e38f;
    nr_tanh_inplace(a, N);
    nr_tanh_inplace_ref(b, N);
    float e = 0.0f;
    for (int i = 0; i < N; i++) e = fmaxf(e, fabsf(a[i] - b[i]));
    printf("  fast tanh max abs error %.2e\n", e);
    NT_CHECKF(e < 3e-7f, "fast tanh error %g", e);
    NT_CHECK(a[7] == 0.0f && !signbit(a[7]) && a[8] == 1e-30f && a[9] == -1.0f);
    float h[37], y[37], c[37];
    for (int i = 0; i < 37; i++) h[i] = 0.1f * i, y[i] = 0.3f * i - 5.0f, c[i] = -0.05f * i;
    float y2[37];
    memcpy(y2, y, sizeof y2);
    nr_tanh_residual(h, y2, c, y2, 37); /* into y: what the filter blocks do */
    nr_tanh_residual(h, y, c, h, 37);   /* into h */
    for (int i = 0; i < 37; i++) NT_CHECK(fabsf(h[i] - ((0.1f * i + tanhf(0.3f * i - 5.0f)) - 0.05f * i)) < 4e-7f);
    NT_CHECK(!memcmp(h, y2, sizeof y2));
    float odd[3] = {0.5f, -0.5f, NAN};
    nr_tanh_inplace(odd, 3); /* a tail shorter than one vector */
    NT_CHECK(odd[0] == -odd[1] && fabsf(odd[0] - tanhf(0.5f)) < 2e-7f && isnan(odd[2]));
    free(a);
    free(b);
}

static void test_sinc(void)
{
    nr_sinc_table t;
    NT_CHECK(!nr_sinc_table_init(&t, 30) && !nr_sinc_table_init(&t, 0));
    NT_CHECK(nr_sinc_table_init(&t, 31));
    float lp[31], hp[31], lr[31], hr[31], e = 0.0f;
    for (int i = 0; i <= 1000; i++) {
        float cut = 0.001f + 0.999f * (float)i / 1000.0f;
        nr_sinc_lp_hp(&t, cut, lp, hp);
        nr_sinc_lp_hp_ref(&t, cut, lr, hr);
        double ls = 0, hs = 0;
        for (int k = 0; k < 31; k++) {
            e = fmaxf(e, fmaxf(fabsf(lp[k] - lr[k]), fabsf(hp[k] - hr[k])));
            ls += lp[k];
            hs += hp[k] * ((k - 15) % 2 ? -1 : 1);
            NT_CHECK(lp[k] == lp[30 - k]);
        }
        NT_CHECKF(fabs(ls - 1) < 1e-5 && fabs(hs - 1) < 1e-5, "cut %g: gains %g %g", cut, ls, hs);
    }
    printf("  sinc recurrence vs per-tap sin: max error %.2e\n", e);
    NT_CHECKF(e < 2e-6f, "sinc error %g", e);
    nr_sinc_lp_hp(&t, NAN, lp, hp); /* clamped, finite */
    for (int k = 0; k < 31; k++) NT_CHECK(isfinite(lp[k]) && isfinite(hp[k]));
}

static void test_tvfir(void)
{
    enum { O = 5, N = 9 };
    float x[O - 1 + N], coef[N * O], y[N];
    unsigned s = 1;
    for (int i = 0; i < O - 1 + N; i++) x[i] = frand(&s);
    for (int i = 0; i < N * O; i++) coef[i] = frand(&s);
    nr_tvfir(x + O - 1, coef, N, O, y);
    for (int i = 0; i < N; i++) {
        double acc = 0;
        for (int k = 0; k < O; k++) acc += (double)x[O - 1 + i - k] * coef[i * O + k];
        NT_CHECKF(fabs(acc - y[i]) < 1e-6, "y[%d] %g vs %g", i, y[i], acc);
    }
}

static void test_gemm64(void)
{
    const int k = 192, m = 37, lda = 200, ldc = 70; /* m: six-row tiles and a remainder; padded strides */
    unsigned s = 11;
    float *w = malloc((size_t)64 * k * sizeof(float)), *bt = malloc((size_t)64 * k * sizeof(float));
    float *a = malloc((size_t)m * lda * sizeof(float));
    float *c = malloc((size_t)m * ldc * sizeof(float)), *ref = malloc((size_t)m * ldc * sizeof(float));
    for (int i = 0; i < 64 * k; i++) w[i] = frand(&s);
    for (int i = 0; i < m * lda; i++) a[i] = frand(&s);
    nr_gemm64_pack(w, k, bt);
    NT_CHECK(bt[5 * 64 + 3] == w[3 * k + 5]);
    for (int kk = 1; kk <= k; kk += 191)
        for (int mm = 0; mm <= m; mm += 1 + mm / 3) {
            for (int i = 0; i < m * ldc; i++) c[i] = ref[i] = -7.0f;
            nr_gemm64(a, lda, mm, kk, bt, c, ldc);
            nr_gemm64_ref(a, lda, mm, kk, bt, ref, ldc);
            float e = 0.0f;
            for (int i = 0; i < m * ldc; i++) e = fmaxf(e, fabsf(c[i] - ref[i]));
            NT_CHECKF(e < 1e-4f, "m %d k %d: kernel differs from the plain loops by %g (or wrote outside)", mm, kk, e);
        }
    /* 16 and 48 columns: 16-column tiles; against plain loops over the packed (k, n) layout */
    for (int n = 16; n <= 48; n += 32) {
        nr_gemm_pack(w, n, k, bt);
        for (int i = 0; i < m * ldc; i++) c[i] = -7.0f;
        nr_gemm16n(a, lda, m, k, bt, n, c, ldc);
        float e = 0.0f;
        for (int t = 0; t < m; t++)
            for (int o = 0; o < ldc; o++) {
                float want = -7.0f;
                if (o < n) {
                    want = 0.0f;
                    for (int i = 0; i < k; i++) want += a[t * lda + i] * w[o * k + i];
                }
                e = fmaxf(e, fabsf(c[t * ldc + o] - want));
            }
        NT_CHECKF(e < 1e-4f, "%d columns: kernel differs from the plain loops by %g (or wrote outside)", n, e);
    }
    free(w);
    free(bt);
    free(a);
    free(c);
    free(ref);
}

static void test_dilated_conv_width(int C)
{
    const int n = 700;
    const int dils[] = {1, 3, 64, 256};
    unsigned s = 7;
    float *w = malloc((size_t)C * C * 3 * sizeof(float)), *wp = malloc((size_t)C * C * 3 * sizeof(float));
    float *h = malloc((size_t)n * C * sizeof(float)), *ref = malloc((size_t)n * C * sizeof(float));
    float *y = malloc((size_t)n * C * sizeof(float)), *col = malloc((size_t)n * 3 * C * sizeof(float));
    for (int i = 0; i < C * C * 3; i++) w[i] = frand(&s) * 0.3f;
    for (int i = 0; i < n * C; i++) h[i] = frand(&s);
    nr_dconv3_pack(w, C, wp);
    float *wg = malloc((size_t)4 * C * C * sizeof(float)), *u = malloc((size_t)2 * n * C * sizeof(float));
    float *mm = malloc((size_t)2 * n * C * sizeof(float));
    nr_dconv3_pack_winograd(w, C, wg);
    for (size_t d = 0; d < sizeof dils / sizeof dils[0]; d++) {
        const int dil = dils[d];
        nr_dconv3_ref(w, C, dil, h, n, ref);
        for (int wino = 0; wino < 2; wino++) {
            float *ring = calloc((size_t)2 * dil * C, sizeof(float));
            /* uneven blocks, some shorter and some longer than the ring */
            long t0 = 0;
            for (int k = 0; t0 < n; k++) {
                int b = 1 + (k * 97 + 13) % 300;
                if (b > n - t0) b = (int)(n - t0);
                if (wino)
                    nr_dconv3_block_winograd(wp, wg, C, dil, ring, t0, h + t0 * C, b, col, u, mm, y + t0 * C);
                else
                    nr_dconv3_block(wp, C, dil, ring, t0, h + t0 * C, b, col, y + t0 * C);
                t0 += b;
            }
            float e = 0.0f;
            for (int i = 0; i < n * C; i++) e = fmaxf(e, fabsf(y[i] - ref[i]));
            NT_CHECKF(e < 4e-5f, "%d channels, dilation %d winograd %d: block conv differs from direct by %g", C, dil,
                      wino, e);
            free(ring);
        }
    }
    free(w);
    free(wp);
    free(wg);
    free(u);
    free(mm);
    free(h);
    free(ref);
    free(y);
    free(col);
}

/* The team split of one block's conv: the parts' rows of y, found by running each part alone on a
 * poisoned y, tile the block and match the one-call result bit for bit (on the vector paths: the
 * generic path's OpenBLAS rounds by matrix size on some CPUs, AMD Zen 3 among them, which is why an
 * hn-sinc-NSF voice never splits there, nsf_voice.c split_is_exact); nr_dconv3_rows_local says 1
 * exactly when every part wrote only inside its share of rows (nr_team_share, align 16), which lets the
 * NSF filter skip the barrier between a conv and its residual. */
static void test_dilated_conv_split(void)
{
    enum { C = 64 };
    const int sizes[] = {512, 100, 64, 37}, dils[] = {1, 2, 8, 64, 128, 256, 512};
    unsigned s = 5;
    float *w = malloc((size_t)C * C * 3 * sizeof(float)), *wp = malloc((size_t)C * C * 3 * sizeof(float));
    float *wg = malloc((size_t)4 * C * C * sizeof(float)), *h = malloc((size_t)512 * C * sizeof(float));
    float *ring = malloc((size_t)1024 * C * sizeof(float)), *col = malloc((size_t)512 * 3 * C * sizeof(float));
    float *u = malloc((size_t)2 * 512 * C * sizeof(float)), *m = malloc((size_t)2 * 512 * C * sizeof(float));
    float *y1 = malloc((size_t)512 * C * sizeof(float)), *yp = malloc((size_t)512 * C * sizeof(float));
    int *owner = malloc(512 * sizeof(int));
    for (int i = 0; i < C * C * 3; i++) w[i] = frand(&s) * 0.3f;
    for (int i = 0; i < 512 * C; i++) h[i] = frand(&s);
    for (int i = 0; i < 1024 * C; i++) ring[i] = frand(&s);
    nr_dconv3_pack(w, C, wp);
    nr_dconv3_pack_winograd(w, C, wg);
    int local_seen = 0, crossing_seen = 0;
    const int exact = nr_cpu_path() != NR_CPU_GENERIC;
    for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++)
        for (size_t d = 0; d < sizeof dils / sizeof dils[0]; d++)
            for (int nt = 2; nt <= 3; nt++) {
                const int n = sizes[a], dil = dils[d];
                nr_dconv3_block_part(wp, wg, C, dil, ring, 1000, h, n, col, u, m, y1, 0, 1);
                int tiled = 1, inside = 1;
                for (int t = 0; t < n; t++) owner[t] = -1;
                for (int part = 0; part < nt; part++) {
                    for (int i = 0; i < n * C; i++) yp[i] = NAN;
                    nr_dconv3_part_in(C, dil, ring, 1000, h, n, col, u, part, nt);
                    nr_dconv3_part_out(wp, wg, C, dil, n, col, u, m, yp, part, nt);
                    int r0, r1;
                    nr_team_share(n, part, nt, 16, &r0, &r1);
                    for (int t = 0; t < n; t++) {
                        if (isnan(yp[(size_t)t * C])) continue;
                        tiled &= owner[t] < 0 &&
                                 (!exact || !memcmp(yp + (size_t)t * C, y1 + (size_t)t * C, C * sizeof(float)));
                        owner[t] = part;
                        inside &= t >= r0 && t < r1;
                    }
                }
                for (int t = 0; t < n; t++) tiled &= owner[t] >= 0;
                NT_CHECKF(tiled, "block %d, dilation %d, %d parts: the parts' rows do not tile y as one call", n, dil, nt);
                NT_CHECKF(nr_dconv3_rows_local(n, dil, nt, 16) == inside,
                          "block %d, dilation %d, %d parts: rows_local says %d, the parts wrote %s their shares", n,
                          dil, nt, nr_dconv3_rows_local(n, dil, nt, 16), inside ? "inside" : "outside");
                local_seen += inside, crossing_seen += !inside;
            }
    NT_CHECKF(nr_dconv3_rows_local(512, 128, 2, 16) && !nr_dconv3_rows_local(512, 256, 2, 16),
              "at block 512 on 2 members, dilation 128 should be local and 256 not");
    NT_CHECK(local_seen > 0 && crossing_seen > 0);
    free(w), free(wp), free(wg), free(h), free(ring), free(col), free(u), free(m), free(y1), free(yp), free(owner);
}

/* 16 channels go through OpenBLAS, 64 through the register-blocked kernel */
static void test_dilated_conv(void)
{
    test_dilated_conv_width(16);
    test_dilated_conv_width(64);
    test_dilated_conv_split();
}

static void test_moving_average(void)
{
    const long n = 3000;
    const int wins[] = {512, 7, 2048, 1};
    unsigned s = 3;
    float *x = malloc(n * sizeof(float)), *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    float *w = malloc(2048 * 2 * sizeof(float));
    for (long i = 0; i < n; i++) x[i] = (i / 512) % 3 == 1 ? 0.7f : frand(&s); /* steps and noise */
    for (size_t k = 0; k < sizeof wins / sizeof wins[0]; k++) {
        const int win = wins[k];
        for (int uniform = 0; uniform < 2; uniform++) {
            for (int j = 0; j < win; j++) w[j] = uniform ? 1.0f / (float)win : frand(&s) / (float)win;
            nr_ma_replicate_ref(x, n, 1, w, win, a, 1);
            NT_CHECK(nr_ma_replicate(x, n, 1, w, win, b, 1));
            float e = 0.0f;
            for (long i = 0; i < n; i++) e = fmaxf(e, fabsf(a[i] - b[i]));
            NT_CHECKF(e < 1e-6f, "win %d: vectorised average off by %g", win, e);
            NT_CHECK(nr_ma_replicate_fast(x, n, 1, w, win, b, 1));
            e = 0.0f;
            for (long i = 0; i < n; i++) e = fmaxf(e, fabsf(a[i] - b[i]));
            NT_CHECKF(e < 2e-5f, "win %d: running-sum average off by %g", win, e);
            /* streaming, two channels (the second scaled by 2), both arithmetics */
            for (int exact = 0; exact < 2; exact++) {
                for (int j = 0; j < win; j++) w[win + j] = uniform ? w[j] : 2.0f * w[j];
                nr_ma_stream st;
                void *mem = malloc(nr_ma_stream_bytes(2, win));
                nr_ma_stream_init(&st, 2, win, w, exact, mem);
                long outn = 0;
                float yy[2], e2 = 0.0f;
                for (long i = 0; i < n + win; i++) {
                    float xx[2] = {x[i < n ? i : n - 1], x[i < n ? i : n - 1]};
                    int got = i < n ? nr_ma_stream_push(&st, xx, yy) : outn < n ? nr_ma_stream_push_last(&st, yy) : 0;
                    if (!got) continue;
                    e2 = fmaxf(e2, fabsf(yy[0] - a[outn]));
                    e2 = fmaxf(e2, fabsf(yy[1] - (uniform ? 1.0f : 2.0f) * a[outn]));
                    outn++;
                }
                NT_CHECKF(outn == n, "win %d: stream gave %ld of %ld outputs", win, outn, n);
                /* the same through batches of uneven sizes */
                nr_ma_stream_reset(&st);
                float *rows = malloc(NR_MA_BATCH * 2 * sizeof(float)), *ys = malloc(NR_MA_BATCH * 2 * sizeof(float));
                long in = 0;
                outn = 0;
                for (int it = 0; outn < n; it++) {
                    int want = 1 + (it * 37) % (NR_MA_BATCH + 9);
                    int got;
                    if (in < n) {
                        int m = want < n - in ? want : (int)(n - in);
                        for (int i = 0; i < m && i < NR_MA_BATCH; i++) rows[2 * i] = rows[2 * i + 1] = x[in + i];
                        got = nr_ma_stream_push_n(&st, rows, m, ys);
                        in += m < NR_MA_BATCH ? m : NR_MA_BATCH;
                    } else {
                        got = nr_ma_stream_push_last_n(&st, (int)(n - outn) < want ? (int)(n - outn) : want, ys);
                    }
                    for (int i = 0; i < got && outn < n; i++, outn++) {
                        e2 = fmaxf(e2, fabsf(ys[2 * i] - a[outn]));
                        e2 = fmaxf(e2, fabsf(ys[2 * i + 1] - (uniform ? 1.0f : 2.0f) * a[outn]));
                    }
                }
                free(rows);
                free(ys);
                NT_CHECKF(e2 < (exact ? 1e-6f : 2e-5f), "win %d exact %d uniform %d: stream off by %g", win, exact,
                          uniform, e2);
                nr_ma_stream_reset(&st);
                NT_CHECK(!nr_ma_stream_push(&st, x, yy) || win - (win - 1) / 2 == 1);
                free(mem);
            }
        }
    }
    free(x);
    free(a);
    free(b);
    free(w);
}

/* The exact streaming average over many channels against the per-channel reference, in batches: bit
 * for bit. C and win pick the kernels' parts: on x86 the tiles of QW windows (16 on AVX-512, 12 on AVX2
 * and generic) by one vector of channels, the channels past the last group of 16 summed across the
 * lanes from their time-ordered copy, and the 4-window tiles of windows shorter than a tile; on aarch64
 * the NEON tiles of 16 and 4 channels, the 3-row ramps (win 3) and the generic loop (win 2). */
static void test_moving_average_channels_of(int C, int win)
{
    const long n = 1500;
    unsigned s = 11;
    float *x = malloc((size_t)n * C * sizeof(float)), *ref = malloc((size_t)n * C * sizeof(float));
    float *w = malloc((size_t)C * win * sizeof(float)), *col = malloc(n * sizeof(float)), *yc = malloc(n * sizeof(float));
    for (long i = 0; i < n * C; i++) x[i] = (i / (C * 300)) % 2 ? 0.25f * (float)(i % C) : frand(&s);
    for (int i = 0; i < C * win; i++) w[i] = 1.0f / (float)win;
    for (int c = 0; c < C; c++) {
        for (long i = 0; i < n; i++) col[i] = x[i * C + c];
        nr_ma_replicate_ref(col, n, 1, w, win, yc, 1);
        for (long i = 0; i < n; i++) ref[i * C + c] = yc[i];
    }
    nr_ma_stream st;
    void *mem = malloc(nr_ma_stream_bytes(C, win));
    nr_ma_stream_init(&st, C, win, w, 1, mem);
    float *y = malloc((size_t)NR_MA_BATCH * C * sizeof(float));
    long in = 0, out = 0;
    float e = 0.0f;
    for (int it = 0; out < n; it++) {
        int want = 1 + (it * 29) % NR_MA_BATCH, got;
        if (in < n) {
            int m = want < n - in ? want : (int)(n - in);
            got = nr_ma_stream_push_n(&st, x + in * C, m, y);
            in += m;
        } else {
            got = nr_ma_stream_push_last_n(&st, want, y);
        }
        for (int i = 0; i < got && out < n; i++, out++)
            for (int c = 0; c < C; c++) e = fmaxf(e, fabsf(y[(size_t)i * C + c] - ref[out * C + c]));
    }
    NT_CHECKF(e == 0.0f, "%d-channel exact stream (window %d) differs from the reference by %g", C, win, e);
    free(x);
    free(ref);
    free(w);
    free(col);
    free(yc);
    free(mem);
    free(y);
}

static void test_moving_average_channels(void)
{
    test_moving_average_channels_of(65, 512); /* the NSF condition module's shape */
    test_moving_average_channels_of(47, 15);  /* windows just long enough for AVX-512's tile; 15 tail channels */
    test_moving_average_channels_of(24, 11);  /* just long enough for the 12-window tiles, too short for 16 */
    test_moving_average_channels_of(16, 9);   /* no tail */
    test_moving_average_channels_of(7, 7);    /* weights 1/7: scaled before summing */
    test_moving_average_channels_of(36, 3);
    test_moving_average_channels_of(20, 2);
}

static void test_rng(void)
{
    nr_rng a, b;
    nr_rng_seed(&a, 42);
    nr_rng_seed(&b, 42);
    double sum = 0, sq = 0, usum = 0;
    const int n = 200000;
    int same = 1;
    for (int i = 0; i < n; i++) {
        float u = nr_rng_uniform(&a);
        same &= u == nr_rng_uniform(&b);
        NT_CHECK(u >= 0.0f && u < 1.0f);
        usum += u;
        float g = nr_rng_normal(&a);
        same &= g == nr_rng_normal(&b);
        sum += g;
        sq += (double)g * g;
    }
    NT_CHECK(same);
    NT_CHECKF(fabs(usum / n - 0.5) < 0.005, "uniform mean %g", usum / n);
    NT_CHECKF(fabs(sum / n) < 0.01 && fabs(sq / n - 1.0) < 0.02, "normal mean %g var %g", sum / n, sq / n);
    nr_rng_seed(&b, 43);
    nr_rng_seed(&a, 42);
    NT_CHECK(nr_rng_u64(&a) != nr_rng_u64(&b));
}

/* xorshift64* as Vigna publishes it (shifts 12, 25, 27; multiplier 2685821657736338717), written
 * out plainly: the module's sequence must be this one, since renders and built-in templates use it. */
static uint64_t xs64_reference(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 2685821657736338717ull;
}

static void test_rng_xs64_splitmix(void)
{
    uint64_t a = 0x6b69636bull, ref = a;
    int same = 1;
    for (int i = 0; i < 10000; i++) same &= nr_xs64_next(&a) == xs64_reference(&ref);
    NT_CHECK(same);
    /* A zero state (where xorshift would stay forever) is replaced, so it still moves. */
    uint64_t z = 0;
    NT_CHECK(nr_xs64_next(&z) != 0 && z != 0);
    /* Uniform in [0, 1), gauss bounded with unit variance. */
    uint64_t u = 1;
    double sum = 0, sq = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double v = nr_xs64_uniform(&u);
        NT_CHECK(v >= 0.0 && v < 1.0);
        float g = nr_xs64_gauss(&u);
        NT_CHECK(fabsf(g) < 3.47f);
        sum += g;
        sq += (double)g * g;
    }
    NT_CHECKF(fabs(sum / n) < 0.01 && fabs(sq / n - 1.0) < 0.02, "gauss mean %g var %g", sum / n, sq / n);
    /* splitmix64 from state 0: the first outputs of Vigna's reference splitmix64.c */
    uint64_t sm = 0;
    uint64_t s1 = nr_splitmix64_next(&sm), s2 = nr_splitmix64_next(&sm);
    NT_CHECKF(s1 == 0xE220A8397B1DCDAFull && s2 == 0x6E789E6AA1B965F4ull, "splitmix64: %016llx %016llx",
              (unsigned long long)s1, (unsigned long long)s2);
}

/* The kernel paths: the API's answers, and the program refusing an NR_CPU it cannot honour. */
static void test_kernel_paths(void)
{
    const int best = nr_cpu_best_path(), now = nr_cpu_path();
    NT_CHECK(nr_cpu_path_supported(NR_CPU_GENERIC));
    NT_CHECK(nr_cpu_path_supported(best));
    NT_CHECK(nr_cpu_use(NR_CPU_N_PATHS) == -1 && nr_cpu_use(-1) == -1);
    NT_CHECK(nr_cpu_path() == now);
    NT_CHECK(!strcmp(nr_cpu_path_name(NR_CPU_AVX2), "avx2") && !strcmp(nr_cpu_path_name(99), "?"));
#if defined(__x86_64__)
    NT_CHECK(!nr_cpu_path_built(NR_CPU_NEON) && nr_cpu_path_built(NR_CPU_AVX2) && nr_cpu_path_built(NR_CPU_AVX512));
#elif defined(__aarch64__)
    NT_CHECK(nr_cpu_path_built(NR_CPU_NEON) && best == NR_CPU_NEON);
#endif
    int lacking = -1; /* a path this build or CPU cannot run, if any */
    for (int p = 0; p < NR_CPU_N_PATHS; p++) {
        if (nr_cpu_path_supported(p)) {
            NT_CHECK(nr_cpu_use(p) == 0 && nr_cpu_path() == p);
        } else {
            NT_CHECK(nr_cpu_use(p) == -1);
            if (lacking < 0) lacking = p;
        }
    }
    nr_cpu_use(now);
    const char *bin = getenv("NR_BIN");
    if (!bin) {
        nt_skip("NR_BIN not set (run through make test): NR_CPU on the command line not tried");
        return;
    }
    struct {
        const char *path, *expect;
        int rc;
    } cases[] = {{"bogus", "NR_CPU=bogus: unknown kernel path", 2},
                 {lacking >= 0 ? nr_cpu_path_name(lacking) : NULL, "NR_CPU=", 2},
                 {"generic", "kernels        generic path", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!cases[i].path) continue;
        char cmd[1024], out[4096];
        snprintf(cmd, sizeof cmd, "NR_CPU=%s '%s' info 2>&1", cases[i].path, bin);
        int rc = nt_run_cmd(cmd, out, sizeof out);
        NT_CHECKF(rc == cases[i].rc && strstr(out, cases[i].expect), "NR_CPU=%s: exit %d, output: %s", cases[i].path, rc,
                  out);
    }
}

/* bench --repeat N: N timed passes, the median pass's figures and a line with the median, fastest and
 * slowest; out of range refused. Behaviour only: the speeds themselves are not checked. */
static void test_bench_repeat(void)
{
    const char *bin = getenv("NR_BIN");
    if (!bin) {
        nt_skip("NR_BIN not set (run through make test)");
        return;
    }
    struct {
        const char *args, *expect;
        int rc;
    } cases[] = {{"--block 64 --frames 20 --repeat 3", "passes           3 timed: real time median", 0},
                 {"--block 64 --frames 20 --repeat 51", "--repeat needs a whole number from 1 to 50", 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[1024], out[8192];
        snprintf(cmd, sizeof cmd, "'%s' bench %s 2>&1", bin, cases[i].args);
        int rc = nt_run_cmd(cmd, out, sizeof out);
        NT_CHECKF(rc == cases[i].rc && strstr(out, cases[i].expect), "bench %s: exit %d, output: %s", cases[i].args, rc,
                  out);
        if (cases[i].rc == 0) {
            double med = 0, lo = 0, hi = 0, last = 0;
            const char *p = strstr(out, "median"), *q = strstr(out, "realtime_factor=");
            NT_CHECK(p && q && sscanf(p, "median %lfx, min %lfx, max %lfx", &med, &lo, &hi) == 3 &&
                     sscanf(q, "realtime_factor=%lf", &last) == 1);
            NT_CHECKF(lo > 0 && lo <= med && med <= hi && fabs(last - med) <= 0.01 * med,
                      "median %g, min %g, max %g, realtime_factor %g", med, lo, hi, last);
        }
    }
}

int main(void)
{
    NT_RUN(test_kernel_paths);
    NT_RUN(test_bench_repeat);
    NT_RUN_PATHS(test_tanh);
    NT_RUN(test_sinc);
    NT_RUN(test_tvfir);
    NT_RUN_PATHS(test_gemm64);
    NT_RUN_PATHS(test_dilated_conv);
    NT_RUN_PATHS(test_moving_average);
    NT_RUN_PATHS(test_moving_average_channels);
    NT_RUN(test_rng);
    NT_RUN(test_rng_xs64_splitmix);
    return nt_end();
}
