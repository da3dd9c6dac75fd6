/* Model files: the .th reader (zip + pickle VM), safetensors, the generic model layer, convert/info.
 * `test_formats --write-corpus DIR` writes the fuzz seed corpora (DIR/th, DIR/safetensors). */
#include "neurorack.h"
#include "nr_test.h"
#include "th_build.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <zip.h>

static const char *const TH_REL = "models/neurorack-nsf/model_nsf_sinc_ema_impacts_waveform_5.0.th";

/* A failure must carry the expected code and a message naming the file. */
#define EXPECT_FAIL(r, code, file)                                                                           \
    NT_CHECKF((r) == (code) && strstr(nr_last_error(), (file)) && !strchr(nr_last_error(), '\n'),            \
              "got %s (%d), expected %s: '%s'", nr_result_str(r), (int)(r), nr_result_str(code), nr_last_error())

static int meta_is(const nr_tensor_set *s, const char *key, const char *value)
{
    const char *v = nr_tensor_set_meta(s, key);
    return v && !strcmp(v, value);
}

static int meta_num(const nr_tensor_set *s, const char *key, double value)
{
    const char *v = nr_tensor_set_meta(s, key);
    return v && strtod(v, NULL) == value;
}

/* ---------- the tiny generated .th ---------- */

static void check_tiny(const nr_tensor_set *s)
{
    NT_CHECKF(s->n_tensors == 3, "%d tensors", s->n_tensors);
    if (s->n_tensors != 3) return;
    NT_CHECK(!strcmp(s->tensors[0].name, "w") && !strcmp(s->tensors[1].name, "b") &&
             !strcmp(s->tensors[2].name, "sub.t"));
    const nr_tensor *w = nr_tensor_set_find(s, "w"), *b = nr_tensor_set_find(s, "b"), *t = nr_tensor_set_find(s, "sub.t");
    NT_CHECK(w && w->ndim == 2 && w->shape[0] == 2 && w->shape[1] == 3);
    for (int i = 0; w && i < 6; i++) NT_CHECK(w->data[i] == (float)(1 + i));
    NT_CHECK(b && b->ndim == 1 && b->shape[0] == 3 && b->data[0] == 11 && b->data[2] == 13); /* offset 1 */
    /* (3,2) view with strides (1,3) of storage 20..25: t[i][j] = 20 + i + 3j */
    NT_CHECK(t && t->ndim == 2 && t->shape[0] == 3 && t->shape[1] == 2);
    for (int i = 0; t && i < 3; i++)
        for (int j = 0; j < 2; j++) NT_CHECK(t->data[i * 2 + j] == (float)(20 + i + 3 * j));
    NT_CHECK(!nr_tensor_set_find(s, "nb")); /* non-persistent buffer */
    NT_CHECK(meta_is(s, "__class__", "test.tiny.Tiny"));
    NT_CHECK(meta_is(s, "training", "False"));
    NT_CHECK(meta_is(s, "flag", "True"));
    NT_CHECK(meta_is(s, "n_int", "22050"));
    NT_CHECK(meta_is(s, "n_neg", "-5"));
    NT_CHECK(meta_is(s, "rate", "0.1"));
    NT_CHECK(meta_is(s, "name", "hello"));
    NT_CHECK(meta_is(s, "pad", "200")); /* numpy int64 through _codecs.encode latin1 */
    NT_CHECK(meta_is(s, "sub.__class__", "test.tiny.Sub"));
    NT_CHECK(meta_is(s, "sub.gain", "2.5"));
    NT_CHECK(!nr_tensor_set_meta(s, "kernel") && !nr_tensor_set_meta(s, "none.__class__"));
}

static void test_tiny_th(void)
{
    tb_buf z = {0};
    tb_tiny_th(&z);
    nr_tensor_set s;
    nr_result r = nr_th_read_mem(z.p, z.n, "tiny.th", &s);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r == NR_OK) check_tiny(&s);
    nr_tensor_set_free(&s);
    const char *path = nt_tmp("tiny.th");
    NT_CHECK(nt_write_file(path, z.p, z.n) == 0);
    r = nr_th_read(path, &s);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r == NR_OK) check_tiny(&s);
    nr_tensor_set_free(&s);
    free(z.p);

    /* newer torch names the archive folder after the file: any "<prefix>/data.pkl" */
    tb_buf p = {0};
    tb_tiny_pickle(&p);
    float st[3][8];
    int cnt[3];
    for (int k = 0; k < 3; k++) tb_tiny_storage(k, st[k], &cnt[k]);
    const char *names[4] = {"my_model/data/0", "my_model/data/1", "my_model/data/2", "my_model/data.pkl"};
    const unsigned char *data[4] = {(const unsigned char *)st[0], (const unsigned char *)st[1],
                                    (const unsigned char *)st[2], p.p};
    size_t lens[4] = {24, 16, 24, p.n};
    memset(&z, 0, sizeof z);
    tb_zip(&z, 4, names, data, lens);
    r = nr_th_read_mem(z.p, z.n, "prefix.th", &s);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r == NR_OK) check_tiny(&s);
    nr_tensor_set_free(&s);
    free(z.p);
    free(p.p);
}

/* A pickle whose root module holds one parameter "w". */
static void one_tensor_pickle(tb_buf *b, const char *key, long numel, long offset, int nd, const long *size,
                              const long *stride)
{
    tb_u8(b, 0x80);
    tb_u8(b, 2);
    pw_global(b, "collections", "OrderedDict");
    tb_u8(b, 'q');
    tb_u8(b, 0);
    pw_op(b, '0');
    pw_global(b, "test.tiny", "One");
    pw_op(b, ')');
    tb_u8(b, 0x81);
    pw_op(b, '}');
    pw_str(b, "_parameters");
    pw_odict(b);
    pw_str(b, "w");
    pw_tensor(b, key, numel, offset, nd, size, stride);
    pw_op(b, 's');
    pw_op(b, 's');
    pw_op(b, 'b');
    pw_op(b, '.');
}

static nr_result read_pickle(const tb_buf *p, nr_tensor_set *s)
{
    tb_buf z = {0};
    tb_th_with_pickle(&z, p->p, p->n);
    nr_result r = nr_th_read_mem(z.p, z.n, "case.th", s);
    free(z.p);
    return r;
}

static nr_result read_one(const char *key, long numel, long offset, int nd, const long *size, const long *stride)
{
    tb_buf p = {0};
    one_tensor_pickle(&p, key, numel, offset, nd, size, stride);
    nr_tensor_set s;
    nr_result r = read_pickle(&p, &s);
    nr_tensor_set_free(&s);
    free(p.p);
    return r;
}

