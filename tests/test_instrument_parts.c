/* The synth's parts that need no model: queues, gate logic, CV mapping, curve making,
 * the output chain, event timing. */
#include "synth/guard.h"
#include "synth/mapping.h"
#include "synth/performer.h"
#include "synth/spsc.h"
#include "nr/instrument.h"
#include "nr/synth.h"
#include "nr_test.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- queues ---- */

static void test_spsc_basic(void)
{
    nr_spsc q;
    NT_CHECK(nr_spsc_init(&q, 5, sizeof(int)) == NR_OK); /* rounded up to 8 */
    int v;
    NT_CHECK(!nr_spsc_pop(&q, &v));
    for (int i = 0; i < 8; i++) NT_CHECK(nr_spsc_push(&q, &i));
    NT_CHECK(!nr_spsc_push(&q, &v) && nr_spsc_count(&q) == 8);
    for (int i = 0; i < 8; i++) NT_CHECK(nr_spsc_pop(&q, &v) && v == i);
    NT_CHECK(!nr_spsc_pop(&q, &v));
    nr_spsc_free(&q);
    NT_CHECK(nr_spsc_init(&q, 1, 4) == NR_ERR_ARG);
}

#define N_ITEMS 200000
static void *producer(void *arg)
{
    nr_spsc *q = arg;
    for (uint32_t i = 0; i < N_ITEMS;) {
        uint32_t item[2] = {i, i * 2654435761u};
        if (nr_spsc_push(q, item)) i++;
    }
    return NULL;
}

static void test_spsc_threads(void)
{
    nr_spsc q;
    NT_CHECK(nr_spsc_init(&q, 64, 2 * sizeof(uint32_t)) == NR_OK);
    pthread_t t;
    pthread_create(&t, NULL, producer, &q);
    uint32_t next = 0, bad = 0, item[2];
    while (next < N_ITEMS)
        if (nr_spsc_pop(&q, item)) {
            bad += item[0] != next || item[1] != next * 2654435761u;
            next++;
        }
    pthread_join(t, NULL);
    NT_CHECKF(bad == 0, "%u items out of order or torn", bad);
    nr_spsc_free(&q);
}

/* ---- gate logic ---- */

static const float FADE = 0.01f;

static void test_gate_modes(void)
{
    nr_vpool p;
    nr_vpool_init(&p);
    int a = nr_vpool_trigger(&p, 0, NR_GATE_RETRIGGER, 8, NR_STEAL_OLDEST, FADE);
    int b = nr_vpool_trigger(&p, 0, NR_GATE_RETRIGGER, 8, NR_STEAL_OLDEST, FADE);
    NT_CHECK(a != b && p.s[a].state == NR_VS_RELEASING && p.s[b].state == NR_VS_PLAYING);
    NT_CHECK(nr_vpool_count(&p, NR_VS_PLAYING) == 1);
    nr_vpool_gate_off(&p, 0, NR_GATE_RETRIGGER, FADE); /* retrigger rings on */
    NT_CHECK(p.s[b].state == NR_VS_PLAYING);

    nr_vpool_init(&p);
    a = nr_vpool_trigger(&p, 0, NR_GATE_CHOKE, 8, NR_STEAL_OLDEST, FADE);
    int g2 = nr_vpool_trigger(&p, 1, NR_GATE_POLY, 8, NR_STEAL_OLDEST, FADE);
    nr_vpool_gate_off(&p, 0, NR_GATE_CHOKE, FADE);
    NT_CHECK(p.s[a].state == NR_VS_RELEASING && p.s[a].fade_step == FADE);
    NT_CHECK(p.s[g2].state == NR_VS_PLAYING); /* the other gate's voice is untouched */

    nr_vpool_init(&p);
    for (int i = 0; i < 3; i++) nr_vpool_trigger(&p, 1, NR_GATE_POLY, 8, NR_STEAL_OLDEST, FADE);
    NT_CHECK(nr_vpool_count(&p, NR_VS_PLAYING) == 3);
    nr_vpool_gate_off(&p, 1, NR_GATE_POLY, FADE);
    NT_CHECK(nr_vpool_count(&p, NR_VS_PLAYING) == 3);
    NT_CHECK(p.s[0].gate == 1 && p.s[0].gain == 1.0f);
}

