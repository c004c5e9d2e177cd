/* types.h -- the allocator's data model: every struct more than one file reads, in one place,
 * each with the invariants the code keeps. The functions that maintain them live with their
 * policy: slabs and SuperSlabs in superslab.c, heaps in heap.c, caches and partial lists in
 * front.h and refill.c, huge blocks in huge.c and huge_cache.c.
 *
 * Ownership in one sentence: a SuperSlab belongs to the backend (one global lock), a slab to one
 * heap, a heap to at most one thread, and only that thread touches a slab's free list, bump
 * pointer and used count, so none of them needs an atomic. */
#ifndef HAKMEM_TYPES_H
#define HAKMEM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "config.h"
#include "research_boxes.h"

#define HAK_TINY_CLASSES 20u
#define HAK_NUM_CLASSES 60u

/* One size class (size_class.c fills the table once at start-up, read-only afterwards).
 * Invariants: size is a multiple of HAK_ALIGN; stride = size + HAK_BLOCK_HEADER_BYTES;
 * capacity * stride fits in slab_chunks * 64 KiB; 1 <= refill <= cache_cap. */
typedef struct hak_class_info {
    uint32_t size;        /* usable size */
    uint32_t stride;      /* distance between blocks: size plus any block header */
    uint32_t slab_chunks; /* 64 KiB chunks per slab */
    uint32_t capacity;    /* blocks per slab */
    uint32_t cache_cap;   /* per-thread unified-cache bound */
    uint32_t refill;      /* blocks moved per refill */
    /* Exact divisibility test for invalid-free checks (Lemire, Kaser & Kurz 2019): for a
     * 32-bit off, off % stride == 0 iff off * div_magic (mod 2^64) < div_magic, where
     * div_magic = 2^64 / stride rounded up. One multiply and one compare. */
    uint64_t div_magic;
} hak_class_info;

struct hak_heap;

/* Invariants: a slab's chunks are consecutive chunks of one SuperSlab and every one of them
 * carries the same owner, cls and chunks, with head_offset counting from the head chunk;
 * owner == NULL exactly when the chunk belongs to no slab. In the head chunk:
 * block_base <= bump <= end, the blocks below bump are either on `free` or counted in `used`
 * (with a user, in the owner's cache, or on their way back through an inbox or batch), and
 * in_partial is 1 exactly when the slab is on partial[cls] of its owner. Chunk 0 of a
 * SuperSlab never holds a slab; its meta[0].used is the warm pool's idle clock. */
/* Metadata of one 64 KiB chunk. A slab spans 1..16 chunks; every chunk of it carries the fields
 * the free path reads (owner, cls) so free never needs to find the slab head. */
typedef struct hak_slab {
    struct hak_heap *owner; /* heap whose thread may touch free/bump/used; NULL = chunk free */
    uint8_t cls;
    uint8_t head_offset; /* this chunk's index minus the slab's first chunk index */
    uint8_t chunks;      /* slab length, valid in the head chunk */
    uint8_t in_partial;  /* on the owner's partial list for its class */
    uint32_t used;       /* blocks out of the slab: with users or in the owner's cache */
    void *free;          /* blocks returned by the owner (singly linked) */
    char *bump;          /* first never-used block */
    char *end;           /* end of the block area */
    struct hak_slab *next, *prev; /* owner's partial list */
    char *block_base;             /* first block of the slab, valid in the head chunk */
} hak_slab;

_Static_assert(sizeof(hak_slab) == 64, "one cache line per chunk's metadata");

/* One 2 MiB-aligned region, its header in chunk 0. Invariants: magic == HAK_SS_MAGIC while
 * mapped; bit 0 of free_chunks is always clear (chunk 0 is the header); the region map says
 * HAK_SEG_SLAB for its 2 MiB exactly while it is mapped. It sits on the backend's partial list
 * when some chunks are free and some hold slabs, on the warm pool when every chunk is free
 * (free_chunks == HAK_SS_ALL_CHUNKS), on no list when full. A block's live bit is set only
 * between its malloc and its free (checked variants). */
typedef struct hak_superslab {
    uint64_t magic;
    uint32_t free_chunks;  /* bit i set: chunk i is not part of any slab */
    uint32_t dirty_chunks; /* bit i set: chunk i was touched since its last decommit */
    struct hak_superslab *next, *prev; /* global list: partially used, or warm pool */
    uint64_t warm_since; /* when it entered the warm pool (hak_os_now_ns) */
    uint64_t pad[3];
    hak_slab meta[HAK_CHUNKS_PER_SS];
    /* The live bitmap (checked variants with HAK_RB_LIVE_BYTES=0; the byte map lives in chunks
     * 1..2 instead, check.h): bit g is set while the block starting
     * at granule g (16 bytes) of this SuperSlab is handed out. Written by the owning thread with
     * plain (relaxed) stores, cleared by other threads with an atomic AND (check.h). */
    uint64_t live[HAK_SS_SIZE / HAK_ALIGN / 64];
} hak_superslab;

