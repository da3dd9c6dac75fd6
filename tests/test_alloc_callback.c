/* The audio callback allocates nothing, takes no lock, does no I/O and never sleeps: malloc and
 * friends, the pthread/semaphore locks and waits, and the file, stdio, logging and sleeping calls are
 * interposed here, counting calls made while a thread-local "in callback" flag is set, across scripted
 * performances through a private JACK dummy server (48 kHz, 64-frame blocks): the I/O layer alone, the
 * instrument, a bare synth whose model is swapped while it plays, and one in source latent; and the instrument
 * switching models through the file sink. Interposition conflicts
 * with ASan's own allocator, so under ASan the test skips itself. */
#include "audio/backend.h"
#include "audio/live.h"
#include "core/cpu.h"
#include "fake_client.h"
#include "instrument_helper.h"
#include "jackd_helper.h"
#include "neurorack.h"
#include "nr_test.h"
#include "train/train_impl.h" /* an nr-impact-2 model from fresh weights */
#include "tiny_model.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define NR_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NR_UNDER_ASAN 1
#endif
#endif

static _Thread_local int t_in_callback;
static atomic_uint g_allocs; /* calls made inside the callback: allocation */
static atomic_uint g_locks;  /* lock or wait */
static atomic_uint g_io;     /* file, stdio, logging, sleeping */

#ifndef NR_UNDER_ASAN
/* Threads started while g_mark_threads is set (a threaded voice's workers, started by nr_voice_create)
 * carry t_voice_worker. While g_workers_count is set their allocations and locks count too (they run
 * the audio thread's block); their file and sleeping calls do not (an idle worker polls with short
 * sleeps between blocks, off the audio path). Other threads (OpenBLAS's pool) never count. */
static atomic_int g_mark_threads, g_workers_count;
static _Thread_local int t_voice_worker;
#define WORKER_COUNTS() (t_voice_worker && atomic_load_explicit(&g_workers_count, memory_order_relaxed))
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t k, size_t n);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *__libc_memalign(size_t align, size_t n);

#define COUNT() do { if (t_in_callback || WORKER_COUNTS()) atomic_fetch_add_explicit(&g_allocs, 1, memory_order_relaxed); } while (0)
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

/* The next definition of each interposed function: looked up before main (dlsym may allocate), or at
 * the first call when another library's constructor makes it earlier. */
#define TALLY(counter)                                                                                 \
    do {                                                                                               \
        if (t_in_callback || (&counter == &g_locks && WORKER_COUNTS()))                              \
            atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);                              \
    } while (0)
#define REAL(name) static __typeof__(name) *real_##name
REAL(pthread_mutex_lock); REAL(pthread_mutex_trylock); REAL(pthread_mutex_timedlock);
REAL(pthread_rwlock_rdlock); REAL(pthread_rwlock_wrlock); REAL(pthread_spin_lock);
REAL(pthread_cond_wait); REAL(pthread_cond_timedwait); REAL(sem_wait); REAL(sem_timedwait);
REAL(write); REAL(read); REAL(openat); REAL(close); REAL(fopen); REAL(fwrite); REAL(fputs); REAL(puts);
REAL(vfprintf); REAL(fflush); REAL(vsyslog); REAL(nanosleep); REAL(usleep); REAL(poll);
static int (*real_open)(const char *, int, ...);

static void *next_fn(void **slot, const char *name)
{
    if (!*slot) *slot = dlsym(RTLD_NEXT, name);
    return *slot;
}
#define NEXT(name) ((__typeof__(real_##name))next_fn((void **)&real_##name, #name))

__attribute__((constructor)) static void find_real(void)
{
#define FIND(name) real_##name = (__typeof__(real_##name))dlsym(RTLD_NEXT, #name)
    FIND(pthread_mutex_lock); FIND(pthread_mutex_trylock); FIND(pthread_mutex_timedlock);
    FIND(pthread_rwlock_rdlock); FIND(pthread_rwlock_wrlock); FIND(pthread_spin_lock);
    FIND(pthread_cond_wait); FIND(pthread_cond_timedwait); FIND(sem_wait); FIND(sem_timedwait);
    FIND(write); FIND(read); FIND(openat); FIND(close); FIND(fopen); FIND(fwrite); FIND(fputs); FIND(puts);
    FIND(vfprintf); FIND(fflush); FIND(vsyslog); FIND(nanosleep); FIND(usleep); FIND(poll); FIND(open);
#undef FIND
}