static void test_stealing(void)
{
    nr_vpool p;
    nr_vpool_init(&p);
    int s[4];
    for (int i = 0; i < 4; i++) s[i] = nr_vpool_trigger(&p, 1, NR_GATE_POLY, 4, NR_STEAL_OLDEST, FADE);
    int e = nr_vpool_trigger(&p, 1, NR_GATE_POLY, 4, NR_STEAL_OLDEST, FADE);
    NT_CHECK(p.s[s[0]].state == NR_VS_RELEASING && p.s[e].state == NR_VS_PLAYING && p.stolen == 1);
    NT_CHECK(nr_vpool_count(&p, NR_VS_PLAYING) == 4);
    /* Quietest: the voice with the smallest envelope goes, whatever its age. */
    p.s[s[1]].env = 0.5f;
    p.s[s[2]].env = 0.01f;
    p.s[s[3]].env = 0.3f;
    p.s[e].env = 0.2f;
    nr_vpool_trigger(&p, 1, NR_GATE_POLY, 4, NR_STEAL_QUIETEST, FADE);
    NT_CHECK(p.s[s[2]].state == NR_VS_RELEASING && p.s[s[1]].state == NR_VS_PLAYING);
    /* Lowering the limit (CPU guard) fades the surplus. */
    nr_vpool_limit(&p, 2, NR_STEAL_OLDEST, FADE);
    NT_CHECK(nr_vpool_count(&p, NR_VS_PLAYING) == 2);
    /* A trigger storm never plays more than the limit and always finds a slot. */
    nr_vpool_init(&p);
    for (int i = 0; i < 1000; i++) {
        int k = nr_vpool_trigger(&p, i & 1, i % 3, 8, i % 2, FADE);
        NT_CHECK(k >= 0 && k < NR_VOICE_SLOTS && p.s[k].state == NR_VS_PLAYING);
        NT_CHECK(nr_vpool_count(&p, NR_VS_PLAYING) <= 8);
    }
    NT_CHECK(nr_vpool_trigger(&p, 0, NR_GATE_POLY, 0, 0, FADE) >= 0); /* a limit below 1 means 1 */
    NT_CHECK(nr_vpool_count(&p, NR_VS_PLAYING) == 1);
}

/* ---- CV mapping ---- */

static void test_cv_mapping(void)
{
    nr_cv_cal cal = {0.1f, 2.0f};
    NT_CHECK(fabsf(nr_cv_calibrate(1.1f, &cal) - 2.0f) < 1e-6f);
    NT_CHECK(nr_cv_calibrate(NAN, &cal) == 0.0f);
    NT_CHECK(nr_cv_calibrate(INFINITY, &cal) == NR_CV_RAIL && nr_cv_calibrate(-1e30f, &cal) == -NR_CV_RAIL);
    nr_cv_cal badcal = {NAN, INFINITY};
    NT_CHECK(nr_cv_calibrate(1.0f, &badcal) == 1.0f);
    NT_CHECK(nr_cv_unit(2.5f, 1) == 0.5f && nr_cv_unit(-7.0f, 1) == -1.0f);
    NT_CHECK(nr_cv_unit(-2.0f, 0) == 0.0f && nr_cv_unit(5.0f, 0) == 1.0f && nr_cv_unit(NAN, 1) == 0.0f);

    nr_patch p;
    nr_patch_defaults(&p);
    p.interp = 0.3f;
    p.offset[NR_DESC_BRIGHTNESS] = 0.5f;
    p.cv[0] = (nr_cv_assign){NR_CVT_DESC0 + NR_DESC_BRIGHTNESS, 1.5f, 1};
    p.cv[1] = (nr_cv_assign){NR_CVT_INTERP, 1.0f, 0};
    p.cv[2] = (nr_cv_assign){NR_CVT_DESC0 + NR_DESC_BRIGHTNESS, -1.0f, 1}; /* two inputs add */
    p.cv[3] = (nr_cv_assign){NR_CVT_STRETCH, 2.0f, 1};
    float v[NR_NUM_CV] = {5.0f, 2.5f, 2.5f, -2.5f};
    nr_curve_ctl c;
    float level;
    nr_controls_from_cv(&p, v, &c, &level);
    NT_CHECK(fabsf(c.offset[NR_DESC_BRIGHTNESS] - (0.5f + 1.5f - 0.5f)) < 1e-6f);
    NT_CHECK(fabsf(c.a - 0.8f) < 1e-6f && fabsf(c.stretch + 1.0f) < 1e-6f && level == 1.0f);
    v[1] = 10.0f; /* beyond full scale: clamped to a = 1 */
    nr_controls_from_cv(&p, v, &c, &level);
    NT_CHECK(c.a == 1.0f);
    /* Level as a VCA; scrub and variation within their ranges. */
    p.cv[0] = (nr_cv_assign){NR_CVT_LEVEL, 1.0f, 0};
    p.cv[1] = (nr_cv_assign){NR_CVT_SCRUB, 10.0f, 1};
    p.cv[2] = (nr_cv_assign){NR_CVT_VARIATION, 1.0f, 1};
    v[0] = 0.0f;
    v[1] = -5.0f;
    v[2] = 5.0f;
    nr_controls_from_cv(&p, v, &c, &level);
    NT_CHECK(level == 0.0f && c.scrub == -1.0f && c.variation == 1.0f);
    v[0] = 2.5f;
    nr_controls_from_cv(&p, v, &c, &level);
    NT_CHECK(fabsf(level - 0.5f) < 1e-6f);
    p.cv[0].range = NAN;
    nr_controls_from_cv(&p, v, &c, &level);
    NT_CHECK(level == 0.0f);
    NT_CHECK(nr_db_to_gain(-60.0f) == 0.0f && fabsf(nr_db_to_gain(-6.0f) - 0.50119f) < 1e-4f && nr_db_to_gain(NAN) == 0.0f);
}

