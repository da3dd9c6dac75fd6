/* Terminal panel: keys -> events, the OLED frame as half blocks, the PNG screenshot read back. */
#include "neurorack.h"
#include "nr_test.h"
#include "ui/panel.h"
#include "ui/png.h"
#include "fake_client.h"

#include <curses.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

static void set_pixel(uint8_t *fb, int x, int y) { fb[(y / 8) * NR_OLED_W + x] |= (uint8_t)(1u << (y % 8)); }

static void test_keys(void)
{
    nr_panel_keys ks = {0};
    nr_control_event ev[2];
    int n;
    NT_CHECK(nr_panel_key('1', &ks, ev, &n) == NR_KEY_TRIGGER && n == 1 && ev[0].type == NR_EV_GATE &&
             ev[0].index == 0 && ev[0].value == 1.0f && ev[0].time == -1);
    NT_CHECK(nr_panel_key('2', &ks, ev, &n) == NR_KEY_TRIGGER && ev[0].index == 1);
    NT_CHECK(nr_panel_key('!', &ks, ev, &n) == NR_KEY_EVENTS && ev[0].value == 1.0f && ks.held[0]);
    NT_CHECK(nr_panel_key('!', &ks, ev, &n) == NR_KEY_EVENTS && ev[0].value == 0.0f && !ks.held[0]);
    NT_CHECK(nr_panel_key('@', &ks, ev, &n) == NR_KEY_EVENTS && ev[0].index == 1 && ks.held[1]);
    /* CV 2 up three small steps, then down one big step; clamped at +-5 V */
    for (int i = 0; i < 3; i++) nr_panel_key('s', &ks, ev, &n);
    NT_CHECKF(ev[0].type == NR_EV_CV && ev[0].index == 1 && ev[0].value == 0.3f, "%g", ev[0].value);
    NT_CHECK(nr_panel_key('X', &ks, ev, &n) == NR_KEY_EVENTS && ev[0].value == -0.7f);
    for (int i = 0; i < 20; i++) nr_panel_key('F', &ks, ev, &n);
    NT_CHECK(ev[0].index == 3 && ev[0].value == 5.0f && ks.cv[3] == 5.0f);
    nr_panel_key('z', &ks, ev, &n);
    NT_CHECK(ev[0].index == 0 && ev[0].value == -0.1f);
    nr_panel_key('c', &ks, ev, &n);
    NT_CHECK(ev[0].index == 2 && ev[0].value == -0.1f);
    NT_CHECK(nr_panel_key(KEY_RIGHT, &ks, ev, &n) == NR_KEY_EVENTS && ev[0].type == NR_EV_ENCODER && ev[0].value == 1);
    NT_CHECK(nr_panel_key(',', &ks, ev, &n) == NR_KEY_EVENTS && ev[0].type == NR_EV_ENCODER && ev[0].value == -1);
    NT_CHECK(nr_panel_key('\r', &ks, ev, &n) == NR_KEY_EVENTS && ev[0].type == NR_EV_PUSH);
    NT_CHECK(nr_panel_key(KEY_BACKSPACE, &ks, ev, &n) == NR_KEY_EVENTS && ev[0].type == NR_EV_LONG_PUSH);
    NT_CHECK(nr_panel_key(27, &ks, ev, &n) == NR_KEY_EVENTS && ev[0].type == NR_EV_LONG_PUSH);
    NT_CHECK(nr_panel_key('p', &ks, ev, &n) == NR_KEY_SCREENSHOT && n == 0);
    NT_CHECK(nr_panel_key('q', &ks, ev, &n) == NR_KEY_QUIT);
    NT_CHECK(nr_panel_key('k', &ks, ev, &n) == NR_KEY_NONE && n == 0);
    NT_CHECK(nr_panel_key(KEY_F(5), &ks, ev, &n) == NR_KEY_NONE);
}