typedef struct {
    void *(*fn)(void *);
    void *arg;
    int mark;
} start_info;
static void *marked_start(void *p)
{
    start_info si = *(start_info *)p;
    __libc_free(p);
    t_voice_worker = si.mark;
    return si.fn(si.arg);
}
int pthread_create(pthread_t *restrict th, const pthread_attr_t *restrict attr, void *(*fn)(void *), void *restrict arg)
{
    static int (*real)(pthread_t *restrict, const pthread_attr_t *restrict, void *(*)(void *), void *restrict);
    if (!real) real = (__typeof__(real))dlsym(RTLD_NEXT, "pthread_create");
    start_info *si = __libc_malloc(sizeof *si);
    if (!si) return 11; /* EAGAIN */
    *si = (start_info){fn, arg, atomic_load(&g_mark_threads)};
    int r = real(th, attr, marked_start, si);
    if (r) __libc_free(si);
    return r;
}
int pthread_mutex_lock(pthread_mutex_t *m) { TALLY(g_locks); return NEXT(pthread_mutex_lock)(m); }
int pthread_mutex_trylock(pthread_mutex_t *m) { TALLY(g_locks); return NEXT(pthread_mutex_trylock)(m); }
int pthread_mutex_timedlock(pthread_mutex_t *restrict m, const struct timespec *restrict t)
{
    TALLY(g_locks);
    return NEXT(pthread_mutex_timedlock)(m, t);
}
int pthread_rwlock_rdlock(pthread_rwlock_t *l) { TALLY(g_locks); return NEXT(pthread_rwlock_rdlock)(l); }
int pthread_rwlock_wrlock(pthread_rwlock_t *l) { TALLY(g_locks); return NEXT(pthread_rwlock_wrlock)(l); }
int pthread_spin_lock(pthread_spinlock_t *l) { TALLY(g_locks); return NEXT(pthread_spin_lock)(l); }
int pthread_cond_wait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m)
{
    TALLY(g_locks);
    return NEXT(pthread_cond_wait)(c, m);
}
int pthread_cond_timedwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m, const struct timespec *restrict t)
{
    TALLY(g_locks);
    return NEXT(pthread_cond_timedwait)(c, m, t);
}
int sem_wait(sem_t *s) { TALLY(g_locks); return NEXT(sem_wait)(s); }
int sem_timedwait(sem_t *restrict s, const struct timespec *restrict t) { TALLY(g_locks); return NEXT(sem_timedwait)(s, t); }

ssize_t write(int fd, const void *b, size_t n) { TALLY(g_io); return NEXT(write)(fd, b, n); }
ssize_t read(int fd, void *b, size_t n) { TALLY(g_io); return NEXT(read)(fd, b, n); }
int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, int) : 0;
    va_end(ap);
    TALLY(g_io);
    return NEXT(open)(path, flags, mode);
}
int openat(int dir, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, int) : 0;
    va_end(ap);
    TALLY(g_io);
    return NEXT(openat)(dir, path, flags, mode);
}
int close(int fd) { TALLY(g_io); return NEXT(close)(fd); }
FILE *fopen(const char *restrict path, const char *restrict mode) { TALLY(g_io); return NEXT(fopen)(path, mode); }
size_t fwrite(const void *restrict b, size_t k, size_t n, FILE *restrict f) { TALLY(g_io); return NEXT(fwrite)(b, k, n, f); }
int fputs(const char *restrict str, FILE *restrict f) { TALLY(g_io); return NEXT(fputs)(str, f); }
int puts(const char *str) { TALLY(g_io); return NEXT(puts)(str); }
int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap) { TALLY(g_io); return NEXT(vfprintf)(f, fmt, ap); }
int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}
int printf(const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return r;
}
int fflush(FILE *f) { TALLY(g_io); return NEXT(fflush)(f); }
void vsyslog(int pri, const char *fmt, va_list ap) { TALLY(g_io); NEXT(vsyslog)(pri, fmt, ap); }
void syslog(int pri, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsyslog(pri, fmt, ap);
    va_end(ap);
}
int nanosleep(const struct timespec *t, struct timespec *rem) { TALLY(g_io); return NEXT(nanosleep)(t, rem); }
int usleep(useconds_t us) { TALLY(g_io); return NEXT(usleep)(us); }
int poll(struct pollfd *fds, nfds_t n, int ms) { TALLY(g_io); return NEXT(poll)(fds, n, ms); }
#endif

