/* resampy's kaiser_best resampler, written from its published design: the right wing of a
 * Kaiser-windowed sinc tabulated at NR_KB_STEPS points per zero crossing, read with linear
 * interpolation, stretched by the ratio when downsampling (the cut-off follows the lower Nyquist). */
#include "dsp/kaiser_resample.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* I0's power series sum_k ((x/2)^2k / (k!)^2) stops once a term no longer moves the sum. */
#define I0_REL_EPS 1e-18

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static double *g_tab; /* (NR_KB_TABLE, 2): win, delta */

/* Modified Bessel function of the first kind, order 0. All terms are positive, so the series is
 * accurate to rounding for the arguments of the window (0..beta). */
static double bessel_i0(double x)
{
    double q = 0.25 * x * x, term = 1.0, sum = 1.0;
    for (int k = 1; k < 500 && term > I0_REL_EPS * sum; k++) {
        term *= q / ((double)k * k);
        sum += term;
    }
    return sum;
}

static void make_table(void)
{
    /* one padding entry past the end (a copy of the last), read by the scaled differences */
    double *t = malloc(((size_t)NR_KB_TABLE + 1) * 2 * sizeof *t);
    if (!t) return;
    const double i0_beta = bessel_i0(NR_KB_BETA);
    const double half = NR_KB_TABLE - 1; /* the symmetric window's centre, (2 * half + 1 - 1) / 2 */
    for (int j = 0; j < NR_KB_TABLE; j++) {
        double x = (double)j / NR_KB_STEPS; /* in zero crossings; exact (a power of two) */
        double a = M_PI * (NR_KB_ROLLOFF * x);
        double sinc = j == 0 ? 1.0 : sin(a) / a;
        double r = (double)j / half;
        double w = bessel_i0(NR_KB_BETA * sqrt(1.0 - r * r)) / i0_beta;
        t[2 * j] = w * (NR_KB_ROLLOFF * sinc);
    }
    t[2 * NR_KB_TABLE] = t[2 * (NR_KB_TABLE - 1)];
    for (int j = 0; j <= NR_KB_TABLE; j++) t[2 * j + 1] = j + 1 < NR_KB_TABLE ? t[2 * j + 2] - t[2 * j] : 0.0;
    g_tab = t;
}

const double *nr_kb_table(void)
{
    pthread_once(&g_once, make_table);
    return g_tab;
}

long nr_kb_resampy_length(long n, int rate_in, int rate_out)
{
    /* resampy: int(shape * float(sr_new) / float(sr_orig)), left to right in double */
    return (long)((double)n * (double)rate_out / (double)rate_in);
}

/* Where output t falls: the input sample n at or before it, the table offset and the interpolation
 * factor of each wing, as resampy computes them (the table is read every `step` entries). */
typedef struct {
    long n;
    int off_l, off_r;
    double eta_l, eta_r;
} kb_pos;

static kb_pos position(long t, double increment, double scale)
{
    kb_pos p;
    double time = (double)t * increment;
    p.n = (long)time;
    double frac = scale * (time - (double)p.n);
    double idx = frac * NR_KB_STEPS;
    p.off_l = (int)idx;
    p.eta_l = idx - p.off_l;
    frac = scale - frac;
    idx = frac * NR_KB_STEPS;
    p.off_r = (int)idx;
    p.eta_r = idx - p.off_r;
    return p;
}

static long min_l(long a, long b) { return a < b ? a : b; }

/* Outputs computed side by side: each adds its taps one by one into a float (resampy's rounding),
 * a chain of dependent additions; a few chains at once keep the adder busy. */
#define KB_BLOCK 8

/* Where the taps come from. resampy reads the table every `step` entries from an offset 0..step;
 * for a long signal the entries are first copied into rows, one per offset, each holding
 * (win_s, delta_s) at off, off + step, off + 2 step, ... side by side, so that an output reads two
 * short runs of memory instead of a few hundred cache lines spread over the 6.5 MB table. */
