/* Differentiable descriptor losses: the render should measure, descriptor by descriptor, what the
 * curves ask for.
 *
 * The analysis (src/analysis) measures the 7 descriptors on the sound resampled to 22050 Hz (through
 * nr_audio_resample's low-pass), in 2048-sample Hann frames (93 ms) centred every 512 samples. The model
 * renders 48 kHz; its frame t (hop 480) is the curve's value at t / 100 s, so the surrogate frame is
 * centred on sample t * hop and lasts as long as the analysis frame: W = 2048 * rate / 22050 samples (4458
 * at 48 kHz), periodic Hann, zero-padded to a fast FFT size N >= W (4500). Only bins at or below 11025 Hz count, each weighted by the
 * resampler's gain there (its edge lowers the top bins): they are what the analysis sees. With Y_k that
 * weighted spectrum of the frame, P_k = |Y_k|^2, S_k = |Y_k|, f_k = k rate / N:
 *
 *   loudness     rms over the whole window (rectangular, as the analysis' frame) times the share of the
 *                frame's (Hann-weighted) energy in the band: ms = mean y^2 x sum_k c_k P_k / (N sum (w y)^2),
 *                c_k 1 at DC, else 2 (Parseval: N sum (w y)^2 is the sum over all bins)
 *   percussivity Rice's formula at the 22050-Hz sample step: rho = sum c_k P_k cos(2 pi f_k / 22050) / sum c_k P_k,
 *                zcr = arccos(rho) / pi (exact for a sinusoid; the expected rate for Gaussian noise)
 *   tonelike     roll-off 0.85 relaxed: bin width x sum_k sigmoid((0.85 - C_k / C) / ROLL_SOFT), C_k the running
 *                sum of S (the hard roll-off counts the bins whose C_k is below 0.85 C)
 *   noisiness    flatness of P + amin (amin 1e-10 in the analysis' power scale)
 *   richness     sqrt(sum S_k (f_k - centroid)^2 / sum S_k)
 *   brightness   sum f_k S_k / sum S_k
 *   pitch        yin-style normalised difference at the pitch curve's period (below)
 *
 * Each of the first six is compared in the model's normalised space, (tf(x) - mean) / std, tf = log(x + floor)
 * (the model's log transform made smooth at its clamp) except zcr (linear). The pitch term compares
 * periodicities: d = sum (v_i - v_{i+P})^2 / sum (v_i^2 + v_{i+P}^2) over a 2048-sample window, P = rate / f0
 * of the curve (0: periodic at P, about 1: noise), against the reference audio's d, or without audio
 * against a target read from the curves' flatness (nr_desc_pitch_target). Gradients go through the FFT by its
 * adjoint (c2r with the inner bins halved), as the STFT loss's do. */
#include "train_impl.h"
#include "nr/audio_file.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DL_AN_RATE ((double)NR_ANALYSIS_RATE)
#define DL_FMAX (DL_AN_RATE / 2.0)     /* 11025 Hz: the band the analysis sees */
#define DL_MASK_DB_RATIO 1e-3          /* loud frames: rms within 60 dB of the clip's loudest target frame */
#define DL_MAG_EPS 1e-20               /* |Y| = sqrt(P + eps): finite gradient at an empty bin */
#define DL_POW_EPS 1e-30               /* sums of power, so 0 / 0 never happens */
#define DL_LOUD_FLOOR 1e-6             /* tf(rms) = log(rms + floor), the model's clamp */
#define DL_FLAT_FLOOR 1e-6             /* tf(flatness) = log(flatness + floor) */
#define DL_HZ_FLOOR 1.0                /* tf(Hz) = log(Hz + 1) */
#define DL_FLAT_AMIN 1e-10             /* librosa's amin, on the analysis' power scale */
#define DL_ROLL_PERCENT 0.85
#define DL_ROLL_SOFT 0.01              /* width of the relaxed threshold, as a share of the spectrum's sum */
#define DL_RHO_MAX (1.0 - 1e-9)        /* arccos' slope is finite inside */

/* periodicity term */
#define PL_W 2048      /* window, samples at the model rate */
#define PL_FMIN 50.0   /* pitch curve range that has a period inside the window */
#define PL_FMAX 2000.0

