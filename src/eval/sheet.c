/* A sheet of the sounds a model makes from its templates: see the sound before hearing it. */
#include "nr/eval.h"

#include "nr/analysis.h"
#include "nr/engine.h"
#include "nr/model_templates.h"
#include "nr/templates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHEET_COLS 4

nr_result nr_eval_template_sheet(const nr_model *m, const char *path, uint64_t seed)
{
    int n_model = nr_model_template_count(m), n_builtin = nr_template_count();
    int count = n_model + n_builtin;
    if (count > NR_EVAL_SHEET_MAX) count = NR_EVAL_SHEET_MAX;
    nr_audio *y = calloc((size_t)count, sizeof *y);
    const float **x = calloc((size_t)count, sizeof *x);
    long *n = calloc((size_t)count, sizeof *n);
    char(*title)[96] = calloc((size_t)count, sizeof *title);
    const char **tp = calloc((size_t)count, sizeof *tp);
    nr_result r = y && x && n && title && tp ? NR_OK : nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    nr_render_config cf = nr_render_config_init();
    cf.voice.seed = seed;
    cf.out_rate = NR_ANALYSIS_RATE; /* every sheet on the same 0 .. 11 kHz axis as the eval figures */
    for (int k = 0; k < count && r == NR_OK; k++) {
        nr_curves c = {0};
        const char *name = k < n_model ? nr_model_template_name(m, k) : nr_template_name(k - n_model);
        r = k < n_model ? nr_model_template_get(m, name, &c) : nr_template_get(name, &c);
        if (r == NR_OK) r = nr_render(m, &c, &cf, &y[k]);
        if (r == NR_OK) {
            x[k] = y[k].samples;
            n[k] = y[k].n;
            snprintf(title[k], sizeof title[k], "%s %s %.2fs", k < n_model ? "model" : "built-in", name,
                     (double)y[k].n / y[k].rate);
            tp[k] = title[k];
        } else {
            r = nr_fail_prefix(r, name);
        }
        nr_curves_free(&c);
    }
    if (r == NR_OK) r = nr_eval_spectrogram_sheet(path, x, n, tp, count, NR_ANALYSIS_RATE, SHEET_COLS);
    for (int k = 0; y && k < count; k++) nr_audio_free(&y[k]);
    free(y);
    free(x);
    free(n);
    free(title);
    free(tp);
    return r;
}
