/* neurorack.lv2 in a small host made with liblilv: the bundle built beside this program (BUILD/neurorack.lv2)
 * loaded by its URI, MIDI notes and CV blocks fed in 64-frame blocks, and checked: sound starts at the
 * note's frame; the output equals the file sink's render of the same performance written as a control
 * script (`neurorack play --audio file:...`); state saved and restored renders the same; two instances run
 * side by side; run() allocates and locks nothing (interposed malloc family and mutexes; not under ASan,
 * whose allocator conflicts); lv2_validate accepts the bundle. Prints instantiate-to-ready time and run()
 * time at 64-frame blocks with 8 voices (measurements, not thresholds). */
#include "instrument/settings.h"
#include "neurorack.h"
#include "nr_test.h"
#include "plugins/lv2_ports.h"

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/midi/midi.h>
#include <lv2/options/options.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include <dlfcn.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define NR_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NR_UNDER_ASAN 1
#endif
#endif

/* ---- the interposer (as tests/test_alloc_callback.c): calls made while t_in_run is set ---- */
static _Thread_local int t_in_run;
static atomic_uint g_allocs, g_locks;
#ifndef NR_UNDER_ASAN
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t k, size_t n);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *__libc_memalign(size_t align, size_t n);
#define COUNT() do { if (t_in_run) atomic_fetch_add_explicit(&g_allocs, 1, memory_order_relaxed); } while (0)
void *malloc(size_t n) { COUNT(); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { COUNT(); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { COUNT(); return __libc_realloc(p, n); }
void free(void *p) { if (p) COUNT(); __libc_free(p); }
void *aligned_alloc(size_t align, size_t n) { COUNT(); return __libc_memalign(align, n); }
void *memalign(size_t align, size_t n) { COUNT(); return __libc_memalign(align, n); }
int posix_memalign(void **out, size_t align, size_t n)
{
    COUNT();
    void *p = __libc_memalign(align, n);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}
static int (*real_mutex_lock)(pthread_mutex_t *);
int pthread_mutex_lock(pthread_mutex_t *m)
{
    if (t_in_run) atomic_fetch_add_explicit(&g_locks, 1, memory_order_relaxed);
    if (!real_mutex_lock) real_mutex_lock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
    return real_mutex_lock(m);
}
#endif

#define RATE 48000
#define BLOCK 64
#define MAX_URIS 256
#define ATOM_CAP 8192

static char g_build[1024], g_bundle[1100], g_bin[1100];

/* ---- URID map ---- */
static char *g_uris[MAX_URIS];
static int g_nuris;
static pthread_mutex_t g_uri_lock = PTHREAD_MUTEX_INITIALIZER;

static LV2_URID map_uri(LV2_URID_Map_Handle h, const char *uri)
{
    (void)h;
    pthread_mutex_lock(&g_uri_lock);
    LV2_URID id = 0;
    for (int i = 0; i < g_nuris && !id; i++)
        if (!strcmp(g_uris[i], uri)) id = (LV2_URID)i + 1;
    if (!id && g_nuris < MAX_URIS) {
        g_uris[g_nuris++] = strdup(uri);
        id = (LV2_URID)g_nuris;
    }
    pthread_mutex_unlock(&g_uri_lock);
    return id;
}

static const char *unmap_uri(LV2_URID_Unmap_Handle h, LV2_URID id)
{
    (void)h;
    return id >= 1 && (int)id <= g_nuris ? g_uris[id - 1] : NULL;
}

static LV2_URID_Map g_map = {NULL, map_uri};
static LV2_URID_Unmap g_unmap = {NULL, unmap_uri};

/* ---- one hosted instance ---- */
typedef struct {
    LilvInstance *inst;
    const LV2_Worker_Interface *worker;
    float ctl[NR_LV2_PORT_COUNT];
    float cv[NR_NUM_CV + NR_NUM_GATES][BLOCK];
    float out[BLOCK];
    float latency;
    _Alignas(8) uint8_t control[ATOM_CAP], notify[ATOM_CAP];
    /* work scheduled in run() is done after run() returns, outside the audio callback (as a host's worker
     * thread does it), and its responses are delivered right after */
    uint8_t req[4][16];
    uint32_t req_size[4];
    int nreq;
    uint8_t resp[4][64];
    uint32_t resp_size[4];
    int nresp;
    LV2_Worker_Schedule sched;
    LV2_Feature f_map, f_unmap, f_sched, f_opts;
    const LV2_Feature *features[5];
    LV2_Options_Option opts[3];
    int32_t max_block;
} host;

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle h, uint32_t size, const void *data)
{
    host *H = h;
    if (H->nresp == 4 || size > sizeof H->resp[0]) return LV2_WORKER_ERR_NO_SPACE;
    memcpy(H->resp[H->nresp], data, size);
    H->resp_size[H->nresp++] = size;
    return LV2_WORKER_SUCCESS;
}

static LV2_Worker_Status schedule(LV2_Worker_Schedule_Handle h, uint32_t size, const void *data)
{
    host *H = h;
    if (H->nreq == 4 || size > sizeof H->req[0]) return LV2_WORKER_ERR_NO_SPACE;
    memcpy(H->req[H->nreq], data, size);
    H->req_size[H->nreq++] = size;
    return LV2_WORKER_SUCCESS;
}

static LilvWorld *g_world;
static const LilvPlugin *g_plugin, *g_plugin_midi;

static int load_world(void)
{
    if (g_plugin) return 1;
    g_world = lilv_world_new();
    LilvNode *b = lilv_new_file_uri(g_world, NULL, g_bundle);
    lilv_world_load_bundle(g_world, b);
    lilv_node_free(b);
    LilvNode *uri = lilv_new_uri(g_world, NR_LV2_URI);
    g_plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(g_world), uri);
    lilv_node_free(uri);
    uri = lilv_new_uri(g_world, NR_LV2_MIDI_URI);
    g_plugin_midi = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(g_world), uri);
    lilv_node_free(uri);
    return g_plugin != NULL;
}

