/* The real instrument for the I/O tests. Model: $NEURORACK_MODEL, else models/default.safetensors (it
 * ships with the repository: an instrument that cannot be made is a failure, never a skip). */
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
    return "models/default.safetensors";
}

/* Returns the instrument, or NULL after failing the current test (why says what went wrong). live: the
 * CPU guard on, as for a real-time backend; off for renders, which must not depend on timing. */
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
        nt_fail_at(__FILE__, __LINE__, "%s", why);
        return NULL;
    }
    return inst;
}

#endif
