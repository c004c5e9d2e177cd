"""Macros of perf_tools/: each tool is an sh_binary running tools/<script> with /usr/bin/python3
(bench/tools/run_python.sh), handed its binaries and the LLVM tool paths (toolchain/llvm.bzl) as
arguments, so the same script runs under `bazel run` and, on prebuilt binaries, as a smoke test."""

load(
    "//configs:variants.bzl",
    "DERIVED_VARIANT_NAMES",
    "LAYOUT_VARIANT_NAMES",
    "VARIANT_NAMES",
    "derived_binary",
    "derived_library",
)
load("//toolchain:llvm.bzl", "llvm_tool")

PY_LIB = ["//bench:python_lib", "//perf_tools:python_lib"]

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

def perf_tool(name, script, data = [], args = []):
    """`bazel run //perf_tools:<name> -- ...`: tools/<script> with `args` first."""
    native.sh_binary(
        name = name,
        srcs = ["//bench:tools/run_python.sh"],
        data = ["tools/" + script] + PY_LIB + data,
        args = ["$(rootpath tools/%s)" % script] + args,
        tags = ["manual"],
    )

def perf_smoke_test(name, script, tool_script, data = [], args = []):
    """A CI test: tests/<script> runs tools/<tool_script> on prebuilt binaries with tiny
    parameters and checks its output and its exit codes on bad input."""
    native.sh_test(
        name = name,
        srcs = ["//bench:tools/run_python.sh"],
        data = ["tests/" + script, "tests/ptcheck.py", "tools/" + tool_script, "//bench:tests/smokecheck.py"] +
               PY_LIB + data,
        args = ["$(rootpath tests/%s)" % script, "$(rootpath tools/%s)" % tool_script] + args,
        # medium (300 s): a few seconds on a quiet machine, but valgrind and matplotlib start-ups
        # add up on a loaded CI runner.
        size = "medium",
    )
