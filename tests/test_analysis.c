/* Descriptor analysis against librosa 0.9.2 golden features, every frame of every golden file. */
#include "neurorack.h"
#include "nr_test.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REL_TOL 1e-4  /* rms, zcr, rolloff, flatness, bandwidth, centroid */
#define ABS_TOL 1e-7  /* ... near zero */
#define YIN_TOL 1e-3  /* yin: relative, */
#define YIN_SHARE 0.99 /* on at least this share of the frames */

static const char *const g_goldens[] = {
    "desc_sine440",  "desc_noise", "desc_impulse", "desc_silence", "desc_decay_sweep",
    "reference_impact", "dce_synth_one_shot_bumper_Gsmin", "SH_FFX_123BPM_IMPACT_01",
};
#define N_GOLDENS (sizeof g_goldens / sizeof g_goldens[0])

/* Worst relative error of each descriptor over all goldens (printed at the end). */
static double g_worst[NR_NUM_DESC];
static long g_yin_ok, g_yin_total;

/* Relative error; differences within ABS_TOL of a golden value near zero (|want| < 1e-3) count as 0. */
static double rel_err(double got, double want)
{
    double d = fabs(got - want);
    if (isnan(d)) return INFINITY;
    if (d == 0.0 || (d <= ABS_TOL && fabs(want) < 1e-3)) return 0.0;
    return d / fabs(want);
}

static void check_golden(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "reference/neurorack/%s_audio.f32", name);
    const char *pa = nt_shared(rel);
    snprintf(rel, sizeof rel, "reference/neurorack/%s_features.f32", name);
    const char *pf = nt_shared(rel);
    if (!pa || !pf) {
        nt_skip("../shared absent: no golden descriptor files");
        return;
    }
    long n = 0, nf = 0;
    float *y = nt_read_f32(pa, &n);
    float *want = nt_read_f32(pf, &nf);
    NT_CHECK(y && want);
    if (!y || !want) {
        free(y);
        free(want);
        return;
    }
    nr_curves c;
    nr_result r = nr_analyze(y, n, &c);
    NT_CHECKF(r == NR_OK, "%s: %s", name, nr_last_error());
    if (r == NR_OK) {
        NT_CHECKF(c.n_frames * NR_NUM_DESC == nf, "%s: %d frames, golden has %ld", name, c.n_frames,
                  nf / NR_NUM_DESC);
        int frames = c.n_frames < nf / NR_NUM_DESC ? c.n_frames : (int)(nf / NR_NUM_DESC);
        double worst[NR_NUM_DESC] = {0};
        int worst_at[NR_NUM_DESC] = {0};
        long yin_ok = 0;
        for (int f = 0; f < frames; f++) {
            for (int d = 0; d < NR_NUM_DESC; d++) {
                double e = rel_err(c.data[f * NR_NUM_DESC + d], want[f * NR_NUM_DESC + d]);
                if (e > worst[d]) {
                    worst[d] = e;
                    worst_at[d] = f;
                }
                if (d == NR_DESC_PITCH) yin_ok += e <= YIN_TOL;
            }
        }
        printf("  %-32s frames %4d  worst rel err:", name, frames);
        for (int d = 0; d < NR_NUM_DESC; d++) printf(" %s %.1e", nr_desc_names[d], worst[d]);
        printf("  yin ok %ld/%d\n", yin_ok, frames);
        for (int d = 0; d < NR_NUM_DESC; d++) {
            if (worst[d] > g_worst[d]) g_worst[d] = worst[d];
            if (d == NR_DESC_PITCH) continue;
            int f = worst_at[d];
            NT_CHECKF(worst[d] <= REL_TOL, "%s: %s frame %d: got %.9g, golden %.9g", name, nr_desc_names[d], f,
                      c.data[f * NR_NUM_DESC + d], want[f * NR_NUM_DESC + d]);
        }
        NT_CHECKF(yin_ok >= YIN_SHARE * frames, "%s: yin within 0.1%% on only %ld of %d frames", name, yin_ok,
                  frames);
        g_yin_ok += yin_ok;
        g_yin_total += frames;
        nr_curves_free(&c);
    }
    free(y);
    free(want);
}

static void test_desc_sine440(void) { check_golden(g_goldens[0]); }
static void test_desc_noise(void) { check_golden(g_goldens[1]); }
static void test_desc_impulse(void) { check_golden(g_goldens[2]); }
static void test_desc_silence(void) { check_golden(g_goldens[3]); }
static void test_desc_decay_sweep(void) { check_golden(g_goldens[4]); }
static void test_reference_impact(void) { check_golden(g_goldens[5]); }
static void test_dce_bumper(void) { check_golden(g_goldens[6]); }
static void test_sh_ffx_impact(void) { check_golden(g_goldens[7]); }

