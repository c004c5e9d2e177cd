"""Smoke test of review.py without Bazel inside Bazel: two layout copies of FAST stand in for
the base and head builds (--prebuilt-*), tiny ITERS and 2 rounds; the report has every section
(A/B with verdict, multi-threaded A/B, Ir/op, top-50 diff, layout diff, RSS, exact-vs-noisy);
bad input (no --base, a half-given prebuilt set, --base outside bazel run, a missing binary)
exits 2 with one line."""

import json
import os
import subprocess
import sys
import tempfile

from ptcheck import check, expect_usage_error, finish, run

TINY = {"ITERS": "20000", "RUNS": "2", "WARMUP": "0", "CG_ITERS": "40000", "CG_BASE_ITERS": "20000", "PERF": "0"}
SECTIONS = (
    "## Throughput",
    "**Verdict:",
    "## Multi-threaded",
    "Ir/op, whole Mixed run",
    "## Top-50 hot functions",
    "callgrind self Ir/op",
    "## Layout of the hot functions",
    "Hot-text footprint",
    "## Peak RSS",
    "## What is exact and what is noisy",
)


def check_git_rules():
    """review.check_git on a scratch repository: a revision that does not exist and uncommitted
    changes under hakmem/ are refused (--allow-dirty lets the latter through); docs/ changes are not."""
    import review

    repo = tempfile.mkdtemp(prefix="review_git.")
    git = lambda *a: subprocess.run(
        ["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t"] + list(a),
        capture_output=True,
        text=True,
        check=True,
    )
    git("init", "-q")
    os.makedirs(os.path.join(repo, "hakmem"))
    os.makedirs(os.path.join(repo, "docs"))
    for path in ("hakmem/a.c", "docs/a.md"):
        with open(os.path.join(repo, path), "w") as f:
            f.write("x\n")
    git("add", "-A")
    git("commit", "-qm", "one")

    def refused(*args):
        try:
            review.check_git(repo, *args)
        except review.bl.UsageError as e:
            return str(e)
        return None

    check(refused("HEAD", False) is None, "clean tree, HEAD: refused")
    check("not a revision" in (refused("no-such-rev", False) or ""), "a bad revision is accepted")
    with open(os.path.join(repo, "docs/a.md"), "a") as f:
        f.write("y\n")
    check(refused("HEAD", False) is None, "a docs/ change refused")
    with open(os.path.join(repo, "hakmem/a.c"), "a") as f:
        f.write("y\n")
    check("uncommitted changes under hakmem" in (refused("HEAD", False) or ""), "a dirty hakmem/ accepted")
    check(refused("HEAD", True) is None, "--allow-dirty still refused")


def main(argv):
    tool = argv[0]
    sep = argv.index("--")
    base = [a for a in argv[1:sep] if not a.startswith("--mt=")]
    mt = next(a for a in argv[1:sep] if a.startswith("--mt="))[len("--mt=") :]
    copies = argv[sep + 1 :]
    plain = next(a for a in copies if a.startswith("--plain="))
    linked = [a.split("=", 2)[2] for a in copies if a.startswith("--copy=")]
    libs = [a.split("=", 2)[2] for a in copies if a.startswith("--preload=")]
    pre = [f"--prebuilt-base={linked[0]}:{libs[0]}:{mt}", f"--prebuilt-head={linked[1]}:{libs[1]}:{mt}", plain]
    rc, out, err, folder = run(tool, base + pre, TINY)
    if check(rc == 0, f"review: exit {rc}: {err[-1500:]}"):
        for needle in SECTIONS:
            check(needle in out, f"report lacks {needle!r}")
        with open(os.path.join(folder, "review.json")) as f:
            data = json.load(f)
        check(
            data["verdict"] in ("GO", "NO-GO", "NEUTRAL") and data["mt"]["verdict"] in ("GO", "NO-GO", "NEUTRAL"),
            f"review.json verdicts {data.get('verdict')} / {data.get('mt', {}).get('verdict')}",
        )
        check(data["layout"]["counts"]["moved"] > 0, "two layout copies: the layout diff must see moved functions")
    # Layout mode: each side's two copies appended to its prebuilt set (the same copies: a null).
    extra = f":{linked[0]}:{libs[0]}:{linked[1]}:{libs[1]}"
    lay = [pre[0] + extra, pre[1] + extra, plain]
    rc, out, err, folder = run(tool, base + lay, {**TINY, "LAYOUTS": "2"})
    if check(rc == 0, f"review layout mode: exit {rc}: {err[-1500:]}"):
        with open(os.path.join(folder, "review.json")) as f:
            data = json.load(f)
        check(
            data["mode"] == "layout" and data["mt"]["mode"] == "single" and "t over pairs" in out,
            f"review layout mode: {data.get('mode')} / {data.get('mt', {}).get('mode')}",
        )
    expect_usage_error(tool, base + pre, {**TINY, "LAYOUTS": "2"}, "LAYOUTS=2", "layout mode without copies")
    expect_usage_error(tool, base, TINY, "--base", "no --base")
    expect_usage_error(tool, base + pre[:1] + [plain], TINY, "go together", "half a prebuilt set")
    expect_usage_error(tool, base + ["--base=HEAD"], TINY, "bazel run", "--base outside bazel run")
    expect_usage_error(
        tool, base + [f"--prebuilt-base=/nonexistent:{libs[0]}:{mt}"] + pre[1:], TINY, "/nonexistent", "missing binary"
    )
    check_git_rules()
    finish("review", "review smoke checks passed")


if __name__ == "__main__":
    main(sys.argv[1:])
