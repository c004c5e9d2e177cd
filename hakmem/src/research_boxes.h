/* research_boxes.h -- compile-time experiments, each kept with its measured verdict
 * (docs/performance.md, "Research boxes"): the value that won is the default, the other values
 * stay buildable for A/B (`bazel run //perf_tools:rb_ab -- HAK_RB_<NAME>=V1,V2`). Each box is one
 * entry of configs/research_boxes.bzl, whose defaults these #ifndef values must equal
 * (//configs:tables_test) and from which `//...` builds and tests every other value.
 *
 * HAK_RB_TINY_HEADER: the seed's region-id header. Every slab block carries a 16-byte header
 *   (16 to keep blocks 16-byte aligned) holding its owner heap and, in its last byte, the
 *   region id written by tiny_region_id_write_header at carve time. A local free then reads
 *   owner and class from the header instead of the SuperSlab chunk metadata. Aligned requests
 *   above 16 bytes go to the huge path (header blocks are not aligned beyond 16). */
#ifndef HAKMEM_RESEARCH_BOXES_H
#define HAKMEM_RESEARCH_BOXES_H

#ifndef HAK_RB_TINY_HEADER
#define HAK_RB_TINY_HEADER 0
#endif

/* HAK_RB_REMOTE_BATCH (ON by default, 32): a thread freeing other threads' blocks collects up
 *   to this many for the same owner and posts them with one CAS (snmalloc's idea), instead of one
 *   CAS per block; 0 = off. A thread that frees remotely then gets a heap of its own to hold the
 *   batch, and an owner about to carve a slab takes the batches other threads still hold for it
 *   (membarrier handshake, remote.c), so a freeing thread that sleeps strands nothing. Won with
 *   several freeing threads, NEUTRAL with one (measured: docs/performance.md, Research boxes). */
#ifndef HAK_RB_REMOTE_BATCH
#define HAK_RB_REMOTE_BATCH 32
#endif

/* HAK_RB_ARRAY_CACHE (ON by default): each heap caches free blocks per class in an array of pointers (a
 *   "magazine") instead of a list linked through the blocks' first word. malloc then loads no
 *   word of the block it returns, and free writes none, so Standard's encoded links leave the
 *   fast paths entirely (slab free lists and inboxes stay encoded), and Standard's free fits
 *   ThinLTO's inlining threshold again; FAST pays about one instruction in free (the new top is
 *   built in a register). ON for every variant (one source). Costs a few dozen KiB of slot arrays
 *   per heap, touched only as far as the caches fill. Measured: docs/performance.md, Research
 *   boxes. */
#ifndef HAK_RB_ARRAY_CACHE
#define HAK_RB_ARRAY_CACHE 1
#endif

/* HAK_RB_PLANTED_WORK=N (0 = off, compiled out): N dependent integer additions on the size in
 *   malloc's fast path, before the class lookup, each behind an empty asm barrier so the compiler
 *   can neither fold nor reorder them: N additions and one subtraction (maybe a register move)
 *   more per malloc, and N + 1 cycles of latency the class lookup waits for. A known, fixed loss
 *   that //perf_tools:calibrate plants to measure how often an A/B detects it, never a product
 *   setting. Levels built for it: PLANTED_LEVELS in configs/variants.bzl; each level's exact
 *   Ir/op is measured by callgrind (calibrate prints it; docs/perf_tools.md). */
#ifndef HAK_RB_PLANTED_WORK
#define HAK_RB_PLANTED_WORK 0
#endif

/* HAK_RB_HUGE_THP_WHOLE (ON by default): huge mappings that ask for transparent huge pages are
 *   sized in whole 2 MiB pages (huge.c, mapping_length), so no span of the cache ends or starts
 *   off the 2 MiB grid: far fewer faults on large blocks at about the same peak RSS (measured:
 *   docs/performance.md, Research boxes). */
#ifndef HAK_RB_HUGE_THP_WHOLE
#define HAK_RB_HUGE_THP_WHOLE 1
#endif

/* HAK_RB_HUGE_FAULT_BOUND (ON by default): the huge cache, over its resident limit, first bounds
 *   each freed span of a 4 KiB-page mapping by what it held when handed out plus one page per
 *   fault the process took since (one getrusage for all spans), and asks mincore only about what
 *   that leaves over the limit (huge_cache.c): most page-table walks go, faults and peak RSS stay
 *   (measured: docs/performance.md, Research boxes). 0 = mincore for every span over the limit. */
#ifndef HAK_RB_HUGE_FAULT_BOUND
#define HAK_RB_HUGE_FAULT_BOUND 1
#endif

/* HAK_RB_SS_POOL_SCALE (N, 0 = off, the default): the warm pool of empty SuperSlabs holds up to
 *   1/N of the SuperSlabs in use, when that is more than HAKMEM_SS_WARM_POOL; what is beyond the
 *   fixed pool goes back to the OS once idle for HAKMEM_HUGE_PURGE_MS, or before a huge mapping
 *   faults fresh pages (superslab.c). A program that frees a large part of its heap and allocates
 *   it again (sqlite: DELETE, VACUUM) then reuses pages it already faulted in, at the price of a
 *   higher peak RSS: off until a quiet timed run weighs the two (measured:
 *   docs/results/2026-12-06/appsperf/NOTES.md). */
#ifndef HAK_RB_SS_POOL_SCALE
#define HAK_RB_SS_POOL_SCALE 0
#endif

/* HAK_RB_LIVE_BYTES (checked variants): the live state of a block is one byte per 16-byte granule
 *   in chunks 1..2 of its SuperSlab (which then hold no slab), not one bit in the header chunk
 *   (check.h). malloc stores a 1 and free compares and stores a 0, with no read-modify-write of a
 *   word shared by 64 granules: fewer instructions, no chain of loads and stores through one
 *   word, and a free from another thread needs no locked instruction (the bitmap's `lock btr`
 *   waits for the owner's cache line and drains the store buffer). Costs 2 of 31 block chunks
 *   per SuperSlab (address space) and one 4 KiB map page per 64 KiB chunk in use (the bitmap:
 *   512 bytes). Verdict: docs/reliability.md, "What each protection costs". */
#ifndef HAK_RB_LIVE_BYTES
#define HAK_RB_LIVE_BYTES 1
#endif

#define HAK_BLOCK_HEADER_BYTES (HAK_RB_TINY_HEADER ? 16u : 0u)

#endif
