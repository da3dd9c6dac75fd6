/* A recording fake of the kernel interface the hardware drivers use (src/hw/hw_ops.h), for the
 * tests/test_hw_*.c programs: every call is logged as a text line with the exact bytes; it answers like
 * ADS1x15 chips (conversion results set by the test), keeps an SH1106/SSD1306 RAM and an ST7789
 * screen from the bytes it receives, serves GPIO edges queued by the test, and can make an I2C
 * address stop answering (ENXIO/EIO). Time is the test's: fake_at(t) sets the clock. */
#ifndef TEST_HW_FAKE_H
#define TEST_HW_FAKE_H

#include "hw/hw.h"
#include "hw/hw_ops.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/spi/spidev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int used, addr, spi;
    char path[32];
} fake_fd;

typedef struct {
    int addr;
    uint16_t config;    /* last value written to the config register */
    uint16_t value[8];  /* conversion register served, per MUX field */
    int reads;
} fake_ads;

struct nr_gpio_line {
    char chip[32];
    int offset, out, level;
    nr_gpio_mode mode;
    nr_gpio_bias bias;
    int q[256];
    int64_t qt[256];
    int qh, qn;
};

typedef struct {
    int64_t now;
    char *log;
    size_t len, cap;
    fake_fd fds[32];
    int fail_addr[4], fail_err[4], n_fail; /* I2C addresses that do not answer */
    const char *missing_path;              /* open() of this path fails with ENOENT */
    fake_ads ads[4];
    int n_ads;
    /* SH1106/SSD1306 at oled_addr: RAM of 8 pages x 132 columns, page addressing */
    int oled_addr, oled_page, oled_col;
    uint8_t oled_ram[8][132];
    /* ST7789 */
    int lcd_dc_line;
    int lcd_cmd, lcd_nparam;
    uint8_t lcd_param[4];
    int lcd_x0, lcd_x1, lcd_y0, lcd_y1, lcd_x, lcd_y, lcd_hi, lcd_have_hi;
    uint16_t lcd[240][240];
    long lcd_pixels;
    struct nr_gpio_line lines[16];
    int n_lines;
    int busy_line; /* gpio_request of this line fails with EBUSY */
    nr_control_event posted[256];
    int n_posted;
    char logs[8][512];
    int n_logs;
    int threaded; /* the hardware threads run: sleeps are real (short), not logged */
    int wait_err; /* gpio_wait fails with this errno */
} fake;

static fake F;
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((unused)) void fake_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static __attribute__((unused)) void fake_log(const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = sizeof line - 1;
    pthread_mutex_lock(&fake_lock);
    if (F.len + (size_t)n + 2 > F.cap) {
        F.cap = (F.cap + (size_t)n + 2) * 2;
        F.log = realloc(F.log, F.cap);
    }
    memcpy(F.log + F.len, line, (size_t)n);
    F.len += (size_t)n;
    F.log[F.len++] = '\n';
    F.log[F.len] = '\0';
    pthread_mutex_unlock(&fake_lock);
}

static __attribute__((unused)) void hex(char *out, const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        if (i) *o++ = ' ';
        *o++ = digits[b[i] >> 4];
        *o++ = digits[b[i] & 15];
    }
    *o = '\0';
}

static __attribute__((unused)) int fake_fail_of(int addr)
{
    for (int i = 0; i < F.n_fail; i++)
        if (F.fail_addr[i] == addr) return F.fail_err[i];
    return 0;
}

static __attribute__((unused)) fake_ads *fake_ads_at(int addr)
{
    for (int i = 0; i < F.n_ads; i++)
        if (F.ads[i].addr == addr) return &F.ads[i];
    return NULL;
}

static int f_open(void *ctx, const char *path, int flags)
{
    (void)ctx;
    (void)flags;
    if (F.missing_path && !strcmp(path, F.missing_path)) {
        fake_log("open %s = ENOENT", path);
        return -ENOENT;
    }
    for (int fd = 3; fd < 32; fd++)
        if (!F.fds[fd].used) {
            F.fds[fd] = (fake_fd){.used = 1, .spi = !strncmp(path, "/dev/spidev", 11)};
            snprintf(F.fds[fd].path, sizeof F.fds[fd].path, "%s", path);
            fake_log("open %s = %d", path, fd);
            return fd;
        }
    return -EMFILE;
}

