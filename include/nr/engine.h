/* Offline rendering: curves -> model -> audio, through the same streaming voice the instrument uses. */
#ifndef NR_ENGINE_H
#define NR_ENGINE_H

#include <signal.h>

#include "nr/audio_file.h"
#include "nr/curves.h"
#include "nr/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    nr_voice_config voice;
    int block;    /* samples per nr_voice_process call (1..max_block) */
    int out_rate; /* 0: the model's rate; else resampled to this rate */
    float voct;   /* transposition, octaves, as the pitch_voct CV (nr_voice_push_frame_tuned); 0: none */
    const volatile sig_atomic_t *cancel; /* non-zero stops the render (NR_ERR_INTERRUPTED); NULL: never */
} nr_render_config;

nr_render_config nr_render_config_init(void);

/* Render `c` (any frame rate: resampled in time to the model's frame rate) to mono audio.
 * n_frames * hop samples at the model rate, then resampled if out_rate asks. out is allocated. */
nr_result nr_render(const nr_model *m, const nr_curves *c, const nr_render_config *cfg, nr_audio *out);

#ifdef __cplusplus
}
#endif
#endif
