/* One representative sound per class from a data set's training split, as model templates
 * (nr/model_templates.h): the medoid of the class in a normalised space of curve statistics. */
#include "nr/dataset.h"
#include "nr/eval.h"
#include "nr/model_templates.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const g_classes[] = {"kick", "snare", "tom",   "boom", "metal",   "wood",  "stone", "clap",
                                        "hat",  "cymbal", "explosion", "crash", "hit", "whoosh", "magic"};
#define N_CLASSES ((int)(sizeof g_classes / sizeof g_classes[0]))
/* Classes of the built-in guess that get no template (too vague, or too few sounds); any other class
 * name (an own folder's, `dataset --from`) gets one after the classes above, in name order. */
static const char *const g_no_template[] = {"perc", "fx", "hand", "shaker"};
#define N_NO_TEMPLATE ((int)(sizeof g_no_template / sizeof g_no_template[0]))
#define N_CLASSES_MAX (N_CLASSES + NR_MODEL_TEMPLATES_MAX)

/* The default template: a long boom, the impact the instrument is for. */
#define DEFAULT_CLASS "boom"
#define BOOM_MIN_S 3.0
#define BOOM_MAX_S 7.0

/* The default template is the first sound a player hears, so it is taken among the candidates whose
 * spectrum has no cliff at its top, when there are any: a cliff is the top octave band of the eval's
 * band levels (5.6-11.3 kHz at 22050 Hz) more than CLIFF_DB under the band below it. Recorded sounds
 * roll off by a few to 20 dB per octave there; the augmentation's booms made of a drum lowered by two
 * octaves end where the resampling put the drum's top (a cajon lowered by 24 semitones: 63 dB from
 * one octave to the next), and the model plays that edge. */
#define CLIFF_DB 30.0

/* Per sound: mean and standard deviation over time of each descriptor (loudness in log rms, the Hz
 * columns in log Hz, the shares as they are), and the log duration. */
#define N_FEAT (2 * NR_NUM_DESC + 1)

typedef struct {
    int entry;   /* manifest index */
    int cls;     /* index in the class list (g_classes, then the extra names) */
    char hash[17];
    int sharp;   /* loud from its first frame: loudness there at least ATTACK_SHARE of its peak */
    double f[N_FEAT];
} cand;

/* A template plays at the gate: one whose sound swells in over several frames would answer a trigger
 * late (the model renders its quiet first frames quietly), so a class's medoid is taken among the
 * sounds whose first analysis frame is already near their peak, when the class has any. */
#define ATTACK_SHARE 0.8f

static double warp(int d, float v)
{
    switch (d) {
    case NR_DESC_LOUDNESS: return log(v + 1e-5);
    case NR_DESC_TONELIKE:
    case NR_DESC_RICHNESS:
    case NR_DESC_BRIGHTNESS:
    case NR_DESC_PITCH: return log1p(v);
    default: return v;
    }
}

/* The curves as a template takes them: finite, in range, at most the frame limit. */
static int usable(const nr_curves *c)
{
    static const float hi[NR_NUM_DESC] = {2.0f, 1.0f, 11025.0f, 1.0f, 11025.0f, 11025.0f, 11025.0f};
    if (c->n_frames < 1) return 0;
    for (long i = 0; i < (long)c->n_frames * NR_NUM_DESC; i++) {
        float v = c->data[i];
        if (!isfinite(v) || v < 0.0f || v > hi[i % NR_NUM_DESC]) return 0;
    }
    return 1;
}

static void features(const nr_curves *c, double duration, double *f)
{
    int n = c->n_frames;
    for (int d = 0; d < NR_NUM_DESC; d++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < n; i++) s += warp(d, c->data[(size_t)i * NR_NUM_DESC + d]);
        double mean = s / n;
        for (int i = 0; i < n; i++) {
            double x = warp(d, c->data[(size_t)i * NR_NUM_DESC + d]) - mean;
            s2 += x * x;
        }
        f[2 * d] = mean;
        f[2 * d + 1] = sqrt(s2 / n);
    }
    f[2 * NR_NUM_DESC] = log(duration > 1e-3 ? duration : 1e-3);
}

