/* The latent curve model (nr/latent.h, src/train/latent_*.c): each op's BLAS kernel against its plain
 * reference, finite-difference checks of every op's backward and of the whole loss through encoder,
 * reparameterisation, decoder, reconstruction and attribute terms; the attributes of known curves; the
 * file; a short training on generated curves that must learn monotonic axes and resume exactly. */
#include "nr/latent.h"
#include "nr/synth.h"
#include "nr/instrument.h"
#include "nr/train.h"
#include "nr/engine.h"
#include "nr/eval.h"
#include "instrument/model_list.h"
#include "nr_test.h"
#include "models/impact.h"
#include "train/latent_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FD_H 1e-2f     /* finite-difference step */
#define FD_TOL 2e-2    /* relative error allowed */
#define FD_FLOOR 1e-3  /* below this size both sides count as equal */

/* Why the slowest tests skip under qemu. */
static const char *const k_emulated_why =
    "emulated: trains a latent model; its arithmetic on this CPU is checked by the BLAS and finite-difference "
    "tests above, and this test runs natively and under ASan";

static uint64_t g_rng = 4242;
static float rnd(void) { return nr_imp_noise(&g_rng) / 1.7320508f; } /* [-1, 1) */
static void fill(float *x, long n, float s)
{
    for (long i = 0; i < n; i++) x[i] = s * rnd();
}
static int close_rel(double a, double b) { return fabs(a - b) <= FD_TOL * fmax(fabs(a) + fabs(b), FD_FLOOR); }

/* Central difference of f at p[i]. */
typedef double (*loss_fn)(void *ctx);
static double fd(loss_fn f, void *ctx, float *p)
{
    float keep = *p;
    *p = keep + FD_H;
    double a = f(ctx);
    *p = keep - FD_H;
    double b = f(ctx);
    *p = keep;
    return (a - b) / (2.0 * FD_H);
}

/* Checks up to `probes` entries of p (n) spread over it against the analytic gradient g. */
static void fd_check(const char *what, loss_fn f, void *ctx, float *p, const float *g, long n, int probes)
{
    for (int k = 0; k < probes; k++) {
        long i = (long)((double)k * n / probes) + (k * 7919L) % (n / probes > 0 ? n / probes : 1);
        if (i >= n) i = n - 1;
        double num = fd(f, ctx, &p[i]);
        NT_CHECKF(close_rel(num, g[i]), "%s[%ld]: analytic %.6g, finite difference %.6g", what, i, g[i], num);
    }
}

/* ---- linear ---- */

#define LB 3
#define LIN 5
#define LOUT 4
typedef struct {
    float x[LB * LIN], W[LOUT * LIN], b[LOUT], c[LB * LOUT], y[LB * LOUT];
} lin_ctx;
static double lin_loss(void *p)
{
    lin_ctx *c = p;
    nr_lat_linear_forward_ref(c->y, c->x, c->W, c->b, LB, LIN, LOUT);
    double s = 0;
    for (int i = 0; i < LB * LOUT; i++) s += (double)c->c[i] * c->y[i];
    return s;
}

static void test_linear_blas_matches_reference(void)
{
    enum { B = 7, IN = 33, OUT = 19 };
    float x[B * IN], W[OUT * IN], b[OUT], y1[B * OUT], y2[B * OUT], dy[B * OUT];
    fill(x, B * IN, 1), fill(W, OUT * IN, 1), fill(b, OUT, 1), fill(dy, B * OUT, 1);
    for (int rows = 1; rows <= B; rows += B - 1) { /* the sgemv (1 row) and sgemm paths */
        nr_lat_linear_forward(y1, x, W, b, rows, IN, OUT);
        nr_lat_linear_forward_ref(y2, x, W, b, rows, IN, OUT);
        for (int i = 0; i < rows * OUT; i++) NT_CHECKF(fabsf(y1[i] - y2[i]) < 1e-4f, "y[%d] %g vs %g", i, y1[i], y2[i]);
    }
    float dx1[B * IN] = {0}, dx2[B * IN] = {0}, dW1[OUT * IN] = {0}, dW2[OUT * IN] = {0}, db1[OUT] = {0}, db2[OUT] = {0};
    nr_lat_linear_backward(dx1, dW1, db1, dy, x, W, B, IN, OUT);
    nr_lat_linear_backward_ref(dx2, dW2, db2, dy, x, W, B, IN, OUT);
    for (int i = 0; i < B * IN; i++) NT_CHECKF(fabsf(dx1[i] - dx2[i]) < 1e-4f, "dx[%d]", i);
    for (int i = 0; i < OUT * IN; i++) NT_CHECKF(fabsf(dW1[i] - dW2[i]) < 1e-4f, "dW[%d]", i);
    for (int i = 0; i < OUT; i++) NT_CHECKF(fabsf(db1[i] - db2[i]) < 1e-4f, "db[%d]", i);
}

static void test_fd_linear(void)
{
    lin_ctx c;
    fill(c.x, LB * LIN, 1), fill(c.W, LOUT * LIN, 1), fill(c.b, LOUT, 1), fill(c.c, LB * LOUT, 1);
    float dx[LB * LIN] = {0}, dW[LOUT * LIN] = {0}, db[LOUT] = {0};
    nr_lat_linear_backward_ref(dx, dW, db, c.c, c.x, c.W, LB, LIN, LOUT);
    fd_check("linear dx", lin_loss, &c, c.x, dx, LB * LIN, LB * LIN);
    fd_check("linear dW", lin_loss, &c, c.W, dW, LOUT * LIN, LOUT * LIN);
    fd_check("linear db", lin_loss, &c, c.b, db, LOUT, LOUT);
}

/* ---- tanh ---- */

typedef struct {
    float x[16], y[16], c[16];
} tanh_ctx;
static double tanh_loss(void *p)
{
    tanh_ctx *c = p;
    memcpy(c->y, c->x, sizeof c->x);
    nr_lat_tanh_forward(c->y, 16);
    double s = 0;
    for (int i = 0; i < 16; i++) s += (double)c->c[i] * c->y[i];
    return s;
}
static void test_fd_tanh(void)
{
    tanh_ctx c;
    fill(c.x, 16, 2), fill(c.c, 16, 1);
    tanh_loss(&c);
    float g[16];
    memcpy(g, c.c, sizeof g);
    nr_lat_tanh_backward(g, c.y, 16);
    fd_check("tanh", tanh_loss, &c, c.x, g, 16, 16);
}

/* ---- reparameterisation + KL ---- */

