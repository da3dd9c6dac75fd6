/* neurorack~: the synth (nr/synth.h) as a Pure Data external, another host of the same nr_synth.
 *
 * Inlets: 6 signals (gate 1, gate 2, CV 1..4, volts; a gate is high above 0.5 V), the first also taking
 * messages. Outlet: the mono signal. Messages (docs/plugins.md):
 *   gate N 0|1            cv N VOLTS            note NUMBER VELOCITY (MIDI-style, gate 1; velocity 0 = off)
 *   cv N TARGET [RANGE]   assign CV N (brightness, interp, pitch_voct, ...; range in target units per 5 V)
 *   template A|B NAME     interp F   stretch F   variation F   offset DESCRIPTOR F   volume DB
 *   voices N              mode N retrigger|choke|poly   pitch 0|1 (notes move the pitch)   model PATH
 *   source template|latent   latent PATH (the latent curve model; default: X.latent.safetensors beside
 *                            the model X.safetensors)
 * Pd runs messages and DSP on one thread, so a message changes the patch between two blocks; a model is
 * loaded in the message (blocking, like soundfiler) and swapped in at the next block; its predecessor
 * is freed by a clock shortly after. In source latent a clock decodes the point of the latent1..4 CVs
 * every NR_PD_LATENT_MS, between DSP ticks (Pd's scheduler, never inside perform()). perform() allocates
 * and locks nothing. */
#include "control/midi.h"
#include "neurorack.h"

#include <m_pd.h>

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define NR_PD_SIGNALS (NR_NUM_GATES + NR_NUM_CV)
#define NR_PD_MAX_BLOCK 4096
#define NR_PD_MAX_EVENTS 512
#define NR_PD_GATE_THRESHOLD 0.5f
#define NR_PD_CV_EVENT_FRAMES 32 /* as the LV2 plugin: the synth glides CVs over 1 ms anyway */
#define NR_PD_COLLECT_MS 100.0
#define NR_PD_LATENT_MS 5.0 /* decodes of the latent point in source latent (the module polls as often) */
#define NR_PD_DEFAULT_MODEL "default.safetensors"

static t_class *nr_pd_class;

typedef struct {
    t_object obj;
    t_float f; /* the main signal inlet's scalar */
    nr_synth *synth;
    int rate;
    t_clock *collect;
    char model_path[1024];  /* the model playing (the default until a `model` message) */
    char latent_path[1024]; /* the latent model of a `latent` message ("": the one beside the model) */
    nr_patch patch;
    nr_cv_cal cal[NR_NUM_CV];
    nr_midi_map midi;
    nr_midi_notes notes;
    t_sample *in[NR_PD_SIGNALS], *out;
    float sig_last[NR_PD_SIGNALS];
    int64_t sig_at[NR_PD_SIGNALS];
    int64_t frame;
    nr_synth_event ev[NR_PD_MAX_EVENTS];
    int nev, ev_next;
} nr_pd;

static int latent_active(const nr_pd *x)
{
    return x->synth && nr_synth_latent(x->synth) && x->patch.source == NR_SOURCE_LATENT;
}

static int load_latent(nr_pd *x, const char *path)
{
    nr_latent *lm;
    nr_result r = nr_latent_open(path, &lm);
    if (r == NR_OK) r = nr_synth_set_latent(x->synth, lm); /* takes it over, even on failure */
    if (r != NR_OK) pd_error(x, "neurorack~: latent model left out: %s", nr_last_error());
    return r == NR_OK;
}

/* The latent model of a `latent` message, else the one beside the model at `model_path` (if any). */
static void load_latent_for(nr_pd *x, const char *model_path)
{
    char beside[1024];
    if (x->latent_path[0]) load_latent(x, x->latent_path);
    else if (nr_latent_beside(model_path, beside, sizeof beside)) load_latent(x, beside);
}

static nr_result make_synth(nr_pd *x, const char *path, int rate)
{
    nr_synth_config sc = nr_synth_config_init();
    sc.device_rate = rate;
    sc.max_block = NR_PD_MAX_BLOCK;
    sc.cpu_guard = 0; /* Pd renders offline as often as live (-batch, fast-forward): never shed a voice */
    sc.seed = 1;
    nr_result r = nr_model_load(path, &sc.model);
    if (r == NR_OK) r = nr_synth_init(&sc, &x->synth);
    if (r == NR_OK) {
        x->rate = rate;
        nr_synth_set_patch(x->synth, &x->patch, x->cal);
        load_latent_for(x, path);
        if (latent_active(x)) clock_delay(x->collect, 0);
    }
    return r;
}

