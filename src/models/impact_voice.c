/* The streaming voice of both light models (nr-impact-1 and nr-impact-2): the frame queue, the frame
 * loop and the memory block; each architecture's synthesis sits behind its hooks (impact_model.c,
 * impact2_model.c). Everything after creation runs on the audio thread: no allocation, no lock. */
#include "impact_voice.h"

#include <stdlib.h>
#include <string.h>

/* ---- the frame queue ---- */

void nr_imp_queue_reset(nr_imp_frame_queue *q)
{
    q->head = q->count = 0;
    q->j = NR_IMP_HOP;
    q->ended = 0;
    q->cur_voct = 0.0f;
}

int nr_imp_queue_push_tuned(nr_imp_frame_queue *q, const float desc[NR_NUM_DESC], float voct)
{
    if (q->count == NR_IMP_QUEUE_CAP || q->ended) return 0;
    int at = (q->head + q->count) % NR_IMP_QUEUE_CAP;
    float *d = q->frames[at];
    for (int i = 0; i < NR_NUM_DESC; i++) d[i] = desc[i]; /* clamped where they are read */
    q->voct[at] = voct;
    q->count++;
    return 1;
}

int nr_imp_queue_push(nr_imp_frame_queue *q, const float desc[NR_NUM_DESC])
{
    return nr_imp_queue_push_tuned(q, desc, 0.0f);
}

long nr_imp_queue_available(const nr_imp_frame_queue *q)
{
    return (long)q->count * NR_IMP_HOP + (NR_IMP_HOP - q->j);
}

int nr_imp_queue_finished(const nr_imp_frame_queue *q) { return q->ended && q->count == 0 && q->j == NR_IMP_HOP; }

const float *nr_imp_queue_next(nr_imp_frame_queue *q)
{
    if (q->j != NR_IMP_HOP || q->count == 0) return NULL;
    const float *d = q->frames[q->head];
    q->cur_voct = q->voct[q->head];
    q->head = (q->head + 1) % NR_IMP_QUEUE_CAP;
    q->count--;
    q->j = 0;
    return d;
}

/* ---- the voice ---- */

static size_t pad16(size_t n) { return (n + 15) / 16 * 16; }

size_t nr_imp_voice_floats(const nr_imp_net_dims *d, int n_out, int n_q, size_t n_syn)
{
    return n_syn + nr_imp_net_stream_floats(d) + pad16((size_t)n_out) + 3 * pad16((size_t)n_q);
}

static void v_reset(nr_voice *vv, uint64_t seed)
{
    nr_imp_voice *v = (nr_imp_voice *)vv;
    v->seed = seed ? seed : v->cfg.seed;
    nr_imp_net_stream_reset(&v->net);
    v->hooks->reset(v);
    nr_imp_queue_reset(&v->fq);
    v->frame = 0;
}

static int v_push(nr_voice *vv, const float desc[NR_NUM_DESC])
{
    return nr_imp_queue_push(&((nr_imp_voice *)vv)->fq, desc);
}
static int v_push_tuned(nr_voice *vv, const float desc[NR_NUM_DESC], float voct)
{
    return nr_imp_queue_push_tuned(&((nr_imp_voice *)vv)->fq, desc, voct);
}
static void v_end(nr_voice *vv) { ((nr_imp_voice *)vv)->fq.ended = 1; }
static long v_available(const nr_voice *vv) { return nr_imp_queue_available(&((const nr_imp_voice *)vv)->fq); }
static int v_finished(const nr_voice *vv) { return nr_imp_queue_finished(&((const nr_imp_voice *)vv)->fq); }

/* One frame: the network, the parameters (q_prev takes the last frame's), the first frame's held at
 * both ends of its ramp and kept as q0 (the transient's gains), the synthesis of the frame. */
static void v_step(nr_imp_voice *v, const float *desc)
{
    nr_imp_net_stream_step(&v->net, v->w, desc, v->frame, v->o);
    float *tmp = v->q_prev;
    v->q_prev = v->q_cur;
    v->q_cur = tmp;
    v->hooks->params(v, desc);
    if (v->frame == 0) {
        memcpy(v->q_prev, v->q_cur, (size_t)v->n_q * sizeof(float));
        memcpy(v->q0, v->q_cur, (size_t)v->n_q * sizeof(float));
    }
    v->hooks->begin_frame(v);
    v->frame++;
}

static int v_process(nr_voice *vv, float *out, int n)
{
    nr_imp_voice *v = (nr_imp_voice *)vv;
    if (n > v->cfg.max_block) n = v->cfg.max_block;
    if (n <= 0) return 0;
    int done = 0;
    while (done < n) {
        if (v->fq.j == NR_IMP_HOP) {
            const float *d = nr_imp_queue_next(&v->fq);
            if (!d) break;
            v_step(v, d);
        }
        int m = NR_IMP_HOP - v->fq.j;
        if (m > n - done) m = n - done;
        memset(out + done, 0, (size_t)m * sizeof(float));
        v->hooks->render(v, v->fq.j, v->fq.j + m, out + done);
        v->fq.j += m;
        done += m;
    }
    return done;
}

static void v_free(nr_voice *vv)
{
    nr_imp_voice *v = (nr_imp_voice *)vv;
    if (!v) return;
    free(v->mem);
    free(v);
}

static const nr_voice_ops g_ops_tuned = {v_free,    v_reset,    v_push,      v_end,
                                         v_available, v_process, v_finished, v_push_tuned};
static const nr_voice_ops g_ops = {v_free, v_reset, v_push, v_end, v_available, v_process, v_finished, NULL};

nr_result nr_imp_voice_create(size_t self_size, const nr_imp_voice_hooks *hooks, const nr_model *m,
                              const nr_imp_weights *w, const nr_imp_net_dims *d, int n_out, int n_q, size_t n_syn,
                              int tuned, const nr_voice_config *cfg, nr_imp_voice **out)
{
    *out = NULL;
    nr_imp_voice *v = aligned_alloc(64, (self_size + 63) / 64 * 64);
    if (!v) return nr_fail(NR_ERR_NOMEM, "out of memory for a voice");
    memset(v, 0, self_size);
    size_t total = nr_imp_voice_floats(d, n_out, n_q, n_syn);
    v->mem = aligned_alloc(64, total * sizeof(float));
    if (!v->mem) {
        free(v);
        return nr_fail(NR_ERR_NOMEM, "out of memory for a voice");
    }
    memset(v->mem, 0, total * sizeof(float));
    float *p = v->mem + n_syn; /* the synthesis state first: its buffers keep the block's alignment */
    nr_imp_net_stream_carve(&v->net, d, p);
    p += nr_imp_net_stream_floats(d);
    v->o = p, p += pad16((size_t)n_out);
    v->q_prev = p, p += pad16((size_t)n_q);
    v->q_cur = p, p += pad16((size_t)n_q);
    v->q0 = p;
    v->base.ops = tuned ? &g_ops_tuned : &g_ops;
    v->base.model = m;
    v->hooks = hooks;
    v->w = w;
    v->n_q = n_q;
    v->cfg = *cfg;
    v->seed = cfg->seed;
    *out = v;
    return NR_OK;
}
