/* Notes of a SoundFont rendered through libfluidsynth (the plucks and textures families): one note at
 * a time on a dry synthesizer (no reverb, no chorus), mixed to mono, note-off after a hold time, then
 * rendered on until the release has died away. Without libfluidsynth at build time every call fails
 * with NR_ERR_UNSUPPORTED, naming the missing package. */
#include "ds_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef NR_HAVE_FLUIDSYNTH
#include <fluidsynth.h>

#define FLUID_BLOCK 512          /* frames per fluid_synth_write_float call */
#define FLUID_SILENCE_S 0.10     /* this long below the silence threshold after note-off ends the render */
#define FLUID_CHANNEL 0
#define FLUID_POLYPHONY 64       /* one note, but a preset may layer several voices per key */

struct ds_fluid {
    fluid_settings_t *settings;
    fluid_synth_t *synth;
    int sfont;
    int rate;
    char path[512];
    float *left, *right; /* (FLUID_BLOCK) */
};

nr_result ds_fluid_open(const char *sf_path, int rate, ds_fluid **out)
{
    *out = NULL;
    /* libfluidsynth prints warnings and errors itself; the builder reports failures its own way */
    fluid_set_log_function(FLUID_WARN, NULL, NULL);
    fluid_set_log_function(FLUID_INFO, NULL, NULL);
    fluid_set_log_function(FLUID_DBG, NULL, NULL);
    fluid_set_log_function(FLUID_ERR, NULL, NULL);
    ds_fluid *f = calloc(1, sizeof *f);
    if (!f) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", sf_path);
    snprintf(f->path, sizeof f->path, "%s", sf_path);
    f->rate = rate;
    f->sfont = -1;
    f->left = malloc(FLUID_BLOCK * sizeof *f->left);
    f->right = malloc(FLUID_BLOCK * sizeof *f->right);
    f->settings = new_fluid_settings();
    if (!f->left || !f->right || !f->settings) {
        ds_fluid_close(f);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory for the synthesizer", sf_path);
    }
    fluid_settings_setnum(f->settings, "synth.sample-rate", (double)rate);
    fluid_settings_setint(f->settings, "synth.reverb.active", 0);
    fluid_settings_setint(f->settings, "synth.chorus.active", 0);
    fluid_settings_setint(f->settings, "synth.polyphony", FLUID_POLYPHONY);
    fluid_settings_setint(f->settings, "synth.cpu-cores", 1);
    fluid_settings_setnum(f->settings, "synth.gain", 0.5);
    f->synth = new_fluid_synth(f->settings);
    if (!f->synth) {
        ds_fluid_close(f);
        return nr_fail(NR_ERR_NOMEM, "%s: cannot create a libfluidsynth synthesizer", sf_path);
    }
    f->sfont = fluid_synth_sfload(f->synth, sf_path, 0);
    if (f->sfont == FLUID_FAILED) {
        ds_fluid_close(f);
        return nr_fail(NR_ERR_FORMAT, "%s: libfluidsynth cannot load this SoundFont (missing or damaged)", sf_path);
    }
    *out = f;
    return NR_OK;
}

void ds_fluid_close(ds_fluid *f)
{
    if (!f) return;
    if (f->synth) delete_fluid_synth(f->synth);
    if (f->settings) delete_fluid_settings(f->settings);
    free(f->left);
    free(f->right);
    free(f);
}

int ds_fluid_has_preset(ds_fluid *f, int bank, int program)
{
    fluid_sfont_t *sf = fluid_synth_get_sfont_by_id(f->synth, f->sfont);
    return sf && fluid_sfont_get_preset(sf, bank, program) != NULL;
}

