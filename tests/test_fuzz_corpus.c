/* Replays every fuzz corpus file (tests/corpus/<target>, one folder per tests/fuzz/fuzz_<target>.c) through
 * the reader it was found for, so inputs the fuzzers found (crashes included, once fixed) stay covered by
 * the normal and ASan suites. */
#include "control/midi.h"
#include "control/osc.h"
#include "control/script.h"
#include "dataset/ds_internal.h"
#include "hw/hw_config.h"
#include "instrument/settings.h"
#include "neurorack.h"
#include "nr_test.h"
#include "th_build.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_files;

/* A failure is a known result code with a one-line message naming `name`. */
static void check_failure(nr_result r, const char *name, const char *file)
{
    const char *msg = nr_last_error();
    NT_CHECKF(r > NR_OK && r <= NR_ERR_DEVICE, "%s: result %d", file, (int)r);
    NT_CHECKF(strstr(msg, name) && !strchr(msg, '\n'), "%s: message '%s'", file, msg);
}

/* A reader either succeeds with a coherent tensor set or fails with a one-line message naming the input. */
static void check_result(nr_result r, const nr_tensor_set *s, const char *what, const char *file)
{
    if (r == NR_OK) {
        for (int i = 0; i < s->n_tensors; i++) {
            const nr_tensor *t = &s->tensors[i];
            int64_t n = 1;
            for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
            NT_CHECKF(t->numel == n && t->data && t->name && t->ndim <= NR_MAX_DIMS, "%s: incoherent tensor %d", file, i);
        }
        for (int i = 0; i < s->n_meta; i++) NT_CHECKF(s->meta[i].key && s->meta[i].value, "%s: meta %d", file, i);
        return;
    }
    check_failure(r, what, file);
}

/* Every file of dir through fn(path); there must be at least `min` of them. */
static void replay(const char *dir, void (*fn)(const char *path), int min)
{
    DIR *d = opendir(dir);
    if (!d) {
        nt_fail_at(__FILE__, __LINE__, "cannot open %s (run from the repository root)", dir);
        return;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        fn(path);
        n++;
    }
    closedir(d);
    g_files += n;
    NT_CHECKF(n >= min, "only %d files in %s", n, dir);
}

/* As fuzz_audio_load: load at 22050 Hz; what loads is finite and non-empty. */
static void load_audio(const char *path)
{
    nr_audio a;
    nr_result r = nr_audio_load(path, 22050, &a);
    if (r != NR_OK) return check_failure(r, path, path);
    int finite = a.n > 0 && a.rate == 22050;
    for (long i = 0; finite && i < a.n; i++) finite = isfinite(a.samples[i]);
    NT_CHECKF(finite, "%s: %ld samples at %d Hz, or not finite", path, a.n, a.rate);
    nr_audio_free(&a);
}

/* As fuzz_sf2: list the samples, each inside the sample data, and decode them. */
static void load_sf2(const char *path)
{
    static const int timpani = 47;
    for (int mode = 0; mode < 2; mode++) {
        ds_sf2 sf;
        nr_result r = ds_sf2_open(path, &timpani, mode ? -1 : 1, &sf);
        if (r != NR_OK) {
            check_failure(r, path, path);
            continue;
        }
        for (int i = 0; i < sf.n; i++) {
            const ds_sf2_sample *s = &sf.s[i];
            size_t limit = (s->type & 0x10) ? 2 * sf.n_smpl : sf.n_smpl;
            NT_CHECKF(s->start < s->end && s->end <= limit, "%s: sample %d at %u..%u of %zu", path, i, s->start,
                      s->end, limit);
            nr_audio a;
            r = ds_sf2_sample_audio(&sf, i, &a);
            if (r == NR_OK) NT_CHECKF(a.n > 0 && a.rate > 0, "%s: sample %d: %ld at %d Hz", path, i, a.n, a.rate);
            else check_failure(r, "SoundFont sample", path);
            ds_audio_release(&a);
        }
        ds_sf2_close(&sf);
    }
}