/* Replace the first occurrence of `from` by `to` (lengths may differ). */
static int replace(tb_buf *b, const char *from, const char *to)
{
    size_t nf = strlen(from), nt = strlen(to);
    for (size_t i = 0; i + nf <= b->n; i++) {
        if (!memcmp(b->p + i, from, nf)) {
            tb_buf o = {0};
            tb_put(&o, b->p, i);
            tb_put(&o, to, nt);
            tb_put(&o, b->p + i + nf, b->n - i - nf);
            free(b->p);
            *b = o;
            return 1;
        }
    }
    return 0;
}

static void test_tiny_th_errors(void)
{
    nr_tensor_set s;
    nr_result r;
    static const long s23[2] = {2, 3}, st31[2] = {3, 1}, s43[2] = {4, 3}, st01[2] = {0, 1};
    static const long s5[5] = {1, 1, 1, 2, 3}, st5[5] = {6, 6, 6, 3, 1};

    r = read_one("0", 6, 0, 2, s23, st31);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    r = read_one("0", 6, 1, 2, s23, st31); /* one float past the end */
    EXPECT_FAIL(r, NR_ERR_FORMAT, "case.th");
    NT_CHECK(strstr(nr_last_error(), "'w'") != NULL);
    r = read_one("0", 7, 0, 2, s23, st31); /* declared numel does not match the stored bytes */
    EXPECT_FAIL(r, NR_ERR_FORMAT, "archive/data/0");
    r = read_one("9", 6, 0, 2, s23, st31); /* no such storage entry */
    EXPECT_FAIL(r, NR_ERR_FORMAT, "archive/data/9");
    r = read_one("0", 6, 0, 2, s43, st01); /* 12 values from 6: an expanded view */
    EXPECT_FAIL(r, NR_ERR_UNSUPPORTED, "case.th");
    r = read_one("0", 6, 0, 5, s5, st5);
    EXPECT_FAIL(r, NR_ERR_SHAPE, "case.th");
    r = read_one("../x", 6, 0, 2, s23, st31); /* storage keys are plain names */
    EXPECT_FAIL(r, NR_ERR_FORMAT, "case.th");

    tb_buf p = {0};
    tb_tiny_pickle(&p);
    NT_CHECK(replace(&p, "torch\nFloatStorage\n", "torch\nDoubleStorage\n"));
    r = read_pickle(&p, &s);
    EXPECT_FAIL(r, NR_ERR_UNSUPPORTED, "case.th");
    NT_CHECK(strstr(nr_last_error(), "torch.DoubleStorage") != NULL);
    free(p.p);

    /* every truncation of the pickle fails cleanly */
    memset(&p, 0, sizeof p);
    tb_tiny_pickle(&p);
    int bad = 0;
    for (size_t cut = 0; cut < p.n; cut += 7) {
        tb_buf q = {0};
        tb_put(&q, p.p, cut);
        r = read_pickle(&q, &s);
        nr_tensor_set_free(&s);
        if (r != NR_ERR_FORMAT || !strstr(nr_last_error(), "case.th")) bad++;
        free(q.p);
    }
    NT_CHECKF(bad == 0, "%d truncations not reported as format errors", bad);
    /* a flipped opcode */
    p.p[2] = 0xff;
    r = read_pickle(&p, &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "archive/data.pkl");
    NT_CHECK(strstr(nr_last_error(), "opcode 0xff") != NULL);
    free(p.p);

    /* a root that is not a module, a root that is a state_dict */
    memset(&p, 0, sizeof p);
    tb_u8(&p, 0x80), tb_u8(&p, 2), pw_int(&p, 5), pw_op(&p, '.');
    r = read_pickle(&p, &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "case.th");
    free(p.p);
    memset(&p, 0, sizeof p);
    tb_u8(&p, 0x80), tb_u8(&p, 2);
    pw_global(&p, "collections", "OrderedDict"), tb_u8(&p, 'q'), tb_u8(&p, 0);
    pw_op(&p, ')'), pw_op(&p, 'R'), pw_str(&p, "layer.w");
    pw_tensor(&p, "0", 6, 0, 2, s23, st31);
    pw_op(&p, 's'), pw_op(&p, '.');
    r = read_pickle(&p, &s);
    NT_CHECKF(r == NR_OK && s.n_tensors == 1 && nr_tensor_set_find(&s, "layer.w"), "%s", nr_last_error());
    nr_tensor_set_free(&s);
    free(p.p);

    /* numpy.dtype with a type string it does not take: an empty one (the fuzzer's input read a byte past
     * it), a kind alone, an unknown kind, a size too long; the file's name and the string in the message */
    static const char *const dtypes[] = {"", "i", "x8", "f16", "i88"};
    for (int k = 0; k < 5; k++) {
        memset(&p, 0, sizeof p);
        tb_u8(&p, 0x80), tb_u8(&p, 2);
        pw_global(&p, "numpy", "dtype"), pw_str(&p, dtypes[k]), tb_u8(&p, 0x85), pw_op(&p, 'R'), pw_op(&p, '.');
        r = read_pickle(&p, &s);
        NT_CHECKF(r == NR_ERR_UNSUPPORTED && strstr(nr_last_error(), "case.th") &&
                      strstr(nr_last_error(), "unsupported numpy dtype"),
                  "dtype '%s': %d %s", dtypes[k], (int)r, nr_last_error());
        free(p.p);
    }

    /* not a zip, empty, a zip without data.pkl, a legacy (pre-1.6) file, a bad CRC */
    r = nr_th_read_mem("this is not a zip archive", 25, "text.th", &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "text.th");
    r = nr_th_read_mem("", 0, "empty.th", &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "empty.th");
    tb_buf z = {0};
    const char *names[1] = {"archive/other"};
    const unsigned char *data[1] = {(const unsigned char *)"x"};
    size_t lens[1] = {1};
    tb_zip(&z, 1, names, data, lens);
    r = nr_th_read_mem(z.p, z.n, "nopkl.th", &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "nopkl.th");
    free(z.p);
    static const unsigned char legacy[16] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8};
    r = nr_th_read_mem(legacy, sizeof legacy, "old.th", &s);
    EXPECT_FAIL(r, NR_ERR_UNSUPPORTED, "old.th");
    memset(&z, 0, sizeof z);
    tb_tiny_th(&z);
    z.p[60] ^= 0x01; /* inside the stored pickle: CRC mismatch */
    r = nr_th_read_mem(z.p, z.n, "crc.th", &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "crc.th");
    r = nr_th_read(nt_tmp("missing.th"), &s);
    EXPECT_FAIL(r, NR_ERR_IO, "missing.th");
    free(z.p);
}

