/* The latent curve model's inference side: tensor table, file I/O, curve preparation, encode, decode
 * and the attributes its axes stand for (nr/latent.h). */
#include "nr/latent.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "models/impact.h"

const char *const nr_lat_attr_names[NR_LAT_DIM] = {"decay", "brightness", "pitch", "noisiness"};

#define LOGVAR_LIMIT 12.0f /* decoded variance is never used; the encoder's log variance is kept sane */
#define DB_TO_LN (0.11512925f) /* ln(10) / 20: dB -> natural log of an amplitude */
#define END_FADE_FRAMES 3      /* 120 ms */
#define END_FADE_DB 60.0f      /* level of the last decoded frame below what the decoder gave */
#define LOUD_LN_MIN (-14.0f)   /* quietest decoded rms (ln): -122 dB */

nr_latent_hparams nr_latent_hparams_default(void)
{
    nr_latent_hparams hp = {128, 2}; /* 350 k parameters, 1.4 MB: as good as 256 wide on 2 k clips (docs/latent.md) */
    return hp;
}

nr_result nr_latent_hparams_check(const nr_latent_hparams *hp, const char *what)
{
    if (hp->hidden < 4 || hp->hidden > 4096 || hp->layers < 1 || hp->layers > NR_LAT_MAX_LAYERS)
        return nr_fail(NR_ERR_FORMAT, "%s: latent model of hidden %d, layers %d: expected hidden 4..4096, layers 1..%d",
                       what, hp->hidden, hp->layers, NR_LAT_MAX_LAYERS);
    return NR_OK;
}

static void dims(const nr_latent_hparams *hp, int *enc, int *dec)
{
    enc[0] = NR_LAT_N_IN, dec[0] = NR_LAT_DIM;
    for (int l = 1; l <= hp->layers; l++) enc[l] = dec[l] = hp->hidden;
    enc[hp->layers + 1] = 2 * NR_LAT_DIM;
    dec[hp->layers + 1] = NR_LAT_N_OUT;
}

static void add(nr_latent_tensor_desc *t, int *n, const char *name, int64_t a, int64_t b, int trainable)
{
    nr_latent_tensor_desc *d = &t[(*n)++];
    snprintf(d->name, sizeof d->name, "%s", name);
    d->ndim = b > 0 ? 2 : 1;
    d->shape[0] = a, d->shape[1] = b > 0 ? b : 0;
    d->trainable = trainable;
}

int nr_latent_tensor_table(const nr_latent_hparams *hp, nr_latent_tensor_desc *out)
{
    int enc[NR_LAT_MAX_LAYERS + 2], dec[NR_LAT_MAX_LAYERS + 2], n = 0;
    dims(hp, enc, dec);
    char name[40];
    for (int l = 0; l <= hp->layers; l++) {
        snprintf(name, sizeof name, "latent.enc.%d.weight", l);
        add(out, &n, name, enc[l + 1], enc[l], 1);
        snprintf(name, sizeof name, "latent.enc.%d.bias", l);
        add(out, &n, name, enc[l + 1], 0, 1);
    }
    for (int l = 0; l <= hp->layers; l++) {
        snprintf(name, sizeof name, "latent.dec.%d.weight", l);
        add(out, &n, name, dec[l + 1], dec[l], 1);
        snprintf(name, sizeof name, "latent.dec.%d.bias", l);
        add(out, &n, name, dec[l + 1], 0, 1);
    }
    add(out, &n, "latent.desc_mean", NR_NUM_DESC, 0, 0);
    add(out, &n, "latent.desc_std", NR_NUM_DESC, 0, 0);
    add(out, &n, "latent.z_lo", NR_LAT_DIM, 0, 0);
    add(out, &n, "latent.z_hi", NR_LAT_DIM, 0, 0);
    return n;
}

static int64_t numel(const nr_latent_tensor_desc *d) { return d->ndim == 2 ? d->shape[0] * d->shape[1] : d->shape[0]; }

int64_t nr_latent_n_values(const nr_latent_hparams *hp, int trainable_only)
{
    nr_latent_tensor_desc t[NR_LAT_MAX_TENSORS];
    int n = nr_latent_tensor_table(hp, t);
    int64_t s = 0;
    for (int i = 0; i < n; i++)
        if (!trainable_only || t[i].trainable) s += numel(&t[i]);
    return s;
}

