#include "commands.h"
#include "neurorack.h"
#include "nr/templates.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int nr_cli_error(const char *cmd)
{
    fprintf(stderr, "neurorack %s: %s\n", cmd, nr_last_error()[0] ? nr_last_error() : "failed");
    return 1;
}

int nr_cli_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "neurorack %s: %s needs a whole number from %ld to %ld (got '%s')\n", cmd, opt, lo, hi,
                s ? s : "");
        return 0;
    }
    *out = v;
    return 1;
}

int nr_cli_float(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "neurorack %s: %s needs a number from %g to %g (got '%s')\n", cmd, opt, lo, hi, s ? s : "");
        return 0;
    }
    *out = v;
    return 1;
}

const char *nr_cli_default_model(void)
{
    static char path[PATH_MAX];
    const char *env = getenv("NEURORACK_MODEL");
    if (env && *env) return env;
    /* models/ beside the binary (the source tree) or in the install prefix's share folder. */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        const char *rel[] = {"/models/default.safetensors", "/../models/default.safetensors",
                             "/../share/neurorack/models/default.safetensors"};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            snprintf(path, sizeof path, "%s%s", exe, rel[i]);
            if (access(path, R_OK) == 0) return path;
        }
    }
    return NULL;
}

nr_result nr_cli_curves(const char *like, const char *csv, const char *tmpl, nr_curves *out)
{
    if (like) return nr_analyze_file(like, out);
    if (csv) return nr_curves_read_csv(csv, out);
    return nr_template_get(tmpl ? tmpl : NR_TEMPLATE_DEFAULT, out);
}
