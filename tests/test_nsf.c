/* The original Neurorack model (hn-sinc-NSF): loading, golden vectors from PyTorch, streaming voice. */
#include "neurorack.h"
#include "models/nsf_internal.h"
#include "nr_test.h"
#include "core/cpu.h"
#include "extra_tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_PATH "models/neurorack-nsf/model_nsf_sinc_ema_impacts_waveform_5.0.th"
#define REF "reference/neurorack/"
#define GOLDEN_TOL 1e-4f

/* Shorter renders under ASan and under emulation (make test-aarch64 sets NR_EMULATED): the same
 * kernels, fewer frames. */
static int emulated(void) { return getenv("NR_EMULATED") != NULL; }
static int reduced(void) { return UNDER_ASAN || emulated(); }
static const char *reduced_why(void) { return UNDER_ASAN ? "ASan build" : "emulated"; }

static nr_model *g_model;
static char g_why[512];

/* The model, loaded once; NULL after nt_skip/fail with the reason. */
static nr_model *model(void)
{
    if (g_model) return g_model;
    if (g_why[0]) { /* ../shared absent: a skip; a model that failed to load: every test using it fails */
        if (strncmp(g_why, "../shared absent", 16) == 0) nt_skip(g_why);
        else nt_fail_at(__FILE__, __LINE__, "%s", g_why);
        return NULL;
    }
    const char *p = nt_shared(MODEL_PATH);
    if (!p) {
        snprintf(g_why, sizeof g_why, "../shared absent: no %s", MODEL_PATH);
        nt_skip(g_why);
        return NULL;
    }
    nr_result r = nr_model_load(p, &g_model);
    NT_CHECKF(r == NR_OK, "load: %s", nr_last_error());
    if (r != NR_OK) snprintf(g_why, sizeof g_why, "model failed to load: %s", nr_last_error());
    return r == NR_OK ? g_model : NULL;
}

static float *ref_f32(const char *name, long want)
{
    char rel[256];
    snprintf(rel, sizeof rel, REF "%s", name);
    const char *p = nt_shared(rel);
    if (!p) return NULL;
    long n = 0;
    float *d = nt_read_f32(p, &n);
    if (d && want > 0 && n < want) {
        free(d);
        return NULL;
    }
    return d;
}

static float max_err(const float *a, const float *b, long n)
{
    float m = 0.0f;
    for (long i = 0; i < n; i++) {
        float e = fabsf(a[i] - b[i]);
        if (!(e <= m)) m = e; /* NaN wins */
    }
    return m;
}

static void test_load_info(void)
{
    nr_model *m = model();
    if (!m) return;
    nr_model_info in;
    nr_model_get_info(m, &in);
    NT_CHECK(!strcmp(in.arch, "hn-sinc-nsf"));
    NT_CHECKF(in.n_params == 777224, "n_params %lld", (long long)in.n_params);
    NT_CHECK(in.sample_rate == 22050 && in.hop == 512);
    NT_CHECKF(in.lookahead_frames == 6, "lookahead %d", in.lookahead_frames);
    NT_CHECKF(fabsf(in.desc_mean[2] - 1693.7f) < 0.1f && fabsf(in.desc_mean[0] - 0.0935f) < 1e-3f, "mean %g %g",
              in.desc_mean[0], in.desc_mean[2]);
    NT_CHECKF(in.macs_per_sample > 0.67e6 && in.macs_per_sample < 0.70e6, "macs %g", in.macs_per_sample);
    NT_CHECK(in.weights_bytes >= 777224 * 4 && in.voice_bytes > 0);
    printf("  params %lld, weights %.2f MB, voice %.2f MB (4096 block), %.3f M MACs/sample, lookahead %d frames\n",
           (long long)in.n_params, in.weights_bytes / 1e6, in.voice_bytes / 1e6, in.macs_per_sample / 1e6,
           in.lookahead_frames);
}

