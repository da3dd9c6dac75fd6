/* Multi-resolution STFT loss (spectral convergence + log-magnitude L1) and its gradient, with FFTW.
 * Frames are centred: frame m covers samples [m*hop - size/2, m*hop + size/2), zeros outside, so the
 * onset at sample 0 is seen with full window weight. */
#include "train_impl.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#define MAG_EPS 1e-20

static pthread_mutex_t g_plan_lock = PTHREAD_MUTEX_INITIALIZER; /* FFTW's planner is not thread-safe */

nr_result nr_stft_loss_init(nr_stft_loss *L, const int *sizes, int n_res)
{
    memset(L, 0, sizeof *L);
    L->log_eps = NR_STFT_LOG_EPS;
    if (n_res < 1 || n_res > NR_STFT_MAX_RES) return nr_fail(NR_ERR_ARG, "STFT loss: %d resolutions (1..%d)", n_res, NR_STFT_MAX_RES);
    pthread_mutex_lock(&g_plan_lock);
    nr_result r = NR_OK;
    for (int i = 0; i < n_res && r == NR_OK; i++) {
        int n = sizes[i];
        if (n < 16 || n > 65536 || (n & (n - 1))) {
            r = nr_fail(NR_ERR_ARG, "STFT loss: FFT size %d must be a power of two in 16..65536", n);
            break;
        }
        double *in = fftw_malloc(sizeof(double) * (size_t)n);
        fftw_complex *out = fftw_malloc(sizeof(fftw_complex) * (size_t)(n / 2 + 1));
        L->win[i] = fftw_malloc(sizeof(double) * (size_t)n);
        if (!in || !out || !L->win[i]) r = nr_fail(NR_ERR_NOMEM, "STFT loss: out of memory");
        if (r == NR_OK) {
            L->fwd[i] = fftw_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
            L->inv[i] = fftw_plan_dft_c2r_1d(n, out, in, FFTW_ESTIMATE);
            if (!L->fwd[i] || !L->inv[i]) r = nr_fail(NR_ERR_NOMEM, "STFT loss: FFTW could not plan size %d", n);
            double s = 0.0;
            for (int k = 0; k < n; k++) s += L->win[i][k] = 0.5 - 0.5 * cos(2.0 * M_PI * k / n);
            for (int k = 0; k < n; k++) L->win[i][k] /= s;
        }
        fftw_free(in);
        fftw_free(out);
        L->size[i] = n;
        L->n_res = i + 1;
        if (n > L->max_size) L->max_size = n;
    }
    pthread_mutex_unlock(&g_plan_lock);
    if (r != NR_OK) nr_stft_loss_free(L);
    return r;
}

void nr_stft_loss_free(nr_stft_loss *L)
{
    pthread_mutex_lock(&g_plan_lock);
    for (int i = 0; i < L->n_res; i++) {
        if (L->fwd[i]) fftw_destroy_plan(L->fwd[i]);
        if (L->inv[i]) fftw_destroy_plan(L->inv[i]);
        fftw_free(L->win[i]);
    }
    pthread_mutex_unlock(&g_plan_lock);
    memset(L, 0, sizeof *L);
}

static size_t stride(const nr_stft_loss *L) { return (size_t)L->max_size + 64; }

/* Frames of resolution r over n samples. */
static long frames_of(const nr_stft_loss *L, int r, long n) { return n / (L->size[r] / 4) + 1; }

/* 5 doubles per bin of every frame, for the resolution that needs most. */
static size_t keep_doubles(const nr_stft_loss *L, long n)
{
    size_t keep = 0;
    for (int r = 0; r < L->n_res; r++) {
        size_t bins = (size_t)frames_of(L, r, n) * (size_t)(L->size[r] / 2 + 1) * 5;
        if (bins > keep) keep = bins;
    }
    return keep;
}

/* The click term's per-frame values (CLICK_ROWS rows of its resolution's frames) follow the bins. */
enum { CLICK_PY, CLICK_PX, CLICK_LX, CLICK_EY, CLICK_G, CLICK_ROWS };

