/* override.c -- the drop-in layer: the C library's allocation names, mapped onto hak_*.
 * Linked only into the hakmem_<variant> targets and libhakmem_<variant>.so. malloc and free
 * inline the fast paths themselves (no extra call on the hot path); the rest tail-call hak_*.
 * C++ new/delete reach malloc/free through libstdc++'s operator new. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>

#include "front.h"
#include "hakmem.h"

#define HAK_OVERRIDE HAK_EXPORT

HAK_OVERRIDE void *malloc(size_t size) { return hak_alloc_fast(size); }
HAK_OVERRIDE void free(void *p) { hak_free_fast(p); }
HAK_OVERRIDE void *calloc(size_t count, size_t size) { return hak_calloc(count, size); }
HAK_OVERRIDE void *realloc(void *p, size_t size) { return hak_realloc(p, size); }
HAK_OVERRIDE void *reallocarray(void *p, size_t count, size_t size) {
    return hak_reallocarray(p, count, size);
}
HAK_OVERRIDE int posix_memalign(void **out, size_t alignment, size_t size) {
    return hak_posix_memalign(out, alignment, size);
}
HAK_OVERRIDE void *aligned_alloc(size_t alignment, size_t size) {
    return hak_aligned_alloc(alignment, size);
}
HAK_OVERRIDE void *memalign(size_t alignment, size_t size) { return hak_memalign(alignment, size); }
HAK_OVERRIDE void *valloc(size_t size) { return hak_valloc(size); }
HAK_OVERRIDE void *pvalloc(size_t size) { return hak_pvalloc(size); }
HAK_OVERRIDE size_t malloc_usable_size(void *p) { return hak_malloc_usable_size(p); }
/* A glibc-internal name some libraries call directly (no public prototype). */
void *__libc_memalign(size_t alignment, size_t size);
HAK_OVERRIDE void *__libc_memalign(size_t alignment, size_t size) {
    return hak_memalign(alignment, size);
}