static void golden_sound(const char *snd)
{
    nr_model *m = model();
    if (!m) return;
    const nsf_weights *w = nsf_weights_of(m);
    char name[256];
    /* Under ASan or emulation only the first frames are rendered: the output before the last lookahead frames of
     * a prefix equals the whole sound's (the end padding only reaches that far back). */
    const int F = emulated() ? 9 : reduced() ? 24 : 64;
    const long S = (long)F * w->hop;
    const long SC = reduced() ? (long)(F - nsf_lookahead_frames(w) - 1) * w->hop : S; /* compared */
    snprintf(name, sizeof name, "%s_nsf_frames.f32", snd);
    float *frames = ref_f32(name, 64 * NR_NUM_DESC);
    if (!frames) {
        nt_skip("../shared absent: NSF golden frames missing");
        return;
    }
    float *out = malloc(S * sizeof(float)), *har = malloc(S * sizeof(float)), *cut = malloc(S * sizeof(float));
    float *ctx = malloc((size_t)S * w->hidden * sizeof(float));
    nr_voice_config cfg = nr_voice_config_init();
    cfg.no_noise = 1;
    nsf_taps taps = {.har = har, .ctx = ctx, .cut = cut};
    nr_result r = nsf_render_offline(m, frames, F, &cfg, out, &taps);
    NT_CHECKF(r == NR_OK, "render: %s", nr_last_error());
    struct {
        const char *suffix;
        const float *mine;
        long n;
    } cmp[] = {
        {"det_output", out, SC},
        {"det_har_source", har, SC},
        {"context_first2048", ctx, 2048L * w->hidden},
        {"cut_f", cut, SC},
    };
    printf("  %s", snd);
    if (reduced()) printf(" (%s: first %ld of 64 frames)", reduced_why(), SC / w->hop);
    printf(":");
    for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++) {
        snprintf(name, sizeof name, "%s_nsf_%s.f32", snd, cmp[i].suffix);
        float *g = ref_f32(name, cmp[i].n);
        NT_CHECKF(g != NULL, "missing golden %s", name);
        if (!g) continue;
        float e = max_err(cmp[i].mine, g, cmp[i].n);
        printf(" %s %.2e", cmp[i].suffix, e);
        NT_CHECKF(e < GOLDEN_TOL, "%s: max abs error %g", name, e);
        free(g);
    }
    /* the filter stage alone on the recorded random sources */
    snprintf(name, sizeof name, "%s_nsf_rnd_har_source.f32", snd);
    float *rh = ref_f32(name, 64L * w->hop);
    snprintf(name, sizeof name, "%s_nsf_rnd_noi_source.f32", snd);
    float *rn = ref_f32(name, 64L * w->hop);
    snprintf(name, sizeof name, "%s_nsf_rnd_output.f32", snd);
    float *ro = ref_f32(name, 64L * w->hop);
    NT_CHECK(rh && rn && ro);
    if (rh && rn && ro) {
        r = nsf_filter_replay(m, frames, F, rh, rn, out);
        NT_CHECKF(r == NR_OK, "replay: %s", nr_last_error());
        float e = max_err(out, ro, SC);
        printf(" rnd_output %.2e", e);
        NT_CHECKF(e < GOLDEN_TOL, "%s rnd replay: max abs error %g", snd, e);
    }
    printf("\n");
    free(rh);
    free(rn);
    free(ro);
    free(frames);
    free(out);
    free(har);
    free(cut);
    free(ctx);
}

static void test_golden_reference_impact(void) { golden_sound("reference_impact"); }
/* One golden sound covers the kernels under emulation (40-120 times slower), and on the generic path (the
 * portable C, 5-10 times slower than the vector paths; with the 301-frame golden below); the vector paths
 * run all three. */
