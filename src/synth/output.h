/* The output chain: model rate -> device rate (libsamplerate), DC blocker, volume ramp, soft limiter,
 * and a last guard so that no NaN or infinity ever reaches the device. */
#ifndef NR_OUTPUT_H
#define NR_OUTPUT_H

#include "nr/core.h"

#include <samplerate.h>

/* Renders m samples at the model rate (m <= the max_chunk given to nr_output_init). */
typedef void (*nr_render_fn)(void *ctx, float *y, int m);

typedef struct {
    SRC_STATE *src; /* NULL when the rates are equal (bypass: exact sample times) */
    double ratio;   /* device rate / model rate */
    int max_chunk;
    float *mbuf;    /* (max_chunk) model-rate samples not yet taken by the resampler */
    int mhave;
    float *rbuf;    /* (rcap) device-rate samples made but not yet output */
    int rcap, rhave;
    float dc_x1, dc_y1, dc_r;
    int lead;       /* model samples a timed event is rendered late so that the resampler's pre-ringing
                       (its sinc's left half, above NR_OUTPUT_PRERING_FLOOR) begins at the event's
                       device time, not before it (0 when bypassed) */
    float vol;      /* current gain, ramped per sample towards the block's target */
    uint32_t guarded; /* non-finite samples replaced by silence */
} nr_output;

/* Not audio-thread safe. max_block: device samples per pull; max_chunk: model samples per render. */
nr_result nr_output_init(nr_output *o, int model_rate, int device_rate, int max_block, int max_chunk);
void nr_output_free(nr_output *o);
/* Forget all state (a new model, a stream restart). Audio-thread safe. */
void nr_output_reset(nr_output *o);

/* --- audio-thread safe --- */
/* Fill out[n] at the device rate, calling render for model-rate audio as needed. */
void nr_output_pull(nr_output *o, float *out, int n, nr_render_fn render, void *ctx);
/* DC blocker, volume (ramped from the last block's to `gain`), soft limiter, finite guard.
 * Returns the block's peak after the chain. */
float nr_output_post(nr_output *o, float *x, int n, float gain);
/* Linear below 0.8, then a tanh knee up to 0.98 (slope 1 at the knee: no kink). */
float nr_soft_limit(float x);
/* Device samples between a model sample entering the resampler and its output (0 when bypassed). */
double nr_output_delay(const nr_output *o);

/* Pre-ringing allowed before an event's device time, relative to the signal's peak: -120 dB, the
 * live layer's threshold of sound (NR_LIVE_SOUND_THRESHOLD). */
#define NR_OUTPUT_PRERING_FLOOR 1e-6

#endif
