/* The fonts drawn for this project, used by the display and by every picture the project draws: 5x7
 * glyphs for ASCII 32..126 and 10x16 digits for values. */
#ifndef NR_CORE_FONT_H
#define NR_CORE_FONT_H

#include <stdint.h>

#define NR_FONT_W 5
#define NR_FONT_H 7
#define NR_FONT_ADV 6 /* one blank column between glyphs */
#define NR_BIG_W 10
#define NR_BIG_H 16
#define NR_BIG_ADV 12

/* 7 rows, bit 4 = leftmost pixel. Characters outside 32..126 give '?'. */
const uint8_t *nr_font_glyph(char c);
/* 16 rows, bit 9 = leftmost pixel; for "0123456789+-.% "; NULL for any other character. */
const uint16_t *nr_font_big_glyph(char c);

#endif
