#!/usr/bin/env bash
# .ci/lint_check.sh: the linters from Debian packages (installed by ./bazelw) over every file git
# tracks: pyflakes3 on the Python tools and tests (unused imports and variables, undefined names:
# what breaks a tool only when its rare branch runs), shellcheck at error severity on the shell
# scripts. The Python files must also be in black's style (pyproject.toml; .ci/format.sh applies
# it) and clean under flake8 (.flake8: pycodestyle too).
# docs/results/ holds the commands of recorded measurements as they were run, so it is left out.
# Run by .ci/run; exits non-zero when a linter reports anything.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

status=0
mapfile -t python < <(git ls-files '*.py' | grep -v '^docs/results/')
mapfile -t shell < <(git ls-files '*.sh' .ci/run bazelw | grep -v '^docs/results/')
pyflakes3 "${python[@]}" || status=1
shellcheck --severity=error "${shell[@]}" || status=1
black --check --quiet "${python[@]}" ||
  { echo "lint_check: not in black's style (run: bash .ci/format.sh)"; status=1; }
flake8 "${python[@]}" || status=1
echo "lint_check: ${#python[@]} Python files (pyflakes3, black, flake8), ${#shell[@]} shell scripts (shellcheck)"
exit "$status"
