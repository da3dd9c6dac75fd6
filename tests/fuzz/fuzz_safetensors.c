/* libFuzzer target: the safetensors reader. */
#include "nr/tensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nr_tensor_set ts;
    nr_safetensors_read_mem(data, size, "fuzz.safetensors", &ts);
    nr_tensor_set_free(&ts);
    return 0;
}