#define RB 3
typedef struct {
    float mulv[RB * 2 * NR_LAT_DIM], eps[RB * NR_LAT_DIM], z[RB * NR_LAT_DIM], c[RB * NR_LAT_DIM], beta;
} rep_ctx;
static double rep_loss(void *p)
{
    rep_ctx *c = p;
    double kl = nr_lat_reparam_forward(c->z, c->mulv, c->eps, RB), s = c->beta * kl;
    for (int i = 0; i < RB * NR_LAT_DIM; i++) s += (double)c->c[i] * c->z[i];
    return s;
}
static void test_fd_reparam_kl(void)
{
    rep_ctx c;
    fill(c.mulv, RB * 2 * NR_LAT_DIM, 1), fill(c.eps, RB * NR_LAT_DIM, 1.5f), fill(c.c, RB * NR_LAT_DIM, 1);
    c.beta = 0.7f;
    float g[RB * 2 * NR_LAT_DIM];
    nr_lat_reparam_backward(g, c.c, c.mulv, c.eps, RB, c.beta);
    fd_check("reparam+kl", rep_loss, &c, c.mulv, g, RB * 2 * NR_LAT_DIM, RB * 2 * NR_LAT_DIM);
    /* the KL of the prior itself is 0 */
    float zero[2 * NR_LAT_DIM] = {0}, z[NR_LAT_DIM];
    NT_CHECK(fabs(nr_lat_reparam_forward(z, zero, c.eps, 1)) < 1e-9);
}

/* ---- reconstruction ---- */

#define CB 2
typedef struct {
    float *y, *x, *m, *dy;
    int L[CB];
} rec_ctx;
static double rec_loss(void *p)
{
    rec_ctx *c = p;
    return nr_lat_recon_loss(c->dy, c->y, c->x, c->m, c->L, CB, 0.8f, NULL);
}
static void test_fd_recon(void)
{
    rec_ctx c;
    c.y = malloc(CB * NR_LAT_N_OUT * sizeof(float));
    c.x = malloc(CB * NR_LAT_N_IN * sizeof(float));
    c.m = malloc(CB * NR_LAT_N_X * sizeof(float));
    c.dy = malloc(CB * NR_LAT_N_OUT * sizeof(float));
    float *g = malloc(CB * NR_LAT_N_OUT * sizeof(float));
    fill(c.y, CB * NR_LAT_N_OUT, 1), fill(c.x, CB * NR_LAT_N_IN, 1);
    for (int i = 0; i < CB * NR_LAT_N_X; i++) c.m[i] = rnd() > 0 ? 1.0f : 0.0f;
    c.L[0] = 30, c.L[1] = NR_LAT_T;
    rec_loss(&c);
    memcpy(g, c.dy, CB * NR_LAT_N_OUT * sizeof(float));
    fd_check("recon", rec_loss, &c, c.y, g, CB * NR_LAT_N_OUT, 60);
    /* the length outputs are the last of each row */
    for (int i = 0; i < CB; i++) {
        long k = (long)i * NR_LAT_N_OUT + NR_LAT_N_X;
        double num = fd(rec_loss, &c, &c.y[k]);
        NT_CHECKF(close_rel(num, g[k]), "length output of row %d: %g vs %g", i, g[k], num);
    }
    /* a perfect reconstruction costs nothing */
    for (int i = 0; i < CB; i++) {
        memcpy(c.y + (size_t)i * NR_LAT_N_OUT, c.x + (size_t)i * NR_LAT_N_IN, NR_LAT_N_X * sizeof(float));
        c.y[(size_t)i * NR_LAT_N_OUT + NR_LAT_N_X] = c.x[(size_t)i * NR_LAT_N_IN + NR_LAT_N_X] * NR_LAT_LEN_SCALE;
    }
    NT_CHECK(fabs(rec_loss(&c)) < 1e-9);
    free(c.y), free(c.x), free(c.m), free(c.dy), free(g);
}

/* ---- attribute regularisation ---- */

#define AB 6
typedef struct {
    float z[AB * NR_LAT_DIM], a[AB * NR_LAT_DIM], dz[AB * NR_LAT_DIM];
} ar_ctx;
static double ar_loss(void *p)
{
    ar_ctx *c = p;
    return nr_lat_ar_loss(c->dz, c->z, c->a, AB, 1.5f, 0.9f);
}
static void test_fd_ar(void)
{
    ar_ctx c;
    fill(c.z, AB * NR_LAT_DIM, 1), fill(c.a, AB * NR_LAT_DIM, 1);
    memset(c.dz, 0, sizeof c.dz);
    ar_loss(&c);
    float g[AB * NR_LAT_DIM];
    memcpy(g, c.dz, sizeof g);
    fd_check("ar", ar_loss, &c, c.z, g, AB * NR_LAT_DIM, AB * NR_LAT_DIM);
    /* latent order = attribute order, sharply: the loss tends to 0 */
    for (int i = 0; i < AB * NR_LAT_DIM; i++) c.z[i] = 10.0f * c.a[i];
    memset(c.dz, 0, sizeof c.dz);
    NT_CHECK(nr_lat_ar_loss(c.dz, c.z, c.a, AB, 10.0f, 1.0f) < 1e-3);
}

/* ---- the whole loss: encoder -> reparameterisation -> decoder -> reconstruction + KL + AR ---- */

#define MB 3
typedef struct {
    nr_latent_hparams hp;
    nr_latent_weights w, g;
    float *params, *grad;
    float *x, *m, *a, *eps, *z, *dz, *dmulv, *dy, *tmp;
    float *ae[NR_LAT_MAX_LAYERS + 1], *ad[NR_LAT_MAX_LAYERS + 1];
    int L[MB];
} model_ctx;

static double model_loss_grad(model_ctx *c, int grad)
{
    nr_latent_weights *w = &c->w;
    nr_lat_mlp_forward(w->enc_dim, w->n_enc, w->enc_w, w->enc_b, c->x, c->ae, MB);
    float *mulv = c->ae[w->n_enc - 1];
    double kl = nr_lat_reparam_forward(c->z, mulv, c->eps, MB);
    nr_lat_mlp_forward(w->dec_dim, w->n_dec, w->dec_w, w->dec_b, c->z, c->ad, MB);
    double rec = nr_lat_recon_loss(c->dy, c->ad[w->n_dec - 1], c->x, c->m, c->L, MB, 0.5f, NULL);
    memset(c->dz, 0, MB * NR_LAT_DIM * sizeof(float));
    double ar = nr_lat_ar_loss(c->dz, c->z, c->a, MB, 2.0f, 0.5f);
    if (grad) {
        memset(c->grad, 0, (size_t)nr_latent_n_values(&c->hp, 0) * sizeof(float));
        nr_lat_mlp_backward(w->dec_dim, w->n_dec, w->dec_w, c->g.dec_w, c->g.dec_b, c->z, c->ad, c->dy, c->dz, c->tmp, MB);
        nr_lat_reparam_backward(c->dmulv, c->dz, mulv, c->eps, MB, 0.3f);
        nr_lat_mlp_backward(w->enc_dim, w->n_enc, w->enc_w, c->g.enc_w, c->g.enc_b, c->x, c->ae, c->dmulv, NULL, c->tmp, MB);
    }
    return rec + 0.3 * kl + ar;
}
static double model_loss(void *p) { return model_loss_grad(p, 0); }

