#include "hw/encoder.h"

/* Decoder states: at a detent, then three steps into a clockwise or counter-clockwise cycle. */
enum { ST_REST, ST_CW1, ST_CW2, ST_CW3, ST_CCW1, ST_CCW2, ST_CCW3 };
#define EMIT_CW 0x10
#define EMIT_CCW 0x20

/* [state][code], code = (a << 1 | b) XOR rest: clockwise 00 -> 10 -> 11 -> 01 -> 00, the other way back.
 * A step back (bounce) returns to the previous state; a jump over a state (a missed edge) restarts. */
static const uint8_t g_next[7][4] = {
    /*            00                  01         10        11 */
    [ST_REST] = {ST_REST, ST_CCW1, ST_CW1, ST_REST},
    [ST_CW1] = {ST_REST, ST_REST, ST_CW1, ST_CW2},
    [ST_CW2] = {ST_REST, ST_CW3, ST_CW1, ST_CW2},
    [ST_CW3] = {ST_REST | EMIT_CW, ST_CW3, ST_REST, ST_CW2},
    [ST_CCW1] = {ST_REST, ST_CCW1, ST_REST, ST_CCW2},
    [ST_CCW2] = {ST_REST, ST_CCW1, ST_CCW3, ST_CCW2},
    [ST_CCW3] = {ST_REST | EMIT_CCW, ST_REST, ST_CCW3, ST_CCW2},
};

void nr_quad_init(nr_quad *q, int rest_a, int rest_b)
{
    q->state = ST_REST;
    q->a = rest_a != 0;
    q->b = rest_b != 0;
    q->rest = q->a << 1 | q->b;
}

int nr_quad_update(nr_quad *q, int a, int b)
{
    q->a = a != 0;
    q->b = b != 0;
    int code = (q->a << 1 | q->b) ^ q->rest;
    int n = g_next[q->state][code];
    q->state = n & 0x0f;
    return n & EMIT_CW ? 1 : n & EMIT_CCW ? -1 : 0;
}

void nr_button_init(nr_button *b, int pressed, int debounce_ms, int long_ms)
{
    b->raw = b->pressed = pressed != 0;
    b->raw_ns = b->press_ns = 0;
    b->long_sent = pressed != 0; /* held at start: no long press until it is released once */
    b->debounce_ns = (int64_t)debounce_ms * 1000000;
    b->long_ns = (int64_t)long_ms * 1000000;
}

void nr_button_edge(nr_button *b, int pressed, int64_t now_ns)
{
    b->raw = pressed != 0;
    b->raw_ns = now_ns;
}

int nr_button_poll(nr_button *b, int64_t now_ns)
{
    int out = NR_BUTTON_NONE;
    if (b->raw != b->pressed && now_ns - b->raw_ns >= b->debounce_ns) {
        b->pressed = b->raw;
        if (b->pressed) {
            b->press_ns = b->raw_ns;
            b->long_sent = 0;
        } else if (!b->long_sent) {
            out = NR_BUTTON_SHORT;
        }
    }
    if (b->pressed && !b->long_sent && now_ns - b->press_ns >= b->long_ns) {
        b->long_sent = 1;
        out = NR_BUTTON_LONG;
    }
    return out;
}

int64_t nr_button_deadline(const nr_button *b)
{
    if (b->raw != b->pressed) return b->raw_ns + b->debounce_ns;
    if (b->pressed && !b->long_sent) return b->press_ns + b->long_ns;
    return INT64_MAX;
}

void nr_gate_init(nr_gate_in *g, int level, int lockout_us)
{
    g->level = level != 0;
    g->change_ns = INT64_MIN / 2;
    g->lockout_ns = (int64_t)lockout_us * 1000;
    g->recheck = 0;
}

int nr_gate_edge(nr_gate_in *g, int level, int64_t now_ns)
{
    level = level != 0;
    if (now_ns - g->change_ns < g->lockout_ns) {
        g->recheck = 1;
        return 0;
    }
    if (level == g->level) return 0;
    g->level = level;
    g->change_ns = now_ns;
    return 1;
}

int nr_gate_recheck(nr_gate_in *g, int level, int64_t now_ns)
{
    g->recheck = 0;
    level = level != 0;
    if (level == g->level) return 0;
    g->level = level;
    g->change_ns = now_ns;
    return 1;
}
