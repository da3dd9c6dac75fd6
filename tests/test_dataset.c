/* The data-set builder on small synthetic sounds made here: scanning, trimming, level, dedup of a
 * gain-changed copy, stable split, manifest round trip, bad files skipped, cache reuse, augmentation. */
#include "dataset/ds_sources.h"
#include "nr/analysis.h"
#include "nr_test.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SRC_RATE 44100

static int write_wav(const char *path, const float *x, long n, int channels, int fmt)
{
    SF_INFO info = {0};
    info.samplerate = SRC_RATE;
    info.channels = channels;
    info.format = fmt;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return -1;
    sf_count_t w = sf_writef_float(f, x, n / channels);
    sf_close(f);
    return w == n / channels ? 0 : -1;
}

/* 0.1 s of silence, then a decaying tone (tau 50 ms: -60 dB after 0.345 s), then 0.4 s of silence. */
static float *kick(long *n, double gain)
{
    long lead = SRC_RATE / 10, body = SRC_RATE / 2, tail = 2 * SRC_RATE / 5;
    *n = lead + body + tail;
    float *x = calloc((size_t)*n, sizeof *x);
    for (long i = 0; i < body; i++) {
        double t = (double)i / SRC_RATE;
        x[lead + i] = (float)(gain * 0.8 * exp(-t / 0.05) * sin(2 * M_PI * (50.0 + 100.0 * exp(-t / 0.02)) * t));
    }
    return x;
}

static float *noise_burst(long *n, unsigned seed, double tau)
{
    *n = SRC_RATE;
    float *x = calloc((size_t)*n, sizeof *x);
    for (long i = 0; i < *n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(0.5 * exp(-(double)i / SRC_RATE / tau) * ((seed >> 8) / 8388608.0 - 1.0));
    }
    return x;
}

static char g_src[512];
static ds_source g_table[1];

static ds_build_config config(const char *out)
{
    ds_build_config c = ds_build_config_default();
    c.out_dir = out;
    c.src = g_table;
    c.n_src = 1;
    c.n_booms = 10;
    return c;
}

static void make_sources(void)
{
    snprintf(g_src, sizeof g_src, "%s", nt_tmp("src"));
    mkdir(g_src, 0777);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/kit", g_src);
    mkdir(sub, 0777);
    long n;
    float *k = kick(&n, 1.0);
    /* stereo copy of the kick: both channels equal, so the mixdown is the kick itself */
    float *st = malloc((size_t)n * 2 * sizeof *st);
    for (long i = 0; i < n; i++) st[2 * i] = st[2 * i + 1] = k[i];
    char p[700];
    snprintf(p, sizeof p, "%s/kit/kick_hard.wav", g_src);
    NT_CHECK(write_wav(p, st, 2 * n, 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT) == 0);
    free(st);
    free(k);
    /* the same kick 10 dB quieter (another velocity layer of the same audio): a near duplicate */
    k = kick(&n, 0.316);
    snprintf(p, sizeof p, "%s/kit/kick_soft.wav", g_src);
    NT_CHECK(write_wav(p, k, n, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16) == 0);
    free(k);
    float *s = noise_burst(&n, 7, 0.08);
    snprintf(p, sizeof p, "%s/kit/snare01.flac", g_src);
    NT_CHECK(write_wav(p, s, n, 1, SF_FORMAT_FLAC | SF_FORMAT_PCM_24) == 0);
    free(s);
    s = noise_burst(&n, 99, 0.2);
    snprintf(p, sizeof p, "%s/crash.wav", g_src);
    NT_CHECK(write_wav(p, s, n, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16) == 0);
    free(s);
    float *z = calloc(SRC_RATE, sizeof *z);
    snprintf(p, sizeof p, "%s/silent_tom.wav", g_src);
    NT_CHECK(write_wav(p, z, SRC_RATE, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16) == 0);
    z[100] = NAN;
    snprintf(p, sizeof p, "%s/nan_tom.wav", g_src);
    NT_CHECK(write_wav(p, z, SRC_RATE, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT) == 0);
    free(z);
    snprintf(p, sizeof p, "%s/broken_kick.wav", g_src);
    NT_CHECK(nt_write_file(p, "RIFF\x10\0\0\0WAVEfmt garbage", 24) == 0);
    snprintf(p, sizeof p, "%s/notes.txt", g_src); /* not a sound: not scanned */
    NT_CHECK(nt_write_file(p, "hello", 5) == 0);
    g_table[0] = (ds_source){"synth", "test-package", DS_KIND_FILES, g_src, "CC0-1.0", NULL, NULL, NULL, NULL, 0};
}

static int find_origin(const nr_manifest *m, const char *tail)
{
    for (int i = 0; i < m->n; i++) {
        size_t a = strlen(m->e[i].origin), b = strlen(tail);
        if (a >= b && !strcmp(m->e[i].origin + a - b, tail)) return i;
    }
    return -1;
}

