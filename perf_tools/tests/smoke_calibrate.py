"""Smoke test of calibrate.py on four base copies and one planted level at two seeds, linked in
and preloaded (tiny ITERS,
K=2 pairs, 2 rounds, 2 nulls and 1 planted A/B): the table has every condition with counts that
add up, the planted level costs more exact Ir/op than the base, the power table and the JSON
are written; bad input (K larger than the pool allows, an unknown level, a malformed --planted,
bad TRUE_PCT, nothing to run) exits 2 with one line. The layout-mode statistic itself is checked
on synthetic pairs with a known effect, layout sd and round noise."""

import json
import math
import os
import random
import sys

from ptcheck import check, expect_usage_error, finish, is_chart, run

TINY = {
    "ITERS": "20000",
    "RUNS": "2",
    "WARMUP": "0",
    "LAYOUTS": "2",
    "NULLS": "2",
    "PLANTED_AB": "1",
    "CG_ITERS": "40000",
    "CG_BASE_ITERS": "20000",
    "TRUE_PCT": "1:0.9",
}


def check_statistic():
    """interleave.layout_compare on 400 synthetic A/Bs of 12 pairs x 8 rounds, B 1 % slower, layout
    sd 0.8 % per build, round noise 1.5 %: the estimate is unbiased, the 95 % interval covers the
    truth in about 95 % of them, the between-pair sd comes out near sqrt(2) x 0.8 %; and
    detectable_pct falls with more rounds and more pairs."""
    import interleave as il

    rng = random.Random(3)
    truth, covered, estimates, between = math.log(0.99), 0, [], []
    for _ in range(400):
        pairs = []
        for _ in range(12):
            la, lb = rng.gauss(0, 0.008), rng.gauss(0, 0.008)
            a = [100 * math.exp(la + rng.gauss(0, 0.015)) for _ in range(8)]
            pairs.append((a, [x * math.exp(truth + lb - la + rng.gauss(0, 0.015)) for x in a]))
        cmp = il.layout_compare(pairs)
        covered += cmp["ci95"][0] <= -1.0 <= cmp["ci95"][1]
        estimates.append(cmp["delta_pct"])
        between.append(cmp["between_sd_pct"])
    check(88 <= covered / 4 <= 99, f"layout_compare: 95 % CI covered the truth in {covered / 4:.1f} % of A/Bs")
    check(
        abs(sum(estimates) / len(estimates) + 1.0) < 0.1, f"layout_compare: mean estimate {sum(estimates) / 400:.3f} %"
    )
    check(0.8 < sorted(between)[200] < 1.5, f"layout_compare: median between-pair sd {sorted(between)[200]:.2f} %")
    d = lambda k, r: il.detectable_pct(1.1, 2.0, k, r, 0.5)
    check(d(10, 10) > d(10, 40) > 0.5 and d(10, 10) > d(40, 10), "detectable_pct: more rounds or pairs must help")


def check_preload(tool, args):
    """The same copies' libraries preloaded under the plain Mixed binary (calibrate_preload)."""
    rc, out, err, folder = run(tool, args, {**TINY, "NULLS": "1"})
    if check(rc == 0, f"calibrate preloaded: exit {rc}: {err[-1500:]}"):
        with open(os.path.join(folder, "calibrate.json")) as f:
            data = json.load(f)
        check(data["linkage"] == "preloaded" and "(Mixed, preloaded)" in out, f"preloaded: linkage {data['linkage']}")
        level = next(k for k in data["ir_per_op"] if k != "None")
        check(data["ir_per_op"][level] > data["ir_per_op"]["None"] + 0.5, f"preloaded Ir/op {data['ir_per_op']}")
    expect_usage_error(
        tool,
        [a for a in args if not a.startswith("--plain=")] + ["--plain=/nonexistent"],
        TINY,
        "--plain",
        "a missing plain binary",
    )


def main(argv):
    sep = argv.index("--")
    tool, args = argv[0], argv[1:sep]
    check_preload(tool, argv[sep + 1 :])
    level = next(a for a in args if a.startswith("--planted=")).split("=", 1)[1].split(":")[0]
    rc, out, err, folder = run(tool, args, TINY)
    if check(rc == 0, f"calibrate: exit {rc}: {err[-1500:]}"):
        for needle in (
            "| null-identical |",
            "| null-layouts |",
            f"| planted-{level} |",
            "time +0.90 %",
            "Detectable effect at 80 % power",
            "| 40 |",
            "K = 64 pairs",
        ):
            check(needle in out, f"report lacks {needle!r}:\n{out[:3000]}")
        with open(os.path.join(folder, "calibrate.json")) as f:
            data = json.load(f)
        results = data["results"]
        check(
            [r["condition"] for r in results] == ["null-identical", "null-layouts", f"planted-{level}"],
            f"plan {[r['condition'] for r in results]}",
        )
        check(
            all(r["verdict"] in ("GO", "NEUTRAL", "NO-GO") and len(r["samples"]) == 2 for r in results),
            "every A/B has a verdict and two pairs",
        )
        same = results[0]["seeds"]
        check(all(a == b for a, b in same), f"identical null pairs a binary with itself: {same}")
        check(all(a != b for a, b in results[1]["seeds"]), f"layout null pairs different seeds: {results[1]['seeds']}")
        check(
            data["ir_per_op"][level] > data["ir_per_op"]["None"] + 0.5,
            f"planted level {level} should cost more Ir/op: {data['ir_per_op']}",
        )
        check(is_chart(os.path.join(folder, "calibrate.svg")), "chart missing")
    check_statistic()
    expect_usage_error(tool, args, {**TINY, "LAYOUTS": "3"}, "LAYOUTS=3", "K too large for the pool")
    expect_usage_error(tool, args, {**TINY, "LEVELS": "99"}, "LEVELS", "unknown level")
    expect_usage_error(tool, args + ["--planted=x=/bin/true"], TINY, "--planted", "malformed --planted")
    expect_usage_error(tool, args, {**TINY, "TRUE_PCT": "1:x"}, "TRUE_PCT", "bad TRUE_PCT")
    expect_usage_error(tool, args, {**TINY, "NULLS": "0", "PLANTED_AB": "0"}, "nothing to run", "nothing to run")
    finish("calibrate", "calibrate smoke checks passed")


if __name__ == "__main__":
    main(sys.argv[1:])
