/* Sound files for the data-set builder: libsndfile and libsamplerate used directly (a mixdown summed
 * in double, a length limit for one-shots); opening and the truncation checks are nr_audio_load's. */
#include "ds_internal.h"
#include "io/atomic_file.h"
#include "io/sf_read.h"

#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A one-shot longer than this is a loop or a song: refuse before decoding it. */
#define DS_MAX_SOURCE_S 60.0
#define DS_CHUNK 4096

/* head_s > 0: read the first head_s seconds of a file of any length (a long ambience loop of the
 * textures family); 0: refuse a file longer than DS_MAX_SOURCE_S (a one-shot). */
static nr_result read_sndfile(SNDFILE *sf, const SF_INFO *info, const char *what, double head_s, nr_audio *out)
{
    memset(out, 0, sizeof *out);
    if (info->channels < 1 || info->channels > 64 || info->samplerate < 1000 || info->samplerate > 768000)
        return nr_fail(NR_ERR_FORMAT, "%s: %d channels at %d Hz; expected 1..64 channels at 1..768 kHz", what,
                       info->channels, info->samplerate);
    /* A streamed FLAC or Ogg does not give its length: read up to one frame past the limit to see. */
    sf_count_t total = nr_sf_header_frames(info), max = (sf_count_t)(DS_MAX_SOURCE_S * info->samplerate);
    if (total == 0) return nr_fail(NR_ERR_FORMAT, "%s: no audio frames", what);
    if (head_s > 0) {
        sf_count_t head = (sf_count_t)(head_s * info->samplerate);
        if (total < 0 || total > head) total = head;
        max = head;
    }
    if (total > max)
        return nr_fail(NR_ERR_VALUE, "%s: %.1f s long; one-shots are at most %.0f s", what,
                       (double)total / info->samplerate, DS_MAX_SOURCE_S);
    long n = total > 0 ? (long)total : (long)max + 1, got = 0;
    int ch = info->channels;
    float *x = malloc((size_t)n * sizeof *x), *buf = malloc((size_t)DS_CHUNK * ch * sizeof *buf);
    if (!x || !buf) {
        free(x);
        free(buf);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory for %ld frames", what, n);
    }
    while (got < n) {
        sf_count_t want = n - got < DS_CHUNK ? n - got : DS_CHUNK;
        sf_count_t r = sf_readf_float(sf, buf, want);
        if (r <= 0) break;
        for (sf_count_t i = 0; i < r; i++) {
            double s = 0.0;
            for (int c = 0; c < ch; c++) s += buf[i * ch + c];
            x[got + i] = (float)(s / ch);
        }
        got += (long)r;
    }
    free(buf);
    nr_result res = head_s > 0 && got == n ? NR_OK : nr_sf_check_read(sf, info, got, what);
    if (res == NR_OK && got > max)
        res = nr_fail(NR_ERR_VALUE, "%s: longer than %.0f s; one-shots are at most that", what, DS_MAX_SOURCE_S);
    if (res == NR_OK && got == 0) res = nr_fail(NR_ERR_FORMAT, "%s: no audio could be decoded", what);
    if (res != NR_OK) {
        free(x);
        return res;
    }
    out->samples = x;
    out->n = got;
    out->rate = info->samplerate;
    return NR_OK;
}

void ds_audio_release(nr_audio *a)
{
    free(a->samples);
    memset(a, 0, sizeof *a);
}

nr_result ds_read_file(const char *path, nr_audio *out) { return ds_read_file_head(path, 0.0, out); }

nr_result ds_read_file_head(const char *path, double head_s, nr_audio *out)
{
    SF_INFO info;
    SNDFILE *sf;
    memset(out, 0, sizeof *out);
    nr_result r = nr_sf_open_read(path, &info, &sf);
    if (r != NR_OK) return r;
    r = read_sndfile(sf, &info, path, head_s, out);
    sf_close(sf);
    return r;
}

typedef struct {
    const unsigned char *p;
    sf_count_t n, pos;
} mem_file;

