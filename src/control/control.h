/* Control sources (terminal keys, MIDI, OSC, scripts) and where they send their events.
 *
 * A source never calls the instrument directly: it posts to an nr_audio_client, so the same source
 * code drives the real instrument in `neurorack play` and a stand-in in the tests. */
#ifndef NR_CONTROL_H
#define NR_CONTROL_H

#include "nr/instrument.h"

/* What a backend drives and what control sources post to. The instrument is one (nr_live_client);
 * tests use stand-ins. */
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

/* Post one event as soon as possible (time -1); index is 0-based. Returns 0 if dropped. */
static inline int nr_post_event(const nr_audio_client *c, nr_source src, nr_event_type type, int index,
                                float value)
{
    nr_control_event ev = {.type = type, .index = index, .value = value, .time = -1};
    return c && c->post ? c->post(c->ctx, src, &ev) : 0;
}

#endif
