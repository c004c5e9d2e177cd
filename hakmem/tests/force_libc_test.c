/* force_libc_test.c -- HAKMEM_FORCE_LIBC_ALLOC=1 (the same-binary glibc baseline): every
 * allocation entry point of the override (malloc, free, calloc small and huge, realloc in each
 * direction, reallocarray, posix_memalign, aligned_alloc, memalign, valloc, pvalloc,
 * __libc_memalign, malloc_usable_size) must return glibc's blocks with glibc's semantics, and
 * return at all: a watchdog names the call that hangs. Run linked and preloaded (BUILD.bazel). */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hakmem.h"
#include "hakmem/tests/allocator_probe.h"
#include "hakmem/tests/check.h"
#include "hakmem/tests/pattern.h"

/* glibc's internal name, overridden by hakmem too (no public prototype). */
void *__libc_memalign(size_t alignment, size_t size);

static const char *volatile g_call = "start-up";

static void on_watchdog(int sig) {
    static const char head[] = "force_libc_test: HANG: no return from ";
    ssize_t w = write(2, head, sizeof head - 1);
    w = write(2, (const char *)g_call, strlen((const char *)g_call));
    w = write(2, "\n", 1);
    (void)w;
    _exit(2);
}

/* A block of `size` usable bytes from glibc, aligned to `align`: checks and frees it. */
static void expect_libc_block(const char *call, void *p, size_t size, size_t align) {
    CHECKF(p != NULL, "%s returned NULL", call);
    CHECKF(((uintptr_t)p & (align - 1)) == 0, "%s = %p, not %zu-aligned", call, p, align);
    CHECKF(!hak_owns(p), "%s = %p: a hakmem block although HAKMEM_FORCE_LIBC_ALLOC=1", call, p);
    g_call = "malloc_usable_size";
    CHECKF(malloc_usable_size(p) >= size, "%s: malloc_usable_size %zu < %zu", call,
           malloc_usable_size(p), size);
    pattern_fill(p, size, size ^ align);
    CHECK(pattern_check(p, size, size ^ align) < 0);
    g_call = "free";
    free(p);
}

static void test_aligned_entry_points(void) {
    static const size_t sizes[] = {1, 100, 5000, 300000, 3u << 20};
    static const size_t aligns[] = {32, 64, 4096, 65536, 1u << 20, 4u << 20};
    for (size_t a = 0; a < sizeof aligns / sizeof aligns[0]; a++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t al = aligns[a], n = sizes[s];
            void *p = NULL;
            g_call = "posix_memalign";
            CHECK(posix_memalign(&p, al, n) == 0);
            expect_libc_block("posix_memalign", p, n, al);
            g_call = "aligned_alloc";
            expect_libc_block("aligned_alloc", aligned_alloc(al, n), n, al);
            g_call = "memalign";
            expect_libc_block("memalign", memalign(al, n), n, al);
            g_call = "__libc_memalign";
            expect_libc_block("__libc_memalign", __libc_memalign(al, n), n, al);
        }
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    g_call = "valloc";
    expect_libc_block("valloc", valloc(5000), 5000, page);
    g_call = "pvalloc";
    expect_libc_block("pvalloc", pvalloc(5000), 2 * page, page);
    void *out = (void *)0x1;
    g_call = "posix_memalign(EINVAL)";
    CHECK(posix_memalign(&out, 24, 16) == EINVAL && out == (void *)0x1);
    g_call = "posix_memalign(ENOMEM)";
    CHECK(posix_memalign(&out, 64, SIZE_MAX - 4096) == ENOMEM && out == (void *)0x1);
}

static void test_plain_entry_points(void) {
    static const size_t sizes[] = {0, 16, 1000, 70000, 2u << 20};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        g_call = "malloc";
        expect_libc_block("malloc", malloc(n), n, 16);
        g_call = "calloc";
        unsigned char *c = calloc(n + 1, 1);
        CHECKF(c != NULL && zero_check(c, n + 1) < 0, "calloc(%zu, 1) not zeroed", n + 1);
        expect_libc_block("calloc", c, n + 1, 16);
    }
    errno = 0;
    g_call = "calloc(overflow)";
    CHECK(calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM);

    /* realloc: from NULL, grow small -> huge, shrink huge -> small, to 0; content kept. */
    g_call = "realloc(NULL)";
    unsigned char *p = realloc(NULL, 100);
    CHECK(p != NULL && !hak_owns(p));
    pattern_fill(p, 100, 3);
    static const size_t steps[] = {5000, 3u << 20, 8u << 20, 200, 50};
    size_t cur = 100;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        g_call = "realloc";
        p = realloc(p, steps[i]);
        size_t keep = cur < steps[i] ? cur : steps[i];
        CHECKF(p != NULL && !hak_owns(p) && pattern_check(p, keep, 3) < 0,
               "realloc %zu -> %zu lost content or went to hakmem", cur, steps[i]);
        if (steps[i] > cur) pattern_fill_range(p, cur, steps[i], 3);
        cur = steps[i];
    }
    g_call = "reallocarray";
    p = reallocarray(p, 30, 10);
    CHECK(p != NULL && !hak_owns(p) && pattern_check(p, 50, 3) < 0);
    errno = 0;
    CHECK(reallocarray(p, SIZE_MAX / 2, 4) == NULL && errno == ENOMEM);
    g_call = "realloc(p, 0)";
    CHECK(realloc(p, 0) == NULL);
    g_call = "free(NULL)";
    free(NULL);
    CHECK(malloc_usable_size(NULL) == 0);
}

int main(void) {
    CHECKF(probe_force_libc_(), "run with HAKMEM_FORCE_LIBC_ALLOC=1 (BUILD.bazel sets it)");
    signal(SIGALRM, on_watchdog);
    alarm(15);
    expect_hakmem_allocator();
    test_plain_entry_points();
    test_aligned_entry_points();
    alarm(0);
    return check_summary();
}