static int other_goldens_skipped(void)
{
    if (emulated()) nt_skip("emulated: the first golden sound covers the same kernels (all three run natively)");
    else if (nr_cpu_path() == NR_CPU_GENERIC)
        nt_skip("generic path: reference_impact and the 301-frame golden cover its kernels (the vector paths run all three)");
    else return 0;
    return 1;
}
static void test_golden_dce_synth(void)
{
    if (!other_goldens_skipped()) golden_sound("dce_synth_one_shot_bumper_Gsmin");
}
static void test_golden_sh_ffx(void)
{
    if (!other_goldens_skipped()) golden_sound("SH_FFX_123BPM_IMPACT_01");
}

static void test_golden_301_frames(void)
{
    if (reduced()) {
        nt_skip("301-frame golden runs in the native normal build only (too slow under ASan or emulation)");
        return;
    }
    nr_model *m = model();
    if (!m) return;
    const int F = 301;
    const long S = (long)F * 512;
    float *frames = ref_f32("reference_impact_features.f32", F * NR_NUM_DESC);
    float *g = ref_f32("reference_impact_nsf_det_output_301frames.f32", S);
    if (!frames || !g) {
        nt_skip("../shared absent: 301-frame golden missing");
        free(frames);
        free(g);
        return;
    }
    float *out = malloc(S * sizeof(float));
    nr_voice_config cfg = nr_voice_config_init();
    cfg.no_noise = 1;
    nr_result r = nsf_render_offline(m, frames, F, &cfg, out, NULL);
    NT_CHECKF(r == NR_OK, "render: %s", nr_last_error());
    float e = max_err(out, g, S);
    printf("  reference_impact 301 frames: det_output %.2e\n", e);
    NT_CHECKF(e < GOLDEN_TOL, "301 frames: max abs error %g", e);
    free(out);
    free(frames);
    free(g);
}


/* Render through the voice in blocks (sizes from `sizes`, cycling; 0 = random 1..4096), pushing frames
 * only as far ahead as needed, sometimes further. Returns samples produced. */
static long render_voice(nr_model *m, const float *frames, int F, const nr_voice_config *cfg, const int *sizes,
                         int n_sizes, float *out, unsigned seed)
{
    nr_voice *v = NULL;
    nr_result r = nr_voice_create(m, cfg, &v);
    NT_CHECKF(r == NR_OK, "voice: %s", nr_last_error());
    if (r != NR_OK) return 0;
    const long S = (long)F * 512;
    long done = 0;
    int next = 0, k = 0;
    while (done < S) {
        int b = sizes[k++ % n_sizes];
        if (b == 0) {
            seed = seed * 1103515245u + 12345u;
            b = 1 + (int)((seed >> 8) % 4096);
        }
        if (b > cfg->max_block) b = cfg->max_block;
        int extra = (int)((seed >> 4) % 3); /* frames pushed beyond the need */
        while (next < F && (nr_voice_available(v) < b || extra-- > 0)) {
            if (!nr_voice_push_frame(v, frames + (size_t)next * NR_NUM_DESC)) break;
            next++;
        }
        if (next == F) nr_voice_end(v);
        int want = (int)(S - done < b ? S - done : b);
        int got = nr_voice_process(v, out + done, want);
        NT_CHECKF(got > 0, "voice stalled at %ld of %ld (available %ld)", done, S, nr_voice_available(v));
        if (got <= 0) break;
        done += got;
    }
    NT_CHECK(nr_voice_finished(v));
    NT_CHECK(nr_voice_process(v, out, 16) == 0);
    nr_voice_free(v);
    return done;
}

static void stream_case(nr_model *m, const float *frames, int F, int no_noise, const int *sizes, int n_sizes,
                        const char *label)
{
    const long S = (long)F * 512;
    float *ref = malloc(S * sizeof(float)), *got = malloc(S * sizeof(float));
    nr_voice_config cfg = nr_voice_config_init();
    cfg.no_noise = no_noise;
    cfg.seed = 1234;
    nr_result r = nsf_render_offline(m, frames, F, &cfg, ref, NULL);
    NT_CHECKF(r == NR_OK, "offline: %s", nr_last_error());
    long n = render_voice(m, frames, F, &cfg, sizes, n_sizes, got, 99u + (unsigned)F);
    NT_CHECKF(n == S, "%s: %ld of %ld samples", label, n, S);
    if (n == S) {
        float e = max_err(ref, got, S);
        printf("  %-28s %3d frames: streaming vs offline max error %.2e\n", label, F, e);
        NT_CHECKF(e < 1e-5f, "%s: streaming differs from offline by %g", label, e);
    }
    free(ref);
    free(got);
}

