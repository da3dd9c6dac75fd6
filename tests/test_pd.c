/* neurorack~ in Pure Data: `pd -nogui -batch` plays a patch (template, voices, CV assignment and model
 * messages, then timed notes, a CV and a gate) into a 32-bit float WAV with tabwrite~ and soundfiler, and the file sink
 * renders the same performance as a control script with the same patch as a settings file
 * (`neurorack play --audio file:...`). From the first sound on, the two must agree within 1e-6: Pd's
 * messages fall on its 64-frame block edges, so the events are spaced in whole blocks and the renders
 * are aligned at their onsets. A second performance plays source latent (the latent model found beside
 * the external's default model, the point set by CVs on latent1..4 before each note; Pd decodes it in a
 * clock every 5 ms, the file sink after every block, so the points are decoded long before the notes).
 * Skips when pd is not installed (Debian puredata-core). */
#include "instrument/settings.h"
#include "neurorack.h"
#include "nr_test.h"

#include <libgen.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define COMPARE_FRAMES (RATE * 3 / 4) /* from the onset: past the last event (0.6 s later) */
#define TABLE_FRAMES (RATE * 19 / 20 + COMPARE_FRAMES / 4) /* what Pd records: the onset (0.1 s) + more */

static char g_build[1024], g_build_abs[4096], g_bin[1100];

/* Under ASan the external needs the sanitizer runtimes in pd, which is not built with them: the shared
 * runtimes this program was loaded with go first through LD_PRELOAD ("" when there are none to give). */
static void sanitizer_preload(char *out, size_t n)
{
    out[0] = '\0';
    if (!UNDER_ASAN) return;
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096], seen[2][1024] = {"", ""};
    while (f && fgets(line, sizeof line, f)) {
        char *path = strchr(line, '/');
        if (!path) continue;
        path[strcspn(path, "\n")] = '\0';
        int k = strstr(path, "/libasan.so") ? 0 : strstr(path, "/libubsan.so") ? 1 : -1;
        if (k >= 0 && !seen[k][0]) snprintf(seen[k], sizeof seen[k], "%s", path);
    }
    if (f) fclose(f);
    if (seen[0][0]) snprintf(out, n, "LD_PRELOAD='%s %s' ASAN_OPTIONS=detect_leaks=0 ", seen[0], seen[1]);
}

static float *read_wav(const char *path, long *n)
{
    int rate = 0;
    float *y = nt_read_wav(path, n, &rate);
    NT_CHECKF(!y || rate == RATE, "%s: %d Hz", path, rate);
    return y;
}

static long onset(const float *y, long n)
{
    for (long i = 0; i < n; i++)
        if (y[i] != 0.0f) return i;
    return -1;
}

typedef struct {
    int ms;
    const char *msg;
} pd_event;

/* Plays `events` after the patch messages `msgs` (with ", model COPY" appended) in pd and as a script
 * through the file sink with settings `s`; the renders must agree from the onset (a note at 0.1 s).
 * Returns the file sink's render (COMPARE_FRAMES from the onset; NULL on failure). */
