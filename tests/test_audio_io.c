/* Audio files (libsndfile), resampling (libsamplerate) and curve CSV files. */
#include "neurorack.h"
#include "nr_test.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PI 3.14159265358979323846

static float *sine(long n, double hz, int rate, double amp)
{
    float *x = malloc((size_t)n * sizeof(float));
    for (long i = 0; i < n; i++) x[i] = (float)(amp * sin(2.0 * PI * hz * i / rate));
    return x;
}

static double max_abs_diff(const float *a, const float *b, long n)
{
    double m = 0.0;
    for (long i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

static double rms(const float *x, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++) s += (double)x[i] * x[i];
    return n ? sqrt(s / n) : 0.0;
}

/* Frequency from the count of upward zero crossings (linear interpolation at both ends). */
static double crossing_hz(const float *x, long n, int rate)
{
    double first = -1.0, last = -1.0;
    long count = 0;
    for (long i = 1; i < n; i++)
        if (x[i - 1] < 0.0f && x[i] >= 0.0f) {
            double t = (i - 1) + x[i - 1] / (double)(x[i - 1] - x[i]);
            if (first < 0.0) first = t;
            else count++;
            last = t;
        }
    return count > 0 ? count * rate / (last - first) : 0.0;
}

static int file_exists(const char *p) { return access(p, F_OK) == 0; }

/* No "<name>.tmp.*" file left in the temporary folder. */
static int no_temp_left(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q '\\.tmp\\.'", nt_tmpdir());
    return system(cmd) != 0;
}

static void roundtrip(const char *name, nr_sample_format fmt, double tol)
{
    const long n = 22050;
    float *x = sine(n, 440.0, 44100, 0.8);
    x[10] = 1.0f; /* full scale survives */
    x[11] = -1.0f;
    const char *p = nt_tmp(name);
    nr_result r = nr_audio_write(p, x, n, 44100, fmt);
    NT_CHECKF(r == NR_OK, "%s: %s", name, nr_last_error());
    nr_audio a;
    r = nr_audio_load(p, 0, &a);
    NT_CHECKF(r == NR_OK, "%s: %s", name, nr_last_error());
    if (r == NR_OK) {
        NT_CHECKF(a.n == n && a.rate == 44100, "%s: %ld samples at %d Hz", name, a.n, a.rate);
        if (a.n == n) {
            double e = max_abs_diff(x, a.samples, n);
            NT_CHECKF(e <= tol, "%s: max error %g > %g", name, e, tol);
        }
        nr_audio_free(&a);
    }
    free(x);
}

static void test_roundtrip_wav(void)
{
    roundtrip("f.wav", NR_SAMPLE_FLOAT, 0.0);
    roundtrip("p24.wav", NR_SAMPLE_PCM24, 1.0 / (1 << 23));
    roundtrip("p16.wav", NR_SAMPLE_PCM16, 1.0 / (1 << 15));
}

static void test_roundtrip_flac_aiff(void)
{
    roundtrip("f.flac", NR_SAMPLE_FLOAT, 1.0 / (1 << 23)); /* FLAC has no float: 24-bit */
    roundtrip("p24.flac", NR_SAMPLE_PCM24, 1.0 / (1 << 23));
    roundtrip("p16.flac", NR_SAMPLE_PCM16, 1.0 / (1 << 15));
    roundtrip("f.aiff", NR_SAMPLE_FLOAT, 0.0);
    roundtrip("p24.aif", NR_SAMPLE_PCM24, 1.0 / (1 << 23));
}

static void test_ogg(void)
{
    const long n = 44100;
    float *x = sine(n, 440.0, 44100, 0.5);
    const char *p = nt_tmp("s.ogg");
    nr_result r = nr_audio_write(p, x, n, 44100, NR_SAMPLE_FLOAT);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    nr_audio a;
    if (r == NR_OK && nr_audio_load(p, 0, &a) == NR_OK) {
        /* lossy: same length, level and pitch */
        NT_CHECKF(labs(a.n - n) <= 64, "%ld samples", a.n);
        NT_CHECKF(fabs(rms(a.samples, a.n) / rms(x, n) - 1.0) < 0.05, "level %g", rms(a.samples, a.n));
        NT_CHECKF(fabs(crossing_hz(a.samples, a.n, a.rate) - 440.0) < 1.0, "%g Hz",
                  crossing_hz(a.samples, a.n, a.rate));
        nr_audio_free(&a);
    } else {
        NT_CHECKF(0, "%s", nr_last_error());
    }
    free(x);
}

/* A 3-channel PCM16 file: the load is the mean of the channels. */
static void test_multichannel_mixdown(void)
{
    const int ch = 3;
    const long n = 4000;
    const char *p = nt_tmp("three.wav");
    SF_INFO info = {0};
    info.samplerate = 16000;
    info.channels = ch;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *sf = sf_open(p, SFM_WRITE, &info);
    NT_CHECK(sf != NULL);
    if (!sf) return;
    short *d = malloc((size_t)n * ch * sizeof(short));
    for (long i = 0; i < n; i++) {
        d[i * ch + 0] = (short)(8000 * sin(2 * PI * 300 * i / 16000.0));
        d[i * ch + 1] = 3000;
        d[i * ch + 2] = (short)(-(i % 1000));
    }
    NT_CHECK(sf_writef_short(sf, d, n) == n);
    sf_close(sf);
    nr_audio a;
    nr_result r = nr_audio_load(p, 0, &a);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r == NR_OK) {
        NT_CHECK(a.n == n && a.rate == 16000);
        double e = 0.0;
        for (long i = 0; i < n && a.n == n; i++) {
            double want = (d[i * ch] + d[i * ch + 1] + d[i * ch + 2]) / 3.0 / 32768.0;
            e = fmax(e, fabs(a.samples[i] - want));
        }
        NT_CHECKF(e < 1e-6, "mixdown error %g", e);
        nr_audio_free(&a);
    }
    /* resampled on load: 16 kHz -> 22050 Hz, ceil(n * ratio) samples */
    r = nr_audio_load(p, 22050, &a);
    NT_CHECKF(r == NR_OK && a.rate == 22050 && a.n == (long)ceil(n * 22050.0 / 16000.0), "%ld samples", a.n);
    if (r == NR_OK) nr_audio_free(&a);
    free(d);
}

