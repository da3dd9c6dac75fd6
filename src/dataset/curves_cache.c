/* Cached descriptor curves (.nrc): a small checked binary file per content hash. */
#include "ds_internal.h"
#include "io/atomic_file.h"
#include "nr/analysis.h"
#include "nr/audio_file.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NRC_MAGIC "NRCURVE1"
/* 2: the analysis resamples with resampy's kaiser_best (librosa.load's); version 1 curves came through
 * libsamplerate and are made again by the data-set builder. */
#define NRC_VERSION 2u
#define NRC_HEADER 32

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static uint32_t fnv1a32(const uint8_t *p, size_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x01000193u;
    return h;
}

nr_result nr_curves_cache_write(const char *path, const nr_curves *c)
{
    size_t nv = (size_t)c->n_frames * NR_NUM_DESC, nb = NRC_HEADER + 4 * nv;
    uint8_t *b = calloc(1, nb);
    if (!b) return nr_fail(NR_ERR_NOMEM, "out of memory for %d curve frames", c->n_frames);
    for (size_t i = 0; i < nv; i++) put32(b + NRC_HEADER + 4 * i, f2u(c->data[i]));
    memcpy(b, NRC_MAGIC, 8);
    put32(b + 8, NRC_VERSION);
    put32(b + 12, (uint32_t)c->n_frames);
    put32(b + 16, NR_NUM_DESC);
    put32(b + 20, f2u(c->frame_rate));
    put32(b + 24, fnv1a32(b + NRC_HEADER, 4 * nv));
    FILE *f;
    char *tmp;
    nr_result r = nr_atomic_fopen(path, &f, &tmp);
    if (r == NR_OK) {
        fwrite(b, 1, nb, f); /* a short write sets ferror(f): nr_atomic_fcommit reports it */
        r = nr_atomic_fcommit(path, f, tmp);
    }
    free(b);
    return r;
}

nr_result nr_curves_cache_read(const char *path, nr_curves *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    uint8_t h[NRC_HEADER];
    if (fread(h, 1, NRC_HEADER, f) != NRC_HEADER || memcmp(h, NRC_MAGIC, 8)) {
        fclose(f);
        return nr_fail(NR_ERR_FORMAT, "%s: not a curve cache file (magic %s expected)", path, NRC_MAGIC);
    }
    uint32_t ver = get32(h + 8), nf = get32(h + 12), nd = get32(h + 16);
    float fr = u2f(get32(h + 20));
    if (ver != NRC_VERSION) {
        fclose(f);
        return nr_fail(NR_ERR_VERSION, "%s: curve cache version %u, this build reads %u; rebuild the data set", path,
                       ver, NRC_VERSION);
    }
    if (nd != NR_NUM_DESC || nf > (1u << 24) || !(fr > 0.0f) || !isfinite(fr)) {
        fclose(f);
        return nr_fail(NR_ERR_SHAPE, "%s: %u frames x %u descriptors at %g fps; expected x%d at a positive rate",
                       path, nf, nd, (double)fr, NR_NUM_DESC);
    }
    size_t nv = (size_t)nf * NR_NUM_DESC;
    uint8_t *b = malloc(4 * nv + 1);
    if (!b) {
        fclose(f);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t got = fread(b, 1, 4 * nv + 1, f);
    fclose(f);
    if (got != 4 * nv || fnv1a32(b, 4 * nv) != get32(h + 24)) {
        free(b);
        return nr_fail(NR_ERR_FORMAT, "%s: curve data is truncated or damaged (size or checksum)", path);
    }
    nr_result r = nr_curves_alloc(out, (int)nf, fr);
    if (r != NR_OK) {
        free(b);
        return r;
    }
    for (size_t i = 0; i < nv; i++) {
        out->data[i] = u2f(get32(b + 4 * i));
        if (!isfinite(out->data[i])) {
            free(b);
            nr_curves_free(out);
            return nr_fail(NR_ERR_VALUE, "%s: value %zu is not finite", path, i);
        }
    }
    free(b);
    return NR_OK;
}

nr_result ds_curves_compute(const nr_audio *a, nr_curves *out)
{
    memset(out, 0, sizeof *out);
    /* the analysis' own resampler (resampy's kaiser_best, as librosa.load), not the data set's */
    nr_audio y;
    nr_result r = nr_audio_resample_kaiser_best(a->samples, a->n, a->rate, NR_ANALYSIS_RATE, &y);
    if (r == NR_OK) r = nr_analyze(y.samples, y.n, out);
    nr_audio_free(&y);
    return r;
}
