/* The whole hardware layer (nr_hw) with the original wiring against the recording fake: CVs and gates
 * from two ADS1015s become calibrated control events, an unplugged ADC or display gives one clear
 * message and the rest keeps working (and comes back when it answers), messages reach the OLED. */
#include "hw/fb_text.h"
#include "hw/hw.h"
#include "nr_test.h"
#include "test_hw_fake.h"

#include <math.h>
#include <time.h>

#define MS 1000000LL
#define US 1000LL

/* Conversion register of an ADS1015 at +-4.096 V for v volts. */
static uint16_t ads1015_reg(float v) { return (uint16_t)(int16_t)(lrintf(v / 0.002f) * 16); }

static void run_for(nr_hw *hw, int64_t ns)
{
    int64_t end = F.now + ns;
    while (F.now < end) {
        F.now += 250 * US;
        nr_hw_step(hw, 0);
    }
}

/* Last value posted for (type, index), NaN if none. */
static float last_event(nr_event_type type, int index)
{
    float v = NAN;
    for (int i = 0; i < F.n_posted; i++)
        if (F.posted[i].type == type && F.posted[i].index == index) v = F.posted[i].value;
    return v;
}

static void setup_chips(void)
{
    fake_reset();
    F.n_ads = 2;
    F.ads[0].addr = 0x48;
    F.ads[1].addr = 0x49;
    for (int ch = 0; ch < 4; ch++) F.ads[0].value[4 + ch] = ads1015_reg(0.5f * (float)(ch + 1));
    /* the encoder lines rest high */
    fake_line(17, 1);
    fake_line(27, 1);
    fake_line(22, 1);
}

static void test_cv_and_gates(void)
{
    setup_chips();
    nr_hw_config c = nr_hw_config_init();
    c.display.kind = NR_DISPLAY_NONE;
    nr_hw_io io = fake_io();
    nr_hw *hw;
    NT_CHECK(nr_hw_open(&c, "hw.conf", &io, &hw) == NR_OK);
    NT_CHECKF(F.n_logs == 0, "log: %s", F.logs[0]);
    /* both chips start converting their first channel at open */
    NT_CHECK(strstr(F.log, "write 0x48 01 c3 83\n") && strstr(F.log, "write 0x49 01 c3 83\n"));
    run_for(hw, 4 * MS);
    for (int i = 0; i < 4; i++)
        NT_CHECKF(fabsf(last_event(NR_EV_CV, i) - 0.5f * (float)(i + 1)) < 0.003f, "cv %d: %g", i + 1,
                  last_event(NR_EV_CV, i));
    NT_CHECK(isnan(last_event(NR_EV_GATE, 0)) && isnan(last_event(NR_EV_GATE, 1)));
    /* round-robin over exactly the four single-ended channels of the first chip */
    NT_CHECK(fake_count("write 0x48 01 c3 83") >= 2 && fake_count("write 0x48 01 d3 83") >= 1 &&
             fake_count("write 0x48 01 e3 83") >= 1 && fake_count("write 0x48 01 f3 83") >= 1);
    NT_CHECK(fake_count("write 0x49 01 e3") == 0); /* the second chip converts only the gates' AIN0/AIN1 */
    /* a change inside the dead band posts nothing; outside it, the new value */
    int before = F.n_posted;
    F.ads[0].value[4] = ads1015_reg(0.504f);
    run_for(hw, 4 * MS);
    NT_CHECK(F.n_posted == before);
    F.ads[0].value[4] = ads1015_reg(-1.0f);
    run_for(hw, 4 * MS);
    NT_CHECK(F.n_posted == before + 1 && fabsf(last_event(NR_EV_CV, 0) + 1.0f) < 0.003f);
    /* gate 1 with hysteresis: 2 V is high, 1 V (between 0.8 and 1.5) stays high, 0.5 V is low */
    F.ads[1].value[4] = ads1015_reg(2.0f);
    run_for(hw, 3 * MS);
    NT_CHECK(last_event(NR_EV_GATE, 0) == 1.0f);
    F.ads[1].value[4] = ads1015_reg(1.0f);
    run_for(hw, 3 * MS);
    int n_gate = 0;
    for (int i = 0; i < F.n_posted; i++) n_gate += F.posted[i].type == NR_EV_GATE;
    NT_CHECK(n_gate == 1);
    F.ads[1].value[4] = ads1015_reg(0.5f);
    run_for(hw, 3 * MS);
    NT_CHECK(last_event(NR_EV_GATE, 0) == 0.0f);
    /* calibration from the menu: cv 2 reads 1.0 V at the pin -> (1.0 - 0.25) * 2 = 1.5 V */
    NT_CHECK(fabsf(nr_hw_raw_volts(hw, NR_EV_CV, 1) - 1.0f) < 0.003f);
    NT_CHECK(nr_hw_set_calibration(hw, NR_EV_CV, 1, 0.25f, 2.0f) == NR_OK);
    run_for(hw, 4 * MS);
    NT_CHECK(fabsf(last_event(NR_EV_CV, 1) - 1.5f) < 0.006f);
    NT_CHECK(nr_hw_set_calibration(hw, NR_EV_CV, 1, NAN, 1) == NR_ERR_VALUE);
    NT_CHECK(nr_hw_set_calibration(hw, NR_EV_CV, 7, 0, 1) == NR_ERR_ARG);
    NT_CHECK(nr_hw_set_gate_thresholds(hw, 0, 1.0f, 2.0f) == NR_ERR_VALUE);
    /* gate thresholds from the menu: 1 V is now high */
    NT_CHECK(nr_hw_set_gate_thresholds(hw, 0, 0.9f, 0.3f) == NR_OK);
    F.ads[1].value[4] = ads1015_reg(1.0f);
    run_for(hw, 3 * MS);
    NT_CHECK(last_event(NR_EV_GATE, 0) == 1.0f);
    /* every event applies as soon as possible */
    for (int i = 0; i < F.n_posted; i++) NT_CHECK(F.posted[i].time == -1);
    nr_hw_close(hw);
}

