#!/bin/bash
# irop.sh LABEL BIN [PRELOAD] -> "LABEL Ir/op" ; mixed (2000000-200000)/1.8M, malloc_simple (400000-200000)/14.4M
label=$1; bin=$2; pre=$3
case $bin in *malloc_simple*) big=400000; small=200000; ops=14400000;; *) big=2000000; small=200000; ops=1800000;; esac
run() { env -i ${pre:+LD_PRELOAD=$pre} ITERS=$1 valgrind --tool=callgrind --callgrind-out-file=/tmp/std/cg/$label.$1.cg $bin >/dev/null 2>&1; grep -E '^(summary|totals):' /tmp/std/cg/$label.$1.cg | tail -1 | awk '{print $2}'; }
a=$(run $big); b=$(run $small)
echo "$label $a $b $(python3 -c "print(round(($a-$b)/$ops,2))")"
