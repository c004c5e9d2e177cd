"""Allocators hakmem is compared against that come from Debian packages: one entry each, read by
bench/defs.bzl (link flags, preload paths of the smoke tests) and, through //configs:tables.json,
by the Python tools (bench/tools/allocators.py, bench/tools/apps.py). Adding one is one entry here;
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
    # gperftools' tcmalloc without the heap profiler (what a preloading user picks).
    "tcmalloc": {
        "library": "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
        "package": "libtcmalloc-minimal4",
    },
}
