"""pgo/train.py on good and bad input: a real instrumented workload trains and merges into a
profile with functions in it; a failing, crashing or profile-less workload, a missing binary and
a malformed table, an unknown or server program each stop it with exit 1 and one error line
naming the entry, never a profile.
"""

import json
import os
import subprocess
import sys
import tempfile

from smokecheck import check, finish


def run_train(train, args):
    proc = subprocess.run(["/usr/bin/python3", "-B", train] + args, capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def expect_error(train, profdata, tmp, label, entries, needles, extra=()):
    out = os.path.join(tmp, label + ".profdata")
    args = ["--llvm-profdata", profdata, "--merge-into", out] + list(extra)
    for e in entries:
        args += ["--entry"] + list(e)
    rc, _, err = run_train(train, args)
    lines = err.strip().splitlines()
    check(rc == 1, f"{label}: exit {rc}, expected 1 (stderr: {err.strip()})")
    check(bool(lines) and lines[0].startswith("pgo-train: error: "), f"{label}: no error line: {err!r}")
    for n in needles:
        check(n in err, f"{label}: error does not say {n!r}: {err.strip()}")
    check(not os.path.exists(out), f"{label}: a profile was written despite the failure")


def script(tmp, name, body):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)
    return path


def main(argv):
    train, profdata, instrumented = argv
    with tempfile.TemporaryDirectory() as tmp:
        # Good input: two entries of the real instrumented workload, merged with weights 3 and 1.
        out_dir, merged = os.path.join(tmp, "good"), os.path.join(tmp, "good.profdata")
        rc, _, err = run_train(
            train,
            [
                "--llvm-profdata",
                profdata,
                "--merge-into",
                merged,
                "--out-dir",
                out_dir,
                "--entry",
                "small",
                "mixed",
                "3",
                instrumented,
                "--env",
                "small",
                "ITERS=20000",
                "--entry",
                "wide",
                "mixed",
                "1",
                instrumented,
                "--env",
                "wide",
                "ITERS=20000",
                "--env",
                "wide",
                "WS=2000",
            ],
        )
        check(rc == 0, f"good input: exit {rc}: {err.strip()}")
        if rc == 0:
            manifest = json.load(open(os.path.join(out_dir, "manifest.json")))
            check([r["name"] for r in manifest["runs"]] == ["small", "wide"], f"manifest runs: {manifest}")
            check(
                all(r["files"] and all(os.path.getsize(f) > 0 for f in r["files"]) for r in manifest["runs"]),
                "manifest lists a missing or empty raw profile",
            )
            check(manifest["runs"][1]["env"] == {"ITERS": "20000", "WS": "2000"}, "per-entry env lost")
            show = subprocess.run([profdata, "show", merged], capture_output=True, text=True).stdout
            check("Total functions:" in show and "Total functions: 0" not in show, f"merged profile: {show}")

        bad_exit = script(tmp, "exits3", "exit 3")
        crash = script(tmp, "crashes", "kill -SEGV $$")
        silent = script(tmp, "silent", "exit 0")
        expect_error(
            train,
            profdata,
            tmp,
            "failing workload",
            [("bad", "prodcons", "1", bad_exit)],
            ["'bad'", "prodcons", "exit code 3"],
        )
        expect_error(
            train, profdata, tmp, "crashing workload", [("boom", "larson", "1", crash)], ["'boom'", "larson", "SIGSEGV"]
        )
        expect_error(
            train, profdata, tmp, "no profile", [("quiet", "mixed", "1", silent)], ["'quiet'", "wrote no profile"]
        )
        # A later entry failing must not leave the earlier one's profile behind as the result.
        expect_error(
            train,
            profdata,
            tmp,
            "second entry fails",
            [("ok", "mixed", "1", instrumented), ("bad", "mixed", "1", bad_exit)],
            ["'bad'", "exit code 3"],
        )
        expect_error(
            train,
            profdata,
            tmp,
            "missing binary",
            [("gone", "mixed", "1", os.path.join(tmp, "nope"))],
            ["'gone'", "missing or not executable"],
        )
        expect_error(train, profdata, tmp, "zero weight", [("w0", "mixed", "0", instrumented)], ["weight '0'"])
        expect_error(
            train,
            profdata,
            tmp,
            "env for unknown entry",
            [("a", "mixed", "1", instrumented)],
            ["'zzz'"],
            extra=["--env", "zzz", "ITERS=1"],
        )
        expect_error(
            train,
            profdata,
            tmp,
            "bad workload parameter",
            [("p", "mixed", "1", instrumented)],
            ["'p'", "exit code 2", "ITERS"],
            extra=["--env", "p", "ITERS=banana"],
        )
        # Real-program entries: an unknown program, a server, a size it lacks, missing companions.
        apps = ["--app-preload", instrumented, "--apps-inputs", tmp, "--apps-probe", instrumented]
        expect_error(
            train,
            profdata,
            tmp,
            "unknown app",
            [],
            ["'x'", "unknown app 'nope'", "sqlite"],
            extra=["--app", "x", "nope", "1", "small"] + apps,
        )
        expect_error(
            train,
            profdata,
            tmp,
            "server app",
            [],
            ["'r'", "redis", "server"],
            extra=["--app", "r", "redis", "1", "small"] + apps,
        )
        expect_error(
            train,
            profdata,
            tmp,
            "unknown size",
            [],
            ["'s'", "no size 'huge'"],
            extra=["--app", "s", "lua", "1", "huge"] + apps,
        )
        rc, _, err = run_train(train, ["--llvm-profdata", profdata, "--app", "l", "lua", "1", "small"])
        check(rc == 2 and "--app needs --app-preload" in err, f"app without its library: exit {rc}: {err.strip()}")
        rc, _, err = run_train(train, ["--llvm-profdata", profdata])
        check(rc == 2 and "no --entry" in err, f"empty table: exit {rc}: {err.strip()}")
    finish("train_test", "train_test: every check passed")


if __name__ == "__main__":
    main(sys.argv[1:])
