#!/usr/bin/env bash
# .ci/pgo_incremental_check.sh: an incremental fast_pgo build after a source edit. A clean build
# (the rest of CI) cannot see this failure: once one hakmem source changes, the instrumented build
# and so the trained profile change, and every fast_pgo object must be recompiled against the new
# profile. If Bazel kept the others (the profile missing from their .d files), the ThinLTO link
# fails on conflicting ProfileSummary values (configs/variants.bzl, pgo_use_copts, explains the
# fix). Here: build, add a branch to config.c's start-up, build again (the profile must differ and
# the link must succeed), restore the file, build once more. Exits non-zero on failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source_file=hakmem/src/config.c
profile=bazel-bin/pgo/fast_pgo.profdata.inc
targets=(//hakmem:libhakmem_fast_pgo.so //bench:mixed_fast_pgo)
backup=$(mktemp)
cp "$source_file" "$backup"
trap 'cp "$backup" "$source_file"; rm -f "$backup"' EXIT

build() {
  ./bazelw build --config=fast_pgo "${targets[@]}" 2>&1 | tail -n 3
  ((PIPESTATUS[0] == 0)) || { echo "pgo_incremental_check: FAILED: fast_pgo build ($1)"; exit 1; }
}

build "before the edit"
before=$(sha256sum <"$profile")
# One new branch in a function every training run executes: new counters, a new profile.
grep -q '^    load_profile();$' "$source_file" ||
  { echo "pgo_incremental_check: FAILED: $source_file no longer has the line this check edits after"; exit 1; }
sed -i 's/^    load_profile();$/&\n    if (hak_os_getenv("HAKMEM_CI_PGO_INCREMENTAL_CHECK")) print_gates();/' "$source_file"
build "after editing $source_file"
[[ $(sha256sum <"$profile") != "$before" ]] ||
  { echo "pgo_incremental_check: FAILED: the edit did not change the trained profile (the check proves nothing)"; exit 1; }
bazel-bin/bench/mixed_fast_pgo >/dev/null ||
  { echo "pgo_incremental_check: FAILED: the rebuilt mixed_fast_pgo does not run"; exit 1; }
cp "$backup" "$source_file"
build "after restoring $source_file"
[[ $(sha256sum <"$profile") == "$before" ]] ||
  echo "pgo_incremental_check: note: the restored source trained a different profile (training is not bit-reproducible)"
echo "pgo_incremental_check: ok"
