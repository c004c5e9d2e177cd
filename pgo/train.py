"""Runs the training table (pgo/training.bzl) and collects each entry's raw profile: the step that
turns an instrumented build into profile data, for PGO (LLVM_PROFILE_FILE, then a weighted
`llvm-profdata merge`) and for BOLT (any instrumented binary or preloaded library that writes its
profile where an environment variable or the working directory says).

Every entry runs in its own directory DIR/<name>; the profile variable points there. An entry is
a workload binary (--entry) or a real program of //bench:apps (--app: bench/tools/apps_table.py
prepares its command and input, apps_run.py runs it with the --app-preload library and proves
that library served its malloc). A run that fails, crashes, times out or leaves no non-empty profile
(files ending in --profile-suffix anywhere under its directory: a program may change directory,
e.g. git -C) stops the whole run with one line naming the entry: a partial profile is never merged.
Outputs: DIR/manifest.json (entry, weight, profile files) and, with --merge-into, the merged file.
"""

import argparse
import importlib
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
    p.add_argument(
        "--entry",
        nargs=4,
        action="append",
        default=[],
        metavar=("NAME", "WORKLOAD", "WEIGHT", "BINARY"),
        help="one training run: its name, workload, merge weight and the binary to run",
    )
    p.add_argument(
        "--app",
        nargs=4,
        action="append",
        default=[],
        metavar=("NAME", "APP", "WEIGHT", "SIZE"),
        help="one real-program run: an app of bench/tools/apps_table.py at an input size",
    )
    p.add_argument("--app-preload", help="the (instrumented) library the --app programs run with preloaded")
    p.add_argument("--apps-inputs", help="bench/programs/inputs (the apps' shipped scripts)")
    p.add_argument("--apps-probe", help="bench's malloc probe library (proves which library served malloc)")
    p.add_argument("--profile-suffix", default=".profraw", help="how the profile files' names end")
    p.add_argument(
        "--env",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "KEY=VALUE"),
        help="an environment setting of entry NAME (the table's env)",
    )
    p.add_argument(
        "--set-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an environment setting of every run (e.g. LD_PRELOAD=lib.so)",
    )
    p.add_argument(
        "--profile-env",
        default="LLVM_PROFILE_FILE",
        help="variable that names the profile output ('' = none: the binary writes into its cwd)",
    )
    p.add_argument(
        "--profile-pattern",
        default="%p-%m.profraw",
        help="file name the profile variable gets inside the entry's directory",
    )
    p.add_argument("--out-dir", help="where entry directories and manifest.json go (default: a temporary one)")
    p.add_argument("--merge-into", help="merge the raw profiles (weighted) into this .profdata file")
    p.add_argument("--llvm-profdata", help="llvm-profdata to merge with (from toolchain/llvm.bzl)")
    p.add_argument("--timeout", type=int, default=900, help="seconds one run may take")
    args = p.parse_args(argv)
    if not args.entry and not args.app:
        p.error("no --entry or --app given: the training table is empty")
    if args.app and not (args.app_preload and args.apps_inputs and args.apps_probe):
        p.error("--app needs --app-preload, --apps-inputs and --apps-probe")
    if args.merge_into and not args.llvm_profdata:
        p.error("--merge-into needs --llvm-profdata")
    return args


def key_value(text, flag):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise TrainingError(f"{flag} expects KEY=VALUE, got '{text}'")
    return key, value


