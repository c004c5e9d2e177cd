/* larson: a larson-like server. Each of THREADS threads owns an array of SLOTS blocks and replaces
 * random ones (free + malloc of MIN..MAX bytes) ITERS times; then it exits and its array passes to
 * a newly created thread for the next of ROUNDS rounds. So blocks outlive the thread that made
 * them and are freed by its successor: thread churn plus cross-thread frees. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"

enum { P_THREADS, P_SLOTS, P_ROUNDS, P_ITERS, P_MIN, P_MAX, P_SEED, P_COUNT };

static const bench_param PARAMS[P_COUNT] = {
    [P_THREADS] = {"THREADS", 2, 1, 1024, "threads alive at once"},
    [P_SLOTS] = {"SLOTS", 1000, 1, 10000000, "blocks owned by each thread's array"},
    [P_ROUNDS] = {"ROUNDS", 10, 1, 1000000, "thread generations (each hands its array on)"},
    [P_ITERS] = {"ITERS", 200000, 1, 1000000000000ULL, "replacements per thread per round"},
    [P_MIN] = {"MIN", 16, 1, 1u << 30, "smallest block size in bytes"},
    [P_MAX] = {"MAX", 1024, 1, 1u << 30, "largest block size in bytes (>= MIN)"},
    [P_SEED] = {"SEED", 1, 0, UINT64_MAX, "PRNG seed"},
};

typedef struct array {
    void **blocks;
    uint32_t *sizes;
    uint64_t rng; /* travels with the array, so a run is deterministic whatever the scheduling */
} array;

typedef struct shift {
    pthread_t thread;
    array *arr;
    uint64_t slots, iters, min, max;
} shift;

static void *shift_main(void *arg) {
    shift *s = arg;
    array *a = s->arr;
    for (uint64_t i = 0; i < s->iters; i++) {
        uint64_t idx = bench_rng_range(&a->rng, 0, s->slots - 1);
        if (!bench_check(a->blocks[idx], a->sizes[idx], bench_tag(idx, a->sizes[idx])))
            bench_allocator_failure("larson", "block in slot %llu was corrupted", (unsigned long long)idx);
        free(a->blocks[idx]);
        uint64_t size = bench_rng_range(&a->rng, s->min, s->max);
        void *block = malloc(size);
        if (block == NULL)
            bench_allocator_failure("larson", "malloc(%llu) returned NULL", (unsigned long long)size);
        bench_touch(block, size, bench_tag(idx, size));
        a->blocks[idx] = block;
        a->sizes[idx] = (uint32_t)size;
    }
    return NULL;
}

int main(int argc, char **argv) {
    uint64_t v[P_COUNT];
    bench_parse_params("larson", "Larson-like server: threads replace random blocks, then hand their arrays to new threads.",
                       argc, argv, PARAMS, P_COUNT, v);
    if (v[P_MIN] > v[P_MAX]) bench_usage_error("larson", "MIN=%llu is larger than MAX=%llu",
                                               (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX]);
    uint64_t threads = v[P_THREADS], slots = v[P_SLOTS];
    array *arrays = calloc(threads, sizeof(array));
    shift *shifts = calloc(threads, sizeof(shift));
    if (arrays == NULL || shifts == NULL) bench_allocator_failure("larson", "cannot allocate thread tables");
    for (uint64_t t = 0; t < threads; t++) { /* the first generation frees blocks main made */
        array *a = &arrays[t];
        a->blocks = malloc(slots * sizeof(void *));
        a->sizes = malloc(slots * sizeof(uint32_t));
        a->rng = bench_rng_seed(v[P_SEED], t);
        if (a->blocks == NULL || a->sizes == NULL) bench_allocator_failure("larson", "cannot allocate arrays");
        for (uint64_t i = 0; i < slots; i++) {
            uint64_t size = bench_rng_range(&a->rng, v[P_MIN], v[P_MAX]);
            a->blocks[i] = malloc(size);
            if (a->blocks[i] == NULL) bench_allocator_failure("larson", "initial malloc returned NULL");
            bench_touch(a->blocks[i], size, bench_tag(i, size));
            a->sizes[i] = (uint32_t)size;
        }
    }
    double t0 = bench_now_sec();
    for (uint64_t r = 0; r < v[P_ROUNDS]; r++) {
        for (uint64_t t = 0; t < threads; t++) {
            shifts[t] = (shift){.arr = &arrays[(t + r) % threads], .slots = slots, .iters = v[P_ITERS],
                                .min = v[P_MIN], .max = v[P_MAX]};
            if (pthread_create(&shifts[t].thread, NULL, shift_main, &shifts[t]) != 0) {
                fprintf(stderr, "larson: pthread_create failed\n");
                return 1;
            }
        }
        for (uint64_t t = 0; t < threads; t++) pthread_join(shifts[t].thread, NULL);
    }
    double seconds = bench_now_sec() - t0;
    for (uint64_t t = 0; t < threads; t++) {
        for (uint64_t i = 0; i < slots; i++) free(arrays[t].blocks[i]);
        free(arrays[t].blocks);
        free(arrays[t].sizes);
    }
    free(arrays);
    free(shifts);

    char extra[256];
    snprintf(extra, sizeof extra, "threads=%llu slots=%llu rounds=%llu iters=%llu min=%llu max=%llu seed=%llu",
             (unsigned long long)threads, (unsigned long long)slots, (unsigned long long)v[P_ROUNDS],
             (unsigned long long)v[P_ITERS], (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX],
             (unsigned long long)v[P_SEED]);
    bench_print_result("larson", 2 * threads * v[P_ROUNDS] * v[P_ITERS], seconds, extra);
    return 0;
}
