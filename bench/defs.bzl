"""Macros that generate bench/ targets from the variant table (//configs:variants.bzl).

workload_binaries: one workload source -> a binary per allocator linkage.
bench_runner: a Python tool (a py_binary: /usr/bin/python3, toolchain/BUILD.bazel) over those binaries.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")
load("//configs:allocators.bzl", "EXTERNAL_ALLOCATORS")
load(
    "//configs:variants.bzl",
    "DERIVED_VARIANTS",
    "DERIVED_VARIANT_NAMES",
    "LAYOUT_BUILDS",
    "LAYOUT_SEEDS",
    "LIBRARY_VARIANT_NAMES",
    "TOOL_COPTS",
    "VARIANT_NAMES",
    "allocator_suffix",
    "derived_binary",
    "derived_library",
    "layout_copy",
    "shuffle_linkopts",
)

WORKLOADS = [
    "mixed",
    "mixed_mt",
    "prodcons",
    "larson",
    "realloc_calloc",
    "medium_large",
    "malloc_simple",
    "large_blocks",
    "batch_fifo",
]

# Tags for targets that measure: never remote, never cached, never beside another test.
BENCH_TAGS = ["exclusive", "no-remote", "no-cache", "manual"]


def workload_binaries(name):
    """For workloads/<name>.c: <name> (plain: glibc, or whatever LD_PRELOAD supplies),
    <name>_system (glibc), <name>_mimalloc (-lmimalloc) and <name>_<v> (malloc = hakmem_<v>) for
    every variant and instrumented twin (pgo/ trains on <name>_<v>_instr)."""
    common = dict(
        srcs = ["workloads/%s.c" % name],
        copts = TOOL_COPTS,
        deps = [":bench_common"],
        visibility = ["//visibility:public"],
    )
    cc_binary(name = name, linkopts = ["-pthread"], **common)
    cc_binary(name = name + "_system", linkopts = ["-pthread"], **common)
    cc_binary(name = name + "_mimalloc", linkopts = ["-Wl,--no-as-needed", EXTERNAL_ALLOCATORS["mimalloc"]["linkopt"], "-pthread"], **common)
    for v in LIBRARY_VARIANT_NAMES:
        cc_binary(
            name = "%s_%s" % (name, v),
            malloc = "//hakmem:hakmem_" + v,
            linkopts = ["-pthread"],
            **common
        )

def layout_binaries(name):
    """<name>_<build><seed> for every layout build and seed of the variant table: the build's
    objects linked into the workload in the seed's function order (perf_tools/); manual, so
    `//...` builds only the copies a test depends on."""
    for build in sorted(LAYOUT_BUILDS):
        for seed in LAYOUT_SEEDS:
            cc_binary(
                name = "%s_%s" % (name, layout_copy(build, seed)),
                srcs = ["workloads/%s.c" % name],
                copts = TOOL_COPTS,
                deps = [":bench_common"],
                malloc = "//hakmem:hakmem_" + build,
                linkopts = ["-pthread"] + shuffle_linkopts(seed),
                tags = ["manual"],
                visibility = ["//visibility:public"],
            )

def manual_binaries(name, variants):
    """<name>_<v> for each v of `variants`, library variants outside the default tables (the box
    variants of perf_tools/rb_ab); manual, so `//...` builds only those a test depends on."""
    for v in variants:
        cc_binary(
            name = "%s_%s" % (name, v),
            srcs = ["workloads/%s.c" % name],
            copts = TOOL_COPTS,
            deps = [":bench_common"],
            malloc = "//hakmem:hakmem_" + v,
            linkopts = ["-pthread"],
            tags = ["manual"],
            visibility = ["//visibility:public"],
        )

def allocator_bins(workload):
    """(data labels, args) handing every allocator's binary of `workload` to a Python tool.
    Keys: plain, system, mimalloc, hakmem-<v>, plus preload libraries hakmem-<v>.so (v with
    dashes: hakmem-fast-pgo); derived variants (bolt/) add their library and, where they have
    one, their linked-in binary."""
    labels = [":" + workload, ":%s_system" % workload, ":%s_mimalloc" % workload]
    args = [
        "--bin=plain=$(rootpath :%s)" % workload,
        "--bin=system=$(rootpath :%s_system)" % workload,
        "--bin=mimalloc=$(rootpath :%s_mimalloc)" % workload,
    ]
    for v in VARIANT_NAMES:
        labels.append(":%s_%s" % (workload, v))
        args.append("--bin=hakmem-%s=$(rootpath :%s_%s)" % (allocator_suffix(v), workload, v))
        labels.append("//hakmem:libhakmem_%s.so" % v)
        args.append("--preload-lib=hakmem-%s=$(rootpath //hakmem:libhakmem_%s.so)" % (allocator_suffix(v), v))
    for d in DERIVED_VARIANT_NAMES:
        # A post-link copy (bolt/) runs its base's code, so it reports its base's name.
        key = "hakmem-" + allocator_suffix(d)
        args.append("--reports-as=%s=hakmem-%s" % (key, allocator_suffix(DERIVED_VARIANTS[d]["base"])))
        labels.append(derived_library(d))
        args.append("--preload-lib=%s=$(rootpath %s)" % (key, derived_library(d)))
        if derived_binary(d, workload):
            labels.append(derived_binary(d, workload))
            args.append("--bin=%s=$(rootpath %s)" % (key, derived_binary(d, workload)))
    return labels, args

# The 10-run's verdicts: the committed layout-noise floor and its loader (perf_tools/tools/ptlib.py).
TENRUN_DATA = ["//perf_tools:noise_floor.json"]
TENRUN_DEPS = [":python_lib", "//perf_tools:python_lib"]
TENRUN_ARGS = ["--floor=$(rootpath //perf_tools:noise_floor.json)"]

def build_info_args():
    """What --config was used, for the report: variant, PGO on/off, compilation mode."""
    return select({
        "//configs:variant_" + v: ["--variant=" + v]
        for v in VARIANT_NAMES
    }) + select({
        "//configs:pgo": ["--pgo=1"],
        "//conditions:default": ["--pgo=0"],
    }) + ["--compilation-mode=$(COMPILATION_MODE)"]

def bench_runner(name, script, workload, extra_args = []):
    """`bazel run //bench:<name>`: tools/<script> over every allocator binary of `workload`; and
    `bazel test //bench:<name>_test` (parameters via --test_env, results in the test's
    undeclared outputs), tagged BENCH_TAGS so it never runs remotely, cached or beside others."""
    labels, args = allocator_bins(workload)
    deps = [":python_lib"]
    if script == "tenrun.py":
        labels, args, deps = labels + TENRUN_DATA, args + TENRUN_ARGS, TENRUN_DEPS
    common = dict(
        srcs = ["tools/" + script],
        main = "tools/" + script,
        deps = deps,
        data = labels,
        args = ["--workload=" + workload, "--name=" + name] + args + extra_args + build_info_args(),
    )
    native.py_binary(name = name, tags = ["manual"], **common)
    native.py_test(name = name + "_test", tags = BENCH_TAGS, size = "enormous", **common)

def _smoke_flavors():
    """(flavor, binary suffix, expected allocator, preload library label or path) per smoke test."""
    flavors = [
        ("system", "_system", "glibc", None),
        ("mimalloc", "_mimalloc", "mimalloc", None),
    ] + [(a + "_preload", "", a, spec["library"]) for a, spec in EXTERNAL_ALLOCATORS.items()]
    for v in VARIANT_NAMES:
        flavors.append((v, "_" + v, "hakmem-" + allocator_suffix(v), None))
        flavors.append((v + "_preload", "", "hakmem-" + allocator_suffix(v), "//hakmem:libhakmem_%s.so" % v))
    for d in DERIVED_VARIANT_NAMES:
        base = DERIVED_VARIANTS[d]["base"]
        flavors.append((d + "_preload", "", "hakmem-" + allocator_suffix(base), derived_library(d)))
    return flavors

# The long-run tools smoke_tools_test exercises.
SMOKE_TOOLS = ["soak", "tail", "syscalls", "instructions", "ab"]

def bench_smoke_tests(name):
    """`name`: a test_suite of smoke_<flavor>_test (every workload binary of one allocator flavor),
    smoke_tenrun_test (the 10-run runner in a tiny configuration) and smoke_tools_test (soak, tail,
    syscall budget). Small, cacheable, CI-safe."""
    tests = []
    for flavor, suffix, expect, preload in _smoke_flavors():
        data = [":%s%s" % (w, suffix) for w in WORKLOADS]
        args = ["--flavor=" + flavor, "--expect=" + expect]
        args += ["--bin=%s=$(rootpath :%s%s)" % (w, w, suffix) for w in WORKLOADS]
        if preload and preload.startswith("//"):
            data.append(preload)
            args.append("--preload=$(rootpath %s)" % preload)
        elif preload:
            args.append("--preload=" + preload)
        native.py_test(
            name = "smoke_%s_test" % flavor,
            srcs = ["tests/smoke_workloads.py"],
            main = "tests/smoke_workloads.py",
            deps = [":python_lib", ":smokecheck"],
            data = data,
            args = args,
            size = "small",
        )
        tests.append("smoke_%s_test" % flavor)
    labels, bin_args = allocator_bins("mixed")
    native.py_test(
        name = "smoke_tenrun_test",
        srcs = ["tests/smoke_tenrun.py"],
        main = "tests/smoke_tenrun.py",
        deps = TENRUN_DEPS + [":smokecheck"],
        data = labels + TENRUN_DATA + ["tools/tenrun.py"],
        args = ["--runner", "$(rootpath tools/tenrun.py)", "--",
                "--workload=mixed", "--name=smoke_tenrun"] + bin_args + TENRUN_ARGS + build_info_args(),
        # medium: each chart-writing run imports matplotlib (about a CPU-second), which a loaded
        # 2-core runner can stretch past small's 60 s.
        size = "medium",
    )
    tests.append("smoke_tenrun_test")
    native.py_test(
        name = "smoke_tools_test",
        srcs = ["tests/smoke_tools.py"],
        main = "tests/smoke_tools.py",
        deps = [":python_lib", ":smokecheck"],
        data = labels + ["tools/%s.py" % t for t in SMOKE_TOOLS],
        args = ["%s=$(rootpath tools/%s.py)" % (t, t) for t in SMOKE_TOOLS] +
               ["--"] + bin_args + build_info_args(),
        size = "medium",  # charts: see smoke_tenrun_test
    )
    tests.append("smoke_tools_test")
    native.test_suite(name = name, tests = tests)
