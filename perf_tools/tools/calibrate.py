"""Calibration of the layout-mode A/B (docs/perf_tools.md): how often it gives a false verdict
when nothing changed, and how often it detects a known planted loss.

Conditions, each run as repeated layout-mode A/Bs of Mixed (the copies linked in, or with --plain
preloaded under the plain Mixed binary) with K pairs and RUNS rounds (interleave.run_pairs,
layout_compare and verdict, build-level rule):
  null-identical   A and B the same binary per pair (K seeds drawn from the pool)
  null-layouts     A and B the same code in different layouts (2K distinct seeds drawn)
  planted-N        A the base build, B the build with HAK_RB_PLANTED_WORK=N, the same K seeds
Every A/B draws its seeds afresh from the pool of shuffled-layout copies Bazel built
(configs/variants.bzl LAYOUT_SEEDS): A/Bs that share a seed are not independent, so the pool
should be several times K. A planted loss is detected when the verdict is NO-GO.

usage: calibrate.py --base SEED=BINARY ... --planted LEVEL:SEED=BINARY ...
       calibrate.py --plain MIXED --base SEED=LIB ... --planted LEVEL:SEED=LIB ...   (preloaded)
  environment: NULLS (20; alternately identical and different layouts), PLANTED_AB (6 per level),
  LEVELS (every level given), LAYOUTS=K (10 pairs), RUNS (6 rounds), WARMUP (1), PIN, ITERS/WS/..,
  CAL_SEED (1, the seed draws), CG_ITERS / CG_BASE_ITERS (exact Ir/op per level, callgrind),
  TRUE_PCT=LEVEL:PCT,.. (each level's time effect from a long run, shown beside the exact Ir/op)."""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time

import ptlib
from ptlib import bl
import interleave as il
import plots
import profiles
from allocators import Allocator

TOOL = "calibrate"
RUN_PARAMS = ("ITERS", "WS", "MIN", "MAX", "SEED")
POWER_ROUNDS = (10, 20, 40)


def parse_pool(items, flag, with_level, check):
    """{level or None: {seed: path}} from SEED=PATH (or LEVEL:SEED=PATH) items."""
    pool = {}
    for item in items:
        key, path = bl.split_key_value(item, flag)
        level, _, seed = key.rpartition(":") if with_level else (None, None, key)
        if not seed.isdigit() or (with_level and not level.isdigit()):
            raise bl.UsageError(f"{flag} expects {'LEVEL:' if with_level else ''}SEED=BINARY, got '{item}'")
        pool.setdefault(int(level) if with_level else None, {})[int(seed)] = check(path, f"{flag} {key}")
    return pool


