/* check.c -- misuse reports and the double-free confirmation walk (cold code only). */
#include "front.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "os.h"

uintptr_t g_hak_free_key;
uintptr_t g_hak_link_key;

void hak_report_fatal(const char *check, const void *p, const char *detail) {
    char line[256];
    int n = snprintf(line, sizeof line, "hakmem: %s of %p: %s (variant %s); aborting\n", check, p,
                     detail, HAK_VARIANT_NAME);
    if (n > 0) hak_os_write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    abort();
}

void hak_report_corrupt_link(const void *block) {
    hak_report_fatal("free-list corruption", block,
                     "the next pointer in this free block was overwritten (use after free?)");
}

static int list_contains(void *list, const void *p, uint32_t limit) {
    for (; list && limit > 0; list = hak_link_get(list), limit--)
        if (list == p) return 1;
    return 0;
}

static int cache_contains(hak_heap *h, uint32_t cls, const void *p) {
#if HAK_RB_ARRAY_CACHE
    for (void **slot = h->cache_top[cls]; *--slot;) /* down to slot 0's NULL */
        if (*slot == p) return 1;
    return 0;
#else
    return list_contains(h->cache_head[cls], p, g_hak_classes[cls].cache_cap + 1);
#endif
}

void hak_report_invalid_block(const void *p) {
    hak_report_fatal("invalid free", p, "not the start of a block hakmem handed out");
}

/* The key matched: p is a double free only if it really sits on a free list (otherwise user
 * data merely matched the key). The lists it can be on are this thread's cache for its class,
 * its slab's free list and the heap's inbox. */
static void confirm_double_free(hak_heap *h, hak_slab *s, void *p) {
    uint32_t cls = s->cls;
    hak_slab *head = s - s->head_offset;
    void *inbox = atomic_load_explicit(&h->inbox, memory_order_acquire);
    if (cache_contains(h, cls, p) ||
        list_contains(head->free, p, g_hak_classes[cls].capacity) ||
        list_contains(inbox, p, UINT32_MAX))
        hak_report_fatal("double free", p, "block is already free");
}

/* Live-bitmap design: p's bit was clear (or p is misaligned). Names the misuse the gates check;
 * with them off, the free goes ahead unchecked as before (the caller's choice). */
static void report_not_live(hak_slab *s, void *p) {
    if (!hak_is_block_start(s, p)) {
        if (hak_gate_check_invalid_free()) hak_report_invalid_block(p);
    } else if (hak_gate_check_double_free()) {
        hak_report_fatal("double free", p, "block is already free");
    }
}

static void run_key_checks(hak_heap *local_owner, hak_slab *s, void *p) {
    if (hak_gate_check_invalid_free() && !hak_is_block_start(s, p)) hak_report_invalid_block(p);
    if (hak_gate_check_double_free()) {
        uintptr_t *word = p;
        if (HAK_UNLIKELY(word[1] == g_hak_free_key)) {
            if (!local_owner) /* another thread's lists cannot be walked safely */
                hak_report_fatal("double free", p, "block freed twice (from another thread)");
            confirm_double_free(local_owner, s, p);
        }
        word[1] = g_hak_free_key;
    }
}

void hak_free_run_checks(hak_heap *local_owner, hak_slab *s, void *p) {
    if (!HAK_LIVE_BITMAP) {
        run_key_checks(local_owner, s, p);
        return;
    }
    bool live = local_owner ? hak_live_take(p) : hak_live_take_remote(p);
    if (HAK_UNLIKELY(!live)) report_not_live(s, p);
    /* Hardened keeps the exact block-start check even for a live bit (belt and braces against
     * a bitmap word damaged by a wild write into the SuperSlab header). */
    else if (HAK_HOT_GATES_CONSTANT && hak_gate_check_invalid_free() && !hak_is_block_start(s, p))
        hak_report_invalid_block(p);
}

void hak_free_checked(hak_heap *h, hak_slab *s, void *p) {
    hak_free_run_checks(h, s, p);
    hak_cache_push(h, s->cls, p);
}
