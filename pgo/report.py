"""`bazel run //pgo:report`: what the PGO profile covers, what it changed in the code and what it
gains, as markdown on stdout and report.md/report.json in a results folder.

Sections: the training table; profile coverage (functions and counters hit, hottest functions,
from `llvm-profdata show`); code changes between FAST and FAST_PGO (per-function sizes of the
preloadable libraries from `llvm-nm --size-sort`, instructions of the entry points from
`llvm-objdump`); exact instructions per operation (callgrind); the interleaved throughput ratio
FAST_PGO / FAST on Mixed and on the hold-out, linked in and preloaded, with run-to-run spread;
the hold-out programs (pgo/holdout.py: exact instructions and I1 misses, timed verdicts).
SMOKE=1 shrinks every run (CI checks the output's shape, not its numbers).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

import allocators as alloc
import benchlib as bl
import holdout
import instructions
import interleave as il

TOOL = "pgo-report"
# The variants compared (their labels, from --base and --variant: the table's PGO variant and its
# baseline, pgo/BUILD.bazel); set once in main.
BASE, PGO = None, None
ENTRY_POINTS = ["malloc", "free", "calloc", "realloc"]


def parse_args(argv):
    p = argparse.ArgumentParser(prog=TOOL, description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", required=True)
    p.add_argument("--base", required=True, help="label of the variant compared against (fast)")
    p.add_argument("--variant", required=True, help="label of the PGO variant (fast-pgo)")
    p.add_argument("--tool", action="append", default=[], help="NAME=PATH of an LLVM tool (toolchain/llvm.bzl)")
    p.add_argument("--lib", action="append", default=[], help="VARIANT=PATH of a preloadable library")
    p.add_argument("--bin", action="append", default=[], help="WORKLOAD:KEY=PATH of a workload binary")
    p.add_argument("--training", action="append", default=[], help="NAME:WORKLOAD:WEIGHT:K=V,... of a TRAINING entry")
    p.add_argument("--holdout", action="append", default=[])
    p.add_argument("--holdout-app", action="append", default=[], help="a program never trained on (HOLDOUT_APPS)")
    p.add_argument("--apps-arg", action="append", default=[], help="one argument of the //bench:apps command")
    p.add_argument("--name", default="pgo_report")
    return p.parse_args(argv)


def load_average():
    """The 1/5/15-minute load: every timing in the report is read against it."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run_tool(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{TOOL}: {' '.join(cmd)} failed (exit {proc.returncode}): {proc.stderr.strip()[-600:]}")
    return proc.stdout


def profile_coverage(profdata, profile):
    """Functions and counters (blocks) of the profile, how many were hit, and the hottest ones."""
    text = run_tool([profdata, "show", "--text", "--all-functions", profile])
    functions = []
    for m in re.finditer(
        r"^(\S+)\n# Func Hash:\n\d+\n# Num Counters:\n(\d+)\n# Counter Values:\n((?:\d+\n)*)", text, re.M
    ):
        counts = [int(c) for c in m.group(3).split()]
        functions.append(
            {
                "name": m.group(1),
                "counters": len(counts),
                "hit": sum(1 for c in counts if c),
                "entry": counts[0] if counts else 0,
                "max": max(counts, default=0),
            }
        )
    if not functions:
        sys.exit(f"{TOOL}: no function records in {profile}")
    return {
        "functions": len(functions),
        "functions_hit": sum(1 for f in functions if f["entry"]),
        "counters": sum(f["counters"] for f in functions),
        "counters_hit": sum(f["hit"] for f in functions),
        "top": sorted(functions, key=lambda f: -f["max"])[:15],
    }


def symbol_sizes(nm, lib):
    """{function: size in bytes} of the text symbols of a library."""
    out = run_tool([nm, "--size-sort", "--defined-only", "--print-size", lib])
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTwW":
            sizes[parts[3]] = sizes.get(parts[3], 0) + int(parts[1], 16)
    return sizes


def instruction_count(objdump, lib, symbol):
    out = run_tool([objdump, "-d", "--no-show-raw-insn", "--disassemble-symbols=" + symbol, lib])
    return sum(1 for line in out.splitlines() if re.match(r"^\s+[0-9a-f]+:\s+\S", line))


def code_changes(tools, libs):
    base, pgo = symbol_sizes(tools["llvm-nm"], libs[BASE]), symbol_sizes(tools["llvm-nm"], libs[PGO])
    changed = [
        {"function": f, BASE: base.get(f), PGO: pgo.get(f)}
        for f in sorted(set(base) | set(pgo))
        if base.get(f) != pgo.get(f)
    ]
    changed.sort(key=lambda r: -abs((r[PGO] or 0) - (r[BASE] or 0)))
    entries = [
        {
            "function": s,
            BASE: instruction_count(tools["llvm-objdump"], libs[BASE], s),
            PGO: instruction_count(tools["llvm-objdump"], libs[PGO], s),
        }
        for s in ENTRY_POINTS
    ]
    return {
        "text_bytes": {BASE: sum(base.values()), PGO: sum(pgo.values())},
        "functions": {BASE: len(base), PGO: len(pgo)},
        "changed": changed,
        "entry_points": entries,
    }


