/* The plucks and textures families of the data-set builder: the family tables, a SoundFont note
 * rendered through libfluidsynth (sounding, as long as asked, at the pitch of its key by the analysis'
 * yin), and what a family changes in a build (which sounds are taken, their class, length, no
 * augmentation), against the impacts' behaviour on the same files. */
#include "dataset/ds_sources.h"
#include "nr/analysis.h"
#include "nr/model_templates.h"
#include "nr_test.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RATE 48000
#define FLUID_GM "/usr/share/sounds/sf2/FluidR3_GM.sf2" /* fluid-soundfont-gm */
#define CENTS_TOL 20.0                                   /* a rendered note against its key */

static double cents(double f, double ref) { return 1200.0 * log2(f / ref); }
static double key_hz(int key) { return 440.0 * pow(2.0, (key - 69) / 12.0); }

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n >= NR_TEMPLATE_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-')) return 0;
    return 1;
}

static void test_family_tables(void)
{
    ds_family f = DS_FAMILY_COUNT;
    NT_CHECK(ds_family_parse("plucks", &f) && f == DS_FAMILY_PLUCKS);
    NT_CHECK(ds_family_parse("textures", &f) && f == DS_FAMILY_TEXTURES);
    NT_CHECK(ds_family_parse("impacts", &f) && f == DS_FAMILY_IMPACTS);
    NT_CHECK(!ds_family_parse("drums", &f) && !ds_family_parse("", &f) && !ds_family_parse(NULL, &f));
    NT_CHECK(!strcmp(ds_family_name(DS_FAMILY_TEXTURES), "textures"));

    /* impacts: exactly the built-in table, packages and processing of before */
    int n_imp = 0, n = 0;
    const ds_source *imp = ds_sources(&n_imp);
    NT_CHECK(ds_family_sources(DS_FAMILY_IMPACTS, &n) == imp && n == n_imp);
    NT_CHECK(!strcmp(ds_family_packages(DS_FAMILY_IMPACTS), ds_source_packages()));
    ds_params d = ds_params_default(), pi = ds_family_params(DS_FAMILY_IMPACTS);
    NT_CHECK(!memcmp(&d, &pi, sizeof d));
    for (int i = 0; i < n_imp; i++) NT_CHECK(imp[i].kind != DS_KIND_FLUID && !imp[i].plan);

    for (int fam = DS_FAMILY_PLUCKS; fam <= DS_FAMILY_TEXTURES; fam++) {
        const ds_source *s = ds_family_sources((ds_family)fam, &n);
        NT_CHECK(s != imp && n >= 3);
        int notes = 0, recorded = 0;
        for (int i = 0; i < n; i++) {
            NT_CHECKF(strstr(ds_family_packages((ds_family)fam), s[i].package) != NULL, "%s: package %s not listed",
                      s[i].name, s[i].package);
            if (s[i].kind != DS_KIND_FLUID) {
                NT_CHECKF(s[i].cls && name_ok(s[i].cls), "%s: a recorded source needs a class", s[i].name);
                recorded++;
                continue;
            }
            const ds_fluid_plan *pl = s[i].plan;
            NT_CHECK(pl && pl->n_progs > 0 && pl->step > 0 && pl->n_vel > 0);
            NT_CHECK(pl->hold_s > 0 && pl->hold_s + pl->hold_spread_s <= pl->max_s && pl->silence_db < 0);
            for (int p = 0; pl && p < pl->n_progs; p++) {
                const ds_fluid_prog *pr = &pl->progs[p];
                NT_CHECKF(pr->program >= 0 && pr->program < 128 && pr->lo >= 0 && pr->lo <= pr->hi && pr->hi < 128,
                          "program %d range %d..%d", pr->program, pr->lo, pr->hi);
                NT_CHECKF(pr->cls && name_ok(pr->cls), "program %d: class", pr->program);
                notes += ((pr->hi - pr->lo) / pl->step + 1) * pl->n_vel;
            }
        }
        /* plucks: several octaves per program; textures: held 4..7 s */
        if (fam == DS_FAMILY_PLUCKS) {
            NT_CHECKF(notes >= 1000, "plucks: %d notes per SoundFont pass", notes);
            NT_CHECK(recorded == 0);
        } else {
            NT_CHECK(recorded >= 1);
            NT_CHECK(s[0].plan->hold_s >= 4.0 && s[0].plan->hold_s + s[0].plan->hold_spread_s <= 7.0);
        }
    }
    ds_params tp = ds_family_params(DS_FAMILY_TEXTURES), pp = ds_family_params(DS_FAMILY_PLUCKS);
    NT_CHECK(tp.max_s >= 10.0 && tp.max_s > d.max_s && tp.fade_ms > d.fade_ms);
    NT_CHECK(pp.max_s >= 5.0 && pp.lead_db == d.lead_db && pp.tail_db == d.tail_db);
}

