/* size_class.h -- the size-class table: 16 B steps up to 128 B, then four classes per power of
 * two up to 1 MiB (at most 20 % waste above 128 B). Over uniform 16..1024 B requests the
 * allocated bytes exceed the requested ones by 8.3 % on average, against 33.2 % for the seed's
 * power-of-two classes (computed over every size; docs/performance.md). Classes 0..19 are the
 * tiny front (16..1024 B). */
#ifndef HAKMEM_SIZE_CLASS_H
#define HAKMEM_SIZE_CLASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "research_boxes.h"

#define HAK_TINY_CLASSES 20u
#define HAK_NUM_CLASSES 60u

typedef struct hak_class_info {
    uint32_t size;        /* usable size */
    uint32_t stride;      /* distance between blocks: size plus any block header */
    uint32_t slab_chunks; /* 64 KiB chunks per slab */
    uint32_t capacity;    /* blocks per slab */
    uint32_t cache_cap;   /* per-thread unified-cache bound */
    uint32_t refill;      /* blocks moved per refill */
    /* Exact divisibility test for invalid-free checks (Lemire, Kaser & Kurz 2019): for a
     * 32-bit off, off % stride == 0 iff off * div_magic (mod 2^64) < div_magic, where
     * div_magic = 2^64 / stride rounded up. One multiply and one compare. */
    uint64_t div_magic;
} hak_class_info;

extern hak_class_info g_hak_classes[HAK_NUM_CLASSES];
extern const uint8_t g_hak_tiny_class_of[HAK_TINY_MAX / 16 + 1];

void hak_size_classes_init(void);

/* Class of a request of 1..HAK_SLAB_MAX bytes (0 maps to class 0). */
HAK_INLINE uint32_t hak_class_of(size_t size) {
    if (HAK_LIKELY(size <= HAK_TINY_MAX)) return g_hak_tiny_class_of[(size + 15) >> 4];
    size_t s = size - 1;
    uint32_t msb = 63u - (uint32_t)__builtin_clzll(s);
    return 8u + (msb - 7u) * 4u + (uint32_t)((s >> (msb - 2u)) & 3u);
}

HAK_INLINE bool hak_class_divides(const hak_class_info *ci, uint32_t off) {
    return (uint64_t)off * ci->div_magic < ci->div_magic;
}

#endif
