/* MIDI input through the ALSA sequencer: note on/off -> gates, control changes -> CVs.
 *
 * The mapping, as defaults or from a small text file (one rule a line, '#' comments):
 *   channel any          listen on every channel (default), or "channel 1".."channel 16"
 *   gate 1 note any      gate 1 follows every note not given to another gate (default)
 *   gate 2 note 62       gate 2 follows note 62 (D4) (default)
 *   cv 1 cc 20           CV 1 follows controller 20: 0..127 -> -5..+5 V (defaults: CV1..4 = CC 20..23)
 *   pitch on             a note on a gate that follows "any" note moves the pitch_voct target of the voice
 *                        it starts: note 60 (middle C) = 0 V, 1/12 V a semitone (default); "pitch off":
 *                        every note plays the template at its own pitch
 * Note on with velocity 0 is note off. Velocity is the voice's level (velocity / 127), whatever "pitch". */
#ifndef NR_MIDI_H
#define NR_MIDI_H

#include "control/control.h"

#define NR_MIDI_ANY (-1)
#define NR_MIDI_NONE (-2)

typedef struct {
    int channel;                 /* 1..16, or NR_MIDI_ANY */
    int gate_note[NR_NUM_GATES]; /* 0..127, NR_MIDI_ANY or NR_MIDI_NONE */
    int cv_cc[NR_NUM_CV];        /* 0..127 or NR_MIDI_NONE */
    int note_pitch;              /* 1: a note on an "any" gate drives its voice's pitch (default); 0: no */
} nr_midi_map;

/* Middle C: the note that plays a template at its own pitch. */
#define NR_MIDI_PITCH_NOTE 60

/* Which note holds each gate, so that only its own note off lowers it. Zero it to start. */
typedef struct {
    int held[NR_NUM_GATES]; /* note number + 1; 0 = none */
} nr_midi_notes;

/* What one message can become: gate low (a held gate is retriggered), pitch, level, gate high. */
#define NR_MIDI_MAX_EVENTS 4

nr_midi_map nr_midi_map_default(void);
/* Errors name the file and line. */
nr_result nr_midi_map_load(const char *path, nr_midi_map *m);

/* One channel-voice message (status byte, two data bytes) -> 0 or 1 event (index 0-based). */
int nr_midi_to_event(const nr_midi_map *m, int status, int d1, int d2, nr_control_event *ev);

/* One channel-voice message -> 0..NR_MIDI_MAX_EVENTS events with time -1, in the order to apply them.
 * A note on: gate low (restarts a gate another note holds), NOTE_PITCH (when m->note_pitch and the gate
 * follows "any"), NOTE_LEVEL (velocity / 127), gate high. A note off lowers the gate only when its own
 * note holds it. Controllers as nr_midi_to_event. Audio-thread safe (plugins call it in run()). */
int nr_midi_translate(const nr_midi_map *m, nr_midi_notes *notes, int status, int d1, int d2,
                      nr_control_event ev[NR_MIDI_MAX_EVENTS]);
/* The volts at 1 V/oct of a note number (note 60 = 0 V). */
float nr_midi_note_volts(int note);
/* The level of a velocity 0..127: velocity / 127. */
float nr_midi_velocity_gain(int velocity);

/* One ALSA sequencer event (snd_seq_event_t) -> 0 or 1 event, as the sequencer thread decodes it:
 * NOTEON / NOTEOFF / CONTROLLER become their channel messages and go through nr_midi_to_event;
 * every other type is ignored. */
struct snd_seq_event;
int nr_midi_seq_to_event(const nr_midi_map *m, const struct snd_seq_event *e, nr_control_event *ev);
/* The same sequencer event through nr_midi_translate: status and data bytes, 0 if not a note or CC. */
int nr_midi_seq_message(const struct snd_seq_event *e, int *status, int *d1, int *d2);

typedef struct nr_midi nr_midi;

/* Opens a sequencer client "neurorack" with a writable port "in" and a thread reading it.
 * NR_ERR_DEVICE with one line when there is no sequencer (/dev/snd/seq). */
nr_result nr_midi_start(const nr_midi_map *m, const nr_audio_client *c, nr_midi **out);
int nr_midi_client_id(const nr_midi *mi);
int nr_midi_port_id(const nr_midi *mi);
uint32_t nr_midi_events(const nr_midi *mi); /* events posted */
void nr_midi_stop(nr_midi *mi);

#endif
