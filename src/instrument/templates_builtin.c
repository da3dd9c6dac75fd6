/* The templates every model gets with no setup: the analysis module's built-in impacts
 * (nr/templates.h), resampled to the model's frame rate and normalised. */
#include "instrument/curvegen.h"
#include "nr/templates.h"

nr_result nr_template_set_add_builtins(nr_template_set *s)
{
    int n = nr_template_count();
    for (int i = 0; i < n; i++) {
        nr_curves c;
        nr_result r = nr_template_get(nr_template_name(i), &c);
        if (r != NR_OK) return r;
        r = nr_template_set_add(s, nr_template_name(i), &c);
        nr_curves_free(&c);
        if (r != NR_OK) return r;
    }
    return NR_OK;
}