static int f_close(void *ctx, int fd)
{
    (void)ctx;
    fake_log("close %d", fd);
    F.fds[fd].used = 0;
    return 0;
}

/* The OLED controller's view of a write: a control byte, then commands or RAM data. */
static __attribute__((unused)) void oled_receive(const uint8_t *b, size_t n)
{
    if (n == 0) return;
    if (b[0] == 0x40) {
        for (size_t i = 1; i < n; i++) {
            if (F.oled_col < 132) F.oled_ram[F.oled_page][F.oled_col] = b[i];
            F.oled_col++;
        }
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint8_t c = b[i];
        if ((c & 0xF8) == 0xB0) F.oled_page = c & 7;
        else if ((c & 0xF0) == 0x00) F.oled_col = (F.oled_col & 0xF0) | (c & 0x0F);
        else if ((c & 0xF0) == 0x10) F.oled_col = (F.oled_col & 0x0F) | (c & 0x0F) << 4;
        else if (c == 0xD5 || c == 0xA8 || c == 0xD3 || c == 0xAD || c == 0xDA || c == 0x81 || c == 0xD9 ||
                 c == 0xDB || c == 0x8D || c == 0x20)
            i++; /* two-byte commands: skip the argument */
    }
}

static long f_write(void *ctx, int fd, const void *buf, size_t n)
{
    (void)ctx;
    int addr = F.fds[fd].addr, err = fake_fail_of(addr);
    char h[3 * 4096];
    hex(h, buf, n < 4096 ? n : 4096);
    if (err) {
        fake_log("write 0x%02x %s = %s", addr, h, err == ENXIO ? "ENXIO" : "EIO");
        return -err;
    }
    fake_log("write 0x%02x %s", addr, h);
    const uint8_t *b = buf;
    fake_ads *a = fake_ads_at(addr);
    if (a && n == 3 && b[0] == 0x01) a->config = (uint16_t)(b[1] << 8 | b[2]);
    if (addr == F.oled_addr) {
        pthread_mutex_lock(&fake_lock);
        oled_receive(b, n);
        pthread_mutex_unlock(&fake_lock);
    }
    return (long)n;
}

static long f_read(void *ctx, int fd, void *buf, size_t n)
{
    (void)ctx;
    (void)buf;
    fake_log("read %d %zu", fd, n);
    return -EIO;
}

static __attribute__((unused)) void lcd_data(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (F.lcd_cmd == 0x2A || F.lcd_cmd == 0x2B) {
            if (F.lcd_nparam < 4) F.lcd_param[F.lcd_nparam++] = b[i];
            if (F.lcd_nparam == 4) {
                int s = F.lcd_param[0] << 8 | F.lcd_param[1], e = F.lcd_param[2] << 8 | F.lcd_param[3];
                if (F.lcd_cmd == 0x2A) F.lcd_x0 = s, F.lcd_x1 = e;
                else F.lcd_y0 = s, F.lcd_y1 = e;
            }
        } else if (F.lcd_cmd == 0x2C) {
            if (!F.lcd_have_hi) {
                F.lcd_hi = b[i];
                F.lcd_have_hi = 1;
                continue;
            }
            F.lcd_have_hi = 0;
            if (F.lcd_x < 240 && F.lcd_y < 240) F.lcd[F.lcd_y][F.lcd_x] = (uint16_t)(F.lcd_hi << 8 | b[i]);
            F.lcd_pixels++;
            if (++F.lcd_x > F.lcd_x1) F.lcd_x = F.lcd_x0, F.lcd_y++;
        }
    }
}