/* ---- curves ---- */

/* A model's normalisation (the values the original stores) without a model. */
static void fake_info(nr_model_info *info)
{
    memset(info, 0, sizeof *info);
    info->sample_rate = 22050;
    info->hop = 512;
    const float mean[NR_NUM_DESC] = {0.0935f, 0.0408f, 1693.7f, 0.1208f, 1075.3f, 877.8f, 1241.0f};
    const float sd[NR_NUM_DESC] = {0.08f, 0.03f, 1200.0f, 0.1f, 600.0f, 700.0f, 900.0f};
    memcpy(info->desc_mean, mean, sizeof mean);
    memcpy(info->desc_std, sd, sizeof sd);
}

/* A curve with its loudness peak at frame `peak`, every other descriptor a ramp. */
static void make_curve(nr_curves *c, int n, int peak, float scale)
{
    nr_curves_alloc(c, n, 22050.0f / 512.0f);
    for (int i = 0; i < n; i++) {
        float *f = c->data + (size_t)i * NR_NUM_DESC;
        f[0] = 0.3f * scale * expf(-fabsf((float)(i - peak)) / 5.0f);
        f[1] = 0.02f + 0.001f * i;
        f[2] = 3000.0f * scale - 10.0f * i;
        f[3] = 0.05f + 0.002f * i;
        f[4] = 1500.0f * scale - 5.0f * i;
        f[5] = 1000.0f * scale + 7.0f * i;
        f[6] = 200.0f * scale - 1.0f * i;
    }
}

static int play(const nr_template_set *s, int ta, int tb, const nr_curve_ctl *c, float *out, int max)
{
    nr_curve_reader r;
    uint64_t rng = 5;
    nr_curve_start(&r, &rng);
    int n = 0;
    float raw[NR_NUM_DESC];
    while (n < max && nr_curve_next(s, ta, tb, &r, c, raw)) memcpy(out + (size_t)n++ * NR_NUM_DESC, raw, sizeof raw);
    return n;
}

static void test_curve_ends_match_templates(void)
{
    nr_model_info info;
    fake_info(&info);
    nr_template_set s;
    nr_template_set_init(&s, &info);
    nr_curves A, B;
    make_curve(&A, 40, 3, 1.0f);
    make_curve(&B, 70, 12, 1.5f);
    NT_CHECK(nr_template_set_add(&s, "A", &A) == NR_OK && nr_template_set_add(&s, "B", &B) == NR_OK);
    NT_CHECK(s.t[0].peak == 3.0f && s.t[1].peak == 12.0f && nr_template_set_find(&s, "B") == 1);
    float *out = malloc(200 * NR_NUM_DESC * sizeof(float));
    nr_curve_ctl c = {0};
    int n = play(&s, 0, 1, &c, out, 200); /* a = 0: exactly A */
    NT_CHECK(n == 40);
    float worst = 0.0f;
    for (int i = 0; i < n * NR_NUM_DESC; i++) worst = fmaxf(worst, fabsf(out[i] - A.data[i]) / (fabsf(A.data[i]) + 1e-3f));
    NT_CHECKF(worst < 1e-4f, "a=0 differs from A by %g (relative)", worst);
    c.a = 1.0f; /* a = 1: exactly B, its own length */
    n = play(&s, 0, 1, &c, out, 200);
    NT_CHECK(n == 70);
    worst = 0.0f;
    for (int i = 0; i < n * NR_NUM_DESC; i++) worst = fmaxf(worst, fabsf(out[i] - B.data[i]) / (fabsf(B.data[i]) + 1e-3f));
    NT_CHECKF(worst < 1e-4f, "a=1 differs from B by %g (relative)", worst);
    /* a = 0.5: length and peak in between, peaks aligned, values mixed in normalised space. */
    c.a = 0.5f;
    n = play(&s, 0, 1, &c, out, 200);
    NT_CHECKF(n == 55, "mix has %d frames", n);
    int pk = 0;
    for (int i = 1; i < n; i++)
        if (out[i * NR_NUM_DESC] > out[pk * NR_NUM_DESC]) pk = i;
    NT_CHECKF(pk == 7 || pk == 8, "mixed peak at frame %d, expected 7.5", pk);
    /* At the start both are read at frame 0: (zA + zB) / 2, back in raw units, is the raw mean. */
    for (int d = 0; d < NR_NUM_DESC; d++) {
        float want = 0.5f * (A.data[d] + B.data[d]);
        NT_CHECKF(fabsf(out[d] - want) <= 1e-4f * fabsf(want) + 1e-6f, "d%d %g vs %g", d, out[d], want);
    }
    /* The last frame mixes both last frames. */
    for (int d = 1; d < NR_NUM_DESC; d++) {
        float want = 0.5f * (A.data[39 * NR_NUM_DESC + d] + B.data[69 * NR_NUM_DESC + d]);
        NT_CHECKF(fabsf(out[(n - 1) * NR_NUM_DESC + d] - want) <= 1e-3f * fabsf(want), "end d%d", d);
    }
    nr_curves_free(&A);
    nr_curves_free(&B);
    nr_template_set_free(&s);
    free(out);
}

