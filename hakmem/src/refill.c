/* refill.c -- the front's slow paths: refill a class's cache from the heap's slabs (creating
 * one when none has room) and flush an overflowing cache back to its slabs (releasing slabs that
 * become empty). Blocks that other threads freed arrive through remote.c. */
#include <stdatomic.h>

#include "front.h"
#include "huge.h"
#include "remote.h"

static void partial_push(hak_heap *h, hak_slab *s) {
    s->prev = NULL;
    s->next = h->partial[s->cls];
    if (s->next) s->next->prev = s;
    h->partial[s->cls] = s;
    s->in_partial = 1;
}

static void partial_remove(hak_heap *h, hak_slab *s) {
    if (s->prev) s->prev->next = s->next;
    else h->partial[s->cls] = s->next;
    if (s->next) s->next->prev = s->prev;
    s->next = s->prev = NULL;
    s->in_partial = 0;
}

/* Returns block p to its slab. An emptied slab is released unless it is the class's only slab
 * with room, which stays to absorb the next refill (no chunk churn at a slab boundary). */
void hak_slab_put(hak_heap *h, void *p) {
    hak_slab *s = hak_slab_of(p);
    s -= s->head_offset;
    hak_link_set(p, s->free);
    s->free = p;
    s->used--;
    if (!s->in_partial) partial_push(h, s);
    if (s->used == 0 && (h->partial[s->cls] != s || s->next)) {
        partial_remove(h, s);
        HAK_OBS(h, slabs_released);
        hak_slab_release(s);
    }
}

/* Moves the n newest cached blocks of cls (or all there are) back to their slabs. */
static void flush_blocks(hak_heap *h, uint32_t cls, uint32_t n) {
    void *p;
    for (; n > 0 && (p = hak_cache_take(h, cls)); n--) hak_slab_put(h, p);
}

void *hak_cache_refill(hak_heap *h, uint32_t cls) {
    HAK_OBS(h, refills);
    if (HAK_RB_REMOTE_BATCH) hak_remote_batch_flush(h); /* send pending frees home first */
    if (atomic_load_explicit(&h->inbox, memory_order_relaxed)) {
        hak_inbox_drain(h);
        void *p = hak_cache_pop(h, cls);
        if (p) return p;
    }
    const hak_class_info *ci = &g_hak_classes[cls];
    uint32_t want = ci->refill;
    bool reclaimed = false;
    while (want > 0) {
        hak_slab *s = h->partial[cls];
        if (!s) {
            /* Before carving a slab: the blocks other threads still hold in pending batches for
             * this heap (research box HAK_RB_REMOTE_BATCH), once per refill. The cache of cls was
             * empty, so what the drain put there fits; the rest went back to its slabs. */
            if (HAK_RB_REMOTE_BATCH && !reclaimed) {
                reclaimed = true;
                if (hak_remote_batch_reclaim(h)) {
                    hak_inbox_drain(h);
                    void *p = hak_cache_pop(h, cls);
                    if (p) return p;
                    continue;
                }
            }
            hak_huge_tick(); /* a rare, slow moment: let the huge cache give back idle memory */
            if (!(s = hak_slab_new(h, cls))) break; /* out of memory: serve what we have */
            HAK_OBS(h, slabs_created);
            partial_push(h, s);
        }
        for (; want > 0 && s->free; want--, s->used++) {
            void *p = s->free;
            s->free = hak_link_get(p);
            hak_cache_add(h, cls, p);
        }
        for (; want > 0 && s->bump < s->end; want--, s->used++) {
            void *p = s->bump + HAK_BLOCK_HEADER_BYTES;
            if (HAK_RB_TINY_HEADER) tiny_region_id_write_header(h, p, cls);
            hak_cache_add(h, cls, p);
            s->bump += ci->stride;
        }
        if (!s->free && s->bump >= s->end) partial_remove(h, s);
    }
    return hak_cache_pop(h, cls);
}

void hak_cache_overflow(hak_heap *h, uint32_t cls) {
    HAK_OBS(h, flushes);
    /* keep half of cap */
    flush_blocks(h, cls, hak_cache_length(h, cls) - g_hak_classes[cls].cache_cap / 2);
}

void hak_heap_flush(hak_heap *h) {
    hak_remote_batch_flush(h);
    hak_inbox_drain(h);
    for (uint32_t cls = 0; cls < HAK_NUM_CLASSES; cls++) {
        flush_blocks(h, cls, UINT32_MAX);
        for (hak_slab *s = h->partial[cls], *next; s; s = next) {
            next = s->next;
            if (s->used == 0) {
                partial_remove(h, s);
                hak_slab_release(s);
            }
        }
    }
}
