/* Scripted performances through the public API with a real model: events with sample times posted,
 * audio rendered in blocks, and the result checked. Uses the default model if present, else the
 * original NSF from ../shared; skips (saying why) when neither loads. Renders stay short: the NSF is
 * slow under ASan. */
#include "instrument/instrument_internal.h"
#include "instrument/menu.h"
#include "neurorack.h"
#include "nr_test.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char g_model[1024];
static char g_why[1200];
static int g_rate; /* the model's sample rate */

static int find_model(void)
{
    static int done, found;
    if (done) return found;
    done = 1;
    /* the model that ships with the repository ($NEURORACK_MODEL overrides): it must load */
    const char *env = getenv("NEURORACK_MODEL"), *path = env && *env ? env : "models/default.safetensors";
    nr_model *m = NULL;
    if (nr_model_load(path, &m) != NR_OK) {
        snprintf(g_why, sizeof g_why, "%s does not load: %s", path, nr_last_error());
        return 0;
    }
    nr_model_info info;
    nr_model_get_info(m, &info);
    g_rate = info.sample_rate;
    nr_model_free(m);
    snprintf(g_model, sizeof g_model, "%s", path);
    found = 1;
    return found;
}

typedef void (*setup_fn)(nr_settings *s);

/* An instrument with its own settings file, deterministic (fixed seed, no CPU guard). */
static nr_instrument *make(const char *tag, setup_fn setup, int device_rate)
{
    nr_settings s;
    nr_settings_defaults(&s);
    if (setup) setup(&s);
    char name[64];
    snprintf(name, sizeof name, "%s/settings.nrs", tag);
    const char *path = nt_tmp(name);
    NT_CHECKF(nr_settings_save(path, &s) == NR_OK, "settings for %s: %s", tag, nr_last_error());
    nr_instrument_config c = nr_instrument_config_init();
    c.model_path = g_model;
    c.settings_path = path;
    c.device_rate = device_rate ? device_rate : g_rate;
    c.max_block = 256;
    c.cpu_guard = 0;
    c.seed = 7;
    nr_instrument *inst = NULL;
    nr_result r = nr_instrument_create(&c, &inst);
    NT_CHECKF(r == NR_OK, "create: %s", nr_last_error());
    return inst;
}

static void post(nr_instrument *inst, nr_event_type t, int index, float value, int64_t time)
{
    nr_control_event e = {t, index, value, time};
    NT_CHECK(nr_instrument_post(inst, NR_SRC_SCRIPT, &e));
}

/* Render n samples in blocks of uneven sizes (events fall inside blocks). */
static float *render(nr_instrument *inst, long n)
{
    static const int sizes[] = {256, 100, 37, 256, 1, 200};
    float *y = calloc((size_t)n, sizeof(float));
    long done = 0;
    for (int k = 0; done < n; k++) {
        int b = sizes[k % 6];
        if (b > n - done) b = (int)(n - done);
        nr_instrument_process(inst, y + done, b);
        done += b;
    }
    return y;
}

static void test_trigger_at_exact_sample(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    const long n = 2048, shift = 700;
    nr_instrument *a = make("exact-a", NULL, 0), *b = make("exact-b", NULL, 0);
    if (!a || !b) return;
    post(a, NR_EV_GATE, 0, 1.0f, 0);
    post(b, NR_EV_GATE, 0, 1.0f, shift);
    float *ya = render(a, n), *yb = render(b, n + shift);
    int silent = 1;
    for (long i = 0; i < shift; i++) silent &= yb[i] == 0.0f;
    NT_CHECK(silent);
    float worst = 0.0f, energy = 0.0f;
    for (long i = 0; i < n; i++) {
        worst = fmaxf(worst, fabsf(yb[i + shift] - ya[i]));
        energy += ya[i] * ya[i];
    }
    /* the voice contract: any block partition is within 1e-5 of the offline render (sgemm rows and
     * Winograd pairs follow the blocks, so the rounding does) */
    NT_CHECKF(worst < 1e-5f, "shifted trigger differs by %g", worst);
    NT_CHECKF(energy > 1e-6f, "the trigger made no sound (energy %g)", energy);
    free(ya);
    free(yb);
    nr_instrument_free(a);
    nr_instrument_free(b);
}

