/* Templates stored in a model file (nr/model_templates.h): split out of the tensor set at load,
 * checked, offered by name, and written back at save. */
#include "model_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LIST "nr.templates"
#define KEY_DEFAULT "nr.templates.default"
#define KEY_RATE "nr.templates.frame_rate"
#define KEY_SUMMARY "nr.template." /* + name */
#define TENSOR_PREFIX "template."

/* Raw values no analysed sound has: rms, zcr and flatness are shares (rms of a clipped signal <= 1,
 * some slack); the Hz columns cannot pass the analysis Nyquist. */
static const float g_hi[NR_NUM_DESC] = {2.0f, 1.0f, 11025.0f, 1.0f, 11025.0f, 11025.0f, 11025.0f};

void nr_mtpl_free(nr_mtpl *t)
{
    for (int i = 0; i < t->n; i++) free(t->data[i]);
    memset(t, 0, sizeof *t);
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n >= NR_TEMPLATE_NAME_MAX) return 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return 0;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-')) return 0;
    return 1;
}

static nr_result check_summary(const char *s, const char *name, const char *what)
{
    if (strlen(s) >= NR_TEMPLATE_SUMMARY_MAX)
        return nr_fail(NR_ERR_FORMAT, "%s: summary of template '%s' is longer than %d characters", what, name,
                       NR_TEMPLATE_SUMMARY_MAX - 1);
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c < 32 || (unsigned char)*c > 126)
            return nr_fail(NR_ERR_FORMAT, "%s: summary of template '%s' is not one line of printable ASCII", what,
                           name);
    return NR_OK;
}

/* Shape and values of one template's frames (raw units). */
static nr_result check_frames(const float *x, int64_t frames, const char *name, const char *what)
{
    if (frames < 1 || frames > NR_TEMPLATE_FRAMES_MAX)
        return nr_fail(NR_ERR_SHAPE, "%s: template '%s' has %lld frames; expected 1..%d", what, name,
                       (long long)frames, NR_TEMPLATE_FRAMES_MAX);
    for (int64_t i = 0; i < frames; i++)
        for (int d = 0; d < NR_NUM_DESC; d++) {
            float v = x[i * NR_NUM_DESC + d];
            if (!isfinite(v) || v < 0.0f || v > g_hi[d])
                return nr_fail(NR_ERR_VALUE,
                               "%s: template '%s' frame %lld %s = %g; expected a finite value in 0..%g (raw units)",
                               what, name, (long long)i, nr_desc_names[d], (double)v, (double)g_hi[d]);
        }
    return NR_OK;
}

/* Parse the comma-separated name list into out (checked names, no duplicates). */
static nr_result parse_list(const char *list, nr_mtpl *out, const char *what)
{
    const char *p = list;
    if (!*p) return NR_OK;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (out->n == NR_MODEL_TEMPLATES_MAX)
            return nr_fail(NR_ERR_FORMAT, "%s: more than %d templates in " KEY_LIST, what, NR_MODEL_TEMPLATES_MAX);
        char name[NR_TEMPLATE_NAME_MAX];
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), p);
        if (len >= sizeof name || !valid_name(name))
            return nr_fail(NR_ERR_FORMAT,
                           "%s: template name '%.*s' in " KEY_LIST " is not 1..%d of a-z 0-9 _ - (first a letter or digit)",
                           what, (int)(len < 64 ? len : 64), p, NR_TEMPLATE_NAME_MAX - 1);
        for (int i = 0; i < out->n; i++)
            if (!strcmp(out->name[i], name))
                return nr_fail(NR_ERR_FORMAT, "%s: template '%s' listed twice in " KEY_LIST, what, name);
        snprintf(out->name[out->n++], NR_TEMPLATE_NAME_MAX, "%s", name);
        if (!comma) break;
        p = comma + 1;
    }
    return NR_OK;
}

