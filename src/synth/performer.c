#include "synth/performer.h"
#include "synth/mapping.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CV_SMOOTH_S 0.001f   /* one-pole on every CV: a jump becomes a 1 ms ramp */
#define LEVEL_SMOOTH_S 0.002f
#define RELEASE_S 0.005f     /* fade of a choked, retriggered or stolen voice */
#define ENV_DECAY 0.9995f    /* per sample, for quietest-first stealing */
#define LAT_RAMP_S 0.05f     /* a sounding latent voice moves to a newly decoded point over this */

void nr_perf_init(nr_performer *p, nr_bank *b, int device_rate, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    p->device_rate = device_rate;
    p->rng = seed ? seed : 1;
    p->level_now = 1.0f;
    p->limit = NR_MAX_VOICES;
    for (int g = 0; g < NR_NUM_GATES; g++) p->note_gain[g] = 1.0f;
    nr_patch_defaults(&p->prm.patch);
    for (int i = 0; i < NR_NUM_CV; i++) p->prm.cal[i].scale = 1.0f;
    p->prm.ta = p->prm.tb = -1;
    nr_vpool_init(&p->pool);
    p->bank = b;
}

/* Let go of a voice's latent slots. */
static void release_slots(nr_performer *p, nr_vslot *s)
{
    if (p->lat && s->lat > 0) nr_lat_slots_release(p->lat, s->lat - 1);
    if (p->lat && s->lat_next > 0) nr_lat_slots_release(p->lat, s->lat_next - 1);
    s->lat = s->lat_next = 0;
}

/* Let go of the latent slots of voices that no longer play. */
static void release_idle(nr_performer *p, int all)
{
    for (int i = 0; i < NR_VOICE_SLOTS; i++)
        if (all || p->pool.s[i].state == NR_VS_IDLE) release_slots(p, &p->pool.s[i]);
}

void nr_perf_set_bank(nr_performer *p, nr_bank *b, int voices_kept)
{
    if (!voices_kept) release_idle(p, 1);
    nr_vpool_init(&p->pool);
    p->bank = b;
    p->mclock = nr_perf_model_time(p, p->dclock); /* the stream's time, at the new model's rate */
    /* Events not yet applied keep their device times, at the new model's rate and lead (a monotone
     * mapping: the order stays sorted). */
    int64_t lead = b ? b->out.lead : 0;
    for (int k = 0; k < p->npend; k++) {
        int64_t t = p->pend[k].ev.time;
        p->pend[k].time = t < 0 ? INT64_MIN : nr_perf_model_time(p, t) + lead;
    }
}

void nr_perf_set_params(nr_performer *p, const nr_perf_params *prm)
{
    p->prm = *prm;
    /* Published clamped; only what indexes arrays is checked again here (no string work). */
    nr_patch *pa = &p->prm.patch;
    for (int g = 0; g < NR_NUM_GATES; g++)
        if (pa->gate_mode[g] < 0 || pa->gate_mode[g] >= NR_GATE_MODE_COUNT) pa->gate_mode[g] = NR_GATE_RETRIGGER;
    for (int i = 0; i < NR_NUM_CV; i++)
        if (pa->cv[i].target < 0 || pa->cv[i].target >= NR_CVT_COUNT) pa->cv[i].target = NR_CVT_OFF;
    if (pa->voices < 1 || pa->voices > NR_MAX_VOICES) pa->voices = NR_MAX_VOICES;
    if (p->bank) {
        if (p->prm.ta >= p->bank->tpl.count) p->prm.ta = -1;
        if (p->prm.tb >= p->bank->tpl.count) p->prm.tb = -1;
    }
    /* Recalibrate the held CVs with the new calibration. */
    for (int i = 0; i < NR_NUM_CV; i++) p->cv_target[i] = nr_cv_calibrate(p->cv_raw[i], &p->prm.cal[i]);
}

int64_t nr_perf_model_time(const nr_performer *p, int64_t t)
{
    if (!p->bank || p->device_rate <= 0) return t;
    int64_t mr = p->bank->info.sample_rate, dr = p->device_rate;
    return (t / dr) * mr + ((t % dr) * mr + dr / 2) / dr; /* no overflow for any stream length */
}

int nr_perf_event(nr_performer *p, const nr_synth_event *ev)
{
    if (p->npend >= NR_PENDING_MAX) {
        p->dropped++;
        return 0;
    }
    /* A timed event is rendered `lead` model samples late: the resampler's pre-ringing then starts at
     * its device time instead of before it (no sound before the gate), and every event moves alike. */
    int64_t lead = p->bank ? p->bank->out.lead : 0;
    int64_t t = ev->time < 0 ? INT64_MIN : nr_perf_model_time(p, ev->time) + lead;
    int k = p->npend;
    while (k > 0 && p->pend[k - 1].time > t) k--; /* stable: equal times keep their order */
    memmove(p->pend + k + 1, p->pend + k, (size_t)(p->npend - k) * sizeof p->pend[0]);
    p->pend[k].time = t;
    p->pend[k].ev = *ev;
    p->npend++;
    return 1;
}

