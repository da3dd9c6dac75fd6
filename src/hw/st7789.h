/* Sitronix ST7789 240x240 colour LCD on SPI (spidev) with a data/command GPIO line: the 128x64 1-bit
 * frame scaled by 15/8 to 240x120, centred vertically (rows 60..179); each 8-row page becomes 15 LCD
 * rows, and a flush redraws only the changed column span of each changed page. Display thread only. */
#ifndef NR_HW_ST7789_H
#define NR_HW_ST7789_H

#include "hw/hw_ops.h"
#include "hw/oled.h"

#define NR_LCD_W 240
#define NR_LCD_H 240
#define NR_LCD_PAGE_ROWS 15 /* 8 frame rows * 15/8 */
#define NR_LCD_TOP 60       /* (240 - 8 * 15) / 2 */
#define NR_LCD_CHUNK 4096   /* spidev's default buffer size: the largest single transfer */

typedef struct {
    const char *spi_path; /* "/dev/spidev0.0" */
    uint32_t speed_hz;
    int spi_mode;         /* 0..3 (modules without a CS pin need 3) */
    const char *gpio_chip;
    int dc_line, reset_line, backlight_line; /* -1 = not wired */
    uint16_t fg, bg;      /* RGB565 of lit and dark pixels */
} nr_st7789_config;

typedef struct {
    const nr_hw_ops *ops;
    nr_st7789_config cfg;
    int fd;
    nr_gpio_line *dc, *reset, *backlight;
    uint8_t shown[NR_OLED_BYTES];
    uint8_t px[NR_LCD_W * NR_LCD_PAGE_ROWS * 2]; /* one page of RGB565, big-endian */
} nr_st7789;

/* Opens spidev and the GPIO lines, resets, sends the init sequence, clears the screen. 0 or -errno;
 * *what names the step that failed ("/dev/spidev0.0", "dc line 25", ...). */
int nr_st7789_open(nr_st7789 *d, const nr_hw_ops *ops, const nr_st7789_config *cfg, const char **what);
void nr_st7789_close(nr_st7789 *d);
int nr_st7789_flush(nr_st7789 *d, const uint8_t fb[NR_OLED_BYTES]);

#endif
