/* api_test.c -- glibc semantics of the C allocation API, called through the standard names
 * (malloc/free/calloc/realloc/reallocarray/posix_memalign/aligned_alloc/memalign/valloc/pvalloc/
 * malloc_usable_size, __libc_memalign), linked in or preloaded (BUILD.bazel): edge cases, errno,
 * alignment up to 64 MiB, content preservation across the tiny/medium/huge size ranges (huge
 * blocks grown and shrunk by realloc included). */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hakmem.h"
#include "hakmem/tests/allocator_probe.h"
#include "hakmem/tests/check.h"
#include "hakmem/tests/pattern.h"

/* glibc's internal name, which some libraries call directly; hakmem overrides it too. */
void *__libc_memalign(size_t alignment, size_t size);

#define ALIGNED(p, a) (((uintptr_t)(p) & ((uintptr_t)(a)-1)) == 0)

static const size_t kSizes[] = {16,    24,     100,     1000,      1024,      1025,     4096,
                                30000, 65536,  262144,  1u << 20,  3u << 20,  8u << 20};
#define NSIZES (sizeof kSizes / sizeof kSizes[0])

static void test_variant_name(void) {
    const char *v = hak_variant_name();
    CHECK(v != NULL);
    /* The name starts with the gate set's name; the rest is the variant's own ("fast-pgo"). */
#if defined(HAK_VARIANT_FAST)
    CHECK(strncmp(v, "fast", 4) == 0);
#elif defined(HAK_VARIANT_STANDARD)
    CHECK(strncmp(v, "standard", 8) == 0);
#elif defined(HAK_VARIANT_OBSERVE)
    CHECK(strncmp(v, "observe", 7) == 0);
#elif defined(HAK_VARIANT_HARDENED)
    CHECK(strncmp(v, "hardened", 8) == 0);
#endif
#if defined(HAK_VARIANT_LABEL)
#define LABEL_(x) #x
#define LABEL(x) LABEL_(x)
    CHECK(strcmp(v, LABEL(HAK_VARIANT_LABEL)) == 0);
#endif
    printf("variant: %s\n", v);
}

static int cmp_ptr(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static void test_malloc_zero_and_free_null(void) {
    enum { N = 256 };
    void *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = malloc(0);
        CHECK(p[i] != NULL);
        CHECK(ALIGNED(p[i], 16));
    }
    qsort(p, N, sizeof p[0], cmp_ptr);
    for (int i = 1; i < N; i++) CHECK(p[i] != p[i - 1]);
    for (int i = 0; i < N; i++) free(p[i]);
    free(NULL);
    CHECK(malloc_usable_size(NULL) == 0);
}

static void test_calloc(void) {
    static const size_t sizes[] = {1, 16, 100, 1024, 4096, 5000, 100000, 1u << 20, 5u << 20};
    enum { K = 64 };
    void *blk[K];
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        int k = n > 65536 ? 4 : K;
        /* Dirty k blocks of this size, free them, then calloc k blocks: recycled memory must be
         * zeroed too, not only fresh pages. */
        for (int i = 0; i < k; i++) {
            blk[i] = malloc(n);
            CHECK(blk[i] != NULL);
            memset(blk[i], 0xAA, malloc_usable_size(blk[i]));
        }
        for (int i = 0; i < k; i++) free(blk[i]);
        for (int i = 0; i < k; i++) {
            blk[i] = calloc(1, n);
            CHECK(blk[i] != NULL);
            CHECK(ALIGNED(blk[i], 16));
            CHECKF(zero_check(blk[i], n) < 0, "calloc(1, %zu): byte %ld not zero", n,
                   zero_check(blk[i], n));
            memset(blk[i], 0xAA, n);
        }
        for (int i = 0; i < k; i++) free(blk[i]);
        void *q = calloc(n, 1); /* count/size the other way round */
        CHECK(q != NULL && zero_check(q, n) < 0);
        free(q);
    }
    errno = 0;
    CHECK(calloc(SIZE_MAX / 2, 3) == NULL);
    CHECK(errno == ENOMEM);
    errno = 0;
    CHECK(calloc(SIZE_MAX, SIZE_MAX) == NULL);
    CHECK(errno == ENOMEM);
    errno = 0;
    CHECK(calloc((size_t)1 << 33, (size_t)1 << 31) == NULL); /* 2^64: wraps to 0 */
    CHECK(errno == ENOMEM);
    void *z = calloc(0, 0);
    CHECK(z != NULL);
    free(z);
}

