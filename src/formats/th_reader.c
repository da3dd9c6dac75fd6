/* PyTorch .th files (torch.save >= 1.6): a zip archive with <prefix>/data.pkl, a pickle of the whole
 * nn.Module, and <prefix>/data/<key>, the raw little-endian float32 storages its tensors view.
 * The module tree becomes state_dict names, class names and scalar attributes (nr/tensors.h). */
#include "nr/tensors.h"
#include "pickle.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "PyTorch storages are little-endian; this reader copies bytes as they are"
#endif

#define TH_MAX_PICKLE ((zip_uint64_t)256 << 20)
#define TH_MAX_STORAGE ((zip_uint64_t)4 << 30)
/* Far above real models (the original: 191 modules, 96 tensors, 1064 metadata entries); they bound
 * the time a hostile file can cost (module trees may share subtrees). */
#define TH_MAX_MODULES 16384
#define TH_MAX_META 16384
#define TH_MAX_ENTRIES 65536
#define TH_MAX_DEPTH 64
#define TH_NAME_MAX 1024

typedef struct {
    char *key;
    float *data; /* (numel) */
    int64_t numel;
} th_storage;

typedef struct {
    zip_t *za;
    const char *what;
    char prefix[256];
    zip_uint64_t archive_size;
    nr_tensor_set *out;
    th_storage *st;
    int n_st, cap_st;
    int64_t storage_elems, tensor_elems;
    int n_modules;
} th_ctx;

/* Read one whole entry, checking sizes and (via libzip) its CRC. */
static nr_result read_entry(th_ctx *c, const char *name, zip_uint64_t max, unsigned char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    zip_int64_t idx = zip_name_locate(c->za, name, 0);
    if (idx < 0) return nr_fail(NR_ERR_FORMAT, "%s: archive has no entry '%s'", c->what, name);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(c->za, (zip_uint64_t)idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
        !(st.valid & ZIP_STAT_COMP_SIZE) || !(st.valid & ZIP_STAT_COMP_METHOD))
        return nr_fail(NR_ERR_FORMAT, "%s: cannot read the zip directory entry of '%s'", c->what, name);
    if (st.size > max)
        return nr_fail(NR_ERR_FORMAT, "%s: entry '%s' claims %llu bytes (at most %llu expected)", c->what, name,
                       (unsigned long long)st.size, (unsigned long long)max);
    /* Compressed data can expand at most ~1032x (deflate); stored data must fit in the archive. */
    if (st.comp_size > c->archive_size || (st.comp_method == ZIP_CM_STORE && st.size != st.comp_size) ||
        st.size / 1100 > st.comp_size + 1)
        return nr_fail(NR_ERR_FORMAT, "%s: entry '%s' has inconsistent sizes (%llu stored, %llu unpacked)", c->what,
                       name, (unsigned long long)st.comp_size, (unsigned long long)st.size);
    zip_file_t *f = zip_fopen_index(c->za, (zip_uint64_t)idx, 0);
    if (!f)
        return nr_fail(NR_ERR_FORMAT, "%s: cannot open entry '%s': %s", c->what, name, zip_strerror(c->za));
    unsigned char *b = malloc(st.size ? st.size : 1);
    if (!b) {
        zip_fclose(f);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory for entry '%s'", c->what, name);
    }
    zip_uint64_t got = 0;
    while (got < st.size) {
        zip_int64_t k = zip_fread(f, b + got, st.size - got);
        if (k <= 0) break;
        got += (zip_uint64_t)k;
    }
    /* One more read reaches the end of the entry, where libzip checks the CRC. */
    unsigned char extra;
    zip_int64_t tail = got == st.size ? zip_fread(f, &extra, 1) : -1;
    nr_result r = NR_OK;
    if (got != st.size)
        r = nr_fail(NR_ERR_FORMAT, "%s: entry '%s' is truncated (%llu of %llu bytes): %s", c->what, name,
                    (unsigned long long)got, (unsigned long long)st.size, zip_file_strerror(f));
    else if (tail != 0)
        r = nr_fail(NR_ERR_FORMAT, "%s: entry '%s' is damaged: %s", c->what, name,
                    tail < 0 ? zip_file_strerror(f) : "longer than its directory says");
    zip_fclose(f);
    if (r != NR_OK) {
        free(b);
        return r;
    }
    *buf = b;
    *len = (size_t)st.size;
    return NR_OK;
}

