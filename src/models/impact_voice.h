/* Internal: the streaming voice both light models share (impact_voice.c), behind the generic voice
 * API (model_impl.h). */
#ifndef NR_IMPACT_VOICE_H
#define NR_IMPACT_VOICE_H

#include "impact.h"
#include "model_impl.h"

/* A voice: the queue, the network stream, its output o and the synthesis parameters of the previous,
 * current and first frame (n_q each); an architecture's voice struct starts with it and adds its
 * synthesis state, carved from the start of mem (n_syn floats, 64-byte aligned). */
typedef struct nr_imp_voice nr_imp_voice;
typedef struct {
    void (*params)(nr_imp_voice *v, const float desc[NR_NUM_DESC]); /* v->o (and desc) -> v->q_cur */
    void (*begin_frame)(nr_imp_voice *v);                           /* the synthesis of v->q_cur's frame */
    void (*render)(nr_imp_voice *v, int j0, int j1, float *out);    /* the frame's samples j0..j1 into out */
    void (*reset)(nr_imp_voice *v);                                 /* the synthesis state, seeded v->seed */
} nr_imp_voice_hooks;
struct nr_imp_voice {
    nr_voice base;
    const nr_imp_voice_hooks *hooks;
    const nr_imp_weights *w;
    nr_voice_config cfg;
    nr_imp_net_stream net;
    nr_imp_frame_queue fq;
    float *mem;                 /* one block: the synthesis state (n_syn), net, o, q_prev, q_cur, q0 */
    float *o;                   /* (n_out) head output */
    float *q_prev, *q_cur, *q0; /* (n_q) synthesis parameters */
    int n_q;
    long frame; /* frames started */
    uint64_t seed;
};
/* Floats of a voice's block. */
size_t nr_imp_voice_floats(const nr_imp_net_dims *d, int n_out, int n_q, size_t n_syn);
/* Allocate a voice of self_size bytes (the architecture's struct) and its block, carve all but the
 * synthesis state (mem[0..n_syn), for the caller to carve), then the caller resets it with
 * nr_voice_reset(&v->base, 0). tuned: the voice takes nr_voice_push_frame_tuned (else the generic API
 * transposes the pitch column). */
nr_result nr_imp_voice_create(size_t self_size, const nr_imp_voice_hooks *hooks, const nr_model *m,
                              const nr_imp_weights *w, const nr_imp_net_dims *d, int n_out, int n_q, size_t n_syn,
                              int tuned, const nr_voice_config *cfg, nr_imp_voice **out);

#endif