/* A sine keeps its frequency and level through down- and up-sampling. */
static void resample_sine(int rate_in, int rate_out, double hz)
{
    const long n = rate_in; /* 1 s */
    float *x = sine(n, hz, rate_in, 0.5);
    nr_audio a;
    nr_result r = nr_audio_resample(x, n, rate_in, rate_out, &a);
    NT_CHECKF(r == NR_OK, "%d -> %d: %s", rate_in, rate_out, nr_last_error());
    if (r == NR_OK) {
        NT_CHECKF(a.n == (long)ceil(n * (double)rate_out / rate_in) && a.rate == rate_out, "%ld samples", a.n);
        long m0 = a.n / 10, m = a.n * 8 / 10; /* away from the ends */
        double got_hz = crossing_hz(a.samples + m0, m, rate_out);
        double level = rms(a.samples + m0, m) / (0.5 / sqrt(2.0));
        NT_CHECKF(fabs(got_hz - hz) < 1e-3 * hz, "%d -> %d: %g Hz, expected %g", rate_in, rate_out, got_hz, hz);
        NT_CHECKF(fabs(20 * log10(level)) < 0.01, "%d -> %d: level %+.4f dB", rate_in, rate_out, 20 * log10(level));
        /* the phase is kept too (no delay): compare with the ideal sine */
        double e = 0.0;
        for (long i = m0; i < m0 + m; i++)
            e = fmax(e, fabs(a.samples[i] - 0.5 * sin(2.0 * PI * hz * i / rate_out)));
        NT_CHECKF(e < 1e-3, "%d -> %d: differs from the ideal sine by %g", rate_in, rate_out, e);
        nr_audio_free(&a);
    }
    free(x);
}

static void test_resample(void)
{
    resample_sine(44100, 22050, 1000.0);
    resample_sine(48000, 22050, 3000.0);
    resample_sine(8000, 22050, 440.0);
    resample_sine(96000, 22050, 5000.0);
    nr_audio a;
    float x[4] = {1, 2, 3, 4};
    NT_CHECK(nr_audio_resample(x, 4, 22050, 22050, &a) == NR_OK && a.n == 4 && a.samples[3] == 4.0f);
    nr_audio_free(&a);
    NT_CHECK(nr_audio_resample(x, 4, 0, 22050, &a) == NR_ERR_ARG);
    NT_CHECK(nr_audio_resample(x, 4, 1000, 768000, &a) == NR_ERR_UNSUPPORTED);
    /* a tone above the new Nyquist is removed, not folded back */
    float *hi = sine(44100, 15000.0, 44100, 0.5);
    NT_CHECK(nr_audio_resample(hi, 44100, 44100, 22050, &a) == NR_OK);
    NT_CHECKF(rms(a.samples + 2000, a.n - 4000) < 1e-4, "alias level %g", rms(a.samples + 2000, a.n - 4000));
    nr_audio_free(&a);
    free(hi);
}