def interleaved(a, b, params, runs):
    """RUNS rounds after one warm-up, in the shared protocol of bench/tools/interleave.py (the
    order rotates from round to round); per-round ratio B/A and the verdict against the floor."""
    sides = [il.Side(x.name, x.binary, x.env) for x in (a, b)]
    series, reported, _ = il.run_rounds(TOOL, sides, runs, 1, bl.clean_env(params), [])
    for x in (a, b):
        if reported[x.name] != x.expect:
            sys.exit(f"{TOOL}: {x.name}: the binary reports allocator={reported[x.name]}, expected {x.expect}")
    ratios = [q / p for p, q in zip(series[a.name], series[b.name])]
    return {
        "a": a.name,
        "b": b.name,
        "runs": runs,
        "a_stats": bl.summarize([v * 1e6 for v in series[a.name]]),
        "b_stats": bl.summarize([v * 1e6 for v in series[b.name]]),
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "compare": il.compare(series[a.name], series[b.name]),
    }


def pairs_for(bins, libs):
    """(linked-in pair, preloaded pair) of Allocator objects for one workload's binaries."""
    table = {
        x.name: x for x in alloc.known_allocators(bins, {"hakmem-" + BASE: libs[BASE], "hakmem-" + PGO: libs[PGO]})
    }
    return [
        (table["hakmem-" + BASE], table["hakmem-" + PGO]),
        (table[f"hakmem-{BASE}-preload"], table[f"hakmem-{PGO}-preload"]),
    ]


