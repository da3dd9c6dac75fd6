#include "hw/oled.h"

#include <string.h>

/* Shared by both controllers (same command set for these): display off, clock, multiplex 64, offset 0,
 * start line 0, segment remap and COM scan (picture orientation), COM pins alternative, contrast. */
static int send_init(nr_oled *o, int contrast, int flip)
{
    uint8_t seg = flip ? 0xA0 : 0xA1, com = flip ? 0xC0 : 0xC8;
    uint8_t c = (uint8_t)(contrast < 0 ? 0 : contrast > 255 ? 255 : contrast);
    if (o->kind == NR_OLED_SH1106) {
        const uint8_t seq[] = {NR_OLED_CTRL_CMD,
                               0xAE,       /* display off */
                               0xD5, 0x80, /* clock divide / oscillator: datasheet default */
                               0xA8, 0x3F, /* multiplex ratio 64 */
                               0xD3, 0x00, /* display offset 0 */
                               0x40,       /* start line 0 */
                               0xAD, 0x8B, /* DC-DC converter on (built-in charge pump) */
                               seg, com,   /* orientation */
                               0xDA, 0x12, /* COM pins: alternative configuration */
                               0x81, c,    /* contrast */
                               0xD9, 0x22, /* pre-charge 2 / discharge 2 DCLKs */
                               0xDB, 0x35, /* VCOM deselect level */
                               0x32,       /* pump voltage 8.0 V */
                               0xA4,       /* show RAM */
                               0xA6};      /* not inverted */
        return nr_i2c_write(&o->dev, seq, sizeof seq);
    }
    const uint8_t seq[] = {NR_OLED_CTRL_CMD,
                           0xAE,       /* display off */
                           0xD5, 0x80, /* clock divide / oscillator */
                           0xA8, 0x3F, /* multiplex ratio 64 */
                           0xD3, 0x00, /* display offset 0 */
                           0x40,       /* start line 0 */
                           0x8D, 0x14, /* charge pump on (internal VCC) */
                           0x20, 0x02, /* page addressing mode */
                           seg, com,   /* orientation */
                           0xDA, 0x12, /* COM pins: alternative configuration */
                           0x81, c,    /* contrast */
                           0xD9, 0xF1, /* pre-charge for the internal charge pump */
                           0xDB, 0x40, /* VCOMH deselect level */
                           0x2E,       /* scrolling off */
                           0xA4,       /* show RAM */
                           0xA6};      /* not inverted */
    return nr_i2c_write(&o->dev, seq, sizeof seq);
}

static int write_span(nr_oled *o, int page, int c0, int c1, const uint8_t *fb)
{
    int col = c0 + o->col_offset;
    uint8_t cmd[4] = {NR_OLED_CTRL_CMD, (uint8_t)(0xB0 | page), (uint8_t)(col & 0x0F), (uint8_t)(0x10 | col >> 4)};
    int r = nr_i2c_write(&o->dev, cmd, sizeof cmd);
    if (r < 0) return r;
    o->buf[0] = NR_OLED_CTRL_DATA;
    memcpy(o->buf + 1, fb + page * NR_OLED_COLS + c0, (size_t)(c1 - c0 + 1));
    r = nr_i2c_write(&o->dev, o->buf, (size_t)(c1 - c0 + 2));
    if (r < 0) return r;
    memcpy(o->shown + page * NR_OLED_COLS + c0, fb + page * NR_OLED_COLS + c0, (size_t)(c1 - c0 + 1));
    return 0;
}

int nr_oled_open(nr_oled *o, const nr_hw_ops *ops, int bus, int addr, nr_oled_kind kind, int contrast, int flip)
{
    o->kind = kind;
    o->col_offset = kind == NR_OLED_SH1106 ? 2 : 0;
    int r = nr_i2c_open(ops, bus, addr, &o->dev);
    if (r < 0) return r;
    if ((r = send_init(o, contrast, flip)) < 0) return r;
    static const uint8_t blank[NR_OLED_BYTES];
    for (int p = 0; p < NR_OLED_PAGES; p++)
        if ((r = write_span(o, p, 0, NR_OLED_COLS - 1, blank)) < 0) return r;
    return nr_oled_power(o, 1);
}

void nr_oled_close(nr_oled *o) { nr_i2c_close(&o->dev); }

int nr_oled_power(nr_oled *o, int on)
{
    uint8_t cmd[2] = {NR_OLED_CTRL_CMD, on ? 0xAF : 0xAE};
    return nr_i2c_write(&o->dev, cmd, 2);
}

int nr_oled_flush(nr_oled *o, const uint8_t fb[NR_OLED_BYTES])
{
    int pages = 0;
    for (int p = 0; p < NR_OLED_PAGES; p++) {
        const uint8_t *a = fb + p * NR_OLED_COLS, *s = o->shown + p * NR_OLED_COLS;
        int c0 = 0, c1 = NR_OLED_COLS - 1;
        while (c0 < NR_OLED_COLS && a[c0] == s[c0]) c0++;
        if (c0 == NR_OLED_COLS) continue;
        while (a[c1] == s[c1]) c1--;
        int r = write_span(o, p, c0, c1, fb);
        if (r < 0) return r;
        pages++;
    }
    return pages;
}
