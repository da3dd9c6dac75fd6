/* The hardware file: "[section]" or "[section N]" headers, "key = value" lines, '#' comments. */
#include "hw/hw_config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nr_hw_config nr_hw_config_init(void)
{
    nr_hw_config c;
    memset(&c, 0, sizeof c);
    c.i2c_bus = 1;
    for (int i = 0; i < 2; i++)
        c.adc[i] = (nr_hw_adc_config){.used = 1, .chip = NR_ADS1015, .bus = -1, .address = 0x48 + i, .rate = 1600};
    for (int i = 0; i < NR_NUM_CV; i++)
        c.cv[i] = (nr_hw_input_config){.source = NR_IN_ADC, .adc = 0, .mux = 4 + i, .range = 4.096f, .offset = 0,
                                       .scale = 1, .deadband = 0.01f, .line = -1};
    for (int i = 0; i < NR_NUM_GATES; i++)
        c.gate[i] = (nr_hw_input_config){.source = NR_IN_ADC, .adc = 1, .mux = 4 + i, .range = 4.096f, .offset = 0,
                                         .scale = 1, .high = 1.5f, .low = 0.8f, .line = -1, .lockout_us = 500};
    c.enc = (nr_hw_encoder_config){.used = 1, .chip = "gpiochip0", .a = 17, .b = 27, .push = 22,
                                   .bias = NR_GPIO_BIAS_PULL_UP, .push_active_low = 1, .debounce_ms = 5, .long_ms = 600};
    c.display = (nr_hw_display_config){.kind = NR_DISPLAY_SH1106, .bus = -1, .address = 0x3c, .contrast = 128, .fps = 30,
                                       .spi = "/dev/spidev0.0", .speed_hz = 40000000, .spi_mode = 3, .dc = 25,
                                       .reset = 24, .backlight = -1, .fg = 0xFFFF, .bg = 0x0000};
    c.audio = (nr_hw_audio_config){.device = "hw:CARD=sndrpihifiberry,DEV=0", .rate = 48000, .period = 128,
                                   .periods = 2, .rt_priority = 70};
    return c;
}

typedef struct {
    const char *what;
    int line;
    char section[16];
    int index;        /* N of "[section N]", -1 none */
    int adc_line[NR_HW_MAX_ADC];
} parser;

static nr_result perr(const parser *p, const char *fmt, const char *a, const char *b)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, a, b);
    return nr_fail(NR_ERR_FORMAT, "%s:%d: %s", p->what, p->line, msg);
}

static int get_int(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 0);
    if (errno || end == v || *end || x < lo || x > hi) return 0;
    *out = x;
    return 1;
}

static int get_float(const char *v, double lo, double hi, float *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(x) || x < lo || x > hi) return 0;
    *out = (float)x;
    return 1;
}

static int get_bool(const char *v, int *out)
{
    static const char *yes[] = {"yes", "true", "on", "1"}, *no[] = {"no", "false", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (!strcmp(v, yes[i])) return *out = 1, 1;
        if (!strcmp(v, no[i])) return *out = 0, 1;
    }
    return 0;
}

static int get_bias(const char *v, nr_gpio_bias *out)
{
    static const char *names[] = {"as-is", "pull-up", "pull-down", "disable"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(v, names[i])) return *out = (nr_gpio_bias)i, 1;
    return 0;
}

/* "0".."3": single-ended AINx to GND; "0-1", "0-3", "1-3", "2-3": differential pairs. */
static int get_channel(const char *v, int *mux)
{
    static const char *names[] = {"0-1", "0-3", "1-3", "2-3", "0", "1", "2", "3"};
    for (int i = 0; i < 8; i++)
        if (!strcmp(v, names[i])) return *mux = i, 1;
    return 0;
}