static void modes(nr_settings *s)
{
    s->patch.gate_mode[0] = NR_GATE_RETRIGGER;
    s->patch.gate_mode[1] = NR_GATE_POLY;
}
static void choke(nr_settings *s) { s->patch.gate_mode[0] = NR_GATE_CHOKE; }

static int voices(nr_instrument *inst)
{
    nr_instrument_status st;
    nr_instrument_status_get(inst, &st);
    return st.voices_active;
}

static void test_gate_modes(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    nr_instrument *inst = make("modes", modes, 0);
    if (!inst) return;
    float y[512];
    post(inst, NR_EV_GATE, 0, 1, -1);
    nr_instrument_process(inst, y, 64);
    NT_CHECK(voices(inst) == 1);
    post(inst, NR_EV_GATE, 0, 0, -1);
    post(inst, NR_EV_GATE, 0, 1, -1);
    nr_instrument_process(inst, y, 64);
    NT_CHECKF(voices(inst) == 1, "retrigger: %d voices", voices(inst)); /* the first fades out */
    for (int i = 0; i < 3; i++) {
        post(inst, NR_EV_GATE, 1, 1, -1);
        nr_instrument_process(inst, y, 32);
        post(inst, NR_EV_GATE, 1, 0, -1);
        nr_instrument_process(inst, y, 32);
    }
    NT_CHECKF(voices(inst) == 4, "poly: %d voices", voices(inst));
    nr_instrument_free(inst);

    inst = make("choke", choke, 0);
    if (!inst) return;
    post(inst, NR_EV_GATE, 0, 1, -1);
    nr_instrument_process(inst, y, 256);
    NT_CHECK(voices(inst) == 1);
    post(inst, NR_EV_GATE, 0, 0, -1);
    nr_instrument_process(inst, y, 64);
    NT_CHECK(voices(inst) == 0);
    int fade = g_rate / 100; /* 10 ms: the 5 ms fade is over */
    nr_instrument_process(inst, y, fade < 512 ? fade : 512);
    nr_instrument_process(inst, y, 256);
    /* Only the DC blocker's slow settling may remain: no audio-rate motion. */
    float motion = 0.0f;
    for (int i = 1; i < 256; i++) motion = fmaxf(motion, fabsf(y[i] - y[i - 1]));
    NT_CHECKF(motion < 1e-3f, "choked voice still sounds (steps of %g)", motion);
    nr_instrument_free(inst);
}

static void set_a_kick(nr_settings *s) { snprintf(s->patch.template_a, sizeof s->patch.template_a, "kick"); }
static void set_a_impact(nr_settings *s) { snprintf(s->patch.template_a, sizeof s->patch.template_a, "impact"); }
static void mix_at_1(nr_settings *s)
{
    snprintf(s->patch.template_a, sizeof s->patch.template_a, "impact");
    snprintf(s->patch.template_b, sizeof s->patch.template_b, "kick");
    s->patch.interp = 1.0f;
}
static void mix_at_0(nr_settings *s)
{
    mix_at_1(s);
    s->patch.interp = 0.0f;
}

static float max_diff(const float *a, const float *b, long n)
{
    float w = 0.0f;
    for (long i = 0; i < n; i++) w = fmaxf(w, fabsf(a[i] - b[i]));
    return w;
}

static void test_interpolation_ends(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    const long n = 2048;
    setup_fn single[2] = {set_a_impact, set_a_kick}, mixed[2] = {mix_at_0, mix_at_1};
    float *y[2][2];
    for (int e = 0; e < 2; e++) {
        nr_instrument *s = make(e ? "end1-single" : "end0-single", single[e], 0);
        nr_instrument *m = make(e ? "end1-mix" : "end0-mix", mixed[e], 0);
        if (!s || !m) return;
        post(s, NR_EV_GATE, 0, 1, 0); /* gate 1: the template alone */
        post(m, NR_EV_GATE, 1, 1, 0); /* gate 2: the A/B mix */
        y[e][0] = render(s, n);
        y[e][1] = render(m, n);
        float d = max_diff(y[e][0], y[e][1], n);
        NT_CHECKF(d < 1e-6f, "a=%d: the mix differs from %s by %g", e, e ? "B" : "A", d);
        nr_instrument_free(s);
        nr_instrument_free(m);
    }
    NT_CHECK(max_diff(y[0][0], y[1][0], n) > 1e-4f); /* A and B really differ */
    for (int e = 0; e < 2; e++) {
        free(y[e][0]);
        free(y[e][1]);
    }
}

