/* Audio files through libsndfile; sample-rate conversion through resampy's kaiser_best for the
 * analysis (as librosa.load) and libsamplerate for sound that is played or written. */
#include "nr/audio_file.h"

#include "dsp/kaiser_resample.h"
#include "io/atomic_file.h"
#include "io/sf_read.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RATE 768000
#define CHUNK 8192 /* frames per read/write call */
#define MAX_FRAMES ((sf_count_t)1 << 34)
#define MAX_RATIO 256 /* rate_out / rate_in within 1/256..256, as libsamplerate allows */

void nr_audio_free(nr_audio *a)
{
    if (!a) return;
    free(a->samples);
    memset(a, 0, sizeof *a);
}

static int rate_ok(int r) { return r > 0 && r <= MAX_RATE; }

nr_result nr_audio_resample(const float *in, long n, int rate_in, int rate_out, nr_audio *out)
{
    memset(out, 0, sizeof *out);
    if (!rate_ok(rate_in) || !rate_ok(rate_out))
        return nr_fail(NR_ERR_ARG, "sample rates %d -> %d Hz: expected 1..%d Hz", rate_in, rate_out, MAX_RATE);
    if (n < 0 || (n > 0 && !in)) return nr_fail(NR_ERR_ARG, "resampling needs a signal (got %ld samples)", n);
    double ratio = (double)rate_out / rate_in;
    if (!src_is_valid_ratio(ratio))
        return nr_fail(NR_ERR_UNSUPPORTED, "cannot resample %d -> %d Hz: the ratio must be within 1/256..256",
                       rate_in, rate_out);
    /* librosa's length convention: ceil(n * ratio). */
    long n_out = rate_in == rate_out ? n : (long)ceil(n * ratio);
    if (n_out > (1L << 36)) return nr_fail(NR_ERR_NOMEM, "resampled signal of %ld samples is too long", n_out);
    out->samples = calloc((size_t)n_out + 16, sizeof(float));
    if (!out->samples) return nr_fail(NR_ERR_NOMEM, "out of memory for %ld resampled samples", n_out);
    out->rate = rate_out;
    out->n = n_out;
    if (n == 0) return NR_OK;
    if (rate_in == rate_out) {
        memcpy(out->samples, in, (size_t)n * sizeof(float));
        return NR_OK;
    }
    SRC_DATA d;
    memset(&d, 0, sizeof d);
    d.data_in = in;
    d.input_frames = n;
    d.data_out = out->samples;
    d.output_frames = n_out + 16;
    d.end_of_input = 1;
    d.src_ratio = ratio;
    int err = src_simple(&d, SRC_SINC_BEST_QUALITY, 1);
    if (err) {
        nr_audio_free(out);
        return nr_fail(NR_ERR_UNSUPPORTED, "resampling %d -> %d Hz failed: %s", rate_in, rate_out,
                       src_strerror(err));
    }
    /* Samples the converter did not produce stay zero; anything beyond n_out is ignored. */
    return NR_OK;
}

nr_result nr_audio_resample_kaiser_best(const float *in, long n, int rate_in, int rate_out, nr_audio *out)
{
    memset(out, 0, sizeof *out);
    if (!rate_ok(rate_in) || !rate_ok(rate_out))
        return nr_fail(NR_ERR_ARG, "sample rates %d -> %d Hz: expected 1..%d Hz", rate_in, rate_out, MAX_RATE);
    if (n < 0 || (n > 0 && !in)) return nr_fail(NR_ERR_ARG, "resampling needs a signal (got %ld samples)", n);
    double ratio = (double)rate_out / rate_in;
    if (ratio < 1.0 / MAX_RATIO || ratio > MAX_RATIO)
        return nr_fail(NR_ERR_UNSUPPORTED, "cannot resample %d -> %d Hz: the ratio must be within 1/%d..%d",
                       rate_in, rate_out, MAX_RATIO, MAX_RATIO);
    /* librosa's length: ceil(n * ratio); resampy computes the first int(n * rate_out / rate_in) of
     * them and librosa pads the rest (at most one sample) with zeros. */
    long n_out = rate_in == rate_out ? n : (long)ceil(n * ratio);
    if (n_out > (1L << 36)) return nr_fail(NR_ERR_NOMEM, "resampled signal of %ld samples is too long", n_out);
    out->samples = calloc((size_t)n_out + 1, sizeof(float));
    if (!out->samples) return nr_fail(NR_ERR_NOMEM, "out of memory for %ld resampled samples", n_out);
    out->rate = rate_out;
    out->n = n_out;
    if (n == 0) return NR_OK;
    if (rate_in == rate_out) {
        memcpy(out->samples, in, (size_t)n * sizeof(float));
        return NR_OK;
    }
    long n_filtered = nr_kb_resampy_length(n, rate_in, rate_out);
    /* resampy refuses a signal too short for one output; here that sample is filtered as well */
    if (n_filtered < 1) n_filtered = n_out;
    if (n_filtered > n_out) n_filtered = n_out;
    if (!nr_kb_resample(in, n, rate_in, rate_out, out->samples, n_filtered)) {
        nr_audio_free(out);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the resampling filter");
    }
    return NR_OK;
}

