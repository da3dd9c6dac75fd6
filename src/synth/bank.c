/* A model's bank: voices, templates and output chain, sized for the device rate and block. */
#include "synth/bank.h"

#include <math.h>
#include <stdlib.h>

nr_result nr_bank_create(nr_model *model, int device_rate, int max_block, uint64_t seed, nr_bank **out)
{
    *out = NULL;
    nr_bank *e = calloc(1, sizeof *e);
    if (!e) {
        nr_model_free(model);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the synth's model bank");
    }
    e->model = model;
    nr_model_get_info(model, &e->info);
    nr_result r = NR_OK;
    if (e->info.sample_rate < 1000 || e->info.hop < 1)
        r = nr_fail(NR_ERR_FORMAT, "model reports sample rate %d Hz, hop %d", e->info.sample_rate, e->info.hop);
    if (r == NR_OK) {
        double ratio = (double)device_rate / e->info.sample_rate;
        int chunk = (int)ceil(max_block / (ratio > 0 ? ratio : 1.0)) + 8;
        e->chunk = chunk < 256 ? 256 : chunk > 16384 ? 16384 : chunk;
        e->vbuf = calloc((size_t)e->chunk, sizeof(float));
        if (!e->vbuf) r = nr_fail(NR_ERR_NOMEM, "out of memory for voice buffers");
    }
    if (r == NR_OK) r = nr_output_init(&e->out, e->info.sample_rate, device_rate, max_block, e->chunk);
    if (r == NR_OK) {
        nr_template_set_init(&e->tpl, &e->info);
        r = nr_template_set_add_model(&e->tpl, model);
        if (r == NR_OK) r = nr_template_set_add_builtins(&e->tpl);
        nr_template_set_defaults(&e->tpl, model);
    }
    for (int i = 0; i < NR_VOICE_SLOTS && r == NR_OK; i++) {
        nr_voice_config vc = nr_voice_config_init();
        vc.seed = seed + (uint64_t)i;
        vc.max_block = e->chunk;
        vc.band_limited = 1;
        r = nr_voice_create(model, &vc, &e->voice[i]);
    }
    if (r != NR_OK) {
        nr_bank_free(e);
        return r;
    }
    *out = e;
    return NR_OK;
}

void nr_bank_free(nr_bank *e)
{
    if (!e) return;
    for (int i = 0; i < NR_VOICE_SLOTS; i++) nr_voice_free(e->voice[i]);
    nr_template_set_free(&e->tpl);
    nr_output_free(&e->out);
    free(e->vbuf);
    nr_model_free(e->model);
    free(e);
}

float nr_bank_cv_latency_ms(const nr_bank *e)
{
    double model_s = (double)((e->info.lookahead_frames + 1) * e->info.hop + e->out.lead) / e->info.sample_rate;
    double rate = e->info.sample_rate * e->out.ratio;
    return (float)(1000.0 * (model_s + nr_output_delay(&e->out) / rate));
}
