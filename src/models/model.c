/* The generic model and voice API: file type detection, architecture dispatch, native saving. */
#include "model_impl.h"
#include "nr/curves.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

static const nr_model_ops *const g_archs[] = {
    &nr_nsf_ops,
    &nr_impact_ops,
    &nr_impact2_ops,
};
#define N_ARCHS (sizeof g_archs / sizeof g_archs[0])

/* Native format identification, checked by every loader of a .safetensors model. */
#define NR_FORMAT_NAME "neurorack-model"
#define NR_FORMAT_VERSION 1

/* A native model's identification: a newer version means a newer neurorack wrote it. */
static nr_result check_native(const nr_tensor_set *ts, const char *path)
{
    const char *fmt = nr_tensor_set_meta(ts, "nr.format");
    const char *ver = nr_tensor_set_meta(ts, "nr.version");
    if (!fmt || strcmp(fmt, NR_FORMAT_NAME) != 0)
        return nr_fail(NR_ERR_FORMAT,
                       "%s: safetensors file without nr.format=\"" NR_FORMAT_NAME
                       "\" metadata: not a Neurorack model (convert .th files with `neurorack convert`)",
                       path);
    /* digits only: strtol alone would take " 1" and "+1" but not "1 " */
    long v = 0;
    int digits = ver && ver[0] && strspn(ver, "0123456789") == strlen(ver) && strlen(ver) <= 9;
    if (digits) v = strtol(ver, NULL, 10);
    if (!digits || v < 1)
        return nr_fail(NR_ERR_FORMAT, "%s: nr.version '%s' is not a format version (a whole number from 1)", path,
                       ver ? ver : "(missing)");
    if (v > NR_FORMAT_VERSION)
        return nr_fail(NR_ERR_VERSION,
                       "%s: model format version %ld was written by a newer neurorack (this build reads up to %d): "
                       "update neurorack",
                       path, v, NR_FORMAT_VERSION);
    return NR_OK;
}

/* Files are told apart by content, not by name: a zip is PyTorch's .th, a JSON header after a
 * u64 length is safetensors. */
static nr_result read_model_file(const char *path, nr_tensor_set *ts)
{
    memset(ts, 0, sizeof *ts);
    FILE *f = fopen(path, "rb");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open model file", path);
    unsigned char head[9] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    int err = ferror(f);
    fclose(f);
    if (err) return nr_fail(NR_ERR_IO, "%s: cannot read model file (a folder?)", path);
    if (got == 0) return nr_fail(NR_ERR_FORMAT, "%s: empty file; expected a .th or .safetensors model", path);
    /* safetensors first: its u64 header length may well start with 0x80, the pickle protocol byte */
    int safetensors = got == 9 && head[8] == '{' && !head[5] && !head[6] && !head[7];
    if (!safetensors && head[0] == 'P' && (got < 2 || head[1] == 'K')) return nr_th_read(path, ts);
    if (!safetensors && head[0] == 0x80) return nr_th_read(path, ts); /* a bare pickle: the .th reader says what it is */
    if (!safetensors)
        return nr_fail(NR_ERR_FORMAT,
                       "%s: not a model file; expected a PyTorch .th (zip) or a Neurorack .safetensors file", path);
    nr_result r = nr_safetensors_read(path, ts);
    if (r == NR_OK && (r = check_native(ts, path)) != NR_OK) nr_tensor_set_free(ts);
    return r;
}

nr_result nr_model_load(const char *path, nr_model **out)
{
    *out = NULL;
    nr_tensor_set ts;
    nr_result r = read_model_file(path, &ts);
    if (r != NR_OK) return r;
    return nr_model_from_tensors(&ts, path, out);
}

/* Generic check before any architecture looks at the weights. */
static nr_result check_finite(const nr_tensor_set *ts, const char *what)
{
    for (int i = 0; i < ts->n_tensors; i++) {
        const nr_tensor *t = &ts->tensors[i];
        for (int64_t k = 0; k < t->numel; k++)
            if (!isfinite(t->data[k]))
                return nr_fail(NR_ERR_VALUE, "%s: tensor '%s' holds %s at index %lld; weights must be finite", what,
                               t->name, isnan(t->data[k]) ? "NaN" : "infinity", (long long)k);
    }
    return NR_OK;
}

