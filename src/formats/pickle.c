/* A pickle VM for torch.save files: builds values, never runs code. See pickle.h. */
#include "pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds that keep a hostile pickle from asking for unbounded memory or time. */
#define PK_MAX_OBJECTS (1 << 22)
#define PK_MAX_MEMO (1 << 20)
#define PK_MAX_CONTAINER (1 << 20)
#define PK_MAX_LINE 256

typedef struct {
    pk_vm *vm;
    const unsigned char *buf;
    size_t n, pos, op_pos;
    const char *what;
    pk_obj **stack;
    int n_stack, cap_stack;
    int *marks; /* stack heights at each MARK */
    int n_marks, cap_marks;
    pk_obj **memo;
    int cap_memo, n_memo; /* n_memo: entries stored (MEMOIZE's next index) */
} pk_ctx;

static nr_result bad(pk_ctx *c, nr_result code, const char *msg)
{
    return nr_fail(code, "%s: pickle: %s (opcode 0x%02x at byte %zu)", c->what, msg,
                   c->op_pos < c->n ? c->buf[c->op_pos] : 0, c->op_pos);
}

static int grow(void **p, int *cap, int need, size_t elem)
{
    if (need <= *cap) return 1;
    int nc = *cap ? *cap : 16;
    while (nc < need) nc *= 2;
    void *q = realloc(*p, (size_t)nc * elem);
    if (!q) return 0;
    *p = q;
    *cap = nc;
    return 1;
}

static pk_obj *mk(pk_ctx *c, pk_type t)
{
    pk_vm *vm = c->vm;
    if (vm->n_all >= PK_MAX_OBJECTS) {
        bad(c, NR_ERR_FORMAT, "too many objects");
        return NULL;
    }
    if (!grow((void **)&vm->all, &vm->cap_all, vm->n_all + 1, sizeof *vm->all)) {
        nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
        return NULL;
    }
    pk_obj *o = calloc(1, sizeof *o);
    if (!o) {
        nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
        return NULL;
    }
    o->type = t;
    vm->all[vm->n_all++] = o;
    return o;
}

static void obj_free(pk_obj *o)
{
    switch (o->type) {
    case PK_STR:
    case PK_BYTES: free(o->u.str.s); break;
    case PK_TUPLE:
    case PK_LIST:
    case PK_SET: free(o->u.seq.items); break;
    case PK_DICT:
        free(o->u.dict.keys);
        free(o->u.dict.vals);
        break;
    case PK_GLOBAL: free(o->u.global.name); break;
    case PK_STORAGE: free(o->u.storage.key); break;
    default: break;
    }
    free(o);
}

void pk_free(pk_vm *vm)
{
    for (int i = 0; i < vm->n_all; i++) obj_free(vm->all[i]);
    free(vm->all);
    memset(vm, 0, sizeof *vm);
}

const char *pk_type_name(const pk_obj *o)
{
    static const char *const names[] = {"None", "bool", "int", "float", "str", "bytes", "tuple", "list",
                                        "set", "dict", "class", "object", "storage", "tensor", "numpy.dtype"};
    if (!o) return "nothing";
    if (o->type == PK_OBJ && o->u.obj.cls && o->u.obj.cls->type == PK_GLOBAL) return o->u.obj.cls->u.global.name;
    return names[o->type];
}

int pk_is_str(const pk_obj *o, const char *s)
{
    return o && o->type == PK_STR && strlen(s) == o->u.str.len && !memcmp(o->u.str.s, s, o->u.str.len);
}

static int pk_equal(const pk_obj *a, const pk_obj *b)
{
    if (a == b) return 1;
    if (a->type != b->type) return 0;
    switch (a->type) {
    case PK_NONE: return 1;
    case PK_BOOL: return a->u.b == b->u.b;
    case PK_INT: return a->u.i == b->u.i;
    case PK_STR:
    case PK_BYTES: return a->u.str.len == b->u.str.len && !memcmp(a->u.str.s, b->u.str.s, a->u.str.len);
    default: return 0;
    }
}

pk_obj *pk_dict_get(const pk_obj *d, const char *key)
{
    if (!d || d->type != PK_DICT) return NULL;
    for (int i = d->u.dict.n - 1; i >= 0; i--)
        if (pk_is_str(d->u.dict.keys[i], key)) return d->u.dict.vals[i];
    return NULL;
}

/* ---- stack ---- */

static int base(const pk_ctx *c) { return c->n_marks ? c->marks[c->n_marks - 1] : 0; }

static nr_result push(pk_ctx *c, pk_obj *o)
{
    if (!o) return NR_ERR_FORMAT; /* error already set by mk */
    if (!grow((void **)&c->stack, &c->cap_stack, c->n_stack + 1, sizeof *c->stack))
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
    c->stack[c->n_stack++] = o;
    return NR_OK;
}

