"""CI smoke test of the long-run tools with tiny parameters: soak (single and multi process),
tail-latency proxy, syscall budget, callgrind instructions per operation and the A/B tool must
run, write well-formed CSV/JSON/SVG with the analysis fields filled in, and reject bad input with
exit 2. Never asserts speed or budgets."""

import csv
import json
import os
import shutil
import subprocess
import sys

from smokecheck import check, finish, is_chart, python_env

ALLOCS = "hakmem-fast,system"


def run(tool_cmd, env):
    full = {"PATH": "/usr/bin:/bin", **python_env(), **env}
    return subprocess.run(tool_cmd, env=full, capture_output=True, text=True, timeout=120)


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def smoke_soak(cmd, tmp):
    for mode, extra in (
        ("single", {"DURATION_SEC": "3", "EPOCH_SEC": "1", "WARMUP_SEC": "1"}),
        ("multi", {"DURATION_SEC": "1", "STEP_ITERS": "20000"}),
    ):
        out = os.path.join(tmp, "soak-" + mode)
        proc = run(cmd, {"MODE": mode, "ALLOCATORS": ALLOCS, "WS": "64", "RESULTS_DIR": out, **extra})
        if not check(proc.returncode == 0, f"soak {mode}: exit {proc.returncode}: {proc.stderr[-1500:]}"):
            continue
        check("epoch" in proc.stderr or "sample" in proc.stderr, f"soak {mode}: no progress lines")
        samples = read_csv(os.path.join(out, "samples.csv"))
        check(
            len(samples) >= 2 and all(float(s["ops_per_sec"]) > 0 and int(s["rss_kb"]) > 0 for s in samples),
            f"soak {mode}: bad samples.csv",
        )
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)["summary"]
        check([r["allocator"] for r in summary] == ALLOCS.split(","), f"soak {mode}: allocators {summary}")
        for r in summary:
            for key in ("cv_pct", "tp_drift_pct", "rss_drift_pct", "peak_rss_kb", "start_rss_kb"):
                check(isinstance(r.get(key), (int, float)), f"soak {mode}: {key} missing in {r}")
            if mode == "single":  # epochs start at 0, ~1, ~2 s: the first is the warm-up
                check(r.get("warmup_samples") == 1, f"soak single: warm-up samples {r.get('warmup_samples')}")
        check(
            is_chart(os.path.join(out, "throughput.svg")) and is_chart(os.path.join(out, "rss.svg")),
            f"soak {mode}: SVG charts missing or malformed",
        )
    proc = run(cmd, {"MODE": "sometimes", "RESULTS_DIR": os.path.join(tmp, "bad")})
    check(proc.returncode == 2 and "MODE" in proc.stderr, f"soak MODE=sometimes: exit {proc.returncode}")
    proc = run(cmd, {"DURATION_SEC": "1", "EPOCH_SEC": "5", "RESULTS_DIR": os.path.join(tmp, "bad")})
    check(proc.returncode == 2 and "EPOCH_SEC" in proc.stderr, f"soak EPOCH_SEC>DURATION_SEC: exit {proc.returncode}")
    proc = run(cmd, {"WARMUP_SEC": "-1", "RESULTS_DIR": os.path.join(tmp, "bad")})
    check(proc.returncode == 2 and "WARMUP_SEC" in proc.stderr, f"soak WARMUP_SEC=-1: exit {proc.returncode}")


def smoke_tail(cmd, tmp):
    out = os.path.join(tmp, "tail")
    proc = run(cmd, {"DURATION_SEC": "2", "ALLOCATORS": ALLOCS, "WS": "64", "RESULTS_DIR": out})
    if check(proc.returncode == 0, f"tail: exit {proc.returncode}: {proc.stderr[-1500:]}"):
        rows = read_csv(os.path.join(out, "tail.csv"))
        check(len(rows) == 2, f"tail: {len(rows)} rows in tail.csv")
        for r in rows:
            p50, p99, p999 = float(r["p50_ns"]), float(r["p99_ns"]), float(r["p999_ns"])
            check(0 < p50 <= p99 <= p999, f"tail: percentiles out of order in {r}")
            check(float(r["p99_over_p50"]) >= 1.0, f"tail: p99/p50 < 1 in {r}")
        check(len(read_csv(os.path.join(out, "epochs.csv"))) >= 2, "tail: epochs.csv too short")
        check(is_chart(os.path.join(out, "latency.svg")), "tail: latency.svg missing or malformed")
    proc = run(cmd, {"DURATION_SEC": "1", "RESULTS_DIR": os.path.join(tmp, "bad")})
    check(proc.returncode == 2 and "DURATION_SEC" in proc.stderr, f"tail DURATION_SEC=1: exit {proc.returncode}")


