/* neurorack bench: speed and memory of a model's streaming render, the machine's roofline, analysis speed.
 * Prints numbers; asserts nothing (speed targets live here, not in tests). */
#include "commands.h"
#include "neurorack.h"
#include "nr/templates.h"
#include "models/nsf_profile.h"
#include "core/cpu.h"
#include "core/team.h"
#include "dsp/fma_peak.h"
#include "dsp/gemm64.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of this thread: on a shared machine it does not count the time other jobs held the core. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Peak single-core FLOP rate of the kernel path in use (dsp/fma_peak.c: the path's registers, enough
 * independent chains). Both rooflines are timed in thread CPU time: what the core can do, whatever else
 * runs on the machine. */
static double measure_peak_gflops(void)
{
    const long reps = 256;
    double flops = 0, t0 = cpu_s(), t;
    do {
        flops += nr_fma_peak_run(reps);
        t = cpu_s();
    } while (t - t0 < 0.25);
    return flops / (t - t0) * 1e-9;
}

/* The path's own 64-column kernel (the dilated convs' product) at the conv shape:
 * y (T, 64) = x (T, 192) . w (192, 64). */
static double measure_gemm64_gflops(int t_rows)
{
    float *w = calloc(64 * 192, sizeof(float)), *x = calloc((size_t)192 * t_rows, sizeof(float)),
          *y = calloc((size_t)64 * t_rows, sizeof(float));
    if (!w || !x || !y) {
        free(w), free(x), free(y);
        return 0;
    }
    for (int i = 0; i < 64 * 192; i++) w[i] = (float)(i % 7) * 0.01f;
    for (long i = 0; i < 192L * t_rows; i++) x[i] = (float)(i % 5) * 0.01f;
    long n = 0;
    double t0 = cpu_s(), t;
    do {
        nr_gemm64(x, 192, t_rows, 192, w, y, 64);
        n++;
        t = cpu_s();
    } while (t - t0 < 0.25);
    free(w), free(x), free(y);
    return (double)n * 2.0 * 64 * 192 * t_rows / (t - t0) * 1e-9;
}

/* OpenBLAS sgemm at the original model's conv shape: (64 x 192) x (192 x T). */
static double measure_sgemm_gflops(int t_cols)
{
    float *w = calloc(64 * 192, sizeof(float)), *x = calloc((size_t)192 * t_cols, sizeof(float)),
          *y = calloc((size_t)64 * t_cols, sizeof(float));
    if (!w || !x || !y) {
        free(w), free(x), free(y);
        return 0;
    }
    for (int i = 0; i < 64 * 192; i++) w[i] = (float)(i % 7) * 0.01f;
    for (long i = 0; i < 192L * t_cols; i++) x[i] = (float)(i % 5) * 0.01f;
    long n = 0;
    double t0 = cpu_s(), t;
    do {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 64, t_cols, 192, 1.0f, w, 192, x, t_cols, 0.0f, y,
                    t_cols);
        n++;
        t = cpu_s();
    } while (t - t0 < 0.25);
    free(w), free(x), free(y);
    return (double)n * 2.0 * 64 * 192 * t_cols / (t - t0) * 1e-9;
}

/* One render of the whole curve through the voice, block by block, from a reset. */
typedef struct {
    long done, blocks;
    double worst;        /* longest nr_voice_process call, s */
    double t0, t1, c0, c1; /* wall clock and this thread's CPU clock around the render */
    double t_first;      /* wall clock at the end of the first block */
} bench_pass;

static void render_pass(nr_voice *v, const nr_curves *c, long model_frames, long block, float *y, long total,
                        bench_pass *p)
{
    memset(p, 0, sizeof *p);
    nr_voice_reset(v, 0);
    long pushed = 0;
    p->c0 = cpu_s();
    while (p->done < total) {
        while (pushed < model_frames && nr_voice_available(v) < block) {
            /* A curve shorter than --frames is looped. */
            if (!nr_voice_push_frame(v, c->data + (size_t)(pushed % c->n_frames) * NR_NUM_DESC)) break;
            pushed++;
        }
        if (pushed == model_frames) nr_voice_end(v);
        int want = (int)(total - p->done < block ? total - p->done : block);
        double tb = now_s();
        int got = nr_voice_process(v, y + p->done, want);
        double te = now_s();
        if (got <= 0) break;
        if (p->blocks == 0) {
            p->t_first = te;
            p->t0 = tb;
        }
        if (te - tb > p->worst) p->worst = te - tb;
        p->blocks++;
        p->done += got;
    }
    p->t1 = now_s();
    p->c1 = cpu_s();
}

