/* Real-time audio backends (JACK, ALSA) and the file sink, all driving an nr_audio_client.
 *
 * Open a backend first (it fixes the rate and the largest block), build the client for that rate and
 * block, then start. Open/start/close belong to the control thread; the backend calls
 * client->process on its own audio thread, which must not allocate, lock, log or touch files. */
#ifndef NR_AUDIO_BACKEND_H
#define NR_AUDIO_BACKEND_H

#include <signal.h>

#include "audio/client.h"

typedef struct nr_backend nr_backend;

typedef struct {
    const char *client_name; /* JACK client name ("neurorack") */
    const char *server_name; /* JACK server; NULL: $JACK_DEFAULT_SERVER, else the default */
    int autoconnect;         /* JACK: connect the output to the first physical playback ports */
    const char *device;      /* ALSA PCM ("default", "hw:0,0", "plughw:1", "null", ...) */
    int rate;                /* ALSA: requested Hz (the device may give another; see nr_backend_rate) */
    int period;              /* ALSA: frames per period, 64..8192 */
    int periods;             /* ALSA: periods in the buffer, 2..16 */
    int rt_priority;         /* ALSA: SCHED_FIFO priority of the playback thread, 1..99 (70); 0: none */
} nr_backend_config;

nr_backend_config nr_backend_config_init(void);

/* NR_ERR_DEVICE with a one-line reason when the server or device is not there. */
nr_result nr_backend_open_jack(const nr_backend_config *cfg, nr_backend **out);
nr_result nr_backend_open_alsa(const nr_backend_config *cfg, nr_backend **out);
/* JACK when a server runs, else ALSA's default device; else one line saying so and how to use
 * the file sink. */
nr_result nr_backend_open_auto(const nr_backend_config *cfg, nr_backend **out);

const char *nr_backend_name(const nr_backend *b); /* "jack" or "alsa:<device>" */
int nr_backend_rate(const nr_backend *b);         /* Hz */
int nr_backend_max_block(const nr_backend *b);    /* largest n the client's process will get */
float nr_backend_latency_ms(const nr_backend *b); /* output latency */
uint32_t nr_backend_xruns(const nr_backend *b);
/* The server went away or the device failed for good: the stream has stopped. */
int nr_backend_failed(const nr_backend *b);

/* Begin calling client->process (the client must outlive the backend's running). */
nr_result nr_backend_start(nr_backend *b, const nr_audio_client *client);
/* Stops the audio thread (if started) and frees everything. NULL is fine. */
void nr_backend_close(nr_backend *b);

/* File sink: run the client faster than real time, `block` samples per process call, for `seconds`
 * of audio, writing a mono WAV/FLAC/AIFF/OGG (float WAV, else the container's 24-bit or its only
 * format). client->poll is called after every block, so menu changes land at the same sample every
 * run: the same client state and script give the same file. `stop` (may be NULL) ends it early. */
nr_result nr_file_sink_run(const char *path, int rate, int block, double seconds, const nr_audio_client *client,
                           const volatile sig_atomic_t *stop);

/* Internal: the table each backend fills. */
struct nr_backend {
    const char *(*name)(const nr_backend *b);
    nr_result (*start)(nr_backend *b, const nr_audio_client *client);
    void (*close)(nr_backend *b);
    int rate, max_block;
    float latency_ms;
    volatile uint32_t xruns;
    volatile int failed;
};

#endif
