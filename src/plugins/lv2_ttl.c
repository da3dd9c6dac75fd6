/* Writes the Turtle files of neurorack.lv2 (manifest.ttl, neurorack.ttl, presets.ttl) from the port table
 * (lv2_ports.h) and the default model's templates, so the bundle always matches the plugin it ships.
 * Usage: lv2-ttl MODEL BUNDLE_DIR   (run by make) */
#include "neurorack.h"
#include "plugins/lv2_ports.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const PREFIXES =
    "@prefix atom:  <http://lv2plug.in/ns/ext/atom#> .\n"
    "@prefix bufsz: <http://lv2plug.in/ns/ext/buf-size#> .\n"
    "@prefix doap:  <http://usefulinc.com/ns/doap#> .\n"
    "@prefix lv2:   <http://lv2plug.in/ns/lv2core#> .\n"
    "@prefix midi:  <http://lv2plug.in/ns/ext/midi#> .\n"
    "@prefix opts:  <http://lv2plug.in/ns/ext/options#> .\n"
    "@prefix patch: <http://lv2plug.in/ns/ext/patch#> .\n"
    "@prefix pprop: <http://lv2plug.in/ns/ext/port-props#> .\n"
    "@prefix pset:  <http://lv2plug.in/ns/ext/presets#> .\n"
    "@prefix rdf:   <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
    "@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .\n"
    "@prefix state: <http://lv2plug.in/ns/ext/state#> .\n"
    "@prefix units: <http://lv2plug.in/ns/extensions/units#> .\n"
    "@prefix urid:  <http://lv2plug.in/ns/ext/urid#> .\n"
    "@prefix work:  <http://lv2plug.in/ns/ext/worker#> .\n"
    "@prefix nr:    <" NR_LV2_PREFIX "> .\n\n";

/* A template name as a URI and Turtle string part: letters, digits, '-' and '_' kept, others '_'. */
static void safe_name(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; in[k] && k + 1 < n; k++) out[k] = isalnum((unsigned char)in[k]) || in[k] == '-' ? in[k] : '_';
    out[k] = '\0';
}

/* dir/name opened for writing, the prefixes written; NULL (with a message) when it cannot be. */
static FILE *open_ttl(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "lv2-ttl: cannot write %s\n", path);
        return NULL;
    }
    fputs(PREFIXES, f);
    return f;
}

static int write_manifest(const char *dir, nr_synth *s)
{
    FILE *f = open_ttl(dir, "manifest.ttl");
    if (!f) return 0;
    for (int midi_only = 0; midi_only < 2; midi_only++)
        fprintf(f, "%s<%s>\n    a lv2:Plugin , lv2:InstrumentPlugin ;\n    lv2:binary <" NR_LV2_BINARY "> ;\n"
                   "    rdfs:seeAlso <neurorack.ttl> .\n", midi_only ? "\n" : "", midi_only ? NR_LV2_MIDI_URI : NR_LV2_URI);
    int n = nr_synth_template_count(s);
    for (int i = 0; i < n && i < NR_LV2_MAX_TEMPLATES; i++) {
        char name[NR_NAME_MAX];
        safe_name(nr_synth_template_name(s, i), name, sizeof name);
        fprintf(f, "\nnr:preset-%s\n    a pset:Preset ;\n    lv2:appliesTo <" NR_LV2_URI "> , <" NR_LV2_MIDI_URI "> ;\n"
                   "    rdfs:seeAlso <presets.ttl> .\n", name);
    }
    return fclose(f) == 0;
}

static void write_port_head(FILE *f, int index, const char *cls, const char *dir, const char *sym, const char *name)
{
    fprintf(f, "    [\n        a lv2:%s , %s ;\n        lv2:index %d ;\n        lv2:symbol \"%s\" ;\n"
               "        lv2:name \"%s\" ;\n", dir, cls, index, sym, name);
}

/* One plugin's description; midi_only: the NR_LV2_MIDI_URI plugin, without the CV and gate inputs and with
 * the control ports' indices moved down (nr_lv2_midi_index). */
