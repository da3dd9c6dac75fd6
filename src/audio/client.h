/* What an audio backend (JACK, ALSA, the file sink) drives: the interface between audio devices and
 * a host. The instrument is one (nr_live_client in audio/live.h); tests use stand-ins. Control sources
 * (control/) post their events through the same table. */
#ifndef NR_AUDIO_CLIENT_H
#define NR_AUDIO_CLIENT_H

#include "nr/instrument.h"

typedef struct {
    void *ctx;
    /* Audio thread: render n mono samples (n <= the max block the client was made for). */
    void (*process)(void *ctx, float *out, int n);
    /* One producer thread per source. Returns 0 when the event was dropped (queue full). */
    int (*post)(void *ctx, nr_source src, const nr_control_event *ev);
    /* Control thread, every few ms; may be NULL. */
    void (*poll)(void *ctx);
    /* The backend lost samples (audio thread or backend thread); may be NULL. */
    void (*xrun)(void *ctx);
} nr_audio_client;

#endif
