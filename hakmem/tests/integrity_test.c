/* integrity_test.c -- 3 M seeded random malloc/calloc/realloc/aligned/free operations on a slot
 * table, sizes mostly 16..1024, some 1 KiB..1 MiB, a few up to 4 MiB; each block holds a pattern of
 * (slot, generation), checked in full before free/realloc, plus calloc zeroing and alignment.
 * Seed printed; INTEGRITY_SEED=<n>/INTEGRITY_OPS=<n> reproduce or lengthen a run. Also run lean. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hakmem.h"
#include "hakmem/tests/allocator_probe.h"
#include "hakmem/tests/check.h"
#include "hakmem/tests/pattern.h"

enum { SLOTS = 4096 };

typedef struct {
    unsigned char *p;
    size_t size;
    uint64_t gen;
    size_t align; /* 0 when not an aligned allocation */
} slot_t;

static slot_t slots[SLOTS];
static uint64_t rng;
static uint64_t n_ops[6];

static size_t pick_size(void) {
    uint64_t r = check_rand(&rng);
    unsigned bucket = (unsigned)(r % 10000);
    uint64_t v = r >> 20;
    if (bucket < 9000) return 16 + v % 1009;             /* tiny: 16..1024 */
    if (bucket < 9650) return v % 16;                    /* below 16, and 0 */
    if (bucket < 9950) return 1025 + v % (64 * 1024);    /* 1 KiB .. 65 KiB */
    if (bucket < 9995) return 65536 + v % (960 * 1024);  /* 64 KiB .. 1 MiB */
    return (1u << 20) + v % (3u << 20);                  /* 1 .. 4 MiB */
}

static void verify(size_t i, const char *when) {
    slot_t *s = &slots[i];
    long bad = pattern_check(s->p, s->size, pattern_key(i, s->gen));
    CHECKF(bad < 0, "%s: slot %zu block %p size %zu gen %llu: byte %ld corrupted", when, i,
           (void *)s->p, s->size, (unsigned long long)s->gen, bad);
}

static void place(size_t i, void *p, size_t size, size_t align) {
    CHECKF(p != NULL, "allocation of %zu bytes failed", size);
    CHECKF(((uintptr_t)p & 15) == 0, "block %p not 16-byte aligned", p);
    if (align) CHECKF(((uintptr_t)p & (align - 1)) == 0, "block %p not %zu-aligned", p, align);
    CHECKF(malloc_usable_size(p) >= size, "usable %zu < %zu", malloc_usable_size(p), size);
    slot_t *s = &slots[i];
    s->p = p;
    s->size = size;
    s->align = align;
    s->gen++;
    pattern_fill(p, size, pattern_key(i, s->gen));
}

static void op_alloc(size_t i) {
    size_t size = pick_size();
    uint64_t r = check_rand(&rng) % 100;
    if (r < 60) {
        n_ops[0]++;
        place(i, malloc(size), size, 0);
    } else if (r < 80) {
        n_ops[1]++;
        size_t count = 1 + (size & 7), each = size / count + 1;
        unsigned char *p = calloc(count, each);
        CHECK(p != NULL);
        long nz = zero_check(p, count * each);
        CHECKF(nz < 0, "calloc(%zu, %zu) = %p: byte %ld not zero", count, each, (void *)p, nz);
        place(i, p, count * each, 0);
    } else {
        n_ops[2]++;
        size_t align = (size_t)16 << (check_rand(&rng) % 9); /* 16 .. 4096 */
        if ((check_rand(&rng) & 63) == 0) align = (size_t)65536;
        void *p = NULL;
        switch (r % 3) {
        case 0: CHECK(posix_memalign(&p, align, size) == 0); break;
        case 1: p = aligned_alloc(align, (size + align - 1) / align * align); break;
        default: p = memalign(align, size); break;
        }
        place(i, p, size, align);
    }
}

