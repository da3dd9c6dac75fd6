/* The instrument: queues between threads, the parameter hand-over, the CPU guard, the menu and the
 * settings around the performer. */
#include "instrument/instrument_internal.h"
#include "instrument/guard.h"
#include "instrument/mapping.h"
#include "instrument/performer.h"
#include "instrument/spsc.h"
#include "ui/menu.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_EVENTS 1024
#define QUEUE_REPORTS 256
#define PB_DIRTY 4            /* flag beside the triple buffer's middle index */
#define SAVE_DELAY_S 1.0      /* settings are written this long after the last change */
#define ASSUMED_MACS 2.0e10   /* multiply-adds per second one core does, before the guard has measured */

enum { REP_FAULT = 1, REP_GUARD };
typedef struct {
    int type;
    float value;
} report;

struct nr_instrument {
    nr_instrument_config cfg;
    char settings_path[PATH_MAX];
    char model_path[PATH_MAX];
    nr_spsc evq[NR_NUM_SOURCES]; /* gates and CVs, to the audio thread */
    nr_spsc uiq[NR_NUM_SOURCES]; /* encoder and quit, to the control thread */
    nr_spsc reports;             /* audio thread -> control thread */

    /* Parameters: a triple buffer, so neither side ever waits. */
    nr_perf_params pbuf[3];
    atomic_int p_mid;
    int p_write; /* control thread */
    int p_read;  /* audio thread */

    /* Engine hand-over on model reload. */
    _Atomic(nr_engine *) eng_next; /* made by the control thread, taken by the audio thread */
    _Atomic(nr_engine *) eng_old;  /* given back by the audio thread, freed by the control thread */
    nr_engine *eng_ui;             /* the newest engine (names, info) as the control thread sees it */

    /* Audio thread. */
    nr_performer perf;
    nr_guard guard;
    uint32_t faults_seen;

    /* Status: written by the audio thread, read anywhere. */
    _Atomic float st_cv[NR_NUM_CV], st_cv_raw[NR_NUM_CV], st_peak, st_cpu, st_worst, st_latency, st_cv_latency;
    atomic_int st_gate[NR_NUM_GATES], st_voices, st_limit;
    atomic_uint st_xruns, st_faults, st_dropped;

    /* Control thread. */
    nr_settings settings;
    nr_menu menu;
    const char *tnames[NR_MAX_TEMPLATES];
    char notice[512];
    int dirty;
    double dirty_since;
    atomic_int quit;

    pthread_mutex_t frame_lock; /* between the control thread and the display's reader */
    uint8_t frame[NR_OLED_W * NR_OLED_H / 8];
    uint32_t frame_seq;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no lock, no system call */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

nr_instrument_config nr_instrument_config_init(void)
{
    nr_instrument_config c;
    memset(&c, 0, sizeof c);
    c.device_rate = 48000;
    c.max_block = 1024;
    c.max_voices = NR_MAX_VOICES;
    c.cpu_guard = 1;
    c.seed = 1;
    return c;
}

/* $NEURORACK_MODEL, else models/default.safetensors beside the program or in its share folder. */
static int default_model(char *out, size_t n)
{
    const char *env = getenv("NEURORACK_MODEL");
    if (env && *env) {
        snprintf(out, n, "%s", env);
        return 1;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return 0;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    const char *rel[] = {"/models/default.safetensors", "/../models/default.safetensors",
                         "/../share/neurorack/models/default.safetensors"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        snprintf(out, n, "%s%s", exe, rel[i]);
        if (access(out, R_OK) == 0) return 1;
    }
    return 0;
}

static void set_notice(nr_instrument *inst, const char *msg)
{
    snprintf(inst->notice, sizeof inst->notice, "%s", msg);
}

static void refresh_names(nr_instrument *inst)
{
    atomic_store(&inst->st_cv_latency, nr_engine_cv_latency_ms(inst->eng_ui));
    const nr_template_set *t = &inst->eng_ui->tpl;
    for (int i = 0; i < t->count; i++) inst->tnames[i] = t->t[i].name;
}

static void publish(nr_instrument *inst)
{
    nr_settings_clamp(&inst->settings);
    nr_perf_params *p = &inst->pbuf[inst->p_write];
    p->patch = inst->settings.patch;
    if (p->patch.voices > inst->cfg.max_voices) p->patch.voices = inst->cfg.max_voices;
    memcpy(p->cal, inst->settings.cal, sizeof p->cal);
    /* "" (the patch as shipped) or a name this model lacks: the model's default A / B */
    p->ta = nr_template_set_resolve(&inst->eng_ui->tpl, p->patch.template_a, 0);
    p->tb = nr_template_set_resolve(&inst->eng_ui->tpl, p->patch.template_b, 1);
    int old = atomic_exchange(&inst->p_mid, inst->p_write | PB_DIRTY);
    inst->p_write = old & 3;
}

static void load_templates_dir(nr_instrument *inst, nr_engine *e)
{
    if (!inst->settings_path[0]) return;
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s", inst->settings_path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    strcat(dir, "/templates");
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".csv") != 0) continue;
        char path[PATH_MAX * 2], name[NR_NAME_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        snprintf(name, sizeof name, "%.*s", (int)(len - 4), de->d_name);
        nr_curves c;
        nr_result r = nr_curves_read_csv(path, &c);
        if (r == NR_OK) {
            r = nr_template_set_add(&e->tpl, name, &c);
            nr_curves_free(&c);
        }
        if (r != NR_OK) set_notice(inst, nr_last_error());
    }
    closedir(d);
}

