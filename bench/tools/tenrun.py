"""The seed's 10-run protocol: every selected allocator runs the same workload RUNS times,
interleaved (A B C ... A B C ...) after WARMUP discarded rounds, optionally pinned to one CPU.
Prints mean/median/min/max/CV/ratio-to-mimalloc (like with like: linked in vs mimalloc linked in,
preloaded vs mimalloc preloaded) per allocator, then, under a config with comparisons
(allocators.config_comparisons: FAST_PGO vs FAST, FAST_PGO_BOLT vs FAST_PGO, FAST vs mimalloc),
one verdict line each: the delta of means with its 95 % interval and interleave.verdict's
verdict against the committed layout-noise floor (--floor, perf_tools/noise_floor.json). Writes
summary.json, summary.csv, runs.csv and comparison.svg into a results folder (bench/README.md)."""

import os
import sys

import allocators as alloc
import benchlib as bl
import interleave as il
import plots
import ptlib  # the committed floor's loader (perf_tools/: one copy of it)

TOOL = "tenrun"
CONTROL_VARS = ("RUNS", "WARMUP", "PIN", "ALLOCATORS", "RESULTS_DIR")
SOAK_VARS = ("DURATION_SEC", "EPOCH_SEC")


def run_once(a, params, pin, round_no):
    cmd = pin + [a.binary]
    rc, out, err = bl.run_workload(cmd, bl.clean_env({**params, **a.env}))
    if rc == 2:
        bl.fail_usage(TOOL, f"the workload rejected its parameters ({a.name}):\n{err.strip()}")
    if rc != 0:
        sys.exit(
            f"{TOOL}: {a.name} failed in round {round_no} (exit {rc}); command: "
            f"{' '.join(f'{k}={v}' for k, v in {**params, **a.env}.items())} {' '.join(cmd)}\n"
            f"stderr (last lines):\n" + "\n".join(err.strip().splitlines()[-15:])
        )
    try:
        result = bl.parse_result(out)
    except ValueError as e:
        sys.exit(f"{TOOL}: {a.name}: malformed output: {e}\nstdout:\n{out}")
    if result["allocator"] != a.expect:
        sys.exit(
            f"{TOOL}: {a.name}: the binary reports allocator={result['allocator']}, expected "
            f"{a.expect}: {a.binary} is not linked the way its name says"
        )
    return result


def summarize(selected, runs):
    rows = []
    for a in selected:
        mine = [r for r in runs if r["allocator"] == a.name]
        stats = bl.summarize([r["ops_per_sec"] for r in mine])
        stats["peak_rss_kb"] = max(r["peak_rss_kb"] for r in mine)
        rows.append({"allocator": a.name, "linkage": a.linkage, **stats})
    by_name = {r["allocator"]: r for r in rows}
    for r in rows:
        # Like with like: a preloaded allocator pays PLT calls that a linked-in one does not.
        ref = by_name.get(alloc.reference_of(alloc.PRELOADED if r["linkage"] == "preload" else alloc.LINKED))
        r["vs_mimalloc"] = ref["allocator"] if ref else None
        r["ratio_median_vs_mimalloc"] = r["median"] / ref["median"] if ref else None
    return rows


def print_table(rows, out=sys.stdout):
    width = max(len("allocator"), *(len(r["allocator"]) for r in rows))
    head = (
        f"{'allocator':<{width}} {'linkage':<12} {'mean':>9} {'median':>9} {'min':>9} {'max':>9} {'CV%':>6} "
        f"{'vs mi':>7} {'peakRSS':>9}"
    )
    print(
        "throughput in M ops/s; 'vs mi' = median / mimalloc's median of the same linkage (preloaded rows: "
        "mimalloc-preload, the others: mimalloc-linked); peak RSS in MiB",
        file=out,
    )
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in rows:
        ratio = f"{100 * r['ratio_median_vs_mimalloc']:6.1f}%" if r["ratio_median_vs_mimalloc"] else "     -"
        print(
            f"{r['allocator']:<{width}} {r['linkage']:<12} {r['mean'] / 1e6:9.2f} {r['median'] / 1e6:9.2f} "
            f"{r['min'] / 1e6:9.2f} {r['max'] / 1e6:9.2f} {r['cv_pct']:6.2f} {ratio:>7} "
            f"{r['peak_rss_kb'] / 1024:9.1f}",
            file=out,
        )
    print("linkage: " + "; ".join(f"{k} = {v}" for k, v in alloc.LINKAGE_NOTES.items()), file=out)


def verdicts(config, runs, floor):
    """One verdict per comparison of the config whose two sides both ran: B vs A from the
    per-round pairs (il.compare: delta of means, 95 % bootstrap interval), judged by
    il.verdict as a build-level change against the floor."""
    series = {}
    for r in runs:
        series.setdefault(r["allocator"], []).append(r["ops_per_sec"])
    out = []
    for linkage, a, b in alloc.config_comparisons(config):
        if a in series and b in series:
            c = il.compare(series[a], series[b])
            verdict, limit = il.verdict(c["delta_mean_ci95"], "build", floor["floor_pct"])
            out.append(
                {
                    "linkage": linkage,
                    "a": a,
                    "b": b,
                    "delta_mean_pct": c["delta_mean_pct"],
                    "ci95": list(c["delta_mean_ci95"]),
                    "verdict": verdict,
                    "band_pct": limit,
                }
            )
    return out


