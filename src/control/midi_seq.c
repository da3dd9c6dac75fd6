/* MIDI input through the ALSA sequencer: a thread waits on the sequencer and a wake-up pipe. */
#include "control/midi.h"

#include <alsa/asoundlib.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct nr_midi {
    snd_seq_t *seq;
    int port;
    nr_midi_map map;
    nr_midi_notes notes; /* reader thread */
    nr_audio_client client;
    pthread_t thread;
    int wake[2]; /* close the write end to stop the thread */
    atomic_uint events;
};

int nr_midi_seq_to_event(const nr_midi_map *m, const snd_seq_event_t *e, nr_control_event *ev)
{
    int status, d1, d2;
    return nr_midi_seq_message(e, &status, &d1, &d2) ? nr_midi_to_event(m, status, d1, d2, ev) : 0;
}

int nr_midi_seq_message(const snd_seq_event_t *e, int *status_out, int *d1_out, int *d2_out)
{
    int status, d1, d2;
    switch (e->type) {
    case SND_SEQ_EVENT_NOTEON:
    case SND_SEQ_EVENT_NOTEOFF:
        status = (e->type == SND_SEQ_EVENT_NOTEON ? 0x90 : 0x80) | (e->data.note.channel & 0x0F);
        d1 = e->data.note.note, d2 = e->data.note.velocity;
        break;
    case SND_SEQ_EVENT_CONTROLLER:
        /* param is unsigned and value signed in the event: out-of-range ones are refused, not wrapped */
        if (e->data.control.param > 127 || e->data.control.value < 0 || e->data.control.value > 127) return 0;
        status = 0xB0 | (e->data.control.channel & 0x0F);
        d1 = (int)e->data.control.param, d2 = e->data.control.value;
        break;
    default:
        return 0;
    }
    *status_out = status, *d1_out = d1, *d2_out = d2;
    return 1;
}

static void handle(nr_midi *mi, const snd_seq_event_t *e)
{
    int status, d1, d2;
    nr_control_event ev[NR_MIDI_MAX_EVENTS];
    if (!nr_midi_seq_message(e, &status, &d1, &d2)) return;
    int n = nr_midi_translate(&mi->map, &mi->notes, status, d1, d2, ev);
    for (int i = 0; i < n; i++) /* one queue, in order: the synth applies them at one time, in this order */
        if (mi->client.post(mi->client.ctx, NR_SRC_MIDI, &ev[i])) atomic_fetch_add(&mi->events, 1);
}

static void *reader(void *arg)
{
    nr_midi *mi = arg;
    int nfd = snd_seq_poll_descriptors_count(mi->seq, POLLIN);
    if (nfd < 1 || nfd > 7) return NULL;
    struct pollfd fds[8];
    snd_seq_poll_descriptors(mi->seq, fds, (unsigned)nfd, POLLIN);
    fds[nfd] = (struct pollfd){.fd = mi->wake[0], .events = POLLIN};
    for (;;) {
        if (poll(fds, (nfds_t)nfd + 1, -1) < 0) continue;
        if (fds[nfd].revents) return NULL;
        snd_seq_event_t *e;
        while (snd_seq_event_input(mi->seq, &e) >= 0 && e) handle(mi, e);
    }
}

nr_result nr_midi_start(const nr_midi_map *m, const nr_audio_client *c, nr_midi **out)
{
    *out = NULL;
    if (access("/dev/snd/seq", R_OK | W_OK) != 0)
        return nr_fail(NR_ERR_DEVICE, "midi: no ALSA sequencer (/dev/snd/seq missing; load snd-seq or run "
                                      "without --midi)");
    nr_midi *mi = calloc(1, sizeof *mi);
    if (!mi) return nr_fail(NR_ERR_NOMEM, "midi: out of memory");
    mi->map = *m;
    mi->client = *c;
    mi->wake[0] = mi->wake[1] = -1;
    int e = snd_seq_open(&mi->seq, "default", SND_SEQ_OPEN_INPUT, SND_SEQ_NONBLOCK);
    if (e < 0) {
        free(mi);
        return nr_fail(NR_ERR_DEVICE, "midi: cannot open the ALSA sequencer (%s)", snd_strerror(e));
    }
    snd_seq_set_client_name(mi->seq, "neurorack");
    mi->port = snd_seq_create_simple_port(mi->seq, "in", SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE,
                                          SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION);
    if (mi->port < 0 || pipe(mi->wake) != 0 || pthread_create(&mi->thread, NULL, reader, mi) != 0) {
        if (mi->wake[0] >= 0) close(mi->wake[0]), close(mi->wake[1]);
        snd_seq_close(mi->seq);
        free(mi);
        return nr_fail(NR_ERR_DEVICE, "midi: cannot create the sequencer port");
    }
    *out = mi;
    return NR_OK;
}

int nr_midi_client_id(const nr_midi *mi) { return snd_seq_client_id(mi->seq); }
int nr_midi_port_id(const nr_midi *mi) { return mi->port; }
uint32_t nr_midi_events(const nr_midi *mi) { return atomic_load(&((nr_midi *)mi)->events); }

void nr_midi_stop(nr_midi *mi)
{
    if (!mi) return;
    close(mi->wake[1]);
    pthread_join(mi->thread, NULL);
    close(mi->wake[0]);
    snd_seq_close(mi->seq);
    free(mi);
}