static int f_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
    (void)ctx;
    if (req == I2C_SLAVE) {
        F.fds[fd].addr = (int)(uintptr_t)arg;
        fake_log("ioctl %d I2C_SLAVE 0x%02x", fd, F.fds[fd].addr);
        return 0;
    }
    if (req == I2C_RDWR) {
        struct i2c_rdwr_ioctl_data *x = arg;
        int addr = x->msgs[0].addr, err = fake_fail_of(addr);
        char w[64];
        hex(w, x->msgs[0].buf, x->msgs[0].len);
        if (err) {
            fake_log("rdwr 0x%02x w %s r %d = %s", addr, w, x->msgs[1].len, err == ENXIO ? "ENXIO" : "EIO");
            return -err;
        }
        fake_ads *a = fake_ads_at(addr);
        uint16_t v = 0;
        if (a && x->msgs[0].len == 1 && x->msgs[0].buf[0] == 0x00) {
            v = a->value[a->config >> 12 & 7];
            a->reads++;
        }
        x->msgs[1].buf[0] = (uint8_t)(v >> 8);
        x->msgs[1].buf[1] = (uint8_t)v;
        fake_log("rdwr 0x%02x w %s r %d = %02x %02x", addr, w, x->msgs[1].len, v >> 8, v & 0xFF);
        return 2;
    }
    if (req == SPI_IOC_WR_MODE) {
        fake_log("spi mode %d", *(uint8_t *)arg);
        return 0;
    }
    if (req == SPI_IOC_WR_BITS_PER_WORD) {
        fake_log("spi bits %d", *(uint8_t *)arg);
        return 0;
    }
    if (req == SPI_IOC_WR_MAX_SPEED_HZ) {
        fake_log("spi speed %u", *(uint32_t *)arg);
        return 0;
    }
    if (req == SPI_IOC_MESSAGE(1)) {
        struct spi_ioc_transfer *t = arg;
        const uint8_t *b = (const uint8_t *)(uintptr_t)t->tx_buf;
        int dc = F.lines[F.lcd_dc_line].level;
        if (dc == 0) {
            fake_log("spi cmd %02x", b[0]);
            F.lcd_cmd = b[0];
            F.lcd_nparam = 0;
            F.lcd_have_hi = 0;
            if (b[0] == 0x2C) F.lcd_x = F.lcd_x0, F.lcd_y = F.lcd_y0;
        } else {
            char h[64];
            if (t->len <= 8) {
                hex(h, b, t->len);
                fake_log("spi data %s", h);
            } else {
                fake_log("spi data %u bytes", t->len);
            }
            lcd_data(b, t->len);
        }
        return (int)t->len;
    }
    fake_log("ioctl %d unknown 0x%lx", fd, req);
    return -ENOTTY;
}

static int f_gpio_request(void *ctx, const char *chip, int line, nr_gpio_mode mode, nr_gpio_bias bias, int value,
                          nr_gpio_line **out)
{
    (void)ctx;
    if (line == F.busy_line) {
        fake_log("gpio request %s %d = EBUSY", chip, line);
        return -EBUSY;
    }
    for (int i = 0; i < F.n_lines; i++)
        if (F.lines[i].offset == line) {
            F.lines[i].mode = mode;
            F.lines[i].bias = bias;
            if (mode == NR_GPIO_OUTPUT) F.lines[i].level = value;
            *out = &F.lines[i];
            fake_log("gpio request %s %d %s", chip, line, mode == NR_GPIO_OUTPUT ? "out" : "edges");
            return 0;
        }
    struct nr_gpio_line *l = &F.lines[F.n_lines++];
    memset(l, 0, sizeof *l);
    snprintf(l->chip, sizeof l->chip, "%s", chip);
    l->offset = line;
    l->mode = mode;
    l->bias = bias;
    l->level = mode == NR_GPIO_OUTPUT ? value : 0;
    *out = l;
    fake_log("gpio request %s %d %s", chip, line, mode == NR_GPIO_OUTPUT ? "out" : "edges");
    return 0;
}

static void f_gpio_release(void *ctx, nr_gpio_line *l)
{
    (void)ctx;
    fake_log("gpio release %d", l->offset);
}

static int f_gpio_get(void *ctx, nr_gpio_line *l)
{
    (void)ctx;
    return l->level;
}

