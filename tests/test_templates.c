/* Built-in descriptor-curve templates: present, deterministic, the analysis of their own sound,
 * and shaped like the impacts they are named after. */
#include "neurorack.h"
#include "nr/templates.h"
#include "nr_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const float *frame(const nr_curves *c, int f) { return c->data + (size_t)f * NR_NUM_DESC; }

static double max_rms(const nr_curves *c, int *at)
{
    double m = 0.0;
    for (int f = 0; f < c->n_frames; f++)
        if (frame(c, f)[NR_DESC_LOUDNESS] > m) {
            m = frame(c, f)[NR_DESC_LOUDNESS];
            *at = f;
        }
    return m;
}

static void test_list(void)
{
    NT_CHECK(nr_template_count() >= 6);
    const char *need[] = {"impact", "kick", "boom", "snare", "metal", "wood"};
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++) {
        int found = 0;
        for (int i = 0; i < nr_template_count(); i++) found += !strcmp(nr_template_name(i), need[k]);
        NT_CHECKF(found == 1, "template %s listed %d times", need[k], found);
    }
    for (int i = 0; i < nr_template_count(); i++) NT_CHECK(nr_template_summary(i) && *nr_template_summary(i));
    NT_CHECK(nr_template_name(-1) == NULL && nr_template_name(nr_template_count()) == NULL);
    NT_CHECK(!strcmp(NR_TEMPLATE_DEFAULT, "impact"));
}

/* Every template: finite values in the descriptors' ranges, identical on a second call, and
 * nr_analyze of the sound it was made from (the table of src/curves/builtin_curves.c against the
 * analysis run now). */
static void test_every_template(void)
{
    for (int i = 0; i < nr_template_count(); i++) {
        const char *name = nr_template_name(i);
        nr_curves c, again, direct;
        nr_result r = nr_template_get(name, &c);
        NT_CHECKF(r == NR_OK, "%s: %s", name, nr_last_error());
        if (r != NR_OK) continue;
        NT_CHECKF(c.n_frames >= 20 && fabsf(c.frame_rate - 22050.0f / 512.0f) < 1e-3f, "%s: %d frames at %g", name,
                  c.n_frames, c.frame_rate);
        for (int f = 0; f < c.n_frames; f++) {
            const float *v = frame(&c, f);
            int ok = 1;
            for (int d = 0; d < NR_NUM_DESC; d++) ok &= isfinite(v[d]) && v[d] >= 0.0f;
            ok &= v[NR_DESC_LOUDNESS] <= 1.0f && v[NR_DESC_PERCUSSIVITY] <= 1.0f && v[NR_DESC_NOISINESS] <= 1.0001f;
            ok &= v[NR_DESC_TONELIKE] <= 11025.0f && v[NR_DESC_BRIGHTNESS] <= 11025.0f;
            ok &= v[NR_DESC_PITCH] >= 49.0f && v[NR_DESC_PITCH] <= 5600.0f;
            NT_CHECKF(ok, "%s frame %d out of range", name, f);
            if (!ok) break;
        }
        int peak_at = 0;
        double peak = max_rms(&c, &peak_at);
        /* an impact: loud near the start, then decaying by 20 dB or more */
        NT_CHECKF(peak > 0.1 && peak_at < 10, "%s: rms peak %g at frame %d", name, peak, peak_at);
        NT_CHECKF(frame(&c, c.n_frames - 1)[NR_DESC_LOUDNESS] < 0.1 * peak, "%s: does not decay", name);
        NT_CHECK(nr_template_get(name, &again) == NR_OK && again.n_frames == c.n_frames &&
                 !memcmp(again.data, c.data, (size_t)c.n_frames * NR_NUM_DESC * sizeof(float)));
        nr_audio a;
        NT_CHECK(nr_template_audio(name, &a) == NR_OK && a.rate == 22050 && a.n == (long)c.n_frames * 512);
        /* the table (made on the development machine) against this machine's analysis of the sound:
         * equal but for the last bits of another FFT library or CPU (e.g. aarch64's NEON codelets) */
        NT_CHECK(nr_analyze(a.samples, a.n, &direct) == NR_OK && direct.n_frames == c.n_frames);
        if (direct.n_frames == c.n_frames) {
            int worst_f = 0, worst_d = 0;
            double worst = 0.0;
            for (int f = 0; f < c.n_frames; f++)
                for (int d = 0; d < NR_NUM_DESC; d++) {
                    double x = frame(&c, f)[d], y = frame(&direct, f)[d];
                    double rel = fabs(x - y) / fmax(fabs(y), d == NR_DESC_LOUDNESS ? 1e-6 : 1e-3);
                    if (rel > worst) worst = rel, worst_f = f, worst_d = d;
                }
            NT_CHECKF(worst <= 1e-4, "%s: the table (src/curves/builtin_curves.c) differs from the analysis by %g "
                      "(relative) at frame %d descriptor %d: run make builtin-curves", name, worst, worst_f, worst_d);
        }
        nr_curves fresh;
        NT_CHECK(nr_template_analyse(name, &fresh) == NR_OK && fresh.n_frames == c.n_frames &&
                 !memcmp(fresh.data, direct.data, (size_t)c.n_frames * NR_NUM_DESC * sizeof(float)));
        nr_curves_free(&fresh);
        float pk = 0.0f;
        for (long j = 0; j < a.n; j++) pk = fmaxf(pk, fabsf(a.samples[j]));
        NT_CHECKF(pk > 0.5f && pk < 1.0f, "%s: peak %g", name, pk);
        nr_audio_free(&a);
        nr_curves_free(&direct);
        nr_curves_free(&again);
        nr_curves_free(&c);
    }
}

