/* huge_cache.h -- freed huge mappings kept for reuse (huge_cache.c), and the list of spans a
 * caller gives back to the OS once it has dropped the huge lock. Every function but
 * hak_huge_release_run runs under the huge lock held by huge.c. */
#ifndef HAKMEM_HUGE_CACHE_H
#define HAKMEM_HUGE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* Spans to munmap after the lock is dropped (a syscall that frees pages takes a while). */
#define HAK_RELEASE_MAX 8
typedef struct hak_huge_release {
    unsigned n;
    hak_span spans[HAK_RELEASE_MAX];
} hak_huge_release;

/* The process's fault count as last read by the cache (a lower bound of the current one): a block
 * handed out now from fresh memory may have `resident` 0 as of this count. */
uint64_t hak_huge_cache_faults_seen(void);
/* In a forked child (huge.c's fork handler): counts restart there, see g_fault_offset. */
void hak_huge_cache_fork_child(void);

/* Unmaps every span of the list (call without the lock). */
void hak_huge_release_run(hak_huge_release *r);

/* The smallest cached span of at least len bytes (page multiple) aligned to `alignment`, removed
 * from the cache (its excess split off and left cached when that would waste more than an
 * eighth of len). False if none fits. */
bool hak_huge_cache_take(size_t len, size_t alignment, hak_span *out);
/* When no span fits: the largest cached span if it holds at least min_len bytes, removed from
 * the cache; the caller grows it with mremap, so only the grown part needs new page faults. */
bool hak_huge_cache_take_largest(size_t min_len, hak_span *out);
/* Takes need bytes at exactly addr, if a cached span of that origin starts there and is long
 * enough (realloc growing a block into the freed part of its mapping after it). */
bool hak_huge_cache_take_at(const char *addr, size_t need, uint64_t origin);
/* Keeps a freed span (merged with cached neighbours) within the limit for live_bytes of live
 * huge blocks (resident bytes, asked of the kernel once over it; huge_cache.c), evicting the
 * smallest spans into r; a span the cache cannot hold goes to r. */
void hak_huge_cache_put(hak_span s, size_t live_bytes, uint64_t now, hak_huge_release *r);
/* The time (hak_os_now_ns) at which the oldest cached span has been idle for the purge delay;
 * 0 when the cache is empty. Read without the lock (a relaxed atomic). */
uint64_t hak_huge_cache_purge_due(void);
/* Moves spans idle for the purge delay, and the oldest ones beyond the limit, into r. */
void hak_huge_cache_purge(size_t live_bytes, uint64_t now, hak_huge_release *r);

#endif