static void test_bad_control_values(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    nr_instrument *inst = make("bad", NULL, 0);
    if (!inst) return;
    const float bad[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f, 3e38f};
    post(inst, NR_EV_GATE, 0, NAN, 0);
    post(inst, NR_EV_GATE, 0, 1, 1);
    post(inst, NR_EV_GATE, 1, 1e30f, 2);
    for (int k = 0; k < 6; k++)
        for (int i = 0; i < NR_NUM_CV; i++) post(inst, NR_EV_CV, i, bad[(k + i) % 6], 10 + 100 * k + i);
    post(inst, NR_EV_CV, 7, 1, 20);
    post(inst, NR_EV_GATE, 5, 1, 20);
    post(inst, NR_EV_ENCODER, 0, NAN, -1);
    nr_instrument_poll(inst);
    float *y = render(inst, 2048);
    int ok = 1;
    for (int i = 0; i < 2048; i++) ok &= isfinite(y[i]) && fabsf(y[i]) < 1.0f;
    NT_CHECK(ok);
    nr_instrument_status st;
    nr_instrument_status_get(inst, &st);
    for (int i = 0; i < NR_NUM_CV; i++) NT_CHECKF(isfinite(st.cv[i]) && fabsf(st.cv[i]) <= 12.0f, "cv%d %g", i, st.cv[i]);
    NT_CHECK(st.faults == 0 && st.voices_active >= 1 && isfinite(st.out_peak) && st.out_peak < 1.0f);
    free(y);
    nr_instrument_free(inst);
}

static float mean_centroid(const float *y, long n)
{
    nr_curves c;
    if (nr_analyze(y, n, &c) != NR_OK) return NAN;
    float peak = 0.0f, sum = 0.0f;
    int cnt = 0;
    for (int i = 0; i < c.n_frames; i++) peak = fmaxf(peak, c.data[i * NR_NUM_DESC + NR_DESC_LOUDNESS]);
    for (int i = 0; i < c.n_frames; i++)
        if (c.data[i * NR_NUM_DESC + NR_DESC_LOUDNESS] > 0.1f * peak) {
            sum += c.data[i * NR_NUM_DESC + NR_DESC_BRIGHTNESS];
            cnt++;
        }
    nr_curves_free(&c);
    return cnt ? sum / (float)cnt : NAN;
}

static void test_brightness_cv_raises_centroid(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    float probe[4096] = {0};
    nr_curves pc;
    if (nr_analyze(probe, 4096, &pc) != NR_OK) return nt_skip("nr_analyze is not built in yet");
    nr_curves_free(&pc);
    const long n = 6144; /* 12 frames of analysis */
    float cen[2];
    for (int k = 0; k < 2; k++) {
        nr_instrument *inst = make(k ? "bright-up" : "bright-down", NULL, NR_ANALYSIS_RATE);
        if (!inst) return;
        /* CV1 is brightness by default: -5 V, then +5 V after the first frame. */
        post(inst, NR_EV_CV, 0, -5.0f, 0);
        post(inst, NR_EV_GATE, 0, 1, 0);
        post(inst, NR_EV_CV, 0, k ? 5.0f : -5.0f, 600);
        float *y = render(inst, n);
        cen[k] = mean_centroid(y, n);
        free(y);
        nr_instrument_free(inst);
    }
    NT_CHECKF(cen[1] > cen[0] * 1.1f, "centroid %g Hz (CV +5 V) vs %g Hz (-5 V)", cen[1], cen[0]);
    printf("  mean spectral centroid: %.0f Hz with brightness CV at -5 V, %.0f Hz at +5 V\n", cen[0], cen[1]);
}

