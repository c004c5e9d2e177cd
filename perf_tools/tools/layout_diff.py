"""Layout diff of two builds (two variants, or any two binaries / .so files): section sizes and
total text; for each hot function its address, size, alignment, the 64-byte lines and 4 KiB
pages it spans and its neighbours; the hot-text footprint; and what moved, grew, shrank, split
into a .cold part, vanished (inlined or dropped) or appeared. Binaries are read with llvm-readelf.

usage: layout_diff.py --llvm-readelf PATH [--known NAME=PATH ...] A B
         [--functions f,g,... | --hot HOT.json] [--top N] [--name NAME]
  A and B are names given by --known (the Bazel target knows every variant's .so and linked
  Mixed binary) or paths. Hot functions: --functions, or the first N of a hot.py JSON (--hot);
  neither: the allocator's entry points (say so in the report)."""

import argparse
import json
import os
import sys

import elfinfo
import ptlib
from ptlib import bl

TOOL = "layout_diff"
ENTRY_POINTS = [
    "malloc",
    "free",
    "calloc",
    "realloc",
    "aligned_alloc",
    "posix_memalign",
    "memalign",
    "valloc",
    "pvalloc",
    "malloc_usable_size",
]


def hot_from_json(path, top):
    """The first `top` function names of a hot.py result (callgrind's order, else perf's)."""
    try:
        with open(path) as f:
            data = json.load(f)
        rows = data.get("callgrind") or data.get("perf") or []
        names = [r["function"] for r in rows]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise bl.UsageError(f"--hot {path} is not a hot.py result: {e}")
    if not names:
        raise bl.UsageError(f"--hot {path} lists no functions")
    return names[:top]


def change_of(a, b):
    """What happened to one function between A and B (its main part only)."""
    if a is None and b is None:
        return "absent in both"
    if a is None:
        return "appeared"
    if b is None:
        return "vanished (inlined or dropped)"
    what = []
    if b["size"] != a["size"]:
        what.append(f"{'grew' if b['size'] > a['size'] else 'shrank'} {b['size'] - a['size']:+d} B")
    if b["address"] != a["address"]:
        what.append("moved")
    return ", ".join(what) or "same place and size"


def _cell(f):
    if f is None:
        return ["-"] * 5
    return [f"0x{f['address']:x}", str(f["size"]), str(f["align"]), str(f["lines"]), str(f["pages"])]


