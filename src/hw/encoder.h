/* Rotary encoder with push, from GPIO edges: a quadrature decoder that counts only full valid
 * sequences (contact bounce walks back and forth between neighbouring states and never counts), a
 * debounced push that tells a short press (on release) from a long one (once held long enough), and a
 * gate line with a lockout against bounce. Pure logic on levels and times; no I/O. */
#ifndef NR_HW_ENCODER_H
#define NR_HW_ENCODER_H

#include <stdint.h>

typedef struct {
    int state; /* decoder state, 0 = at a detent */
    int a, b;  /* current line levels */
    int rest;  /* (a << 1 | b) at a detent */
} nr_quad;

/* Levels of A and B at a detent (with pull-ups and contacts to ground: 1, 1). */
void nr_quad_init(nr_quad *q, int rest_a, int rest_b);
/* New levels of the lines after an edge; returns +1 (A leads: clockwise), -1, or 0. */
int nr_quad_update(nr_quad *q, int a, int b);

enum { NR_BUTTON_NONE = 0, NR_BUTTON_SHORT, NR_BUTTON_LONG };

typedef struct {
    int raw;            /* level of the last edge (1 = pressed) */
    int64_t raw_ns;     /* its time */
    int pressed;        /* debounced */
    int64_t press_ns;
    int long_sent;
    int64_t debounce_ns, long_ns;
} nr_button;

void nr_button_init(nr_button *b, int pressed, int debounce_ms, int long_ms);
void nr_button_edge(nr_button *b, int pressed, int64_t now_ns);
/* Settle the debounce and the long-press timer at now_ns: NR_BUTTON_SHORT (released before the long
 * time), NR_BUTTON_LONG (once, while held), or NR_BUTTON_NONE. */
int nr_button_poll(nr_button *b, int64_t now_ns);
/* When poll has something to decide next (INT64_MAX: nothing pending). */
int64_t nr_button_deadline(const nr_button *b);

/* A gate on a GPIO line: the first edge counts at once (no added latency), then edges are ignored for
 * the lockout time, after which the line's real level is taken again. */
typedef struct {
    int level;          /* as reported to the instrument */
    int64_t change_ns;
    int64_t lockout_ns;
    int recheck;        /* edges were ignored: read the level when the lockout ends */
} nr_gate_in;

void nr_gate_init(nr_gate_in *g, int level, int lockout_us);
/* Returns 1 if the reported level changed (now in g->level). */
int nr_gate_edge(nr_gate_in *g, int level, int64_t now_ns);
/* Lockout over and edges were ignored: the caller reads the line and passes it here; 1 if changed. */
int nr_gate_recheck(nr_gate_in *g, int level, int64_t now_ns);

#endif
