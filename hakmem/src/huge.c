/* huge.c -- direct mappings for huge blocks, recorded in an open-addressing registry (linear
 * probing, backward-shift deletion) that lives in OS memory and doubles when half full.
 * Freed mappings wait in a small cache (HAKMEM_HUGE_CACHE_MB) so that a program allocating
 * and freeing huge blocks in a loop reuses them instead of paying mmap+munmap each time. */
#include "huge.h"

#include <pthread.h>
#include <stdint.h>

#include <string.h>

#include "common.h"
#include "config.h"
#include "os.h"
#include "superslab.h"

typedef struct huge_entry {
    void *user;  /* block start = mapping start; NULL = empty slot */
    size_t size; /* mapping length, page-rounded: the usable size */
} huge_entry;

static pthread_mutex_t g_huge_lock = PTHREAD_MUTEX_INITIALIZER;
static huge_entry *g_table;
static size_t g_capacity, g_count; /* capacity: a power of two */

/* The cache of freed mappings: oldest first out when full. */
#define CACHE_SLOTS 16
static huge_entry g_cache[CACHE_SLOTS];
static uint64_t g_cache_age[CACHE_SLOTS], g_cache_clock;

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

/* Mapping length for a request: pages, rounded to 1/8 of the size's power of two (waste under
 * 12.5 %) so that freed mappings fit later requests of a similar size. */
static size_t mapping_length(size_t size) {
    size_t granule = HAK_PAGE_SIZE;
    if (size > 8 * HAK_PAGE_SIZE) granule = ((size_t)1 << (63 - __builtin_clzll(size))) / 8;
    return (size + granule - 1) & ~(granule - 1);
}

/* A cached mapping of len..2*len bytes aligned to `alignment`, removed from the cache (a
 * reused mapping may be up to twice the request: its untouched pages cost nothing). */
static bool cache_take(size_t len, size_t alignment, huge_entry *out) {
    for (int i = 0; i < CACHE_SLOTS; i++) {
        huge_entry *c = &g_cache[i];
        if (!c->user || c->size < len || c->size > 2 * len) continue;
        if ((uintptr_t)c->user & (alignment - 1)) continue;
        *out = *c;
        c->user = NULL;
        return true;
    }
    return false;
}

static size_t cache_bytes(void) {
    size_t bytes = 0;
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (g_cache[i].user) bytes += g_cache[i].size;
    return bytes;
}

static int cache_oldest(void) {
    int oldest = -1;
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (g_cache[i].user && (oldest < 0 || g_cache_age[i] < g_cache_age[oldest])) oldest = i;
    return oldest;
}

/* Keeps a freed mapping, unmapping the oldest cached ones until it fits; false if it cannot. */
static bool cache_put(huge_entry e) {
    size_t limit = (size_t)hak_gate_huge_cache_mb() << 20;
    if (e.size > limit) return false;
    for (;;) {
        int free_slot = -1;
        for (int i = 0; i < CACHE_SLOTS && free_slot < 0; i++)
            if (!g_cache[i].user) free_slot = i;
        if (free_slot >= 0 && cache_bytes() + e.size <= limit) {
            g_cache[free_slot] = e;
            g_cache_age[free_slot] = ++g_cache_clock;
            return true;
        }
        int victim = cache_oldest();
        hak_os_unmap(g_cache[victim].user, g_cache[victim].size);
        g_cache[victim].user = NULL;
    }
}

void *hak_huge_alloc(size_t size, size_t alignment, bool zero) {
    size_t len = mapping_length(size ? size : 1);
    if (alignment < HAK_PAGE_SIZE) alignment = HAK_PAGE_SIZE;
    huge_entry cached;
    pthread_mutex_lock(&g_huge_lock);
    bool reused = cache_take(len, alignment, &cached);
    pthread_mutex_unlock(&g_huge_lock);
    void *p = reused ? cached.user : hak_os_map(len, alignment);
    if (!p) {
        hak_os_note_huge(false);
        return NULL;
    }
    if (reused) {
        len = cached.size;
        if (zero) memset(p, 0, size);
    }
    pthread_mutex_lock(&g_huge_lock);
    if ((g_count + 1) * 2 > g_capacity && !grow()) {
        pthread_mutex_unlock(&g_huge_lock);
        hak_os_unmap(p, len);
        hak_os_note_huge(false);
        return NULL;
    }
    insert_raw(g_table, g_capacity, (huge_entry){p, len});
    g_count++;
    /* Region-map entries are set, never cleared: a 2 MiB granule may be shared by two huge
     * mappings, and a stale entry only sends a lookup here, where the registry decides. */
    hak_segmap_set(p, len, HAK_SEG_HUGE);
    pthread_mutex_unlock(&g_huge_lock);
    hak_os_note_huge(true);
    return p;
}

bool hak_huge_free(void *p) {
    pthread_mutex_lock(&g_huge_lock);
    huge_entry *e = find(p), freed = {NULL, 0};
    if (e) {
        freed = *e;
        erase(e);
        if (cache_put(freed)) freed.user = NULL;
    }
    pthread_mutex_unlock(&g_huge_lock);
    if (!e) return false;
    if (freed.user) hak_os_unmap(freed.user, freed.size);
    return true;
}

size_t hak_huge_usable(const void *p) {
    pthread_mutex_lock(&g_huge_lock);
    huge_entry *e = find(p);
    size_t len = e ? e->size : 0;
    pthread_mutex_unlock(&g_huge_lock);
    return len;
}

void *hak_huge_realloc(void *p, size_t size) {
    size_t len = mapping_length(size);
    pthread_mutex_lock(&g_huge_lock);
    huge_entry *e = find(p);
    void *q = NULL;
    if (e && e->size >= size && e->size <= len + len / 4) {
        q = p; /* already fits, without much waste */
    } else if (e && (q = hak_os_remap(p, e->size, len)) != NULL) {
        erase(e);
        insert_raw(g_table, g_capacity, (huge_entry){q, len});
        g_count++;
        hak_segmap_set(q, len, HAK_SEG_HUGE);
    }
    pthread_mutex_unlock(&g_huge_lock);
    return q;
}

void hak_huge_fork_prepare(void) { pthread_mutex_lock(&g_huge_lock); }
void hak_huge_fork_parent(void) { pthread_mutex_unlock(&g_huge_lock); }
void hak_huge_fork_child(void) { pthread_mutex_init(&g_huge_lock, NULL); }
