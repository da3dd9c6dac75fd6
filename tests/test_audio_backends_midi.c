/* MIDI: note/CC mapping, the mapping file, and a virtual ALSA sequencer port when /dev/snd/seq exists. */
#include "control/midi.h"
#include "fake_client.h"
#include "neurorack.h"
#include "nr_test.h"

#include <alsa/asoundlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_mapping(void)
{
    nr_midi_map m = nr_midi_map_default();
    nr_control_event ev;
    NT_CHECK(nr_midi_to_event(&m, 0x90, 60, 100, &ev) == 1 && ev.type == NR_EV_GATE && ev.index == 0 &&
             ev.value == 1.0f && ev.time == -1);
    NT_CHECK(nr_midi_to_event(&m, 0x93, 62, 1, &ev) == 1 && ev.index == 1 && ev.value == 1.0f);
    NT_CHECK(nr_midi_to_event(&m, 0x93, 62, 0, &ev) == 1 && ev.index == 1 && ev.value == 0.0f); /* velocity 0 */
    NT_CHECK(nr_midi_to_event(&m, 0x8F, 36, 64, &ev) == 1 && ev.index == 0 && ev.value == 0.0f);
    NT_CHECK(nr_midi_to_event(&m, 0xB0, 20, 0, &ev) == 1 && ev.type == NR_EV_CV && ev.index == 0 && ev.value == -5.0f);
    NT_CHECK(nr_midi_to_event(&m, 0xB5, 23, 127, &ev) == 1 && ev.index == 3 && ev.value == 5.0f);
    NT_CHECK(nr_midi_to_event(&m, 0xB0, 21, 64, &ev) == 1 && ev.index == 1 && ev.value > 0.0f && ev.value < 0.08f);
    NT_CHECK(nr_midi_to_event(&m, 0xB0, 7, 64, &ev) == 0);  /* unmapped controller */
    NT_CHECK(nr_midi_to_event(&m, 0xE0, 0, 64, &ev) == 0);  /* pitch bend: not used */
    NT_CHECK(nr_midi_to_event(&m, 0x90, 128, 64, &ev) == 0); /* bad data byte */
    NT_CHECK(nr_midi_to_event(&m, 0x40, 60, 64, &ev) == 0);  /* not a status byte */
    m.channel = 10;
    NT_CHECK(nr_midi_to_event(&m, 0x90, 60, 100, &ev) == 0);
    NT_CHECK(nr_midi_to_event(&m, 0x99, 60, 100, &ev) == 1);
    m.gate_note[0] = 36;
    NT_CHECK(nr_midi_to_event(&m, 0x99, 60, 100, &ev) == 0); /* no gate listens to "any" now */
}

/* Notes: gate low, pitch (1 V/oct around note 60), level (velocity / 127), gate high; a note off lowers the
 * gate only when its own note holds it; "pitch off" and fixed-note gates send no pitch. */
