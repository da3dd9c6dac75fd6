/* Test helpers: write small PyTorch-style .th files (a protocol-2 pickle in a stored zip) from scratch,
 * for the format tests, the fuzz seeds and the fuzz corpus replay. Header-only (static functions). */
#ifndef NR_TH_BUILD_H
#define NR_TH_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char *p;
    size_t n, cap;
} tb_buf;

static inline void tb_put(tb_buf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) abort(); /* test code: out of memory is fatal */
        b->p = q;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, d, n);
    b->n += n;
}

static inline void tb_u8(tb_buf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    tb_put(b, &c, 1);
}

static inline void tb_le(tb_buf *b, uint64_t v, int k)
{
    for (int i = 0; i < k; i++) tb_u8(b, (unsigned)(v >> (8 * i)) & 0xff);
}

static inline uint32_t tb_crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

/* A zip archive with every entry stored (not compressed), as torch.save writes it. */
static inline void tb_zip(tb_buf *out, int n, const char *const *names, const unsigned char *const *data,
                   const size_t *lens)
{
    size_t *offs = calloc((size_t)n + 1, sizeof *offs);
    if (!offs) abort();
    for (int i = 0; i < n; i++) {
        offs[i] = out->n;
        uint32_t crc = tb_crc32(data[i], lens[i]);
        tb_le(out, 0x04034b50, 4);
        tb_le(out, 20, 2);
        tb_le(out, 0, 2);
        tb_le(out, 0, 2); /* stored */
        tb_le(out, 0, 2);
        tb_le(out, 0x21, 2); /* 1980-01-01 */
        tb_le(out, crc, 4);
        tb_le(out, lens[i], 4);
        tb_le(out, lens[i], 4);
        tb_le(out, strlen(names[i]), 2);
        tb_le(out, 0, 2);
        tb_put(out, names[i], strlen(names[i]));
        tb_put(out, data[i], lens[i]);
    }
    size_t cd = out->n;
    for (int i = 0; i < n; i++) {
        tb_le(out, 0x02014b50, 4);
        tb_le(out, 20, 2);
        tb_le(out, 20, 2);
        tb_le(out, 0, 2);
        tb_le(out, 0, 2);
        tb_le(out, 0, 2);
        tb_le(out, 0x21, 2);
        tb_le(out, tb_crc32(data[i], lens[i]), 4);
        tb_le(out, lens[i], 4);
        tb_le(out, lens[i], 4);
        tb_le(out, strlen(names[i]), 2);
        tb_le(out, 0, 2);
        tb_le(out, 0, 2);
        tb_le(out, 0, 2);
        tb_le(out, 0, 2);
        tb_le(out, 0, 4);
        tb_le(out, offs[i], 4);
        tb_put(out, names[i], strlen(names[i]));
    }
    size_t cdsize = out->n - cd;
    tb_le(out, 0x06054b50, 4);
    tb_le(out, 0, 2);
    tb_le(out, 0, 2);
    tb_le(out, (uint64_t)n, 2);
    tb_le(out, (uint64_t)n, 2);
    tb_le(out, cdsize, 4);
    tb_le(out, cd, 4);
    tb_le(out, 0, 2);
    free(offs);
}

/* ---- a pickle writer for the opcodes torch.save uses ---- */

static inline void pw_global(tb_buf *b, const char *module, const char *name)
{
    tb_u8(b, 'c');
    tb_put(b, module, strlen(module));
    tb_u8(b, '\n');
    tb_put(b, name, strlen(name));
    tb_u8(b, '\n');
}

static inline void pw_str(tb_buf *b, const char *s)
{
    tb_u8(b, 'X');
    tb_le(b, strlen(s), 4);
    tb_put(b, s, strlen(s));
}

static inline void pw_int(tb_buf *b, long v)
{
    if (v >= 0 && v < 256) {
        tb_u8(b, 'K');
        tb_u8(b, (unsigned)v);
    } else if (v >= 0 && v < 65536) {
        tb_u8(b, 'M');
        tb_le(b, (uint64_t)v, 2);
    } else {
        tb_u8(b, 'J');
        tb_le(b, (uint64_t)(uint32_t)(int32_t)v, 4);
    }
}

static inline void pw_float(tb_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    tb_u8(b, 'G');
    for (int i = 7; i >= 0; i--) tb_u8(b, (unsigned)(u >> (8 * i)) & 0xff);
}

static inline void pw_op(tb_buf *b, char op) { tb_u8(b, (unsigned char)op); }

