"""Smoke test of hot.py on two shuffled-layout copies of FAST, with tiny iteration counts:
callgrind's exact Ir/op is the same for both (same code), malloc and free (or the loop ThinLTO
inlines them into) lead the list and hakmem's functions are named,
the diff table is written; perf's table appears when perf can sample here and is absent with
PERF=0; bad input (unknown allocator, three sides, bad ITERS pair) exits 2 with one line."""

import json
import os
import sys

from ptcheck import check, expect_usage_error, finish, run

TINY = {"ITERS": "40000", "BASE_ITERS": "20000", "PERF_ITERS": "200000"}


def main(argv):
    tool, args = argv[0], argv[1:]
    copies = [a.split("=", 2)[2] for a in args if a.startswith("--copy=")]
    bins = [f"--bin=hakmem-a={copies[0]}", f"--bin=hakmem-b={copies[1]}"]
    rc, out, err, folder = run(tool, bins + ["--top=10", "hakmem-a", "hakmem-b"], {**TINY, "PERF": "0"})
    if check(rc == 0, f"hot PERF=0: exit {rc}: {err[-1500:]}"):
        with open(os.path.join(folder, "hot.json")) as f:
            data = json.load(f)
        a, b = data["profiles"]
        names = [r["function"] for r in a["callgrind"]]
        # Linked in with ThinLTO, malloc and free may be inlined into the workload's loop (run_ops):
        # then that loop is the hottest entry; hakmem's own slow paths are named either way.
        inlined = names[:1] == ["run_ops"]
        check(
            ("malloc" in names and "free" in names) or inlined,
            f"neither malloc/free nor the loop they inline into leads the callgrind list: {names[:12]}",
        )
        check(any(n.startswith("hak_") for n in names), f"no hakmem function in the callgrind list: {names[:12]}")
        check(
            abs(a["cg_total"] - b["cg_total"]) < 0.5 and a["cg_total"] > 10,
            f"same code, other layout: Ir/op {a['cg_total']} vs {b['cg_total']}",
        )
        check(
            "### Diff hakmem-a -> hakmem-b: callgrind" in out and "perf cpu-clock" not in out,
            "PERF=0 report: diff missing or perf table present",
        )
    rc, out, err, _ = run(tool, bins + ["--top=5", "hakmem-a"], TINY)
    if rc == 0:
        check("perf cpu-clock samples" in out and "hardware counters:" in out, f"perf table missing:\n{out[:2000]}")
    else:  # perf unusable inside this sandbox: the tool must say so in one line
        check(rc == 2 and len(err.strip().splitlines()) == 1 and "perf" in err, f"perf failure not one line: {err}")
    expect_usage_error(tool, bins + ["hakmem-zzz"], TINY, "hakmem-zzz", "unknown allocator")
    expect_usage_error(tool, bins + ["hakmem-a", "hakmem-b", "hakmem-a"], TINY, "two", "three sides")
    expect_usage_error(tool, bins + ["hakmem-a"], {**TINY, "BASE_ITERS": "40000"}, "BASE_ITERS", "bad ITERS pair")
    finish("hot", "hot smoke checks passed")


if __name__ == "__main__":
    main(sys.argv[1:])
