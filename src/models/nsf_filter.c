/* hn-sinc-NSF filter module: a harmonic branch (n_har NeuralFilterBlocks) and a noise branch (one
 * block), then time-variant windowed-sinc filters (low-pass on the harmonic branch, high-pass on the
 * noise branch). Causal, so it runs block by block with a ring of history per dilated conv. */
#include "nsf_internal.h"
#include "models/nsf_profile.h"
#include "dsp/dilated_conv.h"
#include "dsp/fast_tanh.h"
#include "dsp/gemm64.h"
#include "core/kernel_path.h"
#include "core/team.h"

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
           al64(C * f) + 2 * al64(2 * C * H * f) + 2 * al64(C * H * f);
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
    f->m = (float *)p, p += al64(2 * C * H * fs);
    f->hn = (float *)p, p += al64(C * H * fs);
    f->yn = (float *)p;
    nsf_filter_reset(f);
}

void nsf_filter_reset(nsf_filter *f)
{
    const nsf_weights *w = f->w;
    f->t = 0;
    f->pre = 0;
    memset(f->rings[0], 0, ring_floats(w) * sizeof(float));
    memset(f->xh, 0, (w->sinc_order - 1) * sizeof(float));
    memset(f->xn, 0, (w->sinc_order - 1) * sizeof(float));
}

#endif

/* Members of a team (core/team.h) split every stage by rows of time, on multiples of ROW_ALIGN (whole
 * vectors of the widest path even for the one-float-per-sample stages), so each value is computed by the
 * same instructions whatever the split: the output is bit for bit that of one thread. A conv reads its
 * input h at t - 2d, t - d, t + d, rows other members wrote, so a barrier comes before each conv. The
 * residual writes its result into the conv's output buffer (the two buffers swap roles each layer), so
 * the conv's input stays whole until the next conv: a member goes on from its conv to its residual
 * without waiting when its rows of the conv's output are its own (the Winograd pairs t, t + d of every
 * dilation up to a quarter of the chunk); for the other convs a barrier comes between. The ring of past
 * inputs is read at the start of the conv (nr_dconv3_part_in) and written with each member's rows after
 * it: a split barrier (nr_team_arrive / nr_team_await) keeps the writes after every member's reads. A
 * last barrier comes before the sinc filters (they look order - 1 samples back). */
#define ROW_ALIGN 16

typedef struct {
    nsf_filter *f;
    nr_team *team;
    int tid, nt;
    int r0, r1; /* this member's rows of the chunk */
} part;

/* A team barrier inside stage st of the profile: the time so far goes to st, the wait to no stage. */
static void stage_barrier(nr_team *team, int st, double *t0)
{
    nsf_prof_lap(st, t0);
    nr_team_barrier(team);
    *t0 = nsf_prof_start();
}

/* A block's input layer on rows [r0, r1): h = tanh(ff1 x). */
static void input_layer(const nsf_block *b, int H, const float *x, int r0, int r1, float *h)
{
    for (int t = r0; t < r1; t++)
        for (int c = 0; c < H; c++) h[t * H + c] = b->ff1[c] * x[t];
    nr_tanh_inplace(h + (size_t)r0 * H, (size_t)(r1 - r0) * H);
}

/* Conv i of a block, member's part of nparts: reads the ring and all rows of h, writes its rows of y.
 * It arrives at the team's split barrier once it has read the ring; the caller awaits before storing
 * rows into the ring. */
static void conv_part(nsf_filter *f, const nsf_block *b, int i, float *ring, const float *h, int n, float *y,
                      int member, int nparts, nr_team *team)
{
    const int H = f->w->hidden;
    nr_dconv3_part_in(H, b->dil[i], ring, f->t, h, n, f->col, f->u, member, nparts);
    nr_team_arrive(team);
    nr_dconv3_part_out(b->packed[i], b->wino[i], H, b->dil[i], n, f->col, f->u, f->m, y, member, nparts);
}

