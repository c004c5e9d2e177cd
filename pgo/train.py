"""Runs the training table (pgo/training.bzl) and collects each entry's raw profile: the step that
turns an instrumented build into profile data, for PGO (LLVM_PROFILE_FILE, then a weighted
`llvm-profdata merge`) and for BOLT (any instrumented binary or preloaded library that writes its
profile where an environment variable or the working directory says).

Every entry runs in its own directory DIR/<name>; the profile variable points there. A workload
that fails, crashes, times out or leaves no non-empty profile stops the whole run with one line
naming the entry, the workload and the exit status: a partial profile is never merged.
Outputs: DIR/manifest.json (entry, weight, profile files) and, with --merge-into, the merged file.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile

TOOL = "pgo-train"


class TrainingError(Exception):
    """A training run or the merge failed: reported as one line (plus the tool's output), exit 1."""


def parse_args(argv):
    p = argparse.ArgumentParser(prog=TOOL, description=__doc__.split("\n\n")[0])
    p.add_argument("--entry", nargs=4, action="append", default=[], metavar=("NAME", "WORKLOAD", "WEIGHT", "BINARY"),
                   help="one training run: its name, workload, merge weight and the binary to run")
    p.add_argument("--env", nargs=2, action="append", default=[], metavar=("NAME", "KEY=VALUE"),
                   help="an environment setting of entry NAME (the table's env)")
    p.add_argument("--set-env", action="append", default=[], metavar="KEY=VALUE",
                   help="an environment setting of every run (e.g. LD_PRELOAD=lib.so)")
    p.add_argument("--profile-env", default="LLVM_PROFILE_FILE",
                   help="variable that names the profile output ('' = none: the binary writes into its cwd)")
    p.add_argument("--profile-pattern", default="%p.profraw",
                   help="file name the profile variable gets inside the entry's directory")
    p.add_argument("--out-dir", help="where entry directories and manifest.json go (default: a temporary one)")
    p.add_argument("--merge-into", help="merge the raw profiles (weighted) into this .profdata file")
    p.add_argument("--llvm-profdata", help="llvm-profdata to merge with (from toolchain/llvm.bzl)")
    p.add_argument("--timeout", type=int, default=900, help="seconds one run may take")
    args = p.parse_args(argv)
    if not args.entry:
        p.error("no --entry given: the training table is empty")
    if args.merge_into and not args.llvm_profdata:
        p.error("--merge-into needs --llvm-profdata")
    return args


def key_value(text, flag):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise TrainingError(f"{flag} expects KEY=VALUE, got '{text}'")
    return key, value


def build_entries(args):
    """The --entry/--env arguments as a list of dicts, validated."""
    entries, by_name = [], {}
    for name, workload, weight, binary in args.entry:
        if name in by_name:
            raise TrainingError(f"entry '{name}' is given twice")
        if not weight.isdigit() or int(weight) < 1:
            raise TrainingError(f"entry '{name}': weight '{weight}' is not an integer >= 1")
        if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
            raise TrainingError(f"entry '{name}' (workload {workload}): binary {binary} is missing or not executable")
        entry = {"name": name, "workload": workload, "weight": int(weight),
                 "binary": os.path.abspath(binary), "env": {}}
        entries.append(entry)
        by_name[name] = entry
    for name, setting in args.env:
        if name not in by_name:
            raise TrainingError(f"--env names entry '{name}', which no --entry defines")
        key, value = key_value(setting, "--env")
        by_name[name]["env"][key] = value
    return entries


def describe_status(rc):
    if rc < 0:
        try:
            return f"killed by signal {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit code {rc}"


def run_entry(entry, args, common_env, out_dir):
    """Runs one entry in out_dir/<name>; returns its profile files (absolute paths)."""
    workdir = os.path.join(out_dir, entry["name"])
    try:
        os.makedirs(workdir)
    except OSError as e:
        raise TrainingError(f"cannot create {workdir} ({e.strerror}): give --out-dir an empty folder")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", **common_env, **entry["env"]}
    if args.profile_env:
        env[args.profile_env] = os.path.join(workdir, args.profile_pattern)
    label = f"training entry '{entry['name']}' (workload {entry['workload']})"
    try:
        proc = subprocess.run([entry["binary"]], cwd=workdir, env=env, capture_output=True, text=True,
                              timeout=args.timeout)
    except subprocess.TimeoutExpired:
        raise TrainingError(f"{label} did not finish within {args.timeout} s")
    except OSError as e:
        raise TrainingError(f"{label}: cannot run {entry['binary']}: {e.strerror}")
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-10:])
        raise TrainingError(f"{label} failed: {describe_status(proc.returncode)}"
                            + (f"\nits stderr (last lines):\n{tail}" if tail else ""))
    files = sorted(os.path.join(workdir, f) for f in os.listdir(workdir)
                   if os.path.isfile(os.path.join(workdir, f)))
    if not files:
        raise TrainingError(f"{label} exited 0 but wrote no profile into {workdir}"
                            " (is the binary instrumented?)")
    empty = [f for f in files if os.path.getsize(f) == 0]
    if empty:
        raise TrainingError(f"{label} left an empty profile file: {', '.join(empty)}")
    return files


def merge(args, runs):
    """llvm-profdata merge, each raw file weighted by its entry's weight; checks the result."""
    cmd = [args.llvm_profdata, "merge", "--failure-mode=all", "-o", args.merge_into]
    cmd += [f"--weighted-input={run['weight']},{f}" for run in runs for f in run["files"]]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise TrainingError(f"llvm-profdata merge failed ({describe_status(proc.returncode)}):\n{proc.stderr.strip()}")
    show = subprocess.run([args.llvm_profdata, "show", args.merge_into], capture_output=True, text=True)
    counted = [l for l in show.stdout.splitlines() if l.startswith("Total functions:")]
    if show.returncode != 0 or not counted or int(counted[0].split(":")[1]) == 0:
        raise TrainingError(f"the merged profile {args.merge_into} has no functions:\n{show.stdout}{show.stderr}")


def train(args, out_dir):
    entries = build_entries(args)
    common_env = dict(key_value(s, "--set-env") for s in args.set_env)
    runs = []
    for entry in entries:
        files = run_entry(entry, args, common_env, out_dir)
        runs.append({"name": entry["name"], "workload": entry["workload"], "weight": entry["weight"],
                     "env": entry["env"], "files": files})
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump({"profile_env": args.profile_env, "runs": runs}, f, indent=2)
        f.write("\n")
    if args.merge_into:
        merge(args, runs)


def main(argv):
    args = parse_args(argv)
    try:
        if args.out_dir:
            os.makedirs(args.out_dir, exist_ok=True)
            train(args, args.out_dir)
        else:
            with tempfile.TemporaryDirectory(prefix="pgo-train-") as tmp:
                train(args, tmp)
    except TrainingError as e:
        print(f"{TOOL}: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