static void publish(nr_pd *x)
{
    nr_patch_clamp(&x->patch);
    if (x->synth) nr_synth_set_patch(x->synth, &x->patch, x->cal);
}

static void push(nr_pd *x, int type, int index, float value, int64_t time)
{
    if (x->nev < NR_PD_MAX_EVENTS) x->ev[x->nev++] = (nr_synth_event){type, index, value, time};
}

static int next_event(void *ctx, nr_synth_event *ev)
{
    nr_pd *x = ctx;
    if (x->ev_next >= x->nev) return 0;
    *ev = x->ev[x->ev_next++];
    return 1;
}

static int index_arg(nr_pd *x, const char *what, t_float f, int max)
{
    int i = (int)f;
    if (i < 1 || i > max || (t_float)i != f) {
        pd_error(x, "neurorack~: %s %g: expected 1..%d", what, (double)f, max);
        return -1;
    }
    return i - 1;
}

/* ---- messages ---- */

static void m_gate(nr_pd *x, t_floatarg n, t_floatarg v)
{
    int g = index_arg(x, "gate", n, NR_NUM_GATES);
    if (g >= 0) push(x, NR_SYNTH_GATE, g, v > 0.5f ? 1.0f : 0.0f, x->frame);
}

static void m_cv(nr_pd *x, t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    if (argc < 2 || argv[0].a_type != A_FLOAT) {
        pd_error(x, "neurorack~: expected 'cv N VOLTS' or 'cv N TARGET [RANGE]'");
        return;
    }
    int i = index_arg(x, "cv", atom_getfloat(&argv[0]), NR_NUM_CV);
    if (i < 0) return;
    if (argv[1].a_type == A_FLOAT) {
        push(x, NR_SYNTH_CV, i, atom_getfloat(&argv[1]), x->frame);
        return;
    }
    int t = nr_cv_target_from_name(atom_getsymbol(&argv[1])->s_name);
    if (t < 0) {
        pd_error(x, "neurorack~: cv %d: unknown target '%s'", i + 1, atom_getsymbol(&argv[1])->s_name);
        return;
    }
    nr_cv_assign_target(&x->patch.cv[i], t);
    if (argc > 2 && argv[2].a_type == A_FLOAT) x->patch.cv[i].range = atom_getfloat(&argv[2]);
    publish(x);
}

static void m_note(nr_pd *x, t_floatarg num, t_floatarg vel)
{
    nr_control_event ev[NR_MIDI_MAX_EVENTS];
    int n = nr_midi_translate(&x->midi, &x->notes, 0x90, (int)num, (int)vel, ev);
    if (!n && (num < 0 || num > 127 || vel < 0 || vel > 127)) pd_error(x, "neurorack~: note %g %g: expected 0..127", num, vel);
    for (int k = 0; k < n; k++) push(x, (int)ev[k].type, ev[k].index, ev[k].value, x->frame);
}

static void m_pitch(nr_pd *x, t_floatarg on) { x->midi.note_pitch = on != 0; }

static void m_template(nr_pd *x, t_symbol *which, t_symbol *name)
{
    char *dst = !strcmp(which->s_name, "A") || !strcmp(which->s_name, "a") ? x->patch.template_a
                : !strcmp(which->s_name, "B") || !strcmp(which->s_name, "b") ? x->patch.template_b : NULL;
    if (!dst) {
        pd_error(x, "neurorack~: expected 'template A NAME' or 'template B NAME'");
        return;
    }
    int found = !strcmp(name->s_name, "default");
    for (int i = 0; x->synth && !found && i < nr_synth_template_count(x->synth); i++)
        found = !strcmp(nr_synth_template_name(x->synth, i), name->s_name);
    if (!found) {
        pd_error(x, "neurorack~: the model has no template '%s'", name->s_name);
        return;
    }
    snprintf(dst, NR_NAME_MAX, "%s", strcmp(name->s_name, "default") ? name->s_name : "");
    publish(x);
}

static void m_interp(nr_pd *x, t_floatarg f) { x->patch.interp = f, publish(x); }
static void m_stretch(nr_pd *x, t_floatarg f) { x->patch.stretch = f, publish(x); }
static void m_variation(nr_pd *x, t_floatarg f) { x->patch.variation = f, publish(x); }
static void m_volume(nr_pd *x, t_floatarg f) { x->patch.volume_db = f, publish(x); }
static void m_voices(nr_pd *x, t_floatarg f) { x->patch.voices = (int)f, publish(x); }

