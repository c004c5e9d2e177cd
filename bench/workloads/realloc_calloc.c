/* realloc_calloc: two interleaved patterns over WS slots each. Realloc growth chains start with
 * realloc(NULL, MIN..2*MIN), grow ~1.5x per step until MAX, then are freed; contents must survive
 * every move. calloc slots get calloc(count, size) blocks of up to CALLOC_MAX bytes, which must be
 * zero although every freed block was dirtied first. ops counts allocator calls. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

enum { P_ITERS, P_WS, P_MIN, P_MAX, P_CALLOC_MAX, P_SEED, P_COUNT };

static const bench_param PARAMS[P_COUNT] = {
    [P_ITERS] = {"ITERS", 2000000, 1, 1000000000000ULL, "operations (half realloc chain, half calloc)"},
    [P_WS] = {"WS", 256, 1, 10000000, "slots for each pattern"},
    [P_MIN] = {"MIN", 16, 1, 1u << 20, "first size of a realloc chain (chains start at MIN..2*MIN)"},
    [P_MAX] = {"MAX", 65536, 2, 1u << 30, "a realloc chain is freed once it reaches this size (> MIN)"},
    [P_CALLOC_MAX] = {"CALLOC_MAX", 4096, 1, 1u << 26, "largest calloc block in bytes"},
    [P_SEED] = {"SEED", 1, 0, UINT64_MAX, "PRNG seed"},
};

/* Escapes a pointer so the compiler cannot delete an allocation whose result is only tested. */
static void *volatile g_escape;

static int is_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0) return 0;
    return 1;
}

/* Whole block when small; otherwise head, middle and tail windows. */
static int calloc_block_is_zero(const unsigned char *p, size_t size) {
    if (size <= 1024) return is_zero(p, size);
    return is_zero(p, 256) && is_zero(p + size / 2, 64) && is_zero(p + size - 256, 256);
}

int main(int argc, char **argv) {
    uint64_t v[P_COUNT];
    bench_parse_params("realloc_calloc", "Realloc growth chains interleaved with calloc-heavy slots.",
                       argc, argv, PARAMS, P_COUNT, v);
    if (v[P_MIN] >= v[P_MAX]) bench_usage_error("realloc_calloc", "MIN=%llu must be smaller than MAX=%llu",
                                                (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX]);
    uint64_t ws = v[P_WS];
    unsigned char **chains = calloc(ws, sizeof(void *));
    uint64_t *chain_sizes = calloc(ws, sizeof(uint64_t));
    unsigned char **zeroed = calloc(ws, sizeof(void *));
    uint64_t *zeroed_sizes = calloc(ws, sizeof(uint64_t));
    if (!chains || !chain_sizes || !zeroed || !zeroed_sizes)
        bench_allocator_failure("realloc_calloc", "cannot allocate slot tables");
    /* An allocator must refuse a calloc whose byte count overflows size_t. */
    volatile size_t huge = SIZE_MAX / 2 + 2;
    g_escape = calloc(huge, 2);
    if (g_escape != NULL) bench_allocator_failure("realloc_calloc", "calloc(SIZE_MAX/2+2, 2) did not return NULL");

    uint64_t rng = bench_rng_seed(v[P_SEED], 0);
    uint64_t calls = 0, reallocs = 0, callocs = 0;
    double t0 = bench_now_sec();
    for (uint64_t i = 0; i < v[P_ITERS]; i++) {
        uint64_t r = bench_rng_next(&rng);
        uint64_t idx = bench_rng_range(&rng, 0, ws - 1);
        if (r & 1) { /* realloc chain step */
            uint64_t tag = bench_tag(idx, 0), old = chain_sizes[idx];
            if (chains[idx] != NULL && old >= v[P_MAX]) {
                if (!bench_check_ends(chains[idx], old, tag))
                    bench_allocator_failure("realloc_calloc", "chain %llu corrupted before free", (unsigned long long)idx);
                free(chains[idx]);
                chains[idx] = NULL;
                calls++;
                continue;
            }
            uint64_t size = chains[idx] == NULL ? bench_rng_range(&rng, v[P_MIN], 2 * v[P_MIN])
                                                : old + old / 2 + (r >> 60);
            if (size > v[P_MAX]) size = v[P_MAX];
            unsigned char *grown = realloc(chains[idx], size);
            calls++;
            reallocs++;
            if (grown == NULL)
                bench_allocator_failure("realloc_calloc", "realloc(.., %llu) returned NULL", (unsigned long long)size);
            if (chains[idx] != NULL && !bench_check_ends(grown, old, tag))
                bench_allocator_failure("realloc_calloc", "realloc %llu -> %llu bytes lost the contents",
                                        (unsigned long long)old, (unsigned long long)size);
            bench_touch_ends(grown, size, tag);
            chains[idx] = grown;
            chain_sizes[idx] = size;
        } else if (zeroed[idx] != NULL) { /* dirty the whole block, then free it */
            memset(zeroed[idx], 0xA5, zeroed_sizes[idx]);
            free(zeroed[idx]);
            zeroed[idx] = NULL;
            calls++;
        } else {
            uint64_t count = 1 + (r >> 61); /* 1..8 elements */
            uint64_t elem = bench_rng_range(&rng, 1, (v[P_CALLOC_MAX] + count - 1) / count);
            unsigned char *block = calloc(count, elem);
            calls++;
            callocs++;
            if (block == NULL)
                bench_allocator_failure("realloc_calloc", "calloc(%llu, %llu) returned NULL",
                                        (unsigned long long)count, (unsigned long long)elem);
            if (!calloc_block_is_zero(block, count * elem))
                bench_allocator_failure("realloc_calloc", "calloc(%llu, %llu) returned non-zero memory",
                                        (unsigned long long)count, (unsigned long long)elem);
            zeroed[idx] = block;
            zeroed_sizes[idx] = count * elem;
        }
    }
    double seconds = bench_now_sec() - t0;
    for (uint64_t i = 0; i < ws; i++) {
        free(chains[i]);
        free(zeroed[i]);
    }
    free(chains);
    free(chain_sizes);
    free(zeroed);
    free(zeroed_sizes);

    char extra[256];
    snprintf(extra, sizeof extra, "iters=%llu ws=%llu min=%llu max=%llu calloc_max=%llu reallocs=%llu callocs=%llu seed=%llu",
             (unsigned long long)v[P_ITERS], (unsigned long long)ws, (unsigned long long)v[P_MIN],
             (unsigned long long)v[P_MAX], (unsigned long long)v[P_CALLOC_MAX], (unsigned long long)reallocs,
             (unsigned long long)callocs, (unsigned long long)v[P_SEED]);
    bench_print_result("realloc_calloc", calls, seconds, extra);
    return 0;
}
