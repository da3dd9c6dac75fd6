#include "control/script.h"
#include "control/midi.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 1024

typedef struct {
    nr_script_event *ev;
    size_t n, cap;
} ev_list;

static nr_result push(ev_list *l, double t, nr_event_type type, int index, float value)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        nr_script_event *e = realloc(l->ev, cap * sizeof *e);
        if (!e) return nr_fail(NR_ERR_NOMEM, "script: out of memory");
        l->ev = e;
        l->cap = cap;
    }
    l->ev[l->n++] = (nr_script_event){t, {.type = type, .index = index, .value = value, .time = -1}};
    return NR_OK;
}

static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return s[0] && !errno && !*end && isfinite(*v);
}

static int parse_int(const char *s, long *v)
{
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return s[0] && !errno && !*end;
}

/* Splits a line in place into at most 8 words; returns the count (9 = too many). */
static int split(char *line, char *w[8])
{
    int n = 0;
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    for (char *p = line;;) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) return n;
        if (n == 8) return 9;
        w[n++] = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        if (*p) *p++ = '\0';
    }
}

/* One line: "T what args" or "end T". `at` is "name:line" for messages. */
static nr_result parse_line(char **w, int nw, const char *at, double *last_t, double *end, ev_list *l)
{
    double t;
    if (!strcmp(w[0], "end")) {
        if (nw != 2 || !parse_double(w[1], &t) || t < 0)
            return nr_fail(NR_ERR_FORMAT, "%s: 'end' needs one time in seconds >= 0 (e.g. 'end 8.0')", at);
        if (*end >= 0) return nr_fail(NR_ERR_FORMAT, "%s: a second 'end'; a script has at most one", at);
        if (t < *last_t)
            return nr_fail(NR_ERR_FORMAT, "%s: end %g is before the last event at %g s", at, t, *last_t);
        *end = t;
        return NR_OK;
    }
    if (!parse_double(w[0], &t) || t < 0)
        return nr_fail(NR_ERR_FORMAT, "%s: '%s' is not a time; expected seconds >= 0 then an event "
                                      "(gate, trig, cv, note, encoder, push, longpush) or 'end T'", at, w[0]);
    if (*end >= 0) return nr_fail(NR_ERR_FORMAT, "%s: event after 'end'; 'end' comes last", at);
    if (t < *last_t)
        return nr_fail(NR_ERR_FORMAT, "%s: time %g is before the previous event's %g; events must be in time "
                                      "order", at, t, *last_t);
    *last_t = t;
    if (nw < 2) return nr_fail(NR_ERR_FORMAT, "%s: time %g without an event", at, t);
    const char *what = w[1];
    long i;
    double v;
    if (!strcmp(what, "gate") || !strcmp(what, "trig")) {
        int trig = what[0] == 't';
        if (nw != (trig ? 3 : 4) || !parse_int(w[2], &i) || i < 1 || i > NR_NUM_GATES)
            return nr_fail(NR_ERR_FORMAT, "%s: expected '%s N%s' with N from 1 to %d", at, what,
                           trig ? "" : " 0|1", NR_NUM_GATES);
        if (trig) {
            nr_result r = push(l, t, NR_EV_GATE, (int)i - 1, 1.0f);
            return r ? r : push(l, t + NR_SCRIPT_TRIG_S, NR_EV_GATE, (int)i - 1, 0.0f);
        }
        long level;
        if (!parse_int(w[3], &level) || (level != 0 && level != 1))
            return nr_fail(NR_ERR_FORMAT, "%s: gate level '%s'; expected 0 or 1", at, w[3]);
        return push(l, t, NR_EV_GATE, (int)i - 1, (float)level);
    }
    if (!strcmp(what, "cv")) {
        if (nw != 4 || !parse_int(w[2], &i) || i < 1 || i > NR_NUM_CV)
            return nr_fail(NR_ERR_FORMAT, "%s: expected 'cv N VOLTS' with N from 1 to %d", at, NR_NUM_CV);
        if (!parse_double(w[3], &v) || v < -10 || v > 10)
            return nr_fail(NR_ERR_FORMAT, "%s: cv value '%s'; expected volts from -10 to 10", at, w[3]);
        return push(l, t, NR_EV_CV, (int)i - 1, (float)v);
    }
    if (!strcmp(what, "note")) {
        long note, vel;
        if (nw != 5 || !parse_int(w[2], &i) || i < 1 || i > NR_NUM_GATES || !parse_int(w[3], &note) || note < 0 ||
            note > 127 || !parse_int(w[4], &vel) || vel < 0 || vel > 127)
            return nr_fail(NR_ERR_FORMAT, "%s: expected 'note N NUMBER VELOCITY' with N from 1 to %d, NUMBER and "
                                          "VELOCITY from 0 to 127", at, NR_NUM_GATES);
        int g = (int)i - 1;
        nr_result r = push(l, t, NR_EV_GATE, g, 0.0f);
        if (r || vel == 0) return r;
        if (!r) r = push(l, t, NR_EV_NOTE_PITCH, g, nr_midi_note_volts((int)note));
        if (!r) r = push(l, t, NR_EV_NOTE_LEVEL, g, nr_midi_velocity_gain((int)vel));
        return r ? r : push(l, t, NR_EV_GATE, g, 1.0f);
    }
    if (!strcmp(what, "encoder")) {
        if (nw != 3 || !parse_int(w[2], &i) || i == 0 || i < -100 || i > 100)
            return nr_fail(NR_ERR_FORMAT, "%s: expected 'encoder STEPS', STEPS a non-zero whole number "
                                          "from -100 to 100 (e.g. +1)", at);
        return push(l, t, NR_EV_ENCODER, 0, (float)i);
    }
    if (!strcmp(what, "push") || !strcmp(what, "longpush")) {
        if (nw != 2) return nr_fail(NR_ERR_FORMAT, "%s: '%s' takes no argument", at, what);
        return push(l, t, what[0] == 'p' ? NR_EV_PUSH : NR_EV_LONG_PUSH, 0, 1.0f);
    }
    if (!strcmp(what, "model")) {
        nr_control_event ev;
        if (nw > 3 || nr_model_event(nw == 3 ? w[2] : "", &ev) < 0)
            return nr_fail(NR_ERR_FORMAT, "%s: expected 'model NAME' (a model file's stem, at most %d characters, "
                                          "no '/'), or 'model' alone for the default model", at, NR_NAME_MAX - 1);
        nr_result r = push(l, t, NR_EV_MODEL, 0, 0.0f);
        if (!r) memcpy(l->ev[l->n - 1].ev.name, ev.name, sizeof ev.name);
        return r;
    }
    return nr_fail(NR_ERR_FORMAT, "%s: unknown event '%s'; expected gate, trig, cv, note, encoder, push, longpush or "
                                  "model", at, what);
}

