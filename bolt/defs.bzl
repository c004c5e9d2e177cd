"""Bazel rules of bolt/: instrument a linked hakmem output, train it on the training table, and
lay it out again with llvm-bolt from that profile (docs/bolt.md).

  bolt_instrument  llvm-bolt -instrument          -> <name> (+ <name>.log)
  bolt_profile     the training table, merge-fdata -> <name> (.fdata, + <name>.log, <name>.runs/)
  bolt_library / bolt_binary   llvm-bolt -data=... -> <name> (+ <name>.log with the dyno-stats)
  bolt_variant     the whole chain for one derived variant of configs/variants.bzl

Every step runs bolt/tools/bolt_step.py, which checks the input and the output (docs/bolt.md, "Bad
input"); tools come from toolchain/llvm.bzl, flags from bolt/flags.bzl, runs from pgo/training.bzl.
"""

load("//configs:variants.bzl", "DERIVED_VARIANTS")
load("//toolchain:llvm.bzl", "BOLT_INSTR_RUNTIME", "llvm_tool")
load("//pgo:training.bzl", "TRAINING", "app_entries", "bench_entries")
load(":flags.bzl", "INSTRUMENT_FLAGS", "OPTIMIZE_FLAGS")

# The tools every step action needs; the Python interpreter is the bench tools' wrapper.
_STEP_ATTRS = {
    "_python": attr.label(default = "//bench:tools/run_python.sh", allow_single_file = True),
    "_step": attr.label(default = "//bolt:tools/bolt_step.py", allow_single_file = True),
}

def _step_args(ctx, step):
    return [ctx.file._step.path, step]

def _run_bolt(ctx, step, extra_args, extra_inputs, flags, mnemonic, verb):
    """One llvm-bolt step on ctx.file.src into a file named like the target (+ its .log)."""
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.run(
        executable = ctx.file._python,
        arguments = _step_args(ctx, step) + [
            "--llvm-bolt=" + llvm_tool("llvm-bolt"),
            "--llvm-readelf=" + llvm_tool("llvm-readelf"),
            "--input=" + ctx.file.src.path,
            "--output=" + out.path,
            "--log=" + ctx.outputs.log.path,
        ] + extra_args + ["--flag=" + f for f in flags],
        inputs = [ctx.file.src, ctx.file._step] + extra_inputs,
        outputs = [out, ctx.outputs.log],
        mnemonic = mnemonic,
        progress_message = "%s %s" % (verb, ctx.file.src.short_path),
    )
    return out

def _instrument_impl(ctx):
    out = _run_bolt(ctx, "instrument", ["--runtime=" + BOLT_INSTR_RUNTIME], [], INSTRUMENT_FLAGS,
                    "BoltInstrument", "BOLT-instrumenting")
    return [DefaultInfo(files = depset([out]))]

bolt_instrument = rule(
    implementation = _instrument_impl,
    doc = "The training copy of `src`: llvm-bolt -instrument (flags.bzl INSTRUMENT_FLAGS).",
    attrs = dict(_STEP_ATTRS, src = attr.label(mandatory = True, allow_single_file = True)),
    outputs = {"log": "%{name}.log"},
)

def _profile_impl(ctx):
    instrumented = ctx.file.instrumented
    out = ctx.actions.declare_file(ctx.label.name)
    runs = ctx.actions.declare_directory(ctx.label.name + ".runs")
    binaries = {workload: t.files_to_run.executable for t, workload in ctx.attr.workload_bins.items()}
    train = ["PYTHONPATH=bench/tools", ctx.file._python.path, ctx.file._runner.path]
    for name, workload, weight in zip(ctx.attr.entry_names, ctx.attr.entry_workloads, ctx.attr.entry_weights):
        # Preloaded: the plain workload binary with the instrumented library; linked in: the
        # instrumented binary itself.
        binary = binaries[workload] if ctx.attr.preload else instrumented
        train += ["--entry", name, workload, weight, binary.path]
        for kv in ctx.attr.entry_env.get(name, []):
            train += ["--env", name, kv]
    apps_inputs = []
    if ctx.attr.preload:
        train.append('--set-env "LD_PRELOAD=$PWD/%s"' % instrumented.path)
        for app in ctx.attr.app_entries:
            train += ["--app"] + app.split(" ")
        if ctx.attr.app_entries:
            apps_inputs = ctx.files._apps_inputs + ctx.files._bench_python + [ctx.file._probe]
            train += ["--app-preload", instrumented.path, "--apps-inputs=bench/programs/inputs",
                      "--apps-probe", ctx.file._probe.path]

    # The instrumented copy writes prof.<pid>.fdata into its working directory (INSTRUMENT_FLAGS),
    # which the runner makes per entry; `--profile-env=` tells it no variable names the file.
    train += ["--profile-env=", "--profile-suffix=.fdata", "--out-dir", runs.path]
    merge = [ctx.file._python.path] + _step_args(ctx, "merge") + [
        "--merge-fdata=" + llvm_tool("merge-fdata"),
        "--manifest=%s/manifest.json" % runs.path,
        "--output=" + out.path,
        "--log=" + ctx.outputs.log.path,
    ]
    ctx.actions.run_shell(
        command = "set -e\n%s\n%s\n" % (" ".join(train), " ".join(merge)),
        inputs = [instrumented, ctx.file._python, ctx.file._runner, ctx.file._step] + binaries.values() + apps_inputs,
        outputs = [out, ctx.outputs.log, runs],
        mnemonic = "BoltTrain",
        progress_message = "BOLT training %s (%d runs)" % (instrumented.short_path,
                                                           len(ctx.attr.entry_names) + len(ctx.attr.app_entries)),
    )
    return [DefaultInfo(files = depset([out]))]

