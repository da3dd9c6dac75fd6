/* libFuzzer target: OSC packet decoding (nr_osc_decode: bundles, liblo's message decode, the argument
 * conversion and nr_osc_parse) on arbitrary bytes, as the receive thread gets them from the socket. */
#include "control/osc.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every event the decoder posts must be one the instrument can take. */
static int post(void *ctx, nr_source src, const nr_control_event *ev)
{
    (void)ctx;
    int ok = src == NR_SRC_OSC && isfinite(ev->value);
    switch (ev->type) {
    case NR_EV_GATE: ok = ok && ev->index >= 0 && ev->index < NR_NUM_GATES; break;
    case NR_EV_CV: ok = ok && ev->index >= 0 && ev->index < NR_NUM_CV && fabsf(ev->value) <= 10.0f; break;
    case NR_EV_MODEL: /* /neurorack/model: a terminated name of printable characters, no '/' */
        ok = ok && memchr(ev->name, '\0', sizeof ev->name) != NULL && !strchr(ev->name, '/');
        for (const char *c = ev->name; ok && *c; c++) ok = *c > ' ' && *c <= '~';
        break;
    default: break;
    }
    if (!ok) __builtin_trap();
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) return 0; /* the largest UDP datagram */
    nr_audio_client c = {.post = post};
    uint32_t accepted = 0, rejected = 0;
    nr_osc_decode(data, size, &c, &accepted, &rejected);
    return 0;
}