/* Target periodicity without audio: a sound's normalised difference at its period is about the share of
 * its power that is not periodic, and the flatness curve (noisiness) says how noisy the frame is. The
 * target is linear in log10 flatness between knots, held beyond the ends: the medians of d at the pitch
 * curve's period over the loud frames (pitch 50..2000 Hz) of the v1 data set's training split, binned by
 * flatness (135 k frames; docs/training.md, "Descriptor losses"). */
static const double g_pt_knots[][2] = {{-5.0, 0.30}, {-3.0, 0.45}, {-0.67, 0.95}}; /* log10 flatness, d */
#define PT_N_KNOTS (int)(sizeof g_pt_knots / sizeof g_pt_knots[0])

struct nr_desc_losses {
    int rate, hop;
    int W, N, kmax;     /* window length, FFT size, last bin at or below 11025 Hz */
    fftw_plan fwd, inv; /* r2c and c2r of size N */
    double *win;        /* (W) periodic Hann */
    double *cosk;       /* (kmax + 1) cos(2 pi f_k / 22050) */
    double *band;       /* (kmax + 1) |H(f_k)| of the resampler to 22050 Hz (nr_audio_resample), 1 at DC */
    double flat_scale;  /* our P -> the analysis' P (noise power density: ratio of the windows' sums of squares) */
    double bin_hz;      /* rate / N */
};

/* |H(f)| of nr_audio_resample from `rate` to 22050 Hz at the bins f_k = k bin_hz, k <= kmax, normalised
 * to 1 at DC: the response of an impulse, its DTFT at each bin. The analysis sees the sound through this
 * filter; its transition band below 11025 Hz lowers the top bins the spectral descriptors count. */
#define DL_IMPULSE_LEN 16384
#define DL_IMPULSE_TAIL 1e-9 /* -180 dB, below the filter's stop band */
static nr_result band_response(nr_desc_losses *D)
{
    float *imp = calloc(DL_IMPULSE_LEN, sizeof(float));
    if (!imp) return nr_fail(NR_ERR_NOMEM, "descriptor losses: out of memory");
    imp[DL_IMPULSE_LEN / 2] = 1.0f;
    nr_audio h;
    nr_result r = nr_audio_resample(imp, DL_IMPULSE_LEN, D->rate, NR_ANALYSIS_RATE, &h);
    free(imp);
    if (r != NR_OK) return r;
    /* the response's span: beyond it the taps are below DL_IMPULSE_TAIL of the peak */
    double dc = 0.0, peak = 0.0;
    long lo = h.n, hi = -1;
    for (long m = 0; m < h.n; m++) peak = fmax(peak, fabs(h.samples[m]));
    for (long m = 0; m < h.n; m++) {
        dc += h.samples[m];
        if (fabs(h.samples[m]) > DL_IMPULSE_TAIL * peak) {
            if (lo > m) lo = m;
            hi = m;
        }
    }
    for (int k = 0; k <= D->kmax; k++) {
        double w = 2.0 * M_PI * k * D->bin_hz / DL_AN_RATE, re = 0.0, im = 0.0;
        for (long m = lo; m <= hi; m++) {
            re += h.samples[m] * cos(w * m);
            im -= h.samples[m] * sin(w * m);
        }
        D->band[k] = dc != 0.0 ? sqrt(re * re + im * im) / fabs(dc) : 1.0;
    }
    nr_audio_free(&h);
    return NR_OK;
}

static pthread_mutex_t g_plan_lock = PTHREAD_MUTEX_INITIALIZER; /* FFTW's planner is not thread-safe */

/* Smallest even 2^a 3^b 5^c >= n: FFTW's fast sizes (even: a Nyquist bin, as the adjoint assumes). */
static int fast_size(int n)
{
    for (int m = n + (n & 1);; m += 2) {
        int r = m;
        while (r % 2 == 0) r /= 2;
        while (r % 3 == 0) r /= 3;
        while (r % 5 == 0) r /= 5;
        if (r == 1) return m;
    }
}

