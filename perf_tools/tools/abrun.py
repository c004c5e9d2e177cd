"""The measured half of an A/B that rb_ab and review share: two builds, each linked into Mixed
and preloaded under the plain Mixed binary, timed interleaved, each build's exact instructions
per operation (callgrind) and the verdict by the seed's rule. Two modes (docs/perf_tools.md):
single layout (one build per side, bootstrap CI over rounds, band widened to the layout-noise
floor) and layout mode (K shuffled-layout copies per side, paired by seed, CI over pairs)."""

import os
import statistics
import sys
import tempfile

import ptlib
from ptlib import bl
import interleave as il
import plots
import profiles
from allocators import Allocator


class Build:
    """One side of the A/B: a label, Mixed with it linked in, its preload library, extra env.
    Layout mode: `copies` = [(seed, linked, lib)], the build's shuffled-layout copies; then
    `sides` (callgrind, perf, reports) is the first copy and `copy_sides` holds them all."""

    def __init__(self, label, linked, lib, plain, env=None, copies=None):
        self.label = label
        self.env = env or {}
        if copies:
            _, linked, lib = copies[0]
        self.sides = self._sides(label, linked, lib, plain)
        self.seeds = [seed for seed, _, _ in copies or []]
        self.copy_sides = [self._sides(f"{label} @{seed}", l, so, plain) for seed, l, so in copies or []]

    def _sides(self, label, linked, lib, plain):
        sides = {"linked": il.Side(f"{label} linked", linked, self.env)}
        if lib:
            sides["preload"] = il.Side(f"{label} preload", plain, {**self.env, "LD_PRELOAD": lib})
        return sides


def overall(verdicts):
    """The linkages' common verdict; NEUTRAL when they disagree (a change whose sign depends on
    how the allocator is linked has not shown a gain)."""
    values = set(verdicts.values())
    return values.pop() if len(values) == 1 else "NEUTRAL"


def single_layout(tool, a, b, kind, floor, runs, warmup, params, pin):
    """One build per side, interleaved rounds, bootstrap CI over rounds; the band is widened to
    the committed floor (the interval holds no layout variance). (rows, header, verdicts, data,
    {side name: [M ops/s]}, sides charted)."""
    linkages = [k for k in a.sides if k in b.sides]
    sides = [build.sides[k] for k in linkages for build in (a, b)]
    samples, reported, rss = il.run_rounds(tool, sides, runs, warmup, bl.clean_env(params), pin, progress=True)
    floor_pct = floor["floor_pct"] if floor else None
    rows, verdicts, data = [], {}, {}
    for k in linkages:
        sa, sb = samples[a.sides[k].name], samples[b.sides[k].name]
        cmp = il.compare(sa, sb)
        verdict, limit = il.verdict(cmp["delta_mean_ci95"], kind, floor_pct)
        verdicts[k] = verdict
        lo, hi = cmp["delta_mean_ci95"]
        mlo, mhi = cmp["delta_median_ci95"]
        rows.append(
            [
                k,
                f"{statistics.fmean(sa):.2f}",
                f"{statistics.fmean(sb):.2f}",
                f"{ptlib.pct(cmp['delta_mean_pct'])} [{lo:+.2f}, {hi:+.2f}]",
                f"{ptlib.pct(cmp['delta_median_pct'])} [{mlo:+.2f}, {mhi:+.2f}]",
                ptlib.pct(cmp["paired_pct"]["median"]),
                f"+-{limit:.2f} %",
                f"**{verdict}**",
            ]
        )
        data[k] = {
            "a": sa,
            "b": sb,
            "compare": cmp,
            "verdict": verdict,
            "limit_pct": limit,
            "allocator_a": reported[a.sides[k].name],
            "allocator_b": reported[b.sides[k].name],
            "peak_rss_kb_a": max(rss[a.sides[k].name]),
            "peak_rss_kb_b": max(rss[b.sides[k].name]),
        }
    header = [
        "linkage",
        "A mean M ops/s",
        "B mean",
        "B vs A, mean [95 % CI]",
        "median [95 % CI]",
        "median of per-round ratios",
        "NEUTRAL band",
        "verdict",
    ]
    how = f"{runs} interleaved rounds after {warmup} warm-up; {ptlib.floor_line(floor)}"
    return rows, header, verdicts, data, {s.name: samples[s.name] for s in sides}, how


