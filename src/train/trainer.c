/* The training loop shared by nr-impact-1 and nr-impact-2: data, normalisation, Adam, threads,
 * validation, checkpoints, templates. What differs between the architectures is a small table
 * (train_arch): sizes, carving, initial weights, the clip's loss and gradient, the final model. */
#include "train_impl.h"
#include "models/impact_simd.h"
#include "models/model_impl.h"
#include "nr/model_templates.h"
#include "nr/tensors.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const int g_fft_sizes[] = {2048, 1024, 512, 256, 128, 64};
#define N_FFT_SIZES (int)(sizeof g_fft_sizes / sizeof g_fft_sizes[0])
#define MAX_THREADS 64
#define VALID_MAX 32

nr_train_config nr_train_config_init(void)
{
    nr_train_config c;
    memset(&c, 0, sizeof c);
    c.steps = 2000;
    c.threads = 2;
    c.seed = 1;
    c.batch = 8;
    c.lr = 2e-3f;
    c.clip_seconds = 1.0f;
    c.checkpoint_every = 200;
    c.valid_every = 250;
    c.progress = 1;
    c.desc_weight = 1.0f;
    c.inharm_lo = NAN;
    c.inharm_floor = NAN;
    /* loudness weighs 4 and the moved descriptor 4 times its weight on perturbed clips: with these, 3000
     * steps followed every moved curve best while the loudness stayed within 0.15 std (docs/training.md) */
    for (int d = 0; d < NR_NUM_DESC; d++) c.desc_weights[d] = d == NR_DESC_LOUDNESS ? 4.0f : 1.0f;
    c.perturb = 0.5f;
    c.perturb_weight = 4.0f;
    /* The shipped model's recipe: FREQ harmonics, no band term. The INDEX run with the band term
     * (--harm-env index --band-weight 0.2 --pitch-weight 4) is documented in docs/training.md. */
    c.harm_env = "freq";
    c.band_weight = 0.0f;
    c.click_weight = 0.0f;
    return c;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct trainer trainer;

/* The hyper-parameters of either architecture (the one named by arch counts). */
typedef struct {
    nr_train_arch_id arch;
    nr_imp_hparams hp;
    nr_imp2_hparams hp2;
} train_hp;

/* What the loop needs from an architecture. */
typedef struct {
    const char *name;
    nr_result (*shared_init)(trainer *tr); /* fixed tables shared by the threads */
    void (*shared_free)(trainer *tr);
    int64_t (*n_values)(const train_hp *h, int trainable_only);
    void (*carve)(const train_hp *h, float *block, nr_imp_weights_rw *w);
    void (*init_weights)(const train_hp *h, const nr_imp_weights_rw *w, uint64_t seed, const float *mean,
                         const float *std);
    nr_result (*work_init)(trainer *tr, nr_imp_work *wk);
    double (*loss_grad)(nr_imp_work *wk, const nr_stft_loss *L, const nr_desc_losses *D, const nr_loss_weights *lw,
                        const nr_imp_weights *w, const nr_imp_weights_rw *g, const float *desc, const float *target,
                        int T, uint64_t seed);
    nr_result (*model_from_block)(const train_hp *h, const float *block, nr_model **out);
} train_arch;

typedef struct {
    trainer *tr;
    int id;
} job;

struct trainer {
    const nr_train_config *cfg;
    const train_arch *arch;
    train_hp h;
    nr_imp_bands bands;   /* nr-impact-1 */
    nr_imp2_tables tb2;   /* nr-impact-2 */
    nr_stft_loss loss;
    nr_desc_losses *dloss;
    nr_loss_weights lw;
    nr_train_data data;
    int threads, batch, T_max;
    int64_t n_values, n_trainable;
    void *block;
    float *params, *gsum, *m, *v;
    float *grads;  /* (batch, n_values) one gradient per example, summed in example order */
    double *losses; /* (max(batch, VALID_MAX)) */
    double *terms;  /* (max(batch, VALID_MAX), 7) each clip's unweighted descriptor terms */
    int *moved;     /* (batch) the descriptor a clip's perturbation moved, -1: none */
    double pert_sum[NR_NUM_DESC][NR_NUM_DESC]; /* perturbed clips since the last report: [moved][term] sums */
    int pert_count[NR_NUM_DESC];
    nr_imp_weights_rw w;
    nr_imp_work work[MAX_THREADS];
    nr_tensor_set init_ts; /* the parent model of a fine-tune (cfg->init) until its weights are copied */
    /* the current parallel job */
    long step;
    int validating, n_items;
};

static const nr_imp_weights *ro(const nr_imp_weights_rw *w) { return (const nr_imp_weights *)w; }

/* Perturbation range: up to this many standard deviations of the model's normalisation either way. */
#define PERTURB_STD 1.5
#define PERTURB_HZ_MAX 11025.0f /* the spectral curves cannot exceed the analysis band */

/* One descriptor curve of c moved into wk->desc_buf, chosen and sized by the hash `pert`: descriptor
 * pert mod 7, by u std of the normalisation (u uniform in +-PERTURB_STD) in its transformed space (log,
 * zcr linear), so pitch moves are transpositions. No audio says what that sounds like; the descriptor
 * losses do, the unmoved curves holding the rest of the sound in place. Returns the descriptor. */
static int perturb_item(const trainer *tr, const nr_train_clip *c, int T, uint64_t pert, float *desc)
{
    int d = (int)((pert >> 44) % NR_NUM_DESC);
    double u = ((double)((pert >> 20) & 0xFFFFF) / 1048575.0) * 2.0 * PERTURB_STD - PERTURB_STD;
    double step = u * tr->w.desc_std[d];
    memcpy(desc, c->desc, (size_t)T * NR_NUM_DESC * sizeof(float));
    for (int t = 0; t < T; t++) {
        float *x = &desc[(size_t)t * NR_NUM_DESC + d];
        switch (d) {
        case NR_DESC_PERCUSSIVITY: *x = fminf(fmaxf(*x + (float)step, 0.0f), 1.0f); break;
        case NR_DESC_NOISINESS: *x = fminf(*x * (float)exp(step), 1.0f); break;
        case NR_DESC_LOUDNESS: *x *= (float)exp(step); break;
        case NR_DESC_PITCH: *x = fminf(fmaxf(*x * (float)exp(step), NR_IMP_F0_MIN), NR_IMP_F0_MAX); break;
        default: *x = fminf(*x * (float)exp(step), PERTURB_HZ_MAX); break;
        }
    }
    return d;
}

/* ---- nr-impact-1 ---- */
static nr_result a1_shared_init(trainer *tr) { return nr_imp_bands_init(&tr->bands, &tr->h.hp); }
static void a1_shared_free(trainer *tr) { nr_imp_bands_free(&tr->bands); }
static int64_t a1_n_values(const train_hp *h, int tr_only) { return nr_imp_n_values(&h->hp, tr_only); }
static void a1_carve(const train_hp *h, float *b, nr_imp_weights_rw *w) { nr_imp_weights_carve(&h->hp, b, w); }
static void a1_init_weights(const train_hp *h, const nr_imp_weights_rw *w, uint64_t seed, const float *mean,
                            const float *std)
{
    nr_imp_init_weights(&h->hp, w, seed, mean, std);
}
static nr_result a1_work_init(trainer *tr, nr_imp_work *wk)
{
    return nr_imp_work_init(wk, &tr->h.hp, &tr->bands, &tr->loss, tr->dloss, tr->T_max);
}
static nr_result a1_model(const train_hp *h, const float *block, nr_model **out)
{
    return nr_imp_model_from_block(&h->hp, block, out);
}

/* ---- nr-impact-2 ---- */
static nr_result a2_shared_init(trainer *tr) { return nr_imp2_tables_init(&tr->tb2, &tr->h.hp2); }
static void a2_shared_free(trainer *tr) { nr_imp2_tables_free(&tr->tb2); }
static int64_t a2_n_values(const train_hp *h, int tr_only) { return nr_imp2_n_values(&h->hp2, tr_only); }
static void a2_carve(const train_hp *h, float *b, nr_imp_weights_rw *w) { nr_imp2_weights_carve(&h->hp2, b, w); }
static void a2_init_weights(const train_hp *h, const nr_imp_weights_rw *w, uint64_t seed, const float *mean,
                            const float *std)
{
    nr_imp2_init_weights(&h->hp2, w, seed, mean, std);
}
static nr_result a2_work_init(trainer *tr, nr_imp_work *wk)
{
    return nr_imp2_work_init(wk, &tr->h.hp2, &tr->tb2, &tr->loss, tr->dloss, tr->T_max);
}
static nr_result a2_model(const train_hp *h, const float *block, nr_model **out)
{
    return nr_imp2_model_from_block(&h->hp2, block, out);
}

static const train_arch g_archs[] = {
    [NR_TRAIN_IMPACT1] = {NR_IMP_ARCH, a1_shared_init, a1_shared_free, a1_n_values, a1_carve, a1_init_weights,
                          a1_work_init, nr_imp_loss_grad, a1_model},
    [NR_TRAIN_IMPACT2] = {NR_IMP2_ARCH, a2_shared_init, a2_shared_free, a2_n_values, a2_carve, a2_init_weights,
                          a2_work_init, nr_imp2_loss_grad, a2_model},
};

/* ---- fine-tuning: the start from a model file (--init) ---- */

static int onset_of(const char *s) { return strcmp(s, "raw") ? NR_IMP2_ONSET_SETTLED : NR_IMP2_ONSET_RAW; }

/* --inharm-lo and --inharm-floor, where given, into the run's nr-impact-2 hyper-parameters (`what` names the
 * other architecture, or the --init file of it, in the refusal). */
static nr_result set_inharm(const nr_train_config *cfg, train_hp *h, const char *what)
{
    int lo = !isnan(cfg->inharm_lo), fl = !isnan(cfg->inharm_floor);
    if ((lo || fl) && h->arch != NR_TRAIN_IMPACT2)
        return nr_fail(NR_ERR_ARG, "train: %s applies to nr-impact-2, not %s", lo ? "--inharm-lo" : "--inharm-floor",
                       what);
    if (lo) h->hp2.ratio_lo = cfg->inharm_lo;
    if (fl) h->hp2.inharm_floor = cfg->inharm_floor;
    return NR_OK;
}

/* The parent's architecture and hyper-parameters (its metadata); the config's, where set, must agree. */
static nr_result init_hp(const nr_train_config *cfg, const nr_tensor_set *ts, train_hp *h)
{
    const char *path = cfg->init, *arch = nr_tensor_set_meta(ts, "nr.arch");
    if (!arch)
        return nr_fail(NR_ERR_FORMAT, "%s: no nr.arch metadata: not a model `neurorack train` writes (nr-impact-2 or "
                                      "nr-impact-1)", path);
    h->hp = nr_imp_hparams_default();
    h->hp2 = nr_imp2_hparams_default();
    nr_result r;
    if (!strcmp(arch, NR_IMP2_ARCH)) {
        h->arch = NR_TRAIN_IMPACT2;
        r = nr_imp2_hparams_from_meta(ts, &h->hp2, path);
    } else if (!strcmp(arch, NR_IMP_ARCH)) {
        h->arch = NR_TRAIN_IMPACT1;
        r = nr_imp_hparams_from_meta(ts, &h->hp, path);
    } else {
        return nr_fail(NR_ERR_FORMAT, "%s: a %s model; only nr-impact-2 and nr-impact-1 can be fine-tuned", path, arch);
    }
    if (r != NR_OK) return r;
    const char *rate = nr_tensor_set_meta(ts, "nr.sample_rate"), *hop = nr_tensor_set_meta(ts, "nr.hop");
    if (!rate || !hop || atoi(rate) != NR_IMP_RATE || atoi(hop) != NR_IMP_HOP)
        return nr_fail(NR_ERR_FORMAT, "%s: sample rate %s and hop %s; the trainer works at %d Hz, hop %d", path,
                       rate ? rate : "(none)", hop ? hop : "(none)", NR_IMP_RATE, NR_IMP_HOP);
    int hidden = h->arch == NR_TRAIN_IMPACT2 ? h->hp2.hidden : h->hp.hidden;
    int layers = h->arch == NR_TRAIN_IMPACT2 ? h->hp2.layers : h->hp.layers;
    if (cfg->arch && strcmp(cfg->arch, arch))
        return nr_fail(NR_ERR_ARG, "train: --arch %s, but --init %s is an %s model (the architecture comes from it)",
                       cfg->arch, path, arch);
    if (cfg->hidden && cfg->hidden != hidden)
        return nr_fail(NR_ERR_ARG, "train: --hidden %d, but --init %s has hidden %d (the size comes from it)",
                       cfg->hidden, path, hidden);
    if (cfg->layers && cfg->layers != layers)
        return nr_fail(NR_ERR_ARG, "train: --layers %d, but --init %s has %d layers (the size comes from it)",
                       cfg->layers, path, layers);
    if (h->arch == NR_TRAIN_IMPACT2 && cfg->harm_env &&
        (strcmp(cfg->harm_env, "freq") ? NR_IMP2_HARM_INDEX : NR_IMP2_HARM_FREQ) != h->hp2.harm_env)
        return nr_fail(NR_ERR_ARG, "train: --harm-env %s, but --init %s reads its harmonic envelope over %s",
                       cfg->harm_env, path, h->hp2.harm_env == NR_IMP2_HARM_INDEX ? "index" : "freq");
    /* the onset rule may change: a fine-tune on settled curves teaches a parent trained on raw ones */
    if (cfg->onset_pitch) h->hp2.onset_pitch = onset_of(cfg->onset_pitch);
    /* so may the inharmonic range: the parent's outputs map onto the new one, and the run re-learns them */
    char what[600];
    snprintf(what, sizeof what, "--init %s, an %s model", path, arch);
    return set_inharm(cfg, h, what);
}

/* The parent's tensors into the parameter block, in the block's order (the architecture's tensor table),
 * the descriptor normalisation with them: the run starts where the parent ended. */
static nr_result init_weights_from(const train_hp *h, const nr_tensor_set *ts, float *params, const char *path)
{
    nr_imp_tensor_desc tab[NR_IMP_MAX_TENSORS];
    int nt = h->arch == NR_TRAIN_IMPACT2 ? nr_imp2_tensor_table(&h->hp2, tab) : nr_imp_tensor_table(&h->hp, tab);
    float *p = params;
    for (int i = 0; i < nt; i++) {
        const nr_tensor *t = nr_tensor_set_find(ts, tab[i].name);
        if (!t) return nr_fail(NR_ERR_FORMAT, "%s: tensor %s missing", path, tab[i].name);
        int same = t->ndim == tab[i].ndim && t->numel == tab[i].numel;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == tab[i].shape[d];
        if (!same)
            return nr_fail(NR_ERR_FORMAT, "%s: tensor %s has %lld values in %d dimensions, the architecture wants "
                           "%lld in %d", path, tab[i].name, (long long)t->numel, t->ndim, (long long)tab[i].numel,
                           tab[i].ndim);
        for (int64_t k = 0; k < t->numel; k++)
            if (!isfinite(t->data[k]))
                return nr_fail(NR_ERR_FORMAT, "%s: tensor %s holds a non-finite value", path, tab[i].name);
        memcpy(p, t->data, (size_t)t->numel * sizeof(float));
        p += t->numel;
    }
    return NR_OK;
}

/* 64-bit FNV-1a of a whole file: the parent's identity in the fine-tuned model's metadata. */
#define FNV64_INIT 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL
static nr_result file_fnv1a64(const char *path, uint64_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open file: %s", path, strerror(errno));
    uint64_t h = FNV64_INIT;
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++) h = (h ^ buf[i]) * FNV64_PRIME;
    int err = ferror(f);
    fclose(f);
    if (err) return nr_fail(NR_ERR_IO, "%s: read error", path);
    *out = h;
    return NR_OK;
}

