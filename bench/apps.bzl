"""//bench:apps (real programs under every allocator, tools/apps.py) and its CI tests."""

load("//configs:allocators.bzl", "EXTERNAL_ALLOCATORS")
load("//configs:variants.bzl", "DERIVED_VARIANT_NAMES", "VARIANT_NAMES", "allocator_suffix", "derived_library")
load(":defs.bzl", "BENCH_TAGS")

# The allocators of issue #18's table (glibc and every external one of configs/allocators.bzl);
# the others of the variant table can be named in ALLOCATORS.
APPS_SYSTEM_ALLOCATORS = ["glibc"] + sorted(EXTERNAL_ALLOCATORS)
APPS_VARIANTS = ["standard", "fast", "fast_pgo"] + DERIVED_VARIANT_NAMES

# Issue #18's targets (bench/tools/apps_report.py TARGET_FIGURES): geometric means of median
# ratios against mimalloc over the apps, and the largest per-app CPU ratio.
APPS_TARGETS = {
    "fast": "cpu_geomean=0.95,cpu_max_app=1.03,rss_geomean=0.90",
    "standard": "cpu_geomean=1.00,rss_geomean=0.90",
}

def _library(v):
    return derived_library(v) if v in DERIVED_VARIANT_NAMES else "//hakmem:libhakmem_%s.so" % v

def apps_args(variants):
    """(data, args) for tools/apps.py with the preload libraries of `variants` (absolute labels:
    pgo/ and bolt/'s reports run the hold-out programs with them too)."""
    data = [
        "//bench:tools/apps.py",
        "//bench:apps_inputs",
        "//bench:libapps_malloc_probe.so",
        "//bench:libapps_glibc_malloc.so",
    ] + [_library(v) for v in variants]
    args = [
        "--inputs=bench/programs/inputs",
        "--probe=$(rootpath //bench:libapps_malloc_probe.so)",
        "--glibc-shim=$(rootpath //bench:libapps_glibc_malloc.so)",
    ] + ["--preload-lib=hakmem-%s=$(rootpath %s)" % (allocator_suffix(v), _library(v)) for v in variants]
    return data, args

def apps_targets(name):
    """`bazel run //bench:<name>` and `bazel test //bench:<name>_test` (BENCH_TAGS, like the other
    runners): every variant of the table can be selected, issue #18's set runs by default."""
    data, args = apps_args(VARIANT_NAMES + DERIVED_VARIANT_NAMES)
    default = APPS_SYSTEM_ALLOCATORS + ["hakmem-" + allocator_suffix(v) for v in APPS_VARIANTS]
    common = dict(
        srcs = ["tools/apps.py"],
        main = "tools/apps.py",
        deps = [":python_lib"],
        data = data,
        args = ["--name=" + name, "--default-allocators=" + ",".join(default)] +
               ["--target=hakmem-%s:%s" % (allocator_suffix(v), t) for v, t in APPS_TARGETS.items()] + args,
    )
    native.py_binary(name = name, tags = ["manual"], **common)
    native.py_test(name = name + "_test", tags = BENCH_TAGS, size = "enormous", **common)

def apps_tests(name):
    """CI: <name>_smoke_test (every app at its smallest input under Standard and FAST_PGO_BOLT,
    outputs and allocator proofs checked, bad parameters rejected; no timing) and
    <name>_failure_test (faults reported with app and allocator)."""
    data, args = apps_args(["standard"] + DERIVED_VARIANT_NAMES)
    native.py_test(
        name = name + "_smoke_test",
        srcs = ["tests/apps_smoke.py"],
        main = "tests/apps_smoke.py",
        deps = [":python_lib", ":smokecheck"],
        data = data,
        args = ["$(rootpath tools/apps.py)", "--",
                "--name=apps_smoke", "--default-allocators=glibc"] + args,
        size = "medium",
    )
    native.py_test(
        name = name + "_failure_test",
        srcs = ["tests/apps_failure.py"],
        main = "tests/apps_failure.py",
        deps = [":python_lib", ":smokecheck"],
        data = [
            ":libapps_malloc_probe.so",
            ":libapps_glibc_malloc.so",
        ],
        args = [
            "$(rootpath :libapps_malloc_probe.so)",
            "$(rootpath :libapps_glibc_malloc.so)",
        ],
        size = "small",
    )
