/* The nr-impact-1 trainer: a tiny run lowers the loss, runs are reproducible across thread counts and
 * across a stop + resume, checkpoints reject damage, bad clips are recognised. */
#include "neurorack.h"
#include "nr_test.h"
#include "tiny_train.h"
#include "nr/dataset.h"
#include "train/train_impl.h"
#include "instrument/settings.h" /* nr_crc32 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Why the slowest tests skip under qemu. */
static const char *const k_emulated_why =
    "emulated: a training run; the trainer's arithmetic is generic C, tested natively and under ASan";

static nr_train_config tiny(void)
{
    nr_train_config c = nt_tiny_train_config();
    c.arch = "nr-impact-1"; /* nr-impact-2's runs: tests/test_impact2.c */
    return c;
}

static void test_tiny_run_lowers_loss(void)
{
    if (nt_skip_emulated(k_emulated_why)) return; /* minutes under qemu */
    nr_train_config c = tiny();
    c.steps = 60;
    c.threads = 2;
    c.checkpoint = nt_tmp("lower.ckpt");
    nr_train_report rep;
    nr_result r = nr_train(&c, &rep);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    printf("  %ld steps in %.1f s: training set %.4f -> %.4f, validation %.4f -> %.4f\n", rep.step, rep.seconds,
           rep.train_eval_first, rep.train_eval_last, rep.valid_first, rep.valid_loss);
    NT_CHECK(rep.step == 60 && rep.n_train == 5 && rep.n_valid == 1);
    NT_CHECKF(rep.train_eval_last < 0.8 * rep.train_eval_first, "training-set loss %g -> %g", rep.train_eval_first,
              rep.train_eval_last);
    NT_CHECKF(rep.valid_loss < rep.valid_first, "validation loss %g -> %g", rep.valid_first, rep.valid_loss);
}

static int same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = nt_read_file(a, &na), *y = nt_read_file(b, &nb);
    int same = x && y && na == nb && !memcmp(x, y, na);
    free(x), free(y);
    return same;
}

static void test_reproducible_and_resumable(void)
{
    if (nt_skip_emulated(k_emulated_why)) return; /* minutes under qemu */
    char a[512], b[512];
    snprintf(a, sizeof a, "%s", nt_tmp("straight.ckpt"));
    snprintf(b, sizeof b, "%s", nt_tmp("resumed.ckpt"));
    nr_train_report rep;
    nr_train_config c = tiny();
    c.steps = 8;
    c.threads = 2;
    c.checkpoint = a;
    NT_CHECKF(nr_train(&c, &rep) == NR_OK, "%s", nr_last_error());
    /* one thread, stopped after 4 steps (as a kill after a checkpoint), then resumed */
    c.threads = 1;
    c.checkpoint = b;
    c.stop_after = 4;
    NT_CHECKF(nr_train(&c, &rep) == NR_OK && rep.step == 4, "%s", nr_last_error());
    NT_CHECK(!same_file(a, b));
    c.stop_after = 0;
    c.resume = b;
    NT_CHECKF(nr_train(&c, &rep) == NR_OK && rep.step == 8, "%s", nr_last_error());
    NT_CHECK(same_file(a, b));
    /* another seed gives another run */
    c.resume = NULL;
    c.seed = 2;
    c.checkpoint = b;
    NT_CHECK(nr_train(&c, &rep) == NR_OK);
    NT_CHECK(!same_file(a, b));
    /* resuming with a different seed is refused */
    c.resume = a;
    NT_CHECK(nr_train(&c, &rep) == NR_ERR_ARG);
}

/* A checkpoint of a hidden-16 model at step 123, seed 7, with distinct values (malloc'd arrays). */
static nr_checkpoint small_checkpoint(void)
{
    nr_imp_hparams hp = nr_imp_hparams_default();
    hp.hidden = 16;
    int64_t nv = nr_imp_n_values(&hp, 0), nt = nr_imp_n_values(&hp, 1);
    float *p = calloc((size_t)nv, 4), *m = calloc((size_t)nt, 4), *v = calloc((size_t)nt, 4);
    for (int64_t i = 0; i < nv; i++) p[i] = (float)i * 0.001f;
    for (int64_t i = 0; i < nt; i++) m[i] = -(float)i, v[i] = (float)i * 1e-6f;
    return (nr_checkpoint){hp, 7, 123, nv, nt, p, m, v};
}

