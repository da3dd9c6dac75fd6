/* Built-in templates: plausible impacts synthesised from sines, filtered noise and exponential
 * decays, then analysed like any sound. The analysis is done once, at development time, into
 * curves/builtin_curves.c (`make builtin-curves`), so a synth starts without it. */
#include "nr/templates.h"

#include "curves/builtin_curves.h"
#include "dsp/rng.h"
#include "nr/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RATE NR_ANALYSIS_RATE
#define TWO_PI 6.28318530717958647692

/* Deterministic white noise in [-1, 1) (dsp/rng.h's xorshift64*), one stream per sound. */
typedef struct {
    uint64_t s;
} noise_gen;

static double noise(noise_gen *g) { return 2.0 * nr_xs64_uniform(&g->s) - 1.0; }

/* Biquad band-pass (constant 0 dB peak gain), from the audio EQ cookbook. */
typedef struct {
    double b0, b2, a1, a2, x1, x2, y1, y2;
} bandpass;

static bandpass bp_make(double hz, double q)
{
    double w = TWO_PI * hz / RATE, al = sin(w) / (2.0 * q), a0 = 1.0 + al;
    bandpass f = {al / a0, -al / a0, -2.0 * cos(w) / a0, (1.0 - al) / a0, 0, 0, 0, 0};
    return f;
}

static double bp_run(bandpass *f, double x)
{
    double y = f->b0 * x + f->b2 * f->x2 - f->a1 * f->y1 - f->a2 * f->y2;
    f->x2 = f->x1;
    f->x1 = x;
    f->y2 = f->y1;
    f->y1 = y;
    return y;
}

/* One-pole low-pass coefficient for a cut-off in Hz. */
static double lp_coef(double hz) { return 1.0 - exp(-TWO_PI * hz / RATE); }

/* exp(-t / tau) at t = i / RATE for i = 0, 1, 2, ...: one multiplication a sample instead of exp(). */
typedef struct {
    double v, r;
} decay;

static decay decay_make(double tau) { return (decay){1.0, exp(-1.0 / (tau * RATE))}; }

static double decay_next(decay *d)
{
    double v = d->v;
    d->v *= d->r;
    return v;
}

/* sin(2 pi hz t + phase) at t = i / RATE: a phasor turned by a fixed rotation each sample. */
typedef struct {
    double re, im, c, s;
} sine;

static sine sine_make(double hz, double phase)
{
    double w = TWO_PI * hz / RATE;
    return (sine){cos(phase), sin(phase), cos(w), sin(w)};
}

static double sine_next(sine *o)
{
    double v = o->im, re = o->re * o->c - o->im * o->s;
    o->im = o->re * o->s + o->im * o->c;
    o->re = re;
    return v;
}

/* A phase advanced by hz, kept in [0, 2 pi) (sin() of a small argument needs no long reduction). */
static double advance(double ph, double hz)
{
    ph += TWO_PI * hz / RATE;
    return ph >= TWO_PI ? ph - TWO_PI : ph;
}

/* Attack of a few milliseconds so no sound starts with a step. */
static double attack(double t, double ms) { return t < ms * 1e-3 ? t / (ms * 1e-3) : 1.0; }

/* Kick: a sine gliding 160 -> 55 Hz with a 0.35 s decay, and a short high-passed click. */
static void synth_kick(float *y, long n)
{
    noise_gen g = {0x6b69636bULL};
    decay glide = decay_make(0.035), env = decay_make(0.35), click_env = decay_make(0.004);
    double ph = 0.0, lp = 0.0, k_lp = lp_coef(2000.0);
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double f = 55.0 + 105.0 * decay_next(&glide);
        ph = advance(ph, f);
        double body = sin(ph) * decay_next(&env) * attack(t, 1.0);
        double w = noise(&g);
        lp += k_lp * (w - lp);
        double click = (w - lp) * decay_next(&click_env);
        y[i] = (float)(0.85 * body + 0.5 * click);
    }
}

/* Boom: a sub sine falling 90 -> 38 Hz over a 2 s decay, a low rumble of band-passed noise fading
 * over several seconds, and a brief broadband crack at the start. ~7 s. */