/* Stable bottom-up merge sort of n events by time; 0 if the scratch buffer cannot be had. */
static int sort_by_time(nr_script_event *ev, size_t n)
{
    if (n < 2) return 1;
    nr_script_event *tmp = malloc(n * sizeof *tmp), *a = ev, *b = tmp;
    if (!tmp) return 0;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n, i = lo, j = mid, k = lo;
            while (i < mid && j < hi) b[k++] = a[j].t < a[i].t ? a[j++] : a[i++]; /* equal: the earlier first */
            while (i < mid) b[k++] = a[i++];
            while (j < hi) b[k++] = a[j++];
        }
        nr_script_event *t = a;
        a = b;
        b = t;
    }
    if (a != ev) memcpy(ev, a, n * sizeof *ev);
    free(tmp);
    return 1;
}

nr_result nr_script_parse(const char *text, const char *name, nr_script *out)
{
    memset(out, 0, sizeof *out);
    out->end = -1;
    if (!name) name = "script";
    ev_list l = {0};
    double last_t = 0, end = -1;
    int lineno = 0;
    nr_result r = NR_OK;
    for (const char *p = text; *p && r == NR_OK;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[MAX_LINE + 1], at[512];
        lineno++;
        snprintf(at, sizeof at, "%s:%d", name, lineno);
        if (len > MAX_LINE) {
            r = nr_fail(NR_ERR_FORMAT, "%s: line longer than %d characters", at, MAX_LINE);
            break;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        char *w[8];
        int nw = split(line, w);
        if (nw == 9) r = nr_fail(NR_ERR_FORMAT, "%s: too many words", at);
        else if (nw > 0) r = parse_line(w, nw, at, &last_t, &end, &l);
        if (r == NR_OK && l.n > NR_SCRIPT_MAX_EVENTS)
            r = nr_fail(NR_ERR_FORMAT, "%s: more than %d events", at, NR_SCRIPT_MAX_EVENTS);
        p = nl ? nl + 1 : p + len;
    }
    if (r != NR_OK) {
        free(l.ev);
        return r;
    }
    /* `trig` adds a gate-low a little later than its line: a stable sort restores time order (ties keep
     * file order). Merge sort: 200,000 trigs at one time are O(n log n), not the O(n^2) of insertion. */
    if (!sort_by_time(l.ev, l.n)) {
        free(l.ev);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory for %zu events", name, l.n);
    }
    if (end >= 0 && l.n && l.ev[l.n - 1].t > end) end = l.ev[l.n - 1].t; /* a trig's release past `end` */
    out->ev = l.ev;
    out->n = l.n;
    out->end = end;
    return NR_OK;
}

nr_result nr_script_load(const char *path, nr_script *out)
{
    memset(out, 0, sizeof *out);
    out->end = -1;
    FILE *f = fopen(path, "rb");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open the script (%s)", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    nr_result r = NR_OK;
    while (buf) {
        if (n + 1 >= cap) {
            if (cap > (size_t)256 << 20) {
                r = nr_fail(NR_ERR_FORMAT, "%s: larger than 256 MB; not a control script", path);
                break;
            }
            char *b = realloc(buf, cap * 2);
            if (!b) break;
            buf = b;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        if (k == 0) break;
        n += k;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    if (r == NR_OK && err) r = nr_fail(NR_ERR_IO, "%s: read error", path);
    if (r == NR_OK && memchr(buf, '\0', n)) r = nr_fail(NR_ERR_FORMAT, "%s: contains NUL bytes; a script is text", path);
    if (r == NR_OK) {
        buf[n] = '\0';
        r = nr_script_parse(buf, path, out);
    }
    free(buf);
    return r;
}

void nr_script_free(nr_script *s)
{
    if (!s) return;
    free(s->ev);
    s->ev = NULL;
    s->n = 0;
}

double nr_script_duration(const nr_script *s)
{
    if (s->end >= 0) return s->end;
    return s->n ? s->ev[s->n - 1].t : 0.0;
}

void nr_script_player_init(nr_script_player *p, const nr_script *s, int rate)
{
    p->script = s;
    p->next = 0;
    p->rate = rate;
    p->dropped = 0;
}

int64_t nr_script_player_next_time(const nr_script_player *p)
{
    if (!p->script || p->next >= p->script->n) return INT64_MAX;
    return llround(p->script->ev[p->next].t * p->rate);
}

int nr_script_player_due(nr_script_player *p, int64_t t_end, const nr_audio_client *c)
{
    int k = 0;
    while (p->script && p->next < p->script->n) {
        int64_t t = nr_script_player_next_time(p);
        if (t >= t_end) break;
        nr_control_event ev = p->script->ev[p->next].ev;
        ev.time = t;
        if (!c->post(c->ctx, NR_SRC_SCRIPT, &ev)) p->dropped++;
        p->next++;
        k++;
    }
    return k;
}
