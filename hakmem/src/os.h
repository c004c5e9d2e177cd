/* os.h -- the platform interface: everything hakmem needs from the operating system, and the
 * only way the rest of the allocator reaches it. os.c implements it for Linux; a port to another
 * system replaces os.c and nothing else (//hakmem/tests:os_layer_test checks that no other
 * file makes a system call or reads the environment).
 *
 * What a platform must provide, in the groups below: page mappings (map aligned, unmap, remap,
 * decommit, huge-page advice); questions about memory (resident bytes, the process's fault count,
 * the THP mode); a cheap coarse clock; a process-wide memory barrier (optional: callers fall back
 * when registration fails); start-up facts (environment, random seed); and a diagnostic write.
 * None of them calls malloc. os.c counts each OS call and its outcome ([SS_OS_STATS] at exit),
 * so the syscall budget can be checked exactly. */
#ifndef HAKMEM_OS_H
#define HAKMEM_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hakmem.h"

/* --- Page mappings. */

/* Maps size bytes of zeroed read-write memory aligned to `alignment` (a power of two >= page).
 * Returns NULL on failure. */
void *hak_os_map(size_t size, size_t alignment);
void hak_os_unmap(void *addr, size_t size);
/* Grows or shrinks a mapping, possibly moving it; NULL on failure (the old one stays valid). */
void *hak_os_remap(void *addr, size_t old_size, size_t new_size);
/* Asks for transparent huge pages (2 MiB) in the range: one fault per 2 MiB instead of 512, where
 * the kernel allows it (THP "madvise" or "always" mode). Counts the outcome like a decommit. */
void hak_os_advise_huge_pages(void *addr, size_t size);
/* Gives the pages back to the OS (they read as zero afterwards). Counts the outcome. */
void hak_os_decommit(void *addr, size_t size);
/* --- What the kernel knows about memory (read-only questions). */

/* How many bytes of the range are resident (mincore: a read-only walk of the page tables, nothing
 * is freed or faulted in); size if the kernel cannot tell. addr page-aligned. */
size_t hak_os_resident_bytes(void *addr, size_t size);
/* The page faults the process has taken so far, minor and major, all threads (getrusage: one
 * syscall, no page-table walk). The kernel counts a fault also when it comes from inside a
 * syscall or get_user_pages, so a page of a 4 KiB-page mapping becomes resident only with one. */
uint64_t hak_os_fault_count(void); /* UINT64_MAX if the kernel does not say */
/* True when the kernel's THP mode is "always": then any mapping may be faulted in (and
 * collapsed by khugepaged, without a fault) 2 MiB at a time. Read once from sysfs. */
bool hak_os_thp_always(void);
/* --- Time. */

/* A monotonic clock in nanoseconds, coarse (a few ms) and cheap: no syscall (vDSO). */
uint64_t hak_os_now_ns(void);
/* --- Counting what policy did without an OS call ([SS_OS_STATS]). */

/* Counts a decommit that policy skipped (the seed's madvise_disabled). */
void hak_os_note_decommit_disabled(void);
void hak_os_note_superslab(bool allocated);
void hak_os_note_huge(bool ok);

/* membarrier(2), private expedited: registers the process once (false if the kernel refuses),
 * then makes every running thread of the process execute a full memory barrier before
 * returning. The asymmetric fence of the remote-free batches' reclaim (remote.c). */
bool hak_os_membarrier_register(void);
void hak_os_membarrier(void);

/* --- Start-up facts and diagnostics. */

/* getenv without allocating and without libc's getenv (safe before libc is initialised). */
const char *hak_os_getenv(const char *name);
/* Half `which` (0 or 1) of the kernel's 16 random bytes for this process (auxiliary vector
 * AT_RANDOM: no syscall); odd, so never zero. */
uint64_t hak_os_random_seed(unsigned which);
/* write(2) of a whole buffer to fd; used for diagnostics only. */
void hak_os_write(int fd, const char *buf, size_t len);

#endif
