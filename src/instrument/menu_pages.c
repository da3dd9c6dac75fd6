/* The pages' items, built from the settings and status each time they are shown or used. */
#include "instrument/menu.h"
#include "neurorack.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { ACT_NONE = 0, ACT_SAVE_PRESET, ACT_LOAD_PRESET, ACT_CLEAR_PRESET, ACT_RELOAD_MODEL, ACT_RESCAN_MODELS, ACT_ZERO_CV0 };

static const char *const g_page_names[NR_NUM_PAGES] = {
    "Sound", "CV assign", "Gates", "Voices & out", "Calibration", "Presets", "Stats", "Latent", "System",
};
static const char *const g_short_desc[NR_NUM_DESC] = {"Loud", "Perc", "Tone", "Noise", "Rich", "Bright", "Pitch"};

const char *const nr_menu_latent_axis[NR_NUM_LATENT] = {"decay", "bright", "pitch", "noise"};

const char *nr_menu_page_name(int p) { return p >= 0 && p < NR_NUM_PAGES ? g_page_names[p] : "?"; }

static const char *polarity_name(int b) { return b ? "bipolar" : "unipolar"; }

static nr_menu_item *add(nr_menu_item *it, int *n, int kind, const char *label)
{
    nr_menu_item *x = &it[(*n)++];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    snprintf(x->label, sizeof x->label, "%s", label);
    return x;
}

static void info(nr_menu_item *it, int *n, const char *label, const char *fmt, double v)
{
    nr_menu_item *x = add(it, n, NR_ITEM_INFO, label);
    snprintf(x->value, sizeof x->value, fmt, v);
}

static void info_s(nr_menu_item *it, int *n, const char *label, const char *s)
{
    nr_menu_item *x = add(it, n, NR_ITEM_INFO, label);
    snprintf(x->value, sizeof x->value, "%s", s ? s : "");
}

static void fnum(nr_menu_item *it, int *n, const char *label, float *f, float lo, float hi, float step,
                 const char *fmt)
{
    nr_menu_item *x = add(it, n, NR_ITEM_FLOAT, label);
    x->f = f;
    x->lo = lo;
    x->hi = hi;
    x->step = step;
    x->big = 1;
    snprintf(x->value, sizeof x->value, fmt, (double)*f);
}

static void inum(nr_menu_item *it, int *n, const char *label, int *i, int lo, int hi)
{
    nr_menu_item *x = add(it, n, NR_ITEM_INT, label);
    x->i = i;
    x->lo = (float)lo;
    x->hi = (float)hi;
    x->step = 1;
    x->big = 1;
    snprintf(x->value, sizeof x->value, "%d", *i);
}

static void enm(nr_menu_item *it, int *n, const char *label, int *i, int count, const char *(*name_of)(int))
{
    nr_menu_item *x = add(it, n, NR_ITEM_ENUM, label);
    x->i = i;
    x->lo = 0;
    x->hi = (float)(count - 1);
    x->step = 1;
    x->name_of = name_of;
    snprintf(x->value, sizeof x->value, "%s", name_of(*i));
}

/* A choice among names (templates, models). An empty name is the patch as shipped: the default, shown as
 * "name*". */
static void name_enum(nr_menu_item *it, int *n, const char *label, char *str, size_t size, const char *const *names,
                      int count, int def)
{
    nr_menu_item *x = add(it, n, NR_ITEM_ENUM, label);
    x->str = str;
    x->str_size = size;
    x->names = names;
    x->str_default = def >= 0 && def < count ? def : -1;
    x->lo = 0;
    x->hi = (float)(count - 1);
    x->step = 1;
    if (!str[0] && x->str_default >= 0) snprintf(x->value, sizeof x->value, "%.20s*", names[x->str_default]);
    else snprintf(x->value, sizeof x->value, "%s", str);
}

static void template_enum(nr_menu_item *it, int *n, const nr_menu_view *v, const char *label, char *str, size_t size,
                          int def)
{
    name_enum(it, n, label, str, size, v->templates, v->n_templates, def);
}

static void action(nr_menu_item *it, int *n, const char *label, int act)
{
    nr_menu_item *x = add(it, n, NR_ITEM_ACTION, label);
    x->action = act;
    snprintf(x->value, sizeof x->value, ">");
}