#define HAK_LIVE_WORDS_PER_CHUNK (HAK_CHUNK_SIZE / HAK_ALIGN / 64)
_Static_assert(sizeof(hak_superslab) <= HAK_CHUNK_SIZE, "the SuperSlab header fits in chunk 0");

#define HAK_SS_MAGIC 0x48414b4d454d5353ull /* "HAKMEMSS" */
/* Chunks 1..2 hold the live byte map of a checked variant with HAK_RB_LIVE_BYTES (check.h). */
#define HAK_LIVE_MAP_CHUNKS (HAK_LIVE_BITMAP && HAK_RB_LIVE_BYTES ? 2u : 0u)
/* chunk 0 holds this header */
#define HAK_SS_ALL_CHUNKS (0xfffffffeu << HAK_LIVE_MAP_CHUNKS)

/* OBSERVE's counters, per heap, summed over all heaps at exit (HAKMEM_STATS=1). Plain
 * increments by the owner thread: the sum is exact once the threads are quiet. */
typedef struct hak_observe_counters {
    uint64_t alloc[HAK_NUM_CLASSES], free[HAK_NUM_CLASSES];
    uint64_t refills, flushes, remote_frees, inbox_drained, slabs_created, slabs_released;
} hak_observe_counters;

/* A per-thread heap. Invariants: a heap is carved once and never unmapped; state is
 * HAK_HEAP_SENTINEL only for g_hak_empty_heap, which owns no slab and whose caches are empty
 * with no room; an ACTIVE heap is t_hak_heap of exactly one thread (or the shared exit heap,
 * under its lock); an IDLE heap has an empty cache and waits on the idle pool; ABANDONED heaps
 * are other threads' heaps in a forked child and are never used again. Cache: with arrays,
 * slot 0 of each array holds NULL and, between calls, cache_top[c] <= cache_last[c]
 * (the sentinel's top sits above its last: no room); with lists,
 * cache_room[c] = cache_cap - length. Every cached block belongs to a slab this heap owns.
 * partial[c] lists exactly the owned slabs of class c with in_partial set. inbox is the only
 * field other threads write (a CAS push); batch_* only under the batch_busy/batch_steal
 * handshake described below. */
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

/* Invariant: written once per block when a slab is carved (refill.c), read by free; owner and
 * class never change while the slab lives. */
/* Research box HAK_RB_TINY_HEADER: the 16 bytes before every slab block. */
typedef struct hak_block_header {
    hak_heap *owner;
    uint8_t pad[7];
    uint8_t region_id; /* HAK_REGION_ID_TAG | class */
} hak_block_header;
#define HAK_REGION_ID_TAG 0xc0u

/* A range of a huge mapping (huge.c's blocks, huge_cache.c's cached spans). Invariants: start
 * and len are page multiples, len > 0, and [start, start + len) lies in one kernel mapping,
 * named by origin. */
/* origin names the kernel mapping (VMA) a span lies in: spans merge, and a block grows into the
 * span after it, only within one origin, because mremap fails on a range across two mappings.
 * huge.c hands out a new origin for every mmap and for every mremap that moves. */
typedef struct hak_span {
    char *start;
    size_t len; /* page multiple */
    uint64_t origin;
    /* What the allocator knows of the span's resident bytes without asking the kernel
     * (HAK_RB_HUGE_FAULT_BOUND): at most `resident` when the process had taken `faults` page
     * faults. In a mapping of 4 KiB pages every page made resident since is one fault, so at a
     * later count F it holds at most resident + (F - faults) * 4 KiB. A mapping that may take 2
     * MiB pages (thp) has no such bound; its `resident` is its length. Pages filled without a
     * fault of this process escape the bound: a block the program itself madvises to huge pages,
     * userfaultfd copies, another process's process_vm_writev. */
    size_t resident;
    uint64_t faults;
    bool thp;
} hak_span;

/* A slot of huge.c's registry of live huge blocks (open addressing, linear probing, at most
 * half full). Invariants: user != NULL exactly for a live block, user is the start of a mapping
 * huge.c made (or of a span taken from the cache) and [user, user + size) is handed out. */
typedef struct huge_entry {
    void *user;      /* block start; NULL = empty slot */
    size_t size;     /* length, page-rounded: the usable size */
    uint64_t origin; /* the kernel mapping it lies in (hak_span) */
    size_t resident; /* with faults and thp: what hak_span says of its resident bytes */
    uint64_t faults;
    bool thp;
} huge_entry;

#endif