/* Both tensor readers (.th and safetensors) on the bytes of the file. */
static void load_tensors(const char *path)
{
    size_t n;
    unsigned char *b = (unsigned char *)nt_read_file(path, &n);
    NT_CHECKF(b != NULL, "%s: cannot read", path);
    if (!b) return;
    nr_tensor_set s;
    nr_result r = tb_read_th_input(b, n, "corpus-input", &s);
    check_result(r, &s, "corpus-input", path);
    nr_tensor_set_free(&s);
    r = nr_th_read_mem(b, n, "corpus-input", &s);
    check_result(r, &s, "corpus-input", path);
    nr_tensor_set_free(&s);
    r = nr_safetensors_read_mem(b, n, "corpus-input", &s);
    check_result(r, &s, "corpus-input", path);
    nr_tensor_set_free(&s);
    free(b);
}

/* As fuzz_settings: an odd first byte means the rest is the JSON body, given a header with its CRC. */
static void load_settings(const char *path)
{
    size_t n;
    unsigned char *b = (unsigned char *)nt_read_file(path, &n);
    NT_CHECKF(b != NULL && n > 0, "%s: cannot read, or empty", path);
    if (!b || !n) return free(b);
    char *buf = malloc(n + 64);
    size_t k = 0;
    if (b[0] & 1)
        k = (size_t)snprintf(buf, 64, "neurorack-settings %d crc32=%08x\n", NR_SETTINGS_VERSION,
                             (unsigned)nr_crc32(b + 1, n - 1));
    memcpy(buf + k, b + 1, n - 1);
    nr_settings s;
    nr_result r = nr_settings_parse(buf, k + n - 1, "corpus.nrs", &s);
    if (r != NR_OK) check_failure(r, "corpus.nrs", path);
    free(buf);
    free(b);
}

static void load_script(const char *path)
{
    nr_script s;
    nr_result r = nr_script_load(path, &s);
    if (r != NR_OK) return check_failure(r, path, path);
    for (size_t i = 1; i < s.n; i++) NT_CHECKF(s.ev[i].t >= s.ev[i - 1].t, "%s: event %zu out of order", path, i);
    nr_script_free(&s);
}

static void load_midi_map(const char *path)
{
    nr_midi_map m;
    nr_result r = nr_midi_map_load(path, &m);
    if (r != NR_OK) check_failure(r, path, path);
}

static void load_hw_config(const char *path)
{
    nr_hw_config cfg = nr_hw_config_init();
    nr_result r = nr_hw_config_read(path, &cfg);
    if (r != NR_OK) check_failure(r, path, path);
}

/* The manifest reader takes a folder unless the name ends in .tsv: a copy under that name. */
static void load_manifest(const char *path)
{
    size_t n;
    char *b = nt_read_file(path, &n);
    const char *tsv = nt_tmp("corpus.tsv");
    NT_CHECKF(b && nt_write_file(tsv, b, n) == 0, "%s: cannot copy to %s", path, tsv);
    free(b);
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY); /* a warning per skipped row */
    if (null >= 0) dup2(null, 2);
    nr_manifest m;
    nr_result r = nr_manifest_read(tsv, &m);
    if (null >= 0) dup2(saved, 2), close(null);
    close(saved);
    if (r != NR_OK) return check_failure(r, tsv, path);
    for (int i = 0; i < m.n; i++)
        NT_CHECKF(m.e[i].split < NR_SPLIT_COUNT && m.e[i].rate > 0 && !strstr(m.e[i].audio, ".."), "%s: row %d", path, i);
    nr_manifest_free(&m);
}

