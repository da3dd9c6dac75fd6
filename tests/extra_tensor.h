/* A model file holding one tensor more than its architecture reads is refused, with a message naming the
 * file and the tensor (a misspelt or leftover tensor would otherwise pass unnoticed). */
#ifndef NR_TEST_EXTRA_TENSOR_H
#define NR_TEST_EXTRA_TENSOR_H

#include "neurorack.h"
#include "nr/tensors.h"
#include "nr_test.h"

#include <string.h>

/* m: a loadable model; file: a name for the temporary safetensors file. */
static void check_extra_tensor_refused(const nr_model *m, const char *file)
{
    static const char extra[] = "head.unused_bias";
    const char *path = nt_tmp(file);
    NT_CHECKF(nr_model_save(m, path) == NR_OK, "save: %s", nr_last_error());
    nr_tensor_set ts;
    NT_CHECKF(nr_safetensors_read(path, &ts) == NR_OK, "read back: %s", nr_last_error());
    const int64_t shape[1] = {4};
    NT_CHECK(nr_tensor_set_add(&ts, extra, 1, shape, NULL) == NR_OK);
    NT_CHECKF(nr_safetensors_write(path, &ts) == NR_OK, "write: %s", nr_last_error());
    nr_tensor_set_free(&ts);
    nr_model *bad = NULL;
    nr_result r = nr_model_load(path, &bad);
    const char *msg = nr_last_error();
    NT_CHECKF(r == NR_ERR_FORMAT && !bad, "%s with an extra tensor: %s (%s)", file, nr_result_str(r), msg);
    NT_CHECKF(strstr(msg, path) && strstr(msg, extra), "message '%s' names neither the file nor the tensor", msg);
    nr_model_free(bad);
}

#endif
