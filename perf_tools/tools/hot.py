"""Top-N hot functions of a workload under one allocator build, from callgrind (exact
instructions per operation, self and inclusive) and from perf's cpu-clock samples (self %);
given two builds, the diff of their top-N in the spirit of `perf diff`: what rose, fell,
appeared and vanished.

usage: hot.py [--bin KEY=PATH ...] [--preload-lib KEY=PATH ...] [--top 50] [--name N] A [B]
  A, B: allocator names of bench/tools/allocators.py (hakmem-fast, hakmem-standard-preload,
  mimalloc-linked, ...). Environment: ITERS / BASE_ITERS (callgrind, 2000000 / 200000),
  PERF_ITERS (perf run, 20000000), PERF=0 (callgrind only), workload parameters (WS, ...)."""

import argparse
import os
import sys
import tempfile

import ptlib
from ptlib import bl
import allocators as alloc
import profiles

TOOL = "hot"


def top_tables(name, cg, cg_total, pf, samples, top):
    out = [
        f"### {name}: top {top} by callgrind (exact; Ir per operation, start-up cancelled)",
        "",
        f"whole run: {cg_total:.2f} Ir/op",
        "",
    ]
    rows = [
        [
            str(i + 1),
            f"`{r['function']}`",
            r["object"],
            f"{r['self_ir_op']:.3f}",
            f"{r['incl_ir_op']:.3f}",
            f"{100 * r['self_ir_op'] / cg_total:.2f} %",
        ]
        for i, r in enumerate(cg[:top])
    ]
    out += [ptlib.md_table(["#", "function", "object", "self Ir/op", "inclusive Ir/op", "self share"], rows), ""]
    if pf is not None:
        out += [f"### {name}: top {top} by perf cpu-clock samples (noisy: {samples} samples in all)", ""]
        rows = [
            [
                str(i + 1),
                f"`{r['function']}`",
                r["object"] + (" (kernel)" if r["kernel"] else ""),
                f"{r['self_pct']:.2f} %",
                str(r["samples"]),
            ]
            for i, r in enumerate(pf[:top])
        ]
        out += [ptlib.md_table(["#", "function", "object", "self %", "samples"], rows), ""]
    return out


def _status(a, b, delta, eps):
    if a is None:
        return "appeared"
    if b is None:
        return "vanished"
    return "rose" if delta > eps else "fell" if delta < -eps else "same"


def _diff_rows(table_a, table_b, key, value_fmt, delta_fmt, epsilon, weight):
    """(|delta|, cells, weight) for every function of either top list (a's order first, then b's
    newcomers), largest change first. weight(a, b) decides later whether a row is worth showing."""
    rows = []
    for f in list(table_a) + [f for f in table_b if f not in table_a]:
        a, b = table_a.get(f), table_b.get(f)
        va, vb = (a or {}).get(key, 0.0), (b or {}).get(key, 0.0)
        rows.append(
            (
                abs(vb - va),
                [
                    f"`{f}`",
                    value_fmt(va) if a else "-",
                    value_fmt(vb) if b else "-",
                    delta_fmt(vb - va),
                    _status(a, b, vb - va, epsilon),
                ],
                weight(a, b),
            )
        )
    rows.sort(key=lambda r: -r[0])
    return rows


def diff_tables(na, nb, prof_a, prof_b, top):
    """perf-diff-style tables over the union of both top-N lists."""
    out = []
    rows = _diff_rows(
        {r["function"]: r for r in prof_a["callgrind"][:top]},
        {r["function"]: r for r in prof_b["callgrind"][:top]},
        "self_ir_op",
        lambda v: f"{v:.3f}",
        lambda d: f"{d:+.3f}",
        0.0005,
        lambda a, b: max(abs((a or {}).get("self_ir_op", 0.0)), abs((b or {}).get("self_ir_op", 0.0))),
    )
    # Start-up and exit functions cost well under 0.001 Ir per operation once divided by the
    # extra operations: they fill the top 50 of a short run but say nothing about the change.
    shown = [r[1] for r in rows if r[2] >= 0.001]
    out += [
        f"### Diff {na} -> {nb}: callgrind self Ir/op (exact), largest change first",
        "",
        f"whole run: {prof_a['cg_total']:.2f} -> {prof_b['cg_total']:.2f} Ir/op "
        f"({prof_b['cg_total'] - prof_a['cg_total']:+.2f})",
        "",
        ptlib.md_table(["function", na, nb, "delta", "status"], shown),
        "",
        f"({len(rows) - len(shown)} more of the two top-{top} lists cost under 0.001 Ir/op on both sides.)",
        "",
    ]
    if prof_a.get("perf") is not None and prof_b.get("perf") is not None:
        rows = _diff_rows(
            {r["function"]: r for r in prof_a["perf"][:top]},
            {r["function"]: r for r in prof_b["perf"][:top]},
            "self_pct",
            lambda v: f"{v:.2f} %",
            lambda d: f"{d:+.2f}",
            0.5,
            lambda a, b: max((a or {}).get("samples", 0), (b or {}).get("samples", 0)),
        )
        shown = [r[1] for r in rows if r[2] >= 3]  # one or two samples are not a measurement
        out += [
            f"### Diff {na} -> {nb}: perf self % (sampled: {prof_a['samples']} / {prof_b['samples']} samples; "
            "changes under ~1 point are sampling noise)",
            "",
            ptlib.md_table(["function", na, nb, "delta (points)", "status"], shown),
            "",
            f"({len(rows) - len(shown)} more functions had fewer than 3 samples on both sides.)",
            "",
        ]
    return out