/* The callback as the backend sees it, with the flag around the real one. */
typedef struct {
    nr_audio_client inner;
    int pace; /* flagged_poll sleeps about one 64-frame period */
} flagged;
static void flagged_process(void *ctx, float *out, int n)
{
    flagged *f = ctx;
    t_in_callback = 1;
    f->inner.process(f->inner.ctx, out, n);
    t_in_callback = 0;
}

/* poll of a flagged client: the inner client's, with its own context; then, when pacing, about one
 * 64-frame period of sleep (outside the callback) */
static void flagged_poll(void *ctx)
{
    flagged *f = ctx;
    if (f->inner.poll) f->inner.poll(f->inner.ctx);
    if (f->pace) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

static int flagged_post(void *ctx, nr_source src, const nr_control_event *ev)
{
    flagged *f = ctx;
    return f->inner.post ? f->inner.post(f->inner.ctx, src, ev) : 0;
}

static void flagged_xrun(void *ctx)
{
    flagged *f = ctx;
    if (f->inner.xrun) f->inner.xrun(f->inner.ctx);
}

/* The client the backend drives: every entry of the wrapped one, with the wrapper's context. */
static nr_audio_client flagged_client(flagged *f)
{
    nr_audio_client c = {.ctx = f, .process = flagged_process, .post = flagged_post, .poll = flagged_poll,
                         .xrun = flagged_xrun};
    return c;
}

static void test_interposition_works(void)
{
#ifdef NR_UNDER_ASAN
    nt_skip("built with AddressSanitizer: malloc interposition conflicts with it");
#else
    void *(*volatile m)(size_t) = malloc;
    unsigned before = atomic_load(&g_allocs);
    t_in_callback = 1;
    void *p = m(100);
    free(p);
    t_in_callback = 0;
    NT_CHECKF(atomic_load(&g_allocs) - before == 2, "counted %u", atomic_load(&g_allocs) - before);
    atomic_store(&g_allocs, 0);
    /* locks, file and stdio calls, sleeping: each counted once inside the flag, never outside */
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    int (*volatile lock)(pthread_mutex_t *) = pthread_mutex_lock;
    FILE *null = fopen("/dev/null", "w");
    atomic_store(&g_locks, 0);
    atomic_store(&g_io, 0);
    lock(&mu);
    pthread_mutex_unlock(&mu);
    NT_CHECK(atomic_load(&g_locks) == 0 && atomic_load(&g_io) == 0);
    t_in_callback = 1;
    lock(&mu);
    pthread_mutex_unlock(&mu);
    fprintf(null, "x%d\n", 1);
    fflush(null);
    usleep(1);
    t_in_callback = 0;
    NT_CHECKF(atomic_load(&g_locks) == 1, "locks counted %u", atomic_load(&g_locks));
    NT_CHECKF(atomic_load(&g_io) == 3, "I/O calls counted %u", atomic_load(&g_io));
    fclose(null);
    atomic_store(&g_locks, 0);
    atomic_store(&g_io, 0);
#endif
}

/* A performance: 8 overlapping gates, CV sweeps, encoder turns and pushes. */
static const char *k_perf =
    "0.05 cv 1 0\n0.10 trig 1\n0.15 cv 2 2.5\n0.20 trig 2\n0.25 trig 1\n0.30 cv 1 -3\n0.35 trig 2\n"
    "0.40 trig 1\n0.45 encoder +1\n0.50 trig 2\n0.55 push\n0.60 trig 1\n0.65 encoder -1\n0.70 trig 2\n"
    "0.75 longpush\n0.80 cv 3 4\n0.85 gate 1 1\n0.95 gate 1 0\n1.00 cv 4 -1\nend 1.5\n";

static void perform(const char *server, const nr_audio_client *target, const char *what)
{
    nr_script s;
    NT_CHECK(nr_script_parse(k_perf, "perf", &s) == NR_OK);
    nr_live live;
    nr_live_init(&live, target, &s, 48000, 64);
    nr_audio_client lc = nr_live_client(&live);
    flagged fl = {lc, 0};
    nr_audio_client c = flagged_client(&fl);
    nr_backend_config bc = nr_backend_config_init();
    bc.server_name = server;
    bc.autoconnect = 0;
    nr_backend *b = NULL;
    if (nr_backend_open_jack(&bc, &b) != NR_OK) {
        NT_CHECKF(0, "%s", nr_last_error());
        nr_script_free(&s);
        return;
    }
    atomic_store(&g_allocs, 0);
    atomic_store(&g_locks, 0);
    atomic_store(&g_io, 0);
    NT_CHECK(nr_backend_start(b, &c) == NR_OK);
    const int64_t end = (int64_t)(nr_script_duration(&s) * 48000);
    for (int i = 0; i < 1000 && nr_live_samples(&live) < end; i++) {
        lc.poll(lc.ctx); /* the control thread's work, outside the callback */
        usleep(5000);
    }
    uint32_t xruns = nr_backend_xruns(b);
    nr_backend_close(b);
    nr_live_stats st;
    nr_live_stats_get(&live, &st);
    NT_CHECKF(st.samples >= end, "%s: only %lld samples rendered", what, (long long)st.samples);
    unsigned allocs = atomic_load(&g_allocs), locks = atomic_load(&g_locks), io = atomic_load(&g_io);
    NT_CHECKF(allocs == 0, "%s: %u allocation calls inside the callback", what, allocs);
    NT_CHECKF(locks == 0, "%s: %u lock or wait calls inside the callback", what, locks);
    NT_CHECKF(io == 0, "%s: %u file, stdio, logging or sleeping calls inside the callback", what, io);
    printf("  %s: %u allocation, %u lock, %u I/O calls in %llu callbacks; worst callback %.1f%% of the period, "
           "xruns %u\n", what, allocs, locks, io, (unsigned long long)st.blocks, 100 * st.worst_share, xruns);
    nr_script_free(&s);
}

static pid_t g_jackd = -1;
static const char *g_server;

static int need_jackd(void)
{
#ifdef NR_UNDER_ASAN
    nt_skip("built with AddressSanitizer: malloc interposition conflicts with it");
    return 0;
#endif
    if (!jackd_installed()) {
        nt_skip("jackd not installed (scripts/install-deps.sh installs jackd2)");
        return 0;
    }
    if (g_jackd < 0) {
        g_server = jackd_unique_name();
        g_jackd = jackd_start(g_server, 48000, 64, nt_tmp("jackd.log"));
    }
    NT_CHECKF(g_jackd > 0, "jackd did not start; see %s", nt_tmp("jackd.log"));
    return g_jackd > 0;
}

/* The I/O layer itself (live layer, script player, JACK glue) around a stand-in that allocates nothing. */
static void test_io_layer_is_realtime_safe(void)
{
    if (!need_jackd()) return;
    static fake_client f;
    nr_audio_client fc = fake_client_init(&f);
    perform(g_server, &fc, "I/O layer + stand-in");
    NT_CHECK(f.n_gate_on >= 8);
}

/* The real instrument, 8 voices. */
static void test_instrument_is_realtime_safe(void)
{
    if (!need_jackd()) return;
    char why[512];
    nr_instrument *inst = test_instrument(48000, 64, 8, 1, why, sizeof why);
    if (!inst) return; /* the helper failed the test */
    nr_audio_client ic = nr_instrument_client(inst);
    perform(g_server, &ic, "instrument, 8 voices");
    nr_instrument_free(inst);
}

/* A host around one bare nr_synth: events the script posts (on the audio thread, before process) are
 * kept in a fixed array and handed to nr_synth_process; the control thread swaps the model again and
 * again while it plays, so the lock-free hand-over (and the old model freed back on the control
 * thread) is inside the measured performance. */
#define SYNTH_HOST_EVENTS 256
#define SYNTH_SWAP_EVERY 40 /* control-thread polls (5 ms apart) between model swaps */
typedef struct {
    nr_synth *synth;
    nr_synth_event ev[SYNTH_HOST_EVENTS];
    int n, taken;
    int polls, swaps, swap_errors;
} synth_host;

static int synth_host_next(void *ctx, nr_synth_event *ev)
{
    synth_host *h = ctx;
    if (h->taken >= h->n) return 0;
    *ev = h->ev[h->taken++];
    return 1;
}

static void synth_host_process(void *ctx, float *out, int n)
{
    synth_host *h = ctx;
    nr_synth_events src = {h, synth_host_next};
    h->taken = 0;
    nr_synth_process(h->synth, &src, out, n);
    h->n = 0;
}

static int synth_host_post(void *ctx, nr_source from, const nr_control_event *ev)
{
    (void)from;
    synth_host *h = ctx;
    if (ev->type != NR_EV_GATE && ev->type != NR_EV_CV) return 1; /* no menu here */
    if (h->n >= SYNTH_HOST_EVENTS) return 0;
    h->ev[h->n++] = (nr_synth_event){(int)ev->type, ev->index, ev->value, ev->time};
    return 1;
}

static void synth_host_poll(void *ctx)
{
    synth_host *h = ctx;
    nr_synth_collect(h->synth);
    if (++h->polls % SYNTH_SWAP_EVERY) return;
    if (nr_synth_swap_pending(h->synth)) { /* the old model's voices still sound out: fade them, swap at the next */
        nr_synth_swap_hurry(h->synth);
        h->polls--;
        return;
    }
    nr_model *m = NULL;
    if (nr_model_load(test_model_path(), &m) != NR_OK || nr_synth_model_stage(h->synth, m) != NR_OK) {
        h->swap_errors++;
        return;
    }
    nr_synth_model_commit(h->synth);
    h->swaps++;
}

static void test_synth_model_swap_is_realtime_safe(void)
{
    if (!need_jackd()) return;
    const char *path = test_model_path();
    nr_model *m = NULL;
    if (!path || nr_model_load(path, &m) != NR_OK) {
        nt_skip("no model to load (models/default.safetensors or ../shared)");
        return;
    }
    nr_synth_config sc = nr_synth_config_init();
    sc.model = m;
    sc.max_block = 64;
    static synth_host h;
    memset(&h, 0, sizeof h);
    NT_CHECKF(nr_synth_init(&sc, &h.synth) == NR_OK, "%s", nr_last_error());
    if (!h.synth) return;
    nr_audio_client c = {.ctx = &h, .process = synth_host_process, .post = synth_host_post, .poll = synth_host_poll};
    perform(g_server, &c, "bare synth, model swapped while playing");
    NT_CHECKF(h.swaps >= 2 && h.swap_errors == 0, "%d model swaps, %d failed", h.swaps, h.swap_errors);
    printf("  %d model swaps while playing\n", h.swaps);
    nr_synth_uninit(h.synth);
}

/* The instrument switching models through the file sink, as `neurorack play --audio file` renders: the
 * model read inside poll (offline renders), then by the loader thread. The audio thread's part of every
 * switch (the bank taken, the old model's voices sounding out on its bank, faded by retriggers and by a
 * second switch, handed back) allocates, locks and touches files not once. No JACK needed. */
static const char *k_switch_perf =
    "0.05 trig 1\n0.10 model tiny\n0.12 trig 2\n0.20 trig 1\n0.25 model default\n0.27 trig 1\n0.30 model tiny\n"
    "0.31 model default\n0.40 trig 2\n0.50 model tiny\n0.52 cv 1 2\n0.60 trig 1\n1.0 model default\n1.2 trig 1\nend 2.0\n";

static void test_instrument_model_switch_is_realtime_safe(void)
{
#ifdef NR_UNDER_ASAN
    nt_skip("built with AddressSanitizer: malloc interposition conflicts with it");
    return;
#endif
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s", nt_tmp("switch"));
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/models", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/models/tiny.safetensors", dir);
    if (!write_tiny_model(path, 9)) return;
    nr_script s;
    NT_CHECK(nr_script_parse(k_switch_perf, "switch", &s) == NR_OK);
    for (int sync = 1; sync >= 0; sync--) {
        nr_instrument_config ic = nr_instrument_config_init();
        ic.model_path = test_model_path();
        snprintf(path, sizeof path, "%s/settings.nrs", dir);
        ic.settings_path = path;
        ic.max_block = 64;
        ic.cpu_guard = 0;
        ic.sync_model_load = sync;
        nr_instrument *inst = NULL;
        NT_CHECKF(nr_instrument_create(&ic, &inst) == NR_OK, "%s", nr_last_error());
        if (!inst) break;
        nr_audio_client inner = nr_instrument_client(inst);
        nr_live live;
        nr_live_init(&live, &inner, &s, 48000, 64);
        nr_audio_client lc = nr_live_client(&live);
        /* with the loader thread, the render is paced at about the clock's speed (a sleep in poll, outside
         * the callback) so that a load, slow on a busy machine, lands while it plays, as it would live */
        flagged fl = {lc, !sync};
        nr_audio_client c = flagged_client(&fl);
        atomic_store(&g_allocs, 0), atomic_store(&g_locks, 0), atomic_store(&g_io, 0);
        NT_CHECKF(nr_file_sink_run(nt_tmp("switch.wav"), 48000, 64, nr_script_duration(&s), &c, NULL) == NR_OK, "%s",
                  nr_last_error());
        unsigned allocs = atomic_load(&g_allocs), locks = atomic_load(&g_locks), io = atomic_load(&g_io);
        nr_instrument_status st;
        nr_instrument_status_get(inst, &st);
        const char *what = sync ? "model read in poll" : "model read by the loader thread";
        NT_CHECKF(allocs == 0 && locks == 0 && io == 0, "%s: %u allocation, %u lock, %u I/O calls inside the callback",
                  what, allocs, locks, io);
        /* in poll: tiny, default, tiny at 1.0 s, default; "tiny" at 0.30 s waits for the old voices of the
         * switch before it, fading them, and the default asked for at 0.31 s is what already plays by then
         * (the switch in between is dropped). The loader races the render, paced so that it is longer than a load. */
        NT_CHECKF(sync ? st.model_switches == 4 : st.model_switches >= 1, "%s: %u switches", what, st.model_switches);
        NT_CHECK(st.model_switches_failed == 0 && st.faults == 0);
        printf("  %s: %u switches, %u allocation, %u lock, %u I/O calls in the callback\n", what, st.model_switches,
               allocs, locks, io);
        nr_instrument_free(inst);
    }
    nr_script_free(&s);
}

