/* freelist.h -- how a free block points to the next one. Every free list (thread caches, slab
 * free lists, inboxes) links blocks through their first word with these two functions, so the
 * hardened encoding (gate encode_free_list) applies everywhere at once.
 *
 * Encoded form: next ^ (address of the word >> 12) ^ per-process secret, as glibc's
 * safe-linking plus a key: an attacker who overwrites a free block's first word cannot aim
 * the next malloc without knowing both, and a decoded pointer outside every SuperSlab aborts. */
#ifndef HAKMEM_FREELIST_H
#define HAKMEM_FREELIST_H

#include "config.h"
#include "superslab.h"

/* The per-process random link key, set at start-up. */
extern uintptr_t g_hak_link_key;

__attribute__((noreturn, cold)) void hak_report_corrupt_link(const void *block);

HAK_INLINE uintptr_t hak_link_mask(const void *block) {
    return ((uintptr_t)block >> 12) ^ g_hak_link_key;
}

HAK_INLINE void hak_link_set(void *block, void *next) {
    uintptr_t v = (uintptr_t)next;
    if (hak_gate_encode_free_list()) v ^= hak_link_mask(block);
    *(uintptr_t *)block = v;
}

HAK_INLINE void *hak_link_get(const void *block) {
    uintptr_t v = *(const uintptr_t *)block;
    if (hak_gate_encode_free_list()) {
        v ^= hak_link_mask(block);
        /* NULL's region is no SuperSlab either: the common case costs one test. */
        if (HAK_UNLIKELY(!hak_seg_is_slab(hak_segmap_kind(v))) && v) hak_report_corrupt_link(block);
    }
    return (void *)v;
}

#endif