/* train.init (the parent's file name), train.init_fnv1a64 (its content hash), train.steps (this run's). */
static nr_result add_init_meta(nr_model *m, const char *init, uint64_t hash, long steps)
{
    const char *base = strrchr(init, '/');
    char buf[32];
    nr_result r = nr_tensor_set_set_meta(&m->ts, "train.init", base ? base + 1 : init);
    snprintf(buf, sizeof buf, "%016llx", (unsigned long long)hash);
    if (r == NR_OK) r = nr_tensor_set_set_meta(&m->ts, "train.init_fnv1a64", buf);
    snprintf(buf, sizeof buf, "%ld", steps);
    if (r == NR_OK) r = nr_tensor_set_set_meta(&m->ts, "train.steps", buf);
    return r;
}

/* Hyper-parameters of a run: the architecture's defaults with the config's sizes. */
static nr_result run_hp(const nr_train_config *cfg, train_hp *h)
{
    memset(h, 0, sizeof *h);
    const char *a = cfg->arch ? cfg->arch : NR_IMP2_ARCH;
    if (!strcmp(a, NR_IMP_ARCH)) h->arch = NR_TRAIN_IMPACT1;
    else if (!strcmp(a, NR_IMP2_ARCH)) h->arch = NR_TRAIN_IMPACT2;
    else return nr_fail(NR_ERR_ARG, "train: unknown architecture '%s' (nr-impact-2 or nr-impact-1)", a);
    h->hp = nr_imp_hparams_default();
    h->hp2 = nr_imp2_hparams_default();
    if (cfg->harm_env) h->hp2.harm_env = strcmp(cfg->harm_env, "freq") ? NR_IMP2_HARM_INDEX : NR_IMP2_HARM_FREQ;
    if (cfg->onset_pitch) h->hp2.onset_pitch = onset_of(cfg->onset_pitch);
    nr_result r = set_inharm(cfg, h, a);
    if (r != NR_OK) return r;
    if (cfg->hidden) h->hp.hidden = h->hp2.hidden = cfg->hidden;
    if (cfg->layers) h->hp.layers = h->hp2.layers = cfg->layers;
    return h->arch == NR_TRAIN_IMPACT2 ? nr_imp2_hparams_check(&h->hp2, "train") : nr_imp_hparams_check(&h->hp, "train");
}

