/* superslab.h -- SuperSlabs (2 MiB-aligned OS regions) and the slabs carved from their chunks.
 *
 * A block's metadata is found from its address alone: round down to 2 MiB for the SuperSlab,
 * take bits 16..20 for the chunk, index the header's meta[] array. The region map
 * (g_hak_segmap, one byte per 2 MiB of address space) says whether an address belongs to a
 * SuperSlab, a huge mapping or nobody, so foreign pointers are recognised before any
 * dereference. */
#ifndef HAKMEM_SUPERSLAB_H
#define HAKMEM_SUPERSLAB_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "config.h"

struct hak_heap;

enum { HAK_SEG_NONE = 0, HAK_SEG_SLAB = 1, HAK_SEG_HUGE = 2 };
#define HAK_SEGMAP_ENTRIES ((size_t)1 << (47u - HAK_SS_SHIFT)) /* 47-bit user address space */

/* 64 MiB of .bss, untouched (and so free) except for the bytes of regions we own. */
extern uint8_t g_hak_segmap[HAK_SEGMAP_ENTRIES];

HAK_INLINE uint8_t hak_segmap_kind(uintptr_t addr) {
    return g_hak_segmap[(addr >> HAK_SS_SHIFT) & (HAK_SEGMAP_ENTRIES - 1)];
}
/* One test on every link followed (checked variants). */
HAK_INLINE bool hak_seg_is_slab(uint8_t kind) { return kind == HAK_SEG_SLAB; }

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

typedef struct hak_superslab {
    uint64_t magic;
    uint32_t free_chunks;  /* bit i set: chunk i is not part of any slab */
    uint32_t dirty_chunks; /* bit i set: chunk i was touched since its last decommit */
    struct hak_superslab *next, *prev; /* global list: partially used, or warm pool */
    uint64_t pad[4];
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

HAK_INLINE hak_superslab *hak_ss_of(const void *p) {
    return (hak_superslab *)((uintptr_t)p & ~(uintptr_t)HAK_SS_MASK);
}
HAK_INLINE hak_slab *hak_slab_of(const void *p) {
    return &hak_ss_of(p)->meta[((uintptr_t)p >> HAK_CHUNK_SHIFT) & (HAK_CHUNKS_PER_SS - 1)];
}
/* Prewarm the pool at start-up according to the gates (maps HAKMEM_SS_PREWARM SuperSlabs). */
void hak_superslab_prewarm(void);
/* A new slab of class cls for heap `owner`, or NULL when the OS has no memory. Takes the lock. */
hak_slab *hak_slab_new(struct hak_heap *owner, uint32_t cls);
/* Gives an empty slab's chunks back; an empty SuperSlab goes to the warm pool or the OS. */
void hak_slab_release(hak_slab *s);
void hak_superslab_lock(void);
void hak_superslab_unlock(void);
void hak_superslab_after_fork_child(void);
/* Marks or clears the region map for [addr, addr+size). */
void hak_segmap_set(const void *addr, size_t size, uint8_t kind);

#endif
