"""Allocators hakmem is compared against that come from Debian packages: one entry each, read by
bench/defs.bzl (link flags, preload paths of the smoke tests) and, through //configs:tables.json,
by the Python tools (bench/tools/allocators.py). Adding one (e.g. tcmalloc) is one entry here;
allocators.py then offers <name>-preload (and <name>-linked where "linkopt" is given and bench/
builds the binary)."""

EXTERNAL_ALLOCATORS = {
    "mimalloc": {
        "library": "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2",
        "linkopt": "-lmimalloc",
        "package": "libmimalloc-dev",
    },
    "jemalloc": {
        "library": "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
        "package": "libjemalloc-dev",
    },
}
