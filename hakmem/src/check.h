/* check.h -- the safety checks that Standard runs on the fast path (gated by configs/gates.def)
 * and the one way hakmem reports misuse: a single line on stderr naming the pointer, then abort.
 *
 * Double free: a free block carries a per-process random key in its second word (blocks are at
 * least 16 bytes); free of a block already holding the key is confirmed by walking the lists it
 * could be on before aborting, so user data that happens to match costs a walk, never a false
 * report. */
#ifndef HAKMEM_CHECK_H
#define HAKMEM_CHECK_H

#include "freelist.h"
#include "heap.h"

__attribute__((noreturn, cold)) void hak_report_fatal(const char *check, const void *p,
                                                      const char *detail);
__attribute__((noreturn, cold)) void hak_report_invalid_block(const void *p);
/* The free checks the gates enable (block start, double free) for p in slab s. local_owner:
 * the calling thread's heap when it owns s (a key match is then confirmed by walking its
 * lists), NULL for a remote free (a key match is fatal). */
void hak_free_run_checks(hak_heap *local_owner, hak_slab *s, void *p);
/* Local free (h owns slab s) with the enabled checks, then the push. */
HAK_NOINLINE void hak_free_checked(hak_heap *h, hak_slab *s, void *p);

HAK_INLINE void hak_free_key_clear(void **block) { block[1] = NULL; }

/* Is p the first byte of a block handed out from slab s (chunk metadata of p)? */
HAK_INLINE bool hak_is_block_start(hak_slab *s, const void *p) {
    hak_slab *head = s - s->head_offset;
    uintptr_t off = (uintptr_t)p - (uintptr_t)head->block_base - HAK_BLOCK_HEADER_BYTES;
    return hak_class_divides(&g_hak_classes[s->cls], (uint32_t)off) && (const char *)p < head->bump;
}

#endif
