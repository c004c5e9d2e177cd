"""//configs:tables_test: what is written outside configs/ agrees with its tables.
  1. hakmem/src/research_boxes.h defines exactly the boxes of configs/research_boxes.bzl, each
     with the table's default (the C default is what every plain build compiles).
  2. .bazelrc has a config per variant that selects it (.ci/run builds every one).
  3. No tool or CI script names a variant in a string: a list of variants kept there goes stale
     when the table changes (issue #21). Tools take names from the table (bench/tools/tables.py)
     or from the arguments Bazel generates, and the allocators a report shows by default from
     configs/report_defaults.bzl.
  4. Every name in those default sets is an allocator the tables make (a renamed variant or a
     dropped external allocator fails here, not silently in a report).
usage: tables_test.py TABLES_JSON (run by Bazel in the runfiles tree, where the files sit)."""

import glob
import json
import re
import sys

failures = []

# Allocator names of bench/tools/allocators.py that no table entry makes.
FIXED_ALLOCATORS = {"libc-same-binary", "system"}


def check(ok, message):
    if not ok:
        failures.append(message)


def research_box_defaults(tables):
    with open("hakmem/src/research_boxes.h") as f:
        header = dict(re.findall(r"^#define (HAK_RB_\w+) (\d+)\s*$", f.read(), re.M))
    boxes = tables["research_boxes"]
    check(set(header) == set(boxes), f"research_boxes.h defines {sorted(header)}, the table has {sorted(boxes)}")
    for name, spec in boxes.items():
        if name in header:
            check(
                int(header[name]) == spec["default"],
                f"{name}: research_boxes.h defaults to {header[name]}, the table to {spec['default']}",
            )
        check(spec["default"] in spec["values"], f"{name}: default {spec['default']} not among {spec['values']}")


def bazelrc_configs(tables):
    with open(".bazelrc") as f:
        rc = f.read()
    for v in tables["variants"]:
        check(
            f"build:{v['name']} --define=hak_variant={v['name']}\n" in rc,
            f".bazelrc: no config {v['name']} selecting the variant (build:{v['name']} --define=hak_variant=...)",
        )


def hard_coded_names(tables):
    names = set()
    for v in tables["variants"] + tables["derived"]:
        for n in (v["name"], v["label"]):
            names |= {n, "hakmem-" + n, f"hakmem-{n}-preload"}
    quoted = re.compile(r"""["']([\w-]+)["']""")
    files = sorted(
        set(
            glob.glob("bench/tools/*.py")
            + glob.glob("perf_tools/tools/*.py")
            + glob.glob("pgo/*.py")
            + ["bench/tests/smoke_tenrun.py", ".ci/run"]
        )
    )
    check(len(files) > 10, f"only {len(files)} files to scan: the test's data is incomplete")
    for path in files:
        with open(path) as f:
            for no, line in enumerate(f, 1):
                code = line.split("#", 1)[0] if path.endswith(".py") else line
                for m in quoted.finditer(code):
                    if m.group(1) in names:
                        check(
                            False,
                            f"{path}:{no}: variant name {m.group(0)} hard-coded (take it from configs/tables.json)",
                        )
                if path == ".ci/run" and re.search(r"^\s*for \w+ in .*\b(fast|standard|observe|hardened)\b", line):
                    check(False, f"{path}:{no}: a loop over hard-coded variant names")


def report_defaults(tables):
    known = set(FIXED_ALLOCATORS)
    for v in tables["variants"] + tables["derived"] + tables["box_variants"]:
        known |= {"hakmem-" + v["label"], f"hakmem-{v['label']}-preload"}
    for name, spec in tables["external_allocators"].items():
        known |= {name + "-preload"} | ({name + "-linked"} if spec.get("linkopt") else set())
    check(
        tables["libc_same_binary_host"] in [v["name"] for v in tables["variants"]],
        f"libc_same_binary_host {tables['libc_same_binary_host']!r} is no variant",
    )
    check(len(tables["report_defaults"]) >= 5, f"report_defaults has only {sorted(tables['report_defaults'])}")
    for tool, names in tables["report_defaults"].items():
        for n in names:
            check(n in known, f"report_defaults[{tool}]: {n!r} is no allocator the tables make")
        check(len(set(names)) == len(names), f"report_defaults[{tool}] names an allocator twice")


def main(argv):
    with open(argv[0]) as f:
        tables = json.load(f)
    research_box_defaults(tables)
    bazelrc_configs(tables)
    hard_coded_names(tables)
    report_defaults(tables)
    for message in failures:
        print("FAIL: " + message)
    print(f"tables_test: {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
