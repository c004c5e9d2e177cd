/* batch_fifo: WORKERS threads each malloc a batch of BATCH blocks of MIN..MAX bytes (default 100 of
 * 8-71 B), post it to one shared FIFO (a mutex-guarded ring) and, once more than DEPTH batches
 * wait there, take the oldest and free its blocks. With two workers the oldest batch is mostly the
 * other worker's, so most frees are cross-thread frees of small blocks, in bursts of one batch:
 * the shape of issue 20 (worker pools handing buffers to each other), which prodcons (one block
 * at a time, one allocating thread) does not show. ops counts allocator calls (one malloc and one
 * free per block).
 *
 * CROSS=1 makes every free a cross-thread free, whatever the scheduler does: a worker frees only
 * the oldest batch another worker posted, and waits for a spare batch when it has none. Under
 * valgrind (one thread runs at a time) the default shape frees mostly a worker's own batches;
 * CROSS=1 is how callgrind counts the cross-thread path exactly. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"

enum { P_WORKERS, P_ITERS, P_BATCH, P_DEPTH, P_MIN, P_MAX, P_SEED, P_CROSS, P_COUNT };

static const bench_param PARAMS[P_COUNT] = {
    [P_WORKERS] = {"WORKERS", 2, 1, 256, "threads, each allocating and freeing"},
    [P_ITERS] = {"ITERS", 100000, 1, 1000000000000ULL, "batches allocated per worker"},
    [P_BATCH] = {"BATCH", 100, 1, 100000, "blocks per batch"},
    [P_DEPTH] = {"DEPTH", 1, 0, 100000, "batches left waiting in the FIFO"},
    [P_MIN] = {"MIN", 8, 1, 1u << 30, "smallest block size in bytes"},
    [P_MAX] = {"MAX", 71, 1, 1u << 30, "largest block size in bytes (>= MIN)"},
    [P_SEED] = {"SEED", 1, 0, UINT64_MAX, "PRNG seed (worker w uses stream w)"},
    [P_CROSS] = {"CROSS", 0, 0, 1, "1: free only other workers' batches (needs WORKERS >= 2)"},
};

typedef struct batch {
    struct batch *next; /* in the spare list */
    uint64_t n, poster; /* poster: the worker that filled it */
    void **blocks;
    uint64_t *sizes;
} batch;

/* The FIFO of posted batches and the spare batches, all under one lock: one lock round per batch,
 * not per block. 2 * WORKERS + DEPTH batches suffice (each worker holds at most the one it fills
 * and the one it frees, the FIFO at most DEPTH between posts), and the ring as many slots. */
typedef struct fifo {
    pthread_mutex_t lock;
    pthread_cond_t spare_ready; /* CROSS: a batch was posted or went back to the spares, or a worker finished */
    batch **ring;
    uint64_t cap, head, count, running;
    batch *spare;
} fifo;

typedef struct worker {
    pthread_t thread;
    uint64_t id, freed;
    const uint64_t *v;
    fifo *f;
    pthread_barrier_t *start;
    double t_start, t_end; /* each thread times itself: main may wake from the barrier late */
} worker;

static void free_batch(batch *b) {
    for (uint64_t i = 0; i < b->n; i++) {
        if (!bench_check(b->blocks[i], b->sizes[i], bench_tag(i, b->sizes[i])))
            bench_allocator_failure("batch_fifo", "a %llu-byte block arrived corrupted",
                                    (unsigned long long)b->sizes[i]);
        free(b->blocks[i]);
    }
}

/* Removes and returns the oldest waiting batch (CROSS: the oldest not posted by `me`, or when every
 * other worker has finished, any), or NULL. Under the lock. */
static batch *take_oldest(fifo *f, bool cross, uint64_t me) {
    uint64_t i = 0;
    if (cross && f->running > 1)
        while (i < f->count && f->ring[(f->head + i) % f->cap]->poster == me) i++;
    if (i == f->count) return NULL;
    batch *b = f->ring[(f->head + i) % f->cap];
    for (; i > 0; i--) f->ring[(f->head + i) % f->cap] = f->ring[(f->head + i - 1) % f->cap];
    f->head = (f->head + 1) % f->cap;
    f->count--;
    return b;
}

/* Posts b and takes a spare batch to fill next; returns the oldest batch if more than DEPTH wait
 * (to be freed by the caller, outside the lock), else NULL. CROSS: waits for a spare while none is
 * left, unless worker `me` gets a batch to free (which it then fills next). Once posted, b may be
 * taken and refilled by another worker at once, so `me` is not read from it. */
static batch *post(fifo *f, batch *b, uint64_t depth, bool cross, uint64_t me, batch **next) {
    pthread_mutex_lock(&f->lock);
    f->ring[(f->head + f->count++) % f->cap] = b;
    if (cross) pthread_cond_broadcast(&f->spare_ready); /* a waiter may take b */
    batch *oldest = f->count > depth ? take_oldest(f, cross, me) : NULL;
    while (!f->spare && !oldest) {
        pthread_cond_wait(&f->spare_ready, &f->lock);
        if (f->count > depth) oldest = take_oldest(f, cross, me);
    }
    if (f->spare) {
        *next = f->spare;
        f->spare = f->spare->next;
    } else {
        *next = NULL; /* filled from `oldest` once it is freed */
    }
    pthread_mutex_unlock(&f->lock);
    return oldest;
}

static void give_back(fifo *f, batch *b) {
    pthread_mutex_lock(&f->lock);
    b->next = f->spare;
    f->spare = b;
    pthread_cond_broadcast(&f->spare_ready);
    pthread_mutex_unlock(&f->lock);
}

