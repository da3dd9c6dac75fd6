/* Training the latent curve model (nr/latent.h): a VAE over whole descriptor curves whose 4 axes are
 * made musical attributes by the attribute-regularised loss of AR-VAE (Pati and Lerch 2020).
 *
 * loss = reconstruction (masked squared error of the normalised curves, mean per frame, + a length term)
 *      + beta KL(q(z|x) || N(0, I)) + gamma sum_r mean_ij |tanh(delta (z_ir - z_jr)) - sign(a_ir - a_jr)|
 * with a_r the r-th attribute of clip i (nr_latent_attributes). Batches are drawn from a counter-based
 * hash of (seed, step), so a resumed run is the run it would have been. Single-threaded (BLAS inside). */
#include "latent_impl.h"
#include "train_impl.h"

#include "core/font.h"
#include "io/atomic_file.h"
#include "io/png.h"
#include "nr/dataset.h"
#include "nr/engine.h"
#include "nr/eval.h"
#include "nr/synth.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define LOSS_MASK_DB 60.0f   /* descriptors other than loudness count where the clip is within this of its peak */
#define DB_TO_LN 0.11512925f /* ln(10) / 20 */
#define Z_MARGIN 0.25f       /* the covered region: the training means' range widened by this (prior std) */
#define EVAL_STEPS 9         /* axis sweep: -2..+2 prior std in 9 steps */
#define EVAL_SPAN 2.0f
#define CK_MAGIC "NRLATCK"
#define CK_VERSION 1
#define CK_N_HEAD 10

nr_latent_train_config nr_latent_train_config_init(void)
{
    nr_latent_train_config c;
    memset(&c, 0, sizeof c);
    c.steps = 6000;
    c.seed = 1;
    c.batch = 64;
    c.lr = 1e-3f;
    c.beta = 0.2f;
    c.gamma = 2.0f;
    c.delta = 10.0f;
    c.len_weight = 3.0f;
    c.checkpoint_every = 500;
    c.valid_every = 250;
    c.progress = 1;
    return c;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- data ---- */

typedef struct {
    int n;
    float *x; /* (n, NR_LAT_N_IN) encoder inputs = targets */
    float *m; /* (n, NR_LAT_N_X) loss weights */
    float *a; /* (n, NR_LAT_DIM) attributes */
    int *L;   /* (n) lengths in grid frames */
} lat_set;

typedef struct {
    nr_curves *c;
    char (*cls)[16]; /* each clip's class (the manifest's; "synthetic") */
    int n, cap;
} curve_list;

static void curve_list_free(curve_list *l)
{
    for (int i = 0; i < l->n; i++) nr_curves_free(&l->c[i]);
    free(l->c);
    free(l->cls);
    memset(l, 0, sizeof *l);
}

static nr_curves *curve_list_push(curve_list *l, const char *cls)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 256;
        nr_curves *c = realloc(l->c, (size_t)cap * sizeof *c);
        if (!c) return NULL;
        l->c = c;
        char(*k)[16] = realloc(l->cls, (size_t)cap * sizeof *k);
        if (!k) return NULL;
        l->cls = k, l->cap = cap;
    }
    snprintf(l->cls[l->n], sizeof l->cls[0], "%s", cls);
    nr_curves *c = &l->c[l->n++];
    memset(c, 0, sizeof *c);
    return c;
}

static double uni(uint64_t *s) { return (nr_imp_noise(s) / 1.7320508f + 1.0f) * 0.5f; }

/* A synthetic impact's curves at 100 frames/s: exponential decay, a centroid that falls as it rings,
 * a fixed pitch and flatness, each drawn at random, with the other columns tied to them. */
static nr_result synth_curves(nr_curves *c, int idx, uint64_t seed)
{
    uint64_t s = nr_imp_seed_mix(nr_train_hash(seed, (uint64_t)idx, 991));
    double tau = 0.03 * pow(2.0 / 0.03, uni(&s));          /* decay time constant, s */
    double cen = 300.0 * pow(8000.0 / 300.0, uni(&s));     /* Hz */
    double f0 = 50.0 * pow(20.0, uni(&s));                 /* Hz */
    double flat = 0.001 * pow(500.0, uni(&s));
    double amp = 0.05 + 0.4 * uni(&s);
    double dur = tau * 6.9 + 0.05;                          /* to -60 dB */
    if (dur > 7.0) dur = 7.0;
    int T = (int)(dur * 100.0);
    if (T < 4) T = 4;
    if (nr_curves_alloc(c, T, 100.0f) != NR_OK) return NR_ERR_NOMEM;
    for (int t = 0; t < T; t++) {
        double ts = t / 100.0, att = ts < 0.005 ? ts / 0.005 : 1.0;
        float *d = c->data + (size_t)t * NR_NUM_DESC;
        double ce = cen * (0.6 + 0.4 * exp(-ts / (2.0 * tau))) * (1.0 + 0.03 * nr_imp_noise(&s));
        d[NR_DESC_LOUDNESS] = (float)(amp * att * exp(-ts / tau) + 1e-5);
        d[NR_DESC_BRIGHTNESS] = (float)ce;
        d[NR_DESC_TONELIKE] = (float)(ce * 2.0);
        d[NR_DESC_RICHNESS] = (float)(ce * 0.8);
        d[NR_DESC_PERCUSSIVITY] = (float)(ce / 24000.0 * 2.0);
        d[NR_DESC_PITCH] = (float)(f0 * (1.0 + 0.01 * nr_imp_noise(&s)));
        d[NR_DESC_NOISINESS] = (float)(flat * (1.0 + 0.05 * nr_imp_noise(&s)));
    }
    return NR_OK;
}

/* Raw curves of each split: [0] train, [1] valid, [2] test. */
static nr_result load_curves(const char *spec, uint64_t seed, curve_list sp[3], int *skipped)
{
    *skipped = 0;
    if (!strncmp(spec, "synthetic:", 10)) {
        char *end;
        long n = strtol(spec + 10, &end, 10);
        if (*end || end == spec + 10 || n < 8 || n > 100000)
            return nr_fail(NR_ERR_ARG, "%s: expected synthetic:N with N in 8..100000", spec);
        for (long i = 0; i < n; i++) {
            int k = i % 10 == 9 ? 2 : i % 10 == 8 ? 1 : 0; /* 80 / 10 / 10 % */
            nr_curves *c = curve_list_push(&sp[k], "synthetic");
            if (!c || synth_curves(c, (int)i, seed) != NR_OK) return nr_fail(NR_ERR_NOMEM, "out of memory for curves");
        }
        return NR_OK;
    }
    nr_manifest m;
    memset(&m, 0, sizeof m);
    nr_result r = nr_manifest_read(spec, &m);
    if (r != NR_OK) return r;
    static const nr_split splits[3] = {NR_SPLIT_TRAIN, NR_SPLIT_VALID, NR_SPLIT_TEST};
    for (int k = 0; k < 3 && r == NR_OK; k++) {
        int it = -1, i;
        while ((i = nr_manifest_next(&m, splits[k], &it)) >= 0) {
            nr_curves c = {0};
            if (nr_ds_load_curves(&m, i, &c) != NR_OK || c.n_frames < 1 || !(c.frame_rate > 0)) {
                fprintf(stderr, "train-latent: skipping %s: %s\n", m.e[i].audio,
                        c.n_frames < 1 && *nr_last_error() == '\0' ? "no curve frames" : nr_last_error());
                nr_curves_free(&c);
                (*skipped)++;
                continue;
            }
            int bad = 0;
            for (long j = 0; j < (long)c.n_frames * NR_NUM_DESC; j++) bad |= !isfinite(c.data[j]);
            if (bad) {
                fprintf(stderr, "train-latent: skipping %s: curves hold NaN or infinity\n", m.e[i].audio);
                nr_curves_free(&c);
                (*skipped)++;
                continue;
            }
            nr_curves *dst = curve_list_push(&sp[k], m.e[i].cls);
            if (!dst) {
                nr_curves_free(&c);
                r = nr_fail(NR_ERR_NOMEM, "out of memory for curves");
                break;
            }
            *dst = c;
        }
    }
    nr_manifest_free(&m);
    return r;
}

