/* nr-impact-1: hyper-parameters, tensor table, input features and the frame-rate network ops. */
#include "impact.h"
#include "impact_simd.h"
#include "core/kernel_path.h"

#include "nr/tensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if NR_KBASE /* path-independent code: the generic build only */
nr_imp_hparams nr_imp_hparams_default(void)
{
    nr_imp_hparams hp;
    memset(&hp, 0, sizeof hp);
    hp.hidden = 96;
    hp.layers = 4;
    hp.taps = 3;
    hp.n_harm = 32;
    hp.n_inharm = 8;
    hp.n_bands = 16;
    hp.n_trans = 4;
    hp.trans_len = 2048;
    hp.band_lo = 60.0f;
    hp.band_hi = 16000.0f;
    hp.band_q = 2.0f;
    return hp;
}

nr_result nr_imp_hparams_check(const nr_imp_hparams *hp, const char *what)
{
#define RANGE(field, lo, hi)                                                                                    \
    if (!(hp->field >= (lo) && hp->field <= (hi)))                                                              \
        return nr_fail(NR_ERR_FORMAT, "%s: hyper-parameter " #field " = %g out of range %g..%g", what,          \
                       (double)hp->field, (double)(lo), (double)(hi));
    RANGE(hidden, 8, 512);
    RANGE(layers, 1, NR_IMP_MAX_LAYERS);
    RANGE(taps, 1, 8);
    RANGE(n_harm, 1, 256);
    RANGE(n_inharm, 0, 64);
    RANGE(n_bands, 1, 64);
    RANGE(n_trans, 1, 16);
    RANGE(trans_len, 1, 48000);
    RANGE(band_lo, 10.0f, 20000.0f);
    RANGE(band_hi, 10.0f, 23000.0f);
    RANGE(band_q, 0.1f, 100.0f);
#undef RANGE
    if (hp->hidden % NR_IMP_LANES)
        return nr_fail(NR_ERR_FORMAT, "%s: hidden size %d must be a multiple of %d", what, hp->hidden, NR_IMP_LANES);
    if (hp->band_hi <= hp->band_lo)
        return nr_fail(NR_ERR_FORMAT, "%s: band_hi %g must exceed band_lo %g", what, hp->band_hi, hp->band_lo);
    return NR_OK;
}

static int pad_lanes(int n) { return (n + NR_IMP_LANES - 1) / NR_IMP_LANES * NR_IMP_LANES; }
int nr_imp_n_out(const nr_imp_hparams *hp) { return 1 + hp->n_harm + hp->n_inharm + hp->n_bands + hp->n_trans; }
int nr_imp_n_partials(const nr_imp_hparams *hp) { return pad_lanes(hp->n_harm + hp->n_inharm); }
int nr_imp_n_bands_pad(const nr_imp_hparams *hp) { return pad_lanes(hp->n_bands); }
int nr_imp_n_q(const nr_imp_hparams *hp)
{
    return nr_imp_n_partials(hp) + nr_imp_n_bands_pad(hp) + hp->n_trans + 1;
}
int nr_imp_dilation(int layer) { return 1 << layer; }
int nr_imp_receptive(const nr_imp_hparams *hp, int layer) { return (hp->taps - 1) * nr_imp_dilation(layer); }

