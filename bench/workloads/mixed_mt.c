/* mixed_mt: THREADS threads, each running the `mixed` loop on its own WS slots (ITERS operations
 * per thread, its own PRNG stream). Every block is freed by the thread that allocated it, so this
 * measures thread-local fast paths and contention on shared allocator state. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"

enum { P_THREADS, P_ITERS, P_WS, P_MIN, P_MAX, P_SEED, P_COUNT };

static const bench_param PARAMS[P_COUNT] = {
    [P_THREADS] = {"THREADS", 2, 1, 1024, "worker threads"},
    [P_ITERS] = {"ITERS", 10000000, 1, 1000000000000ULL, "operations per thread"},
    [P_WS] = {"WS", 400, 1, 10000000, "live slots per thread"},
    [P_MIN] = {"MIN", 16, 1, 1u << 30, "smallest block size in bytes"},
    [P_MAX] = {"MAX", 1024, 1, 1u << 30, "largest block size in bytes (>= MIN)"},
    [P_SEED] = {"SEED", 1, 0, UINT64_MAX, "PRNG seed (thread t uses stream t)"},
};

typedef struct worker {
    pthread_t thread;
    uint64_t id, iters, ws, min, max, seed;
    pthread_barrier_t *start;
    double t_start, t_end; /* each worker times itself: main may wake from the barrier late */
} worker;

static void *worker_main(void *arg) {
    worker *w = arg;
    void **slots = calloc(w->ws, sizeof(void *));
    uint32_t *sizes = calloc(w->ws, sizeof(uint32_t));
    if (slots == NULL || sizes == NULL) bench_allocator_failure("mixed_mt", "cannot allocate slot tables");
    uint64_t rng = bench_rng_seed(w->seed, w->id);
    pthread_barrier_wait(w->start);
    w->t_start = bench_now_sec();
    for (uint64_t i = 0; i < w->iters; i++) {
        uint64_t idx = bench_rng_range(&rng, 0, w->ws - 1);
        if (slots[idx] != NULL) {
            if (!bench_check(slots[idx], sizes[idx], bench_tag(idx, sizes[idx])))
                bench_allocator_failure("mixed_mt", "thread %llu: block in slot %llu was corrupted",
                                        (unsigned long long)w->id, (unsigned long long)idx);
            free(slots[idx]);
            slots[idx] = NULL;
        } else {
            uint64_t size = bench_rng_range(&rng, w->min, w->max);
            void *block = malloc(size);
            if (block == NULL)
                bench_allocator_failure("mixed_mt", "malloc(%llu) returned NULL", (unsigned long long)size);
            bench_touch(block, size, bench_tag(idx, size));
            slots[idx] = block;
            sizes[idx] = (uint32_t)size;
        }
    }
    w->t_end = bench_now_sec();
    for (uint64_t i = 0; i < w->ws; i++) free(slots[i]);
    free(slots);
    free(sizes);
    return NULL;
}

int main(int argc, char **argv) {
    uint64_t v[P_COUNT];
    bench_parse_params("mixed_mt", "The mixed workload on THREADS threads at once, each with its own slots.",
                       argc, argv, PARAMS, P_COUNT, v);
    if (v[P_MIN] > v[P_MAX]) bench_usage_error("mixed_mt", "MIN=%llu is larger than MAX=%llu",
                                               (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX]);
    uint64_t threads = v[P_THREADS];
    worker *workers = calloc(threads, sizeof(worker));
    if (workers == NULL) bench_allocator_failure("mixed_mt", "cannot allocate the thread table");
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (uint64_t t = 0; t < threads; t++) {
        workers[t] = (worker){.id = t, .iters = v[P_ITERS], .ws = v[P_WS], .min = v[P_MIN],
                              .max = v[P_MAX], .seed = v[P_SEED], .start = &start};
        if (pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]) != 0) {
            fprintf(stderr, "mixed_mt: pthread_create failed for thread %llu\n", (unsigned long long)t);
            return 1;
        }
    }
    pthread_barrier_wait(&start);
    double first_start = 0, last_end = 0;
    for (uint64_t t = 0; t < threads; t++) {
        pthread_join(workers[t].thread, NULL);
        if (t == 0 || workers[t].t_start < first_start) first_start = workers[t].t_start;
        if (workers[t].t_end > last_end) last_end = workers[t].t_end;
    }
    double seconds = last_end - first_start;
    pthread_barrier_destroy(&start);
    free(workers);

    char extra[256];
    snprintf(extra, sizeof extra, "threads=%llu iters_per_thread=%llu ws=%llu min=%llu max=%llu seed=%llu",
             (unsigned long long)threads, (unsigned long long)v[P_ITERS], (unsigned long long)v[P_WS],
             (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX], (unsigned long long)v[P_SEED]);
    bench_print_result("mixed_mt", threads * v[P_ITERS], seconds, extra);
    return 0;
}
