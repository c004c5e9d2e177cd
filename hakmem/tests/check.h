/* check.h -- the hakmem tests' tiny assertion kit (C and C++).
 * CHECK(e): on failure print file:line and the expression, then abort (fatal).
 * EXPECT(e): on failure print the same, count it and go on; check_summary() prints
 * "N passed, M failed" and returns the exit status. Counters are atomic (tests use threads). */
#ifndef HAKMEM_TESTS_CHECK_H
#define HAKMEM_TESTS_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __cplusplus
#include <atomic>
#define CHECK_ATOMIC(T) std::atomic<T>
#else
#include <stdatomic.h>
#define CHECK_ATOMIC(T) _Atomic(T)
#endif

static CHECK_ATOMIC(long) check_passed_;
static CHECK_ATOMIC(long) check_failed_;

/* One outcome of CHECK/EXPECT: counts a pass, or reports a failure with an optional
 * printf-formatted explanation and then aborts (fatal) or counts it. */
__attribute__((format(printf, 5, 6))) static inline void check_outcome_(
    int ok, int fatal, const char *where, const char *expr, const char *fmt, ...) {
    if (ok) {
        check_passed_++;
        return;
    }
    char msg[512] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    fprintf(stderr, "%s: CHECK FAILED: %s%s%s\n", where, expr, fmt ? " -- " : "", msg);
    fflush(stderr);
    if (fatal) abort();
    check_failed_++;
}

#define CHECK_STR2_(x) #x
#define CHECK_STR_(x) CHECK_STR2_(x)
#define CHECK_WHERE_ __FILE__ ":" CHECK_STR_(__LINE__)

/* Fatal on failure. */
#define CHECK(e) check_outcome_(!!(e), 1, CHECK_WHERE_, #e, NULL)
/* Like CHECK, with a printf-formatted explanation (values observed). */
#define CHECKF(e, ...) check_outcome_(!!(e), 1, CHECK_WHERE_, #e, __VA_ARGS__)
/* Counted on failure; the test goes on. */
#define EXPECT(e) check_outcome_(!!(e), 0, CHECK_WHERE_, #e, NULL)
#define EXPECTF(e, ...) check_outcome_(!!(e), 0, CHECK_WHERE_, #e, __VA_ARGS__)

/* Prints the final "N passed, M failed" line; returns the process exit status. */
static inline int check_summary(void) {
    long p = check_passed_, f = check_failed_;
    printf("%ld passed, %ld failed\n", p, f);
    fflush(stdout);
    return f == 0 ? 0 : 1;
}

/* xorshift64*: the tests' seeded PRNG (deterministic per seed, never 0 state). */
static inline uint64_t check_rand(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

#endif /* HAKMEM_TESTS_CHECK_H */
