#include "audio/backend.h"

#include <stdio.h>
#include <string.h>

nr_backend_config nr_backend_config_init(void)
{
    return (nr_backend_config){.client_name = "neurorack", .autoconnect = 1, .device = "default", .rate = 48000,
                               .period = 256, .periods = 3, .rt_priority = 70};
}

nr_result nr_backend_open_auto(const nr_backend_config *cfg, nr_backend **out)
{
    *out = NULL;
    if (nr_backend_open_jack(cfg, out) == NR_OK) return NR_OK;
    nr_backend_config c = *cfg;
    c.device = "default";
    if (nr_backend_open_alsa(&c, out) == NR_OK) return NR_OK;
    return nr_fail(NR_ERR_DEVICE, "no audio output: no JACK server is running and ALSA has no 'default' device; "
                                  "render to a file instead with --audio file:OUT.wav [--script FILE]");
}

const char *nr_backend_name(const nr_backend *b) { return b->name(b); }
int nr_backend_rate(const nr_backend *b) { return b->rate; }
int nr_backend_max_block(const nr_backend *b) { return b->max_block; }
float nr_backend_latency_ms(const nr_backend *b) { return b->latency_ms; }
uint32_t nr_backend_xruns(const nr_backend *b) { return b->xruns; }
int nr_backend_failed(const nr_backend *b) { return b->failed; }
nr_result nr_backend_start(nr_backend *b, const nr_audio_client *client) { return b->start(b, client); }

void nr_backend_close(nr_backend *b)
{
    if (b) b->close(b);
}
