#include "synth/voicepool.h"

#include <string.h>

void nr_vpool_init(nr_vpool *p) { memset(p, 0, sizeof *p); }

int nr_vpool_count(const nr_vpool *p, int state)
{
    int n = 0;
    for (int i = 0; i < NR_VOICE_SLOTS; i++) n += p->s[i].state == state;
    return n;
}

void nr_vpool_release(nr_vpool *p, int i, float fade_step)
{
    if (i < 0 || i >= NR_VOICE_SLOTS || p->s[i].state != NR_VS_PLAYING) return;
    p->s[i].state = NR_VS_RELEASING;
    p->s[i].fade_step = fade_step > 1e-6f ? fade_step : 1.0f;
}

static int victim(const nr_vpool *p, int steal)
{
    int best = -1;
    for (int i = 0; i < NR_VOICE_SLOTS; i++) {
        const nr_vslot *v = &p->s[i];
        if (v->state != NR_VS_PLAYING) continue;
        if (best < 0) {
            best = i;
            continue;
        }
        const nr_vslot *b = &p->s[best];
        if (steal == NR_STEAL_QUIETEST ? (v->env < b->env || (v->env == b->env && v->serial < b->serial))
                                       : v->serial < b->serial)
            best = i;
    }
    return best;
}

void nr_vpool_limit(nr_vpool *p, int limit, int steal, float fade_step)
{
    if (limit < 0) limit = 0;
    while (nr_vpool_count(p, NR_VS_PLAYING) > limit) {
        nr_vpool_release(p, victim(p, steal), fade_step);
        p->stolen++;
    }
}

int nr_vpool_trigger(nr_vpool *p, int gate, int mode, int limit, int steal, float fade_step)
{
    if (limit < 1) limit = 1;
    if (limit > NR_MAX_VOICES) limit = NR_MAX_VOICES;
    if (mode != NR_GATE_POLY)
        for (int i = 0; i < NR_VOICE_SLOTS; i++)
            if (p->s[i].state == NR_VS_PLAYING && p->s[i].gate == gate) nr_vpool_release(p, i, fade_step);
    nr_vpool_limit(p, limit - 1, steal, fade_step);

    /* A free slot, else the releasing voice closest to silence is cut. */
    int slot = -1;
    for (int i = 0; i < NR_VOICE_SLOTS && slot < 0; i++)
        if (p->s[i].state == NR_VS_IDLE) slot = i;
    for (int i = 0; i < NR_VOICE_SLOTS && slot < 0; i++)
        if (p->s[i].state == NR_VS_RELEASING) slot = i;
    for (int i = 0; i < NR_VOICE_SLOTS; i++)
        if (p->s[i].state == NR_VS_RELEASING && p->s[slot].state == NR_VS_RELEASING && p->s[i].gain < p->s[slot].gain)
            slot = i;
    nr_vslot *v = &p->s[slot];
    memset(v, 0, sizeof *v);
    v->state = NR_VS_PLAYING;
    v->gate = gate;
    v->serial = ++p->serial;
    v->gain = 1.0f;
    return slot;
}

void nr_vpool_gate_off(nr_vpool *p, int gate, int mode, float fade_step)
{
    if (mode != NR_GATE_CHOKE) return;
    for (int i = 0; i < NR_VOICE_SLOTS; i++)
        if (p->s[i].state == NR_VS_PLAYING && p->s[i].gate == gate) nr_vpool_release(p, i, fade_step);
}
