/* Stacked spectrogram figures (PNG through libpng), labelled with the display's 5x7 font. */
#include "nr/eval.h"

#include "core/font.h"
#include "io/png.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    SG_NFFT = 1024,
    SG_HOP = 256,
    SG_NBINS = SG_NFFT / 2 + 1,
    PLOT_H = 128,    /* px per spectrogram */
    PLOT_W_MIN = 240,
    PLOT_W_MAX = 480,
    MARGIN_L = 26,   /* frequency labels */
    MARGIN_R = 4,
    TITLE_H = 11,
    AXIS_H = 12,     /* time labels under the last panel */
};
#define SG_RANGE_DB 80.0
#define SG_FREQ_TICK_HZ 2000.0

/* A palette image (a third of the size of RGB once compressed): entries 0..N_SHADES-1 are the
 * colour map, then white and black. */
enum { N_SHADES = 254, WHITE = N_SHADES, BLACK = N_SHADES + 1 };

typedef struct {
    int w, h;
    unsigned char *px; /* (h, w) palette indices */
} image;

static void put(image *im, int x, int y, unsigned char c)
{
    if (x < 0 || y < 0 || x >= im->w || y >= im->h) return;
    im->px[(size_t)y * im->w + x] = c;
}

static void text(image *im, int x, int y, const char *s, unsigned char c)
{
    for (; *s; s++, x += NR_FONT_ADV) {
        const uint8_t *g = nr_font_glyph(*s);
        for (int r = 0; r < NR_FONT_H; r++)
            for (int col = 0; col < NR_FONT_W; col++)
                if (g[r] & (1u << (NR_FONT_W - 1 - col))) put(im, x + col, y + r, c);
    }
}

/* A perceptual map: lightness rises linearly in OKLab (0.18 .. 0.93) while the hue turns from violet
 * through teal to yellow, so equal steps in dB look like equal steps in brightness. */
static void colormap(double t, unsigned char rgb[3])
{
    double L = 0.18 + 0.75 * t, C = 0.09 + 0.08 * t, h = (290.0 - 190.0 * t) * M_PI / 180.0;
    double a = C * cos(h), b = C * sin(h);
    double l = L + 0.3963377774 * a + 0.2158037573 * b;
    double m = L - 0.1055613458 * a - 0.0638541728 * b;
    double s = L - 0.0894841775 * a - 1.2914855480 * b;
    l = l * l * l;
    m = m * m * m;
    s = s * s * s;
    double lin[3] = {4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
                     -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
                     -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s};
    for (int k = 0; k < 3; k++) {
        double v = lin[k] < 0 ? 0 : lin[k] > 1 ? 1 : lin[k];
        v = v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055; /* sRGB transfer */
        rgb[k] = (unsigned char)lrint(255 * v);
    }
}

/* dB magnitudes, (frames, SG_NBINS). */
static float *stft_db(const float *x, long n, int *frames_out)
{
    int frames = n <= SG_NFFT ? 1 : (int)(1 + (n - SG_NFFT) / SG_HOP);
    float *db = malloc((size_t)frames * SG_NBINS * sizeof *db);
    double *buf = fftw_alloc_real(SG_NFFT);
    fftw_complex *X = fftw_alloc_complex(SG_NBINS);
    fftw_plan p = buf && X ? fftw_plan_dft_r2c_1d(SG_NFFT, buf, X, FFTW_ESTIMATE) : NULL;
    if (!db || !p) {
        if (p) fftw_destroy_plan(p);
        free(db);
        fftw_free(buf);
        fftw_free(X);
        return NULL;
    }
    for (int f = 0; f < frames; f++) {
        long s0 = (long)f * SG_HOP;
        for (int i = 0; i < SG_NFFT; i++) {
            double w = 0.5 - 0.5 * cos(2 * M_PI * i / SG_NFFT);
            double v = s0 + i < n && isfinite(x[s0 + i]) ? x[s0 + i] : 0;
            buf[i] = v * w;
        }
        fftw_execute(p);
        for (int b = 0; b < SG_NBINS; b++)
            db[(size_t)f * SG_NBINS + b] = (float)(20 * log10(hypot(X[b][0], X[b][1]) + 1e-9));
    }
    fftw_destroy_plan(p);
    fftw_free(buf);
    fftw_free(X);
    *frames_out = frames;
    return db;
}