int nr_imp_tensor_table(const nr_imp_hparams *hp, nr_imp_tensor_desc *out)
{
    int n = 0, H = hp->hidden, K = hp->taps, O = nr_imp_n_out(hp);
#define ADD(nm, tr, nd, s0, s1, s2)                                                                             \
    do {                                                                                                        \
        nr_imp_tensor_desc *t = &out[n++];                                                                      \
        snprintf(t->name, sizeof t->name, "%s", nm);                                                            \
        t->ndim = nd;                                                                                           \
        t->shape[0] = s0;                                                                                       \
        t->shape[1] = s1;                                                                                       \
        t->shape[2] = s2;                                                                                       \
        t->numel = (int64_t)(s0) * (nd > 1 ? (s1) : 1) * (nd > 2 ? (s2) : 1);                                  \
        t->trainable = tr;                                                                                      \
    } while (0)
    /* trainable first: the trainer's parameter block is the prefix of this table */
    char nm[32];
    for (int l = 0; l < hp->layers; l++) {
        snprintf(nm, sizeof nm, "conv%d.weight", l);
        ADD(nm, 1, 3, H, K, l == 0 ? NR_IMP_N_IN : H);
        snprintf(nm, sizeof nm, "conv%d.bias", l);
        ADD(nm, 1, 1, H, 0, 0);
    }
    ADD("head.weight", 1, 2, O, H, 0);
    ADD("head.bias", 1, 1, O, 0, 0);
    ADD("transient", 1, 2, hp->n_trans, hp->trans_len, 0);
    ADD("desc_mean", 0, 1, NR_NUM_DESC, 0, 0);
    ADD("desc_std", 0, 1, NR_NUM_DESC, 0, 0);
    ADD("inharm_ratio", 0, 1, hp->n_inharm > 0 ? hp->n_inharm : 1, 0, 0);
#undef ADD
    return n;
}

int64_t nr_imp_table_n_values(const nr_imp_tensor_desc *t, int n, int trainable_only)
{
    int64_t s = 0;
    for (int i = 0; i < n; i++)
        if (t[i].trainable || !trainable_only) s += t[i].numel;
    return s;
}

int64_t nr_imp_n_values(const nr_imp_hparams *hp, int trainable_only)
{
    nr_imp_tensor_desc t[NR_IMP_MAX_TENSORS];
    int n = nr_imp_tensor_table(hp, t);
    return nr_imp_table_n_values(t, n, trainable_only);
}

void nr_imp_weights_carve(const nr_imp_hparams *hp, float *block, nr_imp_weights_rw *w)
{
    nr_imp_tensor_desc t[NR_IMP_MAX_TENSORS];
    int n = nr_imp_tensor_table(hp, t);
    nr_imp_table_carve(t, n, block, w);
}

/* The view's field for a tensor of the table, by name. */
static void assign(nr_imp_weights_rw *w, const char *nm, float *p)
{
    if (!strncmp(nm, "conv", 4)) {
        int l = atoi(nm + 4);
        if (strstr(nm, "weight")) w->conv_w[l] = p;
        else w->conv_b[l] = p;
    } else if (!strcmp(nm, "head.weight")) w->head_w = p;
    else if (!strcmp(nm, "head.bias")) w->head_b = p;
    else if (!strcmp(nm, "transient")) w->trans = p;
    else if (!strcmp(nm, "desc_mean")) w->desc_mean = p;
    else if (!strcmp(nm, "desc_std")) w->desc_std = p;
    else if (!strcmp(nm, "inharm_ratio")) w->ratios = p;
}

void nr_imp_table_carve(const nr_imp_tensor_desc *t, int n, float *block, nr_imp_weights_rw *w)
{
    memset(w, 0, sizeof *w);
    float *p = block;
    for (int i = 0; i < n; i++) {
        assign(w, t[i].name, p);
        p += t[i].numel;
    }
}

