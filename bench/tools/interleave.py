"""The interleaved run protocol and the A/B decision rule, shared by //bench:ab and perf_tools/
(noise floor, research-box A/B, review): every round runs each side once, so slow drifts of a
shared machine hit all sides alike, and the order rotates from round to round (A B, B A, ...;
C1..CK, C2..CK C1, ...) so no side always runs first; per-round ratios, a bootstrap confidence
interval over rounds and the seed's verdict, taken from that interval (never from the point
estimate alone), which a measured layout-noise floor can only make stricter. Layout mode
(run_pairs, layout_compare): K shuffled-layout copies per side, paired by seed and run back to
back, with a Student t interval over the pairs that holds the layout variance itself."""

import math
import random
import statistics
import sys

import benchlib as bl

# The seed's rule: a build-level change is GO at >= +0.5 %, a run-time one at >= +1.0 %.
THRESHOLD_PCT = {"build": 0.5, "runtime": 1.0}


class Side:
    """One thing to time: a workload binary plus the environment that picks its allocator."""

    def __init__(self, name, binary, env=None):
        self.name = name
        self.binary = binary
        self.env = env or {}


def rotated(items, round_no):
    """The order of round `round_no`: items shifted by one place per round. With a fixed order, a
    side that always runs right after another inherits what that run leaves behind (caches,
    scheduler, a host burst), the same way every round."""
    shift = round_no % len(items)
    return items[shift:] + items[:shift]


def run_rounds(tool, sides, runs, warmup, env, pin, progress=False):
    """Runs every side once per round, WARMUP discarded rounds then RUNS kept ones. Returns
    ({name: [M ops/s per kept round]}, {name: allocator its RESULT line reported}, {name: [peak RSS kB]})."""
    samples = {s.name: [] for s in sides}
    rss = {s.name: [] for s in sides}
    reported = {}
    for round_no in range(warmup + runs):
        if progress:
            print(f"  [{tool}] round {round_no + 1}/{warmup + runs}", file=sys.stderr, flush=True)
        for side in rotated(sides, round_no):
            result = _run(tool, side, env, pin)
            reported[side.name] = result["allocator"]
            if round_no >= warmup:
                samples[side.name].append(result["ops_per_sec"] / 1e6)
                rss[side.name].append(result["peak_rss_kb"])
    return samples, reported, rss


def _run(tool, side, env, pin):
    rc, out, err = bl.run_workload(pin + [side.binary], {**env, **side.env})
    if rc != 0:
        sys.exit(f"{tool}: {side.name} ({side.binary}) failed (exit {rc}): {err.strip()[-800:]}")
    return bl.parse_result(out)


def run_pairs(tool, pairs, runs, warmup, env, pin, progress=False):
    """Layout mode: pairs = [(A side, B side)], one per shuffled-layout seed (the same seed on both
    sides). Every round runs each pair's A and B back to back, so the machine's speed level (it
    can switch by ~1.4x for minutes) is the same for both halves of a ratio; which half runs
    first alternates by round and pair, and the pairs' order rotates. Returns
    ([(A values, B values) per pair, M ops/s per kept round], {side name: allocator reported},
    {side name: [peak RSS kB]})."""
    samples = [([], []) for _ in pairs]
    reported, rss = {}, {}
    for round_no in range(warmup + runs):
        if progress:
            print(
                f"  [{tool}] round {round_no + 1}/{warmup + runs} ({len(pairs)} layout pairs)",
                file=sys.stderr,
                flush=True,
            )
        shift = round_no % len(pairs)
        for k in list(range(shift, len(pairs))) + list(range(shift)):
            order = (0, 1) if (round_no + k) % 2 == 0 else (1, 0)
            got = {}
            for half in order:
                side = pairs[k][half]
                result = _run(tool, side, env, pin)
                reported[side.name] = result["allocator"]
                rss.setdefault(side.name, []).append(result["peak_rss_kb"])
                got[half] = result["ops_per_sec"] / 1e6
            if round_no >= warmup:
                samples[k][0].append(got[0])
                samples[k][1].append(got[1])
    return samples, reported, rss


def t_quantile(p, df):
    """Student t quantile (scipy, Debian python3-scipy)."""
    from scipy import stats

    return float(stats.t.ppf(p, df))


def to_pct(log_ratio):
    return 100.0 * math.expm1(log_ratio)


# Variance of a median of R normal draws relative to that of their mean (asymptotically pi/2):
# the factor that turns the within-pair round variance into the variance of a pair's estimate.
MEDIAN_VARIANCE_FACTOR = math.pi / 2


