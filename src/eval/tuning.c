/* Tuning: does a model play the interval it is asked for? Renders a template at its own pitch and
 * transposed by s semitones (nr_voice_push_frame_tuned, as render --transpose and the pitch_voct CV do:
 * a sampler's tuning for nr-impact-2, the pitch curve x 2^(s/12) for the others), and names
 * the pitch a listener would: the median yin f0 over the loud frames. */
#include "nr/analysis.h"
#include "nr/engine.h"
#include "nr/eval.h"
#include "nr/model_templates.h"
#include "nr/templates.h"

#include <math.h>
#include <string.h>

/* yin in the analysis looks for 50..5000 Hz, and its octave choice is surest when the period spans many
 * samples but the window holds several periods. So a render is read played at the speed that brings its
 * pitch near 100..1600 Hz: pitches up to SPEEDUP_MAX Hz on the render played SPEEDUP times faster (every
 * frequency x SPEEDUP, as a tape played fast; 12.5 Hz and up), higher ones on the render played SLOWDOWN
 * times slower (up to 20 kHz), each scaled back. Read at normal speed instead, a 6.9 kHz tone gives a
 * steady 1.4 kHz and a 2 kHz tone reads 7 cents sharp; sped up, a 2.6 kHz tone reads 263 Hz and the
 * plucks model's 525 Hz banjo an octave low. The slowed reading counts when at least SLOWDOWN_STABLE of
 * the loud frames agree on it: slowed down, a low sound's period is out of yin's reach, and the noise it
 * then reads (up to 7 kHz on the original's kick) agrees with itself on 0 to 5 % of the frames, a tone on
 * 60 to 99 %. Normal speed is the fallback between the two. */
#define TUNING_SPEEDUP 4
#define TUNING_SPEEDUP_MAX 400.0
#define TUNING_SLOWDOWN 4
#define TUNING_SLOWDOWN_MIN TUNING_SPEEDUP_MAX
#define TUNING_SLOWDOWN_STABLE 0.5
#define TUNING_LOUD_DB 20.0 /* loud frames: within this of the loudest */
/* yin's search range; a frame at its floor found no period (librosa's yin returns fmin then) */
#define TUNING_YIN_LO 50.5
#define TUNING_YIN_HI 5000.0

#define TUNING_STABLE_CENTS 100.0 /* a loud frame this close to the median counts as "on the pitch" */

/* Share of the loud frames (as nr_curves_median_pitch counts them) whose pitch is within
 * TUNING_STABLE_CENTS of med. */
static double stability(const nr_curves *c, double med, double lo, double hi)
{
    float top = 0.0f;
    for (int t = 0; t < c->n_frames; t++) top = fmaxf(top, c->data[(size_t)t * NR_NUM_DESC + NR_DESC_LOUDNESS]);
    double floor_rms = top * pow(10.0, -TUNING_LOUD_DB / 20.0);
    long loud = 0, near = 0;
    for (int t = 0; t < c->n_frames; t++) {
        const float *f = c->data + (size_t)t * NR_NUM_DESC;
        if (!(f[NR_DESC_LOUDNESS] >= floor_rms) || top <= 0.0f) continue;
        loud++;
        near += f[NR_DESC_PITCH] >= lo && f[NR_DESC_PITCH] <= hi && fabs(1200.0 * log2(f[NR_DESC_PITCH] / med)) <= TUNING_STABLE_CENTS;
    }
    return loud ? (double)near / (double)loud : 0.0;
}