static nr_result get_storage(th_ctx *c, const pk_obj *s, th_storage **out)
{
    for (int i = 0; i < c->n_st; i++) {
        if (!strcmp(c->st[i].key, s->u.storage.key)) {
            if (c->st[i].numel != s->u.storage.numel)
                return nr_fail(NR_ERR_FORMAT, "%s: storage '%s' is declared with two sizes (%lld and %lld)",
                               c->what, s->u.storage.key, (long long)c->st[i].numel, (long long)s->u.storage.numel);
            *out = &c->st[i];
            return NR_OK;
        }
    }
    char name[400];
    snprintf(name, sizeof name, "%s/data/%s", c->prefix, s->u.storage.key);
    if ((zip_uint64_t)s->u.storage.numel > TH_MAX_STORAGE / 4)
        return nr_fail(NR_ERR_FORMAT, "%s: storage '%s' declares %lld floats (too large)", c->what, name,
                       (long long)s->u.storage.numel);
    unsigned char *b;
    size_t len;
    nr_result r = read_entry(c, name, TH_MAX_STORAGE, &b, &len);
    if (r != NR_OK) return r;
    if (len != (size_t)s->u.storage.numel * 4) {
        free(b);
        return nr_fail(NR_ERR_FORMAT, "%s: storage '%s' holds %zu bytes; expected %lld floats (%lld bytes)", c->what,
                       name, len, (long long)s->u.storage.numel, (long long)s->u.storage.numel * 4);
    }
    if (c->n_st == c->cap_st) {
        int cap = c->cap_st ? 2 * c->cap_st : 64;
        th_storage *t = realloc(c->st, (size_t)cap * sizeof *t);
        if (!t) {
            free(b);
            return nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
        }
        c->st = t;
        c->cap_st = cap;
    }
    th_storage *t = &c->st[c->n_st];
    t->key = strdup(s->u.storage.key);
    if (!t->key) {
        free(b);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
    }
    t->data = (float *)(void *)b; /* malloc'd: aligned for float */
    t->numel = s->u.storage.numel;
    c->n_st++;
    c->storage_elems += t->numel;
    *out = t;
    return NR_OK;
}