static pk_obj *pop(pk_ctx *c)
{
    if (c->n_stack <= base(c)) {
        bad(c, NR_ERR_FORMAT, "stack underflow");
        return NULL;
    }
    return c->stack[--c->n_stack];
}

static pk_obj *top(pk_ctx *c)
{
    if (c->n_stack <= base(c)) {
        bad(c, NR_ERR_FORMAT, "stack underflow");
        return NULL;
    }
    return c->stack[c->n_stack - 1];
}

/* Items above the last MARK: *first is their index on the stack; the mark is removed. */
static nr_result pop_mark(pk_ctx *c, int *first)
{
    if (!c->n_marks) return bad(c, NR_ERR_FORMAT, "no MARK before this opcode");
    *first = c->marks[--c->n_marks];
    return NR_OK;
}

/* ---- containers ---- */

static nr_result seq_add(pk_ctx *c, pk_obj *s, pk_obj *item)
{
    if (s->u.seq.n >= PK_MAX_CONTAINER) return bad(c, NR_ERR_FORMAT, "container too large");
    if (!grow((void **)&s->u.seq.items, &s->u.seq.cap, s->u.seq.n + 1, sizeof(pk_obj *)))
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
    s->u.seq.items[s->u.seq.n++] = item;
    return NR_OK;
}

static nr_result dict_set(pk_ctx *c, pk_obj *d, pk_obj *k, pk_obj *v)
{
    for (int i = 0; i < d->u.dict.n; i++) {
        if (pk_equal(d->u.dict.keys[i], k)) {
            d->u.dict.vals[i] = v;
            return NR_OK;
        }
    }
    if (d->u.dict.n >= PK_MAX_CONTAINER) return bad(c, NR_ERR_FORMAT, "dict too large");
    int cap = d->u.dict.cap;
    if (!grow((void **)&d->u.dict.keys, &cap, d->u.dict.n + 1, sizeof(pk_obj *)))
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
    cap = d->u.dict.cap;
    if (!grow((void **)&d->u.dict.vals, &cap, d->u.dict.n + 1, sizeof(pk_obj *)))
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
    d->u.dict.cap = cap;
    d->u.dict.keys[d->u.dict.n] = k;
    d->u.dict.vals[d->u.dict.n] = v;
    d->u.dict.n++;
    return NR_OK;
}

static pk_obj *mk_seq(pk_ctx *c, pk_type t, pk_obj **items, int n)
{
    pk_obj *o = mk(c, t);
    if (!o) return NULL;
    for (int i = 0; i < n; i++)
        if (seq_add(c, o, items[i]) != NR_OK) return NULL;
    return o;
}

/* ---- scalars and strings ---- */

static int need(pk_ctx *c, size_t k)
{
    if (c->n - c->pos < k) {
        bad(c, NR_ERR_FORMAT, "truncated");
        return 0;
    }
    return 1;
}

