/* Terminal panel for `neurorack play`: the exact OLED frame in half-block characters, the 4 CVs,
 * the gate LEDs, output level and CPU meters, and the keys (shown on screen):
 *   1 2          trigger gate 1 / 2            ! @     hold / release gate 1 / 2
 *   a z  s x  d c  f v   CV 1..4 up / down by 0.1 V (A Z S X D C F V: by 1 V)
 *   Left Right   turn the encoder  (also , .)  Enter Space  push     Backspace Esc  long push (back)
 *   p            screenshot (with --screenshot FILE.png)               q  quit
 * Needs only a terminal (works over SSH), redraws on resize, restores the terminal on exit. */
#ifndef NR_PANEL_H
#define NR_PANEL_H

#include "control/control.h"

#define NR_PANEL_CV_STEP 0.1f
#define NR_PANEL_CV_BIG_STEP 1.0f
#define NR_PANEL_TRIG_MS 30 /* a key trigger holds its gate this long */

/* Key handling state: the panel's idea of the CVs and gates. */
typedef struct {
    float cv[NR_NUM_CV];
    int held[NR_NUM_GATES];
} nr_panel_keys;

typedef enum { NR_KEY_NONE = 0, NR_KEY_EVENTS, NR_KEY_TRIGGER, NR_KEY_SCREENSHOT, NR_KEY_QUIT } nr_key_action;

/* One key (an ncurses key code or a character) -> action and events (index 0-based, time -1).
 * NR_KEY_TRIGGER: ev[0] is a gate-on whose gate must fall after NR_PANEL_TRIG_MS. */
nr_key_action nr_panel_key(int key, nr_panel_keys *ks, nr_control_event *ev, int *n_ev);

/* One text row (0..31) of the frame: 128 cells of ' ', U+2580, U+2584 or U+2588 (upper half lit,
 * lower half lit, both), UTF-8, NUL-terminated. `out` holds at least NR_PANEL_ROW_BYTES. */
#define NR_PANEL_ROW_BYTES (NR_OLED_W * 3 + 1)
void nr_panel_row(const uint8_t *fb, int row, char *out);

typedef struct nr_panel nr_panel;

/* Where the panel reads what it shows (the instrument: nr_panel_source_instrument). Control thread. */
typedef struct {
    const void *ctx;
    uint32_t (*frame)(const void *ctx, uint8_t fb[NR_OLED_W * NR_OLED_H / 8]);
    void (*status)(const void *ctx, nr_instrument_status *st);
} nr_panel_source;

nr_panel_source nr_panel_source_instrument(const nr_instrument *inst);

typedef struct {
    const char *title;       /* "jack:neurorack 48000 Hz, 64 frames" */
    const char *screenshot;  /* PNG path or NULL */
    const char *notice;      /* a message to show for a few seconds at the start, or NULL */
} nr_panel_config;

/* Takes over the terminal (ncursesw). Fails with one line when stdin/stdout is not a terminal. */
nr_result nr_panel_open(const nr_panel_config *cfg, nr_panel **out);
/* Read keys (posting to `c` from the UI thread), redraw if anything changed; waits up to `wait_ms`
 * for a key. Returns 0 once the user asked to quit. */
int nr_panel_step(nr_panel *p, const nr_panel_source *src, const nr_audio_client *c, int wait_ms);
/* Restores the terminal. NULL is fine. */
void nr_panel_close(nr_panel *p);

#endif
