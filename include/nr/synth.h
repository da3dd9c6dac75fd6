/* The synth: one model, its voices, the performer and the output chain. It renders audio blocks from a
 * patch (nr/patch.h) and timed events, and knows no settings file, menu, display, file or thread
 * (plaits' Voice::Render(patch, modulations, out, size)). Hosts (the module, the terminal panel,
 * `neurorack play`, the hardware runner, plugins) own all of that and drive one or more synths.
 * No global state: any number of synths may live in one process.
 *
 * Threads: functions marked "audio thread" never allocate, lock, log or touch files, and belong to the
 * one thread that renders; the others ("control thread") belong to one other thread and may allocate.
 * The two sides meet through lock-free hand-overs only: a triple buffer for the patch, an atomic
 * pointer exchange for a new model (the old one sounds out, then is freed back on the control thread), a lock-free
 * queue for reports. */
#ifndef NR_SYNTH_H
#define NR_SYNTH_H

#include "nr/curves.h"
#include "nr/latent.h"
#include "nr/model.h"
#include "nr/patch.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a timed event does. Values fixed: hosts pass them through queues and scripts. */
typedef enum {
    NR_SYNTH_GATE = 0, /* index 0..1, value > 0.5 = high (edges trigger) */
    NR_SYNTH_CV = 1,   /* index 0..3, value in volts (-5..+5 on the module; clamped, NaN ignored) */
    /* A played note (MIDI, a plugin's note input): what the next rising edge of gate `index` gives the
     * voice it starts, kept by that voice for its whole sound. 6 and 7: the host event types below them
     * (encoder, push, ...; nr/instrument.h) keep their numbers. */
    NR_SYNTH_NOTE_PITCH = 6, /* volts at 1 V/oct added to the pitch_voct target (0 = the template's pitch) */
    NR_SYNTH_NOTE_LEVEL = 7  /* gain 0..1 of the voice (velocity / 127); 1 until set */
    /* room for NR_SYNTH_LATENT: a point in the model's latent space, when a model takes one */
} nr_synth_event_type;

typedef struct {
    int type;     /* nr_synth_event_type; other values are ignored */
    int index;
    float value;
    int64_t time; /* device-rate sample time of the stream at which it applies; -1 = at once */
} nr_synth_event;

/* Where nr_synth_process() takes its events from: next() fills *ev and returns 1, or returns 0 when
 * there is none for now. Audio thread. It is asked only while the synth has room
 * (NR_SYNTH_MAX_PENDING events waiting); an event not asked for stays with the host for the next block. */
typedef struct {
    void *ctx;
    int (*next)(void *ctx, nr_synth_event *ev);
} nr_synth_events;

#define NR_SYNTH_MAX_PENDING 256

typedef struct {
    nr_model *model;  /* taken over by nr_synth_init (freed with the synth, even when init fails) */
    int device_rate;  /* Hz of the output */
    int max_block;    /* largest block one process call renders at a time (longer calls are split) */
    int max_voices;   /* 1..NR_MAX_VOICES */
    int cpu_guard;    /* 1 (default): lower the voice count before blocks run late (live);
                         0: never (offline renders, where time does not matter) */
    uint64_t seed;    /* random phases and variation; equal seeds give equal renders */
    int threads;      /* threads inside one voice (nr_voice_config.threads; 0 or 1: none) */
} nr_synth_config;

typedef struct nr_synth nr_synth;

/* Defaults: 48 kHz, blocks of 1024, 8 voices, CPU guard on, seed 1, no model. Any thread. */
nr_synth_config nr_synth_config_init(void);
/* Control thread: check cfg, build the voices, templates and output chain for cfg->model (all
 * allocation happens here), with the default patch. *out is NULL on failure. */
nr_result nr_synth_init(const nr_synth_config *cfg, nr_synth **out);
/* Control thread, once the audio thread no longer calls process (backend stopped). NULL is fine. */
void nr_synth_uninit(nr_synth *s);

/* Audio thread: render n mono samples at the device rate, taking events from `events` (NULL: none)
 * at the start of each max_block piece and applying each at its sample time. */
void nr_synth_process(nr_synth *s, const nr_synth_events *events, float *out, int n);

/* Control thread: publish a patch and the CV calibration (clamped copies; template names resolved
 * against the newest model). The audio thread picks it up at its next block. */
void nr_synth_set_patch(nr_synth *s, const nr_patch *patch, const nr_cv_cal cal[NR_NUM_CV]);

/* Audio thread: turn the CPU guard on or off from the next block (a plugin host's freewheeling export
 * renders with it off, as offline renders do). */
void nr_synth_set_cpu_guard(nr_synth *s, int on);
/* Control thread: device samples between a gate's time and the middle of the sound it starts: the
 * resampler's delay (0 when the model runs at the device rate: sound starts at the gate's sample). */
int nr_synth_latency_frames(const nr_synth *s);

