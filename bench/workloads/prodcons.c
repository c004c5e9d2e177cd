/* prodcons: PRODUCERS threads malloc blocks and pass them through one bounded lock-free queue
 * (QUEUE cells, a sequence-numbered ring) to CONSUMERS threads, which check and free them. Every
 * free is a cross-thread free: the path allocators handle with remote-free lists. ops counts
 * allocator calls (one malloc and one free per block). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"

enum { P_PRODUCERS, P_CONSUMERS, P_ITERS, P_QUEUE, P_MIN, P_MAX, P_SEED, P_COUNT };

static const bench_param PARAMS[P_COUNT] = {
    [P_PRODUCERS] = {"PRODUCERS", 1, 1, 256, "allocating threads"},
    [P_CONSUMERS] = {"CONSUMERS", 1, 1, 256, "freeing threads"},
    [P_ITERS] = {"ITERS", 2000000, 1, 1000000000000ULL, "blocks allocated per producer"},
    [P_QUEUE] = {"QUEUE", 1024, 2, 1u << 24, "queue capacity in blocks (a power of two)"},
    [P_MIN] = {"MIN", 16, 1, 1u << 30, "smallest block size in bytes"},
    [P_MAX] = {"MAX", 1024, 1, 1u << 30, "largest block size in bytes (>= MIN)"},
    [P_SEED] = {"SEED", 1, 0, UINT64_MAX, "PRNG seed (producer p uses stream p)"},
};

/* A cell is free for the producer at position pos when seq == pos, and holds data for the
 * consumer at pos when seq == pos + 1. */
typedef struct cell {
    _Atomic uint64_t seq;
    void *block;
    uint64_t size;
} cell;

typedef struct queue {
    cell *cells;
    uint64_t mask;
    _Alignas(64) _Atomic uint64_t tail; /* next position to enqueue */
    _Alignas(64) _Atomic uint64_t head; /* next position to dequeue */
    _Alignas(64) _Atomic uint64_t producers_done;
} queue;

static void backoff(unsigned *spins) {
    if (++*spins < 64) {
        __builtin_ia32_pause();
    } else {
        *spins = 0;
        sched_yield();
    }
}

static void enqueue(queue *q, void *block, uint64_t size) {
    unsigned spins = 0;
    uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    for (;;) {
        cell *c = &q->cells[pos & q->mask];
        int64_t diff = (int64_t)(atomic_load_explicit(&c->seq, memory_order_acquire) - pos);
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                c->block = block;
                c->size = size;
                atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
                return;
            }
        } else if (diff < 0) { /* full: wait for a consumer */
            backoff(&spins);
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        } else {
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }
}

static void *dequeue(queue *q, uint64_t *size) {
    unsigned spins = 0;
    uint64_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (;;) {
        cell *c = &q->cells[pos & q->mask];
        int64_t diff = (int64_t)(atomic_load_explicit(&c->seq, memory_order_acquire) - (pos + 1));
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->head, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                void *block = c->block;
                *size = c->size;
                atomic_store_explicit(&c->seq, pos + q->mask + 1, memory_order_release);
                return block;
            }
        } else if (diff < 0) { /* empty: wait for a producer */
            backoff(&spins);
            pos = atomic_load_explicit(&q->head, memory_order_relaxed);
        } else {
            pos = atomic_load_explicit(&q->head, memory_order_relaxed);
        }
    }
}

typedef struct role {
    pthread_t thread;
    uint64_t id;
    const uint64_t *v;
    queue *q;
    pthread_barrier_t *start;
    uint64_t freed;
    double t_start, t_end; /* each thread times itself: main may wake from the barrier late */
} role;

