/* Switching models while playing: the model list (a broken file listed, never chosen, the instrument
 * playing on), a scripted performance through the file sink that switches mid-sound (the old voice goes on
 * sample for sample as without the switch, no gap, no click by the excess-click metric, then fades when
 * its gate retriggers on the new model), a second switch that hurries the old voices out with a fade, the
 * Sound page's Model item, OSC /neurorack/model (with the loader thread), templates following the model,
 * and the patch's model name in settings and presets (old files load, an unknown name plays the default).
 * The second model is written by the test (tests/tiny_model.h): nothing here skips. */
#include "audio/backend.h"
#include "audio/live.h"
#include "control/osc.h"
#include "control/script.h"
#include "instrument/instrument_internal.h"
#include "instrument/menu.h"
#include "neurorack.h"
#include "nr/eval.h"
#include "nr_test.h"
#include "tiny_model.h"

#include <lo/lo.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RATE 48000
#define BLOCK 256
#define QUIET 1e-4f /* -80 dB: below this a sample counts as silence for the gap check */

static char g_dir[600];   /* the settings folder; its models/ holds tiny and two broken files */
static char g_default[1024];
static int g_rate = RATE; /* the device rate of the instruments made and the renders */

static int setup(void)
{
    static int done, ok;
    if (done) return ok;
    done = 1;
    const char *env = getenv("NEURORACK_MODEL");
    snprintf(g_default, sizeof g_default, "%s", env && *env ? env : "models/default.safetensors");
    snprintf(g_dir, sizeof g_dir, "%s", nt_tmp("switch"));
    char models[700], path[800];
    snprintf(models, sizeof models, "%s/models", g_dir);
    mkdir(g_dir, 0755);
    mkdir(models, 0755);
    snprintf(path, sizeof path, "%s/tiny.safetensors", models);
    if (!write_tiny_model(path, 5)) return 0;
    /* a file that is no model at all, and a model cut short (its header promises more bytes) */
    snprintf(path, sizeof path, "%s/garbage.safetensors", models);
    NT_CHECK(nt_write_file(path, "not a model\n", 12) == 0);
    size_t n = 0;
    char tiny[800];
    snprintf(tiny, sizeof tiny, "%s/tiny.safetensors", models);
    char *bytes = nt_read_file(tiny, &n);
    snprintf(path, sizeof path, "%s/truncated.safetensors", models);
    NT_CHECK(bytes && nt_write_file(path, bytes, n / 2) == 0);
    free(bytes);
    ok = 1;
    return ok;
}

typedef void (*setup_fn)(nr_settings *s);

static nr_instrument *make(setup_fn fn, int sync)
{
    if (!setup()) return NULL;
    nr_settings s;
    nr_settings_defaults(&s);
    s.patch.template_a[0] = '\0';
    if (fn) fn(&s);
    char path[700];
    snprintf(path, sizeof path, "%s/settings.nrs", g_dir);
    NT_CHECKF(nr_settings_save(path, &s) == NR_OK, "%s", nr_last_error());
    nr_instrument_config c = nr_instrument_config_init();
    c.model_path = g_default;
    c.settings_path = path;
    c.device_rate = g_rate;
    c.max_block = BLOCK;
    c.cpu_guard = 0;
    c.seed = 3;
    c.sync_model_load = sync;
    nr_instrument *inst = NULL;
    NT_CHECKF(nr_instrument_create(&c, &inst) == NR_OK, "create: %s", nr_last_error());
    return inst;
}

static const char *playing(const nr_instrument *inst)
{
    int cur;
    const nr_model_list *l = nr_instrument_models(inst, &cur, NULL);
    return l->e[cur].name;
}

/* What the control thread sees after each block: the old model's voices still sounding. */
typedef struct {
    nr_audio_client inner;
    nr_instrument *inst;
    int n;
    int tail[1024];
} watch;

static void watch_poll(void *ctx)
{
    watch *w = ctx;
    w->inner.poll(w->inner.ctx);
    nr_instrument_status st;
    nr_instrument_status_get(w->inst, &st);
    if (w->n < 1024) w->tail[w->n++] = st.voices_sounding_out;
}
static void watch_process(void *ctx, float *out, int n) { watch *w = ctx; w->inner.process(w->inner.ctx, out, n); }
static int watch_post(void *ctx, nr_source s, const nr_control_event *ev) { watch *w = ctx; return w->inner.post(w->inner.ctx, s, ev); }

