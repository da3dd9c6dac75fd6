/* Templates shipped in model files: round trip, damaged files rejected with one line naming the file,
 * the choice from a data set (deterministic, training split only), and the instrument playing them. */
#include "instrument/instrument_internal.h"
#include "neurorack.h"
#include "nr/audio_file.h"
#include "nr/dataset.h"
#include "nr/model_templates.h"
#include "nr_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RATE ((float)NR_ANALYSIS_RATE / NR_ANALYSIS_HOP)
#define MODEL "models/default.safetensors"

static nr_model *load_base(void)
{
    nr_model *m = NULL;
    if (nr_model_load(MODEL, &m) != NR_OK) return NULL;
    return m;
}

/* A decaying impact of n frames: loudness falls, brightness `hz`, fixed pitch. */
static void make_curves(nr_curves *c, int n, float hz)
{
    NT_CHECK(nr_curves_alloc(c, n, RATE) == NR_OK);
    for (int i = 0; i < n; i++) {
        float *f = c->data + (size_t)i * NR_NUM_DESC;
        float env = expf(-3.0f * (float)i / (float)n);
        f[NR_DESC_LOUDNESS] = 0.2f * env;
        f[NR_DESC_PERCUSSIVITY] = 0.05f;
        f[NR_DESC_TONELIKE] = 2.0f * hz;
        f[NR_DESC_NOISINESS] = 0.01f;
        f[NR_DESC_RICHNESS] = 0.8f * hz;
        f[NR_DESC_BRIGHTNESS] = hz;
        f[NR_DESC_PITCH] = 110.0f;
    }
}

/* The base model with two templates, "short" (20 frames) and "long" (150 frames, the default). */
static const char *write_model_with_templates(void)
{
    static char path[1024];
    nr_model *m = load_base();
    if (!m) return NULL;
    nr_curves a, b;
    make_curves(&a, 20, 3000.0f);
    make_curves(&b, 150, 800.0f);
    nr_model_template_in in[2] = {{"short", "a short bright hit", &a}, {"long", "a long dark boom", &b}};
    NT_CHECKF(nr_model_set_templates(m, in, 2, "long") == NR_OK, "%s", nr_last_error());
    snprintf(path, sizeof path, "%s", nt_tmp("with_templates.safetensors"));
    NT_CHECKF(nr_model_save(m, path) == NR_OK, "%s", nr_last_error());
    nr_model_free(m);
    nr_curves_free(&a);
    nr_curves_free(&b);
    return path;
}

static void test_round_trip(void)
{
    nr_model *base = load_base();
    if (!base) {
        nt_skip(MODEL " does not load");
        return;
    }
    const char *path = write_model_with_templates();
    nr_model *m = NULL;
    NT_CHECKF(nr_model_load(path, &m) == NR_OK, "%s", nr_last_error());
    if (!m) {
        nr_model_free(base);
        return;
    }
    NT_CHECK(nr_model_template_count(m) == 2);
    NT_CHECK(!strcmp(nr_model_template_name(m, 0), "short") && !strcmp(nr_model_template_name(m, 1), "long"));
    NT_CHECK(!strcmp(nr_model_template_summary(m, 1), "a long dark boom"));
    NT_CHECK(nr_model_template_default(m) && !strcmp(nr_model_template_default(m), "long"));
    NT_CHECK(nr_model_template_name(m, 2) == NULL && nr_model_template_find(m, "nope") < 0);
    nr_curves c, want;
    NT_CHECK(nr_model_template_get(m, NULL, &c) == NR_OK); /* the default */
    make_curves(&want, 150, 800.0f);
    NT_CHECK(c.n_frames == 150 && fabsf(c.frame_rate - RATE) < 1e-4f);
    NT_CHECK(!memcmp(c.data, want.data, sizeof(float) * 150 * NR_NUM_DESC)); /* bit exact */
    nr_curves_free(&c);
    nr_curves_free(&want);
    /* the architecture's tensors are untouched and do not include the templates */
    const nr_tensor_set *a = nr_model_tensors(base), *b = nr_model_tensors(m);
    NT_CHECK(a->n_tensors == b->n_tensors);
    for (int i = 0; i < a->n_tensors && i < b->n_tensors; i++) {
        const nr_tensor *t = nr_tensor_set_find(b, a->tensors[i].name);
        NT_CHECK(t && t->numel == a->tensors[i].numel &&
                 !memcmp(t->data, a->tensors[i].data, (size_t)t->numel * sizeof(float)));
    }
    nr_model_info ia, ib;
    nr_model_get_info(base, &ia);
    nr_model_get_info(m, &ib);
    NT_CHECK(ia.n_params == ib.n_params);
    /* save again: same templates */
    const char *again = nt_tmp("again.safetensors");
    NT_CHECK(nr_model_save(m, again) == NR_OK);
    nr_model *m2 = NULL;
    NT_CHECK(nr_model_load(again, &m2) == NR_OK && m2 && nr_model_template_count(m2) == 2);
    nr_model_free(m2);
    /* removing them gives a model without templates */
    NT_CHECK(nr_model_set_templates(m, NULL, 0, NULL) == NR_OK && nr_model_template_count(m) == 0);
    NT_CHECK(nr_model_template_default(m) == NULL);
    NT_CHECK(nr_model_template_get(m, NULL, &c) != NR_OK && strstr(nr_last_error(), "default"));
    nr_model_free(m);
    nr_model_free(base);
}