nr_result nr_imp_weights_bind(const nr_tensor_set *ts, const nr_imp_tensor_desc *tab, int nt, const char *arch,
                              const char *what, nr_imp_weights *out, int64_t *total)
{
    nr_imp_weights_rw w;
    memset(&w, 0, sizeof w);
    *total = 0;
    for (int i = 0; i < nt; i++) {
        const nr_tensor *t = nr_tensor_set_find(ts, tab[i].name);
        if (!t) return nr_fail(NR_ERR_FORMAT, "%s: tensor '%s' missing (%s)", what, tab[i].name, arch);
        int ok = t->ndim == tab[i].ndim;
        for (int d = 0; ok && d < t->ndim; d++) ok = t->shape[d] == tab[i].shape[d];
        if (!ok)
            return nr_fail(NR_ERR_SHAPE, "%s: tensor '%s' has the wrong shape (expected %d dims: %lld %lld %lld)", what,
                           tab[i].name, tab[i].ndim, (long long)tab[i].shape[0], (long long)tab[i].shape[1],
                           (long long)tab[i].shape[2]);
        for (int64_t j = 0; j < t->numel; j++)
            if (!isfinite(t->data[j]))
                return nr_fail(NR_ERR_VALUE, "%s: tensor '%s' holds a non-finite value at %lld", what, tab[i].name,
                               (long long)j);
        assign(&w, tab[i].name, t->data);
        *total += t->numel;
    }
    /* nothing beyond the table: an extra tensor means another model or a misspelt name (templates were
     * taken out of the set before the architecture sees it) */
    for (int i = 0; i < ts->n_tensors; i++) {
        int k = 0;
        while (k < nt && strcmp(ts->tensors[i].name, tab[k].name)) k++;
        if (k == nt)
            return nr_fail(NR_ERR_FORMAT, "%s: tensor '%s' is not used by %s; a model file holds exactly the "
                                          "architecture's tensors", what, ts->tensors[i].name, arch);
    }
    for (int i = 0; i < NR_NUM_DESC; i++)
        if (!(w.desc_std[i] > 1e-6f))
            return nr_fail(NR_ERR_VALUE, "%s: desc_std[%d] = %g must be positive", what, i, (double)w.desc_std[i]);
    memcpy(out, &w, sizeof *out); /* the read-only view has the same layout */
    return NR_OK;
}

nr_result nr_imp_meta_read(const nr_tensor_set *ts, const nr_imp_meta_key *keys, size_t n, void *hp,
                           const char *arch, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = nr_tensor_set_meta(ts, keys[i].key);
        if (!v && keys[i].optional) continue;
        if (!v) return nr_fail(NR_ERR_FORMAT, "%s: metadata %s missing (an %s model needs it)", what, keys[i].key, arch);
        char *end;
        double x = strtod(v, &end);
        if (end == v || *end || !isfinite(x))
            return nr_fail(NR_ERR_FORMAT, "%s: metadata %s = '%s' is not a number", what, keys[i].key, v);
        char *dst = (char *)hp + keys[i].off;
        if (keys[i].is_float) *(float *)dst = (float)x;
        else {
            if (x != floor(x) || fabs(x) > 1e6)
                return nr_fail(NR_ERR_FORMAT, "%s: metadata %s = '%s' must be a whole number", what, keys[i].key, v);
            *(int *)dst = (int)x;
        }
    }
    return NR_OK;
}

nr_result nr_imp_meta_write(const void *hp, const nr_imp_meta_key *keys, size_t n, size_t skip_off, nr_tensor_set *ts)
{
    char buf[64];
    nr_result r = NR_OK;
    for (size_t i = 0; i < n && r == NR_OK; i++) {
        if (keys[i].off == skip_off) {
            for (int k = 0; k < ts->n_meta; k++)
                if (!strcmp(ts->meta[k].key, keys[i].key)) nr_tensor_set_remove_meta(ts, k--);
            continue;
        }
        const char *src = (const char *)hp + keys[i].off;
        if (keys[i].is_float) snprintf(buf, sizeof buf, "%.9g", (double)*(const float *)src);
        else snprintf(buf, sizeof buf, "%d", *(const int *)src);
        r = nr_tensor_set_set_meta(ts, keys[i].key, buf);
    }
    return r;
}

