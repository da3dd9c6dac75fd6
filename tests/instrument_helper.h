/* The real instrument for the I/O tests, or a reason to skip: the core may not be built in yet and
 * the model may be absent. Model: $NEURORACK_MODEL, models/default.safetensors, else the original
 * weights in ../shared. */
#ifndef NR_INSTRUMENT_HELPER_H
#define NR_INSTRUMENT_HELPER_H

#include "neurorack.h"
#include "nr/instrument.h"
#include "nr_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *test_model_path(void)
{
    const char *env = getenv("NEURORACK_MODEL");
    if (env && *env) return env;
    if (access("models/default.safetensors", R_OK) == 0) return "models/default.safetensors";
    return nt_shared("models/neurorack-nsf/model_nsf_sinc_ema_impacts_waveform_5.0.th");
}

/* Returns the instrument, or NULL with `why` filled for nt_skip. live: the CPU guard on, as for a
 * real-time backend; off for renders, which must not depend on timing. */
static nr_instrument *test_instrument(int rate, int block, int voices, int live, char *why, size_t n)
{
    nr_instrument_config ic = nr_instrument_config_init();
    ic.model_path = test_model_path();
    ic.settings_path = nt_tmp("settings.nrs"); /* never the user's */
    ic.device_rate = rate;
    ic.max_block = block;
    ic.max_voices = voices;
    ic.cpu_guard = live;
    nr_instrument *inst = NULL;
    if (nr_instrument_create(&ic, &inst) != NR_OK) {
        snprintf(why, n, "instrument not available (%s)", nr_last_error());
        return NULL;
    }
    return inst;
}

#endif
