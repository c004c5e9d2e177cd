"""Research-box A/B: one command per experiment. `rb_ab HAK_RB_TINY_HEADER=0,1` builds the
variant twice, side by side (the define in --copt, each value in its own
--cc_output_directory_tag), and runs both interleaved, linked in and preloaded; a build gate of
configs/gates.def (`encode_free_list=0,1`) the same way; a run-time gate (`HAKMEM_X=0,1`) runs
the prebuilt Standard build twice with the variable set, no rebuild. Prints delta of mean and
median with bootstrap CIs, instructions/op of each side, the layout-noise floor and the verdict.

usage: rb_ab.py --research-boxes H --gates DEF --floor JSON --plain BIN --standard-linked BIN
         --standard-lib SO --variants LIST [--variant fast] [--prebuilt VALUE=LINKED:LIB ...] NAME=V1,V2
  environment: RUNS (20), WARMUP (1), PIN, ITERS/WS/... (timed runs), CG_ITERS / CG_BASE_ITERS
  (callgrind, 2000000 / 200000), FLOOR_PCT (overrides the committed floor), LAYOUTS=K (layout
  mode: each value built as the first K shuffled-layout copies, paired by seed; 0 = one build).
  Bazel runs inside `bazel run` in the same output base: Bazel 4.2.3's client runs the tool after
  the server has released its lock (checked), so this nested build neither waits nor deadlocks."""

import argparse
import os
import re
import subprocess
import sys
import types

import abrun
import ptlib
from ptlib import bl

TOOL = "rb_ab"
RUN_PARAMS = ("ITERS", "WS", "MIN", "MAX", "SEED")


def known_gates(research_boxes, gates_def):
    """{name: (kind, default)}: HAK_RB_* research boxes and build gates are 'build', hot and
    cold gates' HAKMEM_* variables are 'runtime'."""
    gates = {}
    with open(research_boxes) as f:
        for m in re.finditer(r"^#define (HAK_RB_\w+) (\d+)\s*$", f.read(), re.M):
            gates[m.group(1)] = ("build-define", m.group(2))
    with open(gates_def) as f:
        for m in re.finditer(r"^HAK_(HOT|BUILD|COLD)_GATE\((\w+),\s*(\"(\w+)\")?", f.read(), re.M):
            if m.group(1) == "BUILD":
                gates[m.group(2)] = ("build-gate", None)
            else:
                gates[m.group(4)] = ("runtime", None)
    return gates


def parse_spec(spec, gates):
    name, sep, values = spec.partition("=")
    if not sep:
        raise bl.UsageError(f"expected NAME=V1,V2, got '{spec}'")
    if name not in gates:
        raise bl.UsageError(f"unknown gate '{name}'; known: {', '.join(sorted(gates))}")
    vals = values.split(",")
    if len(vals) != 2 or not all(v.isdigit() for v in vals) or vals[0] == vals[1]:
        raise bl.UsageError(f"{name}: expected two different decimal values V1,V2, got '{values}'")
    if gates[name][0] == "build-gate" and not set(vals) <= {"0", "1"}:
        raise bl.UsageError(f"{name} is a build gate: its values are 0 and 1")
    return name, gates[name][0], vals


def bazel_flags(kind, name, value, variant):
    tag = re.sub(r"[^a-z0-9]+", "_", f"rb_{name}_{value}".lower())
    defines = (
        [f"--copt=-D{name}={value}"]
        if kind == "build-define"
        else [f"--copt=-DHAK_BUILD_GATE_FORCE={name}", f"--copt=-DHAK_BUILD_GATE_FORCE_VALUE={value}"]
    )
    return [f"--config={variant}", f"--cc_output_directory_tag={tag}"] + defines


