/* hakmem_fuzz.c -- libFuzzer target: each input is a program of allocation operations on a table
 * of slots, run through the hak_* API (malloc/calloc/realloc/free/posix_memalign/aligned_alloc/
 * memalign/malloc_usable_size) and checked against a model: block contents (pattern keyed by slot
 * and generation), alignment, usable size, calloc zeroing, realloc preservation, errno on errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hakmem.h"

#define NO_COVERAGE __attribute__((no_sanitize("coverage")))

enum { SLOTS = 64 };
#define MIB ((size_t)1 << 20)
#define LIVE_LIMIT (96 * MIB) /* the model skips allocations that would exceed this many live bytes */
#define DENSE_MAX (256u << 10) /* blocks up to this size are patterned in full */
#define EDGE (64u << 10)       /* larger ones: head and tail EDGE bytes plus 64 bytes of each page */
#define PAGE 4096u

typedef struct {
    unsigned char *p;
    size_t size;  /* bytes the model may use (the request, or the usable size once asked) */
    size_t align; /* alignment the block must have */
    uint64_t key; /* pattern key: (slot, generation) */
} slot_t;

static slot_t g_slot[SLOTS];
static size_t g_live;
static uint64_t g_gen;

typedef struct {
    const uint8_t *d;
    size_t n, i;
} reader_t;

static unsigned rd8(reader_t *r) { return r->i < r->n ? r->d[r->i++] : 0; }
static unsigned rd16(reader_t *r) { return rd8(r) | rd8(r) << 8; }
static unsigned rd24(reader_t *r) { return rd16(r) | rd8(r) << 16; }

static void fail(const char *what, size_t slot, const void *p, size_t size, long at) {
    fprintf(stderr, "hakmem_fuzz: %s: slot %zu block %p size %zu offset %ld (variant %s)\n", what,
            slot, p, size, at, hak_variant_name());
    abort();
}