static void test_bad_input_kept_out(void)
{
    nr_model *m = load_base();
    if (!m) {
        nt_skip(MODEL " does not load");
        return;
    }
    nr_curves a, nan;
    make_curves(&a, 10, 1000.0f);
    make_curves(&nan, 10, 1000.0f);
    nan.data[3] = NAN;
    nr_model_template_in ok = {"ok", NULL, &a};
    NT_CHECK(nr_model_set_templates(m, &ok, 1, "ok") == NR_OK);
    nr_model_template_in bad[] = {{"Bad Name", NULL, &a}, {"nan", NULL, &nan}, {"x", "two\nlines", &a}};
    for (int i = 0; i < 3; i++) {
        NT_CHECK(nr_model_set_templates(m, &bad[i], 1, NULL) != NR_OK);
        NT_CHECK(nr_model_template_count(m) == 1); /* the old ones kept */
    }
    NT_CHECK(nr_model_set_templates(m, &ok, 1, "missing") != NR_OK && strstr(nr_last_error(), "missing"));
    nr_model_template_in twice[2] = {{"ok", NULL, &a}, {"ok", NULL, &a}};
    NT_CHECK(nr_model_set_templates(m, twice, 2, NULL) != NR_OK && strstr(nr_last_error(), "twice"));
    nr_curves_free(&a);
    nr_curves_free(&nan);
    nr_model_free(m);
}

/* Rewrite the file with one change to its set; the loader must refuse it in one line naming the file. */
typedef void (*damage_fn)(nr_tensor_set *ts);

static nr_tensor *find_t(nr_tensor_set *ts, const char *name)
{
    return (nr_tensor *)nr_tensor_set_find(ts, name);
}
static void d_shape(nr_tensor_set *ts) { find_t(ts, "template.short")->shape[1] = 5, find_t(ts, "template.short")->shape[0] = 28; }
static void d_inf(nr_tensor_set *ts) { find_t(ts, "template.long")->data[5] = INFINITY; }
static void d_negative(nr_tensor_set *ts) { find_t(ts, "template.long")->data[7 * 3 + NR_DESC_BRIGHTNESS] = -5.0f; }
static void d_huge(nr_tensor_set *ts) { find_t(ts, "template.long")->data[NR_DESC_PITCH] = 1e9f; }
static void d_name(nr_tensor_set *ts) { nr_tensor_set_set_meta(ts, "nr.templates", "short,Long!"); }
static void d_missing(nr_tensor_set *ts) { nr_tensor_set_set_meta(ts, "nr.templates", "short,long,ghost"); }
static void d_unlisted(nr_tensor_set *ts)
{
    nr_tensor_set_set_meta(ts, "nr.templates", "short");
    nr_tensor_set_set_meta(ts, "nr.templates.default", "short");
}
static void d_default(nr_tensor_set *ts) { nr_tensor_set_set_meta(ts, "nr.templates.default", "ghost"); }
static void d_rate(nr_tensor_set *ts) { nr_tensor_set_set_meta(ts, "nr.templates.frame_rate", "100"); }
static void d_dup(nr_tensor_set *ts) { nr_tensor_set_set_meta(ts, "nr.templates", "short,long,short"); }
static void d_summary(nr_tensor_set *ts) { nr_tensor_set_set_meta(ts, "nr.template.ghost", "who"); }
static void d_many(nr_tensor_set *ts)
{
    char list[1024] = "short,long";
    for (int i = 0; i < NR_MODEL_TEMPLATES_MAX; i++) snprintf(list + strlen(list), sizeof list - strlen(list), ",t%d", i);
    nr_tensor_set_set_meta(ts, "nr.templates", list);
}
static void d_empty(nr_tensor_set *ts)
{
    nr_tensor *t = find_t(ts, "template.short");
    t->shape[0] = 0;
    t->numel = 0;
}

