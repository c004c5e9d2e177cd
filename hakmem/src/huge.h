/* huge.h -- blocks above 1 MiB (and alignments above 64 KiB): one mapping each, found again
 * through a registry keyed by address, so free needs no header and any pointer that is not a
 * registered block start is recognised as invalid. */
#ifndef HAKMEM_HUGE_H
#define HAKMEM_HUGE_H

#include <stdbool.h>
#include <stddef.h>

/* zero: the caller needs zeroed memory (fresh mappings are; reused ones get cleared). */
void *hak_huge_alloc(size_t size, size_t alignment, bool zero);
/* False if p is not a live huge block. */
bool hak_huge_free(void *p);
/* Usable size of a live huge block, 0 if p is not one. */
size_t hak_huge_usable(const void *p);
/* Resizes in place (a shrink caches the tail; a growth takes a cached span right after the
 * block) or with mremap; NULL (p untouched) if that fails. */
void *hak_huge_realloc(void *p, size_t size);
/* Gives cached huge mappings idle for HAKMEM_HUGE_PURGE_MS back to the OS, if any is due: one
 * relaxed load when the cache is empty, plus a coarse clock read otherwise. For slow paths that
 * run often enough to serve as the purge clock (there is no background thread). */
void hak_huge_tick(void);
void hak_huge_fork_prepare(void);
void hak_huge_fork_parent(void);
void hak_huge_fork_child(void);

#endif