void nr_latent_carve(const nr_latent_hparams *hp, float *block, nr_latent_weights *w)
{
    memset(w, 0, sizeof *w);
    w->hp = *hp;
    w->n_enc = w->n_dec = hp->layers + 1;
    dims(hp, w->enc_dim, w->dec_dim);
    nr_latent_tensor_desc t[NR_LAT_MAX_TENSORS];
    int n = nr_latent_tensor_table(hp, t), k = 0;
    float *p = block;
    for (int l = 0; l < w->n_enc; l++) w->enc_w[l] = p, p += numel(&t[k++]), w->enc_b[l] = p, p += numel(&t[k++]);
    for (int l = 0; l < w->n_dec; l++) w->dec_w[l] = p, p += numel(&t[k++]), w->dec_b[l] = p, p += numel(&t[k++]);
    w->desc_mean = p, p += numel(&t[k++]);
    w->desc_std = p, p += numel(&t[k++]);
    w->z_lo = p, p += numel(&t[k++]);
    w->z_hi = p, p += numel(&t[k++]);
    w->loud_max = NR_LAT_LOUD_MAX_NONE;
    (void)n;
}

/* ---- file ---- */

static int meta_int(const nr_tensor_set *ts, const char *key, int *v)
{
    const char *s = nr_tensor_set_meta(ts, key);
    if (!s) return 0;
    char *end;
    long x = strtol(s, &end, 10);
    if (end == s || *end || x < -1000000 || x > 1000000) return 0;
    *v = (int)x;
    return 1;
}

nr_result nr_latent_from_tensors(const nr_tensor_set *ts, const char *what, nr_latent *out)
{
    memset(out, 0, sizeof *out);
    const char *arch = nr_tensor_set_meta(ts, "latent.arch");
    if (!arch) return nr_fail(NR_ERR_FORMAT, "%s: no latent curve model in it (no latent.arch metadata)", what);
    if (strcmp(arch, NR_LAT_ARCH))
        return nr_fail(NR_ERR_VERSION, "%s: latent model '%s', this build reads %s", what, arch, NR_LAT_ARCH);
    nr_latent_hparams hp;
    int fps, frames, dim;
    if (!meta_int(ts, "latent.hidden", &hp.hidden) || !meta_int(ts, "latent.layers", &hp.layers) ||
        !meta_int(ts, "latent.fps", &fps) || !meta_int(ts, "latent.frames", &frames) || !meta_int(ts, "latent.dim", &dim))
        return nr_fail(NR_ERR_FORMAT, "%s: latent.hidden, .layers, .fps, .frames and .dim must be whole numbers", what);
    if (fps != NR_LAT_FPS || frames != NR_LAT_T || dim != NR_LAT_DIM)
        return nr_fail(NR_ERR_SHAPE, "%s: latent grid %d frames at %d/s, %d axes; this build has %d at %d/s, %d axes",
                       what, frames, fps, dim, NR_LAT_T, NR_LAT_FPS, NR_LAT_DIM);
    nr_result r = nr_latent_hparams_check(&hp, what);
    if (r != NR_OK) return r;
    int64_t total = nr_latent_n_values(&hp, 0);
    out->block = malloc((size_t)total * sizeof(float));
    if (!out->block) return nr_fail(NR_ERR_NOMEM, "%s: out of memory for the latent model", what);
    nr_latent_tensor_desc t[NR_LAT_MAX_TENSORS];
    int n = nr_latent_tensor_table(&hp, t);
    float *p = out->block;
    for (int i = 0; i < n; i++) {
        const nr_tensor *x = nr_tensor_set_find(ts, t[i].name);
        int ok = x && x->ndim == t[i].ndim && x->shape[0] == t[i].shape[0] && (x->ndim == 1 || x->shape[1] == t[i].shape[1]);
        if (!ok) {
            nr_latent_free(out);
            if (!x) return nr_fail(NR_ERR_FORMAT, "%s: tensor %s missing", what, t[i].name);
            return nr_fail(NR_ERR_SHAPE, "%s: tensor %s: expected shape (%lld%s%lld)", what, t[i].name,
                           (long long)t[i].shape[0], t[i].ndim == 2 ? ", " : "", t[i].ndim == 2 ? (long long)t[i].shape[1] : 0LL);
        }
        for (int64_t j = 0; j < x->numel; j++)
            if (!isfinite(x->data[j])) {
                nr_latent_free(out);
                return nr_fail(NR_ERR_VALUE, "%s: tensor %s holds NaN or infinity", what, t[i].name);
            }
        memcpy(p, x->data, (size_t)x->numel * sizeof(float));
        p += x->numel;
    }
    nr_latent_carve(&hp, out->block, &out->w);
    const char *lmax = nr_tensor_set_meta(ts, "latent.loud_max"); /* optional: older files have none */
    if (lmax) {
        char *end;
        double x = strtod(lmax, &end);
        if (end == lmax || *end || !(x >= LOUD_LN_MIN && x <= 0.0)) {
            nr_latent_free(out);
            return nr_fail(NR_ERR_VALUE, "%s: metadata latent.loud_max '%s': expected a number in %g..0 (ln rms)", what,
                           lmax, (double)LOUD_LN_MIN);
        }
        out->w.loud_max = (float)x;
    }
    const nr_tensor *mp = nr_tensor_set_find(ts, "latent.map"); /* optional: older files have none */
    if (mp) {
        int ok = mp->ndim == 2 && mp->shape[1] == NR_LAT_DIM && mp->shape[0] >= 1 && mp->shape[0] <= NR_LAT_MAP_MAX;
        for (int64_t j = 0; ok && j < mp->numel; j++) ok = isfinite(mp->data[j]);
        if (!ok) {
            nr_latent_free(out);
            return nr_fail(NR_ERR_SHAPE, "%s: tensor latent.map: expected (1..%d, %d) finite values", what, NR_LAT_MAP_MAX,
                           NR_LAT_DIM);
        }
        out->map = malloc((size_t)mp->numel * sizeof(float));
        if (!out->map) {
            nr_latent_free(out);
            return nr_fail(NR_ERR_NOMEM, "%s: out of memory for latent.map", what);
        }
        memcpy(out->map, mp->data, (size_t)mp->numel * sizeof(float));
        out->n_map = (int)mp->shape[0];
    }
    for (int d = 0; d < NR_NUM_DESC; d++)
        if (!(out->w.desc_std[d] > 0)) {
            nr_latent_free(out);
            return nr_fail(NR_ERR_VALUE, "%s: latent.desc_std[%d] is not positive", what, d);
        }
    for (int k = 0; k < NR_LAT_DIM; k++)
        if (!(out->w.z_lo[k] <= out->w.z_hi[k])) {
            nr_latent_free(out);
            return nr_fail(NR_ERR_VALUE, "%s: latent.z_lo[%d] above latent.z_hi[%d]", what, k, k);
        }
    return NR_OK;
}

