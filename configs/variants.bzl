"""The variant table: every allocator build hakmem has, from one source.

Each entry is compiled from the same hakmem/src files with the same code-shaping flags
(HAK_RELEASE_COPTS: ThinLTO, no frame pointer), so variants differ only in what their defines
switch; a variant may add copts/linkopts of its own. hakmem/BUILD.bazel generates, for every variant V here:
  //hakmem:hakmem_core_V   the hak_* API only (for sanitizer tests and side-by-side use)
  //hakmem:hakmem_V        core + the malloc/free override (alwayslink; a `malloc =` target)
  //hakmem:libhakmem_V.so  the LD_PRELOAD library
and hakmem/tests generates one test suite per variant, plus a preloaded suite per PRELOAD_VARIANTS
entry (below). Gate values per variant: configs/gates.def.
A variant with "pgo": True is compiled with the profile pgo/ trains on its instrumented twin
(INSTRUMENTED below, same targets with the suffix _instr); docs/pgo.md shows the pipeline.
"""

load(":research_boxes.bzl", "BOX_VALUES", "RESEARCH_BOXES", "box_variant_name")

_FAST_DEFINES = ["HAK_VARIANT_FAST=1"]

VARIANTS = {
    # Pure speed: every hot gate is a compile-time constant, no counters, no checks.
    "fast": {
        "defines": _FAST_DEFINES,
        "copts": [],
        "linkopts": [],
    },
    # FAST compiled with a profile of the training table (pgo/training.bzl), measured by
    # `bazel run //pgo:report`. The profile is a build output of this same configuration, so it
    # is never older than the sources (a mismatch is a compile error: PGO_USE_COPTS).
    # "baseline": the variant its gain is measured against (the 10-run's verdicts, pgo/report).
    "fast_pgo": {
        "defines": _FAST_DEFINES,
        "copts": [],
        "linkopts": [],
        "pgo": True,
        "baseline": "fast",
    },
    # Release build: hot gates read once from HAKMEM_* at start-up; cheap safety checks on.
    "standard": {
        "defines": ["HAK_VARIANT_STANDARD=1"],
        "copts": [],
        "linkopts": [],
    },
    # Standard plus diagnostic counters (per-class alloc/free, refills, remote frees, slabs).
    "observe": {
        "defines": ["HAK_VARIANT_OBSERVE=1"],
        "copts": [],
        "linkopts": [],
    },
    # Standard with every check compiled in as a constant (not switchable): double and invalid
    # free, encoded free lists. What it costs: docs/reliability.md.
    "hardened": {
        "defines": ["HAK_VARIANT_HARDENED=1"],
        "copts": [],
        "linkopts": [],
    },
}

# The order benchmarks and reports list them in.
VARIANT_NAMES = ["fast", "fast_pgo", "standard", "observe", "hardened"]

# -fprofile-instr-generate in both compile and link (the link pulls in the profile runtime).
PGO_GENERATE_FLAGS = ["-fprofile-instr-generate"]

def instrumented_name(v):
    """The instrumented twin of PGO variant v (trained by pgo/, never benchmarked)."""
    return v + "_instr"

# The instrumented twin of every "pgo" variant: its defines and code-shaping flags exactly, plus
# instrumentation, so the profile's function hashes match the variant that uses it.
# Two link flags make the profile hold a record (maybe of zero counts) for every function the
# compiler emits, as -Werror=profile-instr-missing needs: --export-dynamic keeps every hak_* API
# function in a workload binary (LTO drops those it does not call, e.g. hak_thread_flush), and
# -z nostart-stop-gc keeps the records of inline helpers FAST's constant gates leave in dead
# branches (hak_link_mask), which lld's --gc-sections would otherwise discard.
INSTRUMENTED = {
    instrumented_name(v): {
        "defines": VARIANTS[v]["defines"],
        "copts": VARIANTS[v]["copts"] + PGO_GENERATE_FLAGS,
        "linkopts": VARIANTS[v]["linkopts"] + PGO_GENERATE_FLAGS + ["-Wl,--export-dynamic", "-Wl,-z,nostart-stop-gc"],
        "instruments": v,
    }
    for v in VARIANT_NAMES
    if VARIANTS[v].get("pgo")
}

# Every allocator library built (variants and their instrumented twins), and the spec of each.
LIBRARY_VARIANT_NAMES = VARIANT_NAMES + sorted(INSTRUMENTED)

def library_variant(v):
    """The spec of any library hakmem builds: a variant, an instrumented twin, a layout build or
    a box variant."""
    for table in (VARIANTS, INSTRUMENTED, LAYOUT_BUILDS):
        if v in table:
            return table[v]
    return BOX_VARIANTS[v]

def pgo_profile(v):
    """The profile label of PGO variant v: a genrule output of pgo/ (named .inc so it can sit in
    a cc_library's srcs and be a declared compile input; --fdo_optimize fails in Debian's Bazel)."""
    return "//pgo:%s.profdata.inc" % v

