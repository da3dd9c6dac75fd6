/* ALSA beyond the null device: a scripted performance played by the real instrument through the ALSA
 * backend into alsa-lib's `file` plugin (a private configuration written by the test, read through
 * ALSA_CONFIG_PATH; slave `null`, so no sound card is needed), compared with what the file sink renders
 * for the same script: float samples must be the same bits; through a `plug` converting to S16 they
 * must be alsa-lib's rounding of the same samples. hw:/plughw: need /dev/snd, absent on the build
 * machine: those paths are not tested here (docs/instrument.md). */
#include "audio/backend.h"
#include "audio/live.h"
#include "instrument/instrument_internal.h"
#include "neurorack.h"
#include "nr_test.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RATE 48000
#define PERIOD 256
#define SECONDS 1.0
#define N_SAMPLES ((long)(SECONDS * RATE))

static const char g_script[] = "0.010 trig 1\n"
                               "0.100 cv 1 2.5\n"
                               "0.300 trig 2\n"
                               "0.301 gate 1 1\n"
                               "0.500 cv 1 -3\n"
                               "0.700 gate 1 0\n"
                               "0.710 trig 1\n";

static char g_float_raw[1024], g_s16_raw[1024];

/* The private configuration: only our PCMs (ALSA_CONFIG_PATH replaces the system's alsa.conf). */
static int write_config(void)
{
    snprintf(g_float_raw, sizeof g_float_raw, "%s", nt_tmp("float.raw"));
    snprintf(g_s16_raw, sizeof g_s16_raw, "%s", nt_tmp("s16.raw"));
    char conf[4096];
    int n = snprintf(conf, sizeof conf,
                     "pcm.nr_float {\n"
                     "    type file\n"
                     "    slave.pcm { type null }\n"
                     "    file \"%s\"\n"
                     "    format \"raw\"\n"
                     "}\n"
                     "pcm.nr_s16 {\n"
                     "    type plug\n"
                     "    slave { pcm nr_s16_file format S16_LE channels 1 rate %d }\n"
                     "}\n"
                     "pcm.nr_s16_file {\n"
                     "    type file\n"
                     "    slave.pcm { type null }\n"
                     "    file \"%s\"\n"
                     "    format \"raw\"\n"
                     "}\n",
                     g_float_raw, RATE, g_s16_raw);
    const char *path = nt_tmp("alsa.conf");
    if (nt_write_file(path, conf, (size_t)n) != 0) return 0;
    setenv("ALSA_CONFIG_PATH", path, 1);
    return 1;
}

static const char *model_path(void)
{
    const char *env = getenv("NEURORACK_MODEL");
    if (env && *env) return env;
    return "models/default.safetensors";
}

/* An instrument with fixed settings (its own file) and seed; cpu_guard as a live backend has it. */
static nr_instrument *make_inst(const char *tag, int live)
{
    nr_settings s;
    nr_settings_defaults(&s);
    char name[64];
    snprintf(name, sizeof name, "%s/settings.nrs", tag);
    const char *path = nt_tmp(name);
    if (nr_settings_save(path, &s) != NR_OK) return NULL;
    nr_instrument_config c = nr_instrument_config_init();
    c.model_path = model_path();
    c.settings_path = path;
    c.device_rate = RATE;
    c.max_block = PERIOD;
    c.cpu_guard = live;
    c.seed = 3;
    nr_instrument *inst = NULL;
    if (nr_instrument_create(&c, &inst) != NR_OK) return NULL;
    return inst;
}

/* The reference: the file sink, blocks of PERIOD. */
static float *render_file_sink(const nr_script *sc, long *n)
{
    nr_instrument *inst = make_inst("ref", 0);
    if (!inst) return NULL;
    nr_audio_client ic = nr_instrument_client(inst);
    nr_live live;
    nr_live_init(&live, &ic, sc, RATE, PERIOD);
    nr_audio_client lc = nr_live_client(&live);
    const char *wav = nt_tmp("ref.wav");
    nr_result r = nr_file_sink_run(wav, RATE, PERIOD, SECONDS, &lc, NULL);
    nr_instrument_free(inst);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r != NR_OK) return NULL;
    nr_audio a;
    if (nr_audio_load(wav, 0, &a) != NR_OK) return NULL;
    *n = a.n;
    return a.samples;
}