/* pitch_voct: 1 V is one octave exactly (the default range), 0 V none; the curve is left as it is (the
 * voice plays each frame tuned: nr_voice_push_frame_tuned, tested with the models). */
static void test_curve_voct(void)
{
    nr_model_info info;
    fake_info(&info);
    nr_template_set s;
    nr_template_set_init(&s, &info);
    nr_curves A;
    make_curve(&A, 40, 3, 1.0f);
    nr_template_set_add(&s, "A", &A);
    float *base = malloc(2 * 40 * NR_NUM_DESC * sizeof(float)), *moved = base + 40 * NR_NUM_DESC;
    nr_patch p;
    nr_patch_defaults(&p);
    p.cv[0] = (nr_cv_assign){NR_CVT_PITCH_VOCT, nr_cv_target_limits(NR_CVT_PITCH_VOCT)->def_range, 1};
    const float volts[] = {1.0f, -1.0f, 7.0f / 12.0f, -5.0f / 12.0f, 2.0f};
    float v[NR_NUM_CV] = {0};
    nr_curve_ctl c;
    float level;
    nr_controls_from_cv(&p, v, &c, &level);
    NT_CHECK(c.voct == 0.0f);
    int n0 = play(&s, 0, -1, &c, base, 40);
    for (size_t k = 0; k < sizeof volts / sizeof volts[0]; k++) {
        v[0] = volts[k];
        nr_controls_from_cv(&p, v, &c, &level);
        NT_CHECKF(fabsf(c.voct - volts[k]) < 1e-6f, "%g V gave %g octaves", volts[k], c.voct);
        int n = play(&s, 0, -1, &c, moved, 40);
        NT_CHECK(n == n0);
        for (int t = 0; t < n; t++)
            for (int d = 0; d < NR_NUM_DESC; d++) {
                float b = base[t * NR_NUM_DESC + d], m = moved[t * NR_NUM_DESC + d];
                NT_CHECKF(m == b, "%g V moved column %d of the curve", volts[k], d);
            }
    }
    v[0] = NAN; /* a broken input leaves the pitch alone */
    nr_controls_from_cv(&p, v, &c, &level);
    NT_CHECK(c.voct == 0.0f);
    NT_CHECK(!strcmp(nr_cv_target_name(NR_CVT_PITCH_VOCT), "pitch_voct") &&
             nr_cv_target_from_name("pitch_voct") == NR_CVT_PITCH_VOCT);
    nr_curves_free(&A);
    nr_template_set_free(&s);
    free(base);
}

