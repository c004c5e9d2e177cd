/* remote.c -- frees of other threads' blocks: the owner's inbox (one CAS per post, drained by
 * the owner) and the per-owner batches of research box HAK_RB_REMOTE_BATCH with their membarrier
 * reclaim. */
#include "remote.h"

#include <stdatomic.h>

#include "front.h"
#include "os.h"

void hak_inbox_drain(hak_heap *h) {
    void *p = atomic_exchange_explicit(&h->inbox, NULL, memory_order_acquire);
    while (p) {
        void *next = hak_link_get(p);
        uint32_t cls = hak_slab_of(p)->cls;
        if (hak_cache_has_room(h, cls)) hak_cache_add(h, cls, p);
        else hak_slab_put(h, p);
        HAK_OBS(h, inbox_drained);
        p = next;
    }
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
    /* A batch needs a heap of this thread's own. */
    hak_heap *h = HAK_RB_REMOTE_BATCH && g_batch_on ? hak_heap_acquire() : t_hak_heap;
    if (HAK_RB_REMOTE_BATCH && g_batch_on && h) {
        remote_batch_add(h, owner, p);
    } else {
        inbox_push_chain(owner, p, p);
    }
    if (h && h != &g_hak_empty_heap) HAK_OBS(h, remote_frees);
}
