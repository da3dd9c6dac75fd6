/* libFuzzer target: the MIDI map reader (nr_midi_map_load) and the mapping of every status byte through
 * whatever loads, on arbitrary bytes written to a temp file. */
#include "control/midi.h"
#include "fuzz_file.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, "map");
    if (!path) return 0;
    nr_midi_map m;
    if (nr_midi_map_load(path, &m) != NR_OK) return 0;
    nr_control_event ev;
    for (int status = 0x80; status < 0xf0; status += 0x10)
        for (int d1 = 0; d1 < 128; d1 += 7) (void)nr_midi_to_event(&m, status | (d1 & 15), d1, 127 - d1, &ev);
    return 0;
}
