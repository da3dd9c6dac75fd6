/* nr-impact-2 behind the generic model API: loading checks, metadata, and the streaming voice. The
 * network runs through nr-impact-1's nr_imp_net_stream. */
#include "impact2.h"
#include "model_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    nr_imp2_hparams hp;
    nr_imp_weights w;
    nr_imp2_tables tb;
} imp2_model;

static size_t voice_bytes(const nr_imp2_hparams *hp);

static int matches(const nr_tensor_set *ts)
{
    const char *a = nr_tensor_set_meta(ts, "nr.arch");
    return a && !strcmp(a, NR_IMP2_ARCH);
}

static nr_result build(nr_model *m, const char *what)
{
    imp2_model *im = calloc(1, sizeof *im);
    if (!im) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
    m->impl = im;
    nr_result r = nr_imp2_hparams_from_meta(&m->ts, &im->hp, what);
    if (r != NR_OK) return r;
    const char *sr = nr_tensor_set_meta(&m->ts, "nr.sample_rate"), *hop = nr_tensor_set_meta(&m->ts, "nr.hop");
    if ((sr && atoi(sr) != NR_IMP_RATE) || (hop && atoi(hop) != NR_IMP_HOP))
        return nr_fail(NR_ERR_FORMAT, "%s: nr-impact-2 runs at %d Hz with hop %d (file says %s Hz, hop %s)", what,
                       NR_IMP_RATE, NR_IMP_HOP, sr ? sr : "?", hop ? hop : "?");
    nr_imp_tensor_desc tab[NR_IMP_MAX_TENSORS];
    int nt = nr_imp2_tensor_table(&im->hp, tab);
    int64_t total = 0;
    r = nr_imp_weights_bind(&m->ts, tab, nt, NR_IMP2_ARCH, what, &im->w, &total);
    if (r != NR_OK) return r;
    const nr_imp_weights *w = &im->w;
    r = nr_imp2_tables_init(&im->tb, &im->hp);
    if (r == NR_OK) r = nr_imp2_tables_mip_init(&im->tb, &im->hp, im->w.trans);
    if (r != NR_OK) return r;

    const nr_imp2_hparams *hp = &im->hp;
    nr_model_info *info = &m->info;
    info->arch = NR_IMP2_ARCH;
    info->sample_rate = NR_IMP_RATE;
    info->hop = NR_IMP_HOP;
    info->lookahead_frames = 0;
    info->n_params = total;
    info->weights_bytes = (size_t)total * sizeof(float);
    double net = 0;
    for (int l = 0; l < hp->layers; l++) net += (double)hp->hidden * hp->taps * (l ? hp->hidden : NR_IMP_N_IN);
    net += (double)nr_imp2_n_out(hp) * hp->hidden;
    /* rotators ~5 per partial and sample; the noise: NBINS complex products and an NFFT-point real
     * FFT (~2.5 N log2 N) per frame, plus the overlap-add */
    double fft = 2.5 * NR_IMP2_NFFT * 10.0 + 4.0 * NR_IMP2_NBINS + NR_IMP2_NOISE_LEN;
    info->macs_per_sample = (net + fft) / NR_IMP_HOP + 5.0 * nr_imp2_n_partials(hp) + 2.0 +
                            (double)hp->n_trans * hp->trans_len / (10.0 * NR_IMP_RATE);
    info->voice_bytes = voice_bytes(hp);
    info->settle_onset_pitch = hp->onset_pitch == NR_IMP2_ONSET_SETTLED;
    nr_imp_info_desc(w->desc_mean, w->desc_std, info->desc_mean, info->desc_std); /* raw units */
    return NR_OK;
}

static void destroy(nr_model *m)
{
    imp2_model *im = m->impl;
    if (!im) return;
    nr_imp2_tables_free(&im->tb);
    free(im);
    m->impl = NULL;
}

nr_result nr_model_set_inharm_floor(nr_model *m, float octaves)
{
    if (m->ops != &nr_impact2_ops)
        return nr_fail(NR_ERR_ARG, "the inharmonic floor is a setting of nr-impact-2 models, not of %s", m->ops->arch);
    if (octaves != NR_MODEL_NO_FLOOR && !(octaves >= -8.0f && octaves <= 8.0f))
        return nr_fail(NR_ERR_ARG, "inharmonic floor %g octaves out of range -8..8", (double)octaves);
    imp2_model *im = m->impl;
    im->hp.inharm_floor = octaves;
    return NR_OK;
}

static nr_result add_save_meta(const nr_model *m, nr_tensor_set *ts)
{
    const imp2_model *im = m->impl;
    nr_result r = nr_imp2_hparams_to_meta(&im->hp, ts);
    if (r == NR_OK) r = nr_imp_desc_meta(im->w.desc_mean, im->w.desc_std, ts);
    return r;
}

/* ---- the streaming voice ---- */

static size_t pad16(size_t n) { return (n + 15) / 16 * 16; }


typedef struct {
    nr_voice base;
    const imp2_model *im;
    nr_voice_config cfg;
    nr_imp2_synth_state syn;
    nr_imp_net_stream net;
    float *mem;
    float *o;                   /* (O) */
    float *q_prev, *q_cur, *q0; /* (Q) synthesis parameters */
    nr_imp2_f0_state f0_state;  /* pitch conditioning */
    nr_imp_frame_queue fq;
    long frame;
    uint64_t seed;
} imp2_voice;

