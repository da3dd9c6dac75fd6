/* The generic model and voice API: file type detection, architecture dispatch, native saving. */
#include "model_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const nr_model_ops *const g_archs[] = {
    &nr_nsf_ops,
    &nr_impact_ops,
};
#define N_ARCHS (sizeof g_archs / sizeof g_archs[0])

/* Native format identification, checked by every loader of a .safetensors model. */
#define NR_FORMAT_NAME "neurorack-model"
#define NR_FORMAT_VERSION 1

nr_result nr_model_load(const char *path, nr_model **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open model file", path);
    unsigned char magic[4] = {0};
    size_t got = fread(magic, 1, 4, f);
    fclose(f);
    if (got < 4) return nr_fail(NR_ERR_FORMAT, "%s: file too short to be a model (%zu bytes)", path, got);

    nr_tensor_set ts = {0};
    nr_result r;
    if (memcmp(magic, "PK\x03\x04", 4) == 0) {
        r = nr_th_read(path, &ts);
    } else {
        r = nr_safetensors_read(path, &ts);
        if (r == NR_OK) {
            const char *fmt = nr_tensor_set_meta(&ts, "nr.format");
            const char *ver = nr_tensor_set_meta(&ts, "nr.version");
            if (!fmt || strcmp(fmt, NR_FORMAT_NAME) != 0) {
                nr_tensor_set_free(&ts);
                return nr_fail(NR_ERR_FORMAT,
                               "%s: safetensors file without nr.format=\"" NR_FORMAT_NAME
                               "\" metadata: not a Neurorack model (convert .th files with `neurorack convert`)",
                               path);
            }
            long v = ver ? strtol(ver, NULL, 10) : 0;
            if (v < 1 || v > NR_FORMAT_VERSION) {
                nr_tensor_set_free(&ts);
                return nr_fail(NR_ERR_VERSION,
                               "%s: model format version %s, this build reads versions 1..%d: update neurorack",
                               path, ver ? ver : "(missing)", NR_FORMAT_VERSION);
            }
        }
    }
    if (r != NR_OK) return r;
    return nr_model_from_tensors(&ts, path, out);
}

nr_result nr_model_from_tensors(nr_tensor_set *ts, const char *what, nr_model **out)
{
    *out = NULL;
    const nr_model_ops *ops = NULL;
    for (size_t i = 0; i < N_ARCHS && !ops; i++)
        if (g_archs[i]->matches(ts)) ops = g_archs[i];
    if (!ops) {
        const char *arch = nr_tensor_set_meta(ts, "nr.arch");
        const char *cls = nr_tensor_set_meta(ts, "__class__");
        nr_tensor_set_free(ts);
        return nr_fail(NR_ERR_UNSUPPORTED, "%s: unknown model architecture '%s' (this build knows: hn-sinc-nsf)",
                       what, arch ? arch : cls ? cls : "(none stated)");
    }
    nr_model *m = calloc(1, sizeof *m);
    if (!m) {
        nr_tensor_set_free(ts);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
    }
    m->ops = ops;
    m->ts = *ts;
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
    if (r == NR_OK) {
        nr_tensor_set view = ts;
        view.tensors = m->ts.tensors;
        view.n_tensors = m->ts.n_tensors;
        view.cap_tensors = m->ts.cap_tensors;
        r = nr_safetensors_write(path, &view);
    }
    nr_tensor_set_free(&ts);
    return r;
}

void nr_model_free(nr_model *m)
{
    if (!m) return;
    if (m->ops && m->ops->destroy) m->ops->destroy(m);
    nr_tensor_set_free(&m->ts);
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
void nr_voice_end(nr_voice *v) { v->ops->end(v); }
long nr_voice_available(const nr_voice *v) { return v->ops->available(v); }
int nr_voice_process(nr_voice *v, float *out, int n) { return v->ops->process(v, out, n); }
int nr_voice_finished(const nr_voice *v) { return v->ops->finished(v); }