static void test_note_translate(void)
{
    nr_midi_map m = nr_midi_map_default();
    nr_midi_notes st = {{0}};
    nr_control_event ev[NR_MIDI_MAX_EVENTS];
    NT_CHECK(nr_midi_translate(&m, &st, 0x90, 72, 127, ev) == 4);
    NT_CHECK(ev[0].type == NR_EV_GATE && ev[0].index == 0 && ev[0].value == 0.0f);
    NT_CHECK(ev[1].type == NR_EV_NOTE_PITCH && ev[1].index == 0 && ev[1].value == 1.0f);
    NT_CHECK(ev[2].type == NR_EV_NOTE_LEVEL && ev[2].value == 1.0f);
    NT_CHECK(ev[3].type == NR_EV_GATE && ev[3].value == 1.0f && ev[3].time == -1);
    NT_CHECK(nr_midi_translate(&m, &st, 0x90, 59, 64, ev) == 4 && fabsf(ev[1].value + 1.0f / 12) < 1e-7f &&
             fabsf(ev[2].value - 64.0f / 127) < 1e-7f);
    NT_CHECK(nr_midi_translate(&m, &st, 0x80, 72, 0, ev) == 0); /* 59 holds the gate now */
    NT_CHECK(nr_midi_translate(&m, &st, 0x90, 59, 0, ev) == 1 && ev[0].type == NR_EV_GATE && ev[0].value == 0.0f);
    NT_CHECK(nr_midi_translate(&m, &st, 0x80, 59, 0, ev) == 0); /* already let go */
    NT_CHECK(nr_midi_translate(&m, &st, 0x90, 60, 100, ev) == 4 && ev[1].value == 0.0f); /* middle C: as is */
    /* gate 2 follows note 62 only: a drum pad, played at the template's pitch */
    NT_CHECK(nr_midi_translate(&m, &st, 0x90, 62, 100, ev) == 3 && ev[1].type == NR_EV_NOTE_LEVEL &&
             ev[2].index == 1 && ev[2].value == 1.0f);
    NT_CHECK(nr_midi_translate(&m, &st, 0xB0, 20, 127, ev) == 1 && ev[0].type == NR_EV_CV && ev[0].value == 5.0f);
    NT_CHECK(nr_midi_translate(&m, &st, 0xE0, 0, 64, ev) == 0);
    m.note_pitch = 0;
    NT_CHECK(nr_midi_translate(&m, &st, 0x90, 40, 127, ev) == 3 && ev[1].type == NR_EV_NOTE_LEVEL);
    NT_CHECK(nr_midi_note_volts(0) == -5.0f && nr_midi_note_volts(84) == 2.0f);
    const char *path = nt_tmp("pitch.map");
    NT_CHECK(nt_write_file(path, "pitch off\n", 10) == 0);
    NT_CHECKF(nr_midi_map_load(path, &m) == NR_OK && m.note_pitch == 0, "%s", nr_last_error());
    NT_CHECK(nt_write_file(path, "pitch maybe\n", 12) == 0);
    NT_CHECK(nr_midi_map_load(path, &m) == NR_ERR_FORMAT);
    NT_CHECK(nr_midi_map_default().note_pitch == 1);
}

static void test_map_file(void)
{
    const char *path = nt_tmp("midi.map");
    const char *text = "# drum pads on channel 10\nchannel 10\ngate 1 note 36\ngate 2 note any\ncv 3 cc 74\ncv 4 cc none\n";
    NT_CHECK(nt_write_file(path, text, strlen(text)) == 0);
    nr_midi_map m;
    NT_CHECKF(nr_midi_map_load(path, &m) == NR_OK, "%s", nr_last_error());
    NT_CHECK(m.channel == 10 && m.gate_note[0] == 36 && m.gate_note[1] == NR_MIDI_ANY);
    NT_CHECK(m.cv_cc[0] == 20 && m.cv_cc[2] == 74 && m.cv_cc[3] == NR_MIDI_NONE);
    static const char *bad[] = {"channel 17\n", "gate 3 note 1\n", "\n\ngate 1 note 300\n", "cv 1 cc any\n", "volume 3\n"};
    static const int line[] = {1, 1, 3, 1, 1};
    for (int i = 0; i < 5; i++) {
        NT_CHECK(nt_write_file(path, bad[i], strlen(bad[i])) == 0);
        char want[1100];
        snprintf(want, sizeof want, "%s:%d: ", path, line[i]);
        NT_CHECKF(nr_midi_map_load(path, &m) == NR_ERR_FORMAT && !strncmp(nr_last_error(), want, strlen(want)),
                  "case %d: %s", i, nr_last_error());
    }
    NT_CHECK(nr_midi_map_load(nt_tmp("none.map"), &m) == NR_ERR_IO);
    /* A valid map with a 600-character comment (fgets into 512 bytes read the rest as a new rule), and a
     * rule whose number is written with 40 leading zeros (a 31-character word split it in two). */
    char *big = malloc(2000);
    int k = snprintf(big, 2000, "gate 1 note 40 # ");
    for (int i = 0; i < 600; i++) big[k++] = i % 60 == 59 ? ' ' : 'x';
    k += snprintf(big + k, 2000 - (size_t)k, "\ncv 2 cc 0000000000000000000000000000000000000011\n");
    NT_CHECK(nt_write_file(path, big, (size_t)k) == 0);
    NT_CHECKF(nr_midi_map_load(path, &m) == NR_OK, "%s", nr_last_error());
    NT_CHECK(m.gate_note[0] == 40 && m.cv_cc[1] == 11);
    /* A line past the limit is an error naming the line, never split into rules. */
    char *huge = malloc(9000);
    size_t hl = (size_t)snprintf(huge, 9000, "channel 2\n#");
    memset(huge + hl, 'y', 5000);
    memcpy(huge + hl + 5000, "\n", 2);
    NT_CHECK(nt_write_file(path, huge, strlen(huge)) == 0);
    NT_CHECK(nr_midi_map_load(path, &m) == NR_ERR_FORMAT);
    NT_CHECKF(strstr(nr_last_error(), "line 2 is longer than 4096 bytes") != NULL, "%s", nr_last_error());
    free(huge);
    free(big);
}

