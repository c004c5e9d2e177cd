/* huge_cache.c -- freed huge mappings kept for reuse, in proportion to what the program uses, and
 * given back lazily. A freed mapping keeps its pages: the next huge block of a similar size is
 * served from it without a syscall or a page fault (the kernel charges about a microsecond per
 * 4 KiB page faulted in, far more than the allocator's own work on such a block).
 *
 * Limit: max(HAKMEM_HUGE_CACHE_MB, HAKMEM_HUGE_CACHE_PCT % of the live huge bytes); lean mode
 * keeps only the fixed floor, or nothing with decommit on; beyond the limit the smallest spans go
 * first. Purge: a span idle for
 * HAKMEM_HUGE_PURGE_MS is unmapped by the next allocator call that checks the clock (there is no
 * background thread). Spans of one kernel mapping that touch are merged, so a block split off a
 * larger span and freed again becomes the larger span. */
#include "huge_cache.h"

#include <stdatomic.h>

#include "common.h"
#include "config.h"
#include "os.h"

#define SLOTS 64
typedef struct cached {
    hak_span span;
    uint64_t idle_since; /* hak_os_now_ns() when it was freed (merged spans: the latest) */
} cached;

static cached g_slots[SLOTS]; /* g_slots[0..g_n) are in use, in no order */
static unsigned g_n;
static size_t g_bytes;
static _Atomic uint64_t g_purge_due; /* see hak_huge_cache_purge_due */

static void release_add(hak_huge_release *r, hak_span s) {
    if (r->n < HAK_RELEASE_MAX) r->spans[r->n++] = s;
    else hak_os_unmap(s.start, s.len); /* list full (rare): unmap under the lock */
}

void hak_huge_release_run(hak_huge_release *r) {
    for (unsigned i = 0; i < r->n; i++) hak_os_unmap(r->spans[i].start, r->spans[i].len);
    r->n = 0;
}

static uint64_t purge_delay_ns(void) { return (uint64_t)hak_gate_huge_purge_ms() * 1000000u; }

/* The oldest span decides when the next purge is due. */
static void update_purge_due(void) {
    uint64_t oldest = UINT64_MAX;
    for (unsigned i = 0; i < g_n; i++)
        if (g_slots[i].idle_since < oldest) oldest = g_slots[i].idle_since;
    atomic_store_explicit(&g_purge_due, g_n ? oldest + purge_delay_ns() : 0, memory_order_relaxed);
}

static size_t limit_for(size_t live_bytes) {
    size_t floor = (size_t)hak_gate_huge_cache_mb() << 20;
    if (hak_gate_ss_mem_lean()) return hak_gate_ss_mem_lean_decommit() ? 0 : floor;
    size_t share = live_bytes / 100 * hak_gate_huge_cache_pct();
    return floor && share > floor ? share : floor;
}

static hak_span remove_slot(unsigned i) {
    hak_span s = g_slots[i].span;
    g_bytes -= s.len;
    g_slots[i] = g_slots[--g_n];
    return s;
}

/* Over the limit, the smallest spans go first: they are the least likely to fit a request, and
 * dropping them throws away the fewest faulted-in pages per span. */
static unsigned smallest_slot(void) {
    unsigned smallest = 0;
    for (unsigned i = 1; i < g_n; i++)
        if (g_slots[i].span.len < g_slots[smallest].span.len) smallest = i;
    return smallest;
}

bool hak_huge_cache_take(size_t len, size_t alignment, hak_span *out) {
    int fit = -1;
    for (unsigned i = 0; i < g_n; i++) {
        hak_span s = g_slots[i].span;
        if (s.len >= len && !((uintptr_t)s.start & (alignment - 1)) &&
            (fit < 0 || s.len < g_slots[fit].span.len))
            fit = (int)i;
    }
    if (fit < 0) return false;
    cached *c = &g_slots[fit];
    if (c->span.len - len > len / 8) { /* split: the rest stays cached, as idle as before */
        *out = (hak_span){c->span.start, len, c->span.origin};
        c->span.start += len;
        c->span.len -= len;
        g_bytes -= len;
    } else {
        *out = remove_slot((unsigned)fit);
        update_purge_due();
    }
    return true;
}

bool hak_huge_cache_take_largest(size_t min_len, hak_span *out) {
    int largest = -1;
    for (unsigned i = 0; i < g_n; i++)
        if (largest < 0 || g_slots[i].span.len > g_slots[largest].span.len) largest = (int)i;
    if (largest < 0 || g_slots[largest].span.len < min_len) return false;
    *out = remove_slot((unsigned)largest);
    update_purge_due();
    return true;
}

bool hak_huge_cache_take_at(const char *addr, size_t need, uint64_t origin) {
    for (unsigned i = 0; i < g_n; i++) {
        cached *c = &g_slots[i];
        if (c->span.start != addr || c->span.origin != origin || c->span.len < need) continue;
        if (c->span.len == need) {
            remove_slot(i);
            update_purge_due();
        } else {
            c->span.start += need;
            c->span.len -= need;
            g_bytes -= need;
        }
        return true;
    }
    return false;
}

void hak_huge_cache_put(hak_span s, size_t live_bytes, uint64_t now, hak_huge_release *r) {
    size_t limit = limit_for(live_bytes);
    for (unsigned i = 0; i < g_n;) { /* merge with the spans just before and just after it */
        hak_span c = g_slots[i].span;
        if (c.origin == s.origin && (c.start + c.len == s.start || s.start + s.len == c.start)) {
            remove_slot(i);
            s = (hak_span){c.start < s.start ? c.start : s.start, c.len + s.len, s.origin};
            i = 0;
        } else {
            i++;
        }
    }
    while (g_n && (g_n == SLOTS || g_bytes + s.len > limit))
        release_add(r, remove_slot(smallest_slot()));
    if (s.len > limit) release_add(r, s);
    else g_slots[g_n++] = (cached){s, now}, g_bytes += s.len;
    update_purge_due();
}

uint64_t hak_huge_cache_purge_due(void) {
    return atomic_load_explicit(&g_purge_due, memory_order_relaxed);
}

void hak_huge_cache_purge(size_t live_bytes, uint64_t now, hak_huge_release *r) {
    uint64_t delay = purge_delay_ns();
    for (unsigned i = 0; i < g_n;) {
        if (now - g_slots[i].idle_since >= delay) release_add(r, remove_slot(i));
        else i++;
    }
    size_t limit = limit_for(live_bytes); /* the live bytes may have fallen since the last put */
    while (g_n && g_bytes > limit) release_add(r, remove_slot(smallest_slot()));
    update_purge_due();
}
