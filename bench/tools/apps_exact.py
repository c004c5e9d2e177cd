"""EXACT=1 of //bench:apps: each app once per allocator under valgrind --tool=callgrind with its
cache simulation, at the small size. Instruction counts (and simulated I1/D1/LL misses) are exact
and repeatable whatever else the machine is doing, unlike the timed rounds. Every process of a run
is traced (git or clang may start children) and the totals of all their profiles are summed."""

import glob
import os
import shutil

import apps_run
import benchlib as bl

# Ir: instructions; I1mr: L1 instruction-cache misses; D1mr/D1mw: L1 data read/write misses;
# ILmr/DLmr/DLmw: last-level misses (callgrind's simulated caches, sized like the host's).
EVENTS = ("Ir", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw")


def callgrind_prefix(folder):
    return [
        "valgrind",
        "--tool=callgrind",
        "--cache-sim=yes",
        "--trace-children=yes",
        f"--callgrind-out-file={folder}/callgrind.%p",
        "--quiet",
    ]


def totals(folder):
    """{event: sum over every callgrind profile in folder}; ValueError if there is none."""
    sums = dict.fromkeys(EVENTS, 0)
    files = glob.glob(os.path.join(folder, "callgrind.*"))
    if not files:
        raise ValueError("callgrind wrote no profile")
    for path in files:
        names, values = None, None
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("events:"):
                    names = line.split()[1:]
                elif line.startswith(("totals:", "summary:")):
                    values = [int(v) for v in line.split()[1:]]
        if not names or values is None:
            raise ValueError(f"{path} has no events/totals lines")
        for name, value in zip(names, values):
            if name in sums:
                sums[name] += value
    return sums


def run_exact(app, cmd, alloc, probe_lib, scratch, base_env, timeout):
    """A Run whose extra fields are the summed callgrind events."""
    folder = os.path.join(scratch, "callgrind")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    run = apps_run.run_batch(app, cmd, alloc, probe_lib, scratch, base_env, callgrind_prefix(folder), timeout)
    if run.error is None:
        try:
            run.extra.update(totals(folder))
        except (OSError, ValueError) as e:
            run.error = f"callgrind: {e}"
    # Under valgrind, time, faults and RSS describe valgrind, not the program.
    run.wall_s = run.cpu_s = run.minor_faults = run.peak_rss_kb = None
    return run


FIELDS = ["app", "allocator"] + list(EVENTS) + ["ir_vs_mimalloc", "i1_misses", "d1_misses"]


def summarize(runs):
    """One row per good run, with D1 misses = D1mr + D1mw and Ir relative to mimalloc's."""
    ref = {r["app"]: r["Ir"] for r in runs if r["allocator"] == "mimalloc" and r["error"] is None}
    rows = []
    for r in runs:
        if r["error"] is not None:
            continue
        rows.append(
            {
                **{k: r[k] for k in ["app", "allocator"] + list(EVENTS)},
                "ir_vs_mimalloc": r["Ir"] / ref[r["app"]] if r["app"] in ref else None,
                "i1_misses": r["I1mr"],
                "d1_misses": r["D1mr"] + r["D1mw"],
            }
        )
    return rows


def report(folder, meta, rows, failures, out):
    print("EXACT: callgrind (--cache-sim=yes), one run per app and allocator; Ir = instructions", file=out)
    head = (
        f"{'app':<8} {'allocator':<22} {'Ir (M)':>10} {'Ir/mi':>7} "
        f"{'I1 miss (k)':>12} {'D1 miss (k)':>12} {'LL miss (k)':>12}"
    )
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in rows:
        ratio = f"{r['ir_vs_mimalloc']:.3f}" if r["ir_vs_mimalloc"] else "-"
        ll = r["ILmr"] + r["DLmr"] + r["DLmw"]
        print(
            f"{r['app']:<8} {r['allocator']:<22} {r['Ir'] / 1e6:10.1f} {ratio:>7} {r['i1_misses'] / 1e3:12.1f} "
            f"{r['d1_misses'] / 1e3:12.1f} {ll / 1e3:12.1f}",
            file=out,
        )
    bl.write_json(os.path.join(folder, "exact.json"), {**meta, "exact": rows, "failures": failures})
    bl.write_csv(
        os.path.join(folder, "exact.csv"), FIELDS, [["" if r.get(k) is None else r[k] for k in FIELDS] for r in rows]
    )