static void expect_load_error(const char *path, nr_result want, const char *words)
{
    nr_audio a;
    nr_result r = nr_audio_load(path, 22050, &a);
    NT_CHECKF(r == want, "%s: got '%s' (%s)", path, nr_result_str(r), nr_last_error());
    NT_CHECKF(strstr(nr_last_error(), path) != NULL, "message does not name the file: %s", nr_last_error());
    NT_CHECKF(strstr(nr_last_error(), words) != NULL, "message lacks '%s': %s", words, nr_last_error());
    NT_CHECK(a.samples == NULL && a.n == 0);
}

static void test_load_errors(void)
{
    expect_load_error(nt_tmp("missing.wav"), NR_ERR_IO, "No such file");
    const char *empty = nt_tmp("empty.wav");
    NT_CHECK(nt_write_file(empty, "", 0) == 0);
    expect_load_error(empty, NR_ERR_FORMAT, "empty");
    const char *text = nt_tmp("notes.wav");
    const char *words = "these are words, not audio samples at all\n";
    NT_CHECK(nt_write_file(text, words, strlen(words)) == 0);
    expect_load_error(text, NR_ERR_FORMAT, "not an audio file");
    expect_load_error(nt_tmpdir(), NR_ERR_IO, "folder");

    /* a valid WAV cut inside its header, and one cut after the header (no samples at all) */
    float *x = sine(1000, 440.0, 22050, 0.5);
    const char *full = nt_tmp("full.wav");
    NT_CHECK(nr_audio_write(full, x, 1000, 22050, NR_SAMPLE_PCM16) == NR_OK);
    size_t len;
    char *bytes = nt_read_file(full, &len);
    NT_CHECK(bytes && len > 100);
    if (bytes) {
        const char *cut = nt_tmp("cut_header.wav");
        NT_CHECK(nt_write_file(cut, bytes, 20) == 0);
        expect_load_error(cut, NR_ERR_FORMAT, "not an audio file");
        const char *hdr = nt_tmp("header_only.wav");
        NT_CHECK(nt_write_file(hdr, bytes, 44) == 0);
        expect_load_error(hdr, NR_ERR_FORMAT, "truncated"); /* the data chunk says 2000 bytes */
        /* garbage after a RIFF tag */
        memset(bytes + 12, 0xA5, len - 12);
        const char *bad = nt_tmp("garbage.wav");
        NT_CHECK(nt_write_file(bad, bytes, len) == 0);
        expect_load_error(bad, NR_ERR_FORMAT, "not an audio file");
        free(bytes);
    }
    /* a FLAC header claiming 2^33 samples: nothing is allocated for them, and the 44100 real ones are
     * not passed off as the whole file */
    const char *flac = nt_tmp("full.flac");
    float *y = sine(44100, 440.0, 44100, 0.5);
    NT_CHECK(nr_audio_write(flac, y, 44100, 44100, NR_SAMPLE_PCM24) == NR_OK);
    bytes = nt_read_file(flac, &len);
    if (bytes && len > 42 && !memcmp(bytes, "fLaC", 4)) {
        /* STREAMINFO at byte 8: the 36-bit sample count starts at the low nibble of byte 21 */
        bytes[21] = (char)((bytes[21] & 0xF0) | 0x2);
        memset(bytes + 22, 0, 4);
        const char *liar = nt_tmp("liar.flac");
        NT_CHECK(nt_write_file(liar, bytes, len) == 0);
        expect_load_error(liar, NR_ERR_FORMAT, "44100 of the 8589934592 frames");
        /* a sample count of 0 means "not known" (a streaming encoder): every sample loads */
        bytes[21] = (char)(bytes[21] & 0xF0);
        const char *stream = nt_tmp("stream.flac");
        NT_CHECK(nt_write_file(stream, bytes, len) == 0);
        nr_audio a;
        NT_CHECKF(nr_audio_load(stream, 0, &a) == NR_OK, "%s", nr_last_error());
        NT_CHECKF(a.n == 44100 && max_abs_diff(a.samples, y, a.n) < 1e-6, "%ld samples", a.n);
        nr_audio_free(&a);
    }
    free(bytes);
    free(y);
    free(x);
}

/* Write 0.5 s of a sine with libsndfile itself, keep the first `keep` (0..1) of its bytes. */
static const char *write_cut(const char *name, int format, double keep)
{
    static char path[512];
    snprintf(path, sizeof path, "%s", nt_tmp(name));
    SF_INFO info = {0};
    info.samplerate = 22050;
    info.channels = 2;
    info.format = format;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    NT_CHECKF(f != NULL, "%s: %s", path, sf_strerror(NULL));
    if (!f) return path;
    float *x = sine(2 * 11025, 440.0, 22050, 0.5);
    NT_CHECK(sf_writef_float(f, x, 11025) == 11025);
    sf_close(f);
    free(x);
    struct stat st;
    NT_CHECK(stat(path, &st) == 0 && truncate(path, (off_t)(st.st_size * keep)) == 0);
    return path;
}