/* ---------- the original weights ---------- */

typedef struct {
    char name[96];
    int ndim;
    int64_t shape[3];
} expect_t;

/* The parameter list of docs/original-neurorack.md, in state_dict order. */
static int expected_tensors(expect_t *e)
{
    int n = 0;
#define ADD(nm, nd, a, b, c) (snprintf(e[n].name, sizeof e[n].name, "%s", nm), e[n].ndim = nd, e[n].shape[0] = a, \
                              e[n].shape[1] = b, e[n].shape[2] = c, n++)
    ADD("input_mean", 1, 7, 0, 0);
    ADD("input_std", 1, 7, 0, 0);
    ADD("output_mean", 2, 1, 1, 0);
    ADD("output_std", 2, 1, 1, 0);
    char nm[96];
    for (int i = 0; i < 3; i++) {
        snprintf(nm, sizeof nm, "m_cond.l_conv1ds.%d.weight", i);
        ADD(nm, 3, 64, i ? 64 : 7, 3);
        snprintf(nm, sizeof nm, "m_cond.l_conv1ds.%d.bias", i);
        ADD(nm, 1, 64, 0, 0);
    }
    ADD("m_cond.l_upsamp.l_ave1.weight", 3, 64, 1, 512);
    ADD("m_cond.l_upsamp.l_ave2.weight", 3, 64, 1, 512);
    ADD("m_cond.l_upsamp_f0_hi.l_ave1.weight", 3, 1, 1, 512);
    ADD("m_cond.l_upsamp_f0_hi.l_ave2.weight", 3, 1, 1, 512);
    ADD("m_cond.l_cut_f_smooth.weight", 3, 1, 1, 2048);
    ADD("m_source.l_linear.weight", 2, 1, 17, 0);
    ADD("m_source.l_linear.bias", 1, 1, 0, 0);
    for (int blk = 0; blk < 6; blk++) {
        char pre[64];
        if (blk < 5) snprintf(pre, sizeof pre, "m_filter.l_har_blocks.%d", blk);
        else snprintf(pre, sizeof pre, "m_filter.l_noi_blocks.0");
        snprintf(nm, sizeof nm, "%s.scale", pre);
        ADD(nm, 1, 1, 0, 0);
        snprintf(nm, sizeof nm, "%s.l_ff_1.weight", pre);
        ADD(nm, 2, 64, 1, 0);
        for (int k = 0; k < (blk < 5 ? 10 : 5); k++) {
            snprintf(nm, sizeof nm, "%s.l_convs.%d.weight", pre, k);
            ADD(nm, 3, 64, 64, 3);
        }
        snprintf(nm, sizeof nm, "%s.l_ff_2.weight", pre);
        ADD(nm, 2, 16, 64, 0);
        snprintf(nm, sizeof nm, "%s.l_ff_3.weight", pre);
        ADD(nm, 2, 1, 16, 0);
    }
#undef ADD
    return n;
}

static void check_real(const nr_tensor_set *s)
{
    static expect_t e[128];
    int n = expected_tensors(e);
    NT_CHECKF(s->n_tensors == n, "%d tensors, expected %d", s->n_tensors, n);
    int64_t total = 0;
    for (int i = 0; i < s->n_tensors; i++) total += s->tensors[i].numel;
    NT_CHECKF(total == 777224, "%lld values", (long long)total);
    for (int i = 0; i < n; i++) {
        const nr_tensor *t = nr_tensor_set_find(s, e[i].name);
        NT_CHECKF(t != NULL, "missing %s", e[i].name);
        if (!t) continue;
        NT_CHECKF(i < s->n_tensors && t == &s->tensors[i], "%s out of state_dict order", e[i].name);
        int ok = t->ndim == e[i].ndim;
        for (int d = 0; ok && d < t->ndim; d++) ok = t->shape[d] == e[i].shape[d];
        NT_CHECKF(ok, "%s has the wrong shape", e[i].name);
    }
    /* The doc's rounded input_mean: each value within half a unit of its last digit. */
    static const double mean[7] = {0.0935, 0.0408, 1693.7, 0.1208, 1075.3, 877.8, 1241.0};
    static const double tol[7] = {5e-5, 5e-5, 0.05, 5e-5, 0.05, 0.05, 0.05};
    const nr_tensor *m = nr_tensor_set_find(s, "input_mean");
    for (int i = 0; m && i < 7; i++)
        NT_CHECKF(fabs(m->data[i] - mean[i]) <= tol[i] * 1.0001, "input_mean[%d] = %.6g", i, m->data[i]);
    NT_CHECK(meta_is(s, "__class__", "models.nsf.sinc_nsf.Model"));
    NT_CHECK(meta_is(s, "m_source.l_sin_gen.__class__", "models.nsf.sinc_nsf.SineGen"));
    NT_CHECK(meta_is(s, "sampling_rate", "22050") && meta_is(s, "m_source.l_sin_gen.sampling_rate", "22050"));
    NT_CHECK(meta_is(s, "harmonic_num", "16") && meta_is(s, "sinc_order", "31"));
    NT_CHECK(meta_is(s, "upsamp_rate", "512") && meta_is(s, "hidden_dim", "64"));
    NT_CHECK(meta_is(s, "filter_block_num", "5") && meta_is(s, "cnn_num_in_block", "10"));
    NT_CHECK(meta_num(s, "sine_amp", 0.1) && meta_is(s, "m_source.l_sin_gen.sine_amp", "0.1"));
    NT_CHECK(meta_num(s, "noise_std", 0.003));
    NT_CHECK(meta_is(s, "m_cond.l_upsamp.l_ave1.pad_mode", "replicate"));
    NT_CHECK(meta_is(s, "m_cond.l_upsamp.l_ave1.pad_le", "255")); /* a numpy int64 */
    NT_CHECK(meta_is(s, "m_cond.cut_f_smooth", "2048"));
}

static unsigned char *real_bytes(size_t *n)
{
    const char *path = nt_shared(TH_REL);
    return path ? (unsigned char *)nt_read_file(path, n) : NULL;
}

