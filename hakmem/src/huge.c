/* huge.c -- direct mappings for huge blocks, recorded in an open-addressing registry (linear
 * probing, backward-shift deletion) that lives in OS memory and doubles when half full.
 * Freed mappings go to the cache of huge_cache.c and new blocks come from it first, so a program
 * that replaces large blocks reuses pages already faulted in; realloc resizes with mremap. */
#include "huge.h"

#include <pthread.h>
#include <stdint.h>

#include <string.h>

#include "common.h"
#include "config.h"
#include "huge_cache.h"
#include "os.h"
#include "research_boxes.h"
#include "superslab.h"
#include "types.h"

static pthread_mutex_t g_huge_lock = PTHREAD_MUTEX_INITIALIZER;
static huge_entry *g_table;
static size_t g_capacity, g_count; /* capacity: a power of two */

static size_t g_live_bytes; /* sum of the registered blocks: the cache scales with it */
static uint64_t g_origins;  /* origins handed out so far */

static size_t slot_of(const void *p, size_t capacity) {
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 20) & (capacity - 1);
}

static huge_entry *find(const void *p) {
    if (!g_table) return NULL;
    for (size_t i = slot_of(p, g_capacity);; i = (i + 1) & (g_capacity - 1)) {
        if (g_table[i].user == p) return &g_table[i];
        if (!g_table[i].user) return NULL;
    }
}

static void insert_raw(huge_entry *table, size_t capacity, huge_entry e) {
    size_t i = slot_of(e.user, capacity);
    while (table[i].user) i = (i + 1) & (capacity - 1);
    table[i] = e;
}

static bool grow(void) {
    size_t capacity = g_capacity ? g_capacity * 2 : 1024;
    huge_entry *table = hak_os_map(capacity * sizeof(huge_entry), HAK_PAGE_SIZE);
    if (!table) return false;
    for (size_t i = 0; i < g_capacity; i++)
        if (g_table[i].user) insert_raw(table, capacity, g_table[i]);
    if (g_table) hak_os_unmap(g_table, g_capacity * sizeof(huge_entry));
    g_table = table;
    g_capacity = capacity;
    return true;
}

static void erase(huge_entry *e) {
    size_t i = (size_t)(e - g_table), j = i;
    g_table[i].user = NULL;
    for (;;) { /* pull later members of the probe run back over the hole */
        j = (j + 1) & (g_capacity - 1);
        if (!g_table[j].user) break;
        size_t home = slot_of(g_table[j].user, g_capacity);
        if (((j - home) & (g_capacity - 1)) >= ((j - i) & (g_capacity - 1))) {
            g_table[i] = g_table[j];
            g_table[j].user = NULL;
            i = j;
        }
    }
    g_count--;
}

/* Mappings of at least this length ask for transparent huge pages. A huge page is zeroed whole at
 * its first touch, so it pays for a block written densely (large_blocks: one fault per 2 MiB
 * instead of 512) and costs for one touched sparsely: medium_large's 4 MiB blocks, written only
 * at both ends, would zero two whole 2 MiB pages each, which 8 MiB avoids at a few more faults for
 * large_blocks; a lower threshold in whole pages held small blocks' tail pages whole, far over
 * the live peak (measured: docs/performance.md, Research boxes, the huge-cache policies tried). */
#define HAK_HUGE_THP_MIN (4 * HAK_SS_SIZE)

static bool wants_thp(size_t len) {
    return hak_gate_huge_thp() && !hak_gate_ss_mem_lean() && len >= HAK_HUGE_THP_MIN;
}

/* Mapping length for a request: pages, rounded to 1/8 of the size's power of two (waste under
 * 12.5 %) so that freed mappings fit later requests of a similar size. A mapping that asks for
 * huge pages is rounded to whole ones (HAK_RB_HUGE_THP_WHOLE): a partial 2 MiB at its end could
 * only be faulted in 4 KiB at a time, and a span cut from it or grown onto it would start off the
 * 2 MiB grid, its every page then a 4 KiB fault. */