/* Play through ALSA device `dev` until N_SAMPLES have been rendered; returns the backend's name. */
static int play_alsa(const char *dev, const nr_script *sc, char *name, size_t name_n)
{
    nr_backend_config bc = nr_backend_config_init();
    bc.device = dev;
    bc.rate = RATE;
    bc.period = PERIOD;
    bc.periods = 3;
    nr_backend *b = NULL;
    nr_result r = nr_backend_open_alsa(&bc, &b);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r != NR_OK) return 0;
    NT_CHECKF(nr_backend_rate(b) == RATE && nr_backend_max_block(b) == PERIOD, "%d Hz, %d frames",
              nr_backend_rate(b), nr_backend_max_block(b));
    snprintf(name, name_n, "%s", nr_backend_name(b));
    nr_instrument *inst = make_inst(dev, 0);
    if (!inst) {
        nr_backend_close(b);
        return 0;
    }
    nr_audio_client ic = nr_instrument_client(inst);
    nr_live live;
    nr_live_init(&live, &ic, sc, RATE, PERIOD);
    nr_audio_client lc = nr_live_client(&live);
    NT_CHECK(nr_backend_start(b, &lc) == NR_OK);
    /* The null slave takes samples as fast as they come; wait for the render, at most 60 s. */
    for (int i = 0; i < 12000 && nr_live_samples(&live) < N_SAMPLES + 4 * PERIOD; i++) usleep(5000);
    nr_backend_close(b); /* the file plugin flushes what it holds */
    nr_instrument_free(inst);
    return 1;
}

/* The script parsed and its file-sink render (the reference the ALSA bytes are compared with); NULL,
 * with the script freed and the test skipped, when the default model does not load. */
static float *reference(nr_script *sc, long *n_ref)
{
    NT_CHECK(nr_script_parse(g_script, "perf", sc) == NR_OK);
    float *ref = render_file_sink(sc, n_ref);
    if (!ref) {
        nr_script_free(sc);
        nt_skip("the default model does not load");
    }
    return ref;
}

static void test_float_bits(void)
{
    nr_script sc;
    long n_ref = 0;
    float *ref = reference(&sc, &n_ref);
    if (!ref) return;
    char name[200] = "";
    if (play_alsa("nr_float", &sc, name, sizeof name)) {
        NT_CHECK(!strcmp(name, "alsa:nr_float"));
        size_t bytes = 0;
        char *raw = nt_read_file(g_float_raw, &bytes);
        NT_CHECKF(raw && bytes >= (size_t)n_ref * 4, "alsa-lib wrote %zu bytes; expected at least %ld", bytes,
                  n_ref * 4);
        if (raw && bytes >= (size_t)n_ref * 4) {
            long first_diff = -1;
            double peak = 0;
            for (long i = 0; i < n_ref && first_diff < 0; i++) {
                float v;
                memcpy(&v, raw + 4 * i, 4); /* FLOAT_LE on a little-endian machine */
                if (memcmp(&v, &ref[i], 4) != 0) first_diff = i;
                peak = fmax(peak, fabs(ref[i]));
            }
            NT_CHECKF(first_diff < 0, "sample %ld differs", first_diff);
            NT_CHECKF(peak > 0.01, "the performance is silent (peak %g)", peak);
        }
        free(raw);
    }
    free(ref);
    nr_script_free(&sc);
}

/* plug converts the float stream to S16 for its slave: each sample is alsa-lib's rounding of the
 * reference to 16 bits (within one step), and the stream is the same length. */
static void test_s16_conversion(void)
{
    nr_script sc;
    long n_ref = 0;
    float *ref = reference(&sc, &n_ref);
    if (!ref) return;
    char name[200] = "";
    if (play_alsa("nr_s16", &sc, name, sizeof name)) {
        size_t bytes = 0;
        char *raw = nt_read_file(g_s16_raw, &bytes);
        NT_CHECKF(raw && bytes >= (size_t)n_ref * 2, "alsa-lib wrote %zu bytes; expected at least %ld", bytes,
                  n_ref * 2);
        if (raw && bytes >= (size_t)n_ref * 2) {
            long worst_i = 0, exact = 0;
            double worst = 0, peak = 0;
            for (long i = 0; i < n_ref; i++) {
                int16_t s;
                memcpy(&s, raw + 2 * i, 2);
                /* alsa-lib's float-to-S16 path: the float times 2^31, truncated to int32, then its high 16 bits */
                float x = ref[i];
                int32_t v = x >= 1.0f ? INT32_MAX : x <= -1.0f ? INT32_MIN : (int32_t)(x * 2147483648.0f);
                int16_t want = (int16_t)(v >> 16);
                exact += s == want;
                double d = fabs((double)s - (double)x * 32768.0);
                if (d > worst) worst = d, worst_i = i;
                peak = fmax(peak, fabs((double)s));
            }
            NT_CHECKF(worst < 1.0, "sample %ld: %g steps from the float reference", worst_i, worst);
            NT_CHECKF(exact == n_ref, "%ld of %ld samples are alsa-lib's conversion of the reference", exact, n_ref);
            NT_CHECKF(peak > 300, "the performance is silent (peak %g of 32767)", peak);
        }
        free(raw);
    }
    free(ref);
    nr_script_free(&sc);
}