static void test_unplugged_adc(void)
{
    setup_chips();
    F.n_fail = 1;
    F.fail_addr[0] = 0x49;
    F.fail_err[0] = ENXIO;
    nr_hw_config c = nr_hw_config_init();
    c.display.kind = NR_DISPLAY_NONE;
    nr_hw_io io = fake_io();
    nr_hw *hw;
    NT_CHECK(nr_hw_open(&c, "/etc/neurorack/hardware.conf", &io, &hw) == NR_OK);
    NT_CHECKF(F.n_logs == 1 && !strcmp(F.logs[0], "/etc/neurorack/hardware.conf: [adc 1] ADS1015 at 0x49 on "
                                                  "/dev/i2c-1: No such device or address (not connected?); gate 1, "
                                                  "gate 2 left out until it answers (retried every 2 s)"),
              "log: %s", F.logs[0]);
    NT_CHECK(!nr_hw_input_online(hw, NR_EV_GATE, 0) && nr_hw_input_online(hw, NR_EV_CV, 3));
    F.ads[1].value[4] = ads1015_reg(3.0f);
    run_for(hw, 4 * MS);
    /* the CVs keep working; the gates are silent */
    NT_CHECK(fabsf(last_event(NR_EV_CV, 3) - 2.0f) < 0.003f && isnan(last_event(NR_EV_GATE, 0)));
    /* plugged back: found at the next retry, and gate 1 works */
    F.n_fail = 0;
    run_for(hw, 2100 * MS);
    NT_CHECKF(F.n_logs == 2 && strstr(F.logs[1], "[adc 1] ADS1015 at 0x49 answers again"), "log: %s", F.logs[1]);
    NT_CHECK(last_event(NR_EV_GATE, 0) == 1.0f && nr_hw_input_online(hw, NR_EV_GATE, 0));
    /* pulled out again while gate 1 is high: the gate goes low rather than hang */
    F.n_fail = 1;
    F.fail_addr[0] = 0x49;
    F.fail_err[0] = EIO;
    run_for(hw, 3 * MS);
    NT_CHECK(last_event(NR_EV_GATE, 0) == 0.0f);
    NT_CHECKF(F.n_logs == 3 && strstr(F.logs[2], "gate 1, gate 2 keep their last value (gates go low)"), "log: %s",
              F.logs[2]);
    F.n_fail = 0;
    F.ads[1].value[4] = ads1015_reg(0.0f);
    run_for(hw, 2100 * MS);
    NT_CHECK(F.n_logs == 4 && nr_hw_input_online(hw, NR_EV_GATE, 0));
    F.n_logs = 2;
    /* pulled out while running (EIO on the read): one message, the other chip goes on */
    F.n_fail = 1;
    F.fail_addr[0] = 0x48;
    F.fail_err[0] = EIO;
    run_for(hw, 10 * MS);
    NT_CHECKF(F.n_logs == 3 && strstr(F.logs[2], "[adc 0] ADS1015 at 0x48 on /dev/i2c-1: Input/output error (not "
                                                 "connected?); cv 1, cv 2, cv 3, cv 4 keep their last value"),
              "log: %s", F.logs[2]);
    F.ads[1].value[4] = ads1015_reg(0.0f);
    run_for(hw, 3 * MS);
    NT_CHECK(last_event(NR_EV_GATE, 0) == 0.0f);
    NT_CHECK(F.n_logs == 3); /* retries that fail again say nothing more */
    run_for(hw, 5000 * MS);
    NT_CHECK(F.n_logs == 3);
    nr_hw_close(hw);
    /* no I2C bus at all (i2c not enabled): both chips left out, the encoder still works */
    setup_chips();
    F.missing_path = "/dev/i2c-1";
    io = fake_io();
    c.display.kind = NR_DISPLAY_SH1106;
    NT_CHECK(nr_hw_open(&c, "hw.conf", &io, &hw) == NR_OK);
    NT_CHECK(F.n_logs == 2);
    uint8_t fb[1024] = {1};
    NT_CHECK(nr_hw_display_frame(hw, fb) == 0);
    NT_CHECKF(F.n_logs == 3 && strstr(F.logs[2], "[display] SH1106 at 0x3c on /dev/i2c-1: No such file or directory"),
              "log: %s", F.logs[2]);
    fake_edge(17, 0, F.now);
    fake_edge(27, 0, F.now + 1 * MS);
    fake_edge(17, 1, F.now + 2 * MS);
    fake_edge(27, 1, F.now + 3 * MS);
    run_for(hw, 5 * MS);
    NT_CHECK(last_event(NR_EV_ENCODER, 0) == 1.0f);
    NT_CHECK(nr_hw_display_frame(hw, fb) == 0 && F.n_logs == 3);
    nr_hw_close(hw);
}

