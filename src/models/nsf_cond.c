/* hn-sinc-NSF condition module: three frame-rate convs (k = 3, zero padding, tanh), nearest x hop
 * upsampling, two moving averages of hop taps (replicate padding) per channel, and the sinc cut-off
 * 0.2 h + 0.4 uv + 0.3 smoothed over cut_win samples. This file has the whole-sound version; the
 * voice computes the same incrementally. */
#include "nsf_internal.h"
#include "dsp/fast_tanh.h"
#include "dsp/moving_average.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Descriptors beyond this magnitude are not measurements (Hz values stay far below it). */
#define DESC_LIMIT 1e6f

void nsf_frame_prepare(const nsf_weights *w, float *raw, float *feat)
{
    for (int c = 0; c < NR_NUM_DESC; c++) {
        float v = raw[c];
        if (v != v) v = 0.0f;
        if (v > DESC_LIMIT) v = DESC_LIMIT;
        if (v < -DESC_LIMIT) v = -DESC_LIMIT;
        raw[c] = v;
        feat[c] = (v - w->in_mean[c]) / w->in_std[c];
    }
}

void nsf_cond_conv(const nsf_weights *w, int layer, const float *prev, const float *cur, const float *next,
                   float *out)
{
    const int H = w->hidden, C = w->cin[layer];
    const float *in[3] = {prev, cur, next};
    const float *wt = w->cw[layer];
    for (int o = 0; o < H; o++) {
        float acc = w->cb[layer][o];
        for (int c = 0; c < C; c++) {
            const float *k = wt + ((size_t)o * C + c) * 3;
            for (int j = 0; j < 3; j++)
                if (in[j]) acc += k[j] * in[j][c];
        }
        out[o] = acc;
    }
    nr_tanh_inplace(out, (size_t)H);
}

nr_result nsf_condition_offline(const nsf_weights *w, const float *frames, int n_frames, float *ctx, float *cut,
                                float *f0)
{
    const int H = w->hidden, D = NR_NUM_DESC, hop = w->hop, U = w->up_win;
    const long F = n_frames, S = F * hop;
    float *raw = malloc((size_t)F * D * sizeof(float));
    float *feat = malloc((size_t)F * D * sizeof(float));
    float *c[4] = {feat, malloc((size_t)F * H * sizeof(float)), malloc((size_t)F * H * sizeof(float)),
                   malloc((size_t)F * H * sizeof(float))};
    float *up = malloc((size_t)S * sizeof(float)), *y1 = malloc((size_t)S * sizeof(float));
    float *y2 = malloc((size_t)S * sizeof(float)), *hc = malloc((size_t)S * sizeof(float));
    nr_result r = NR_OK;
    if (!raw || !feat || !c[1] || !c[2] || !c[3] || !up || !y1 || !y2 || !hc) {
        r = nr_fail(NR_ERR_NOMEM, "nsf condition: out of memory for %ld samples", S);
        goto done;
    }
    memcpy(raw, frames, (size_t)F * D * sizeof(float));
    for (long t = 0; t < F; t++) nsf_frame_prepare(w, raw + t * D, feat + t * D);
    for (int l = 0; l < 3; l++) {
        const int C = w->cin[l];
        for (long t = 0; t < F; t++)
            nsf_cond_conv(w, l, t > 0 ? c[l] + (t - 1) * C : NULL, c[l] + t * C, t + 1 < F ? c[l] + (t + 1) * C : NULL,
                          c[l + 1] + t * H);
    }
    for (int ch = 0; ch <= H; ch++) {
        for (long s = 0; s < S; s++) up[s] = ch < H ? c[3][(s / hop) * H + ch] : feat[(s / hop) * D + D - 1];
        /* PyTorch's arithmetic for both passes: its float sums drift (most over runs of equal values)
         * and the filter amplifies context differences (see nsf_voice.c) */
        if (!nr_ma_replicate(up, S, 1, w->ma_first + (size_t)ch * U, U, y1, 1) ||
            !nr_ma_replicate(y1, S, 1, w->ma_second + (size_t)ch * U, U, y2, 1)) {
            r = nr_fail(NR_ERR_NOMEM, "nsf condition: out of memory for %ld samples", S);
            goto done;
        }
        if (ch == H - 1) {
            memcpy(hc, y2, (size_t)S * sizeof(float));
        } else if (ctx) {
            const int dst = ch < H ? ch : H - 1; /* context = hidden[0 .. H-2] + smoothed normalised f0 */
            for (long s = 0; s < S; s++) ctx[s * H + dst] = y2[s];
        }
    }
    for (long s = 0; s < S; s++) {
        const float f = raw[(s / hop) * D + D - 1];
        if (f0) f0[s] = f;
        const float uv = f > w->voiced_threshold ? 1.0f : 0.0f;
        up[s] = hc[s] * 0.2f + uv * 0.4f + 0.3f;
    }
    if (cut && !nr_ma_replicate_fast(up, S, 1, w->cut_w, w->cut_win, cut, 1))
        r = nr_fail(NR_ERR_NOMEM, "nsf condition: out of memory for %ld samples", S);
done:
    free(raw);
    free(feat);
    free(c[1]);
    free(c[2]);
    free(c[3]);
    free(up);
    free(y1);
    free(y2);
    free(hc);
    return r;
}
