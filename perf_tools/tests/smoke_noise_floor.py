"""Smoke test of noise_floor.py on the first two shuffled-layout copies (tiny ITERS, 2 rounds):
the report names every copy, the variance components and a floor, the JSON holds a non-negative
floor equal to 1.96 sqrt(2) sigma_L and per-copy medians, the charts are drawn; --reanalyse of
that JSON gives the same floor; the components recover a planted layout sd from a synthetic
matrix; bad input (one copy, a missing binary, bad RUNS, UPDATE_FLOOR outside bazel run, a
--reanalyse file that is no result) exits 2 with one line."""

import json
import math
import os
import random
import sys

from ptcheck import check, expect_usage_error, finish, is_chart, run

TINY = {"ITERS": "20000", "RUNS": "2", "WARMUP": "0"}


def check_components():
    """noise_floor.components on a synthetic 24 copies x 40 rounds matrix with sigma_L = 1 %,
    sigma_e = 2 % and a round drift: the estimate lands near 1 %, not near the raw scatter."""
    import noise_floor

    rng = random.Random(7)
    layout = [rng.gauss(0, 0.01) for _ in range(24)]
    drift = [rng.gauss(0, 0.05) for _ in range(40)]
    matrix = [[4.5 + l + d + rng.gauss(0, 0.02) for d in drift] for l in layout]
    sd_l, sd_e = noise_floor.components(matrix)
    check(0.006 < sd_l < 0.015 and 0.018 < sd_e < 0.022, f"components: sigma_L {sd_l}, sigma_e {sd_e}")


def main(argv):
    tool, args = argv[0], argv[1:]
    copies = [a.split("=", 2)[1] for a in args if a.startswith("--copy=")]
    rc, out, err, folder = run(tool, ["--name=smoke"] + args, TINY)
    if check(rc == 0, f"noise_floor: exit {rc}: {err[-1500:]}"):
        check(all(c in out for c in copies) and "Layout-noise floor:" in out, f"report lacks copies or floor:\n{out}")
        with open(os.path.join(folder, "noise_floor.json")) as f:
            data = json.load(f)
        check(
            data["floor_pct"] >= 0 and set(data["floors"]) == {"linked", "preload"},
            f"noise_floor.json: floor {data.get('floor_pct')} groups {list(data.get('floors', {}))}",
        )
        for group in ("linked", "preload"):
            medians = data["floors"][group]["medians"]
            check(len(medians) == len(copies) and all(v > 0 for v in medians.values()), f"{group} medians {medians}")
            check(is_chart(os.path.join(folder, f"spread_{group}.svg")), f"spread_{group} chart missing")
            check(is_chart(os.path.join(folder, f"rounds_{group}.svg")), f"rounds_{group} chart missing")
        check(os.path.isfile(os.path.join(folder, "noise_floor.md")), "noise_floor.md missing")
        for group, f in data["floors"].items():
            check(
                abs(f["floor_pct"] - 1.96 * math.sqrt(2) * f["layout_sd_pct"]) < 1e-9 and f["within_sd_pct"] > 0,
                f"{group}: floor {f['floor_pct']} vs layout sd {f['layout_sd_pct']}",
            )
        check("layout (sigma_L)" in out and "one run (sigma_e)" in out, "report lacks the variance components")
        again_rc, again, err2, _ = run(tool, ["--name=smoke", f"--reanalyse={folder}/noise_floor.json"], TINY)
        check(
            again_rc == 0 and f"**Layout-noise floor: {data['floor_pct']:.2f} %**" in again,
            f"--reanalyse: exit {again_rc}, floor not {data['floor_pct']:.2f}: {err2[-600:]}",
        )
        bad = os.path.join(folder, "noise_floor.md")
        expect_usage_error(
            tool, ["--name=smoke", f"--reanalyse={bad}"], TINY, "--reanalyse", "--reanalyse of a non-result"
        )
    check_components()
    first = next(a for a in args if a.startswith("--copy="))
    expect_usage_error(tool, ["--name=smoke", first], TINY, "at least two", "one copy")
    expect_usage_error(tool, ["--name=smoke", first, "--copy=x=/nonexistent"], TINY, "/nonexistent", "missing binary")
    expect_usage_error(tool, ["--name=smoke"] + args, {**TINY, "RUNS": "x"}, "RUNS", "bad RUNS")
    expect_usage_error(
        tool, ["--name=smoke"] + args, {**TINY, "UPDATE_FLOOR": "1"}, "bazel run", "UPDATE_FLOOR outside bazel run"
    )
    finish("noise_floor", "noise_floor smoke checks passed")


if __name__ == "__main__":
    main(sys.argv[1:])
