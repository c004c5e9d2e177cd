/* check.h -- the safety checks that Standard runs on the fast path (gated by configs/gates.def)
 * and the one way hakmem reports misuse: a single line on stderr naming the pointer, then abort.
 *
 * Double free: a free block carries a per-process random key in its second word (blocks are at
 * least 16 bytes); free of a block already holding the key is confirmed by walking the lists it
 * could be on before aborting, so user data that happens to match costs a walk, never a false
 * report. */
#ifndef HAKMEM_CHECK_H
#define HAKMEM_CHECK_H

#include "heap.h"

extern uintptr_t g_hak_free_key;

__attribute__((noreturn, cold)) void hak_report_fatal(const char *check, const void *p,
                                                      const char *detail);
void hak_double_free_confirm(hak_heap *h, uint32_t cls, void *p);

HAK_INLINE void hak_free_key_clear(void **block) { block[1] = NULL; }

HAK_INLINE void hak_free_key_check_and_set(hak_heap *h, uint32_t cls, void *p) {
    uintptr_t *word = (uintptr_t *)p;
    if (HAK_UNLIKELY(word[1] == g_hak_free_key)) hak_double_free_confirm(h, cls, p);
    word[1] = g_hak_free_key;
}

/* p must be the first byte of a block handed out from slab s. */
HAK_INLINE void hak_check_block_start(hak_slab *s, const void *p) {
    hak_slab *head = s - s->head_offset;
    const hak_class_info *ci = &g_hak_classes[s->cls];
    uintptr_t off = (uintptr_t)p - (uintptr_t)hak_slab_base(s);
    if (HAK_UNLIKELY(!hak_class_divides(ci, (uint32_t)off) || (const char *)p >= head->bump))
        hak_report_fatal("invalid free", p, "not the start of a block hakmem handed out");
}

#endif
