"""What the perf_tools/ Python tools share beyond bench/tools (benchlib, interleave, plots: the
//bench:python_lib this library depends on): markdown tables, strict path checks, the committed
layout-noise floor, and the report writer (markdown on stdout and in the results folder, beside
its JSON and charts)."""

import json
import os

import benchlib as bl

UsageError = bl.UsageError


def md_table(header, rows):
    """A GitHub markdown table; numbers are expected already formatted as strings."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def require_exec(path, what):
    if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise UsageError(f"{what} '{path}' is not an executable file")
    return os.path.abspath(path)


def require_file(path, what):
    if not path or not os.path.isfile(path):
        raise UsageError(f"{what} '{path}' does not exist")
    return os.path.abspath(path)


def parse_named(items, flag, check):
    """['name=path', ...] -> [(name, checked absolute path)] in order, names unique."""
    pairs = []
    for item in items or []:
        name, path = bl.split_key_value(item, flag)
        if name in [n for n, _ in pairs]:
            raise UsageError(f"{flag} names '{name}' twice")
        pairs.append((name, check(path, f"{flag} {name}")))
    return pairs


def load_floor(path):
    """The committed layout-noise floor (perf_tools/noise_floor.json, written by noise_floor
    UPDATE_FLOOR=1): {'floor_pct' (1.96 sqrt(2) sigma_L, the larger linkage), 'per_linkage',
    'measured', 'command', ...}; FLOOR_PCT in the environment
    overrides it (e.g. a floor just measured on another machine)."""
    text = os.environ.get("FLOOR_PCT")
    if text:
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"FLOOR_PCT='{text}' is not a number")
        if not 0 <= value < 100:
            raise UsageError(f"FLOOR_PCT={value} is out of range (0..100)")
        return {"floor_pct": value, "source": "FLOOR_PCT from the environment"}
    try:
        with open(path) as f:
            data = json.load(f)
        float(data["floor_pct"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(f"cannot read the noise floor from {path}: {e}")
    data["source"] = "perf_tools/noise_floor.json"
    return data


def callgrind_iters():
    """(CG_ITERS, CG_BASE_ITERS) from the environment: the exact Ir/op of an A/B is the callgrind
    count of a run at CG_ITERS minus one at CG_BASE_ITERS, over the extra operations."""
    iters = (bl.env_int("CG_ITERS", 2000000, 2, 10**9), bl.env_int("CG_BASE_ITERS", 200000, 1, 10**9))
    if iters[1] >= iters[0]:
        raise UsageError(f"CG_BASE_ITERS={iters[1]} must be smaller than CG_ITERS={iters[0]}")
    return iters


def floor_line(floor):
    if not floor:
        return "layout-noise floor: not known (no floor file given)"
    where = floor.get("measured", "")
    return (
        f"layout-noise floor: {floor['floor_pct']:.2f} % (1.96 sqrt(2) sigma_L; {floor['source']}"
        + (f", measured {where}" if where else "")
        + ")"
    )


def write_report(folder, name, text):
    """Prints the markdown report and keeps it as <folder>/<name>.md."""
    path = os.path.join(folder, name + ".md")
    with open(path, "w") as f:
        f.write(text.rstrip() + "\n")
    print(text.rstrip())
    print(f"\nresults: {folder}")
    return path


def pct(value, digits=2):
    return f"{value:+.{digits}f} %"