typedef struct {
    const double *tab; /* nr_kb_table() */
    double gain;       /* resampy scales the filter by the ratio when downsampling */
    int step;
    double *rows;      /* (step + 1, row_len, 2) or NULL: read tab directly */
    long row_len;
} kb_taps;

static long row_count(int off, int step) { return (NR_KB_TABLE - off) / step; }

/* win_s[o] = gain win[o] and delta_s[o] = win_s[o + 1] - win_s[o], as resampy forms them (scaled
 * first, differenced after). Entry NR_KB_TABLE is the padding copy of the last: delta_s there is 0. */
static void scaled_entry(const kb_taps *k, long o, double *ws, double *ds)
{
    *ws = k->gain * k->tab[2 * o];
    *ds = k->gain * k->tab[2 * o + 2] - *ws;
}

static int build_rows(kb_taps *k)
{
    k->row_len = NR_KB_TABLE / k->step + 1;
    k->rows = malloc((size_t)(k->step + 1) * (size_t)k->row_len * 2 * sizeof *k->rows);
    if (!k->rows) return 0;
    for (int off = 0; off <= k->step; off++) {
        double *r = k->rows + (size_t)off * (size_t)k->row_len * 2;
        for (long i = 0, n = row_count(off, k->step); i < n; i++)
            scaled_entry(k, off + i * k->step, &r[2 * i], &r[2 * i + 1]);
    }
    return 1;
}

/* One wing's taps: w[i] = win_s[off + i step] + eta delta_s[off + i step], i < count. */
static void wing_taps(const kb_taps *k, int off, double eta, long count, double *w)
{
    if (k->rows) {
        const double *r = k->rows + (size_t)off * (size_t)k->row_len * 2;
        for (long i = 0; i < count; i++) w[i] = r[2 * i] + eta * r[2 * i + 1];
        return;
    }
    for (long i = 0; i < count; i++) {
        double ws, ds;
        scaled_entry(k, off + i * k->step, &ws, &ds);
        w[i] = ws + eta * ds;
    }
}

/* acc = (float)((double)acc + w[i] x[i dir]) for i = from..to-1: resampy's order and rounding. */
static float add_taps(float acc, const double *w, const float *x, long from, long to, int dir)
{
    for (long i = from; i < to; i++) acc = (float)((double)acc + w[i] * (double)x[i * dir]);
    return acc;
}

