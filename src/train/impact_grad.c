/* One clip through nr-impact-1, forward and backward, over buffers carved from one block. */
#include "train_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t pad16(size_t n) { return (n + 15) / 16 * 16; }

nr_result nr_imp_work_init_dims(nr_imp_work *wk, const nr_imp_net_dims *net, int Q_, size_t syn_floats, int with_fft,
                                const nr_stft_loss *L, const nr_desc_losses *D, int T_max)
{
    memset(wk, 0, sizeof *wk);
    wk->net = *net;
    wk->T_max = T_max;
    wk->Q = Q_;
    size_t T = (size_t)T_max, H = (size_t)net->hidden, O = (size_t)net->n_out, Q = (size_t)Q_;
    size_t N = T * NR_IMP_HOP;
    /* size table (floats), in carve order */
    size_t sz_x = pad16(T * NR_IMP_N_IN), sz_th = pad16(T * H), sz_o = pad16(T * O), sz_q = pad16(T * Q),
           sz_y = pad16(N), sz_syn = pad16(syn_floats), sz_stft = 2 * pad16(nr_stft_work_doubles(L, (long)N));
    size_t sz_desc = pad16(T * NR_NUM_DESC), sz_f0 = with_fft ? pad16(T) : 0,
           sz_fft = with_fft ? pad16(NR_IMP2_NFFT + 16) : 0,
           sz_dwork = D ? 2 * pad16(nr_desc_losses_work_doubles(D, (long)N)) : 0;
    size_t total = sz_x + 2 * (size_t)net->layers * sz_th + sz_o + sz_q + sz_y + 3 * sz_th + sz_o + sz_q + sz_y +
                   sz_syn + sz_desc + sz_f0 + sz_fft + sz_dwork + sz_stft;
    float *p = aligned_alloc(64, total * sizeof(float));
    if (!p) return nr_fail(NR_ERR_NOMEM, "trainer: out of memory for %d frames of activations", T_max);
    memset(p, 0, total * sizeof(float));
    wk->block = p;
    wk->syn_mem = p, p += sz_syn; /* first: nr-impact-2's FFT buffer in it needs 64-byte alignment */
    wk->x = p, p += sz_x;
    for (int l = 0; l < net->layers; l++) {
        wk->z[l] = p, p += sz_th;
        wk->h[l] = p, p += sz_th;
    }
    wk->o = p, p += sz_o;
    wk->q = p, p += sz_q;
    wk->y = p, p += sz_y;
    wk->dh = p, p += sz_th;
    wk->dh2 = p, p += sz_th;
    wk->da = p, p += sz_th;
    wk->dout = p, p += sz_o;
    wk->dq = p, p += sz_q;
    wk->dy = p, p += sz_y;
    wk->desc_buf = p, p += sz_desc;
    if (with_fft) {
        wk->f0s = p, p += sz_f0;
        wk->fft_buf = p, p += sz_fft;
    }
    wk->desc_work = D ? (double *)p : NULL, p += sz_dwork; /* doubles: 2 floats each, 64-byte aligned */
    wk->stft_work = (double *)p; /* 64-byte aligned: every size above is a multiple of 16 floats */
    return NR_OK;
}

nr_result nr_imp_work_init(nr_imp_work *wk, const nr_imp_hparams *hp, const nr_imp_bands *bands,
                           const nr_stft_loss *L, const nr_desc_losses *D, int T_max)
{
    nr_imp_net_dims net = nr_imp_net_dims_of(hp);
    nr_result r = nr_imp_work_init_dims(wk, &net, nr_imp_n_q(hp), nr_imp_synth_state_floats(hp), 0, L, D, T_max);
    wk->hp = hp;
    wk->bands = bands;
    return r;
}

void nr_imp_work_free(nr_imp_work *wk)
{
    free(wk->block);
    memset(wk, 0, sizeof *wk);
}

void nr_imp_net_forward(nr_imp_work *wk, const nr_imp_weights *w, const float *desc, int T)
{
    int H = wk->net.hidden, K = wk->net.taps, O = wk->net.n_out;
    for (int t = 0; t < T; t++) nr_imp_features(w, desc + (size_t)t * NR_NUM_DESC, t, wk->x + (size_t)t * NR_IMP_N_IN);
    const float *in = wk->x;
    for (int l = 0; l < wk->net.layers; l++) {
        int C = l ? H : NR_IMP_N_IN;
        nr_imp_conv_forward(wk->da, in, w->conv_w[l], w->conv_b[l], T, C, H, K, nr_imp_dilation(l));
        nr_imp_tanh_forward(wk->z[l], wk->da, (long)T * H);
        for (long i = 0; i < (long)T * H; i++) wk->h[l][i] = (l ? wk->h[l - 1][i] : 0.0f) + wk->z[l][i];
        in = wk->h[l];
    }
    nr_imp_conv_forward(wk->o, in, w->head_w, w->head_b, T, H, O, 1, 1);
}

