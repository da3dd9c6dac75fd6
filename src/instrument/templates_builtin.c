/* The templates of an instrument's model: those the model file ships first, then the analysis
 * module's built-in impacts (nr/templates.h), resampled to the model's frame rate and normalised. */
#include "instrument/curvegen.h"
#include "nr/model_templates.h"
#include "nr/templates.h"

#include <string.h>

nr_result nr_template_set_add_model(nr_template_set *s, const nr_model *m)
{
    int n = nr_model_template_count(m);
    for (int i = 0; i < n; i++) {
        nr_curves c;
        nr_result r = nr_model_template_get(m, nr_model_template_name(m, i), &c);
        if (r == NR_OK) r = nr_template_set_add(s, nr_model_template_name(m, i), &c);
        nr_curves_free(&c);
        if (r != NR_OK) return r;
        s->n_model = s->count;
    }
    return NR_OK;
}

nr_result nr_template_set_add_builtins(nr_template_set *s)
{
    int n = nr_template_count();
    for (int i = 0; i < n; i++) {
        if (nr_template_set_find(s, nr_template_name(i)) >= 0) continue; /* the model's own comes first */
        nr_curves c;
        nr_result r = nr_template_get(nr_template_name(i), &c);
        if (r != NR_OK) return r;
        r = nr_template_set_add(s, nr_template_name(i), &c);
        nr_curves_free(&c);
        if (r != NR_OK) return r;
    }
    return NR_OK;
}

void nr_template_set_defaults(nr_template_set *s, const nr_model *m)
{
    const char *def = m ? nr_model_template_default(m) : NULL;
    int a = def ? nr_template_set_find(s, def) : -1;
    if (a < 0) a = nr_template_set_find(s, NR_TEMPLATE_DEFAULT);
    if (a < 0) a = 0;
    int b = -1;
    for (int i = 0; i < s->n_model && b < 0; i++)
        if (i != a) b = i;
    if (b < 0) b = nr_template_set_find(s, "boom");
    if (b < 0) b = s->count > 1 ? 1 : 0;
    s->def_a = s->count ? a : -1;
    s->def_b = s->count ? b : -1;
}

int nr_template_set_resolve(const nr_template_set *s, const char *name, int is_b)
{
    int i = name && name[0] ? nr_template_set_find(s, name) : -1;
    return i >= 0 ? i : is_b ? s->def_b : s->def_a;
}
