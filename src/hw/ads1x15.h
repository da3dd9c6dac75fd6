/* TI ADS1015 (12-bit, up to 3300 SPS) and ADS1115 (16-bit, up to 860 SPS) ADCs on I2C, in single-shot
 * mode, round-robin over the channels in use: each tick reads the finished conversion and starts the
 * next one, so no call waits for the converter. Control thread only. */
#ifndef NR_HW_ADS1X15_H
#define NR_HW_ADS1X15_H

#include "hw/i2c.h"

typedef enum { NR_ADS1015 = 0, NR_ADS1115 } nr_ads_chip;

#define NR_ADS_MAX_CH 4
#define NR_ADS_REG_CONVERSION 0x00
#define NR_ADS_REG_CONFIG 0x01

typedef struct {
    int mux; /* MUX field: 0 = AIN0-AIN1, 1 = AIN0-AIN3, 2 = AIN1-AIN3, 3 = AIN2-AIN3, 4..7 = AIN0..AIN3 to GND */
    int pga; /* PGA field 0..5: full scale 6.144, 4.096, 2.048, 1.024, 0.512, 0.256 V */
} nr_ads_channel;

typedef struct {
    nr_i2c_dev dev;
    nr_ads_chip chip;
    int dr;                 /* data-rate field */
    int n_ch;
    nr_ads_channel ch[NR_ADS_MAX_CH];
    float volts[NR_ADS_MAX_CH]; /* last result per channel, volts at the pins */
    uint32_t count[NR_ADS_MAX_CH]; /* results so far per channel */
    int cur;                /* channel being converted, -1 = none */
    int64_t started_ns;
} nr_ads;

/* Data-rate field for `sps` samples per second (one of the chip's rates), or -1. */
int nr_ads_rate_field(nr_ads_chip chip, int sps);
/* PGA field for a full scale of `volts` (6.144 ... 0.256), or -1. */
int nr_ads_pga_field(float volts);
float nr_ads_full_scale(int pga);
/* The config register value that starts one single-shot conversion, comparator off. */
uint16_t nr_ads_config_word(int mux, int pga, int dr);
/* Register value of the conversion register -> volts at the pins. */
float nr_ads_to_volts(nr_ads_chip chip, int pga, uint16_t reg);
/* Time one conversion takes, with the oscillator's 10% tolerance and the wake-up from power-down. */
int64_t nr_ads_conversion_ns(const nr_ads *a);

/* Opens the device and starts the first conversion (so a missing chip is found here). 0 or -errno. */
int nr_ads_open(nr_ads *a, const nr_hw_ops *ops, int bus, int addr, nr_ads_chip chip, int sps, int64_t now_ns);
void nr_ads_close(nr_ads *a);
/* If the running conversion is done at now_ns: read it into volts[], start the next channel.
 * Returns the channel just read, or -1 (nothing due, or a failure: then *err = -errno, else 0). */
int nr_ads_tick(nr_ads *a, int64_t now_ns, int *err);
/* When the running conversion is done (now_ns if none runs). */
int64_t nr_ads_due(const nr_ads *a, int64_t now_ns);
/* Write the config register to start a conversion of channel i / read the conversion register. */
int nr_ads_start(nr_ads *a, int i, int64_t now_ns);
int nr_ads_read(nr_ads *a, uint16_t *reg);

#endif
