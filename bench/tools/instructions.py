"""Instructions per operation of the mixed workload under valgrind's callgrind: exact and
repeatable (the same count twice, whatever else the machine does), so it is the noise-free way to
compare allocators' fast paths. Each allocator runs at ITERS and at BASE_ITERS; the difference
divided by the extra operations cancels start-up, loader and exit work. The figure is the whole
workload's per operation (its own loop included, identical source for every allocator): hakmem's
same-binary builds inline malloc/free into the loop under LTO, so no per-function split is fair."""

import os
import shutil
import sys
import tempfile

import allocators as alloc
import benchlib as bl
import tables

TOOL = "instructions"


def callgrind(a, params, iters, workdir):
    """Total instructions (Ir) of one run."""
    out = os.path.join(workdir, f"{a.name}-{iters}.callgrind")
    env = bl.clean_env({**params, **a.env, "ITERS": str(iters)})
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, a.binary]
    rc, _, err = bl.run_workload(cmd, env)
    if rc != 0:
        sys.exit(f"{TOOL}: {a.name} under callgrind failed (exit {rc}): {err.strip()[-1200:]}")
    with open(out) as f:
        totals = [line.split()[1] for line in f if line.startswith(("summary:", "totals:"))]
    if not totals:
        sys.exit(f"{TOOL}: no summary line in {out} for {a.name}")
    return int(totals[-1])


def main(argv):
    args = bl.parse_tool_args(TOOL, __doc__, argv)
    try:
        iters, base_iters = bl.env_iters_pair(2000000, 200000, 10**10)
        if shutil.which("valgrind") is None:
            raise bl.UsageError("valgrind is not installed (apt-get install valgrind)")
        selected = alloc.selected_from_args(args, tables.default_set(TOOL))
        params = bl.workload_params(bl.MIXED_PARAMS)
        folder = bl.results_dir(args.name)
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for a in selected:
            print(f"  [{a.name}] callgrind at ITERS={iters} and {base_iters}", file=sys.stderr, flush=True)
            big = callgrind(a, params, iters, workdir)
            small = callgrind(a, params, base_iters, workdir)
            rows.append(
                {
                    "allocator": a.name,
                    "linkage": a.linkage,
                    "iters": iters,
                    "base_iters": base_iters,
                    "ir_total": big,
                    "ir_base": small,
                    "ir_per_op": (big - small) / (iters - base_iters),
                }
            )
    ref = next((r for r in rows if r["allocator"] == "mimalloc-linked"), None)
    for r in rows:
        r["vs_mimalloc"] = r["ir_per_op"] / ref["ir_per_op"] if ref else None
    bl.write_json(
        os.path.join(folder, "instructions.json"),
        {
            "name": args.name,
            "iters": iters,
            "base_iters": base_iters,
            "workload_params": params,
            "summary": rows,
            "allocators": [a.describe() for a in selected],
            "machine": bl.machine_info(
                sorted({a.binary for a in selected}),
                {"variant": args.variant, "pgo": args.pgo == "1", "compilation_mode": args.compilation_mode},
            ),
        },
    )
    fields = ["allocator", "linkage", "iters", "base_iters", "ir_total", "ir_base", "ir_per_op", "vs_mimalloc"]
    bl.write_csv(os.path.join(folder, "instructions.csv"), fields, [[r.get(f, "") for f in fields] for r in rows])
    print(
        "instructions per operation of the whole workload (callgrind, exact):"
        " (Ir at ITERS - Ir at BASE_ITERS) / (ITERS - BASE_ITERS)"
    )
    head = f"{'allocator':<20} {'linkage':<12} {'Ir/op':>8} {'vs mimalloc':>12}"
    print(head)
    print("-" * len(head))
    for r in rows:
        vs = f"{100 * r['vs_mimalloc']:.1f}%" if r["vs_mimalloc"] else "-"
        print(f"{r['allocator']:<20} {r['linkage']:<12} {r['ir_per_op']:>8.2f} {vs:>12}")
    print(f"results: {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