/* An nr-impact-2 voice (fresh weights, every part audible) through nr_voice_process alone, 64-sample
 * blocks with octave errors in the pitch: its noise FFT runs out of place because FFTW's in-place
 * inverse allocates a buffer on each execution. */
static void test_impact2_voice_is_realtime_safe(void)
{
#ifdef NR_UNDER_ASAN
    nt_skip("built with AddressSanitizer: malloc interposition conflicts with it");
#else
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    float *blk = calloc((size_t)nr_imp2_n_values(&hp, 0), sizeof(float));
    nr_imp_weights_rw w;
    nr_imp2_weights_carve(&hp, blk, &w);
    nr_imp2_init_weights(&hp, &w, 1, NULL, NULL);
    for (int i = 0; i < nr_imp2_n_out(&hp); i++) w.head_b[i] += 1.0f;
    nr_model *m = NULL;
    NT_CHECKF(nr_imp2_model_from_block(&hp, blk, &m) == NR_OK, "%s", nr_last_error());
    free(blk);
    if (!m) return;
    nr_voice_config vc = nr_voice_config_init();
    vc.max_block = 64;
    nr_voice *v = NULL;
    NT_CHECK(nr_voice_create(m, &vc, &v) == NR_OK);
    float d[7] = {0.1f, 0.05f, 2000, 0.01f, 1500, 1200, 90}, buf[64];
    atomic_store(&g_allocs, 0), atomic_store(&g_locks, 0), atomic_store(&g_io, 0);
    long n = 0;
    for (int t = 0; v && t < 100; t++) {
        d[6] = t % 7 == 3 ? 180.0f : 90.0f;
        t_in_callback = 1; /* tuned frames too (pitch_voct): up, down and none */
        if (t < 50) nr_voice_push_frame(v, d);
        else nr_voice_push_frame_tuned(v, d, (float)(t % 5) * 0.4f - 0.8f);
        t_in_callback = 0;
        while (nr_voice_available(v) >= 64) {
            t_in_callback = 1;
            n += nr_voice_process(v, buf, 64);
            t_in_callback = 0;
        }
    }
    NT_CHECK(n == 100L * 480);
    NT_CHECKF(atomic_load(&g_allocs) == 0 && atomic_load(&g_locks) == 0 && atomic_load(&g_io) == 0,
              "inside nr_voice_push_frame(_tuned) and nr_voice_process: %u allocations, %u locks, %u I/O calls", atomic_load(&g_allocs),
              atomic_load(&g_locks), atomic_load(&g_io));
    nr_voice_free(v);
    nr_model_free(m);
#endif
}


