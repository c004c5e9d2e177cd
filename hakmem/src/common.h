/* common.h -- constants and compiler helpers shared by every hakmem source file.
 *
 * Geometry: memory comes from the OS in 2 MiB-aligned SuperSlabs of 32 chunks of 64 KiB; chunk 0
 * holds the SuperSlab header and the per-chunk slab metadata, chunks 1..31 hold blocks. */
#ifndef HAKMEM_COMMON_H
#define HAKMEM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "hakmem.h"

#define HAK_LIKELY(x) __builtin_expect(!!(x), 1)
#define HAK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HAK_INLINE static inline __attribute__((always_inline))
#define HAK_NOINLINE __attribute__((noinline))
#define HAK_EXPORT __attribute__((visibility("default")))

#define HAK_SS_SHIFT 21u /* SuperSlab: 2 MiB */
#define HAK_SS_SIZE ((size_t)1 << HAK_SS_SHIFT)
#define HAK_SS_MASK (HAK_SS_SIZE - 1)
#define HAK_CHUNK_SHIFT 16u /* chunk: 64 KiB */
#define HAK_CHUNK_SIZE ((size_t)1 << HAK_CHUNK_SHIFT)
#define HAK_CHUNKS_PER_SS 32u

#define HAK_ALIGN 16u                          /* every block is at least 16-byte aligned */
#define HAK_TINY_MAX 1024u                     /* tiny front: 16..1024 B */
#define HAK_SLAB_MAX ((size_t)1 << 20)         /* above 1 MiB: huge, mapped directly */
#define HAK_PAGE_SIZE 4096u

/* Sizes above this can never be satisfied (the OS cannot map them): fail fast with ENOMEM. */
#define HAK_SIZE_LIMIT ((size_t)PTRDIFF_MAX - ((size_t)64 << 20))

#endif
