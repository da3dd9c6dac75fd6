/* Audio backends: file sink (sample-accurate, deterministic), JACK against a private dummy server,
 * ALSA's null device, and one clear line for every missing device. */
#include "audio/backend.h"
#include "audio/live.h"
#include "fake_client.h"
#include "instrument_helper.h"
#include "jackd_helper.h"
#include "neurorack.h"
#include "nr_test.h"

#include <math.h>
#include <sched.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *k_script = "0.010 gate 1 1\n0.0123 cv 1 3\n0.020 gate 1 0\n0.030 trig 2\n0.040 encoder +2\n"
                              "0.041 push\nend 0.05\n";

/* Events land at their exact sample, whatever the block size, and the file is the right length. */
static void test_file_sink_timing(void)
{
    nr_script s;
    NT_CHECK(nr_script_parse(k_script, "perf", &s) == NR_OK);
    const int blocks[] = {64, 100, 256};
    for (int k = 0; k < 3; k++) {
        fake_client f;
        nr_audio_client fc = fake_client_init(&f);
        nr_live live;
        nr_live_init(&live, &fc, &s, 48000, blocks[k]);
        nr_audio_client c = nr_live_client(&live);
        const char *path = nt_tmp("timing.wav");
        NT_CHECKF(nr_file_sink_run(path, 48000, blocks[k], nr_script_duration(&s), &c, NULL) == NR_OK, "%s",
                  nr_last_error());
        long n;
        int rate;
        float *x = nt_read_wav(path, &n, &rate);
        NT_CHECK(x && n == 2400 && rate == 48000);
        if (!x) continue;
        NT_CHECK(x[479] == 0.0f && x[480] == 0.5f);              /* gate 1 at 10 ms */
        NT_CHECK(x[589] == 0.5f && x[590] == 0.5f + 0.03f);      /* cv 1 at 12.3 ms = 590.4 */
        NT_CHECK(x[959] > 0.5f && x[960] == 0.03f);              /* gate 1 off at 20 ms */
        NT_CHECK(x[1439] == 0.03f && x[1440] == 0.25f + 0.03f);  /* trig 2 at 30 ms ... */
        NT_CHECK(x[1919] == 0.28f && x[1920] == 0.03f);          /* ... released 10 ms later */
        NT_CHECK(f.encoder == 2 && f.pushes == 1 && (int)f.polls == (2400 + blocks[k] - 1) / blocks[k]);
        NT_CHECK(f.max_n == blocks[k]);
        nr_live_stats st;
        nr_live_stats_get(&live, &st);
        /* the file sink runs the callback on this thread: its scheduling is read once, at the first block */
        NT_CHECKF(st.sched_policy == (sched_getscheduler(0) & ~SCHED_RESET_ON_FORK), "policy %d", st.sched_policy);
        /* gate 1 comes from silence; trig 2 does not (CV 1 offsets the output), so only one is measured */
        NT_CHECKF(st.gates == 1 && st.gates_same_block == 1 && st.worst_gate_delay == 0,
                  "gates %u same block %u delay %lld", st.gates, st.gates_same_block, (long long)st.worst_gate_delay);
        free(x);
    }
    nr_script_free(&s);
}

/* The live layer's block clocks: a block whose thread sleeps is late on the wall clock but not in the
 * thread's CPU time (what a stalled virtual CPU or a preempted thread looks like); a block that computes
 * for three periods is late in both. */
typedef struct {
    fake_client f;
    nr_audio_client inner;
    int k, slow_block, spin; /* spin: compute instead of sleeping */
} slow_client;

static void slow_process(void *ctx, float *out, int n)
{
    slow_client *c = ctx;
    if (c->k++ == c->slow_block) {
        const double three_periods = 3.0 * n / 48000.0;
        if (c->spin) {
            volatile double x = 0.0;
            const double t0 = nt_thread_cpu_s();
            while (nt_thread_cpu_s() - t0 < three_periods) x += 1.0;
        } else {
            usleep((useconds_t)(three_periods * 1e6));
        }
    }
    c->inner.process(c->inner.ctx, out, n);
}

