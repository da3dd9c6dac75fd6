/* Every kernel call the hardware drivers make, behind one table: the real one (hw_linux.c: open, ioctl,
 * read, write on /dev/i2c-N and /dev/spidevB.C; GPIO lines through libgpiod v1) or a test's fake that
 * records the exact bytes and serves ADC results and GPIO edges.
 *
 * Calls return >= 0 on success and -errno on failure (never set errno). Control/display threads only. */
#ifndef NR_HW_OPS_H
#define NR_HW_OPS_H

#include <stddef.h>
#include <stdint.h>

typedef struct nr_gpio_line nr_gpio_line; /* one requested line (opaque to the drivers) */

typedef enum {
    NR_GPIO_INPUT_EDGES = 0, /* input, both edges reported as events */
    NR_GPIO_OUTPUT
} nr_gpio_mode;

typedef enum { NR_GPIO_BIAS_AS_IS = 0, NR_GPIO_BIAS_PULL_UP, NR_GPIO_BIAS_PULL_DOWN, NR_GPIO_BIAS_DISABLE } nr_gpio_bias;

typedef struct {
    int rising; /* 1: the line went high, 0: low */
    int64_t ns; /* the kernel's time stamp of the edge (CLOCK_MONOTONIC on kernels since 5.7) */
} nr_gpio_event;

typedef struct nr_hw_ops {
    void *ctx;
    int (*open)(void *ctx, const char *path, int flags);
    int (*close)(void *ctx, int fd);
    int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
    long (*read)(void *ctx, int fd, void *buf, size_t n);
    long (*write)(void *ctx, int fd, const void *buf, size_t n);
    /* GPIO: chip is a name ("gpiochip0") or a path. Output lines start at `value`. */
    int (*gpio_request)(void *ctx, const char *chip, int line, nr_gpio_mode mode, nr_gpio_bias bias, int value,
                        nr_gpio_line **out);
    void (*gpio_release)(void *ctx, nr_gpio_line *l);
    int (*gpio_get)(void *ctx, nr_gpio_line *l);             /* 0/1 */
    int (*gpio_set)(void *ctx, nr_gpio_line *l, int value);
    /* Wait up to timeout_ms (0: just look) for an event on any of the lines; returns a bit mask of the
     * lines with pending events (n <= 32). */
    int (*gpio_wait)(void *ctx, nr_gpio_line *const *lines, int n, int timeout_ms);
    int (*gpio_read_event)(void *ctx, nr_gpio_line *l, nr_gpio_event *ev);
    void (*sleep_us)(void *ctx, long us);
    int64_t (*now_ns)(void *ctx); /* monotonic clock */
} nr_hw_ops;

/* The real kernel interface. */
const nr_hw_ops *nr_hw_ops_linux(void);

#endif
