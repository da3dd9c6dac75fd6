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
typedef struct {
    int ch, win, left;
    int exact;       /* PyTorch's arithmetic (else running sums when uniform) */
    float wu;        /* common weight (uniform) or 0 */
    const float *w;  /* (ch, win) taps per channel, used when not uniform */
    float *ring;     /* (win, ch): the last win inputs, oldest at row pos once full */
    double *sum;     /* (ch) running sum of the ring */
    float *last;     /* (ch) last pushed row */
    long count;      /* rows in the window so far, left padding included */
    int pos;
} nr_ma_stream;

size_t nr_ma_stream_bytes(int ch, int win);
/* mem: nr_ma_stream_bytes() bytes, 8-byte aligned. w: (ch, win), kept (not copied). */
void nr_ma_stream_init(nr_ma_stream *s, int ch, int win, const float *w, int exact, void *mem);
void nr_ma_stream_reset(nr_ma_stream *s);
/* Push a row; returns 1 and writes y (ch) when an output is ready. Audio-thread safe. */
int nr_ma_stream_push(nr_ma_stream *s, const float *x, float *y);
int nr_ma_stream_push_last(nr_ma_stream *s, float *y);

#endif
