/* One clip through nr-impact-2, forward and backward: the shared conv stack (impact_grad.c), then the
 * head mapping and synthesis of src/models/impact2*.c. */
#include "train_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nr_result nr_imp2_work_init(nr_imp_work *wk, const nr_imp2_hparams *hp, const nr_imp2_tables *tb,
                            const nr_stft_loss *L, const nr_desc_losses *D, int T_max)
{
    nr_imp_net_dims net = nr_imp2_net_dims(hp);
    nr_result r = nr_imp_work_init_dims(wk, &net, nr_imp2_n_q(hp), nr_imp2_synth_state_floats(hp), 1, L, D, T_max);
    wk->hp2 = hp;
    wk->tb2 = tb;
    wk->freq_grad = NR_IMP2_FREQ_LOCAL;
    return r;
}

void nr_imp2_forward(nr_imp_work *wk, const nr_imp_weights *w, const float *desc, int T, uint64_t seed)
{
    const nr_imp2_hparams *hp = wk->hp2;
    int O = wk->net.n_out, Q = wk->Q;
    nr_imp_net_forward(wk, w, desc, T);
    nr_imp2_f0_state s;
    nr_imp2_f0_reset(&s);
    for (int t = 0; t < T; t++) {
        wk->f0s[t] = nr_imp2_f0_track(&s, hp, desc + (size_t)t * NR_NUM_DESC);
        nr_imp2_params_forward(hp, wk->tb2, wk->o + (size_t)t * O, wk->f0s[t], wk->q + (size_t)t * Q);
    }
    nr_imp2_synth_state st;
    nr_imp2_synth_state_carve(&st, hp, wk->syn_mem);
    nr_imp2_synth_forward(hp, w, wk->tb2, &st, seed, 0, wk->q, T, wk->y);
}

/* The frequency controls get the local surrogate: the exact gradient also carries every later phase
 * relation between partials (interference in the coarse STFTs), a wiggly landscape; on the tiny test run
 * it lowered the loss less (tests/test_impact2.c, docs/model.md). */
void nr_imp2_backward(nr_imp_work *wk, const nr_imp_weights *w, const nr_imp_weights_rw *g, int T, uint64_t seed)
{
    const nr_imp2_hparams *hp = wk->hp2;
    int O = wk->net.n_out, Q = wk->Q;
    memset(wk->dq, 0, (size_t)T * Q * sizeof(float));
    nr_imp2_synth_state st;
    nr_imp2_synth_state_carve(&st, hp, wk->syn_mem);
    nr_imp2_synth_backward(hp, w, wk->tb2, &st, seed, 0, wk->q, T, wk->dy, wk->dq, g->trans, wk->fft_buf,
                           wk->freq_grad);
    memset(wk->dout, 0, (size_t)T * O * sizeof(float));
    for (int t = 0; t < T; t++)
        nr_imp2_params_backward(hp, wk->tb2, wk->dout + (size_t)t * O, wk->dq + (size_t)t * Q, wk->o + (size_t)t * O,
                                wk->f0s[t]);
    nr_imp_net_backward(wk, w, g, T);
}

double nr_imp2_loss_grad(nr_imp_work *wk, const nr_stft_loss *L, const nr_desc_losses *D, const nr_loss_weights *lw,
                         const nr_imp_weights *w, const nr_imp_weights_rw *g, const float *desc, const float *target,
                         int T, uint64_t seed)
{
    nr_imp2_forward(wk, w, desc, T, seed);
    double loss = nr_train_loss(wk, L, D, lw, w, desc, target, T, g != NULL);
    if (g) nr_imp2_backward(wk, w, g, T, seed);
    return loss;
}

static double uni(uint64_t *s) { return (nr_imp_noise(s) / 1.7320508f + 1.0f) * 0.5f; } /* [0, 1) */

void nr_imp2_init_weights(const nr_imp2_hparams *hp, const nr_imp_weights_rw *w, uint64_t seed, const float *mean,
                          const float *std)
{
    uint64_t s = nr_imp_seed_mix(seed ^ 0x1A7AC72ULL);
    int H = hp->hidden, K = hp->taps, O = nr_imp2_n_out(hp);
    for (int l = 0; l < hp->layers; l++) {
        int C = l ? H : NR_IMP_N_IN;
        float a = sqrtf(3.0f / (float)(C * K)) * (l ? 0.5f : 1.0f); /* residual layers start gentle */
        for (long i = 0; i < (long)H * K * C; i++) w->conv_w[l][i] = (float)((2.0 * uni(&s) - 1.0) * a);
        for (int i = 0; i < H; i++) w->conv_b[l][i] = 0.0f;
    }
    float a = sqrtf(3.0f / (float)H) * 0.3f;
    for (long i = 0; i < (long)O * H; i++) w->head_w[i] = (float)((2.0 * uni(&s) - 1.0) * a);
    nr_imp2_init_head_bias(hp, w->head_b);
    for (int j = 0; j < hp->n_trans; j++) { /* short decaying noise bursts of different lengths */
        double tau = 48.0 * (1 << (2 * j));
        for (int n = 0; n < hp->trans_len; n++)
            w->trans[(size_t)j * hp->trans_len + n] = (float)((2.0 * uni(&s) - 1.0) * 0.2 * exp(-n / tau));
    }
    for (int i = 0; i < NR_NUM_DESC; i++) {
        w->desc_mean[i] = mean ? mean[i] : 0.0f;
        w->desc_std[i] = std ? std[i] : 1.0f;
    }
}

nr_result nr_imp2_model_from_block(const nr_imp2_hparams *hp, const float *block, nr_model **out)
{
    *out = NULL;
    nr_tensor_set ts = {0};
    nr_imp_tensor_desc tab[NR_IMP_MAX_TENSORS];
    int nt = nr_imp2_tensor_table(hp, tab);
    nr_result r = NR_OK;
    const float *p = block;
    for (int i = 0; i < nt && r == NR_OK; i++) {
        r = nr_tensor_set_add(&ts, tab[i].name, tab[i].ndim, tab[i].shape, p);
        p += tab[i].numel;
    }
    char buf[32];
    if (r == NR_OK) r = nr_tensor_set_set_meta(&ts, "nr.arch", NR_IMP2_ARCH);
    snprintf(buf, sizeof buf, "%d", NR_IMP_RATE);
    if (r == NR_OK) r = nr_tensor_set_set_meta(&ts, "nr.sample_rate", buf);
    snprintf(buf, sizeof buf, "%d", NR_IMP_HOP);
    if (r == NR_OK) r = nr_tensor_set_set_meta(&ts, "nr.hop", buf);
    if (r == NR_OK) r = nr_imp2_hparams_to_meta(hp, &ts);
    if (r != NR_OK) {
        nr_tensor_set_free(&ts);
        return r;
    }
    return nr_model_from_tensors(&ts, "trained nr-impact-2 weights", out);
}