static void *producer_main(void *arg) {
    role *r = arg;
    const uint64_t *v = r->v;
    uint64_t rng = bench_rng_seed(v[P_SEED], r->id);
    pthread_barrier_wait(r->start);
    r->t_start = bench_now_sec();
    for (uint64_t i = 0; i < v[P_ITERS]; i++) {
        uint64_t size = bench_rng_range(&rng, v[P_MIN], v[P_MAX]);
        void *block = malloc(size);
        if (block == NULL)
            bench_allocator_failure("prodcons", "malloc(%llu) returned NULL", (unsigned long long)size);
        bench_touch(block, size, bench_tag(0, size)); /* consumer recomputes it */
        enqueue(r->q, block, size);
    }
    /* The last producer to finish sends one NULL per consumer; all real blocks precede them. */
    if (atomic_fetch_add(&r->q->producers_done, 1) + 1 == v[P_PRODUCERS]) {
        for (uint64_t c = 0; c < v[P_CONSUMERS]; c++) enqueue(r->q, NULL, 0);
    }
    r->t_end = bench_now_sec();
    return NULL;
}

static void *consumer_main(void *arg) {
    role *r = arg;
    pthread_barrier_wait(r->start);
    r->t_start = bench_now_sec();
    for (;;) {
        uint64_t size;
        void *block = dequeue(r->q, &size);
        if (block == NULL) break;
        if (!bench_check(block, size, bench_tag(0, size)))
            bench_allocator_failure("prodcons", "a %llu-byte block arrived corrupted", (unsigned long long)size);
        free(block);
        r->freed++;
    }
    r->t_end = bench_now_sec();
    return NULL;
}

int main(int argc, char **argv) {
    uint64_t v[P_COUNT];
    bench_parse_params("prodcons", "Producers malloc, consumers free through a bounded queue (cross-thread frees).",
                       argc, argv, PARAMS, P_COUNT, v);
    if (v[P_MIN] > v[P_MAX]) bench_usage_error("prodcons", "MIN=%llu is larger than MAX=%llu",
                                               (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX]);
    if (v[P_QUEUE] & (v[P_QUEUE] - 1))
        bench_usage_error("prodcons", "QUEUE=%llu is not a power of two", (unsigned long long)v[P_QUEUE]);

    queue q = {.cells = calloc(v[P_QUEUE], sizeof(cell)), .mask = v[P_QUEUE] - 1};
    if (q.cells == NULL) bench_allocator_failure("prodcons", "cannot allocate the queue");
    for (uint64_t i = 0; i < v[P_QUEUE]; i++) atomic_init(&q.cells[i].seq, i);
    uint64_t nthreads = v[P_PRODUCERS] + v[P_CONSUMERS];
    role *roles = calloc(nthreads, sizeof(role));
    if (roles == NULL) bench_allocator_failure("prodcons", "cannot allocate the thread table");
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
    for (uint64_t t = 0; t < nthreads; t++) {
        int is_producer = t < v[P_PRODUCERS];
        roles[t] = (role){.id = is_producer ? t : t - v[P_PRODUCERS], .v = v, .q = &q, .start = &start};
        if (pthread_create(&roles[t].thread, NULL, is_producer ? producer_main : consumer_main, &roles[t])) {
            fprintf(stderr, "prodcons: pthread_create failed\n");
            return 1;
        }
    }
    pthread_barrier_wait(&start);
    uint64_t freed = 0;
    double first_start = 0, last_end = 0;
    for (uint64_t t = 0; t < nthreads; t++) {
        pthread_join(roles[t].thread, NULL);
        freed += roles[t].freed;
        if (t == 0 || roles[t].t_start < first_start) first_start = roles[t].t_start;
        if (roles[t].t_end > last_end) last_end = roles[t].t_end;
    }
    double seconds = last_end - first_start;
    uint64_t blocks = v[P_PRODUCERS] * v[P_ITERS];
    if (freed != blocks)
        bench_allocator_failure("prodcons", "freed %llu blocks, expected %llu", (unsigned long long)freed,
                                (unsigned long long)blocks);
    pthread_barrier_destroy(&start);
    free(roles);
    free(q.cells);

    char extra[256];
    snprintf(extra, sizeof extra, "producers=%llu consumers=%llu blocks=%llu queue=%llu min=%llu max=%llu seed=%llu",
             (unsigned long long)v[P_PRODUCERS], (unsigned long long)v[P_CONSUMERS], (unsigned long long)blocks,
             (unsigned long long)v[P_QUEUE], (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX],
             (unsigned long long)v[P_SEED]);
    bench_print_result("prodcons", 2 * blocks, seconds, extra);
    return 0;
}