#define BAD(expect) return perr(p, "%s = '%s': expected " expect, key, val)
#define INT(field, lo, hi)                                   \
    do {                                                     \
        long x_;                                             \
        if (!get_int(val, lo, hi, &x_)) BAD(#lo " to " #hi); \
        field = (int)x_;                                     \
    } while (0)

static nr_result set_input(parser *p, nr_hw_input_config *in, int is_gate, const char *key, const char *val)
{
    int b;
    if (!strcmp(key, "source")) {
        if (!strcmp(val, "adc")) in->source = NR_IN_ADC;
        else if (!strcmp(val, "none")) in->source = NR_IN_NONE;
        else if (is_gate && !strcmp(val, "gpio")) in->source = NR_IN_GPIO;
        else if (is_gate) BAD("adc, gpio or none");
        else BAD("adc or none");
    } else if (!strcmp(key, "adc")) {
        INT(in->adc, 0, 3);
        p->adc_line[in->adc] = p->adc_line[in->adc] ? p->adc_line[in->adc] : p->line;
    } else if (!strcmp(key, "channel")) {
        if (!get_channel(val, &in->mux)) BAD("0, 1, 2, 3 (to ground) or 0-1, 0-3, 1-3, 2-3 (differential)");
    } else if (!strcmp(key, "range")) {
        float v;
        if (!get_float(val, 0, 10, &v) || nr_ads_pga_field(v) < 0) BAD("6.144, 4.096, 2.048, 1.024, 0.512 or 0.256");
        in->range = v;
    } else if (!strcmp(key, "offset")) {
        if (!get_float(val, -100, 100, &in->offset)) BAD("volts from -100 to 100");
    } else if (!strcmp(key, "scale")) {
        if (!get_float(val, -1000, 1000, &in->scale) || in->scale == 0) BAD("a non-zero factor from -1000 to 1000");
    } else if (!is_gate && !strcmp(key, "deadband")) {
        if (!get_float(val, 0, 10, &in->deadband)) BAD("volts from 0 to 10");
    } else if (is_gate && !strcmp(key, "high")) {
        if (!get_float(val, -100, 100, &in->high)) BAD("volts from -100 to 100");
    } else if (is_gate && !strcmp(key, "low")) {
        if (!get_float(val, -100, 100, &in->low)) BAD("volts from -100 to 100");
    } else if (is_gate && !strcmp(key, "line")) {
        INT(in->line, 0, 511);
    } else if (is_gate && !strcmp(key, "invert")) {
        if (!get_bool(val, &b)) BAD("yes or no");
        in->invert = b;
    } else if (is_gate && !strcmp(key, "bias")) {
        if (!get_bias(val, &in->bias)) BAD("as-is, pull-up, pull-down or disable");
    } else if (is_gate && !strcmp(key, "lockout_us")) {
        INT(in->lockout_us, 0, 100000);
    } else {
        return nr_fail(NR_ERR_FORMAT, "%s:%d: unknown key '%s' in [%s]; expected source, adc, channel, range, offset, "
                       "scale, %s", p->what, p->line, key, p->section,
                       is_gate ? "high, low, line, invert, bias, lockout_us" : "deadband");
    }
    return NR_OK;
}

static nr_result set_key(parser *p, nr_hw_config *c, const char *key, const char *val)
{
    const char *s = p->section;
    int b;
    if (!strcmp(s, "i2c")) {
        if (strcmp(key, "bus")) return perr(p, "unknown key '%s' in [%s]; expected bus", key, s);
        INT(c->i2c_bus, 0, 255);
    } else if (!strcmp(s, "adc")) {
        nr_hw_adc_config *a = &c->adc[p->index];
        if (!strcmp(key, "chip")) {
            if (!strcmp(val, "ads1015")) a->chip = NR_ADS1015;
            else if (!strcmp(val, "ads1115")) a->chip = NR_ADS1115;
            else if (!strcmp(val, "none")) a->used = 0;
            else BAD("ads1015, ads1115 or none");
        } else if (!strcmp(key, "bus")) INT(a->bus, 0, 255);
        else if (!strcmp(key, "address")) INT(a->address, 0x03, 0x77);
        else if (!strcmp(key, "rate")) INT(a->rate, 8, 3300);
        else return perr(p, "unknown key '%s' in [%s]; expected chip, bus, address, rate", key, s);
    } else if (!strcmp(s, "cv")) {
        return set_input(p, &c->cv[p->index - 1], 0, key, val);
    } else if (!strcmp(s, "gate")) {
        return set_input(p, &c->gate[p->index - 1], 1, key, val);
    } else if (!strcmp(s, "encoder")) {
        nr_hw_encoder_config *e = &c->enc;
        if (!strcmp(key, "chip")) {
            if (strlen(val) >= sizeof e->chip) BAD("a gpiochip name shorter than 64 characters");
            strcpy(e->chip, val);
        } else if (!strcmp(key, "enabled")) {
            if (!get_bool(val, &b)) BAD("yes or no");
            e->used = b;
        } else if (!strcmp(key, "a")) INT(e->a, 0, 511);
        else if (!strcmp(key, "b")) INT(e->b, 0, 511);
        else if (!strcmp(key, "push")) INT(e->push, -1, 511);
        else if (!strcmp(key, "bias")) {
            if (!get_bias(val, &e->bias)) BAD("as-is, pull-up, pull-down or disable");
        } else if (!strcmp(key, "push_active_low")) {
            if (!get_bool(val, &b)) BAD("yes or no");
            e->push_active_low = b;
        } else if (!strcmp(key, "reverse")) {
            if (!get_bool(val, &b)) BAD("yes or no");
            e->reverse = b;
        } else if (!strcmp(key, "debounce_ms")) INT(e->debounce_ms, 0, 100);
        else if (!strcmp(key, "long_ms")) INT(e->long_ms, 100, 10000);
        else return perr(p, "unknown key '%s' in [%s]; expected enabled, chip, a, b, push, bias, push_active_low, "
                            "reverse, debounce_ms, long_ms", key, s);
    } else if (!strcmp(s, "display")) {
        nr_hw_display_config *d = &c->display;
        if (!strcmp(key, "type")) {
            static const char *names[] = {"none", "sh1106", "ssd1306", "st7789"};
            int k = -1;
            for (int i = 0; i < 4; i++)
                if (!strcmp(val, names[i])) k = i;
            if (k < 0) BAD("sh1106, ssd1306, st7789 or none");
            d->kind = (nr_hw_display_kind)k;
            if (d->kind == NR_DISPLAY_ST7789) d->fps = d->fps == 30 ? 20 : d->fps;
        } else if (!strcmp(key, "bus")) INT(d->bus, 0, 255);
        else if (!strcmp(key, "address")) INT(d->address, 0x03, 0x77);
        else if (!strcmp(key, "contrast")) INT(d->contrast, 0, 255);
        else if (!strcmp(key, "flip")) {
            if (!get_bool(val, &b)) BAD("yes or no");
            d->flip = b;
        } else if (!strcmp(key, "fps")) INT(d->fps, 1, 60);
        else if (!strcmp(key, "spi")) {
            if (strlen(val) >= sizeof d->spi) BAD("a device path shorter than 64 characters");
            strcpy(d->spi, val);
        } else if (!strcmp(key, "speed_hz")) INT(d->speed_hz, 100000, 100000000);
        else if (!strcmp(key, "spi_mode")) INT(d->spi_mode, 0, 3);
        else if (!strcmp(key, "dc")) INT(d->dc, 0, 511);
        else if (!strcmp(key, "reset")) INT(d->reset, -1, 511);
        else if (!strcmp(key, "backlight")) INT(d->backlight, -1, 511);
        else if (!strcmp(key, "fg")) INT(d->fg, 0, 0xFFFF);
        else if (!strcmp(key, "bg")) INT(d->bg, 0, 0xFFFF);
        else return perr(p, "unknown key '%s' in [%s]; expected type, bus, address, contrast, flip, fps, spi, "
                            "speed_hz, spi_mode, dc, reset, backlight, fg, bg", key, s);
    } else if (!strcmp(s, "audio")) {
        nr_hw_audio_config *a = &c->audio;
        if (!strcmp(key, "device")) {
            if (strlen(val) >= sizeof a->device) BAD("an ALSA device name shorter than 128 characters");
            strcpy(a->device, val);
        } else if (!strcmp(key, "rate")) INT(a->rate, 8000, 192000);
        else if (!strcmp(key, "period")) INT(a->period, 64, 8192);
        else if (!strcmp(key, "periods")) INT(a->periods, 2, 16);
        else if (!strcmp(key, "realtime_priority")) INT(a->rt_priority, 0, 99);
        else return perr(p, "unknown key '%s' in [%s]; expected device, rate, period, periods, realtime_priority", key, s);
    } else if (!strcmp(s, "osc")) {
        nr_hw_osc_config *o = &c->osc;
        if (!strcmp(key, "port")) INT(o->port, 0, 65535);
        else if (!strcmp(key, "bind")) {
            unsigned char a[16];
            if (strlen(val) >= sizeof o->bind || (inet_pton(AF_INET, val, a) != 1 && inet_pton(AF_INET6, val, a) != 1))
                BAD("an IP address (127.0.0.1 this machine only, 0.0.0.0 or :: every interface)");
            strcpy(o->bind, val);
        } else return perr(p, "unknown key '%s' in [%s]; expected port, bind", key, s);
    }
    return NR_OK;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static nr_result set_section(parser *p, char *name)
{
    static const struct { const char *name; int lo, hi; } known[] = {
        {"i2c", -1, -1}, {"adc", 0, NR_HW_MAX_ADC - 1}, {"cv", 1, NR_NUM_CV}, {"gate", 1, NR_NUM_GATES},
        {"encoder", -1, -1}, {"display", -1, -1}, {"audio", -1, -1}, {"osc", -1, -1}};
    char *sp = strpbrk(name, " \t");
    long idx = -1;
    if (sp) {
        *sp = '\0';
        char *num = trim(sp + 1);
        if (!get_int(num, 0, 99, &idx)) return perr(p, "section [%s %s]: expected a number after the name", name, num);
    }
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(name, known[i].name)) continue;
        if (known[i].lo < 0 && idx >= 0) return perr(p, "section [%s]%s takes no number", name, "");
        if (known[i].lo >= 0 && (idx < known[i].lo || idx > known[i].hi)) {
            char range[32];
            snprintf(range, sizeof range, "%d to %d", known[i].lo, known[i].hi);
            return perr(p, "section [%s N] needs N from %s", name, range);
        }
        snprintf(p->section, sizeof p->section, "%s", name);
        p->index = (int)idx;
        return NR_OK;
    }
    return perr(p, "unknown section [%s]; expected i2c, adc N, cv N, gate N, encoder, display, audio, osc%s", name,
                "");
}

