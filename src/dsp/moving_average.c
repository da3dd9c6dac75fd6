#include "dsp/moving_average.h"

#include <stdlib.h>
#include <string.h>

#define LANES 16
typedef float vf __attribute__((vector_size(LANES * sizeof(float))));

float nr_ma_uniform_weight(const float *w, int n)
{
    for (int j = 1; j < n; j++)
        if (w[j] != w[0]) return 0.0f;
    return w[0];
}

static long clampl(long i, long n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

void nr_ma_replicate_ref(const float *x, long n, long xs, const float *w, int win, float *y, long ys)
{
    const long left = (win - 1) / 2;
    for (long s = 0; s < n; s++) {
        float acc = 0.0f;
        for (int j = 0; j < win; j++) acc += w[j] * x[clampl(s + j - left, n) * xs];
        y[s * ys] = acc;
    }
}

int nr_ma_replicate(const float *x, long n, long xs, const float *w, int win, float *y, long ys)
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

size_t nr_ma_stream_bytes(int ch, int win)
{
    return (size_t)ch * sizeof(double) + (size_t)ch * (win + 1) * sizeof(float);
}

void nr_ma_stream_init(nr_ma_stream *s, int ch, int win, const float *w, int exact, void *mem)
{
    s->ch = ch;
    s->win = win;
    s->left = (win - 1) / 2;
    s->exact = exact;
    s->wu = nr_ma_uniform_weight(w, ch * win);
    s->w = w;
    s->sum = mem;
    s->ring = (float *)(s->sum + ch);
    s->last = s->ring + (size_t)ch * win;
    nr_ma_stream_reset(s);
}

void nr_ma_stream_reset(nr_ma_stream *s)
{
    memset(s->sum, 0, (size_t)s->ch * sizeof(double));
    memset(s->ring, 0, (size_t)s->ch * (s->win + 1) * sizeof(float));
    s->count = 0;
    s->pos = 0;
}

static void push_row(nr_ma_stream *s, const float *x)
{
    float *slot = s->ring + (size_t)s->pos * s->ch;
    if (!s->exact && s->wu != 0.0f) {
        if (s->count >= s->win)
            for (int c = 0; c < s->ch; c++) s->sum[c] += (double)x[c] - (double)slot[c];
        else
            for (int c = 0; c < s->ch; c++) s->sum[c] += x[c];
    }
    memcpy(slot, x, (size_t)s->ch * sizeof(float));
    if (++s->pos == s->win) s->pos = 0;
    s->count++;
}

/* acc[c] += wu * row[c] over the rows from oldest to newest: PyTorch's order */
static void accumulate_uniform(const nr_ma_stream *s, int from, int to, float *y)
{
    const int ch = s->ch;
    const float wu = s->wu;
    for (int j = from; j < to; j++) {
        const float *row = s->ring + (size_t)j * ch;
        for (int c = 0; c < ch; c++) y[c] += wu * row[c];
    }
}

static int output(const nr_ma_stream *s, float *y)
{
    if (s->count < s->win) return 0;
    if (s->wu != 0.0f && !s->exact) {
        for (int c = 0; c < s->ch; c++) y[c] = (float)(s->sum[c] * s->wu);
        return 1;
    }
    for (int c = 0; c < s->ch; c++) y[c] = 0.0f;
    if (s->wu != 0.0f) {
        accumulate_uniform(s, s->pos, s->win, y);
        accumulate_uniform(s, 0, s->pos, y);
        return 1;
    }
    /* oldest row at pos: it pairs with w[0] */
    for (int j = 0; j < s->win; j++) {
        const float *row = s->ring + (size_t)((s->pos + j) % s->win) * s->ch;
        for (int c = 0; c < s->ch; c++) y[c] += s->w[(size_t)c * s->win + j] * row[c];
    }
    return 1;
}

int nr_ma_stream_push(nr_ma_stream *s, const float *x, float *y)
{
    if (s->count == 0)
        for (int j = 0; j < s->left; j++) push_row(s, x); /* replicate padding on the left */
    push_row(s, x);
    memcpy(s->last, x, (size_t)s->ch * sizeof(float));
    return output(s, y);
}

int nr_ma_stream_push_last(nr_ma_stream *s, float *y)
{
    push_row(s, s->last);
    return output(s, y);
}