static nr_checkpoint ck_of(const train_hp *h, uint64_t seed, long step, int64_t nv, int64_t nt, float *p, float *m,
                           float *v)
{
    nr_checkpoint c = {h->hp, seed, step, nv, nt, p, m, v, h->arch, h->hp2};
    return c;
}

static void item(trainer *tr, nr_imp_work *wk, int b)
{
    if (tr->validating) {
        const nr_train_clip *c = tr->validating == 2 ? &tr->data.train[b] : &tr->data.valid[b];
        int T = c->n_frames < tr->T_max ? c->n_frames : tr->T_max;
        tr->losses[b] = tr->arch->loss_grad(wk, &tr->loss, tr->dloss, &tr->lw, ro(&tr->w), NULL, c->desc, c->audio, T,
                                            nr_train_hash(tr->cfg->seed, 0x7A11D, (uint64_t)b));
        memcpy(tr->terms + (size_t)b * NR_NUM_DESC, wk->terms, sizeof wk->terms);
        return;
    }
    uint64_t pick = nr_train_hash(tr->cfg->seed, (uint64_t)tr->step, (uint64_t)b);
    const nr_train_clip *c = &tr->data.train[pick % (uint64_t)tr->data.n_train];
    int T = c->n_frames < tr->T_max ? c->n_frames : tr->T_max;
    float *g = tr->grads + (size_t)b * tr->n_values;
    memset(g, 0, (size_t)tr->n_values * sizeof(float));
    nr_imp_weights_rw gv;
    tr->arch->carve(&tr->h, g, &gv);
    uint64_t seed = nr_train_hash(tr->cfg->seed, (uint64_t)tr->step, 1000u + (uint64_t)b);
    uint64_t pert = nr_train_hash(tr->cfg->seed, (uint64_t)tr->step, 2000u + (uint64_t)b);
    const float *desc = c->desc, *target = c->audio;
    nr_loss_weights lw = tr->lw;
    tr->moved[b] = -1;
    if (tr->cfg->desc_weight > 0 && (double)(pert >> 11) * 0x1.0p-53 < tr->cfg->perturb) {
        tr->moved[b] = perturb_item(tr, c, T, pert, wk->desc_buf);
        lw.desc[tr->moved[b]] *= tr->cfg->perturb_weight;
        desc = wk->desc_buf;
        lw.moved = 1; /* the audio bounds the render's clicks only (a moved curve has no audio) */
    }
    tr->losses[b] = tr->arch->loss_grad(wk, &tr->loss, tr->dloss, &lw, ro(&tr->w), &gv, desc, target, T, seed);
    memcpy(tr->terms + (size_t)b * NR_NUM_DESC, wk->terms, sizeof wk->terms);
}

