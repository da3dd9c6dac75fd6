/* One reference through a model and back: analyse, render, re-analyse, compare; CSV rows and summaries. */
#define _POSIX_C_SOURCE 200809L
#include "nr/eval.h"

#include "io/atomic_file.h"
#include "nr/analysis.h"
#include "nr/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

nr_result nr_eval_sound(const nr_model *m, const nr_audio *ref, const nr_eval_config *cfg, nr_eval_result *res,
                        nr_audio *render22k)
{
    memset(res, 0, sizeof *res);
    if (render22k) memset(render22k, 0, sizeof *render22k);
    if (ref->rate != NR_ANALYSIS_RATE)
        return nr_fail(NR_ERR_ARG, "eval: reference at %d Hz; expected %d Hz", ref->rate, NR_ANALYSIS_RATE);
    nr_curves rc = {0}, oc = {0};
    nr_audio y = {0}, y22 = {0};
    nr_result r = nr_analyze(ref->samples, ref->n, &rc);
    if (r == NR_OK && rc.n_frames < 1) r = nr_fail(NR_ERR_ARG, "eval: reference of %ld samples has no frame", ref->n);
    if (r != NR_OK) goto done;

    nr_render_config cf = nr_render_config_init();
    cf.voice.seed = cfg->seed;
    double t0 = now_s();
    r = nr_render(m, &rc, &cf, &y);
    res->render_seconds = now_s() - t0;
    if (r != NR_OK) goto done;
    res->seconds = (double)y.n / y.rate;
    res->speed = res->render_seconds > 0 ? res->seconds / res->render_seconds : INFINITY;
    r = nr_audio_resample_kaiser_best(y.samples, y.n, y.rate, NR_ANALYSIS_RATE, &y22);
    if (r != NR_OK) goto done;
    for (long i = 0; i < y22.n; i++)
        if (!isfinite(y22.samples[i])) {
            r = nr_fail(NR_ERR_VALUE, "eval: the model produced a non-finite sample at %ld", i);
            goto done;
        }
    r = nr_analyze(y22.samples, y22.n, &oc);
    if (r != NR_OK) goto done;
    r = nr_eval_descriptors(&rc, &oc, cfg, res);
    if (r != NR_OK) goto done;
    long n = ref->n < y22.n ? ref->n : y22.n;
    r = nr_eval_spectral_distance(ref->samples, y22.samples, n, &res->spectral);
    if (r != NR_OK) goto done;
    /* What a listener hears of the first seconds (an impact's tail adds little but time). */
    long n7 = nr_eval_compared_len(n);
    r = nr_eval_excess_clicks(y22.samples, ref->samples, n7, NR_ANALYSIS_RATE, &res->clicks);
    if (r == NR_OK) r = nr_eval_band_error(y22.samples, ref->samples, n7, NR_ANALYSIS_RATE, &res->band_error);
    if (r != NR_OK) goto done;
    if (render22k) {
        float *s = calloc((size_t)ref->n, sizeof *s);
        if (!s) {
            r = nr_fail(NR_ERR_NOMEM, "eval: out of memory for %ld samples", ref->n);
            goto done;
        }
        memcpy(s, y22.samples, (size_t)n * sizeof *s);
        render22k->samples = s;
        render22k->n = ref->n;
        render22k->rate = NR_ANALYSIS_RATE;
    }
done:
    nr_curves_free(&rc);
    nr_curves_free(&oc);
    nr_audio_free(&y);
    nr_audio_free(&y22);
    return r;
}

/* CSV fields must not break the row: commas, quotes and newlines in names become '_'. */
static void put_field(FILE *f, const char *s)
{
    for (; *s; s++) fputc(*s == ',' || *s == '"' || *s == '\n' || *s == '\r' ? '_' : *s, f);
}

static void put_num(FILE *f, double v)
{
    if (isnan(v)) fputs(",nan", f);
    else fprintf(f, ",%.6g", v);
}

nr_result nr_eval_write_csv(const char *path, const nr_eval_row *rows, int n)
{
    FILE *f;
    char *tmp;
    nr_result r = nr_atomic_fopen(path, &f, &tmp); /* its message names path */
    if (r != NR_OK) return r;
    fputs("model,reference,seconds,frames,speed_x,spectral,corr_mean", f);
    for (int d = 0; d < NR_NUM_DESC; d++) fprintf(f, ",corr_%s", nr_desc_names[d]);
    for (int d = 0; d < NR_NUM_DESC; d++) fprintf(f, ",nmae_%s", nr_desc_names[d]);
    fputs(",excess_clicks_per_s,band_error_db,corr_pitch_from_frame1\n", f);
    for (int i = 0; i < n; i++) {
        const nr_eval_result *e = &rows[i].r;
        put_field(f, rows[i].model);
        fputc(',', f);
        put_field(f, rows[i].ref);
        fprintf(f, ",%.4f,%d", e->seconds, e->n_frames);
        put_num(f, e->speed);
        put_num(f, e->spectral);
        put_num(f, e->corr_mean);
        for (int d = 0; d < NR_NUM_DESC; d++) put_num(f, e->corr[d]);
        for (int d = 0; d < NR_NUM_DESC; d++) put_num(f, e->mae[d]);
        put_num(f, e->clicks);
        put_num(f, e->band_error);
        put_num(f, e->corr_pitch_from1);
        fputc('\n', f);
    }
    return nr_atomic_fcommit(path, f, tmp); /* a failed write above left ferror(f) set: reported here */
}

