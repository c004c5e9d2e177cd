#!/bin/sh
# The training table by sampling: the same entries (weights as repeats: mixed x4), 10x longer runs
# than pgo/training.bzl so cpu-clock at 10 kHz collects enough samples in the library.
L=/tmp/cg2/fast.so
for i in 1 2 3 4; do env ITERS=20000000 WS=400 MIN=16 MAX=1024 SEED=7 LD_PRELOAD=$L ./mixed >/dev/null; done
env ITERS=10000000 WS=4000 MIN=16 MAX=1024 SEED=8 LD_PRELOAD=$L ./mixed >/dev/null
env PRODUCERS=1 CONSUMERS=1 ITERS=3000000 SEED=9 LD_PRELOAD=$L ./prodcons >/dev/null
env THREADS=2 SLOTS=500 ROUNDS=4 ITERS=500000 SEED=10 LD_PRELOAD=$L ./larson >/dev/null
env ITERS=3000000 SEED=11 LD_PRELOAD=$L ./realloc_calloc >/dev/null
env ITERS=200000 WS=32 SEED=12 LD_PRELOAD=$L ./medium_large >/dev/null
