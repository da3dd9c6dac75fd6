/* Scripted control files: timestamped gate/CV/encoder events for tests and reproducible renders.
 *
 *   # comment               blank lines and text after '#' are ignored
 *   0.250 gate 1 1          gate 1 (1..2) high; "gate 1 0" is low
 *   0.260 trig 2            gate 2 high, then low NR_SCRIPT_TRIG_S later
 *   0.300 cv 2 1.5          CV 2 (1..4) to 1.5 V (-10..10 accepted; the module clamps to its range)
 *   0.400 note 1 64 100     a played note on gate 1 (1..2): number 0..127 (60 = the template's pitch, 1 V/oct
 *                           on pitch_voct), velocity 1..127 (level velocity/127); velocity 0 lowers the gate.
 *                           The events MIDI gives a note on: gate low, pitch, level, gate high
 *   1.0 encoder +1          turn the encoder by whole detents (+ clockwise)
 *   1.2 push                short press;  "longpush": long press (back)
 *   2.0 model tiny          switch to the model named tiny (a model file's stem); "model" alone: the default
 *   end 8.0                 the render lasts 8 s (optional, at most once, after every event)
 *
 * Times are seconds from the start of the stream, finite, >= 0 and never decreasing down the file. */
#ifndef NR_SCRIPT_H
#define NR_SCRIPT_H

#include "control/control.h"

#define NR_SCRIPT_TRIG_S 0.010
#define NR_SCRIPT_MAX_EVENTS 1000000

typedef struct {
    double t;              /* seconds */
    nr_control_event ev;   /* index 0-based; ev.time is set when the event is played */
} nr_script_event;

typedef struct {
    nr_script_event *ev;   /* (n), sorted by t, stable */
    size_t n;
    double end;            /* seconds from `end`, or -1 when the file has none */
} nr_script;

/* Parse script text; `name` is the file name used in messages ("name:line: ..."). */
nr_result nr_script_parse(const char *text, const char *name, nr_script *out);
nr_result nr_script_load(const char *path, nr_script *out);
void nr_script_free(nr_script *s);
/* Seconds the script needs: its `end`, else the last event's time. */
double nr_script_duration(const nr_script *s);

/* Plays a script into a client at sample-accurate times. Audio-thread safe. */
typedef struct {
    const nr_script *script;
    size_t next;
    double rate;           /* Hz of the stream */
    uint32_t dropped;      /* events the client's queue refused */
} nr_script_player;

void nr_script_player_init(nr_script_player *p, const nr_script *s, int rate);
/* Post every event whose sample time is < t_end, stamped with that sample time; returns how many. */
int nr_script_player_due(nr_script_player *p, int64_t t_end, const nr_audio_client *c);
/* Sample time of the next event, or INT64_MAX when none is left. */
int64_t nr_script_player_next_time(const nr_script_player *p);

#endif
