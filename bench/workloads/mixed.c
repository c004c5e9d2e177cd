/* mixed: the seed's bench_random_mixed. One thread, WS live slots, ITERS operations; each picks a
 * random slot and frees its block, or mallocs a random size in [MIN,MAX] if the slot is empty.
 * With DURATION_SEC > 0 it becomes a single-process soak: one EPOCH line per EPOCH_SEC seconds
 * (throughput and current RSS), allocator and slot state persisting across epochs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"

enum { P_ITERS, P_WS, P_MIN, P_MAX, P_SEED, P_DURATION, P_EPOCH, P_COUNT };

static const bench_param PARAMS[P_COUNT] = {
    [P_ITERS] = {"ITERS", 20000000, 1, 1000000000000ULL, "operations (malloc or free), one-shot mode"},
    [P_WS] = {"WS", 400, 1, 100000000, "working set: number of live slots"},
    [P_MIN] = {"MIN", 16, 1, 1u << 30, "smallest block size in bytes"},
    [P_MAX] = {"MAX", 1024, 1, 1u << 30, "largest block size in bytes (>= MIN)"},
    [P_SEED] = {"SEED", 1, 0, UINT64_MAX, "PRNG seed (same seed, same operation sequence)"},
    [P_DURATION] = {"DURATION_SEC", 0, 0, 31 * 86400, "soak mode when > 0: run this many seconds"},
    [P_EPOCH] = {"EPOCH_SEC", 1, 1, 86400, "soak mode: seconds per EPOCH line"},
};

typedef struct mixed_state {
    void **slots;
    uint32_t *sizes;
    uint64_t ws, min, max;
    uint64_t rng;
    uint64_t live_bytes;
} mixed_state;

/* The measured loop: one allocator call per iteration. */
static void run_ops(mixed_state *st, uint64_t count) {
    void **slots = st->slots;
    uint32_t *sizes = st->sizes;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t idx = bench_rng_range(&st->rng, 0, st->ws - 1);
        void *block = slots[idx];
        if (block != NULL) {
            if (!bench_check(block, sizes[idx], bench_tag(idx, sizes[idx])))
                bench_allocator_failure("mixed", "block in slot %llu (size %u) was corrupted",
                                        (unsigned long long)idx, sizes[idx]);
            st->live_bytes -= sizes[idx];
            free(block);
            slots[idx] = NULL;
        } else {
            uint64_t size = bench_rng_range(&st->rng, st->min, st->max);
            block = malloc(size);
            if (block == NULL)
                bench_allocator_failure("mixed", "malloc(%llu) returned NULL", (unsigned long long)size);
            bench_touch(block, size, bench_tag(idx, size));
            slots[idx] = block;
            sizes[idx] = (uint32_t)size;
            st->live_bytes += size;
        }
    }
}

/* Soak: epochs of wall-clock time; the clock is read every CHUNK operations. */
static uint64_t run_soak(mixed_state *st, uint64_t duration_sec, uint64_t epoch_sec, double *seconds) {
    enum { CHUNK = 8192 };
    double start = bench_now_sec();
    double end = start + (double)duration_sec;
    uint64_t total = 0;
    for (uint64_t n = 1;; n++) {
        double epoch_start = bench_now_sec();
        if (epoch_start >= end - 1e-3) break;
        double epoch_end = epoch_start + (double)epoch_sec;
        if (epoch_end > end) epoch_end = end;
        uint64_t ops = 0;
        double now = epoch_start;
        while (now < epoch_end) {
            run_ops(st, CHUNK);
            ops += CHUNK;
            now = bench_now_sec();
        }
        double dt = now - epoch_start;
        total += ops;
        printf("EPOCH n=%llu ops=%llu seconds=%.6f ops_per_sec=%.0f rss_kb=%ld\n",
               (unsigned long long)n, (unsigned long long)ops, dt, (double)ops / dt,
               bench_current_rss_kb());
        fflush(stdout);
    }
    *seconds = bench_now_sec() - start;
    return total;
}

int main(int argc, char **argv) {
    uint64_t v[P_COUNT];
    bench_parse_params("mixed",
                       "Random mixed malloc/free of MIN..MAX byte blocks over WS slots (one thread).",
                       argc, argv, PARAMS, P_COUNT, v);
    if (v[P_MIN] > v[P_MAX]) bench_usage_error("mixed", "MIN=%llu is larger than MAX=%llu",
                                               (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX]);
    if (v[P_DURATION] > 0 && v[P_EPOCH] > v[P_DURATION])
        bench_usage_error("mixed", "EPOCH_SEC=%llu is longer than DURATION_SEC=%llu",
                          (unsigned long long)v[P_EPOCH], (unsigned long long)v[P_DURATION]);

    mixed_state st = {
        .slots = calloc(v[P_WS], sizeof(void *)),
        .sizes = calloc(v[P_WS], sizeof(uint32_t)),
        .ws = v[P_WS], .min = v[P_MIN], .max = v[P_MAX],
        .rng = bench_rng_seed(v[P_SEED], 0),
    };
    if (st.slots == NULL || st.sizes == NULL)
        bench_allocator_failure("mixed", "cannot allocate the slot table (WS=%llu)", (unsigned long long)v[P_WS]);

    double seconds;
    uint64_t ops;
    const char *mode;
    if (v[P_DURATION] > 0) {
        mode = "soak";
        ops = run_soak(&st, v[P_DURATION], v[P_EPOCH], &seconds);
    } else {
        mode = "oneshot";
        double start = bench_now_sec();
        run_ops(&st, v[P_ITERS]);
        seconds = bench_now_sec() - start;
        ops = v[P_ITERS];
    }
    uint64_t live_bytes = st.live_bytes;
    for (uint64_t i = 0; i < st.ws; i++) free(st.slots[i]);
    free(st.slots);
    free(st.sizes);

    char extra[256];
    snprintf(extra, sizeof extra, "mode=%s ws=%llu min=%llu max=%llu seed=%llu live_bytes_end=%llu", mode,
             (unsigned long long)v[P_WS], (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX],
             (unsigned long long)v[P_SEED], (unsigned long long)live_bytes);
    bench_print_result("mixed", ops, seconds, extra);
    return 0;
}