/* The pitch of y read as if it played at rate * speedup / slowdown (every frequency scaled so), scaled back. */
static nr_result pitch_at(const float *y, long n, int rate, int speedup, int slowdown, double *hz, double *stable)
{
    *hz = 0.0;
    if (stable) *stable = 0.0;
    nr_audio a = {0};
    /* the slowed rate stays whole: 48000, 44100, 22050 and 96000 all divide by 4 (else rounded) */
    nr_result r = nr_audio_resample(y, n, (int)lround((double)rate * speedup / slowdown), NR_ANALYSIS_RATE, &a);
    nr_curves c = {0};
    if (r == NR_OK) r = nr_analyze(a.samples, a.n, &c);
    if (r == NR_OK) {
        double med = nr_curves_median_pitch(&c, TUNING_LOUD_DB, TUNING_YIN_LO, TUNING_YIN_HI);
        *hz = med * slowdown / speedup;
        if (stable && med > 0.0) *stable = stability(&c, med, TUNING_YIN_LO, TUNING_YIN_HI);
    }
    nr_curves_free(&c);
    nr_audio_free(&a);
    return r;
}

nr_result nr_eval_rendered_pitch(const float *y, long n, int rate, double *hz, double *stable)
{
    /* Over 400 Hz: the slowed reading, when it is steady. */
    double st = 0.0;
    nr_result r = pitch_at(y, n, rate, 1, TUNING_SLOWDOWN, hz, &st);
    if (r == NR_OK && *hz > TUNING_SLOWDOWN_MIN && st >= TUNING_SLOWDOWN_STABLE) {
        if (stable) *stable = st;
        return r;
    }
    const double slow_hz = *hz, slow_st = st;
    /* Else the sped-up reading, unless it or a steady normal-speed reading says over 400 Hz: then the
     * normal one (a tone over 400 Hz whose slowed reading was not steady). */
    if (r == NR_OK) r = pitch_at(y, n, rate, TUNING_SPEEDUP, 1, hz, stable);
    if (r == NR_OK) {
        double hz1 = 0.0, st1 = 0.0;
        r = pitch_at(y, n, rate, 1, 1, &hz1, &st1);
        if (r == NR_OK && (*hz > TUNING_SPEEDUP_MAX || (hz1 > TUNING_SPEEDUP_MAX && st1 >= TUNING_SLOWDOWN_STABLE))) {
            *hz = hz1;
            if (stable) *stable = st1;
        } else if (r == NR_OK && hz1 > TUNING_SPEEDUP_MAX && slow_hz > TUNING_SPEEDUP_MAX) {
            /* Both the slowed and the normal reading say over 400 Hz, neither steadily (an onset an octave
             * off, say): the sped-up reading cannot be right (a 1.3 kHz tone is 5.3 kHz sped up, over yin's
             * ceiling, and reads as a fifth of it), and the slowed one resolves a high pitch best. */
            *hz = slow_hz;
            if (stable) *stable = slow_st;
        }
    }
    return r;
}

nr_result nr_eval_tuning(const nr_model *m, const char *tmpl, const double *semitones, int n, uint64_t seed,
                         double *base_hz, double *stable, double *cents)
{
    nr_curves c0 = {0};
    nr_result r = nr_model_template_find(m, tmpl) >= 0 ? nr_model_template_get(m, tmpl, &c0)
                                                       : nr_template_get(tmpl, &c0);
    if (r != NR_OK) return r;
    nr_render_config rc = nr_render_config_init();
    rc.voice.seed = seed;
    *base_hz = 0.0;
    for (int i = -1; i < n && r == NR_OK; i++) {
        nr_curves c = {0};
        r = nr_curves_resample(&c0, c0.frame_rate, &c); /* a copy */
        if (r != NR_OK) break;
        rc.voct = i >= 0 ? (float)(semitones[i] / 12.0) : 0.0f;
        nr_audio y = {0};
        double hz = 0.0;
        r = nr_render(m, &c, &rc, &y);
        if (r == NR_OK) r = nr_eval_rendered_pitch(y.samples, y.n, y.rate, &hz, i < 0 ? stable : NULL);
        if (r == NR_OK && i < 0) *base_hz = hz;
        if (r == NR_OK && i >= 0)
            cents[i] = hz > 0.0 && *base_hz > 0.0 ? 1200.0 * log2(hz / *base_hz) - 100.0 * semitones[i] : NAN;
        nr_audio_free(&y);
        nr_curves_free(&c);
    }
    nr_curves_free(&c0);
    return r;
}