static void test_curve_controls(void)
{
    nr_model_info info;
    fake_info(&info);
    nr_template_set s;
    nr_template_set_init(&s, &info);
    nr_curves A;
    make_curve(&A, 40, 3, 1.0f);
    nr_template_set_add(&s, "A", &A);
    float *out = malloc(400 * NR_NUM_DESC * sizeof(float));
    float *ref = malloc(400 * NR_NUM_DESC * sizeof(float));
    nr_curve_ctl c = {0};
    play(&s, 0, -1, &c, ref, 400);
    c.stretch = 1.0f; /* one octave longer: twice the frames */
    int n = play(&s, 0, -1, &c, out, 400);
    NT_CHECKF(n == 79, "stretched to %d frames", n);
    NT_CHECK(fabsf(out[20 * NR_NUM_DESC + 5] - ref[10 * NR_NUM_DESC + 5]) < 1e-2f);
    c.stretch = -1.0f;
    NT_CHECK(play(&s, 0, -1, &c, out, 400) == 20);
    c.stretch = 0.0f;
    c.offset[NR_DESC_BRIGHTNESS] = 1.0f; /* +1 std of brightness, nothing else */
    n = play(&s, 0, -1, &c, out, 400);
    NT_CHECK(n == 40);
    for (int i = 0; i < n; i++)
        for (int d = 0; d < NR_NUM_DESC; d++) {
            float want = ref[i * NR_NUM_DESC + d] + (d == NR_DESC_BRIGHTNESS ? 700.0f : 0.0f);
            NT_CHECK(fabsf(out[i * NR_NUM_DESC + d] - want) <= 1e-3f * fabsf(want) + 1e-5f);
        }
    c.offset[NR_DESC_BRIGHTNESS] = 0.0f;
    c.scrub = 0.5f; /* read half a sound ahead; the sound still lasts its length */
    n = play(&s, 0, -1, &c, out, 400);
    NT_CHECK(n == 40 && fabsf(out[5] - ref[20 * NR_NUM_DESC + 5]) < 1e-2f);
    NT_CHECK(fabsf(out[39 * NR_NUM_DESC + 5] - ref[39 * NR_NUM_DESC + 5]) < 1e-2f);
    /* Absurd offsets give plausible raw values, never negative rms or Hz above Nyquist. */
    c.scrub = 0.0f;
    for (int d = 0; d < NR_NUM_DESC; d++) c.offset[d] = 1e30f;
    n = play(&s, 0, -1, &c, out, 400);
    for (int i = 0; i < n * NR_NUM_DESC; i++) NT_CHECK(isfinite(out[i]) && out[i] >= 0.0f && out[i] <= 11025.0f);
    /* Variation changes the curve, and the same draws repeat it. */
    memset(&c, 0, sizeof c);
    c.variation = 1.0f;
    float *out2 = malloc(400 * NR_NUM_DESC * sizeof(float));
    int n1 = play(&s, 0, -1, &c, out, 400), n2 = play(&s, 0, -1, &c, out2, 400);
    NT_CHECK(n1 == n2 && !memcmp(out, out2, (size_t)n1 * NR_NUM_DESC * sizeof(float)));
    NT_CHECK(n1 != 40 || memcmp(out, ref, 40 * NR_NUM_DESC * sizeof(float)) != 0);
    /* No template: nothing plays. */
    nr_curve_reader r = {0};
    float raw[NR_NUM_DESC];
    NT_CHECK(!nr_curve_next(&s, 5, -1, &r, &c, raw) && !nr_curve_next(&s, -1, -1, &r, &c, raw));
    free(out2);
    free(out);
    free(ref);
    nr_curves_free(&A);
    nr_template_set_free(&s);
}

static void test_builtin_templates(void)
{
    nr_model_info info;
    fake_info(&info);
    nr_template_set s;
    nr_template_set_init(&s, &info);
    NT_CHECK(nr_template_set_add_builtins(&s) == NR_OK);
    NT_CHECK(s.count >= 3 && nr_template_set_find(&s, "impact") >= 0);
    for (int i = 0; i < s.count; i++) {
        NT_CHECK(s.t[i].n > 10);
        for (int k = 0; k < s.t[i].n * NR_NUM_DESC; k++) NT_CHECK(isfinite(s.t[i].z[k]) && fabsf(s.t[i].z[k]) < 20.0f);
    }
    nr_template_set_free(&s);
}

/* ---- output chain ---- */

typedef struct {
    double phase, freq, rate;
    long calls, samples;
} sine_src;

static void sine_render(void *ctx, float *y, int m)
{
    sine_src *s = ctx;
    for (int i = 0; i < m; i++) {
        y[i] = (float)(0.5 * sin(s->phase));
        s->phase += 2.0 * M_PI * s->freq / s->rate;
    }
    s->calls++;
    s->samples += m;
}

static void test_resampler(void)
{
    nr_output o;
    NT_CHECK(nr_output_init(&o, 22050, 48000, 256, 256) == NR_OK);
    sine_src s = {0, 1000.0, 22050.0, 0, 0};
    int total = 48000;
    float *y = malloc(total * sizeof(float));
    for (int done = 0; done < total; done += 200) nr_output_pull(&o, y + done, 200, sine_render, &s);
    /* The rates match: one second out took one second in (plus the resampler's delay line). */
    NT_CHECKF(labs(s.samples - 22050) < 200, "rendered %ld model samples", s.samples);
    int cross = 0;
    double energy = 0;
    for (int i = 4800; i < total - 1; i++) {
        cross += (y[i] < 0) != (y[i + 1] < 0);
        energy += (double)y[i] * y[i];
    }
    double f = cross / 2.0 / ((total - 4801) / 48000.0);
    NT_CHECKF(fabs(f - 1000.0) < 3.0, "frequency %g Hz", f);
    double rms = sqrt(energy / (total - 4801));
    NT_CHECKF(fabs(rms - 0.5 / sqrt(2.0)) < 0.01, "rms %g", rms);
    nr_output_free(&o);
    free(y);
    NT_CHECK(nr_output_init(&o, 22050, 0, 256, 256) == NR_ERR_ARG);
}

