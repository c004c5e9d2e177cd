"""Layout-noise floor as a variance component: K builds of one variant that differ only in
function order (the shuffled-layout copies of configs/variants.bzl) run round-robin through the
interleaved protocol (C1 C2 .. CK, rotating), then a random-effects model over the copies splits
the spread of their speeds into layout and the machine's sampling noise:

  y_cr = ln(M ops/s of copy c in round r) = mu + L_c + T_r + e_cr,
  L_c ~ (0, sigma_L^2) the layout effect, T_r the round (the machine's drift, removed as a block),
  e_cr ~ (0, sigma_e^2) the run's own noise.

sigma_e^2 is the residual mean square (two-way ANOVA without interaction); the between-copy mean
square estimates sigma_e^2 + R sigma_L^2, so sigma_L^2 = (MS_copies - MS_residual) / R (0 when
negative), with a percentile bootstrap CI resampling copies and rounds. The floor a single-layout
A/B's band is widened to is 1.96 * sqrt(2) * sigma_L: 95 % of the layout differences between two
builds (each its own layout draw) lie inside it. Layout-mode A/Bs need no floor (docs/perf_tools.md).

usage: noise_floor.py --name N --copy NAME=BINARY ... [--plain BINARY --preload NAME=LIB ...]
       noise_floor.py --name N --reanalyse RESULT.json   (an earlier run's raw samples, no runs)
  environment: RUNS (10), WARMUP (1), PIN, workload parameters (ITERS, WS, ...);
  UPDATE_FLOOR=1 under `bazel run` rewrites perf_tools/noise_floor.json with the result."""

import argparse
import json
import math
import os
import random
import statistics
import sys

import ptlib
from ptlib import bl
import interleave as il
import plots

TOOL = "noise_floor"
RUN_PARAMS = ("ITERS", "WS", "MIN", "MAX", "SEED", "THREADS")
# 95 % of the difference of two independent layout draws: z_0.975 * sqrt(2) * sigma_L.
FLOOR_FACTOR = 1.96 * math.sqrt(2)
PRELOAD_SUFFIX = "-preload"


