/* superslab.h -- SuperSlabs (2 MiB-aligned OS regions) and the slabs carved from their chunks.
 *
 * A block's metadata is found from its address alone: round down to 2 MiB for the SuperSlab,
 * take bits 16..20 for the chunk, index the header's meta[] array. The region map
 * (g_hak_segmap, one byte per 2 MiB of address space) says whether an address belongs to a
 * SuperSlab, a huge mapping or nobody, so foreign pointers are recognised before any
 * dereference. hak_slab and hak_superslab, with their invariants, are in types.h. */
#ifndef HAKMEM_SUPERSLAB_H
#define HAKMEM_SUPERSLAB_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "types.h"

enum { HAK_SEG_NONE = 0, HAK_SEG_SLAB = 1, HAK_SEG_HUGE = 2 };
#define HAK_SEGMAP_ENTRIES ((size_t)1 << (47u - HAK_SS_SHIFT)) /* 47-bit user address space */

/* 64 MiB of .bss, untouched (and so free) except for the bytes of regions we own. */
extern uint8_t g_hak_segmap[HAK_SEGMAP_ENTRIES];

HAK_INLINE uint8_t hak_segmap_kind(uintptr_t addr) {
    return g_hak_segmap[(addr >> HAK_SS_SHIFT) & (HAK_SEGMAP_ENTRIES - 1)];
}
/* One test on every link followed (checked variants). */
HAK_INLINE bool hak_seg_is_slab(uint8_t kind) { return kind == HAK_SEG_SLAB; }

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
/* Fresh pages are about to be faulted in elsewhere (a huge mapping): unmaps up to `bytes` of the
 * warm pool beyond its fixed part (research box HAK_RB_SS_POOL_SCALE), so memory kept for reuse
 * never adds to the peak. Takes the SuperSlab lock: never call it holding the huge lock (fork
 * takes the SuperSlab lock first). */
void hak_superslab_pool_shed(size_t bytes);
void hak_superslab_lock(void);
void hak_superslab_unlock(void);
void hak_superslab_after_fork_child(void);
/* Marks or clears the region map for [addr, addr+size). */
void hak_segmap_set(const void *addr, size_t size, uint8_t kind);

#endif
