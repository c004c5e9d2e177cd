/* check.c -- misuse reports and the free checks run off the fast path (cold code only). */
#include "front.h"

#include <stdio.h>
#include <stdlib.h>

#include "os.h"

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

void hak_report_invalid_block(const void *p) {
    hak_report_fatal("invalid free", p, "not the start of a block hakmem handed out");
}

/* p's live bit was clear (or p is misaligned). Names the misuse the gates check; with them
 * off, the free goes ahead unchecked (the caller's choice). */
static void report_not_live(hak_slab *s, void *p) {
    if (!hak_is_block_start(s, p)) {
        if (hak_gate_check_invalid_free()) hak_report_invalid_block(p);
    } else if (hak_gate_check_double_free()) {
        hak_report_fatal("double free", p, "block is already free");
    }
}

void hak_free_run_checks(hak_heap *local_owner, hak_slab *s, void *p) {
    if (!HAK_LIVE_BITMAP) return; /* FAST: its check gates are constant 0 */
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
