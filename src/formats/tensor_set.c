#include "nr/tensors.h"

#include <stdlib.h>
#include <string.h>

void nr_tensor_set_free(nr_tensor_set *s)
{
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
    for (int i = 0; i < s->n_tensors; i++)
        if (!strcmp(s->tensors[i].name, name)) return &s->tensors[i];
    return NULL;
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
    s->n_tensors++;
    return NR_OK;
}

const char *nr_tensor_set_meta(const nr_tensor_set *s, const char *key)
{
    for (int i = 0; i < s->n_meta; i++)
        if (!strcmp(s->meta[i].key, key)) return s->meta[i].value;
    return NULL;
}

nr_result nr_tensor_set_set_meta(nr_tensor_set *s, const char *key, const char *value)
{
    for (int i = 0; i < s->n_meta; i++) {
        if (!strcmp(s->meta[i].key, key)) {
            char *v = strdup(value);
            if (!v) return nr_fail(NR_ERR_NOMEM, "out of memory");
            free(s->meta[i].value);
            s->meta[i].value = v;
            return NR_OK;
        }
    }
    if (s->n_meta == s->cap_meta) {
        int cap = s->cap_meta ? 2 * s->cap_meta : 32;
        nr_meta *m = realloc(s->meta, (size_t)cap * sizeof *m);
        if (!m) return nr_fail(NR_ERR_NOMEM, "out of memory");
        s->meta = m;
        s->cap_meta = cap;
    }
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return nr_fail(NR_ERR_NOMEM, "out of memory");
    }
    s->meta[s->n_meta].key = k;
    s->meta[s->n_meta].value = v;
    s->n_meta++;
    return NR_OK;
}
