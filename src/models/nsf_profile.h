/* Where an hn-sinc-NSF render spends its time, for `neurorack bench`: thread CPU seconds per stage summed over
 * all voices per member of a voice's thread team (each member writes its own row), and the dilated
 * convs' multiply-adds. Off by default; when off each stage costs one branch. Diagnostics only: the
 * counters are not synchronised across voices (bench runs one voice). */
#ifndef NR_NSF_PROFILE_H
#define NR_NSF_PROFILE_H

#include "core/team.h"

enum {
    NSF_ST_FRAME,   /* frame-rate condition convs */
    NSF_ST_CONTEXT, /* upsampling and the two context averages, cut-off smoothing */
    NSF_ST_SOURCE,  /* harmonic + noise sources */
    NSF_ST_CONV,    /* dilated convs: Winograd transforms and products */
    NSF_ST_TANH,    /* tanh + residual + context after each conv */
    NSF_ST_ENDS,    /* block ends: input layer, scale, the two output layers */
    NSF_ST_SINC,    /* time-variant sinc filters */
    NSF_ST_COUNT
};

typedef struct {
    int on;
    double s[NR_TEAM_MAX][NSF_ST_COUNT]; /* seconds, per team member */
    double conv_macs;                    /* multiply-adds the dilated convs performed (counted by member 0) */
} nsf_profile;

extern nsf_profile nsf_prof;
extern const char *const nsf_stage_names[NSF_ST_COUNT];

double nsf_prof_now(void);
/* Adds the time since *t0 to stage st and moves *t0 to now (when profiling is on). */
static inline void nsf_prof_lap(int st, double *t0)
{
    if (nsf_prof.on) {
        double t = nsf_prof_now();
        nsf_prof.s[nr_team_self()][st] += t - *t0;
        *t0 = t;
    }
}
static inline double nsf_prof_start(void) { return nsf_prof.on ? nsf_prof_now() : 0.0; }

#endif