static void test_display_and_messages(void)
{
    setup_chips();
    nr_hw_config c = nr_hw_config_init();
    nr_hw_io io = fake_io();
    nr_hw *hw;
    NT_CHECK(nr_hw_open(&c, "hw.conf", &io, &hw) == NR_OK);
    NT_CHECK(strstr(F.log, "write 0x3c") == NULL); /* the display opens with its first frame */
    /* a message drawn and flushed at once (no display thread yet) */
    nr_hw_show_message(hw, "MODEL FAILED", "models/default.safetensors: no such file");
    NT_CHECK(strstr(F.log, "write 0x3c 00 ae d5 80") != NULL && F.n_logs == 0);
    uint8_t want[1024];
    nr_hw_fb_message(want, "MODEL FAILED", "models/default.safetensors: no such file");
    int bad = 0, lit = 0;
    for (int p = 0; p < 8; p++)
        for (int x = 0; x < 128; x++) {
            bad += F.oled_ram[p][x + 2] != want[p * 128 + x];
            lit += __builtin_popcount(want[p * 128 + x]);
        }
    NT_CHECK(bad == 0 && lit > 200);
    /* the splash */
    nr_hw_show_splash(hw, "loading model");
    nr_hw_fb_splash(want, "loading model");
    bad = 0;
    for (int p = 0; p < 8; p++)
        for (int x = 0; x < 128; x++) bad += F.oled_ram[p][x + 2] != want[p * 128 + x];
    NT_CHECK(bad == 0);
    /* the display pulled out: one message, no crash; back after the retry time */
    F.n_fail = 1;
    F.fail_addr[0] = 0x3c;
    F.fail_err[0] = EIO;
    uint8_t fb[1024] = {0};
    NT_CHECK(nr_hw_display_frame(hw, fb) == 0);
    NT_CHECK(nr_hw_display_frame(hw, fb) == 0);
    NT_CHECKF(F.n_logs == 1 && strstr(F.logs[0], "[display] SH1106 at 0x3c on /dev/i2c-1: Input/output error"),
              "log: %s", F.logs[0]);
    F.n_fail = 0;
    F.now += 2100 * MS;
    NT_CHECK(nr_hw_display_frame(hw, fb) == 0); /* re-initialised: the cleared RAM already shows the blank frame */
    fb[100] = 0xFF;
    NT_CHECK(nr_hw_display_frame(hw, fb) == 1 && F.oled_ram[0][102] == 0xFF);
    NT_CHECK(F.n_logs == 2 && strstr(F.logs[1], "answers again"));
    nr_hw_close(hw);
}

