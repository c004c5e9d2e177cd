"""The two profilers perf_tools uses, run on one workload under one allocator:
callgrind (exact instructions per function, self and inclusive, per operation: a run at ITERS
minus a run at BASE_ITERS, divided by the extra operations, so start-up and exit cancel) and
`perf record -e cpu-clock` (sampled self %, the only event a VM without hardware counters has;
what is missing is detected and said, never printed as zeros)."""

import os
import re
import shutil
import subprocess

from ptlib import UsageError, bl
import elfinfo

_ANNOTATE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S*?):(.+?)(?:\s+\[(.*)\])?\s*$")
_PERF_ROW = re.compile(r"^\s*([\d.]+)%\s+(\d+)\s+(\S+)\s+\[(.)\]\s+(.+?)\s*$")


def _key(function, obj):
    return elfinfo.base_name(function.strip()), os.path.basename(obj or "?")


def _annotate(out_file, inclusive):
    proc = subprocess.run(
        ["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100", out_file],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"callgrind_annotate failed on {out_file}: {proc.stderr.strip()[-400:]}")
    table = {}
    for line in proc.stdout.splitlines():
        m = _ANNOTATE.match(line)
        if m and m.group(3) != "PROGRAM TOTALS":
            key = _key(m.group(3), m.group(4))
            table[key] = table.get(key, 0) + int(m.group(1).replace(",", ""))
    return table


def _callgrind_run(tool, alloc, env, iters, workdir):
    out = os.path.join(workdir, f"{alloc.name}-{iters}.callgrind")
    rc, stdout, err = bl.run_workload(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, alloc.binary],
        bl.clean_env({**env, **alloc.env, "ITERS": str(iters)}),
    )
    if rc != 0:
        raise RuntimeError(f"{alloc.name} under callgrind failed (exit {rc}): {err.strip()[-600:]}")
    ops = bl.parse_result(stdout)["ops"]
    return ops, _annotate(out, False), _annotate(out, True)


def callgrind(tool, alloc, env, iters, base_iters, workdir):
    """[{function, object, self_ir_op, incl_ir_op}] sorted by self Ir/op, and the whole run's Ir/op."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        raise UsageError("valgrind/callgrind_annotate are not installed (apt-get install valgrind)")
    ops_big, self_big, incl_big = _callgrind_run(tool, alloc, env, iters, workdir)
    ops_small, self_small, incl_small = _callgrind_run(tool, alloc, env, base_iters, workdir)
    extra = ops_big - ops_small
    rows = []
    for key in self_big:
        self_op = (self_big[key] - self_small.get(key, 0)) / extra
        incl_op = (incl_big.get(key, 0) - incl_small.get(key, 0)) / extra
        rows.append({"function": key[0], "object": key[1], "self_ir_op": self_op, "incl_ir_op": incl_op})
    rows.sort(key=lambda r: -r["self_ir_op"])
    total = sum(r["self_ir_op"] for r in rows)
    return rows, total


def hardware_note():
    """What perf can count here, in one sentence (checked, not assumed)."""
    proc = subprocess.run(["perf", "stat", "-x,", "-e", "cycles,instructions", "true"], capture_output=True, text=True)
    hw = proc.returncode == 0 and "<not supported>" not in proc.stderr and "<not counted>" not in proc.stderr
    lbr = (
        subprocess.run(
            ["perf", "record", "-b", "-o", "/dev/null", "-q", "true"], capture_output=True, text=True
        ).returncode
        == 0
    )
    return (
        hw,
        lbr,
        (
            "hardware counters: "
            + ("available" if hw else "not available (perf stat -e cycles: not supported)")
            + "; LBR: "
            + ("available" if lbr else "not available")
            + "; sampling on the software event cpu-clock"
        ),
    )


def perf_available():
    if shutil.which("perf") is None:
        raise UsageError("perf is not installed (apt-get install linux-perf), or set PERF=0 for callgrind only")
    proc = subprocess.run(["perf", "stat", "-x,", "-e", "task-clock", "true"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise UsageError(
            f"perf cannot count here ({proc.stderr.strip().splitlines()[-1:] or 'no message'}); "
            "check kernel.perf_event_paranoid, or set PERF=0 for callgrind only"
        )


def perf(tool, alloc, env, iters, workdir):
    """[{function, object, self_pct, samples}] of a cpu-clock profile, and the sample count."""
    data = os.path.join(workdir, f"{alloc.name}.perf.data")
    rc, _, err = bl.run_workload(
        ["perf", "record", "-e", "cpu-clock", "-q", "-o", data, "--", alloc.binary],
        bl.clean_env({**env, **alloc.env, "ITERS": str(iters)}),
    )
    if rc != 0:
        raise RuntimeError(f"perf record of {alloc.name} failed (exit {rc}): {err.strip()[-600:]}")
    proc = subprocess.run(
        ["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso,sym", "-q", "-g", "none", "-n"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"perf report failed: {proc.stderr.strip()[-400:]}")
    rows = []
    for line in proc.stdout.splitlines():
        m = _PERF_ROW.match(line)
        if m:
            name, obj = _key(m.group(5), m.group(3))
            rows.append(
                {
                    "function": name,
                    "object": obj,
                    "self_pct": float(m.group(1)),
                    "samples": int(m.group(2)),
                    "kernel": m.group(4) == "k",
                }
            )
    return rows, sum(r["samples"] for r in rows)
