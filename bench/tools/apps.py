"""//bench:apps: real programs (apps_table.py) under every allocator, all preloaded, in the
interleaved rounds of interleave.py with the order rotating from round to round, after WARMUP
discarded rounds; each run proves its allocator and its output is compared with a reference run
under glibc. EXACT=1 runs each app once per allocator under callgrind instead (apps_exact.py).
Parameters are environment variables; bench/README.md lists them."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import apps_exact
import apps_redis
import apps_report
import apps_run
import apps_table
import benchlib as bl
import interleave as il
import tables

TOOL = "apps"
# Libraries from Debian packages (name -> (path, package)), from configs/allocators.bzl through
# the tables; hakmem's come from Bazel (--preload-lib).
SYSTEM_ALLOCATORS = {
    name: (spec["library"], spec["package"]) for name, spec in tables.load()["external_allocators"].items()
}


def parse_args(argv):
    p = argparse.ArgumentParser(prog=TOOL, description=__doc__)
    p.add_argument("--name", required=True)
    p.add_argument("--inputs", required=True, help="folder of the shipped input scripts")
    p.add_argument("--probe", required=True, help="the malloc probe library")
    p.add_argument("--glibc-shim", required=True, help="the library that forces glibc's malloc")
    p.add_argument("--preload-lib", action="append", default=[], help="hakmem-<v>=PATH")
    p.add_argument("--default-allocators", required=True, help="comma list run when ALLOCATORS is unset")
    p.add_argument("--target", action="append", default=[], help="ALLOCATOR:FIGURE=LIMIT,... (met/MISSED lines)")
    args = p.parse_args(argv)
    try:
        args.targets = dict(apps_report.parse_target(t) for t in args.target)
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    # runs start in a scratch folder: every path handed to them must be absolute
    args.inputs, args.probe, args.glibc_shim = (os.path.abspath(x) for x in (args.inputs, args.probe, args.glibc_shim))
    return args


def allocator_table(args):
    """Every allocator this build can run, by name."""
    table = {"glibc": apps_run.Allocator("glibc", None)}
    for name, (path, _) in SYSTEM_ALLOCATORS.items():
        table[name] = apps_run.Allocator(name, path)
    for item in args.preload_lib:
        key, path = bl.split_key_value(item, "--preload-lib")
        table[key] = apps_run.Allocator(key, os.path.abspath(path))
    return table


def choose(kind, text, known, default):
    """The names a comma list selects (validated against known), or default when it is empty."""
    wanted = [n.strip() for n in text.split(",")] if text else default
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise bl.UsageError(f"{kind}: unknown name(s) {', '.join(repr(n) for n in unknown)}; known: {', '.join(known)}")
    if len(set(wanted)) != len(wanted):
        raise bl.UsageError(f"{kind} lists a name twice")
    return wanted


def settings(args):
    """Everything the environment chooses, validated (UsageError on any bad value)."""
    exact = bl.env_int("EXACT", 0, 0, 1) == 1
    size = os.environ.get("SIZE") or ("small" if exact else "full")
    if size not in apps_table.SIZES:
        raise bl.UsageError(f"SIZE='{size}' is not one of {', '.join(apps_table.SIZES)}")
    by_name = {a.name: a for a in apps_table.APPS}
    apps = [by_name[n] for n in choose("APPS", os.environ.get("APPS", ""), list(by_name), list(by_name))]
    table = allocator_table(args)
    allocs = choose("ALLOCATORS", os.environ.get("ALLOCATORS", ""), list(table), args.default_allocators.split(","))
    for name in allocs:
        lib = table[name].lib
        if lib and not os.path.exists(lib):
            package = SYSTEM_ALLOCATORS.get(name, (None, "hakmem (bazel build)"))[1]
            raise bl.UsageError(f"{name} needs {lib}, which is missing (package {package}; ./bazelw installs it)")
    for app in apps:
        if not os.access(app.binary, os.X_OK):
            raise bl.UsageError(
                f"{app.name} needs {app.binary} (Debian package {app.package}; ./bazelw installs it,"
                f" or leave it out with APPS)"
            )
    return {
        "exact": exact,
        "size": size,
        "apps": apps,
        "allocators": [table[n] for n in allocs],
        "runs": bl.env_int("RUNS", 10, 1, 1000),
        "warmup": bl.env_int("WARMUP", 1, 0, 100),
        "timeout": bl.env_int("TIMEOUT_SEC", 3600 if exact else 600, 1, 86400),
        "pin": bl.pin_prefix(os.environ.get("PIN", "")),
        "folder": bl.results_dir(args.name),
    }


class Session:
    """The prepared commands, the reference outputs and the failures of one invocation."""

    def __init__(self, args, s, work):
        self.args, self.s, self.work = args, s, work
        self.scratch = os.path.join(work, "scratch")
        os.makedirs(self.scratch)
        self.base_env = bl.clean_env({"HOME": work, "TMPDIR": work})
        self.commands = {a.name: a.prepare(work, args.inputs, a.sizes[s["size"]]) for a in s["apps"]}
        self.reference = {}
        self.failures = []

    def run(self, app, alloc, exact=False):
        alloc = alloc.for_app(app, self.args.glibc_shim)
        cmd, n = self.commands[app.name], app.sizes[self.s["size"]]
        if exact:
            return apps_exact.run_exact(
                app, cmd, alloc, self.args.probe, self.scratch, self.base_env, self.s["timeout"]
            )
        if app.server:
            return apps_redis.run_server(
                app, cmd, alloc, self.args.probe, self.scratch, self.base_env, n, self.s["pin"], self.s["timeout"]
            )
        return apps_run.run_batch(
            app, cmd, alloc, self.args.probe, self.scratch, self.base_env, self.s["pin"], self.s["timeout"]
        )

    def judge(self, run, label):
        """Compares a run's output with the reference; records and prints any failure."""
        if run.error is None and run.digest != self.reference.get(run.app):
            run.error = "output differs from glibc's reference run"
        if run.error is not None:
            line = f"FAIL app={run.app} allocator={run.allocator} ({label}): {run.error}"
            self.failures.append(line)
            print(line, file=sys.stderr, flush=True)
        return run.error is None

    def references(self):
        """One untimed glibc run per app; an app whose reference fails is left out."""
        glibc = apps_run.Allocator("glibc", None)
        for app in list(self.s["apps"]):
            run = self.run(app, glibc)
            self.reference[app.name] = run.digest
            if not self.judge(run, "reference"):
                self.s["apps"].remove(app)