nr_result nr_latent_load(const char *path, nr_latent *out)
{
    nr_tensor_set ts;
    memset(&ts, 0, sizeof ts);
    memset(out, 0, sizeof *out);
    nr_result r = nr_safetensors_read(path, &ts);
    if (r == NR_OK) r = nr_latent_from_tensors(&ts, path, out);
    nr_tensor_set_free(&ts);
    return r;
}

nr_result nr_latent_open(const char *path, nr_latent **out)
{
    *out = NULL;
    nr_latent *lm = malloc(sizeof *lm);
    if (!lm) return nr_fail(NR_ERR_NOMEM, "%s: out of memory for the latent model", path);
    nr_result r = nr_latent_load(path, lm);
    if (r != NR_OK) free(lm);
    else *out = lm;
    return r;
}

int nr_latent_beside(const char *model_path, char *out, size_t cap)
{
    static const char ext[] = ".safetensors";
    if (cap) out[0] = '\0';
    if (!model_path || !cap) return 0;
    size_t n = strlen(model_path), ne = sizeof ext - 1;
    size_t stem = n >= ne && !strcmp(model_path + n - ne, ext) ? n - ne : n;
    if (stem + sizeof NR_LAT_BESIDE_SUFFIX > cap) return 0;
    memcpy(out, model_path, stem);
    memcpy(out + stem, NR_LAT_BESIDE_SUFFIX, sizeof NR_LAT_BESIDE_SUFFIX);
    struct stat st;
    return stat(out, &st) == 0 && S_ISREG(st.st_mode);
}

