/* hn-sinc-NSF filter module: a harmonic branch (n_har NeuralFilterBlocks) and a noise branch (one
 * block), then time-variant windowed-sinc filters (low-pass on the harmonic branch, high-pass on the
 * noise branch). Causal, so it runs block by block with a ring of history per dilated conv. */
#include "nsf_internal.h"
#include "models/nsf_profile.h"
#include "dsp/dilated_conv.h"
#include "dsp/fast_tanh.h"
#include "dsp/gemm64.h"
#include "core/kernel_path.h"

#include <cblas.h>
#include <string.h>

/* Built per kernel path (Makefile: KERNEL_SRC) for the block ends' loops (input layer, scale, output
 * layer), which the compiler vectorises with the path's registers; the rest calls dispatched kernels. */
#if NR_KBASE
static size_t al64(size_t n) { return (n + 63) & ~(size_t)63; }

static int total_convs(const nsf_weights *w)
{
    int n = w->noi.n_convs;
    for (int b = 0; b < w->n_har; b++) n += w->har[b].n_convs;
    return n;
}

static size_t ring_floats(const nsf_weights *w)
{
    size_t n = 0;
    for (int b = 0; b < w->n_har; b++)
        for (int i = 0; i < w->har[b].n_convs; i++) n += 2 * (size_t)w->har[b].dil[i] * w->hidden;
    for (int i = 0; i < w->noi.n_convs; i++) n += 2 * (size_t)w->noi.dil[i] * w->hidden;
    return n;
}

size_t nsf_filter_bytes(const nsf_weights *w)
{
    const size_t H = w->hidden, C = NSF_CHUNK, O = w->sinc_order, f = sizeof(float);
    return al64(total_convs(w) * sizeof(float *)) + al64(ring_floats(w) * f) + 2 * al64(C * H * f) +
           al64(C * 3 * H * f) + al64(C * (H / 4) * f) + 2 * al64((O - 1 + C) * f) + 2 * al64(C * O * f) +
           al64(C * f) + 2 * al64(2 * C * H * f);
}

void nsf_filter_init(nsf_filter *f, const nsf_weights *w, void *mem)
{
    const size_t H = w->hidden, C = NSF_CHUNK, O = w->sinc_order, fs = sizeof(float);
    char *p = mem;
    memset(f, 0, sizeof *f);
    f->w = w;
    f->n_rings = total_convs(w);
    f->rings = (float **)p;
    p += al64(f->n_rings * sizeof(float *));
    float *r = (float *)p;
    p += al64(ring_floats(w) * fs);
    int k = 0;
    for (int b = 0; b <= w->n_har; b++) {
        const nsf_block *blk = b < w->n_har ? &w->har[b] : &w->noi;
        for (int i = 0; i < blk->n_convs; i++) {
            f->rings[k++] = r;
            r += 2 * (size_t)blk->dil[i] * H;
        }
    }
    f->h = (float *)p, p += al64(C * H * fs);
    f->y = (float *)p, p += al64(C * H * fs);
    f->col = (float *)p, p += al64(C * 3 * H * fs);
    f->z = (float *)p, p += al64(C * (H / 4) * fs);
    f->xh = (float *)p, p += al64((O - 1 + C) * fs);
    f->xn = (float *)p, p += al64((O - 1 + C) * fs);
    f->lp = (float *)p, p += al64(C * O * fs);
    f->hp = (float *)p, p += al64(C * O * fs);
    f->sig = (float *)p, p += al64(C * fs);
    f->u = (float *)p, p += al64(2 * C * H * fs);
    f->m = (float *)p;
    nsf_filter_reset(f);
}

void nsf_filter_reset(nsf_filter *f)
{
    const nsf_weights *w = f->w;
    f->t = 0;
    memset(f->rings[0], 0, ring_floats(w) * sizeof(float));
    memset(f->xh, 0, (w->sinc_order - 1) * sizeof(float));
    memset(f->xn, 0, (w->sinc_order - 1) * sizeof(float));
}

#endif

