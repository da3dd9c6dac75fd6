/* Descriptor curves made live at each trigger: a template (or two, time-aligned and mixed), moved by
 * the controls in the model's normalised descriptor space, read with time stretch and scrub.
 * Audio-thread safe. */
#ifndef NR_CURVE_READER_H
#define NR_CURVE_READER_H

#include "dsp/rng.h"
#include "synth/template_set.h"

/* The controls of one voice at one frame (bases + CVs, already clamped). */
typedef struct {
    float a;                  /* A/B position, 0..1 */
    float offset[NR_NUM_DESC]; /* std units */
    float stretch;            /* octaves, + = longer */
    float scrub;              /* read-position offset, share of the sound, -1..1 */
    float variation;          /* 0..1 */
    float voct;               /* octaves of transposition (pitch_voct CV): not applied to the curve here;
                               * the voice plays each frame tuned by it (nr_voice_push_frame_tuned) */
    float latent[NR_NUM_LATENT]; /* the latent point of the latent1..4 inputs, prior std */
} nr_curve_ctl;

/* Read position of one sounding curve. */
typedef struct {
    double u;                   /* warped phase: 0..1 up to the aligned peak, 1..2 after it */
    float rnd[NR_NUM_DESC];     /* per-trigger draws, N(0, 1) */
    float rnd_rate;             /* per-trigger draw for the length, N(0, 1) */
} nr_curve_reader;

/* rng: the performer's xorshift64* state (dsp/rng.h) for the per-trigger draws. */
void nr_curve_start(nr_curve_reader *r, uint64_t *rng);
/* The next raw frame (model units, clamped to plausible ranges) and advance; 0 once the sound
 * has ended (no frame written). ta/tb index s; tb is unused when a == 0. */
int nr_curve_next(const nr_template_set *s, int ta, int tb, nr_curve_reader *r, const nr_curve_ctl *c,
                  float raw[NR_NUM_DESC]);

#endif