static void host_sequence_clear(host *H)
{
    LV2_Atom_Sequence *s = (LV2_Atom_Sequence *)H->control;
    s->atom.type = map_uri(NULL, LV2_ATOM__Sequence);
    s->atom.size = sizeof(LV2_Atom_Sequence_Body);
    s->body.unit = s->body.pad = 0;
}

/* Append one event (body: type + bytes) at a frame of this block. */
static void host_event(host *H, int frame, LV2_URID type, const void *body, uint32_t size)
{
    LV2_Atom_Sequence *s = (LV2_Atom_Sequence *)H->control;
    uint8_t *at = H->control + sizeof(LV2_Atom) + lv2_atom_pad_size(s->atom.size); /* the sequence's end */
    if (at + sizeof(LV2_Atom_Event) + size > H->control + ATOM_CAP) return;
    LV2_Atom_Event e = {.time.frames = frame, .body = {size, type}};
    memcpy(at, &e, sizeof e);
    memcpy(at + sizeof e, body, size);
    s->atom.size += (uint32_t)lv2_atom_pad_size(sizeof(LV2_Atom_Event) + size);
}

static void host_midi(host *H, int frame, int b0, int b1, int b2)
{
    uint8_t m[3] = {(uint8_t)b0, (uint8_t)b1, (uint8_t)b2};
    host_event(H, frame, map_uri(NULL, LV2_MIDI__MidiEvent), m, 3);
}

static host *host_new_of(const LilvPlugin *pl, int midi_only)
{
    host *H = calloc(1, sizeof *H);
    H->max_block = 4096;
    H->sched = (LV2_Worker_Schedule){H, schedule};
    H->f_map = (LV2_Feature){LV2_URID__map, &g_map};
    H->f_unmap = (LV2_Feature){LV2_URID__unmap, &g_unmap};
    H->f_sched = (LV2_Feature){LV2_WORKER__schedule, &H->sched};
    H->opts[0] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, map_uri(NULL, LV2_BUF_SIZE__maxBlockLength),
                                      sizeof(int32_t), map_uri(NULL, LV2_ATOM__Int), &H->max_block};
    H->f_opts = (LV2_Feature){LV2_OPTIONS__options, H->opts};
    H->features[0] = &H->f_map, H->features[1] = &H->f_unmap, H->features[2] = &H->f_sched;
    H->features[3] = &H->f_opts, H->features[4] = NULL;
    H->inst = lilv_plugin_instantiate(pl, RATE, H->features);
    if (!H->inst) {
        free(H);
        return NULL;
    }
    H->worker = lilv_instance_get_extension_data(H->inst, LV2_WORKER__interface);
    /* every control at the default the Turtle gives */
    uint32_t np = lilv_plugin_get_num_ports(pl);
    float *def = calloc(np, sizeof(float));
    lilv_plugin_get_port_ranges_float(pl, NULL, NULL, def);
    for (uint32_t i = 0; i < np && i < NR_LV2_PORT_COUNT; i++) {
        uint32_t full = midi_only ? nr_lv2_midi_port(i) : i;
        H->ctl[full] = isnan(def[i]) ? 0.0f : def[i];
    }
    free(def);
    H->ctl[NR_LV2_FREEWHEEL] = 1.0f; /* an offline render: no voice shed for time */
    for (uint32_t i = 0; i < NR_LV2_PORT_COUNT; i++) {
        void *buf = &H->ctl[i];
        if (i == NR_LV2_CONTROL) buf = H->control;
        else if (i == NR_LV2_NOTIFY) buf = H->notify;
        else if (i == NR_LV2_OUT) buf = H->out;
        else if (i == NR_LV2_LATENCY) buf = &H->latency;
        else if (i >= NR_LV2_CV0 && i < NR_LV2_CV0 + NR_NUM_CV + NR_NUM_GATES) {
            if (midi_only) continue; /* the MIDI-only plugin has no such port */
            buf = H->cv[i - NR_LV2_CV0];
        }
        lilv_instance_connect_port(H->inst, midi_only ? (uint32_t)nr_lv2_midi_index((int)i) : i, buf);
    }
    host_sequence_clear(H);
    lilv_instance_activate(H->inst);
    return H;
}

static host *host_new(void) { return host_new_of(g_plugin, 0); }

static void host_free(host *H)
{
    if (!H) return;
    lilv_instance_deactivate(H->inst);
    lilv_instance_free(H->inst);
    free(H);
}

