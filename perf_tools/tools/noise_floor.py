"""Layout-noise floor: K builds of one variant that differ only in function order (the
shuffled-layout copies of configs/variants.bzl), run round-robin through the interleaved protocol
(C1 C2 .. CK C1 C2 ..); the spread of their medians, max/min - 1, is the floor. An A/B delta
smaller than it cannot be told from moving code around, so it is NEUTRAL whatever the mean says.

usage: noise_floor.py --name N --copy NAME=BINARY ... [--plain BINARY --preload NAME=LIB ...]
  environment: RUNS (10), WARMUP (1), PIN, workload parameters (ITERS, WS, ...);
  UPDATE_FLOOR=1 under `bazel run` rewrites perf_tools/noise_floor.json with the result."""

import argparse
import os
import statistics
import sys

import ptlib
from ptlib import bl
import interleave as il
import plots

TOOL = "noise_floor"
RUN_PARAMS = ("ITERS", "WS", "MIN", "MAX", "SEED", "THREADS")


def parse(argv):
    p = argparse.ArgumentParser(prog=TOOL, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", required=True)
    p.add_argument("--copy", action="append", default=[], help="NAME=BINARY with the copy linked in")
    p.add_argument("--plain", help="workload binary without an allocator, for the --preload copies")
    p.add_argument("--preload", action="append", default=[], help="NAME=LIB of a copy to LD_PRELOAD")
    p.add_argument("--floor-file", default="perf_tools/noise_floor.json",
                   help="workspace-relative file UPDATE_FLOOR=1 rewrites")
    args = p.parse_args(argv)
    try:
        linked = ptlib.parse_named(args.copy, "--copy", ptlib.require_exec)
        preload = ptlib.parse_named(args.preload, "--preload", ptlib.require_file)
        if preload and not args.plain:
            raise bl.UsageError("--preload needs --plain (the binary to preload the copies into)")
        plain = ptlib.require_exec(args.plain, "--plain") if preload else None
        groups = {}
        if linked:
            groups["linked"] = [il.Side(n, path) for n, path in linked]
        if preload:
            groups["preload"] = [il.Side(n + "-preload", plain, {"LD_PRELOAD": lib}) for n, lib in preload]
        if not groups or any(len(sides) < 2 for sides in groups.values()):
            raise bl.UsageError("need at least two layout copies per linkage (--copy, or --plain with --preload)")
        runs = bl.env_int("RUNS", 10, 2, 1000)
        warmup = bl.env_int("WARMUP", 1, 0, 100)
        pin = bl.pin_prefix(os.environ.get("PIN", ""))
        update = os.environ.get("UPDATE_FLOOR", "0")
        if update not in ("0", "1"):
            raise bl.UsageError(f"UPDATE_FLOOR='{update}' (expected 0 or 1)")
        if update == "1" and not os.environ.get("BUILD_WORKSPACE_DIRECTORY"):
            raise bl.UsageError("UPDATE_FLOOR=1 works only under `bazel run` (it rewrites a file of the workspace)")
        params = bl.workload_params(RUN_PARAMS)
        folder = bl.results_dir(args.name)
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    return args, groups, runs, warmup, pin, update == "1", params, folder


def normalized_spread(samples, sides):
    """The spread of medians after dividing every run by its round's median over the copies: the
    machine's drift from round to round cancels, what stays is closer to layout alone."""
    rounds = len(samples[sides[0].name])
    mids = [statistics.median(samples[s.name][r] for s in sides) for r in range(rounds)]
    medians = [statistics.median(samples[s.name][r] / mids[r] for r in range(rounds)) for s in sides]
    return 100.0 * (max(medians) / min(medians) - 1.0)


def floor_of(samples, sides):
    """Per copy: its median; the group's spread of medians (max/min - 1, %) and their stdev %."""
    medians = {s.name: statistics.median(samples[s.name]) for s in sides}
    values = list(medians.values())
    return {
        "round_normalized_spread_pct": normalized_spread(samples, sides),
        "medians": medians,
        "spread_pct": 100.0 * (max(values) / min(values) - 1.0),
        "stdev_pct": 100.0 * statistics.stdev(values) / statistics.fmean(values),
        "median_cv_pct": statistics.median(bl.summarize(samples[s.name])["cv_pct"] for s in sides),
    }


def report(args, groups, samples, reported, floors, runs, warmup, params, load):
    lines = [f"# Layout-noise floor: {args.name}", "",
             f"{sum(len(g) for g in groups.values())} layout copies, {runs} interleaved rounds after {warmup} "
             f"warm-up (every copy once per round), workload parameters {params or 'defaults'}; "
             f"load average {load[0]:.2f} before, {load[1]:.2f} after (1 min).", ""]
    for group, sides in groups.items():
        f = floors[group]
        mid = statistics.median(f["medians"].values())
        rows = []
        for s in sides:
            st = bl.summarize(samples[s.name])
            rows.append([s.name, reported[s.name], f"{st['median']:.2f}", f"{st['mean']:.2f}",
                         f"{st['min']:.2f}", f"{st['max']:.2f}", f"{st['cv_pct']:.2f} %",
                         ptlib.pct(100.0 * (st["median"] / mid - 1.0))])
        lines += [f"## {group}", "", ptlib.md_table(
            ["copy", "allocator", "median M ops/s", "mean", "min", "max", "CV", "median vs middle"], rows), "",
            f"**floor ({group}) = spread of medians {f['spread_pct']:.2f} %** (stdev of medians "
            f"{f['stdev_pct']:.2f} %; median within-copy CV {f['median_cv_pct']:.2f} %; spread after dividing "
            f"each run by its round's median {f['round_normalized_spread_pct']:.2f} %)", ""]
    floor = max(f["spread_pct"] for f in floors.values())
    lines += [f"**Layout-noise floor: {floor:.2f} %** (the largest spread above). An A/B delta inside "
              f"+-{floor:.2f} % is NEUTRAL: moving functions around alone does that much."]
    if load[0] > 1.0 or load[1] > 1.0:
        lines += ["", f"Measured under load (1-minute load average {max(load):.2f} on "
                  f"{os.cpu_count()} CPUs): the spread includes the machine's noise; rerun on a quiet machine."]
    return "\n".join(lines), floor


def main(argv):
    args, groups, runs, warmup, pin, update, params, folder = parse(argv)
    env = bl.clean_env(params)
    load_before = os.getloadavg()[0]
    samples, reported = {}, {}
    for group, sides in groups.items():
        got, names, _ = il.run_rounds(TOOL, sides, runs, warmup, env, pin, progress=True)
        samples.update(got)
        reported.update(names)
    load = (load_before, os.getloadavg()[0])
    floors = {g: floor_of(samples, sides) for g, sides in groups.items()}
    text, floor = report(args, groups, samples, reported, floors, runs, warmup, params, load)
    charts = []
    for group, sides in groups.items():
        charts += plots.distributions(os.path.join(folder, f"rounds_{group}.svg"),
                                      f"{args.name} ({group}): every round of every layout copy",
                                      {s.name: samples[s.name] for s in sides}, "M ops/s")
        charts += plots.spread(os.path.join(folder, f"spread_{group}.svg"),
                               f"{args.name} ({group}): median per layout copy", floors[group]["medians"],
                               "M ops/s", floors[group]["spread_pct"])
    if plots.MISSING:
        print(plots.MISSING, file=sys.stderr)
    settings = {**params, "RUNS": runs, "WARMUP": warmup, **({"UPDATE_FLOOR": 1} if update else {})}
    command = " ".join(f"{k}={v}" for k, v in settings.items()) + \
        f" bazel run //perf_tools:{args.name}"
    data = {"name": args.name, "floor_pct": floor, "command": command, "runs": runs, "warmup": warmup,
            "workload_params": params, "load_avg_1min": load, "floors": floors, "samples_mops": samples,
            "machine": bl.machine_info(sorted({s.binary for g in groups.values() for s in g}), {})}
    bl.write_json(os.path.join(folder, "noise_floor.json"), data)
    ptlib.write_report(folder, "noise_floor", text)
    if update:
        target = os.path.join(os.environ["BUILD_WORKSPACE_DIRECTORY"], args.floor_file)
        bl.write_json(target, {"floor_pct": round(floor, 3), "measured": data["machine"]["date"],
                               "command": command, "load_avg_1min": [round(x, 2) for x in load],
                               "per_linkage_pct": {g: round(f["spread_pct"], 3) for g, f in floors.items()},
                               "round_normalized_pct": {g: round(f["round_normalized_spread_pct"], 3)
                                                        for g, f in floors.items()},
                               "copies": sum(len(g) for g in groups.values()),
                               "git_revision": data["machine"]["git_revision"]})
        print(f"updated {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
