/* Internal: a pickle virtual machine for what torch.save writes (protocol 2, plus the common
 * protocol 3/4 opcodes). It rebuilds a plain object graph; nothing is imported or executed:
 * a GLOBAL is only a name, and calling it either builds one of the few known values (tensors,
 * OrderedDict, set, numpy scalars) or a generic object that remembers its class and arguments. */
#ifndef NR_PICKLE_H
#define NR_PICKLE_H

#include "nr/core.h"

#include <stddef.h>
#include <stdint.h>

#define PK_MAX_DIMS 8

typedef enum {
    PK_NONE,
    PK_BOOL,
    PK_INT,
    PK_FLOAT,
    PK_STR,     /* valid UTF-8, length in u.str.len (may hold NUL bytes) */
    PK_BYTES,
    PK_TUPLE,
    PK_LIST,
    PK_SET,
    PK_DICT,
    PK_GLOBAL,  /* "module.name" */
    PK_OBJ,     /* an instance of a class we do not know: class, constructor args, BUILD state */
    PK_STORAGE, /* a persistent id ('storage', torch.FloatStorage, key, location, numel) */
    PK_TENSOR,  /* torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...) */
    PK_DTYPE    /* numpy.dtype, only to decode numpy scalars */
} pk_type;

typedef struct pk_obj pk_obj;
struct pk_obj {
    pk_type type;
    union {
        int b;
        int64_t i;
        double f;
        struct {
            char *s; /* NUL-terminated too */
            size_t len;
        } str;
        struct {
            pk_obj **items;
            int n, cap;
        } seq; /* TUPLE, LIST, SET */
        struct {
            pk_obj **keys, **vals;
            int n, cap;
        } dict;
        struct {
            char *name;
        } global;
        struct {
            pk_obj *cls, *args, *state; /* state NULL until BUILD */
        } obj;
        struct {
            char *key;
            int64_t numel;
        } storage;
        struct {
            pk_obj *storage;
            int64_t offset;
            int ndim;
            int64_t size[PK_MAX_DIMS], stride[PK_MAX_DIMS];
        } tensor;
        struct {
            char kind;    /* 'i', 'u', 'f', 'b' */
            int size;     /* bytes */
            int big;      /* big-endian byte order */
        } dtype;
    } u;
};

typedef struct {
    pk_obj **all; /* every object made, freed together */
    int n_all, cap_all;
    pk_obj *result;
} pk_vm;

/* Run the pickle `buf` and leave its value in vm->result. `what` names the source in errors.
 * On failure every object made so far is still owned by vm: call pk_free either way. */
nr_result pk_load(pk_vm *vm, const unsigned char *buf, size_t n, const char *what);
void pk_free(pk_vm *vm);

/* Strict UTF-8 (no overlong forms, no surrogates); shared with the safetensors reader. */
int pk_utf8_valid(const void *s, size_t n);

/* Helpers for readers of the graph. */
const char *pk_type_name(const pk_obj *o);
int pk_is_str(const pk_obj *o, const char *s);
/* The value stored under string key `key` in a dict (the last one if repeated), or NULL. */
pk_obj *pk_dict_get(const pk_obj *dict, const char *key);

#endif
