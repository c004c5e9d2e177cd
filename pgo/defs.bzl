"""pgo/'s targets per PGO variant: the genrule that runs the training table (training.bzl) on the
variant's instrumented twin and merges the weighted profile (training_args() hands the table to
pgo/train.py and is shared with bolt/), the staleness and runner tests, and the report.

The instrumented workload binaries are the genrule's srcs, not its tools: tools are built in the
host configuration (--host_copt), which would give them other flags than the variant that uses
the profile. As srcs they are built in the same configuration as that variant.
"""

load("//configs:variants.bzl", "HAK_COPTS", "HAK_RELEASE_COPTS", "PGO_MISMATCH_ERRORS", "VARIANTS",
     "allocator_suffix", "instrumented_name", "pgo_profile", "variant_defines")
load("//hakmem/tests:srcs_of.bzl", "srcs_of")
load("//bench:apps.bzl", "apps_args")
load(":compile_flags.bzl", "c_compile_flags")
load("//toolchain:llvm.bzl", "llvm_tool")
load(":training.bzl", "HOLDOUT", "HOLDOUT_APPS", "TRAINING", "app_entries", "bench_entries", "training_summary")

# What pgo/train.py needs to run the table's real programs (bench/tools/apps_table.py).
APPS_TRAINING_SRCS = ["//bench:python_lib", "//bench:apps_inputs", "//bench:libapps_malloc_probe.so"]

def training_args(binary_pattern, library):
    """(srcs, args) giving pgo/train.py every TRAINING entry: binary_pattern % workload is the
    label of the binary a workload entry runs (e.g. "//bench:%s_fast_pgo_instr"), `library` the
    instrumented library the real programs run with preloaded. Args use $(location), so the
    caller must be a genrule."""
    srcs, args = [], []
    for e in bench_entries(TRAINING):
        label = binary_pattern % e["workload"]
        if label not in srcs:
            srcs.append(label)
        args += ["--entry", e["name"], e["workload"], str(e["weight"]), "$(location %s)" % label]
        args += ["--env %s %s=%s" % (e["name"], k, v) for k, v in sorted(e["env"].items())]
    apps = app_entries(TRAINING)
    for e in apps:
        args += ["--app", e["name"], e["app"], str(e["weight"]), e["size"]]
    if apps:
        srcs += [library] + APPS_TRAINING_SRCS
        args += ["--apps-inputs=bench/programs/inputs", "--apps-probe=$(location //bench:libapps_malloc_probe.so)",
                 "--app-preload=$(location %s)" % library]
    return srcs, args

def pgo_profile_genrule(variant):
    """<variant>_profile: trains the instrumented twin of `variant` on every TRAINING entry and
    merges the weighted raw profiles into pgo_profile(variant) (//pgo:<variant>.profdata.inc)."""
    twin = instrumented_name(variant)
    srcs, args = training_args("//bench:%s_" + twin, "//hakmem:libhakmem_%s.so" % twin)
    native.genrule(
        name = variant + "_profile",
        srcs = srcs + ["train.py", "//bench:tools/run_python.sh"],
        outs = [pgo_profile(variant).split(":")[1]],
        cmd = " ".join([
            "PYTHONPATH=bench/tools $(location //bench:tools/run_python.sh) $(location train.py)",
            "--llvm-profdata " + llvm_tool("llvm-profdata"),
            "--merge-into $@",
        ] + args),
        message = "Training %s on %d workloads and programs (pgo/training.bzl)" % (twin, len(TRAINING)),
        visibility = ["//visibility:public"],
    )

