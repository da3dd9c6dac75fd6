/* The module's hardware as one more control source and one more display of the instrument:
 * ADS1x15 CV/gate inputs, GPIO gates, the encoder with push, and the OLED/LCD, as configured in the
 * hardware file (hw_config.h). Inputs become nr_control_event values handed to `post` (hw_run.c posts
 * them with nr_instrument_post(..., NR_SRC_HARDWARE, ...)); the display shows the frames `frame` gives.
 *
 * A device that does not answer (unplugged: ENXIO/EIO) is reported once through `log` with the file,
 * the device and the inputs it takes away; the rest keeps running and the device is retried.
 *
 * Threads: nr_hw_start() runs a control thread (inputs) and a display thread; neither touches audio.
 * The calibration setters may be called from the menu/UI thread at any time. */
#ifndef NR_HW_H
#define NR_HW_H

#include "hw/hw_config.h"
#include "hw/hw_ops.h"
#include "nr/instrument.h"

typedef struct nr_hw nr_hw;

typedef void (*nr_hw_post_fn)(void *ctx, const nr_control_event *ev);
typedef void (*nr_hw_log_fn)(void *ctx, const char *msg);
/* Fill fb with the current frame (nr_instrument_frame's layout); returns a counter that changes with it. */
typedef uint32_t (*nr_hw_frame_fn)(void *ctx, uint8_t *fb);

typedef struct {
    const nr_hw_ops *ops; /* NULL: the real kernel interface */
    nr_hw_post_fn post;
    void *post_ctx;
    nr_hw_log_fn log;     /* NULL: stderr */
    void *log_ctx;
} nr_hw_io;

#define NR_HW_RETRY_NS 2000000000LL /* a failed device is tried again this often */

/* Opens the inputs (the display opens with its first frame). Fails only for a bad argument or no
 * memory: missing devices are logged and left out. `what` (the hardware file's name) starts every
 * message. */
nr_result nr_hw_open(const nr_hw_config *cfg, const char *what, const nr_hw_io *io, nr_hw **out);
void nr_hw_close(nr_hw *hw);

/* One pass of the control loop: wait up to max_wait_ms for GPIO edges or the next ADC conversion,
 * then post what changed. nr_hw_start's thread calls it; tests call it with a fake clock. */
void nr_hw_step(nr_hw *hw, int max_wait_ms);

/* Calibration of an input (kind NR_EV_CV or NR_EV_GATE): module volts = (ADC volts - offset) * scale. */
nr_result nr_hw_set_calibration(nr_hw *hw, nr_event_type kind, int index, float offset, float scale);
nr_result nr_hw_set_gate_thresholds(nr_hw *hw, int index, float high, float low);
/* Last ADC reading before calibration (volts at the pin), NaN if none yet: for a calibration menu. */
float nr_hw_raw_volts(nr_hw *hw, nr_event_type kind, int index);
/* Is the input's device answering? */
int nr_hw_input_online(nr_hw *hw, nr_event_type kind, int index);

/* Display: flush a frame now (the display thread's job; also for tests and start-up). Returns the
 * number of pages written, 0 if no display works. */
int nr_hw_display_frame(nr_hw *hw, const uint8_t *fb);
/* Show a message (title bar + wrapped text) instead of the instrument's frames, flushed at once;
 * nr_hw_show_message(hw, NULL, NULL) goes back to the frames. */
void nr_hw_show_message(nr_hw *hw, const char *title, const char *body);
void nr_hw_show_splash(nr_hw *hw, const char *status);
/* The splash as the next thing the display thread draws (nothing is flushed here): before nr_hw_start,
 * its first frame. */
void nr_hw_set_splash(nr_hw *hw, const char *status);

/* Where inputs go and where frames come from (either may be NULL: inputs dropped, messages only).
 * Any time, also while the threads run. */
void nr_hw_set_sink(nr_hw *hw, nr_hw_post_fn post, void *post_ctx, nr_hw_frame_fn frame, void *frame_ctx);
/* Start / stop the control and display threads. */
nr_result nr_hw_start(nr_hw *hw);
void nr_hw_stop(nr_hw *hw);

/* On SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGABRT: draw "crashed" on the display, say it on stderr, and die of
 * the same signal (systemd then restarts the unit). One hw at a time. */
void nr_hw_install_crash_handler(nr_hw *hw);

#endif
