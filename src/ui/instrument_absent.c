/* Weak stand-ins for the instrument core's API, so the audio and control I/O link and say "not built"
 * until the core is merged; the core's definitions replace these. This file sorts after src/instrument
 * and src/core in the library, so the linker pulls the real definitions first. Delete it once the
 * core is in main. */
#include "nr/instrument.h"

#define WEAK __attribute__((weak))

WEAK nr_instrument_config nr_instrument_config_init(void)
{
    return (nr_instrument_config){.device_rate = 48000, .max_block = 256, .max_voices = 8};
}

WEAK nr_result nr_instrument_create(const nr_instrument_config *cfg, nr_instrument **out)
{
    (void)cfg;
    *out = NULL;
    return nr_fail(NR_ERR_UNSUPPORTED, "the instrument core is not built into this program yet");
}

WEAK void nr_instrument_free(nr_instrument *inst) { (void)inst; }
WEAK int nr_instrument_post(nr_instrument *inst, nr_source src, const nr_control_event *ev)
{
    (void)inst, (void)src, (void)ev;
    return 0;
}
WEAK void nr_instrument_process(nr_instrument *inst, float *out, int n)
{
    (void)inst;
    for (int i = 0; i < n; i++) out[i] = 0.0f;
}
WEAK void nr_instrument_poll(nr_instrument *inst) { (void)inst; }
WEAK uint32_t nr_instrument_frame(const nr_instrument *inst, uint8_t fb[NR_OLED_W * NR_OLED_H / 8])
{
    (void)inst;
    for (int i = 0; i < NR_OLED_W * NR_OLED_H / 8; i++) fb[i] = 0;
    return 0;
}
WEAK void nr_instrument_status_get(const nr_instrument *inst, nr_instrument_status *st)
{
    (void)inst;
    *st = (nr_instrument_status){0};
}
WEAK void nr_instrument_note_xrun(nr_instrument *inst) { (void)inst; }
WEAK void nr_instrument_set_latency(nr_instrument *inst, float ms) { (void)inst, (void)ms; }