def layout_mode(tool, a, b, kind, runs, warmup, params, pin):
    """K pairs per linkage (seed k on both sides) run back to back in rotating rounds, judged by
    il.layout_compare: the interval holds the layout variance, so the band is the threshold."""
    linkages = [k for k in a.sides if k in b.sides]
    n = len(a.copy_sides)
    pairs = [(ca[k], cb[k]) for k in linkages for ca, cb in zip(a.copy_sides, b.copy_sides)]
    got, reported, rss = il.run_pairs(tool, pairs, runs, warmup, bl.clean_env(params), pin, progress=True)
    rows, verdicts, data, charted = [], {}, {}, {}
    for i, k in enumerate(linkages):
        mine, names = got[i * n : (i + 1) * n], [(pa.name, pb.name) for pa, pb in pairs[i * n : (i + 1) * n]]
        cmp = il.layout_compare(mine)
        verdict, limit = il.verdict(cmp["ci95"], kind)
        verdicts[k] = verdict
        lo, hi = cmp["ci95"]
        all_a, all_b = [v for av, _ in mine for v in av], [v for _, bv in mine for v in bv]
        rows.append(
            [
                k,
                str(n),
                f"{statistics.fmean(all_a):.2f}",
                f"{statistics.fmean(all_b):.2f}",
                f"{ptlib.pct(cmp['delta_pct'])} [{lo:+.2f}, {hi:+.2f}]",
                f"{min(cmp['pair_pct']):+.2f} .. {max(cmp['pair_pct']):+.2f} %",
                f"{cmp['between_sd_pct']:.2f} / {cmp['within_sd_pct']:.2f} %",
                f"+-{limit:.2f} %",
                f"**{verdict}**",
            ]
        )
        charted[f"{a.label} {k}"], charted[f"{b.label} {k}"] = all_a, all_b
        data[k] = {
            "pairs": [{"seed": seed, "a": av, "b": bv} for seed, (av, bv) in zip(a.seeds, mine)],
            "compare": cmp,
            "verdict": verdict,
            "limit_pct": limit,
            "allocator_a": reported[names[0][0]],
            "allocator_b": reported[names[0][1]],
            "peak_rss_kb_a": max(max(rss[x]) for x, _ in names),
            "peak_rss_kb_b": max(max(rss[y]) for _, y in names),
        }
    header = [
        "linkage",
        "pairs",
        "A mean M ops/s",
        "B mean",
        "B vs A [95 % CI, t over pairs]",
        "pair estimates",
        "sd between / within pairs",
        "NEUTRAL band",
        "verdict",
    ]
    how = (
        f"layout mode: {n} shuffled-layout copies per side (seeds {a.seeds}, the same on both sides), each "
        f"pair back to back in {runs} rotating rounds after {warmup} warm-up; B vs A = mean over pairs of each "
        f"pair's median per-round ratio, 95 % CI Student t over pairs (it holds the layout variance: no floor)"
    )
    return rows, header, verdicts, data, charted, how


def measure(tool, a, b, kind, floor, runs, warmup, params, pin, cg_iters, folder, title, workload="Mixed"):
    """(markdown lines, data) of the whole A/B; cg_iters None: throughput and RSS only. Layout mode
    when both builds carry shuffled-layout copies, else one build per side against the floor."""
    layout = bool(a.copy_sides and b.copy_sides)
    load_before = os.getloadavg()[0]
    if layout:
        rows, header, verdicts, linkages, charted, how = layout_mode(tool, a, b, kind, runs, warmup, params, pin)
    else:
        rows, header, verdicts, linkages, charted, how = single_layout(
            tool, a, b, kind, floor, runs, warmup, params, pin
        )
    load = (load_before, os.getloadavg()[0])
    out = [
        f"# {title}",
        "",
        f"A = {a.label}, B = {b.label}; {how}; workload {workload}, "
        f"parameters {params or 'defaults'}; {kind}-level rule (GO at >= +{il.THRESHOLD_PCT[kind]} %). "
        f"Load average (1 min) {load[0]:.2f} before, {load[1]:.2f} after, "
        f"on {os.cpu_count()} CPUs" + (" — measured under load: timings are noisy." if max(load) > 1.0 else "."),
        "",
    ]
    out += [
        "## Throughput (noisy: wall clock on a shared machine)",
        "",
        ptlib.md_table(header, rows),
        "",
        f"**Verdict: {overall(verdicts)}**"
        + ("" if len(set(verdicts.values())) == 1 else f" (the linkages disagree: {verdicts})"),
        "",
    ]
    data = {
        "linkages": linkages,
        "a": a.label,
        "b": b.label,
        "kind": kind,
        "mode": "layout" if layout else "single",
        "floor": None if layout else floor,
        "runs": runs,
        "warmup": warmup,
        "workload_params": params,
        "load_avg_1min": load,
        "verdict": overall(verdicts),
    }
    rss_rows = [[k, str(d["peak_rss_kb_a"]), str(d["peak_rss_kb_b"])] for k, d in data["linkages"].items()]
    out += ["## Peak RSS (kB, largest of the rounds)", "", ptlib.md_table(["linkage", "A", "B"], rss_rows), ""]
    slug = workload.lower().replace(" ", "_")
    charts = plots.distributions(
        os.path.join(folder, f"ab_rounds_{slug}.svg"), f"{title}: every round", charted, "M ops/s"
    )
    if charts:
        out += [
            f"Charts: `{os.path.basename(charts[0])}` / `{os.path.basename(charts[1])}` (every round of each side).",
            "",
        ]
    elif plots.MISSING:
        out += [plots.MISSING, ""]
    if cg_iters is None:
        return out, data
    with tempfile.TemporaryDirectory() as workdir:
        cg = {}
        for build in (a, b):
            side = build.sides["linked"]
            al = Allocator(build.label, side.binary, "same-binary", "", side.env)
            try:
                cg[build.label] = profiles.callgrind(tool, al, params, cg_iters[0], cg_iters[1], workdir)
            except RuntimeError as e:
                sys.exit(f"{tool}: {e}")
    ia, ib = cg[a.label][1], cg[b.label][1]
    out += [
        "## Instructions per operation (exact: callgrind, linked in)",
        "",
        ptlib.md_table(
            ["", "A", "B", "delta"],
            [["Ir/op, whole Mixed run", f"{ia:.2f}", f"{ib:.2f}", f"{ib - ia:+.2f} ({100 * (ib / ia - 1):+.2f} %)"]],
        ),
        "",
        f"(ITERS={cg_iters[0]} minus BASE_ITERS={cg_iters[1]}, divided by the extra operations.)",
        "",
    ]
    data.update({"ir_per_op": {"a": ia, "b": ib}, "top_a": cg[a.label][0][:50], "top_b": cg[b.label][0][:50]})
    return out, data
