"""Tail-latency proxy (the seed's method): a single-process soak of mixed with 1-second epochs per
allocator; per-epoch latency = 1 / throughput (ns per op); p50/p90/p99/p999 of those latency
values (not inverted throughput percentiles), p99/p50, p999/p50 and stdev as % of mean, side by
side. Writes tail.json, tail.csv, epochs.csv and latency.svg (see bench/README.md)."""

import math
import os
import sys

import allocators as alloc
import benchlib as bl
import tables
import soak
import plots

TOOL = "tail"
PERCENTILES = (50, 90, 99, 99.9)


def percentile(sorted_values, p):
    """Linear interpolation between closest ranks (p in 0..100)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * p / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def tail_stats(epochs):
    latency = sorted(1e9 / e["ops_per_sec"] for e in epochs)
    tp = [e["ops_per_sec"] for e in epochs]
    lat_stats, tp_stats = bl.summarize(latency), bl.summarize(tp)
    row = {
        "epochs": len(epochs),
        "mean_ops_per_sec": tp_stats["mean"],
        "tp_stdev_pct": tp_stats["cv_pct"],
        "mean_latency_ns": lat_stats["mean"],
        "latency_stdev_pct": lat_stats["cv_pct"],
    }
    for p in PERCENTILES:
        row[f"p{str(p).replace('.', '')}_ns"] = percentile(latency, p)
    row["p99_over_p50"] = row["p99_ns"] / row["p50_ns"]
    row["p999_over_p50"] = row["p999_ns"] / row["p50_ns"]
    return row


def print_table(rows):
    names = [r["allocator"] for r in rows]
    print("per-epoch latency proxy = 1e9 / epoch throughput (ns/op); percentiles of the latency values")
    print(f"{'metric':<22}" + "".join(f"{n:>18}" for n in names))
    print("-" * (22 + 18 * len(names)))
    lines = [
        ("epochs", "epochs", "{:.0f}"),
        ("mean throughput M/s", "mean_ops_per_sec", "{:.2f}"),
        ("p50 ns/op", "p50_ns", "{:.3f}"),
        ("p90 ns/op", "p90_ns", "{:.3f}"),
        ("p99 ns/op", "p99_ns", "{:.3f}"),
        ("p999 ns/op", "p999_ns", "{:.3f}"),
        ("p99/p50", "p99_over_p50", "{:.4f}"),
        ("p999/p50", "p999_over_p50", "{:.4f}"),
        ("latency stdev % mean", "latency_stdev_pct", "{:.2f}"),
        ("throughput stdev %", "tp_stdev_pct", "{:.2f}"),
    ]
    for label, key, fmt in lines:
        scale = 1e6 if key == "mean_ops_per_sec" else 1
        print(f"{label:<22}" + "".join(f"{fmt.format(r[key] / scale):>18}" for r in rows))
    if rows and rows[0]["epochs"] < 1000:
        print(f"note: with {rows[0]['epochs']} epochs p999 is interpolated near the maximum; 1000+ epochs resolve it")


def main(argv):
    args = bl.parse_tool_args(TOOL, __doc__, argv)
    try:
        duration = bl.env_int("DURATION_SEC", 60, 2, 31 * 86400)
        pin = bl.pin_prefix(os.environ.get("PIN", ""))
        selected = alloc.selected_from_args(args, tables.default_set(TOOL))
        params = bl.workload_params(bl.MIXED_PARAMS)
        folder = bl.results_dir(args.name)
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    print(
        f"{TOOL}: DURATION_SEC={duration} EPOCH_SEC=1 {params} on {', '.join(a.name for a in selected)}",
        file=sys.stderr,
    )
    rows, all_epochs = [], []
    for a in selected:
        epochs, _ = soak.run_single(a, params, duration, 1, pin)
        if len(epochs) < 2:
            sys.exit(f"{TOOL}: {a.name}: fewer than 2 epochs")
        rows.append({"allocator": a.name, "linkage": a.linkage, **tail_stats(epochs)})
        all_epochs += [
            {
                "allocator": a.name,
                "epoch": e["sample"],
                "t_sec": e["t_sec"],
                "ops_per_sec": e["ops_per_sec"],
                "latency_ns": 1e9 / e["ops_per_sec"],
                "rss_kb": e["rss_kb"],
            }
            for e in epochs
        ]
    fields = ["allocator", "epoch", "t_sec", "ops_per_sec", "latency_ns", "rss_kb"]
    bl.write_csv(os.path.join(folder, "epochs.csv"), fields, [[e[f] for f in fields] for e in all_epochs])
    bl.write_csv(os.path.join(folder, "tail.csv"), list(rows[0]), [list(r.values()) for r in rows])
    bl.write_json(
        os.path.join(folder, "tail.json"),
        {
            "name": args.name,
            "duration_sec": duration,
            "epoch_sec": 1,
            "workload_params": params,
            "method": "latency_ns = 1e9 / epoch ops_per_sec; percentiles by linear interpolation of latency values",
            "allocators": [a.describe() for a in selected],
            "summary": rows,
            "machine": bl.machine_info(
                sorted({a.binary for a in selected}),
                {"variant": args.variant, "pgo": args.pgo == "1", "compilation_mode": args.compilation_mode},
            ),
        },
    )
    plots.line_chart(
        os.path.join(folder, "latency.svg"),
        f"{args.name}: per-epoch latency proxy",
        [(a.name, [(e["t_sec"], e["latency_ns"]) for e in all_epochs if e["allocator"] == a.name]) for a in selected],
        "seconds",
        "ns/op (1/throughput)",
    )
    print_table(rows)
    print(f"results: {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