int nr_menu_items(const nr_menu *m, const nr_menu_view *v, nr_menu_item *it)
{
    int n = 0;
    nr_settings *s = v->settings;
    nr_patch *p = &s->patch;
    char label[32];
    switch (m->page) {
    case NR_PAGE_SOUND:
        /* turning it switches the model (the patch's model name); a name that does not load plays the
         * default, so the row shows what plays */
        if (v->models && v->n_models > 0) {
            name_enum(it, &n, "Model", p->model, sizeof p->model, v->models, v->n_models, v->default_model);
            if (p->model[0] && v->model_name && strcmp(p->model, v->model_name))
                snprintf(it[n - 1].value, sizeof it[n - 1].value, "%.20s*", v->model_name);
        } else {
            info_s(it, &n, "Model", v->model_name);
        }
        template_enum(it, &n, v, "Template A", p->template_a, sizeof p->template_a, v->default_a);
        template_enum(it, &n, v, "Template B", p->template_b, sizeof p->template_b, v->default_b);
        fnum(it, &n, "Interp A/B", &p->interp, 0, 1, 0.01f, "%.2f");
        fnum(it, &n, "Stretch oct", &p->stretch, -2, 2, 0.05f, "%+.2f");
        fnum(it, &n, "Variation", &p->variation, 0, 1, 0.01f, "%.2f");
        for (int d = 0; d < NR_NUM_DESC; d++) {
            snprintf(label, sizeof label, "%s ofs", g_short_desc[d]);
            fnum(it, &n, label, &p->offset[d], -3, 3, 0.05f, "%+.2f");
        }
        break;
    case NR_PAGE_CV:
        for (int i = 0; i < NR_NUM_CV; i++) {
            snprintf(label, sizeof label, "CV%d target", i + 1);
            enm(it, &n, label, &p->cv[i].target, NR_CVT_COUNT, nr_cv_target_name);
            snprintf(label, sizeof label, "CV%d range", i + 1);
            fnum(it, &n, label, &p->cv[i].range, -10, 10, 0.05f, "%+.2f");
            snprintf(label, sizeof label, "CV%d polarity", i + 1);
            enm(it, &n, label, &p->cv[i].bipolar, 2, polarity_name);
        }
        break;
    case NR_PAGE_GATES:
        for (int g = 0; g < NR_NUM_GATES; g++) {
            snprintf(label, sizeof label, "Gate%d mode", g + 1);
            enm(it, &n, label, &p->gate_mode[g], NR_GATE_MODE_COUNT, nr_gate_mode_name);
        }
        enm(it, &n, "Source", &p->source, NR_SOURCE_COUNT, nr_source_name);
        info_s(it, &n, "Gate1 plays", p->source == NR_SOURCE_LATENT ? "latent pt" : "A");
        info_s(it, &n, "Gate2 plays", p->source == NR_SOURCE_LATENT ? "A/B morph" : "A/B mix");
        break;
    case NR_PAGE_LATENT:
        /* one item per plane of two axes: turning picks the plane nr_menu_draw shows */
        for (int a = 0; a < NR_NUM_LATENT; a++)
            for (int b = a + 1; b < NR_NUM_LATENT; b++) {
                snprintf(label, sizeof label, "%s x %s", nr_menu_latent_axis[a], nr_menu_latent_axis[b]);
                info_s(it, &n, label, "");
            }
        break;
    case NR_PAGE_VOICES:
        inum(it, &n, "Voices", &p->voices, 1, NR_MAX_VOICES);
        enm(it, &n, "Steal", &p->steal, NR_STEAL_COUNT, nr_steal_name);
        fnum(it, &n, "Volume dB", &p->volume_db, -60, 6, 0.5f, "%.1f");
        info(it, &n, "Playing", "%.0f", v->status.voices_active);
        info(it, &n, "Peak", "%.2f", v->status.out_peak);
        break;
    case NR_PAGE_CALIBRATION:
        for (int i = 0; i < NR_NUM_CV; i++) {
            snprintf(label, sizeof label, "CV%d in", i + 1);
            char val[24];
            snprintf(val, sizeof val, "%+.2fV>%+.2f", (double)v->cv_raw[i], (double)v->status.cv[i]);
            info_s(it, &n, label, val);
            snprintf(label, sizeof label, "CV%d zero here", i + 1); /* with 0 V patched in */
            action(it, &n, label, ACT_ZERO_CV0 + i);
            snprintf(label, sizeof label, "CV%d offset V", i + 1);
            fnum(it, &n, label, &s->cal[i].offset, -2, 2, 0.01f, "%+.2f");
            snprintf(label, sizeof label, "CV%d scale", i + 1);
            fnum(it, &n, label, &s->cal[i].scale, 0.5f, 2, 0.005f, "%.3f");
        }
        break;
    case NR_PAGE_PRESETS: {
        nr_menu_item *x = add(it, &n, NR_ITEM_INT, "Slot");
        x->i = &s->preset_slot;
        x->lo = 0;
        x->hi = NR_PRESET_SLOTS - 1;
        x->step = 1;
        const nr_preset *pr = &s->presets[s->preset_slot];
        snprintf(x->value, sizeof x->value, "%d %s", s->preset_slot + 1, pr->used ? "" : "(empty)");
        info_s(it, &n, "Name", pr->used ? pr->name : "-");
        action(it, &n, "Save here", ACT_SAVE_PRESET);
        if (pr->used) action(it, &n, "Load", ACT_LOAD_PRESET);
        if (pr->used) action(it, &n, "Clear", ACT_CLEAR_PRESET);
        break;
    }
    case NR_PAGE_STATS:
        info(it, &n, "CPU %", "%.1f", 100.0 * v->status.cpu_load);
        info(it, &n, "Worst block %", "%.1f", 100.0 * v->status.worst_block_share);
        info(it, &n, "Xruns", "%.0f", v->status.xruns);
        info(it, &n, "Out latency ms", "%.1f", v->status.latency_ms);
        info(it, &n, "CV latency ms", "%.1f", v->status.cv_latency_ms);
        info(it, &n, "Voices", "%.0f", v->status.voices_active);
        info(it, &n, "Voice limit", "%.0f", v->status.voice_limit);
        info(it, &n, "Faults", "%.0f", v->status.faults);
        break;
    case NR_PAGE_SYSTEM:
        info_s(it, &n, "Neurorack", "v" NR_VERSION_STRING);
        info_s(it, &n, "Model", v->model_arch);
        info(it, &n, "Rate Hz", "%.0f", v->model_rate);
        action(it, &n, "Reload model", ACT_RELOAD_MODEL);
        action(it, &n, "Rescan models", ACT_RESCAN_MODELS);
        if (v->model_list) {
            const nr_model_list *l = v->model_list;
            int ok = nr_model_list_count_ok(l);
            char val[24];
            snprintf(val, sizeof val, "%d ok %d bad", ok, l->n - ok);
            info_s(it, &n, "Models", val);
            for (int i = 0; i < l->n && n < NR_MENU_MAX_ITEMS - 1; i++)
                if (!l->e[i].ok) { /* the name, then why, cut to a row */
                    info_s(it, &n, l->e[i].name, "bad");
                    nr_menu_item *x = add(it, &n, NR_ITEM_INFO, "");
                    snprintf(x->label, sizeof x->label, " %.20s", l->e[i].reason);
                }
        }
        if (v->notice && v->notice[0]) {
            /* The last message, wrapped over info rows. */
            size_t len = strlen(v->notice);
            for (size_t k = 0; k < len && n < NR_MENU_MAX_ITEMS; k += 21) {
                nr_menu_item *x = add(it, &n, NR_ITEM_INFO, "");
                snprintf(x->label, sizeof x->label, "%.21s", v->notice + k);
            }
        }
        break;
    }
    return n;
}

