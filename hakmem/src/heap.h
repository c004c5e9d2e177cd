/* heap.h -- per-thread heaps: the unified cache (one free list per size class), the slabs the
 * heap owns, and the inbox where other threads post the blocks they free.
 *
 * A thread reaches its heap through one initial-exec TLS pointer. Before a thread's first
 * allocation the pointer names g_hak_empty_heap, whose lists are all empty and which owns no
 * slab: the fast paths then fall to the slow paths, which create or adopt a heap. That sentinel
 * is also how HAKMEM_FORCE_LIBC_ALLOC and not-yet-initialised states cost nothing on the fast
 * path. The structs (hak_heap, hak_block_header) and their invariants are in types.h. */
#ifndef HAKMEM_HEAP_H
#define HAKMEM_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "config.h"
#include "size_class.h"
#include "superslab.h"
#include "types.h"

extern hak_heap g_hak_empty_heap;
extern __thread hak_heap *t_hak_heap __attribute__((tls_model("initial-exec")));

/* The calling thread's heap, created or adopted on first use; NULL if the process is routed to
 * libc (HAKMEM_FORCE_LIBC_ALLOC) or no memory is left for a heap. Inline: once the thread has a
 * heap this is one TLS load and a compare, which callers on hot paths (remote frees) need. */
hak_heap *hak_heap_acquire_slow(void); /* the first use: creates or adopts the heap */
HAK_INLINE hak_heap *hak_heap_acquire(void) {
    hak_heap *h = t_hak_heap;
    return HAK_LIKELY(h != &g_hak_empty_heap) ? h : hak_heap_acquire_slow();
}

HAK_INLINE hak_block_header *hak_block_header_of(const void *p) {
    return (hak_block_header *)((uintptr_t)p - sizeof(hak_block_header));
}

/* The seed's hottest function; here it runs once per block, when a slab is carved. */
HAK_INLINE void tiny_region_id_write_header(hak_heap *h, void *p, uint32_t cls) {
    hak_block_header *hdr = hak_block_header_of(p);
    hdr->owner = h;
    hdr->region_id = (uint8_t)(HAK_REGION_ID_TAG | cls);
}

#if HAK_OBSERVE
#define HAK_OBS(heap, field) ((heap)->obs.field++)
#define HAK_OBS_CLASS(heap, field, cls) ((heap)->obs.field[cls]++)
#else
#define HAK_OBS(heap, field) ((void)0)
#define HAK_OBS_CLASS(heap, field, cls) ((void)0)
#endif

/* True once the calling thread's heap was returned at thread exit; its later allocations go
 * through hak_exit_heap_alloc (one shared heap under a lock). */
bool hak_thread_exiting(void);
void *hak_exit_heap_alloc(uint32_t cls);
/* Slow paths of the front (heap.c / refill.c). */
void *hak_cache_refill(hak_heap *h, uint32_t cls);
/* The cache of cls is full (array) or one past full (list): flushes half of it to the slabs. */
void hak_cache_overflow(hak_heap *h, uint32_t cls);
/* Returns block p (of a slab h owns) to its slab's free list; releases a slab it empties. */
void hak_slab_put(hak_heap *h, void *p);
/* Remote frees (inbox, batches): remote.h. */
/* Calls fn(heap, arg) for every heap ever created, under the heap lock. */
void hak_heaps_for_each(void (*fn)(hak_heap *, void *), void *arg);
void hak_heap_flush(hak_heap *h);
void hak_heaps_print_observe(int fd);
void hak_heap_fork_prepare(void);
void hak_heap_fork_parent(void);
void hak_heap_fork_child(void);

#endif
