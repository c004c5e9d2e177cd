/* heap.h -- per-thread heaps: the unified cache (one free list per size class), the slabs the
 * heap owns, and the inbox where other threads post the blocks they free.
 *
 * A thread reaches its heap through one initial-exec TLS pointer. Before a thread's first
 * allocation the pointer names g_hak_empty_heap, whose lists are all empty and which owns no
 * slab: the fast paths then fall to the slow paths, which create or adopt a heap. That sentinel
 * is also how HAKMEM_FORCE_LIBC_ALLOC and not-yet-initialised states cost nothing on the fast
 * path. */
#ifndef HAKMEM_HEAP_H
#define HAKMEM_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "config.h"
#include "size_class.h"
#include "superslab.h"

typedef struct hak_observe_counters {
    uint64_t alloc[HAK_NUM_CLASSES], free[HAK_NUM_CLASSES];
    uint64_t refills, flushes, remote_frees, inbox_drained, slabs_created, slabs_released;
} hak_observe_counters;

typedef struct hak_heap {
#if HAK_RB_ARRAY_CACHE
    /* The unified cache as arrays of block pointers (research box HAK_RB_ARRAY_CACHE): per
     * class, the slot above the newest cached block and the array's last slot. Slot 0 of
     * every array holds NULL, so pop needs no bound test: it reads NULL when the array is empty.
     * The arrays follow the heap in its carved memory (hak_cache_slots). */
    void **cache_top[HAK_NUM_CLASSES];
    void **cache_last[HAK_NUM_CLASSES];
#else
    /* The unified cache: per class, a list of free blocks linked through their first word, and
     * the room left before it overflows (cache_cap - length). Two flat arrays, so both are
     * indexed by the class directly (scaled addressing), and counting room down lets free test
     * the bound with one decrement-and-branch. */
    void *cache_head[HAK_NUM_CLASSES];
    uint32_t cache_room[HAK_NUM_CLASSES];
#endif
    hak_slab *partial[HAK_NUM_CLASSES]; /* owned slabs with free blocks or bump room */
    void *_Atomic inbox;               /* blocks freed by other threads (lock-free stack) */
    /* HAK_RB_REMOTE_BATCH: remote frees pending for batch_owner, posted together. The owner may
     * take them itself while this thread sleeps (hak_remote_batch_reclaim): this thread touches
     * the batch only with batch_busy set, and not while batch_steal says the owner is at it. */
    struct hak_heap *batch_owner;
    void *batch_head, *batch_tail;
    uint32_t batch_count, batch_busy;
    struct hak_heap *batch_steal; /* the heap whose thread is taking this batch, or NULL */
    struct hak_heap *next_all;         /* every heap ever made (for stats and fork) */
    struct hak_heap *next_idle;        /* idle-heap pool, awaiting a new thread */
    uint32_t state;                    /* HAK_HEAP_* */
#if HAK_OBSERVE
    hak_observe_counters obs;
#endif
} hak_heap;

enum { HAK_HEAP_SENTINEL, HAK_HEAP_ACTIVE, HAK_HEAP_IDLE, HAK_HEAP_ABANDONED };

extern hak_heap g_hak_empty_heap;
extern __thread hak_heap *t_hak_heap __attribute__((tls_model("initial-exec")));

/* Research box HAK_RB_TINY_HEADER: the 16 bytes before every slab block. */
typedef struct hak_block_header {
    hak_heap *owner;
    uint8_t pad[7];
    uint8_t region_id; /* HAK_REGION_ID_TAG | class */
} hak_block_header;
#define HAK_REGION_ID_TAG 0xc0u

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

/* The calling thread's heap, created or adopted on first use; NULL if the process is routed to
 * libc (HAKMEM_FORCE_LIBC_ALLOC) or no memory is left for a heap. */
hak_heap *hak_heap_acquire(void);
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