/* reference_impact's 64 golden frames (malloc'd), or NULL after skipping the test where ../shared is absent. */
static float *impact_frames(void)
{
    float *frames = ref_f32("reference_impact_nsf_frames.f32", 64 * NR_NUM_DESC);
    if (!frames) nt_skip("../shared absent: NSF golden frames missing");
    return frames;
}

static void test_streaming_blocks(void)
{
    nr_model *m = model();
    if (!m) return;
    float *frames = impact_frames();
    if (!frames) return;
    static const int one[] = {1}, seven[] = {7}, b64[] = {64}, b512[] = {512}, b4096[] = {4096},
                     rnd[] = {0}, mixed[] = {3, 4096, 1, 511, 0, 64, 2000};
    /* under ASan shorter sounds keep the program within its time budget; emulated, three cases */
    const int F = emulated() ? 6 : reduced() ? 20 : 64;
    if (reduced()) printf("  (%s: %d-frame sounds instead of 64)\n", reduced_why(), F);
    if (emulated()) {
        printf("  (emulated: mixed blocks with noise, a one-frame sound; all nine cases run natively)\n");
        stream_case(m, frames, F, 0, mixed, 7, "mixed blocks, noise on");
        stream_case(m, frames, 1, 1, mixed, 7, "one-frame sound");
        free(frames);
        return;
    }
    stream_case(m, frames, 10, 1, one, 1, "block 1");
    stream_case(m, frames, F, 1, seven, 1, "block 7");
    stream_case(m, frames, F, 1, b64, 1, "block 64");
    stream_case(m, frames, F, 1, b512, 1, "block 512");
    stream_case(m, frames, F, 1, b4096, 1, "block 4096");
    stream_case(m, frames, F, 1, rnd, 1, "random blocks");
    stream_case(m, frames, F, 0, mixed, 7, "mixed blocks, noise on");
    stream_case(m, frames, 1, 1, mixed, 7, "one-frame sound");
    stream_case(m, frames, 5, 0, rnd, 1, "five-frame sound, noise on");
    free(frames);
}

/* --threads: one voice split across a team must give the one-thread output bit for bit, for every block
 * size (1 and 7 stay on the calling thread; 64 and up are split, 4096 in chunks) along a sound of a few
 * seconds made of the three golden sounds' frames, noise on. */
static float *three_sounds(int *F)
{
    static const char *const snd[] = {"reference_impact", "dce_synth_one_shot_bumper_Gsmin", "SH_FFX_123BPM_IMPACT_01"};
    float *all = malloc(3 * 64 * NR_NUM_DESC * sizeof(float));
    for (int i = 0; i < 3 && all; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s_nsf_frames.f32", snd[i]);
        float *f = ref_f32(name, 64 * NR_NUM_DESC);
        if (!f) {
            free(all);
            return NULL;
        }
        memcpy(all + (size_t)i * 64 * NR_NUM_DESC, f, 64 * NR_NUM_DESC * sizeof(float));
        free(f);
    }
    *F = 3 * 64;
    return all;
}