static void test_damaged_files(void)
{
    const char *good = write_model_with_templates();
    if (!good) {
        nt_skip(MODEL " does not load");
        return;
    }
    static const struct {
        damage_fn f;
        const char *word;
    } cases[] = {{d_shape, "shape"},       {d_inf, "finite"},      {d_negative, "brightness"}, {d_huge, "pitch"},
                 {d_name, "Long!"},        {d_missing, "ghost"},   {d_unlisted, "template.long"},
                 {d_default, "ghost"},     {d_rate, "frame_rate"}, {d_dup, "twice"},
                 {d_summary, "nr.template.ghost"}, {d_many, "more than"}, {d_empty, "frames"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nr_tensor_set ts;
        NT_CHECK(nr_safetensors_read(good, &ts) == NR_OK);
        cases[i].f(&ts);
        char name[64];
        snprintf(name, sizeof name, "damaged%zu.safetensors", i);
        const char *path = nt_tmp(name);
        NT_CHECKF(nr_safetensors_write(path, &ts) == NR_OK, "%s", nr_last_error());
        nr_tensor_set_free(&ts);
        nr_model *m = NULL;
        nr_result r = nr_model_load(path, &m);
        const char *e = nr_last_error();
        NT_CHECKF(r != NR_OK && m == NULL, "case %zu loaded", i);
        NT_CHECKF(strstr(e, path) && strstr(e, cases[i].word) && !strchr(e, '\n'), "case %zu: '%s'", i, e);
        nr_model_free(m);
    }
}

/* ---- the choice from a data set ---- */

typedef struct {
    const char *hash, *split, *cls;
    double duration;
    float hz; /* brightness of its (constant) curves */
} row;

static void write_dataset(const char *dir, const row *rows, int n)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/curves", dir);
    mkdir(dir, 0755);
    mkdir(path, 0755);
    nr_manifest m;
    memset(&m, 0, sizeof m);
    for (int i = 0; i < n; i++) {
        nr_ds_entry e;
        memset(&e, 0, sizeof e);
        snprintf(e.hash, sizeof e.hash, "%s", rows[i].hash);
        e.split = nr_split_parse(rows[i].split);
        snprintf(e.cls, sizeof e.cls, "%s", rows[i].cls);
        snprintf(e.source, sizeof e.source, "test");
        snprintf(e.package, sizeof e.package, "-");
        snprintf(e.licence, sizeof e.licence, "CC0-1.0");
        e.duration = rows[i].duration;
        e.rate = 48000;
        e.n_samples = (long)(rows[i].duration * 48000);
        snprintf(e.group, sizeof e.group, "test/%s", rows[i].hash);
        snprintf(e.audio, sizeof e.audio, "audio/%s.flac", rows[i].hash);
        snprintf(e.curves, sizeof e.curves, "curves/%s.nrc", rows[i].hash);
        snprintf(e.origin, sizeof e.origin, "made by the test");
        NT_CHECK(nr_manifest_add(&m, &e) == NR_OK);
        nr_curves c;
        make_curves(&c, (int)(rows[i].duration * RATE) + 1, rows[i].hz);
        snprintf(path, sizeof path, "%s/%s", dir, e.curves);
        NT_CHECK(nr_curves_cache_write(path, &c) == NR_OK);
        nr_curves_free(&c);
    }
    snprintf(path, sizeof path, "%s/manifest.tsv", dir);
    NT_CHECKF(nr_manifest_write(path, &m) == NR_OK, "%s", nr_last_error());
    nr_manifest_free(&m);
}

