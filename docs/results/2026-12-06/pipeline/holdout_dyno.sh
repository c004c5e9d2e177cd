#!/usr/bin/env bash
# How holdout_dyno/ was made (2026-12-06): exact taken branches and instructions in hakmem's own
# code for each program, from BOLT's dyno-stats over the program's own BOLT-instrumented run.
# LIB: a libhakmem_fast_pgo.so (or libhakmem_fast.so) copied out of bazel-bin; APP: its command.
set -euo pipefail
lib=$1 name=$2; shift 2
bolt=/usr/lib/llvm-19/bin/llvm-bolt
"$bolt" "$lib" -o "$name.instr.so" -instrument --instrumentation-file=prof \
  --instrumentation-file-append-pid -no-huge-pages >/dev/null
mkdir -p "run_$name" && (cd "run_$name" && LD_PRELOAD="$PWD/../$name.instr.so" PYTHONMALLOC=malloc \
  PYTHONHASHSEED=0 "$@" >/dev/null)
/usr/lib/llvm-19/bin/merge-fdata "run_$name"/*.fdata >"run_$name.fdata"
# "before" is the library's own layout under this profile; "after" what BOLT would make of it
"$bolt" "$lib" -o /dev/null -data="run_$name.fdata" -infer-fall-throughs -reorder-blocks=ext-tsp \
  -reorder-functions=cdsort -split-functions -split-all-cold -icf=1 -plt=hot -no-huge-pages \
  -use-gnu-stack -dyno-stats | grep -E "^ +[0-9]+ : "
# apps: perl churn.pl 10 | lua5.4 trees.lua 10 | python3 -B -E objects.py 4 (bench/programs/inputs)
#       clang-19 -O2 -c unit-20.c (bench/tools/apps_inputs.py c_unit(20))
