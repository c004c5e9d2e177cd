"""Smoke test of noise_floor.py on the first two shuffled-layout copies (tiny ITERS, 2 rounds):
the report names every copy and a floor, the JSON holds a non-negative floor and per-copy
medians, the charts are drawn; bad input (one copy, a missing binary, bad RUNS, UPDATE_FLOOR
outside bazel run) exits 2 with one line."""

import json
import os
import sys

from ptcheck import check, expect_usage_error, finish, is_chart, run

TINY = {"ITERS": "20000", "RUNS": "2", "WARMUP": "0"}


def main(argv):
    tool, args = argv[0], argv[1:]
    copies = [a.split("=", 2)[1] for a in args if a.startswith("--copy=")]
    rc, out, err, folder = run(tool, ["--name=smoke"] + args, TINY)
    if check(rc == 0, f"noise_floor: exit {rc}: {err[-1500:]}"):
        check(all(c in out for c in copies) and "Layout-noise floor:" in out, f"report lacks copies or floor:\n{out}")
        with open(os.path.join(folder, "noise_floor.json")) as f:
            data = json.load(f)
        check(data["floor_pct"] >= 0 and set(data["floors"]) == {"linked", "preload"},
              f"noise_floor.json: floor {data.get('floor_pct')} groups {list(data.get('floors', {}))}")
        for group in ("linked", "preload"):
            medians = data["floors"][group]["medians"]
            check(len(medians) == len(copies) and all(v > 0 for v in medians.values()), f"{group} medians {medians}")
            check(is_chart(os.path.join(folder, f"spread_{group}.svg")), f"spread_{group} chart missing")
            check(is_chart(os.path.join(folder, f"rounds_{group}.svg")), f"rounds_{group} chart missing")
        check(os.path.isfile(os.path.join(folder, "noise_floor.md")), "noise_floor.md missing")
    first = next(a for a in args if a.startswith("--copy="))
    expect_usage_error(tool, ["--name=smoke", first], TINY, "at least two", "one copy")
    expect_usage_error(tool, ["--name=smoke", first, "--copy=x=/nonexistent"], TINY, "/nonexistent", "missing binary")
    expect_usage_error(tool, ["--name=smoke"] + args, {**TINY, "RUNS": "x"}, "RUNS", "bad RUNS")
    expect_usage_error(tool, ["--name=smoke"] + args, {**TINY, "UPDATE_FLOOR": "1"}, "bazel run", "UPDATE_FLOOR outside bazel run")
    finish("noise_floor", "noise_floor smoke checks passed")


if __name__ == "__main__":
    main(sys.argv[1:])
