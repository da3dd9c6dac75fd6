/* File sink: the same client the real-time backends drive, run as fast as the CPU allows. */
#include "audio/backend.h"
#include "io/atomic_file.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
                           const volatile sig_atomic_t *stop)
{
    int format = path ? container_of(path) : 0;
    if (!format)
        return nr_fail(NR_ERR_ARG, "%s: unknown output type; expected a name ending in .wav, .flac, .aiff or .ogg",
                       path ? path : "(none)");
    if (rate < 8000 || rate > 384000 || block < 1 || block > 65536 || !(seconds >= 0) || seconds > 24 * 3600)
        return nr_fail(NR_ERR_ARG, "%s: %d Hz, blocks of %d, %g s; expected 8000..384000 Hz, 1..65536, "
                                   "0..86400 s", path, rate, block, seconds);
    char *tmp;
    int fd = nr_atomic_open(path, &tmp); /* its message names path */
    if (fd < 0) return NR_ERR_IO;
    SF_INFO info = {.samplerate = rate, .channels = 1, .format = format};
    SNDFILE *sf = sf_open_fd(fd, SFM_WRITE, &info, SF_FALSE); /* fd stays ours: nr_atomic_commit closes it */
    if (!sf) {
        nr_result r = nr_fail(NR_ERR_IO, "%s: cannot create (%s)", path, sf_strerror(NULL));
        nr_atomic_abort(fd, tmp);
        return r;
    }
    /* The PEAK chunk carries a wall-clock timestamp: without it the same render gives the same bytes. */
    sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    float *buf = calloc((size_t)block, sizeof *buf);
    nr_result r = buf ? NR_OK : nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    const int64_t total = llround(seconds * rate);
    for (int64_t t = 0; r == NR_OK && t < total && !(stop && *stop);) {
        int n = total - t < block ? (int)(total - t) : block;
        client->process(client->ctx, buf, n);
        if (client->poll) client->poll(client->ctx);
        errno = 0;
        if (sf_writef_float(sf, buf, n) != n)
            r = nr_fail(NR_ERR_IO, "%s: write failed (%s); the previous file is unchanged", path,
                        nr_write_error_text(errno));
        t += n;
    }
    free(buf);
    errno = 0;
    if (sf_close(sf) != 0 && r == NR_OK) /* the encoder writes its last frames and the header here */
        r = nr_fail(NR_ERR_IO, "%s: cannot finish the file (%s); the previous file is unchanged", path,
                    nr_write_error_text(errno));
    if (r != NR_OK) {
        nr_atomic_abort(fd, tmp);
        return r;
    }
    return nr_atomic_commit(path, fd, tmp);
}