static void test_real_th(void)
{
    const char *path = nt_shared(TH_REL);
    if (!path) {
        nt_skip("../shared absent: no original weights");
        return;
    }
    nr_tensor_set s, m;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    nr_result r = nr_th_read(path, &s);
    clock_gettime(CLOCK_MONOTONIC, &b);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    printf("  .th read in %.1f ms (%d tensors, %d metadata)\n",
           (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6, s.n_tensors, s.n_meta);
    if (r == NR_OK) check_real(&s);
    size_t n;
    unsigned char *bytes = real_bytes(&n);
    NT_CHECK(bytes != NULL);
    r = nr_th_read_mem(bytes, n, "mem.th", &m);
    NT_CHECKF(r == NR_OK && m.n_tensors == s.n_tensors && m.n_meta == s.n_meta, "%s", nr_last_error());
    for (int i = 0; r == NR_OK && i < s.n_tensors; i++)
        NT_CHECK(!memcmp(s.tensors[i].data, m.tensors[i].data, (size_t)s.tensors[i].numel * 4));
    nr_tensor_set_free(&m);

    /* th -> safetensors -> identical tensors and metadata (the readers alone) */
    const char *st = nt_tmp("real.safetensors");
    NT_CHECKF(nr_safetensors_write(st, &s) == NR_OK, "%s", nr_last_error());
    r = nr_safetensors_read(st, &m);
    NT_CHECKF(r == NR_OK && m.n_tensors == s.n_tensors && m.n_meta == s.n_meta, "%s", nr_last_error());
    for (int i = 0; r == NR_OK && i < s.n_tensors; i++) {
        NT_CHECK(!strcmp(s.tensors[i].name, m.tensors[i].name) && s.tensors[i].ndim == m.tensors[i].ndim);
        NT_CHECK(!memcmp(s.tensors[i].data, m.tensors[i].data, (size_t)s.tensors[i].numel * 4));
    }
    for (int i = 0; r == NR_OK && i < s.n_meta; i++) NT_CHECK(meta_is(&m, s.meta[i].key, s.meta[i].value));
    nr_tensor_set_free(&m);
    nr_tensor_set_free(&s);
    free(bytes);
}

/* Every entry of the real archive, to write modified copies. */
typedef struct {
    int n;
    char *names[256];
    unsigned char *data[256];
    size_t lens[256];
} entries_t;

static int read_entries(const unsigned char *bytes, size_t n, entries_t *e)
{
    memset(e, 0, sizeof *e);
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t *src = zip_source_buffer_create(bytes, n, 0, &err);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY, &err) : NULL;
    zip_error_fini(&err);
    if (!za) {
        zip_source_free(src);
        return 0;
    }
    zip_int64_t k = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < k && i < 256; i++) {
        zip_stat_t st;
        zip_file_t *f;
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0 || !(f = zip_fopen_index(za, (zip_uint64_t)i, 0))) break;
        e->names[e->n] = strdup(st.name);
        e->data[e->n] = malloc(st.size + 1);
        e->lens[e->n] = (size_t)zip_fread(f, e->data[e->n], st.size);
        zip_fclose(f);
        e->n++;
    }
    zip_discard(za);
    return e->n == k;
}

static void free_entries(entries_t *e)
{
    for (int i = 0; i < e->n; i++) {
        free(e->names[i]);
        free(e->data[i]);
    }
}

static int find_entry(const entries_t *e, const char *name)
{
    for (int i = 0; i < e->n; i++)
        if (!strcmp(e->names[i], name)) return i;
    return -1;
}

static const char *write_entries(const entries_t *e, const char *file)
{
    tb_buf z = {0};
    tb_zip(&z, e->n, (const char *const *)e->names, (const unsigned char *const *)e->data, e->lens);
    const char *path = nt_tmp(file);
    int ok = nt_write_file(path, z.p, z.n) == 0;
    free(z.p);
    return ok ? path : "(unwritten)";
}

/* The archive entry holding a tensor's storage: the one whose bytes are the tensor's values. */
static int storage_entry_of(const entries_t *e, const nr_tensor *t)
{
    int found = -1;
    for (int i = 0; i < e->n; i++)
        if (e->lens[i] == (size_t)t->numel * 4 && !memcmp(e->data[i], t->data, e->lens[i]) &&
            strstr(e->names[i], "/data/"))
            found = found < 0 ? i : -2; /* must be unique */
    return found;
}

