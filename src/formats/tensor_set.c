#include "nr/tensors.h"

#include <stdlib.h>
#include <string.h>

static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static const char *tensor_name(const nr_tensor_set *s, int i) { return s->tensors[i].name; }
static const char *meta_key(const nr_tensor_set *s, int i) { return s->meta[i].key; }
typedef const char *(*name_at_fn)(const nr_tensor_set *s, int i);

/* Entry index of `name`, or -1. */
static int index_find(const nr_tensor_set *s, const nr_name_index *ix, name_at_fn name_at, const char *name)
{
    if (!ix->cap) return -1; /* no entry was ever added */
    for (uint64_t h = name_hash(name), k = 0; k < (uint64_t)ix->cap; k++) {
        int slot = ix->slots[(h + k) & (uint64_t)(ix->cap - 1)];
        if (!slot) return -1;
        if (!strcmp(name_at(s, slot - 1), name)) return slot - 1;
    }
    return -1;
}

static void index_put(nr_name_index *ix, const char *name, int entry)
{
    for (uint64_t h = name_hash(name), k = 0;; k++) {
        int *slot = &ix->slots[(h + k) & (uint64_t)(ix->cap - 1)];
        if (!*slot) {
            *slot = entry + 1;
            return;
        }
    }
}

/* Makes room for n entries (load at most 1/2), rebuilding the index when it grows. */
static int index_reserve(const nr_tensor_set *s, nr_name_index *ix, name_at_fn name_at, int n)
{
    if (ix->cap >= 2 * n && ix->cap) return 1;
    int cap = ix->cap ? ix->cap : 64;
    while (cap < 2 * n) cap *= 2;
    int *slots = calloc((size_t)cap, sizeof *slots);
    if (!slots) return 0;
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    for (int i = 0; i < n - 1; i++) index_put(ix, name_at(s, i), i);
    return 1;
}

void nr_tensor_set_free(nr_tensor_set *s)
{
    free(s->tensor_index.slots);
    free(s->meta_index.slots);
    for (int i = 0; i < s->n_tensors; i++) {
        free(s->tensors[i].name);
        free(s->tensors[i].data);
    }
    for (int i = 0; i < s->n_meta; i++) {
        free(s->meta[i].key);
        free(s->meta[i].value);
    }
    free(s->tensors);
    free(s->meta);
    memset(s, 0, sizeof *s);
}

const nr_tensor *nr_tensor_set_find(const nr_tensor_set *s, const char *name)
{
    int i = index_find(s, &s->tensor_index, tensor_name, name);
    return i < 0 ? NULL : &s->tensors[i];
}

nr_result nr_tensor_set_add(nr_tensor_set *s, const char *name, int ndim, const int64_t *shape,
                            const float *data)
{
    if (ndim < 0 || ndim > NR_MAX_DIMS)
        return nr_fail(NR_ERR_SHAPE, "tensor '%s' has %d dimensions (at most %d)", name, ndim, NR_MAX_DIMS);
    if (nr_tensor_set_find(s, name)) return nr_fail(NR_ERR_FORMAT, "tensor '%s' appears twice", name);
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0 || (shape[d] > 0 && numel > ((int64_t)1 << 32) / shape[d]))
            return nr_fail(NR_ERR_SHAPE, "tensor '%s' has an impossible shape", name);
        numel *= shape[d];
    }
    if (s->n_tensors == s->cap_tensors) {
        int cap = s->cap_tensors ? 2 * s->cap_tensors : 64;
        nr_tensor *t = realloc(s->tensors, (size_t)cap * sizeof *t);
        if (!t) return nr_fail(NR_ERR_NOMEM, "out of memory");
        s->tensors = t;
        s->cap_tensors = cap;
    }
    /* index the names of the entries before this one; this one is added below once it exists */
    if (!index_reserve(s, &s->tensor_index, tensor_name, s->n_tensors + 1)) return nr_fail(NR_ERR_NOMEM, "out of memory");
    nr_tensor *t = &s->tensors[s->n_tensors];
    memset(t, 0, sizeof *t);
    size_t bytes = (size_t)(numel > 0 ? numel : 1) * sizeof(float);
    bytes = (bytes + 63) & ~(size_t)63;
    t->data = aligned_alloc(64, bytes);
    t->name = strdup(name);
    if (!t->data || !t->name) {
        free(t->data);
        free(t->name);
        return nr_fail(NR_ERR_NOMEM, "out of memory for tensor '%s'", name);
    }
    if (data)
        memcpy(t->data, data, (size_t)numel * sizeof(float));
    else
        memset(t->data, 0, bytes);
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++) t->shape[d] = shape[d];
    t->numel = numel;
    index_put(&s->tensor_index, t->name, s->n_tensors);
    s->n_tensors++;
    return NR_OK;
}

const char *nr_tensor_set_meta(const nr_tensor_set *s, const char *key)
{
    int i = index_find(s, &s->meta_index, meta_key, key);
    return i < 0 ? NULL : s->meta[i].value;
}

nr_result nr_tensor_set_set_meta(nr_tensor_set *s, const char *key, const char *value)
{
    int i = index_find(s, &s->meta_index, meta_key, key);
    if (i >= 0) {
        char *v = strdup(value);
        if (!v) return nr_fail(NR_ERR_NOMEM, "out of memory");
        free(s->meta[i].value);
        s->meta[i].value = v;
        return NR_OK;
    }
    if (s->n_meta == s->cap_meta) {
        int cap = s->cap_meta ? 2 * s->cap_meta : 32;
        nr_meta *m = realloc(s->meta, (size_t)cap * sizeof *m);
        if (!m) return nr_fail(NR_ERR_NOMEM, "out of memory");
        s->meta = m;
        s->cap_meta = cap;
    }
    if (!index_reserve(s, &s->meta_index, meta_key, s->n_meta + 1)) return nr_fail(NR_ERR_NOMEM, "out of memory");
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return nr_fail(NR_ERR_NOMEM, "out of memory");
    }
    s->meta[s->n_meta].key = k;
    s->meta[s->n_meta].value = v;
    index_put(&s->meta_index, k, s->n_meta);
    s->n_meta++;
    return NR_OK;
}

/* Drops the index and builds it again for the n entries (after a removal shifted them). */
static void index_rebuild(const nr_tensor_set *s, nr_name_index *ix, name_at_fn name_at, int n)
{
    if (ix->cap) memset(ix->slots, 0, (size_t)ix->cap * sizeof *ix->slots);
    for (int i = 0; i < n; i++) index_put(ix, name_at(s, i), i);
}

float *nr_tensor_set_take(nr_tensor_set *s, int i)
{
    float *data = s->tensors[i].data;
    free(s->tensors[i].name);
    memmove(&s->tensors[i], &s->tensors[i + 1], (size_t)(s->n_tensors - i - 1) * sizeof *s->tensors);
    s->n_tensors--;
    index_rebuild(s, &s->tensor_index, tensor_name, s->n_tensors);
    return data;
}

void nr_tensor_set_remove_meta(nr_tensor_set *s, int i)
{
    free(s->meta[i].key);
    free(s->meta[i].value);
    memmove(&s->meta[i], &s->meta[i + 1], (size_t)(s->n_meta - i - 1) * sizeof *s->meta);
    s->n_meta--;
    index_rebuild(s, &s->meta_index, meta_key, s->n_meta);
}