nr_result nr_desc_losses_init(nr_desc_losses **out, int rate, int hop)
{
    *out = NULL;
    if (rate < DL_AN_RATE || rate > 192000 || hop < 1 || hop > rate)
        return nr_fail(NR_ERR_ARG, "descriptor losses: rate %d Hz (22050..192000) and hop %d out of range", rate, hop);
    nr_desc_losses *D = calloc(1, sizeof *D);
    if (!D) return nr_fail(NR_ERR_NOMEM, "descriptor losses: out of memory");
    D->rate = rate;
    D->hop = hop;
    D->W = (int)lround((double)NR_ANALYSIS_NFFT * rate / DL_AN_RATE);
    D->N = fast_size(D->W);
    D->bin_hz = (double)rate / D->N;
    D->kmax = (int)floor(DL_FMAX / D->bin_hz);
    if (D->kmax > D->N / 2 - 1) D->kmax = D->N / 2 - 1; /* the Nyquist bin never counts twice */
    D->win = fftw_malloc(sizeof(double) * (size_t)D->W);
    D->cosk = malloc(sizeof(double) * (size_t)(D->kmax + 1));
    D->band = malloc(sizeof(double) * (size_t)(D->kmax + 1));
    double *in = fftw_malloc(sizeof(double) * (size_t)D->N);
    fftw_complex *sp = fftw_malloc(sizeof(fftw_complex) * (size_t)(D->N / 2 + 1));
    nr_result r = NR_OK;
    if (!D->win || !D->cosk || !D->band || !in || !sp) r = nr_fail(NR_ERR_NOMEM, "descriptor losses: out of memory");
    if (r == NR_OK) {
        pthread_mutex_lock(&g_plan_lock);
        D->fwd = fftw_plan_dft_r2c_1d(D->N, in, sp, FFTW_ESTIMATE);
        D->inv = fftw_plan_dft_c2r_1d(D->N, sp, in, FFTW_ESTIMATE);
        pthread_mutex_unlock(&g_plan_lock);
        if (!D->fwd || !D->inv) r = nr_fail(NR_ERR_NOMEM, "descriptor losses: FFTW could not plan size %d", D->N);
    }
    if (r == NR_OK) {
        double wss = 0.0;
        for (int i = 0; i < D->W; i++) {
            D->win[i] = 0.5 - 0.5 * cos(2.0 * M_PI * i / D->W);
            wss += D->win[i] * D->win[i];
        }
        /* the analysis' window: periodic Hann of 2048, sum of squares 3/8 x 2048 */
        D->flat_scale = 0.375 * NR_ANALYSIS_NFFT / wss;
        for (int k = 0; k <= D->kmax; k++) D->cosk[k] = cos(2.0 * M_PI * k * D->bin_hz / DL_AN_RATE);
        r = band_response(D);
    }
    fftw_free(in);
    fftw_free(sp);
    if (r != NR_OK) {
        nr_desc_losses_free(D);
        return r;
    }
    *out = D;
    return NR_OK;
}

void nr_desc_losses_free(nr_desc_losses *D)
{
    if (!D) return;
    pthread_mutex_lock(&g_plan_lock);
    if (D->fwd) fftw_destroy_plan(D->fwd);
    if (D->inv) fftw_destroy_plan(D->inv);
    pthread_mutex_unlock(&g_plan_lock);
    fftw_free(D->win);
    free(D->cosk);
    free(D->band);
    free(D);
}

/* work layout (doubles): in (N), spectrum (N + 2), dS (kmax + 1), dP (kmax + 1), each padded to 8 */
static size_t pad8(size_t n) { return (n + 7) / 8 * 8; }
size_t nr_desc_losses_work_doubles(const nr_desc_losses *D, long max_n)
{
    (void)max_n; /* one frame at a time: the size does not grow with the signal */
    return pad8((size_t)D->N) + pad8((size_t)D->N + 2) + 2 * pad8((size_t)D->kmax + 1);
}

typedef struct {
    double *in;      /* (N) windowed frame, then the adjoint's output */
    fftw_complex *Y; /* (N / 2 + 1) spectrum, then dL/dY */
    double *dS, *dP; /* (kmax + 1) dL/d|Y_k|, dL/d|Y_k|^2 */
} dl_work;

