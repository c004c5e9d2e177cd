#!/usr/bin/env bash
# hot_path_test.sh EXPECT BINARY [LIB]: runs the mixed workload (BINARY, with LIB preloaded if
# given) under callgrind and fails if the code BOLT split out as cold (*.cold.N fragments) runs
# more than 1 % of the instructions: a profile that lost counts (as the linked-in binary's did
# before -infer-fall-throughs, docs/bolt.md) moves the hot path itself into .text.cold. Also checks
# that the workload reports allocator EXPECT, so the BOLTed code is what ran.
set -uo pipefail
expect=$1 bin=$2 lib=${3:-}
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/hot_path.XXXXXX")
trap 'rm -rf "$work"' EXIT
[[ -z $lib ]] || lib=$(readlink -f "$lib")

# Not the training parameters (SEED=7): another random stream of the same workload.
if ! env ITERS=300000 WS=400 MIN=16 MAX=1024 SEED=3 ${lib:+LD_PRELOAD=$lib} \
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$bin" >"$work/stdout" 2>"$work/stderr"; then
  echo "FAIL: the workload failed under callgrind:"; tail -n 20 "$work/stderr"; exit 1
fi
grep -q "allocator=$expect " "$work/stdout" || { echo "FAIL: expected allocator=$expect:"; cat "$work/stdout"; exit 1; }

# Per-function instruction counts; the fragment names are BOLT's (<function>.cold.<n>).
callgrind_annotate --threshold=100 "$work/cg.out" >"$work/annotate" 2>&1 || { cat "$work/annotate"; exit 1; }
read -r total cold names < <(awk '
  /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
  /:[^ ]*\.cold\.[0-9]+ / { n = $1; gsub(",", "", n); cold += n; fn = $0; sub(/.*\?\?\?:/, "", fn); sub(/ .*/, "", fn); names = names fn "," }
  END { printf "%d %d %s\n", total, cold, (names == "" ? "-" : names) }' "$work/annotate")
echo "instructions: $total in all, $cold in cold fragments (${names%,})"
if ((total == 0)); then echo "FAIL: no instruction count in callgrind's output"; exit 1; fi
if ((cold * 100 > total)); then
  echo "FAIL: cold fragments ran more than 1 % of the instructions: the hot path was split out"; exit 1
fi
echo "ok: the hot path stayed in the hot text"
