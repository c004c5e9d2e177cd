#!/bin/bash
# ir.sh DIR NAME BIN [PRELOAD]: Ir per op, Mixed (2M-200K)/1.8M or malloc_simple (400K-200K)/14.4M
set -e
dir=$1; name=$2; bin=$3; pre=$4
case "$bin" in *malloc_simple*) n1=200000; n2=400000; ops=14400000;; *) n1=200000; n2=2000000; ops=1800000;; esac
ir() { local it=$1; local out=${TMPDIR:-/tmp}/cg.$$.$it
  if [ -n "$pre" ]; then ITERS=$it LD_PRELOAD=$pre valgrind --tool=callgrind --callgrind-out-file=$out $bin >/dev/null 2>$out.err
  else ITERS=$it valgrind --tool=callgrind --callgrind-out-file=$out $bin >/dev/null 2>$out.err; fi
  grep -m1 '^summary\|^totals' $out | awk '{print $2}'; }
a=$(ir $n1); b=$(ir $n2)
echo "$name $(basename $bin) ${pre:+preload=$(basename $pre)} Ir/op $(echo "scale=3; ($b-$a)/$ops" | bc)" | tee -a $dir/ir.txt