/* Framing and edge cases that need no golden file. */
static void test_framing(void)
{
    nr_curves c;
    NT_CHECK(nr_analyze(NULL, 0, &c) == NR_OK && c.n_frames == 0);
    nr_curves_free(&c);
    float y[2000];
    for (int i = 0; i < 2000; i++) y[i] = 0.5f * sinf(2.0f * 3.14159265f * 1000.0f * i / 22050.0f);
    NT_CHECK(nr_analyze(y, 511, &c) == NR_OK && c.n_frames == 0);
    nr_curves_free(&c);
    NT_CHECK(nr_analyze(y, 2000, &c) == NR_OK && c.n_frames == 3);
    NT_CHECKF(fabsf(c.frame_rate - 22050.0f / 512.0f) < 1e-3f, "frame rate %g", c.frame_rate);
    /* the middle frame sees a 1 kHz sine: its yin and centroid are near 1 kHz */
    NT_CHECKF(fabsf(c.data[1 * NR_NUM_DESC + NR_DESC_PITCH] - 1000.0f) < 5.0f, "pitch %g",
              c.data[1 * NR_NUM_DESC + NR_DESC_PITCH]);
    nr_curves_free(&c);
    y[100] = NAN;
    NT_CHECK(nr_analyze(y, 2000, &c) == NR_ERR_VALUE);
    NT_CHECK(strstr(nr_last_error(), "sample 100") != NULL);
    NT_CHECK(nr_analyze(NULL, 10, &c) == NR_ERR_ARG);
}

/* Two threads analysing at once (plans are shared, buffers are not) get the one-thread result. */
typedef struct {
    const float *y;
    long n;
    nr_curves c;
    nr_result r;
} job;

static void *run_job(void *p)
{
    job *j = p;
    j->r = nr_analyze(j->y, j->n, &j->c);
    return NULL;
}

static void test_threads(void)
{
    const long n = 22050 * 3;
    float *y = malloc((size_t)n * sizeof(float));
    unsigned s = 1;
    for (long i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        y[i] = (float)(0.3 * sin(i * 0.05) + 0.1 * ((s >> 9) / 8388608.0 - 1.0));
    }
    nr_curves ref;
    NT_CHECK(nr_analyze(y, n, &ref) == NR_OK);
    job j[2] = {{y, n, {0}, NR_OK}, {y, n, {0}, NR_OK}};
    pthread_t t[2];
    for (int k = 0; k < 2; k++) NT_CHECK(pthread_create(&t[k], NULL, run_job, &j[k]) == 0);
    for (int k = 0; k < 2; k++) {
        pthread_join(t[k], NULL);
        NT_CHECK(j[k].r == NR_OK && j[k].c.n_frames == ref.n_frames &&
                 !memcmp(j[k].c.data, ref.data, (size_t)ref.n_frames * NR_NUM_DESC * sizeof(float)));
        nr_curves_free(&j[k].c);
    }
    nr_curves_free(&ref);
    free(y);
}

/* `neurorack analyze`: the CSV it writes (file or stdout) holds nr_analyze_file's curves. */
static void test_cli(void)
{
    const char *bin = getenv("NR_BIN");
    if (!bin || !*bin) {
        nt_skip("NR_BIN not set (run through make test)");
        return;
    }
    const long n = 30000;
    float *y = malloc((size_t)n * sizeof(float));
    for (long i = 0; i < n; i++) y[i] = (float)(0.5 * sin(i * 0.06) * exp(-i / 8000.0));
    char wav[512], csv[512], out[512], cmd[2048];
    snprintf(wav, sizeof wav, "%s", nt_tmp("in.wav"));
    snprintf(csv, sizeof csv, "%s", nt_tmp("in.csv"));
    snprintf(out, sizeof out, "%s", nt_tmp("stdout.csv"));
    NT_CHECK(nr_audio_write(wav, y, n, 44100, NR_SAMPLE_FLOAT) == NR_OK);
    snprintf(cmd, sizeof cmd, "'%s' analyze '%s' -o '%s'", bin, wav, csv);
    NT_CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "'%s' analyze '%s' > '%s'", bin, wav, out);
    NT_CHECK(system(cmd) == 0);
    nr_curves want, got;
    NT_CHECK(nr_analyze_file(wav, &want) == NR_OK);
    NT_CHECKF(nr_curves_read_csv(csv, &got) == NR_OK, "%s", nr_last_error());
    NT_CHECK(got.n_frames == want.n_frames && want.n_frames == (int)(ceil(n / 2.0) / 512) &&
             !memcmp(got.data, want.data, (size_t)want.n_frames * NR_NUM_DESC * sizeof(float)));
    nr_curves_free(&got);
    char *a = nt_read_file(csv, NULL), *b = nt_read_file(out, NULL);
    NT_CHECK(a && b && !strcmp(a, b));
    free(a);
    free(b);
    nr_curves_free(&want);
    snprintf(cmd, sizeof cmd, "'%s' analyze '%s' 2> '%s'", bin, nt_tmp("absent.wav"), out);
    int rc = system(cmd);
    char *msg = nt_read_file(out, NULL);
    NT_CHECKF(rc != 0 && msg && strstr(msg, "absent.wav"), "rc %d, stderr '%s'", rc, msg ? msg : "");
    free(msg);
    free(y);
}

int main(void)
{
    NT_RUN(test_framing);
    NT_RUN(test_threads);
    NT_RUN(test_cli);
    NT_RUN(test_desc_sine440);
    NT_RUN(test_desc_noise);
    NT_RUN(test_desc_impulse);
    NT_RUN(test_desc_silence);
    NT_RUN(test_desc_decay_sweep);
    NT_RUN(test_reference_impact);
    NT_RUN(test_dce_bumper);
    NT_RUN(test_sh_ffx_impact);
    if (g_yin_total) {
        printf("  worst rel err over all goldens:");
        for (int d = 0; d < NR_NUM_DESC; d++) printf(" %s %.2e", nr_desc_names[d], g_worst[d]);
        printf("\n  yin within 0.1%%: %ld of %ld frames (%.2f%%)\n", g_yin_ok, g_yin_total,
               100.0 * g_yin_ok / g_yin_total);
    }
    return nt_end();
}
