#!/usr/bin/env bash
# .ci/install_check.sh: `./bazelw run //:install -- --prefix TMP`, then, as a non-Bazel user would:
# compiles examples/bazel_consumer/which_malloc.c with the system cc and `pkg-config --cflags
# --libs hakmem`, runs it (hakmem Standard must serve malloc), runs it again through bin/hakmem
# --variant fast (the preloaded FAST must win), and checks that bad input gets a clear error.
# Run by .ci/run; exits non-zero on the first failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/hakmem-install-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "install_check: FAILED: $*"; exit 1; }
prefix=$work/prefix

./bazelw run //:install -- --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { tail -n 20 "$work/install.log"; fail "bazel run //:install failed"; }
grep '^installed' "$work/install.log"

# expect_error WHAT STATUS TEXT COMMAND...: COMMAND must exit STATUS with TEXT in its stderr.
expect_error() {
  local what=$1 status=$2 text=$3 rc
  shift 3
  "$@" >/dev/null 2>"$work/err"
  rc=$?
  ((rc == status)) && grep -qF "$text" "$work/err" ||
    fail "$what: exit $rc (expected $status), stderr: $(head -c 300 "$work/err")"
  echo "$what: exit $rc, '$(grep -F -m 1 "$text" "$work/err")'"
}
expect_error "install without --prefix" 2 "no --prefix given" ./bazelw run //:install --
expect_error "unknown variant" 2 "unknown variant 'nosuch'" "$prefix/bin/hakmem" --variant nosuch true
expect_error "no program" 2 "no program given" "$prefix/bin/hakmem"
expect_error "missing program" 127 "program 'no-such-program' not found" "$prefix/bin/hakmem" no-such-program

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pc_flags=$(pkg-config --cflags --libs hakmem) || fail "pkg-config does not find hakmem"
echo "pkg-config --cflags --libs hakmem: $pc_flags"
# shellcheck disable=SC2086 # pkg-config output is a list of flags
cc -O2 -o "$work/which_malloc" examples/bazel_consumer/which_malloc.c $pc_flags ||
  fail "compiling with pkg-config's flags failed"

# check_run EXPECTED_VARIANT COMMAND...: the program reports that variant and that it served malloc.
check_run() {
  local expect=$1 out
  shift
  out=$("$@" 2>&1) || fail "$* exited non-zero: $out"
  grep -qx "hakmem variant: $expect" <<<"$out" || fail "$*: expected variant $expect, got: $out"
  grep -qx 'hakmem serves malloc: yes' <<<"$out" || fail "$*: hakmem did not serve malloc: $out"
  echo "$* -> $expect serves malloc"
}
check_run standard "$work/which_malloc"
check_run fast "$prefix/bin/hakmem" --variant fast "$work/which_malloc"
echo "install_check: ok"
