"""Statistics, verdicts and outputs of //bench:apps: per app and allocator the medians of wall
time, CPU time, peak RSS and minor faults over the kept rounds; CPU time against mimalloc's with
the 95 % bootstrap interval and verdict of interleave.py (kind "runtime": choosing an allocator is
a run-time change); geometric means over apps; the issue's targets; table, JSON, CSV and chart."""

import math
import os
import statistics
import sys

import benchlib as bl
import interleave as il
import plots

REFERENCE = "mimalloc"
# Fewer rounds than this give no interval worth a verdict (a bootstrap of one round is one point).
MIN_ROUNDS_FOR_VERDICT = 3
METRICS = ("wall_s", "cpu_s", "peak_rss_kb", "minor_faults")

# The figures a target (--target, from bench/apps.bzl's APPS_TARGETS) may bound: geometric means
# over apps of median ratios against mimalloc, or the largest per-app CPU ratio.
TARGET_FIGURES = ("cpu_geomean", "cpu_max_app", "rss_geomean")


def parse_target(text):
    """'ALLOCATOR:cpu_geomean=0.95,rss_geomean=0.90' -> (ALLOCATOR, {figure: limit})."""
    alloc, sep, spec = text.partition(":")
    limits = {}
    for item in spec.split(",") if sep else []:
        key, _, value = item.partition("=")
        try:
            limits[key] = float(value)
        except ValueError:
            limits[key] = None
        if key not in TARGET_FIGURES or limits[key] is None:
            raise bl.UsageError(
                f"--target '{text}': expected ALLOCATOR:FIGURE=LIMIT,... with FIGURE in " f"{', '.join(TARGET_FIGURES)}"
            )
    if not alloc or not limits:
        raise bl.UsageError(f"--target '{text}': expected ALLOCATOR:FIGURE=LIMIT,...")
    return alloc, limits


def geomean(values):
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else None


def by_round(runs, app, alloc):
    """{round: run} of one app and allocator (good runs only: a failed one has no figures)."""
    return {r["round"]: r for r in runs if r["app"] == app and r["allocator"] == alloc}


def series(mine, metric, rounds=None):
    """metric's values in round order (over `rounds` if given); None if a run lacks it."""
    values = [mine[k].get(metric) for k in sorted(rounds if rounds is not None else mine)]
    return None if any(v is None for v in values) else values


def vs_reference(values, ref):
    """CPU time of an allocator against the reference's: the ratio of medians, its 95 % interval
    and the verdict. il.compare(A=allocator, B=reference) gives reference / allocator - 1, the
    allocator's speed-up, so GO means faster than the reference."""
    c = il.compare(values, ref)
    lo, hi = c["delta_median_ci95"]
    verdict, limit = il.verdict((lo, hi), "runtime")
    if len(values) < MIN_ROUNDS_FOR_VERDICT:
        verdict = f"n<{MIN_ROUNDS_FOR_VERDICT}"
    return {
        "ratio": statistics.median(values) / statistics.median(ref),
        "ratio_ci95": [1.0 / (1.0 + hi / 100.0), 1.0 / (1.0 + lo / 100.0)],
        "speedup_pct": c["delta_median_pct"],
        "speedup_ci95": [lo, hi],
        "verdict": verdict,
        "verdict_limit_pct": limit,
        "per_round_ratios": [v / r for v, r in zip(values, ref)],
    }


def summarize(runs, apps, allocs):
    """rows (one per app and allocator) and per-allocator geometric means over apps."""
    rows = []
    for app in apps:
        ref = by_round(runs, app, REFERENCE)
        for alloc in allocs:
            mine = by_round(runs, app, alloc)
            if not mine:
                continue
            row = {"app": app, "allocator": alloc, "n": len(mine)}
            for m in METRICS + ("requests_per_sec",):
                values = series(mine, m)
                if values:
                    row[m] = statistics.median(values)
                    row[m + "_min"], row[m + "_max"] = min(values), max(values)
            # paired by round: A and B of a round ran close together, under the same host load
            common = set(mine) & set(ref)
            if common and alloc != REFERENCE:
                row["cpu_vs_mimalloc"] = vs_reference(series(mine, "cpu_s", common), series(ref, "cpu_s", common))
                row["wall_ratio"] = row["wall_s"] / statistics.median(series(ref, "wall_s"))
                row["rss_ratio"] = row["peak_rss_kb"] / statistics.median(series(ref, "peak_rss_kb"))
            rows.append(row)
    means = {}
    for alloc in allocs:
        mine = [r for r in rows if r["allocator"] == alloc and "cpu_vs_mimalloc" in r]
        if mine and len(mine) == len(apps):
            means[alloc] = {
                "cpu_geomean": geomean([r["cpu_vs_mimalloc"]["ratio"] for r in mine]),
                "cpu_max_app": max(r["cpu_vs_mimalloc"]["ratio"] for r in mine),
                "wall_geomean": geomean([r["wall_ratio"] for r in mine]),
                "rss_geomean": geomean([r["rss_ratio"] for r in mine]),
            }
    return rows, means