nr_result nr_audio_load(const char *path, int rate, nr_audio *out)
{
    memset(out, 0, sizeof *out);
    if (!path) return nr_fail(NR_ERR_ARG, "no audio file name given");
    if (rate < 0 || rate > MAX_RATE) return nr_fail(NR_ERR_ARG, "%s: target rate %d Hz out of range", path, rate);
    SF_INFO info;
    SNDFILE *sf;
    nr_result r = nr_sf_open_read(path, &info, &sf);
    if (r != NR_OK) return r;
    float *buf = NULL, *mono = NULL;
    long got = 0;
    /* A streamed FLAC or Ogg does not say how long it is: read until it ends, up to MAX_FRAMES. */
    sf_count_t total = nr_sf_header_frames(&info), limit = total >= 0 ? total : MAX_FRAMES + 1;
    if (info.channels <= 0 || info.channels > 1024 || !rate_ok(info.samplerate)) {
        r = nr_fail(NR_ERR_FORMAT, "%s: %d channels at %d Hz; expected 1..1024 channels at 1..%d Hz", path,
                    info.channels, info.samplerate, MAX_RATE);
        goto done;
    }
    if (total == 0) {
        r = nr_fail(NR_ERR_FORMAT, "%s: holds no audio samples (zero length)", path);
        goto done;
    }
    if (total > MAX_FRAMES) {
        r = nr_fail(NR_ERR_UNSUPPORTED, "%s: %lld frames is too long", path, (long long)total);
        goto done;
    }
    /* The header's frame count is not trusted for the allocation (a damaged header can claim
     * billions): the buffer grows with what is actually decoded. */
    long cap = limit < (1 << 20) ? (long)limit : (1 << 20);
    mono = malloc((size_t)cap * sizeof(float));
    buf = malloc((size_t)CHUNK * (size_t)info.channels * sizeof(float));
    if (!mono || !buf) {
        r = nr_fail(NR_ERR_NOMEM, "%s: out of memory for %ld frames", path, cap);
        goto done;
    }
    while (got < limit) {
        sf_count_t want = limit - got < CHUNK ? limit - got : CHUNK;
        sf_count_t k = sf_readf_float(sf, buf, want);
        if (k <= 0) break;
        if (got + k > cap) {
            long ncap = cap * 2 < got + k ? got + (long)k : cap * 2;
            if (ncap > limit) ncap = (long)limit;
            float *m = realloc(mono, (size_t)ncap * sizeof(float));
            if (!m) {
                r = nr_fail(NR_ERR_NOMEM, "%s: out of memory after %ld frames", path, got);
                goto done;
            }
            mono = m;
            cap = ncap;
        }
        /* librosa's to_mono: the float32 mean of the channels. */
        for (sf_count_t i = 0; i < k; i++) {
            float s = 0.0f;
            for (int c = 0; c < info.channels; c++) s += buf[i * info.channels + c];
            float v = s / (float)info.channels;
            mono[got + i] = isfinite(v) ? v : 0.0f;
        }
        got += (long)k;
    }
    if ((r = nr_sf_check_read(sf, &info, got, path)) != NR_OK) goto done;
    if (got > MAX_FRAMES) {
        r = nr_fail(NR_ERR_UNSUPPORTED, "%s: more than %lld frames is too long", path, (long long)MAX_FRAMES);
        goto done;
    }
    if (got == 0) {
        r = nr_fail(NR_ERR_FORMAT, "%s: no audio samples could be read (truncated or damaged file)", path);
        goto done;
    }
    if (rate == 0 || rate == info.samplerate) {
        out->samples = mono;
        out->n = got;
        out->rate = info.samplerate;
        mono = NULL;
    } else {
        r = nr_audio_resample_kaiser_best(mono, got, info.samplerate, rate, out);
        if (r != NR_OK) nr_fail_prefix(r, path);
    }
done:
    free(buf);
    free(mono);
    sf_close(sf);
    return r;
}

