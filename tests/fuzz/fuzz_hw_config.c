/* libFuzzer target: the hardware file reader (nr_hw_config_read: read, then nr_hw_config_parse) on
 * arbitrary bytes written to a temp file. */
#include "hw/hw_config.h"
#include "fuzz_file.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, "conf");
    if (!path) return 0;
    nr_hw_config cfg = nr_hw_config_init();
    (void)nr_hw_config_read(path, &cfg);
    return 0;
}
