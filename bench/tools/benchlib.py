"""Shared helpers of the bench/ Python tools (standard library only): strict env/arg parsing,
running a workload and parsing its RESULT/EPOCH lines, statistics, machine/build metadata
(CPU, kernel, compiler read from the binary's ELF .comment, git revision) and result folders."""

import argparse
import csv
import datetime
import json
import os
import statistics
import struct
import subprocess
import sys


class UsageError(Exception):
    """Bad environment variable or argument: reported on stderr, exit status 2."""


def fail_usage(tool, message):
    print(f"{tool}: error: {message}", file=sys.stderr)
    sys.exit(2)


# Parameters of the mixed workload that the long-run tools pass through from the environment
# (each tool sets ITERS / DURATION_SEC itself).
MIXED_PARAMS = ("WS", "MIN", "MAX", "SEED")


def parse_tool_args(prog, description, argv, with_defaults=False):
    """The flags bench/defs.bzl gives every runner: workload, report name, binaries, preload
    libraries, build facts; with_defaults adds the 10-run's --default NAME=VALUE (parameters) and
    --floor (the committed layout-noise floor its verdicts are judged against)."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--workload", required=True)
    p.add_argument("--name", required=True, help="report name (results folder suffix)")
    p.add_argument("--bin", action="append", default=[], help="KEY=PATH of a workload binary")
    p.add_argument("--preload-lib", action="append", default=[], help="KEY=PATH of an LD_PRELOAD library")
    p.add_argument(
        "--reports-as",
        action="append",
        default=[],
        help="KEY=NAME: KEY's binaries report allocator NAME (a post-link copy of NAME)",
    )
    if with_defaults:
        p.add_argument("--default", action="append", default=[], help="NAME=VALUE workload parameter default")
        p.add_argument("--floor", required=True, help="perf_tools/noise_floor.json")
    p.add_argument("--variant", default="unknown")
    p.add_argument("--pgo", default="0")
    p.add_argument("--compilation-mode", default="unknown")
    return p.parse_args(argv)


def workload_params(names, defaults=None):
    """The workload parameters among `names` that are set: the user's environment wins over
    `defaults`; each must be a decimal integer."""
    params = {}
    for name in names:
        value = os.environ.get(name, (defaults or {}).get(name))
        if value is None:
            continue
        if not value.isdigit():
            raise UsageError(f"{name}='{value}' is not a decimal integer")
        params[name] = value
    return params


def env_int(name, default, lo, hi):
    """Reads a decimal integer environment variable in [lo, hi]."""
    text = os.environ.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit():
        raise UsageError(f"{name}='{text}' is not a decimal integer (expected {lo}..{hi})")
    value = int(text)
    if not lo <= value <= hi:
        raise UsageError(f"{name}={value} is out of range (expected {lo}..{hi})")
    return value


def env_iters_pair(default_iters, default_base, hi):
    """ITERS and BASE_ITERS for tools that subtract a short run from a long one."""
    iters = env_int("ITERS", default_iters, 2, hi)
    base_iters = env_int("BASE_ITERS", default_base, 1, hi)
    if base_iters >= iters:
        raise UsageError(f"BASE_ITERS={base_iters} must be smaller than ITERS={iters}")
    return iters, base_iters


def parse_key_values(text):
    """'a=1 b=x' -> {'a': 1, 'b': 'x'} with numbers converted."""
    fields = {}
    for token in text.split():
        if "=" not in token:
            continue
        key, _, raw = token.partition("=")
        fields[key] = _number(raw)
    return fields


def _number(raw):
    for convert in (int, float):
        try:
            return convert(raw)
        except ValueError:
            pass
    return raw


RESULT_KEYS = ("workload", "allocator", "ops", "seconds", "ops_per_sec", "peak_rss_kb")


def parse_result(stdout):
    """The single RESULT line of a workload's stdout, as a dict; ValueError if absent/duplicated."""
    lines = [l for l in stdout.splitlines() if l.startswith("RESULT ")]
    if len(lines) != 1:
        raise ValueError(f"expected exactly one RESULT line, found {len(lines)}")
    fields = parse_key_values(lines[0][len("RESULT ") :])
    missing = [k for k in RESULT_KEYS if k not in fields]
    if missing:
        raise ValueError(f"RESULT line lacks {', '.join(missing)}: {lines[0]}")
    return fields


def parse_epochs(stdout):
    """Every 'EPOCH n=.. ops=.. seconds=.. ops_per_sec=.. rss_kb=..' line, as dicts."""
    return [parse_key_values(l[len("EPOCH ") :]) for l in stdout.splitlines() if l.startswith("EPOCH ")]