static void test_resampled_output(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    int rate = g_rate == 48000 ? 44100 : 48000;
    nr_instrument *inst = make("resampled", NULL, rate);
    if (!inst) return;
    post(inst, NR_EV_GATE, 0, 1, 0);
    float *y = render(inst, 3000);
    float e = 0.0f;
    int ok = 1;
    for (int i = 0; i < 3000; i++) {
        ok &= isfinite(y[i]) && fabsf(y[i]) < 1.0f;
        e += y[i] * y[i];
    }
    NT_CHECK(ok && e > 1e-6f);
    nr_instrument_status st;
    nr_instrument_status_get(inst, &st);
    NT_CHECKF(st.cv_latency_ms > 0.0f && st.cv_latency_ms < 500.0f, "cv latency %g ms", st.cv_latency_ms);
    printf("  CV-to-sound latency in the engine: %.1f ms (model at %d Hz, device %d Hz)\n", st.cv_latency_ms, g_rate, rate);
    free(y);
    nr_instrument_free(inst);
}

static long gcd(long a, long b) { return b ? gcd(b, a % b) : a; }

/* With a device rate other than the model's, the resampler's sinc rings before an onset. Timed events
 * are rendered late by the sinc's left half: nothing sounds before the gate (not even -120 dB), the
 * sound follows within that lead plus the voice's attack, and triggers stay sample-accurate (a gate
 * moved by one period of the two rates' common grid gives the same samples, moved). */
static void test_no_sound_before_gate_resampled(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    int rate = g_rate == 48000 ? 44100 : 48000;
    long grid = rate / gcd(rate, g_rate); /* device samples after which both streams are in phase */
    long t0 = 3 * grid + 17, shift = 4 * grid, n = 3000;
    nr_instrument *a = make("pre-a", NULL, rate), *b = make("pre-b", NULL, rate);
    if (!a || !b) return;
    post(a, NR_EV_GATE, 0, 1.0f, t0);
    post(b, NR_EV_GATE, 0, 1.0f, t0 + shift);
    float *ya = render(a, t0 + n), *yb = render(b, t0 + shift + n);
    float before = 0.0f;
    for (long i = 0; i < t0; i++) before = fmaxf(before, fabsf(ya[i]));
    for (long i = 0; i < t0 + shift; i++) before = fmaxf(before, fabsf(yb[i]));
    NT_CHECKF(before < 1e-6f, "%g (%.0f dBFS) before the gate", before, 20 * log10f(before));
    long loud = -1;
    for (long i = t0; i < t0 + n && loud < 0; i++)
        if (fabsf(ya[i]) > 1e-3f) loud = i - t0;
    nr_instrument_status st;
    nr_instrument_status_get(a, &st);
    NT_CHECKF(loud >= 0 && loud < 0.004 * rate, "sound (above -60 dB) %ld samples after the gate", loud);
    float worst = 0.0f;
    for (long i = 0; i < t0 + n; i++) worst = fmaxf(worst, fabsf(yb[i + shift] - ya[i]));
    NT_CHECKF(worst < 1e-5f, "a trigger moved by %ld samples differs by %g", shift, worst);
    printf("  model %d Hz -> device %d Hz: peak before the gate %.1e, above -60 dB %ld samples after it, "
           "CV-to-sound latency %.1f ms\n",
           g_rate, rate, (double)before, loud, (double)st.cv_latency_ms);
    free(ya);
    free(yb);
    nr_instrument_free(a);
    nr_instrument_free(b);
}

static void test_menu_and_settings_through_api(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    nr_instrument *inst = make("menu", NULL, 0);
    if (!inst) return;
    uint8_t fb[NR_OLED_W * NR_OLED_H / 8];
    uint32_t s0 = nr_instrument_frame(inst, fb);
    NT_CHECK(s0 != 0);
    /* Voices & out -> Voices -> 3, then back out: saved to the file once polled. */
    post(inst, NR_EV_ENCODER, 0, 3, -1);
    post(inst, NR_EV_PUSH, 0, 1, -1);
    post(inst, NR_EV_PUSH, 0, 1, -1);
    post(inst, NR_EV_ENCODER, 0, -5, -1);
    post(inst, NR_EV_PUSH, 0, 1, -1);
    nr_instrument_poll(inst);
    uint32_t s1 = nr_instrument_frame(inst, fb);
    NT_CHECK(s1 != s0);
    NT_CHECK(nr_instrument_settings(inst)->patch.voices == 3);
    NT_CHECK(nr_instrument_save_settings(inst) == NR_OK);
    nr_settings back;
    NT_CHECK(nr_settings_load(nt_tmp("menu/settings.nrs"), &back) == NR_OK && back.patch.voices == 3);
    /* The frame is the page: row 0 reads "Voices ... 3" (bit k of byte [page*128+x] is (x, page*8+k)). */
    int lit = 0;
    for (size_t i = 0; i < sizeof fb; i++) lit += fb[i] != 0;
    NT_CHECK(lit > 50);
    /* Poly voices beyond the patch's 3 are stolen. */
    float y[64];
    for (int i = 0; i < 5; i++) {
        post(inst, NR_EV_GATE, 1, 1, -1);
        nr_instrument_process(inst, y, 16);
        post(inst, NR_EV_GATE, 1, 0, -1);
        nr_instrument_process(inst, y, 16);
    }
    NT_CHECKF(voices(inst) == 3, "%d voices with a limit of 3", voices(inst));
    post(inst, NR_EV_QUIT, 0, 0, -1);
    NT_CHECK(!nr_instrument_quit_requested(inst));
    nr_instrument_poll(inst);
    NT_CHECK(nr_instrument_quit_requested(inst));
    nr_instrument_free(inst);
}