typedef struct {
    const char *name[N_CLASSES_MAX]; /* g_classes, then the extra names (pointers into the manifest) */
    int n;
    int impacts; /* the training split has sounds of the impact classes (else: a family's own classes) */
} class_list;

/* Outside the impacts a class may be mostly sounds that swell in (textures: pads, ambiences): the
 * sharp ones are preferred only when they are at least this share of the class, so a texture class is
 * not represented by its one percussive oddity. */
#define SHARP_MIN_SHARE 0.05

static int class_of(const class_list *cl, const char *cls)
{
    for (int k = 0; k < cl->n; k++)
        if (!strcmp(cls, cl->name[k])) return k;
    return -1;
}

static int by_name(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* A class name that can name a template (nr/model_templates.h): 1..23 of [a-z0-9_-], first a letter or digit. */
static int template_name_ok(const char *c)
{
    if (!isalnum((unsigned char)c[0]) || strlen(c) >= NR_TEMPLATE_NAME_MAX) return 0;
    for (const char *p = c; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' || *p == '-')) return 0;
    return 1;
}

#define EXTRA_SEEN_MAX 512 /* distinct extra class names looked at (more are ignored) */

/* The classes templates are picked for: the built-in ones, then the other names of the training split
 * that can name a template (an own folder's, or a family's: "guitar", "pad"), the first in byte order up
 * to what a model holds besides them, whatever the rows' order. In a data set of impacts (the training
 * split has sounds of the built-in classes) the classes that never get a template (perc, fx, hand,
 * shaker) stay without; a data set with none of them (a family's) has every class it names. */
static void class_list_make(const nr_manifest *m, class_list *cl)
{
    cl->n = 0;
    for (int k = 0; k < N_CLASSES; k++) cl->name[cl->n++] = g_classes[k];
    int it = -1, i;
    cl->impacts = 0;
    while ((i = nr_manifest_next(m, NR_SPLIT_TRAIN, &it)) >= 0 && !cl->impacts)
        cl->impacts = class_of(cl, m->e[i].cls) >= 0;
    const char *seen[EXTRA_SEEN_MAX];
    int n_seen = 0;
    it = -1;
    while ((i = nr_manifest_next(m, NR_SPLIT_TRAIN, &it)) >= 0 && n_seen < EXTRA_SEEN_MAX) {
        const char *c = m->e[i].cls;
        int skip = class_of(cl, c) >= 0 || !template_name_ok(c);
        for (int k = 0; k < n_seen && !skip; k++) skip = !strcmp(c, seen[k]);
        for (int k = 0; k < N_NO_TEMPLATE && !skip && cl->impacts; k++) skip = !strcmp(c, g_no_template[k]);
        if (!skip) seen[n_seen++] = c;
    }
    qsort(seen, (size_t)n_seen, sizeof seen[0], by_name);
    for (int k = 0; k < n_seen && cl->n < N_CLASSES_MAX; k++) cl->name[cl->n++] = seen[k];
}

static int by_hash(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    int o = strcmp(x->hash, y->hash);
    return o ? o : (x->entry > y->entry) - (x->entry < y->entry);
}

static void ascii(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 32 || (unsigned char)*s > 126) *s = '?';
}

/* The member of c[0..n) (sorted by hash) with the smallest summed distance to the others. */
static int medoid(const cand *c, const int *idx, int n)
{
    int best = -1;
    double best_sum = INFINITY;
    for (int i = 0; i < n; i++) {
        double sum = 0;
        for (int j = 0; j < n; j++) {
            double d2 = 0;
            for (int k = 0; k < N_FEAT; k++) {
                double t = c[idx[i]].f[k] - c[idx[j]].f[k];
                d2 += t * t;
            }
            sum += sqrt(d2);
        }
        if (sum < best_sum) { /* strict: a tie keeps the smaller hash */
            best_sum = sum;
            best = idx[i];
        }
    }
    return best;
}

/* 1 when entry i's audio ends in a cliff (CLIFF_DB); 0 when not, or unreadable (it keeps its place) */
static int has_cliff(const nr_manifest *m, int i)
{
    nr_audio au = {0};
    double db[NR_EVAL_N_BANDS];
    int cliff = 0;
    if (nr_ds_load_audio(m, i, NR_ANALYSIS_RATE, &au) == NR_OK &&
        nr_eval_band_levels(au.samples, au.n, NR_ANALYSIS_RATE, db) == NR_OK)
        cliff = db[NR_EVAL_N_BANDS - 1] < db[NR_EVAL_N_BANDS - 2] - CLIFF_DB;
    nr_audio_free(&au);
    nr_clear_error();
    return cliff;
}

void nr_template_picks_free(nr_template_picks *p)
{
    for (int i = 0; i < p->n; i++) nr_curves_free(&p->p[i].curves);
    memset(p, 0, sizeof *p);
    p->deflt = -1;
}

nr_result nr_templates_pick_from_data(const char *manifest, nr_template_picks *out)
{
    memset(out, 0, sizeof *out);
    out->deflt = -1;
    nr_manifest m;
    nr_result r = nr_manifest_read(manifest, &m);
    if (r != NR_OK) return r;
    cand *c = calloc((size_t)(m.n > 0 ? m.n : 1), sizeof *c);
    int *idx = calloc((size_t)(m.n > 0 ? m.n : 1), sizeof *idx);
    if (!c || !idx) {
        free(c), free(idx), nr_manifest_free(&m);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", manifest);
    }
    class_list cl;
    class_list_make(&m, &cl);
    int n = 0, it = -1, i;
    while ((i = nr_manifest_next(&m, NR_SPLIT_TRAIN, &it)) >= 0) { /* the training split only */
        int k = class_of(&cl, m.e[i].cls);
        if (k < 0) continue;
        nr_curves cv;
        if (nr_ds_load_curves(&m, i, &cv) != NR_OK) continue; /* unreadable cache: not a candidate */
        if (usable(&cv)) {
            c[n].entry = i;
            c[n].cls = k;
            snprintf(c[n].hash, sizeof c[n].hash, "%s", m.e[i].hash);
            features(&cv, m.e[i].duration, c[n].f);
            float peak = 0.0f;
            for (int t = 0; t < cv.n_frames; t++) peak = fmaxf(peak, cv.data[(size_t)t * NR_NUM_DESC]);
            c[n].sharp = cv.data[0] >= ATTACK_SHARE * peak;
            n++;
        }
        nr_curves_free(&cv);
    }
    nr_clear_error();
    if (n == 0) {
        free(c), free(idx), nr_manifest_free(&m);
        return nr_fail(NR_ERR_VALUE, "%s: no training sound with readable curves of a template class (kick, snare, "
                                     "tom, boom, ..., magic, an own folder's or a family's)",
                       manifest);
    }
    qsort(c, (size_t)n, sizeof *c, by_hash); /* the manifest's row order must not matter */
    /* z-score every feature over all candidates */
    for (int k = 0; k < N_FEAT; k++) {
        double s = 0, s2 = 0;
        for (int j = 0; j < n; j++) s += c[j].f[k];
        double mean = s / n;
        for (int j = 0; j < n; j++) s2 += (c[j].f[k] - mean) * (c[j].f[k] - mean);
        double sd = sqrt(s2 / n);
        /* a feature that only differs by rounding (a constant curve's spread) must not count */
        int flat = !(sd > 1e-6 * (1.0 + fabs(mean)));
        for (int j = 0; j < n; j++) c[j].f[k] = flat ? 0.0 : (c[j].f[k] - mean) / sd;
    }
    for (int k = 0; k < cl.n && r == NR_OK && out->n < NR_MODEL_TEMPLATES_MAX; k++) {
        int cnt = 0, is_boom = !strcmp(cl.name[k], DEFAULT_CLASS);
        int n_cls = 0, n_sharp = 0;
        for (int j = 0; j < n; j++)
            if (c[j].cls == k) n_cls++, n_sharp += c[j].sharp;
        int first = !cl.impacts && n_sharp < SHARP_MIN_SHARE * n_cls; /* 1: no sharp-only pass */
        for (int pass = first; pass < 2 && cnt == 0; pass++) /* sharp attacks first, then any */
            for (int j = 0; j < n; j++) {
                double dur = m.e[c[j].entry].duration;
                if (c[j].cls == k && (pass || c[j].sharp) && (!is_boom || (dur >= BOOM_MIN_S && dur <= BOOM_MAX_S)))
                    idx[cnt++] = j;
            }
        int long_booms = is_boom && cnt > 0;
        if (is_boom && cnt == 0) /* no boom of 3..7 s: any boom */
            for (int j = 0; j < n; j++)
                if (c[j].cls == k) idx[cnt++] = j;
        if (cnt == 0) continue;
        int n_cliff = 0;
        if (is_boom) { /* the default's candidates without a cliff, if any */
            int kept = 0;
            for (int j = 0; j < cnt; j++)
                if (!has_cliff(&m, c[idx[j]].entry)) idx[kept++] = idx[j];
            n_cliff = cnt - kept;
            if (kept > 0) cnt = kept;
            else n_cliff = 0;
        }
        int best = medoid(c, idx, cnt);
        const nr_ds_entry *e = &m.e[c[best].entry];
        nr_template_pick *p = &out->p[out->n];
        r = nr_ds_load_curves(&m, c[best].entry, &p->curves);
        if (r != NR_OK) break;
        if (p->curves.n_frames > NR_TEMPLATE_FRAMES_MAX) p->curves.n_frames = NR_TEMPLATE_FRAMES_MAX;
        snprintf(p->name, sizeof p->name, "%s", cl.name[k]);
        snprintf(p->hash, sizeof p->hash, "%s", e->hash);
        p->n_candidates = cnt;
        snprintf(p->summary, sizeof p->summary, "%s %.2f s: %.40s (%s), medoid of %d train %ss%s%s", cl.name[k],
                 e->duration, e->group, e->hash, cnt, cl.name[k], long_booms ? " of 3-7 s" : "",
                 n_cliff ? " without a spectral cliff" : "");
        ascii(p->summary);
        if (is_boom) out->deflt = out->n;
        out->n++;
    }
    if (r == NR_OK && out->deflt < 0) { /* no boom: the longest template */
        out->deflt = 0;
        for (int j = 1; j < out->n; j++)
            if (out->p[j].curves.n_frames > out->p[out->deflt].curves.n_frames) out->deflt = j;
    }
    free(c), free(idx), nr_manifest_free(&m);
    if (r != NR_OK) nr_template_picks_free(out);
    return r;
}

nr_result nr_model_templates_from_data(nr_model *m, const char *manifest)
{
    nr_template_picks p;
    nr_result r = nr_templates_pick_from_data(manifest, &p);
    if (r != NR_OK) return r;
    nr_model_template_in in[NR_MODEL_TEMPLATES_MAX];
    for (int i = 0; i < p.n; i++) {
        in[i].name = p.p[i].name;
        in[i].summary = p.p[i].summary;
        in[i].curves = &p.p[i].curves;
    }
    r = nr_model_set_templates(m, in, p.n, p.n ? p.p[p.deflt].name : NULL);
    if (r != NR_OK) nr_fail_prefix(r, manifest);
    nr_template_picks_free(&p);
    return r;
}
