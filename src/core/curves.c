#include "nr/curves.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

nr_result nr_curves_alloc(nr_curves *c, int n_frames, float frame_rate)
{
    memset(c, 0, sizeof *c);
    if (n_frames < 0 || n_frames > NR_CURVES_MAX_FRAMES)
        return nr_fail(NR_ERR_ARG, "curve length %d frames out of range 0..%d", n_frames, NR_CURVES_MAX_FRAMES);
    if (!(frame_rate > 0.0f)) return nr_fail(NR_ERR_ARG, "curve frame rate must be positive");
    c->data = calloc((size_t)(n_frames > 0 ? n_frames : 1) * NR_NUM_DESC, sizeof(float));
    if (!c->data) return nr_fail(NR_ERR_NOMEM, "out of memory for %d curve frames", n_frames);
    c->n_frames = n_frames;
    c->frame_rate = frame_rate;
    return NR_OK;
}

void nr_curves_free(nr_curves *c)
{
    free(c->data);
    memset(c, 0, sizeof *c);
}

nr_result nr_curves_resample(const nr_curves *in, float frame_rate, nr_curves *out)
{
    if (fabsf(frame_rate - in->frame_rate) <= 1e-6f * frame_rate) {
        nr_result r = nr_curves_alloc(out, in->n_frames, in->frame_rate);
        if (r == NR_OK && in->n_frames)
            memcpy(out->data, in->data, (size_t)in->n_frames * NR_NUM_DESC * sizeof(float));
        return r;
    }
    double dur = in->n_frames / (double)in->frame_rate, want = dur * frame_rate;
    if (!(want <= (double)NR_CURVES_MAX_FRAMES))
        return nr_fail(NR_ERR_ARG, "curves of %g s at %g frames per second would need %.3g frames (at most %d)", dur,
                       (double)frame_rate, want, NR_CURVES_MAX_FRAMES);
    int n = (int)lround(want);
    nr_result r = nr_curves_alloc(out, n, frame_rate);
    if (r != NR_OK || in->n_frames == 0) return r;
    double step = in->frame_rate / (double)frame_rate;
    for (int i = 0; i < n; i++) {
        double pos = i * step;
        int i0 = (int)pos;
        double fr = pos - i0;
        if (i0 >= in->n_frames - 1) {
            i0 = in->n_frames - 1;
            fr = 0.0;
        }
        int i1 = i0 + 1 < in->n_frames ? i0 + 1 : i0;
        for (int d = 0; d < NR_NUM_DESC; d++) {
            double a = in->data[i0 * NR_NUM_DESC + d], b = in->data[i1 * NR_NUM_DESC + d];
            out->data[i * NR_NUM_DESC + d] = (float)(a + (b - a) * fr);
        }
    }
    return NR_OK;
}

#define NR_PITCH_MAX_OCTAVES 10.0 /* beyond the range of any CV or sequencer */

double nr_pitch_factor(double octaves)
{
    if (!(octaves == octaves)) return 1.0; /* NaN: leave the pitch alone */
    if (octaves > NR_PITCH_MAX_OCTAVES) octaves = NR_PITCH_MAX_OCTAVES;
    if (octaves < -NR_PITCH_MAX_OCTAVES) octaves = -NR_PITCH_MAX_OCTAVES;
    return exp2(octaves);
}

void nr_curves_transpose(nr_curves *c, double semitones)
{
    double k = nr_pitch_factor(semitones / 12.0);
    for (int t = 0; t < c->n_frames; t++) c->data[(size_t)t * NR_NUM_DESC + NR_DESC_PITCH] *= (float)k;
}

int nr_curves_settle_onset_pitch(nr_curves *c, double jump_oct, double within_s)
{
    int last = (int)floor(within_s * c->frame_rate); /* the last frame that may be changed */
    for (int t = 0; t + 1 < c->n_frames && t <= last; t++) {
        float a = c->data[(size_t)t * NR_NUM_DESC + NR_DESC_PITCH];
        float b = c->data[(size_t)(t + 1) * NR_NUM_DESC + NR_DESC_PITCH];
        if (!(a > 0.0f && b > 0.0f && isfinite(a) && isfinite(b))) continue;
        if (fabs(log2((double)b / a)) > jump_oct) continue;
        for (int u = 0; u < t; u++) c->data[(size_t)u * NR_NUM_DESC + NR_DESC_PITCH] = a;
        return t;
    }
    return 0; /* no two frames agree early on: nothing to settle on */
}

nr_result nr_curves_resample_for_model(const nr_curves *in, float frame_rate, int settle_onset, nr_curves *out)
{
    if (!settle_onset) return nr_curves_resample(in, frame_rate, out);
    nr_curves sc;
    nr_result r = nr_curves_resample(in, in->frame_rate, &sc); /* a copy */
    if (r != NR_OK) return r;
    nr_curves_settle_onset_pitch(&sc, NR_ONSET_JUMP_OCT, NR_ONSET_WITHIN_S);
    r = nr_curves_resample(&sc, frame_rate, out);
    nr_curves_free(&sc);
    return r;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

double nr_curves_median_pitch(const nr_curves *c, double range_db, double lo, double hi)
{
    float top = 0.0f;
    for (int t = 0; t < c->n_frames; t++) {
        float l = c->data[(size_t)t * NR_NUM_DESC + NR_DESC_LOUDNESS];
        if (l > top) top = l;
    }
    if (!(top > 0.0f)) return 0.0;
    float *v = malloc((size_t)c->n_frames * sizeof *v + 1);
    if (!v) return 0.0;
    double floor_rms = top * pow(10.0, -range_db / 20.0);
    int n = 0;
    for (int t = 0; t < c->n_frames; t++) {
        const float *f = c->data + (size_t)t * NR_NUM_DESC;
        if (f[NR_DESC_LOUDNESS] >= floor_rms && f[NR_DESC_PITCH] >= lo && f[NR_DESC_PITCH] <= hi) v[n++] = f[NR_DESC_PITCH];
    }
    qsort(v, (size_t)n, sizeof *v, cmp_float);
    double med = n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * ((double)v[n / 2 - 1] + v[n / 2]);
    free(v);
    return med;
}
