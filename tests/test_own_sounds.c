/* Training on one's own sounds: `dataset --from` over a folder tree made here (good WAV and FLAC files in
 * subfolders, a corrupt one, a silent one, a byte copy, a text file), and `train --init` (a fine-tune
 * starts exactly where its parent ended, records it, refuses another architecture or a damaged file). */
#include "dataset/ds_sources.h"
#include "models/impact2.h"
#include "neurorack.h"
#include "nr/model_templates.h"
#include "nr/tensors.h"
#include "nr/train.h"
#include "nr_test.h"
#include "tiny_train.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SRC_RATE 44100

static int write_sound(const char *path, const float *x, long n, int fmt)
{
    SF_INFO info = {0};
    info.samplerate = SRC_RATE;
    info.channels = 1;
    info.format = fmt;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return -1;
    sf_count_t w = sf_writef_float(f, x, n);
    sf_close(f);
    return w == n ? 0 : -1;
}

/* 0.6 s: a decaying sine (freq Hz, tau s) plus decaying noise (its share `noise`), seeded. */
static float *impact(long *n, double freq, double tau, double noise, unsigned seed)
{
    *n = 6 * SRC_RATE / 10;
    float *x = calloc((size_t)*n, sizeof *x);
    for (long i = 0; i < *n; i++) {
        double t = (double)i / SRC_RATE;
        seed = seed * 1664525u + 1013904223u;
        double r = (seed >> 8) / 8388608.0 - 1.0;
        x[i] = (float)(0.7 * exp(-t / tau) * ((1.0 - noise) * sin(2 * M_PI * freq * t) + noise * r));
    }
    return x;
}

static void put_impact(const char *path, double freq, double tau, double noise, unsigned seed, int fmt)
{
    long n;
    float *x = impact(&n, freq, tau, noise, seed);
    NT_CHECKF(write_sound(path, x, n, fmt) == 0, "cannot write %s", path);
    free(x);
}

static void copy_file(const char *from, const char *to)
{
    size_t n;
    char *b = nt_read_file(from, &n);
    NT_CHECK(b && nt_write_file(to, b, n) == 0);
    free(b);
}

static char g_src[512];
static int g_mp3; /* this libsndfile writes MP3 (then the tree holds one) */

/* src/kicks/kick_a.wav        "kick" in its name: class kick (the name's guess wins over the folder)
 * src/steps/scuff.flac        no class word: the folder's name, "steps"
 * src/steps/deep/tap.wav      the innermost folder, "deep"
 * src/steps/deep/scrape.ogg    Ogg Vorbis, "deep" too
 * src/kicks/low.mp3           MP3, where this libsndfile writes it: "kick" from the folder's word
 * src/steps/scuff_copy.flac   byte copy of scuff.flac: a duplicate, skipped
 * src/thing.wav               at the top, no class word: "perc"
 * src/bad/corrupt.wav         a RIFF header and garbage: unreadable, skipped
 * src/bad/quiet.wav           all zeros: silent, skipped
 * src/readme.txt              not a sound file: left out */
