/* neurorack play: the instrument in real time (JACK, ALSA) or rendered from a script to a file. */
#include "audio/backend.h"
#include "audio/live.h"
#include "commands.h"
#include "control/midi.h"
#include "control/osc.h"
#include "control/script.h"
#include "hw/hw_run.h"
#include "neurorack.h"
#include "ui/panel.h"
#include "ui/png.h"

#include <errno.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SCRIPT_TAIL_S 8.0 /* a script without `end` plays this long past its last event */
#define POLL_MS 5

/* The kernel interface of --hardware: NULL is the real one (a test that includes this file sets a fake). */
static const nr_hw_ops *play_hw_ops;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: neurorack play [options]\n"
            "  --audio jack|alsa|file:OUT.wav  output; default JACK when a server runs, else ALSA 'default'\n"
            "  --device NAME      ALSA device (default, hw:0,0, plughw:1, ...); implies --audio alsa\n"
            "  --rate HZ          ALSA and file rate (48000)\n"
            "  --period N         ALSA period / file block in frames, 64..8192 (256)\n"
            "  --periods N        ALSA periods in the buffer, 2..16 (3)\n"
            "  --jack-server NAME JACK server to join;  --no-connect: leave the JACK output unconnected\n"
            "  --model PATH       the default model file (default: models/default.safetensors); the Sound page\n"
            "                     also offers every model in models/ beside the program, the share folder and\n"
            "                     the settings folder's models/ (~/.config/neurorack/models/)\n"
            "  --latent-model PATH  latent curve model that the patch's source latent plays (latent1..4 CVs);\n"
            "                     default: X.latent.safetensors beside the default model X.safetensors\n"
            "  --settings PATH    settings file (default: ~/.config/neurorack/settings.nrs)\n"
            "  --voices N         voices, 1..8 (8)\n"
            "  --threads N        threads inside each voice of the original model, 1..64 (1)\n"
            "  --seed N           random phases and variation (1); the same seed renders the same file\n"
            "  --template CSV     add a curve file from 'neurorack analyze' as a template (repeatable)\n"
            "  --script FILE      timestamped control events (see docs/instrument.md)\n"
            "  --duration S       stop after S seconds of audio (default: the script's end; a file needs one)\n"
            "  --report           print start-up time, xruns, callback load and gate-to-sound delay\n"
            "  --realtime         with --audio file: render at the pace of the clock, as a device plays (OSC and\n"
            "                     MIDI then land where they would live; scripts/soak.sh runs it so)\n"
            "  --osc PORT         OSC over UDP on PORT, 0 for any free one (/neurorack/gate/1, /neurorack/cv/1 f, ...);\n"
            "                     only this machine can send unless --osc-bind opens it\n"
            "  --osc-bind ADDR    the IP address OSC listens on (default 127.0.0.1; 0.0.0.0 or :: every interface:\n"
            "                     anyone on the network can then play and reconfigure the instrument)\n"
            "  --midi             MIDI in through the ALSA sequencer;  --midi-map FILE: note/CC mapping\n"
            "                     (default: ~/.config/neurorack/midi.map when it exists); a note's number moves\n"
            "                     the pitch (60 = the template's pitch, 1 V/oct on pitch_voct), its velocity the level\n"
            "  --no-note-pitch    MIDI notes play every template at its own pitch (the map's 'pitch off')\n"
            "  --headless         no terminal panel (automatic when stdin is not a terminal)\n"
            "  --screenshot FILE.png  the OLED frame as PNG: key 'p' in the panel, and at the end\n"
            "  --hardware FILE    the module's panel and display as configured in FILE (docs/hardware.md); its\n"
            "                     [audio] section gives the ALSA device, rate, period and periods unless the\n"
            "                     options above do. With --audio file: the render runs in real time, the panel\n"
            "                     read between blocks\n");
}

typedef struct {
    const char *audio, *device, *jack_server, *model, *settings, *script, *osc, *osc_bind, *midi_map, *shot, *hardware, *latent_model;
    long rate, period, periods, voices, threads;
    int rt_priority; /* ALSA playback thread's SCHED_FIFO priority from the hardware file; -1: default */
    int rate_set, period_set, periods_set; /* given on the command line: they beat the hardware file */
    unsigned long long seed;
    const char *templates[16];
    int n_templates;
    double duration;
    int report, midi, headless, no_connect, no_note_pitch, realtime;
} play_opts;

