/* The real kernel interface of the hardware drivers: POSIX calls and libgpiod v1 (Debian 12). */
#include "hw/hw_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

struct nr_gpio_line {
    struct gpiod_chip *chip;
    struct gpiod_line *line;
};

static int neg_errno(void) { return errno ? -errno : -EIO; }

static int lx_open(void *ctx, const char *path, int flags)
{
    (void)ctx;
    int fd = open(path, flags | O_CLOEXEC);
    return fd < 0 ? neg_errno() : fd;
}

static int lx_close(void *ctx, int fd)
{
    (void)ctx;
    return close(fd) < 0 ? neg_errno() : 0;
}

static int lx_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
    (void)ctx;
    int r = ioctl(fd, req, arg);
    return r < 0 ? neg_errno() : r;
}

static long lx_read(void *ctx, int fd, void *buf, size_t n)
{
    (void)ctx;
    ssize_t r;
    do r = read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r < 0 ? neg_errno() : (long)r;
}

static long lx_write(void *ctx, int fd, const void *buf, size_t n)
{
    (void)ctx;
    ssize_t r;
    do r = write(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r < 0 ? neg_errno() : (long)r;
}

static int lx_gpio_request(void *ctx, const char *chip, int line, nr_gpio_mode mode, nr_gpio_bias bias, int value,
                           nr_gpio_line **out)
{
    (void)ctx;
    nr_gpio_line *l = calloc(1, sizeof *l);
    if (!l) return -ENOMEM;
    errno = 0;
    l->chip = gpiod_chip_open_lookup(chip);
    if (!l->chip) goto fail;
    l->line = gpiod_chip_get_line(l->chip, (unsigned)line);
    if (!l->line) goto fail;
    struct gpiod_line_request_config rc = {.consumer = "neurorack"};
    rc.request_type = mode == NR_GPIO_OUTPUT ? GPIOD_LINE_REQUEST_DIRECTION_OUTPUT : GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES;
    rc.flags = bias == NR_GPIO_BIAS_PULL_UP     ? GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP
               : bias == NR_GPIO_BIAS_PULL_DOWN ? GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN
               : bias == NR_GPIO_BIAS_DISABLE   ? GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE
                                                : 0;
    if (gpiod_line_request(l->line, &rc, value) < 0) goto fail;
    *out = l;
    return 0;
fail:;
    int e = neg_errno();
    if (l->chip) gpiod_chip_close(l->chip);
    free(l);
    return e;
}

static void lx_gpio_release(void *ctx, nr_gpio_line *l)
{
    (void)ctx;
    if (!l) return;
    gpiod_line_release(l->line);
    gpiod_chip_close(l->chip);
    free(l);
}

static int lx_gpio_get(void *ctx, nr_gpio_line *l)
{
    (void)ctx;
    int v = gpiod_line_get_value(l->line);
    return v < 0 ? neg_errno() : v;
}

static int lx_gpio_set(void *ctx, nr_gpio_line *l, int value)
{
    (void)ctx;
    return gpiod_line_set_value(l->line, value) < 0 ? neg_errno() : 0;
}

static int lx_gpio_wait(void *ctx, nr_gpio_line *const *lines, int n, int timeout_ms)
{
    (void)ctx;
    struct pollfd pf[32];
    if (n > 32) n = 32;
    for (int i = 0; i < n; i++) pf[i] = (struct pollfd){.fd = gpiod_line_event_get_fd(lines[i]->line), .events = POLLIN};
    int r = poll(pf, (nfds_t)n, timeout_ms);
    if (r < 0) return errno == EINTR ? 0 : neg_errno();
    int mask = 0;
    for (int i = 0; i < n; i++)
        if (pf[i].revents & (POLLIN | POLLERR)) mask |= 1 << i;
    return mask;
}

static int lx_gpio_read_event(void *ctx, nr_gpio_line *l, nr_gpio_event *ev)
{
    (void)ctx;
    struct gpiod_line_event e;
    if (gpiod_line_event_read(l->line, &e) < 0) return neg_errno();
    ev->rising = e.event_type == GPIOD_LINE_EVENT_RISING_EDGE;
    ev->ns = (int64_t)e.ts.tv_sec * 1000000000 + e.ts.tv_nsec;
    return 0;
}

static void lx_sleep_us(void *ctx, long us)
{
    (void)ctx;
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static int64_t lx_now_ns(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const nr_hw_ops g_linux_ops = {
    .open = lx_open, .close = lx_close, .ioctl = lx_ioctl, .read = lx_read, .write = lx_write,
    .gpio_request = lx_gpio_request, .gpio_release = lx_gpio_release, .gpio_get = lx_gpio_get,
    .gpio_set = lx_gpio_set, .gpio_wait = lx_gpio_wait, .gpio_read_event = lx_gpio_read_event,
    .sleep_us = lx_sleep_us, .now_ns = lx_now_ns,
};

const nr_hw_ops *nr_hw_ops_linux(void) { return &g_linux_ops; }