def summarize(values):
    """mean, median, min, max, sample stdev and CV % (stdev / mean) of a list of numbers."""
    mean = statistics.fmean(values)
    stdev = statistics.stdev(values) if len(values) > 1 else 0.0
    return {
        "n": len(values),
        "mean": mean,
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "stdev": stdev,
        "cv_pct": 100.0 * stdev / mean if mean else 0.0,
    }


def clean_env(extra):
    """A small fixed environment for every measured run (environment size shifts the stack and
    can bias timings): PATH, LC_ALL, the user's HAKMEM_* settings, then `extra`."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    for key, value in os.environ.items():
        if key.startswith("HAKMEM_") and key != "HAKMEM_FORCE_LIBC_ALLOC":
            env[key] = value
    env.update(extra)
    return env


def user_hakmem_env():
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith("HAKMEM_") and k != "HAKMEM_FORCE_LIBC_ALLOC"}


def run_workload(cmd, env, timeout=None):
    """Runs a workload; returns (returncode, stdout, stderr)."""
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def workload_param_names(binary):
    """Parameter names a workload accepts, read from its --help (lines '  NAME  help...')."""
    proc = subprocess.run([binary, "--help"], capture_output=True, text=True, env=clean_env({}))
    names = []
    for line in proc.stdout.splitlines():
        if line.startswith("  ") and line.split() and line.split()[0].isupper():
            names.append(line.split()[0])
    return names


def pin_prefix(pin_text):
    """['taskset', '-c', N] for PIN=N (validated against the CPUs this process may use)."""
    if not pin_text:
        return []
    if not pin_text.isdigit():
        raise UsageError(f"PIN='{pin_text}' is not a CPU number")
    allowed = sorted(os.sched_getaffinity(0))
    if int(pin_text) not in allowed:
        raise UsageError(f"PIN={pin_text} is not an available CPU (available: {allowed})")
    if not any(os.access(os.path.join(d, "taskset"), os.X_OK) for d in os.environ.get("PATH", "").split(":")):
        raise UsageError("PIN is set but taskset is not installed (package util-linux)")
    return ["taskset", "-c", pin_text]


def elf_comment(path):
    """Strings in the ELF .comment section (compiler and linker versions), [] if unreadable."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        if data[:4] != b"\x7fELF" or data[4] != 2:
            return []
        (shoff,) = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

        def section(i):
            name, _type, _flags, _addr, offset, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
            return name, offset, size

        _, str_off, _ = section(shstrndx)
        for i in range(shnum):
            name, offset, size = section(i)
            end = data.index(b"\0", str_off + name)
            if data[str_off + name : end] == b".comment":
                return [s.decode(errors="replace") for s in data[offset : offset + size].split(b"\0") if s]
    except (OSError, ValueError, struct.error, IndexError):
        pass
    return []


def _first_line(path, prefix):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def git_revision(workspace):
    if not workspace:
        return "unknown (not run through bazel run)"
    try:
        rev = subprocess.run(
            ["git", "-C", workspace, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
        return rev or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _now():
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


# Taken when the tool starts (this module is imported first thing): an hour-long soak must
# record the checkout its binaries were built from, not whatever HEAD is when it finishes.
_STARTED = _now()
_START_REVISION = git_revision(os.environ.get("BUILD_WORKSPACE_DIRECTORY"))


def machine_info(binaries, build):
    """Where and how the numbers were measured (recorded beside every result)."""
    compilers = sorted({c for b in binaries for c in elf_comment(b)})
    return {
        "date": _STARTED,
        "finished": _now(),
        "cpu_model": _first_line("/proc/cpuinfo", "model name"),
        "nproc": os.cpu_count(),
        "cpus_allowed": len(os.sched_getaffinity(0)),
        "kernel": os.uname().release,
        "compiler": compilers,
        "build": build,
        "git_revision": _START_REVISION,
        "hakmem_env": user_hakmem_env(),
    }


def results_dir(name):
    """RESULTS_DIR if set; else <workspace>/results/<timestamp>-<name> under `bazel run`, the
    test's undeclared-outputs folder under `bazel test`, or ./results/<timestamp>-<name>."""
    explicit = os.environ.get("RESULTS_DIR")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    if explicit:
        path = explicit
    elif os.environ.get("BUILD_WORKSPACE_DIRECTORY"):
        path = os.path.join(os.environ["BUILD_WORKSPACE_DIRECTORY"], "results", f"{stamp}-{name}")
    elif os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR"):
        path = os.path.join(os.environ["TEST_UNDECLARED_OUTPUTS_DIR"], f"{stamp}-{name}")
    else:
        path = os.path.join(os.getcwd(), "results", f"{stamp}-{name}")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create results folder {path}: {e.strerror}")
    return path


def write_json(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=2, sort_keys=False)
        f.write("\n")


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def split_key_value(text, flag):
    """'--bin=key=path' style: returns (key, value) or raises UsageError."""
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise UsageError(f"{flag} expects KEY=VALUE, got '{text}'")
    return key, value
