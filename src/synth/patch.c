/* The patch: defaults, clamping, the names of its enumerations. Pure functions (no I/O). */
#include "nr/patch.h"

#include <math.h>
#include <string.h>

static const nr_cv_target_info g_limits[NR_CVT_COUNT] = {
    [NR_CVT_OFF] = {0, 0, 0},
    [NR_CVT_DESC0 + 0] = {-4, 4, 1.5f}, [NR_CVT_DESC0 + 1] = {-4, 4, 1.5f},
    [NR_CVT_DESC0 + 2] = {-4, 4, 1.5f}, [NR_CVT_DESC0 + 3] = {-4, 4, 1.5f},
    [NR_CVT_DESC0 + 4] = {-4, 4, 1.5f}, [NR_CVT_DESC0 + 5] = {-4, 4, 1.5f},
    [NR_CVT_DESC0 + 6] = {-4, 4, 1.0f},
    [NR_CVT_INTERP] = {0, 1, 1},
    [NR_CVT_STRETCH] = {-3, 3, 1},
    [NR_CVT_SCRUB] = {-1, 1, 1},
    [NR_CVT_VARIATION] = {0, 1, 1},
    [NR_CVT_LEVEL] = {0, 2, 1},
    /* a full-scale 5 V input moves 5 octaves: exactly 1 V per octave */
    [NR_CVT_PITCH_VOCT] = {-8, 8, NR_VOCT_RANGE},
    /* a full-scale input moves an axis by 2 prior standard deviations; the synth clamps the point
     * again to the region the latent model's training data covers */
    [NR_CVT_LATENT0 + 0] = {-3, 3, 2}, [NR_CVT_LATENT0 + 1] = {-3, 3, 2},
    [NR_CVT_LATENT0 + 2] = {-3, 3, 2}, [NR_CVT_LATENT0 + 3] = {-3, 3, 2},
};

static const char *const g_target_names[NR_CVT_COUNT] = {
    "off", "loudness", "percussivity", "tonelike", "noisiness", "richness", "brightness", "pitch",
    "interp", "stretch", "scrub", "variation", "level", "pitch_voct", "latent1", "latent2", "latent3", "latent4",
};
static const char *const g_source_names[NR_SOURCE_COUNT] = {"template", "latent"};
static const char *const g_gate_names[NR_GATE_MODE_COUNT] = {"retrigger", "choke", "poly"};
static const char *const g_steal_names[NR_STEAL_COUNT] = {"oldest", "quietest"};

const nr_cv_target_info *nr_cv_target_limits(int t)
{
    return &g_limits[t >= 0 && t < NR_CVT_COUNT ? t : 0];
}
const char *nr_cv_target_name(int t) { return t >= 0 && t < NR_CVT_COUNT ? g_target_names[t] : "?"; }
const char *nr_gate_mode_name(int m) { return m >= 0 && m < NR_GATE_MODE_COUNT ? g_gate_names[m] : "?"; }
const char *nr_steal_name(int p) { return p >= 0 && p < NR_STEAL_COUNT ? g_steal_names[p] : "?"; }
const char *nr_source_name(int s) { return s >= 0 && s < NR_SOURCE_COUNT ? g_source_names[s] : "?"; }

static int index_of(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (!strcmp(names[i], s)) return i;
    return -1;
}
int nr_cv_target_from_name(const char *s) { return index_of(g_target_names, NR_CVT_COUNT, s); }
int nr_gate_mode_from_name(const char *s) { return index_of(g_gate_names, NR_GATE_MODE_COUNT, s); }
int nr_steal_from_name(const char *s) { return index_of(g_steal_names, NR_STEAL_COUNT, s); }
int nr_source_from_name(const char *s) { return index_of(g_source_names, NR_SOURCE_COUNT, s); }

void nr_patch_defaults(nr_patch *p)
{
    memset(p, 0, sizeof *p);
    /* empty: the model's default A / B (its own default template, else the built-in impact / boom) */
    p->template_a[0] = p->template_b[0] = '\0';
    p->interp = 0.0f;
    /* The panel as shipped: brightness, A/B position, pitch and length under the four inputs. */
    const int targets[NR_NUM_CV] = {NR_CVT_DESC0 + NR_DESC_BRIGHTNESS, NR_CVT_INTERP,
                                    NR_CVT_DESC0 + NR_DESC_PITCH, NR_CVT_STRETCH};
    const int bipolar[NR_NUM_CV] = {1, 0, 1, 1};
    for (int i = 0; i < NR_NUM_CV; i++) {
        nr_cv_assign_target(&p->cv[i], targets[i]);
        p->cv[i].bipolar = bipolar[i];
    }
    p->gate_mode[0] = NR_GATE_RETRIGGER;
    p->gate_mode[1] = NR_GATE_POLY;
    p->voices = NR_MAX_VOICES;
    p->steal = NR_STEAL_OLDEST;
    p->volume_db = -6.0f;
}

void nr_cv_assign_target(nr_cv_assign *a, int target)
{
    a->target = target;
    a->range = nr_cv_target_limits(target)->def_range;
}

static float clampf(float v, float lo, float hi, float def)
{
    if (isnan(v)) return def;
    return v < lo ? lo : v > hi ? hi : v;
}
static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Names stay terminated and printable (they are drawn on the display and written to files). */
static void clamp_name(char *s, size_t n)
{
    s[n - 1] = '\0';
    for (char *c = s; *c; c++)
        if ((unsigned char)*c < 32 || (unsigned char)*c > 126) *c = '_';
}

void nr_patch_clamp(nr_patch *p)
{
    clamp_name(p->template_a, sizeof p->template_a);
    clamp_name(p->template_b, sizeof p->template_b);
    clamp_name(p->model, sizeof p->model);
    p->interp = clampf(p->interp, 0, 1, 0);
    p->stretch = clampf(p->stretch, -2, 2, 0);
    p->variation = clampf(p->variation, 0, 1, 0);
    for (int d = 0; d < NR_NUM_DESC; d++) p->offset[d] = clampf(p->offset[d], -3, 3, 0);
    for (int i = 0; i < NR_NUM_CV; i++) {
        p->cv[i].target = clampi(p->cv[i].target, 0, NR_CVT_COUNT - 1);
        p->cv[i].range = clampf(p->cv[i].range, -10, 10, g_limits[p->cv[i].target].def_range);
        p->cv[i].bipolar = p->cv[i].bipolar != 0;
    }
    for (int g = 0; g < NR_NUM_GATES; g++) p->gate_mode[g] = clampi(p->gate_mode[g], 0, NR_GATE_MODE_COUNT - 1);
    p->voices = clampi(p->voices, 1, NR_MAX_VOICES);
    p->steal = clampi(p->steal, 0, NR_STEAL_COUNT - 1);
    p->volume_db = clampf(p->volume_db, -60, 6, -6);
    p->source = clampi(p->source, 0, NR_SOURCE_COUNT - 1);
}


void nr_cv_cal_defaults(nr_cv_cal *c)
{
    c->offset = 0.0f;
    c->scale = 1.0f;
}

void nr_cv_cal_clamp(nr_cv_cal *c)
{
    c->offset = clampf(c->offset, -2, 2, 0);
    c->scale = clampf(c->scale, 0.5f, 2, 1);
}
