/* MIDI: note/CC mapping, the mapping file, and a virtual ALSA sequencer port when /dev/snd/seq exists. */
#include "control/midi.h"
#include "fake_client.h"
#include "neurorack.h"
#include "nr_test.h"

#include <alsa/asoundlib.h>
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

int main(void)
{
    NT_RUN(test_mapping);
    NT_RUN(test_map_file);
    NT_RUN(test_sequencer_port);
    return nt_end();
}
