/* pattern.h -- position-dependent fill patterns for block-integrity checks.
 * Byte i of a block with key k is a function of (k, i), so a block overwritten by another block,
 * shifted by a faulty copy or partly zeroed is caught wherever the damage lands. */
#ifndef HAKMEM_TESTS_PATTERN_H
#define HAKMEM_TESTS_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t pattern_key(uint64_t a, uint64_t b) {
    uint64_t k = (a + 1) * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL;
    return k ^ (k >> 29);
}

/* __builtin_memcpy: the tests build with -fno-builtin, which would make every 8-byte memcpy a call. */

static inline uint64_t pattern_word_(uint64_t key, size_t word) {
    return key ^ ((uint64_t)word * 0xD6E8FEB86659FD93ULL);
}

/* Fills bytes [from, to) of p with key's pattern (the pattern is the same whatever `from` is). */
static inline void pattern_fill_range(void *p, size_t from, size_t to, uint64_t key) {
    unsigned char *b = (unsigned char *)p;
    size_t i = from;
    while (i < to && (i & 7)) {
        uint64_t w = pattern_word_(key, i >> 3);
        b[i] = (unsigned char)(w >> ((i & 7) * 8));
        i++;
    }
    for (; i + 8 <= to; i += 8) {
        uint64_t w = pattern_word_(key, i >> 3);
        __builtin_memcpy(b + i, &w, 8);
    }
    for (; i < to; i++) {
        uint64_t w = pattern_word_(key, i >> 3);
        b[i] = (unsigned char)(w >> ((i & 7) * 8));
    }
}

static inline void pattern_fill(void *p, size_t n, uint64_t key) { pattern_fill_range(p, 0, n, key); }

/* Returns the offset of the first byte of [0, n) that differs from key's pattern, or -1. */
static inline long pattern_check(const void *p, size_t n, uint64_t key) {
    const unsigned char *b = (const unsigned char *)p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, b + i, 8);
        if (w != pattern_word_(key, i >> 3)) break;
    }
    for (; i < n; i++) {
        uint64_t w = pattern_word_(key, i >> 3);
        if (b[i] != (unsigned char)(w >> ((i & 7) * 8))) return (long)i;
    }
    return -1;
}

/* Returns the offset of the first non-zero byte of [0, n), or -1. */
static inline long zero_check(const void *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];
        __builtin_memcpy(w, b + i, 32);
        if (w[0] | w[1] | w[2] | w[3]) break;
    }
    for (; i < n; i++)
        if (b[i]) return (long)i;
    return -1;
}

#endif /* HAKMEM_TESTS_PATTERN_H */