static int parse(int argc, char **argv, play_opts *o)
{
    *o = (play_opts){.rate = 48000, .period = 256, .periods = 3, .voices = 8, .threads = 1, .duration = -1, .seed = 1,
                     .rt_priority = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        static const char *const with_value[] = {"--audio", "--device", "--jack-server", "--model", "--latent-model", "--settings",
                                                 "--script", "--osc", "--osc-bind", "--midi-map", "--screenshot",
                                                 "--hardware",
                                                 "--rate", "--period", "--periods", "--voices", "--threads", "--duration",
                                                 "--seed", "--template"};
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            if (!strcmp(a, with_value[k]) && !v) {
                fprintf(stderr, "neurorack play: %s needs a value\n", a);
                return -1;
            }
#define VAL(name) (!strcmp(a, name) && ++i)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (VAL("--audio")) o->audio = v;
        else if (VAL("--device")) o->device = v;
        else if (VAL("--jack-server")) o->jack_server = v;
        else if (VAL("--model")) o->model = v;
        else if (VAL("--latent-model")) o->latent_model = v;
        else if (VAL("--settings")) o->settings = v;
        else if (VAL("--script")) o->script = v;
        else if (VAL("--osc")) o->osc = v;
        else if (VAL("--osc-bind")) o->osc_bind = v;
        else if (VAL("--midi-map")) o->midi_map = v, o->midi = 1;
        else if (VAL("--screenshot")) o->shot = v;
        else if (VAL("--hardware")) o->hardware = v;
        else if (VAL("--rate")) {
            if (!nr_cli_int("play", a, v, 8000, 384000, &o->rate)) return -1;
            o->rate_set = 1;
        } else if (VAL("--period")) {
            if (!nr_cli_int("play", a, v, 64, 8192, &o->period)) return -1;
            o->period_set = 1;
        } else if (VAL("--periods")) {
            if (!nr_cli_int("play", a, v, 2, 16, &o->periods)) return -1;
            o->periods_set = 1;
        } else if (VAL("--voices")) {
            if (!nr_cli_int("play", a, v, 1, 8, &o->voices)) return -1;
        } else if (VAL("--threads")) {
            if (!nr_cli_int("play", a, v, 1, 64, &o->threads)) return -1;
        } else if (VAL("--duration")) {
            if (!nr_cli_float("play", a, v, 0, 86400, &o->duration)) return -1;
        } else if (VAL("--seed")) {
            char *end;
            errno = 0;
            o->seed = strtoull(v, &end, 10);
            if (errno || end == v || *end || v[0] == '-') {
                fprintf(stderr, "neurorack play: --seed needs a whole number >= 0 (got '%s')\n", v);
                return -1;
            }
        } else if (VAL("--template")) {
            if (o->n_templates == 16) {
                fprintf(stderr, "neurorack play: at most 16 --template files\n");
                return -1;
            }
            o->templates[o->n_templates++] = v;
        } else if (!strcmp(a, "--report")) o->report = 1;
        else if (!strcmp(a, "--midi")) o->midi = 1;
        else if (!strcmp(a, "--no-note-pitch")) o->no_note_pitch = 1, o->midi = 1;
        else if (!strcmp(a, "--headless")) o->headless = 1;
        else if (!strcmp(a, "--realtime")) o->realtime = 1;
        else if (!strcmp(a, "--no-connect")) o->no_connect = 1;
        else {
            fprintf(stderr, "neurorack play: unknown %s '%s' (neurorack play --help)\n",
                    a[0] == '-' ? "option" : "argument", a);
            return -1;
        }
#undef VAL
    }
    if (o->device && !o->audio) o->audio = "alsa";
    if (o->audio && strcmp(o->audio, "jack") && strcmp(o->audio, "alsa") && strncmp(o->audio, "file:", 5)) {
        fprintf(stderr, "neurorack play: --audio '%s'; expected jack, alsa or file:OUT.wav\n", o->audio);
        return -1;
    }
    return 1;
}

typedef struct {
    double backend_ms, instrument_ms, ready_ms; /* since start: backend opened, instrument made, first block */
} play_times;

static const char *sched_name(int policy)
{
    switch (policy) {
    case SCHED_FIFO: return "SCHED_FIFO";
    case SCHED_RR: return "SCHED_RR";
    case SCHED_OTHER: return "SCHED_OTHER";
    case SCHED_BATCH: return "SCHED_BATCH";
    case SCHED_IDLE: return "SCHED_IDLE";
    default: return "another policy";
    }
}

