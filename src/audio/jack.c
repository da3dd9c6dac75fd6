/* JACK backend: one mono output port; the process callback hands the port buffer to the client. */
#include "audio/backend.h"

#include <jack/jack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    nr_backend base; /* first: the table */
    jack_client_t *jc;
    jack_port_t *port;
    const nr_audio_client *client;
    int autoconnect;
    char name[96];
} jack_backend;

/* libjack reports through these; by default it prints to stderr, which would break the one-line
 * messages. The last message is kept to explain a failed open. */
static char g_jack_msg[256];
static void jack_quiet(const char *msg) { snprintf(g_jack_msg, sizeof g_jack_msg, "%s", msg); }

static int on_process(jack_nframes_t n, void *arg)
{
    jack_backend *b = arg;
    float *out = jack_port_get_buffer(b->port, n);
    /* JACK may grow its buffer after the client was built for max_block: feed it in pieces. */
    for (jack_nframes_t off = 0; off < n;) {
        int m = (int)(n - off) < b->base.max_block ? (int)(n - off) : b->base.max_block;
        b->client->process(b->client->ctx, out + off, m);
        off += (jack_nframes_t)m;
    }
    return 0;
}

static int on_xrun(void *arg)
{
    jack_backend *b = arg;
    b->base.xruns++;
    if (b->client && b->client->xrun) b->client->xrun(b->client->ctx);
    return 0;
}

static void on_shutdown(void *arg) { ((jack_backend *)arg)->base.failed = 1; }

static const char *jb_name(const nr_backend *b) { return ((const jack_backend *)b)->name; }

static nr_result jb_start(nr_backend *base, const nr_audio_client *client)
{
    jack_backend *b = (jack_backend *)base;
    b->client = client;
    if (jack_set_process_callback(b->jc, on_process, b) || jack_set_xrun_callback(b->jc, on_xrun, b))
        return nr_fail(NR_ERR_DEVICE, "jack: cannot set the process callback");
    jack_on_shutdown(b->jc, on_shutdown, b);
    if (jack_activate(b->jc)) return nr_fail(NR_ERR_DEVICE, "jack: cannot activate the client (%s)", g_jack_msg);
    jack_latency_range_t lr;
    jack_port_get_latency_range(b->port, JackPlaybackLatency, &lr);
    base->latency_ms = 1000.0f * (float)(lr.max + jack_get_buffer_size(b->jc)) / (float)base->rate;
    if (b->autoconnect) {
        const char **ports = jack_get_ports(b->jc, NULL, JACK_DEFAULT_AUDIO_TYPE, JackPortIsPhysical | JackPortIsInput);
        for (int i = 0; ports && ports[i] && i < 2; i++) /* mono to the first two speakers */
            jack_connect(b->jc, jack_port_name(b->port), ports[i]);
        if (ports) jack_free(ports);
    }
    return NR_OK;
}

static void jb_close(nr_backend *base)
{
    jack_backend *b = (jack_backend *)base;
    if (b->jc) {
        if (b->client) jack_deactivate(b->jc);
        jack_client_close(b->jc);
    }
    free(b);
}

nr_result nr_backend_open_jack(const nr_backend_config *cfg, nr_backend **out)
{
    *out = NULL;
    jack_set_error_function(jack_quiet);
    jack_set_info_function(jack_quiet);
    g_jack_msg[0] = '\0';
    jack_backend *b = calloc(1, sizeof *b);
    if (!b) return nr_fail(NR_ERR_NOMEM, "jack: out of memory");
    jack_options_t opt = JackNoStartServer;
    if (cfg->server_name) opt |= JackServerName;
    jack_status_t st = 0;
    const char *cname = cfg->client_name ? cfg->client_name : "neurorack";
    b->jc = cfg->server_name ? jack_client_open(cname, opt, &st, cfg->server_name) : jack_client_open(cname, opt, &st);
    if (!b->jc) {
        free(b);
        const char *srv = cfg->server_name ? cfg->server_name : getenv("JACK_DEFAULT_SERVER");
        if (st & JackServerFailed)
            return nr_fail(NR_ERR_DEVICE, "jack: no JACK server '%s' running (start one with "
                                          "'jackd -d alsa' or choose --audio alsa / --audio file:OUT.wav)",
                           srv ? srv : "default");
        return nr_fail(NR_ERR_DEVICE, "jack: cannot open a client (status 0x%x%s%s)", (unsigned)st,
                       g_jack_msg[0] ? ": " : "", g_jack_msg);
    }
    b->port = jack_port_register(b->jc, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput | JackPortIsTerminal, 0);
    if (!b->port) {
        jack_client_close(b->jc);
        free(b);
        return nr_fail(NR_ERR_DEVICE, "jack: cannot register the output port");
    }
    b->base.name = jb_name;
    b->base.start = jb_start;
    b->base.close = jb_close;
    b->base.rate = (int)jack_get_sample_rate(b->jc);
    b->base.max_block = (int)jack_get_buffer_size(b->jc);
    b->base.latency_ms = 1000.0f * (float)b->base.max_block / (float)b->base.rate;
    b->autoconnect = cfg->autoconnect;
    snprintf(b->name, sizeof b->name, "jack:%s", jack_get_client_name(b->jc));
    *out = &b->base;
    return NR_OK;
}