static void *worker(void *arg)
{
    job *j = arg;
    for (int b = j->id; b < j->tr->n_items; b += j->tr->threads) item(j->tr, &j->tr->work[j->id], b);
    return NULL;
}

static void run_parallel(trainer *tr, int n_items, int validating)
{
    tr->n_items = n_items;
    tr->validating = validating;
    pthread_t th[MAX_THREADS];
    job jobs[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int i = 0; i < tr->threads; i++) jobs[i] = (job){tr, i};
    for (int i = 1; i < tr->threads; i++) started[i] = pthread_create(&th[i], NULL, worker, &jobs[i]) == 0;
    worker(&jobs[0]);
    for (int i = 1; i < tr->threads; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        else worker(&jobs[i]); /* could not start a thread: do its share here */
    }
}

/* Mean loss over (up to VALID_MAX clips of) the validation split, or the training split if `train`. */
static double validate_set(trainer *tr, int train)
{
    int have = train ? tr->data.n_train : tr->data.n_valid;
    int n = have < VALID_MAX ? have : VALID_MAX;
    if (n == 0) return NAN;
    run_parallel(tr, n, train ? 2 : 1);
    double s = 0;
    for (int i = 0; i < n; i++) s += tr->losses[i];
    return s / n;
}

static void print_terms(const char *what, const double *t)
{
    fprintf(stderr, "%s:", what);
    for (int d = 0; d < NR_NUM_DESC; d++) fprintf(stderr, " %s %.4f", nr_desc_names[d], t[d]);
    fprintf(stderr, "\n");
}

