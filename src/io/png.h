/* The PNG writer (libpng) every picture of the project goes through. Not audio-thread safe. */
#ifndef NR_IO_PNG_H
#define NR_IO_PNG_H

#include "nr/core.h"

#include <stdint.h>

/* Writes a w x h PNG atomically (temp file + rename; on failure the previous file stays): `bits` per
 * pixel (1..8), grayscale, or palette indices when `palette_rgb` (n_palette RGB triplets) is given.
 * row(ctx, y, out) fills row y: (w * bits + 7) / 8 bytes, most significant bits first. */
typedef void (*nr_png_row_fn)(void *ctx, int y, uint8_t *out);
nr_result nr_png_write(const char *path, int w, int h, int bits, const uint8_t *palette_rgb, int n_palette,
                       nr_png_row_fn row, void *ctx);

#endif