static void load_curves_cache(const char *path)
{
    nr_curves c;
    nr_result r = nr_curves_cache_read(path, &c);
    if (r != NR_OK) return check_failure(r, path, path);
    NT_CHECKF(c.n_frames >= 0 && c.frame_rate > 0, "%s: %d frames at %g", path, c.n_frames, (double)c.frame_rate);
    nr_curves_free(&c);
}

static void load_curves_csv(const char *path)
{
    nr_curves c;
    nr_result r = nr_curves_read_csv(path, &c);
    if (r != NR_OK) return check_failure(r, path, path);
    nr_curves_free(&c);
}

/* OSC: every event posted is one the instrument takes; every message is counted once, accepted or not. */
static int osc_post(void *ctx, nr_source src, const nr_control_event *ev)
{
    const char *path = ctx;
    int ok = src == NR_SRC_OSC && isfinite(ev->value) &&
             (ev->type != NR_EV_GATE || (ev->index >= 0 && ev->index < NR_NUM_GATES)) &&
             (ev->type != NR_EV_CV || (ev->index >= 0 && ev->index < NR_NUM_CV && fabsf(ev->value) <= 10.0f));
    if (ev->type == NR_EV_MODEL) { /* a terminated name of printable characters, no '/' */
        ok = ok && memchr(ev->name, '\0', sizeof ev->name) != NULL && !strchr(ev->name, '/');
        for (const char *c = ev->name; ok && *c; c++) ok = *c > ' ' && *c <= '~';
    }
    NT_CHECKF(ok, "%s: event type %d index %d value %g", path, (int)ev->type, ev->index, (double)ev->value);
    return 1;
}

static void load_osc(const char *path)
{
    size_t n;
    char *b = nt_read_file(path, &n);
    NT_CHECKF(b != NULL, "%s: cannot read", path);
    if (!b) return;
    nr_audio_client c = {.ctx = (void *)path, .post = osc_post};
    uint32_t acc = 0, rej = 0;
    nr_osc_decode(b, n, &c, &acc, &rej);
    NT_CHECKF(acc + rej >= 1, "%s: no message counted", path);
    free(b);
}

static void test_th_corpus(void) { replay("tests/corpus/th", load_tensors, 3); }
static void test_safetensors_corpus(void) { replay("tests/corpus/safetensors", load_tensors, 1); }
static void test_audio_load_corpus(void) { replay("tests/corpus/audio_load", load_audio, 10); }
static void test_sf2_corpus(void) { replay("tests/corpus/sf2", load_sf2, 2); }
static void test_settings_corpus(void) { replay("tests/corpus/settings", load_settings, 3); }
static void test_script_corpus(void) { replay("tests/corpus/script", load_script, 3); }
static void test_midi_map_corpus(void) { replay("tests/corpus/midi_map", load_midi_map, 2); }
static void test_hw_config_corpus(void) { replay("tests/corpus/hw_config", load_hw_config, 2); }
static void test_manifest_corpus(void) { replay("tests/corpus/manifest", load_manifest, 2); }
static void test_curves_cache_corpus(void) { replay("tests/corpus/curves_cache", load_curves_cache, 2); }
static void test_curves_csv_corpus(void) { replay("tests/corpus/curves_csv", load_curves_csv, 2); }
static void test_osc_corpus(void) { replay("tests/corpus/osc", load_osc, 5); }

int main(void)
{
    NT_RUN(test_th_corpus);
    NT_RUN(test_safetensors_corpus);
    NT_RUN(test_audio_load_corpus);
    NT_RUN(test_sf2_corpus);
    NT_RUN(test_settings_corpus);
    NT_RUN(test_script_corpus);
    NT_RUN(test_midi_map_corpus);
    NT_RUN(test_hw_config_corpus);
    NT_RUN(test_manifest_corpus);
    NT_RUN(test_curves_cache_corpus);
    NT_RUN(test_curves_csv_corpus);
    NT_RUN(test_osc_corpus);
    printf("  %d corpus files replayed\n", g_files);
    return nt_end();
}
