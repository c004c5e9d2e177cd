"""//bench:apps reports, naming the app and the allocator, a run whose output differs from
glibc's, a run that exits non-zero, and a run whose allocator did not load (a library that is
not the allocator its name says, or one that does not exist: the loader only warns, the program
runs on glibc), and a server that does not start. Small shell programs stand in for real apps so
each fault is certain.
Usage: apps_failure.py PROBE_SO GLIBC_SHIM_SO."""

import os
import sys
import tempfile

import apps
import apps_run
import apps_table
import tables
from smokecheck import check, finish


def shell_app(name, script):
    # bash, not dash: dash leaves through _exit, so the probe's exit record (peak RSS) never comes
    return apps_table.App(
        name,
        "bash",
        "/bin/bash",
        "test stand-in",
        {"smoke": 1},
        lambda work, inputs, n: apps_table.Command(["/bin/bash", "-c", script]),
    )


def main(argv):
    probe, shim = (os.path.abspath(p) for p in argv)
    args = type("Args", (), {"probe": probe, "glibc_shim": shim, "inputs": "."})()
    fakes = [
        # prints which allocator it runs under: differs from glibc's output under any other
        shell_app("differs", 'case "$LD_PRELOAD" in *mimalloc*) echo mimalloc;; *) echo other;; esac'),
        shell_app("crashes", 'case "$LD_PRELOAD" in *mimalloc*) exit 3;; esac; echo same'),
        shell_app("steady", "echo same"),
    ]
    # a server that cannot start (an option it rejects): one clear failure, no hang, nothing left running
    broken = apps_table.App(
        "redis-broken",
        "redis-server",
        "/usr/bin/redis-server",
        "test stand-in",
        {"smoke": 100},
        lambda work, inputs, n: apps_table.Command(["/usr/bin/redis-server", "--no-such-option", "1"]),
        server=True,
    )
    allocs = [
        apps_run.Allocator("glibc", None),
        apps_run.Allocator("mimalloc", tables.external_library("mimalloc")),
        apps_run.Allocator("jemalloc", probe),  # the probe itself: not an allocator at all
        apps_run.Allocator("tcmalloc", "/nonexistent/libtcmalloc_minimal.so.4"),
    ]
    with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as work:
        s = {"size": "smoke", "apps": fakes + [broken], "timeout": 60, "pin": []}
        session = apps.Session(args, s, work)
        session.references()
        for app in fakes:
            for alloc in allocs[1:]:
                session.judge(session.run(app, alloc), "round 1/1")
    lines = session.failures
    print("\n".join(lines))

    def reported(app, alloc, words):
        return any(f"app={app} allocator={alloc} " in l and words in l for l in lines)

    check(reported("differs", "mimalloc", "output differs from glibc's"), "a different output was not reported")
    check(reported("crashes", "mimalloc", "exit status 3"), "a non-zero exit was not reported")
    for app in ("differs", "crashes", "steady"):
        check(
            reported(app, "jemalloc", "the allocator did not load"),
            f"{app}: a library that is not jemalloc passed as jemalloc",
        )
        check(
            reported(app, "tcmalloc", "the allocator did not load"),
            f"{app}: a missing tcmalloc library (glibc ran instead) was not reported",
        )
    check(
        reported("redis-broken", "glibc", "redis-server did not start"), "a server that cannot start was not reported"
    )
    check(not any("app=steady allocator=mimalloc" in l for l in lines), "a good run was reported as failed")
    check(len(lines) == 9, f"expected 9 failures, got {len(lines)}")
    finish(
        "apps failure",
        "apps failure: different output, non-zero exit and a missing or wrong allocator "
        "are each reported with the app and the allocator",
    )


if __name__ == "__main__":
    main(sys.argv[1:])