static sf_count_t mem_len(void *u) { return ((mem_file *)u)->n; }
static sf_count_t mem_seek(sf_count_t off, int whence, void *u)
{
    mem_file *m = u;
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->n;
    sf_count_t to = base + off;
    if (to < 0 || to > m->n) return -1;
    m->pos = to;
    return to;
}
static sf_count_t mem_read(void *dst, sf_count_t count, void *u)
{
    mem_file *m = u;
    sf_count_t k = m->n - m->pos < count ? m->n - m->pos : count;
    if (k > 0) memcpy(dst, m->p + m->pos, (size_t)k);
    m->pos += k > 0 ? k : 0;
    return k > 0 ? k : 0;
}
static sf_count_t mem_write(const void *src, sf_count_t count, void *u)
{
    (void)src, (void)count, (void)u;
    return 0;
}
static sf_count_t mem_tell(void *u) { return ((mem_file *)u)->pos; }

nr_result ds_read_mem(const void *data, size_t n, const char *what, nr_audio *out)
{
    return ds_read_mem_head(data, n, what, 0.0, out);
}

nr_result ds_read_mem_head(const void *data, size_t n, const char *what, double head_s, nr_audio *out)
{
    memset(out, 0, sizeof *out);
    mem_file m = {data, (sf_count_t)n, 0};
    SF_VIRTUAL_IO io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open_virtual(&io, SFM_READ, &info, &m);
    if (!sf) return nr_fail(NR_ERR_FORMAT, "%s: not a sound libsndfile reads (%s)", what, sf_strerror(NULL));
    nr_result r = nr_sf_check_header(sf, what);
    if (r == NR_OK) r = read_sndfile(sf, &info, what, head_s, out);
    sf_close(sf);
    return r;
}

nr_result ds_resample_inplace(nr_audio *a, int rate)
{
    if (rate < 1000 || rate > 768000) return nr_fail(NR_ERR_ARG, "sample rate %d Hz; expected 1000..768000", rate);
    if (a->rate == rate) return NR_OK;
    double ratio = (double)rate / a->rate;
    long n_out = (long)ceil(a->n * ratio) + 16;
    float *y = malloc((size_t)n_out * sizeof *y);
    if (!y) return nr_fail(NR_ERR_NOMEM, "out of memory resampling %ld samples", a->n);
    SRC_DATA d;
    memset(&d, 0, sizeof d);
    d.data_in = a->samples;
    d.input_frames = a->n;
    d.data_out = y;
    d.output_frames = n_out;
    d.src_ratio = ratio;
    int err = src_simple(&d, SRC_SINC_MEDIUM_QUALITY, 1);
    if (err) {
        free(y);
        return nr_fail(NR_ERR_VALUE, "resampling %d -> %d Hz failed: %s", a->rate, rate, src_strerror(err));
    }
    free(a->samples);
    a->samples = y;
    a->n = d.output_frames_gen;
    a->rate = rate;
    return NR_OK;
}

nr_result ds_write_flac(const char *path, const float *x, long n, int rate)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = rate;
    info.channels = 1;
    info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_24;
    char *tmp;
    int fd = nr_atomic_open(path, &tmp);
    if (fd < 0) return NR_ERR_IO;
    SNDFILE *sf = sf_open_fd(fd, SFM_WRITE, &info, SF_FALSE);
    if (!sf) {
        nr_result r = nr_fail(NR_ERR_IO, "%s: cannot start the FLAC file (%s)", path, sf_strerror(NULL));
        nr_atomic_abort(fd, tmp);
        return r;
    }
    /* Integers, so the stored 24-bit values are exactly round(x * 2^23) (see ds_quantize). */
    int buf[DS_CHUNK];
    long done = 0;
    int ok = 1, e = 0;
    while (ok && done < n) {
        long k = n - done < DS_CHUNK ? n - done : DS_CHUNK;
        for (long i = 0; i < k; i++) buf[i] = (int)lrintf(x[done + i] * 8388608.0f) * 256;
        errno = 0;
        ok = sf_write_int(sf, buf, k) == k;
        e = errno;
        done += k;
    }
    errno = 0;
    if (sf_close(sf) != 0 && ok) ok = 0, e = errno; /* the encoder flushes its last frames here */
    if (!ok) {
        nr_atomic_abort(fd, tmp);
        return nr_fail(NR_ERR_IO, "%s: could not write the FLAC file: %s; the previous file is unchanged", path,
                       nr_write_error_text(e));
    }
    return nr_atomic_commit(path, fd, tmp);
}