static void test_huge_requests_fail(void) {
    static const size_t bad[] = {SIZE_MAX, SIZE_MAX - 16, SIZE_MAX / 2, (size_t)PTRDIFF_MAX + 1,
                                 (size_t)PTRDIFF_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        void *p = malloc(bad[i]);
        CHECKF(p == NULL, "malloc(%zu) returned %p", bad[i], p);
        CHECKF(errno == ENOMEM, "malloc(%zu): errno %d", bad[i], errno);
        errno = 0;
        CHECK(aligned_alloc(64, bad[i]) == NULL && errno == ENOMEM);
        errno = 0;
        CHECKF(memalign(64, bad[i]) == NULL && errno == ENOMEM, "memalign(64, %zu)", bad[i]);
        errno = 0;
        CHECKF(valloc(bad[i]) == NULL && errno == ENOMEM, "valloc(%zu)", bad[i]);
        errno = 0;
        CHECKF(pvalloc(bad[i]) == NULL && errno == ENOMEM, "pvalloc(%zu)", bad[i]);
        void *out = (void *)0x1234;
        CHECK(posix_memalign(&out, 64, bad[i]) == ENOMEM);
        CHECK(out == (void *)0x1234);
    }
    char *p = malloc(100);
    CHECK(p != NULL);
    pattern_fill(p, 100, 7);
    errno = 0;
    CHECK(realloc(p, SIZE_MAX) == NULL && errno == ENOMEM);
    CHECK(pattern_check(p, 100, 7) < 0); /* failed realloc leaves the block alone */
    free(p);
}

static void test_posix_memalign_einval(void) {
    static const size_t bad[] = {0, 3, 24, sizeof(void *) / 2, 1, 48, 4097};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *out = (void *)0x5a5a;
        int rc = posix_memalign(&out, bad[i], 64);
        CHECKF(rc == EINVAL, "posix_memalign(align=%zu) returned %d", bad[i], rc);
        CHECKF(out == (void *)0x5a5a, "posix_memalign(align=%zu) wrote *out", bad[i]);
    }
}

static void use_aligned(void *p, size_t align, size_t size, const char *fn) {
    CHECKF(p != NULL, "%s(align=%zu, size=%zu) failed", fn, align, size);
    CHECKF(ALIGNED(p, align) && ALIGNED(p, 16), "%s(align=%zu, size=%zu) = %p", fn, align, size,
           p);
    CHECK(malloc_usable_size(p) >= size);
    pattern_fill(p, size, align ^ size);
    CHECK(pattern_check(p, size, align ^ size) < 0);
    free(p);
}

static void test_alignment_functions(void) {
    static const size_t sizes[] = {1, 7, 100, 5000, 300000};
    for (size_t align = 8; align <= ((size_t)1 << 20); align <<= 1) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t size = sizes[s];
            void *p = NULL;
            CHECK(posix_memalign(&p, align, size) == 0);
            use_aligned(p, align, size, "posix_memalign");
            use_aligned(aligned_alloc(align, size), align, size, "aligned_alloc");
            use_aligned(memalign(align, size), align, size, "memalign");
            use_aligned(__libc_memalign(align, size), align, size, "__libc_memalign");
        }
    }
    /* Above 1 MiB only a huge mapping can be aligned (the slabs' chunks are 64 KiB). */
    static const size_t big_aligns[] = {2u << 20, 4u << 20, 64u << 20};
    for (size_t i = 0; i < sizeof big_aligns / sizeof big_aligns[0]; i++) {
        size_t align = big_aligns[i];
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            void *p = NULL;
            CHECK(posix_memalign(&p, align, sizes[s]) == 0);
            use_aligned(p, align, sizes[s], "posix_memalign");
            use_aligned(aligned_alloc(align, sizes[s]), align, sizes[s], "aligned_alloc");
            use_aligned(memalign(align, sizes[s]), align, sizes[s], "memalign");
        }
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    static const size_t vsizes[] = {1, 100, 4096, 5000, 300000};
    for (size_t s = 0; s < sizeof vsizes / sizeof vsizes[0]; s++) {
        size_t size = vsizes[s];
        use_aligned(valloc(size), page, size, "valloc");
        void *p = pvalloc(size);
        CHECK(p != NULL && ALIGNED(p, page));
        size_t rounded = (size + page - 1) / page * page;
        CHECKF(malloc_usable_size(p) >= rounded, "pvalloc(%zu): usable %zu < %zu", size,
               malloc_usable_size(p), rounded);
        memset(p, 0x5c, rounded);
        free(p);
    }
}

/* Aligned blocks (small, page, beyond 64 KiB: the huge path) resized down and up, and size 0. */
static void test_realloc_aligned(void) {
    static const size_t aligns[] = {64, 4096, 131072, 1u << 20};
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
        size_t al = aligns[i];
        char *p = memalign(al, 1000);
        CHECK(p != NULL && ALIGNED(p, al));
        pattern_fill(p, 1000, al);
        p = realloc(p, 50);
        CHECK(p != NULL && pattern_check(p, 50, al) < 0);
        p = realloc(p, 3u << 20);
        CHECKF(p != NULL && pattern_check(p, 50, al) < 0, "memalign(%zu) block regrown", al);
        memset(p + 50, 1, (3u << 20) - 50);
        free(p);
        void *z = NULL;
        CHECK(posix_memalign(&z, al, 0) == 0 && z != NULL && ALIGNED(z, al));
        free(z);
        z = aligned_alloc(al, 0);
        CHECK(z != NULL && ALIGNED(z, al));
        free(z);
    }
}