/* The validation loss; with progress, its descriptor terms and, per moved descriptor, the mean terms of
 * the perturbed training clips since the last report. */
static double validate(trainer *tr)
{
    double v = validate_set(tr, 0);
    if (!tr->cfg->progress || !(tr->cfg->desc_weight > 0)) return v;
    int n = tr->data.n_valid < VALID_MAX ? tr->data.n_valid : VALID_MAX;
    double mean[NR_NUM_DESC] = {0};
    for (int i = 0; i < n; i++)
        for (int d = 0; d < NR_NUM_DESC; d++) mean[d] += tr->terms[(size_t)i * NR_NUM_DESC + d] / n;
    char what[96];
    if (isatty(2)) fprintf(stderr, "\n");
    snprintf(what, sizeof what, "step %ld validation descriptor terms", tr->step);
    if (n) print_terms(what, mean);
    for (int m = 0; m < NR_NUM_DESC; m++) {
        if (!tr->pert_count[m]) continue;
        snprintf(what, sizeof what, "  %s moved (%d clips)", nr_desc_names[m], tr->pert_count[m]);
        for (int d = 0; d < NR_NUM_DESC; d++) mean[d] = tr->pert_sum[m][d] / tr->pert_count[m];
        print_terms(what, mean);
    }
    memset(tr->pert_sum, 0, sizeof tr->pert_sum);
    memset(tr->pert_count, 0, sizeof tr->pert_count);
    return v;
}

static void normalisation(const nr_train_data *d, float *mean, float *std)
{
    double s[NR_NUM_DESC] = {0}, ss[NR_NUM_DESC] = {0};
    long cnt = 0;
    for (int i = 0; i < d->n_train; i++)
        for (int t = 0; t < d->train[i].n_frames; t++) {
            float v[NR_NUM_DESC];
            nr_imp_desc_transform(d->train[i].desc + (size_t)t * NR_NUM_DESC, v);
            for (int k = 0; k < NR_NUM_DESC; k++) {
                s[k] += v[k];
                ss[k] += (double)v[k] * v[k];
            }
            cnt++;
        }
    for (int k = 0; k < NR_NUM_DESC; k++) {
        double m = cnt ? s[k] / cnt : 0.0, var = cnt ? ss[k] / cnt - m * m : 1.0;
        mean[k] = (float)m;
        std[k] = (float)(var > 1e-6 ? sqrt(var) : 1e-3);
    }
}

static void progress(const nr_train_config *cfg, long step, long first, double t0, double loss, double vloss, int last)
{
    if (!cfg->progress) return;
    int tty = isatty(2);
    if (!tty && !last && step % 50 != 0) return;
    double el = now() - t0, rate = (step - first) / (el > 1e-9 ? el : 1e-9);
    long eta = rate > 0 ? (long)((cfg->steps - step) / rate) : 0;
    int width = 24, fill = (int)(width * (double)step / (cfg->steps ? cfg->steps : 1));
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '-';
    bar[width] = '\0';
    fprintf(stderr, "%sstep %ld/%ld [%s] loss %.4f val %.4f %.2f steps/s ETA %ld:%02ld:%02ld%s", tty ? "\r" : "",
            step, cfg->steps, bar, loss, vloss, rate, eta / 3600, eta / 60 % 60, eta % 60, tty && !last ? "" : "\n");
    fflush(stderr);
}

static void trainer_free(trainer *tr)
{
    for (int i = 0; i < tr->threads; i++) nr_imp_work_free(&tr->work[i]);
    free(tr->block);
    free(tr->losses);
    free(tr->terms);
    free(tr->moved);
    nr_stft_loss_free(&tr->loss);
    nr_desc_losses_free(tr->dloss);
    if (tr->arch) tr->arch->shared_free(tr);
    nr_train_data_free(&tr->data);
    nr_tensor_set_free(&tr->init_ts);
}

