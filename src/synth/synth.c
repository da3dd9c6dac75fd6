/* The synth: the performer and its model bank behind lock-free hand-overs (patch triple buffer, bank
 * exchange, report queue), the CPU guard, and the status the hosts read. */
#include "nr/synth.h"
#include "synth/guard.h"
#include "synth/latent_slots.h"
#include "synth/mapping.h"
#include "synth/performer.h"
#include "synth/spsc.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_REPORTS 256
#define PB_DIRTY 4            /* flag beside the triple buffer's middle index */
#define ASSUMED_MACS 2.0e10   /* multiply-adds per second one core does, before the guard has measured */
#define MIN_DEVICE_RATE 8000
#define MAX_DEVICE_RATE 384000
#define MAX_BLOCK_LIMIT 65536
#define TAIL_FADE_S 0.015f /* raised-cosine fade of the previous model's voices when they must go at once */
#define TAIL_MAX_S 3.0f    /* the previous model sounds out at most this long after a switch */

struct nr_synth {
    nr_synth_config cfg;
    nr_spsc reports; /* audio thread -> control thread (nr_synth_report) */

    /* The patch: a triple buffer, so neither side ever waits. */
    nr_perf_params pbuf[3];
    atomic_int p_mid;
    int p_write; /* control thread */
    int p_read;  /* audio thread */

    /* Bank hand-over on a model change. */
    _Atomic(nr_bank *) bank_next; /* made by the control thread, taken by the audio thread */
    _Atomic(nr_bank *) bank_old;  /* given back by the audio thread, freed by the control thread */
    nr_bank *bank_ui;             /* the newest committed bank as the control thread sees it */
    nr_bank *staged;              /* built, not yet committed (control thread) */
    nr_patch patch;               /* the last published patch and calibration (control thread) */
    nr_cv_cal cal[NR_NUM_CV];

    nr_lat_slots lat; /* decoded latent sounds: written by the control thread, held by voices */
    int enc_ta, enc_tb, enc_ok; /* control thread: templates A and B encoded for the morph (-2: redo) */
    float za[NR_NUM_LATENT], zb[NR_NUM_LATENT];

    /* Audio thread. */
    nr_performer perf;
    nr_guard guard;
    uint32_t faults_seen;
    /* After a model switch, the previous model's voices sound out on their own bank and output chain
     * (a copy of the performer as it was), mixed in before the post chain, until they end, a gate edge
     * fades them, another switch waits (tail_hurry) or TAIL_MAX_S has passed; then the bank goes back
     * through bank_old. */
    nr_performer tail;
    int tail_on;
    int64_t tail_age;  /* device samples since the switch */
    uint32_t tail_faults; /* the tail's fault count already added to the performer's */
    float tail_fade;   /* raised-cosine phase 0..1 of the whole tail's fade; < 0: not fading */
    float *tail_buf;   /* (max_block) the tail at the device rate */
    atomic_int tail_active; /* a tail sounds: the swap has not finished (read by the control thread) */
    atomic_int tail_hurry;  /* set by the control thread: fade the tail out now */