def layout_compare(pair_samples, level=0.95):
    """The layout-mode statistic. Per pair k (seed k on both sides): d_kr = ln(B/A) of round r's
    back-to-back runs; the pair's estimate is the median of its d_kr (a round caught by a switch
    of the machine's speed level is an outlier, and a median ignores it). The A/B's estimate is
    the mean of the K pair estimates and its interval Student t with K - 1 degrees of freedom
    over them: the pairs are independent draws of layout, so their scatter holds both the
    layout variance and the rounds' sampling noise, and no floor has to be added.
    Also: the pooled within-pair sd of d_kr and the between-pair sd left after removing the
    sampling part (the layout component), both in % (log scale x 100)."""
    logs = [[math.log(b / a) for a, b in zip(av, bv)] for av, bv in pair_samples]
    est = [statistics.median(d) for d in logs]
    k, rounds = len(est), min(len(d) for d in logs)
    mean = statistics.fmean(est)
    sd = statistics.stdev(est) if k > 1 else 0.0
    half = t_quantile((1 + level) / 2, k - 1) * sd / math.sqrt(k) if k > 1 else math.inf
    within = statistics.fmean([statistics.variance(d) for d in logs]) if rounds > 1 else 0.0
    between = max(0.0, sd**2 - MEDIAN_VARIANCE_FACTOR * within / rounds)
    return {
        "delta_pct": to_pct(mean),
        "ci95": (to_pct(mean - half), to_pct(mean + half)),
        "pairs": k,
        "rounds": rounds,
        "pair_pct": [to_pct(e) for e in est],
        "pair_sd_pct": 100.0 * sd,
        "within_sd_pct": 100.0 * math.sqrt(within),
        "between_sd_pct": 100.0 * math.sqrt(between),
    }


def detectable_pct(between_sd_pct, within_sd_pct, pairs, rounds, threshold_pct, power=0.8, level=0.95):
    """The smallest true effect that a layout-mode A/B of `pairs` pairs and `rounds` rounds calls
    GO (or NO-GO) with probability `power`: its whole interval must clear the threshold, so
    effect = threshold + (t_(1+level)/2 + t_power) * SE, SE^2 = (between^2 + factor * within^2 /
    rounds) / pairs (normal model, the variance components as measured)."""
    se = math.sqrt((between_sd_pct**2 + MEDIAN_VARIANCE_FACTOR * within_sd_pct**2 / rounds) / pairs)
    return threshold_pct + (t_quantile((1 + level) / 2, pairs - 1) + t_quantile(power, pairs - 1)) * se


def paired_pct(a_values, b_values):
    """B/A - 1 in % per round: A and B of one round ran back to back, so their ratio cancels
    drifts and bursts of host noise that hit both."""
    return [100.0 * (b / a - 1.0) for a, b in zip(a_values, b_values)]


def bootstrap_ci(a_values, b_values, stat, resamples=2000, level=0.95, seed=1):
    """Percentile bootstrap over rounds (a round's A and B stay paired) of
    100 * (stat(B) / stat(A) - 1); `stat` is statistics.fmean or statistics.median."""
    rng = random.Random(seed)
    n = len(a_values)
    deltas = []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        a = stat([a_values[i] for i in idx])
        b = stat([b_values[i] for i in idx])
        deltas.append(100.0 * (b / a - 1.0))
    deltas.sort()
    lo = deltas[int((1.0 - level) / 2 * resamples)]
    hi = deltas[min(resamples - 1, int((1.0 + level) / 2 * resamples))]
    return lo, hi


def compare(a_values, b_values):
    """Delta of means and of medians (with 95 % bootstrap CIs) and the per-round ratios of B vs A."""
    mean_a, mean_b = statistics.fmean(a_values), statistics.fmean(b_values)
    med_a, med_b = statistics.median(a_values), statistics.median(b_values)
    return {
        "delta_mean_pct": 100.0 * (mean_b / mean_a - 1.0),
        "delta_mean_ci95": bootstrap_ci(a_values, b_values, statistics.fmean),
        "delta_median_pct": 100.0 * (med_b / med_a - 1.0),
        "delta_median_ci95": bootstrap_ci(a_values, b_values, statistics.median),
        "paired_pct": bl.summarize(paired_pct(a_values, b_values)),
    }


def verdict(ci95, kind, floor_pct=None):
    """(verdict, limit used) from B vs A's 95 % confidence interval (lo, hi) in %: GO when the whole
    interval lies at or above the kind's threshold, NO-GO when it lies at or below minus it,
    NEUTRAL otherwise. A verdict claims no more than its interval shows: an interval that reaches
    into the NEUTRAL band is NEUTRAL whatever the sign of its point estimate. A measured
    layout-noise floor above the threshold widens the band to it (a single-layout A/B's interval
    does not contain the layout effect, so the band has to)."""
    lo, hi = ci95
    limit = THRESHOLD_PCT[kind]
    if floor_pct is not None:
        limit = max(limit, floor_pct)
    if lo >= limit:
        return "GO", limit
    if hi <= -limit:
        return "NO-GO", limit
    return "NEUTRAL", limit