static void print_report(FILE *f, const char *backend, int rate, int block, float latency, const play_times *tm,
                         const nr_live_stats *ls, uint32_t xruns, const nr_instrument_status *is)
{
    fprintf(f, "play report\n");
    fprintf(f, "  backend           %s, %d Hz, %d-frame blocks, output latency %.2f ms\n", backend, rate, block,
            latency);
    fprintf(f, "  start to ready    %.1f ms (backend open at %.1f ms, model and instrument ready at %.1f ms, then the "
               "first block)\n", tm->ready_ms, tm->backend_ms, tm->instrument_ms);
    fprintf(f, "  rendered          %.3f s in %llu blocks\n", (double)ls->samples / rate,
            (unsigned long long)ls->blocks);
    if (ls->sched_policy == SCHED_FIFO || ls->sched_policy == SCHED_RR)
        fprintf(f, "  audio thread      realtime (%s, priority %d)\n", sched_name(ls->sched_policy), ls->sched_priority);
    else if (ls->sched_policy >= 0)
        fprintf(f, "  audio thread      not realtime (%s)\n", sched_name(ls->sched_policy));
    fprintf(f, "  xruns             %u (%u after the first %.1f s)\n", xruns, ls->xruns_settled, NR_LIVE_SETTLE_S);
    fprintf(f, "  callback time     worst %.1f%% of the block period, mean %.1f%%; %u blocks over the period; "
               "worst in the thread's CPU time %.1f%%\n",
            100 * ls->worst_share, 100 * ls->mean_share, ls->blocks_over, 100 * ls->worst_cpu_share);
    fprintf(f, "  instrument        worst block %.1f%%, load %.1f%%, voices active %d (limit %d), faults %u, "
               "events dropped %u, CV-to-sound latency %.1f ms\n",
            100 * is->worst_block_share, 100 * is->cpu_load, is->voices_active, is->voice_limit, is->faults,
            is->dropped_events, is->cv_latency_ms);
    fprintf(f, "  control thread    model reloads %u (%u refused, the old model kept), model switches %u (%u failed), "
               "settings saves %u (%u failed)\n",
            is->model_reloads, is->model_reloads_failed, is->model_switches, is->model_switches_failed,
            is->settings_saves, is->settings_saves_failed);
    if (ls->gates)
        fprintf(f, "  gate to sound     %u gates from silence: %u sounded within their block, %u silent; "
                   "worst delay %lld samples (%.2f ms)\n",
                ls->gates, ls->gates_same_block, ls->gates_silent, (long long)ls->worst_gate_delay,
                ls->worst_gate_delay >= 0 ? 1e3 * (double)ls->worst_gate_delay / rate : 0.0);
    else
        fprintf(f, "  gate to sound     no gate from silence to measure\n");
    if (ls->script_dropped) fprintf(f, "  script events dropped by a full queue: %u\n", ls->script_dropped);
}

/* --hardware with --audio file: the render paced by the hardware's clock (real time), the panel read and
 * the display drawn between blocks (the file sink calls poll after every block), so an input applies
 * from the block after the one during which it came. */
typedef struct {
    nr_audio_client inner; /* the live layer */
    nr_live *live;
    nr_hw *hw;
    nr_instrument *inst;
    const nr_hw_ops *ops;
    int64_t t0, next_frame, frame_ns;
    int rate;
} hw_render;

static void hw_render_process(void *ctx, float *out, int n)
{
    hw_render *h = ctx;
    h->inner.process(h->inner.ctx, out, n);
}

static int hw_render_post(void *ctx, nr_source src, const nr_control_event *ev)
{
    hw_render *h = ctx;
    return h->inner.post(h->inner.ctx, src, ev);
}

static void hw_render_xrun(void *ctx)
{
    hw_render *h = ctx;
    if (h->inner.xrun) h->inner.xrun(h->inner.ctx);
}

static void hw_render_poll(void *ctx)
{
    hw_render *h = ctx;
    const nr_hw_ops *o = h->ops;
    int64_t due = h->t0 + (int64_t)((double)nr_live_samples(h->live) * 1e9 / h->rate);
    int64_t now = o->now_ns(o->ctx);
    if (due > now) o->sleep_us(o->ctx, (long)((due - now + 999) / 1000));
    nr_hw_step(h->hw, 0);
    if (h->inner.poll) h->inner.poll(h->inner.ctx);
    if (due >= h->next_frame) {
        uint8_t fb[NR_OLED_W * NR_OLED_H / 8];
        nr_instrument_frame(h->inst, fb);
        nr_hw_display_frame(h->hw, fb);
        h->next_frame = due + h->frame_ns;
    }
}