static float fade_step(const nr_performer *p)
{
    float rate = p->bank ? (float)p->bank->info.sample_rate : 48000.0f;
    return 1.0f / (RELEASE_S * rate);
}

float nr_perf_fade_step(const nr_performer *p) { return fade_step(p); }

void nr_perf_stop_all(nr_performer *p)
{
    release_idle(p, 1);
    for (int i = 0; i < NR_VOICE_SLOTS; i++) p->pool.s[i].state = NR_VS_IDLE;
}

/* A gate edge that fades this gate's voice fades the previous model's voice of the gate too. */
static void release_tail(nr_performer *p, int gate, int mode, int rising)
{
    if (!p->tail) return;
    if (rising && mode != NR_GATE_POLY) {
        for (int i = 0; i < NR_VOICE_SLOTS; i++)
            if (p->tail->s[i].state == NR_VS_PLAYING && p->tail->s[i].gate == gate)
                nr_vpool_release(p->tail, i, p->tail_fade_step);
    } else if (!rising) {
        nr_vpool_gate_off(p->tail, gate, mode, p->tail_fade_step);
    }
}

static void trigger(nr_performer *p, int gate)
{
    const nr_patch *pa = &p->prm.patch;
    int limit = pa->voices < p->limit ? pa->voices : p->limit;
    int slot = nr_vpool_trigger(&p->pool, gate, pa->gate_mode[gate], limit, pa->steal, fade_step(p));
    nr_vslot *s = &p->pool.s[slot];
    release_slots(p, s); /* a reused slot's old sound */
    s->ta = p->prm.ta;
    s->tb = gate == 1 ? p->prm.tb : -1; /* gate 1 plays the current sound, gate 2 the A/B mix */
    if (pa->source == NR_SOURCE_LATENT && p->lat) {
        /* gate 1: the newest decoded point; gate 2: the newest decoded morph between A and B (channel =
         * gate). Until one is decoded, the template(s) play. */
        int k = nr_lat_slots_acquire(p->lat, gate);
        if (k >= 0) s->lat = k + 1, s->ta = k, s->tb = -1;
    }
    s->note_voct = p->note_voct[gate];
    s->note_gain = p->note_gain[gate];
    nr_curve_start(&s->rd, &p->rng);
    uint64_t seed = nr_xs64_next(&p->rng) | 1u;
    if (p->bank) nr_voice_reset(p->bank->voice[slot], seed);
}

static void apply(nr_performer *p, const nr_synth_event *ev)
{
    if (ev->type == NR_SYNTH_GATE && ev->index >= 0 && ev->index < NR_NUM_GATES) {
        if (isnan(ev->value)) return;
        int g = ev->index, high = ev->value > 0.5f;
        if (high != p->gate[g]) release_tail(p, g, p->prm.patch.gate_mode[g], high);
        if (high && !p->gate[g]) trigger(p, g);
        if (!high && p->gate[g]) nr_vpool_gate_off(&p->pool, g, p->prm.patch.gate_mode[g], fade_step(p));
        p->gate[g] = high;
    } else if (ev->type == NR_SYNTH_CV && ev->index >= 0 && ev->index < NR_NUM_CV) {
        if (isnan(ev->value)) return;
        p->cv_raw[ev->index] = ev->value > NR_CV_RAIL ? NR_CV_RAIL : ev->value < -NR_CV_RAIL ? -NR_CV_RAIL : ev->value;
        p->cv_target[ev->index] = nr_cv_calibrate(ev->value, &p->prm.cal[ev->index]);
    } else if (ev->type == NR_SYNTH_NOTE_PITCH && ev->index >= 0 && ev->index < NR_NUM_GATES) {
        if (isnan(ev->value)) return;
        const nr_cv_target_info *lim = nr_cv_target_limits(NR_CVT_PITCH_VOCT);
        p->note_voct[ev->index] = ev->value < lim->lo ? lim->lo : ev->value > lim->hi ? lim->hi : ev->value;
    } else if (ev->type == NR_SYNTH_NOTE_LEVEL && ev->index >= 0 && ev->index < NR_NUM_GATES) {
        if (isnan(ev->value)) return;
        p->note_gain[ev->index] = ev->value < 0.0f ? 0.0f : ev->value > 1.0f ? 1.0f : ev->value;
    }
}

static int all_finite(const float *x, int n)
{
    float acc = 0.0f;
    for (int i = 0; i < n; i++) acc += x[i] * 0.0f; /* NaN or inf anywhere makes acc NaN */
    return acc == 0.0f;
}

