/* The CPU guard: from each block's measured share of its period, the number of voices that can
 * play without the audio deadline being missed. Pure arithmetic on measured numbers (the caller
 * measures), so its rules are testable. Audio-thread safe. */
#ifndef NR_GUARD_H
#define NR_GUARD_H

typedef struct {
    int max;          /* voices allowed at most (configuration) */
    int limit;        /* voices allowed by the measured load */
    int cool;         /* blocks before the limit may move again */
    float load_ema;   /* smoothed share of the period */
    float voice_cost; /* smoothed share of the period one playing voice costs */
    float late;       /* decaying count of blocks over GUARD_BLOCK */
} nr_guard;

/* voice_cost: the guess before anything was measured (0: none). */
void nr_guard_init(nr_guard *g, int max_voices, float voice_cost);
/* One block took `share` of its period with `playing` voices. Returns the voices allowed now (>= 1):
 * the lower of the measured limit and what the per-voice cost predicts fits the budget. Returns
 * max when the guard is disabled, still learning the costs (for the status page). */
int nr_guard_update(nr_guard *g, float share, int playing, int enabled);

#endif
