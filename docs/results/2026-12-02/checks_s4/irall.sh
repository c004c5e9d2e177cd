#!/bin/bash
# irall.sh NAME DIR: the 8 Ir/op figures for the builds copied into DIR, appended to $OUT/ir.txt
d=$2; n=$1
for w in mixed malloc_simple; do
  $(dirname $0)/ir.sh ${OUT:-.} $n $d/${w}_fast; $(dirname $0)/ir.sh ${OUT:-.} $n $d/${w}_standard
  $(dirname $0)/ir.sh ${OUT:-.} $n $d/$w $d/libhakmem_fast.so; $(dirname $0)/ir.sh ${OUT:-.} $n $d/$w $d/libhakmem_standard.so
done
