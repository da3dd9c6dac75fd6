/* How close can a curve model with a small code get, per clip? Ceilings for the latent model's per-clip
 * reconstruction figure (docs/latent.md), from the data alone, no trained model:
 *  - smoothing: each test clip's curves (on the latent's grid, by nr_latent_prepare; the loud frames the
 *    latent eval takes) against their own centred moving average of k frames;
 *  - PCA: every clip's 7 curves resampled to P points over its length (time-normalised: the length is
 *    given for free), z-scored per point, principal components of the training split; a test clip
 *    projected on the top K, reconstructed, resampled back to its frames: a linear autoencoder whose code
 *    is K numbers.
 * Per-clip Pearson over the loud frames (at least 4), averaged over the clips, per descriptor, and the
 * Pearson of all those frames pooled, as `train-latent --eval` computes both. A throwaway measuring tool,
 * not part of the program:
 *   make build/libneurorack.a && cc -std=c11 -O2 -Iinclude -o build/latent-ceiling \
 *     scripts/latent-ceiling.c build/libneurorack.a -lsndfile -lfftw3 -lfftw3f -lsamplerate -lzip -lz \
 *     -lcjson -L/usr/lib/x86_64-linux-gnu/openblas-pthread/ -lopenblas -lpthread -lm
 *   build/latent-ceiling DATA/manifest.tsv */
#define _GNU_SOURCE
#include "nr/dataset.h"
#include "nr/latent.h"
#include "neurorack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TMAX NR_LAT_T
#define P 48
#define D NR_NUM_DESC
#define NV (P * D)
#define MASK_DB 60.0

typedef struct {
    int L;
    float x[NR_LAT_N_IN]; /* (TMAX, D) transformed curves, then the length feature */
    unsigned char loud[TMAX];
} clip;

/* The latent's own grid (nr_latent_prepare) with an identity normalisation: the transformed values, so
 * the loudness column is ln rms; loud frames within MASK_DB of the clip's peak, as the latent eval's mask. */
static int prep(const nr_curves *c, clip *k)
{
    static float zero[D], one[D] = {1, 1, 1, 1, 1, 1, 1};
    nr_latent_weights w = {0};
    w.desc_mean = zero, w.desc_std = one;
    nr_latent_prepare(&w, c, k->x, &k->L);
    float peak = -1e30f;
    for (int t = 0; t < k->L; t++) peak = fmaxf(peak, k->x[t * D]);
    for (int t = 0; t < k->L; t++) k->loud[t] = k->x[t * D] >= peak - MASK_DB * (float)(M_LN10 / 20.0);
    return 1;
}

static double pearson(const double *a, const double *b, int n)
{
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) ma += a[i], mb += b[i];
    ma /= n, mb /= n;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
}

/* every loud frame of the scored clips, per descriptor, for the pooled correlation */
static double *pool_a[D], *pool_b[D];
static long pool_n[D];

/* per-clip correlation of clip k against y (same layout), accumulated per descriptor */
static void score(const clip *k, const float *y, double *sum, int *cnt)
{
    double a[TMAX], b[TMAX];
    for (int d = 0; d < D; d++) {
        int n = 0;
        for (int t = 0; t < k->L; t++)
            if (k->loud[t]) {
                a[n] = k->x[t * D + d], b[n] = y[t * D + d];
                pool_a[d][pool_n[d]] = a[n], pool_b[d][pool_n[d]] = b[n], pool_n[d]++, n++;
            }
        if (n < 4) continue;
        double c = pearson(a, b, n);
        if (isfinite(c)) sum[d] += c, cnt[d]++;
    }
}

static void to_p(const clip *k, float *v) /* L frames -> P points per descriptor */
{
    for (int p = 0; p < P; p++) {
        double pos = (double)p * (k->L - 1) / (P - 1);
        int i = (int)pos;
        double f = pos - i;
        for (int d = 0; d < D; d++) {
            float a = k->x[i * D + d], b = i + 1 < k->L ? k->x[(i + 1) * D + d] : a;
            v[d * P + p] = (float)(a + (b - a) * f);
        }
    }
}

