"""A/B test of two builds of one workload (a research box on and off, two gate constants):
runs A and B interleaved (A B, B A, A B ...), WARMUP discarded rounds first, RUNS measured rounds,
and applies the seed's decision rule to the ratio of means: a build-level change is GO at
>= +0.5 %, NO-GO at <= -0.5 %, NEUTRAL between (KIND=runtime: +-1.0 %). Also prints the median
of the per-round B/A ratios, which noise bursts shared by a round's A and B do not move.

usage: ab.py NAME_A=BINARY_A NAME_B=BINARY_B   (workload parameters from the environment,
        e.g. ITERS=20000000 WS=400; PIN=cpu pins every run; RUNS, WARMUP, KIND; PRELOAD_A /
        PRELOAD_B: a library to LD_PRELOAD under that side, e.g. two hakmem variants' .so files
        under one plain binary)"""

import os
import sys

import benchlib as bl
import interleave as il

TOOL = "ab"
RUN_PARAMS = ("ITERS", "WS", "MIN", "MAX", "SEED", "THREADS", "PRODUCERS", "CONSUMERS", "QUEUE")


def main(argv):
    try:
        if len(argv) != 2 or any("=" not in a for a in argv):
            raise bl.UsageError("expected two arguments NAME=BINARY (A, then B)")
        (name_a, bin_a), (name_b, bin_b) = (bl.split_key_value(a, "argument") for a in argv)
        for path in (bin_a, bin_b):
            if not os.access(path, os.X_OK):
                raise bl.UsageError(f"{path} is not an executable file")
        runs = bl.env_int("RUNS", 10, 2, 1000)
        warmup = bl.env_int("WARMUP", 1, 0, 100)
        kind = os.environ.get("KIND", "build")
        if kind not in il.THRESHOLD_PCT:
            raise bl.UsageError(f"KIND='{kind}' (expected build or runtime)")
        pin = bl.pin_prefix(os.environ.get("PIN", ""))
        sides = []
        for side, name, binary in (("A", name_a, bin_a), ("B", name_b, bin_b)):
            lib = os.environ.get("PRELOAD_" + side, "")
            if lib and not os.path.isfile(lib):
                raise bl.UsageError(f"PRELOAD_{side}={lib} is not a file")
            sides.append(il.Side(name, binary, {"LD_PRELOAD": os.path.abspath(lib)} if lib else {}))
        if name_a == name_b:
            raise bl.UsageError(f"both sides are named '{name_a}'")
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    params = {k: v for k, v in os.environ.items() if k in RUN_PARAMS}
    samples, reported, _ = il.run_rounds(TOOL, sides, runs, warmup, bl.clean_env(params), pin)
    stats = {name: bl.summarize(values) for name, values in samples.items()}
    cmp = il.compare(samples[name_a], samples[name_b])
    delta = cmp["delta_mean_pct"]
    verdict, limit = il.verdict(cmp["delta_mean_ci95"], kind)
    print(f"A/B, {runs} interleaved rounds after {warmup} warm-up, params {params or 'defaults'}")
    for name in (name_a, name_b):
        s = stats[name]
        print(f"  {name:<24} mean {s['mean']:8.2f}  median {s['median']:8.2f}  min {s['min']:8.2f}"
              f"  max {s['max']:8.2f} M ops/s  CV {s['cv_pct']:.2f} %  (allocator={reported[name]})")
    lo, hi = cmp["delta_mean_ci95"]
    print(f"B vs A (means): {delta:+.2f} % [95 % CI {lo:+.2f}, {hi:+.2f}]  -> {verdict}"
          f" ({kind}-level rule: GO/NO-GO only when the whole interval is beyond +-{limit} %)")
    # The median of per-round ratios is the robust cross-check: bursts of host noise that hit a
    # round's A and B alike do not move it.
    q = cmp["paired_pct"]
    print(f"B vs A (median of the {runs} per-round ratios): {q['median']:+.2f} %"
          f"  (min {q['min']:+.2f} %, max {q['max']:+.2f} %)")


if __name__ == "__main__":
    main(sys.argv[1:])
