/* lifecycle_test.c -- allocation outside main's lifetime: in a constructor before main, in an
 * atexit handler and a destructor after main returns (blocks live across all of them), and in
 * pthread key destructors during thread exit, which run around hakmem's own thread-exit handler
 * (also a key destructor) and re-arm themselves for every destructor round glibc makes; memory
 * must not grow with such threads (the exit-heap bug, README.md). */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hakmem.h"
#include "hakmem/tests/allocator_probe.h"
#include "hakmem/tests/check.h"
#include "hakmem/tests/pattern.h"

static const size_t k_sizes[] = {1, 24, 100, 1000, 4096, 70000, 900000, (size_t)3 << 20};
enum { NSIZES = sizeof k_sizes / sizeof k_sizes[0], THREADS = 400, WAVE = 20 };
enum { NSMALL = 6 }; /* thread exit churns the sizes up to 70000 only (no huge mappings) */

static void *g_ctor_block[NSIZES];  /* from the constructor, freed by the destructor */
static void *g_exit_block[NSIZES];  /* from the atexit handler, freed by the destructor */
static pthread_key_t g_key;

/* A fatal check usable after main (stdio may already be flushed and closed). */
static void must(int ok, const char *what) {
    if (ok) return;
    static const char pre[] = "lifecycle_test: FAILED: ";
    (void)!write(2, pre, sizeof pre - 1);
    (void)!write(2, what, strlen(what));
    (void)!write(2, "\n", 1);
    _exit(1);
}

static void fill_n(void **blocks, int n, uint64_t salt) {
    for (int i = 0; i < n; i++) {
        blocks[i] = malloc(k_sizes[i]);
        must(blocks[i] != NULL, "malloc returned NULL");
        pattern_fill(blocks[i], k_sizes[i], pattern_key(salt, (uint64_t)i));
    }
}

static void fill_all(void **blocks, uint64_t salt) { fill_n(blocks, NSIZES, salt); }

static void check_n(void **blocks, int n, uint64_t salt, const char *what) {
    for (int i = 0; i < n; i++)
        must(pattern_check(blocks[i], k_sizes[i], pattern_key(salt, (uint64_t)i)) < 0, what);
}

static void check_all(void **blocks, uint64_t salt, const char *what) {
    check_n(blocks, NSIZES, salt, what);
}

static void churn_n(int n, uint64_t salt) { /* a burst of allocations, all freed again */
    void *tmp[NSIZES];
    fill_n(tmp, n, salt);
    check_n(tmp, n, salt, "burst block corrupted");
    for (int i = 0; i < n; i++) free(tmp[i]);
}

static void churn(uint64_t salt) { churn_n(NSIZES, salt); }

/* ---- thread exit: a key destructor that checks, frees, allocates and re-arms itself ---------- */
typedef struct {
    unsigned rounds; /* destructor rounds so far */
    void *block;
    size_t size;
    uint64_t key;
} tls_t;

static void key_destructor(void *arg) {
    tls_t *t = arg;
    must(pattern_check(t->block, t->size, t->key) < 0, "thread-local block corrupted at exit");
    free(t->block);
    churn_n(NSMALL, 0xdead + t->rounds);
    t->rounds++;
    if (t->rounds < PTHREAD_DESTRUCTOR_ITERATIONS) { /* another round: allocate and re-arm */
        t->size = k_sizes[t->rounds % NSMALL];
        t->block = malloc(t->size);
        must(t->block != NULL, "malloc in a key destructor failed");
        pattern_fill(t->block, t->size, t->key);
        must(pthread_setspecific(g_key, t) == 0, "pthread_setspecific in destructor");
    } else {
        free(t);
    }
}

static void *thread_main(void *arg) {
    uintptr_t id = (uintptr_t)arg;
    if (id % 2) churn_n(NSMALL, id); /* odd threads allocate while running, even ones only at exit */
    tls_t *t = malloc(sizeof *t);
    CHECK(t != NULL);
    t->rounds = 0;
    t->size = k_sizes[id % NSMALL];
    t->key = pattern_key(id, 77);
    t->block = malloc(t->size);
    CHECK(t->block != NULL);
    pattern_fill(t->block, t->size, t->key);
    CHECK(pthread_setspecific(g_key, t) == 0);
    return NULL;
}

/* ---- before and after main ----------------------------------------------------------------- */
__attribute__((constructor(101))) static void before_main(void) {
    fill_all(g_ctor_block, 1);
    churn(2);
    must(pthread_key_create(&g_key, key_destructor) == 0, "pthread_key_create");
}

static void at_exit_handler(void) {
    check_all(g_ctor_block, 1, "constructor block corrupted in atexit handler");
    churn(3);
    fill_all(g_exit_block, 4);
}

__attribute__((destructor(101))) static void after_main(void) {
    check_all(g_ctor_block, 1, "constructor block corrupted in destructor");
    check_all(g_exit_block, 4, "atexit block corrupted in destructor");
    churn(5);
    for (int i = 0; i < NSIZES; i++) {
        free(g_ctor_block[i]);
        free(g_exit_block[i]);
    }
    static const char ok[] = "lifecycle_test: destructor after main: ok\n";
    (void)!write(1, ok, sizeof ok - 1);
}

int main(void) {
    expect_hakmem_allocator();
    check_all(g_ctor_block, 1, "constructor block corrupted in main");
    CHECK(atexit(at_exit_handler) == 0);

    pthread_t tid[WAVE];
    hak_os_stats first, end;
    for (unsigned started = 0; started < THREADS; started += WAVE) {
        for (unsigned w = 0; w < WAVE; w++)
            CHECK(pthread_create(&tid[w], NULL, thread_main, (void *)(uintptr_t)(started + w)) == 0);
        for (unsigned w = 0; w < WAVE; w++) CHECK(pthread_join(tid[w], NULL) == 0);
        if (started + WAVE == 100) hak_os_stats_get(&first);
    }
    hak_os_stats_get(&end);
    long live_first = (long)(first.superslab_alloc - first.superslab_free);
    long live_end = (long)(end.superslab_alloc - end.superslab_free);
    printf("threads with allocating key destructors: %d; live SuperSlabs after 100: %ld, after "
           "%d: %ld\n", THREADS, live_first, THREADS, live_end);
    /* Heaps of exited threads are reused even when a key destructor allocates after hakmem's
     * own exit handler ran, in glibc's last destructor round (this leaked 31 -> 118 SuperSlabs
     * over 400 threads before the shared exit heap). */
    EXPECTF(live_end <= live_first + 8, "SuperSlabs grew from %ld to %ld", live_first, live_end);
    return check_summary();
}
