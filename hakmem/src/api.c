/* api.c -- the hak_* entry points: fast paths from front.h, and everything else in the C
 * allocation API (calloc, realloc, aligned allocation, usable size) with glibc's semantics. */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include "front.h"
#include "huge.h"
#include "init.h"
#include "remote.h"

/* glibc's own allocator, for HAKMEM_FORCE_LIBC_ALLOC=1 (the same-binary baseline). */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static void *out_of_memory(void) {
    errno = ENOMEM;
    return NULL;
}

/* glibc's memalign. Not through the name __libc_memalign: override.c exports that name too
 * (programs call it), so the reference bound to hakmem's own and the aligned calls recursed into
 * themselves for ever (tail calls: a hang, not a crash). RTLD_NEXT starts the lookup after the
 * object holding hakmem, i.e. at glibc. Looked up once, on the first aligned call routed there. */
static void *libc_memalign(size_t alignment, size_t size) {
    typedef void *(*memalign_fn)(size_t, size_t);
    static memalign_fn cached;
    memalign_fn fn = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);
    if (HAK_UNLIKELY(!fn)) {
        fn = (memalign_fn)dlsym(RTLD_NEXT, "__libc_memalign");
        if (!fn) return out_of_memory();
        __atomic_store_n(&cached, fn, __ATOMIC_RELEASE);
    }
    return fn(alignment, size);
}

static bool routed_to_libc(void) { return hak_ensure_init() && hak_gate_force_libc_alloc(); }

/* A block of class cls from heap h (NULL: the thread is exiting, or has no heap). */
static void *slab_alloc(hak_heap *h, uint32_t cls) {
    void *p;
    if (HAK_UNLIKELY(!h)) p = hak_thread_exiting() ? hak_exit_heap_alloc(cls) : NULL;
    else p = hak_heap_alloc(h, cls);
    return p ? p : out_of_memory();
}

HAK_NOINLINE void *hak_malloc_slow(size_t size) {
    hak_heap *h = hak_heap_acquire();
    if (!h && routed_to_libc()) return __libc_malloc(size);
    if (size <= HAK_SLAB_MAX) return slab_alloc(h, hak_class_of(size));
    if (size > HAK_SIZE_LIMIT) return out_of_memory();
    void *p = hak_huge_alloc(size, 0, false);
    return p ? p : out_of_memory();
}

/* Frees the fast path did not finish: NULL, huge blocks, other threads' blocks, foreign or
 * invalid pointers, and local blocks that need their checks run. */
HAK_NOINLINE void hak_free_slow(void *p) {
    if (!p) return;
    uint8_t kind = hak_segmap_kind((uintptr_t)p);
    if (hak_seg_is_slab(kind)) {
        /* Our own block, whose free needs its checks run; otherwise another thread's block (or
         * none's). */
        hak_slab *s = hak_slab_of(p);
        hak_heap *h = t_hak_heap;
        if (s->owner == h) hak_free_checked(h, s, p);
        else hak_remote_free(s, p);
        return;
    }
    if (kind == HAK_SEG_HUGE && hak_huge_free(p)) return;
    if (routed_to_libc()) {
        __libc_free(p);
        return;
    }
    /* Outside every hakmem region: fatal in the checked variants (this is the slow path, so it
     * costs nothing); FAST leaves it alone rather than corrupting anything. */
    if (HAK_CHECKED_VARIANT)
        hak_report_fatal("invalid free", p, "pointer was not allocated by hakmem");
}

HAKMEM_API void *hak_malloc(size_t size) { return hak_alloc_fast(size); }
HAKMEM_API void hak_free(void *p) { hak_free_fast(p); }

HAKMEM_API void *hak_calloc(size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) return out_of_memory();
    if (total > HAK_SLAB_MAX) { /* fresh huge mappings arrive zeroed: clear only reused ones */
        if (routed_to_libc()) return __libc_calloc(count, size); /* also runs start-up */
        if (total > HAK_SIZE_LIMIT) return out_of_memory();
        void *p = hak_huge_alloc(total, 0, true);
        return p ? p : out_of_memory();
    }
    void *p = hak_alloc_fast(total); /* routes to libc itself under HAKMEM_FORCE_LIBC_ALLOC */
    if (p) memset(p, 0, total);
    return p;
}

/* Usable size of a live hakmem block; 0 if p is not one. */
static size_t usable_size(const void *p) {
    uint8_t kind = hak_segmap_kind((uintptr_t)p);
    if (hak_seg_is_slab(kind)) {
        hak_slab *s = hak_slab_of(p);
        return __atomic_load_n(&s->owner, __ATOMIC_RELAXED) ? g_hak_classes[s->cls].size : 0;
    }
    return kind == HAK_SEG_HUGE ? hak_huge_usable(p) : 0;
}

