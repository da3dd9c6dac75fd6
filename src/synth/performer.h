/* The performer: timed events at their sample times -> descriptor frames pushed as late as each
 * voice allows -> voices mixed at the model rate. Runs on the audio thread only; never allocates,
 * locks, logs or touches files. The bank (model, voices, templates, output chain) is made on the
 * control thread and handed over whole. */
#ifndef NR_PERFORMER_H
#define NR_PERFORMER_H

#include "nr/synth.h"
#include "synth/bank.h"
#include "synth/latent_slots.h"
#include "synth/voicepool.h"

/* What the control thread publishes to the audio thread (a copy, never shared). */
typedef struct {
    nr_patch patch;
    nr_cv_cal cal[NR_NUM_CV];
    int ta, tb; /* template indices resolved from the patch's names (-1: none) */
} nr_perf_params;

#define NR_PENDING_MAX NR_SYNTH_MAX_PENDING

typedef struct {
    int64_t time; /* model-rate sample time */
    nr_synth_event ev;
} nr_timed_event;

typedef struct {
    nr_bank *bank; /* may be NULL: silence, gate logic still runs */
    nr_lat_slots *lat; /* decoded latent sounds (source latent); NULL: none */
    nr_perf_params prm;
    nr_vpool pool;
    int device_rate;
    float cv_raw[NR_NUM_CV];    /* volts as received */
    float cv_target[NR_NUM_CV]; /* calibrated volts */
    float cv_now[NR_NUM_CV];    /* smoothed towards the target per sample */
    int gate[NR_NUM_GATES];
    float note_voct[NR_NUM_GATES]; /* the last NOTE_PITCH of each gate, octaves */
    float note_gain[NR_NUM_GATES]; /* the last NOTE_LEVEL of each gate, 0..1 */
    int64_t mclock;             /* model-rate samples rendered */
    int64_t dclock;             /* device-rate samples output (advanced by the synth) */
    uint64_t rng;                /* nr_xs64 state (dsp/rng.h) */
    float level_now;            /* output level of the CV level target, ramped per sample */
    int limit;                  /* voice count the CPU guard allows */
    nr_timed_event pend[NR_PENDING_MAX]; /* sorted by time */
    int npend;
    uint32_t faults, dropped;
    /* After a model switch: the previous model's voices, sounding out in a copy of the performer (NULL:
     * none). A gate edge that fades this performer's voice of the gate (retrigger, choke) fades the
     * previous model's voice of that gate too, by tail_fade_step per sample of its rate. */
    nr_vpool *tail;
    float tail_fade_step;
    int sounding_out; /* 1: this is such a copy: it takes no events and asks for no latent point */
} nr_performer;

void nr_perf_init(nr_performer *p, nr_bank *b, int device_rate, uint64_t seed);
/* A new bank (model switch): the pool starts empty, controls are kept, pending events move to the new
 * model's time. voices_kept: a copy of the performer sounds the old voices out and lets their latent
 * slots go; 0: every voice stops here. */
void nr_perf_set_bank(nr_performer *p, nr_bank *b, int voices_kept);
/* Every voice silent at once, its latent slots let go (the end of a sounding-out copy). Audio thread. */
void nr_perf_stop_all(nr_performer *p);
/* Gain a fading voice loses per model sample (RELEASE_S at the bank's rate). */
float nr_perf_fade_step(const nr_performer *p);
void nr_perf_set_params(nr_performer *p, const nr_perf_params *prm);
/* Queue an event at its device-rate sample time (-1: at the next rendered sample). 0 if dropped. */
int nr_perf_event(nr_performer *p, const nr_synth_event *ev);
/* nr_render_fn: m model-rate samples. */
void nr_perf_render(void *perf, float *y, int m);
/* Model-rate time of a device-rate time. */
int64_t nr_perf_model_time(const nr_performer *p, int64_t device_time);

#endif
