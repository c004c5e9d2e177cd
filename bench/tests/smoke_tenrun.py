"""CI smoke test of the 10-run runner (tools/tenrun.py): a tiny run (RUNS=2 ITERS=20000, six
allocators) must write well-formed summary.json / summary.csv / runs.csv / comparison.svg with CV
computed and 'vs mi' taken like with like; under the PGO config the default table is the PGO
chain and the output ends with one verdict line per comparison; bad RUNS / ALLOCATORS / PIN /
workload parameters must exit 2 with a clear error."""

import csv
import json
import os
import subprocess
import sys

import allocators as alloc
import tables
from smokecheck import check, finish, is_chart, python_env

SUBSET = [
    tables.default_set("tenrun")[0],
    "libc-same-binary",
    "mimalloc-linked",
    "mimalloc-preload",
    "jemalloc-preload",
    "system",
]
PGO_CONFIG = next(v["name"] for v in tables.load()["variants"] if v["pgo"])


def run_runner(runner_cmd, env):
    full = {"PATH": "/usr/bin:/bin", "TEST_TMPDIR": os.environ.get("TEST_TMPDIR", "/tmp"), **python_env(), **env}
    return subprocess.run(runner_cmd, env=full, capture_output=True, text=True, timeout=240)


def check_outputs(folder):
    with open(os.path.join(folder, "summary.json")) as f:
        data = json.load(f)
    check(data["runs_per_allocator"] == 2, "summary.json: runs_per_allocator != 2")
    check([r["allocator"] for r in data["summary"]] == SUBSET, f"summary.json: allocators {data['summary']}")
    for row in data["summary"]:
        check(row["n"] == 2, f"{row['allocator']}: n={row['n']}")
        check(isinstance(row["cv_pct"], float) and row["cv_pct"] >= 0, f"{row['allocator']}: cv_pct={row['cv_pct']}")
        check(row["min"] <= row["median"] <= row["max"] and row["mean"] > 0, f"{row['allocator']}: bad stats {row}")
        check(row["peak_rss_kb"] > 0, f"{row['allocator']}: peak_rss_kb={row['peak_rss_kb']}")
        check(row["linkage"] in ("same-binary", "linked", "preload"), f"{row['allocator']}: linkage={row['linkage']}")
    by_name = {r["allocator"]: r for r in data["summary"]}
    for row in data["summary"]:  # each ratio: that allocator's median over mimalloc's, same linkage
        ref = "mimalloc-preload" if row["linkage"] == "preload" else "mimalloc-linked"
        want = row["median"] / by_name[ref]["median"]
        check(
            row["vs_mimalloc"] == ref and abs(row["ratio_median_vs_mimalloc"] - want) <= 1e-9 * want,
            f"{row['allocator']}: ratio {row['ratio_median_vs_mimalloc']} vs {row['vs_mimalloc']}, "
            f"expected median/{ref} {want}",
        )
    check(len({row["median"] for row in data["summary"]}) > 1, "every allocator has the same median")
    for key in ("cpu_model", "nproc", "kernel", "compiler", "build", "git_revision", "date"):
        check(key in data["machine"], f"summary.json: machine info lacks {key}")
    check(len(data["runs"]) == 2 * len(SUBSET), f"summary.json: {len(data['runs'])} runs recorded")
    with open(os.path.join(folder, "summary.csv")) as f:
        rows = list(csv.DictReader(f))
    check(len(rows) == len(SUBSET), f"summary.csv: {len(rows)} rows")
    for row in rows:
        try:
            check(float(row["cv_pct"]) >= 0 and float(row["median"]) > 0, f"summary.csv: bad row {row}")
        except (KeyError, ValueError):
            check(False, f"summary.csv: non-numeric row {row}")
    with open(os.path.join(folder, "runs.csv")) as f:
        check(len(list(csv.DictReader(f))) == 2 * len(SUBSET), "runs.csv: wrong row count")
    check(is_chart(os.path.join(folder, "comparison.svg")), "comparison.svg/.png missing or not a chart")


def check_verdicts(stdout, comparisons):
    """The output ends with one VERDICT line per comparison: B vs A, its linkage (both sides of
    one linkage), the delta with its interval, the verdict."""
    lines = stdout.rstrip("\n").splitlines()[-len(comparisons) :]
    check(len(comparisons) == 6, f"expected 6 comparisons (3 pairs x 2 linkages), got {comparisons}")
    for line, (linkage, a, b) in zip(lines, comparisons):
        words = line.split()
        check(
            line.startswith(f"VERDICT {b} vs {a} ") and f"({linkage})" in line,
            f"verdict line {line!r}: expected {b} vs {a}",
        )
        check(words[-1] in ("GO", "NO-GO", "NEUTRAL") and "%" in line and "[" in line, f"verdict line {line!r}")
        check((a.endswith("-preload") == b.endswith("-preload")), f"{line!r} compares two linkages")


def main():
    sep = sys.argv.index("--")
    runner = sys.argv[sys.argv.index("--runner") + 1]
    runner_cmd = ["/usr/bin/python3", "-B", runner] + sys.argv[sep + 1 :]
    tmp = os.environ.get("TEST_TMPDIR", "/tmp")
    good = {"RUNS": "2", "ITERS": "20000", "ALLOCATORS": ",".join(SUBSET), "RESULTS_DIR": os.path.join(tmp, "ok")}
    proc = run_runner(runner_cmd, good)
    if check(proc.returncode == 0, f"runner failed (exit {proc.returncode}): {proc.stderr[-2000:]}"):
        check("CV%" in proc.stdout and "mimalloc-linked" in proc.stdout, "runner printed no table")
        check_outputs(good["RESULTS_DIR"])
    # Under the PGO config the default table puts the PGO build beside FAST, linked in and preloaded.
    pgo = {"RUNS": "2", "WARMUP": "0", "ITERS": "20000", "RESULTS_DIR": os.path.join(tmp, "pgo")}
    proc = run_runner(runner_cmd + ["--variant=" + PGO_CONFIG], pgo)
    if check(proc.returncode == 0, f"{PGO_CONFIG} default set failed (exit {proc.returncode}): {proc.stderr[-2000:]}"):
        with open(os.path.join(pgo["RESULTS_DIR"], "summary.json")) as f:
            shown = [r["allocator"] for r in json.load(f)["summary"]]
        want = alloc.config_default_sets()[PGO_CONFIG]
        check(shown == want, f"{PGO_CONFIG} default set: {shown}, expected {want}")
        check_verdicts(proc.stdout, alloc.config_comparisons(PGO_CONFIG))
    bad_cases = [
        ({"RUNS": "abc"}, "RUNS"),
        ({"RUNS": "0"}, "RUNS"),
        ({"ALLOCATORS": "hakmem-fast,bogus"}, "bogus"),
        ({"PIN": "99999"}, "PIN"),
        ({"ITERS": "0"}, "ITERS"),
        ({"WS": "many"}, "WS"),
    ]
    for env, word in bad_cases:
        proc = run_runner(
            runner_cmd, {**good, "RUNS": "1", "WARMUP": "0", "RESULTS_DIR": os.path.join(tmp, "bad"), **env}
        )
        check(proc.returncode == 2, f"{env}: exit {proc.returncode}, expected 2")
        check("error" in proc.stderr and word in proc.stderr, f"{env}: unclear error: {proc.stderr.strip()[-300:]!r}")
    finish("10-run runner", "10-run runner smoke checks passed")


if __name__ == "__main__":
    main()
