/* Trainer checkpoints: "NRIMPCK\0" (nr-impact-1) or "NRIM2CK\0" (nr-impact-2), version, hyper-parameters, seed, step, sizes (all 64-bit
 * little-endian), then float32 parameters, Adam m and v, then a CRC-32 of everything before it.
 * The RNG is counter-based (batch k draws from hash(seed, k, ...)), so seed + step are its state. */
#include "train_impl.h"

#include "io/atomic_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CK_MAGIC "NRIMPCK"
#define CK_MAGIC2 "NRIM2CK"
#define CK_VERSION 1
#define CK_N_HEAD 20 /* 64-bit header words after the magic */

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
static uint64_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static float bits_f(uint64_t w) /* fbits' inverse: the float in a word's low 32 bits */
{
    uint32_t u = (uint32_t)w;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Word 19: 0 for no inharmonic floor (every checkpoint before it), else a flag bit over the float's bits. */
static uint64_t floor_word(float fl) { return fl == NR_IMP2_FLOOR_NONE ? 0 : (1ULL << 32) | fbits(fl); }
static float floor_of_word(uint64_t w) { return w >> 32 ? bits_f(w) : NR_IMP2_FLOOR_NONE; }

static void floor_name(float fl, char *out, size_t cap)
{
    if (fl == NR_IMP2_FLOOR_NONE) snprintf(out, cap, "none");
    else snprintf(out, cap, "%g", (double)fl);
}

static const char *magic_of(nr_train_arch_id a) { return a == NR_TRAIN_IMPACT2 ? CK_MAGIC2 : CK_MAGIC; }
static const char *arch_name(nr_train_arch_id a) { return a == NR_TRAIN_IMPACT2 ? NR_IMP2_ARCH : NR_IMP_ARCH; }

/* The hyper-parameters take words 1..11 and 16..18 (nr-impact-2); seed, step and sizes stay at 12..15. */
static void header(unsigned char *h, const nr_checkpoint *c)
{
    memset(h, 0, 8 + 8 * CK_N_HEAD);
    memcpy(h, magic_of(c->arch), 8);
    uint64_t w[CK_N_HEAD] = {0};
    if (c->arch == NR_TRAIN_IMPACT2) {
        const nr_imp2_hparams *hp = &c->hp2;
        uint64_t v[CK_N_HEAD] = {CK_VERSION, (uint64_t)hp->hidden, (uint64_t)hp->layers, (uint64_t)hp->taps,
                                 (uint64_t)hp->n_harm, (uint64_t)hp->n_inharm, (uint64_t)hp->n_env,
                                 (uint64_t)hp->n_trans, (uint64_t)hp->trans_len, fbits(hp->env_lo), fbits(hp->env_hi),
                                 fbits(hp->ratio_lo), c->seed, (uint64_t)c->step, (uint64_t)c->n_values,
                                 (uint64_t)c->n_trainable, fbits(hp->ratio_hi), (uint64_t)hp->harm_env,
                                 (uint64_t)hp->onset_pitch, floor_word(hp->inharm_floor)};
        memcpy(w, v, sizeof w);
    } else {
        const nr_imp_hparams *hp = &c->hp;
        uint64_t v[CK_N_HEAD] = {CK_VERSION, (uint64_t)hp->hidden, (uint64_t)hp->layers, (uint64_t)hp->taps,
                                 (uint64_t)hp->n_harm, (uint64_t)hp->n_inharm, (uint64_t)hp->n_bands, (uint64_t)hp->n_trans,
                                 (uint64_t)hp->trans_len, fbits(hp->band_lo), fbits(hp->band_hi), fbits(hp->band_q),
                                 c->seed, (uint64_t)c->step, (uint64_t)c->n_values, (uint64_t)c->n_trainable};
        memcpy(w, v, sizeof w);
    }
    for (int i = 0; i < CK_N_HEAD; i++) put64(h + 8 + 8 * i, w[i]);
}

/* The architecture of a header's magic; -1 if none. */
static int arch_of_magic(const unsigned char *h)
{
    if (!memcmp(h, CK_MAGIC, 8)) return NR_TRAIN_IMPACT1;
    if (!memcmp(h, CK_MAGIC2, 8)) return NR_TRAIN_IMPACT2;
    return -1;
}

static int write_floats(FILE *f, const float *x, int64_t n, uint32_t *crc)
{
    unsigned char buf[4096];
    int64_t i = 0;
    while (i < n) {
        size_t k = 0;
        for (; k + 4 <= sizeof buf && i < n; i++, k += 4) {
            uint32_t u;
            memcpy(&u, &x[i], 4);
            buf[k] = (unsigned char)u, buf[k + 1] = (unsigned char)(u >> 8), buf[k + 2] = (unsigned char)(u >> 16),
            buf[k + 3] = (unsigned char)(u >> 24);
        }
        *crc = (uint32_t)crc32_z(*crc, buf, k);
        if (fwrite(buf, 1, k, f) != k) return 0;
    }
    return 1;
}

nr_result nr_checkpoint_write(const char *path, const nr_checkpoint *c)
{
    FILE *f;
    char *tmp;
    nr_result r = nr_atomic_fopen(path, &f, &tmp); /* its message names path */
    if (r != NR_OK) return r;
    unsigned char h[8 + 8 * CK_N_HEAD];
    header(h, c);
    uint32_t crc = (uint32_t)crc32_z(0, h, sizeof h);
    int ok = fwrite(h, 1, sizeof h, f) == sizeof h;
    ok = ok && write_floats(f, c->params, c->n_values, &crc);
    ok = ok && write_floats(f, c->m, c->n_trainable, &crc);
    ok = ok && write_floats(f, c->v, c->n_trainable, &crc);
    unsigned char cb[4] = {(unsigned char)crc, (unsigned char)(crc >> 8), (unsigned char)(crc >> 16),
                           (unsigned char)(crc >> 24)};
    ok = ok && fwrite(cb, 1, 4, f) == 4;
    if (!ok) {
        int e = errno;
        nr_atomic_fabort(f, tmp);
        return nr_fail(NR_ERR_IO, "%s: cannot write checkpoint (%s); the previous file is unchanged", path,
                       nr_write_error_text(e));
    }
    return nr_atomic_fcommit(path, f, tmp); /* flush, fsync, rename, fsync the folder */
}

nr_result nr_checkpoint_read(const char *path, nr_checkpoint *c)
{
    FILE *f = fopen(path, "rb");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open checkpoint (%s)", path, strerror(errno));
    unsigned char h[8 + 8 * CK_N_HEAD], want[8 + 8 * CK_N_HEAD];
    size_t got = fread(h, 1, sizeof h, f);
    int arch = got == sizeof h ? arch_of_magic(h) : -1;
    if (arch < 0) {
        fclose(f);
        return nr_fail(NR_ERR_FORMAT, "%s: not a neurorack training checkpoint (bad magic or too short)", path);
    }
    if (arch != (int)c->arch) {
        fclose(f);
        return nr_fail(NR_ERR_ARG, "%s: checkpoint of an %s model; this run trains %s (resume with --arch %s)", path,
                       arch_name((nr_train_arch_id)arch), arch_name(c->arch), arch_name((nr_train_arch_id)arch));
    }
    uint64_t ver = get64(h + 8);
    if (ver != CK_VERSION) {
        fclose(f);
        return nr_fail(NR_ERR_VERSION, "%s: checkpoint version %llu, this build reads version %d", path,
                       (unsigned long long)ver, CK_VERSION);
    }
    nr_checkpoint tmpc = *c;
    tmpc.seed = get64(h + 8 + 8 * 12);
    tmpc.step = (long)get64(h + 8 + 8 * 13);
    header(want, &tmpc);
    if (c->arch == NR_TRAIN_IMPACT2 && get64(h + 8 + 8 * 18) != get64(want + 8 + 8 * 18)) {
        fclose(f);
        return nr_fail(NR_ERR_ARG, "%s: checkpoint was trained with --onset-pitch %s, this run has %s: resume "
                                   "with the same setting", path, get64(h + 8 + 8 * 18) ? "settle" : "raw",
                       c->hp2.onset_pitch ? "settle" : "raw");
    }
    if (c->arch == NR_TRAIN_IMPACT2 && get64(h + 8 + 8 * 11) != get64(want + 8 + 8 * 11)) {
        fclose(f);
        return nr_fail(NR_ERR_ARG, "%s: checkpoint was trained with --inharm-lo %g, this run has %g: resume with the "
                                   "same setting", path, (double)bits_f(get64(h + 8 + 8 * 11)), (double)c->hp2.ratio_lo);
    }
    if (c->arch == NR_TRAIN_IMPACT2 && get64(h + 8 + 8 * 19) != get64(want + 8 + 8 * 19)) {
        float had = floor_of_word(get64(h + 8 + 8 * 19));
        char a[32], b[32];
        floor_name(had, a, sizeof a);
        floor_name(c->hp2.inharm_floor, b, sizeof b);
        fclose(f);
        return nr_fail(NR_ERR_ARG, "%s: checkpoint was trained with --inharm-floor %s, this run has %s: resume with "
                                   "the same setting", path, a, b);
    }
    if (memcmp(h, want, sizeof h) != 0) {
        fclose(f);
        return nr_fail(NR_ERR_SHAPE,
                       "%s: checkpoint of a different model size (hidden %llu, layers %llu, %llu values; this run "
                       "has hidden %d, layers %d, %lld values): resume with the same settings",
                       path, (unsigned long long)get64(h + 16), (unsigned long long)get64(h + 24),
                       (unsigned long long)get64(h + 8 + 8 * 14),
                       c->arch == NR_TRAIN_IMPACT2 ? c->hp2.hidden : c->hp.hidden,
                       c->arch == NR_TRAIN_IMPACT2 ? c->hp2.layers : c->hp.layers, (long long)c->n_values);
    }
    uint32_t crc = (uint32_t)crc32_z(0, h, sizeof h);
    float *dst[3] = {c->params, c->m, c->v};
    int64_t cnt[3] = {c->n_values, c->n_trainable, c->n_trainable};
    unsigned char buf[4096];
    for (int a = 0; a < 3; a++) {
        int64_t i = 0;
        while (i < cnt[a]) {
            size_t want_b = (size_t)((cnt[a] - i) * 4 < (int64_t)sizeof buf ? (cnt[a] - i) * 4 : (int64_t)sizeof buf);
            if (fread(buf, 1, want_b, f) != want_b) {
                fclose(f);
                return nr_fail(NR_ERR_FORMAT, "%s: checkpoint truncated", path);
            }
            crc = (uint32_t)crc32_z(crc, buf, want_b);
            for (size_t k = 0; k < want_b; k += 4, i++) {
                uint32_t u = (uint32_t)buf[k] | (uint32_t)buf[k + 1] << 8 | (uint32_t)buf[k + 2] << 16 |
                             (uint32_t)buf[k + 3] << 24;
                memcpy(&dst[a][i], &u, 4);
            }
        }
    }
    unsigned char cb[4];
    int extra = fread(cb, 1, 4, f) != 4 || fgetc(f) != EOF;
    fclose(f);
    uint32_t stored = (uint32_t)cb[0] | (uint32_t)cb[1] << 8 | (uint32_t)cb[2] << 16 | (uint32_t)cb[3] << 24;
    if (extra || stored != crc)
        return nr_fail(NR_ERR_FORMAT, "%s: checkpoint damaged (CRC mismatch or wrong length)", path);
    c->seed = tmpc.seed;
    c->step = tmpc.step;
    return NR_OK;
}

nr_result nr_checkpoint_peek(const char *path, nr_checkpoint *c)
{
    FILE *f = fopen(path, "rb");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open checkpoint (%s)", path, strerror(errno));
    unsigned char h[8 + 8 * CK_N_HEAD];
    size_t got = fread(h, 1, sizeof h, f);
    fclose(f);
    int arch = got == sizeof h ? arch_of_magic(h) : -1;
    if (arch < 0)
        return nr_fail(NR_ERR_FORMAT, "%s: not a neurorack training checkpoint (bad magic or too short)", path);
    if (get64(h + 8) != CK_VERSION)
        return nr_fail(NR_ERR_VERSION, "%s: checkpoint version %llu, this build reads version %d", path,
                       (unsigned long long)get64(h + 8), CK_VERSION);
    uint64_t w[CK_N_HEAD];
    for (int i = 0; i < CK_N_HEAD; i++) w[i] = get64(h + 8 + 8 * i);
    memset(c, 0, sizeof *c);
    c->arch = (nr_train_arch_id)arch;
    int *ints1[] = {&c->hp.hidden, &c->hp.layers, &c->hp.taps, &c->hp.n_harm, &c->hp.n_inharm, &c->hp.n_bands,
                    &c->hp.n_trans, &c->hp.trans_len};
    int *ints2[] = {&c->hp2.hidden, &c->hp2.layers, &c->hp2.taps, &c->hp2.n_harm, &c->hp2.n_inharm, &c->hp2.n_env,
                    &c->hp2.n_trans, &c->hp2.trans_len};
    for (int i = 0; i < 8; i++) {
        if (w[1 + i] > 1000000) return nr_fail(NR_ERR_FORMAT, "%s: checkpoint header damaged", path);
        *(arch == NR_TRAIN_IMPACT2 ? ints2 : ints1)[i] = (int)w[1 + i];
    }
    float *fl1[] = {&c->hp.band_lo, &c->hp.band_hi, &c->hp.band_q, NULL};
    float *fl2[] = {&c->hp2.env_lo, &c->hp2.env_hi, &c->hp2.ratio_lo, &c->hp2.ratio_hi};
    static const int word[] = {9, 10, 11, 16};
    for (int i = 0; i < 4; i++) {
        float *dst = (arch == NR_TRAIN_IMPACT2 ? fl2 : fl1)[i];
        if (!dst) continue;
        *dst = bits_f(w[word[i]]);
    }
    if (arch == NR_TRAIN_IMPACT2) {
        if (w[17] > NR_IMP2_HARM_INDEX) return nr_fail(NR_ERR_FORMAT, "%s: checkpoint header damaged", path);
        c->hp2.harm_env = (int)w[17]; /* 0 (FREQ) in checkpoints of the first nr-impact-2 runs */
        if (w[18] > NR_IMP2_ONSET_SETTLED) return nr_fail(NR_ERR_FORMAT, "%s: checkpoint header damaged", path);
        c->hp2.onset_pitch = (int)w[18]; /* 0 (RAW) in checkpoints before the settled onset */
        if (w[19] >> 33) return nr_fail(NR_ERR_FORMAT, "%s: checkpoint header damaged", path);
        c->hp2.inharm_floor = floor_of_word(w[19]);
    }
    c->seed = w[12];
    c->step = (long)w[13];
    c->n_values = (int64_t)w[14];
    c->n_trainable = (int64_t)w[15];
    return arch == NR_TRAIN_IMPACT2 ? nr_imp2_hparams_check(&c->hp2, path) : nr_imp_hparams_check(&c->hp, path);
}