/* Container and sample type from the extension of path; 0 if the extension is unknown. */
static int file_format(const char *path, nr_sample_format fmt)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return 0;
    int sub = fmt == NR_SAMPLE_PCM16   ? SF_FORMAT_PCM_16
              : fmt == NR_SAMPLE_PCM24 ? SF_FORMAT_PCM_24
                                       : SF_FORMAT_FLOAT;
    if (!strcasecmp(dot, ".wav")) return SF_FORMAT_WAV | sub;
    if (!strcasecmp(dot, ".aif") || !strcasecmp(dot, ".aiff") || !strcasecmp(dot, ".aifc"))
        return SF_FORMAT_AIFF | sub;
    /* FLAC has no float samples: 24-bit unless 16 was asked for. */
    if (!strcasecmp(dot, ".flac"))
        return SF_FORMAT_FLAC | (sub == SF_FORMAT_PCM_16 ? SF_FORMAT_PCM_16 : SF_FORMAT_PCM_24);
    if (!strcasecmp(dot, ".ogg") || !strcasecmp(dot, ".oga")) return SF_FORMAT_OGG | SF_FORMAT_VORBIS;
    return 0;
}

int nr_audio_write_clips(const char *path, nr_sample_format fmt)
{
    int f = path ? file_format(path, fmt) : 0;
    return f != 0 && (f & SF_FORMAT_SUBMASK) != SF_FORMAT_FLOAT;
}

static nr_result write_error(const char *path, int err, const char *what)
{
    if (err == ENOSPC) return nr_fail(NR_ERR_IO, "%s: disk full while %s", path, what);
    if (err == EFBIG) return nr_fail(NR_ERR_IO, "%s: file size limit reached while %s", path, what);
    return nr_fail(NR_ERR_IO, "%s: write failed while %s: %s", path, what, err ? strerror(err) : "unknown error");
}

nr_result nr_audio_write(const char *path, const float *x, long n, int rate, nr_sample_format fmt)
{
    if (!path) return nr_fail(NR_ERR_ARG, "no output audio file name given");
    if (n < 0 || (n > 0 && !x)) return nr_fail(NR_ERR_ARG, "%s: no samples to write", path);
    if (!rate_ok(rate)) return nr_fail(NR_ERR_ARG, "%s: sample rate %d Hz; expected 1..%d", path, rate, MAX_RATE);
    if (fmt != NR_SAMPLE_FLOAT && fmt != NR_SAMPLE_PCM24 && fmt != NR_SAMPLE_PCM16)
        return nr_fail(NR_ERR_ARG, "%s: unknown sample format %d", path, (int)fmt);
    for (long i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return nr_fail(NR_ERR_VALUE, "%s: sample %ld is %g; only finite audio can be written", path, i,
                           (double)x[i]);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = rate;
    info.channels = 1;
    info.format = file_format(path, fmt);
    if (!info.format)
        return nr_fail(NR_ERR_UNSUPPORTED, "%s: unknown audio extension; expected .wav, .flac, .ogg or .aiff", path);
    if (!sf_format_check(&info))
        return nr_fail(NR_ERR_UNSUPPORTED, "%s: this container cannot hold that sample format at %d Hz", path, rate);

    /* A temporary file in the same folder, renamed over the target once complete and on disk. */
    char *tmp;
    int fd = nr_atomic_open(path, &tmp);
    if (fd < 0) return NR_ERR_IO;
    SNDFILE *sf = sf_open_fd(fd, SFM_WRITE, &info, 0);
    if (!sf) {
        nr_result r = nr_fail(NR_ERR_IO, "%s: cannot start the audio file: %s", path, sf_strerror(NULL));
        nr_atomic_abort(fd, tmp);
        return r;
    }
    sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE); /* PCM: clip out-of-range samples, never wrap */
    for (long done = 0; done < n;) {
        sf_count_t k = n - done < CHUNK ? n - done : CHUNK;
        errno = 0;
        sf_count_t w = sf_writef_float(sf, x + done, k);
        if (w != k) {
            int e = errno;
            sf_close(sf);
            nr_atomic_abort(fd, tmp);
            return write_error(path, e, "writing samples");
        }
        done += (long)k;
    }
    errno = 0;
    if (sf_close(sf) != 0) {
        int e = errno;
        nr_atomic_abort(fd, tmp);
        return write_error(path, e, "finishing the file");
    }
    return nr_atomic_commit(path, fd, tmp);
}
