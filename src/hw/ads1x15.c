#include "hw/ads1x15.h"

static const int g_rates_1015[] = {128, 250, 490, 920, 1600, 2400, 3300};
static const int g_rates_1115[] = {8, 16, 32, 64, 128, 250, 475, 860};
static const float g_full_scale[] = {6.144f, 4.096f, 2.048f, 1.024f, 0.512f, 0.256f};

#define OS_START 0x8000u
#define MODE_SINGLE 0x0100u
#define COMP_QUEUE_OFF 0x0003u

int nr_ads_rate_field(nr_ads_chip chip, int sps)
{
    const int *t = chip == NR_ADS1115 ? g_rates_1115 : g_rates_1015;
    int n = chip == NR_ADS1115 ? 8 : 7;
    for (int i = 0; i < n; i++)
        if (t[i] == sps) return i;
    return -1;
}

int nr_ads_pga_field(float volts)
{
    for (int i = 0; i < 6; i++)
        if (volts > g_full_scale[i] * 0.999f && volts < g_full_scale[i] * 1.001f) return i;
    return -1;
}

float nr_ads_full_scale(int pga) { return g_full_scale[pga < 0 ? 0 : pga > 5 ? 5 : pga]; }

uint16_t nr_ads_config_word(int mux, int pga, int dr)
{
    return (uint16_t)(OS_START | (unsigned)(mux & 7) << 12 | (unsigned)(pga & 7) << 9 | MODE_SINGLE |
                      (unsigned)(dr & 7) << 5 | COMP_QUEUE_OFF);
}

float nr_ads_to_volts(nr_ads_chip chip, int pga, uint16_t reg)
{
    int16_t v = (int16_t)reg;
    if (chip == NR_ADS1115) return (float)v * nr_ads_full_scale(pga) / 32768.0f;
    return (float)(v / 16) * nr_ads_full_scale(pga) / 2048.0f; /* 12 bits, left-justified */
}

int64_t nr_ads_conversion_ns(const nr_ads *a)
{
    int sps = a->chip == NR_ADS1115 ? g_rates_1115[a->dr] : g_rates_1015[a->dr];
    return 1100000000LL / sps + 50000;
}

int nr_ads_start(nr_ads *a, int i, int64_t now_ns)
{
    uint16_t w = nr_ads_config_word(a->ch[i].mux, a->ch[i].pga, a->dr);
    uint8_t b[3] = {NR_ADS_REG_CONFIG, (uint8_t)(w >> 8), (uint8_t)w};
    int r = nr_i2c_write(&a->dev, b, 3);
    a->cur = r < 0 ? -1 : i;
    a->started_ns = now_ns;
    return r;
}

int nr_ads_read(nr_ads *a, uint16_t *reg)
{
    uint8_t p = NR_ADS_REG_CONVERSION, b[2];
    int r = nr_i2c_write_read(&a->dev, &p, 1, b, 2);
    if (r < 0) return r;
    *reg = (uint16_t)(b[0] << 8 | b[1]);
    return 0;
}

int nr_ads_open(nr_ads *a, const nr_hw_ops *ops, int bus, int addr, nr_ads_chip chip, int sps, int64_t now_ns)
{
    a->chip = chip;
    a->dr = nr_ads_rate_field(chip, sps);
    if (a->dr < 0) a->dr = chip == NR_ADS1115 ? 7 : 4;
    a->cur = -1;
    int r = nr_i2c_open(ops, bus, addr, &a->dev);
    if (r < 0) return r;
    if (a->n_ch > 0) r = nr_ads_start(a, 0, now_ns);
    return r;
}

void nr_ads_close(nr_ads *a) { nr_i2c_close(&a->dev); }

int64_t nr_ads_due(const nr_ads *a, int64_t now_ns)
{
    return a->cur < 0 ? now_ns : a->started_ns + nr_ads_conversion_ns(a);
}

int nr_ads_tick(nr_ads *a, int64_t now_ns, int *err)
{
    *err = 0;
    if (a->n_ch <= 0) return -1;
    if (a->cur < 0) {
        *err = nr_ads_start(a, 0, now_ns);
        return -1;
    }
    if (now_ns < nr_ads_due(a, now_ns)) return -1;
    uint16_t reg;
    int i = a->cur, r = nr_ads_read(a, &reg);
    if (r < 0) {
        a->cur = -1;
        *err = r;
        return -1;
    }
    a->volts[i] = nr_ads_to_volts(a->chip, a->ch[i].pga, reg);
    a->count[i]++;
    *err = nr_ads_start(a, (i + 1) % a->n_ch, now_ns);
    return i;
}