/* One block: run(), then the work it scheduled and the responses (as a host does after run), then a fresh
 * input sequence. */
static void host_run(host *H)
{
    LV2_Atom_Sequence *n = (LV2_Atom_Sequence *)H->notify;
    n->atom.type = 0;
    n->atom.size = ATOM_CAP - sizeof(LV2_Atom);
    t_in_run = 1;
    lilv_instance_run(H->inst, BLOCK);
    t_in_run = 0;
    for (int i = 0; i < H->nreq; i++)
        H->worker->work(lilv_instance_get_handle(H->inst), respond, H, H->req_size[i], H->req[i]);
    H->nreq = 0;
    for (int i = 0; i < H->nresp; i++)
        H->worker->work_response(lilv_instance_get_handle(H->inst), H->resp_size[i], H->resp[i]);
    H->nresp = 0;
    host_sequence_clear(H);
}

/* ---- the performance: as LV2 input, and as a control script ---- */
#define PERF_FRAMES (RATE * 6 / 5)

static float cc_volts(int v) { return (float)v * (10.0f / 127.0f) - 5.0f; } /* the MIDI map's */

/* Feed block b's part of the performance into H. */
static void perf_block(host *H, long b)
{
    long t0 = b * BLOCK;
    for (int k = 0; k < BLOCK; k++) {
        long t = t0 + k;
        H->cv[0][k] = t >= 9600 ? 2.5f : 0.0f;                 /* CV 1: a step at 0.2 s */
        H->cv[2][k] = t >= 12000 ? -1.25f : 0.0f;              /* CV 3 (pitch): 0.25 s */
        H->cv[NR_NUM_CV + 1][k] = t >= 28800 && t < 33600 ? 5.0f : 0.0f; /* gate 2: 0.6 .. 0.7 s */
    }
    static const struct {
        long t;
        int b0, b1, b2;
    } midi[] = {{4800, 0x90, 64, 100}, {14400, 0x80, 64, 0}, {19200, 0xB0, 21, 127},
                {24000, 0x90, 55, 80}, {26400, 0x90, 67, 127}, {36000, 0x80, 55, 0}, {38400, 0x80, 67, 0}};
    for (size_t i = 0; i < sizeof midi / sizeof midi[0]; i++)
        if (midi[i].t >= t0 && midi[i].t < t0 + BLOCK) host_midi(H, (int)(midi[i].t - t0), midi[i].b0, midi[i].b1, midi[i].b2);
}

static void perf_script(const char *path)
{
    FILE *f = fopen(path, "w");
    fprintf(f, "0.1 note 1 64 100\n0.2 cv 1 2.5\n0.25 cv 3 -1.25\n0.3 note 1 64 0\n0.4 cv 2 %.9g\n"
               "0.5 note 1 55 80\n0.55 note 1 67 127\n0.6 gate 2 1\n0.7 gate 2 0\n"
               "0.8 note 1 67 0\nend %.9g\n", (double)cc_volts(127), (double)PERF_FRAMES / RATE);
    /* 0.75 s: note off 55 does nothing (67 holds the gate); 0.8 s: note off 67 lowers it */
    fclose(f);
}

/* The performance through H; without_cv: its MIDI part alone (CV and gate ports held at 0 V). */
static float *render_perf_part(host *H, int without_cv)
{
    float *y = calloc(PERF_FRAMES, sizeof(float));
    for (long b = 0; b * BLOCK < PERF_FRAMES; b++) {
        perf_block(H, b);
        if (without_cv) memset(H->cv, 0, sizeof H->cv);
        host_run(H);
        memcpy(y + b * BLOCK, H->out, BLOCK * sizeof(float));
    }
    return y;
}

static float *render_perf(host *H) { return render_perf_part(H, 0); }

static float *file_sink_render(void)
{
    char script[1200], wav[1200], cmd[4000];
    snprintf(script, sizeof script, "%s", nt_tmp("perf.txt"));
    snprintf(wav, sizeof wav, "%s", nt_tmp("perf.wav"));
    perf_script(script);
    snprintf(cmd, sizeof cmd, "NEURORACK_MODEL=models/default.safetensors '%s' play --audio file:'%s' --script '%s' "
                              "--period %d --rate %d --settings '%s' --headless >/dev/null 2>&1",
             g_bin, wav, script, BLOCK, RATE, nt_tmp("none/settings.nrs"));
    if (system(cmd) != 0) return nt_fail_at(__FILE__, __LINE__, "%s failed", cmd), NULL;
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(wav, SFM_READ, &info);
    if (!sf) return nt_fail_at(__FILE__, __LINE__, "%s: %s", wav, sf_strerror(NULL)), NULL;
    float *y = calloc(PERF_FRAMES, sizeof(float));
    sf_count_t got = sf_readf_float(sf, y, PERF_FRAMES);
    sf_close(sf);
    NT_CHECKF(got == PERF_FRAMES && info.samplerate == RATE, "%s: %lld frames at %d Hz", wav, (long long)got,
              info.samplerate);
    return y;
}