/* The median yin pitch of the loud frames (within 20 dB of the loudest). */
static double pitch_of(const nr_audio *a)
{
    nr_curves cv;
    if (ds_curves_compute(a, &cv) != NR_OK) return 0.0;
    double f0 = nr_curves_median_pitch(&cv, 20.0, 30.0, 4000.0);
    nr_curves_free(&cv);
    return f0;
}

static void test_fluid_note(void)
{
    if (access(FLUID_GM, R_OK) != 0) {
        nt_skip(FLUID_GM " not installed (Debian fluid-soundfont-gm)");
        return;
    }
    ds_fluid *fl = NULL;
    nr_result r = ds_fluid_open(FLUID_GM, RATE, &fl);
    if (r == NR_ERR_UNSUPPORTED) {
        nt_skip("built without libfluidsynth (Debian libfluidsynth-dev)");
        return;
    }
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r != NR_OK) return;
    NT_CHECK(ds_fluid_has_preset(fl, 0, 24) && ds_fluid_has_preset(fl, 0, 48) && !ds_fluid_has_preset(fl, 5, 0));

    /* a nylon guitar (program 24) at A3 and E5, a marimba (12) at C5 */
    static const struct {
        int program, key;
    } notes[] = {{24, 57}, {24, 76}, {12, 72}, {46, 45}};
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++) {
        ds_fluid_note nt = {0, notes[i].program, notes[i].key, 100, 1.0, 4.0, -60.0};
        nr_audio a;
        r = ds_fluid_render(fl, &nt, &a);
        NT_CHECKF(r == NR_OK, "%s", nr_last_error());
        if (r != NR_OK) continue;
        float peak = 0.0f;
        for (long k = 0; k < a.n; k++) peak = fmaxf(peak, fabsf(a.samples[k]));
        NT_CHECKF(peak > 1e-3f && peak < 1.0f, "program %d key %d: peak %g", nt.program, nt.key, peak);
        /* rendered past the note-off, ended by silence before the limit (the guitar decays) */
        NT_CHECKF(a.rate == RATE && a.n > (long)(1.0 * RATE) && a.n <= (long)(4.0 * RATE), "%ld samples", a.n);
        double f0 = pitch_of(&a), want = key_hz(nt.key);
        NT_CHECKF(f0 > 0 && fabs(cents(f0, want)) < CENTS_TOL, "program %d key %d: yin %.2f Hz, key %.2f Hz (%+.1f c)",
                  nt.program, nt.key, f0, want, f0 > 0 ? cents(f0, want) : 0.0);
        ds_audio_release(&a);
    }

    /* a held string ensemble note sounds all along its hold and stops at max_s at the latest */
    ds_fluid_note held = {0, 48, 60, 90, 3.0, 5.0, -60.0};
    nr_audio a;
    r = ds_fluid_render(fl, &held, &a);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r == NR_OK) {
        NT_CHECK(a.n >= (long)(3.0 * RATE) && a.n <= (long)(5.0 * RATE));
        long w = RATE / 10;
        double first = 0, late = 0; /* RMS of 0.5..0.6 s against 2.8..2.9 s: still sounding */
        for (long k = 0; k < w; k++) {
            first += (double)a.samples[RATE / 2 + k] * a.samples[RATE / 2 + k];
            late += (double)a.samples[(long)(2.8 * RATE) + k] * a.samples[(long)(2.8 * RATE) + k];
        }
        NT_CHECKF(late > 0.05 * first, "held note died: %g against %g", late, first);
        double f0 = pitch_of(&a);
        NT_CHECKF(fabs(cents(f0, key_hz(60))) < CENTS_TOL, "strings C4: yin %.2f Hz", f0);
        ds_audio_release(&a);
    }

    /* bad notes and presets fail with a message, never a render */
    ds_fluid_note bad = {0, 24, 200, 100, 1.0, 2.0, -60.0};
    NT_CHECK(ds_fluid_render(fl, &bad, &a) == NR_ERR_ARG && a.samples == NULL);
    bad = (ds_fluid_note){0, 24, 60, 100, 3.0, 2.0, -60.0}; /* hold past max */
    NT_CHECK(ds_fluid_render(fl, &bad, &a) == NR_ERR_ARG);
    bad = (ds_fluid_note){7, 24, 60, 100, 1.0, 2.0, -60.0};
    NT_CHECK(ds_fluid_render(fl, &bad, &a) == NR_ERR_VALUE && strstr(nr_last_error(), "no preset 7:24"));
    ds_fluid_close(fl);

    NT_CHECK(ds_fluid_open("/nonexistent/none.sf2", RATE, &fl) != NR_OK && fl == NULL &&
             strstr(nr_last_error(), "/nonexistent/none.sf2"));
}