static void test_threads_bit_identical(void)
{
    nr_model *m = model();
    if (!m) return;
    int F_all = 0;
    float *frames = three_sounds(&F_all);
    if (!frames) {
        nt_skip("../shared absent: NSF golden frames missing");
        return;
    }
    static const int one[] = {1}, seven[] = {7}, b64[] = {64}, b512[] = {512}, b4096[] = {4096},
                     mixed[] = {33, 4096, 1, 511, 0, 31, 64, 2000, 100};
    struct {
        const int *sizes;
        int n_sizes, frames, threads;
        const char *label;
    } cases[] = {
        {one, 1, 12, 2, "block 1"},
        {seven, 1, 12, 2, "block 7"},
        {b64, 1, 128, 2, "block 64"},
        {b512, 1, 128, 2, "block 512"},
        {b4096, 1, 128, 2, "block 4096"},
        {mixed, 9, 128, 2, "mixed blocks"},
        {b512, 1, 40, 3, "block 512, 3 threads"},
    };
    const int n_cases = (int)(sizeof cases / sizeof cases[0]);
    const int F_max = emulated() ? 6 : reduced() ? 24 : 128;
    if (reduced()) printf("  (%s: sounds of at most %d frames)\n", reduced_why(), F_max);
    if (nr_cpu_path() == NR_CPU_GENERIC) {
        nt_skip("generic path: OpenBLAS's products round by matrix size, so a voice keeps to one thread there");
        free(frames);
        return;
    }
    (void)F_all;
    float *a = malloc((size_t)F_max * 512 * sizeof(float)), *b = malloc((size_t)F_max * 512 * sizeof(float));
    for (int c = 0; c < n_cases; c++) {
        if (emulated() && c != 3) continue;
        const int F = cases[c].frames < F_max ? cases[c].frames : F_max;
        const long S = (long)F * 512;
        nr_voice_config cfg = nr_voice_config_init();
        cfg.seed = 77;
        cfg.max_block = 4096;
        cfg.threads = 1;
        long na = render_voice(m, frames, F, &cfg, cases[c].sizes, cases[c].n_sizes, a, 5u);
        cfg.threads = cases[c].threads;
        memset(b, 0xff, (size_t)S * sizeof(float));
        long nb = render_voice(m, frames, F, &cfg, cases[c].sizes, cases[c].n_sizes, b, 5u);
        NT_CHECKF(na == S && nb == S, "%s: %ld / %ld of %ld samples", cases[c].label, na, nb, S);
        const int same = na == S && nb == S && memcmp(a, b, (size_t)S * sizeof(float)) == 0;
        long first = -1;
        for (long i = 0; !same && i < S && first < 0; i++)
            if (memcmp(a + i, b + i, sizeof(float)) != 0) first = i;
        printf("  %-22s %3d frames, %d threads: %s\n", cases[c].label, F, cases[c].threads,
               same ? "bit-identical to 1 thread" : "DIFFERS");
        NT_CHECKF(same, "%s: %d threads differ from 1 thread from sample %ld (%g vs %g)", cases[c].label,
                  cases[c].threads, first, first >= 0 ? a[first] : 0.0, first >= 0 ? b[first] : 0.0);
    }
    free(a);
    free(b);
    free(frames);
}

/* Several threaded voices alive at once, processed in turns, then freed: each matches a one-thread voice
 * and every worker exits (ASan / LSan see the joins). */
