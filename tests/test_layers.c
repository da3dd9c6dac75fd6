/* The architecture check (scripts/check-layers.sh): the tree as committed passes, and a copy of it with
 * one lower layer including a higher one fails, naming the file and the include. */
#include "nr_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRIPT "scripts/check-layers.sh"

/* Runs the check on `root`; returns its exit status, its output in out (truncated to n). */
static int run_check(const char *root, char *out, size_t n)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "sh " SCRIPT " '%s' 2>&1", root);
    return nt_run_cmd(cmd, out, n);
}

static int have_tree(void)
{
    FILE *f = fopen(SCRIPT, "r");
    if (!f) {
        nt_skip(SCRIPT " not found: run the test from the repository root");
        return 0;
    }
    fclose(f);
    return 1;
}

/* A copy of src/ and include/ in the temporary folder, with `line` added to the top of `file`. */
static const char *copy_with(const char *file, const char *line)
{
    static char root[2048];
    snprintf(root, sizeof root, "%s/tree-%08x", nt_tmpdir(), (unsigned)rand());
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp -r src include '%s'/", root, root);
    if (system(cmd) != 0) return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, file);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    if (system(cmd) != 0) return NULL;
    size_t n = 0;
    char *text = nt_read_file(path, &n);
    if (!text) text = calloc(1, 1); /* a new file */
    size_t ln = strlen(line);
    char *both = malloc(ln + n + 1);
    if (!both) {
        free(text);
        return NULL;
    }
    memcpy(both, line, ln);
    memcpy(both + ln, text, n);
    int w = nt_write_file(path, both, ln + n);
    free(text);
    free(both);
    return w == 0 ? root : NULL;
}

static void test_tree_passes(void)
{
    if (!have_tree()) return;
    char out[8192];
    int rc = run_check(".", out, sizeof out);
    NT_CHECKF(rc == 0 && strstr(out, "check-layers: ok"), "exit %d: %s", rc, out);
}

static void test_bad_includes_fail(void)
{
    if (!have_tree()) return;
    static const struct {
        const char *file, *line, *expect;
    } cases[] = {
        {"src/synth/synth.c", "#include \"ui/panel.h\"\n", "src/synth/synth.c:1: #include \"ui/panel.h\": layer 3 includes layer 6"},
        {"src/instrument/instrument.c", "#include \"ui/png.h\"\n", "layer 5 includes layer 6"},
        {"src/synth/performer.h", "#include \"instrument/settings.h\"\n", "layer 3 includes layer 5"},
        {"src/models/model.c", "#include \"nr/synth.h\"\n", "src/models/model.c:1: #include \"nr/synth.h\": layer 2 includes layer 3"},
        {"include/nr/patch.h", "#include \"nr/instrument.h\"\n", "include/nr/patch.h:1"},
        {"src/dsp/rng.c", "  #  include \"audio/client.h\"\n", "src/dsp/rng.c:1"},
        {"src/newfolder/x.c", "#include \"nr/core.h\"\n", "folder not in the layer table"},
        {"src/synth/bank.c", "#include \"nosuchfolder/x.h\"\n", "not in the layer table"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *root = copy_with(cases[i].file, cases[i].line);
        NT_CHECKF(root != NULL, "could not copy the tree for %s", cases[i].file);
        if (!root) return;
        char out[8192];
        int rc = run_check(root, out, sizeof out);
        NT_CHECKF(rc == 1 && strstr(out, cases[i].expect), "%s: exit %d, expected a line with '%s':\n%s",
                  cases[i].file, rc, cases[i].expect, out);
    }
}

int main(void)
{
    NT_RUN(test_tree_passes);
    NT_RUN(test_bad_includes_fail);
    return nt_end();
}
