/* SCAFFOLD: replaced by the hn-sinc-NSF implementation. */
#include "model_impl.h"
static int matches(const nr_tensor_set *ts) { (void)ts; return 0; }
static nr_result build(nr_model *m, const char *what) { (void)m; return nr_fail(NR_ERR_UNSUPPORTED, "%s: not built yet", what); }
const nr_model_ops nr_nsf_ops = { .arch = "hn-sinc-nsf", .matches = matches, .build = build };