static uint64_t rd_le(const unsigned char *p, int k)
{
    uint64_t v = 0;
    for (int i = k - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

int pk_utf8_valid(const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        int k;
        uint32_t cp;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            k = 1;
            cp = b & 0x1F;
        } else if ((b & 0xF0) == 0xE0) {
            k = 2;
            cp = b & 0x0F;
        } else if ((b & 0xF8) == 0xF0) {
            k = 3;
            cp = b & 0x07;
        } else {
            return 0;
        }
        if (n - i <= (size_t)k) return 0;
        for (int j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        /* overlong forms, surrogates, beyond Unicode */
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += (size_t)k + 1;
    }
    return 1;
}

static pk_obj *mk_str(pk_ctx *c, pk_type t, const void *p, size_t len)
{
    if (t == PK_STR && !pk_utf8_valid(p, len)) {
        bad(c, NR_ERR_FORMAT, "string is not valid UTF-8");
        return NULL;
    }
    pk_obj *o = mk(c, t);
    if (!o) return NULL;
    o->u.str.s = malloc(len + 1);
    if (!o->u.str.s) {
        nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
        return NULL;
    }
    if (len) memcpy(o->u.str.s, p, len);
    o->u.str.s[len] = '\0';
    o->u.str.len = len;
    return o;
}

static nr_result op_string(pk_ctx *c, pk_type t, int lenbytes)
{
    if (!need(c, (size_t)lenbytes)) return NR_ERR_FORMAT;
    uint64_t len = rd_le(c->buf + c->pos, lenbytes);
    c->pos += (size_t)lenbytes;
    if (len > c->n - c->pos) return bad(c, NR_ERR_FORMAT, "string runs past the end");
    pk_obj *o = mk_str(c, t, c->buf + c->pos, (size_t)len);
    c->pos += (size_t)len;
    return push(c, o);
}

static pk_obj *mk_int(pk_ctx *c, int64_t v)
{
    pk_obj *o = mk(c, PK_INT);
    if (o) o->u.i = v;
    return o;
}

static pk_obj *mk_global(pk_ctx *c, const char *module, size_t nm, const char *name, size_t nn)
{
    pk_obj *o = mk(c, PK_GLOBAL);
    if (!o) return NULL;
    o->u.global.name = malloc(nm + nn + 2);
    if (!o->u.global.name) {
        nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
        return NULL;
    }
    memcpy(o->u.global.name, module, nm);
    o->u.global.name[nm] = '.';
    memcpy(o->u.global.name + nm + 1, name, nn);
    o->u.global.name[nm + 1 + nn] = '\0';
    return o;
}

/* GLOBAL: "module\nname\n", printable ASCII. */
static nr_result op_global(pk_ctx *c)
{
    const char *part[2];
    size_t len[2];
    for (int k = 0; k < 2; k++) {
        size_t s = c->pos;
        while (c->pos < c->n && c->buf[c->pos] != '\n') {
            unsigned char ch = c->buf[c->pos];
            if (ch < 0x21 || ch > 0x7e) return bad(c, NR_ERR_FORMAT, "GLOBAL name has a non-printable byte");
            if (c->pos - s >= PK_MAX_LINE) return bad(c, NR_ERR_FORMAT, "GLOBAL name too long");
            c->pos++;
        }
        if (c->pos >= c->n) return bad(c, NR_ERR_FORMAT, "truncated GLOBAL");
        part[k] = (const char *)c->buf + s;
        len[k] = c->pos - s;
        c->pos++;
        if (!len[k]) return bad(c, NR_ERR_FORMAT, "empty GLOBAL name");
    }
    return push(c, mk_global(c, part[0], len[0], part[1], len[1]));
}

static nr_result op_stack_global(pk_ctx *c)
{
    pk_obj *name = pop(c), *module = name ? pop(c) : NULL;
    if (!module) return NR_ERR_FORMAT;
    if (name->type != PK_STR || module->type != PK_STR || !name->u.str.len || !module->u.str.len ||
        name->u.str.len > PK_MAX_LINE || module->u.str.len > PK_MAX_LINE)
        return bad(c, NR_ERR_FORMAT, "STACK_GLOBAL needs two names");
    for (int k = 0; k < 2; k++) {
        const pk_obj *s = k ? name : module;
        for (size_t i = 0; i < s->u.str.len; i++)
            if ((unsigned char)s->u.str.s[i] < 0x21 || s->u.str.s[i] == 0x7f)
                return bad(c, NR_ERR_FORMAT, "STACK_GLOBAL name has a non-printable byte");
    }
    return push(c, mk_global(c, module->u.str.s, module->u.str.len, name->u.str.s, name->u.str.len));
}

/* ---- calling a GLOBAL ---- */

static int is_global(const pk_obj *o, const char *name)
{
    return o && o->type == PK_GLOBAL && !strcmp(o->u.global.name, name);
}

static int get_int(const pk_obj *o, int64_t *v)
{
    if (o->type == PK_INT) *v = o->u.i;
    else if (o->type == PK_BOOL) *v = o->u.b;
    else return 0;
    return 1;
}

static nr_result int_tuple(pk_ctx *c, const pk_obj *t, int64_t *out, int *ndim, const char *what)
{
    if ((t->type != PK_TUPLE && t->type != PK_LIST) || t->u.seq.n > PK_MAX_DIMS) {
        char msg[96];
        snprintf(msg, sizeof msg, "tensor %s must be a tuple of at most %d integers", what, PK_MAX_DIMS);
        return bad(c, NR_ERR_FORMAT, msg);
    }
    for (int i = 0; i < t->u.seq.n; i++) {
        if (!get_int(t->u.seq.items[i], &out[i]) || out[i] < 0) {
            char msg[96];
            snprintf(msg, sizeof msg, "tensor %s must hold non-negative integers", what);
            return bad(c, NR_ERR_FORMAT, msg);
        }
    }
    *ndim = t->u.seq.n;
    return NR_OK;
}

/* torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, meta]) */
static nr_result rebuild_tensor(pk_ctx *c, const pk_obj *args, pk_obj **out)
{
    if (args->u.seq.n < 4) return bad(c, NR_ERR_FORMAT, "_rebuild_tensor needs (storage, offset, size, stride)");
    pk_obj *st = args->u.seq.items[0];
    if (st->type != PK_STORAGE) return bad(c, NR_ERR_FORMAT, "_rebuild_tensor's first argument is not a storage");
    pk_obj *t = mk(c, PK_TENSOR);
    if (!t) return NR_ERR_FORMAT;
    t->u.tensor.storage = st;
    if (!get_int(args->u.seq.items[1], &t->u.tensor.offset) || t->u.tensor.offset < 0)
        return bad(c, NR_ERR_FORMAT, "tensor storage offset must be a non-negative integer");
    int nd_stride = 0;
    nr_result r = int_tuple(c, args->u.seq.items[2], t->u.tensor.size, &t->u.tensor.ndim, "size");
    if (r == NR_OK) r = int_tuple(c, args->u.seq.items[3], t->u.tensor.stride, &nd_stride, "stride");
    if (r == NR_OK && nd_stride != t->u.tensor.ndim)
        r = bad(c, NR_ERR_FORMAT, "tensor size and stride have different lengths");
    *out = t;
    return r;
}

/* numpy.dtype('i8', False, True): only the kinds numpy scalars in module attributes use. */
static nr_result make_dtype(pk_ctx *c, const pk_obj *args, pk_obj **out)
{
    if (args->u.seq.n < 1 || args->u.seq.items[0]->type != PK_STR)
        return bad(c, NR_ERR_FORMAT, "numpy.dtype needs a type string");
    const char *s = args->u.seq.items[0]->u.str.s;
    size_t len = args->u.seq.items[0]->u.str.len;
    /* a kind and one or two digits; an empty string has no digits to read past its end */
    char kind = len >= 2 && len <= 3 ? s[0] : '\0';
    int size = kind ? atoi(s + 1) : 0;
    int ok = (kind == 'i' || kind == 'u') ? (size == 1 || size == 2 || size == 4 || size == 8)
             : kind == 'f'                ? (size == 4 || size == 8)
             : kind == 'b'                ? size == 1
                                          : 0;
    if (!ok) {
        char msg[96];
        snprintf(msg, sizeof msg, "unsupported numpy dtype '%.16s' (int, uint, float32/64, bool)", s);
        return bad(c, NR_ERR_UNSUPPORTED, msg);
    }
    pk_obj *d = mk(c, PK_DTYPE);
    if (!d) return NR_ERR_FORMAT;
    d->u.dtype.kind = kind;
    d->u.dtype.size = size;
    *out = d;
    return NR_OK;
}

/* numpy.core.multiarray.scalar(dtype, raw bytes) -> int, float or bool */
static nr_result numpy_scalar(pk_ctx *c, const pk_obj *args, pk_obj **out)
{
    if (args->u.seq.n != 2 || args->u.seq.items[0]->type != PK_DTYPE || args->u.seq.items[1]->type != PK_BYTES)
        return bad(c, NR_ERR_FORMAT, "numpy scalar needs (dtype, bytes)");
    const pk_obj *d = args->u.seq.items[0], *b = args->u.seq.items[1];
    int k = d->u.dtype.size;
    if (b->u.str.len != (size_t)k) return bad(c, NR_ERR_FORMAT, "numpy scalar's bytes do not match its dtype");
    unsigned char raw[8];
    for (int i = 0; i < k; i++) raw[i] = (unsigned char)b->u.str.s[d->u.dtype.big ? k - 1 - i : i];
    uint64_t v = rd_le(raw, k);
    pk_obj *o;
    if (d->u.dtype.kind == 'f') {
        o = mk(c, PK_FLOAT);
        if (!o) return NR_ERR_FORMAT;
        if (k == 4) {
            float f;
            uint32_t u = (uint32_t)v;
            memcpy(&f, &u, 4);
            o->u.f = f;
        } else {
            memcpy(&o->u.f, &v, 8);
        }
    } else if (d->u.dtype.kind == 'b') {
        o = mk(c, PK_BOOL);
        if (!o) return NR_ERR_FORMAT;
        o->u.b = v != 0;
    } else {
        if (d->u.dtype.kind == 'u' && k == 8 && v > (uint64_t)INT64_MAX)
            return bad(c, NR_ERR_UNSUPPORTED, "numpy uint64 scalar too large");
        int64_t s = (int64_t)v;
        if (d->u.dtype.kind == 'i' && k < 8 && (v >> (8 * k - 1)) & 1) s = (int64_t)(v | (~(uint64_t)0 << (8 * k)));
        o = mk_int(c, s);
        if (!o) return NR_ERR_FORMAT;
    }
    *out = o;
    return NR_OK;
}

/* _codecs.encode(str, 'latin1'): how protocol 2 stores bytes. */
static nr_result codecs_encode(pk_ctx *c, const pk_obj *args, pk_obj **out)
{
    if (args->u.seq.n != 2 || args->u.seq.items[0]->type != PK_STR ||
        !(pk_is_str(args->u.seq.items[1], "latin1") || pk_is_str(args->u.seq.items[1], "latin-1")))
        return bad(c, NR_ERR_UNSUPPORTED, "_codecs.encode is only supported as (str, 'latin1')");
    const pk_obj *s = args->u.seq.items[0];
    unsigned char *tmp = malloc(s->u.str.len + 1);
    if (!tmp) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s->u.str.s;
    for (size_t i = 0; i < s->u.str.len;) {
        if (p[i] < 0x80) {
            tmp[n++] = p[i++];
        } else if ((p[i] & 0xE0) == 0xC0 && p[i] <= 0xC3) { /* U+0080..U+00FF; validated UTF-8 */
            tmp[n++] = (unsigned char)(((p[i] & 0x03) << 6) | (p[i + 1] & 0x3F));
            i += 2;
        } else {
            free(tmp);
            return bad(c, NR_ERR_FORMAT, "latin1 text holds a character above U+00FF");
        }
    }
    pk_obj *o = mk_str(c, PK_BYTES, tmp, n);
    free(tmp);
    if (!o) return NR_ERR_FORMAT;
    *out = o;
    return NR_OK;
}

static nr_result call(pk_ctx *c, pk_obj *fn, pk_obj *args, pk_obj **out)
{
    if (fn->type != PK_GLOBAL) return bad(c, NR_ERR_FORMAT, "REDUCE on something that is not a class or function");
    if (args->type != PK_TUPLE) return bad(c, NR_ERR_FORMAT, "REDUCE arguments are not a tuple");
    const char *name = fn->u.global.name;
    int n = args->u.seq.n;
    pk_obj **a = args->u.seq.items;
    if (!strcmp(name, "torch._utils._rebuild_tensor_v2") || !strcmp(name, "torch._utils._rebuild_tensor"))
        return rebuild_tensor(c, args, out);
    if (!strcmp(name, "torch._utils._rebuild_parameter") ||
        !strcmp(name, "torch._utils._rebuild_parameter_with_state")) {
        if (n < 1 || a[0]->type != PK_TENSOR) return bad(c, NR_ERR_FORMAT, "_rebuild_parameter needs a tensor");
        *out = a[0];
        return NR_OK;
    }
    if (!strcmp(name, "collections.OrderedDict") || !strcmp(name, "builtins.dict") ||
        !strcmp(name, "__builtin__.dict")) {
        pk_obj *d = mk(c, PK_DICT);
        if (!d) return NR_ERR_FORMAT;
        if (n > 1) return bad(c, NR_ERR_FORMAT, "OrderedDict takes at most one argument");
        if (n == 1) { /* a list of (key, value) pairs */
            pk_obj *l = a[0];
            if (l->type != PK_LIST && l->type != PK_TUPLE) return bad(c, NR_ERR_FORMAT, "OrderedDict needs pairs");
            for (int i = 0; i < l->u.seq.n; i++) {
                pk_obj *p = l->u.seq.items[i];
                if ((p->type != PK_TUPLE && p->type != PK_LIST) || p->u.seq.n != 2)
                    return bad(c, NR_ERR_FORMAT, "OrderedDict needs pairs");
                nr_result r = dict_set(c, d, p->u.seq.items[0], p->u.seq.items[1]);
                if (r != NR_OK) return r;
            }
        }
        *out = d;
        return NR_OK;
    }
    if (!strcmp(name, "__builtin__.set") || !strcmp(name, "builtins.set")) {
        if (n > 1 || (n == 1 && a[0]->type != PK_LIST && a[0]->type != PK_TUPLE))
            return bad(c, NR_ERR_FORMAT, "set needs a list");
        *out = n ? mk_seq(c, PK_SET, a[0]->u.seq.items, a[0]->u.seq.n) : mk(c, PK_SET);
        return *out ? NR_OK : NR_ERR_FORMAT;
    }
    if (!strcmp(name, "torch.Size")) {
        if (n != 1 || a[0]->type != PK_TUPLE) return bad(c, NR_ERR_FORMAT, "torch.Size needs a tuple");
        *out = a[0];
        return NR_OK;
    }
    if (!strcmp(name, "numpy.dtype")) return make_dtype(c, args, out);
    if (!strcmp(name, "numpy.core.multiarray.scalar") || !strcmp(name, "numpy._core.multiarray.scalar"))
        return numpy_scalar(c, args, out);
    if (!strcmp(name, "_codecs.encode")) return codecs_encode(c, args, out);
    /* Anything else: an object that remembers its class and constructor arguments. */
    pk_obj *o = mk(c, PK_OBJ);
    if (!o) return NR_ERR_FORMAT;
    o->u.obj.cls = fn;
    o->u.obj.args = args;
    *out = o;
    return NR_OK;
}

static nr_result op_build(pk_ctx *c)
{
    pk_obj *state = pop(c), *o = state ? top(c) : NULL;
    if (!o) return NR_ERR_FORMAT;
    switch (o->type) {
    case PK_OBJ:
        /* (dict, slots) pairs keep the dict part: modules only use their __dict__. */
        if (state->type == PK_TUPLE && state->u.seq.n == 2 && state->u.seq.items[0]->type == PK_DICT)
            state = state->u.seq.items[0];
        o->u.obj.state = state;
        return NR_OK;
    case PK_DTYPE:
        /* numpy's dtype state: (version, byteorder, ...) */
        if (state->type == PK_TUPLE && state->u.seq.n >= 2 && state->u.seq.items[1]->type == PK_STR)
            o->u.dtype.big = pk_is_str(state->u.seq.items[1], ">");
        return NR_OK;
    case PK_TENSOR: /* tensor attributes (rare) and a state_dict's _metadata carry nothing we keep */
    case PK_DICT: return NR_OK;
    default: return bad(c, NR_ERR_FORMAT, "BUILD on a value that has no state");
    }
}

/* BINPERSID: ('storage', torch.FloatStorage, key, location, numel) */
static nr_result op_persid(pk_ctx *c)
{
    pk_obj *pid = pop(c);
    if (!pid) return NR_ERR_FORMAT;
    if (pid->type != PK_TUPLE || pid->u.seq.n < 5 || !pk_is_str(pid->u.seq.items[0], "storage"))
        return bad(c, NR_ERR_FORMAT, "persistent id is not ('storage', type, key, location, numel)");
    pk_obj **a = pid->u.seq.items;
    if (a[1]->type != PK_GLOBAL) return bad(c, NR_ERR_FORMAT, "storage type is not a class");
    if (strcmp(a[1]->u.global.name, "torch.FloatStorage") != 0) {
        char msg[400];
        snprintf(msg, sizeof msg, "unsupported storage type %s (only float32 weights, torch.FloatStorage)",
                 a[1]->u.global.name);
        return bad(c, NR_ERR_UNSUPPORTED, msg);
    }
    if (a[2]->type != PK_STR || a[2]->u.str.len == 0 || a[2]->u.str.len > 64)
        return bad(c, NR_ERR_FORMAT, "storage key must be a short string");
    for (size_t i = 0; i < a[2]->u.str.len; i++) {
        char ch = a[2]->u.str.s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_'))
            return bad(c, NR_ERR_FORMAT, "storage key holds characters other than letters, digits and '_'");
    }
    int64_t numel;
    if (!get_int(a[4], &numel) || numel < 0) return bad(c, NR_ERR_FORMAT, "storage size must be a non-negative integer");
    pk_obj *s = mk(c, PK_STORAGE);
    if (!s) return NR_ERR_FORMAT;
    s->u.storage.key = strdup(a[2]->u.str.s);
    if (!s->u.storage.key) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
    s->u.storage.numel = numel;
    return push(c, s);
}

static nr_result memo_put(pk_ctx *c, uint64_t idx)
{
    pk_obj *o = top(c);
    if (!o) return NR_ERR_FORMAT;
    if (idx >= PK_MAX_MEMO) return bad(c, NR_ERR_FORMAT, "memo index too large");
    int old = c->cap_memo;
    if (!grow((void **)&c->memo, &c->cap_memo, (int)idx + 1, sizeof *c->memo))
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
    for (int i = old; i < c->cap_memo; i++) c->memo[i] = NULL;
    if (!c->memo[idx]) c->n_memo++;
    c->memo[idx] = o;
    return NR_OK;
}

static nr_result memo_get(pk_ctx *c, uint64_t idx)
{
    if (idx >= (uint64_t)c->cap_memo || !c->memo[idx]) return bad(c, NR_ERR_FORMAT, "memo entry never stored");
    return push(c, c->memo[idx]);
}

static nr_result step(pk_ctx *c, int *stop)
{
    c->op_pos = c->pos;
    if (!need(c, 1)) return NR_ERR_FORMAT;
    unsigned char op = c->buf[c->pos++];
    int first;
    nr_result r;
    pk_obj *o = NULL, *k, *v;
    switch (op) {
    case 0x80: /* PROTO */
        if (!need(c, 1)) return NR_ERR_FORMAT;
        if (c->buf[c->pos] > 5) return bad(c, NR_ERR_UNSUPPORTED, "pickle protocol above 5");
        c->pos++;
        return NR_OK;
    case 0x95: /* FRAME: a length hint */
        if (!need(c, 8)) return NR_ERR_FORMAT;
        c->pos += 8;
        return NR_OK;
    case '.': *stop = 1; return NR_OK;
    case 'c': return op_global(c);
    case 0x93: return op_stack_global(c);
    case 'Q': return op_persid(c);
    case 'R':
    case 0x81: /* REDUCE, NEWOBJ */
        v = pop(c);
        k = v ? pop(c) : NULL;
        if (!k) return NR_ERR_FORMAT;
        if (op == 'R') {
            r = call(c, k, v, &o);
        } else {
            if (k->type != PK_GLOBAL || v->type != PK_TUPLE)
                return bad(c, NR_ERR_FORMAT, "NEWOBJ needs a class and a tuple");
            if (is_global(k, "collections.OrderedDict")) return push(c, mk(c, PK_DICT));
            o = mk(c, PK_OBJ);
            r = o ? NR_OK : NR_ERR_FORMAT;
            if (o) {
                o->u.obj.cls = k;
                o->u.obj.args = v;
            }
        }
        return r == NR_OK ? push(c, o) : r;
    case 'b': return op_build(c);
    case '(':
        if (!grow((void **)&c->marks, &c->cap_marks, c->n_marks + 1, sizeof *c->marks))
            return nr_fail(NR_ERR_NOMEM, "%s: out of memory", c->what);
        c->marks[c->n_marks++] = c->n_stack;
        return NR_OK;
    case '1': /* POP_MARK */
        if ((r = pop_mark(c, &first)) != NR_OK) return r;
        c->n_stack = first;
        return NR_OK;
    case '0': return pop(c) ? NR_OK : NR_ERR_FORMAT;
    case '2': return (o = top(c)) ? push(c, o) : NR_ERR_FORMAT;
    case ')': return push(c, mk(c, PK_TUPLE));
    case ']': return push(c, mk(c, PK_LIST));
    case '}': return push(c, mk(c, PK_DICT));
    case 0x8f: return push(c, mk(c, PK_SET));
    case 't':
    case 'l':
        if ((r = pop_mark(c, &first)) != NR_OK) return r;
        o = mk_seq(c, op == 't' ? PK_TUPLE : PK_LIST, c->stack + first, c->n_stack - first);
        c->n_stack = first;
        return push(c, o);
    case 0x85:
    case 0x86:
    case 0x87: {
        int n = op - 0x84;
        if (c->n_stack - base(c) < n) return bad(c, NR_ERR_FORMAT, "stack underflow");
        o = mk_seq(c, PK_TUPLE, c->stack + c->n_stack - n, n);
        c->n_stack -= n;
        return push(c, o);
    }
    case 'd':
        if ((r = pop_mark(c, &first)) != NR_OK) return r;
        if ((c->n_stack - first) % 2) return bad(c, NR_ERR_FORMAT, "odd number of items for a dict");
        if (!(o = mk(c, PK_DICT))) return NR_ERR_FORMAT;
        for (int i = first; i < c->n_stack; i += 2)
            if ((r = dict_set(c, o, c->stack[i], c->stack[i + 1])) != NR_OK) return r;
        c->n_stack = first;
        return push(c, o);
    case 's':
        v = pop(c);
        k = v ? pop(c) : NULL;
        o = k ? top(c) : NULL;
        if (!o) return NR_ERR_FORMAT;
        if (o->type != PK_DICT) return bad(c, NR_ERR_FORMAT, "SETITEM on something that is not a dict");
        return dict_set(c, o, k, v);
    case 'u':
        if ((r = pop_mark(c, &first)) != NR_OK) return r;
        if ((c->n_stack - first) % 2) return bad(c, NR_ERR_FORMAT, "odd number of items for SETITEMS");
        if (first <= base(c) || c->stack[first - 1]->type != PK_DICT)
            return bad(c, NR_ERR_FORMAT, "SETITEMS on something that is not a dict");
        o = c->stack[first - 1];
        for (int i = first; i < c->n_stack; i += 2)
            if ((r = dict_set(c, o, c->stack[i], c->stack[i + 1])) != NR_OK) return r;
        c->n_stack = first;
        return NR_OK;
    case 'a':
        v = pop(c);
        o = v ? top(c) : NULL;
        if (!o) return NR_ERR_FORMAT;
        if (o->type != PK_LIST) return bad(c, NR_ERR_FORMAT, "APPEND on something that is not a list");
        return seq_add(c, o, v);
    case 'e':
    case 0x90: /* APPENDS, ADDITEMS */
        if ((r = pop_mark(c, &first)) != NR_OK) return r;
        if (first <= base(c) || c->stack[first - 1]->type != (op == 'e' ? PK_LIST : PK_SET))
            return bad(c, NR_ERR_FORMAT, op == 'e' ? "APPENDS on something that is not a list"
                                                   : "ADDITEMS on something that is not a set");
        o = c->stack[first - 1];
        for (int i = first; i < c->n_stack; i++)
            if ((r = seq_add(c, o, c->stack[i])) != NR_OK) return r;
        c->n_stack = first;
        return NR_OK;
    case 'h':
    case 'q':
        if (!need(c, 1)) return NR_ERR_FORMAT;
        c->pos++;
        return op == 'h' ? memo_get(c, c->buf[c->pos - 1]) : memo_put(c, c->buf[c->pos - 1]);
    case 'j':
    case 'r':
        if (!need(c, 4)) return NR_ERR_FORMAT;
        c->pos += 4;
        return op == 'j' ? memo_get(c, rd_le(c->buf + c->pos - 4, 4)) : memo_put(c, rd_le(c->buf + c->pos - 4, 4));
    case 0x94: return memo_put(c, (uint64_t)c->n_memo); /* MEMOIZE */
    case 'J':
        if (!need(c, 4)) return NR_ERR_FORMAT;
        c->pos += 4;
        return push(c, mk_int(c, (int32_t)(uint32_t)rd_le(c->buf + c->pos - 4, 4)));
    case 'K':
        if (!need(c, 1)) return NR_ERR_FORMAT;
        return push(c, mk_int(c, c->buf[c->pos++]));
    case 'M':
        if (!need(c, 2)) return NR_ERR_FORMAT;
        c->pos += 2;
        return push(c, mk_int(c, (int64_t)rd_le(c->buf + c->pos - 2, 2)));
    case 0x8a: { /* LONG1: little-endian two's complement of n bytes */
        if (!need(c, 1)) return NR_ERR_FORMAT;
        int n = c->buf[c->pos++];
        if (n > 8) return bad(c, NR_ERR_UNSUPPORTED, "integer wider than 64 bits");
        if (!need(c, (size_t)n)) return NR_ERR_FORMAT;
        uint64_t u = rd_le(c->buf + c->pos, n);
        if (n > 0 && n < 8 && (u >> (8 * n - 1)) & 1) u |= ~(uint64_t)0 << (8 * n);
        c->pos += (size_t)n;
        return push(c, mk_int(c, (int64_t)u));
    }
    case 'G': {
        if (!need(c, 8)) return NR_ERR_FORMAT;
        uint64_t u = 0;
        for (int i = 0; i < 8; i++) u = (u << 8) | c->buf[c->pos + (size_t)i]; /* big-endian */
        c->pos += 8;
        if (!(o = mk(c, PK_FLOAT))) return NR_ERR_FORMAT;
        memcpy(&o->u.f, &u, 8);
        return push(c, o);
    }
    case 'X': return op_string(c, PK_STR, 4);
    case 0x8c: return op_string(c, PK_STR, 1);
    case 0x8d: return op_string(c, PK_STR, 8);
    case 'B': return op_string(c, PK_BYTES, 4);
    case 'C': return op_string(c, PK_BYTES, 1);
    case 'N': return push(c, mk(c, PK_NONE));
    case 0x88:
    case 0x89:
        if (!(o = mk(c, PK_BOOL))) return NR_ERR_FORMAT;
        o->u.b = op == 0x88;
        return push(c, o);
    default: {
        char msg[128];
        snprintf(msg, sizeof msg, "unknown opcode 0x%02x (a damaged file, or a pickle feature torch.save does not use)", op);
        return bad(c, NR_ERR_FORMAT, msg);
    }
    }
}

nr_result pk_load(pk_vm *vm, const unsigned char *buf, size_t n, const char *what)
{
    pk_ctx c;
    memset(&c, 0, sizeof c);
    c.vm = vm;
    c.buf = buf;
    c.n = n;
    c.what = what;
    vm->result = NULL;
    /* Never NULL: MARK + TUPLE on an empty stack builds from stack + 0. */
    if (!grow((void **)&c.stack, &c.cap_stack, 64, sizeof *c.stack)) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
    nr_result r = NR_OK;
    int stop = 0;
    while (r == NR_OK && !stop) r = step(&c, &stop);
    if (r == NR_OK) {
        c.n_marks = 0;
        vm->result = pop(&c);
        if (!vm->result) r = NR_ERR_FORMAT;
    }
    free(c.stack);
    free(c.marks);
    free(c.memo);
    return r;
}
