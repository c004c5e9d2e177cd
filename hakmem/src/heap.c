/* heap.c -- heap life cycle: creation or adoption on a thread's first allocation, return to the
 * idle pool at thread exit (so thread churn reuses heaps instead of growing memory), and the
 * fork handlers that leave the child a consistent allocator. */
#include "heap.h"

#include <stdbool.h>

#include <pthread.h>
#include <string.h>

#include "front.h"
#include "init.h"
#include "os.h"
#include "remote.h"

#if HAK_RB_ARRAY_CACHE
/* The sentinel's arrays: every class's top points just above this NULL, so pop finds nothing,
 * and it has no room, though free never pushes here (the sentinel owns no slab). */
static void *g_empty_slot[1];
hak_heap g_hak_empty_heap = {
    .cache_top = {[0 ... HAK_NUM_CLASSES - 1] = &g_empty_slot[1]},
    .cache_last = {[0 ... HAK_NUM_CLASSES - 1] = &g_empty_slot[0]},
    .state = HAK_HEAP_SENTINEL,
};
#else
hak_heap g_hak_empty_heap = {.state = HAK_HEAP_SENTINEL};
#endif
__thread hak_heap *t_hak_heap __attribute__((tls_model("initial-exec"))) = &g_hak_empty_heap;

/* Set once this thread's heap went back to the pool at thread exit. Allocations after that
 * (other keys' destructors, in glibc's later destructor rounds, after which hakmem's own
 * destructor would not run again) use the shared exit heap under a lock, so an exiting thread
 * never takes a heap that nobody would return. */
static __thread bool t_hak_exiting __attribute__((tls_model("initial-exec")));
static pthread_mutex_t g_exit_lock = PTHREAD_MUTEX_INITIALIZER;
static hak_heap *g_exit_heap;

static pthread_mutex_t g_heap_lock = PTHREAD_MUTEX_INITIALIZER;
static hak_heap *g_all_heaps;  /* every heap, newest first; heaps are never unmapped */
static hak_heap *g_idle_heaps; /* heaps of exited threads, ready for adoption */
static pthread_key_t g_exit_key;

/* Heap structs come from page-aligned slices of OS memory carved under g_heap_lock. */
static char *g_meta_cursor, *g_meta_end;
#define META_MAP_SIZE ((size_t)256 << 10)

/* Bytes of the cache arrays that follow each heap: per class slot 0 (NULL) and cache_cap + 1
 * slots (front.h). About 27 KiB with the default caps, touched only as far as the caches fill. */
static size_t cache_slots_bytes(void) {
    size_t slots = 0;
    if (HAK_RB_ARRAY_CACHE)
        for (uint32_t c = 0; c < HAK_NUM_CLASSES; c++) slots += g_hak_classes[c].cache_cap + 2;
    return slots * sizeof(void *);
}

static void cache_init(hak_heap *h) {
#if HAK_RB_ARRAY_CACHE
    void **slot = (void **)((char *)h + ((sizeof(hak_heap) + 63) & ~(size_t)63));
    for (uint32_t c = 0; c < HAK_NUM_CLASSES; c++) {
        *slot = NULL; /* fresh OS memory is zero already; said here for the reader */
        h->cache_top[c] = slot + 1;
        h->cache_last[c] = slot + 1 + g_hak_classes[c].cache_cap;
        slot = h->cache_last[c] + 1;
    }
#else
    for (uint32_t c = 0; c < HAK_NUM_CLASSES; c++) h->cache_room[c] = g_hak_classes[c].cache_cap;
#endif
}

static hak_heap *heap_carve(void) {
    size_t size = (((sizeof(hak_heap) + 63) & ~(size_t)63) + cache_slots_bytes() + 63) & ~(size_t)63;
    if ((size_t)(g_meta_end - g_meta_cursor) < size) {
        char *m = hak_os_map(META_MAP_SIZE, HAK_PAGE_SIZE);
        if (!m) return NULL;
        g_meta_cursor = m;
        g_meta_end = m + META_MAP_SIZE;
    }
    hak_heap *h = (hak_heap *)g_meta_cursor;
    g_meta_cursor += size;
    cache_init(h);
    h->next_all = g_all_heaps;
    g_all_heaps = h;
    return h;
}

static void heap_thread_exit(void *arg) {
    hak_heap *h = arg;
    hak_heap_flush(h);
    t_hak_heap = &g_hak_empty_heap;
    t_hak_exiting = true;
    pthread_mutex_lock(&g_heap_lock);
    h->state = HAK_HEAP_IDLE;
    h->next_idle = g_idle_heaps;
    g_idle_heaps = h;
    pthread_mutex_unlock(&g_heap_lock);
}