static void v_reset(nr_voice *vv, uint64_t seed)
{
    imp2_voice *v = (imp2_voice *)vv;
    v->seed = seed ? seed : v->cfg.seed;
    nr_imp_net_stream_reset(&v->net);
    nr_imp2_synth_reset(&v->syn, v->seed, v->cfg.no_noise);
    nr_imp2_f0_reset(&v->f0_state);
    nr_imp_queue_reset(&v->fq);
    v->frame = 0;
}

static int v_push(nr_voice *vv, const float desc[NR_NUM_DESC])
{
    return nr_imp_queue_push(&((imp2_voice *)vv)->fq, desc);
}
static int v_push_tuned(nr_voice *vv, const float desc[NR_NUM_DESC], float voct)
{
    return nr_imp_queue_push_tuned(&((imp2_voice *)vv)->fq, desc, voct);
}
static void v_end(nr_voice *vv) { ((imp2_voice *)vv)->fq.ended = 1; }
static long v_available(const nr_voice *vv) { return nr_imp_queue_available(&((const imp2_voice *)vv)->fq); }
static int v_finished(const nr_voice *vv) { return nr_imp_queue_finished(&((const imp2_voice *)vv)->fq); }

static void v_step(imp2_voice *v, const float *desc)
{
    const imp2_model *im = v->im;
    nr_imp_net_stream_step(&v->net, &im->w, desc, v->frame, v->o);
    float *tmp = v->q_prev;
    v->q_prev = v->q_cur;
    v->q_cur = tmp;
    nr_imp2_params_forward(&im->hp, &im->tb, v->o, nr_imp2_f0_track(&v->f0_state, &im->hp, desc), v->q_cur);
    /* tuned as a sampler: the network heard desc as it is; the whole sound moves by the interval */
    float voct = v->fq.cur_voct, ratio = voct != 0.0f ? exp2f(voct) : 1.0f;
    if (ratio != 1.0f) nr_imp2_params_tune(&im->hp, ratio, v->q_cur);
    nr_imp2_synth_tune(&v->syn, ratio);
    int Q = nr_imp2_n_q(&im->hp);
    if (v->frame == 0) {
        memcpy(v->q_prev, v->q_cur, (size_t)Q * sizeof(float));
        memcpy(v->q0, v->q_cur, (size_t)Q * sizeof(float));
    }
    nr_imp2_synth_begin_frame(&v->syn, &im->hp, &im->tb, v->q_cur);
    v->frame++;
}

static int v_process(nr_voice *vv, float *out, int n)
{
    imp2_voice *v = (imp2_voice *)vv;
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
        nr_imp2_synth_render(&v->syn, &v->im->hp, &v->im->w, v->q_prev, v->q_cur, v->q0, v->fq.j, v->fq.j + m, out + done);
        v->fq.j += m;
        done += m;
    }
    return done;
}

static void v_free(nr_voice *vv)
{
    imp2_voice *v = (imp2_voice *)vv;
    if (!v) return;
    free(v->mem);
    free(v);
}

/* size table of a voice's block, in carve order */
static size_t voice_floats(const nr_imp2_hparams *hp, size_t *n_syn, size_t *n_net, size_t *n_o, size_t *n_q)
{
    nr_imp_net_dims d = nr_imp2_net_dims(hp);
    *n_syn = nr_imp2_synth_state_floats(hp); /* first: its FFT buffer needs the block's alignment */
    *n_net = nr_imp_net_stream_floats(&d);
    *n_o = pad16(nr_imp2_n_out(hp));
    *n_q = pad16(nr_imp2_n_q(hp));
    return *n_syn + *n_net + *n_o + 3 * *n_q;
}

static size_t voice_bytes(const nr_imp2_hparams *hp)
{
    size_t a, b, c, d;
    return sizeof(imp2_voice) + voice_floats(hp, &a, &b, &c, &d) * sizeof(float);
}

static const nr_voice_ops g_voice_ops = {v_free,    v_reset,    v_push,      v_end,
                                         v_available, v_process, v_finished, v_push_tuned};

static nr_result voice_create(const nr_model *m, const nr_voice_config *cfg, nr_voice **out)
{
    const imp2_model *im = m->impl;
    const nr_imp2_hparams *hp = &im->hp;
    imp2_voice *v = aligned_alloc(64, (sizeof(imp2_voice) + 63) / 64 * 64);
    if (!v) return nr_fail(NR_ERR_NOMEM, "out of memory for a voice");
    memset(v, 0, sizeof *v);
    size_t n_syn, n_net, n_o, n_q, total = voice_floats(hp, &n_syn, &n_net, &n_o, &n_q);
    v->mem = aligned_alloc(64, total * sizeof(float));
    if (!v->mem) {
        free(v);
        return nr_fail(NR_ERR_NOMEM, "out of memory for a voice");
    }
    memset(v->mem, 0, total * sizeof(float));
    float *p = v->mem;
    nr_imp2_synth_state_carve(&v->syn, hp, p);
    v->syn.mip = &im->tb.mip;
    p += n_syn;
    nr_imp_net_dims d = nr_imp2_net_dims(hp);
    nr_imp_net_stream_carve(&v->net, &d, p);
    p += n_net;
    v->o = p, p += n_o;
    v->q_prev = p, p += n_q;
    v->q_cur = p, p += n_q;
    v->q0 = p;
    v->base.ops = &g_voice_ops;
    v->base.model = m;
    v->im = im;
    v->cfg = *cfg;
    v->seed = cfg->seed;
    v_reset(&v->base, 0);
    *out = &v->base;
    return NR_OK;
}

const nr_model_ops nr_impact2_ops = {
    .arch = NR_IMP2_ARCH,
    .matches = matches,
    .build = build,
    .destroy = destroy,
    .add_save_meta = add_save_meta,
    .voice_create = voice_create,
};
