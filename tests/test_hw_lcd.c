/* The ST7789 over spidev + DC line against the recording fake: the init sequence, and the screen the
 * fake rebuilds from the bytes equals the 128x64 frame scaled by 15/8; a one-page change redraws one
 * window only. */
#include "hw/st7789.h"
#include "nr_test.h"
#include "test_hw_fake.h"

static const nr_st7789_config lcd_cfg = {.spi_path = "/dev/spidev0.0", .speed_hz = 40000000, .spi_mode = 3,
                                         .gpio_chip = "gpiochip0", .dc_line = 25, .reset_line = 24,
                                         .backlight_line = 18, .fg = 0xFFE0, .bg = 0x0010};

static int screen_matches(const uint8_t *fb)
{
    int bad = 0;
    for (int y = 0; y < 240; y++)
        for (int x = 0; x < 240; x++) {
            uint16_t want = lcd_cfg.bg;
            if (y >= 60 && y < 180) {
                int sx = x * 8 / 15, sy = (y - 60) * 8 / 15;
                if (fb[(sy >> 3) * 128 + sx] >> (sy & 7) & 1) want = lcd_cfg.fg;
            }
            bad += F.lcd[y][x] != want;
        }
    return bad;
}

static void test_st7789_init(void)
{
    fake_reset();
    fake_line(25, 0);
    F.lcd_dc_line = 0;
    memset(F.lcd, 0xAA, sizeof F.lcd);
    fake_clear_log();
    nr_st7789 d;
    const char *what;
    NT_CHECK(nr_st7789_open(&d, &fake_ops, &lcd_cfg, &what) == 0);
    const char *expect = "open /dev/spidev0.0 = 3\n"
                         "spi mode 3\n"
                         "spi bits 8\n"
                         "spi speed 40000000\n"
                         "gpio request gpiochip0 25 out\n"
                         "gpio request gpiochip0 24 out\n"
                         "gpio request gpiochip0 18 out\n"
                         "gpio set 24 0\n"
                         "sleep 10000\n"
                         "gpio set 24 1\n"
                         "sleep 120000\n"
                         "spi cmd 01\n"
                         "sleep 150000\n"
                         "spi cmd 11\n"
                         "sleep 10000\n"
                         "spi cmd 3a\n"
                         "gpio set 25 1\n"
                         "spi data 55\n"
                         "gpio set 25 0\n"
                         "spi cmd 36\n"
                         "gpio set 25 1\n"
                         "spi data 00\n"
                         "gpio set 25 0\n"
                         "spi cmd 21\n"
                         "spi cmd 13\n"
                         "spi cmd 2a\n"
                         "gpio set 25 1\n"
                         "spi data 00 00 00 ef\n"
                         "gpio set 25 0\n"
                         "spi cmd 2b\n"
                         "gpio set 25 1\n"
                         "spi data 00 00 00 0e\n"
                         "gpio set 25 0\n"
                         "spi cmd 2c\n"
                         "gpio set 25 1\n"
                         "spi data 4096 bytes\n"
                         "spi data 3104 bytes\n";
    NT_CHECKF(!strncmp(F.log, expect, strlen(expect)), "log:\n%.2000s", F.log);
    NT_CHECK(fake_count("spi cmd 2c") == 16);
    NT_CHECK(strstr(F.log, "spi cmd 29\ngpio set 18 1\n") != NULL); /* display on, then the backlight */
    NT_CHECK(F.lcd_pixels == 240 * 240);
    uint8_t blank[1024] = {0};
    NT_CHECK(screen_matches(blank) == 0);
    nr_st7789_close(&d);
}

static void test_st7789_frames(void)
{
    fake_reset();
    fake_line(25, 0);
    F.lcd_dc_line = 0;
    nr_st7789 d;
    const char *what;
    NT_CHECK(nr_st7789_open(&d, &fake_ops, &lcd_cfg, &what) == 0);
    uint8_t fb[1024];
    uint32_t rng = 7;
    for (int i = 0; i < 1024; i++) fb[i] = (uint8_t)((rng = rng * 1664525u + 1013904223u) >> 24);
    F.lcd_pixels = 0;
    NT_CHECK(nr_st7789_flush(&d, fb) == 8);
    NT_CHECK(F.lcd_pixels == 240 * 120);
    NT_CHECKF(screen_matches(fb) == 0, "%d pixels differ", screen_matches(fb));
    /* one pixel of page 2, column 64: one window, LCD columns 120..121, rows 90..104 */
    fb[2 * 128 + 64] ^= 0x10;
    fake_clear_log();
    F.lcd_pixels = 0;
    NT_CHECK(nr_st7789_flush(&d, fb) == 1);
    NT_CHECKF(strstr(F.log, "spi cmd 2a\ngpio set 25 1\nspi data 00 78 00 79\n") &&
                  strstr(F.log, "spi cmd 2b\ngpio set 25 1\nspi data 00 5a 00 68\n"),
              "log:\n%s", F.log);
    NT_CHECK(F.lcd_pixels == 2 * 15);
    NT_CHECK(screen_matches(fb) == 0);
    nr_st7789_close(&d);
    NT_CHECK(fake_count("gpio release") == 3 && fake_count("close 3") == 1);
}

static void test_st7789_missing(void)
{
    fake_reset();
    F.missing_path = "/dev/spidev0.0";
    nr_st7789 d;
    const char *what;
    NT_CHECK(nr_st7789_open(&d, &fake_ops, &lcd_cfg, &what) == -ENOENT && !strcmp(what, "/dev/spidev0.0"));
    nr_st7789_close(&d);
    fake_reset();
    F.busy_line = 25;
    NT_CHECK(nr_st7789_open(&d, &fake_ops, &lcd_cfg, &what) == -EBUSY && !strcmp(what, "dc line"));
    nr_st7789_close(&d);
}

int main(void)
{
    NT_RUN(test_st7789_init);
    NT_RUN(test_st7789_frames);
    NT_RUN(test_st7789_missing);
    free(F.log);
    return nt_end();
}