static void write_plugin_ports(FILE *f, nr_synth *s, int midi_only)
{
    fprintf(f, "<%s>\n    a lv2:Plugin , lv2:InstrumentPlugin ;\n    doap:name \"%s\" ;\n"
               "    doap:license <https://opensource.org/licenses/MIT> ;\n"
               "    rdfs:comment \"%s\" ;\n",
            midi_only ? NR_LV2_MIDI_URI : NR_LV2_URI, midi_only ? "Neurorack (MIDI)" : "Neurorack",
            midi_only ? "The Neurorack synth without CV and gate inputs, played by MIDI and its controls "
                        "(for hosts that refuse CV ports)."
                      : "Neural impact synthesis steered by 7 descriptor curves: the Neurorack synth.");
    fprintf(f,
               "    lv2:requiredFeature urid:map , work:schedule ;\n"
               "    lv2:optionalFeature lv2:hardRTCapable , opts:options , state:mapPath , state:freePath ;\n"
               "    opts:supportedOption bufsz:maxBlockLength , bufsz:nominalBlockLength ;\n"
               "    lv2:extensionData work:interface , state:interface ;\n"
               "    patch:writable nr:model ;\n"
               "    lv2:port\n");
    write_port_head(f, NR_LV2_CONTROL, "atom:AtomPort", "InputPort", "control", "Control");
    fprintf(f, "        atom:bufferType atom:Sequence ;\n        atom:supports midi:MidiEvent , patch:Message ;\n"
               "        lv2:designation lv2:control ;\n    ] , ");
    write_port_head(f, NR_LV2_NOTIFY, "atom:AtomPort", "OutputPort", "notify", "Notify");
    fprintf(f, "        atom:bufferType atom:Sequence ;\n        atom:supports patch:Message ;\n"
               "        lv2:designation lv2:control ;\n    ] , ");
    write_port_head(f, NR_LV2_OUT, "lv2:AudioPort", "OutputPort", "out", "Out");
    fprintf(f, "    ] , ");
    write_port_head(f, NR_LV2_LATENCY, "lv2:ControlPort", "OutputPort", "latency", "Latency");
    fprintf(f, "        lv2:designation lv2:latency ;\n        lv2:portProperty lv2:reportsLatency , lv2:integer ;\n"
               "        units:unit units:frame ;\n    ] , ");
    write_port_head(f, NR_LV2_FREEWHEEL, "lv2:ControlPort", "InputPort", "freewheel", "Freewheel");
    fprintf(f, "        lv2:designation lv2:freeWheeling ;\n        lv2:portProperty lv2:toggled , pprop:notOnGUI ;\n"
               "        lv2:default 0 ;\n        lv2:minimum 0 ;\n        lv2:maximum 1 ;\n    ] , ");
    for (int i = 0; i < (midi_only ? 0 : NR_NUM_CV + NR_NUM_GATES); i++) {
        char sym[16], name[32];
        int gate = i >= NR_NUM_CV;
        snprintf(sym, sizeof sym, gate ? "gate%d" : "cv%d", gate ? i - NR_NUM_CV + 1 : i + 1);
        snprintf(name, sizeof name, gate ? "Gate %d (V)" : "CV %d (V)", gate ? i - NR_NUM_CV + 1 : i + 1);
        write_port_head(f, NR_LV2_CV0 + i, "lv2:CVPort", "InputPort", sym, name);
        /* connectionOptional: run() reads an unconnected CV or gate as 0 V (Ardour 8.7+ then connects NULL) */
        fprintf(f, "        lv2:portProperty lv2:connectionOptional ;\n"
                   "        lv2:default 0 ;\n        lv2:minimum %s ;\n        lv2:maximum %s ;\n"
                   "    ] , ", gate ? "0" : "-5", gate ? "10" : "5");
    }
    nr_lv2_control c[NR_LV2_PORT_COUNT];
    int nt = nr_synth_template_count(s);
    if (nt > NR_LV2_MAX_TEMPLATES) nt = NR_LV2_MAX_TEMPLATES;
    int n = nr_lv2_controls(c, nt);
    for (int k = 0; k < n; k++) {
        write_port_head(f, midi_only ? nr_lv2_midi_index(c[k].index) : c[k].index, "lv2:ControlPort", "InputPort", c[k].symbol, c[k].name);
        fprintf(f, "        lv2:default %g ;\n        lv2:minimum %g ;\n        lv2:maximum %g ;\n", (double)c[k].def,
                (double)c[k].lo, (double)c[k].hi);
        if (c[k].kind == NR_LV2_KIND_TOGGLE) fprintf(f, "        lv2:portProperty lv2:toggled ;\n");
        if (c[k].kind == NR_LV2_KIND_INT) fprintf(f, "        lv2:portProperty lv2:integer ;\n");
        if (c[k].kind == NR_LV2_KIND_ENUM) {
            fprintf(f, "        lv2:portProperty lv2:integer , lv2:enumeration ;\n");
            int tpl = c[k].index == NR_LV2_TEMPLATE_A || c[k].index == NR_LV2_TEMPLATE_B;
            int src = c[k].index == NR_LV2_SOURCE;
            int count = tpl ? nt + 1 : src ? NR_SOURCE_COUNT : NR_CVT_COUNT;
            for (int v = 0; v < count; v++)
                fprintf(f, "        lv2:scalePoint [ rdfs:label \"%s\" ; rdf:value %d ] ;\n",
                        tpl   ? (v == 0 ? "default" : nr_synth_template_name(s, v - 1))
                        : src ? nr_source_name(v)
                              : nr_cv_target_name(v),
                        v);
        }
        if (c[k].index == NR_LV2_VOLUME) fprintf(f, "        units:unit units:db ;\n");
        fprintf(f, "    ]%s", k + 1 < n ? " , " : " .\n");
    }
}