/* Train kicks at 1000, 1200, 5000 Hz: the medoid is 1200. Valid/test kicks at 5000 Hz would move it
 * to 5000 if they were counted; a snare only in the test split must not appear; of the train booms
 * only the 3..7 s ones compete, and the boom is the default. */
static const row g_rows[] = {
    {"00000000000000a1", "train", "kick", 0.5, 1000.0f},  {"00000000000000a2", "train", "kick", 0.5, 1200.0f},
    {"00000000000000a3", "train", "kick", 0.5, 5000.0f},  {"00000000000000b1", "test", "kick", 0.5, 5000.0f},
    {"00000000000000b2", "test", "kick", 0.5, 5000.0f},   {"00000000000000b3", "valid", "kick", 0.5, 5000.0f},
    {"00000000000000b4", "valid", "kick", 0.5, 5000.0f},  {"00000000000000b5", "test", "snare", 0.3, 4000.0f},
    {"00000000000000c1", "train", "boom", 1.0, 300.0f},   {"00000000000000c2", "train", "boom", 1.1, 310.0f},
    {"00000000000000c3", "train", "boom", 1.2, 320.0f},   {"00000000000000c4", "train", "boom", 4.0, 900.0f},
    {"00000000000000c5", "train", "boom", 5.0, 600.0f},   {"00000000000000c6", "train", "boom", 6.0, 400.0f},
    {"00000000000000d1", "train", "hand", 0.4, 2000.0f},  {"00000000000000d2", "test", "boom", 5.0, 600.0f},
};
#define N_ROWS ((int)(sizeof g_rows / sizeof g_rows[0]))

static void check_picks(const nr_template_picks *p)
{
    NT_CHECKF(p->n == 2, "%d picks", p->n);
    if (p->n != 2) return;
    NT_CHECK(!strcmp(p->p[0].name, "kick") && !strcmp(p->p[0].hash, "00000000000000a2"));
    NT_CHECK(p->p[0].n_candidates == 3);
    NT_CHECKF(!strcmp(p->p[1].name, "boom") && !strcmp(p->p[1].hash, "00000000000000c5"), "%s: %s", p->p[1].name,
              p->p[1].summary);
    NT_CHECK(p->p[1].n_candidates == 3); /* the booms of 3..7 s */
    NT_CHECK(p->deflt == 1);
    NT_CHECK(fabsf(p->p[0].curves.data[NR_DESC_BRIGHTNESS] - 1200.0f) < 1e-3f);
    NT_CHECK(strstr(p->p[1].summary, "boom") && strstr(p->p[1].summary, "3-7 s"));
}

static void test_pick_from_data(void)
{
    char dir[1024], rev[1024];
    snprintf(dir, sizeof dir, "%s", nt_tmp("ds"));
    snprintf(rev, sizeof rev, "%s", nt_tmp("ds_reversed"));
    write_dataset(dir, g_rows, N_ROWS);
    row reversed[N_ROWS];
    for (int i = 0; i < N_ROWS; i++) reversed[i] = g_rows[N_ROWS - 1 - i];
    write_dataset(rev, reversed, N_ROWS);
    nr_template_picks a, b, c;
    NT_CHECKF(nr_templates_pick_from_data(dir, &a) == NR_OK, "%s", nr_last_error());
    check_picks(&a);
    NT_CHECK(nr_templates_pick_from_data(dir, &b) == NR_OK); /* again: the same */
    NT_CHECK(nr_templates_pick_from_data(rev, &c) == NR_OK); /* row order does not matter */
    NT_CHECK(a.n == b.n && a.n == c.n);
    for (int i = 0; i < a.n && i < b.n && i < c.n; i++)
        NT_CHECK(!strcmp(a.p[i].hash, b.p[i].hash) && !strcmp(a.p[i].hash, c.p[i].hash) &&
                 !strcmp(a.p[i].summary, c.p[i].summary));
    nr_template_picks_free(&a);
    nr_template_picks_free(&b);
    nr_template_picks_free(&c);

    /* into a model, through a file */
    nr_model *m = load_base();
    if (!m) {
        nt_skip(MODEL " does not load");
        return;
    }
    NT_CHECKF(nr_model_templates_from_data(m, dir) == NR_OK, "%s", nr_last_error());
    const char *path = nt_tmp("picked.safetensors");
    NT_CHECK(nr_model_save(m, path) == NR_OK);
    nr_model_free(m);
    NT_CHECK(nr_model_load(path, &m) == NR_OK);
    NT_CHECK(m && nr_model_template_count(m) == 2 && !strcmp(nr_model_template_default(m), "boom"));
    nr_model_free(m);

    /* no impact class in the training split: its own classes (a plucks or textures data set) */
    static const row own[] = {{"00000000000000e1", "test", "kick", 0.5, 1000.0f},
                              {"00000000000000e2", "train", "hand", 0.5, 1000.0f}};
    char nd[1024];
    snprintf(nd, sizeof nd, "%s", nt_tmp("ds_own"));
    write_dataset(nd, own, 2);
    NT_CHECKF(nr_templates_pick_from_data(nd, &a) == NR_OK && a.n == 1 && !strcmp(a.p[0].name, "hand") && a.deflt == 0,
              "%s", nr_last_error());
    nr_template_picks_free(&a);
    /* no usable class in the training split (none that can name a template): one clear error */
    static const row none[] = {{"00000000000000e3", "test", "kick", 0.5, 1000.0f},
                               {"00000000000000e4", "train", "Hand Drum", 0.5, 1000.0f}};
    snprintf(nd, sizeof nd, "%s", nt_tmp("ds_none"));
    write_dataset(nd, none, 2);
    NT_CHECK(nr_templates_pick_from_data(nd, &a) != NR_OK && strstr(nr_last_error(), "no training sound"));
    NT_CHECK(nr_templates_pick_from_data(nt_tmp("no_such_dir"), &a) != NR_OK);
}

