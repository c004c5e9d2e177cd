#!/bin/sh
# preloaded.sh LIB VARIANT BINARY [ARGS...]: runs a plain test binary with LD_PRELOAD=LIB (a
# hakmem library) and tells the binary's allocator probe (allocator_probe.h) that LIB must report
# VARIANT. A missing or unloadable LIB fails here or in the probe, never as a run on glibc.
set -u
[ $# -ge 3 ] || { echo "usage: $0 LIB VARIANT BINARY [ARGS...]" >&2; exit 2; }
lib=$1 variant=$2 bin=$3
shift 3
[ -r "$lib" ] || { echo "preloaded.sh: library $lib not found" >&2; exit 1; }
[ -x "$bin" ] || { echo "preloaded.sh: test binary $bin not found" >&2; exit 1; }
lib=$(readlink -f "$lib")
echo "preloaded.sh: LD_PRELOAD=$lib, expecting variant $variant"
HAK_TEST_EXPECT_VARIANT=$variant LD_PRELOAD=$lib exec "$bin" "$@"
