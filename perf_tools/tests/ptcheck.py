"""What the perf_tools smoke tests share: running a tool script with /usr/bin/python3 into a
fresh results folder, and the contract every tool keeps on bad input: exit status 2 and one
clear line on stderr (no traceback). check()/finish() come from bench/tests/smokecheck.py."""

import os
import subprocess
import tempfile

from smokecheck import check, finish, is_chart, python_env

# The smoke tests import smokecheck's helpers from here too.
__all__ = ["check", "finish", "is_chart", "run", "expect_usage_error"]


def run(tool, args, env=None, timeout=300):
    """(returncode, stdout, stderr, results folder) of one run of `tool` with a small environment."""
    folder = tempfile.mkdtemp(prefix="perf_tools_smoke.")
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RESULTS_DIR": folder, **python_env(), **(env or {})}
    proc = subprocess.run(
        ["/usr/bin/python3", "-B", tool] + args, env=full, capture_output=True, text=True, timeout=timeout
    )
    return proc.returncode, proc.stdout, proc.stderr, folder


def expect_usage_error(tool, args, env, needle, what):
    """Bad input: exit 2, a single stderr line naming `needle`, no Python traceback."""
    rc, _, err, _ = run(tool, args, env)
    lines = [l for l in err.splitlines() if l.strip()]
    check(
        rc == 2 and len(lines) == 1 and needle in err and "Traceback" not in err,
        f"{what}: expected exit 2 and one line naming '{needle}', got exit {rc}: {err[-600:]}",
    )