static const nr_imp_meta_key g_meta[] = {
    {"impact.hidden", offsetof(nr_imp_hparams, hidden), 0, 0},
    {"impact.layers", offsetof(nr_imp_hparams, layers), 0, 0},
    {"impact.taps", offsetof(nr_imp_hparams, taps), 0, 0},
    {"impact.n_harm", offsetof(nr_imp_hparams, n_harm), 0, 0},
    {"impact.n_inharm", offsetof(nr_imp_hparams, n_inharm), 0, 0},
    {"impact.n_bands", offsetof(nr_imp_hparams, n_bands), 0, 0},
    {"impact.n_trans", offsetof(nr_imp_hparams, n_trans), 0, 0},
    {"impact.trans_len", offsetof(nr_imp_hparams, trans_len), 0, 0},
    {"impact.band_lo", offsetof(nr_imp_hparams, band_lo), 1, 0},
    {"impact.band_hi", offsetof(nr_imp_hparams, band_hi), 1, 0},
    {"impact.band_q", offsetof(nr_imp_hparams, band_q), 1, 0},
};
#define N_META (sizeof g_meta / sizeof g_meta[0])

nr_result nr_imp_hparams_from_meta(const nr_tensor_set *ts, nr_imp_hparams *hp, const char *what)
{
    memset(hp, 0, sizeof *hp);
    nr_result r = nr_imp_meta_read(ts, g_meta, N_META, hp, NR_IMP_ARCH, what);
    return r == NR_OK ? nr_imp_hparams_check(hp, what) : r;
}

nr_result nr_imp_hparams_to_meta(const nr_imp_hparams *hp, nr_tensor_set *ts)
{
    return nr_imp_meta_write(hp, g_meta, N_META, NR_IMP_META_KEEP_ALL, ts);
}

/* ---- input features ---- */

static float clampf(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }

void nr_imp_desc_transform(const float desc[NR_NUM_DESC], float *v)
{
    for (int i = 0; i < NR_NUM_DESC; i++) {
        float d = isfinite(desc[i]) ? desc[i] : 0.0f;
        switch (i) {
        case NR_DESC_LOUDNESS: v[i] = logf(clampf(d, 1e-6f, 10.0f)); break;
        case NR_DESC_PERCUSSIVITY: v[i] = clampf(d, 0.0f, 1.0f); break;
        case NR_DESC_NOISINESS: v[i] = logf(clampf(d, 1e-6f, 1.0f)); break;
        default: v[i] = logf(clampf(d, 1.0f, 48000.0f)); break; /* Hz columns */
        }
    }
}

void nr_imp_features(const nr_imp_weights *w, const float desc[NR_NUM_DESC], long frame, float *x)
{
    float v[NR_NUM_DESC];
    nr_imp_desc_transform(desc, v);
    for (int i = 0; i < NR_NUM_DESC; i++) x[i] = clampf((v[i] - w->desc_mean[i]) / w->desc_std[i], -8.0f, 8.0f);
    /* onset clock: -1 at the trigger, ~0.5 after 1 s; lets the causal network know the age of the sound */
    double t = (double)(frame < 0 ? 0 : frame) * NR_IMP_HOP / NR_IMP_RATE;
    x[NR_NUM_DESC] = (float)(0.5 * log1p(20.0 * t) - 1.0);
}

float nr_imp_f0(const float desc[NR_NUM_DESC])
{
    float f = desc[NR_DESC_PITCH];
    if (!isfinite(f)) f = NR_IMP_F0_MIN;
    return clampf(f, NR_IMP_F0_MIN, NR_IMP_F0_MAX);
}

/* ---- causal conv ---- */

void nr_imp_conv_forward_ref(float *y, const float *x, const float *w, const float *b, int T, int C_in, int C_out,
                             int K, int d)
{
    for (int t = 0; t < T; t++)
        for (int o = 0; o < C_out; o++) {
            double s = b[o];
            for (int k = 0; k < K; k++) {
                int ts = t - (K - 1 - k) * d;
                if (ts < 0) continue;
                for (int i = 0; i < C_in; i++) s += (double)w[((size_t)o * K + k) * C_in + i] * x[(size_t)ts * C_in + i];
            }
            y[(size_t)t * C_out + o] = (float)s;
        }
}