def build_value(workspace, flags, variant, folder, label, copies=()):
    """Builds Mixed linked with the variant, the plain Mixed and the preload library under
    `flags`; returns (linked, plain, lib) paths, or with `copies` (layout copy names, e.g.
    fast_layout3) [(linked, lib)] of each copy. A failed build exits 1 with the log's tail."""
    names = list(copies) or [variant]
    targets = ["//bench:mixed"] + [t for c in names for t in (f"//bench:mixed_{c}", f"//hakmem:libhakmem_{c}.so")]
    log = os.path.join(folder, f"build-{label}.log")
    print(f"  [{TOOL}] building {label}: bazel build {' '.join(flags)} (log: {log})", file=sys.stderr, flush=True)
    with open(log, "w") as f:
        rc = subprocess.run(
            ["./bazelw", "build"] + flags + targets, cwd=workspace, stdout=f, stderr=subprocess.STDOUT
        ).returncode
    if rc != 0:
        with open(log) as f:
            tail = f.read().strip().splitlines()[-15:]
        sys.exit(f"{TOOL}: building {label} failed (exit {rc}); last lines of {log}:\n" + "\n".join(tail))
    info = subprocess.run(["./bazelw", "info"] + flags + ["bazel-bin"], cwd=workspace, capture_output=True, text=True)
    if info.returncode != 0:
        sys.exit(f"{TOOL}: bazel info bazel-bin failed: {info.stderr.strip()[-400:]}")
    bin_dir = info.stdout.strip().splitlines()[-1]
    if copies:
        return [
            (os.path.join(bin_dir, "bench", f"mixed_{c}"), os.path.join(bin_dir, "hakmem", f"libhakmem_{c}.so"))
            for c in copies
        ]
    return (
        os.path.join(bin_dir, "bench", f"mixed_{variant}"),
        os.path.join(bin_dir, "bench", "mixed"),
        os.path.join(bin_dir, "hakmem", f"libhakmem_{variant}.so"),
    )