static float *pd_vs_file_sink(const char *tag, const char *msgs, const pd_event *ev, int nev, const nr_settings *s)
{
    char preload[2200];
    sanitizer_preload(preload, sizeof preload);
    char name[64], patch[1200], wav[1200], ref[1200], script[1200], settings[1200], model[1200], cmd[6000];
#define TMP(dst, suffix) (snprintf(name, sizeof name, "%s-%s", tag, suffix), snprintf(dst, sizeof dst, "%s", nt_tmp(name)))
    TMP(patch, "perf.pd");
    TMP(wav, "pd.wav");
    TMP(ref, "ref.wav");
    TMP(script, "perf.txt");
    TMP(settings, "settings.nrs");
    snprintf(model, sizeof model, "%s", nt_tmp("model-copy.safetensors"));
    snprintf(cmd, sizeof cmd, "cp models/default.safetensors '%s'", model);
    NT_CHECK(system(cmd) == 0);

    /* objects: 0 loadbang, 1 t b b b b, 2 dsp on, 3 patch messages, 4 neurorack~, 5 tabwrite~, 6 the table,
     * then one delay and its message per event, then the write (soundfiler: synchronous, unlike writesf~,
     * whose thread a batch run outpaces) and the quit */
    FILE *f = fopen(patch, "w");
    fprintf(f, "#N canvas 0 0 800 600 12;\n#X obj 10 10 loadbang;\n#X obj 10 40 t b b b b;\n"
               "#X msg 300 70 \\; pd dsp 1;\n"
               "#X msg 200 100 %s \\, model %s;\n"
               "#X obj 10 400 neurorack~;\n#X obj 10 440 tabwrite~ nrbuf;\n#X obj 300 440 table nrbuf %d;\n",
            msgs, model, TABLE_FRAMES);
    for (int i = 0; i < nev; i++) fprintf(f, "#X obj %d 150 del %d;\n#X msg %d 190 %s;\n", 10 + 90 * i, ev[i].ms, 10 + 90 * i, ev[i].msg);
    int stop = 7 + 2 * nev;
    fprintf(f, "#X obj 10 250 del %d;\n#X obj 10 280 t b b;\n#X msg 100 310 write -bytes 4 -rate %d %s nrbuf;\n"
               "#X obj 100 340 soundfiler;\n#X msg 10 310 \\; pd quit;\n", TABLE_FRAMES * 1000 / RATE + 50, RATE, wav);
    /* t b b b b fires right to left: model and patch first (before the DSP starts), then DSP on, then the
     * recording, then the delays */
    fprintf(f, "#X connect 0 0 1 0;\n#X connect 1 3 3 0;\n#X connect 1 2 2 0;\n#X connect 1 1 5 0;\n"
               "#X connect 3 0 4 0;\n#X connect 4 0 5 0;\n");
    for (int i = 0; i < nev; i++)
        fprintf(f, "#X connect 1 0 %d 0;\n#X connect %d 0 %d 0;\n#X connect %d 0 4 0;\n", 7 + 2 * i, 7 + 2 * i,
                8 + 2 * i, 8 + 2 * i);
    fprintf(f, "#X connect 1 0 %d 0;\n#X connect %d 0 %d 0;\n#X connect %d 1 %d 0;\n#X connect %d 0 %d 0;\n"
               "#X connect %d 0 %d 0;\n", stop, stop, stop + 1, stop + 1, stop + 2, stop + 2, stop + 3, stop + 1,
            stop + 4);
    fclose(f);
    char log[1200];
    TMP(log, "pd.log");
    snprintf(cmd, sizeof cmd, "%stimeout 120 pd -nogui -batch -noprefs -noaudio -nomidi -r %d -path '%s/pd' -open '%s' > '%s' 2>&1", preload, RATE,
             g_build_abs, patch, log);
    int rc = system(cmd);
    NT_CHECKF(rc == 0, "pd failed (%d); its output is in %s", rc, log);

    /* the same patch as settings, the same performance as a script */
    NT_CHECKF(nr_settings_save(settings, s) == NR_OK, "%s", nr_last_error());
    f = fopen(script, "w");
    for (int i = 0; i < nev; i++) {
        int num, vel, n;
        float v;
        if (sscanf(ev[i].msg, "note %d %d", &num, &vel) == 2) fprintf(f, "%g note 1 %d %d\n", ev[i].ms / 1e3, num, vel);
        else if (sscanf(ev[i].msg, "cv %d %f", &n, &v) == 2) fprintf(f, "%g cv %d %.9g\n", ev[i].ms / 1e3, n, (double)v);
        else if (sscanf(ev[i].msg, "gate %d %d", &n, &vel) == 2) fprintf(f, "%g gate %d %d\n", ev[i].ms / 1e3, n, vel);
    }
    fprintf(f, "end 1.0\n");
    fclose(f);
    /* the file sink plays the shipped model, which has the latent model beside it */
    TMP(log, "play.log");
    snprintf(cmd, sizeof cmd, "NEURORACK_MODEL=models/default.safetensors '%s' play --audio file:'%s' --script '%s' "
                              "--period 64 --rate %d --settings '%s' --headless > '%s' 2>&1", g_bin, ref, script, RATE,
             settings, log);
    NT_CHECKF(system(cmd) == 0, "%s failed (output in %s)", cmd, log);
#undef TMP

    long npd = 0, nref = 0;
    float *ypd = rc == 0 ? read_wav(wav, &npd) : NULL, *yref = read_wav(ref, &nref), *ret = NULL;
    if (!ypd || !yref) {
        free(ypd), free(yref);
        return NULL;
    }
    long opd = onset(ypd, npd), oref = onset(yref, nref);
    NT_CHECKF(opd >= 0 && oref == RATE / 10, "onsets: Pd %ld, file sink %ld (the note at %d)", opd, oref, RATE / 10);
    NT_CHECKF(opd >= 0 && npd - opd >= COMPARE_FRAMES, "the Pd render is short: %ld frames, onset %ld", npd, opd);
    if (opd < 0 || npd - opd < COMPARE_FRAMES || nref - oref < COMPARE_FRAMES) goto out;
    float d = 0.0f, peak = 0.0f;
    for (long i = 0; i < COMPARE_FRAMES; i++) {
        d = fmaxf(d, fabsf(ypd[opd + i] - yref[oref + i]));
        peak = fmaxf(peak, fabsf(yref[oref + i]));
    }
    NT_CHECKF(peak > 1e-2f, "silent render (peak %g)", (double)peak);
    NT_CHECKF(d <= 1e-6f, "%s: Pd and the file sink differ by %g (peak %g)", tag, (double)d, (double)peak);
    printf("  %s: neurorack~ in pd -batch vs file sink over %d frames from the onset: max difference %.3g, peak %.3f\n",
           tag, COMPARE_FRAMES, (double)d, (double)peak);
    ret = malloc(COMPARE_FRAMES * sizeof(float));
    if (ret) memcpy(ret, yref + oref, COMPARE_FRAMES * sizeof(float));
out:
    free(ypd), free(yref);
    return ret;
}

