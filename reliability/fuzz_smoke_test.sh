#!/usr/bin/env bash
# fuzz_smoke_test.sh FUZZER SEED_FILE...: CI smoke run of the hakmem_fuzz libFuzzer target, 20 s
# with a fixed seed from the checked-in seed corpus (copied, since libFuzzer adds to its corpus
# directory). Passes iff libFuzzer exits 0: no model mismatch, no ASan/UBSan report, no crash.
set -euo pipefail
fuzzer=$1
shift
work=${TEST_TMPDIR:-$(mktemp -d)}
mkdir -p "$work/corpus" "$work/artifacts"
cp "$@" "$work/corpus/"
chmod u+w "$work/corpus"/*
# -rss_limit_mb: the model keeps <= 96 MiB live; anything near 1 GiB is a leak worth failing on.
if "$fuzzer" -max_total_time="${FUZZ_SECONDS:-20}" -seed=1 -max_len=1024 -rss_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1; then
  grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$work/log" || true
  echo "fuzz smoke: PASS"
else
  rc=$?
  tail -n 60 "$work/log"
  echo "fuzz smoke: FAIL (exit $rc); crashing input(s):"
  ls -l "$work/artifacts"
  for f in "$work/artifacts"/*; do [[ -f $f ]] && od -An -tx1 "$f" | head -20; done
  exit 1
fi