static void m_offset(nr_pd *x, t_symbol *name, t_floatarg f)
{
    int t = nr_cv_target_from_name(name->s_name) - NR_CVT_DESC0;
    if (t < 0 || t >= NR_NUM_DESC) {
        pd_error(x, "neurorack~: offset: unknown descriptor '%s'", name->s_name);
        return;
    }
    x->patch.offset[t] = f;
    publish(x);
}

static void m_mode(nr_pd *x, t_floatarg n, t_symbol *mode)
{
    int g = index_arg(x, "mode", n, NR_NUM_GATES), m = nr_gate_mode_from_name(mode->s_name);
    if (g < 0) return;
    if (m < 0) {
        pd_error(x, "neurorack~: mode '%s': expected retrigger, choke or poly", mode->s_name);
        return;
    }
    x->patch.gate_mode[g] = m;
    publish(x);
}

static void collect_tick(nr_pd *x)
{
    if (!x->synth) return;
    nr_synth_collect(x->synth);
    if (latent_active(x)) clock_delay(x->collect, NR_PD_LATENT_MS);
    else if (nr_synth_swap_pending(x->synth)) clock_delay(x->collect, NR_PD_COLLECT_MS);
}

static void m_source(nr_pd *x, t_symbol *name)
{
    int v = nr_source_from_name(name->s_name);
    if (v < 0) {
        pd_error(x, "neurorack~: source '%s': expected template or latent", name->s_name);
        return;
    }
    if (v == NR_SOURCE_LATENT && x->synth && !nr_synth_latent(x->synth))
        pd_error(x, "neurorack~: source latent: no latent model (send 'latent PATH'); gate 1 plays template A");
    x->patch.source = v;
    publish(x);
    if (latent_active(x)) clock_delay(x->collect, 0);
}

static void m_latent(nr_pd *x, t_symbol *path)
{
    if (!x->synth) return;
    if (!load_latent(x, path->s_name)) return;
    snprintf(x->latent_path, sizeof x->latent_path, "%s", path->s_name);
    if (latent_active(x)) clock_delay(x->collect, 0);
}

static void m_model(nr_pd *x, t_symbol *path)
{
    if (!x->synth) return;
    nr_synth_collect(x->synth);
    nr_model *m = NULL;
    if (nr_model_load(path->s_name, &m) != NR_OK || nr_synth_model_stage(x->synth, m) != NR_OK) {
        pd_error(x, "neurorack~: %s", nr_last_error());
        return;
    }
    nr_synth_model_commit(x->synth);
    snprintf(x->model_path, sizeof x->model_path, "%s", path->s_name);
    load_latent_for(x, x->model_path);
    clock_delay(x->collect, latent_active(x) ? 0 : NR_PD_COLLECT_MS);
}

/* ---- DSP ---- */

static t_int *perform(t_int *w)
{
    nr_pd *x = (nr_pd *)w[1];
    int n = (int)w[2];
    /* inputs first: Pd may hand the output the same memory as an input */
    for (int s = 0; s < NR_PD_SIGNALS; s++) {
        const t_sample *v = x->in[s];
        int gate = s < NR_NUM_GATES;
        for (int k = 0; k < n; k++) {
            float y = (float)v[k];
            if (gate) {
                float high = y > NR_PD_GATE_THRESHOLD ? 1.0f : 0.0f;
                if (high != x->sig_last[s]) push(x, NR_SYNTH_GATE, s, high, x->frame + k), x->sig_last[s] = high;
            } else if (y != x->sig_last[s] && x->frame + k - x->sig_at[s] >= NR_PD_CV_EVENT_FRAMES) {
                push(x, NR_SYNTH_CV, s - NR_NUM_GATES, y, x->frame + k);
                x->sig_last[s] = y;
                x->sig_at[s] = x->frame + k;
            }
        }
    }
    float *out = (float *)x->out; /* t_sample is float in the Debian build (PD_FLOATSIZE 32) */
    if (x->synth) {
        nr_synth_events src = {x, next_event};
        nr_synth_process(x->synth, &src, out, n);
    } else {
        memset(out, 0, (size_t)n * sizeof *out);
    }
    x->nev = x->ev_next = 0; /* what the synth could not hold is dropped */
    x->frame += n;
    return w + 3;
}

