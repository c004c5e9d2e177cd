"""A/B test of two builds of one workload (a research box on and off, two gate constants):
runs A and B interleaved (A B, B A, A B ...), WARMUP discarded rounds first, RUNS measured rounds,
and applies the seed's decision rule to the 95 % CI of the ratio of means: a build-level change is GO
when the whole CI is at >= +0.5 %, NO-GO at <= -0.5 %, NEUTRAL otherwise (KIND=runtime: +-1.0 %). Also prints the median
of the per-round B/A ratios, which noise bursts shared by a round's A and B do not move.

usage: ab.py NAME_A=BINARY_A NAME_B=BINARY_B   (workload parameters from the environment,
        e.g. ITERS=20000000 WS=400; PIN=cpu pins every run; RUNS, WARMUP, KIND; PRELOAD_A /
        PRELOAD_B: a library to LD_PRELOAD under that side, e.g. two hakmem variants' .so files
        under one plain binary)
  layout mode: NAME_A=BIN1,BIN2,..,BINK NAME_B=BIN1,..,BINK (or PRELOAD_A / PRELOAD_B as K
        comma-separated libraries): K shuffled-layout copies per side, copy k of A paired with
        copy k of B (build them with the same seeds), judged over pairs (docs/perf_tools.md)"""

import os
import statistics
import sys

import benchlib as bl
import interleave as il

TOOL = "ab"
RUN_PARAMS = ("ITERS", "WS", "MIN", "MAX", "SEED", "THREADS", "PRODUCERS", "CONSUMERS", "QUEUE")


def side_copies(side, name, binaries):
    """The side's copies as il.Side: K binaries, or one binary under K PRELOAD_<side> libraries."""
    bins = binaries.split(",")
    libs = [l for l in os.environ.get("PRELOAD_" + side, "").split(",") if l]
    for path in bins:
        if not os.access(path, os.X_OK):
            raise bl.UsageError(f"{path} is not an executable file")
    for lib in libs:
        if not os.path.isfile(lib):
            raise bl.UsageError(f"PRELOAD_{side}: {lib} is not a file")
    k = max(len(bins), len(libs))
    if len(bins) not in (1, k) or len(libs) not in (0, 1, k):
        raise bl.UsageError(
            f"side {side}: {len(bins)} binaries and {len(libs)} PRELOAD_{side} libraries do not pair up"
        )
    pick = lambda items, i: items[i if len(items) > 1 else 0]
    return [
        il.Side(
            f"{name}#{i + 1}" if k > 1 else name,
            pick(bins, i),
            {"LD_PRELOAD": os.path.abspath(pick(libs, i))} if libs else {},
        )
        for i in range(k)
    ]


def layout_ab(copies, kind, runs, warmup, params, pin):
    """Layout mode: copy k of A against copy k of B, back to back in every round (il.run_pairs),
    judged by il.layout_compare (Student t over pairs; the band is the threshold alone)."""
    pairs = list(zip(*copies))
    got, reported, _ = il.run_pairs(TOOL, pairs, runs, warmup, bl.clean_env(params), pin)
    cmp = il.layout_compare(got)
    verdict, limit = il.verdict(cmp["ci95"], kind)
    lo, hi = cmp["ci95"]
    print(
        f"A/B, layout mode: {len(pairs)} pairs of layout copies, {runs} rounds after {warmup} warm-up, "
        f"params {params or 'defaults'}"
    )
    for k, ((a, b), (av, bv)) in enumerate(zip(pairs, got)):
        print(
            f"  pair {k + 1}: {a.name} median {statistics.median(av):8.2f}, {b.name} median "
            f"{statistics.median(bv):8.2f} M ops/s, B vs A {cmp['pair_pct'][k]:+.2f} % (allocator={reported[b.name]})"
        )
    print(
        f"B vs A (mean over pairs of the median per-round ratio): {cmp['delta_pct']:+.2f} % "
        f"[95 % CI {lo:+.2f}, {hi:+.2f}, Student t over {len(pairs)} pairs]  -> {verdict}"
        f" ({kind}-level rule: GO/NO-GO only when the whole interval is beyond +-{limit} %)"
    )
    print(
        f"sd between pairs (layout) {cmp['between_sd_pct']:.2f} %, within a pair (rounds) {cmp['within_sd_pct']:.2f} %"
    )


def main(argv):
    try:
        if len(argv) != 2 or any("=" not in a for a in argv):
            raise bl.UsageError("expected two arguments NAME=BINARY (A, then B)")
        (name_a, bin_a), (name_b, bin_b) = (bl.split_key_value(a, "argument") for a in argv)
        runs = bl.env_int("RUNS", 10, 2, 1000)
        warmup = bl.env_int("WARMUP", 1, 0, 100)
        kind = os.environ.get("KIND", "build")
        if kind not in il.THRESHOLD_PCT:
            raise bl.UsageError(f"KIND='{kind}' (expected build or runtime)")
        pin = bl.pin_prefix(os.environ.get("PIN", ""))
        copies = [side_copies(s, n, b) for s, n, b in (("A", name_a, bin_a), ("B", name_b, bin_b))]
        if len(copies[0]) != len(copies[1]):
            raise bl.UsageError(f"A has {len(copies[0])} layout copies, B {len(copies[1])}: pair them one to one")
        if name_a == name_b:
            raise bl.UsageError(f"both sides are named '{name_a}'")
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    params = {k: v for k, v in os.environ.items() if k in RUN_PARAMS}
    if len(copies[0]) > 1:
        layout_ab(copies, kind, runs, warmup, params, pin)
        return
    sides = [c[0] for c in copies]
    samples, reported, _ = il.run_rounds(TOOL, sides, runs, warmup, bl.clean_env(params), pin)
    stats = {name: bl.summarize(values) for name, values in samples.items()}
    cmp = il.compare(samples[name_a], samples[name_b])
    delta = cmp["delta_mean_pct"]
    verdict, limit = il.verdict(cmp["delta_mean_ci95"], kind)
    print(f"A/B, {runs} interleaved rounds after {warmup} warm-up, params {params or 'defaults'}")
    for name in (name_a, name_b):
        s = stats[name]
        print(
            f"  {name:<24} mean {s['mean']:8.2f}  median {s['median']:8.2f}  min {s['min']:8.2f}"
            f"  max {s['max']:8.2f} M ops/s  CV {s['cv_pct']:.2f} %  (allocator={reported[name]})"
        )
    lo, hi = cmp["delta_mean_ci95"]
    print(
        f"B vs A (means): {delta:+.2f} % [95 % CI {lo:+.2f}, {hi:+.2f}]  -> {verdict}"
        f" ({kind}-level rule: GO/NO-GO only when the whole interval is beyond +-{limit} %)"
    )
    # The median of per-round ratios is the robust cross-check: bursts of host noise that hit a
    # round's A and B alike do not move it.
    q = cmp["paired_pct"]
    print(
        f"B vs A (median of the {runs} per-round ratios): {q['median']:+.2f} %"
        f"  (min {q['min']:+.2f} %, max {q['max']:+.2f} %)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