static void dc_render(void *ctx, float *y, int m)
{
    (void)ctx;
    for (int i = 0; i < m; i++) y[i] = 0.3f;
}

static void test_post_chain(void)
{
    nr_output o;
    NT_CHECK(nr_output_init(&o, 48000, 48000, 512, 512) == NR_OK);
    NT_CHECK(o.src == NULL);
    float y[512];
    for (int b = 0; b < 200; b++) { /* 2 s of DC: blocked */
        nr_output_pull(&o, y, 512, dc_render, NULL);
        nr_output_post(&o, y, 512, 1.0f);
    }
    NT_CHECKF(fabsf(y[511]) < 1e-3f, "DC left: %g", y[511]);
    /* Limiter: identity below the knee, never reaching 1, monotonic and continuous. */
    NT_CHECK(nr_soft_limit(0.5f) == 0.5f && nr_soft_limit(-0.8f) == -0.8f);
    NT_CHECK(nr_soft_limit(1e30f) <= 1.0f && nr_soft_limit(-1e30f) >= -1.0f && nr_soft_limit(2.0f) < 1.0f);
    float prev = nr_soft_limit(0.0f);
    for (int i = 1; i <= 4000; i++) {
        float v = nr_soft_limit((float)i * 0.001f);
        NT_CHECK(v >= prev && v - prev <= 0.0011f);
        prev = v;
    }
    /* NaN and inf become silence; the filter recovers at once. */
    nr_output_reset(&o);
    for (int i = 0; i < 512; i++) y[i] = (i % 7 == 0) ? NAN : (i % 11 == 0 ? INFINITY : 0.1f * sinf(0.05f * i));
    float peak = nr_output_post(&o, y, 512, 1.0f);
    int finite = 1;
    for (int i = 0; i < 512; i++) finite &= isfinite(y[i]) && fabsf(y[i]) < 1.0f;
    NT_CHECK(finite && peak < 1.0f && o.guarded > 0);
    for (int i = 0; i < 512; i++) y[i] = 1e38f;
    nr_output_post(&o, y, 512, 1.0f);
    for (int i = 0; i < 512; i++) y[i] = 0.0f;
    nr_output_post(&o, y, 512, 1.0f);
    NT_CHECK(isfinite(y[511]) && fabsf(y[511]) < 1.0f);
    /* Volume moves by a ramp, not a step. */
    nr_output_reset(&o);
    for (int i = 0; i < 512; i++) y[i] = 0.5f;
    nr_output_post(&o, y, 512, 0.0f);
    for (int i = 0; i < 512; i++) y[i] = 0.5f;
    nr_output_post(&o, y, 512, 1.0f);
    float worst = 0.0f;
    for (int i = 1; i < 512; i++) worst = fmaxf(worst, fabsf(y[i] - y[i - 1]));
    NT_CHECKF(worst < 0.01f, "volume step %g", worst);
    nr_output_free(&o);
}

/* The offline output stage (render --output-stage, the latent render check) is the live chain's post at
 * unity volume, sample for sample, across its internal chunks; a loud sound ends under full scale. */
static void test_offline_output_stage(void)
{
    enum { N = 150000 }; /* over two of the offline stage's chunks of 65536 */
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
    NT_CHECK(x && y);
    for (int i = 0; i < N; i++) x[i] = y[i] = 0.2f + 1.3f * sinf(0.01f * (float)i) * expf(-(float)i / 40000.0f);
    x[777] = NAN;
    y[777] = NAN;
    float peak = nr_synth_output_stage(x, N, 48000);
    nr_output o;
    NT_CHECK(nr_output_init(&o, 48000, 48000, 512, 512) == NR_OK);
    float live_peak = 0.0f;
    nr_output_post(&o, y, 0, 1.0f); /* unity from the first sample, as the offline stage */
    for (int i = 0; i < N; i += 512) {
        int m = N - i < 512 ? N - i : 512;
        live_peak = fmaxf(live_peak, nr_output_post(&o, y + i, m, 1.0f));
    }
    nr_output_free(&o);
    double worst = 0.0, top = 0.0;
    for (int i = 0; i < N; i++) worst = fmax(worst, fabs((double)x[i] - y[i])), top = fmax(top, fabs((double)x[i]));
    printf("  offline output stage: peak %.4f (live %.4f), largest difference from the live chain %.2e\n", peak,
           live_peak, worst);
    NT_CHECKF(worst < 1e-6 && fabsf(peak - live_peak) < 1e-6f, "offline differs from live by %g", worst);
    NT_CHECKF(peak < 0.98f && peak > 0.9f && top == (double)peak && x[777] == 0.0f, "peak %g", peak);
    double mean = 0.0; /* the offset of 0.2 is gone by the end: the last 0.5 s average to zero */
    for (int i = N - 24000; i < N; i++) mean += x[i] / 24000.0;
    NT_CHECKF(fabs(mean) < 0.002, "DC left %g", mean);
    free(x), free(y);
}

