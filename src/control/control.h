/* Control sources (terminal keys, MIDI, OSC, scripts) and where they send their events.
 *
 * A source never calls the instrument directly: it posts to an nr_audio_client (audio/client.h), so
 * the same source code drives the real instrument in `neurorack play` and a stand-in in the tests. */
#ifndef NR_CONTROL_H
#define NR_CONTROL_H

#include "audio/client.h"

/* Post one event as soon as possible (time -1); index is 0-based. Returns 0 if dropped. */
static inline int nr_post_event(const nr_audio_client *c, nr_source src, nr_event_type type, int index,
                                float value)
{
    nr_control_event ev = {.type = type, .index = index, .value = value, .time = -1};
    return c && c->post ? c->post(c->ctx, src, &ev) : 0;
}

#endif