static void test_checkpoint_damage(void)
{
    nr_checkpoint ck = small_checkpoint();
    float *p = ck.params, *m = ck.m, *v = ck.v;
    const char *path = nt_tmp("d.ckpt");
    char keep[512];
    snprintf(keep, sizeof keep, "%s", path);
    NT_CHECK(nr_checkpoint_write(keep, &ck) == NR_OK);
    nr_checkpoint rd = ck;
    rd.step = 0;
    rd.seed = 0;
    memset(p, 0, (size_t)ck.n_values * 4);
    NT_CHECK(nr_checkpoint_read(keep, &rd) == NR_OK && rd.step == 123 && rd.seed == 7 && p[1000] == 1.0f);
    size_t n;
    char *bytes = nt_read_file(keep, &n);
    if (!bytes) return;
    bytes[n / 2] ^= 0x10;
    const char *bad = nt_tmp("bad.ckpt");
    nt_write_file(bad, bytes, n);
    NT_CHECK(nr_checkpoint_read(bad, &rd) == NR_ERR_FORMAT);
    bytes[n / 2] ^= 0x10;
    nt_write_file(bad, bytes, n - 10);
    NT_CHECK(nr_checkpoint_read(bad, &rd) == NR_ERR_FORMAT);
    nt_write_file(bad, "hello", 5);
    NT_CHECK(nr_checkpoint_read(bad, &rd) == NR_ERR_FORMAT);
    NT_CHECK(nr_checkpoint_read(nt_tmp("missing.ckpt"), &rd) == NR_ERR_IO);
    /* a run of another size */
    rd.hp.hidden = 24;
    NT_CHECK(nr_checkpoint_read(keep, &rd) == NR_ERR_SHAPE);
    free(bytes), free(p), free(m), free(v);
}

static uint64_t le64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | b[i];
    return v;
}

/* The file is the documented layout (magic, 20 header words, params, m, v, CRC-32 of all before), and
 * a write that fails half-way (the file-size limit fails write() as a full disk does) leaves the
 * previous checkpoint byte for byte, no temporary file, and a message naming the file. */
static void test_checkpoint_file(void)
{
    nr_checkpoint ck = small_checkpoint();
    float *p = ck.params, *m = ck.m, *v = ck.v;
    int64_t nv = ck.n_values, nt = ck.n_trainable;
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s", nt_tmp("ckdir"));
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    NT_CHECKF(nr_checkpoint_write(path, &ck) == NR_OK, "%s", nr_last_error());
    size_t n;
    unsigned char *b = (unsigned char *)nt_read_file(path, &n);
    const size_t head = 8 + 8 * 20;
    NT_CHECKF(b && n == head + 4 * (size_t)(nv + 2 * nt) + 4, "%zu bytes", n);
    if (b && n == head + 4 * (size_t)(nv + 2 * nt) + 4) {
        NT_CHECK(!memcmp(b, "NRIMPCK", 8) && le64(b + 8) == 1 && le64(b + 16) == 16);
        NT_CHECK(le64(b + 8 + 8 * 12) == 7 && le64(b + 8 + 8 * 13) == 123); /* seed, step */
        NT_CHECK(le64(b + 8 + 8 * 14) == (uint64_t)nv && le64(b + 8 + 8 * 15) == (uint64_t)nt);
        NT_CHECK(!memcmp(b + head, p, 4 * (size_t)nv) && !memcmp(b + head + 4 * nv, m, 4 * (size_t)nt) &&
                 !memcmp(b + head + 4 * (nv + nt), v, 4 * (size_t)nt));
        uint32_t crc = (uint32_t)b[n - 4] | (uint32_t)b[n - 3] << 8 | (uint32_t)b[n - 2] << 16 | (uint32_t)b[n - 1] << 24;
        NT_CHECK(crc == nr_crc32(b, n - 4));
    }
    /* the next one fails past 4 KiB: the step-123 file stays */
    ck.step = 456;
    p[0] = 42.0f;
    NT_WRITE_FAIL_BEGIN(path, 4096);
    nr_result r = nr_checkpoint_write(path, &ck);
    NT_WRITE_FAIL_END(r == NR_ERR_IO, nr_last_error(), dir);
    nr_checkpoint rd = ck;
    NT_CHECK(nr_checkpoint_read(path, &rd) == NR_OK && rd.step == 123 && p[0] == 0.0f);
    /* and a write that succeeds replaces it */
    ck.step = 789;
    NT_CHECK(nr_checkpoint_write(path, &ck) == NR_OK && nr_checkpoint_read(path, &rd) == NR_OK && rd.step == 789);
    NT_CHECK(nt_temp_files_left(dir) == 0);
    free(b), free(p), free(m), free(v);
}