/* Control thread: a new model in two steps. stage builds its voices and templates (takes the model
 * over, freed on failure); templates added between stage and commit go to it; commit hands it to the
 * audio thread with an atomic pointer exchange and republishes the last patch against its templates.
 * At the block that takes it, new notes start on the new model while the old model's sounding voices
 * sound out on the old one (their own output chain, mixed in before the volume and limiter, which carry
 * on: no gap, no step): until they end, a gate edge fades them as it would fade a voice of their gate
 * (retrigger, choke), new voices need their room (the voice limit counts both), nr_synth_swap_hurry()
 * or 3 s pass (then a 15 ms raised-cosine fade; at once in source latent with a latent model, whose new
 * points are decoded only once the old voices are gone). Controls are kept; events not yet applied move over.
 * NR_ERR_UNSUPPORTED when the previous swap has not finished (old voices still sounding, or the old
 * model not yet collected): the old voices are told to fade out now (nr_synth_swap_hurry); try again
 * after nr_synth_collect() a few ms later. */
nr_result nr_synth_model_stage(nr_synth *s, nr_model *model);
void nr_synth_model_commit(nr_synth *s);
/* The same with the slow part on another thread: prepare builds the model's voices, templates (the
 * built-ins a model without its own are analysed here: ~0.1 s) and output chain for this synth, on any
 * thread (a loader; it reads only the configuration fixed at init), taking the model over (freed on
 * failure); stage_prepared stages the result on the control thread (taken over, freed on failure; the
 * same NR_ERR_UNSUPPORTED as nr_synth_model_stage), then commit as above. */
typedef struct nr_synth_prepared nr_synth_prepared;
nr_result nr_synth_prepare(const nr_synth *s, nr_model *model, nr_synth_prepared **out);
void nr_synth_prepared_free(nr_synth_prepared *p);
nr_result nr_synth_model_stage_prepared(nr_synth *s, nr_synth_prepared *p);
/* Control thread: 1 while a committed model has not been taken, the old model's voices still sound out,
 * or the old model has not been collected. */
int nr_synth_swap_pending(const nr_synth *s);
/* Control thread: the old model's voices, still sounding out after a switch, fade out now (15 ms raised
 * cosine), so that the next switch can go ahead. Nothing when none sound. */
void nr_synth_swap_hurry(nr_synth *s);
/* Control thread, every few ms: free a model the audio thread has let go of, and decode the latent
 * point the latent1..4 inputs ask for (patch source latent) when it has moved. */
void nr_synth_collect(nr_synth *s);
/* Control thread: the latent curve model (nr/latent.h) that source latent plays, taken over (a heap
 * nr_latent, freed with the synth; NULL: none). In source latent, gate 1 plays the newest point decoded
 * by nr_synth_collect (template A until the first decode), gate 2 the point at the A/B position on the
 * straight line between templates A and B encoded into the latent (the A/B mix until then); a sounding
 * voice follows a newly decoded point over 50 ms. */
nr_result nr_synth_set_latent(nr_synth *s, nr_latent *lm);
/* Control thread: the latent model set (NULL: none), read-only. */
const nr_latent *nr_synth_latent(const nr_synth *s);

/* Offline, any thread: the live output chain's DC blocker and soft limiter (linear to 0.8, a tanh knee
 * to 0.98; src/synth/output.c) over a whole sound at `rate` Hz, in place, at unity volume: what the
 * instrument, the LV2 plug-in and the Pd external do to every sample they play. Returns the peak after
 * it; non-finite samples become silence. */
float nr_synth_output_stage(float *x, long n, int rate);

/* Control thread: add curves (any frame rate) as a template named `name` to the staged model, else
 * the current one. Before the audio thread starts, or between stage and commit. */
nr_result nr_synth_add_template(nr_synth *s, const char *name, const nr_curves *c);
/* Control thread: the newest model's templates, its default A and B (-1: none), and its info. */
int nr_synth_template_count(const nr_synth *s);
const char *nr_synth_template_name(const nr_synth *s, int i);
void nr_synth_template_defaults(const nr_synth *s, int *def_a, int *def_b);
const nr_model_info *nr_synth_model_info(const nr_synth *s);

typedef struct {
    float cv[NR_NUM_CV];     /* volts after calibration */
    float cv_raw[NR_NUM_CV]; /* volts as received */
    int gate[NR_NUM_GATES];
    int voices_active;
    int voices_sounding_out; /* the previous model's voices still sounding after a switch */
    float out_peak;          /* last block's peak, linear */
    float cpu_load;          /* share of the block period used by process() (smoothed) */
    float worst_block_share; /* worst since start */
    uint32_t faults;         /* voices silenced for producing NaN/inf */
    float cv_latency_ms;     /* worst CV change -> sound delay inside the synth (model lookahead + one
                                frame + resampler) */
    int voice_limit;         /* voices allowed now (the patch's count, lowered by the CPU guard) */
    uint32_t dropped_events; /* events lost because NR_SYNTH_MAX_PENDING were waiting */
    float latent[NR_NUM_LATENT]; /* the latent point gate 1 asks for (source latent), prior std */
} nr_synth_status;

/* Any thread (relaxed atomic reads). */
void nr_synth_status_get(const nr_synth *s, nr_synth_status *st);

/* What the audio thread tells the control thread. */
typedef enum { NR_SYNTH_REPORT_FAULT = 1, NR_SYNTH_REPORT_GUARD } nr_synth_report_type;
typedef struct {
    int type;    /* nr_synth_report_type */
    float value; /* FAULT: voices silenced; GUARD: the new voice limit */
} nr_synth_report;
/* Control thread: the next report, 1 if one was there. */
int nr_synth_take_report(nr_synth *s, nr_synth_report *r);

#ifdef __cplusplus
}
#endif
#endif