static void test_threads_several_voices(void)
{
    if (nt_skip_emulated("emulated: test_threads_bit_identical runs a threaded voice here; several at once run natively "
                         "and under ASan")) /* a minute under qemu */
        return;
    nr_model *m = model();
    if (!m) return;
    float *frames = impact_frames();
    if (!frames) return;
    enum { NV = 3, F = 12, BLOCK = 256 };
    const long S = (long)F * 512;
    nr_voice_config cfg = nr_voice_config_init();
    cfg.seed = 5;
    float *ref = malloc((size_t)S * sizeof(float)), *got = malloc((size_t)NV * S * sizeof(float));
    static const int blk[] = {BLOCK};
    NT_CHECK(render_voice(m, frames, F, &cfg, blk, 1, ref, 1u) == S);
    nr_voice *v[NV] = {0};
    long done[NV] = {0};
    int next[NV] = {0};
    for (int i = 0; i < NV; i++) {
        cfg.threads = 2 + i % 2;
        nr_result r = nr_voice_create(m, &cfg, &v[i]);
        NT_CHECKF(r == NR_OK, "voice %d: %s", i, nr_last_error());
        if (r != NR_OK) v[i] = NULL;
    }
    for (int round = 0, busy = 1; busy && round < 10000; round++) {
        busy = 0;
        for (int i = 0; i < NV; i++) {
            if (!v[i] || done[i] >= S) continue;
            busy = 1;
            while (next[i] < F && nr_voice_available(v[i]) < BLOCK) nr_voice_push_frame(v[i], frames + (size_t)next[i]++ * NR_NUM_DESC);
            if (next[i] == F) nr_voice_end(v[i]);
            const int want = S - done[i] < BLOCK ? (int)(S - done[i]) : BLOCK;
            done[i] += nr_voice_process(v[i], got + (size_t)i * S + done[i], want);
        }
    }
    for (int i = 0; i < NV; i++) {
        NT_CHECKF(done[i] == S && memcmp(ref, got + (size_t)i * S, (size_t)S * sizeof(float)) == 0,
                  "threaded voice %d of %d differs from one thread (%ld of %ld samples)", i, NV, done[i], S);
        nr_voice_free(v[i]);
    }
    free(ref);
    free(got);
    free(frames);
}

/* A copy of the model's tensors and metadata, leaving out `drop`, for corruption tests. */
static void copy_set(const nr_tensor_set *src, nr_tensor_set *dst, const char *drop, const char *drop_meta)
{
    memset(dst, 0, sizeof *dst);
    for (int i = 0; i < src->n_tensors; i++) {
        const nr_tensor *t = &src->tensors[i];
        if (drop && !strcmp(t->name, drop)) continue;
        nr_tensor_set_add(dst, t->name, t->ndim, t->shape, t->data);
    }
    for (int i = 0; i < src->n_meta; i++)
        if (!drop_meta || strcmp(src->meta[i].key, drop_meta)) nr_tensor_set_set_meta(dst, src->meta[i].key, src->meta[i].value);
}

static nr_tensor *find_mut(nr_tensor_set *s, const char *name)
{
    for (int i = 0; i < s->n_tensors; i++)
        if (!strcmp(s->tensors[i].name, name)) return &s->tensors[i];
    return NULL;
}

static void expect_fail(nr_tensor_set *ts, nr_result want, const char *needle, const char *label)
{
    nr_model *bad = NULL;
    nr_result r = nr_model_from_tensors(ts, "corrupt.th", &bad);
    NT_CHECKF(r == want && bad == NULL, "%s: got %s (%s)", label, nr_result_str(r), nr_last_error());
    NT_CHECKF(strstr(nr_last_error(), needle) != NULL, "%s: message '%s' lacks '%s'", label, nr_last_error(), needle);
    nr_model_free(bad);
}

static void test_bad_models(void)
{
    nr_model *m = model();
    if (!m) return;
    const nr_tensor_set *src = nr_model_tensors(m);
    nr_tensor_set ts;
    nr_model *ok = NULL;
    copy_set(src, &ts, NULL, NULL);
    NT_CHECKF(nr_model_from_tensors(&ts, "copy", &ok) == NR_OK, "intact copy: %s", nr_last_error());
    nr_model_free(ok);

    copy_set(src, &ts, "m_filter.l_har_blocks.3.l_convs.7.weight", NULL);
    expect_fail(&ts, NR_ERR_FORMAT, "l_har_blocks.3.l_convs.7.weight", "missing conv");

    copy_set(src, &ts, NULL, NULL);
    find_mut(&ts, "m_cond.l_conv1ds.1.weight")->shape[2] = 1;
    expect_fail(&ts, NR_ERR_SHAPE, "m_cond.l_conv1ds.1.weight", "wrong shape");

    copy_set(src, &ts, NULL, NULL);
    find_mut(&ts, "m_source.l_linear.weight")->data[3] = NAN;
    expect_fail(&ts, NR_ERR_VALUE, "m_source.l_linear.weight", "NaN weight");

    copy_set(src, &ts, NULL, NULL);
    find_mut(&ts, "input_std")->data[2] = 0.0f;
    expect_fail(&ts, NR_ERR_VALUE, "input_std", "zero std");

    copy_set(src, &ts, NULL, "upsamp_rate");
    expect_fail(&ts, NR_ERR_FORMAT, "upsamp_rate", "missing hyper-parameter");

    copy_set(src, &ts, NULL, NULL);
    nr_tensor_set_set_meta(&ts, "sinc_order", "banana");
    expect_fail(&ts, NR_ERR_VALUE, "sinc_order", "bad hyper-parameter");

    copy_set(src, &ts, NULL, NULL);
    nr_tensor_set_set_meta(&ts, "__class__", "models.other.Model");
    expect_fail(&ts, NR_ERR_UNSUPPORTED, "models.other.Model", "unknown class");
}