/* Without the panel, the instrument's notices (model reloaded, a settings file that could not be written,
 * ...) go to stderr as they change, so a log or a soak run sees them. Control thread. */
static void print_notice(const nr_instrument *inst, char *last, size_t size)
{
    const char *n = nr_instrument_notice(inst);
    if (!n[0] || !strncmp(n, last, size - 1)) return;
    snprintf(last, size, "%s", n);
    fprintf(stderr, "neurorack play: %s\n", n);
}

/* --realtime with --audio file (no --hardware): the file sink paced to the monotonic clock; the sink calls
 * poll after every block, which sleeps until that block is due. */
typedef struct {
    nr_audio_client inner;
    nr_live *live;
    const nr_instrument *inst;
    double t0_ms;
    int rate;
    char notice[256];
} paced_render;

static void paced_process(void *ctx, float *out, int n)
{
    paced_render *p = ctx;
    p->inner.process(p->inner.ctx, out, n);
}

static int paced_post(void *ctx, nr_source src, const nr_control_event *ev)
{
    paced_render *p = ctx;
    return p->inner.post(p->inner.ctx, src, ev);
}

static void paced_xrun(void *ctx)
{
    paced_render *p = ctx;
    if (p->inner.xrun) p->inner.xrun(p->inner.ctx);
}

static void paced_poll(void *ctx)
{
    paced_render *p = ctx;
    double due = p->t0_ms + 1e3 * (double)nr_live_samples(p->live) / p->rate, now = now_ms();
    if (due > now) usleep((useconds_t)((due - now) * 1e3));
    if (p->inner.poll) p->inner.poll(p->inner.ctx);
    print_notice(p->inst, p->notice, sizeof p->notice);
}

