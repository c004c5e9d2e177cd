/* hakmem public API.
 *
 * Every entry point exists under a hak_ name (for tests, sanitizer builds and programs that want
 * hakmem next to another allocator). The override layer (hakmem/src/override.c, linked only into
 * the drop-in targets) maps the C library names malloc/free/... onto these. Semantics follow glibc:
 * see docs/design.md. */
#ifndef HAKMEM_H
#define HAKMEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HAKMEM_API __attribute__((visibility("default")))

HAKMEM_API void *hak_malloc(size_t size);
HAKMEM_API void hak_free(void *ptr);
HAKMEM_API void *hak_calloc(size_t count, size_t size);
HAKMEM_API void *hak_realloc(void *ptr, size_t size);
HAKMEM_API void *hak_reallocarray(void *ptr, size_t count, size_t size);
HAKMEM_API int hak_posix_memalign(void **out, size_t alignment, size_t size);
HAKMEM_API void *hak_aligned_alloc(size_t alignment, size_t size);
HAKMEM_API void *hak_memalign(size_t alignment, size_t size);
HAKMEM_API void *hak_valloc(size_t size);
HAKMEM_API void *hak_pvalloc(size_t size);
HAKMEM_API size_t hak_malloc_usable_size(const void *ptr);

/* 1 if ptr is a live block hakmem handed out (slab or huge), else 0 (NULL, glibc's blocks under
 * HAKMEM_FORCE_LIBC_ALLOC, stack, foreign mappings). Tests use it to prove which allocator
 * served a block. */
HAKMEM_API int hak_owns(const void *ptr);

/* "fast", "standard", "observe" or "hardened": the variant this library was compiled as. */
HAKMEM_API const char *hak_variant_name(void);

/* Counts of every OS call the allocator made (the OS layer keeps them in every variant). */
typedef struct hak_os_stats {
    uint64_t mmap_calls;      /* successful mmap */
    uint64_t mmap_failures;   /* mmap that returned MAP_FAILED */
    uint64_t munmap_calls;
    uint64_t madvise_calls;   /* successful madvise */
    uint64_t madvise_enomem;  /* madvise failed with ENOMEM */
    uint64_t madvise_other;   /* madvise failed otherwise */
    uint64_t madvise_disabled;/* decommit skipped by policy */
    uint64_t mremap_calls;
    uint64_t superslab_alloc; /* SuperSlabs obtained from the OS */
    uint64_t superslab_free;  /* SuperSlabs returned to the OS */
    uint64_t huge_alloc;      /* direct mappings for huge blocks */
    uint64_t huge_fail;
    uint64_t mincore_calls;   /* resident-page queries (the huge cache's accounting) */
    uint64_t fault_reads;     /* reads of the process's page-fault count (getrusage; same) */
} hak_os_stats;

HAKMEM_API void hak_os_stats_get(hak_os_stats *out);

/* Writes the [SS_OS_STATS] line (and, in OBSERVE, the per-class counters) to file descriptor fd. */
HAKMEM_API void hak_stats_print(int fd);

/* Returns blocks cached by the calling thread to their slabs and empty slabs to the SuperSlab
 * pool (what thread exit does); useful before measuring memory. */
HAKMEM_API void hak_thread_flush(void);

#ifdef __cplusplus
}
#endif

#endif /* HAKMEM_H */