static int f_gpio_set(void *ctx, nr_gpio_line *l, int value)
{
    (void)ctx;
    if (l->level != value) fake_log("gpio set %d %d", l->offset, value);
    l->level = value;
    return 0;
}

static int f_gpio_wait(void *ctx, nr_gpio_line *const *lines, int n, int timeout_ms)
{
    (void)ctx;
    (void)timeout_ms;
    if (F.wait_err) return -F.wait_err;
    int mask = 0;
    for (int i = 0; i < n; i++)
        if (lines[i]->qn > 0 && lines[i]->qt[lines[i]->qh] <= F.now) mask |= 1 << i;
    return mask;
}

static int f_gpio_read_event(void *ctx, nr_gpio_line *l, nr_gpio_event *ev)
{
    (void)ctx;
    if (l->qn == 0) return -EAGAIN;
    ev->rising = l->q[l->qh];
    ev->ns = l->qt[l->qh];
    l->level = ev->rising;
    l->qh = (l->qh + 1) % 256;
    l->qn--;
    return 0;
}

static void f_sleep_us(void *ctx, long us)
{
    (void)ctx;
    if (F.threaded) {
        struct timespec ts = {0, (us < 2000 ? us : 2000) * 1000};
        nanosleep(&ts, NULL);
        return;
    }
    fake_log("sleep %ld", us);
}

static int64_t f_now_ns(void *ctx)
{
    (void)ctx;
    return F.now;
}

static const nr_hw_ops fake_ops = {
    .open = f_open, .close = f_close, .ioctl = f_ioctl, .read = f_read, .write = f_write,
    .gpio_request = f_gpio_request, .gpio_release = f_gpio_release, .gpio_get = f_gpio_get,
    .gpio_set = f_gpio_set, .gpio_wait = f_gpio_wait, .gpio_read_event = f_gpio_read_event,
    .sleep_us = f_sleep_us, .now_ns = f_now_ns,
};

static __attribute__((unused)) void fake_reset(void)
{
    free(F.log);
    memset(&F, 0, sizeof F);
    F.now = 1000000000LL; /* 1 s: any time stamp is valid */
    F.busy_line = -1;
    F.oled_addr = 0x3c;
}

static __attribute__((unused)) void fake_clear_log(void)
{
    F.len = 0;
    if (F.log) F.log[0] = '\0';
}

/* A line the test owns before the driver requests it (its level at start). */
static __attribute__((unused)) struct nr_gpio_line *fake_line(int offset, int level)
{
    nr_gpio_line *l;
    f_gpio_request(NULL, "gpiochip0", offset, NR_GPIO_INPUT_EDGES, NR_GPIO_BIAS_AS_IS, 0, &l);
    l->level = level;
    return l;
}

static __attribute__((unused)) void fake_edge(int offset, int level, int64_t t_ns)
{
    for (int i = 0; i < F.n_lines; i++)
        if (F.lines[i].offset == offset) {
            struct nr_gpio_line *l = &F.lines[i];
            int k = (l->qh + l->qn) % 256;
            l->q[k] = level;
            l->qt[k] = t_ns;
            l->qn++;
            return;
        }
}

static __attribute__((unused)) void fake_post(void *ctx, const nr_control_event *ev)
{
    (void)ctx;
    if (F.n_posted < 256) F.posted[F.n_posted++] = *ev;
}

static __attribute__((unused)) void fake_hw_log(void *ctx, const char *msg)
{
    (void)ctx;
    pthread_mutex_lock(&fake_lock);
    if (F.n_logs < 8) snprintf(F.logs[F.n_logs++], sizeof F.logs[0], "%s", msg);
    pthread_mutex_unlock(&fake_lock);
}

static __attribute__((unused)) nr_hw_io fake_io(void)
{
    nr_hw_io io = {.ops = &fake_ops, .post = fake_post, .log = fake_hw_log};
    return io;
}

/* Count of log lines containing s. */
static __attribute__((unused)) int fake_count(const char *s)
{
    int n = 0;
    for (const char *p = F.log ? F.log : ""; (p = strstr(p, s)) != NULL; p += strlen(s)) n++;
    return n;
}

#endif