static void test_real_th_corrupt(void)
{
    size_t n;
    unsigned char *bytes = real_bytes(&n);
    if (!bytes) {
        nt_skip("../shared absent: no original weights");
        return;
    }
    nr_tensor_set s;
    nr_result r;
    nr_model *m;
    /* truncated at several points */
    const size_t cuts[] = {0, 10, 100, n / 3, n / 2, n - 100, n - 22, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        const char *path = nt_tmp("cut.th");
        nt_write_file(path, bytes, cuts[i]);
        r = nr_th_read(path, &s);
        EXPECT_FAIL(r, NR_ERR_FORMAT, "cut.th");
        r = nr_model_load(path, &m);
        EXPECT_FAIL(r, NR_ERR_FORMAT, "cut.th");
    }
    /* a byte flipped inside the stored pickle: the zip CRC catches it */
    unsigned char *flip = malloc(n);
    memcpy(flip, bytes, n);
    flip[200] ^= 0x20;
    nt_write_file(nt_tmp("flip.th"), flip, n);
    r = nr_th_read(nt_tmp("flip.th"), &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "flip.th");
    free(flip);
    /* not a zip, empty */
    nt_write_file(nt_tmp("text.th"), "hello, I am not a model\n", 24);
    r = nr_th_read(nt_tmp("text.th"), &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "text.th");
    r = nr_model_load(nt_tmp("text.th"), &m);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "text.th");
    nt_write_file(nt_tmp("empty.th"), "", 0);
    r = nr_th_read(nt_tmp("empty.th"), &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "empty.th");
    r = nr_model_load(nt_tmp("empty.th"), &m);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "empty.th");

    /* modified archives with valid CRCs */
    entries_t e;
    NT_CHECK(read_entries(bytes, n, &e));
    int pk = find_entry(&e, "archive/data.pkl");
    NT_CHECK(pk >= 0);
    if (pk < 0) goto done;
    const char *path = write_entries(&e, "copy.th"); /* the unmodified rewrite reads back */
    r = nr_th_read(path, &s);
    NT_CHECKF(r == NR_OK && s.n_tensors == 96, "%s", nr_last_error());
    nr_tensor_set_free(&s);

    r = nr_th_read(path, &s);
    const nr_tensor *in_std = r == NR_OK ? nr_tensor_set_find(&s, "input_std") : NULL;
    int st = in_std ? storage_entry_of(&e, in_std) : -1;
    nr_tensor_set_free(&s);
    NT_CHECK(st >= 0);
    if (st >= 0) {
        const char *key = e.names[st];
        size_t keep = e.lens[st];
        e.lens[st] = 12; /* storage cut short */
        r = nr_th_read(write_entries(&e, "short.th"), &s);
        EXPECT_FAIL(r, NR_ERR_FORMAT, "short.th");
        NT_CHECK(strstr(nr_last_error(), key) != NULL);
        e.lens[st] = keep;
        float nan = NAN, old; /* NaN in a weight: the generic check names the tensor */
        memcpy(&old, e.data[st] + 8, 4);
        memcpy(e.data[st] + 8, &nan, 4);
        path = write_entries(&e, "nan.th");
        r = nr_th_read(path, &s);
        NT_CHECKF(r == NR_OK, "%s", nr_last_error());
        nr_tensor_set_free(&s);
        r = nr_model_load(path, &m);
        EXPECT_FAIL(r, NR_ERR_VALUE, "nan.th");
        NT_CHECK(strstr(nr_last_error(), "input_std") != NULL);
        memcpy(e.data[st] + 8, &old, 4);
    }
    /* a flipped opcode, an unsupported storage type, an unknown root class */
    unsigned char keep0 = e.data[pk][2];
    e.data[pk][2] = 0xfe;
    r = nr_th_read(write_entries(&e, "opcode.th"), &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "opcode.th");
    e.data[pk][2] = keep0;
    tb_buf p = {0};
    tb_put(&p, e.data[pk], e.lens[pk]);
    unsigned char *orig = e.data[pk];
    size_t orig_len = e.lens[pk];
    NT_CHECK(replace(&p, "torch\nFloatStorage\n", "torch\nHalfStorage\n"));
    e.data[pk] = p.p;
    e.lens[pk] = p.n;
    r = nr_th_read(write_entries(&e, "half.th"), &s);
    EXPECT_FAIL(r, NR_ERR_UNSUPPORTED, "half.th");
    NT_CHECK(strstr(nr_last_error(), "torch.HalfStorage") != NULL);
    free(p.p);
    memset(&p, 0, sizeof p);
    tb_put(&p, orig, orig_len);
    NT_CHECK(replace(&p, "models.nsf.sinc_nsf\nModel\n", "models.nsf.sinc_nsf\nMystery\n"));
    e.data[pk] = p.p;
    e.lens[pk] = p.n;
    path = write_entries(&e, "mystery.th");
    r = nr_th_read(path, &s);
    NT_CHECKF(r == NR_OK && meta_is(&s, "__class__", "models.nsf.sinc_nsf.Mystery"), "%s", nr_last_error());
    nr_tensor_set_free(&s);
    r = nr_model_load(path, &m);
    NT_CHECKF((r == NR_ERR_UNSUPPORTED || r == NR_ERR_FORMAT) && strstr(nr_last_error(), "mystery.th"), "%s",
              nr_last_error());
    if (r == NR_OK) nr_model_free(m);
    free(p.p);
    e.data[pk] = orig;
    e.lens[pk] = orig_len;
done:
    free_entries(&e);
    free(bytes);
}

/* ---------- safetensors ---------- */

static void small_set(nr_tensor_set *s)
{
    memset(s, 0, sizeof *s);
    int64_t a[2] = {2, 3}, b[1] = {4}, z[1] = {0};
    float da[6] = {1, -2, 3.5f, 1e-30f, 6, 7}, db[4] = {0.25f, 0.5f, 0.75f, 1};
    float scalar = 42;
    nr_tensor_set_add(s, "layer.weight", 2, a, da);
    nr_tensor_set_add(s, "layer.bias", 1, b, db);
    nr_tensor_set_add(s, "empty", 1, z, NULL);
    nr_tensor_set_add(s, "gain", 0, NULL, &scalar);
    nr_tensor_set_set_meta(s, "nr.format", "neurorack-model");
    nr_tensor_set_set_meta(s, "note", "quotes \" and \\ and \xc3\xa9");
}

static int same_sets(const nr_tensor_set *a, const nr_tensor_set *b)
{
    if (a->n_tensors != b->n_tensors || a->n_meta != b->n_meta) return 0;
    for (int i = 0; i < a->n_tensors; i++) {
        const nr_tensor *x = &a->tensors[i], *y = &b->tensors[i];
        if (strcmp(x->name, y->name) || x->ndim != y->ndim || x->numel != y->numel) return 0;
        for (int d = 0; d < x->ndim; d++)
            if (x->shape[d] != y->shape[d]) return 0;
        if (x->numel && memcmp(x->data, y->data, (size_t)x->numel * 4)) return 0;
    }
    for (int i = 0; i < a->n_meta; i++)
        if (!meta_is(b, a->meta[i].key, a->meta[i].value)) return 0;
    return 1;
}

