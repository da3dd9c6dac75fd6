#include "hw/st7789.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/spi/spidev.h>
#include <string.h>

enum {
    CMD_SWRESET = 0x01, CMD_SLPOUT = 0x11, CMD_NORON = 0x13, CMD_INVON = 0x21, CMD_DISPON = 0x29,
    CMD_CASET = 0x2A, CMD_RASET = 0x2B, CMD_RAMWR = 0x2C, CMD_MADCTL = 0x36, CMD_COLMOD = 0x3A
};

static int spi_send(nr_st7789 *d, const uint8_t *b, size_t n)
{
    while (n > 0) {
        size_t k = n > NR_LCD_CHUNK ? NR_LCD_CHUNK : n;
        struct spi_ioc_transfer t = {.tx_buf = (uintptr_t)b, .len = (uint32_t)k, .speed_hz = d->cfg.speed_hz,
                                     .bits_per_word = 8};
        int r = d->ops->ioctl(d->ops->ctx, d->fd, SPI_IOC_MESSAGE(1), &t);
        if (r < 0) return r;
        b += k;
        n -= k;
    }
    return 0;
}

/* A command byte with DC low, then its parameters with DC high. */
static int command(nr_st7789 *d, uint8_t cmd, const uint8_t *param, size_t n)
{
    int r = d->ops->gpio_set(d->ops->ctx, d->dc, 0);
    if (r >= 0) r = spi_send(d, &cmd, 1);
    if (r >= 0 && n > 0) r = d->ops->gpio_set(d->ops->ctx, d->dc, 1);
    if (r >= 0 && n > 0) r = spi_send(d, param, n);
    return r < 0 ? r : 0;
}

static int window(nr_st7789 *d, int x0, int y0, int x1, int y1)
{
    uint8_t cx[4] = {(uint8_t)(x0 >> 8), (uint8_t)x0, (uint8_t)(x1 >> 8), (uint8_t)x1};
    uint8_t cy[4] = {(uint8_t)(y0 >> 8), (uint8_t)y0, (uint8_t)(y1 >> 8), (uint8_t)y1};
    int r = command(d, CMD_CASET, cx, 4);
    if (r >= 0) r = command(d, CMD_RASET, cy, 4);
    if (r >= 0) r = command(d, CMD_RAMWR, NULL, 0);
    if (r >= 0) r = d->ops->gpio_set(d->ops->ctx, d->dc, 1);
    return r < 0 ? r : 0;
}

static int request_out(nr_st7789 *d, int line, int value, nr_gpio_line **out)
{
    if (line < 0) return 0;
    return d->ops->gpio_request(d->ops->ctx, d->cfg.gpio_chip, line, NR_GPIO_OUTPUT, NR_GPIO_BIAS_AS_IS, value, out);
}

