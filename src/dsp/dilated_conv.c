#include "dsp/dilated_conv.h"

#include <cblas.h>
#include <string.h>

void nr_dconv3_pack(const float *w, int c, float *wp)
{
    for (int o = 0; o < c; o++)
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < c; i++) wp[(size_t)o * 3 * c + (size_t)j * c + i] = w[((size_t)o * c + i) * 3 + j];
}

void nr_dconv3_block(const float *wp, int c, int dil, float *ring, long t0, const float *h, int n,
                     float *col, float *y)
{
    const long r = 2L * dil;
    const size_t row = (size_t)c * sizeof(float);
    for (int t = 0; t < n; t++) {
        float *dst = col + (size_t)t * 3 * c;
        for (int j = 0; j < 2; j++) {
            long back = (long)(2 - j) * dil; /* tap j looks back (2 - j) d samples */
            const float *src = t >= back ? h + (size_t)(t - back) * c
                                         : ring + (size_t)((t0 + t - back + r) % r) * c;
            memcpy(dst + (size_t)j * c, src, row);
        }
        memcpy(dst + 2 * (size_t)c, h + (size_t)t * c, row);
    }
    for (int t = n > r ? n - (int)r : 0; t < n; t++)
        memcpy(ring + (size_t)((t0 + t) % r) * c, h + (size_t)t * c, row);
    /* y (n, C) = col (n, 3C) . wp^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, c, 3 * c, 1.0f, col, 3 * c, wp, 3 * c, 0.0f, y, c);
}

void nr_dconv3_ref(const float *w, int c, int dil, const float *h, long n, float *y)
{
    for (long t = 0; t < n; t++) {
        for (int o = 0; o < c; o++) {
            float acc = 0.0f;
            for (int j = 0; j < 3; j++) {
                long s = t - (long)(2 - j) * dil;
                if (s < 0) continue;
                for (int i = 0; i < c; i++) acc += w[((size_t)o * c + i) * 3 + j] * h[(size_t)s * c + i];
            }
            y[(size_t)t * c + o] = acc;
        }
    }
}