static void test_safetensors_roundtrip(void)
{
    nr_tensor_set s, r;
    small_set(&s);
    const char *path = nt_tmp("small.safetensors");
    NT_CHECKF(nr_safetensors_write(path, &s) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(nr_safetensors_write(path, &s) == NR_OK, "%s", nr_last_error()); /* replaces atomically */
    NT_CHECKF(nr_safetensors_read(path, &r) == NR_OK, "%s", nr_last_error());
    NT_CHECK(same_sets(&s, &r));
    nr_tensor_set_free(&r);
    size_t n;
    unsigned char *b = (unsigned char *)nt_read_file(path, &n);
    NT_CHECK(b && n > 8);
    if (b) {
        uint64_t h = 0;
        for (int i = 7; i >= 0; i--) h = h << 8 | b[i];
        NT_CHECKF((8 + h) % 8 == 0 && b[8] == '{' && h < n, "header %llu", (unsigned long long)h);
        NT_CHECK(n == 8 + h + (6 + 4 + 0 + 1) * 4);
        size_t end = 8 + (size_t)h;
        while (end > 8 && b[end - 1] == ' ') end--;
        NT_CHECK(b[end - 1] == '}'); /* padding is spaces after the JSON */
        NT_CHECK(nr_safetensors_read_mem(b, n, "mem", &r) == NR_OK && same_sets(&s, &r));
        nr_tensor_set_free(&r);
    }
    free(b);
    NT_CHECK(nt_temp_files_left(nt_tmpdir()) == 0);
    /* A write that fails half-way (the file-size limit fails write() as a full disk does) leaves the
     * previous file, no temporary file, and a message naming the file. */
    s.tensors[0].data[0] += 1.0f;
    NT_WRITE_FAIL_BEGIN(path, 100);
    nr_result res = nr_safetensors_write(path, &s);
    NT_WRITE_FAIL_END(res == NR_ERR_IO, nr_last_error(), nt_tmpdir());
    NT_CHECK(nr_safetensors_write("/nonexistent-dir/x.safetensors", &s) == NR_ERR_IO &&
             strstr(nr_last_error(), "/nonexistent-dir/x.safetensors"));
    nr_tensor_set_free(&s);
}

/* A safetensors file from a header text and a data section. */
static nr_result st_try(const char *json, size_t dlen, const char *what)
{
    tb_buf b = {0};
    size_t h = strlen(json);
    tb_le(&b, h, 8);
    tb_put(&b, json, h);
    for (size_t i = 0; i < dlen; i++) tb_u8(&b, 0);
    nr_tensor_set s;
    nr_result r = nr_safetensors_read_mem(b.p, b.n, what, &s);
    nr_tensor_set_free(&s);
    free(b.p);
    return r;
}

static void test_safetensors_corrupt(void)
{
    nr_result r;
    r = st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "ok.st");
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    r = st_try("{\"__metadata__\":{\"k\":\"v\"}}", 0, "meta-only.st");
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    r = st_try("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "f16.st");
    EXPECT_FAIL(r, NR_ERR_UNSUPPORTED, "f16.st");
    NT_CHECK(strstr(nr_last_error(), "'a'") && strstr(nr_last_error(), "F16"));
    r = st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "short.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "short.st");
    r = st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "shape.st");
    EXPECT_FAIL(r, NR_ERR_SHAPE, "shape.st");
    r = st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
               12, "overlap.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "overlap.st");
    r = st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "gap.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "gap.st");
    r = st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "trailing.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "trailing.st");
    r = st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,2],\"data_offsets\":[0,8]}}", 8, "dims.st");
    EXPECT_FAIL(r, NR_ERR_SHAPE, "dims.st");
    r = st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "neg.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "neg.st");
    r = st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "rev.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "rev.st");
    r = st_try("{\"__metadata__\":{\"k\":3}}", 0, "metanum.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "metanum.st");
    r = st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 0, "nooffsets.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "nooffsets.st");
    r = st_try("{\"a\": 1", 0, "json.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "json.st");
    r = st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}} x", 0, "junk.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "junk.st");
    r = st_try("[1,2]", 0, "array.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "array.st");
    /* a NUL inside a name or dtype would cut it short; an escaped backslash before u0000 is no NUL */
    r = st_try("{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "nulname.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "nulname.st");
    NT_CHECK(strstr(nr_last_error(), "NUL") != NULL);
    r = st_try("{\"a\":{\"dtype\":\"F32\\u0000x\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "nuldtype.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "nuldtype.st");
    r = st_try("{\"a\\\\u0000\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "backslash.st");
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    /* two __metadata__ objects, or one key twice: refused, not silently merged */
    r = st_try("{\"__metadata__\":{\"k\":\"v\"},\"__metadata__\":{\"k2\":\"v\"}}", 0, "twometa.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "twometa.st");
    r = st_try("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", 0, "dupkey.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "dupkey.st");
    r = st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
               8, "dupname.st");
    EXPECT_FAIL(r, NR_ERR_FORMAT, "dupname.st");
    nr_tensor_set s;
    r = nr_safetensors_read_mem("\x01\x02", 2, "tiny.st", &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "tiny.st");
    r = nr_safetensors_read_mem("", 0, "empty.st", &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "empty.st");
    static const unsigned char huge[16] = {0, 0, 0, 0, 0, 1, 0, 0, '{', '}'};
    r = nr_safetensors_read_mem(huge, sizeof huge, "huge.st", &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "huge.st");
    static const unsigned char past[16] = {100, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    r = nr_safetensors_read_mem(past, sizeof past, "past.st", &s);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "past.st");
    r = nr_safetensors_read(nt_tmp("absent.safetensors"), &s);
    EXPECT_FAIL(r, NR_ERR_IO, "absent.safetensors");
    /* truncations of a real file */
    nr_tensor_set t;
    small_set(&t);
    const char *path = nt_tmp("trunc.safetensors");
    nr_safetensors_write(path, &t);
    nr_tensor_set_free(&t);
    size_t n;
    char *b = nt_read_file(path, &n);
    int bad = 0;
    for (size_t cut = 0; b && cut < n; cut++) {
        r = nr_safetensors_read_mem(b, cut, "cut.st", &s);
        if (r != NR_ERR_FORMAT || !strstr(nr_last_error(), "cut.st")) bad++;
    }
    NT_CHECKF(bad == 0, "%d truncations not reported as format errors", bad);
    free(b);
}

/* 100,000 metadata keys and 100,000 tensors within the 100 MB header limit: reading is linear in the
 * names (a search per key made this take over a minute). The bound below is 10x what a linear reader
 * needs even under AddressSanitizer on a slow machine; a quadratic one needs far more. */
static void test_safetensors_many_names(void)
{
    const int n = 100000;
    tb_buf b = {0};
    tb_buf j = {0};
    tb_put(&j, "{\"__metadata__\":{", 17);
    char item[128];
    for (int i = 0; i < n; i++) {
        int k = snprintf(item, sizeof item, "%s\"key%d\":\"v\"", i ? "," : "", i);
        tb_put(&j, item, (size_t)k);
    }
    tb_put(&j, "}", 1);
    for (int i = 0; i < n; i++) {
        int k = snprintf(item, sizeof item, ",\"t%d\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%d,%d]}", i,
                         4 * i, 4 * i + 4);
        tb_put(&j, item, (size_t)k);
    }
    tb_put(&j, "}", 1);
    tb_le(&b, j.n, 8);
    tb_put(&b, j.p, j.n);
    for (int i = 0; i < 4 * n; i++) tb_u8(&b, 0);
    clock_t c0 = clock();
    nr_tensor_set s;
    nr_result r = nr_safetensors_read_mem(b.p, b.n, "many.st", &s);
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    NT_CHECK(s.n_meta == n && s.n_tensors == n);
    NT_CHECK(nr_tensor_set_meta(&s, "key99999") && nr_tensor_set_find(&s, "t12345"));
    NT_CHECK(!nr_tensor_set_meta(&s, "key100000") && !nr_tensor_set_find(&s, "t100000"));
    NT_CHECKF(cpu < 20.0, "reading %d keys and %d tensors took %.1f s of CPU time", n, n, cpu);
    printf("  %d keys + %d tensors read in %.2f s of CPU time\n", n, n, cpu);
    nr_tensor_set_free(&s);
    free(b.p);
    free(j.p);
}

/* ---------- the generic model layer ---------- */

static const char *native_file(const char *name, const char *version, float value)
{
    nr_tensor_set s = {0};
    int64_t shape[1] = {3};
    float d[3] = {1, value, 3};
    nr_tensor_set_add(&s, "w", 1, shape, d);
    nr_tensor_set_set_meta(&s, "nr.format", "neurorack-model");
    if (version) nr_tensor_set_set_meta(&s, "nr.version", version);
    nr_tensor_set_set_meta(&s, "nr.arch", "no-such-arch");
    const char *path = nt_tmp(name);
    nr_safetensors_write(path, &s);
    nr_tensor_set_free(&s);
    return path;
}

/* A native file whose u64 header length is `want` (>= the unpadded length), padded with a metadata
 * string: such lengths begin with the bytes of a pickle (0x80) or a zip ("PK"). */
static const char *native_file_with_header_length(const char *name, uint64_t want)
{
    const char *path = NULL;
    size_t pad = 0;
    for (int round = 0; round < 2; round++) {
        nr_tensor_set s = {0};
        int64_t shape[1] = {3};
        float d[3] = {1, 2, 3};
        nr_tensor_set_add(&s, "w", 1, shape, d);
        nr_tensor_set_set_meta(&s, "nr.format", "neurorack-model");
        nr_tensor_set_set_meta(&s, "nr.version", "1");
        nr_tensor_set_set_meta(&s, "nr.arch", "no-such-arch");
        char *p = malloc(pad + 1);
        memset(p, 'x', pad);
        p[pad] = 0;
        nr_tensor_set_set_meta(&s, "padding", p);
        free(p);
        path = nt_tmp(name);
        nr_safetensors_write(path, &s);
        nr_tensor_set_free(&s);
        size_t n;
        unsigned char *b = (unsigned char *)nt_read_file(path, &n);
        uint64_t len = 0;
        for (int i = 7; b && n >= 8 && i >= 0; i--) len = len << 8 | b[i];
        free(b);
        if (len == want || len > want) break;
        pad += (size_t)(want - len);
    }
    return path;
}

static void test_model_layer(void)
{
    nr_model *m = NULL;
    nr_result r;
    r = nr_model_load(native_file("v2.safetensors", "2", 2), &m);
    EXPECT_FAIL(r, NR_ERR_VERSION, "v2.safetensors");
    NT_CHECK(strstr(nr_last_error(), "update") != NULL);
    r = nr_model_load(native_file("vx.safetensors", "x1", 2), &m);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "vx.safetensors");
    r = nr_model_load(native_file("vsp1.safetensors", " 1", 2), &m); /* spaces either side: both refused */
    EXPECT_FAIL(r, NR_ERR_FORMAT, "vsp1.safetensors");
    r = nr_model_load(native_file("v1sp.safetensors", "1 ", 2), &m);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "v1sp.safetensors");
    r = nr_model_load(native_file("vplus.safetensors", "+1", 2), &m);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "vplus.safetensors");
    r = nr_model_load(native_file("nov.safetensors", NULL, 2), &m);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "nov.safetensors");
    r = nr_model_load(native_file("nan.safetensors", "1", NAN), &m);
    EXPECT_FAIL(r, NR_ERR_VALUE, "nan.safetensors");
    NT_CHECK(strstr(nr_last_error(), "'w'") != NULL);
    r = nr_model_load(native_file("inf.safetensors", "1", -INFINITY), &m);
    EXPECT_FAIL(r, NR_ERR_VALUE, "inf.safetensors");
    r = nr_model_load(native_file("arch.safetensors", "1", 2), &m);
    EXPECT_FAIL(r, NR_ERR_UNSUPPORTED, "arch.safetensors");
    NT_CHECK(strstr(nr_last_error(), "no-such-arch") != NULL);
    /* header lengths 0x..80 and 0x4B50 ("PK"): still read as safetensors, not as a pickle or a zip */
    static const uint64_t lengths[] = {0x280, 0x380, 0x4B50};
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "len%llx.safetensors", (unsigned long long)lengths[i]);
        const char *path = native_file_with_header_length(name, lengths[i]);
        size_t n;
        unsigned char *b = (unsigned char *)nt_read_file(path, &n);
        NT_CHECKF(b && n > 8 && b[0] == (lengths[i] & 0xFF) && b[1] == (lengths[i] >> 8), "%s: header length", name);
        free(b);
        r = nr_model_load(path, &m);
        EXPECT_FAIL(r, NR_ERR_UNSUPPORTED, name);
        NT_CHECKF(strstr(nr_last_error(), "no-such-arch") != NULL, "%s: %s", name, nr_last_error());
    }
    nr_tensor_set s;
    small_set(&s);
    nr_tensor_set_free(&s);
    s = (nr_tensor_set){0};
    nr_tensor_set_set_meta(&s, "note", "not a model");
    nr_safetensors_write(nt_tmp("plain.safetensors"), &s);
    nr_tensor_set_free(&s);
    r = nr_model_load(nt_tmp("plain.safetensors"), &m);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "plain.safetensors");
    nt_write_file(nt_tmp("noise.bin"), "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a", 10);
    r = nr_model_load(nt_tmp("noise.bin"), &m);
    EXPECT_FAIL(r, NR_ERR_FORMAT, "noise.bin");
    r = nr_model_load(nt_tmp("nowhere.safetensors"), &m);
    EXPECT_FAIL(r, NR_ERR_IO, "nowhere.safetensors");
    r = nr_model_load(nt_tmpdir(), &m);
    EXPECT_FAIL(r, NR_ERR_IO, nt_tmpdir());
    NT_CHECK(m == NULL);
}