/* Normalisation of the training curves: mean and std of the transformed values over every frame. */
static void normalisation(const curve_list *tr, float *mean, float *std)
{
    double s[NR_NUM_DESC] = {0}, ss[NR_NUM_DESC] = {0};
    long cnt = 0;
    for (int i = 0; i < tr->n; i++)
        for (int t = 0; t < tr->c[i].n_frames; t++) {
            float v[NR_NUM_DESC];
            nr_imp_desc_transform(tr->c[i].data + (size_t)t * NR_NUM_DESC, v);
            for (int d = 0; d < NR_NUM_DESC; d++) s[d] += v[d], ss[d] += (double)v[d] * v[d];
            cnt++;
        }
    for (int d = 0; d < NR_NUM_DESC; d++) {
        double m = cnt ? s[d] / cnt : 0.0, var = cnt ? ss[d] / cnt - m * m : 1.0;
        mean[d] = (float)m;
        std[d] = (float)(var > 1e-6 ? sqrt(var) : 1e-3);
    }
}

/* The loss weights of a prepared clip: loudness on every frame, the others where loud. */
static void loss_mask(const nr_latent_weights *w, const float *x, int L, float *m)
{
    float ls = w->desc_std[NR_DESC_LOUDNESS], lm = w->desc_mean[NR_DESC_LOUDNESS], peak = -1e30f;
    for (int t = 0; t < L; t++) peak = fmaxf(peak, x[t * NR_NUM_DESC] * ls + lm);
    memset(m, 0, NR_LAT_N_X * sizeof(float));
    for (int t = 0; t < L; t++) {
        int loud = x[t * NR_NUM_DESC] * ls + lm >= peak - LOSS_MASK_DB * DB_TO_LN;
        for (int d = 0; d < NR_NUM_DESC; d++) m[t * NR_NUM_DESC + d] = (d == NR_DESC_LOUDNESS || loud) ? 1.0f : 0.0f;
    }
}

static void set_free(lat_set *s)
{
    free(s->x), free(s->m), free(s->a), free(s->L);
    memset(s, 0, sizeof *s);
}

static nr_result set_make(const nr_latent_weights *w, const curve_list *cl, lat_set *s)
{
    memset(s, 0, sizeof *s);
    int n = cl->n > 0 ? cl->n : 1;
    s->x = malloc((size_t)n * NR_LAT_N_IN * sizeof(float));
    s->m = malloc((size_t)n * NR_LAT_N_X * sizeof(float));
    s->a = malloc((size_t)n * NR_LAT_DIM * sizeof(float));
    s->L = malloc((size_t)n * sizeof(int));
    if (!s->x || !s->m || !s->a || !s->L) {
        set_free(s);
        return nr_fail(NR_ERR_NOMEM, "out of memory for %d prepared clips", n);
    }
    s->n = cl->n;
    for (int i = 0; i < cl->n; i++) {
        float *x = s->x + (size_t)i * NR_LAT_N_IN;
        nr_latent_prepare(w, &cl->c[i], x, &s->L[i]);
        loss_mask(w, x, s->L[i], s->m + (size_t)i * NR_LAT_N_X);
        nr_latent_attributes(w, x, s->L[i], s->a + (size_t)i * NR_LAT_DIM);
    }
    return NR_OK;
}

/* ---- the model in training ---- */

typedef struct {
    const nr_latent_train_config *cfg;
    nr_latent_hparams hp;
    int64_t n_values, n_trainable;
    float *params, *grad, *m, *v; /* (n_values), (n_trainable) x 3 */
    nr_latent_weights w, g;       /* views of params and grad (g's fixed tensors point past the end: unused) */
    int B, widest;
    float *act_enc[NR_LAT_MAX_LAYERS + 1], *act_dec[NR_LAT_MAX_LAYERS + 1];
    float *xb, *mb, *ab, *eps, *z, *dz, *dmulv, *dy, *tmp; /* batch buffers */
    int *Lb;
    void *block;
    long step;
} lat_trainer;

static void trainer_free(lat_trainer *t)
{
    free(t->params), free(t->grad), free(t->m), free(t->v);
    free(t->block);
    memset(t, 0, sizeof *t);
}

static nr_result trainer_init(lat_trainer *t, const nr_latent_train_config *cfg, const nr_latent_hparams *hp)
{
    memset(t, 0, sizeof *t);
    t->cfg = cfg;
    t->hp = *hp;
    t->B = cfg->batch;
    t->n_values = nr_latent_n_values(hp, 0);
    t->n_trainable = nr_latent_n_values(hp, 1);
    t->params = calloc((size_t)t->n_values, sizeof(float));
    /* the gradient block is as long as the parameters so that carving it stays in bounds */
    t->grad = calloc((size_t)t->n_values, sizeof(float));
    t->m = calloc((size_t)t->n_trainable, sizeof(float));
    t->v = calloc((size_t)t->n_trainable, sizeof(float));
    nr_latent_carve(hp, t->params, &t->w);
    nr_latent_carve(hp, t->grad, &t->g);
    int widest = NR_LAT_N_OUT > NR_LAT_N_IN ? NR_LAT_N_OUT : NR_LAT_N_IN;
    widest = hp->hidden > widest ? hp->hidden : widest;
    t->widest = widest;
    size_t B = (size_t)t->B, acts = 0;
    for (int l = 0; l < t->w.n_enc; l++) acts += B * t->w.enc_dim[l + 1];
    for (int l = 0; l < t->w.n_dec; l++) acts += B * t->w.dec_dim[l + 1];
    size_t total = acts + B * NR_LAT_N_IN + B * NR_LAT_N_X + B * NR_LAT_DIM * 4 + B * 2 * NR_LAT_DIM +
                   B * NR_LAT_N_OUT + 2 * B * widest + B;
    t->block = calloc(total, sizeof(float));
    if (!t->params || !t->grad || !t->m || !t->v || !t->block) {
        trainer_free(t);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the latent trainer (%lld values)", (long long)t->n_values);
    }
    float *p = t->block;
    for (int l = 0; l < t->w.n_enc; l++) t->act_enc[l] = p, p += B * t->w.enc_dim[l + 1];
    for (int l = 0; l < t->w.n_dec; l++) t->act_dec[l] = p, p += B * t->w.dec_dim[l + 1];
    t->xb = p, p += B * NR_LAT_N_IN;
    t->mb = p, p += B * NR_LAT_N_X;
    t->ab = p, p += B * NR_LAT_DIM;
    t->eps = p, p += B * NR_LAT_DIM;
    t->z = p, p += B * NR_LAT_DIM;
    t->dz = p, p += B * NR_LAT_DIM;
    t->dmulv = p, p += B * 2 * NR_LAT_DIM;
    t->dy = p, p += B * NR_LAT_N_OUT;
    t->tmp = p, p += 2 * B * widest;
    t->Lb = (int *)p;
    return NR_OK;
}

