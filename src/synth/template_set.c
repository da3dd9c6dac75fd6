/* The templates of a synth's model: those the model file ships first, then the analysis module's
 * built-in impacts (nr/templates.h), resampled to the model's frame rate and normalised. */
#include "synth/template_set.h"
#include "nr/model_templates.h"
#include "nr/templates.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nr_template_set_init(nr_template_set *s, const nr_model_info *info)
{
    memset(s, 0, sizeof *s);
    for (int d = 0; d < NR_NUM_DESC; d++) {
        s->mean[d] = isfinite(info->desc_mean[d]) ? info->desc_mean[d] : 0.0f;
        float sd = info->desc_std[d];
        s->std[d] = isfinite(sd) && sd > 1e-9f ? sd : 1.0f;
    }
    s->frame_rate = info->hop > 0 ? (float)info->sample_rate / (float)info->hop : 43.066406f;
    s->settle_onset = info->settle_onset_pitch;
}

nr_result nr_template_set_add(nr_template_set *s, const char *name, const nr_curves *c)
{
    if (s->count >= NR_MAX_TEMPLATES)
        return nr_fail(NR_ERR_ARG, "%s: more than %d templates", name, NR_MAX_TEMPLATES);
    if (c->n_frames < 1) return nr_fail(NR_ERR_SHAPE, "%s: template without frames", name);
    nr_curves rc;
    nr_result r = nr_curves_resample_for_model(c, s->frame_rate, s->settle_onset, &rc);
    if (r != NR_OK) return nr_fail_prefix(r, name);
    if (rc.n_frames < 1) {
        nr_curves_free(&rc);
        return nr_fail(NR_ERR_SHAPE, "%s: template too short for the model's frame rate", name);
    }
    nr_template *t = &s->t[s->count];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->n = rc.n_frames;
    t->z = rc.data; /* taken over */
    float best = -1.0f;
    for (int i = 0; i < t->n; i++) {
        float *f = t->z + (size_t)i * NR_NUM_DESC;
        if (f[NR_DESC_LOUDNESS] > best) {
            best = f[NR_DESC_LOUDNESS];
            t->peak = (float)i;
        }
        for (int d = 0; d < NR_NUM_DESC; d++) {
            float v = isfinite(f[d]) ? f[d] : s->mean[d];
            f[d] = (v - s->mean[d]) / s->std[d];
        }
    }
    s->count++;
    return NR_OK;
}

void nr_template_set_free(nr_template_set *s)
{
    for (int i = 0; i < s->count; i++) free(s->t[i].z);
    s->count = 0;
}

int nr_template_set_find(const nr_template_set *s, const char *name)
{
    for (int i = 0; i < s->count; i++)
        if (!strcmp(s->t[i].name, name)) return i;
    return -1;
}

nr_result nr_template_set_add_model(nr_template_set *s, const nr_model *m)
{
    int n = nr_model_template_count(m);
    for (int i = 0; i < n; i++) {
        nr_curves c;
        nr_result r = nr_model_template_get(m, nr_model_template_name(m, i), &c);
        if (r == NR_OK) r = nr_template_set_add(s, nr_model_template_name(m, i), &c);
        nr_curves_free(&c);
        if (r != NR_OK) return r;
        s->n_model = s->count;
    }
    return NR_OK;
}

nr_result nr_template_set_add_builtins(nr_template_set *s)
{
    int n = nr_template_count();
    for (int i = 0; i < n; i++) {
        if (nr_template_set_find(s, nr_template_name(i)) >= 0) continue; /* the model's own comes first */
        nr_curves c;
        nr_result r = nr_template_get(nr_template_name(i), &c);
        if (r != NR_OK) return r;
        r = nr_template_set_add(s, nr_template_name(i), &c);
        nr_curves_free(&c);
        if (r != NR_OK) return r;
    }
    return NR_OK;
}

void nr_template_set_defaults(nr_template_set *s, const nr_model *m)
{
    const char *def = m ? nr_model_template_default(m) : NULL;
    int a = def ? nr_template_set_find(s, def) : -1;
    if (a < 0) a = nr_template_set_find(s, NR_TEMPLATE_DEFAULT);
    if (a < 0) a = 0;
    int b = -1;
    for (int i = 0; i < s->n_model && b < 0; i++)
        if (i != a) b = i;
    if (b < 0) b = nr_template_set_find(s, "boom");
    if (b < 0) b = s->count > 1 ? 1 : 0;
    s->def_a = s->count ? a : -1;
    s->def_b = s->count ? b : -1;
}

int nr_template_set_resolve(const nr_template_set *s, const char *name, int is_b)
{
    int i = name && name[0] ? nr_template_set_find(s, name) : -1;
    return i >= 0 ? i : is_b ? s->def_b : s->def_a;
}