static int one_line(const char *s) { return s[0] && !strchr(s, '\n'); }

/* Names that do not exist in the configuration: one line naming them, from the API and the program. */
static void test_missing_names(void)
{
    nr_backend_config bc = nr_backend_config_init();
    nr_backend *b = NULL;
    bc.device = "nr_no_such_pcm";
    NT_CHECK(nr_backend_open_alsa(&bc, &b) == NR_ERR_DEVICE && !b);
    NT_CHECKF(one_line(nr_last_error()) && strstr(nr_last_error(), "nr_no_such_pcm"), "%s", nr_last_error());
    bc.device = "plughw:9";
    NT_CHECK(nr_backend_open_alsa(&bc, &b) == NR_ERR_DEVICE && !b && one_line(nr_last_error()));

    const char *bin = getenv("NR_BIN");
    if (!bin || !*bin) bin = "build/neurorack";
    if (access(bin, X_OK) != 0) {
        nt_skip("the neurorack program is not built");
        return;
    }
    char cmd[2048];
    const char *err_path = nt_tmp("play_err.txt");
    snprintf(cmd, sizeof cmd, "%s play --device nr_no_such_pcm --headless </dev/null >/dev/null 2>%s", bin, err_path);
    int rc = system(cmd);
    size_t n = 0;
    char *err = nt_read_file(err_path, &n);
    int lines = 0;
    for (size_t i = 0; err && i < n; i++) lines += err[i] == '\n';
    NT_CHECKF(WIFEXITED(rc) && WEXITSTATUS(rc) == 1 && lines == 1 && strstr(err, "nr_no_such_pcm"), "exit %d: %s",
              WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, err ? err : "");
    free(err);
}

/* The playback thread's SCHED_FIFO priority (nr_backend_config.rt_priority, from the hardware file's
 * [audio] realtime_priority): the priority asked for, or the normal scheduler for 0. */
static void silent(void *ctx, float *out, int n)
{
    (void)ctx;
    memset(out, 0, (size_t)n * sizeof *out);
}

static int fifo_threads_at(int prio)
{
    DIR *d = opendir("/proc/self/task");
    int found = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        pid_t tid = (pid_t)atoi(e->d_name);
        struct sched_param sp;
        if (tid > 0 && sched_getscheduler(tid) == SCHED_FIFO && sched_getparam(tid, &sp) == 0 &&
            sp.sched_priority == prio)
            found++;
    }
    if (d) closedir(d);
    return found;
}

static void test_realtime_priority(void)
{
    struct sched_param probe = {.sched_priority = 42};
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &probe) != 0) {
        nt_skip("SCHED_FIFO not allowed for this user (rtprio limit)");
        return;
    }
    struct sched_param normal = {.sched_priority = 0};
    pthread_setschedparam(pthread_self(), SCHED_OTHER, &normal);
    static const int prios[] = {42, 0};
    for (int i = 0; i < 2; i++) {
        nr_backend_config bc = nr_backend_config_init();
        bc.device = "nr_float";
        bc.rate = RATE;
        bc.period = PERIOD;
        bc.rt_priority = prios[i];
        nr_backend *b = NULL;
        NT_CHECKF(nr_backend_open_alsa(&bc, &b) == NR_OK, "%s", nr_last_error());
        if (!b) return;
        int before = fifo_threads_at(42);
        nr_audio_client c = {.process = silent};
        NT_CHECK(nr_backend_start(b, &c) == NR_OK);
        usleep(20000);
        int during = fifo_threads_at(42);
        nr_backend_close(b);
        NT_CHECKF(during - before == (prios[i] ? 1 : 0), "priority %d: %d threads at SCHED_FIFO 42", prios[i],
                  during - before);
    }
}

int main(void)
{
    if (!write_config()) {
        nt_skip("cannot write the private ALSA configuration");
        return nt_end();
    }
    NT_RUN(test_float_bits);
    NT_RUN(test_s16_conversion);
    NT_RUN(test_missing_names);
    NT_RUN(test_realtime_priority);
    return nt_end();
}