#ifndef NR_UNDER_ASAN
static int thread_count(void)
{
    int n = 0;
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1) break;
    if (f) fclose(f);
    return n;
}
#endif

/* The original hn-sinc-NSF split across two threads (--threads 2): push_frame and process allocate
 * nothing and lock nothing, on the audio thread or on the voice's worker (marked at its start, see
 * pthread_create above); the worker is started by nr_voice_create and gone after nr_voice_free. */
static void test_threaded_nsf_voice_is_realtime_safe(void)
{
#ifdef NR_UNDER_ASAN
    nt_skip("built with AddressSanitizer: malloc interposition conflicts with it");
#else
    const char *path = nt_shared("models/neurorack-nsf/model_nsf_sinc_ema_impacts_waveform_5.0.th");
    if (!path) {
        nt_skip("../shared absent: the original hn-sinc-NSF model is missing");
        return;
    }
    nr_model *m = NULL;
    NT_CHECKF(nr_model_load(path, &m) == NR_OK, "%s", nr_last_error());
    if (!m) return;
    nr_voice_config vc = nr_voice_config_init();
    vc.max_block = 512;
    vc.threads = 2;
    const int before = thread_count();
    nr_voice *v = NULL;
    atomic_store(&g_mark_threads, 1);
    NT_CHECKF(nr_voice_create(m, &vc, &v) == NR_OK, "%s", nr_last_error());
    atomic_store(&g_mark_threads, 0);
    const int with = thread_count();
    /* the generic path keeps the voice on one thread (OpenBLAS rounds by matrix size) */
    const int want = nr_cpu_path() == NR_CPU_GENERIC ? before : before + 1;
    NT_CHECKF(with == want, "threads before the voice %d, with it %d (want %d)", before, with, want);
    float d[7] = {0.1f, 0.05f, 2000, 0.01f, 1500, 1200, 190}, buf[512];
    atomic_store(&g_allocs, 0), atomic_store(&g_locks, 0), atomic_store(&g_io, 0);
    long n = 0;
    static const int blocks[] = {512, 64, 100, 1, 512};
    for (int t = 0; v && t < 24; t++) {
        t_in_callback = 1;
        atomic_store(&g_workers_count, 1);
        nr_voice_push_frame(v, d);
        atomic_store(&g_workers_count, 0);
        t_in_callback = 0;
        for (int k = 0; nr_voice_available(v) >= 512; k++) {
            t_in_callback = 1;
            atomic_store(&g_workers_count, 1);
            n += nr_voice_process(v, buf, blocks[k % 5]);
            atomic_store(&g_workers_count, 0);
            t_in_callback = 0;
        }
    }
    NT_CHECKF(n > 8 * 512, "%ld samples", n);
    NT_CHECKF(atomic_load(&g_allocs) == 0 && atomic_load(&g_locks) == 0 && atomic_load(&g_io) == 0,
              "inside a threaded voice's push_frame and process: %u allocations, %u locks, %u I/O calls",
              atomic_load(&g_allocs), atomic_load(&g_locks), atomic_load(&g_io));
    nr_voice_free(v);
    NT_CHECKF(thread_count() == before, "after nr_voice_free %d threads, before the voice %d", thread_count(), before);
    nr_model_free(m);
#endif
}

