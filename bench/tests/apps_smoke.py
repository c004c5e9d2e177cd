"""CI smoke test of //bench:apps (no timing asserted): every app once at its smallest input under
hakmem Standard and FAST_PGO_BOLT after the glibc reference run; every run must prove its
allocator, exit 0 and match glibc's output. EXACT=1 must count lua's instructions under both and
say why redis is skipped. Bad parameters must stop with one line and exit 2.
Usage: apps_smoke.py APPS_PY -- <apps.py arguments>."""

import json
import os
import subprocess
import sys

from smokecheck import check, finish

SMOKE_ALLOCATORS = ["hakmem-standard", "hakmem-fast-pgo-bolt"]


def run(apps_py, args, **env):
    full = {**os.environ, "SIZE": "smoke", "RUNS": "1", "WARMUP": "0", **env}
    return subprocess.run([sys.executable, "-B", apps_py] + args, env=full, capture_output=True, text=True, timeout=900)


def main(argv):
    apps_py, args = argv[0], argv[2:]
    tmp = os.environ.get("TEST_TMPDIR", "/tmp")
    folder = os.path.join(tmp, "apps-smoke")
    proc = run(apps_py, args, ALLOCATORS=",".join(SMOKE_ALLOCATORS), RESULTS_DIR=folder)
    print(proc.stderr[-4000:], file=sys.stderr)
    check(proc.returncode == 0, f"apps exited {proc.returncode}")
    try:
        with open(os.path.join(folder, "summary.json")) as f:
            summary = json.load(f)
    except (OSError, ValueError) as e:
        check(False, f"summary.json unreadable: {e}")
        finish("apps smoke", "")
    check(not summary["failures"], f"failures: {summary['failures']}")
    check(len(summary["apps"]) >= 6, f"only {len(summary['apps'])} apps ran")
    for app in summary["apps"]:
        for alloc in SMOKE_ALLOCATORS:
            mine = [r for r in summary["runs"] if r["app"] == app and r["allocator"] == alloc]
            check(len(mine) == 1, f"{app} under {alloc}: {len(mine)} runs, expected 1")
            for r in mine:
                check(r["error"] is None and r["digest"], f"{app} under {alloc}: {r['error']}")
                check(
                    (r["peak_rss_kb"] or 0) > 0 and (r["cpu_s"] or 0) > 0,
                    f"{app} under {alloc}: no peak RSS or CPU time",
                )
    exact_folder = os.path.join(tmp, "apps-exact")
    exact = run(
        apps_py, args, EXACT="1", APPS="lua,redis", ALLOCATORS=",".join(SMOKE_ALLOCATORS), RESULTS_DIR=exact_folder
    )
    check(
        exact.returncode == 0 and "redis: skipped under callgrind" in exact.stderr,
        f"EXACT=1 exited {exact.returncode} or did not say why redis was skipped: {exact.stderr[-2000:]}",
    )
    try:
        with open(os.path.join(exact_folder, "exact.json")) as f:
            rows = json.load(f)["exact"]
        check(
            sorted(r["allocator"] for r in rows if r["app"] == "lua" and r["Ir"] > 0) == sorted(SMOKE_ALLOCATORS),
            f"exact.json lacks an instruction count per allocator for lua: {rows}",
        )
    except (OSError, ValueError, KeyError) as e:
        check(False, f"exact.json unreadable: {e}")
    for env, what in [
        ({"SIZE": "huge"}, "SIZE"),
        ({"RUNS": "0"}, "RUNS"),
        ({"ALLOCATORS": "glibc,nope"}, "nope"),
        ({"APPS": "redis,emacs"}, "emacs"),
        ({"EXACT": "2"}, "EXACT"),
    ]:
        bad = run(apps_py, args, **env)
        lines = bad.stderr.strip().splitlines()
        check(
            bad.returncode == 2 and len(lines) == 1 and lines[0].startswith("apps: error:") and what in lines[0],
            f"{env}: expected exit 2 and one 'apps: error:' line naming {what}, got {bad.returncode}: {bad.stderr!r}",
        )
    finish(
        "apps smoke",
        "apps smoke: every app ran under Standard and FAST_PGO_BOLT with its allocator proven "
        "and glibc's output; bad parameters rejected",
    )


if __name__ == "__main__":
    main(sys.argv[1:])
