#include "ui/png.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

nr_result nr_png_write_oled(const char *path, const uint8_t *fb, int scale)
{
    if (scale < 1 || scale > 16) return nr_fail(NR_ERR_ARG, "%s: scale %d; expected 1..16", path, scale);
    const int w = NR_OLED_W * scale, h = NR_OLED_H * scale;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot create (%s)", path, strerror(errno));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep row = calloc((size_t)(w + 7) / 8, 1);
    nr_result r = NR_OK;
    if (!png || !info || !row) {
        r = nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    } else if (setjmp(png_jmpbuf(png))) {
        r = nr_fail(NR_ERR_IO, "%s: cannot write the PNG (disk full?)", path);
    } else {
        png_init_io(png, f);
        png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < h; y++) {
            memset(row, 0, (size_t)(w + 7) / 8);
            for (int x = 0; x < w; x++) /* 1-bit rows are packed most significant bit first */
                if (nr_oled_pixel(fb, x / scale, y / scale)) row[x >> 3] |= (png_byte)(0x80 >> (x & 7));
            png_write_row(png, row);
        }
        png_write_end(png, NULL);
    }
    png_destroy_write_struct(&png, &info);
    free(row);
    if (fclose(f) != 0 && r == NR_OK) r = nr_fail(NR_ERR_IO, "%s: cannot finish the file", path);
    if (r == NR_OK && rename(tmp, path) != 0) r = nr_fail(NR_ERR_IO, "%s: cannot write (%s)", path, strerror(errno));
    if (r != NR_OK) unlink(tmp);
    return r;
}