static void test_sequencer_port(void)
{
    fake_client f;
    nr_audio_client c = fake_client_init(&f);
    nr_midi_map m = nr_midi_map_default();
    nr_midi *mi = NULL;
    if (access("/dev/snd/seq", R_OK | W_OK) != 0) {
        NT_CHECK(nr_midi_start(&m, &c, &mi) == NR_ERR_DEVICE && !mi && !strchr(nr_last_error(), '\n'));
        nt_skip("no ALSA sequencer (/dev/snd/seq absent): virtual port test not run");
        return;
    }
    if (nr_midi_start(&m, &c, &mi) != NR_OK) {
        NT_CHECKF(0, "%s", nr_last_error());
        return;
    }
    snd_seq_t *seq;
    NT_CHECK(snd_seq_open(&seq, "default", SND_SEQ_OPEN_OUTPUT, 0) == 0);
    int port = snd_seq_create_simple_port(seq, "out", SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_SUBS_READ,
                                          SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION);
    NT_CHECK(snd_seq_connect_to(seq, port, nr_midi_client_id(mi), nr_midi_port_id(mi)) == 0);
    snd_seq_event_t ev;
    snd_seq_ev_clear(&ev);
    snd_seq_ev_set_source(&ev, port);
    snd_seq_ev_set_subs(&ev);
    snd_seq_ev_set_direct(&ev);
    snd_seq_ev_set_noteon(&ev, 0, 60, 100);
    snd_seq_event_output_direct(seq, &ev);
    snd_seq_ev_set_controller(&ev, 0, 21, 127);
    snd_seq_event_output_direct(seq, &ev);
    snd_seq_ev_set_noteoff(&ev, 0, 60, 0);
    snd_seq_event_output_direct(seq, &ev);
    for (int i = 0; i < 200 && nr_midi_events(mi) < 3; i++) usleep(5000);
    NT_CHECK(nr_midi_events(mi) == 3);
    float out[4];
    fake_process(&f, out, 4);
    NT_CHECK(f.n_gate_on == 1 && !f.gate[0] && f.cv[1] == 5.0f);
    snd_seq_close(seq);
    nr_midi_stop(mi);
}

/* The sequencer thread's decoding, from snd_seq_event_t values made with alsa-lib's own macros (no
 * sequencer needed: /dev/snd/seq is absent on the build machine), into a stand-in client. */
static int feed(const nr_midi_map *m, const snd_seq_event_t *e, const nr_audio_client *c)
{
    nr_control_event ev;
    if (!nr_midi_seq_to_event(m, e, &ev)) return 0;
    NT_CHECK(c->post(c->ctx, NR_SRC_MIDI, &ev));
    float buf[16];
    c->process(c->ctx, buf, 16); /* applies it */
    return 1;
}

