/* Dataset manifests (nr/dataset.h) as training clips: 48 kHz audio from the onset, the cached curves
 * (or, if a sound has none yet, nr_analyze of it), their onset pitch settled for the models trained so,
 * resampled in time to the model's 100 frames/s.
 * Every clip that cannot be used is reported on stderr with the reason and skipped. */
#include "train_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nr/analysis.h"
#include "nr/audio_file.h"
#include "nr/dataset.h"

static nr_result entry_curves(const nr_manifest *m, int i, const nr_audio *a, nr_curves *c)
{
    nr_result r = nr_ds_load_curves(m, i, c);
    if (r == NR_OK) return r;
    /* not analysed yet: analyse here, as the data set builder would */
    nr_audio low = {0};
    r = nr_audio_resample_kaiser_best(a->samples, a->n, a->rate, NR_ANALYSIS_RATE, &low);
    if (r == NR_OK) r = nr_analyze(low.samples, low.n, c);
    nr_audio_free(&low);
    return r;
}

static nr_result load_split(const nr_manifest *m, nr_split split, int max_frames, int settle_onset, nr_train_clip **out,
                            int *count, int *skipped)
{
    int n = nr_manifest_count(m, split), it = -1, i;
    *out = calloc((size_t)(n > 0 ? n : 1), sizeof **out);
    *count = 0;
    if (!*out) return nr_fail(NR_ERR_NOMEM, "out of memory for %d clips", n);
    while ((i = nr_manifest_next(m, split, &it)) >= 0) {
        const nr_ds_entry *e = &m->e[i];
        nr_audio a = {0};
        nr_curves c = {0}, c100 = {0};
        nr_result r = nr_ds_load_audio(m, i, NR_IMP_RATE, &a);
        if (r == NR_OK) r = entry_curves(m, i, &a, &c);
        if (r == NR_OK) r = nr_curves_resample_for_model(&c, (float)NR_IMP_RATE / NR_IMP_HOP, settle_onset, &c100);
        nr_train_clip *cl = &(*out)[*count];
        memset(cl, 0, sizeof *cl);
        const char *why = NULL;
        if (r == NR_OK) {
            int T = (int)((a.n + NR_IMP_HOP - 1) / NR_IMP_HOP);
            if (T > max_frames) T = max_frames;
            cl->n_frames = T;
            cl->audio = calloc((size_t)T * NR_IMP_HOP, sizeof(float));
            cl->desc = calloc((size_t)T * NR_NUM_DESC, sizeof(float));
            cl->name = malloc(strlen(e->audio) + 1);
            if (!cl->audio || !cl->desc || !cl->name || c100.n_frames < 1) {
                why = c100.n_frames < 1 ? "no descriptor frames" : "out of memory";
            } else {
                strcpy(cl->name, e->audio);
                long keep = a.n < (long)T * NR_IMP_HOP ? a.n : (long)T * NR_IMP_HOP;
                memcpy(cl->audio, a.samples, (size_t)keep * sizeof(float));
                for (int t = 0; t < T; t++) {
                    int s = t < c100.n_frames ? t : c100.n_frames - 1; /* hold the last frame */
                    memcpy(cl->desc + (size_t)t * NR_NUM_DESC, c100.data + (size_t)s * NR_NUM_DESC,
                           NR_NUM_DESC * sizeof(float));
                }
                why = nr_train_clip_problem(cl);
            }
        } else {
            why = nr_last_error();
        }
        if (why) {
            fprintf(stderr, "train: skipping %s: %s\n", e->audio, why);
            free(cl->name), free(cl->audio), free(cl->desc);
            memset(cl, 0, sizeof *cl);
            (*skipped)++;
        } else {
            (*count)++;
        }
        nr_audio_free(&a);
        nr_curves_free(&c);
        nr_curves_free(&c100);
    }
    return NR_OK;
}

nr_result nr_train_data_manifest(const char *path, int max_frames, int settle_onset, nr_train_data *d)
{
    memset(d, 0, sizeof *d);
    nr_manifest m;
    memset(&m, 0, sizeof m);
    nr_result r = nr_manifest_read(path, &m);
    if (r != NR_OK) return r;
    r = load_split(&m, NR_SPLIT_TRAIN, max_frames, settle_onset, &d->train, &d->n_train, &d->n_skipped);
    if (r == NR_OK) r = load_split(&m, NR_SPLIT_VALID, max_frames, settle_onset, &d->valid, &d->n_valid, &d->n_skipped);
    nr_manifest_free(&m);
    if (r != NR_OK) nr_train_data_free(d);
    return r;
}
