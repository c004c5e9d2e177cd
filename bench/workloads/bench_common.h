/* Shared helpers for the bench/ workloads: environment-parameter parsing with range checks,
 * a seeded xorshift PRNG, block touching/verification, clocks, RSS, allocator detection and the
 * one-line RESULT printer. Workloads call only plain malloc/free/calloc/realloc, so any allocator
 * can be linked in or LD_PRELOADed underneath them. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes: 2 = bad input (usage), 3 = the allocator returned NULL or corrupted a block. */
enum { BENCH_EXIT_USAGE = 2, BENCH_EXIT_ALLOCATOR = 3 };

/* One environment parameter: name, default, inclusive range, help text. */
typedef struct bench_param {
    const char *name;
    uint64_t default_value;
    uint64_t min_value;
    uint64_t max_value;
    const char *help;
} bench_param;

/* Rejects any argument except -h/--help (which prints the usage and exits 0); then reads every
 * parameter from the environment into values[i]. Non-numeric, out-of-range (zero included when
 * min_value >= 1) or empty values print a clear error and the usage to stderr and exit 2. */
void bench_parse_params(const char *workload, const char *summary, int argc, char **argv,
                        const bench_param *params, size_t count, uint64_t *values);

/* Prints "<workload>: <message>" plus a hint to stderr and exits 2 (for cross-parameter checks). */
void bench_usage_error(const char *workload, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Reports a NULL return or a corrupted block and exits 3. */
void bench_allocator_failure(const char *workload, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* xorshift64*: fast, seedable, good enough for picking slots and sizes. */
static inline uint64_t bench_rng_next(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Any non-zero state works; derive per-thread streams from one seed with this. */
static inline uint64_t bench_rng_seed(uint64_t seed, uint64_t stream) {
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + (stream + 1) * 0xBF58476D1CE4E5B9ULL;
    s ^= s >> 31;
    return s ? s : 0x853C49E6748FEA9BULL;
}

/* Uniform in [lo, hi] (multiply-shift, no division on the hot path). */
static inline uint64_t bench_rng_range(uint64_t *state, uint64_t lo, uint64_t hi) {
    uint64_t span = hi - lo + 1;
    uint32_t r = (uint32_t)(bench_rng_next(state) >> 32);
    return lo + (uint64_t)(((unsigned __int128)r * span) >> 32);
}

/* Writes a tag into the first bytes (at most 8) of a block so the allocator must hand out real,
 * writable memory; bench_check verifies the tag survived until free. The *_ends versions also
 * tag the last byte (for large blocks, where a short mapping would show up there). */
static inline void bench_touch(void *block, size_t size, uint64_t tag) {
    unsigned char *p = (unsigned char *)block;
    if (size >= sizeof tag) {
        __builtin_memcpy(p, &tag, sizeof tag);
    } else {
        for (size_t i = 0; i < size; i++) p[i] = (unsigned char)(tag >> (8 * i));
    }
}

static inline int bench_check(const void *block, size_t size, uint64_t tag) {
    const unsigned char *p = (const unsigned char *)block;
    if (size >= sizeof tag) {
        uint64_t got;
        __builtin_memcpy(&got, p, sizeof got);
        return got == tag;
    }
    for (size_t i = 0; i < size; i++)
        if (p[i] != (unsigned char)(tag >> (8 * i))) return 0;
    return 1;
}

static inline void bench_touch_ends(void *block, size_t size, uint64_t tag) {
    bench_touch(block, size, tag);
    if (size > sizeof tag) ((unsigned char *)block)[size - 1] = (unsigned char)(tag >> 56);
}

static inline int bench_check_ends(const void *block, size_t size, uint64_t tag) {
    return bench_check(block, size, tag) &&
           (size <= sizeof tag || ((const unsigned char *)block)[size - 1] == (unsigned char)(tag >> 56));
}

/* Tag for a block: depends on the slot and size so a block swapped or reused early is caught. */
static inline uint64_t bench_tag(uint64_t slot, uint64_t size) {
    return (slot * 0x9E3779B97F4A7C15ULL) ^ (size << 1) ^ 0x5A5A5A5A5A5A5A5AULL;
}

double bench_now_sec(void);          /* CLOCK_MONOTONIC, seconds */
long bench_peak_rss_kb(void);     /* peak RSS in KiB: VmHWM of /proc/self/status, else ru_maxrss */
long bench_ru_maxrss_kb(void);    /* getrusage ru_maxrss in KiB (includes the pre-exec image) */
long bench_current_rss_kb(void);  /* resident pages from /proc/self/statm, in KiB; -1 if unknown */
const char *bench_allocator_name(void); /* hakmem-<variant>, mimalloc, jemalloc or glibc */

/* Prints the single RESULT line: workload, allocator, ops, seconds, ops_per_sec, peak_rss_kb,
 * ru_maxrss_kb, then `extra` (space-separated key=value pairs, may be empty), and flushes stdout. */
void bench_print_result(const char *workload, uint64_t ops, double seconds, const char *extra);

#endif /* BENCH_COMMON_H */