static void test_halfblocks(void)
{
    uint8_t fb[NR_OLED_W * NR_OLED_H / 8] = {0};
    set_pixel(fb, 0, 0);   /* row 0: upper half */
    set_pixel(fb, 1, 1);   /* row 0: lower half */
    set_pixel(fb, 2, 0);   /* row 0: both */
    set_pixel(fb, 2, 1);
    set_pixel(fb, 127, 63); /* row 31: lower half of the last cell */
    set_pixel(fb, 5, 9);   /* row 4 (pixels 8, 9): lower half; crosses no page boundary */
    set_pixel(fb, 6, 15);  /* row 7 (14, 15): lower */
    set_pixel(fb, 6, 16);  /* row 8 (16, 17): upper, in the next page */
    char row[NR_PANEL_ROW_BYTES];
    nr_panel_row(fb, 0, row);
    NT_CHECK(!strncmp(row, "\xe2\x96\x80\xe2\x96\x84\xe2\x96\x88 ", 10));
    NT_CHECK(strlen(row) == 3 * 3 + 125);
    nr_panel_row(fb, 31, row);
    NT_CHECK(strlen(row) == 127 + 3 && !strcmp(row + 127, "\xe2\x96\x84"));
    nr_panel_row(fb, 4, row);
    NT_CHECK(!strncmp(row, "     \xe2\x96\x84 ", 9));
    nr_panel_row(fb, 7, row);
    NT_CHECK(!strncmp(row + 6, "\xe2\x96\x84", 3));
    nr_panel_row(fb, 8, row);
    NT_CHECK(!strncmp(row + 6, "\xe2\x96\x80", 3));
    memset(fb, 0xff, sizeof fb);
    nr_panel_row(fb, 13, row);
    NT_CHECK(strlen(row) == 3 * 128);
}

static unsigned char **read_png(const char *path, int *w, int *h, int *depth)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        fclose(f);
        return NULL;
    }
    png_init_io(png, f);
    png_read_info(png, info);
    *w = (int)png_get_image_width(png, info);
    *h = (int)png_get_image_height(png, info);
    *depth = png_get_bit_depth(png, info);
    if (png_get_color_type(png, info) != PNG_COLOR_TYPE_GRAY) *depth = -1;
    png_set_packing(png); /* one byte per pixel, 0 or 1 */
    png_read_update_info(png, info);
    unsigned char **rows = malloc(sizeof *rows * (size_t)*h);
    for (int y = 0; y < *h; y++) rows[y] = malloc(png_get_rowbytes(png, info));
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return rows;
}

static void test_png(void)
{
    uint8_t fb[NR_OLED_W * NR_OLED_H / 8] = {0};
    for (int i = 0; i < 64; i++) set_pixel(fb, i * 2, i); /* a diagonal */
    set_pixel(fb, 127, 0);
    const char *path = nt_tmp("oled.png");
    NT_CHECKF(nr_png_write_oled(path, fb, 3) == NR_OK, "%s", nr_last_error());
    int w = 0, h = 0, depth = 0;
    unsigned char **rows = read_png(path, &w, &h, &depth);
    NT_CHECK(rows && w == 384 && h == 192 && depth == 1);
    if (rows) {
        int wrong = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) wrong += (rows[y][x] != 0) != nr_oled_pixel(fb, x / 3, y / 3);
        NT_CHECKF(wrong == 0, "%d pixels differ", wrong);
        NT_CHECK(rows[0][381] && rows[2][383] && !rows[3][383] && rows[2][7] == 0 && rows[4][6] && rows[5][8]);
        for (int y = 0; y < h; y++) free(rows[y]);
        free(rows);
    }
    NT_CHECK(nr_png_write_oled(path, fb, 0) == NR_ERR_ARG);
    /* A write that fails half-way (the file-size limit fails write() as a full disk does) leaves the
     * previous screenshot, no temporary file, and a message naming the file. */
    for (int i = 0; i < (int)sizeof fb; i++) fb[i] = (uint8_t)(i * 37 + (i >> 3)); /* compresses badly */
    NT_WRITE_FAIL_BEGIN(path, 200);
    nr_result r = nr_png_write_oled(path, fb, 3);
    NT_WRITE_FAIL_END(r == NR_ERR_IO, nr_last_error(), nt_tmpdir());
    NT_CHECK(nr_png_write_oled("/nonexistent-dir/x.png", fb, 2) == NR_ERR_IO && strstr(nr_last_error(), "x.png"));
}

static void test_not_a_terminal(void)
{
    /* Under the test runner stdin is not a terminal: the panel refuses in one line, never hangs. */
    if (isatty(0) && isatty(1)) {
        nt_skip("running on a terminal");
        return;
    }
    nr_panel_config pc = {.title = "t"};
    nr_panel *p = NULL;
    NT_CHECK(nr_panel_open(&pc, &p) == NR_ERR_DEVICE && !p && strstr(nr_last_error(), "--headless"));
}