/* ---------- convert / info (need the hn-sinc-NSF architecture) ---------- */

static int run_cmd(const char *cmd, const char *out_file)
{
    char full[2048];
    snprintf(full, sizeof full, "%s > '%s' 2>&1", cmd, out_file);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_errors(void)
{
    const char *bin = getenv("NR_BIN");
    if (!bin) {
        nt_skip("NR_BIN not set (run through make test)");
        return;
    }
    char cmd[1024];
    const char *log = nt_tmp("cli.log");
    nt_write_file(nt_tmp("garbage.th"), "garbage", 7);
    snprintf(cmd, sizeof cmd, "%s convert '%s' '%s'", bin, nt_tmp("garbage.th"), nt_tmp("out.safetensors"));
    NT_CHECK(run_cmd(cmd, log) == 1);
    char *text = nt_read_file(log, NULL);
    NT_CHECKF(text && strstr(text, "garbage.th"), "'%s'", text ? text : "");
    free(text);
    snprintf(cmd, sizeof cmd, "%s info '%s'", bin, nt_tmp("nothing-here.safetensors"));
    NT_CHECK(run_cmd(cmd, log) == 1);
    text = nt_read_file(log, NULL);
    NT_CHECKF(text && strstr(text, "nothing-here.safetensors"), "'%s'", text ? text : "");
    free(text);
    snprintf(cmd, sizeof cmd, "%s convert onlyone", bin);
    NT_CHECK(run_cmd(cmd, log) == 2);
}

static void test_convert_roundtrip(void)
{
    const char *path = nt_shared(TH_REL);
    if (!path) {
        nt_skip("../shared absent: no original weights");
        return;
    }
    nr_model *m = NULL;
    nr_result r = nr_model_load(path, &m);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r != NR_OK) return;
    const char *out = nt_tmp("converted.safetensors");
    NT_CHECKF(nr_model_save(m, out) == NR_OK, "%s", nr_last_error());
    nr_tensor_set th, st;
    NT_CHECK(nr_th_read(path, &th) == NR_OK);
    NT_CHECKF(nr_safetensors_read(out, &st) == NR_OK, "%s", nr_last_error());
    NT_CHECK(st.n_tensors == th.n_tensors);
    for (int i = 0; i < th.n_tensors; i++) {
        const nr_tensor *a = &th.tensors[i], *b = nr_tensor_set_find(&st, a->name);
        NT_CHECKF(b && b->numel == a->numel && !memcmp(a->data, b->data, (size_t)a->numel * 4), "%s", a->name);
    }
    for (int i = 0; i < th.n_meta; i++)
        NT_CHECKF(meta_is(&st, th.meta[i].key, th.meta[i].value), "metadata %s", th.meta[i].key);
    NT_CHECK(meta_is(&st, "nr.format", "neurorack-model") && meta_is(&st, "nr.version", "1"));
    /* the same native file with one tensor of the wrong shape: the architecture refuses it */
    nr_tensor_set bad = {0};
    for (int i = 0; i < st.n_tensors; i++) {
        const nr_tensor *t = &st.tensors[i];
        int64_t shape[NR_MAX_DIMS];
        memcpy(shape, t->shape, sizeof shape);
        int wrong = !strcmp(t->name, "m_cond.l_conv1ds.1.weight");
        if (wrong) shape[2] = 2; /* (64, 64, 2) instead of (64, 64, 3) */
        nr_tensor_set_add(&bad, t->name, t->ndim, shape, wrong ? NULL : t->data);
    }
    for (int i = 0; i < st.n_meta; i++) nr_tensor_set_set_meta(&bad, st.meta[i].key, st.meta[i].value);
    const char *bad_path = nt_tmp("wrongshape.safetensors");
    NT_CHECK(nr_safetensors_write(bad_path, &bad) == NR_OK);
    nr_tensor_set_free(&bad);
    nr_model *mb = NULL;
    r = nr_model_load(bad_path, &mb);
    EXPECT_FAIL(r, NR_ERR_SHAPE, "wrongshape.safetensors");
    NT_CHECK(strstr(nr_last_error(), "m_cond.l_conv1ds.1.weight") != NULL);
    if (r == NR_OK) nr_model_free(mb);
    nr_tensor_set_free(&th);
    nr_tensor_set_free(&st);
    nr_model *m2 = NULL;
    r = nr_model_load(out, &m2);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r == NR_OK) {
        nr_model_info a, b;
        nr_model_get_info(m, &a);
        nr_model_get_info(m2, &b);
        NT_CHECK(a.sample_rate == b.sample_rate && a.hop == b.hop && a.n_params == b.n_params &&
                 !memcmp(a.desc_mean, b.desc_mean, sizeof a.desc_mean));
        NT_CHECK(a.n_params == 777224 && a.sample_rate == 22050);
        nr_model_free(m2);
    }
    nr_model_free(m);

    const char *bin = getenv("NR_BIN");
    if (!bin) return;
    char cmd[2048];
    const char *log = nt_tmp("cli2.log"), *out2 = nt_tmp("cli.safetensors");
    snprintf(cmd, sizeof cmd, "%s convert '%s' '%s'", bin, path, out2);
    NT_CHECK(run_cmd(cmd, log) == 0);
    snprintf(cmd, sizeof cmd, "%s info --tensors '%s'", bin, out2);
    NT_CHECK(run_cmd(cmd, log) == 0);
    char *text = nt_read_file(log, NULL);
    NT_CHECKF(text && strstr(text, "hn-sinc-nsf") && strstr(text, "22050") && strstr(text, "777224") &&
                  strstr(text, "m_filter.l_noi_blocks.0.l_convs.4.weight"),
              "info printed '%s'", text ? text : "");
    free(text);
}