static void usage(FILE *f)
{
    fprintf(f, "usage: neurorack bench [--model FILE] [--threads N] [--block N] [--frames N] [--repeat N]\n"
               "                       [--curves CSV | --like SOUND | --template NAME]\n"
               "Renders 301 frames (7 s) of the built-in 'impact' template through the streaming voice and\n"
               "prints time, real-time factor, time per block, GFLOP/s against the core's peak, memory,\n"
               "model load time and analysis speed; the last line is realtime_factor=X. The render runs twice:\n"
               "timed, then with per-stage clocks (the stage and thread split lines come from that pass).\n"
               "--template NAME: the model's template of that name, else a built-in, else a user CSV.\n"
               "--repeat N (1..50): N timed passes, for a machine whose speed drifts; the figures are the\n"
               "median pass's, and a line gives the median, fastest and slowest real time.\n");
}

int nr_cmd_bench(int argc, char **argv)
{
    const char *me = "bench", *model_path = NULL, *csv = NULL, *like = NULL, *tmpl = NULL;
    long threads = 1, block = 512, frames = 301, repeat = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "neurorack bench: %s needs a value (or is unknown)\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--model")) model_path = v;
        else if (!strcmp(a, "--curves")) csv = v;
        else if (!strcmp(a, "--like")) like = v;
        else if (!strcmp(a, "--template")) tmpl = v;
        else if (!strcmp(a, "--threads")) { if (!nr_cli_int(me, a, v, 1, 64, &threads)) return 2; }
        else if (!strcmp(a, "--block")) { if (!nr_cli_int(me, a, v, 1, 65536, &block)) return 2; }
        else if (!strcmp(a, "--frames")) { if (!nr_cli_int(me, a, v, 1, 1 << 20, &frames)) return 2; }
        else if (!strcmp(a, "--repeat")) { if (!nr_cli_int(me, a, v, 1, 50, &repeat)) return 2; }
        else {
            fprintf(stderr, "neurorack bench: unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!model_path) model_path = nr_cli_default_model();
    if (!model_path) {
        fprintf(stderr, "neurorack bench: no --model given and no default model found\n");
        return 1;
    }
    openblas_set_num_threads((int)threads);

    nr_curves src = {0};
    nr_result r;
    if (tmpl) { /* the model's templates come first: load it once, outside the timed load below */
        nr_model *mt = NULL;
        if (nr_model_load(model_path, &mt) != NR_OK) return nr_cli_error(me);
        r = nr_cli_curves(mt, like, csv, tmpl, &src);
        nr_model_free(mt);
    } else {
        r = nr_cli_curves(NULL, like, csv, NULL, &src); /* built-in 'impact': the same work for every model */
    }
    if (r != NR_OK) return nr_cli_error(me);

    /* Load to first sample: file read, checks, voice allocation, conditioning, one block of audio. */
    double t0 = now_s();
    nr_model *m = NULL;
    if (nr_model_load(model_path, &m) != NR_OK) {
        nr_curves_free(&src);
        return nr_cli_error(me);
    }
    double t_loaded = now_s();
    nr_model_info info;
    nr_model_get_info(m, &info);
    nr_curves c = {0};
    r = nr_curves_resample_for_model(&src, (float)info.sample_rate / (float)info.hop, info.settle_onset_pitch, &c);
    nr_curves_free(&src);
    if (r != NR_OK) {
        nr_model_free(m);
        return nr_cli_error(me);
    }
    nr_voice_config vc = nr_voice_config_init();
    vc.max_block = (int)block;
    vc.threads = (int)threads;
    nr_voice *v = NULL;
    if (nr_voice_create(m, &vc, &v) != NR_OK) {
        nr_curves_free(&c);
        nr_model_free(m);
        return nr_cli_error(me);
    }
    /* --frames counts analysis frames (22050/512 per second, as the original's 301 = 6.99 s), whatever
     * the model's own frame rate: every model renders the same duration. */
    long model_frames = lround((double)frames * NR_ANALYSIS_HOP / NR_ANALYSIS_RATE * info.sample_rate / info.hop);
    if (model_frames < 1) model_frames = 1;
    long total = model_frames * info.hop;
    float *y = malloc((size_t)total * sizeof(float));
    if (!y) {
        fprintf(stderr, "neurorack bench: out of memory\n");
        return 1;
    }
    /* The timed pass runs without the profile's clock reads; a second pass, profiled, gives the stages. */
    bench_pass timed, profiled;
    /* --repeat N: N timed passes; the figures below are the median pass's (by real time), the load to
     * first sample the first pass's (the one that follows the load). */
    bench_pass passes[50]; /* --repeat's bound */
    double rtfs[50];
    for (long k = 0; k < repeat; k++) {
        render_pass(v, &c, model_frames, block, y, total, &passes[k]);
        rtfs[k] = passes[k].t1 > passes[k].t0 ? (double)passes[k].done / info.sample_rate / (passes[k].t1 - passes[k].t0) : 0.0;
    }
    long median_pass = 0;
    for (long k = 0; k < repeat; k++) { /* the pass with as many faster passes as slower ones */
        long below = 0, above = 0;
        for (long j = 0; j < repeat; j++) below += rtfs[j] < rtfs[k], above += rtfs[j] > rtfs[k];
        if (below <= repeat / 2 && above <= repeat / 2) median_pass = k;
    }
    double rtf_min = rtfs[0], rtf_max = rtfs[0];
    for (long k = 1; k < repeat; k++) rtf_min = rtfs[k] < rtf_min ? rtfs[k] : rtf_min, rtf_max = rtfs[k] > rtf_max ? rtfs[k] : rtf_max;
    timed = passes[median_pass];
    timed.t_first = passes[0].t_first;
    memset(&nsf_prof, 0, sizeof nsf_prof);
    nsf_prof.on = 1; /* per-stage times of an hn-sinc-NSF voice; a few clock reads per conv */
    memset(&nr_team_prof, 0, sizeof nr_team_prof);
    nr_team_prof.on = threads > 1; /* the split's critical path, in thread CPU time */
    render_pass(v, &c, model_frames, block, y, total, &profiled);
    nsf_prof.on = 0;
    nr_team_prof.on = 0;
    const long done = timed.done, blocks = timed.blocks;
    const double worst = timed.worst, t_first = timed.t_first, c_render0 = timed.c0, c_end = timed.c1;
    const double t_render0 = timed.t0, t_end = timed.t1;
    nr_voice_free(v);
    nr_curves_free(&c);

    double secs = t_end - t_render0, audio_s = (double)done / info.sample_rate;
    double rtf = audio_s / secs;
    double gflops = 2.0 * info.macs_per_sample * (double)done / secs * 1e-9;
    double peak = measure_peak_gflops();
    double sgemm = measure_sgemm_gflops(block < 64 ? 64 : (int)block);
    double g64 = measure_gemm64_gflops(block < 64 ? 64 : (int)block);

    /* Analysis speed: the descriptors of the rendered sound (at 22050 Hz). */
    nr_audio a22 = {0};
    double an_rtf = 0;
    if (nr_audio_resample_kaiser_best(y, done, info.sample_rate, NR_ANALYSIS_RATE, &a22) == NR_OK) {
        nr_curves ac;
        double ta = now_s();
        int reps = 0;
        do {
            if (nr_analyze(a22.samples, a22.n, &ac) != NR_OK) break;
            nr_curves_free(&ac);
            reps++;
        } while (now_s() - ta < 0.5);
        double dt = now_s() - ta;
        if (reps) an_rtf = reps * ((double)a22.n / NR_ANALYSIS_RATE) / dt;
        nr_audio_free(&a22);
    }
    free(y);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);

    printf("model            %s (%s, %d Hz, hop %d, %lld parameters)\n", model_path, info.arch, info.sample_rate,
           info.hop, (long long)info.n_params);
    printf("kernels          %s path (%s)%s\n", nr_cpu_path_name(nr_cpu_path()), nr_cpu_path_needs(nr_cpu_path()),
           nr_cpu_path() == nr_cpu_best_path() ? "" : ", forced by NR_CPU");
    printf("threads          %ld\n", threads);
    printf("block            %ld samples (%.2f ms)\n", block, 1e3 * block / info.sample_rate);
    printf("audio            %ld analysis frames (%ld model frames), %.3f s\n", frames, model_frames, audio_s);
    printf("render           %.3f s\n", secs);
    printf("real time        %.2fx\n", rtf);
    if (repeat > 1)
        printf("passes           %ld timed: real time median %.2fx, min %.2fx, max %.2fx (figures: the median pass)\n",
               repeat, rtf, rtf_min, rtf_max);
    printf("render cpu       %.3f s of this thread -> %.2fx real time per CPU second\n", c_end - c_render0,
           audio_s / (c_end - c_render0));
    if (nr_team_prof.jobs > 0) {
        /* what idle cores would take: the caller's work outside the split plus the split's critical path */
        const double outside = (profiled.c1 - profiled.c0) - nr_team_prof.caller_s; /* of the profiled pass */
        const double proj = outside + nr_team_prof.critical_s;
        printf("threads split    %ld chunks, %ld barriers; critical path %.3f s + %.3f s outside -> %.2fx real time "
               "on idle cores (thread CPU projection)\n",
               nr_team_prof.jobs, nr_team_prof.barriers, nr_team_prof.critical_s, outside,
               proj > 0 ? audio_s / proj : 0.0);
        double sum = 0.0;
        printf("threads work    ");
        for (long i = 0; i < threads && i < NR_TEAM_MAX; i++) {
            printf(" %smember %ld %.3f s", i ? "+ " : "", i, nr_team_prof.member_s[i]);
            sum += nr_team_prof.member_s[i];
        }
        printf(" = %.3f s of thread CPU inside the split (barrier waits excluded; against one thread's render cpu)\n",
               sum);
    } else if (threads > 1) {
        printf("threads split    none (this model or kernel path keeps a voice on one thread)\n");
    }
    printf("per block        mean %.1f us, worst %.1f us (%ld blocks; period %.1f us)\n", 1e6 * secs / blocks,
           1e6 * worst, blocks, 1e6 * block / info.sample_rate);
    printf("compute          %.0f MACs/sample, %.1f GFLOP/s achieved\n", info.macs_per_sample, gflops);
    printf("core peak        %.1f GFLOP/s (FMA loop, %s path: %s) -> %.0f%% of the peak\n", peak,
           nr_cpu_path_name(nr_cpu_path()), nr_fma_peak_shape(), peak > 0 ? 100.0 * gflops / peak : 0.0);
    printf("products         gemm64 (%s) %ldx192 . 192x64 %.1f GFLOP/s (%.0f%% of peak); OpenBLAS sgemm 64x192x%ld "
           "%.1f GFLOP/s -> %.0f%% of sgemm roofline\n",
           nr_cpu_path_name(nr_cpu_path()), block < 64 ? 64 : block, g64, peak > 0 ? 100.0 * g64 / peak : 0.0,
           block < 64 ? 64 : block, sgemm, sgemm > 0 ? 100.0 * gflops / sgemm : 0.0);
    /* the whole render against the roofline in CPU time (the wall clock above counts other jobs too) */
    const double gf_cpu = 2.0 * info.macs_per_sample * (double)done / (c_end - c_render0) * 1e-9;
    printf("compute per CPU  %.1f GFLOP/s of the model's direct-form MACs -> %.0f%% of sgemm roofline\n", gf_cpu,
           sgemm > 0 ? 100.0 * gf_cpu / sgemm : 0.0);
    double st[NSF_ST_COUNT] = {0}, st_sum = 0;
    const double macs = nsf_prof.conv_macs;
    for (int k = 0; k < NR_TEAM_MAX; k++)
        for (int i = 0; i < NSF_ST_COUNT; i++) st[i] += nsf_prof.s[k][i], st_sum += nsf_prof.s[k][i];
    if (st_sum > 0) {
        printf("stages          ");
        for (int i = 0; i < NSF_ST_COUNT; i++)
            printf(" %s %.1f%%%s", nsf_stage_names[i], 100.0 * st[i] / st_sum, i + 1 < NSF_ST_COUNT ? "," : "\n");
        for (long k = 0; threads > 1 && k < threads && k < NR_TEAM_MAX; k++) {
            printf("  member %ld     ", k);
            for (int i = 0; i < NSF_ST_COUNT; i++)
                printf(" %s %.3f s%s", nsf_stage_names[i], nsf_prof.s[k][i], i + 1 < NSF_ST_COUNT ? "," : "\n");
        }
        double conv_gf = st[NSF_ST_CONV] > 0 ? 2.0 * macs / st[NSF_ST_CONV] * 1e-9 : 0;
        printf("dilated convs    %.2f M MACs/sample performed (Winograd), %.1f GFLOP/s inside them (%.0f%% of sgemm)\n",
               macs / (double)done * 1e-6, conv_gf, sgemm > 0 ? 100.0 * conv_gf / sgemm : 0.0);
    }
    printf("memory           weights %.2f MB, voice %.1f KB, peak RSS %.1f MB\n", info.weights_bytes / 1048576.0,
           info.voice_bytes / 1024.0, ru.ru_maxrss / 1024.0);
    printf("load             %.1f ms to model, %.1f ms to first sample\n", 1e3 * (t_loaded - t0),
           1e3 * (t_first - t0));
    printf("analysis         %.0fx real time\n", an_rtf);
    printf("realtime_factor=%.3f\n", rtf);
    nr_model_free(m);
    return 0;
}