/* collections.OrderedDict() via a memoized GLOBAL (memo slot 0 is set by tb_tiny_pickle). */
static inline void pw_odict(tb_buf *b)
{
    tb_u8(b, 'h');
    tb_u8(b, 0);
    pw_op(b, ')');
    pw_op(b, 'R');
}

/* _rebuild_parameter(_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()), False, OrderedDict()) */
static inline void pw_tensor(tb_buf *b, const char *key, long numel, long offset, int nd, const long *size, const long *stride)
{
    pw_global(b, "torch._utils", "_rebuild_parameter");
    pw_global(b, "torch._utils", "_rebuild_tensor_v2");
    pw_op(b, '(');
    pw_op(b, '(');
    pw_str(b, "storage");
    pw_global(b, "torch", "FloatStorage");
    pw_str(b, key);
    pw_str(b, "cpu");
    pw_int(b, numel);
    pw_op(b, 't');
    pw_op(b, 'Q');
    pw_int(b, offset);
    pw_op(b, '(');
    for (int i = 0; i < nd; i++) pw_int(b, size[i]);
    pw_op(b, 't');
    pw_op(b, '(');
    for (int i = 0; i < nd; i++) pw_int(b, stride[i]);
    pw_op(b, 't');
    tb_u8(b, 0x89);
    pw_odict(b);
    pw_op(b, 't');
    pw_op(b, 'R');
    tb_u8(b, 0x89);
    pw_odict(b);
    tb_u8(b, 0x87);
    pw_op(b, 'R');
}

/* numpy.core.multiarray.scalar(numpy.dtype('i8'), _codecs.encode(<8 bytes as latin1 text>, 'latin1')) */
static inline void pw_np_int(tb_buf *b, long v)
{
    pw_global(b, "numpy.core.multiarray", "scalar");
    pw_global(b, "numpy", "dtype");
    pw_str(b, "i8");
    tb_u8(b, 0x89);
    tb_u8(b, 0x88);
    tb_u8(b, 0x87);
    pw_op(b, 'R');
    pw_op(b, '(');
    pw_int(b, 3);
    pw_str(b, "<");
    pw_op(b, 'N');
    pw_op(b, 'N');
    pw_op(b, 'N');
    pw_int(b, -1);
    pw_int(b, -1);
    pw_int(b, 0);
    pw_op(b, 't');
    pw_op(b, 'b');
    pw_global(b, "_codecs", "encode");
    char text[17];
    size_t k = 0;
    for (int i = 0; i < 8; i++) { /* each byte as one character, UTF-8 encoded */
        unsigned byte = (unsigned)((uint64_t)v >> (8 * i)) & 0xff;
        if (byte < 0x80) {
            text[k++] = (char)byte;
        } else {
            text[k++] = (char)(0xc0 | (byte >> 6));
            text[k++] = (char)(0x80 | (byte & 0x3f));
        }
    }
    tb_u8(b, 'X');
    tb_le(b, k, 4);
    tb_put(b, text, k);
    pw_str(b, "latin1");
    tb_u8(b, 0x86);
    pw_op(b, 'R');
    tb_u8(b, 0x86);
    pw_op(b, 'R');
}

/* A small module tree, like torch.save(model):
 *   test.tiny.Tiny: training=False, n_int=22050, n_neg=-5, rate=0.1, flag=True, name="hello", pad=np.int64(200),
 *     kernel=(3,) (not a scalar); _parameters w (2,3) = storage 0; _buffers b (3) = storage 1 from offset 1,
 *     nb (non-persistent); _modules sub = test.tiny.Sub (gain=2.5, _parameters t (3,2) = storage 2 transposed),
 *     none = None.
 * Storages: "0" 6 floats, "1" 4 floats, "2" 6 floats (tb_tiny_storage). */