/* Presets and model reload: the menu's only actions. */
int nr_menu_do_action(nr_menu_view *v, int act)
{
    nr_settings *s = v->settings;
    nr_preset *pr = &s->presets[s->preset_slot];
    switch (act) {
    case ACT_SAVE_PRESET:
        pr->used = 1;
        pr->patch = s->patch;
        char name[NR_NAME_MAX];
        snprintf(name, sizeof name, "%.12s/%.12s", s->patch.template_a[0] ? s->patch.template_a : "default",
                 s->patch.template_b[0] ? s->patch.template_b : "default");
        memcpy(pr->name, name, sizeof pr->name);
        return NR_MENU_PERSIST;
    case ACT_LOAD_PRESET:
        if (!pr->used) return NR_MENU_NONE;
        s->patch = pr->patch;
        return NR_MENU_CHANGED | NR_MENU_PERSIST;
    case ACT_CLEAR_PRESET:
        memset(pr, 0, sizeof *pr);
        nr_settings_clamp(s);
        pr->used = 0;
        return NR_MENU_PERSIST;
    case ACT_RELOAD_MODEL: return NR_MENU_RELOAD_MODEL;
    case ACT_RESCAN_MODELS: return NR_MENU_RESCAN_MODELS;
    }
    if (act >= ACT_ZERO_CV0 && act < ACT_ZERO_CV0 + NR_NUM_CV) {
        /* The input reads what it reads with 0 V patched: that is its offset. */
        nr_cv_cal *c = &s->cal[act - ACT_ZERO_CV0];
        float raw = v->cv_raw[act - ACT_ZERO_CV0];
        c->offset = isfinite(raw) ? (raw < -2.0f ? -2.0f : raw > 2.0f ? 2.0f : raw) : 0.0f;
        return NR_MENU_CHANGED | NR_MENU_PERSIST;
    }
    return NR_MENU_NONE;
}
