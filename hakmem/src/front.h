/* front.h -- the malloc and free fast paths (the "tiny front" and its unified cache), inlined
 * into the API entry points. Each has one unlikely exit to a noinline slow path.
 *
 * malloc: size -> class (one table load), pop the thread's cache for that class.
 * free:   region map says "SuperSlab" -> chunk metadata by address arithmetic -> if this thread
 *         owns the slab, push onto its cache; otherwise post it to the owner's inbox.
 * The cache is an array of block pointers per class (research box HAK_RB_ARRAY_CACHE) or a
 * list linked through the blocks' first word. */
#ifndef HAKMEM_FRONT_H
#define HAKMEM_FRONT_H

#include "check.h"
#include "freelist.h"
#include "heap.h"

void *hak_malloc_slow(size_t size);
void hak_free_slow(void *p);

/* ---- the cache's storage (no checks): take the newest block, add one, ask how full --------- */
#if HAK_RB_ARRAY_CACHE
/* No word of a cached block is read or written, so the links' encoding (Standard, hardened)
 * never runs here: only slab free lists and inboxes, touched in refill, overflow and drain. */
HAK_INLINE void *hak_cache_take(hak_heap *h, uint32_t cls) {
    void **top = h->cache_top[cls];
    void *block = top[-1]; /* slot 0 holds NULL: an empty array reads it */
    if (HAK_UNLIKELY(!block)) return NULL;
    h->cache_top[cls] = top - 1;
    return block;
}
/* Only when hak_cache_has_room. */
HAK_INLINE void hak_cache_add(hak_heap *h, uint32_t cls, void *p) { *h->cache_top[cls]++ = p; }
/* An array has cache_cap + 1 slots after slot 0; cache_last is the last. Free fills it and then
 * calls the overflow, so the call is free's tail (no register to keep across it). */
HAK_INLINE bool hak_cache_has_room(const hak_heap *h, uint32_t cls) {
    return h->cache_top[cls] < h->cache_last[cls];
}
HAK_INLINE uint32_t hak_cache_length(const hak_heap *h, uint32_t cls) {
    return (uint32_t)((int64_t)g_hak_classes[cls].cache_cap - (h->cache_last[cls] - h->cache_top[cls]));
}
#else
HAK_INLINE void *hak_cache_take(hak_heap *h, uint32_t cls) {
    void **block = h->cache_head[cls];
    if (HAK_UNLIKELY(!block)) return NULL;
    h->cache_head[cls] = hak_link_get(block);
    h->cache_room[cls]++;
    return block;
}
HAK_INLINE void hak_cache_add(hak_heap *h, uint32_t cls, void *p) {
    hak_link_set(p, h->cache_head[cls]);
    h->cache_head[cls] = p;
    h->cache_room[cls]--;
}
HAK_INLINE bool hak_cache_has_room(const hak_heap *h, uint32_t cls) {
    return h->cache_room[cls] > 0;
}
/* cap + 1 while an overflow is pending (room wrapped to UINT32_MAX). */
HAK_INLINE uint32_t hak_cache_length(const hak_heap *h, uint32_t cls) {
    return g_hak_classes[cls].cache_cap - h->cache_room[cls];
}
#endif

HAK_INLINE void *hak_cache_pop(hak_heap *h, uint32_t cls) {
    void **block = hak_cache_take(h, cls);
    if (HAK_UNLIKELY(!block)) return NULL;
    /* Checked variants: the block is handed out (live bit), whatever the gates say, so a free
     * never tests them. */
    if (HAK_LIVE_BITMAP) hak_live_set(block);
    HAK_OBS_CLASS(h, alloc, cls);
    return block;
}

/* A block of class cls from heap h: its cache, else a refill; NULL when memory is out. */
HAK_INLINE void *hak_heap_alloc(hak_heap *h, uint32_t cls) {
    void *p = hak_cache_pop(h, cls);
    return p ? p : hak_cache_refill(h, cls);
}

/* unified_cache_push in the seed's vocabulary: p is a checked block of this heap. */
HAK_INLINE void hak_cache_push(hak_heap *h, uint32_t cls, void *p) {
    HAK_OBS_CLASS(h, free, cls);
#if HAK_RB_ARRAY_CACHE
    void **top = h->cache_top[cls];
    *top = p;
    h->cache_top[cls] = top + 1;
    if (HAK_UNLIKELY(top == h->cache_last[cls])) hak_cache_overflow(h, cls);
#else
    hak_link_set(p, h->cache_head[cls]);
    h->cache_head[cls] = p;
    if (HAK_UNLIKELY(h->cache_room[cls]-- == 0)) hak_cache_overflow(h, cls);
#endif
}

#if HAK_RB_PLANTED_WORK
/* Research box HAK_RB_PLANTED_WORK: the chain ends where it began (+N, then -N), so malloc's
 * result is unchanged; the barrier hides each step's value from the optimiser. */
HAK_INLINE size_t hak_planted_work(size_t size) {
    size_t x = size;
#pragma clang loop unroll(full)
    for (int i = 0; i < HAK_RB_PLANTED_WORK; i++) {
        x += 1;
        __asm__ volatile("" : "+r"(x));
    }
    return x - HAK_RB_PLANTED_WORK;
}
#endif

HAK_INLINE void *hak_alloc_fast(size_t size) {
#if HAK_RB_PLANTED_WORK
    size = hak_planted_work(size);
#endif
    if (HAK_LIKELY(size <= HAK_TINY_MAX)) {
        void *p = hak_cache_pop(t_hak_heap, g_hak_tiny_class_of[(size + 15) >> 4]);
        if (HAK_LIKELY(p != NULL)) return p;
    }
    return hak_malloc_slow(size);
}

/* Frees p if it is a block of a slab h owns and needs no check; false sends p to hak_free_slow.
 * One slow call site for every exit keeps the inlined free small: with ThinLTO a caller may
 * inline it only under the inliner's cost threshold. */
HAK_INLINE bool hak_free_local(hak_heap *h, void *p) {
    /* NULL, huge, foreign; and every slab block while Standard runs the block-start check */
    if (HAK_UNLIKELY(hak_segmap_kind((uintptr_t)p) != HAK_SEG_SLAB)) return false;
    if (HAK_RB_TINY_HEADER && !hak_gate_check_invalid_free() && !hak_gate_check_double_free()) {
        /* Research box: owner and class from the block's own header, no chunk metadata. */
        hak_block_header *hdr = hak_block_header_of(p);
        if (HAK_UNLIKELY(hdr->owner != h)) return false;
        hak_cache_push(h, hdr->region_id & ~HAK_REGION_ID_TAG, p);
        return true;
    }
    hak_slab *s = hak_slab_of(p);
    if (HAK_UNLIKELY(s->owner != h)) return false; /* another thread's block, or not a live one */
    if (HAK_HOT_GATES_CONSTANT && hak_gate_check_invalid_free()) { /* hardened: out of line */
        hak_free_checked(h, s, p);
        return true;
    }
    /* Standard: the block's live state (a compare and a store into the SuperSlab's live map,
     * check.h; no word of the block), whatever the gates say; a failed test goes to the slow
     * path, which runs the checks the gates enable. */
    if (HAK_LIVE_BITMAP && HAK_UNLIKELY(!hak_live_take(p))) return false;
    hak_cache_push(h, s->cls, p);
    return true;
}

HAK_INLINE void hak_free_fast(void *p) {
    if (HAK_UNLIKELY(!hak_free_local(t_hak_heap, p))) hak_free_slow(p);
}

#endif
