/* Internal: what an architecture provides to the generic model and voice API (src/models/model.c). */
#ifndef NR_MODEL_IMPL_H
#define NR_MODEL_IMPL_H

#include "nr/model.h"
#include "models/model_templates_impl.h"

typedef struct nr_model_ops nr_model_ops;
typedef struct nr_voice_ops nr_voice_ops;

struct nr_model {
    const nr_model_ops *ops;
    nr_tensor_set ts;    /* every stored tensor and metadata string */
    nr_model_info info;  /* filled by ops->build */
    void *impl;          /* the architecture's view of the weights (pointers into ts) */
    nr_mtpl tpl;         /* templates shipped in the file (not in ts) */
};

struct nr_model_ops {
    const char *arch;
    /* Recognise a tensor set (by metadata) as this architecture. */
    int (*matches)(const nr_tensor_set *ts);
    /* Check names, shapes and hyper-parameters; fill m->info and m->impl. `what` names the file. */
    nr_result (*build)(nr_model *m, const char *what);
    void (*destroy)(nr_model *m);
    /* Add the native-format metadata (hyper-parameters) before saving. */
    nr_result (*add_save_meta)(const nr_model *m, nr_tensor_set *ts);
    nr_result (*voice_create)(const nr_model *m, const nr_voice_config *cfg, nr_voice **out);
};

/* Every voice starts with this header. */
struct nr_voice {
    const nr_voice_ops *ops;
    const nr_model *model;
};

struct nr_voice_ops {
    void (*free)(nr_voice *v);
    void (*reset)(nr_voice *v, uint64_t seed);
    int (*push_frame)(nr_voice *v, const float desc[NR_NUM_DESC]);
    void (*end)(nr_voice *v);
    long (*available)(const nr_voice *v);
    int (*process)(nr_voice *v, float *out, int n);
    int (*finished)(const nr_voice *v);
    /* optional: the frame tuned by voct octaves (0 < |voct| <= NR_VOICE_VOCT_MAX); NULL: the generic
     * API transposes the pitch column instead */
    int (*push_frame_tuned)(nr_voice *v, const float desc[NR_NUM_DESC], float voct);
};

/* Architectures compiled in. */
extern const nr_model_ops nr_nsf_ops; /* src/models/nsf.c: the original hn-sinc-NSF */
extern const nr_model_ops nr_impact_ops; /* src/models/impact_model.c: nr-impact-1, the light model */
extern const nr_model_ops nr_impact2_ops; /* src/models/impact2_model.c: nr-impact-2, its full-band successor */

#endif
