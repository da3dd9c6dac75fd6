/* Periodicity loss: the render should be as periodic at the pitch curve's period as the reference is.
 *
 * yin (the pitch descriptor) finds f0 where the normalised difference of the sound with itself shifted
 * by one period is small. Per loud model frame t, with P = round(rate / f0_t) samples (f0_t the pitch
 * curve, 50..2000 Hz) and the PL_W samples v_i from s = centre_t - (PL_W + P) / 2:
 *   A = sum_i (v_i - v_{i+P})^2,   B = sum_i (v_i^2 + v_{i+P}^2),   d = A / B
 * (0: periodic at P, about 1: noise). loss = mean over frames of (d_y - d_x)^2. */
#include <math.h>

#include "train_impl.h"

#define PL_W 2048
#define PL_FMIN 50.0
#define PL_FMAX 2000.0

/* d = A / B of v over the window [s, s + PL_W + P) (all inside v). */
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

/* The window of frame t: its period *P and first sample, or -1 when the frame does not count (quiet,
 * pitch outside PL_FMIN..PL_FMAX, or the window not inside the n samples). */
static long pl_window(const float *desc, int t, int hop, int rate, long n, int *P)
{
    const float *d = desc + (size_t)t * NR_NUM_DESC;
    double f0 = d[NR_DESC_PITCH];
    if (!(d[NR_DESC_LOUDNESS] > 1e-3f) || !(f0 >= PL_FMIN && f0 <= PL_FMAX)) return -1;
    *P = (int)lround(rate / f0);
    long s = (long)t * hop + hop / 2 - (PL_W + *P) / 2;
    return s < 0 || s + PL_W + *P > n ? -1 : s;
}

double nr_pitch_loss_eval(const float *y, const float *x, long n, const float *desc, int T, int hop, int rate,
                          float *dy, double gscale)
{
    int used = 0, P;
    for (int t = 0; t < T; t++) used += pl_window(desc, t, hop, rate, n, &P) >= 0;
    double total = 0.0;
    for (int t = 0; t < T; t++) {
        long s = pl_window(desc, t, hop, rate, n, &P);
        if (s < 0) continue;
        double By, Bx;
        double dyv = pl_diff(y, s, P, &By), dxv = pl_diff(x, s, P, &Bx);
        double e = dyv - dxv;
        total += e * e / used;
        if (!dy) continue;
        /* dd/dv_j = (dA/dv_j - d dB/dv_j) / B */
        double c = gscale * 2.0 * e / used / By;
        for (int i = 0; i < PL_W; i++) {
            double a = y[s + i], b = y[s + i + P], u = a - b;
            dy[s + i] += (float)(c * 2.0 * (u - dyv * a));
            dy[s + i + P] += (float)(c * 2.0 * (-u - dyv * b));
        }
    }
    return total;
}
