#include "models/nsf_profile.h"

#include <time.h>

nsf_profile nsf_prof;

const char *const nsf_stage_names[NSF_ST_COUNT] = {"frame convs", "context", "source", "dilated convs",
                                                   "tanh+residual", "block ends", "sinc filters"};

double nsf_prof_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: tens of ns, cheap enough per conv */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
