/* The analysis resampler (resampy's kaiser_best, src/dsp/kaiser_resample.c) against resampy 0.4.2's
 * own output (tests/ref/resampy, made by scripts/make-resampy-goldens.py), at 44.1, 48, 8, 16 and
 * 96 kHz; very short inputs, silence, identity; its speed; and, with ../shared present, the 44.1 kHz
 * FLACs taken to 48 kHz and back, and the flatness curves of the FLACs before and after (librosa
 * 0.9.2's features of librosa.load's samples, ../shared/reference/neurorack).
 *
 * Why this gives librosa's descriptors at any rate: the analysis at 22050 Hz equals librosa 0.9.2 on
 * its goldens (tests/test_analysis.c); librosa.load resamples with resampy's kaiser_best; so samples
 * equal to resampy's give librosa's descriptors. The descriptor check below compares the analysis of
 * our samples with the analysis of resampy's. */
#include "dsp/kaiser_resample.h"
#include "neurorack.h"
#include "nr_test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GOLDEN_DIR "tests/ref/resampy"
#define TARGET 22050
#define SIGNAL_TOL 1e-6 /* of the peak: resampy's rounding is reproduced; the inputs' sin() may differ by an ulp */
#define DESC_REL_TOL 1e-4
#define DESC_ABS_TOL 1e-7 /* ... for values near zero (|want| < 1e-3), as tests/test_analysis.c */
#define STAT_TOL 1e-6     /* relative, the statistics of shared_48k.csv */
#define SPEED_SECONDS 8.0 /* of audio, and a quarter of it */
#define SPEED_REPS 5
#define MAX_GROWTH 10.0   /* time(4 n) / time(n): 4 when linear, 16 when quadratic */
#define N_BLOCKS 32       /* block RMS values in shared_48k.csv */

static const int g_synth_rates[] = {44100, 48000, 8000, 16000, 96000};
#define N_SYNTH (int)(sizeof g_synth_rates / sizeof g_synth_rates[0])

/* The script's synth(rate): 0.25 s of a chirp 100 Hz .. 0.49 rate at 0.5, plus a noise burst of 0.25
 * from a 32-bit LCG over [n/2, n/2 + n/8); double, then float. (n) */
static float *synth(int rate, long *n_out)
{
    long n = rate / 4;
    float *x = malloc((size_t)n * sizeof *x);
    if (!x) return NULL;
    double dur = (double)n / rate, f0 = 100.0, f1 = 0.49 * rate, k = (f1 - f0) / dur;
    uint32_t state = 12345;
    for (long i = 0; i < n; i++) {
        double t = (double)i / rate;
        double v = 0.5 * sin(2.0 * M_PI * (f0 * t + 0.5 * k * t * t));
        if (i >= n / 2 && i < n / 2 + n / 8) {
            state = state * 1664525u + 1013904223u;
            v += 0.25 * ((state >> 8) / 8388608.0 - 1.0);
        }
        x[i] = (float)v;
    }
    *n_out = n;
    return x;
}

static double peak_of(const float *x, long n)
{
    double p = 0.0;
    for (long i = 0; i < n; i++) p = fmax(p, fabs(x[i]));
    return p;
}

static double max_diff(const float *a, const float *b, long n)
{
    double e = 0.0;
    for (long i = 0; i < n; i++) e = fmax(e, fabs((double)a[i] - b[i]));
    return e;
}

/* Worst relative difference of the descriptors of two 22050 Hz signals over all frames and columns. */
static double desc_worst(const float *a, const float *b, long n)
{
    nr_curves ca, cb;
    if (nr_analyze(a, n, &ca) != NR_OK) return INFINITY;
    if (nr_analyze(b, n, &cb) != NR_OK) {
        nr_curves_free(&ca);
        return INFINITY;
    }
    double worst = ca.n_frames == cb.n_frames ? 0.0 : INFINITY;
    for (long i = 0; worst < INFINITY && i < (long)ca.n_frames * NR_NUM_DESC; i++) {
        double got = ca.data[i], want = cb.data[i], d = fabs(got - want);
        double e = (d <= DESC_ABS_TOL && fabs(want) < 1e-3) ? 0.0 : d / fmax(fabs(want), 1e-30);
        worst = fmax(worst, isnan(e) ? INFINITY : e);
    }
    nr_curves_free(&ca);
    nr_curves_free(&cb);
    return worst;
}