/* ---------- seed corpora for the fuzzers ---------- */

static int write_corpus(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/th", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/safetensors", dir);
    mkdir(path, 0755);
    tb_buf b = {0};
    tb_tiny_th(&b);
    snprintf(path, sizeof path, "%s/th/seed-tiny.th", dir);
    int bad = nt_write_file(path, b.p, b.n);
    free(b.p);
    memset(&b, 0, sizeof b);
    tb_tiny_pickle(&b);
    snprintf(path, sizeof path, "%s/th/seed-tiny.pkl", dir);
    bad |= nt_write_file(path, b.p, b.n);
    free(b.p);
    static const long s23[2] = {2, 3}, st13[2] = {1, 2};
    memset(&b, 0, sizeof b);
    one_tensor_pickle(&b, "2", 6, 0, 2, s23, st13);
    snprintf(path, sizeof path, "%s/th/seed-one.pkl", dir);
    bad |= nt_write_file(path, b.p, b.n);
    free(b.p);
    nr_tensor_set s;
    small_set(&s);
    snprintf(path, sizeof path, "%s/safetensors/seed-small.safetensors", dir);
    bad |= nr_safetensors_write(path, &s) != NR_OK;
    nr_tensor_set_free(&s);
    printf("seed corpora written to %s/th and %s/safetensors\n", dir, dir);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write-corpus")) return write_corpus(argv[2]);
    NT_RUN(test_tiny_th);
    NT_RUN(test_tiny_th_errors);
    NT_RUN(test_real_th);
    NT_RUN(test_real_th_corrupt);
    NT_RUN(test_safetensors_roundtrip);
    NT_RUN(test_safetensors_corrupt);
    NT_RUN(test_safetensors_many_names);
    NT_RUN(test_model_layer);
    NT_RUN(test_cli_errors);
    NT_RUN(test_convert_roundtrip);
    return nt_end();
}
