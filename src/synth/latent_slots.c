#include "synth/latent_slots.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REQUEST_EPS 1e-3f /* prior std (or A/B position): finer moves are not worth a decode */

void nr_lat_slots_init(nr_lat_slots *ls)
{
    memset(ls, 0, sizeof *ls);
    for (int c = 0; c < NR_LAT_CHANNELS; c++) {
        atomic_init(&ls->ready[c], -1);
        atomic_init(&ls->want_seq[c], 0u);
        for (int k = 0; k < NR_NUM_LATENT; k++) atomic_init(&ls->want[c][k], 0.0f);
    }
    for (int k = 0; k < NR_LAT_SLOTS; k++) atomic_init(&ls->users[k], 0);
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
        int ok = 1;
        for (int k = 0; k < NR_LAT_SLOTS; k++) {
            ls->set.t[k].z = calloc((size_t)NR_LAT_SLOT_FRAMES * NR_NUM_DESC, sizeof(float));
            ls->set.t[k].n = 1;
            ok &= ls->set.t[k].z != NULL;
        }
        ls->raw = ok ? malloc(NR_LAT_N_X * sizeof(float)) : NULL;
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
    /* no trigger takes a sound of the previous model from here on */
    for (int c = 0; c < NR_LAT_CHANNELS; c++) nr_lat_slots_invalidate(ls, c);
    if (ls->lm) nr_latent_free(ls->lm);
    free(ls->lm);
    free(ls->work);
    ls->lm = lm;
    ls->work = work;
    return NR_OK;
}

void nr_lat_slots_invalidate(nr_lat_slots *ls, int ch)
{
    atomic_store(&ls->ready[ch], -1);
    ls->dirty[ch] = 1;
}

/* Decode z into a free slot and publish it as channel ch's newest. 0 if every slot is held. */
static int decode_into_free_slot(nr_lat_slots *ls, const nr_template_set *bank, int ch, const float *z)
{
    int k = -1;
    /* a slot no voice holds and that is no channel's newest: triggers only ever take the newest */
    for (int i = 0; i < NR_LAT_SLOTS && k < 0; i++) {
        int busy = atomic_load(&ls->users[i]) != 0;
        for (int c = 0; c < NR_LAT_CHANNELS; c++) busy |= atomic_load(&ls->ready[c]) == i;
        if (!busy) k = i;
    }
    if (k < 0) return 0; /* cannot happen with NR_LAT_SLOTS as sized: try again later */
    int n = 0;
    nr_latent_decode(&ls->lm->w, z, ls->raw, &n, ls->work); /* clamps z to the trained region */
    if (bank->settle_onset) { /* as nr_template_set_add does for a model trained on settled onsets */
        nr_curves view = {n, NR_LAT_FPS, ls->raw};
        nr_curves_settle_onset_pitch(&view, NR_ONSET_JUMP_OCT, NR_ONSET_WITHIN_S);
    }
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
    atomic_store(&ls->ready[ch], k); /* seq_cst: the slot's writes above are visible before its index */
    return 1;
}

int nr_lat_slots_update(nr_lat_slots *ls, const nr_template_set *bank, const float *za, const float *zb)
{
    if (!ls->lm) return 0;
    int done = 0;
    for (int ch = 0; ch < NR_LAT_CHANNELS; ch++) {
        unsigned seq = atomic_load(&ls->want_seq[ch]);
        if (seq == ls->done_seq[ch] && !ls->dirty[ch]) continue;
        if (ch == NR_LAT_MORPH && (!za || !zb)) continue;
        float z[NR_NUM_LATENT];
        for (int k = 0; k < NR_NUM_LATENT; k++) z[k] = atomic_load(&ls->want[ch][k]);
        if (ch == NR_LAT_MORPH) { /* the straight line between the two encodings */
            float a = z[0] > 0.0f ? (z[0] < 1.0f ? z[0] : 1.0f) : 0.0f;
            for (int k = 0; k < NR_NUM_LATENT; k++) z[k] = za[k] + a * (zb[k] - za[k]);
        }
        if (!decode_into_free_slot(ls, bank, ch, z)) continue;
        ls->done_seq[ch] = seq;
        ls->dirty[ch] = 0;
        done++;
    }
    return done;
}

void nr_lat_slots_request(nr_lat_slots *ls, int ch, const float *v)
{
    int moved = !ls->asked_any[ch];
    for (int k = 0; k < NR_NUM_LATENT; k++) moved |= fabsf(v[k] - ls->asked[ch][k]) > REQUEST_EPS;
    if (!moved) return;
    for (int k = 0; k < NR_NUM_LATENT; k++) {
        ls->asked[ch][k] = v[k];
        atomic_store_explicit(&ls->want[ch][k], v[k], memory_order_relaxed);
    }
    ls->asked_any[ch] = 1;
    atomic_fetch_add(&ls->want_seq[ch], 1u); /* seq_cst: publishes the request */
}

int nr_lat_slots_newest(nr_lat_slots *ls, int ch) { return atomic_load_explicit(&ls->ready[ch], memory_order_relaxed); }

int nr_lat_slots_acquire(nr_lat_slots *ls, int ch)
{
    for (;;) {
        int k = atomic_load(&ls->ready[ch]);
        if (k < 0 || k >= NR_LAT_SLOTS) return -1;
        atomic_fetch_add(&ls->users[k], 1);
        /* The control thread publishes a new newest before it looks for a free slot; if ours is still
         * the newest after we count ourselves in, it cannot have been picked for rewriting. */
        if (atomic_load(&ls->ready[ch]) == k) return k;
        atomic_fetch_sub(&ls->users[k], 1);
    }
}

void nr_lat_slots_release(nr_lat_slots *ls, int k)
{
    if (k >= 0 && k < NR_LAT_SLOTS) atomic_fetch_sub(&ls->users[k], 1);
}