static void from_p(const float *v, int L, float *y)
{
    for (int t = 0; t < L; t++) {
        double pos = L > 1 ? (double)t * (P - 1) / (L - 1) : 0.0;
        int i = (int)pos;
        double f = pos - i;
        for (int d = 0; d < D; d++) {
            float a = v[d * P + i], b = i + 1 < P ? v[d * P + i + 1] : a;
            y[t * D + d] = (float)(a + (b - a) * f);
        }
    }
}

/* eigenvectors of the symmetric n x n matrix A (destroyed) by cyclic Jacobi: columns of V, values in e */
static void jacobi(double *A, int n, double *V, double *e)
{
    for (int i = 0; i < n * n; i++) V[i] = 0;
    for (int i = 0; i < n; i++) V[i * n + i] = 1;
    for (int sweep = 0; sweep < 30; sweep++) {
        double off = 0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) off += A[p * n + q] * A[p * n + q];
        if (off < 1e-18) break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = A[p * n + q];
                if (fabs(apq) < 1e-15) continue;
                double th = (A[q * n + q] - A[p * n + p]) / (2 * apq);
                double t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1)), c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) {
                    double akp = A[k * n + p], akq = A[k * n + q];
                    A[k * n + p] = c * akp - s * akq, A[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) {
                    double apk = A[p * n + k], aqk = A[q * n + k];
                    A[p * n + k] = c * apk - s * aqk, A[q * n + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < n; k++) {
                    double vkp = V[k * n + p], vkq = V[k * n + q];
                    V[k * n + p] = c * vkp - s * vkq, V[k * n + q] = s * vkp + c * vkq;
                }
            }
    }
    for (int i = 0; i < n; i++) e[i] = A[i * n + i];
}