def target_lines(means, targets):
    """'met' / 'MISSED' per target ({allocator: {figure: limit}}) for the allocators that ran."""
    lines = []
    for alloc, limits in targets.items():
        if alloc not in means:
            continue
        for key, limit in limits.items():
            value = means[alloc][key]
            lines.append({"allocator": alloc, "figure": key, "value": value, "limit": limit, "met": value <= limit})
    return lines


def print_report(rows, means, targets, out=sys.stdout):
    print(
        "per app: medians over the kept rounds; CPU = user + sys; 'CPU/mi' = median CPU / mimalloc's, "
        "[95 % bootstrap interval], verdict (runtime rule: GO = faster by >= 1 % over the whole interval)",
        file=out,
    )
    head = (
        f"{'app':<8} {'allocator':<22} {'wall s':>7} {'CPU s':>7} {'CPU/mi':>7} {'95 % interval':>15} "
        f"{'verdict':>8} {'RSS MiB':>8} {'RSS/mi':>7} {'minflt':>9} {'req/s':>9}"
    )
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in rows:
        v = r.get("cpu_vs_mimalloc")
        ratio = f"{v['ratio']:.3f}" if v else "-"
        ci = f"[{v['ratio_ci95'][0]:.3f},{v['ratio_ci95'][1]:.3f}]" if v else "-"
        rss_ratio = f"{r['rss_ratio']:.3f}" if "rss_ratio" in r else "-"
        rps = f"{r['requests_per_sec']:9.0f}" if "requests_per_sec" in r else "-"
        print(
            f"{r['app']:<8} {r['allocator']:<22} {r['wall_s']:7.3f} {r['cpu_s']:7.3f} {ratio:>7} {ci:>15} "
            f"{v['verdict'] if v else '-':>8} {r['peak_rss_kb'] / 1024:8.1f} {rss_ratio:>7} "
            f"{r['minor_faults']:9.0f} {rps:>9}",
            file=out,
        )
    if means:
        print("\ngeometric mean over apps of the ratio to mimalloc (medians):", file=out)
        print(f"{'allocator':<22} {'CPU':>7} {'max app':>8} {'wall':>7} {'RSS':>7}", file=out)
        for alloc, m in means.items():
            print(
                f"{alloc:<22} {m['cpu_geomean']:7.3f} {m['cpu_max_app']:8.3f} {m['wall_geomean']:7.3f} "
                f"{m['rss_geomean']:7.3f}",
                file=out,
            )
    for t in targets:
        print(
            f"target {t['allocator']} {t['figure']} <= {t['limit']:.2f}: {t['value']:.3f} "
            f"{'met' if t['met'] else 'MISSED'}",
            file=out,
        )


ROW_FIELDS = [
    "app",
    "allocator",
    "n",
    "wall_s",
    "cpu_s",
    "cpu_s_min",
    "cpu_s_max",
    "peak_rss_kb",
    "minor_faults",
    "requests_per_sec",
    "cpu_ratio_vs_mimalloc",
    "cpu_ratio_ci95_lo",
    "cpu_ratio_ci95_hi",
    "verdict",
    "wall_ratio",
    "rss_ratio",
]
RUN_FIELDS = [
    "round",
    "app",
    "allocator",
    "wall_s",
    "cpu_s",
    "peak_rss_kb",
    "minor_faults",
    "requests_per_sec",
    "digest",
    "error",
]


def _flat(r):
    v = r.get("cpu_vs_mimalloc") or {}
    flat = {**r, "cpu_ratio_vs_mimalloc": v.get("ratio"), "verdict": v.get("verdict")}
    flat["cpu_ratio_ci95_lo"], flat["cpu_ratio_ci95_hi"] = v.get("ratio_ci95", (None, None))
    return ["" if flat.get(k) is None else flat[k] for k in ROW_FIELDS]


def write_outputs(folder, meta, rows, means, targets, runs, failures):
    bl.write_json(
        os.path.join(folder, "summary.json"),
        {**meta, "summary": rows, "geomeans": means, "targets": targets, "failures": failures, "runs": runs},
    )
    bl.write_csv(os.path.join(folder, "summary.csv"), ROW_FIELDS, [_flat(r) for r in rows])
    bl.write_csv(
        os.path.join(folder, "runs.csv"),
        RUN_FIELDS,
        [["" if r.get(k) is None else r[k] for k in RUN_FIELDS] for r in runs],
    )
    series = {}
    for r in rows:
        if "cpu_vs_mimalloc" in r:
            series.setdefault(r["allocator"], {})[r["app"]] = r["cpu_vs_mimalloc"]["per_round_ratios"]
    if series:
        plots.ratio_rounds(
            os.path.join(folder, "cpu_vs_mimalloc.svg"),
            f"CPU time / mimalloc's, per app ({meta['runs']} rounds each; bar = median of the round ratios)",
            meta["apps"],
            series,
        )