void hak_heap_module_init(void) {
    pthread_key_create(&g_exit_key, heap_thread_exit);
    hak_remote_batch_init();
}

void hak_heaps_for_each(void (*fn)(hak_heap *, void *), void *arg) {
    pthread_mutex_lock(&g_heap_lock);
    for (hak_heap *h = g_all_heaps; h; h = h->next_all) fn(h, arg);
    pthread_mutex_unlock(&g_heap_lock);
}

hak_heap *hak_heap_acquire_slow(void) {
    hak_heap *h;
    if (!hak_ensure_init() || hak_gate_force_libc_alloc() || t_hak_exiting) return NULL;
    pthread_mutex_lock(&g_heap_lock);
    h = g_idle_heaps;
    if (h) g_idle_heaps = h->next_idle;
    else h = heap_carve();
    if (h) h->state = HAK_HEAP_ACTIVE;
    pthread_mutex_unlock(&g_heap_lock);
    if (!h) return NULL;
    t_hak_heap = h;
    pthread_setspecific(g_exit_key, h); /* no allocation: hakmem's key is among the first */
    return h;
}

bool hak_thread_exiting(void) { return t_hak_exiting; }

void *hak_exit_heap_alloc(uint32_t cls) {
    pthread_mutex_lock(&g_exit_lock);
    if (!g_exit_heap) {
        pthread_mutex_lock(&g_heap_lock);
        g_exit_heap = heap_carve();
        if (g_exit_heap) g_exit_heap->state = HAK_HEAP_ACTIVE;
        pthread_mutex_unlock(&g_heap_lock);
    }
    void *p = g_exit_heap ? hak_heap_alloc(g_exit_heap, cls) : NULL;
    pthread_mutex_unlock(&g_exit_lock);
    return p;
}

void hak_heap_fork_prepare(void) {
    pthread_mutex_lock(&g_exit_lock);
    pthread_mutex_lock(&g_heap_lock);
    hak_superslab_lock();
}

void hak_heap_fork_parent(void) {
    hak_superslab_unlock();
    pthread_mutex_unlock(&g_heap_lock);
    pthread_mutex_unlock(&g_exit_lock);
}

/* Only the forking thread exists in the child. The other active heaps may have been mid-update
 * when fork() struck, so they are abandoned, never adopted: the child leaks what they cached
 * (blocks it frees into them still land safely in their inboxes). */
void hak_heap_fork_child(void) {
    hak_superslab_after_fork_child();
    pthread_mutex_init(&g_heap_lock, NULL);
    pthread_mutex_init(&g_exit_lock, NULL);
    for (hak_heap *h = g_all_heaps; h; h = h->next_all)
        if (h->state == HAK_HEAP_ACTIVE && h != t_hak_heap && h != g_exit_heap)
            h->state = HAK_HEAP_ABANDONED;
    /* A reclaim by a thread the child lacks may have been between its passes: it will never
     * clear its claim on this thread's batch, which would keep the batch from being posted. */
    t_hak_heap->batch_steal = NULL;
}

#if HAK_OBSERVE
#include <stdio.h>
void hak_heaps_print_observe(int fd) {
    hak_observe_counters sum;
    memset(&sum, 0, sizeof sum);
    unsigned heaps = 0;
    for (hak_heap *h = g_all_heaps; h; h = h->next_all, heaps++) {
        const uint64_t *src = (const uint64_t *)&h->obs;
        uint64_t *dst = (uint64_t *)&sum;
        for (size_t i = 0; i < sizeof sum / sizeof(uint64_t); i++) dst[i] += src[i];
    }
    char line[256];
    int n = snprintf(line, sizeof line,
                     "[HAK_OBSERVE] heaps=%u refills=%llu flushes=%llu remote_frees=%llu "
                     "inbox_drained=%llu slabs_created=%llu slabs_released=%llu\n",
                     heaps, (unsigned long long)sum.refills, (unsigned long long)sum.flushes,
                     (unsigned long long)sum.remote_frees, (unsigned long long)sum.inbox_drained,
                     (unsigned long long)sum.slabs_created, (unsigned long long)sum.slabs_released);
    hak_os_write(fd, line, (size_t)n);
    for (uint32_t c = 0; c < HAK_NUM_CLASSES; c++) {
        if (!sum.alloc[c] && !sum.free[c]) continue;
        n = snprintf(line, sizeof line, "[HAK_OBSERVE] class=%u size=%u alloc=%llu free=%llu\n", c,
                     g_hak_classes[c].size, (unsigned long long)sum.alloc[c],
                     (unsigned long long)sum.free[c]);
        hak_os_write(fd, line, (size_t)n);
    }
}
#else
void hak_heaps_print_observe(int fd) { (void)fd; }
#endif