static void op_free(size_t i) {
    n_ops[3]++;
    verify(i, "before free");
    free(slots[i].p);
    slots[i].p = NULL;
}

static void op_realloc(size_t i) {
    n_ops[4]++;
    slot_t *s = &slots[i];
    verify(i, "before realloc");
    size_t n = pick_size();
    if (check_rand(&rng) & 1) /* often a near neighbour: in-place growth/shrink paths */
        n = s->size + (size_t)(check_rand(&rng) % 256) - (s->size > 128 ? 128 : s->size);
    unsigned char *q = realloc(s->p, n);
    if (n == 0) { /* glibc: realloc(p, 0) frees p */
        CHECK(q == NULL);
        s->p = NULL;
        return;
    }
    CHECKF(q != NULL, "realloc(%p, %zu) failed", (void *)s->p, n);
    CHECKF(((uintptr_t)q & 15) == 0, "realloc returned %p", (void *)q);
    size_t keep = s->size < n ? s->size : n;
    long bad = pattern_check(q, keep, pattern_key(i, s->gen));
    CHECKF(bad < 0, "realloc %p (%zu) -> %p (%zu): byte %ld lost", (void *)s->p, s->size,
           (void *)q, n, bad);
    CHECK(malloc_usable_size(q) >= n);
    if (n > s->size) pattern_fill_range(q, s->size, n, pattern_key(i, s->gen));
    s->p = q;
    s->size = n;
    s->align = 0;
}

int main(void) {
    expect_hakmem_allocator();
    const char *e = getenv("INTEGRITY_SEED");
    uint64_t seed = e ? strtoull(e, NULL, 0) : 0x9d2c5680a1b2c3d4ULL;
    e = getenv("INTEGRITY_OPS");
    long ops = e ? atol(e) : 3000000;
    printf("variant %s, seed 0x%llx, %ld ops (INTEGRITY_SEED/INTEGRITY_OPS to change)\n",
           hak_variant_name(), (unsigned long long)seed, ops);
    rng = seed ? seed : 1;
    for (long k = 0; k < ops; k++) {
        uint64_t r = check_rand(&rng);
        size_t i = (size_t)(r % SLOTS);
        if (!slots[i].p)
            op_alloc(i);
        else if ((r >> 32) % 100 < 65)
            op_free(i);
        else
            op_realloc(i);
        if ((k & 0xfffff) == 0xfffff) { /* sweep: every live block still intact */
            for (size_t j = 0; j < SLOTS; j++)
                if (slots[j].p) verify(j, "sweep");
        }
        if ((k & 0x7ffff) == 0x40000) { /* drain: empty SuperSlabs go to the pool / the OS */
            for (size_t j = 0; j < SLOTS; j++)
                if (slots[j].p) op_free(j);
            hak_thread_flush();
        }
    }
    for (size_t i = 0; i < SLOTS; i++)
        if (slots[i].p) op_free(i);
    hak_thread_flush();
    hak_os_stats st;
    hak_os_stats_get(&st);
    printf("os: mmap %llu munmap %llu madvise %llu superslabs %llu/%llu freed, huge %llu\n",
           (unsigned long long)st.mmap_calls, (unsigned long long)st.munmap_calls,
           (unsigned long long)st.madvise_calls, (unsigned long long)st.superslab_free,
           (unsigned long long)st.superslab_alloc, (unsigned long long)st.huge_alloc);
    if (getenv("INTEGRITY_EXPECT_RELEASE")) /* set with lean settings: idle memory goes back */
        CHECKF(st.superslab_free + st.madvise_calls > 0, "no SuperSlab was freed or decommitted");
    printf("malloc %llu calloc %llu aligned %llu free %llu realloc %llu\n",
           (unsigned long long)n_ops[0], (unsigned long long)n_ops[1],
           (unsigned long long)n_ops[2], (unsigned long long)n_ops[3],
           (unsigned long long)n_ops[4]);
    return check_summary();
}
