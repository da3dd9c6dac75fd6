/* The default model never clicks: each cause of clicks found in nr-impact-1 rendered as a crafted curve
 * (docs/quality.md, "Where clicks came from"), and none may give a click by eval's detector
 * (nr_eval_count_clicks: a frame whose power above 3 kHz rises 10 dB over its running median).
 * (Curves jittered on every frame, with a pitch drawn at random over six octaves each frame, still give
 * one borderline click in one of three seeds: docs/quality.md reports it.) */
#include "nr/engine.h"
#include "nr/eval.h"
#include "nr/model.h"
#include "nr_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MODEL "models/default.safetensors"
#define FRAME_RATE (22050.0f / 512.0f)
#define N_FRAMES 129 /* 3 s */

typedef enum {
    SMOOTH,        /* the reference: a decaying boom with a steady timbre */
    OCTAVE_ERRORS, /* yin's octave errors: pitch x8 (three octaves) for one frame in every ten */
    PITCH_JUMP,    /* the pitch jumps three octaves up at 1 s and stays */
    PITCH_DROP,    /* ... and three octaves down */
    LOUDNESS_STEP, /* +20 dB at 1 s */
    BRIGHTNESS_STEP, /* centroid, bandwidth and roll-off x8 at 1 s */
    NOISINESS_STEP,  /* flatness x100 at 1 s */
    N_CASES
} crafted;

static const char *const g_names[N_CASES] = {"smooth", "octave errors", "pitch jump +3 oct", "pitch drop -3 oct",
                                             "loudness step +20 dB", "brightness step x8", "noisiness step x100"};

static void craft(crafted k, nr_curves *c)
{
    for (int i = 0; i < c->n_frames; i++) {
        float t = i / FRAME_RATE, after = t >= 1.0f;
        float v[NR_NUM_DESC] = {0.2f * expf(-t / 1.2f), 0.05f, 3000, 0.05f, 1500, 1200, 80};
        switch (k) {
        case OCTAVE_ERRORS: if (i % 10 == 5) v[NR_DESC_PITCH] *= 8; break;
        case PITCH_JUMP: if (after) v[NR_DESC_PITCH] *= 8; break;
        case PITCH_DROP: v[NR_DESC_PITCH] = after ? 60.0f : 480.0f; break;
        case LOUDNESS_STEP: if (after) v[NR_DESC_LOUDNESS] *= 10; break;
        case BRIGHTNESS_STEP:
            if (after) v[NR_DESC_BRIGHTNESS] *= 8, v[NR_DESC_RICHNESS] *= 4, v[NR_DESC_TONELIKE] *= 3.5f;
            break;
        case NOISINESS_STEP: if (after) v[NR_DESC_NOISINESS] = 0.5f; break;
        default: break;
        }
        memcpy(c->data + (size_t)i * NR_NUM_DESC, v, sizeof v);
    }
}

static void test_no_clicks(void)
{
    /* NR_TEST_MODEL: another model file to put through the same curves (e.g. a training checkpoint's) */
    const char *path = getenv("NR_TEST_MODEL") ? getenv("NR_TEST_MODEL") : DEFAULT_MODEL;
    nr_model *m = NULL;
    NT_CHECKF(nr_model_load(path, &m) == NR_OK, "%s", nr_last_error());
    if (!m) return;
    nr_render_config rc = nr_render_config_init();
    rc.out_rate = 22050; /* as eval measures */
    int seeds = getenv("NR_EMULATED") ? 1 : 3;
    for (int k = 0; k < N_CASES; k++) {
        nr_curves c;
        NT_CHECK(nr_curves_alloc(&c, N_FRAMES, FRAME_RATE) == NR_OK);
        craft((crafted)k, &c);
        long worst = 0;
        for (int seed = 1; seed <= seeds; seed++) {
            nr_audio y = {0};
            rc.voice.seed = (uint64_t)seed;
            long clicks = -1;
            NT_CHECKF(nr_render(m, &c, &rc, &y) == NR_OK, "%s", nr_last_error());
            NT_CHECK(nr_eval_count_clicks(y.samples, y.n, y.rate, &clicks) == NR_OK);
            float peak = 0.0f;
            for (long i = 0; i < y.n; i++) peak = fmaxf(peak, fabsf(y.samples[i]));
            NT_CHECKF(peak > 1e-3f && peak < 4.0f, "%s: peak %g", g_names[k], peak);
            NT_CHECKF(clicks == 0, "%s, seed %d: %ld clicks", g_names[k], seed, clicks);
            if (clicks > worst) worst = clicks;
            nr_audio_free(&y);
        }
        printf("  %-22s %ld clicks (worst of %d seeds)\n", g_names[k], worst, seeds);
        nr_curves_free(&c);
    }
    nr_model_free(m);
}

int main(void)
{
    NT_RUN(test_no_clicks);
    return nt_end();
}