/* A boom's audio (48 kHz, 4 s): equal sines every 100 Hz up to top_hz, decaying. Up to 10 kHz its top
 * octave band (5.6-11.3 kHz) is as loud as the one below; up to 3 kHz that band is silent: a cliff. */
static void write_boom_audio(const char *dir, const char *hash, double top_hz)
{
    long n = 4 * 48000;
    float *x = calloc((size_t)n, sizeof *x);
    NT_CHECK(x != NULL);
    if (!x) return;
    int k_max = (int)(top_hz / 100.0);
    for (long i = 0; i < n; i++) {
        double t = (double)i / 48000.0, v = 0.0;
        for (int k = 1; k <= k_max; k++) v += sin(2.0 * M_PI * 100.0 * k * t + 0.7 * k * k);
        x[i] = (float)(0.5 * v / k_max * exp(-t));
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/audio", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/audio/%s.flac", dir, hash);
    NT_CHECKF(nr_audio_write(path, x, n, 48000, NR_SAMPLE_PCM24) == NR_OK, "%s", nr_last_error());
    free(x);
}

/* The default template (the boom) is taken among the candidates whose spectrum ends without a cliff:
 * the booms of g_rows with audio, the medoid c5 ending at 3 kHz, c4 and c6 at 10 kHz. When every
 * candidate has one, all compete as before. */