# A profile that does not match the sources is an error, so a stale profile can never build:
# a function whose control flow changed is "out of date" or, when its new hash differs in the
# bit LLVM reads as the context-sensitive flag, "missing" (about half of all edits); a file the
# profile does not know is "unprofiled". pgo/tests/stale_profile_test.py shows both cases.
PGO_MISMATCH_ERRORS = [
    "-Werror=profile-instr-out-of-date",
    "-Werror=profile-instr-missing",
    "-Werror=profile-instr-unprofiled",
]

def pgo_use_copts(v):
    """-fprofile-instr-use of v's profile (a declared input) plus PGO_MISMATCH_ERRORS.

    -fdepfile-entry names the profile in the compiler's .d file. Bazel keeps, of a compile's
    declared headers, only those the .d file lists as inputs for the next incremental build; a
    profile read through a flag is not listed, so after editing one source only that object was
    recompiled against the new profile and ThinLTO refused to link objects of two profiles
    ("linking module flags 'ProfileSummary': IDs have conflicting values")."""
    profile = "$(location %s)" % pgo_profile(v)
    return ["-fprofile-instr-use=" + profile, "-Xclang", "-fdepfile-entry=" + profile] + PGO_MISMATCH_ERRORS

def variant_defines(v):
    """v's defines plus HAK_VARIANT_LABEL, the name hak_variant_name() reports ("fast-pgo"):
    bench tools check that a binary reports the variant its target name says."""
    return library_variant(v)["defines"] + ["HAK_VARIANT_LABEL=" + allocator_suffix(v)]

def allocator_suffix(v):
    """How tools and reports name variant v: hakmem-<suffix> (underscores become dashes)."""
    return v.replace("_", "-")

# Shuffled-layout copies (perf_tools/: noise_floor, layout-mode A/Bs, calibrate). A layout build
# is LAYOUT_BASE compiled once with -ffunction-sections; each copy is one more link of those
# objects with its functions in another order (-Wl,--shuffle-sections=.text*=<seed>; lld's ThinLTO
# code generation emits one section per function, so the shuffle reaches LTO output too), so K
# copies cost one compile and K links. Targets, all tagged manual (`//...` builds only what a
# test depends on):
#   //hakmem:hakmem_<build>                 the compiled objects (a `malloc =` target)
#   //hakmem:libhakmem_<build><seed>.so     a copy's preload library
#   //bench:mixed_<build><seed>             Mixed with a copy linked in
# for <build> in LAYOUT_BUILDS, e.g. //bench:mixed_fast_layout3. A build with an rb define
# (rb_ab: --copt=-DHAK_RB_X=v) gets its copies by building these targets under that flag.
LAYOUT_BASE = "fast"

# The seed pool: the noise floor uses every seed (a variance component needs >= 16 copies), a
# layout-mode A/B its first K, calibrate draws K (or 2K) at random per A/B, so the pool is a few
# times its K (10).
LAYOUT_SEEDS = list(range(1, 33))

# HAK_RB_PLANTED_WORK levels (hakmem/src/research_boxes.h) that perf_tools/calibrate plants:
# N dependent additions per malloc, N/2 instructions per Mixed operation. The box's table entry
# (configs/research_boxes.bzl) names the values, so its box variants test the same levels.
PLANTED_LEVELS = [v for v in RESEARCH_BOXES["HAK_RB_PLANTED_WORK"]["values"] if v != 0]

def _layout_build(defines):
    return {
        "defines": VARIANTS[LAYOUT_BASE]["defines"] + defines,
        "copts": VARIANTS[LAYOUT_BASE]["copts"] + ["-ffunction-sections"],
        "linkopts": VARIANTS[LAYOUT_BASE]["linkopts"],
        "tags": ["manual"],
    }

def planted_build(level):
    """The layout build of LAYOUT_BASE with HAK_RB_PLANTED_WORK=level."""
    return "%s_planted%d_layout" % (LAYOUT_BASE, level)

LAYOUT_BUILD = LAYOUT_BASE + "_layout"

LAYOUT_BUILDS = dict(
    {LAYOUT_BUILD: _layout_build([])},
    **{planted_build(n): _layout_build(["HAK_RB_PLANTED_WORK=%d" % n]) for n in PLANTED_LEVELS}
)

def shuffle_linkopts(seed):
    return ["-Wl,--shuffle-sections=.text*=%d" % seed]

def layout_copy(build, seed):
    """The name of a copy: fast_layout3, fast_planted2_layout3."""
    return "%s%d" % (build, seed)

# The copies of the plain layout build, in seed order (noise_floor's inputs).
LAYOUT_VARIANT_NAMES = [layout_copy(LAYOUT_BUILD, seed) for seed in LAYOUT_SEEDS]

