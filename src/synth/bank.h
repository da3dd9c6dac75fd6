/* The bank of one model: the model, its templates, one voice per slot and the output chain. Built on
 * the control thread, handed to the audio thread whole (a model reload swaps banks), freed on the
 * control thread again. */
#ifndef NR_BANK_H
#define NR_BANK_H

#include "synth/output.h"
#include "synth/template_set.h"
#include "synth/voicepool.h"

typedef struct {
    nr_model *model;
    nr_model_info info;
    nr_template_set tpl;
    nr_voice *voice[NR_VOICE_SLOTS];
    int chunk;   /* largest model-rate render (voice max_block) */
    float *vbuf; /* (chunk) one voice's output */
    nr_output out;
} nr_bank;

/* Takes the model over (freed with the bank, even on failure). Not audio-thread safe. */
nr_result nr_bank_create(nr_model *model, int device_rate, int max_block, uint64_t seed, int threads, nr_bank **out);
void nr_bank_free(nr_bank *b);
/* Worst delay from a CV change to the sound it moves, in ms: the model's lookahead plus one frame
 * (frames are pushed as late as the voice allows) plus the resampler. */
float nr_bank_cv_latency_ms(const nr_bank *b);

#endif
