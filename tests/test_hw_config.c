/* The hardware file: the shipped example reads as the defaults, settings land where they belong, and
 * every mistake gives one message naming file and line. */
#include "hw/hw_config.h"
#include "nr_test.h"

#include <math.h>
#include <string.h>

static void test_shipped_example_is_the_default(void)
{
    nr_hw_config c, d = nr_hw_config_init();
    nr_result r = nr_hw_config_read("packaging/hardware.conf", &c);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r) return;
    NT_CHECK(c.i2c_bus == 1 && c.adc[0].bus == 1 && c.adc[1].bus == 1 && c.display.bus == 1);
    NT_CHECK(c.adc[0].used && c.adc[0].address == 0x48 && c.adc[1].address == 0x49 && !c.adc[2].used);
    for (int i = 0; i < NR_NUM_CV; i++)
        NT_CHECK(c.cv[i].source == NR_IN_ADC && c.cv[i].adc == 0 && c.cv[i].mux == 4 + i &&
                 c.cv[i].range == d.cv[i].range && c.cv[i].scale == 1 && c.cv[i].offset == 0);
    NT_CHECK(c.gate[1].source == NR_IN_ADC && c.gate[1].adc == 1 && c.gate[1].mux == 5);
    NT_CHECK(c.gate[0].high == d.gate[0].high && c.gate[0].low == d.gate[0].low);
    NT_CHECK(c.enc.a == 17 && c.enc.b == 27 && c.enc.push == 22 && c.enc.bias == NR_GPIO_BIAS_PULL_UP &&
             c.enc.long_ms == d.enc.long_ms && !strcmp(c.enc.chip, "gpiochip0"));
    NT_CHECK(c.display.kind == NR_DISPLAY_SH1106 && c.display.address == 0x3c && c.display.dc == 25);
    NT_CHECK(!strcmp(c.audio.device, d.audio.device) && c.audio.period == 128 && c.audio.rt_priority == 70);
}

static void test_settings(void)
{
    const char *text = "# a Pi 5 build with an ADS1115 and the LCD\n"
                       "[i2c]\n bus = 3 \n"
                       "[adc 0]\nchip = ads1115\nrate = 860\n"
                       "[adc 1]\nchip = none\n"
                       "[cv 2]\nchannel = 2-3   # differential\nrange = 0.256\noffset = -0.5\nscale = -3.03\n"
                       "[gate 1]\nsource = gpio\nline = 5\ninvert = yes\nbias = pull-down\n"
                       "[gate 2]\nsource = none\n"
                       "[encoder]\nchip = gpiochip4\nreverse = on\npush = -1\n"
                       "[display]\ntype = st7789\ndc = 23\nbacklight = 13\nfg = 0xF800\n"
                       "[audio]\nperiod = 64\ndevice = plughw:1\n";
    nr_hw_config c;
    NT_CHECKF(nr_hw_config_parse(text, "pi5.conf", &c) == NR_OK, "%s", nr_last_error());
    NT_CHECK(c.adc[0].bus == 3 && c.adc[0].chip == NR_ADS1115 && c.adc[0].rate == 860 && !c.adc[1].used);
    NT_CHECK(c.cv[1].mux == 3 && c.cv[1].range == 0.256f && c.cv[1].offset == -0.5f && c.cv[1].scale == -3.03f);
    NT_CHECK(c.gate[0].source == NR_IN_GPIO && c.gate[0].line == 5 && c.gate[0].invert &&
             c.gate[0].bias == NR_GPIO_BIAS_PULL_DOWN);
    NT_CHECK(c.gate[1].source == NR_IN_NONE);
    NT_CHECK(!strcmp(c.enc.chip, "gpiochip4") && c.enc.reverse && c.enc.push == -1);
    NT_CHECK(c.display.kind == NR_DISPLAY_ST7789 && c.display.dc == 23 && c.display.backlight == 13 &&
             c.display.fg == 0xF800 && c.display.fps == 20);
    NT_CHECK(c.audio.period == 64 && !strcmp(c.audio.device, "plughw:1"));
}

static void check_error(const char *text, const char *expect)
{
    nr_hw_config c;
    nr_result r = nr_hw_config_parse(text, "hw.conf", &c);
    NT_CHECKF(r == NR_ERR_FORMAT && !strcmp(nr_last_error(), expect), "text:\n%s\ngot:      %s\nexpected: %s", text,
              nr_last_error(), expect);
}