static nr_result make_engine(nr_instrument *inst, nr_engine **out)
{
    nr_model *m = NULL;
    nr_result r = nr_model_load(inst->model_path, &m);
    if (r != NR_OK) return r;
    r = nr_engine_create(m, inst->cfg.device_rate, inst->cfg.max_block, inst->cfg.seed, out);
    if (r != NR_OK) return r;
    load_templates_dir(inst, *out);
    return NR_OK;
}

nr_result nr_instrument_create(const nr_instrument_config *cfg, nr_instrument **out)
{
    *out = NULL;
    if (cfg->device_rate < 8000 || cfg->device_rate > 384000)
        return nr_fail(NR_ERR_ARG, "device rate %d Hz out of range 8000..384000", cfg->device_rate);
    if (cfg->max_block < 1 || cfg->max_block > 65536)
        return nr_fail(NR_ERR_ARG, "max block %d out of range 1..65536", cfg->max_block);
    if (cfg->max_voices < 1 || cfg->max_voices > NR_MAX_VOICES)
        return nr_fail(NR_ERR_ARG, "max voices %d out of range 1..%d", cfg->max_voices, NR_MAX_VOICES);
    /* The queues keep producer and consumer indices on separate cache lines: 64-byte alignment. */
    size_t size = (sizeof(nr_instrument) + 63) / 64 * 64;
    nr_instrument *inst = aligned_alloc(64, size);
    if (!inst) return nr_fail(NR_ERR_NOMEM, "out of memory for the instrument");
    memset(inst, 0, size);
    inst->cfg = *cfg;
    pthread_mutex_init(&inst->frame_lock, NULL);
    if (cfg->model_path) snprintf(inst->model_path, sizeof inst->model_path, "%s", cfg->model_path);
    else if (!default_model(inst->model_path, sizeof inst->model_path)) {
        nr_instrument_free(inst);
        return nr_fail(NR_ERR_IO, "no model given and no default model found (set NEURORACK_MODEL or "
                                  "install models/default.safetensors)");
    }
    const char *home = getenv("HOME");
    if (cfg->settings_path) snprintf(inst->settings_path, sizeof inst->settings_path, "%s", cfg->settings_path);
    else if (home && *home)
        snprintf(inst->settings_path, sizeof inst->settings_path, "%s/.config/neurorack/settings.nrs", home);

    nr_result r = NR_OK;
    for (int s = 0; s < NR_NUM_SOURCES && r == NR_OK; s++) {
        r = nr_spsc_init(&inst->evq[s], QUEUE_EVENTS, sizeof(nr_control_event));
        if (r == NR_OK) r = nr_spsc_init(&inst->uiq[s], QUEUE_EVENTS, sizeof(nr_control_event));
    }
    if (r == NR_OK) r = nr_spsc_init(&inst->reports, QUEUE_REPORTS, sizeof(report));
    if (r != NR_OK) {
        nr_instrument_free(inst);
        return r;
    }
    /* Defaults, then the file, then clamp; a bad file is kept aside and reported, never fatal. */
    if (inst->settings_path[0]) {
        if (nr_settings_load(inst->settings_path, &inst->settings) != NR_OK) set_notice(inst, nr_last_error());
    } else {
        nr_settings_defaults(&inst->settings);
    }
    nr_settings_clamp(&inst->settings);

    nr_engine *e = NULL;
    r = make_engine(inst, &e);
    if (r != NR_OK) {
        nr_instrument_free(inst);
        return r;
    }
    inst->eng_ui = e;
    refresh_names(inst);
    nr_perf_init(&inst->perf, e, cfg->device_rate, cfg->seed);
    inst->perf.limit = cfg->max_voices;
    /* Until the guard has measured, assume a voice costs what its multiply-adds say. */
    nr_guard_init(&inst->guard, cfg->max_voices,
                  (float)(e->info.macs_per_sample * e->info.sample_rate / ASSUMED_MACS));
    inst->p_write = 0;
    inst->p_read = 2;
    atomic_init(&inst->p_mid, 1);
    publish(inst);
    nr_menu_init(&inst->menu);
    nr_instrument_poll(inst);
    *out = inst;
    return NR_OK;
}

