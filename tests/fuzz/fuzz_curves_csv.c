/* libFuzzer target: the curves CSV reader on arbitrary bytes (it reads files, so through a temp file). */
#include "neurorack.h"

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/nr_fuzz_csv_%d.csv", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    nr_curves c;
    if (nr_curves_read_csv(path, &c) == NR_OK) nr_curves_free(&c);
    return 0;
}