static void test_live_block_clocks(void)
{
    for (int spin = 0; spin < 2; spin++) {
        static slow_client sc;
        memset(&sc, 0, sizeof sc);
        sc.inner = fake_client_init(&sc.f);
        sc.slow_block = 5;
        sc.spin = spin;
        nr_audio_client target = sc.inner;
        target.ctx = &sc;
        target.process = slow_process;
        nr_live live;
        nr_live_init(&live, &target, NULL, 48000, 64);
        nr_audio_client c = nr_live_client(&live);
        float out[64];
        for (int i = 0; i < 20; i++) c.process(c.ctx, out, 64);
        nr_live_stats st;
        nr_live_stats_get(&live, &st);
        NT_CHECKF(st.blocks == 20 && st.blocks_over >= 1 && st.worst_share >= 3.0, "%s: blocks %llu over %u worst %.2f",
                  spin ? "spin" : "sleep", (unsigned long long)st.blocks, st.blocks_over, st.worst_share);
        if (spin)
            NT_CHECKF(st.worst_cpu_share >= 3.0 && st.worst_cpu_share <= st.worst_share + 1e-3,
                      "spin: cpu %.2f wall %.2f", st.worst_cpu_share, st.worst_share);
        else
            NT_CHECKF(st.worst_cpu_share < 0.5, "sleep: cpu %.2f of the period", st.worst_cpu_share);
    }
}

/* The same script gives the same bytes, also through the real instrument when it is built. */
static void test_file_sink_deterministic(void)
{
    nr_script s;
    NT_CHECK(nr_script_parse(k_script, "perf", &s) == NR_OK);
    char *bytes[2] = {0};
    size_t len[2] = {0};
    for (int k = 0; k < 2; k++) {
        fake_client f;
        nr_audio_client fc = fake_client_init(&f);
        nr_live live;
        nr_live_init(&live, &fc, &s, 44100, 128);
        nr_audio_client c = nr_live_client(&live);
        const char *path = nt_tmp(k ? "b.wav" : "a.wav");
        NT_CHECK(nr_file_sink_run(path, 44100, 128, 0.05, &c, NULL) == NR_OK);
        bytes[k] = nt_read_file(path, &len[k]);
    }
    NT_CHECK(bytes[0] && bytes[1] && len[0] == len[1] && !memcmp(bytes[0], bytes[1], len[0]));
    free(bytes[0]);
    free(bytes[1]);
    nr_script_free(&s);
}

/* The real instrument rendered from a script: the same script gives the same file, and the first
 * sound comes at (or after) the first gate, not before. */
static void test_file_sink_instrument(void)
{
    /* short: the original model renders slower than real time, and this runs under ASan too */
    const char *perf = "0.05 trig 1\n0.15 cv 1 1.5\n0.2 trig 2\n0.25 encoder +1\n0.3 push\n0.32 trig 1\nend 0.4\n";
    nr_script s;
    NT_CHECK(nr_script_parse(perf, "perf", &s) == NR_OK);
    char *bytes[2] = {0};
    size_t len[2] = {0};
    for (int k = 0; k < 2; k++) {
        char why[512];
        nr_instrument *inst = test_instrument(48000, 128, 8, 0, why, sizeof why);
        if (!inst) { /* the helper failed the test */
            nr_script_free(&s);
            return;
        }
        nr_audio_client ic = nr_instrument_client(inst);
        nr_live live;
        nr_live_init(&live, &ic, &s, 48000, 128);
        nr_audio_client c = nr_live_client(&live);
        const char *path = nt_tmp(k ? "inst_b.wav" : "inst_a.wav");
        NT_CHECKF(nr_file_sink_run(path, 48000, 128, nr_script_duration(&s), &c, NULL) == NR_OK, "%s",
                  nr_last_error());
        nr_live_stats st;
        nr_live_stats_get(&live, &st);
        nr_instrument_free(inst);
        bytes[k] = nt_read_file(path, &len[k]);
        long n;
        int rate;
        float *x = nt_read_wav(path, &n, &rate);
        NT_CHECK(x && n == 19200);
        if (x && k == 0) {
            /* The resampler from the model's rate to 48 kHz is linear-phase: its pre-ringing may start a
             * little before the gate, far below the sound itself. */
            long first = -1;
            double peak = 0, before = 0;
            for (long i = 0; i < n; i++) {
                if (first < 0 && fabsf(x[i]) > NR_LIVE_SOUND_THRESHOLD) first = i;
                peak = fabs(x[i]) > peak ? fabs(x[i]) : peak;
                if (i < 2400) before = fabs(x[i]) > before ? fabs(x[i]) : before;
            }
            NT_CHECKF(first >= 2400 - 64 && before < 1e-3 && peak > 0.01 && peak <= 1.0,
                      "first sound at %ld, %g before the gate, peak %g", first, before, peak);
            printf("  instrument render: first sample above 1e-6 %ld samples from the gate (%.1e before it), "
                   "peak %.3f; gates from silence %u, %u sounded in their block\n",
                   first - 2400, before, peak, st.gates, st.gates_same_block);
        }
        free(x);
    }
    NT_CHECK(bytes[0] && bytes[1] && len[0] == len[1] && !memcmp(bytes[0], bytes[1], len[0]));
    free(bytes[0]);
    free(bytes[1]);
    nr_script_free(&s);
}

