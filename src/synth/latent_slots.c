#include "synth/latent_slots.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REQUEST_EPS 1e-3f /* prior std: finer moves are not worth a decode */

void nr_lat_slots_init(nr_lat_slots *ls)
{
    memset(ls, 0, sizeof *ls);
    atomic_init(&ls->ready, -1);
    for (int k = 0; k < NR_LAT_SLOTS; k++) atomic_init(&ls->users[k], 0);
    for (int k = 0; k < NR_NUM_LATENT; k++) atomic_init(&ls->want[k], 0.0f);
    atomic_init(&ls->want_seq, 0u);
}

void nr_lat_slots_free(nr_lat_slots *ls)
{
    for (int k = 0; k < NR_LAT_SLOTS; k++) free(ls->set.t[k].z);
    if (ls->lm) nr_latent_free(ls->lm);
    free(ls->lm);
    free(ls->work);
    free(ls->raw);
    nr_lat_slots_init(ls);
}

nr_result nr_lat_slots_set_model(nr_lat_slots *ls, nr_latent *lm)
{
    if (lm && !ls->raw) {
        ls->raw = malloc(NR_LAT_N_X * sizeof(float));
        for (int k = 0; k < NR_LAT_SLOTS; k++) {
            ls->set.t[k].z = calloc((size_t)NR_LAT_SLOT_FRAMES * NR_NUM_DESC, sizeof(float));
            ls->set.t[k].n = 1;
            if (!ls->set.t[k].z) ls->raw = (free(ls->raw), NULL);
        }
        if (!ls->raw) {
            nr_latent_free(lm);
            free(lm);
            return nr_fail(NR_ERR_NOMEM, "out of memory for the latent slots");
        }
    }
    float *work = lm ? malloc(nr_latent_work_floats(&lm->w.hp) * sizeof(float)) : NULL;
    if (lm && !work) {
        nr_latent_free(lm);
        free(lm);
        return nr_fail(NR_ERR_NOMEM, "out of memory for the latent decoder");
    }
    atomic_store(&ls->ready, -1); /* no trigger takes a sound of the previous model from here on */
    if (ls->lm) nr_latent_free(ls->lm);
    free(ls->lm);
    free(ls->work);
    ls->lm = lm;
    ls->work = work;
    ls->dirty = 1;
    return NR_OK;
}

void nr_lat_slots_invalidate(nr_lat_slots *ls)
{
    atomic_store(&ls->ready, -1);
    ls->dirty = 1;
}

int nr_lat_slots_update(nr_lat_slots *ls, const nr_template_set *bank)
{
    if (!ls->lm) return 0;
    unsigned seq = atomic_load(&ls->want_seq);
    if (seq == ls->done_seq && !ls->dirty) return 0;
    int ready = atomic_load(&ls->ready), k = -1;
    /* a slot no voice holds and that is not the newest: triggers only ever take the newest */
    for (int i = 0; i < NR_LAT_SLOTS && k < 0; i++)
        if (i != ready && atomic_load(&ls->users[i]) == 0) k = i;
    if (k < 0) return 0; /* all held (cannot happen with NR_LAT_SLOTS > voices + 1): try later */
    float z[NR_LAT_DIM];
    for (int i = 0; i < NR_LAT_DIM; i++) z[i] = atomic_load(&ls->want[i]);
    int n = 0;
    nr_latent_decode(&ls->lm->w, z, ls->raw, &n, ls->work); /* clamps z to the trained region */
    /* to the model's frame rate (linear, ends held) and normalisation */
    nr_template *t = &ls->set.t[k];
    float fr = bank->frame_rate > 0 ? bank->frame_rate : NR_LAT_FPS;
    int m = (int)lroundf((float)n / NR_LAT_FPS * fr);
    m = m < 2 ? 2 : m > NR_LAT_SLOT_FRAMES ? NR_LAT_SLOT_FRAMES : m;
    int peak = 0;
    for (int j = 0; j < m; j++) {
        float x = (float)j * NR_LAT_FPS / fr;
        int i0 = (int)x;
        if (i0 > n - 1) i0 = n - 1;
        int i1 = i0 + 1 < n ? i0 + 1 : i0;
        float f = x - (float)i0;
        if (f > 1.0f) f = 1.0f;
        for (int d = 0; d < NR_NUM_DESC; d++) { /* raw units, normalised as nr_template_set_add does */
            float raw = ls->raw[i0 * NR_NUM_DESC + d] + f * (ls->raw[i1 * NR_NUM_DESC + d] - ls->raw[i0 * NR_NUM_DESC + d]);
            t->z[j * NR_NUM_DESC + d] = (raw - bank->mean[d]) / bank->std[d];
        }
        if (t->z[j * NR_NUM_DESC] > t->z[peak * NR_NUM_DESC]) peak = j;
    }
    t->n = m;
    t->peak = (float)peak;
    /* the bank's normalisation; it only changes with the bank, when every voice has stopped */
    memcpy(ls->set.mean, bank->mean, sizeof ls->set.mean);
    memcpy(ls->set.std, bank->std, sizeof ls->set.std);
    ls->set.frame_rate = fr;
    ls->set.count = NR_LAT_SLOTS;
    atomic_store(&ls->ready, k); /* seq_cst: the slot's writes above are visible before its index */
    ls->done_seq = seq;
    ls->dirty = 0;
    return 1;
}

void nr_lat_slots_request(nr_lat_slots *ls, const float *z)
{
    int moved = !ls->asked_any;
    for (int k = 0; k < NR_NUM_LATENT; k++) moved |= fabsf(z[k] - ls->asked[k]) > REQUEST_EPS;
    if (!moved) return;
    for (int k = 0; k < NR_NUM_LATENT; k++) {
        ls->asked[k] = z[k];
        atomic_store_explicit(&ls->want[k], z[k], memory_order_relaxed);
    }
    ls->asked_any = 1;
    atomic_fetch_add(&ls->want_seq, 1u); /* seq_cst: publishes the point */
}

int nr_lat_slots_newest(nr_lat_slots *ls) { return atomic_load_explicit(&ls->ready, memory_order_relaxed); }

int nr_lat_slots_acquire(nr_lat_slots *ls)
{
    for (;;) {
        int k = atomic_load(&ls->ready);
        if (k < 0 || k >= NR_LAT_SLOTS) return -1;
        atomic_fetch_add(&ls->users[k], 1);
        /* The control thread publishes a new newest before it looks for a free slot; if ours is still
         * the newest after we count ourselves in, it cannot have been picked for rewriting. */
        if (atomic_load(&ls->ready) == k) return k;
        atomic_fetch_sub(&ls->users[k], 1);
    }
}

void nr_lat_slots_release(nr_lat_slots *ls, int k)
{
    if (k >= 0 && k < NR_LAT_SLOTS) atomic_fetch_sub(&ls->users[k], 1);
}