/* A bare synth in source latent, process() counted alone: CV moves on latent1..4 ask for new points,
 * the control thread decodes them between blocks (nr_synth_collect, outside the count), and gates
 * take and let go of the decoded slots (gate 2: the A/B morph), retriggering and stealing voices. The latent model has random
 * weights: what it sounds like does not matter here, only what the audio thread does. */
static void test_synth_latent_source_is_realtime_safe(void)
{
#ifdef NR_UNDER_ASAN
    nt_skip("built with AddressSanitizer: malloc interposition conflicts with it");
#else
    const char *path = test_model_path();
    nr_model *m = NULL;
    if (!path || nr_model_load(path, &m) != NR_OK) {
        nt_skip("no model to load (models/default.safetensors or ../shared)");
        return;
    }
    nr_latent_hparams hp = {16, 1};
    nr_latent *lm = calloc(1, sizeof *lm);
    lm->block = calloc((size_t)nr_latent_n_values(&hp, 0), sizeof(float));
    nr_latent_carve(&hp, lm->block, &lm->w);
    uint64_t rng = 99;
    for (int64_t i = 0; i < nr_latent_n_values(&hp, 1); i++) lm->block[i] = 0.3f * nr_imp_noise(&rng);
    /* raw means of an impact (log rms, zcr, log Hz, log flatness, log Hz, log Hz, log f0) */
    const float mean[NR_NUM_DESC] = {-3.0f, 0.1f, 8.0f, -4.6f, 7.3f, 7.6f, 5.3f};
    for (int d = 0; d < NR_NUM_DESC; d++) lm->w.desc_mean[d] = mean[d], lm->w.desc_std[d] = d == 1 ? 0.05f : 0.5f;
    for (int k = 0; k < NR_LAT_DIM; k++) lm->w.z_lo[k] = -3.0f, lm->w.z_hi[k] = 3.0f;
    nr_synth_config sc = nr_synth_config_init();
    sc.model = m, sc.max_block = 64;
    nr_synth *s = NULL;
    NT_CHECKF(nr_synth_init(&sc, &s) == NR_OK, "%s", nr_last_error());
    if (!s) {
        nr_latent_free(lm), free(lm);
        return;
    }
    NT_CHECK(nr_synth_set_latent(s, lm) == NR_OK);
    nr_patch p;
    nr_patch_defaults(&p);
    p.source = NR_SOURCE_LATENT;
    for (int i = 0; i < NR_NUM_CV - 1; i++) p.cv[i] = (nr_cv_assign){NR_CVT_LATENT0 + i, 2.0f, 1};
    p.cv[NR_NUM_CV - 1] = (nr_cv_assign){NR_CVT_INTERP, 1.0f, 0}; /* moves gate 2's morph */
    p.gate_mode[0] = NR_GATE_POLY;
    nr_cv_cal cal[NR_NUM_CV];
    for (int i = 0; i < NR_NUM_CV; i++) nr_cv_cal_defaults(&cal[i]);
    nr_synth_set_patch(s, &p, cal);
    static synth_host h;
    memset(&h, 0, sizeof h);
    h.synth = s;
    nr_synth_events src = {&h, synth_host_next};
    float buf[64];
    int decodes = 0;
    atomic_store(&g_allocs, 0), atomic_store(&g_locks, 0), atomic_store(&g_io, 0);
    for (int blk = 0; blk < 3000; blk++) {
        h.n = h.taken = 0;
        if (blk % 10 == 0) /* every 13 ms a new point */
            h.ev[h.n++] = (nr_synth_event){NR_SYNTH_CV, (blk / 10) % NR_NUM_CV, 5.0f * sinf(0.37f * blk), -1};
        if (blk % 25 == 0) h.ev[h.n++] = (nr_synth_event){NR_SYNTH_GATE, 0, 1.0f, -1};
        if (blk % 25 == 12) h.ev[h.n++] = (nr_synth_event){NR_SYNTH_GATE, 0, 0.0f, -1};
        if (blk % 30 == 7) h.ev[h.n++] = (nr_synth_event){NR_SYNTH_GATE, 1, 1.0f, -1}; /* the A/B morph */
        if (blk % 30 == 20) h.ev[h.n++] = (nr_synth_event){NR_SYNTH_GATE, 1, 0.0f, -1};
        t_in_callback = 1;
        nr_synth_process(s, &src, buf, 64);
        t_in_callback = 0;
        if (blk % 3 == 0) { /* the control thread, every 4 ms */
            nr_synth_collect(s);
            decodes++;
        }
    }
    NT_CHECKF(atomic_load(&g_allocs) == 0 && atomic_load(&g_locks) == 0 && atomic_load(&g_io) == 0,
              "inside nr_synth_process in source latent: %u allocations, %u locks, %u I/O calls",
              atomic_load(&g_allocs), atomic_load(&g_locks), atomic_load(&g_io));
    printf("  3000 blocks of 64 in source latent, %d collects\n", decodes);
    nr_synth_uninit(s);
#endif
}

int main(void)
{
    NT_RUN(test_interposition_works);
    NT_RUN(test_impact2_voice_is_realtime_safe);
    NT_RUN(test_threaded_nsf_voice_is_realtime_safe);
    NT_RUN(test_io_layer_is_realtime_safe);
    NT_RUN(test_instrument_is_realtime_safe);
    NT_RUN(test_synth_model_swap_is_realtime_safe);
    NT_RUN(test_instrument_model_switch_is_realtime_safe);
    NT_RUN(test_synth_latent_source_is_realtime_safe);
    jackd_stop(g_jackd);
    return nt_end();
}
