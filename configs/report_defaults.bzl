"""Which allocators each bench tool reports when ALLOCATORS does not choose: one list per tool,
written to //configs:tables.json (tables.bzl) and read by the tools through
bench/tools/tables.py's default_set(tool). Names are the tools' allocator names
(bench/tools/allocators.py): hakmem-<variant label>[-preload], <external>-linked/-preload,
libc-same-binary (glibc inside hakmem's Standard binary) and system; //configs:tables_test checks
every one against the variant and allocator tables. A tool also shows only those its binaries
make possible, and a PGO --config replaces tenrun's list by the PGO chain (allocators.py)."""

# The variant whose same-binary workloads also run glibc (libc-same-binary: the hakmem binary with
# HAKMEM_FORCE_LIBC_ALLOC=1, so glibc is measured with the same workload code layout).
LIBC_SAME_BINARY_HOST = "standard"

REPORT_DEFAULTS = {
    # The seed's 10-run table.
    "tenrun": [
        "hakmem-fast",
        "hakmem-standard",
        "hakmem-observe",
        "libc-same-binary",
        "mimalloc-linked",
        "mimalloc-preload",
        "jemalloc-preload",
        "system",
    ],
    "instructions": [
        "hakmem-fast",
        "hakmem-standard",
        "hakmem-hardened",
        "mimalloc-linked",
        "mimalloc-preload",
        "jemalloc-preload",
        "system",
    ],
    "soak": ["hakmem-fast", "mimalloc-linked", "system"],
    "tail": ["hakmem-fast", "mimalloc-linked", "system"],
    "syscalls": ["hakmem-fast", "hakmem-standard", "mimalloc-linked", "system"],
}
