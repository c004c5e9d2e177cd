/* fork_test.c -- fork() while 4 threads hammer malloc/free: the child (one thread, holding whatever
 * allocator state the fork froze) must malloc/free/realloc across all size ranges, start a thread
 * of its own, and exit(0); alarm() turns an allocator deadlock in the child into a failure.
 * The parent also checks its own heap still works after every fork. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hakmem.h"
#include "hakmem/tests/allocator_probe.h"
#include "hakmem/tests/check.h"
#include "hakmem/tests/pattern.h"

enum { HAMMER_THREADS = 4, FORKS = 12 };

static atomic_int stop;

static void *hammer(void *arg) {
    uint64_t rng = 0x1f2e3d4cu + (uintptr_t)arg;
    void *p[64] = {0};
    while (!atomic_load(&stop)) {
        uint64_t r = check_rand(&rng);
        unsigned i = (unsigned)(r % 64);
        free(p[i]);
        unsigned bucket = (unsigned)((r >> 8) % 1000);
        size_t n = bucket < 950 ? 16 + (r >> 16) % 1024
                   : bucket < 999 ? 1024 + (r >> 16) % 300000
                                  : (1u << 20) + (r >> 16) % (1u << 20); /* huge registry */
        p[i] = malloc(n);
        CHECK(p[i] != NULL);
        memset(p[i], (int)i, n < 32 ? n : 32);
    }
    for (int i = 0; i < 64; i++) free(p[i]);
    return NULL;
}

static void *child_thread(void *arg) {
    for (int i = 0; i < 2000; i++) free(malloc(16 + (size_t)i % 2000));
    return arg;
}

/* Runs in the child: any failure exits non-zero (CHECK aborts; alarm kills a deadlock). */
_Noreturn static void child_work(int round) {
    alarm(20);
    uint64_t rng = 0x600dd00du + (uint64_t)round;
    enum { N = 512 };
    unsigned char *p[N];
    size_t n[N];
    for (int i = 0; i < N; i++) {
        uint64_t r = check_rand(&rng);
        n[i] = i % 50 == 0 ? (1u << 20) + (r % (3u << 20)) : i % 7 == 0 ? 1025 + r % 100000
                                                                       : 1 + r % 1024;
        p[i] = malloc(n[i]);
        CHECK(p[i] != NULL);
        pattern_fill(p[i], n[i], pattern_key((uint64_t)i, 1));
    }
    for (int i = 0; i < N; i++) { /* realloc crossing size ranges both ways */
        size_t m = n[(i * 37 + 11) % N];
        CHECK(pattern_check(p[i], n[i], pattern_key((uint64_t)i, 1)) < 0);
        unsigned char *q = realloc(p[i], m);
        CHECK(q != NULL);
        CHECK(pattern_check(q, n[i] < m ? n[i] : m, pattern_key((uint64_t)i, 1)) < 0);
        p[i] = q;
        n[i] = m;
        pattern_fill(q, m, pattern_key((uint64_t)i, 2));
    }
    for (int i = 0; i < N; i += 2) {
        CHECK(pattern_check(p[i], n[i], pattern_key((uint64_t)i, 2)) < 0);
        free(p[i]);
    }
    void *c = calloc(1000, 10);
    CHECK(c != NULL);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, child_thread, c) == 0);
    void *ret = NULL;
    CHECK(pthread_join(th, &ret) == 0 && ret == c);
    free(c);
    for (int i = 1; i < N; i += 2) {
        CHECK(pattern_check(p[i], n[i], pattern_key((uint64_t)i, 2)) < 0);
        free(p[i]);
    }
    exit(0);
}

int main(void) {
    expect_hakmem_allocator();
    pthread_t th[HAMMER_THREADS];
    for (int i = 0; i < HAMMER_THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, hammer, (void *)(uintptr_t)i) == 0);
    for (int round = 0; round < FORKS; round++) {
        usleep(2000); /* let the hammers get going between forks */
        void *keep = malloc(777); /* allocated before, freed in both processes after */
        CHECK(keep != NULL);
        fflush(stdout); /* or the child would print the buffered lines again */
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            free(keep);
            child_work(round);
        }
        free(keep);
        void *q = malloc(5000);
        CHECK(q != NULL);
        free(q);
        int status = 0;
        CHECK(waitpid(pid, &status, 0) == pid);
        if (WIFSIGNALED(status))
            fprintf(stderr, "fork round %d: child killed by signal %d (%s)\n", round,
                    WTERMSIG(status), WTERMSIG(status) == SIGALRM ? "deadlock" : "crash");
        CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "round %d: child status 0x%x",
               round, status);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < HAMMER_THREADS; i++) CHECK(pthread_join(th[i], NULL) == 0);
    return check_summary();
}
