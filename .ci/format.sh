#!/usr/bin/env bash
# .ci/format.sh: formats the Python files of .ci/python_formatted.txt with black (pyproject.toml),
# the style .ci/lint_check.sh checks. With --all: every Python file git tracks (docs/results/ keeps
# recorded commands as they ran, so it is left out), and the list becomes all of them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
list=.ci/python_formatted.txt

case "${1:-}" in
  "") mapfile -t files < <(grep -v '^#' "$list") ;;
  --all)
    mapfile -t files < <(git ls-files '*.py' | grep -v '^docs/results/')
    { grep '^#' "$list"; printf '%s\n' "${files[@]}"; } >"$list.new"
    mv "$list.new" "$list" ;;
  *) echo "usage: .ci/format.sh [--all]" >&2; exit 2 ;;
esac
command -v black >/dev/null || { echo "format.sh: black is not installed (./bazelw installs it)" >&2; exit 1; }
black --quiet "${files[@]}"
echo "format.sh: ${#files[@]} Python files formatted (black, pyproject.toml)"