static float max_diff(const float *a, const float *b, long n, float *peak)
{
    float d = 0.0f, pk = 0.0f;
    for (long i = 0; i < n; i++) {
        d = fmaxf(d, fabsf(a[i] - b[i]));
        pk = fmaxf(pk, fabsf(a[i]));
    }
    if (peak) *peak = pk;
    return d;
}

static float *g_lv2_render; /* the performance through one instance, for the later tests */
static double g_cold_ready_ms = -1; /* the first instance of the process: instantiate + first block */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_note_onset(void)
{
    if (!load_world()) return nt_fail_at(__FILE__, __LINE__, "%s: no plugin %s", g_bundle, NR_LV2_URI);
    double t0 = now_ms();
    host *H = host_new();
    if (!H) return nt_fail_at(__FILE__, __LINE__, "instantiate failed");
    host_run(H);
    g_cold_ready_ms = now_ms() - t0;
    const long at = 1000; /* inside block 15, not on its edge (block 0 ran silent above) */
    long first = -1;
    for (long b = 1; b < 40; b++) {
        if (b == at / BLOCK) host_midi(H, (int)(at % BLOCK), 0x90, 60, 127);
        host_run(H);
        for (int k = 0; k < BLOCK && first < 0; k++)
            if (H->out[k] != 0.0f) first = b * BLOCK + k;
    }
    NT_CHECKF(first == at, "first sound at frame %ld, the note at %ld", first, at);
    NT_CHECKF(H->latency == 0.0f, "latency %g frames with the model at the host's rate", (double)H->latency);
    host_free(H);
}

static void test_matches_file_sink(void)
{
    if (!load_world()) return nt_fail_at(__FILE__, __LINE__, "no plugin");
    host *H = host_new();
    if (!H) return nt_fail_at(__FILE__, __LINE__, "instantiate failed");
    g_lv2_render = render_perf(H);
    host_free(H);
    float *ref = file_sink_render();
    if (!ref) return;
    float peak;
    float d = max_diff(ref, g_lv2_render, PERF_FRAMES, &peak);
    NT_CHECKF(peak > 1e-2f, "the file sink's render is silent (peak %g)", (double)peak);
    NT_CHECKF(d <= 1e-6f, "plugin and file sink differ by %g (peak %g)", (double)d, (double)peak);
    printf("  plugin vs file sink over %d frames: max difference %.3g, peak %.3f\n", PERF_FRAMES, (double)d,
           (double)peak);
    free(ref);
}

static void test_two_instances(void)
{
    if (!g_lv2_render) return nt_fail_at(__FILE__, __LINE__, "no single-instance render to compare");
    host *A = host_new(), *B = host_new();
    if (!A || !B) return nt_fail_at(__FILE__, __LINE__, "instantiate failed");
    float *ya = calloc(PERF_FRAMES, sizeof(float)), *yb = calloc(PERF_FRAMES, sizeof(float));
    for (long b = 0; b * BLOCK < PERF_FRAMES; b++) { /* interleaved, block by block */
        perf_block(A, b);
        host_run(A);
        perf_block(B, b);
        host_run(B);
        memcpy(ya + b * BLOCK, A->out, sizeof A->out);
        memcpy(yb + b * BLOCK, B->out, sizeof B->out);
    }
    NT_CHECKF(max_diff(ya, g_lv2_render, PERF_FRAMES, NULL) == 0.0f, "instance A differs from a lone instance");
    NT_CHECKF(max_diff(yb, g_lv2_render, PERF_FRAMES, NULL) == 0.0f, "instance B differs from a lone instance");
    free(ya), free(yb);
    host_free(A), host_free(B);
}

/* The MIDI-only plugin (for hosts that refuse CV ports): no lv2:CVPort, the full plugin's other ports under
 * the same symbols, and the same sound as the full plugin played by the same MIDI with its CVs at 0 V. */
static void test_midi_only_plugin(void)
{
    if (!load_world() || !g_plugin_midi) return nt_fail_at(__FILE__, __LINE__, "%s: no plugin %s", g_bundle, NR_LV2_MIDI_URI);
    uint32_t np = lilv_plugin_get_num_ports(g_plugin_midi);
    NT_CHECKF(np == NR_LV2_PORT_COUNT - NR_LV2_MIDI_SKIPPED, "%u ports, want %d", np, NR_LV2_PORT_COUNT - NR_LV2_MIDI_SKIPPED);
    LilvNode *cv = lilv_new_uri(g_world, LV2_CORE__CVPort);
    for (uint32_t i = 0; i < np; i++) {
        const LilvPort *pm = lilv_plugin_get_port_by_index(g_plugin_midi, i);
        const LilvPort *pf = lilv_plugin_get_port_by_index(g_plugin, nr_lv2_midi_port(i));
        NT_CHECKF(!lilv_port_is_a(g_plugin_midi, pm, cv), "port %u of the MIDI-only plugin is a CV port", i);
        const char *a = lilv_node_as_string(lilv_port_get_symbol(g_plugin_midi, pm));
        const char *b = lilv_node_as_string(lilv_port_get_symbol(g_plugin, pf));
        NT_CHECKF(strcmp(a, b) == 0, "port %u is '%s', the full plugin's port %u '%s'", i, a, nr_lv2_midi_port(i), b);
    }
    lilv_node_free(cv);
    host *M = host_new_of(g_plugin_midi, 1), *F = host_new();
    if (!M || !F) {
        host_free(M), host_free(F);
        return nt_fail_at(__FILE__, __LINE__, "instantiate failed");
    }
    float *ym = render_perf(M), *yf = render_perf_part(F, 1);
    float peak;
    float d = max_diff(yf, ym, PERF_FRAMES, &peak);
    NT_CHECKF(peak > 1e-2f, "the MIDI performance is silent (peak %g)", (double)peak);
    NT_CHECKF(d == 0.0f, "MIDI-only and full plugin differ by %g (peak %g)", (double)d, (double)peak);
    free(ym), free(yf);
    host_free(M), host_free(F);
}