void nr_instrument_free(nr_instrument *inst)
{
    if (!inst) return;
    if (inst->dirty && inst->settings_path[0]) nr_settings_save(inst->settings_path, &inst->settings);
    nr_engine *next = atomic_exchange(&inst->eng_next, NULL);
    nr_engine *old = atomic_exchange(&inst->eng_old, NULL);
    if (inst->perf.eng != next && inst->perf.eng != old) nr_engine_free(inst->perf.eng);
    nr_engine_free(next);
    if (old != next) nr_engine_free(old);
    for (int s = 0; s < NR_NUM_SOURCES; s++) {
        nr_spsc_free(&inst->evq[s]);
        nr_spsc_free(&inst->uiq[s]);
    }
    nr_spsc_free(&inst->reports);
    pthread_mutex_destroy(&inst->frame_lock);
    free(inst);
}

int nr_instrument_post(nr_instrument *inst, nr_source src, const nr_control_event *ev)
{
    if (!inst || !ev || (int)src < 0 || src >= NR_NUM_SOURCES) return 0;
    switch (ev->type) {
    case NR_EV_GATE:
    case NR_EV_CV: return nr_spsc_push(&inst->evq[src], ev);
    case NR_EV_ENCODER:
    case NR_EV_PUSH:
    case NR_EV_LONG_PUSH:
    case NR_EV_QUIT: return nr_spsc_push(&inst->uiq[src], ev);
    }
    return 0;
}

/* ---- audio thread ---- */

static void send_report(nr_instrument *inst, int type, float value)
{
    report r = {type, value};
    nr_spsc_push(&inst->reports, &r); /* a full queue loses a report, never blocks */
}

static void guard(nr_instrument *inst, float share)
{
    nr_performer *p = &inst->perf;
    int playing = nr_vpool_count(&p->pool, NR_VS_PLAYING);
    int before = inst->guard.limit;
    p->limit = nr_guard_update(&inst->guard, share, playing, inst->cfg.cpu_guard);
    if (playing > p->limit) {
        float rate = p->eng ? (float)p->eng->info.sample_rate : 48000.0f;
        nr_vpool_limit(&p->pool, p->limit, p->prm.patch.steal, 1.0f / (0.005f * rate));
    }
    if (inst->guard.limit != before) send_report(inst, REP_GUARD, (float)inst->guard.limit);
}

