/* The instrument (the module host): the settings file, model loading and reload, the queues from the
 * control sources, the menu and the display frame, around one nr_synth. */
#include "instrument/instrument_internal.h"
#include "synth/spsc.h"
#include "instrument/menu.h"

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
#define SAVE_DELAY_S 1.0      /* settings are written this long after the last change */

struct nr_instrument {
    nr_instrument_config cfg;
    char settings_path[PATH_MAX];
    char model_path[PATH_MAX];
    nr_spsc evq[NR_NUM_SOURCES]; /* gates and CVs, to the audio thread */
    nr_spsc uiq[NR_NUM_SOURCES]; /* encoder and quit, to the control thread */
    nr_synth *synth;

    /* Status the backend reports (any thread). */
    _Atomic float st_latency;
    atomic_uint st_xruns;
    /* Counted by the control thread, read by any. */
    atomic_uint st_reloads, st_reloads_failed, st_saves, st_saves_failed;

    /* Control thread. */
    nr_settings settings;
    nr_menu menu;
    const char *tnames[NR_INSTRUMENT_MAX_TEMPLATES];
    int n_templates;
    char notice[2048]; /* every start-up problem, "; "-separated */
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

/* Adds a problem to the notice, so that several (a settings file and three bad template files) are all
 * reported, not only the last; a notice too long for the buffer ends in "...". */
static void add_notice(nr_instrument *inst, const char *msg)
{
    size_t n = strlen(inst->notice), cap = sizeof inst->notice;
    if (n + 4 >= cap) return;
    int k = snprintf(inst->notice + n, cap - n, "%s%s", n ? "; " : "", msg);
    if (k < 0 || (size_t)k >= cap - n) memcpy(inst->notice + cap - 4, "...", 4);
}

static void refresh_names(nr_instrument *inst)
{
    inst->n_templates = nr_synth_template_count(inst->synth);
    if (inst->n_templates > NR_INSTRUMENT_MAX_TEMPLATES) inst->n_templates = NR_INSTRUMENT_MAX_TEMPLATES;
    for (int i = 0; i < inst->n_templates; i++) inst->tnames[i] = nr_synth_template_name(inst->synth, i);
}

static void publish(nr_instrument *inst)
{
    nr_settings_clamp(&inst->settings);
    nr_synth_set_patch(inst->synth, &inst->settings.patch, inst->settings.cal);
}

/* Every *.csv in the settings folder's templates/ subfolder, into the staged (else current) model. */
static void load_templates_dir(nr_instrument *inst)
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
            r = nr_synth_add_template(inst->synth, name, &c);
            nr_curves_free(&c);
        }
        if (r != NR_OK) add_notice(inst, nr_last_error());
    }
    closedir(d);
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
    if (r != NR_OK) {
        nr_instrument_free(inst);
        return r;
    }
    /* Defaults, then the file, then clamp; a bad file is kept aside and reported, never fatal. */
    if (inst->settings_path[0]) {
        if (nr_settings_load(inst->settings_path, &inst->settings) != NR_OK) add_notice(inst, nr_last_error());
    } else {
        nr_settings_defaults(&inst->settings);
    }
    nr_settings_clamp(&inst->settings);

    nr_model *m = NULL;
    r = nr_model_load(inst->model_path, &m);
    if (r == NR_OK) {
        nr_synth_config sc = nr_synth_config_init();
        sc.model = m;
        sc.device_rate = cfg->device_rate;
        sc.max_block = cfg->max_block;
        sc.max_voices = cfg->max_voices;
        sc.cpu_guard = cfg->cpu_guard;
        sc.seed = cfg->seed;
        r = nr_synth_init(&sc, &inst->synth);
    }
    if (r == NR_OK && cfg->latent_path) {
        nr_latent *lm = malloc(sizeof *lm);
        r = lm ? nr_latent_load(cfg->latent_path, lm) : nr_fail(NR_ERR_NOMEM, "out of memory for the latent model");
        if (r == NR_OK) r = nr_synth_set_latent(inst->synth, lm); /* takes it over, even on failure */
        else free(lm);
    }
    if (r != NR_OK) {
        nr_instrument_free(inst);
        return r;
    }
    load_templates_dir(inst);
    refresh_names(inst);
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
    nr_synth_uninit(inst->synth);
    for (int s = 0; s < NR_NUM_SOURCES; s++) {
        nr_spsc_free(&inst->evq[s]);
        nr_spsc_free(&inst->uiq[s]);
    }
    pthread_mutex_destroy(&inst->frame_lock);
    free(inst);
}

int nr_instrument_post(nr_instrument *inst, nr_source src, const nr_control_event *ev)
{
    if (!inst || !ev || (int)src < 0 || src >= NR_NUM_SOURCES) return 0;
    switch (ev->type) {
    case NR_EV_GATE:
    case NR_EV_CV:
    case NR_EV_NOTE_PITCH:
    case NR_EV_NOTE_LEVEL: return nr_spsc_push(&inst->evq[src], ev);
    case NR_EV_ENCODER:
    case NR_EV_PUSH:
    case NR_EV_LONG_PUSH:
    case NR_EV_QUIT: return nr_spsc_push(&inst->uiq[src], ev);
    }
    return 0;
}

/* ---- audio thread ---- */

/* The synth's event source: gates and CVs from each source's queue in turn, source by source. */
typedef struct {
    nr_instrument *inst;
    int source; /* the queue being drained */
} event_cursor;

static int next_event(void *ctx, nr_synth_event *out)
{
    event_cursor *c = ctx;
    nr_control_event ev;
    for (; c->source < NR_NUM_SOURCES; c->source++)
        if (nr_spsc_pop(&c->inst->evq[c->source], &ev)) {
            out->type = (int)ev.type;
            out->index = ev.index;
            out->value = ev.value;
            out->time = ev.time;
            return 1;
        }
    return 0;
}