static size_t mapping_length(size_t size) {
    size_t granule = HAK_PAGE_SIZE;
    if (size > 8 * HAK_PAGE_SIZE) granule = ((size_t)1 << (63 - __builtin_clzll(size))) / 8;
    if (HAK_RB_HUGE_THP_WHOLE && granule < HAK_SS_SIZE && wants_thp(size)) granule = HAK_SS_SIZE;
    return (size + granule - 1) & ~(granule - 1);
}

/* Registers a block (caller holds the lock); origin 0: a new kernel mapping, which gets an
 * origin of its own. False if the registry cannot grow. */
static bool register_block(huge_entry e) {
    if ((g_count + 1) * 2 > g_capacity && !grow()) return false;
    if (!e.origin) e.origin = ++g_origins;
    insert_raw(g_table, g_capacity, e);
    g_count++;
    g_live_bytes += e.size;
    /* Region-map entries are set, never cleared: a 2 MiB granule may be shared by two huge
     * mappings, and a stale entry only sends a lookup here, where the registry decides. */
    hak_segmap_set(e.user, e.size, HAK_SEG_HUGE);
    return true;
}

/* Purges the cache if its oldest span has waited out the delay (caller holds the lock). */
static void purge_if_due(uint64_t now, hak_huge_release *r) {
    uint64_t due = hak_huge_cache_purge_due();
    if (due && now >= due) hak_huge_cache_purge(g_live_bytes, now, r);
}

void hak_huge_tick(void) {
    uint64_t due = hak_huge_cache_purge_due();
    if (HAK_LIKELY(!due)) return;
    uint64_t now = hak_os_now_ns();
    if (now < due) return;
    hak_huge_release r = {0};
    pthread_mutex_lock(&g_huge_lock);
    purge_if_due(now, &r);
    pthread_mutex_unlock(&g_huge_lock);
    hak_huge_release_run(&r);
}

/* A block of len bytes from cached memory: the smallest cached span that fits, else (page
 * alignment only) the largest cached span grown with mremap, so that only the grown part is
 * faulted in. e->user NULL on a miss; *dirty = how many of the first bytes hold old data. */
static void reuse_cached(size_t len, size_t alignment, huge_entry *e, size_t *dirty) {
    hak_span s;
    pthread_mutex_lock(&g_huge_lock);
    bool hit = hak_huge_cache_take(len, alignment, &s) ||
               (alignment <= HAK_PAGE_SIZE && hak_huge_cache_take_largest(len / 8, &s));
    pthread_mutex_unlock(&g_huge_lock);
    e->user = NULL;
    if (!hit) return;
    *dirty = s.len;
    *e = (huge_entry){.user = s.start, .size = s.len, .origin = s.origin, .resident = s.resident,
                      .faults = s.faults, .thp = s.thp};
    if (s.len >= len) return;
    hak_superslab_pool_shed(len - s.len);
    void *q = hak_os_remap(s.start, s.len, len); /* pages move along, the grown part is fresh */
    if (q) {
        e->user = q;
        e->size = len;
        e->origin = q == s.start ? s.origin : 0;
        return;
    }
    e->user = NULL;
    hak_huge_release r = {0}; /* out of memory or address space: keep the span for later */
    pthread_mutex_lock(&g_huge_lock);
    hak_huge_cache_put(s, g_live_bytes, hak_os_now_ns(), &r);
    pthread_mutex_unlock(&g_huge_lock);
    hak_huge_release_run(&r);
}

/* A new mapping; a large one is 2 MiB-aligned and asks for transparent huge pages (huge_thp). */
static void *map_fresh(size_t len, size_t alignment) {
    bool thp = wants_thp(len);
    if (thp && alignment < HAK_SS_SIZE) alignment = HAK_SS_SIZE;
    hak_superslab_pool_shed(len);
    void *p = hak_os_map(len, alignment);
    if (p && thp) hak_os_advise_huge_pages(p, len);
    return p;
}

