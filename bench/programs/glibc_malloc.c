// glibc's malloc for a program that links another allocator itself (Debian's redis-server links
// libjemalloc.so.2): preloaded, these definitions come before the program's own allocator in
// symbol lookup and forward every call to glibc's implementation, so the "glibc" row of
// //bench:apps really measures glibc. Programs on glibc already run without it.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

// glibc exports its implementation under these names beside the public ones.
extern void *__libc_malloc(size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

void *malloc(size_t size) { return __libc_malloc(size); }
void free(void *ptr) { __libc_free(ptr); }
void *calloc(size_t n, size_t size) { return __libc_calloc(n, size); }
void *realloc(void *ptr, size_t size) { return __libc_realloc(ptr, size); }
void *memalign(size_t alignment, size_t size) { return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { return __libc_memalign(alignment, size); }
void *valloc(size_t size) { return __libc_valloc(size); }
void *pvalloc(size_t size) { return __libc_pvalloc(size); }

int posix_memalign(void **out, size_t alignment, size_t size) {
  if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
  void *p = __libc_memalign(alignment, size);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}

// glibc has no __libc_ name for this one; the program's own allocator also defines it, so
// glibc's definition is looked up in libc.so.6 itself.
size_t malloc_usable_size(void *ptr) {
  static size_t (*libc_usable)(void *);
  if (libc_usable == NULL) {
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (libc != NULL) libc_usable = (size_t (*)(void *))(uintptr_t)dlsym(libc, "malloc_usable_size");
  }
  return libc_usable ? libc_usable(ptr) : 0;
}
