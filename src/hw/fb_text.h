/* Drawing into a 128x64 page-layout frame (nr_instrument_frame's layout) for what the hardware layer
 * shows by itself: the splash while the model loads, and messages (a model that failed to load, a
 * crash). A 5x7 upper-case font; lower case is shown as upper case. Async-signal-safe (no allocation). */
#ifndef NR_HW_FB_TEXT_H
#define NR_HW_FB_TEXT_H

#include <stdint.h>

#define NR_HW_FB_BYTES 1024

void nr_hw_fb_clear(uint8_t *fb);
void nr_hw_fb_pixel(uint8_t *fb, int x, int y, int on);
/* Text at (x, y) (top-left), each glyph 6*scale pixels wide; returns the x after the last glyph. */
int nr_hw_fb_text(uint8_t *fb, int x, int y, int scale, const char *s);
/* A title bar (inverted) and the body wrapped at word boundaries into the lines below it. */
void nr_hw_fb_message(uint8_t *fb, const char *title, const char *body);
/* The start-up screen. */
void nr_hw_fb_splash(uint8_t *fb, const char *status);

#endif