static void test_file_sink_errors(void)
{
    fake_client f;
    nr_audio_client c = fake_client_init(&f);
    NT_CHECK(nr_file_sink_run(nt_tmp("x.mp4"), 48000, 64, 1, &c, NULL) == NR_ERR_ARG &&
             strstr(nr_last_error(), ".wav"));
    NT_CHECK(nr_file_sink_run("/nonexistent-dir/x.wav", 48000, 64, 1, &c, NULL) == NR_ERR_IO &&
             strstr(nr_last_error(), "/nonexistent-dir/x.wav"));
    NT_CHECK(nr_file_sink_run(nt_tmp("x.wav"), 48000, 0, 1, &c, NULL) == NR_ERR_ARG);
    /* A render that fails half-way (the file-size limit fails write() as a full disk does) leaves the
     * previous file, no temporary file, and a message naming the file. */
    char path[600];
    snprintf(path, sizeof path, "%s", nt_tmp("keep.wav"));
    NT_CHECKF(nr_file_sink_run(path, 48000, 64, 0.01, &c, NULL) == NR_OK, "%s", nr_last_error());
    NT_WRITE_FAIL_BEGIN(path, 16 * 1024);
    nr_result r = nr_file_sink_run(path, 48000, 64, 1, &c, NULL);
    NT_WRITE_FAIL_END(r == NR_ERR_IO, nr_last_error(), nt_tmpdir());
}

static int one_line(const char *s) { return s[0] && !strchr(s, '\n'); }

static void test_missing_devices(void)
{
    nr_backend_config bc = nr_backend_config_init();
    nr_backend *b = NULL;
    bc.server_name = "nr-no-such-server";
    NT_CHECK(nr_backend_open_jack(&bc, &b) == NR_ERR_DEVICE && !b);
    NT_CHECKF(one_line(nr_last_error()) && strstr(nr_last_error(), "nr-no-such-server"), "%s", nr_last_error());
    bc.device = "hw:97,3";
    NT_CHECK(nr_backend_open_alsa(&bc, &b) == NR_ERR_DEVICE && !b);
    NT_CHECKF(one_line(nr_last_error()) && strstr(nr_last_error(), "hw:97,3"), "%s", nr_last_error());
    bc.device = "nonsense-device";
    NT_CHECK(nr_backend_open_alsa(&bc, &b) == NR_ERR_DEVICE && one_line(nr_last_error()));
    bc.device = "default";
    bc.period = 3;
    NT_CHECK(nr_backend_open_alsa(&bc, &b) == NR_ERR_ARG && strstr(nr_last_error(), "period"));
}

/* ALSA's null device takes any period and discards the samples: the playback thread, the format
 * conversion and the period size path run without a sound card. */
static void test_alsa_null(void)
{
    nr_backend_config bc = nr_backend_config_init();
    bc.device = "null";
    bc.period = 64;
    nr_backend *b;
    if (nr_backend_open_alsa(&bc, &b) != NR_OK) {
        char why[400];
        snprintf(why, sizeof why, "ALSA 'null' device unavailable: %s", nr_last_error());
        nt_skip(why);
        return;
    }
    NT_CHECK(nr_backend_rate(b) == 48000 && nr_backend_max_block(b) == 64);
    NT_CHECK(!strcmp(nr_backend_name(b), "alsa:null"));
    fake_client f;
    nr_audio_client c = fake_client_init(&f);
    NT_CHECK(nr_backend_start(b, &c) == NR_OK);
    for (int i = 0; i < 200 && f.t < 4800; i++) usleep(5000);
    nr_backend_close(b);
    NT_CHECKF(f.t >= 4800 && f.max_n == 64, "rendered %lld, blocks of %d", (long long)f.t, f.max_n);
}