static void test_fd_whole_model(void)
{
    model_ctx c;
    memset(&c, 0, sizeof c);
    c.hp.hidden = 6, c.hp.layers = 2;
    int64_t nv = nr_latent_n_values(&c.hp, 0);
    c.params = malloc((size_t)nv * sizeof(float));
    c.grad = malloc((size_t)nv * sizeof(float));
    nr_latent_carve(&c.hp, c.params, &c.w);
    nr_latent_carve(&c.hp, c.grad, &c.g);
    fill(c.params, nv, 0.3f);
    for (int l = 0; l < c.w.n_enc; l++) fill(c.w.enc_w[l], (long)c.w.enc_dim[l] * c.w.enc_dim[l + 1], 1.0f / sqrtf((float)c.w.enc_dim[l]));
    size_t big = NR_LAT_N_OUT;
    c.x = malloc(MB * NR_LAT_N_IN * sizeof(float)), c.m = malloc(MB * NR_LAT_N_X * sizeof(float));
    c.a = malloc(MB * NR_LAT_DIM * sizeof(float)), c.eps = malloc(MB * NR_LAT_DIM * sizeof(float));
    c.z = malloc(MB * NR_LAT_DIM * sizeof(float)), c.dz = malloc(MB * NR_LAT_DIM * sizeof(float));
    c.dmulv = malloc(MB * 2 * NR_LAT_DIM * sizeof(float)), c.dy = malloc(MB * big * sizeof(float));
    c.tmp = malloc(2 * MB * big * sizeof(float));
    for (int l = 0; l < c.w.n_enc; l++) c.ae[l] = malloc(MB * (size_t)c.w.enc_dim[l + 1] * sizeof(float));
    for (int l = 0; l < c.w.n_dec; l++) c.ad[l] = malloc(MB * (size_t)c.w.dec_dim[l + 1] * sizeof(float));
    fill(c.x, MB * NR_LAT_N_IN, 1), fill(c.a, MB * NR_LAT_DIM, 1), fill(c.eps, MB * NR_LAT_DIM, 1);
    for (int i = 0; i < MB * NR_LAT_N_X; i++) c.m[i] = 1.0f;
    c.L[0] = 20, c.L[1] = 100, c.L[2] = NR_LAT_T;
    model_loss_grad(&c, 1);
    float *g = malloc((size_t)nv * sizeof(float));
    memcpy(g, c.grad, (size_t)nv * sizeof(float));
    char name[64];
    for (int l = 0; l < c.w.n_enc; l++) {
        snprintf(name, sizeof name, "enc.%d.weight", l);
        long off = c.w.enc_w[l] - c.params;
        fd_check(name, model_loss, &c, c.w.enc_w[l], g + off, (long)c.w.enc_dim[l] * c.w.enc_dim[l + 1], 12);
        snprintf(name, sizeof name, "enc.%d.bias", l);
        off = c.w.enc_b[l] - c.params;
        fd_check(name, model_loss, &c, c.w.enc_b[l], g + off, c.w.enc_dim[l + 1], c.w.enc_dim[l + 1]);
    }
    for (int l = 0; l < c.w.n_dec; l++) {
        snprintf(name, sizeof name, "dec.%d.weight", l);
        long off = c.w.dec_w[l] - c.params;
        fd_check(name, model_loss, &c, c.w.dec_w[l], g + off, (long)c.w.dec_dim[l] * c.w.dec_dim[l + 1], 12);
        snprintf(name, sizeof name, "dec.%d.bias", l);
        off = c.w.dec_b[l] - c.params;
        fd_check(name, model_loss, &c, c.w.dec_b[l], g + off, c.w.dec_dim[l + 1], 12);
    }
    for (int l = 0; l < c.w.n_enc; l++) free(c.ae[l]);
    for (int l = 0; l < c.w.n_dec; l++) free(c.ad[l]);
    free(c.params), free(c.grad), free(g), free(c.x), free(c.m), free(c.a), free(c.eps), free(c.z), free(c.dz);
    free(c.dmulv), free(c.dy), free(c.tmp);
}

/* ---- curves, attributes ---- */

/* Identity normalisation weights view (mean 0, std 1) on a small block. */
static float *unit_weights(nr_latent_weights *w)
{
    nr_latent_hparams hp = {4, 1};
    float *block = calloc((size_t)nr_latent_n_values(&hp, 0), sizeof(float));
    nr_latent_carve(&hp, block, w);
    for (int d = 0; d < NR_NUM_DESC; d++) w->desc_std[d] = 1.0f;
    return block;
}

/* An impact at 100 frames/s: rms exp(-t / tau), the other columns constant. */
static void impact(nr_curves *c, double seconds, double tau, double centroid, double f0, double flat)
{
    nr_curves_alloc(c, (int)(seconds * 100), 100.0f);
    for (int t = 0; t < c->n_frames; t++) {
        float *d = c->data + (size_t)t * NR_NUM_DESC;
        d[NR_DESC_LOUDNESS] = (float)(0.3 * exp(-t / 100.0 / tau));
        d[NR_DESC_PERCUSSIVITY] = 0.1f, d[NR_DESC_TONELIKE] = (float)(2 * centroid), d[NR_DESC_RICHNESS] = 500.0f;
        d[NR_DESC_BRIGHTNESS] = (float)centroid, d[NR_DESC_PITCH] = (float)f0, d[NR_DESC_NOISINESS] = (float)flat;
    }
}

