#include "models/nsf_profile.h"

#include <time.h>

nsf_profile nsf_prof;

const char *const nsf_stage_names[NSF_ST_COUNT] = {"frame convs", "context", "source", "dilated convs",
                                                   "tanh+residual", "block ends", "sinc filters"};

double nsf_prof_now(void)
{
    struct timespec ts;
    /* CPU time of the rendering thread, so the split holds on a loaded machine; a system call of a
     * few hundred ns, about 0.3% of a 512-sample pass at two reads per conv */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
