/* Which voice slot plays what: gate modes, voice limit and stealing. Pure state, no audio, so the
 * gate logic is the same with any model (and testable without one). Audio-thread safe. */
#ifndef NR_VOICEPOOL_H
#define NR_VOICEPOOL_H

#include "synth/curve_reader.h"

/* Slots beyond the voice limit, so a stolen or retriggered voice can fade out instead of clicking. */
#define NR_SPARE_SLOTS 2
#define NR_VOICE_SLOTS (NR_MAX_VOICES + NR_SPARE_SLOTS)

typedef enum { NR_VS_IDLE = 0, NR_VS_PLAYING, NR_VS_RELEASING } nr_voice_state;

typedef struct {
    int state;       /* nr_voice_state */
    int gate;        /* gate that started it: 0 plays A, 1 plays the A/B mix */
    uint64_t serial; /* trigger order: smallest = oldest */
    float gain;      /* 1 while playing; falls to 0 while releasing */
    float fade_step; /* gain lost per sample while releasing */
    float env;       /* recent peak of the voice's output (for quietest-first stealing) */
    int ta, tb;      /* templates (of the latent slots when lat > 0) */
    int lat;         /* latent slot held + 1 (synth/latent_slots.h); 0: none, plays the bank's templates */
    int lat_next;    /* a newer latent slot being ramped in + 1; 0: none */
    float lat_mix;   /* its share, 0..1, rising over LAT_RAMP_S */
    int ended;       /* nr_voice_end() was called */
    float note_voct; /* octaves added to the pitch_voct target: the note that started it */
    float note_gain; /* its velocity gain, 0..1 */
    nr_curve_reader rd;
} nr_vslot;

typedef struct {
    nr_vslot s[NR_VOICE_SLOTS];
    uint64_t serial;
    uint32_t stolen;
} nr_vpool;

void nr_vpool_init(nr_vpool *p);
/* A rising gate edge. Retrigger and choke fade out this gate's sounding voice; poly keeps it.
 * While `limit` voices play, one is stolen (faded) by `steal` policy. Returns the slot now PLAYING. */
int nr_vpool_trigger(nr_vpool *p, int gate, int mode, int limit, int steal, float fade_step);
/* A falling gate edge: in choke mode the gate's voices fade out. */
void nr_vpool_gate_off(nr_vpool *p, int gate, int mode, float fade_step);
/* Fade out playing voices beyond `limit` (CPU guard, voice count lowered); 0 fades them all. */
void nr_vpool_limit(nr_vpool *p, int limit, int steal, float fade_step);
void nr_vpool_release(nr_vpool *p, int slot, float fade_step);
int nr_vpool_count(const nr_vpool *p, int state);

#endif
