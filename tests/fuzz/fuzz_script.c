/* libFuzzer target: control scripts (nr_script_load: read, then nr_script_parse), and a player run over
 * whatever parses, on arbitrary bytes written to a temp file. */
#include "control/script.h"
#include "fuzz_file.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int post(void *ctx, nr_source src, const nr_control_event *ev)
{
    (void)ctx, (void)src, (void)ev;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, "txt");
    if (!path) return 0;
    nr_script s;
    if (nr_script_load(path, &s) != NR_OK) return 0;
    (void)nr_script_duration(&s);
    nr_audio_client c = {.post = post};
    nr_script_player p;
    nr_script_player_init(&p, &s, 48000);
    /* a bounded number of blocks: times far in the future are not walked to */
    for (int64_t t = 0, b = 0; b < 64; b++, t += 48000) (void)nr_script_player_due(&p, t, &c);
    nr_script_free(&s);
    return 0;
}