static void process_block(nr_instrument *inst, float *out, int n)
{
    double t0 = now_s();
    nr_performer *p = &inst->perf;
    nr_engine *e = atomic_exchange(&inst->eng_next, NULL);
    if (e) {
        atomic_store(&inst->eng_old, p->eng);
        nr_perf_set_engine(p, e);
    }
    if (atomic_load_explicit(&inst->p_mid, memory_order_acquire) & PB_DIRTY) {
        int old = atomic_exchange(&inst->p_mid, inst->p_read);
        inst->p_read = old & 3;
        nr_perf_set_params(p, &inst->pbuf[inst->p_read]);
    }
    nr_control_event ev;
    for (int s = 0; s < NR_NUM_SOURCES; s++)
        while (p->npend < NR_PENDING_MAX && nr_spsc_pop(&inst->evq[s], &ev)) nr_perf_event(p, &ev);

    float peak = 0.0f;
    if (p->eng) {
        nr_output_pull(&p->eng->out, out, n, nr_perf_render, p);
        peak = nr_output_post(&p->eng->out, out, n, nr_db_to_gain(p->prm.patch.volume_db));
    } else {
        memset(out, 0, (size_t)n * sizeof(float));
    }
    p->dclock += n;

    if (p->faults != inst->faults_seen) {
        send_report(inst, REP_FAULT, (float)(p->faults - inst->faults_seen));
        inst->faults_seen = p->faults;
    }
    for (int i = 0; i < NR_NUM_CV; i++) {
        atomic_store_explicit(&inst->st_cv[i], p->cv_target[i], memory_order_relaxed);
        atomic_store_explicit(&inst->st_cv_raw[i], p->cv_raw[i], memory_order_relaxed);
    }
    for (int g = 0; g < NR_NUM_GATES; g++) atomic_store_explicit(&inst->st_gate[g], p->gate[g], memory_order_relaxed);
    atomic_store_explicit(&inst->st_voices, nr_vpool_count(&p->pool, NR_VS_PLAYING), memory_order_relaxed);
    atomic_store_explicit(&inst->st_peak, peak, memory_order_relaxed);
    atomic_store_explicit(&inst->st_faults, p->faults, memory_order_relaxed);
    atomic_store_explicit(&inst->st_dropped, p->dropped, memory_order_relaxed);

    float share = (float)((now_s() - t0) * inst->cfg.device_rate / n);
    guard(inst, share);
    atomic_store_explicit(&inst->st_limit, p->limit < p->prm.patch.voices ? p->limit : p->prm.patch.voices,
                          memory_order_relaxed);
    atomic_store_explicit(&inst->st_cpu, inst->guard.load_ema, memory_order_relaxed);
    if (share > atomic_load_explicit(&inst->st_worst, memory_order_relaxed))
        atomic_store_explicit(&inst->st_worst, share, memory_order_relaxed);
}

void nr_instrument_process(nr_instrument *inst, float *out, int n)
{
    if (!inst || !out || n <= 0) return;
    for (int done = 0; done < n;) {
        int m = n - done < inst->cfg.max_block ? n - done : inst->cfg.max_block;
        process_block(inst, out + done, m);
        done += m;
    }
}

void nr_instrument_status_get(const nr_instrument *inst, nr_instrument_status *st)
{
    nr_instrument *i = (nr_instrument *)inst; /* atomics are read-only here */
    memset(st, 0, sizeof *st);
    for (int k = 0; k < NR_NUM_CV; k++) st->cv[k] = atomic_load(&i->st_cv[k]);
    for (int g = 0; g < NR_NUM_GATES; g++) st->gate[g] = atomic_load(&i->st_gate[g]);
    st->voices_active = atomic_load(&i->st_voices);
    st->out_peak = atomic_load(&i->st_peak);
    st->cpu_load = atomic_load(&i->st_cpu);
    st->worst_block_share = atomic_load(&i->st_worst);
    st->xruns = atomic_load(&i->st_xruns);
    st->latency_ms = atomic_load(&i->st_latency);
    st->faults = atomic_load(&i->st_faults);
    st->voice_limit = atomic_load(&i->st_limit);
    st->dropped_events = atomic_load(&i->st_dropped);
    st->cv_latency_ms = atomic_load(&i->st_cv_latency);
}

void nr_instrument_note_xrun(nr_instrument *inst) { atomic_fetch_add(&inst->st_xruns, 1); }

void nr_instrument_set_latency(nr_instrument *inst, float ms)
{
    atomic_store(&inst->st_latency, isfinite(ms) && ms > 0.0f ? ms : 0.0f);
}

/* ---- control thread ---- */

nr_settings *nr_instrument_settings(nr_instrument *inst) { return &inst->settings; }

void nr_instrument_settings_changed(nr_instrument *inst)
{
    publish(inst);
    inst->dirty = 1;
    inst->dirty_since = now_s();
}

int nr_instrument_templates(const nr_instrument *inst, const char *const **names)
{
    *names = inst->tnames;
    return inst->eng_ui->tpl.count;
}

nr_result nr_instrument_save_settings(nr_instrument *inst)
{
    if (!inst->settings_path[0]) return NR_OK;
    nr_result r = nr_settings_save(inst->settings_path, &inst->settings);
    if (r != NR_OK) set_notice(inst, nr_last_error());
    else inst->dirty = 0;
    return r;
}

nr_result nr_instrument_add_template(nr_instrument *inst, const char *path)
{
    nr_curves c;
    nr_result r = nr_curves_read_csv(path, &c);
    if (r != NR_OK) return r;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char name[NR_NAME_MAX];
    const char *dot = strrchr(base, '.');
    snprintf(name, sizeof name, "%.*s", dot ? (int)(dot - base) : (int)strlen(base), base);
    r = nr_template_set_add(&inst->eng_ui->tpl, name, &c);
    nr_curves_free(&c);
    if (r == NR_OK) {
        refresh_names(inst);
        publish(inst);
    }
    return r;
}