/* "file:line" of a section, or just "file" for a default the file did not mention. */
static const char *where(const parser *p, int line, char *buf, size_t n)
{
    if (line > 0) snprintf(buf, n, "%s:%d", p->what, line);
    else snprintf(buf, n, "%s", p->what);
    return buf;
}

/* One GPIO, one function: the encoder, GPIO gates and the LCD's control lines may not share a line, nor
 * take a pin the module's buses use (Raspberry Pi BCM numbers): the I2S DAC's clock and data pins when
 * an audio device is named, I2C1's SDA/SCL when an I2C chip sits on bus 1, SPI0's when the LCD is on it. */
typedef struct {
    int line;
    char what[32];
    int section_line;
} gpio_use;

static nr_result check_gpio(const parser *p, const nr_hw_config *c)
{
    gpio_use u[16];
    int n = 0;
#define USE(l, sl, ...)                                                                                            \
    do {                                                                                                           \
        if ((l) >= 0) {                                                                                            \
            u[n].line = (l);                                                                                       \
            u[n].section_line = (sl);                                                                              \
            snprintf(u[n].what, sizeof u[n].what, __VA_ARGS__);                                                    \
            n++;                                                                                                   \
        }                                                                                                          \
    } while (0)
    if (c->enc.used) {
        USE(c->enc.a, 0, "[encoder] a");
        USE(c->enc.b, 0, "[encoder] b");
        USE(c->enc.push, 0, "[encoder] push");
    }
    for (int g = 0; g < NR_NUM_GATES; g++)
        if (c->gate[g].source == NR_IN_GPIO) USE(c->gate[g].line, c->gate[g].line_no, "[gate %d] line", g + 1);
    if (c->display.kind == NR_DISPLAY_ST7789) {
        USE(c->display.dc, 0, "[display] dc");
        USE(c->display.reset, 0, "[display] reset");
        USE(c->display.backlight, 0, "[display] backlight");
    }
#undef USE
    char loc[300];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (u[i].line == u[j].line)
                return nr_fail(NR_ERR_FORMAT, "%s: %s = %d is also %s; one GPIO has one function",
                               where(p, u[i].section_line, loc, sizeof loc), u[i].what, u[i].line, u[j].what);
    static const struct {
        int line;
        const char *pin;
        int bus; /* 0: I2S, 1: I2C1, 2: SPI0 */
    } reserved[] = {{18, "I2S BCLK", 0}, {19, "I2S LRCLK", 0}, {20, "I2S DIN", 0}, {21, "I2S DOUT", 0},
                    {2, "I2C1 SDA", 1},  {3, "I2C1 SCL", 1},   {8, "SPI0 CE0", 2}, {7, "SPI0 CE1", 2},
                    {9, "SPI0 MISO", 2}, {10, "SPI0 MOSI", 2}, {11, "SPI0 SCLK", 2}};
    int i2c1 = c->i2c_bus == 1 && (c->adc[0].used || c->adc[1].used || c->display.kind == NR_DISPLAY_SH1106 ||
                                   c->display.kind == NR_DISPLAY_SSD1306);
    int bus_on[3] = {c->audio.device[0] != '\0', i2c1,
                     c->display.kind == NR_DISPLAY_ST7789 && strstr(c->display.spi, "spidev0.") != NULL};
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
            if (bus_on[reserved[k].bus] && u[i].line == reserved[k].line)
                return nr_fail(NR_ERR_FORMAT, "%s: %s = %d is the %s pin, which %s uses",
                               where(p, u[i].section_line, loc, sizeof loc), u[i].what, u[i].line, reserved[k].pin,
                               reserved[k].bus == 0 ? "the I2S audio DAC ([audio] device)"
                               : reserved[k].bus == 1 ? "the I2C bus of the ADCs and the OLED"
                                                      : "the LCD's SPI bus");
    return NR_OK;
}

