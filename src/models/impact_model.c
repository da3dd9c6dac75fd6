/* nr-impact-1 behind the generic model API: loading checks, metadata, and the streaming voice. */
#include "impact.h"
#include "impact_voice.h"
#include "impact_simd.h"
#include "model_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    nr_imp_hparams hp;
    nr_imp_weights w;
    nr_imp_bands bands;
} imp_model;

static size_t voice_bytes(const nr_imp_hparams *hp);

static int matches(const nr_tensor_set *ts)
{
    const char *a = nr_tensor_set_meta(ts, "nr.arch");
    return a && !strcmp(a, NR_IMP_ARCH);
}

static nr_result build(nr_model *m, const char *what)
{
    imp_model *im = calloc(1, sizeof *im);
    if (!im) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
    m->impl = im;
    nr_result r = nr_imp_hparams_from_meta(&m->ts, &im->hp, what);
    if (r != NR_OK) return r;
    const char *sr = nr_tensor_set_meta(&m->ts, "nr.sample_rate"), *hop = nr_tensor_set_meta(&m->ts, "nr.hop");
    if ((sr && atoi(sr) != NR_IMP_RATE) || (hop && atoi(hop) != NR_IMP_HOP))
        return nr_fail(NR_ERR_FORMAT, "%s: nr-impact-1 runs at %d Hz with hop %d (file says %s Hz, hop %s)", what,
                       NR_IMP_RATE, NR_IMP_HOP, sr ? sr : "?", hop ? hop : "?");
    nr_imp_tensor_desc tab[NR_IMP_MAX_TENSORS];
    int nt = nr_imp_tensor_table(&im->hp, tab);
    int64_t total = 0;
    r = nr_imp_weights_bind(&m->ts, tab, nt, NR_IMP_ARCH, what, &im->w, &total);
    if (r != NR_OK) return r;
    const nr_imp_weights *w = &im->w;
    for (int i = 0; i < im->hp.n_inharm; i++)
        if (!(w->ratios[i] > 0.0f && w->ratios[i] < 1000.0f))
            return nr_fail(NR_ERR_VALUE, "%s: inharm_ratio[%d] = %g must be in (0, 1000)", what, i, (double)w->ratios[i]);
    r = nr_imp_bands_init(&im->bands, &im->hp);
    if (r != NR_OK) return r;

    nr_model_info *info = &m->info;
    info->arch = NR_IMP_ARCH;
    info->sample_rate = NR_IMP_RATE;
    info->hop = NR_IMP_HOP;
    info->lookahead_frames = 0;
    info->n_params = total;
    info->weights_bytes = (size_t)total * sizeof(float);
    const nr_imp_hparams *hp = &im->hp;
    double net = 0;
    for (int l = 0; l < hp->layers; l++) net += (double)hp->hidden * hp->taps * (l ? hp->hidden : NR_IMP_N_IN);
    net += (double)nr_imp_n_out(hp) * hp->hidden;
    info->macs_per_sample = net / NR_IMP_HOP + 5.0 * nr_imp_n_partials(hp) + 6.0 * nr_imp_n_bands_pad(hp) +
                            (double)hp->n_trans * hp->trans_len / (10.0 * NR_IMP_RATE);
    info->voice_bytes = voice_bytes(hp);
    nr_imp_info_desc(w->desc_mean, w->desc_std, info->desc_mean, info->desc_std);
    return NR_OK;
}

static void destroy(nr_model *m)
{
    imp_model *im = m->impl;
    if (!im) return;
    nr_imp_bands_free(&im->bands);
    free(im);
    m->impl = NULL;
}

static nr_result add_save_meta(const nr_model *m, nr_tensor_set *ts)
{
    const imp_model *im = m->impl;
    nr_result r = nr_imp_hparams_to_meta(&im->hp, ts);
    if (r == NR_OK) r = nr_imp_desc_meta(im->w.desc_mean, im->w.desc_std, ts);
    return r;
}

/* ---- the streaming voice (impact_voice.c) and its synthesis ---- */

typedef struct {
    nr_imp_voice v; /* first: the shared voice */
    const imp_model *im;
    nr_imp_synth_state syn;
} imp_voice;

static void h_params(nr_imp_voice *vv, const float desc[NR_NUM_DESC])
{
    const imp_model *im = ((imp_voice *)vv)->im;
    nr_imp_params_forward(&im->hp, &im->w, vv->o, nr_imp_f0(desc), vv->q_cur);
}

static void h_begin_frame(nr_imp_voice *vv)
{
    imp_voice *v = (imp_voice *)vv;
    nr_imp_synth_begin_frame(&v->syn, &v->im->hp, &v->im->w, vv->q_cur);
}

static void h_render(nr_imp_voice *vv, int j0, int j1, float *out)
{
    imp_voice *v = (imp_voice *)vv;
    nr_imp_synth_render(&v->syn, &v->im->hp, &v->im->w, &v->im->bands, vv->q_prev, vv->q_cur, vv->q0, j0, j1, out);
}

static void h_reset(nr_imp_voice *vv)
{
    nr_imp_synth_reset(&((imp_voice *)vv)->syn, vv->seed, vv->cfg.no_noise);
}

static const nr_imp_voice_hooks g_hooks = {h_params, h_begin_frame, h_render, h_reset};

static size_t voice_bytes(const nr_imp_hparams *hp)
{
    nr_imp_net_dims d = nr_imp_net_dims_of(hp);
    size_t n = nr_imp_voice_floats(&d, nr_imp_n_out(hp), nr_imp_n_q(hp), nr_imp_synth_state_floats(hp));
    return sizeof(imp_voice) + n * sizeof(float);
}

/* nr-impact-1 is tuned by the generic API (its pitch column transposed): no push_tuned */
static nr_result voice_create(const nr_model *m, const nr_voice_config *cfg, nr_voice **out)
{
    const imp_model *im = m->impl;
    const nr_imp_hparams *hp = &im->hp;
    nr_imp_net_dims d = nr_imp_net_dims_of(hp);
    nr_imp_voice *vv;
    nr_result r = nr_imp_voice_create(sizeof(imp_voice), &g_hooks, m, &im->w, &d, nr_imp_n_out(hp), nr_imp_n_q(hp),
                                      nr_imp_synth_state_floats(hp), 0, cfg, &vv);
    if (r != NR_OK) return r;
    imp_voice *v = (imp_voice *)vv;
    v->im = im;
    nr_imp_synth_state_carve(&v->syn, hp, vv->mem);
    nr_voice_reset(&vv->base, 0);
    *out = &vv->base;
    return NR_OK;
}

const nr_model_ops nr_impact_ops = {
    .arch = NR_IMP_ARCH,
    .matches = matches,
    .build = build,
    .destroy = destroy,
    .add_save_meta = add_save_meta,
    .voice_create = voice_create,
};
