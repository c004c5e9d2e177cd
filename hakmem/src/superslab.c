/* superslab.c -- the backend: SuperSlabs from the OS, chunks handed out as slabs, empty
 * SuperSlabs kept in a warm pool or given back under the lean/decommit policy.
 *
 * Everything here runs on slow paths (a slab created or released) under one global lock; the
 * malloc/free fast paths never come here. */
#include "superslab.h"

#include <pthread.h>
#include <string.h>

#include "config.h"
#include "heap.h"
#include "os.h"
#include "size_class.h"

uint8_t g_hak_segmap[HAK_SEGMAP_ENTRIES];

static pthread_mutex_t g_ss_lock = PTHREAD_MUTEX_INITIALIZER;
static hak_superslab *g_partial;   /* SuperSlabs with free chunks and at least one slab */
static hak_superslab *g_warm;      /* entirely empty SuperSlabs kept mapped */
static uint32_t g_warm_count;
static uint32_t g_ss_mapped;       /* SuperSlabs mapped now: in use or warm */
static uint32_t g_slab_epoch;      /* slabs created so far: the clock for decommit hysteresis */
/* Warm-pool SuperSlabs idle this many slab creations are decommitted (lean+decommit mode), so
 * a workload oscillating around a SuperSlab boundary never madvises in a loop. */
#define DECOMMIT_AFTER_EPOCHS 64u

void hak_superslab_lock(void) { pthread_mutex_lock(&g_ss_lock); }
void hak_superslab_unlock(void) { pthread_mutex_unlock(&g_ss_lock); }
void hak_superslab_after_fork_child(void) { pthread_mutex_init(&g_ss_lock, NULL); }

void hak_segmap_set(const void *addr, size_t size, uint8_t kind) {
    uintptr_t first = (uintptr_t)addr >> HAK_SS_SHIFT;
    uintptr_t last = ((uintptr_t)addr + size - 1) >> HAK_SS_SHIFT;
    for (uintptr_t i = first; i <= last; i++) g_hak_segmap[i & (HAK_SEGMAP_ENTRIES - 1)] = kind;
}

static void list_push(hak_superslab **head, hak_superslab *ss) {
    ss->prev = NULL;
    ss->next = *head;
    if (*head) (*head)->prev = ss;
    *head = ss;
}

static void list_remove(hak_superslab **head, hak_superslab *ss) {
    if (ss->prev) ss->prev->next = ss->next;
    else *head = ss->next;
    if (ss->next) ss->next->prev = ss->prev;
    ss->next = ss->prev = NULL;
}

static hak_superslab *superslab_map(void) {
    hak_superslab *ss = hak_os_map(HAK_SS_SIZE, HAK_SS_SIZE);
    if (!ss) return NULL;
    hak_os_note_superslab(true);
    g_ss_mapped++;
    ss->magic = HAK_SS_MAGIC;
    ss->free_chunks = HAK_SS_ALL_CHUNKS;
    ss->dirty_chunks = 0;
    hak_segmap_set(ss, HAK_SS_SIZE, HAK_SEG_SLAB);
    return ss;
}

static void superslab_unmap(hak_superslab *ss) {
    hak_segmap_set(ss, HAK_SS_SIZE, HAK_SEG_NONE);
    hak_os_unmap(ss, HAK_SS_SIZE);
    hak_os_note_superslab(false);
    g_ss_mapped--;
}

static uint32_t fixed_pool_limit(void) {
    uint32_t limit = hak_gate_ss_warm_pool();
    return hak_gate_ss_mem_lean() && limit > 1 ? 1 : limit;
}

/* Research box HAK_RB_SS_POOL_SCALE: besides the fixed pool, a program keeps up to 1/N of the
 * SuperSlabs it has in use as empty ones, so one that frees and refills a large part of its heap
 * (sqlite's delete and vacuum) faults those pages in only once. The pool never lifts the mapped
 * total above what was in use before; it shrinks as the program does, and what is beyond the
 * fixed pool goes back to the OS once idle for HAKMEM_HUGE_PURGE_MS. Not in lean mode. */
static uint32_t warm_pool_limit(void) {
    uint32_t limit = fixed_pool_limit();
    if (!HAK_RB_SS_POOL_SCALE || hak_gate_ss_mem_lean()) return limit;
    uint32_t scaled = (g_ss_mapped - g_warm_count) / (HAK_RB_SS_POOL_SCALE + 0u);
    return scaled > limit ? scaled : limit;
}

static hak_superslab *pool_oldest(void) { /* the list's tail: members are pushed and taken at the head */
    hak_superslab *ss = g_warm;
    while (ss && ss->next) ss = ss->next;
    return ss;
}

static void pool_unmap(hak_superslab *ss) {
    list_remove(&g_warm, ss);
    g_warm_count--;
    superslab_unmap(ss);
}

/* Unmaps pool members over the limit, then those beyond the fixed pool that waited out the purge
 * delay, the oldest first. */
static void pool_trim(void) {
    if (!HAK_RB_SS_POOL_SCALE || g_warm_count <= fixed_pool_limit()) return;
    uint64_t now = hak_os_now_ns(), delay = (uint64_t)hak_gate_huge_purge_ms() * 1000000u;
    for (hak_superslab *ss = pool_oldest(), *newer; ss && g_warm_count > fixed_pool_limit(); ss = newer) {
        if (g_warm_count <= warm_pool_limit() && now - ss->warm_since < delay) break;
        newer = ss->prev;
        pool_unmap(ss);
    }
}

void hak_superslab_pool_shed(size_t bytes) {
    if (!HAK_RB_SS_POOL_SCALE) return;
    hak_superslab_lock();
    for (size_t shed = 0; shed < bytes && g_warm_count > fixed_pool_limit(); shed += HAK_SS_SIZE)
        pool_unmap(pool_oldest());
    hak_superslab_unlock();
}

