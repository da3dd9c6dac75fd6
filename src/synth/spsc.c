#include "synth/spsc.h"

#include <stdlib.h>
#include <string.h>

nr_result nr_spsc_init(nr_spsc *q, unsigned capacity, size_t item)
{
    memset(q, 0, sizeof *q);
    if (capacity < 2 || capacity > 65536 || item == 0 || item > 4096)
        return nr_fail(NR_ERR_ARG, "queue capacity %u / item %zu bytes out of range", capacity, item);
    unsigned cap = 2;
    while (cap < capacity) cap <<= 1;
    q->buf = calloc(cap, item);
    if (!q->buf) return nr_fail(NR_ERR_NOMEM, "out of memory for a %u-item queue", cap);
    q->mask = cap - 1;
    q->item = item;
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    return NR_OK;
}

void nr_spsc_free(nr_spsc *q)
{
    free(q->buf);
    q->buf = NULL;
}

int nr_spsc_push(nr_spsc *q, const void *item)
{
    unsigned h = atomic_load_explicit(&q->head, memory_order_relaxed);
    unsigned t = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (h - t > q->mask) return 0;
    memcpy(q->buf + (size_t)(h & q->mask) * q->item, item, q->item);
    atomic_store_explicit(&q->head, h + 1, memory_order_release); /* publishes the item */
    return 1;
}

int nr_spsc_pop(nr_spsc *q, void *item)
{
    unsigned t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    unsigned h = atomic_load_explicit(&q->head, memory_order_acquire);
    if (h == t) return 0;
    memcpy(item, q->buf + (size_t)(t & q->mask) * q->item, q->item);
    atomic_store_explicit(&q->tail, t + 1, memory_order_release); /* frees the slot */
    return 1;
}

unsigned nr_spsc_count(nr_spsc *q)
{
    return atomic_load_explicit(&q->head, memory_order_acquire) - atomic_load_explicit(&q->tail, memory_order_acquire);
}
