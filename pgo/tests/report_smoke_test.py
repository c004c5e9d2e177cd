"""CI smoke test of pgo/report.py: a SMOKE=1 run must print every section with numbers in it and
write report.md/report.json; bad environment values or a missing profile must exit 2 with one
clear error line. The numbers themselves are not judged (smoke-sized runs on a shared machine)."""

import json
import os
import re
import subprocess
import sys

from smokecheck import check, finish, python_env

SECTIONS = [
    "## Training table",
    "## Profile coverage",
    "## What the profile changed",
    "## Instructions per operation",
    "## Throughput FAST_PGO / FAST",
    "## Hold-out programs",
]


def run(cmd, env):
    full = {"PATH": "/usr/bin:/bin", "TEST_TMPDIR": os.environ.get("TEST_TMPDIR", "/tmp"), **python_env(), **env}
    return subprocess.run(cmd, env=full, capture_output=True, text=True, timeout=600)


def main():
    report_args = sys.argv[sys.argv.index("--") + 1 :]
    cmd = ["/usr/bin/python3", "-B"] + report_args
    tmp = os.environ.get("TEST_TMPDIR", "/tmp")
    folder = os.path.join(tmp, "report")
    proc = run(cmd, {"SMOKE": "1", "RESULTS_DIR": folder})
    if check(proc.returncode == 0, f"report failed (exit {proc.returncode}): {proc.stderr[-2000:]}"):
        out = proc.stdout
        for s in SECTIONS:
            check(s in out, f"report lacks section {s!r}")
        check(re.search(r"functions with a record: \d+, executed: \d+", out) is not None, "no coverage figures")
        check(re.search(r"\| `malloc` \| \d+ \| \d+ \|", out) is not None, "no malloc instruction counts")
        check(len(re.findall(r"\| hakmem-fast(-pgo)?(-preload)? \| \d+\.\d\d \|", out)) == 4, "not four Ir/op rows")
        rows = re.findall(r"^\| (mixed\S*)(?: \(hold-out\))? \| (linked in|preloaded) \|.*\| (\d\.\d{4}) \|", out, re.M)
        check(len(rows) == 4 and {r[0] for r in rows} == {"mixed", "mixed_mt"}, f"throughput rows: {rows}")
        check("(hold-out)" in out, "the hold-out is not marked")
        # SMOKE=1 runs the first hold-out program only
        app = next(a.split("=", 1)[1] for a in report_args if a.startswith("--holdout-app="))
        exact_rows = re.findall(r"^\| %s \| hakmem-fast(-pgo)? \| \d{6,} \|" % app, out, re.M)
        check(len(exact_rows) == 2, f"hold-out program {app}: exact rows {exact_rows}")
        check(
            re.search(r"^\| %s \| hakmem-fast-pgo \| \d+ \| \d\.\d{4} \|" % app, out, re.M) is not None,
            f"no timed row for hold-out program {app}",
        )
        data = json.load(open(os.path.join(folder, "report.json")))
        for key in (
            "coverage",
            "code_changes",
            "instructions",
            "throughput",
            "machine",
            "training",
            "holdout_programs",
        ):
            check(key in data, f"report.json lacks {key}")
        check(data["coverage"]["functions_hit"] > 0, "the profile hit no function")
        check(os.path.exists(os.path.join(folder, "report.md")), "no report.md")
    for env, extra, word in [
        ({"RUNS": "abc"}, [], "RUNS"),
        ({"SMOKE": "7"}, [], "SMOKE"),
        ({}, ["--profile=/nonexistent.profdata"], "profile"),
    ]:
        proc = run(cmd + extra, {"SMOKE": "1", "RESULTS_DIR": os.path.join(tmp, "bad"), **env})
        lines = proc.stderr.strip().splitlines()
        check(proc.returncode == 2, f"{env or extra}: exit {proc.returncode}, expected 2")
        check(
            len(lines) == 1 and "error" in lines[0] and word in lines[0],
            f"{env or extra}: not one clear error line: {proc.stderr.strip()[-300:]!r}",
        )
    finish("pgo report", "pgo report smoke checks passed")


if __name__ == "__main__":
    main()
