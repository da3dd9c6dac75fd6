/* The instrument: the module host around one synth (nr/synth.h). It owns what the synth does not:
 * the settings file and presets, the menu and the OLED frame, the model list, model loading, switching
 * and reload, and the queues from the control sources.
 *
 * Models: the configured (default) model, then every model file (*.safetensors, *.th) in models/ beside
 * the program (and the source tree's models/ when it runs from build/), the installed share folder
 * (<prefix>/share/neurorack/models) and the settings folder's models/ (~/.config/neurorack/models), each
 * checked by loading it at start (and on the System page's "Rescan models"); a file that does not load is
 * listed broken with the reason and never chosen. The patch names its model (nr_patch.model); the Sound
 * page, an NR_EV_MODEL event (OSC /neurorack/model, scripts) or a preset changes it, the file is read off
 * the audio thread and the synth switches without a gap (nr_synth_model_commit). An unknown or broken name
 * plays the default model, with a notice.
 *
 * Every control source (hardware ADCs/GPIO, terminal keys, MIDI, OSC, a scripted control file)
 * posts nr_control_event values; gates and CVs go to the synth, which takes them at the start of each
 * block and applies each at its sample offset; the rest drives the menu. Backends (JACK, ALSA, file
 * sink) only call nr_instrument_process().
 *
 * Threads: nr_instrument_post() is safe from any one producer thread per queue (lock-free SPSC
 * queues, one per source); nr_instrument_process() runs on the audio thread only and never
 * allocates, locks, logs or touches files; everything else belongs to the control/UI thread. */
#ifndef NR_INSTRUMENT_H
#define NR_INSTRUMENT_H

#include "nr/synth.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NR_OLED_W 128
#define NR_OLED_H 64

typedef enum {
    NR_EV_GATE = NR_SYNTH_GATE, /* index 0..1, value > 0.5 = high (edges trigger) */
    NR_EV_CV = NR_SYNTH_CV,     /* index 0..3, value in volts (-5..+5 on the module; clamped, NaN ignored) */
    NR_EV_ENCODER,    /* value = detents turned (+ clockwise) */
    NR_EV_PUSH,       /* short press of the encoder */
    NR_EV_LONG_PUSH,  /* long press: back */
    NR_EV_QUIT,
    NR_EV_NOTE_PITCH = NR_SYNTH_NOTE_PITCH, /* index 0..1 (gate), volts at 1 V/oct for its next trigger */
    NR_EV_NOTE_LEVEL = NR_SYNTH_NOTE_LEVEL, /* index 0..1 (gate), gain 0..1 for its next trigger */
    NR_EV_MODEL = 8   /* name: switch to the model of that name (the patch's model); "" = the default */
} nr_event_type;

typedef struct {
    nr_event_type type;
    int index;
    float value;
    int64_t time;     /* sample time of the audio stream at which it applies; -1 = as soon as possible */
    char name[NR_NAME_MAX]; /* NR_EV_MODEL: the model's name; "" otherwise */
} nr_control_event;

typedef enum { NR_SRC_UI = 0, NR_SRC_MIDI, NR_SRC_OSC, NR_SRC_HARDWARE, NR_SRC_SCRIPT, NR_NUM_SOURCES } nr_source;

typedef struct nr_instrument nr_instrument;

typedef struct {
    const char *model_path;    /* NULL: the default model */
    const char *settings_path; /* NULL: ~/.config/neurorack/settings.nrs */
    const char *latent_path;   /* latent curve model (nr/latent.h) that patch source latent plays; NULL: the
                                  one beside the default model (X.latent.safetensors for X.safetensors), if any */
    int device_rate;           /* Hz of the audio device */
    int max_block;             /* largest block the backend will ask for */
    int max_voices;            /* 1..8 */
    int cpu_guard;             /* 1 (default): lower the voice count before blocks run late (live);
                                  0: never (offline renders, where time does not matter) */
    uint64_t seed;             /* random phases and variation; equal seeds give equal renders */
    int threads;               /* threads inside one voice (nr_voice_config.threads; 0 or 1: none) */
    int sync_model_load;       /* 0 (default): a model switch reads the file on a loader thread and lands
                                  a few polls later; 1: inside nr_instrument_poll (offline renders: the
                                  switch lands at the same block every time) */
} nr_instrument_config;

nr_instrument_config nr_instrument_config_init(void);
nr_result nr_instrument_create(const nr_instrument_config *cfg, nr_instrument **out);
void nr_instrument_free(nr_instrument *inst);

/* Any thread (one producer per source). Returns 0 if the queue is full (the event is dropped). */
int nr_instrument_post(nr_instrument *inst, nr_source src, const nr_control_event *ev);

/* Audio thread: render n mono samples at the device rate. */
void nr_instrument_process(nr_instrument *inst, float *out, int n);

/* Control/UI thread: apply menu events, keep the display frame current; call every few ms. */
void nr_instrument_poll(nr_instrument *inst);

/* The current 128x64 1-bit frame: 8 pages of 128 bytes, bit k of byte [page*128 + x] is pixel
 * (x, page*8 + k), as an SH1106/SSD1306 takes it. Returns a counter that changes with the frame. */
uint32_t nr_instrument_frame(const nr_instrument *inst, uint8_t fb[NR_OLED_W * NR_OLED_H / 8]);

typedef struct {
    float cv[NR_NUM_CV];     /* volts after calibration */
    int gate[NR_NUM_GATES];
    int voices_active;
    float out_peak;          /* last block's peak, linear */
    float cpu_load;          /* share of the block period used by process() (smoothed) */
    float worst_block_share; /* worst since start */
    uint32_t xruns;          /* reported by the backend through nr_instrument_note_xrun */
    float latency_ms;        /* backend latency, set by the backend */
    uint32_t faults;         /* voices silenced for producing NaN/inf */
    float cv_latency_ms;     /* worst CV change -> sound delay inside the synth (model lookahead + one
                                frame + resampler), to add to latency_ms */
    int voice_limit;         /* voices allowed now (the patch's count, lowered by the CPU guard) */
    uint32_t dropped_events; /* control events lost to full queues */
    uint32_t model_reloads, model_reloads_failed; /* menu reloads done, and refused (the old model kept) */
    uint32_t model_switches, model_switches_failed; /* switches to another model (the patch's model name),
                                                       and loads that failed (the playing model kept) */
    int voices_sounding_out; /* the previous model's voices still sounding after a switch */
    uint32_t settings_saves, settings_saves_failed; /* settings file writes */
} nr_instrument_status;

void nr_instrument_status_get(const nr_instrument *inst, nr_instrument_status *st);
void nr_instrument_note_xrun(nr_instrument *inst);
void nr_instrument_set_latency(nr_instrument *inst, float ms);

/* Control thread. Set once a NR_EV_QUIT event has been polled: the backend should stop. */
int nr_instrument_quit_requested(const nr_instrument *inst);
/* Control thread. The last message for the user (settings file kept aside as *.bad-<time>, model
 * reload failed, ...), "" if none; print it at start-up. */
const char *nr_instrument_notice(const nr_instrument *inst);
/* Control thread, before the backend starts processing: add a curve file from `neurorack analyze`
 * as a template named after the file (also loaded at create: every *.csv in the settings folder's
 * templates/ subfolder). */
nr_result nr_instrument_add_template(nr_instrument *inst, const char *csv_path);

#ifdef __cplusplus
}
#endif
#endif