static void render_voice(nr_performer *p, int i, const nr_curve_ctl *ctl, float *y, int n)
{
    nr_bank *b = p->bank;
    nr_vslot *s = &p->pool.s[i];
    nr_voice *v = b->voice[i];
    nr_curve_ctl c = *ctl;
    if (s->gate == 0) c.a = 0.0f;
    if (s->note_voct != 0.0f) { /* the note on top of the pitch_voct CVs, in the same range */
        const nr_cv_target_info *lim = nr_cv_target_limits(NR_CVT_PITCH_VOCT);
        float oct = c.voct + s->note_voct;
        c.voct = oct < lim->lo ? lim->lo : oct > lim->hi ? lim->hi : oct;
    }
    /* A sounding latent voice follows a newly decoded point: it holds the new slot too and mixes it in
     * (time-aligned, as an A/B mix) over LAT_RAMP_S, then lets the old one go. */
    if (s->lat > 0 && !s->lat_next && s->state == NR_VS_PLAYING && p->prm.patch.source == NR_SOURCE_LATENT &&
        !p->sounding_out) {
        int k = nr_lat_slots_newest(p->lat, s->gate);
        if (k >= 0 && k != s->lat - 1 && (k = nr_lat_slots_acquire(p->lat, s->gate)) >= 0) {
            if (k != s->lat - 1) s->lat_next = k + 1, s->lat_mix = 0.0f;
            else nr_lat_slots_release(p->lat, k);
        }
    }
    float ramp = s->lat > 0 ? 1.0f / fmaxf(1.0f, LAT_RAMP_S * p->lat->set.frame_rate) : 1.0f;
    /* Push frames only when the voice needs them: each frame carries the freshest controls. */
    while (!s->ended && nr_voice_available(v) < n) {
        float raw[NR_NUM_DESC];
        const nr_template_set *set = s->lat > 0 ? &p->lat->set : &b->tpl;
        int ta = s->ta, tb = s->tb;
        if (s->lat_next > 0) ta = s->lat - 1, tb = s->lat_next - 1, c.a = s->lat_mix;
        int more = nr_curve_next(set, ta, tb, &s->rd, &c, raw);
        if (s->lat_next > 0 && (s->lat_mix += ramp) >= 1.0f) { /* the new point alone from the next frame */
            nr_lat_slots_release(p->lat, s->lat - 1); /* after its last read above */
            s->lat = s->lat_next, s->ta = s->lat - 1, s->lat_next = 0;
        }
        if (!more) {
            nr_voice_end(v);
            s->ended = 1;
        } else if (!nr_voice_push_frame_tuned(v, raw, c.voct)) {
            break;
        }
    }
    int got = nr_voice_process(v, b->vbuf, n);
    if (got < 0 || got > n) got = 0;
    if (!all_finite(b->vbuf, got)) {
        s->state = NR_VS_IDLE; /* a faulty voice is silenced, never heard */
        p->faults++;
        return;
    }
    float g = s->gain, env = s->env, vel = s->note_gain;
    for (int k = 0; k < got; k++) {
        if (s->state == NR_VS_RELEASING) {
            g -= s->fade_step;
            if (g <= 0.0f) {
                g = 0.0f;
                break;
            }
        }
        float x = b->vbuf[k] * vel;
        y[k] += g * x;
        env = env * ENV_DECAY;
        if (fabsf(x) > env) env = fabsf(x);
    }
    s->gain = g;
    s->env = env;
    if (g <= 0.0f || (got < n && (s->ended || nr_voice_finished(v)))) s->state = NR_VS_IDLE;
}

static void render_segment(nr_performer *p, float *y, int n)
{
    nr_curve_ctl ctl;
    float level;
    nr_controls_from_cv(&p->prm.patch, p->cv_now, &ctl, &level);
    if (p->lat) {
        release_idle(p, 0);
        if (p->prm.patch.source == NR_SOURCE_LATENT && !p->sounding_out) {
            float morph[NR_NUM_LATENT] = {ctl.a};
            nr_lat_slots_request(p->lat, NR_LAT_POINT, ctl.latent);
            nr_lat_slots_request(p->lat, NR_LAT_MORPH, morph);
        }
    }
    if (p->bank) /* without a bank the gate logic still runs, silently */
        for (int i = 0; i < NR_VOICE_SLOTS; i++)
            if (p->pool.s[i].state != NR_VS_IDLE) render_voice(p, i, &ctl, y, n);
    float rate = p->bank ? (float)p->bank->info.sample_rate : 48000.0f;
    float k = 1.0f - expf(-1.0f / (LEVEL_SMOOTH_S * rate));
    float lv = p->level_now;
    for (int i = 0; i < n; i++) {
        lv += (level - lv) * k;
        y[i] *= lv;
    }
    p->level_now = lv;
    float c = expf(-(float)n / (CV_SMOOTH_S * rate));
    for (int i = 0; i < NR_NUM_CV; i++) p->cv_now[i] = p->cv_target[i] + (p->cv_now[i] - p->cv_target[i]) * c;
}

void nr_perf_render(void *ctx, float *y, int m)
{
    nr_performer *p = ctx;
    memset(y, 0, (size_t)m * sizeof(float));
    int pos = 0;
    while (pos < m) {
        int64_t now = p->mclock + pos;
        int used = 0;
        while (used < p->npend && p->pend[used].time <= now) apply(p, &p->pend[used++].ev);
        if (used) {
            memmove(p->pend, p->pend + used, (size_t)(p->npend - used) * sizeof p->pend[0]);
            p->npend -= used;
        }
        int end = m;
        if (p->npend && p->pend[0].time < p->mclock + m) end = (int)(p->pend[0].time - p->mclock);
        render_segment(p, y + pos, end - pos);
        pos = end;
    }
    p->mclock += m;
}
