/* The templates every model gets with no setup. The analysis module's shipped curves (nr/templates.h)
 * when they are built in; until then a small set drawn from the shape of impacts: a fast attack, an
 * exponential decay of loudness and brightness, a falling pitch. */
#include "instrument/curvegen.h"

#include <math.h>
#include <stdio.h>

#if defined(__has_include)
#if __has_include("nr/templates.h")
#include "nr/templates.h"
#define HAVE_TEMPLATES_H 1
#endif
#endif

#ifndef HAVE_TEMPLATES_H
typedef struct {
    const char *name;
    float seconds;
    float attack_s, decay_s;     /* loudness envelope */
    float peak_rms;
    float zcr0, zcr1;            /* start -> end */
    float centroid0, centroid1;  /* Hz */
    float flat0, flat1;
    float pitch0, pitch1;        /* Hz, exponential glide */
    float glide_s;
} shape;

static const shape g_shapes[] = {
    {"impact", 2.0f, 0.005f, 0.35f, 0.25f, 0.06f, 0.02f, 2600.0f, 700.0f, 0.20f, 0.02f, 180.0f, 90.0f, 0.15f},
    {"kick", 1.2f, 0.003f, 0.22f, 0.30f, 0.04f, 0.01f, 1500.0f, 250.0f, 0.10f, 0.005f, 160.0f, 48.0f, 0.06f},
    {"boom", 4.0f, 0.030f, 1.10f, 0.22f, 0.03f, 0.01f, 1200.0f, 300.0f, 0.30f, 0.05f, 70.0f, 38.0f, 0.80f},
};

static nr_result make_shape(const shape *sh, nr_curves *c)
{
    const float fr = (float)NR_ANALYSIS_RATE / NR_ANALYSIS_HOP;
    int n = (int)(sh->seconds * fr);
    nr_result r = nr_curves_alloc(c, n, fr);
    if (r != NR_OK) return r;
    for (int i = 0; i < n; i++) {
        float t = (float)i / fr;
        float env = t < sh->attack_s ? t / sh->attack_s : expf(-(t - sh->attack_s) / sh->decay_s);
        float k = expf(-t / (0.5f * sh->decay_s)); /* timbre decays faster than loudness */
        float *f = c->data + (size_t)i * NR_NUM_DESC;
        float cen = sh->centroid1 + (sh->centroid0 - sh->centroid1) * k;
        f[NR_DESC_LOUDNESS] = sh->peak_rms * env;
        f[NR_DESC_PERCUSSIVITY] = sh->zcr1 + (sh->zcr0 - sh->zcr1) * k;
        f[NR_DESC_TONELIKE] = 2.0f * cen;
        f[NR_DESC_NOISINESS] = sh->flat1 + (sh->flat0 - sh->flat1) * k;
        f[NR_DESC_RICHNESS] = 1.2f * cen;
        f[NR_DESC_BRIGHTNESS] = cen;
        f[NR_DESC_PITCH] = sh->pitch1 * powf(sh->pitch0 / sh->pitch1, expf(-t / sh->glide_s));
    }
    return NR_OK;
}
#endif

nr_result nr_template_set_add_builtins(nr_template_set *s)
{
#ifdef HAVE_TEMPLATES_H
    int n = nr_template_count();
    for (int i = 0; i < n; i++) {
        nr_curves c;
        nr_result r = nr_template_get(nr_template_name(i), &c);
        if (r != NR_OK) return r;
        r = nr_template_set_add(s, nr_template_name(i), &c);
        nr_curves_free(&c);
        if (r != NR_OK) return r;
    }
#else
    for (size_t i = 0; i < sizeof g_shapes / sizeof g_shapes[0]; i++) {
        nr_curves c;
        nr_result r = make_shape(&g_shapes[i], &c);
        if (r == NR_OK) r = nr_template_set_add(s, g_shapes[i].name, &c);
        nr_curves_free(&c);
        if (r != NR_OK) return r;
    }
#endif
    return NR_OK;
}