static void reload_model(nr_instrument *inst)
{
    if (atomic_load(&inst->eng_next) || atomic_load(&inst->eng_old)) {
        set_notice(inst, "reload: the previous model is still being swapped; try again");
        return;
    }
    nr_engine *e = NULL;
    if (make_engine(inst, &e) != NR_OK) {
        char msg[600];
        snprintf(msg, sizeof msg, "reload failed, old model kept: %s", nr_last_error());
        set_notice(inst, msg);
        return;
    }
    inst->eng_ui = e;
    refresh_names(inst);
    publish(inst);
    atomic_store(&inst->eng_next, e);
    set_notice(inst, "model reloaded");
}

int nr_instrument_quit_requested(const nr_instrument *inst)
{
    return atomic_load(&((nr_instrument *)inst)->quit);
}

const char *nr_instrument_notice(const nr_instrument *inst) { return inst->notice; }

void nr_instrument_poll(nr_instrument *inst)
{
    if (!inst) return;
    nr_engine *old = atomic_exchange(&inst->eng_old, NULL);
    nr_engine_free(old);

    report rep;
    char msg[128];
    while (nr_spsc_pop(&inst->reports, &rep)) {
        if (rep.type == REP_FAULT) snprintf(msg, sizeof msg, "voice fault (NaN/inf): %.0f voice(s) silenced", (double)rep.value);
        else snprintf(msg, sizeof msg, "CPU guard: voice limit now %.0f", (double)rep.value);
        set_notice(inst, msg);
    }

    nr_menu_view v;
    memset(&v, 0, sizeof v);
    v.settings = &inst->settings;
    v.templates = inst->tnames;
    v.n_templates = inst->eng_ui->tpl.count;
    v.default_a = inst->eng_ui->tpl.def_a;
    v.default_b = inst->eng_ui->tpl.def_b;
    const char *slash = strrchr(inst->model_path, '/');
    v.model_name = slash ? slash + 1 : inst->model_path;
    v.model_arch = inst->eng_ui->info.arch ? inst->eng_ui->info.arch : "?";
    v.model_rate = inst->eng_ui->info.sample_rate;
    v.notice = inst->notice;
    nr_instrument_status_get(inst, &v.status);
    for (int i = 0; i < NR_NUM_CV; i++) v.cv_raw[i] = atomic_load(&inst->st_cv_raw[i]);

    int flags = 0;
    nr_control_event ev;
    for (int s = 0; s < NR_NUM_SOURCES; s++)
        while (nr_spsc_pop(&inst->uiq[s], &ev)) {
            if (ev.type == NR_EV_QUIT) atomic_store(&inst->quit, 1);
            else flags |= nr_menu_input(&inst->menu, &v, &ev);
        }
    if (flags & NR_MENU_CHANGED) nr_instrument_settings_changed(inst);
    if (flags & NR_MENU_PERSIST) nr_instrument_save_settings(inst);
    if (flags & NR_MENU_RELOAD_MODEL) reload_model(inst);
    if (inst->dirty && now_s() - inst->dirty_since >= SAVE_DELAY_S) nr_instrument_save_settings(inst);

    /* Build the whole frame, then publish it at once. */
    nr_fb fb;
    v.templates = inst->tnames;
    v.n_templates = inst->eng_ui->tpl.count;
    v.notice = inst->notice;
    nr_menu_draw(&inst->menu, &v, &fb);
    pthread_mutex_lock(&inst->frame_lock);
    if (memcmp(fb.px, inst->frame, sizeof fb.px) != 0 || inst->frame_seq == 0) {
        memcpy(inst->frame, fb.px, sizeof fb.px);
        inst->frame_seq++;
    }
    pthread_mutex_unlock(&inst->frame_lock);
}

uint32_t nr_instrument_frame(const nr_instrument *inst, uint8_t fb[NR_OLED_W * NR_OLED_H / 8])
{
    nr_instrument *i = (nr_instrument *)inst; /* the lock is the only thing changed */
    pthread_mutex_lock(&i->frame_lock);
    memcpy(fb, i->frame, sizeof i->frame);
    uint32_t seq = i->frame_seq;
    pthread_mutex_unlock(&i->frame_lock);
    return seq;
}
