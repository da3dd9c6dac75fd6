/* The OLED frame as a PNG picture (the writer itself is io/png.h). Not audio-thread safe. */
#ifndef NR_PNG_H
#define NR_PNG_H

#include "io/png.h"
#include "nr/instrument.h"

/* Pixel (x, y) of a frame in the SH1106 page layout of nr_instrument_frame. */
static inline int nr_oled_pixel(const uint8_t *fb, int x, int y)
{
    return (fb[(y >> 3) * NR_OLED_W + x] >> (y & 7)) & 1;
}

/* Writes the frame scaled `scale` times (1..16) as a 1-bit grayscale PNG: lit pixels white on black,
 * as the OLED shows them. Atomic (temp file + rename). */
nr_result nr_png_write_oled(const char *path, const uint8_t *fb, int scale);

#endif
