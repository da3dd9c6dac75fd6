/* Live curve reading: at each trigger a template (or two, time-aligned and mixed) is read frame by
 * frame, moved by the controls in the model's normalised descriptor space, with time stretch and scrub. */
#include "synth/curve_reader.h"

#include <math.h>

/* Raw values outside these are not descriptors of any sound: loudness (rms), zcr and flatness are
 * shares; the Hz ones cannot pass the analysis Nyquist (yin's fmax is 5000 Hz). */
static const float g_raw_lo[NR_NUM_DESC] = {0, 0, 0, 0, 0, 0, 0};
static const float g_raw_hi[NR_NUM_DESC] = {1.0f, 1.0f, 11025.0f, 1.0f, 11025.0f, 11025.0f, 5000.0f};

/* Variation at full amount: half a standard deviation per descriptor, +-0.3 octave of length. */
#define VAR_DESC_STD 0.5f
#define VAR_RATE_OCT 0.3f


void nr_curve_start(nr_curve_reader *r, uint64_t *rng)
{
    r->u = 0.0;
    for (int d = 0; d < NR_NUM_DESC; d++) r->rnd[d] = nr_xs64_gauss(rng);
    r->rnd_rate = nr_xs64_gauss(rng);
}

/* The aligned time line of a mix: length (last frame time) L and peak P interpolate with a. */
typedef struct {
    double L, P;
} timeline;

static timeline mix_timeline(const nr_template *A, const nr_template *B, float a)
{
    timeline t;
    t.L = (double)(A->n - 1);
    t.P = A->peak;
    if (a > 0.0f && B) {
        t.L = (1.0 - a) * t.L + a * (double)(B->n - 1);
        t.P = (1.0 - a) * t.P + a * (double)B->peak;
    }
    return t;
}

static double u_to_t(double u, double P, double L)
{
    return u < 1.0 ? u * P : P + (u - 1.0) * (L - P);
}

static double t_to_u(double t, double P, double L)
{
    if (t < P) return P > 0.0 ? t / P : 1.0;
    if (L > P) return 1.0 + (t - P) / (L - P);
    return t > P ? 2.0 + (t - P) : 1.0;
}

/* Linear interpolation inside one template at frame time x (ends held). */
static void sample(const nr_template *T, double x, float out[NR_NUM_DESC], float w)
{
    if (!(x > 0.0)) x = 0.0;
    double last = (double)(T->n - 1);
    if (x > last) x = last;
    int i = (int)x;
    float f = (float)(x - i);
    const float *p = T->z + (size_t)i * NR_NUM_DESC;
    const float *q = i + 1 < T->n ? p + NR_NUM_DESC : p;
    for (int d = 0; d < NR_NUM_DESC; d++) out[d] += w * (p[d] + f * (q[d] - p[d]));
}

int nr_curve_next(const nr_template_set *s, int ta, int tb, nr_curve_reader *r, const nr_curve_ctl *c,
                  float raw[NR_NUM_DESC])
{
    if (ta < 0 || ta >= s->count) return 0;
    float a = c->a > 0.0f ? (c->a < 1.0f ? c->a : 1.0f) : 0.0f;
    const nr_template *A = &s->t[ta];
    const nr_template *B = tb >= 0 && tb < s->count ? &s->t[tb] : NULL;
    if (!B) a = 0.0f;
    timeline tl = mix_timeline(A, B, a);
    if (r->u > 2.0 + 1e-9 || !(r->u >= 0.0)) return 0;
    double t = u_to_t(r->u, tl.P, tl.L);

    /* Scrub moves the read position, not the play head: the sound still ends on time. */
    double tr = t + (double)c->scrub * (tl.L + 1.0);
    if (tr < 0.0) tr = 0.0;
    if (tr > tl.L) tr = tl.L;
    double ur = t_to_u(tr, tl.P, tl.L);

    float z[NR_NUM_DESC] = {0};
    if (a < 1.0f) sample(A, u_to_t(ur, A->peak, (double)(A->n - 1)), z, 1.0f - a);
    if (a > 0.0f) sample(B, u_to_t(ur, B->peak, (double)(B->n - 1)), z, a);
    for (int d = 0; d < NR_NUM_DESC; d++) {
        float v = z[d] + c->offset[d] + c->variation * VAR_DESC_STD * r->rnd[d];
        v = v * s->std[d] + s->mean[d];
        raw[d] = v > g_raw_lo[d] ? (v < g_raw_hi[d] ? v : g_raw_hi[d]) : g_raw_lo[d];
    }

    /* Advance by one output frame, at a rate set by stretch (octaves: +1 = twice as long). */
    float oct = c->stretch + c->variation * VAR_RATE_OCT * r->rnd_rate;
    oct = oct > -4.0f ? (oct < 4.0f ? oct : 4.0f) : -4.0f;
    double dt = exp2(-(double)oct);
    r->u = t_to_u(t + dt, tl.P, tl.L);
    if (t + dt > tl.L + 1e-9) r->u = 2.0 + (t + dt - tl.L) + 1e-6;
    return 1;
}