nr_result nr_latent_to_tensors(const nr_latent_weights *w, nr_tensor_set *ts)
{
    nr_latent_tensor_desc t[NR_LAT_MAX_TENSORS];
    int n = nr_latent_tensor_table(&w->hp, t);
    const float *p = w->enc_w[0]; /* the block starts with the first tensor */
    nr_result r = NR_OK;
    for (int i = 0; i < n && r == NR_OK; i++) {
        r = nr_tensor_set_add(ts, t[i].name, t[i].ndim, t[i].shape, p);
        p += numel(&t[i]);
    }
    char v[32];
    snprintf(v, sizeof v, "%d", w->hp.hidden);
    if (r == NR_OK) r = nr_tensor_set_set_meta(ts, "latent.arch", NR_LAT_ARCH);
    if (r == NR_OK) r = nr_tensor_set_set_meta(ts, "latent.hidden", v);
    snprintf(v, sizeof v, "%d", w->hp.layers);
    if (r == NR_OK) r = nr_tensor_set_set_meta(ts, "latent.layers", v);
    snprintf(v, sizeof v, "%d", NR_LAT_FPS);
    if (r == NR_OK) r = nr_tensor_set_set_meta(ts, "latent.fps", v);
    snprintf(v, sizeof v, "%d", NR_LAT_T);
    if (r == NR_OK) r = nr_tensor_set_set_meta(ts, "latent.frames", v);
    snprintf(v, sizeof v, "%d", NR_LAT_DIM);
    if (r == NR_OK) r = nr_tensor_set_set_meta(ts, "latent.dim", v);
    if (r == NR_OK) r = nr_tensor_set_set_meta(ts, "latent.axes", "decay,brightness,pitch,noisiness");
    snprintf(v, sizeof v, "%.6f", (double)w->loud_max);
    if (r == NR_OK) r = nr_tensor_set_set_meta(ts, "latent.loud_max", v);
    return r;
}

void nr_latent_free(nr_latent *m)
{
    free(m->block);
    free(m->map);
    memset(m, 0, sizeof *m);
}

size_t nr_latent_work_floats(const nr_latent_hparams *hp)
{
    size_t h = (size_t)hp->hidden, big = NR_LAT_N_OUT > NR_LAT_N_IN ? NR_LAT_N_OUT : NR_LAT_N_IN;
    return 2 * (h > big ? h : big);
}

/* ---- kernels ---- */

void nr_lat_linear_forward_ref(float *y, const float *x, const float *W, const float *b, int B, int in, int out)
{
    for (int i = 0; i < B; i++)
        for (int o = 0; o < out; o++) {
            double s = b[o];
            for (int k = 0; k < in; k++) s += (double)x[(size_t)i * in + k] * W[(size_t)o * in + k];
            y[(size_t)i * out + o] = (float)s;
        }
}

void nr_lat_linear_forward(float *y, const float *x, const float *W, const float *b, int B, int in, int out)
{
    for (int i = 0; i < B; i++) memcpy(y + (size_t)i * out, b, (size_t)out * sizeof(float));
    if (B == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, W, in, x, 1, 1.0f, y, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, out, in, 1.0f, x, in, W, in, 1.0f, y, out);
}

/* One MLP on one row: x (dim[0]) -> out (dim[n]); tanh between layers. work: two rows of the widest. */
static void mlp1(const int *dim, int n, float *const *W, float *const *b, const float *x, float *out, float *work,
                 size_t half)
{
    const float *cur = x;
    for (int l = 0; l < n; l++) {
        float *dst = l == n - 1 ? out : work + (l % 2) * half;
        nr_lat_linear_forward(dst, cur, W[l], b[l], 1, dim[l], dim[l + 1]);
        if (l < n - 1)
            for (int j = 0; j < dim[l + 1]; j++) dst[j] = tanhf(dst[j]);
        cur = dst;
    }
}

static float clampf(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }

