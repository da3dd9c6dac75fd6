/* A second model for the tests that switch models while playing: a small nr-impact-2 from fresh weights
 * (head biases raised so every part is audible), written by the test itself so those tests never skip,
 * with one template of its own, "tiny-hit" (its default), a bright 0.4 s hit. */
#ifndef NR_TEST_TINY_MODEL_H
#define NR_TEST_TINY_MODEL_H

#include "models/impact2.h"
#include "neurorack.h"
#include "nr/model_templates.h"
#include "nr_test.h"
#include "train/train_impl.h"

#include <math.h>
#include <stdlib.h>

#define TINY_TEMPLATE "tiny-hit"

/* Writes the model to path; 0 after failing the current test. */
static int write_tiny_model(const char *path, uint64_t seed)
{
    nr_imp2_hparams hp = nr_imp2_hparams_default();
    hp.hidden = 32;
    hp.layers = 2;
    hp.n_harm = 32;
    hp.n_env = 16;
    if (nr_imp2_hparams_check(&hp, "tiny") != NR_OK) hp = nr_imp2_hparams_default();
    float *blk = calloc((size_t)nr_imp2_n_values(&hp, 0), sizeof(float));
    if (!blk) return 0;
    nr_imp_weights_rw w;
    nr_imp2_weights_carve(&hp, blk, &w);
    nr_imp2_init_weights(&hp, &w, seed, NULL, NULL);
    for (int i = 0; i < nr_imp2_n_out(&hp); i++) w.head_b[i] += 1.0f;
    nr_model *m = NULL;
    nr_result r = nr_imp2_model_from_block(&hp, blk, &m);
    free(blk);
    NT_CHECKF(r == NR_OK, "tiny model: %s", nr_last_error());
    if (r != NR_OK) return 0;
    nr_curves c;
    enum { FRAMES = 40 };
    r = nr_curves_alloc(&c, FRAMES, 100.0f);
    for (int i = 0; r == NR_OK && i < FRAMES; i++) {
        float *f = c.data + (size_t)i * NR_NUM_DESC, env = expf(-4.0f * (float)i / FRAMES);
        f[NR_DESC_LOUDNESS] = 0.2f * env;
        f[NR_DESC_PERCUSSIVITY] = 0.1f;
        f[NR_DESC_TONELIKE] = 4000.0f;
        f[NR_DESC_NOISINESS] = 0.01f;
        f[NR_DESC_RICHNESS] = 1500.0f;
        f[NR_DESC_BRIGHTNESS] = 2000.0f;
        f[NR_DESC_PITCH] = 220.0f;
    }
    nr_model_template_in in = {TINY_TEMPLATE, "a bright test hit", &c};
    if (r == NR_OK) r = nr_model_set_templates(m, &in, 1, TINY_TEMPLATE);
    if (r == NR_OK) r = nr_model_save(m, path);
    NT_CHECKF(r == NR_OK, "tiny model %s: %s", path, nr_last_error());
    nr_curves_free(&c);
    nr_model_free(m);
    return r == NR_OK;
}

#endif
