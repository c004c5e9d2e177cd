"""The measured half of an A/B that rb_ab and review share: two builds, each linked into Mixed
and preloaded under the plain Mixed binary, timed interleaved (A B / B A, both linkages in every
round), delta of mean and median with bootstrap CIs, each build's exact instructions per
operation (callgrind), and the verdict by the seed's rule against the layout-noise floor."""

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
    """One side of the A/B: a label, Mixed with it linked in, its preload library, extra env."""

    def __init__(self, label, linked, lib, plain, env=None):
        self.label = label
        self.env = env or {}
        self.sides = {"linked": il.Side(f"{label} linked", linked, self.env)}
        if lib:
            self.sides["preload"] = il.Side(f"{label} preload", plain, {**self.env, "LD_PRELOAD": lib})


def overall(verdicts):
    """The linkages' common verdict; NEUTRAL when they disagree (a change whose sign depends on
    how the allocator is linked has not shown a gain)."""
    values = set(verdicts.values())
    return values.pop() if len(values) == 1 else "NEUTRAL"


def measure(tool, a, b, kind, floor, runs, warmup, params, pin, cg_iters, folder, title, workload="Mixed"):
    """(markdown lines, data) of the whole A/B; cg_iters None: throughput and RSS only."""
    linkages = [k for k in a.sides if k in b.sides]
    sides = [build.sides[k] for k in linkages for build in (a, b)]
    load_before = os.getloadavg()[0]
    samples, reported, rss = il.run_rounds(tool, sides, runs, warmup, bl.clean_env(params), pin, progress=True)
    load = (load_before, os.getloadavg()[0])
    floor_pct = floor["floor_pct"] if floor else None
    out = [f"# {title}", "",
           f"A = {a.label}, B = {b.label}; {runs} interleaved rounds after {warmup} warm-up; workload {workload}, "
           f"parameters {params or 'defaults'}; {kind}-level rule (GO at >= +{il.THRESHOLD_PCT[kind]} %); "
           f"{ptlib.floor_line(floor)}. Load average (1 min) {load[0]:.2f} before, {load[1]:.2f} after, "
           f"on {os.cpu_count()} CPUs" + (" — measured under load: timings are noisy." if max(load) > 1.0 else "."), ""]
    rows, verdicts, data = [], {}, {"linkages": {}}
    for k in linkages:
        sa, sb = samples[a.sides[k].name], samples[b.sides[k].name]
        cmp = il.compare(sa, sb)
        verdict, limit = il.verdict(cmp["delta_mean_ci95"], kind, floor_pct)
        verdicts[k] = verdict
        lo, hi = cmp["delta_mean_ci95"]
        mlo, mhi = cmp["delta_median_ci95"]
        rows.append([k, f"{statistics.fmean(sa):.2f}", f"{statistics.fmean(sb):.2f}",
                     f"{ptlib.pct(cmp['delta_mean_pct'])} [{lo:+.2f}, {hi:+.2f}]",
                     f"{ptlib.pct(cmp['delta_median_pct'])} [{mlo:+.2f}, {mhi:+.2f}]",
                     ptlib.pct(cmp["paired_pct"]["median"]), f"+-{limit:.2f} %", f"**{verdict}**"])
        data["linkages"][k] = {"a": sa, "b": sb, "compare": cmp, "verdict": verdict, "limit_pct": limit,
                               "allocator_a": reported[a.sides[k].name], "allocator_b": reported[b.sides[k].name],
                               "peak_rss_kb_a": max(rss[a.sides[k].name]), "peak_rss_kb_b": max(rss[b.sides[k].name])}
    out += ["## Throughput (noisy: wall clock on a shared machine)", "",
            ptlib.md_table(["linkage", "A mean M ops/s", "B mean", "B vs A, mean [95 % CI]", "median [95 % CI]",
                            "median of per-round ratios", "NEUTRAL band", "verdict"], rows), "",
            f"**Verdict: {overall(verdicts)}**" + ("" if len(set(verdicts.values())) == 1 else
                                                   f" (the linkages disagree: {verdicts})"), ""]
    data.update({"a": a.label, "b": b.label, "kind": kind, "floor": floor, "runs": runs, "warmup": warmup,
                 "workload_params": params, "load_avg_1min": load, "verdict": overall(verdicts)})
    rss_rows = [[k, str(d["peak_rss_kb_a"]), str(d["peak_rss_kb_b"])] for k, d in data["linkages"].items()]
    out += ["## Peak RSS (kB, largest of the rounds)", "", ptlib.md_table(["linkage", "A", "B"], rss_rows), ""]
    slug = workload.lower().replace(" ", "_")
    charts = plots.distributions(os.path.join(folder, f"ab_rounds_{slug}.svg"), f"{title}: every round",
                                 {s.name: samples[s.name] for s in sides}, "M ops/s")
    if charts:
        out += [f"Charts: `{os.path.basename(charts[0])}` / `{os.path.basename(charts[1])}` (every round of each side).", ""]
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
    out += ["## Instructions per operation (exact: callgrind, linked in)", "",
            ptlib.md_table(["", "A", "B", "delta"], [["Ir/op, whole Mixed run", f"{ia:.2f}", f"{ib:.2f}",
                                                       f"{ib - ia:+.2f} ({100 * (ib / ia - 1):+.2f} %)"]]), "",
            f"(ITERS={cg_iters[0]} minus BASE_ITERS={cg_iters[1]}, divided by the extra operations.)", ""]
    data.update({"ir_per_op": {"a": ia, "b": ib}, "top_a": cg[a.label][0][:50], "top_b": cg[b.label][0][:50]})
    return out, data