bolt_profile = rule(
    implementation = _profile_impl,
    doc = "Runs the training entries against an instrumented copy and merges the profiles (weighted).",
    attrs = dict(
        _STEP_ATTRS,
        _runner = attr.label(default = "//pgo:train.py", allow_single_file = True),
        _probe = attr.label(default = "//bench:libapps_malloc_probe.so", allow_single_file = True),
        _apps_inputs = attr.label(default = "//bench:apps_inputs"),
        _bench_python = attr.label(default = "//bench:python_lib"),
        instrumented = attr.label(mandatory = True, allow_single_file = True),
        preload = attr.bool(doc = "instrumented is a library: preload it into workload_bins and app_entries"),
        app_entries = attr.string_list(doc = "'NAME APP WEIGHT SIZE' of each real-program entry (preload only)"),
        workload_bins = attr.label_keyed_string_dict(doc = "plain workload binary -> workload name"),
        entry_names = attr.string_list(),
        entry_workloads = attr.string_list(),
        entry_weights = attr.string_list(),
        entry_env = attr.string_list_dict(doc = "entry name -> its KEY=VALUE settings"),
    ),
    outputs = {"log": "%{name}.log"},
)

def _optimize_impl(ctx):
    out = _run_bolt(ctx, "optimize", ["--profile=" + ctx.file.profile.path], [ctx.file.profile],
                    OPTIMIZE_FLAGS, "BoltOptimize", "BOLT-optimizing")

    # The file itself is the runfiles: a test or runner that lists it in `data` finds it there.
    return [DefaultInfo(
        files = depset([out]),
        runfiles = ctx.runfiles(files = [out]),
        executable = out if ctx.attr._executable else None,
    )]

_OPTIMIZE_ATTRS = dict(
    _STEP_ATTRS,
    src = attr.label(mandatory = True, allow_single_file = True),
    profile = attr.label(mandatory = True, allow_single_file = True),
)

bolt_library = rule(
    implementation = _optimize_impl,
    doc = "`src` laid out by llvm-bolt from `profile` (flags.bzl OPTIMIZE_FLAGS); a library.",
    attrs = dict(_OPTIMIZE_ATTRS, _executable = attr.bool(default = False)),
    outputs = {"log": "%{name}.log"},
)

bolt_binary = rule(
    implementation = _optimize_impl,
    doc = "The same for an executable (a linked-in bench binary): runnable with `bazel run`.",
    attrs = dict(_OPTIMIZE_ATTRS, _executable = attr.bool(default = True)),
    outputs = {"log": "%{name}.log"},
    executable = True,
)

def _training_attrs(entries):
    return dict(
        entry_names = [e["name"] for e in entries],
        entry_workloads = [e["workload"] for e in entries],
        entry_weights = [str(e["weight"]) for e in entries],
        entry_env = {e["name"]: ["%s=%s" % kv for kv in sorted(e["env"].items())] for e in entries},
    )

def bolt_variant(name, library, binaries, plain_binary):
    """Derived variant `name`: libhakmem_<name>.so from `library` (trained on every TRAINING entry,
    preloaded into the plain_binary % workload binary or the real program), and <w>_<name> from
    each binaries[w] (trained on the entries of workload w, linked in). Intermediate targets:
    <out>.instr, <out>.fdata."""
    lib = "libhakmem_%s.so" % name
    bench = bench_entries(TRAINING)
    bolt_instrument(name = lib + ".instr", src = library)
    bolt_profile(
        name = lib + ".fdata",
        instrumented = lib + ".instr",
        preload = True,
        workload_bins = {plain_binary % w: w for w in sorted({e["workload"]: 1 for e in bench})},
        app_entries = ["%s %s %d %s" % (e["name"], e["app"], e["weight"], e["size"]) for e in app_entries(TRAINING)],
        **_training_attrs(bench)
    )
    bolt_library(name = lib, src = library, profile = lib + ".fdata")
    for workload, binary in binaries.items():
        out = "%s_%s" % (workload, name)
        entries = [e for e in bench if e["workload"] == workload]
        if not entries:
            fail("bolt_variant %s: no TRAINING entry runs workload %r, so %s cannot be trained" %
                 (name, workload, out))
        bolt_instrument(name = out + ".instr", src = binary)
        bolt_profile(name = out + ".fdata", instrumented = out + ".instr", **_training_attrs(entries))
        bolt_binary(name = out, src = binary, profile = out + ".fdata")

def bolt_report_outputs(variants):
    """(data, args) giving bolt/tools/report.py every BOLTed output of `variants` with its input,
    its optimize log and its training log."""
    data, args = [], []
    for d in variants:
        spec = DERIVED_VARIANTS[d]
        pairs = [("libhakmem_%s.so" % d, "//hakmem:libhakmem_%s.so" % spec["base"])]
        pairs += [("%s_%s" % (w, d), "//bench:%s_%s" % (w, spec["base"])) for w in spec["workloads"]]
        for out, src in pairs:
            files = [src, ":" + out, ":%s.log" % out, ":%s.fdata.log" % out]
            data += files
            args += ["--output", out] + ["$(rootpath %s)" % f for f in files]
    return data, args