static nr_result extract(nr_tensor_set *ts, nr_mtpl *out, const char *what)
{
    const char *list = nr_tensor_set_meta(ts, KEY_LIST);
    nr_result r = list ? parse_list(list, out, what) : NR_OK;
    if (r != NR_OK) return r;
    const char *rate = nr_tensor_set_meta(ts, KEY_RATE);
    if (rate) {
        char *end = NULL;
        double fr = strtod(rate, &end);
        if (end == rate || *end || !(fabs(fr - NR_ANALYSIS_FRAME_RATE) < 1e-3))
            return nr_fail(NR_ERR_FORMAT, "%s: " KEY_RATE " is '%s'; templates are stored at %.8g frames per second",
                           what, rate, (double)NR_ANALYSIS_FRAME_RATE);
    }
    for (int i = 0; i < out->n; i++) {
        char key[64];
        snprintf(key, sizeof key, TENSOR_PREFIX "%s", out->name[i]);
        const nr_tensor *t = nr_tensor_set_find(ts, key);
        if (!t) return nr_fail(NR_ERR_FORMAT, "%s: template '%s' is listed in " KEY_LIST " but tensor '%s' is missing", what, out->name[i], key);
        if (t->ndim != 2 || t->shape[1] != NR_NUM_DESC)
            return nr_fail(NR_ERR_SHAPE, "%s: tensor '%s' must have shape (frames, %d)", what, key, NR_NUM_DESC);
        r = check_frames(t->data, t->shape[0], out->name[i], what);
        if (r != NR_OK) return r;
        snprintf(key, sizeof key, KEY_SUMMARY "%s", out->name[i]);
        const char *s = nr_tensor_set_meta(ts, key);
        if (s && (r = check_summary(s, out->name[i], what)) != NR_OK) return r;
        snprintf(out->summary[i], NR_TEMPLATE_SUMMARY_MAX, "%s", s ? s : "");
    }
    const char *def = nr_tensor_set_meta(ts, KEY_DEFAULT);
    out->deflt = -1;
    if (def) {
        for (int i = 0; i < out->n; i++)
            if (!strcmp(out->name[i], def)) out->deflt = i;
        if (out->deflt < 0)
            return nr_fail(NR_ERR_FORMAT, "%s: " KEY_DEFAULT " '%.64s' is not one of the templates in " KEY_LIST, what,
                           def);
    }
    /* every template.* tensor and nr.template.* summary must belong to a listed template */
    for (int i = 0; i < ts->n_tensors; i++) {
        const char *nm = ts->tensors[i].name;
        if (strncmp(nm, TENSOR_PREFIX, strlen(TENSOR_PREFIX)) != 0) continue;
        int k = -1;
        for (int j = 0; j < out->n && k < 0; j++)
            if (!strcmp(nm + strlen(TENSOR_PREFIX), out->name[j])) k = j;
        if (k < 0)
            return nr_fail(NR_ERR_FORMAT, "%s: tensor '%.64s' is not a template listed in " KEY_LIST, what, nm);
    }
    for (int i = 0; i < ts->n_meta; i++) {
        const char *key = ts->meta[i].key;
        if (strncmp(key, KEY_SUMMARY, strlen(KEY_SUMMARY)) != 0) continue;
        int k = -1;
        for (int j = 0; j < out->n && k < 0; j++)
            if (!strcmp(key + strlen(KEY_SUMMARY), out->name[j])) k = j;
        if (k < 0)
            return nr_fail(NR_ERR_FORMAT, "%s: metadata '%.64s' is not the summary of a template listed in " KEY_LIST,
                           what, key);
    }
    /* Move the data out of the set: the architecture sees only its weights. */
    for (int i = 0; i < out->n; i++) {
        char key[64];
        snprintf(key, sizeof key, TENSOR_PREFIX "%s", out->name[i]);
        for (int j = 0; j < ts->n_tensors; j++)
            if (!strcmp(ts->tensors[j].name, key)) {
                out->frames[i] = (int)ts->tensors[j].shape[0];
                out->data[i] = nr_tensor_set_take(ts, j); /* taken over */
                break;
            }
    }
    for (int i = ts->n_meta - 1; i >= 0; i--) {
        const char *key = ts->meta[i].key;
        if (!strcmp(key, KEY_LIST) || !strcmp(key, KEY_DEFAULT) || !strcmp(key, KEY_RATE) ||
            !strncmp(key, KEY_SUMMARY, strlen(KEY_SUMMARY)))
            nr_tensor_set_remove_meta(ts, i);
    }
    return NR_OK;
}

nr_result nr_mtpl_extract(nr_tensor_set *ts, nr_mtpl *out, const char *what)
{
    memset(out, 0, sizeof *out);
    out->deflt = -1;
    nr_result r = extract(ts, out, what);
    if (r != NR_OK) {
        /* nothing was taken over before every check passed */
        memset(out, 0, sizeof *out);
        out->deflt = -1;
    }
    return r;
}

nr_result nr_mtpl_add_to(const nr_mtpl *t, nr_tensor_set *meta, nr_tensor *tensors, int *n_tensors)
{
    if (t->n == 0) return NR_OK;
    char list[NR_MODEL_TEMPLATES_MAX * NR_TEMPLATE_NAME_MAX + 1] = "";
    for (int i = 0; i < t->n; i++) {
        if (i) strcat(list, ",");
        strcat(list, t->name[i]);
    }
    nr_result r = nr_tensor_set_set_meta(meta, KEY_LIST, list);
    char buf[64];
    snprintf(buf, sizeof buf, "%.8f", (double)NR_ANALYSIS_FRAME_RATE);
    if (r == NR_OK) r = nr_tensor_set_set_meta(meta, KEY_RATE, buf);
    if (r == NR_OK && t->deflt >= 0) r = nr_tensor_set_set_meta(meta, KEY_DEFAULT, t->name[t->deflt]);
    for (int i = 0; i < t->n && r == NR_OK; i++) {
        if (t->summary[i][0]) {
            snprintf(buf, sizeof buf, KEY_SUMMARY "%s", t->name[i]);
            r = nr_tensor_set_set_meta(meta, buf, t->summary[i]);
        }
    }
    /* Shallow views: the names live in the caller's scratch, the data stays the model's. */
    for (int i = 0; i < t->n && r == NR_OK; i++) {
        nr_tensor *x = &tensors[(*n_tensors)++];
        memset(x, 0, sizeof *x);
        x->name = (char *)t->tensor_name[i];
        x->ndim = 2;
        x->shape[0] = t->frames[i];
        x->shape[1] = NR_NUM_DESC;
        x->numel = (int64_t)t->frames[i] * NR_NUM_DESC;
        x->data = t->data[i];
    }
    return r;
}