# Box variants (configs/research_boxes.bzl): for each research-box value that is not the default,
# the box's base variant compiled with it, e.g. fast_rb_tiny_header_1. hakmem/defs.bzl gives
# each the release targets and hakmem/tests the API, integrity and thread suites; bench/ builds
# Mixed with it (//bench:mixed_<box variant>, for //perf_tools:rb_ab). Never benchmarked by default.
BOX_VARIANTS = {
    box_variant_name(name, value): {
        "defines": VARIANTS[RESEARCH_BOXES[name]["variant"]]["defines"] + ["%s=%d" % (name, value)],
        "copts": VARIANTS[RESEARCH_BOXES[name]["variant"]]["copts"],
        "linkopts": VARIANTS[RESEARCH_BOXES[name]["variant"]]["linkopts"],
        "box": name,
        "value": value,
    }
    for name, value in BOX_VALUES
}

BOX_VARIANT_NAMES = [box_variant_name(name, value) for name, value in BOX_VALUES]

# Post-link variants: made from another variant's linked outputs by a tool (bolt/), never compiled
# from source, so they are not in VARIANT_NAMES (hakmem/defs.bzl would try to compile them). Each
# names its "base" variant and the workloads whose linked-in bench binary it also rewrites (every
# other workload uses its library preloaded). bolt/BUILD.bazel builds
#   //bolt:libhakmem_D.so  and  //bolt:<w>_D  for each derived variant D and w in its "workloads".
# A derived binary runs its base variant's code, so it reports its base's name (hak_variant_name).
DERIVED_VARIANTS = {
    # FAST_PGO laid out by llvm-bolt from a profile of the training table (docs/bolt.md).
    "fast_pgo_bolt": {
        "base": "fast_pgo",
        "tool": "bolt",
        "workloads": ["mixed"],
    },
}

DERIVED_VARIANT_NAMES = ["fast_pgo_bolt"]

def derived_library(d):
    """The LD_PRELOAD library of derived variant d."""
    return "//%s:libhakmem_%s.so" % (DERIVED_VARIANTS[d]["tool"], d)

def derived_binary(d, workload):
    """The linked-in bench binary of derived variant d for `workload`, or None if d has none."""
    if workload not in DERIVED_VARIANTS[d]["workloads"]:
        return None
    return "//%s:%s_%s" % (DERIVED_VARIANTS[d]["tool"], workload, d)

# The preloadable libraries that get hakmem/tests' preloaded API suite: the api, cxx, integrity,
# thread, fork and force-libc tests built as plain binaries (malloc not replaced at link time) and
# run with LD_PRELOAD=<library> (hakmem/tests/defs.bzl). Contract for pipeline outputs:
#   "name": "label of the .so"
# where name is a VARIANTS key, or starts with the VARIANTS key it was built from followed by "_"
# (e.g. "fast_pgo_bolt": a BOLTed copy of libhakmem_fast_pgo.so). The suite then expects
# hak_variant_name() to report allocator_suffix(<that key>), its HAK_VARIANT_LABEL ("fast-pgo").
# A new VARIANT_NAMES entry is covered automatically; a post-link copy (BOLT) is added here by
# the pipeline that makes it.
PRELOAD_VARIANTS = dict(
    {v: "//hakmem:libhakmem_%s.so" % v for v in VARIANT_NAMES},
    **{d: derived_library(d) for d in DERIVED_VARIANT_NAMES}
)

def preload_base_variant(name):
    """The VARIANTS key a PRELOAD_VARIANTS entry was built from (see the contract above)."""
    best = ""
    for v in VARIANTS:
        if (name == v or name.startswith(v + "_")) and len(v) > len(best):
            best = v
    if not best:
        fail("PRELOAD_VARIANTS entry %s: its name must start with the VARIANTS key it was built from" % name)
    return best

# Warnings are errors for project code (not for Bazel's own tools).
HAK_COPTS = [
    "-std=c17",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wshadow",
    "-Wstrict-prototypes",
    "-Wmissing-prototypes",
    "-Wno-unused-parameter",
    "-fno-plt",
    "-fvisibility=hidden",
    "-ftls-model=initial-exec",
]

# Code shape shared by every variant, so a variant comparison measures gates, not flags.
HAK_RELEASE_COPTS = ["-flto=thin", "-fomit-frame-pointer"]
HAK_RELEASE_LINKOPTS = ["-flto=thin"]

# Code that is not the allocator (tests, workloads, tools): strict but without visibility rules.
TOOL_COPTS = [
    "-std=c17",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
]

def variant_config_select(label_pattern):
    """select() over --define=hak_variant=...: label_pattern % variant for the chosen variant."""
    return select({
        "//configs:variant_" + v: label_pattern % v
        for v in VARIANT_NAMES
    })

def malloc_replacing_compatible_with():
    """target_compatible_with of a test whose malloc is hakmem (linked in or preloaded): skipped
    under --config=asan, whose own malloc would run beside hakmem's (configs/BUILD.bazel)."""
    return select({
        "//configs:sanitizer_asan": ["//configs:incompatible"],
        "//conditions:default": [],
    })
