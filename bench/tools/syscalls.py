"""Syscall budget of the mixed workload: hakmem's own counters (HAKMEM_SS_OS_STATS=1 prints
'[SS_OS_STATS] alloc=.. free=.. madvise=.. ... mmap_total=..' on stderr at exit) cross-checked by
`strace -c -f`, for every selected allocator. Each is measured at ITERS and at BASE_ITERS; the
difference is the steady-state churn, reported per 1e8 ops against the seed's budget (<= 1)."""

import os
import shutil
import sys
import tempfile

import allocators as alloc
import benchlib as bl
import tables

TOOL = "syscalls"
MEMORY_SYSCALLS = ("mmap", "munmap", "madvise", "mremap", "brk")
BUDGET_PER_1E8 = 1.0


def parse_os_stats(stderr):
    """The fields of the last [SS_OS_STATS] line, or None when the variant printed none."""
    lines = [l for l in stderr.splitlines() if l.startswith("[SS_OS_STATS]")]
    return bl.parse_key_values(lines[-1][len("[SS_OS_STATS]") :]) if lines else None


def internal_total(stats):
    return sum(stats.get(k, 0) for k in ("mmap_total", "munmap_total", "madvise", "mremap_total"))


def parse_strace_summary(text):
    """{syscall: calls} from the table `strace -c` writes."""
    calls = {}
    for line in text.splitlines():
        tokens = line.split()
        if len(tokens) < 5 or not tokens[0][0].isdigit() or tokens[-1] == "total":
            continue
        calls[tokens[-1]] = int(tokens[3])
    return calls


def run_internal(a, params, iters):
    env = bl.clean_env({**params, **a.env, "ITERS": str(iters), "HAKMEM_SS_OS_STATS": "1"})
    rc, out, err = bl.run_workload([a.binary], env)
    if rc != 0:
        print(f"{TOOL}: error: {a.name} failed (exit {rc}):\n{err.strip()[-1500:]}", file=sys.stderr)
        sys.exit(2 if rc == 2 else 1)
    return bl.parse_result(out), parse_os_stats(err)


def run_strace(a, params, iters):
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as summary:
        env = bl.clean_env({**params, **a.env, "ITERS": str(iters)})
        cmd = ["strace", "-f", "-c", "-o", summary.name, "-e", "trace=" + ",".join(MEMORY_SYSCALLS), a.binary]
        rc, out, err = bl.run_workload(cmd, env)
        if rc != 0:
            sys.exit(f"{TOOL}: strace run of {a.name} failed (exit {rc}): {err.strip()[-800:]}")
        return parse_strace_summary(summary.read())


def per_1e8(count, ops):
    return count * 1e8 / ops if ops > 0 else float("nan")


def measure(a, params, iters, base_iters, use_strace):
    row = {"allocator": a.name, "linkage": a.linkage, "iters": iters, "base_iters": base_iters}
    result, stats = run_internal(a, params, iters)
    row["ops_per_sec"] = result["ops_per_sec"]
    row["ss_os_stats"] = stats
    if stats is not None:
        _, base_stats = run_internal(a, params, base_iters)
        row["internal_total"] = internal_total(stats)
        row["internal_startup"] = internal_total(base_stats or {})
        row["internal_steady_per_1e8"] = per_1e8(row["internal_total"] - row["internal_startup"], iters - base_iters)
    if use_strace:
        big, small = run_strace(a, params, iters), run_strace(a, params, base_iters)
        row["strace_calls"] = big
        row["strace_total"] = sum(big.get(s, 0) for s in MEMORY_SYSCALLS)
        row["strace_startup"] = sum(small.get(s, 0) for s in MEMORY_SYSCALLS)
        row["strace_steady_per_1e8"] = per_1e8(row["strace_total"] - row["strace_startup"], iters - base_iters)
    steady = [row[k] for k in ("strace_steady_per_1e8", "internal_steady_per_1e8") if k in row]
    row["within_budget"] = all(s <= BUDGET_PER_1E8 for s in steady) if steady else None
    return row


def print_table(rows):
    print(
        f"memory syscalls ({'/'.join(MEMORY_SYSCALLS)}); steady = count at ITERS minus count at BASE_ITERS, "
        f"per 1e8 ops (budget <= {BUDGET_PER_1E8:g})"
    )
    head = (
        f"{'allocator':<20} {'internal':>9} {'int.steady/1e8':>15} {'strace':>8} {'strace.steady/1e8':>18}"
        f" {'budget':>7}"
    )
    print(head)
    print("-" * len(head))
    fmt = lambda r, k, f: (f.format(r[k]) if k in r else "-")
    for r in rows:
        verdict = {True: "PASS", False: "OVER", None: "-"}[r["within_budget"]]
        print(
            f"{r['allocator']:<20} {fmt(r, 'internal_total', '{:d}'):>9}"
            f" {fmt(r, 'internal_steady_per_1e8', '{:.3f}'):>15} {fmt(r, 'strace_total', '{:d}'):>8}"
            f" {fmt(r, 'strace_steady_per_1e8', '{:.3f}'):>18} {verdict:>7}"
        )
    for r in rows:
        if r.get("ss_os_stats"):
            print(f"{r['allocator']}: [SS_OS_STATS] " + " ".join(f"{k}={v}" for k, v in r["ss_os_stats"].items()))
        if r.get("strace_calls"):
            print(f"{r['allocator']}: strace -c " + " ".join(f"{k}={v}" for k, v in sorted(r["strace_calls"].items())))


def main(argv):
    args = bl.parse_tool_args(TOOL, __doc__, argv)
    try:
        iters, base_iters = bl.env_iters_pair(100000000, 1000, 10**12)
        use_strace = bl.env_int("STRACE", 1, 0, 1) == 1
        if use_strace and shutil.which("strace") is None:
            raise bl.UsageError("strace is not installed (apt-get install strace), or set STRACE=0")
        selected = alloc.selected_from_args(args, tables.default_set(TOOL))
        params = bl.workload_params(bl.MIXED_PARAMS)
        folder = bl.results_dir(args.name)
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    rows = []
    for a in selected:
        print(
            f"  [{a.name}] ITERS={iters} BASE_ITERS={base_iters}{' (+ strace)' if use_strace else ''}",
            file=sys.stderr,
            flush=True,
        )
        rows.append(measure(a, params, iters, base_iters, use_strace))
    bl.write_json(
        os.path.join(folder, "syscalls.json"),
        {
            "name": args.name,
            "iters": iters,
            "base_iters": base_iters,
            "workload_params": params,
            "memory_syscalls": MEMORY_SYSCALLS,
            "budget_per_1e8_ops": BUDGET_PER_1E8,
            "summary": rows,
            "allocators": [a.describe() for a in selected],
            "machine": bl.machine_info(
                sorted({a.binary for a in selected}),
                {"variant": args.variant, "pgo": args.pgo == "1", "compilation_mode": args.compilation_mode},
            ),
        },
    )
    fields = [
        "allocator",
        "linkage",
        "iters",
        "base_iters",
        "ops_per_sec",
        "internal_total",
        "internal_startup",
        "internal_steady_per_1e8",
        "strace_total",
        "strace_startup",
        "strace_steady_per_1e8",
        "within_budget",
    ]
    bl.write_csv(os.path.join(folder, "syscalls.csv"), fields, [[r.get(f, "") for f in fields] for r in rows])
    print_table(rows)
    print(f"results: {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
