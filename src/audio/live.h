/* The layer between a backend and what it drives: plays a script at sample-accurate times from the
 * audio thread, counts samples, and measures each block (callback time as a share of the block
 * period, gate-to-first-sound delay). Used the same way by JACK, ALSA and the file sink. */
#ifndef NR_LIVE_H
#define NR_LIVE_H

#include "control/script.h"

#include <stdatomic.h>

/* A sample counts as sound above this (about -120 dBFS). */
#define NR_LIVE_SOUND_THRESHOLD 1e-6f

typedef struct {
    uint64_t blocks;
    int64_t samples;
    double worst_share;      /* worst block: callback time / block period (wall clock) */
    double worst_cpu_share;  /* worst block by the audio thread's own CPU time / block period: what the
                                callback computed, without the time its thread was not running (preempted,
                                or its virtual CPU stalled by the host) */
    double mean_share;
    uint32_t blocks_over;    /* blocks whose callback took longer than the period (wall clock) */
    int sched_policy;        /* the audio thread's scheduling policy at its first block (SCHED_FIFO,
                                SCHED_RR: realtime; SCHED_OTHER: not), -1 before any block */
    int sched_priority;      /* ... and its priority */
    uint32_t gates;          /* gate-on edges that arrived in silence (the ones measured) */
    uint32_t gates_same_block; /* ... whose first sound came in the block the gate fell in */
    uint32_t gates_silent;   /* ... with no sound within a second */
    int64_t worst_gate_delay; /* samples from a gate's sample time to its first sound; -1 none */
    uint32_t script_dropped; /* script events a full queue refused */
    uint32_t xruns;          /* reported by the backend */
    uint32_t xruns_settled;  /* ... after the first NR_LIVE_SETTLE_S of audio (a JACK server may
                                report one while it adds the client to its graph) */
} nr_live_stats;

#define NR_LIVE_SETTLE_S 0.5

typedef struct {
    nr_audio_client target;  /* what renders: the instrument, or a stand-in in tests */
    nr_script_player player;
    int rate, max_block;
    atomic_llong t;          /* samples rendered so far */
    atomic_int asap_gate;    /* a gate-on was posted with time -1 by another source */
    int64_t pending_gate;    /* sample time of a gate-on waiting for its first sound; -1 none */
    int pending_in_block;    /* that gate fell in the current block */
    int prev_silent;
    atomic_uint xruns, xruns_settled;
    nr_live_stats st;        /* written by the audio thread */
    double sum_share;
} nr_live;

/* `script` may be NULL; it must outlive the live layer. */
void nr_live_init(nr_live *l, const nr_audio_client *target, const nr_script *script, int rate, int max_block);
/* The client to give a backend: process wraps the target's; post/poll/xrun pass through. */
nr_audio_client nr_live_client(nr_live *l);
int64_t nr_live_samples(nr_live *l);
/* A copy of the measurements (exact once the backend has stopped). */
void nr_live_stats_get(nr_live *l, nr_live_stats *st);

/* The instrument as a client (ctx = the instrument). */
nr_audio_client nr_instrument_client(nr_instrument *inst);

#endif
