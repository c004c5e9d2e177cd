"""One run of one app under one allocator (//bench:apps): the allocator and the probe preloaded
(bench/programs/malloc_probe.c), a timeout, and the measurements: wall time, CPU time (user + sys)
and minor faults from the kernel's accounting of the finished process tree, peak RSS from the
probe (VmHWM of each process at exit; the largest counts). Every run must prove its allocator:
each process's `malloc` must come from the library that was preloaded (glibc: libc.so.6)."""

import hashlib
import os
import resource
import subprocess
import time

LIBC = os.path.realpath("/lib/x86_64-linux-gnu/libc.so.6")


class Allocator:
    """name as reported; lib: the library preloaded (None: none, the program's own malloc);
    serves: the object whose `malloc` every process must use."""

    def __init__(self, name, lib):
        self.name = name
        self.lib = lib
        self.serves = os.path.realpath(lib) if lib else LIBC

    def for_app(self, app, glibc_shim):
        """A program that links its own allocator gets glibc forced in for the glibc row."""
        if self.lib is None and app.links:
            return Allocator(self.name, glibc_shim)
        return self


class Run:
    """The figures and verdict of one run; `error` names what went wrong (None: a good run)."""

    def __init__(self, app, allocator):
        self.app = app
        self.allocator = allocator
        self.wall_s = self.cpu_s = self.minor_faults = self.peak_rss_kb = None
        self.digest = None
        self.extra = {}
        self.error = None

    def as_dict(self):
        return {
            "app": self.app,
            "allocator": self.allocator,
            "wall_s": self.wall_s,
            "cpu_s": self.cpu_s,
            "minor_faults": self.minor_faults,
            "peak_rss_kb": self.peak_rss_kb,
            "digest": self.digest,
            **self.extra,
            "error": self.error,
        }


def preload_env(alloc, probe_lib, probe_file, base_env):
    """The run's environment: the allocator first, then the probe (so the probe sees, not
    provides, malloc), plus the file the probe appends its records to."""
    libs = ([alloc.lib] if alloc.lib else []) + [probe_lib]
    return {**base_env, "LD_PRELOAD": " ".join(libs), "HAKMEM_APPS_PROBE": probe_file}


def check_probe(probe_file, alloc):
    """(peak RSS kB, error): every process must report `malloc` from alloc.serves, and at least
    one must have recorded its peak RSS at exit."""
    try:
        with open(probe_file) as f:
            records = [line.split(" ", 2) for line in f.read().splitlines()]
    except OSError:
        return None, "no allocator proof: the probe did not load (no record written)"
    providers = {r[2] for r in records if r[0] == "malloc" and len(r) == 3}
    peaks = [int(r[2]) for r in records if r[0] == "exit" and len(r) == 3 and r[2].lstrip("-").isdigit()]
    if not providers:
        return None, "no allocator proof: the probe recorded no process"
    wrong = sorted(p for p in providers if os.path.realpath(p) != alloc.serves)
    if wrong:
        return None, f"malloc came from {', '.join(wrong)}, not {alloc.serves}: the allocator did not load"
    if not peaks or max(peaks) <= 0:
        return None, "no process recorded its peak RSS at exit"
    return max(peaks), None


def children_usage():
    return resource.getrusage(resource.RUSAGE_CHILDREN)


def usage_since(before):
    """(CPU seconds, minor faults) of the children reaped since `before` (runs are sequential,
    so that is exactly the run's process tree)."""
    after = children_usage()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, after.ru_minflt - before.ru_minflt


def digest_output(stdout_path, files):
    """sha256 over stdout and the bytes of each output file, in order."""
    h = hashlib.sha256()
    for path in [stdout_path] + files:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def tail(path, lines=5):
    try:
        with open(path, errors="replace") as f:
            return " | ".join(f.read().strip().splitlines()[-lines:])
    except OSError:
        return ""


def run_batch(app, cmd, alloc, probe_lib, scratch, base_env, prefix=(), timeout=600):
    """Runs a program to completion; returns a Run."""
    run = Run(app.name, alloc.name)
    probe_file = os.path.join(scratch, "probe.txt")
    out_path, err_path = os.path.join(scratch, "stdout"), os.path.join(scratch, "stderr")
    for path in [probe_file] + cmd.output_files:
        if os.path.exists(path):
            os.remove(path)
    env = preload_env(alloc, probe_lib, probe_file, {**base_env, **cmd.env})
    stdin = open(cmd.stdin, "rb") if cmd.stdin else subprocess.DEVNULL
    before = children_usage()
    start = time.monotonic()
    try:
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(list(prefix) + cmd.argv, stdin=stdin, stdout=out, stderr=err, env=env, cwd=scratch)
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                run.error = f"timed out after {timeout} s"
                return run
    finally:
        if cmd.stdin:
            stdin.close()
    run.wall_s = time.monotonic() - start
    run.cpu_s, run.minor_faults = usage_since(before)
    if rc != 0:
        run.error = f"exit status {rc}; stderr: {tail(err_path)}"
        return run
    run.peak_rss_kb, run.error = check_probe(probe_file, alloc)
    if run.error is None:
        run.digest = digest_output(out_path, cmd.output_files)
    return run