/* One synth block per max_block piece, each draining the queues afresh (as the synth asks). */
void nr_instrument_process(nr_instrument *inst, float *out, int n)
{
    if (!inst || !out || n <= 0) return;
    for (int done = 0; done < n;) {
        int m = n - done < inst->cfg.max_block ? n - done : inst->cfg.max_block;
        event_cursor cur = {inst, 0};
        nr_synth_events events = {&cur, next_event};
        nr_synth_process(inst->synth, &events, out + done, m);
        done += m;
    }
}

void nr_instrument_status_get(const nr_instrument *inst, nr_instrument_status *st)
{
    nr_instrument *i = (nr_instrument *)inst; /* atomics are read-only here */
    nr_synth_status ss;
    nr_synth_status_get(i->synth, &ss);
    memset(st, 0, sizeof *st);
    memcpy(st->cv, ss.cv, sizeof st->cv);
    memcpy(st->gate, ss.gate, sizeof st->gate);
    st->voices_active = ss.voices_active;
    st->out_peak = ss.out_peak;
    st->cpu_load = ss.cpu_load;
    st->worst_block_share = ss.worst_block_share;
    st->xruns = atomic_load(&i->st_xruns);
    st->latency_ms = atomic_load(&i->st_latency);
    st->faults = ss.faults;
    st->voice_limit = ss.voice_limit;
    st->dropped_events = ss.dropped_events;
    st->cv_latency_ms = ss.cv_latency_ms;
    st->model_reloads = atomic_load(&i->st_reloads);
    st->model_reloads_failed = atomic_load(&i->st_reloads_failed);
    st->settings_saves = atomic_load(&i->st_saves);
    st->settings_saves_failed = atomic_load(&i->st_saves_failed);
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
    return inst->n_templates;
}

nr_result nr_instrument_save_settings(nr_instrument *inst)
{
    if (!inst->settings_path[0]) return NR_OK;
    nr_result r = nr_settings_save(inst->settings_path, &inst->settings);
    atomic_fetch_add(r == NR_OK ? &inst->st_saves : &inst->st_saves_failed, 1);
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
    r = nr_synth_add_template(inst->synth, name, &c);
    nr_curves_free(&c);
    if (r == NR_OK) {
        refresh_names(inst);
        publish(inst);
    }
    return r;
}

static void reload_model(nr_instrument *inst)
{
    if (nr_synth_swap_pending(inst->synth)) {
        set_notice(inst, "reload: the previous model is still being swapped; try again");
        atomic_fetch_add(&inst->st_reloads_failed, 1);
        return;
    }
    nr_model *m = NULL;
    nr_result r = nr_model_load(inst->model_path, &m);
    if (r == NR_OK) r = nr_synth_model_stage(inst->synth, m);
    if (r != NR_OK) {
        char msg[600];
        snprintf(msg, sizeof msg, "reload failed, old model kept: %s", nr_last_error());
        set_notice(inst, msg);
        atomic_fetch_add(&inst->st_reloads_failed, 1);
        return;
    }
    inst->notice[0] = '\0';
    load_templates_dir(inst);
    nr_settings_clamp(&inst->settings);
    nr_synth_model_commit(inst->synth); /* republishes the patch against the new templates */
    refresh_names(inst);
    char problems[sizeof inst->notice];
    snprintf(problems, sizeof problems, "%s", inst->notice);
    set_notice(inst, "model reloaded");
    atomic_fetch_add(&inst->st_reloads, 1);
    if (problems[0]) add_notice(inst, problems);
}

int nr_instrument_quit_requested(const nr_instrument *inst)
{
    return atomic_load(&((nr_instrument *)inst)->quit);
}

const char *nr_instrument_notice(const nr_instrument *inst) { return inst->notice; }

void nr_instrument_poll(nr_instrument *inst)
{
    if (!inst) return;
    nr_synth_collect(inst->synth);

    nr_synth_report rep;
    char msg[128];
    while (nr_synth_take_report(inst->synth, &rep)) {
        if (rep.type == NR_SYNTH_REPORT_FAULT) snprintf(msg, sizeof msg, "voice fault (NaN/inf): %.0f voice(s) silenced", (double)rep.value);
        else snprintf(msg, sizeof msg, "CPU guard: voice limit now %.0f", (double)rep.value);
        set_notice(inst, msg);
    }

    nr_menu_view v;
    memset(&v, 0, sizeof v);
    v.settings = &inst->settings;
    v.templates = inst->tnames;
    v.n_templates = inst->n_templates;
    nr_synth_template_defaults(inst->synth, &v.default_a, &v.default_b);
    const char *slash = strrchr(inst->model_path, '/');
    v.model_name = slash ? slash + 1 : inst->model_path;
    const nr_model_info *info = nr_synth_model_info(inst->synth);
    v.model_arch = info->arch ? info->arch : "?";
    v.model_rate = info->sample_rate;
    v.notice = inst->notice;
    nr_instrument_status_get(inst, &v.status);
    nr_synth_status ss;
    nr_synth_status_get(inst->synth, &ss);
    memcpy(v.cv_raw, ss.cv_raw, sizeof v.cv_raw);
    const nr_latent *lm = nr_synth_latent(inst->synth);
    v.has_latent = lm != NULL;
    v.latent_map = lm ? lm->map : NULL;
    v.n_latent_map = lm ? lm->n_map : 0;
    memcpy(v.latent, ss.latent, sizeof v.latent);

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
    v.n_templates = inst->n_templates;
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
