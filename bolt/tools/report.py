"""`bazel run //bolt:report`: what llvm-bolt did to each BOLTed output, as markdown on stdout.

For every output: the training runs and weights behind its profile, how much of it the profile
covered, BOLT's dyno-stats before/after, the functions the profile says are hot with their address
before and after (section, span in bytes / cache lines / pages) and the cold fragments split out.
Facts come from llvm-bolt's own log and from llvm-readelf on the files, read by perf_tools' elfinfo
(tool path from toolchain/llvm.bzl); `--watch=FN:CALLER` reports where an always-inline function's code landed.
With --holdout-app it then measures the hold-out programs under FAST, FAST_PGO and FAST_PGO_BOLT
(pgo/holdout.py: exact instructions and I1 misses, timed verdicts; RUNS rounds, SMOKE=1 shrinks).
"""

import argparse
import json
import re
import sys

import benchlib as bl
import elfinfo
import holdout

TOP = 16  # hot functions listed per output


def sections(readelf, path):
    """name -> (start, end) of every section loaded at an address."""
    return {
        x["name"]: (x["address"], x["address"] + x["size"]) for x in elfinfo.sections(readelf, path) if x["address"]
    }


def functions(readelf, path):
    """name -> (address, size) of every defined function; a cold fragment of a ThinLTO-renamed
    function ('f.llvm.<hash>.cold.0') is keyed 'f.cold.0' like its parent's base name."""
    return {
        re.sub(r"\.llvm\.\d+", "", name): (f["address"], f["size"])
        for name, f in elfinfo.functions(readelf, path).items()
    }


def section_of(secs, addr):
    return next((name for name, (lo, hi) in secs.items() if lo <= addr < hi), "?")


def hot_list(log):
    """BOLT's own ranking (-print-sorted-by=executed-instructions): [(symbol, instructions)], the
    symbols named as elfinfo names them (ThinLTO's .llvm.<hash> suffix dropped)."""
    block = log.split("top functions sorted by (executed instructions) are:", 1)
    if len(block) < 2:
        return []
    hot = []
    for m in re.finditer(r"^\s+(\S+?)(?:/\d+)?(?:\(\*\d+\))? \(executed-instructions=(\d+)\)$", block[1], re.M):
        hot.append((elfinfo.base_name(m.group(1)), int(m.group(2))))
    return hot


def dyno_stats(log):
    """[(metric, before, after, change)] from the two dyno-stats blocks of the log."""
    body = log.split("program-wide dynostats after all optimizations before SCTC and FOP:", 1)
    if len(body) < 2:
        return []
    before = dict((m.group(2), int(m.group(1))) for m in re.finditer(r"^\s+(\d+) : ([^(\n]+?)\s*$", body[1], re.M))
    rows = []
    for m in re.finditer(r"^\s+(\d+) : (.+?) \(([^)]+)\)$", body[1], re.M):
        rows.append((m.group(2), before.get(m.group(2)), int(m.group(1)), m.group(3)))
    return rows


