/* neurorack.lv2: the synth (nr/synth.h) as an LV2 instrument. A host of the same nr_synth as the module:
 * MIDI notes and controllers (the play --midi map), CV and gate ports, and control ports for the patch
 * become the synth's timed events and patch; run() renders one mono block.
 *
 * Threads, as LV2 defines them: run() is the audio thread and also the synth's control side for the patch
 * (nr_synth_set_patch and the model commit copy and publish; neither allocates nor locks). The worker
 * loads a model and builds its voices (nr_synth_model_stage), loads the latent curve model beside it,
 * frees the model let go (nr_synth_collect) and, in source latent, decodes the latent point every
 * COLLECT_MS (nr_synth_collect again): all allocation, file access and decoding happen there, in
 * instantiate, or in state save/restore. One work item is in flight at a time, and run() leaves the patch
 * alone while one is (the synth's control side is then the worker's): the worker and run() never touch
 * the same control state. State save may run beside run(): it reads the patch through a sequence lock
 * that run() never waits on. */
#include "control/midi.h"
#include "instrument/settings.h"
#include "neurorack.h"
#include "plugins/lv2_ports.h"

#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/midi/midi.h>
#include <lv2/options/options.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_CAP 4096
#define DEFAULT_MAX_BLOCK 4096
#define MAX_EVENTS 1024 /* events of one run() (the synth holds NR_SYNTH_MAX_PENDING at once) */
/* CV ports are sampled at most this often: the synth glides every CV over 1 ms anyway, and each event
 * splits the block it falls in. */
#define CV_EVENT_FRAMES 32
/* In source latent the worker decodes the point the latent1..4 CVs ask for this often (the module's
 * control thread polls every few ms too); a decode takes well under 1 ms. */
#define COLLECT_MS 5

enum { WORK_LOAD = 1, WORK_COLLECT = 2 };
typedef struct {
    int kind, ok;
} work_msg;

typedef struct {
    LV2_URID atom_path, atom_string, atom_sequence, atom_urid, atom_float, atom_int, midi_event, patch_set,
        patch_get, patch_property, patch_value, model, patch, bufsz_max, bufsz_nominal;
} uris;

/* What state save reads while run() may write it. */
typedef struct {
    nr_patch patch;
    char model[PATH_CAP]; /* "" = the bundle's default model */
} snapshot;

typedef struct {
    LV2_URID_Map *map;
    LV2_Worker_Schedule *sched;
    uris u;
    LV2_Atom_Forge forge;

    const LV2_Atom_Sequence *control;
    LV2_Atom_Sequence *notify;
    float *out, *latency;
    const float *port[NR_LV2_PORT_COUNT];

    nr_synth *synth;
    double rate;
    char bundle_model[PATH_CAP];

    /* run() side */
    nr_patch patch;
    nr_cv_cal cal[NR_NUM_CV];
    float last[NR_LV2_PORT_COUNT]; /* control values last applied (NaN: apply) */
    int patch_dirty;
    nr_midi_map midi;
    nr_midi_notes notes;
    float cv_sent[NR_NUM_CV];
    int64_t cv_sent_at[NR_NUM_CV];
    int gate_high[NR_NUM_GATES];
    int64_t frame; /* stream time: frames rendered */
    nr_synth_event ev[MAX_EVENTS];
    int nev, ev_next;
    uint32_t dropped;
    int notify_model;

    /* work: run() sets busy (and load_path for a load), schedules; the worker reads load_path; run() clears
     * busy in work_response. A load asked while busy waits in queued_path. */
    char model_path[PATH_CAP]; /* loaded ("" = default) */
    char load_path[PATH_CAP];
    char queued_path[PATH_CAP];
    int busy, load_queued;
    atomic_int has_latent; /* a latent curve model is set (written by instantiate, restore, the worker;
                              read by run()) */
    int64_t collect_at;   /* stream frame of the last decode request */

    /* state save's view */
    snapshot snap;
    atomic_uint snap_seq; /* odd while run() writes snap */
} nr_lv2;