def parse(argv):
    p = argparse.ArgumentParser(prog=TOOL, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--research-boxes", required=True)
    p.add_argument("--gates", required=True)
    p.add_argument("--floor", required=True, help="the committed layout-noise floor (noise_floor.json)")
    p.add_argument("--plain", required=True, help="Mixed without an allocator (run-time gates, preload side)")
    p.add_argument("--standard-linked", required=True, help="Mixed with Standard linked in (run-time gates)")
    p.add_argument("--standard-lib", required=True, help="Standard's preload library (run-time gates)")
    p.add_argument(
        "--variant",
        required=True,
        help="the variant a build-level box changes; Bazel passes the floor's, a later --variant wins",
    )
    p.add_argument("--variants", required=True, help="the variant table's names, comma-separated (from Bazel)")
    p.add_argument(
        "--prebuilt",
        action="append",
        default=[],
        help="VALUE=LINKED:LIB instead of building that value (LAYOUTS=K: K times, one per copy)",
    )
    p.add_argument("--layout-build", required=True, help="the layout build of configs/variants.bzl (fast_layout)")
    p.add_argument("--layout-seeds", required=True, help="its seeds, comma-separated (from Bazel)")
    p.add_argument("--name", default=TOOL)
    p.add_argument("spec", metavar="NAME=V1,V2")
    args = p.parse_args(argv)
    try:
        if args.variant not in args.variants.split(","):
            raise bl.UsageError(f"unknown variant '{args.variant}'; known: {args.variants}")
        gates = known_gates(
            ptlib.require_file(args.research_boxes, "--research-boxes"), ptlib.require_file(args.gates, "--gates")
        )
        name, kind, values = parse_spec(args.spec, gates)
        floor = ptlib.load_floor(args.floor)
        seeds = [int(x) for x in args.layout_seeds.split(",")]
        layouts = bl.env_int("LAYOUTS", 0, 0, len(seeds))
        if layouts == 1:
            raise bl.UsageError("LAYOUTS=1: layout mode needs at least 2 copies per side (0 = single layout)")
        if layouts and kind == "runtime":
            raise bl.UsageError(
                f"LAYOUTS={layouts}: {name} is a run-time gate, both sides run one build (no layouts to pair)"
            )
        base = args.layout_build.rsplit("_layout", 1)[0]
        if layouts and args.variant != base:
            raise bl.UsageError(f"LAYOUTS={layouts}: layout copies exist of variant {base} only, not {args.variant}")
        prebuilt = {}
        for item in args.prebuilt:
            value, paths = bl.split_key_value(item, "--prebuilt")
            linked, _, lib = paths.partition(":")
            if value not in values:
                raise bl.UsageError(f"--prebuilt {value}: not one of the values {values}")
            prebuilt.setdefault(value, []).append(
                (ptlib.require_exec(linked, "--prebuilt linked binary"), ptlib.require_file(lib, "--prebuilt library"))
            )
        for value, given in prebuilt.items():
            if len(given) != max(1, layouts):
                raise bl.UsageError(
                    f"--prebuilt {value}: given {len(given)} times, expected {max(1, layouts)} (LAYOUTS={layouts})"
                )
        plain = ptlib.require_exec(args.plain, "--plain")
        standard = (
            ptlib.require_exec(args.standard_linked, "--standard-linked"),
            ptlib.require_file(args.standard_lib, "--standard-lib"),
        )
        workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
        if kind != "runtime" and len(prebuilt) < 2 and not workspace:
            raise bl.UsageError(
                f"{name} needs builds: run it with `bazel run //perf_tools:rb_ab`, or pass --prebuilt for both values"
            )
        runs = bl.env_int("RUNS", 20, 2, 1000)
        warmup = bl.env_int("WARMUP", 1, 0, 100)
        cg_iters = ptlib.callgrind_iters()
        pin = bl.pin_prefix(os.environ.get("PIN", ""))
        params = bl.workload_params(RUN_PARAMS)
        folder = bl.results_dir(args.name)
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    copies = [f"{args.layout_build}{s}" for s in seeds[:layouts]]
    # One object rather than a tuple: main() reads each setting by name.
    return types.SimpleNamespace(
        args=args,
        name=name,
        kind=kind,
        values=values,
        floor=floor,
        prebuilt=prebuilt,
        plain=plain,
        standard=standard,
        workspace=workspace,
        runs=runs,
        warmup=warmup,
        cg_iters=cg_iters,
        pin=pin,
        params=params,
        folder=folder,
        copies=list(zip(seeds, copies)),
    )


def main(argv):
    st = parse(argv)
    builds, how = [], []
    for value in st.values:
        label = f"{st.name}={value}"
        if st.kind == "runtime":
            builds.append(abrun.Build(label, st.standard[0], st.standard[1], st.plain, {st.name: value}))
            continue
        if value in st.prebuilt:
            made = st.prebuilt[value]
            how += [f"- {label}: prebuilt `{linked}`, `{lib}`" for linked, lib in made]
        else:
            flags = bazel_flags(st.kind, st.name, value, st.args.variant)
            made = build_value(st.workspace, flags, st.args.variant, st.folder, label, [c for _, c in st.copies])
            how.append(
                f"- {label}: `bazel build {' '.join(flags)}`"
                + (f", layout copies {', '.join(c for _, c in st.copies)}" if st.copies else "")
            )
        if st.copies:
            builds.append(
                abrun.Build(
                    label,
                    None,
                    None,
                    st.plain,
                    copies=[(seed, linked, lib) for (seed, _), (linked, lib) in zip(st.copies, made)],
                )
            )
        else:
            linked, lib = made[0] if value in st.prebuilt else (made[0], made[2])
            builds.append(abrun.Build(label, linked, lib, st.plain))
    level = "runtime" if st.kind == "runtime" else "build"
    where = "Standard, prebuilt, the variable set per side" if st.kind == "runtime" else f"variant {st.args.variant}"
    out, data = abrun.measure(
        TOOL,
        builds[0],
        builds[1],
        level,
        st.floor,
        st.runs,
        st.warmup,
        st.params,
        st.pin,
        st.cg_iters,
        st.folder,
        f"Research-box A/B: {st.name} {st.values[0]} -> {st.values[1]} ({where})",
    )
    if how:
        out += ["## Builds", ""] + how + [""]
    out += [
        "Exact: instructions per operation (callgrind, first layout copy in layout mode). Noisy: throughput, "
        "its CIs and peak RSS (wall clock on a shared machine)."
    ]
    data.update(
        {
            "gate": st.name,
            "gate_kind": st.kind,
            "values": st.values,
            "variant": st.args.variant,
            "machine": bl.machine_info([b.sides["linked"].binary for b in builds], {"variant": st.args.variant}),
        }
    )
    bl.write_json(os.path.join(st.folder, "rb_ab.json"), data)
    ptlib.write_report(st.folder, "rb_ab", "\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
