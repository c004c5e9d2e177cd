/* check.h -- the hakmem tests' tiny assertion kit (C and C++).
 * CHECK(e): on failure print file:line and the expression, then abort (fatal).
 * EXPECT(e): on failure print the same, count it and go on; check_summary() prints
 * "N passed, M failed" and returns the exit status. Counters are atomic (tests use threads). */
#ifndef HAKMEM_TESTS_CHECK_H
#define HAKMEM_TESTS_CHECK_H

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

static inline void check_fail_(const char *file, int line, const char *expr, const char *msg) {
    fprintf(stderr, "%s:%d: CHECK FAILED: %s%s%s\n", file, line, expr, msg ? " -- " : "",
            msg ? msg : "");
    fflush(stderr);
}

#define CHECK(e)                                                                        \
    do {                                                                                \
        if (e) {                                                                        \
            check_passed_++;                                                            \
        } else {                                                                        \
            check_fail_(__FILE__, __LINE__, #e, NULL);                                  \
            abort();                                                                    \
        }                                                                               \
    } while (0)

/* Like CHECK, with a printf-formatted explanation (values observed). */
#define CHECKF(e, ...)                                                                  \
    do {                                                                                \
        if (e) {                                                                        \
            check_passed_++;                                                            \
        } else {                                                                        \
            char check_msg_[512];                                                       \
            snprintf(check_msg_, sizeof check_msg_, __VA_ARGS__);                       \
            check_fail_(__FILE__, __LINE__, #e, check_msg_);                            \
            abort();                                                                    \
        }                                                                               \
    } while (0)

#define EXPECT(e)                                                                       \
    do {                                                                                \
        if (e) {                                                                        \
            check_passed_++;                                                            \
        } else {                                                                        \
            check_fail_(__FILE__, __LINE__, #e, NULL);                                  \
            check_failed_++;                                                            \
        }                                                                               \
    } while (0)

#define EXPECTF(e, ...)                                                                 \
    do {                                                                                \
        if (e) {                                                                        \
            check_passed_++;                                                            \
        } else {                                                                        \
            char check_msg_[512];                                                       \
            snprintf(check_msg_, sizeof check_msg_, __VA_ARGS__);                       \
            check_fail_(__FILE__, __LINE__, #e, check_msg_);                            \
            check_failed_++;                                                            \
        }                                                                               \
    } while (0)

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