/* The block for an alignment above 16: a slab class whose size is a multiple of the alignment
 * (slabs start 64 KiB-aligned, so every block of such a class is aligned), else a huge mapping. */
static void *aligned_alloc_impl(size_t alignment, size_t size) {
    if (alignment <= HAK_ALIGN) return hak_malloc(size);
    if (size > HAK_SIZE_LIMIT || alignment > HAK_SIZE_LIMIT) return out_of_memory();
    if (HAK_UNLIKELY(routed_to_libc())) return libc_memalign(alignment, size);
    size_t need = size > alignment ? size : alignment;
    if (!HAK_RB_TINY_HEADER && alignment <= HAK_CHUNK_SIZE && need <= HAK_SLAB_MAX) {
        hak_heap *h = hak_heap_acquire();
        uint32_t cls = hak_class_of(need);
        while (g_hak_classes[cls].size % alignment) cls++;
        return slab_alloc(h, cls);
    }
    void *p = hak_huge_alloc(size, alignment < HAK_PAGE_SIZE ? HAK_PAGE_SIZE : alignment, false);
    return p ? p : out_of_memory();
}

static bool power_of_two(size_t x) { return x && !(x & (x - 1)); }

HAKMEM_API int hak_posix_memalign(void **out, size_t alignment, size_t size) {
    if (!power_of_two(alignment) || alignment % sizeof(void *)) return EINVAL;
    int saved = errno;
    void *p = aligned_alloc_impl(alignment, size);
    if (!p) return ENOMEM;
    errno = saved;
    *out = p;
    return 0;
}

HAKMEM_API void *hak_aligned_alloc(size_t alignment, size_t size) {
    if (!power_of_two(alignment)) {
        errno = EINVAL;
        return NULL;
    }
    return aligned_alloc_impl(alignment, size);
}

/* glibc's memalign rounds a non-power-of-two alignment up to the next power of two. */
HAKMEM_API void *hak_memalign(size_t alignment, size_t size) {
    if (alignment > HAK_SIZE_LIMIT) {
        errno = EINVAL;
        return NULL;
    }
    size_t a = HAK_ALIGN;
    while (a < alignment) a <<= 1;
    return aligned_alloc_impl(a, size);
}

HAKMEM_API void *hak_valloc(size_t size) { return aligned_alloc_impl(HAK_PAGE_SIZE, size); }

HAKMEM_API void *hak_pvalloc(size_t size) {
    if (size > HAK_SIZE_LIMIT) return out_of_memory();
    size_t rounded = (size + HAK_PAGE_SIZE - 1) & ~(size_t)(HAK_PAGE_SIZE - 1);
    return aligned_alloc_impl(HAK_PAGE_SIZE, rounded ? rounded : HAK_PAGE_SIZE);
}

HAKMEM_API void *hak_realloc(void *p, size_t size) {
    if (!p) return hak_malloc(size);
    if (size == 0) { /* glibc: realloc(p, 0) frees p and returns NULL */
        hak_free(p);
        return NULL;
    }
    if (size > HAK_SIZE_LIMIT) return out_of_memory();
    size_t old = usable_size(p);
    if (!old) {
        if (routed_to_libc()) return __libc_realloc(p, size);
        hak_report_fatal("invalid realloc", p, "pointer was not allocated by hakmem");
    }
    if (size <= old && (size >= old / 2 || old <= HAK_TINY_MAX / 2)) return p; /* shrink in place */
    if (old > HAK_SLAB_MAX && size > HAK_SLAB_MAX) {
        void *q = hak_huge_realloc(p, size);
        if (q) return q; /* else mremap failed (e.g. no room): a copy may still succeed */
    }
    void *q = hak_malloc(size);
    if (!q) return NULL;
    memcpy(q, p, old < size ? old : size);
    hak_free(p);
    return q;
}

HAKMEM_API void *hak_reallocarray(void *p, size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) return out_of_memory();
    return hak_realloc(p, total);
}

HAKMEM_API size_t hak_malloc_usable_size(const void *p) {
    if (!p) return 0;
    size_t n = usable_size(p);
    if (!n && routed_to_libc()) {
        /* glibc chunk header: size with flag bits, minus the header (mmapped chunks: two words). */
        size_t raw = ((const size_t *)p)[-1];
        return (raw & ~(size_t)7) - ((raw & 2) ? 2 : 1) * sizeof(size_t);
    }
    return n;
}

HAKMEM_API int hak_owns(const void *p) { return p && usable_size(p) != 0; }

HAKMEM_API void hak_thread_flush(void) {
    hak_heap *h = t_hak_heap;
    if (h != &g_hak_empty_heap) hak_heap_flush(h);
}