size_t nr_stft_work_doubles(const nr_stft_loss *L, long max_n)
{
    /* 4 FFT buffers, the kept bins, the click term's rows */
    size_t clicks = (size_t)(max_n / 4 + 1) * CLICK_ROWS; /* at least any resolution's frames (hop >= 4) */
    return (4 * stride(L) + keep_doubles(L, max_n) + clicks + 7) / 8 * 8; /* whole 64-byte lines */
}

/* The resolution whose frame is nearest eval's click frame (256 samples at 22050 Hz). */
static int click_res(const nr_stft_loss *L)
{
    double want = 256.0 / 22050.0 * L->band_rate, best = INFINITY;
    int at = 0;
    for (int r = 0; r < L->n_res; r++) {
        double d = fabs(log(L->size[r] / want));
        if (d < best) best = d, at = r;
    }
    return at;
}

/* Bin edges of the octave bands at FFT size `size`: band b holds bins [edge[b], edge[b + 1]). The last
 * band runs to Nyquist; bands below bin 1 are empty. */
static void band_edges(int size, int rate, int edge[NR_BAND_N + 1])
{
    int nb = size / 2 + 1;
    for (int b = 0; b < NR_BAND_N; b++) {
        int k = (int)ceil(NR_BAND_LO * ldexp(1.0, b) * size / rate);
        edge[b] = k < 1 ? 1 : k > nb ? nb : k;
    }
    edge[NR_BAND_N] = nb;
}

static int band_at(const int edge[NR_BAND_N + 1], int k)
{
    for (int b = NR_BAND_N - 1; b >= 0; b--)
        if (k >= edge[b]) return k < edge[b + 1] ? b : -1;
    return -1;
}

/* The band level term from whole-clip band powers; g[b] gets d(term)/d(render band power). */
static double band_term(const double *py, const double *px, double weight, double *g)
{
    double top = 0.0;
    for (int b = 0; b < NR_BAND_N; b++) top = px[b] > top ? px[b] : top;
    if (!(top > 0.0)) return 0.0;
    /* a floor at the edge of the range keeps a silent render band's gradient finite */
    double floor_p = top * pow(10.0, -NR_BAND_RANGE_DB / 10.0), keep = floor_p;
    int n = 0;
    for (int b = 0; b < NR_BAND_N; b++) n += px[b] >= keep;
    double loss = 0.0;
    for (int b = 0; b < NR_BAND_N; b++) {
        g[b] = 0.0;
        if (px[b] < keep) continue;
        double d = 10.0 * log10((py[b] + floor_p) / (px[b] + floor_p));
        loss += fabs(d) / n;
        g[b] = weight * (d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0) * (10.0 / M_LN10) / ((py[b] + floor_p) * n);
    }
    return weight * loss;
}

#define CLICK_EPS 1e-14 /* power floor (the window sums to 1): about -140 dB */

/* Median of the NR_CLICK_MEDIAN values of e around frame m (edges repeated); *at = its frame. */
static double running_median(const double *e, long M, long m, long *at)
{
    double v[NR_CLICK_MEDIAN];
    long idx[NR_CLICK_MEDIAN];
    for (int i = 0; i < NR_CLICK_MEDIAN; i++) {
        long j = m - NR_CLICK_MEDIAN / 2 + i;
        j = j < 0 ? 0 : j >= M ? M - 1 : j;
        int k = i;
        for (; k > 0 && v[k - 1] > e[j]; k--) v[k] = v[k - 1], idx[k] = idx[k - 1];
        v[k] = e[j], idx[k] = j;
    }
    *at = idx[NR_CLICK_MEDIAN / 2];
    return v[NR_CLICK_MEDIAN / 2];
}

/* The click term from the per-frame powers in c (rows CLICK_*, M frames each); c[CLICK_G] gets
 * d(term)/d(render treble power) per frame. */