static void test_realloc_basics(void) {
    char *p = realloc(NULL, 200);
    CHECK(p != NULL && ALIGNED(p, 16) && malloc_usable_size(p) >= 200);
    memset(p, 1, 200);
    free(p);
    p = malloc(64);
    CHECK(p != NULL);
    CHECK(realloc(p, 0) == NULL); /* glibc: frees p and returns NULL */
    p = malloc(1u << 20);
    CHECK(p != NULL);
    CHECK(realloc(p, 0) == NULL);
}

static void test_realloc_preserves(void) {
    /* Every (from, to) pair of sizes, across the size ranges. */
    for (size_t i = 0; i < NSIZES; i++) {
        for (size_t j = 0; j < NSIZES; j++) {
            size_t a = kSizes[i], b = kSizes[j];
            uint64_t key = pattern_key(a, b);
            char *p = malloc(a);
            CHECK(p != NULL);
            pattern_fill(p, a, key);
            char *q = realloc(p, b);
            CHECKF(q != NULL && ALIGNED(q, 16), "realloc(%zu -> %zu) = %p", a, b, (void *)q);
            size_t keep = a < b ? a : b;
            long bad = pattern_check(q, keep, key);
            CHECKF(bad < 0, "realloc(%zu -> %zu) lost byte %ld", a, b, bad);
            CHECK(malloc_usable_size(q) >= b);
            pattern_fill(q, b, key + 1);
            free(q);
        }
    }
    /* One block walked up through every size and back down, growing in steps. */
    size_t cur = 1;
    char *p = malloc(cur);
    CHECK(p != NULL);
    pattern_fill(p, cur, 99);
    for (int dir = 0; dir < 2; dir++) {
        for (size_t k = 0; k < NSIZES; k++) {
            size_t n = dir == 0 ? kSizes[k] + 3 : kSizes[NSIZES - 1 - k] - 5;
            p = realloc(p, n);
            CHECK(p != NULL);
            size_t keep = cur < n ? cur : n;
            CHECKF(pattern_check(p, keep, 99) < 0, "walk realloc %zu -> %zu", cur, n);
            if (n > cur) pattern_fill_range(p, cur, n, 99);
            cur = n;
        }
    }
    free(p);
}

static void test_reallocarray(void) {
    char *p = malloc(100);
    CHECK(p != NULL);
    pattern_fill(p, 100, 5);
    errno = 0;
    CHECK(reallocarray(p, SIZE_MAX / 2, 3) == NULL);
    CHECK(errno == ENOMEM);
    CHECK(pattern_check(p, 100, 5) < 0);
    char *q = reallocarray(p, 10, 20);
    CHECK(q != NULL && malloc_usable_size(q) >= 200);
    CHECK(pattern_check(q, 100, 5) < 0);
    memset(q + 100, 0, 100);
    free(q);
    q = reallocarray(NULL, 7, 9);
    CHECK(q != NULL && malloc_usable_size(q) >= 63);
    free(q);
}

static void test_usable_size_and_alignment(void) {
    /* Blocks of one size side by side, each written over its whole usable size: no block may
     * overlap its neighbour's usable bytes. */
    enum { K = 48 };
    void *blk[K];
    for (size_t n = 1; n <= 70000; n = n < 2048 ? n + 1 : n * 5 / 4) {
        int k = n <= 4096 ? K : 6;
        if (n > 64 && n < 2048 && (n % 7) != 0) continue; /* keep the loop short */
        for (int i = 0; i < k; i++) {
            blk[i] = malloc(n);
            CHECK(blk[i] != NULL);
            CHECKF(ALIGNED(blk[i], 16), "malloc(%zu) = %p", n, blk[i]);
            size_t u = malloc_usable_size(blk[i]);
            CHECKF(u >= n, "malloc_usable_size(malloc(%zu)) = %zu", n, u);
            pattern_fill(blk[i], u, pattern_key(n, (uint64_t)i));
        }
        for (int i = 0; i < k; i++) {
            size_t u = malloc_usable_size(blk[i]);
            long bad = pattern_check(blk[i], u, pattern_key(n, (uint64_t)i));
            CHECKF(bad < 0, "size %zu block %d: usable byte %ld overwritten", n, i, bad);
            free(blk[i]);
        }
    }
    for (size_t i = 0; i < NSIZES; i++) {
        void *p = malloc(kSizes[i]);
        CHECK(p != NULL && ALIGNED(p, 16) && malloc_usable_size(p) >= kSizes[i]);
        memset(p, 0x11, malloc_usable_size(p));
        free(p);
    }
}

int main(void) {
    expect_hakmem_allocator();
    test_variant_name();
    test_malloc_zero_and_free_null();
    test_calloc();
    test_huge_requests_fail();
    test_posix_memalign_einval();
    test_alignment_functions();
    test_realloc_basics();
    test_realloc_aligned();
    test_realloc_preserves();
    test_reallocarray();
    test_usable_size_and_alignment();
    return check_summary();
}
