"""Smoke test of layout_diff.py on two shuffled-layout copies of FAST (same code, other order):
the report has every section, the hot functions with the same size but moved, a footprint; the
JSON agrees; a given --functions list and a name that is no function are handled; bad input
(unknown build, missing readelf, --functions with --hot, bad --top) exits 2 with one line."""

import json
import os
import sys

from ptcheck import check, expect_usage_error, finish, run


def main(argv):
    tool, args = argv[0], argv[1:]
    readelf = next(a for a in args if a.startswith("--llvm-readelf="))
    libs = [a.split("=", 2)[2] for a in args if a.startswith("--preload=")]
    rc, out, err, folder = run(tool, [readelf, libs[0], libs[1]])
    if check(rc == 0, f"layout_diff: exit {rc}: {err[-1500:]}"):
        for needle in (
            "### Sections",
            "**total text**",
            "### Hot functions",
            "`malloc`",
            "`free`",
            "### Neighbours",
            "### Hot-text footprint",
            "### Every function",
        ):
            check(needle in out, f"report lacks {needle!r}")
        with open(os.path.join(folder, "layout_diff.json")) as f:
            data = json.load(f)
        hot = {r["function"]: r for r in data["hot"]}
        check(
            "malloc" in hot and hot["malloc"]["a"]["size"] == hot["malloc"]["b"]["size"],
            "malloc should keep its size across a shuffle",
        )
        check(
            data["counts"]["moved"] > 0 and not data["counts"]["vanished"],
            f"a shuffle moves functions and drops none: {data['counts']}",
        )
    rc, out, err, _ = run(tool, [readelf, "--functions=malloc,no_such_function", libs[0], libs[1]])
    check(
        rc == 0 and "`no_such_function`" in out and "Not a function symbol" in out,
        f"--functions with an unknown name: exit {rc}: {err[-600:]}",
    )
    expect_usage_error(tool, [readelf, "nosuchbuild", libs[1]], None, "nosuchbuild", "unknown build")
    expect_usage_error(
        tool, ["--llvm-readelf=/nonexistent", libs[0], libs[1]], None, "--llvm-readelf", "missing readelf"
    )
    expect_usage_error(
        tool,
        [readelf, "--functions=malloc", "--hot=x.json", libs[0], libs[1]],
        None,
        "not both",
        "--functions and --hot",
    )
    expect_usage_error(tool, [readelf, "--top=0", libs[0], libs[1]], None, "--top", "bad --top")
    finish("layout_diff", "layout_diff smoke checks passed")


if __name__ == "__main__":
    main(sys.argv[1:])