static uint32_t pattern_frame(const void *ctx, uint8_t *fb)
{
    (void)ctx;
    memset(fb, 0, NR_OLED_W * NR_OLED_H / 8);
    for (int x = 0; x < NR_OLED_W; x++) set_pixel(fb, x, 0); /* top row: upper half blocks */
    return 1;
}

static void pattern_status(const void *ctx, nr_instrument_status *st)
{
    (void)ctx;
    *st = (nr_instrument_status){.cv = {1.25f}, .gate = {1, 0}, .out_peak = 0.5f, .cpu_load = 0.25f};
}

/* The child side of the pty test: the panel over a stand-in, until 'q'. */
static void panel_child(void)
{
    setenv("TERM", "xterm", 1);
    setenv("LC_ALL", "C.UTF-8", 1);
    fake_client f;
    nr_audio_client c = fake_client_init(&f);
    nr_panel_source src = {.frame = pattern_frame, .status = pattern_status};
    nr_panel_config pc = {.title = "pty test"};
    nr_panel *p;
    if (nr_panel_open(&pc, &p) != NR_OK) {
        printf("OPEN FAILED %s\n", nr_last_error());
        _exit(2);
    }
    int i = 0;
    while (i++ < 1000 && nr_panel_step(p, &src, &c, 10)) {
    }
    nr_panel_close(p);
    float out[8];
    fake_process(&f, out, 8);
    printf("RESULT gates_on=%d cv2=%.2f enc=%d push=%d\n", f.n_gate_on, (double)f.cv[1], f.encoder, f.pushes);
    fflush(stdout);
    _exit(i < 1000 ? 0 : 3);
}

/* Reads what the child writes until it exits (EIO on the master) or `ms` pass. */
static size_t pty_read(int fd, char *buf, size_t cap, size_t have, int ms)
{
    for (int waited = 0; waited < ms && have + 1 < cap;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 20) <= 0) {
            waited += 20;
            continue;
        }
        ssize_t k = read(fd, buf + have, cap - have - 1);
        if (k <= 0) break;
        have += (size_t)k;
    }
    buf[have] = '\0';
    return have;
}

/* The panel in a pseudo-terminal, as over SSH: it draws the frame in half blocks and the CVs, keys
 * post events, 'q' quits and the terminal is restored (xterm's rmcup). */
static void test_panel_in_pty(void)
{
    int fd;
    struct winsize ws = {.ws_row = 46, .ws_col = 140};
    pid_t pid = forkpty(&fd, NULL, NULL, &ws);
    if (pid < 0) {
        nt_skip("no pseudo-terminal available (forkpty failed)");
        return;
    }
    if (pid == 0) panel_child();
    static char buf[1 << 20];
    size_t n = pty_read(fd, buf, sizeof buf, 0, 400);
    const char keys[] = "1s\033OC\r";
    NT_CHECK(write(fd, keys, sizeof keys - 1) == (ssize_t)(sizeof keys - 1));
    n = pty_read(fd, buf, sizeof buf, n, 300);
    NT_CHECK(write(fd, "q", 1) == 1);
    n = pty_read(fd, buf, sizeof buf, n, 10000); /* returns as soon as the child exits */
    int st = 0;
    waitpid(pid, &st, 0);
    close(fd);
    NT_CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
    NT_CHECK(strstr(buf, "\xe2\x96\x80\xe2\x96\x80\xe2\x96\x80") != NULL); /* the top pixel row */
    NT_CHECK(strstr(buf, "CV1 +1.25 V") != NULL);
    NT_CHECK(strstr(buf, "q quit") != NULL);
    const char *res = strstr(buf, "RESULT ");
    NT_CHECKF(res && !strncmp(res, "RESULT gates_on=1 cv2=0.10 enc=1 push=1", 39), "%s", res ? res : "(no result)");
    const char *restore = strstr(buf, "\033[?1049l"); /* leave the alternate screen */
    NT_CHECK(restore && res && restore < res);
}

int main(void)
{
    NT_RUN(test_keys);
    NT_RUN(test_halfblocks);
    NT_RUN(test_png);
    NT_RUN(test_not_a_terminal);
    NT_RUN(test_panel_in_pty);
    return nt_end();
}
