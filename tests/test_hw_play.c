/* `neurorack play --hardware FILE` end to end: the play command itself (src/apps/cmd_play.c, included so
 * that its kernel interface can be the recording fake of test_hw_fake.h) rendering to a file, with the
 * panel read between blocks on the fake's clock. Checks the bytes that reach the fake SH1106 (splash,
 * the instrument's menu, the closing message), where a gate edge on a GPIO line sounds in the file, the
 * messages of an unplugged ADC while play goes on, and a model that does not load. */
#include "nr_test.h"
#include "test_hw_fake.h"

#include "apps/cli.c"
#include "apps/cmd_play.c"
#include "hw/fb_text.h"

#include <fcntl.h>
#include <png.h>
#include <sndfile.h>

#define RATE 48000
#define BLOCK 256
#define T0 1000000000LL /* the fake clock at the start (fake_reset) */

static pthread_t main_thread;

/* Every distinct state of the OLED RAM (panel columns 2..129) after a write, and whether the splash
 * was one of them. */
#define MAX_STATES 4096
static uint8_t (*states)[1024];
static int n_states;

/* Failures scheduled on the fake clock: at `at_ns`, the I2C address starts failing with err. */
static struct {
    int64_t at_ns;
    int addr, err;
} drop;

static void ram_copy(uint8_t *fb)
{
    for (int p = 0; p < 8; p++)
        for (int x = 0; x < 128; x++) fb[p * 128 + x] = F.oled_ram[p][x + 2];
}

static long t_write(void *ctx, int fd, const void *buf, size_t n)
{
    long r = f_write(ctx, fd, buf, n);
    if (F.fds[fd].addr == F.oled_addr && r > 0) {
        pthread_mutex_lock(&fake_lock);
        uint8_t fb[1024];
        ram_copy(fb);
        if (n_states < MAX_STATES && (n_states == 0 || memcmp(states[n_states - 1], fb, sizeof fb)))
            memcpy(states[n_states++], fb, sizeof fb);
        pthread_mutex_unlock(&fake_lock);
    }
    return r;
}

static int seen(const uint8_t *fb)
{
    for (int i = 0; i < n_states; i++)
        if (!memcmp(states[i], fb, 1024)) return 1;
    return 0;
}

/* The render's pacing sleeps (main thread) advance the fake clock; the hardware threads, which run
 * while the model loads, sleep for real. */
static void t_sleep_us(void *ctx, long us)
{
    (void)ctx;
    if (pthread_equal(pthread_self(), main_thread)) {
        F.now += (int64_t)us * 1000;
        if (drop.addr && F.now >= drop.at_ns && F.n_fail < 4) {
            F.fail_addr[F.n_fail] = drop.addr;
            F.fail_err[F.n_fail++] = drop.err;
            drop.addr = 0;
        }
        return;
    }
    struct timespec ts = {0, (us < 2000 ? us : 2000) * 1000};
    nanosleep(&ts, NULL);
}

static int t_gpio_wait(void *ctx, nr_gpio_line *const *lines, int n, int timeout_ms)
{
    if (timeout_ms > 0 && !pthread_equal(pthread_self(), main_thread)) t_sleep_us(ctx, 2000);
    return f_gpio_wait(ctx, lines, n, timeout_ms);
}

static nr_hw_ops test_ops;

/* Run `neurorack play ARGS...` in this process; its stderr goes to *err (malloc'd). Returns the exit code. */
static int play(char **err, const char *const *args)
{
    char *argv[32] = {"play"};
    int argc = 1;
    while (args[argc - 1]) argv[argc] = (char *)args[argc - 1], argc++;
    const char *log = nt_tmp("stderr.txt");
    fflush(stderr);
    int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
    g_interrupt = 0;
    int rc = nr_cmd_play(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    *err = nt_read_file(log, NULL);
    if (!*err) *err = calloc(1, 1);
    return rc;
}

static int count_lines_with(const char *text, const char *s)
{
    int n = 0;
    for (const char *l = text; *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)len, l);
        n += strstr(line, s) != NULL;
        l += len + (e != NULL);
    }
    return n;
}

static void setup(void)
{
    fake_reset();
    main_thread = pthread_self();
    test_ops = fake_ops;
    test_ops.write = t_write;
    test_ops.sleep_us = t_sleep_us;
    test_ops.gpio_wait = t_gpio_wait;
    play_hw_ops = &test_ops;
    n_states = 0;
    drop.addr = 0;
}

