/* The hn-sinc-NSF as a streaming voice. Frames are pushed ahead; the frame-rate convs run as frames
 * arrive; upsampling and the smoothing passes advance through ring buffers (up to NR_MA_BATCH samples
 * per step) with the original's replicate padding at both ends; the source keeps its phase sums; the
 * filter keeps a ring per dilated conv. Nothing is recomputed: every block costs the same along the
 * sound. Memory is allocated once in nsf_voice_create. */
#include "nsf_internal.h"
#include "models/nsf_profile.h"
#include "dsp/moving_average.h"
#include "core/cpu.h"
#include "core/team.h"
#include "dsp/gemm64.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#define QF 64 /* frames held: the rendered one, its look-behind, and what was pushed ahead */
/* Chunks shorter than this run on the calling thread alone: below it the barriers (one or two per conv)
 * cost more than the second core saves. The output is the same either way. */
#define MT_MIN_SAMPLES 32

/* One chunk handed to the team: what every member needs to find its share. */
typedef struct {
    long s0;
    int n;
    float *out;
    int ok; /* written by member 0 before the first barrier: the condition reached s0 + n */
} chunk_job;

typedef struct {
    nr_voice base;
    const nsf_weights *w;
    nr_voice_config cfg;
    uint64_t seed;
    /* frame rate */
    float *raw, *feat;     /* (QF, 7) sanitised raw frames, normalised frames */
    float *c1, *c2, *c3;   /* (QF, H) outputs of the three convs */
    long n_pushed, n_c1, n_c2, n_c3;
    int ended;
    /* sample-rate condition pipeline: upsampled rows -> first average -> second -> cut-off smoothing */
    nr_ma_stream ma1, ma2, mcut;
    long a_in, b_in, b_out, c_in, c_out;
    int cr;                /* rows in the context / cut rings */
    float *ctx_ring;       /* (cr, H) context of sample j at row j mod cr */
    float *cut_ring;       /* (cr) smoothed cut-off */
    float *rows, *y1;      /* (NR_MA_BATCH, H + 1): upsampled rows in, first average out */
    float *y2;             /* (NR_MA_BATCH, H + 1) second average out */
    /* audio */
    long produced;
    nsf_source src;
    nsf_filter filt;
    float *b_ctx;          /* (NSF_CHUNK, H) */
    float *b_cut, *b_f0, *b_har, *b_noi; /* (NSF_CHUNK) */
    /* threads: one voice's chunk split across a team (NULL: the caller alone) */
    nr_team *team;
    chunk_job job;
    nsf_source src_saved;  /* the source before a chunk, restored should the chunk not run */
} nsf_voice;

/* Samples the averages look ahead: (win - 1 - left) for each context pass and the cut-off smoothing. */
static long lag_samples(const nsf_weights *w)
{
    return (w->up_win - 1 - (w->up_win - 1) / 2) * 2L + (w->cut_win - 1 - (w->cut_win - 1) / 2);
}

int nsf_lookahead_frames(const nsf_weights *w)
{
    /* three k=3 convs look 1 frame ahead each; the first sample of frame k needs upsampled rows up to
     * 512 k + lag, i.e. conv outputs up to frame k + ceil(lag / hop): 3 + 3 = 6 for the original */
    return 3 + (int)((lag_samples(w) + w->hop - 1) / w->hop);
}

/* Carves one allocation; with base NULL it only counts. */
typedef struct {
    char *base;
    size_t off;
} carver;

static void *carve(carver *c, size_t bytes)
{
    void *p = c->base ? c->base + c->off : NULL;
    c->off += (bytes + 63) & ~(size_t)63;
    return p;
}

static void layout(nsf_voice *v, const nsf_weights *w, carver *c)
{
    const size_t H = w->hidden, D = NR_NUM_DESC, f = sizeof(float), C = NSF_CHUNK;
    const int cr = NSF_CHUNK + w->cut_win;
    nsf_voice tmp;
    if (!v) v = &tmp;
    v->cr = cr;
    v->raw = carve(c, QF * D * f);
    v->feat = carve(c, QF * D * f);
    v->c1 = carve(c, QF * H * f);
    v->c2 = carve(c, QF * H * f);
    v->c3 = carve(c, QF * H * f);
    void *m1 = carve(c, nr_ma_stream_bytes((int)H + 1, w->up_win));
    void *m2 = carve(c, nr_ma_stream_bytes((int)H + 1, w->up_win));
    void *m3 = carve(c, nr_ma_stream_bytes(1, w->cut_win));
    v->ctx_ring = carve(c, (size_t)cr * H * f);
    v->cut_ring = carve(c, (size_t)cr * f);
    v->rows = carve(c, NR_MA_BATCH * (H + 1) * f);
    v->y1 = carve(c, NR_MA_BATCH * (H + 1) * f);
    v->y2 = carve(c, NR_MA_BATCH * (H + 1) * f);
    void *fm = carve(c, nsf_filter_bytes(w));
    v->b_ctx = carve(c, C * H * f);
    v->b_cut = carve(c, C * f);
    v->b_f0 = carve(c, C * f);
    v->b_har = carve(c, C * f);
    v->b_noi = carve(c, C * f);
    if (c->base) {
        /* the context averages follow PyTorch's float arithmetic: its sums drift by up to 1e-5 (most
         * over the runs of equal upsampled values) and the filter amplifies context differences, so
         * running sums would cost the golden vectors half their margin; the cut-off smoothing uses
         * running sums in double (its rounding does not show in the output) */
        nr_ma_stream_init(&v->ma1, (int)H + 1, w->up_win, w->ma_first, 1, m1);
        nr_ma_stream_init(&v->ma2, (int)H + 1, w->up_win, w->ma_second, 1, m2);
        nr_ma_stream_init(&v->mcut, 1, w->cut_win, w->cut_w, 0, m3);
        nsf_filter_init(&v->filt, w, fm);
    }
}