static void test_bad_clips(void)
{
    int T = 10;
    long n = (long)T * NR_IMP_HOP;
    float *audio = calloc((size_t)n, 4), *desc = calloc((size_t)T * 7, 4);
    nr_train_clip c = {"x", audio, desc, T};
    NT_CHECK(nr_train_clip_problem(&c) && strstr(nr_train_clip_problem(&c), "silent"));
    for (long i = 0; i < n; i++) audio[i] = 0.1f * sinf(0.01f * i);
    NT_CHECK(nr_train_clip_problem(&c) == NULL);
    audio[77] = NAN;
    NT_CHECK(nr_train_clip_problem(&c) && strstr(nr_train_clip_problem(&c), "NaN"));
    audio[77] = 0;
    desc[5] = INFINITY;
    NT_CHECK(nr_train_clip_problem(&c) != NULL);
    desc[5] = 0;
    c.n_frames = 2;
    NT_CHECK(nr_train_clip_problem(&c) != NULL);
    free(audio), free(desc);
    /* a manifest that cannot be read is an error, not a crash */
    nr_train_config cf = tiny();
    cf.data = nt_tmp("no-such-manifest.json");
    nr_train_report rep;
    NT_CHECK(nr_train(&cf, &rep) != NR_OK && nr_last_error()[0]);
    cf.data = "synthetic:x";
    NT_CHECK(nr_train(&cf, &rep) == NR_ERR_ARG);
}

static void test_synthetic_curves(void)
{
    nr_train_data d;
    NT_CHECK(nr_train_data_synthetic(4, 50, 1, &d) == NR_OK);
    NT_CHECK(d.n_train == 3 && d.n_valid == 1);
    for (int i = 0; i < d.n_train; i++) {
        const nr_train_clip *c = &d.train[i];
        NT_CHECK(nr_train_clip_problem(c) == NULL);
        /* loudness decays, the curves are in range */
        NT_CHECK(c->desc[0] > c->desc[(size_t)(c->n_frames - 1) * 7]);
        for (int t = 0; t < c->n_frames; t++) {
            const float *x = c->desc + (size_t)t * 7;
            NT_CHECK(x[1] >= 0 && x[1] <= 1 && x[3] >= 0 && x[3] <= 1.0001f && x[5] >= 0 && x[5] <= 24000);
        }
    }
    nr_train_data_free(&d);
}

/* A small manifest on disk: good sounds load with analysed curves, a missing file, a silent file and
 * a too-short one are reported and skipped, the test split is never read. */