/* lilv's state callbacks: port values in and out */
static const void *get_value(const char *sym, void *ud, uint32_t *size, uint32_t *type)
{
    host *H = ud;
    const LilvNode *s;
    for (uint32_t i = 0; i < NR_LV2_PORT_COUNT; i++) {
        const LilvPort *p = lilv_plugin_get_port_by_index(g_plugin, i);
        s = lilv_port_get_symbol(g_plugin, p);
        if (!strcmp(lilv_node_as_string(s), sym) && i >= NR_LV2_FREEWHEEL + 1 + NR_NUM_CV + NR_NUM_GATES) {
            *size = sizeof(float);
            *type = map_uri(NULL, LV2_ATOM__Float);
            return &H->ctl[i];
        }
    }
    *size = *type = 0;
    return NULL;
}

static void set_value(const char *sym, void *ud, const void *value, uint32_t size, uint32_t type)
{
    host *H = ud;
    if (size != sizeof(float) || type != map_uri(NULL, LV2_ATOM__Float)) return;
    for (uint32_t i = 0; i < NR_LV2_PORT_COUNT; i++) {
        const LilvPort *p = lilv_plugin_get_port_by_index(g_plugin, i);
        if (!strcmp(lilv_node_as_string(lilv_port_get_symbol(g_plugin, p)), sym)) H->ctl[i] = *(const float *)value;
    }
}

/* Send patch:Set of the model path through the control port. */
static void host_set_model(host *H, const char *path)
{
    uint8_t buf[2048];
    LV2_Atom_Object_Body *obj = (LV2_Atom_Object_Body *)buf;
    obj->id = 0;
    obj->otype = map_uri(NULL, LV2_PATCH__Set);
    uint8_t *q = buf + sizeof *obj;
    LV2_Atom_Property_Body *pp = (LV2_Atom_Property_Body *)q;
    pp->key = map_uri(NULL, LV2_PATCH__property);
    pp->context = 0;
    pp->value.type = map_uri(NULL, LV2_ATOM__URID);
    pp->value.size = sizeof(LV2_URID);
    *(LV2_URID *)(pp + 1) = map_uri(NULL, NR_LV2_MODEL_URI);
    q += lv2_atom_pad_size(sizeof *pp + sizeof(LV2_URID));
    pp = (LV2_Atom_Property_Body *)q;
    pp->key = map_uri(NULL, LV2_PATCH__value);
    pp->context = 0;
    pp->value.type = map_uri(NULL, LV2_ATOM__Path);
    pp->value.size = (uint32_t)strlen(path) + 1;
    memcpy(pp + 1, path, strlen(path) + 1);
    q += lv2_atom_pad_size(sizeof *pp + strlen(path) + 1);
    host_event(H, 0, map_uri(NULL, LV2_ATOM__Object), buf, (uint32_t)(q - buf));
}

static void test_state_roundtrip(void)
{
    if (!load_world()) return nt_fail_at(__FILE__, __LINE__, "no plugin");
    host *A = host_new(), *B = host_new();
    if (!A || !B) return nt_fail_at(__FILE__, __LINE__, "instantiate failed");
    /* A: a model loaded from another path (through the worker), template 3, stretch, offsets, CV 2 on level */
    char model[1200], cmd[2600];
    snprintf(model, sizeof model, "%s", nt_tmp("other-model.safetensors"));
    snprintf(cmd, sizeof cmd, "cp models/default.safetensors '%s'", model);
    NT_CHECK(system(cmd) == 0);
    host_set_model(A, model);
    A->ctl[NR_LV2_TEMPLATE_A] = 3;
    A->ctl[NR_LV2_STRETCH] = 0.5f;
    A->ctl[NR_LV2_OFFSET0 + 5] = 1.0f;
    A->ctl[NR_LV2_CV_TARGET0 + 1] = NR_CVT_LEVEL;
    A->ctl[NR_LV2_NOTE_PITCH] = 0;
    host_run(A); /* the worker loads the model; its response commits it */
    host_run(A); /* the audio side takes it */
    LilvState *st = lilv_state_new_from_instance(g_plugin, A->inst, &g_map, NULL, NULL, NULL, NULL, get_value, A,
                                                 LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, A->features);
    NT_CHECK(st != NULL);
    if (!st) return;
    char *ttl = lilv_state_to_string(g_world, &g_map, &g_unmap, st, "urn:neurorack:test:state", NULL);
    NT_CHECKF(ttl && strstr(ttl, "other-model.safetensors") && strstr(ttl, NR_LV2_PATCH_URI),
              "the state lacks the model path or the patch:\n%s", ttl ? ttl : "(none)");
    lilv_free(ttl);
    lilv_state_restore(st, B->inst, set_value, B, 0, B->features);
    host_run(B);
    /* the restored model announces itself on the notify port (patch:Set of its path) */
    NT_CHECKF(memmem(B->notify, ATOM_CAP, "other-model.safetensors", 23) != NULL,
              "the restored instance did not load the saved model");
    host_run(B);
    NT_CHECK(B->ctl[NR_LV2_TEMPLATE_A] == 3 && B->ctl[NR_LV2_STRETCH] == 0.5f);
    /* the same performance through both, from here on */
    float *ya = render_perf(A), *yb = render_perf(B);
    float peak, d = max_diff(ya, yb, PERF_FRAMES, &peak);
    NT_CHECKF(peak > 1e-2f && d == 0.0f, "restored instance differs by %g (peak %g)", (double)d, (double)peak);
    float d0 = max_diff(ya, g_lv2_render ? g_lv2_render : ya, PERF_FRAMES, NULL);
    NT_CHECKF(!g_lv2_render || d0 > 1e-3f, "the changed patch renders as the default one (%g)", (double)d0);
    lilv_state_free(st);
    free(ya), free(yb);
    host_free(A), host_free(B);
}

