/* I2C drivers against the recording fake: the exact bytes an ADS1015/ADS1115 and an SH1106/SSD1306
 * receive, and what they answer. */
#include "hw/ads1x15.h"
#include "hw/oled.h"
#include "nr_test.h"
#include "test_hw_fake.h"

#include <math.h>

static void test_ads_config_word(void)
{
    /* AIN0 to GND, +-4.096 V, 1600 SPS, single shot, comparator off: 1 100 001 1 100 0 0 0 11 */
    NT_CHECKF(nr_ads_config_word(4, 1, 4) == 0xC383, "got 0x%04x", nr_ads_config_word(4, 1, 4));
    /* AIN2-AIN3, +-0.256 V, 860 SPS: 1 011 101 1 111 0 0 0 11 */
    NT_CHECKF(nr_ads_config_word(3, 5, 7) == 0xBBE3, "got 0x%04x", nr_ads_config_word(3, 5, 7));
    NT_CHECK(nr_ads_rate_field(NR_ADS1015, 3300) == 6 && nr_ads_rate_field(NR_ADS1015, 860) == -1);
    NT_CHECK(nr_ads_rate_field(NR_ADS1115, 860) == 7 && nr_ads_rate_field(NR_ADS1115, 1600) == -1);
    NT_CHECK(nr_ads_pga_field(6.144f) == 0 && nr_ads_pga_field(0.256f) == 5 && nr_ads_pga_field(5.0f) == -1);
    /* ADS1015: 12 bits left-justified, 2 mV per step at 4.096 V full scale */
    NT_CHECK(fabsf(nr_ads_to_volts(NR_ADS1015, 1, 0x7FF0) - 2047 * 0.002f) < 1e-6f);
    NT_CHECK(fabsf(nr_ads_to_volts(NR_ADS1015, 1, 0x8000) + 4.096f) < 1e-6f);
    NT_CHECK(fabsf(nr_ads_to_volts(NR_ADS1015, 2, 0xFFF0) + 0.001f) < 1e-7f);
    /* ADS1115: 16 bits */
    NT_CHECK(fabsf(nr_ads_to_volts(NR_ADS1115, 5, 0x8000) + 0.256f) < 1e-7f);
    NT_CHECK(fabsf(nr_ads_to_volts(NR_ADS1115, 0, 0x4000) - 3.072f) < 1e-6f);
}

static void test_ads_conversion_bytes(void)
{
    fake_reset();
    F.n_ads = 1;
    F.ads[0].addr = 0x48;
    F.ads[0].value[4] = 0x4000; /* AIN0: 2.048 V at +-4.096 */
    F.ads[0].value[5] = 0x2000; /* AIN1 */
    nr_ads a = {.n_ch = 2, .ch = {{.mux = 4, .pga = 1}, {.mux = 5, .pga = 1}}};
    NT_CHECK(nr_ads_open(&a, &fake_ops, 1, 0x48, NR_ADS1015, 1600, F.now) == 0);
    NT_CHECKF(!strcmp(F.log, "open /dev/i2c-1 = 3\n"
                             "ioctl 3 I2C_SLAVE 0x48\n"
                             "write 0x48 01 c3 83\n"),
              "log:\n%s", F.log);
    fake_clear_log();
    int err;
    /* 1600 SPS: 625 us nominal, 737.5 us with the oscillator tolerance and wake-up */
    NT_CHECK(nr_ads_tick(&a, F.now + 700000, &err) == -1 && err == 0 && F.len == 0);
    NT_CHECK(nr_ads_tick(&a, F.now + 740000, &err) == 0 && err == 0);
    NT_CHECKF(!strcmp(F.log, "rdwr 0x48 w 00 r 2 = 40 00\n"
                             "write 0x48 01 d3 83\n"),
              "log:\n%s", F.log);
    NT_CHECK(fabsf(a.volts[0] - 2.048f) < 1e-6f);
    fake_clear_log();
    NT_CHECK(nr_ads_tick(&a, F.now + 1480000, &err) == 1 && err == 0);
    NT_CHECKF(!strcmp(F.log, "rdwr 0x48 w 00 r 2 = 20 00\n"
                             "write 0x48 01 c3 83\n"),
              "log:\n%s", F.log);
    NT_CHECK(fabsf(a.volts[1] - 1.024f) < 1e-6f && a.count[0] == 1 && a.count[1] == 1);
    nr_ads_close(&a);
}

