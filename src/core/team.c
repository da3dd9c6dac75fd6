#include "core/team.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define CPU_PAUSE() __asm__ __volatile__("yield")
#else
#define CPU_PAUSE() ((void)0)
#endif

/* Waiting, in stages: pause-spins first (a partner a few µs behind is the common case inside a job),
 * then sched_yield (the partner may share our core on a loaded machine). Only an idle worker between
 * jobs goes further, to sleeps of IDLE_SLEEP_NS once it has waited IDLE_AFTER_NS, and of
 * DORMANT_SLEEP_NS after DORMANT_AFTER_NS (a voice that is not sounding: a synth holds several, each
 * with its workers). The first chunk after a pause waits for the worker's wake-up, at most one sleep. */
#define SPIN_PAUSES 2000
#define IDLE_AFTER_NS 2000000L      /* 2 ms without a job */
#define IDLE_SLEEP_NS 50000L        /* then it looks every 50 µs */
#define DORMANT_AFTER_NS 200000000L /* 200 ms without a job */
#define DORMANT_SLEEP_NS 1000000L   /* then every 1 ms */

#define CACHE_LINE 64

nr_team_profile nr_team_prof;
static _Thread_local int t_member; /* a worker's member number; 0 on the caller's thread */

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct nr_team {
    int n;
    nr_team_fn fn;
    void *arg;
    _Alignas(CACHE_LINE) atomic_uint job;  /* bumped per job (and to quit) */
    atomic_int quit;
    _Alignas(CACHE_LINE) atomic_uint arrived; /* barrier: members arrived at the current one */
    _Alignas(CACHE_LINE) atomic_uint phase;   /* barrier: bumped when the last one arrives */
    _Alignas(CACHE_LINE) atomic_uint arrived2; /* split barrier: members arrived */
    _Alignas(CACHE_LINE) atomic_uint phase2;   /* split barrier: bumped when the last one arrives */
    _Alignas(CACHE_LINE) atomic_uint done;    /* members done with the current job */
    _Alignas(CACHE_LINE) atomic_int ready; /* workers that have started and wait for jobs */
    pthread_t th[NR_TEAM_MAX];
    struct member {
        nr_team *t;
        int tid;
    } member[NR_TEAM_MAX];
    int started;
    /* profile: the longest stretch of the current barrier interval (a non-negative double's bits, which
     * order as the doubles do), and each member's stretch start */
    _Alignas(CACHE_LINE) _Atomic unsigned long long seg_max;
    double seg_start[NR_TEAM_MAX];
    double work[NR_TEAM_MAX]; /* each member's stretches of the current job, summed by the caller at its end */
    unsigned ticket[NR_TEAM_MAX]; /* split barrier: the phase each member arrived in */
};

/* Profile: member tid ends a stretch (at a barrier or its job's end). */
static void stretch_end(nr_team *t, int tid)
{
    double d = cpu_now() - t->seg_start[tid];
    unsigned long long bits, cur;
    memcpy(&bits, &d, sizeof bits);
    if (d < 0) return;
    t->work[tid] += d;
    cur = atomic_load_explicit(&t->seg_max, memory_order_relaxed);
    while (bits > cur && !atomic_compare_exchange_weak_explicit(&t->seg_max, &cur, bits, memory_order_relaxed,
                                                                memory_order_relaxed)) {
    }
}

/* Profile, by the last one to arrive: the interval's longest stretch joins the critical path. */
static void interval_close(nr_team *t)
{
    unsigned long long bits = atomic_exchange_explicit(&t->seg_max, 0, memory_order_relaxed);
    double d;
    memcpy(&d, &bits, sizeof d);
    nr_team_prof.critical_s += d;
}

static long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Spins, then yields, until *x != old. */
static unsigned wait_change(atomic_uint *x, unsigned old)
{
    unsigned v;
    for (int i = 0; i < SPIN_PAUSES; i++) {
        if ((v = atomic_load_explicit(x, memory_order_acquire)) != old) return v;
        CPU_PAUSE();
    }
    while ((v = atomic_load_explicit(x, memory_order_acquire)) == old) sched_yield();
    return v;
}

void nr_team_barrier(nr_team *t)
{
    if (!t || t->n < 2) return;
    const int prof = nr_team_prof.on;
    const int tid = t_member;
    if (prof) stretch_end(t, tid);
    const unsigned ph = atomic_load_explicit(&t->phase, memory_order_acquire);
    if (atomic_fetch_add_explicit(&t->arrived, 1, memory_order_acq_rel) + 1 == (unsigned)t->n) {
        if (prof) interval_close(t), nr_team_prof.barriers++;
        atomic_store_explicit(&t->arrived, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&t->phase, 1, memory_order_release);
    } else {
        wait_change(&t->phase, ph);
    }
    if (prof) t->seg_start[tid] = cpu_now();
}

void nr_team_arrive(nr_team *t)
{
    if (!t || t->n < 2) return;
    const int tid = t_member;
    /* the phase cannot move before this member arrives */
    t->ticket[tid] = atomic_load_explicit(&t->phase2, memory_order_acquire);
    if (atomic_fetch_add_explicit(&t->arrived2, 1, memory_order_acq_rel) + 1 == (unsigned)t->n) {
        atomic_store_explicit(&t->arrived2, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&t->phase2, 1, memory_order_release);
    }
}