void nr_imp_net_backward(nr_imp_work *wk, const nr_imp_weights *w, const nr_imp_weights_rw *g, int T)
{
    int H = wk->net.hidden, K = wk->net.taps, O = wk->net.n_out, L = wk->net.layers;
    size_t TH = (size_t)T * H;
    memset(wk->dh, 0, TH * sizeof(float));
    nr_imp_conv_backward(wk->dh, g->head_w, g->head_b, wk->dout, wk->h[L - 1], w->head_w, T, H, O, 1, 1);
    for (int l = L - 1; l >= 0; l--) {
        /* h_l = h_{l-1} + z_l: dh flows to h_{l-1} unchanged and through the conv of layer l */
        memset(wk->da, 0, TH * sizeof(float));
        nr_imp_tanh_backward(wk->da, wk->dh, wk->z[l], (long)TH);
        int C = l ? H : NR_IMP_N_IN;
        float *dprev = NULL;
        if (l > 0) {
            memcpy(wk->dh2, wk->dh, TH * sizeof(float));
            dprev = wk->dh2;
        }
        nr_imp_conv_backward(dprev, g->conv_w[l], g->conv_b[l], wk->da, l ? wk->h[l - 1] : wk->x, w->conv_w[l], T, C,
                             H, K, nr_imp_dilation(l));
        float *tmp = wk->dh;
        wk->dh = wk->dh2;
        wk->dh2 = tmp;
    }
}

void nr_imp_forward(nr_imp_work *wk, const nr_imp_weights *w, const float *desc, int T, uint64_t seed)
{
    const nr_imp_hparams *hp = wk->hp;
    int O = wk->net.n_out, Q = wk->Q;
    nr_imp_net_forward(wk, w, desc, T);
    for (int t = 0; t < T; t++)
        nr_imp_params_forward(hp, w, wk->o + (size_t)t * O, nr_imp_f0(desc + (size_t)t * NR_NUM_DESC),
                              wk->q + (size_t)t * Q);
    nr_imp_synth_state st;
    nr_imp_synth_state_carve(&st, hp, wk->syn_mem);
    nr_imp_synth_forward(hp, w, wk->bands, &st, seed, 0, wk->q, T, wk->y);
}

void nr_imp_backward(nr_imp_work *wk, const nr_imp_weights *w, const nr_imp_weights_rw *g, const float *desc, int T,
                     uint64_t seed)
{
    const nr_imp_hparams *hp = wk->hp;
    int O = wk->net.n_out, Q = wk->Q;
    memset(wk->dq, 0, (size_t)T * Q * sizeof(float));
    nr_imp_synth_state st;
    nr_imp_synth_state_carve(&st, hp, wk->syn_mem);
    nr_imp_synth_backward(hp, w, wk->bands, &st, seed, 0, wk->q, T, wk->dy, wk->dq, g->trans);
    memset(wk->dout, 0, (size_t)T * O * sizeof(float));
    for (int t = 0; t < T; t++)
        nr_imp_params_backward(hp, w, wk->dout + (size_t)t * O, wk->dq + (size_t)t * Q, wk->o + (size_t)t * O,
                               nr_imp_f0(desc + (size_t)t * NR_NUM_DESC));
    nr_imp_net_backward(wk, w, g, T);
}

double nr_train_loss(nr_imp_work *wk, const nr_stft_loss *L, const nr_desc_losses *D, const nr_loss_weights *lw,
                     const nr_imp_weights *w, const float *desc, const float *target, int T, int grad)
{
    long n = (long)T * NR_IMP_HOP;
    float *dy = grad ? wk->dy : NULL;
    if (grad) memset(wk->dy, 0, (size_t)n * sizeof(float));
    double loss = 0.0;
    const int moved = lw && lw->moved;
    if (target && moved) loss += nr_stft_click_eval(L, wk->y, target, n, dy, wk->stft_work);
    else if (target) loss += nr_stft_loss_eval(L, wk->y, target, n, dy, wk->stft_work);
    memset(wk->terms, 0, sizeof wk->terms);
    if (D && lw && wk->desc_work)
        loss += nr_desc_losses_eval(D, wk->y, n, desc, moved ? NULL : target, T, NR_IMP_HOP, NR_IMP_RATE, w->desc_mean,
                                    w->desc_std, lw->desc, dy, 1.0, wk->desc_work, wk->terms);
    return loss;
}