/* The performance through the file sink (blocks of BLOCK, poll after each); the samples, *n of them. */
static float *perform(nr_instrument *inst, const char *text, const char *file, long *n, watch *w)
{
    *n = 0;
    nr_script s;
    NT_CHECKF(nr_script_parse(text, file, &s) == NR_OK, "%s", nr_last_error());
    nr_audio_client ic = nr_instrument_client(inst);
    nr_live live;
    nr_live_init(&live, &ic, &s, g_rate, BLOCK);
    nr_audio_client c = nr_live_client(&live);
    if (w) {
        w->inner = c;
        w->inst = inst;
        w->n = 0;
        c = (nr_audio_client){.ctx = w, .process = watch_process, .post = watch_post, .poll = watch_poll};
    }
    const char *path = nt_tmp(file);
    NT_CHECKF(nr_file_sink_run(path, g_rate, BLOCK, nr_script_duration(&s), &c, NULL) == NR_OK, "%s", nr_last_error());
    nr_script_free(&s);
    return nt_read_wav(path, n, NULL);
}

/* Longest run of silent samples in x[a, b). */
static long longest_gap(const float *x, long a, long b)
{
    long best = 0, run = 0;
    for (long i = a; i < b; i++) {
        run = fabsf(x[i]) < QUIET ? run + 1 : 0;
        if (run > best) best = run;
    }
    return best;
}

static double rms(const float *x, long a, long b)
{
    double acc = 0;
    for (long i = a; i < b; i++) acc += (double)x[i] * x[i];
    return b > a ? sqrt(acc / (double)(b - a)) : 0.0;
}

static void start_tiny_tom(nr_settings *s) { snprintf(s->patch.model, sizeof s->patch.model, "tiny"); snprintf(s->patch.template_a, sizeof s->patch.template_a, "tom"); }
static void tom(nr_settings *s) { snprintf(s->patch.template_a, sizeof s->patch.template_a, "tom"); }

/* (b) The list: the default first, the tiny model, the two broken files with why; a broken name is never
 * chosen and the instrument keeps playing. */
static void test_model_list_and_broken_files(void)
{
    nr_instrument *inst = make(NULL, 1);
    if (!inst) return;
    int cur, def;
    const nr_model_list *l = nr_instrument_models(inst, &cur, &def);
    NT_CHECKF(l->n == 4, "%d models listed", l->n);
    NT_CHECK(cur == def && def == 0 && l->e[0].ok && !strcmp(l->e[0].name, "default"));
    int tiny = nr_model_list_find(l, "tiny"), garbage = nr_model_list_find(l, "garbage"),
        truncated = nr_model_list_find(l, "truncated");
    NT_CHECK(tiny > 0 && l->e[tiny].ok && !l->e[tiny].reason[0]);
    NT_CHECKF(garbage > 0 && !l->e[garbage].ok && strstr(l->e[garbage].reason, "garbage.safetensors"),
              "garbage: '%s'", garbage > 0 ? l->e[garbage].reason : "not listed");
    NT_CHECKF(truncated > 0 && !l->e[truncated].ok && l->e[truncated].reason[0], "truncated: '%s'",
              truncated > 0 ? l->e[truncated].reason : "not listed");
    NT_CHECKF(strstr(nr_instrument_notice(inst), "garbage") && strstr(nr_instrument_notice(inst), "truncated"),
              "notice '%s'", nr_instrument_notice(inst));
    printf("  broken: %s\n", garbage > 0 ? l->e[garbage].reason : "-");

    /* the Sound page offers the models that load, the System page shows the broken ones */
    nr_menu m;
    nr_menu_init(&m);
    m.level = 1;
    m.page = NR_PAGE_SOUND;
    nr_menu_view v;
    memset(&v, 0, sizeof v);
    v.settings = nr_instrument_settings(inst);
    const char *names[NR_MODEL_LIST_MAX];
    int k = 0;
    for (int i = 0; i < l->n; i++)
        if (l->e[i].ok) names[k++] = l->e[i].name;
    v.models = names;
    v.n_models = k;
    v.default_model = 0;
    v.model_name = playing(inst);
    v.model_list = l;
    nr_menu_item items[NR_MENU_MAX_ITEMS];
    int n = nr_menu_items(&m, &v, items);
    NT_CHECK(n > 0 && items[0].kind == NR_ITEM_ENUM && items[0].hi == 1 && !strcmp(items[0].value, "default*"));
    m.page = NR_PAGE_SYSTEM;
    n = nr_menu_items(&m, &v, items);
    int shown = 0;
    for (int i = 0; i < n; i++) shown += !strcmp(items[i].label, "garbage") || !strcmp(items[i].label, "truncated");
    NT_CHECKF(shown == 2, "System page shows %d broken models", shown);

    /* asked for by name (OSC, a script): the default keeps playing, with a notice */
    nr_control_event ev = {.type = NR_EV_MODEL, .time = -1};
    snprintf(ev.name, sizeof ev.name, "garbage");
    NT_CHECK(nr_instrument_post(inst, NR_SRC_OSC, &ev));
    nr_instrument_poll(inst);
    NT_CHECKF(!strcmp(playing(inst), "default"), "playing %s", playing(inst));
    NT_CHECKF(strstr(nr_instrument_notice(inst), "broken"), "notice '%s'", nr_instrument_notice(inst));
    long len;
    float *y = perform(inst, "0.02 trig 1\nend 0.3\n", "broken.wav", &len, NULL);
    NT_CHECKF(y && len == (long)(0.3 * RATE) && rms(y, RATE / 20, len) > 1e-3, "the instrument plays on");
    nr_instrument_status st;
    nr_instrument_status_get(inst, &st);
    NT_CHECK(st.model_switches == 0 && st.faults == 0);
    free(y);

    /* a file put in the folder later is listed by a rescan (System page: "Rescan models") */
    char later[800];
    snprintf(later, sizeof later, "%s/models/later.safetensors", g_dir);
    if (write_tiny_model(later, 6)) {
        nr_instrument_rescan_models(inst);
        l = nr_instrument_models(inst, &cur, &def);
        int k2 = nr_model_list_find(l, "later");
        NT_CHECKF(l->n == 5 && k2 > 0 && l->e[k2].ok && cur == def, "%d listed, later at %d", l->n, k2);
        NT_CHECKF(strstr(nr_instrument_notice(inst), "models: 3, 2 broken"), "notice '%s'", nr_instrument_notice(inst));
        remove(later);
    }
    nr_instrument_free(inst);
}