static void test_sequencer_events(void)
{
    fake_client f;
    nr_audio_client c = fake_client_init(&f);
    nr_midi_map m = nr_midi_map_default();
    snd_seq_event_t e;
    nr_control_event ev;

    snd_seq_ev_clear(&e);
    snd_seq_ev_set_noteon(&e, 0, 60, 100); /* channel 1, middle C: gate 1 (any note) */
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 1 && ev.type == NR_EV_GATE && ev.index == 0 && ev.value == 1.0f &&
             ev.time == -1);
    NT_CHECK(feed(&m, &e, &c) && f.gate[0] == 1);
    snd_seq_ev_set_noteon(&e, 15, 62, 90); /* channel 16, D4: gate 2 */
    NT_CHECK(feed(&m, &e, &c) && f.gate[1] == 1);
    snd_seq_ev_set_noteon(&e, 15, 62, 0); /* velocity 0 is note off */
    NT_CHECK(feed(&m, &e, &c) && f.gate[1] == 0);
    snd_seq_ev_set_noteoff(&e, 0, 60, 64);
    NT_CHECK(feed(&m, &e, &c) && f.gate[0] == 0 && f.n_gate_on == 2);
    snd_seq_ev_set_controller(&e, 3, 20, 127); /* CC 20 -> CV 1, full scale */
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 1 && ev.type == NR_EV_CV && ev.index == 0 && ev.value == 5.0f);
    NT_CHECK(feed(&m, &e, &c) && f.cv[0] == 5.0f);
    snd_seq_ev_set_controller(&e, 3, 20, 0);
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 1 && ev.value == -5.0f);
    snd_seq_ev_set_controller(&e, 0, 21, 64); /* the middle: just above 0 V */
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 1 && ev.index == 1 && ev.value > 0.0f && ev.value < 0.08f);
    /* refused: values outside 7 bits (an event's value is an int, its param unsigned), unmapped or
     * other event types */
    snd_seq_ev_set_controller(&e, 0, 20, 300);
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 0);
    snd_seq_ev_set_controller(&e, 0, 20, -1);
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 0);
    snd_seq_ev_set_controller(&e, 0, 20 + 256, 64);
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 0);
    snd_seq_ev_set_controller(&e, 0, 7, 64);
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 0);
    snd_seq_ev_set_pitchbend(&e, 0, 1000);
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 0);
    snd_seq_ev_set_pgmchange(&e, 0, 5);
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 0);
    snd_seq_ev_set_keypress(&e, 0, 60, 50);
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 0);
    snd_seq_ev_set_fixed(&e);
    e.type = SND_SEQ_EVENT_START;
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 0);

    /* a mapping from a file: drum pads on channel 10, gate 1 on note 36, CV 3 on CC 74 */
    const char *path = nt_tmp("pads.map");
    const char *text = "channel 10\ngate 1 note 36\ngate 2 note any\ncv 3 cc 74\ncv 1 cc none\n";
    NT_CHECK(nt_write_file(path, text, strlen(text)) == 0);
    NT_CHECKF(nr_midi_map_load(path, &m) == NR_OK, "%s", nr_last_error());
    snd_seq_ev_set_noteon(&e, 9, 36, 127);
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 1 && ev.index == 0 && ev.value == 1.0f);
    snd_seq_ev_set_noteon(&e, 9, 40, 127);
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 1 && ev.index == 1);
    snd_seq_ev_set_noteon(&e, 0, 36, 127); /* channel 1: not listened to */
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 0);
    snd_seq_ev_set_controller(&e, 9, 74, 127);
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 1 && ev.type == NR_EV_CV && ev.index == 2 && ev.value == 5.0f);
    snd_seq_ev_set_controller(&e, 9, 20, 127); /* CV 1 disabled */
    NT_CHECK(nr_midi_seq_to_event(&m, &e, &ev) == 0);
}

int main(void)
{
    NT_RUN(test_mapping);
    NT_RUN(test_note_translate);
    NT_RUN(test_map_file);
    NT_RUN(test_sequencer_events);
    NT_RUN(test_sequencer_port);
    return nt_end();
}
