/* The instrument (the module host): the settings file, model loading and reload, the queues from the
 * control sources, the menu and the display frame, around one nr_synth. */
#include "instrument/instrument_internal.h"
#include "synth/spsc.h"
#include "instrument/menu.h"
#include "instrument/model_list.h"

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

    /* Models (control thread): the list, the default (the configured model) and the playing entry; a
     * model loaded for the patch's model name, waiting for the previous switch to finish. */
    nr_model_list *models;
    int def_entry, cur_entry;
    nr_synth_prepared *ready;
    char ready_path[PATH_MAX];
    char warned[NR_NAME_MAX]; /* the unavailable model name last reported ("" none) */
    const char *mnames[NR_MODEL_LIST_MAX]; /* names of the models that load, for the menu */
    int n_mnames, mdefault;
    atomic_uint st_switches, st_switches_failed;
    int reload_wanted; /* a menu reload waits for the previous switch's old voices */
    char *extra[NR_INSTRUMENT_MAX_TEMPLATES]; /* curve files added by nr_instrument_add_template */
    int n_extra;

    /* The loader thread: reads a model file off the control and audio threads. The mutex is shared with
     * the control thread only (the audio thread never sees it). */
    struct {
        pthread_t thread;
        int started, stop, busy, has_req, has_done;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        char req[PATH_MAX];
        char done_path[PATH_MAX];
        nr_synth_prepared *done_model; /* NULL: the load failed, done_msg says why */
        char done_msg[600];
    } ld;
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
    c.threads = 1;
    return c;
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

/* The menu's model names: the models that load, and which is the default. */
static void refresh_model_names(nr_instrument *inst)
{
    inst->n_mnames = 0;
    inst->mdefault = -1;
    for (int i = 0; i < inst->models->n; i++) {
        if (!inst->models->e[i].ok) continue;
        if (i == inst->def_entry) inst->mdefault = inst->n_mnames;
        inst->mnames[inst->n_mnames++] = inst->models->e[i].name;
    }
}

/* The model list: the default model first (known to load: it plays), then every model file of the program's
 * folder (models/ beside it, and the source tree's models/ when it runs from build/), the installed share
 * folder and the settings folder's models/ (~/.config/neurorack/models). Broken files are reported. */
static void scan_models(nr_instrument *inst, const char *playing_path)
{
    nr_model_list *l = inst->models;
    char def[PATH_MAX], cur[PATH_MAX];
    snprintf(def, sizeof def, "%s", inst->model_path);
    snprintf(cur, sizeof cur, "%s", playing_path);
    nr_model_list_clear(l);
    inst->def_entry = nr_model_list_add(l, def, !strcmp(def, cur));
    if (strcmp(def, cur)) nr_model_list_add(l, cur, 1);
    char dir[PATH_MAX + 64];
    for (int i = 0; nr_model_dir(i, dir, sizeof dir); i++) nr_model_list_scan_dir(l, dir);
    if (inst->settings_path[0]) {
        snprintf(dir, sizeof dir, "%s", inst->settings_path);
        char *slash = strrchr(dir, '/');
        if (slash) snprintf(slash, sizeof dir - (size_t)(slash - dir), "/models");
        else snprintf(dir, sizeof dir, "models");
        nr_model_list_scan_dir(l, dir);
    }
    for (int i = 0; i < l->n; i++)
        if (!l->e[i].ok) {
            char msg[sizeof l->e[i].reason + NR_NAME_MAX + 32];
            snprintf(msg, sizeof msg, "model '%s' is broken: %s", l->e[i].name, l->e[i].reason);
            add_notice(inst, msg);
        }
    if (l->left_out) {
        char msg[96];
        snprintf(msg, sizeof msg, "%d model files left out (the list holds %d)", l->left_out, NR_MODEL_LIST_MAX);
        add_notice(inst, msg);
    }
    inst->cur_entry = nr_model_list_find_path(l, cur);
    if (inst->def_entry < 0) inst->def_entry = 0;
    if (inst->cur_entry < 0) inst->cur_entry = inst->def_entry;
    refresh_model_names(inst);
}