static void test_prepare_and_attributes(void)
{
    nr_latent_weights w;
    float *block = unit_weights(&w);
    float x[NR_LAT_N_IN], a[NR_LAT_DIM];
    int L;
    nr_curves c;
    impact(&c, 2.0, 0.2, 1000, 220, 0.01);
    nr_latent_prepare(&w, &c, x, &L);
    NT_CHECKF(L == 2 * NR_LAT_FPS, "2 s -> %d frames", L);
    NT_CHECK(x[(size_t)L * NR_NUM_DESC] == 0.0f && x[NR_LAT_N_X - 1] == 0.0f); /* zero past the end */
    NT_CHECK(fabsf(x[NR_LAT_N_X] - logf((float)L / NR_LAT_T) / NR_LAT_LEN_SCALE) < 1e-6f);
    NT_CHECK(fabsf(x[NR_DESC_BRIGHTNESS] - logf(1000.0f)) < 1e-4f);
    nr_latent_attributes(&w, x, L, a);
    /* 30 dB below the peak: tau ln(10^1.5) = 0.69 s, on the grid within a frame */
    double want = 0.2 * log(pow(10.0, 1.5));
    NT_CHECKF(fabs(exp(a[NR_LAT_ATTR_DECAY]) - want) < 1.5 / NR_LAT_FPS, "decay %g s, want %g", exp(a[0]), want);
    NT_CHECK(fabsf(a[NR_LAT_ATTR_BRIGHTNESS] - logf(1000.0f)) < 1e-4f);
    NT_CHECK(fabsf(a[NR_LAT_ATTR_PITCH] - logf(220.0f)) < 1e-4f);
    NT_CHECK(fabsf(a[NR_LAT_ATTR_NOISINESS] - logf(0.01f)) < 1e-3f);
    nr_curves_free(&c);
    /* a clip longer than 7 s is cut; a 10 ms one keeps the shortest length */
    impact(&c, 9.0, 3.0, 1000, 220, 0.01);
    nr_latent_prepare(&w, &c, x, &L);
    NT_CHECK(L == NR_LAT_T);
    nr_curves_free(&c);
    impact(&c, 0.01, 0.01, 1000, 220, 0.01);
    nr_latent_prepare(&w, &c, x, &L);
    NT_CHECK(L == NR_LAT_MIN_FRAMES);
    nr_curves_free(&c);
    /* each attribute moves with its own parameter */
    float prev[NR_LAT_DIM];
    for (int s = 0; s < 4; s++) {
        impact(&c, 7.0, 0.05 * pow(2.0, s), 300 * pow(2.0, s), 80 * pow(2.0, s), 0.001 * pow(4.0, s));
        nr_latent_prepare(&w, &c, x, &L);
        nr_latent_attributes(&w, x, L, a);
        for (int k = 0; k < NR_LAT_DIM && s > 0; k++) NT_CHECKF(a[k] > prev[k], "attribute %d at step %d", k, s);
        memcpy(prev, a, sizeof prev);
        nr_curves_free(&c);
    }
    free(block);
}

/* ---- training, file, decoding ---- */

