/* Replays every fuzz corpus file (tests/corpus/th, safetensors, audio_load, sf2) through the readers
 * it was found for, so inputs the fuzzers found (crashes included, once fixed) stay covered by the
 * normal and ASan suites. */
#include "dataset/ds_internal.h"
#include "neurorack.h"
#include "nr_test.h"
#include "th_build.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void test_th_corpus(void) { replay("tests/corpus/th", load_tensors, 3); }
static void test_safetensors_corpus(void) { replay("tests/corpus/safetensors", load_tensors, 1); }
static void test_audio_load_corpus(void) { replay("tests/corpus/audio_load", load_audio, 10); }
static void test_sf2_corpus(void) { replay("tests/corpus/sf2", load_sf2, 2); }

int main(void)
{
    NT_RUN(test_th_corpus);
    NT_RUN(test_safetensors_corpus);
    NT_RUN(test_audio_load_corpus);
    NT_RUN(test_sf2_corpus);
    printf("  %d corpus files replayed\n", g_files);
    return nt_end();
}