static void image_row(void *ctx, int y, uint8_t *out)
{
    const image *im = ctx;
    memcpy(out, im->px + (size_t)y * im->w, (size_t)im->w);
}

static nr_result write_png(const char *path, const image *im)
{
    uint8_t pal[3 * (N_SHADES + 2)];
    for (int i = 0; i < N_SHADES; i++) colormap(i / (N_SHADES - 1.0), pal + 3 * i);
    memset(pal + 3 * WHITE, 255, 3);
    memset(pal + 3 * BLACK, 0, 3);
    return nr_png_write(path, im->w, im->h, 8, pal, N_SHADES + 2, image_row, (void *)im);
}

/* Time ticks over `seconds`: the finest step giving at most 16 ticks (every second one is labelled). */
static double time_tick(double seconds)
{
    static const double steps[] = {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30};
    double tick = steps[0];
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && seconds / steps[i] > 16; i++)
        tick = i + 1 < sizeof steps / sizeof steps[0] ? steps[i + 1] : steps[i];
    return tick;
}

/* The time axis under a panel whose left edge is x0: ticks below row ya, labels under them. */
static void time_axis(image *im, int x0, int pw, int ya, double seconds)
{
    double tick = time_tick(seconds);
    for (int i = 0; i * tick < seconds; i++) {
        int c = x0 + (int)lrint(i * tick / seconds * pw);
        for (int d = 0; d < 3; d++) put(im, c, ya + d, BLACK);
        if (i % 2 == 0) {
            char lab[16];
            snprintf(lab, sizeof lab, "%gs", i * tick);
            text(im, c - (i ? NR_FONT_ADV : 0), ya + 4, lab, BLACK);
        }
    }
}

/* Panels in a grid of `cols` columns. Stacked figures (own_time 0) share one time scale, labelled
 * under the bottom row; a sheet (own_time 1) stretches each signal over its panel and labels each. */