size_t nsf_voice_bytes(const nsf_weights *w, int max_block)
{
    (void)max_block; /* blocks are split into NSF_CHUNK passes: the state does not grow with them */
    carver c = {NULL, 0};
    layout(NULL, w, &c);
    return ((sizeof(nsf_voice) + 63) & ~(size_t)63) + c.off;
}

static void v_reset(nr_voice *base, uint64_t seed)
{
    nsf_voice *v = (nsf_voice *)base;
    if (seed) v->seed = seed;
    v->n_pushed = v->n_c1 = v->n_c2 = v->n_c3 = 0;
    v->ended = 0;
    v->a_in = v->b_in = v->b_out = v->c_in = v->c_out = 0;
    v->produced = 0;
    nr_ma_stream_reset(&v->ma1);
    nr_ma_stream_reset(&v->ma2);
    nr_ma_stream_reset(&v->mcut);
    nsf_source_init(&v->src, v->w, v->seed, v->cfg.no_noise, v->cfg.band_limited);
    nsf_filter_reset(&v->filt);
}

#define FR(buf, t, width) ((buf) + (size_t)((t) % QF) * (width))

/* Run the frame-rate convs as far as the pushed frames allow (zero padding at both ends). */
static void frame_convs(nsf_voice *v)
{
    const nsf_weights *w = v->w;
    const int H = w->hidden, D = NR_NUM_DESC;
    float *in[3] = {v->feat, v->c1, v->c2}, *out[3] = {v->c1, v->c2, v->c3};
    long *n_in[3] = {&v->n_pushed, &v->n_c1, &v->n_c2}, *n_out[3] = {&v->n_c1, &v->n_c2, &v->n_c3};
    double t0 = nsf_prof_start();
    for (int l = 0; l < 3; l++) {
        const int C = l ? H : D;
        const long avail = *n_in[l];
        while (*n_out[l] < avail - 1 || (v->ended && *n_out[l] < avail)) {
            long t = *n_out[l];
            nsf_cond_conv(w, l, t > 0 ? FR(in[l], t - 1, C) : NULL, FR(in[l], t, C),
                          t + 1 < avail ? FR(in[l], t + 1, C) : NULL, FR(out[l], t, H));
            (*n_out[l])++;
        }
    }
    nsf_prof_lap(NSF_ST_FRAME, &t0);
}

static int v_push_frame(nr_voice *base, const float desc[NR_NUM_DESC])
{
    nsf_voice *v = (nsf_voice *)base;
    const long oldest = v->produced / v->w->hop - 1; /* the conv at the rendered frame looks one back */
    if (v->ended || v->n_pushed - oldest >= QF) return 0;
    float *raw = FR(v->raw, v->n_pushed, NR_NUM_DESC);
    memcpy(raw, desc, NR_NUM_DESC * sizeof(float));
    nsf_frame_prepare(v->w, raw, FR(v->feat, v->n_pushed, NR_NUM_DESC));
    v->n_pushed++;
    frame_convs(v);
    return 1;
}

static void v_end(nr_voice *base)
{
    nsf_voice *v = (nsf_voice *)base;
    if (v->ended) return;
    v->ended = 1;
    frame_convs(v);
}

static float frame_f0(const nsf_voice *v, long sample)
{
    return FR(v->raw, sample / v->w->hop, NR_NUM_DESC)[NR_NUM_DESC - 1];
}

static void got_cut(nsf_voice *v, float c)
{
    v->cut_ring[v->c_out % v->cr] = c;
    v->c_out++;
}