static void test_reload_model(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    nr_instrument *inst = make("reload", NULL, 0);
    if (!inst) return;
    float *y = render(inst, 1000); /* the stream runs before the reload */
    free(y);
    post(inst, NR_EV_ENCODER, 0, NR_NUM_PAGES - 1, -1); /* the System page (the last) */
    post(inst, NR_EV_PUSH, 0, 1, -1);
    post(inst, NR_EV_ENCODER, 0, 3, -1); /* "Reload model" */
    post(inst, NR_EV_PUSH, 0, 1, -1);
    nr_instrument_poll(inst);
    NT_CHECKF(strstr(nr_instrument_notice(inst), "reloaded"), "notice '%s'", nr_instrument_notice(inst));
    /* The audio thread takes the new model at its next block; a trigger after that still lands on
     * its sample (the stream's clock goes on across the swap). */
    float blk[24];
    nr_instrument_process(inst, blk, 24); /* stream time 1024 */
    nr_instrument_poll(inst);             /* frees the old model */
    post(inst, NR_EV_GATE, 0, 1, 1500);
    y = render(inst, 1000);
    int first = -1;
    for (int i = 0; i < 1000 && first < 0; i++)
        if (y[i] != 0.0f) first = i;
    NT_CHECKF(first >= 1500 - 1024 && first < 1500 - 1024 + 64, "first sound at stream time %d", first + 1024);
    free(y);
    nr_instrument_free(inst);
}

/* Every bad file of the templates folder is reported, not only the last one read. */
static void test_template_folder_errors(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    const char *names[] = {"bad1.csv", "bad2.csv", "bad3.csv"};
    char p[2048];
    nr_settings s;
    nr_settings_defaults(&s);
    NT_CHECK(nr_settings_save(nt_tmp("tplerr/settings.nrs"), &s) == NR_OK);
    snprintf(p, sizeof p, "%s", nt_tmp("tplerr/templates"));
    NT_CHECK(mkdir(p, 0700) == 0);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", nt_tmp("tplerr/templates"), names[i]);
        NT_CHECK(nt_write_file(p, "not,a,curve\n", 12) == 0);
    }
    nr_instrument_config c = nr_instrument_config_init();
    c.model_path = g_model;
    c.settings_path = nt_tmp("tplerr/settings.nrs");
    c.device_rate = g_rate;
    nr_instrument *inst = NULL;
    NT_CHECKF(nr_instrument_create(&c, &inst) == NR_OK, "%s", nr_last_error());
    if (!inst) return;
    for (int i = 0; i < 3; i++)
        NT_CHECKF(strstr(nr_instrument_notice(inst), names[i]), "notice '%s' lacks %s", nr_instrument_notice(inst),
                  names[i]);
    nr_instrument_free(inst);
}

static void test_corrupt_settings_at_start(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    const char *path = nt_tmp("corrupt/settings.nrs");
    nr_settings s;
    nr_settings_defaults(&s);
    NT_CHECK(nr_settings_save(path, &s) == NR_OK);
    NT_CHECK(nt_write_file(path, "neurorack-settings 1 crc32=00000000\n{\"patch\":{}}", 47) == 0);
    nr_instrument_config c = nr_instrument_config_init();
    c.model_path = g_model;
    c.settings_path = path;
    c.device_rate = g_rate;
    nr_instrument *inst = NULL;
    NT_CHECKF(nr_instrument_create(&c, &inst) == NR_OK, "%s", nr_last_error());
    if (!inst) return;
    NT_CHECKF(strstr(nr_instrument_notice(inst), "checksum") && strstr(nr_instrument_notice(inst), ".bad-"),
              "notice '%s'", nr_instrument_notice(inst));
    NT_CHECK(nr_instrument_settings(inst)->patch.voices == NR_MAX_VOICES);
    nr_instrument_free(inst);
}

