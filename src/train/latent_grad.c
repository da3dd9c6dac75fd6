/* Forward and backward of the latent curve model's ops (src/train/latent_impl.h). */
#include "latent_impl.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "train_impl.h"

void nr_lat_linear_backward_ref(float *dx, float *dW, float *db, const float *dy, const float *x, const float *W,
                                int B, int in, int out)
{
    for (int i = 0; i < B; i++)
        for (int o = 0; o < out; o++) {
            float g = dy[(size_t)i * out + o];
            db[o] += g;
            for (int k = 0; k < in; k++) {
                dW[(size_t)o * in + k] += g * x[(size_t)i * in + k];
                if (dx) dx[(size_t)i * in + k] += g * W[(size_t)o * in + k];
            }
        }
}

void nr_lat_linear_backward(float *dx, float *dW, float *db, const float *dy, const float *x, const float *W, int B,
                            int in, int out)
{
    for (int i = 0; i < B; i++)
        for (int o = 0; o < out; o++) db[o] += dy[(size_t)i * out + o];
    /* dW (out, in) += dy^T (out, B) x (B, in) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, B, 1.0f, dy, out, x, in, 1.0f, dW, in);
    /* dx (B, in) += dy (B, out) W (out, in) */
    if (dx) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, out, 1.0f, dy, out, W, in, 1.0f, dx, in);
}

void nr_lat_tanh_forward(float *x, long n)
{
    for (long i = 0; i < n; i++) x[i] = tanhf(x[i]);
}

void nr_lat_tanh_backward(float *g, const float *y, long n)
{
    for (long i = 0; i < n; i++) g[i] *= 1.0f - y[i] * y[i];
}

double nr_lat_reparam_forward(float *z, const float *mulv, const float *eps, int B)
{
    double kl = 0.0;
    for (int i = 0; i < B; i++)
        for (int k = 0; k < NR_LAT_DIM; k++) {
            float mu = mulv[i * 2 * NR_LAT_DIM + k], lv = mulv[i * 2 * NR_LAT_DIM + NR_LAT_DIM + k];
            z[i * NR_LAT_DIM + k] = mu + expf(0.5f * lv) * eps[i * NR_LAT_DIM + k];
            kl += 0.5 * ((double)mu * mu + exp(lv) - lv - 1.0);
        }
    return kl / B;
}

void nr_lat_reparam_backward(float *dmulv, const float *dz, const float *mulv, const float *eps, int B, float kl_weight)
{
    for (int i = 0; i < B; i++)
        for (int k = 0; k < NR_LAT_DIM; k++) {
            float mu = mulv[i * 2 * NR_LAT_DIM + k], lv = mulv[i * 2 * NR_LAT_DIM + NR_LAT_DIM + k];
            float g = dz[i * NR_LAT_DIM + k], s = expf(0.5f * lv);
            dmulv[i * 2 * NR_LAT_DIM + k] = g + kl_weight * mu / B;
            dmulv[i * 2 * NR_LAT_DIM + NR_LAT_DIM + k] =
                g * eps[i * NR_LAT_DIM + k] * 0.5f * s + kl_weight * 0.5f * (s * s - 1.0f) / B;
        }
}

double nr_lat_recon_loss(float *dy, const float *y, const float *x, const float *m, const int *L, int B,
                         float len_weight, double *len_part)
{
    double loss = 0.0, lp = 0.0;
    for (int i = 0; i < B; i++) {
        const float *yi = y + (size_t)i * NR_LAT_N_OUT, *xi = x + (size_t)i * NR_LAT_N_IN, *mi = m + (size_t)i * NR_LAT_N_X;
        float *gi = dy + (size_t)i * NR_LAT_N_OUT;
        float inv = 1.0f / (float)L[i];
        double s = 0.0;
        for (int j = 0; j < NR_LAT_N_X; j++) {
            float e = yi[j] - xi[j];
            s += (double)mi[j] * e * e;
            gi[j] = 2.0f * mi[j] * e * inv / B;
        }
        float target = xi[NR_LAT_N_X] * NR_LAT_LEN_SCALE, e = yi[NR_LAT_N_X] - target;
        gi[NR_LAT_N_X] = 2.0f * len_weight * e / B;
        loss += s * inv + len_weight * (double)e * e;
        lp += (double)e * e;
    }
    if (len_part) *len_part = lp / B;
    return loss / B;
}

static float sgn(float v) { return (float)((v > 0) - (v < 0)); }

double nr_lat_ar_loss(float *dz, const float *z, const float *a, int B, float delta, float gamma)
{
    double loss = 0.0;
    float scale = gamma / ((float)B * B);
    for (int r = 0; r < NR_LAT_DIM; r++)
        for (int i = 0; i < B; i++)
            for (int j = 0; j < B; j++) {
                if (i == j) continue;
                float t = tanhf(delta * (z[i * NR_LAT_DIM + r] - z[j * NR_LAT_DIM + r]));
                float s = sgn(a[i * NR_LAT_DIM + r] - a[j * NR_LAT_DIM + r]);
                loss += fabsf(t - s);
                float g = scale * sgn(t - s) * delta * (1.0f - t * t);
                dz[i * NR_LAT_DIM + r] += g;
                dz[j * NR_LAT_DIM + r] -= g;
            }
    return loss * scale;
}

void nr_lat_mlp_forward(const int *dim, int n, float *const *W, float *const *b, const float *x, float **act, int B)
{
    const float *cur = x;
    for (int l = 0; l < n; l++) {
        nr_lat_linear_forward(act[l], cur, W[l], b[l], B, dim[l], dim[l + 1]);
        if (l < n - 1) nr_lat_tanh_forward(act[l], (long)B * dim[l + 1]);
        cur = act[l];
    }
}

void nr_lat_mlp_backward(const int *dim, int n, float *const *W, float *const *gW, float *const *gb, const float *x,
                         float *const *act, float *dout, float *dx, float *tmp, int B)
{
    int widest = 0;
    for (int l = 0; l <= n; l++) widest = dim[l] > widest ? dim[l] : widest;
    float *g = dout;
    for (int l = n - 1; l >= 0; l--) {
        if (l < n - 1) nr_lat_tanh_backward(g, act[l], (long)B * dim[l + 1]);
        const float *in = l == 0 ? x : act[l - 1];
        float *prev = NULL;
        if (l > 0) {
            prev = tmp + (size_t)(l % 2) * B * widest;
            memset(prev, 0, (size_t)B * dim[l] * sizeof(float));
        } else if (dx) {
            prev = dx;
        }
        nr_lat_linear_backward(prev, gW[l], gb[l], g, in, W[l], B, dim[l], dim[l + 1]);
        g = prev;
    }
}

float nr_lat_gauss(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t h = nr_train_hash(seed, a, b);
    double u1 = ((h >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double u2 = ((nr_imp_seed_mix(h) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}