static void got_y2(nsf_voice *v, const float *y2)
{
    const nsf_weights *w = v->w;
    const int H = w->hidden;
    const long j = v->b_out++;
    float *ctx = v->ctx_ring + (size_t)(j % v->cr) * H;
    memcpy(ctx, y2, (size_t)(H - 1) * sizeof(float)); /* hidden channels 0 .. H-2 */
    ctx[H - 1] = y2[H];                               /* smoothed normalised f0 */
    const float uv = frame_f0(v, j) > w->voiced_threshold ? 1.0f : 0.0f;
    const float cut = y2[H - 1] * 0.2f + uv * 0.4f + 0.3f;
    float sm;
    v->c_in++;
    if (nr_ma_stream_push(&v->mcut, &cut, &sm)) got_cut(v, sm);
}

/* The second average takes the first's rows as a batch: its exact kernel works on 4 windows at once. */
static void got_y1(nsf_voice *v, const float *y1, int n)
{
    const int W = v->w->hidden + 1;
    v->b_in += n;
    const int got = nr_ma_stream_push_n(&v->ma2, y1, n, v->y2);
    for (int i = 0; i < got; i++) got_y2(v, v->y2 + (size_t)i * W);
}

/* One step of the condition pipeline (up to NR_MA_BATCH samples); 0 when it cannot move without more
 * frames. */
static int cond_step(nsf_voice *v)
{
    const nsf_weights *w = v->w;
    const int H = w->hidden, hop = w->hop, W = H + 1;
    const long total = v->n_pushed * hop;
    const long ready = v->ended ? total : v->n_c3 * hop;
    const long ra = v->ma1.win - 1 - v->ma1.left, rb = v->ma2.win - 1 - v->ma2.left;
    const long rc = v->mcut.win - 1 - v->mcut.left;
    int got = 0;
    if (v->a_in < ready) {
        const int n = ready - v->a_in < NR_MA_BATCH ? (int)(ready - v->a_in) : NR_MA_BATCH;
        for (int i = 0; i < n; i++) {
            const long t = (v->a_in + i) / hop;
            float *row = v->rows + (size_t)i * W;
            memcpy(row, FR(v->c3, t, H), (size_t)H * sizeof(float));
            row[H] = FR(v->feat, t, NR_NUM_DESC)[NR_NUM_DESC - 1];
        }
        v->a_in += n;
        got = nr_ma_stream_push_n(&v->ma1, v->rows, n, v->y1);
    } else if (!v->ended || total == 0) {
        return 0;
    } else if (v->a_in < total + ra) { /* replicate padding on the right, pass by pass */
        const int n = total + ra - v->a_in < NR_MA_BATCH ? (int)(total + ra - v->a_in) : NR_MA_BATCH;
        v->a_in += n;
        got = nr_ma_stream_push_last_n(&v->ma1, n, v->y1);
    } else if (v->b_in < total + rb) {
        const int n = total + rb - v->b_in < NR_MA_BATCH ? (int)(total + rb - v->b_in) : NR_MA_BATCH;
        v->b_in += n;
        const int g2 = nr_ma_stream_push_last_n(&v->ma2, n, v->y2);
        for (int i = 0; i < g2; i++) got_y2(v, v->y2 + (size_t)i * W);
    } else if (v->c_in < total + rc) {
        float sm;
        v->c_in++;
        if (nr_ma_stream_push_last(&v->mcut, &sm)) got_cut(v, sm);
    } else {
        return 0;
    }
    if (got) got_y1(v, v->y1, got);
    return 1;
}

static long v_available(const nr_voice *base)
{
    const nsf_voice *v = (const nsf_voice *)base;
    long can = v->ended ? v->n_pushed * v->w->hop : v->n_c3 * v->w->hop - lag_samples(v->w);
    return can > v->produced ? can - v->produced : 0;
}

/* Member 0: the condition up to the chunk's end and its context / cut-off rows. 0 when the pushed frames
 * do not reach (cannot happen when available() is right). */
static int chunk_condition(nsf_voice *v, long s0, int c)
{
    const int H = v->w->hidden;
    double t0 = nsf_prof_start();
    while (v->c_out < s0 + c)
        if (!cond_step(v)) break;
    if (v->c_out < s0 + c) return 0;
    for (int i = 0; i < c; i++) {
        const long j = (s0 + i) % v->cr;
        memcpy(v->b_ctx + (size_t)i * H, v->ctx_ring + (size_t)j * H, (size_t)H * sizeof(float));
        v->b_cut[i] = v->cut_ring[j];
    }
    nsf_prof_lap(NSF_ST_CONTEXT, &t0);
    return 1;
}

static void chunk_source(nsf_voice *v, int c)
{
    double t0 = nsf_prof_start();
    nsf_source_run(&v->src, v->b_f0, c, v->b_har, v->b_noi);
    nsf_prof_lap(NSF_ST_SOURCE, &t0);
}