/* The entry the patch's model name asks for: that model if it loads, else the default (reported once). */
static int wanted_model(nr_instrument *inst)
{
    const char *name = inst->settings.patch.model;
    if (!name[0]) {
        inst->warned[0] = '\0';
        return inst->def_entry;
    }
    int k = nr_model_list_find(inst->models, name);
    if (k >= 0 && inst->models->e[k].ok) {
        inst->warned[0] = '\0';
        return k;
    }
    if (strcmp(inst->warned, name)) {
        char msg[sizeof inst->models->e[0].reason + 2 * NR_NAME_MAX + 64];
        if (k < 0) snprintf(msg, sizeof msg, "model '%s' not found; playing the default '%s'", name, inst->models->e[inst->def_entry].name);
        else snprintf(msg, sizeof msg, "model '%s' is broken (%s); playing the default '%s'", name, inst->models->e[k].reason,
                      inst->models->e[inst->def_entry].name);
        set_notice(inst, msg);
        snprintf(inst->warned, sizeof inst->warned, "%s", name);
    }
    return inst->def_entry;
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
    pthread_mutex_init(&inst->ld.mu, NULL);
    pthread_cond_init(&inst->ld.cv, NULL);
    inst->models = calloc(1, sizeof *inst->models);
    if (!inst->models) {
        nr_instrument_free(inst);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the model list");
    }
    if (cfg->model_path) snprintf(inst->model_path, sizeof inst->model_path, "%s", cfg->model_path);
    else if (!nr_model_default_path(inst->model_path, sizeof inst->model_path)) {
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
        /* the model list; the patch may name another model to start with */
        scan_models(inst, inst->model_path);
        int want = wanted_model(inst);
        nr_model *w = NULL;
        if (want != inst->def_entry) {
            nr_model_entry *e = &inst->models->e[want];
            if (nr_model_load(e->path, &w) == NR_OK) {
                nr_model_free(m);
                m = w;
                inst->cur_entry = want;
            } else { /* changed since the scan: broken from now on */
                e->ok = 0;
                snprintf(e->reason, sizeof e->reason, "%s", nr_last_error());
                refresh_model_names(inst);
                wanted_model(inst);
            }
        }
        nr_synth_config sc = nr_synth_config_init();
        sc.model = m;
        sc.device_rate = cfg->device_rate;
        sc.max_block = cfg->max_block;
        sc.max_voices = cfg->max_voices;
        sc.cpu_guard = cfg->cpu_guard;
        sc.seed = cfg->seed;
        sc.threads = cfg->threads;
        r = nr_synth_init(&sc, &inst->synth);
    }
    /* no latent model given: the one shipped beside the default model (X.latent.safetensors), if any;
     * that one is optional, so a broken file there is reported and the instrument plays on without it */
    char beside[PATH_MAX];
    const char *latent_path = cfg->latent_path;
    int optional = 0;
    if (!latent_path && nr_latent_beside(inst->model_path, beside, sizeof beside)) latent_path = beside, optional = 1;
    if (r == NR_OK && latent_path) {
        nr_latent *lm;
        r = nr_latent_open(latent_path, &lm);
        if (r == NR_OK) r = nr_synth_set_latent(inst->synth, lm); /* takes it over, even on failure */
        if (r != NR_OK && optional) {
            add_notice(inst, nr_last_error());
            r = NR_OK;
        }
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
    if (inst->ld.started) {
        pthread_mutex_lock(&inst->ld.mu);
        inst->ld.stop = 1;
        pthread_cond_signal(&inst->ld.cv);
        pthread_mutex_unlock(&inst->ld.mu);
        pthread_join(inst->ld.thread, NULL);
    }
    nr_synth_prepared_free(inst->ld.done_model);
    nr_synth_prepared_free(inst->ready);
    pthread_mutex_destroy(&inst->ld.mu);
    pthread_cond_destroy(&inst->ld.cv);
    free(inst->models);
    for (int i = 0; i < inst->n_extra; i++) free(inst->extra[i]);
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
    case NR_EV_QUIT:
    case NR_EV_MODEL: return nr_spsc_push(&inst->uiq[src], ev);
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
    st->model_switches = atomic_load(&i->st_switches);
    st->model_switches_failed = atomic_load(&i->st_switches_failed);
    st->voices_sounding_out = ss.voices_sounding_out;
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

/* A curve file as a template of the staged (else current) model. */
static nr_result add_template_file(nr_instrument *inst, const char *path)
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
    return r;
}

nr_result nr_instrument_add_template(nr_instrument *inst, const char *path)
{
    nr_result r = add_template_file(inst, path);
    if (r == NR_OK) {
        refresh_names(inst);
        publish(inst);
        /* kept, so that a model switch or reload gives the new model the same templates */
        char *copy = inst->n_extra < NR_INSTRUMENT_MAX_TEMPLATES ? strdup(path) : NULL;
        if (copy) inst->extra[inst->n_extra++] = copy;
    }
    return r;
}

/* The settings folder's templates and those added by nr_instrument_add_template, into the staged model. */
static void add_own_templates(nr_instrument *inst)
{
    load_templates_dir(inst);
    for (int i = 0; i < inst->n_extra; i++)
        if (add_template_file(inst, inst->extra[i]) != NR_OK) add_notice(inst, nr_last_error());
}

static void reload_model(nr_instrument *inst)
{
    if (nr_synth_swap_pending(inst->synth)) { /* the old voices fade now; the reload follows (poll) */
        nr_synth_swap_hurry(inst->synth);
        inst->reload_wanted = 1;
        return;
    }
    inst->reload_wanted = 0;
    nr_model *m = NULL;
    nr_result r = nr_model_load(inst->models->e[inst->cur_entry].path, &m);
    if (r == NR_OK) r = nr_synth_model_stage(inst->synth, m);
    if (r != NR_OK) {
        char msg[600];
        snprintf(msg, sizeof msg, "reload failed, old model kept: %s", nr_last_error());
        set_notice(inst, msg);
        atomic_fetch_add(&inst->st_reloads_failed, 1);
        return;
    }
    inst->notice[0] = '\0';
    add_own_templates(inst);
    nr_settings_clamp(&inst->settings);
    nr_synth_model_commit(inst->synth); /* republishes the patch against the new templates */
    refresh_names(inst);
    char problems[sizeof inst->notice];
    snprintf(problems, sizeof problems, "%s", inst->notice);
    set_notice(inst, "model reloaded");
    atomic_fetch_add(&inst->st_reloads, 1);
    if (problems[0]) add_notice(inst, problems);
}

/* ---- switching models ---- */

/* The model file read, its voices and templates built for the synth: the slow part of a switch. Any thread. */
static nr_result load_and_prepare(nr_instrument *inst, const char *path, nr_synth_prepared **out)
{
    nr_model *m = NULL;
    *out = NULL;
    nr_result r = nr_model_load(path, &m);
    return r == NR_OK ? nr_synth_prepare(inst->synth, m, out) : r;
}

static void *loader_main(void *arg)
{
    nr_instrument *inst = arg;
    pthread_mutex_lock(&inst->ld.mu);
    for (;;) {
        while (!inst->ld.stop && !inst->ld.has_req) pthread_cond_wait(&inst->ld.cv, &inst->ld.mu);
        if (inst->ld.stop) break;
        char path[PATH_MAX];
        memcpy(path, inst->ld.req, sizeof path);
        inst->ld.has_req = 0;
        inst->ld.busy = 1;
        pthread_mutex_unlock(&inst->ld.mu);
        nr_synth_prepared *m = NULL;
        nr_result r = load_and_prepare(inst, path, &m);
        char msg[sizeof inst->ld.done_msg];
        snprintf(msg, sizeof msg, "%s", r == NR_OK ? "" : nr_last_error()); /* the error is per thread */
        pthread_mutex_lock(&inst->ld.mu);
        nr_synth_prepared_free(inst->ld.done_model); /* a result never taken (cannot happen: one request at a time) */
        inst->ld.done_model = r == NR_OK ? m : NULL;
        memcpy(inst->ld.done_path, path, sizeof path);
        memcpy(inst->ld.done_msg, msg, sizeof msg);
        inst->ld.has_done = 1;
        inst->ld.busy = 0;
    }
    pthread_mutex_unlock(&inst->ld.mu);
    return NULL;
}

/* Ask the loader for path; 0 while it is busy or its last result has not been taken. */
static int loader_request(nr_instrument *inst, const char *path)
{
    if (!inst->ld.started) {
        if (pthread_create(&inst->ld.thread, NULL, loader_main, inst) != 0) return 0;
        inst->ld.started = 1;
    }
    pthread_mutex_lock(&inst->ld.mu);
    int ok = !inst->ld.busy && !inst->ld.has_req && !inst->ld.has_done;
    if (ok) {
        snprintf(inst->ld.req, sizeof inst->ld.req, "%s", path);
        inst->ld.has_req = 1;
        pthread_cond_signal(&inst->ld.cv);
    }
    pthread_mutex_unlock(&inst->ld.mu);
    return ok;
}

/* The loader's result, if there is one: 1 and *m (NULL: failed, msg says why) for path. */
static int loader_take(nr_instrument *inst, nr_synth_prepared **m, char *path, char *msg, size_t msg_n)
{
    if (!inst->ld.started) return 0;
    pthread_mutex_lock(&inst->ld.mu);
    int got = inst->ld.has_done;
    if (got) {
        *m = inst->ld.done_model;
        inst->ld.done_model = NULL;
        memcpy(path, inst->ld.done_path, sizeof inst->ld.done_path);
        snprintf(msg, msg_n, "%s", inst->ld.done_msg);
        inst->ld.has_done = 0;
    }
    pthread_mutex_unlock(&inst->ld.mu);
    return got;
}

static int loader_busy(nr_instrument *inst)
{
    if (!inst->ld.started) return 0;
    pthread_mutex_lock(&inst->ld.mu);
    int busy = inst->ld.busy || inst->ld.has_req || inst->ld.has_done;
    pthread_mutex_unlock(&inst->ld.mu);
    return busy;
}

/* A load of the entry at path ended: keep the model for the switch, or list the file broken. */
static void model_loaded(nr_instrument *inst, nr_synth_prepared *m, const char *path, const char *why)
{
    int k = nr_model_list_find_path(inst->models, path);
    if (!m) {
        if (k >= 0) {
            nr_model_entry *e = &inst->models->e[k];
            e->ok = 0;
            snprintf(e->reason, sizeof e->reason, "%s", why);
            refresh_model_names(inst);
        }
        char msg[900];
        snprintf(msg, sizeof msg, "model switch failed, '%s' kept: %s", inst->models->e[inst->cur_entry].name, why);
        set_notice(inst, msg);
        atomic_fetch_add(&inst->st_switches_failed, 1);
        return;
    }
    nr_synth_prepared_free(inst->ready);
    inst->ready = m;
    snprintf(inst->ready_path, sizeof inst->ready_path, "%s", path);
}

/* Hand the ready model to the synth: its voices and templates (built here, on the control thread), the
 * settings folder's templates, then the lock-free hand-over; the patch's template names are resolved
 * against the new model (a name it lacks plays its default). */
static void switch_to_ready(nr_instrument *inst, int entry)
{
    nr_synth_prepared *m = inst->ready;
    inst->ready = NULL;
    inst->notice[0] = '\0'; /* collects the template files' problems below */
    if (nr_synth_model_stage_prepared(inst->synth, m) != NR_OK) { /* takes m over, even on failure */
        char msg[900];
        snprintf(msg, sizeof msg, "model switch failed, '%s' kept: %s", inst->models->e[inst->cur_entry].name,
                 nr_last_error());
        set_notice(inst, msg);
        atomic_fetch_add(&inst->st_switches_failed, 1);
        return;
    }
    add_own_templates(inst);
    nr_settings_clamp(&inst->settings);
    nr_synth_model_commit(inst->synth);
    refresh_names(inst);
    inst->cur_entry = entry;
    char problems[sizeof inst->notice];
    snprintf(problems, sizeof problems, "%s", inst->notice);
    char msg[NR_NAME_MAX + 16];
    snprintf(msg, sizeof msg, "model: %s", inst->models->e[entry].name);
    set_notice(inst, msg);
    if (problems[0]) add_notice(inst, problems);
    atomic_fetch_add(&inst->st_switches, 1);
}

/* Make the playing model the one the patch names: load it (on the loader thread, or here for offline
 * renders), then switch once the previous switch has finished, hurrying the old voices if need be. */
static void follow_model(nr_instrument *inst)
{
    nr_synth_prepared *m = NULL;
    char path[PATH_MAX], why[600];
    if (loader_take(inst, &m, path, why, sizeof why)) model_loaded(inst, m, path, why);
    int want = wanted_model(inst);
    if (inst->ready && strcmp(inst->ready_path, inst->models->e[want].path)) { /* asked for another since */
        nr_synth_prepared_free(inst->ready);
        inst->ready = NULL;
    }
    if (want == inst->cur_entry || !inst->models->e[want].ok) {
        nr_synth_prepared_free(inst->ready);
        inst->ready = NULL;
        return;
    }
    if (!inst->ready) {
        const char *p = inst->models->e[want].path;
        if (inst->cfg.sync_model_load) {
            nr_result r = load_and_prepare(inst, p, &m);
            snprintf(why, sizeof why, "%s", r == NR_OK ? "" : nr_last_error());
            model_loaded(inst, r == NR_OK ? m : NULL, p, why);
        } else {
            if (!loader_busy(inst)) loader_request(inst, p);
            return;
        }
    }
    if (!inst->ready) return;
    if (nr_synth_swap_pending(inst->synth)) {
        nr_synth_swap_hurry(inst->synth); /* the old voices fade now; the switch follows at the next polls */
        return;
    }
    switch_to_ready(inst, want);
}

void nr_instrument_rescan_models(nr_instrument *inst)
{
    inst->notice[0] = '\0';
    scan_models(inst, inst->models->e[inst->cur_entry].path);
    int ok = nr_model_list_count_ok(inst->models);
    char msg[96];
    snprintf(msg, sizeof msg, "models: %d, %d broken", ok, inst->models->n - ok);
    char problems[sizeof inst->notice];
    snprintf(problems, sizeof problems, "%s", inst->notice);
    set_notice(inst, msg);
    if (problems[0]) add_notice(inst, problems);
    inst->warned[0] = '\0';
}

const nr_model_list *nr_instrument_models(const nr_instrument *inst, int *current, int *def)
{
    if (current) *current = inst->cur_entry;
    if (def) *def = inst->def_entry;
    return inst->models;
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
    v.model_name = inst->models->e[inst->cur_entry].name;
    v.models = inst->mnames;
    v.n_models = inst->n_mnames;
    v.default_model = inst->mdefault;
    v.model_list = inst->models;
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
            if (ev.type == NR_EV_QUIT) {
                atomic_store(&inst->quit, 1);
            } else if (ev.type == NR_EV_MODEL) { /* OSC, scripts: the patch's model by name */
                nr_control_event e = ev;
                e.name[sizeof e.name - 1] = '\0';
                if (strcmp(inst->settings.patch.model, e.name)) {
                    snprintf(inst->settings.patch.model, sizeof inst->settings.patch.model, "%s", e.name);
                    flags |= NR_MENU_CHANGED;
                }
            } else {
                flags |= nr_menu_input(&inst->menu, &v, &ev);
            }
        }
    if (flags & NR_MENU_CHANGED) nr_instrument_settings_changed(inst);
    if (flags & NR_MENU_PERSIST) nr_instrument_save_settings(inst);
    if ((flags & NR_MENU_RELOAD_MODEL) || (inst->reload_wanted && !nr_synth_swap_pending(inst->synth))) reload_model(inst);
    else if (inst->reload_wanted) nr_synth_swap_hurry(inst->synth);
    if (flags & NR_MENU_RESCAN_MODELS) nr_instrument_rescan_models(inst);
    follow_model(inst);
    if (inst->dirty && now_s() - inst->dirty_since >= SAVE_DELAY_S) nr_instrument_save_settings(inst);

    /* Build the whole frame, then publish it at once. */
    nr_fb fb;
    v.templates = inst->tnames;
    v.n_templates = inst->n_templates;
    nr_synth_template_defaults(inst->synth, &v.default_a, &v.default_b);
    v.model_name = inst->models->e[inst->cur_entry].name;
    v.models = inst->mnames;
    v.n_models = inst->n_mnames;
    v.default_model = inst->mdefault;
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