static dl_work carve(const nr_desc_losses *D, double *work)
{
    dl_work w;
    w.in = work;
    w.Y = (fftw_complex *)(work + pad8((size_t)D->N));
    w.dS = work + pad8((size_t)D->N) + pad8((size_t)D->N + 2);
    w.dP = w.dS + pad8((size_t)D->kmax + 1);
    return w;
}

/* First sample of the window centred on sample `centre`. */
static long frame_start(const nr_desc_losses *D, long centre) { return centre - D->W / 2; }

/* The frame's weighted spectrum into w->Y; *ms the mean square of the frame's samples (rectangular) and
 * *wss_y the sum of the windowed samples' squares. */
static void frame_spectrum(const nr_desc_losses *D, const dl_work *w, const float *y, long n, long centre, double *ms,
                           double *wss_y)
{
    long s = frame_start(D, centre);
    double a = 0.0, b = 0.0;
    for (int i = 0; i < D->W; i++) {
        long j = s + i;
        double v = (j >= 0 && j < n) ? y[j] : 0.0;
        w->in[i] = D->win[i] * v;
        a += v * v;
        b += w->in[i] * w->in[i];
    }
    *ms = a / D->W;
    *wss_y = b;
    memset(w->in + D->W, 0, sizeof(double) * (size_t)(D->N - D->W));
    fftw_execute_dft_r2c(D->fwd, w->in, w->Y);
    for (int k = 0; k <= D->kmax; k++) {
        w->Y[k][0] *= D->band[k];
        w->Y[k][1] *= D->band[k];
    }
}

/* The sums one frame's six spectral descriptors are made of (kept for the gradient). */
typedef struct {
    double ms, wss_y; /* mean square of the frame, sum of (w y)^2 */
    double cP;        /* sum c_k P_k */
    double rho;       /* Rice's lag-one correlation (unclamped) */
    double E, F1;     /* sum S_k, sum f_k S_k */
    double centroid, bw, rolloff;
    double flat_mean; /* mean of Pa = s P + amin */
    double logflat;
    double x[NR_NUM_DESC]; /* raw values: rms, zcr, rolloff, flatness, bandwidth, centroid (pitch unused) */
} dl_frame;

static double sigmoid(double a) { return 1.0 / (1.0 + exp(-a)); }

static void frame_values(const nr_desc_losses *D, const dl_work *w, dl_frame *f)
{
    const fftw_complex *Y = w->Y;
    int K = D->kmax + 1;
    double cP = 0, cPcos = 0, E = 0, F1 = 0, Psum = 0;
    for (int k = 0; k < K; k++) {
        double P = Y[k][0] * Y[k][0] + Y[k][1] * Y[k][1], S = sqrt(P + DL_MAG_EPS), c = k ? 2.0 : 1.0;
        cP += c * P;
        cPcos += c * P * D->cosk[k];
        E += S;
        F1 += k * D->bin_hz * S;
        Psum += P;
    }
    /* flatness of Pa = s P + amin, as librosa floors the power (a floor relative to the frame's power
     * would bound the slope in empty bins, but moves the value away from the analysis' on tonal sounds) */
    double slog = 0;
    for (int k = 0; k < K; k++) slog += log((Y[k][0] * Y[k][0] + Y[k][1] * Y[k][1]) * D->flat_scale + DL_FLAT_AMIN);
    f->cP = cP;
    f->rho = cPcos / (cP + DL_POW_EPS);
    f->E = E;
    f->F1 = F1;
    f->centroid = F1 / E;
    double M2 = 0, R = 0, C = 0;
    for (int k = 0; k < K; k++) {
        double S = sqrt(Y[k][0] * Y[k][0] + Y[k][1] * Y[k][1] + DL_MAG_EPS), dev = k * D->bin_hz - f->centroid;
        M2 += S * dev * dev;
        C += S;
        R += sigmoid((DL_ROLL_PERCENT - C / E) / DL_ROLL_SOFT);
    }
    f->bw = sqrt(M2 / E);
    f->rolloff = R * D->bin_hz;
    f->flat_mean = D->flat_scale * Psum / K + DL_FLAT_AMIN;
    f->logflat = slog / K - log(f->flat_mean);
    double rho = f->rho > DL_RHO_MAX ? DL_RHO_MAX : f->rho < -DL_RHO_MAX ? -DL_RHO_MAX : f->rho;
    f->x[NR_DESC_LOUDNESS] = f->wss_y > DL_POW_EPS ? sqrt(f->ms * cP / (D->N * f->wss_y)) : 0.0;
    f->x[NR_DESC_PERCUSSIVITY] = acos(rho) / M_PI;
    f->x[NR_DESC_TONELIKE] = f->rolloff;
    f->x[NR_DESC_NOISINESS] = exp(f->logflat);
    f->x[NR_DESC_RICHNESS] = f->bw;
    f->x[NR_DESC_BRIGHTNESS] = f->centroid;
    f->x[NR_DESC_PITCH] = 0.0;
}

