/* Replays every fuzz corpus file (tests/corpus/th, tests/corpus/safetensors) through both readers, so
 * inputs the fuzzers found (crashes included, once fixed) stay covered by the normal and ASan suites. */
#include "neurorack.h"
#include "nr_test.h"
#include "th_build.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_files;

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
    const char *msg = nr_last_error();
    NT_CHECKF(r > NR_OK && r <= NR_ERR_DEVICE, "%s: result %d", file, (int)r);
    NT_CHECKF(strstr(msg, what) && !strchr(msg, '\n'), "%s: message '%s'", file, msg);
}

static void replay(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        nt_fail_at(__FILE__, __LINE__, "cannot open %s (run from the repository root)", dir);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n;
        unsigned char *b = (unsigned char *)nt_read_file(path, &n);
        if (!b) continue;
        g_files++;
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
    closedir(d);
}

static void test_th_corpus(void)
{
    int before = g_files;
    replay("tests/corpus/th");
    NT_CHECKF(g_files - before >= 3, "only %d files in tests/corpus/th", g_files - before);
}

static void test_safetensors_corpus(void)
{
    int before = g_files;
    replay("tests/corpus/safetensors");
    NT_CHECKF(g_files - before >= 1, "only %d files in tests/corpus/safetensors", g_files - before);
}

int main(void)
{
    NT_RUN(test_th_corpus);
    NT_RUN(test_safetensors_corpus);
    printf("  %d corpus files replayed\n", g_files);
    return nt_end();
}
