"""The programs //bench:apps runs: for each, the Debian package and binary, its allocation style,
its input sizes and how one run is prepared. Sizes: "smoke" (CI: a fraction of a second), "small"
(EXACT=1 under callgrind) and "full" (about 1-2 s under glibc on a quiet machine: the timed rounds).
Interpreter scripts are shipped in bench/programs/inputs/, the other inputs come from apps_inputs.py."""

import os
import subprocess

import apps_inputs


class Command:
    """One run of an app: argv, extra environment, optional stdin file, and the files whose bytes
    join stdout in the output compared across allocators (e.g. clang's object file)."""

    def __init__(self, argv, env=None, stdin=None, output_files=()):
        self.argv = argv
        self.env = env or {}
        self.stdin = stdin
        self.output_files = list(output_files)


class App:
    """server: the program is driven by a client (apps_redis.py) instead of running to completion.
    links: the allocator library the program links itself (its "glibc" row needs glibc forced in).
    exact_skip: why callgrind's instruction count would not be exact for this app (None: it is)."""

    def __init__(self, name, package, binary, style, sizes, prepare, server=False, links=None, exact_skip=None):
        self.name = name
        self.package = package
        self.binary = binary
        self.style = style
        self.sizes = sizes
        self.prepare = prepare
        self.server = server
        self.links = links
        self.exact_skip = exact_skip


def _script(inputs, name):
    return os.path.join(inputs, name)


def _write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


def _python(work, inputs, n):
    # PYTHONMALLOC=malloc: objects come from malloc, not from CPython's own pymalloc arenas. No -E:
    # it makes CPython ignore every PYTHON* variable, PYTHONMALLOC included (the runs' environment
    # is already clean, benchlib.clean_env).
    return Command(
        ["/usr/bin/python3", "-B", _script(inputs, "objects.py"), str(n)],
        env={"PYTHONMALLOC": "malloc", "PYTHONHASHSEED": "0"},
    )


def _perl(work, inputs, n):
    return Command(["/usr/bin/perl", _script(inputs, "churn.pl"), str(n)])


def _lua(work, inputs, n):
    return Command(["/usr/bin/lua5.4", _script(inputs, "trees.lua"), str(n)])


def _sqlite(work, inputs, n):
    script = _write(os.path.join(work, f"sqlite-{n}.sql"), apps_inputs.sql_script(n))
    return Command(["/usr/bin/sqlite3", ":memory:"], stdin=script)


def _clang(work, inputs, n):
    source = _write(os.path.join(work, f"unit-{n}.c"), apps_inputs.c_unit(n))
    obj = os.path.join(work, f"unit-{n}.o")
    return Command(["/usr/bin/clang-19", "-O2", "-c", source, "-o", obj], output_files=[obj])


def _git(work, inputs, n):
    """The repository is made once per size (untimed, under glibc); each run packs all of it
    again, deltas recomputed, on one thread (git's threaded delta search is not deterministic)."""
    repo = os.path.join(work, f"repo-{n}.git")
    if not os.path.isdir(repo):
        subprocess.run(["git", "init", "-q", "--bare", repo], check=True, timeout=60)
        subprocess.run(
            ["git", "-C", repo, "fast-import", "--quiet"], input=apps_inputs.git_stream(n), check=True, timeout=600
        )
    return Command(
        [
            "/usr/bin/git",
            "-C",
            repo,
            "-c",
            "pack.threads=1",
            "pack-objects",
            "--revs",
            "--all",
            "--stdout",
            "--no-reuse-delta",
            "--window=20",
            "-q",
        ],
        stdin=os.devnull,
        env={"HOME": work, "GIT_CONFIG_NOSYSTEM": "1"},
    )


def _redis(work, inputs, n):
    """The server's command line (apps_redis.py adds the port, drives it and stops it); n sizes
    the benchmark's request count and the deterministic load after it."""
    return Command(
        [
            "/usr/bin/redis-server",
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            work,
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
            "--enable-debug-command",
            "local",
            "--loglevel",
            "notice",
        ]
    )


APPS = [
    App(
        "redis",
        "redis-server",
        "/usr/bin/redis-server",
        "event-loop server: many small objects, strings, lists, hashes, sorted sets",
        {"smoke": 2000, "small": 5000, "full": 35000},
        _redis,
        server=True,
        links="libjemalloc.so.2",
        exact_skip="its periodic timers (serverCron) make the instruction count depend on wall time",
    ),
    App(
        "sqlite",
        "sqlite3",
        "/usr/bin/sqlite3",
        "database: page cache, B-tree pages, sort buffers",
        {"smoke": 5000, "small": 20000, "full": 280000},
        _sqlite,
    ),
    App(
        "lua",
        "lua5.4",
        "/usr/bin/lua5.4",
        "garbage-collected interpreter: trees and string building through one realloc hook",
        {"smoke": 3, "small": 10, "full": 350},
        _lua,
    ),
    App(
        "python",
        "python3",
        "/usr/bin/python3",
        "interpreter with PYTHONMALLOC=malloc: dicts, strings, json",
        {"smoke": 2, "small": 4, "full": 85},
        _python,
    ),
    App(
        "perl",
        "perl",
        "/usr/bin/perl",
        "interpreter: hash and string churn",
        {"smoke": 3, "small": 10, "full": 210},
        _perl,
    ),
    App(
        "clang",
        "clang-19",
        "/usr/bin/clang-19",
        "compiler: -O2 on a generated translation unit (AST, IR, many mid-sized nodes)",
        {"smoke": 10, "small": 20, "full": 210},
        _clang,
    ),
    App(
        "git",
        "git",
        "/usr/bin/git",
        "git pack-objects: delta search over a generated history (large buffers, zlib)",
        {"smoke": 10, "small": 20, "full": 140},
        _git,
    ),
]

SIZES = ("smoke", "small", "full")
