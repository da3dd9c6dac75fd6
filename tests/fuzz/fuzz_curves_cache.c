/* libFuzzer target: the data set's curve cache reader (.nrc) on arbitrary bytes written to a temp file. */
#include "nr/dataset.h"
#include "fuzz_file.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, "nrc");
    if (!path) return 0;
    nr_curves c;
    if (nr_curves_cache_read(path, &c) == NR_OK) nr_curves_free(&c);
    return 0;
}