/* The synth alone, as a plugin would host it: events from an array, no settings, menu or queues.
 * Two synths in one process, rendered interleaved in the same uneven blocks, give the same bits (no
 * shared state), and the same bits as the instrument that hosts one with the default patch. */
typedef struct {
    const nr_synth_event *ev;
    int n, next;
} event_array;

static int array_next(void *ctx, nr_synth_event *ev)
{
    event_array *a = ctx;
    if (a->next >= a->n) return 0;
    *ev = a->ev[a->next++];
    return 1;
}

static void cv1_voct(nr_settings *s) { s->patch.cv[0] = (nr_cv_assign){NR_CVT_PITCH_VOCT, NR_VOCT_RANGE, 1}; }

/* A played note: NOTE_PITCH +1 V (note 72) sounds as the pitch_voct CV at +1 V, NOTE_LEVEL scales the
 * voice (velocity), and both belong to the voice the gate starts, not to voices already sounding. */
static void test_note_pitch_and_level(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    const long n = 8192, at = 2400; /* the CV has settled (1 ms glide) long before the gate */
    nr_instrument *cv = make("note-cv", cv1_voct, 0), *note = make("note-pitch", NULL, 0),
                  *plain = make("note-plain", NULL, 0), *soft = make("note-soft", NULL, 0);
    if (!cv || !note || !plain || !soft) return;
    post(cv, NR_EV_CV, 0, 1.0f, 0);
    post(cv, NR_EV_GATE, 0, 1.0f, at);
    post(note, NR_EV_NOTE_PITCH, 0, 1.0f, at);
    post(note, NR_EV_GATE, 0, 1.0f, at);
    post(plain, NR_EV_GATE, 0, 1.0f, at);
    post(soft, NR_EV_NOTE_LEVEL, 0, 0.5f, at);
    post(soft, NR_EV_GATE, 0, 1.0f, at);
    float *ycv = render(cv, n), *ynote = render(note, n), *yplain = render(plain, n), *ysoft = render(soft, n);
    float d_cv = 0.0f, d_plain = 0.0f, d_soft = 0.0f, peak = 0.0f;
    for (long i = 0; i < n; i++) {
        d_cv = fmaxf(d_cv, fabsf(ynote[i] - ycv[i]));
        d_plain = fmaxf(d_plain, fabsf(ynote[i] - yplain[i]));
        d_soft = fmaxf(d_soft, fabsf(ysoft[i] - 0.5f * yplain[i]));
        peak = fmaxf(peak, fabsf(yplain[i]));
    }
    NT_CHECKF(peak > 1e-3f, "silent: peak %g", (double)peak);
    NT_CHECKF(d_cv < 1e-6f, "note 72 differs from pitch_voct at +1 V by %g", (double)d_cv);
    NT_CHECKF(d_plain > 0.05f * peak, "the note's pitch changed nothing (%g)", (double)d_plain);
    NT_CHECKF(d_soft < 1e-6f, "velocity 0.5 is not half the sound (%g)", (double)d_soft);
    printf("  note 72 vs pitch_voct +1 V: max difference %.2g; velocity 0.5: %.2g\n", (double)d_cv, (double)d_soft);
    /* A note's pitch is the voice's: set after the trigger, it waits for the next one. */
    nr_instrument *late = make("note-late", NULL, 0);
    if (!late) return;
    post(late, NR_EV_GATE, 0, 1.0f, at);
    post(late, NR_EV_NOTE_PITCH, 0, 1.0f, at + 10);
    float *ylate = render(late, n);
    float d_late = 0.0f;
    for (long i = 0; i < n; i++) d_late = fmaxf(d_late, fabsf(ylate[i] - yplain[i]));
    NT_CHECKF(d_late == 0.0f, "a pitch after the trigger moved the sounding voice (%g)", (double)d_late);
    free(ylate);
    nr_instrument_free(late);
    free(ycv), free(ynote), free(yplain), free(ysoft);
    nr_instrument_free(cv), nr_instrument_free(note), nr_instrument_free(plain), nr_instrument_free(soft);
}

