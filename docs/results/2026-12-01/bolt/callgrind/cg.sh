#!/bin/bash
# callgrind (cache + branch simulation) of Mixed and the hold-out mixed_mt per build: exact counts.
cd /tmp/final
run() { name=$1; bin=$2; shift 2; env "$@" valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes --callgrind-out-file=$name.cg.out $bin > $name.stdout 2> $name.err; echo "$name $(grep -h RESULT $name.stdout | grep -o 'allocator=[^ ]*') $(grep -E 'Collected' $name.err | sed 's/.*Collected : //')"; }
M="ITERS=2000000 WS=400 MIN=16 MAX=1024 SEED=1"
MT="THREADS=2 ITERS=1000000 WS=400 MIN=16 MAX=1024 SEED=1"
echo "# name allocator Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim"
for v in fast fast_pgo; do run mixed.$v-linked /work/wt/bolt/bazel-out/k8-fast_pgo_bolt-opt/bin/bench/mixed_$v $M; done
run mixed.fast_pgo_bolt-linked /work/wt/bolt/bazel-out/k8-fast_pgo_bolt-opt/bin/bolt/mixed_fast_pgo_bolt $M
for v in fast fast_pgo; do run mixed.$v-preload /work/wt/bolt/bazel-out/k8-fast_pgo_bolt-opt/bin/bench/mixed $M LD_PRELOAD=/work/wt/bolt/bazel-out/k8-fast_pgo_bolt-opt/bin/hakmem/libhakmem_$v.so; done
run mixed.fast_pgo_bolt-preload /work/wt/bolt/bazel-out/k8-fast_pgo_bolt-opt/bin/bench/mixed $M LD_PRELOAD=/work/wt/bolt/bazel-out/k8-fast_pgo_bolt-opt/bin/bolt/libhakmem_fast_pgo_bolt.so
for v in fast fast_pgo; do run mixed_mt.$v-preload /work/wt/bolt/bazel-out/k8-fast_pgo_bolt-opt/bin/bench/mixed_mt $MT LD_PRELOAD=/work/wt/bolt/bazel-out/k8-fast_pgo_bolt-opt/bin/hakmem/libhakmem_$v.so; done
run mixed_mt.fast_pgo_bolt-preload /work/wt/bolt/bazel-out/k8-fast_pgo_bolt-opt/bin/bench/mixed_mt $MT LD_PRELOAD=/work/wt/bolt/bazel-out/k8-fast_pgo_bolt-opt/bin/bolt/libhakmem_fast_pgo_bolt.so