static void make_tree(void)
{
    snprintf(g_src, sizeof g_src, "%s", nt_tmp("own"));
    char p[700], q[700];
    const char *dirs[] = {"", "/kicks", "/steps", "/steps/deep", "/bad"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(p, sizeof p, "%s%s", g_src, dirs[i]);
        mkdir(p, 0777);
    }
    snprintf(p, sizeof p, "%s/kicks/kick_a.wav", g_src);
    put_impact(p, 55.0, 0.12, 0.05, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    snprintf(p, sizeof p, "%s/steps/scuff.flac", g_src);
    put_impact(p, 300.0, 0.05, 0.9, 2, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
    snprintf(q, sizeof q, "%s/steps/scuff_copy.flac", g_src);
    copy_file(p, q);
    snprintf(p, sizeof p, "%s/steps/deep/tap.wav", g_src);
    put_impact(p, 1800.0, 0.02, 0.5, 3, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    snprintf(p, sizeof p, "%s/steps/deep/scrape.ogg", g_src);
    put_impact(p, 650.0, 0.06, 0.4, 5, SF_FORMAT_OGG | SF_FORMAT_VORBIS);
    snprintf(p, sizeof p, "%s/kicks/low.mp3", g_src);
    long n;
    float *x = impact(&n, 70.0, 0.15, 0.1, 6);
    g_mp3 = write_sound(p, x, n, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III) == 0;
    free(x);
    if (!g_mp3) {
        remove(p);
        printf("  (this libsndfile writes no MP3: the tree has none)\n");
    }
    snprintf(p, sizeof p, "%s/thing.wav", g_src);
    put_impact(p, 440.0, 0.2, 0.2, 4, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
    snprintf(p, sizeof p, "%s/bad/corrupt.wav", g_src);
    NT_CHECK(nt_write_file(p, "RIFF\x24\x10\0\0WAVEfmt \x10\0\0\0garbage-garbage-garbage", 44) == 0);
    float *z = calloc(SRC_RATE, sizeof *z);
    snprintf(p, sizeof p, "%s/bad/quiet.wav", g_src);
    NT_CHECK(write_sound(p, z, SRC_RATE, SF_FORMAT_WAV | SF_FORMAT_PCM_16) == 0);
    free(z);
    snprintf(p, sizeof p, "%s/readme.txt", g_src);
    NT_CHECK(nt_write_file(p, "my sounds\n", 10) == 0);
}

/* ds_build with stderr caught; returns the text (malloc'd), also echoed. */
static char *build_caught(const ds_build_config *cfg, nr_manifest *m, ds_build_stats *st, nr_result *r)
{
    int cap = nt_stderr_begin();
    *r = ds_build(cfg, m, st);
    char *text = nt_stderr_end(cap);
    if (text) fputs(text, stdout);
    return text;
}

/* Lines of text holding both a and b. */
static int lines_with(const char *text, const char *a, const char *b)
{
    int k = 0;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[1024];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf - 1 ? len : sizeof buf - 1), line);
        k += strstr(buf, a) && (!b || strstr(buf, b));
        line = nl ? nl + 1 : NULL;
    }
    return k;
}

static int find_origin(const nr_manifest *m, const char *tail)
{
    for (int i = 0; i < m->n; i++) {
        size_t a = strlen(m->e[i].origin), b = strlen(tail);
        if (a >= b && !strcmp(m->e[i].origin + a - b, tail)) return i;
    }
    return -1;
}

static void check_skips(const char *err)
{
    NT_CHECKF(err && lines_with(err, "skipped", "bad/corrupt.wav") == 1, "the corrupt file is not named once");
    NT_CHECKF(err && lines_with(err, "bad/quiet.wav", "silent") == 1, "the silent file is not named once");
    NT_CHECKF(err && lines_with(err, "steps/scuff_copy.flac: duplicate of ", "steps/scuff.flac") == 1,
              "the duplicate is not named once with its original");
    NT_CHECKF(err && lines_with(err, "readme.txt", "left out") == 1, "the text file is not named once");
    char count[32];
    snprintf(count, sizeof count, "%d/%d files", 8 + g_mp3, 8 + g_mp3);
    NT_CHECKF(err && lines_with(err, count, NULL) == 1, "no final count (%s) of the sound files", count);
}

static void test_dataset_from(void)
{
    make_tree();
    char out[600];
    snprintf(out, sizeof out, "%s", nt_tmp("own_ds"));
    const char *from[] = {g_src};
    ds_build_config cfg = ds_build_config_default();
    cfg.out_dir = out;
    cfg.from = from;
    cfg.n_from = 1;
    cfg.n_booms = 0;
    cfg.progress = 1;
    nr_manifest m;
    ds_build_stats st;
    nr_result r;
    char *err = build_caught(&cfg, &m, &st, &r);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    printf("  seen %d kept %d exact %d near %d rejected %d failed %d\n", st.seen, st.kept, st.dup_exact, st.dup_near,
           st.rejected, st.failed);
    int good = 5 + g_mp3;
    NT_CHECK(st.seen == good + 3 && st.kept == good && st.dup_exact == 1 && st.dup_near == 0 && st.rejected == 1 &&
             st.failed == 1 && st.curves_new == good && st.cached == 0);
    NT_CHECK(m.n == good); /* only the folder: no built-in source */
    static const struct {
        const char *tail, *cls;
    } want[] = {{"/kicks/kick_a.wav", "kick"}, {"/steps/scuff.flac", "steps"}, {"/steps/deep/tap.wav", "deep"},
                {"/steps/deep/scrape.ogg", "deep"}, {"/own/thing.wav", "perc"}, {"/kicks/low.mp3", "kick"}};
    for (size_t k = 0; k < sizeof want / sizeof want[0] - !g_mp3; k++) {
        int i = find_origin(&m, want[k].tail);
        NT_CHECKF(i >= 0, "%s not in the manifest", want[k].tail);
        if (i < 0) continue;
        const nr_ds_entry *e = &m.e[i];
        NT_CHECKF(!strcmp(e->cls, want[k].cls), "%s: class %s, expected %s", want[k].tail, e->cls, want[k].cls);
        NT_CHECK(!strcmp(e->source, "own") && !strcmp(e->package, "-") && strcmp(e->curves, "-"));
        NT_CHECK(e->rate == 48000 && e->duration > 0.1 && e->duration < 0.7);
        NT_CHECK(!strncmp(e->group, "own/", 4));
    }
    check_skips(err);
    free(err);
    /* the manifest on disk says the same */
    nr_manifest back;
    char path[700];
    snprintf(path, sizeof path, "%s/manifest.tsv", out);
    NT_CHECKF(nr_manifest_read(path, &back) == NR_OK && back.n == good, "%s", nr_last_error());
    nr_manifest_free(&back);

    /* A rerun takes everything from the cache and names the same skipped files again. */
    nr_manifest m2;
    ds_build_stats st2;
    err = build_caught(&cfg, &m2, &st2, &r);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    NT_CHECKF(st2.cached == good && st2.curves_cached == good && st2.curves_new == 0 && st2.kept == good,
              "rerun: %d from cache, curves %d cached %d new", st2.cached, st2.curves_cached, st2.curves_new);
    NT_CHECK(m2.n == good);
    for (int i = 0; i < m.n && m2.n == m.n; i++)
        NT_CHECK(!strcmp(m.e[i].hash, m2.e[i].hash) && !strcmp(m.e[i].cls, m2.e[i].cls) &&
                 m.e[i].split == m2.e[i].split);
    check_skips(err);
    free(err);
    nr_manifest_free(&m2);

    /* Templates: a folder's class gets one like a built-in class (from the training split). */
    nr_template_picks tp;
    NT_CHECKF(nr_templates_pick_from_data(path, &tp) == NR_OK, "%s", nr_last_error());
    for (int i = 0; i < m.n; i++) {
        if (m.e[i].split != NR_SPLIT_TRAIN || !strcmp(m.e[i].cls, "perc")) continue;
        int found = 0;
        for (int k = 0; k < tp.n; k++) found |= !strcmp(tp.p[k].name, m.e[i].cls);
        NT_CHECKF(found, "no template for the training class %s", m.e[i].cls);
    }
    for (int k = 0; k < tp.n; k++) NT_CHECKF(strcmp(tp.p[k].name, "perc"), "a template for perc");
    nr_template_picks_free(&tp);
    nr_manifest_free(&m);

    /* A folder that is not there is an error naming it, before anything is written. */
    const char *missing[] = {nt_tmp("no_such_folder")};
    cfg.from = missing;
    cfg.out_dir = nt_tmp("never_made");
    NT_CHECK(ds_build(&cfg, &m, &st) == NR_ERR_ARG && strstr(nr_last_error(), "no_such_folder"));
    struct stat sb;
    NT_CHECK(stat(nt_tmp("never_made"), &sb) != 0);
}

/* With --sources next to --from, the named built-in sources come too (here a table of one). */
static void test_from_with_sources(void)
{
    char other[600], p[700];
    snprintf(other, sizeof other, "%s", nt_tmp("builtin"));
    mkdir(other, 0777);
    snprintf(p, sizeof p, "%s/snare01.wav", other);
    put_impact(p, 200.0, 0.08, 0.95, 9, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    ds_source table[1] = {{"synth", "test-package", DS_KIND_FILES, other, "CC0-1.0", NULL, NULL, NULL, NULL, 0, NULL}};
    char own[600];
    snprintf(own, sizeof own, "%s", nt_tmp("own2"));
    mkdir(own, 0777);
    snprintf(p, sizeof p, "%s/hit1.wav", own);
    put_impact(p, 900.0, 0.03, 0.3, 10, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    char own_slash[700];
    snprintf(own_slash, sizeof own_slash, "%s/", own); /* "DIR/" reads as DIR */
    const char *from[] = {own_slash};
    ds_build_config cfg = ds_build_config_default();
    cfg.out_dir = nt_tmp("mixed_ds");
    cfg.from = from;
    cfg.n_from = 1;
    cfg.n_booms = 0;
    cfg.src = table;
    cfg.n_src = 1;
    nr_manifest m;
    ds_build_stats st;
    NT_CHECKF(ds_build(&cfg, &m, &st) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(m.n == 1 && !strcmp(m.e[0].source, "own"), "--from alone: %d entries", m.n);
    /* "hit1": its group drops the take number; the drum words read "hit" as perc */
    NT_CHECKF(m.n == 1 && !strcmp(m.e[0].group, "own/hit") && !strcmp(m.e[0].cls, "perc"), "group %s class %s",
              m.n ? m.e[0].group : "", m.n ? m.e[0].cls : "");
    nr_manifest_free(&m);
    cfg.only = "synth";
    NT_CHECKF(ds_build(&cfg, &m, &st) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(m.n == 2 && find_origin(&m, "/snare01.wav") >= 0 && find_origin(&m, "/hit1.wav") >= 0,
              "--from with --sources: %d entries", m.n);
    nr_manifest_free(&m);
}

/* ---- train --init ---- */

static nr_train_config tiny(void)
{
    nr_train_config c = nt_tiny_train_config();
    c.threads = 2;
    return c;
}

/* FNV-1a 64 of a file, written out here so the model's record is checked against another reading. */
static unsigned long long fnv_file(const char *path)
{
    size_t n;
    unsigned char *b = (unsigned char *)nt_read_file(path, &n);
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; b && i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    free(b);
    return h;
}

/* A model file has a metadata entry `key`. */
static int file_has_meta(const char *path, const char *key)
{
    nr_tensor_set ts = {0};
    int has = nr_safetensors_read(path, &ts) == NR_OK && nr_tensor_set_meta(&ts, key) != NULL;
    nr_tensor_set_free(&ts);
    return has;
}

/* A model file's metadata entry equals `want` (printed when it does not). */
static int file_meta_is(const char *path, const char *key, const char *want)
{
    nr_tensor_set ts = {0};
    if (nr_safetensors_read(path, &ts) != NR_OK) {
        printf("  %s: %s\n", path, nr_last_error());
        return 0;
    }
    const char *v = nr_tensor_set_meta(&ts, key);
    int ok = v && !strcmp(v, want);
    if (!ok) printf("  %s: %s = %s, want %s\n", path, key, v ? v : "(none)", want);
    nr_tensor_set_free(&ts);
    return ok;
}

/* The lowest inharmonic ratio a model file plays with (NAN if it does not load as nr-impact-2). */
static float model_ratio_lo(const char *path)
{
    nr_tensor_set ts = {0};
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    float lo = NAN;
    if (nr_safetensors_read(path, &ts) == NR_OK && nr_imp2_hparams_from_meta(&ts, &hp, path) == NR_OK) lo = hp.ratio_lo;
    nr_tensor_set_free(&ts);
    return lo;
}

static void test_train_init(void)
{
    char parent[600], child[600], fresh[600];
    snprintf(parent, sizeof parent, "%s", nt_tmp("parent.safetensors"));
    snprintf(child, sizeof child, "%s", nt_tmp("child.safetensors"));
    snprintf(fresh, sizeof fresh, "%s", nt_tmp("fresh.safetensors"));
    nr_train_config c = tiny();
    c.steps = 6;
    c.out = parent;
    c.checkpoint = nt_tmp("parent.ckpt");
    nr_train_report rp;
    NT_CHECKF(nr_train(&c, &rp) == NR_OK, "%s", nr_last_error());

    /* The child's loss before its first step is the parent's after its last, on the same clips. */
    nr_train_config k = tiny();
    k.hidden = k.layers = 0;
    k.harm_env = NULL;
    k.init = parent;
    k.steps = 2;
    k.out = child;
    k.checkpoint = nt_tmp("child.ckpt");
    k.lr = NR_TRAIN_INIT_LR;
    nr_train_report rk;
    NT_CHECKF(nr_train(&k, &rk) == NR_OK, "%s", nr_last_error());
    printf("  parent validation %.9g training %.9g; child before its first step %.9g %.9g\n", rp.valid_loss,
           rp.train_eval_last, rk.valid_first, rk.train_eval_first);
    NT_CHECKF(rk.valid_first == rp.valid_loss && rk.train_eval_first == rp.train_eval_last,
              "the fine-tune does not start from the parent's weights");
    /* ... which a fresh start with the same seed does not: the equality above says something */
    nr_train_config f = tiny();
    f.steps = 2;
    f.out = fresh;
    f.checkpoint = nt_tmp("fresh.ckpt");
    nr_train_report rf;
    NT_CHECKF(nr_train(&f, &rf) == NR_OK, "%s", nr_last_error());
    NT_CHECK(rf.valid_first != rp.valid_loss);

    /* The record of the parent, and the same architecture and sizes. */
    nr_tensor_set ts = {0};
    NT_CHECKF(nr_safetensors_read(child, &ts) == NR_OK, "%s", nr_last_error());
    const char *init = nr_tensor_set_meta(&ts, "train.init"), *hash = nr_tensor_set_meta(&ts, "train.init_fnv1a64"),
               *steps = nr_tensor_set_meta(&ts, "train.steps");
    char want[32];
    snprintf(want, sizeof want, "%016llx", fnv_file(parent));
    NT_CHECKF(init && !strcmp(init, "parent.safetensors"), "train.init = %s", init ? init : "(none)");
    NT_CHECKF(hash && !strcmp(hash, want), "train.init_fnv1a64 = %s, the file's is %s", hash ? hash : "(none)", want);
    NT_CHECKF(steps && !strcmp(steps, "2"), "train.steps = %s", steps ? steps : "(none)");
    const char *arch = nr_tensor_set_meta(&ts, "nr.arch"), *hid = nr_tensor_set_meta(&ts, "impact2.hidden");
    NT_CHECK(arch && !strcmp(arch, "nr-impact-2"));
    NT_CHECKF(hid && !strcmp(hid, "16"), "hidden %s", hid ? hid : "(none)");
    nr_tensor_set_free(&ts);
    NT_CHECK(nr_safetensors_read(fresh, &ts) == NR_OK && !nr_tensor_set_meta(&ts, "train.init"));
    nr_tensor_set_free(&ts);
    /* the onset rule: fresh weights settle (the default), a child keeps its parent's unless told */
    NT_CHECK(file_meta_is(child, "impact2.onset_pitch", "1") && file_meta_is(fresh, "impact2.onset_pitch", "1"));
    nr_train_config kr = k;
    kr.out = nt_tmp("child-raw.safetensors");
    kr.checkpoint = nt_tmp("child-raw.ckpt");
    kr.onset_pitch = "raw";
    NT_CHECKF(nr_train(&kr, &rk) == NR_OK, "%s", nr_last_error());
    NT_CHECK(file_meta_is(kr.out, "impact2.onset_pitch", "0"));
    /* --stop-after: the first 2 steps of a 4-step schedule, model written and marked; its weights are those
     * of the checkpoint of the same stop */
    nr_train_config ks = k;
    ks.out = nt_tmp("child-stop.safetensors");
    ks.checkpoint = nt_tmp("child-stop.ckpt");
    ks.steps = 4;
    ks.stop_after = 2;
    ks.stop_writes_model = 1;
    NT_CHECKF(nr_train(&ks, &rk) == NR_OK && rk.step == 2, "%s", nr_last_error());
    NT_CHECK(file_meta_is(ks.out, "train.steps", "2") && file_meta_is(ks.out, "train.schedule_steps", "4"));
    NT_CHECK(nr_safetensors_read(ks.out, &ts) == NR_OK);
    nr_tensor_set ex = {0};
    NT_CHECK(nr_train_export(ks.checkpoint, nt_tmp("child-stop-export.safetensors"), NULL) == NR_OK);
    NT_CHECK(nr_safetensors_read(nt_tmp("child-stop-export.safetensors"), &ex) == NR_OK);
    int same = ts.n_tensors == ex.n_tensors && ts.n_tensors > 0;
    for (int i = 0; same && i < ts.n_tensors; i++) {
        const nr_tensor *b0 = nr_tensor_set_find(&ex, ts.tensors[i].name);
        same = b0 && b0->numel == ts.tensors[i].numel &&
               !memcmp(b0->data, ts.tensors[i].data, sizeof(float) * (size_t)b0->numel);
    }
    NT_CHECKF(same, "the stopped run's model differs from its checkpoint's");
    nr_tensor_set_free(&ts), nr_tensor_set_free(&ex);
    /* without stop_writes_model a stop is a kill: no model */
    ks.out = nt_tmp("child-kill.safetensors");
    ks.checkpoint = nt_tmp("child-kill.ckpt");
    ks.stop_writes_model = 0;
    NT_CHECK(nr_train(&ks, &rk) == NR_OK && rk.step == 2);
    struct stat sk;
    NT_CHECK(stat(ks.out, &sk) != 0);
    /* a resumed run must keep its checkpoint's rule; a rule that is neither is refused */
    kr.resume = nt_tmp("child-raw.ckpt");
    kr.steps = 3;
    kr.onset_pitch = "settle";
    nr_result ro = nr_train(&kr, &rk);
    NT_CHECKF(ro == NR_ERR_ARG && strstr(nr_last_error(), "--onset-pitch raw"), "%s", nr_last_error());
    kr.resume = NULL;
    kr.onset_pitch = "sideways";
    ro = nr_train(&kr, &rk);
    NT_CHECKF(ro == NR_ERR_ARG && strstr(nr_last_error(), "--onset-pitch 'sideways'"), "%s", nr_last_error());
    /* the inharmonic range: a child keeps its parent's (-1 octave for fresh weights) unless told; a told one
     * is recorded and loads; a resume must keep it; out of range is refused */
    NT_CHECK(model_ratio_lo(child) == -1.0f && model_ratio_lo(fresh) == -1.0f);
    nr_train_config ki = k;
    ki.out = nt_tmp("child-inharm.safetensors");
    ki.checkpoint = nt_tmp("child-inharm.ckpt");
    ki.inharm_lo = 0.0f;
    NT_CHECKF(nr_train(&ki, &rk) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(model_ratio_lo(ki.out) == 0.0f, "ratio_lo %g", model_ratio_lo(ki.out));
    ki.resume = ki.checkpoint;
    ki.steps = 3;
    ki.inharm_lo = -0.5f;
    ro = nr_train(&ki, &rk);
    NT_CHECKF(ro == NR_ERR_ARG && strstr(nr_last_error(), "--inharm-lo 0"), "%s", nr_last_error());
    ki.resume = NULL;
    ki.inharm_lo = 4.0f;
    ro = nr_train(&ki, &rk);
    NT_CHECKF(ro == NR_ERR_ARG && strstr(nr_last_error(), "--inharm-lo 4"), "%s", nr_last_error());
    /* the inharmonic floor: no key without one (every file before it); a child with one records it and its
     * own child keeps it; "none" removes it; a resume must keep it */
    NT_CHECK(!file_has_meta(child, "impact2.inharm_floor") && !file_has_meta(fresh, "impact2.inharm_floor"));
    nr_train_config kf = k;
    kf.out = nt_tmp("child-floor.safetensors");
    kf.checkpoint = nt_tmp("child-floor.ckpt");
    kf.inharm_floor = -0.25f;
    NT_CHECKF(nr_train(&kf, &rk) == NR_OK, "%s", nr_last_error());
    NT_CHECK(file_meta_is(kf.out, "impact2.inharm_floor", "-0.25"));
    nr_train_config kg = k;
    kg.init = kf.out;
    kg.out = nt_tmp("grandchild-floor.safetensors");
    kg.checkpoint = nt_tmp("grandchild-floor.ckpt");
    NT_CHECKF(nr_train(&kg, &rk) == NR_OK, "%s", nr_last_error());
    NT_CHECK(file_meta_is(kg.out, "impact2.inharm_floor", "-0.25"));
    kg.out = nt_tmp("grandchild-nofloor.safetensors");
    kg.checkpoint = nt_tmp("grandchild-nofloor.ckpt");
    kg.inharm_floor = NR_TRAIN_FLOOR_OFF;
    NT_CHECKF(nr_train(&kg, &rk) == NR_OK, "%s", nr_last_error());
    NT_CHECK(!file_has_meta(kg.out, "impact2.inharm_floor"));
    kf.resume = kf.checkpoint;
    kf.steps = 3;
    kf.inharm_floor = NAN; /* the parent's setting (none) against the checkpoint's -0.25 */
    ro = nr_train(&kf, &rk);
    NT_CHECKF(ro == NR_ERR_ARG && strstr(nr_last_error(), "--inharm-floor -0.25, this run has none"), "%s",
              nr_last_error());
    kf.resume = NULL;
    kf.inharm_floor = 9.0f;
    ro = nr_train(&kf, &rk);
    NT_CHECKF(ro == NR_ERR_ARG && strstr(nr_last_error(), "--inharm-floor 9"), "%s", nr_last_error());
    nr_model *m = NULL;
    NT_CHECKF(nr_model_load(child, &m) == NR_OK, "%s", nr_last_error());
    nr_model_free(m);

    /* Sizes or an architecture other than the parent's are refused, naming the option. */
    nr_train_config bad = k;
    bad.out = nt_tmp("bad.safetensors");
    bad.arch = "nr-impact-1";
    nr_result r = nr_train(&bad, &rk);
    NT_CHECKF(r == NR_ERR_ARG && strstr(nr_last_error(), "--arch"), "%s", nr_last_error());
    bad = k;
    bad.out = nt_tmp("bad.safetensors");
    bad.hidden = 24;
    r = nr_train(&bad, &rk);
    NT_CHECKF(r == NR_ERR_ARG && strstr(nr_last_error(), "--hidden 24"), "%s", nr_last_error());
    bad.hidden = 16; /* agreeing is fine */
    bad.layers = 3;
    r = nr_train(&bad, &rk);
    NT_CHECKF(r == NR_ERR_ARG && strstr(nr_last_error(), "--layers 3"), "%s", nr_last_error());
    bad.layers = 0;
    bad.harm_env = "index"; /* the parent is freq (the default) */
    r = nr_train(&bad, &rk);
    NT_CHECKF(r == NR_ERR_ARG && strstr(nr_last_error(), "--harm-env index"), "%s", nr_last_error());
    struct stat sb;
    NT_CHECK(stat(nt_tmp("bad.safetensors"), &sb) != 0);

    /* A damaged or missing parent: an error naming the file. */
    char broken[600];
    snprintf(broken, sizeof broken, "%s", nt_tmp("broken.safetensors"));
    size_t n;
    char *bytes = nt_read_file(parent, &n);
    NT_CHECK(bytes && n > 100 && nt_write_file(broken, bytes, n / 2) == 0); /* cut in half */
    free(bytes);
    bad = k;
    bad.out = nt_tmp("bad.safetensors");
    bad.init = broken;
    r = nr_train(&bad, &rk);
    NT_CHECKF(r != NR_OK && strstr(nr_last_error(), "broken.safetensors"), "%s", nr_last_error());
    NT_CHECK(nt_write_file(broken, "not a model at all", 18) == 0);
    r = nr_train(&bad, &rk);
    NT_CHECKF(r != NR_OK && strstr(nr_last_error(), "broken.safetensors"), "%s", nr_last_error());
    bad.init = nt_tmp("absent.safetensors");
    r = nr_train(&bad, &rk);
    NT_CHECKF(r != NR_OK && strstr(nr_last_error(), "absent.safetensors"), "%s", nr_last_error());
}

int main(void)
{
    NT_RUN(test_dataset_from);
    NT_RUN(test_from_with_sources);
    NT_RUN(test_train_init);
    return nt_end();
}