static void test_ads_unplugged(void)
{
    fake_reset();
    F.n_fail = 1;
    F.fail_addr[0] = 0x49;
    F.fail_err[0] = ENXIO;
    nr_ads a = {.n_ch = 1, .ch = {{.mux = 4, .pga = 2}}};
    NT_CHECK(nr_ads_open(&a, &fake_ops, 1, 0x49, NR_ADS1115, 860, F.now) == -ENXIO);
    nr_ads_close(&a);
    fake_reset();
    F.missing_path = "/dev/i2c-3";
    NT_CHECK(nr_ads_open(&a, &fake_ops, 3, 0x48, NR_ADS1015, 1600, F.now) == -ENOENT && a.dev.fd == -1);
}

static const char *sh1106_init = "write 0x3c 00 ae d5 80 a8 3f d3 00 40 ad 8b a1 c8 da 12 81 80 d9 22 db 35 32 a4 a6\n";
static const char *ssd1306_init =
    "write 0x3c 00 ae d5 80 a8 3f d3 00 40 8d 14 20 02 a1 c8 da 12 81 cf d9 f1 db 40 2e a4 a6\n";

static void check_ram_matches(const uint8_t *fb, int offset)
{
    int bad = 0;
    for (int p = 0; p < 8; p++)
        for (int c = 0; c < 128; c++) bad += F.oled_ram[p][c + offset] != fb[p * 128 + c];
    NT_CHECKF(bad == 0, "%d bytes of the controller's RAM differ from the frame", bad);
}

static void test_sh1106_init_and_frames(void)
{
    fake_reset();
    memset(F.oled_ram, 0x55, sizeof F.oled_ram); /* power-up garbage */
    nr_oled o;
    NT_CHECK(nr_oled_open(&o, &fake_ops, 1, 0x3c, NR_OLED_SH1106, 128, 0) == 0);
    /* init, then each page cleared from column 2 (the panel's first), then display on */
    char expect[8192], zeros[3 * 128 + 1];
    hex(zeros, (const uint8_t[128]){0}, 128);
    int n = snprintf(expect, sizeof expect, "open /dev/i2c-1 = 3\nioctl 3 I2C_SLAVE 0x3c\n%s", sh1106_init);
    for (int p = 0; p < 8; p++)
        n += snprintf(expect + n, sizeof expect - (size_t)n, "write 0x3c 00 %02x 02 10\nwrite 0x3c 40 %s\n", 0xB0 + p, zeros);
    snprintf(expect + n, sizeof expect - (size_t)n, "write 0x3c 00 af\n");
    NT_CHECKF(!strcmp(F.log, expect), "log:\n%s", F.log);
    NT_CHECK(F.oled_ram[0][1] == 0x55 && F.oled_ram[0][2] == 0 && F.oled_ram[7][129] == 0 && F.oled_ram[7][130] == 0x55);

    /* a whole frame */
    uint8_t fb[1024];
    for (int i = 0; i < 1024; i++) fb[i] = (uint8_t)(i * 37 + 11);
    fake_clear_log();
    NT_CHECK(nr_oled_flush(&o, fb) == 8);
    NT_CHECK(fake_count("write 0x3c 00 b") == 8);
    check_ram_matches(fb, 2);

    /* nothing changed: nothing written */
    fake_clear_log();
    NT_CHECK(nr_oled_flush(&o, fb) == 0 && F.len == 0);

    /* one page changed, columns 10 and 20: one command (page 3, column 12) and 11 data bytes */
    fb[3 * 128 + 10] ^= 0x81;
    fb[3 * 128 + 20] ^= 0x10;
    fake_clear_log();
    NT_CHECK(nr_oled_flush(&o, fb) == 1);
    char data[3 * 11 + 1];
    hex(data, fb + 3 * 128 + 10, 11);
    snprintf(expect, sizeof expect, "write 0x3c 00 b3 0c 10\nwrite 0x3c 40 %s\n", data);
    NT_CHECKF(!strcmp(F.log, expect), "log:\n%s\nexpected:\n%s", F.log, expect);
    check_ram_matches(fb, 2);

    /* the last column of the last page: column 129 = 0x81 */
    fb[7 * 128 + 127] ^= 1;
    fake_clear_log();
    NT_CHECK(nr_oled_flush(&o, fb) == 1);
    snprintf(expect, sizeof expect, "write 0x3c 00 b7 01 18\nwrite 0x3c 40 %02x\n", fb[1023]);
    NT_CHECKF(!strcmp(F.log, expect), "log:\n%s", F.log);
    nr_oled_close(&o);
}