void nr_latent_prepare(const nr_latent_weights *w, const nr_curves *c, float *x, int *n_frames)
{
    memset(x, 0, NR_LAT_N_IN * sizeof(float));
    double dur = c->frame_rate > 0 ? c->n_frames / (double)c->frame_rate : 0.0;
    int L = (int)lround(dur * NR_LAT_FPS);
    L = L < NR_LAT_MIN_FRAMES ? NR_LAT_MIN_FRAMES : L > NR_LAT_T ? NR_LAT_T : L;
    for (int t = 0; t < L; t++) {
        /* source frames whose time lies within this grid frame's 1/NR_LAT_FPS around its time */
        double centre = (double)t / NR_LAT_FPS * c->frame_rate, half = 0.5 / NR_LAT_FPS * c->frame_rate;
        long a = (long)ceil(centre - half), b = (long)floor(centre + half);
        if (a < 0) a = 0;
        if (b > c->n_frames - 1) b = c->n_frames - 1;
        if (a > b) a = b = lround(centre) < c->n_frames ? lround(centre) : c->n_frames - 1;
        float acc[NR_NUM_DESC] = {0}, v[NR_NUM_DESC];
        for (long s = a; s <= b && s >= 0; s++) {
            nr_imp_desc_transform(c->data + (size_t)s * NR_NUM_DESC, v);
            for (int d = 0; d < NR_NUM_DESC; d++) acc[d] += v[d];
        }
        int cnt = b >= a && b >= 0 ? (int)(b - a + 1) : 1;
        for (int d = 0; d < NR_NUM_DESC; d++)
            x[t * NR_NUM_DESC + d] = (acc[d] / cnt - w->desc_mean[d]) / w->desc_std[d];
    }
    x[NR_LAT_N_X] = logf((float)L / NR_LAT_T) / NR_LAT_LEN_SCALE;
    *n_frames = L;
}

void nr_latent_encode(const nr_latent_weights *w, const float *x, float *mean, float *logvar, float *work)
{
    float o[2 * NR_LAT_DIM];
    size_t half = nr_latent_work_floats(&w->hp) / 2;
    mlp1(w->enc_dim, w->n_enc, (float *const *)w->enc_w, (float *const *)w->enc_b, x, o, work, half);
    for (int k = 0; k < NR_LAT_DIM; k++) {
        mean[k] = o[k];
        if (logvar) logvar[k] = clampf(o[NR_LAT_DIM + k], -LOGVAR_LIMIT, LOGVAR_LIMIT);
    }
}

int nr_latent_length(float log_share)
{
    float f = expf(clampf(log_share, -10.0f, 0.0f)) * NR_LAT_T;
    int n = (int)lroundf(f);
    return n < NR_LAT_MIN_FRAMES ? NR_LAT_MIN_FRAMES : n > NR_LAT_T ? NR_LAT_T : n;
}

void nr_latent_decode_norm(const nr_latent_weights *w, const float *z, float *v, int *n_frames, float *work)
{
    size_t half = nr_latent_work_floats(&w->hp) / 2;
    /* the last layer writes the half of work its input is not in */
    float *out = work + ((w->n_dec - 1) % 2) * half; /* (NR_LAT_N_OUT) */
    mlp1(w->dec_dim, w->n_dec, (float *const *)w->dec_w, (float *const *)w->dec_b, z, out, work, half);
    memcpy(v, out, NR_LAT_N_X * sizeof(float));
    *n_frames = nr_latent_length(out[NR_LAT_N_X]);
}