def span(addrs):
    """(bytes, 64 B lines, 4 KiB pages) covered from the first to the last function."""
    if not addrs:
        return 0, 0, 0
    lo, hi = min(a for a, _ in addrs), max(a + s for a, s in addrs)
    lines = {x // 64 for a, s in addrs for x in range(a, a + max(s, 1))}
    pages = {x // 4096 for a, s in addrs for x in range(a, a + max(s, 1))}
    return hi - lo, len(lines), len(pages)


def report_one(args, name, before, after, opt_log, fdata_log):
    with open(opt_log) as f:
        log = f.read()
    with open(fdata_log) as f:
        training = json.load(f)["runs"]
    print(f"## {name}\n")
    print(f"Input `{before}`, output `{after}`.\n")
    print("Training (pgo/training.bzl; merge-fdata gets each run's profile `weight` times):\n")
    print("| entry | workload | weight | processes | parameters |\n|---|---|---|---|---|")
    for r in training:
        params = " ".join(f"{k}={v}" for k, v in sorted(r["env"].items()))
        print(f"| {r['name']} | {r['workload']} | {r['weight']} | {len(r['files'])} | {params} |")
    covered = re.search(r"BOLT-INFO: (\d+ out of \d+ functions in the binary \([\d.]+%\)) have non-empty", log)
    split = re.search(r"BOLT-INFO: splitting separates (\d+) hot bytes from (\d+) cold bytes", log)
    print(f"\nProfile: {covered.group(1) if covered else '?'} have a profile.")
    if split:
        print(f"Splitting: {split.group(1)} hot bytes kept, {split.group(2)} cold bytes moved to `.text.cold`.")

    print("\nDyno-stats (profile-weighted, from the BOLT log):\n")
    print("| metric | before | after | change |\n|---|---:|---:|---:|")
    for metric, b, a, change in dyno_stats(log):
        print(f"| {metric} | {b if b is not None else '?'} | {a} | {change} |")

    secs_a = sections(args.llvm_readelf, after)
    fn_b, fn_a = functions(args.llvm_readelf, before), functions(args.llvm_readelf, after)
    hot = [(n, i) for n, i in hot_list(log) if n in fn_a][:TOP]
    print(f"\nThe {len(hot)} hottest functions (BOLT's ranking by executed instructions) before and after:\n")
    print("| function | instructions | before | after | section after | cold fragment |\n|---|---:|---|---|---|---|")
    for n, instr in hot:
        cold = fn_a.get(n + ".cold.0")
        b = fn_b.get(n)
        print(
            f"| `{n}` | {instr} | {'0x%x' % b[0] if b else '-'} | 0x{fn_a[n][0]:x} | "
            f"{section_of(secs_a, fn_a[n][0])} | {'%d B at 0x%x' % (cold[1], cold[0]) if cold else '-'} |"
        )
    sb = span([fn_b[n] for n, _ in hot if n in fn_b])
    sa = span([fn_a[n] for n, _ in hot])
    print(
        f"\nThose {len(hot)} functions span {sb[0]} B ({sb[1]} cache lines of 64 B, {sb[2]} pages) before"
        f" and {sa[0]} B ({sa[1]} lines, {sa[2]} pages) after (hot parts only; cold fragments excluded)."
    )
    text = secs_a.get(".text")
    if text:
        inside = sorted((a, n) for n, (a, s) in fn_a.items() if text[0] <= a < text[1] and s)
        profiled = {n for n, _ in hot_list(log)}
        strangers = [
            n
            for _, n in inside
            if n not in profiled and not n.startswith(("_", "frame_dummy", "register_tm", "deregister_tm"))
        ]
        print(
            f"\nHot `.text` after BOLT: 0x{text[0]:x}-0x{text[1]:x} ({text[1] - text[0]} B), {len(inside)} functions"
            f" in this order: {', '.join(n for _, n in inside)}."
        )
        print(f"Functions in it without a profile: {', '.join(strangers) if strangers else 'none'}.")
    for watch in args.watch:
        fn, caller = watch.split(":")
        where = fn_a.get(fn)
        if where:
            print(f"\n`{fn}` is a function of its own: 0x{where[0]:x} in {section_of(secs_a, where[0])}.")
        elif caller in fn_a:
            c, cold = fn_a[caller], fn_a.get(caller + ".cold.0")
            print(
                f"\n`{fn}` has no symbol of its own: it is always-inline, its code is part of `{caller}`, "
                f"which lands at 0x{c[0]:x} ({c[1]} B) in {section_of(secs_a, c[0])}"
                + (f", cold fragment {cold[1]} B in {section_of(secs_a, cold[0])}." if cold else ", not split.")
            )
    print()


def main(argv):
    p = argparse.ArgumentParser(prog="bolt-report", description=__doc__.split("\n\n")[0])
    p.add_argument("--llvm-readelf", required=True)
    p.add_argument(
        "--output", nargs=5, action="append", default=[], metavar=("NAME", "BEFORE", "AFTER", "OPT_LOG", "FDATA_LOG")
    )
    p.add_argument("--watch", action="append", default=[], help="FUNCTION:CALLER_IT_IS_INLINED_INTO")
    p.add_argument("--holdout-app", action="append", default=[], help="a program never trained on (HOLDOUT_APPS)")
    p.add_argument("--apps-arg", action="append", default=[], help="one argument of the //bench:apps command")
    p.add_argument("--compare", default="", help="BASE,VARIANT,...: the builds the hold-out programs run under")
    args = p.parse_args(argv)
    try:
        smoke = bl.env_int("SMOKE", 0, 0, 1) == 1
        runs = bl.env_int("RUNS", 2 if smoke else 10, 1, 1000)
        folder = bl.results_dir("bolt_report") if args.holdout_app else None
    except bl.UsageError as e:
        bl.fail_usage("bolt-report", str(e))
    print("# BOLT report\n")
    for name, before, after, opt_log, fdata_log in args.output:
        report_one(args, name, before, after, opt_log, fdata_log)
    if args.holdout_app:
        builds = args.compare.split(",")
        try:
            text, _ = holdout.measure(
                ["/usr/bin/python3", "-B"] + args.apps_arg, args.holdout_app, builds[0], builds[1:], folder, smoke, runs
            )
        except holdout.HoldoutError as e:
            sys.exit(f"bolt-report: hold-out programs: {e}")
        print(text)
        print(f"results: {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
