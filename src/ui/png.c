#include "ui/png.h"

#include "io/atomic_file.h"

#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

nr_result nr_png_write_oled(const char *path, const uint8_t *fb, int scale)
{
    if (scale < 1 || scale > 16) return nr_fail(NR_ERR_ARG, "%s: scale %d; expected 1..16", path, scale);
    const int w = NR_OLED_W * scale, h = NR_OLED_H * scale;
    FILE *f;
    char *tmp;
    nr_result r = nr_atomic_fopen(path, &f, &tmp); /* its message names path */
    if (r != NR_OK) return r;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep row = calloc((size_t)(w + 7) / 8, 1);
    if (!png || !info || !row) {
        r = nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    } else if (setjmp(png_jmpbuf(png))) {
        r = nr_fail(NR_ERR_IO, "%s: cannot write the PNG (%s); the previous file is unchanged", path,
                    nr_write_error_text(errno)); /* errno of libpng's failed fwrite */
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
    if (r != NR_OK) {
        nr_atomic_fabort(f, tmp);
        return r;
    }
    return nr_atomic_fcommit(path, f, tmp); /* a write error libpng did not see (buffered) fails here */
}