static void dsp(nr_pd *x, t_signal **sp)
{
    int rate = (int)lround(sp[0]->s_sr);
    if (x->synth && rate != x->rate) { /* a new rate: a new synth (allowed here, not in perform) */
        nr_synth_uninit(x->synth);
        x->synth = NULL;
        if (make_synth(x, x->model_path, rate) != NR_OK) pd_error(x, "neurorack~: %s", nr_last_error());
    }
    for (int s = 0; s < NR_PD_SIGNALS; s++) x->in[s] = sp[s]->s_vec;
    x->out = sp[NR_PD_SIGNALS]->s_vec;
    dsp_add(perform, 2, (t_int)x, (t_int)sp[0]->s_n);
}

static void *nr_pd_new(void)
{
    nr_pd *x = (nr_pd *)pd_new(nr_pd_class);
    for (int s = 1; s < NR_PD_SIGNALS; s++) inlet_new(&x->obj, &x->obj.ob_pd, &s_signal, &s_signal);
    outlet_new(&x->obj, &s_signal);
    x->collect = clock_new(x, (t_method)collect_tick);
    nr_patch_defaults(&x->patch);
    for (int i = 0; i < NR_NUM_CV; i++) nr_cv_cal_defaults(&x->cal[i]);
    x->midi = nr_midi_map_default();
    for (int s = 0; s < NR_PD_SIGNALS; s++) x->sig_at[s] = -NR_PD_CV_EVENT_FRAMES; /* a first change goes at once */
    const char *env = getenv("NEURORACK_MODEL");
    if (env && *env) snprintf(x->model_path, sizeof x->model_path, "%s", env);
    else snprintf(x->model_path, sizeof x->model_path, "%s/%s", class_gethelpdir(nr_pd_class), NR_PD_DEFAULT_MODEL);
    int rate = (int)lround(sys_getsr());
    if (make_synth(x, x->model_path, rate > 0 ? rate : 48000) != NR_OK)
        pd_error(x, "neurorack~: %s (the object stays silent)", nr_last_error());
    return x;
}

static void nr_pd_free(nr_pd *x)
{
    clock_free(x->collect);
    nr_synth_uninit(x->synth);
}

void neurorack_tilde_setup(void)
{
    nr_pd_class = class_new(gensym("neurorack~"), (t_newmethod)nr_pd_new, (t_method)nr_pd_free, sizeof(nr_pd),
                            CLASS_DEFAULT, 0);
    /* CLASS_MAINSIGNALIN's expansion subtracts a null pointer (clang warns): the same call with offsetof */
    class_domainsignalin(nr_pd_class, (int)offsetof(nr_pd, f));
    class_addmethod(nr_pd_class, (t_method)dsp, gensym("dsp"), A_CANT, 0);
    class_addmethod(nr_pd_class, (t_method)m_gate, gensym("gate"), A_FLOAT, A_FLOAT, 0);
    class_addmethod(nr_pd_class, (t_method)m_cv, gensym("cv"), A_GIMME, 0);
    class_addmethod(nr_pd_class, (t_method)m_note, gensym("note"), A_FLOAT, A_FLOAT, 0);
    class_addmethod(nr_pd_class, (t_method)m_pitch, gensym("pitch"), A_FLOAT, 0);
    class_addmethod(nr_pd_class, (t_method)m_template, gensym("template"), A_SYMBOL, A_SYMBOL, 0);
    class_addmethod(nr_pd_class, (t_method)m_interp, gensym("interp"), A_FLOAT, 0);
    class_addmethod(nr_pd_class, (t_method)m_stretch, gensym("stretch"), A_FLOAT, 0);
    class_addmethod(nr_pd_class, (t_method)m_variation, gensym("variation"), A_FLOAT, 0);
    class_addmethod(nr_pd_class, (t_method)m_volume, gensym("volume"), A_FLOAT, 0);
    class_addmethod(nr_pd_class, (t_method)m_voices, gensym("voices"), A_FLOAT, 0);
    class_addmethod(nr_pd_class, (t_method)m_offset, gensym("offset"), A_SYMBOL, A_FLOAT, 0);
    class_addmethod(nr_pd_class, (t_method)m_mode, gensym("mode"), A_FLOAT, A_SYMBOL, 0);
    class_addmethod(nr_pd_class, (t_method)m_model, gensym("model"), A_SYMBOL, 0);
    class_addmethod(nr_pd_class, (t_method)m_source, gensym("source"), A_SYMBOL, 0);
    class_addmethod(nr_pd_class, (t_method)m_latent, gensym("latent"), A_SYMBOL, 0);
}