def pgo_tests(variant):
    """<variant>_stale_profile_test: the profile matches every source of the variant, and an edited
    source is rejected (tests/stale_profile_test.py); <variant>_train_test: pgo/train.py on good
    and bad input with the variant's real instrumented workload."""
    twin = instrumented_name(variant)
    srcs_of(
        name = variant + "_sources",
        testonly = True,
        targets = ["//hakmem:hakmem_core_" + variant, "//hakmem:hakmem_" + variant],
    )
    spec = VARIANTS[variant]
    profile = pgo_profile(variant)
    c_compile_flags(
        name = variant + "_compile_flags",
        testonly = True,
        copts = HAK_COPTS + HAK_RELEASE_COPTS + spec["copts"] + PGO_MISMATCH_ERRORS,
        defines = variant_defines(variant),
    )
    native.sh_test(
        name = variant + "_stale_profile_test",
        size = "medium",
        srcs = ["//bench:tools/run_python.sh"],
        data = ["tests/stale_profile_test.py", profile, ":%s_sources" % variant, ":%s_compile_flags" % variant],
        args = [
            "$(rootpath tests/stale_profile_test.py)",
            "--compile-flags=$(rootpath :%s_compile_flags)" % variant,
            "--llvm-profdata=" + llvm_tool("llvm-profdata"),
            "--profile=$(rootpath %s)" % profile,
            "--include=.",
            "--include=hakmem/include",
            "$(locations :%s_sources)" % variant,
        ],
    )
    native.py_test(
        name = variant + "_train_test",
        size = "small",
        srcs = ["tests/train_test.py"],
        main = "tests/train_test.py",
        deps = ["//bench:smokecheck", "//bench:python_lib"],
        data = ["train.py", "//bench:mixed_" + twin],
        args = [
            "$(rootpath train.py)",
            llvm_tool("llvm-profdata"),
            "$(rootpath //bench:mixed_%s)" % twin,
        ],
    )

def pgo_report(name, variant, base):
    """`bazel run //pgo:<name>`: pgo/report.py on `variant` against `base` (coverage, code changes,
    Ir/op, interleaved throughput on mixed and the HOLDOUT workloads, exact counts and timed
    verdicts on the HOLDOUT_APPS programs, pgo/holdout.py); <name>_smoke_test runs it with SMOKE=1
    and checks the report's shape and its bad-input exits."""
    bins, libs = [], []
    args = ["--name=" + name, "--profile=$(rootpath %s)" % pgo_profile(variant),
            "--base=" + allocator_suffix(base), "--variant=" + allocator_suffix(variant)]
    args += ["--tool=%s=%s" % (t, llvm_tool(t)) for t in ("llvm-profdata", "llvm-nm", "llvm-objdump")]
    for v in (base, variant):
        libs.append("//hakmem:libhakmem_%s.so" % v)
        args.append("--lib=%s=$(rootpath //hakmem:libhakmem_%s.so)" % (allocator_suffix(v), v))
    for w in ["mixed"] + HOLDOUT:
        for key, label in [("plain", "//bench:" + w)] + [
            ("hakmem-" + allocator_suffix(v), "//bench:%s_%s" % (w, v))
            for v in (base, variant)
        ]:
            bins.append(label)
            args.append("--bin=%s:%s=$(rootpath %s)" % (w, key, label))
    args += ["--training=" + training_summary(e) for e in TRAINING]
    args += ["--holdout=" + w for w in HOLDOUT]
    args += ["--holdout-app=" + a for a in HOLDOUT_APPS]
    apps_data, apps_cmd = apps_args([base, variant])
    args += ["--apps-arg=$(rootpath //bench:tools/apps.py)", "--apps-arg=--name=" + name + "_holdout",
             "--apps-arg=--default-allocators=hakmem-" + allocator_suffix(base)]
    args += ["--apps-arg=" + a for a in apps_cmd]
    data = [pgo_profile(variant)] + bins
    data += [d for d in apps_data if d not in data]
    native.py_binary(
        name = name,
        srcs = ["report.py"],
        main = "report.py",
        deps = ["//bench:python_lib", "//pgo:holdout"],
        data = data,
        args = args,
        tags = ["manual"],
    )
    native.py_test(
        name = name + "_smoke_test",
        size = "medium",
        srcs = ["tests/report_smoke_test.py"],
        main = "tests/report_smoke_test.py",
        deps = ["//bench:python_lib", "//bench:smokecheck", "//pgo:holdout"],
        data = data + ["report.py"],
        args = ["--", "$(rootpath report.py)"] + args,
    )