static void test_extra_tensor_refused(void)
{
    nr_model *m = model();
    if (!m) return;
    check_extra_tensor_refused(m, "nsf-extra.safetensors");
}

static void test_save_roundtrip(void)
{
    nr_model *m = model();
    if (!m) return;
    const char *path = nt_tmp("nsf.safetensors");
    nr_result r = nr_model_save(m, path);
    NT_CHECKF(r == NR_OK, "save: %s", nr_last_error());
    nr_model *m2 = NULL;
    r = nr_model_load(path, &m2);
    NT_CHECKF(r == NR_OK, "reload: %s", nr_last_error());
    if (r != NR_OK) return;
    nr_model_info a, b;
    nr_model_get_info(m, &a);
    nr_model_get_info(m2, &b);
    NT_CHECK(a.n_params == b.n_params && a.hop == b.hop && a.lookahead_frames == b.lookahead_frames);
    NT_CHECK(!strcmp(nr_tensor_set_meta(nr_model_tensors(m2), "nr.nsf.hop"), "512"));
    /* the reloaded model renders the same (emulated: left to the native builds, two renders take a minute) */
    float *frames = emulated() ? NULL : ref_f32("reference_impact_nsf_frames.f32", 64 * NR_NUM_DESC);
    if (frames) {
        const long S = 6 * 512;
        float *x = malloc(S * sizeof(float)), *y = malloc(S * sizeof(float));
        nr_voice_config cfg = nr_voice_config_init();
        NT_CHECK(nsf_render_offline(m, frames, 6, &cfg, x, NULL) == NR_OK);
        NT_CHECK(nsf_render_offline(m2, frames, 6, &cfg, y, NULL) == NR_OK);
        NT_CHECK(memcmp(x, y, S * sizeof(float)) == 0);
        free(x);
        free(y);
        free(frames);
    }
    nr_model_free(m2);
}