static void test_ssd1306_frames(void)
{
    fake_reset();
    nr_oled o;
    NT_CHECK(nr_oled_open(&o, &fake_ops, 1, 0x3c, NR_OLED_SSD1306, 0xCF, 0) == 0);
    NT_CHECKF(strstr(F.log, ssd1306_init) != NULL, "log:\n%s", F.log);
    NT_CHECK(fake_count("write 0x3c 00 b0 00 10\n") == 1); /* no column offset */
    uint8_t fb[1024] = {0};
    fb[5 * 128 + 0] = 0xFF;
    fake_clear_log();
    NT_CHECK(nr_oled_flush(&o, fb) == 1);
    NT_CHECKF(!strcmp(F.log, "write 0x3c 00 b5 00 10\nwrite 0x3c 40 ff\n"), "log:\n%s", F.log);
    check_ram_matches(fb, 0);
    nr_oled_close(&o);
    /* flipped: segment remap and COM scan the other way */
    fake_reset();
    NT_CHECK(nr_oled_open(&o, &fake_ops, 1, 0x3c, NR_OLED_SSD1306, 0xCF, 1) == 0);
    NT_CHECK(fake_count(" a0 c0 ") == 1);
    nr_oled_close(&o);
}

static void test_oled_unplugged(void)
{
    fake_reset();
    F.n_fail = 1;
    F.fail_addr[0] = 0x3c;
    F.fail_err[0] = EIO;
    nr_oled o;
    NT_CHECK(nr_oled_open(&o, &fake_ops, 1, 0x3c, NR_OLED_SH1106, 128, 0) == -EIO);
    nr_oled_close(&o);
    /* pulled out after start: the flush fails, and the next one after it answers again rewrites the pages */
    fake_reset();
    NT_CHECK(nr_oled_open(&o, &fake_ops, 1, 0x3c, NR_OLED_SH1106, 128, 0) == 0);
    uint8_t fb[1024] = {0};
    fb[0] = 1;
    F.n_fail = 1;
    F.fail_addr[0] = 0x3c;
    F.fail_err[0] = ENXIO;
    NT_CHECK(nr_oled_flush(&o, fb) == -ENXIO);
    F.n_fail = 0;
    NT_CHECK(nr_oled_flush(&o, fb) == 1 && F.oled_ram[0][2] == 1);
    nr_oled_close(&o);
}

int main(void)
{
    NT_RUN(test_ads_config_word);
    NT_RUN(test_ads_conversion_bytes);
    NT_RUN(test_ads_unplugged);
    NT_RUN(test_sh1106_init_and_frames);
    NT_RUN(test_ssd1306_frames);
    NT_RUN(test_oled_unplugged);
    free(F.log);
    return nt_end();
}