#if NR_KBASE
void nsf_filter_prestart(nsf_filter *f, const float *har, const float *noi, int n)
{
    const nsf_weights *w = f->w;
    const int H = w->hidden;
    float **noi_rings = f->rings;
    for (int b = 0; b < w->n_har; b++) noi_rings += w->har[b].n_convs;
    if (w->n_har < 1 || w->har[0].n_convs < 1 || w->noi.n_convs < 1) return; /* nothing to start: pre stays 0 */
    double t0 = nsf_prof_start();
    input_layer(&w->har[0], H, har, 0, n, f->h);
    input_layer(&w->noi, H, noi, 0, n, f->hn);
    nsf_prof_lap(NSF_ST_ENDS, &t0);
    conv_part(f, &w->har[0], 0, f->rings[0], f->h, n, f->y, 0, 1, NULL);
    conv_part(f, &w->noi, 0, noi_rings[0], f->hn, n, f->yn, 0, 1, NULL);
    nsf_prof_lap(NSF_ST_CONV, &t0);
    f->pre = 1;
}
#endif

/* One NeuralFilterBlock on n <= NSF_CHUNK samples: x (n) -> out (n), with its convs' rings; this member
 * reads x and writes out at its rows only. h, y: its two buffers; started: nsf_filter_prestart ran its
 * input layer and first conv for all rows. */
static void block_run(const part *pt, const nsf_block *b, float **rings, const float *x, const float *ctx, int n,
                      float *out, float *h, float *y, int started)
{
    nsf_filter *f = pt->f;
    const int H = f->w->hidden, Q = H / 4, r0 = pt->r0, r1 = pt->r1;
    float *cur = h, *nxt = y; /* the layer's input; the conv's output, then the layer's output */
    double t0 = nsf_prof_start();
    if (b->n_convs == 0) input_layer(b, H, x, r0, r1, cur); /* no conv: the input layer alone */
    for (int i = 0; i < b->n_convs; i++) {
        if (!(i == 0 && started)) {
            if (i == 0) input_layer(b, H, x, r0, r1, cur);
            stage_barrier(pt->team, i == 0 ? NSF_ST_ENDS : NSF_ST_TANH, &t0); /* every row of cur is in */
            conv_part(f, b, i, rings[i], cur, n, nxt, pt->tid, pt->nt, pt->team);
            if (!nr_dconv3_rows_local(n, b->dil[i], pt->nt, ROW_ALIGN))
                stage_barrier(pt->team, NSF_ST_CONV, &t0); /* this member's rows of nxt are others' too */
            nr_team_await(pt->team);                       /* every member has read the ring */
        }
        /* the ring takes this member's inputs; the residual goes into the conv's output */
        nr_dconv3_ring_rows(H, b->dil[i], rings[i], f->t, cur, n, r0, r1);
        nsf_prof_lap(NSF_ST_CONV, &t0);
        nr_tanh_residual(cur + (size_t)r0 * H, nxt + (size_t)r0 * H, ctx + (size_t)r0 * H, nxt + (size_t)r0 * H,
                         (size_t)(r1 - r0) * H);
        nsf_prof_lap(NSF_ST_TANH, &t0);
        float *tmp = cur;
        cur = nxt;
        nxt = tmp;
        if (nsf_prof.on && pt->tid == 0) nsf_prof.conv_macs += nr_dconv3_winograd_macs(H, b->dil[i], n);
    }
    for (int k = r0 * H; k < r1 * H; k++) cur[k] *= b->scale;
    /* z (n, H/4) = h (n, H) . ff2^T */
    float *z = f->z + (size_t)r0 * Q, *hr = cur + (size_t)r0 * H;
    const int m = r1 - r0;
    if (m > 0) {
        if (b->ff2t)
            nr_gemm16n(hr, (size_t)H, m, H, b->ff2t, Q, z, (size_t)Q);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, Q, H, 1.0f, hr, H, b->ff2, H, 0.0f, z, Q);
    }
    nr_tanh_inplace(z, (size_t)m * Q);
    for (int t = r0; t < r1; t++) {
        float acc = 0.0f;
        for (int q = 0; q < Q; q++) acc += f->z[t * Q + q] * b->ff3[q];
        out[t] = acc;
    }
    nr_tanh_inplace(out + r0, (size_t)m);
    for (int t = r0; t < r1; t++) out[t] += x[t];
    nsf_prof_lap(NSF_ST_ENDS, &t0);
}

