#include "synth/output.h"
#include "nr/synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DC_CUTOFF_HZ 10.0
#define LIMIT_KNEE 0.8f
#define LIMIT_CEIL 0.98f /* a float tanh reaches 1.0 exactly: stay below full scale */
/* Medium sinc: flat to ~0.9 Nyquist, 97 dB stop band; a few ms of delay. */
#define SRC_TYPE SRC_SINC_MEDIUM_QUALITY
#define SRC_DELAY_IN_SAMPLES 40.0 /* approx. half the filter at unity ratio, model-rate samples */

/* How far before an onset the resampler's output starts, in model samples: an impulse goes through a
 * scratch converter and the lead is where the left tail of its response, summed in magnitude (a
 * bound on what any signal of peak 1 can leak there), first exceeds the floor. */
static nr_result measure_lead(double ratio, int *lead)
{
    enum { N = 512, P = 256 };
    *lead = 0;
    int err = 0;
    SRC_STATE *s = src_new(SRC_TYPE, 1, &err);
    float *in = calloc(N, sizeof(float));
    int cap = (int)ceil(N * ratio) + 64;
    float *out = calloc((size_t)cap, sizeof(float));
    nr_result r = NR_OK;
    if (!s || !in || !out) r = nr_fail(NR_ERR_NOMEM, "out of memory for the resampler");
    if (r == NR_OK) {
        in[P] = 1.0f;
        SRC_DATA d;
        memset(&d, 0, sizeof d);
        d.data_in = in;
        d.input_frames = N;
        d.data_out = out;
        d.output_frames = cap;
        d.src_ratio = ratio;
        d.end_of_input = 1;
        if ((err = src_process(s, &d)) != 0) r = nr_fail(NR_ERR_DEVICE, "resampler: %s", src_strerror(err));
        double ideal = P * ratio, acc = 0.0;
        /* the response sampled every 1/ratio model samples: its magnitude sum over model-rate taps */
        for (long i = 0; r == NR_OK && i < d.output_frames_gen && i < ideal; i++) {
            acc += fabs((double)out[i]) / (ratio > 1.0 ? ratio : 1.0);
            if (acc > 0.5 * NR_OUTPUT_PRERING_FLOOR) { /* half: margin for the sum's approximation */
                *lead = (int)ceil((ideal - (double)i) / ratio);
                break;
            }
        }
    }
    if (s) src_delete(s);
    free(in);
    free(out);
    return r;
}

nr_result nr_output_init(nr_output *o, int model_rate, int device_rate, int max_block, int max_chunk)
{
    memset(o, 0, sizeof *o);
    if (model_rate < 1000 || model_rate > 384000 || device_rate < 1000 || device_rate > 384000)
        return nr_fail(NR_ERR_ARG, "sample rates %d -> %d Hz out of range 1000..384000", model_rate, device_rate);
    if (max_block < 1 || max_chunk < 16)
        return nr_fail(NR_ERR_ARG, "output block %d / chunk %d too small", max_block, max_chunk);
    o->ratio = (double)device_rate / (double)model_rate;
    o->max_chunk = max_chunk;
    o->dc_r = (float)(1.0 - 2.0 * M_PI * DC_CUTOFF_HZ / device_rate);
    o->vol = -1.0f; /* no ramp into the first block */
    if (device_rate != model_rate) {
        int err = 0;
        o->src = src_new(SRC_TYPE, 1, &err);
        if (!o->src) return nr_fail(NR_ERR_NOMEM, "resampler: %s", src_strerror(err));
        o->mbuf = calloc((size_t)max_chunk, sizeof(float));
        o->rcap = max_block + (int)ceil(max_chunk * o->ratio) + 64;
        o->rbuf = calloc((size_t)o->rcap, sizeof(float));
        if (!o->mbuf || !o->rbuf) {
            nr_output_free(o);
            return nr_fail(NR_ERR_NOMEM, "out of memory for the resampler buffers");
        }
        nr_result r = measure_lead(o->ratio, &o->lead);
        if (r != NR_OK) {
            nr_output_free(o);
            return r;
        }
    }
    return NR_OK;
}

void nr_output_free(nr_output *o)
{
    if (o->src) src_delete(o->src);
    free(o->mbuf);
    free(o->rbuf);
    memset(o, 0, sizeof *o);
}

