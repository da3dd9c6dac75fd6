#include "hw/hw.h"

#include "hw/encoder.h"
#include "hw/fb_text.h"
#include "hw/oled.h"
#include "hw/st7789.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { ROLE_ENC_A, ROLE_ENC_B, ROLE_PUSH, ROLE_GATE0, ROLE_GATE1 };
#define MAX_LINES 8
#define N_INPUTS (NR_NUM_CV + NR_NUM_GATES)

typedef struct {
    nr_ads ads;
    int in_use, online;
    int64_t retry_ns;
} hw_adc;

typedef struct {
    nr_event_type kind;
    int index;
    int slot;        /* channel index in its ADC's round-robin */
    float offset, scale, high, low; /* under hw->lock */
    float raw;       /* last ADC volts, NaN before the first */
    float posted;    /* last value posted (CV) */
    int have, state; /* a value was posted; gate level */
} hw_input;

struct nr_hw {
    nr_hw_config cfg;
    char what[256];
    nr_hw_io io;
    const nr_hw_ops *ops;
    pthread_mutex_t lock; /* calibration, message frame */

    hw_adc adc[NR_HW_MAX_ADC];
    hw_input in[N_INPUTS]; /* CVs, then gates */

    nr_gpio_line *lines[MAX_LINES];
    int role[MAX_LINES], n_lines, enc_ok, wait_failed;
    nr_quad quad;
    nr_button push;
    nr_gate_in ggate[NR_NUM_GATES];
    int ggate_line[NR_NUM_GATES]; /* index in lines[], -1 none */

    nr_oled oled;
    nr_st7789 lcd;
    int display_online;
    int64_t display_retry_ns;
    uint8_t message_fb[NR_OLED_BYTES];
    int message_on;
    int message_unseen; /* a message or splash the display thread has not drawn yet: drawn once even if
                           the instrument's frames took over before the thread ran */
    nr_hw_frame_fn frame;
    void *frame_ctx;

    pthread_t control_thread, display_thread;
    _Atomic int running;
    int threads;
};

