/* medium_large: the mixed pattern over sizes MIN..MAX (default 1 KiB - 4 MiB), drawn log-uniformly
 * (a uniform power-of-two band, then uniform inside it) so every size band gets as many calls.
 * Exercises the paths past the tiny front: medium classes, large blocks and direct mappings.
 * Blocks are tagged at both ends (TOUCH_PAGES=1 also writes one byte per 4 KiB page). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"

enum { P_ITERS, P_WS, P_MIN, P_MAX, P_TOUCH_PAGES, P_SEED, P_COUNT };

static const bench_param PARAMS[P_COUNT] = {
    [P_ITERS] = {"ITERS", 200000, 1, 1000000000000ULL, "operations (malloc or free)"},
    [P_WS] = {"WS", 64, 1, 1000000, "live slots"},
    [P_MIN] = {"MIN", 1024, 1, 1u << 30, "smallest block size in bytes"},
    [P_MAX] = {"MAX", 4u << 20, 1, 1u << 30, "largest block size in bytes (>= MIN)"},
    [P_TOUCH_PAGES] = {"TOUCH_PAGES", 0, 0, 1, "1: also write one byte in every 4 KiB page"},
    [P_SEED] = {"SEED", 1, 0, UINT64_MAX, "PRNG seed"},
};

static unsigned floor_log2(uint64_t x) { return 63u - (unsigned)__builtin_clzll(x); }

static uint64_t log_uniform_size(uint64_t *rng, uint64_t min, uint64_t max) {
    unsigned band = (unsigned)bench_rng_range(rng, floor_log2(min), floor_log2(max));
    uint64_t lo = 1ULL << band, hi = (2ULL << band) - 1;
    if (lo < min) lo = min;
    if (hi > max) hi = max;
    return bench_rng_range(rng, lo, hi);
}

int main(int argc, char **argv) {
    uint64_t v[P_COUNT];
    bench_parse_params("medium_large", "Random malloc/free of log-uniform sizes MIN..MAX (default 1 KiB - 4 MiB).",
                       argc, argv, PARAMS, P_COUNT, v);
    if (v[P_MIN] > v[P_MAX]) bench_usage_error("medium_large", "MIN=%llu is larger than MAX=%llu",
                                               (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX]);
    uint64_t ws = v[P_WS];
    unsigned char **slots = calloc(ws, sizeof(void *));
    uint64_t *sizes = calloc(ws, sizeof(uint64_t));
    if (slots == NULL || sizes == NULL) bench_allocator_failure("medium_large", "cannot allocate slot tables");
    uint64_t rng = bench_rng_seed(v[P_SEED], 0);
    uint64_t bytes_allocated = 0;
    double t0 = bench_now_sec();
    for (uint64_t i = 0; i < v[P_ITERS]; i++) {
        uint64_t idx = bench_rng_range(&rng, 0, ws - 1);
        if (slots[idx] != NULL) {
            if (!bench_check_ends(slots[idx], sizes[idx], bench_tag(idx, sizes[idx])))
                bench_allocator_failure("medium_large", "%llu-byte block in slot %llu was corrupted",
                                        (unsigned long long)sizes[idx], (unsigned long long)idx);
            free(slots[idx]);
            slots[idx] = NULL;
            continue;
        }
        uint64_t size = log_uniform_size(&rng, v[P_MIN], v[P_MAX]);
        unsigned char *block = malloc(size);
        if (block == NULL)
            bench_allocator_failure("medium_large", "malloc(%llu) returned NULL", (unsigned long long)size);
        if (v[P_TOUCH_PAGES])
            for (uint64_t off = 4096; off < size; off += 4096) block[off] = (unsigned char)off;
        bench_touch_ends(block, size, bench_tag(idx, size));
        slots[idx] = block;
        sizes[idx] = size;
        bytes_allocated += size;
    }
    double seconds = bench_now_sec() - t0;
    for (uint64_t i = 0; i < ws; i++) free(slots[i]);
    free(slots);
    free(sizes);

    char extra[256];
    snprintf(extra, sizeof extra, "ws=%llu min=%llu max=%llu touch_pages=%llu bytes_allocated=%llu seed=%llu",
             (unsigned long long)ws, (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX],
             (unsigned long long)v[P_TOUCH_PAGES], (unsigned long long)bytes_allocated,
             (unsigned long long)v[P_SEED]);
    bench_print_result("medium_large", v[P_ITERS], seconds, extra);
    return 0;
}