/* tf: the model's input transform, smooth at its floor; dtf: its derivative. */
static double tf(int d, double x)
{
    switch (d) {
    case NR_DESC_LOUDNESS: return log(fmax(x, 0.0) + DL_LOUD_FLOOR);
    case NR_DESC_PERCUSSIVITY: return x;
    case NR_DESC_NOISINESS: return log(fmax(x, 0.0) + DL_FLAT_FLOOR);
    default: return log(fmax(x, 0.0) + DL_HZ_FLOOR);
    }
}
static double dtf(int d, double x)
{
    switch (d) {
    case NR_DESC_LOUDNESS: return 1.0 / (x + DL_LOUD_FLOOR);
    case NR_DESC_PERCUSSIVITY: return 1.0;
    case NR_DESC_NOISINESS: return 1.0 / (x + DL_FLAT_FLOOR);
    default: return 1.0 / (x + DL_HZ_FLOOR);
    }
}

/* dL/dY of one frame from dL/dx (g, raw units, the six spectral descriptors), added into y's gradient
 * through the window and the FFT's adjoint. */
static void frame_backward(const nr_desc_losses *D, const dl_work *w, const dl_frame *f, const double *g,
                           const float *y, long n, long centre, float *dy)
{
    fftw_complex *Y = w->Y;
    int K = D->kmax + 1;
    double *dS = w->dS, *dP = w->dP;
    /* loudness: log x = (log ms + log cP - log sum (w y)^2 - log N) / 2; the time-domain parts are added
     * after the adjoint */
    double g_lx = f->x[NR_DESC_LOUDNESS] > 0 ? 0.5 * g[NR_DESC_LOUDNESS] * f->x[NR_DESC_LOUDNESS] : 0.0;
    double g_cP = g_lx != 0.0 ? g_lx / f->cP : 0.0;
    /* zcr: x = acos(rho) / pi, rho = sum c P cos / cP */
    double g_rho = 0.0;
    if (fabs(f->rho) < DL_RHO_MAX) g_rho = -g[NR_DESC_PERCUSSIVITY] / (M_PI * sqrt(1.0 - f->rho * f->rho));
    /* flatness: x = exp(logflat), logflat = mean log Pa - log mean Pa, Pa_k = s P_k + amin:
     * dlogflat/dP_k = s / K (1 / Pa_k - 1 / mean Pa) */
    double g_lf = g[NR_DESC_NOISINESS] * f->x[NR_DESC_NOISINESS];
    /* bandwidth: dB^2/dS_k = ((f_k - c)^2 - B^2) / E (the centroid's own change cancels) */
    double g_b2 = f->bw > 0 ? g[NR_DESC_RICHNESS] / (2.0 * f->bw) : 0.0;
    /* rolloff: R = bin x sum_j sig_j, sig_j = sigmoid((0.85 - C_j / E) / s); with q_j = sig_j (1 - sig_j),
     * dR/dS_k = -bin / (s E) (sum_{j >= k} q_j - sum_j q_j C_j / E) */
    double g_R = g[NR_DESC_TONELIKE], qsum_u = 0.0, C = 0.0;
    for (int k = 0; k < K; k++) {
        double S = sqrt(Y[k][0] * Y[k][0] + Y[k][1] * Y[k][1] + DL_MAG_EPS);
        C += S;
        double sg = sigmoid((DL_ROLL_PERCENT - C / f->E) / DL_ROLL_SOFT);
        dS[k] = sg * (1.0 - sg); /* q_k, for the suffix sums below */
        qsum_u += dS[k] * C / f->E;
    }
    double q_suffix = 0.0, a_R = -g_R * D->bin_hz / (DL_ROLL_SOFT * f->E);
    for (int k = K - 1; k >= 0; k--) {
        q_suffix += dS[k];
        double P = Y[k][0] * Y[k][0] + Y[k][1] * Y[k][1];
        double fk = k * D->bin_hz, dev = fk - f->centroid, c = k ? 2.0 : 1.0;
        double gs = a_R * (q_suffix - qsum_u);
        gs += g[NR_DESC_BRIGHTNESS] * (fk - f->centroid) / f->E;
        gs += g_b2 * (dev * dev - f->bw * f->bw) / f->E;
        dS[k] = gs;
        double Pa = P * D->flat_scale + DL_FLAT_AMIN;
        dP[k] = g_cP * c + g_rho * c * (D->cosk[k] - f->rho) / (f->cP + DL_POW_EPS) +
                g_lf * D->flat_scale / K * (1.0 / Pa - 1.0 / f->flat_mean);
    }
    for (int k = 0; k <= D->N / 2; k++) {
        double gr = 0.0;
        /* through the resampler's gain too: Y here is band[k] times the frame's spectrum */
        if (k < K) gr = (2.0 * dP[k] + dS[k] / sqrt(Y[k][0] * Y[k][0] + Y[k][1] * Y[k][1] + DL_MAG_EPS)) * D->band[k];
        double half = (k == 0 || k == D->N / 2) ? 1.0 : 0.5; /* c2r doubles the inner bins */
        Y[k][0] *= gr * half;
        Y[k][1] *= gr * half;
    }
    fftw_execute_dft_c2r(D->inv, Y, w->in);
    long s = frame_start(D, centre);
    double a_ms = g_lx != 0.0 ? g_lx * 2.0 / (D->W * f->ms) : 0.0, a_w = g_lx != 0.0 ? g_lx * 2.0 / f->wss_y : 0.0;
    for (int i = 0; i < D->W; i++) {
        long j = s + i;
        if (j >= 0 && j < n) dy[j] += (float)(D->win[i] * w->in[i] + (a_ms - a_w * D->win[i] * D->win[i]) * y[j]);
    }
}