/* Every template has a preset; a preset sets template A to its template and the rest to the defaults. */
static void test_presets(void)
{
    if (!load_world()) return nt_fail_at(__FILE__, __LINE__, "no plugin");
    LilvNode *pset = lilv_new_uri(g_world, "http://lv2plug.in/ns/ext/presets#Preset");
    LilvNodes *presets = lilv_plugin_get_related(g_plugin, pset);
    int n = (int)lilv_nodes_size(presets), kick_ok = 0;
    host *H = host_new();
    LILV_FOREACH (nodes, i, presets) {
        const LilvNode *p = lilv_nodes_get(presets, i);
        if (strcmp(lilv_node_as_uri(p), NR_LV2_PREFIX "preset-kick")) continue;
        lilv_world_load_resource(g_world, p);
        LilvState *st = lilv_state_new_from_world(g_world, &g_map, p);
        if (st && H) {
            H->ctl[NR_LV2_TEMPLATE_A] = 0;
            H->ctl[NR_LV2_STRETCH] = 1.0f;
            lilv_state_restore(st, H->inst, set_value, H, 0, H->features);
            kick_ok = H->ctl[NR_LV2_TEMPLATE_A] == 1.0f && H->ctl[NR_LV2_STRETCH] == 0.0f &&
                      !strcmp(lilv_state_get_label(st), "kick");
        }
        lilv_state_free(st);
    }
    NT_CHECKF(n == 16, "%d presets; expected one per template of the default model (16)", n);
    NT_CHECKF(kick_ok, "preset-kick: template_a %g, stretch %g", H ? (double)H->ctl[NR_LV2_TEMPLATE_A] : -1.0,
              H ? (double)H->ctl[NR_LV2_STRETCH] : -1.0);
    host_free(H);
    lilv_nodes_free(presets);
    lilv_node_free(pset);
}