nr_result nr_model_from_tensors(nr_tensor_set *ts, const char *what, nr_model **out)
{
    *out = NULL;
    nr_mtpl tpl;
    nr_result fr = check_finite(ts, what);
    if (fr == NR_OK) fr = nr_mtpl_extract(ts, &tpl, what);
    if (fr != NR_OK) {
        nr_tensor_set_free(ts);
        return fr;
    }
    const nr_model_ops *ops = NULL;
    for (size_t i = 0; i < N_ARCHS && !ops; i++)
        if (g_archs[i]->matches(ts)) ops = g_archs[i];
    if (!ops) {
        const char *arch = nr_tensor_set_meta(ts, "nr.arch");
        const char *cls = nr_tensor_set_meta(ts, "__class__");
        char known[256] = "";
        for (size_t i = 0; i < N_ARCHS; i++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "", g_archs[i]->arch);
        nr_fail(NR_ERR_UNSUPPORTED, "%s: unknown model architecture '%s' (this build knows: %s)", what,
                arch ? arch : cls ? cls : "(none stated)", known);
        nr_tensor_set_free(ts); /* after the message: arch and cls point into it */
        nr_mtpl_free(&tpl);
        return NR_ERR_UNSUPPORTED;
    }
    nr_model *m = calloc(1, sizeof *m);
    if (!m) {
        nr_tensor_set_free(ts);
        nr_mtpl_free(&tpl);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
    }
    m->ops = ops;
    m->ts = *ts;
    m->tpl = tpl;
    nr_mtpl_names(&m->tpl);
    memset(ts, 0, sizeof *ts);
    nr_result r = ops->build(m, what);
    if (r != NR_OK) {
        nr_model_free(m);
        return r;
    }
    m->info.arch = ops->arch;
    *out = m;
    return NR_OK;
}

nr_result nr_model_save(const nr_model *m, const char *path)
{
    /* A shallow copy of the tensor table with the native metadata added; the tensors stay shared. */
    nr_tensor_set ts = {0};
    nr_result r = NR_OK;
    char buf[64];
    r = nr_tensor_set_set_meta(&ts, "nr.format", NR_FORMAT_NAME);
    snprintf(buf, sizeof buf, "%d", NR_FORMAT_VERSION);
    if (r == NR_OK) r = nr_tensor_set_set_meta(&ts, "nr.version", buf);
    if (r == NR_OK) r = nr_tensor_set_set_meta(&ts, "nr.arch", m->ops->arch);
    snprintf(buf, sizeof buf, "%d", m->info.sample_rate);
    if (r == NR_OK) r = nr_tensor_set_set_meta(&ts, "nr.sample_rate", buf);
    snprintf(buf, sizeof buf, "%d", m->info.hop);
    if (r == NR_OK) r = nr_tensor_set_set_meta(&ts, "nr.hop", buf);
    for (int i = 0; i < m->ts.n_meta && r == NR_OK; i++)
        if (strncmp(m->ts.meta[i].key, "nr.", 3) != 0)
            r = nr_tensor_set_set_meta(&ts, m->ts.meta[i].key, m->ts.meta[i].value);
    if (r == NR_OK && m->ops->add_save_meta) r = m->ops->add_save_meta(m, &ts);
    /* The architecture's tensors, then the templates (shallow views: nothing is copied). */
    nr_tensor *all = malloc((size_t)(m->ts.n_tensors + m->tpl.n + 1) * sizeof *all);
    if (!all && r == NR_OK) r = nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    int n_all = m->ts.n_tensors;
    if (r == NR_OK) {
        memcpy(all, m->ts.tensors, (size_t)m->ts.n_tensors * sizeof *all);
        r = nr_mtpl_add_to(&m->tpl, &ts, all, &n_all);
    }
    if (r == NR_OK) {
        nr_tensor_set view = ts;
        view.tensors = all;
        view.n_tensors = n_all;
        view.cap_tensors = n_all;
        view.tensor_index = (nr_name_index){0}; /* a view for the writer only: no lookups by name */
        r = nr_safetensors_write(path, &view);
    }
    free(all);
    nr_tensor_set_free(&ts);
    return r;
}

