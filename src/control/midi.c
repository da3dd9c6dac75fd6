/* MIDI mapping: raw channel-voice messages -> control events, and the mapping file. */
#include "control/midi.h"
#include "io/line_reader.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nr_midi_map nr_midi_map_default(void)
{
    nr_midi_map m = {.channel = NR_MIDI_ANY, .gate_note = {NR_MIDI_ANY, 62}, .note_pitch = 1};
    for (int i = 0; i < NR_NUM_CV; i++) m.cv_cc[i] = 20 + i;
    return m;
}

int nr_midi_to_event(const nr_midi_map *m, int status, int d1, int d2, nr_control_event *ev)
{
    int type = status & 0xF0, ch = (status & 0x0F) + 1;
    if (status < 0x80 || status > 0xEF || d1 < 0 || d1 > 127 || d2 < 0 || d2 > 127) return 0;
    if (m->channel != NR_MIDI_ANY && ch != m->channel) return 0;
    *ev = (nr_control_event){.time = -1};
    if (type == 0x80 || type == 0x90) {
        int g = -1;
        for (int i = 0; i < NR_NUM_GATES && g < 0; i++)
            if (m->gate_note[i] == d1) g = i;
        for (int i = 0; i < NR_NUM_GATES && g < 0; i++)
            if (m->gate_note[i] == NR_MIDI_ANY) g = i;
        if (g < 0) return 0;
        ev->type = NR_EV_GATE;
        ev->index = g;
        ev->value = type == 0x90 && d2 > 0 ? 1.0f : 0.0f;
        return 1;
    }
    if (type == 0xB0) {
        for (int i = 0; i < NR_NUM_CV; i++)
            if (m->cv_cc[i] == d1) {
                ev->type = NR_EV_CV;
                ev->index = i;
                ev->value = (float)d2 * (10.0f / 127.0f) - 5.0f; /* 0..127 -> -5..+5 V */
                return 1;
            }
    }
    return 0;
}

#define MIDI_VELOCITY_MAX 127.0f
#define SEMITONES_PER_OCTAVE 12.0f

float nr_midi_note_volts(int note) { return (float)(note - NR_MIDI_PITCH_NOTE) / SEMITONES_PER_OCTAVE; }
float nr_midi_velocity_gain(int velocity) { return (float)velocity / MIDI_VELOCITY_MAX; }

int nr_midi_translate(const nr_midi_map *m, nr_midi_notes *notes, int status, int d1, int d2,
                      nr_control_event ev[NR_MIDI_MAX_EVENTS])
{
    nr_control_event gate;
    if (!nr_midi_to_event(m, status, d1, d2, &gate)) return 0;
    if (gate.type != NR_EV_GATE) {
        ev[0] = gate;
        return 1;
    }
    int g = gate.index, n = 0;
    if (gate.value < 0.5f) { /* note off: only the note that holds the gate lets it go */
        if (notes->held[g] != d1 + 1) return 0;
        notes->held[g] = 0;
        ev[0] = gate;
        return 1;
    }
    ev[n++] = (nr_control_event){.type = NR_EV_GATE, .index = g, .value = 0.0f, .time = -1};
    if (m->note_pitch && m->gate_note[g] == NR_MIDI_ANY)
        ev[n++] = (nr_control_event){.type = NR_EV_NOTE_PITCH, .index = g, .value = nr_midi_note_volts(d1), .time = -1};
    ev[n++] = (nr_control_event){.type = NR_EV_NOTE_LEVEL, .index = g, .value = nr_midi_velocity_gain(d2),
                                 .time = -1};
    ev[n++] = gate;
    notes->held[g] = d1 + 1;
    return n;
}

/* A map line with a long comment is fine; a line beyond this is not a MIDI map. */
#define MIDI_MAP_MAX_LINE 4096

/* "any", "none" or 0..127; returns 0 on a bad word. */
static int midi_number(const char *s, int allow_any, int *out)
{
    if (!strcmp(s, "none")) return *out = NR_MIDI_NONE, 1;
    if (allow_any && !strcmp(s, "any")) return *out = NR_MIDI_ANY, 1;
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 127) return 0;
    *out = (int)v;
    return 1;
}

/* Splits s at blanks into at most max words (pointers into s); returns the count, max + 1 if more. */
static int split_words(char *s, char **w, int max)
{
    int n = 0;
    for (char *p = s;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        if (!*p) return n;
        if (n == max) return max + 1;
        w[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r') p++;
        if (*p) *p++ = '\0';
    }
}

nr_result nr_midi_map_load(const char *path, nr_midi_map *m)
{
    FILE *f = fopen(path, "r");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open the MIDI map (%s)", path, strerror(errno));
    nr_midi_map map = nr_midi_map_default();
    nr_line_reader lr;
    if (!nr_line_reader_init(&lr, f, MIDI_MAP_MAX_LINE)) {
        fclose(f);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    }
    nr_result r = NR_OK;
    nr_line_status st;
    while (r == NR_OK && (st = nr_line_next(&lr)) == NR_LINE_OK) {
        long lineno = lr.line;
        char *hash = strchr(lr.buf, '#');
        if (hash) *hash = '\0';
        char *w[4];
        int n = split_words(lr.buf, w, 4);
        const char *a = n > 0 ? w[0] : "", *b = n > 1 ? w[1] : "", *c = n > 2 ? w[2] : "", *d = n > 3 ? w[3] : "";
        long idx;
        char *end;
        if (n == 0) continue;
        if (!strcmp(a, "channel") && n == 2) {
            idx = strtol(b, &end, 10);
            if (!strcmp(b, "any")) map.channel = NR_MIDI_ANY;
            else if (!*end && idx >= 1 && idx <= 16) map.channel = (int)idx;
            else r = nr_fail(NR_ERR_FORMAT, "%s:%ld: channel '%.32s'; expected 1..16 or any", path, lineno, b);
        } else if (!strcmp(a, "gate") && n == 4 && !strcmp(c, "note")) {
            idx = strtol(b, &end, 10);
            if (*end || idx < 1 || idx > NR_NUM_GATES || !midi_number(d, 1, &map.gate_note[idx - 1]))
                r = nr_fail(NR_ERR_FORMAT, "%s:%ld: expected 'gate 1..%d note 0..127|any|none'", path, lineno,
                            NR_NUM_GATES);
        } else if (!strcmp(a, "cv") && n == 4 && !strcmp(c, "cc")) {
            idx = strtol(b, &end, 10);
            if (*end || idx < 1 || idx > NR_NUM_CV || !midi_number(d, 0, &map.cv_cc[idx - 1]))
                r = nr_fail(NR_ERR_FORMAT, "%s:%ld: expected 'cv 1..%d cc 0..127|none'", path, lineno, NR_NUM_CV);
        } else if (!strcmp(a, "pitch") && n == 2 && (!strcmp(b, "on") || !strcmp(b, "off"))) {
            map.note_pitch = !strcmp(b, "on");
        } else {
            r = nr_fail(NR_ERR_FORMAT, "%s:%ld: unknown rule; expected 'channel ...', 'gate N note ...', "
                                       "'cv N cc ...' or 'pitch on|off'", path, lineno);
        }
    }
    if (r == NR_OK && st != NR_LINE_END)
        r = nr_fail(st == NR_LINE_READ_ERROR ? NR_ERR_IO : NR_ERR_FORMAT, "%s: %s", path, nr_line_error(&lr, st));
    nr_line_reader_free(&lr);
    fclose(f);
    if (r == NR_OK) *m = map;
    return r;
}
