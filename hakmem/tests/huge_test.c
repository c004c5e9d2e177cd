/* huge_test.c -- the huge-block cache and realloc, observed from outside through hak_os_stats (every
 * OS call hakmem made), getrusage's minor faults and the resident set: a freed mapping is reused
 * (also for a smaller request, without faulting its pages in again), given back after
 * HAKMEM_HUGE_PURGE_MS, not kept at all in lean mode with decommit; realloc keeps the contents
 * while growing with mremap and shrinking in place; calloc clears reused memory.
 * HUGE_TEST_EXPECT_CACHE=0 (the lean target) flips the expectations to "nothing is cached". */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "hakmem.h"
#include "hakmem/tests/check.h"
#include "hakmem/tests/pattern.h"
#include "hakmem/tests/process_memory.h"

#define MIB ((size_t)1 << 20)

static long minor_faults(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static size_t rss_bytes(void) {
    size_t rss;
    read_rss_bytes(&rss); /* 0 when statm is unreadable */
    return rss;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static unsigned char *filled(size_t n, unsigned seed) {
    unsigned char *p = malloc(n);
    CHECKF(p != NULL, "malloc(%zu)", n);
    pattern_fill(p, n, seed);
    return p;
}

/* A freed block's mapping serves the next one of the same or a smaller size: no mmap, and its
 * pages are already resident, so writing the new block faults (almost) nothing in. */
static void test_reuse(int cached) {
    unsigned char *a = filled(24 * MIB, 1);
    free(a);
    hak_os_stats before = os_stats_now();
    long faults = minor_faults();
    unsigned char *b = filled(8 * MIB, 2); /* smaller: split off the cached 24 MiB */
    unsigned char *c = filled(12 * MIB, 3); /* the rest of it */
    long new_faults = minor_faults() - faults;
    hak_os_stats after = os_stats_now();
    if (cached) {
        EXPECTF(b == a, "8 MiB block at %p, not at the start of the freed 24 MiB one (%p)", (void *)b, (void *)a);
        EXPECTF(after.mmap_calls == before.mmap_calls, "%llu mmap calls for blocks the cache holds",
                (unsigned long long)(after.mmap_calls - before.mmap_calls));
        EXPECTF(new_faults < (long)(20 * MIB / 4096) / 8, "%ld page faults writing 20 MiB of reused memory",
                new_faults);
    } else {
        EXPECTF(after.mmap_calls >= before.mmap_calls + 2, "lean mode: blocks came from a cache (%llu mmap)",
                (unsigned long long)(after.mmap_calls - before.mmap_calls));
        EXPECTF(new_faults >= (long)(20 * MIB / 4096) / 2, "lean mode: only %ld faults for 20 MiB of new memory",
                new_faults);
    }
    EXPECT(pattern_check(b, 8 * MIB, 2) < 0 && pattern_check(c, 12 * MIB, 3) < 0);
    free(b);
    free(c);
}

/* calloc must clear a reused mapping (fresh ones are zero already). */
static void test_calloc_reused(void) {
    unsigned char *a = malloc(16 * MIB);
    CHECK(a != NULL);
    memset(a, 0xab, 16 * MIB);
    free(a);
    unsigned char *z = calloc(1, 12 * MIB);
    CHECK(z != NULL);
    long dirty = zero_check(z, 12 * MIB);
    EXPECTF(dirty < 0, "byte %ld of a calloc'ed reused block is not zero", dirty);
    free(z);
}

/* realloc: growth keeps the contents (mremap moves pages, never copies them), a shrink keeps the
 * block in place and its tail serves a later block. */
static void test_realloc(int cached) {
    unsigned char *p = filled(4 * MIB, 7);
    hak_os_stats before = os_stats_now();
    p = realloc(p, 40 * MIB);
    CHECK(p != NULL);
    hak_os_stats after = os_stats_now();
    EXPECTF(after.mremap_calls == before.mremap_calls + 1, "growth made %llu mremap calls, want 1",
            (unsigned long long)(after.mremap_calls - before.mremap_calls));
    EXPECTF(pattern_check(p, 4 * MIB, 7) < 0, "contents lost growing 4 -> 40 MiB");
    pattern_fill(p, 40 * MIB, 8);
    unsigned char *q = realloc(p, 12 * MIB); /* the 28 MiB tail fits the cache's 32 MiB floor */
    EXPECTF(q == p, "shrinking 40 -> 12 MiB moved the block");
    EXPECTF(pattern_check(q, 12 * MIB, 8) < 0, "contents lost shrinking 40 -> 12 MiB");
    before = os_stats_now();
    unsigned char *r = filled(20 * MIB, 9); /* fits the tail */
    after = os_stats_now();
    if (cached)
        EXPECTF(after.mmap_calls == before.mmap_calls, "the tail of the shrunk block was not reused");
    q = realloc(q, 30 * MIB);
    CHECK(q != NULL);
    EXPECTF(pattern_check(q, 12 * MIB, 8) < 0, "contents lost growing 12 -> 30 MiB");
    EXPECT(pattern_check(r, 20 * MIB, 9) < 0);
    free(r);
    free(q);
}

/* A freed mapping stays resident until it has been idle for the purge delay, then the next huge
 * call gives it back (munmap). */
static void test_purge(int cached, long delay_ms) {
    unsigned char *keep = filled(2 * MIB, 10); /* freed later: that free is the purge clock */
    unsigned char *a = filled(32 * MIB, 11);
    size_t rss_live = rss_bytes();
    hak_os_stats before = os_stats_now();
    free(a);
    hak_os_stats after = os_stats_now();
    size_t rss_freed = rss_bytes();
    if (!cached) {
        EXPECTF(after.munmap_calls > before.munmap_calls, "lean mode kept a freed 32 MiB mapping");
        EXPECTF(rss_freed + 24 * MIB < rss_live, "lean mode: RSS %zu -> %zu after freeing 32 MiB",
                rss_live, rss_freed);
        free(keep);
        return;
    }
    EXPECTF(after.munmap_calls == before.munmap_calls, "a freed 32 MiB mapping was unmapped at once");
    EXPECTF(rss_freed + 8 * MIB > rss_live, "RSS %zu -> %zu: the cached mapping was not kept", rss_live,
            rss_freed);
    sleep_ms(delay_ms + 50);
    free(keep);
    after = os_stats_now();
    EXPECTF(after.munmap_calls > before.munmap_calls, "no munmap %ld ms after the free (delay %ld ms)",
            delay_ms + 50, delay_ms);
    EXPECTF(rss_bytes() + 24 * MIB < rss_live, "RSS %zu -> %zu after the purge delay", rss_live, rss_bytes());
}

int main(void) {
    const char *expect = getenv("HUGE_TEST_EXPECT_CACHE");
    const char *delay = getenv("HAKMEM_HUGE_PURGE_MS");
    int cached = !expect || strcmp(expect, "0") != 0;
    long delay_ms = delay ? atol(delay) : 1000;
    test_reuse(cached);
    test_calloc_reused();
    test_realloc(cached);
    test_purge(cached, delay_ms);
    return check_summary();
}