int nr_cmd_play(int argc, char **argv)
{
    const double t_start = now_ms();
    play_opts o;
    int pr = parse(argc, argv, &o);
    if (pr <= 0) return pr == 0 ? 0 : 2;

    int code = 1;
    nr_script script = {0};
    nr_backend *backend = NULL;
    nr_instrument *inst = NULL;
    nr_osc *osc = NULL;
    nr_midi *midi = NULL;
    nr_panel *panel = NULL;
    nr_hw *hw = NULL;
    nr_hw_config hwc;
    hw_render hwr;
    paced_render pcr;
    char notice[256] = "";
    const char *fail_title = "CANNOT START"; /* on the display with the message (--hardware) */
    nr_live live;
    char title[200]; /* the panel keeps a pointer to it */
    const char *file_out = o.audio && !strncmp(o.audio, "file:", 5) ? o.audio + 5 : NULL;

    /* SIGINT/SIGTERM stop the play; a file being written is then not committed (the previous one stays) */
    nr_cli_catch_interrupts();

    if (o.script && nr_script_load(o.script, &script) != NR_OK) goto fail;
    double duration = o.duration;
    if (duration < 0 && o.script) duration = script.end >= 0 ? script.end : nr_script_duration(&script) + SCRIPT_TAIL_S;
    if (file_out && duration < 0) {
        fprintf(stderr, "neurorack play: --audio file: needs --script FILE or --duration S to know when to stop\n");
        code = 2;
        goto out;
    }

    /* The panel first: its splash shows while the rest starts. */
    if (o.hardware) {
        if (nr_hw_boot(o.hardware, play_hw_ops, &hwc, &hw) != NR_OK) goto fail;
        if (!o.audio) o.audio = "alsa";
        if (!strcmp(o.audio, "alsa") && !o.device) o.device = hwc.audio.device;
        if (!o.rate_set) o.rate = hwc.audio.rate;
        if (!o.period_set) o.period = hwc.audio.period;
        if (!o.periods_set) o.periods = hwc.audio.periods;
        o.rt_priority = hwc.audio.rt_priority;
        static char hw_osc_port[8];
        if (!o.osc && hwc.osc.port > 0) {
            snprintf(hw_osc_port, sizeof hw_osc_port, "%d", hwc.osc.port);
            o.osc = hw_osc_port;
        }
        if (!o.osc_bind && hwc.osc.bind[0]) o.osc_bind = hwc.osc.bind;
    }

    play_times tm = {0};
    int rate = (int)o.rate, block = (int)o.period;
    if (!file_out) {
        nr_backend_config bc = nr_backend_config_init();
        bc.server_name = o.jack_server;
        bc.autoconnect = !o.no_connect;
        bc.device = o.device ? o.device : "default";
        bc.rate = rate;
        bc.period = block;
        bc.periods = (int)o.periods;
        if (o.rt_priority >= 0) bc.rt_priority = o.rt_priority;
        fail_title = "NO AUDIO";
        nr_result r = !o.audio ? nr_backend_open_auto(&bc, &backend)
                      : !strcmp(o.audio, "jack") ? nr_backend_open_jack(&bc, &backend)
                                                 : nr_backend_open_alsa(&bc, &backend);
        if (r != NR_OK) goto fail;
        rate = nr_backend_rate(backend);
        block = nr_backend_max_block(backend);
    }
    tm.backend_ms = now_ms() - t_start;

    nr_instrument_config ic = nr_instrument_config_init();
    ic.model_path = o.model ? o.model : nr_cli_default_model();
    ic.latent_path = o.latent_model;
    ic.settings_path = o.settings;
    ic.device_rate = rate;
    ic.max_block = block;
    ic.max_voices = (int)o.voices;
    ic.threads = (int)o.threads;
    ic.seed = o.seed;
    /* a render takes the time it needs: no voice is shed, every run is equal; a real-time one is a device */
    ic.cpu_guard = !file_out || o.realtime;
    ic.sync_model_load = file_out && !o.realtime; /* a model switch lands at the same block every run */
    fail_title = "MODEL FAILED";
    if (nr_instrument_create(&ic, &inst) != NR_OK) goto fail;
    fail_title = "CANNOT START";
    for (int i = 0; i < o.n_templates; i++)
        if (nr_instrument_add_template(inst, o.templates[i]) != NR_OK) goto fail;
    tm.instrument_ms = now_ms() - t_start;
    if (nr_instrument_notice(inst)[0]) fprintf(stderr, "neurorack play: note: %s\n", nr_instrument_notice(inst));
    nr_instrument_set_latency(inst, backend ? nr_backend_latency_ms(backend) : 0.0f);

    nr_audio_client ic_client = nr_instrument_client(inst);
    nr_live_init(&live, &ic_client, o.script ? &script : NULL, rate, block);
    nr_audio_client client = nr_live_client(&live);
    if (hw) {
        nr_hw_attach_instrument(hw, inst);
        if (file_out) { /* the render drives the panel itself, on its own clock */
            nr_hw_stop(hw);
            const nr_hw_ops *ops = play_hw_ops ? play_hw_ops : nr_hw_ops_linux();
            int fps = hwc.display.fps > 0 ? hwc.display.fps : 30;
            hwr = (hw_render){.inner = client, .live = &live, .hw = hw, .inst = inst, .ops = ops,
                              .t0 = ops->now_ns(ops->ctx), .frame_ns = 1000000000LL / fps, .rate = rate};
            hwr.next_frame = hwr.t0;
            client = (nr_audio_client){.ctx = &hwr, .process = hw_render_process, .post = hw_render_post,
                                       .poll = hw_render_poll, .xrun = hw_render_xrun};
        }
    }

    if (file_out && o.realtime && !hw) {
        pcr = (paced_render){.inner = client, .live = &live, .inst = inst, .t0_ms = now_ms(), .rate = rate};
        client = (nr_audio_client){.ctx = &pcr, .process = paced_process, .post = paced_post, .poll = paced_poll,
                                   .xrun = paced_xrun};
    }

    if (o.osc && nr_osc_start(o.osc, o.osc_bind, &client, &osc) != NR_OK) goto fail;
    if (o.midi) {
        nr_midi_map map = nr_midi_map_default();
        char home_map[1024] = "";
        const char *home = getenv("HOME");
        if (!o.midi_map && home && *home) { /* the user's mapping, when there is one */
            snprintf(home_map, sizeof home_map, "%s/.config/neurorack/midi.map", home);
            if (access(home_map, R_OK) == 0) o.midi_map = home_map;
        }
        if (o.midi_map && nr_midi_map_load(o.midi_map, &map) != NR_OK) goto fail;
        if (o.no_note_pitch) map.note_pitch = 0;
        if (nr_midi_start(&map, &client, &midi) != NR_OK) goto fail;
    }

    if (file_out) {
        tm.ready_ms = now_ms() - t_start;
        pcr.t0_ms = now_ms(); /* used when paced: the clock starts with the first block */
        if (nr_file_sink_run(file_out, rate, block, duration, &client, nr_cli_interrupt_flag()) != NR_OK) goto fail;
    } else {
        int use_panel = !o.headless && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
        if (use_panel) {
            int k = snprintf(title, sizeof title, "%s  %d Hz  %d-frame blocks", nr_backend_name(backend), rate, block);
            if (osc && k > 0 && k < (int)sizeof title)
                snprintf(title + k, sizeof title - (size_t)k, "  OSC :%d", nr_osc_port(osc));
            nr_panel_config pc = {.title = title, .screenshot = o.shot, .notice = nr_instrument_notice(inst)};
            if (nr_panel_open(&pc, &panel) != NR_OK) goto fail;
        }
        nr_panel_source psrc = nr_panel_source_instrument(inst);
        if (!use_panel) {
            fprintf(stderr, "neurorack play: %s, %d Hz, %d-frame blocks", nr_backend_name(backend), rate, block);
            if (osc) fprintf(stderr, ", OSC on UDP %s port %d", nr_osc_address(osc), nr_osc_port(osc));
            if (midi) fprintf(stderr, ", MIDI in at %d:%d", nr_midi_client_id(midi), nr_midi_port_id(midi));
            fprintf(stderr, duration >= 0 ? "; %.1f s\n" : "; Ctrl-C stops\n", duration);
        }
        if (nr_backend_start(backend, &client) != NR_OK) goto fail;
        /* Ready once the backend has rendered its first block. */
        for (int i = 0; i < 2000 && nr_live_samples(&live) == 0 && !nr_backend_failed(backend); i++) usleep(500);
        tm.ready_ms = now_ms() - t_start;
        const int64_t end = duration >= 0 ? (int64_t)(duration * rate) : INT64_MAX;
        while (!nr_cli_interrupted() && nr_live_samples(&live) < end && !nr_instrument_quit_requested(inst)) {
            if (nr_backend_failed(backend)) {
                nr_fail(NR_ERR_DEVICE, "%s stopped (server or device gone)", nr_backend_name(backend));
                fail_title = "AUDIO STOPPED";
                goto fail;
            }
            client.poll(client.ctx);
            if (!panel) print_notice(inst, notice, sizeof notice);
            if (panel) {
                if (!nr_panel_step(panel, &psrc, &client, POLL_MS)) break;
            } else {
                usleep(POLL_MS * 1000);
            }
        }
        nr_panel_close(panel);
        panel = NULL;
    }

    /* Stop the audio thread before reading the measurements. */
    uint32_t xruns = backend ? nr_backend_xruns(backend) : 0;
    char bname[128];
    snprintf(bname, sizeof bname, "%s", backend ? nr_backend_name(backend) : o.audio);
    float latency = backend ? nr_backend_latency_ms(backend) : 0.0f;
    nr_backend_close(backend);
    backend = NULL;
    uint8_t fb[NR_OLED_W * NR_OLED_H / 8];
    nr_instrument_poll(inst);
    nr_instrument_frame(inst, fb);
    if (hw) { /* the last frame, then what ended */
        nr_hw_stop(hw);
        nr_hw_display_frame(hw, fb);
    }
    if (o.shot && nr_png_write_oled(o.shot, fb, 4) != NR_OK) goto fail;
    if (o.report) {
        nr_live_stats ls;
        nr_instrument_status is;
        nr_live_stats_get(&live, &ls);
        nr_instrument_status_get(inst, &is);
        print_report(stdout, bname, rate, block, latency, &tm, &ls, xruns, &is);
    }
    if (hw) nr_hw_show_message(hw, "STOPPED", nr_cli_interrupted() ? "STOPPED BY A SIGNAL." : "THE PLAY RAN TO ITS END.");
    code = 0;
    goto out;
fail:
    nr_panel_close(panel);
    panel = NULL;
    if (file_out && nr_cli_interrupted()) { /* an interrupted file render: nothing was committed */
        fprintf(stderr, "neurorack play: interrupted by %s; %s left as it was\n",
                nr_cli_interrupted() == SIGTERM ? "SIGTERM" : "SIGINT", file_out);
        code = 128 + nr_cli_interrupted();
        goto out;
    }
    if (hw) nr_hw_fail(hw, fail_title, nr_last_error()[0] ? nr_last_error() : "failed");
    else fprintf(stderr, "neurorack play: %s\n", nr_last_error()[0] ? nr_last_error() : "failed");
out:
    nr_panel_close(panel);
    nr_midi_stop(midi);
    nr_osc_stop(osc);
    nr_backend_close(backend);
    nr_hw_close(hw); /* before the instrument: its threads read the instrument's frames */
    nr_instrument_free(inst);
    nr_script_free(&script);
    return code;
}
