/* huge_resident_test.c -- the huge cache's limit is on resident memory, and it never lifts the
 * process far above its own peak of live huge bytes. Run with a small cache (BUILD.bazel:
 * HAKMEM_HUGE_CACHE_MB=4, HAKMEM_HUGE_CACHE_PCT=50, a purge delay long enough not to interfere):
 *   - blocks touched only at their ends stay cached past the 4 MiB limit (their address ranges are
 *     reused: no munmap when they are freed, no mmap when they are taken again);
 *   - densely written blocks past the limit are given back (munmap, RSS falls);
 *   - replacing blocks one by one, allocating the new before freeing the old, the RSS stays within
 *     the floor of the program's peak of live bytes, although half the live bytes would be allowed.
 * HUGE_TEST_EXPECT_CACHE=0 (lean mode with decommit: no cache at all) expects every freed block
 * to be unmapped at once. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hakmem.h"
#include "hakmem/tests/check.h"
#include "hakmem/tests/pattern.h"
#include "hakmem/tests/process_memory.h"

#define MIB ((size_t)1 << 20)
#define SPARSE_BLOCKS 4

static size_t rss_bytes(void) {
    size_t rss;
    read_rss_bytes(&rss); /* 0 when statm is unreadable */
    return rss;
}

/* Four 3 MiB blocks (12 MiB of address space, three times the 4 MiB limit) written only at both
 * ends: together they hold 32 KiB, so all four stay cached and serve the next four. */
static void test_sparse_kept(int cached) {
    unsigned char *b[SPARSE_BLOCKS];
    for (int i = 0; i < SPARSE_BLOCKS; i++) {
        b[i] = malloc(3 * MIB);
        CHECK(b[i] != NULL);
        b[i][0] = (unsigned char)i;
        b[i][3 * MIB - 1] = (unsigned char)i;
    }
    hak_os_stats before = os_stats_now();
    for (int i = 0; i < SPARSE_BLOCKS; i++) free(b[i]);
    hak_os_stats freed = os_stats_now();
    if (!cached) {
        EXPECTF(freed.munmap_calls >= before.munmap_calls + SPARSE_BLOCKS,
                "lean mode: %llu munmap calls for %d freed blocks",
                (unsigned long long)(freed.munmap_calls - before.munmap_calls), SPARSE_BLOCKS);
        return;
    }
    EXPECTF(freed.munmap_calls == before.munmap_calls,
            "%llu munmap calls freeing sparsely touched blocks the cache can hold",
            (unsigned long long)(freed.munmap_calls - before.munmap_calls));
    EXPECTF(freed.mincore_calls + freed.fault_reads > before.mincore_calls + before.fault_reads,
            "the cache went over its limit without asking what is resident");
    for (int i = 0; i < SPARSE_BLOCKS; i++) {
        b[i] = malloc(3 * MIB);
        CHECK(b[i] != NULL);
        b[i][3 * MIB - 1] = 1;
    }
    hak_os_stats again = os_stats_now();
    EXPECTF(again.mmap_calls == freed.mmap_calls, "%llu mmap calls for blocks served from the cache",
            (unsigned long long)(again.mmap_calls - freed.mmap_calls));
    for (int i = 0; i < SPARSE_BLOCKS; i++) free(b[i]);
}

/* The same four blocks written in full hold 12 MiB: at most the 4 MiB limit stays resident. */
static void test_dense_released(void) {
    unsigned char *b[SPARSE_BLOCKS];
    for (int i = 0; i < SPARSE_BLOCKS; i++) {
        b[i] = malloc(3 * MIB);
        CHECK(b[i] != NULL);
        memset(b[i], 0x5a, 3 * MIB);
    }
    size_t rss_live = rss_bytes();
    hak_os_stats before = os_stats_now();
    for (int i = 0; i < SPARSE_BLOCKS; i++) free(b[i]);
    hak_os_stats after = os_stats_now();
    EXPECTF(after.munmap_calls >= before.munmap_calls + SPARSE_BLOCKS - 1,
            "%llu munmap calls freeing 12 MiB of written blocks over a 4 MiB limit",
            (unsigned long long)(after.munmap_calls - before.munmap_calls));
    EXPECTF(rss_bytes() + 7 * MIB < rss_live, "RSS %zu -> %zu: more than the limit stayed resident",
            rss_live, rss_bytes());
}

/* Eight live blocks of 2..9 MiB replaced 48 times, each new block allocated (and written) before
 * the old one is freed. Half the live bytes (the CACHE_PCT share) would let the cache keep about
 * 20 MiB; capped by the headroom below the peak of live bytes, the RSS stays within the 4 MiB
 * floor (plus a margin for page rounding) of that peak. */
static void test_replace_near_peak(void) {
    enum { LIVE = 8, ROUNDS = 48 };
    unsigned char *b[LIVE];
    size_t len[LIVE], live = 0, peak_live = 0, worst_excess = 0;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    size_t base = rss_bytes();
    for (int i = 0; i < LIVE; i++) {
        len[i] = (size_t)(2 + i) * MIB;
        b[i] = malloc(len[i]);
        CHECK(b[i] != NULL);
        memset(b[i], i, len[i]);
        live += len[i];
    }
    peak_live = live;
    for (int r = 0; r < ROUNDS; r++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        int slot = (int)(rng % LIVE);
        size_t n = (size_t)(2 + (rng >> 8) % 8) * MIB + (size_t)((rng >> 16) % 64) * 4096;
        unsigned char *p = malloc(n);
        CHECK(p != NULL);
        memset(p, r, n);
        live += n;
        if (live > peak_live) peak_live = live;
        size_t rss = rss_bytes();
        size_t excess = rss > base + peak_live ? rss - base - peak_live : 0;
        if (excess > worst_excess) worst_excess = excess;
        free(b[slot]);
        live -= len[slot];
        b[slot] = p;
        len[slot] = n;
    }
    EXPECTF(worst_excess <= 6 * MIB, "RSS rose %zu KiB above the peak of live bytes (%zu KiB)",
            worst_excess >> 10, peak_live >> 10);
    for (int i = 0; i < LIVE; i++) free(b[i]);
}

int main(void) {
    const char *expect = getenv("HUGE_TEST_EXPECT_CACHE");
    int cached = !expect || strcmp(expect, "0") != 0;
    test_sparse_kept(cached);
    test_dense_released();
    test_replace_near_peak();
    return check_summary();
}