static const char *model_path(void)
{
    const char *env = getenv("NEURORACK_MODEL");
    if (env && *env) return env;
    return access("models/default.safetensors", R_OK) == 0 ? "models/default.safetensors" : NULL;
}

/* The OLED frame of a --screenshot PNG (scale 4: 512x256 gray). */
static int read_screenshot(const char *path, uint8_t *fb)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) return -1;
    im.format = PNG_FORMAT_GRAY;
    if (im.width != 512 || im.height != 256) {
        png_image_free(&im);
        return -1;
    }
    uint8_t *px = malloc(512 * 256);
    int ok = px && png_image_finish_read(&im, NULL, px, 0, NULL);
    if (ok) {
        memset(fb, 0, 1024);
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 128; x++)
                if (px[(4 * y) * 512 + 4 * x] > 127) fb[(y >> 3) * 128 + x] |= (uint8_t)(1u << (y & 7));
    }
    free(px);
    return ok ? 0 : -1;
}

static const char *hw_conf =
    "[adc 0]\nchip = ads1015\naddress = 0x48\nrate = 1600\n"
    "[adc 1]\nchip = ads1015\naddress = 0x49\nrate = 1600\n"
    "[gate 1]\nsource = gpio\nline = 5\nbias = as-is\n"
    "[gate 2]\nsource = adc\nadc = 1\nchannel = 1\n"
    "[display]\ntype = sh1106\nfps = 30\n"
    "[audio]\ndevice = hw:CARD=none\nrate = 48000\nperiod = 256\nperiods = 2\nrealtime_priority = 0\n";

/* The whole path: splash while the model loads, the menu, a GPIO gate that sounds where it should,
 * ADC 0 unplugged from the start (ENXIO) and ADC 1 lost during the render (EIO). */
static void test_play_hardware_render(void)
{
    const char *model = model_path();
    if (!model) {
        nt_skip("models/default.safetensors absent (and no NEURORACK_MODEL)");
        return;
    }
    setup();
    fake_line(17, 1); /* the encoder's lines idle high (pull-ups) */
    fake_line(27, 1);
    fake_line(22, 1);
    fake_line(5, 0);
    F.ads[F.n_ads++].addr = 0x49; /* serves 0: gate 2 stays low */
    F.fail_addr[0] = 0x48;
    F.fail_err[0] = ENXIO;
    F.n_fail = 1;
    drop.at_ns = T0 + 250000000LL;
    drop.addr = 0x49;
    drop.err = EIO;
    /* Gate 1 up at 0.5 s, down at 0.6 s of the render's clock. */
    fake_edge(5, 1, T0 + 500000000LL);
    fake_edge(5, 0, T0 + 600000000LL);
    char conf[4096], out[4096], shot[4096], settings[4096];
    snprintf(conf, sizeof conf, "%s", nt_tmp("hw.conf"));
    snprintf(out, sizeof out, "%s", nt_tmp("out.wav"));
    snprintf(shot, sizeof shot, "%s", nt_tmp("shot.png"));
    snprintf(settings, sizeof settings, "%s", nt_tmp("settings.nrs"));
    NT_CHECK(nt_write_file(conf, hw_conf, strlen(hw_conf)) == 0);
    char audio[4200];
    snprintf(audio, sizeof audio, "file:%s", out);
    char *err = NULL;
    const char *args[] = {"--hardware", conf, "--audio", audio, "--duration", "1", "--model", model,
                          "--settings", settings, "--voices", "2", "--screenshot", shot, "--headless", NULL};
    int rc = play(&err, args);
    NT_CHECKF(rc == 0, "exit %d; stderr:\n%s", rc, err);

    /* One line per lost device, naming the file, the chip and the inputs it takes away. */
    char want[512];
    snprintf(want, sizeof want, "neurorack: %s: [adc 0] ADS1015 at 0x48 on /dev/i2c-1: No such device or address "
             "(not connected?); cv 1, cv 2, cv 3, cv 4 left out until it answers (retried every 2 s)\n", conf);
    NT_CHECKF(strstr(err, want) && count_lines_with(err, "[adc 0]") == 1, "stderr:\n%s", err);
    snprintf(want, sizeof want, "neurorack: %s: [adc 1] ADS1015 at 0x49 on /dev/i2c-1: Input/output error "
             "(not connected?); gate 2 keep their last value (gates go low) until it answers (retried every 2 s)\n",
             conf);
    NT_CHECKF(strstr(err, want) && count_lines_with(err, "[adc 1]") == 1, "stderr:\n%s", err);
    NT_CHECK(fake_count("rdwr 0x49 w 00 r 2 = 00 00") > 10); /* gate 2 was read before the loss */

    /* The display: the splash, the instrument's last frame (the screenshot), then the closing message. */
    uint8_t fb[1024];
    nr_hw_fb_splash(fb, "LOADING MODEL...");
    NT_CHECK(seen(fb));
    NT_CHECK(read_screenshot(shot, fb) == 0);
    NT_CHECK(seen(fb));
    uint8_t blank[1024] = {0};
    NT_CHECK(memcmp(fb, blank, sizeof fb) != 0);
    nr_hw_fb_message(fb, "STOPPED", "THE PLAY RAN TO ITS END.");
    uint8_t ram[1024];
    ram_copy(ram);
    NT_CHECK(!memcmp(ram, fb, sizeof ram));

    /* The gate: read after the block during which it came (0.5 s = block 93.75), so it sounds from the
     * start of block 94, and not before. */
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(out, SFM_READ, &info);
    NT_CHECK(sf != NULL);
    if (sf) {
        NT_CHECK(info.samplerate == RATE && info.channels == 1 && info.frames == RATE);
        float *x = calloc((size_t)info.frames, sizeof *x);
        sf_count_t n = sf_readf_float(sf, x, info.frames);
        sf_close(sf);
        const long at = 94 * BLOCK;
        float before = 0;
        long first = -1;
        for (long i = 0; i < n; i++) {
            if (i < at && fabsf(x[i]) > before) before = fabsf(x[i]);
            if (first < 0 && fabsf(x[i]) > 1e-4f) first = i;
        }
        NT_CHECKF(before < 1e-6f, "sound before the gate: peak %g", before);
        NT_CHECKF(first >= at && first < at + BLOCK, "first sound at sample %ld; expected in [%ld, %ld)", first, at,
                  at + BLOCK);
        free(x);
    }
    free(err);
}

