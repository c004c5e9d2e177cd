/* malloc_simple: the shape of glibc's benchtests/bench-malloc-simple. For every n in 25, 100, 400,
 * 1600 and every size MIN, 2*MIN, 4*MIN ... <= MAX: rounds of "malloc n blocks, writing every
 * byte of each one by one; free the first half in allocation order (FIFO), the second half in
 * reverse (LIFO)", ITERS blocks per (n, size). The whole sweep runs on the main thread, then on a
 * second thread, then on the main thread again. The byte-wise writes right before free are the
 * point: an allocator that reads a block's own words on free meets stores still in flight. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"

enum { P_ITERS, P_MIN, P_MAX, P_COUNT };

static const bench_param PARAMS[P_COUNT] = {
    [P_ITERS] = {"ITERS", 2000000, 1600, 1000000000000ULL,
                 "blocks per (n, size) in each of the three thread phases"},
    [P_MIN] = {"MIN", 16, 1, 1u << 20, "smallest block size in bytes; sizes double from it"},
    [P_MAX] = {"MAX", 64, 1, 1u << 20, "largest block size in bytes (>= MIN)"},
};

static const unsigned ROUND_SIZES[] = {25, 100, 400, 1600};
enum { N_MAX = 1600, PHASES = 3 };

typedef struct sweep {
    uint64_t iters, min, max;
    uint64_t ops; /* malloc and free calls made */
} sweep;

/* Byte stores one at a time through a volatile pointer, as the original's loop: the compiler
 * may neither vectorise them nor turn them into a memset. */
static void fill_bytes(unsigned char *block, uint64_t size, unsigned salt) {
    volatile unsigned char *b = block;
    for (uint64_t k = 0; k < size; k++) b[k] = (unsigned char)(k + salt);
}

static void check_and_free(unsigned char *block, uint64_t size, unsigned salt) {
    if (block[0] != (unsigned char)salt || block[size - 1] != (unsigned char)(size - 1 + salt))
        bench_allocator_failure("malloc_simple", "block %p of %llu bytes was corrupted", (void *)block,
                                (unsigned long long)size);
    free(block);
}

static void run_sweep(sweep *s) {
    static __thread unsigned char *arr[N_MAX];
    for (size_t r = 0; r < sizeof ROUND_SIZES / sizeof ROUND_SIZES[0]; r++) {
        unsigned n = ROUND_SIZES[r];
        for (uint64_t size = s->min; size <= s->max; size *= 2) {
            for (uint64_t round = 0; round < s->iters / n; round++) {
                for (unsigned i = 0; i < n; i++) {
                    arr[i] = malloc(size);
                    if (arr[i] == NULL)
                        bench_allocator_failure("malloc_simple", "malloc(%llu) returned NULL",
                                                (unsigned long long)size);
                    fill_bytes(arr[i], size, i);
                }
                for (unsigned i = 0; i < n / 2; i++) check_and_free(arr[i], size, i);
                for (unsigned i = n; i-- > n / 2;) check_and_free(arr[i], size, i);
                s->ops += 2ull * n;
            }
        }
    }
}

static void *thread_main(void *arg) {
    run_sweep(arg);
    return NULL;
}

int main(int argc, char **argv) {
    uint64_t v[P_COUNT];
    bench_parse_params("malloc_simple",
                       "glibc's bench-malloc-simple shape: n blocks of one size, bytes written, "
                       "freed half FIFO half LIFO; main thread, second thread, main thread.",
                       argc, argv, PARAMS, P_COUNT, v);
    if (v[P_MIN] > v[P_MAX])
        bench_usage_error("malloc_simple", "MIN=%llu is larger than MAX=%llu",
                          (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX]);

    sweep s = {.iters = v[P_ITERS], .min = v[P_MIN], .max = v[P_MAX]};
    double start = bench_now_sec();
    run_sweep(&s);
    pthread_t second;
    if (pthread_create(&second, NULL, thread_main, &s) != 0 || pthread_join(second, NULL) != 0)
        bench_allocator_failure("malloc_simple", "cannot run the second thread");
    run_sweep(&s);
    double seconds = bench_now_sec() - start;

    char extra[160];
    snprintf(extra, sizeof extra, "iters=%llu min=%llu max=%llu phases=%d", (unsigned long long)v[P_ITERS],
             (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX], PHASES);
    bench_print_result("malloc_simple", s.ops, seconds, extra);
    return 0;
}