void nr_desc_losses_frame(const nr_desc_losses *D, const float *y, long n, long centre, double *work,
                          double x[NR_NUM_DESC])
{
    dl_work w = carve(D, work);
    dl_frame f;
    frame_spectrum(D, &w, y, n, centre, &f.ms, &f.wss_y);
    frame_values(D, &w, &f);
    memcpy(x, f.x, sizeof f.x);
}

/* ---- periodicity ---- */

/* d = A / B of v over [s, s + PL_W + P). */
static double pl_diff(const float *v, long s, int P, double *Bout)
{
    double A = 0.0, B = 1e-9 * PL_W;
    for (int i = 0; i < PL_W; i++) {
        double a = v[s + i], b = v[s + i + P], u = a - b;
        A += u * u;
        B += a * a + b * b;
    }
    *Bout = B;
    return A / B;
}

/* The periodicity window of frame t: centred on the frame, moved inside the signal at its ends; its
 * first sample and *P, or -1 when the pitch curve is outside PL_FMIN..PL_FMAX or the signal is too short. */
static long pl_window(const float *d, long t, int hop, int rate, long n, int *P)
{
    double f0 = d[NR_DESC_PITCH];
    if (!(f0 >= PL_FMIN && f0 <= PL_FMAX)) return -1;
    *P = (int)lround(rate / f0);
    long len = PL_W + *P, s = t * hop - len / 2;
    if (s + len > n) s = n - len;
    if (s < 0) s = 0;
    return s + len > n ? -1 : s;
}