static void snapshot_write(nr_lv2 *p)
{
    atomic_fetch_add_explicit(&p->snap_seq, 1, memory_order_acq_rel);
    p->snap.patch = p->patch;
    memcpy(p->snap.model, p->model_path, sizeof p->snap.model);
    atomic_fetch_add_explicit(&p->snap_seq, 1, memory_order_acq_rel);
}

static void snapshot_read(nr_lv2 *p, snapshot *out)
{
    for (;;) {
        unsigned a = atomic_load_explicit(&p->snap_seq, memory_order_acquire);
        if (a & 1) continue;
        memcpy(out, &p->snap, sizeof *out);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&p->snap_seq, memory_order_acquire) == a) return;
    }
}

static void map_uris(LV2_URID_Map *m, uris *u)
{
    u->atom_path = m->map(m->handle, LV2_ATOM__Path);
    u->atom_string = m->map(m->handle, LV2_ATOM__String);
    u->atom_sequence = m->map(m->handle, LV2_ATOM__Sequence);
    u->atom_urid = m->map(m->handle, LV2_ATOM__URID);
    u->atom_float = m->map(m->handle, LV2_ATOM__Float);
    u->atom_int = m->map(m->handle, LV2_ATOM__Int);
    u->midi_event = m->map(m->handle, LV2_MIDI__MidiEvent);
    u->patch_set = m->map(m->handle, LV2_PATCH__Set);
    u->patch_get = m->map(m->handle, LV2_PATCH__Get);
    u->patch_property = m->map(m->handle, LV2_PATCH__property);
    u->patch_value = m->map(m->handle, LV2_PATCH__value);
    u->model = m->map(m->handle, NR_LV2_MODEL_URI);
    u->patch = m->map(m->handle, NR_LV2_PATCH_URI);
    u->bufsz_max = m->map(m->handle, LV2_BUF_SIZE__maxBlockLength);
    u->bufsz_nominal = m->map(m->handle, LV2_BUF_SIZE__nominalBlockLength);
}

/* ---- instantiation ---- */

/* The latent curve model shipped beside the synthesis model at `model_path` (X.latent.safetensors), if
 * there is one: set on the synth (the previous one is kept when there is none). Control side only:
 * instantiate, restore, the worker. A broken file is reported and left out. */
static void load_latent_beside(nr_lv2 *p, const char *model_path)
{
    char path[PATH_CAP];
    if (!nr_latent_beside(model_path, path, sizeof path)) return;
    nr_latent *lm;
    nr_result r = nr_latent_open(path, &lm);
    if (r == NR_OK) r = nr_synth_set_latent(p->synth, lm); /* takes it over, even on failure */
    if (r != NR_OK) fprintf(stderr, "neurorack.lv2: latent model left out: %s\n", nr_last_error());
    atomic_store_explicit(&p->has_latent, nr_synth_latent(p->synth) != NULL, memory_order_relaxed);
}

static void cleanup(LV2_Handle h)
{
    nr_lv2 *p = h;
    nr_synth_uninit(p->synth);
    free(p);
}

