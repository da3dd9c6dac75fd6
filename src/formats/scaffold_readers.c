/* SCAFFOLD: replaced by src/formats/th_reader.c, pickle.c and safetensors.c. */
#include "nr/tensors.h"
nr_result nr_th_read(const char *path, nr_tensor_set *out) { (void)out; return nr_fail(NR_ERR_UNSUPPORTED, "%s: .th reader not built yet", path); }
nr_result nr_th_read_mem(const void *b, size_t n, const char *w, nr_tensor_set *o) { (void)b; (void)n; (void)o; return nr_fail(NR_ERR_UNSUPPORTED, "%s: not built yet", w); }
nr_result nr_safetensors_read(const char *path, nr_tensor_set *out) { (void)out; return nr_fail(NR_ERR_UNSUPPORTED, "%s: not built yet", path); }
nr_result nr_safetensors_read_mem(const void *b, size_t n, const char *w, nr_tensor_set *o) { (void)b; (void)n; (void)o; return nr_fail(NR_ERR_UNSUPPORTED, "%s: not built yet", w); }
nr_result nr_safetensors_write(const char *path, const nr_tensor_set *s) { (void)s; return nr_fail(NR_ERR_UNSUPPORTED, "%s: not built yet", path); }
