#!/usr/bin/env bash
# .ci/consumer_check.sh: builds and runs examples/bazel_consumer, a separate Bazel workspace that
# takes hakmem by local_repository and sets `malloc = "@hakmem//hakmem:hakmem_fast"`, and checks
# from the program's own output that hakmem FAST served its malloc. Its Bazel server is stopped at
# the end. Run by .ci/run (after ./bazelw has installed Bazel and LLVM 19); exits non-zero on failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../examples/bazel_consumer"

log=$(mktemp)
trap 'bazel shutdown >/dev/null 2>&1; rm -f "$log"' EXIT
ci_flags=()
[[ ${CI:-} == true ]] && ci_flags=(--curses=no --color=no --show_progress_rate_limit=30)

bazel run "${ci_flags[@]}" //:which_malloc >"$log" 2>&1
rc=$?
cat "$log"
((rc == 0)) || { echo "consumer_check: FAILED: bazel run //:which_malloc exited $rc"; exit 1; }
grep -qx 'hakmem variant: fast' "$log" || { echo "consumer_check: FAILED: not linked with hakmem fast"; exit 1; }
grep -qx 'hakmem serves malloc: yes' "$log" || { echo "consumer_check: FAILED: hakmem did not serve malloc"; exit 1; }
echo "consumer_check: ok"