static void finish(fifo *f) {
    pthread_mutex_lock(&f->lock);
    f->running--;
    pthread_cond_broadcast(&f->spare_ready);
    pthread_mutex_unlock(&f->lock);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    const uint64_t *v = w->v;
    uint64_t rng = bench_rng_seed(v[P_SEED], w->id);
    pthread_mutex_lock(&w->f->lock);
    batch *b = w->f->spare;
    w->f->spare = b->next;
    pthread_mutex_unlock(&w->f->lock);
    pthread_barrier_wait(w->start);
    w->t_start = bench_now_sec();
    for (uint64_t i = 0; i < v[P_ITERS]; i++) {
        b->n = v[P_BATCH];
        b->poster = w->id;
        for (uint64_t k = 0; k < b->n; k++) {
            uint64_t size = bench_rng_range(&rng, v[P_MIN], v[P_MAX]);
            void *block = malloc(size);
            if (block == NULL)
                bench_allocator_failure("batch_fifo", "malloc(%llu) returned NULL", (unsigned long long)size);
            bench_touch(block, size, bench_tag(k, size));
            b->blocks[k] = block;
            b->sizes[k] = size;
        }
        batch *oldest = post(w->f, b, v[P_DEPTH], v[P_CROSS], w->id, &b);
        if (oldest) {
            free_batch(oldest);
            w->freed += oldest->n;
            if (b) give_back(w->f, oldest);
            else b = oldest;
        }
    }
    w->t_end = bench_now_sec();
    give_back(w->f, b);
    finish(w->f);
    return NULL;
}

int main(int argc, char **argv) {
    uint64_t v[P_COUNT];
    bench_parse_params("batch_fifo", "Workers malloc batches, post them to a shared FIFO and free the oldest one.",
                       argc, argv, PARAMS, P_COUNT, v);
    if (v[P_MIN] > v[P_MAX]) bench_usage_error("batch_fifo", "MIN=%llu is larger than MAX=%llu",
                                               (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX]);
    if (v[P_CROSS] && v[P_WORKERS] < 2) bench_usage_error("batch_fifo", "CROSS=1 needs WORKERS >= 2");
    uint64_t nbatches = 2 * v[P_WORKERS] + v[P_DEPTH];
    fifo f = {.ring = calloc(nbatches, sizeof(batch *)), .cap = nbatches, .running = v[P_WORKERS]};
    batch *all = calloc(nbatches, sizeof(batch));
    worker *workers = calloc(v[P_WORKERS], sizeof(worker));
    if (f.ring == NULL || all == NULL || workers == NULL) bench_allocator_failure("batch_fifo", "cannot allocate tables");
    pthread_mutex_init(&f.lock, NULL);
    pthread_cond_init(&f.spare_ready, NULL);
    for (uint64_t i = 0; i < nbatches; i++) {
        all[i].blocks = calloc(v[P_BATCH], sizeof(void *));
        all[i].sizes = calloc(v[P_BATCH], sizeof(uint64_t));
        if (all[i].blocks == NULL || all[i].sizes == NULL) bench_allocator_failure("batch_fifo", "cannot allocate batches");
        all[i].next = f.spare;
        f.spare = &all[i];
    }
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)v[P_WORKERS] + 1);
    for (uint64_t t = 0; t < v[P_WORKERS]; t++) {
        workers[t] = (worker){.id = t, .v = v, .f = &f, .start = &start};
        if (pthread_create(&workers[t].thread, NULL, worker_main, &workers[t])) {
            fprintf(stderr, "batch_fifo: pthread_create failed\n");
            return 1;
        }
    }
    pthread_barrier_wait(&start);
    uint64_t freed = 0;
    double first_start = 0, last_end = 0;
    for (uint64_t t = 0; t < v[P_WORKERS]; t++) {
        pthread_join(workers[t].thread, NULL);
        freed += workers[t].freed;
        if (t == 0 || workers[t].t_start < first_start) first_start = workers[t].t_start;
        if (workers[t].t_end > last_end) last_end = workers[t].t_end;
    }
    double seconds = last_end - first_start;
    for (; f.count; f.count--, f.head = (f.head + 1) % f.cap) { /* the DEPTH batches left waiting */
        free_batch(f.ring[f.head]);
        freed += f.ring[f.head]->n;
    }
    uint64_t blocks = v[P_WORKERS] * v[P_ITERS] * v[P_BATCH];
    if (freed != blocks)
        bench_allocator_failure("batch_fifo", "freed %llu blocks, expected %llu", (unsigned long long)freed,
                                (unsigned long long)blocks);
    pthread_barrier_destroy(&start);
    for (uint64_t i = 0; i < nbatches; i++) {
        free(all[i].blocks);
        free(all[i].sizes);
    }
    free(all);
    free(workers);
    free(f.ring);

    char extra[256];
    snprintf(extra, sizeof extra, "workers=%llu iters=%llu batch=%llu depth=%llu min=%llu max=%llu seed=%llu cross=%llu",
             (unsigned long long)v[P_WORKERS], (unsigned long long)v[P_ITERS], (unsigned long long)v[P_BATCH],
             (unsigned long long)v[P_DEPTH], (unsigned long long)v[P_MIN], (unsigned long long)v[P_MAX],
             (unsigned long long)v[P_SEED], (unsigned long long)v[P_CROSS]);
    bench_print_result("batch_fifo", 2 * blocks, seconds, extra);
    return 0;
}