/* A model that does not load: its message on the display and on stderr, exit 1. */
static void test_play_hardware_model_fails(void)
{
    setup();
    char conf[4096], model[4096], out[4096];
    snprintf(conf, sizeof conf, "%s", nt_tmp("hw.conf"));
    snprintf(model, sizeof model, "%s", nt_tmp("broken.safetensors"));
    snprintf(out, sizeof out, "file:%s", nt_tmp("never.wav"));
    NT_CHECK(nt_write_file(conf, hw_conf, strlen(hw_conf)) == 0);
    NT_CHECK(nt_write_file(model, "not a model at all", 18) == 0);
    char *err = NULL;
    const char *args[] = {"--hardware", conf, "--audio", out, "--duration", "1", "--model", model,
                          "--settings", nt_tmp("settings.nrs"), "--headless", NULL};
    int rc = play(&err, args);
    NT_CHECK(rc == 1);
    const char *line = strstr(err, "neurorack: MODEL FAILED: ");
    NT_CHECKF(line && strstr(line, "broken.safetensors"), "stderr:\n%s", err);
    if (line) {
        char msg[512];
        const char *m = line + strlen("neurorack: MODEL FAILED: ");
        snprintf(msg, sizeof msg, "%.*s", (int)strcspn(m, "\n"), m);
        uint8_t want[1024], ram[1024];
        nr_hw_fb_message(want, "MODEL FAILED", msg);
        ram_copy(ram);
        NT_CHECKF(!memcmp(ram, want, sizeof ram), "the display does not show: %s", msg);
    }
    NT_CHECK(access(nt_tmp("never.wav"), F_OK) != 0);
    free(err);
}

/* A wrong hardware file stops the start with one line naming file and line. */
static void test_play_hardware_bad_file(void)
{
    setup();
    char conf[4096];
    snprintf(conf, sizeof conf, "%s", nt_tmp("bad.conf"));
    NT_CHECK(nt_write_file(conf, "[adc 0]\nadress = 0x48\n", 22) == 0);
    char *err = NULL;
    const char *args[] = {"--hardware", conf, "--audio", "file:x.wav", "--duration", "1", NULL};
    int rc = play(&err, args);
    NT_CHECK(rc == 1);
    NT_CHECKF(count_lines_with(err, "bad.conf:2: unknown key 'adress'") == 1 && count_lines_with(err, "") == 1,
              "stderr:\n%s", err);
    free(err);
}

int main(void)
{
    states = malloc(sizeof *states * MAX_STATES);
    NT_RUN(test_play_hardware_bad_file);
    NT_RUN(test_play_hardware_model_fails);
    NT_RUN(test_play_hardware_render);
    free(states);
    free(F.log);
    return nt_end();
}
