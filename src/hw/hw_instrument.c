/* The hardware layer wired to the instrument (kept apart so the drivers link without it). */
#include "hw/hw_run.h"

static void post_to_instrument(void *ctx, const nr_control_event *ev)
{
    nr_instrument_post(ctx, NR_SRC_HARDWARE, ev); /* a full queue drops the event: the next one follows */
}

static uint32_t frame_of_instrument(void *ctx, uint8_t *fb) { return nr_instrument_frame(ctx, fb); }

void nr_hw_attach_instrument(nr_hw *hw, nr_instrument *inst)
{
    nr_hw_attach(hw, post_to_instrument, inst, frame_of_instrument, inst);
}