def timed_rounds(session):
    s = session.s
    runs = []
    total = s["warmup"] + s["runs"]
    for round_no in range(total):
        kept = round_no >= s["warmup"]
        label = f"round {round_no - s['warmup'] + 1}/{s['runs']}" if kept else f"warm-up {round_no + 1}/{s['warmup']}"
        for app in il.rotated(s["apps"], round_no):
            for alloc in il.rotated(s["allocators"], round_no):
                run = session.run(app, alloc)
                ok = session.judge(run, label)
                if ok:
                    print(
                        f"  [{label}] {app.name:<7} {alloc.name:<22} cpu {run.cpu_s:7.3f} s  "
                        f"rss {run.peak_rss_kb / 1024:7.1f} MiB",
                        file=sys.stderr,
                        flush=True,
                    )
                if kept:
                    runs.append({"round": round_no - s["warmup"] + 1, **run.as_dict()})
    return runs


def meta_of(args, s):
    return {
        "name": args.name,
        "size": s["size"],
        "runs": s["runs"],
        "warmup": s["warmup"],
        "apps": [a.name for a in s["apps"]],
        "app_info": {a.name: {"package": a.package, "style": a.style, "n": a.sizes[s["size"]]} for a in s["apps"]},
        "allocators": {a.name: a.lib for a in s["allocators"]},
        "pin": " ".join(s["pin"]) or None,
        "machine": bl.machine_info([a.lib for a in s["allocators"] if a.lib], {}),
    }


def exact_mode(session):
    runs = []
    for app in session.s["apps"]:
        for alloc in session.s["allocators"]:
            run = session.run(app, alloc, exact=True)
            if session.judge(run, "exact"):
                print(
                    f"  [exact] {app.name:<7} {alloc.name:<22} Ir {run.extra['Ir'] / 1e6:10.1f} M",
                    file=sys.stderr,
                    flush=True,
                )
            runs.append(run.as_dict())
    apps_exact.report(
        session.s["folder"], meta_of(session.args, session.s), apps_exact.summarize(runs), session.failures, sys.stdout
    )


def timed_mode(session):
    s = session.s
    runs = timed_rounds(session)
    good = [r for r in runs if r["error"] is None]
    rows, means = apps_report.summarize(good, [a.name for a in s["apps"]], [a.name for a in s["allocators"]])
    targets = apps_report.target_lines(means, session.args.targets)
    apps_report.write_outputs(s["folder"], meta_of(session.args, s), rows, means, targets, runs, session.failures)
    apps_report.print_report(rows, means, targets)


def main(argv):
    args = parse_args(argv)
    try:
        s = settings(args)
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    if s["exact"]:
        for app in [a for a in s["apps"] if a.exact_skip]:
            print(f"  {app.name}: skipped under callgrind: {app.exact_skip}", file=sys.stderr)
            s["apps"].remove(app)
        if not s["apps"]:
            bl.fail_usage(TOOL, "EXACT=1: none of the selected apps can run under callgrind")
    work = tempfile.mkdtemp(prefix="hakmem-apps.", dir=os.environ.get("TEST_TMPDIR"))
    try:
        session = Session(args, s, work)
        mode = "EXACT (callgrind)" if s["exact"] else f"{s['warmup']} warm-up + {s['runs']} rounds, interleaved"
        print(
            f"{args.name}: {len(s['apps'])} apps x {len(s['allocators'])} allocators, size {s['size']}, {mode}",
            file=sys.stderr,
            flush=True,
        )
        session.references()
        if s["exact"]:
            exact_mode(session)
        else:
            timed_mode(session)
    except (OSError, subprocess.SubprocessError) as e:
        sys.exit(f"{TOOL}: preparing or running the apps failed: {e}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"results: {s['folder']}")
    if session.failures:
        print(f"{TOOL}: {len(session.failures)} failed run(s):", file=sys.stderr)
        for line in session.failures:
            print("  " + line, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
