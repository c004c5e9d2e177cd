/* huge_cache.c -- freed huge mappings kept for reuse, in proportion to what the program uses, and
 * given back lazily. A freed mapping keeps its pages: the next huge block of a similar size is
 * served from it without a syscall or a page fault (the kernel charges about a microsecond per
 * 4 KiB page faulted in, far more than the allocator's own work on such a block).
 *
 * Limit: max(HAKMEM_HUGE_CACHE_MB, HAKMEM_HUGE_CACHE_PCT % of the live huge bytes) of RESIDENT
 * memory; lean mode keeps only the fixed floor of address space (spans charged their length), or
 * nothing with decommit on. A span is charged
 * its whole length until the cache would go over the limit; then the kernel is asked (mincore)
 * how much of each uncounted span is really resident, and only beyond that do the smallest
 * spans go. A program that touches its big blocks sparsely (a header, a tail) thus keeps their
 * address ranges for reuse instead of unmapping and mapping them again -- on this VM each
 * munmap/mmap/mremap of a large range costs tens of microseconds of page-table work. The address
 * space held is bounded too, by HAK_VIRTUAL_FACTOR times the limit. Purge: a span idle for
 * HAKMEM_HUGE_PURGE_MS is unmapped by the next allocator call that checks the clock (there is no
 * background thread). Before any mincore, the cache reads the process's fault count once
 * (HAK_RB_HUGE_FAULT_BOUND): a freed block of 4 KiB pages holds at most what it held when handed
 * out plus one page per fault taken since, which bounds most sparse spans for one cheap syscall
 * instead of one page-table walk each. Spans of one kernel mapping that touch are merged, so a
 * block split off a larger span and freed again becomes the larger span. */
#include "huge_cache.h"

#include <stdatomic.h>

#include "common.h"
#include "config.h"
#include "os.h"
#include "research_boxes.h"

#define SLOTS 64
/* Address space the cache may hold per byte of its (resident) limit: enough for sparsely touched
 * spans of a working set to be reused, small enough that page tables of idle ranges stay few. */
#define HAK_VIRTUAL_FACTOR 4u

typedef struct cached {
    hak_span span;
    size_t counted;      /* charged to the limit: an upper bound of the span's resident bytes */
    bool measured;       /* counted came from mincore since the span last changed */
    uint64_t idle_since; /* hak_os_now_ns() when it was freed (merged spans: the latest) */
} cached;

static cached g_slots[SLOTS]; /* g_slots[0..g_n) are in use, in no order */
static unsigned g_n;
static size_t g_bytes;      /* sum of counted */
static size_t g_span_bytes; /* sum of the spans' lengths: the address space held */
/* The most huge bytes live at once, as seen by the frees: live only falls at a free, so the
 * bytes live just before one (live_bytes + the freed length) reach every peak that matters.
 * (huge.c also puts back a span whose mremap failed, never live: a rare overestimate.) */
static size_t g_peak_live;
static uint64_t g_faults_seen; /* the fault count at the last read (g_fault_offset included) */
/* Added to the kernel's count: a forked child counts from 0, so it starts above any count its
 * parent may have reached (2^40 faults beyond the last read), and bounds from before the fork
 * fall back to the spans' lengths instead of missing the parent's last faults. */
static uint64_t g_fault_offset;
static _Atomic uint64_t g_purge_due; /* see hak_huge_cache_purge_due */

static void release_add(hak_huge_release *r, hak_span s) {
    if (r->n < HAK_RELEASE_MAX) r->spans[r->n++] = s;
    else hak_os_unmap(s.start, s.len); /* list full (rare): unmap under the lock */
}

uint64_t hak_huge_cache_faults_seen(void) { return g_faults_seen; }

void hak_huge_cache_fork_child(void) { g_fault_offset = g_faults_seen + ((uint64_t)1 << 40); }

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