def tool_present(name):
    """True if `name` is on PATH. Missing: skipped by hand, a failure in CI (CI=true), where
    ./bazelw has installed every tool, so a skip there would hide a broken machine."""
    if shutil.which(name):
        return True
    if os.environ.get("CI") == "true":
        check(False, f"{name} is not installed, but CI=true: ./bazelw installs it")
    else:
        print(f"{name} not installed: its checks are skipped", file=sys.stderr)
    return False


def smoke_syscalls(cmd, tmp):
    out = os.path.join(tmp, "syscalls")
    use_strace = "1" if tool_present("strace") else "0"
    proc = run(cmd, {"ITERS": "200000", "ALLOCATORS": ALLOCS, "STRACE": use_strace, "RESULTS_DIR": out})
    if check(proc.returncode == 0, f"syscalls: exit {proc.returncode}: {proc.stderr[-1500:]}"):
        with open(os.path.join(out, "syscalls.json")) as f:
            rows = {r["allocator"]: r for r in json.load(f)["summary"]}
        check(
            rows["hakmem-fast"].get("ss_os_stats") is not None, "syscalls: no [SS_OS_STATS] line parsed for hakmem-fast"
        )
        check("mmap_total" in (rows["hakmem-fast"].get("ss_os_stats") or {}), "syscalls: SS_OS_STATS lacks mmap_total")
        if use_strace == "1":
            for name, r in rows.items():
                check(r.get("strace_total", 0) > 0, f"syscalls: strace counted nothing for {name}")
        check(len(read_csv(os.path.join(out, "syscalls.csv"))) == 2, "syscalls: syscalls.csv row count")
    proc = run(cmd, {"ITERS": "1000", "BASE_ITERS": "1000", "RESULTS_DIR": os.path.join(tmp, "bad")})
    check(proc.returncode == 2 and "BASE_ITERS" in proc.stderr, f"syscalls BASE_ITERS=ITERS: exit {proc.returncode}")


def smoke_instructions(cmd, tmp):
    out = os.path.join(tmp, "instructions")
    if not tool_present("valgrind"):
        return
    proc = run(cmd, {"ITERS": "20000", "BASE_ITERS": "5000", "ALLOCATORS": ALLOCS, "RESULTS_DIR": out})
    if check(proc.returncode == 0, f"instructions: exit {proc.returncode}: {proc.stderr[-1500:]}"):
        rows = read_csv(os.path.join(out, "instructions.csv"))
        check([r["allocator"] for r in rows] == ALLOCS.split(","), f"instructions: rows {rows}")
        check(all(float(r["ir_per_op"]) > 0 for r in rows), f"instructions: Ir/op not positive in {rows}")
    proc = run(cmd, {"ITERS": "1000", "BASE_ITERS": "1000", "RESULTS_DIR": os.path.join(tmp, "bad")})
    check(
        proc.returncode == 2 and "BASE_ITERS" in proc.stderr, f"instructions BASE_ITERS=ITERS: exit {proc.returncode}"
    )


