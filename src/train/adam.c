/* Adam with bias correction and global gradient-norm clipping. */
#include "train_impl.h"

#include <math.h>

double nr_adam_step(const nr_adam_config *c, float *p, const float *g, float *m, float *v, long n, long t, float lr)
{
    double ss = 0.0;
    for (long i = 0; i < n; i++) ss += (double)g[i] * g[i];
    double norm = sqrt(ss);
    float scale = (c->clip_norm > 0 && norm > c->clip_norm) ? (float)(c->clip_norm / norm) : 1.0f;
    double bc1 = 1.0 - pow(c->beta1, (double)t), bc2 = 1.0 - pow(c->beta2, (double)t);
    float step = (float)(lr * sqrt(bc2) / bc1);
    for (long i = 0; i < n; i++) {
        float gi = g[i] * scale;
        m[i] = c->beta1 * m[i] + (1.0f - c->beta1) * gi;
        v[i] = c->beta2 * v[i] + (1.0f - c->beta2) * gi * gi;
        p[i] -= step * m[i] / (sqrtf(v[i]) + c->eps);
    }
    return norm;
}

uint64_t nr_train_hash(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = nr_imp_seed_mix(a);
    h = nr_imp_seed_mix(h ^ (b * 0x9E3779B97F4A7C15ULL));
    return nr_imp_seed_mix(h ^ (c * 0xC2B2AE3D27D4EB4FULL));
}
