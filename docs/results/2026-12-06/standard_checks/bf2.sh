#!/bin/bash
# bf2.sh LABEL BIN [PRELOAD] : batch_fifo (CROSS from env, default 0) under callgrind with cache sim and
# fair scheduling, threads separate. Per op over the two workers: (ITERS=12000 - ITERS=2000) / 4e6 ops.
label=$1; bin=$2; pre=$3; cross=${CROSS:-0}
d=/tmp/std/bf2; mkdir -p $d
run() { env -i ${pre:+LD_PRELOAD=$pre} CROSS=$cross ITERS=$1 valgrind --tool=callgrind --fair-sched=yes --separate-threads=yes --cache-sim=yes \
  --callgrind-out-file=$d/$label.c$cross.$1.cg $bin >$d/$label.c$cross.$1.out 2>&1 || { echo "$label failed"; exit 1; }
  cat $d/$label.c$cross.$1.cg-02 $d/$label.c$cross.$1.cg-03 | grep -E '^totals:' | awk '{for(i=2;i<=10;i++) s[i]+=$i} END {printf "%d %d %d\n", s[2], s[6]+s[7], s[9]+s[10]}'; }
read a1 a2 a3 < <(run 12000); read b1 b2 b3 < <(run 2000)
python3 -c "o=4e6; print('$label cross=$cross Ir/op %.2f D1miss/op %.4f LLmiss/op %.4f' % (($a1-$b1)/o, ($a2-$b2)/o, ($a3-$b3)/o))"
