/* check.h -- the safety checks that the checked variants run on the fast path (gated by
 * configs/gates.def) and the one way hakmem reports misuse: a single line on stderr naming the
 * pointer, then abort.
 *
 * Free checks: the SuperSlab's live map (a byte per 16-byte granule, research box
 * HAK_RB_LIVE_BYTES, or a bitmap) marks a block's first granule while the block is handed out.
 * malloc sets the mark, free tests and clears it: a clear mark, or a pointer that is not 16-byte
 * aligned, is a double free, an interior pointer or a block never handed out, and
 * the slow path names which. No word of the block is read, so free never waits for the
 * program's last stores into it, and a double free is caught even after the program wrote into
 * the freed block (what the former key-in-the-block design missed, docs/performance.md). */
#ifndef HAKMEM_CHECK_H
#define HAKMEM_CHECK_H

#include "freelist.h"
#include "heap.h"

__attribute__((noreturn, cold)) void hak_report_fatal(const char *check, const void *p,
                                                      const char *detail);
__attribute__((noreturn, cold)) void hak_report_invalid_block(const void *p);
/* The free checks the gates enable for p in slab s. local_owner: the calling thread's heap
 * when it owns s, NULL for a remote free (with the bitmap, its bit is then cleared atomically). */
void hak_free_run_checks(hak_heap *local_owner, hak_slab *s, void *p);
/* Local free (h owns slab s) with the enabled checks, then the push. */
HAK_NOINLINE void hak_free_checked(hak_heap *h, hak_slab *s, void *p);

#if HAK_RB_LIVE_BYTES
/* ---- the live byte map (research box HAK_RB_LIVE_BYTES) ---------------------------------------
 * One byte per 16-byte granule of the SuperSlab, in its chunks 1..2: 1 while the block starting
 * there is handed out. A byte belongs to one block, so plain stores suffice on every side: only a
 * free of that block writes its 0, so no free can clear another block's state, and two frees
 * that race on one block can at worst both pass (a missed double free, never a false report). */
HAK_INLINE uint8_t *hak_live_byte(const void *p) {
    return (uint8_t *)hak_ss_of(p) + HAK_CHUNK_SIZE + ((uintptr_t)p & HAK_SS_MASK) / HAK_ALIGN;
}
HAK_INLINE void hak_live_set(void *p) { *hak_live_byte(p) = 1; }
/* Free (by any thread): true, and the byte cleared, if p starts a handed-out block. Plain
 * accesses, not relaxed atomics (the same instructions on x86), so the compiler folds the load
 * into the compare. */
HAK_INLINE bool hak_live_take(void *p) {
    uint8_t *b = hak_live_byte(p);
    if (HAK_UNLIKELY(((uintptr_t)p & (HAK_ALIGN - 1)) || *b != 1)) return false;
    *b = 0;
    return true;
}
HAK_INLINE bool hak_live_take_remote(void *p) { return hak_live_take(p); }
#else
/* ---- the live bitmap ---------------------------------------------------------------------- */
HAK_INLINE uint64_t *hak_live_word(const void *p) {
    return &hak_ss_of(p)->live[((uintptr_t)p & HAK_SS_MASK) / (HAK_ALIGN * 64)];
}
/* The bit's index in its word, modulo 64: bts and btr with a register operand take the index
 * modulo the width, so no mask is needed. */
HAK_INLINE uint64_t hak_live_index(const void *p) { return (uintptr_t)p / HAK_ALIGN; }

/* Sets (bts) or clears (btr) bit i % 64 of *v in a register; btr says whether the bit was set.
 * Register forms are single fast instructions (the memory forms are microcoded); written as
 * asm because clang builds the mask with a shift instead (4 more instructions per path). */
HAK_INLINE void hak_bit_set(uint64_t *v, uint64_t i) {
#if defined(__x86_64__)
    __asm__("btsq %1, %0" : "+r"(*v) : "r"(i) : "cc");
#else
    *v |= (uint64_t)1 << (i & 63);
#endif
}
HAK_INLINE bool hak_bit_test_clear(uint64_t *v, uint64_t i) {
#if defined(__x86_64__)
    bool was_set;
    __asm__("btrq %2, %0" : "+r"(*v), "=@ccc"(was_set) : "r"(i));
    return was_set;
#else
    bool was_set = (*v >> (i & 63)) & 1;
    *v &= ~((uint64_t)1 << (i & 63));
    return was_set;
#endif
}

/* Malloc (the owning thread): p is handed out. Relaxed load and store, not a locked RMW: a
 * remote free's atomic AND that lands in between is undone (its bit set again), which can only
 * hide a later double free of that block, never report a false one. */
HAK_INLINE void hak_live_set(void *p) {
    uint64_t *w = hak_live_word(p);
    uint64_t v = __atomic_load_n(w, __ATOMIC_RELAXED);
    hak_bit_set(&v, hak_live_index(p));
    __atomic_store_n(w, v, __ATOMIC_RELAXED);
}

/* Free by the owning thread: true, and the bit cleared, if p starts a handed-out block. */
HAK_INLINE bool hak_live_take(void *p) {
    uint64_t *w = hak_live_word(p);
    uint64_t v = __atomic_load_n(w, __ATOMIC_RELAXED);
    if (HAK_UNLIKELY(((uintptr_t)p & (HAK_ALIGN - 1)) || !hak_bit_test_clear(&v, hak_live_index(p))))
        return false;
    __atomic_store_n(w, v, __ATOMIC_RELAXED);
    return true;
}

/* Free by another thread: the same, with an atomic AND (the owner writes the same word). */
HAK_INLINE bool hak_live_take_remote(void *p) {
    uint64_t bit = (uint64_t)1 << (hak_live_index(p) & 63);
    if ((uintptr_t)p & (HAK_ALIGN - 1)) return false;
    return (__atomic_fetch_and(hak_live_word(p), ~bit, __ATOMIC_RELAXED) & bit) != 0;
}
#endif

/* Is p the first byte of a block handed out from slab s (chunk metadata of p)? The offset in the
 * slab comes from p's place in its chunk and the chunk's index in the slab (a slab starts on a
 * chunk boundary), so only p's own chunk metadata and the head's bump pointer are read. */
HAK_INLINE bool hak_is_block_start(hak_slab *s, const void *p) {
    uint32_t off = (uint32_t)((uintptr_t)p & (HAK_CHUNK_SIZE - 1)) +
                   ((uint32_t)s->head_offset << HAK_CHUNK_SHIFT) - HAK_BLOCK_HEADER_BYTES;
    return hak_class_divides(&g_hak_classes[s->cls], off) &&
           (const char *)p < (s - s->head_offset)->bump;
}

#endif