float nr_latent_prior_draw(uint64_t seed, int k)
{
    uint64_t h = nr_imp_seed_mix(nr_imp_seed_mix(seed ^ 0x1a7e47d3a5ULL) + (uint64_t)k * 0x9E3779B97F4A7C15ULL);
    double u1 = ((h >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double u2 = ((nr_imp_seed_mix(h) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2)); /* Box-Muller */
}

void nr_latent_data_draw(const float *map, int n, uint64_t seed, float z[NR_LAT_DIM])
{
    if (!map || n < 2) {
        for (int k = 0; k < NR_LAT_DIM; k++) z[k] = nr_latent_prior_draw(seed, k);
        return;
    }
    uint64_t h = nr_imp_seed_mix(nr_imp_seed_mix(seed ^ 0x5eedda7aULL));
    int j = (int)(h % (uint64_t)n);
    double shrink = 1.06 * pow((double)n, -0.2);
    for (int k = 0; k < NR_LAT_DIM; k++) {
        double s1 = 0, s2 = 0;
        for (int i = 0; i < n; i++) s1 += map[(size_t)i * NR_LAT_DIM + k], s2 += (double)map[(size_t)i * NR_LAT_DIM + k] * map[(size_t)i * NR_LAT_DIM + k];
        double m = s1 / n, sd = sqrt(fmax(s2 / n - m * m, 0.0));
        z[k] = map[(size_t)j * NR_LAT_DIM + k] + (float)(shrink * sd) * nr_latent_prior_draw(seed, k);
    }
}

void nr_latent_random_point(const nr_latent *m, uint64_t seed, float z[NR_LAT_DIM])
{
    nr_latent_data_draw(m->map, m->n_map, seed, z);
}

void nr_latent_clamp(const nr_latent_weights *w, float *z)
{
    for (int k = 0; k < NR_LAT_DIM; k++) z[k] = isfinite(z[k]) ? clampf(z[k], w->z_lo[k], w->z_hi[k]) : 0.0f;
}

void nr_latent_decode(const nr_latent_weights *w, const float *z, float *out, int *n_frames, float *work)
{
    float zc[NR_LAT_DIM];
    memcpy(zc, z, sizeof zc);
    nr_latent_clamp(w, zc);
    nr_latent_decode_norm(w, zc, out, n_frames, work);
    for (int t = 0; t < NR_LAT_T; t++) {
        float *f = out + t * NR_NUM_DESC;
        for (int d = 0; d < NR_NUM_DESC; d++) {
            float u = f[d] * w->desc_std[d] + w->desc_mean[d];
            switch (d) {
            case NR_DESC_PERCUSSIVITY: f[d] = clampf(u, 0.0f, 1.0f); break;
            case NR_DESC_LOUDNESS: f[d] = expf(clampf(u, LOUD_LN_MIN, w->loud_max)); break;
            case NR_DESC_NOISINESS: f[d] = expf(clampf(u, -14.0f, 0.0f)); break;
            default: f[d] = expf(clampf(u, 0.0f, 10.08f)); break; /* 1 Hz .. 24 kHz */
            }
        }
    }
    /* the length output cuts the sound: its last frames fall to silence so the cut never clicks */
    for (int k = 0; k < END_FADE_FRAMES && k < *n_frames; k++)
        out[(*n_frames - 1 - k) * NR_NUM_DESC + NR_DESC_LOUDNESS] *= powf(10.0f, -END_FADE_DB * (END_FADE_FRAMES - k) / (20.0f * END_FADE_FRAMES));
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

void nr_latent_attributes(const nr_latent_weights *w, const float *v, int n, float a[NR_LAT_DIM])
{
    if (n < 1) n = 1;
    if (n > NR_LAT_T) n = NR_LAT_T;
    /* natural log of the rms, from the normalised loudness column */
    float ls = w->desc_std[NR_DESC_LOUDNESS], lm = w->desc_mean[NR_DESC_LOUDNESS];
    int peak = 0;
    for (int t = 1; t < n; t++)
        if (v[t * NR_NUM_DESC] > v[peak * NR_NUM_DESC]) peak = t;
    float floor_ln = v[peak * NR_NUM_DESC] * ls + lm - NR_LAT_ATTR_DB * DB_TO_LN;
    int end = n;
    for (int t = peak + 1; t < n; t++)
        if (v[t * NR_NUM_DESC] * ls + lm < floor_ln) {
            end = t;
            break;
        }
    a[NR_LAT_ATTR_DECAY] = logf((float)(end - peak) / NR_LAT_FPS);
    float sb = 0, sn = 0, pitch[NR_LAT_T];
    int cnt = 0;
    for (int t = 0; t < end; t++) {
        if (v[t * NR_NUM_DESC] * ls + lm < floor_ln) continue; /* the attack's quiet start */
        sb += v[t * NR_NUM_DESC + NR_DESC_BRIGHTNESS];
        sn += v[t * NR_NUM_DESC + NR_DESC_NOISINESS];
        pitch[cnt++] = v[t * NR_NUM_DESC + NR_DESC_PITCH];
    }
    qsort(pitch, (size_t)cnt, sizeof(float), cmp_float); /* cnt >= 1: the peak counts */
    a[NR_LAT_ATTR_BRIGHTNESS] = sb / cnt;
    a[NR_LAT_ATTR_NOISINESS] = sn / cnt;
    a[NR_LAT_ATTR_PITCH] = cnt % 2 ? pitch[cnt / 2] : 0.5f * (pitch[cnt / 2 - 1] + pitch[cnt / 2]);
}