/* One chunk on the team: the condition (member 0) and the sources (the last member) are independent and
 * overlap, the last member going on with the input layer and first conv of the first harmonic block and
 * of the noise block (they need no context); then every member filters its rows. */
static void chunk_run(void *arg, int tid, int nt)
{
    nsf_voice *v = arg;
    chunk_job *job = &v->job;
    if (tid == 0) job->ok = chunk_condition(v, job->s0, job->n);
    if (tid == nt - 1) {
        chunk_source(v, job->n);
        /* the rest of the condition's time: the two blocks that need only the sources start */
        nsf_filter_prestart(&v->filt, v->b_har, v->b_noi, job->n);
    }
    nr_team_barrier(v->team);
    if (!job->ok) {
        nr_team_barrier(v->team); /* everyone has read ok before member 0 puts the source back */
        if (tid == 0) v->src = v->src_saved, v->filt.pre = 0;
        return;
    }
    nsf_filter_run_part(&v->filt, v->b_har, v->b_noi, v->b_ctx, v->b_cut, job->n, job->out, v->team, tid, nt);
}

/* A split by rows gives the one-thread output bit for bit when every product runs on the project's own
 * kernels (dsp/gemm64.h: each output one chain of FMAs in k order, whatever the row count). The generic
 * path's OpenBLAS and the widths it serves pick kernels by the matrix size, with other roundings: there
 * the voice keeps to one thread. */
static int split_is_exact(const nsf_weights *w)
{
    if (nr_cpu_path() == NR_CPU_GENERIC || w->hidden != NR_GEMM64_N) return 0;
    for (int b = 0; b < w->n_har; b++)
        if (!w->har[b].ff2t) return 0;
    return w->noi.ff2t != NULL;
}

static int v_process(nr_voice *base, float *out, int n)
{
    nsf_voice *v = (nsf_voice *)base;
    long avail = v_available(base);
    if (n > v->cfg.max_block) n = v->cfg.max_block;
    if (n > avail) n = (int)avail;
    if (n <= 0) return 0;
    int done = 0;
    while (done < n) {
        const int c = n - done < NSF_CHUNK ? n - done : NSF_CHUNK;
        const long s0 = v->produced;
        for (int i = 0; i < c; i++) v->b_f0[i] = frame_f0(v, s0 + i);
        if (v->team && c >= MT_MIN_SAMPLES) {
            v->job = (chunk_job){s0, c, out + done, 0};
            v->src_saved = v->src;
            nr_team_run(v->team, chunk_run, v);
            if (!v->job.ok) break;
        } else {
            if (!chunk_condition(v, s0, c)) break;
            chunk_source(v, c);
            nsf_filter_run(&v->filt, v->b_har, v->b_noi, v->b_ctx, v->b_cut, c, out + done);
        }
        v->produced += c;
        done += c;
    }
    return done;
}

static int v_finished(const nr_voice *base)
{
    const nsf_voice *v = (const nsf_voice *)base;
    return v->ended && v->produced >= v->n_pushed * v->w->hop;
}

static void v_free(nr_voice *base)
{
    nr_team_free(((nsf_voice *)base)->team);
    free(base);
}

static const nr_voice_ops nsf_voice_ops = {
    .free = v_free,
    .reset = v_reset,
    .push_frame = v_push_frame,
    .end = v_end,
    .available = v_available,
    .process = v_process,
    .finished = v_finished,
};

nr_result nsf_voice_create(const nr_model *m, const nr_voice_config *cfg, nr_voice **out)
{
    const nsf_weights *w = nsf_weights_of(m);
    size_t bytes = (nsf_voice_bytes(w, cfg->max_block) + 63) & ~(size_t)63;
    nsf_voice *v = aligned_alloc(64, bytes);
    if (!v) return nr_fail(NR_ERR_NOMEM, "voice: out of memory (%zu bytes)", bytes);
    memset(v, 0, sizeof *v);
    v->base.ops = &nsf_voice_ops;
    v->base.model = m;
    v->w = w;
    v->cfg = *cfg;
    v->seed = cfg->seed;
    carver c = {(char *)v + ((sizeof *v + 63) & ~(size_t)63), 0};
    layout(v, w, &c);
    if (cfg->threads > 1 && split_is_exact(w)) {
        /* the voice's own workers split each chunk (created here, never on the audio path) */
        nr_result r = nr_team_create(cfg->threads < NR_TEAM_MAX ? cfg->threads : NR_TEAM_MAX, &v->team);
        if (r != NR_OK) {
            free(v);
            return nr_fail_prefix(r, "voice");
        }
    }
    /* OpenBLAS (the generic path's products) stays on the calling thread: the voice splits its own work */
    openblas_set_num_threads(1);
    v_reset(&v->base, 0);
    *out = &v->base;
    return NR_OK;
}