static nr_result check(const parser *p, nr_hw_config *c)
{
    char loc[300];
    for (int i = 0; i < NR_HW_MAX_ADC; i++) {
        nr_hw_adc_config *a = &c->adc[i];
        if (a->used && nr_ads_rate_field(a->chip, a->rate) < 0)
            return nr_fail(NR_ERR_FORMAT, "%s: [adc %d] rate %d is not a data rate of the %s (%s)", p->what, i, a->rate,
                           a->chip == NR_ADS1115 ? "ADS1115" : "ADS1015",
                           a->chip == NR_ADS1115 ? "8, 16, 32, 64, 128, 250, 475, 860"
                                                 : "128, 250, 490, 920, 1600, 2400, 3300");
    }
    for (int g = 0; g < NR_NUM_CV + NR_NUM_GATES; g++) {
        int is_gate = g >= NR_NUM_CV, n = is_gate ? g - NR_NUM_CV + 1 : g + 1;
        nr_hw_input_config *in = is_gate ? &c->gate[n - 1] : &c->cv[n - 1];
        const char *kind = is_gate ? "gate" : "cv";
        if (in->source == NR_IN_ADC && !c->adc[in->adc].used)
            return nr_fail(NR_ERR_FORMAT, "%s: [%s %d] reads [adc %d], which is not configured (chip = none)",
                           where(p, in->line_no, loc, sizeof loc), kind, n, in->adc);
        if (in->source == NR_IN_GPIO && in->line < 0)
            return nr_fail(NR_ERR_FORMAT, "%s: [%s %d] source = gpio needs line = <GPIO number>",
                           where(p, in->line_no, loc, sizeof loc), kind, n);
        if (is_gate && in->high <= in->low)
            return nr_fail(NR_ERR_FORMAT, "%s: [gate %d] high (%g V) must be above low (%g V) for hysteresis",
                           where(p, in->line_no, loc, sizeof loc), n, in->high, in->low);
    }
    /* Each ADC converts at most 4 distinct (channel, range) pairs in its round-robin. */
    for (int i = 0; i < NR_HW_MAX_ADC; i++) {
        int keys[NR_NUM_CV + NR_NUM_GATES], n = 0;
        for (int g = 0; g < NR_NUM_CV + NR_NUM_GATES; g++) {
            nr_hw_input_config *in = g < NR_NUM_CV ? &c->cv[g] : &c->gate[g - NR_NUM_CV];
            if (in->source != NR_IN_ADC || in->adc != i) continue;
            int k = in->mux * 8 + nr_ads_pga_field(in->range), dup = 0;
            for (int j = 0; j < n; j++) dup |= keys[j] == k;
            if (!dup) keys[n++] = k;
        }
        if (n > NR_ADS_MAX_CH)
            return nr_fail(NR_ERR_FORMAT, "%s: [adc %d] is asked for %d different channel/range pairs; it converts 4 at most",
                           where(p, p->adc_line[i], loc, sizeof loc), i, n);
    }
    if (c->display.kind == NR_DISPLAY_ST7789 && c->display.dc < 0)
        return nr_fail(NR_ERR_FORMAT, "%s: [display] type = st7789 needs dc = <GPIO number>", p->what);
    return check_gpio(p, c);
}