static double mean_over(const nr_curves *c, int d, int f0, int f1)
{
    double s = 0.0;
    for (int f = f0; f < f1; f++) s += frame(c, f)[d];
    return s / (f1 - f0);
}

/* Each sound's character shows in its descriptors. */
static void test_characters(void)
{
    nr_curves imp, kick, boom, snare, metal, wood;
    NT_CHECK(nr_template_get(NULL, &imp) == NR_OK && imp.n_frames == 301); /* the default */
    NT_CHECK(nr_template_get("kick", &kick) == NR_OK);
    NT_CHECK(nr_template_get("boom", &boom) == NR_OK && boom.n_frames == 301);
    NT_CHECK(nr_template_get("snare", &snare) == NR_OK);
    NT_CHECK(nr_template_get("metal", &metal) == NR_OK);
    NT_CHECK(nr_template_get("wood", &wood) == NR_OK);
    if (nt_failed()) return;
    /* kick: a low pitch settling near 55 Hz, tonal (flatness tiny) */
    double kp = mean_over(&kick, NR_DESC_PITCH, 10, 40);
    NT_CHECKF(fabs(kp - 55.0) < 2.0, "kick pitch %g", kp);
    NT_CHECKF(mean_over(&kick, NR_DESC_NOISINESS, 5, 40) < 1e-3, "kick flatness");
    /* boom: still sounding after 4 s */
    NT_CHECKF(frame(&boom, 180)[NR_DESC_LOUDNESS] > 0.02, "boom rms at 4.2 s: %g", frame(&boom, 180)[0]);
    /* snare: noisy, many zero crossings, bright */
    NT_CHECKF(mean_over(&snare, NR_DESC_NOISINESS, 2, 20) > 0.1, "snare flatness");
    NT_CHECKF(mean_over(&snare, NR_DESC_PERCUSSIVITY, 2, 20) > 5 * mean_over(&kick, NR_DESC_PERCUSSIVITY, 2, 20),
              "snare zcr");
    /* metal is brighter than wood, which is brighter than the kick */
    double cm = mean_over(&metal, NR_DESC_BRIGHTNESS, 2, 40), cw = mean_over(&wood, NR_DESC_BRIGHTNESS, 2, 20),
           ck = mean_over(&kick, NR_DESC_BRIGHTNESS, 2, 20);
    NT_CHECKF(cm > cw && cw > ck, "centroids metal %g wood %g kick %g", cm, cw, ck);
    /* wood's main mode at 720 Hz */
    NT_CHECKF(fabs(mean_over(&wood, NR_DESC_PITCH, 6, 15) - 720.0) < 10.0, "wood pitch %g",
              mean_over(&wood, NR_DESC_PITCH, 6, 15));
    nr_curves_free(&imp);
    nr_curves_free(&kick);
    nr_curves_free(&boom);
    nr_curves_free(&snare);
    nr_curves_free(&metal);
    nr_curves_free(&wood);
}

static void test_unknown(void)
{
    nr_curves c;
    NT_CHECK(nr_template_get("harp", &c) == NR_ERR_ARG && c.data == NULL);
    NT_CHECK(strstr(nr_last_error(), "harp") && strstr(nr_last_error(), "impact"));
    nr_audio a;
    NT_CHECK(nr_template_audio("", &a) == NR_ERR_ARG && a.samples == NULL);
}

int main(void)
{
    NT_RUN(test_list);
    NT_RUN(test_every_template);
    NT_RUN(test_characters);
    NT_RUN(test_unknown);
    return nt_end();
}
