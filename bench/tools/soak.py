"""Soak of the mixed workload, per allocator: MODE=single (one process, epochs of EPOCH_SEC,
allocator state persisting, like a server) or MODE=multi (a fresh process of STEP_ITERS
operations per sample, like batch jobs) for DURATION_SEC. Writes samples.csv, summary.json/.csv
(drift first vs last 5 samples, CV, peak RSS) and throughput.svg / rss.svg (see bench/README.md)."""

import os
import subprocess
import sys
import time

import allocators as alloc
import benchlib as bl
import plots
import tables

TOOL = "soak"


def progress(label, text):
    print(f"  [{label}] {text}", file=sys.stderr, flush=True)


def run_single(a, params, duration, epoch, pin, label=None):
    """One process for `duration` seconds; returns one sample per EPOCH line (streamed live)."""
    env = bl.clean_env({**params, **a.env, "DURATION_SEC": str(duration), "EPOCH_SEC": str(epoch)})
    proc = subprocess.Popen(pin + [a.binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples, lines = [], []
    expected = max(1, duration // epoch)
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("EPOCH "):
            e = bl.parse_key_values(line[6:])
            samples.append(
                {
                    "sample": e["n"],
                    "t_sec": sum(s["seconds"] for s in samples) + e["seconds"],
                    "ops": e["ops"],
                    "seconds": e["seconds"],
                    "ops_per_sec": e["ops_per_sec"],
                    "rss_kb": e["rss_kb"],
                }
            )
            if e["n"] == 1 or e["n"] % max(1, expected // 10) == 0 or e["n"] == expected:
                progress(
                    label or a.name,
                    f"epoch {e['n']}/{expected}: {e['ops_per_sec'] / 1e6:.2f} M ops/s, "
                    f"RSS {e['rss_kb'] / 1024:.1f} MiB",
                )
    err = proc.stderr.read()
    if proc.wait() != 0:
        code = 2 if proc.returncode == 2 else 1
        print(f"{TOOL}: error: {a.name} failed (exit {proc.returncode}):\n{err.strip()[-1500:]}", file=sys.stderr)
        sys.exit(code)
    result = bl.parse_result("".join(lines))
    if result["allocator"] != a.expect:
        sys.exit(f"{TOOL}: {a.name}: binary reports allocator={result['allocator']}, expected {a.expect}")
    return samples, result


def run_multi(a, params, duration, step_iters, pin):
    """Fresh processes of step_iters operations until `duration` seconds have passed."""
    samples = []
    start = last_report = time.monotonic()
    while time.monotonic() - start < duration:
        env = bl.clean_env({**params, **a.env, "ITERS": str(step_iters)})
        rc, out, err = bl.run_workload(pin + [a.binary], env)
        if rc != 0:
            print(f"{TOOL}: error: {a.name} failed (exit {rc}):\n{err.strip()[-1500:]}", file=sys.stderr)
            sys.exit(2 if rc == 2 else 1)
        r = bl.parse_result(out)
        if r["allocator"] != a.expect:
            sys.exit(f"{TOOL}: {a.name}: binary reports allocator={r['allocator']}, expected {a.expect}")
        samples.append(
            {
                "sample": len(samples) + 1,
                "t_sec": time.monotonic() - start,
                "ops": r["ops"],
                "seconds": r["seconds"],
                "ops_per_sec": r["ops_per_sec"],
                "rss_kb": r["peak_rss_kb"],
            }
        )
        if time.monotonic() - last_report >= 5 or len(samples) == 1:
            last_report = time.monotonic()
            progress(
                a.name,
                f"{time.monotonic() - start:5.0f}/{duration} s, sample {len(samples)}: "
                f"{r['ops_per_sec'] / 1e6:.2f} M ops/s, peak RSS {r['peak_rss_kb'] / 1024:.1f} MiB",
            )
    return samples


def analyze(samples, warmup_sec, edge=5):
    """Drift of the last `edge` samples against the first `edge` after the warm-up, CV of the
    samples after the warm-up, and RSS figures. Samples that start within the first warmup_sec
    seconds (start-up: the first SuperSlabs, the workload's slots filling) are left out of the
    drift and CV, unless that would leave fewer than two samples; start_rss_kb keeps the first."""
    steady = [s for s in samples if s["t_sec"] - s["seconds"] >= warmup_sec]
    if len(steady) < 2:
        steady = samples
    tp = [s["ops_per_sec"] for s in steady]
    rss = [s["rss_kb"] for s in steady]
    k = max(1, min(edge, len(steady) // 2))  # the two windows never overlap
    first_tp, last_tp = sum(tp[:k]) / k, sum(tp[-k:]) / k
    first_rss, last_rss = sum(rss[:k]) / k, sum(rss[-k:]) / k
    stats = bl.summarize(tp)
    out = {
        "samples": len(samples),
        "warmup_samples": len(samples) - len(steady),
        "mean_ops_per_sec": stats["mean"],
        "median_ops_per_sec": stats["median"],
        "cv_pct": stats["cv_pct"],
        "first5_ops_per_sec": first_tp,
        "last5_ops_per_sec": last_tp,
        "tp_drift_pct": 100 * (last_tp - first_tp) / first_tp,
        "start_rss_kb": samples[0]["rss_kb"],
        "first5_rss_kb": first_rss,
        "last5_rss_kb": last_rss,
        "peak_rss_kb": max(s["rss_kb"] for s in samples),
        "rss_drift_pct": 100 * (last_rss - first_rss) / first_rss if first_rss else 0.0,
    }
    # The seed's targets: throughput drift > -5 %, RSS drift <= +5 %, CV ~1-2 %.
    out["tp_drift_ok"] = out["tp_drift_pct"] > -5.0
    out["rss_drift_ok"] = out["rss_drift_pct"] <= 5.0
    out["cv_ok"] = out["cv_pct"] <= 2.0
    return out


def print_table(rows):
    head = (
        f"{'allocator':<20} {'linkage':<12} {'n':>5} {'warm':>4} {'mean':>8} {'CV%':>6} {'first5':>8} {'last5':>8} "
        f"{'TPdrift':>8} {'RSS1st':>8} {'RSSlast':>8} {'RSSpeak':>8} {'RSSdrift':>8}"
    )
    print(
        "throughput in M ops/s, RSS in MiB; drift = last 5 samples vs first 5 after the warm-up "
        "(targets: TP > -5 %, RSS <= +5 %); CV after the warm-up"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        flag = lambda ok: " " if ok else "!"
        print(
            f"{r['allocator']:<20} {r['linkage']:<12} {r['samples']:>5} {r['warmup_samples']:>4} "
            f"{r['mean_ops_per_sec'] / 1e6:8.2f} "
            f"{r['cv_pct']:5.2f}{flag(r['cv_ok'])} {r['first5_ops_per_sec'] / 1e6:8.2f} "
            f"{r['last5_ops_per_sec'] / 1e6:8.2f} {r['tp_drift_pct']:+7.2f}{flag(r['tp_drift_ok'])} "
            f"{r['first5_rss_kb'] / 1024:8.2f} {r['last5_rss_kb'] / 1024:8.2f} {r['peak_rss_kb'] / 1024:8.2f} "
            f"{r['rss_drift_pct']:+7.2f}{flag(r['rss_drift_ok'])}"
        )
    print("'!' marks a figure outside the seed's target")


def main(argv):
    args = bl.parse_tool_args(TOOL, __doc__, argv)
    try:
        mode = os.environ.get("MODE", "single")
        if mode not in ("single", "multi"):
            raise bl.UsageError(f"MODE='{mode}' must be 'single' or 'multi'")
        duration = bl.env_int("DURATION_SEC", 60, 1, 31 * 86400)
        epoch = bl.env_int("EPOCH_SEC", 5, 1, 86400)
        if mode == "single" and epoch > duration:
            raise bl.UsageError(f"EPOCH_SEC={epoch} is longer than DURATION_SEC={duration}")
        step_iters = bl.env_int("STEP_ITERS", 20000000, 1, 10**12)
        warmup = bl.env_int("WARMUP_SEC", 60, 0, 31 * 86400)
        pin = bl.pin_prefix(os.environ.get("PIN", ""))
        selected = alloc.selected_from_args(args, tables.default_set(TOOL))
        params = bl.workload_params(bl.MIXED_PARAMS)
        folder = bl.results_dir(f"{args.name}-{mode}")
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))

    print(
        f"{TOOL}: MODE={mode} DURATION_SEC={duration} "
        + (f"EPOCH_SEC={epoch}" if mode == "single" else f"STEP_ITERS={step_iters}")
        + f" WARMUP_SEC={warmup} {params} on {', '.join(a.name for a in selected)} (one after another)",
        file=sys.stderr,
    )
    all_samples, rows = [], []
    for a in selected:
        samples = (
            run_single(a, params, duration, epoch, pin)[0]
            if mode == "single"
            else run_multi(a, params, duration, step_iters, pin)
        )
        if not samples:
            sys.exit(f"{TOOL}: {a.name} produced no samples (is DURATION_SEC shorter than one step?)")
        all_samples += [{"allocator": a.name, "mode": mode, **s} for s in samples]
        rows.append({"allocator": a.name, "linkage": a.linkage, **analyze(samples, warmup)})
    fields = ["allocator", "mode", "sample", "t_sec", "ops", "seconds", "ops_per_sec", "rss_kb"]
    bl.write_csv(os.path.join(folder, "samples.csv"), fields, [[s[f] for f in fields] for s in all_samples])
    bl.write_csv(os.path.join(folder, "summary.csv"), list(rows[0]), [list(r.values()) for r in rows])
    meta = {
        "name": args.name,
        "mode": mode,
        "duration_sec": duration,
        "epoch_sec": epoch if mode == "single" else None,
        "step_iters": step_iters if mode == "multi" else None,
        "warmup_sec": warmup,
        "workload_params": params,
        "rss_source": "current RSS per epoch (statm)" if mode == "single" else "peak RSS per process (VmHWM)",
        "allocators": [a.describe() for a in selected],
        "machine": bl.machine_info(
            sorted({a.binary for a in selected}),
            {"variant": args.variant, "pgo": args.pgo == "1", "compilation_mode": args.compilation_mode},
        ),
    }
    bl.write_json(os.path.join(folder, "summary.json"), {**meta, "summary": rows})
    series = lambda key, scale: [
        (a.name, [(s["t_sec"], s[key] / scale) for s in all_samples if s["allocator"] == a.name]) for a in selected
    ]
    plots.line_chart(
        os.path.join(folder, "throughput.svg"),
        f"{args.name} ({mode}): throughput over time",
        series("ops_per_sec", 1e6),
        "seconds",
        "M ops/s",
    )
    plots.line_chart(
        os.path.join(folder, "rss.svg"),
        f"{args.name} ({mode}): RSS over time",
        series("rss_kb", 1024),
        "seconds",
        "MiB",
    )
    print_table(rows)
    print(f"results: {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
