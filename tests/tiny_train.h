/* The smallest training run the tests use: 6 synthetic sounds, a 16 x 2 network, 3 per batch, 0.3 s
 * clips, no progress, checkpoints or validation. Tests change what they need on the copy. */
#ifndef NR_TEST_TINY_TRAIN_H
#define NR_TEST_TINY_TRAIN_H

#include "nr/train.h"

static inline nr_train_config nt_tiny_train_config(void)
{
    nr_train_config c = nr_train_config_init();
    c.data = "synthetic:6";
    c.hidden = 16;
    c.layers = 2;
    c.batch = 3;
    c.clip_seconds = 0.3f;
    c.lr = 5e-3f;
    c.progress = 0;
    c.checkpoint_every = 0;
    c.valid_every = 0;
    return c;
}

#endif