static nr_result add_tensor(th_ctx *c, const char *name, const pk_obj *t)
{
    int nd = t->u.tensor.ndim;
    if (nd > NR_MAX_DIMS)
        return nr_fail(NR_ERR_SHAPE, "%s: tensor '%s' has %d dimensions (at most %d supported)", c->what, name, nd,
                       NR_MAX_DIMS);
    if (c->out->n_tensors >= TH_MAX_MODULES)
        return nr_fail(NR_ERR_FORMAT, "%s: more than %d tensors", c->what, TH_MAX_MODULES);
    th_storage *s = NULL;
    nr_result r = get_storage(c, t->u.tensor.storage, &s);
    if (r != NR_OK) return r;
    const int64_t *size = t->u.tensor.size, *stride = t->u.tensor.stride;
    int64_t off = t->u.tensor.offset, numel = 1, last = off;
    for (int d = 0; d < nd; d++) {
        if (size[d] > 0 && numel > ((int64_t)1 << 40) / size[d])
            return nr_fail(NR_ERR_SHAPE, "%s: tensor '%s' has an impossible size", c->what, name);
        numel *= size[d];
    }
    if (numel > 0) {
        /* Index of the last element read; each step is bounded so nothing overflows. */
        for (int d = 0; d < nd && last < s->numel; d++) {
            if (size[d] > 1 && stride[d] > 0 && size[d] - 1 > s->numel / stride[d]) {
                last = INT64_MAX;
                break;
            }
            last += (size[d] - 1) * stride[d];
        }
        if (off >= s->numel || last >= s->numel)
            return nr_fail(NR_ERR_FORMAT,
                           "%s: tensor '%s' (offset %lld) reads past the end of its storage '%s' of %lld floats",
                           c->what, name, (long long)off, s->key, (long long)s->numel);
        if (numel > s->numel)
            return nr_fail(NR_ERR_UNSUPPORTED,
                           "%s: tensor '%s' has overlapping strides (an expanded view); save it contiguous", c->what,
                           name);
    }
    /* Views of one storage may share it, but not without bound. */
    if (c->tensor_elems + numel > 8 * c->storage_elems + 4096)
        return nr_fail(NR_ERR_FORMAT, "%s: tensors view their storages too many times", c->what);
    c->tensor_elems += numel;
    r = nr_tensor_set_add(c->out, name, nd, size, NULL);
    if (r != NR_OK) return nr_fail_prefix(r, c->what);
    float *dst = c->out->tensors[c->out->n_tensors - 1].data;
    if (numel == 0) return NR_OK;
    int contiguous = 1;
    int64_t expect = 1;
    for (int d = nd - 1; d >= 0; d--) {
        if (size[d] != 1 && stride[d] != expect) contiguous = 0;
        expect *= size[d];
    }
    if (contiguous) {
        memcpy(dst, s->data + off, (size_t)numel * sizeof(float));
        return NR_OK;
    }
    /* Strided view (e.g. a transposed weight): gather in C order. */
    int64_t idx[NR_MAX_DIMS] = {0};
    for (int64_t i = 0; i < numel; i++) {
        int64_t src = off;
        for (int d = 0; d < nd; d++) src += idx[d] * stride[d];
        dst[i] = s->data[src];
        for (int d = nd - 1; d >= 0; d--) {
            if (++idx[d] < size[d]) break;
            idx[d] = 0;
        }
    }
    return NR_OK;
}

/* Shortest "%.*g" that reads back as the same double: 0.1 -> "0.1", 22050.0 -> "22050". */
static void fmt_double(char *buf, size_t n, double v)
{
    if (isnan(v)) {
        snprintf(buf, n, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v < 0 ? "-inf" : "inf");
        return;
    }
    /* "0.1", never "0,1": the host program may have set a locale. */
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t old = c ? uselocale(c) : (locale_t)0;
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (c) {
        uselocale(old);
        freelocale(c);
    }
}

/* A name usable in tensor names, metadata keys and one-line messages: no NUL, no control characters. */
static int plain_name(const pk_obj *k)
{
    if (k->type != PK_STR || k->u.str.len == 0) return 0;
    for (size_t i = 0; i < k->u.str.len; i++)
        if ((unsigned char)k->u.str.s[i] < 0x20 || k->u.str.s[i] == 0x7f) return 0;
    return 1;
}

static nr_result join(th_ctx *c, char *dst, const char *path, const char *name)
{
    int n = path[0] ? snprintf(dst, TH_NAME_MAX, "%s.%s", path, name) : snprintf(dst, TH_NAME_MAX, "%s", name);
    if (n < 0 || n >= TH_NAME_MAX) return nr_fail(NR_ERR_FORMAT, "%s: a name is longer than %d bytes", c->what, TH_NAME_MAX);
    return NR_OK;
}

static nr_result set_meta(th_ctx *c, const char *key, const char *value)
{
    if (c->out->n_meta >= TH_MAX_META)
        return nr_fail(NR_ERR_FORMAT, "%s: more than %d module attributes", c->what, TH_MAX_META);
    nr_result r = nr_tensor_set_set_meta(c->out, key, value);
    return r == NR_OK ? r : nr_fail_prefix(r, c->what);
}