static void test_errors(void)
{
    check_error("[adc 0]\naddress = 0x48\nadress = 0x49\n",
                "hw.conf:3: unknown key 'adress' in [adc]; expected chip, bus, address, rate");
    check_error("\n\n[cv 5]\n", "hw.conf:3: section [cv N] needs N from 1 to 4");
    check_error("[dac]\n", "hw.conf:1: unknown section [dac]; expected i2c, adc N, cv N, gate N, encoder, display, audio, osc");
    check_error("[encoder]\na 17\n", "hw.conf:2: 'a 17': expected key = value");
    check_error("bus = 1\n", "hw.conf:1: 'bus' before any [section]");
    check_error("[adc 1]\nchip = ads1016\n", "hw.conf:2: chip = 'ads1016': expected ads1015, ads1115 or none");
    check_error("[cv 1]\nrange = 5\n", "hw.conf:2: range = '5': expected 6.144, 4.096, 2.048, 1.024, 0.512 or 0.256");
    check_error("[cv 1]\nchannel = 4\n",
                "hw.conf:2: channel = '4': expected 0, 1, 2, 3 (to ground) or 0-1, 0-3, 1-3, 2-3 (differential)");
    check_error("[cv 1]\nscale = 0\n", "hw.conf:2: scale = '0': expected a non-zero factor from -1000 to 1000");
    check_error("[cv 1]\noffset = nan\n", "hw.conf:2: offset = 'nan': expected volts from -100 to 100");
    check_error("[cv 1]\nhigh = 2\n", "hw.conf:2: unknown key 'high' in [cv]; expected source, adc, channel, range, "
                                     "offset, scale, deadband");
    check_error("[gate 2]\nsource = gpio\n", "hw.conf:1: [gate 2] source = gpio needs line = <GPIO number>");
    check_error("[gate 1]\n\nhigh = 1\nlow = 2\n", "hw.conf:1: [gate 1] high (1 V) must be above low (2 V) for hysteresis");
    check_error("[adc 1]\nchip = none\n", "hw.conf: [gate 1] reads [adc 1], which is not configured (chip = none)");
    check_error("[adc 0]\nchip = ads1115\n", "hw.conf: [adc 0] rate 1600 is not a data rate of the ADS1115 "
                                            "(8, 16, 32, 64, 128, 250, 475, 860)");
    check_error("[gate 1]\nadc = 0\nchannel = 0-1\n[gate 2]\nadc = 0\n",
                "hw.conf:2: [adc 0] is asked for 5 different channel/range pairs; it converts 4 at most");
    check_error("[audio]\nperiod = 32\n", "hw.conf:2: period = '32': expected 64 to 8192");
    check_error("[encoder]\ndebounce_ms = 5ms\n", "hw.conf:2: debounce_ms = '5ms': expected 0 to 100");
    check_error("[display]\ntype = lcd\n", "hw.conf:2: type = 'lcd': expected sh1106, ssd1306, st7789 or none");
    check_error("[display\n", "hw.conf:1: '[display': expected a section header like [cv 1]");
    check_error("[encoder 2]\n", "hw.conf:1: section [encoder] takes no number");
    check_error("[cv]\n", "hw.conf:1: section [cv N] needs N from 1 to 4");
    check_error("[cv 1]\nadc =\n", "hw.conf:2: adc has no value");
    check_error("[osc]\nbind = everywhere\n", "hw.conf:2: bind = 'everywhere': expected an IP address (127.0.0.1 this "
                                              "machine only, 0.0.0.0 or :: every interface)");
    check_error("[osc]\nport = 70000\n", "hw.conf:2: port = '70000': expected 0 to 65535");
    /* one GPIO, one function; no pin of a bus the module uses */
    check_error("[gate 2]\nsource = gpio\nline = 27\n",
                "hw.conf:1: [gate 2] line = 27 is also [encoder] b; one GPIO has one function");
    check_error("[gate 1]\nsource = gpio\nline = 5\n[gate 2]\nsource = gpio\nline = 5\n",
                "hw.conf:4: [gate 2] line = 5 is also [gate 1] line; one GPIO has one function");
    check_error("[audio]\ndevice = hw:sndrpihifiberry\n[gate 1]\nsource = gpio\nline = 19\n",
                "hw.conf:3: [gate 1] line = 19 is the I2S LRCLK pin, which the I2S audio DAC ([audio] device) uses");
    check_error("[encoder]\npush = 2\n", "hw.conf: [encoder] push = 2 is the I2C1 SDA pin, which the I2C bus of "
                                          "the ADCs and the OLED uses");
}

static void test_file_errors(void)
{
    nr_hw_config c;
    NT_CHECK(nr_hw_config_read("/nonexistent/hw.conf", &c) == NR_ERR_IO);
    NT_CHECK(strstr(nr_last_error(), "/nonexistent/hw.conf: cannot open the hardware file") != NULL);
    const char bin[] = "[cv 1]\0\x01\x02";
    NT_CHECK(nt_write_file(nt_tmp("bin.conf"), bin, sizeof bin) == 0);
    NT_CHECK(nr_hw_config_read(nt_tmp("bin.conf"), &c) == NR_ERR_FORMAT && strstr(nr_last_error(), "binary data"));
    char big[600];
    memset(big, 'x', sizeof big);
    big[599] = '\0';
    NT_CHECK(nr_hw_config_parse(big, "long.conf", &c) == NR_ERR_FORMAT &&
             !strcmp(nr_last_error(), "long.conf:1: line longer than 511 characters"));
}

int main(void)
{
    NT_RUN(test_shipped_example_is_the_default);
    NT_RUN(test_settings);
    NT_RUN(test_errors);
    NT_RUN(test_file_errors);
    return nt_end();
}
