/* Terminal panel: ncursesw screen built from the instrument's frame and status, then flushed once. */
#include "ui/panel.h"
#include "ui/png.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIN_COLS (NR_OLED_W + 2)
#define MIN_ROWS (NR_OLED_H / 2 + 11)
#define REDRAW_MS 33

struct nr_panel {
    nr_panel_config cfg;
    nr_panel_keys keys;
    double release_at[NR_NUM_GATES]; /* ms; 0 = no trigger to release */
    double last_draw;
    int dirty;
    char msg[160];
    double msg_until;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

nr_result nr_panel_open(const nr_panel_config *cfg, nr_panel **out)
{
    *out = NULL;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return nr_fail(NR_ERR_DEVICE, "panel: stdin/stdout is not a terminal; use --headless");
    setlocale(LC_ALL, "");
    if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0) setlocale(LC_CTYPE, "C.UTF-8"); /* for the half blocks */
    nr_panel *p = calloc(1, sizeof *p);
    if (!p) return nr_fail(NR_ERR_NOMEM, "panel: out of memory");
    p->cfg = *cfg;
    if (!getenv("ESCDELAY")) set_escdelay(25);
    if (!initscr()) {
        free(p);
        return nr_fail(NR_ERR_DEVICE, "panel: cannot start the terminal screen (TERM=%s)",
                       getenv("TERM") ? getenv("TERM") : "");
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(1, COLOR_CYAN, -1);   /* OLED pixels */
        init_pair(2, COLOR_GREEN, -1);  /* meters */
        init_pair(3, COLOR_RED, -1);    /* lit gate LED, clipping */
        init_pair(4, COLOR_YELLOW, -1); /* key help */
    }
    p->dirty = 1;
    if (cfg->notice && cfg->notice[0]) {
        snprintf(p->msg, sizeof p->msg, "%s", cfg->notice);
        p->msg_until = now_ms() + 8000;
    }
    *out = p;
    return NR_OK;
}

void nr_panel_close(nr_panel *p)
{
    if (!p) return;
    curs_set(1);
    endwin();
    free(p);
}

static void bar(int y, int x, int width, double fill, int pair)
{
    int n = (int)lround(fill * width);
    n = n < 0 ? 0 : n > width ? width : n;
    mvaddch(y, x, '[');
    attron(COLOR_PAIR(pair));
    for (int i = 0; i < width; i++) addch(i < n ? '#' : ' ');
    attroff(COLOR_PAIR(pair));
    addch(']');
}

static uint32_t inst_frame(const void *ctx, uint8_t *fb) { return nr_instrument_frame(ctx, fb); }
static void inst_status(const void *ctx, nr_instrument_status *st) { nr_instrument_status_get(ctx, st); }

nr_panel_source nr_panel_source_instrument(const nr_instrument *inst)
{
    return (nr_panel_source){.ctx = inst, .frame = inst_frame, .status = inst_status};
}