typedef struct {
    fake_client f;
    nr_audio_client inner;
    int k;
} late_client;

static void late_process(void *ctx, float *out, int n)
{
    late_client *l = ctx;
    if (++l->k % 100 == 0) usleep(8000); /* six periods late */
    l->inner.process(l->inner.ctx, out, n);
}

/* JACK: a private dummy server at 48 kHz with 64-frame periods; a script played through the live layer
 * must land at its exact sample times, blocks must be the server's, and the callback must keep up. */
static void test_jack_dummy(void)
{
    if (!jackd_installed()) {
        nt_skip("jackd not installed (scripts/install-deps.sh installs jackd2)");
        return;
    }
    const char *name = jackd_unique_name();
    pid_t pid = jackd_start(name, 48000, 64, nt_tmp("jackd.log"));
    if (pid < 0) {
        NT_CHECKF(0, "jackd did not start; see %s", nt_tmp("jackd.log"));
        return;
    }
    nr_backend_config bc = nr_backend_config_init();
    bc.server_name = name;
    bc.autoconnect = 1; /* the dummy backend has system:playback ports */
    nr_backend *b = NULL;
    NT_CHECKF(nr_backend_open_jack(&bc, &b) == NR_OK, "%s", nr_last_error());
    if (b) {
        NT_CHECK(nr_backend_rate(b) == 48000 && nr_backend_max_block(b) == 64);
        NT_CHECK(!strncmp(nr_backend_name(b), "jack:", 5));
        nr_script s;
        NT_CHECK(nr_script_parse("0.1 gate 1 1\n0.2 gate 1 0\n0.3 trig 2\n0.31 cv 1 1\n", "j", &s) == NR_OK);
        fake_client f;
        nr_audio_client fc = fake_client_init(&f);
        nr_live live;
        nr_live_init(&live, &fc, &s, 48000, 64);
        nr_audio_client c = nr_live_client(&live);
        NT_CHECK(nr_backend_start(b, &c) == NR_OK);
        for (int i = 0; i < 400 && nr_live_samples(&live) < 24000; i++) usleep(5000);
        /* another source posting "as soon as possible" from this thread */
        NT_CHECK(nr_post_event(&c, NR_SRC_UI, NR_EV_ENCODER, 0, 1.0f));
        for (int i = 0; i < 200 && f.encoder == 0; i++) usleep(5000);
        float lat = nr_backend_latency_ms(b);
        nr_backend_close(b);
        nr_live_stats st;
        nr_live_stats_get(&live, &st);
        NT_CHECKF(st.samples >= 24000 && st.samples % 64 == 0 && f.max_n == 64, "samples %lld, max block %d",
                  (long long)st.samples, f.max_n);
        NT_CHECKF(f.n_gate_on == 2 && f.gate_on_at[0] == 4800 && f.gate_on_at[1] == 14400, "gates %d at %lld %lld",
                  f.n_gate_on, (long long)f.gate_on_at[0], (long long)f.gate_on_at[1]);
        NT_CHECK(f.cv[0] == 1.0f && f.encoder == 1);
        NT_CHECK(st.gates == 2 && st.gates_same_block == 2 && st.worst_gate_delay == 0);
        NT_CHECK(lat > 0 && lat < 100);
        NT_CHECK(st.xruns == atomic_load(&f.xruns));
        NT_CHECKF(st.sched_policy >= 0, "policy %d", st.sched_policy);
        printf("  jack dummy 48 kHz / 64: %lld samples in %llu callbacks, worst callback %.2f%% of the period, "
               "xruns %u (%u after %.1f s), latency %.2f ms, client thread policy %d priority %d\n",
               (long long)st.samples, (unsigned long long)st.blocks, 100 * st.worst_share, st.xruns,
               st.xruns_settled, NR_LIVE_SETTLE_S, (double)lat, st.sched_policy, st.sched_priority);
        nr_script_free(&s);
    }
    /* A client that is late now and then: the server reports xruns, the backend counts them and passes
     * them on (nr_instrument_note_xrun in the real program), and the stream goes on. */
    nr_backend *b3 = NULL;
    NT_CHECKF(nr_backend_open_jack(&bc, &b3) == NR_OK, "%s", nr_last_error());
    if (b3) {
        static late_client lc;
        memset(&lc, 0, sizeof lc);
        nr_audio_client c = fake_client_init(&lc.f);
        lc.inner = c;
        c.ctx = &lc;
        c.process = late_process;
        NT_CHECK(nr_backend_start(b3, &c) == NR_OK);
        for (int i = 0; i < 400 && lc.f.t < 48000; i++) usleep(5000);
        uint32_t xr = nr_backend_xruns(b3);
        nr_backend_close(b3);
        NT_CHECKF(xr > 0 && atomic_load(&lc.f.xruns) == xr && lc.f.t >= 48000, "xruns %u / %u, %lld samples", xr,
                  atomic_load(&lc.f.xruns), (long long)lc.f.t);
        printf("  late client (8 ms stall every 100 blocks of 1.33 ms): %u xruns counted, stream went on\n", xr);
    }
    jackd_stop(pid);
    /* The server is gone: one line, no hang. */
    nr_backend *b2;
    NT_CHECK(nr_backend_open_jack(&bc, &b2) == NR_ERR_DEVICE && one_line(nr_last_error()));
}