static nr_result save_checkpoint(trainer *tr, const char *path)
{
    if (!path) return NR_OK;
    nr_checkpoint ck = ck_of(&tr->h, tr->cfg->seed, tr->step, tr->n_values, tr->n_trainable, tr->params, tr->m, tr->v);
    return nr_checkpoint_write(path, &ck);
}

/* Templates for the written model, picked from the data set's training split (nr/model_templates.h).
 * Synthetic data has none; a failure costs the templates, never the trained weights. */
static void add_templates(nr_model *m, const char *data)
{
    if (!data || !strncmp(data, "synthetic:", 10)) return;
    if (nr_model_templates_from_data(m, data) != NR_OK)
        fprintf(stderr, "train: model written without templates: %s\n", nr_last_error());
}

nr_result nr_train(const nr_train_config *cfg, nr_train_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->valid_first = rep->valid_loss = NAN;
    if (!cfg->data) return nr_fail(NR_ERR_ARG, "train: no data given (--data MANIFEST or synthetic:N)");
    if (cfg->steps < 1 || cfg->steps > 100000000) return nr_fail(NR_ERR_ARG, "train: steps %ld out of range", cfg->steps);
    if (cfg->threads < 1 || cfg->threads > MAX_THREADS)
        return nr_fail(NR_ERR_ARG, "train: threads %d out of range 1..%d", cfg->threads, MAX_THREADS);
    if (cfg->batch < 1 || cfg->batch > 256) return nr_fail(NR_ERR_ARG, "train: batch %d out of range 1..256", cfg->batch);
    if (!(cfg->lr > 0 && cfg->lr < 1)) return nr_fail(NR_ERR_ARG, "train: learning rate %g out of range (0, 1)", cfg->lr);
    if (!(cfg->desc_weight >= 0 && cfg->desc_weight <= 100))
        return nr_fail(NR_ERR_ARG, "train: descriptor loss weight %g out of range 0..100", cfg->desc_weight);
    for (int d = 0; d < NR_NUM_DESC; d++)
        if (!(cfg->desc_weights[d] >= 0 && cfg->desc_weights[d] <= 100))
            return nr_fail(NR_ERR_ARG, "train: %s loss weight %g out of range 0..100", nr_desc_names[d],
                           cfg->desc_weights[d]);
    if (!(cfg->perturb >= 0 && cfg->perturb <= 1))
        return nr_fail(NR_ERR_ARG, "train: perturbed share %g out of range 0..1", cfg->perturb);
    if (cfg->harm_env && strcmp(cfg->harm_env, "index") && strcmp(cfg->harm_env, "freq"))
        return nr_fail(NR_ERR_ARG, "train: --harm-env '%s': index or freq", cfg->harm_env);
    if (cfg->onset_pitch && strcmp(cfg->onset_pitch, "settle") && strcmp(cfg->onset_pitch, "raw"))
        return nr_fail(NR_ERR_ARG, "train: --onset-pitch '%s': settle or raw", cfg->onset_pitch);
    if (!isnan(cfg->inharm_lo) && !(cfg->inharm_lo >= -8.0f && cfg->inharm_lo < 4.0f))
        return nr_fail(NR_ERR_ARG, "train: --inharm-lo %g out of range -8..4 octaves (under the highest ratio, 4)",
                       cfg->inharm_lo);
    if (!isnan(cfg->inharm_floor) && cfg->inharm_floor != NR_TRAIN_FLOOR_OFF &&
        !(cfg->inharm_floor >= -8.0f && cfg->inharm_floor <= 8.0f))
        return nr_fail(NR_ERR_ARG, "train: --inharm-floor %g out of range -8..8 octaves", cfg->inharm_floor);
    if (!(cfg->band_weight >= 0 && cfg->band_weight <= 100))
        return nr_fail(NR_ERR_ARG, "train: band level loss weight %g out of range 0..100", cfg->band_weight);
    if (!(cfg->click_weight >= 0 && cfg->click_weight <= 100))
        return nr_fail(NR_ERR_ARG, "train: click loss weight %g out of range 0..100", cfg->click_weight);
    if (!(cfg->perturb_weight >= 0 && cfg->perturb_weight <= 100))
        return nr_fail(NR_ERR_ARG, "train: moved descriptor's weight %g out of range 0..100", cfg->perturb_weight);
    if (!(cfg->clip_seconds >= 0.1f && cfg->clip_seconds <= 20.0f))
        return nr_fail(NR_ERR_ARG, "train: clip length %g s out of range 0.1..20", cfg->clip_seconds);

    trainer T0, *tr = &T0;
    memset(tr, 0, sizeof *tr);
    tr->cfg = cfg;
    for (int d = 0; d < NR_NUM_DESC; d++) tr->lw.desc[d] = cfg->desc_weight * cfg->desc_weights[d];
    tr->threads = cfg->threads;
    tr->batch = cfg->batch;
    uint64_t init_hash = 0;
    nr_result r = NR_OK;
    if (cfg->init) {
        r = nr_safetensors_read(cfg->init, &tr->init_ts);
        if (r == NR_OK) r = file_fnv1a64(cfg->init, &init_hash);
        if (r == NR_OK) r = init_hp(cfg, &tr->init_ts, &tr->h);
        if (r == NR_OK) r = tr->h.arch == NR_TRAIN_IMPACT2 ? nr_imp2_hparams_check(&tr->h.hp2, cfg->init)
                                                          : nr_imp_hparams_check(&tr->h.hp, cfg->init);
    } else {
        r = run_hp(cfg, &tr->h);
    }
    if (r != NR_OK) {
        nr_tensor_set_free(&tr->init_ts);
        return r;
    }
    tr->T_max = (int)lroundf(cfg->clip_seconds * NR_IMP_RATE / NR_IMP_HOP);
    double t_start = now();

    int settle = tr->h.arch == NR_TRAIN_IMPACT2 && tr->h.hp2.onset_pitch == NR_IMP2_ONSET_SETTLED;
    r = nr_train_data_load(cfg->data, tr->T_max, cfg->seed, settle, &tr->data);
    if (r == NR_OK && tr->data.n_train == 0)
        r = nr_fail(NR_ERR_VALUE, "%s: no usable training clip (%d skipped as bad data)", cfg->data, tr->data.n_skipped);
    if (r == NR_OK) {
        tr->arch = &g_archs[tr->h.arch];
        r = tr->arch->shared_init(tr);
    }
    if (r == NR_OK) r = nr_stft_loss_init(&tr->loss, g_fft_sizes, N_FFT_SIZES);
    if (r == NR_OK) {
        tr->loss.band_weight = cfg->band_weight;
        tr->loss.click_weight = cfg->click_weight;
        tr->loss.band_rate = NR_IMP_RATE;
    }
    if (r == NR_OK && cfg->desc_weight > 0) r = nr_desc_losses_init(&tr->dloss, NR_IMP_RATE, NR_IMP_HOP);
    if (r != NR_OK) {
        trainer_free(tr);
        return r;
    }
    rep->n_train = tr->data.n_train;
    rep->n_valid = tr->data.n_valid;
    rep->n_skipped = tr->data.n_skipped;

    /* parameter block: size table, one allocation, carved */
    tr->n_values = tr->arch->n_values(&tr->h, 0);
    tr->n_trainable = tr->arch->n_values(&tr->h, 1);
    rep->n_params = tr->n_trainable;
    size_t nv = (size_t)(tr->n_values + 15) / 16 * 16, nt = (size_t)(tr->n_trainable + 15) / 16 * 16;
    size_t sizes[] = {nv /* params */, nv /* gsum */, nt /* m */, nt /* v */, nv * (size_t)tr->batch /* grads */};
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) total += sizes[i];
    tr->block = aligned_alloc(64, total * sizeof(float));
    size_t n_items = (size_t)(tr->batch > VALID_MAX ? tr->batch : VALID_MAX);
    tr->losses = calloc(n_items, sizeof(double));
    tr->terms = calloc(n_items * NR_NUM_DESC, sizeof(double));
    tr->moved = calloc((size_t)tr->batch, sizeof(int));
    if (!tr->block || !tr->losses || !tr->terms || !tr->moved) {
        trainer_free(tr);
        return nr_fail(NR_ERR_NOMEM, "train: out of memory for %lld parameters", (long long)tr->n_values);
    }
    memset(tr->block, 0, total * sizeof(float));
    float *p = tr->block;
    tr->params = p, p += sizes[0];
    tr->gsum = p, p += sizes[1];
    tr->m = p, p += sizes[2];
    tr->v = p, p += sizes[3];
    tr->grads = p;
    tr->arch->carve(&tr->h, tr->params, &tr->w);
    for (int i = 0; i < tr->threads && r == NR_OK; i++)
        r = tr->arch->work_init(tr, &tr->work[i]);
    if (r != NR_OK) {
        trainer_free(tr);
        return r;
    }

    float mean[NR_NUM_DESC], std[NR_NUM_DESC];
    if (cfg->init) { /* the parent's weights and normalisation: the inputs mean what they meant to it */
        r = init_weights_from(&tr->h, &tr->init_ts, tr->params, cfg->init);
        nr_tensor_set_free(&tr->init_ts);
        if (r != NR_OK) {
            trainer_free(tr);
            return r;
        }
    } else {
        normalisation(&tr->data, mean, std);
        tr->arch->init_weights(&tr->h, &tr->w, cfg->seed, mean, std);
    }
    tr->step = 0;
    if (cfg->resume) {
        nr_checkpoint ck = ck_of(&tr->h, cfg->seed, 0, tr->n_values, tr->n_trainable, tr->params, tr->m, tr->v);
        r = nr_checkpoint_read(cfg->resume, &ck);
        if (r == NR_OK && ck.seed != cfg->seed)
            r = nr_fail(NR_ERR_ARG, "%s: checkpoint was made with --seed %llu, this run has --seed %llu", cfg->resume,
                        (unsigned long long)ck.seed, (unsigned long long)cfg->seed);
        if (r != NR_OK) {
            trainer_free(tr);
            return r;
        }
        tr->step = ck.step;
    }
    char ckpath[4096];
    const char *ckp = cfg->checkpoint;
    if (!ckp && cfg->out) {
        snprintf(ckpath, sizeof ckpath, "%s.ckpt", cfg->out);
        ckp = ckpath;
    }

    long first = tr->step;
    double vloss = validate(tr), t0 = now(), recent[20];
    int n_recent = 0;
    rep->valid_first = vloss;
    rep->train_eval_first = validate_set(tr, 1);
    nr_adam_config ac = {cfg->lr, 0.9f, 0.999f, 1e-8f, 1.0f};
    const long warm = 50;
    while (tr->step < cfg->steps) {
        double fr = (double)tr->step / cfg->steps;
        float lr = cfg->lr * (float)(tr->step < warm ? (tr->step + 1.0) / warm : 0.1 + 0.9 * 0.5 * (1 + cos(M_PI * fr)));
        run_parallel(tr, tr->batch, 0);
        double loss = 0;
        for (int b = 0; b < tr->batch; b++) {
            loss += tr->losses[b];
            if (tr->moved[b] < 0) continue;
            tr->pert_count[tr->moved[b]]++;
            for (int d = 0; d < NR_NUM_DESC; d++) tr->pert_sum[tr->moved[b]][d] += tr->terms[(size_t)b * NR_NUM_DESC + d];
        }
        loss /= tr->batch;
        memset(tr->gsum, 0, (size_t)tr->n_values * sizeof(float));
        for (int b = 0; b < tr->batch; b++) /* fixed order: the same sum whatever the thread count */
            nr_imp_axpy(tr->gsum, 1.0f / tr->batch, tr->grads + (size_t)b * tr->n_values, (int)tr->n_trainable);
        int finite = isfinite(loss);
        for (int64_t i = 0; finite && i < tr->n_trainable; i++) finite = isfinite(tr->gsum[i]);
        tr->step++;
        if (!finite) {
            fprintf(stderr, "train: step %ld gave a non-finite loss or gradient; update skipped\n", tr->step);
        } else {
            nr_adam_step(&ac, tr->params, tr->gsum, tr->m, tr->v, tr->n_trainable, tr->step, lr);
            if (tr->step == first + 1) rep->first_loss = loss;
            recent[n_recent++ % 20] = loss;
        }
        int last = tr->step == cfg->steps || (cfg->stop_after && tr->step >= cfg->stop_after);
        if (cfg->valid_every && tr->step % cfg->valid_every == 0 && !last) vloss = validate(tr);
        if (last) vloss = validate(tr);
        double mean_recent = 0;
        int k = n_recent < 20 ? n_recent : 20;
        for (int i = 0; i < k; i++) mean_recent += recent[i];
        rep->train_loss = k ? mean_recent / k : NAN;
        progress(cfg, tr->step, first, t0, k ? rep->train_loss : loss, vloss, last);
        if ((cfg->checkpoint_every && tr->step % cfg->checkpoint_every == 0) || last) {
            r = save_checkpoint(tr, ckp);
            if (r != NR_OK) break;
        }
        if (last) break;
    }
    rep->step = tr->step;
    rep->valid_loss = vloss;
    if (r == NR_OK) rep->train_eval_last = validate_set(tr, 1);
    int stopped = cfg->stop_after && tr->step >= cfg->stop_after && tr->step < cfg->steps;
    if (r == NR_OK && cfg->out && (tr->step >= cfg->steps || (stopped && cfg->stop_writes_model))) {
        nr_model *m = NULL;
        r = tr->arch->model_from_block(&tr->h, tr->params, &m);
        if (r == NR_OK) add_templates(m, cfg->data);
        if (r == NR_OK && cfg->init) r = add_init_meta(m, cfg->init, init_hash, tr->step);
        if (r == NR_OK && stopped) {
            char buf[32];
            snprintf(buf, sizeof buf, "%ld", cfg->steps);
            r = nr_tensor_set_set_meta(&m->ts, "train.schedule_steps", buf);
        }
        if (r == NR_OK) r = nr_model_save(m, cfg->out);
        nr_model_free(m);
    }
    rep->seconds = now() - t_start;
    trainer_free(tr);
    return r;
}