static void test_synth_instances_match_instrument(void)
{
    if (!find_model()) return nt_fail_at(__FILE__, __LINE__, "%s", g_why);
    static const nr_synth_event ev[] = {{NR_SYNTH_GATE, 0, 1.0f, 10},   {NR_SYNTH_CV, 0, 2.0f, 500},
                                        {NR_SYNTH_GATE, 0, 0.0f, 900},  {NR_SYNTH_GATE, 1, 1.0f, 1200},
                                        {NR_SYNTH_CV, 1, -3.0f, 1500}, {NR_SYNTH_GATE, 0, 1.0f, 2100}};
    const int n_ev = (int)(sizeof ev / sizeof ev[0]);
    const long n = 4096;
    nr_synth *syn[2] = {NULL, NULL};
    event_array src[2] = {{ev, n_ev, 0}, {ev, n_ev, 0}};
    float *y[2] = {calloc((size_t)n, sizeof(float)), calloc((size_t)n, sizeof(float))};
    for (int k = 0; k < 2; k++) {
        nr_synth_config c = nr_synth_config_init();
        NT_CHECKF(nr_model_load(g_model, &c.model) == NR_OK, "%s", nr_last_error());
        c.device_rate = g_rate;
        c.max_block = 256;
        c.cpu_guard = 0;
        c.seed = 7;
        NT_CHECKF(nr_synth_init(&c, &syn[k]) == NR_OK, "%s", nr_last_error());
    }
    static const int sizes[] = {256, 100, 37, 256, 1, 200};
    long done[2] = {0, 0};
    for (int b = 0; syn[0] && syn[1] && (done[0] < n || done[1] < n); b++) {
        int k = b % 2; /* interleaved; the same uneven blocks as render() (CV smoothing is per block) */
        int m = sizes[(b / 2) % 6];
        if (m > n - done[k]) m = (int)(n - done[k]);
        if (m <= 0) continue;
        nr_synth_events e = {&src[k], array_next};
        nr_synth_process(syn[k], &e, y[k] + done[k], m);
        done[k] += m;
    }
    nr_instrument *inst = make("synth-vs-instrument", NULL, 0);
    if (!inst) return;
    for (int i = 0; i < n_ev; i++) post(inst, (nr_event_type)ev[i].type, ev[i].index, ev[i].value, ev[i].time);
    float *yi = render(inst, n);
    float peak = 0.0f;
    long diff_ab = 0, diff_ai = 0;
    for (long i = 0; i < n; i++) {
        diff_ab += memcmp(&y[0][i], &y[1][i], sizeof(float)) != 0;
        diff_ai += memcmp(&y[0][i], &yi[i], sizeof(float)) != 0;
        peak = fabsf(y[0][i]) > peak ? fabsf(y[0][i]) : peak;
    }
    NT_CHECKF(peak > 1e-3f, "silent: peak %g", (double)peak);
    NT_CHECKF(diff_ab == 0, "%ld samples differ between two synths in one process", diff_ab);
    NT_CHECKF(diff_ai == 0, "%ld samples differ between the bare synth and the instrument", diff_ai);
    printf("  two synths and the instrument: %ld identical samples, peak %.3f\n", n, (double)peak);
    nr_instrument_free(inst);
    for (int k = 0; k < 2; k++) {
        nr_synth_uninit(syn[k]);
        free(y[k]);
    }
    free(yi);
}

int main(void)
{
    NT_RUN(test_trigger_at_exact_sample);
    NT_RUN(test_gate_modes);
    NT_RUN(test_interpolation_ends);
    NT_RUN(test_bad_control_values);
    NT_RUN(test_brightness_cv_raises_centroid);
    NT_RUN(test_resampled_output);
    NT_RUN(test_no_sound_before_gate_resampled);
    NT_RUN(test_menu_and_settings_through_api);
    NT_RUN(test_reload_model);
    NT_RUN(test_corrupt_settings_at_start);
    NT_RUN(test_template_folder_errors);
    NT_RUN(test_synth_instances_match_instrument);
    NT_RUN(test_note_pitch_and_level);
    return nt_end();
}
