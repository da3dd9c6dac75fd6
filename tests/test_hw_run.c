/* The play command's hardware path with the display thread running (recording fake, threaded): boot
 * shows the splash, attach hands the display to the instrument's frames, a failure leaves its message. */
#include "hw/fb_text.h"
#include "hw/hw_run.h"
#include "nr_test.h"
#include "test_hw_fake.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* Does the OLED RAM (panel columns 2..129) hold this frame? */
static int ram_is(const uint8_t *fb)
{
    int same = 1;
    pthread_mutex_lock(&fake_lock);
    for (int p = 0; p < 8; p++)
        for (int x = 0; x < 128; x++) same &= F.oled_ram[p][x + 2] == fb[p * 128 + x];
    pthread_mutex_unlock(&fake_lock);
    return same;
}

/* Wait (at most 5 s) for the display thread to show fb. */
static int shows(const uint8_t *fb)
{
    for (int i = 0; i < 500; i++) {
        if (ram_is(fb)) return 1;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static uint32_t pattern_frame(void *ctx, uint8_t *fb)
{
    (void)ctx;
    for (int i = 0; i < 1024; i++) fb[i] = (uint8_t)(i ^ (i >> 3));
    return 1;
}

static void test_boot_errors(void)
{
    nr_hw_config c;
    nr_hw *hw = (nr_hw *)&c;
    NT_CHECK(nr_hw_boot("/nonexistent/hardware.conf", &fake_ops, &c, &hw) == NR_ERR_IO && hw == NULL);
    NT_CHECK(nt_write_file(nt_tmp("bad.conf"), "[display]\ntype = oled\n", 22) == 0);
    NT_CHECK(nr_hw_boot(nt_tmp("bad.conf"), &fake_ops, &c, &hw) == NR_ERR_FORMAT && hw == NULL);
    NT_CHECKF(strstr(nr_last_error(), "bad.conf:2: type = 'oled'") != NULL, "%s", nr_last_error());
    nr_hw_fail(NULL, "MODEL FAILED", "stderr only"); /* no hardware: just the journal */
}

static void test_boot_attach_fail(void)
{
    fake_reset();
    F.threaded = 1;
    const char *conf = "[adc 0]\nchip = none\n[adc 1]\nchip = none\n"
                       "[cv 1]\nsource = none\n[cv 2]\nsource = none\n[cv 3]\nsource = none\n[cv 4]\nsource = none\n"
                       "[gate 1]\nsource = none\n[gate 2]\nsource = none\n"
                       "[encoder]\nenabled = no\n[display]\ntype = sh1106\nfps = 60\n";
    NT_CHECK(nt_write_file(nt_tmp("hw.conf"), conf, strlen(conf)) == 0);
    nr_hw_config c;
    nr_hw *hw;
    nr_result r = nr_hw_boot(nt_tmp("hw.conf"), &fake_ops, &c, &hw);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r) return;
    uint8_t want[1024];
    nr_hw_fb_splash(want, "LOADING MODEL...");
    NT_CHECK(shows(want));
    pattern_frame(NULL, want);
    nr_hw_attach(hw, NULL, NULL, pattern_frame, NULL);
    NT_CHECK(shows(want));
    nr_hw_fail(hw, "MODEL FAILED", "model.th: not a PyTorch archive");
    nr_hw_fb_message(want, "MODEL FAILED", "model.th: not a PyTorch archive");
    NT_CHECK(ram_is(want)); /* at once: the threads were stopped and the message flushed */
    nr_hw_close(hw);
    F.threaded = 0;
}

/* A crash after boot: the message on the display and stderr, then death by the same signal (so
 * systemd's Restart=on-failure restarts the unit). Run in a child process. */
static void test_crash_message(void)
{
    int fds[2];
    NT_CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        fake_reset();
        nr_hw_config c = nr_hw_config_init();
        for (int i = 0; i < NR_NUM_CV; i++) c.cv[i].source = NR_IN_NONE;
        for (int i = 0; i < NR_NUM_GATES; i++) c.gate[i].source = NR_IN_NONE;
        c.enc.used = 0;
        nr_hw_io io = fake_io();
        nr_hw *hw;
        nr_hw_open(&c, "hw.conf", &io, &hw);
        nr_hw_show_splash(hw, "");
        nr_hw_install_crash_handler(hw);
        fake_clear_log();
        raise(SIGSEGV);
        _exit(0);
    }
    close(fds[1]);
    char buf[256] = {0};
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    NT_CHECKF(n > 0 && strstr(buf, "neurorack: crashed; the service restarts it"), "stderr: %s", buf);
    NT_CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "status 0x%x", st);
}

