/* Long impacts made from the data set's own one-shots: varispeed pitch-down, layering, and a damped
 * comb/all-pass reverberation tail. Deterministic from the seed (splitmix64) on one build; libsamplerate
 * does the varispeed. */
#include "ds_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ds_rng_seed(ds_rng *r, uint64_t seed) { r->state = seed; }

uint64_t ds_rng_u64(ds_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double ds_rng_uniform(ds_rng *r) { return (double)(ds_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0); }

/* Comb delays (ms) of a Schroeder reverberator, mutually prime-ish so the echoes do not line up. */
static const double g_comb_ms[4] = {29.7, 37.1, 41.1, 43.7};
static const double g_allpass_ms[2] = {5.0, 1.7};

nr_result ds_augment_boom(const nr_audio *const *layers, int n_layers, ds_rng *rng, double max_s,
                          nr_audio *out, char *recipe, size_t recipe_n)
{
    memset(out, 0, sizeof *out);
    if (n_layers < 1 || n_layers > 3) return nr_fail(NR_ERR_ARG, "a boom has 1..3 layers, got %d", n_layers);
    int rate = layers[0]->rate;
    for (int l = 0; l < n_layers; l++)
        if (layers[l]->rate != rate || layers[l]->n < 1) return nr_fail(NR_ERR_ARG, "boom layers differ in rate or are empty");
    long max_n = (long)(max_s * rate);
    double t60 = 1.5 + 4.5 * ds_rng_uniform(rng); /* s */
    double wet = 0.15 + 0.35 * ds_rng_uniform(rng);
    long n = 0;
    double semi[3], delay[3], gain_db[3];
    for (int l = 0; l < n_layers; l++) {
        semi[l] = -(l == 0 ? 24.0 : 12.0) * ds_rng_uniform(rng);
        delay[l] = l == 0 ? 0.0 : 0.030 * ds_rng_uniform(rng);
        gain_db[l] = l == 0 ? 0.0 : -12.0 * ds_rng_uniform(rng);
        long len = (long)(delay[l] * rate) + (long)(layers[l]->n / pow(2.0, semi[l] / 12.0));
        if (len > n) n = len;
    }
    n += (long)(0.7 * t60 * rate);
    if (n > max_n) n = max_n;
    float *dry = calloc((size_t)n, sizeof *dry), *y = calloc((size_t)n, sizeof *y);
    if (!dry || !y) {
        free(dry);
        free(y);
        return nr_fail(NR_ERR_NOMEM, "out of memory for a %ld-sample boom", n);
    }
    for (int l = 0; l < n_layers; l++) {
        /* Varispeed (tape slow-down): resample to rate/step with the band-limited sinc and play the
         * result at `rate`, so pitch and length change together and nothing images above the band. */
        nr_audio v = {malloc((size_t)layers[l]->n * sizeof(float)), layers[l]->n, rate};
        nr_result r = v.samples ? NR_OK : nr_fail(NR_ERR_NOMEM, "out of memory for a boom layer");
        if (r == NR_OK) memcpy(v.samples, layers[l]->samples, (size_t)v.n * sizeof(float));
        if (r == NR_OK) r = ds_resample_inplace(&v, (int)lround(rate / pow(2.0, semi[l] / 12.0)));
        if (r != NR_OK) {
            ds_audio_release(&v);
            free(dry);
            free(y);
            return r;
        }
        double g = pow(10.0, gain_db[l] / 20.0);
        long d = (long)(delay[l] * rate);
        for (long i = d; i < n && i - d < v.n; i++) dry[i] += (float)(g * v.samples[i - d]);
        ds_audio_release(&v);
    }
    /* Reverberation tail: 4 parallel damped combs then 2 series all-passes. */
    for (int c = 0; c < 4; c++) {
        long dl = (long)(g_comb_ms[c] * 0.001 * rate * (1.0 + 0.1 * ds_rng_uniform(rng)));
        double fb = pow(10.0, -3.0 * dl / (t60 * rate)), damp = 0.3, lp = 0.0;
        float *buf = calloc((size_t)dl, sizeof *buf);
        if (!buf) {
            free(dry);
            free(y);
            return nr_fail(NR_ERR_NOMEM, "out of memory for the reverberation");
        }
        for (long i = 0, p = 0; i < n; i++, p = p + 1 == dl ? 0 : p + 1) {
            double o = buf[p];
            lp = (1.0 - damp) * o + damp * lp;
            buf[p] = (float)(dry[i] + fb * lp);
            y[i] += (float)(0.25 * o);
        }
        free(buf);
    }
    for (int a = 0; a < 2; a++) {
        long dl = (long)(g_allpass_ms[a] * 0.001 * rate);
        if (dl < 1) dl = 1;
        float *buf = calloc((size_t)dl, sizeof *buf);
        if (!buf) {
            free(dry);
            free(y);
            return nr_fail(NR_ERR_NOMEM, "out of memory for the reverberation");
        }
        for (long i = 0, p = 0; i < n; i++, p = p + 1 == dl ? 0 : p + 1) {
            double b = buf[p], v = y[i] + 0.5 * b;
            buf[p] = (float)v;
            y[i] = (float)(b - 0.5 * v);
        }
        free(buf);
    }
    for (long i = 0; i < n; i++) y[i] = (float)((1.0 - wet) * dry[i] + wet * 4.0 * y[i]);
    free(dry);
    out->samples = y;
    out->n = n;
    out->rate = rate;
    int w = snprintf(recipe, recipe_n, "t60=%.2fs wet=%.2f", t60, wet);
    for (int l = 0; l < n_layers && w > 0 && (size_t)w < recipe_n; l++)
        w += snprintf(recipe + w, recipe_n - (size_t)w, " L%d(%.1fst,%.0fms,%.1fdB)", l, semi[l], delay[l] * 1000.0,
                      gain_db[l]);
    return NR_OK;
}
