#!/bin/bash
# callgrind (cache + branch simulation) of Mixed and the hold-out mixed_mt, per build: exact counts.
cd /tmp/cg2
run() { name=$1; bin=$2; shift 2; env "$@" valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes --callgrind-out-file=$name.cg.out ./$bin > $name.stdout 2> $name.err; echo "$name: $(grep -h RESULT $name.stdout | grep -o 'allocator=[^ ]*') $(grep -E 'Collected' $name.err | sed 's/.*Collected : //')"; }
M="ITERS=2000000 WS=400 MIN=16 MAX=1024 SEED=1"
MT="THREADS=2 ITERS=1000000 WS=400 MIN=16 MAX=1024 SEED=1"
run mixed.fast-linked mixed_fast $M
run mixed.fast_bolt-linked mixed_fast_bolt $M
run mixed.fast-preload mixed $M LD_PRELOAD=/tmp/cg2/fast.so
run mixed.fast_bolt-preload mixed $M LD_PRELOAD=/tmp/cg2/fast_bolt.so
run mixed_mt.fast-preload mixed_mt $MT LD_PRELOAD=/tmp/cg2/fast.so
run mixed_mt.fast_bolt-preload mixed_mt $MT LD_PRELOAD=/tmp/cg2/fast_bolt.so
[ -f fast_perfbolt.so ] && run mixed.fast_perfbolt-preload mixed $M LD_PRELOAD=/tmp/cg2/fast_perfbolt.so
[ -f fast_perfbolt.so ] && run mixed_mt.fast_perfbolt-preload mixed_mt $MT LD_PRELOAD=/tmp/cg2/fast_perfbolt.so
exit 0
