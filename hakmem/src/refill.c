/* refill.c -- the front's slow paths: refill a class's cache from the heap's slabs (creating
 * one when none has room), flush an overflowing cache back to its slabs (releasing slabs that
 * become empty), and move blocks between threads through the owner's inbox. */
#include <stdatomic.h>

#include "front.h"
#include "huge.h"
#include "os.h"

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
                    drain_inbox(h);
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

/* Pushes the chain first..last (already linked) onto owner's inbox with one CAS. */
static void inbox_push_chain(hak_heap *owner, void *first, void *last) {
    void *head = atomic_load_explicit(&owner->inbox, memory_order_relaxed);
    do {
        hak_link_set(last, head);
    } while (!atomic_compare_exchange_weak_explicit(&owner->inbox, &head, first, memory_order_release,
                                                    memory_order_relaxed));
}

/* ---- research box HAK_RB_REMOTE_BATCH ------------------------------------------------------ */
/* A thread freeing other threads' blocks collects up to HAK_RB_REMOTE_BATCH of them for one
 * owner and posts them with one CAS. What a plain lock-free push pays per block is less the CAS
 * itself than the full fence it implies: it waits for the store of the block's link, whose line
 * the allocating thread wrote last. A batch only stores.
 *
 * A pending batch must not strand its blocks when its thread then sleeps for ever, so the owner
 * may take it (hak_remote_batch_reclaim, when it would otherwise carve a new slab). The two sides
 * run a Dekker handshake: the freeing thread sets batch_busy, then reads batch_steal; the owner
 * sets batch_steal, then reads batch_busy. The fence the freeing side would need between its
 * store and its load is supplied by the owner's membarrier(2), which makes every running thread
 * of the process execute one, so either the freeing thread sees the steal and keeps off the
 * batch, or the owner sees it busy and leaves the batch alone this time. The per-free cost stays
 * two plain stores and a load. Batching is on only if membarrier registered at start-up. */
static bool g_batch_on;

bool hak_remote_batch_init(void) {
    g_batch_on = HAK_RB_REMOTE_BATCH && hak_os_membarrier_register();
    return g_batch_on;
}

static bool batch_enter(hak_heap *h) {
    __atomic_store_n(&h->batch_busy, 1, __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* the CPU fence is the owner's membarrier */
    if (!__atomic_load_n(&h->batch_steal, __ATOMIC_ACQUIRE)) return true;
    __atomic_store_n(&h->batch_busy, 0, __ATOMIC_RELEASE); /* the owner is taking the batch */
    return false;
}

static void batch_leave(hak_heap *h) { __atomic_store_n(&h->batch_busy, 0, __ATOMIC_RELEASE); }

/* Posts h's batch (inside batch_enter/leave, or by the owner once the handshake gave it h's). */
static void batch_post(hak_heap *h) {
    if (!h->batch_count) return;
    inbox_push_chain(h->batch_owner, h->batch_head, h->batch_tail);
    __atomic_store_n(&h->batch_owner, NULL, __ATOMIC_RELAXED);
    __atomic_store_n(&h->batch_count, 0, __ATOMIC_RELAXED);
}

void hak_remote_batch_flush(hak_heap *h) {
    if (!__atomic_load_n(&h->batch_count, __ATOMIC_RELAXED) || !batch_enter(h)) return;
    batch_post(h);
    batch_leave(h);
}

static void remote_batch_add(hak_heap *h, hak_heap *owner, void *p) {
    if (!batch_enter(h)) {
        inbox_push_chain(owner, p, p);
        return;
    }
    if (h->batch_owner != owner) {
        batch_post(h);
        __atomic_store_n(&h->batch_owner, owner, __ATOMIC_RELAXED);
        h->batch_tail = p;
        hak_link_set(p, NULL);
    } else {
        hak_link_set(p, h->batch_head);
    }
    h->batch_head = p;
    __atomic_store_n(&h->batch_count, h->batch_count + 1, __ATOMIC_RELAXED);
    if (h->batch_count >= HAK_RB_REMOTE_BATCH) batch_post(h);
    batch_leave(h);
}

typedef struct {
    hak_heap *owner;
    bool asked, took;
} reclaim_pass;

/* Pass 1: claim the steal of every batch pending for the owner (one stealer at a time). */
static void reclaim_ask(hak_heap *f, void *arg) {
    reclaim_pass *r = arg;
    hak_heap *none = NULL;
    if (f == r->owner || __atomic_load_n(&f->batch_owner, __ATOMIC_RELAXED) != r->owner ||
        !__atomic_load_n(&f->batch_count, __ATOMIC_RELAXED))
        return;
    if (__atomic_compare_exchange_n(&f->batch_steal, &none, r->owner, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_RELAXED))
        r->asked = true;
}

/* Pass 2, after the membarrier: take the batches of the threads not inside an update. */
static void reclaim_take(hak_heap *f, void *arg) {
    reclaim_pass *r = arg;
    if (__atomic_load_n(&f->batch_steal, __ATOMIC_RELAXED) != r->owner) return;
    if (!__atomic_load_n(&f->batch_busy, __ATOMIC_ACQUIRE) && f->batch_owner == r->owner &&
        f->batch_count) {
        batch_post(f);
        r->took = true;
    }
    __atomic_store_n(&f->batch_steal, NULL, __ATOMIC_RELEASE);
}

bool hak_remote_batch_reclaim(hak_heap *h) {
    if (!g_batch_on) return false;
    reclaim_pass r = {.owner = h};
    hak_heaps_for_each(reclaim_ask, &r);
    if (!r.asked) return false;
    hak_os_membarrier();
    hak_heaps_for_each(reclaim_take, &r);
    return r.took;
}

void hak_remote_free(hak_slab *s, void *p) {
    hak_heap *owner = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);
    if (HAK_UNLIKELY(!owner))
        hak_report_fatal("invalid free", p, "inside a hakmem region but in no live slab");
    hak_free_run_checks(NULL, s, p);
    hak_heap *h = HAK_RB_REMOTE_BATCH && g_batch_on ? hak_heap_acquire() : t_hak_heap;
    if (HAK_RB_REMOTE_BATCH && g_batch_on && h) {
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