def profile(a, params, iters, base_iters, perf_iters, use_perf, workdir):
    """Both profiles of one allocator, as the dict hot.json and review.py keep."""
    try:
        cg, total = profiles.callgrind(TOOL, a, params, iters, base_iters, workdir)
        pf, samples = profiles.perf(TOOL, a, params, perf_iters, workdir) if use_perf else (None, 0)
    except RuntimeError as e:
        sys.exit(f"{TOOL}: {e}")
    return {
        "allocator": a.name,
        "binary": a.binary,
        "env": a.env,
        "callgrind": cg,
        "cg_total": total,
        "perf": pf,
        "samples": samples,
    }


def parse(argv):
    p = argparse.ArgumentParser(prog=TOOL, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", action="append", default=[])
    p.add_argument("--preload-lib", action="append", default=[])
    p.add_argument("--top", type=int, default=50)
    p.add_argument("--name", default=TOOL)
    p.add_argument("sides", nargs="+", metavar="ALLOCATOR")
    args = p.parse_args(argv)
    try:
        table = alloc.known_allocators(
            alloc.parse_pairs(args.bin, "--bin"), alloc.parse_pairs(args.preload_lib, "--preload-lib")
        )
        by_name = {a.name: a for a in table}
        if len(args.sides) > 2:
            raise bl.UsageError("give one allocator (its top list) or two (their diff)")
        unknown = [s for s in args.sides if s not in by_name]
        if unknown:
            raise bl.UsageError(f"unknown allocator {', '.join(unknown)}; known: {', '.join(by_name)}")
        if len(set(args.sides)) != len(args.sides):
            raise bl.UsageError("A and B are the same allocator")
        if not 1 <= args.top <= 500:
            raise bl.UsageError(f"--top {args.top} is out of range (1..500)")
        for s in args.sides:
            ptlib.require_exec(by_name[s].binary, s)
        iters, base_iters = bl.env_iters_pair(2000000, 200000, 10**9)
        perf_iters = bl.env_int("PERF_ITERS", 20000000, 1, 10**10)
        use_perf = os.environ.get("PERF", "1")
        if use_perf not in ("0", "1"):
            raise bl.UsageError(f"PERF='{use_perf}' (expected 0 or 1)")
        if use_perf == "1":
            profiles.perf_available()
        params = bl.workload_params(bl.MIXED_PARAMS)
        folder = bl.results_dir(args.name)
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    return args, [by_name[s] for s in args.sides], iters, base_iters, perf_iters, use_perf == "1", params, folder


def main(argv):
    args, sides, iters, base_iters, perf_iters, use_perf, params, folder = parse(argv)
    note = profiles.hardware_note()[2] if use_perf else "perf not used (PERF=0)"
    out = [
        f"# Hot functions: {' vs '.join(a.name for a in sides)}",
        "",
        f"callgrind at ITERS={iters} minus BASE_ITERS={base_iters}; perf at ITERS={perf_iters}; "
        f"workload parameters {params or 'defaults'}. {note}.",
        "",
    ]
    profs = []
    with tempfile.TemporaryDirectory() as workdir:
        for a in sides:
            print(f"  [{TOOL}] profiling {a.name}", file=sys.stderr, flush=True)
            prof = profile(a, params, iters, base_iters, perf_iters, use_perf, workdir)
            profs.append(prof)
            out += top_tables(a.name, prof["callgrind"], prof["cg_total"], prof["perf"], prof["samples"], args.top)
    if len(profs) == 2:
        out += diff_tables(sides[0].name, sides[1].name, profs[0], profs[1], args.top)
    data = {
        "name": args.name,
        "iters": iters,
        "base_iters": base_iters,
        "perf_iters": perf_iters,
        "workload_params": params,
        "hardware": note,
        "profiles": profs,
        "callgrind": profs[0]["callgrind"][: args.top],
        "perf": (profs[0]["perf"] or [])[: args.top],
        "machine": bl.machine_info(sorted({a.binary for a in sides}), {}),
    }
    bl.write_json(os.path.join(folder, "hot.json"), data)
    ptlib.write_report(folder, "hot", "\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
