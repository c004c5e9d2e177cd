#!/bin/sh
# Runs one bench/ Python tool with the system interpreter (standard library only): $1 is the
# script (a runfiles path from `args`), the rest are its arguments. sh_binary instead of py_binary
# keeps the interpreter explicit: /usr/bin/python3, not whatever python3 is first on PATH. -B: the
# scripts resolve to the source tree, where bytecode caches must not appear.
exec /usr/bin/python3 -B "$@"
