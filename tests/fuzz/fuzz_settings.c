/* libFuzzer target: the settings file parser (header line, CRC, JSON through cJSON, clamping) on
 * arbitrary bytes; nr_settings_parse is what nr_settings_load runs on a file's bytes (the load itself
 * would rename every corrupt input to <path>.bad-<time>). An input whose first byte is odd is the JSON
 * body: it gets a header with the right CRC, so mutations reach the JSON reader instead of all failing the
 * checksum; an even first byte gives the bytes after it as they are. */
#include "instrument/settings.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_BODY 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_MAX_BODY) return 0;
    static char buf[64 + FUZZ_MAX_BODY];
    size_t n = 0;
    if (data[0] & 1)
        n = (size_t)snprintf(buf, 64, "neurorack-settings %d crc32=%08x\n", NR_SETTINGS_VERSION,
                             (unsigned)nr_crc32(data + 1, size - 1));
    memcpy(buf + n, data + 1, size - 1);
    n += size - 1;
    nr_settings s;
    if (nr_settings_parse(buf, n, "fuzz.nrs", &s) == NR_OK) {
        /* what parses serialises again (the save path) */
        char *text = NULL;
        size_t len = 0;
        if (nr_settings_serialize(&s, &text, &len) == NR_OK) free(text);
    }
    return 0;
}
