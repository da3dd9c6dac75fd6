/* A 1-bit 128x64 framebuffer in the layout an SH1106/SSD1306 takes: 8 pages of 128 bytes, bit k of
 * byte [page * 128 + x] is pixel (x, page * 8 + k). Drawing clips at the edges. */
#ifndef NR_FB_H
#define NR_FB_H

#include "nr/instrument.h"

typedef struct {
    uint8_t px[NR_OLED_W * NR_OLED_H / 8];
} nr_fb;

void nr_fb_clear(nr_fb *fb);
void nr_fb_set(nr_fb *fb, int x, int y, int on);
int nr_fb_get(const nr_fb *fb, int x, int y);
void nr_fb_fill(nr_fb *fb, int x, int y, int w, int h, int on);
void nr_fb_invert(nr_fb *fb, int x, int y, int w, int h);
void nr_fb_rect(nr_fb *fb, int x, int y, int w, int h); /* outline */
/* 5x7 text with its top-left at (x, y); returns the x after the last glyph. */
int nr_fb_text(nr_fb *fb, int x, int y, const char *s);
int nr_fb_text_width(const char *s);
/* 10x16 digits (and + - . %); other characters are skipped. Returns the x after the text. */
int nr_fb_big(nr_fb *fb, int x, int y, const char *s);
int nr_fb_big_width(const char *s);
/* Read back `n` 5x7 characters at (x, y) (the inverse of nr_fb_text, also on an inverted
 * background); unknown cells give '?'. out gets n characters and a NUL. For tests and
 * screen dumps. */
void nr_fb_read_text(const nr_fb *fb, int x, int y, int n, char *out);
/* Same for big digits. */
void nr_fb_read_big(const nr_fb *fb, int x, int y, int n, char *out);

#endif