/* (a) Mid-sound: a tom on the default model from 0.1 s, the switch at 0.4 s, gate 1 again at 0.7 s. */
#define K_SWITCH "0.10 trig 1\n0.40 model tiny\n0.70 trig 1\nend 1.2\n"
#define K_PLAIN "0.10 trig 1\n0.70 trig 1\nend 1.2\n"
#define K_HURRY "0.10 trig 1\n0.40 model tiny\n0.45 model default\nend 1.2\n"

static void test_switch_mid_sound(void)
{
    nr_instrument *a = make(tom, 1), *b = make(tom, 1), *c = make(tom, 1);
    if (!a || !b || !c) goto done;
    long na, nb, nc;
    static watch w;
    float *ya = perform(a, K_SWITCH, "switch.wav", &na, &w);
    float *yb = perform(b, K_PLAIN, "plain.wav", &nb, NULL);
    float *yc = perform(c, K_HURRY, "hurry.wav", &nc, NULL);
    NT_CHECK(ya && yb && yc && na == nb && na == nc && na == (long)(1.2 * RATE));
    if (!ya || !yb || !yc || na != nb || na != nc) goto out;
    nr_instrument_status st;
    nr_instrument_status_get(a, &st);
    NT_CHECKF(st.model_switches == 1 && !strcmp(playing(a), "tiny"), "%u switches, playing %s", st.model_switches,
              playing(a));
    /* templates follow the model: tiny lacks "tom" and plays its own default; the patch keeps the name */
    const char *const *names;
    int nt = nr_instrument_templates(a, &names), has_tom = 0, has_tiny = 0;
    for (int i = 0; i < nt; i++) has_tom |= !strcmp(names[i], "tom"), has_tiny |= !strcmp(names[i], TINY_TEMPLATE);
    NT_CHECK(!has_tom && has_tiny && !strcmp(nr_instrument_settings(a)->patch.template_a, "tom"));

    /* until gate 1 rises again the old voice goes on exactly as without the switch: no gap, no step */
    long t_switch = (long)(0.40 * RATE), t_retrig = (long)(0.70 * RATE);
    double worst = 0;
    for (long i = 0; i < t_retrig; i++) worst = fmax(worst, fabs((double)ya[i] - yb[i]));
    NT_CHECKF(worst < 1e-6, "before the retrigger the switched render differs by %g", worst);
    long gap = longest_gap(ya, (long)(0.11 * RATE), t_retrig);
    NT_CHECKF(gap <= BLOCK, "a silent run of %ld samples across the switch", gap);
    NT_CHECKF(rms(ya, t_switch, t_switch + RATE / 10) > 1e-3, "the old voice is not heard after the switch");
    /* it went on in the tail after the switch, and was gone within a block and its fade of the retrigger */
    int blk_switch = (int)(t_switch / BLOCK) + 1, blk_retrig = (int)(t_retrig / BLOCK);
    NT_CHECKF(w.n > blk_retrig + 3 && w.tail[blk_switch + 1] == 1 && w.tail[blk_retrig - 1] == 1,
              "old voices after the switch: %d, before the retrigger: %d", w.n > blk_switch + 1 ? w.tail[blk_switch + 1] : -1,
              w.n > blk_retrig ? w.tail[blk_retrig - 1] : -1);
    NT_CHECKF(w.n > blk_retrig + 3 && w.tail[blk_retrig + 3] == 0, "the old voice still sounds 3 blocks after the retrigger");
    /* the new note sounds on the new model */
    NT_CHECK(rms(ya, t_retrig + BLOCK, t_retrig + RATE / 10) > 1e-3);

    /* no click: the excess-click metric against the same performance without the switch, up to the
     * retrigger (after it the new model plays another sound) */
    double excess = -1;
    NT_CHECKF(nr_eval_excess_clicks(ya, yb, t_retrig, RATE, &excess) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(excess <= 0.0, "switch: %.2f excess clicks per second", excess);
    /* a second switch while the old voice sounds: it fades out (raised cosine) and the switch follows */
    NT_CHECKF(nr_eval_excess_clicks(yc, yb, nc, RATE, &excess) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(excess <= 0.0, "hurried switch: %.2f excess clicks per second", excess);
    nr_instrument_status_get(c, &st);
    NT_CHECKF(st.model_switches == 2 && !strcmp(playing(c), "default"), "%u switches, playing %s", st.model_switches,
              playing(c));
    long t_hurry = (long)(0.45 * RATE);
    NT_CHECK(rms(yc, t_hurry - RATE / 50, t_hurry) > 1e-3);          /* sounding until the second switch */
    /* then faded out: nothing plays (what is left is the DC blocker settling, 10 Hz) */
    double after = rms(yc, t_hurry + RATE / 10, t_hurry + RATE / 5);
    NT_CHECKF(after < QUIET, "%g RMS 0.1 s after the second switch", after);
    /* the metric sees a cut: the same render with the voice cut at the second switch clicks */
    for (long i = t_hurry + 2 * BLOCK; i < nb; i++) yb[i] = 0.0f;
    long cut = 0, plain = 0;
    nr_eval_count_clicks(yb, nb, RATE, &cut);
    nr_eval_count_clicks(yc, nc, RATE, &plain);
    printf("  clicks: hurried switch %ld, hard cut at the same place %ld\n", plain, cut);
    NT_CHECKF(cut > plain, "a hard cut (%ld clicks) should click more than the fade (%ld)", cut, plain);
out:
    free(ya);
    free(yb);
    free(yc);
done:
    nr_instrument_free(a);
    nr_instrument_free(b);
    nr_instrument_free(c);
}

/* The same at a device rate the models do not run at: both output chains resample (48 -> 44.1 kHz), and
 * the old voice still goes on sample for sample until its gate rises again. */
static void test_switch_resampled(void)
{
    g_rate = 44100;
    nr_instrument *a = make(tom, 1), *b = make(tom, 1);
    long na = 0, nb = 0;
    float *ya = a ? perform(a, K_SWITCH, "switch44.wav", &na, NULL) : NULL;
    float *yb = b ? perform(b, K_PLAIN, "plain44.wav", &nb, NULL) : NULL;
    g_rate = RATE;
    NT_CHECK(ya && yb && na == nb && na == (long)(1.2 * 44100));
    if (ya && yb && na == nb) {
        long t_retrig = (long)(0.70 * 44100);
        double worst = 0;
        for (long i = 0; i < t_retrig; i++) worst = fmax(worst, fabs((double)ya[i] - yb[i]));
        NT_CHECKF(worst < 1e-6, "44.1 kHz: before the retrigger the switched render differs by %g", worst);
        long gap = longest_gap(ya, (long)(0.11 * 44100), t_retrig);
        NT_CHECKF(gap <= BLOCK, "44.1 kHz: a silent run of %ld samples across the switch", gap);
        double excess = -1;
        NT_CHECK(nr_eval_excess_clicks(ya, yb, na, 44100, &excess) == NR_OK);
        /* over the whole render the switch adds no click to those the two models make by themselves:
         * the old one without the switch, the new one (fresh weights: its onsets click) playing alone */
        nr_instrument *t = make(start_tiny_tom, 1);
        long nt = 0, ca = 0, cb = 0, ct = 0;
        float *yt = t ? perform(t, "0.70 trig 1\nend 1.2\n", "tiny44.wav", &nt, NULL) : NULL;
        nr_eval_count_clicks(ya, na, 44100, &ca);
        nr_eval_count_clicks(yb, nb, 44100, &cb);
        if (yt) nr_eval_count_clicks(yt, nt, 44100, &ct);
        printf("  44.1 kHz clicks: switched %ld; without the switch %ld, the new model alone %ld\n", ca, cb, ct);
        NT_CHECKF(yt && ca <= cb + ct, "the switched render clicks %ld times, more than %ld + %ld", ca, cb, ct);
        free(yt);
        nr_instrument_free(t);
        NT_CHECKF(nr_eval_excess_clicks(ya, yb, t_retrig, 44100, &excess) == NR_OK && excess <= 0.0,
                  "44.1 kHz: %.2f excess clicks per second", excess);
    }
    NT_CHECK(a && !strcmp(playing(a), "tiny"));
    free(ya);
    free(yb);
    nr_instrument_free(a);
    nr_instrument_free(b);
}

/* Old and new voices share the voice count: with 2 voices, two toms on gate 2 (poly) sounding out on the
 * old model and a new note on the new one, the oldest old voice fades. */
static void two_voices(nr_settings *s)
{
    tom(s);
    snprintf(s->patch.template_b, sizeof s->patch.template_b, "tom");
    s->patch.voices = 2;
    s->patch.gate_mode[1] = NR_GATE_POLY;
}

static void test_switch_voice_limit(void)
{
    nr_instrument *inst = make(two_voices, 1);
    if (!inst) return;
    static watch w;
    long n;
    float *y = perform(inst, "0.05 trig 2\n0.10 trig 2\n0.20 model tiny\n0.30 trig 2\nend 0.5\n", "limit.wav", &n, &w);
    int b_switch = (int)(0.20 * RATE / BLOCK) + 2, b_new = (int)(0.30 * RATE / BLOCK) + 1;
    NT_CHECKF(w.n > b_new && w.tail[b_switch] == 2 && w.tail[b_new - 2] == 2 && w.tail[b_new] == 1,
              "old voices sounding: after the switch %d, before the new note %d, after it %d", w.n > b_switch ? w.tail[b_switch] : -1,
              w.n > b_new ? w.tail[b_new - 2] : -1, w.n > b_new ? w.tail[b_new] : -1);
    free(y);
    nr_instrument_free(inst);
}

/* The Sound page's Model item: turning it switches the model; a curve file added as a template goes
 * with it. */
static void test_sound_page_switches(void)
{
    nr_instrument *inst = make(NULL, 1);
    if (!inst) return;
    nr_curves cv;
    NT_CHECK(nr_curves_alloc(&cv, 30, 100.0f) == NR_OK);
    for (int i = 0; i < 30 * NR_NUM_DESC; i++) cv.data[i] = i % NR_NUM_DESC == NR_DESC_LOUDNESS ? 0.1f : 500.0f;
    const char *csv = nt_tmp("mine.csv");
    NT_CHECK(nr_curves_write_csv(csv, &cv) == NR_OK);
    nr_curves_free(&cv);
    NT_CHECKF(nr_instrument_add_template(inst, csv) == NR_OK, "%s", nr_last_error());
    nr_control_event push = {.type = NR_EV_PUSH, .value = 1, .time = -1}, turn = {.type = NR_EV_ENCODER, .value = 1, .time = -1};
    NT_CHECK(nr_instrument_post(inst, NR_SRC_UI, &push)); /* into the Sound page, on "Model" */
    NT_CHECK(nr_instrument_post(inst, NR_SRC_UI, &push)); /* edit it */
    NT_CHECK(nr_instrument_post(inst, NR_SRC_UI, &turn)); /* default -> tiny */
    NT_CHECK(nr_instrument_post(inst, NR_SRC_UI, &push));
    nr_instrument_poll(inst);
    NT_CHECKF(!strcmp(playing(inst), "tiny") && !strcmp(nr_instrument_settings(inst)->patch.model, "tiny"),
              "playing %s, patch model '%s'", playing(inst), nr_instrument_settings(inst)->patch.model);
    const char *const *names;
    int nt = nr_instrument_templates(inst, &names), mine = 0, own = 0;
    for (int i = 0; i < nt; i++) mine |= !strcmp(names[i], "mine"), own |= !strcmp(names[i], TINY_TEMPLATE);
    NT_CHECKF(mine && own, "after the switch: the added template %s, the model's own %s", mine ? "kept" : "lost",
              own ? "there" : "missing");
    nr_instrument_free(inst);
}

static size_t osc_packet(char *buf, size_t cap, const char *types, const char *s)
{
    lo_message m = lo_message_new();
    if (types[0] == 's') lo_message_add_string(m, s);
    else if (types[0] == 'i') lo_message_add_int32(m, 1);
    size_t n = 0;
    void *p = lo_message_serialise(m, "/neurorack/model", NULL, &n);
    lo_message_free(m);
    if (!p || n > cap) {
        free(p);
        return 0;
    }
    memcpy(buf, p, n);
    free(p);
    return n;
}

/* (c) OSC /neurorack/model: decoded, bad ones refused, applied through the loader thread. */
static void test_osc_model(void)
{
    nr_instrument *inst = make(NULL, 0);
    if (!inst) return;
    nr_audio_client c = nr_instrument_client(inst);
    char pkt[256];
    uint32_t acc = 0, rej = 0;
    char long_name[NR_NAME_MAX + 8];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    const char *bad[] = {"a/b", "two words", long_name};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) nr_osc_decode(pkt, osc_packet(pkt, sizeof pkt, "s", bad[i]), &c, &acc, &rej);
    nr_osc_decode(pkt, osc_packet(pkt, sizeof pkt, "i", NULL), &c, &acc, &rej);
    nr_osc_decode(pkt, osc_packet(pkt, sizeof pkt, "", NULL), &c, &acc, &rej);
    NT_CHECKF(acc == 0 && rej == 5, "accepted %u, rejected %u", acc, rej);
    nr_osc_decode(pkt, osc_packet(pkt, sizeof pkt, "s", "tiny"), &c, &acc, &rej);
    NT_CHECK(acc == 1 && rej == 5);
    /* the loader reads the file while the audio goes on; the switch lands a few polls later */
    float buf[BLOCK];
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int polls = 0;
    do {
        nr_instrument_process(inst, buf, BLOCK);
        nr_instrument_poll(inst);
        polls++;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (strcmp(playing(inst), "tiny") && (t.tv_sec - t0.tv_sec) < 20);
    NT_CHECKF(!strcmp(playing(inst), "tiny") && !strcmp(nr_instrument_settings(inst)->patch.model, "tiny"),
              "after %d polls playing %s", polls, playing(inst));
    printf("  OSC switch landed after %d polls\n", polls);
    nr_osc_decode(pkt, osc_packet(pkt, sizeof pkt, "s", ""), &c, &acc, &rej); /* "" = the default */
    for (int i = 0; i < 4000 && strcmp(playing(inst), "default"); i++) {
        nr_instrument_process(inst, buf, BLOCK);
        nr_instrument_poll(inst);
    }
    NT_CHECKF(!strcmp(playing(inst), "default"), "playing %s", playing(inst));
    nr_instrument_free(inst);
}

/* A script's `model` line. */
static void test_script_model_line(void)
{
    nr_script s;
    NT_CHECK(nr_script_parse("0.5 model tiny\n0.6 model\n", "m", &s) == NR_OK);
    NT_CHECK(s.n == 2 && s.ev[0].ev.type == NR_EV_MODEL && !strcmp(s.ev[0].ev.name, "tiny") && s.ev[1].ev.name[0] == '\0');
    nr_script_free(&s);
    NT_CHECK(nr_script_parse("0.5 model a/b\n", "m", &s) == NR_ERR_FORMAT);
    NT_CHECK(nr_script_parse("0.5 model a b\n", "m", &s) == NR_ERR_FORMAT);
}

/* (d) The patch's model name in settings and presets: a round trip, older files, unknown names. */
static void preset_tiny(nr_settings *s)
{
    s->presets[0].used = 1;
    snprintf(s->presets[0].name, sizeof s->presets[0].name, "tiny one");
    nr_patch_defaults(&s->presets[0].patch);
    snprintf(s->presets[0].patch.model, sizeof s->presets[0].patch.model, "tiny");
}
static void start_tiny(nr_settings *s) { snprintf(s->patch.model, sizeof s->patch.model, "tiny"); }
static void start_unknown(nr_settings *s) { snprintf(s->patch.model, sizeof s->patch.model, "nosuch"); }

static void test_settings_and_presets(void)
{
    nr_settings s, back;
    nr_settings_defaults(&s);
    start_tiny(&s);
    preset_tiny(&s);
    char *text;
    size_t len;
    NT_CHECK(nr_settings_serialize(&s, &text, &len) == NR_OK);
    NT_CHECK(nr_settings_parse(text, len, "round trip", &back) == NR_OK);
    NT_CHECK(!strcmp(back.patch.model, "tiny") && back.presets[0].used && !strcmp(back.presets[0].patch.model, "tiny"));
    free(text);
    /* a file written before patches named their model: the default model */
    const char *body = "{\"patch\": {\"template_a\": \"kick\", \"volume_db\": -3}}";
    char old[256];
    int n = snprintf(old, sizeof old, "neurorack-settings 1 crc32=%08x\n%s", (unsigned)nr_crc32(body, strlen(body)), body);
    NT_CHECK(nr_settings_parse(old, (size_t)n, "old", &back) == NR_OK);
    NT_CHECK(back.patch.model[0] == '\0' && !strcmp(back.patch.template_a, "kick"));

    /* the instrument starts on the model the settings name; an unknown one plays the default, with a notice */
    nr_instrument *inst = make(start_tiny, 1);
    if (inst) NT_CHECKF(!strcmp(playing(inst), "tiny"), "playing %s", playing(inst));
    nr_instrument_free(inst);
    inst = make(start_unknown, 1);
    if (inst) {
        NT_CHECKF(!strcmp(playing(inst), "default") && strstr(nr_instrument_notice(inst), "nosuch") &&
                      strstr(nr_instrument_notice(inst), "not found"),
                  "playing %s, notice '%s'", playing(inst), nr_instrument_notice(inst));
        NT_CHECK(!strcmp(nr_instrument_settings(inst)->patch.model, "nosuch")); /* kept for when it is installed */
    }
    nr_instrument_free(inst);

    /* loading a preset switches to its model (Presets page: Slot, Name, Save here, Load) */
    inst = make(preset_tiny, 1);
    if (!inst) return;
    nr_control_event turn = {.type = NR_EV_ENCODER, .value = NR_PAGE_PRESETS, .time = -1},
                     push = {.type = NR_EV_PUSH, .value = 1, .time = -1};
    nr_instrument_post(inst, NR_SRC_UI, &turn);
    nr_instrument_post(inst, NR_SRC_UI, &push);
    turn.value = 3;
    nr_instrument_post(inst, NR_SRC_UI, &turn);
    nr_instrument_post(inst, NR_SRC_UI, &push);
    nr_instrument_poll(inst);
    NT_CHECKF(!strcmp(playing(inst), "tiny"), "after loading the preset playing %s", playing(inst));
    /* the settings file written now names it */
    NT_CHECK(nr_instrument_save_settings(inst) == NR_OK);
    char path[700];
    snprintf(path, sizeof path, "%s/settings.nrs", g_dir);
    NT_CHECK(nr_settings_load(path, &back) == NR_OK && !strcmp(back.patch.model, "tiny"));
    nr_instrument_free(inst);
}

int main(void)
{
    NT_RUN(test_model_list_and_broken_files);
    NT_RUN(test_switch_mid_sound);
    NT_RUN(test_switch_resampled);
    NT_RUN(test_switch_voice_limit);
    NT_RUN(test_sound_page_switches);
    NT_RUN(test_osc_model);
    NT_RUN(test_script_model_line);
    NT_RUN(test_settings_and_presets);
    return nt_end();
}
