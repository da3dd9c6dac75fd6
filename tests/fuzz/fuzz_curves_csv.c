/* libFuzzer target: the curves CSV reader on arbitrary bytes (it reads files, so through a temp file). */
#include "neurorack.h"
#include "fuzz_file.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, "csv");
    if (!path) return 0;
    nr_curves c;
    if (nr_curves_read_csv(path, &c) == NR_OK) nr_curves_free(&c);
    return 0;
}
