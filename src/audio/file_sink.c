/* File sink: the same client the real-time backends drive, run as fast as the CPU allows. */
#include "audio/backend.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static int container_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return 0;
    if (!strcasecmp(dot, ".wav")) return SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    if (!strcasecmp(dot, ".flac")) return SF_FORMAT_FLAC | SF_FORMAT_PCM_24;
    if (!strcasecmp(dot, ".aif") || !strcasecmp(dot, ".aiff")) return SF_FORMAT_AIFF | SF_FORMAT_FLOAT;
    if (!strcasecmp(dot, ".ogg")) return SF_FORMAT_OGG | SF_FORMAT_VORBIS;
    return 0;
}

nr_result nr_file_sink_run(const char *path, int rate, int block, double seconds, const nr_audio_client *client,
                           volatile int *stop)
{
    int format = path ? container_of(path) : 0;
    if (!format)
        return nr_fail(NR_ERR_ARG, "%s: unknown output type; expected a name ending in .wav, .flac, .aiff or .ogg",
                       path ? path : "(none)");
    if (rate < 8000 || rate > 384000 || block < 1 || block > 65536 || !(seconds >= 0) || seconds > 24 * 3600)
        return nr_fail(NR_ERR_ARG, "%s: %d Hz, blocks of %d, %g s; expected 8000..384000 Hz, 1..65536, "
                                   "0..86400 s", path, rate, block, seconds);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid());
    SF_INFO info = {.samplerate = rate, .channels = 1, .format = format};
    SNDFILE *sf = sf_open(tmp, SFM_WRITE, &info);
    if (!sf) return nr_fail(NR_ERR_IO, "%s: cannot create (%s)", path, sf_strerror(NULL));
    /* The PEAK chunk carries a wall-clock timestamp: without it the same render gives the same bytes. */
    sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    float *buf = calloc((size_t)block, sizeof *buf);
    nr_result r = buf ? NR_OK : nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    const int64_t total = llround(seconds * rate);
    for (int64_t t = 0; r == NR_OK && t < total && !(stop && *stop);) {
        int n = total - t < block ? (int)(total - t) : block;
        client->process(client->ctx, buf, n);
        if (client->poll) client->poll(client->ctx);
        if (sf_writef_float(sf, buf, n) != n) r = nr_fail(NR_ERR_IO, "%s: write failed (%s)", path, sf_strerror(sf));
        t += n;
    }
    free(buf);
    if (sf_close(sf) != 0 && r == NR_OK) r = nr_fail(NR_ERR_IO, "%s: cannot finish the file", path);
    if (r == NR_OK && rename(tmp, path) != 0) r = nr_fail(NR_ERR_IO, "%s: cannot write (%s)", path, strerror(errno));
    if (r != NR_OK) unlink(tmp);
    return r;
}