    /* Status: written by the audio thread (cv latency: by the control thread), read anywhere. */
    _Atomic float st_cv[NR_NUM_CV], st_cv_raw[NR_NUM_CV], st_peak, st_cpu, st_worst, st_cv_latency;
    atomic_int st_gate[NR_NUM_GATES], st_voices, st_limit, st_tail_voices;
    atomic_uint st_faults, st_dropped;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no lock, no system call */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

nr_synth_config nr_synth_config_init(void)
{
    nr_synth_config c;
    memset(&c, 0, sizeof c);
    c.device_rate = 48000;
    c.max_block = 1024;
    c.max_voices = NR_MAX_VOICES;
    c.cpu_guard = 1;
    c.seed = 1;
    c.threads = 1;
    return c;
}

/* ---- control thread ---- */

static void publish(nr_synth *s)
{
    nr_perf_params *p = &s->pbuf[s->p_write];
    p->patch = s->patch;
    nr_patch_clamp(&p->patch);
    if (p->patch.voices > s->cfg.max_voices) p->patch.voices = s->cfg.max_voices;
    for (int i = 0; i < NR_NUM_CV; i++) {
        p->cal[i] = s->cal[i];
        nr_cv_cal_clamp(&p->cal[i]);
    }
    /* "" (the patch as shipped) or a name this model lacks: the model's default A / B */
    p->ta = nr_template_set_resolve(&s->bank_ui->tpl, p->patch.template_a, 0);
    p->tb = nr_template_set_resolve(&s->bank_ui->tpl, p->patch.template_b, 1);
    int old = atomic_exchange(&s->p_mid, s->p_write | PB_DIRTY);
    s->p_write = old & 3;
}

nr_result nr_synth_init(const nr_synth_config *cfg, nr_synth **out)
{
    *out = NULL;
    nr_result r = NR_OK;
    if (!cfg->model) r = nr_fail(NR_ERR_ARG, "synth: no model given");
    else if (cfg->device_rate < MIN_DEVICE_RATE || cfg->device_rate > MAX_DEVICE_RATE)
        r = nr_fail(NR_ERR_ARG, "device rate %d Hz out of range %d..%d", cfg->device_rate, MIN_DEVICE_RATE,
                    MAX_DEVICE_RATE);
    else if (cfg->max_block < 1 || cfg->max_block > MAX_BLOCK_LIMIT)
        r = nr_fail(NR_ERR_ARG, "max block %d out of range 1..%d", cfg->max_block, MAX_BLOCK_LIMIT);
    else if (cfg->max_voices < 1 || cfg->max_voices > NR_MAX_VOICES)
        r = nr_fail(NR_ERR_ARG, "max voices %d out of range 1..%d", cfg->max_voices, NR_MAX_VOICES);
    if (r != NR_OK) {
        nr_model_free(cfg->model);
        return r;
    }
    /* The queue keeps producer and consumer indices on separate cache lines: 64-byte alignment. */
    size_t size = (sizeof(nr_synth) + 63) / 64 * 64;
    nr_synth *s = aligned_alloc(64, size);
    if (!s) {
        nr_model_free(cfg->model);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the synth");
    }
    memset(s, 0, size);
    s->cfg = *cfg;
    s->cfg.model = NULL; /* owned by the bank from here on */
    r = nr_spsc_init(&s->reports, QUEUE_REPORTS, sizeof(nr_synth_report));
    s->tail_buf = r == NR_OK ? calloc((size_t)cfg->max_block, sizeof(float)) : NULL;
    if (r == NR_OK && !s->tail_buf) r = nr_fail(NR_ERR_NOMEM, "out of memory for the synth's buffers");
    nr_bank *b = NULL;
    if (r == NR_OK) r = nr_bank_create(cfg->model, cfg->device_rate, cfg->max_block, cfg->seed, cfg->threads, &b);
    else nr_model_free(cfg->model);
    if (r != NR_OK) {
        nr_synth_uninit(s);
        return r;
    }
    s->bank_ui = b;
    atomic_store(&s->st_cv_latency, nr_bank_cv_latency_ms(b));
    nr_perf_init(&s->perf, b, cfg->device_rate, cfg->seed);
    nr_lat_slots_init(&s->lat);
    s->enc_ta = s->enc_tb = -2;
    s->perf.lat = &s->lat;
    s->perf.limit = cfg->max_voices;
    /* Until the guard has measured, assume a voice costs what its multiply-adds say. */
    nr_guard_init(&s->guard, cfg->max_voices, (float)(b->info.macs_per_sample * b->info.sample_rate / ASSUMED_MACS));
    nr_patch_defaults(&s->patch);
    for (int i = 0; i < NR_NUM_CV; i++) nr_cv_cal_defaults(&s->cal[i]);
    s->p_write = 0;
    s->p_read = 2;
    atomic_init(&s->p_mid, 1);
    publish(s);
    *out = s;
    return NR_OK;
}

void nr_synth_uninit(nr_synth *s)
{
    if (!s) return;
    nr_bank *next = atomic_exchange(&s->bank_next, NULL);
    nr_bank *old = atomic_exchange(&s->bank_old, NULL);
    if (s->perf.bank != next && s->perf.bank != old) nr_bank_free(s->perf.bank);
    nr_bank_free(next);
    if (old != next) nr_bank_free(old);
    if (s->tail_on && s->tail.bank != old && s->tail.bank != next) nr_bank_free(s->tail.bank);
    free(s->tail_buf);
    nr_bank_free(s->staged);
    nr_lat_slots_free(&s->lat);
    nr_spsc_free(&s->reports);
    free(s);
}

void nr_synth_set_patch(nr_synth *s, const nr_patch *patch, const nr_cv_cal cal[NR_NUM_CV])
{
    s->patch = *patch;
    for (int i = 0; i < NR_NUM_CV; i++) s->cal[i] = cal[i];
    publish(s);
}

void nr_synth_set_cpu_guard(nr_synth *s, int on) { s->cfg.cpu_guard = on != 0; }

int nr_synth_latency_frames(const nr_synth *s) { return (int)lround(nr_output_delay(&s->bank_ui->out)); }

int nr_synth_swap_pending(const nr_synth *s)
{
    nr_synth *m = (nr_synth *)s; /* atomics are only read */
    return atomic_load(&m->bank_next) != NULL || atomic_load(&m->bank_old) != NULL || atomic_load(&m->tail_active);
}

void nr_synth_swap_hurry(nr_synth *s)
{
    if (atomic_load(&s->tail_active)) atomic_store(&s->tail_hurry, 1);
}

nr_result nr_synth_model_stage(nr_synth *s, nr_model *model)
{
    if (nr_synth_swap_pending(s)) {
        nr_synth_swap_hurry(s); /* so that a retry a few ms later goes ahead */
        nr_model_free(model);
        return nr_fail(NR_ERR_UNSUPPORTED, "the previous model is still being swapped (its voices are fading out); "
                                           "try again");
    }
    nr_bank_free(s->staged);
    s->staged = NULL;
    return nr_bank_create(model, s->cfg.device_rate, s->cfg.max_block, s->cfg.seed, s->cfg.threads, &s->staged);
}

struct nr_synth_prepared {
    nr_bank *bank;
};

nr_result nr_synth_prepare(const nr_synth *s, nr_model *model, nr_synth_prepared **out)
{
    *out = NULL;
    nr_synth_prepared *p = calloc(1, sizeof *p);
    if (!p) {
        nr_model_free(model);
        return nr_fail(NR_ERR_NOMEM, "out of memory for a model's bank");
    }
    /* only the configuration fixed at init is read: safe beside the control and audio threads */
    nr_result r = nr_bank_create(model, s->cfg.device_rate, s->cfg.max_block, s->cfg.seed, s->cfg.threads, &p->bank);
    if (r != NR_OK) {
        free(p);
        return r;
    }
    *out = p;
    return NR_OK;
}

void nr_synth_prepared_free(nr_synth_prepared *p)
{
    if (!p) return;
    nr_bank_free(p->bank);
    free(p);
}

nr_result nr_synth_model_stage_prepared(nr_synth *s, nr_synth_prepared *p)
{
    if (nr_synth_swap_pending(s)) {
        nr_synth_swap_hurry(s);
        nr_synth_prepared_free(p);
        return nr_fail(NR_ERR_UNSUPPORTED, "the previous model is still being swapped (its voices are fading out); "
                                           "try again");
    }
    nr_bank_free(s->staged);
    s->staged = p->bank;
    free(p);
    return NR_OK;
}

void nr_synth_model_commit(nr_synth *s)
{
    if (!s->staged) return;
    nr_bank *b = s->staged;
    s->staged = NULL;
    s->bank_ui = b;
    atomic_store(&s->st_cv_latency, nr_bank_cv_latency_ms(b));
    /* the decoded sounds are in the old model's frame rate and normalisation, its templates are gone */
    for (int c = 0; c < NR_LAT_CHANNELS; c++) nr_lat_slots_invalidate(&s->lat, c);
    s->enc_ta = s->enc_tb = -2;
    publish(s);
    atomic_store(&s->bank_next, b);
}

/* A template (normalised, at the model's frame rate) -> the mean of its latent encoding. Control thread. */
static int encode_template(nr_synth *s, const nr_template *t, float *z)
{
    const nr_template_set *tpl = &s->bank_ui->tpl;
    nr_curves c = {0};
    float *x = malloc(NR_LAT_N_IN * sizeof(float));
    int ok = x && nr_curves_alloc(&c, t->n, tpl->frame_rate) == NR_OK;
    if (ok) {
        for (long i = 0; i < (long)t->n * NR_NUM_DESC; i++)
            c.data[i] = t->z[i] * tpl->std[i % NR_NUM_DESC] + tpl->mean[i % NR_NUM_DESC];
        int L;
        nr_latent_prepare(&s->lat.lm->w, &c, x, &L);
        nr_latent_encode(&s->lat.lm->w, x, z, NULL, s->lat.work);
    }
    nr_curves_free(&c);
    free(x);
    return ok;
}

void nr_synth_collect(nr_synth *s)
{
    nr_bank_free(atomic_exchange(&s->bank_old, NULL));
    /* decode the asked latent points once no voice of an old model can be sounding (their decoded points
     * share the slots' normalisation): in source latent the old voices fade at once, so the new model's
     * points are not kept waiting for them */
    if (s->lat.lm && s->patch.source == NR_SOURCE_LATENT) nr_synth_swap_hurry(s);
    if (nr_synth_swap_pending(s) || !s->lat.lm) return;
    const nr_template_set *tpl = &s->bank_ui->tpl;
    int ta = nr_template_set_resolve(tpl, s->patch.template_a, 0), tb = nr_template_set_resolve(tpl, s->patch.template_b, 1);
    if (ta != s->enc_ta || tb != s->enc_tb) { /* the morph's ends: A and B encoded once */
        s->enc_ok = ta >= 0 && tb >= 0 && encode_template(s, &tpl->t[ta], s->za) && encode_template(s, &tpl->t[tb], s->zb);
        s->enc_ta = ta, s->enc_tb = tb;
        nr_lat_slots_invalidate(&s->lat, NR_LAT_MORPH);
    }
    nr_lat_slots_update(&s->lat, tpl, s->enc_ok ? s->za : NULL, s->enc_ok ? s->zb : NULL);
}

const nr_latent *nr_synth_latent(const nr_synth *s) { return s->lat.lm; }

nr_result nr_synth_set_latent(nr_synth *s, nr_latent *lm)
{
    s->enc_ta = s->enc_tb = -2;
    return nr_lat_slots_set_model(&s->lat, lm);
}

nr_result nr_synth_add_template(nr_synth *s, const char *name, const nr_curves *c)
{
    return nr_template_set_add(s->staged ? &s->staged->tpl : &s->bank_ui->tpl, name, c);
}

int nr_synth_template_count(const nr_synth *s) { return s->bank_ui->tpl.count; }

const char *nr_synth_template_name(const nr_synth *s, int i)
{
    return i >= 0 && i < s->bank_ui->tpl.count ? s->bank_ui->tpl.t[i].name : NULL;
}

void nr_synth_template_defaults(const nr_synth *s, int *def_a, int *def_b)
{
    *def_a = s->bank_ui->tpl.def_a;
    *def_b = s->bank_ui->tpl.def_b;
}

const nr_model_info *nr_synth_model_info(const nr_synth *s) { return &s->bank_ui->info; }

int nr_synth_take_report(nr_synth *s, nr_synth_report *r) { return nr_spsc_pop(&s->reports, r); }

void nr_synth_status_get(const nr_synth *s, nr_synth_status *st)
{
    nr_synth *m = (nr_synth *)s; /* atomics are only read */
    memset(st, 0, sizeof *st);
    for (int k = 0; k < NR_NUM_CV; k++) {
        st->cv[k] = atomic_load_explicit(&m->st_cv[k], memory_order_relaxed);
        st->cv_raw[k] = atomic_load_explicit(&m->st_cv_raw[k], memory_order_relaxed);
    }
    for (int g = 0; g < NR_NUM_GATES; g++) st->gate[g] = atomic_load_explicit(&m->st_gate[g], memory_order_relaxed);
    st->voices_active = atomic_load_explicit(&m->st_voices, memory_order_relaxed);
    st->voices_sounding_out = atomic_load_explicit(&m->st_tail_voices, memory_order_relaxed);
    st->out_peak = atomic_load_explicit(&m->st_peak, memory_order_relaxed);
    st->cpu_load = atomic_load_explicit(&m->st_cpu, memory_order_relaxed);
    st->worst_block_share = atomic_load_explicit(&m->st_worst, memory_order_relaxed);
    st->faults = atomic_load_explicit(&m->st_faults, memory_order_relaxed);
    st->voice_limit = atomic_load_explicit(&m->st_limit, memory_order_relaxed);
    st->dropped_events = atomic_load_explicit(&m->st_dropped, memory_order_relaxed);
    st->cv_latency_ms = atomic_load_explicit(&m->st_cv_latency, memory_order_relaxed);
    for (int k = 0; k < NR_NUM_LATENT; k++)
        st->latent[k] = atomic_load_explicit(&m->lat.want[NR_LAT_POINT][k], memory_order_relaxed);
}

/* ---- audio thread ---- */

static void send_report(nr_synth *s, int type, float value)
{
    nr_synth_report r = {type, value};
    nr_spsc_push(&s->reports, &r); /* a full queue loses a report, never blocks */
}

static void guard(nr_synth *s, float share)
{
    nr_performer *p = &s->perf;
    int playing = nr_vpool_count(&p->pool, NR_VS_PLAYING);
    int before = s->guard.limit;
    p->limit = nr_guard_update(&s->guard, share, playing, s->cfg.cpu_guard);
    if (playing > p->limit) {
        float rate = p->bank ? (float)p->bank->info.sample_rate : 48000.0f;
        nr_vpool_limit(&p->pool, p->limit, p->prm.patch.steal, 1.0f / (0.005f * rate));
    }
    if (s->guard.limit != before) send_report(s, NR_SYNTH_REPORT_GUARD, (float)s->guard.limit);
}

static int sounding(const nr_vpool *pool)
{
    return nr_vpool_count(pool, NR_VS_PLAYING) + nr_vpool_count(pool, NR_VS_RELEASING);
}

/* A committed bank arrives. Voices of the old model still sounding keep sounding in the tail (a copy of
 * the performer, on the old bank) while new notes start on the new one; the new bank's post chain carries
 * on from the old one's state (DC blocker, volume), so the mix has no step. The control thread commits only
 * once the previous swap has finished (nr_synth_swap_pending), so no tail sounds here yet. */
static void switch_bank(nr_synth *s, nr_bank *b)
{
    nr_performer *p = &s->perf;
    nr_bank *old = p->bank;
    int keep = old && !s->tail_on && sounding(&p->pool) > 0;
    if (keep) {
        s->tail = *p;
        s->tail.npend = 0;
        s->tail.tail = NULL;
        s->tail.sounding_out = 1;
        s->tail_on = 1;
        s->tail_age = 0;
        s->tail_fade = -1.0f;
        s->tail_faults = p->faults;
        atomic_store(&s->tail_hurry, 0);
        atomic_store(&s->tail_active, 1);
    } else if (old) {
        atomic_store(&s->bank_old, old);
    }
    if (old) {
        b->out.vol = old->out.vol;
        b->out.dc_x1 = old->out.dc_x1;
        b->out.dc_y1 = old->out.dc_y1;
    }
    nr_perf_set_bank(p, b, keep);
    p->tail = keep ? &s->tail.pool : NULL;
    p->tail_fade_step = keep ? nr_perf_fade_step(&s->tail) : 0.0f;
}

/* The tail's next n device samples into tail_buf (added to out by the caller), then its end: every voice
 * silent, or the raised-cosine fade done. */
static void render_tail(nr_synth *s, int n)
{
    nr_performer *t = &s->tail;
    if (s->tail_fade < 0.0f &&
        (atomic_load_explicit(&s->tail_hurry, memory_order_relaxed) || s->tail_age >= (int64_t)(TAIL_MAX_S * s->cfg.device_rate)))
        s->tail_fade = 0.0f;
    nr_output_pull(&t->bank->out, s->tail_buf, n, nr_perf_render, t);
    t->dclock += n;
    s->tail_age += n;
    s->perf.faults += t->faults - s->tail_faults; /* voices silenced for NaN/inf count wherever they played */
    s->tail_faults = t->faults;
    if (s->tail_fade >= 0.0f) {
        float step = 1.0f / (TAIL_FADE_S * (float)s->cfg.device_rate);
        for (int i = 0; i < n; i++) {
            float ph = s->tail_fade < 1.0f ? s->tail_fade : 1.0f;
            s->tail_buf[i] *= 0.5f * (1.0f + cosf((float)M_PI * ph));
            s->tail_fade += step;
        }
    }
}

static void end_tail_if_done(nr_synth *s)
{
    if (!s->tail_on || (s->tail_fade < 1.0f && sounding(&s->tail.pool) > 0)) return;
    nr_perf_stop_all(&s->tail); /* voices faded to silence: their latent slots go back */
    s->tail_on = 0;
    s->perf.tail = NULL;
    atomic_store(&s->bank_old, s->tail.bank); /* freed by the control thread */
    atomic_store(&s->tail_active, 0);
}

static void process_block(nr_synth *s, const nr_synth_events *events, float *out, int n)
{
    double t0 = now_s();
    nr_performer *p = &s->perf;
    nr_bank *b = atomic_exchange(&s->bank_next, NULL);
    if (b) switch_bank(s, b);
    if (atomic_load_explicit(&s->p_mid, memory_order_acquire) & PB_DIRTY) {
        int old = atomic_exchange(&s->p_mid, s->p_read);
        s->p_read = old & 3;
        nr_perf_set_params(p, &s->pbuf[s->p_read]);
    }
    nr_synth_event ev;
    if (events && events->next)
        while (p->npend < NR_PENDING_MAX && events->next(events->ctx, &ev)) nr_perf_event(p, &ev);

    float peak = 0.0f;
    /* the tail first: gate edges of this block (applied while the new model renders) fade it from the
     * next block on, so an old voice is never cut before the new note has started */
    if (s->tail_on) render_tail(s, n);
    if (p->bank) {
        nr_output_pull(&p->bank->out, out, n, nr_perf_render, p);
        if (s->tail_on)
            for (int i = 0; i < n; i++) out[i] += s->tail_buf[i];
        peak = nr_output_post(&p->bank->out, out, n, nr_db_to_gain(p->prm.patch.volume_db));
    } else {
        memset(out, 0, (size_t)n * sizeof(float));
    }
    p->dclock += n;
    if (s->tail_on) { /* old and new voices together within the voice limit: the oldest old ones fade */
        int lim = p->limit < p->prm.patch.voices ? p->limit : p->prm.patch.voices;
        int room = lim - nr_vpool_count(&p->pool, NR_VS_PLAYING);
        nr_vpool_limit(&s->tail.pool, room > 0 ? room : 0, p->prm.patch.steal, p->tail_fade_step);
    }
    atomic_store_explicit(&s->st_tail_voices, s->tail_on ? nr_vpool_count(&s->tail.pool, NR_VS_PLAYING) : 0,
                          memory_order_relaxed);
    end_tail_if_done(s);

    if (p->faults != s->faults_seen) {
        send_report(s, NR_SYNTH_REPORT_FAULT, (float)(p->faults - s->faults_seen));
        s->faults_seen = p->faults;
    }
    for (int i = 0; i < NR_NUM_CV; i++) {
        atomic_store_explicit(&s->st_cv[i], p->cv_target[i], memory_order_relaxed);
        atomic_store_explicit(&s->st_cv_raw[i], p->cv_raw[i], memory_order_relaxed);
    }
    for (int g = 0; g < NR_NUM_GATES; g++) atomic_store_explicit(&s->st_gate[g], p->gate[g], memory_order_relaxed);
    atomic_store_explicit(&s->st_voices, nr_vpool_count(&p->pool, NR_VS_PLAYING), memory_order_relaxed);
    atomic_store_explicit(&s->st_peak, peak, memory_order_relaxed);
    atomic_store_explicit(&s->st_faults, p->faults, memory_order_relaxed);
    atomic_store_explicit(&s->st_dropped, p->dropped, memory_order_relaxed);

    float share = (float)((now_s() - t0) * s->cfg.device_rate / n);
    guard(s, share);
    atomic_store_explicit(&s->st_limit, p->limit < p->prm.patch.voices ? p->limit : p->prm.patch.voices,
                          memory_order_relaxed);
    atomic_store_explicit(&s->st_cpu, s->guard.load_ema, memory_order_relaxed);
    if (share > atomic_load_explicit(&s->st_worst, memory_order_relaxed))
        atomic_store_explicit(&s->st_worst, share, memory_order_relaxed);
}

void nr_synth_process(nr_synth *s, const nr_synth_events *events, float *out, int n)
{
    if (!s || !out || n <= 0) return;
    for (int done = 0; done < n;) {
        int m = n - done < s->cfg.max_block ? n - done : s->cfg.max_block;
        process_block(s, events, out + done, m);
        done += m;
    }
}