def diff(readelf, a_path, b_path, hot, hot_source, label_a="A", label_b="B"):
    """(markdown, data) comparing the layouts of a_path and b_path for the functions `hot`."""
    sec = {k: {s["name"]: s for s in elfinfo.sections(readelf, p)} for k, p in (("a", a_path), ("b", b_path))}
    fun = {"a": elfinfo.functions(readelf, a_path), "b": elfinfo.functions(readelf, b_path)}
    out = [
        f"## Layout diff: {label_a} -> {label_b}",
        "",
        f"- A = {label_a}: `{a_path}`",
        f"- B = {label_b}: `{b_path}`",
        "",
    ]
    rows = []
    for name in list(sec["a"]) + [n for n in sec["b"] if n not in sec["a"]]:
        sa, sb = sec["a"].get(name), sec["b"].get(name)
        za, zb = (sa or {}).get("size", 0), (sb or {}).get("size", 0)
        if za or zb:
            rows.append([name, str(za) if sa else "-", str(zb) if sb else "-", f"{zb - za:+d}"])
    text = {k: sum(s["size"] for s in sec[k].values() if s["exec"]) for k in sec}
    rows.append(["**total text** (executable sections)", str(text["a"]), str(text["b"]), f"{text['b'] - text['a']:+d}"])
    out += ["### Sections (bytes, loaded ones)", "", ptlib.md_table(["section", label_a, label_b, "delta"], rows), ""]

    found = [n for n in hot if n in fun["a"] or n in fun["b"]]
    missing = [n for n in hot if n not in found]
    out += [
        f"### Hot functions ({hot_source}; {len(found)} of {len(hot)} present in either build)",
        "",
        "address / size (B) / alignment of the start (B, capped at 4096) / 64-byte lines / 4 KiB pages spanned",
        "",
    ]
    hot_rows, records = [], []
    for n in found:
        a, b = fun["a"].get(n), fun["b"].get(n)
        cold_a = [k for k in fun["a"] if elfinfo.cold_parent(k) == n]
        cold_b = [k for k in fun["b"] if elfinfo.cold_parent(k) == n]
        change = change_of(a, b)
        if cold_b and not cold_a:
            change += "; split (.cold part in B)"
        elif cold_a and not cold_b:
            change += "; .cold part gone in B"
        hot_rows.append([f"`{n}`"] + _cell(a) + _cell(b) + [change])
        records.append(
            {
                "function": n,
                "a": a,
                "b": b,
                "cold_a": cold_a,
                "cold_b": cold_b,
                "change": change,
                "neighbours_a": elfinfo.neighbours(fun["a"], n) if a else None,
                "neighbours_b": elfinfo.neighbours(fun["b"], n) if b else None,
            }
        )
    head = (
        ["function"]
        + [f"{side} {c}" for side in "AB" for c in ("addr", "size", "align", "lines", "pages")]
        + ["change"]
    )
    out += [ptlib.md_table(head, hot_rows), ""]
    if missing:
        out += [
            f"Not a function symbol in either build (inlined everywhere, or not this binary's): "
            f"{', '.join('`' + m + '`' for m in missing)}",
            "",
        ]
    nb_rows = [
        [
            f"`{r['function']}`",
            " / ".join(r["neighbours_a"]) if r["neighbours_a"] else "-",
            " / ".join(r["neighbours_b"]) if r["neighbours_b"] else "-",
        ]
        for r in records
    ]
    out += [
        "### Neighbours (previous / next function in address order)",
        "",
        ptlib.md_table(["function", label_a, label_b], nb_rows),
        "",
    ]
    fa, fb = elfinfo.footprint(fun["a"], found), elfinfo.footprint(fun["b"], found)
    out += [
        "### Hot-text footprint (the hot functions with their .cold parts)",
        "",
        ptlib.md_table(
            ["", label_a, label_b, "delta"],
            [
                ["64-byte lines", str(fa[0]), str(fb[0]), f"{fb[0] - fa[0]:+d}"],
                ["4 KiB pages", str(fa[1]), str(fb[1]), f"{fb[1] - fa[1]:+d}"],
            ],
        ),
        "",
    ]
    common = [n for n in fun["a"] if n in fun["b"]]
    moved = [n for n in common if fun["a"][n]["address"] != fun["b"][n]["address"]]
    grew = [n for n in common if fun["b"][n]["size"] > fun["a"][n]["size"]]
    shrank = [n for n in common if fun["b"][n]["size"] < fun["a"][n]["size"]]
    vanished = [n for n in fun["a"] if n not in fun["b"]]
    appeared = [n for n in fun["b"] if n not in fun["a"]]
    split = [n for n in appeared if elfinfo.cold_parent(n)]

    def listed(names):
        return ", ".join(f"`{n}`" for n in names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")

    out += [
        "### Every function",
        "",
        f"{len(fun['a'])} functions in {label_a}, {len(fun['b'])} in {label_b}; {len(moved)} moved, "
        f"{len(grew)} grew ({listed(grew) or 'none'}), {len(shrank)} shrank ({listed(shrank) or 'none'}), "
        f"{len(split)} split into .cold parts ({listed(split) or 'none'}), {len(vanished)} vanished "
        f"({listed(vanished) or 'none'}), {len(appeared) - len(split)} appeared "
        f"({listed([n for n in appeared if n not in split]) or 'none'}).",
    ]
    data = {
        "a": a_path,
        "b": b_path,
        "sections": sec,
        "text_bytes": text,
        "hot_source": hot_source,
        "hot": records,
        "missing": missing,
        "footprint": {"a": fa, "b": fb},
        "counts": {
            "functions_a": len(fun["a"]),
            "functions_b": len(fun["b"]),
            "moved": len(moved),
            "grew": grew,
            "shrank": shrank,
            "split": split,
            "vanished": vanished,
            "appeared": appeared,
        },
    }
    return "\n".join(out), data


def resolve(spec, known):
    if spec in known:
        return spec, known[spec]
    if os.path.isfile(spec):
        return os.path.basename(spec), os.path.abspath(spec)
    raise bl.UsageError(f"'{spec}' is neither a known build ({', '.join(known) or 'none given'}) nor a file")


def main(argv):
    p = argparse.ArgumentParser(prog=TOOL, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--llvm-readelf", required=True)
    p.add_argument("--known", action="append", default=[], help="NAME=PATH of a build A or B may name")
    p.add_argument("--functions", help="comma-separated hot function names")
    p.add_argument("--hot", help="a hot.py result (hot.json): its first --top functions")
    p.add_argument("--top", type=int, default=20)
    p.add_argument("--name", default=TOOL)
    p.add_argument("a")
    p.add_argument("b")
    args = p.parse_args(argv)
    try:
        readelf = ptlib.require_exec(args.llvm_readelf, "--llvm-readelf")
        known = dict(ptlib.parse_named(args.known, "--known", ptlib.require_file))
        (label_a, a_path), (label_b, b_path) = resolve(args.a, known), resolve(args.b, known)
        if label_a == label_b:
            label_a, label_b = "A:" + label_a, "B:" + label_b
        if not 1 <= args.top <= 500:
            raise bl.UsageError(f"--top {args.top} is out of range (1..500)")
        if args.functions and args.hot:
            raise bl.UsageError("give --functions or --hot, not both")
        if args.functions:
            hot = [f.strip() for f in args.functions.split(",") if f.strip()]
            if not hot:
                raise bl.UsageError("--functions lists no names")
            source = "the list given"
        elif args.hot:
            hot, source = hot_from_json(args.hot, args.top), f"top {args.top} of {args.hot}"
        else:
            hot, source = ENTRY_POINTS, "no profile given: the allocator's entry points"
        text, data = diff(readelf, a_path, b_path, hot, source, label_a, label_b)
        folder = bl.results_dir(args.name)
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    bl.write_json(os.path.join(folder, "layout_diff.json"), data)
    ptlib.write_report(folder, "layout_diff", f"# {args.name}\n\n" + text)


if __name__ == "__main__":
    main(sys.argv[1:])