/* The share above the floor is also capped by how far the live bytes are below their peak: the
 * cache then never lifts the process above the high-water mark the program itself set (plus
 * the floor). A program whose live bytes sit near their peak -- large_blocks allocating a new
 * block before freeing the old one -- keeps little more than the floor; one whose live bytes
 * fell keeps up to its share for when they rise again. */
static size_t limit_for(size_t live_bytes) {
    size_t floor = (size_t)hak_gate_huge_cache_mb() << 20;
    if (hak_gate_ss_mem_lean()) return hak_gate_ss_mem_lean_decommit() ? 0 : floor;
    size_t share = live_bytes / 100 * hak_gate_huge_cache_pct();
    size_t headroom = g_peak_live > live_bytes ? g_peak_live - live_bytes : 0;
    if (share > headroom) share = headroom;
    return floor && share > floor ? share : floor;
}

static hak_span remove_slot(unsigned i) {
    hak_span s = g_slots[i].span;
    g_bytes -= g_slots[i].counted;
    g_span_bytes -= s.len;
    g_slots[i] = g_slots[--g_n];
    return s;
}

/* Drops the first `len` bytes of a cached span (they were handed out). What stays is charged at
 * most its length; a measured span stays measured (its count is still an upper bound, and the
 * part handed out is usually the part that was resident, so measuring again rarely pays). */
static void cut_front(cached *c, size_t len) {
    c->span.start += len;
    c->span.len -= len;
    g_span_bytes -= len;
    if (c->counted > c->span.len) {
        g_bytes -= c->counted - c->span.len;
        c->counted = c->span.len;
    }
}

/* Charges c what the kernel says is resident instead of its upper bound (in_cache: c is one of
 * g_slots, whose sum g_bytes follows). Lean mode charges every span its length: it wants the
 * fewest bytes kept, sparse or not, and trades the re-mapping for it. */
static void measure(cached *c, bool in_cache) {
    if (c->measured || hak_gate_ss_mem_lean()) return;
    size_t resident = hak_os_resident_bytes(c->span.start, c->span.len);
    if (resident > c->counted) resident = c->counted;
    if (in_cache) g_bytes -= c->counted - resident;
    c->counted = resident;
    c->measured = true;
    c->span.resident = resident; /* true now, and at any earlier fault count read */
    c->span.faults = g_faults_seen;
}

/* The fault bound of a span (hak_span) once the process has taken f faults: its length for a
 * span that may hold 2 MiB pages, or when the count is not known (f below the span's). */
static size_t fault_bound(const hak_span *s, uint64_t f) {
    if (s->thp || f < s->faults) return s->len;
    uint64_t pages = f - s->faults;
    if (pages >= s->len / HAK_PAGE_SIZE || s->resident >= s->len) return s->len;
    size_t bound = s->resident + (size_t)pages * HAK_PAGE_SIZE;
    return bound < s->len ? bound : s->len;
}

/* Charges c its fault bound when that is lower; a cached span takes no faults, so the charge then
 * holds from count f on (c in the cache or not: see measure). */
static void tighten(cached *c, bool in_cache, uint64_t f) {
    size_t bound = fault_bound(&c->span, f);
    if (bound < c->counted) {
        if (in_cache) g_bytes -= c->counted - bound;
        c->counted = bound;
    }
    c->span.resident = c->counted;
    c->span.faults = f;
}

/* Over the limit: one read of the fault count tightens the new span c and every cached span;
 * mincore is left for what that cannot bound. A measured span keeps its count but moves its
 * fault count on, so a block handed out from it later is bound from now, not from the
 * measurement. Lean mode charges lengths (see measure). */
