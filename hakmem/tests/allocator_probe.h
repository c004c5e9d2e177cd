/* allocator_probe.h -- the first check of every hakmem test binary: hakmem is the allocator under
 * test. hak_variant_name() must name the variant Bazel built the test for (HAK_TEST_EXPECT_VARIANT:
 * a define in linked tests, an environment variable set by preloaded.sh in preloaded runs), and a
 * block from the allocation function under test must be hakmem's (hak_owns) after hakmem mapped a
 * SuperSlab (hak_os_stats). Under HAKMEM_FORCE_LIBC_ALLOC=1 the block must be glibc's instead.
 * A wiring mistake (malloc left to glibc, a preload that did not load) stops the test here. */
#ifndef HAKMEM_TESTS_ALLOCATOR_PROBE_H
#define HAKMEM_TESTS_ALLOCATOR_PROBE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hakmem.h"
#include "hakmem/tests/check.h"

static inline int probe_force_libc_(void) {
    const char *v = getenv("HAKMEM_FORCE_LIBC_ALLOC");
    return v && strcmp(v, "1") == 0;
}

/* alloc/release: the functions under test (malloc/free, or hak_malloc/hak_free for the tests of
 * the hak_* API that leave malloc to a sanitizer). */
static inline void expect_hakmem_serves(void *(*alloc)(size_t), void (*release)(void *)) {
#ifdef HAK_TEST_EXPECT_VARIANT
#define PROBE_STR2_(x) #x
#define PROBE_STR_(x) PROBE_STR2_(x)
    const char *want = PROBE_STR_(HAK_TEST_EXPECT_VARIANT);
#else
    const char *want = getenv("HAK_TEST_EXPECT_VARIANT");
    CHECKF(want && *want, "HAK_TEST_EXPECT_VARIANT is unset: run the test through Bazel");
#endif
    const char *got = hak_variant_name();
    CHECKF(got && strcmp(got, want) == 0, "hak_variant_name() = \"%s\", expected \"%s\"",
           got ? got : "(null)", want);
    int libc = probe_force_libc_();
    void *p = alloc(40);
    CHECK(p != NULL);
    hak_os_stats st;
    hak_os_stats_get(&st);
    if (libc) {
        CHECKF(!hak_owns(p), "HAKMEM_FORCE_LIBC_ALLOC=1, yet block %p is hakmem's", p);
    } else {
        CHECKF(hak_owns(p), "block %p is not hakmem's: the allocation calls do not reach hakmem", p);
        CHECKF(st.superslab_alloc >= 1, "hakmem served %p but reports %llu SuperSlabs mapped", p,
               (unsigned long long)st.superslab_alloc);
    }
    release(p);
    printf("allocator under test: hakmem %s%s\n", got,
           libc ? " (every call routed to glibc by HAKMEM_FORCE_LIBC_ALLOC=1)" : "");
    fflush(stdout);
}

/* The usual case: the C library's malloc/free are hakmem's (linked in, or preloaded). */
static inline void expect_hakmem_allocator(void) { expect_hakmem_serves(malloc, free); }

#endif /* HAKMEM_TESTS_ALLOCATOR_PROBE_H */