#endif

/* u (K*C_in): the taps of frame t side by side, zeros before frame 0. */
static void gather(float *u, const float *x, int t, int C_in, int K, int d)
{
    for (int k = 0; k < K; k++) {
        int ts = t - (K - 1 - k) * d;
        if (ts < 0) memset(u + (size_t)k * C_in, 0, (size_t)C_in * sizeof(float));
        else memcpy(u + (size_t)k * C_in, x + (size_t)ts * C_in, (size_t)C_in * sizeof(float));
    }
}

void NR_K(nr_imp_conv_forward)(float *y, const float *x, const float *w, const float *b, int T, int C_in, int C_out,
                         int K, int d)
{
    float u[8 * 512] __attribute__((aligned(32)));
    int n = K * C_in;
    for (int t = 0; t < T; t++) {
        gather(u, x, t, C_in, K, d);
        nr_imp_matvec(y + (size_t)t * C_out, w, u, b, C_out, n);
    }
}

#if NR_KBASE
void nr_imp_conv_backward_ref(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                              int T, int C_in, int C_out, int K, int d)
{
    for (int t = 0; t < T; t++)
        for (int o = 0; o < C_out; o++) {
            float g = dy[(size_t)t * C_out + o];
            db[o] += g;
            for (int k = 0; k < K; k++) {
                int ts = t - (K - 1 - k) * d;
                if (ts < 0) continue;
                for (int i = 0; i < C_in; i++) {
                    dw[((size_t)o * K + k) * C_in + i] += g * x[(size_t)ts * C_in + i];
                    if (dx) dx[(size_t)ts * C_in + i] += g * w[((size_t)o * K + k) * C_in + i];
                }
            }
        }
}

#endif

void NR_K(nr_imp_conv_backward)(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w, int T,
                          int C_in, int C_out, int K, int d)
{
    float u[8 * 512] __attribute__((aligned(32)));
    float du[8 * 512] __attribute__((aligned(32)));
    int n = K * C_in;
    for (int t = 0; t < T; t++) {
        gather(u, x, t, C_in, K, d);
        const float *g = dy + (size_t)t * C_out;
        if (dx) memset(du, 0, (size_t)n * sizeof(float));
        for (int o = 0; o < C_out; o++) {
            if (g[o] == 0.0f) continue;
            db[o] += g[o];
            nr_imp_axpy(dw + (size_t)o * n, g[o], u, n);
            if (dx) nr_imp_axpy(du, g[o], w + (size_t)o * n, n);
        }
        if (!dx) continue;
        for (int k = 0; k < K; k++) {
            int ts = t - (K - 1 - k) * d;
            if (ts < 0) continue;
            float *dxt = dx + (size_t)ts * C_in;
            const float *duk = du + (size_t)k * C_in;
            for (int i = 0; i < C_in; i++) dxt[i] += duk[i];
        }
    }
}

#if NR_KBASE
void nr_imp_tanh_forward(float *y, const float *x, long n)
{
    nr_imp_tanh_n(y, x, n);
}

