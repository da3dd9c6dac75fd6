/* libFuzzer target: the data set's manifest.tsv reader on arbitrary bytes written to a temp file. It warns on
 * stderr for each skipped row: run it with -close_fd_mask=2 (as `make fuzz` and `make fuzz-check` do). */
#include "nr/dataset.h"
#include "fuzz_file.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, "tsv");
    if (!path) return 0;
    nr_manifest m;
    if (nr_manifest_read(path, &m) != NR_OK) return 0;
    int it = -1, n = 0;
    while (nr_manifest_next(&m, NR_SPLIT_TRAIN, &it) >= 0) n++;
    if (n != nr_manifest_count(&m, NR_SPLIT_TRAIN)) __builtin_trap();
    nr_manifest_free(&m);
    return 0;
}