static double click_term(double *c, long M, double weight)
{
    double *py = c + CLICK_PY * M, *px = c + CLICK_PX * M, *lx = c + CLICK_LX * M, *ey = c + CLICK_EY * M;
    double *g = c + CLICK_G * M;
    double top = -INFINITY;
    for (long m = 0; m < M; m++) {
        double l = 10.0 * log10(lx[m] + CLICK_EPS);
        top = l > top ? l : top;
        ey[m] = 10.0 * log10(py[m] + CLICK_EPS);
        px[m] = 10.0 * log10(px[m] + CLICK_EPS); /* the target's e, in place */
        g[m] = 0.0;
    }
    double loss = 0.0;
    for (long m = 0; m < M; m++) {
        if (!(ey[m] > top - 60.0)) continue;
        long jy, jx;
        double ay = ey[m] - running_median(ey, M, m, &jy), ax = px[m] - running_median(px, M, m, &jx);
        double tau = ax + NR_CLICK_SLACK_DB > NR_CLICK_FREE_DB ? ax + NR_CLICK_SLACK_DB : NR_CLICK_FREE_DB;
        double h = ay - tau;
        if (!(h > 0.0)) continue;
        loss += weight * (h / 10.0) * (h / 10.0);
        double da = weight * 2.0 * h / 100.0; /* d(term)/d(ay); ay = ey[m] - ey[jy] */
        g[m] += da;
        g[jy] -= da;
    }
    for (long m = 0; m < M; m++) g[m] *= 10.0 / M_LN10 / (py[m] + CLICK_EPS); /* d ey / d py */
    return loss;
}

static void frame_in(double *in, const float *s, long n, long start, const double *win, int size)
{
    for (int i = 0; i < size; i++) {
        long j = start + i;
        in[i] = (j >= 0 && j < n) ? win[i] * s[j] : 0.0;
    }
}

