/* Named float32 tensors with string metadata: what model files hold. Not audio-thread safe. */
#ifndef NR_TENSORS_H
#define NR_TENSORS_H

#include "nr/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NR_MAX_DIMS 4

typedef struct {
    char *name;
    int ndim;
    int64_t shape[NR_MAX_DIMS];
    int64_t numel;
    float *data; /* (shape...) C order, 64-byte aligned */
} nr_tensor;

typedef struct {
    char *key;
    char *value;
} nr_meta;

/* Open-addressing hash index over names (slot = entry index + 1, 0 = empty; cap a power of two). */
typedef struct {
    int *slots;
    int cap;
} nr_name_index;

typedef struct {
    int n_tensors, cap_tensors;
    nr_tensor *tensors;
    int n_meta, cap_meta;
    nr_meta *meta;
    nr_name_index tensor_index, meta_index; /* lookups in O(1): files may hold 100,000 names */
} nr_tensor_set;

void nr_tensor_set_free(nr_tensor_set *s);
const nr_tensor *nr_tensor_set_find(const nr_tensor_set *s, const char *name);
/* Adds a tensor; data is copied (NULL gives zeros). Names are unique: a second add fails. */
nr_result nr_tensor_set_add(nr_tensor_set *s, const char *name, int ndim, const int64_t *shape,
                            const float *data);
const char *nr_tensor_set_meta(const nr_tensor_set *s, const char *key); /* NULL if absent */
nr_result nr_tensor_set_set_meta(nr_tensor_set *s, const char *key, const char *value);
/* Removes tensor i and hands its data (free() it) to the caller; later entries move down by one. */
float *nr_tensor_set_take(nr_tensor_set *s, int i);
/* Removes metadata entry i; later entries move down by one. */
void nr_tensor_set_remove_meta(nr_tensor_set *s, int i);

/* The original's PyTorch weights: a zip archive holding a protocol-2 pickle of the whole nn.Module
 * and raw float32 storages. Tensors get their state_dict names ("m_cond.l_conv1ds.0.weight"); every
 * module's class becomes metadata "<path>.__class__" ("__class__" for the root) and every scalar
 * hyper-parameter in a module's __dict__ becomes "<path>.<attr>" (e.g. "m_source.l_sin_gen.sine_amp"
 * = "0.1"). `what` names the source in error messages.
 * Attribute text: ints (numpy integer scalars too) in decimal, floats as the shortest "%.17g"-exact
 * form that reads back to the same double ("0.1", "512"), bools "True"/"False", strings as they are.
 * Non-persistent buffers are skipped; a pickled state_dict (names -> tensors) is read too.
 * Only float32 storages; strided views are copied to C order; views that overlap are refused. */
nr_result nr_th_read(const char *path, nr_tensor_set *out);
nr_result nr_th_read_mem(const void *buf, size_t n, const char *what, nr_tensor_set *out);

/* safetensors: 8-byte little-endian header size, JSON header, raw little-endian tensors; string
 * metadata in "__metadata__". Only F32 tensors; the data section must be exactly the tensors back to
 * back (no overlap, gap or trailing bytes); headers above 100 MB are refused. The writer keeps the set's
 * order, pads the header with spaces to 8 bytes and is atomic (temp file + fsync + rename). */
nr_result nr_safetensors_read(const char *path, nr_tensor_set *out);
nr_result nr_safetensors_read_mem(const void *buf, size_t n, const char *what, nr_tensor_set *out);
nr_result nr_safetensors_write(const char *path, const nr_tensor_set *s);

#ifdef __cplusplus
}
#endif
#endif