static void synth_boom(float *y, long n)
{
    noise_gen g = {0x626f6f6dULL};
    bandpass rumble = bp_make(120.0, 0.7), body = bp_make(400.0, 1.0);
    decay glide = decay_make(0.4), sub_env = decay_make(2.0), rum_env = decay_make(2.5), mid_env = decay_make(0.5),
          crack_env = decay_make(0.02);
    double ph = 0.0;
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double f = 38.0 + 52.0 * decay_next(&glide);
        ph = advance(ph, f);
        double sub = sin(ph) * decay_next(&sub_env) * attack(t, 5.0);
        double w = noise(&g);
        double rum = bp_run(&rumble, w) * decay_next(&rum_env) * attack(t, 20.0);
        double mid = bp_run(&body, w) * decay_next(&mid_env);
        double crack = w * decay_next(&crack_env);
        y[i] = (float)(0.6 * sub + 0.9 * rum + 0.5 * mid + 0.35 * crack);
    }
}

/* Snare / hit: two drum-head modes (185, 330 Hz) and band-passed noise for the wires. */
static void synth_snare(float *y, long n)
{
    noise_gen g = {0x736e6172ULL};
    bandpass wires = bp_make(4000.0, 0.6);
    sine m1 = sine_make(185.0, 0.0), m2 = sine_make(330.0, 0.0);
    decay head_env = decay_make(0.07), wire_env = decay_make(0.16);
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double head = (0.6 * sine_next(&m1) + 0.35 * sine_next(&m2)) * decay_next(&head_env);
        double sn = bp_run(&wires, noise(&g)) * decay_next(&wire_env);
        y[i] = (float)((0.7 * head + 1.3 * sn) * attack(t, 0.5));
    }
}

/* Metal: inharmonic partials of a struck plate with long, frequency-dependent decays. */
static void synth_metal(float *y, long n)
{
    static const double hz[6] = {523.0, 1187.0, 1741.0, 2609.0, 3511.0, 4889.0};
    static const double amp[6] = {0.35, 0.3, 0.22, 0.18, 0.12, 0.08};
    static const double tau[6] = {1.6, 1.2, 0.9, 0.7, 0.5, 0.35};
    noise_gen g = {0x6d6574ULL};
    sine part[6];
    decay env[6], hit = decay_make(0.006);
    for (int k = 0; k < 6; k++) part[k] = sine_make(hz[k], k), env[k] = decay_make(tau[k]);
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double s = 0.0;
        for (int k = 0; k < 6; k++) s += amp[k] * sine_next(&part[k]) * decay_next(&env[k]);
        s += 0.4 * noise(&g) * decay_next(&hit);
        y[i] = (float)(s * attack(t, 0.5));
    }
}

/* Wood: a few damped modes of a block (short decays) and a soft click. */
static void synth_wood(float *y, long n)
{
    noise_gen g = {0x776f6f64ULL};
    bandpass knock = bp_make(1500.0, 2.0);
    sine m1 = sine_make(720.0, 0.0), m2 = sine_make(1940.0, 0.0), m3 = sine_make(3200.0, 0.0);
    decay e1 = decay_make(0.06), e2 = decay_make(0.03), e3 = decay_make(0.015), ek = decay_make(0.01);
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double s = 0.6 * sine_next(&m1) * decay_next(&e1) + 0.3 * sine_next(&m2) * decay_next(&e2) +
                   0.15 * sine_next(&m3) * decay_next(&e3);
        s += 0.8 * bp_run(&knock, noise(&g)) * decay_next(&ek);
        y[i] = (float)(s * attack(t, 0.3));
    }
}

/* Impact: the cinematic hit the original was trained on: a sub drop, a noisy body with a pitched
 * core (110 Hz), a bright crack, and a tail that fades over ~7 s. */
static void synth_impact(float *y, long n)
{
    noise_gen g = {0x696d7061ULL};
    bandpass body = bp_make(450.0, 0.8), air = bp_make(5000.0, 0.7);
    decay glide = decay_make(0.25), bend = decay_make(0.1), sub_env = decay_make(1.2), core_env = decay_make(0.8),
          body_env = decay_make(0.9), air_env = decay_make(0.2), crack_env = decay_make(0.008);
    double ph = 0.0, ph2 = 0.0;
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double f = 45.0 + 75.0 * decay_next(&glide);
        ph = advance(ph, f);
        ph2 = advance(ph2, 110.0 * (1.0 + 0.2 * decay_next(&bend)));
        double sub = sin(ph) * decay_next(&sub_env);
        double core = 0.5 * sin(ph2) * decay_next(&core_env);
        double w = noise(&g);
        double noisy = bp_run(&body, w) * decay_next(&body_env) + 0.25 * bp_run(&air, w) * decay_next(&air_env);
        double crack = w * decay_next(&crack_env);
        y[i] = (float)((0.6 * sub + 0.4 * core + 0.8 * noisy + 0.3 * crack) * attack(t, 2.0));
    }
}

