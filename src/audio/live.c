#include "audio/live.h"

#include <math.h>
#include <sched.h>
#include <string.h>
#include <time.h>

static void live_process(void *ctx, float *out, int n)
{
    nr_live *l = ctx;
    struct timespec a, b, ca = {0}, cb = {0}; /* CPU clock: 0 if the system has none */
    clock_gettime(CLOCK_MONOTONIC, &a);
    /* the thread's CPU clock is a system call (no vDSO): about 0.7 us on the development VM, twice a
     * block (0.1 % of a 64-frame period); no lock, no I/O */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
    const int64_t t0 = atomic_load_explicit(&l->t, memory_order_relaxed);
    if (l->pending_gate < 0 && l->prev_silent) {
        /* The first gate-on of this block, from the script (exact time) or another source (block start). */
        if (atomic_exchange_explicit(&l->asap_gate, 0, memory_order_acquire)) l->pending_gate = t0;
        for (size_t i = l->player.next; l->player.script && i < l->player.script->n; i++) {
            const nr_script_event *e = &l->player.script->ev[i];
            int64_t t = llround(e->t * l->player.rate);
            if (t >= t0 + n) break;
            if (e->ev.type == NR_EV_GATE && e->ev.value > 0.5f) {
                if (l->pending_gate < 0 || t < l->pending_gate) l->pending_gate = t < t0 ? t0 : t;
                break;
            }
        }
        if (l->pending_gate >= 0) l->st.gates++;
        l->pending_in_block = l->pending_gate >= 0;
    } else {
        atomic_store_explicit(&l->asap_gate, 0, memory_order_relaxed);
    }
    nr_script_player_due(&l->player, t0 + n, &l->target);
    l->target.process(l->target.ctx, out, n);

    float peak = 0.0f;
    for (int i = 0; i < n; i++) {
        float v = fabsf(out[i]);
        peak = v > peak ? v : peak; /* NaN never wins */
    }
    if (l->pending_gate >= 0) {
        int from = l->pending_gate > t0 ? (int)(l->pending_gate - t0) : 0;
        int hit = -1;
        for (int i = from; i < n; i++)
            if (fabsf(out[i]) > NR_LIVE_SOUND_THRESHOLD) {
                hit = i;
                break;
            }
        if (hit >= 0) {
            int64_t d = t0 + hit - l->pending_gate;
            if (d > l->st.worst_gate_delay) l->st.worst_gate_delay = d;
            if (l->pending_in_block) l->st.gates_same_block++;
            l->pending_gate = -1;
        } else if (t0 + n - l->pending_gate > l->rate) {
            l->st.gates_silent++;
            l->pending_gate = -1;
        }
        l->pending_in_block = 0;
    }
    l->prev_silent = peak <= NR_LIVE_SOUND_THRESHOLD;
    atomic_store_explicit(&l->t, t0 + n, memory_order_release);

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
    clock_gettime(CLOCK_MONOTONIC, &b);
    const double period_ns = (double)n * 1e9 / l->rate;
    double share = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / period_ns;
    double cpu_share = ((double)(cb.tv_sec - ca.tv_sec) * 1e9 + (double)(cb.tv_nsec - ca.tv_nsec)) / period_ns;
    if (share > l->st.worst_share) l->st.worst_share = share;
    if (cpu_share > l->st.worst_cpu_share) l->st.worst_cpu_share = cpu_share;
    if (share > 1.0) l->st.blocks_over++;
    if (l->st.blocks == 0) {
        /* once: whether the thread the backend runs us on is realtime. The system calls on the calling
         * thread (pid 0 is this thread on Linux), not pthread_getschedparam, which takes the thread's lock */
        struct sched_param sp;
        int policy = sched_getscheduler(0);
        if (policy >= 0 && sched_getparam(0, &sp) == 0) {
            l->st.sched_policy = policy & ~SCHED_RESET_ON_FORK;
            l->st.sched_priority = sp.sched_priority;
        }
    }
    l->sum_share += share;
    l->st.blocks++;
}

static int live_post(void *ctx, nr_source src, const nr_control_event *ev)
{
    nr_live *l = ctx;
    if (ev->type == NR_EV_GATE && ev->value > 0.5f && ev->time < 0)
        atomic_store_explicit(&l->asap_gate, 1, memory_order_release);
    return l->target.post(l->target.ctx, src, ev);
}

static void live_poll(void *ctx)
{
    nr_live *l = ctx;
    if (l->target.poll) l->target.poll(l->target.ctx);
}

static void live_xrun(void *ctx)
{
    nr_live *l = ctx;
    atomic_fetch_add(&l->xruns, 1);
    if (nr_live_samples(l) > (int64_t)(NR_LIVE_SETTLE_S * l->rate)) atomic_fetch_add(&l->xruns_settled, 1);
    if (l->target.xrun) l->target.xrun(l->target.ctx);
}

void nr_live_init(nr_live *l, const nr_audio_client *target, const nr_script *script, int rate, int max_block)
{
    memset(l, 0, sizeof *l);
    l->target = *target;
    nr_script_player_init(&l->player, script, rate);
    l->rate = rate;
    l->max_block = max_block;
    atomic_init(&l->t, 0);
    atomic_init(&l->asap_gate, 0);
    atomic_init(&l->xruns, 0);
    atomic_init(&l->xruns_settled, 0);
    l->pending_gate = -1;
    l->prev_silent = 1;
    l->st.worst_gate_delay = -1;
    l->st.sched_policy = -1;
}

nr_audio_client nr_live_client(nr_live *l)
{
    return (nr_audio_client){.ctx = l, .process = live_process, .post = live_post, .poll = live_poll,
                             .xrun = live_xrun};
}

int64_t nr_live_samples(nr_live *l) { return atomic_load_explicit(&l->t, memory_order_acquire); }

void nr_live_stats_get(nr_live *l, nr_live_stats *st)
{
    *st = l->st;
    st->samples = nr_live_samples(l);
    st->mean_share = st->blocks ? l->sum_share / (double)st->blocks : 0.0;
    st->script_dropped = l->player.dropped;
    st->xruns = atomic_load(&l->xruns);
    st->xruns_settled = atomic_load(&l->xruns_settled);
}

static void inst_process(void *ctx, float *out, int n) { nr_instrument_process(ctx, out, n); }
static int inst_post(void *ctx, nr_source src, const nr_control_event *ev) { return nr_instrument_post(ctx, src, ev); }
static void inst_poll(void *ctx) { nr_instrument_poll(ctx); }
static void inst_xrun(void *ctx) { nr_instrument_note_xrun(ctx); }

nr_audio_client nr_instrument_client(nr_instrument *inst)
{
    return (nr_audio_client){.ctx = inst, .process = inst_process, .post = inst_post, .poll = inst_poll,
                             .xrun = inst_xrun};
}
