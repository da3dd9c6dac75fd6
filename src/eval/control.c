/* The control matrix: move one descriptor curve by one standard deviation, render, re-analyse, and see
 * which descriptors of the sound moved. */
#include "nr/eval.h"

#include "io/atomic_file.h"

#include "nr/analysis.h"
#include "nr/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Floors of the log columns, as the impact model's input transform has them (src/models/impact_net.c). */
#define CTL_FLOOR_UNIT 1e-6 /* loudness (rms), noisiness (flatness) */
#define CTL_FLOOR_HZ 1.0
#define CTL_MAX_HZ (NR_ANALYSIS_RATE / 2.0) /* a moved Hz curve stops at the analysis Nyquist */

double nr_eval_control_value(int d, double raw)
{
    if (d == NR_DESC_PERCUSSIVITY) return raw;
    if (d == NR_DESC_LOUDNESS || d == NR_DESC_NOISINESS) return log(raw > CTL_FLOOR_UNIT ? raw : CTL_FLOOR_UNIT);
    return log(raw > CTL_FLOOR_HZ ? raw : CTL_FLOOR_HZ);
}

nr_result nr_eval_control_scales(const nr_model *m, double std[NR_NUM_DESC])
{
    nr_model_info info;
    nr_model_get_info(m, &info);
    for (int d = 0; d < NR_NUM_DESC; d++) {
        double mean = info.desc_mean[d], sd = info.desc_std[d];
        /* The info speaks raw units: a log-space model gives exp(mean) and exp(mean) * std, which
         * this undoes exactly; the original's raw mean and std become the first-order std / mean. */
        std[d] = d == NR_DESC_PERCUSSIVITY ? sd : sd / mean;
        if (!(std[d] > 0) || !isfinite(std[d]))
            return nr_fail(NR_ERR_VALUE, "control: the model's %s normalisation (mean %g, std %g) gives no scale",
                           nr_desc_names[d], mean, sd);
    }
    return NR_OK;
}

/* Move column d of c by z control units (in place). */
static void move_curve(nr_curves *c, int d, double z)
{
    for (int i = 0; i < c->n_frames; i++) {
        float *v = c->data + (size_t)i * NR_NUM_DESC + d;
        double x = *v;
        if (d == NR_DESC_PERCUSSIVITY) x += z;
        else x *= exp(z);
        double hi = d == NR_DESC_PERCUSSIVITY || d == NR_DESC_NOISINESS ? 1.0 : d == NR_DESC_LOUDNESS ? 10.0 : CTL_MAX_HZ;
        *v = (float)(x < 0 ? 0 : x > hi ? hi : x);
    }
}

static nr_result render_curves(const nr_model *m, const nr_curves *c, uint64_t seed, nr_curves *out)
{
    nr_render_config cf = nr_render_config_init();
    cf.voice.seed = seed;
    cf.out_rate = NR_ANALYSIS_RATE;
    nr_audio y = {0};
    nr_result r = nr_render(m, c, &cf, &y);
    if (r == NR_OK) r = nr_analyze(y.samples, y.n, out);
    nr_audio_free(&y);
    return r;
}

/* The reference's compared length (its first NR_EVAL_MAX_SECONDS); it must be at the analysis rate. */
static nr_result reference_len(const nr_audio *ref, long *n)
{
    if (ref->rate != NR_ANALYSIS_RATE)
        return nr_fail(NR_ERR_ARG, "control: reference at %d Hz; expected %d Hz", ref->rate, NR_ANALYSIS_RATE);
    *n = nr_eval_compared_len(ref->n);
    return NR_OK;
}

/* The reference's curves: its compared length, analysed. */
static nr_result reference_curves(const nr_audio *ref, nr_curves *rc)
{
    long n = 0;
    nr_result r = reference_len(ref, &n);
    return r == NR_OK ? nr_analyze(ref->samples, n, rc) : r;
}

/* Sum over the frames where the reference rc is loud (rms >= min_rms) of |v_e(a) - v_e(b)| in control units;
 * returns how many frames were summed (over the frames all three curves have). */