static void tighten_all(cached *c) {
    /* With THP "always" any span may hold 2 MiB pages that one fault fills: no span has a fault
     * bound, so the fault count is not worth its syscall. */
    if (!HAK_RB_HUGE_FAULT_BOUND || hak_gate_ss_mem_lean() || hak_os_thp_always()) return;
    uint64_t f = hak_os_fault_count();
    if (f == UINT64_MAX) return; /* the read failed: keep the lengths */
    f += g_fault_offset;
    if (f < g_faults_seen) return; /* cannot happen; a bound would be too low if it did */
    g_faults_seen = f;
    if (c) tighten(c, false, f);
    for (unsigned i = 0; i < g_n; i++) tighten(&g_slots[i], true, f);
}

/* The first len bytes of c as a block's span: they hold at most what c is charged or bound to. */
static hak_span hand_out(const cached *c, size_t len) {
    hak_span s = c->span;
    s.len = len;
    if (s.resident > c->counted) s.resident = c->counted;
    if (s.resident > len) s.resident = len;
    return s;
}

/* Over the limit: measures every span not measured yet (each at most once while it is unchanged),
 * so that only memory that is really resident pushes spans out. */
static void measure_all(void) {
    for (unsigned i = 0; i < g_n; i++) measure(&g_slots[i], true);
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
        *out = hand_out(c, len);
        cut_front(c, len);
    } else {
        *out = hand_out(c, c->span.len);
        remove_slot((unsigned)fit);
        update_purge_due();
    }
    return true;
}

bool hak_huge_cache_take_largest(size_t min_len, hak_span *out) {
    int largest = -1;
    for (unsigned i = 0; i < g_n; i++)
        if (largest < 0 || g_slots[i].span.len > g_slots[largest].span.len) largest = (int)i;
    if (largest < 0 || g_slots[largest].span.len < min_len) return false;
    *out = hand_out(&g_slots[largest], g_slots[largest].span.len);
    remove_slot((unsigned)largest);
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
            cut_front(c, need);
        }
        return true;
    }
    return false;
}

/* True while the cache, plus `add` more counted bytes and `add_span` more address space, is over
 * one of its bounds. */
static bool over(size_t add, size_t add_span, size_t limit) {
    return g_bytes + add > limit || g_span_bytes + add_span > (size_t)HAK_VIRTUAL_FACTOR * limit;
}

void hak_huge_cache_put(hak_span s, size_t live_bytes, uint64_t now, hak_huge_release *r) {
    if (live_bytes + s.len > g_peak_live) g_peak_live = live_bytes + s.len;
    size_t limit = limit_for(live_bytes);
    cached c = {.span = s, .counted = s.len, .measured = false, .idle_since = now};
    for (unsigned i = 0; i < g_n;) { /* merge with the spans just before and just after it */
        cached o = g_slots[i];
        if (o.span.origin == s.origin && (o.span.start + o.span.len == c.span.start ||
                                          c.span.start + c.span.len == o.span.start)) {
            remove_slot(i);
            c.span.start = o.span.start < c.span.start ? o.span.start : c.span.start;
            c.span.len += o.span.len;
            c.counted += o.counted;
            /* each fault since the older count added a page to one of the two at most */
            c.span.resident += o.span.resident < o.counted ? o.span.resident : o.counted;
            if (o.span.faults < c.span.faults) c.span.faults = o.span.faults;
            i = 0;
        } else {
            i++;
        }
    }
    if (g_bytes + c.counted > limit) tighten_all(&c); /* helps only the resident bound */
    if (g_bytes + c.counted > limit) {
        measure(&c, false);
        if (g_bytes + c.counted > limit) measure_all();
    }
    while (g_n && (g_n == SLOTS || over(c.counted, c.span.len, limit)))
        release_add(r, remove_slot(smallest_slot()));
    if (over(c.counted, c.span.len, limit)) {
        release_add(r, c.span);
    } else {
        g_slots[g_n++] = c;
        g_bytes += c.counted;
        g_span_bytes += c.span.len;
    }
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
    if (g_bytes > limit) tighten_all(NULL);
    if (g_bytes > limit) measure_all();
    while (g_n && over(0, 0, limit)) release_add(r, remove_slot(smallest_slot()));
    update_purge_due();
}
