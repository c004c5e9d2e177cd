/* large_blocks: BLOCKS live blocks of MIN..MAX bytes (default 20 blocks of 5-25 MiB); ITERS times a
 * random one is replaced by a new block of a random size whose every byte is written. ALLOC_FIRST
 * picks the order: 0 frees the old block before taking the new one, 1 takes the new one first
 * (then the allocator must find room while the old block is still live). Shows whether freed large
 * memory is reused or handed back to the kernel and faulted in again. ops counts replacements;
 * minor_faults (getrusage) covers the whole run. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_common.h"

enum { P_BLOCKS, P_ITERS, P_MIN, P_MAX, P_ALLOC_FIRST, P_SEED, P_COUNT };

static const bench_param PARAMS[P_COUNT] = {
    [P_BLOCKS] = {"BLOCKS", 20, 1, 100000, "live blocks"},
    [P_ITERS] = {"ITERS", 2000, 1, 1000000000000ULL, "replacements of a random block"},
    [P_MIN] = {"MIN", 5u << 20, 1, 1ULL << 34, "smallest block size in bytes"},
    [P_MAX] = {"MAX", 25u << 20, 1, 1ULL << 34, "largest block size in bytes (>= MIN)"},
    [P_ALLOC_FIRST] = {"ALLOC_FIRST", 0, 0, 1, "0: free the old block, then allocate; 1: allocate, then free"},
    [P_SEED] = {"SEED", 1, 0, UINT64_MAX, "PRNG seed"},
};

/* A new block of `size` bytes for slot `slot`, every byte written (the fill, then the end tags). */
static unsigned char *new_block(uint64_t slot, uint64_t size) {
    unsigned char *block = malloc(size);
    if (block == NULL) bench_allocator_failure("large_blocks", "malloc(%llu) returned NULL", (unsigned long long)size);
    memset(block, (int)(slot & 0xff), size);
    bench_touch_ends(block, size, bench_tag(slot, size));
    return block;
}

/* The block must still hold its tags and, in its middle, its fill byte. */
static void check_block(const unsigned char *block, uint64_t slot, uint64_t size) {
    if (!bench_check_ends(block, size, bench_tag(slot, size)) || (size > 16 && block[size / 2] != (slot & 0xff)))
        bench_allocator_failure("large_blocks", "%llu-byte block in slot %llu was corrupted",
                                (unsigned long long)size, (unsigned long long)slot);
}

int main(int argc, char **argv) {
    uint64_t v[P_COUNT];
    bench_parse_params("large_blocks", "Replace random blocks among BLOCKS live large blocks, writing every byte.",
                       argc, argv, PARAMS, P_COUNT, v);
    if (v[P_MIN] > v[P_MAX]) bench_usage_error("large_blocks", "MIN=%llu is larger than MAX=%llu",
                                               (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX]);
    uint64_t n = v[P_BLOCKS];
    unsigned char **blocks = calloc(n, sizeof(void *));
    uint64_t *sizes = calloc(n, sizeof(uint64_t));
    if (blocks == NULL || sizes == NULL) bench_allocator_failure("large_blocks", "cannot allocate slot tables");
    uint64_t rng = bench_rng_seed(v[P_SEED], 0);
    uint64_t bytes_written = 0;
    double t0 = bench_now_sec();
    for (uint64_t i = 0; i < n; i++) {
        sizes[i] = bench_rng_range(&rng, v[P_MIN], v[P_MAX]);
        blocks[i] = new_block(i, sizes[i]);
        bytes_written += sizes[i];
    }
    for (uint64_t i = 0; i < v[P_ITERS]; i++) {
        uint64_t slot = bench_rng_range(&rng, 0, n - 1);
        uint64_t size = bench_rng_range(&rng, v[P_MIN], v[P_MAX]);
        unsigned char *old = blocks[slot];
        check_block(old, slot, sizes[slot]);
        if (!v[P_ALLOC_FIRST]) free(old);
        blocks[slot] = new_block(slot, size);
        if (v[P_ALLOC_FIRST]) free(old);
        sizes[slot] = size;
        bytes_written += size;
    }
    for (uint64_t i = 0; i < n; i++) {
        check_block(blocks[i], i, sizes[i]);
        free(blocks[i]);
    }
    double seconds = bench_now_sec() - t0;
    free(blocks);
    free(sizes);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    char extra[256];
    snprintf(extra, sizeof extra,
             "blocks=%llu min=%llu max=%llu alloc_first=%llu bytes_written=%llu minor_faults=%ld seed=%llu",
             (unsigned long long)n, (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX],
             (unsigned long long)v[P_ALLOC_FIRST], (unsigned long long)bytes_written, ru.ru_minflt,
             (unsigned long long)v[P_SEED]);
    bench_print_result("large_blocks", v[P_ITERS], seconds, extra);
    return 0;
}