/* A sustained tone of `secs` (a drone), written as a WAV. */
static int write_drone(const char *path, double secs, double hz)
{
    SF_INFO info = {0};
    info.samplerate = RATE;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    long n = (long)(secs * RATE);
    float *x = malloc((size_t)n * sizeof *x);
    for (long i = 0; i < n; i++) x[i] = (float)(0.3 * sin(2 * M_PI * hz * i / RATE) * (1 + 0.2 * sin(2 * M_PI * 0.3 * i / RATE)));
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    sf_count_t w = f ? sf_writef_float(f, x, n) : 0;
    if (f) sf_close(f);
    free(x);
    return w == n ? 0 : -1;
}

static const nr_ds_entry *find_stem(const nr_manifest *m, const char *stem)
{
    for (int i = 0; i < m->n; i++)
        if (strstr(m->e[i].origin, stem)) return &m->e[i];
    return NULL;
}

/* The same folder of recordings built as impacts and as textures: the impact rules drop a "choir",
 * cut a 12 s drone to 8 s and refuse a 70 s loop; the textures family keeps all three, whole up to
 * 10 s (the loop's first 10 s), with its class. */
static void test_family_build(void)
{
    char src[600], p[700];
    snprintf(src, sizeof src, "%s", nt_tmp("fam_src"));
    mkdir(src, 0777);
    snprintf(p, sizeof p, "%s/ambi_choir.wav", src);
    NT_CHECK(write_drone(p, 3.0, 220.0) == 0);
    snprintf(p, sizeof p, "%s/wind_drone.wav", src);
    NT_CHECK(write_drone(p, 12.0, 97.0) == 0);
    snprintf(p, sizeof p, "%s/rain_long.wav", src);
    NT_CHECK(write_drone(p, 70.0, 150.0) == 0);
    ds_source table[1] = {{"rec", "test-package", DS_KIND_FILES, src, "CC0-1.0", NULL, NULL, NULL, NULL, 0, "ambience"}};

    for (int fam = DS_FAMILY_IMPACTS; fam <= DS_FAMILY_TEXTURES; fam += DS_FAMILY_TEXTURES) {
        ds_build_config cfg = ds_build_config_default();
        char out[600];
        snprintf(out, sizeof out, "%s", nt_tmp(fam ? "fam_tex" : "fam_imp"));
        cfg.out_dir = out;
        cfg.src = table;
        cfg.n_src = 1;
        cfg.family = (ds_family)fam;
        cfg.params = ds_family_params(cfg.family);
        cfg.n_booms = 4;
        cfg.analyze = 0;
        nr_manifest m;
        ds_build_stats st;
        nr_result r = ds_build(&cfg, &m, &st);
        NT_CHECKF(r == NR_OK, "%s", nr_last_error());
        const nr_ds_entry *choir = find_stem(&m, "ambi_choir"), *wind = find_stem(&m, "wind_drone"),
                          *loop = find_stem(&m, "rain_long");
        if (fam == DS_FAMILY_IMPACTS) {
            NT_CHECK(choir == NULL); /* not an impact */
            NT_CHECKF(loop == NULL && st.rejected == 1, "impacts: loop %p, %d rejected", (const void *)loop, st.rejected); /* over 60 s: not a one-shot */
            NT_CHECKF(wind && fabs(wind->duration - 8.0) < 0.01, "impacts: %g s", wind ? wind->duration : -1.0);
        } else {
            NT_CHECKF(m.n == 3 && st.augmented == 0, "textures: %d entries, %d augmented", m.n, st.augmented);
            NT_CHECKF(loop && fabs(loop->duration - 10.0) < 0.01, "loop: %g s", loop ? loop->duration : -1.0);
            NT_CHECK(choir && !strcmp(choir->cls, "ambience") && fabs(choir->duration - 3.0) < 0.02);
            NT_CHECKF(wind && fabs(wind->duration - 10.0) < 0.01 && !strcmp(wind->cls, "ambience"), "textures: %g s",
                      wind ? wind->duration : -1.0);
            /* the cut drone fades out over half a second: 0.25 s before the end it is already quieter */
            nr_audio a;
            if (wind && nr_ds_load_audio(&m, (int)(wind - m.e), 0, &a) == NR_OK) {
                double e0 = 0, e1 = 0;
                long w = a.rate / 50, mid = a.n / 2, late = a.n - a.rate / 4 - w;
                for (long k = 0; k < w; k++) {
                    e0 += (double)a.samples[mid + k] * a.samples[mid + k];
                    e1 += (double)a.samples[late + k] * a.samples[late + k];
                }
                NT_CHECKF(e1 < 0.8 * e0 && e1 > 0.05 * e0, "fade: %g against %g", e1, e0);
                NT_CHECK(a.samples[a.n - 1] == 0.0f);
                nr_audio_free(&a);
            }
        }
        nr_manifest_free(&m);
    }
}