/* Runs the program with stdin from /dev/null; returns its exit code and its stderr (static). */
static int run_play(const char *args, const char **err)
{
    static char buf[4096];
    const char *bin = getenv("NR_BIN");
    if (!bin || !*bin) bin = "build/neurorack";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s play %s </dev/null 2>%s >/dev/null", bin, args, nt_tmp("stderr.txt"));
    int rc = system(cmd);
    size_t n;
    char *e = nt_read_file(nt_tmp("stderr.txt"), &n);
    snprintf(buf, sizeof buf, "%s", e ? e : "");
    free(e);
    *err = buf;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* What a person sees when something is missing or wrong: one line on stderr, a non-zero exit. */
static void test_play_messages(void)
{
    const char *bin = getenv("NR_BIN");
    if ((!bin || !*bin) && access("build/neurorack", X_OK) != 0) {
        nt_skip("the neurorack program is not built");
        return;
    }
    const char *err;
    int rc = run_play("--audio jack --jack-server nr-no-such-server", &err);
    NT_CHECKF(rc == 1 && lines(err) == 1 && strstr(err, "nr-no-such-server") && strstr(err, "file:"), "%d: %s", rc,
              err);
    rc = run_play("--device hw:97,1", &err);
    NT_CHECKF(rc == 1 && lines(err) == 1 && strstr(err, "hw:97,1"), "%d: %s", rc, err);
    const char *bad = nt_tmp("bad.txt");
    NT_CHECK(nt_write_file(bad, "0.1 gate 1 1\n0.2 cv 7 1\n", 24) == 0);
    char args[1200];
    snprintf(args, sizeof args, "--audio file:%s --script %s", nt_tmp("o.wav"), bad);
    rc = run_play(args, &err);
    char want[1100];
    snprintf(want, sizeof want, "%s:2: ", bad);
    NT_CHECKF(rc == 1 && lines(err) == 1 && strstr(err, want), "%d: %s", rc, err);
    snprintf(args, sizeof args, "--audio file:%s", nt_tmp("o.wav"));
    rc = run_play(args, &err);
    NT_CHECKF(rc == 2 && lines(err) == 1 && strstr(err, "--duration"), "%d: %s", rc, err);
    rc = run_play("--period 10", &err);
    NT_CHECKF(rc == 2 && lines(err) == 1 && strstr(err, "--period"), "%d: %s", rc, err);
    rc = run_play("--audio pulse", &err);
    NT_CHECKF(rc == 2 && lines(err) == 1, "%d: %s", rc, err);
    rc = run_play("--bogus", &err);
    NT_CHECKF(rc == 2 && lines(err) == 1 && strstr(err, "--bogus"), "%d: %s", rc, err);
}

int main(void)
{
    NT_RUN(test_file_sink_timing);
    NT_RUN(test_file_sink_deterministic);
    NT_RUN(test_file_sink_instrument);
    NT_RUN(test_file_sink_errors);
    NT_RUN(test_live_block_clocks);
    NT_RUN(test_missing_devices);
    NT_RUN(test_alsa_null);
    NT_RUN(test_jack_dummy);
    NT_RUN(test_play_messages);
    return nt_end();
}
