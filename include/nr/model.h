/* Synthesis models and their voices.
 *
 * A model holds read-only weights and may be shared by any number of voices and threads.
 * A voice is one sounding impact: it consumes raw descriptor frames (at the model's frame rate, in
 * the column order of nr/core.h) and produces audio at the model's sample rate, streaming, in blocks
 * of any size up to its configured maximum, with a cost per block that does not grow along the sound.
 *
 * Frames are pushed ahead of the audio: a model whose conditioning looks ahead (the original looks
 * `lookahead_frames` frames ahead) produces the samples of frame k once frame k + lookahead has been
 * pushed, or once nr_voice_end() says no frame will follow. */
#ifndef NR_MODEL_H
#define NR_MODEL_H

#include "nr/tensors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nr_model nr_model;
typedef struct nr_voice nr_voice;

typedef struct {
    const char *arch;     /* "hn-sinc-nsf", ... */
    int sample_rate;      /* Hz */
    int hop;              /* samples per descriptor frame */
    int lookahead_frames; /* frames a voice needs beyond the one it is rendering */
    int64_t n_params;     /* stored values */
    size_t weights_bytes;
    size_t voice_bytes;   /* state of one voice (max block included) */
    double macs_per_sample;
    float desc_mean[NR_NUM_DESC]; /* the normalisation the model applies to raw descriptors */
    float desc_std[NR_NUM_DESC];
    int settle_onset_pitch; /* 1: the model expects curves whose onset pitch is settled
                             * (nr_curves_settle_onset_pitch, at their own frame rate, before any resampling):
                             * nr_render, the synth's templates and latent curves do it for such a model */
} nr_model_info;

/* Load a model file: the original PyTorch .th or a native .safetensors, told apart by content.
 * Checks every tensor name and shape against the architecture and rejects non-finite weights. */
nr_result nr_model_load(const char *path, nr_model **out);
/* Build from tensors (taken over, even on failure). `what` names the source in errors. */
nr_result nr_model_from_tensors(nr_tensor_set *ts, const char *what, nr_model **out);
/* Write the native format: safetensors with metadata (nr.format, nr.version, nr.arch, sample rate,
 * hop, normalisation, hyper-parameters). Atomic. */
nr_result nr_model_save(const nr_model *m, const char *path);
void nr_model_free(nr_model *m);
/* nr-impact-2's inharmonic floor: its partials under 2^octaves times the pitch are silent (faded in over
 * the 0.15 octave below), in every voice made after the call and in the file nr_model_save writes
 * (impact2.inharm_floor); NR_MODEL_NO_FLOOR removes it (every partial of the ratio range plays, as in the
 * files before it). The weights are untouched. Octaves in -8..8. NR_ERR_ARG for other architectures.
 * Not while voices of the model play. */
#define NR_MODEL_NO_FLOOR (-100.0f)
nr_result nr_model_set_inharm_floor(nr_model *m, float octaves);
void nr_model_get_info(const nr_model *m, nr_model_info *info);
/* Where the shipped models are found: the i-th (0..2) of DIR/models, DIR/../models and
 * DIR/../share/neurorack/models, DIR the running program's folder (a source tree's build, an install
 * prefix's bin). Returns 0 when there is no i-th folder or the program's folder is unknown. */
int nr_model_dir(int i, char *out, size_t n);
/* The default model: $NEURORACK_MODEL when set, else the first default.safetensors readable in those
 * folders. Returns 0 when neither gives one. */
int nr_model_default_path(char *out, size_t n);
const nr_tensor_set *nr_model_tensors(const nr_model *m);

typedef struct {
    uint64_t seed;    /* random initial phases and noise */
    int no_noise;     /* every random draw is zero: the golden deterministic run */
    int band_limited; /* no harmonic at or above Nyquist (the original aliases) */
    int max_block;    /* largest n given to nr_voice_process */
    int threads;      /* threads a voice may use inside one block (1 = none) */
} nr_voice_config;

nr_voice_config nr_voice_config_init(void);

/* Allocates everything a voice will ever need. Not audio-thread safe. */
nr_result nr_voice_create(const nr_model *m, const nr_voice_config *cfg, nr_voice **out);
void nr_voice_free(nr_voice *v);

/* --- audio-thread safe below: no allocation, no lock, no I/O --- */

/* Start a new sound (forgets all frames and history); seed 0 keeps the configured seed. */
void nr_voice_reset(nr_voice *v, uint64_t seed);
/* Append the next raw descriptor frame; non-finite or absurd values are clamped.
 * Returns 0 when the voice's frame queue is full (the caller pushed too far ahead), else 1. */
int nr_voice_push_frame(nr_voice *v, const float desc[NR_NUM_DESC]);
/* The same frame played voct octaves higher (the pitch_voct CV, render --transpose; clamped to
 * +-NR_VOICE_VOCT_MAX, NaN = 0). A model that can tune its whole sound does so, as a sampler plays a
 * sample at another key: nr-impact-2 moves every partial, its noise spectrum and its transient by
 * 2^voct while its network hears desc as given, so the sound keeps its timbre and moves by exactly the
 * interval. The other models play desc with the pitch column x 2^voct (their sines follow the pitch
 * curve). nr_voice_tunes_sound() tells which. voct = 0 is nr_voice_push_frame. */
#define NR_VOICE_VOCT_MAX 8.0f
int nr_voice_push_frame_tuned(nr_voice *v, const float desc[NR_NUM_DESC], float voct);
int nr_voice_tunes_sound(const nr_voice *v);
/* No more frames will come: the sound ends with the last pushed frame. */
void nr_voice_end(nr_voice *v);
/* Samples that can be produced now without more frames. */
long nr_voice_available(const nr_voice *v);
/* Writes min(n, available) samples and returns that count (n <= max_block). */
int nr_voice_process(nr_voice *v, float *out, int n);
/* True once nr_voice_end() was called and every sample was produced. */
int nr_voice_finished(const nr_voice *v);

#ifdef __cplusplus
}
#endif
#endif
