/* A lock-free single-producer single-consumer ring of fixed-size items (C11 atomics).
 * Push from one thread, pop from one other thread; both are audio-thread safe. */
#ifndef NR_SPSC_H
#define NR_SPSC_H

#include "nr/core.h"

#include <stdatomic.h>

typedef struct {
    _Alignas(64) atomic_uint head; /* next slot to write (producer) */
    _Alignas(64) atomic_uint tail; /* next slot to read (consumer) */
    _Alignas(64) unsigned mask;    /* capacity - 1; capacity is a power of two */
    /* The struct is 64-byte aligned: allocate anything holding one with aligned_alloc(64, ...). */
    size_t item;                   /* bytes per item */
    unsigned char *buf;            /* (capacity, item) */
} nr_spsc;

/* capacity is rounded up to a power of two (2..65536). Not audio-thread safe. */
nr_result nr_spsc_init(nr_spsc *q, unsigned capacity, size_t item);
void nr_spsc_free(nr_spsc *q);
/* 0 if full (nothing written). */
int nr_spsc_push(nr_spsc *q, const void *item);
/* 0 if empty. */
int nr_spsc_pop(nr_spsc *q, void *item);
unsigned nr_spsc_count(nr_spsc *q);

#endif