void nr_model_free(nr_model *m)
{
    if (!m) return;
    if (m->ops && m->ops->destroy) m->ops->destroy(m);
    nr_tensor_set_free(&m->ts);
    nr_mtpl_free(&m->tpl);
    free(m);
}

void nr_model_get_info(const nr_model *m, nr_model_info *info) { *info = m->info; }

const nr_tensor_set *nr_model_tensors(const nr_model *m) { return &m->ts; }

nr_voice_config nr_voice_config_init(void)
{
    nr_voice_config c;
    memset(&c, 0, sizeof c);
    c.seed = 1;
    c.max_block = 4096;
    c.threads = 1;
    return c;
}

nr_result nr_voice_create(const nr_model *m, const nr_voice_config *cfg, nr_voice **out)
{
    *out = NULL;
    if (cfg->max_block < 1 || cfg->max_block > (1 << 20))
        return nr_fail(NR_ERR_ARG, "voice max_block %d out of range 1..%d", cfg->max_block, 1 << 20);
    if (cfg->threads < 1 || cfg->threads > 64)
        return nr_fail(NR_ERR_ARG, "voice threads %d out of range 1..64", cfg->threads);
    return m->ops->voice_create(m, cfg, out);
}

void nr_voice_free(nr_voice *v)
{
    if (v) v->ops->free(v);
}

void nr_voice_reset(nr_voice *v, uint64_t seed) { v->ops->reset(v, seed); }
int nr_voice_push_frame(nr_voice *v, const float desc[NR_NUM_DESC]) { return v->ops->push_frame(v, desc); }

/* The analysis' yin looks up to 5000 Hz: a transposed pitch column stays in the range of real curves. */
#define VOICE_PITCH_MAX_HZ 5000.0f

int nr_voice_push_frame_tuned(nr_voice *v, const float desc[NR_NUM_DESC], float voct)
{
    if (!(voct != 0.0f) || voct != voct) return v->ops->push_frame(v, desc); /* 0 or NaN */
    if (voct > NR_VOICE_VOCT_MAX) voct = NR_VOICE_VOCT_MAX;
    if (voct < -NR_VOICE_VOCT_MAX) voct = -NR_VOICE_VOCT_MAX;
    if (v->ops->push_frame_tuned) return v->ops->push_frame_tuned(v, desc, voct);
    float d[NR_NUM_DESC];
    memcpy(d, desc, sizeof d);
    float f = d[NR_DESC_PITCH] * (float)nr_pitch_factor(voct); /* exactly 1 V per octave */
    d[NR_DESC_PITCH] = f < VOICE_PITCH_MAX_HZ ? f : VOICE_PITCH_MAX_HZ;
    return v->ops->push_frame(v, d);
}

int nr_voice_tunes_sound(const nr_voice *v) { return v->ops->push_frame_tuned != NULL; }
void nr_voice_end(nr_voice *v) { v->ops->end(v); }
long nr_voice_available(const nr_voice *v) { return v->ops->available(v); }
int nr_voice_process(nr_voice *v, float *out, int n) { return v->ops->process(v, out, n); }
int nr_voice_finished(const nr_voice *v) { return v->ops->finished(v); }

int nr_model_dir(int i, char *out, size_t n)
{
    static const char *const rel[] = {"/models", "/../models", "/../share/neurorack/models"};
    if (i < 0 || i >= (int)(sizeof rel / sizeof rel[0])) return 0;
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return 0;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return 0;
    *slash = '\0';
    return snprintf(out, n, "%s%s", exe, rel[i]) < (int)n;
}

int nr_model_default_path(char *out, size_t n)
{
    const char *env = getenv("NEURORACK_MODEL");
    if (env && *env) return snprintf(out, n, "%s", env) < (int)n;
    char dir[PATH_MAX];
    for (int i = 0; nr_model_dir(i, dir, sizeof dir); i++)
        if (snprintf(out, n, "%s/default.safetensors", dir) < (int)n && access(out, R_OK) == 0) return 1;
    return 0;
}