static int write_plugin(const char *dir, nr_synth *s)
{
    FILE *f = open_ttl(dir, "neurorack.ttl");
    if (!f) return 0;
    fprintf(f, "nr:model\n    a lv2:Parameter ;\n    rdfs:label \"Model file\" ;\n    rdfs:range atom:Path .\n\n");
    write_plugin_ports(f, s, 0);
    fputs("\n", f);
    write_plugin_ports(f, s, 1);
    return fclose(f) == 0;
}

/* One preset per template: template A set to it, every other control at its default. */
static int write_presets(const char *dir, nr_synth *s)
{
    FILE *f = open_ttl(dir, "presets.ttl");
    if (!f) return 0;
    nr_lv2_control c[NR_LV2_PORT_COUNT];
    int nt = nr_synth_template_count(s);
    if (nt > NR_LV2_MAX_TEMPLATES) nt = NR_LV2_MAX_TEMPLATES;
    int n = nr_lv2_controls(c, nt);
    for (int i = 0; i < nt; i++) {
        char name[NR_NAME_MAX];
        safe_name(nr_synth_template_name(s, i), name, sizeof name);
        fprintf(f, "nr:preset-%s\n    a pset:Preset ;\n    lv2:appliesTo <" NR_LV2_URI "> , <" NR_LV2_MIDI_URI "> ;\n"
                   "    rdfs:label \"%s\" ;\n    lv2:port", name, name);
        for (int k = 0; k < n; k++)
            /* decimals, never integers: hosts read a preset's values as floats (lilv: xsd:decimal) */
            fprintf(f, " [\n        lv2:symbol \"%s\" ;\n        pset:value %.6f\n    ]%s", c[k].symbol,
                    c[k].index == NR_LV2_TEMPLATE_A ? (double)(i + 1) : (double)c[k].def, k + 1 < n ? " ," : " .\n\n");
    }
    return fclose(f) == 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: lv2-ttl MODEL BUNDLE_DIR\n");
        return 2;
    }
    nr_synth_config sc = nr_synth_config_init();
    nr_synth *s = NULL;
    if (nr_model_load(argv[1], &sc.model) != NR_OK || nr_synth_init(&sc, &s) != NR_OK) {
        fprintf(stderr, "lv2-ttl: %s\n", nr_last_error());
        return 1;
    }
    int ok = write_manifest(argv[2], s) && write_plugin(argv[2], s) && write_presets(argv[2], s);
    nr_synth_uninit(s);
    return ok ? 0 : 1;
}
