/* Tuning: does a model play the interval it is asked for? Renders a template at its own pitch and
 * transposed (the pitch curve x 2^(s/12), as render --transpose and the pitch_voct CV do), and names
 * the pitch a listener would: the median yin f0 over the loud frames. */
#include "nr/analysis.h"
#include "nr/engine.h"
#include "nr/eval.h"
#include "nr/model_templates.h"
#include "nr/templates.h"

#include <math.h>
#include <string.h>

/* yin in the analysis looks for 50..5000 Hz; a kick at 55 Hz transposed down an octave is below that.
 * Low pitches are read on the render played SPEEDUP times faster (every frequency x SPEEDUP, as a tape
 * played fast), then divided back: 12.5 Hz and up. Above SPEEDUP_MAX Hz the sped-up period gets too few
 * samples for yin at 22050 Hz, so those are read at normal speed. */
#define TUNING_SPEEDUP 4
#define TUNING_SPEEDUP_MAX 400.0
#define TUNING_LOUD_DB 20.0 /* loud frames: within this of the loudest */

static nr_result pitch_at(const float *y, long n, int rate, int speedup, double *hz)
{
    *hz = 0.0;
    nr_audio a = {0};
    nr_result r = nr_audio_resample(y, n, rate * speedup, NR_ANALYSIS_RATE, &a);
    nr_curves c = {0};
    if (r == NR_OK) r = nr_analyze(a.samples, a.n, &c);
    if (r == NR_OK) *hz = nr_curves_median_pitch(&c, TUNING_LOUD_DB, 50.0, 5000.0) / speedup;
    nr_curves_free(&c);
    nr_audio_free(&a);
    return r;
}

nr_result nr_eval_rendered_pitch(const float *y, long n, int rate, double *hz)
{
    nr_result r = pitch_at(y, n, rate, TUNING_SPEEDUP, hz);
    if (r == NR_OK && *hz > TUNING_SPEEDUP_MAX) r = pitch_at(y, n, rate, 1, hz);
    return r;
}

nr_result nr_eval_tuning(const nr_model *m, const char *tmpl, const double *semitones, int n, uint64_t seed,
                         double *base_hz, double *cents)
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
        if (i >= 0) nr_curves_transpose(&c, semitones[i]);
        nr_audio y = {0};
        double hz = 0.0;
        r = nr_render(m, &c, &rc, &y);
        if (r == NR_OK) r = nr_eval_rendered_pitch(y.samples, y.n, y.rate, &hz);
        if (r == NR_OK && i < 0) *base_hz = hz;
        if (r == NR_OK && i >= 0)
            cents[i] = hz > 0.0 && *base_hz > 0.0 ? 1200.0 * log2(hz / *base_hz) - 100.0 * semitones[i] : NAN;
        nr_audio_free(&y);
        nr_curves_free(&c);
    }
    nr_curves_free(&c0);
    return r;
}