/* The plugin's own restore, given a patch as a settings file's text: every gate poly, 8 voices. */
static const void *retrieve_poly(LV2_State_Handle h, uint32_t key, size_t *size, uint32_t *type, uint32_t *flags)
{
    static char *text;
    static size_t len;
    (void)h;
    if (key != map_uri(NULL, NR_LV2_PATCH_URI)) return NULL;
    if (!text) {
        nr_settings s;
        nr_settings_defaults(&s);
        s.patch.gate_mode[0] = NR_GATE_POLY;
        s.patch.voices = 8;
        if (nr_settings_serialize(&s, &text, &len) != NR_OK) return NULL;
    }
    *size = len + 1;
    *type = map_uri(NULL, LV2_ATOM__String);
    *flags = LV2_STATE_IS_POD;
    return text;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_run_allocates_nothing_and_timing(void)
{
    if (!load_world()) return nt_fail_at(__FILE__, __LINE__, "no plugin");
    double t0 = now_ms();
    host *H = host_new();
    if (!H) return nt_fail_at(__FILE__, __LINE__, "instantiate failed");
    const LV2_State_Interface *si = lilv_instance_get_extension_data(H->inst, LV2_STATE__interface);
    NT_CHECK(si && si->restore(lilv_instance_get_handle(H->inst), retrieve_poly, NULL, 0, H->features) ==
                       LV2_STATE_SUCCESS);
    H->ctl[NR_LV2_VOICES] = 8;
    host_run(H);
    double ready = now_ms() - t0;
    atomic_store(&g_allocs, 0);
    atomic_store(&g_locks, 0);
    enum { NOTE_EVERY_BLOCKS = RATE / 4 / BLOCK };
    int over = 0;
    /* 8 notes at once, then 2 s of 64-frame blocks with CV blocks moving every block */
    const long blocks = 2 * RATE / BLOCK;
    double worst = 0, total = 0, *times = malloc((size_t)blocks * sizeof(double));
    for (long b = 0; b < blocks; b++) {
        if (b % NOTE_EVERY_BLOCKS == 0) /* 8 notes again every 0.25 s: the voices keep sounding */
            for (int i = 0; i < 8; i++) host_midi(H, i, 0x90, 48 + 3 * i, 100);
        if (b % 20 == 10) host_midi(H, 5, 0xB0, 20, (int)(b % 128));
        for (int k = 0; k < BLOCK; k++) H->cv[0][k] = 2.0f * sinf((float)(b * BLOCK + k) * 0.001f);
        double t = now_ms();
        host_run(H);
        t = now_ms() - t;
        total += t;
        times[b] = t;
        worst = t > worst ? t : worst;
        over += t > 1e3 * BLOCK / RATE;
    }
    double period = 1e3 * BLOCK / RATE;
    qsort(times, (size_t)blocks, sizeof *times, cmp_double);
    double median = times[blocks / 2], p99 = times[blocks * 99 / 100];
    free(times);
#ifdef NR_UNDER_ASAN
    printf("  (allocation count not checked under ASan: its allocator conflicts with the interposer)\n");
#else
    NT_CHECKF(atomic_load(&g_allocs) == 0, "run() allocated %u times", atomic_load(&g_allocs));
    NT_CHECKF(atomic_load(&g_locks) == 0, "run() locked a mutex %u times", atomic_load(&g_locks));
#endif
    printf("  instantiate to ready (default model, first 64-frame block): %.1f ms for the process's first instance "
           "(loads the model, plans its FFTs), %.1f ms for a later one (with a state restore)\n", g_cold_ready_ms, ready);
    printf("  run() at %d-frame blocks, 8 notes re-struck on a poly gate (8 voices), share of the %.3f ms period: "
           "median %.1f%%, 99th percentile %.1f%%, mean %.1f%%, worst %.1f%%; %d of %ld blocks over it (a measurement, not "
           "a threshold: on a busy machine the tail includes preemption)\n", BLOCK, period, 100 * median / period,
           100 * p99 / period, 100 * total / blocks / period, 100 * worst / period, over, blocks);
    host_free(H);
}

/* Source latent (the "Curve source" port), CV 1 and 2 on latent1 and latent2: the bundle's latent model
 * (beside its default model) is decoded by the worker, and the sound equals the file sink's render of the
 * same performance (the shipped model and the latent model beside it); the decay axis lengthens the sound;
 * moving the point while voices sound allocates nothing in run(). */
#define LATENT_FRAMES RATE
static float *latent_render(float cv1, long *sound_frames)
{
    host *H = host_new();
    if (!H) return nt_fail_at(__FILE__, __LINE__, "instantiate failed"), NULL;
    H->ctl[NR_LV2_SOURCE] = NR_SOURCE_LATENT;
    H->ctl[NR_LV2_CV_TARGET0] = NR_CVT_LATENT0;
    H->ctl[NR_LV2_CV_TARGET0 + 1] = NR_CVT_LATENT0 + 1;
    H->ctl[NR_LV2_VOICES] = 4;
    float *y = calloc(LATENT_FRAMES, sizeof(float)), peak = 0.0f;
    for (long b = 0; b * BLOCK < LATENT_FRAMES; b++) {
        for (int k = 0; k < BLOCK; k++) H->cv[0][k] = cv1, H->cv[1][k] = 2.0f;
        long t0 = b * BLOCK;
        if (4800 >= t0 && 4800 < t0 + BLOCK) host_midi(H, (int)(4800 - t0), 0x90, 64, 100);
        if (7200 >= t0 && 7200 < t0 + BLOCK) host_midi(H, (int)(7200 - t0), 0x80, 64, 0);
        host_run(H);
        memcpy(y + t0, H->out, sizeof H->out);
    }
    host_free(H);
    long last = 0;
    for (long i = 0; i < LATENT_FRAMES; i++) peak = fmaxf(peak, fabsf(y[i]));
    for (long i = 0; i < LATENT_FRAMES; i++)
        if (fabsf(y[i]) > peak * 1e-3f) last = i;
    *sound_frames = last;
    return y;
}

static float *latent_file_sink(float cv1)
{
    char script[1200], wav[1200], settings[1200], cmd[4000];
    snprintf(script, sizeof script, "%s", nt_tmp("latent.txt"));
    snprintf(wav, sizeof wav, "%s", nt_tmp("latent.wav"));
    snprintf(settings, sizeof settings, "%s", nt_tmp("latent.nrs"));
    nr_settings s;
    nr_settings_defaults(&s);
    s.patch.source = NR_SOURCE_LATENT;
    s.patch.voices = 4;
    for (int k = 0; k < 2; k++) nr_cv_assign_target(&s.patch.cv[k], NR_CVT_LATENT0 + k);
    if (nr_settings_save(settings, &s) != NR_OK) return nt_fail_at(__FILE__, __LINE__, "%s", nr_last_error()), NULL;
    FILE *f = fopen(script, "w");
    fprintf(f, "0 cv 1 %.9g\n0 cv 2 2\n0.1 note 1 64 100\n0.15 note 1 64 0\nend %.9g\n", (double)cv1,
            (double)LATENT_FRAMES / RATE);
    fclose(f);
    snprintf(cmd, sizeof cmd, "NEURORACK_MODEL=models/default.safetensors '%s' play --audio file:'%s' --script '%s' "
                              "--period %d --rate %d --settings '%s' --headless >/dev/null 2>&1",
             g_bin, wav, script, BLOCK, RATE, settings);
    if (system(cmd) != 0) return nt_fail_at(__FILE__, __LINE__, "%s failed", cmd), NULL;
    long n = 0;
    int rate = 0;
    float *y = nt_read_wav(wav, &n, &rate);
    NT_CHECKF(y && n == LATENT_FRAMES && rate == RATE, "%s: %ld frames at %d Hz", wav, n, rate);
    if (y && n != LATENT_FRAMES) free(y), y = NULL;
    return y;
}

static void test_latent_source(void)
{
    if (!load_world()) return nt_fail_at(__FILE__, __LINE__, "no plugin");
    long len[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        float cv1 = i ? 4.0f : -4.0f; /* the decay axis at -+1.6 prior std */
        float *y = latent_render(cv1, &len[i]), *ref = latent_file_sink(cv1);
        if (y && ref) {
            float peak, d = max_diff(ref, y, LATENT_FRAMES, &peak);
            NT_CHECKF(peak > 1e-2f, "the file sink's latent render is silent (peak %g)", (double)peak);
            NT_CHECKF(d <= 1e-6f, "latent, CV 1 %g V: plugin and file sink differ by %g (peak %g)", (double)cv1,
                      (double)d, (double)peak);
            printf("  source latent, CV 1 (decay axis) at %+.0f V: plugin vs file sink max difference %.3g, peak %.3f, "
                   "sound for %.3f s\n", (double)cv1, (double)d, (double)peak, len[i] / (double)RATE);
        }
        free(y), free(ref);
    }
    NT_CHECKF(len[1] > len[0] + RATE / 20, "the decay axis did not lengthen the sound: %ld -> %ld frames", len[0], len[1]);

    /* the point swept while voices sound: decodes in the worker, nothing allocated or locked in run() */
    host *H = host_new();
    if (!H) return nt_fail_at(__FILE__, __LINE__, "instantiate failed");
    H->ctl[NR_LV2_SOURCE] = NR_SOURCE_LATENT;
    for (int k = 0; k < NR_NUM_CV; k++) H->ctl[NR_LV2_CV_TARGET0 + k] = NR_CVT_LATENT0 + k;
    H->ctl[NR_LV2_VOICES] = 8;
    host_run(H);
    atomic_store(&g_allocs, 0);
    atomic_store(&g_locks, 0);
    for (long b = 0; b < RATE / BLOCK; b++) {
        if (b % 40 == 0)
            for (int i = 0; i < 4; i++) host_midi(H, i, 0x90, 48 + 5 * i, 100);
        for (int c = 0; c < NR_NUM_CV; c++)
            for (int k = 0; k < BLOCK; k++) H->cv[c][k] = 4.0f * sinf((float)(b * BLOCK + k) * (0.0003f + 0.0001f * c));
        host_run(H);
    }
#ifndef NR_UNDER_ASAN
    NT_CHECKF(atomic_load(&g_allocs) == 0, "run() in source latent allocated %u times", atomic_load(&g_allocs));
    NT_CHECKF(atomic_load(&g_locks) == 0, "run() in source latent locked a mutex %u times", atomic_load(&g_locks));
#endif
    host_free(H);
}

static void test_lv2_validate(void)
{
    if (system("command -v lv2_validate >/dev/null 2>&1 && command -v sord_validate >/dev/null 2>&1") != 0)
        return nt_skip("lv2_validate or sord_validate absent (Debian lv2-dev, sordi)");
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "lv2_validate '%s'/*.ttl > '%s' 2>&1", g_bundle, nt_tmp("validate.txt"));
    int rc = system(cmd);
    NT_CHECKF(rc == 0, "lv2_validate failed on %s (output in %s)", g_bundle, nt_tmp("validate.txt"));
}

