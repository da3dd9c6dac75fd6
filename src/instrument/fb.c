#include "instrument/fb.h"
#include "core/font.h"

#include <string.h>

void nr_fb_clear(nr_fb *fb) { memset(fb->px, 0, sizeof fb->px); }

void nr_fb_set(nr_fb *fb, int x, int y, int on)
{
    if (x < 0 || y < 0 || x >= NR_OLED_W || y >= NR_OLED_H) return;
    uint8_t bit = (uint8_t)(1u << (y & 7));
    uint8_t *b = &fb->px[(y >> 3) * NR_OLED_W + x];
    *b = on ? (uint8_t)(*b | bit) : (uint8_t)(*b & ~bit);
}

int nr_fb_get(const nr_fb *fb, int x, int y)
{
    if (x < 0 || y < 0 || x >= NR_OLED_W || y >= NR_OLED_H) return 0;
    return (fb->px[(y >> 3) * NR_OLED_W + x] >> (y & 7)) & 1;
}

void nr_fb_fill(nr_fb *fb, int x, int y, int w, int h, int on)
{
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++) nr_fb_set(fb, i, j, on);
}

void nr_fb_invert(nr_fb *fb, int x, int y, int w, int h)
{
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++) nr_fb_set(fb, i, j, !nr_fb_get(fb, i, j));
}

void nr_fb_rect(nr_fb *fb, int x, int y, int w, int h)
{
    nr_fb_fill(fb, x, y, w, 1, 1);
    nr_fb_fill(fb, x, y + h - 1, w, 1, 1);
    nr_fb_fill(fb, x, y, 1, h, 1);
    nr_fb_fill(fb, x + w - 1, y, 1, h, 1);
}

int nr_fb_text(nr_fb *fb, int x, int y, const char *s)
{
    for (; *s; s++, x += NR_FONT_ADV) {
        const uint8_t *g = nr_font_glyph(*s);
        for (int r = 0; r < NR_FONT_H; r++)
            for (int c = 0; c < NR_FONT_W; c++)
                if (g[r] & (0x10 >> c)) nr_fb_set(fb, x + c, y + r, 1);
    }
    return x;
}

int nr_fb_text_width(const char *s) { return (int)strlen(s) * NR_FONT_ADV; }

int nr_fb_big(nr_fb *fb, int x, int y, const char *s)
{
    for (; *s; s++) {
        const uint16_t *g = nr_font_big_glyph(*s);
        if (!g) continue;
        for (int r = 0; r < NR_BIG_H; r++)
            for (int c = 0; c < NR_BIG_W; c++)
                if (g[r] & (0x200 >> c)) nr_fb_set(fb, x + c, y + r, 1);
        x += NR_BIG_ADV;
    }
    return x;
}

int nr_fb_big_width(const char *s)
{
    int n = 0;
    for (; *s; s++) n += nr_font_big_glyph(*s) != 0;
    return n * NR_BIG_ADV;
}

/* A cell matches a glyph when every pixel agrees, on a plain or an inverted background. */
static int cell_is(const nr_fb *fb, int x, int y, char ch, int inv)
{
    const uint8_t *g = nr_font_glyph(ch);
    for (int r = 0; r < NR_FONT_H; r++)
        for (int c = 0; c < NR_FONT_W; c++)
            if ((nr_fb_get(fb, x + c, y + r) ^ inv) != ((g[r] >> (4 - c)) & 1)) return 0;
    return 1;
}

void nr_fb_read_text(const nr_fb *fb, int x, int y, int n, char *out)
{
    for (int k = 0; k < n; k++, x += NR_FONT_ADV) {
        char got = '?';
        for (int inv = 0; inv < 2 && got == '?'; inv++)
            for (int ch = 32; ch < 127; ch++)
                if (ch != '?' && cell_is(fb, x, y, (char)ch, inv)) {
                    got = (char)ch;
                    break;
                }
        out[k] = got;
    }
    out[n] = '\0';
}

void nr_fb_read_big(const nr_fb *fb, int x, int y, int n, char *out)
{
    static const char set[] = " 0123456789+-.%";
    for (int k = 0; k < n; k++, x += NR_BIG_ADV) {
        out[k] = '?';
        for (const char *c = set; *c; c++) {
            const uint16_t *g = nr_font_big_glyph(*c);
            int ok = 1;
            for (int r = 0; r < NR_BIG_H && ok; r++)
                for (int b = 0; b < NR_BIG_W && ok; b++)
                    ok = nr_fb_get(fb, x + b, y + r) == ((g[r] >> (9 - b)) & 1);
            if (ok) {
                out[k] = *c;
                break;
            }
        }
    }
    out[n] = '\0';
}