def smoke_ab(tool, bins, libs, tmp):
    """ab.py takes two NAME=BINARY arguments instead of the common tool flags."""
    # Two different allocators, so a tool that ran one binary twice (or swapped A and B) is caught
    # by the allocator each side's RESULT line names.
    cmd = ["/usr/bin/python3", "-B", tool, "fast=" + bins["hakmem-fast"], "glibc=" + bins["system"]]
    proc = run(cmd, {"RUNS": "2", "WARMUP": "0", "ITERS": "20000"})
    if check(proc.returncode == 0, f"ab: exit {proc.returncode}: {proc.stderr[-1500:]}"):
        check(
            "B vs A" in proc.stdout and "CV" in proc.stdout and "per-round ratios" in proc.stdout,
            f"ab: no verdict lines in {proc.stdout}",
        )
        sides = [ln.split() for ln in proc.stdout.splitlines() if ln.strip().startswith(("fast ", "glibc "))]
        check([s[0] for s in sides] == ["fast", "glibc"], f"ab: no per-side lines in {proc.stdout}")
        check(
            len(sides) == 2 and sides[0][-1] != sides[1][-1] and "hakmem" in sides[0][-1],
            f"ab: sides did not run their own binaries: {proc.stdout}",
        )
    preloaded = ["/usr/bin/python3", "-B", tool, "fast=" + bins["plain"], "standard=" + bins["plain"]]
    proc = run(
        preloaded,
        {
            "RUNS": "2",
            "WARMUP": "0",
            "ITERS": "20000",
            "PRELOAD_A": libs["hakmem-fast"],
            "PRELOAD_B": libs["hakmem-standard"],
        },
    )
    check(
        proc.returncode == 0 and "B vs A" in proc.stdout,
        f"ab with PRELOAD_A/B: exit {proc.returncode}: " f"{proc.stderr[-1500:]}",
    )
    # Layout mode: K libraries per side (two copies of each here), pair k of A against pair k of B.
    two = lambda lib: lib + "," + lib
    proc = run(
        preloaded,
        {
            "RUNS": "2",
            "WARMUP": "0",
            "ITERS": "20000",
            "PRELOAD_A": two(libs["hakmem-fast"]),
            "PRELOAD_B": two(libs["hakmem-standard"]),
        },
    )
    if check(proc.returncode == 0, f"ab layout mode: exit {proc.returncode}: {proc.stderr[-1500:]}"):
        pairs = [ln for ln in proc.stdout.splitlines() if ln.strip().startswith("pair ")]
        check(
            len(pairs) == 2 and all("standard#" in ln and "allocator=hakmem-standard" in ln for ln in pairs),
            f"ab layout mode: pair lines {pairs}",
        )
        check("Student t over 2 pairs" in proc.stdout and "-> " in proc.stdout, f"ab layout mode: {proc.stdout}")
    proc = run(preloaded, {"RUNS": "2", "PRELOAD_A": two(libs["hakmem-fast"]), "PRELOAD_B": libs["hakmem-standard"]})
    check(
        proc.returncode == 2 and "pair them" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1,
        f"ab with 2 copies against 1: exit {proc.returncode}: {proc.stderr}",
    )
    proc = run(preloaded, {"RUNS": "2", "PRELOAD_A": "/nonexistent/lib.so"})
    check(proc.returncode == 2 and "PRELOAD_A" in proc.stderr, f"ab with a missing PRELOAD_A: exit {proc.returncode}")
    proc = run(["/usr/bin/python3", "-B", tool, "only-one=" + bins["hakmem-fast"]], {})
    check(proc.returncode == 2 and "NAME=BINARY" in proc.stderr, f"ab with one argument: exit {proc.returncode}")


def main():
    sep = sys.argv.index("--")
    tools = dict(a.split("=", 1) for a in sys.argv[1:sep])
    common = sys.argv[sep + 1 :]
    tmp = os.environ.get("TEST_TMPDIR", "/tmp")
    for name, smoke in (
        ("soak", smoke_soak),
        ("tail", smoke_tail),
        ("syscalls", smoke_syscalls),
        ("instructions", smoke_instructions),
    ):
        smoke(["/usr/bin/python3", "-B", tools[name], "--workload=mixed", "--name=smoke_" + name] + common, tmp)
    bins = dict(a[len("--bin=") :].split("=", 1) for a in common if a.startswith("--bin="))
    libs = dict(a[len("--preload-lib=") :].split("=", 1) for a in common if a.startswith("--preload-lib="))
    smoke_ab(tools["ab"], bins, libs, tmp)
    finish("tools", "soak / tail / syscall / instructions / ab tools smoke checks passed")


if __name__ == "__main__":
    main()
