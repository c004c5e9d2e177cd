/* remote.h -- frees of blocks owned by another thread's heap: the owner's inbox (a lock-free
 * stack the owner drains on its next refill) and, with research box HAK_RB_REMOTE_BATCH, the
 * batches a freeing thread collects per owner and posts with one CAS (remote.c). */
#ifndef HAKMEM_REMOTE_H
#define HAKMEM_REMOTE_H

#include <stdbool.h>

#include "heap.h"

/* Frees p, a block of slab s that the calling thread does not own (the checks the gates enable
 * run first). */
void hak_remote_free(hak_slab *s, void *p);
/* The owner's side: moves every block of h's inbox into h's caches, or back to its slabs where a
 * cache is full. */
void hak_inbox_drain(hak_heap *h);
/* Research box HAK_RB_REMOTE_BATCH. flush: posts the calling thread's pending batch (h is its
 * heap). reclaim: moves the batches other threads hold for heap h (the caller's) into h's inbox;
 * true if it found any. batch_init: at start-up; batching stays off if it returns false. */
void hak_remote_batch_flush(hak_heap *h);
bool hak_remote_batch_reclaim(hak_heap *h);
bool hak_remote_batch_init(void);

#endif