/* A scalar attribute as text, or 0 if the value is not a scalar. */
static int scalar_text(const pk_obj *v, char *buf, size_t n, const char **text)
{
    switch (v->type) {
    case PK_BOOL: *text = v->u.b ? "True" : "False"; return 1;
    case PK_INT: snprintf(buf, n, "%lld", (long long)v->u.i); *text = buf; return 1;
    case PK_FLOAT: fmt_double(buf, n, v->u.f); *text = buf; return 1;
    case PK_STR:
        if (memchr(v->u.str.s, 0, v->u.str.len)) return 0;
        *text = v->u.str.s;
        return 1;
    default: return 0;
    }
}

static nr_result add_tensors(th_ctx *c, const char *path, const pk_obj *dict, const pk_obj *skip, const char *kind)
{
    if (!dict || dict->type == PK_NONE) return NR_OK;
    if (dict->type != PK_DICT)
        return nr_fail(NR_ERR_FORMAT, "%s: module '%s' has %s that are a %s, not a dict", c->what, path, kind,
                       pk_type_name(dict));
    char name[TH_NAME_MAX];
    for (int i = 0; i < dict->u.dict.n; i++) {
        const pk_obj *k = dict->u.dict.keys[i], *v = dict->u.dict.vals[i];
        if (!plain_name(k)) return nr_fail(NR_ERR_FORMAT, "%s: module '%s' has a %s name that is not a string", c->what, path, kind);
        if (v->type == PK_NONE) continue;
        int persistent = 1;
        if (skip && skip->type == PK_SET)
            for (int j = 0; j < skip->u.seq.n; j++)
                if (pk_is_str(skip->u.seq.items[j], k->u.str.s)) persistent = 0;
        if (!persistent) continue;
        nr_result r = join(c, name, path, k->u.str.s);
        if (r != NR_OK) return r;
        if (v->type != PK_TENSOR)
            return nr_fail(NR_ERR_FORMAT, "%s: '%s' is a %s where a tensor was expected", c->what, name, pk_type_name(v));
        if ((r = add_tensor(c, name, v)) != NR_OK) return r;
    }
    return NR_OK;
}

/* One nn.Module: class, scalar attributes, parameters, buffers, then submodules (state_dict order). */
static nr_result walk(th_ctx *c, const pk_obj *m, const char *path, int depth)
{
    if (depth > TH_MAX_DEPTH) return nr_fail(NR_ERR_FORMAT, "%s: modules nested deeper than %d", c->what, TH_MAX_DEPTH);
    if (++c->n_modules > TH_MAX_MODULES) return nr_fail(NR_ERR_FORMAT, "%s: more than %d modules", c->what, TH_MAX_MODULES);
    const pk_obj *st = m->u.obj.state;
    if (!st || st->type != PK_DICT)
        return nr_fail(NR_ERR_FORMAT, "%s: module '%s' (%s) has no attribute dict: not an nn.Module", c->what,
                       path[0] ? path : "(root)", pk_type_name(m));
    char key[TH_NAME_MAX], buf[64];
    nr_result r = join(c, key, path, "__class__");
    if (r == NR_OK) r = set_meta(c, key, pk_type_name(m));
    for (int i = 0; i < st->u.dict.n && r == NR_OK; i++) {
        const pk_obj *k = st->u.dict.keys[i];
        const char *text;
        if (!plain_name(k)) return nr_fail(NR_ERR_FORMAT, "%s: module '%s' has an attribute name that is not a string", c->what, path);
        if (!scalar_text(st->u.dict.vals[i], buf, sizeof buf, &text) || !strcmp(k->u.str.s, "__class__")) continue;
        if ((r = join(c, key, path, k->u.str.s)) == NR_OK) r = set_meta(c, key, text);
    }
    if (r == NR_OK) r = add_tensors(c, path, pk_dict_get(st, "_parameters"), NULL, "parameters");
    if (r == NR_OK)
        r = add_tensors(c, path, pk_dict_get(st, "_buffers"), pk_dict_get(st, "_non_persistent_buffers_set"), "buffers");
    const pk_obj *mods = pk_dict_get(st, "_modules");
    if (r != NR_OK || !mods || mods->type == PK_NONE) return r;
    if (mods->type != PK_DICT)
        return nr_fail(NR_ERR_FORMAT, "%s: module '%s' has _modules that are a %s, not a dict", c->what, path,
                       pk_type_name(mods));
    char child[TH_NAME_MAX];
    for (int i = 0; i < mods->u.dict.n && r == NR_OK; i++) {
        const pk_obj *k = mods->u.dict.keys[i], *v = mods->u.dict.vals[i];
        if (!plain_name(k)) return nr_fail(NR_ERR_FORMAT, "%s: module '%s' has a submodule name that is not a string", c->what, path);
        if (v->type == PK_NONE) continue;
        if ((r = join(c, child, path, k->u.str.s)) != NR_OK) return r;
        if (v->type != PK_OBJ)
            return nr_fail(NR_ERR_FORMAT, "%s: submodule '%s' is a %s, not a module", c->what, child, pk_type_name(v));
        r = walk(c, v, child, depth + 1);
    }
    return r;
}

