"""The seed's 10-run protocol: every selected allocator runs the same workload RUNS times,
interleaved (A B C ... A B C ...) after WARMUP discarded rounds, optionally pinned to one CPU.
Prints mean/median/min/max/CV/ratio-to-mimalloc per allocator and writes summary.json,
summary.csv, runs.csv and comparison.svg into a results folder (see bench/README.md)."""

import os
import sys

import allocators as alloc
import benchlib as bl
import plots

TOOL = "tenrun"
CONTROL_VARS = ("RUNS", "WARMUP", "PIN", "ALLOCATORS", "RESULTS_DIR")
SOAK_VARS = ("DURATION_SEC", "EPOCH_SEC")


def run_once(a, params, pin, round_no):
    cmd = pin + [a.binary]
    rc, out, err = bl.run_workload(cmd, bl.clean_env({**params, **a.env}))
    if rc == 2:
        bl.fail_usage(TOOL, f"the workload rejected its parameters ({a.name}):\n{err.strip()}")
    if rc != 0:
        sys.exit(f"{TOOL}: {a.name} failed in round {round_no} (exit {rc}); command: "
                 f"{' '.join(f'{k}={v}' for k, v in {**params, **a.env}.items())} {' '.join(cmd)}\n"
                 f"stderr (last lines):\n" + "\n".join(err.strip().splitlines()[-15:]))
    try:
        result = bl.parse_result(out)
    except ValueError as e:
        sys.exit(f"{TOOL}: {a.name}: malformed output: {e}\nstdout:\n{out}")
    if result["allocator"] != a.expect:
        sys.exit(f"{TOOL}: {a.name}: the binary reports allocator={result['allocator']}, expected "
                 f"{a.expect}: {a.binary} is not linked the way its name says")
    return result


def summarize(selected, runs):
    rows = []
    for a in selected:
        mine = [r for r in runs if r["allocator"] == a.name]
        stats = bl.summarize([r["ops_per_sec"] for r in mine])
        stats["peak_rss_kb"] = max(r["peak_rss_kb"] for r in mine)
        rows.append({"allocator": a.name, "linkage": a.linkage, **stats})
    ref = next((r for r in rows if r["allocator"] == "mimalloc-linked"), None)
    for r in rows:
        r["ratio_median_vs_mimalloc_linked"] = r["median"] / ref["median"] if ref else None
    return rows


def print_table(rows, out=sys.stdout):
    head = f"{'allocator':<22} {'linkage':<12} {'mean':>9} {'median':>9} {'min':>9} {'max':>9} {'CV%':>6} {'vs mi':>7} {'peakRSS':>9}"
    print("throughput in M ops/s; 'vs mi' = median / mimalloc-linked median; peak RSS in MiB", file=out)
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in rows:
        ratio = f"{100 * r['ratio_median_vs_mimalloc_linked']:6.1f}%" if r["ratio_median_vs_mimalloc_linked"] else "     -"
        print(f"{r['allocator']:<22} {r['linkage']:<12} {r['mean'] / 1e6:9.2f} {r['median'] / 1e6:9.2f} "
              f"{r['min'] / 1e6:9.2f} {r['max'] / 1e6:9.2f} {r['cv_pct']:6.2f} {ratio:>7} "
              f"{r['peak_rss_kb'] / 1024:9.1f}", file=out)
    print("linkage: " + "; ".join(f"{k} = {v}" for k, v in alloc.LINKAGE_NOTES.items()), file=out)


SUMMARY_FIELDS = ["allocator", "linkage", "n", "mean", "median", "min", "max", "stdev", "cv_pct",
                  "ratio_median_vs_mimalloc_linked", "peak_rss_kb"]


def write_outputs(folder, meta, rows, runs):
    bl.write_json(os.path.join(folder, "summary.json"), {**meta, "summary": rows, "runs": runs})
    bl.write_csv(os.path.join(folder, "summary.csv"), SUMMARY_FIELDS,
                 [["" if r[k] is None else r[k] for k in SUMMARY_FIELDS] for r in rows])
    run_fields = ["round", "allocator", "ops", "seconds", "ops_per_sec", "peak_rss_kb"]
    bl.write_csv(os.path.join(folder, "runs.csv"), run_fields, [[r[k] for k in run_fields] for r in runs])
    plots.bar_chart(
        os.path.join(folder, "comparison.svg"),
        title=f"{meta['name']}: median throughput ({meta['runs_per_allocator']} runs, min-max whiskers)",
        labels=[r["allocator"] for r in rows], values=[r["median"] / 1e6 for r in rows],
        lows=[r["min"] / 1e6 for r in rows], highs=[r["max"] / 1e6 for r in rows],
        groups=[r["linkage"] for r in rows], unit="M ops/s")


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
        folder = bl.results_dir(f"{args.name}")
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))

    print(f"{args.name}: {args.workload} {' '.join(f'{k}={v}' for k, v in params.items())}; "
          f"{len(selected)} allocators x ({warmup} warm-up + {runs_per}) rounds, interleaved"
          f"{'; pinned: ' + ' '.join(pin) if pin else ''}", file=sys.stderr)
    runs = []
    for round_no in range(1 - warmup, runs_per + 1):
        for a in selected:
            result = run_once(a, params, pin, round_no)
            label = "warm-up" if round_no <= 0 else f"{round_no}/{runs_per}"
            print(f"  [{label}] {a.name:<22} {result['ops_per_sec'] / 1e6:8.2f} M ops/s", file=sys.stderr)
            if round_no > 0:
                runs.append({"round": round_no, "allocator": a.name, **{k: result[k] for k in bl.RESULT_KEYS[2:]},
                             "reported_allocator": result["allocator"]})
    rows = summarize(selected, runs)
    meta = {
        "name": args.name, "workload": args.workload, "workload_params": params,
        "runs_per_allocator": runs_per, "warmup_rounds": warmup, "pin": " ".join(pin) or None,
        "order": "interleaved", "allocators": [a.describe() for a in selected],
        "machine": bl.machine_info(sorted({a.binary for a in selected}),
                                   {"variant": args.variant, "pgo": args.pgo == "1",
                                    "compilation_mode": args.compilation_mode}),
    }
    write_outputs(folder, meta, rows, runs)
    print_table(rows)
    print(f"results: {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
