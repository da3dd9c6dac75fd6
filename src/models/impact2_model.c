/* nr-impact-2 behind the generic model API: loading checks, metadata, and the streaming voice. The
 * network runs through nr-impact-1's nr_imp_net_stream. */
#include "impact2.h"
#include "impact_voice.h"
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

/* ---- the streaming voice (impact_voice.c) and its synthesis ---- */

typedef struct {
    nr_imp_voice v; /* first: the shared voice */
    const imp2_model *im;
    nr_imp2_synth_state syn;
    nr_imp2_f0_state f0_state; /* pitch conditioning */
} imp2_voice;

static void h_params(nr_imp_voice *vv, const float desc[NR_NUM_DESC])
{
    imp2_voice *v = (imp2_voice *)vv;
    const imp2_model *im = v->im;
    nr_imp2_params_forward(&im->hp, &im->tb, vv->o, nr_imp2_f0_track(&v->f0_state, &im->hp, desc), vv->q_cur);
    /* tuned as a sampler: the network heard desc as it is; the whole sound moves by the interval */
    float voct = vv->fq.cur_voct, ratio = voct != 0.0f ? exp2f(voct) : 1.0f;
    if (ratio != 1.0f) nr_imp2_params_tune(&im->hp, ratio, vv->q_cur);
    nr_imp2_synth_tune(&v->syn, ratio);
}

static void h_begin_frame(nr_imp_voice *vv)
{
    imp2_voice *v = (imp2_voice *)vv;
    nr_imp2_synth_begin_frame(&v->syn, &v->im->hp, &v->im->tb, vv->q_cur);
}

static void h_render(nr_imp_voice *vv, int j0, int j1, float *out)
{
    imp2_voice *v = (imp2_voice *)vv;
    nr_imp2_synth_render(&v->syn, &v->im->hp, &v->im->w, vv->q_prev, vv->q_cur, vv->q0, j0, j1, out);
}

static void h_reset(nr_imp_voice *vv)
{
    imp2_voice *v = (imp2_voice *)vv;
    nr_imp2_synth_reset(&v->syn, vv->seed, vv->cfg.no_noise);
    nr_imp2_f0_reset(&v->f0_state);
}

static const nr_imp_voice_hooks g_hooks = {h_params, h_begin_frame, h_render, h_reset};

static size_t voice_bytes(const nr_imp2_hparams *hp)
{
    nr_imp_net_dims d = nr_imp2_net_dims(hp);
    size_t n = nr_imp_voice_floats(&d, nr_imp2_n_out(hp), nr_imp2_n_q(hp), nr_imp2_synth_state_floats(hp));
    return sizeof(imp2_voice) + n * sizeof(float);
}

static nr_result voice_create(const nr_model *m, const nr_voice_config *cfg, nr_voice **out)
{
    const imp2_model *im = m->impl;
    const nr_imp2_hparams *hp = &im->hp;
    nr_imp_net_dims d = nr_imp2_net_dims(hp);
    nr_imp_voice *vv;
    nr_result r = nr_imp_voice_create(sizeof(imp2_voice), &g_hooks, m, &im->w, &d, nr_imp2_n_out(hp),
                                      nr_imp2_n_q(hp), nr_imp2_synth_state_floats(hp), 1, cfg, &vv);
    if (r != NR_OK) return r;
    imp2_voice *v = (imp2_voice *)vv;
    v->im = im;
    nr_imp2_synth_state_carve(&v->syn, hp, vv->mem); /* the block's start: its FFT buffer needs the alignment */
    v->syn.mip = &im->tb.mip;
    nr_voice_reset(&vv->base, 0);
    *out = &vv->base;
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