void nr_eval_summarize(const nr_eval_row *rows, int n, const char *model, nr_eval_summary *s)
{
    memset(s, 0, sizeof *s);
    double spec = 0, rsec = 0, clicks = 0, band = 0;
    int n_mae[NR_NUM_DESC] = {0};
    for (int i = 0; i < n; i++) {
        if (model && strcmp(rows[i].model, model)) continue;
        const nr_eval_result *e = &rows[i].r;
        s->n_sounds++;
        spec += e->spectral;
        clicks += e->clicks;
        band += e->band_error;
        s->seconds += e->seconds;
        rsec += e->render_seconds;
        if (!isnan(e->corr_pitch_from1)) {
            s->corr_pitch_from1 += e->corr_pitch_from1;
            s->n_pitch_from1++;
        }
        for (int d = 0; d < NR_NUM_DESC; d++) {
            if (!isnan(e->corr[d])) {
                s->corr[d] += e->corr[d];
                s->n_corr[d]++;
            }
            if (!isnan(e->mae[d])) {
                s->mae[d] += e->mae[d];
                n_mae[d]++;
            }
        }
    }
    double cs = 0, ms = 0;
    int cn = 0, mn = 0;
    for (int d = 0; d < NR_NUM_DESC; d++) {
        s->corr[d] = s->n_corr[d] ? s->corr[d] / s->n_corr[d] : NAN;
        s->mae[d] = n_mae[d] ? s->mae[d] / n_mae[d] : NAN;
        if (!isnan(s->corr[d])) cs += s->corr[d], cn++;
        if (!isnan(s->mae[d])) ms += s->mae[d], mn++;
    }
    s->corr_mean = cn ? cs / cn : NAN;
    s->corr_pitch_from1 = s->n_pitch_from1 ? s->corr_pitch_from1 / s->n_pitch_from1 : NAN;
    s->mae_mean = mn ? ms / mn : NAN;
    s->spectral = s->n_sounds ? spec / s->n_sounds : NAN;
    s->clicks = s->n_sounds ? clicks / s->n_sounds : NAN;
    s->band_error = s->n_sounds ? band / s->n_sounds : NAN;
    s->speed = rsec > 0 ? s->seconds / rsec : NAN;
}

void nr_eval_print_summary(FILE *f, const char *const *models, const nr_eval_summary *s, int n_models)
{
    fprintf(f, "| metric |");
    for (int k = 0; k < n_models; k++) fprintf(f, " %s |", models[k]);
    fprintf(f, "\n|---|");
    for (int k = 0; k < n_models; k++) fprintf(f, "---:|");
    fprintf(f, "\n| sounds (s of audio) |");
    for (int k = 0; k < n_models; k++) fprintf(f, " %d (%.1f) |", s[k].n_sounds, s[k].seconds);
    fprintf(f, "\n| **mean correlation** |");
    for (int k = 0; k < n_models; k++) fprintf(f, " **%.3f** |", s[k].corr_mean);
    fprintf(f, "\n| **spectral distance** |");
    for (int k = 0; k < n_models; k++) fprintf(f, " **%.3f** |", s[k].spectral);
    fprintf(f, "\n| **excess clicks per second** |");
    for (int k = 0; k < n_models; k++) fprintf(f, " **%.3f** |", s[k].clicks);
    fprintf(f, "\n| **band level error (dB)** |");
    for (int k = 0; k < n_models; k++) fprintf(f, " **%.2f** |", s[k].band_error);
    fprintf(f, "\n| mean normalised MAE |");
    for (int k = 0; k < n_models; k++) fprintf(f, " %.3f |", s[k].mae_mean);
    for (int d = 0; d < NR_NUM_DESC; d++) {
        fprintf(f, "\n| corr %s (defined in) |", nr_desc_names[d]);
        for (int k = 0; k < n_models; k++) fprintf(f, " %.3f (%d) |", s[k].corr[d], s[k].n_corr[d]);
    }
    fprintf(f, "\n| corr pitch, frame 0 left out (yin's half-padded first window; not in the mean) |");
    for (int k = 0; k < n_models; k++) fprintf(f, " %.3f (%d) |", s[k].corr_pitch_from1, s[k].n_pitch_from1);
    for (int d = 0; d < NR_NUM_DESC; d++) {
        fprintf(f, "\n| nMAE %s |", nr_desc_names[d]);
        for (int k = 0; k < n_models; k++) fprintf(f, " %.3f |", s[k].mae[d]);
    }
    fprintf(f, "\n| render speed (x real time) |");
    for (int k = 0; k < n_models; k++) fprintf(f, " %.1f |", s[k].speed);
    fputc('\n', f);
}