nr_result nr_hw_config_parse(const char *text, const char *what, nr_hw_config *cfg)
{
    parser p = {.what = what, .index = -1};
    nr_hw_config c = nr_hw_config_init();
    char line[512];
    const char *s = text;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        p.line++;
        if (len >= sizeof line) return perr(&p, "line longer than %s characters%s", "511", "");
        memcpy(line, s, len);
        line[len] = '\0';
        s += len + (nl ? 1 : 0);
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *t = trim(line);
        if (!*t) continue;
        if (*t == '[') {
            char *end = strchr(t, ']');
            if (!end || *trim(end + 1)) return perr(&p, "'%s': expected a section header like [cv 1]%s", t, "");
            *end = '\0';
            nr_result r = set_section(&p, trim(t + 1));
            if (r) return r;
            if (!strcmp(p.section, "cv")) c.cv[p.index - 1].line_no = p.line;
            if (!strcmp(p.section, "gate")) c.gate[p.index - 1].line_no = p.line;
            if (!strcmp(p.section, "adc")) c.adc[p.index].used = 1;
            continue;
        }
        char *eq = strchr(t, '=');
        if (!eq) return perr(&p, "'%s': expected key = value%s", t, "");
        *eq = '\0';
        char *key = trim(t), *val = trim(eq + 1);
        if (!*p.section) return perr(&p, "'%s' before any [section]%s", key, "");
        if (!*val) return perr(&p, "%s has no value%s", key, "");
        nr_result r = set_key(&p, &c, key, val);
        if (r) return r;
    }
    nr_result r = check(&p, &c);
    if (r) return r;
    for (int i = 0; i < NR_HW_MAX_ADC; i++)
        if (c.adc[i].bus < 0) c.adc[i].bus = c.i2c_bus;
    if (c.display.bus < 0) c.display.bus = c.i2c_bus;
    *cfg = c;
    return NR_OK;
}

nr_result nr_hw_config_read(const char *path, nr_hw_config *cfg)
{
    FILE *f = fopen(path, "rb");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open the hardware file (%s)", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            if (cap > (1u << 20)) {
                free(buf);
                fclose(f);
                return nr_fail(NR_ERR_FORMAT, "%s: larger than 1 MiB; not a hardware file", path);
            }
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = nb;
        }
        size_t k = fread(buf + n, 1, 4096, f);
        n += k;
        if (k < 4096) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return nr_fail(NR_ERR_IO, "%s: read error", path);
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        free(buf);
        return nr_fail(NR_ERR_FORMAT, "%s: binary data; expected a text hardware file", path);
    }
    nr_result r = nr_hw_config_parse(buf, path, cfg);
    free(buf);
    return r;
}
