#!/usr/bin/env bash
# bad_input_test.sh PYTHON STEP RUNNER LLVM_BOLT LLVM_READELF LLVM_OBJCOPY MERGE_FDATA RUNTIME LIB PROFILE:
# every bad input of bolt/'s build steps stops with one "error:" line naming it and exit 1, and
# leaves no output file behind (so no un-BOLTed copy can appear under the BOLT name): a missing
# llvm-bolt, an input without relocations, a failed training run, a training run that wrote no
# profile, and a profile of another binary.
set -uo pipefail
py=$1 step=$2 runner=$3 bolt=$4 readelf=$5 objcopy=$6 merge=$7 runtime=$8 lib=$9 profile=${10}
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/bolt_bad.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

# expect NAME PATTERN CMD...: CMD must exit 1, print PATTERN on stderr and leave $work/out absent.
expect() {
  local name=$1 pattern=$2
  shift 2
  rm -f "$work/out"
  "$@" >"$work/stdout" 2>"$work/stderr"
  local rc=$?
  if ((rc != 1)); then
    echo "FAIL $name: exit code $rc, expected 1"; failures=$((failures + 1))
  elif ! grep -q -- "$pattern" "$work/stderr"; then
    echo "FAIL $name: stderr lacks '$pattern':"; cat "$work/stderr"; failures=$((failures + 1))
  elif [[ -e $work/out ]]; then
    echo "FAIL $name: an output file was left behind"; failures=$((failures + 1))
  else
    echo "ok   $name: $(grep -m1 error: "$work/stderr")"
  fi
}

common=(--llvm-readelf="$readelf" --output="$work/out" --log="$work/log")
expect "missing llvm-bolt" "llvm-bolt not found at /nonexistent/llvm-bolt: install" \
  "$py" "$step" instrument --llvm-bolt=/nonexistent/llvm-bolt --runtime="$runtime" --input="$lib" "${common[@]}"
expect "missing runtime" "instrumentation runtime /nonexistent/rt.a is missing" \
  "$py" "$step" instrument --llvm-bolt="$bolt" --runtime=/nonexistent/rt.a --input="$lib" "${common[@]}"

# A library linked without -Wl,--emit-relocs (a copy of the input with its .rela.text removed).
stripped=$work/norelocs.so
cp "$lib" "$stripped" && chmod u+w "$stripped"
"$objcopy" --remove-section=.rela.text "$stripped" || { echo "FAIL: cannot prepare the no-relocations input"; exit 1; }
expect "no relocations (instrument)" "has no .rela.text section: link it with -Wl,--emit-relocs" \
  "$py" "$step" instrument --llvm-bolt="$bolt" --runtime="$runtime" --input="$stripped" "${common[@]}"
expect "no relocations (optimize)" "has no .rela.text section" \
  "$py" "$step" optimize --llvm-bolt="$bolt" --input="$stripped" --profile="$profile" "${common[@]}"

# A profile that matches nothing in the input (another binary's functions).
printf '1 no_such_function 0 1 no_such_function 8 0 100\n' >"$work/other.fdata"
expect "profile of another binary" "no function of .* matched the profile" \
  "$py" "$step" optimize --llvm-bolt="$bolt" --input="$lib" --profile="$work/other.fdata" "${common[@]}"

# A failed training run: the runner stops and names the entry.
expect "failed training run" "training entry 'broken' (workload mixed) failed: exit code 1" \
  "$py" "$runner" --entry broken mixed 1 /bin/false --profile-env= --out-dir "$work/runs"

# A training run that exits 0 but wrote no profile (the copy was not instrumented or not loaded).
mkdir -p "$work/manifest"
printf '{"runs": [{"name": "quiet", "workload": "mixed", "weight": 1, "env": {}, "files": ["%s"]}]}\n' \
  "$work/manifest/prof.txt" >"$work/manifest/manifest.json"
expect "no profile written" "training entry 'quiet' left no .fdata profile" \
  "$py" "$step" merge --merge-fdata="$merge" --manifest="$work/manifest/manifest.json" --output="$work/out" --log="$work/log"

echo "$failures failure(s)"
((failures == 0))