/* the per-clip means, then the pooled correlations of the same frames; the pools start again */
static void report(const char *label, const double *sum, const int *cnt)
{
    printf("%-28s", label);
    double m = 0;
    for (int d = 0; d < D; d++) printf(" %6.3f", sum[d] / cnt[d]), m += sum[d] / cnt[d];
    printf("   mean %.3f\n%-28s", m / D, "  pooled");
    for (int d = 0; d < D; d++) printf(" %6.3f", pearson(pool_a[d], pool_b[d], (int)pool_n[d])), pool_n[d] = 0;
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: latent-ceiling DATA/manifest.tsv\n");
        return 2;
    }
    nr_manifest m;
    if (nr_manifest_read(argv[1], &m) != NR_OK) return fprintf(stderr, "%s\n", nr_last_error()), 1;
    int nt = nr_manifest_count(&m, NR_SPLIT_TRAIN), ns = nr_manifest_count(&m, NR_SPLIT_TEST);
    clip *tr = calloc((size_t)nt, sizeof *tr), *te = calloc((size_t)ns, sizeof *te);
    int it = -1, i, a = 0, b = 0;
    while ((i = nr_manifest_next(&m, NR_SPLIT_TRAIN, &it)) >= 0) {
        nr_curves c;
        if (nr_ds_load_curves(&m, i, &c) == NR_OK) a += prep(&c, &tr[a]), nr_curves_free(&c);
    }
    it = -1;
    while ((i = nr_manifest_next(&m, NR_SPLIT_TEST, &it)) >= 0) {
        nr_curves c;
        if (nr_ds_load_curves(&m, i, &c) == NR_OK) b += prep(&c, &te[b]), nr_curves_free(&c);
    }
    nt = a, ns = b;
    for (int d = 0; d < D; d++) {
        pool_a[d] = malloc(sizeof(double) * (size_t)ns * TMAX);
        pool_b[d] = malloc(sizeof(double) * (size_t)ns * TMAX);
    }
    printf("%d training clips, %d test clips; per-clip correlation over loud frames, mean over clips\n", nt, ns);
    printf("%-28s", "");
    for (int d = 0; d < D; d++) printf(" %6.6s", nr_desc_names[d]);
    printf("\n");
    float *y = malloc(sizeof(float) * TMAX * D);
    for (int k = 3; k <= 9; k += 2) { /* moving averages */
        double sum[D] = {0};
        int cnt[D] = {0};
        for (int c = 0; c < ns; c++) {
            const clip *q = &te[c];
            for (int t = 0; t < q->L; t++)
                for (int d = 0; d < D; d++) {
                    double s = 0;
                    int n = 0;
                    for (int j = t - k / 2; j <= t + k / 2; j++)
                        if (j >= 0 && j < q->L) s += q->x[j * D + d], n++;
                    y[t * D + d] = (float)(s / n);
                }
            score(q, y, sum, cnt);
        }
        char label[64];
        snprintf(label, sizeof label, "moving average, %d frames", k);
        report(label, sum, cnt);
    }
    /* PCA on the time-normalised curves */
    float *V = malloc(sizeof(float) * (size_t)nt * NV);
    double mu[NV] = {0}, sd[NV] = {0};
    for (int c = 0; c < nt; c++) to_p(&tr[c], V + (size_t)c * NV);
    for (int c = 0; c < nt; c++)
        for (int j = 0; j < NV; j++) mu[j] += V[(size_t)c * NV + j];
    for (int j = 0; j < NV; j++) mu[j] /= nt;
    for (int c = 0; c < nt; c++)
        for (int j = 0; j < NV; j++) sd[j] += pow(V[(size_t)c * NV + j] - mu[j], 2);
    for (int j = 0; j < NV; j++) sd[j] = sqrt(sd[j] / nt) + 1e-6;
    double *C = calloc((size_t)NV * NV, sizeof(double)), *E = malloc(sizeof(double) * NV * NV), ev[NV];
    for (int c = 0; c < nt; c++) {
        double z[NV];
        for (int j = 0; j < NV; j++) z[j] = (V[(size_t)c * NV + j] - mu[j]) / sd[j];
        for (int p = 0; p < NV; p++)
            for (int q = 0; q < NV; q++) C[p * NV + q] += z[p] * z[q] / nt;
    }
    jacobi(C, NV, E, ev);
    int order[NV];
    for (int j = 0; j < NV; j++) order[j] = j;
    for (int p = 0; p < NV; p++) /* by eigenvalue, largest first */
        for (int q = p + 1; q < NV; q++)
            if (ev[order[q]] > ev[order[p]]) {
                int t = order[p];
                order[p] = order[q], order[q] = t;
            }
    double total = 0;
    for (int j = 0; j < NV; j++) total += ev[j];
    const int Ks[] = {4, 8, 16, 32, NV};
    for (size_t kk = 0; kk < sizeof Ks / sizeof Ks[0]; kk++) {
        int K = Ks[kk];
        double sum[D] = {0}, explained = 0;
        int cnt[D] = {0};
        for (int j = 0; j < K; j++) explained += ev[order[j]];
        for (int c = 0; c < ns; c++) {
            float v[NV], r[NV];
            double z[NV], zr[NV] = {0};
            to_p(&te[c], v);
            for (int j = 0; j < NV; j++) z[j] = (v[j] - mu[j]) / sd[j];
            for (int j = 0; j < K; j++) {
                const int col = order[j];
                double pr = 0;
                for (int p = 0; p < NV; p++) pr += z[p] * E[p * NV + col];
                for (int p = 0; p < NV; p++) zr[p] += pr * E[p * NV + col];
            }
            for (int j = 0; j < NV; j++) r[j] = (float)(zr[j] * sd[j] + mu[j]);
            from_p(r, te[c].L, y);
            score(&te[c], y, sum, cnt);
        }
        char label[64];
        snprintf(label, sizeof label, "PCA %3d numbers (%4.1f%% var)", K, 100 * explained / total);
        report(label, sum, cnt);
    }
    return 0;
}