void nr_output_reset(nr_output *o)
{
    if (o->src) src_reset(o->src);
    o->mhave = o->rhave = 0;
    o->dc_x1 = o->dc_y1 = 0.0f;
}

double nr_output_delay(const nr_output *o) { return o->src ? SRC_DELAY_IN_SAMPLES * o->ratio : 0.0; }

void nr_output_pull(nr_output *o, float *out, int n, nr_render_fn render, void *ctx)
{
    if (!o->src) {
        for (int done = 0; done < n;) {
            int m = n - done < o->max_chunk ? n - done : o->max_chunk;
            render(ctx, out + done, m);
            done += m;
        }
        return;
    }
    /* The resampler keeps a delay line, so it may take input without output at first: a bounded loop. */
    for (int iter = 0; o->rhave < n && iter < 64; iter++) {
        int want = (int)ceil((n - o->rhave) / o->ratio) + 2;
        int room = o->max_chunk - o->mhave;
        int m = want < room ? want : room;
        if (m > 0) {
            render(ctx, o->mbuf + o->mhave, m);
            o->mhave += m;
        }
        SRC_DATA d;
        memset(&d, 0, sizeof d);
        d.data_in = o->mbuf;
        d.input_frames = o->mhave;
        d.data_out = o->rbuf + o->rhave;
        d.output_frames = o->rcap - o->rhave;
        d.src_ratio = o->ratio;
        if (src_process(o->src, &d) != 0) break;
        o->rhave += (int)d.output_frames_gen;
        o->mhave -= (int)d.input_frames_used;
        if (o->mhave > 0) memmove(o->mbuf, o->mbuf + d.input_frames_used, (size_t)o->mhave * sizeof(float));
    }
    int take = o->rhave < n ? o->rhave : n;
    memcpy(out, o->rbuf, (size_t)take * sizeof(float));
    memset(out + take, 0, (size_t)(n - take) * sizeof(float));
    o->rhave -= take;
    if (o->rhave > 0) memmove(o->rbuf, o->rbuf + take, (size_t)o->rhave * sizeof(float));
}

float nr_soft_limit(float x)
{
    float a = fabsf(x);
    if (a <= LIMIT_KNEE) return x;
    float y = LIMIT_KNEE + (LIMIT_CEIL - LIMIT_KNEE) * tanhf((a - LIMIT_KNEE) / (LIMIT_CEIL - LIMIT_KNEE));
    return x < 0.0f ? -y : y;
}

float nr_output_post(nr_output *o, float *x, int n, float gain)
{
    if (!isfinite(gain) || gain < 0.0f) gain = 0.0f;
    if (o->vol < 0.0f) o->vol = gain;
    float v = o->vol, dv = n > 0 ? (gain - v) / (float)n : 0.0f;
    float x1 = o->dc_x1, y1 = o->dc_y1, r = o->dc_r, peak = 0.0f;
    for (int i = 0; i < n; i++) {
        float s = x[i];
        if (!isfinite(s)) {
            s = 0.0f;
            x1 = y1 = 0.0f;
            o->guarded++;
        }
        s = s > 1e4f ? 1e4f : s < -1e4f ? -1e4f : s; /* keeps the filter state finite */
        float y = s - x1 + r * y1; /* one-pole DC blocker */
        x1 = s;
        y1 = fabsf(y) < 1e-30f ? 0.0f : y; /* no denormals in the feedback */
        v += dv;
        float z = nr_soft_limit(y * v);
        if (!isfinite(z)) z = 0.0f;
        x[i] = z;
        if (fabsf(z) > peak) peak = fabsf(z);
    }
    o->vol = gain;
    o->dc_x1 = x1;
    o->dc_y1 = y1;
    return peak;
}

float nr_synth_output_stage(float *x, long n, int rate)
{
    nr_output o;
    memset(&o, 0, sizeof o);
    o.dc_r = (float)(1.0 - 2.0 * M_PI * DC_CUTOFF_HZ / (rate > 1000 ? rate : 1000));
    o.vol = 1.0f;
    float peak = 0.0f;
    for (long i = 0; i < n; i += 65536) {
        int m = n - i < 65536 ? (int)(n - i) : 65536;
        float p = nr_output_post(&o, x + i, m, 1.0f);
        if (p > peak) peak = p;
    }
    return peak;
}