static void test_train_learns_monotonic_axes_and_resumes(void)
{
    if (nt_skip_emulated(k_emulated_why)) return; /* minutes under qemu */
    char out[512], ck[512], out2[512], ck2[512];
    snprintf(out, sizeof out, "%s", nt_tmp("lat.safetensors"));
    snprintf(ck, sizeof ck, "%s", nt_tmp("lat.ckpt"));
    snprintf(out2, sizeof out2, "%s", nt_tmp("lat2.safetensors"));
    snprintf(ck2, sizeof ck2, "%s", nt_tmp("lat2.ckpt"));
    nr_latent_train_config c = nr_latent_train_config_init();
    c.data = "synthetic:400";
    c.out = out, c.checkpoint = ck;
    c.steps = UNDER_ASAN ? 300 : 600;
    c.hidden = 48, c.batch = 32, c.lr = 2e-3f;
    c.progress = 0, c.valid_every = 0, c.checkpoint_every = 0;
    c.kl_warmup = c.steps * 3 / 4; /* spans the half-way stop below: the resumed run must warm up as the whole one */
    nr_latent_train_report r;
    NT_CHECKF(nr_latent_train(&c, &r) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(r.valid_loss < 0.3 * r.valid_first, "validation %g -> %g", r.valid_first, r.valid_loss);
    for (int k = 0; k < NR_LAT_DIM; k++) {
        NT_CHECKF(r.eval.rho[k][k] > 0.8, "axis %d (%s): Spearman %.3f", k + 1, nr_lat_attr_names[k], r.eval.rho[k][k]);
        printf("  axis %d %-10s Spearman %.3f\n", k + 1, nr_lat_attr_names[k], r.eval.rho[k][k]);
    }
    /* stopped half-way, then resumed: the same model */
    c.out = out2, c.checkpoint = ck2, c.stop_after = c.steps / 2;
    NT_CHECK(nr_latent_train(&c, &r) == NR_OK && r.step == c.steps / 2);
    c.stop_after = 0, c.resume = ck2;
    NT_CHECKF(nr_latent_train(&c, &r) == NR_OK, "%s", nr_last_error());
    size_t n1, n2;
    char *a = nt_read_file(out, &n1), *b = nt_read_file(out2, &n2);
    NT_CHECK(a && b && n1 == n2 && !memcmp(a, b, n1));
    free(a), free(b);

    /* the map: a PNG of the training clips on two axes; the same axis twice is refused */
    const char *png = nt_tmp("map.png");
    NT_CHECKF(nr_latent_map_png(out, "synthetic:400", 0, 1, png) == NR_OK, "%s", nr_last_error());
    size_t np = 0;
    char *pb = nt_read_file(png, &np);
    NT_CHECK(pb && np > 100 && !memcmp(pb, "\x89PNG", 4));
    free(pb);
    NT_CHECK(nr_latent_map_png(out, "synthetic:400", 2, 2, png) == NR_ERR_ARG);

    /* the file: loads, decodes finite curves of a sane length for any input, also absurd ones */
    nr_latent lm;
    NT_CHECKF(nr_latent_load(out, &lm) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(lm.n_map == 320 && lm.map && isfinite(lm.map[0]), "latent.map of %d training clips", lm.n_map);
    float *work = malloc(nr_latent_work_floats(&lm.w.hp) * sizeof(float)), curves[NR_LAT_N_X];
    float pts[3][NR_LAT_DIM] = {{0, 0, 0, 0}, {1e9f, -1e9f, NAN, INFINITY}, {-2, 2, -2, 2}};
    for (int p = 0; p < 3; p++) {
        int n = -1;
        nr_latent_decode(&lm.w, pts[p], curves, &n, work);
        NT_CHECK(n >= NR_LAT_MIN_FRAMES && n <= NR_LAT_T);
        int finite = 1;
        for (int i = 0; i < NR_LAT_N_X; i++) finite &= isfinite(curves[i]) && curves[i] >= 0;
        NT_CHECK(finite);
    }
    /* decoded loudness never exceeds the loudest training frame, nor a lower cap set by hand */
    NT_CHECKF(lm.w.loud_max < 0.0f && lm.w.loud_max > -14.0f, "loud_max %g", lm.w.loud_max);
    for (int cap = 0; cap < 2; cap++) {
        if (cap) lm.w.loud_max = -4.0f;
        float top = 0;
        for (int p = 0; p < 50; p++) {
            float z[NR_LAT_DIM];
            int n;
            for (int k = 0; k < NR_LAT_DIM; k++) z[k] = 3.0f * nr_latent_prior_draw((uint64_t)p + 1, k);
            nr_latent_decode(&lm.w, z, curves, &n, work);
            for (int t = 0; t < n; t++) top = fmaxf(top, curves[t * NR_NUM_DESC + NR_DESC_LOUDNESS]);
        }
        NT_CHECKF(top > 0.0f && top <= expf(lm.w.loud_max) * 1.0001f, "loudest decoded rms %g, cap %g", top, expf(lm.w.loud_max));
    }
    free(work);
    nr_latent_free(&lm);

    /* a damaged checkpoint and a file without the model are refused with the file named */
    NT_CHECK(nt_write_file(ck2, "NRLATCK", 7) == 0);
    c.resume = ck2;
    NT_CHECK(nr_latent_train(&c, &r) != NR_OK && strstr(nr_last_error(), ck2));
    nr_tensor_set ts;
    memset(&ts, 0, sizeof ts);
    int64_t sh[1] = {1};
    nr_tensor_set_add(&ts, "x", 1, sh, NULL);
    nr_safetensors_write(out2, &ts);
    nr_tensor_set_free(&ts);
    NT_CHECK(nr_latent_load(out2, &lm) == NR_ERR_FORMAT && strstr(nr_last_error(), out2));
}

/* Random points where the data is: a kernel density over the encodings, Silverman's bandwidth per axis.
 * Draws are the seed's (the same twice), spread as the density (variance of the encodings plus the
 * bandwidth's square), each near one encoding; without encodings they are the N(0, I) draws. */
static void test_data_draw(void)
{
    enum { N = 400, DRAWS = 6000 };
    static float map[N * NR_LAT_DIM];
    for (int i = 0; i < N; i++)
        for (int k = 0; k < NR_LAT_DIM; k++) /* two tight clusters per axis, at -1.5 and +1.5 (k + 1) */
            map[i * NR_LAT_DIM + k] = (float)((i % 2 ? 1.5 : -1.5) * (k + 1) + 0.05 * nr_latent_prior_draw(1000 + i, k));
    double sd[NR_LAT_DIM], h[NR_LAT_DIM], s1[NR_LAT_DIM] = {0}, s2[NR_LAT_DIM] = {0};
    for (int k = 0; k < NR_LAT_DIM; k++) {
        double a = 0, b = 0;
        for (int i = 0; i < N; i++) a += map[i * NR_LAT_DIM + k], b += (double)map[i * NR_LAT_DIM + k] * map[i * NR_LAT_DIM + k];
        sd[k] = sqrt(b / N - (a / N) * (a / N));
        h[k] = 1.06 * sd[k] * pow(N, -0.2);
    }
    int far = 0;
    for (int d = 0; d < DRAWS; d++) {
        float z[NR_LAT_DIM], z2[NR_LAT_DIM];
        nr_latent_data_draw(map, N, (uint64_t)d + 1, z);
        nr_latent_data_draw(map, N, (uint64_t)d + 1, z2);
        NT_CHECK(!memcmp(z, z2, sizeof z));
        double best = INFINITY; /* nearest encoding, in bandwidths */
        for (int i = 0; i < N; i++) {
            double e = 0;
            for (int k = 0; k < NR_LAT_DIM; k++) e += pow((z[k] - map[i * NR_LAT_DIM + k]) / h[k], 2);
            best = fmin(best, e);
        }
        far += sqrt(best) > 5.0 * 2.0; /* 4 axes: beyond 10 bandwidths is not a kernel's draw */
        for (int k = 0; k < NR_LAT_DIM; k++) s1[k] += z[k], s2[k] += (double)z[k] * z[k];
    }
    NT_CHECKF(far == 0, "%d draws far from every encoding", far);
    for (int k = 0; k < NR_LAT_DIM; k++) {
        double m = s1[k] / DRAWS, v = s2[k] / DRAWS - m * m, want = sd[k] * sd[k] + h[k] * h[k];
        NT_CHECKF(fabs(m) < 0.1 * (k + 1) && fabs(v / want - 1.0) < 0.08, "axis %d: mean %g, variance %g (want %g)", k, m, v,
                  want);
    }
    float z[NR_LAT_DIM], z0[NR_LAT_DIM];
    nr_latent_data_draw(map, N, 7, z);
    nr_latent_data_draw(map, N, 8, z0);
    NT_CHECK(memcmp(z, z0, sizeof z) != 0);
    for (int n = 0; n < 2; n++) { /* no (or one) encoding: the prior */
        nr_latent_data_draw(n ? map : NULL, n, 7, z);
        for (int k = 0; k < NR_LAT_DIM; k++) NT_CHECK(z[k] == nr_latent_prior_draw(7, k));
    }
}

/* The file beside a synthesis model: X.safetensors -> X.latent.safetensors, found only if it is a file. */
static void test_beside_path(void)
{
    char model[512], out[600];
    snprintf(model, sizeof model, "%s", nt_tmp("beside.safetensors"));
    NT_CHECK(nr_latent_beside(model, out, sizeof out) == 0);
    char want[600];
    snprintf(want, sizeof want, "%s", nt_tmp("beside.latent.safetensors"));
    NT_CHECKF(!strcmp(out, want), "%s", out);
    NT_CHECK(nt_write_file(want, "x", 1) == 0);
    NT_CHECK(nr_latent_beside(model, out, sizeof out) == 1 && !strcmp(out, want));
    remove(want);
    NT_CHECK(nr_latent_beside(model, out, sizeof out) == 0);
    /* any other name gets the suffix appended */
    NT_CHECK(nr_latent_beside("m.bin", out, sizeof out) == 0 && !strcmp(out, "m.bin.latent.safetensors"));
    NT_CHECK(nr_latent_beside(".safetensors", out, sizeof out) == 0 && !strcmp(out, ".latent.safetensors"));
    /* too long for the buffer: nothing, an empty name */
    NT_CHECK(nr_latent_beside(model, out, 8) == 0 && out[0] == '\0');
    NT_CHECK(nr_latent_beside(NULL, out, sizeof out) == 0 && out[0] == '\0');
    /* a folder of that name is not a model */
    char dir[600];
    snprintf(dir, sizeof dir, "%s", nt_tmp("dirmodel.latent.safetensors"));
    NT_CHECK(mkdir(dir, 0700) == 0);
    NT_CHECK(nr_latent_beside(nt_tmp("dirmodel.safetensors"), out, sizeof out) == 0);
    rmdir(dir);
}

static void test_file_errors(void)
{
    nr_latent_hparams hp = {8, 1};
    int64_t nv = nr_latent_n_values(&hp, 0);
    float *block = calloc((size_t)nv, sizeof(float));
    nr_latent_weights w;
    nr_latent_carve(&hp, block, &w);
    for (int d = 0; d < NR_NUM_DESC; d++) w.desc_std[d] = 1.0f;
    nr_tensor_set ts;
    memset(&ts, 0, sizeof ts);
    NT_CHECK(nr_latent_to_tensors(&w, &ts) == NR_OK);
    nr_latent lm;
    NT_CHECKF(nr_latent_from_tensors(&ts, "t", &lm) == NR_OK, "%s", nr_last_error());
    NT_CHECK(lm.w.hp.hidden == 8 && memcmp(lm.block, block, (size_t)nv * sizeof(float)) == 0);
    nr_latent_free(&lm);
    NT_CHECK(lm.w.loud_max == NR_LAT_LOUD_MAX_NONE);
    nr_latent_free(&lm);
    /* the loudness cap: read back; a bad one is refused, named */
    nr_tensor_set_set_meta(&ts, "latent.loud_max", "-1.5");
    NT_CHECKF(nr_latent_from_tensors(&ts, "t", &lm) == NR_OK, "%s", nr_last_error());
    NT_CHECK(lm.w.loud_max == -1.5f);
    nr_latent_free(&lm);
    const char *bad_max[] = {"3", "x", "-1.5dB", "nan"};
    for (int i = 0; i < 4; i++) {
        nr_tensor_set_set_meta(&ts, "latent.loud_max", bad_max[i]);
        NT_CHECKF(nr_latent_from_tensors(&ts, "t", &lm) == NR_ERR_VALUE && strstr(nr_last_error(), "latent.loud_max"),
                  "loud_max '%s'", bad_max[i]);
    }
    nr_tensor_set_set_meta(&ts, "latent.loud_max", "0");
    nr_tensor_set_set_meta(&ts, "latent.frames", "100");
    NT_CHECK(nr_latent_from_tensors(&ts, "t", &lm) == NR_ERR_SHAPE);
    nr_tensor_set_set_meta(&ts, "latent.frames", "175");
    ts.tensors[0].data[0] = NAN;
    NT_CHECK(nr_latent_from_tensors(&ts, "t", &lm) == NR_ERR_VALUE);
    ts.tensors[0].data[0] = 0.0f;
    nr_tensor_set_set_meta(&ts, "latent.arch", "nr-latent-9");
    NT_CHECK(nr_latent_from_tensors(&ts, "t", &lm) == NR_ERR_VERSION);
    nr_tensor_set_free(&ts);
    free(block);
}


/* ---- the synth's latent source ---- */

typedef struct {
    nr_synth_event ev[8];
    int n, taken;
} ev_list;
static int ev_next(void *ctx, nr_synth_event *ev)
{
    ev_list *l = ctx;
    if (l->taken >= l->n) return 0;
    *ev = l->ev[l->taken++];
    return 1;
}

/* Length (s) of the sound a gate plays with latent1 at `volts`: the point is asked for, decoded by
 * collect (the control thread's part), then gate 1 plays it. */
static double gate_sound_seconds(nr_synth *s, int gate, float volts, float *buf, int total)
{
    ev_list l = {{{NR_SYNTH_CV, 0, volts, -1}}, 1, 0};
    nr_synth_events src = {&l, ev_next};
    nr_synth_process(s, &src, buf, 512); /* the CV settles (1 ms) ... */
    nr_synth_process(s, &src, buf, 512); /* ... and the audio thread asks for the point */
    nr_synth_collect(s);                 /* decoded here, off the audio thread */
    l = (ev_list){{{NR_SYNTH_GATE, gate, 1.0f, -1}}, 1, 0};
    memset(buf, 0, (size_t)total * sizeof(float));
    for (int pos = 0; pos < total; pos += 512) {
        if (pos == 2048) l = (ev_list){{{NR_SYNTH_GATE, gate, 0.0f, -1}}, 1, 0};
        nr_synth_process(s, &src, buf + pos, 512);
    }
    float peak = 0;
    for (int i = 0; i < total; i++) peak = fmaxf(peak, fabsf(buf[i]));
    int last = 0;
    for (int i = 0; i < total; i++)
        if (fabsf(buf[i]) > 0.01f * peak) last = i;
    return peak > 0 ? last / 48000.0 : 0.0;
}
static double latent_sound_seconds(nr_synth *s, float volts, float *buf, int total)
{
    return gate_sound_seconds(s, 0, volts, buf, total);
}

static void test_synth_plays_latent_source(void)
{
    if (nt_skip_emulated(k_emulated_why)) return; /* minutes under qemu */
    nr_model *m = NULL;
    if (nr_model_load("models/default.safetensors", &m) != NR_OK) {
        nt_skip("models/default.safetensors cannot be loaded");
        return;
    }
    const char *path = nt_tmp("synth-latent.safetensors");
    nr_latent_train_config c = nr_latent_train_config_init();
    c.data = "synthetic:300";
    c.out = path;
    c.checkpoint = nt_tmp("synth-latent.ckpt");
    c.steps = 300, c.hidden = 32, c.batch = 32, c.lr = 3e-3f, c.progress = 0, c.valid_every = 0;
    nr_latent_train_report r;
    NT_CHECKF(nr_latent_train(&c, &r) == NR_OK, "%s", nr_last_error());
    nr_latent *lm = malloc(sizeof *lm);
    NT_CHECKF(lm && nr_latent_load(path, lm) == NR_OK, "%s", nr_last_error());
    nr_synth_config sc = nr_synth_config_init();
    sc.model = m, sc.max_block = 512, sc.cpu_guard = 0;
    nr_synth *s = NULL;
    NT_CHECKF(nr_synth_init(&sc, &s) == NR_OK, "%s", nr_last_error());
    if (!s) {
        nr_latent_free(lm), free(lm);
        return;
    }
    /* prior points rendered: counted, measured; a capped loudness makes them silent, an uncapped loud
     * decoder clips them; one point's clicks are those of its render counted alone */
    {
        nr_latent_render_report rr;
        NT_CHECKF(nr_latent_render_check(lm, m, 4, 1, &rr) == NR_OK, "%s", nr_last_error());
        printf("  4 prior points rendered: peaks %.3f..%.3f, %.2f..%.2f s, %ld clicks\n", rr.peak_min, rr.peak_max,
               rr.sec_min, rr.sec_max, rr.clicks);
        NT_CHECK(rr.n == 4 && rr.peak_min > 0 && rr.peak_min <= rr.peak_median && rr.peak_median <= rr.peak_max);
        NT_CHECK(rr.sec_min > 0.05 && rr.sec_max < 7.5 && rr.clicky <= rr.n && rr.clicks >= rr.clicky);
        float z[NR_LAT_DIM], *work = malloc(nr_latent_work_floats(&lm->w.hp) * sizeof(float));
        nr_curves c1 = {0}, c2 = {0};
        NT_CHECK(work && nr_curves_alloc(&c1, NR_LAT_T, NR_LAT_FPS) == NR_OK);
        nr_latent_random_point(lm, 3, z); /* the point render --latent random --seed 3 plays */
        int n = 0;
        nr_latent_decode(&lm->w, z, c1.data, &n, work);
        c1.n_frames = n;
        NT_CHECK(nr_curves_resample(&c1, (float)NR_ANALYSIS_RATE / NR_ANALYSIS_HOP, &c2) == NR_OK);
        nr_render_config rc = nr_render_config_init();
        rc.voice.seed = 3;
        nr_audio y = {0};
        nr_audio y22 = {0};
        long clicks = -1;
        NT_CHECK(nr_render(m, &c2, &rc, &y) == NR_OK);
        NT_CHECK(nr_audio_resample_kaiser_best(y.samples, y.n, y.rate, NR_ANALYSIS_RATE, &y22) == NR_OK);
        NT_CHECK(nr_eval_count_clicks(y22.samples, y22.n, NR_ANALYSIS_RATE, &clicks) == NR_OK);
        nr_audio_free(&y22);
        NT_CHECK(nr_latent_render_check(lm, m, 1, 3, &rr) == NR_OK);
        NT_CHECKF(rr.clicks == clicks && fabs(rr.sec_max - (double)y.n / y.rate) < 1e-9, "clicks %ld vs %ld", rr.clicks, clicks);
        /* as played: the same render through the output stage, counted alone */
        float pp = nr_synth_output_stage(y.samples, y.n, y.rate);
        NT_CHECK(nr_audio_resample_kaiser_best(y.samples, y.n, y.rate, NR_ANALYSIS_RATE, &y22) == NR_OK);
        NT_CHECK(nr_eval_count_clicks(y22.samples, y22.n, NR_ANALYSIS_RATE, &clicks) == NR_OK);
        nr_audio_free(&y22);
        NT_CHECKF(rr.played_clicks == clicks && fabs(rr.played_peak_max - pp) < 1e-7, "as played: clicks %ld vs %ld, peak %g vs %g",
                  rr.played_clicks, clicks, rr.played_peak_max, (double)pp);
        nr_audio_free(&y), nr_curves_free(&c1), nr_curves_free(&c2), free(work);
        float keep = lm->w.loud_max;
        lm->w.loud_max = -12.0f; /* -104 dB rms */
        /* the synthesis model does not follow loudness all the way down (some points still peak near
         * -33 dBFS), so which seeds fall silent depends on the trained point: each one's count must
         * agree with its peak */
        double quietest = 1e9;
        for (uint64_t seed = 1; seed <= 3; seed++) {
            NT_CHECK(nr_latent_render_check(lm, m, 1, seed, &rr) == NR_OK);
            NT_CHECKF(rr.silent == (rr.peak_max < NR_LAT_SILENT_PEAK) && rr.clipped == 0, "seed %d: silent %d, peak %g",
                      (int)seed, rr.silent, rr.peak_max);
            quietest = fmin(quietest, rr.peak_max);
        }
        NT_CHECKF(quietest < 0.1, "the quietest render at a loudness cap of -104 dB rms peaks at %g", quietest);
        /* the decoder's loudness output pushed up: every frame at full-scale rms, uncapped */
        float *bias = lm->w.dec_b[lm->w.n_dec - 1];
        float saved[NR_LAT_T];
        for (int t = 0; t < NR_LAT_T; t++) saved[t] = bias[t * NR_NUM_DESC], bias[t * NR_NUM_DESC] += 50.0f;
        lm->w.loud_max = NR_LAT_LOUD_MAX_NONE;
        NT_CHECK(nr_latent_render_check(lm, m, 3, 1, &rr) == NR_OK);
        NT_CHECKF(rr.clipped == 3 && rr.silent == 0, "clipped %d of 3, peak %.3f", rr.clipped, rr.peak_min);
        /* as played, the output stage's soft limiter holds them under full scale */
        NT_CHECKF(rr.played_clipped == 0 && rr.played_silent == 0 && rr.played_peak_max <= 0.98f && rr.played_peak_max > 0.8,
                  "as played: clipped %d, loudest %.4f", rr.played_clipped, rr.played_peak_max);
        for (int t = 0; t < NR_LAT_T; t++) bias[t * NR_NUM_DESC] = saved[t];
        lm->w.loud_max = keep;
        NT_CHECK(nr_latent_render_check(lm, m, 0, 1, &rr) == NR_ERR_ARG);
    }
    NT_CHECK(nr_synth_set_latent(s, lm) == NR_OK);
    nr_patch p;
    nr_patch_defaults(&p);
    p.source = NR_SOURCE_LATENT;
    NT_CHECK(!strcmp(nr_source_name(p.source), "latent") && nr_source_from_name("template") == NR_SOURCE_TEMPLATE);
    for (int i = 0; i < NR_NUM_CV; i++) p.cv[i] = (nr_cv_assign){NR_CVT_LATENT0 + i, 2.0f, 1};
    NT_CHECK(!strcmp(nr_cv_target_name(NR_CVT_LATENT0), "latent1") && nr_cv_target_from_name("latent4") == NR_CVT_LATENT0 + 3);
    nr_cv_cal cal[NR_NUM_CV];
    for (int i = 0; i < NR_NUM_CV; i++) nr_cv_cal_defaults(&cal[i]);
    nr_synth_set_patch(s, &p, cal);
    enum { TOTAL = 48000 * 8 };
    float *buf = malloc(TOTAL * sizeof(float));
    /* axis 1 is the decay: -5 V (-2 std) gives a short sound, +5 V (+2 std) a long one */
    double short_s = latent_sound_seconds(s, -5.0f, buf, TOTAL), long_s = latent_sound_seconds(s, 5.0f, buf, TOTAL);
    printf("  latent1 at -5 V: %.2f s, at +5 V: %.2f s\n", short_s, long_s);
    NT_CHECKF(short_s > 0.01 && long_s > 2.0 * short_s, "latent1 -5 V: %.3f s, +5 V: %.3f s", short_s, long_s);
    /* a sounding voice follows the point: a long sound whose point moves to -2 std after 0.5 s ends early */
    {
        ev_list l = {{{NR_SYNTH_CV, 0, 5.0f, -1}}, 1, 0};
        nr_synth_events src = {&l, ev_next};
        nr_synth_process(s, &src, buf, 512);
        nr_synth_process(s, &src, buf, 512);
        nr_synth_collect(s);
        l = (ev_list){{{NR_SYNTH_GATE, 0, 1.0f, -1}}, 1, 0};
        memset(buf, 0, TOTAL * sizeof(float));
        for (int pos = 0; pos < TOTAL; pos += 512) {
            if (pos == 24064) l = (ev_list){{{NR_SYNTH_CV, 0, -5.0f, -1}, {NR_SYNTH_GATE, 0, 0.0f, -1}}, 2, 0};
            nr_synth_process(s, &src, buf + pos, 512);
            nr_synth_collect(s); /* the host's control thread, every 10 ms */
        }
        float peak = 0;
        int last = 0;
        for (int i = 0; i < TOTAL; i++) peak = fmaxf(peak, fabsf(buf[i]));
        for (int i = 0; i < TOTAL; i++)
            if (fabsf(buf[i]) > 0.01f * peak) last = i;
        double moved = last / 48000.0;
        printf("  point moved from +2 to -2 std at 0.5 s: the sound ends at %.2f s\n", moved);
        NT_CHECKF(moved > 0.45 && moved < 0.5 * long_s, "moved point: %.3f s, unmoved %.3f s", moved, long_s);
    }
    /* a model swap forgets the decoded sound; the next collect decodes it again for the new model */
    nr_model *m2 = NULL;
    NT_CHECK(nr_model_load("models/default.safetensors", &m2) == NR_OK && nr_synth_model_stage(s, m2) == NR_OK);
    nr_synth_model_commit(s);
    nr_synth_process(s, NULL, buf, 512);
    nr_synth_collect(s);
    double again = latent_sound_seconds(s, 5.0f, buf, TOTAL);
    NT_CHECKF(fabs(again - long_s) < 0.1 * long_s, "after a model swap %.3f s, before %.3f s", again, long_s);
    /* gate 2 morphs on the line between the encodings of A (a short kick) and B (a long boom) */
    snprintf(p.template_a, sizeof p.template_a, "kick");
    snprintf(p.template_b, sizeof p.template_b, "boom");
    double len[3];
    for (int i = 0; i < 3; i++) {
        p.interp = 0.5f * i;
        nr_synth_set_patch(s, &p, cal);
        nr_synth_collect(s); /* encodes A and B (once) */
        len[i] = gate_sound_seconds(s, 1, 0.0f, buf, TOTAL);
    }
    printf("  gate 2 morph kick -> boom: %.2f s, %.2f s, %.2f s at 0, 0.5, 1\n", len[0], len[1], len[2]);
    NT_CHECKF(len[0] > 0.01 && len[0] < len[1] && len[1] < len[2], "morph lengths %.3f %.3f %.3f", len[0], len[1], len[2]);
    free(buf);
    nr_synth_uninit(s);

    /* the instrument loads the latent model it is given, and names a bad one */
    nr_instrument_config ic = nr_instrument_config_init();
    ic.model_path = "models/default.safetensors";
    ic.settings_path = nt_tmp("settings.nrs");
    ic.latent_path = path;
    nr_instrument *inst = NULL;
    NT_CHECKF(nr_instrument_create(&ic, &inst) == NR_OK, "%s", nr_last_error());
    nr_instrument_free(inst);
    ic.latent_path = nt_tmp("missing.safetensors");
    inst = NULL;
    NT_CHECK(nr_instrument_create(&ic, &inst) != NR_OK && !inst && strstr(nr_last_error(), "missing.safetensors"));

    /* none given: the one beside the model (X.latent.safetensors) is loaded; a broken one there is
     * reported in the notice and the instrument starts without it */
    size_t nm = 0, nl = 0;
    char *mb = nt_read_file("models/default.safetensors", &nm), *lb = nt_read_file(path, &nl);
    char synth_copy[512], beside[512];
    snprintf(synth_copy, sizeof synth_copy, "%s", nt_tmp("withlat.safetensors"));
    snprintf(beside, sizeof beside, "%s", nt_tmp("withlat.latent.safetensors"));
    NT_CHECK(mb && lb && nt_write_file(synth_copy, mb, nm) == 0 && nt_write_file(beside, lb, nl) == 0);
    ic.model_path = synth_copy;
    ic.latent_path = NULL;
    inst = NULL;
    NT_CHECKF(nr_instrument_create(&ic, &inst) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(inst && !strstr(nr_instrument_notice(inst), "withlat.latent"), "notice: %s", inst ? nr_instrument_notice(inst) : "");
    nr_instrument_free(inst);
    NT_CHECK(nt_write_file(beside, "not a model", 11) == 0);
    inst = NULL;
    NT_CHECKF(nr_instrument_create(&ic, &inst) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(inst && strstr(nr_instrument_notice(inst), "withlat.latent.safetensors"), "notice: %s",
              inst ? nr_instrument_notice(inst) : "");
    nr_instrument_free(inst);
    free(mb), free(lb);
    /* the folder scan for the Sound page lists the synthesis model, not the latent file beside it */
    nr_model_list *ml = calloc(1, sizeof *ml);
    NT_CHECK(ml && nr_model_list_scan_dir(ml, nt_tmpdir()) >= 1);
    NT_CHECK(nr_model_list_find(ml, "withlat") >= 0);
    for (int i = 0; ml && i < ml->n; i++) NT_CHECKF(!strstr(ml->e[i].path, ".latent."), "listed %s", ml->e[i].path);
    free(ml);
}

int main(void)
{
    NT_RUN(test_linear_blas_matches_reference);
    NT_RUN(test_fd_linear);
    NT_RUN(test_fd_tanh);
    NT_RUN(test_fd_reparam_kl);
    NT_RUN(test_fd_recon);
    NT_RUN(test_fd_ar);
    NT_RUN(test_fd_whole_model);
    NT_RUN(test_prepare_and_attributes);
    NT_RUN(test_data_draw);
    NT_RUN(test_beside_path);
    NT_RUN(test_file_errors);
    NT_RUN(test_train_learns_monotonic_axes_and_resumes);
    NT_RUN(test_synth_plays_latent_source);
    return nt_end();
}