void *hak_huge_alloc(size_t size, size_t alignment, bool zero) {
    size_t len = mapping_length(size ? size : 1), dirty = 0;
    if (alignment < HAK_PAGE_SIZE) alignment = HAK_PAGE_SIZE;
    huge_entry e;
    reuse_cached(len, alignment, &e, &dirty);
    bool fresh = !e.user;
    if (fresh) e = (huge_entry){.user = map_fresh(len, alignment), .size = len, .thp = wants_thp(len)};
    if (!e.user) {
        hak_os_note_huge(false);
        return NULL;
    }
    if (zero && dirty) memset(e.user, 0, dirty < size ? dirty : size); /* the rest is fresh */
    hak_huge_release r = {0};
    pthread_mutex_lock(&g_huge_lock);
    if (fresh) e.faults = hak_huge_cache_faults_seen(); /* untouched until we return it */
    bool ok = register_block(e);
    if (ok) purge_if_due(hak_os_now_ns(), &r);
    pthread_mutex_unlock(&g_huge_lock);
    hak_huge_release_run(&r);
    if (!ok) {
        hak_os_unmap(e.user, e.size);
        hak_os_note_huge(false);
        return NULL;
    }
    hak_os_note_huge(true);
    return e.user;
}

/* Takes a block out of the registry (caller holds the lock). */
static void unregister(huge_entry *e) {
    g_live_bytes -= e->size;
    erase(e);
}

bool hak_huge_free(void *p) {
    hak_huge_release r = {0};
    pthread_mutex_lock(&g_huge_lock);
    huge_entry *e = find(p);
    if (e) {
        hak_span s = {e->user, e->size, e->origin, e->resident, e->faults, e->thp};
        unregister(e);
        uint64_t now = hak_os_now_ns();
        hak_huge_cache_put(s, g_live_bytes, now, &r);
        purge_if_due(now, &r);
    }
    pthread_mutex_unlock(&g_huge_lock);
    hak_huge_release_run(&r);
    return e != NULL;
}

size_t hak_huge_usable(const void *p) {
    pthread_mutex_lock(&g_huge_lock);
    huge_entry *e = find(p);
    size_t len = e ? e->size : 0;
    pthread_mutex_unlock(&g_huge_lock);
    return len;
}

/* Resizes a registered block in place or by mremap (caller holds the lock): a shrink hands the
 * tail to the cache, a growth first takes a cached span right after the block. */
static void *resize(huge_entry *e, size_t size, size_t len, hak_huge_release *r) {
    char *p = e->user;
    if (e->size >= size && e->size <= len + len / 4) return p; /* already fits, little waste */
    if (e->size > len) {
        hak_span tail = {p + len, e->size - len, e->origin, e->resident, e->faults, e->thp};
        g_live_bytes -= tail.len;
        e->size = len;
        hak_huge_cache_put(tail, g_live_bytes, hak_os_now_ns(), r);
        return p;
    }
    if (hak_huge_cache_take_at(p + e->size, len - e->size, e->origin)) {
        g_live_bytes += len - e->size;
        e->size = len;
        e->resident = len; /* what the taken part held is not returned: charge the length */
        hak_segmap_set(p, len, HAK_SEG_HUGE);
        return p;
    }
    void *q = hak_os_remap(p, e->size, len);
    if (!q) return NULL;
    huge_entry moved = *e; /* the pages move along, the grown part is fresh */
    moved.user = q;
    moved.size = len;
    moved.origin = q == p ? e->origin : 0; /* moved: a mapping of its own */
    unregister(e);
    register_block(moved); /* one was removed */
    return q;
}

void *hak_huge_realloc(void *p, size_t size) {
    size_t len = mapping_length(size);
    if (HAK_RB_SS_POOL_SCALE) { /* not under the huge lock (fork takes the SuperSlab lock first) */
        size_t old = hak_huge_usable(p);
        if (len > old) hak_superslab_pool_shed(len - old);
    }
    hak_huge_release r = {0};
    pthread_mutex_lock(&g_huge_lock);
    huge_entry *e = find(p);
    void *q = e ? resize(e, size, len, &r) : NULL;
    if (e) purge_if_due(hak_os_now_ns(), &r);
    pthread_mutex_unlock(&g_huge_lock);
    hak_huge_release_run(&r);
    return q;
}

void hak_huge_fork_prepare(void) { pthread_mutex_lock(&g_huge_lock); }
void hak_huge_fork_parent(void) { pthread_mutex_unlock(&g_huge_lock); }
void hak_huge_fork_child(void) {
    pthread_mutex_init(&g_huge_lock, NULL);
    hak_huge_cache_fork_child();
}