static void draw(nr_panel *p, const nr_panel_source *src)
{
    uint8_t fb[NR_OLED_W * NR_OLED_H / 8];
    nr_instrument_status st;
    src->frame(src->ctx, fb);
    src->status(src->ctx, &st);
    erase();
    if (COLS < MIN_COLS || LINES < MIN_ROWS) {
        mvprintw(0, 0, "Neurorack: the panel needs a terminal of %dx%d (now %dx%d); q quits", MIN_COLS, MIN_ROWS,
                 COLS, LINES);
        refresh();
        return;
    }
    attron(A_BOLD);
    mvprintw(0, 0, "Neurorack");
    attroff(A_BOLD);
    printw("  %s", p->cfg.title ? p->cfg.title : "");
    mvaddch(1, 0, ACS_ULCORNER);
    for (int x = 0; x < NR_OLED_W; x++) addch(ACS_HLINE);
    addch(ACS_URCORNER);
    char row[NR_PANEL_ROW_BYTES];
    for (int r = 0; r < NR_OLED_H / 2; r++) {
        nr_panel_row(fb, r, row);
        mvaddch(2 + r, 0, ACS_VLINE);
        attron(COLOR_PAIR(1));
        addstr(row);
        attroff(COLOR_PAIR(1));
        addch(ACS_VLINE);
    }
    int y = 2 + NR_OLED_H / 2;
    mvaddch(y, 0, ACS_LLCORNER);
    for (int x = 0; x < NR_OLED_W; x++) addch(ACS_HLINE);
    addch(ACS_LRCORNER);
    y++;
    for (int i = 0; i < NR_NUM_CV; i++) {
        int x = i * 32;
        mvprintw(y, x, "CV%d %+5.2f V", i + 1, (double)st.cv[i]);
        bar(y, x + 12, 16, (st.cv[i] + 5.0) / 10.0, 2);
    }
    y++;
    for (int g = 0; g < NR_NUM_GATES; g++) {
        mvprintw(y, g * 16, "Gate %d ", g + 1);
        if (st.gate[g]) attron(COLOR_PAIR(3) | A_BOLD);
        addstr(st.gate[g] ? "(*)" : "( )");
        if (st.gate[g]) attroff(COLOR_PAIR(3) | A_BOLD);
    }
    mvprintw(y, 32, "voices %d   xruns %u   faults %u   latency %.1f ms", st.voices_active, st.xruns, st.faults,
             (double)st.latency_ms);
    y++;
    double db = st.out_peak > 1e-6f ? 20.0 * log10(st.out_peak) : -120.0;
    mvprintw(y, 0, "Out %6.1f dBFS ", db);
    bar(y, 16, 40, (db + 60.0) / 60.0, st.out_peak >= 1.0f ? 3 : 2);
    mvprintw(y, 64, "CPU %5.1f%% ", 100.0 * st.cpu_load);
    bar(y, 76, 30, st.cpu_load, st.cpu_load > 0.8f ? 3 : 2);
    printw(" worst %.0f%%", 100.0 * st.worst_block_share);
    y += 2;
    attron(COLOR_PAIR(4));
    mvprintw(y++, 0, "keys: 1 2 trigger gate   ! @ hold/release gate   a/z s/x d/c f/v CV1..4 up/down 0.1 V "
                     "(shift: 1 V)");
    mvprintw(y++, 0, "      Left/Right (or , .) turn encoder   Enter/Space push   Backspace/Esc long push (back)   "
                     "%sq quit", p->cfg.screenshot ? "p screenshot   " : "");
    attroff(COLOR_PAIR(4));
    if (p->msg[0] && now_ms() < p->msg_until) mvprintw(y, 0, "%s", p->msg);
    refresh();
}

int nr_panel_step(nr_panel *p, const nr_panel_source *src, const nr_audio_client *c, int wait_ms)
{
    if (p->dirty) { /* the first frame (and a resize) is shown before any key is read */
        draw(p, src);
        p->last_draw = now_ms();
        p->dirty = 0;
    }
    timeout(wait_ms);
    int key = getch();
    double t = now_ms();
    for (int g = 0; g < NR_NUM_GATES; g++)
        if (p->release_at[g] > 0 && t >= p->release_at[g]) {
            p->release_at[g] = 0;
            if (!p->keys.held[g]) nr_post_event(c, NR_SRC_UI, NR_EV_GATE, g, 0.0f);
        }
    for (; key != ERR; key = getch()) {
        if (key == KEY_RESIZE) {
            p->dirty = 1;
            continue;
        }
        nr_control_event ev[2];
        int n = 0;
        nr_key_action a = nr_panel_key(key, &p->keys, ev, &n);
        if (a == NR_KEY_QUIT) return 0;
        for (int i = 0; i < n; i++)
            if (c->post) c->post(c->ctx, NR_SRC_UI, &ev[i]);
        if (a == NR_KEY_TRIGGER) p->release_at[ev[0].index] = t + NR_PANEL_TRIG_MS;
        if (a == NR_KEY_SCREENSHOT) {
            if (p->cfg.screenshot) {
                uint8_t fb[NR_OLED_W * NR_OLED_H / 8];
                src->frame(src->ctx, fb);
                if (nr_png_write_oled(p->cfg.screenshot, fb, 4) == NR_OK)
                    snprintf(p->msg, sizeof p->msg, "wrote %s", p->cfg.screenshot);
                else
                    snprintf(p->msg, sizeof p->msg, "%s", nr_last_error());
            } else {
                snprintf(p->msg, sizeof p->msg, "start with --screenshot FILE.png to save the display");
            }
            p->msg_until = t + 3000;
        }
        p->dirty = 1;
        timeout(0);
    }
    if (p->dirty || t - p->last_draw >= REDRAW_MS) {
        draw(p, src);
        p->last_draw = t;
        p->dirty = 0;
    }
    return 1;
}