def parse(argv):
    p = argparse.ArgumentParser(prog=TOOL, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", action="append", default=[], help="SEED=BINARY: Mixed with the base build's copy")
    p.add_argument("--planted", action="append", default=[], help="LEVEL:SEED=BINARY: a planted build's copy")
    p.add_argument("--plain", help="Mixed without an allocator: the pool entries are libraries to preload under it")
    p.add_argument("--name", default=TOOL)
    args = p.parse_args(argv)
    try:
        check = ptlib.require_file if args.plain else ptlib.require_exec
        base = parse_pool(args.base, "--base", False, check).get(None, {})
        planted = parse_pool(args.planted, "--planted", True, check)
        plain = ptlib.require_exec(args.plain, "--plain") if args.plain else None
        k = bl.env_int("LAYOUTS", 10, 2, 1000)
        nulls = bl.env_int("NULLS", 20, 0, 10000)
        per_level = bl.env_int("PLANTED_AB", 6, 0, 10000)
        levels = sorted(planted)
        text = os.environ.get("LEVELS", "")
        if text:
            if not all(x.isdigit() and int(x) in planted for x in text.split(",")):
                raise bl.UsageError(f"LEVELS='{text}': each must be one of the built levels {levels}")
            levels = [int(x) for x in text.split(",")]
        need = 2 * k if nulls > 1 else k
        if len(base) < need:
            raise bl.UsageError(
                f"LAYOUTS={k} needs {need} base copies (different-layout nulls draw 2K), " f"{len(base)} given"
            )
        for n in levels:
            if len(set(planted[n]) & set(base)) < k:
                raise bl.UsageError(f"planted level {n}: fewer than LAYOUTS={k} seeds shared with the base copies")
        if nulls + per_level * len(levels) == 0:
            raise bl.UsageError("nothing to run: NULLS=0 and no planted A/Bs")
        true_pct = {}
        for item in filter(None, os.environ.get("TRUE_PCT", "").split(",")):
            level, _, pct = item.partition(":")
            try:
                true_pct[int(level)] = float(pct)
            except ValueError:
                raise bl.UsageError(f"TRUE_PCT item '{item}' is not LEVEL:PCT")
        runs = bl.env_int("RUNS", 6, 2, 1000)
        warmup = bl.env_int("WARMUP", 1, 0, 100)
        seed = bl.env_int("CAL_SEED", 1, 0, 2**32)
        cg_iters = ptlib.callgrind_iters()
        pin = bl.pin_prefix(os.environ.get("PIN", ""))
        params = bl.workload_params(RUN_PARAMS)
        folder = bl.results_dir(args.name)
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    plan = [("null-identical" if i % 2 == 0 else "null-layouts", None) for i in range(nulls)]
    plan += [(f"planted-{n}", n) for n in levels for _ in range(per_level)]
    return args, plain, base, planted, plan, k, runs, warmup, seed, cg_iters, pin, params, folder, true_pct


def side(name, path, plain):
    """A pool entry as a timed side: the binary itself, or the plain binary preloading it."""
    return il.Side(name, plain, {"LD_PRELOAD": path}) if plain else il.Side(name, path)


def draw_pairs(rng, condition, level, base, planted, k, plain):
    """The K (A, B) sides of one A/B, seeds drawn afresh from the pool."""
    if condition == "null-layouts":
        seeds = rng.sample(sorted(base), 2 * k)
        return [
            (side(f"base@{a}", base[a], plain), side(f"base@{b}", base[b], plain)) for a, b in zip(seeds[:k], seeds[k:])
        ]
    pool = sorted(base) if level is None else sorted(set(base) & set(planted[level]))
    seeds = rng.sample(pool, k)
    if level is None:
        return [(side(f"base@{s}", base[s], plain),) * 2 for s in seeds]
    return [(side(f"base@{s}", base[s], plain), side(f"planted{level}@{s}", planted[level][s], plain)) for s in seeds]


def exact_ir(base, planted, levels, params, cg_iters, plain):
    """Exact Ir/op of the base build and of each level (the same seed: layout moves no count)."""
    seed = min(set(base).intersection(*(planted[n] for n in levels))) if levels else min(base)
    allocator = lambda name, path: Allocator(
        name, plain or path, "preload" if plain else "same-binary", "", {"LD_PRELOAD": path} if plain else {}
    )
    with tempfile.TemporaryDirectory() as workdir:
        try:
            ir = {
                None: profiles.callgrind(
                    TOOL, allocator("base", base[seed]), params, cg_iters[0], cg_iters[1], workdir
                )[1]
            }
            for n in levels:
                ir[n] = profiles.callgrind(
                    TOOL, allocator(f"planted{n}", planted[n][seed]), params, cg_iters[0], cg_iters[1], workdir
                )[1]
        except RuntimeError as e:
            sys.exit(f"{TOOL}: {e}")
    return ir


def summary_rows(results, ir, true_pct):
    rows = []
    for condition in dict.fromkeys(r["condition"] for r in results):
        mine = [r for r in results if r["condition"] == condition]
        level = mine[0]["level"]
        count = {v: sum(r["verdict"] == v for r in mine) for v in ("GO", "NEUTRAL", "NO-GO")}
        n = len(mine)
        if level is None:
            truth, detected, false = "none (same code)", "–", f"{100 * (count['GO'] + count['NO-GO']) / n:.0f} %"
        else:
            d = ir[level] - ir[None]
            truth = f"+{d:.2f} Ir/op ({100 * d / ir[None]:+.2f} % Ir)" + (
                f", time {true_pct[level]:+.2f} %" if level in true_pct else ", time: not measured"
            )
            detected, false = f"{100 * count['NO-GO'] / n:.0f} %", f"{100 * count['GO'] / n:.0f} %"
        rows.append(
            [
                condition,
                truth,
                str(n),
                str(count["GO"]),
                str(count["NEUTRAL"]),
                str(count["NO-GO"]),
                detected,
                false,
                f"{statistics.median(r['delta_pct'] for r in mine):+.2f} %",
                f"{statistics.fmean(r['seconds'] for r in mine):.0f} s",
            ]
        )
    return rows


def power_rows(results, k, warmup):
    """Detectable effect at 80 % power (build-level rule) from the variance components pooled over
    the different-layout nulls (identical-binary nulls when there are none): between-pair sd and
    within-pair round sd, projected to 10, 20 and 40 rounds and to more pairs, with the time such
    an A/B takes at this run's seconds per workload run."""
    src = [r for r in results if r["condition"] == "null-layouts"] or [r for r in results if r["level"] is None]
    if not src:
        return None, [], []
    between = (statistics.fmean(r["between_sd_pct"] ** 2 for r in src)) ** 0.5
    within = (statistics.fmean(r["within_sd_pct"] ** 2 for r in src)) ** 0.5
    per_run = statistics.fmean(r["seconds"] / (2 * len(r["seeds"]) * (r["rounds"] + warmup)) for r in src)
    pairs = sorted({k, 16, 32, 64})
    rows = [
        [str(rounds)]
        + [
            f"{il.detectable_pct(between, within, n, rounds, il.THRESHOLD_PCT['build']):.2f} % "
            f"({2 * n * (rounds + warmup) * per_run / 60:.0f} min)"
            for n in pairs
        ]
        for rounds in POWER_ROUNDS
    ]
    return (src[0]["condition"], between, within), ["rounds"] + [f"K = {n} pairs" for n in pairs], rows


def main(argv):
    args, plain, base, planted, plan, k, runs, warmup, seed, cg_iters, pin, params, folder, true_pct = parse(argv)
    linkage = "preloaded" if plain else "linked in"
    rng = random.Random(seed)
    env = bl.clean_env(params)
    levels = sorted({lvl for _, lvl in plan if lvl is not None})
    started, load_before = time.monotonic(), os.getloadavg()[0]
    results = []
    for i, (condition, level) in enumerate(plan):
        print(f"  [{TOOL}] A/B {i + 1}/{len(plan)}: {condition}", file=sys.stderr, flush=True)
        pairs = draw_pairs(rng, condition, level, base, planted, k, plain)
        t0 = time.monotonic()
        got, _, _ = il.run_pairs(TOOL, pairs, runs, warmup, env, pin)
        cmp = il.layout_compare(got)
        verdict, _ = il.verdict(cmp["ci95"], "build")
        results.append(
            {
                "condition": condition,
                "level": level,
                "seeds": [(a.name, b.name) for a, b in pairs],
                "rounds": runs,
                "samples": got,
                "verdict": verdict,
                "seconds": time.monotonic() - t0,
                **{key: cmp[key] for key in ("delta_pct", "ci95", "pair_pct", "between_sd_pct", "within_sd_pct")},
            }
        )
    load = (load_before, os.getloadavg()[0])
    timed = time.monotonic() - started
    ir = exact_ir(base, planted, levels, params, cg_iters, plain)
    components, power_header, power = power_rows(results, k, warmup)
    out = [
        f"# Calibration of the layout-mode A/B (Mixed, {linkage})",
        "",
        f"{len(plan)} A/Bs of {k} layout pairs x {runs} rounds (after {warmup} warm-up), seeds drawn per A/B from "
        f"a pool of {len(base)} base copies (CAL_SEED={seed}); build-level rule (GO/NO-GO only when the whole 95 % "
        f"interval is beyond +-{il.THRESHOLD_PCT['build']} %); workload parameters {params or 'defaults'}. "
        f"Timing took {timed / 60:.1f} min; load average (1 min) {load[0]:.2f} before, {load[1]:.2f} after on "
        f"{os.cpu_count()} CPUs" + (" — under load: not a calibration of a quiet machine." if max(load) > 1.0 else "."),
        "",
        ptlib.md_table(
            [
                "condition",
                "true effect (B vs A)",
                "A/Bs",
                "GO",
                "NEUTRAL",
                "NO-GO",
                "detection rate (NO-GO)",
                "false verdict rate",
                "median estimate",
                "time per A/B",
            ],
            summary_rows(results, ir, true_pct),
        ),
        "",
        f"Exact Ir/op (callgrind, CG_ITERS={cg_iters[0]} minus {cg_iters[1]}): base {ir[None]:.2f}"
        + "".join(f", planted {n}: {ir[n]:.2f}" for n in levels)
        + ". A planted loss is detected when the A/B says "
        "NO-GO; for a planted level the false verdict is GO.",
        "",
    ]
    if power:
        name, between, within = components
        out += [
            "## Detectable effect at 80 % power",
            "",
            f"From the {name} A/Bs: sd between pairs {between:.2f} %, within a pair (one round's ratio) "
            f"{within:.2f} %; a loss this large or larger is NO-GO in 80 % of A/Bs (normal model; in brackets the "
            f"timing such an A/B takes at this run's pace, builds not included):",
            "",
            ptlib.md_table(power_header, power),
            "",
        ]
    labels = [f"{r['condition']} #{i + 1}" for i, r in enumerate(results)]
    charts = plots.bar_chart(
        os.path.join(folder, "calibrate.svg"),
        "B vs A per A/B, 95 % CI (t over pairs)",
        labels,
        [r["delta_pct"] for r in results],
        [r["ci95"][0] for r in results],
        [r["ci95"][1] for r in results],
        [r["condition"] for r in results],
        "%",
    )
    out += [
        f"Chart: `{os.path.basename(charts[0])}` (every A/B's estimate and interval)."
        if charts
        else (plots.MISSING or "")
    ]
    data = {
        "linkage": linkage,
        "layouts": k,
        "runs": runs,
        "warmup": warmup,
        "cal_seed": seed,
        "pool": sorted(base),
        "workload_params": params,
        "load_avg_1min": load,
        "timing_seconds": timed,
        "ir_per_op": {str(key): v for key, v in ir.items()},
        "true_pct": true_pct,
        "results": results,
        "power": {"components": components, "header": power_header, "rows": power},
        "machine": bl.machine_info(sorted(base.values())[:1], {}),
    }
    bl.write_json(os.path.join(folder, "calibrate.json"), data)
    ptlib.write_report(folder, "calibrate", "\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