static void hw_log(nr_hw *hw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hw_log(nr_hw *hw, const char *fmt, ...)
{
    char msg[512];
    int n = snprintf(msg, sizeof msg, "%s: ", hw->what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    if (hw->io.log) hw->io.log(hw->io.log_ctx, msg);
    else fprintf(stderr, "neurorack: %s\n", msg);
}

static void post(nr_hw *hw, nr_event_type type, int index, float value)
{
    nr_control_event ev = {.type = type, .index = index, .value = value, .time = -1};
    pthread_mutex_lock(&hw->lock);
    nr_hw_post_fn fn = hw->io.post;
    void *ctx = hw->io.post_ctx;
    pthread_mutex_unlock(&hw->lock);
    if (fn) fn(ctx, &ev);
}

static const char *chip_name(nr_ads_chip c) { return c == NR_ADS1115 ? "ADS1115" : "ADS1015"; }

static void input_name(const hw_input *in, char *buf, size_t n)
{
    snprintf(buf, n, "%s %d", in->kind == NR_EV_CV ? "cv" : "gate", in->index + 1);
}

/* "cv 3, gate 1": the inputs that an ADC feeds. */
static void adc_inputs(nr_hw *hw, int a, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; i < N_INPUTS; i++) {
        const nr_hw_input_config *c = i < NR_NUM_CV ? &hw->cfg.cv[i] : &hw->cfg.gate[i - NR_NUM_CV];
        if (c->source != NR_IN_ADC || c->adc != a) continue;
        char name[16];
        input_name(&hw->in[i], name, sizeof name);
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", l ? ", " : "", name);
    }
}

static void adc_failed(nr_hw *hw, int a, int err, int64_t now, int at_open)
{
    hw_adc *d = &hw->adc[a];
    char ins[128];
    adc_inputs(hw, a, ins, sizeof ins);
    if (d->online || at_open)
        hw_log(hw, "[adc %d] %s at 0x%02x on %s: %s%s; %s %s until it answers (retried every %d s)", a,
               chip_name(d->ads.chip), hw->cfg.adc[a].address, d->ads.dev.path, strerror(-err),
               err == -ENXIO || err == -EIO || err == -EREMOTEIO ? " (not connected?)" : "", ins,
               at_open ? "left out" : "keep their last value (gates go low)", (int)(NR_HW_RETRY_NS / 1000000000));
    nr_ads_close(&d->ads);
    d->online = 0;
    d->retry_ns = now + NR_HW_RETRY_NS;
    /* a gate must not stay high while nobody can see it fall: it goes low */
    for (int g = 0; g < NR_NUM_GATES; g++) {
        hw_input *in = &hw->in[NR_NUM_CV + g];
        if (hw->cfg.gate[g].source == NR_IN_ADC && hw->cfg.gate[g].adc == a && in->state) {
            in->state = 0;
            post(hw, NR_EV_GATE, g, 0.0f);
        }
    }
}

static int adc_open(nr_hw *hw, int a, int64_t now)
{
    hw_adc *d = &hw->adc[a];
    const nr_hw_adc_config *c = &hw->cfg.adc[a];
    int r = nr_ads_open(&d->ads, hw->ops, c->bus, c->address, c->chip, c->rate, now);
    if (r < 0) return r;
    d->online = 1;
    return 0;
}

static void setup_adcs(nr_hw *hw, int64_t now)
{
    for (int i = 0; i < N_INPUTS; i++) {
        const nr_hw_input_config *c = i < NR_NUM_CV ? &hw->cfg.cv[i] : &hw->cfg.gate[i - NR_NUM_CV];
        hw->in[i].slot = -1;
        if (c->source != NR_IN_ADC) continue;
        nr_ads *ads = &hw->adc[c->adc].ads;
        nr_ads_channel ch = {.mux = c->mux, .pga = nr_ads_pga_field(c->range)};
        int s = 0;
        while (s < ads->n_ch && (ads->ch[s].mux != ch.mux || ads->ch[s].pga != ch.pga)) s++;
        if (s == ads->n_ch) ads->ch[ads->n_ch++] = ch; /* at most 4: checked by the config reader */
        hw->in[i].slot = s;
        hw->adc[c->adc].in_use = 1;
    }
    for (int a = 0; a < NR_HW_MAX_ADC; a++) {
        hw->adc[a].ads.dev.fd = -1;
        if (!hw->adc[a].in_use) continue;
        int r = adc_open(hw, a, now);
        if (r < 0) adc_failed(hw, a, r, now, 1);
    }
}

static int add_line(nr_hw *hw, int line, nr_gpio_bias bias, int role)
{
    nr_gpio_line *l;
    int r = hw->ops->gpio_request(hw->ops->ctx, hw->cfg.enc.chip, line, NR_GPIO_INPUT_EDGES, bias, 0, &l);
    if (r < 0) return r;
    hw->lines[hw->n_lines] = l;
    hw->role[hw->n_lines++] = role;
    return hw->n_lines - 1;
}

static int line_level(nr_hw *hw, int i)
{
    int v = hw->ops->gpio_get(hw->ops->ctx, hw->lines[i]);
    return v > 0;
}

static void setup_gpio(nr_hw *hw, int64_t now)
{
    const nr_hw_encoder_config *e = &hw->cfg.enc;
    if (e->used) {
        int ia = add_line(hw, e->a, e->bias, ROLE_ENC_A), ib = ia < 0 ? ia : add_line(hw, e->b, e->bias, ROLE_ENC_B);
        int ip = ib < 0 || e->push < 0 ? -1 : add_line(hw, e->push, e->bias, ROLE_PUSH);
        int err = ia < 0 ? ia : ib < 0 ? ib : e->push >= 0 && ip < 0 ? ip : 0;
        if (err < 0) {
            hw_log(hw, "[encoder] lines %d/%d/%d on %s: %s; the encoder is left out", e->a, e->b, e->push, e->chip,
                   strerror(-err));
            while (hw->n_lines > 0) hw->ops->gpio_release(hw->ops->ctx, hw->lines[--hw->n_lines]);
        } else {
            hw->enc_ok = 1;
            nr_quad_init(&hw->quad, line_level(hw, ia), line_level(hw, ib));
            if (ip >= 0) nr_button_init(&hw->push, line_level(hw, ip) ^ e->push_active_low, e->debounce_ms, e->long_ms);
            else nr_button_init(&hw->push, 0, e->debounce_ms, e->long_ms);
        }
    }
    for (int g = 0; g < NR_NUM_GATES; g++) {
        const nr_hw_input_config *c = &hw->cfg.gate[g];
        hw->ggate_line[g] = -1;
        if (c->source != NR_IN_GPIO) continue;
        int i = add_line(hw, c->line, c->bias, ROLE_GATE0 + g);
        if (i < 0) {
            hw_log(hw, "[gate %d] line %d on %s: %s; gate %d is left out", g + 1, c->line, e->chip, strerror(-i), g + 1);
            continue;
        }
        hw->ggate_line[g] = i;
        int level = line_level(hw, i) ^ c->invert;
        nr_gate_init(&hw->ggate[g], level, c->lockout_us);
        hw->in[NR_NUM_CV + g].state = level;
        if (level) post(hw, NR_EV_GATE, g, 1.0f);
    }
    (void)now;
}

static const char *display_name(const nr_hw_display_config *d)
{
    return d->kind == NR_DISPLAY_SH1106 ? "SH1106" : d->kind == NR_DISPLAY_SSD1306 ? "SSD1306" : "ST7789";
}

static void display_failed(nr_hw *hw, int err, const char *step, int64_t now)
{
    const nr_hw_display_config *d = &hw->cfg.display;
    if (hw->display_online || !hw->display_retry_ns) {
        if (d->kind == NR_DISPLAY_ST7789)
            hw_log(hw, "[display] ST7789 (%s): %s; no display until it answers (retried every %d s)", step,
                   strerror(-err), (int)(NR_HW_RETRY_NS / 1000000000));
        else
            hw_log(hw, "[display] %s at 0x%02x on /dev/i2c-%d: %s%s; no display until it answers (retried every %d s)",
                   display_name(d), d->address, d->bus, strerror(-err),
                   err == -ENXIO || err == -EIO || err == -EREMOTEIO ? " (not connected?)" : "", (int)(NR_HW_RETRY_NS / 1000000000));
    }
    if (d->kind == NR_DISPLAY_ST7789) nr_st7789_close(&hw->lcd);
    else nr_oled_close(&hw->oled);
    hw->display_online = 0;
    hw->display_retry_ns = now + NR_HW_RETRY_NS;
}

static void display_open(nr_hw *hw, int64_t now)
{
    const nr_hw_display_config *d = &hw->cfg.display;
    int r;
    const char *step = "";
    if (d->kind == NR_DISPLAY_NONE) return;
    if (d->kind == NR_DISPLAY_ST7789) {
        nr_st7789_config lc = {.spi_path = d->spi, .speed_hz = (uint32_t)d->speed_hz, .spi_mode = d->spi_mode,
                               .gpio_chip = hw->cfg.enc.chip, .dc_line = d->dc, .reset_line = d->reset,
                               .backlight_line = d->backlight, .fg = (uint16_t)d->fg, .bg = (uint16_t)d->bg};
        r = nr_st7789_open(&hw->lcd, hw->ops, &lc, &step);
    } else {
        r = nr_oled_open(&hw->oled, hw->ops, d->bus, d->address,
                         d->kind == NR_DISPLAY_SH1106 ? NR_OLED_SH1106 : NR_OLED_SSD1306, d->contrast, d->flip);
    }
    if (r < 0) {
        display_failed(hw, r, step, now);
        return;
    }
    if (hw->display_retry_ns) hw_log(hw, "[display] %s answers again", display_name(d));
    hw->display_online = 1;
}

nr_result nr_hw_open(const nr_hw_config *cfg, const char *what, const nr_hw_io *io, nr_hw **out)
{
    *out = NULL;
    if (!cfg || !io) return nr_fail(NR_ERR_ARG, "nr_hw_open: no configuration");
    nr_hw *hw = calloc(1, sizeof *hw);
    if (!hw) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
    hw->cfg = *cfg;
    for (int a = 0; a < NR_HW_MAX_ADC; a++)
        if (hw->cfg.adc[a].bus < 0) hw->cfg.adc[a].bus = cfg->i2c_bus;
    if (hw->cfg.display.bus < 0) hw->cfg.display.bus = cfg->i2c_bus;
    snprintf(hw->what, sizeof hw->what, "%s", what ? what : "hardware");
    hw->io = *io;
    hw->ops = io->ops ? io->ops : nr_hw_ops_linux();
    pthread_mutex_init(&hw->lock, NULL);
    hw->oled.dev.fd = -1;
    hw->lcd.fd = -1;
    for (int i = 0; i < N_INPUTS; i++) {
        hw_input *in = &hw->in[i];
        const nr_hw_input_config *c = i < NR_NUM_CV ? &cfg->cv[i] : &cfg->gate[i - NR_NUM_CV];
        in->kind = i < NR_NUM_CV ? NR_EV_CV : NR_EV_GATE;
        in->index = i < NR_NUM_CV ? i : i - NR_NUM_CV;
        in->offset = c->offset;
        in->scale = c->scale;
        in->high = c->high;
        in->low = c->low;
        in->raw = NAN;
    }
    int64_t now = hw->ops->now_ns(hw->ops->ctx);
    setup_adcs(hw, now);
    setup_gpio(hw, now);
    *out = hw; /* the display opens with its first frame (nr_hw_display_frame), off the caller's path */
    return NR_OK;
}

static void remove_crash_handler(nr_hw *hw);

void nr_hw_close(nr_hw *hw)
{
    if (!hw) return;
    remove_crash_handler(hw);
    nr_hw_stop(hw);
    for (int a = 0; a < NR_HW_MAX_ADC; a++) nr_ads_close(&hw->adc[a].ads);
    for (int i = 0; i < hw->n_lines; i++) hw->ops->gpio_release(hw->ops->ctx, hw->lines[i]);
    if (hw->cfg.display.kind == NR_DISPLAY_ST7789) nr_st7789_close(&hw->lcd);
    else nr_oled_close(&hw->oled);
    pthread_mutex_destroy(&hw->lock);
    free(hw);
}

/* A conversion of ADC a, channel slot s, is in: calibrate and post each input it feeds. */
static void adc_result(nr_hw *hw, int a, int s)
{
    float v = hw->adc[a].ads.volts[s];
    for (int i = 0; i < N_INPUTS; i++) {
        hw_input *in = &hw->in[i];
        const nr_hw_input_config *c = i < NR_NUM_CV ? &hw->cfg.cv[i] : &hw->cfg.gate[i - NR_NUM_CV];
        if (c->source != NR_IN_ADC || c->adc != a || in->slot != s) continue;
        pthread_mutex_lock(&hw->lock);
        float x = (v - in->offset) * in->scale, hi = in->high, lo = in->low;
        in->raw = v;
        pthread_mutex_unlock(&hw->lock);
        if (in->kind == NR_EV_CV) {
            if (!in->have || fabsf(x - in->posted) >= c->deadband) {
                in->have = 1;
                in->posted = x;
                post(hw, NR_EV_CV, in->index, x);
            }
        } else if (!in->state && x >= hi) {
            in->state = 1;
            post(hw, NR_EV_GATE, in->index, 1.0f);
        } else if (in->state && x <= lo) {
            in->state = 0;
            post(hw, NR_EV_GATE, in->index, 0.0f);
        }
    }
}

typedef struct {
    int line;
    nr_gpio_event ev;
} timed_edge;

static int cmp_edge(const void *a, const void *b)
{
    const timed_edge *x = a, *y = b;
    return x->ev.ns < y->ev.ns ? -1 : x->ev.ns > y->ev.ns;
}

static void apply_edge(nr_hw *hw, int i, int level, int64_t t)
{
    int role = hw->role[i];
    if (role == ROLE_ENC_A || role == ROLE_ENC_B) {
        int d = nr_quad_update(&hw->quad, role == ROLE_ENC_A ? level : hw->quad.a, role == ROLE_ENC_B ? level : hw->quad.b);
        if (d) post(hw, NR_EV_ENCODER, 0, (float)(hw->cfg.enc.reverse ? -d : d));
    } else if (role == ROLE_PUSH) {
        nr_button_edge(&hw->push, level ^ hw->cfg.enc.push_active_low, t);
    } else {
        int g = role - ROLE_GATE0;
        if (nr_gate_edge(&hw->ggate[g], level ^ hw->cfg.gate[g].invert, t)) {
            hw->in[NR_NUM_CV + g].state = hw->ggate[g].level;
            post(hw, NR_EV_GATE, g, (float)hw->ggate[g].level);
        }
    }
}

/* Read every pending edge of the ready lines, and apply them in time order across lines (quadrature
 * depends on the order of A and B edges). */
static void read_edges(nr_hw *hw, int mask, int64_t now)
{
    timed_edge edges[64];
    int n = 0;
    for (int i = 0; i < hw->n_lines; i++) {
        if (!(mask >> i & 1)) continue;
        for (int k = 0; k < 16 && n < 64; k++) {
            if (k > 0 && !(hw->ops->gpio_wait(hw->ops->ctx, &hw->lines[i], 1, 0) & 1)) break;
            timed_edge *e = &edges[n];
            if (hw->ops->gpio_read_event(hw->ops->ctx, hw->lines[i], &e->ev) < 0) break;
            /* a kernel older than 5.7 stamps edges with the wall clock: then use the time of reading */
            if (e->ev.ns > now + 1000000000LL || e->ev.ns < now - 1000000000LL) e->ev.ns = now;
            e->line = i;
            n++;
        }
    }
    qsort(edges, (size_t)n, sizeof edges[0], cmp_edge);
    for (int k = 0; k < n; k++) apply_edge(hw, edges[k].line, edges[k].ev.rising, edges[k].ev.ns);
}

void nr_hw_step(nr_hw *hw, int max_wait_ms)
{
    const nr_hw_ops *o = hw->ops;
    int64_t now = o->now_ns(o->ctx), deadline = now + (int64_t)max_wait_ms * 1000000;
    for (int a = 0; a < NR_HW_MAX_ADC; a++) {
        hw_adc *d = &hw->adc[a];
        if (!d->in_use) continue;
        int64_t t = d->online ? nr_ads_due(&d->ads, now) : d->retry_ns;
        if (t < deadline) deadline = t;
    }
    if (hw->enc_ok && nr_button_deadline(&hw->push) < deadline) deadline = nr_button_deadline(&hw->push);
    for (int g = 0; g < NR_NUM_GATES; g++)
        if (hw->ggate_line[g] >= 0 && hw->ggate[g].recheck) {
            int64_t t = hw->ggate[g].change_ns + hw->ggate[g].lockout_ns;
            if (t < deadline) deadline = t;
        }
    int timeout = deadline > now ? (int)((deadline - now + 999999) / 1000000) : 0;
    if (timeout > max_wait_ms) timeout = max_wait_ms;
    if (hw->n_lines > 0) {
        int mask = o->gpio_wait(o->ctx, hw->lines, hw->n_lines, timeout);
        if (mask > 0) read_edges(hw, mask, o->now_ns(o->ctx));
        if (mask < 0) { /* the lines cannot be waited on: say so once, and do not spin */
            if (!hw->wait_failed) hw_log(hw, "[encoder] waiting for GPIO edges failed: %s", strerror(-mask));
            hw->wait_failed = 1;
            if (timeout > 0) o->sleep_us(o->ctx, (long)timeout * 1000);
        }
    } else if (timeout > 0) {
        o->sleep_us(o->ctx, (long)timeout * 1000);
    }
    now = o->now_ns(o->ctx);
    if (hw->enc_ok) {
        int b = nr_button_poll(&hw->push, now);
        if (b == NR_BUTTON_SHORT) post(hw, NR_EV_PUSH, 0, 1.0f);
        if (b == NR_BUTTON_LONG) post(hw, NR_EV_LONG_PUSH, 0, 1.0f);
    }
    for (int g = 0; g < NR_NUM_GATES; g++) {
        nr_gate_in *gi = &hw->ggate[g];
        if (hw->ggate_line[g] < 0 || !gi->recheck || now - gi->change_ns < gi->lockout_ns) continue;
        if (nr_gate_recheck(gi, line_level(hw, hw->ggate_line[g]) ^ hw->cfg.gate[g].invert, now)) {
            hw->in[NR_NUM_CV + g].state = gi->level;
            post(hw, NR_EV_GATE, g, (float)gi->level);
        }
    }
    for (int a = 0; a < NR_HW_MAX_ADC; a++) {
        hw_adc *d = &hw->adc[a];
        if (!d->in_use) continue;
        if (!d->online) {
            if (now < d->retry_ns) continue;
            if (adc_open(hw, a, now) < 0) {
                d->retry_ns = now + NR_HW_RETRY_NS;
                continue;
            }
            hw_log(hw, "[adc %d] %s at 0x%02x answers again", a, chip_name(d->ads.chip), hw->cfg.adc[a].address);
            continue;
        }
        int err, s = nr_ads_tick(&d->ads, now, &err);
        if (s >= 0) adc_result(hw, a, s);
        if (err < 0) adc_failed(hw, a, err, now, 0);
    }
}

static hw_input *find_input(nr_hw *hw, nr_event_type kind, int index)
{
    if (kind == NR_EV_CV && index >= 0 && index < NR_NUM_CV) return &hw->in[index];
    if (kind == NR_EV_GATE && index >= 0 && index < NR_NUM_GATES) return &hw->in[NR_NUM_CV + index];
    return NULL;
}

nr_result nr_hw_set_calibration(nr_hw *hw, nr_event_type kind, int index, float offset, float scale)
{
    hw_input *in = find_input(hw, kind, index);
    if (!in) return nr_fail(NR_ERR_ARG, "calibration: no such input (kind %d, index %d)", (int)kind, index);
    if (!isfinite(offset) || !isfinite(scale) || scale == 0)
        return nr_fail(NR_ERR_VALUE, "calibration of input %d: offset %g, scale %g; expected finite values, scale not 0",
                       index + 1, offset, scale);
    pthread_mutex_lock(&hw->lock);
    in->offset = offset;
    in->scale = scale;
    pthread_mutex_unlock(&hw->lock);
    return NR_OK;
}

nr_result nr_hw_set_gate_thresholds(nr_hw *hw, int index, float high, float low)
{
    hw_input *in = find_input(hw, NR_EV_GATE, index);
    if (!in) return nr_fail(NR_ERR_ARG, "gate thresholds: no gate %d; expected 1 or 2", index + 1);
    if (!isfinite(high) || !isfinite(low) || high <= low)
        return nr_fail(NR_ERR_VALUE, "gate %d thresholds: high %g V must be above low %g V", index + 1, high, low);
    pthread_mutex_lock(&hw->lock);
    in->high = high;
    in->low = low;
    pthread_mutex_unlock(&hw->lock);
    return NR_OK;
}

float nr_hw_raw_volts(nr_hw *hw, nr_event_type kind, int index)
{
    hw_input *in = find_input(hw, kind, index);
    if (!in) return NAN;
    pthread_mutex_lock(&hw->lock);
    float v = in->raw;
    pthread_mutex_unlock(&hw->lock);
    return v;
}

int nr_hw_input_online(nr_hw *hw, nr_event_type kind, int index)
{
    hw_input *in = find_input(hw, kind, index);
    if (!in) return 0;
    const nr_hw_input_config *c = kind == NR_EV_CV ? &hw->cfg.cv[index] : &hw->cfg.gate[index];
    if (c->source == NR_IN_ADC) return hw->adc[c->adc].online;
    if (c->source == NR_IN_GPIO) return hw->ggate_line[index] >= 0;
    return 0;
}

int nr_hw_display_frame(nr_hw *hw, const uint8_t *fb)
{
    const nr_hw_display_config *d = &hw->cfg.display;
    if (d->kind == NR_DISPLAY_NONE) return 0;
    int64_t now = hw->ops->now_ns(hw->ops->ctx);
    if (!hw->display_online) {
        if (now < hw->display_retry_ns) return 0;
        display_open(hw, now);
        if (!hw->display_online) return 0;
    }
    int r = d->kind == NR_DISPLAY_ST7789 ? nr_st7789_flush(&hw->lcd, fb) : nr_oled_flush(&hw->oled, fb);
    if (r < 0) {
        display_failed(hw, r, d->spi, now);
        return 0;
    }
    return r;
}

void nr_hw_show_message(nr_hw *hw, const char *title, const char *body)
{
    uint8_t fb[NR_OLED_BYTES];
    pthread_mutex_lock(&hw->lock);
    hw->message_on = title != NULL;
    if (title) {
        nr_hw_fb_message(hw->message_fb, title, body);
        hw->message_unseen = hw->threads; /* without threads it is drawn here */
    }
    memcpy(fb, hw->message_fb, sizeof fb);
    pthread_mutex_unlock(&hw->lock);
    if (title && !hw->threads) nr_hw_display_frame(hw, fb);
}

void nr_hw_set_splash(nr_hw *hw, const char *status)
{
    pthread_mutex_lock(&hw->lock);
    hw->message_on = 1;
    hw->message_unseen = 1;
    nr_hw_fb_splash(hw->message_fb, status);
    pthread_mutex_unlock(&hw->lock);
}

void nr_hw_show_splash(nr_hw *hw, const char *status)
{
    nr_hw_set_splash(hw, status);
    if (hw->threads) return;
    uint8_t fb[NR_OLED_BYTES];
    pthread_mutex_lock(&hw->lock);
    memcpy(fb, hw->message_fb, sizeof fb);
    hw->message_unseen = 0;
    pthread_mutex_unlock(&hw->lock);
    nr_hw_display_frame(hw, fb);
}

static void *control_main(void *arg)
{
    nr_hw *hw = arg;
    while (hw->running) nr_hw_step(hw, 20);
    return NULL;
}

static void *display_main(void *arg)
{
    nr_hw *hw = arg;
    uint8_t fb[NR_OLED_BYTES];
    long period_us = 1000000L / (hw->cfg.display.fps > 0 ? hw->cfg.display.fps : 30);
    while (hw->running) {
        pthread_mutex_lock(&hw->lock);
        int msg = hw->message_on || hw->message_unseen;
        nr_hw_frame_fn frame = hw->frame;
        void *frame_ctx = hw->frame_ctx;
        if (msg) memcpy(fb, hw->message_fb, sizeof fb);
        hw->message_unseen = 0;
        pthread_mutex_unlock(&hw->lock);
        if (msg || frame) {
            if (!msg) frame(frame_ctx, fb);
            nr_hw_display_frame(hw, fb);
        }
        hw->ops->sleep_us(hw->ops->ctx, period_us);
    }
    return NULL;
}

void nr_hw_set_sink(nr_hw *hw, nr_hw_post_fn post_fn, void *post_ctx, nr_hw_frame_fn frame, void *frame_ctx)
{
    pthread_mutex_lock(&hw->lock);
    hw->io.post = post_fn;
    hw->io.post_ctx = post_ctx;
    hw->frame = frame;
    hw->frame_ctx = frame_ctx;
    pthread_mutex_unlock(&hw->lock);
}

nr_result nr_hw_start(nr_hw *hw)
{
    if (hw->threads) return NR_OK;
    hw->running = 1;
    if (pthread_create(&hw->control_thread, NULL, control_main, hw)) {
        hw->running = 0;
        return nr_fail(NR_ERR_NOMEM, "%s: cannot start the control thread", hw->what);
    }
    if (pthread_create(&hw->display_thread, NULL, display_main, hw)) {
        hw->running = 0;
        pthread_join(hw->control_thread, NULL);
        return nr_fail(NR_ERR_NOMEM, "%s: cannot start the display thread", hw->what);
    }
    hw->threads = 1;
    return NR_OK;
}

void nr_hw_stop(nr_hw *hw)
{
    if (!hw->threads) return;
    hw->running = 0;
    pthread_join(hw->control_thread, NULL);
    pthread_join(hw->display_thread, NULL);
    hw->threads = 0;
}

static nr_hw *g_crash_hw;
static const int g_crash_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define N_CRASH_SIGS (sizeof g_crash_sigs / sizeof g_crash_sigs[0])
static struct sigaction g_crash_old[N_CRASH_SIGS];

static void crash_handler(int sig)
{
    static uint8_t fb[NR_OLED_BYTES];
    static const char msg[] = "neurorack: crashed; the service restarts it\n";
    nr_hw *hw = g_crash_hw;
    if (hw && hw->display_online) {
        nr_hw_fb_message(fb, "CRASHED", sig == SIGABRT ? "ABORTED. RESTARTING..." : "FATAL SIGNAL. RESTARTING...");
        if (hw->cfg.display.kind == NR_DISPLAY_ST7789) nr_st7789_flush(&hw->lcd, fb);
        else nr_oled_flush(&hw->oled, fb);
    }
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

void nr_hw_install_crash_handler(nr_hw *hw)
{
    if (g_crash_hw) return;
    g_crash_hw = hw;
    for (size_t i = 0; i < N_CRASH_SIGS; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = crash_handler;
        sa.sa_flags = SA_RESETHAND;
        sigaction(g_crash_sigs[i], &sa, &g_crash_old[i]);
    }
}

static void remove_crash_handler(nr_hw *hw)
{
    if (g_crash_hw != hw) return;
    for (size_t i = 0; i < N_CRASH_SIGS; i++) sigaction(g_crash_sigs[i], &g_crash_old[i], NULL);
    g_crash_hw = NULL;
}