static uint32_t frame_source(void *ctx, uint8_t *fb)
{
    int *calls = ctx;
    memset(fb, 0, 1024);
    return (uint32_t)++*calls;
}

static void test_threads_start_stop(void)
{
    /* the real kernel interface with nothing configured: the threads run and stop cleanly */
    nr_hw_config c = nr_hw_config_init();
    for (int i = 0; i < NR_NUM_CV; i++) c.cv[i].source = NR_IN_NONE;
    for (int i = 0; i < NR_NUM_GATES; i++) c.gate[i].source = NR_IN_NONE;
    c.enc.used = 0;
    c.display.kind = NR_DISPLAY_NONE;
    nr_hw_io io = {.log = fake_hw_log};
    nr_hw *hw;
    int calls = 0;
    NT_CHECK(nr_hw_open(&c, "hw.conf", &io, &hw) == NR_OK);
    nr_hw_set_sink(hw, NULL, NULL, frame_source, &calls);
    NT_CHECK(nr_hw_start(hw) == NR_OK);
    struct timespec ts = {0, 100 * 1000000};
    nanosleep(&ts, NULL);
    nr_hw_stop(hw);
    NT_CHECK(calls > 0);
    nr_hw_close(hw);
}

/* The splash is the display thread's first frame even when the instrument's frames took over before the
 * thread ran (a model that loads faster than one display period). */
static int g_first_was_splash = -1;
static uint32_t frame_after_splash(void *ctx, uint8_t *fb)
{
    int *calls = ctx;
    if (++*calls == 1) {
        uint8_t want[1024];
        nr_hw_fb_splash(want, "LOADING MODEL...");
        int bad = 0;
        for (int p = 0; p < 8; p++)
            for (int x = 0; x < 128; x++) bad += F.oled_ram[p][x + 2] != want[p * 128 + x];
        g_first_was_splash = bad == 0;
    }
    memset(fb, 0, 1024);
    fb[0] = (uint8_t)*calls;
    return (uint32_t)*calls;
}

static void test_splash_drawn_before_instrument(void)
{
    setup_chips();
    nr_hw_config c = nr_hw_config_init();
    nr_hw_io io = fake_io();
    nr_hw *hw;
    int calls = 0;
    NT_CHECK(nr_hw_open(&c, "hw.conf", &io, &hw) == NR_OK);
    nr_hw_set_splash(hw, "LOADING MODEL...");
    nr_hw_set_sink(hw, NULL, NULL, frame_after_splash, &calls);
    nr_hw_show_message(hw, NULL, NULL); /* the instrument is ready before the display thread ran */
    g_first_was_splash = -1;
    NT_CHECK(nr_hw_start(hw) == NR_OK);
    for (int i = 0; i < 200 && calls < 2; i++) {
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    nr_hw_stop(hw);
    NT_CHECKF(g_first_was_splash == 1, "first frame before the instrument's: %s",
              g_first_was_splash < 0 ? "none" : "not the splash");
    nr_hw_close(hw);
}

int main(void)
{
    NT_RUN(test_cv_and_gates);
    NT_RUN(test_unplugged_adc);
    NT_RUN(test_display_and_messages);
    NT_RUN(test_threads_start_stop);
    NT_RUN(test_splash_drawn_before_instrument);
    free(F.log);
    return nt_end();
}
