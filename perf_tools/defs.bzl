"""Macros of perf_tools/: each tool is a py_binary of tools/<script> (/usr/bin/python3, the
toolchain of toolchain/BUILD.bazel), handed its binaries and the LLVM tool paths (toolchain/llvm.bzl) as
arguments, so the same script runs under `bazel run` and, on prebuilt binaries, as a smoke test."""

load(
    "//configs:variants.bzl",
    "DERIVED_VARIANT_NAMES",
    "LAYOUT_BUILD",
    "LAYOUT_SEEDS",
    "LAYOUT_VARIANT_NAMES",
    "PLANTED_LEVELS",
    "VARIANT_NAMES",
    "derived_binary",
    "derived_library",
    "layout_copy",
    "planted_build",
)
load("//toolchain:llvm.bzl", "llvm_tool")

# The one LLVM tool the layout diff reads binaries with (its JSON output), from toolchain/llvm.bzl.
READELF_ARG = "--llvm-readelf=" + llvm_tool("llvm-readelf")

def variant_builds():
    """(data labels, args) naming every variant's and derived variant's (bolt/) preload library
    (`fast`, `fast_pgo_bolt`) and linked-in Mixed binary (`mixed_fast`) for layout_diff's --known."""
    builds = [(v, "//hakmem:libhakmem_%s.so" % v, "//bench:mixed_" + v) for v in VARIANT_NAMES]
    builds += [(d, derived_library(d), derived_binary(d, "mixed")) for d in DERIVED_VARIANT_NAMES]
    labels, args = [], []
    for v, lib, mixed in builds:
        labels.append(lib)
        args.append("--known=%s=$(rootpath %s)" % (v, lib))
        if mixed:
            labels.append(mixed)
            args.append("--known=mixed_%s=$(rootpath %s)" % (v, mixed))
    return labels, args

def layout_copy_inputs(copies = LAYOUT_VARIANT_NAMES):
    """(data labels, args) handing noise_floor each shuffled-layout copy, linked in and preloaded."""
    labels = ["//bench:mixed"]
    args = ["--plain=$(rootpath //bench:mixed)"]
    for c in copies:
        labels += ["//bench:mixed_" + c, "//hakmem:libhakmem_%s.so" % c]
        args += ["--copy=%s=$(rootpath //bench:mixed_%s)" % (c, c),
                 "--preload=%s=$(rootpath //hakmem:libhakmem_%s.so)" % (c, c)]
    return labels, args

def calibrate_inputs(seeds = LAYOUT_SEEDS, levels = PLANTED_LEVELS, planted_seeds = LAYOUT_SEEDS, preload = False):
    """(data labels, args) handing calibrate each base copy and each planted copy: Mixed with the
    copy linked in, or (preload) the copy's library and the plain Mixed binary."""
    labels, args = [], []
    if preload:
        labels.append("//bench:mixed")
        args.append("--plain=$(rootpath //bench:mixed)")
    copy = "//hakmem:libhakmem_%s.so" if preload else "//bench:mixed_%s"
    for seed in seeds:
        label = copy % layout_copy(LAYOUT_BUILD, seed)
        labels.append(label)
        args.append("--base=%d=$(rootpath %s)" % (seed, label))
    for n in levels:
        for seed in planted_seeds:
            label = copy % layout_copy(planted_build(n), seed)
            labels.append(label)
            args.append("--planted=%d:%d=$(rootpath %s)" % (n, seed, label))
    return labels, args

def perf_tool(name, script, data = [], args = []):
    """`bazel run //perf_tools:<name> -- ...`: tools/<script> with `args` first."""
    native.py_binary(
        name = name,
        srcs = ["tools/" + script],
        main = "tools/" + script,
        deps = ["//perf_tools:python_lib"],
        data = data,
        args = args,
        tags = ["manual"],
    )

def perf_smoke_test(name, script, tool_script, data = [], args = []):
    """A CI test: tests/<script> runs tools/<tool_script> on prebuilt binaries with tiny
    parameters and checks its output and its exit codes on bad input."""
    native.py_test(
        name = name,
        srcs = ["tests/" + script],
        main = "tests/" + script,
        deps = ["//perf_tools:python_lib", "//perf_tools:ptcheck"],
        data = ["tools/" + tool_script] + data,
        args = ["$(rootpath tools/%s)" % tool_script] + args,
        # medium (300 s): a few seconds on a quiet machine, but valgrind and matplotlib start-ups
        # add up on a loaded CI runner.
        size = "medium",
    )
