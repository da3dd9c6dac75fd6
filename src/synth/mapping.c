#include "synth/mapping.h"

#include <math.h>

static float clampf(float v, float lo, float hi) { return v > lo ? (v < hi ? v : hi) : lo; }

float nr_cv_calibrate(float v, const nr_cv_cal *cal)
{
    if (isnan(v)) return 0.0f;
    v = clampf(v, -NR_CV_RAIL, NR_CV_RAIL);
    float off = isfinite(cal->offset) ? cal->offset : 0.0f;
    float sc = isfinite(cal->scale) ? cal->scale : 1.0f;
    return clampf((v - off) * sc, -NR_CV_RAIL, NR_CV_RAIL);
}

float nr_cv_unit(float volts, int bipolar)
{
    if (isnan(volts)) return 0.0f;
    float x = volts / NR_CV_FULL_SCALE;
    return bipolar ? clampf(x, -1.0f, 1.0f) : clampf(x, 0.0f, 1.0f);
}

void nr_controls_from_cv(const nr_patch *p, const float volts[NR_NUM_CV], nr_curve_ctl *c, float *level)
{
    float add[NR_CVT_COUNT] = {0};
    int level_cv = 0;
    for (int i = 0; i < NR_NUM_CV; i++) {
        int t = p->cv[i].target;
        if (t <= NR_CVT_OFF || t >= NR_CVT_COUNT) continue;
        float r = isfinite(p->cv[i].range) ? p->cv[i].range : 0.0f;
        add[t] += nr_cv_unit(volts[i], p->cv[i].bipolar) * r;
        level_cv |= t == NR_CVT_LEVEL;
    }
    const nr_cv_target_info *lim;
    for (int d = 0; d < NR_NUM_DESC; d++) {
        lim = nr_cv_target_limits(NR_CVT_DESC0 + d);
        c->offset[d] = clampf(p->offset[d] + add[NR_CVT_DESC0 + d], lim->lo, lim->hi);
    }
    lim = nr_cv_target_limits(NR_CVT_INTERP);
    c->a = clampf(p->interp + add[NR_CVT_INTERP], lim->lo, lim->hi);
    lim = nr_cv_target_limits(NR_CVT_STRETCH);
    c->stretch = clampf(p->stretch + add[NR_CVT_STRETCH], lim->lo, lim->hi);
    lim = nr_cv_target_limits(NR_CVT_SCRUB);
    c->scrub = clampf(add[NR_CVT_SCRUB], lim->lo, lim->hi);
    lim = nr_cv_target_limits(NR_CVT_VARIATION);
    c->variation = clampf(p->variation + add[NR_CVT_VARIATION], lim->lo, lim->hi);
    lim = nr_cv_target_limits(NR_CVT_PITCH_VOCT);
    c->voct = clampf(add[NR_CVT_PITCH_VOCT], lim->lo, lim->hi);
    for (int k = 0; k < NR_NUM_LATENT; k++) {
        lim = nr_cv_target_limits(NR_CVT_LATENT0 + k);
        c->latent[k] = clampf(add[NR_CVT_LATENT0 + k], lim->lo, lim->hi);
    }
    lim = nr_cv_target_limits(NR_CVT_LEVEL);
    /* An input on level is a VCA (0 V = silent); with none the level is unity. */
    *level = level_cv ? clampf(add[NR_CVT_LEVEL], lim->lo, lim->hi) : 1.0f;
}

float nr_db_to_gain(float db)
{
    if (!(db > -60.0f)) return 0.0f;
    if (db > 24.0f) db = 24.0f;
    return powf(10.0f, db / 20.0f);
}