/* ---- block patterns ------------------------------------------------------------------------- */
static uint64_t key_of(size_t slot, uint64_t gen) {
    uint64_t k = (slot + 1) * 0x9E3779B97F4A7C15ULL ^ (gen + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL;
    return k ^ (k >> 31);
}

static uint64_t word_at(uint64_t key, size_t i) { return key ^ (uint64_t)(i >> 3) * 0xD6E8FEB86659FD93ULL; }
static unsigned char byte_at(uint64_t key, size_t i) { return (unsigned char)(word_at(key, i) >> (i & 7) * 8); }

enum { FILL, CHECK, ZERO };

/* Applies mode to bytes [from, to) of p; returns the first bad offset (CHECK/ZERO) or -1. Not
 * coverage-instrumented: comparing pattern words is data, not a branch worth guiding the fuzzer. */
NO_COVERAGE static long range_op(unsigned char *p, size_t from, size_t to, uint64_t key, int mode) {
    size_t i = from;
    for (; i < to && (i & 7); i++) {
        unsigned char want = mode == ZERO ? 0 : byte_at(key, i);
        if (mode == FILL) p[i] = want;
        else if (p[i] != want) return (long)i;
    }
    for (; i + 8 <= to; i += 8) {
        uint64_t want = mode == ZERO ? 0 : word_at(key, i), have;
        if (mode == FILL) {
            memcpy(p + i, &want, 8);
        } else {
            memcpy(&have, p + i, 8);
            if (have != want) break;
        }
    }
    for (; i < to; i++) {
        unsigned char want = mode == ZERO ? 0 : byte_at(key, i);
        if (mode == FILL) p[i] = want;
        else if (p[i] != want) return (long)i;
    }
    return -1;
}

/* The bytes of a size-byte block the model patterns, clipped to [0, limit). */
NO_COVERAGE static long walk(unsigned char *p, size_t size, size_t limit, uint64_t key, int mode) {
    long bad;
#define RANGE(a, b)                                                                            \
    do {                                                                                       \
        size_t a_ = (a), b_ = (b) < limit ? (b) : limit;                                       \
        if (a_ < b_ && (bad = range_op(p, a_, b_, key, mode)) >= 0) return bad;                \
    } while (0)
    if (size <= DENSE_MAX) {
        RANGE(0, size);
        return -1;
    }
    RANGE(0, EDGE);
    for (size_t off = EDGE; off < size - EDGE; off += PAGE) RANGE(off, off + 64);
    RANGE(size - EDGE, size);
    return -1;
#undef RANGE
}

/* ---- model checks ---------------------------------------------------------------------------- */
static void verify(size_t i) {
    slot_t *s = &g_slot[i];
    if ((uintptr_t)s->p & (s->align - 1)) fail("misaligned block", i, s->p, s->align, -1);
    size_t usable = hak_malloc_usable_size(s->p);
    if (usable < s->size) fail("usable size below the request", i, s->p, s->size, (long)usable);
    long bad = walk(s->p, s->size, SIZE_MAX, s->key, CHECK);
    if (bad >= 0) fail("block contents corrupted", i, s->p, s->size, bad);
}

static void release(size_t i) {
    slot_t *s = &g_slot[i];
    if (!s->p) return;
    verify(i);
    hak_free(s->p);
    g_live -= s->size;
    memset(s, 0, sizeof *s);
}

/* Records a new block in slot i (NULL is a failure: the model stays far from memory limits). */
static void adopt(size_t i, void *p, size_t size, size_t align, int zeroed, const char *how) {
    slot_t *s = &g_slot[i];
    if (!p) fail(how, i, p, size, errno);
    s->p = p;
    s->size = size;
    s->align = align < 16 ? 16 : align;
    s->key = key_of(i, ++g_gen);
    g_live += size;
    if (zeroed) {
        long bad = walk(s->p, size, SIZE_MAX, 0, ZERO);
        if (bad >= 0) fail("calloc block not zeroed", i, p, size, bad);
    }
    if ((uintptr_t)p & (s->align - 1)) fail(how, i, p, s->align, -2);
    walk(s->p, size, SIZE_MAX, s->key, FILL);
}

/* ---- input decoding --------------------------------------------------------------------------- */
static const size_t k_edges[] = {0,        1,       15,       16,      17,      127,
                                 128,      129,     1023,     1024,    1025,    4095,
                                 4096,     4097,    65535,    65536,   65537,   (1u << 20) - 16,
                                 1u << 20, (1u << 20) + 1,    2u << 20, (2u << 20) + 4096,
                                 4u << 20};

/* A size in 0..4 MiB, weighted to small: 1/2 <= 256 B, 1/4 <= 1 KiB, then medium, large, huge. */
static size_t rd_size(reader_t *r) {
    unsigned c = rd8(r);
    if (c < 128) return rd16(r) % 257;
    if (c < 192) return rd16(r) % 1025;
    if (c < 224) return 1025 + rd24(r) % (64u << 10);
    if (c < 240) return (64u << 10) + rd24(r) % (MIB - (64u << 10) + 1);
    if (c < 250) {
        unsigned e = rd8(r);
        size_t base = k_edges[e % (sizeof k_edges / sizeof k_edges[0])];
        size_t delta = (e >> 5) & 3; /* 0..3 bytes on either side of the edge */
        return (e & 0x80) ? base + delta : (base > delta ? base - delta : 0);
    }
    return MIB + rd24(r) % (3 * MIB + 1);
}

/* An alignment 1..1 MiB: a power of two, or (when odd is set) any value up to it. */
static size_t rd_align(reader_t *r, int odd) {
    unsigned c = rd8(r);
    size_t a = (size_t)1 << (c % 27); /* up to 64 MiB: above 1 MiB only huge mappings can align */
    if (odd && (c & 0x80) && a > 2) a -= 1 + rd8(r) % (a / 2);
    return a;
}

static size_t next_pow2(size_t a) {
    size_t p = 1;
    while (p < a) p <<= 1;
    return p;
}

static int fits(size_t size) { return g_live + size <= LIVE_LIMIT; }

static void op_realloc(reader_t *r, size_t i) {
    slot_t *s = &g_slot[i];
    size_t n = rd_size(r);
    if (!s->p) {
        if (fits(n)) adopt(i, hak_realloc(NULL, n), n, 16, 0, "realloc(NULL) failed");
        return;
    }
    verify(i);
    if (!fits(n)) return;
    if (n == 0) { /* glibc: frees and returns NULL */
        if (hak_realloc(s->p, 0) != NULL) fail("realloc(p, 0) returned a block", i, s->p, 0, -1);
        g_live -= s->size;
        memset(s, 0, sizeof *s);
        return;
    }
    unsigned char *q = hak_realloc(s->p, n);
    if (!q) fail("realloc failed", i, s->p, n, errno);
    size_t keep = s->size < n ? s->size : n;
    long bad = walk(q, s->size, keep, s->key, CHECK);
    if (bad >= 0) fail("realloc lost contents", i, q, n, bad);
    g_live -= s->size;
    s->p = NULL;
    adopt(i, q, n, 16, 0, "realloc");
}

/* Error paths: each must fail cleanly with glibc's errno and leave live blocks alone. */
static void op_edge(reader_t *r, size_t i) {
    void *out = (void *)0x1;
    switch (rd8(r) % 7) {
    case 0:
        errno = 0;
        if (hak_malloc(SIZE_MAX - rd8(r)) || errno != ENOMEM) fail("malloc(huge) not ENOMEM", i, 0, 0, errno);
        break;
    case 1:
        errno = 0;
        if (hak_calloc(SIZE_MAX / 3, 4 + rd8(r)) || errno != ENOMEM) fail("calloc overflow not ENOMEM", i, 0, 0, errno);
        break;
    case 2: /* bad alignment: not a power of two or below sizeof(void *) */
        if (hak_posix_memalign(&out, 3 + 2 * (size_t)rd8(r), 16) != EINVAL || out != (void *)0x1)
            fail("posix_memalign(bad alignment) not EINVAL", i, out, 16, -1);
        if (hak_posix_memalign(&out, 4, 16) != EINVAL) fail("posix_memalign(4) not EINVAL", i, out, 16, -1);
        break;
    case 3:
        if (g_slot[i].p) {
            errno = 0;
            if (hak_realloc(g_slot[i].p, SIZE_MAX - 4096) || errno != ENOMEM)
                fail("realloc(huge) not ENOMEM", i, g_slot[i].p, 0, errno);
            verify(i); /* the block survives a failed realloc */
        }
        break;
    case 5: /* impossible sizes for the page-aligned and memalign entry points */
        errno = 0;
        if (hak_memalign(64u << rd8(r) % 8, SIZE_MAX - rd8(r)) || errno != ENOMEM)
            fail("memalign(impossible size) not ENOMEM", i, 0, 0, errno);
        errno = 0;
        if (hak_valloc(SIZE_MAX - 4096 * (size_t)rd8(r)) || errno != ENOMEM)
            fail("valloc(impossible size) not ENOMEM", i, 0, 0, errno);
        errno = 0;
        if (hak_pvalloc(SIZE_MAX - (size_t)rd8(r)) || errno != ENOMEM)
            fail("pvalloc(impossible size) not ENOMEM", i, 0, 0, errno);
        break;
    case 4:
        hak_thread_flush(); /* what thread exit does: caches back to slabs, empty slabs to the pool */
        break;
    default:
        errno = 0;
        if (hak_aligned_alloc(48, 64) || errno != EINVAL) fail("aligned_alloc(48) not EINVAL", i, 0, 0, errno);
        break;
    }
}

static void run(reader_t *r) {
    while (r->i < r->n) {
        unsigned op = rd8(r) % 12;
        size_t i = rd8(r) % SLOTS, n, a;
        switch (op) {
        case 0:
        case 1:
        case 2:
            release(i);
            n = rd_size(r);
            if (fits(n)) adopt(i, hak_malloc(n), n, 16, 0, "malloc failed");
            break;
        case 3: {
            release(i);
            size_t count = 1 + rd8(r) % 16;
            n = rd_size(r) / count;
            if (fits(count * n)) adopt(i, hak_calloc(count, n), count * n, 16, 1, "calloc failed");
            break;
        }
        case 4:
            op_realloc(r, i);
            break;
        case 5:
        case 6:
            release(i);
            break;
        case 7: {
            release(i);
            a = rd_align(r, 0);
            n = rd_size(r);
            void *p = NULL;
            if (!fits(n)) break;
            int rc = hak_posix_memalign(&p, a, n);
            if (a < sizeof(void *)) {
                if (rc != EINVAL) fail("posix_memalign(small alignment) not EINVAL", i, p, a, rc);
                break;
            }
            if (rc != 0) fail("posix_memalign failed", i, p, n, rc);
            adopt(i, p, n, a, 0, "posix_memalign");
            break;
        }
        case 8:
            release(i);
            a = rd_align(r, 0);
            n = rd_size(r);
            if (fits(n)) adopt(i, hak_aligned_alloc(a, n), n, a, 0, "aligned_alloc failed");
            break;
        case 9:
            release(i);
            a = rd_align(r, 1); /* memalign rounds any alignment up to a power of two */
            n = rd_size(r);
            if (fits(n)) adopt(i, hak_memalign(a, n), n, next_pow2(a), 0, "memalign failed");
            break;
        case 10:
            if (g_slot[i].p) { /* the program may use every usable byte */
                slot_t *s = &g_slot[i];
                verify(i);
                size_t u = hak_malloc_usable_size(s->p);
                if (u <= DENSE_MAX && u > s->size && fits(u - s->size)) {
                    range_op(s->p, s->size, u, s->key, FILL);
                    g_live += u - s->size;
                    s->size = u;
                }
            }
            break;
        default:
            op_edge(r, i);
            break;
        }
    }
}

/* Before any input: the hak_* functions are hakmem's own Standard build (hak_owns knows their
 * blocks, and a SuperSlab was mapped for them), not stand-ins that would let the fuzzer exercise
 * glibc. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
#define FUZZ_STR2_(x) #x
#define FUZZ_STR_(x) FUZZ_STR2_(x)
    const char *want = FUZZ_STR_(HAK_TEST_EXPECT_VARIANT), *got = hak_variant_name();
    void *p = hak_malloc(40);
    hak_os_stats st;
    hak_os_stats_get(&st);
    if (!got || strcmp(got, want) != 0 || !hak_owns(p) || st.superslab_alloc == 0) {
        fprintf(stderr, "hakmem_fuzz: the allocator under test is not hakmem %s (variant %s, "
                        "block %p %s)\n", want, got ? got : "(null)", p,
                hak_owns(p) ? "is hakmem's" : "is not hakmem's");
        abort();
    }
    hak_free(p);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader_t r = {data, size, 0};
    g_gen = 0;
    run(&r);
    for (size_t i = 0; i < SLOTS; i++) release(i);
    if (g_live != 0) fail("model bookkeeping", 0, NULL, g_live, -1);
    return 0;
}