static LV2_Handle instantiate(const LV2_Descriptor *d, double rate, const char *bundle,
                              const LV2_Feature *const *features)
{
    (void)d;
    LV2_URID_Map *map = NULL;
    LV2_Worker_Schedule *sched = NULL;
    const LV2_Options_Option *opts = NULL;
    for (int i = 0; features && features[i]; i++) {
        if (!strcmp(features[i]->URI, LV2_URID__map)) map = features[i]->data;
        else if (!strcmp(features[i]->URI, LV2_WORKER__schedule)) sched = features[i]->data;
        else if (!strcmp(features[i]->URI, LV2_OPTIONS__options)) opts = features[i]->data;
    }
    if (!map || !sched) {
        fprintf(stderr, "neurorack.lv2: the host gives no %s; cannot start\n", !map ? "urid:map" : "worker:schedule");
        return NULL;
    }
    nr_lv2 *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->map = map;
    p->sched = sched;
    p->rate = rate;
    map_uris(map, &p->u);
    lv2_atom_forge_init(&p->forge, map);
    int max_block = DEFAULT_MAX_BLOCK;
    for (int i = 0; opts && opts[i].key; i++)
        if ((opts[i].key == p->u.bufsz_max || opts[i].key == p->u.bufsz_nominal) && opts[i].type == p->u.atom_int &&
            opts[i].value) {
            int v = *(const int32_t *)opts[i].value;
            if (v > max_block) max_block = v;
        }

    /* the model: $NEURORACK_MODEL (as the program), else the copy in the bundle */
    const char *env = getenv("NEURORACK_MODEL");
    if (env && *env) snprintf(p->bundle_model, sizeof p->bundle_model, "%s", env);
    else snprintf(p->bundle_model, sizeof p->bundle_model, "%s%s%s", bundle,
                  bundle[0] && bundle[strlen(bundle) - 1] == '/' ? "" : "/", NR_LV2_DEFAULT_MODEL);
    nr_synth_config sc = nr_synth_config_init();
    sc.device_rate = (int)lround(rate);
    sc.max_block = max_block;
    sc.max_voices = NR_MAX_VOICES;
    sc.cpu_guard = 1;
    sc.seed = 1;
    if (nr_model_load(p->bundle_model, &sc.model) != NR_OK || nr_synth_init(&sc, &p->synth) != NR_OK) {
        fprintf(stderr, "neurorack.lv2: %s\n", nr_last_error());
        free(p);
        return NULL;
    }
    load_latent_beside(p, p->bundle_model);
    nr_patch_defaults(&p->patch);
    for (int i = 0; i < NR_NUM_CV; i++) nr_cv_cal_defaults(&p->cal[i]);
    for (int i = 0; i < NR_LV2_PORT_COUNT; i++) p->last[i] = NAN;
    p->midi = nr_midi_map_default();
    for (int i = 0; i < NR_NUM_CV; i++) p->cv_sent_at[i] = -CV_EVENT_FRAMES; /* a first change goes at once */
    p->patch_dirty = 1;
    snapshot_write(p);
    return p;
}

static void connect_port(LV2_Handle h, uint32_t port, void *data)
{
    nr_lv2 *p = h;
    if (port >= NR_LV2_PORT_COUNT) return;
    switch (port) {
    case NR_LV2_CONTROL: p->control = data; break;
    case NR_LV2_NOTIFY: p->notify = data; break;
    case NR_LV2_OUT: p->out = data; break;
    case NR_LV2_LATENCY: p->latency = data; break;
    default: p->port[port] = data; break;
    }
}

/* The MIDI-only plugin: its ports are the full plugin's without the CV and gate inputs, which stay
 * unconnected (NULL: read_ports skips them, the synth's CVs stay at 0 V). */
static void connect_port_midi(LV2_Handle h, uint32_t port, void *data)
{
    if (port >= NR_LV2_PORT_COUNT - NR_LV2_MIDI_SKIPPED) return;
    connect_port(h, nr_lv2_midi_port(port), data);
}

/* ---- run(): the audio thread ---- */