/* A file cut short (a copy interrupted, a download stopped) is an error naming the file, in every
 * container, whether libsndfile notices it in the header (WAV, AIFF, AU) or while decoding (FLAC). */
static void test_load_truncated(void)
{
    static const struct {
        const char *name;
        int format;
    } kinds[] = {{"cut.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16},   {"cut_float.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT},
                 {"cut.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16}, {"cut.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24},
                 {"cut.au", SF_FORMAT_AU | SF_FORMAT_PCM_16},     {"cut.w64", SF_FORMAT_W64 | SF_FORMAT_PCM_16},
                 {"cut.wavx", SF_FORMAT_WAVEX | SF_FORMAT_PCM_16}};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        const char *whole = write_cut(kinds[k].name, kinds[k].format, 1.0);
        nr_audio a;
        NT_CHECKF(nr_audio_load(whole, 0, &a) == NR_OK && a.n == 11025, "%s: %s", whole, nr_last_error());
        nr_audio_free(&a);
        for (int cut = 1; cut <= 3; cut++) { /* 30 %, 60 %, 90 % of the bytes */
            const char *p = write_cut(kinds[k].name, kinds[k].format, 0.3 * cut);
            expect_load_error(p, NR_ERR_FORMAT, "truncated");
        }
    }
}

/* docs/formats.md quotes the messages for a WAV and a FLAC cut at 60 %: they are the loader's, word for word
 * (the docs once said such a file is read as far as it decodes; it is refused, and the page says so). */
static void test_truncated_as_documented(void)
{
    size_t n;
    char *doc = nt_read_file("docs/formats.md", &n);
    NT_CHECKF(doc != NULL, "cannot read docs/formats.md (run from the repository root)");
    if (!doc) return;
    static const struct {
        const char *name;
        int format;
    } kinds[] = {{"cut.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16}, {"cut.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16}};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        const char *p = write_cut(kinds[k].name, kinds[k].format, 0.6);
        nr_audio a;
        NT_CHECK(nr_audio_load(p, 0, &a) == NR_ERR_FORMAT && a.n == 0);
        const char *msg = nr_last_error();
        char quoted[512];
        snprintf(quoted, sizeof quoted, "`%s%s`", kinds[k].name, msg + strlen(p)); /* the docs name the file alone */
        NT_CHECKF(!strncmp(msg, p, strlen(p)) && strstr(doc, quoted), "docs/formats.md lacks %s", quoted);
    }
    free(doc);
}