static void run_chunk(const part *pt, const float *har, const float *noi, const float *ctx, const float *cut, int n,
                      float *out)
{
    nsf_filter *f = pt->f;
    const nsf_weights *w = f->w;
    const int O = w->sinc_order, r0 = pt->r0, r1 = pt->r1;
    float *xh = f->xh + (O - 1), *xn = f->xn + (O - 1);
    float **rings = f->rings;
    memcpy(xh + r0, har + r0, (size_t)(r1 - r0) * sizeof(float));
    for (int b = 0; b < w->n_har; b++) {
        block_run(pt, &w->har[b], rings, xh, ctx, n, f->sig, f->h, f->y, b == 0 && f->pre);
        memcpy(xh + r0, f->sig + r0, (size_t)(r1 - r0) * sizeof(float));
        rings += w->har[b].n_convs;
    }
    block_run(pt, &w->noi, rings, noi, ctx, n, xn, f->pre ? f->hn : f->h, f->pre ? f->yn : f->y, f->pre);
    nr_team_barrier(pt->team);
    double t0 = nsf_prof_start();
    for (int t = r0; t < r1; t++) nr_sinc_lp_hp(&w->sinc, cut[t], f->lp + (size_t)t * O, f->hp + (size_t)t * O);
    nr_tvfir(xh + r0, f->lp + (size_t)r0 * O, r1 - r0, O, out + r0);
    nr_tvfir(xn + r0, f->hp + (size_t)r0 * O, r1 - r0, O, f->sig + r0);
    for (int t = r0; t < r1; t++) out[t] += f->sig[t];
    nsf_prof_lap(NSF_ST_SINC, &t0);
    nr_team_barrier(pt->team);
    if (pt->tid == 0) {
        /* keep the last order-1 branch outputs as the next chunk's history */
        memmove(f->xh, f->xh + n, (O - 1) * sizeof(float));
        memmove(f->xn, f->xn + n, (O - 1) * sizeof(float));
        f->t += n;
        f->pre = 0;
    }
    /* the next chunk's rows may belong to another member: everyone sees the history and f->t first */
    nr_team_barrier(pt->team);
}

void NR_K(nsf_filter_run_part)(nsf_filter *f, const float *har, const float *noi, const float *ctx, const float *cut,
                               long n, float *out, nr_team *team, int tid, int nt)
{
    const int H = f->w->hidden;
    for (long s = 0; s < n; s += NSF_CHUNK) {
        int c = (int)(n - s < NSF_CHUNK ? n - s : NSF_CHUNK);
        part pt = {f, team, tid, nt, 0, 0};
        nr_team_share(c, tid, nt, ROW_ALIGN, &pt.r0, &pt.r1);
        run_chunk(&pt, har + s, noi + s, ctx + s * H, cut + s, c, out + s);
    }
}

#if NR_KBASE
#define NSF_FILTER_KERNELS(X)                                                                          \
    X(void, nsf_filter_run_part,                                                                       \
      (nsf_filter * f, const float *har, const float *noi, const float *ctx, const float *cut, long n, float *out, \
       nr_team *team, int tid, int nt),                                                                \
      (f, har, noi, ctx, cut, n, out, team, tid, nt))
NR_DISPATCH(NSF_FILTER_KERNELS)

void nsf_filter_run(nsf_filter *f, const float *har, const float *noi, const float *ctx, const float *cut, long n,
                    float *out)
{
    nsf_filter_run_part(f, har, noi, ctx, cut, n, out, NULL, 0, 1);
}
#endif