static inline void tb_tiny_pickle(tb_buf *b)
{
    static const long s23[2] = {2, 3}, st31[2] = {3, 1}, s3[1] = {3}, st1[1] = {1}, s2[1] = {2}, s32[2] = {3, 2},
                      st13[2] = {1, 3};
    tb_u8(b, 0x80);
    tb_u8(b, 2);
    pw_global(b, "collections", "OrderedDict");
    tb_u8(b, 'q');
    tb_u8(b, 0);
    pw_op(b, '0'); /* POP: the GLOBAL stays in memo 0 */
    pw_global(b, "test.tiny", "Tiny");
    pw_op(b, ')');
    tb_u8(b, 0x81);
    pw_op(b, '}');
    pw_op(b, '(');
    pw_str(b, "training");
    tb_u8(b, 0x89);
    pw_str(b, "_parameters");
    pw_odict(b);
    pw_op(b, '(');
    pw_str(b, "w");
    pw_tensor(b, "0", 6, 0, 2, s23, st31);
    pw_op(b, 'u');
    pw_str(b, "_buffers");
    pw_odict(b);
    pw_op(b, '(');
    pw_str(b, "b");
    pw_tensor(b, "1", 4, 1, 1, s3, st1);
    pw_str(b, "nb");
    pw_tensor(b, "1", 4, 0, 1, s2, st1);
    pw_op(b, 'u');
    pw_str(b, "_non_persistent_buffers_set");
    pw_global(b, "__builtin__", "set");
    pw_op(b, ']');
    pw_op(b, '(');
    pw_str(b, "nb");
    pw_op(b, 'e');
    tb_u8(b, 0x85);
    pw_op(b, 'R');
    pw_str(b, "_modules");
    pw_odict(b);
    pw_op(b, '(');
    pw_str(b, "sub");
    pw_global(b, "test.tiny", "Sub");
    pw_op(b, ')');
    tb_u8(b, 0x81);
    pw_op(b, '}');
    pw_op(b, '(');
    pw_str(b, "_parameters");
    pw_odict(b);
    pw_str(b, "t");
    pw_tensor(b, "2", 6, 0, 2, s32, st13);
    pw_op(b, 's');
    pw_str(b, "_buffers");
    pw_odict(b);
    pw_str(b, "_modules");
    pw_odict(b);
    pw_str(b, "gain");
    pw_float(b, 2.5);
    pw_op(b, 'u');
    pw_op(b, 'b');
    pw_str(b, "none");
    pw_op(b, 'N');
    pw_op(b, 'u');
    pw_str(b, "n_int");
    pw_int(b, 22050);
    pw_str(b, "n_neg");
    pw_int(b, -5);
    pw_str(b, "rate");
    pw_float(b, 0.1);
    pw_str(b, "flag");
    tb_u8(b, 0x88);
    pw_str(b, "name");
    pw_str(b, "hello");
    pw_str(b, "pad");
    pw_np_int(b, 200);
    pw_str(b, "kernel");
    pw_int(b, 3);
    tb_u8(b, 0x85);
    pw_op(b, 'u');
    pw_op(b, 'b');
    pw_op(b, '.');
}

/* Storage k of the tiny model: "0" = 1..6, "1" = 10..13, "2" = 20..25. */
static inline void tb_tiny_storage(int k, float *out, int *n)
{
    static const int counts[3] = {6, 4, 6};
    static const float first[3] = {1, 10, 20};
    *n = counts[k];
    for (int i = 0; i < counts[k]; i++) out[i] = first[k] + (float)i;
}

/* A .th archive "archive/..." holding `pkl` and the tiny model's three storages. */
static inline void tb_th_with_pickle(tb_buf *out, const unsigned char *pkl, size_t n)
{
    float st[3][8];
    int cnt[3];
    for (int k = 0; k < 3; k++) tb_tiny_storage(k, st[k], &cnt[k]);
    const char *names[5] = {"archive/data.pkl", "archive/data/0", "archive/data/1", "archive/data/2", "archive/version"};
    const unsigned char *data[5] = {pkl, (const unsigned char *)st[0], (const unsigned char *)st[1],
                                    (const unsigned char *)st[2], (const unsigned char *)"3\n"};
    size_t lens[5] = {n, (size_t)cnt[0] * 4, (size_t)cnt[1] * 4, (size_t)cnt[2] * 4, 2};
    tb_zip(out, 5, names, data, lens);
}

static inline void tb_tiny_th(tb_buf *out)
{
    tb_buf p = {0};
    tb_tiny_pickle(&p);
    tb_th_with_pickle(out, p.p, p.n);
    free(p.p);
}

/* How the fuzzer and the corpus replay read a .th input: a zip as it is; anything else is taken as the
 * pickle of a stored zip that also holds the tiny model's storages (so mutations reach the pickle VM
 * instead of failing the zip CRC). Needs nr/tensors.h. */
#ifdef NR_TENSORS_H
static inline nr_result tb_read_th_input(const unsigned char *data, size_t n, const char *what, nr_tensor_set *ts)
{
    if (n > 0 && data[0] == 'P') return nr_th_read_mem(data, n, what, ts);
    tb_buf z = {0};
    tb_th_with_pickle(&z, data, n);
    nr_result r = nr_th_read_mem(z.p, z.n, what, ts);
    free(z.p);
    return r;
}
#endif

#endif
