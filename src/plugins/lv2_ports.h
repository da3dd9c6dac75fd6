/* neurorack.lv2: URIs and the port table, shared by the plugin (lv2.c) and the program that writes its
 * Turtle files (lv2_ttl.c), so the two never disagree on an index, a range or a default. */
#ifndef NR_LV2_PORTS_H
#define NR_LV2_PORTS_H

#include "nr/patch.h"

#include <stdint.h>
#include <stdio.h>

#define NR_LV2_URI "urn:neurorack:lv2:synth"
/* The same synth without the CV and gate ports, for hosts that refuse a plugin with lv2:CVPort inputs
 * (Ardour before 8.7 lists no such plugin, even with the ports lv2:connectionOptional). Its ports are the
 * full plugin's less NR_LV2_CV0 .. NR_LV2_NOTE_PITCH - 1; nr_lv2_midi_port() maps its indices. */
#define NR_LV2_MIDI_URI "urn:neurorack:lv2:synth-midi"
#define NR_LV2_PREFIX "urn:neurorack:lv2:"
#define NR_LV2_MODEL_URI NR_LV2_PREFIX "model" /* state key and patch:writable parameter (atom:Path) */
#define NR_LV2_PATCH_URI NR_LV2_PREFIX "patch" /* state key: the whole patch as a settings file (atom:String) */
#define NR_LV2_BINARY "neurorack.so"
#define NR_LV2_DEFAULT_MODEL "default.safetensors" /* copied into the bundle by make */

enum {
    NR_LV2_CONTROL = 0, /* atom in: MIDI, patch:Set/Get of the model */
    NR_LV2_NOTIFY,      /* atom out: patch:Set of the model after a load or a patch:Get */
    NR_LV2_OUT,         /* audio out, mono */
    NR_LV2_LATENCY,     /* control out: frames */
    NR_LV2_FREEWHEEL,   /* control in (lv2:freeWheeling): 1 = offline export, CPU guard off */
    NR_LV2_CV0,         /* 4 CV inputs, volts */
    NR_LV2_GATE0 = NR_LV2_CV0 + NR_NUM_CV, /* 2 gate inputs, volts (high above 0.5 V) */
    NR_LV2_NOTE_PITCH = NR_LV2_GATE0 + NR_NUM_GATES, /* first patch control */
    NR_LV2_TEMPLATE_A,
    NR_LV2_TEMPLATE_B,
    NR_LV2_INTERP,
    NR_LV2_STRETCH,
    NR_LV2_VARIATION,
    NR_LV2_OFFSET0,
    NR_LV2_CV_TARGET0 = NR_LV2_OFFSET0 + NR_NUM_DESC,
    NR_LV2_VOICES = NR_LV2_CV_TARGET0 + NR_NUM_CV,
    NR_LV2_VOLUME,
    NR_LV2_SOURCE, /* the patch's curve source: template or latent (after the others: older sessions keep
                      their port indices) */
    NR_LV2_PORT_COUNT
};

/* How many ports the MIDI-only plugin leaves out (the CV and gate inputs). */
#define NR_LV2_MIDI_SKIPPED (NR_LV2_NOTE_PITCH - NR_LV2_CV0)

/* The full plugin's index of the MIDI-only plugin's port `port`, and back. */
static inline uint32_t nr_lv2_midi_port(uint32_t port)
{
    return port < NR_LV2_CV0 ? port : port + NR_LV2_MIDI_SKIPPED;
}
static inline int nr_lv2_midi_index(int full) { return full < NR_LV2_CV0 ? full : full - NR_LV2_MIDI_SKIPPED; }

/* A gate input is high above this (the synth's own gate rule). */
#define NR_LV2_GATE_THRESHOLD 0.5f
/* How many templates the template ports enumerate (index 0: the model's default). */
#define NR_LV2_MAX_TEMPLATES 64

