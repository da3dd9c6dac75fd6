/* Latent sounds for the audio thread (patch source "latent"). The audio thread asks for a point (the
 * latent1..4 inputs); the control thread decodes it off the audio thread (nr/latent.h) into a free slot,
 * a template at the model's frame rate and normalisation, and publishes it; a trigger takes the newest
 * slot and holds it while its voice plays, so a slot is never rewritten under a voice. The slots are
 * allocated once, when the latent model is set; the audio thread's calls never allocate, lock or wait. */
#ifndef NR_LATENT_SLOTS_H
#define NR_LATENT_SLOTS_H

#include <stdatomic.h>

#include "nr/latent.h"
#include "synth/template_set.h"
#include "synth/voicepool.h"

/* every voice may hold one, plus the newest, plus one being written */
#define NR_LAT_SLOTS (NR_VOICE_SLOTS + 2)
#define NR_LAT_SLOT_FRAMES 1400 /* 7 s at up to 200 model frames per second */

typedef struct {
    nr_template_set set;            /* slots as templates (count NR_LAT_SLOTS once allocated) */
    atomic_int ready;               /* newest decoded slot; -1: none */
    atomic_int users[NR_LAT_SLOTS]; /* voices holding each slot */
    _Atomic float want[NR_NUM_LATENT]; /* the point the audio thread asks for, prior std */
    atomic_uint want_seq;           /* bumped after each new point */
    float asked[NR_NUM_LATENT];     /* audio thread: the last point asked for */
    int asked_any;
    /* control thread */
    nr_latent *lm;                  /* owned; NULL: no latent model */
    unsigned done_seq;
    int dirty;                      /* decode even if the point did not move (new model, new bank) */
    float *work, *raw;              /* nr_latent_work_floats, (NR_LAT_T, 7) */
} nr_lat_slots;

void nr_lat_slots_init(nr_lat_slots *ls);
/* Control thread: free the slots and the model. */
void nr_lat_slots_free(nr_lat_slots *ls);
/* Control thread: take the latent model over (NULL: none), allocating the slots the first time. The
 * previous model is freed. Voices keep the slots they hold. */
nr_result nr_lat_slots_set_model(nr_lat_slots *ls, nr_latent *lm);
/* Control thread: forget the decoded sound (a model change is under way); the next update decodes. */
void nr_lat_slots_invalidate(nr_lat_slots *ls);
/* Control thread: decode the asked point, if it moved (or dirty), into a free slot with the bank's frame
 * rate and normalisation, and publish it. Returns 1 if it decoded. */
int nr_lat_slots_update(nr_lat_slots *ls, const nr_template_set *bank_tpl);

/* Audio thread: ask for point z (NR_NUM_LATENT, prior std). */
void nr_lat_slots_request(nr_lat_slots *ls, const float *z);
/* Audio thread: the newest slot (-1: none), without holding it. */
int nr_lat_slots_newest(nr_lat_slots *ls);
/* Audio thread: hold the newest slot; returns its index, or -1 if none is decoded yet. */
int nr_lat_slots_acquire(nr_lat_slots *ls);
/* Audio thread: let a held slot go. */
void nr_lat_slots_release(nr_lat_slots *ls, int k);

#endif