nr_result nr_train_export(const char *checkpoint, const char *out, long *step)
{
    return nr_train_export_templates(checkpoint, NULL, out, step);
}

nr_result nr_train_export_templates(const char *checkpoint, const char *data, const char *out, long *step)
{
    nr_checkpoint ck;
    nr_result r = nr_checkpoint_peek(checkpoint, &ck);
    if (r != NR_OK) return r;
    train_hp h = {ck.arch, ck.hp, ck.hp2};
    const train_arch *arch = &g_archs[ck.arch];
    ck.n_values = arch->n_values(&h, 0);
    ck.n_trainable = arch->n_values(&h, 1);
    ck.params = malloc((size_t)ck.n_values * sizeof(float));
    ck.m = malloc((size_t)ck.n_trainable * sizeof(float));
    ck.v = malloc((size_t)ck.n_trainable * sizeof(float));
    if (!ck.params || !ck.m || !ck.v) r = nr_fail(NR_ERR_NOMEM, "%s: out of memory", checkpoint);
    if (r == NR_OK) r = nr_checkpoint_read(checkpoint, &ck);
    nr_model *m = NULL;
    if (r == NR_OK) r = arch->model_from_block(&h, ck.params, &m);
    if (r == NR_OK) add_templates(m, data);
    if (r == NR_OK) r = nr_model_save(m, out);
    nr_model_free(m);
    if (step) *step = ck.step;
    free(ck.params), free(ck.m), free(ck.v);
    return r;
}