void nr_team_await(nr_team *t)
{
    if (!t || t->n < 2) return;
    const int tid = t_member;
    if (atomic_load_explicit(&t->phase2, memory_order_acquire) != t->ticket[tid]) return;
    /* the profile's stretches leave the wait out, as at a full barrier */
    const double w0 = nr_team_prof.on ? cpu_now() : 0.0;
    wait_change(&t->phase2, t->ticket[tid]);
    if (nr_team_prof.on) t->seg_start[tid] += cpu_now() - w0;
}

static void *worker(void *p)
{
    nr_team *t = ((struct member *)p)->t;
    const int tid = ((struct member *)p)->tid;
    unsigned seen = 0;
    t_member = tid;
    atomic_fetch_add_explicit(&t->ready, 1, memory_order_release);
    for (;;) {
        unsigned j;
        int i = 0;
        while ((j = atomic_load_explicit(&t->job, memory_order_acquire)) == seen && i < SPIN_PAUSES) {
            CPU_PAUSE(); /* a statement on aarch64 (an asm), not an expression */
            i++;
        }
        if (j == seen) {
            const long since = now_ns();
            while ((j = atomic_load_explicit(&t->job, memory_order_acquire)) == seen) {
                const long idle = now_ns() - since;
                if (idle < IDLE_AFTER_NS) {
                    sched_yield();
                } else {
                    struct timespec ts = {0, idle < DORMANT_AFTER_NS ? IDLE_SLEEP_NS : DORMANT_SLEEP_NS};
                    nanosleep(&ts, NULL);
                }
            }
        }
        seen = j;
        if (atomic_load_explicit(&t->quit, memory_order_acquire)) return NULL;
        const int prof = nr_team_prof.on;
        if (prof) t->seg_start[tid] = cpu_now();
        t->fn(t->arg, tid, t->n);
        if (prof) stretch_end(t, tid);
        atomic_fetch_add_explicit(&t->done, 1, memory_order_release);
    }
}

nr_result nr_team_create(int n, nr_team **out)
{
    *out = NULL;
    if (n < 1 || n > NR_TEAM_MAX) return nr_fail(NR_ERR_ARG, "threads: %d is out of range (1 .. %d)", n, NR_TEAM_MAX);
    nr_team *t = aligned_alloc(CACHE_LINE, (sizeof *t + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1));
    if (!t) return nr_fail(NR_ERR_NOMEM, "threads: out of memory");
    memset(t, 0, sizeof *t);
    t->n = n;
    atomic_init(&t->job, 0);
    atomic_init(&t->quit, 0);
    atomic_init(&t->arrived, 0);
    atomic_init(&t->phase, 0);
    atomic_init(&t->arrived2, 0);
    atomic_init(&t->phase2, 0);
    atomic_init(&t->done, 0);
    atomic_init(&t->ready, 0);
    for (int i = 1; i < n; i++) {
        t->member[i] = (struct member){t, i};
        if (pthread_create(&t->th[i], NULL, worker, &t->member[i]) != 0) {
            nr_team_free(t);
            return nr_fail(NR_ERR_NOMEM, "threads: cannot start worker thread %d of %d", i, n - 1);
        }
        t->started++;
    }
    /* a thread's start-up (the C library's own set-up) happens here, not inside the first job */
    while (atomic_load_explicit(&t->ready, memory_order_acquire) < t->started) sched_yield();
    *out = t;
    return NR_OK;
}

void nr_team_free(nr_team *t)
{
    if (!t) return;
    atomic_store_explicit(&t->quit, 1, memory_order_release);
    atomic_fetch_add_explicit(&t->job, 1, memory_order_release);
    for (int i = 1; i <= t->started; i++) pthread_join(t->th[i], NULL);
    free(t);
}

int nr_team_size(const nr_team *t) { return t ? t->n : 1; }

int nr_team_self(void) { return t_member; }

void nr_team_run(nr_team *t, nr_team_fn fn, void *arg)
{
    if (!t || t->n < 2) {
        fn(arg, 0, 1);
        return;
    }
    const int prof = nr_team_prof.on;
    const double c0 = prof ? cpu_now() : 0.0;
    t->fn = fn;
    t->arg = arg;
    atomic_store_explicit(&t->done, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->job, 1, memory_order_release); /* publishes fn, arg, done */
    if (prof) t->seg_start[0] = c0;
    fn(arg, 0, t->n);
    if (prof) stretch_end(t, 0);
    unsigned d;
    for (int i = 0; (d = atomic_load_explicit(&t->done, memory_order_acquire)) != (unsigned)(t->n - 1); i++) {
        if (i < SPIN_PAUSES) CPU_PAUSE();
        else sched_yield();
    }
    if (prof) {
        interval_close(t);
        for (int i = 0; i < t->n; i++) nr_team_prof.member_s[i] += t->work[i], t->work[i] = 0.0;
        nr_team_prof.jobs++;
        nr_team_prof.caller_s += cpu_now() - c0;
    }
}