static int loud_moves(const nr_curves *rc, const nr_curves *a, const nr_curves *b, int e, float min_rms, double *sum)
{
    int nf = rc->n_frames, k = 0;
    if (a->n_frames < nf) nf = a->n_frames;
    if (b->n_frames < nf) nf = b->n_frames;
    *sum = 0.0;
    for (int i = 0; i < nf; i++) {
        if (rc->data[(size_t)i * NR_NUM_DESC + NR_DESC_LOUDNESS] < min_rms) continue;
        *sum += fabs(nr_eval_control_value(e, a->data[(size_t)i * NR_NUM_DESC + e]) -
                     nr_eval_control_value(e, b->data[(size_t)i * NR_NUM_DESC + e]));
        k++;
    }
    return k;
}

nr_result nr_eval_control_sound(const nr_model *m, const nr_audio *ref, const nr_eval_config *cfg,
                                double mat[NR_NUM_DESC][NR_NUM_DESC])
{
    memset(mat, 0, sizeof(double) * NR_NUM_DESC * NR_NUM_DESC);
    if (ref->rate != NR_ANALYSIS_RATE)
        return nr_fail(NR_ERR_ARG, "control: reference at %d Hz; expected %d Hz", ref->rate, NR_ANALYSIS_RATE);
    double sd[NR_NUM_DESC];
    nr_result r = nr_eval_control_scales(m, sd);
    if (r != NR_OK) return r;
    nr_curves rc = {0}, base = {0}, mv = {0}, out = {0};
    r = reference_curves(ref, &rc);
    if (r != NR_OK) goto done;
    int loud = 0;
    for (int i = 0; i < rc.n_frames; i++) loud += rc.data[(size_t)i * NR_NUM_DESC + NR_DESC_LOUDNESS] >= cfg->min_rms;
    if (loud == 0) {
        r = nr_fail(NR_ERR_ARG, "control: the reference has no frame with rms >= %g", (double)cfg->min_rms);
        goto done;
    }
    r = render_curves(m, &rc, cfg->seed, &base); /* the same seed below: noise draws do not count as movement */
    if (r != NR_OK) goto done;
    r = nr_curves_alloc(&mv, rc.n_frames, rc.frame_rate);
    for (int d = 0; d < NR_NUM_DESC && r == NR_OK; d++)
        for (int sgn = -1; sgn <= 1 && r == NR_OK; sgn += 2) {
            memcpy(mv.data, rc.data, (size_t)rc.n_frames * NR_NUM_DESC * sizeof *mv.data);
            move_curve(&mv, d, sgn * sd[d]);
            r = render_curves(m, &mv, cfg->seed, &out);
            if (r != NR_OK) break;
            for (int e = 0; e < NR_NUM_DESC; e++) {
                double sum;
                int k = loud_moves(&rc, &out, &base, e, cfg->min_rms, &sum);
                mat[d][e] += k ? 0.5 * sum / k / sd[e] : NAN;
            }
            nr_curves_free(&out);
        }
done:
    nr_curves_free(&rc);
    nr_curves_free(&base);
    nr_curves_free(&mv);
    nr_curves_free(&out);
    return r;
}