static void test_synthetic_goldens(void)
{
    for (int r = 0; r < N_SYNTH; r++) {
        int rate = g_synth_rates[r];
        char path[256];
        snprintf(path, sizeof path, GOLDEN_DIR "/synth_%d.f32", rate);
        long n, ng;
        float *x = synth(rate, &n), *g = nt_read_f32(path, &ng);
        NT_CHECKF(x && g, "%s: cannot read the golden", path);
        nr_audio a;
        nr_result res = x && g ? nr_audio_resample_kaiser_best(x, n, rate, TARGET, &a) : NR_ERR_ARG;
        NT_CHECKF(res == NR_OK, "%d Hz: %s", rate, nr_last_error());
        if (res == NR_OK) {
            NT_CHECKF(a.n == ng && a.rate == TARGET, "%d Hz: %ld samples, resampy gave %ld", rate, a.n, ng);
            long m = a.n < ng ? a.n : ng;
            double e = max_diff(a.samples, g, m) / peak_of(g, m);
            double dw = desc_worst(a.samples, g, m);
            /* the literal reference kernel, and this one, add the same taps in the same order */
            float *ref = malloc((size_t)m * sizeof *ref);
            long n_res = nr_kb_resampy_length(n, rate, TARGET);
            int same = ref && nr_kb_resample_ref(x, n, rate, TARGET, ref, n_res) &&
                       memcmp(ref, a.samples, (size_t)n_res * sizeof *ref) == 0;
            printf("  %5d Hz -> %d Hz: %ld samples, max |ours - resampy| / peak %.2e, descriptors worst rel %.2e%s\n",
                   rate, TARGET, a.n, e, dw, same ? ", = reference kernel" : "");
            NT_CHECKF(e <= SIGNAL_TOL, "%d Hz: differs from resampy by %g of the peak", rate, e);
            NT_CHECKF(dw <= DESC_REL_TOL, "%d Hz: descriptors differ by %g", rate, dw);
            NT_CHECKF(same, "%d Hz: the fast kernel differs from the reference kernel", rate);
            free(ref);
            nr_audio_free(&a);
        }
        free(x);
        free(g);
    }
}

/* tests/ref/resampy/short.csv: the first n samples of synth(rate), n = 2..64, resampled by resampy. */
static void test_short_inputs(void)
{
    size_t len;
    char *csv = nt_read_file(GOLDEN_DIR "/short.csv", &len);
    NT_CHECKF(csv != NULL, "cannot read %s", GOLDEN_DIR "/short.csv");
    if (!csv) return;
    int groups = 0, rate = 0;
    long n = 0, count = 0;
    nr_audio a = {0};
    double worst = 0.0;
    char *save = NULL;
    for (char *line = strtok_r(csv, "\n", &save);; line = strtok_r(NULL, "\n", &save)) {
        int r2 = 0;
        long n2 = 0, i = 0;
        double v = 0.0;
        int ok = line && line[0] != '#' && sscanf(line, "%d,%ld,%ld,%lf", &r2, &n2, &i, &v) == 4;
        if (line && line[0] == '#') continue;
        if (!ok || r2 != rate || n2 != n) {
            /* a group ends: every output of it was listed */
            if (a.samples) {
                NT_CHECKF(count == a.n, "%d Hz, %ld samples: %ld outputs, resampy gave %ld", rate, n, a.n, count);
                nr_audio_free(&a);
            }
            if (!ok) {
                NT_CHECKF(line == NULL, "bad line in short.csv: %s", line);
                break;
            }
            rate = r2, n = n2, count = 0, groups++;
            long nx;
            float *x = synth(rate, &nx);
            nr_result res = x && n <= nx ? nr_audio_resample_kaiser_best(x, n, rate, TARGET, &a) : NR_ERR_ARG;
            NT_CHECKF(res == NR_OK, "%d Hz, %ld samples: %s", rate, n, nr_last_error());
            free(x);
        }
        if (a.samples && i == count && i < a.n) {
            double e = fabs(a.samples[i] - v);
            worst = fmax(worst, e);
            NT_CHECKF(e <= 1e-9 + SIGNAL_TOL * fabs(v), "%d Hz, %ld samples, output %ld: %.9g, resampy %.9g", rate, n,
                      i, (double)a.samples[i], v);
        }
        count++;
    }
    printf("  %d short inputs (2..64 samples at 44.1, 48, 8 kHz): worst |difference| %.2e\n", groups, worst);
    NT_CHECK(groups >= 10);
    free(csv);
}

