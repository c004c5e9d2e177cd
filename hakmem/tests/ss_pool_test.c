/* ss_pool_test.c -- the warm pool of empty SuperSlabs (superslab.c). A program that frees half of
 * its heap and allocates it again: with research box HAK_RB_SS_POOL_SCALE on, the second round
 * maps no new SuperSlab (the pool may hold as many empty ones as are in use); with it off, the
 * pool keeps only the fixed HAKMEM_SS_WARM_POOL (4 here) and the rest comes from the OS again.
 * Either way, once everything is freed the pool shrinks back to the fixed part. */
#include <stdlib.h>
#include <string.h>

#include "hakmem.h"
#include "hakmem/tests/check.h"
#include "hakmem/tests/process_memory.h"

#if defined(HAK_RB_SS_POOL_SCALE) && HAK_RB_SS_POOL_SCALE
#define POOL_SCALED 1
#else
#define POOL_SCALED 0
#endif

enum { BLOCK = 8000, BLOCKS = 4000 }; /* 32 MB of 8 KiB-class blocks: about 16 SuperSlabs */
static void *g_blocks[BLOCKS];

static void fill(int from) {
    for (int i = from; i < BLOCKS; i++) {
        g_blocks[i] = malloc(BLOCK);
        CHECK(g_blocks[i] != NULL);
        memset(g_blocks[i], i & 0xff, BLOCK); /* fault the pages in */
    }
}

static void drain(int from) {
    for (int i = from; i < BLOCKS; i++) free(g_blocks[i]);
}

static long mapped_superslabs(void) {
    hak_os_stats s = os_stats_now();
    return (long)(s.superslab_alloc - s.superslab_free);
}

int main(void) {
    fill(0);
    long peak = mapped_superslabs();
    CHECKF(peak >= 12, "%ld SuperSlabs for 32 MB", peak);
    drain(BLOCKS / 2); /* the newer half: about 8 SuperSlabs become empty */
    hak_os_stats before = os_stats_now();
    fill(BLOCKS / 2);
    long fresh = (long)(os_stats_now().superslab_alloc - before.superslab_alloc);
    if (POOL_SCALED) EXPECTF(fresh == 0, "%ld SuperSlabs mapped again", fresh);
    else EXPECTF(fresh > 0, "%ld SuperSlabs mapped again (more were emptied than the pool holds)", fresh);
    EXPECTF(mapped_superslabs() <= peak, "%ld mapped, peak %ld", mapped_superslabs(), peak);
    drain(0);
    hak_thread_flush(); /* the thread cache's blocks back to their slabs */
    long kept = mapped_superslabs();
    EXPECTF(kept <= 4 + 1, "%ld SuperSlabs still mapped with nothing allocated", kept);
    return check_summary();
}
