/* PNG pictures (libpng): the OLED frame, and the writer every picture of the project goes through.
 * Not audio-thread safe. */
#ifndef NR_PNG_H
#define NR_PNG_H

#include "nr/instrument.h"

/* Pixel (x, y) of a frame in the SH1106 page layout of nr_instrument_frame. */
static inline int nr_oled_pixel(const uint8_t *fb, int x, int y)
{
    return (fb[(y >> 3) * NR_OLED_W + x] >> (y & 7)) & 1;
}

/* Writes a w x h PNG atomically (temp file + rename; on failure the previous file stays): `bits` per
 * pixel (1..8), grayscale, or palette indices when `palette_rgb` (n_palette RGB triplets) is given.
 * row(ctx, y, out) fills row y: (w * bits + 7) / 8 bytes, most significant bits first. */
typedef void (*nr_png_row_fn)(void *ctx, int y, uint8_t *out);
nr_result nr_png_write(const char *path, int w, int h, int bits, const uint8_t *palette_rgb, int n_palette,
                       nr_png_row_fn row, void *ctx);

/* Writes the frame scaled `scale` times (1..16) as a 1-bit grayscale PNG: lit pixels white on black,
 * as the OLED shows them. Atomic (temp file + rename). */
nr_result nr_png_write_oled(const char *path, const uint8_t *fb, int scale);

#endif