/* Uniform fan-in initialisation; the decoder's last layer small so the first curves are the mean. */
static void init_weights(lat_trainer *t, uint64_t seed)
{
    uint64_t s = nr_imp_seed_mix(seed ^ 0x1a7e47ULL);
    nr_latent_weights *w = &t->w;
    for (int pass = 0; pass < 2; pass++) {
        int n = pass ? w->n_dec : w->n_enc;
        const int *dim = pass ? w->dec_dim : w->enc_dim;
        for (int l = 0; l < n; l++) {
            float *W = pass ? w->dec_w[l] : w->enc_w[l];
            float scale = (float)(1.0 / sqrt((double)dim[l])) * (l == n - 1 ? 0.3f : 1.0f);
            for (long i = 0; i < (long)dim[l] * dim[l + 1]; i++) W[i] = scale * nr_imp_noise(&s);
        }
    }
    w->enc_b[w->n_enc - 1][NR_LAT_DIM] = 0.0f;
    for (int k = 0; k < NR_LAT_DIM; k++) w->z_lo[k] = -3.0f, w->z_hi[k] = 3.0f;
}

/* Loss and gradient (into t->grad, zeroed here) of the batch in t->xb/mb/ab/Lb with noise t->eps.
 * parts: recon, length, KL, AR. */
static double batch_loss(lat_trainer *t, int B, int grad, double parts[4])
{
    const nr_latent_train_config *c = t->cfg;
    nr_latent_weights *w = &t->w;
    /* KL warm-up: a function of the step alone, so a resumed run is the same run */
    float beta = c->kl_warmup > 0 && t->step < c->kl_warmup ? c->beta * (float)(t->step + 1) / (float)c->kl_warmup : c->beta;
    nr_lat_mlp_forward(w->enc_dim, w->n_enc, w->enc_w, w->enc_b, t->xb, t->act_enc, B);
    float *mulv = t->act_enc[w->n_enc - 1]; /* (B, 2D) */
    for (int i = 0; i < B * 2 * NR_LAT_DIM; i++) /* a log variance past +-12 says the encoder diverged */
        if (i % (2 * NR_LAT_DIM) >= NR_LAT_DIM) mulv[i] = fminf(fmaxf(mulv[i], -12.0f), 12.0f);
    double kl = nr_lat_reparam_forward(t->z, mulv, t->eps, B);
    nr_lat_mlp_forward(w->dec_dim, w->n_dec, w->dec_w, w->dec_b, t->z, t->act_dec, B);
    double lenp;
    double rec = nr_lat_recon_loss(t->dy, t->act_dec[w->n_dec - 1], t->xb, t->mb, t->Lb, B, c->len_weight, &lenp);
    memset(t->dz, 0, (size_t)B * NR_LAT_DIM * sizeof(float));
    double ar = c->gamma > 0 ? nr_lat_ar_loss(t->dz, t->z, t->ab, B, c->delta, c->gamma) : 0.0;
    if (parts) parts[0] = rec - c->len_weight * lenp, parts[1] = lenp, parts[2] = kl, parts[3] = ar;
    if (grad) {
        memset(t->grad, 0, (size_t)t->n_values * sizeof(float));
        /* the decoder's input gradient adds to the AR term's dz */
        nr_lat_mlp_backward(w->dec_dim, w->n_dec, w->dec_w, t->g.dec_w, t->g.dec_b, t->z, t->act_dec, t->dy, t->dz,
                            t->tmp, B);
        nr_lat_reparam_backward(t->dmulv, t->dz, mulv, t->eps, B, beta);
        nr_lat_mlp_backward(w->enc_dim, w->n_enc, w->enc_w, t->g.enc_w, t->g.enc_b, t->xb, t->act_enc, t->dmulv, NULL,
                            t->tmp, B);
    }
    return rec + beta * kl + ar;
}

static void gather(lat_trainer *t, const lat_set *s, const int *idx, int B)
{
    for (int i = 0; i < B; i++) {
        int k = idx[i];
        memcpy(t->xb + (size_t)i * NR_LAT_N_IN, s->x + (size_t)k * NR_LAT_N_IN, NR_LAT_N_IN * sizeof(float));
        memcpy(t->mb + (size_t)i * NR_LAT_N_X, s->m + (size_t)k * NR_LAT_N_X, NR_LAT_N_X * sizeof(float));
        memcpy(t->ab + (size_t)i * NR_LAT_DIM, s->a + (size_t)k * NR_LAT_DIM, NR_LAT_DIM * sizeof(float));
        t->Lb[i] = s->L[k];
    }
}

/* Reconstruction + length loss of a split through the encoder's mean (no noise, no KL, no AR). */
static double eval_split(lat_trainer *t, const lat_set *s)
{
    if (s->n == 0) return NAN;
    double sum = 0.0;
    int idx[256];
    for (int i0 = 0; i0 < s->n; i0 += t->B) {
        int B = s->n - i0 < t->B ? s->n - i0 : t->B;
        for (int i = 0; i < B; i++) idx[i] = i0 + i;
        gather(t, s, idx, B);
        memset(t->eps, 0, (size_t)B * NR_LAT_DIM * sizeof(float));
        nr_latent_train_config c = *t->cfg;
        c.gamma = 0.0f;
        const nr_latent_train_config *keep = t->cfg;
        t->cfg = &c;
        double parts[4];
        batch_loss(t, B, 0, parts);
        t->cfg = keep;
        sum += (parts[0] + keep->len_weight * parts[1]) * B;
    }
    return sum / s->n;
}

/* ---- checkpoints: "NRLATCK\0", 10 64-bit words (version, hidden, layers, frames, fps, dim, seed, step,
 * n_values, n_trainable), float32 params, Adam m and v, CRC-32 of all before it ---- */

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void ck_header(unsigned char *h, const lat_trainer *t, uint64_t seed, long step)
{
    memcpy(h, CK_MAGIC, 8);
    uint64_t w[CK_N_HEAD] = {CK_VERSION, (uint64_t)t->hp.hidden, (uint64_t)t->hp.layers, NR_LAT_T, NR_LAT_FPS,
                             NR_LAT_DIM, seed, (uint64_t)step, (uint64_t)t->n_values, (uint64_t)t->n_trainable};
    for (int i = 0; i < CK_N_HEAD; i++) put64(h + 8 + 8 * i, w[i]);
}

static nr_result ck_write(const char *path, const lat_trainer *t, uint64_t seed)
{
    FILE *f;
    char *tmp;
    nr_result r = nr_atomic_fopen(path, &f, &tmp);
    if (r != NR_OK) return r;
    unsigned char h[8 + 8 * CK_N_HEAD];
    ck_header(h, t, seed, t->step);
    uint32_t crc = (uint32_t)crc32_z(0, h, sizeof h);
    int ok = fwrite(h, 1, sizeof h, f) == sizeof h;
    const float *src[3] = {t->params, t->m, t->v};
    int64_t cnt[3] = {t->n_values, t->n_trainable, t->n_trainable};
    for (int a = 0; a < 3 && ok; a++) { /* little-endian hosts only, as the rest of the trainer */
        crc = (uint32_t)crc32_z(crc, (const unsigned char *)src[a], (size_t)cnt[a] * 4);
        ok = fwrite(src[a], 4, (size_t)cnt[a], f) == (size_t)cnt[a];
    }
    unsigned char cb[4] = {(unsigned char)crc, (unsigned char)(crc >> 8), (unsigned char)(crc >> 16),
                           (unsigned char)(crc >> 24)};
    ok = ok && fwrite(cb, 1, 4, f) == 4;
    if (!ok) {
        int e = errno;
        nr_atomic_fabort(f, tmp);
        return nr_fail(NR_ERR_IO, "%s: cannot write checkpoint (%s); the previous file is unchanged", path,
                       nr_write_error_text(e));
    }
    return nr_atomic_fcommit(path, f, tmp);
}