int nr_st7789_open(nr_st7789 *d, const nr_hw_ops *ops, const nr_st7789_config *cfg, const char **what)
{
    memset(d, 0, sizeof *d);
    d->ops = ops;
    d->cfg = *cfg;
    d->fd = -1;
    *what = cfg->spi_path;
    int r = ops->open(ops->ctx, cfg->spi_path, O_RDWR);
    if (r < 0) return r;
    d->fd = r;
    uint8_t mode = (uint8_t)cfg->spi_mode, bits = 8;
    uint32_t speed = cfg->speed_hz;
    if ((r = ops->ioctl(ops->ctx, d->fd, SPI_IOC_WR_MODE, &mode)) < 0) return r;
    if ((r = ops->ioctl(ops->ctx, d->fd, SPI_IOC_WR_BITS_PER_WORD, &bits)) < 0) return r;
    if ((r = ops->ioctl(ops->ctx, d->fd, SPI_IOC_WR_MAX_SPEED_HZ, &speed)) < 0) return r;
    *what = "dc line";
    if (cfg->dc_line < 0) return -EINVAL; /* the DC line is required */
    if ((r = request_out(d, cfg->dc_line, 0, &d->dc)) < 0) return r;
    *what = "reset line";
    if ((r = request_out(d, cfg->reset_line, 1, &d->reset)) < 0) return r;
    *what = "backlight line";
    if ((r = request_out(d, cfg->backlight_line, 0, &d->backlight)) < 0) return r;
    *what = cfg->spi_path;
    if (d->reset) { /* hardware reset: low for 10 ms, then 120 ms before the first command */
        ops->gpio_set(ops->ctx, d->reset, 0);
        ops->sleep_us(ops->ctx, 10000);
        ops->gpio_set(ops->ctx, d->reset, 1);
        ops->sleep_us(ops->ctx, 120000);
    }
    static const uint8_t colmod = 0x55; /* 16 bits per pixel, RGB565 */
    static const uint8_t madctl = 0x00; /* top to bottom, left to right, RGB order */
    if ((r = command(d, CMD_SWRESET, NULL, 0)) < 0) return r;
    ops->sleep_us(ops->ctx, 150000); /* datasheet: 120 ms after SWRESET before SLPOUT */
    if ((r = command(d, CMD_SLPOUT, NULL, 0)) < 0) return r;
    ops->sleep_us(ops->ctx, 10000); /* 5 ms before the next command */
    if ((r = command(d, CMD_COLMOD, &colmod, 1)) < 0) return r;
    if ((r = command(d, CMD_MADCTL, &madctl, 1)) < 0) return r;
    if ((r = command(d, CMD_INVON, NULL, 0)) < 0) return r; /* IPS panels show true colours inverted */
    if ((r = command(d, CMD_NORON, NULL, 0)) < 0) return r;
    /* Clear the whole screen to the background colour, one page-sized block at a time. */
    for (size_t i = 0; i < sizeof d->px; i += 2) {
        d->px[i] = (uint8_t)(cfg->bg >> 8);
        d->px[i + 1] = (uint8_t)cfg->bg;
    }
    for (int y = 0; y < NR_LCD_H; y += NR_LCD_PAGE_ROWS) {
        if ((r = window(d, 0, y, NR_LCD_W - 1, y + NR_LCD_PAGE_ROWS - 1)) < 0) return r;
        if ((r = spi_send(d, d->px, sizeof d->px)) < 0) return r;
    }
    if ((r = command(d, CMD_DISPON, NULL, 0)) < 0) return r;
    if (d->backlight) ops->gpio_set(ops->ctx, d->backlight, 1);
    return 0;
}

void nr_st7789_close(nr_st7789 *d)
{
    if (d->backlight) d->ops->gpio_release(d->ops->ctx, d->backlight);
    if (d->reset) d->ops->gpio_release(d->ops->ctx, d->reset);
    if (d->dc) d->ops->gpio_release(d->ops->ctx, d->dc);
    if (d->fd >= 0) d->ops->close(d->ops->ctx, d->fd);
    d->backlight = d->reset = d->dc = NULL;
    d->fd = -1;
}

int nr_st7789_flush(nr_st7789 *d, const uint8_t fb[NR_OLED_BYTES])
{
    int pages = 0;
    for (int p = 0; p < NR_OLED_PAGES; p++) {
        const uint8_t *a = fb + p * NR_OLED_COLS, *s = d->shown + p * NR_OLED_COLS;
        int c0 = 0, c1 = NR_OLED_COLS - 1;
        while (c0 < NR_OLED_COLS && a[c0] == s[c0]) c0++;
        if (c0 == NR_OLED_COLS) continue;
        while (a[c1] == s[c1]) c1--;
        /* LCD columns whose source column (x * 8 / 15) lies in c0..c1. */
        int x0 = (c0 * 15 + 7) / 8, x1 = (15 * (c1 + 1) - 1) / 8, w = x1 - x0 + 1;
        uint8_t *o = d->px;
        for (int row = 0; row < NR_LCD_PAGE_ROWS; row++) {
            int bit = row * 8 / 15;
            for (int x = x0; x <= x1; x++) {
                uint16_t c = a[x * 8 / 15] >> bit & 1 ? d->cfg.fg : d->cfg.bg;
                *o++ = (uint8_t)(c >> 8);
                *o++ = (uint8_t)c;
            }
        }
        int y0 = NR_LCD_TOP + p * NR_LCD_PAGE_ROWS;
        int r = window(d, x0, y0, x1, y0 + NR_LCD_PAGE_ROWS - 1);
        if (r >= 0) r = spi_send(d, d->px, (size_t)w * NR_LCD_PAGE_ROWS * 2);
        if (r < 0) return r;
        memcpy(d->shown + p * NR_OLED_COLS + c0, a + c0, (size_t)(c1 - c0 + 1));
        pages++;
    }
    return pages;
}
