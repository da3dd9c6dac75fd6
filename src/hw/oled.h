/* 128x64 monochrome OLED controllers on I2C: SH1106 (132-column RAM, the 128-pixel panel starts at
 * column 2) and SSD1306. Page addressing on both; a flush writes only the changed column span of each
 * changed page. The frame layout is nr_instrument_frame's: 8 pages of 128 bytes, bit k = row page*8+k.
 * Control/display thread only. */
#ifndef NR_HW_OLED_H
#define NR_HW_OLED_H

#include "hw/i2c.h"

#define NR_OLED_PAGES 8
#define NR_OLED_COLS 128
#define NR_OLED_BYTES (NR_OLED_PAGES * NR_OLED_COLS)
#define NR_OLED_CTRL_CMD 0x00  /* control byte: the rest of the write is commands */
#define NR_OLED_CTRL_DATA 0x40 /* control byte: the rest of the write is display RAM data */

typedef enum { NR_OLED_SH1106 = 0, NR_OLED_SSD1306 } nr_oled_kind;

typedef struct {
    nr_i2c_dev dev;
    nr_oled_kind kind;
    int col_offset;                /* first RAM column of the panel */
    uint8_t shown[NR_OLED_BYTES];  /* what the panel's RAM holds */
    uint8_t buf[1 + NR_OLED_COLS]; /* one write */
} nr_oled;

/* Opens the device, sends the datasheet's init sequence, clears the RAM and turns the panel on.
 * contrast 0..255; flip turns the picture 180 degrees. 0 or -errno. */
int nr_oled_open(nr_oled *o, const nr_hw_ops *ops, int bus, int addr, nr_oled_kind kind, int contrast, int flip);
void nr_oled_close(nr_oled *o);
/* Write what changed since the last flush. Returns the number of pages written, or -errno. */
int nr_oled_flush(nr_oled *o, const uint8_t fb[NR_OLED_BYTES]);
/* Panel off (0xAE) / on (0xAF). */
int nr_oled_power(nr_oled *o, int on);

#endif
