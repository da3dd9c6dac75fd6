/* Whole-sound rendering of the hn-sinc-NSF, step by step as the original's forward(): the reference the
 * streaming voice is tested against, and the filter replay on recorded sources. */
#include "nsf_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    float *ctx, *cut, *f0, *har, *noi;
    void *fmem;
} offline_bufs;

static void bufs_free(offline_bufs *b)
{
    free(b->ctx);
    free(b->cut);
    free(b->f0);
    free(b->har);
    free(b->noi);
    free(b->fmem);
}

static nr_result bufs_alloc(const nsf_weights *w, long S, offline_bufs *b)
{
    memset(b, 0, sizeof *b);
    b->ctx = malloc((size_t)S * w->hidden * sizeof(float));
    b->cut = malloc((size_t)S * sizeof(float));
    b->f0 = malloc((size_t)S * sizeof(float));
    b->har = malloc((size_t)S * sizeof(float));
    b->noi = malloc((size_t)S * sizeof(float));
    b->fmem = aligned_alloc(64, (nsf_filter_bytes(w) + 63) & ~(size_t)63);
    if (!b->ctx || !b->cut || !b->f0 || !b->har || !b->noi || !b->fmem) {
        bufs_free(b);
        return nr_fail(NR_ERR_NOMEM, "nsf render: out of memory for %ld samples", S);
    }
    return NR_OK;
}

static nr_result run(const nr_model *m, const float *frames, int n_frames, const nr_voice_config *cfg,
                     const float *har, const float *noi, float *out, const nsf_taps *taps)
{
    const nsf_weights *w = nsf_weights_of(m);
    if (n_frames < 1) return nr_fail(NR_ERR_ARG, "nsf render: no frames");
    const long S = (long)n_frames * w->hop;
    offline_bufs b;
    nr_result r = bufs_alloc(w, S, &b);
    if (r != NR_OK) return r;
    r = nsf_condition_offline(w, frames, n_frames, b.ctx, b.cut, b.f0);
    if (r == NR_OK) {
        if (!har) {
            nsf_source src;
            nsf_source_init(&src, w, cfg->seed, cfg->no_noise, cfg->band_limited);
            for (long s = 0; s < S; s += NSF_CHUNK) {
                int n = (int)(S - s < NSF_CHUNK ? S - s : NSF_CHUNK);
                nsf_source_run(&src, b.f0 + s, n, b.har + s, b.noi + s);
            }
        } else {
            memcpy(b.har, har, (size_t)S * sizeof(float));
            memcpy(b.noi, noi, (size_t)S * sizeof(float));
        }
        nsf_filter f;
        nsf_filter_init(&f, w, b.fmem);
        nsf_filter_run(&f, b.har, b.noi, b.ctx, b.cut, S, out);
        if (taps) {
            if (taps->har) memcpy(taps->har, b.har, (size_t)S * sizeof(float));
            if (taps->noi) memcpy(taps->noi, b.noi, (size_t)S * sizeof(float));
            if (taps->cut) memcpy(taps->cut, b.cut, (size_t)S * sizeof(float));
            if (taps->ctx) memcpy(taps->ctx, b.ctx, (size_t)S * w->hidden * sizeof(float));
        }
    }
    bufs_free(&b);
    return r;
}

nr_result nsf_render_offline(const nr_model *m, const float *frames, int n_frames, const nr_voice_config *cfg,
                             float *out, const nsf_taps *taps)
{
    return run(m, frames, n_frames, cfg, NULL, NULL, out, taps);
}

nr_result nsf_filter_replay(const nr_model *m, const float *frames, int n_frames, const float *har,
                            const float *noi, float *out)
{
    nr_voice_config cfg = nr_voice_config_init();
    return run(m, frames, n_frames, &cfg, har, noi, out, NULL);
}
