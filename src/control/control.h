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

/* A model's name (OSC /neurorack/model, a script's `model` line) -> an NR_EV_MODEL event (time -1).
 * Returns 1, or -1 when the name is not one: NR_NAME_MAX characters or more, or one outside printable
 * ASCII, a space or '/'. "" is the default model. */
static inline int nr_model_event(const char *name, nr_control_event *ev)
{
    size_t len = 0;
    while (name && len < NR_NAME_MAX && name[len]) len++;
    if (!name || len >= NR_NAME_MAX) return -1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 33 || (unsigned char)name[i] > 126 || name[i] == '/') return -1;
    *ev = (nr_control_event){.type = NR_EV_MODEL, .time = -1};
    for (size_t i = 0; i < len; i++) ev->name[i] = name[i];
    return 1;
}

#endif
