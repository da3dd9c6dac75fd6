/* A model's bank: voices, templates and output chain, sized for the device rate and block. */
#include "synth/bank.h"

#include <math.h>
#include <stdlib.h>

nr_result nr_bank_create(nr_model *model, int device_rate, int max_block, uint64_t seed, int threads, nr_bank **out)
{
    *out = NULL;
    nr_bank *b = calloc(1, sizeof *b);
    if (!b) {
        nr_model_free(model);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the synth's model bank");
    }
    b->model = model;
    nr_model_get_info(model, &b->info);
    nr_result r = NR_OK;
    if (b->info.sample_rate < 1000 || b->info.hop < 1)
        r = nr_fail(NR_ERR_FORMAT, "model reports sample rate %d Hz, hop %d", b->info.sample_rate, b->info.hop);
    if (r == NR_OK) {
        double ratio = (double)device_rate / b->info.sample_rate;
        int chunk = (int)ceil(max_block / (ratio > 0 ? ratio : 1.0)) + 8;
        b->chunk = chunk < 256 ? 256 : chunk > 16384 ? 16384 : chunk;
        b->vbuf = calloc((size_t)b->chunk, sizeof(float));
        if (!b->vbuf) r = nr_fail(NR_ERR_NOMEM, "out of memory for voice buffers");
    }
    if (r == NR_OK) r = nr_output_init(&b->out, b->info.sample_rate, device_rate, max_block, b->chunk);
    if (r == NR_OK) {
        nr_template_set_init(&b->tpl, &b->info);
        r = nr_template_set_add_model(&b->tpl, model);
        if (r == NR_OK) r = nr_template_set_add_builtins(&b->tpl);
        nr_template_set_defaults(&b->tpl, model);
    }
    for (int i = 0; i < NR_VOICE_SLOTS && r == NR_OK; i++) {
        nr_voice_config vc = nr_voice_config_init();
        vc.seed = seed + (uint64_t)i;
        vc.max_block = b->chunk;
        vc.band_limited = 1;
        vc.threads = threads > 1 ? threads : 1;
        r = nr_voice_create(model, &vc, &b->voice[i]);
    }
    if (r != NR_OK) {
        nr_bank_free(b);
        return r;
    }
    *out = b;
    return NR_OK;
}

void nr_bank_free(nr_bank *b)
{
    if (!b) return;
    for (int i = 0; i < NR_VOICE_SLOTS; i++) nr_voice_free(b->voice[i]);
    nr_template_set_free(&b->tpl);
    nr_output_free(&b->out);
    free(b->vbuf);
    nr_model_free(b->model);
    free(b);
}

float nr_bank_cv_latency_ms(const nr_bank *b)
{
    double model_s = (double)((b->info.lookahead_frames + 1) * b->info.hop + b->out.lead) / b->info.sample_rate;
    double rate = b->info.sample_rate * b->out.ratio;
    return (float)(1000.0 * (model_s + nr_output_delay(&b->out) / rate));
}
