/* refill.c -- the front's slow paths: refill a class's cache from the heap's slabs (creating
 * one when none has room), flush an overflowing cache back to its slabs (releasing slabs that
 * become empty), and move blocks between threads through the owner's inbox. */
#include <stdatomic.h>

#include "front.h"
#include "huge.h"

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
static void slab_put(hak_heap *h, void *p) {
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
    for (; n > 0 && (p = hak_cache_take(h, cls)); n--) slab_put(h, p);
}

static void drain_inbox(hak_heap *h) {
    void *p = atomic_exchange_explicit(&h->inbox, NULL, memory_order_acquire);
    while (p) {
        void *next = hak_link_get(p);
        uint32_t cls = hak_slab_of(p)->cls;
        if (hak_cache_has_room(h, cls)) hak_cache_add(h, cls, p);
        else slab_put(h, p);
        HAK_OBS(h, inbox_drained);
        p = next;
    }
}

void *hak_cache_refill(hak_heap *h, uint32_t cls) {
    HAK_OBS(h, refills);
    if (HAK_RB_REMOTE_BATCH) hak_remote_batch_flush(h); /* send pending frees home first */
    if (atomic_load_explicit(&h->inbox, memory_order_relaxed)) {
        drain_inbox(h);
        void *p = hak_cache_pop(h, cls);
        if (p) return p;
    }
    const hak_class_info *ci = &g_hak_classes[cls];
    uint32_t want = ci->refill;
    while (want > 0) {
        hak_slab *s = h->partial[cls];
        if (!s) {
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

/* Pushes the chain first..last (already linked) onto owner's inbox with one CAS. */
static void inbox_push_chain(hak_heap *owner, void *first, void *last) {
    void *head = atomic_load_explicit(&owner->inbox, memory_order_relaxed);
    do {
        hak_link_set(last, head);
    } while (!atomic_compare_exchange_weak_explicit(&owner->inbox, &head, first, memory_order_release,
                                                    memory_order_relaxed));
}

void hak_remote_batch_flush(hak_heap *h) {
    if (!h->batch_count) return;
    inbox_push_chain(h->batch_owner, h->batch_head, h->batch_tail);
    h->batch_owner = NULL;
    h->batch_count = 0;
}

static void remote_batch_add(hak_heap *h, hak_heap *owner, void *p) {
    if (h->batch_owner != owner) {
        hak_remote_batch_flush(h);
        h->batch_owner = owner;
        h->batch_tail = p;
        hak_link_set(p, NULL);
    } else {
        hak_link_set(p, h->batch_head);
    }
    h->batch_head = p;
    if (++h->batch_count >= HAK_RB_REMOTE_BATCH) hak_remote_batch_flush(h);
}

void hak_remote_free(hak_slab *s, void *p) {
    hak_heap *owner = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);
    if (HAK_UNLIKELY(!owner))
        hak_report_fatal("invalid free", p, "inside a hakmem region but in no live slab");
    hak_free_run_checks(NULL, s, p);
    hak_heap *h = HAK_RB_REMOTE_BATCH ? hak_heap_acquire() : t_hak_heap;
    if (HAK_RB_REMOTE_BATCH && h) {
        remote_batch_add(h, owner, p);
    } else {
        inbox_push_chain(owner, p, p);
    }
    if (h && h != &g_hak_empty_heap) HAK_OBS(h, remote_frees);
}

void hak_heap_flush(hak_heap *h) {
    hak_remote_batch_flush(h);
    drain_inbox(h);
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
