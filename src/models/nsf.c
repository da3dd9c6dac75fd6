/* The original Neurorack model, hn-sinc-NSF: tensor checks, hyper-parameters, model info.
 * The rest: nsf_cond.c (condition module), nsf_source.c (harmonic and noise sources), nsf_filter.c
 * (neural filter blocks and sinc filters), nsf_offline.c (whole-sound render, the reference),
 * nsf_voice.c (streaming voice); shared declarations in nsf_internal.h. */
#include "nsf_internal.h"
#include "dsp/dilated_conv.h"
#include "dsp/gemm64.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSF_CLASS "models.nsf.sinc_nsf.Model"
#define NSF_ARCH "hn-sinc-nsf"

static int matches(const nr_tensor_set *ts)
{
    const char *cls = nr_tensor_set_meta(ts, "__class__");
    const char *arch = nr_tensor_set_meta(ts, "nr.arch");
    return (cls && !strcmp(cls, NSF_CLASS)) || (arch && !strcmp(arch, NSF_ARCH));
}

/* A hyper-parameter: the native key first, else the original module attribute(s). */
static nr_result meta_num(const nr_tensor_set *ts, const char *what, const char *native, const char *orig,
                          double lo, double hi, double *out)
{
    const char *v = nr_tensor_set_meta(ts, native);
    const char *key = native;
    if (!v && orig) {
        v = nr_tensor_set_meta(ts, orig);
        key = orig;
    }
    if (!v)
        return nr_fail(NR_ERR_FORMAT, "%s: hyper-parameter '%s'%s%s%s missing from the model metadata", what, native,
                       orig ? " (or '" : "", orig ? orig : "", orig ? "')" : "");
    char *end = NULL;
    double d = strtod(v, &end);
    if (end == v || !isfinite(d) || d < lo || d > hi)
        return nr_fail(NR_ERR_VALUE, "%s: hyper-parameter '%s' = '%s'; expected a number in [%g, %g]", what, key, v,
                       lo, hi);
    *out = d;
    return NR_OK;
}