void nr_imp_tanh_backward(float *dx, const float *dy, const float *y, long n)
{
    for (long i = 0; i < n; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
}

/* ---- output head -> synthesis parameters ---- */

#define LN10 2.302585093f
/* 2 sigmoid(x)^ln10 on 8 lanes (x clamped to +-30), and 1 - sigmoid(x) = e^-x sigmoid(x) in *oms
 * (exact where sigmoid rounds to 1): the power as e^(ln10 ln s), through the lane-exact nr_v8_exp and
 * nr_v8_log. */
static inline nr_v8 pow_sigmoid_v8(nr_v8 x, nr_v8 *oms)
{
    const nr_v8 one = nr_v8_set1(1.0f);
    x = nr_v8_clamp(x, -30.0f, 30.0f);
    const nr_v8 t = nr_v8_exp(-x), s = one / (one + t);
    *oms = t * s;
    return nr_v8_set1(2.0f) * nr_v8_exp(nr_v8_set1(LN10) * nr_v8_log(s));
}

float nr_imp_exp_sigmoid(float x)
{
    nr_v8 s;
    return (pow_sigmoid_v8(nr_v8_set1(x), &s) + nr_v8_set1(1e-7f))[0];
}

void nr_imp_exp_sigmoid_n(float *y, const float *x, int n)
{
    nr_v8 s;
    int i = 0;
    for (; i + 8 <= n; i += 8) nr_v8_store(y + i, pow_sigmoid_v8(nr_v8_load(x + i), &s) + nr_v8_set1(1e-7f));
    for (; i < n; i++) y[i] = nr_imp_exp_sigmoid(x[i]);
}

float nr_imp_exp_sigmoid_grad(float x)
{
    if (x < -30.0f || x > 30.0f) return 0.0f;
    nr_v8 s;
    const float p = pow_sigmoid_v8(nr_v8_set1(x), &s)[0]; /* 2 s^ln10; s: 1 - sigmoid */
    return LN10 * p * s[0];
}

static float partial_freq(const nr_imp_hparams *hp, const nr_imp_weights *w, int p, float f0)
{
    if (p < hp->n_harm) return (float)(p + 1) * f0;
    if (p < hp->n_harm + hp->n_inharm) return w->ratios[p - hp->n_harm] * f0;
    return 0.0f;
}

void nr_imp_params_forward(const nr_imp_hparams *hp, const nr_imp_weights *w, const float *o, float f0, float *q)
{
    int P = nr_imp_n_partials(hp), NBP = nr_imp_n_bands_pad(hp), NH = hp->n_harm, NI = hp->n_inharm;
    float A = nr_imp_exp_sigmoid(o[0]);
    float mx = -1e30f;
    for (int h = 0; h < NH; h++)
        if (partial_freq(hp, w, h, f0) < NR_IMP_FMAX && o[1 + h] > mx) mx = o[1 + h];
    double z = 0.0;
    for (int h = 0; h < NH; h++) {
        float e = partial_freq(hp, w, h, f0) < NR_IMP_FMAX ? expf(o[1 + h] - mx) : 0.0f;
        q[h] = e;
        z += e;
    }
    float sc = z > 0.0 ? (float)(A / z) : 0.0f;
    for (int h = 0; h < NH; h++) q[h] *= sc;
    for (int i = 0; i < NI; i++) {
        float f = partial_freq(hp, w, NH + i, f0);
        q[NH + i] = (f > 0.0f && f < NR_IMP_FMAX) ? nr_imp_exp_sigmoid(o[1 + NH + i]) : 0.0f;
    }
    for (int p = NH + NI; p < P; p++) q[p] = 0.0f;
    const float *ob = o + 1 + NH + NI;
    for (int b = 0; b < NBP; b++) q[P + b] = b < hp->n_bands ? nr_imp_exp_sigmoid(ob[b]) : 0.0f;
    const float *ot = ob + hp->n_bands;
    for (int j = 0; j < hp->n_trans; j++) q[P + NBP + j] = nr_imp_exp_sigmoid(ot[j]);
    q[P + NBP + hp->n_trans] = f0;
}

void nr_imp_params_backward(const nr_imp_hparams *hp, const nr_imp_weights *w, float *dout, const float *dq,
                            const float *o, float f0)
{
    int P = nr_imp_n_partials(hp), NBP = nr_imp_n_bands_pad(hp), NH = hp->n_harm, NI = hp->n_inharm;
    /* recompute the softmax s; q_h = A s_h */
    float mx = -1e30f;
    for (int h = 0; h < NH; h++)
        if (partial_freq(hp, w, h, f0) < NR_IMP_FMAX && o[1 + h] > mx) mx = o[1 + h];
    float s[256];
    double z = 0.0;
    for (int h = 0; h < NH; h++) {
        s[h] = partial_freq(hp, w, h, f0) < NR_IMP_FMAX ? expf(o[1 + h] - mx) : 0.0f;
        z += s[h];
    }
    double dA = 0.0;
    for (int h = 0; h < NH; h++) {
        s[h] = z > 0.0 ? (float)(s[h] / z) : 0.0f;
        dA += (double)dq[h] * s[h];
    }
    float A = nr_imp_exp_sigmoid(o[0]);
    dout[0] += (float)dA * nr_imp_exp_sigmoid_grad(o[0]);
    for (int h = 0; h < NH; h++)
        if (s[h] > 0.0f) dout[1 + h] += A * s[h] * (dq[h] - (float)dA);
    for (int i = 0; i < NI; i++) {
        float f = partial_freq(hp, w, NH + i, f0);
        if (f > 0.0f && f < NR_IMP_FMAX) dout[1 + NH + i] += dq[NH + i] * nr_imp_exp_sigmoid_grad(o[1 + NH + i]);
    }
    const float *ob = o + 1 + NH + NI;
    float *db = dout + 1 + NH + NI;
    for (int b = 0; b < hp->n_bands; b++) db[b] += dq[P + b] * nr_imp_exp_sigmoid_grad(ob[b]);
    const float *ot = ob + hp->n_bands;
    float *dt = db + hp->n_bands;
    for (int j = 0; j < hp->n_trans; j++) dt[j] += dq[P + NBP + j] * nr_imp_exp_sigmoid_grad(ot[j]);
}

/* ---- the network one frame at a time ---- */

nr_imp_net_dims nr_imp_net_dims_of(const nr_imp_hparams *hp)
{
    return (nr_imp_net_dims){hp->hidden, hp->layers, hp->taps, nr_imp_n_out(hp)};
}

static size_t pad16(size_t n) { return (n + 15) / 16 * 16; }
static int ring_len(const nr_imp_net_dims *d, int l) { return (d->taps - 1) * nr_imp_dilation(l) + 1; }

size_t nr_imp_net_stream_floats(const nr_imp_net_dims *d)
{
    int H = d->hidden;
    size_t total = 0;
    for (int l = 0; l < d->layers; l++) total += pad16((size_t)ring_len(d, l) * (l ? H : NR_IMP_N_IN));
    return total + pad16((size_t)d->taps * (H > NR_IMP_N_IN ? H : NR_IMP_N_IN)) + 2 * pad16(H) + pad16(NR_IMP_N_IN);
}

void nr_imp_net_stream_carve(nr_imp_net_stream *s, const nr_imp_net_dims *d, float *mem)
{
    memset(s, 0, sizeof *s);
    s->d = *d;
    int H = d->hidden;
    float *p = mem;
    for (int l = 0; l < d->layers; l++) {
        s->ring_len[l] = ring_len(d, l);
        s->ring[l] = p;
        p += pad16((size_t)s->ring_len[l] * (l ? H : NR_IMP_N_IN));
    }
    s->u = p, p += pad16((size_t)d->taps * (H > NR_IMP_N_IN ? H : NR_IMP_N_IN));
    s->h = p, p += pad16(H);
    s->a = p, p += pad16(H);
    s->x = p;
}

void nr_imp_net_stream_reset(nr_imp_net_stream *s)
{
    for (int l = 0; l < s->d.layers; l++)
        memset(s->ring[l], 0, (size_t)s->ring_len[l] * (l ? s->d.hidden : NR_IMP_N_IN) * sizeof(float));
}

#endif

void NR_K(nr_imp_net_stream_step)(nr_imp_net_stream *s, const nr_imp_weights *w, const float desc[NR_NUM_DESC],
                            long frame, float *o)
{
    int H = s->d.hidden, K = s->d.taps;
    nr_imp_features(w, desc, frame, s->x);
    const float *in = s->x;
    for (int l = 0; l < s->d.layers; l++) {
        int C = l ? H : NR_IMP_N_IN, R = s->ring_len[l], d = nr_imp_dilation(l);
        memcpy(s->ring[l] + (size_t)(frame % R) * C, in, (size_t)C * sizeof(float));
        for (int k = 0; k < K; k++) {
            long ts = frame - (long)(K - 1 - k) * d;
            if (ts < 0) memset(s->u + (size_t)k * C, 0, (size_t)C * sizeof(float));
            else memcpy(s->u + (size_t)k * C, s->ring[l] + (size_t)(ts % R) * C, (size_t)C * sizeof(float));
        }
        nr_imp_matvec(s->a, w->conv_w[l], s->u, w->conv_b[l], H, K * C);
        nr_imp_tanh_n(s->a, s->a, H);
        for (int i = 0; i < H; i++) s->h[i] = (l ? s->h[i] : 0.0f) + s->a[i];
        in = s->h;
    }
    nr_imp_matvec(o, w->head_w, s->h, w->head_b, s->d.n_out, H);
}

#if NR_KBASE
void nr_imp_info_desc(const float *mean, const float *std, float *raw_mean, float *raw_std)
{
    /* The info speaks raw units (controls shift curves by z * std around mean): for the log columns
     * the median exp(mean) and the first-order spread exp(mean) * std of the stored log statistics. */
    for (int i = 0; i < NR_NUM_DESC; i++) {
        if (i == NR_DESC_PERCUSSIVITY) {
            raw_mean[i] = mean[i];
            raw_std[i] = std[i];
        } else {
            float med = expf(mean[i]);
            raw_mean[i] = med;
            raw_std[i] = med * std[i];
        }
    }
}

nr_result nr_imp_desc_meta(const float *mean, const float *std, nr_tensor_set *ts)
{
    char buf[512];
    const float *v[2] = {mean, std};
    const char *key[2] = {"nr.desc_mean", "nr.desc_std"};
    nr_result r = NR_OK;
    for (int k = 0; k < 2 && r == NR_OK; k++) {
        int len = 0;
        for (int i = 0; i < NR_NUM_DESC; i++)
            len += snprintf(buf + len, sizeof buf - (size_t)len, "%s%.9g", i ? "," : "", (double)v[k][i]);
        r = nr_tensor_set_set_meta(ts, key[k], buf);
    }
    if (r == NR_OK)
        r = nr_tensor_set_set_meta(ts, "nr.desc_transform",
                                   "log(max(x,1e-6)) for loudness and noisiness, log(max(x,1)) for the Hz columns, "
                                   "zcr as is; then (v - desc_mean) / desc_std");
    return r;
}

/* The frame-rate network's products on the path's 8-lane vectors (AVX2: one register each) */
#define IMP_NET_KERNELS(X)                                                                             \
    X(void, nr_imp_conv_forward,                                                                       \
      (float *y, const float *x, const float *w, const float *b, int T, int C_in, int C_out, int K, int d), \
      (y, x, w, b, T, C_in, C_out, K, d))                                                              \
    X(void, nr_imp_conv_backward,                                                                      \
      (float *dx, float *dw, float *db, const float *dy, const float *x, const float *w, int T, int C_in, \
       int C_out, int K, int d),                                                                       \
      (dx, dw, db, dy, x, w, T, C_in, C_out, K, d))                                                    \
    X(void, nr_imp_net_stream_step,                                                                    \
      (nr_imp_net_stream * s, const nr_imp_weights *w, const float desc[NR_NUM_DESC], long frame, float *o), \
      (s, w, desc, frame, o))
NR_DISPATCH(IMP_NET_KERNELS)
#endif