static nr_result read_root(th_ctx *c, const pk_obj *root)
{
    if (root->type == PK_OBJ) return walk(c, root, "", 0);
    if (root->type == PK_DICT) /* torch.save(model.state_dict()): names to tensors */
        return add_tensors(c, "", root, NULL, "entries");
    return nr_fail(NR_ERR_FORMAT, "%s: the pickle holds a %s, not an nn.Module or a state_dict", c->what,
                   pk_type_name(root));
}

static nr_result find_prefix(th_ctx *c)
{
    zip_int64_t n = zip_get_num_entries(c->za, 0);
    if (n <= 0) return nr_fail(NR_ERR_FORMAT, "%s: empty zip archive; expected a PyTorch .th archive", c->what);
    if (n > TH_MAX_ENTRIES) return nr_fail(NR_ERR_FORMAT, "%s: zip archive with %lld entries (too many)", c->what, (long long)n);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(c->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (!name) continue;
        const char *slash = strchr(name, '/');
        size_t len = slash ? (size_t)(slash - name) : 0;
        if (slash && len > 0 && len < sizeof c->prefix && !strcmp(slash, "/data.pkl")) {
            memcpy(c->prefix, name, len);
            c->prefix[len] = '\0';
            return NR_OK;
        }
    }
    return nr_fail(NR_ERR_FORMAT, "%s: zip archive without '<prefix>/data.pkl': not a PyTorch .th file", c->what);
}

static nr_result check_byteorder(th_ctx *c)
{
    char name[300];
    snprintf(name, sizeof name, "%s/byteorder", c->prefix);
    if (zip_name_locate(c->za, name, 0) < 0) return NR_OK; /* older files: always little-endian */
    unsigned char *b;
    size_t len;
    nr_result r = read_entry(c, name, 16, &b, &len);
    if (r != NR_OK) return r;
    int little = len == 6 && !memcmp(b, "little", 6);
    free(b);
    return little ? NR_OK
                  : nr_fail(NR_ERR_UNSUPPORTED, "%s: storages are not little-endian ('%s')", c->what, name);
}

static nr_result read_archive(th_ctx *c)
{
    nr_result r = find_prefix(c);
    if (r == NR_OK) r = check_byteorder(c);
    if (r != NR_OK) return r;
    char name[300], what[512];
    snprintf(name, sizeof name, "%s/data.pkl", c->prefix);
    unsigned char *pkl;
    size_t n;
    if ((r = read_entry(c, name, TH_MAX_PICKLE, &pkl, &n)) != NR_OK) return r;
    snprintf(what, sizeof what, "%s: %s", c->what, name);
    pk_vm vm;
    memset(&vm, 0, sizeof vm);
    r = pk_load(&vm, pkl, n, what);
    if (r == NR_OK) r = read_root(c, vm.result);
    pk_free(&vm);
    free(pkl);
    return r;
}