/* A WAV whose writer died before it filled in the sizes (RIFF size 8, data size 0). */
static void test_load_unfinished_wav(void)
{
    const char *p = write_cut("unfinished.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1.0);
    size_t len;
    char *b = nt_read_file(p, &len);
    NT_CHECK(b && len == 44 + 11025 * 4 && !memcmp(b + 36, "data", 4));
    if (!b || len < 44) return free(b);
    memcpy(b + 4, "\x08\0\0\0", 4);
    memset(b + 40, 0, 4);
    NT_CHECK(nt_write_file(p, b, len) == 0);
    expect_load_error(p, NR_ERR_FORMAT, "never finished");
    free(b);
}

/* Content decides, not the extension: a FLAC named .wav loads as the FLAC it is. */
static void test_load_wrong_extension(void)
{
    float *x = sine(5000, 440.0, 22050, 0.5);
    const char *flac = nt_tmp("real.flac");
    NT_CHECK(nr_audio_write(flac, x, 5000, 22050, NR_SAMPLE_PCM24) == NR_OK);
    size_t len;
    char *b = nt_read_file(flac, &len);
    const char *named = nt_tmp("really_a_flac.wav");
    NT_CHECK(b && nt_write_file(named, b, len) == 0);
    nr_audio a;
    NT_CHECKF(nr_audio_load(named, 0, &a) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(a.n == 5000 && max_abs_diff(a.samples, x, 5000) < 1e-6, "%ld samples", a.n);
    nr_audio_free(&a);
    free(b);
    free(x);
}

static void test_load_unreadable(void)
{
    if (geteuid() == 0) {
        nt_skip("running as root: permissions do not stop root from reading a file");
        return;
    }
    float x[100] = {0.25f};
    const char *p = nt_tmp("secret.wav");
    NT_CHECK(nr_audio_write(p, x, 100, 22050, NR_SAMPLE_PCM16) == NR_OK && chmod(p, 0) == 0);
    expect_load_error(p, NR_ERR_IO, "Permission denied");
}

static void test_write_errors(void)
{
    float x[100] = {0};
    const char *p = nt_tmp("x.mp9");
    NT_CHECK(nr_audio_write(p, x, 100, 22050, NR_SAMPLE_FLOAT) == NR_ERR_UNSUPPORTED);
    NT_CHECK(strstr(nr_last_error(), p) && strstr(nr_last_error(), "extension"));
    NT_CHECK(nr_audio_write(nt_tmp("no/such/folder/x.wav"), x, 100, 22050, NR_SAMPLE_FLOAT) == NR_ERR_IO);
    NT_CHECK(strstr(nr_last_error(), "no/such/folder/x.wav") != NULL);
    x[50] = NAN;
    NT_CHECK(nr_audio_write(nt_tmp("nan.wav"), x, 100, 22050, NR_SAMPLE_FLOAT) == NR_ERR_VALUE);
    NT_CHECK(!file_exists(nt_tmp("nan.wav")));
    x[50] = 0.0f;
    NT_CHECK(nr_audio_write(nt_tmp("r.wav"), x, 100, 0, NR_SAMPLE_FLOAT) == NR_ERR_ARG);
    NT_CHECK(no_temp_left());
}

/* A write that fails half-way (here: the file size limit, as a full disk would) leaves the old file
 * as it was and no temporary file behind. */
/* Which written files hold samples only within full scale (a sample beyond +-1 is clipped there), and
 * `render` saying so when its output passes full scale: the model's level follows the loudness curve,
 * and the shipped latent point of seed 10 peaks at +1.9 dBFS (seed 2 at -3 dBFS). */
static void test_write_over_full_scale(void)
{
    NT_CHECK(!nr_audio_write_clips("a.wav", NR_SAMPLE_FLOAT) && !nr_audio_write_clips("a.AIFF", NR_SAMPLE_FLOAT));
    NT_CHECK(nr_audio_write_clips("a.wav", NR_SAMPLE_PCM24) && nr_audio_write_clips("a.wav", NR_SAMPLE_PCM16));
    NT_CHECK(nr_audio_write_clips("a.flac", NR_SAMPLE_FLOAT) && nr_audio_write_clips("a.ogg", NR_SAMPLE_FLOAT));
    NT_CHECK(!nr_audio_write_clips("a.mp3", NR_SAMPLE_FLOAT) && !nr_audio_write_clips(NULL, NR_SAMPLE_PCM16));
    /* what libsndfile does with them: clipped in 24-bit, kept in float */
    const float x[4] = {0.5f, 1.5f, -2.0f, 0.25f};
    const char *names[2] = {"over.flac", "over.wav"};
    for (int k = 0; k < 2; k++) {
        const char *path = nt_tmp(names[k]);
        NT_CHECK(nr_audio_write(path, x, 4, 48000, NR_SAMPLE_FLOAT) == NR_OK);
        nr_audio a = {0};
        NT_CHECKF(nr_audio_load(path, 0, &a) == NR_OK && a.n == 4, "%s", nr_last_error());
        float top = 0.0f;
        for (long i = 0; i < a.n; i++) top = fmaxf(top, fabsf(a.samples[i]));
        NT_CHECKF(nr_audio_write_clips(path, NR_SAMPLE_FLOAT) ? top <= 1.0f : top == 2.0f, "%s: peak %g", names[k], top);
        nr_audio_free(&a);
    }
    const char *bin = getenv("NR_BIN");
    if (!bin || !*bin) {
        nt_skip("NR_BIN not set (run through make test)");
        return;
    }
    const struct {
        int seed;
        const char *file, *says, *opt;
    } runs[] = {{10, "loud.flac", "dBFS is over full scale: clipped in this format", ""}, /* the shipped models: +1.8..1.9 dB */
                {10, "loud.wav", "dBFS is over full scale: kept in the float file", ""},
                {2, "quiet.wav", NULL, ""},
                /* as the instrument plays it: the soft limiter keeps the same point under full scale */
                {10, "played.wav", NULL, "--output-stage"}};
    for (int k = 0; k < 4; k++) {
        char cmd[2048];
        const char *log = nt_tmp("render.log");
        snprintf(cmd, sizeof cmd, "'%s' render --latent random --seed %d %s -o '%s' > '%s' 2>&1", bin, runs[k].seed,
                 runs[k].opt, nt_tmp(runs[k].file), log);
        NT_CHECK(system(cmd) == 0);
        char *text = nt_read_file(log, NULL);
        NT_CHECKF(text && strstr(text, "dBFS") && (!runs[k].says || strstr(text, ": peak +")) &&
                      (runs[k].says ? strstr(text, runs[k].says) != NULL : strstr(text, "over full scale") == NULL),
                  "seed %d -> %s: '%s'", runs[k].seed, runs[k].file, text ? text : "");
        if (*runs[k].opt) { /* the file under full scale, the model's own peak over it, both printed */
            nr_audio a = {0};
            NT_CHECKF(nr_audio_load(nt_tmp(runs[k].file), 0, &a) == NR_OK, "%s", nr_last_error());
            float top = 0.0f;
            for (long i = 0; i < a.n; i++) top = fmaxf(top, fabsf(a.samples[i]));
            NT_CHECKF(top <= 0.98f && top > 0.8f && text && strstr(text, "after the output stage (the model's output: +"),
                      "%s: peak %g, '%s'", runs[k].file, top, text ? text : "");
            nr_audio_free(&a);
        }
        free(text);
    }
}

static void test_write_is_atomic(void)
{
    const char *p = nt_tmp("keep.wav");
    float small[1000];
    for (int i = 0; i < 1000; i++) small[i] = 0.25f;
    NT_CHECK(nr_audio_write(p, small, 1000, 22050, NR_SAMPLE_FLOAT) == NR_OK);
    /* the new file has the permissions fopen would give it, not mkstemp's 0600 */
    mode_t mask = umask(022);
    NT_CHECK(nr_audio_write(nt_tmp("mode.wav"), small, 10, 22050, NR_SAMPLE_FLOAT) == NR_OK);
    umask(mask);
    struct stat st;
    NT_CHECKF(stat(nt_tmp("mode.wav"), &st) == 0 && (st.st_mode & 0777) == 0644, "mode %o", st.st_mode & 0777);
    const long n = 1 << 20;
    float *big = sine(n, 100.0, 22050, 0.5);
    NT_CHECK(nt_file_size_limit(64 * 1024) == 0);
    nr_result r = nr_audio_write(p, big, n, 22050, NR_SAMPLE_FLOAT);
    nt_file_size_limit(0);
    NT_CHECKF(r == NR_ERR_IO, "got %s", nr_result_str(r));
    NT_CHECKF(strstr(nr_last_error(), p) && strstr(nr_last_error(), "limit"), "%s", nr_last_error());
    NT_CHECK(no_temp_left());
    nr_audio a;
    NT_CHECK(nr_audio_load(p, 0, &a) == NR_OK && a.n == 1000 && a.samples[999] == 0.25f);
    nr_audio_free(&a);
    /* and a successful write replaces it */
    NT_CHECK(nr_audio_write(p, big, 5000, 22050, NR_SAMPLE_FLOAT) == NR_OK);
    NT_CHECK(nr_audio_load(p, 0, &a) == NR_OK && a.n == 5000);
    nr_audio_free(&a);
    free(big);
}

/* The three sounds of ../shared load and analyse like librosa.load + the goldens (librosa 0.9.2 with
 * resampy 0.4.2). The WAV is at 22050 Hz already; the FLACs are 44.1 kHz stereo and go through
 * nr_audio_resample_kaiser_best, resampy's kaiser_best with its rounding: equal samples as well. */
static void check_sound(const char *file, const char *golden)
{
    char rel[300];
    snprintf(rel, sizeof rel, "sounds/%s", file);
    const char *ps = nt_shared(rel);
    snprintf(rel, sizeof rel, "reference/neurorack/%s_audio.f32", golden);
    const char *pa = nt_shared(rel);
    snprintf(rel, sizeof rel, "reference/neurorack/%s_features.f32", golden);
    const char *pf = nt_shared(rel);
    if (!ps || !pa || !pf) {
        nt_skip("../shared absent: no sounds or goldens");
        return;
    }
    long ng, nf;
    float *g = nt_read_f32(pa, &ng), *gf = nt_read_f32(pf, &nf);
    nr_audio a;
    nr_result r = nr_audio_load(ps, 22050, &a);
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    if (r == NR_OK && g && gf) {
        NT_CHECKF(a.n == ng, "%s: %ld samples, librosa.load gave %ld", file, a.n, ng);
        long n = a.n < ng ? a.n : ng;
        double e2 = 0.0, s2 = 0.0;
        for (long i = 0; i < n; i++) {
            double d = (double)a.samples[i] - g[i];
            e2 += d * d;
            s2 += (double)g[i] * g[i];
        }
        double snr = e2 > 0 ? 10 * log10(s2 / e2) : INFINITY;
        nr_curves c;
        NT_CHECK(nr_analyze(a.samples, a.n, &c) == NR_OK);
        int F = c.n_frames < nf / NR_NUM_DESC ? c.n_frames : (int)(nf / NR_NUM_DESC);
        double med[NR_NUM_DESC], worst[NR_NUM_DESC];
        double *e = malloc((size_t)F * sizeof(double));
        for (int d = 0; d < NR_NUM_DESC; d++) {
            worst[d] = 0.0;
            for (int f = 0; f < F; f++) {
                double want = gf[f * NR_NUM_DESC + d], got = c.data[f * NR_NUM_DESC + d];
                double dd = fabs(got - want);
                e[f] = (dd <= 1e-7 && fabs(want) < 1e-3) ? 0.0 : dd / fmax(fabs(want), 1e-30);
                worst[d] = fmax(worst[d], e[f]);
            }
            /* median by partial selection sort (F is a few hundred) */
            for (int i = 0; i <= F / 2; i++)
                for (int j = i + 1; j < F; j++)
                    if (e[j] < e[i]) {
                        double t = e[i];
                        e[i] = e[j];
                        e[j] = t;
                    }
            med[d] = F ? e[F / 2] : 0.0;
        }
        free(e);
        printf("  %s: audio vs librosa.load SNR %.1f dB; rel err median/worst:", file, snr);
        for (int d = 0; d < NR_NUM_DESC; d++) printf(" %s %.1e/%.1e", nr_desc_names[d], med[d], worst[d]);
        printf("\n");
        /* bit for bit: the same samples as librosa.load, so the descriptors of the goldens */
        NT_CHECKF(snr == INFINITY, "%s: SNR %g", file, snr);
        for (int d = 0; d < NR_NUM_DESC; d++)
            NT_CHECKF(worst[d] <= (d == NR_DESC_PITCH ? 1e-3 : 1e-4), "%s: %s worst %g", file, nr_desc_names[d],
                      worst[d]);
        nr_curves_free(&c);
    }
    if (r == NR_OK) nr_audio_free(&a);
    free(g);
    free(gf);
}

static void test_sound_reference_impact(void) { check_sound("reference_impact.wav", "reference_impact"); }
static void test_sound_bumper(void)
{
    check_sound("dce_synth_one_shot_bumper_Gsmin.flac", "dce_synth_one_shot_bumper_Gsmin");
}
static void test_sound_sh_ffx(void) { check_sound("SH_FFX_123BPM_IMPACT_01.flac", "SH_FFX_123BPM_IMPACT_01"); }

static void test_csv_roundtrip(void)
{
    nr_curves c, d;
    NT_CHECK(nr_curves_alloc(&c, 50, 22050.0f / 512.0f) == NR_OK);
    for (int i = 0; i < 50 * NR_NUM_DESC; i++) c.data[i] = (float)(sin(i * 0.37) * pow(10.0, i % 9 - 4));
    const char *p = nt_tmp("c.csv");
    NT_CHECKF(nr_curves_write_csv(p, &c) == NR_OK, "%s", nr_last_error());
    char *text = nt_read_file(p, NULL);
    NT_CHECK(text && !strncmp(text, "time_s,loudness,percussivity,tonelike,noisiness,richness,brightness,pitch\n0,",
                              76));
    /* time of frame 2 = 2 * 512 / 22050 s */
    NT_CHECK(text && strstr(text, "\n0.0464399093,") != NULL);
    free(text);
    NT_CHECKF(nr_curves_read_csv(p, &d) == NR_OK, "%s", nr_last_error());
    NT_CHECK(d.n_frames == 50 && d.frame_rate == c.frame_rate);
    NT_CHECK(d.n_frames == 50 && !memcmp(c.data, d.data, 50 * NR_NUM_DESC * sizeof(float)));
    nr_curves_free(&d);
    /* another frame rate is read back from the time column */
    nr_curves e;
    NT_CHECK(nr_curves_alloc(&e, 10, 100.0f) == NR_OK);
    NT_CHECK(nr_curves_write_csv(p, &e) == NR_OK);
    NT_CHECK(nr_curves_read_csv(p, &d) == NR_OK && d.n_frames == 10 && fabsf(d.frame_rate - 100.0f) < 1e-3f);
    nr_curves_free(&d);
    nr_curves_free(&e);
    nr_curves_free(&c);
    NT_CHECK(no_temp_left());
}

static void expect_csv_error(const char *name, const char *content, nr_result want, const char *words)
{
    const char *p = nt_tmp(name);
    NT_CHECK(nt_write_file(p, content, strlen(content)) == 0);
    nr_curves c;
    nr_result r = nr_curves_read_csv(p, &c);
    NT_CHECKF(r == want, "%s: got %s (%s)", name, nr_result_str(r), nr_last_error());
    NT_CHECKF(strstr(nr_last_error(), p) && strstr(nr_last_error(), words), "%s: message '%s' lacks '%s'", name,
              nr_last_error(), words);
    NT_CHECK(c.data == NULL);
}

static void test_csv_errors(void)
{
#define HDR "time_s,loudness,percussivity,tonelike,noisiness,richness,brightness,pitch\n"
    expect_csv_error("empty.csv", "", NR_ERR_FORMAT, "empty");
    expect_csv_error("hdr.csv", "time,a,b,c,d,e,f,g\n0,1,2,3,4,5,6,7\n", NR_ERR_FORMAT, ":1: unexpected header");
    expect_csv_error("rows.csv", HDR, NR_ERR_FORMAT, "no data rows");
    expect_csv_error("cols.csv", HDR "0,1,2,3,4,5,6,7\n0.1,1,2,3\n", NR_ERR_FORMAT, ":3: 4 columns; expected 8");
    expect_csv_error("more.csv", HDR "0,1,2,3,4,5,6,7,8\n", NR_ERR_FORMAT, ":2: more than 8");
    expect_csv_error("nan.csv", HDR "0,1,2,3,4,5,6,7\n0.1,1,2,nan,4,5,6,7\n", NR_ERR_VALUE, ":3: column 4 is not finite");
    expect_csv_error("word.csv", HDR "0,1,2,3,4,loud,6,7\n", NR_ERR_FORMAT, ":2: column 6 is not a number");
    expect_csv_error("time.csv", HDR "0.1,1,2,3,4,5,6,7\n0.1,1,2,3,4,5,6,7\n", NR_ERR_FORMAT, ":3: time_s");
    /* time_s that makes an absurd frame rate: 0 and 1e9 (wrapped an int), 0 and 1e-300 (an infinite rate),
     * 0 and 1e308 (a message without the file name) */
    expect_csv_error("slow.csv", HDR "0,1,2,3,4,5,6,7\n1e9,1,2,3,4,5,6,7\n", NR_ERR_VALUE, "frames per second");
    expect_csv_error("fast.csv", HDR "0,1,2,3,4,5,6,7\n1e-300,1,2,3,4,5,6,7\n", NR_ERR_VALUE, "frames per second");
    expect_csv_error("huge.csv", HDR "0,1,2,3,4,5,6,7\n1e308,1,2,3,4,5,6,7\n", NR_ERR_VALUE, "frames per second");
    /* a NUL byte: binary data, not text */
    {
        const char *p = nt_tmp("nul.csv");
        const char bin[] = HDR "0,1,2,3\0,4,5,6,7\n";
        NT_CHECK(nt_write_file(p, bin, sizeof bin - 1) == 0);
        nr_curves c;
        NT_CHECK(nr_curves_read_csv(p, &c) == NR_ERR_FORMAT);
        NT_CHECKF(strstr(nr_last_error(), "nul.csv") && strstr(nr_last_error(), "line 2 holds a NUL"), "%s",
                  nr_last_error());
    }
    /* a header line without end (/dev/zero is the extreme case): refused after the line limit */
    {
        size_t big = 1 << 20;
        char *junk = malloc(big + 1);
        memset(junk, 'x', big);
        junk[big] = '\0';
        expect_csv_error("longline.csv", junk, NR_ERR_FORMAT, "line 1 is longer than 4096 bytes");
        free(junk);
    }
    nr_curves c;
    if (access("/dev/zero", R_OK) == 0) {
        NT_CHECK(nr_curves_read_csv("/dev/zero", &c) == NR_ERR_FORMAT);
        NT_CHECKF(strstr(nr_last_error(), "/dev/zero") && strstr(nr_last_error(), "line 1"), "%s", nr_last_error());
    }
    NT_CHECK(nr_curves_read_csv(nt_tmp("absent.csv"), &c) == NR_ERR_IO);
    NT_CHECK(strstr(nr_last_error(), "absent.csv") != NULL);
    /* CRLF line ends are fine */
    const char *p = nt_tmp("crlf.csv");
    const char *crlf = "time_s,loudness,percussivity,tonelike,noisiness,richness,brightness,pitch\r\n0,1,2,3,4,5,6,7\r\n";
    NT_CHECK(nt_write_file(p, crlf, strlen(crlf)) == 0);
    NT_CHECK(nr_curves_read_csv(p, &c) == NR_OK && c.n_frames == 1 && c.data[6] == 7.0f);
    nr_curves_free(&c);
#undef HDR
}

int main(void)
{
    NT_RUN(test_roundtrip_wav);
    NT_RUN(test_roundtrip_flac_aiff);
    NT_RUN(test_ogg);
    NT_RUN(test_multichannel_mixdown);
    NT_RUN(test_resample);
    NT_RUN(test_load_errors);
    NT_RUN(test_load_truncated);
    NT_RUN(test_truncated_as_documented);
    NT_RUN(test_load_unfinished_wav);
    NT_RUN(test_load_wrong_extension);
    NT_RUN(test_load_unreadable);
    NT_RUN(test_write_errors);
    NT_RUN(test_write_over_full_scale);
    NT_RUN(test_write_is_atomic);
    NT_RUN(test_sound_reference_impact);
    NT_RUN(test_sound_bumper);
    NT_RUN(test_sound_sh_ffx);
    NT_RUN(test_csv_roundtrip);
    NT_RUN(test_csv_errors);
    return nt_end();
}
