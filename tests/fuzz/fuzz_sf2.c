/* libFuzzer target: the data-set builder's SoundFont 2/3 reader (RIFF chunk walk, preset -> instrument
 * -> sample tables) and the audio of every sample it lists, on arbitrary bytes written to a temp file. */
#include "dataset/ds_internal.h"
#include "fuzz_file.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, "sf2");
    if (!path) return 0;
    static const int timpani = 47;
    ds_sf2 sf;
    /* the first byte picks the mode: chosen programs, or every preset a drum kit */
    if (ds_sf2_open(path, &timpani, size && (data[0] & 1) ? -1 : 1, &sf) != NR_OK) return 0;
    for (int i = 0; i < sf.n && i < 16; i++) {
        nr_audio a;
        if (ds_sf2_sample_audio(&sf, i, &a) == NR_OK) ds_audio_release(&a);
    }
    ds_sf2_close(&sf);
    return 0;
}
