/* Dataset manifests as training clips. The manifest reader is the dataset module's (nr/dataset.h);
 * until that module is part of the build, only synthetic data can be used. */
#include "train_impl.h"

#include <string.h>

nr_result nr_train_data_manifest(const char *path, int max_frames, nr_train_data *d)
{
    (void)max_frames;
    memset(d, 0, sizeof *d);
    return nr_fail(NR_ERR_UNSUPPORTED,
                   "%s: this build cannot read dataset manifests yet (the dataset module is missing); "
                   "use --data synthetic:N",
                   path);
}