/* The whole loss, or (click_only) the click term alone at its resolution. */
static double stft_eval(const nr_stft_loss *L, const float *y, const float *x, long n, float *dy, double *work,
                        int click_only)
{
    size_t S = stride(L);
    double *in_y = work, *in_x = work + 2 * S;
    fftw_complex *Y = (fftw_complex *)(work + S), *X = (fftw_complex *)(work + 3 * S);
    /* per bin of every frame, kept from the first pass for the gradient: Re Y, Im Y, |Y|, |Y| - |X|,
     * and the sign of the log difference */
    double *keep = work + 4 * S, *clk = keep + keep_doubles(L, n);
    const int cr = L->click_weight > 0.0 && L->band_rate > 0 ? click_res(L) : -1;
    double total = 0.0;
    for (int r = 0; r < L->n_res; r++) {
        if (click_only && r != cr) continue;
        int size = L->size[r], hop = size / 4, nb = size / 2 + 1;
        long M = n / hop + 1;
        const double *win = L->win[r];
        double num = 0.0, den = 0.0, lg = 0.0;
        const int bands = r == 0 && L->band_weight > 0.0 && !click_only;
        int edge[NR_BAND_N + 1];
        double py[NR_BAND_N] = {0}, px[NR_BAND_N] = {0}, gband[NR_BAND_N] = {0};
        if (bands) band_edges(size, L->band_rate, edge);
        const int clicks = r == cr;
        int c_lo = 0, c_hi = -1; /* the click term's bins (band_rate > 0 wherever it is on) */
        if (clicks) {
            c_lo = (int)ceil(NR_CLICK_LO_HZ * size / L->band_rate);
            c_hi = (int)floor(NR_CLICK_HI_HZ * size / L->band_rate);
            c_hi = c_hi < nb - 1 ? c_hi : nb - 1;
        }
        for (long m = 0; m < M; m++) {
            long start = m * hop - size / 2;
            frame_in(in_y, y, n, start, win, size);
            frame_in(in_x, x, n, start, win, size);
            fftw_execute_dft_r2c(L->fwd[r], in_y, Y);
            fftw_execute_dft_r2c(L->fwd[r], in_x, X);
            double *kp = dy ? keep + (size_t)m * nb * 5 : NULL;
            for (int k = 0; k < nb; k++) {
                double sy = sqrt(Y[k][0] * Y[k][0] + Y[k][1] * Y[k][1] + MAG_EPS);
                double sx = sqrt(X[k][0] * X[k][0] + X[k][1] * X[k][1] + MAG_EPS);
                num += (sy - sx) * (sy - sx);
                den += sx * sx;
                double d = log((sy + L->log_eps) / (sx + L->log_eps));
                lg += fabs(d);
                if (kp) {
                    kp[5 * k] = Y[k][0];
                    kp[5 * k + 1] = Y[k][1];
                    kp[5 * k + 2] = sy;
                    kp[5 * k + 3] = sy - sx;
                    kp[5 * k + 4] = d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0;
                }
            }
            if (bands)
                for (int b = 0; b < NR_BAND_N; b++)
                    for (int k = edge[b]; k < edge[b + 1]; k++) {
                        py[b] += Y[k][0] * Y[k][0] + Y[k][1] * Y[k][1];
                        px[b] += X[k][0] * X[k][0] + X[k][1] * X[k][1];
                    }
            if (clicks) {
                double ty = 0.0, tx = 0.0, wx = 0.0;
                for (int k = 0; k <= c_hi; k++) {
                    double qx = X[k][0] * X[k][0] + X[k][1] * X[k][1];
                    wx += qx;
                    if (k >= c_lo) ty += Y[k][0] * Y[k][0] + Y[k][1] * Y[k][1], tx += qx;
                }
                clk[CLICK_PY * M + m] = ty;
                clk[CLICK_PX * M + m] = tx;
                clk[CLICK_LX * M + m] = wx;
            }
        }
        if (clicks) total += click_term(clk, M, L->click_weight);
        if (bands) total += band_term(py, px, L->band_weight, gband);
        double count = (double)M * nb, rnum = sqrt(num), rden = sqrt(den + MAG_EPS);
        if (!click_only) total += (rnum / rden + lg / count) / L->n_res;
        if (!dy) continue;
        /* the spectral-convergence and log-magnitude terms' gradient scales (0: the click term alone) */
        double a_sc = !click_only && rnum > 0.0 ? 1.0 / (rnum * rden * L->n_res) : 0.0;
        double a_lg = click_only ? 0.0 : 1.0 / (count * L->n_res);
        for (long m = 0; m < M; m++) {
            long start = m * hop - size / 2;
            const double *kp = keep + (size_t)m * nb * 5;
            for (int k = 0; k < nb; k++) {
                double sy = kp[5 * k + 2];
                double gs = a_sc * kp[5 * k + 3] + a_lg * kp[5 * k + 4] / (sy + L->log_eps);
                int bk = bands ? band_at(edge, k) : -1;
                if (bk >= 0) gs += 2.0 * sy * gband[bk]; /* d|Y|^2 / d|Y| */
                if (clicks && k >= c_lo && k <= c_hi) gs += 2.0 * sy * clk[CLICK_G * M + m];
                /* c2r doubles the inner bins (Hermitian half); the adjoint of r2c needs them once */
                double half = (k == 0 || k == nb - 1) ? 1.0 : 0.5;
                Y[k][0] = gs * kp[5 * k] / sy * half;
                Y[k][1] = gs * kp[5 * k + 1] / sy * half;
            }
            fftw_execute_dft_c2r(L->inv[r], Y, in_y);
            for (int i = 0; i < size; i++) {
                long j = start + i;
                if (j >= 0 && j < n) dy[j] += (float)(win[i] * in_y[i]);
            }
        }
    }
    return total;
}

double nr_stft_loss_eval(const nr_stft_loss *L, const float *y, const float *x, long n, float *dy, double *work)
{
    return stft_eval(L, y, x, n, dy, work, 0);
}

double nr_stft_click_eval(const nr_stft_loss *L, const float *y, const float *x, long n, float *dy, double *work)
{
    return stft_eval(L, y, x, n, dy, work, 1);
}