static void test_build(void)
{
    make_sources();
    char out[600];
    snprintf(out, sizeof out, "%s", nt_tmp("out"));
    ds_build_config cfg = config(out);
    nr_manifest m;
    ds_build_stats st;
    NT_CHECKF(ds_build(&cfg, &m, &st) == NR_OK, "%s", nr_last_error());
    /* 7 sound files: kick, its quieter copy (dropped), snare, crash, silent (rejected), NaN (rejected),
     * broken (unreadable); notes.txt is not a sound. */
    NT_CHECKF(st.seen == 7, "seen %d", st.seen);
    NT_CHECKF(st.kept == 3, "kept %d", st.kept);
    NT_CHECKF(st.dup_near + st.dup_exact == 1, "duplicates %d + %d", st.dup_near, st.dup_exact);
    NT_CHECKF(st.rejected == 2 && st.failed == 1, "rejected %d, unreadable %d", st.rejected, st.failed);
    int ik = find_origin(&m, "kit/kick_hard.wav"), is = find_origin(&m, "kit/snare01.flac"),
        ic = find_origin(&m, "crash.wav");
    NT_CHECK(ik >= 0 && is >= 0 && ic >= 0);
    NT_CHECK(find_origin(&m, "kick_soft.wav") < 0);
    if (ik < 0 || is < 0 || ic < 0) {
        nr_manifest_free(&m);
        return;
    }
    NT_CHECKF(!strcmp(m.e[ik].cls, "kick") && !strcmp(m.e[is].cls, "snare") && !strcmp(m.e[ic].cls, "cymbal"),
              "classes %s %s %s", m.e[ik].cls, m.e[is].cls, m.e[ic].cls);
    /* Layers of one instrument share a group: "kick_hard" and "kick_soft" -> synth/kit/kick. */
    NT_CHECKF(!strcmp(m.e[ik].group, "synth/kit/kick"), "group %s", m.e[ik].group);
    NT_CHECK(!strcmp(m.e[ik].licence, "CC0-1.0") && !strcmp(m.e[ik].package, "test-package"));
    /* Trimming: the tone starts at 0.1 s and falls below -60 dB of its peak after ~0.35 s
     * (10 ms tail blocks); the 0.4 s of trailing silence go too. */
    NT_CHECKF(fabs(m.e[ik].duration - 0.35) < 0.03, "kick lasts %.3f s", m.e[ik].duration);
    nr_audio a;
    NT_CHECKF(nr_ds_load_audio(&m, ik, 0, &a) == NR_OK, "%s", nr_last_error());
    if (a.samples) {
        NT_CHECK(a.rate == 48000 && a.n == m.e[ik].n_samples);
        double peak = 0.0;
        for (long i = 0; i < a.n; i++) peak = fmax(peak, fabs(a.samples[i]));
        NT_CHECKF(fabs(20.0 * log10(peak) + 1.0) < 0.01, "peak %.3f dBFS, expected -1", 20.0 * log10(peak));
        NT_CHECKF(fabs(a.samples[0]) < peak && fabs(a.samples[a.n - 1]) < 1e-6, "edges %g %g", a.samples[0],
                  a.samples[a.n - 1]);
        /* what is stored is what was hashed */
        char h[17];
        snprintf(h, sizeof h, "%016llx", (unsigned long long)ds_hash_audio(a.samples, a.n, a.rate));
        NT_CHECKF(!strcmp(h, m.e[ik].hash), "hash of the stored file %s, manifest %s", h, m.e[ik].hash);
        ds_audio_release(&a);
    }
    int old_curves = 0;
    /* Curves: cached for every entry once the analysis exists; otherwise the builder must say why. */
    float probe[4096] = {0};
    probe[100] = 1.0f;
    nr_curves pc;
    nr_result ar = nr_analyze(probe, 4096, &pc);
    if (ar == NR_OK) {
        nr_curves_free(&pc);
        NT_CHECKF(st.curves_new == m.n && st.curves_missing == 0, "curves: %d new, %d missing of %d", st.curves_new,
                  st.curves_missing, m.n);
        nr_curves c;
        NT_CHECKF(nr_ds_load_curves(&m, ik, &c) == NR_OK, "%s", nr_last_error());
        /* librosa framing at 22050 Hz, hop 512, last frame dropped: n22050 / 512 frames */
        long n22 = (long)ceil(m.e[ik].n_samples * 22050.0 / m.e[ik].rate);
        NT_CHECKF(c.n_frames >= n22 / 512 - 1 && c.n_frames <= n22 / 512 + 1, "%d frames for %ld samples", c.n_frames,
                  n22);
        /* the analysis' own path: the stored sound resampled as librosa.load does (kaiser_best) */
        nr_audio s48 = {0}, s22 = {0};
        nr_curves want;
        if (nr_ds_load_audio(&m, ik, 0, &s48) == NR_OK &&
            nr_audio_resample_kaiser_best(s48.samples, s48.n, s48.rate, NR_ANALYSIS_RATE, &s22) == NR_OK &&
            nr_analyze(s22.samples, s22.n, &want) == NR_OK) {
            NT_CHECK(want.n_frames == c.n_frames &&
                     !memcmp(want.data, c.data, (size_t)c.n_frames * NR_NUM_DESC * sizeof(float)));
            nr_curves_free(&want);
        } else {
            NT_CHECKF(0, "%s", nr_last_error());
        }
        ds_audio_release(&s48);
        nr_audio_free(&s22);
        nr_curves_free(&c);
        /* a curve file of version 1 (libsamplerate's resampling) is made again by the next run */
        char nrc[700];
        snprintf(nrc, sizeof nrc, "%s/%s", out, m.e[ik].curves);
        size_t nb;
        char *b = nt_read_file(nrc, &nb);
        NT_CHECK(b && nb > 12);
        if (b && nb > 12) {
            b[8] = 1, b[9] = b[10] = b[11] = 0;
            NT_CHECK(nt_write_file(nrc, b, nb) == 0);
            NT_CHECK(nr_ds_load_curves(&m, ik, &c) == NR_ERR_VERSION);
            old_curves = 1;
        }
        free(b);
    } else {
        NT_CHECK(ar == NR_ERR_UNSUPPORTED && st.curves_missing == m.n && !strcmp(m.e[ik].curves, "-"));
    }

    /* Splits follow the group's hash. */
    for (int i = 0; i < m.n; i++)
        if (strcmp(m.e[i].source, "augment")) NT_CHECK(m.e[i].split == nr_split_of_key(m.e[i].group));

    /* Augmentation: booms made from each split's sounds, in the split of their parents. */
    NT_CHECKF(st.augmented >= 1, "augmented %d", st.augmented);
    for (int i = 0; i < m.n; i++) {
        if (strcmp(m.e[i].source, "augment")) continue;
        NT_CHECK(!strcmp(m.e[i].cls, "boom") && m.e[i].duration <= 7.0 + 1e-9);
        const char *par = strstr(m.e[i].origin, "parents=");
        NT_CHECK(par != NULL);
        if (!par) continue;
        char h[17];
        memcpy(h, par + 8, 16);
        h[16] = '\0';
        for (int j = 0; j < m.n; j++)
            if (!strcmp(m.e[j].hash, h)) NT_CHECK(m.e[j].split == m.e[i].split);
    }

    /* A second run reuses the cache and gives the same manifest, byte for byte. */
    char path[700];
    snprintf(path, sizeof path, "%s/manifest.tsv", out);
    size_t n1, n2;
    char *t1 = nt_read_file(path, &n1);
    nr_manifest m2;
    ds_build_stats st2;
    NT_CHECKF(ds_build(&cfg, &m2, &st2) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(st2.cached == 3 && st2.kept == 3 && st2.rejected == 2, "cached %d kept %d rejected %d", st2.cached,
              st2.kept, st2.rejected);
    if (old_curves) {
        nr_curves c;
        NT_CHECKF(st2.curves_new == 1 && st2.curves_cached == m.n - 1, "curves: %d new, %d cached", st2.curves_new,
                  st2.curves_cached);
        NT_CHECKF(nr_ds_load_curves(&m, ik, &c) == NR_OK, "%s", nr_last_error());
        nr_curves_free(&c);
    }
    char *t2 = nt_read_file(path, &n2);
    NT_CHECK(t1 && t2 && n1 == n2 && !memcmp(t1, t2, n1));
    free(t1);
    free(t2);
    nr_manifest_free(&m2);

    /* --prune removes what the manifest no longer lists, and only that. */
    char stale[700];
    snprintf(stale, sizeof stale, "%s/audio/0123456789abcdef.flac", out);
    NT_CHECK(nt_write_file(stale, "x", 1) == 0);
    snprintf(path, sizeof path, "%s/audio/notes.txt", out);
    NT_CHECK(nt_write_file(path, "x", 1) == 0);
    cfg.prune = 1;
    NT_CHECK(ds_build(&cfg, &m2, &st2) == NR_OK);
    nr_manifest_free(&m2);
    FILE *sf = fopen(stale, "rb"), *nf = fopen(path, "rb");
    NT_CHECK(sf == NULL && nf != NULL);
    if (sf) fclose(sf);
    if (nf) fclose(nf);
    snprintf(path, sizeof path, "%s/%s", out, m.e[ik].audio);
    nf = fopen(path, "rb");
    NT_CHECK(nf != NULL);
    if (nf) fclose(nf);

    /* Round trip through the reader. */
    nr_manifest r;
    NT_CHECKF(nr_manifest_read(out, &r) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(r.n == m.n, "read %d entries, wrote %d", r.n, m.n);
    for (int i = 0; i < r.n && i < m.n; i++) {
        NT_CHECK(!strcmp(r.e[i].hash, m.e[i].hash) && r.e[i].split == m.e[i].split &&
                 !strcmp(r.e[i].cls, m.e[i].cls) && !strcmp(r.e[i].origin, m.e[i].origin) &&
                 r.e[i].n_samples == m.e[i].n_samples && fabs(r.e[i].duration - m.e[i].duration) < 1e-6);
    }
    int count = 0, it = -1, i;
    while ((i = nr_manifest_next(&r, NR_SPLIT_TRAIN, &it)) >= 0) {
        NT_CHECK(r.e[i].split == NR_SPLIT_TRAIN);
        count++;
    }
    NT_CHECK(count == nr_manifest_count(&r, NR_SPLIT_TRAIN));
    NT_CHECK(nr_manifest_count(&r, NR_SPLIT_TRAIN) + nr_manifest_count(&r, NR_SPLIT_VALID) +
                 nr_manifest_count(&r, NR_SPLIT_TEST) == r.n);

    /* A damaged audio file is reported, not fatal. */
    snprintf(path, sizeof path, "%s/%s", out, r.e[0].audio);
    NT_CHECK(nt_write_file(path, "fLaC broken", 11) == 0);
    nr_clear_error();
    NT_CHECK(nr_ds_load_audio(&r, 0, 0, &a) != NR_OK && strstr(nr_last_error(), r.e[0].hash));
    NT_CHECK(nr_ds_load_audio(&r, r.n, 0, &a) == NR_ERR_ARG);
    nr_manifest_free(&r);
    nr_manifest_free(&m);
}

/* ds_build with its stderr (the skip reports) caught; returns the text (malloc'd). */
static char *build_caught(ds_build_config *cfg, nr_manifest *m, ds_build_stats *st, nr_result *r)
{
    int cap = nt_stderr_begin();
    *r = ds_build(cfg, m, st);
    char *text = nt_stderr_end(cap);
    if (text) fputs(text, stdout);
    return text;
}

/* Copy a file, keeping the first `keep` (0..1) of its bytes: a copy interrupted half-way. */
static void copy_cut(const char *from, const char *to, double keep)
{
    size_t n;
    char *b = nt_read_file(from, &n);
    NT_CHECK(b && nt_write_file(to, b, (size_t)(n * keep)) == 0);
    free(b);
}

/* Source files cut short are skipped with a message naming each; a stored file cut short is an error
 * for its readers (the trainer skips it) and is made again by the next build. */
static void test_truncated_files(void)
{
    char dir[600], p[700], q[700];
    snprintf(dir, sizeof dir, "%s", nt_tmp("cutsrc"));
    mkdir(dir, 0777);
    long n;
    float *k = kick(&n, 1.0);
    snprintf(p, sizeof p, "%s/kick.wav", dir);
    NT_CHECK(write_wav(p, k, n, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16) == 0);
    static const struct {
        const char *name;
        int format;
    } cut[] = {{"cut_snare.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16},
               {"cut_tom.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24},
               {"cut_clap.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16}};
    for (int i = 0; i < 3; i++) {
        snprintf(q, sizeof q, "%s/whole_%s", nt_tmpdir(), cut[i].name);
        NT_CHECK(write_wav(q, k, n, 1, cut[i].format) == 0);
        snprintf(p, sizeof p, "%s/%s", dir, cut[i].name);
        copy_cut(q, p, 0.6);
    }
    free(k);
    ds_source src[1] = {{"cut", "test-package", DS_KIND_FILES, dir, "CC0-1.0", NULL, NULL, NULL, NULL, 0}};
    char out[600];
    snprintf(out, sizeof out, "%s", nt_tmp("cutout"));
    ds_build_config cfg = config(out);
    cfg.src = src;
    cfg.n_booms = 0;
    nr_manifest m;
    ds_build_stats st;
    nr_result r;
    for (int run = 0; run < 2; run++) { /* the second run finds them in its cache and says so again */
        char *log = build_caught(&cfg, &m, &st, &r);
        NT_CHECKF(r == NR_OK, "%s", nr_last_error());
        NT_CHECKF(st.kept == 1 && st.failed == 3, "run %d: kept %d cached %d failed %d", run, st.kept,
                  st.cached, st.failed);
        for (int i = 0; i < 3; i++) {
            const char *at = log ? strstr(log, cut[i].name) : NULL;
            const char *eol = at ? strchr(at, '\n') : NULL;
            NT_CHECKF(at && eol && strstr(log, "skipped") && strstr(at, "truncated") < eol, "run %d: %s not reported",
                      run, cut[i].name);
        }
        free(log);
        if (run == 0) nr_manifest_free(&m);
    }
    NT_CHECK(m.n == 1);
    if (m.n != 1) return nr_manifest_free(&m);
    /* the stored FLAC cut short: the loader the trainer uses refuses it, naming it */
    snprintf(p, sizeof p, "%s/%s", out, m.e[0].audio);
    snprintf(q, sizeof q, "%s/whole.flac", nt_tmpdir());
    copy_cut(p, q, 1.0);
    copy_cut(q, p, 0.5);
    nr_audio a;
    NT_CHECK(nr_ds_load_audio(&m, 0, 0, &a) == NR_ERR_FORMAT && strstr(nr_last_error(), p) &&
             strstr(nr_last_error(), "truncated"));
    /* the next build notices it and writes it again */
    nr_manifest_free(&m);
    char *log = build_caught(&cfg, &m, &st, &r);
    NT_CHECKF(r == NR_OK && log && strstr(log, "made again"), "%s", nr_last_error());
    free(log);
    NT_CHECKF(m.n == 1 && nr_ds_load_audio(&m, 0, 0, &a) == NR_OK, "%s", nr_last_error());
    ds_audio_release(&a);
    nr_manifest_free(&m);
}

/* Files in dir whose name holds ".tmp." (a temporary file left behind). */
static int temps_left(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '\\.tmp\\.'", dir);
    return system(cmd) == 0;
}

/* The data-set writers replace a file only once the new one is complete: a write that fails half-way
 * (here the file-size limit, which fails write() as a full disk does) or a folder where nothing can
 * be created leaves the previous file as it was, no temporary file, and a message naming the file. */
static void test_writes_keep_old_file(void)
{
    char dir[600], man[700], nrc[700], flac[700];
    snprintf(dir, sizeof dir, "%s", nt_tmp("atomic"));
    mkdir(dir, 0777);
    snprintf(man, sizeof man, "%s/manifest.tsv", dir);
    snprintf(nrc, sizeof nrc, "%s/x.nrc", dir);
    snprintf(flac, sizeof flac, "%s/x.flac", dir);

    nr_manifest m = {0};
    nr_ds_entry e = {0};
    snprintf(e.hash, sizeof e.hash, "0123456789abcdef");
    snprintf(e.cls, sizeof e.cls, "kick");
    snprintf(e.audio, sizeof e.audio, "audio/0123456789abcdef.flac");
    snprintf(e.curves, sizeof e.curves, "-");
    e.duration = 0.5, e.n_samples = 24000, e.rate = 48000;
    NT_CHECK(nr_manifest_add(&m, &e) == NR_OK);
    NT_CHECKF(nr_manifest_write(man, &m) == NR_OK, "%s", nr_last_error());
    nr_curves c;
    NT_CHECK(nr_curves_alloc(&c, 4, 43.0f) == NR_OK);
    NT_CHECKF(nr_curves_cache_write(nrc, &c) == NR_OK, "%s", nr_last_error());
    float small[64] = {0.5f};
    NT_CHECKF(ds_write_flac(flac, small, 64, 48000) == NR_OK, "%s", nr_last_error());
    size_t n_man, n_nrc, n_flac;
    char *old_man = nt_read_file(man, &n_man), *old_nrc = nt_read_file(nrc, &n_nrc),
         *old_flac = nt_read_file(flac, &n_flac);
    NT_CHECK(old_man && old_nrc && old_flac);

    /* bigger versions of each, past a 16 KiB file-size limit */
    for (int i = 0; i < 999; i++) NT_CHECK(nr_manifest_add(&m, &e) == NR_OK);
    nr_curves big;
    NT_CHECK(nr_curves_alloc(&big, 4000, 43.0f) == NR_OK);
    long nf = 48000;
    float *noise = malloc((size_t)nf * sizeof *noise);
    unsigned seed = 1;
    for (long i = 0; i < nf; i++) noise[i] = (float)((seed = seed * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
    NT_CHECK(nt_file_size_limit(16 * 1024) == 0);
    nr_result r1 = nr_manifest_write(man, &m);
    char msg1[512];
    snprintf(msg1, sizeof msg1, "%s", nr_last_error());
    nr_result r2 = nr_curves_cache_write(nrc, &big);
    char msg2[512];
    snprintf(msg2, sizeof msg2, "%s", nr_last_error());
    nr_result r3 = ds_write_flac(flac, noise, nf, 48000);
    char msg3[512];
    snprintf(msg3, sizeof msg3, "%s", nr_last_error());
    nt_file_size_limit(0);
    NT_CHECKF(r1 == NR_ERR_IO && strstr(msg1, man) && strstr(msg1, "unchanged"), "%s", msg1);
    NT_CHECKF(r2 == NR_ERR_IO && strstr(msg2, nrc) && strstr(msg2, "unchanged"), "%s", msg2);
    NT_CHECKF(r3 == NR_ERR_IO && strstr(msg3, flac) && strstr(msg3, "unchanged"), "%s", msg3);
    size_t k;
    char *now = nt_read_file(man, &k);
    NT_CHECK(now && k == n_man && !memcmp(now, old_man, k));
    free(now);
    now = nt_read_file(nrc, &k);
    NT_CHECK(now && k == n_nrc && !memcmp(now, old_nrc, k));
    free(now);
    now = nt_read_file(flac, &k);
    NT_CHECK(now && k == n_flac && !memcmp(now, old_flac, k));
    free(now);
    NT_CHECK(!temps_left(dir));
    /* without the limit the same writes go through */
    NT_CHECKF(nr_manifest_write(man, &m) == NR_OK && ds_write_flac(flac, noise, nf, 48000) == NR_OK, "%s",
              nr_last_error());
    nr_manifest back;
    NT_CHECK(nr_manifest_read(man, &back) == NR_OK && back.n == 1000);
    nr_manifest_free(&back);

    /* a folder where no file can be created (even by root): /proc */
    NT_CHECK(nr_manifest_write("/proc/manifest.tsv", &m) == NR_ERR_IO &&
             strstr(nr_last_error(), "/proc/manifest.tsv: cannot create"));
    NT_CHECK(ds_write_flac("/proc/x.flac", small, 64, 48000) == NR_ERR_IO && strstr(nr_last_error(), "/proc/x.flac"));
    NT_CHECK(nr_curves_cache_write("/proc/x.nrc", &c) == NR_ERR_IO && strstr(nr_last_error(), "/proc/x.nrc"));

    free(noise);
    free(old_man), free(old_nrc), free(old_flac);
    nr_curves_free(&c);
    nr_curves_free(&big);
    nr_manifest_free(&m);
}

static void test_manifest_bad_rows(void)
{
    const char *dir = nt_tmp("bad");
    mkdir(dir, 0777);
    char path[600];
    snprintf(path, sizeof path, "%s/manifest.tsv", dir);
    const char *text = NR_MANIFEST_MAGIC "\n"
        "hash\tsplit\tclass\tsource\tpackage\tlicence\tduration_s\tn_samples\trate\tgroup\taudio\tcurves\torigin\n"
        "0123456789abcdef\ttrain\tkick\ts\tp\tCC0-1.0\t0.5\t24000\t48000\tg\taudio/a.flac\t-\to\n"
        "0123456789abcdeX\ttrain\tkick\ts\tp\tCC0-1.0\t0.5\t24000\t48000\tg\taudio/a.flac\t-\to\n"
        "0123456789abcdef\tnope\tkick\ts\tp\tCC0-1.0\t0.5\t24000\t48000\tg\taudio/a.flac\t-\to\n"
        "0123456789abcdef\ttest\tkick\ts\tp\tCC0-1.0\tnan\t24000\t48000\tg\taudio/a.flac\t-\to\n"
        "0123456789abcdef\ttest\tkick\ts\tp\tCC0-1.0\t0.5\t24000\t48000\tg\t../../etc/passwd\t-\to\n"
        "0123456789abcdef\ttest\tkick\ts\tp\n"
        "fedcba9876543210\tvalid\tsnare\ts\tp\tGPL-2\t1.5\t72000\t48000\tg2\taudio/b.flac\tcurves/b.nrc\to2\n";
    NT_CHECK(nt_write_file(path, text, strlen(text)) == 0);
    nr_manifest m;
    NT_CHECKF(nr_manifest_read(path, &m) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(m.n == 2, "%d good rows, expected 2", m.n);
    if (m.n == 2) {
        NT_CHECK(m.e[1].split == NR_SPLIT_VALID && m.e[1].rate == 48000 && !strcmp(m.e[1].curves, "curves/b.nrc"));
        nr_audio a;
        NT_CHECK(nr_ds_load_audio(&m, 0, 0, &a) == NR_ERR_IO && strstr(nr_last_error(), "audio/a.flac")); /* missing */
        nr_curves c;
        NT_CHECK(nr_ds_load_curves(&m, 0, &c) == NR_ERR_IO && strstr(nr_last_error(), "no cached curves"));
    }
    nr_manifest_free(&m);
    const char *v2 = "#neurorack-manifest 2\nhash\tsplit\n";
    NT_CHECK(nt_write_file(path, v2, strlen(v2)) == 0);
    NT_CHECK(nr_manifest_read(path, &m) == NR_ERR_VERSION);
    NT_CHECK(nr_manifest_read(nt_tmp("nowhere"), &m) == NR_ERR_IO);
}

/* stderr into a file while fn runs; returns what was written (malloc'd, NUL-terminated). */
static char *stderr_of(void (*fn)(void *), void *arg)
{
    int cap = nt_stderr_begin();
    fn(arg);
    return nt_stderr_end(cap);
}

typedef struct {
    const char *path;
    nr_manifest m;
    nr_result r;
    ds_cache c;
    int skipped;
} read_call;

static void read_manifest(void *arg)
{
    read_call *rc = arg;
    rc->r = nr_manifest_read(rc->path, &rc->m);
}

static void read_cache(void *arg)
{
    read_call *rc = arg;
    rc->skipped = ds_cache_load(rc->path, &rc->c);
}

/* Lines are read with a bound (src/io/line_reader.h): an over-long row or one holding a NUL byte is skipped
 * with a warning naming the file and the line, and the rows after it are read as they are. */
static void test_manifest_long_lines(void)
{
    const char *dir = nt_tmp("long");
    mkdir(dir, 0777);
    char path[600];
    snprintf(path, sizeof path, "%s/manifest.tsv", dir);
    static const char head[] = NR_MANIFEST_MAGIC "\n"
        "hash\tsplit\tclass\tsource\tpackage\tlicence\tduration_s\tn_samples\trate\tgroup\taudio\tcurves\torigin\n";
    static const char good[] = "0123456789abcdef\ttrain\tkick\ts\tp\tCC0-1.0\t0.5\t24000\t48000\tg\taudio/a.flac\t-\to\n";
    static const char nul[] = "fedcba9876543210\ttest\tkick\ts\tp\tCC0-1.0\t0.5\t24000\t48000\tg\taudio/b.flac\t-\to\0x\n";
    char *text = malloc(20000);
    size_t n = 0;
    memcpy(text + n, head, sizeof head - 1), n += sizeof head - 1;
    memcpy(text + n, good, sizeof good - 1), n += sizeof good - 1;    /* line 3 */
    memset(text + n, 'a', 9000), n += 9000, text[n++] = '\n';        /* line 4: over the 4096-byte limit */
    memcpy(text + n, nul, sizeof nul - 1), n += sizeof nul - 1;       /* line 5: a NUL in the last field */
    memcpy(text + n, good, sizeof good - 1), n += sizeof good - 1;    /* line 6 */
    NT_CHECK(nt_write_file(path, text, n) == 0);
    free(text);
    read_call rc = {.path = path};
    char *err = stderr_of(read_manifest, &rc);
    NT_CHECKF(rc.r == NR_OK && rc.m.n == 2, "%s; %d rows, expected 2", nr_result_str(rc.r), rc.m.n);
    char want[700];
    snprintf(want, sizeof want, "%s:4: line 4 is longer than 4096 bytes", path);
    NT_CHECKF(err && strstr(err, want), "stderr '%s' lacks '%s'", err ? err : "", want);
    snprintf(want, sizeof want, "%s:5: line 5 holds a NUL byte", path);
    NT_CHECKF(err && strstr(err, want), "stderr '%s' lacks '%s'", err ? err : "", want);
    free(err);
    nr_manifest_free(&rc.m);
}

/* The builder's cache.tsv: an over-long line is skipped whole (never read as a row from its tail), with a
 * warning naming the file and line; a torn last line is dropped. */
static void test_cache_long_lines(void)
{
    const char *path = nt_tmp("cache.tsv");
    char *text = malloc(20000);
    size_t n = (size_t)sprintf(text, "src/a.wav\tok 0123456789abcdef\n");  /* line 1 */
    memset(text + n, 'k', 3000), n += 3000;                            /* line 2: key of 3000 bytes */
    n += (size_t)sprintf(text + n, "\tok fedcba9876543210\n");
    n += (size_t)sprintf(text + n, "src/b.wav\tbad silent\n");         /* line 3 */
    n += (size_t)sprintf(text + n, "src/c.wav\tok 00000000");          /* torn */
    NT_CHECK(nt_write_file(path, text, n) == 0);
    free(text);
    read_call rc = {.path = path};
    char *err = stderr_of(read_cache, &rc);
    NT_CHECKF(rc.c.n == 2 && rc.skipped == 1, "%d rows (expected 2), %d skipped (expected 1)", rc.c.n, rc.skipped);
    if (rc.c.n == 2)
        NT_CHECK(!strcmp(rc.c.rows[0].key, "src/a.wav") && !strcmp(rc.c.rows[1].val, "bad silent"));
    char want[700];
    snprintf(want, sizeof want, "%s:2: line 2 is longer than %d bytes", path, DS_CACHE_MAX_LINE);
    NT_CHECKF(err && strstr(err, want), "stderr '%s' lacks '%s'", err ? err : "", want);
    free(err);
    ds_cache_free(&rc.c);
}

static void test_split_stable(void)
{
    /* Fixed by the key alone, and close to 80/10/10 over many keys. */
    int c[NR_SPLIT_COUNT] = {0};
    char key[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "hydrogen/kit%d/Snare %d", i % 37, i);
        nr_split s = nr_split_of_key(key);
        NT_CHECK(s == nr_split_of_key(key));
        c[s]++;
    }
    NT_CHECKF(abs(c[0] - 16000) < 300 && abs(c[1] - 2000) < 200 && abs(c[2] - 2000) < 200, "%d %d %d", c[0], c[1],
              c[2]);
    /* The split of a key never changes between versions: pinned values. */
    NT_CHECK(nr_split_of_key("") == nr_split_of_key(""));
    NT_CHECK(nr_split_parse("valid") == NR_SPLIT_VALID && nr_split_parse("x") == NR_SPLIT_COUNT);
}

static void test_near_duplicates(void)
{
    long n = 20000;
    float *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b), *d = malloc((size_t)n * sizeof *d);
    for (long i = 0; i < n; i++) {
        double t = i / 48000.0;
        a[i] = (float)(0.9 * exp(-t / 0.1) * sin(2 * M_PI * 80 * t));
        b[i] = a[i] * 0.25f + 1e-4f * (float)((i * 7919 % 200) - 100) / 100.0f; /* quieter, dithered */
        d[i] = (float)(0.9 * exp(-t / 0.1) * sin(2 * M_PI * 95 * t));           /* another drum */
    }
    nr_audio aa = {a, n, 48000}, bb = {b, n, 48000};
    ds_params p = ds_params_default();
    NT_CHECK(ds_process(&aa, &p) == NR_OK && ds_process(&bb, &p) == NR_OK);
    ds_fingerprint *fa = malloc(sizeof *fa), *fb = malloc(sizeof *fb), *fd = malloc(sizeof *fd);
    ds_fingerprint_make(aa.samples, aa.n, 48000, fa);
    ds_fingerprint_make(bb.samples, bb.n, 48000, fb);
    ds_fingerprint_make(d, n, 48000, fd);
    NT_CHECK(ds_fingerprint_same(fa, fb));
    NT_CHECK(!ds_fingerprint_same(fa, fd));
    /* the same sound starting 20 samples later (another decoder's trimming): still the same */
    ds_fingerprint_make(aa.samples + 20, aa.n - 20, 48000, fb);
    NT_CHECK(ds_fingerprint_same(fa, fb));
    /* the same attack with a tail 6 dB louder: not the same */
    for (long i = aa.n / 4; i < aa.n; i++) bb.samples[i] = aa.samples[i] * 2.0f;
    ds_fingerprint_make(bb.samples, bb.n, 48000, fb);
    NT_CHECK(!ds_fingerprint_same(fa, fb));
    NT_CHECK(ds_hash_audio(aa.samples, aa.n, 48000) != ds_hash_audio(bb.samples, bb.n, 48000));
    free(fa), free(fb), free(fd), free(a), free(b), free(d);
}

static int is_class(const char *got, const char *want) { return got && !strcmp(got, want); }

static void test_classes_and_curves_cache(void)
{
    NT_CHECK(is_class(ds_class_from_text("PearlKick-Hard"), "kick")); /* CamelCase words */
    NT_CHECK(is_class(ds_class_from_text("drums/hihat_closed01.ogg"), "hat"));
    NT_CHECK(is_class(ds_class_from_text("bd_808"), "kick"));
    NT_CHECK(is_class(ds_class_from_text("Brush Snr 2(L)"), "snare"));
    NT_CHECK(is_class(ds_class_from_text("audio/attack/impact/shield_metal_01.ogg"), "metal"));
    NT_CHECK(ds_class_from_text("bottom") == NULL); /* "tom" only at the start of a word */
    NT_CHECK(is_class(ds_class_from_gm_key(36), "kick") && ds_class_from_gm_key(72) == NULL);
    NT_CHECK(ds_not_impact("EE_Whistle") && !ds_not_impact("Tom Low"));
    /* game sound effects (sources with a default class): their own words and classes; drum words that
     * hide inside their names do not win */
    NT_CHECK(is_class(ds_class_from_effect_text("audio/attack/impact/arrow_dirt_01.ogg"), "hit"));
    NT_CHECK(is_class(ds_class_from_effect_text("audio/attack/impact/arrow_metal_01.ogg"), "metal"));
    NT_CHECK(is_class(ds_class_from_effect_text("hatchet.wav"), "hit"));                  /* not "hat" */
    NT_CHECK(is_class(ds_class_from_effect_text("sound/weapons/rocket/rocklx1a.wav"), "explosion")); /* not "rock" */
    NT_CHECK(is_class(ds_class_from_effect_text("factions/magic/units/dragon_rider/sounds/dr_attack.wav"), "magic"));
    NT_CHECK(is_class(ds_class_from_effect_text("audio/sfx/explons/lrgexpl.ogg"), "explosion"));
    NT_CHECK(is_class(ds_class_from_effect_text("audio/sfx/explons/richet1.ogg"), "hit")); /* a ricochet */
    NT_CHECK(is_class(ds_class_from_effect_text("audio/sfx/explons/bldfall.ogg"), "crash")); /* building fall */
    NT_CHECK(is_class(ds_class_from_effect_text("sound/weapons/grenade-bounce.ogg"), "hit"));
    NT_CHECK(is_class(ds_class_from_effect_text("sound/misc/breakglass03.ogg"), "crash"));
    NT_CHECK(is_class(ds_class_from_effect_text("audio/attack/destruction/building_collapse_large_01.ogg"), "crash"));
    NT_CHECK(is_class(ds_class_from_effect_text("sound/weapons/melee-swoosh.ogg"), "whoosh"));
    NT_CHECK(is_class(ds_class_from_effect_text("magic-holy-2.ogg"), "magic"));
    NT_CHECK(ds_class_from_effect_text("commondata/sounds/tower_attack1.wav") == NULL); /* the source's default */
    /* ... while drum names keep the drum words' classes */
    NT_CHECK(ds_class_from_text("HardElectro1/Hard_CHH_01.flac") == NULL);   /* no spell */
    NT_CHECK(is_class(ds_class_from_text("VariBreaks/VP Drum.flac"), "perc")); /* no crash */
    NT_CHECK(is_class(ds_class_from_text("Crash Cymbal 1"), "cymbal"));
    NT_CHECK(is_class(ds_class_from_text("MBass-5 hit 4"), "perc"));
    NT_CHECK(is_class(ds_class_from_text("effects/explode01.ogg"), "boom"));
    /* long and dark: a boom; short: as named */
    long len = 96000;
    float *x = malloc((size_t)len * sizeof *x);
    for (long i = 0; i < len; i++) x[i] = (float)(exp(-i / 30000.0) * sin(2 * M_PI * 45.0 * i / 48000.0));
    NT_CHECK(is_class(ds_class_refine("kick", x, len, 48000), "boom"));
    NT_CHECK(is_class(ds_class_refine("kick", x, 4800, 48000), "kick"));
    NT_CHECK(is_class(ds_class_refine("cymbal", x, len, 48000), "cymbal"));
    NT_CHECK(is_class(ds_class_refine("hit", x, len, 48000), "boom"));
    NT_CHECK(is_class(ds_class_refine("explosion", x, len, 48000), "explosion"));
    free(x);

    nr_curves c;
    NT_CHECK(nr_curves_alloc(&c, 5, 22050.0f / 512.0f) == NR_OK);
    for (int i = 0; i < 5 * NR_NUM_DESC; i++) c.data[i] = (float)i * 0.5f;
    const char *p = nt_tmp("x.nrc");
    NT_CHECKF(nr_curves_cache_write(p, &c) == NR_OK, "%s", nr_last_error());
    nr_curves r;
    NT_CHECKF(nr_curves_cache_read(p, &r) == NR_OK, "%s", nr_last_error());
    NT_CHECK(r.n_frames == 5 && fabsf(r.frame_rate - c.frame_rate) < 1e-6f && r.data &&
             !memcmp(r.data, c.data, 5 * NR_NUM_DESC * sizeof(float)));
    nr_curves_free(&r);
    size_t n;
    char *bytes = nt_read_file(p, &n);
    NT_CHECK(bytes && n == 32 + 5 * 7 * 4);
    if (bytes) {
        bytes[40] ^= 1; /* one flipped bit in the data: the checksum catches it */
        NT_CHECK(nt_write_file(p, bytes, n) == 0);
        NT_CHECK(nr_curves_cache_read(p, &r) == NR_ERR_FORMAT);
        NT_CHECK(nt_write_file(p, bytes, 20) == 0);
        NT_CHECK(nr_curves_cache_read(p, &r) != NR_OK);
        free(bytes);
    }
    nr_curves_free(&c);
}

/* The built-in table: every source names its package (and data/recipe.sh installs it), a licence, a
 * root; the include and exclude patterns keep one-shot impacts and leave voices, loops and UI sounds. */
static const ds_source *source_with_root(const char *root_tail)
{
    int n;
    const ds_source *s = ds_sources(&n);
    for (int i = 0; i < n; i++) {
        size_t a = strlen(s[i].root), b = strlen(root_tail);
        if (a >= b && !strcmp(s[i].root + a - b, root_tail)) return &s[i];
    }
    return NULL;
}

static int wants(const char *root_tail, const char *rel)
{
    const ds_source *s = source_with_root(root_tail);
    NT_CHECKF(s != NULL, "no source with root ...%s", root_tail);
    return s && ds_source_wants(s, rel);
}

static void test_source_table(void)
{
    int n;
    const ds_source *s = ds_sources(&n);
    const char *pk = ds_source_packages();
    NT_CHECK(n >= 15);
    for (int i = 0; i < n; i++) {
        NT_CHECKF(s[i].name && s[i].package && s[i].root && s[i].licence && s[i].licence[0], "source %d", i);
        char word[80];
        snprintf(word, sizeof word, "%s", s[i].package);
        const char *p = strstr(pk, word);
        size_t l = strlen(word);
        NT_CHECKF(p && (p == pk || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\0'), "%s not in --packages", word);
        /* an earlier row of the same name is the same package (a source with several files) */
        for (int j = 0; j < i; j++)
            if (!strcmp(s[i].name, s[j].name)) NT_CHECK(!strcmp(s[i].package, s[j].package));
    }
    /* wesnoth: weapons and spells, not the creatures' cries nor the swings that miss */
    NT_CHECK(wants("1.16/data/core/sounds", "mace.ogg") && wants("1.16/data/core/sounds", "magic-holy-1.ogg"));
    NT_CHECK(!wants("1.16/data/core/sounds", "human-hit-1.ogg") && !wants("1.16/data/core/sounds", "mace-miss.ogg"));
    NT_CHECK(!wants("1.16/data/core/sounds", "wolf-growl-1.ogg"));
    /* megaglest: attacks and hits, not the unit voices, walking or the berserkers' reversed copies */
    NT_CHECK(wants("techs/megapack", "commondata/sounds/anvil1.wav"));
    NT_CHECK(wants("techs/megapack", "factions/tech/units/battle_machine/sounds/machine_attack1.wav"));
    NT_CHECK(!wants("techs/megapack", "factions/tech/units/worker/sounds/worker_ack1.wav"));
    NT_CHECK(!wants("techs/megapack", "commondata/sounds/catapult_walk1.wav"));
    NT_CHECK(!wants("techs/megapack", "factions/norsemen/units/spearman_berserk/sounds/swordman_attack1.wav"));
    NT_CHECK(!wants("techs/megapack", "factions/indian/units/bull/sounds/bull_attack1.wav")); /* a moo */
    /* ufoai: single shots and impacts, not bursts, reloads or opening doors */
    NT_CHECK(wants("0snd.pk3", "sound/weapons/explosion-rocket.ogg") && wants("0snd.pk3", "sound/impact/nail-impact.ogg"));
    NT_CHECK(!wants("0snd.pk3", "sound/weapons/bullet-smg-5x.ogg") && !wants("0snd.pk3", "sound/weapons/reload-smg.ogg"));
    NT_CHECK(wants("0snd.pk3", "sound/doors/door1-close.ogg") && !wants("0snd.pk3", "sound/doors/door1-open.ogg"));
    NT_CHECK(!wants("0snd.pk3", "sound/footsteps/grass1.ogg") && !wants("0snd.pk3", "sound/ambience/rain.ogg"));
    /* hedgewars: not the voices, not the rattling guns */
    NT_CHECK(wants("Data/Sounds", "explosion.ogg") && !wants("Data/Sounds", "voices/Pirate/explosion.ogg"));
    NT_CHECK(!wants("Data/Sounds", "minigun.ogg") && wants("Data/Sounds", "gun.ogg"));
    NT_CHECK(!wants("Data/Sounds", "pickhammer.ogg") && wants("Data/Sounds", "hammer.ogg"));
    /* openarena: shots and explosions, not hums */
    NT_CHECK(wants("baseoa/pak0.pk3", "sound/weapons/rocket/rocklx1a.wav"));
    NT_CHECK(!wants("baseoa/pak0.pk3", "sound/weapons/bfg/bfg_hum.wav"));
    NT_CHECK(!wants("baseoa/pak0.pk3", "sound/player/sarge/pain25_1.wav"));
    /* warzone2100: explosions, not the spoken messages or machine-gun bursts */
    NT_CHECK(wants("warzone2100/base.wz", "audio/sfx/explons/lrgexpl.ogg"));
    NT_CHECK(!wants("warzone2100/base.wz", "audio/sfx/weapons/mgbar1.ogg"));
    NT_CHECK(!wants("warzone2100/base.wz", "audio/tutorial/tut1.ogg"));
    /* 0ad: the old impacts and the new weapon and mining sounds, not arrows in flight or voices */
    NT_CHECK(wants("public/public.zip", "audio/attack/weapon/swordhit_10a.ogg"));
    NT_CHECK(wants("public/public.zip", "audio/resource/mining/mine_metal_01.ogg"));
    NT_CHECK(!wants("public/public.zip", "audio/attack/weapon/arrowfly_01.ogg"));
    NT_CHECK(!wants("public/public.zip", "audio/voice/greek/civ/civ_male_attack.ogg"));
    /* redeclipse: explosions and hits, not announcer or ambience */
    NT_CHECK(wants("data/sounds", "weapons/rocket/primary.ogg") && wants("data/sounds", "sfx/debris2.ogg"));
    NT_CHECK(!wants("data/sounds", "announcer/youwin.ogg") && !wants("data/sounds", "ambience/wind.ogg"));
    NT_CHECK(!wants("data/sounds", "sfx/damage2.ogg")); /* a tonal hit marker (seen in its spectrogram) */
    /* per-file licences (copyright files) */
    const ds_source *u = source_with_root("0snd.pk3");
    NT_CHECK(u && u->licence_of && !strcmp(u->licence_of("sound/misc/breakwood03.ogg"), "public-domain"));
    NT_CHECK(u && u->licence_of && !strcmp(u->licence_of("sound/weapons/explosion.ogg"), "CC-BY-SA-3.0"));
    const ds_source *h = source_with_root("Data/Sounds");
    NT_CHECK(h && !strcmp(h->licence, "GFDL-1.3") && h->cls && !strcmp(h->cls, "hit"));
}

/* A source's default class for sounds whose names say nothing, and its per-file licence. */
static const char *lic_by_name(const char *rel) { return strstr(rel, "gpl") ? "GPL-2+" : "CC-BY-SA-3.0"; }

static void test_source_default_class(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", nt_tmp("fx"));
    mkdir(dir, 0777);
    long n;
    float *x = noise_burst(&n, 5, 0.1);
    char p[700];
    snprintf(p, sizeof p, "%s/tower_attack1.wav", dir);
    NT_CHECK(write_wav(p, x, n, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16) == 0);
    free(x);
    x = noise_burst(&n, 11, 0.15);
    snprintf(p, sizeof p, "%s/gpl_breakglass.wav", dir);
    NT_CHECK(write_wav(p, x, n, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16) == 0);
    free(x);
    x = noise_burst(&n, 13, 0.15);
    snprintf(p, sizeof p, "%s/unit_ack1.wav", dir); /* excluded by the pattern */
    NT_CHECK(write_wav(p, x, n, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16) == 0);
    free(x);
    ds_source src[1] = {{"game", "test-package", DS_KIND_FILES, dir, "CC-BY-SA-3.0", "attack|break", "_ack",
                         lic_by_name, NULL, 0, "hit"}};
    ds_build_config c = ds_build_config_default();
    c.out_dir = nt_tmp("fx-out");
    c.src = src;
    c.n_src = 1;
    c.n_booms = 0;
    c.analyze = 0;
    nr_manifest m;
    ds_build_stats st;
    NT_CHECKF(ds_build(&c, &m, &st) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(m.n == 2, "%d kept", m.n);
    int t = find_origin(&m, "/tower_attack1.wav"), g = find_origin(&m, "/gpl_breakglass.wav");
    NT_CHECK(t >= 0 && g >= 0 && find_origin(&m, "/unit_ack1.wav") < 0);
    if (t >= 0) NT_CHECK(!strcmp(m.e[t].cls, "hit") && !strcmp(m.e[t].licence, "CC-BY-SA-3.0"));
    if (g >= 0) NT_CHECK(!strcmp(m.e[g].cls, "crash") && !strcmp(m.e[g].licence, "GPL-2+"));
    nr_manifest_free(&m);
}

/* On a machine with hedgewars-data installed (a small package of the table): the real source builds,
 * and what it keeps are impacts, none of the voices. */
static void test_installed_source(void)
{
    const ds_source *h = source_with_root("Data/Sounds");
    struct stat sb;
    if (!h || stat(h->root, &sb) != 0) {
        char why[600];
        snprintf(why, sizeof why, "%s not installed (%s absent)", h ? h->package : "hedgewars-data", h ? h->root : "");
        nt_skip(why);
        return;
    }
    ds_build_config c = ds_build_config_default();
    c.out_dir = nt_tmp("hw-out");
    c.src = h;
    c.n_src = 1;
    c.n_booms = 0;
    c.analyze = 0;
    nr_manifest m;
    ds_build_stats st;
    NT_CHECKF(ds_build(&c, &m, &st) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(m.n >= 10, "hedgewars: %d kept", m.n);
    for (int i = 0; i < m.n; i++) {
        NT_CHECKF(!strstr(m.e[i].origin, "/voices/"), "%s", m.e[i].origin);
        NT_CHECKF(!strcmp(m.e[i].licence, "GFDL-1.3") && !strcmp(m.e[i].package, "hedgewars-data"), "%s",
                  m.e[i].origin);
    }
    nr_manifest_free(&m);
}

static void test_augment_deterministic(void)
{
    long n = 9600;
    float *x = malloc((size_t)n * sizeof *x);
    for (long i = 0; i < n; i++) x[i] = (float)(exp(-i / 2000.0) * sin(i * 0.02));
    nr_audio a = {x, n, 48000};
    const nr_audio *l[2] = {&a, &a};
    ds_rng r1, r2;
    ds_rng_seed(&r1, 42);
    ds_rng_seed(&r2, 42);
    nr_audio o1, o2;
    char s1[160], s2[160];
    NT_CHECK(ds_augment_boom(l, 2, &r1, 7.0, &o1, s1, sizeof s1) == NR_OK);
    NT_CHECK(ds_augment_boom(l, 2, &r2, 7.0, &o2, s2, sizeof s2) == NR_OK);
    NT_CHECK(o1.n == o2.n && !memcmp(o1.samples, o2.samples, (size_t)o1.n * sizeof(float)) && !strcmp(s1, s2));
    NT_CHECKF(o1.n > n && o1.n <= 7 * 48000, "boom of %ld samples from %ld", o1.n, n);
    int finite = 1;
    for (long i = 0; i < o1.n; i++) finite &= isfinite(o1.samples[i]);
    NT_CHECK(finite);
    ds_audio_release(&o1);
    ds_audio_release(&o2);
    free(x);
}

int main(void)
{
    NT_RUN(test_build);
    NT_RUN(test_truncated_files);
    NT_RUN(test_writes_keep_old_file);
    NT_RUN(test_manifest_bad_rows);
    NT_RUN(test_manifest_long_lines);
    NT_RUN(test_cache_long_lines);
    NT_RUN(test_split_stable);
    NT_RUN(test_near_duplicates);
    NT_RUN(test_classes_and_curves_cache);
    NT_RUN(test_source_table);
    NT_RUN(test_source_default_class);
    NT_RUN(test_installed_source);
    NT_RUN(test_augment_deterministic);
    return nt_end();
}
