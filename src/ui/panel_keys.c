/* Terminal panel: the pure parts (keys -> events, frame -> half-block text), testable without a tty. */
#include "ui/panel.h"
#include "ui/png.h"

#include <curses.h>
#include <string.h>

nr_key_action nr_panel_key(int key, nr_panel_keys *ks, nr_control_event *ev, int *n_ev)
{
    static const char up[] = "asdf", down[] = "zxcv", big_up[] = "ASDF", big_down[] = "ZXCV";
    *n_ev = 0;
    const char *p;
    ev[0] = (nr_control_event){.index = 0, .value = 1.0f, .time = -1};
    if (key == '1' || key == '2') {
        ev[0].type = NR_EV_GATE;
        ev[0].index = key - '1';
        *n_ev = 1;
        return NR_KEY_TRIGGER;
    }
    if (key == '!' || key == '@') {
        int g = key == '!' ? 0 : 1;
        ks->held[g] = !ks->held[g];
        ev[0].type = NR_EV_GATE;
        ev[0].index = g;
        ev[0].value = ks->held[g] ? 1.0f : 0.0f;
        *n_ev = 1;
        return NR_KEY_EVENTS;
    }
    if (key > 0 && key < 128) {
        float step = 0;
        int i = -1;
        if ((p = strchr(up, key))) i = (int)(p - up), step = NR_PANEL_CV_STEP;
        else if ((p = strchr(down, key))) i = (int)(p - down), step = -NR_PANEL_CV_STEP;
        else if ((p = strchr(big_up, key))) i = (int)(p - big_up), step = NR_PANEL_CV_BIG_STEP;
        else if ((p = strchr(big_down, key))) i = (int)(p - big_down), step = -NR_PANEL_CV_BIG_STEP;
        if (i >= 0) {
            float v = ks->cv[i] + step;
            v = v > 5.0f ? 5.0f : v < -5.0f ? -5.0f : v;
            v = (float)((int)(v * 100.0f + (v >= 0 ? 0.5f : -0.5f))) / 100.0f; /* no 0.30000001 drift */
            ks->cv[i] = v;
            ev[0].type = NR_EV_CV;
            ev[0].index = i;
            ev[0].value = v;
            *n_ev = 1;
            return NR_KEY_EVENTS;
        }
    }
    switch (key) {
    case KEY_RIGHT: case '.': case '>':
        ev[0].type = NR_EV_ENCODER;
        *n_ev = 1;
        return NR_KEY_EVENTS;
    case KEY_LEFT: case ',': case '<':
        ev[0].type = NR_EV_ENCODER;
        ev[0].value = -1.0f;
        *n_ev = 1;
        return NR_KEY_EVENTS;
    case '\n': case '\r': case KEY_ENTER: case ' ':
        ev[0].type = NR_EV_PUSH;
        *n_ev = 1;
        return NR_KEY_EVENTS;
    case KEY_BACKSPACE: case 127: case 8: case 27:
        ev[0].type = NR_EV_LONG_PUSH;
        *n_ev = 1;
        return NR_KEY_EVENTS;
    case 'p': case 'P':
        return NR_KEY_SCREENSHOT;
    case 'q': case 'Q':
        return NR_KEY_QUIT;
    default:
        return NR_KEY_NONE;
    }
}

void nr_panel_row(const uint8_t *fb, int row, char *out)
{
    /* U+2580 upper half, U+2584 lower half, U+2588 full block, in UTF-8. */
    static const char *const cell[4] = {" ", "\xe2\x96\x80", "\xe2\x96\x84", "\xe2\x96\x88"};
    char *o = out;
    for (int x = 0; x < NR_OLED_W; x++) {
        int k = nr_oled_pixel(fb, x, 2 * row) | nr_oled_pixel(fb, x, 2 * row + 1) << 1;
        size_t len = k ? 3 : 1;
        memcpy(o, cell[k], len);
        o += len;
    }
    *o = '\0';
}