static nr_result ck_read(const char *path, lat_trainer *t, uint64_t seed)
{
    FILE *f = fopen(path, "rb");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open checkpoint (%s)", path, strerror(errno));
    unsigned char h[8 + 8 * CK_N_HEAD], want[8 + 8 * CK_N_HEAD];
    size_t got = fread(h, 1, sizeof h, f);
    if (got != sizeof h || memcmp(h, CK_MAGIC, 8)) {
        fclose(f);
        return nr_fail(NR_ERR_FORMAT, "%s: not a latent model checkpoint (bad magic or too short)", path);
    }
    long step = (long)get64(h + 8 + 8 * 7);
    ck_header(want, t, seed, step);
    if (memcmp(h, want, sizeof h)) {
        fclose(f);
        return nr_fail(NR_ERR_SHAPE,
                       "%s: checkpoint of version %llu, hidden %llu, layers %llu, seed %llu; this run has version %d, "
                       "hidden %d, layers %d, seed %llu: resume with the same settings",
                       path, (unsigned long long)get64(h + 8), (unsigned long long)get64(h + 16),
                       (unsigned long long)get64(h + 24), (unsigned long long)get64(h + 8 + 8 * 6), CK_VERSION,
                       t->hp.hidden, t->hp.layers, (unsigned long long)seed);
    }
    uint32_t crc = (uint32_t)crc32_z(0, h, sizeof h);
    float *dst[3] = {t->params, t->m, t->v};
    int64_t cnt[3] = {t->n_values, t->n_trainable, t->n_trainable};
    int ok = 1;
    for (int a = 0; a < 3 && ok; a++) {
        ok = fread(dst[a], 4, (size_t)cnt[a], f) == (size_t)cnt[a];
        if (ok) crc = (uint32_t)crc32_z(crc, (const unsigned char *)dst[a], (size_t)cnt[a] * 4);
    }
    unsigned char cb[4];
    ok = ok && fread(cb, 1, 4, f) == 4 && fgetc(f) == EOF;
    fclose(f);
    uint32_t stored = (uint32_t)cb[0] | (uint32_t)cb[1] << 8 | (uint32_t)cb[2] << 16 | (uint32_t)cb[3] << 24;
    if (!ok || stored != crc) return nr_fail(NR_ERR_FORMAT, "%s: checkpoint damaged (CRC mismatch or wrong length)", path);
    t->step = step;
    return NR_OK;
}

/* ---- evaluation ---- */

static double pearson(const double *x, const double *y, long n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (long i = 0; i < n; i++) mx += x[i], my += y[i];
    mx /= n, my /= n;
    for (long i = 0; i < n; i++) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx), syy += (y[i] - my) * (y[i] - my);
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