static void test_pick_without_cliff(void)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", nt_tmp("ds_cliff"));
    write_dataset(dir, g_rows, N_ROWS);
    write_boom_audio(dir, "00000000000000c4", 10000.0);
    write_boom_audio(dir, "00000000000000c5", 3000.0);
    write_boom_audio(dir, "00000000000000c6", 10000.0);
    nr_template_picks a;
    NT_CHECKF(nr_templates_pick_from_data(dir, &a) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(a.n == 2 && !strcmp(a.p[1].hash, "00000000000000c4") && a.p[1].n_candidates == 2 &&
                  strstr(a.p[1].summary, "without a spectral cliff") && a.deflt == 1,
              "%d picks; %s", a.n, a.n == 2 ? a.p[1].summary : "");
    NT_CHECK(a.n >= 1 && !strcmp(a.p[0].hash, "00000000000000a2")); /* the kicks are not looked at */
    nr_template_picks_free(&a);
    /* every candidate ends in a cliff: the medoid of all three, and the summary says nothing of cliffs */
    write_boom_audio(dir, "00000000000000c4", 3000.0);
    write_boom_audio(dir, "00000000000000c6", 3000.0);
    NT_CHECKF(nr_templates_pick_from_data(dir, &a) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(a.n == 2 && !strcmp(a.p[1].hash, "00000000000000c5") && a.p[1].n_candidates == 3 &&
                  !strstr(a.p[1].summary, "cliff"),
              "%d picks; %s", a.n, a.n == 2 ? a.p[1].summary : "");
    nr_template_picks_free(&a);
}

/* ---- the instrument ---- */

static nr_instrument *make_inst(const char *model, const char *tag, const char *template_a)
{
    nr_settings s;
    nr_settings_defaults(&s);
    if (template_a) snprintf(s.patch.template_a, sizeof s.patch.template_a, "%s", template_a);
    s.patch.variation = 0.0f;
    char name[64];
    snprintf(name, sizeof name, "%s/settings.nrs", tag);
    const char *path = nt_tmp(name);
    NT_CHECK(nr_settings_save(path, &s) == NR_OK);
    nr_instrument_config c = nr_instrument_config_init();
    c.model_path = model;
    c.settings_path = path;
    c.device_rate = 48000;
    c.max_block = 256;
    c.cpu_guard = 0;
    nr_instrument *inst = NULL;
    NT_CHECKF(nr_instrument_create(&c, &inst) == NR_OK, "%s", nr_last_error());
    return inst;
}

/* Energy after `from_s` of a gate-1 hit rendered for `len_s` seconds. */
static double tail_energy(nr_instrument *inst, double from_s, double len_s)
{
    nr_control_event on = {NR_EV_GATE, 0, 1.0f, 0}, off = {NR_EV_GATE, 0, 0.0f, 480};
    nr_instrument_post(inst, NR_SRC_SCRIPT, &on);
    nr_instrument_post(inst, NR_SRC_SCRIPT, &off);
    long n = (long)(len_s * 48000), from = (long)(from_s * 48000);
    float buf[256];
    double e = 0;
    for (long done = 0; done < n; done += 256) {
        nr_instrument_process(inst, buf, 256);
        for (int i = 0; i < 256; i++)
            if (done + i >= from) e += (double)buf[i] * buf[i];
    }
    return e;
}

static void test_instrument_uses_model_templates(void)
{
    const char *path = write_model_with_templates();
    if (!path) {
        nt_skip(MODEL " does not load");
        return;
    }
    nr_instrument *inst = make_inst(path, "it_default", NULL);
    if (!inst) return;
    const char *const *names;
    int n = nr_instrument_templates(inst, &names);
    NT_CHECK(n >= 3 && !strcmp(names[0], "short") && !strcmp(names[1], "long") && !strcmp(names[2], "impact"));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) NT_CHECKF(strcmp(names[i], names[j]) != 0, "'%s' twice", names[i]);
    /* the shipped patch plays the model's default ("long", 3.5 s): sound after 1.5 s */
    double e_long = tail_energy(inst, 1.5, 2.5);
    nr_instrument_free(inst);
    inst = make_inst(path, "it_short", "short"); /* chosen by name: 0.46 s */
    if (!inst) return;
    double e_short_early = tail_energy(inst, 0.0, 0.5);
    nr_instrument_free(inst);
    inst = make_inst(path, "it_short2", "short");
    double e_short = inst ? tail_energy(inst, 1.5, 2.5) : 0;
    nr_instrument_free(inst);
    NT_CHECKF(e_short_early > 1e-3 && e_long > 1e-3, "energies %g %g", e_short_early, e_long);
    NT_CHECKF(e_short < 1e-3 * e_long, "short template tail %g vs long %g", e_short, e_long);

    /* a model without templates (the shipped one may carry some: removed): the built-ins, impact first */
    nr_model *m = load_base();
    const char *plain = nt_tmp("plain.safetensors");
    NT_CHECK(m && nr_model_set_templates(m, NULL, 0, NULL) == NR_OK && nr_model_save(m, plain) == NR_OK);
    nr_model_free(m);
    inst = make_inst(plain, "it_plain", NULL);
    if (!inst) return;
    n = nr_instrument_templates(inst, &names);
    NT_CHECK(n >= 1 && !strcmp(names[0], "impact"));
    NT_CHECK(tail_energy(inst, 0.0, 0.5) > 1e-3);
    nr_instrument_free(inst);
}

int main(void)
{
    NT_RUN(test_round_trip);
    NT_RUN(test_bad_input_kept_out);
    NT_RUN(test_damaged_files);
    NT_RUN(test_pick_from_data);
    NT_RUN(test_pick_without_cliff);
    NT_RUN(test_instrument_uses_model_templates);
    return nt_end();
}