double nr_desc_pitch_target(const float d[NR_NUM_DESC])
{
    double lf = log10(fmax(d[NR_DESC_NOISINESS], 1e-30));
    if (!(lf > g_pt_knots[0][0])) return g_pt_knots[0][1];
    for (int i = 1; i < PT_N_KNOTS; i++)
        if (lf < g_pt_knots[i][0]) {
            double a = (lf - g_pt_knots[i - 1][0]) / (g_pt_knots[i][0] - g_pt_knots[i - 1][0]);
            return g_pt_knots[i - 1][1] + a * (g_pt_knots[i][1] - g_pt_knots[i - 1][1]);
        }
    return g_pt_knots[PT_N_KNOTS - 1][1];
}

/* ---- the sum ---- */

double nr_desc_losses_eval(const nr_desc_losses *D, const float *y, long n, const float *desc, const float *ref, int T,
                           int hop, int rate, const float *norm_mean, const float *norm_std,
                           const float weights[NR_NUM_DESC], float *dy, double gscale, double *work,
                           double per_desc[NR_NUM_DESC])
{
    (void)norm_mean; /* the mean cancels in a difference; kept so the call names the whole normalisation */
    double term[NR_NUM_DESC] = {0};
    if (per_desc) memset(per_desc, 0, sizeof(double) * NR_NUM_DESC);
    if (hop != D->hop || rate != D->rate) return NAN;
    dl_work w = carve(D, work);
    /* loud frames: within 60 dB of the loudest target frame */
    double peak = 0.0;
    for (int t = 0; t < T; t++) peak = fmax(peak, desc[(size_t)t * NR_NUM_DESC + NR_DESC_LOUDNESS]);
    double floor_rms = peak * DL_MASK_DB_RATIO;
    int used = 0, used_p = 0, P;
    for (int t = 0; t < T; t++) {
        const float *d = desc + (size_t)t * NR_NUM_DESC;
        if (!(peak > 0 && d[NR_DESC_LOUDNESS] >= floor_rms)) continue;
        used++;
        used_p += pl_window(d, t, hop, rate, n, &P) >= 0;
    }
    int spectral = 0;
    for (int k = 0; k < NR_NUM_DESC; k++) spectral |= k != NR_DESC_PITCH && weights[k] != 0.0f;
    for (int t = 0; t < T && used; t++) {
        const float *d = desc + (size_t)t * NR_NUM_DESC;
        if (!(peak > 0 && d[NR_DESC_LOUDNESS] >= floor_rms)) continue;
        if (spectral) {
            dl_frame f;
            frame_spectrum(D, &w, y, n, (long)t * hop, &f.ms, &f.wss_y);
            frame_values(D, &w, &f);
            double g[NR_NUM_DESC] = {0};
            for (int k = 0; k < NR_NUM_DESC; k++) {
                if (k == NR_DESC_PITCH) continue;
                double sd = norm_std[k] > 0 ? norm_std[k] : 1.0;
                double e = (tf(k, f.x[k]) - tf(k, d[k])) / sd;
                term[k] += e * e / used;
                g[k] = gscale * weights[k] * 2.0 * e / (used * sd) * dtf(k, f.x[k]);
            }
            if (dy) frame_backward(D, &w, &f, g, y, n, (long)t * hop, dy);
        }
        long s = weights[NR_DESC_PITCH] != 0.0f ? pl_window(d, t, hop, rate, n, &P) : -1;
        if (s < 0) continue;
        double By, Bx, dyv = pl_diff(y, s, P, &By), target = ref ? pl_diff(ref, s, P, &Bx) : nr_desc_pitch_target(d);
        double e = dyv - target;
        term[NR_DESC_PITCH] += e * e / used_p;
        if (!dy) continue;
        /* dd/dv_j = (dA/dv_j - d dB/dv_j) / B */
        double c = gscale * weights[NR_DESC_PITCH] * 2.0 * e / used_p / By;
        for (int i = 0; i < PL_W; i++) {
            double a = y[s + i], b = y[s + i + P], u = a - b;
            dy[s + i] += (float)(c * 2.0 * (u - dyv * a));
            dy[s + i + P] += (float)(c * 2.0 * (-u - dyv * b));
        }
    }
    double total = 0.0;
    for (int k = 0; k < NR_NUM_DESC; k++) total += weights[k] * term[k];
    if (per_desc) memcpy(per_desc, term, sizeof term);
    return total;
}
