"""The variant table: every allocator build hakmem has, from one source.

Each entry is compiled from the same hakmem/src files with the same code-shaping flags
(HAK_RELEASE_COPTS: ThinLTO, no frame pointer), so variants differ only in what their defines
switch; a variant may add copts/linkopts of its own. hakmem/BUILD.bazel generates, for every variant V here:
  //hakmem:hakmem_core_V   the hak_* API only (for sanitizer tests and side-by-side use)
  //hakmem:hakmem_V        core + the malloc/free override (alwayslink; a `malloc =` target)
  //hakmem:libhakmem_V.so  the LD_PRELOAD library
and hakmem/tests generates one test suite per variant. Gate values per variant: configs/gates.def.
"""

VARIANTS = {
    # Pure speed: every hot gate is a compile-time constant, no counters, no checks.
    "fast": {
        "defines": ["HAK_VARIANT_FAST=1"],
        "copts": [],
        "linkopts": [],
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
VARIANT_NAMES = ["fast", "standard", "observe", "hardened"]

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