static void test_edges(void)
{
    nr_audio a;
    /* one sample at 44.1 kHz: ceil(0.5) = 1 output; resampy refuses (int(0.5) = 0), here it is
     * filtered as the rest: the centre tap of the wing, scaled by the ratio */
    float one = 0.8f;
    NT_CHECK(nr_audio_resample_kaiser_best(&one, 1, 44100, TARGET, &a) == NR_OK && a.n == 1);
    if (a.samples) NT_CHECKF(a.samples[0] == (float)(0.5 * NR_KB_ROLLOFF * 0.8f), "got %.9g", (double)a.samples[0]);
    nr_audio_free(&a);
    /* one sample upwards: 8000 -> 22050 Hz gives 3 samples (int(2.76) = 2 filtered, 1 zero pad) */
    NT_CHECK(nr_audio_resample_kaiser_best(&one, 1, 8000, TARGET, &a) == NR_OK && a.n == 3);
    if (a.samples && a.n == 3)
        NT_CHECKF(a.samples[0] == (float)(NR_KB_ROLLOFF * 0.8f) && a.samples[1] != 0.0f && a.samples[2] == 0.0f,
                  "%g %g %g", a.samples[0], a.samples[1], a.samples[2]);
    nr_audio_free(&a);
    /* silence stays exactly silent; length ceil(n * ratio) */
    float *z = calloc(96000, sizeof *z);
    const int rates[] = {8000, 11025, 44100, 48000, 96000, 192000};
    for (int r = 0; z && r < (int)(sizeof rates / sizeof rates[0]); r++) {
        long n = rates[r] / 2 + 1;
        if (n > 96000) n = 96000;
        NT_CHECK(nr_audio_resample_kaiser_best(z, n, rates[r], TARGET, &a) == NR_OK);
        NT_CHECKF(a.n == (long)ceil(n * ((double)TARGET / rates[r])), "%d Hz: %ld samples", rates[r], a.n);
        NT_CHECKF(peak_of(a.samples, a.n) == 0.0, "%d Hz: silence became %g", rates[r], peak_of(a.samples, a.n));
        nr_audio_free(&a);
    }
    free(z);
    /* 22050 Hz is a copy, bit for bit */
    long n;
    float *x = synth(TARGET, &n);
    NT_CHECK(x && nr_audio_resample_kaiser_best(x, n, TARGET, TARGET, &a) == NR_OK && a.n == n);
    if (x && a.samples) NT_CHECK(memcmp(a.samples, x, (size_t)n * sizeof *x) == 0);
    nr_audio_free(&a);
    free(x);
    /* nothing in, nothing out; wrong arguments are refused with a reason */
    NT_CHECK(nr_audio_resample_kaiser_best(NULL, 0, 44100, TARGET, &a) == NR_OK && a.n == 0);
    nr_audio_free(&a);
    NT_CHECK(nr_audio_resample_kaiser_best(&one, 1, 0, TARGET, &a) == NR_ERR_ARG && !a.samples);
    NT_CHECK(nr_audio_resample_kaiser_best(&one, -1, 44100, TARGET, &a) == NR_ERR_ARG);
    NT_CHECK(nr_audio_resample_kaiser_best(NULL, 5, 44100, TARGET, &a) == NR_ERR_ARG);
    NT_CHECK(nr_audio_resample_kaiser_best(&one, 1, 1000, 768000, &a) == NR_ERR_UNSUPPORTED);
    NT_CHECKF(strstr(nr_last_error(), "1000 -> 768000") != NULL, "%s", nr_last_error());
}

/* Best of SPEED_REPS runs: seconds to resample `seconds` of noise at `rate` to 22050 Hz. */
static double time_resample(int rate, double seconds)
{
    long n = (long)(seconds * rate);
    float *x = malloc((size_t)n * sizeof *x);
    if (!x) return INFINITY;
    uint32_t s = 1;
    for (long i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((s >> 8) / 16777216.0 - 0.5);
    }
    double best = INFINITY;
    for (int rep = 0; rep < SPEED_REPS; rep++) {
        nr_audio a;
        double t0 = nt_thread_cpu_s();
        nr_result res = nr_audio_resample_kaiser_best(x, n, rate, TARGET, &a);
        double dt = nt_thread_cpu_s() - t0;
        if (res != NR_OK) {
            best = INFINITY;
            break;
        }
        nr_audio_free(&a);
        best = fmin(best, dt);
    }
    free(x);
    return best;
}

