/* The module's hardware in one text file (docs/hardware.md): I2C bus, ADCs, the 4 CV and 2 gate inputs
 * with their calibration, the encoder, the display and the audio device. Not audio-thread safe. */
#ifndef NR_HW_CONFIG_H
#define NR_HW_CONFIG_H

#include "hw/ads1x15.h"
#include "nr/instrument.h"

#define NR_HW_MAX_ADC 4
#define NR_HW_NAME 64

typedef struct {
    int used;
    nr_ads_chip chip;
    int bus, address;
    int rate;         /* conversions per second (one of the chip's data rates), shared by its channels */
} nr_hw_adc_config;

typedef enum { NR_IN_NONE = 0, NR_IN_ADC, NR_IN_GPIO } nr_hw_in_source;

typedef struct {
    nr_hw_in_source source;
    int adc;          /* [adc N] */
    int mux;          /* ADS MUX field (nr_ads_channel) */
    float range;      /* PGA full scale, volts */
    float offset, scale; /* calibration: module volts = (ADC volts - offset) * scale */
    float deadband;   /* CV: smallest change posted, volts */
    float high, low;  /* gate: rising / falling thresholds in module volts (hysteresis) */
    int line;         /* gate on GPIO: line offset on the encoder's chip */
    int invert;
    nr_gpio_bias bias;
    int lockout_us;   /* gate on GPIO: edges ignored this long after a change */
    int line_no;      /* where the section began (for messages), 0 = default */
} nr_hw_input_config;

typedef struct {
    int used;
    char chip[NR_HW_NAME]; /* gpiochip name, path or label; also used by GPIO gates and the LCD */
    int a, b, push;        /* line offsets; push -1 = none */
    nr_gpio_bias bias;
    int push_active_low;
    int reverse;
    int debounce_ms, long_ms;
} nr_hw_encoder_config;

typedef enum { NR_DISPLAY_NONE = 0, NR_DISPLAY_SH1106, NR_DISPLAY_SSD1306, NR_DISPLAY_ST7789 } nr_hw_display_kind;

typedef struct {
    nr_hw_display_kind kind;
    int bus, address, contrast, flip;
    int fps;
    char spi[NR_HW_NAME];
    int speed_hz, spi_mode, dc, reset, backlight;
    int fg, bg; /* RGB565 */
} nr_hw_display_config;

typedef struct {
    char device[128]; /* ALSA PCM name of the I2S DAC */
    int rate, period, periods;
    int rt_priority;  /* SCHED_FIFO priority of the audio thread, 0 = none */
} nr_hw_audio_config;

/* OSC for a module meant to be played over a network (docs/hardware.md): off unless a port is given. */
typedef struct {
    int port;       /* UDP port, 0 = no OSC */
    char bind[64];  /* IP address to listen on; "" = 127.0.0.1 (this machine only) */
} nr_hw_osc_config;

typedef struct {
    int i2c_bus;
    nr_hw_adc_config adc[NR_HW_MAX_ADC];
    nr_hw_input_config cv[NR_NUM_CV];
    nr_hw_input_config gate[NR_NUM_GATES];
    nr_hw_encoder_config enc;
    nr_hw_display_config display;
    nr_hw_audio_config audio;
    nr_hw_osc_config osc;
} nr_hw_config;

/* The original module's wiring: two ADS1015 at 0x48/0x49 on /dev/i2c-1 (CV 1-4 on the first, gates on
 * the second), encoder on GPIO 17/27 with push on 22, SH1106 OLED at 0x3c, I2S DAC. */
nr_hw_config nr_hw_config_init(void);
/* Defaults, then the file's settings; every error names file and line. */
nr_result nr_hw_config_read(const char *path, nr_hw_config *cfg);
nr_result nr_hw_config_parse(const char *text, const char *what, nr_hw_config *cfg);

#endif