nr_result ds_fluid_render(ds_fluid *f, const ds_fluid_note *note, nr_audio *out)
{
    memset(out, 0, sizeof *out);
    if (note->key < 0 || note->key > 127 || note->velocity < 1 || note->velocity > 127 || !(note->hold_s > 0.0) ||
        !(note->max_s >= note->hold_s))
        return nr_fail(NR_ERR_ARG, "%s: bad note (key %d, velocity %d, hold %g s, max %g s)", f->path, note->key,
                       note->velocity, note->hold_s, note->max_s);
    if (!ds_fluid_has_preset(f, note->bank, note->program))
        return nr_fail(NR_ERR_VALUE, "%s: no preset %d:%d", f->path, note->bank, note->program);
    long cap = (long)(note->max_s * f->rate), hold = (long)(note->hold_s * f->rate);
    float *x = malloc((size_t)cap * sizeof *x);
    if (!x) return nr_fail(NR_ERR_NOMEM, "%s: out of memory for a %g s render", f->path, note->max_s);
    /* a clean state for every note: no voice, controllers and pitch bend at their defaults */
    fluid_synth_system_reset(f->synth);
    if (fluid_synth_program_select(f->synth, FLUID_CHANNEL, f->sfont, note->bank, note->program) != FLUID_OK) {
        free(x);
        return nr_fail(NR_ERR_VALUE, "%s: cannot select preset %d:%d", f->path, note->bank, note->program);
    }
    fluid_synth_noteon(f->synth, FLUID_CHANNEL, note->key, note->velocity);
    double peak = 0.0, thr = pow(10.0, note->silence_db / 20.0);
    long n = 0, quiet = 0, quiet_need = (long)(FLUID_SILENCE_S * f->rate);
    int on = 1;
    while (n < cap) {
        if (on && n >= hold) {
            fluid_synth_noteoff(f->synth, FLUID_CHANNEL, note->key);
            on = 0;
        }
        long m = cap - n < FLUID_BLOCK ? cap - n : FLUID_BLOCK;
        if (on && hold - n < m) m = hold - n; /* note-off falls on a block boundary */
        memset(f->left, 0, FLUID_BLOCK * sizeof *f->left);
        memset(f->right, 0, FLUID_BLOCK * sizeof *f->right);
        if (fluid_synth_write_float(f->synth, (int)m, f->left, 0, 1, f->right, 0, 1) != FLUID_OK) {
            free(x);
            return nr_fail(NR_ERR_IO, "%s: libfluidsynth failed to render", f->path);
        }
        double s = 0.0;
        for (long i = 0; i < m; i++) {
            float v = 0.5f * (f->left[i] + f->right[i]);
            x[n + i] = v;
            s += (double)v * v;
            if (fabs(v) > peak) peak = fabs(v);
        }
        n += m;
        /* after note-off: stop once the sound has stayed below the threshold (relative to the loudest
         * sample so far) for FLUID_SILENCE_S; voices that end on their own (a pluck) stop earlier */
        if (!on) {
            double rms = sqrt(s / (double)m);
            quiet = rms < peak * thr ? quiet + m : 0;
            if (quiet >= quiet_need || fluid_synth_get_active_voice_count(f->synth) == 0) break;
        }
    }
    fluid_synth_all_sounds_off(f->synth, -1);
    out->samples = x;
    out->n = n;
    out->rate = f->rate;
    return NR_OK;
}

#else /* no libfluidsynth */

struct ds_fluid {
    int unused;
};

nr_result ds_fluid_open(const char *sf_path, int rate, ds_fluid **out)
{
    (void)rate;
    *out = NULL;
    return nr_fail(NR_ERR_UNSUPPORTED, "%s: built without libfluidsynth (install libfluidsynth-dev, rebuild)",
                   sf_path);
}

void ds_fluid_close(ds_fluid *f) { (void)f; }

int ds_fluid_has_preset(ds_fluid *f, int bank, int program)
{
    (void)f, (void)bank, (void)program;
    return 0;
}

nr_result ds_fluid_render(ds_fluid *f, const ds_fluid_note *note, nr_audio *out)
{
    (void)f, (void)note;
    memset(out, 0, sizeof *out);
    return nr_fail(NR_ERR_UNSUPPORTED, "built without libfluidsynth (install libfluidsynth-dev, rebuild)");
}

#endif
