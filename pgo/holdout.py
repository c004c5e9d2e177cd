"""The hold-out programs of pgo/ and bolt/'s reports: real programs the profile never saw
(pgo/training.bzl HOLDOUT_APPS), run by //bench:apps (bench/tools/apps.py) under a base build and
the profile-guided ones. Two measurements, kept apart:

- exact: EXACT=1 (callgrind with its cache simulation, one run per program and build): instructions
  and L1 instruction-cache misses, the same figures on any machine and under any load;
- timed: interleaved rounds (order rotating), CPU time per round paired with the base build's of
  the same round; the ratio's 95 % bootstrap interval judged by bench/tools/interleave.verdict with
  the build-level threshold (PGO and BOLT are build changes). Meaningful only on a quiet machine.

Used as a module: exact(...) / timed(...) return rows, markdown(...) prints them.
"""

import json
import math
import os
import statistics
import subprocess
import sys

import interleave as il

MIN_ROUNDS = 3  # fewer rounds give no interval worth a verdict


class HoldoutError(Exception):
    """apps.py failed or wrote nothing to read: one line for the report's caller."""


def _run_apps(apps_cmd, env, folder):
    full = {**os.environ, **env, "RESULTS_DIR": folder}
    proc = subprocess.run(apps_cmd, env=full, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-4:])
        raise HoldoutError(f"//bench:apps failed (exit {proc.returncode}): {tail}")


def exact(apps_cmd, apps, allocators, size, folder):
    """{app: {allocator: {"Ir": n, "I1mr": n}}} from one EXACT=1 run of apps.py."""
    _run_apps(
        apps_cmd, {"EXACT": "1", "SIZE": size, "APPS": ",".join(apps), "ALLOCATORS": ",".join(allocators)}, folder
    )
    with open(os.path.join(folder, "exact.json")) as f:
        rows = json.load(f)["exact"]
    table = {}
    for r in rows:
        table.setdefault(r["app"], {})[r["allocator"]] = {"Ir": r["Ir"], "I1mr": r["I1mr"]}
    return table


def timed(apps_cmd, apps, base, variants, runs, size, folder):
    """Per app and variant: median CPU ratio variant / base over paired rounds, its interval and
    verdict; plus the geometric mean of the ratios per variant."""
    _run_apps(
        apps_cmd,
        {"RUNS": str(runs), "SIZE": size, "APPS": ",".join(apps), "ALLOCATORS": ",".join([base] + variants)},
        folder,
    )
    with open(os.path.join(folder, "summary.json")) as f:
        runs_done = [r for r in json.load(f)["runs"] if r["error"] is None]
    rows, geo = [], {}
    for v in variants:
        ratios = []
        for app in apps:
            cpu = {(r["allocator"], r["round"]): r["cpu_s"] for r in runs_done if r["app"] == app}
            rounds = sorted(k for (a, k) in cpu if a == v and (base, k) in cpu)
            if not rounds:
                continue
            base_cpu, var_cpu = [cpu[(base, k)] for k in rounds], [cpu[(v, k)] for k in rounds]
            # interleave.compare(A=variant, B=base) measures base / variant - 1: the variant's speed-up
            c = il.compare(var_cpu, base_cpu)
            verdict = il.verdict(c["delta_median_ci95"], "build")[0] if len(rounds) >= MIN_ROUNDS else f"n<{MIN_ROUNDS}"
            ratio = statistics.median(var_cpu) / statistics.median(base_cpu)
            ratios.append(ratio)
            rows.append(
                {
                    "app": app,
                    "variant": v,
                    "rounds": len(rounds),
                    "cpu_ratio": ratio,
                    "speedup_pct": c["delta_median_pct"],
                    "speedup_ci95": c["delta_median_ci95"],
                    "verdict": verdict,
                }
            )
        if ratios:
            geo[v] = math.exp(statistics.fmean(math.log(x) for x in ratios))
    return rows, geo


def markdown(base, variants, exact_table, timed_rows, geo, meta):
    out = [
        f"## Hold-out programs ({', '.join(meta['apps'])}; never trained on)",
        "",
        f"Exact (callgrind, size {meta['exact_size']}): instructions and simulated L1i misses per run; "
        f"change against {base}.",
        "",
        "| program | build | instructions | change | I1 misses | change |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for app, by_alloc in exact_table.items():
        ref = by_alloc.get(base)
        for alloc in [base] + variants:
            x = by_alloc.get(alloc)
            if x is None:
                continue
            d_ir = f"{100 * (x['Ir'] / ref['Ir'] - 1):+.3f} %" if ref and alloc != base else ""
            d_i1 = f"{100 * (x['I1mr'] / ref['I1mr'] - 1):+.2f} %" if ref and ref["I1mr"] and alloc != base else ""
            out.append(f"| {app} | {alloc} | {x['Ir']} | {d_ir} | {x['I1mr']} | {d_i1} |")
    out += [
        "",
        f"Timed ({meta['runs']} interleaved rounds, size {meta['timed_size']}; CPU time of the build / {base}'s "
        "in the same round; verdict of interleave.verdict, build-level threshold: GO = faster by >= 0.5 % "
        "over the whole 95 % interval). Timings are only worth reading from a quiet machine.",
        "",
        "| program | build | rounds | CPU ratio (median) | speed-up % [95 % interval] | verdict |",
        "|---|---|---:|---:|---|---|",
    ]
    for r in timed_rows:
        lo, hi = r["speedup_ci95"]
        out.append(
            f"| {r['app']} | {r['variant']} | {r['rounds']} | {r['cpu_ratio']:.4f} | "
            f"{r['speedup_pct']:+.2f} [{lo:+.2f}, {hi:+.2f}] | {r['verdict']} |"
        )
    out += [""] + [f"Geometric mean of the CPU ratios, {v} / {base}: {g:.4f}" for v, g in geo.items()]
    return "\n".join(out) + "\n"


def measure(apps_cmd, apps, base, variants, folder, smoke, runs):
    """Both measurements into folder/holdout_{exact,timed}; returns (markdown, json-able dict)."""
    size = "smoke" if smoke else "small"
    exact_dir, timed_dir = os.path.join(folder, "holdout_exact"), os.path.join(folder, "holdout_timed")
    for d in (exact_dir, timed_dir):
        os.makedirs(d, exist_ok=True)
    exact_apps = [a for a in apps if a != "redis"]  # its timers make callgrind's count inexact
    print(f"  hold-out programs under callgrind: {', '.join(exact_apps)} ...", file=sys.stderr, flush=True)
    table = exact(apps_cmd, exact_apps, [base] + variants, size, exact_dir)
    timed_size = "smoke" if smoke else "full"
    print(f"  hold-out programs timed: {runs} rounds ...", file=sys.stderr, flush=True)
    rows, geo = timed(apps_cmd, apps, base, variants, runs, timed_size, timed_dir)
    meta = {"apps": apps, "exact_size": size, "timed_size": timed_size, "runs": runs}
    return markdown(base, variants, table, rows, geo, meta), {**meta, "exact": table, "timed": rows, "geomean": geo}