/* Linear in the length (4x the signal, about 4x the time; quadratic would be 16x), and its speed
 * printed: the machines that run the tests (emulators, sanitizers, shared cores) differ too much
 * for a bound on that. */
static void test_speed(void)
{
    /* timings under qemu say nothing of the code */
    if (nt_skip_emulated("emulated: the cost's growth with length is measured natively and under ASan")) return;
    nr_kb_table(); /* built once per process: not part of the per-call time */
    const int rates[] = {44100, 48000};
    for (int r = 0; r < 2; r++) {
        double t_short = time_resample(rates[r], SPEED_SECONDS / 4), t_long = time_resample(rates[r], SPEED_SECONDS);
        printf("  %d Hz -> %d Hz: %.0f s in %.1f ms, %.0fx real time; 4x longer took %.1fx the time\n", rates[r],
               TARGET, SPEED_SECONDS, 1e3 * t_long, SPEED_SECONDS / t_long, t_long / t_short);
        NT_CHECKF(isfinite(t_long) && t_long / t_short < MAX_GROWTH, "%d Hz: 4x the length took %.1fx the time",
                  rates[r], t_long / t_short);
    }
}

/* shared_48k.csv: each FLAC of ../shared (mono) taken 44.1 -> 48 -> 22.05 kHz by resampy. */
static void test_shared_48k(void)
{
    size_t len;
    char *csv = nt_read_file(GOLDEN_DIR "/shared_48k.csv", &len);
    NT_CHECKF(csv != NULL, "cannot read %s", GOLDEN_DIR "/shared_48k.csv");
    if (!csv) return;
    if (!nt_shared("sounds")) {
        nt_skip("../shared absent: no sounds");
        free(csv);
        return;
    }
    int files = 0;
    char *save = NULL;
    for (char *line = strtok_r(csv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') continue;
        char *comma = strchr(line, ',');
        if (!comma) continue;
        *comma = '\0';
        double want[4 + N_BLOCKS];
        char *p = comma + 1;
        int k = 0;
        for (; k < 4 + N_BLOCKS && *p; k++) {
            char *end;
            want[k] = strtod(p, &end);
            p = *end == ',' ? end + 1 : end;
        }
        NT_CHECKF(k == 4 + N_BLOCKS, "%s: %d values in shared_48k.csv", line, k);
        char rel[300];
        snprintf(rel, sizeof rel, "sounds/%s", line);
        const char *path = nt_shared(rel);
        nr_audio in, a48, a;
        if (!path || k != 4 + N_BLOCKS || nr_audio_load(path, 0, &in) != NR_OK) {
            NT_CHECKF(0, "%s: %s", line, path ? nr_last_error() : "not in ../shared/sounds");
            continue;
        }
        files++;
        NT_CHECK(nr_audio_resample_kaiser_best(in.samples, in.n, in.rate, 48000, &a48) == NR_OK);
        NT_CHECK(nr_audio_resample_kaiser_best(a48.samples, a48.n, 48000, TARGET, &a) == NR_OK);
        double sum = 0, sumsq = 0, worst = 0;
        for (long i = 0; i < a.n; i++) sum += a.samples[i], sumsq += (double)a.samples[i] * a.samples[i];
        double peak = peak_of(a.samples, a.n), scale = sqrt(sumsq * (double)a.n);
        NT_CHECKF(a.n == (long)want[0], "%s: %ld samples, resampy %ld", line, a.n, (long)want[0]);
        worst = fmax(worst, fabs(sum - want[1]) / scale);
        worst = fmax(worst, fabs(sumsq - want[2]) / want[2]);
        worst = fmax(worst, fabs(peak - want[3]) / want[3]);
        /* numpy's array_split: the first n % blocks blocks are one longer */
        long base = a.n / N_BLOCKS, extra = a.n % N_BLOCKS, at = 0;
        for (int b = 0; b < N_BLOCKS && a.n == (long)want[0]; b++) {
            long len_b = base + (b < extra);
            double e2 = 0;
            for (long i = at; i < at + len_b; i++) e2 += (double)a.samples[i] * a.samples[i];
            at += len_b;
            worst = fmax(worst, fabs(sqrt(e2 / len_b) - want[4 + b]) / want[3]);
        }
        printf("  %s at 48 kHz -> %d Hz: %ld samples, statistics within %.2e of resampy's\n", line, TARGET, a.n, worst);
        NT_CHECKF(worst <= STAT_TOL, "%s: statistics differ by %g", line, worst);
        nr_audio_free(&a);
        nr_audio_free(&a48);
        nr_audio_free(&in);
    }
    NT_CHECKF(files >= 2, "%d FLACs compared", files);
    free(csv);
}

/* Median relative error of the noisiness (flatness) curve against librosa's features of the file. */
static double flatness_median(const nr_audio *a, const float *gf, long nf)
{
    nr_curves c;
    if (nr_analyze(a->samples, a->n, &c) != NR_OK) return INFINITY;
    long F = c.n_frames < nf / NR_NUM_DESC ? c.n_frames : nf / NR_NUM_DESC;
    double *e = malloc((size_t)(F > 0 ? F : 1) * sizeof *e);
    if (!e) {
        nr_curves_free(&c);
        return INFINITY;
    }
    for (long f = 0; f < F; f++) {
        double want = gf[f * NR_NUM_DESC + NR_DESC_NOISINESS], got = c.data[f * NR_NUM_DESC + NR_DESC_NOISINESS];
        e[f] = fabs(got - want) / fmax(fabs(want), 1e-30);
    }
    for (long i = 0; i <= F / 2; i++) /* the median, by partial selection */
        for (long j = i + 1; j < F; j++)
            if (e[j] < e[i]) {
                double t = e[i];
                e[i] = e[j];
                e[j] = t;
            }
    double m = F ? e[F / 2] : INFINITY;
    free(e);
    nr_curves_free(&c);
    return m;
}

/* The 44.1 kHz FLACs: flatness through libsamplerate (the resampler the analysis had before) and
 * through this one, against librosa's features of the file. */
static void test_flatness_flacs(void)
{
    const char *names[] = {"dce_synth_one_shot_bumper_Gsmin", "SH_FFX_123BPM_IMPACT_01"};
    const int n_sounds = getenv("NR_EMULATED") ? 1 : 2; /* emulated: the first (both run natively) */
    for (int s = 0; s < n_sounds; s++) {
        char rel[300];
        snprintf(rel, sizeof rel, "sounds/%s.flac", names[s]);
        const char *ps = nt_shared(rel);
        snprintf(rel, sizeof rel, "reference/neurorack/%s_features.f32", names[s]);
        const char *pf = nt_shared(rel);
        if (!ps || !pf) {
            nt_skip("../shared absent: no sounds or goldens");
            return;
        }
        long nf;
        float *gf = nt_read_f32(pf, &nf);
        nr_audio in, old_y, new_y;
        NT_CHECK(gf && nr_audio_load(ps, 0, &in) == NR_OK);
        if (!gf || !in.samples) {
            free(gf);
            continue;
        }
        NT_CHECK(nr_audio_resample(in.samples, in.n, in.rate, TARGET, &old_y) == NR_OK);
        NT_CHECK(nr_audio_resample_kaiser_best(in.samples, in.n, in.rate, TARGET, &new_y) == NR_OK);
        double mo = flatness_median(&old_y, gf, nf), mn = flatness_median(&new_y, gf, nf);
        printf("  %s.flac: noisiness median rel error vs librosa: libsamplerate %.1f%%, kaiser_best %.1e\n", names[s],
               100.0 * mo, mn);
        NT_CHECKF(mn <= DESC_REL_TOL, "%s: flatness median %g", names[s], mn);
        nr_audio_free(&old_y);
        nr_audio_free(&new_y);
        nr_audio_free(&in);
        free(gf);
    }
}

int main(void)
{
    NT_RUN(test_synthetic_goldens);
    NT_RUN(test_short_inputs);
    NT_RUN(test_edges);
    NT_RUN(test_speed);
    NT_RUN(test_shared_48k);
    NT_RUN(test_flatness_flacs);
    return nt_end();
}