/* ---- public ---- */

int nr_model_template_count(const nr_model *m) { return m->tpl.n; }

const char *nr_model_template_name(const nr_model *m, int i)
{
    return i >= 0 && i < m->tpl.n ? m->tpl.name[i] : NULL;
}

const char *nr_model_template_summary(const nr_model *m, int i)
{
    return i >= 0 && i < m->tpl.n ? m->tpl.summary[i] : NULL;
}

const char *nr_model_template_default(const nr_model *m)
{
    return m->tpl.deflt >= 0 ? m->tpl.name[m->tpl.deflt] : NULL;
}

int nr_model_template_find(const nr_model *m, const char *name)
{
    for (int i = 0; name && i < m->tpl.n; i++)
        if (!strcmp(m->tpl.name[i], name)) return i;
    return -1;
}

nr_result nr_model_template_get(const nr_model *m, const char *name, nr_curves *out)
{
    memset(out, 0, sizeof *out);
    if (!name) name = nr_model_template_default(m);
    if (!name) return nr_fail(NR_ERR_ARG, "the model names no default template");
    int i = nr_model_template_find(m, name);
    if (i < 0) return nr_fail(NR_ERR_ARG, "the model has no template '%s'", name);
    nr_result r = nr_curves_alloc(out, m->tpl.frames[i], NR_ANALYSIS_FRAME_RATE);
    if (r == NR_OK) memcpy(out->data, m->tpl.data[i], (size_t)m->tpl.frames[i] * NR_NUM_DESC * sizeof(float));
    return r;
}

nr_result nr_model_set_templates(nr_model *m, const nr_model_template_in *t, int n, const char *default_name)
{
    const char *what = "templates";
    if (n < 0 || n > NR_MODEL_TEMPLATES_MAX)
        return nr_fail(NR_ERR_ARG, "%s: %d templates; a model holds 0..%d", what, n, NR_MODEL_TEMPLATES_MAX);
    nr_mtpl nt;
    memset(&nt, 0, sizeof nt);
    nt.deflt = -1;
    nr_result r = NR_OK;
    for (int i = 0; i < n && r == NR_OK; i++) {
        if (!t[i].name || !valid_name(t[i].name)) {
            r = nr_fail(NR_ERR_ARG, "%s: template name '%s' is not 1..%d of a-z 0-9 _ - (first a letter or digit)",
                        what, t[i].name ? t[i].name : "(null)", NR_TEMPLATE_NAME_MAX - 1);
            break;
        }
        for (int j = 0; j < i && r == NR_OK; j++)
            if (!strcmp(t[j].name, t[i].name)) r = nr_fail(NR_ERR_ARG, "%s: template '%s' given twice", what, t[i].name);
        if (r == NR_OK && t[i].summary) r = check_summary(t[i].summary, t[i].name, what);
        nr_curves c = {0};
        if (r == NR_OK) r = nr_curves_resample(t[i].curves, NR_ANALYSIS_FRAME_RATE, &c);
        if (r == NR_OK) r = check_frames(c.data, c.n_frames, t[i].name, what);
        if (r == NR_OK) {
            snprintf(nt.name[i], NR_TEMPLATE_NAME_MAX, "%s", t[i].name);
            snprintf(nt.summary[i], NR_TEMPLATE_SUMMARY_MAX, "%s", t[i].summary ? t[i].summary : "");
            nt.frames[i] = c.n_frames;
            nt.data[i] = c.data; /* taken over */
            nt.n = i + 1;
            if (default_name && !strcmp(default_name, t[i].name)) nt.deflt = i;
        } else {
            nr_curves_free(&c);
        }
    }
    if (r == NR_OK && default_name && nt.deflt < 0)
        r = nr_fail(NR_ERR_ARG, "%s: default '%s' is not one of the templates given", what, default_name);
    if (r != NR_OK) {
        nr_mtpl_free(&nt);
        return r;
    }
    nr_mtpl_free(&m->tpl);
    m->tpl = nt;
    nr_mtpl_names(&m->tpl);
    return NR_OK;
}

void nr_mtpl_names(nr_mtpl *t)
{
    /* memcpy, not snprintf: GCC cannot tell that the two arrays of *t do not overlap */
    const size_t pre = strlen(TENSOR_PREFIX);
    for (int i = 0; i < t->n; i++) {
        size_t len = strnlen(t->name[i], NR_TEMPLATE_NAME_MAX - 1);
        memcpy(t->tensor_name[i], TENSOR_PREFIX, pre);
        memcpy(t->tensor_name[i] + pre, t->name[i], len);
        t->tensor_name[i][pre + len] = '\0';
    }
}