static void decommit(hak_superslab *ss) {
    for (uint32_t i = 1; i < HAK_CHUNKS_PER_SS;) { /* one madvise per dirty run */
        if (!(ss->dirty_chunks >> i & 1u)) { i++; continue; }
        uint32_t j = i;
        while (j < HAK_CHUNKS_PER_SS && (ss->dirty_chunks >> j & 1u)) j++;
        hak_os_decommit((char *)ss + (size_t)i * HAK_CHUNK_SIZE, (size_t)(j - i) * HAK_CHUNK_SIZE);
        i = j;
    }
    ss->dirty_chunks = 0;
}

/* Lean mode: decommit pool members idle for a while (the idle clock lives in meta[0].used,
 * unused otherwise since chunk 0 is the header). */
static void pool_age(void) {
    if (!hak_gate_ss_mem_lean()) return;
    for (hak_superslab *ss = g_warm; ss; ss = ss->next) {
        if (!ss->dirty_chunks || g_slab_epoch - ss->meta[0].used < DECOMMIT_AFTER_EPOCHS) continue;
        if (hak_gate_ss_mem_lean_decommit()) decommit(ss);
        else { hak_os_note_decommit_disabled(); ss->dirty_chunks = 0; }
    }
}

void hak_superslab_prewarm(void) {
    if (hak_gate_ss_mem_lean()) return;
    hak_superslab_lock();
    for (uint32_t i = 0; i < hak_gate_ss_prewarm() && g_warm_count < warm_pool_limit() + 1; i++) {
        hak_superslab *ss = superslab_map();
        if (!ss) break;
        list_push(&g_warm, ss);
        g_warm_count++;
    }
    hak_superslab_unlock();
}

/* Lowest index of a run of k free chunks, or -1. */
static int find_run(uint32_t free_mask, uint32_t k) {
    uint32_t run = free_mask;
    for (uint32_t i = 1; i < k; i++) run &= free_mask >> i;
    return run ? __builtin_ctz(run) : -1;
}

static void slab_init(hak_superslab *ss, uint32_t first, struct hak_heap *owner, uint32_t cls) {
    const hak_class_info *ci = &g_hak_classes[cls];
    uint32_t k = ci->slab_chunks;
    for (uint32_t i = 0; i < k; i++) {
        hak_slab *m = &ss->meta[first + i];
        memset(m, 0, sizeof *m);
        m->cls = (uint8_t)cls;
        m->head_offset = (uint8_t)i;
        m->chunks = (uint8_t)k;
        __atomic_store_n(&m->owner, owner, __ATOMIC_RELEASE);
    }
    /* No block of the new slab is handed out yet. The byte map needs no clearing: a slab is
     * released only when none of its blocks is out, so every byte it set is 0 again (and a new
     * SuperSlab is zero), and clearing 4 KiB per chunk would fault in map pages for nothing. */
    if (HAK_LIVE_BITMAP && !HAK_RB_LIVE_BYTES)
        memset(&ss->live[(size_t)first * HAK_LIVE_WORDS_PER_CHUNK], 0,
               (size_t)k * HAK_LIVE_WORDS_PER_CHUNK * sizeof(uint64_t));
    hak_slab *head = &ss->meta[first];
    head->bump = head->block_base = (char *)ss + (size_t)first * HAK_CHUNK_SIZE;
    head->end = head->bump + (size_t)ci->capacity * ci->stride;
}

hak_slab *hak_slab_new(struct hak_heap *owner, uint32_t cls) {
    uint32_t k = g_hak_classes[cls].slab_chunks;
    hak_superslab_lock();
    g_slab_epoch++;
    pool_trim();
    int first = -1;
    hak_superslab *ss = g_partial;
    for (; ss; ss = ss->next)
        if ((first = find_run(ss->free_chunks, k)) >= 0) break;
    if (!ss) {
        ss = g_warm;
        if (ss) {
            list_remove(&g_warm, ss);
            g_warm_count--;
        } else if (!(ss = superslab_map())) {
            hak_superslab_unlock();
            return NULL;
        }
        list_push(&g_partial, ss);
        first = find_run(ss->free_chunks, k);
    }
    uint32_t bits = ((1u << k) - 1u) << first;
    ss->free_chunks &= ~bits;
    ss->dirty_chunks |= bits;
    if (!ss->free_chunks) list_remove(&g_partial, ss);
    slab_init(ss, (uint32_t)first, owner, cls);
    pool_age();
    hak_superslab_unlock();
    return &ss->meta[first];
}

void hak_slab_release(hak_slab *s) {
    hak_superslab *ss = hak_ss_of(s);
    uint32_t first = (uint32_t)(s - ss->meta), k = s->chunks;
    hak_superslab_lock();
    for (uint32_t i = 0; i < k; i++) __atomic_store_n(&s[i].owner, NULL, __ATOMIC_RELEASE);
    bool was_full = ss->free_chunks == 0;
    ss->free_chunks |= ((1u << k) - 1u) << first;
    if (was_full) list_push(&g_partial, ss);
    if (ss->free_chunks == HAK_SS_ALL_CHUNKS) {
        list_remove(&g_partial, ss);
        if (g_warm_count < warm_pool_limit()) {
            ss->meta[0].used = g_slab_epoch;
            if (HAK_RB_SS_POOL_SCALE) ss->warm_since = hak_os_now_ns();
            list_push(&g_warm, ss);
            g_warm_count++;
        } else {
            superslab_unmap(ss);
        }
    }
    pool_trim();
    pool_age();
    hak_superslab_unlock();
}