def markdown(meta, coverage, changes, ir_rows, speed, programs):
    out = [
        f"# PGO report: FAST_PGO vs FAST ({meta['date']})",
        "",
        f"Load at start: `{meta['load_before']}`; at end: `{meta['load_after']}` "
        f"(timings on a loaded machine are ratios of interleaved runs, not clean figures).",
        "",
        "## Training table (pgo/training.bzl)",
        "",
        "| entry | workload | weight | parameters |",
        "|---|---|---|---|",
    ]
    out += [
        f"| {t['name']} | {t['workload']} | {t['weight']} | {t['env'].replace(',', ' ')} |" for t in meta["training"]
    ]
    out += [
        "",
        f"Hold-out (never trained): {', '.join(meta['holdout'])}; programs: {', '.join(meta['holdout_apps'])}",
        "",
        "## Profile coverage (llvm-profdata show)",
        "",
        f"- functions with a record: {coverage['functions']}, executed: {coverage['functions_hit']} "
        f"({100 * coverage['functions_hit'] / coverage['functions']:.0f} %)",
        f"- counters (regions/blocks): {coverage['counters']}, non-zero: {coverage['counters_hit']} "
        f"({100 * coverage['counters_hit'] / coverage['counters']:.0f} %)",
        "",
        "| hottest functions | entry count | max counter |",
        "|---|---:|---:|",
    ]
    out += [f"| `{f['name']}` | {f['entry']} | {f['max']} |" for f in coverage["top"]]
    tb = changes["text_bytes"]
    out += [
        "",
        "## What the profile changed (libhakmem_fast.so vs libhakmem_fast_pgo.so)",
        "",
        f"- text symbols: {changes['functions'][BASE]} -> {changes['functions'][PGO]}; "
        f"their bytes: {tb[BASE]} -> {tb[PGO]} ({100 * (tb[PGO] - tb[BASE]) / tb[BASE]:+.1f} %)",
        "",
        "| entry point | instructions FAST | FAST_PGO |",
        "|---|---:|---:|",
    ]
    out += [f"| `{e['function']}` | {e[BASE]} | {e[PGO]} |" for e in changes["entry_points"]]
    out += ["", "| function (size changed or only in one) | bytes FAST | FAST_PGO |", "|---|---:|---:|"]
    out += [
        f"| `{c['function']}` | {c[BASE] if c[BASE] is not None else '-'} | {c[PGO] if c[PGO] is not None else '-'} |"
        for c in changes["changed"][:25]
    ]
    if len(changes["changed"]) > 25:
        out.append(f"| ({len(changes['changed']) - 25} more in report.json) | | |")
    out += [
        "",
        f"## Instructions per operation (callgrind, exact; mixed, ITERS {meta['callgrind_iters']})",
        "",
        "| allocator | Ir/op |",
        "|---|---:|",
    ]
    out += [f"| {r['allocator']} | {r['ir_per_op']:.2f} |" for r in ir_rows]
    out += [
        "",
        f"## Throughput FAST_PGO / FAST (interleaved, order rotating, {meta['runs']} rounds after 1 warm-up)",
        "",
        "| workload | linkage | FAST median M ops/s (CV %) | FAST_PGO median (CV %) | ratio median | ratio min..max |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for s in speed:
        a, b = s["a_stats"], s["b_stats"]
        out.append(
            f"| {s['workload']}{' (hold-out)' if s['workload'] in meta['holdout'] else ''} | {s['linkage']} | "
            f"{a['median'] / 1e6:.2f} ({a['cv_pct']:.1f}) | {b['median'] / 1e6:.2f} ({b['cv_pct']:.1f}) | "
            f"{s['ratio_median']:.4f} | {s['ratio_min']:.3f}..{s['ratio_max']:.3f} |"
        )
    return "\n".join(out) + "\n\n" + programs


def main(argv):
    global BASE, PGO
    args = parse_args(argv)
    BASE, PGO = args.base, args.variant
    try:
        tools = dict(bl.split_key_value(t, "--tool") for t in args.tool)
        libs = alloc.parse_pairs(args.lib, "--lib")
        bins = {}
        for item in args.bin:
            key, path = bl.split_key_value(item, "--bin")
            workload, _, name = key.partition(":")
            bins.setdefault(workload, {})[name] = os.path.abspath(path)
        smoke = bl.env_int("SMOKE", 0, 0, 1) == 1
        runs = bl.env_int("RUNS", 2 if smoke else 10, 1, 1000)
        iters, base_iters = (20000, 2000) if smoke else bl.env_iters_pair(2000000, 200000, 10**10)
        missing = [t for t in ("llvm-profdata", "llvm-nm", "llvm-objdump") if not os.access(tools.get(t, ""), os.X_OK)]
        if missing:
            raise bl.UsageError(f"missing LLVM tool(s): {', '.join(missing)} (toolchain/llvm.bzl)")
        if "mixed" not in bins or not args.holdout or any(w not in bins for w in args.holdout):
            raise bl.UsageError("needs --bin for mixed and every --holdout workload")
        if not os.path.isfile(args.profile):
            raise bl.UsageError(f"profile {args.profile} does not exist")
        if not args.holdout_app or not args.apps_arg:
            raise bl.UsageError("needs --holdout-app and the //bench:apps command (--apps-arg)")
        folder = bl.results_dir(args.name)
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    meta = {
        "date": bl.machine_info([], {})["date"],
        "load_before": load_average(),
        "runs": runs,
        "callgrind_iters": iters,
        "holdout": args.holdout,
        "holdout_apps": args.holdout_app,
        "smoke": smoke,
        "training": [dict(zip(("name", "workload", "weight", "env"), t.split(":", 3))) for t in args.training],
    }
    coverage = profile_coverage(tools["llvm-profdata"], args.profile)
    changes = code_changes(tools, libs)
    print("  callgrind ...", file=sys.stderr, flush=True)
    ir_rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for a in [x for pair in pairs_for(bins["mixed"], libs) for x in pair]:
            big = instructions.callgrind(a, {}, iters, workdir)
            small = instructions.callgrind(a, {}, base_iters, workdir)
            ir_rows.append({"allocator": a.name, "ir_per_op": (big - small) / (iters - base_iters)})
    speed = []
    for workload in ["mixed"] + args.holdout:
        params = {"ITERS": "200000"} if smoke else {}
        for linkage, (a, b) in zip(("linked in", "preloaded"), pairs_for(bins[workload], libs)):
            print(f"  {workload} {linkage}: {runs} interleaved rounds ...", file=sys.stderr, flush=True)
            speed.append({"workload": workload, "linkage": linkage, **interleaved(a, b, params, runs)})
    apps = args.holdout_app[:1] if smoke else args.holdout_app
    try:
        programs, programs_json = holdout.measure(
            ["/usr/bin/python3", "-B"] + args.apps_arg, apps, "hakmem-" + BASE, ["hakmem-" + PGO], folder, smoke, runs
        )
    except holdout.HoldoutError as e:
        sys.exit(f"{TOOL}: hold-out programs: {e}")
    meta["load_after"] = load_average()
    meta["machine"] = bl.machine_info(sorted({libs[BASE], libs[PGO]}), {})
    text = markdown(meta, coverage, changes, ir_rows, speed, programs)
    with open(os.path.join(folder, "report.md"), "w") as f:
        f.write(text)
    bl.write_json(
        os.path.join(folder, "report.json"),
        {
            **meta,
            "coverage": coverage,
            "code_changes": changes,
            "instructions": ir_rows,
            "throughput": speed,
            "holdout_programs": programs_json,
        },
    )
    sys.stdout.write(text)
    print(f"results: {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
