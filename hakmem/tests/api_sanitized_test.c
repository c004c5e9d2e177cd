/* api_sanitized_test.c -- the hak_* entry points (no malloc override) built with ASan+UBSan:
 * the glibc-compatible semantics (errno, EINVAL, alignment, realloc, usable size) and a 1M-op
 * random integrity loop, so the sanitizers watch the allocator's own code (overflows in its
 * metadata, undefined shifts/overflows, misaligned accesses) while it works. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "hakmem.h"
#include "hakmem/tests/allocator_probe.h"
#include "hakmem/tests/check.h"
#include "hakmem/tests/pattern.h"

#define ALIGNED(p, a) (((uintptr_t)(p) & ((uintptr_t)(a)-1)) == 0)

static void test_semantics(void) {
    void *a = hak_malloc(0), *b = hak_malloc(0);
    CHECK(a && b && a != b);
    hak_free(a);
    hak_free(b);
    hak_free(NULL);
    CHECK(hak_malloc_usable_size(NULL) == 0);

    errno = 0;
    CHECK(hak_malloc(SIZE_MAX) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(hak_malloc((size_t)PTRDIFF_MAX + 1) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(hak_calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM);

    char *d = hak_malloc(300);
    CHECK(d != NULL);
    memset(d, 0xAA, hak_malloc_usable_size(d));
    hak_free(d);
    for (int i = 0; i < 8; i++) {
        char *z = hak_calloc(3, 100);
        CHECK(z != NULL && zero_check(z, 300) < 0);
        memset(z, 0xAA, 300);
        hak_free(z);
    }

    static const size_t bad[] = {0, 3, 24, sizeof(void *) / 2};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *out = (void *)0x77;
        CHECK(hak_posix_memalign(&out, bad[i], 32) == EINVAL && out == (void *)0x77);
    }
    static const size_t sizes[] = {1, 7, 100, 5000, 300000};
    for (size_t al = 8; al <= ((size_t)1 << 20); al <<= 1)
        for (size_t s = 0; s < 5; s++) {
            void *p = NULL;
            CHECK(hak_posix_memalign(&p, al, sizes[s]) == 0 && ALIGNED(p, al));
            memset(p, 1, sizes[s]);
            hak_free(p);
            p = hak_aligned_alloc(al, sizes[s]);
            CHECK(p && ALIGNED(p, al) && hak_malloc_usable_size(p) >= sizes[s]);
            memset(p, 2, sizes[s]);
            hak_free(p);
            p = hak_memalign(al, sizes[s]);
            CHECK(p && ALIGNED(p, al));
            memset(p, 3, sizes[s]);
            hak_free(p);
        }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *v = hak_valloc(100);
    CHECK(v && ALIGNED(v, page));
    hak_free(v);
    v = hak_pvalloc(100);
    CHECK(v && ALIGNED(v, page) && hak_malloc_usable_size(v) >= page);
    memset(v, 4, page);
    hak_free(v);

    char *r = hak_realloc(NULL, 40);
    CHECK(r != NULL);
    pattern_fill(r, 40, 1);
    errno = 0;
    CHECK(hak_reallocarray(r, SIZE_MAX / 2, 3) == NULL && errno == ENOMEM);
    CHECK(pattern_check(r, 40, 1) < 0);
    static const size_t walk[] = {100, 1024, 5000, 70000, 1u << 20, 5u << 20, 3000, 16};
    size_t cur = 40;
    for (size_t i = 0; i < sizeof walk / sizeof walk[0]; i++) {
        r = hak_realloc(r, walk[i]);
        CHECK(r != NULL && ALIGNED(r, 16));
        CHECK(pattern_check(r, cur < walk[i] ? cur : walk[i], 1) < 0);
        if (walk[i] > cur) pattern_fill_range(r, cur, walk[i], 1);
        cur = walk[i];
    }
    CHECK(hak_realloc(r, 0) == NULL); /* glibc: frees, returns NULL */
}

enum { SLOTS = 2048 };

static void integrity_loop(long ops) {
    static unsigned char *p[SLOTS];
    static size_t n[SLOTS];
    static uint64_t gen[SLOTS];
    uint64_t rng = 0x5a17e57ULL;
    for (long k = 0; k < ops; k++) {
        uint64_t r = check_rand(&rng);
        size_t i = (size_t)(r % SLOTS);
        uint64_t sz = check_rand(&rng);
        size_t want = sz % 1000 < 920 ? 16 + (sz >> 12) % 1009
                      : sz % 1000 < 998 ? 1025 + (sz >> 12) % 60000
                                        : 65536 + (sz >> 12) % (1u << 20);
        if (!p[i]) {
            if ((r >> 40) % 8 == 0) {
                CHECK(hak_posix_memalign((void **)&p[i], 64, want) == 0 && ALIGNED(p[i], 64));
            } else if ((r >> 40) % 8 == 1) {
                p[i] = hak_calloc(1, want);
                CHECK(p[i] && zero_check(p[i], want) < 0);
            } else {
                p[i] = hak_malloc(want);
            }
            CHECK(p[i] != NULL && ALIGNED(p[i], 16) && hak_malloc_usable_size(p[i]) >= want);
            n[i] = want;
            pattern_fill(p[i], want, pattern_key(i, ++gen[i]));
        } else {
            long bad = pattern_check(p[i], n[i], pattern_key(i, gen[i]));
            CHECKF(bad < 0, "slot %zu block %p size %zu: byte %ld corrupted", i, (void *)p[i],
                   n[i], bad);
            if ((r >> 32) % 3 == 0) {
                unsigned char *q = hak_realloc(p[i], want);
                CHECK(q != NULL);
                CHECK(pattern_check(q, n[i] < want ? n[i] : want, pattern_key(i, gen[i])) < 0);
                if (want > n[i]) pattern_fill_range(q, n[i], want, pattern_key(i, gen[i]));
                p[i] = q;
                n[i] = want;
            } else {
                hak_free(p[i]);
                p[i] = NULL;
            }
        }
    }
    for (size_t i = 0; i < SLOTS; i++) hak_free(p[i]);
}

int main(void) {
    expect_hakmem_serves(hak_malloc, hak_free); /* malloc itself is ASan's here */
    test_semantics();
    integrity_loop(1000000);
    hak_thread_flush();
    return check_summary();
}