def parse(argv):
    p = argparse.ArgumentParser(prog=TOOL, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", required=True)
    p.add_argument("--copy", action="append", default=[], help="NAME=BINARY with the copy linked in")
    p.add_argument("--plain", help="workload binary without an allocator, for the --preload copies")
    p.add_argument("--preload", action="append", default=[], help="NAME=LIB of a copy to LD_PRELOAD")
    p.add_argument("--reanalyse", help="noise_floor.json of an earlier run: analyse its samples, run nothing")
    p.add_argument(
        "--floor-file", default="perf_tools/noise_floor.json", help="workspace-relative file UPDATE_FLOOR=1 rewrites"
    )
    args = p.parse_args(argv)
    try:
        groups, earlier = {}, None
        if args.reanalyse:
            earlier = read_earlier(ptlib.require_file(args.reanalyse, "--reanalyse"))
            groups = {g: [il.Side(n, None) for n in names] for g, names in earlier["groups"].items()}
        else:
            linked = ptlib.parse_named(args.copy, "--copy", ptlib.require_exec)
            preload = ptlib.parse_named(args.preload, "--preload", ptlib.require_file)
            if preload and not args.plain:
                raise bl.UsageError("--preload needs --plain (the binary to preload the copies into)")
            plain = ptlib.require_exec(args.plain, "--plain") if preload else None
            if linked:
                groups["linked"] = [il.Side(n, path) for n, path in linked]
            if preload:
                groups["preload"] = [il.Side(n + PRELOAD_SUFFIX, plain, {"LD_PRELOAD": lib}) for n, lib in preload]
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
    return args, groups, runs, warmup, pin, update == "1", params, folder, earlier


def read_earlier(path):
    """{'groups', 'samples', 'load', 'runs', 'warmup', 'params', 'command', 'date', 'revision'} of an
    earlier noise_floor.json (copies whose name ends in -preload form the preload group)."""
    try:
        with open(path) as f:
            data = json.load(f)
        samples = {k: [float(v) for v in vs] for k, vs in data["samples_mops"].items()}
        groups = {
            "linked": [n for n in samples if not n.endswith(PRELOAD_SUFFIX)],
            "preload": [n for n in samples if n.endswith(PRELOAD_SUFFIX)],
        }
        rounds = {len(v) for v in samples.values()}
        if len(rounds) != 1:
            raise ValueError("copies have different numbers of rounds")
        return {
            "groups": {g: n for g, n in groups.items() if n},
            "samples": samples,
            "load": data["load_avg_1min"],
            "runs": data["runs"],
            "warmup": data["warmup"],
            "params": data.get("workload_params", {}),
            "command": data["command"],
            "date": data["machine"]["date"],
            "revision": data["machine"]["git_revision"],
        }
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise bl.UsageError(f"--reanalyse {path}: not a noise_floor result ({e})")


def components(matrix):
    """Two-way random-effects split of a copies x rounds matrix of ln(speed): (sigma_L, sigma_e)
    as fractions, sigma_L from (MS_copies - MS_residual) / R truncated at 0."""
    c, r = len(matrix), len(matrix[0])
    grand = statistics.fmean(v for row in matrix for v in row)
    copy_means = [statistics.fmean(row) for row in matrix]
    round_means = [statistics.fmean(matrix[i][j] for i in range(c)) for j in range(r)]
    ms_copies = r * sum((m - grand) ** 2 for m in copy_means) / (c - 1)
    resid = sum((matrix[i][j] - copy_means[i] - round_means[j] + grand) ** 2 for i in range(c) for j in range(r))
    ms_resid = resid / ((c - 1) * (r - 1))
    return math.sqrt(max(0.0, (ms_copies - ms_resid) / r)), math.sqrt(ms_resid)


def bootstrap_layout_sd(matrix, resamples=2000, level=0.95, seed=1):
    """Percentile CI of sigma_L: copies resampled with replacement, and rounds (the same rounds
    for every copy, a round being one block of the design)."""
    rng = random.Random(seed)
    c, r = len(matrix), len(matrix[0])
    values = []
    for _ in range(resamples):
        rows = [rng.randrange(c) for _ in range(c)]
        cols = [rng.randrange(r) for _ in range(r)]
        values.append(components([[matrix[i][j] for j in cols] for i in rows])[0])
    values.sort()
    return values[int((1 - level) / 2 * resamples)], values[min(resamples - 1, int((1 + level) / 2 * resamples))]


def floor_of(samples, sides):
    """Per copy its median; the layout sd (with CI), the run's sampling sd, the floor, and the old
    spread of medians (max/min - 1) for comparison; all in %."""
    matrix = [[math.log(v) for v in samples[s.name]] for s in sides]
    layout, within = components(matrix)
    lo, hi = bootstrap_layout_sd(matrix)
    rounds = len(matrix[0])
    medians = {s.name: statistics.median(samples[s.name]) for s in sides}
    values = list(medians.values())
    copy_var = layout**2 + within**2 / rounds
    return {
        "layout_sd_pct": 100 * layout,
        "layout_sd_ci95": (100 * lo, 100 * hi),
        "within_sd_pct": 100 * within,
        "copy_mean_sampling_sd_pct": 100 * within / math.sqrt(rounds),
        "layout_share_pct": 100 * layout**2 / copy_var if copy_var else 0.0,
        "floor_pct": 100 * FLOOR_FACTOR * layout,
        "floor_ci95": (100 * FLOOR_FACTOR * lo, 100 * FLOOR_FACTOR * hi),
        "medians": medians,
        "spread_pct": 100.0 * (max(values) / min(values) - 1.0),
    }


def report(args, groups, samples, reported, floors, runs, warmup, params, load):
    lines = [
        f"# Layout-noise floor: {args.name}",
        "",
        f"{sum(len(g) for g in groups.values())} layout copies, {runs} interleaved rounds after {warmup} "
        f"warm-up (every copy once per round), workload parameters {params or 'defaults'}; "
        f"load average {load[0]:.2f} before, {load[1]:.2f} after (1 min).",
        "",
    ]
    for group, sides in groups.items():
        f = floors[group]
        mid = statistics.median(f["medians"].values())
        rows = []
        for s in sides:
            st = bl.summarize(samples[s.name])
            rows.append(
                [
                    s.name,
                    reported.get(s.name, "-"),
                    f"{st['median']:.2f}",
                    f"{st['mean']:.2f}",
                    f"{st['min']:.2f}",
                    f"{st['max']:.2f}",
                    f"{st['cv_pct']:.2f} %",
                    ptlib.pct(100.0 * (st["median"] / mid - 1.0)),
                ]
            )
        lo, hi = f["layout_sd_ci95"]
        lines += [
            f"## {group}",
            "",
            ptlib.md_table(
                ["copy", "allocator", "median M ops/s", "mean", "min", "max", "CV", "median vs middle"], rows
            ),
            "",
            ptlib.md_table(
                ["component", "sd", "what it is"],
                [
                    [
                        "layout (sigma_L)",
                        f"**{f['layout_sd_pct']:.2f} %** [95 % CI {lo:.2f}, {hi:.2f}]",
                        "how far one layout draw moves speed",
                    ],
                    [
                        "one run (sigma_e)",
                        f"{f['within_sd_pct']:.2f} %",
                        "the machine: a run's noise after the round's drift",
                    ],
                    [
                        f"a copy's mean of {runs} runs",
                        f"{f['copy_mean_sampling_sd_pct']:.2f} %",
                        f"sampling part of the copies' scatter (layout is {f['layout_share_pct']:.0f} % of it)",
                    ],
                ],
            ),
            "",
            f"**floor ({group}) = 1.96 x sqrt(2) x sigma_L = {f['floor_pct']:.2f} %** [95 % CI "
            f"{f['floor_ci95'][0]:.2f}, {f['floor_ci95'][1]:.2f}] (the old spread of medians, max/min - 1, "
            f"was {f['spread_pct']:.2f} %)",
            "",
        ]
    floor = max(f["floor_pct"] for f in floors.values())
    lines += [
        f"**Layout-noise floor: {floor:.2f} %** (the larger linkage): 95 % of the layout differences between "
        f"two builds lie within +-{floor:.2f} %. A single-layout A/B widens its NEUTRAL band to it; a "
        f"layout-mode A/B (LAYOUTS=K) carries the layout variance in its own interval instead."
    ]
    if load[0] > 1.0 or load[1] > 1.0:
        lines += [
            "",
            f"Measured under load (1-minute load average {max(load):.2f} on "
            f"{os.cpu_count()} CPUs): sigma_e is the machine's noise; rerun on a quiet machine.",
        ]
    return "\n".join(lines), floor


def main(argv):
    args, groups, runs, warmup, pin, update, params, folder, earlier = parse(argv)
    env = bl.clean_env(params)
    samples, reported = {}, {}
    if earlier:
        samples, load = earlier["samples"], tuple(earlier["load"])
        runs, warmup, params = earlier["runs"], earlier["warmup"], earlier["params"]
    else:
        load_before = os.getloadavg()[0]
        for group, sides in groups.items():
            got, names, _ = il.run_rounds(TOOL, sides, runs, warmup, env, pin, progress=True)
            samples.update(got)
            reported.update(names)
        load = (load_before, os.getloadavg()[0])
    floors = {g: floor_of(samples, sides) for g, sides in groups.items()}
    text, floor = report(args, groups, samples, reported, floors, runs, warmup, params, load)
    if earlier:
        text += (
            f"\n\nRe-analysed from `{args.reanalyse}` (measured {earlier['date']}, git {earlier['revision'][:10]}, "
            f"`{earlier['command']}`)."
        )
    for group, sides in groups.items():
        plots.distributions(
            os.path.join(folder, f"rounds_{group}.svg"),
            f"{args.name} ({group}): every round of every layout copy",
            {s.name: samples[s.name] for s in sides},
            "M ops/s",
        )
        plots.spread(
            os.path.join(folder, f"spread_{group}.svg"),
            f"{args.name} ({group}): median per layout copy",
            floors[group]["medians"],
            "M ops/s",
            floors[group]["spread_pct"],
        )
    if plots.MISSING:
        print(plots.MISSING, file=sys.stderr)
    settings = {**params, "RUNS": runs, "WARMUP": warmup, **({"UPDATE_FLOOR": 1} if update else {})}
    command = (
        earlier["command"]
        if earlier
        else " ".join(f"{k}={v}" for k, v in settings.items()) + f" bazel run //perf_tools:{args.name}"
    )
    machine = bl.machine_info(sorted({s.binary for g in groups.values() for s in g if s.binary}), {})
    if earlier:
        machine.update({"date": earlier["date"], "git_revision": earlier["revision"]})
    data = {
        "name": args.name,
        "floor_pct": floor,
        "command": command,
        "runs": runs,
        "warmup": warmup,
        "workload_params": params,
        "load_avg_1min": load,
        "floors": floors,
        "samples_mops": samples,
        "machine": machine,
    }
    bl.write_json(os.path.join(folder, "noise_floor.json"), data)
    ptlib.write_report(folder, "noise_floor", text)
    if update:
        target = os.path.join(os.environ["BUILD_WORKSPACE_DIRECTORY"], args.floor_file)
        bl.write_json(target, committed_floor(floor, floors, data, args.reanalyse))
        print(f"updated {target}")


def committed_floor(floor, floors, data, reanalysed):
    """What perf_tools/noise_floor.json keeps (ptlib.load_floor reads floor_pct)."""
    keep = ("layout_sd_pct", "layout_sd_ci95", "within_sd_pct", "floor_pct", "floor_ci95", "spread_pct")
    return {
        "floor_pct": round(floor, 3),
        "definition": "1.96 * sqrt(2) * sigma_L, sigma_L the layout sd of a two-way random-effects model "
        "over the copies (perf_tools/tools/noise_floor.py)",
        "measured": data["machine"]["date"],
        "command": data["command"],
        **({"reanalysed_from": reanalysed} if reanalysed else {}),
        "load_avg_1min": [round(x, 2) for x in data["load_avg_1min"]],
        "per_linkage": {
            g: {k: (round(f[k], 3) if isinstance(f[k], float) else [round(x, 3) for x in f[k]]) for k in keep}
            for g, f in floors.items()
        },
        "copies": sum(len(f["medians"]) for f in floors.values()),
        "rounds": data["runs"],
        "git_revision": data["machine"]["git_revision"],
    }


if __name__ == "__main__":
    main(sys.argv[1:])
