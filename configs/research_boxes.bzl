"""The research-box table: every compile-time experiment of hakmem/src/research_boxes.h, one entry
each. For every value that is not the default, configs/variants.bzl makes a box variant (the
entry's base variant with that define) that `//...` builds and runs the API, integrity and thread
suites against (hakmem/tests), so no branch of a box goes untested. research_boxes.h's #ifndef
defaults must equal the defaults here (//configs:tables_test checks). A box whose alternative lost
its A/B is deleted, leaving one line in docs/performance.md ("Research boxes"), not kept here.

    "HAK_RB_NAME": box(values, default, variant, verdict)
values: the values that can be chosen (default included); variant: the VARIANTS key the other
values are built from (one build each, not every variant: CI time); verdict: where the
measurement that decided the default is recorded."""

def box(values, default, variant, verdict):
    return {"values": values, "default": default, "variant": variant, "verdict": verdict}

RESEARCH_BOXES = {
    # Kept off (memory NO-GO, speed NEUTRAL); tested on as the seed's region-id header
    # (tiny_region_id_write_header), the FAST A/B of docs/perf_tools.md.
    "HAK_RB_TINY_HEADER": box([0, 1], 0, "fast", "docs/performance.md, Research boxes: HAK_RB_TINY_HEADER=1"),
    # On (GO on 1p2c); 0 is also the path every build takes when membarrier is unavailable.
    "HAK_RB_REMOTE_BATCH": box([0, 32], 32, "standard", "docs/performance.md, One thread allocating, two threads freeing"),
    # On; FAST with the list cache (0) is the open question of its A/B, so both stay built.
    "HAK_RB_ARRAY_CACHE": box([0, 1], 1, "fast", "docs/performance.md, Research boxes: HAK_RB_ARRAY_CACHE=1"),
    # On: huge mappings that ask for THP are whole 2 MiB pages long (far fewer faults).
    "HAK_RB_HUGE_THP_WHOLE": box([0, 1], 1, "fast", "docs/performance.md, Large blocks zeroed on allocation"),
    # On: freed 4 KiB-page spans bounded by the process's fault count before any mincore.
    "HAK_RB_HUGE_FAULT_BOUND": box([0, 1], 1, "fast", "docs/performance.md, medium_large: the resident bound without a page-table walk per free"),
    # The warm pool of empty SuperSlabs also holds up to 1/N of those in use (0: the fixed pool
    # only). Off: sqlite -22 % faults but +1.4..7 % peak RSS; the quiet timed run decides.
    "HAK_RB_SS_POOL_SCALE": box([0, 1], 0, "fast", "docs/results/2026-12-06/appsperf/NOTES.md"),
    # On: the checked variants' live state as a byte per 16-byte granule (chunks 1..2 of each
    # SuperSlab), not a bit in the header: no locked instruction on a cross-thread free.
    "HAK_RB_LIVE_BYTES": box([0, 1], 1, "standard", "docs/reliability.md, What each protection costs"),
    # Off: a known loss for perf_tools/calibrate to plant, never a product setting; its non-zero
    # values are the planted levels (configs/variants.bzl PLANTED_LEVELS).
    "HAK_RB_PLANTED_WORK": box([0, 1, 2, 4], 0, "fast", "docs/perf_tools.md, Calibration"),
}

def box_variant_name(name, value):
    """HAK_RB_TINY_HEADER=1 -> fast_rb_tiny_header_1 (its base variant, the box, the value)."""
    return "%s_rb_%s_%d" % (RESEARCH_BOXES[name]["variant"], name[len("HAK_RB_"):].lower(), value)

# (box, value) of every non-default value, in table order.
BOX_VALUES = [
    (name, value)
    for name, spec in RESEARCH_BOXES.items()
    for value in spec["values"]
    if value != spec["default"]
]