static nr_result get_tensor(const nr_model *m, nsf_weights *w, const char *what, const char *name, int ndim,
                            const int64_t *shape, const float **out)
{
    const nr_tensor *t = nr_tensor_set_find(&m->ts, name);
    if (!t) return nr_fail(NR_ERR_FORMAT, "%s: tensor '%s' missing (not an hn-sinc-NSF model?)", what, name);
    if (w->used) w->used[t - m->ts.tensors] = 1;
    int ok = t->ndim == ndim;
    for (int d = 0; ok && d < ndim; d++) ok = t->shape[d] == shape[d];
    if (!ok) {
        char got[96] = "", want[96] = "";
        for (int d = 0; d < t->ndim; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? "," : "", (long long)t->shape[d]);
        for (int d = 0; d < ndim; d++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", d ? "," : "", (long long)shape[d]);
        return nr_fail(NR_ERR_SHAPE, "%s: tensor '%s' has shape (%s); expected (%s)", what, name, got, want);
    }
    *out = t->data;
    return NR_OK;
}

#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})
#define NDIM(...) ((int)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
#define GET(name, ptr, ...)                                                                   \
    do {                                                                                      \
        r = get_tensor(m, w, what, name, NDIM(__VA_ARGS__), SHAPE(__VA_ARGS__), (const float **)(ptr)); \
        if (r != NR_OK) return r;                                                             \
    } while (0)

static nr_result build_block(nr_model *m, nsf_weights *w, const char *what, const char *prefix, int n_convs,
                             nsf_block *b)
{
    nr_result r;
    char name[160];
    const int64_t H = w->hidden;
    const float *scale;
    b->n_convs = n_convs;
    snprintf(name, sizeof name, "%s.scale", prefix);
    GET(name, &scale, 1);
    b->scale = scale[0];
    snprintf(name, sizeof name, "%s.l_ff_1.weight", prefix);
    GET(name, &b->ff1, H, 1);
    snprintf(name, sizeof name, "%s.l_ff_2.weight", prefix);
    GET(name, &b->ff2, H / 4, H);
    if ((H / 4) % 16 == 0) {
        b->ff2t = aligned_alloc(64, ((size_t)H * (H / 4) * sizeof(float) + 63) & ~(size_t)63);
        if (!b->ff2t) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
        nr_gemm_pack(b->ff2, (int)(H / 4), (int)H, b->ff2t);
    }
    snprintf(name, sizeof name, "%s.l_ff_3.weight", prefix);
    GET(name, &b->ff3, 1, H / 4);
    for (int i = 0; i < n_convs; i++) {
        snprintf(name, sizeof name, "%s.l_convs.%d.weight", prefix, i);
        GET(name, &b->conv[i], H, H, 3);
        b->dil[i] = 1 << i;
        b->packed[i] = aligned_alloc(64, ((size_t)H * 3 * H * sizeof(float) + 63) & ~(size_t)63);
        b->wino[i] = aligned_alloc(64, ((size_t)H * 4 * H * sizeof(float) + 63) & ~(size_t)63);
        if (!b->packed[i] || !b->wino[i]) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
        nr_dconv3_pack(b->conv[i], (int)H, b->packed[i]);
        nr_dconv3_pack_winograd(b->conv[i], (int)H, b->wino[i]);
    }
    /* the stored module's own conv count, when the reader gave it, must agree */
    snprintf(name, sizeof name, "%s.conv_num", prefix);
    const char *cn = nr_tensor_set_meta(&m->ts, name);
    if (cn && atoi(cn) != n_convs)
        return nr_fail(NR_ERR_FORMAT, "%s: %s has %s convolutions; expected %d", what, prefix, cn, n_convs);
    return NR_OK;
}

static void destroy(nr_model *m)
{
    nsf_weights *w = m->impl;
    if (!w) return;
    for (int b = 0; b < NSF_MAX_BLOCKS; b++) free(w->har[b].ff2t);
    free(w->noi.ff2t);
    for (int b = 0; b < NSF_MAX_BLOCKS; b++)
        for (int i = 0; i < NSF_MAX_CONVS; i++) {
            free(w->har[b].packed[i]);
            free(w->har[b].wino[i]);
        }
    for (int i = 0; i < NSF_MAX_CONVS; i++) {
        free(w->noi.packed[i]);
        free(w->noi.wino[i]);
    }
    free(w->ma_first);
    free(w->ma_second);
    free(w);
    m->impl = NULL;
}

static nr_result build_weights(nr_model *m, nsf_weights *w, const char *what)
{
    const nr_tensor_set *ts = &m->ts;
    nr_result r;
    double d;
#define HP(native, orig, lo, hi, dst)                                          \
    do {                                                                       \
        r = meta_num(ts, what, native, orig, lo, hi, &d);                      \
        if (r != NR_OK) return r;                                              \
        dst = d;                                                               \
    } while (0)
    double in_dim, kernel, n_blocks, n_convs;
    HP("nr.nsf.input_dim", "input_dim", 1, 64, in_dim);
    HP("nr.nsf.sample_rate", "sampling_rate", 1000, 384000, w->sample_rate);
    HP("nr.nsf.hop", "upsamp_rate", 1, 8192, w->hop);
    HP("nr.nsf.hidden", "hidden_dim", 4, 1024, w->hidden);
    HP("nr.nsf.harmonic_num", "harmonic_num", 0, NSF_MAX_HARM - 1, w->n_harm);
    w->n_harm += 1;
    HP("nr.nsf.sinc_order", "sinc_order", 1, NR_SINC_MAX_ORDER, w->sinc_order);
    HP("nr.nsf.kernel", "cnn_kernel_s", 1, 16, kernel);
    HP("nr.nsf.filter_blocks", "filter_block_num", 1, NSF_MAX_BLOCKS, n_blocks);
    HP("nr.nsf.convs_per_block", "cnn_num_in_block", 2, NSF_MAX_CONVS, n_convs);
    HP("nr.nsf.sine_amp", "m_source.l_sin_gen.sine_amp", 0, 100, w->sine_amp);
    HP("nr.nsf.noise_std", "m_source.l_sin_gen.noise_std", 0, 100, w->noise_std);
    HP("nr.nsf.voiced_threshold", "m_source.l_sin_gen.voiced_threshold", -1e9, 1e9, w->voiced_threshold);
    HP("nr.nsf.cut_smooth", "m_cond.cut_f_smooth", 1, 1 << 16, w->cut_win);
#undef HP
    if ((int)in_dim != NR_NUM_DESC)
        return nr_fail(NR_ERR_UNSUPPORTED, "%s: the model takes %d input features; this build feeds %d descriptors",
                       what, (int)in_dim, NR_NUM_DESC);
    if ((int)kernel != 3)
        return nr_fail(NR_ERR_UNSUPPORTED, "%s: filter convolutions of kernel %d; this build supports 3", what,
                       (int)kernel);
    if (w->hidden % 4 || w->sinc_order % 2 == 0)
        return nr_fail(NR_ERR_UNSUPPORTED, "%s: hidden size %d (multiple of 4 expected) or sinc order %d (odd expected)",
                       what, w->hidden, w->sinc_order);
    nr_sinc_table_init(&w->sinc, w->sinc_order);
    w->up_win = w->hop;
    const int64_t H = w->hidden, D = NR_NUM_DESC;

    GET("input_mean", &w->in_mean, D);
    GET("input_std", &w->in_std, D);
    const float *unused;
    GET("output_mean", &unused, 1, 1);
    GET("output_std", &unused, 1, 1);
    for (int i = 0; i < D; i++)
        if (w->in_std[i] == 0.0f)
            return nr_fail(NR_ERR_VALUE, "%s: input_std[%d] is 0; expected a non-zero scale", what, i);
    char name[160];
    for (int l = 0; l < 3; l++) {
        w->cin[l] = l ? (int)H : (int)D;
        snprintf(name, sizeof name, "m_cond.l_conv1ds.%d.weight", l);
        GET(name, &w->cw[l], H, w->cin[l], 3);
        snprintf(name, sizeof name, "m_cond.l_conv1ds.%d.bias", l);
        GET(name, &w->cb[l], H);
    }
    /* forward: l_ave1(l_ave2(upsampled)): ave2 is the first pass */
    const float *a1, *a2, *f1, *f2;
    const int64_t U = w->up_win;
    GET("m_cond.l_upsamp.l_ave1.weight", &a1, H, 1, U);
    GET("m_cond.l_upsamp.l_ave2.weight", &a2, H, 1, U);
    GET("m_cond.l_upsamp_f0_hi.l_ave1.weight", &f1, 1, 1, U);
    GET("m_cond.l_upsamp_f0_hi.l_ave2.weight", &f2, 1, 1, U);
    GET("m_cond.l_cut_f_smooth.weight", &w->cut_w, 1, 1, (int64_t)w->cut_win);
    size_t mab = (size_t)(H + 1) * U * sizeof(float);
    w->ma_first = malloc(mab);
    w->ma_second = malloc(mab);
    if (!w->ma_first || !w->ma_second) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
    memcpy(w->ma_first, a2, (size_t)H * U * sizeof(float));
    memcpy(w->ma_first + H * U, f2, (size_t)U * sizeof(float));
    memcpy(w->ma_second, a1, (size_t)H * U * sizeof(float));
    memcpy(w->ma_second + H * U, f1, (size_t)U * sizeof(float));

    const float *lw, *lb;
    GET("m_source.l_linear.weight", &lw, 1, (int64_t)w->n_harm);
    GET("m_source.l_linear.bias", &lb, 1);
    w->src_w = lw;
    w->src_b = lb[0];

    w->n_har = (int)n_blocks;
    for (int b = 0; b < w->n_har; b++) {
        snprintf(name, sizeof name, "m_filter.l_har_blocks.%d", b);
        r = build_block(m, w, what, name, (int)n_convs, &w->har[b]);
        if (r != NR_OK) return r;
    }
    r = build_block(m, w, what, "m_filter.l_noi_blocks.0", (int)n_convs / 2, &w->noi);
    if (r != NR_OK) return r;
    /* nothing beyond the architecture: an extra block or conv means another model */
    snprintf(name, sizeof name, "m_filter.l_har_blocks.%d.scale", w->n_har);
    if (nr_tensor_set_find(ts, name) || nr_tensor_set_find(ts, "m_filter.l_noi_blocks.1.scale"))
        return nr_fail(NR_ERR_SHAPE, "%s: more filter blocks than the %d (+1 noise) the hyper-parameters state", what,
                       w->n_har);
    return NR_OK;
}

static nr_result build(nr_model *m, const char *what)
{
    for (int i = 0; i < m->ts.n_tensors; i++) {
        const nr_tensor *t = &m->ts.tensors[i];
        for (int64_t k = 0; k < t->numel; k++)
            if (!isfinite(t->data[k]))
                return nr_fail(NR_ERR_VALUE, "%s: tensor '%s' holds a non-finite value at index %lld", what, t->name,
                               (long long)k);
    }
    nsf_weights *w = calloc(1, sizeof *w);
    if (!w) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
    m->impl = w;
    w->used = calloc((size_t)m->ts.n_tensors + 1, 1);
    if (!w->used) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
    nr_result r = build_weights(m, w, what);
    /* every tensor is one the architecture reads: an extra one means a different model, or a misspelt name
     * whose intended tensor would otherwise be missing without a word */
    for (int i = 0; r == NR_OK && i < m->ts.n_tensors; i++)
        if (!w->used[i])
            r = nr_fail(NR_ERR_FORMAT, "%s: tensor '%s' is not used by %s; a model file holds exactly the "
                                       "architecture's tensors", what, m->ts.tensors[i].name, NSF_ARCH);
    free(w->used);
    w->used = NULL;
    if (r != NR_OK) return r;

    nr_model_info *in = &m->info;
    in->sample_rate = w->sample_rate;
    in->hop = w->hop;
    in->lookahead_frames = nsf_lookahead_frames(w);
    in->n_params = 0;
    in->weights_bytes = sizeof *w + 2 * (size_t)(w->hidden + 1) * w->up_win * sizeof(float);
    for (int i = 0; i < m->ts.n_tensors; i++) {
        in->n_params += m->ts.tensors[i].numel;
        in->weights_bytes += (size_t)m->ts.tensors[i].numel * sizeof(float);
    }
    const double H = w->hidden;
    int n_convs = w->noi.n_convs;
    for (int b = 0; b < w->n_har; b++) n_convs += w->har[b].n_convs;
    in->weights_bytes += (size_t)n_convs * 7 * w->hidden * w->hidden * sizeof(float); /* packed + Winograd */
    /* per sample: the dilated convs, the block ends, the sinc pair and the time-variant FIRs, the
     * source, and the frame-rate convs spread over a hop */
    in->macs_per_sample = n_convs * 3 * H * H + (w->n_har + 1) * (H + H * H / 4 + H / 4) + 4.0 * w->sinc_order +
                          w->n_harm + 3 * H * (NR_NUM_DESC + 2 * H) * 3 / w->hop;
    in->voice_bytes = nsf_voice_bytes(w, 4096);
    memcpy(in->desc_mean, w->in_mean, sizeof in->desc_mean);
    memcpy(in->desc_std, w->in_std, sizeof in->desc_std);
    return NR_OK;
}

static nr_result add_save_meta(const nr_model *m, nr_tensor_set *ts)
{
    const nsf_weights *w = m->impl;
    char buf[64];
    nr_result r = NR_OK;
#define PUT(key, fmt, val)                                                          \
    do {                                                                            \
        snprintf(buf, sizeof buf, fmt, val);                                        \
        if (r == NR_OK) r = nr_tensor_set_set_meta(ts, key, buf);                   \
    } while (0)
    PUT("nr.nsf.input_dim", "%d", NR_NUM_DESC);
    PUT("nr.nsf.sample_rate", "%d", w->sample_rate);
    PUT("nr.nsf.hop", "%d", w->hop);
    PUT("nr.nsf.hidden", "%d", w->hidden);
    PUT("nr.nsf.harmonic_num", "%d", w->n_harm - 1);
    PUT("nr.nsf.sinc_order", "%d", w->sinc_order);
    PUT("nr.nsf.kernel", "%d", 3);
    PUT("nr.nsf.filter_blocks", "%d", w->n_har);
    PUT("nr.nsf.convs_per_block", "%d", w->har[0].n_convs);
    PUT("nr.nsf.sine_amp", "%.9g", w->sine_amp);
    PUT("nr.nsf.noise_std", "%.9g", w->noise_std);
    PUT("nr.nsf.voiced_threshold", "%.9g", w->voiced_threshold);
    PUT("nr.nsf.cut_smooth", "%d", w->cut_win);
#undef PUT
    return r;
}

const nsf_weights *nsf_weights_of(const nr_model *m) { return m->impl; }

const nr_model_ops nr_nsf_ops = {
    .arch = NSF_ARCH,
    .matches = matches,
    .build = build,
    .destroy = destroy,
    .add_save_meta = add_save_meta,
    .voice_create = nsf_voice_create,
};