/* Files from torch < 1.6 are a bare pickle starting with this magic number. */
static int is_legacy(const unsigned char *b, size_t n)
{
    static const unsigned char magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8};
    return n >= sizeof magic && !memcmp(b, magic, sizeof magic);
}

static nr_result zip_fail(const char *what, zip_error_t *err)
{
    int code = zip_error_code_zip(err);
    nr_result r = code == ZIP_ER_NOENT || code == ZIP_ER_OPEN || code == ZIP_ER_READ ? NR_ERR_IO
                  : code == ZIP_ER_MEMORY                                            ? NR_ERR_NOMEM
                                                                                     : NR_ERR_FORMAT;
    const char *expect = r == NR_ERR_FORMAT ? "; expected a PyTorch .th zip archive" : "";
    return nr_fail(r, "%s: %s%s", what, zip_error_strerror(err), expect);
}

static nr_result run(zip_t *za, const char *what, zip_uint64_t size, nr_tensor_set *out)
{
    th_ctx c;
    memset(&c, 0, sizeof c);
    c.za = za;
    c.what = what;
    c.archive_size = size;
    c.out = out;
    nr_result r = read_archive(&c);
    for (int i = 0; i < c.n_st; i++) {
        free(c.st[i].key);
        free(c.st[i].data);
    }
    free(c.st);
    zip_discard(za);
    if (r != NR_OK) nr_tensor_set_free(out);
    return r;
}

nr_result nr_th_read_mem(const void *buf, size_t n, const char *what, nr_tensor_set *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0) return nr_fail(NR_ERR_FORMAT, "%s: empty file; expected a PyTorch .th zip archive", what);
    if (is_legacy(buf, n))
        return nr_fail(NR_ERR_UNSUPPORTED, "%s: PyTorch file from before version 1.6 (not a zip); re-save it with "
                                           "torch.save in a newer PyTorch", what);
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t *src = zip_source_buffer_create(buf, n, 0, &err);
    if (!src) {
        nr_result r = zip_fail(what, &err);
        zip_error_fini(&err);
        return r;
    }
    zip_t *za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!za) {
        zip_source_free(src);
        nr_result r = zip_fail(what, &err);
        zip_error_fini(&err);
        return r;
    }
    zip_error_fini(&err);
    return run(za, what, n, out);
}

nr_result nr_th_read(const char *path, nr_tensor_set *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open file", path);
    unsigned char head[16];
    size_t got = fread(head, 1, sizeof head, f);
    struct stat sb;
    int ok = fstat(fileno(f), &sb) == 0;
    fclose(f);
    if (!ok) return nr_fail(NR_ERR_IO, "%s: cannot read file", path);
    if (S_ISDIR(sb.st_mode)) return nr_fail(NR_ERR_IO, "%s: is a folder, not a model file", path);
    if (got == 0) return nr_fail(NR_ERR_FORMAT, "%s: empty file; expected a PyTorch .th zip archive", path);
    if (is_legacy(head, got))
        return nr_fail(NR_ERR_UNSUPPORTED, "%s: PyTorch file from before version 1.6 (not a zip); re-save it with "
                                           "torch.save in a newer PyTorch", path);
    zip_error_t err;
    zip_error_init(&err);
    int code = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!za) {
        zip_error_set(&err, code, errno);
        nr_result r = zip_fail(path, &err);
        zip_error_fini(&err);
        return r;
    }
    zip_error_fini(&err);
    return run(za, path, (zip_uint64_t)sb.st_size, out);
}