nr_result nr_eval_control_room(const nr_audio *ref, const nr_eval_config *cfg, const double sd[NR_NUM_DESC],
                               double room[NR_NUM_DESC])
{
    for (int d = 0; d < NR_NUM_DESC; d++) room[d] = NAN;
    nr_curves rc = {0}, mv = {0};
    nr_result r = reference_curves(ref, &rc);
    if (r == NR_OK) r = nr_curves_alloc(&mv, rc.n_frames, rc.frame_rate);
    for (int d = 0; d < NR_NUM_DESC && r == NR_OK; d++) {
        if (!(sd[d] > 0.0) || !isfinite(sd[d])) {
            r = nr_fail(NR_ERR_ARG, "control: %s scale %g", nr_desc_names[d], sd[d]);
            break;
        }
        double total = 0.0;
        for (int sgn = -1; sgn <= 1 && r == NR_OK; sgn += 2) {
            memcpy(mv.data, rc.data, (size_t)rc.n_frames * NR_NUM_DESC * sizeof *mv.data);
            move_curve(&mv, d, sgn * sd[d]);
            double sum;
            int k = loud_moves(&rc, &mv, &rc, d, cfg->min_rms, &sum);
            if (k == 0) r = nr_fail(NR_ERR_ARG, "control: the reference has no frame with rms >= %g", (double)cfg->min_rms);
            else total += 0.5 * sum / k / sd[d];
        }
        if (r == NR_OK) room[d] = total;
    }
    nr_curves_free(&rc);
    nr_curves_free(&mv);
    return r;
}

/* Column d of c at t frames (linear between frame centres, held beyond the ends). */
static double curve_at(const nr_curves *c, int d, double t)
{
    if (!(t > 0.0)) return c->data[d];
    int i = (int)t;
    if (i >= c->n_frames - 1) return c->data[(size_t)(c->n_frames - 1) * NR_NUM_DESC + d];
    double f = t - i, a = c->data[(size_t)i * NR_NUM_DESC + d], b = c->data[(size_t)(i + 1) * NR_NUM_DESC + d];
    return a + (b - a) * f;
}

/* The follower: a harmonic tone on pitch x mult within yin's range, at the curve's rms; then analysed. */
static nr_result follower_curves(const nr_curves *rc, long n, double mult, float *y, nr_curves *out)
{
    enum { HARMONICS = 8 };
    const double top = 11000.0;
    double phase = 0.0;
    for (long s = 0; s < n; s++) {
        double t = (double)s / NR_ANALYSIS_HOP, f = curve_at(rc, NR_DESC_PITCH, t) * mult;
        f = f < NR_EVAL_YIN_LO ? NR_EVAL_YIN_LO : f > NR_EVAL_YIN_HI ? NR_EVAL_YIN_HI : f;
        phase = fmod(phase + 2.0 * M_PI * f / NR_ANALYSIS_RATE, 2.0 * M_PI);
        double v = 0.0, power = 0.0;
        for (int k = 1; k <= HARMONICS && k * f < top; k++) v += sin(k * phase) / k, power += 0.5 / ((double)k * k);
        y[s] = (float)(curve_at(rc, NR_DESC_LOUDNESS, t) * v / sqrt(power)); /* rms as the curve's */
    }
    return nr_analyze(y, n, out);
}

nr_result nr_eval_control_pitch_ceiling(const nr_audio *ref, const nr_eval_config *cfg, double sd_pitch,
                                        double *response)
{
    *response = NAN;
    long n = 0;
    nr_result r = reference_len(ref, &n);
    if (r != NR_OK) return r;
    if (!(sd_pitch > 0.0) || !isfinite(sd_pitch)) return nr_fail(NR_ERR_ARG, "control: pitch scale %g", sd_pitch);
    nr_curves rc = {0}, base = {0}, mv = {0};
    float *y = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    r = y ? nr_analyze(ref->samples, n, &rc) : nr_fail(NR_ERR_NOMEM, "control: out of memory");
    if (r == NR_OK) r = follower_curves(&rc, n, 1.0, y, &base);
    double total = 0.0;
    for (int sgn = -1; sgn <= 1 && r == NR_OK; sgn += 2) {
        r = follower_curves(&rc, n, exp(sgn * sd_pitch), y, &mv);
        if (r != NR_OK) break;
        double sum;
        int k = loud_moves(&rc, &mv, &base, NR_DESC_PITCH, cfg->min_rms, &sum);
        if (k == 0) r = nr_fail(NR_ERR_ARG, "control: the reference has no frame with rms >= %g", (double)cfg->min_rms);
        else total += 0.5 * sum / k / sd_pitch;
        nr_curves_free(&mv);
    }
    if (r == NR_OK) *response = total;
    free(y);
    nr_curves_free(&rc);
    nr_curves_free(&base);
    nr_curves_free(&mv);
    return r;
}

