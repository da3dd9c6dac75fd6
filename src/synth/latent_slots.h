/* Latent sounds for the audio thread (patch source "latent"). Two channels: gate 1's point (the
 * latent1..4 inputs) and gate 2's morph (the A/B position on the line between templates A and B encoded
 * into the latent). The audio thread asks; the control thread decodes off the audio thread (nr/latent.h)
 * into a free slot, a template at the model's frame rate and normalisation, and publishes it; a voice
 * holds the slots it reads, so a slot is never rewritten under a voice. The slots are allocated once,
 * when the latent model is set; the audio thread's calls never allocate, lock or wait. */
#ifndef NR_LATENT_SLOTS_H
#define NR_LATENT_SLOTS_H

#include <stdatomic.h>

#include "nr/latent.h"
#include "synth/template_set.h"
#include "synth/voicepool.h"

#define NR_LAT_POINT 0 /* channel of gate 1: the point of the latent1..4 inputs */
#define NR_LAT_MORPH 1 /* channel of gate 2: the A/B position between encoded templates A and B */
#define NR_LAT_CHANNELS 2
/* every voice may hold two (while it moves to a new point), plus each channel's newest, plus one being
 * written */
#define NR_LAT_SLOTS (2 * NR_VOICE_SLOTS + NR_LAT_CHANNELS + 1)
#define NR_LAT_SLOT_FRAMES 1400 /* 7 s at up to 200 model frames per second */

typedef struct {
    nr_template_set set;                          /* slots as templates (count NR_LAT_SLOTS once allocated) */
    atomic_int ready[NR_LAT_CHANNELS];            /* newest decoded slot of each channel; -1: none */
    atomic_int users[NR_LAT_SLOTS];               /* voices holding each slot */
    _Atomic float want[NR_LAT_CHANNELS][NR_NUM_LATENT]; /* what the audio thread asks for: a point in prior
                                                     std (POINT), the A/B position in want[MORPH][0] */
    atomic_uint want_seq[NR_LAT_CHANNELS];        /* bumped after each new request */
    float asked[NR_LAT_CHANNELS][NR_NUM_LATENT];  /* audio thread: the last request */
    int asked_any[NR_LAT_CHANNELS];
    /* control thread */
    nr_latent *lm;                                /* owned; NULL: no latent model */
    unsigned done_seq[NR_LAT_CHANNELS];
    int dirty[NR_LAT_CHANNELS];                   /* decode even if the request did not move */
    float *work, *raw;                            /* nr_latent_work_floats, (NR_LAT_T, 7) */
} nr_lat_slots;

void nr_lat_slots_init(nr_lat_slots *ls);
/* Control thread: free the slots and the model. */
void nr_lat_slots_free(nr_lat_slots *ls);
/* Control thread: take the latent model over (NULL: none), allocating the slots the first time. The
 * previous model is freed. Voices keep the slots they hold. */
nr_result nr_lat_slots_set_model(nr_lat_slots *ls, nr_latent *lm);
/* Control thread: forget the decoded sounds (a model or template change); the next update decodes. */
void nr_lat_slots_invalidate(nr_lat_slots *ls, int channel);
/* Control thread: decode each channel's request, if it moved (or is dirty), into a free slot with the
 * bank's frame rate and normalisation, and publish it. The morph channel needs the encoded templates
 * za, zb (NR_NUM_LATENT each; NULL: it waits). Returns the number of decodes. */
int nr_lat_slots_update(nr_lat_slots *ls, const nr_template_set *bank_tpl, const float *za, const float *zb);

/* Audio thread: ask channel ch for v (NR_NUM_LATENT values). */
void nr_lat_slots_request(nr_lat_slots *ls, int ch, const float *v);
/* Audio thread: channel ch's newest slot (-1: none), without holding it. */
int nr_lat_slots_newest(nr_lat_slots *ls, int ch);
/* Audio thread: hold channel ch's newest slot; returns its index, or -1 if none is decoded yet. */
int nr_lat_slots_acquire(nr_lat_slots *ls, int ch);
/* Audio thread: let a held slot go. */
void nr_lat_slots_release(nr_lat_slots *ls, int k);

#endif
