/* The hardware side of `neurorack play --hardware FILE`, in the order the play command calls it:
 *
 *   nr_hw_boot()    first thing: read the file, open the inputs, show the splash (the display thread
 *                   draws it while the model loads), arm the crash message
 *   nr_hw_fail()    anything before the audio runs failed (the model did not load, no audio device):
 *                   the message on the display and on stderr (the journal)
 *   nr_hw_attach_instrument() / nr_hw_attach()  once the instrument exists: its frames on the display,
 *                   the inputs posted to it as NR_SRC_HARDWARE events
 *   nr_hw_close()   at the end
 *
 * The file's [audio] section (cfg->audio) gives the ALSA device, rate, period and periods. */
#ifndef NR_HW_RUN_H
#define NR_HW_RUN_H

#include "hw/hw.h"

/* ops NULL: the real kernel interface. On failure *out is NULL and the message names file and line. */
nr_result nr_hw_boot(const char *path, const nr_hw_ops *ops, nr_hw_config *cfg, nr_hw **out);
/* Stops the hardware threads and leaves `message` on the display (hw may be NULL: stderr only). */
void nr_hw_fail(nr_hw *hw, const char *title, const char *message);
/* Inputs to post (NR_SRC_HARDWARE is the caller's to add), frames from frame(). */
void nr_hw_attach(nr_hw *hw, nr_hw_post_fn post, void *post_ctx, nr_hw_frame_fn frame, void *frame_ctx);
/* The same with the instrument itself: nr_instrument_post(inst, NR_SRC_HARDWARE, ...) and
 * nr_instrument_frame (hw_instrument.c). */
void nr_hw_attach_instrument(nr_hw *hw, nr_instrument *inst);

/* Will the audio thread get SCHED_FIFO at `priority`? Root, or an RLIMIT_RTPRIO at least that high. 0 and
 * a one-line note (for the journal) when not; priority 0 asks for none. */
int nr_hw_rt_allowed(int priority, unsigned uid, unsigned long rtprio_limit, char *note, size_t n);

#endif
