/* Offline render: the same streaming voice the instrument plays, fed with a whole curve. */
#include "nr/engine.h"

#include <stdlib.h>
#include <string.h>

nr_render_config nr_render_config_init(void)
{
    nr_render_config c;
    memset(&c, 0, sizeof c);
    c.voice = nr_voice_config_init();
    c.block = 4096;
    return c;
}

nr_result nr_render(const nr_model *m, const nr_curves *c, const nr_render_config *cfg, nr_audio *out)
{
    memset(out, 0, sizeof *out);
    nr_model_info info;
    nr_model_get_info(m, &info);
    if (cfg->block < 1) return nr_fail(NR_ERR_ARG, "render block size %d must be at least 1", cfg->block);
    if (c->n_frames < 1) return nr_fail(NR_ERR_ARG, "render: the curves have no frames");

    nr_curves mc;
    nr_result r = nr_curves_resample_for_model(c, (float)info.sample_rate / (float)info.hop, info.settle_onset_pitch, &mc);
    if (r != NR_OK) return r;

    nr_voice_config vc = cfg->voice;
    if (vc.max_block < cfg->block) vc.max_block = cfg->block;
    nr_voice *v = NULL;
    r = nr_voice_create(m, &vc, &v);
    if (r != NR_OK) {
        nr_curves_free(&mc);
        return r;
    }
    long total = (long)mc.n_frames * info.hop;
    float *y = malloc((size_t)total * sizeof(float));
    if (!y) {
        nr_voice_free(v);
        nr_curves_free(&mc);
        return nr_fail(NR_ERR_NOMEM, "render: out of memory for %ld samples", total);
    }
    nr_voice_reset(v, 0);
    long done = 0;
    int next_frame = 0;
    while (done < total) {
        if (cfg->cancel && *cfg->cancel) break;
        /* Push frames only as far ahead as the voice needs: this is exactly how a live voice runs. */
        while (next_frame < mc.n_frames && nr_voice_available(v) < cfg->block) {
            if (!nr_voice_push_frame_tuned(v, mc.data + (size_t)next_frame * NR_NUM_DESC, cfg->voct)) break;
            next_frame++;
        }
        if (next_frame == mc.n_frames) nr_voice_end(v);
        int want = (int)(total - done < cfg->block ? total - done : cfg->block);
        int got = nr_voice_process(v, y + done, want);
        if (got <= 0) break; /* a voice that cannot progress is a bug: reported below */
        done += got;
    }
    nr_voice_free(v);
    nr_curves_free(&mc);
    if (done != total && cfg->cancel && *cfg->cancel) {
        free(y);
        return nr_fail(NR_ERR_INTERRUPTED, "render: interrupted after %.2f of %.2f s", (double)done / info.sample_rate,
                       (double)total / info.sample_rate);
    }
    if (done != total) {
        free(y);
        return nr_fail(NR_ERR_VALUE, "render: voice produced %ld of %ld samples", done, total);
    }
    if (cfg->out_rate > 0 && cfg->out_rate != info.sample_rate) {
        r = nr_audio_resample(y, total, info.sample_rate, cfg->out_rate, out);
        free(y);
        return r;
    }
    out->samples = y;
    out->n = total;
    out->rate = info.sample_rate;
    return NR_OK;
}