int main(int argc, char **argv)
{
    (void)argc;
    char self[1024];
    snprintf(self, sizeof self, "%s", argv[0]);
    snprintf(g_build, sizeof g_build, "%s", dirname(dirname(self))); /* BUILD/tests/test_lv2 -> BUILD */
    snprintf(g_bundle, sizeof g_bundle, "%s/neurorack.lv2/", g_build);
    const char *bin = getenv("NR_BIN");
    snprintf(g_bin, sizeof g_bin, "%s", bin && *bin ? bin : "");
    if (!g_bin[0]) snprintf(g_bin, sizeof g_bin, "%s/neurorack", g_build);
    setenv("LV2_PATH", g_build, 1);
    unsetenv("NEURORACK_MODEL"); /* the bundle's own copy of the default model */
    NT_RUN(test_note_onset);
    NT_RUN(test_matches_file_sink);
    NT_RUN(test_two_instances);
    NT_RUN(test_midi_only_plugin);
    NT_RUN(test_state_roundtrip);
    NT_RUN(test_presets);
    NT_RUN(test_run_allocates_nothing_and_timing);
    NT_RUN(test_latent_source);
    NT_RUN(test_lv2_validate);
    free(g_lv2_render);
    if (g_world) lilv_world_free(g_world);
    return nt_end();
}
