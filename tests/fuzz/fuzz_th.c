/* libFuzzer target: the .th reader (zip + pickle VM + module tree). Inputs starting with 'P' are zip
 * archives; others are wrapped as the archive's pickle (tests/th_build.h). */
#include "nr/tensors.h"
#include "../th_build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nr_tensor_set ts;
    tb_read_th_input(data, size, "fuzz.th", &ts);
    nr_tensor_set_free(&ts);
    return 0;
}