/* The glue to the real instrument: encoder detents posted as NR_SRC_HARDWARE events move its menu
 * (the frame changes), and the display shows the instrument's frame. Needs a model that loads. */
static void test_attach_instrument(void)
{
    /* the model that ships with the repository ($NEURORACK_MODEL overrides): it must load */
    const char *env = getenv("NEURORACK_MODEL");
    nr_instrument *inst = NULL;
    nr_instrument_config ic = nr_instrument_config_init();
    ic.model_path = env && *env ? env : "models/default.safetensors";
    ic.settings_path = nt_tmp("settings.nrs");
    ic.device_rate = 48000;
    ic.max_block = 256;
    ic.max_voices = 1;
    NT_CHECKF(nr_instrument_create(&ic, &inst) == NR_OK, "%s: %s", ic.model_path, nr_last_error());
    if (!inst) return;
    fake_reset();
    fake_line(17, 1);
    fake_line(27, 1);
    fake_line(22, 1);
    nr_hw_config c = nr_hw_config_init();
    for (int i = 0; i < NR_NUM_CV; i++) c.cv[i].source = NR_IN_NONE;
    for (int i = 0; i < NR_NUM_GATES; i++) c.gate[i].source = NR_IN_NONE;
    nr_hw_io io = fake_io();
    nr_hw *hw;
    NT_CHECK(nr_hw_open(&c, "hw.conf", &io, &hw) == NR_OK);
    nr_hw_attach_instrument(hw, inst);
    uint8_t before[1024], after[1024];
    nr_instrument_poll(inst);
    nr_instrument_frame(inst, before);
    NT_CHECK(nr_hw_display_frame(hw, before) >= 0 && ram_is(before));
    int64_t t = F.now;
    for (int d = 0; d < 3; d++, t += 10000000) { /* three clockwise detents */
        fake_edge(17, 0, t);
        fake_edge(27, 0, t + 1000000);
        fake_edge(17, 1, t + 2000000);
        fake_edge(27, 1, t + 3000000);
    }
    F.now = t;
    nr_hw_step(hw, 0);
    nr_instrument_poll(inst);
    nr_instrument_frame(inst, after);
    NT_CHECK(memcmp(before, after, sizeof before) != 0); /* the menu moved */
    nr_hw_display_frame(hw, after);
    NT_CHECK(ram_is(after));
    nr_hw_close(hw);
    nr_instrument_free(inst);
}

static void test_realtime_note(void)
{
    char note[300];
    NT_CHECK(nr_hw_rt_allowed(70, 0, 0, note, sizeof note) && !note[0]);     /* root */
    NT_CHECK(nr_hw_rt_allowed(70, 1000, 95, note, sizeof note) && !note[0]); /* LimitRTPRIO=95 */
    NT_CHECK(nr_hw_rt_allowed(0, 1000, 0, note, sizeof note));               /* none asked */
    NT_CHECK(!nr_hw_rt_allowed(70, 1000, 0, note, sizeof note));
    NT_CHECKF(!strncmp(note, "realtime priority 70 is not allowed (RLIMIT_RTPRIO 0): audio runs at normal priority", 84),
              "%s", note);
}

int main(void)
{
    NT_RUN(test_boot_errors);
    NT_RUN(test_boot_attach_fail);
    NT_RUN(test_crash_message);
    NT_RUN(test_realtime_note);
    NT_RUN(test_attach_instrument);
    free(F.log);
    return nt_end();
}
