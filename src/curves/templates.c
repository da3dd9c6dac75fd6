/* Built-in templates: plausible impacts synthesised from sines, filtered noise and exponential
 * decays, then analysed like any sound. Each is made on first use and kept for the process. */
#include "nr/templates.h"

#include "dsp/rng.h"
#include "nr/analysis.h"

#include <math.h>
#include <pthread.h>
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

/* Attack of a few milliseconds so no sound starts with a step. */
static double attack(double t, double ms) { return t < ms * 1e-3 ? t / (ms * 1e-3) : 1.0; }

/* Kick: a sine gliding 160 -> 55 Hz with a 0.35 s decay, and a short high-passed click. */
static void synth_kick(float *y, long n)
{
    noise_gen g = {0x6b69636bULL};
    double ph = 0.0, lp = 0.0;
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double f = 55.0 + 105.0 * exp(-t / 0.035);
        ph += TWO_PI * f / RATE;
        double body = sin(ph) * exp(-t / 0.35) * attack(t, 1.0);
        double w = noise(&g);
        lp += lp_coef(2000.0) * (w - lp);
        double click = (w - lp) * exp(-t / 0.004);
        y[i] = (float)(0.85 * body + 0.5 * click);
    }
}

/* Boom: a sub sine falling 90 -> 38 Hz over a 2 s decay, a low rumble of band-passed noise fading
 * over several seconds, and a brief broadband crack at the start. ~7 s. */
static void synth_boom(float *y, long n)
{
    noise_gen g = {0x626f6f6dULL};
    bandpass rumble = bp_make(120.0, 0.7), body = bp_make(400.0, 1.0);
    double ph = 0.0;
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double f = 38.0 + 52.0 * exp(-t / 0.4);
        ph += TWO_PI * f / RATE;
        double sub = sin(ph) * exp(-t / 2.0) * attack(t, 5.0);
        double w = noise(&g);
        double rum = bp_run(&rumble, w) * exp(-t / 2.5) * attack(t, 20.0);
        double mid = bp_run(&body, w) * exp(-t / 0.5);
        double crack = w * exp(-t / 0.02);
        y[i] = (float)(0.6 * sub + 0.9 * rum + 0.5 * mid + 0.35 * crack);
    }
}

/* Snare / hit: two drum-head modes (185, 330 Hz) and band-passed noise for the wires. */
static void synth_snare(float *y, long n)
{
    noise_gen g = {0x736e6172ULL};
    bandpass wires = bp_make(4000.0, 0.6);
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double head = (0.6 * sin(TWO_PI * 185.0 * t) + 0.35 * sin(TWO_PI * 330.0 * t)) * exp(-t / 0.07);
        double sn = bp_run(&wires, noise(&g)) * exp(-t / 0.16);
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
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double s = 0.0;
        for (int k = 0; k < 6; k++) s += amp[k] * sin(TWO_PI * hz[k] * t + k) * exp(-t / tau[k]);
        s += 0.4 * noise(&g) * exp(-t / 0.006);
        y[i] = (float)(s * attack(t, 0.5));
    }
}

/* Wood: a few damped modes of a block (short decays) and a soft click. */
static void synth_wood(float *y, long n)
{
    noise_gen g = {0x776f6f64ULL};
    bandpass knock = bp_make(1500.0, 2.0);
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double s = 0.6 * sin(TWO_PI * 720.0 * t) * exp(-t / 0.06) + 0.3 * sin(TWO_PI * 1940.0 * t) * exp(-t / 0.03) +
                   0.15 * sin(TWO_PI * 3200.0 * t) * exp(-t / 0.015);
        s += 0.8 * bp_run(&knock, noise(&g)) * exp(-t / 0.01);
        y[i] = (float)(s * attack(t, 0.3));
    }
}

/* Impact: the cinematic hit the original was trained on: a sub drop, a noisy body with a pitched
 * core (110 Hz), a bright crack, and a tail that fades over ~7 s. */
static void synth_impact(float *y, long n)
{
    noise_gen g = {0x696d7061ULL};
    bandpass body = bp_make(450.0, 0.8), air = bp_make(5000.0, 0.7);
    double ph = 0.0, ph2 = 0.0;
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double f = 45.0 + 75.0 * exp(-t / 0.25);
        ph += TWO_PI * f / RATE;
        ph2 += TWO_PI * 110.0 * (1.0 + 0.2 * exp(-t / 0.1)) / RATE;
        double sub = sin(ph) * exp(-t / 1.2);
        double core = 0.5 * sin(ph2) * exp(-t / 0.8);
        double w = noise(&g);
        double noisy = bp_run(&body, w) * exp(-t / 0.9) + 0.25 * bp_run(&air, w) * exp(-t / 0.2);
        double crack = w * exp(-t / 0.008);
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

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static nr_curves g_cache[N_DEFS]; /* filled on first use, kept for the process */

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

nr_result nr_template_get(const char *name, nr_curves *out)
{
    memset(out, 0, sizeof *out);
    int k = find(name);
    if (k < 0) return unknown(name);
    nr_result r = NR_OK;
    pthread_mutex_lock(&g_lock);
    if (!g_cache[k].data) {
        nr_audio a;
        r = synth(k, &a);
        if (r == NR_OK) {
            r = nr_analyze(a.samples, a.n, &g_cache[k]);
            nr_audio_free(&a);
        }
    }
    if (r == NR_OK) {
        r = nr_curves_alloc(out, g_cache[k].n_frames, g_cache[k].frame_rate);
        if (r == NR_OK)
            memcpy(out->data, g_cache[k].data, (size_t)g_cache[k].n_frames * NR_NUM_DESC * sizeof(float));
    }
    pthread_mutex_unlock(&g_lock);
    return r;
}
