/* Internal: the templates a model file carries (src/models/model_templates.c), kept beside the
 * architecture's tensors in struct nr_model. */
#ifndef NR_MODEL_TEMPLATES_IMPL_H
#define NR_MODEL_TEMPLATES_IMPL_H

#include "nr/model_templates.h"
#include "nr/tensors.h"

typedef struct {
    int n;
    int deflt; /* index of the default, -1: none */
    char name[NR_MODEL_TEMPLATES_MAX][NR_TEMPLATE_NAME_MAX];
    char tensor_name[NR_MODEL_TEMPLATES_MAX][NR_TEMPLATE_NAME_MAX + 16]; /* "template.<name>", for saving */
    char summary[NR_MODEL_TEMPLATES_MAX][NR_TEMPLATE_SUMMARY_MAX];
    int frames[NR_MODEL_TEMPLATES_MAX];
    float *data[NR_MODEL_TEMPLATES_MAX]; /* (frames, NR_NUM_DESC) raw, analysis frame rate; owned */
} nr_mtpl;

/* Check the template tensors and metadata of a loaded set and move them out of it into *out (the
 * set keeps only the architecture's tensors and metadata). On failure nothing is moved. */
nr_result nr_mtpl_extract(nr_tensor_set *ts, nr_mtpl *out, const char *what);
/* Add the metadata to `meta` and shallow tensor views to tensors[*n_tensors...] (room for t->n). */
nr_result nr_mtpl_add_to(const nr_mtpl *t, nr_tensor_set *meta, nr_tensor *tensors, int *n_tensors);
void nr_mtpl_names(nr_mtpl *t);
void nr_mtpl_free(nr_mtpl *t);

#endif
