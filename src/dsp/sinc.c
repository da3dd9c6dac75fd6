#include "dsp/sinc.h"

#include <math.h>

#define PI_D 3.14159265358979323846

int nr_sinc_table_init(nr_sinc_table *t, int order)
{
    if (order < 1 || order > NR_SINC_MAX_ORDER || order % 2 == 0) return 0;
    t->order = order;
    t->half = (order - 1) / 2;
    /* float32 as the original: (2 pi) * n / order, cos, 0.46 *, 0.54 + */
    for (int k = 0; k < order; k++) {
        float n = (float)(k - t->half);
        float a = ((float)(2.0 * PI_D) * n) / (float)order;
        t->win[k] = 0.54f + 0.46f * cosf(a);
    }
    return 1;
}

/* The original's cut-off stays in [0.1, 0.9]; at 1 the high-pass vanishes and its normalisation
 * divides rounding noise by rounding noise. */
#define CUT_MIN 1e-3f
#define CUT_MAX 0.99f

static float clamp_cut(float cut)
{
    if (!(cut >= CUT_MIN)) return CUT_MIN; /* NaN too */
    return cut > CUT_MAX ? CUT_MAX : cut;
}

void nr_sinc_lp_hp(const nr_sinc_table *t, float cut, float *lp, float *hp)
{
    const int h = t->half;
    const double c = clamp_cut(cut);
    const double th = PI_D * c;
    const double c2 = 2.0 * cos(th);
    double s_prev = 0.0, s = sin(th); /* sin(0 th), sin(1 th) */
    double lsum = c * t->win[h], hsum = (1.0 - c) * t->win[h];
    double lraw[NR_SINC_MAX_ORDER / 2 + 1], hraw[NR_SINC_MAX_ORDER / 2 + 1];
    lraw[0] = c * t->win[h];
    hraw[0] = (1.0 - c) * t->win[h];
    for (int n = 1; n <= h; n++) {
        double csinc = s / (PI_D * n); /* cut * sinc(cut n) */
        double w = t->win[h + n];
        lraw[n] = csinc * w;
        hraw[n] = -csinc * w;
        lsum += 2.0 * lraw[n];
        hsum += (n & 1 ? -2.0 : 2.0) * hraw[n];
        double s_next = c2 * s - s_prev;
        s_prev = s;
        s = s_next;
    }
    double li = 1.0 / lsum, hi = 1.0 / hsum;
    for (int n = 0; n <= h; n++) {
        lp[h + n] = lp[h - n] = (float)(lraw[n] * li);
        hp[h + n] = hp[h - n] = (float)(hraw[n] * hi);
    }
}

void nr_sinc_lp_hp_ref(const nr_sinc_table *t, float cut, float *lp, float *hp)
{
    const float pi = (float)PI_D;
    cut = clamp_cut(cut);
    float lsum = 0.0f, hsum = 0.0f;
    for (int k = 0; k < t->order; k++) {
        int n = k - t->half;
        float x = cut * (float)n;
        float sc = n == 0 ? 1.0f : sinf(pi * x) / (pi * x);
        /* sinc of the integer n is exactly the unit impulse in the original (an integer tensor) */
        lp[k] = cut * sc * t->win[k];
        hp[k] = ((n == 0 ? 1.0f : 0.0f) - cut * sc) * t->win[k];
        lsum += lp[k];
        hsum += hp[k] * (n % 2 ? -1.0f : 1.0f);
    }
    for (int k = 0; k < t->order; k++) {
        lp[k] /= lsum;
        hp[k] /= hsum;
    }
}

void nr_tvfir(const float *x, const float *coef, int n, int order, float *y)
{
    for (int i = 0; i < n; i++) {
        const float *c = coef + (long)i * order;
        float acc = 0.0f;
        for (int k = 0; k < order; k++) acc += x[i - k] * c[k];
        y[i] = acc;
    }
}