def bench_tool(module):
    """A module of //bench:python_lib, which the rules that run --app entries put on PYTHONPATH
    (imported here, not at the top: workload-only runs need none of it)."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise TrainingError(f"--app needs bench/tools on PYTHONPATH (//bench:python_lib): {e}")


def known_app(name, app, size):
    """The apps_table.App for an --app entry; TrainingError if the program cannot run here."""
    apps_table = bench_tool("apps_table")

    by_name = {a.name: a for a in apps_table.APPS}
    found = by_name.get(app)
    if found is None:
        raise TrainingError(
            f"entry '{name}': unknown app '{app}'; known (bench/tools/apps_table.py):" f" {', '.join(by_name)}"
        )
    if found.server:
        raise TrainingError(f"entry '{name}': app '{app}' is a server; training runs programs to completion")
    if size not in found.sizes:
        raise TrainingError(f"entry '{name}': app '{app}' has no size '{size}' (sizes: {', '.join(found.sizes)})")
    if not os.access(found.binary, os.X_OK):
        raise TrainingError(
            f"entry '{name}' (app {app}): {found.binary} is missing: install Debian's"
            f" {found.package} (./bazelw installs it)"
        )
    return found


def build_entries(args):
    """The --entry/--app/--env arguments as a list of dicts, validated."""
    entries, by_name = [], {}
    items = [(n, w, wt, {"binary": b}) for n, w, wt, b in args.entry]
    items += [(n, "app/" + a, wt, {"app": a, "size": sz}) for n, a, wt, sz in args.app]
    for name, workload, weight, what in items:
        if name in by_name:
            raise TrainingError(f"entry '{name}' is given twice")
        if not weight.isdigit() or int(weight) < 1:
            raise TrainingError(f"entry '{name}': weight '{weight}' is not an integer >= 1")
        entry = {"name": name, "workload": workload, "weight": int(weight), "env": {}}
        if "app" in what:
            entry["app"] = known_app(name, what["app"], what["size"])
            entry["size"] = what["size"]
        elif not os.path.isfile(what["binary"]) or not os.access(what["binary"], os.X_OK):
            raise TrainingError(
                f"entry '{name}' (workload {workload}): binary {what['binary']} is missing or not executable"
            )
        else:
            entry["binary"] = os.path.abspath(what["binary"])
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


def run_app(entry, args, env, workdir, label):
    """Runs a real program with the --app-preload library (and the probe after it) in workdir."""
    apps_run = bench_tool("apps_run")
    app = entry["app"]
    try:
        cmd = app.prepare(workdir, os.path.abspath(args.apps_inputs), app.sizes[entry["size"]])
    except (OSError, subprocess.SubprocessError) as e:
        raise TrainingError(f"{label}: preparing its input failed: {e}")
    alloc = apps_run.Allocator("training", os.path.abspath(args.app_preload))
    # apps_run sets LD_PRELOAD itself (the library, then the probe)
    env = {k: v for k, v in env.items() if k != "LD_PRELOAD"}
    env.update(HOME=workdir, TMPDIR=workdir)
    run = apps_run.run_batch(app, cmd, alloc, os.path.abspath(args.apps_probe), workdir, env, timeout=args.timeout)
    if run.error is not None:
        raise TrainingError(f"{label} failed: {run.error}")


def profile_files(workdir, suffix):
    return sorted(os.path.join(d, f) for d, _, names in os.walk(workdir) for f in names if f.endswith(suffix))


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
    what = f"app {entry['app'].name}" if "app" in entry else f"workload {entry['workload']}"
    label = f"training entry '{entry['name']}' ({what})"
    if "app" in entry:
        run_app(entry, args, env, workdir, label)
        return checked_profiles(workdir, args.profile_suffix, label)
    try:
        proc = subprocess.run(
            [entry["binary"]], cwd=workdir, env=env, capture_output=True, text=True, timeout=args.timeout
        )
    except subprocess.TimeoutExpired:
        raise TrainingError(f"{label} did not finish within {args.timeout} s")
    except OSError as e:
        raise TrainingError(f"{label}: cannot run {entry['binary']}: {e.strerror}")
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-10:])
        raise TrainingError(
            f"{label} failed: {describe_status(proc.returncode)}"
            + (f"\nits stderr (last lines):\n{tail}" if tail else "")
        )
    return checked_profiles(workdir, args.profile_suffix, label)


def checked_profiles(workdir, suffix, label):
    files = profile_files(workdir, suffix)
    if not files:
        raise TrainingError(
            f"{label} exited 0 but wrote no profile (*{suffix}) into {workdir}" " (is the binary instrumented?)"
        )
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
        env = {"SIZE": entry["size"]} if "app" in entry else entry["env"]
        # relative to the working directory when below it: no sandbox path in the build's logs
        files = [os.path.relpath(f) if f.startswith(os.getcwd() + os.sep) else f for f in files]
        runs.append(
            {
                "name": entry["name"],
                "workload": entry["workload"],
                "weight": entry["weight"],
                "env": env,
                "files": files,
            }
        )
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump({"profile_env": args.profile_env, "runs": runs}, f, indent=2)
        f.write("\n")
    if args.merge_into:
        merge(args, runs)


def main(argv):
    args = parse_args(argv)
    try:
        if args.out_dir:
            # absolute: every run starts in its own directory, and paths handed to it must hold there
            out_dir = os.path.abspath(args.out_dir)
            os.makedirs(out_dir, exist_ok=True)
            train(args, out_dir)
        else:
            with tempfile.TemporaryDirectory(prefix="pgo-train-") as tmp:
                train(args, tmp)
    except TrainingError as e:
        print(f"{TOOL}: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