static void test_voice_behaviour(void)
{
    if (emulated()) { /* it renders the whole filled queue: minutes under qemu */
        nt_skip("emulated: the voice's queue, clamping and reset run natively (no kernel of their own)");
        return;
    }
    nr_model *m = model();
    if (!m) return;
    nr_voice_config cfg = nr_voice_config_init();
    cfg.max_block = 256;
    nr_voice *v = NULL;
    NT_CHECK(nr_voice_create(m, &cfg, &v) == NR_OK);
    if (!v) return;
    /* bad frames are clamped: the output stays finite */
    float bad[NR_NUM_DESC] = {NAN, INFINITY, -INFINITY, 1e30f, -5.0f, NAN, 1e9f};
    float good[NR_NUM_DESC] = {0.1f, 0.05f, 2000.0f, 0.1f, 1000.0f, 900.0f, 220.0f};
    int accepted = 0;
    for (int i = 0; i < 1000; i++) accepted += nr_voice_push_frame(v, i % 2 ? bad : good);
    NT_CHECKF(accepted > 8 && accepted < 1000, "queue took %d frames: it must fill up", accepted);
    nr_voice_end(v);
    NT_CHECK(!nr_voice_push_frame(v, good));
    NT_CHECK(nr_voice_available(v) == (long)accepted * 512);
    float out[256];
    int finite = 1;
    long total = 0;
    while (!nr_voice_finished(v)) {
        int got = nr_voice_process(v, out, 256);
        NT_CHECK(got > 0 && got <= 256);
        if (got <= 0) break;
        for (int i = 0; i < got; i++) finite &= isfinite(out[i]) && fabsf(out[i]) < 10.0f;
        total += got;
    }
    NT_CHECK(finite && total == (long)accepted * 512);

    /* reset: same seed, same sound; another seed, another sound (noise on) */
    float a[2048], b[2048], c[2048];
    float *runs[3] = {a, b, c};
    uint64_t seeds[3] = {5, 5, 6};
    for (int k = 0; k < 3; k++) {
        nr_voice_reset(v, seeds[k]);
        for (int f = 0; f < 10; f++) nr_voice_push_frame(v, good);
        nr_voice_end(v);
        for (long done = 0; done < 2048;) done += nr_voice_process(v, runs[k] + done, 256);
    }
    NT_CHECK(memcmp(a, b, sizeof a) == 0);
    NT_CHECK(memcmp(a, c, sizeof a) != 0);
    nr_voice_free(v);

    cfg.max_block = 0;
    NT_CHECK(nr_voice_create(m, &cfg, &v) == NR_ERR_ARG);
}

static void test_band_limited_source(void)
{
    nr_model *m = model();
    if (!m) return;
    const nsf_weights *w = nsf_weights_of(m);
    enum { N = 1024 };
    static float f0[N], h0[N], h1[N], noi[N];
    for (int hi = 0; hi < 2; hi++) {
        for (int i = 0; i < N; i++) f0[i] = hi ? 6000.0f : 100.0f; /* 2 x 6000 Hz is above Nyquist */
        nsf_source s;
        nsf_source_init(&s, w, 1, 1, 0);
        nsf_source_run(&s, f0, N, h0, noi);
        nsf_source_init(&s, w, 1, 1, 1);
        nsf_source_run(&s, f0, N, h1, noi);
        float e = max_err(h0, h1, N);
        if (hi) {
            NT_CHECKF(e > 1e-3f, "band limiting changed nothing at 6 kHz (%g)", e);
            /* only the fundamental is left: tanh(w0 0.1 sin(2 pi f0 t / sr) + b) */
            float e2 = 0.0f;
            for (int i = 0; i < N; i++) {
                double ph = fmod((double)(i + 1) * 6000.0 / 22050.0, 1.0);
                double want = tanh(w->src_w[0] * 0.1 * sin(2 * M_PI * ph) + w->src_b);
                e2 = fmaxf(e2, (float)fabs(want - h1[i]));
            }
            NT_CHECKF(e2 < 1e-4f, "band-limited source is not the bare fundamental (%g)", e2);
        } else {
            NT_CHECKF(e == 0.0f, "band limiting changed a 100 Hz source (%g)", e);
        }
    }
}

int main(void)
{
    NT_RUN(test_load_info);
    NT_RUN_PATHS(test_golden_reference_impact);
    NT_RUN_PATHS(test_golden_dce_synth);
    NT_RUN_PATHS(test_golden_sh_ffx);
    NT_RUN_PATHS(test_golden_301_frames);
    NT_RUN(test_streaming_blocks);
    NT_RUN_PATHS(test_threads_bit_identical);
    NT_RUN(test_threads_several_voices);
    NT_RUN(test_bad_models);
    NT_RUN(test_save_roundtrip);
    NT_RUN(test_extra_tensor_refused);
    NT_RUN(test_voice_behaviour);
    NT_RUN(test_band_limited_source);
    nr_model_free(g_model);
    return nt_end();
}
