/* FFTW plans of the analysis, made once per process (planning is not thread-safe; executing a
 * plan on other aligned buffers with the new-array interface is). FFTW_ESTIMATE keeps the
 * algorithm, hence the rounding, the same from run to run. */
#include "analysis_internal.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static fftw_plan g_r2c, g_c2r;

static void make_plans(void)
{
    double *r = fftw_alloc_real(NR_AN_NFFT);
    fftw_complex *c = fftw_alloc_complex(NR_AN_NBINS);
    if (r && c) {
        g_r2c = fftw_plan_dft_r2c_1d(NR_AN_NFFT, r, c, FFTW_ESTIMATE);
        g_c2r = fftw_plan_dft_c2r_1d(NR_AN_NFFT, c, r, FFTW_ESTIMATE);
    }
    fftw_free(r);
    fftw_free(c);
}

int nr_an_plans(void **r2c, void **c2r)
{
    pthread_once(&g_once, make_plans);
    *r2c = g_r2c;
    *c2r = g_c2r;
    return g_r2c && g_c2r;
}

nr_result nr_an_work_init(nr_an_work *w)
{
    memset(w, 0, sizeof *w);
    void *r2c, *c2r;
    if (!nr_an_plans(&r2c, &c2r)) return nr_fail(NR_ERR_NOMEM, "could not plan the analysis FFTs");
    w->real = fftw_alloc_real(NR_AN_NFFT);
    w->real2 = fftw_alloc_real(NR_AN_NFFT);
    w->spec = fftw_alloc_complex(NR_AN_NBINS);
    w->spec2 = fftw_alloc_complex(NR_AN_NBINS);
    w->mag = malloc(NR_AN_NBINS * sizeof(float));
    w->yin = malloc((NR_YIN_MAX_PERIOD + 2) * sizeof(double));
    w->window = malloc(NR_AN_NFFT * sizeof(double));
    if (!w->real || !w->real2 || !w->spec || !w->spec2 || !w->mag || !w->yin || !w->window) {
        nr_an_work_free(w);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the analysis buffers");
    }
    /* scipy: 0.5 + 0.5 cos(fac), fac = linspace(-pi, pi, 2049)[:2048], linspace as i * step + start. */
    const double step = (M_PI - -M_PI) / NR_AN_NFFT;
    for (int i = 0; i < NR_AN_NFFT; i++) w->window[i] = 0.5 + 0.5 * cos(i * step + -M_PI);
    return NR_OK;
}

void nr_an_work_free(nr_an_work *w)
{
    fftw_free(w->real);
    fftw_free(w->real2);
    fftw_free(w->spec);
    fftw_free(w->spec2);
    free(w->mag);
    free(w->yin);
    free(w->window);
    memset(w, 0, sizeof *w);
}
