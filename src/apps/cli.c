#include "commands.h"
#include "neurorack.h"
#include "nr/model_templates.h"
#include "nr/templates.h"
#include "io/atomic_file.h"

#include <errno.h>
#include <signal.h>
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
    return nr_model_default_path(path, sizeof path) ? path : NULL;
}

/* A CSV the user saved as a template: ~/.config/neurorack/templates/NAME.csv (as `play` loads them). */
static int user_template(const char *name, char *path, size_t n)
{
    const char *home = getenv("HOME");
    if (!home || !*home || strchr(name, '/')) return 0;
    snprintf(path, n, "%s/.config/neurorack/templates/%s.csv", home, name);
    return access(path, R_OK) == 0;
}

nr_result nr_cli_curves(const nr_model *m, const char *like, const char *csv, const char *tmpl, nr_curves *out)
{
    memset(out, 0, sizeof *out);
    if (like) return nr_analyze_file(like, out);
    if (csv) return nr_curves_read_csv(csv, out);
    if (!tmpl && m && nr_model_template_default(m)) return nr_model_template_get(m, NULL, out);
    if (!tmpl) return nr_template_get(NR_TEMPLATE_DEFAULT, out);
    /* the model's templates, then the built-ins, then the user's curve files */
    if (m && nr_model_template_find(m, tmpl) >= 0) return nr_model_template_get(m, tmpl, out);
    for (int i = 0; i < nr_template_count(); i++)
        if (!strcmp(nr_template_name(i), tmpl)) return nr_template_get(tmpl, out);
    char path[PATH_MAX];
    if (user_template(tmpl, path, sizeof path)) return nr_curves_read_csv(path, out);
    char known[512] = "";
    for (int i = 0; m && i < nr_model_template_count(m); i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", known[0] ? ", " : "",
                 nr_model_template_name(m, i));
    for (int i = 0; i < nr_template_count(); i++)
        if (!m || nr_model_template_find(m, nr_template_name(i)) < 0) /* hidden by the model's own */
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", known[0] ? ", " : "",
                     nr_template_name(i));
    return nr_fail(NR_ERR_ARG, "unknown template '%s'; this model offers %s (or a CSV in ~/.config/neurorack/templates/)",
                   tmpl, known);
}

static volatile sig_atomic_t g_interrupt;
static void on_interrupt(int sig) { g_interrupt = sig; }

void nr_cli_catch_interrupts(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    nr_atomic_set_cancel(&g_interrupt);
}

const volatile sig_atomic_t *nr_cli_interrupt_flag(void) { return &g_interrupt; }
int nr_cli_interrupted(void) { return g_interrupt; }
