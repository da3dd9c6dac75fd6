/* hn-sinc-NSF source module: harmonics of f0 (the NSF SineGen) merged by Linear + tanh, and a noise
 * source. The phase follows the original's float32 arithmetic: rad = (f0 k / sr) mod 1, a cumulative
 * sum accumulated in double and rounded to float (PyTorch's CPU cumsum), and a -1 at each sample where
 * that sum's fractional part falls. Running sums make every sample cost the same. */
#include "nsf_internal.h"
#include "dsp/fast_tanh.h"

#include <math.h>
#include <string.h>

#define PI_F 3.14159265358979323846f

void nsf_source_init(nsf_source *s, const nsf_weights *w, uint64_t seed, int no_noise, int band_limited)
{
    memset(s, 0, sizeof *s);
    s->w = w;
    s->no_noise = no_noise;
    s->band_limited = band_limited;
    nr_rng_seed(&s->rng, seed);
    /* random initial phase for the overtones, none for the fundamental */
    for (int k = 1; k < w->n_harm; k++) s->ini[k] = no_noise ? 0.0f : nr_rng_uniform(&s->rng);
}

/* PyTorch's remainder(a, 1): fmod, then into [0, 1). a - trunc(a) is fmodf(a, 1) exactly (the
 * subtraction is exact; only the sign of a zero result may differ, which no later step sees), without
 * the library call. */
static inline float mod1(float a)
{
    float r = a - truncf(a);
    return r < 0.0f ? r + 1.0f : r;
}

void nsf_source_run(nsf_source *s, const float *f0, int n, float *har, float *noi)
{
    const nsf_weights *w = s->w;
    const int nh = w->n_harm;
    const float sr = (float)w->sample_rate, nyq = 0.5f * (float)w->sample_rate;
    const float noise_uv = w->sine_amp / 3.0f;
    for (int i = 0; i < n; i++) {
        const float f = f0[i];
        const float uv = f > w->voiced_threshold ? 1.0f : 0.0f;
        const float namp = uv * w->noise_std + (1.0f - uv) * noise_uv;
        float acc = 0.0f;
        for (int k = 0; k < nh; k++) {
            const float fk = k ? f * (float)(k + 1) : f;
            float rad = mod1(fk / sr);
            if (s->t == 0) rad += s->ini[k];
            s->cum[k] += rad;
            const float frac = mod1((float)s->cum[k]);
            const float shift = (s->t > 0 && frac - s->frac_prev[k] < 0.0f) ? -1.0f : 0.0f;
            s->frac_prev[k] = frac;
            s->cum_shifted[k] += (double)(rad + shift);
            float sine = sinf((float)s->cum_shifted[k] * 2.0f * PI_F) * w->sine_amp;
            if (s->band_limited && fk >= nyq) sine = 0.0f;
            const float noise = s->no_noise ? 0.0f : namp * nr_rng_normal(&s->rng);
            acc += w->src_w[k] * (sine * uv + noise);
        }
        har[i] = acc + w->src_b;
        noi[i] = s->no_noise ? 0.0f : nr_rng_normal(&s->rng) * w->sine_amp / 3.0f;
        s->t++;
    }
    nr_tanh_inplace(har, (size_t)n);
}