/* ---- event timing (no engine: the gate logic and clock still run) ---- */

static void test_event_timing(void)
{
    nr_performer p;
    nr_perf_init(&p, NULL, 48000, 1);
    nr_perf_params prm = p.prm;
    prm.patch.gate_mode[1] = NR_GATE_POLY;
    nr_perf_set_params(&p, &prm);
    float y[64];
    nr_synth_event on = {NR_SYNTH_GATE, 1, 1.0f, 150}, off = {NR_SYNTH_GATE, 1, 0.0f, 151};
    NT_CHECK(nr_perf_event(&p, &off) && nr_perf_event(&p, &on)); /* posted out of order */
    nr_perf_render(&p, y, 64);
    nr_perf_render(&p, y, 64);
    nr_perf_render(&p, y, 22); /* up to sample 149 */
    NT_CHECK(nr_vpool_count(&p.pool, NR_VS_PLAYING) == 0 && !p.gate[1]);
    nr_perf_render(&p, y, 1); /* sample 150 */
    NT_CHECK(nr_vpool_count(&p.pool, NR_VS_PLAYING) == 1 && p.gate[1]);
    nr_perf_render(&p, y, 1);
    NT_CHECK(!p.gate[1] && p.npend == 0);
    /* Two triggers inside one block: both, in order, at their samples. */
    nr_synth_event e[4] = {{NR_SYNTH_GATE, 1, 1, 300}, {NR_SYNTH_GATE, 1, 0, 310}, {NR_SYNTH_GATE, 1, 1, 320}, {NR_SYNTH_GATE, 1, 0, 330}};
    for (int i = 0; i < 4; i++) nr_perf_event(&p, &e[i]);
    nr_perf_render(&p, y, 64);
    nr_perf_render(&p, y, 64);
    nr_perf_render(&p, y, 64); /* to 344 */
    NT_CHECK(nr_vpool_count(&p.pool, NR_VS_PLAYING) == 3 && p.npend == 0);
    /* -1 means now; late events too. */
    nr_synth_event now = {NR_SYNTH_CV, 2, 3.0f, -1}, late = {NR_SYNTH_CV, 3, -2.0f, 10};
    nr_perf_event(&p, &now);
    nr_perf_event(&p, &late);
    nr_perf_render(&p, y, 1);
    NT_CHECK(p.cv_target[2] == 3.0f && p.cv_target[3] == -2.0f);
    /* Bad values: NaN ignored, infinities and huge values clamped to the rail, bad indices ignored. */
    nr_synth_event bad[5] = {{NR_SYNTH_CV, 2, NAN, -1}, {NR_SYNTH_CV, 3, INFINITY, -1}, {NR_SYNTH_CV, 0, -1e30f, -1},
                               {NR_SYNTH_CV, 9, 1.0f, -1}, {NR_SYNTH_GATE, -1, 1.0f, -1}};
    for (int i = 0; i < 5; i++) nr_perf_event(&p, &bad[i]);
    nr_perf_render(&p, y, 1);
    NT_CHECK(p.cv_target[2] == 3.0f && p.cv_target[3] == NR_CV_RAIL && p.cv_target[0] == -NR_CV_RAIL);
    /* A full queue drops and counts, never overflows. */
    nr_synth_event far = {NR_SYNTH_CV, 0, 0.0f, 1000000};
    int kept = 0;
    for (int i = 0; i < NR_PENDING_MAX + 10; i++) kept += nr_perf_event(&p, &far);
    NT_CHECK(kept == NR_PENDING_MAX && p.dropped == 10);
    /* CVs glide: a jump reaches the sound as a ramp of about 1 ms, not a step. */
    nr_perf_init(&p, NULL, 48000, 1);
    nr_synth_event jump = {NR_SYNTH_CV, 0, 5.0f, -1};
    nr_perf_event(&p, &jump);
    nr_perf_render(&p, y, 24); /* 0.5 ms at the assumed 48 kHz */
    NT_CHECKF(p.cv_now[0] > 1.0f && p.cv_now[0] < 4.0f, "after 0.5 ms: %g V", p.cv_now[0]);
    for (int i = 0; i < 10; i++) nr_perf_render(&p, y, 64);
    NT_CHECK(fabsf(p.cv_now[0] - 5.0f) < 1e-3f);
    NT_CHECK(nr_perf_model_time(&p, 12345) == 12345);
}