/* Spearman over n <= EVAL_STEPS values against their order 0..n-1 (ties get their mean rank). */
static double spearman_vs_index(const float *y, int n)
{
    double r[EVAL_STEPS], idx[EVAL_STEPS];
    for (int i = 0; i < n; i++) {
        int below = 0, same = 0;
        for (int j = 0; j < n; j++) below += y[j] < y[i], same += y[j] == y[i];
        r[i] = below + 0.5 * (same - 1);
        idx[i] = i;
    }
    double p = pearson(idx, r, n);
    return isfinite(p) ? p : 0.0; /* a flat response: no correlation */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Summary features of normalised curves v (NR_LAT_T, 7) of n frames: per descriptor the mean and the
 * spread over the frames within 30 dB of the peak, the log decay time, the log length and the onset
 * slope (normalised loudness rise per second from the first frame to the peak). */
#define N_SUMMARY (2 * NR_NUM_DESC + 3)
static void summary(const nr_latent_weights *w, const float *v, int n, double *f)
{
    float a[NR_LAT_DIM];
    nr_latent_attributes(w, v, n, a);
    float ls = w->desc_std[NR_DESC_LOUDNESS], lm = w->desc_mean[NR_DESC_LOUDNESS];
    int peak = 0;
    for (int t = 1; t < n; t++)
        if (v[t * NR_NUM_DESC] > v[peak * NR_NUM_DESC]) peak = t;
    float floor_ln = v[peak * NR_NUM_DESC] * ls + lm - NR_LAT_ATTR_DB * DB_TO_LN;
    for (int d = 0; d < NR_NUM_DESC; d++) {
        double s1 = 0, s2 = 0;
        int c = 0;
        for (int t = 0; t < n; t++) {
            if (v[t * NR_NUM_DESC] * ls + lm < floor_ln) continue;
            double x = v[t * NR_NUM_DESC + d];
            s1 += x, s2 += x * x, c++;
        }
        double m = s1 / c;
        f[2 * d] = m;
        f[2 * d + 1] = sqrt(fmax(s2 / c - m * m, 0.0));
    }
    f[2 * NR_NUM_DESC] = a[NR_LAT_ATTR_DECAY];
    f[2 * NR_NUM_DESC + 1] = log((double)n / NR_LAT_FPS);
    f[2 * NR_NUM_DESC + 2] = (v[peak * NR_NUM_DESC] - v[0]) / ((peak + 1.0) / NR_LAT_FPS);
}

/* Mean over the rows of a of the distance to the nearest row of b (features z-scored by sd). */
static double nn_distance(const double *a, int na, const double *b, int nb, const double *sd)
{
    double total = 0;
    for (int i = 0; i < na; i++) {
        double best = INFINITY;
        for (int j = 0; j < nb; j++) {
            double s = 0;
            for (int k = 0; k < N_SUMMARY; k++) {
                double e = (a[i * N_SUMMARY + k] - b[j * N_SUMMARY + k]) / sd[k];
                s += e * e;
            }
            best = fmin(best, s);
        }
        total += sqrt(best);
    }
    return na ? total / na : NAN;
}

/* The synth's "template + variation" (src/synth/curve_reader.c) on normalised curves: every descriptor
 * moved by BASE_VARIATION * VAR_DESC_STD * a Gaussian (the synth does it in its model's normalisation,
 * here the latent model's: both are the data's standard deviation), the time stretched by
 * 2^(BASE_VARIATION * VAR_RATE_OCT * a Gaussian). x (NR_LAT_N_IN) of L frames -> v (NR_LAT_N_X) of *n. */
#define BASE_VARIATION 0.5f
#define BASE_VAR_DESC_STD 0.5f
#define BASE_VAR_RATE_OCT 0.3f
static void template_variation(const float *x, int L, uint64_t seed, uint64_t i, float *v, int *n)
{
    float off[NR_NUM_DESC];
    for (int d = 0; d < NR_NUM_DESC; d++) off[d] = BASE_VARIATION * BASE_VAR_DESC_STD * nr_lat_gauss(seed, i, 5000 + (uint64_t)d);
    double stretch = exp2(BASE_VARIATION * BASE_VAR_RATE_OCT * nr_lat_gauss(seed, i, 5000 + NR_NUM_DESC));
    int m = (int)lround(L * stretch);
    m = m < NR_LAT_MIN_FRAMES ? NR_LAT_MIN_FRAMES : m > NR_LAT_T ? NR_LAT_T : m;
    memset(v, 0, NR_LAT_N_X * sizeof(float));
    for (int t = 0; t < m; t++) {
        double u = fmin(t / stretch, L - 1.0);
        int k = (int)u;
        int k1 = k + 1 < L ? k + 1 : k;
        float f = (float)(u - k);
        for (int d = 0; d < NR_NUM_DESC; d++)
            v[t * NR_NUM_DESC + d] = x[k * NR_NUM_DESC + d] + f * (x[k1 * NR_NUM_DESC + d] - x[k * NR_NUM_DESC + d]) + off[d];
    }
    *n = m;
}

/* The encoder means of every clip of s into map (s->n, NR_LAT_DIM): latent.map, and the points random
 * draws start from. */
static void encode_means(const nr_latent_weights *w, const lat_set *s, float *map, float *work)
{
    for (int i = 0; i < s->n; i++) nr_latent_encode(w, s->x + (size_t)i * NR_LAT_N_IN, map + (size_t)i * NR_LAT_DIM, NULL, work);
}

/* Realism: the mean nearest-neighbour distance (summary features, z-scored over the training clips)
 * from the test clips to the training clips, and from as many prior samples (decoded) to them. */
static nr_result realism(const nr_latent_weights *w, const lat_set *train, const lat_set *test, uint64_t seed,
                         nr_latent_eval *ev)
{
    int nt = train->n, ns = test->n;
    double *ft = malloc(sizeof(double) * N_SUMMARY * (size_t)(nt + 1)), *fs = malloc(sizeof(double) * N_SUMMARY * (size_t)(ns + 1));
    double *fp = malloc(sizeof(double) * N_SUMMARY * (size_t)(ns + 1));
    float *v = malloc(NR_LAT_N_X * sizeof(float)), *work = malloc(nr_latent_work_floats(&w->hp) * sizeof(float));
    if (!ft || !fs || !fp || !v || !work) {
        free(ft), free(fs), free(fp), free(v), free(work);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the realism measure");
    }
    for (int i = 0; i < nt; i++) summary(w, train->x + (size_t)i * NR_LAT_N_IN, train->L[i], ft + (size_t)i * N_SUMMARY);
    for (int i = 0; i < ns; i++) summary(w, test->x + (size_t)i * NR_LAT_N_IN, test->L[i], fs + (size_t)i * N_SUMMARY);
    for (int i = 0; i < ns; i++) {
        float z[NR_LAT_DIM];
        int n;
        for (int k = 0; k < NR_LAT_DIM; k++) z[k] = nr_lat_gauss(seed, (uint64_t)i, (uint64_t)k + 99991);
        nr_latent_clamp(w, z);
        nr_latent_decode_norm(w, z, v, &n, work);
        summary(w, v, n, fp + (size_t)i * N_SUMMARY);
    }
    double sd[N_SUMMARY];
    for (int k = 0; k < N_SUMMARY; k++) {
        double s1 = 0, s2 = 0;
        for (int i = 0; i < nt; i++) s1 += ft[i * N_SUMMARY + k], s2 += ft[i * N_SUMMARY + k] * ft[i * N_SUMMARY + k];
        double m = nt ? s1 / nt : 0;
        sd[k] = nt ? sqrt(fmax(s2 / nt - m * m, 1e-12)) : 1.0;
    }
    ev->realism_test = nn_distance(fs, ns, ft, nt, sd);
    ev->realism_prior = nn_distance(fp, ns, ft, nt, sd);
    for (int i = 0; i < ns && nt > 0; i++) {
        int n;
        int j = (int)(nr_train_hash(seed, (uint64_t)i, 4243) % (uint64_t)nt);
        template_variation(train->x + (size_t)j * NR_LAT_N_IN, train->L[j], seed, (uint64_t)i, v, &n);
        summary(w, v, n, fp + (size_t)i * N_SUMMARY);
    }
    ev->realism_baseline = nt > 0 ? nn_distance(fp, ns, ft, nt, sd) : NAN;
    /* random points where the data is: the kernel density over the training clips' encodings, as the
     * file's latent.map holds them (the points render --latent random plays, seeds 1..ns) */
    float *map = malloc(sizeof(float) * NR_LAT_DIM * (size_t)(nt + 1));
    if (!map) {
        free(ft), free(fs), free(fp), free(v), free(work);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the realism measure");
    }
    encode_means(w, train, map, work);
    for (int i = 0; i < ns; i++) {
        float z[NR_LAT_DIM];
        int n;
        nr_latent_data_draw(map, nt, (uint64_t)i + 1, z);
        nr_latent_clamp(w, z);
        nr_latent_decode_norm(w, z, v, &n, work);
        summary(w, v, n, fp + (size_t)i * N_SUMMARY);
    }
    ev->realism_data = nn_distance(fp, ns, ft, nt, sd);
    free(map);
    free(ft), free(fs), free(fp), free(v), free(work);
    return NR_OK;
}

static nr_result evaluate(const nr_latent_weights *w, const lat_set *s, int n_points, uint64_t seed, nr_latent_eval *ev)
{
    memset(ev, 0, sizeof *ev);
    size_t nw = nr_latent_work_floats(&w->hp);
    long cap = (long)s->n * NR_LAT_T + 1;
    float *work = malloc(nw * sizeof(float)), *v = malloc(NR_LAT_N_X * sizeof(float));
    double *px = malloc((size_t)cap * sizeof(double)), *py = malloc((size_t)cap * sizeof(double));
    double *lerr = malloc((size_t)(s->n + 1) * sizeof(double));
    if (!work || !v || !px || !py || !lerr) {
        free(work), free(v), free(px), free(py), free(lerr);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the evaluation");
    }
    ev->n_clips = s->n;
    int n_clip_ok[NR_NUM_DESC] = {0};
    for (int d = 0; d < NR_NUM_DESC && s->n > 0; d++) {
        long np = 0;
        for (int i = 0; i < s->n; i++) {
            const float *x = s->x + (size_t)i * NR_LAT_N_IN, *m = s->m + (size_t)i * NR_LAT_N_X;
            float mu[NR_LAT_DIM];
            int n;
            nr_latent_encode(w, x, mu, NULL, work);
            nr_latent_decode_norm(w, mu, v, &n, work);
            if (d == 0) lerr[i] = fabs((double)n - s->L[i]) / s->L[i];
            long start = np;
            for (int t = 0; t < s->L[i]; t++) {
                /* loud frames: where the other descriptors are weighed */
                if (m[t * NR_NUM_DESC + NR_DESC_BRIGHTNESS] == 0.0f) continue;
                px[np] = x[t * NR_NUM_DESC + d], py[np] = v[t * NR_NUM_DESC + d], np++;
            }
            if (np - start >= 4) {
                double c = pearson(px + start, py + start, np - start);
                if (isfinite(c)) ev->corr_clip[d] += c, n_clip_ok[d]++;
            }
        }
        ev->corr_pooled[d] = np > 2 ? pearson(px, py, np) : NAN;
        ev->corr_clip[d] = n_clip_ok[d] ? ev->corr_clip[d] / n_clip_ok[d] : NAN;
    }
    if (s->n > 0) {
        int within = 0;
        for (int i = 0; i < s->n; i++) within += lerr[i] < 0.1;
        ev->len_within10 = (double)within / s->n;
        qsort(lerr, (size_t)s->n, sizeof(double), cmp_double);
        ev->len_err_median = lerr[s->n / 2];
    }
    ev->n_points = n_points;
    double t0 = now();
    for (int p = 0; p < n_points; p++) {
        float z0[NR_LAT_DIM];
        for (int k = 0; k < NR_LAT_DIM; k++) z0[k] = nr_lat_gauss(seed, (uint64_t)p, (uint64_t)k + 7777);
        for (int r = 0; r < NR_LAT_DIM; r++) {
            float att[NR_LAT_DIM][EVAL_STEPS];
            for (int j = 0; j < EVAL_STEPS; j++) {
                float z[NR_LAT_DIM], a[NR_LAT_DIM];
                int n;
                memcpy(z, z0, sizeof z);
                z[r] = -EVAL_SPAN + 2.0f * EVAL_SPAN * j / (EVAL_STEPS - 1);
                nr_latent_decode_norm(w, z, v, &n, work);
                nr_latent_attributes(w, v, n, a);
                for (int q = 0; q < NR_LAT_DIM; q++) att[q][j] = a[q];
            }
            for (int q = 0; q < NR_LAT_DIM; q++) ev->rho[r][q] += spearman_vs_index(att[q], EVAL_STEPS) / n_points;
        }
    }
    /* the sweeps' decodes (with their attribute measurement, a small share) */
    ev->decode_us = n_points > 0 ? (now() - t0) * 1e6 / ((double)n_points * NR_LAT_DIM * EVAL_STEPS) : NAN;
    free(work), free(v), free(px), free(py), free(lerr);
    return NR_OK;
}

/* Clicks as the eval metric counts them: at the analysis rate, over the first 7 s. */
static nr_result count_clicks(const nr_audio *y, long *clicks)
{
    nr_audio y22 = {0};
    *clicks = 0;
    nr_result r = nr_audio_resample_kaiser_best(y->samples, y->n, y->rate, NR_ANALYSIS_RATE, &y22);
    if (r == NR_OK) {
        long n7 = nr_eval_compared_len(y22.n);
        r = nr_eval_count_clicks(y22.samples, n7, NR_ANALYSIS_RATE, clicks);
    }
    nr_audio_free(&y22);
    return r;
}

nr_result nr_latent_render_check(const nr_latent *lm, const nr_model *m, int n, uint64_t first, nr_latent_render_report *out)
{
    memset(out, 0, sizeof *out);
    if (n < 1) return nr_fail(NR_ERR_ARG, "latent render check: %d points", n);
    float *work = malloc(nr_latent_work_floats(&lm->w.hp) * sizeof(float));
    double *peak = malloc((size_t)n * sizeof(double)), *sec = malloc((size_t)n * sizeof(double));
    nr_curves c = {0};
    nr_result r = work && peak && sec ? nr_curves_alloc(&c, NR_LAT_T, NR_LAT_FPS) : NR_ERR_NOMEM;
    if (r != NR_OK) {
        free(work), free(peak), free(sec);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the latent render check");
    }
    long most = 0;
    for (int i = 0; i < n && r == NR_OK; i++) {
        uint64_t seed = first + (uint64_t)i;
        float z[NR_LAT_DIM];
        nr_latent_random_point(lm, seed, z);
        int frames = 0;
        nr_latent_decode(&lm->w, z, c.data, &frames, work); /* clamps */
        c.n_frames = frames;
        nr_curves rc_curves = {0};
        nr_audio y = {0};
        r = nr_curves_resample(&c, NR_ANALYSIS_FRAME_RATE, &rc_curves);
        nr_render_config rc = nr_render_config_init();
        rc.voice.seed = seed;
        if (r == NR_OK) r = nr_render(m, &rc_curves, &rc, &y);
        long clicks = 0, played_clicks = 0;
        if (r == NR_OK) r = count_clicks(&y, &clicks);
        if (r == NR_OK) {
            double p = 0;
            for (long k = 0; k < y.n; k++) p = fmax(p, fabs((double)y.samples[k]));
            peak[i] = p, sec[i] = (double)y.n / y.rate;
            out->silent += p < NR_LAT_SILENT_PEAK;
            out->clipped += p >= NR_LAT_CLIP_PEAK;
            out->clicks += clicks, out->clicky += clicks > 0;
            if (clicks > most) most = clicks, out->worst_seed = seed;
            /* as played: the output stage, in place (the render is not needed after this) */
            double pp = nr_synth_output_stage(y.samples, y.n, y.rate);
            r = count_clicks(&y, &played_clicks);
            out->played_silent += pp < NR_LAT_SILENT_PEAK;
            out->played_clipped += pp >= NR_LAT_CLIP_PEAK;
            out->played_clicks += played_clicks, out->played_clicky += played_clicks > 0;
            out->played_peak_max = fmax(out->played_peak_max, pp);
            out->n++;
        }
        nr_audio_free(&y);
        nr_curves_free(&rc_curves);
    }
    if (r == NR_OK) {
        qsort(peak, (size_t)n, sizeof(double), cmp_double);
        qsort(sec, (size_t)n, sizeof(double), cmp_double);
        out->peak_min = peak[0], out->peak_median = peak[n / 2], out->peak_max = peak[n - 1];
        out->sec_min = sec[0], out->sec_median = sec[n / 2], out->sec_max = sec[n - 1];
    }
    nr_curves_free(&c);
    free(work), free(peak), free(sec);
    return r;
}

/* ln rms of the loudest frame of the clips (at most 0: full scale). */
static float loudest(const nr_latent_weights *w, const lat_set *s)
{
    float top = -1e30f;
    for (int i = 0; i < s->n; i++)
        for (int t = 0; t < s->L[i]; t++) top = fmaxf(top, s->x[(size_t)i * NR_LAT_N_IN + t * NR_NUM_DESC + NR_DESC_LOUDNESS]);
    float ln = top * w->desc_std[NR_DESC_LOUDNESS] + w->desc_mean[NR_DESC_LOUDNESS];
    return s->n > 0 && ln < 0.0f ? ln : NR_LAT_LOUD_MAX_NONE;
}

/* The covered region: each axis's range of the training clips' encoder means, widened by Z_MARGIN. */
static void covered_region(nr_latent_weights *w, const lat_set *s)
{
    size_t nw = nr_latent_work_floats(&w->hp);
    float *work = malloc(nw * sizeof(float));
    if (!work || s->n == 0) {
        free(work);
        return;
    }
    float lo[NR_LAT_DIM], hi[NR_LAT_DIM];
    for (int k = 0; k < NR_LAT_DIM; k++) lo[k] = 1e30f, hi[k] = -1e30f;
    for (int i = 0; i < s->n; i++) {
        float mu[NR_LAT_DIM];
        nr_latent_encode(w, s->x + (size_t)i * NR_LAT_N_IN, mu, NULL, work);
        for (int k = 0; k < NR_LAT_DIM; k++) lo[k] = fminf(lo[k], mu[k]), hi[k] = fmaxf(hi[k], mu[k]);
    }
    for (int k = 0; k < NR_LAT_DIM; k++) w->z_lo[k] = lo[k] - Z_MARGIN, w->z_hi[k] = hi[k] + Z_MARGIN;
    free(work);
}

/* Tensor latent.map: the training clips' encodings (means), the dots of the instrument's Latent page. */
static nr_result add_map(const nr_latent_weights *w, const lat_set *s, nr_tensor_set *ts)
{
    if (s->n < 1) return NR_OK;
    float *map = malloc((size_t)s->n * NR_LAT_DIM * sizeof(float)), *work = malloc(nr_latent_work_floats(&w->hp) * sizeof(float));
    nr_result r = map && work ? NR_OK : nr_fail(NR_ERR_NOMEM, "out of memory for latent.map");
    if (r == NR_OK) encode_means(w, s, map, work);
    int64_t shape[2] = {s->n, NR_LAT_DIM};
    if (r == NR_OK) r = nr_tensor_set_add(ts, "latent.map", 2, shape, map);
    free(map), free(work);
    return r;
}

static void progress(const nr_latent_train_config *cfg, long step, long first, double t0, double loss,
                     const double parts[4], double vloss, int last)
{
    if (!cfg->progress) return;
    int tty = isatty(2);
    if (!tty && !last && step % 100 != 0) return;
    double el = now() - t0, rate = (step - first) / (el > 1e-9 ? el : 1e-9);
    long eta = rate > 0 ? (long)((cfg->steps - step) / rate) : 0;
    int width = 24, fill = (int)(width * (double)step / (cfg->steps ? cfg->steps : 1));
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '-';
    bar[width] = '\0';
    fprintf(stderr, "%sstep %ld/%ld [%s] loss %.4f (rec %.3f len %.3f kl %.2f ar %.3f) val %.4f %.1f steps/s ETA %ld:%02ld%s",
            tty ? "\r" : "", step, cfg->steps, bar, loss, parts[0], parts[1], parts[2], parts[3], vloss, rate, eta / 60,
            eta % 60, tty && !last ? "" : "\n");
    fflush(stderr);
}

static nr_result check_config(const nr_latent_train_config *c)
{
    if (!c->data) return nr_fail(NR_ERR_ARG, "train-latent: no data (--data MANIFEST or synthetic:N)");
    if (c->batch < 2 || c->batch > 256) return nr_fail(NR_ERR_ARG, "train-latent: batch %d: expected 2..256", c->batch);
    if (c->steps < 1) return nr_fail(NR_ERR_ARG, "train-latent: steps %ld: expected at least 1", c->steps);
    if (!(c->lr > 0) || !(c->beta >= 0) || !(c->gamma >= 0) || !(c->delta > 0) || !(c->len_weight >= 0) || c->kl_warmup < 0)
        return nr_fail(NR_ERR_ARG, "train-latent: lr and delta must be positive, beta, gamma, len weight and KL warm-up not negative");
    return NR_OK;
}

nr_result nr_latent_train(const nr_latent_train_config *cfg, nr_latent_train_report *rep)
{
    memset(rep, 0, sizeof *rep);
    nr_result r = check_config(cfg);
    if (r != NR_OK) return r;
    nr_latent_hparams hp = nr_latent_hparams_default();
    if (cfg->hidden > 0) hp.hidden = cfg->hidden;
    if (cfg->layers > 0) hp.layers = cfg->layers;
    if ((r = nr_latent_hparams_check(&hp, "train-latent")) != NR_OK) return r;
    char ck_buf[1024];
    const char *ck = cfg->checkpoint;
    if (!ck && cfg->out) {
        snprintf(ck_buf, sizeof ck_buf, "%s.ckpt", cfg->out);
        ck = ck_buf;
    }
    curve_list sp[3];
    memset(sp, 0, sizeof sp);
    lat_set set[3];
    memset(set, 0, sizeof set);
    lat_trainer t;
    memset(&t, 0, sizeof t);
    r = load_curves(cfg->data, cfg->seed, sp, &rep->n_skipped);
    if (r == NR_OK && sp[0].n < 2) r = nr_fail(NR_ERR_ARG, "%s: fewer than 2 usable training clips", cfg->data);
    if (r == NR_OK) r = trainer_init(&t, cfg, &hp);
    if (r != NR_OK) goto done;
    init_weights(&t, cfg->seed);
    normalisation(&sp[0], t.w.desc_mean, t.w.desc_std);
    if (cfg->resume) {
        /* the normalisation is part of the parameters: the checkpoint's wins */
        if ((r = ck_read(cfg->resume, &t, cfg->seed)) != NR_OK) goto done;
    }
    for (int k = 0; k < 3 && r == NR_OK; k++) r = set_make(&t.w, &sp[k], &set[k]);
    if (r != NR_OK) goto done;
    rep->n_train = set[0].n, rep->n_valid = set[1].n, rep->n_test = set[2].n;
    rep->n_params = t.n_trainable;
    nr_adam_config ad = {cfg->lr, 0.9f, 0.999f, 1e-8f, 1.0f};
    double t0 = now(), vloss = eval_split(&t, &set[1]), recent[20];
    rep->valid_first = vloss;
    long first = t.step;
    int nrec = 0;
    double parts[4] = {0};
    while (t.step < cfg->steps) {
        int idx[256];
        for (int i = 0; i < t.B; i++) {
            idx[i] = (int)(nr_train_hash(cfg->seed, (uint64_t)t.step, (uint64_t)i) % (uint64_t)set[0].n);
            for (int k = 0; k < NR_LAT_DIM; k++)
                t.eps[i * NR_LAT_DIM + k] = nr_lat_gauss(cfg->seed, (uint64_t)t.step, (uint64_t)(1000 + i * NR_LAT_DIM + k));
        }
        gather(&t, &set[0], idx, t.B);
        double loss = batch_loss(&t, t.B, 1, parts);
        if (!isfinite(loss)) {
            r = nr_fail(NR_ERR_VALUE, "train-latent: loss became %g at step %ld (lower --lr)", loss, t.step);
            goto done;
        }
        /* cosine decay to a tenth of the peak rate over the run */
        float lr = cfg->lr * (float)(0.1 + 0.45 * (1.0 + cos(M_PI * (double)t.step / cfg->steps)));
        t.step++;
        nr_adam_step(&ad, t.params, t.grad, t.m, t.v, (long)t.n_trainable, t.step, lr);
        if (t.step == first + 1) rep->first_loss = loss;
        recent[nrec++ % 20] = loss;
        int last = t.step == cfg->steps || t.step == cfg->stop_after;
        if ((cfg->valid_every > 0 && t.step % cfg->valid_every == 0) || last) vloss = eval_split(&t, &set[1]);
        if (ck && ((cfg->checkpoint_every > 0 && t.step % cfg->checkpoint_every == 0) || last))
            if ((r = ck_write(ck, &t, cfg->seed)) != NR_OK) goto done;
        double mean = 0;
        int k = nrec < 20 ? nrec : 20;
        for (int i = 0; i < k; i++) mean += recent[i];
        rep->train_loss = mean / k;
        progress(cfg, t.step, first, t0, loss, parts, vloss, last);
        if (t.step == cfg->stop_after) break;
    }
    rep->step = t.step;
    rep->valid_loss = eval_split(&t, &set[1]);
    rep->seconds = now() - t0;
    covered_region(&t.w, &set[0]);
    t.w.loud_max = loudest(&t.w, &set[0]);
    r = evaluate(&t.w, set[2].n > 0 ? &set[2] : &set[1], 200, cfg->seed, &rep->eval);
    if (r == NR_OK) r = realism(&t.w, &set[0], set[2].n > 0 ? &set[2] : &set[1], cfg->seed, &rep->eval);
    if (r == NR_OK && cfg->out) {
        nr_tensor_set ts;
        memset(&ts, 0, sizeof ts);
        r = nr_latent_to_tensors(&t.w, &ts);
        if (r == NR_OK) r = add_map(&t.w, &set[0], &ts);
        if (r == NR_OK) r = nr_safetensors_write(cfg->out, &ts);
        nr_tensor_set_free(&ts);
    }
done:
    for (int k = 0; k < 3; k++) curve_list_free(&sp[k]), set_free(&set[k]);
    trainer_free(&t);
    return r;
}

nr_result nr_latent_evaluate_file(const char *model, const char *data, int n_points, uint64_t seed, nr_latent_eval *ev)
{
    nr_latent lm;
    nr_result r = nr_latent_load(model, &lm);
    if (r != NR_OK) return r;
    curve_list sp[3];
    memset(sp, 0, sizeof sp);
    lat_set s;
    memset(&s, 0, sizeof s);
    int skipped;
    r = load_curves(data, seed, sp, &skipped);
    const curve_list *use = sp[2].n > 0 ? &sp[2] : &sp[1];
    lat_set train;
    memset(&train, 0, sizeof train);
    if (r == NR_OK) r = set_make(&lm.w, use, &s);
    if (r == NR_OK) r = set_make(&lm.w, &sp[0], &train);
    if (r == NR_OK) r = evaluate(&lm.w, &s, n_points, seed, ev);
    if (r == NR_OK) r = realism(&lm.w, &train, &s, seed, ev);
    set_free(&train);
    for (int k = 0; k < 3; k++) curve_list_free(&sp[k]);
    set_free(&s);
    nr_latent_free(&lm);
    return r;
}

/* ---- the map: training clips' encodings on the plane of two axes, coloured by class ---- */

enum {
    MAP_PLOT = 420,               /* px of the plotted square */
    MAP_L = 30, MAP_T = 16, MAP_B = 16, MAP_R = 96, /* margins: tick labels, title, axis labels, legend */
    MAP_MAX_CLASSES = 16,
    MAP_WHITE = 0, MAP_BLACK, MAP_GRID, MAP_AXIS, MAP_CLASS0 /* palette: then one colour per class */
};
#define MAP_SPAN 3.0f /* prior std shown either side of 0 */

static const uint8_t g_class_rgb[MAP_MAX_CLASSES][3] = {
    {228, 26, 28}, {55, 126, 184}, {77, 175, 74}, {152, 78, 163}, {255, 127, 0}, {166, 86, 40},
    {247, 129, 191}, {20, 20, 20}, {0, 170, 170}, {180, 180, 0}, {100, 100, 255}, {200, 0, 100},
    {0, 100, 50}, {120, 60, 0}, {90, 90, 90}, {120, 200, 255}};

typedef struct {
    int w, h;
    uint8_t *px; /* (h, w) palette indices */
} map_image;

static void map_put(map_image *im, int x, int y, uint8_t c)
{
    if (x >= 0 && y >= 0 && x < im->w && y < im->h) im->px[(size_t)y * im->w + x] = c;
}

static void map_text(map_image *im, int x, int y, const char *s, uint8_t c)
{
    for (; *s; s++, x += NR_FONT_ADV) {
        const uint8_t *g = nr_font_glyph(*s);
        for (int r = 0; r < NR_FONT_H; r++)
            for (int col = 0; col < NR_FONT_W; col++)
                if (g[r] & (1u << (NR_FONT_W - 1 - col))) map_put(im, x + col, y + r, c);
    }
}

static void map_row(void *ctx, int y, uint8_t *out)
{
    map_image *im = ctx;
    memcpy(out, im->px + (size_t)y * im->w, (size_t)im->w);
}

static int map_px(float z) { return (int)lroundf((z + MAP_SPAN) / (2 * MAP_SPAN) * (MAP_PLOT - 1)); }

nr_result nr_latent_map_png(const char *model, const char *data, int ax, int ay, const char *out)
{
    if (ax < 0 || ax >= NR_LAT_DIM || ay < 0 || ay >= NR_LAT_DIM || ax == ay)
        return nr_fail(NR_ERR_ARG, "latent map: axes %d,%d: expected two different axes in 1..%d", ax + 1, ay + 1, NR_LAT_DIM);
    nr_latent lm;
    nr_result r = nr_latent_load(model, &lm);
    if (r != NR_OK) return r;
    curve_list sp[3];
    memset(sp, 0, sizeof sp);
    int skipped;
    lat_set s;
    memset(&s, 0, sizeof s);
    map_image im = {MAP_L + MAP_PLOT + MAP_R, MAP_T + MAP_PLOT + MAP_B, NULL};
    float *work = malloc(nr_latent_work_floats(&lm.w.hp) * sizeof(float));
    im.px = calloc((size_t)im.w * im.h, 1);
    r = load_curves(data, 1, sp, &skipped);
    if (r == NR_OK) r = set_make(&lm.w, &sp[0], &s);
    if (r == NR_OK && (!work || !im.px)) r = nr_fail(NR_ERR_NOMEM, "out of memory for the latent map");
    if (r == NR_OK) {
        char names[MAP_MAX_CLASSES][16];
        int n_cls = 0, count[MAP_MAX_CLASSES] = {0};
        /* grid at every std, the axes through 0, the covered region's box */
        for (int g = -(int)MAP_SPAN; g <= (int)MAP_SPAN; g++) {
            int p = map_px((float)g);
            for (int i = 0; i < MAP_PLOT; i++) {
                map_put(&im, MAP_L + p, MAP_T + i, g ? MAP_GRID : MAP_AXIS);
                map_put(&im, MAP_L + i, MAP_T + MAP_PLOT - 1 - p, g ? MAP_GRID : MAP_AXIS);
            }
            char lab[8];
            snprintf(lab, sizeof lab, "%+d", g);
            map_text(&im, MAP_L + p - NR_FONT_ADV, MAP_T + MAP_PLOT + 4, g ? lab : "0", MAP_BLACK);
            map_text(&im, 2, MAP_T + MAP_PLOT - 1 - p - NR_FONT_H / 2, g ? lab : " 0", MAP_BLACK);
        }
        int bx0 = map_px(lm.w.z_lo[ax]), bx1 = map_px(lm.w.z_hi[ax]), by0 = map_px(lm.w.z_lo[ay]), by1 = map_px(lm.w.z_hi[ay]);
        for (int x = bx0; x <= bx1; x++)
            if (x >= 0 && x < MAP_PLOT && x % 4 < 2)
                for (int e = 0; e < 2; e++) {
                    int y = e ? by0 : by1;
                    if (y >= 0 && y < MAP_PLOT) map_put(&im, MAP_L + x, MAP_T + MAP_PLOT - 1 - y, MAP_BLACK);
                }
        for (int y = by0; y <= by1; y++)
            if (y >= 0 && y < MAP_PLOT && y % 4 < 2)
                for (int e = 0; e < 2; e++) {
                    int x = e ? bx0 : bx1;
                    if (x >= 0 && x < MAP_PLOT) map_put(&im, MAP_L + x, MAP_T + MAP_PLOT - 1 - y, MAP_BLACK);
                }
        for (int i = 0; i < s.n; i++) {
            int c = 0;
            while (c < n_cls && strcmp(names[c], sp[0].cls[i])) c++;
            if (c == n_cls && n_cls < MAP_MAX_CLASSES) snprintf(names[n_cls++], sizeof names[0], "%s", sp[0].cls[i]);
            if (c >= MAP_MAX_CLASSES) c = MAP_MAX_CLASSES - 1; /* beyond 16 classes: the last colour */
            count[c]++;
            float mu[NR_LAT_DIM];
            nr_latent_encode(&lm.w, s.x + (size_t)i * NR_LAT_N_IN, mu, NULL, work);
            int x = map_px(mu[ax]), y = map_px(mu[ay]);
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    if (x + dx >= 0 && x + dx < MAP_PLOT && y + dy >= 0 && y + dy < MAP_PLOT)
                        map_put(&im, MAP_L + x + dx, MAP_T + MAP_PLOT - 1 - (y + dy), (uint8_t)(MAP_CLASS0 + c));
        }
        char title[96];
        snprintf(title, sizeof title, "axis %d %s (x) vs axis %d %s (y), %d clips", ax + 1, nr_lat_attr_names[ax],
                 ay + 1, nr_lat_attr_names[ay], s.n);
        map_text(&im, MAP_L, 4, title, MAP_BLACK);
        for (int c = 0; c < n_cls; c++) {
            int y = MAP_T + 4 + c * 12;
            for (int dy = 0; dy < 7; dy++)
                for (int dx = 0; dx < 7; dx++) map_put(&im, MAP_L + MAP_PLOT + 8 + dx, y + dy, (uint8_t)(MAP_CLASS0 + c));
            char lab[32];
            snprintf(lab, sizeof lab, "%s %d", names[c], count[c]);
            map_text(&im, MAP_L + MAP_PLOT + 18, y, lab, MAP_BLACK);
        }
        uint8_t pal[3 * (MAP_CLASS0 + MAP_MAX_CLASSES)] = {255, 255, 255, 0, 0, 0, 225, 225, 225, 150, 150, 150};
        memcpy(pal + 3 * MAP_CLASS0, g_class_rgb, sizeof g_class_rgb);
        r = nr_png_write(out, im.w, im.h, 8, pal, MAP_CLASS0 + MAP_MAX_CLASSES, map_row, &im);
    }
    for (int k = 0; k < 3; k++) curve_list_free(&sp[k]);
    set_free(&s);
    free(work);
    free(im.px);
    nr_latent_free(&lm);
    return r;
}