static int pd_usable(void)
{
    if (system("command -v pd >/dev/null 2>&1") != 0) return nt_skip("pd absent (Debian puredata-core)"), 0;
    char preload[2200];
    sanitizer_preload(preload, sizeof preload);
    if (UNDER_ASAN && !preload[0])
        return nt_skip("this ASan build's runtime is linked statically (clang): pd cannot load the instrumented external"), 0;
    return 1;
}

static void test_pd_matches_file_sink(void)
{
    if (!pd_usable()) return;
    static const pd_event ev[] = {{100, "note 64 100"}, {200, "cv 1 2.5"}, {300, "note 64 0"},
                                  {500, "note 55 80"},  {600, "gate 2 1"}, {700, "gate 2 0"}};
    nr_settings s;
    nr_settings_defaults(&s);
    snprintf(s.patch.template_a, sizeof s.patch.template_a, "kick");
    s.patch.voices = 4;
    s.patch.cv[0].target = nr_cv_target_from_name("noisiness");
    s.patch.cv[0].range = 2.0f;
    free(pd_vs_file_sink("template", "template A kick \\, voices 4 \\, cv 1 noisiness 2", ev,
                         (int)(sizeof ev / sizeof ev[0]), &s));
}

/* Sound frames of y (n) until the last sample within 60 dB of its peak. */
static long sounding(const float *y, long n)
{
    float peak = 0.0f;
    for (long i = 0; i < n; i++) peak = fmaxf(peak, fabsf(y[i]));
    long last = 0;
    for (long i = 0; i < n; i++)
        if (fabsf(y[i]) > peak * 1e-3f) last = i;
    return last;
}

/* Source latent: CV 1 on the decay axis, CV 2 on brightness, set before each note; two renders that
 * differ only by the decay point must both match the file sink, and the longer point must ring longer. */
static void test_pd_latent_matches_file_sink(void)
{
    if (!pd_usable()) return;
    nr_settings s;
    nr_settings_defaults(&s);
    s.patch.source = NR_SOURCE_LATENT;
    s.patch.voices = 4;
    for (int k = 0; k < 2; k++) nr_cv_assign_target(&s.patch.cv[k], NR_CVT_LATENT0 + k);
    static const char *msgs = "source latent \\, voices 4 \\, cv 1 latent1 \\, cv 2 latent2";
    static const pd_event short_ev[] = {{20, "cv 1 -4"}, {40, "cv 2 2"}, {100, "note 64 100"}, {150, "note 64 0"}};
    static const pd_event long_ev[] = {{20, "cv 1 4"}, {40, "cv 2 2"}, {100, "note 64 100"}, {150, "note 64 0"}};
    float *a = pd_vs_file_sink("latent-short", msgs, short_ev, 4, &s);
    float *b = pd_vs_file_sink("latent-long", msgs, long_ev, 4, &s);
    if (a && b) {
        long la = sounding(a, COMPARE_FRAMES), lb = sounding(b, COMPARE_FRAMES);
        printf("  latent decay axis at -4 V / +4 V: sound for %.3f / %.3f s of the %.2f s compared\n", la / (double)RATE,
               lb / (double)RATE, COMPARE_FRAMES / (double)RATE);
        NT_CHECKF(lb > la + RATE / 20, "the decay axis did not lengthen the sound: %ld -> %ld frames", la, lb);
    }
    free(a), free(b);
}

int main(int argc, char **argv)
{
    (void)argc;
    char self[1024];
    snprintf(self, sizeof self, "%s", argv[0]);
    snprintf(g_build, sizeof g_build, "%s", dirname(dirname(self)));
    if (!realpath(g_build, g_build_abs)) snprintf(g_build_abs, sizeof g_build_abs, "%s", g_build);
    const char *bin = getenv("NR_BIN");
    if (bin && *bin) snprintf(g_bin, sizeof g_bin, "%s", bin);
    else snprintf(g_bin, sizeof g_bin, "%s/neurorack", g_build);
    unsetenv("NEURORACK_MODEL");
    NT_RUN(test_pd_matches_file_sink);
    NT_RUN(test_pd_latent_matches_file_sink);
    return nt_end();
}
