/* A stand-in for the instrument in the I/O tests: an nr_audio_client whose process applies gate and
 * CV events at their sample times and outputs 0.5 * gate 1 + 0.25 * gate 2 + cv1 / 100, so a test
 * can read back exactly when each event landed. One producer thread at a time. */
#ifndef NR_FAKE_CLIENT_H
#define NR_FAKE_CLIENT_H

#include "control/control.h"

#include <stdatomic.h>
#include <string.h>

#define FAKE_Q 4096

typedef struct {
    nr_control_event q[FAKE_Q];
    atomic_uint head, tail;
    int64_t t;               /* samples rendered */
    int gate[NR_NUM_GATES];
    float cv[NR_NUM_CV];
    int encoder, pushes, long_pushes;
    int64_t gate_on_at[64];  /* sample times of gate-on edges, in order */
    int n_gate_on;
    atomic_uint n_events, n_process;
    atomic_uint xruns, polls;
    int max_n;               /* largest block seen */
} fake_client;

static int fake_post(void *ctx, nr_source src, const nr_control_event *ev)
{
    (void)src;
    fake_client *f = ctx;
    unsigned h = atomic_load_explicit(&f->head, memory_order_relaxed);
    if (h - atomic_load_explicit(&f->tail, memory_order_acquire) >= FAKE_Q) return 0;
    f->q[h % FAKE_Q] = *ev;
    atomic_store_explicit(&f->head, h + 1, memory_order_release);
    return 1;
}

static void fake_apply(fake_client *f, const nr_control_event *e, int64_t when)
{
    atomic_fetch_add(&f->n_events, 1);
    switch (e->type) {
    case NR_EV_GATE: {
        int on = e->value > 0.5f;
        if (on && !f->gate[e->index] && f->n_gate_on < 64) f->gate_on_at[f->n_gate_on++] = when;
        f->gate[e->index] = on;
        break;
    }
    case NR_EV_CV: f->cv[e->index] = e->value; break;
    case NR_EV_ENCODER: f->encoder += (int)e->value; break;
    case NR_EV_PUSH: f->pushes++; break;
    case NR_EV_LONG_PUSH: f->long_pushes++; break;
    default: break;
    }
}

static void fake_process(void *ctx, float *out, int n)
{
    fake_client *f = ctx;
    if (n > f->max_n) f->max_n = n;
    for (int i = 0; i < n; i++) {
        for (;;) {
            unsigned tl = atomic_load_explicit(&f->tail, memory_order_relaxed);
            if (tl == atomic_load_explicit(&f->head, memory_order_acquire)) break;
            const nr_control_event *e = &f->q[tl % FAKE_Q];
            if (e->time >= 0 && e->time > f->t + i) break; /* later in the stream */
            fake_apply(f, e, f->t + i);
            atomic_store_explicit(&f->tail, tl + 1, memory_order_release);
        }
        out[i] = 0.5f * (float)f->gate[0] + 0.25f * (float)f->gate[1] + f->cv[0] / 100.0f;
    }
    f->t += n;
    atomic_fetch_add(&f->n_process, 1);
}

static void fake_poll(void *ctx) { atomic_fetch_add(&((fake_client *)ctx)->polls, 1); }
static void fake_xrun(void *ctx) { atomic_fetch_add(&((fake_client *)ctx)->xruns, 1); }

static inline nr_audio_client fake_client_init(fake_client *f)
{
    memset(f, 0, sizeof *f);
    return (nr_audio_client){.ctx = f, .process = fake_process, .post = fake_post, .poll = fake_poll,
                             .xrun = fake_xrun};
}

#endif