typedef enum { NR_LV2_KIND_FLOAT = 0, NR_LV2_KIND_INT, NR_LV2_KIND_TOGGLE, NR_LV2_KIND_ENUM } nr_lv2_kind;

/* One control input of the patch: its range and default (from nr_patch_defaults). */
typedef struct {
    int index;
    const char *symbol, *name;
    float lo, hi, def;
    int kind; /* nr_lv2_kind */
} nr_lv2_control;

/* The control inputs from NR_LV2_NOTE_PITCH to NR_LV2_SOURCE, in port order; n_templates: how many the
 * template ports enumerate (their maximum). Returns the count. */
static inline int nr_lv2_controls(nr_lv2_control c[NR_LV2_PORT_COUNT], int n_templates)
{
    static const char *const desc_sym[NR_NUM_DESC] = {"loudness", "percussivity", "tonelike", "noisiness",
                                                      "richness", "brightness", "pitch"};
    static char sym[NR_NUM_DESC + NR_NUM_CV][2][40];
    nr_patch p;
    nr_patch_defaults(&p);
    int n = 0;
    c[n++] = (nr_lv2_control){NR_LV2_NOTE_PITCH, "note_pitch", "MIDI note pitch", 0, 1, 1, NR_LV2_KIND_TOGGLE};
    c[n++] = (nr_lv2_control){NR_LV2_TEMPLATE_A, "template_a", "Template A", 0, (float)n_templates, 0,
                              NR_LV2_KIND_ENUM};
    c[n++] = (nr_lv2_control){NR_LV2_TEMPLATE_B, "template_b", "Template B", 0, (float)n_templates, 0,
                              NR_LV2_KIND_ENUM};
    c[n++] = (nr_lv2_control){NR_LV2_INTERP, "interp", "A/B interpolation", 0, 1, p.interp, NR_LV2_KIND_FLOAT};
    c[n++] = (nr_lv2_control){NR_LV2_STRETCH, "stretch", "Time stretch (octaves)", -2, 2, p.stretch,
                              NR_LV2_KIND_FLOAT};
    c[n++] = (nr_lv2_control){NR_LV2_VARIATION, "variation", "Variation", 0, 1, p.variation, NR_LV2_KIND_FLOAT};
    for (int d = 0; d < NR_NUM_DESC; d++) {
        snprintf(sym[d][0], sizeof sym[d][0], "offset_%s", desc_sym[d]);
        snprintf(sym[d][1], sizeof sym[d][1], "Offset %s (std)", desc_sym[d]);
        c[n++] = (nr_lv2_control){NR_LV2_OFFSET0 + d, sym[d][0], sym[d][1], -3, 3, p.offset[d], NR_LV2_KIND_FLOAT};
    }
    for (int i = 0; i < NR_NUM_CV; i++) {
        snprintf(sym[NR_NUM_DESC + i][0], sizeof sym[0][0], "cv%d_target", i + 1);
        snprintf(sym[NR_NUM_DESC + i][1], sizeof sym[0][1], "CV %d target", i + 1);
        c[n++] = (nr_lv2_control){NR_LV2_CV_TARGET0 + i, sym[NR_NUM_DESC + i][0], sym[NR_NUM_DESC + i][1], 0,
                                  NR_CVT_COUNT - 1, (float)p.cv[i].target, NR_LV2_KIND_ENUM};
    }
    c[n++] = (nr_lv2_control){NR_LV2_VOICES, "voices", "Voices", 1, NR_MAX_VOICES, (float)p.voices, NR_LV2_KIND_INT};
    c[n++] = (nr_lv2_control){NR_LV2_VOLUME, "volume", "Volume (dB)", -60, 6, p.volume_db, NR_LV2_KIND_FLOAT};
    c[n++] = (nr_lv2_control){NR_LV2_SOURCE, "source", "Curve source", 0, NR_SOURCE_COUNT - 1, (float)p.source,
                              NR_LV2_KIND_ENUM};
    return n;
}

#endif