static nr_result draw_grid(const char *path, const float *const *x, const long *n, const char *const *labels,
                           int count, int rate, int cols, int own_time)
{
    float **db = calloc((size_t)count, sizeof *db);
    int *frames = calloc((size_t)count, sizeof *frames), fmax = 1;
    double top = -INFINITY;
    nr_result r = db && frames ? NR_OK : nr_fail(NR_ERR_NOMEM, "%s: out of memory for %d spectrograms", path, count);
    for (int k = 0; k < count && r == NR_OK; k++) {
        db[k] = stft_db(x[k], n[k], &frames[k]);
        if (!db[k]) r = nr_fail(NR_ERR_NOMEM, "%s: out of memory for a spectrogram", path);
        else {
            if (frames[k] > fmax) fmax = frames[k];
            for (size_t i = 0; i < (size_t)frames[k] * SG_NBINS; i++)
                if (db[k][i] > top) top = db[k][i];
        }
    }
    image im = {0};
    int rows = (count + cols - 1) / cols, pw = 0;
    int cell_w = 0, cell_h = TITLE_H + PLOT_H + (own_time ? AXIS_H : 0);
    if (r == NR_OK) {
        pw = own_time ? PLOT_W_MIN : fmax < PLOT_W_MIN ? PLOT_W_MIN : fmax > PLOT_W_MAX ? PLOT_W_MAX : fmax;
        cell_w = MARGIN_L + pw + MARGIN_R;
        im.w = cols * cell_w;
        im.h = rows * cell_h + (own_time ? 0 : AXIS_H);
        im.px = malloc((size_t)im.w * im.h);
        if (!im.px) r = nr_fail(NR_ERR_NOMEM, "%s: out of memory for the image", path);
    }
    if (r == NR_OK) {
        memset(im.px, WHITE, (size_t)im.w * im.h);
        double nyq = rate / 2.0;
        for (int k = 0; k < count; k++) {
            int fk = own_time ? frames[k] : fmax; /* frames spread over the panel's width */
            double seconds = (double)((long)(fk - 1) * SG_HOP + SG_NFFT) / rate;
            double tick = time_tick(seconds);
            int x0 = (k % cols) * cell_w + MARGIN_L, y0 = (k / cols) * cell_h + TITLE_H;
            text(&im, x0, y0 - TITLE_H + 2, labels[k] ? labels[k] : "", BLACK);
            for (int c = 0; c < pw; c++) {
                int f = (int)((long)c * fk / pw);
                for (int row = 0; row < PLOT_H; row++) {
                    /* Each row shows the loudest bin of its frequency band. */
                    int b0 = (PLOT_H - 1 - row) * (SG_NBINS - 1) / PLOT_H;
                    int b1 = (PLOT_H - row) * (SG_NBINS - 1) / PLOT_H;
                    double v = -INFINITY;
                    if (f < frames[k])
                        for (int b = b0; b <= b1; b++)
                            if (db[k][(size_t)f * SG_NBINS + b] > v) v = db[k][(size_t)f * SG_NBINS + b];
                    double t = (v - (top - SG_RANGE_DB)) / SG_RANGE_DB;
                    t = t < 0 || !isfinite(t) ? 0 : t > 1 ? 1 : t;
                    put(&im, x0 + c, y0 + row, (unsigned char)lrint((N_SHADES - 1) * t));
                }
            }
            for (int i = 0; i * SG_FREQ_TICK_HZ <= nyq; i++) {
                int row = y0 + PLOT_H - 1 - (int)lrint(i * SG_FREQ_TICK_HZ / nyq * (PLOT_H - 1));
                for (int c = 1; c <= 3; c++) put(&im, x0 - c, row, BLACK);
                char lab[16];
                int khz = (int)(i * SG_FREQ_TICK_HZ / 1000);
                if (khz) snprintf(lab, sizeof lab, "%dk", khz);
                else snprintf(lab, sizeof lab, "0");
                int tw = (int)strlen(lab) * NR_FONT_ADV;
                int ty = row - NR_FONT_H / 2;
                if (ty < y0) ty = y0;
                if (ty > y0 + PLOT_H - NR_FONT_H) ty = y0 + PLOT_H - NR_FONT_H;
                text(&im, x0 - 4 - tw, ty, lab, BLACK);
            }
            for (int i = 1; i * tick < seconds; i++) {
                int c = x0 + (int)lrint(i * tick / seconds * pw);
                for (int d = 0; d < 3; d++) put(&im, c, y0 + PLOT_H - 1 - d, WHITE);
            }
            if (own_time) time_axis(&im, x0, pw, y0 + PLOT_H, seconds);
        }
        if (!own_time) {
            double seconds = (double)((long)(fmax - 1) * SG_HOP + SG_NFFT) / rate;
            for (int c = 0; c < cols; c++) time_axis(&im, c * cell_w + MARGIN_L, pw, rows * cell_h, seconds);
        }
        r = write_png(path, &im);
    }
    free(im.px);
    for (int k = 0; db && k < count; k++) free(db[k]);
    free(db);
    free(frames);
    return r;
}

nr_result nr_eval_spectrogram_png(const char *path, const float *const *x, const long *n, const char *const *labels,
                                  int count, int rate)
{
    if (count < 1 || count > 16 || rate < 1000)
        return nr_fail(NR_ERR_ARG, "%s: %d signals at %d Hz; expected 1..16 signals at >= 1000 Hz", path, count, rate);
    return draw_grid(path, x, n, labels, count, rate, 1, 0);
}

nr_result nr_eval_spectrogram_sheet(const char *path, const float *const *x, const long *n,
                                    const char *const *labels, int count, int rate, int cols)
{
    if (count < 1 || count > NR_EVAL_SHEET_MAX || rate < 1000 || cols < 1)
        return nr_fail(NR_ERR_ARG, "%s: %d signals at %d Hz in %d columns; expected 1..%d signals at >= 1000 Hz", path,
                       count, rate, cols, NR_EVAL_SHEET_MAX);
    return draw_grid(path, x, n, labels, count, rate, cols < count ? cols : count, 1);
}