/* Templates for a non-impact data set: one per class of the training split, in name order. */
static void test_family_templates(void)
{
    if (access(FLUID_GM, R_OK) != 0) {
        nt_skip(FLUID_GM " not installed (Debian fluid-soundfont-gm)");
        return;
    }
    ds_fluid *probe = NULL; /* the same skip as test_fluid_note: a build without the library */
    if (ds_fluid_open(FLUID_GM, 48000, &probe) == NR_ERR_UNSUPPORTED) {
        nt_skip("built without libfluidsynth (Debian libfluidsynth-dev)");
        return;
    }
    ds_fluid_close(probe);
    static const ds_fluid_prog progs[] = {{24, 52, 64, "guitar"}, {12, 60, 72, "mallet"}};
    static const int vel[] = {100};
    static const ds_fluid_plan plan = {progs, 2, 6, vel, 1, 1.0, 0.0, 3.0, -60.0};
    ds_source table[1] = {{"fluid-gm", "fluid-soundfont-gm", DS_KIND_FLUID, FLUID_GM, "MIT", NULL, NULL, NULL, NULL,
                           0, NULL, &plan}};
    ds_build_config cfg = ds_build_config_default();
    char out[600];
    snprintf(out, sizeof out, "%s", nt_tmp("fam_plucks"));
    cfg.out_dir = out;
    cfg.src = table;
    cfg.n_src = 1;
    cfg.family = DS_FAMILY_PLUCKS;
    cfg.params = ds_family_params(cfg.family);
    nr_manifest m;
    ds_build_stats st;
    nr_result r = ds_build(&cfg, &m, &st);
    NT_CHECKF(r == NR_OK && m.n == 6, "%d entries (%s)", m.n, nr_last_error());
    int train_classes = 0, seen_g = 0, seen_m = 0;
    for (int i = 0; i < m.n; i++) {
        NT_CHECK(!strcmp(m.e[i].cls, "guitar") || !strcmp(m.e[i].cls, "mallet"));
        NT_CHECK(strstr(m.e[i].group, "fluid-gm/FluidR3_GM/") == m.e[i].group);
        NT_CHECK(strstr(m.e[i].origin, "program=") != NULL && strcmp(m.e[i].curves, "-"));
        if (m.e[i].split != NR_SPLIT_TRAIN) continue;
        seen_g |= !strcmp(m.e[i].cls, "guitar");
        seen_m |= !strcmp(m.e[i].cls, "mallet");
    }
    train_classes = seen_g + seen_m;
    /* one group per program: all notes of a program share a split */
    for (int i = 1; i < m.n; i++)
        if (!strcmp(m.e[i].group, m.e[i - 1].group)) NT_CHECK(m.e[i].split == m.e[i - 1].split);
    nr_template_picks tp;
    r = nr_templates_pick_from_data(out, &tp);
    if (train_classes == 0) {
        NT_CHECK(r != NR_OK);
    } else {
        NT_CHECKF(r == NR_OK && tp.n == train_classes, "%d templates for %d classes: %s", tp.n, train_classes,
                  r == NR_OK ? "" : nr_last_error());
        if (r == NR_OK) {
            NT_CHECK(!strcmp(tp.p[0].name, seen_g ? "guitar" : "mallet"));
            NT_CHECK(tp.deflt >= 0 && tp.deflt < tp.n);
            nr_template_picks_free(&tp);
        }
    }
    nr_manifest_free(&m);
}

int main(void)
{
    NT_RUN(test_family_tables);
    NT_RUN(test_fluid_note);
    NT_RUN(test_family_build);
    NT_RUN(test_family_templates);
    return nt_end();
}
