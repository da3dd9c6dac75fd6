/* The PNG writer (libpng) every picture of the project goes through: the OLED screenshots, the
 * evaluation's spectrograms. */
#include "io/png.h"

#include "io/atomic_file.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nr_result nr_png_write(const char *path, int w, int h, int bits, const uint8_t *palette_rgb, int n_palette,
                       nr_png_row_fn row_fn, void *ctx)
{
    FILE *f;
    char *tmp;
    nr_result r = nr_atomic_fopen(path, &f, &tmp); /* its message names path */
    if (r != NR_OK) return r;
    const size_t row_bytes = ((size_t)w * (size_t)bits + 7) / 8;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep row = calloc(row_bytes ? row_bytes : 1, 1);
    png_color pal[256];
    if (!png || !info || !row) {
        r = nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    } else if (setjmp(png_jmpbuf(png))) {
        r = nr_fail(NR_ERR_IO, "%s: cannot write the PNG (%s); the previous file is unchanged", path,
                    nr_write_error_text(errno)); /* errno of libpng's failed fwrite */
    } else {
        png_init_io(png, f);
        png_set_compression_level(png, 9);
        png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, bits,
                     palette_rgb ? PNG_COLOR_TYPE_PALETTE : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        if (palette_rgb) {
            int n = n_palette < 256 ? n_palette : 256;
            for (int i = 0; i < n; i++)
                pal[i] = (png_color){palette_rgb[3 * i], palette_rgb[3 * i + 1], palette_rgb[3 * i + 2]};
            png_set_PLTE(png, info, pal, n);
        }
        png_write_info(png, info);
        for (int y = 0; y < h; y++) {
            memset(row, 0, row_bytes);
            row_fn(ctx, y, row);
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