double nr_imp_loss_grad(nr_imp_work *wk, const nr_stft_loss *L, const nr_desc_losses *D, const nr_loss_weights *lw,
                        const nr_imp_weights *w, const nr_imp_weights_rw *g, const float *desc, const float *target,
                        int T, uint64_t seed)
{
    nr_imp_forward(wk, w, desc, T, seed);
    double loss = nr_train_loss(wk, L, D, lw, w, desc, target, T, g != NULL);
    if (g) nr_imp_backward(wk, w, g, desc, T, seed);
    return loss;
}

/* ---- initial weights ---- */

static double uni(uint64_t *s) { return (nr_imp_noise(s) / 1.7320508f + 1.0f) * 0.5f; } /* [0, 1) */

void nr_imp_init_weights(const nr_imp_hparams *hp, const nr_imp_weights_rw *w, uint64_t seed, const float *mean,
                         const float *std)
{
    uint64_t s = nr_imp_seed_mix(seed ^ 0x1A7AC7ULL);
    int H = hp->hidden, K = hp->taps, O = nr_imp_n_out(hp);
    for (int l = 0; l < hp->layers; l++) {
        int C = l ? H : NR_IMP_N_IN;
        float a = sqrtf(3.0f / (float)(C * K)) * (l ? 0.5f : 1.0f); /* residual layers start gentle */
        for (long i = 0; i < (long)H * K * C; i++) w->conv_w[l][i] = (float)((2.0 * uni(&s) - 1.0) * a);
        for (int i = 0; i < H; i++) w->conv_b[l][i] = 0.0f;
    }
    float a = sqrtf(3.0f / (float)H) * 0.3f;
    for (long i = 0; i < (long)O * H; i++) w->head_w[i] = (float)((2.0 * uni(&s) - 1.0) * a);
    for (int i = 0; i < O; i++) w->head_b[i] = i == 0 ? -1.0f : (i <= hp->n_harm ? 0.0f : -2.5f);
    /* transients: short decaying noise bursts of different lengths */
    for (int j = 0; j < hp->n_trans; j++) {
        double tau = 48.0 * (1 << (2 * j));
        for (int n = 0; n < hp->trans_len; n++)
            w->trans[(size_t)j * hp->trans_len + n] = (float)((2.0 * uni(&s) - 1.0) * 0.2 * exp(-n / tau));
    }
    /* free-free bar modes, then circular membrane modes (ratios to the fundamental) */
    static const float ratios[] = {2.756f, 5.404f, 8.933f, 1.593f, 2.136f, 2.296f, 2.653f, 2.917f,
                                   3.155f, 3.500f, 3.598f, 3.647f, 4.059f, 4.230f, 13.34f, 1.414f};
    for (int i = 0; i < hp->n_inharm; i++) w->ratios[i] = ratios[i % 16] * (1.0f + 0.01f * (float)(i / 16));
    for (int i = 0; i < NR_NUM_DESC; i++) {
        w->desc_mean[i] = mean ? mean[i] : 0.0f;
        w->desc_std[i] = std ? std[i] : 1.0f;
    }
}

nr_result nr_imp_model_from_block(const nr_imp_hparams *hp, const float *block, nr_model **out)
{
    *out = NULL;
    nr_tensor_set ts = {0};
    nr_imp_tensor_desc tab[NR_IMP_MAX_TENSORS];
    int nt = nr_imp_tensor_table(hp, tab);
    nr_result r = NR_OK;
    const float *p = block;
    for (int i = 0; i < nt && r == NR_OK; i++) {
        r = nr_tensor_set_add(&ts, tab[i].name, tab[i].ndim, tab[i].shape, p);
        p += tab[i].numel;
    }
    char buf[32];
    if (r == NR_OK) r = nr_tensor_set_set_meta(&ts, "nr.arch", NR_IMP_ARCH);
    snprintf(buf, sizeof buf, "%d", NR_IMP_RATE);
    if (r == NR_OK) r = nr_tensor_set_set_meta(&ts, "nr.sample_rate", buf);
    snprintf(buf, sizeof buf, "%d", NR_IMP_HOP);
    if (r == NR_OK) r = nr_tensor_set_set_meta(&ts, "nr.hop", buf);
    if (r == NR_OK) r = nr_imp_hparams_to_meta(hp, &ts);
    if (r != NR_OK) {
        nr_tensor_set_free(&ts);
        return r;
    }
    return nr_model_from_tensors(&ts, "trained nr-impact-1 weights", out);
}