/* The guard fed with block loads as a machine would measure them (numbers, not timing). */
static void test_cpu_guard(void)
{
    nr_guard g;
    /* A heavy model: each voice takes 40% of the block period. The guard learns it and allows one. */
    nr_guard_init(&g, 8, 0.0f);
    int playing = 4, limit = 8;
    for (int b = 0; b < 200; b++) {
        limit = nr_guard_update(&g, 0.4f * (float)playing, playing, 1);
        if (playing > limit) playing = limit; /* the instrument fades the surplus */
    }
    NT_CHECKF(limit == 1 && playing == 1, "heavy model: limit %d", limit);
    /* A light model: 5% per voice, all 8 allowed, and the limit comes back after a load spike. */
    nr_guard_init(&g, 8, 0.0f);
    playing = 8;
    for (int b = 0; b < 50; b++) limit = nr_guard_update(&g, 0.05f * 8, 8, 1);
    NT_CHECK(limit == 8);
    limit = nr_guard_update(&g, 3.0f, 8, 1); /* one late block: the system's hiccup */
    NT_CHECKF(limit == 8, "one late block shed a voice (limit %d)", limit);
    for (int b = 0; b < 3; b++) limit = nr_guard_update(&g, 1.5f, 8, 1); /* late again and again */
    NT_CHECKF(limit < 8, "three late blocks in a row kept %d voices", limit);
    for (int b = 0; b < 2000; b++) limit = nr_guard_update(&g, 0.05f * (float)limit, limit, 1);
    NT_CHECKF(limit == 8, "limit did not recover: %d", limit);
    /* A first guess from the model's size holds until measured; disabled means the maximum. */
    nr_guard_init(&g, 8, 0.75f);
    NT_CHECK(nr_guard_update(&g, 0.0f, 0, 1) == 1);
    NT_CHECK(nr_guard_update(&g, NAN, 1, 1) >= 1 && isfinite(g.load_ema) && isfinite(g.voice_cost));
    nr_guard_init(&g, 6, 0.0f);
    for (int b = 0; b < 100; b++) NT_CHECK(nr_guard_update(&g, 2.0f, 6, 0) == 6);
}

static void test_create_errors(void)
{
    nr_instrument_config c = nr_instrument_config_init();
    nr_instrument *inst = (nr_instrument *)1;
    c.model_path = nt_tmp("no-such-model.th");
    c.settings_path = nt_tmp("settings.nrs");
    NT_CHECK(nr_instrument_create(&c, &inst) == NR_ERR_IO && inst == NULL);
    NT_CHECKF(strstr(nr_last_error(), "no-such-model.th"), "%s", nr_last_error());
    NT_CHECK(nt_write_file(nt_tmp("junk.th"), "PK\x03\x04garbage", 11) == 0);
    c.model_path = nt_tmp("junk.th");
    NT_CHECK(nr_instrument_create(&c, &inst) != NR_OK && inst == NULL);
    c.device_rate = 0;
    NT_CHECK(nr_instrument_create(&c, &inst) == NR_ERR_ARG);
    c.device_rate = 48000;
    c.max_voices = 9;
    NT_CHECK(nr_instrument_create(&c, &inst) == NR_ERR_ARG);
    /* NULL-safe where a backend might race with shutdown. */
    nr_instrument_process(NULL, NULL, 0);
    nr_instrument_poll(NULL);
    nr_instrument_free(NULL);
    nr_control_event ev = {NR_EV_GATE, 0, 1, -1};
    NT_CHECK(nr_instrument_post(NULL, NR_SRC_UI, &ev) == 0);
    /* The synth alone: no model, bad rates, NULL-safe process and uninit. */
    nr_synth_config sc = nr_synth_config_init();
    nr_synth *syn = (nr_synth *)1;
    NT_CHECK(nr_synth_init(&sc, &syn) == NR_ERR_ARG && syn == NULL);
    NT_CHECKF(strstr(nr_last_error(), "no model"), "%s", nr_last_error());
    nr_synth_process(NULL, NULL, NULL, 0);
    nr_synth_uninit(NULL);
}

int main(void)
{
    NT_RUN(test_spsc_basic);
    NT_RUN(test_spsc_threads);
    NT_RUN(test_gate_modes);
    NT_RUN(test_stealing);
    NT_RUN(test_cv_mapping);
    NT_RUN(test_curve_ends_match_templates);
    NT_RUN(test_curve_controls);
    NT_RUN(test_curve_voct);
    NT_RUN(test_builtin_templates);
    NT_RUN(test_resampler);
    NT_RUN(test_post_chain);
    NT_RUN(test_offline_output_stage);
    NT_RUN(test_event_timing);
    NT_RUN(test_cpu_guard);
    NT_RUN(test_create_errors);
    return nt_end();
}
