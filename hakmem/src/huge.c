/* huge.c -- direct mappings for huge blocks, recorded in an open-addressing registry (linear
 * probing, backward-shift deletion) that lives in OS memory and doubles when half full. */
#include "huge.h"

#include <pthread.h>
#include <stdint.h>

#include "common.h"
#include "os.h"
#include "superslab.h"

typedef struct huge_entry {
    void *user;  /* block start = mapping start; NULL = empty slot */
    size_t size; /* mapping length, page-rounded: the usable size */
} huge_entry;

static pthread_mutex_t g_huge_lock = PTHREAD_MUTEX_INITIALIZER;
static huge_entry *g_table;
static size_t g_capacity, g_count; /* capacity: a power of two */

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

static size_t page_round(size_t size) { return (size + HAK_PAGE_SIZE - 1) & ~(size_t)(HAK_PAGE_SIZE - 1); }

void *hak_huge_alloc(size_t size, size_t alignment) {
    size_t len = page_round(size ? size : 1);
    void *p = hak_os_map(len, alignment);
    if (!p) {
        hak_os_note_huge(false);
        return NULL;
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
    huge_entry *e = find(p);
    size_t len = e ? e->size : 0;
    if (e) erase(e);
    pthread_mutex_unlock(&g_huge_lock);
    if (!len) return false;
    hak_os_unmap(p, len);
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
    size_t len = page_round(size);
    pthread_mutex_lock(&g_huge_lock);
    huge_entry *e = find(p);
    void *q = NULL;
    if (e && e->size == len) {
        q = p;
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
