/* init.c -- process start-up and shut-down: configuration, size classes, the free-list key,
 * fork and thread-exit hooks, prewarm; the [SS_OS_STATS] report at exit. */
#include "init.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "check.h"
#include "config.h"
#include "heap.h"
#include "huge.h"
#include "os.h"
#include "size_class.h"
#include "superslab.h"

enum { INIT_NONE, INIT_RUNNING, INIT_DONE };
static _Atomic int g_init_state;
static _Atomic(pthread_t) g_init_thread;

static void fork_prepare(void) {
    hak_heap_fork_prepare();
    hak_huge_fork_prepare();
}
static void fork_parent(void) {
    hak_huge_fork_parent();
    hak_heap_fork_parent();
}
static void fork_child(void) {
    hak_huge_fork_child();
    hak_heap_fork_child();
}

static void init_once(void) {
    hak_config_load();
    hak_size_classes_init();
    g_hak_link_key = (uintptr_t)hak_os_random_seed(1);
    hak_heap_module_init();
}

bool hak_ensure_init(void) {
    int state = atomic_load_explicit(&g_init_state, memory_order_acquire);
    if (HAK_LIKELY(state == INIT_DONE)) return true;
    int expected = INIT_NONE;
    if (atomic_compare_exchange_strong(&g_init_state, &expected, INIT_RUNNING)) {
        atomic_store(&g_init_thread, pthread_self());
        init_once();
        /* From here on allocations are served, so the calls below may allocate safely. */
        atomic_store_explicit(&g_init_state, INIT_DONE, memory_order_release);
        pthread_atfork(fork_prepare, fork_parent, fork_child);
        hak_superslab_prewarm();
        return true;
    }
    if (pthread_equal(atomic_load(&g_init_thread), pthread_self())) return false; /* re-entered */
    while (atomic_load_explicit(&g_init_state, memory_order_acquire) != INIT_DONE) {
    }
    return true;
}

HAKMEM_API const char *hak_variant_name(void) { return HAK_VARIANT_NAME; }

void hak_stats_print(int fd) {
    hak_os_stats s;
    hak_os_stats_get(&s);
    char line[512];
    int n = snprintf(line, sizeof line,
                     "[SS_OS_STATS] alloc=%llu free=%llu madvise=%llu madvise_enomem=%llu "
                     "madvise_other=%llu madvise_disabled=%llu mmap_total=%llu fallback_mmap=%llu "
                     "huge_alloc=%llu huge_fail=%llu munmap_total=%llu mremap_total=%llu "
                     "mincore_total=%llu fault_reads=%llu\n",
                     (unsigned long long)s.superslab_alloc, (unsigned long long)s.superslab_free,
                     (unsigned long long)s.madvise_calls, (unsigned long long)s.madvise_enomem,
                     (unsigned long long)s.madvise_other, (unsigned long long)s.madvise_disabled,
                     (unsigned long long)s.mmap_calls, (unsigned long long)s.mmap_failures,
                     (unsigned long long)s.huge_alloc, (unsigned long long)s.huge_fail,
                     (unsigned long long)s.munmap_calls, (unsigned long long)s.mremap_calls,
                     (unsigned long long)s.mincore_calls, (unsigned long long)s.fault_reads);
    if (n > 0) hak_os_write(fd, line, (size_t)n);
    hak_heaps_print_observe(fd);
}

__attribute__((destructor)) static void hak_at_exit(void) {
    if (atomic_load(&g_init_state) != INIT_DONE) return;
    if (hak_gate_ss_os_stats() || hak_gate_stats()) hak_stats_print(2);
}
