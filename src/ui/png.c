/* The OLED frame as a PNG picture, through the project's PNG writer (io/png.h). */
#include "ui/png.h"

typedef struct {
    const uint8_t *fb;
    int scale, w;
} oled_rows;

static void oled_row(void *ctx, int y, uint8_t *out)
{
    const oled_rows *o = ctx;
    for (int x = 0; x < o->w; x++) /* 1-bit rows are packed most significant bit first */
        if (nr_oled_pixel(o->fb, x / o->scale, y / o->scale)) out[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
}

nr_result nr_png_write_oled(const char *path, const uint8_t *fb, int scale)
{
    if (scale < 1 || scale > 16) return nr_fail(NR_ERR_ARG, "%s: scale %d; expected 1..16", path, scale);
    oled_rows o = {fb, scale, NR_OLED_W * scale};
    return nr_png_write(path, o.w, NR_OLED_H * scale, 1, NULL, 0, oled_row, &o);
}