typedef struct {
    const char *name, *summary;
    int frames; /* length in analysis frames (512 samples) */
    void (*synth)(float *y, long n);
} template_def;

static const template_def g_defs[] = {
    {"impact", "cinematic hit: sub drop, noisy body, crack, ~7 s tail (the default)", 301, synth_impact},
    {"kick", "kick drum: sine gliding 160 -> 55 Hz with a click, 1.5 s", 65, synth_kick},
    {"boom", "long boom: sub 90 -> 38 Hz, rumble, crack, ~7 s", 301, synth_boom},
    {"snare", "snare / hit: two head modes and noisy wires, 1 s", 43, synth_snare},
    {"metal", "struck metal plate: inharmonic partials with long decays, 3 s", 129, synth_metal},
    {"wood", "wood block: short damped modes and a click, 0.75 s", 33, synth_wood},
};
#define N_DEFS ((int)(sizeof g_defs / sizeof g_defs[0]))

int nr_template_count(void) { return N_DEFS; }
const char *nr_template_name(int i) { return i >= 0 && i < N_DEFS ? g_defs[i].name : NULL; }
const char *nr_template_summary(int i) { return i >= 0 && i < N_DEFS ? g_defs[i].summary : NULL; }

static int find(const char *name)
{
    if (!name) name = NR_TEMPLATE_DEFAULT;
    for (int i = 0; i < N_DEFS; i++)
        if (!strcmp(name, g_defs[i].name)) return i;
    return -1;
}

static nr_result unknown(const char *name)
{
    return nr_fail(NR_ERR_ARG, "unknown template '%s'; expected impact, kick, boom, snare, metal or wood", name);
}

static nr_result synth(int k, nr_audio *out)
{
    memset(out, 0, sizeof *out);
    long n = (long)g_defs[k].frames * NR_ANALYSIS_HOP; /* n / 512 frames once the last is dropped */
    out->samples = calloc((size_t)n, sizeof(float));
    if (!out->samples) return nr_fail(NR_ERR_NOMEM, "out of memory for template '%s'", g_defs[k].name);
    out->n = n;
    out->rate = RATE;
    g_defs[k].synth(out->samples, n);
    /* peak at -1 dBFS, as a sample library would ship it */
    float peak = 0.0f;
    for (long i = 0; i < n; i++) peak = fmaxf(peak, fabsf(out->samples[i]));
    if (peak > 0.0f)
        for (long i = 0; i < n; i++) out->samples[i] *= 0.891f / peak;
    return NR_OK;
}

nr_result nr_template_audio(const char *name, nr_audio *out)
{
    memset(out, 0, sizeof *out);
    int k = find(name);
    return k < 0 ? unknown(name) : synth(k, out);
}

nr_result nr_template_analyse(const char *name, nr_curves *out)
{
    memset(out, 0, sizeof *out);
    int k = find(name);
    if (k < 0) return unknown(name);
    nr_audio a;
    nr_result r = synth(k, &a);
    if (r != NR_OK) return r;
    r = nr_analyze(a.samples, a.n, out);
    nr_audio_free(&a);
    return r;
}

nr_result nr_template_get(const char *name, nr_curves *out)
{
    memset(out, 0, sizeof *out);
    int k = find(name);
    if (k < 0) return unknown(name);
    const nr_builtin_curves *t = NULL;
    for (int i = 0; i < nr_builtin_curves_count && !t; i++)
        if (!strcmp(nr_builtin_curves_table[i].name, g_defs[k].name)) t = &nr_builtin_curves_table[i];
    if (!t || t->n_frames != g_defs[k].frames)
        return nr_fail(NR_ERR_SHAPE, "built-in template '%s' is not in curves/builtin_curves.c as defined (run make builtin-curves)",
                       g_defs[k].name);
    nr_result r = nr_curves_alloc(out, t->n_frames, NR_ANALYSIS_FRAME_RATE);
    if (r == NR_OK) memcpy(out->data, t->data, (size_t)t->n_frames * NR_NUM_DESC * sizeof(float));
    return r;
}
