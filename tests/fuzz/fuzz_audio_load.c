/* libFuzzer target: audio file loading (libsndfile, mixdown, resampling to 22050 Hz) and analysis of
 * whatever loads, on arbitrary bytes written to a temp file. */
#include "neurorack.h"
#include "fuzz_file.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, "wav");
    if (!path) return 0;
    nr_audio a;
    if (nr_audio_load(path, 22050, &a) == NR_OK) {
        if (a.n <= 22050 * 4) { /* keep each run short */
            nr_curves c;
            if (nr_analyze(a.samples, a.n, &c) == NR_OK) nr_curves_free(&c);
        }
        nr_audio_free(&a);
    }
    return 0;
}
