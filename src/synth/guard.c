#include "synth/guard.h"

#include <math.h>

#define GUARD_HIGH 0.75f   /* smoothed share above which a voice is shed */
#define GUARD_BLOCK 0.90f  /* blocks above this, several in a row, shed a voice (one alone may be
                              the system's fault, not ours) */
#define GUARD_LOW 0.40f    /* below this a shed voice comes back */
#define GUARD_BUDGET 0.70f /* share of the period the voices may use, for the predicted limit */
#define COOL_DOWN 8        /* blocks between two sheds: the fade-out must show in the load first */
#define COOL_UP 32         /* blocks between two returns */

void nr_guard_init(nr_guard *g, int max_voices, float voice_cost)
{
    g->max = max_voices < 1 ? 1 : max_voices;
    g->limit = g->max;
    g->cool = 0;
    g->load_ema = 0.0f;
    g->voice_cost = isfinite(voice_cost) && voice_cost > 0.0f ? voice_cost : 0.0f;
    g->late = 0.0f;
}

int nr_guard_update(nr_guard *g, float share, int playing, int enabled)
{
    if (!isfinite(share) || share < 0.0f) share = 0.0f;
    if (share > 100.0f) share = 100.0f;
    g->load_ema += 0.1f * (share - g->load_ema);
    g->late = 0.75f * g->late + (share > GUARD_BLOCK ? 1.0f : 0.0f); /* > 1.5: 2-3 late in a row */
    if (playing > 0) g->voice_cost += 0.1f * (share / (float)playing - g->voice_cost);
    if (!enabled) return g->max;
    if (g->cool > 0) g->cool--;
    if ((g->late > 1.5f || g->load_ema > GUARD_HIGH) && playing > 1 && g->cool == 0) {
        g->limit = playing - 1;
        g->cool = COOL_DOWN;
    } else if (g->load_ema < GUARD_LOW && g->limit < g->max && g->cool == 0) {
        g->limit++;
        g->cool = COOL_UP;
    }
    int limit = g->limit;
    if (g->voice_cost > 1e-6f) {
        float fit = GUARD_BUDGET / g->voice_cost;
        if (fit < (float)limit) limit = (int)fit;
    }
    return limit < 1 ? 1 : limit;
}
