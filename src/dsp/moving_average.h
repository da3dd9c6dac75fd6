/* Non-causal moving averages with replicate padding ("same" length), as PyTorch's depthwise Conv1d
 * over a replicate-padded input: y[s] = sum_j w[j] x[clamp(s + j - left, 0, n - 1)], j < win,
 * left = (win - 1) / 2.
 * Two arithmetics: PyTorch's (float32, taps accumulated in order: what the golden vectors need, since
 * the filter amplifies context differences) and running sums in double (O(1) per sample, equal
 * weights only, about 1e-5 away from PyTorch's rounding on long windows). */
#ifndef NR_DSP_MOVING_AVERAGE_H
#define NR_DSP_MOVING_AVERAGE_H

#include <stddef.h>

/* The common value if all n weights are equal, else 0. */
float nr_ma_uniform_weight(const float *w, int n);

/* Whole signal, one channel, PyTorch's arithmetic, vectorised over outputs.
 * x, y: n values at strides xs, ys (y may not alias x). w: (win). Allocates a padded copy; returns 0
 * when out of memory. */
int nr_ma_replicate(const float *x, long n, long xs, const float *w, int win, float *y, long ys);
/* Running sums in double when the weights are equal, else as nr_ma_replicate. */
int nr_ma_replicate_fast(const float *x, long n, long xs, const float *w, int win, float *y, long ys);
/* Reference: plain loops in PyTorch's order. */
void nr_ma_replicate_ref(const float *x, long n, long xs, const float *w, int win, float *y, long ys);

/* Streaming, C channels at once: push rows in order; after the first `win - left` pushes every push
 * yields one output row. At the end push copies of the last row (nr_ma_stream_push_last) `win - 1 -
 * left` times: that is the replicate padding on the right. Memory is given by the caller. */
#define NR_MA_BATCH 64 /* rows per nr_ma_stream_push_n call */

typedef struct {
    int ch, cs, win, left; /* channels, ring row stride (ch rounded up to the vector width) */
    int rows;        /* ring rows: win + NR_MA_BATCH */
    int exact;       /* PyTorch's arithmetic (else running sums when uniform) */
    float wu;        /* common weight (uniform) or 0 */
    int pow2;        /* wu is a power of two: scaling it out is exact */
    const float *w;  /* (ch, win) taps per channel, used when not uniform */
    float *ring;     /* (rows, cs): pushed row a at ring row a mod rows */
    double *sum;     /* (ch) running sum of the window */
    float *last;     /* (ch) last pushed row */
    int tail0;       /* channels tail0 .. ch - 1 (past the last whole group of 16) are also kept by time: */
    float *tcol;     /* (ch - tail0, 2 rows): pushed row a at a mod rows and again rows later */
    long count;      /* rows pushed, left padding included */
} nr_ma_stream;

size_t nr_ma_stream_bytes(int ch, int win);
/* mem: nr_ma_stream_bytes() bytes, 8-byte aligned. w: (ch, win), kept (not copied). */
void nr_ma_stream_init(nr_ma_stream *s, int ch, int win, const float *w, int exact, void *mem);
void nr_ma_stream_reset(nr_ma_stream *s);
/* Push a row; returns 1 and writes y (ch) when an output is ready. Audio-thread safe. */
int nr_ma_stream_push(nr_ma_stream *s, const float *x, float *y);
int nr_ma_stream_push_last(nr_ma_stream *s, float *y);
/* Push min(n, NR_MA_BATCH) rows x (n, ch) / copies of the last row; returns the number of output rows
 * written to y (n, ch). Batches let the exact arithmetic work on several windows at once. */
int nr_ma_stream_push_n(nr_ma_stream *s, const float *x, int n, float *y);
int nr_ma_stream_push_last_n(nr_ma_stream *s, int n, float *y);

#endif