static float port_value(const nr_lv2 *p, int i, float def)
{
    const float *v = p->port[i];
    return v && !isnan(*v) ? *v : def;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Control ports -> the patch; publishes it when anything changed (nothing allocates). */
static void apply_controls(nr_lv2 *p)
{
    if (p->busy) return; /* the worker is the synth's control side now: the controls apply after it */
    nr_patch *pa = &p->patch;
    int changed = p->patch_dirty;
    for (int i = NR_LV2_NOTE_PITCH; i < NR_LV2_PORT_COUNT; i++) {
        float v = port_value(p, i, p->last[i]);
        if (isnan(v) || v == p->last[i]) continue;
        p->last[i] = v;
        changed = 1;
        if (i == NR_LV2_NOTE_PITCH) {
            p->midi.note_pitch = v > 0.5f;
        } else if (i == NR_LV2_TEMPLATE_A || i == NR_LV2_TEMPLATE_B) {
            int k = (int)lroundf(v) - 1; /* 0: the model's default */
            const char *name = k >= 0 ? nr_synth_template_name(p->synth, k) : NULL;
            char *dst = i == NR_LV2_TEMPLATE_A ? pa->template_a : pa->template_b;
            size_t len = name ? strlen(name) : 0;
            if (len >= NR_NAME_MAX) len = NR_NAME_MAX - 1;
            memcpy(dst, name ? name : "", len);
            dst[len] = '\0';
        } else if (i == NR_LV2_INTERP) pa->interp = v;
        else if (i == NR_LV2_STRETCH) pa->stretch = v;
        else if (i == NR_LV2_VARIATION) pa->variation = v;
        else if (i >= NR_LV2_OFFSET0 && i < NR_LV2_OFFSET0 + NR_NUM_DESC) pa->offset[i - NR_LV2_OFFSET0] = v;
        else if (i >= NR_LV2_CV_TARGET0 && i < NR_LV2_CV_TARGET0 + NR_NUM_CV) {
            nr_cv_assign *a = &pa->cv[i - NR_LV2_CV_TARGET0];
            int t = clampi((int)lroundf(v), 0, NR_CVT_COUNT - 1);
            if (t != a->target) nr_cv_assign_target(a, t); /* a new target takes its usual range */
        } else if (i == NR_LV2_VOICES) pa->voices = clampi((int)lroundf(v), 1, NR_MAX_VOICES);
        else if (i == NR_LV2_VOLUME) pa->volume_db = v;
        else if (i == NR_LV2_SOURCE) pa->source = clampi((int)lroundf(v), 0, NR_SOURCE_COUNT - 1);
    }
    if (!changed) return;
    p->patch_dirty = 0;
    nr_patch_clamp(pa);
    nr_synth_set_patch(p->synth, pa, p->cal);
    snapshot_write(p);
}

static void push_event(nr_lv2 *p, int type, int index, float value, int64_t time)
{
    if (p->nev == MAX_EVENTS) {
        p->dropped++;
        return;
    }
    p->ev[p->nev++] = (nr_synth_event){.type = type, .index = index, .value = value, .time = time};
}

static int next_event(void *ctx, nr_synth_event *ev)
{
    nr_lv2 *p = ctx;
    if (p->ev_next >= p->nev) return 0;
    *ev = p->ev[p->ev_next++];
    return 1;
}

static void schedule(nr_lv2 *p, int kind)
{
    p->busy = 1;
    if (p->sched->schedule_work(p->sched->handle, sizeof kind, &kind) != LV2_WORKER_SUCCESS) p->busy = 0;
}

static void schedule_load(nr_lv2 *p, const char *path)
{
    if (p->busy) { /* one work item at a time; the newest load request waits */
        snprintf(p->queued_path, sizeof p->queued_path, "%s", path);
        p->load_queued = 1;
        return;
    }
    snprintf(p->load_path, sizeof p->load_path, "%s", path);
    schedule(p, WORK_LOAD);
}

/* Source latent: the worker decodes the point the synth was asked for in this block (if it moved). */
static void schedule_collect(nr_lv2 *p)
{
    if (p->busy || !atomic_load_explicit(&p->has_latent, memory_order_relaxed) || p->patch.source != NR_SOURCE_LATENT)
        return;
    if (p->frame - p->collect_at < (int64_t)(p->rate * COLLECT_MS / 1000.0)) return;
    p->collect_at = p->frame;
    schedule(p, WORK_COLLECT);
}

static void read_control(nr_lv2 *p, int64_t t0)
{
    if (!p->control) return;
    LV2_ATOM_SEQUENCE_FOREACH (p->control, e) {
        int64_t t = t0 + e->time.frames;
        if (e->body.type == p->u.midi_event && e->body.size >= 1 && e->body.size <= 3) {
            const uint8_t *m = (const uint8_t *)(e + 1);
            nr_control_event ce[NR_MIDI_MAX_EVENTS];
            int n = nr_midi_translate(&p->midi, &p->notes, m[0], e->body.size > 1 ? m[1] : 0,
                                      e->body.size > 2 ? m[2] : 0, ce);
            for (int k = 0; k < n; k++) push_event(p, (int)ce[k].type, ce[k].index, ce[k].value, t);
        } else if (lv2_atom_forge_is_object_type(&p->forge, e->body.type)) {
            const LV2_Atom_Object *obj = (const LV2_Atom_Object *)&e->body;
            const LV2_Atom *prop = NULL, *value = NULL;
            lv2_atom_object_get(obj, p->u.patch_property, &prop, p->u.patch_value, &value, 0);
            int is_model = prop && prop->type == p->u.atom_urid && ((const LV2_Atom_URID *)prop)->body == p->u.model;
            if (obj->body.otype == p->u.patch_set && is_model && value && value->type == p->u.atom_path &&
                value->size > 1 && value->size < PATH_CAP)
                schedule_load(p, (const char *)(value + 1));
            else if (obj->body.otype == p->u.patch_get)
                p->notify_model = 1;
        }
    }
}

/* CV and gate ports -> events: a gate at each crossing of the threshold, a CV when it moved (at most
 * every CV_EVENT_FRAMES frames). */
static void read_ports(nr_lv2 *p, int n, int64_t t0)
{
    for (int i = 0; i < NR_NUM_CV; i++) {
        const float *x = p->port[NR_LV2_CV0 + i];
        if (!x) continue;
        for (int k = 0; k < n; k++)
            if (x[k] != p->cv_sent[i] && !isnan(x[k]) && t0 + k - p->cv_sent_at[i] >= CV_EVENT_FRAMES) {
                p->cv_sent[i] = x[k];
                p->cv_sent_at[i] = t0 + k;
                push_event(p, NR_SYNTH_CV, i, x[k], t0 + k);
            }
    }
    for (int g = 0; g < NR_NUM_GATES; g++) {
        const float *x = p->port[NR_LV2_GATE0 + g];
        if (!x) continue;
        for (int k = 0; k < n; k++) {
            int high = x[k] > NR_LV2_GATE_THRESHOLD;
            if (high == p->gate_high[g]) continue;
            p->gate_high[g] = high;
            push_event(p, NR_SYNTH_GATE, g, high ? 1.0f : 0.0f, t0 + k);
        }
    }
}

static void write_notify(nr_lv2 *p)
{
    if (!p->notify) return;
    uint32_t cap = p->notify->atom.size;
    lv2_atom_forge_set_buffer(&p->forge, (uint8_t *)p->notify, cap);
    LV2_Atom_Forge_Frame seq;
    if (!lv2_atom_forge_sequence_head(&p->forge, &seq, 0)) return;
    if (p->notify_model) {
        const char *path = p->model_path[0] ? p->model_path : p->bundle_model;
        LV2_Atom_Forge_Frame obj;
        if (lv2_atom_forge_frame_time(&p->forge, 0) &&
            lv2_atom_forge_object(&p->forge, &obj, 0, p->u.patch_set)) {
            lv2_atom_forge_key(&p->forge, p->u.patch_property);
            lv2_atom_forge_urid(&p->forge, p->u.model);
            lv2_atom_forge_key(&p->forge, p->u.patch_value);
            lv2_atom_forge_path(&p->forge, path, (uint32_t)strlen(path));
            lv2_atom_forge_pop(&p->forge, &obj);
            p->notify_model = 0;
        }
    }
    lv2_atom_forge_pop(&p->forge, &seq);
}

static void run(LV2_Handle h, uint32_t n_frames)
{
    nr_lv2 *p = h;
    int n = (int)n_frames;
    if (!p->out) return;
    nr_synth_set_cpu_guard(p->synth, port_value(p, NR_LV2_FREEWHEEL, 0.0f) < 0.5f);
    apply_controls(p);
    p->nev = p->ev_next = 0;
    read_control(p, p->frame);
    read_ports(p, n, p->frame);
    nr_synth_events src = {p, next_event};
    nr_synth_process(p->synth, &src, p->out, n);
    p->dropped += (uint32_t)(p->nev - p->ev_next); /* beyond what the synth can hold at once */
    if (p->latency) *p->latency = (float)nr_synth_latency_frames(p->synth);
    write_notify(p);
    p->frame += n;
    schedule_collect(p);
}

/* ---- worker: model loading and latent decoding, off the audio thread ---- */

static LV2_Worker_Status work(LV2_Handle h, LV2_Worker_Respond_Function respond, LV2_Worker_Respond_Handle rh,
                              uint32_t size, const void *data)
{
    nr_lv2 *p = h;
    work_msg msg = {size == sizeof(int) ? *(const int *)data : 0, 0};
    /* the model the audio thread let go of at the last swap; in source latent, the point's decode */
    nr_synth_collect(p->synth);
    if (msg.kind == WORK_LOAD) {
        nr_model *m = NULL;
        msg.ok = nr_model_load(p->load_path, &m) == NR_OK && nr_synth_model_stage(p->synth, m) == NR_OK;
        if (!msg.ok) fprintf(stderr, "neurorack.lv2: model %s not loaded: %s\n", p->load_path, nr_last_error());
        else load_latent_beside(p, p->load_path);
    } else {
        msg.ok = msg.kind == WORK_COLLECT;
    }
    return respond(rh, sizeof msg, &msg);
}

static LV2_Worker_Status work_response(LV2_Handle h, uint32_t size, const void *data)
{
    nr_lv2 *p = h;
    work_msg msg = {0, 0};
    if (size == sizeof msg) memcpy(&msg, data, sizeof msg);
    p->busy = 0;
    if (msg.kind != WORK_LOAD) {
        if (p->load_queued) { /* a load asked while the decode ran */
            p->load_queued = 0;
            schedule_load(p, p->queued_path);
        }
        return LV2_WORKER_SUCCESS;
    }
    if (msg.ok) {
        nr_synth_model_commit(p->synth); /* publishes the patch against the new templates */
        memcpy(p->model_path, p->load_path, sizeof p->model_path);
        p->last[NR_LV2_TEMPLATE_A] = p->last[NR_LV2_TEMPLATE_B] = NAN; /* the indices name its templates */
        p->patch_dirty = 1;
        snapshot_write(p);
    }
    p->notify_model = 1;
    if (p->load_queued) {
        p->load_queued = 0;
        schedule_load(p, p->queued_path);
    }
    return LV2_WORKER_SUCCESS;
}

/* ---- state: the whole patch (a settings file's text) and the model's path ---- */

static const void *feature(const LV2_Feature *const *f, const char *uri)
{
    for (int i = 0; f && f[i]; i++)
        if (!strcmp(f[i]->URI, uri)) return f[i]->data;
    return NULL;
}

static LV2_State_Status save(LV2_Handle h, LV2_State_Store_Function store, LV2_State_Handle sh, uint32_t flags,
                             const LV2_Feature *const *features)
{
    nr_lv2 *p = h;
    (void)flags;
    snapshot *snap = malloc(sizeof *snap);
    if (!snap) return LV2_STATE_ERR_UNKNOWN;
    snapshot_read(p, snap);
    nr_settings s;
    nr_settings_defaults(&s);
    s.patch = snap->patch;
    memcpy(s.cal, p->cal, sizeof s.cal);
    char *text = NULL;
    size_t len = 0;
    LV2_State_Status st = LV2_STATE_SUCCESS;
    if (nr_settings_serialize(&s, &text, &len) != NR_OK) st = LV2_STATE_ERR_UNKNOWN;
    else st = store(sh, p->u.patch, text, len + 1, p->u.atom_string, LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
    free(text);
    if (st == LV2_STATE_SUCCESS && snap->model[0]) {
        const LV2_State_Map_Path *mp = feature(features, LV2_STATE__mapPath);
        const LV2_State_Free_Path *fp = feature(features, LV2_STATE__freePath);
        char *apath = mp ? mp->abstract_path(mp->handle, snap->model) : NULL;
        const char *path = apath ? apath : snap->model;
        st = store(sh, p->u.model, path, strlen(path) + 1, p->u.atom_path, LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
        if (apath) {
            if (fp) fp->free_path(fp->handle, apath);
            else free(apath);
        }
    }
    free(snap);
    return st;
}

/* Instantiation class: run() is not running, so the model is loaded and swapped in here. */
static LV2_State_Status restore(LV2_Handle h, LV2_State_Retrieve_Function retrieve, LV2_State_Handle sh,
                                uint32_t flags, const LV2_Feature *const *features)
{
    nr_lv2 *p = h;
    (void)flags;
    size_t size;
    uint32_t type, vflags;
    const void *v = retrieve(sh, p->u.patch, &size, &type, &vflags);
    if (v && type == p->u.atom_string) {
        nr_settings s;
        if (nr_settings_parse(v, strnlen(v, size), "neurorack.lv2 state", &s) != NR_OK) {
            fprintf(stderr, "neurorack.lv2: %s\n", nr_last_error());
            return LV2_STATE_ERR_UNKNOWN;
        }
        p->patch = s.patch;
        memcpy(p->cal, s.cal, sizeof p->cal);
        p->patch_dirty = 1;
    }
    const char *want = "";
    char *abs = NULL;
    v = retrieve(sh, p->u.model, &size, &type, &vflags);
    if (v && type == p->u.atom_path && size > 1) {
        const LV2_State_Map_Path *mp = feature(features, LV2_STATE__mapPath);
        abs = mp ? mp->absolute_path(mp->handle, v) : NULL;
        want = abs ? abs : v;
    }
    LV2_State_Status st = LV2_STATE_SUCCESS;
    if (strcmp(want, p->model_path) != 0) {
        const char *path = want[0] ? want : p->bundle_model;
        nr_synth_collect(p->synth);
        nr_model *m = NULL;
        if (strlen(want) >= PATH_CAP || nr_model_load(path, &m) != NR_OK || nr_synth_model_stage(p->synth, m) != NR_OK) {
            fprintf(stderr, "neurorack.lv2: model %s not restored: %s\n", path, nr_last_error());
            st = LV2_STATE_ERR_UNKNOWN;
        } else {
            nr_synth_model_commit(p->synth);
            snprintf(p->model_path, sizeof p->model_path, "%s", want);
            p->notify_model = 1;
            load_latent_beside(p, path);
        }
    }
    const LV2_State_Free_Path *fp = feature(features, LV2_STATE__freePath);
    if (abs) {
        if (fp) fp->free_path(fp->handle, abs);
        else free(abs);
    }
    /* the template ports are indices into the (maybe new) model's list: resolve them again */
    p->last[NR_LV2_TEMPLATE_A] = p->last[NR_LV2_TEMPLATE_B] = NAN;
    for (int i = 0; i < NR_NUM_CV; i++) p->last[NR_LV2_CV_TARGET0 + i] = NAN;
    snapshot_write(p);
    return st;
}

static const void *extension_data(const char *uri)
{
    static const LV2_Worker_Interface worker = {work, work_response, NULL};
    static const LV2_State_Interface state = {save, restore};
    if (!strcmp(uri, LV2_WORKER__interface)) return &worker;
    if (!strcmp(uri, LV2_STATE__interface)) return &state;
    return NULL;
}

static const LV2_Descriptor descriptor = {NR_LV2_URI, instantiate, connect_port, NULL, run, NULL, cleanup,
                                          extension_data};

static const LV2_Descriptor descriptor_midi = {NR_LV2_MIDI_URI, instantiate, connect_port_midi, NULL, run, NULL,
                                               cleanup, extension_data};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
    return index == 0 ? &descriptor : index == 1 ? &descriptor_midi : NULL;
}