/* CSV fields must not break the row. */
static void put_field(FILE *f, const char *s)
{
    for (; *s; s++) fputc(*s == ',' || *s == '"' || *s == '\n' || *s == '\r' ? '_' : *s, f);
}

nr_result nr_eval_write_control_csv(const char *path, const nr_eval_control_row *rows, int n)
{
    FILE *f;
    char *tmp;
    nr_result r = nr_atomic_fopen(path, &f, &tmp); /* its message names path */
    if (r != NR_OK) return r;
    fputs("model,reference,moved", f);
    for (int e = 0; e < NR_NUM_DESC; e++) fprintf(f, ",%s", nr_desc_names[e]);
    fputc('\n', f);
    for (int i = 0; i < n; i++)
        for (int d = 0; d < NR_NUM_DESC; d++) {
            put_field(f, rows[i].model);
            fputc(',', f);
            put_field(f, rows[i].ref);
            fprintf(f, ",%s", nr_desc_names[d]);
            for (int e = 0; e < NR_NUM_DESC; e++)
                if (isnan(rows[i].m[d][e])) fputs(",nan", f);
                else fprintf(f, ",%.6g", rows[i].m[d][e]);
            fputc('\n', f);
        }
    return nr_atomic_fcommit(path, f, tmp);
}

int nr_eval_print_control(FILE *f, const char *model, const double mat[NR_NUM_DESC][NR_NUM_DESC], int n_refs)
{
    fprintf(f, "control matrix of %s over %d reference(s): rows = descriptor moved by +-1 std, columns = how far "
               "each descriptor of the render moved, in std units\n\n| moved \\ measured |", model, n_refs);
    for (int e = 0; e < NR_NUM_DESC; e++) fprintf(f, " %s |", nr_desc_names[e]);
    fputs("\n|---|", f);
    for (int e = 0; e < NR_NUM_DESC; e++) fputs("---:|", f);
    for (int d = 0; d < NR_NUM_DESC; d++) {
        fprintf(f, "\n| %s |", nr_desc_names[d]);
        for (int e = 0; e < NR_NUM_DESC; e++) fprintf(f, d == e ? " **%.2f** |" : " %.2f |", mat[d][e]);
    }
    fputs("\n\nresponse (diagonal):", f);
    for (int d = 0; d < NR_NUM_DESC; d++) fprintf(f, " %s %.2f%s", nr_desc_names[d], mat[d][d], d + 1 < NR_NUM_DESC ? "," : "\n");
    int ok_diag = 0, ok_loud = 0;
    fprintf(f, "check: response >= %.2f:", NR_EVAL_CONTROL_MIN_RESPONSE);
    for (int d = 0; d < NR_NUM_DESC; d++) {
        int ok = mat[d][d] >= NR_EVAL_CONTROL_MIN_RESPONSE;
        ok_diag += ok;
        if (!ok) fprintf(f, " %s %.2f FAILS;", nr_desc_names[d], mat[d][d]);
    }
    fprintf(f, " %d of %d pass\n", ok_diag, NR_NUM_DESC);
    fprintf(f, "check: loudness moved by the others <= %.2f:", NR_EVAL_CONTROL_MAX_LOUDNESS);
    for (int d = 0; d < NR_NUM_DESC; d++) {
        if (d == NR_DESC_LOUDNESS) continue;
        int ok = mat[d][NR_DESC_LOUDNESS] <= NR_EVAL_CONTROL_MAX_LOUDNESS;
        ok_loud += ok;
        if (!ok) fprintf(f, " %s %.2f FAILS;", nr_desc_names[d], mat[d][NR_DESC_LOUDNESS]);
    }
    fprintf(f, " %d of %d pass\n", ok_loud, NR_NUM_DESC - 1);
    return ok_diag == NR_NUM_DESC && ok_loud == NR_NUM_DESC - 1;
}