int nr_kb_resample(const float *x, long n_x, int rate_in, int rate_out, float *y, long n_y)
{
    kb_taps k = {nr_kb_table(), 1.0, 0, NULL, 0};
    if (!k.tab) return 0;
    const double ratio = (double)rate_out / rate_in;
    const double scale = ratio < 1.0 ? ratio : 1.0;
    const double increment = 1.0 / ratio;
    k.gain = scale;
    k.step = (int)(scale * NR_KB_STEPS);
    const long max_taps = NR_KB_TABLE / k.step + 1;
    /* An integer step between outputs (44100 -> 22050, 88200 -> 22050) puts every output on an input
     * sample: one set of taps serves all. Otherwise rows pay off once the outputs read more entries
     * than the table holds. */
    const int one_phase = increment == floor(increment);
    if (!one_phase && (double)n_y * 2.0 * (double)max_taps > (double)NR_KB_TABLE && !build_rows(&k)) return 0;
    const int slots = one_phase ? 1 : KB_BLOCK;
    double *w = malloc((size_t)max_taps * 2 * (size_t)slots * sizeof *w); /* (slots, 2, max_taps) */
    if (!w) {
        free(k.rows);
        return 0;
    }
    long taps_l = 0, taps_r = 0;
    for (long t0 = 0; t0 < n_y; t0 += KB_BLOCK) {
        int nb = n_y - t0 < KB_BLOCK ? (int)(n_y - t0) : KB_BLOCK;
        const double *wl[KB_BLOCK], *wr[KB_BLOCK];
        const float *xl[KB_BLOCK], *xr[KB_BLOCK];
        long i_max[KB_BLOCK], k_max[KB_BLOCK], common_l = LONG_MAX, common_r = LONG_MAX;
        for (int b = 0; b < nb; b++) {
            kb_pos p = position(t0 + b, increment, scale);
            if (p.n > n_x - 1) p.n = n_x - 1; /* never for resampy's lengths; keeps reads inside x */
            double *ws = w + (size_t)(one_phase ? 0 : b) * 2 * (size_t)max_taps;
            if (!one_phase || t0 + b == 0) {
                taps_l = row_count(p.off_l, k.step);
                taps_r = row_count(p.off_r, k.step);
                wing_taps(&k, p.off_l, p.eta_l, taps_l, ws);
                wing_taps(&k, p.off_r, p.eta_r, taps_r, ws + max_taps);
            }
            wl[b] = ws, wr[b] = ws + max_taps;
            xl[b] = x + p.n, xr[b] = x + p.n + 1;
            /* near the ends the wings stop at the signal's edges */
            i_max[b] = min_l(p.n + 1, taps_l);
            k_max[b] = min_l(n_x - p.n - 1, taps_r);
            common_l = min_l(common_l, i_max[b]);
            common_r = min_l(common_r, k_max[b]);
        }
        float acc[KB_BLOCK] = {0};
        if (nb < KB_BLOCK) common_l = common_r = 0;
        /* each wing: the length all outputs of the block share, their chains side by side; then the
         * rest of each (a tap or so), so that every output adds its taps in resampy's order */
        for (long i = 0; i < common_l; i++)
            for (int b = 0; b < KB_BLOCK; b++) acc[b] = (float)((double)acc[b] + wl[b][i] * (double)xl[b][-i]);
        for (int b = 0; b < nb; b++) acc[b] = add_taps(acc[b], wl[b], xl[b], common_l, i_max[b], -1);
        for (long i = 0; i < common_r; i++)
            for (int b = 0; b < KB_BLOCK; b++) acc[b] = (float)((double)acc[b] + wr[b][i] * (double)xr[b][i]);
        for (int b = 0; b < nb; b++) y[t0 + b] = add_taps(acc[b], wr[b], xr[b], common_r, k_max[b], 1);
    }
    free(w);
    free(k.rows);
    return 1;
}

int nr_kb_resample_ref(const float *x, long n_x, int rate_in, int rate_out, float *y, long n_y)
{
    const double *tab = nr_kb_table();
    if (!tab) return 0;
    const double ratio = (double)rate_out / rate_in;
    const double scale = ratio < 1.0 ? ratio : 1.0;
    const double increment = 1.0 / ratio;
    const int step = (int)(scale * NR_KB_STEPS);
    double *win = malloc((size_t)NR_KB_TABLE * sizeof *win), *delta = malloc((size_t)NR_KB_TABLE * sizeof *delta);
    if (!win || !delta) {
        free(win);
        free(delta);
        return 0;
    }
    for (int j = 0; j < NR_KB_TABLE; j++) win[j] = ratio < 1.0 ? ratio * tab[2 * j] : tab[2 * j];
    for (int j = 0; j < NR_KB_TABLE; j++) delta[j] = j + 1 < NR_KB_TABLE ? win[j + 1] - win[j] : 0.0;
    for (long t = 0; t < n_y; t++) {
        kb_pos p = position(t, increment, scale);
        if (p.n > n_x - 1) p.n = n_x - 1;
        float acc = 0.0f; /* resampy adds into its float32 output */
        long i_max = min_l(p.n + 1, (NR_KB_TABLE - p.off_l) / step);
        for (long i = 0; i < i_max; i++) {
            long o = p.off_l + i * step;
            double weight = win[o] + p.eta_l * delta[o];
            acc = (float)((double)acc + weight * (double)x[p.n - i]);
        }
        long k_max = min_l(n_x - p.n - 1, (NR_KB_TABLE - p.off_r) / step);
        for (long k = 0; k < k_max; k++) {
            long o = p.off_r + k * step;
            double weight = win[o] + p.eta_r * delta[o];
            acc = (float)((double)acc + weight * (double)x[p.n + k + 1]);
        }
        y[t] = acc;
    }
    free(win);
    free(delta);
    return 1;
}