def print_verdicts(rows, floor, out=sys.stdout):
    if not rows:
        return
    print(
        f"verdicts (B vs A, delta of means [95 % CI]; GO/NO-GO when the whole interval is beyond "
        f"±{rows[0]['band_pct']:.2f} %; {ptlib.floor_line(floor)}):",
        file=out,
    )
    width = max(len(f"{v['b']} vs {v['a']}") for v in rows)
    for v in rows:
        lo, hi = v["ci95"]
        print(
            f"VERDICT {v['b'] + ' vs ' + v['a']:<{width}} ({v['linkage']}): {v['delta_mean_pct']:+6.2f} % "
            f"[{lo:+.2f}, {hi:+.2f}] {v['verdict']}",
            file=out,
        )


SUMMARY_FIELDS = [
    "allocator",
    "linkage",
    "n",
    "mean",
    "median",
    "min",
    "max",
    "stdev",
    "cv_pct",
    "vs_mimalloc",
    "ratio_median_vs_mimalloc",
    "peak_rss_kb",
]


def write_outputs(folder, meta, rows, runs):
    bl.write_json(os.path.join(folder, "summary.json"), {**meta, "summary": rows, "runs": runs})
    bl.write_csv(
        os.path.join(folder, "summary.csv"),
        SUMMARY_FIELDS,
        [["" if r[k] is None else r[k] for k in SUMMARY_FIELDS] for r in rows],
    )
    run_fields = ["round", "allocator", "ops", "seconds", "ops_per_sec", "peak_rss_kb"]
    bl.write_csv(os.path.join(folder, "runs.csv"), run_fields, [[r[k] for k in run_fields] for r in runs])
    plots.bar_chart(
        os.path.join(folder, "comparison.svg"),
        title=f"{meta['name']}: median throughput ({meta['runs_per_allocator']} runs, min-max whiskers)",
        labels=[r["allocator"] for r in rows],
        values=[r["median"] / 1e6 for r in rows],
        lows=[r["min"] / 1e6 for r in rows],
        highs=[r["max"] / 1e6 for r in rows],
        groups=[r["linkage"] for r in rows],
        unit="M ops/s",
    )


def main(argv):
    args = bl.parse_tool_args(TOOL, __doc__, argv, with_defaults=True)
    try:
        defaults = dict(bl.split_key_value(d, "--default") for d in args.default)
        runs_per = bl.env_int("RUNS", 10, 1, 1000)
        warmup = bl.env_int("WARMUP", 1, 0, 100)
        pin = bl.pin_prefix(os.environ.get("PIN", ""))
        selected = alloc.selected_from_args(args)
        names = [n for n in bl.workload_param_names(selected[0].binary) if n not in SOAK_VARS]
        params = bl.workload_params(names, defaults)
        floor = ptlib.load_floor(args.floor)
        folder = bl.results_dir(f"{args.name}")
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))

    print(
        f"{args.name}: {args.workload} {' '.join(f'{k}={v}' for k, v in params.items())}; "
        f"{len(selected)} allocators x ({warmup} warm-up + {runs_per}) rounds, interleaved"
        f"{'; pinned: ' + ' '.join(pin) if pin else ''}",
        file=sys.stderr,
    )
    runs = []
    for round_no in range(1 - warmup, runs_per + 1):
        for a in selected:
            result = run_once(a, params, pin, round_no)
            label = "warm-up" if round_no <= 0 else f"{round_no}/{runs_per}"
            print(f"  [{label}] {a.name:<22} {result['ops_per_sec'] / 1e6:8.2f} M ops/s", file=sys.stderr)
            if round_no > 0:
                runs.append(
                    {
                        "round": round_no,
                        "allocator": a.name,
                        **{k: result[k] for k in bl.RESULT_KEYS[2:]},
                        "reported_allocator": result["allocator"],
                    }
                )
    rows = summarize(selected, runs)
    judged = verdicts(args.variant, runs, floor)
    meta = {
        "name": args.name,
        "workload": args.workload,
        "workload_params": params,
        "runs_per_allocator": runs_per,
        "warmup_rounds": warmup,
        "pin": " ".join(pin) or None,
        "order": "interleaved",
        "allocators": [a.describe() for a in selected],
        "machine": bl.machine_info(
            sorted({a.binary for a in selected}),
            {"variant": args.variant, "pgo": args.pgo == "1", "compilation_mode": args.compilation_mode},
        ),
    }
    meta["verdicts"] = judged
    write_outputs(folder, meta, rows, runs)
    print_table(rows)
    print(f"results: {folder}")
    print_verdicts(judged, floor)


if __name__ == "__main__":
    main(sys.argv[1:])