static void test_manifest_clips(void)
{
    const char *dir = nt_tmp("ds");
    char d[512], path[700];
    snprintf(d, sizeof d, "%s", dir);
    snprintf(path, sizeof path, "%s/audio", d);
    if (mkdir(d, 0755) != 0 || mkdir(path, 0755) != 0) {
        NT_CHECK(0);
        return;
    }
    nr_train_data syn;
    NT_CHECK(nr_train_data_synthetic(4, 60, 3, &syn) == NR_OK);
    nr_manifest m;
    memset(&m, 0, sizeof m);
    snprintf(m.dir, sizeof m.dir, "%s", d);
    const char *kinds[] = {"good", "good", "good", "silent", "missing", "short", "test"};
    for (int i = 0; i < 7; i++) {
        nr_ds_entry e;
        memset(&e, 0, sizeof e);
        snprintf(e.hash, sizeof e.hash, "%016x", 0x1000 + i);
        e.split = i == 6 ? NR_SPLIT_TEST : (i == 2 ? NR_SPLIT_VALID : NR_SPLIT_TRAIN);
        snprintf(e.cls, sizeof e.cls, "perc");
        snprintf(e.source, sizeof e.source, "test");
        snprintf(e.package, sizeof e.package, "-");
        snprintf(e.licence, sizeof e.licence, "CC0-1.0");
        snprintf(e.group, sizeof e.group, "g%d", i);
        snprintf(e.audio, sizeof e.audio, "audio/%s.wav", e.hash);
        snprintf(e.curves, sizeof e.curves, "-");
        snprintf(e.origin, sizeof e.origin, "%s", kinds[i]);
        e.rate = 48000;
        const nr_train_clip *c = &syn.train[i % 3];
        long n = (long)c->n_frames * NR_IMP_HOP;
        float *x = calloc((size_t)n, sizeof(float));
        if (strcmp(kinds[i], "silent")) memcpy(x, c->audio, (size_t)n * sizeof(float));
        if (!strcmp(kinds[i], "short")) n = 100;
        e.n_samples = n;
        e.duration = n / 48000.0;
        snprintf(path, sizeof path, "%s/%s", d, e.audio);
        if (strcmp(kinds[i], "missing")) NT_CHECK(nr_audio_write(path, x, n, 48000, NR_SAMPLE_FLOAT) == NR_OK);
        free(x);
        NT_CHECK(nr_manifest_add(&m, &e) == NR_OK);
    }
    snprintf(path, sizeof path, "%s/manifest.tsv", d);
    NT_CHECKF(nr_manifest_write(path, &m) == NR_OK, "%s", nr_last_error());
    nr_manifest_free(&m);
    nr_train_data data;
    nr_result r = nr_train_data_load(d, 50, 1, 0, &data);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r == NR_OK) {
        NT_CHECKF(data.n_train == 2 && data.n_valid == 1 && data.n_skipped == 3, "train %d valid %d skipped %d",
                  data.n_train, data.n_valid, data.n_skipped);
        for (int i = 0; i < data.n_train; i++) {
            const nr_train_clip *c = &data.train[i];
            NT_CHECK(c->n_frames == 50 && nr_train_clip_problem(c) == NULL);
            /* the analysed loudness of the start is close to the rms of the sound there */
            double e = 0;
            for (int k = 0; k < 2048; k++) e += (double)c->audio[k] * c->audio[k];
            NT_CHECKF(c->desc[0] > 0.2 * sqrt(e / 2048) && c->desc[0] < 5 * sqrt(e / 2048), "loudness %g vs rms %g",
                      c->desc[0], sqrt(e / 2048));
        }
        /* settled: the same clips, the pitch of the first frames alone changed, onto a pitch the later
         * frames agree with (yin's first frame is off on these sounds, which start at full level) */
        nr_train_data sd;
        NT_CHECK(nr_train_data_load(d, 50, 1, 1, &sd) == NR_OK);
        int changed = 0;
        for (int i = 0; i < data.n_train && i < sd.n_train; i++) {
            const nr_train_clip *a = &data.train[i], *b = &sd.train[i];
            for (int t = 0; t < a->n_frames && t < b->n_frames; t++)
                for (int k = 0; k < NR_NUM_DESC; k++) {
                    float x = a->desc[t * NR_NUM_DESC + k], y = b->desc[t * NR_NUM_DESC + k];
                    if (x == y) continue;
                    changed++;
                    NT_CHECKF(k == NR_DESC_PITCH && t < 15, "clip %d frame %d column %d: %g -> %g", i, t, k, x, y);
                }
            float p0 = b->desc[NR_DESC_PITCH], p20 = b->desc[20 * NR_NUM_DESC + NR_DESC_PITCH];
            printf("  clip %d: pitch at 0 and 200 ms, raw %g / %g Hz, settled %g / %g Hz\n", i, a->desc[NR_DESC_PITCH],
                   a->desc[20 * NR_NUM_DESC + NR_DESC_PITCH], p0, p20);
        }
        NT_CHECKF(changed > 0, "settling changed no frame of these clips");
        nr_train_data_free(&sd);
        nr_train_data_free(&data);
    }
    nr_train_data_free(&syn);
}

static void test_export(void)
{
    char ck[512];
    snprintf(ck, sizeof ck, "%s", nt_tmp("export.ckpt"));
    nr_train_config c = tiny();
    c.steps = 3;
    c.threads = 1;
    c.checkpoint = ck;
    nr_train_report rep;
    NT_CHECKF(nr_train(&c, &rep) == NR_OK, "%s", nr_last_error());
    nt_write_file(nt_tmp("junk.ckpt"), "NRIMPCK", 7);
    long step = 0;
    NT_CHECK(nr_train_export(nt_tmp("junk.ckpt"), nt_tmp("junk.safetensors"), &step) == NR_ERR_FORMAT);
    char out[512];
    snprintf(out, sizeof out, "%s", nt_tmp("export.safetensors"));
    nr_result r = nr_train_export(ck, out, &step);
    NT_CHECKF(r == NR_OK && step == 3, "%s", nr_last_error());
    nr_model *m = NULL;
    NT_CHECKF(nr_model_load(out, &m) == NR_OK, "%s", nr_last_error());
    if (m) {
        nr_model_info info;
        nr_model_get_info(m, &info);
        NT_CHECK(!strcmp(info.arch, "nr-impact-1") && info.sample_rate == 48000);
    }
    nr_model_free(m);
}

int main(void)
{
    NT_RUN(test_tiny_run_lowers_loss);
    NT_RUN(test_reproducible_and_resumable);
    NT_RUN(test_checkpoint_damage);
    NT_RUN(test_checkpoint_file);
    NT_RUN(test_bad_clips);
    NT_RUN(test_synthetic_curves);
    NT_RUN(test_manifest_clips);
    NT_RUN(test_export);
    return nt_end();
}
