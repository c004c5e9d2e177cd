#!/usr/bin/env bash
# .ci/format.sh: formats every Python file git tracks with black (pyproject.toml), the style
# .ci/lint_check.sh checks. docs/results/ keeps recorded commands as they ran, so it is left out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ $# -eq 0 ]] || { echo "usage: .ci/format.sh" >&2; exit 2; }
command -v black >/dev/null || { echo "format.sh: black is not installed (./bazelw installs it)" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.py' | grep -v '^docs/results/')
black --quiet "${files[@]}"
echo "format.sh: ${#files[@]} Python files formatted (black, pyproject.toml)"