/* One NeuralFilterBlock on n <= NSF_CHUNK samples: x (n) -> out (n), with its convs' rings. */
static void block_run(nsf_filter *f, const nsf_block *b, float **rings, const float *x, const float *ctx, int n,
                      float *out)
{
    const int H = f->w->hidden, Q = H / 4;
    float *h = f->h, *y = f->y;
    double t0 = nsf_prof_start();
    for (int t = 0; t < n; t++)
        for (int c = 0; c < H; c++) h[t * H + c] = b->ff1[c] * x[t];
    nr_tanh_inplace(h, (size_t)n * H);
    nsf_prof_lap(NSF_ST_ENDS, &t0);
    for (int i = 0; i < b->n_convs; i++) {
        nr_dconv3_block_winograd(b->packed[i], b->wino[i], H, b->dil[i], rings[i], f->t, h, n, f->col, f->u, f->m, y);
        nsf_prof_lap(NSF_ST_CONV, &t0);
        nr_tanh_residual(h, y, ctx, (size_t)n * H);
        nsf_prof_lap(NSF_ST_TANH, &t0);
        if (nsf_prof.on) nsf_prof.conv_macs += nr_dconv3_winograd_macs(H, b->dil[i], n);
    }
    for (int k = 0; k < n * H; k++) h[k] *= b->scale;
    /* z (n, H/4) = h (n, H) . ff2^T */
    if (b->ff2t)
        nr_gemm16n(h, (size_t)H, n, H, b->ff2t, Q, f->z, (size_t)Q);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, Q, H, 1.0f, h, H, b->ff2, H, 0.0f, f->z, Q);
    nr_tanh_inplace(f->z, (size_t)n * Q);
    for (int t = 0; t < n; t++) {
        float acc = 0.0f;
        for (int q = 0; q < Q; q++) acc += f->z[t * Q + q] * b->ff3[q];
        out[t] = acc;
    }
    nr_tanh_inplace(out, (size_t)n);
    for (int t = 0; t < n; t++) out[t] += x[t];
    nsf_prof_lap(NSF_ST_ENDS, &t0);
}

static void run_chunk(nsf_filter *f, const float *har, const float *noi, const float *ctx, const float *cut, int n,
                      float *out)
{
    const nsf_weights *w = f->w;
    const int O = w->sinc_order;
    float *xh = f->xh + (O - 1), *xn = f->xn + (O - 1);
    float **rings = f->rings;
    memcpy(xh, har, (size_t)n * sizeof(float));
    for (int b = 0; b < w->n_har; b++) {
        block_run(f, &w->har[b], rings, xh, ctx, n, f->sig);
        memcpy(xh, f->sig, (size_t)n * sizeof(float));
        rings += w->har[b].n_convs;
    }
    block_run(f, &w->noi, rings, noi, ctx, n, xn);
    double t0 = nsf_prof_start();
    for (int t = 0; t < n; t++) nr_sinc_lp_hp(&w->sinc, cut[t], f->lp + (size_t)t * O, f->hp + (size_t)t * O);
    nr_tvfir(xh, f->lp, n, O, out);
    nr_tvfir(xn, f->hp, n, O, f->sig);
    for (int t = 0; t < n; t++) out[t] += f->sig[t];
    nsf_prof_lap(NSF_ST_SINC, &t0);
    /* keep the last order-1 branch outputs as the next chunk's history */
    memmove(f->xh, f->xh + n, (O - 1) * sizeof(float));
    memmove(f->xn, f->xn + n, (O - 1) * sizeof(float));
    f->t += n;
}

void NR_K(nsf_filter_run)(nsf_filter *f, const float *har, const float *noi, const float *ctx, const float *cut, long n,
                    float *out)
{
    const int H = f->w->hidden;
    for (long s = 0; s < n; s += NSF_CHUNK) {
        int c = (int)(n - s < NSF_CHUNK ? n - s : NSF_CHUNK);
        run_chunk(f, har + s, noi + s, ctx + s * H, cut + s, c, out + s);
    }
}

#if NR_KBASE
#define NSF_FILTER_KERNELS(X)                                                                          \
    X(void, nsf_filter_run,                                                                            \
      (nsf_filter * f, const float *har, const float *noi, const float *ctx, const float *cut, long n, float *out), \
      (f, har, noi, ctx, cut, n, out))
NR_DISPATCH(NSF_FILTER_KERNELS)
#endif
